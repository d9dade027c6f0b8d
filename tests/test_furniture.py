"""Learned site furniture: lines an outlet repeats across its pages are learned from the
archive and stripped from all of that outlet's pages, earlier ones included."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from pipeline import furniture, job
from pipeline import reprocess as reprocess_module
from pipeline.furniture import (Check, checked_lines, count_lines, line_key, note_check, record_check, stale_articles,
                                strip_learned)
from pipeline.identity import content_hash
from pipeline.job import run_plain
from pipeline.extracted import forget_extracted, keep_extracted, read_extracted
from pipeline.records import Candidate, Document, Page, PageMarkup, RawPage
from pipeline.reprocess import Selection, reprocess
from pipeline.settings import Settings
from pipeline.store import ArchivePaths, connect, ensure_archive, write_table
from pipeline.tag import entities
from schemas.tables import TABLES
from corpus import COURIER, FURNITURE, GAZETTE, unique_sentence, write_pages


def doc(text: str, article_id: str = "a1", url: str | None = None) -> Document:
    page = Page(RawPage("x.txt", text.encode()), "rawhash", text, False, "utf-8")
    return Document(article_id, page, url, "Title", [], None, None, text, content_hash(text), "text_cleaner")


def texts_by_outlet(archive: Path) -> dict[str, list[str]]:
    with connect(archive) as con:
        rows = con.sql("SELECT outlet, text FROM documents JOIN article_outlets USING (article_id)").fetchall()
    out: dict[str, list[str]] = {}
    for outlet, text in rows:
        out.setdefault(outlet, []).append(text)
    return out


def test_line_key_folds_case_and_spacing_only():
    assert line_key("Follow us  on Mastodon") == line_key("follow us on mastodon")
    assert line_key("Follow us on Mastodon") != line_key("Follow us on Bluesky")


def test_strip_learned_removes_the_lines_and_rehashes():
    text = "First paragraph stays.\n\nFollow the Gazette.\n\nSecond paragraph stays.\nFollow the Gazette."
    stripped = strip_learned(doc(text), {line_key("follow the gazette.")})
    assert stripped.text == "First paragraph stays.\n\nSecond paragraph stays."
    assert stripped.content_hash == content_hash(stripped.text) != doc(text).content_hash
    assert stripped.furniture == [("learned", "Follow the Gazette."), ("learned", "Follow the Gazette.")]
    assert strip_learned(doc(text), {line_key("Not in the page.")}).text == text


def test_count_lines_counts_each_text_once_per_outlet():
    a, copy = doc("Shared line.\n\nOwn line A.", "a"), doc("Shared line.\n\nOwn line A.", "a2")
    b, unknown = doc("Shared line.", "b"), doc("Shared line.\n\nOther.", "c")
    rows, counted = count_lines([a, copy, b, unknown], ["Gazette", "Gazette", "Gazette", None])
    assert {r["line"]: r["articles"] for r in rows} == {"Shared line.": 2, "Own line A.": 1}
    assert counted == [{"article_id": "a", "outlet": "Gazette"}, {"article_id": "b", "outlet": "Gazette"}]


def test_furniture_learned_in_a_run_is_gone_from_every_page_of_that_outlet(tmp_path):
    folder = write_pages(tmp_path / "in", GAZETTE, range(5))
    write_pages(folder, COURIER, range(2))
    # Two pages a shard: the first shard's pages are archived before the lines are learned,
    # and are cleaned by the reprocess the run starts after publishing.
    summary = run_plain(Settings(archive=tmp_path / "archive", entities=False, shard_size=2), [str(folder)])
    assert summary.furniture_learned == 3
    assert len(summary.stale_articles) == summary.stale_cleaned == 2

    texts = texts_by_outlet(tmp_path / "archive")
    assert len(texts[GAZETTE]) == 5
    for text in texts[GAZETTE]:
        assert not any(line in text for line in FURNITURE[GAZETTE])
    for n in range(5):
        assert sum(unique_sentence(GAZETTE, n) in t for t in texts[GAZETTE]) == 1
    # Two Courier pages are too few to learn from: its lines stay.
    for text in texts[COURIER]:
        assert all(line in text for line in FURNITURE[COURIER])

    with connect(tmp_path / "archive") as con:
        learned = con.sql("SELECT outlet, line, articles, share FROM learned_furniture() ORDER BY line").fetchall()
        runs = con.sql("SELECT kind, articles_replaced FROM runs ORDER BY started_at").fetchall()
        counts = con.sql("SELECT count(*), count(DISTINCT article_id) FROM documents").fetchone()
    assert learned == [(GAZETTE, line, 5, 1.0) for line in sorted(FURNITURE[GAZETTE])]
    assert runs == [("run", 0), ("reprocess", 2)]
    assert counts == (7, 7)


def test_a_writer_that_takes_the_archive_before_the_jobs_check_leaves_the_check_to_the_next_job(tmp_path, monkeypatch):
    """The job released the lock after publishing its runs; another writer took it before
    the job's furniture check: the job succeeds all the same (it exited 3, as if it had
    been refused), and the next job cleans the stale articles."""
    folder = write_pages(tmp_path / "in", GAZETTE, range(5))
    settings = Settings(archive=tmp_path / "archive", entities=False, shard_size=2)
    clean = job.clean_stale

    def after_another_writer(*args, **options):
        fd = os.open(ArchivePaths(settings.archive_dir).lock, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)  # another open file: to flock, another writer
        try:
            return clean(*args, **options)
        finally:
            os.close(fd)

    monkeypatch.setattr(job, "clean_stale", after_another_writer)
    summary = run_plain(settings, [str(folder)])
    assert (summary.status, len(summary.stale_articles), summary.stale_cleaned) == ("succeeded", 2, 0)
    monkeypatch.setattr(job, "clean_stale", clean)
    later = run_plain(settings, [str(folder)])
    assert (later.articles_archived, later.stale_cleaned) == (0, 2)
    for text in texts_by_outlet(tmp_path / "archive")[GAZETTE]:
        assert not any(line in text for line in FURNITURE[GAZETTE])


def test_a_jobs_stale_articles_are_stripped_from_the_documents_its_runs_extracted(tmp_path, monkeypatch):
    """The job's reprocess of its stale articles takes their documents as its runs
    extracted them (pipeline/extracted.py), not from their raw pages again, and stores
    the rows a re-extraction gives."""
    # A fetch time with an offset: 1 a.m. in its zone is the day before in UTC, as the archive stores it.
    folder = write_pages(tmp_path / "in", GAZETTE, range(6), fetched_at="2026-11-02T01:00:00+02:00", html=True)
    write_pages(folder, COURIER, range(4))
    # The first page again, last, its bytes not quite the same: the same article id, a duplicate.
    (folder / "zz-again.html").write_text((folder / "riversidegazette-0.html").read_text() + "\n")
    with open(folder / "manifest.csv", "a") as manifest:
        manifest.write("zz-again.html,2026-11-03T06:00:00Z,https://www.riversidegazette.example/news/story-0,Riverside Gazette\n")
    options = dict(entities=False, shard_size=2, run_pages=4)  # a job of three runs
    kept = run_plain(Settings(archive=tmp_path / "kept", **options), [str(folder)])
    monkeypatch.setattr(reprocess_module, "read_extracted", lambda *_: {})
    again = run_plain(Settings(archive=tmp_path / "again", **options), [str(folder)])
    assert len(kept.parts) == 3 and sorted(kept.stale_articles) == sorted(again.stale_articles)
    assert kept.stale_cleaned == again.stale_cleaned == len(kept.stale_articles) == 4

    def rows(archive: Path) -> dict[str, list[str]]:
        with connect(archive) as con:
            tables = {t: sorted(map(repr, con.sql(f"SELECT COLUMNS(c -> c NOT IN ('run_id', 'ingested_at')) FROM {t}")
                                    .fetchall()))
                      for t in ("documents", "article_dates", "date_candidates", "article_languages", "article_outlets",
                                "postings", "search_docs", "neardup_signatures")}
            extracted = con.sql("SELECT sum(pages_in) FROM run_stages JOIN runs USING (run_id) "
                                "WHERE kind = 'reprocess' AND stage = 'extract'").fetchone()[0]
        return tables | {"extracted again": extracted}

    ours, theirs = rows(tmp_path / "kept"), rows(tmp_path / "again")
    assert (ours.pop("extracted again"), theirs.pop("extracted again")) == (None, 4)
    assert ours == theirs
    assert not any(FURNITURE[GAZETTE][0] in text for text in texts_by_outlet(tmp_path / "kept")[GAZETTE])
    assert not ArchivePaths(tmp_path / "kept").extracted.exists()  # gone with the job's check


def test_a_jobs_check_parses_none_of_the_lines_its_runs_parsed_and_stores_the_same_entities(tmp_path, monkeypatch):
    """With entities on, a stale article's kept document carries its lines' parse: the
    check only took lines out, so spaCy reads none of its lines again, and the mentions
    stored are those of an article parsed afresh."""
    folder = write_pages(tmp_path / "in", GAZETTE, range(6), html=True)
    model = entities.load_model(Settings().spacy_model)
    parsed: list[tuple[str, str]] = []  # (phase, line)
    phase = ["run"]
    pipe, clean = model.pipe, job.clean_stale

    def counted_pipe(texts, **options):
        texts = list(texts)
        parsed.extend((phase[0], t) for t in texts)
        return pipe(texts, **options)

    def marked_clean(*args, **options):
        phase[0] = "check"
        try:
            return clean(*args, **options)
        finally:
            phase[0] = "run"

    monkeypatch.setattr(model, "pipe", counted_pipe)
    monkeypatch.setattr(job, "clean_stale", marked_clean)
    options = dict(shard_size=2, run_pages=4, workers=1)  # tagged in this process, by this model
    kept = run_plain(Settings(archive=tmp_path / "kept", **options), [str(folder)])
    in_kept_check = [line for when, line in parsed if when == "check"]
    parsed.clear()
    monkeypatch.setattr(reprocess_module, "read_extracted", lambda *_: {})
    again = run_plain(Settings(archive=tmp_path / "again", **options), [str(folder)])
    in_check_again = [line for when, line in parsed if when == "check"]

    assert kept.stale_cleaned == again.stale_cleaned == 2
    assert in_kept_check == [] and len(in_check_again) > 4
    assert not set(FURNITURE[GAZETTE]) & set(in_check_again)

    def mentions(archive: Path) -> list[tuple]:
        with connect(archive) as con:
            return con.sql("SELECT article_id, entity, entity_type, surface_forms, mention_count, first_position "
                           "FROM mentions ORDER BY ALL").fetchall()

    assert mentions(tmp_path / "kept") == mentions(tmp_path / "again")
    assert ("Ines Moreau", "person") in {(entity, kind) for _, entity, kind, *_ in mentions(tmp_path / "kept")}


def test_kept_documents_are_data_read_back_as_written_and_a_bad_file_is_passed_over(tmp_path):
    """A kept file is JSON (a pickle would run whatever code whoever wrote it put in it),
    read back into the same typed records; a file cut short or not ours is passed over,
    and its articles are extracted again."""
    paths = ArchivePaths(tmp_path / "archive")
    html = Document("h1", Page(RawPage("g.html", b"", "https://www.gazette.example/a",
                                       datetime(2026, 11, 2, 1, tzinfo=timezone.utc), headers={"content-language": "de"}),
                               "hash-h", "", True, "utf-8"),
                    "https://gazette.example/a", "Title", ["Ana Diaz"], "Gazette", None, "Text of\tthe article.\n\nAnd more.",
                    content_hash("Text of\tthe article.\n\nAnd more."), "trafilatura_precision", html_date="2026-11-01",
                    furniture=[("promo", "Read more")],
                    markup=PageMarkup(dates=(Candidate(date(2026, 11, 1), "json_ld", "datePublished 2026-11-01T09:00:00+01:00",
                                                       datetime(2026, 11, 1, 8, tzinfo=timezone.utc), 60),),
                                      bylines=("By Ana Diaz",), declared_language=("de", "html_lang")))
    text = doc("Scraped text.\n\nDonate now.", "t1")
    parse = {"0123abcd": [("Ana Diaz", "person", 0, 8)], "4567ef01": []}
    keep_extracted(paths, "run1", 0, [html], ["h1"], {"h1": parse})
    keep_extracted(paths, "run1", 1, [text], ["t1-archived"], {"t1": parse})
    keep_extracted(paths, "run1", 2, [doc("Another.", "x1")], ["x1"], {})
    files = sorted(paths.extracted.iterdir())
    assert [f.name for f in files] == ["run1-00000.jsonl", "run1-00001.jsonl", "run1-00002.jsonl"]
    key, document = files[0].read_text().split("\t")
    assert (json.loads(key), json.loads(document)["authors"]) == (["h1", "g.html", "hash-h"], ["Ana Diaz"])
    files[2].write_bytes(files[2].read_bytes()[:40])  # cut short
    wanted = {("h1", "g.html", "hash-h"), ("t1-archived", "x.txt", "rawhash"), ("x1", "x.txt", "rawhash")}
    assert read_extracted(paths, ["run1"], wanted) == {("h1", "g.html", "hash-h"): replace(html, entity_lines=parse),
                                                       ("t1-archived", "x.txt", "rawhash"): text}
    forget_extracted(paths, ["run1"])
    assert not paths.extracted.exists()


def test_a_furniture_check_extracts_each_article_again_in_the_mode_it_was(tmp_path):
    """A fast backfill's check of older articles neither downgrades them to fast mode nor
    upgrades its own: only their lines are to change."""
    settings = Settings(archive=tmp_path / "archive", entities=False)
    run_plain(settings, [str(write_pages(tmp_path / "first", GAZETTE, range(2), html=True))])
    later = run_plain(settings.model_copy(update={"fast_extraction": True}),
                      [str(write_pages(tmp_path / "later", GAZETTE, range(2, 5), html=True))])
    assert later.stale_cleaned == 2
    with connect(tmp_path / "archive") as con:
        methods = con.sql("SELECT regexp_extract(source_ref, '(first|later)'), extract_method, text FROM documents").fetchall()
    assert sorted((folder, method) for folder, method, _ in methods) == [
        ("first", "trafilatura_precision"), ("first", "trafilatura_precision"),
        ("later", "trafilatura_precision_fast"), ("later", "trafilatura_precision_fast"), ("later", "trafilatura_precision_fast")]
    assert not any(FURNITURE[GAZETTE][0] in text for _, _, text in methods)


def test_furniture_learned_by_a_later_run_cleans_the_earlier_runs_pages(tmp_path, run_flow):
    folder = write_pages(tmp_path / "first", GAZETTE, range(2))
    run_flow([folder], tmp_path / "archive", entities=False)
    assert all(FURNITURE[GAZETTE][0] in t for t in texts_by_outlet(tmp_path / "archive")[GAZETTE])

    later = write_pages(tmp_path / "later", GAZETTE, range(2, 4))
    summary = run_flow([later], tmp_path / "archive", entities=False)
    assert summary["furniture_learned"] == 3 and summary["stale_cleaned"] == 2
    texts = texts_by_outlet(tmp_path / "archive")[GAZETTE]
    assert len(texts) == 4
    assert not any(line in t for t in texts for line in FURNITURE[GAZETTE])
    # The flow's reprocess task completed the job's check.
    check = checked_lines(ArchivePaths(tmp_path / "archive"))
    assert (check.run_id, check.lines) == (summary["run_id"], {GAZETTE: {line_key(line) for line in FURNITURE[GAZETTE]}})


def test_seeds_learn_nothing(seed_archive):
    archive, _ = seed_archive
    with connect(archive) as con:
        assert con.sql("SELECT count(*) FROM learned_furniture()").fetchone() == (0,)
        removed = con.sql("SELECT furniture_removed FROM documents").fetchall()
    assert all(n > 0 for (n,) in removed)  # the rule-based furniture, as before
    assert not ArchivePaths(archive).extracted.exists()  # nothing stale: the job's documents are not kept


def test_a_line_in_one_archived_article_is_learned_when_a_run_brings_two_more(tmp_path):
    """The run learns from a snapshot of the archive's counts, which keeps a line's text
    only where two articles have it; the one archived article still counts."""
    settings = Settings(archive=tmp_path / "archive", entities=False)
    first = run_plain(settings, [str(write_pages(tmp_path / "first", GAZETTE, range(1)))])
    assert first.furniture_learned == 0

    later = run_plain(settings, [str(write_pages(tmp_path / "later", GAZETTE, range(1, 3)))])
    assert later.furniture_learned == 3
    # The two new pages were stripped as they were archived; the first one by the reprocess.
    assert later.stale_articles and later.stale_cleaned == 1
    texts = texts_by_outlet(tmp_path / "archive")[GAZETTE]
    assert len(texts) == 3
    assert not any(line in t for t in texts for line in FURNITURE[GAZETTE])
    with connect(tmp_path / "archive") as con:
        learned = con.sql("SELECT line, articles FROM learned_furniture() ORDER BY line").fetchall()
    assert learned == [(line, 3) for line in sorted(FURNITURE[GAZETTE])]


def test_the_snapshot_sums_every_runs_lines_within_its_memory(tmp_path, monkeypatch):
    """Summed across runs per outlet and line; the text kept where two articles have the
    line. 300,000 rows under a memory limit they do not fit in: DuckDB spills."""
    paths = ArchivePaths(tmp_path / "archive")
    ensure_archive(paths)
    for run in range(3):
        rows = [{"outlet": GAZETTE, "line_key": line_key("Donate today"), "line": "Donate today", "articles": 2,
                 "run_id": f"2026010{run}T000000Z-x"},
                {"outlet": COURIER, "line_key": line_key("Donate today"), "line": "Donate today", "articles": 1,
                 "run_id": f"2026010{run}T000000Z-x"}]
        rows += [{"outlet": GAZETTE, "line_key": line_key(f"paragraph {run} {n}"), "line": f"paragraph {run} {n} " * 8,
                  "articles": 1, "run_id": f"2026010{run}T000000Z-x"} for n in range(100_000)]
        write_table(paths.data / f"2026010{run}T000000Z-x", TABLES["furniture_lines"], rows)
    monkeypatch.setattr(furniture, "SNAPSHOT_MEMORY", "40MB")
    snapshot = duckdb.connect().sql(f"FROM '{furniture.write_snapshot(paths, tmp_path / 'snapshot.parquet')}'")
    assert snapshot.count("*").fetchone()[0] == 300_002
    assert snapshot.filter("line_key = '%s'" % line_key("Donate today")).order("outlet").select(
        "outlet, line, articles").fetchall() == sorted([(COURIER, "Donate today", 3), (GAZETTE, "Donate today", 6)])
    assert snapshot.filter("articles = 1 AND line IS NOT NULL").count("*").fetchone()[0] == 0


def test_a_snapshot_that_cannot_fit_its_memory_is_summed_within_duckdbs_default(tmp_path, monkeypatch, caplog):
    paths = ArchivePaths(tmp_path / "archive")
    ensure_archive(paths)
    write_table(paths.data / "20260101T000000Z-x", TABLES["furniture_lines"], [
        {"outlet": GAZETTE, "line_key": line_key(f"line {n % 500}"), "line": f"line {n % 500} " * 20, "articles": 1,
         "run_id": "20260101T000000Z-x"} for n in range(20_000)])
    monkeypatch.setattr(furniture, "SNAPSHOT_MEMORY", "1MB")
    snapshot = duckdb.connect().sql(f"FROM '{furniture.write_snapshot(paths, tmp_path / 'snapshot.parquet')}'")
    assert snapshot.aggregate("count(*), min(articles), count(line)").fetchone() == (500, 40, 500)
    assert "summing it within DuckDB's default" in caplog.text


def archive_of(root: Path, articles: dict[str, tuple[str, str]]) -> ArchivePaths:
    """An archive whose articles (id: (run id, text)) are all the Gazette's."""
    paths = ArchivePaths(root)
    ensure_archive(paths)
    for run_id in sorted({run for run, _ in articles.values()}):
        ids = [a for a, (run, _) in articles.items() if run == run_id]
        write_table(paths.data / run_id, TABLES["documents"], [
            {"article_id": a, "source_ref": f"{a}.txt", "text": articles[a][1], "word_count": 9, "content_hash": a,
             "raw_hash": a, "page_format": "text", "extract_method": "text_cleaner", "furniture_removed": 0,
             "run_id": run_id, "ingested_at": datetime.strptime(run_id[:8], "%Y%m%d").replace(tzinfo=timezone.utc)}
            for a in ids])
        write_table(paths.data / run_id, TABLES["article_outlets"], [
            {"article_id": a, "outlet": GAZETTE, "outlet_method": "manifest", "wire_method": "none",
             "is_syndicated": False, "content_source_method": "none", "run_id": run_id} for a in ids])
    return paths


