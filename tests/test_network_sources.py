"""Network sources end to end, against real HTTP servers on 127.0.0.1: a feed, a sitemap
index, a URL list and a WARC file over HTTP, beside every fault a real server throws.
Every good page is archived once, every bad one is rejected and quarantined with its
reason, and a second run changes nothing and fetches nothing it already has."""

from __future__ import annotations

import gzip
import io
import os
import random
import time
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime

import duckdb
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.job import run_plain
from pipeline.settings import Settings
from pipeline.sources import warc_cache
from pipeline.sources.config import Source
from pipeline.sources.http import download_name, in_range, plan_fetches
from pipeline.sources.links import Link
from pipeline.store import ArchivePaths
from tests.corpus import TOPICS
from tests.processes import RunProcess, run_to_end
from tests.webserver import Route, WebServer, fault_routes, html, robots

CP1252_SENTENCE = "The caf\u00e9 served cr\u00e8me br\u00fbl\u00e9e \u2014 \u201cthe best in town\u201d, said the na\u00efve critic."
PUBLISHED = datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc)
FAULTS = {  # path: (outcome, reason) after one run with max_fetch_failures = 1
    "/not-found": ("quarantined", "http_404"),
    "/slow": ("quarantined", "timeout"),
    "/loop/a": ("quarantined", "too_many_redirects"),
    "/big": ("quarantined", "too_large"),
    "/gzip-bomb": ("quarantined", "too_large"),
}


WORDS = sorted({w.strip(".,").lower() for topic in TOPICS for w in " ".join(topic[1:]).split()})


def article(n: int, extra: str = "") -> str:
    """A page of story `n`: its own headline and paragraphs, sharing no run of words with another."""
    pick = random.Random(n)
    paragraphs = "".join(
        "<p>" + " ".join(pick.choice(WORDS) for _ in range(25)).capitalize() + ".</p>" for _ in range(4))
    headline = f"{TOPICS[n % len(TOPICS)][1]}, report {n}"
    return (f"<html><head><title>{headline}</title></head><body><nav>Home News Sport</nav><article>"
            f"<h1>{headline}</h1>{paragraphs}<p>{extra}</p></article></body></html>")


def rss(items: list[tuple[str, datetime]]) -> bytes:
    entries = "".join(f"<item><title>t</title><link>{url}</link><pubDate>{format_datetime(when)}</pubDate></item>"
                      for url, when in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>{entries}</channel></rss>'.encode()


def urlset(urls: list[str]) -> bytes:
    locs = "".join(f"<url><loc>{u}</loc><lastmod>2026-11-19</lastmod></url>" for u in urls)
    return f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'.encode()


def sitemap_index(children: list[str]) -> bytes:
    maps = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in children)
    return f'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{maps}</sitemapindex>'.encode()


def warc_file(pages: dict[str, str]) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for url, body in pages.items():
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body.encode()),
                                                      http_headers=headers, warc_headers_dict={"WARC-Date": "2026-11-21T04:00:00Z"}))
    return out.getvalue()


@pytest.fixture()
def servers():
    """The site, a second host whose robots.txt answers 500, and a TLS host nobody trusts."""
    with WebServer({**fault_routes(slow_s=1.5), "/robots.txt": robots("User-agent: *\nDisallow: /private/\n")}) as site, \
            WebServer({"/robots.txt": Route(500), "/story": html(article(90))}) as closed, \
            WebServer({"/story": html(article(91))}, tls=True) as untrusted:
        pages = {f"/news/{n}": html(article(n)) for n in range(6)}
        site.routes.update(pages)
        site.routes["/news/wrong-charset"] = html(article(7, CP1252_SENTENCE),
                                                  charset="cp1252", headers={"Content-Type": "text/html; charset=utf-8"})
        site.routes["/private/hidden"] = html(article(8))
        site.routes["/feed.xml"] = Route(headers={"Content-Type": "application/rss+xml"}, body=rss(
            [(site.url(f"/news/{n}"), PUBLISHED) for n in range(3)]
            + [(site.url(p), PUBLISHED) for p in ("/rate-limited", "/flaky", "/binary-as-html")]))
        site.routes["/sitemap-a.xml"] = Route(body=urlset([site.url(f"/news/{n}") for n in range(2, 6)]
                                                          + [site.url(p) for p in FAULTS]))
        site.routes["/sitemap-b.xml"] = Route(body=urlset([site.url("/news/wrong-charset"), site.url("/private/hidden"),
                                                           closed.url("/story"), untrusted.url("/story")]))
        site.routes["/sitemap.xml"] = Route(body=sitemap_index([site.url("/sitemap-a.xml"), site.url("/sitemap-b.xml")]))
        site.routes["/crawl.warc.gz"] = Route(headers={"Content-Type": "application/warc"}, body=warc_file(
            {"https://wire.example/world/1": article(20), "https://wire.example/world/2": article(21)}))
        yield site, closed, untrusted


def settings(tmp_path) -> Settings:
    return Settings(archive=tmp_path / "archive", entities=False, allow_private=["127.0.0.1/32"], fetch_timeout_s=0.7,
                    fetch_retries=2, fetch_backoff_s=0.05, min_delay_s=0.0, max_page_bytes=2_000_000,
                    max_fetch_failures=1, shard_size=5)


def query(archive, sql: str) -> list[tuple]:
    paths = ArchivePaths(archive)
    con = duckdb.connect()
    for table in ("documents", "fetches", "rejects", "article_dates", "runs"):
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM {paths.parquet(table)}")
    return con.execute(sql).fetchall()


