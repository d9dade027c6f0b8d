"""Rollups (pipeline/rollups.py): each rolled-up view reads its rollup for the state a
connection is pinned to, equal row for row to the view computed live; a new state gets
its own, and so do the same files under a release's changed views; a state without one
computes live; a replaced state's rollup outlives it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from corpus import COURIER, GAZETTE, write_pages
from conftest import SEEDS
from pipeline import rollups, store
from pipeline.job import run_plain
from pipeline.settings import Settings
from pipeline.store import ArchivePaths, archive_lock, connect, refresh_rollups
from schemas import sql_files


def rows(archive: Path, sql: str) -> list[tuple]:
    with connect(archive) as con:
        return con.sql(sql).fetchall()


def rolled_and_live(archive: Path) -> dict[str, tuple[list, list, str | None]]:
    with connect(archive) as con:
        return {name: (con.sql(f"SELECT * FROM {name} ORDER BY ALL").fetchall(),
                       con.sql(f"SELECT * FROM {name}_live ORDER BY ALL").fetchall(),
                       con.sql(f"SELECT getvariable('{rollups.VARIABLE_PREFIX}{name}')").fetchone()[0])
                for name in rollups.ROLLUPS}


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rollups")
    pages = root / "pages"
    shutil.copytree(SEEDS, pages)
    write_pages(pages, GAZETTE, range(0, 3))  # topics 0-2 (tests/corpus.py)
    write_pages(pages, COURIER, range(0, 2))  # topics 4-5
    run_plain(Settings(archive=root / "archive", workers=1), [str(pages)])
    return root / "archive"


def test_each_rolled_up_view_reads_its_rollup_equal_to_the_live_view(archive):
    for name, (rolled, live, path) in rolled_and_live(archive).items():
        assert path and Path(path).exists(), name  # read from the rollup, not computed
        assert rolled == live, name
    assert rolled_and_live(archive)["top_entities_by_day"][0]  # real rows: the seeds' entities
    putin = rows(archive, "SELECT articles FROM top_entities_by_day WHERE entity = 'Vladimir Putin'")
    assert putin == [(2,)]


def test_a_new_state_gets_its_own_rollup_and_the_replaced_one_outlives_it(archive, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy, symlinks=True)
    before = {p.name for p in rollups.rollups_dir(copy).iterdir()}
    (old_key,) = before - {"empty"}
    more = tmp_path / "more"
    write_pages(more, GAZETTE, range(6, 8), fetched_at="2026-11-05T06:00:00Z")  # topics not yet archived
    run_plain(Settings(archive=copy, workers=1), [str(more)])
    with connect(copy) as con:
        rolled = con.sql(f"SELECT getvariable('{rollups.VARIABLE_PREFIX}daily_volume_by_outlet')").fetchone()[0]
        day = con.sql("SELECT articles FROM daily_volume_by_outlet WHERE day = DATE '2026-11-05'").fetchall()
    assert old_key not in rolled and day == [(2,)]
    old = rollups.folder_of(copy, old_key)
    assert (old / "replaced").exists() and (old / "daily_volume_by_outlet.parquet").exists()
    with archive_lock(ArchivePaths(copy), "test"):
        rollups.remove_old(copy, keep=Path(rolled).parent.name, now=time.time() + rollups.KEEP_S + 1)
    assert not old.exists() and Path(rolled).exists()


def test_without_a_rollup_the_views_compute_live(archive, tmp_path):
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy, symlinks=True)
    for folder in rollups.rollups_dir(copy).iterdir():
        if folder.name != "empty":
            shutil.rmtree(folder)
    expected = rolled_and_live(archive)
    for name, (rolled, live, path) in rolled_and_live(copy).items():
        assert path is None and rolled == live == expected[name][0], name
    with archive_lock(ArchivePaths(copy), "test"):
        refresh_rollups(ArchivePaths(copy))  # the next writer rolls up again
    assert all(path for _, _, path in rolled_and_live(copy).values())


def test_a_release_that_changes_a_view_computes_it_live_until_rolled_up_again(archive, tmp_path, monkeypatch):
    """The same files under other view definitions are another state: the rollup the
    earlier definitions computed is not read (it would serve their rows)."""
    copy = tmp_path / "archive"
    shutil.copytree(archive, copy, symlinks=True)
    paths = ArchivePaths(copy)
    with archive_lock(paths, "test"):
        refresh_rollups(paths)  # the copy's own files (their paths are in the key)
    assert rolled_and_live(copy)["daily_volume_by_outlet"][2]
    changed = tmp_path / "99_next_release.sql"
    changed.write_text("CREATE OR REPLACE VIEW daily_volume_by_outlet AS "
                       "SELECT DATE '2000-01-01' AS day, 'next release' AS outlet, count(*) AS articles FROM documents")
    monkeypatch.setattr(store, "sql_files", lambda kind=None: [*sql_files(kind), *([changed] if kind != "macros" else [])])
    with archive_lock(paths, "test"):
        store.ensure_archive(paths)  # as the release's first writer does
    sql = "SELECT outlet, articles FROM daily_volume_by_outlet"
    documents = rows(copy, "SELECT count(*) FROM documents")[0][0]
    assert rolled_and_live(copy)["daily_volume_by_outlet"][2] is None
    assert rows(copy, sql) == [("next release", documents)]
    with archive_lock(paths, "test"):
        refresh_rollups(paths)
    assert rolled_and_live(copy)["daily_volume_by_outlet"][2] and rows(copy, sql) == [("next release", documents)]
