"""Real `newsarchive` processes for the crash and concurrency tests: started in their
own process group, watched through the archive folder they write, killed with SIGKILL.

Nothing here reaches into the running process: what a run is doing is read from the
files it leaves in the archive (store.py's layout), as an operator would see it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

NEWSARCHIVE = Path(sys.executable).parent / "newsarchive"


class RunProcess:
    """One `newsarchive run ... --executor plain` in its own process group, its output in files."""

    def __init__(self, sources: list[Path], archive: Path, logs: Path, env: dict | None = None):
        logs.mkdir(parents=True, exist_ok=True)
        self.archive, self.sources = archive, [str(s) for s in sources]
        self.stdout_path, self.stderr_path = logs / "stdout", logs / "stderr"
        # No entity tagging: spaCy would triple a run's time and no step here depends on it.
        self.args = [str(NEWSARCHIVE), "run", *map(str, sources), "--archive", str(archive),
                     "--executor", "plain", "--no-entities"]
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.started = time.monotonic()
            self.popen = subprocess.Popen(self.args, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                          env={**os.environ, **(env or {})}, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: no handler, no finally, no atexit runs."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=30)

    def wait(self, timeout: float = 240) -> int:
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"{' '.join(self.args)} did not end in {timeout} s\n{self.output()}") from None

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def output(self) -> str:
        return f"exit {self.popen.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"

    def succeed(self, timeout: float = 240) -> RunProcess:
        if self.wait(timeout) != 0:
            raise AssertionError(f"{' '.join(self.args)} failed\n{self.output()}")
        return self


def run_to_end(sources: list[Path], archive: Path, logs: Path, env: dict | None = None) -> RunProcess:
    return RunProcess(sources, archive, logs, env).succeed()


@dataclass
class StagedRun:
    """What a run's staging folder shows of its progress."""

    run_id: str
    kind: str | None  # None: no readable plan.json yet
    entries: int
    shard_size: int
    shard_dirs: int
    shards_done: int  # shard folders with their stats.json, the last file a shard writes
    has_out: bool  # finish_run is writing the run's tables (store.publish)

    @property
    def shard_count(self) -> int:
        return -(-self.entries // self.shard_size) if self.shard_size else 0


@dataclass
class ArchiveState:
    """The archive folder at one instant: runs in staging, run folders published, generations."""

    staged: dict[str, StagedRun] = field(default_factory=dict)
    published: set[str] = field(default_factory=set)
    current_generation: str | None = None
    generations: list[str] = field(default_factory=list)

    def runs(self, kind: str) -> list[StagedRun]:
        return [s for s in self.staged.values() if s.kind == kind]


def _listdir(path: Path) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except (FileNotFoundError, NotADirectoryError):
        return []


_plans: dict[tuple, dict] = {}


def _read_plan(path: Path) -> dict | None:
    """plan.json, parsed once per version: it is replaced whole, by rename, so a new
    version is a new inode (and here always a new size: its entries are added)."""
    try:
        stat = os.stat(path)
        version = (path, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if version not in _plans:
            _plans[version] = json.loads(path.read_text())
        return _plans[version]
    except (OSError, ValueError):
        return None


def read_state(archive: Path) -> ArchiveState:
    """Read the archive folder without locking or opening anything a run writes to. Files
    may vanish under our feet while a run tidies up: a vanished file reads as absent."""
    state = ArchiveState()
    for run_id in _listdir(archive / "staging"):
        folder = archive / "staging" / run_id
        plan = _read_plan(folder / "plan.json")
        shards = _listdir(folder / "shards")
        state.staged[run_id] = StagedRun(
            run_id=run_id,
            kind=plan and plan.get("kind", "run"),
            entries=len(plan["entries"]) if plan else 0,
            shard_size=plan["settings"]["shard_size"] if plan else 0,
            shard_dirs=len(shards),
            shards_done=sum((folder / "shards" / s / "stats.json").exists() for s in shards),
            has_out=(folder / "out").is_dir(),
        )
    state.published = set(_listdir(archive / "data"))
    data = archive / "data"
    state.current_generation = os.readlink(data).rsplit("/", 1)[-1] if data.is_symlink() else None
    state.generations = _listdir(archive / "generations")
    return state


def kill_when(process: RunProcess, moment: Callable[[ArchiveState], bool], timeout: float = 120,
              interval: float = 0.001) -> ArchiveState:
    """SIGKILL `process` as soon as the archive shows `moment`; returns the archive's state
    once the process is dead (it cannot change any more). Fails if the run ends first."""
    deadline = time.monotonic() + timeout
    while process.alive():
        if moment(read_state(process.archive)):
            process.kill()
            return read_state(process.archive)
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the awaited moment did not come in {timeout} s\n{process.output()}")
        time.sleep(interval)
    raise AssertionError(f"the run ended before the awaited moment\n{process.output()}")


def kill_after(process: RunProcess, seconds: float) -> ArchiveState:
    """SIGKILL `process` `seconds` after it was started (or at once if that has passed)."""
    time.sleep(max(0.0, process.started + seconds - time.monotonic()))
    process.kill()
    return read_state(process.archive)
