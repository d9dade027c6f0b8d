"""Where the CPU-bound stages (decode and extract, tagging) run: in this process, in a
pool of worker processes on this machine (one per core), or on a Dask cluster. A stage
hands over its batch in chunks of pages and gets the results back in order, so a run
stores the same rows whichever ran it. On a pool or a cluster, chunks are started
costliest first (by the caller's estimate: a chunk's bytes or text), so that a stage ends on its cheapest ones:
started in order, a chunk holding a long article came last as often as not, and the
other workers waited for it. Everything else in a shard (reading, furniture,
deduplication, writing) stays in the calling process: it is cheap and reads the archive.

Batches can be handed over ahead of need, at a lower priority: a run queues the next
shards' extraction, which keeps the workers busy while it does a shard's own work, and
the shard's tagging, handed over at the normal priority, goes before it (run.py).

The local pool starts once per process and is kept for its later shards and runs (its
workers load trafilatura and spaCy once). On Dask the chunks go to the cluster's workers;
they never touch the archive, they only receive pages and return rows."""

from __future__ import annotations

import atexit
import heapq
import itertools
import multiprocessing
import os
import threading
import time
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial
from typing import Callable, Generic, Iterator, Sequence, TypeVar

from pipeline.settings import Settings

T = TypeVar("T")
R = TypeVar("R")


class WorkerCrashed(Exception):
    """The worker process running a chunk died (killed, out of memory, a crash in a C
    library) or was killed for taking too long, and again running the chunk alone: the
    chunk holds the cause. `timeout_s`: the time limit it ran past, where it was killed
    for its time; None where its worker died."""

    def __init__(self, chunk: object, timeout_s: float | None = None):
        super().__init__(f"it took over {timeout_s:g} s, twice" if timeout_s else "its worker process died running it, twice")
        self.chunk = chunk
        self.timeout_s = timeout_s


class Batch(Generic[R]):
    """Chunks handed over: their results, in the chunks' order, once all are done. A
    chunk that crashed its worker (WorkerCrashed) gives `recover(chunk, timeout_s)`
    instead, where the stage gives one: the pages at fault become rejects, not the run's
    failure (`timeout_s`: it was killed for taking longer; None: its worker died)."""

    def __init__(self, futures: list, gather: Callable[[list], list[R]] | None = None,
                 recover: Callable[[object, float | None], R] | None = None):
        self._futures = futures
        self._gather = gather or self._each
        self._recover = recover

    def _each(self, futures: list) -> list[R]:
        results = []
        for future in futures:
            try:
                results.append(future.result())
            except WorkerCrashed as crashed:
                if self._recover is None:
                    raise
                results.append(self._recover(crashed.chunk, crashed.timeout_s))
        return results

    def results(self) -> list[R]:
        try:
            return self._gather(self._futures)
        except BaseException:  # the stage has failed: its other chunks need not run
            for future in self._futures:
                future.cancel()
            raise


class Done(Batch[R]):
    def __init__(self, results: list[R]):
        super().__init__([])
        self._results = results

    def results(self) -> list[R]:
        return self._results


class Workers:
    def width(self) -> int:
        """How many chunks run at once."""
        raise NotImplementedError

    def submit(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len,
               priority: int = 0, recover: Callable[[T, float | None], R] | None = None, alone: bool = False) -> Batch[R]:
        """fn over each chunk, started once every chunk of a higher priority has been; on
        several workers, the costliest chunks (by `cost`) are started first. `recover`
        gives the result of a chunk that crashed its worker (Batch); `alone`: each chunk
        runs with nothing beside it (its worker may die: nothing else dies with it)."""
        raise NotImplementedError

    def map(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len) -> list[R]:
        """fn over each chunk now: the results in the chunks' order."""
        return self.submit(fn, chunks, cost).results()

    def runs_apart(self) -> bool:
        """Whether a batch handed over runs while this process goes on (so reading ahead pays)."""
        return False

    def close(self) -> None:
        pass


