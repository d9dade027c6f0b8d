"""The app's one way to the archive: a read-only DuckDB cursor per request, pinned to the
archive as it is when the request starts (pipeline.store.pin), so a page never mixes two
runs and shows a new run once it is published. Read-only: the server cannot write.

The cursors share one database instance per catalog file, so the Parquet footers and file
blocks cached by one request serve the next: a new connection per request paid 35 ms to
open and up to 100 ms more on its first query over the documents."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Iterator

import duckdb
from fastapi import Request

from pipeline.store import ArchivePaths, open_catalog, pin


class Connections:
    """The open catalog of one archive, reopened when a writer replaces the catalog file
    (by rename: a new schema version); requests get cursors of it."""

    def __init__(self, root: Path):
        self.paths = ArchivePaths(root)
        self._lock = threading.Lock()
        self._identity: tuple[int, int] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    def cursor(self) -> duckdb.DuckDBPyConnection:
        identity = _file_identity(self.paths.catalog)
        with self._lock:
            if self._con is None or identity != self._identity:
                old, self._con, self._identity = self._con, open_catalog(self.paths), identity
                if old is not None:
                    old.close()  # cursors still in use keep the old database open until they close
            cur = self._con.cursor()
        pin(cur, self.paths)  # variables belong to the cursor: each request pins its own
        return cur

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


_created = threading.Lock()


def connections_of(request: Request) -> Connections:
    """The app's Connections, made on its first request (an app states only its archive)."""
    state = request.app.state
    with _created:
        if getattr(state, "connections", None) is None:
            state.connections = Connections(state.archive)
    return state.connections


def connection(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """FastAPI dependency: a pinned cursor for this request, closed after it."""
    con = connections_of(request).cursor()
    try:
        yield con
    finally:
        con.close()
