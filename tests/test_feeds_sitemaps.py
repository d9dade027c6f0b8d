"""Feed, sitemap and URL list parsers over small fixtures written for them (tests/fixtures/feeds/)."""

from __future__ import annotations

import gzip
import hashlib
import random
import time
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import pytest

from pipeline.sources import links, sitemaps
from pipeline.sources.feeds import Feed, FeedError, discover_feeds, parse_feed
from pipeline.sources.links import Link, NotAUrlList, UrlList, parse_url_list
from pipeline.sources.sitemaps import Sitemap, SitemapError, parse_sitemap, sitemaps_from_robots, w3c_datetime

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
SITE = "https://news.example.org"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


# --- feeds ---------------------------------------------------------------------------

def test_rss2_dates_in_several_zones_become_utc():
    feed = parse_feed(fixture("rss2.xml"), f"{SITE}/rss")
    assert feed.malformed is None  # feedparser's flag for a missing Content-Type is no fault
    links = feed.links
    assert links == [
        Link(f"{SITE}/2024/03/01/budget.html", utc(2024, 3, 1, 9, 30), None, "Council approves budget"),
        # a relative <link>, -0500
        Link(f"{SITE}/2024/03/01/storm.html", utc(2024, 3, 1, 13, 15), None, "Storm hits coast & ports"),
        Link(f"{SITE}/2024/03/02/markets.html", utc(2024, 3, 2, 0, 30), None, "Markets open higher"),  # +0530
        Link(f"{SITE}/2024/03/02/final.html", utc(2024, 3, 2, 22, 45, 10), None, "Team wins final"),  # GMT
        Link(f"{SITE}/2024/03/03/ferry.html", utc(2024, 3, 4, 7, 0), None, "Ferry service resumes"),  # PST
        Link(f"{SITE}/2024/03/04/guid.html", None, None, "Guid only story"),  # a permalink <guid>, no <link>
        # the budget story's second item (same URL) is dropped: the first is kept
    ]
    assert all(link.published.tzinfo is timezone.utc for link in links if link.published)


def test_atom_alternate_links_and_both_dates():
    feed = parse_feed(fixture("atom.xml"), "https://blog.example.com/atom.xml")
    assert feed.unlinked == (("tag:blog.example.com,2024:3", "No link here"),)
    links = feed.links
    assert links == [
        # rel=alternate, not the rel=self or rel=replies links before and after it
        Link("https://blog.example.com/posts/election-night",
             published=utc(2024, 3, 4, 17, 0), updated=utc(2024, 3, 5, 1, 30), title="Election night live"),
        # a relative link without rel (alternate by default) against xml:base; an HTML title as text
        Link("https://blog.example.com/posts/bridge", published=None, updated=utc(2024, 3, 3, 15, 5),
             title="Bridge reopens"),
        # the entry without a link is not given its tag: id as URL, but named in `unlinked`
    ]


def test_rdf_dc_date_is_updated():
    assert parse_feed(fixture("rdf.xml"), "https://zeitung.example.de/rss").links == [
        Link("https://zeitung.example.de/artikel/1", None, utc(2024, 3, 1, 9, 0), "Neue Brücke eröffnet"),
        Link("https://zeitung.example.de/artikel/2", None, utc(2024, 2, 29, 22, 30), "Wahl im Herbst"),
    ]


def test_rss091_without_dates():
    assert parse_feed(fixture("rss091.xml"), "http://gazette.example.net/rss").links == [
        Link("http://gazette.example.net/y2k.html", None, None, "Millennium bug fixed"),
    ]


def test_a_feed_without_items_is_empty_not_an_error():
    empty = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    assert parse_feed(empty, f"{SITE}/rss") == Feed(links=[])