def test_network_sources_archive_every_good_page_once_and_quarantine_the_bad(tmp_path, servers):
    site, closed, untrusted = servers
    config = settings(tmp_path)
    refs = [f"feed:{site.url('/feed.xml')}|Riverside Gazette", f"sitemap:{site.url('/sitemap.xml')}",
            f"warc:{site.url('/crawl.warc.gz')}"]
    first = run_plain(config, refs)
    archive = config.archive_dir

    good = {site.url(f"/news/{n}") for n in range(6)} | {site.url(p) for p in ("/rate-limited", "/flaky", "/news/wrong-charset")}
    archived = dict(query(archive, "SELECT source_ref, count(*) FROM documents GROUP BY 1"))
    warc_refs = {ref for ref in archived if "crawl.warc.gz#" in ref}
    assert len(warc_refs) == 2
    assert set(archived) - warc_refs == good
    assert set(archived.values()) == {1}  # once each, though /news/2 is in the feed and a sitemap

    fetches = {url.replace(site.base_url, "").replace(closed.base_url, "closed").replace(untrusted.base_url, "tls"):
               (outcome, reason, attempts) for url, outcome, reason, attempts in
               query(archive, "SELECT url, outcome, reason, attempts FROM fetches")}
    for path, (outcome, reason) in FAULTS.items():
        assert fetches[path][:2] == (outcome, reason), path
    assert fetches["/private/hidden"][:2] == ("quarantined", "robots_disallowed")
    assert fetches["closed/story"][:2] == ("quarantined", "robots_unavailable")
    assert fetches["tls/story"][:2] == ("quarantined", "tls_error")
    assert fetches["/flaky"] == ("fetched", None, 2)  # 500, then success on the retry
    assert fetches["/rate-limited"][:2] == ("fetched", None)
    waited = site.requests_to("/rate-limited")
    assert waited[1].started - waited[0].started >= 1.0  # Retry-After: 1 honoured
    assert len(site.requests_to("/loop/a")) <= config.max_redirects + 1

    rejects = {ref.replace(site.base_url, ""): (stage, reason, detail) for ref, stage, reason, detail in
               query(archive, "SELECT source_ref, stage, reason, detail FROM rejects")}
    assert rejects["/binary-as-html"][:2] == ("decode", "binary")  # fetched fine, then refused as a page
    assert rejects["/not-found"][:2] == ("fetch", "http_404")
    assert "not tried again" in rejects["/not-found"][2]
    assert rejects["/slow"][:2] == ("fetch", "timeout") and "quarantined after 1 failed runs" in rejects["/slow"][2]

    [(text,)] = query(archive, f"SELECT text FROM documents WHERE source_ref = '{site.url('/news/wrong-charset')}'")
    assert CP1252_SENTENCE in text  # the body's charset, not the header's

    # the feed's date is a candidate; the page states none, so it dates the page
    [(day, method)] = query(archive, f"""SELECT published_date, published_method FROM article_dates
                                         JOIN documents USING (article_id) WHERE source_ref = '{site.url('/news/0')}'""")
    assert (day, method) == (date(2026, 11, 20), "listed")

    # a second night: nothing new is archived, no good page is fetched again, nothing quarantined is tried
    before = {path: len(site.requests_to(path)) for path in ("/news/0", "/news/5", "/flaky", "/not-found", "/slow")}
    second = run_plain(config, refs)
    after = {path: len(site.requests_to(path)) for path in before}
    assert after == before
    assert (second.articles_archived, second.rejected) == (0, 0)
    assert second.listing["unchanged"] == len(good) + 1  # the binary page was fetched fine, so it is not fetched again
    assert second.listing["quarantined"] == len(FAULTS) + 3
    assert query(archive, "SELECT count(*), count(DISTINCT article_id) FROM documents") == [(first.articles_archived,) * 2]
    assert query(archive, "SELECT status FROM runs ORDER BY started_at") == [("succeeded",), ("succeeded",)]


def test_a_transient_failure_is_tried_again_and_a_changed_page_fetched_conditionally(tmp_path):
    with WebServer({"/robots.txt": robots("")}) as site:
        site.routes["/news/1"] = html(article(1), etag='"v1"')
        site.routes["/news/2"] = Route(503)
        feed = [(site.url("/news/1"), PUBLISHED), (site.url("/news/2"), PUBLISHED)]
        site.routes["/feed.xml"] = Route(body=rss(feed))
        config = Settings(**{**settings(tmp_path).model_dump(), "max_fetch_failures": 3, "fetch_retries": 0})
        run_plain(config, [f"feed:{site.url('/feed.xml')}"])
        assert query(config.archive_dir, "SELECT outcome, failures FROM fetches WHERE url LIKE '%/news/2'") == [("failed", 1)]

        # the server recovers, and the feed says /news/1 changed since: it is asked for with its ETag
        site.routes["/news/2"] = html(article(2))
        time.sleep(1.1)  # feeds give whole seconds: the change must come a second after the fetch
        later = datetime.now(timezone.utc)
        site.routes["/feed.xml"] = Route(headers={"Content-Type": "application/atom+xml"}, body=(
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>G</title>'
            f'<entry><title>a</title><link href="{site.url("/news/1")}"/><updated>{later.isoformat()}</updated></entry>'
            f'<entry><title>b</title><link href="{site.url("/news/2")}"/><updated>2026-11-20T09:30:00Z</updated></entry>'
            '</feed>').encode())
        summary = run_plain(config, [f"feed:{site.url('/feed.xml')}"])
        assert site.requests_to("/news/1")[-1].headers.get("if-none-match") == '"v1"'
        assert summary.articles_archived == 1  # /news/2 at last; /news/1 answered 304
        assert query(config.archive_dir, "SELECT outcome FROM fetches WHERE url LIKE '%/news/1' ORDER BY fetched_at") == [
            ("fetched",), ("not_modified",)]


