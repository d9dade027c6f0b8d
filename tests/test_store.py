"""Runs are atomic and exclusive, with real processes: a killed run, a held lock, a reader
that keeps archive.duckdb open while runs publish."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import REPO, SEEDS, newsarchive
from pipeline.job import run_plain
from pipeline.search import search
from pipeline.settings import Settings
from pipeline.sources import SourceError
from pipeline.store import (
    READER_GRACE_S, ArchiveBusy, ArchivePaths, _build_catalog, connect, ensure_archive, genesis_run, pin,
    remove_old_generations, write_table_soon, write_tables,
)
from schemas.tables import TABLES


def python(code: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stdin=subprocess.PIPE, **kwargs)


def settings(archive: Path) -> Settings:
    return Settings(archive=archive, entities=False)


def test_a_killed_run_leaves_no_rows_and_the_next_run_records_it(tmp_path):
    archive = tmp_path / "archive"
    killed = python(f"""
        import os, signal
        from pipeline.run import begin_run, process_shard
        from pipeline.settings import Settings
        with begin_run(Settings(archive={str(archive)!r}, entities=False), [{str(SEEDS)!r}], "plain") as plan:
            process_shard(str(plan.path), 0)
            print(plan.run_id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    out, _ = killed.communicate(timeout=120)
    assert killed.returncode == -9
    dead_run = out.strip()
    paths = ArchivePaths(archive)
    assert (paths.staging / dead_run / "shards").is_dir(), "the shard's work was written, unpublished"
    assert sorted(p.name for p in paths.data.iterdir()) == [genesis_run()]

    summary = run_plain(settings(archive), [str(SEEDS)])
    assert summary.crashed_runs_found == 1 and summary.articles_archived == 2
    assert not any(paths.staging.iterdir())
    with connect(archive) as con:
        runs = dict(con.sql("SELECT run_id, status FROM runs").fetchall())
        assert con.sql("SELECT count(*) FROM documents").fetchone()[0] == 2
        assert con.sql("SELECT count(*) FROM documents WHERE run_id = ?", params=[dead_run]).fetchone()[0] == 0
    assert runs == {dead_run: "crashed", summary.run_id: "succeeded"}


def test_a_second_writer_is_refused_clearly_while_a_run_holds_the_lock(tmp_path):
    archive = tmp_path / "archive"
    holder = python(f"""
        import sys
        from pipeline.store import ArchivePaths, archive_lock
        with archive_lock(ArchivePaths(__import__('pathlib').Path({str(archive)!r})), "run test-holder"):
            print("locked", flush=True)
            sys.stdin.readline()
    """)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ArchiveBusy, match="run test-holder"):
            run_plain(settings(archive), [str(SEEDS)])
        cli = newsarchive("run", str(SEEDS), "--archive", str(archive), "--executor", "plain", check=False)
        assert cli.returncode == 3 and "another run is writing" in cli.stderr
    finally:
        holder.communicate("go\n", timeout=30)
    assert run_plain(settings(archive), [str(SEEDS)]).articles_archived == 2


def archive_of_one_seed(tmp_path: Path, seed_folder: Path) -> Path:
    """An archive of one seed page; the other stays in `seed_folder` for a later run."""
    archive, first = tmp_path / "archive", tmp_path / "first"
    first.mkdir()
    (seed_folder / "000_c8b65d296b825c04.txt").rename(first / "000.txt")
    run_plain(settings(archive), [str(first)])
    return archive


def test_a_reader_holding_the_catalog_open_sees_each_published_run(tmp_path, seed_folder):
    archive = archive_of_one_seed(tmp_path, seed_folder)
    reader = python(f"""
        import sys, duckdb
        con = duckdb.connect({str(archive / "archive.duckdb")!r}, read_only=True)
        print(con.sql("SELECT count(*) FROM articles").fetchone()[0], flush=True)
        sys.stdin.readline()
        print(con.sql("SELECT count(*) FROM articles").fetchone()[0], flush=True)
        print(con.sql("SELECT count(*) FROM search('security guarantees')").fetchone()[0], flush=True)
    """)
    try:
        assert reader.stdout.readline().strip() == "1"
        summary = run_plain(settings(archive), [str(seed_folder)])  # while the reader holds the file
        assert summary.articles_archived == 1
        out, _ = reader.communicate("go\n", timeout=60)
    finally:
        reader.kill()
    assert out.split() == ["2", "2"]