@pytest.mark.parametrize("content, why", [
    (fixture("not_a_feed.html"), "an HTML page"),
    (fixture("broken.xml"), "not well-formed XML"),
    (fixture("sitemap.xml"), "no <rss>, <rdf:RDF> or <feed> root element"),
    (fixture("sitemap.txt"), "not XML"),
    (b"", "empty document"),
    (b'<?xml version="1.0"?><config><item>1</item></config>', "no <rss>, <rdf:RDF> or <feed> root element"),
])
def test_not_a_feed(content, why):
    with pytest.raises(FeedError, match=f"^{SITE}/rss: not an RSS, RDF or Atom feed \\({why}"):
        parse_feed(content, f"{SITE}/rss")


def test_feed_error_is_a_value_error():
    assert issubclass(FeedError, ValueError)


def test_content_that_looks_like_a_url_is_not_fetched(monkeypatch):
    def no_fetch(*args, **kwargs):
        raise AssertionError("parse_feed fetched a URL")

    monkeypatch.setattr(feedparser.http, "get", no_fetch)
    with pytest.raises(FeedError, match="not XML"):
        parse_feed(b"https://news.example.org/rss", f"{SITE}/rss")


def test_feed_entity_bomb_is_not_expanded():
    started = time.perf_counter()
    feed = parse_feed(fixture("feed_bomb.xml"), f"{SITE}/rss")
    assert time.perf_counter() - started < 2
    assert [link.url for link in feed.links] == [f"{SITE}/bomb.html"]
    assert len(feed.links[0].title) < 20
    assert "undefined entity" in feed.malformed  # feedparser's XML parser refused it


def test_a_malformed_feed_gives_the_entries_read_and_its_fault():
    unclosed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>G</title>'
                b'<item><title>one</title><link>https://news.example.org/1</link></item>'
                b'<item><title>two<link>https://news.example.org/2</link></item></channel></rss>')
    assert parse_feed(unclosed, f"{SITE}/rss") == Feed(links=[Link(f"{SITE}/1", title="one")],
                                                       malformed="not well-formed XML: <unknown>:1:209: mismatched tag",
                                                       unlinked=(("2", None),))  # its <link> lost in the title


def test_a_malformed_feed_without_entries_is_not_a_feed():
    cut = b'<?xml version="1.0"?><rss version="2.0"><channel><title>G</title>'
    with pytest.raises(FeedError, match="not an RSS, RDF or Atom feed \\(not well-formed XML: .*no element found"):
        parse_feed(cut, f"{SITE}/rss")


def test_discover_feeds_advertised_by_a_home_page():
    # absolute, each once, without the comments feed or the hreflang alternate
    assert discover_feeds(fixture("homepage.html").decode(), f"{SITE}/") == [
        f"{SITE}/rss/all.xml", f"{SITE}/politics/atom.xml",
    ]


def test_discover_feeds_resolves_against_the_page_url():
    page = '<html><head><link rel="alternate" type="application/atom+xml" href="atom.xml"></head></html>'
    assert discover_feeds(page, f"{SITE}/world/") == [f"{SITE}/world/atom.xml"]


def test_discover_feeds_falls_back_to_feed_like_anchors():
    page = '<html><body><a href="/about">About</a><a href="/feeds/world.rss">World RSS</a></body></html>'
    assert discover_feeds(page, f"{SITE}/") == [f"{SITE}/feeds/world.rss"]


def test_discover_feeds_none():
    assert discover_feeds(fixture("not_a_feed.html").decode(), f"{SITE}/") == []


# --- sitemaps ------------------------------------------------------------------------

SITEMAP_LINKS = [
    Link(f"{SITE}/", updated=utc(2024, 3, 5)),  # a date alone is midnight UTC
    Link(f"{SITE}/about.html", updated=datetime(2023, 11, 20, 19, 45, 30, 250000, tzinfo=timezone.utc)),
    Link(f"{SITE}/archive.html", updated=utc(2023, 6, 1)),  # YYYY-MM
    Link(f"{SITE}/contact.html"),  # an unreadable lastmod is no date, not an error
    # the home page's second <url> is dropped: the first is kept
]


def test_urlset_lastmod_is_updated():
    assert parse_sitemap(fixture("sitemap.xml"), f"{SITE}/sitemap.xml") == Sitemap(links=SITEMAP_LINKS, sitemaps=[])