class InProcess(Workers):
    def width(self) -> int:
        return 1

    def submit(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len,
               priority: int = 0, recover: Callable[[T, float | None], R] | None = None, alone: bool = False) -> Batch[R]:
        return Done([fn(c) for c in chunks])


class ProcessPool(Workers):
    """Worker processes on this machine. Started by spawn, not fork: a run may be inside
    Prefect's threads, and a forked child of a threaded process can deadlock.

    Chunks wait here, not in the executor's queue, and one is handed to the executor as a
    worker comes free, highest priority first: a batch handed over later at a higher
    priority does not wait behind those already queued.

    A worker that dies (killed, out of memory, a crash in a C library) breaks the whole
    executor, and every chunk running then fails with it. The executor is started anew,
    and those chunks run again each alone, first: the one whose worker dies again alone
    is the cause, and fails with WorkerCrashed; the others were its neighbours. A chunk
    running longer than `timeout_s` (a page some library loops on) has the executor's
    workers killed, which is the same case: which worker runs which chunk, the executor
    does not say, and a C loop heeds no signal a worker could set for itself."""

    def __init__(self, processes: int, timeout_s: float = 600.0):
        self._pool = self._executor(processes)
        self._processes = processes
        self._timeout_s = timeout_s
        self._started: dict[int, float] = {}  # id(future) -> when its chunk was handed to the executor
        self._timed_out: set[int] = set()  # ids of futures whose chunk ran out of time
        self._waiting: list[tuple] = []  # a heap of (-priority, order, fn, chunk, future, alone)
        self._order = itertools.count()
        self._running = 0
        self._alone_running = False
        self._closed = False
        self._changed = threading.Condition()
        threading.Thread(target=self._hand_out, name="pool-hand-out", daemon=True).start()
        threading.Thread(target=self._watch, name="pool-watch", daemon=True).start()

    @staticmethod
    def _executor(processes: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_exit_with_parent, initargs=(os.getpid(),))

    def width(self) -> int:
        return self._processes

    def runs_apart(self) -> bool:
        return True

    def submit(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len,
               priority: int = 0, recover: Callable[[T, float | None], R] | None = None, alone: bool = False) -> Batch[R]:
        futures: list[Future] = [Future() for _ in chunks]
        with self._changed:
            for i in costliest_first(chunks, cost):
                self._queue(-priority, fn, chunks[i], futures[i], alone)
            self._changed.notify()
        return Batch(futures, recover=recover)

    def _queue(self, rank: int, fn: Callable, chunk: object, future: Future, alone: bool) -> None:
        # A chunk that runs alone goes first: until it has run, the others wait anyway.
        heapq.heappush(self._waiting, (-(2**62) if alone else rank, next(self._order), fn, chunk, future, alone))

    def map(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len) -> list[R]:
        if len(chunks) <= 1:  # one chunk gains nothing from another process
            return [fn(c) for c in chunks]
        return super().map(fn, chunks, cost)

    def _free(self) -> bool:
        """Whether the next chunk may start: a worker is free, none runs alone, and the next
        one, if it must run alone, finds none running."""
        return (self._running < self._processes and not self._alone_running
                and not (self._waiting[0][-1] and self._running))

    def _hand_out(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._closed or (self._waiting and self._free()))
                if self._closed:
                    return
                item = heapq.heappop(self._waiting)
                *_, fn, chunk, future, alone = item
                # (A chunk run again alone has its future running already.)
                if not (future.running() or future.set_running_or_notify_cancel()):  # its stage failed meanwhile
                    continue
                self._running += 1
                self._alone_running = alone
                self._started[id(future)] = time.monotonic()
                pool = self._pool
            try:
                pool.submit(fn, chunk).add_done_callback(partial(self._finished, item, pool))
            except BaseException as error:  # the executor is broken (a worker killed) or shut down
                self._finished(item, pool, None, error)

    def _finished(self, item: tuple, pool: ProcessPoolExecutor, done: Future | None,
                  refused: BaseException | None = None) -> None:
        """A chunk's end: `done`, its run, or `refused`, the error of an executor that would
        not take it. A chunk refused by a broken executor, or by one another chunk's crash
        had just replaced, never ran: it waits for the new executor, as it was."""
        # The result first, the worker freed after: a failed stage can then cancel its
        # waiting chunks before the next one is handed out.
        rank, _, fn, chunk, future, alone = item
        crashed = None
        if done is not None:
            try:
                future.set_result(done.result())
            except BrokenProcessPool as error:
                crashed = error
            except BaseException as error:
                future.set_exception(error)
        with self._changed:
            self._running -= 1
            self._alone_running = False
            self._started.pop(id(future), None)
            timed_out = id(future) in self._timed_out
            self._timed_out.discard(id(future))
            current = pool is self._pool and not self._closed
            if refused is not None and not self._closed and (not current or isinstance(refused, BrokenProcessPool)):
                if current:
                    self._start_anew(pool)
                self._queue(rank, fn, chunk, future, alone)
            elif refused is not None:  # closed, or the executor in use refuses work: this process is ending
                future.set_exception(refused)
            elif crashed is not None:
                if current:
                    self._start_anew(pool)
                if alone:
                    future.set_exception(WorkerCrashed(chunk, self._timeout_s if timed_out else None))
                elif self._closed:
                    future.set_exception(crashed)
                else:  # its future, still running, resolves when it has run alone
                    self._queue(rank, fn, chunk, future, True)
            self._changed.notify()

    def _start_anew(self, broken: ProcessPoolExecutor) -> None:
        self._pool = self._executor(self._processes)
        broken.shutdown(wait=False, cancel_futures=True)

    def _watch(self) -> None:
        """Kill the executor's workers when a chunk has run longer than the time limit."""
        while not self._closed:
            time.sleep(min(1.0, self._timeout_s / 4))
            with self._changed:
                now = time.monotonic()
                late = [key for key, started in self._started.items() if now - started > self._timeout_s]
                if not late or self._closed:
                    continue
                self._timed_out.update(late)
                for key in late:
                    del self._started[key]
                # The executor's own map of pid to process: it has no other way to reach its workers.
                workers = list((self._pool._processes or {}).values())
            for worker in workers:
                worker.kill()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            for *_, future, _ in self._waiting:
                if not future.cancel():  # one waiting to run again alone is running already
                    future.set_exception(CancelledError())
            self._waiting.clear()
            self._changed.notify()
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


