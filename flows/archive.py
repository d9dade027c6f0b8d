"""The archive run as a Prefect flow: the pipeline's own plan, shard and finish steps as
tasks, passing paths and indexes, never tables, and never one task per page.

With `runner` dask the shard tasks run on the Dask cluster through prefect-dask's
DaskTaskRunner (so the archive must be on a filesystem the workers share), and each
shard hands its CPU-bound chunks to the cluster's workers (pipeline/parallel.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict
from functools import cache

from prefect import Flow, flow, get_run_logger, task
from prefect.settings import PREFECT_API_URL
from prefect.states import Failed, State
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from pipeline.job import clean_stale
from pipeline.run import RunPlan, RunSummary, finish_run, process_shard, run_in_parts
from pipeline.settings import Settings, SetupError
from pipeline.sources import SourceError
from pipeline.sources.config import SourceConfigError


@task(name="process-shard", retries=1, retry_delay_seconds=2)
def process_shard_task(plan_path: str, index: int) -> str:
    return process_shard(plan_path, index)


@task(name="finish-run")
def finish_run_task(plan_path: str, shard_dirs: list[str]) -> dict:
    return asdict(finish_run(plan_path, shard_dirs))


@task(name="clean-stale")
def clean_stale_task(settings: dict, parts: list[str], stale_articles: list[str]) -> int:
    cleaned = clean_stale(Settings(**settings), parts, stale_articles, executor="prefect")
    return cleaned.replaced if cleaned else 0


def archive(sources: list[str], config: Settings) -> dict:
    """The job as tasks of the calling flow (the `newsarchive-run`, nightly and backfill
    flows): run after run (Settings.run_pages), then the reprocess of the articles its
    learned furniture made stale."""
    logger = get_run_logger()

    def run_part(plan: RunPlan) -> RunSummary:
        logger.info("run %s: %d pages in %d shards -> %s%s", plan.run_id, len(plan.entries), plan.shard_count,
                    plan.archive, f" ({len(plan.later)} pages left for the next run)" if plan.later else "")
        if plan.listing:
            logger.info("network sources listed %s pages", plan.listing)
        shard_dirs = []
        # One shard after another: each strips the furniture learned by those before it.
        for index in range(plan.shard_count):
            shard_dirs.append(process_shard_task.submit(str(plan.path), index).result())
            logger.info("shard %d/%d done", index + 1, plan.shard_count)
        summary = RunSummary(**finish_run_task(str(plan.path), shard_dirs))
        logger.info("run %s published: %d archived, %d duplicates, %d rejected", summary.run_id,
                    summary.articles_archived, summary.duplicates, summary.rejected)
        return summary

    summary = asdict(run_in_parts(config, sources, "prefect", run_part))
    if summary["stale_articles"]:  # after the job's lock is released: a reprocess takes it anew
        summary["stale_cleaned"] = clean_stale_task(config.model_dump(mode="json"), summary["parts"],
                                                    summary["stale_articles"])
    return summary


def failed_cleanly(job: Callable[[], dict]) -> dict | State:
    """The job's summary; a mistyped source, a bad source config or a missing spaCy model
    makes the flow run Failed with its message (the caller still gets the error), not an
    exception Prefect logs with a 30-line traceback above the one line that says what to fix."""
    try:
        return job()
    except (SourceError, SourceConfigError, SetupError) as e:
        return Failed(message=str(e), data=e)


def shard_task_runner(config: Settings) -> TaskRunner:
    """Where the flow's tasks run: in this process, one at a time (a shard's CPU-bound work
    goes to worker processes, pipeline/parallel.py), or on the Dask cluster."""
    if config.runner == "dask":
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=config.dask_address)
    return ThreadPoolTaskRunner(max_workers=1)


def with_runner(archive_run: Flow, config: Settings) -> Flow:
    """An archive flow (run, nightly, backfill) with the task runner the settings ask for;
    the temporary Prefect server it may start is guarded (guard_temporary_server)."""
    guard_temporary_server()
    return archive_run.with_options(task_runner=shard_task_runner(config))


# Run beside this process: the temporary Prefect servers it starts, stopped once it is gone.
SERVER_GUARD = """
import os, signal, sys, time
import psutil
parent = int(sys.argv[1])
def is_server(p):  # uvicorn's argument itself, not this script's text, which holds it too
    return p.pid != os.getpid() and "prefect.server.api.server:create_app" in p.cmdline()
servers = set()
while os.getppid() == parent:
    try:
        children = psutil.Process(parent).children()
    except psutil.Error:
        children = []
    for child in children:
        try:
            if child not in servers and is_server(child):
                servers.add(child)
        except psutil.Error:
            pass
    time.sleep(0.5)
servers = [s for s in servers if s.is_running()]
for server in servers:  # as Prefect stops it: SIGTERM, then SIGKILL (one still starting ignores SIGTERM)
    try:
        server.send_signal(signal.SIGTERM)
    except psutil.Error:
        pass
for server in psutil.wait_procs(servers, timeout=10)[1]:
    try:
        server.kill()
    except psutil.Error:
        pass
"""


@cache
def guard_temporary_server() -> None:
    """Without PREFECT_API_URL, Prefect runs the flow against a temporary server of its own,
    a process it stops at exit, but not when this process is killed outright (SIGKILL, the
    OOM killer): it went on with no parent, 220 MB and a port, night after night. A small
    process in a session of its own watches this one's children and stops such a server
    once this process is gone."""
    if not PREFECT_API_URL.value():
        subprocess.Popen([sys.executable, "-c", SERVER_GUARD, str(os.getpid())], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@flow(name="newsarchive-run", task_runner=ThreadPoolTaskRunner(max_workers=1))
def archive_flow(sources: list[str], settings: dict | None = None) -> dict:
    return failed_cleanly(lambda: archive(sources, Settings(**(settings or {}))))
