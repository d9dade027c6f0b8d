"""The scheduled flows: `newsarchive-nightly` archives every source of the source config
(Settings.sources_file), new pages only, and `newsarchive-backfill` archives given
sources (or all of them) within a date range (Settings.since/until, which the feed and
sitemap sources honour). Both are the archive run of flows/archive.py under their own
name; each run writes its `runs` row (kind `run`), failed or not."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner

from flows.archive import archive, failed_cleanly
from pipeline.job import configured_sources
from pipeline.settings import Settings


def backfill_settings(config: Settings, since: date | None, until: date | None) -> Settings:
    """The settings with the backfill's date range; a bound not given stays as configured."""
    window = {k: v for k, v in (("since", since), ("until", until)) if v is not None}
    config = Settings(**{**config.model_dump(), **window})
    if config.since and config.until and config.since > config.until:
        raise ValueError(f"backfill: since {config.since} is after until {config.until}")
    return config


# One worker, as the run flow: the shard work is CPU-bound Python.
@flow(name="newsarchive-nightly", task_runner=ThreadPoolTaskRunner(max_workers=1))
def nightly_flow(settings: dict | None = None) -> dict:
    config = Settings(**(settings or {}))
    return failed_cleanly(lambda: archive(configured_sources(config, "prefect"), config))


@flow(name="newsarchive-backfill", task_runner=ThreadPoolTaskRunner(max_workers=1))
def backfill_flow(sources: list[str] | None = None, since: date | None = None, until: date | None = None,
                  settings: dict | None = None) -> dict:
    config = backfill_settings(Settings(**(settings or {})), since, until)
    return failed_cleanly(lambda: archive(sources or configured_sources(config, "prefect"), config))
