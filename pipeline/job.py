"""The main job in one process: a run, then the reprocess of the articles that the
furniture it learned has made stale (archived before a line of their outlet's furniture
was learned, in an earlier run or an earlier shard). The Prefect flow does the same."""

from __future__ import annotations

from typing import Callable

from pipeline.reprocess import ReprocessSummary, Selection, reprocess
from pipeline.run import RunSummary, begin_run, finish_run, process_shard
from pipeline.settings import Settings


def clean_stale(settings: Settings, run_id: str, stale_articles: list[str], executor: str = "plain") -> ReprocessSummary | None:
    if not stale_articles:
        return None
    return reprocess(settings, Selection(article_ids=tuple(stale_articles), reason=f"furniture learned by run {run_id}"),
                     executor=executor)


def run_plain(settings: Settings, source_refs: list[str],
              on_shard: Callable[[int, int, int], None] | None = None) -> RunSummary:
    """The whole run in this process, shard after shard; `on_shard(done, total, pages)` reports progress."""
    with begin_run(settings, source_refs, "plain") as plan:
        shard_dirs = []
        for index in range(plan.shard_count):
            shard_dirs.append(process_shard(str(plan.path), index))
            if on_shard:
                on_shard(index + 1, plan.shard_count, len(plan.entries[index * plan.shard_size:(index + 1) * plan.shard_size]))
        summary = finish_run(str(plan.path), shard_dirs)
    cleaned = clean_stale(settings, summary.run_id, summary.stale_articles)
    summary.stale_cleaned = cleaned.replaced if cleaned else 0
    return summary
