"""The archive run as a Prefect flow: the pipeline's own plan, shard and finish steps as
tasks, passing paths and indexes, never tables, and never one task per page."""

from __future__ import annotations

from dataclasses import asdict

from prefect import flow, get_run_logger, task, unmapped
from prefect.task_runners import ThreadPoolTaskRunner

from pipeline.job import clean_stale
from pipeline.run import begin_run, finish_run, process_shard
from pipeline.settings import Settings


@task(name="process-shard", retries=1, retry_delay_seconds=2)
def process_shard_task(plan_path: str, index: int) -> str:
    return process_shard(plan_path, index)


@task(name="finish-run")
def finish_run_task(plan_path: str, shard_dirs: list[str]) -> dict:
    return asdict(finish_run(plan_path, shard_dirs))


@task(name="clean-stale")
def clean_stale_task(settings: dict, run_id: str, stale_articles: list[str]) -> int:
    cleaned = clean_stale(Settings(**settings), run_id, stale_articles, executor="prefect")
    return cleaned.replaced if cleaned else 0


def archive(sources: list[str], config: Settings) -> dict:
    """The run as tasks of the calling flow (the `newsarchive-run`, nightly and backfill
    flows), then the reprocess of the articles its learned furniture made stale."""
    logger = get_run_logger()
    with begin_run(config, sources, "prefect") as plan:
        logger.info("run %s: %d pages in %d shards -> %s", plan.run_id, len(plan.entries),
                    plan.shard_count, plan.archive)
        if plan.listing:
            logger.info("network sources listed %s pages", plan.listing)
        futures = process_shard_task.map(unmapped(str(plan.path)), list(range(plan.shard_count)))
        shard_dirs = []
        for done, future in enumerate(futures, start=1):
            shard_dirs.append(future.result())
            logger.info("shard %d/%d done", done, plan.shard_count)
        summary = finish_run_task(str(plan.path), shard_dirs)
    if summary["stale_articles"]:  # after the run's lock is released: a reprocess takes it anew
        summary["stale_cleaned"] = clean_stale_task(config.model_dump(mode="json"), summary["run_id"],
                                                    summary["stale_articles"])
    logger.info("run %s published: %d archived, %d duplicates, %d rejected", summary["run_id"],
                summary["articles_archived"], summary["duplicates"], summary["rejected"])
    return summary


# One worker: the shard work is CPU-bound Python, so threads would only contend for the GIL.
@flow(name="newsarchive-run", task_runner=ThreadPoolTaskRunner(max_workers=1))
def archive_flow(sources: list[str], settings: dict | None = None) -> dict:
    return archive(sources, Settings(**(settings or {})))