def test_a_304_to_a_first_fetch_is_a_failure_and_the_page_is_fetched_on_a_later_run(tmp_path):
    """Nothing archived for the page, so nothing to compare: a 304 is the server's fault, not "unchanged"."""
    with WebServer({"/robots.txt": robots(""), "/news/1": Route(304)}) as site:
        site.routes["/feed.xml"] = Route(body=rss([(site.url("/news/1"), PUBLISHED)]))
        config = Settings(**{**settings(tmp_path).model_dump(), "max_fetch_failures": 3})
        first = run_plain(config, [f"feed:{site.url('/feed.xml')}"])
        assert (first.rejected, first.pages_unchanged) == (1, 0)
        [(stage, reason, detail)] = query(config.archive_dir, "SELECT stage, reason, detail FROM rejects")
        assert (stage, reason) == ("fetch", "http_304") and "failure 1 of 3; tried again next run" in detail

        site.routes["/news/1"] = html(article(1))
        second = run_plain(config, [f"feed:{site.url('/feed.xml')}"])
        assert (second.articles_archived, second.listing["unchanged"]) == (1, 0)
        assert query(config.archive_dir, "SELECT outcome, reason, http_status FROM fetches ORDER BY fetched_at") == [
            ("failed", "http_304", 304), ("fetched", None, 200)]


