"""Reading ahead: the next items of a sequence prepared on one background thread while
the caller works on the current one (run.py reads a run's next shards and hands their
extraction to the workers this way)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class ReadAhead(Generic[T]):
    """`read(i)` for i in 0..count-1, one at a time in order on a background thread, at
    most `depth` past the last index taken. One thread, so reads never overlap: a shard's
    fetches keep to their hosts' politeness limits (pipeline/fetch.py)."""

    def __init__(self, read: Callable[[int], T], count: int, depth: int):
        self._read, self._count, self._depth = read, count, depth
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="read-ahead")
        self._pending: dict[int, Future] = {}
        self._next = 0  # the first index not yet handed to the thread

    def begin(self) -> None:
        """Start the first `depth` reads before any is taken."""
        self._start(min(self._depth, self._count) - 1)

    def wait(self) -> None:
        """Until every read started is done (its error, if any, is raised at `take`)."""
        wait(list(self._pending.values()))

    def take(self, index: int) -> T:
        """read(index), as read ahead or read now (an index taken again: a retried shard)."""
        self._start(min(index + self._depth, self._count - 1))
        future = self._pending.pop(index, None) or self._thread.submit(self._read, index)
        return future.result()

    def _start(self, last: int) -> None:
        while self._next <= last:
            self._pending[self._next] = self._thread.submit(self._read, self._next)
            self._next += 1

    def close(self) -> None:
        """Reads not begun are dropped; one under way finishes on its own."""
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        self._thread.shutdown(wait=False, cancel_futures=True)