class DaskCluster(Workers):
    """The workers of a running Dask cluster (`dask scheduler`, `dask worker`s). From a
    task already running on the cluster (a shard run by Prefect's DaskTaskRunner) the
    chunks are submitted through that worker's client, which leaves its thread free, and
    gathered before `submit` returns. A chunk running longer than `timeout_s` ends its
    worker's process (_within_time), which Dask then takes as a worker that died on it."""

    def __init__(self, address: str, timeout_s: float = 600.0):
        self.address = address
        self._timeout_s = timeout_s
        self._client = None
        self._batches = itertools.count()

    def _own_client(self):
        from distributed import Client

        if self._client is None:
            self._client = Client(self.address, set_as_default=False)
        return self._client

    def width(self) -> int:
        from distributed import get_client

        client = get_client() if _on_dask_worker() else self._own_client()
        return max(1, sum(client.nthreads().values()))

    def runs_apart(self) -> bool:
        return not _on_dask_worker()

    def submit(self, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float] = len,
               priority: int = 0, recover: Callable[[T, float | None], R] | None = None, alone: bool = False) -> Batch[R]:
        """Dask runs a task whose worker died on another, up to its scheduler's
        `allowed-failures`, then fails it with KilledWorker: that chunk gives
        `recover(chunk, None)`, as a local pool's WorkerCrashed does. Dask fails so every
        task its dying workers held, so chunks to run `alone` run one after another."""
        from distributed import worker_client

        fn = partial(_within_time, fn, self._timeout_s)
        if alone:
            with self._client_here() as client:
                return Done([_gathered(client, [chunk], recover, [client.submit(fn, chunk, pure=False)])[0]
                             for chunk in chunks])
        if not _on_dask_worker():  # this process is the cluster's client
            client = self._own_client()
            return Batch(_submitted(client, fn, chunks, cost, priority, next(self._batches)),
                         partial(_gathered, client, chunks, recover))
        with worker_client() as client:
            return Done(_gathered(client, chunks, recover,
                                  _submitted(client, fn, chunks, cost, priority, next(self._batches))))

    @contextmanager
    def _client_here(self) -> Iterator:
        """This process's client, or, in a task on the cluster, that worker's."""
        from distributed import worker_client

        if not _on_dask_worker():
            yield self._own_client()
        else:
            with worker_client() as client:
                yield client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _within_time(fn: Callable[[T], R], timeout_s: float, chunk: T) -> R:
    """fn(chunk) on a Dask worker whose process ends if the chunk runs past `timeout_s`:
    Dask has no time limit for a task, and a library looping in C heeds no signal. The
    worker's nanny starts another, and Dask runs the chunk again elsewhere, then gives up
    on it (KilledWorker), as on a chunk that kills its workers."""
    timer = threading.Timer(timeout_s, os._exit, (1,))
    timer.daemon = True
    timer.start()
    try:
        return fn(chunk)
    finally:
        timer.cancel()