def test_a_listed_change_in_the_future_fetches_a_page_once_not_every_run(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/a": html(article(3), etag='"v1"'), "/b": html(article(4))}) as site:
        site.routes["/map.xml"] = Route(body=(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<url><loc>{site.url("/a")}</loc><lastmod>2100-01-01</lastmod></url></urlset>').encode())
        site.routes["/atom.xml"] = Route(headers={"Content-Type": "application/atom+xml"}, body=(
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>G</title>'
            f'<entry><title>b</title><link href="{site.url("/b")}"/><updated>2999-01-01T00:00:00Z</updated></entry>'
            '</feed>').encode())
        config = settings(tmp_path)
        refs = [f"sitemap:{site.url('/map.xml')}", f"feed:{site.url('/atom.xml')}"]
        assert run_plain(config, refs).articles_archived == 2
        again = run_plain(config, refs)
        assert again.listing["unchanged"] == 2
        assert (len(site.requests_to("/a")), len(site.requests_to("/b"))) == (1, 1)
        # what the listings said is kept, though it decided nothing
        assert sorted(query(config.archive_dir, "SELECT year(listed_updated) FROM fetches")) == [(2100,), (2999,)]


def test_a_listed_date_over_a_day_after_the_listing_is_no_date():
    now = datetime(2026, 11, 21, 12, tzinfo=timezone.utc)
    fetched = now - timedelta(days=3)
    source = Source("sitemap", "https://news.example.org/sitemap.xml")
    links = {path: Link(f"https://news.example.org/{path}", updated=now + ahead)
             for path, ahead in (("late-clock", timedelta(hours=23)), ("far", timedelta(days=1, seconds=1)))}
    history = {link.url: {"outcome": "fetched", "etag": None, "last_modified": None, "fetched_at": fetched}
               for link in links.values()}
    planned, skipped = plan_fetches([(source, link) for link in links.values()], history, now)
    assert [entry["url"] for entry in planned] == [links["late-clock"].url]  # a clock a day fast is allowed
    assert skipped == {"unchanged": 1, "quarantined": 0}
    # backfill: a future publication date does not date the page, a sound update date does
    week = (date(2026, 11, 14), date(2026, 11, 21))
    assert not in_range(Link("https://news.example.org/x", published=datetime(2999, 1, 1, tzinfo=timezone.utc)), *week, now)
    assert in_range(Link("https://news.example.org/y", published=datetime(2999, 1, 1, tzinfo=timezone.utc),
                         updated=datetime(2026, 11, 20, tzinfo=timezone.utc)), *week, now)


def test_a_site_is_read_from_its_feeds_else_its_robots_sitemaps_and_a_url_list_line_by_line(tmp_path):
    with WebServer() as with_feed, WebServer() as without_feed:
        with_feed.routes.update({
            "/robots.txt": robots(""),
            "/": html(f'<html><head><link rel="alternate" type="application/rss+xml" href="{with_feed.url("/feed.xml")}">'
                      '</head><body><p>Home</p></body></html>'),
            "/feed.xml": Route(body=rss([(with_feed.url("/a"), PUBLISHED)])),
            "/a": html(article(30)),
            "/list.txt": Route(body=f"{with_feed.url('/b')}\n\n# not a URL\n{with_feed.url('/a')}\n".encode()),
            "/b": html(article(31)),
        })
        without_feed.routes.update({
            "/robots.txt": robots(f"User-agent: *\nAllow: /\nSitemap: {without_feed.url('/maps/news.xml')}\n"),
            "/": html("<html><body><p>Home, no feed</p></body></html>"),
            "/maps/news.xml": Route(body=urlset([without_feed.url("/c")])),
            "/c": html(article(32)),
        })
        config = settings(tmp_path)
        summary = run_plain(config, [f"site:{with_feed.url('/')}", f"site:{without_feed.url('/')}",
                                     f"urls:{with_feed.url('/list.txt')}"])
        archived = {ref for (ref,) in query(config.archive_dir, "SELECT source_ref FROM documents")}
        assert archived == {with_feed.url("/a"), with_feed.url("/b"), without_feed.url("/c")}
        assert summary.listing["listed"] == 3  # /a twice (feed and list), fetched once
        assert len(with_feed.requests_to("/a")) == 1
        assert not without_feed.requests_to("/sitemap.xml")  # robots.txt named the sitemap


def test_a_home_page_that_links_a_sitemap_or_a_broken_feed_is_still_read(tmp_path):
    """No feed advertised: discovery takes an <a> link ending in .xml. A sitemap there is read
    as one; a link that is neither falls back to robots.txt's sitemaps, and is a reject."""
    with WebServer() as mapped, WebServer() as broken:
        mapped.routes.update({
            "/robots.txt": robots(""),
            "/": html('<html><body><p>Home</p><a href="/map.xml">Site map</a></body></html>'),
            "/map.xml": Route(body=sitemap_index([mapped.url("/news.xml")])),
            "/news.xml": Route(body=urlset([mapped.url("/a")])),
            "/a": html(article(33)),
        })
        broken.routes.update({
            "/robots.txt": robots(f"User-agent: *\nAllow: /\nSitemap: {broken.url('/maps/news.xml')}\n"),
            "/": html('<html><body><p>Home</p><a href="/data.xml">Data</a></body></html>'),
            "/data.xml": Route(body=b'<?xml version="1.0"?><prices><price>3</price></prices>'),
            "/maps/news.xml": Route(body=urlset([broken.url("/c")])),
            "/c": html(article(34)),
        })
        config = settings(tmp_path)
        run_plain(config, [f"site:{mapped.url('/')}", f"site:{broken.url('/')}"])
        archived = {ref for (ref,) in query(config.archive_dir, "SELECT source_ref FROM documents")}
        assert archived == {mapped.url("/a"), broken.url("/c")}
        assert query(config.archive_dir, "SELECT source_ref, reason FROM rejects") == [(broken.url("/data.xml"), "not_a_feed")]


def test_a_listing_that_fails_is_a_reject_and_the_other_sources_are_archived(tmp_path):
    with WebServer({"/robots.txt": robots("")}) as site:
        site.routes["/a"] = html(article(40))
        site.routes["/feed.xml"] = html("<html><body><p>This is a web page, not a feed.</p></body></html>")
        config = settings(tmp_path)
        summary = run_plain(config, [f"feed:{site.url('/feed.xml')}", f"sitemap:{site.url('/gone.xml')}",
                                     f"page:{site.url('/a')}"])
        assert summary.articles_archived == 1
        rejects = {ref.replace(site.base_url, ""): (stage, reason) for ref, stage, reason in
                   query(config.archive_dir, "SELECT source_ref, stage, reason FROM rejects")}
        assert rejects == {"/feed.xml": ("list", "not_a_feed"), "/gone.xml": ("list", "http_404")}


def test_a_run_killed_while_fetching_then_run_again_archives_each_page_once(tmp_path):
    """SIGKILL in the middle of the fetches (the server is slow on purpose): nothing of the
    dead run is visible, the next run records it as crashed and fetches what it lost."""
    pages = {f"/news/{n}": html(article(n), delay_s=0.15) for n in range(50, 74)}
    with WebServer({"/robots.txt": robots(""), **pages}) as site:
        site.routes["/feed.xml"] = Route(body=rss([(site.url(p), PUBLISHED) for p in pages]))
        env = {"NEWSARCHIVE_ALLOW_PRIVATE": '["127.0.0.1/32"]', "NEWSARCHIVE_MIN_DELAY_S": "0",
               "NEWSARCHIVE_SHARD_SIZE": "6"}
        archive = tmp_path / "archive"
        killed = RunProcess([f"feed:{site.url('/feed.xml')}"], archive, tmp_path / "killed", env)
        deadline = time.monotonic() + 120
        while sum(len(site.requests_to(p)) for p in pages) < 8 and time.monotonic() < deadline and killed.alive():
            time.sleep(0.02)
        assert killed.alive(), killed.output()
        killed.kill()
        fetched_before_the_kill = {p for p in pages if site.requests_to(p)}
        assert 8 <= len(fetched_before_the_kill) < len(pages)  # killed mid-fetch
        assert query(archive, "SELECT count(*) FROM documents") == [(0,)]  # nothing of it visible
        assert query(archive, "SELECT count(*) FROM fetches") == [(0,)]

        again = run_to_end([f"feed:{site.url('/feed.xml')}"], archive, tmp_path / "again", env)
        assert "crashed runs recorded" in again.output()
        archived = [ref for (ref,) in query(archive, "SELECT source_ref FROM documents")]
        assert sorted(archived) == sorted(site.url(p) for p in pages)  # each page once
        assert query(archive, "SELECT count(DISTINCT url), count(*) FROM fetches") == [(len(pages), len(pages))]
        assert sorted(status for (status,) in query(archive, "SELECT status FROM runs")) == ["crashed", "succeeded"]


def test_each_failed_attempt_at_a_page_is_a_reject_of_its_run_until_it_is_quarantined(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/down": Route(500)}) as site:
        site.routes["/feed.xml"] = Route(body=rss([(site.url("/down"), PUBLISHED)]))
        config = Settings(**{**settings(tmp_path).model_dump(), "max_fetch_failures": 3, "fetch_retries": 0})
        summaries = [run_plain(config, [f"feed:{site.url('/feed.xml')}"]) for _ in range(4)]
        assert [(s.rejected, s.pages_unchanged) for s in summaries] == [(1, 0), (1, 0), (1, 0), (0, 0)]
        assert summaries[3].listing["quarantined"] == 1 and len(site.requests_to("/down")) == 3
        details = query(config.archive_dir, "SELECT r.detail FROM rejects r JOIN runs USING (run_id) ORDER BY started_at")
        assert [d.split("(")[-1] for (d,) in details] == [
            "failure 1 of 3; tried again next run)", "failure 2 of 3; tried again next run)", "quarantined after 3 failed runs)"]


def test_a_local_url_list_with_a_byte_that_is_not_utf8_is_read(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/a": html(article(64))}) as site:
        listed = tmp_path / "list.txt"
        listed.write_bytes(b"# Caf\xe9 Gazette, exported in Latin-1\n" + site.url("/a").encode() + b"\n")
        config = settings(tmp_path)
        summary = run_plain(config, [f"urls:{listed}"])
        assert summary.articles_archived == 1
        assert query(config.archive_dir, "SELECT count(*) FROM rejects") == [(0,)]


def rejects_of(archive, base_url: str) -> set[tuple[str, str, str, str]]:
    """(source_ref, stage, reason, detail) of every reject, the server's address cut from source_ref."""
    return {(ref.replace(base_url, ""), stage, reason, detail) for ref, stage, reason, detail in
            query(archive, "SELECT source_ref, stage, reason, detail FROM rejects")}


def test_a_url_list_takes_any_case_scheme_and_rejects_a_line_that_is_not_a_url(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/a": html(article(65)), "/b": html(article(66))}) as site:
        host = site.base_url.removeprefix("http://")
        lines = f"HTTP://{host}/a\n\n# a comment\n   # an indented comment\n{host}/b\n{site.url('/b')}\n"
        site.routes["/list.txt"] = Route(body=lines.encode())
        local = tmp_path / "list.txt"
        local.write_text(lines)
        config = settings(tmp_path)
        summary = run_plain(config, [f"urls:{site.url('/list.txt')}", f"urls:{local}"])
        archived = {ref for (ref,) in query(config.archive_dir, "SELECT source_ref FROM documents")}
        assert archived == {site.url("/a"), site.url("/b")}
        assert summary.listing["listed"] == 2  # each once, though in both lists
        assert rejects_of(config.archive_dir, site.base_url) == {  # the bad line is what was rejected, in its list
            (f"/list.txt#{host}/b", "list", "bad_url", f"urls:{site.url('/list.txt')}: line 5: not an http(s) URL"),
            (f"{local}#{host}/b", "list", "bad_url", f"urls:{local}: line 5: not an http(s) URL"),
        }
        local.write_text(lines + "www.example.org/c\n")
        again = run_plain(config, [f"urls:{local}", f"urls:{local}"])  # named twice: read once
        assert (again.rejected, again.pages_unchanged) == (1, 0)  # the new bad line; the old one is known
        site.routes["/home"] = html(f'<html><body><a href="{site.url("/a")}">A</a></body></html>')
        page = run_plain(config, [f"urls:{site.url('/home')}"])
        assert page.rejected == 1 and ("/home", "list", "not_a_url_list", f"urls:{site.url('/home')}: "
                                       "an HTML page, not a list of URLs") in rejects_of(config.archive_dir, site.base_url)


def test_a_gzipped_url_list_is_read_and_one_that_is_not_text_is_one_reject(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/a": html(article(67)), "/b": html(article(68)),
                    "/api": Route(headers={"Content-Type": "application/json"},
                                  body=b'{"items": [{"url": "/a"}, {"url": "/b"}]}\n')}) as site:
        site.routes["/list.txt.gz"] = Route(headers={"Content-Type": "application/gzip"},
                                            body=gzip.compress(f"{site.url('/a')}\n".encode()))
        local = tmp_path / "list.txt"  # gzip'ed under a name that does not say so
        local.write_bytes(gzip.compress(f"# the b list\n{site.url('/b')}\n".encode()))
        noise = tmp_path / "noise.txt"
        noise.write_bytes(random.Random(3).randbytes(2_000_000))
        config = settings(tmp_path)
        summary = run_plain(config, [f"urls:{site.url('/list.txt.gz')}", f"urls:{local}", f"urls:{noise}",
                                     f"urls:{site.url('/api')}"])
        archived = {ref for (ref,) in query(config.archive_dir, "SELECT source_ref FROM documents")}
        assert archived == {site.url("/a"), site.url("/b")}
        assert (summary.rejected, len(summary.parts)) == (2, 1)
        assert rejects_of(config.archive_dir, site.base_url) == {
            (str(noise), "list", "not_a_url_list", f"urls:{noise}: binary data, not a list of URLs"),
            ("/api", "list", "not_a_url_list", f"urls:{site.url('/api')}: JSON, not a list of URLs")}


def test_two_remote_warcs_of_one_name_are_each_read_and_named_by_their_url(tmp_path):
    with WebServer({"/robots.txt": robots("")}) as site:
        site.routes["/crawl.warc.gz"] = Route(body=warc_file(
            {"https://wire.example/a/1": article(60), "https://wire.example/a/2": article(61)}))
        site.routes["/other/crawl.warc.gz"] = Route(body=warc_file({"https://wire.example/b/1": article(62)}))
        config = settings(tmp_path)
        refs = [f"warc:{site.url('/crawl.warc.gz')}", f"warc:{site.url('/other/crawl.warc.gz')}"]
        run_plain(config, refs)
        assert query(config.archive_dir, "SELECT count(*) FROM rejects") == [(0,)]
        archived = dict(query(config.archive_dir, "SELECT url, source_ref FROM documents"))
        assert sorted(archived) == ["https://wire.example/a/1", "https://wire.example/a/2", "https://wire.example/b/1"]
        # the WARC's URL and the record's offset, not the file the run downloaded it to
        assert archived["https://wire.example/a/2"].startswith(site.url("/crawl.warc.gz#"))
        assert archived["https://wire.example/b/1"].startswith(site.url("/other/crawl.warc.gz#"))

        again = run_plain(config, refs)
        assert (again.articles_archived, again.rejected) == (0, 0)


def test_a_remote_warc_is_kept_and_read_again_while_its_server_says_it_has_not_changed(tmp_path):
    with WebServer({"/robots.txt": robots("")}) as site:
        first = {"https://wire.example/k/1": article(90), "https://wire.example/k/2": article(91)}
        site.routes["/kept.warc.gz"] = Route(body=warc_file(first), etag='"v1"')
        site.routes["/plain.warc.gz"] = Route(body=warc_file({"https://wire.example/p/1": article(92)}))  # no validators
        config = settings(tmp_path)
        refs = [f"warc:{site.url('/kept.warc.gz')}", f"warc:{site.url('/plain.warc.gz')}"]
        cache = ArchivePaths(config.archive_dir).warc_cache
        assert run_plain(config, refs).articles_archived == 3
        kept = cache / download_name(site.url("/kept.warc.gz"))
        assert sorted(p.name for p in cache.iterdir()) == [kept.name, kept.name + ".http.json"]  # not the one without

        again = run_plain(config, refs)
        sent = [r.headers.get("if-none-match") for r in site.requests_to("/kept.warc.gz")]
        assert sent == [None, '"v1"']  # asked, and answered 304: nothing downloaded
        assert (again.pages_read, again.articles_archived, again.rejected) == (3, 0, 0)  # the kept copy read

        site.routes["/kept.warc.gz"] = Route(body=warc_file({**first, "https://wire.example/k/3": article(93)}), etag='"v2"')
        changed = run_plain(config, refs)
        assert (changed.articles_archived, changed.rejected) == (1, 0)
        assert query(config.archive_dir, "SELECT source_ref FROM documents WHERE url = 'https://wire.example/k/3'")[0][0] \
            .startswith(site.url("/kept.warc.gz#"))  # named by its URL, not by the cache's file
        assert warc_cache.kept(cache, kept.name).etag == '"v2"'

        unused = run_plain(config.model_copy(update={"warc_cache_days": 0}), refs)  # a job keeping none empties the cache
        assert unused.articles_archived == 0 and list(cache.iterdir()) == []
        assert site.requests_to("/kept.warc.gz")[-1].headers.get("if-none-match") is None


def test_a_remote_file_that_is_no_warc_is_not_kept(tmp_path):
    with WebServer({"/robots.txt": robots("")}) as site:
        site.routes["/moved.warc.gz"] = html("<html><body><p>Moved: see our archive page.</p></body></html>", etag='"m1"')
        config = settings(tmp_path)
        for _ in range(2):
            run_plain(config, [f"warc:{site.url('/moved.warc.gz')}"])
        assert [r.headers.get("if-none-match") for r in site.requests_to("/moved.warc.gz")] == [None, None]
        assert list(ArchivePaths(config.archive_dir).warc_cache.iterdir()) == []


def test_the_warc_cache_drops_what_no_job_named_for_its_days_and_dead_jobs_downloads(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    for name, age_days in (("old.warc.gz", 31), ("recent.warc.gz", 29)):
        (cache / name).write_bytes(b"WARC/1.0\r\n")
        (cache / (name + ".http.json")).write_text('{"etag": "x"}')
        then = time.time() - age_days * 86_400
        os.utime(cache / name, (then, then))
    (cache / ".half.warc.gz.part").write_bytes(b"WARC")
    (cache / "lost.warc.gz.http.json").write_text("{}")
    assert warc_cache.prune(cache, 30) == ["old.warc.gz"]
    assert sorted(p.name for p in cache.iterdir()) == ["recent.warc.gz", "recent.warc.gz.http.json"]
    assert warc_cache.kept(cache, "recent.warc.gz").etag == "x"
    assert warc_cache.kept(cache, "old.warc.gz") is None


def test_a_remote_warc_that_is_not_one_or_too_large_is_a_reject_and_the_run_goes_on(tmp_path):
    with WebServer({"/robots.txt": robots("")}) as site:
        site.routes["/a"] = html(article(63))
        site.routes["/crawl.warc.gz"] = html("<html><body><p>Moved: see our archive page.</p></body></html>")
        big = warc_file({f"https://wire.example/big/{n}": article(n) for n in range(64, 67)})
        site.routes["/big.warc.gz"] = Route(body=big)
        config = settings(tmp_path).model_copy(update={"max_warc_bytes": len(big) - 1})
        sources = [f"warc:{site.url('/crawl.warc.gz')}", f"warc:{site.url('/big.warc.gz')}", f"page:{site.url('/a')}"]
        summary = run_plain(config, sources)
        assert summary.articles_archived == 1
        rejects = {ref: (stage, reason, detail) for ref, stage, reason, detail in
                   rejects_of(config.archive_dir, site.base_url)}
        assert rejects["/crawl.warc.gz"][:2] == ("list", "not_a_warc")
        assert f"{site.url('/crawl.warc.gz')}: not a WARC or ARC file" in rejects["/crawl.warc.gz"][2]
        assert rejects["/big.warc.gz"][:2] == ("list", "too_large")


def test_sitemap_loops_and_chains_past_the_depth_limit_are_rejects(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/x": html(article(67)), "/deep": html(article(68))}) as site:
        chain = [f"/chain-{n}.xml" for n in range(5)]  # an index 4 levels deep; 3 are followed
        site.routes.update({
            "/self.xml": Route(body=sitemap_index([site.url("/self.xml")])),
            "/a.xml": Route(body=sitemap_index([site.url("/b.xml")])),
            "/b.xml": Route(body=sitemap_index([site.url("/a.xml")])),
            # a loop beside a sitemap that lists a page is no fault of the listing
            "/looped.xml": Route(body=sitemap_index([site.url("/looped.xml"), site.url("/pages.xml")])),
            "/pages.xml": Route(body=urlset([site.url("/x")])),
            **{path: Route(body=sitemap_index([site.url(below)])) for path, below in zip(chain, chain[1:])},
            chain[-1]: Route(body=urlset([site.url("/deep")])),
        })
        config = settings(tmp_path)
        summary = run_plain(config, [f"sitemap:{site.url(p)}" for p in ("/self.xml", "/a.xml", "/looped.xml", chain[0])])
        assert summary.articles_archived == 1
        assert not site.requests_to(chain[-1])
        rejects = {ref: (stage, reason, detail) for ref, stage, reason, detail in
                   rejects_of(config.archive_dir, site.base_url)}
        assert rejects == {
            "/self.xml": ("list", "sitemap_loop", f"sitemap:{site.url('/self.xml')}: {site.url('/self.xml')} "
                          "lists itself (a loop), and no sitemap read lists a page"),
            "/b.xml": ("list", "sitemap_loop", f"sitemap:{site.url('/a.xml')}: {site.url('/b.xml')} lists "
                       f"{site.url('/a.xml')}, an index above it (a loop), and no sitemap read lists a page"),
            chain[3]: ("list", "sitemap_limit", f"sitemap:{site.url(chain[0])}: {site.url(chain[3])} is a sitemap "
                       f"index 3 levels below {site.url(chain[0])}, the limit: sitemaps it lists not read: 1 "
                       f"({site.url(chain[4])} first)"),
        }


def four_sitemaps(site: WebServer, first_story: int) -> None:
    """/map-0.xml to /map-3.xml, each listing one page of its own (/news-0 to /news-3)."""
    site.routes.update({f"/news-{n}": html(article(first_story + n)) for n in range(4)})
    site.routes.update({f"/map-{n}.xml": Route(body=urlset([site.url(f"/news-{n}")])) for n in range(4)})


def test_sitemaps_past_the_count_limit_are_a_reject(tmp_path):
    with WebServer({"/robots.txt": robots("")}) as site:
        four_sitemaps(site, 70)
        site.routes["/index.xml"] = Route(body=sitemap_index([site.url(f"/map-{n}.xml") for n in range(4)]))
        config = settings(tmp_path).model_copy(update={"sitemap_max_files": 3})
        summary = run_plain(config, [f"sitemap:{site.url('/index.xml')}"])
        assert summary.articles_archived == 2  # the index and two of its sitemaps read
        assert rejects_of(config.archive_dir, site.base_url) == {
            ("/map-2.xml", "list", "sitemap_limit", f"sitemap:{site.url('/index.xml')}: 3 sitemaps read, the limit: "
             f"sitemaps not read: 2 ({site.url('/map-2.xml')} first)"),
        }


def test_the_sitemaps_a_home_page_links_share_one_count_limit(tmp_path):
    with WebServer({"/robots.txt": robots("")}) as site:
        four_sitemaps(site, 80)
        site.routes["/a.xml"] = Route(body=sitemap_index([site.url(f"/map-{n}.xml") for n in (0, 1)]))
        site.routes["/b.xml"] = Route(body=sitemap_index([site.url(f"/map-{n}.xml") for n in (2, 3)]))
        site.routes["/"] = html('<html><body><p>Home</p><a href="/a.xml">A</a> <a href="/b.xml">B</a></body></html>')
        config = settings(tmp_path).model_copy(update={"sitemap_max_files": 3})
        summary = run_plain(config, [f"site:{site.url('/')}"])
        assert summary.articles_archived == 3  # of the four sitemaps the two indexes list, three read in all
        assert [reason for _, _, reason, _ in rejects_of(config.archive_dir, site.base_url)] == ["sitemap_limit"]


def test_a_malformed_feed_keeps_what_parsed_and_is_a_reject_as_is_an_entry_without_a_link(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/news/1": html(article(75)), "/news/2": html(article(76))}) as site:
        # the second item's <title> is never closed: feedparser's lenient parser loses its <link>
        site.routes["/feed.xml"] = Route(body=(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>G</title>'
            f'<item><title>one</title><link>{site.url("/news/1")}</link></item>'
            f'<item><title>two<link>{site.url("/news/2")}</link></item></channel></rss>').encode())
        site.routes["/cut.xml"] = Route(body=b'<?xml version="1.0"?><rss version="2.0"><channel><title>G</title>')
        # well-formed, but its second item names no page (a text-only notice)
        site.routes["/notice.xml"] = Route(body=(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>G</title>'
            f'<item><title>one</title><link>{site.url("/news/1")}</link></item>'
            '<item><title>Site maintenance tonight</title><guid isPermaLink="false">n-7</guid></item>'
            '</channel></rss>').encode())
        config = settings(tmp_path)
        sources = [f"feed:{site.url(path)}" for path in ("/feed.xml", "/cut.xml", "/notice.xml")]
        summary = run_plain(config, sources)
        assert summary.articles_archived == 1
        rejects = {ref: (stage, reason, detail) for ref, stage, reason, detail in
                   rejects_of(config.archive_dir, site.base_url)}
        # the malformed feed's second item, whose <link> went into its unclosed title, too
        assert rejects.keys() == {"/feed.xml", "/feed.xml#2", "/cut.xml", "/notice.xml#n-7"}
        assert rejects["/notice.xml#n-7"][:2] == ("list", "entry_without_link")
        assert "n-7 (Site maintenance tonight) links no page" in rejects["/notice.xml#n-7"][2]
        assert rejects["/feed.xml"][:2] == ("list", "malformed_feed")
        assert "mismatched tag" in rejects["/feed.xml"][2] and "1 page" in rejects["/feed.xml"][2]
        assert rejects["/cut.xml"][:2] == ("list", "not_a_feed")
        assert "not well-formed XML" in rejects["/cut.xml"][2]
        again = run_plain(config, sources)
        assert (again.rejected, again.pages_unchanged) == (0, 0)  # the same listings rejected again: no new rows


def test_a_sitemap_entry_without_an_http_loc_is_a_reject_as_a_feed_entry_without_a_link_is(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/news/1": html(article(77)), "/news/2": html(article(78))}) as site:
        site.routes["/pages.xml"] = Route(body=(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<url><loc>{site.url("/news/1")}</loc></url><url><lastmod>2026-11-19</lastmod></url>'
            '<url><loc>ftp://files.example.org/a.pdf</loc></url><url><loc>javascript:void(0)</loc></url>'
            '</urlset>').encode())
        site.routes["/index.xml"] = Route(body=(
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<sitemap><loc>{site.url("/pages.xml")}</loc></sitemap><sitemap></sitemap>'
            '<sitemap><loc>ftp://files.example.org/old.xml</loc></sitemap></sitemapindex>').encode())
        # a home page's link to a sitemap is read as one, and its entries so too
        site.routes["/"] = html('<html><body><p>Home</p><a href="/home.xml">Site map</a></body></html>')
        site.routes["/home.xml"] = Route(body=(
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f'<url><loc>{site.url("/news/2")}</loc></url><url><loc>mailto:desk@example.org</loc></url></urlset>').encode())
        config = settings(tmp_path)
        sources = [f"sitemap:{site.url('/index.xml')}", f"site:{site.url('/')}"]
        summary = run_plain(config, sources)
        assert summary.articles_archived == 2
        assert rejects_of(config.archive_dir, site.base_url) == {
            (f"{ref}#{entry}", "list", "entry_without_link", f"{source}: {site.url(ref)}: entry {entry} {why}")
            for source, ref, entry, why in (
                (sources[0], "/index.xml", "2", "links no sitemap: no <loc>"),
                (sources[0], "/index.xml", "ftp://files.example.org/old.xml",
                 "links no sitemap: its <loc> is not an http(s) URL"),
                (sources[0], "/pages.xml", "2", "links no page: no <loc>"),
                (sources[0], "/pages.xml", "ftp://files.example.org/a.pdf", "links no page: its <loc> is not an http(s) URL"),
                (sources[0], "/pages.xml", "javascript:void(0)", "links no page: its <loc> is not an http(s) URL"),
                (sources[1], "/home.xml", "mailto:desk@example.org", "links no page: its <loc> is not an http(s) URL"),
            )}
        again = run_plain(config, sources)
        assert (again.rejected, again.pages_unchanged) == (0, 0)  # the same entries rejected again: no new rows


def test_a_downloaded_warc_is_named_by_its_url_within_a_file_name_s_length():
    a, b = download_name("https://a.example/crawl.warc.gz"), download_name("https://b.example/x/crawl.warc.gz")
    assert a != b and a.endswith("-crawl.warc.gz") and b.endswith("-crawl.warc.gz")
    long = download_name("https://a.example/" + "w" * 400 + ".warc.gz")
    assert len(long.encode()) < 255 and long.endswith(".warc.gz")


def test_a_fetched_body_that_is_not_a_page_by_its_content_type_is_rejected_as_such(tmp_path):
    with WebServer({"/robots.txt": robots(""), "/a": html(article(77)),
                    "/api": Route(headers={"Content-Type": "application/json"}, body=b'{"words": "' + b"many " * 50 + b'"}'),
                    "/typeless": Route(headers={"Content-Type": ""}, body=article(78).encode()),
                    "/s3": Route(headers={"Content-Type": "application/octet-stream"}, body=article(79).encode())}) as site:
        listed = tmp_path / "list.txt"
        listed.write_text("\n".join(site.url(p) for p in ("/a", "/api", "/typeless", "/s3")) + "\n")
        config = settings(tmp_path)
        summary = run_plain(config, [f"urls:{listed}"])
        assert summary.articles_archived == 3  # a page served without a type, or a generic one, is read as one
        assert rejects_of(config.archive_dir, site.base_url) == {
            ("/api", "read", "unsupported_type", "Content-Type application/json: not a page")}
        again = run_plain(config, [f"urls:{listed}"])
        assert (again.rejected, len(site.requests_to("/api"))) == (0, 1)  # fetched once, rejected once

