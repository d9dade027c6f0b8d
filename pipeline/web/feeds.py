"""The dashboard's feeds: one SQL query each over the catalog's views and tables, defined
once here and used by the dashboard's charts, the feed URLs (`/feeds/{name}.json`, `.csv`)
and `newsarchive export-feeds`. Every count is exact (no sampling); a share is a count
over its total, unrounded, so the shares of a day sum to 1."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


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
        SELECT p.published_date AS day, coalesce(o.outlet, '(unknown)') AS outlet, count(*) AS articles,
               count(*) / sum(count(*)) OVER (PARTITION BY p.published_date) AS share
        -- As daily_volume_by_outlet counts them, from the two tags alone (one row each per
        -- archived article): that view also sums words, which reads every document.
        FROM article_dates p JOIN article_outlets o USING (article_id)
        GROUP BY 1, 2
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
               round(1000 * s.seconds / nullif(s.pages_in, 0), 3) AS ms_per_page
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


def feed_relation(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> duckdb.DuckDBPyConnection:
    return con.execute(FEEDS[name].sql, feed_params(name, params))


def feed_rows(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> tuple[list[str], list[tuple]]:
    """The feed's column names and rows (Python values: dates as `date`, times as `datetime`)."""
    cursor = feed_relation(con, name, params)
    columns = [d[0] for d in cursor.description]
    return columns, cursor.fetchall()


def plain(value: object) -> object:
    """A value as JSON and CSV carry it: dates and times in ISO 8601."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def as_records(columns: list[str], rows: list[tuple]) -> list[dict]:
    return [{c: plain(v) for c, v in zip(columns, row)} for row in rows]


def as_json(columns: list[str], rows: list[tuple]) -> str:
    return json.dumps(as_records(columns, rows), ensure_ascii=False, indent=1)


def as_csv(columns: list[str], rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([plain(v) for v in row] for row in rows)
    return out.getvalue()


def _write_atomically(path: Path, data: bytes | pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(data, pa.Table):
        pq.write_table(data, tmp, compression="zstd")
    else:
        tmp.write_bytes(data)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def export_feeds(con: duckdb.DuckDBPyConnection, folder: Path) -> list[tuple[Path, int]]:
    """Every feed as folder/{name}.json, .csv and .parquet, each written to a temporary
    name then renamed into place. The three files of a feed come from one query."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FEEDS:
        table = feed_relation(con, name).fetch_arrow_table()
        columns, rows = table.column_names, [tuple(r.values()) for r in table.to_pylist()]
        for path, data in ((folder / f"{name}.json", as_json(columns, rows).encode()),
                           (folder / f"{name}.csv", as_csv(columns, rows).encode()),
                           (folder / f"{name}.parquet", table)):
            _write_atomically(path, data)
            written.append((path, len(rows)))
    return written
