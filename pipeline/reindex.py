"""Rebuild the search index (`postings`, `search_docs`) of the whole archive from
`documents`, as a new generation: after a change to the terms macro (na_terms), or to
repair an index file lost or damaged.

Each run folder's index is rebuilt from that folder's own documents by the indexer runs
and reprocesses use (stages.build_postings), so an article's postings stay in the folder
that holds its `documents` row, where reprocess and `replace_archived` (run.py) replace
them. Rows of no archived article there (a damaged index) go. Folders whose index comes
out the same are left as they are; the others are rewritten under new names
(`<folder>.<reindex run id>`, store.stage_rewrite: their other files hard-linked) and
published with the reindex's own runs row in one switch (store.publish_generation):
readers see the old index or the new one, never a mix.

The reindex's `runs` row has kind `reindex`, sources `reindex: N articles in M run
folders, K rewritten`, and one `run_stages` row, stage `index`: articles in, articles
indexed out (an article with no index term has no `search_docs` row, as in a run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.run import begin_run, run_row, utcnow
from pipeline.settings import Settings
from pipeline.stages import build_postings
from pipeline.stats import StageStats
from pipeline.store import (
    ArchiveMissing, ArchivePaths, current_generation, publish, publish_generation, read_table, stage_rewrite,
)
from schemas.tables import TABLES

INDEX = ("postings", "search_docs")
INDEXED_COLUMNS = ["article_id", "title", "text"]


@dataclass
class ReindexSummary:
    run_id: str
    archive: str
    articles: int  # documents rows indexed
    folders: int  # run folders with documents or index rows
    rewritten: int  # of those, folders whose index changed
    postings: int  # postings rows after
    duration_s: float = 0.0


def _sorted(table: pa.Table, name: str) -> pa.Table:
    keys = ("term", "article_id") if name == "postings" else ("article_id",)
    return table.sort_by([(k, "ascending") for k in keys])


def rebuild_folder(folder: Path) -> tuple[dict[str, pa.Table], int]:
    """The folder's index built anew from its documents, and its article count."""
    path = folder / "documents.parquet"
    documents = (pq.read_table(path, columns=INDEXED_COLUMNS) if path.exists()
                 else TABLES["documents"].schema.empty_table().select(INDEXED_COLUMNS))
    postings, search_docs = build_postings(documents)
    return {"postings": postings.cast(TABLES["postings"].schema),
            "search_docs": search_docs.cast(TABLES["search_docs"].schema)}, documents.num_rows


def reindex(settings: Settings, executor: str = "plain") -> ReindexSummary:
    """Rebuild every run folder's search index from its documents and publish the changed ones at once."""
    paths = ArchivePaths(settings.archive_dir)
    if not paths.catalog.exists():
        raise ArchiveMissing(f"no archive at {paths.root}: nothing to reindex")
    with begin_run(settings, ["reindex"], executor, kind="reindex") as plan:
        stats = StageStats()
        renamed: dict[str, str] = {}  # run folder -> its rewritten copy
        articles = folders = postings = indexed = 0
        with stats.stage("index", 0) as s:
            for folder in sorted(p for p in current_generation(paths).iterdir() if p.is_dir()):
                old = {name: read_table(folder, TABLES[name]) for name in INDEX}
                new, n = rebuild_folder(folder)
                if not n and not any(t.num_rows for t in old.values()):
                    continue  # no articles, no index: a runs-only folder, genesis
                folders += 1
                articles += n
                postings += new["postings"].num_rows
                indexed += new["search_docs"].num_rows
                if not all(_sorted(old[name], name).equals(_sorted(new[name], name)) for name in INDEX):
                    renamed[folder.name] = stage_rewrite(paths, plan.run_id, folder.name, new)
            s.pages_in, s.pages_out = articles, indexed
        plan.sources = [f"reindex: {articles} articles in {folders} run folders, {len(renamed)} rewritten"]
        row = run_row(plan, "succeeded", utcnow(), {})
        tables = {"runs": [row], "run_stages": [{"run_id": plan.run_id, **r} for r in stats.rows()]}
        if renamed:
            publish_generation(paths, plan.run_id, tables, renamed)
        else:
            publish(paths, plan.dir, tables)
    return ReindexSummary(run_id=plan.run_id, archive=str(paths.root), articles=articles, folders=folders,
                          rewritten=len(renamed), postings=postings, duration_s=row["duration_s"])
