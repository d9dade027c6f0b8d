"""RSS 0.9x/2.0, RSS 1.0 (RDF) and Atom feeds: the pages they list, and the feeds a home page advertises.

Pure parsers over bytes and strings; fetching is the caller's. feedparser reads the
feeds because it gives each entry's dates (trafilatura's feed reader gives links only).
"""

from __future__ import annotations

import io
import time
import xml.sax
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

import feedparser
import lxml.html
from trafilatura.feeds import FeedParameters, determine_feed

from pipeline.sources.links import Link, absolute_url, looks_like_html, unique_by_url

# Atom alternate links of these types are the entry's page; others (PDF, audio) only if nothing else.
PAGE_LINK_TYPES = ("", "text/html", "application/xhtml+xml")


class FeedError(ValueError):
    """A document that is not an RSS, RDF or Atom feed."""


@dataclass(frozen=True)
class Feed:
    links: list[Link]  # the pages, each URL once
    # Why a feed is not well-formed XML, when feedparser read its entries as far as its lenient parser could.
    malformed: str | None = None
    # The entries that link no page: each one's id (or else title, or else place, from 1) and title.
    unlinked: tuple[tuple[str, str | None], ...] = ()


def parse_feed(content: bytes, base_url: str) -> Feed:
    """The pages a feed lists, each URL once (its first entry), with absolute URLs.

    `published` is RSS pubDate or Atom <published>; `updated` is Atom <updated>, or
    dc:date (as feedparser reads it, RDF feeds' usual date). Raises FeedError when the
    document is not a feed, or is malformed and no entry could be read from it; a feed
    with no entries gives no links.
    """
    # A stream, never bytes or str: feedparser fetches a str that looks like a URL.
    parsed = feedparser.parse(io.BytesIO(content), response_headers={"content-location": base_url})
    malformed = xml_error(parsed)
    entries = [(entry, entry_link(entry, base_url)) for entry in parsed.entries]
    links = unique_by_url(link for _, link in entries if link)
    # Without a version, feedparser's entries are any <item> or <entry> of any XML (a
    # config file's): a feed only if they link pages.
    if not links and (malformed or not parsed.get("version")):
        raise FeedError(f"{base_url}: not an RSS, RDF or Atom feed ({why_not_a_feed(content, parsed)})")
    unlinked = tuple((dict.get(entry, "id") or entry_title(entry) or str(n), entry_title(entry))
                     for n, (entry, link) in enumerate(entries, 1) if link is None)
    return Feed(links, malformed, unlinked)


def xml_error(parsed: feedparser.FeedParserDict) -> str | None:
    """Why feedparser's XML parser gave up on the document (its lenient parser read it then),
    which can lose entries; None if it did not. feedparser flags lesser faults too (no XML
    Content-Type, which it is never given here; a wrong charset declared), which lose none."""
    error = parsed.get("bozo_exception")
    if error is None or isinstance(error, feedparser.ThingsNobodyCaresAboutButMe):
        return None
    return f"not well-formed XML: {error}"


def why_not_a_feed(content: bytes, parsed: feedparser.FeedParserDict) -> str:
    if not content.strip():
        return "empty document"
    if looks_like_html(content):
        return "an HTML page"
    if not content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "not XML"
    if isinstance(parsed.get("bozo_exception"), xml.sax.SAXParseException):
        return f"not well-formed XML: {parsed.bozo_exception}"
    return "no <rss>, <rdf:RDF> or <feed> root element"


def entry_link(entry: feedparser.FeedParserDict, base_url: str) -> Link | None:
    url = entry_url(entry, base_url)
    if url is None:
        return None
    # dict.get: FeedParserDict.get("updated") falls back to `published`, which would date an RSS item twice.
    return Link(
        url=url,
        published=utc_datetime(dict.get(entry, "published_parsed")),
        updated=utc_datetime(dict.get(entry, "updated_parsed")),
        title=entry_title(entry),
    )


def entry_url(entry: feedparser.FeedParserDict, base_url: str) -> str | None:
    """The entry's page: its (HTML) rel=alternate link, else its link (an RSS <link> or permalink <guid>)."""
    alternates = [link for link in entry.get("links", []) if link.get("rel", "alternate") == "alternate"]
    alternates.sort(key=lambda link: (link.get("type") or "").split(";")[0].strip().lower() not in PAGE_LINK_TYPES)
    # feedparser makes an Atom <id> the link when there is none; absolute_url drops non-http ids (tag:, urn:).
    for href in [link.get("href") for link in alternates] + [dict.get(entry, "link")]:
        url = absolute_url(base_url, href)
        if url:
            return url
    return None


def entry_title(entry: feedparser.FeedParserDict) -> str | None:
    title = dict.get(entry, "title") or ""
    detail = dict.get(entry, "title_detail") or {}
    if title and detail.get("type") in ("text/html", "application/xhtml+xml"):
        title = lxml.html.fragment_fromstring(title, create_parent="div").text_content()
    return " ".join(title.split()) or None


def utc_datetime(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's parsed dates are struct_time in UTC."""
    if parsed is None:
        return None
    try:
        return datetime(*parsed[:6], tzinfo=timezone.utc)
    except ValueError:  # a leap second, or a year datetime cannot hold
        return None


def discover_feeds(page_html: str, page_url: str) -> list[str]:
    """The feed URLs a page advertises (<link rel="alternate" type="application/rss+xml"> and the like;
    failing those, links that look like feeds), absolute, each once, in page order.

    trafilatura's discovery, which also drops comment feeds and tracking parameters.
    """
    params = FeedParameters(page_url, urlsplit(page_url).hostname or "", page_url)
    found = (absolute_url(page_url, url) for url in determine_feed(page_html, params))
    return list(dict.fromkeys(url for url in found if url))
