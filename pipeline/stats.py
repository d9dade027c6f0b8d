"""What each stage did: pages in, out, rejected, and time, per shard and summed per run."""

from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Iterator


@dataclass
class StageCount:
    pages_in: int = 0
    pages_out: int = 0
    rejected: int = 0
    seconds: float = 0.0
    # CPU time of the thread that ran the stage: its cost without the moments that thread
    # waited for a core, the disk or another process. Work it hands to DuckDB's or pyarrow's
    # own threads is not in it.
    cpu_seconds: float = 0.0
    # Which processes did the work ("host/pid"): the run's own, its worker processes, Dask workers.
    processes: list[str] = field(default_factory=list)


def this_process() -> str:
    return f"{socket.gethostname()}/{os.getpid()}"


@dataclass
class StageStats:
    stages: dict[str, StageCount] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str, pages_in: int) -> Iterator[StageCount]:
        count = StageCount(pages_in=pages_in, processes=[this_process()])
        start, cpu_start = time.perf_counter(), time.thread_time()
        try:
            yield count
        finally:
            count.seconds = time.perf_counter() - start
            count.cpu_seconds = time.thread_time() - cpu_start
            self.add(name, count)

    def add(self, name: str, count: StageCount) -> None:
        total = self.stages.setdefault(name, StageCount())
        total.pages_in += count.pages_in
        total.pages_out += count.pages_out
        total.rejected += count.rejected
        total.seconds += count.seconds
        total.cpu_seconds += count.cpu_seconds
        total.processes = sorted(set(total.processes) | set(count.processes))

    def merge(self, other: StageStats) -> None:
        for name, count in other.stages.items():
            self.add(name, count)

    def to_dict(self) -> dict:
        return {name: asdict(c) for name, c in self.stages.items()}

    @classmethod
    def from_dict(cls, data: dict) -> StageStats:
        return cls({name: StageCount(**c) for name, c in data.items()})

    def rows(self) -> list[dict]:
        return [{"stage": name, **asdict(c), "processes": len(c.processes)} for name, c in self.stages.items()]
