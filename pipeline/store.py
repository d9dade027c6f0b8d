"""Parquet writing, the archive lock, atomic publish, and the archive's DuckDB catalog.

Layout of an archive folder:

    data -> generations/<n>         symlink to the current generation
    generations/<n>/<run>/<table>.parquet
                                    published runs, each written whole, never changed
    staging/<run_id>/               a run being written (plan, furniture and dedup-key snapshots,
                                    shards, then its tables)
    archive.duckdb                  views over data/*/<table>.parquet, and the SQL macros
    rollups/<state>/<view>.parquet  the reporting views that read every row, per state (rollups.py)
    furniture_checked.parquet       the learned lines the last complete furniture check covered (furniture.py)
    .lock                           held (flock) by the one run writing

A run publishes with one rename of its staging folder into data/, so readers see all
of a run's rows or none. A reprocess, which replaces rows inside published runs,
builds a new generation (hard links for every file it keeps, new folders for the runs
it rewrites) and publishes it by swapping the `data` symlink: readers see the old
rows or the new ones, never a mix. Rewritten run folders get new names, so no path
ever names two different files (readers cache Parquet footers by path). Runs never open archive.duckdb for writing (DuckDB refuses a
writer while readers hold the file): it holds only views over the Parquet globs, so
a newly published run is visible to every reader without touching it. It is
rewritten only when the table definitions or the archive's location change.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline import rollups
from schemas import sql_files
from schemas.tables import TABLES, Table, to_arrow

CATALOG = "archive.duckdb"
log = logging.getLogger("newsarchive")  # pipeline/logs.py formats it
# The catalog's views read the files a reader pinned, in variables named by this and the table.
PIN_PREFIX = "na_files_"
# A replaced generation stays at least this long, so a query pinned to it can finish.
READER_GRACE_S = 600.0


@cache  # it hashes every table's schema: search once took 55 ms calling it per file
def genesis_run() -> str:
    """The folder of empty tables that gives every view every column: named by the table
    definitions, so a column added later gets a new one (older files lack it, and the
    views would not bind)."""
    digest = hashlib.sha256("\n".join(f"{t.name}:{t.schema}" for t in TABLES.values()).encode()).hexdigest()
    return f"00000000T000000Z-schema-{digest[:12]}"


class ArchiveBusy(RuntimeError):
    """Another run holds the archive lock."""


class ArchiveMissing(FileNotFoundError):
    pass


@dataclass(frozen=True)
class ArchivePaths:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def listing(self) -> Path:
        """Files a job's listing fetched (remote WARC files), kept until its last run."""
        return self.root / "listing"

    @property
    def warc_cache(self) -> Path:
        """WARC files over HTTP kept between jobs (pipeline/sources/warc_cache.py)."""
        return self.root / "cache" / "warc"

    @property
    def extracted(self) -> Path:
        """A job's documents as extracted, kept until its furniture check (pipeline/extracted.py)."""
        return self.root / "extracted"

    @property
    def generations(self) -> Path:
        return self.root / "generations"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def catalog(self) -> Path:
        return self.root / CATALOG

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    def glob(self, table: str) -> str:
        return (self.data / "*" / f"{table}.parquet").as_posix()

    def parquet(self, table: str, filename: bool = False) -> str:
        """SQL that reads a table's published files (with each row's file when `filename`)."""
        path = self.glob(table).replace("'", "''")
        return f"read_parquet('{path}', union_by_name = true{', filename = true' if filename else ''})"

    def pinned_parquet(self, table: str, filename: bool = False) -> str:
        """SQL that reads the files `pin` listed for the connection or, unpinned, the published
        files (with each row's file when `filename`)."""
        path = self.glob(table).replace("'", "''")
        return (f"read_parquet(coalesce(getvariable('{PIN_PREFIX}{table}'), ['{path}']), union_by_name = true"
                f"{', filename = true' if filename else ''})")


def write_table(folder: Path, table: Table, data: pa.Table | list[dict], compression: str = "zstd") -> Path:
    """Write one table's file whole: to a temporary name, fsync, then rename into place."""
    arrow = to_arrow(table, data) if isinstance(data, list) else data.cast(table.schema)
    if table.sort_by:
        # Combined first: pyarrow's take over a table of many chunks (a run's shards, a
        # file's row groups) is slow for variable-length columns, 1.1 s instead of 0.02 s
        # for a run's 320 MB of page bytes. Past 2 GB it keeps as many chunks as it needs.
        arrow = arrow.combine_chunks().sort_by([(c, "ascending") for c in table.sort_by])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table.name}.parquet"
    tmp = folder / f".{table.name}.parquet.tmp"
    pq.write_table(arrow, tmp, compression=compression, row_group_size=table.row_group_rows)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