def test_lines_already_checked_are_looked_for_only_in_articles_archived_since(tmp_path):
    checked_line, new_line = "Support the Gazette today", "Gazette events calendar"
    paths = archive_of(tmp_path, {
        "old-checked": ("20261101T000000Z-aaaaaa", f"Council met.\n{checked_line}"),
        "old-new-line": ("20261101T000000Z-aaaaaa", f"Budget passed.\n{new_line}"),
        "later": ("20261103T000000Z-cccccc", f"Bridge opened.\n{checked_line}"),
    })
    # Every article was checked for the first line by the job of 2026-11-02: the article
    # archived before that holds it only if that check's reprocess never finished, which
    # leaves the check pending, not the archive's. So it is not read again.
    check = Check("20261102T000000Z-bbbbbb", datetime(2026, 11, 2, 12, tzinfo=timezone.utc),
                  {GAZETTE: {line_key(checked_line)}})
    assert stale_articles(paths, {GAZETTE: {line_key(checked_line): checked_line}}, check) == ["later"]
    # A line learned since is looked for in every article of the outlet (and, read, each is
    # checked for every learned line).
    learned = {GAZETTE: {line_key(checked_line): checked_line, line_key(new_line): new_line}}
    assert stale_articles(paths, learned, check) == ["later", "old-checked", "old-new-line"]
    assert stale_articles(paths, learned, Check()) == ["later", "old-checked", "old-new-line"]


