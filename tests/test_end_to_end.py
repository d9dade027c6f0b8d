"""The seeds, end to end, through a real Prefect flow run into real Parquet and DuckDB."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from pathlib import Path

import duckdb

from conftest import LAIST, NBC, SEEDS, newsarchive
from pipeline.store import connect


def articles(archive: Path) -> dict[str, dict]:
    with connect(archive) as con:
        rel = con.sql("SELECT * FROM articles")
        return {row[rel.columns.index("title")]: dict(zip(rel.columns, row)) for row in rel.fetchall()}


def test_both_seed_pages_are_archived_in_english(seed_archive):
    archive, summary = seed_archive
    assert summary["status"] == "succeeded"
    assert (summary["pages_read"], summary["articles_archived"], summary["rejected"]) == (2, 2, 0)
    found = articles(archive)
    assert set(found) == {LAIST, NBC}
    for row in found.values():
        assert row["language"] == "en" and row["language_probability"] > 0.9


def test_laist_page_date_wire_outlet_and_clean_text(seed_archive):
    row = articles(seed_archive[0])[LAIST]
    assert str(row["published_date"]) == "2021-12-23"
    # from the image caption "..., Thursday, Dec. 23, 2021.", which the cleaner removed as furniture
    assert (row["published_method"], row["published_inferred"]) == ("caption", False)
    assert row["wire_service"] == "AP" and row["wire_method"] == "dateline"
    assert row["outlet"] == "LAist"
    # AP's story as NPR distributed it ("Copyright 2021 NPR"), on LAist's site
    assert (row["content_source"], row["is_syndicated"]) == ("NPR", True)
    # each with its evidence, in the same view
    assert (row["outlet_evidence"], row["wire_evidence"]) == ("laist logo", "MOSCOW (AP) —")
    assert row["content_source_evidence"] == "Copyright 2021 NPR" and row["fetched_at_method"] == "manifest"
    for furniture in ("Sponsored message", "Listen Now Playing", "Make your tax-deductible donation today",
                      "If this story helped you today", "radio tower icon", "0:00", "Copyright 2021 NPR"):
        assert furniture not in row["text"], furniture
    assert row["text"].startswith("MOSCOW (AP) — Russian President Vladimir Putin urged the West")
    assert row["text"].endswith("devastated Ukraine's industrial heartland, known as the Donbas.")


def test_other_page_keeps_every_body_paragraph_and_is_no_wire_story(seed_archive):
    row = articles(seed_archive[0])[NBC]
    assert "IE 11 is not supported" not in row["text"]
    seed = (SEEDS / "000_c8b65d296b825c04.txt").read_text()
    body = seed[seed.index("Russian President Vladimir Putin sought"):].split("\n")
    # The cleaner folds white space (non-breaking spaces included), so compare folded.
    paragraphs = [" ".join(p.split()) for p in body if p.strip() and "Andriy Dubchak / AP" not in p]
    assert len(paragraphs) == 20
    kept = [p.strip() for p in row["text"].split("\n\n")]
    for p in paragraphs:
        assert p in kept, p
    assert "Andriy Dubchak / AP" not in row["text"]
    assert row["wire_service"] is None and row["wire_method"] == "none"


def test_weekday_only_page_is_dated_from_its_story_and_says_so(seed_archive):
    """The NBC page only says "Thursday". Fetched on Monday 2026-11-23, that would be
    2026-11-19; its story's other member, the LAist page, states 2021-12-23 (a Thursday)."""
    with connect(seed_archive[0]) as con:
        row = con.execute("SELECT published_date, published_method, published_inferred, published_evidence "
                          "FROM articles WHERE title = ?", [NBC]).fetchone()
        candidates = con.execute("SELECT source, candidate_date, status FROM date_candidates JOIN articles USING (article_id) "
                                 "WHERE title = ? ORDER BY status", [NBC]).fetchall()
        laist_story, nbc_story = (con.execute("SELECT story_id FROM story_members JOIN articles USING (article_id) "
                                              "WHERE title = ?", [t]).fetchone() for t in (LAIST, NBC))
    assert laist_story == nbc_story
    assert row == (date(2021, 12, 23), "weekday_story", True, "Thursday; story dated 2021-12-23")
    assert candidates == [("weekday_fetch_time", date(2026, 11, 19), "candidate"),
                          ("weekday_story", date(2021, 12, 23), "chosen")]


