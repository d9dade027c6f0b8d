"""A local Dask cluster of separate processes (`dask scheduler`, `dask worker`s on
127.0.0.1), for the Dask benchmark and tests/test_parallel.py."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def local_cluster(workers: int, logs: Path) -> Iterator[str]:
    """A scheduler and `workers` single-threaded workers; yields the scheduler's address
    once every worker has joined, and stops them all after."""
    logs.mkdir(parents=True, exist_ok=True)
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"

    def start(name: str, *command: str) -> subprocess.Popen:
        return subprocess.Popen([dask, *command, "--no-dashboard"], stdout=open(logs / f"{name}.log", "wb"),
                                stderr=subprocess.STDOUT, start_new_session=True)

    processes = [start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port))]
    try:
        for n in range(workers):
            processes.append(start(f"worker{n + 1}", "worker", address, "--name", f"w{n + 1}",
                                   "--nthreads", "1", "--nworkers", "1"))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for p in reversed(processes):
            os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for p in processes:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
