"""The archive's upkeep as flows: reprocess from the stored raw pages, compact the run
folders, rebuild the search index. Each is one task over the plain-Python job of
pipeline/ (which writes its own `runs` row: kind `reprocess`, `compact`, `reindex`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from prefect import flow, get_run_logger, task

from pipeline.compact import DEFAULT_TARGET_MB, compact
from pipeline.reindex import reindex
from pipeline.reprocess import Selection, reprocess
from pipeline.settings import Settings


@task(name="reprocess")
def reprocess_task(settings: dict, since: date | None, until: date | None, outlet: str | None) -> dict:
    return asdict(reprocess(Settings(**settings), Selection(since=since, until=until, outlet=outlet), executor="prefect"))


@task(name="compact")
def compact_task(settings: dict, target_mb: float) -> dict:
    return asdict(compact(Settings(**settings), target_mb, executor="prefect"))


@task(name="reindex")
def reindex_task(settings: dict) -> dict:
    return asdict(reindex(Settings(**settings), executor="prefect"))


def _settings(settings: dict | None) -> dict:
    return Settings(**(settings or {})).model_dump(mode="json")


@flow(name="newsarchive-reprocess")
def reprocess_flow(since: date | None = None, until: date | None = None, outlet: str | None = None,
                   settings: dict | None = None) -> dict:
    summary = reprocess_task(_settings(settings), since, until, outlet)
    get_run_logger().info("reprocess %s: %d articles selected, %d replaced, %d unchanged", summary["run_id"],
                          summary["selected"], summary["replaced"], summary["unchanged"])
    return summary


@flow(name="newsarchive-compact")
def compact_flow(target_mb: float = DEFAULT_TARGET_MB, settings: dict | None = None) -> dict:
    summary = compact_task(_settings(settings), target_mb)
    get_run_logger().info("compact %s: %d run folders merged into %d, %d left as they were", summary["run_id"],
                          summary["folders_merged"], summary["folders_written"], summary["folders_kept"])
    return summary


@flow(name="newsarchive-reindex")
def reindex_flow(settings: dict | None = None) -> dict:
    summary = reindex_task(_settings(settings))
    get_run_logger().info("reindex %s: %d articles in %d run folders, %d folders rewritten", summary["run_id"],
                          summary["articles"], summary["folders"], summary["rewritten"])
    return summary