def test_news_sitemap_publication_date_and_title():
    assert parse_sitemap(fixture("news_sitemap.xml"), f"{SITE}/news-sitemap.xml").links == [
        Link(f"{SITE}/2024/03/01/budget.html", published=utc(2024, 3, 1, 9, 30), updated=utc(2024, 3, 1, 12, 0),
             title="Council approves budget"),
        Link(f"{SITE}/2024/03/01/storm.html?id=7&ref=home", published=utc(2024, 3, 1, 13, 15),
             title="Storm hits coast & ports"),
        Link(f"{SITE}/2024/02/29/leap.html", published=utc(2024, 2, 29), title="Leap day"),
    ]


def test_sitemap_index_lists_sitemaps():
    assert parse_sitemap(fixture("sitemap_index.xml"), f"{SITE}/sitemap.xml") == Sitemap(
        links=[], sitemaps=[f"{SITE}/sitemap-news.xml", f"{SITE}/sitemaps/2024-02.xml.gz"],
    )


def test_entries_without_an_http_loc_are_unlinked_each_named_once():
    """Named by their <loc>, else news:title, else place, as a feed's entries by id, title, place."""
    assert parse_sitemap(fixture("unlinked_sitemap.xml"), f"{SITE}/sitemap.xml") == Sitemap(
        links=[Link(f"{SITE}/kept.html")], sitemaps=[], unlinked=(
            ("2", "links no page: no <loc>"),
            ("ftp://news.example.org/files/report.pdf", "links no page: its <loc> is not an http(s) URL"),
            ("javascript:void(0)", "links no page: its <loc> is not an http(s) URL"),  # the 6th: the same entry
            ("Storm hits coast", "links no page: its <loc> is empty"),
        ))
    assert parse_sitemap(fixture("unlinked_index.xml"), f"{SITE}/sitemap.xml") == Sitemap(
        links=[], sitemaps=[f"{SITE}/sitemap-news.xml"], unlinked=(
            ("2", "links no sitemap: no <loc>"),
            ("ftp://news.example.org/sitemap-old.xml", "links no sitemap: its <loc> is not an http(s) URL"),
        ))
    assert parse_sitemap(fixture("entity_sitemap.xml"), f"{SITE}/sitemap.xml").unlinked == (
        ("2", "links no page: its <loc> holds markup or an entity"),)


def test_gzipped_sitemap_is_detected_by_its_magic_bytes():
    packed = gzip.compress(fixture("sitemap.xml"))
    assert parse_sitemap(packed, f"{SITE}/sitemap.xml").links == SITEMAP_LINKS  # the name says nothing of gzip


def test_truncated_gzip_is_an_error():
    with pytest.raises(SitemapError, match="gzip data ends early"):
        parse_sitemap(gzip.compress(fixture("sitemap.xml"))[:-40], f"{SITE}/sitemap.xml.gz")


def test_gzip_bomb_is_not_inflated_past_the_limit(monkeypatch):
    monkeypatch.setattr(sitemaps, "MAX_SITEMAP_BYTES", 10_000)
    with pytest.raises(SitemapError, match="larger than 10000 bytes uncompressed"):
        parse_sitemap(gzip.compress(b"https://news.example.org/x\n" * 100_000), f"{SITE}/sitemap.txt.gz")


def test_plain_text_sitemap():
    # a BOM, CRLF, blank lines, spaces around a URL, a repeated URL
    assert parse_sitemap(fixture("sitemap.txt"), f"{SITE}/sitemap.txt").links == [
        Link(f"{SITE}/2024/03/01/budget.html"), Link(f"{SITE}/2024/03/01/storm.html"),
        Link(f"{SITE}/2024/03/02/markets.html"),
    ]


