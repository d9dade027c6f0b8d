"""The dashboard's feeds: one SQL query each over the catalog's views and tables, defined
once here and used by the dashboard's charts, the feed URLs (`/feeds/{name}.json`, `.csv`)
and `newsarchive export-feeds`. Every count is exact (no sampling); a share is a count
over its total, unrounded, so the shares of a day sum to 1."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class Feed:
    title: str
    sql: str
    # The query's named parameters ($top, $limit) and their defaults; a feed URL may set them.
    params: dict[str, int] = field(default_factory=dict)


FEEDS: dict[str, Feed] = {
    # Media Cloud's normalised "attention": an outlet's share of the day's articles.
    "daily_volume": Feed(
        "Articles per day and outlet",
        """
        SELECT day, outlet, articles, articles / sum(articles) OVER (PARTITION BY day) AS share
        FROM daily_volume_by_outlet
        ORDER BY day NULLS LAST, outlet
        """,
    ),
    # The top `top` entities of each day (ties at the last place included).
    "top_entities": Feed(
        "Top entities per day",
        """
        SELECT day, entity, entity_type AS label, articles
        FROM top_entities_by_day
        WHERE rank <= $top
        ORDER BY day NULLS LAST, rank, entity
        """,
        {"top": 5},
    ),
    "largest_stories": Feed(
        "Largest stories",
        """
        SELECT story_id, outlet_count AS outlets, articles, first_seen, last_seen, title,
               array_to_string(outlets, '; ') AS outlet_names
        FROM stories
        ORDER BY articles DESC, outlet_count DESC, last_seen DESC NULLS LAST, story_id
        LIMIT $limit
        """,
        {"limit": 20},
    ),
    "wire_share": Feed(
        "Wire copy per outlet",
        """
        SELECT coalesce(outlet, '(unknown)') AS outlet, count(*) AS articles,
               count(*) FILTER (WHERE wire_service IS NOT NULL) AS wire_articles,
               count(*) FILTER (WHERE wire_service IS NOT NULL) / count(*) AS share
        FROM article_outlets  -- one row per archived article: the `articles` view's joins cost 4x
        GROUP BY 1
        ORDER BY articles DESC, outlet
        """,
    ),
    "language_mix": Feed(
        "Languages",
        """
        SELECT coalesce(language, '(none)') AS language, count(*) AS articles,
               count(*) / sum(count(*)) OVER () AS share
        FROM article_languages  -- one row per archived article
        GROUP BY 1
        ORDER BY articles DESC, language
        """,
    ),
    "run_health": Feed(
        "Runs",
        """
        SELECT run_id, started_at, coalesce(kind, 'run') AS kind, status, round(duration_s, 3) AS duration_s,
               pages_read, articles_archived, rejected
        FROM runs
        ORDER BY started_at, run_id
        """,
    ),
    "stage_costs": Feed(
        "Seconds per stage and run",
        """
        SELECT s.run_id, r.started_at, s.stage, s.pages_in, round(s.seconds, 3) AS seconds,
               round(1000 * s.seconds / nullif(s.pages_in, 0), 3) AS ms_per_page, round(s.cpu_seconds, 3) AS cpu_seconds
        FROM run_stages s
        LEFT JOIN runs r USING (run_id)
        ORDER BY r.started_at, s.run_id, s.stage
        """,
    ),
    "rejects_by_reason": Feed(
        "Rejected pages by stage and reason",
        """
        SELECT stage, reason, count(*) AS pages
        FROM rejects
        GROUP BY ALL
        ORDER BY pages DESC, stage, reason
        """,
    ),
}


class UnknownFeed(KeyError):
    pass


def feed_params(name: str, given: dict[str, object] | None = None) -> dict[str, int]:
    """The feed's parameters: its defaults, with the given ones (as whole numbers >= 1) instead."""
    if name not in FEEDS:
        raise UnknownFeed(name)
    params = dict(FEEDS[name].params)
    for key, value in (given or {}).items():
        if key in params:
            number = int(value)  # ValueError for the caller to turn into a 400
            if number < 1:
                raise ValueError(f"{key} must be 1 or more")
            params[key] = number
    return params


def feed_rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
    """The feed's column names and rows as Python values, for the dashboard's charts."""
    cursor = con.execute(FEEDS[name].sql, feed_params(name, params))
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def plain(value: object) -> object:
    """A value as the feed files carry it (see FORMATS): times in UTC as ISO 8601 with Z."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime(ISO_UTC)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def as_records(columns: list[str], rows: list[tuple]) -> list[dict]:
    return [{c: plain(v) for c, v in zip(columns, row)} for row in rows]


ISO_UTC = "%Y-%m-%dT%H:%M:%S.%fZ"
# The feed files come from DuckDB's own writers: building Python rows and serialising them
# took 190 ms more than the query for daily_volume's 64,000 rows at 100,000 articles.
FORMATS = {
    "json": f"FORMAT json, ARRAY true, TIMESTAMPFORMAT '{ISO_UTC}'",
    "csv": f"FORMAT csv, HEADER true, TIMESTAMPFORMAT '{ISO_UTC}'",
    "parquet": "FORMAT parquet, COMPRESSION zstd",
}


def write_feed(con: duckdb.DuckDBPyConnection, name: str, fmt: str, path: Path, params: dict | None = None) -> int:
    """The feed as one file in `fmt` (json: an array of records; csv with a header;
    parquet), written at `path`; returns its row count."""
    con.execute("SET TimeZone = 'UTC'")  # the formats above write times as UTC
    target = str(path).replace("'", "''")
    return con.execute(f"COPY ({FEEDS[name].sql}) TO '{target}' ({FORMATS[fmt]})",
                       feed_params(name, params)).fetchone()[0]


def feed_bytes(con: duckdb.DuckDBPyConnection, name: str, fmt: str, params: dict | None = None) -> bytes:
    with tempfile.TemporaryDirectory(prefix="newsarchive-feed-") as tmp:
        path = Path(tmp) / f"{name}.{fmt}"
        write_feed(con, name, fmt, path, params)
        return path.read_bytes()


def export_feeds(con: duckdb.DuckDBPyConnection, folder: Path) -> list[tuple[Path, int]]:
    """Every feed as folder/{name}.json, .csv and .parquet, each written to a temporary
    name, synced, then renamed into place. The connection is pinned, so the three files
    of a feed read the same state of the archive."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FEEDS:
        for fmt in FORMATS:
            path = folder / f"{name}.{fmt}"
            tmp = path.with_name(f".{path.name}.tmp")
            rows = write_feed(con, name, fmt, tmp)
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
            written.append((path, rows))
    return written
