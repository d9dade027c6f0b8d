"""What the listings share: a page link with the dates and title a feed or sitemap gives,
URL checks, URL lists (a page URL a line), and what a listing could not list: an entry
of the plan that reads as its `list` reject."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from pipeline.records import Reject

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


def parse_url_list(content: bytes) -> UrlList:
    """A list of page URLs, one a line, in UTF-8. Blank lines and comments (lines starting
    with #) are skipped; any other line is a URL or a bad line: one that is not a URL, or
    not UTF-8 (read with its bad bytes replaced, it would name another page). A bad line
    is given whole, or cut with a hash of the whole (a page served as a list has long lines)."""
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

