"""The reporting views, as a person reads them: `newsarchive report`."""

from __future__ import annotations

import duckdb

REPORTS = {
    "daily_volume_by_outlet": "Articles per day and outlet",
    "top_entities_by_day": "Top entities per day (top 10 of each day)",
    "run_health": "Runs",
}


def report(con: duckdb.DuckDBPyConnection, name: str, limit: int = 20) -> duckdb.DuckDBPyRelation:
    if name not in REPORTS:
        raise ValueError(f"unknown report {name!r}; choose from {', '.join(REPORTS)}")
    where = " WHERE rank <= 10" if name == "top_entities_by_day" else ""
    return con.sql(f"SELECT * FROM {name}{where} LIMIT $limit", params={"limit": limit})