def test_date_mentions_resolve_against_the_publication_date(seed_archive):
    with connect(seed_archive[0]) as con:
        rows = con.execute("""
            SELECT a.title, m.mention, m.start_date, m.end_date, m.granularity, m.relative
            FROM date_mentions m JOIN articles a USING (article_id)""").fetchall()
    laist = {(r[1], r[2], r[3], r[4], r[5]) for r in rows if r[0] == LAIST}
    assert ("next month", date(2022, 1, 1), date(2022, 1, 31), "month", True) in laist
    assert any(m[1:] == (date(2014, 1, 1), date(2014, 12, 31), "year", False) for m in laist)  # "in 2014"
    # the NBC page's "last week" is the week before the story's Thursday, not before the fetch
    nbc = {(r[1], r[2], r[3]) for r in rows if r[0] == NBC}
    assert ("last week", date(2021, 12, 13), date(2021, 12, 19)) in nbc


def test_entities_are_typed_and_short_forms_merged(seed_archive):
    with connect(seed_archive[0]) as con:
        rows = con.sql("SELECT a.title, m.* FROM mentions m JOIN articles a USING (article_id)").fetchall()
        columns = ["title", *con.sql("SELECT * FROM mentions LIMIT 0").columns]
    mentions = [dict(zip(columns, r)) for r in rows]
    for title in (LAIST, NBC):
        mine = {(m["entity"], m["entity_type"]): m for m in mentions if m["title"] == title}
        putin = mine[("Vladimir Putin", "person")]
        assert "Putin" in putin["surface_forms"] and putin["mention_count"] >= 6
        assert not any(name == "Putin" for name, _ in mine), "the surname must be counted into the full name"
        assert ("NATO", "organisation") in mine
        assert ("Ukraine", "place") in mine and ("Moscow", "place") in mine
    nbc = {m["entity"]: m for m in mentions if m["title"] == NBC}
    assert nbc["Joe Biden"]["surface_forms"] == ["Biden", "Joe Biden"]
    # each under the full name, once per article that names them, short forms counted in
    for title, people in ((NBC, ("Joe Biden", "Vladimir Putin", "Antony Blinken")), (LAIST, ("Joe Biden", "Vladimir Putin"))):
        mine = [m for m in mentions if m["title"] == title and m["entity_type"] == "person"]
        for full in people:
            surname = full.split()[-1]
            assert [m["entity"] for m in mine if surname in m["entity"]] == [full], (title, full)
    assert "MOSCOW" not in {m["entity"] for m in mentions}, "a dateline place is no organisation"
    calendar = re.compile(r"\d|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|year|month|week)\b", re.I)
    assert not [m["entity"] for m in mentions if calendar.search(m["entity"])]
    assert {m["entity_type"] for m in mentions} <= {"person", "organisation", "place", "nationality", "event"}


def test_search_finds_both_and_filters_narrow(seed_archive):
    archive = str(seed_archive[0])
    hits = json.loads(newsarchive("search", "security guarantees", "--archive", archive, "--json").stdout)
    assert {h["title"] for h in hits} == {LAIST, NBC}
    assert all("guarantee" in h["snippet"].lower() for h in hits)
    by_outlet = json.loads(newsarchive("search", "security guarantees", "--archive", archive,
                                       "--outlet", "LAist", "--json").stdout)
    assert [h["title"] for h in by_outlet] == [LAIST]
    by_date = json.loads(newsarchive("search", "security guarantees", "--archive", archive,
                                     "--since", "2021-12-01", "--until", "2021-12-31", "--json").stdout)
    assert {h["title"] for h in by_date} == {LAIST, NBC}  # NBC's day comes from its story
    assert json.loads(newsarchive("search", "security guarantees", "--archive", archive,
                                  "--since", "2022-01-01", "--json").stdout) == []


def test_a_limit_below_one_is_a_usage_error_not_a_traceback(seed_archive):
    archive = str(seed_archive[0])
    for command in (("search", "security", "--limit", "-1"), ("report", "--limit", "0"),
                    ("search", "security", "--limit", "0"), ("compact", "--target-mb", "nan")):
        ran = newsarchive(*command, "--archive", archive, check=False)
        assert ran.returncode == 2 and "Traceback" not in ran.stderr
        assert f"argument {command[-2]}: {command[-1]} is not a number above zero" in ran.stderr
    assert len(json.loads(newsarchive("search", "security", "--limit", "1", "--archive", archive, "--json").stdout)) == 1


