"""What the listings share: a page link with the dates and title a feed or sitemap gives,
URL checks, gzip'ed listings inflated, URL lists (a page URL a line), and what a listing
could not list: an entry of the plan that reads as its `list` reject."""

from __future__ import annotations

import hashlib
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from pipeline.decode import BINARY_MAGIC, NOT_CONTROL
from pipeline.records import Reject

GZIP_MAGIC = b"\x1f\x8b"
# A URL list, uncompressed, as large as a sitemap may be; more is refused rather than inflated (gzip bombs).
MAX_URL_LIST_BYTES = 50 * 1024 * 1024
# Text has no control characters but its white space, or a stray one; random bytes have one in nine.
MAX_CONTROL_SHARE = 0.01
# A line of a URL list quoted in a reject is cut here (a page served as the list has long lines).
MAX_LINE_CHARS = 200
# An HTML page opens with its doctype or <html>, after a BOM, an XML declaration or comments at most.
HTML_START = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Link:
    url: str
    published: datetime | None = None  # UTC-aware; what the feed/sitemap says the page was published
    updated: datetime | None = None  # UTC-aware; last modification the feed/sitemap gives (lastmod, <updated>)
    title: str | None = None


def absolute_url(base_url: str, href: str | None) -> str | None:
    """`href` resolved against `base_url`, or None unless that is an http(s) URL with a host."""
    href = (href or "").strip()
    if not href:
        return None
    try:
        url = urljoin(base_url, href)
        parts = urlsplit(url)
    except ValueError:  # e.g. an invalid IPv6 host
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


@dataclass(frozen=True)
class UrlList:
    links: list[Link]
    bad_lines: list[tuple[int, str, str]]  # (line number, line, why) of lines that are not http(s) URLs


class NotAUrlList(ValueError):
    """A document given as a URL list that is none (the message says what it is)."""


class GzipError(ValueError):
    """gzip'ed data that cannot be inflated, or inflates past its limit."""


def gunzip(content: bytes, limit: int, limit_name: str) -> bytes:
    """gzip'ed `content` inflated, its members one after the other (trailing padding is
    ignored); GzipError past `limit` bytes, which are all that is inflated (gzip bombs)."""
    out = bytearray()
    while content[:2] == GZIP_MAGIC:
        member = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out += member.decompress(content, limit + 1 - len(out))
        except zlib.error as e:
            raise GzipError(f"corrupt gzip data ({e})") from None
        if len(out) > limit:
            raise GzipError(f"larger than {limit} bytes uncompressed ({limit_name})")
        if not member.eof:
            raise GzipError("gzip data ends early (truncated download?)")
        content = member.unused_data
    return bytes(out)


def not_text(content: bytes) -> str | None:
    """What `content` is when it is not lines of text (HTML, XML, JSON or binary data), else None."""
    head = content[:8192]
    kind = next((kind for magic, kind in BINARY_MAGIC.items() if head.startswith(magic)), None)
    if kind or len(head.translate(None, NOT_CONTROL)) > MAX_CONTROL_SHARE * len(head):
        return f"binary data ({kind})" if kind else "binary data"
    if looks_like_html(content):
        return "an HTML page"
    start = content.removeprefix(b"\xef\xbb\xbf").lstrip()
    if start.startswith(b"<"):
        return "an XML document (a feed or sitemap?)"
    if start[:1] in (b"{", b"["):
        try:
            json.loads(start)
            return "JSON"
        except ValueError:  # a line in brackets, say: the lines are read
            pass
    return None


def parse_url_list(content: bytes) -> UrlList:
    """A list of page URLs, one a line, in UTF-8, gzip'ed or not (told by its first bytes,
    not by its name). Blank lines and comments (lines starting with #) are skipped; any
    other line is a URL or a bad line: one that is not a URL, or not UTF-8 (read with its
    bad bytes replaced, it would name another page). A bad line is given whole, or cut with
    a hash of the whole (a page served as a list has long lines). A document that is not
    lines of text (an HTML page, XML, JSON, binary data), or gzip data that cannot be inflated,
    raises NotAUrlList: it is one mistake, not a bad line for each of its lines."""
    if content[:2] == GZIP_MAGIC:
        try:
            content = gunzip(content, MAX_URL_LIST_BYTES, "the URL list limit")
        except GzipError as e:
            raise NotAUrlList(str(e)) from None
    if what := not_text(content):
        raise NotAUrlList(f"{what}, not a list of URLs")
    links, bad = [], []
    for number, raw in enumerate(content.removeprefix(b"\xef\xbb\xbf").splitlines(), 1):
        try:
            line, why = raw.decode("utf-8").strip(), "not an http(s) URL"
        except UnicodeDecodeError:
            line, why = raw.decode("utf-8", "replace").strip(), "not UTF-8"
        if not line or line.startswith("#"):
            continue
        if (url := http_url(line)) and why != "not UTF-8":
            links.append(Link(url))
        else:
            bad.append((number, _quoted(line), why))
    return UrlList(links, bad)


def _quoted(line: str) -> str:
    if len(line) <= MAX_LINE_CHARS:
        return line
    return f"{line[:MAX_LINE_CHARS]}… ({hashlib.sha256(line.encode()).hexdigest()[:12]})"


def http_url(text: str) -> str | None:
    """`text` if it is one absolute http(s) URL with a host, its scheme in lower case; else None."""
    url = absolute_url("", text) if len(text.split()) == 1 else None
    if url is None:
        return None
    scheme = urlsplit(url).scheme  # lower case, and the URL's first characters
    return scheme + url[len(scheme):]


def unique_by_url(links: Iterable[Link]) -> list[Link]:
    """The links with each URL once, keeping its first appearance."""
    first: dict[str, Link] = {}
    for link in links:
        first.setdefault(link.url, link)
    return list(first.values())


def looks_like_html(content: bytes) -> bool:
    """Whether a document opens as an HTML page (the usual thing served instead of a feed or sitemap)."""
    return bool(HTML_START.match(content[:4096]))


class ListingError(ValueError):
    """A source that cannot be listed: `reason` is the reason code of its `list` reject,
    `detail` what is wrong (the message says where too)."""

    def __init__(self, reason: str, where: str | Path, detail: str):
        super().__init__(f"{where}: {detail}")
        self.reason, self.detail = reason, detail


def unlisted_entry(source: str, url: str, reason: str, detail: str) -> dict:
    """A plan entry for what a listing could not list (its `url`): it reads as a reject."""
    return {"kind": "unlisted", "source": source, "url": url, "reason": reason, "detail": detail}


def unlisted_reject(entry: dict) -> Reject:
    return Reject(entry["url"], None, "list", entry["reason"], f"{entry['source']}: {entry['detail']}")

