"""Compaction: the many small run folders of the current generation merged into a few
large ones, published as a new generation.

Every run adds a folder with one small file per table (and every reprocess, replace or
reindex that rewrites a folder adds another name for it), so after a year of nightly
runs a query opens thousands of files. A compaction packs the small folders, oldest
first, into folders of about `target_mb` each: each table's rows of a pack become one
file, sorted and grouped as the writer sorts every file (schemas/tables.py). The merged
folders are built in the compaction's staging folder, then a new generation hard-links
every other folder and the archive switches to it at once (store.py): readers see the
old folders or the merged ones, never both and never neither.

What relies on run folder names, and why it keeps working:

- A row's run is its `run_id` column, never its folder: every table with rows of a run
  carries it, and the index tables (postings, search_docs, neardup_*) are keyed by
  `article_id` and belong to the article's `documents` row. So merged folders need no
  run's name; they are named `<compaction run id>-<n>` (new names: no path ever names
  two different files, since readers cache Parquet footers by path).
- A folder is merged whole, all its tables into one pack, never split between packs:
  an article's rows, postings and signatures stay in one folder, where reprocess,
  `replace_archived` (run.py) and reindex look for them. A merged folder is rewritten
  like any other, as `<name>.<rewriter run id>` (store.stage_rewrite).
- Crash recovery (run.recover_crashed) takes a staging folder whose `data/<run_id>`
  exists for a run that died after publishing. The compaction runs under the lock,
  after `begin_run` has recovered every staging folder, so no other one exists while
  folders are merged; and its own runs row is published in `data/<its run id>`, as a
  run's is, for the case it dies after switching.
- The genesis folders (empty tables with every column, store.genesis_run) are never
  merged, nor is a folder holding a file that is not a table of schemas/tables.py, or
  a table file whose columns differ from the table's other than by a missing nullable
  column (which the views read as NULL, as the merged file then holds it).

The compaction's `runs` row has kind `compact`, sources `compact: N run folders into M`,
and one `run_stages` row, stage `compact`, whose pages_in and pages_out count folders.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.run import begin_run, run_row, utcnow
from pipeline.settings import Settings
from pipeline.stats import StageStats
from pipeline.store import (
    ArchiveMissing, ArchivePaths, current_generation, genesis_run, new_generation, publish, read_table,
    switch_generation, write_table,
)
from schemas.tables import TABLES

DEFAULT_TARGET_MB = 64.0
# Every genesis folder, also those of earlier table definitions: "00000000T000000Z-schema-".
GENESIS_PREFIX = genesis_run().rsplit("-", 1)[0] + "-"
MB = 1_000_000


@dataclass
class CompactSummary:
    run_id: str
    archive: str
    folders_merged: int  # small run folders merged...
    folders_written: int  # ...into this many
    folders_kept: int  # left as they were: genesis, large enough, alone in their pack, or not mergeable
    bytes_before: int  # on disk, of the merged folders
    bytes_after: int  # of the folders written
    duration_s: float = 0.0


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.iterdir())


def mergeable(folder: Path) -> bool:
    """Every file is a table of schemas/tables.py with the table's columns (or lacks nullable ones)."""
    for f in folder.iterdir():
        table = TABLES.get(f.name.removesuffix(".parquet")) if f.name.endswith(".parquet") else None
        if table is None:
            return False
        found = {field.name: field for field in pq.read_schema(f)}
        for column in table.schema:
            got = found.pop(column.name, None)
            if (got is None and not column.nullable) or (got is not None and got.type != column.type):
                return False
        if found:  # a column the table no longer has: the views still show it, a merged file would not
            return False
    return True


def plan_packs(generation: Path, target_bytes: int) -> tuple[list[list[Path]], int]:
    """The small mergeable folders in name order (oldest first: names start with the run's
    time), packed into groups of at most `target_bytes` on disk; only packs of two or more
    are worth writing. A folder of half the target or more is large already: merging it
    again would rewrite it for little gain. Returns the packs and how many folders stay
    as they are."""
    packs: list[list[Path]] = [[]]
    size, kept = 0, 0
    for folder in sorted(p for p in generation.iterdir() if p.is_dir()):
        n = folder_bytes(folder)
        if folder.name.startswith(GENESIS_PREFIX) or 2 * n >= target_bytes or not mergeable(folder):
            kept += 1
            continue
        if packs[-1] and size + n > target_bytes:
            packs.append([])
            size = 0
        packs[-1].append(folder)
        size += n
    kept += sum(len(p) for p in packs if len(p) == 1)
    return [p for p in packs if len(p) > 1], kept


def merge_folders(folders: list[Path], out: Path) -> None:
    """Each table of `folders` as one file in `out`, holding every row of every folder as it was.
    One table at a time, so memory holds one table of the pack."""
    for table in TABLES.values():
        parts = [read_table(f, table) for f in folders if (f / f"{table.name}.parquet").exists()]
        if parts:
            write_table(out, table, pa.concat_tables(parts))


def compact(settings: Settings, target_mb: float = DEFAULT_TARGET_MB, executor: str = "plain") -> CompactSummary:
    """Merge the small run folders into folders of about `target_mb` and publish them at once."""
    paths = ArchivePaths(settings.archive_dir)
    if not paths.catalog.exists():
        raise ArchiveMissing(f"no archive at {paths.root}: nothing to compact")
    with begin_run(settings, ["compact"], executor, kind="compact") as plan:
        stats = StageStats()
        packs, kept = plan_packs(current_generation(paths), int(target_mb * MB))
        merged = [folder for pack in packs for folder in pack]
        staged = plan.dir / "compacted"
        names = [f"{plan.run_id}-{n:04d}" for n in range(1, len(packs) + 1)]
        with stats.stage("compact", len(merged)) as s:
            for name, pack in zip(names, packs):
                merge_folders(pack, staged / name)
            s.pages_out = len(packs)
        before, after = sum(map(folder_bytes, merged)), sum(folder_bytes(staged / name) for name in names)
        plan.sources = [f"compact: {len(merged)} run folders into {len(packs)}"]
        row = run_row(plan, "succeeded", utcnow(), {})
        tables = {"runs": [row], "run_stages": [{"run_id": plan.run_id, **r} for r in stats.rows()]}
        if packs:
            generation = new_generation(paths, rewrite={folder.name for folder in merged})
            for name in names:
                os.rename(staged / name, generation / name)
            for table, rows in tables.items():
                write_table(generation / plan.run_id, TABLES[table], rows)
            switch_generation(paths, generation)
            shutil.rmtree(plan.dir, ignore_errors=True)
        else:
            publish(paths, plan.dir, tables)
    return CompactSummary(run_id=plan.run_id, archive=str(paths.root), folders_merged=len(merged),
                          folders_written=len(packs), folders_kept=kept, bytes_before=before, bytes_after=after,
                          duration_s=row["duration_s"])
