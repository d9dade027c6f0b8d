"""The dashboard's feeds, their URLs, `export-feeds` and the dashboard page, on a small
archive of two outlets (built with the plain loop) and on the seed archive, served for
real by uvicorn on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from lxml import html as lxml_html

from corpus import COURIER, GAZETTE, write_pages
from appserver import serving as app_serving
from conftest import newsarchive
from pipeline.job import run_plain
from pipeline.settings import Settings
from pipeline.store import connect
from pipeline.web import dashboard
from pipeline.web.feeds import FEEDS, as_records, feed_rows

# The charts the HTML contract promises (tests/test_browser.py relies on them).
CONTRACT = ["daily_volume", "top_entities", "largest_stories", "wire_share", "language_mix",
            "run_health", "rejects_by_reason"]
MARKS = ".//*[contains(concat(' ', @class, ' '), ' tooltip-trigger ')]"


@pytest.fixture(scope="module")
def small_archive(tmp_path_factory) -> Path:
    """Gazette and Courier pages on two days, and one file no run can read (a reject). The
    outlets' stories differ (corpus.page_text), so none is a near-duplicate of another."""
    root = tmp_path_factory.mktemp("feeds")
    pages = root / "pages"
    write_pages(pages, GAZETTE, range(0, 4), fetched_at="2026-11-02T06:00:00Z")
    write_pages(pages, COURIER, range(0, 3), fetched_at="2026-11-02T07:00:00Z")
    write_pages(pages, GAZETTE, range(7, 8), fetched_at="2026-11-03T06:00:00Z")
    (pages / "notes.pdf").write_bytes(b"%PDF-1.4 not a news page")
    summary = run_plain(Settings(archive=root / "archive", entities=False), [str(pages)])
    assert (summary.articles_archived, summary.duplicates, summary.rejected) == (8, 0, 1)
    return root / "archive"


