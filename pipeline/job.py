"""The main job in one process: a run, then the reprocess of the articles that the
furniture it learned has made stale (archived before a line of their outlet's furniture
was learned, in an earlier run or an earlier shard). The Prefect flow does the same."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Callable

from pipeline.extracted import forget_extracted
from pipeline.furniture import record_check
from pipeline.logs import event
from pipeline.reprocess import ReprocessSummary, Selection, reprocess
from pipeline.run import RunPlan, RunSummary, begin_run, finish_run, process_shard, run_in_parts
from pipeline.settings import Settings
from pipeline.sources.config import SourceConfigError, load_sources
from pipeline.store import ArchiveBusy, ArchivePaths, archive_lock


def configured_sources(settings: Settings, executor: str) -> list[str]:
    """The references of every source the config file lists. A config that cannot be
    read fails the night as a run of its own, recorded in `runs` with the error, so
    `run_health` shows a night that archived nothing and why."""
    try:
        return [s.ref for s in load_sources(settings.sources_file)]
    except SourceConfigError:
        with begin_run(settings, [], executor):  # records the error below as a failed run
            raise


def clean_stale(settings: Settings, parts: list[str], stale_articles: list[str], executor: str = "plain") -> ReprocessSummary | None:
    """Reprocess the stale articles of the job whose runs are `parts`, from the documents
    its runs extracted where they are kept (pipeline/extracted.py); once that has returned,
    the job's check of the archive for its learned lines is complete (furniture.record_check)."""
    if not stale_articles:
        return None
    paths, run_id = ArchivePaths(settings.archive_dir), parts[0]
    try:
        with archive_lock(paths, f"furniture check of run {run_id}", settings.lock_wait_s):
            cleaned = reprocess(settings, Selection(article_ids=tuple(stale_articles),
                                                    reason=f"furniture or outlet names learned by run {run_id}"),
                                executor=executor, job_runs=parts)
            record_check(paths, run_id)
            forget_extracted(paths, parts)
    except ArchiveBusy as e:
        # Another writer took the archive between the job's runs and its check: the runs are
        # published, and the next job checks every line learned since the last complete
        # check, these included. The job has done its work: it does not fail for this.
        event("furniture_check_deferred", f"the furniture check of run {run_id} is left to the next job: {e}",
              run_id=run_id, stale_articles=len(stale_articles))
        return None
    return cleaned


def run_plain(settings: Settings, source_refs: list[str],
              on_shard: Callable[[int, int, int], None] | None = None) -> RunSummary:
    """The whole job in this process, shard after shard of run after run (Settings.run_pages);
    `on_shard(done, total, pages)` reports progress within a run."""

    def run_part(plan: RunPlan) -> RunSummary:
        event("run_planned", f"run {plan.run_id}: {len(plan.entries)} pages in {plan.shard_count} shards"
              + (f", {len(plan.later)} pages left for the next run" if plan.later else ""),
              run_id=plan.run_id, pages=len(plan.entries), shards=plan.shard_count, listing=plan.listing,
              crashed_runs_found=plan.crashed_runs, pages_later=len(plan.later))
        shard_dirs = []
        for index in range(plan.shard_count):
            started = time.perf_counter()
            shard_dirs.append(process_shard(str(plan.path), index))
            pages = len(plan.entries[index * plan.shard_size:(index + 1) * plan.shard_size])
            event("shard_done", f"shard {index + 1}/{plan.shard_count} done", run_id=plan.run_id, shard=index + 1,
                  shards=plan.shard_count, pages=pages, seconds=round(time.perf_counter() - started, 3))
            if on_shard:
                on_shard(index + 1, plan.shard_count, pages)
        summary = finish_run(str(plan.path), shard_dirs)
        event("run_published", f"run {summary.run_id} published: {summary.articles_archived} archived, "
              f"{summary.duplicates} duplicates, {summary.rejected} rejected", **{
                  k: v for k, v in asdict(summary).items() if k not in ("stale_articles", "parts")})
        return summary

    summary = run_in_parts(settings, source_refs, "plain", run_part)
    cleaned = clean_stale(settings, summary.parts, summary.stale_articles)
    summary.stale_cleaned = cleaned.replaced if cleaned else 0
    return summary
