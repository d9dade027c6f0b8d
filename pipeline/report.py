"""The reporting views, as a person reads them: `newsarchive report`."""

from __future__ import annotations

import duckdb

REPORTS = {
    "daily_volume_by_outlet": "Articles per day and outlet",
    "top_entities_by_day": "Top entities per day (top 10 of each day)",
    "run_health": "Runs",
}

# A person reads the latest first, and --limit keeps those, not the archive's oldest days
# (a misdated outlier of 2004 first); the views keep their own order for SQL and dashboards.
LATEST_FIRST = {
    "daily_volume_by_outlet": "day DESC NULLS LAST, outlet",
    "top_entities_by_day": "day DESC NULLS LAST, rank, entity",
    "run_health": "started_at DESC",
}


def report(con: duckdb.DuckDBPyConnection, name: str, limit: int = 20,
           include_duplicates: bool = False) -> duckdb.DuckDBPyRelation:
    """A reporting view. Counts are of articles; `include_duplicates` adds the copies of
    them that were found elsewhere (`pages` = articles + duplicates)."""
    if name not in REPORTS:
        raise ValueError(f"unknown report {name!r}; choose from {', '.join(REPORTS)}")
    columns = "*"
    if name == "daily_volume_by_outlet":
        columns = ("day, outlet, articles, duplicates, articles + duplicates AS pages, wire_articles, "
                   "inferred_dates, words"
                   if include_duplicates else "* EXCLUDE (duplicates)")
    where = " WHERE rank <= 10" if name == "top_entities_by_day" else ""
    return con.sql(f"SELECT {columns} FROM {name}{where} ORDER BY {LATEST_FIRST[name]} LIMIT $limit",
                   params={"limit": limit})
