"""What feeds and sitemaps share: a page link with the dates and title they give, and URL checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

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


def unique_by_url(links: Iterable[Link]) -> list[Link]:
    """The links with each URL once, keeping its first appearance."""
    first: dict[str, Link] = {}
    for link in links:
        first.setdefault(link.url, link)
    return list(first.values())


def looks_like_html(content: bytes) -> bool:
    """Whether a document opens as an HTML page (the usual thing served instead of a feed or sitemap)."""
    return bool(HTML_START.match(content[:4096]))