@pytest.mark.parametrize("name, why", [
    ("not_a_feed.html", "the root element is <html>"),  # well-formed: read as XML
    ("homepage.html", r"\(an HTML page\)"),  # not well-formed (an unclosed <link>)
    ("broken.xml", r"\(not well-formed XML: .*line 10"),
    ("rss2.xml", r"the root element is <rss>.*\(an RSS or Atom feed: read it as a feed\)"),
    ("atom.xml", r"the root element is <feed>"),
])
def test_not_a_sitemap(name, why):
    with pytest.raises(SitemapError, match=f"^{SITE}/sitemap.xml: not a sitemap.*{why}"):
        parse_sitemap(fixture(name), f"{SITE}/sitemap.xml")


def test_text_without_urls_is_not_a_sitemap():
    with pytest.raises(SitemapError, match=r"neither XML nor a list of URLs"):
        parse_sitemap(b"User-agent: *\nDisallow: /private\n", f"{SITE}/sitemap.txt")


def test_sitemap_error_is_a_value_error():
    assert issubclass(SitemapError, ValueError)


def test_billion_laughs_does_not_expand():
    started = time.perf_counter()
    try:
        sitemap = parse_sitemap(fixture("bomb.xml"), f"{SITE}/sitemap.xml")
    except SitemapError as e:  # libxml2 refuses the declarations outright
        assert "not well-formed XML" in str(e)
    else:  # or parses without expanding them: the <loc> that uses one is dropped
        assert [link.url for link in sitemap.links] == [f"{SITE}/safe.html"]
    assert time.perf_counter() - started < 2


def test_entities_are_not_resolved_into_urls():
    assert parse_sitemap(fixture("entity_sitemap.xml"), f"{SITE}/sitemap.xml").links == [Link(f"{SITE}/kept.html")]


@pytest.mark.parametrize("text, expected", [
    ("2024", utc(2024, 1, 1)),
    ("2024-03", utc(2024, 3, 1)),
    ("2024-03-05", utc(2024, 3, 5)),
    ("2024-03-05T10:20Z", utc(2024, 3, 5, 10, 20)),
    ("2024-03-05T10:20:30+02:00", utc(2024, 3, 5, 8, 20, 30)),
    ("2024-03-05T23:20:30.5-03:00", datetime(2024, 3, 6, 2, 20, 30, 500000, tzinfo=timezone.utc)),
    ("2024-03-05T10:20:30", utc(2024, 3, 5, 10, 20, 30)),  # no zone: UTC
    ("Tue, 05 Mar 2024 10:20:30 +0100", utc(2024, 3, 5, 9, 20, 30)),  # RFC 822, as some sitemaps have
    ("yesterday", None),
    ("", None),
    (None, None),
])
def test_w3c_datetime(text, expected):
    value = w3c_datetime(text)
    assert value == expected
    assert value is None or value.tzinfo is timezone.utc


ROBOTS = """User-agent: *
Disallow: /search
Sitemap: /sitemap.xml
sitemap:https://news.example.org/news-sitemap.xml  # comment
Sitemap: https://cdn.example.net/sitemaps/index.xml
Sitemap: /sitemap.xml
Sitemap: ftp://news.example.org/old.xml
"""
ROBOTS_SITEMAPS = [f"{SITE}/sitemap.xml", f"{SITE}/news-sitemap.xml", "https://cdn.example.net/sitemaps/index.xml"]


def test_sitemaps_from_robots():
    assert sitemaps_from_robots(ROBOTS, f"{SITE}/robots.txt") == ROBOTS_SITEMAPS


def test_sitemaps_from_robots_without_protego(monkeypatch):
    monkeypatch.setattr(sitemaps, "Protego", None)
    assert sitemaps_from_robots(ROBOTS, f"{SITE}/robots.txt") == ROBOTS_SITEMAPS


# --- URL lists -----------------------------------------------------------------------