def test_a_check_becomes_the_archives_only_when_complete_and_never_over_a_later_one(tmp_path):
    paths = ArchivePaths(tmp_path)
    # Checks in the order they were made; runs started in one second need not sort so.
    first, second, third = "20261101T000000Z-ffffff", "20261101T000000Z-000000", "20261101T000001Z-cccccc"
    note_check(paths, first, {GAZETTE: {"k1": "Line one"}})
    assert checked_lines(paths) == Check()  # pending: its reprocess has not returned
    note_check(paths, second, {GAZETTE: {"k1": "Line one", "k2": "Line two"}})
    note_check(paths, third, {GAZETTE: {"k1": "Line one"}})
    record_check(paths, second)
    check = checked_lines(paths)
    assert (check.run_id, check.lines) == (second, {GAZETTE: {"k1", "k2"}})
    # The first job's pending check is superseded and gone; the third's waits for its reprocess.
    assert sorted(p.name for p in paths.root.glob(".furniture_checked.*")) == [f".furniture_checked.{third}.pending"]
    record_check(paths, first)  # an earlier job completing late changes nothing
    assert checked_lines(paths) == check


def test_a_reprocess_that_does_not_strip_a_checked_line_makes_the_next_job_look_for_it(tmp_path):
    """A reprocess strips the lines learned under its own settings and keeps each article's
    run: a line it does not strip comes back into old articles, where a later job must
    look for it again."""
    settings = Settings(archive=tmp_path / "archive", entities=False, shard_size=2)
    first = run_plain(settings, [str(write_pages(tmp_path / "in", GAZETTE, range(5)))])
    assert first.furniture_learned == 3 and first.stale_cleaned == 2
    assert checked_lines(ArchivePaths(tmp_path / "archive")).lines == {GAZETTE: {line_key(line) for line in FURNITURE[GAZETTE]}}

    reprocess(Settings(archive=tmp_path / "archive", entities=False, furniture_min_articles=50), Selection())
    assert all(FURNITURE[GAZETTE][0] in t for t in texts_by_outlet(tmp_path / "archive")[GAZETTE])
    assert checked_lines(ArchivePaths(tmp_path / "archive")).lines == {}

    later = run_plain(settings, [str(write_pages(tmp_path / "later", COURIER, range(1)))])
    assert later.stale_cleaned == 5
    assert not any(line in t for t in texts_by_outlet(tmp_path / "archive")[GAZETTE] for line in FURNITURE[GAZETTE])