@contextmanager
def serving(archive: Path) -> Iterator[httpx.Client]:
    """The dashboard router in a small app, served for real, and a client for it."""
    app = FastAPI()
    app.include_router(dashboard.router)
    app.state.archive = archive
    with app_serving(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def small_site(small_archive):
    with serving(small_archive) as client:
        yield client


@pytest.fixture(scope="module")
def seed_site(seed_archive):
    with serving(seed_archive[0]) as client:
        yield client


def records(archive: Path, name: str, **params) -> list[dict]:
    con = connect(archive)
    try:
        return as_records(*feed_rows(con, name, params))
    finally:
        con.close()


@pytest.fixture(scope="module")
def small_feeds(small_archive) -> dict[str, tuple[list[str], list[dict]]]:
    """Every feed of the small archive, read once: name -> (columns, records)."""
    con = connect(small_archive)
    try:
        return {name: (columns, as_records(columns, rows))
                for name in FEEDS for columns, rows in [feed_rows(con, name)]}
    finally:
        con.close()


def query(archive: Path, sql: str) -> list[tuple]:
    con = connect(archive)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_daily_volume_counts_every_article_and_shares_sum_to_one(small_archive):
    rows = records(small_archive, "daily_volume")
    direct = query(small_archive, "SELECT published_date::VARCHAR, outlet, count(*) FROM articles GROUP BY ALL")
    assert sorted((r["day"], r["outlet"], r["articles"]) for r in rows) == sorted(direct)
    assert {r["outlet"] for r in rows} == {GAZETTE, COURIER}
    per_day = defaultdict(float)
    for r in rows:
        per_day[r["day"]] += r["share"]
    assert len(per_day) == 2
    assert all(total == pytest.approx(1.0) for total in per_day.values()), per_day
    # Two outlets on one day: neither has all of its attention.
    assert any(0 < r["share"] < 1 for r in rows)


def test_other_feeds_equal_direct_counts(small_archive):
    [(articles,)] = query(small_archive, "SELECT count(*) FROM articles")
    wire = records(small_archive, "wire_share")
    assert sum(r["articles"] for r in wire) == articles
    assert sorted((r["outlet"], r["articles"], r["wire_articles"]) for r in wire) == sorted(query(
        small_archive, "SELECT outlet, count(*), count(wire_service) FROM articles GROUP BY 1"))
    languages = records(small_archive, "language_mix")
    assert sum(r["articles"] for r in languages) == articles
    assert sum(r["share"] for r in languages) == pytest.approx(1.0)
    assert records(small_archive, "rejects_by_reason") == [{"stage": "read", "reason": "unsupported_type", "pages": 1}]
    [run] = [r for r in records(small_archive, "run_health") if r["kind"] == "run"]
    assert (run["status"], run["articles_archived"], run["rejected"]) == ("succeeded", articles, 1)
    assert run["started_at"].startswith("2") and "T" in run["started_at"]  # ISO 8601
    stages = records(small_archive, "stage_costs")
    assert len(stages) == query(small_archive, "SELECT count(*) FROM run_stages")[0][0]
    assert all(s["ms_per_page"] is None or s["ms_per_page"] >= 0 for s in stages)
    # CPU time beside wall time: stages that did work report some, never more than their time took
    assert all(0 <= s["cpu_seconds"] <= s["seconds"] + 0.002 for s in stages)
    assert any(s["cpu_seconds"] > 0 for s in stages if s["stage"] == "extract")
    stories = records(small_archive, "largest_stories")
    assert sum(s["articles"] for s in stories) == query(small_archive, "SELECT count(*) FROM story_members")[0][0]
    assert records(small_archive, "largest_stories", limit=2) == stories[:2]
    assert records(small_archive, "top_entities") == []  # archived without entity tagging


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def as_text(record: dict) -> dict:
    """A JSON record as the CSV writes it: empty for null, Python's str otherwise."""
    return {k: "" if v is None else str(v) for k, v in record.items()}


def test_feed_urls_json_and_csv_agree(small_site, small_feeds):
    index = small_site.get("/feeds").json()["feeds"]
    assert [f["name"] for f in index] == list(FEEDS)
    for feed in index:
        got = small_site.get(feed["json"])
        assert got.status_code == 200 and got.headers["content-type"].startswith("application/json")
        columns, expected = small_feeds[feed["name"]]
        assert got.json() == expected
        as_csv = small_site.get(feed["csv"])
        assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
        assert as_csv.text.splitlines()[0].split(",") == columns
        assert csv_rows(as_csv.text) == [as_text(r) for r in got.json()]
    assert len(small_site.get("/feeds/largest_stories.json", params={"limit": 1}).json()) == 1
    assert small_site.get("/feeds/largest_stories.json", params={"limit": "many"}).status_code == 400
    assert small_site.get("/feeds/no_such_feed.json").status_code == 404
    assert small_site.get("/feeds/no_such_feed.csv").status_code == 404


def test_export_feeds_writes_files_that_read_back_equal(small_archive, small_feeds, tmp_path):
    out = tmp_path / "feeds"
    result = newsarchive("export-feeds", str(out), "--archive", str(small_archive))
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{name}.{ext}" for name in FEEDS for ext in ("json", "csv", "parquet"))
    for name in FEEDS:
        columns, served = small_feeds[name]
        assert str(out / f"{name}.parquet") in result.stdout
        assert json.loads((out / f"{name}.json").read_text()) == served
        assert csv_rows((out / f"{name}.csv").read_text()) == [as_text(r) for r in served]
        parquet = pq.read_table(out / f"{name}.parquet")
        assert parquet.column_names == columns
        assert as_records(columns, [tuple(r.values()) for r in parquet.to_pylist()]) == served


def figures(page: str) -> dict[tuple[str, str], lxml_html.HtmlElement]:
    doc = lxml_html.fromstring(page)
    return {(f.get("data-feed"), f.get("data-measure")): f for f in doc.xpath("//figure[@class='chart']")}


def test_dashboard_draws_a_mark_per_row(small_site, small_feeds):
    page = small_site.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    doc = lxml_html.fromstring(page.text)
    assert [h.text_content().strip() for h in doc.xpath("//h1")] == ["Dashboard"]
    assert "<script" not in page.text
    charts = figures(page.text)
    assert {feed for feed, _ in charts} >= set(CONTRACT)
    assert ("daily_volume", "share") in charts and ("daily_volume", "articles") in charts
    for (feed, measure), figure in charts.items():
        caption = figure.xpath("./figcaption")[0]
        assert caption.text_content().strip()
        links = [a.get("href") for a in caption.xpath(".//a")]
        assert links == [f"/feeds/{feed}.json", f"/feeds/{feed}.csv"], links
        rows = small_feeds[feed][1]
        svgs = figure.xpath(".//svg")
        if not rows:
            assert not svgs and figure.xpath("./p[@class='empty']"), feed
            continue
        assert len(svgs) == 1, feed
        assert len(svgs[0].xpath(MARKS)) >= len(rows), feed
    # Exact mark counts where the feed is known.
    volume = small_feeds["daily_volume"][1]
    days, outlets = {r["day"] for r in volume}, {r["outlet"] for r in volume}
    for measure in ("articles", "share"):  # stacked: a bar segment per day and outlet (0 high where none)
        assert len(charts["daily_volume", measure].xpath(MARKS)) == len(days) * len(outlets)
    assert len(charts["rejects_by_reason", "pages"].xpath(MARKS)) == 1
    assert len(charts["language_mix", "articles"].xpath(MARKS)) == len(small_feeds["language_mix"][1])
    assert len(charts["largest_stories", "articles"].xpath(MARKS)) == len(small_feeds["largest_stories"][1])
    assert len(charts["wire_share", "wire_articles"].xpath(MARKS)) == 2 * len(outlets)  # wire and own copies
    # Each mark carries its value; the rejects chart's one bar says 1.
    [value] = charts["rejects_by_reason", "pages"].xpath(MARKS + "/following-sibling::desc[@class='value'][1]")
    assert value.text_content().strip() == "1"
    assert charts["top_entities", "articles"].xpath("./p[@class='empty']")


def test_seed_dashboard_has_every_chart_with_marks(seed_site, seed_archive):
    archive = seed_archive[0]
    charts = figures(seed_site.get("/dashboard").text)
    for feed in CONTRACT:
        [figure] = [f for (name, measure), f in charts.items() if name == feed and measure != "share"]
        rows = records(archive, feed)
        if feed != "rejects_by_reason":  # the seed run rejects nothing
            assert rows, feed
        assert len(figure.xpath(f".//svg{MARKS[1:]}")) >= len(rows), feed
        assert bool(figure.xpath(".//svg")) == bool(rows), feed
    entities = records(archive, "top_entities")
    assert all(r["articles"] >= 1 for r in entities)
    assert max(sum(1 for r in entities if r["day"] == day) for day in {r["day"] for r in entities}) >= 5
    assert seed_site.get("/feeds/top_entities.json", params={"top": 1}).json() == records(archive, "top_entities", top=1)