def test_a_session_holding_the_catalog_open_to_write_locks_no_reader_out(tmp_path, seed_folder):
    archive = archive_of_one_seed(tmp_path, seed_folder)
    catalog = archive / "archive.duckdb"
    holder = python(f"""
        import sys, duckdb
        con = duckdb.connect({str(catalog)!r})  # read-write, as the duckdb CLI opens a file
        print("held", flush=True)
        sys.stdin.readline()
    """)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(catalog), read_only=True)  # how every reader opened it
        files = sorted(archive.rglob("*"))
        with connect(archive) as con:
            assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
            assert con.execute("SELECT getvariable('na_rollup_stories')").fetchone()[0], "the rollups are read"
            assert con.execute("SELECT count(*) FROM stories").fetchone()[0] == 1
        assert sorted(archive.rglob("*")) == files, "a reader writes nothing to the archive"
        cli = newsarchive("search", "security guarantees", "--archive", str(archive))
        assert cli.stdout.startswith("1. ") and "\n2. " not in cli.stdout
        assert f"{catalog} is held open for writing by another process (PID" in cli.stderr
        assert "daily_volume_by_outlet" in newsarchive("report", "--archive", str(archive)).stdout
        # A run goes on, and replaces the file by rename: the session keeps the old one.
        assert run_plain(settings(archive), [str(seed_folder)]).articles_archived == 1
        cli = newsarchive("search", "security guarantees", "--archive", str(archive))
        assert "\n2. " in cli.stdout and not cli.stderr
    finally:
        holder.communicate("go\n", timeout=30)


def test_a_copied_archive_is_repointed_at_its_own_files_by_the_first_command_on_it(tmp_path, seed_folder):
    first = tmp_path / "first"
    first.mkdir()
    (seed_folder / "000_c8b65d296b825c04.txt").rename(first / "000.txt")
    original, copy = tmp_path / "archive", tmp_path / "copy"
    run_plain(settings(original), [str(first)])
    shutil.copytree(original, copy, symlinks=True)
    run_plain(settings(original), [str(seed_folder)])  # the original moves on: 2 articles, the copy has 1
    newsarchive("sql", "SELECT 1", "--archive", str(copy))
    con = duckdb.connect(str(copy / "archive.duckdb"), read_only=True)  # a plain client, unpinned
    try:
        assert con.sql("SELECT count(*) FROM articles").fetchone()[0] == 1
        assert con.sql("SELECT count(*) FROM runs").fetchone()[0] == 1
    finally:
        con.close()