# What write_tables takes for a table: its rows, or the future of a file being written.
TableData = pa.Table | list[dict] | Future[Path]


def write_table_soon(folder: Path, table: Table, data: pa.Table) -> Future[Path]:
    """write_table on a thread of its own, while the caller goes on; write_tables takes
    the future for the table and moves the file in."""
    pool = ThreadPoolExecutor(1, thread_name_prefix=f"write-{table.name}")
    written = pool.submit(write_table, folder, table, data)
    pool.shutdown(wait=False)  # the thread ends with its write
    return written


def write_tables(folder: Path, tables: dict[str, TableData], compression: str = "zstd") -> None:
    """Every table's file (write_table), two at a time, largest first: pyarrow sorts,
    encodes and compresses without the GIL, so the largest is written beside the others
    (a run of 2,000 pages with its page bytes: 1.5 s one after another, 1.1 s of it the
    pages; 1.1 s on two threads). A table already being written (write_table_soon) is
    moved in once done."""
    to_write = {name: data for name, data in tables.items() if not isinstance(data, Future)}
    largest_first = sorted(to_write.items(), key=lambda item: -item[1].nbytes if isinstance(item[1], pa.Table) else 0)
    with ThreadPoolExecutor(2, thread_name_prefix="write") as pool:
        writing = [pool.submit(write_table, folder, TABLES[name], data, compression) for name, data in largest_first]
        for name, data in tables.items():
            if isinstance(data, Future):
                folder.mkdir(parents=True, exist_ok=True)
                os.replace(data.result(), folder / f"{name}.parquet")
        for written in writing:
            written.result()


def read_table(folder: Path, table: Table) -> pa.Table:
    path = folder / f"{table.name}.parquet"
    return pq.read_table(path, schema=table.schema) if path.exists() else table.schema.empty_table()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(paths: ArchivePaths, run_dir: Path, tables: dict[str, TableData]) -> Path:
    """Write every table of the run into its staging folder, then make it visible at once."""
    out = run_dir / "out"
    if out.exists():
        shutil.rmtree(out)
    write_tables(out, tables)
    _fsync_dir(out)
    target = paths.data / run_dir.name
    os.rename(out, target)
    _fsync_dir(paths.data)
    shutil.rmtree(run_dir, ignore_errors=True)
    refresh_rollups(paths)
    return target


# Archives whose lock this process holds: the lock file's descriptor.
_held: dict[Path, int] = {}


