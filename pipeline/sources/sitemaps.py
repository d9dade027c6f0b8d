"""Sitemaps (sitemaps.org): XML url sets, Google news sitemaps, sitemap indexes, gzip'ed or
plain-text ones, and the sitemaps robots.txt names.

Pure parsers over bytes and strings; fetching is the caller's. trafilatura's sitemap
reader fetches as it goes, filters by domain and drops <lastmod>, so lxml reads them here.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from lxml import etree

try:
    from protego import Protego
except ImportError:  # optional: robots.txt's Sitemap lines are simple enough to read without it
    Protego = None

from pipeline.sources.links import GZIP_MAGIC, GzipError, Link, absolute_url, gunzip, looks_like_html, unique_by_url

# The protocol's limit on a sitemap, uncompressed; more is refused rather than inflated (gzip bombs).
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
FEED_ROOTS = ("rss", "feed", "RDF")
W3C_YEAR = re.compile(r"\d{4}")
W3C_MONTH = re.compile(r"\d{4}-\d{2}")


class SitemapError(ValueError):
    """A document that is not a sitemap (or a gzip'ed one that cannot be inflated)."""


@dataclass(frozen=True)
class Sitemap:
    links: list[Link]  # the pages, each URL once
    sitemaps: list[str]  # the sitemaps a sitemap index lists, each once
    # The entries (<url>, or an index's <sitemap>) that give no http(s) URL, each name once:
    # (its <loc>, or else news:title, or else place from 1; why it links nothing).
    unlinked: tuple[tuple[str, str], ...] = ()


def parse_sitemap(content: bytes, base_url: str) -> Sitemap:
    """The pages (or, for an index, the sitemaps) a sitemap lists, with absolute URLs.

    `updated` is <lastmod>; a news sitemap adds `published` (news:publication_date) and
    `title` (news:title). An entry without a usable <loc> is in `unlinked`. Raises
    SitemapError when the document is not a sitemap.
    """
    if content[:2] == GZIP_MAGIC:
        try:
            content = gunzip(content, MAX_SITEMAP_BYTES, "the sitemap limit")
        except GzipError as e:
            raise SitemapError(f"{base_url}: {e}") from None
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return parse_xml_sitemap(content, base_url)
    return Sitemap(links=parse_text_sitemap(content, base_url), sitemaps=[])


def parse_xml_sitemap(content: bytes, base_url: str) -> Sitemap:
    # No entity expansion (billion laughs), no DTD or network fetches, lxml's size limits kept.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                             remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as e:
        what = "an HTML page" if looks_like_html(content) else f"not well-formed XML: {e}"
        raise SitemapError(f"{base_url}: not a sitemap ({what})") from None
    name = etree.QName(root).localname
    if name == "urlset":
        entries = children(root, "url")
        links = [url_link(url, base_url) for url in entries]
        return Sitemap(links=unique_by_url(link for link in links if link), sitemaps=[],
                       unlinked=unlinked(entries, links, "page"))
    if name == "sitemapindex":
        entries = children(root, "sitemap")
        locations = [absolute_url(base_url, text_of(child(entry, "loc"))) for entry in entries]
        return Sitemap(links=[], sitemaps=list(dict.fromkeys(url for url in locations if url)),
                       unlinked=unlinked(entries, locations, "sitemap"))
    hint = " (an RSS or Atom feed: read it as a feed)" if name in FEED_ROOTS else ""
    raise SitemapError(f"{base_url}: not a sitemap: the root element is <{name}>, "
                       f"not <urlset> or <sitemapindex>{hint}")


def url_link(url: etree._Element, base_url: str) -> Link | None:
    location = absolute_url(base_url, text_of(child(url, "loc")))
    if location is None:
        return None
    news = child(url, "news")
    return Link(
        url=location,
        published=w3c_datetime(text_of(child(news, "publication_date"))),
        updated=w3c_datetime(text_of(child(url, "lastmod"))),
        title=news_title(url),
    )


def news_title(url: etree._Element) -> str | None:
    return " ".join((text_of(child(child(url, "news"), "title")) or "").split()) or None


def unlinked(entries: list[etree._Element], found: list, what: str) -> tuple[tuple[str, str], ...]:
    """The entries that gave nothing (None in `found`): each one's name and why it links no `what`."""
    named: dict[str, str] = {}
    for n, (entry, got) in enumerate(zip(entries, found), 1):
        if got is None:
            loc = child(entry, "loc")
            named.setdefault(text_of(loc) or news_title(entry) or str(n), f"links no {what}: {unusable(loc)}")
    return tuple(named.items())


def unusable(loc: etree._Element | None) -> str:
    """Why a <loc> gives no URL."""
    if loc is None:
        return "no <loc>"
    if len(loc):
        return "its <loc> holds markup or an entity"
    if text_of(loc) is None:
        return "its <loc> is empty"
    return "its <loc> is not an http(s) URL"


def children(element: etree._Element, name: str) -> list[etree._Element]:
    """Child elements by local name: sitemaps in the wild use more than one namespace, or none."""
    return [c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name]


def child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next(iter(children(element, name)), None)


def text_of(element: etree._Element | None) -> str | None:
    """An element's text; None when it holds markup or an unexpanded entity, whose text would be cut short."""
    if element is None or len(element):
        return None
    return (element.text or "").strip() or None


def w3c_datetime(text: str | None) -> datetime | None:
    """A W3C datetime (YYYY, YYYY-MM, YYYY-MM-DD or with a time) as UTC; no zone means UTC.

    An RFC 822 date, which some sitemaps use, is read too; anything else gives None.
    """
    if not text:
        return None
    if W3C_YEAR.fullmatch(text):
        text += "-01-01"
    elif W3C_MONTH.fullmatch(text):
        text += "-01"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        try:
            value = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # "9999-12-31T23:00-05:00": past the last day in UTC
        return None


def parse_text_sitemap(content: bytes, base_url: str) -> list[Link]:
    """A plain-text sitemap: one absolute URL a line; other lines are skipped."""
    lines = (line.strip() for line in content.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines())
    links = [Link(line) for line in lines if absolute_url(base_url, line) == line and len(line.split()) == 1]
    if not links:
        raise SitemapError(f"{base_url}: not a sitemap (neither XML nor a list of URLs)")
    return unique_by_url(links)


def sitemaps_from_robots(robots_txt: str, base_url: str) -> list[str]:
    """The sitemaps a robots.txt names (its `Sitemap:` lines), absolute, each once."""
    if Protego is not None:
        named = list(Protego.parse(robots_txt).sitemaps)
    else:
        fields = (line.split("#", 1)[0].partition(":") for line in robots_txt.splitlines())
        named = [value for key, _, value in fields if key.strip().lower() == "sitemap"]
    urls = (absolute_url(base_url, url) for url in named)
    return list(dict.fromkeys(url for url in urls if url))