def test_url_list_lines_comments_and_bad_lines():
    content = ("\ufeffhttps://news.example.org/a\r\n"  # a BOM, Windows line ends
               "  HTTPS://News.example.org/b  \r\n\r\n# caf\xe9\r\n  # indented\r\n"
               "news.example.org/c\r\nhttps://news.example.org/d see this\r\nmailto:desk@example.org\r\n"
               + "x" * 300).encode("utf-8").replace(b"\xc3\xa9", b"\xe9")  # Latin-1 in a comment
    assert parse_url_list(content) == UrlList(
        links=[Link("https://news.example.org/a"), Link("https://News.example.org/b")],  # the scheme in lower case
        bad_lines=[(6, "news.example.org/c", "not an http(s) URL"),
                   (7, "https://news.example.org/d see this", "not an http(s) URL"),
                   (8, "mailto:desk@example.org", "not an http(s) URL"),
                   (9, "x" * 200 + f"… ({hashlib.sha256(b'x' * 300).hexdigest()[:12]})", "not an http(s) URL")],
    )


def test_a_url_list_line_that_is_not_utf8_is_a_bad_line_not_another_url():
    listed = parse_url_list(b"https://news.example.org/caf\xe9.html\nhttps://news.example.org/ok\n"
                            + "https://news.example.org/\ufffd\n".encode())  # U+FFFD itself, in UTF-8
    assert listed == UrlList(links=[Link("https://news.example.org/ok"), Link("https://news.example.org/\ufffd")],
                             bad_lines=[(1, "https://news.example.org/caf\ufffd.html", "not UTF-8")])


def test_a_gzipped_url_list_is_told_by_its_magic_bytes_and_inflated():
    lines = b"https://news.example.org/a\nnews.example.org/b\n"
    packed = gzip.compress(lines[:20]) + gzip.compress(lines[20:])  # two members, as `cat a.gz b.gz` makes
    assert parse_url_list(packed) == parse_url_list(lines) == UrlList(
        links=[Link("https://news.example.org/a")], bad_lines=[(2, "news.example.org/b", "not an http(s) URL")])


@pytest.mark.parametrize("content, what", [
    (b"<!DOCTYPE html><html><body><a href='https://news.example.org/a'>A</a></body></html>", "an HTML page"),
    (b'{"urls": ["https://news.example.org/a"]}', "JSON"),
    (b' [\n "https://news.example.org/a",\n "https://news.example.org/b"\n]\n', "JSON"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', r"an XML document \(a feed or sitemap\?\)"),
    (random.Random(7).randbytes(2_000_000), "binary data"),
    (b"%PDF-1.7\n" + b"https://news.example.org/a\n" * 50, r"binary data \(PDF document\)"),
    (gzip.compress(random.Random(8).randbytes(100_000)), "binary data"),  # inflated first
    (gzip.compress(b"https://news.example.org/a\n" * 10)[:-12], r"gzip data ends early \(truncated download\?\)"),
])
def test_a_document_that_is_not_lines_of_text_is_not_a_url_list_rather_than_bad_lines(content, what):
    with pytest.raises(NotAUrlList, match=f"^{what}"):
        parse_url_list(content)


def test_a_gzipped_url_list_is_not_inflated_past_its_limit(monkeypatch):
    monkeypatch.setattr(links, "MAX_URL_LIST_BYTES", 10_000)
    with pytest.raises(NotAUrlList, match=r"larger than 10000 bytes uncompressed \(the URL list limit\)"):
        parse_url_list(gzip.compress(b"https://news.example.org/x\n" * 100_000))


def test_a_url_list_opening_with_a_line_in_brackets_or_ending_in_a_dos_eof_is_read_line_by_line():
    content = b"[Gazette]\r\n" + b"https://news.example.org/a\r\n" * 200 + b"\x1a"  # Ctrl-Z: an old editor's end
    assert parse_url_list(content) == UrlList(
        links=[Link("https://news.example.org/a")] * 200,
        bad_lines=[(1, "[Gazette]", "not an http(s) URL"), (202, "\x1a", "not an http(s) URL")])


def test_a_lastmod_past_the_last_day_in_utc_is_no_date():
    assert w3c_datetime("9999-12-31T23:00:00-05:00") is None
    assert w3c_datetime("9999-12-31T23:00:00+05:00") == datetime(9999, 12, 31, 18, tzinfo=timezone.utc)

