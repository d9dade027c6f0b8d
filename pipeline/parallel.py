"""Where the CPU-bound stages (decode and extract, tagging) run: in this process, in a
pool of worker processes on this machine (one per core), or on a Dask cluster. A stage
hands over its batch in chunks of pages and gets the results back in order, so a run
stores the same rows whichever ran it. On a pool or a cluster, chunks are started
costliest first (by the caller's estimate: a chunk's bytes or text), so that a stage ends on its cheapest ones:
started in order, a chunk holding a long article came last as often as not, and the
other workers waited for it. Everything else in a shard (reading, furniture,
deduplication, writing) stays in the calling process: it is cheap and reads the archive.

The local pool starts once per process and is kept for its later shards and runs (its
workers load trafilatura and spaCy once). On Dask the chunks go to the cluster's workers;
they never touch the archive, they only receive pages and return rows."""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Protocol, Sequence, TypeVar

from pipeline.settings import Settings

T = TypeVar("T")
R = TypeVar("R")


class Workers(Protocol):
    def width(self) -> int:
        """How many chunks run at once."""

    def map(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len) -> list[R]:
        """fn over each chunk, the results in the chunks' order; on several workers, the
        costliest chunks (by `cost`) are started first."""


class InProcess:
    def width(self) -> int:
        return 1

    def map(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len) -> list[R]:
        return [fn(c) for c in chunks]


class ProcessPool:
    """Worker processes on this machine. Started by spawn, not fork: a run may be inside
    Prefect's threads, and a forked child of a threaded process can deadlock."""

    def __init__(self, processes: int):
        self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_exit_with_parent, initargs=(os.getpid(),))
        self._processes = processes

    def width(self) -> int:
        return self._processes

    def map(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len) -> list[R]:
        if len(chunks) <= 1:  # one chunk gains nothing from another process
            return [fn(c) for c in chunks]
        futures = {i: self._pool.submit(fn, chunks[i]) for i in costliest_first(chunks, cost)}
        try:
            return [futures[i].result() for i in range(len(chunks))]
        except BaseException:  # the stage has failed: its other chunks need not run
            for future in futures.values():
                future.cancel()
            raise

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def _exit_with_parent(parent: int) -> None:
    """A worker ends when the run's process is gone. Killed (SIGKILL, the OOM killer), the
    run cannot stop its pool, and a worker waits for work forever: its queue's pipe stays
    open in the other workers, and it keeps spaCy's memory and the run's output pipe."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class DaskCluster:
    """The workers of a running Dask cluster (`dask scheduler`, `dask worker`s). From a
    task already running on the cluster (a shard run by Prefect's DaskTaskRunner) the
    chunks are submitted through that worker's client, which leaves its thread free."""

    def __init__(self, address: str):
        self.address = address
        self._client = None

    def _own_client(self):
        from distributed import Client

        if self._client is None:
            self._client = Client(self.address, set_as_default=False)
        return self._client

    def width(self) -> int:
        from distributed import get_client

        client = get_client() if _on_dask_worker() else self._own_client()
        return max(1, sum(client.nthreads().values()))

    def map(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len) -> list[R]:
        from distributed import worker_client

        if not _on_dask_worker():  # this process is the cluster's client
            return _gathered(self._own_client(), fn, chunks, cost)
        with worker_client() as client:
            return _gathered(client, fn, chunks, cost)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _on_dask_worker() -> bool:
    from distributed import get_worker

    try:
        get_worker()
        return True
    except ValueError:
        return False


def _gathered(client, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float]) -> list[R]:
    """A task per chunk, each with its pages (typically a few MB): the scheduler hands them
    out as workers free up. Scattered to the workers first, the chunks were each bound to
    the worker that held them, and a worker handed a slow chunk (one long article) made
    the others wait at the stage's end. One graph of every chunk would be tens of MB
    through the scheduler. The order to start them in is given as their priority: tasks
    submitted within 100 ms of each other otherwise share one."""
    order = costliest_first(chunks, cost)
    futures = {i: client.submit(fn, chunks[i], pure=False, priority=-rank) for rank, i in enumerate(order)}
    return client.gather([futures[i] for i in range(len(chunks))])


_lock = threading.Lock()
_started: dict[tuple, Workers] = {}


def workers_for(settings: Settings) -> Workers:
    """The workers the settings ask for, started on first use and kept for the process."""
    if settings.runner == "dask":
        key: tuple = ("dask", settings.dask_address)
    elif settings.workers > 1:
        key = ("local", settings.workers)
    else:
        return InProcess()
    with _lock:
        if key not in _started:
            _started[key] = DaskCluster(settings.dask_address) if key[0] == "dask" else ProcessPool(settings.workers)
        return _started[key]


@atexit.register
def close_all() -> None:
    """Stop every pool and client this process started (at exit, or when a cluster goes)."""
    with _lock:
        for workers in _started.values():
            workers.close()
        _started.clear()


def costliest_first(chunks: Sequence[T], cost: Callable[[T], float]) -> list[int]:
    """The chunks' indexes, costliest first (ties in order)."""
    costs = [cost(c) for c in chunks]
    return sorted(range(len(chunks)), key=lambda i: -costs[i])


def chunked(items: Sequence[T], size: int, width: int = 1) -> list[Sequence[T]]:
    """`items` in order, in chunks of at most `size`, of equal sizes and as many as a
    multiple of `width`: a stage waits for its last chunk, and an odd chunk out would run
    alone while the other workers wait. (Chunks shrinking towards the end measured no better.)"""
    count = -(-len(items) // size)
    count = min(len(items), -(-count // width) * width)
    bounds = [round(i * len(items) / count) for i in range(count + 1)] if count else [0]
    return [items[a:b] for a, b in zip(bounds, bounds[1:])]