def _gathered(client, chunks: Sequence[T], recover: Callable[[T, float | None], R] | None, futures: list) -> list[R]:
    """The chunks' results, in order; `recover(chunk, None)` for a chunk Dask gave up on."""
    from distributed import KilledWorker

    if recover is None:
        return client.gather(futures)
    results = []
    for chunk, future in zip(chunks, futures):
        try:
            results.append(future.result())
        except KilledWorker:
            results.append(recover(chunk, None))
    return results


def _on_dask_worker() -> bool:
    from distributed import get_worker

    try:
        get_worker()
        return True
    except ValueError:
        return False


def _submitted(client, fn: Callable[[T], R], chunks: Sequence[T], cost: Callable[[T], float], priority: int,
               batch: int) -> list:
    """A task per chunk, each with its pages (typically a few MB): the scheduler hands them
    out as workers free up. Scattered to the workers first, the chunks were each bound to
    the worker that held them, and a worker handed a slow chunk (one long article) made
    the others wait at the stage's end. One graph of every chunk would be tens of MB
    through the scheduler. The order to start them in is given as their priority, as the
    local pool orders them: the batch's own priority, then batches in the order handed
    over (`batch` counts them), then each batch's costliest first. Ordered by priority and
    cost alone, the shards read ahead were extracted all at once, the current shard's
    last: its tagging started late, and the workers had nothing queued while this process
    did each shard's own work. Returns the futures in the chunks' order."""
    order = costliest_first(chunks, cost)
    futures = {i: client.submit(fn, chunks[i], pure=False, priority=priority * 10**15 - batch * 10**6 - rank)
               for rank, i in enumerate(order)}
    return [futures[i] for i in range(len(chunks))]


_lock = threading.Lock()
_started: dict[tuple, Workers] = {}


def workers_for(settings: Settings) -> Workers:
    """The workers the settings ask for, started on first use and kept for the process."""
    if settings.runner == "dask":
        key: tuple = ("dask", settings.dask_address, settings.chunk_timeout_s)
    elif settings.workers > 1:
        key = ("local", settings.workers, settings.chunk_timeout_s)
    else:
        return InProcess()
    with _lock:
        if key not in _started:
            _started[key] = (DaskCluster(settings.dask_address, settings.chunk_timeout_s) if key[0] == "dask"
                             else ProcessPool(settings.workers, settings.chunk_timeout_s))
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