def test_a_job_that_died_before_cleaning_leaves_its_stale_articles_to_the_next(tmp_path, monkeypatch):
    settings = Settings(archive=tmp_path / "archive", entities=False)
    run_plain(settings, [str(write_pages(tmp_path / "first", GAZETTE, range(2)))])

    def dies(*args, **kwargs):
        raise RuntimeError("killed before the reprocess")

    monkeypatch.setattr(job, "reprocess", dies)
    with pytest.raises(RuntimeError):
        run_plain(settings, [str(write_pages(tmp_path / "later", GAZETTE, range(2, 4)))])
    assert sum(FURNITURE[GAZETTE][0] in t for t in texts_by_outlet(tmp_path / "archive")[GAZETTE]) == 2
    assert checked_lines(ArchivePaths(tmp_path / "archive")).lines == {}  # the first job's check: nothing learned
    monkeypatch.undo()

    summary = run_plain(settings, [str(write_pages(tmp_path / "third", COURIER, range(1)))])
    assert summary.furniture_learned == 0 and summary.stale_cleaned == 2
    assert not any(line in t for t in texts_by_outlet(tmp_path / "archive")[GAZETTE] for line in FURNITURE[GAZETTE])
    check = checked_lines(ArchivePaths(tmp_path / "archive"))
    assert check.run_id == summary.run_id and check.lines[GAZETTE] == {line_key(line) for line in FURNITURE[GAZETTE]}


def test_a_damaged_check_file_costs_one_full_check(tmp_path, caplog):
    settings = Settings(archive=tmp_path / "archive", entities=False)
    run_plain(settings, [str(write_pages(tmp_path / "first", GAZETTE, range(2)))])
    paths = ArchivePaths(tmp_path / "archive")
    (paths.root / "furniture_checked.parquet").write_bytes(b"not parquet")
    assert checked_lines(paths) == Check()
    assert "furniture check" in caplog.text and "unreadable" in caplog.text

    later = run_plain(settings, [str(write_pages(tmp_path / "later", GAZETTE, range(2, 4)))])
    assert later.stale_cleaned == 2  # the first two pages, found by the full check
    check = checked_lines(paths)
    assert (check.run_id, check.lines) == (later.run_id, {GAZETTE: {line_key(line) for line in FURNITURE[GAZETTE]}})
