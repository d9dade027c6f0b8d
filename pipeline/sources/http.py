"""Pages over HTTP: sources listed into plan entries, and a shard's entries fetched politely.

Listing fetches what names the pages (a URL list, a feed, a sitemap and the sitemaps it
indexes, a home page's feeds or its robots.txt sitemaps) and keeps each page URL with
the dates the listing gave. The archive's fetch history (`fetches`) then decides what is
new: a page fetched before is skipped unless its listing says it changed since (then it
is fetched again with its ETag and Last-Modified, and a 304 costs nothing); a page that
failed is tried again until it has failed `max_fetch_failures` runs, or at once
quarantined when retrying cannot help (404, robots, too large…). A listing that fails
becomes a reject of stage `list`; every fetch that fails, a reject of stage `fetch`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa

from pipeline.decode import raw_hash
from pipeline.fetch import FetchPolicy, Fetcher, FetchResult
from pipeline.logs import event
from pipeline.records import RawPage, Reject
from pipeline.settings import Settings
from pipeline.sources import warc, warc_cache
from pipeline.sources.config import Source, parse_ref
from pipeline.sources.feeds import FeedError, discover_feeds, parse_feed
from pipeline.sources.links import Link, NotAUrlList, parse_url_list, unlisted_entry
from pipeline.sources.sitemaps import Sitemap, SitemapError, parse_sitemap, sitemaps_from_robots
from pipeline.store import ArchivePaths
from pipeline.tag.dates import MAX_FUTURE

# Content-Types a page is never served as: such a body is rejected, not read as text. Any
# other (octet-stream, XML, which XHTML comes as too) goes to decode's own checks.
NOT_PAGE_TYPES = ("application/json", "application/rss+xml", "application/atom+xml", "application/pdf",
                  "application/zip", "application/javascript", "text/javascript", "text/css", "text/csv",
                  "image/", "audio/", "video/", "font/")
# Response headers kept with the page (raw_pages.headers).
KEPT_HEADERS = ("content-type", "content-language", "last-modified", "etag", "date")


@dataclass
class Listing:
    """What listing a source found: page links, failed listing fetches, and WARC entries."""

    links: list[Link]
    problems: list[dict]
    entries: list[dict]


def _problem(source: Source, result: FetchResult | None, url: str, reason: str | None = None,
             detail: str | None = None) -> dict:
    return unlisted_entry(source.ref, url, reason or (result.error if result else "bad_source"),
                          detail or (result.detail if result else "") or "")


def _get(fetcher: Fetcher, source: Source, url: str, problems: list[dict]) -> FetchResult | None:
    """The fetch of `url`, or None, the failure a problem."""
    return _succeeded(fetcher.get(url), source, url, problems)


def _succeeded(result: FetchResult, source: Source, url: str, problems: list[dict], *ok: int) -> FetchResult | None:
    """`result` if it is a 200 (or another of the statuses `ok`), else None, its failure a problem."""
    if result.error or result.status not in (200, *ok):
        problems.append(_problem(source, result, url, None if result.error else f"http_{result.status}",
                                 None if result.error else f"{url}: HTTP {result.status}"))
        return None
    return result


@dataclass(frozen=True)
class WarcFolders:
    """Where a WARC file over HTTP goes: the job's listing folder, or the archive's cache
    (None when Settings.warc_cache_days is 0)."""
    listing: Path
    cache: Path | None


@dataclass(frozen=True)
class SitemapLimits:
    """How many levels of sitemap indexes are followed, and how many sitemaps one source
    reads (Settings.sitemap_max_depth, sitemap_max_files)."""
    depth: int
    sitemaps: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SitemapLimits:
        return cls(settings.sitemap_max_depth, settings.sitemap_max_files)


def _sitemap_links(fetcher: Fetcher, source: Source, roots: list[str], problems: list[dict], limits: SitemapLimits,
                   indexed: list[tuple[str, str]] = ()) -> list[Link]:
    """The pages of sitemaps and of the sitemaps they index, breadth first, each sitemap
    read once: `roots`, and the (sitemap, the index above it) already `indexed` by a
    sitemap read before (a home page's). What the limits leave unread is a
    `sitemap_limit` problem; a loop of indexes, when no sitemap read lists a page, a
    `sitemap_loop` one."""
    links: list[Link] = []
    loops: list[tuple[str, str]] = []  # (index, an index above it, or itself, that it lists)
    # Each with its chain of indexes from the first.
    queue = [(url, (url,)) for url in roots] + [(url, (above, url)) for url, above in indexed]
    seen = {url for _, chain in queue for url in chain}
    read = 0
    while queue:
        if read == limits.sitemaps:
            problems.append(_problem(source, None, queue[0][0], "sitemap_limit",
                                     f"{limits.sitemaps} sitemaps read, the limit: sitemaps not read: {len(queue)} "
                                     f"({queue[0][0]} first)"))
            break
        url, chain = queue.pop(0)
        read += 1
        if (sitemap := _read_sitemap(fetcher, source, url, problems)) is None:
            continue
        links += sitemap.links
        loops += [(url, child) for child in sitemap.sitemaps if child in chain]
        children = [child for child in sitemap.sitemaps if child not in seen]
        if children and len(chain) > limits.depth:
            problems.append(_problem(source, None, url, "sitemap_limit", (
                f"{url} is a sitemap index {limits.depth} levels below {chain[0]}, the limit: "
                f"sitemaps it lists not read: {len(children)} ({children[0]} first)")))
            continue
        seen.update(children)
        queue += [(child, (*chain, child)) for child in children]
    if not links:
        problems += [_problem(source, None, index, "sitemap_loop",
                              f"{_loop(index, listed)}, and no sitemap read lists a page") for index, listed in loops]
    return links


def _read_sitemap(fetcher: Fetcher, source: Source, url: str, problems: list[dict]) -> Sitemap | None:
    if (result := _get(fetcher, source, url, problems)) is None:
        return None
    try:
        sitemap = parse_sitemap(result.content, result.final_url or url)
    except SitemapError as e:
        problems.append(_problem(source, result, url, "not_a_sitemap", str(e)))
        return None
    problems += _unlinked_entries(source, url, sitemap.unlinked)
    return sitemap


def _loop(index: str, listed: str) -> str:
    if index == listed:
        return f"{index} lists itself (a loop)"
    return f"{index} lists {listed}, an index above it (a loop)"


def _feed_links(fetcher: Fetcher, source: Source, url: str, problems: list[dict],
                or_sitemap: bool = False) -> tuple[list[Link], Sitemap | None]:
    """A feed's pages; a malformed feed's are kept, and it is a `malformed_feed` problem,
    since the entries after its fault may be lost. With `or_sitemap` (a home page's link,
    which discovery takes from <a> links ending in .xml as often a site map's as a feed's)
    a sitemap there gives its pages, and itself for the sitemaps it indexes."""
    if (result := _get(fetcher, source, url, problems)) is None:
        return [], None
    base = result.final_url or url
    try:
        feed = parse_feed(result.content, base)
    except FeedError as e:
        if or_sitemap:
            try:
                sitemap = parse_sitemap(result.content, base)
                problems += _unlinked_entries(source, url, sitemap.unlinked)
                return sitemap.links, sitemap
            except SitemapError:
                pass
        problems.append(_problem(source, result, url, "not_a_feed", str(e)))
        return [], None
    if feed.malformed:
        problems.append(_problem(source, None, url, "malformed_feed", f"{url}: {feed.malformed}; the "
                                 f"{len(feed.links)} pages read from it are kept, others may be lost"))
    problems += _unlinked_entries(source, url, [
        (entry, f"{f'({title}) ' if title and title != entry else ''}links no page") for entry, title in feed.unlinked])
    return feed.links, None


def _unlinked_entries(source: Source, url: str, unlinked: Iterable[tuple[str, str]]) -> list[dict]:
    """A problem for each (name, what is wrong) entry of a feed or sitemap that links nothing,
    under its own name within its listing: an entry added later is a reject of its own."""
    return [_problem(source, None, f"{url}#{entry}", "entry_without_link", f"{url}: entry {entry} {why}")
            for entry, why in unlinked]


def _site_links(fetcher: Fetcher, source: Source, problems: list[dict], limits: SitemapLimits) -> list[Link]:
    """A home page's feeds (or sitemaps it links); failing those (none, or none that lists
    a page), the sitemaps its robots.txt names, or /sitemap.xml."""
    home = source.location
    if (result := _get(fetcher, source, home, problems)) is None:
        return []
    base = result.final_url or home
    links, indexed = [], []
    for url in discover_feeds(result.content.decode("utf-8", "replace"), base):
        found, sitemap = _feed_links(fetcher, source, url, problems, or_sitemap=True)
        links += found
        indexed += [(child, url) for child in sitemap.sitemaps] if sitemap else []
    # One reading of every sitemap the home page's sitemaps index: the limits are the site's.
    if links := links + (_sitemap_links(fetcher, source, [], problems, limits, indexed) if indexed else []):
        return links
    robots = fetcher.get(_root(base) + "/robots.txt")
    named = sitemaps_from_robots(robots.content.decode("utf-8", "replace"), base) if robots.status == 200 else []
    return _sitemap_links(fetcher, source, named or [_root(base) + "/sitemap.xml"], problems, limits)


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _url_list(fetcher: Fetcher, source: Source, problems: list[dict]) -> list[Link]:
    if source.is_remote:
        if (result := _get(fetcher, source, source.location, problems)) is None:
            return []
        content = result.content
    else:
        try:
            content = Path(source.location).expanduser().read_bytes()
        except OSError as e:
            reason = "missing" if isinstance(e, FileNotFoundError) else "unreadable"
            problems.append(_problem(source, None, source.location, reason, f"{source.location}: {e.strerror or e}"))
            return []
    try:
        listed = parse_url_list(content)
    except NotAUrlList as e:
        problems.append(_problem(source, None, source.location, "not_a_url_list", str(e)))
        return []
    # Each bad line under its own name within its list: a line added later is a reject of its own.
    problems += [_problem(source, None, f"{source.location}#{line}", "bad_url", f"line {number}: {why}")
                 for number, line, why in listed.bad_lines]
    return listed.links


def _remote_warc(fetcher: Fetcher, source: Source, folders: WarcFolders, problems: list[dict]) -> list[dict]:
    """The records of a WARC file over HTTP: the copy the cache keeps if its server says it
    has not changed (pipeline/sources/warc_cache.py), else the file downloaded."""
    url, name = source.location, download_name(source.location)
    known = warc_cache.kept(folders.cache, name) if folders.cache else None
    part = warc_cache.part_path(folders.cache or folders.listing, name)
    part.parent.mkdir(parents=True, exist_ok=True)
    result = fetcher.download(url, part, known and known.etag, known and known.last_modified)
    if _succeeded(result, source, url, problems, *([304] if known else [])) is None:
        return []
    if result.not_modified:
        path = known.path
        warc_cache.touch(path)
        event("warc_not_modified", f"{url} has not changed since a job downloaded it: its kept copy is read",
              url=url, path=str(path))
    elif folders.cache and (result.headers.get("etag") or result.headers.get("last-modified")):
        path = warc_cache.keep(folders.cache, name, part, url, result.headers.get("etag"), result.headers.get("last-modified"))
    else:  # nothing a later job could ask the server with: not worth keeping
        path = folders.listing / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, path)
    try:
        return warc.list_entries(str(path), source.outlet, url)
    except warc.WarcError as e:
        if folders.cache and path.parent == folders.cache:
            warc_cache.forget(folders.cache, name)
        problems.append(_problem(source, result, url, "not_a_warc", str(e)))
        return []


def download_name(url: str) -> str:
    """A file name of the URL's own (two WARCs of one name, from two places, are two files)
    that ends in the URL's, so that it reads as the file it is (its last 100 characters:
    a file name holds 255 bytes)."""
    name = (Path(urlsplit(url).path).name or "download.warc.gz")[-100:]
    return f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{name}"


def list_source(source: Source, fetcher: Fetcher, warc_fetcher: Fetcher, folders: WarcFolders,
                limits: SitemapLimits) -> Listing:
    """The pages a network source names (or, for a WARC file over HTTP, its records)."""
    problems: list[dict] = []
    if source.kind == "page":
        return Listing([Link(source.location)], problems, [])
    if source.kind == "warc":
        return Listing([], problems, _remote_warc(warc_fetcher, source, folders, problems))
    links = {
        "urls": lambda: _url_list(fetcher, source, problems),
        "feed": lambda: _feed_links(fetcher, source, source.location, problems)[0],
        "sitemap": lambda: _sitemap_links(fetcher, source, [source.location], problems, limits),
        "site": lambda: _site_links(fetcher, source, problems, limits),
    }[source.kind]()
    return Listing(links, problems, [])


def listed_date(when: datetime | None, now: datetime) -> datetime | None:
    """A date a listing gave, or None when it is after `now` (by more than the date
    tagger's MAX_FUTURE): no page was published or changed then, and a <lastmod> of 2100
    would fetch its page again every run."""
    return when if when is None or when <= now + MAX_FUTURE else None


def in_range(link: Link, since: date | None, until: date | None, now: datetime) -> bool:
    """Backfill: the link's listed day is inside the range; an undated link is not."""
    if since is None and until is None:
        return True
    when = listed_date(link.published, now) or listed_date(link.updated, now)
    if when is None:
        return False
    day = when.astimezone(timezone.utc).date()
    return (since is None or day >= since) and (until is None or day <= until)


def last_fetches(paths: ArchivePaths, urls: list[str]) -> dict[str, dict]:
    """The latest fetch of each URL in the archive's history."""
    if not urls:
        return {}
    con = duckdb.connect()
    con.register("wanted", pa.table({"url": pa.array(urls, pa.string())}))  # a sitemap lists tens of thousands
    rows = con.execute(f"""
        SELECT url, outcome, failures, etag, last_modified, fetched_at
        FROM {paths.parquet('fetches')} SEMI JOIN wanted USING (url)
        QUALIFY row_number() OVER (PARTITION BY url ORDER BY fetched_at DESC) = 1
    """).fetchall()
    return {r[0]: dict(zip(("url", "outcome", "failures", "etag", "last_modified", "fetched_at"), r)) for r in rows}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() if when else None


def plan_fetches(links: list[tuple[Source, Link]], history: dict[str, dict],
                 now: datetime) -> tuple[list[dict], dict[str, int]]:
    """The entries to fetch this run, and what was skipped: already fetched and unchanged,
    or quarantined. An entry keeps the dates its listing gave for its `fetches` row, one
    after `now` too, though that one decides nothing."""
    entries, skipped = [], {"unchanged": 0, "quarantined": 0}
    for source, link in links:
        last = history.get(link.url)
        entry = {"kind": "http", "url": link.url, "source": source.ref, "outlet": source.outlet,
                 "published": _iso(link.published), "updated": _iso(link.updated),
                 "etag": None, "last_modified": None, "failures": 0}
        if last is None:
            entries.append(entry)
        elif last["outcome"] == "quarantined":
            skipped["quarantined"] += 1
        elif last["outcome"] == "failed":
            entries.append({**entry, "failures": last["failures"]})
        elif (updated := listed_date(link.updated, now)) and updated > last["fetched_at"]:
            entries.append({**entry, "etag": last["etag"], "last_modified": last["last_modified"]})
        else:
            skipped["unchanged"] += 1
    return entries, skipped


def list_network_sources(sources: list[Source], settings: Settings, paths: ArchivePaths,
                         staging: Path) -> tuple[list[dict], dict[str, int]]:
    """Plan entries for the network sources (pages to fetch, WARC records, failed listings),
    and counts: pages listed, skipped as unchanged, quarantined or out of the date range."""
    policy = FetchPolicy.from_settings(settings)
    linked: list[tuple[Source, Link]] = []
    entries: list[dict] = []
    seen: set[str] = set()
    counts = {"listed": 0, "out_of_range": 0}
    warc_policy = replace(policy, max_bytes=settings.max_warc_bytes, body_timeout_s=settings.warc_body_timeout_s)
    folders = WarcFolders(staging / "warc", paths.warc_cache if settings.warc_cache_days else None)
    now = datetime.now(timezone.utc)
    with Fetcher(policy) as fetcher, Fetcher(warc_policy) as warc_fetcher:
        for source in sources:
            listing = list_source(source, fetcher, warc_fetcher, folders, SitemapLimits.from_settings(settings))
            entries += listing.problems + listing.entries
            for link in listing.links:
                if link.url in seen:  # a page in a feed and a sitemap is fetched once
                    continue
                seen.add(link.url)
                counts["listed"] += 1
                if in_range(link, settings.since, settings.until, now):
                    linked.append((source, link))
                else:
                    counts["out_of_range"] += 1
    planned, skipped = plan_fetches(linked, last_fetches(paths, [link.url for _, link in linked]), now)
    return entries + planned, counts | skipped


def _fetch_row(entry: dict, result: FetchResult, outcome: str, failures: int, digest: str | None) -> dict:
    return {
        "url": entry["url"], "source": entry["source"], "outcome": outcome, "reason": result.error,
        "detail": result.detail, "failures": failures, "attempts": result.attempts, "http_status": result.status,
        "final_url": result.final_url, "etag": result.headers.get("etag"),
        "last_modified": result.headers.get("last-modified"),
        "listed_published": entry.get("published") and datetime.fromisoformat(entry["published"]),
        "listed_updated": entry.get("updated") and datetime.fromisoformat(entry["updated"]),
        "raw_hash": digest, "fetched_at": result.fetched_at,
    }


def read_fetched(entry: dict, result: FetchResult, max_failures: int) -> tuple[RawPage | Reject | None, dict]:
    """A fetch's page (None for a 304: nothing changed) or reject, and its `fetches` row."""
    if result.error is None and result.not_modified:
        return None, _fetch_row(entry, result, "not_modified", 0, None)
    if result.error is None and not_a_page_type(content_type := result.headers.get("content-type")):
        digest = raw_hash(result.content)
        reject = Reject(entry["url"], digest, "read", "unsupported_type", f"Content-Type {content_type}: not a page")
        return reject, _fetch_row(entry, result, "fetched", 0, digest)
    if result.error is None:
        headers = {k: v for k, v in result.headers.items() if k in KEPT_HEADERS}
        raw = RawPage(source_ref=entry["url"], content=result.content, url=result.final_url or entry["url"],
                      fetched_at=result.fetched_at, fetched_at_method="http", outlet=entry.get("outlet"),
                      http_status=result.status, headers=headers,
                      listed_published=entry.get("published") and datetime.fromisoformat(entry["published"]),
                      listed_by=parse_ref(entry["source"]).kind if entry.get("published") else None)
        return raw, _fetch_row(entry, result, "fetched", 0, raw_hash(result.content))
    failures = entry.get("failures", 0) + 1
    quarantined = not result.retryable or failures >= max_failures
    if quarantined:
        why = "not tried again" if not result.retryable else f"quarantined after {failures} failed runs"
    else:
        why = f"failure {failures} of {max_failures}; tried again next run"
    reject = Reject(entry["url"], None, "fetch", result.error, f"{result.detail} ({why})")
    return reject, _fetch_row(entry, result, "quarantined" if quarantined else "failed", failures, None)


def fetch_entries(entries: list[dict], settings: Settings) -> tuple[list[RawPage | Reject], list[dict], int]:
    """Fetch a shard's HTTP entries: pages or rejects in entry order, the `fetches` rows,
    and how many came back unchanged (304)."""
    if not entries:
        return [], [], 0
    with Fetcher(FetchPolicy.from_settings(settings)) as fetcher:
        results = fetcher.get_many([(e["url"], e.get("etag"), e.get("last_modified")) for e in entries])
    read, rows, unchanged = [], [], 0
    for entry, result in zip(entries, results):
        got, row = read_fetched(entry, result, settings.max_fetch_failures)
        rows.append(row)
        if got is None:
            unchanged += 1
        else:
            read.append(got)
    return read, rows, unchanged


def not_a_page_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type.endswith("+json") or media_type.startswith(NOT_PAGE_TYPES)