def test_search_is_callable_from_sql(seed_archive):
    with connect(seed_archive[0]) as con:
        rows = con.sql("""
            SELECT s.title, count(m.entity) AS entities
            FROM search('security guarantees') s JOIN mentions m USING (article_id)
            GROUP BY s.title, s.score ORDER BY s.score DESC
        """).fetchall()
    assert {title for title, _ in rows} == {LAIST, NBC}
    assert all(n > 5 for _, n in rows)


def table_counts(archive: Path) -> dict[str, int]:
    tables = ["documents", "article_dates", "article_languages", "article_outlets", "mentions",
              "duplicates", "rejects", "postings", "search_docs"]
    with connect(archive) as con:
        return {t: con.sql(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


def test_second_run_on_the_same_input_adds_no_rows(tmp_path, run_flow):
    archive = tmp_path / "archive"
    first = run_flow([SEEDS], archive)
    before = table_counts(archive)
    second = run_flow([SEEDS], archive)
    assert table_counts(archive) == before
    assert before["documents"] == 2 and before["mentions"] > 20
    assert (second["pages_read"], second["pages_unchanged"], second["articles_archived"]) == (2, 2, 0)
    with connect(archive) as con:
        runs = con.sql("SELECT run_id, status, articles_archived FROM runs ORDER BY started_at").fetchall()
    assert runs == [(first["run_id"], "succeeded", 2), (second["run_id"], "succeeded", 0)]


def test_bad_files_are_rejected_with_reasons_and_good_pages_still_land(seed_folder, tmp_path, run_flow):
    (seed_folder / "broken.html").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (seed_folder / "empty.txt").write_bytes(b"")
    rng = random.Random(7)
    (seed_folder / "garbled.txt").write_bytes(bytes(rng.randrange(0x80, 0x100) for _ in range(3000)))
    (seed_folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 64)
    archive = tmp_path / "archive"
    summary = run_flow([seed_folder], archive)
    assert summary["articles_archived"] == 2 and summary["rejected"] == 4
    with connect(archive) as con:
        rejects = dict(con.sql("SELECT regexp_extract(source_ref, '[^/]+$'), reason FROM rejects").fetchall())
        details = con.sql("SELECT detail FROM rejects").fetchall()
        titles = {t for (t,) in con.sql("SELECT title FROM articles").fetchall()}
    assert rejects == {"broken.html": "binary", "empty.txt": "empty", "garbled.txt": "undecodable",
                       "photo.jpg": "unsupported_type"}
    assert all(len(d) > 20 for (d,) in details)
    assert titles == {LAIST, NBC}
    again = run_flow([seed_folder], archive)
    assert again["rejected"] == 0 and again["pages_unchanged"] == 6, "known rejects are not recorded twice"


def test_cli_run_prints_summary_and_archive_answers_sql(tmp_path, prefect_api_url):
    archive = tmp_path / "cli-archive"
    out = newsarchive("run", str(SEEDS), "--archive", str(archive), env={"PREFECT_API_URL": prefect_api_url}).stdout
    assert re.search(r"articles archived\s+2\b", out) and re.search(r"rejected\s+0\b", out)
    assert str(archive) in out and "newsarchive search" in out
    rows = json.loads(newsarchive("sql", "SELECT outlet, wire_service FROM articles ORDER BY outlet",
                                  "--archive", str(archive), "--format", "json").stdout)
    assert rows == [{"outlet": "LAist", "wire_service": "AP"}, {"outlet": None, "wire_service": None}]
    report = newsarchive("report", "--archive", str(archive)).stdout
    assert "daily_volume_by_outlet" in report and "LAist" in report and "Vladimir Putin" in report
    con = duckdb.connect(str(archive / "archive.duckdb"), read_only=True)
    assert con.sql("SELECT kind, status FROM run_health").fetchall() == [("run", "succeeded")]
    for query, error in [("selec 1", "Parser Error"), ("SELECT * FROM no_such_table", "Catalog Error"),
                         ("CREATE TABLE t (x INT)", "read-only")]:
        failed = newsarchive("sql", query, "--archive", str(archive), check=False)
        assert failed.returncode == 4 and failed.stderr.startswith("newsarchive sql: ") and error in failed.stderr
        assert "Traceback" not in failed.stderr


def test_cli_reports_a_missing_archive_clearly(tmp_path):
    result = newsarchive("search", "x", "--archive", str(tmp_path / "nowhere"), check=False)
    assert result.returncode == 2 and "no archive at" in result.stderr
