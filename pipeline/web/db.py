"""The app's one way to the archive: a read-only DuckDB connection per request, pinned to
the archive as it is when the request starts (pipeline.store.pin), so a page never mixes
two runs and shows a new run once it is published. Read-only: the server cannot write."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import duckdb
from fastapi import Request

from pipeline.store import connect


def archive_of(request: Request) -> Path:
    return request.app.state.archive


def connection(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """FastAPI dependency: a connection for this request, closed after it."""
    con = connect(archive_of(request))
    try:
        yield con
    finally:
        con.close()