@contextmanager
def archive_lock(paths: ArchivePaths, holder: str, wait_s: float = 0.0) -> Iterator[None]:
    """The one-writer lock. flock is released by the kernel when its process dies, so a
    killed run never leaves the archive locked; the next run then finds its staging folder.
    A process that holds it takes it again at once (a job holds it over its runs)."""
    paths.root.mkdir(parents=True, exist_ok=True)
    key = paths.root.resolve()
    if key in _held:
        _write_holder(_held[key], holder)  # who works now: a refused run names it
        yield
        return
    fd = os.open(paths.lock, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_s
    waiting = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise ArchiveBusy(
                        f"another run is writing to {paths.root} ({_holder(fd)}); "
                        f"wait for it to finish or set NEWSARCHIVE_LOCK_WAIT_S"
                    ) from None
                if not waiting:
                    log.warning("another run is writing to %s (%s): waiting up to %.0f s for it to finish",
                                paths.root, _holder(fd), wait_s)
                    waiting = True
                time.sleep(0.2)
        if waiting:
            log.warning("the other run finished: %s goes on", holder)
        _write_holder(fd, holder)
        _held[key] = fd
        try:
            yield
        finally:
            del _held[key]
            os.ftruncate(fd, 0)  # gone, so that a writer refused later names its own holder, not this one
    finally:
        os.close(fd)


def _write_holder(fd: int, holder: str) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{holder} pid {os.getpid()}".encode(), 0)


def _holder(fd: int) -> str:
    """Who holds the lock, as it wrote itself in: a holder that has just taken the lock
    may not have written yet."""
    for _ in range(10):
        if name := os.pread(fd, 200, 0).decode(errors="replace").strip():
            return name
        time.sleep(0.05)
    return "unknown"


def catalog_version(paths: ArchivePaths) -> str:
    parts = [str(paths.root), "views read pinned files", "catalog_info names its root", "postings_located"]
    parts += [f"{t.name}:{t.schema}" for t in TABLES.values()]
    parts += [p.read_text() for p in sql_files()]
    parts += ["rollups", *rollups.ROLLUPS]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def load_macros(con: duckdb.DuckDBPyConnection) -> None:
    for path in sql_files("macros"):
        con.execute(path.read_text())


def _define_catalog(con: duckdb.DuckDBPyConnection, paths: ArchivePaths, version: str, rolled_up: bool = True,
                    placeholders: Path | None = None) -> None:
    """The catalog's views and macros, in `con`; without `rolled_up`, the rolled-up views
    compute live and nothing is written to the archive (rollups.define writes its
    placeholders, into `placeholders` where given)."""
    for t in TABLES.values():
        con.execute(f"CREATE VIEW {t.name} AS SELECT * FROM {paths.pinned_parquet(t.name)}")
    # Search ranks from this (schemas/views/20_search.sql): each hit's postings file
    # names its run folder, where its other rows are looked up (pipeline/search.py).
    con.execute(f"CREATE VIEW postings_located AS SELECT * FROM {paths.pinned_parquet('postings', filename=True)}")
    load_macros(con)
    for path in sql_files("views"):
        con.execute(path.read_text())
    if rolled_up:
        rollups.define(con, paths.root, placeholders)
    else:  # the views compute live: `<view>_live`, which queries may name, is the view itself
        for name in rollups.ROLLUPS:
            con.execute(f"CREATE VIEW {name}_live AS SELECT * FROM {name}")
    con.execute(f"CREATE VIEW catalog_info AS SELECT '{version}' AS version, {sql_string(str(paths.root))} AS root")


def _build_catalog(paths: ArchivePaths, version: str) -> None:
    # A name of this process's own: a reader re-pointing a moved archive may build beside a writer.
    tmp = paths.root / f".{CATALOG}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            _define_catalog(con, paths, version)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        # Replacing the file by rename leaves readers that still have the old one open unharmed.
        os.replace(tmp, paths.catalog)
    finally:
        for left in (tmp, tmp.with_name(tmp.name + ".wal")):
            left.unlink(missing_ok=True)


def _catalog_current(paths: ArchivePaths, version: str) -> bool:
    if not paths.catalog.exists():
        return False
    try:
        con = duckdb.connect(str(paths.catalog), read_only=True)
    except duckdb.Error:
        return False
    try:
        return _built_as(con) == version
    finally:
        con.close()


def _built_as(con: duckdb.DuckDBPyConnection, column: str = "version") -> str | None:
    """The catalog's version, or the archive root it was built for."""
    try:
        return con.execute(f"SELECT {column} FROM catalog_info").fetchone()[0]
    except duckdb.Error:
        return None


def current_generation(paths: ArchivePaths) -> Path:
    return paths.data.resolve()


def _switch_data_link(paths: ArchivePaths, generation: Path) -> None:
    tmp = paths.root / ".data.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(generation.relative_to(paths.root), tmp)
    os.replace(tmp, paths.data)
    _fsync_dir(paths.root)


def new_generation(paths: ArchivePaths, rewrite: set[str]) -> Path:
    """The next generation: every run folder of the current one hard-linked into it,
    except those named in `rewrite`, which the caller writes anew. Call with the lock held."""
    current = current_generation(paths)
    number = max((int(p.name) for p in paths.generations.iterdir() if p.name.isdigit()), default=0) + 1
    generation = paths.generations / f"{number:06d}"
    generation.mkdir()
    for run in current.iterdir():
        if run.is_dir() and run.name not in rewrite:
            (generation / run.name).mkdir()
            for f in run.iterdir():
                os.link(f, generation / run.name / f.name)
    return generation


def switch_generation(paths: ArchivePaths, generation: Path) -> None:
    """Make `generation` the archive's data, at once. Call with the lock held."""
    for run in generation.iterdir():
        _fsync_dir(run)
    _fsync_dir(generation)
    _switch_data_link(paths, generation)


def stage_rewrite(paths: ArchivePaths, run_id: str, folder: str, tables: dict[str, pa.Table]) -> str:
    """Write the changed tables of published run folder `folder` into `run_id`'s staging,
    under the folder's new name (readers cache Parquet footers by path, so a path never
    changes content). Returns the new name; `publish_generation` makes it visible."""
    name = f"{folder.split('.')[0]}.{run_id}"
    write_tables(paths.staging / run_id / "rewritten" / name, tables)
    return name


def publish_generation(paths: ArchivePaths, run_id: str, run_tables: dict[str, TableData],
                       renamed: dict[str, str]) -> None:
    """Publish a run's own tables together with the run folders it rewrote (`renamed`:
    old folder name -> new, from `stage_rewrite`), at once, as a new generation. The
    rewritten folders keep the files they did not change, by hard link."""
    rewritten = paths.staging / run_id / "rewritten"
    generation = new_generation(paths, rewrite=set(renamed))
    for old_name, new_name in renamed.items():
        for f in (paths.data / old_name).iterdir():
            if not (rewritten / new_name / f.name).exists():
                os.link(f, rewritten / new_name / f.name)
        os.rename(rewritten / new_name, generation / new_name)
    write_tables(generation / run_id, run_tables)
    switch_generation(paths, generation)
    shutil.rmtree(paths.staging / run_id, ignore_errors=True)
    refresh_rollups(paths)


def remove_old_generations(paths: ArchivePaths, now: float | None = None) -> None:
    """Generations a reader can no longer be pinned to (see `pin`): before the previous one,
    and replaced more than READER_GRACE_S ago. The previous one stays until the writer
    after next, so that queries begun before a switch can finish even when two writers
    switch in a row (a run that replaces an archived copy, then the job's reprocess).
    Generations left half-built by a dead writer go too. Call with the lock held."""
    current = current_generation(paths)
    now = time.time() if now is None else now
    numbered = sorted(g for g in paths.generations.iterdir() if g.name.isdigit())
    older = [g for g in numbered if g.name < current.name]
    # A generation was replaced when the next one was made (the next one's folder time, or later).
    replaced_at = {g: nxt.stat().st_mtime for g, nxt in zip(numbered, numbered[1:])}
    stale = [g for g in older[:-1] if now - replaced_at[g] > READER_GRACE_S]
    for generation in [*stale, *(g for g in numbered if g.name > current.name)]:
        shutil.rmtree(generation, ignore_errors=True)


def ensure_archive(paths: ArchivePaths) -> None:
    """Create the folders, the empty genesis tables (so every view has a file to read),
    and the catalog, or bring the catalog up to date. Call with the lock held."""
    paths.generations.mkdir(parents=True, exist_ok=True)
    if not paths.data.is_symlink():
        first = paths.generations / f"{1:06d}"
        if paths.data.is_dir():  # an archive from before generations: its data is the first one
            os.rename(paths.data, first)
        first.mkdir(exist_ok=True)
        _switch_data_link(paths, first)
    paths.staging.mkdir(parents=True, exist_ok=True)
    genesis = paths.data / genesis_run()
    missing = [t for t in TABLES.values() if not (genesis / f"{t.name}.parquet").exists()]
    for t in missing:
        write_table(genesis, t, t.schema.empty_table())
    version = catalog_version(paths)
    if not _catalog_current(paths, version):
        _build_catalog(paths, version)
    _remove_dead_builds(paths)


def _remove_dead_builds(paths: ArchivePaths) -> None:
    """The catalog files a process killed while it built them left (named by its pid), an
    hour old at least: a build takes a second, and a reader on another host or in another
    container, whose pids this process cannot see, may be building beside it."""
    for left in paths.root.glob(f".{CATALOG}.*.tmp*"):
        pid = left.name.removeprefix(f".{CATALOG}.").split(".")[0]
        try:
            old = time.time() - left.stat().st_mtime > 3600
        except FileNotFoundError:
            continue
        if pid.isdigit() and old and not _alive(int(pid)):
            left.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:  # another user's process
        return True
    except (ProcessLookupError, OverflowError):  # none, or a number no process can have
        return False
    return True


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the archive's catalog, for queries, search and reports,
    pinned to the archive as it is now (see `pin`)."""
    paths = ArchivePaths(root)
    con = open_catalog(paths)
    pin(con, paths)
    return con


def open_catalog(paths: ArchivePaths) -> duckdb.DuckDBPyConnection:
    """The catalog opened read-only and not yet pinned (`connect` pins it). A catalog built
    for another place (the archive was moved or copied: its views name the old place's
    files, which a plain DuckDB client would read) is rebuilt for this one first; where
    that fails (a read-only archive) our own queries still read the right files, being
    pinned. One built by another version of newsarchive is left to the next run (readers of
    two versions would rebuild it over each other): this reader defines this version's
    catalog in memory instead, whose reporting views compute live (the rollups are the
    other version's), and says so. So does a reader that finds the file held open for
    writing (_open_read_only); its views read this version's rollups."""
    if not paths.catalog.exists():
        raise ArchiveMissing(f"no archive at {paths.root}: run `newsarchive run SOURCE --archive {paths.root}` first")
    here = ArchivePaths(paths.root.resolve())
    if (con := _open_read_only(paths)) is None:
        return _catalog_in_memory(here)
    if _built_as(con, "root") != str(here.root):
        con.close()
        try:
            _build_catalog(here, catalog_version(here))
        except (duckdb.Error, OSError) as e:
            log.warning("%s was built for another place and could not be rebuilt for %s (%s): plain DuckDB "
                        "clients read the old place's files until a run rebuilds it", paths.catalog, here.root, e)
        if (con := _open_read_only(paths)) is None:
            return _catalog_in_memory(here)
    elif _built_as(con) != (version := catalog_version(here)):
        con.close()
        con = duckdb.connect()
        _define_catalog(con, here, version, rolled_up=False)
        log.warning("%s was built by another version of newsarchive: this one reads the archive through its own "
                    "views, computing the reporting views live, and plain DuckDB clients see the other version's "
                    "until the next `newsarchive run` rebuilds it", paths.catalog)
    # Published files never change, so their footers can be cached for the database's life.
    con.execute("SET parquet_metadata_cache = true")
    return con


def _open_read_only(paths: ArchivePaths) -> duckdb.DuckDBPyConnection | None:
    """The catalog file, read-only; None where another process holds it open to write,
    which DuckDB's lock lets no reader share: a `duckdb archive.duckdb` session (its CLI
    opens a file read-write unless given -readonly), or a client's plain connect."""
    try:
        return duckdb.connect(str(paths.catalog), read_only=True)
    except duckdb.IOException as e:
        if "lock" not in str(e):
            raise
        holder = re.search(r"\(PID \d+\)", str(e))
        log.warning("%s is held open for writing by another process%s, a DuckDB session opened without -readonly "
                    "perhaps: reading the archive through a catalog in memory (`duckdb -readonly` shares the file)",
                    paths.catalog, f" {holder[0]}" if holder else "")
        return None


def _catalog_in_memory(paths: ArchivePaths) -> duckdb.DuckDBPyConnection:
    """This version's catalog in an in-memory database over the archive's files, which are
    all a catalog holds: the same views and rollups, nothing written to the archive."""
    con = duckdb.connect()
    _define_catalog(con, paths, catalog_version(paths), placeholders=_own_placeholders())
    con.execute("SET parquet_metadata_cache = true")
    return con


@cache
def _own_placeholders() -> Path:
    """A folder of this process's own for an in-memory catalog's empty rollup files,
    removed when it exits."""
    folder = Path(tempfile.mkdtemp(prefix="newsarchive-catalog-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def pin(con: duckdb.DuckDBPyConnection, paths: ArchivePaths) -> str:
    """Point the connection's views at the files published now, listed once under the
    current generation's own path: every query then reads one state of the archive.
    (A glob through `data` is listed and opened at different moments, so a generation
    switch in between loses or mixes run folders.) Call again to see later runs; a pinned
    generation stays readable until the writer after next removes it. The views that
    are rolled up read the rollups of this state when it has them. Returns the state's
    rollup key."""
    generation = current_generation(paths)
    folders = sorted(p for p in generation.iterdir() if p.is_dir())
    listed = {t.name: [f.as_posix() for folder in folders if (f := folder / f"{t.name}.parquet").exists()]
              for t in TABLES.values()}
    statements = [f"SET VARIABLE {PIN_PREFIX}{name} = {sql_list(files)}::VARCHAR[]"
                  for name, files in listed.items()]
    key = rollups.state_key(listed, con.execute("SELECT version FROM catalog_info").fetchone()[0])
    statements += [f"SET VARIABLE {name} = {sql_string(path) if path else 'NULL'}::VARCHAR"
                   for name, path in rollups.variables(paths.root, key).items()]
    con.execute(";\n".join(statements))  # one call: statement by statement took 30-50 ms
    return key


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sql_list(texts: list[str]) -> str:
    return f"[{', '.join(map(sql_string, texts))}]"


def refresh_rollups(paths: ArchivePaths) -> None:
    """Roll up the state just published (pipeline/rollups.py). Call with the lock held.
    A failure leaves the views computing live, and the next writer tries again."""
    try:
        con = open_catalog(paths)
        try:
            key = pin(con, paths)
            rollups.roll_up(con, paths.root, key)
        finally:
            con.close()
        rollups.remove_old(paths.root, keep=key)
    except (duckdb.Error, OSError) as e:
        log.warning("the reporting views of %s compute live until the next run: rolling them up failed (%s)",
                    paths.root, e)


def scan(paths: ArchivePaths, table: str, columns: str = "*") -> duckdb.DuckDBPyRelation:
    """The run's own view of a published table: an in-memory connection over the Parquet
    files, so a run never opens archive.duckdb."""
    con = duckdb.connect()
    return con.sql(f"SELECT {columns} FROM {paths.parquet(table)}")


def write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, path)
