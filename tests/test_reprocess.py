"""Raw pages kept once by hash, and `reprocess`: re-extraction from them that replaces
exactly the rows that change, all at once, without reading the sources again."""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipeline.job import run_plain
from pipeline.reprocess import Selection, reprocess
from pipeline.settings import Settings
from pipeline.store import ArchivePaths, connect, pin
from conftest import REPO, newsarchive
from schemas.tables import RAW_PAGES
from corpus import COURIER, FURNITURE, GAZETTE, write_pages

TABLES = ("documents", "article_dates", "article_languages", "article_outlets", "mentions",
          "postings", "search_docs", "raw_pages", "duplicates", "rejects")


def snapshot(archive: Path) -> dict[str, list[tuple]]:
    """Every row of every data table, as tuples in a stable order."""
    with connect(archive) as con:
        return {t: sorted(map(repr, con.sql(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


def rows_of(archive: Path, outlet: str) -> list[str]:
    with connect(archive) as con:
        return sorted(map(repr, con.sql(
            "SELECT d.* FROM documents d JOIN article_outlets o USING (article_id) WHERE o.outlet = ?", params=[outlet]
        ).fetchall()))


def corpus(tmp_path: Path) -> Path:
    folder = write_pages(tmp_path / "in", GAZETTE, range(5))
    return write_pages(folder, COURIER, range(2))  # too few for its furniture to be learned


@pytest.mark.parametrize("shard_size", [200, 1], ids=["one shard", "a shard a page"])
def test_raw_pages_are_stored_once_with_what_the_fetch_knew(tmp_path, shard_size):
    folder = write_pages(tmp_path / "in", GAZETTE, range(2))
    (folder / "a-copy.txt.gz").write_bytes(gzip.compress((folder / "riversidegazette-0.txt").read_bytes()))
    (folder / "empty.txt").write_bytes(b"")
    settings = Settings(archive=tmp_path / "archive", entities=False, shard_size=shard_size)
    run_plain(settings, [str(folder)])
    run_plain(settings, [str(folder)])
    with connect(tmp_path / "archive") as con:
        rows = con.sql("SELECT raw_hash, content, size, url, outlet_hint, fetched_at, fetched_at_method, http_status "
                       "FROM raw_pages ORDER BY url").fetchall()
    # The gzip copy has the same bytes as page 0 and was read first; the empty file has no bytes to keep.
    assert len(rows) == 2
    assert [r[1] for r in rows] == [(folder / f"riversidegazette-{n}.txt").read_bytes() for n in (1, 0)]
    assert [r[3] for r in rows] == ["https://www.riversidegazette.example/news/story-1", None]
    digest, content, size, url, outlet, fetched_at, method, status = rows[0]
    assert size == len(content) and digest == hashlib.sha256(content).hexdigest()
    assert outlet == GAZETTE and method == "manifest" and status is None
    assert fetched_at.isoformat().startswith("2026-11-02T06:00:00")


def test_reprocess_after_a_cleaning_rule_change_replaces_only_the_changed_rows(tmp_path):
    archive, folder = tmp_path / "archive", corpus(tmp_path)
    run_plain(Settings(archive=archive, furniture_min_articles=10), [str(folder)])  # nothing learned yet
    before = snapshot(archive)
    courier_before = rows_of(archive, COURIER)
    with connect(archive) as con:
        ids_before = {aid for (aid,) in con.sql("SELECT article_id FROM documents").fetchall()}
    shutil.rmtree(folder)  # nothing is read from the sources again

    # The rule change: learn from three articles, not ten.
    summary = reprocess(Settings(archive=archive, furniture_min_articles=3), Selection(outlet=GAZETTE))
    assert (summary.selected, summary.replaced, summary.unchanged) == (5, 5, 0)

    after = snapshot(archive)
    # One row per article as before; entity mentions and index terms follow the new text.
    assert {t: len(rows) for t, rows in after.items() if t not in ("mentions", "postings")} == {
        t: len(rows) for t, rows in before.items() if t not in ("mentions", "postings")}
    assert rows_of(archive, COURIER) == courier_before  # not selected: untouched
    assert after["raw_pages"] == before["raw_pages"] and after["duplicates"] == before["duplicates"]
    with connect(archive) as con:
        gazette = con.sql("SELECT d.article_id, text, d.run_id FROM documents d JOIN article_outlets o "
                          "USING (article_id) WHERE outlet = ?", params=[GAZETTE]).fetchall()
        mastodon = con.sql("SELECT count(*) FROM mentions WHERE entity = 'Mastodon'").fetchone()[0]
        runs = con.sql("SELECT kind, status, pages_read, articles_replaced FROM runs ORDER BY started_at").fetchall()
        hits = con.sql("SELECT count(*) FROM search('mastodon bluesky')").fetchone()[0]
    assert len(gazette) == 5 and not any(line in text for _, text, _ in gazette for line in FURNITURE[GAZETTE])
    assert {aid for aid, _, _ in gazette} < ids_before  # an article keeps its id
    assert mastodon == 0  # the taggers ran on the new text
    assert runs == [("run", "succeeded", 7, 0), ("reprocess", "succeeded", 5, 5)]
    assert hits == 0  # the search index follows the new text

    # Again, with nothing changed: nothing is rewritten.
    again = reprocess(Settings(archive=archive, furniture_min_articles=3), Selection())
    assert (again.selected, again.replaced, again.unchanged) == (7, 0, 7)
    assert snapshot(archive) == after


def test_reprocess_selects_by_fetch_day_and_outlet(tmp_path):
    folder = write_pages(tmp_path / "in", GAZETTE, range(3), fetched_at="2026-11-01T09:00:00Z")
    write_pages(folder, GAZETTE, range(3, 5), fetched_at="2026-11-03T09:00:00Z")
    write_pages(folder, COURIER, range(3), fetched_at="2026-11-03T09:00:00Z")
    archive = tmp_path / "archive"
    run_plain(Settings(archive=archive, entities=False, furniture_min_articles=10), [str(folder)])
    settings = Settings(archive=archive, entities=False, furniture_min_articles=3)

    assert reprocess(settings, Selection(since=date(2026, 11, 2), outlet="valley courier")).replaced == 3
    early = reprocess(settings, Selection(until=date(2026, 11, 1)))
    assert (early.selected, early.replaced) == (3, 3)
    texts = dict(connect(archive).sql(
        "SELECT source_ref, text FROM documents").fetchall())
    for name, text in texts.items():
        still = name.endswith(("riversidegazette-3.txt", "riversidegazette-4.txt"))
        assert (FURNITURE[GAZETTE][0] in text) == still, name


def test_reprocess_from_the_command_line(tmp_path):
    archive, folder = tmp_path / "archive", corpus(tmp_path)
    newsarchive("run", str(folder), "--archive", str(archive), "--executor", "plain", "--no-entities",
                env={"NEWSARCHIVE_FURNITURE_MIN_ARTICLES": "10"})
    out = newsarchive("reprocess", "--outlet", GAZETTE, "--no-entities", "--archive", str(archive)).stdout
    assert "articles selected" in out and "5" in out.split("rows replaced (changed)")[1].split("\n")[0]
    busy = newsarchive("reprocess", "--archive", str(tmp_path / "nowhere"), check=False)
    assert busy.returncode == 2 and "no archive" in busy.stderr


def test_a_fast_backfill_is_extracted_again_in_full_by_a_reprocess(tmp_path):
    archive, folder = tmp_path / "archive", tmp_path / "pages"
    folder.mkdir()
    shutil.copy(REPO / "tests" / "fixtures" / "html" / "text_in_spans.html", folder)
    newsarchive("run", str(folder), "--archive", str(archive), "--executor", "plain", "--no-entities",
                "--fast-extraction")
    query = "SELECT article_id, extract_method, left(text, 33) FROM documents"
    with connect(archive) as con:
        article, method, opening = con.sql(query).fetchone()
    assert (method, opening) == ("trafilatura_fast", "Home\n\nHarbour board votes to rebu")
    newsarchive("reprocess", "--no-entities", "--archive", str(archive))
    with connect(archive) as con:
        assert con.sql(query).fetchall() == [(article, "trafilatura_precision", "The harbour board voted on Tuesda")]


def test_readers_see_all_old_rows_or_all_new_rows_during_a_reprocess(tmp_path):
    archive, folder = tmp_path / "archive", corpus(tmp_path)
    run_plain(Settings(archive=archive, entities=False, furniture_min_articles=10), [str(folder)])
    seen: set[tuple[int, int, int]] = set()
    failures: list[str] = []
    stop = threading.Event()

    def read() -> None:
        con = connect(archive)
        while not stop.is_set():
            try:
                pin(con, ArchivePaths(archive))  # as a dashboard does before each request
                seen.add(con.sql(
                    "SELECT count(*), count(DISTINCT article_id), "
                    f"count(*) FILTER (WHERE contains(text, '{FURNITURE[GAZETTE][1]}')) FROM documents"
                ).fetchone())
            except duckdb.Error as e:
                failures.append(str(e))
                con.close()
                con = connect(archive)
        con.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        # In another process, as a user would run it while a dashboard reads the archive.
        subprocess.run([sys.executable, "-m", "pipeline.cli", "reprocess", "--no-entities", "--archive", str(archive)],
                       cwd=REPO, check=True, capture_output=True,
                       env={**os.environ, "NEWSARCHIVE_FURNITURE_MIN_ARTICLES": "3"})
    finally:
        stop.set()
        reader.join()
    assert failures == []  # pinned to one generation, a query never loses a rewritten run folder
    assert (7, 7, 0) in seen  # the reader lived through the switch and sees the new rows
    assert (7, 7, 5) in seen  # the old rows, before the switch
    assert seen <= {(7, 7, 5), (7, 7, 0)}  # and never a mix
    with connect(archive) as con:
        assert con.sql("SELECT count(*) FILTER (WHERE contains(text, 'Mastodon')) FROM documents").fetchone() == (0,)


def test_fetch_days_are_utc_days_whatever_the_machines_time_zone(tmp_path):
    folder = write_pages(tmp_path / "in", GAZETTE, range(3), fetched_at="2026-11-02T02:00:00Z")
    archive = tmp_path / "archive"
    run_plain(Settings(archive=archive, entities=False, furniture_min_articles=10), [str(folder)])
    for zone in ("America/Los_Angeles", "Asia/Tokyo"):
        out = newsarchive("reprocess", "--since", "2026-11-02", "--until", "2026-11-02", "--no-entities",
                          "--archive", str(archive), env={"TZ": zone}).stdout
        assert out.split("articles selected")[1].split("\n")[0].strip() == "3", zone


def test_reprocess_keeps_a_date_that_the_story_gave(tmp_path):
    """The NBC seed only says "Thursday": its date comes from its story, which a
    re-extraction alone does not know; a reprocess must not fall back to the fetch time."""
    archive = tmp_path / "archive"
    run_plain(Settings(archive=archive), [str(REPO / "seeds")])
    query = "SELECT title, published_date, published_method FROM articles ORDER BY title"
    with connect(archive) as con:
        before = con.sql(query).fetchall()
    assert ("weekday_story" in {m for *_, m in before})
    # every article is re-extracted and re-tagged; only rows that change are replaced
    reprocess(Settings(archive=archive), Selection())
    with connect(archive) as con:
        assert con.sql(query).fetchall() == before
        assert con.sql("SELECT count(*) FROM date_candidates WHERE status = 'chosen'").fetchone()[0] == 2


def test_reprocess_with_entities_off_leaves_entity_rows_as_they_were(tmp_path):
    archive = tmp_path / "archive"
    run_plain(Settings(archive=archive), [str(REPO / "seeds")])
    query = "SELECT * FROM entity_status ORDER BY article_id"
    with connect(archive) as con:
        before = con.sql(query).fetchall()
    assert len(before) == 2
    assert reprocess(Settings(archive=archive, entities=False), Selection()).replaced == 0
    with connect(archive) as con:
        assert con.sql(query).fetchall() == before


def test_reprocess_finds_a_page_whose_bytes_an_earlier_run_stored(tmp_path, monkeypatch):
    """An article's bytes are usually in its own run folder; not when an earlier run read
    them first and rejected the page (here: a tagger failed on it). The later run that
    archived the same bytes under another name did not store them again."""
    import pipeline.stages

    tag_language = pipeline.stages.tag_language

    def failing_on_first(docs, min_words):
        if any("first" in d.raw.source_ref for d in docs):
            raise ValueError("a hostile page")
        return tag_language(docs, min_words)

    settings = Settings(archive=tmp_path / "archive", entities=False, workers=1)
    text = (write_pages(tmp_path / "pages", GAZETTE, range(1)) / "riversidegazette-0.txt").read_bytes()
    (tmp_path / "first").mkdir()
    (tmp_path / "first" / "page.txt").write_bytes(text)
    with monkeypatch.context() as patch:
        patch.setattr(pipeline.stages, "tag_language", failing_on_first)
        assert run_plain(settings, [str(tmp_path / "first")]).rejected == 1
    (tmp_path / "later").mkdir()
    (tmp_path / "later" / "page.txt").write_bytes(text)
    assert run_plain(settings, [str(tmp_path / "later")]).articles_archived == 1
    with connect(tmp_path / "archive") as con:
        stored = con.sql("SELECT run_id FROM raw_pages").fetchall()
        archived = con.sql("SELECT run_id FROM documents").fetchall()
    assert len(stored) == len(archived) == 1 and stored != archived

    summary = reprocess(settings, Selection())
    assert (summary.selected, summary.kept) == (1, {})


@pytest.mark.parametrize("shard_size", [200, 2], ids=["one batch", "a batch a folder, the next tagged meanwhile"])
def test_one_reprocess_rewrites_the_articles_of_several_run_folders_each_in_its_own(tmp_path, shard_size):
    """Folders are reprocessed in batches (their pages extracted and tagged together, the
    next batch's tagging handed over before this one's folders are rewritten); each
    article's new rows go back to the folder and run that hold it."""
    archive = tmp_path / "archive"
    for part in range(3):
        folder = write_pages(tmp_path / f"part{part}", GAZETTE, range(2 * part, 2 * part + 2))
        run_plain(Settings(archive=archive, entities=False, furniture_min_articles=10), [str(folder)])
    with connect(archive) as con:
        runs_before = dict(con.sql("SELECT article_id, run_id FROM documents").fetchall())
    assert len(set(runs_before.values())) == 3

    summary = reprocess(Settings(archive=archive, entities=False, furniture_min_articles=3, shard_size=shard_size),
                        Selection(outlet=GAZETTE))
    assert (summary.selected, summary.replaced) == (6, 6)
    rows = duckdb.sql(f"SELECT source_ref, run_id, text, parse_dirpath(filename) "
                      f"FROM {ArchivePaths(archive).parquet('documents', filename=True)}").fetchall()
    with connect(archive) as con:
        languages = con.sql("SELECT count(*), count(DISTINCT article_id) FROM article_languages").fetchone()
    assert len(rows) == 6 and languages == (6, 6)
    for source_ref, run_id, text, folder in rows:
        assert not any(line in text for line in FURNITURE[GAZETTE]), source_ref
        assert Path(folder).name.startswith(run_id)
    assert sorted(run_id for _, run_id, _, _ in rows) == sorted(runs_before.values())


def test_an_article_whose_page_was_never_stored_keeps_its_rows(tmp_path):
    """Archives written before pages were kept, or before a column of raw_pages was added:
    one run folder has no page, the other the page without the newer columns."""
    archive = tmp_path / "archive"
    settings = Settings(archive=archive, entities=False, furniture_min_articles=10)
    for n in range(2):
        run_plain(settings, [str(write_pages(tmp_path / f"in{n}", GAZETTE, range(n, n + 1)))])
    paths = ArchivePaths(archive)
    folders = sorted(f for f in paths.data.iterdir() if pq.read_metadata(f / "documents.parquet").num_rows)
    old_columns = [c for c in RAW_PAGES.schema.names if not c.startswith("listed_")]
    for folder, keep in zip(folders, (0, 1)):
        pq.write_table(pq.read_table(folder / "raw_pages.parquet", columns=old_columns).slice(0, keep),
                       folder / "raw_pages.parquet")
    before = snapshot(archive)

    summary = reprocess(settings, Selection())
    assert (summary.selected, summary.replaced, summary.kept) == (2, 0, {"no_raw_page": 1})
    assert snapshot(archive) == before
