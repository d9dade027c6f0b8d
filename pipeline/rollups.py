"""Rollups: the reporting views that read every row (entity aliases across the archive,
entities per day, stories, daily volume) computed once per state of the archive, by the
writer that made that state, into Parquet files that readers then read instead.

At 100,000 articles `top_entities_by_day` took 1.2 s and `stories` 0.4 s computed on
every query; read from their rollups, milliseconds. A rollup belongs to one state: its
folder is named by a hash of the input files it was computed from and of the catalog's
version (the views' definitions), and `pin` points a connection at the rollups of the
state it pins, if they exist. Otherwise (an archive written before rollups, a release
whose views changed, or a writer killed between publishing and rolling up) the views
compute themselves as before (`<view>_live`), correct but slow, until the next writer
rolls up. So a rollup is never stale, and nothing needs to keep one up to date.

DuckDB has no materialised views, and DuckLake none either: this is the small part of
one that this archive needs, written here for that reason."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import duckdb

# In dependency order: each may read those before it (as rollups, once computed).
ROLLUPS = ("entity_aliases", "article_entities", "top_entities_by_day", "stories", "daily_volume_by_outlet")
# The tables they read: another table's new files (runs, rejects, postings) change no rollup.
INPUTS = ("documents", "article_dates", "article_outlets", "mentions", "story_members", "duplicates")
VARIABLE_PREFIX = "na_rollup_"
KEEP_S = 600.0  # a replaced state's rollups stay readable this long for readers pinned to it


def rollups_dir(root: Path) -> Path:
    return root / "rollups"


def placeholder(root: Path, name: str) -> Path:
    """An empty file of the rollup's columns, which the view reads when it computes live."""
    return rollups_dir(root) / "empty" / f"{name}.parquet"


def state_key(pinned: dict[str, list[str]], views: str) -> str:
    """The state of the rollups' inputs and of the views that compute them: a hash of
    their pinned file lists and the catalog's version (a rollup computed by the views of
    an earlier release is not this state's, or a changed view would serve old rows)."""
    text = "\n".join([views, *(f"{t}:{f}" for t in INPUTS for f in pinned[t])])
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def folder_of(root: Path, key: str) -> Path:
    return rollups_dir(root) / key


def variables(root: Path, key: str) -> dict[str, str | None]:
    """The rollup files of a state, or None for each when it has none (views compute live)."""
    folder = folder_of(root, key)
    ready = (folder / "complete").exists()
    return {f"{VARIABLE_PREFIX}{name}": str(folder / f"{name}.parquet") if ready else None for name in ROLLUPS}


def define(con: duckdb.DuckDBPyConnection, root: Path, placeholders: Path | None = None) -> None:
    """In the catalog being built, after the views: each rolled-up view becomes
    `<name>_live`, and `<name>` reads its rollup, or computes live when there is none.
    (The live branch is pruned when a rollup is set: its filter is a constant.)
    `placeholders`: a folder of the caller's own for the empty files, in place of the
    archive's (a catalog defined in memory by a reader, which writes nothing there)."""
    for name in ROLLUPS:
        con.execute(f"ALTER VIEW {name} RENAME TO {name}_live")
        path = placeholders / f"{name}.parquet" if placeholders else placeholder(root, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY (SELECT * FROM {name}_live LIMIT 0) TO '{_quoted(path)}' (FORMAT parquet)")
        variable = f"getvariable('{VARIABLE_PREFIX}{name}')"
        con.execute(f"""
            CREATE VIEW {name} AS
            SELECT * FROM read_parquet(coalesce({variable}, '{_quoted(path)}'))
            UNION ALL BY NAME
            SELECT * FROM {name}_live WHERE {variable} IS NULL""")


def roll_up(con: duckdb.DuckDBPyConnection, root: Path, key: str) -> Path:
    """Compute the rollups of the state `con` is pinned to (its key `key`) and publish
    them by renaming their folder into place. Call with the lock held."""
    folder = folder_of(root, key)
    if (folder / "complete").exists():
        return folder
    building = rollups_dir(root) / f".{key}.building"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    for name in ROLLUPS:
        path = building / f"{name}.parquet"
        con.execute(f"COPY (SELECT * FROM {name}_live) TO '{_quoted(path)}' (FORMAT parquet, COMPRESSION zstd)")
        # The next rollups read this one (article_entities reads entity_aliases).
        con.execute(f"SET VARIABLE {VARIABLE_PREFIX}{name} = '{_quoted(path)}'")
    (building / "complete").touch()
    shutil.rmtree(folder, ignore_errors=True)
    os.rename(building, folder)
    return folder


def remove_old(root: Path, keep: str, now: float | None = None) -> None:
    """Rollups of states replaced more than KEEP_S ago, and folders left half-built. A
    state's folder is marked replaced by the first writer after it, and removed by the
    first writer at least KEEP_S later: readers pinned to it meanwhile can still read
    it. Call with the lock held."""
    now = time.time() if now is None else now
    for folder in rollups_dir(root).iterdir() if rollups_dir(root).exists() else []:
        if folder.name in (keep, "empty"):
            continue
        replaced = folder / "replaced"
        if folder.name.endswith(".building"):
            shutil.rmtree(folder, ignore_errors=True)
        elif not replaced.exists():
            replaced.touch()
        elif now - replaced.stat().st_mtime > KEEP_S:
            shutil.rmtree(folder, ignore_errors=True)


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
