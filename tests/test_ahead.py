"""Reading ahead (pipeline/ahead.py): the next items are read in order, one at a time on a
background thread, never more than `depth` past the one taken; a failed read is raised
where it is taken, and taken again it is read again."""

from __future__ import annotations

import threading
import time

import pytest

from pipeline.ahead import ReadAhead


class Reads:
    """A read that takes a while and records which index it read, when, and on which thread."""

    def __init__(self, fail: set[int] = frozenset()):
        self.log: list[tuple[int, str, float, float]] = []
        self.fail = set(fail)

    def __call__(self, index: int) -> str:
        start = time.monotonic()
        time.sleep(0.05)
        self.log.append((index, threading.current_thread().name, start, time.monotonic()))
        if index in self.fail:
            self.fail.discard(index)  # only once: taken again, it reads
            raise OSError(f"page {index} unreadable")
        return f"shard {index}"

    def indexes(self) -> list[int]:
        return [index for index, *_ in self.log]


def settle() -> None:
    time.sleep(0.4)  # long enough for every read that may start to have finished


def test_reads_run_in_order_one_at_a_time_on_another_thread_at_most_depth_ahead():
    reads = Reads()
    ahead = ReadAhead(reads, count=6, depth=2)
    try:
        assert ahead.take(0) == "shard 0"
        settle()
        assert reads.indexes() == [0, 1, 2]  # not 3: two past the one taken
        assert [ahead.take(i) for i in range(1, 6)] == [f"shard {i}" for i in range(1, 6)]
    finally:
        ahead.close()
    assert reads.indexes() == [0, 1, 2, 3, 4, 5]  # each once, none past the last
    assert {thread for _, thread, *_ in reads.log} != {threading.current_thread().name}
    spans = sorted((start, end) for _, _, start, end in reads.log)
    assert all(end <= next_start for (_, end), (next_start, _) in zip(spans, spans[1:]))  # never two at once


def test_a_failed_read_is_raised_where_it_is_taken_and_taken_again_is_read_again():
    reads = Reads(fail={1})
    ahead = ReadAhead(reads, count=3, depth=2)
    try:
        assert ahead.take(0) == "shard 0"
        with pytest.raises(OSError, match="page 1 unreadable"):
            ahead.take(1)
        assert ahead.take(1) == "shard 1"  # a retried shard
        assert ahead.take(2) == "shard 2"
    finally:
        ahead.close()
    assert reads.indexes() == [0, 1, 2, 1]


def test_closed_it_drops_the_reads_not_begun():
    reads = Reads()
    ahead = ReadAhead(reads, count=10, depth=5)
    ahead.take(0)
    ahead.close()
    settle()
    assert reads.indexes() in ([0], [0, 1])  # the read under way at most, not the five queued


def test_begun_before_any_is_taken_the_first_depth_reads_start_and_can_be_waited_for():
    reads = Reads(fail={0})
    ahead = ReadAhead(reads, count=5, depth=2)
    try:
        ahead.begin()
        ahead.wait()  # a failed read is waited for, not raised
        assert reads.indexes() == [0, 1]
        with pytest.raises(OSError, match="page 0 unreadable"):
            ahead.take(0)
    finally:
        ahead.close()