def test_a_failed_run_is_recorded_and_writes_nothing_else(tmp_path):
    archive = tmp_path / "archive"
    with pytest.raises(SourceError, match="no such file or folder"):
        run_plain(settings(archive), [str(tmp_path / "missing")])
    with connect(archive) as con:
        assert con.sql("SELECT status, error LIKE '%no such file or folder%' FROM runs").fetchall() == [("failed", True)]
        assert con.sql("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert not any(ArchivePaths(archive).staging.iterdir())


def test_published_files_carry_exactly_the_defined_schemas(seed_archive):
    archive, summary = seed_archive
    run_dir = ArchivePaths(archive).data / summary["run_id"]
    written = sorted(p.stem for p in run_dir.glob("*.parquet"))
    assert written == sorted(TABLES)
    for name, table in TABLES.items():
        assert pq.read_schema(run_dir / f"{name}.parquet").remove_metadata() == table.schema, name
    assert not list(run_dir.glob(".*")), "no temporary files are published"


def test_postings_are_term_sorted_so_row_groups_prune(seed_archive):
    archive, summary = seed_archive
    terms = pq.read_table(ArchivePaths(archive).data / summary["run_id"] / "postings.parquet")["term"].to_pylist()
    assert terms == sorted(terms) and len(terms) > 300


def test_a_generation_stays_until_the_writer_after_next(tmp_path):
    from pipeline.reprocess import Selection, reprocess

    archive = tmp_path / "archive"
    run_plain(settings(archive), [str(SEEDS)])
    paths = ArchivePaths(archive)
    for _ in range(3):  # each reprocess switches to a new generation
        reprocess(settings(archive), Selection())
    current = paths.data.resolve().name
    # Within the readers' grace period every generation stays, however many writers came.
    assert sorted(p.name for p in paths.generations.iterdir()) == [f"{n:06d}" for n in range(1, int(current) + 1)]
    # Past it, a writer starting keeps the current one and the one just left (a reader can
    # still be in it); older ones are gone.
    remove_old_generations(paths, now=time.time() + READER_GRACE_S + 1)
    names = sorted(p.name for p in paths.generations.iterdir())
    assert names == [f"{int(current) - 1:06d}", current]
    with connect(archive) as con:
        assert con.sql("SELECT count(*) FROM documents").fetchone() == (2,)


def test_a_reader_is_pinned_to_the_archive_as_it_was_when_it_connected(tmp_path):
    from pipeline.reprocess import Selection, reprocess

    archive = tmp_path / "archive"
    run_plain(settings(archive), [str(SEEDS)])
    paths = ArchivePaths(archive)
    with connect(archive) as con:
        before = con.sql("SELECT count(*), min(filename) FROM read_parquet(getvariable('na_files_documents'), filename = true)").fetchone()
        reprocess(settings(archive), Selection())  # a new generation, the run folder rewritten under a new name
        # the switch happened, yet the pinned connection reads the generation it started in, whole
        assert paths.data.resolve().name not in before[1]
        assert con.sql("SELECT count(*) FROM documents").fetchone() == (before[0],)
        assert con.sql("SELECT count(*) FROM articles").fetchone() == (2,)
        pin(con, paths)  # and sees the new one when pinned again
        assert paths.data.resolve().name in con.sql("SELECT min(filename) FROM read_parquet(getvariable('na_files_documents'), filename = true)").fetchone()[0]


def test_a_table_written_ahead_joins_the_others_and_its_failure_fails_their_write(tmp_path):
    page = {"raw_hash": "h1", "content": b"<html>one</html>", "size": 16, "source_ref": "seeds/one.html", "run_id": "r1"}
    reject = {"source_ref": "seeds/two.html", "stage": "decode", "reason": "empty", "detail": "no bytes",
              "run_id": "r1", "rejected_at": datetime(2026, 1, 2, tzinfo=timezone.utc)}
    ahead = write_table_soon(tmp_path / "early", TABLES["raw_pages"], pa.Table.from_pylist([page], TABLES["raw_pages"].schema))
    write_tables(tmp_path / "out", {"raw_pages": ahead, "rejects": [reject]})
    assert sorted(f.name for f in (tmp_path / "out").iterdir()) == ["raw_pages.parquet", "rejects.parquet"]
    assert pq.read_table(tmp_path / "out" / "raw_pages.parquet").to_pylist()[0]["content"] == b"<html>one</html>"
    assert not any((tmp_path / "early").iterdir()), "moved in, not copied"

    broken = write_table_soon(tmp_path / "early", TABLES["raw_pages"], pa.table({"raw_hash": ["h2"]}))  # columns missing
    with pytest.raises(ValueError, match="field names are not matching"):
        write_tables(tmp_path / "out2", {"raw_pages": broken, "rejects": [reject]})


def test_a_catalog_built_by_another_version_is_left_to_the_next_run_and_read_through_this_ones_views(
        tmp_path, seed_folder, caplog):
    archive = tmp_path / "archive"
    run_plain(settings(archive), [str(seed_folder)])
    paths = ArchivePaths(archive)
    _build_catalog(paths, "an older release")  # its catalog_info names that version
    with duckdb.connect(str(paths.catalog)) as old:
        old.execute("DROP VIEW postings_located")  # as a release before it: search ranks from it

    def answers() -> tuple[list, list, list]:
        with connect(archive) as con:
            return ([(h["title"], h["score"]) for h in search(con, "Blinken Putin")],
                    con.execute("SELECT story_id, title, articles FROM stories ORDER BY ALL").fetchall(),
                    con.execute("SELECT * FROM daily_volume_by_outlet_live ORDER BY ALL").fetchall())

    before = answers()
    assert before[0] and before[1] and before[2]
    assert "built by another version of newsarchive" in caplog.text
    with duckdb.connect(str(paths.catalog), read_only=True) as file:
        assert file.execute("SELECT version FROM catalog_info").fetchone()[0] == "an older release"
    caplog.clear()
    run_plain(settings(archive), [str(seed_folder)])  # the same pages again: nothing new is archived
    assert answers() == before
    assert "another version" not in caplog.text


def test_catalog_files_a_killed_build_left_are_removed(tmp_path):
    paths = ArchivePaths(tmp_path / "archive")
    ensure_archive(paths)
    dead = [paths.root / f".archive.duckdb.{2**22 + 1}.tmp", paths.root / f".archive.duckdb.{2**22 + 1}.tmp.wal"]
    live = paths.root / f".archive.duckdb.{os.getpid()}.tmp"  # a build at work: not this one's to remove
    recent = paths.root / f".archive.duckdb.{2**22 + 2}.tmp"  # perhaps a pid of another host's
    for f in (*dead, live, recent):
        f.write_bytes(b"x")
    for f in (*dead, live):
        os.utime(f, (time.time() - 7200, time.time() - 7200))
    ensure_archive(paths)
    assert [f.exists() for f in (*dead, live, recent)] == [False, False, True, True]
