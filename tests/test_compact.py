"""`compact` merges the small run folders into large ones and `reindex` rebuilds the
search index, each as one new generation: every row as it was, the same search results,
and every later writer (runs, reprocess, crash recovery) still at home in the archive."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import newsarchive
from corpus import COURIER, FURNITURE, GAZETTE, write_pages
from pipeline.compact import compact
from pipeline.job import run_plain
from pipeline.reindex import reindex
from pipeline.reprocess import Selection, reprocess
from pipeline.run import RunPlan
from pipeline.search import search
from pipeline.settings import Settings
from pipeline.store import ArchivePaths, connect, genesis_run
from schemas.tables import TABLES

QUERIES = ("ferry", "library reading room", "orchard apples prize", "stone bridge", "story number", "count year")


def loose(archive: Path) -> Settings:
    """Too few articles per outlet for furniture to be learned."""
    return Settings(archive=archive, entities=False, furniture_min_articles=10)


def strict(archive: Path) -> Settings:
    return Settings(archive=archive, entities=False, furniture_min_articles=3)


def build_archive(tmp_path: Path) -> Path:
    """Folders of every kind: three runs, a failed run (its runs row alone), and a
    reprocess that rewrote two run folders as `<run>.<reprocess>`."""
    archive = tmp_path / "archive"
    for n, (outlet, pages) in enumerate(((GAZETTE, range(0, 3)), (GAZETTE, range(3, 5)), (COURIER, range(0, 3)))):
        run_plain(loose(archive), [str(write_pages(tmp_path / f"in{n}", outlet, pages))])
    with pytest.raises(Exception):
        run_plain(loose(archive), [str(tmp_path / "no-such-folder")])
    assert reprocess(strict(archive), Selection(outlet=GAZETTE)).replaced == 5
    return archive


def snapshot(archive: Path, leave_out: set[str] = frozenset()) -> dict[str, list[str]]:
    """Every row of every table as a multiset (sorted reprs), runs in `leave_out` left out."""
    with connect(archive) as con:
        out = {}
        for name, table in TABLES.items():
            where = " WHERE run_id NOT IN (SELECT unnest(?::VARCHAR[]))" if "run_id" in table.column_names else ""
            params = [sorted(leave_out)] if where else []
            out[name] = sorted(map(repr, con.execute(f"SELECT * FROM {name}{where}", params).fetchall()))
        return out


def results(archive: Path) -> dict[str, list[tuple]]:
    with connect(archive) as con:
        return {q: [(h["article_id"], round(h["score"], 9), h["title"]) for h in search(con, q, limit=50)]
                for q in QUERIES}


def folders(archive: Path) -> list[str]:
    return sorted(p.name for p in ArchivePaths(archive).data.iterdir())


def runs(archive: Path, run_id: str) -> tuple:
    with connect(archive) as con:
        return con.execute("SELECT kind, status, executor, sources, error FROM runs WHERE run_id = ?",
                           [run_id]).fetchone()


def test_compact_merges_the_small_run_folders_and_keeps_every_row(tmp_path):
    archive = build_archive(tmp_path)
    before, hits, names = snapshot(archive), results(archive), folders(archive)
    # Genesis, three runs (two rewritten by the reprocess), the failed run, the reprocess.
    assert len(names) == 6 and sum("." in n for n in names) == 2

    summary = compact(Settings(archive=archive))

    assert (summary.folders_merged, summary.folders_written, summary.folders_kept) == (5, 1, 1)
    assert folders(archive) == sorted([genesis_run(), f"{summary.run_id}-0001", summary.run_id])
    assert snapshot(archive, leave_out={summary.run_id}) == before  # not a row lost, changed or doubled
    assert results(archive) == hits
    kind, status, executor, sources, error = runs(archive, summary.run_id)
    assert (kind, status, executor, error) == ("compact", "succeeded", "plain", None)
    assert sources == ["compact: 5 run folders into 1"]
    with connect(archive) as con:
        assert con.execute("SELECT stage, pages_in, pages_out FROM run_stages WHERE run_id = ?",
                           [summary.run_id]).fetchall() == [("compact", 5, 1)]


def test_a_compacted_archive_takes_new_runs_reprocesses_and_another_compaction(tmp_path):
    archive = build_archive(tmp_path)
    first = compact(Settings(archive=archive))
    # Two more Courier pages: with five, its furniture can be learned; the reprocess then
    # rewrites both the merged folder (Courier 0-2) and the new run's folder.
    run = run_plain(loose(archive), [str(write_pages(tmp_path / "later", COURIER, range(3, 5)))])
    assert run.articles_archived == 2
    again = reprocess(strict(archive), Selection(outlet=COURIER))
    assert again.replaced == 5
    assert f"{first.run_id}-0001.{again.run_id}" in folders(archive)
    with connect(archive) as con:
        texts = [t for (t,) in con.sql("SELECT text FROM documents").fetchall()]
        assert len(texts) == 10 and con.sql("SELECT count(DISTINCT article_id) FROM documents").fetchone()[0] == 10
        for table in ("article_dates", "article_languages", "article_outlets", "search_docs", "neardup_signatures"):
            assert con.sql(f"SELECT count(*), count(DISTINCT article_id) FROM {table}").fetchone() == (10, 10), table
    assert not any(line in text for text in texts for line in (*FURNITURE[GAZETTE], *FURNITURE[COURIER]))

    before, hits = snapshot(archive), results(archive)
    second = compact(Settings(archive=archive))
    # The first's merged folder and the run's (both rewritten), the first's and the reprocess's runs rows.
    assert second.folders_merged == 4
    assert folders(archive) == sorted([genesis_run(), f"{second.run_id}-0001", second.run_id])
    assert snapshot(archive, leave_out={second.run_id}) == before
    assert results(archive) == hits


def test_crash_recovery_before_a_compaction_still_tells_dead_runs_from_published_ones(tmp_path):
    archive = build_archive(tmp_path)
    paths = ArchivePaths(archive)
    with connect(archive) as con:
        # The Courier run: its folder still bears its name (the reprocess renamed the Gazette's).
        published = con.sql("SELECT run_id FROM runs WHERE kind = 'run' AND status = 'succeeded' "
                            "ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    assert (paths.data / published).is_dir()
    # A run that died while tidying up after publishing, and one that died before.
    now = datetime.now(timezone.utc).isoformat()
    for run_id in (published, "20991231T000000Z-dead00"):
        (paths.staging / run_id).mkdir()
        RunPlan(run_id, str(archive), "plain", ["somewhere"], now, loose(archive).model_dump(mode="json")).save()

    summary = compact(Settings(archive=archive))

    with connect(archive) as con:
        crashed = con.sql("SELECT run_id FROM runs WHERE status = 'crashed'").fetchall()
    assert crashed == [("20991231T000000Z-dead00",)]
    assert not any(paths.staging.iterdir())
    # The dead run's row came before the compaction and was merged with the rest.
    assert summary.folders_merged == 6


def test_a_failed_compaction_changes_nothing_and_is_recorded(tmp_path, monkeypatch):
    archive = build_archive(tmp_path)
    before, names = snapshot(archive), folders(archive)

    def disk_full(*args):
        raise OSError("No space left on device")

    monkeypatch.setattr("pipeline.compact.switch_generation", disk_full)
    with pytest.raises(OSError):
        compact(Settings(archive=archive))
    monkeypatch.undo()

    with connect(archive) as con:
        failed = con.sql("SELECT run_id, kind, status, error FROM runs "
                         "WHERE status = 'failed' AND kind = 'compact'").fetchall()
    assert len(failed) == 1 and "No space left" in failed[0][3]
    assert snapshot(archive, leave_out={failed[0][0]}) == before
    assert folders(archive) == sorted([*names, failed[0][0]])

    summary = compact(Settings(archive=archive))  # the abandoned generation is cleared away
    assert snapshot(archive, leave_out={failed[0][0], summary.run_id}) == before
    generations = sorted(p.name for p in ArchivePaths(archive).generations.iterdir())
    assert generations[-1] == ArchivePaths(archive).data.resolve().name


def test_reindex_rebuilds_the_search_index_with_the_same_results(tmp_path):
    archive = build_archive(tmp_path)
    paths = ArchivePaths(archive)
    hits = results(archive)
    index = {t: rows for t, rows in snapshot(archive).items() if t in ("postings", "search_docs")}
    assert all(index.values()) and all(hits.values())

    unchanged = reindex(Settings(archive=archive))
    assert (unchanged.articles, unchanged.folders, unchanged.rewritten) == (8, 3, 0)
    assert unchanged.postings == len(index["postings"])
    assert runs(archive, unchanged.run_id)[:3] == ("reindex", "succeeded", "plain")
    assert results(archive) == hits

    # An index file lost: the articles of that folder drop out of search until the reindex.
    damaged = next(f for f in sorted(paths.data.iterdir()) if (f / "postings.parquet").exists()
                   and not f.name.startswith("0000"))
    for name in ("postings", "search_docs"):
        (damaged / f"{name}.parquet").unlink()
    assert results(archive) != hits

    repaired = reindex(Settings(archive=archive))
    assert repaired.rewritten == 1 and f"{damaged.name.split('.')[0]}.{repaired.run_id}" in folders(archive)
    assert {t: rows for t, rows in snapshot(archive).items() if t in index} == index
    assert results(archive) == hits

    # A compacted archive's index needs no rebuilding.
    compact(Settings(archive=archive))
    assert reindex(Settings(archive=archive)).rewritten == 0
    assert results(archive) == hits


def test_compact_and_reindex_from_the_command_line(tmp_path):
    archive = tmp_path / "archive"
    for n in range(2):
        run_plain(loose(archive), [str(write_pages(tmp_path / f"in{n}", GAZETTE, range(n * 2, n * 2 + 2)))])
    out = newsarchive("compact", "--archive", str(archive)).stdout
    assert "run folders merged" in out and out.split("run folders merged")[1].split()[0] == "2"
    out = newsarchive("reindex", "--archive", str(archive)).stdout
    assert out.split("articles indexed")[1].split()[0] == "4"
    missing = newsarchive("compact", "--archive", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode == 2 and "no archive" in missing.stderr
