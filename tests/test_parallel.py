"""The CPU-bound stages on worker processes and on a real Dask cluster (a `dask scheduler`
and two `dask worker` processes on 127.0.0.1, started here): the archive they make is
row for row the one a single process makes, and the work was done by two processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import CancelledError, Future
from pathlib import Path

import pytest

from bench.cluster import local_cluster
from conftest import REPO, SEEDS, newsarchive
from corpus import COURIER, GAZETTE, write_pages
from pipeline.job import run_plain
from pipeline.parallel import DaskCluster, ProcessPool, WorkerCrashed, chunked, costliest_first, close_all
from pipeline.settings import Settings
from pipeline.store import connect
from schemas.tables import TABLES

# Columns that differ between any two runs of the same pages.
VOLATILE = {"run_id", "ingested_at", "rejected_at", "started_at", "finished_at", "duration_s", "seconds",
            "processes", "executor", "fetched_at", "listed_at", "status_message"}
HTML = Path(__file__).parent / "fixtures" / "html"
CHUNK = {"NEWSARCHIVE_CHUNK_PAGES": "4"}


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Path:
    """40 text pages of two outlets, the seed pages (scraped text with names), five HTML
    pages and a file no run can read: twelve chunks of four."""
    folder = tmp_path_factory.mktemp("parallel") / "pages"
    write_pages(folder, GAZETTE, range(0, 20))
    write_pages(folder, COURIER, range(0, 20))
    for page in [*SEEDS.glob("*.txt"), *HTML.glob("*.html")]:
        shutil.copy(page, folder / page.name)
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 not a news page")
    return folder


def archive_rows(archive: Path) -> dict[str, list[tuple]]:
    """Every table's rows without the columns that tell two runs apart, sorted."""
    with connect(archive) as con:
        return {name: con.sql(f"SELECT {', '.join(cols)} FROM {name} ORDER BY ALL").fetchall()
                for name, table in TABLES.items()
                if name not in ("runs", "run_stages")
                for cols in [[c for c in table.column_names if c not in VOLATILE]]}


def stage_processes(archive: Path) -> dict[str, int]:
    """Processes per stage of the run itself (not of the reprocess of stale articles after it)."""
    return {stage: processes for stage, (processes, _, _) in run_stages(archive).items()}


def run_stages(archive: Path) -> dict[str, tuple[int, float, float]]:
    """(processes, seconds, cpu_seconds) per stage of the run itself."""
    with connect(archive) as con:
        return {stage: tuple(rest) for stage, *rest in con.sql("""
            SELECT stage, processes, seconds, cpu_seconds FROM run_stages
            WHERE run_id = (SELECT run_id FROM runs WHERE kind = 'run')""").fetchall()}


def counts(summary) -> tuple:
    return summary.pages_read, summary.articles_archived, summary.duplicates, summary.rejected, summary.mentions


@pytest.mark.parametrize("items, size, width, sizes", [
    (200, 16, 2, [14, 15, 14, 14, 14, 15, 14, 14, 15, 14, 14, 14, 15, 14]),  # not 12 of 16 and one of 8 alone
    (100, 16, 2, [12, 13, 13, 12, 12, 13, 13, 12]),
    (32, 16, 2, [16, 16]),
    (3, 16, 2, [2, 1]),
    (1, 16, 2, [1]),
    (0, 16, 2, []),
    (40, 16, 1, [13, 14, 13]),
])
def test_a_stage_is_cut_into_even_chunks_a_multiple_of_the_workers(items, size, width, sizes):
    chunks = chunked(list(range(items)), size, width)
    assert [len(c) for c in chunks] == sizes
    assert [i for c in chunks for i in c] == list(range(items))


def test_chunks_are_started_costliest_first():
    assert costliest_first([[1], [1, 2, 3], [], [1, 2], [3, 4]], len) == [1, 3, 4, 0, 2]  # ties in order


def started(chunk: list[int]) -> tuple[list[int], float]:
    """The chunk and when its work started, after a pause long enough to tell the order."""
    start = time.time()
    time.sleep(0.3)
    return chunk, start


def test_a_pool_starts_the_costliest_chunk_first_and_returns_results_in_order():
    """A stage waits for its last chunk: that should be a cheap one, not the one long article."""
    chunks = [[1], [1, 2, 3], [1, 2]]
    pool = ProcessPool(1)  # one process runs the chunks one after another, in the order handed out
    try:
        results = pool.map(started, chunks, cost=len)
    finally:
        pool.close()
    assert [chunk for chunk, _ in results] == chunks
    assert results[1][1] < results[2][1] < results[0][1]


def upper_or_die(chunk: list[str]) -> list[str]:
    if "die" in chunk:
        os._exit(1)  # as a worker killed, out of memory, or crashed in a C library
    if "hang" in chunk:
        time.sleep(3600)  # as a library looping on a page
    time.sleep(0.1)  # long enough for the neighbours to be running when it dies
    return [item.upper() for item in chunk]


def test_a_chunk_that_kills_its_worker_costs_that_chunk_not_its_neighbours_or_the_pool():
    pool = ProcessPool(2)
    try:
        batch = pool.submit(upper_or_die, [["a", "b"], ["c", "die"], ["e"], ["f"]],
                            recover=lambda chunk, timeout_s: [f"lost {' '.join(chunk)}"])
        assert batch.results() == [["A", "B"], ["lost c die"], ["E"], ["F"]]
        assert pool.map(upper_or_die, [["x"], ["y"]]) == [["X"], ["Y"]]  # started anew
        with pytest.raises(WorkerCrashed) as crashed:  # no recovery given: the stage fails
            pool.submit(upper_or_die, [["die"], ["z"]]).results()
        assert crashed.value.chunk == ["die"]
    finally:
        pool.close()


def test_a_chunk_that_runs_past_the_time_limit_has_its_worker_killed_and_costs_only_itself():
    # The clock runs from a chunk's hand-out, and a new worker first imports this module
    # (spawn): on a loaded machine that took over 2 s, and a chunk of 0.1 s ran out of time.
    pool = ProcessPool(2, timeout_s=8)
    try:
        assert pool.map(upper_or_die, [["w"], ["x"]]) == [["W"], ["X"]]  # both workers started
        batch = pool.submit(upper_or_die, [["a"], ["hang"], ["c"]], recover=lambda chunk, timeout_s: [timeout_s])
        assert batch.results() == [["A"], [8], ["C"]]
        assert pool.map(upper_or_die, [["x"], ["y"]]) == [["X"], ["Y"]]
    finally:
        pool.close()


def test_a_chunk_refused_by_an_executor_a_crash_had_just_replaced_runs_on_the_new_one():
    """The hand-out thread takes the pool's executor, then hands it a chunk: a neighbour's
    crash can replace it and shut it down in between, and it refuses the chunk, which never
    ran. The chunk runs on the new executor and the pool goes on; it had failed the stage
    with the refusal, and its copy queued again killed the hand-out thread."""
    pool = ProcessPool(2)
    stale = ProcessPool._executor(1)
    stale.shutdown()
    try:
        with pytest.raises(RuntimeError) as refusal:
            stale.submit(upper_or_die, ["a"])
        future = Future()
        future.set_running_or_notify_cancel()
        with pool._changed:
            pool._running += 1  # as the hand-out thread counts a chunk it hands out
        pool._finished((0, 0, upper_or_die, ["a"], future, False), stale, None, refusal.value)
        assert future.result(timeout=60) == ["A"]
        assert pool.map(upper_or_die, [["x"], ["y"]]) == [["X"], ["Y"]]
    finally:
        pool.close()



def test_closing_the_pool_ends_a_chunk_waiting_to_run_again_alone():
    """Such a chunk's future is running already, which cancel() cannot end: its stage
    waited for ever on a pool closed at the process's exit."""
    pool = ProcessPool(1)
    future = Future()
    future.set_running_or_notify_cancel()
    with pool._changed:
        pool._alone_running = True  # another chunk runs alone: this one waits
        pool._queue(0, upper_or_die, ["a"], future, True)
    pool.close()
    with pytest.raises(CancelledError):
        future.result(timeout=10)

# Where a marked page makes its worker die or hang: a stage's function, replaced in the
# workers (module, function, what marks the page, what it does then).
FAULTS = {
    "extract": ("pipeline.decode", "decode_page", 'b"kill this worker" in args[0].content', "os._exit(1)"),
    "hang": ("pipeline.decode", "decode_page", 'b"kill this worker" in args[0].content', "time.sleep(3600)"),
    "tag": ("pipeline.tag.language", "tag_language", 'any("kill this worker" in d.text for d in args[0])', "os._exit(1)"),
}


def sitecustomize(module: str, function: str, marked: str, fault: str) -> str:
    return textwrap.dedent(f"""\
        import os, time, {module}
        original = {module}.{function}
        def failing(*args):
            if {marked}:
                {fault}
            return original(*args)
        {module}.{function} = failing
    """)


def marked_pages(pages: Path, tmp_path: Path, monkeypatch, fault: str) -> tuple[Path, Path]:
    """A copy of the pages with one marked, and the fault it sets off injected into the
    worker processes started from now on (sitecustomize in their path): the folder and
    the marked page."""
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(sitecustomize(*FAULTS[fault]))
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path / 'inject'}{os.pathsep}{REPO}")
    folder = tmp_path / "pages"
    shutil.copytree(pages, folder)
    victim = sorted(folder.glob("*.txt"))[5]
    victim.write_text(victim.read_text() + "\nkill this worker\n")
    return folder, victim


def assert_only_the_marked_page_lost(settings: Settings, summary, victim: Path, stage: str, reason: str) -> None:
    assert summary.pages_read == 48 and summary.rejected == 2  # the fixture's bad page, and this one
    with connect(settings.archive) as con:
        assert con.execute("SELECT source_ref, stage, reason FROM rejects WHERE stage <> 'read'").fetchall() == [
            (str(victim), stage, reason)]
        assert con.execute("SELECT status FROM runs WHERE run_id = ?", [summary.run_id]).fetchone()[0] == "succeeded"
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == summary.articles_archived > 30


@pytest.mark.parametrize("stage", FAULTS)
def test_a_page_that_kills_its_worker_is_rejected_and_the_rest_archived(stage, pages, tmp_path, monkeypatch):
    """A worker dying broke the pool, and the run failed with BrokenProcessPool, all its
    pages lost. Here a marked page kills or hangs its worker, each time."""
    folder, victim = marked_pages(pages, tmp_path, monkeypatch, stage)
    settings = Settings(archive=tmp_path / "archive", workers=3, chunk_pages=4, shard_size=20,  # a pool of its own
                        chunk_timeout_s=4)
    try:
        summary = run_plain(settings, [str(folder)])
    finally:
        close_all()  # no later test gets these workers
    assert_only_the_marked_page_lost(settings, summary, victim, "extract" if stage == "hang" else stage,
                                     "too_slow" if stage == "hang" else "worker_crashed")


def test_on_dask_a_page_that_kills_its_workers_is_rejected_and_the_rest_archived(pages, tmp_path, monkeypatch):
    """Dask runs the chunk again on another worker, then gives up on it (KilledWorker),
    which failed the run; its pages are run one a task, and the page Dask gives up on is
    rejected."""
    folder, victim = marked_pages(pages, tmp_path, monkeypatch, "extract")
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "1")  # gives up on the second death
    with local_cluster(2, tmp_path / "dask") as address:
        settings = Settings(archive=tmp_path / "archive", runner="dask", dask_address=address, chunk_pages=4,
                            shard_size=20)
        try:
            summary = run_plain(settings, [str(folder)])
        finally:
            close_all()
    assert_only_the_marked_page_lost(settings, summary, victim, "extract", "worker_crashed")


def test_on_dask_a_page_that_hangs_its_worker_is_rejected_and_the_rest_archived(pages, tmp_path, monkeypatch):
    """Dask has no time limit for a task: a page some library loops on held the run for
    ever. Past chunk_timeout_s the chunk ends its worker's process, and Dask gives up on
    it as on a chunk that kills its workers."""
    folder, victim = marked_pages(pages, tmp_path, monkeypatch, "hang")
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES", "1")
    with local_cluster(2, tmp_path / "dask") as address:
        settings = Settings(archive=tmp_path / "archive", runner="dask", dask_address=address, chunk_pages=4,
                            shard_size=20, entities=False, chunk_timeout_s=8)
        try:
            summary = run_plain(settings, [str(folder)])
        finally:
            close_all()
    assert_only_the_marked_page_lost(settings, summary, victim, "extract", "worker_crashed")


def alive(pid: int) -> bool:
    # A dead child not yet reaped by its new parent is a zombie: gone in all but name.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_killed_runs_worker_processes_end_with_it():
    """SIGKILL gives a run no chance to stop its pool; its workers must not wait for work forever."""
    run = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import os, signal, psutil
        from pipeline.parallel import workers_for
        from pipeline.settings import Settings
        if __name__ == "__main__":
            assert workers_for(Settings(workers=2)).map(len, [[1], [2, 3]]) == [1, 2]  # two chunks: the pool starts
            print(" ".join(str(p.pid) for p in psutil.Process().children()), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
    """)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    workers = [int(pid) for pid in run.stdout.readline().split()]
    assert run.wait(60) == -signal.SIGKILL
    assert len(workers) >= 2
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if alive(pid)]


@pytest.fixture(scope="module")
def one_process(pages, tmp_path_factory) -> tuple[Path, tuple]:
    archive = tmp_path_factory.mktemp("one-process") / "archive"
    summary = run_plain(Settings(archive=archive, workers=1, chunk_pages=4, shard_size=20), [str(pages)])
    assert summary.pages_read == 48 and summary.rejected == 1 and summary.articles_archived > 30
    return archive, counts(summary)


def test_worker_processes_store_what_one_process_stores(pages, one_process, tmp_path):
    archive = tmp_path / "archive"
    summary = run_plain(Settings(archive=archive, workers=2, chunk_pages=4, shard_size=20), [str(pages)])
    assert counts(summary) == one_process[1]
    expected, got = archive_rows(one_process[0]), archive_rows(archive)
    assert got["mentions"] and got["rejects"]  # tags made in the workers, the reject too
    for name in expected:
        assert got[name] == expected[name], name
    processes = stage_processes(archive)
    assert {processes[s] for s in ("decode", "extract", "outlets", "dates", "language", "entities")} == {2}
    assert processes["dedup"] == 1  # the run's own process
    # The workers' CPU time comes back with their stages: the cost, not counting their waits.
    costs = run_stages(archive)
    assert all(0 < costs[s][2] <= costs[s][1] + 0.01 for s in ("extract", "entities", "language"))
    assert set(stage_processes(one_process[0]).values()) == {1}


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """`dask scheduler` and two single-threaded `dask worker`s, as separate processes."""
    with local_cluster(2, tmp_path_factory.mktemp("dask")) as address:
        yield address


def test_dask_runner_on_a_real_cluster(pages, one_process, dask_cluster, prefect_api_url, tmp_path):
    archive = tmp_path / "archive"
    result = newsarchive("run", str(pages), "--archive", str(archive), "--runner", "dask",
                         "--address", dask_cluster, "--shard-size", "20",
                         env={**CHUNK, "PREFECT_API_URL": prefect_api_url})
    assert "succeeded" in result.stdout
    expected, got = archive_rows(one_process[0]), archive_rows(archive)
    for name in expected:
        assert got[name] == expected[name], name
    processes = stage_processes(archive)
    # Twelve chunks of each CPU-bound stage went to the cluster: both workers took some.
    assert {processes[s] for s in ("extract", "entities")} == {2}
    with connect(archive) as con:
        assert con.sql("SELECT status, pages_read FROM runs WHERE kind = 'run'").fetchall() == [("succeeded", 48)]


def test_a_dask_cluster_starts_the_costliest_chunks_first(dask_cluster):
    def started_on_worker(chunk: list[int]) -> tuple[list[int], float]:
        # `started` as a closure: sent by value, as the workers cannot import the tests; a
        # longer pause, as a start on one worker is compared with a start on the other
        start = time.time()
        time.sleep(1.0)
        return chunk, start

    cluster = DaskCluster(dask_cluster)
    chunks = [[1], [1, 2], [1, 2, 3, 4], [1, 2, 3]]
    try:
        results = cluster.map(started_on_worker, chunks, cost=len)
    finally:
        cluster.close()
    assert [chunk for chunk, _ in results] == chunks
    starts = [start for _, start in results]
    assert max(starts[2], starts[3]) < min(starts[0], starts[1])  # two workers: the two costliest first


def test_a_dask_cluster_starts_batches_of_one_priority_in_the_order_handed_over(dask_cluster):
    """As the local pool does: a run reads shards ahead and hands over their extraction at
    one priority; the shard it works on first must be extracted first, not beside the others."""
    def started_on_worker(chunk: list[int]) -> tuple[list[int], float]:
        start = time.time()
        time.sleep(0.3)
        return chunk, start

    cluster = DaskCluster(dask_cluster)
    try:
        # More chunks than the workers take at once: the rest wait on the scheduler.
        first = cluster.submit(started_on_worker, [list(range(n)) for n in range(1, 9)], cost=len, priority=-1)
        second = cluster.submit(started_on_worker, [[9] * n for n in range(1, 5)], cost=len, priority=-1)
        earlier, later = first.results(), second.results()
    finally:
        cluster.close()
    assert max(start for _, start in earlier) < min(start for _, start in later)
    starts = {len(chunk): start for chunk, start in later}
    assert starts[4] < starts[1]  # each batch costliest first


def test_dask_runner_needs_an_address(pages, tmp_path):
    result = newsarchive("run", str(pages), "--archive", str(tmp_path / "a"), "--runner", "dask", check=False)
    assert result.returncode == 2
    assert "runner dask needs dask_address" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_pool_starts_a_batch_of_higher_priority_before_the_chunks_of_lower_priority_still_waiting():
    """A run hands over the next shards' extraction ahead at a lower priority: the current
    shard's tagging, handed over later, must not wait behind it."""
    pool = ProcessPool(1)
    try:
        ahead = pool.submit(started, [[1], [2], [3]], priority=-1)
        time.sleep(0.1)  # the first chunk has gone to the one worker
        now = pool.submit(started, [[4], [5]])
        later, first = ahead.results(), now.results()
    finally:
        pool.close()
    assert [chunk for chunk, _ in later + first] == [[1], [2], [3], [4], [5]]
    starts = {chunk[0]: start for chunk, start in later + first}
    assert starts[1] < starts[4] < starts[5] < starts[2] < starts[3]


def test_a_run_that_fails_with_shards_read_ahead_leaves_the_pool_to_the_next_run(pages, one_process, tmp_path,
                                                                                  monkeypatch):
    """A shard fails while the next shards are read and their extraction queued on the
    workers: the run is recorded as failed, and the next run in the same process (the
    same pool) archives exactly what a clean run does."""
    import pipeline.run

    strip, calls = pipeline.run.strip_learned_furniture, []

    def failing_on_the_second_shard(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return strip(*args, **kwargs)

    archive, settings = tmp_path / "archive", {"workers": 2, "chunk_pages": 4, "shard_size": 20}
    monkeypatch.setattr(pipeline.run, "strip_learned_furniture", failing_on_the_second_shard)
    with pytest.raises(OSError, match="disk full"):
        run_plain(Settings(archive=archive, **settings), [str(pages)])
    monkeypatch.setattr(pipeline.run, "strip_learned_furniture", strip)
    summary = run_plain(Settings(archive=archive, **settings), [str(pages)])
    assert counts(summary) == one_process[1]
    expected, got = archive_rows(one_process[0]), archive_rows(archive)
    for name in expected:
        assert got[name] == expected[name], name
    with connect(archive) as con:
        assert con.sql("SELECT status, error FROM runs WHERE kind = 'run' ORDER BY started_at").fetchall() == [
            ("failed", "OSError: disk full"), ("succeeded", None)]


def test_a_job_in_parts_reads_the_next_parts_first_shards_during_a_runs_last(pages, tmp_path, monkeypatch):
    """During each run's last shard the next part's first shards are read, looked up in that
    run's keys and extracted on the workers, for its finish; the next run looks them up again
    in its own. A page of the third part whose bytes the second archived is extracted ahead
    all the same, and then skipped as unchanged: the job stores what one process stores."""
    import pipeline.run

    folder = tmp_path / "pages"
    shutil.copytree(pages, folder)
    # After every numbered page of the Gazette: in the third part of 20 pages, its original in the second.
    shutil.copy(folder / "riversidegazette-5.txt", folder / "riversidegazette-copy.txt")
    options = {"entities": False, "chunk_pages": 4, "shard_size": 10, "run_pages": 20}
    alone = run_plain(Settings(archive=tmp_path / "one", workers=1, **options), [str(folder)])

    fetch, fetched = pipeline.run.fetch_shard, []

    def recorded(entries, settings, key_files, workers, priority=0):
        fetched.append((Path(entries[0]["path"]).name, key_files.folder.parent.name))
        return fetch(entries, settings, key_files, workers, priority)

    monkeypatch.setattr(pipeline.run, "fetch_shard", recorded)
    pooled = run_plain(Settings(archive=tmp_path / "two", workers=2, **options), [str(folder)])
    assert len(pooled.parts) == len(alone.parts) == 3
    assert (pooled.pages_unchanged, counts(pooled)) == (alone.pages_unchanged, counts(alone)) == (1, counts(alone))
    runs = dict(fetched)  # each shard's first page: the run whose keys it was first looked up in
    # Parts of two shards, two and one: the second and third parts' read during the run before.
    assert len(fetched) == 5 and [runs[page] for page in sorted(runs)] == [*[pooled.parts[0]] * 4, pooled.parts[1]]
    expected, got = archive_rows(tmp_path / "one"), archive_rows(tmp_path / "two")
    for name in expected:
        assert got[name] == expected[name], name


def test_a_later_parts_first_shard_retried_is_read_again_in_its_own_runs_keys(pages, tmp_path, monkeypatch):
    """As Prefect retries a failed shard (flows/archive.py): the second part's first shard,
    read during the first run's last with that run's keys (gone once it published), fails
    and is done again, reading its pages again: the job stores what one process stores."""
    import pipeline.run
    from pipeline.job import clean_stale
    from pipeline.run import finish_run, process_shard, run_in_parts

    options = {"entities": False, "chunk_pages": 4, "shard_size": 10, "run_pages": 20}
    alone = run_plain(Settings(archive=tmp_path / "one", workers=1, **options), [str(pages)])
    strip, calls = pipeline.run.strip_learned_furniture, []

    def failing_once_in_the_second_part(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the first part has two shards
            raise OSError("worker lost")
        return strip(*args, **kwargs)

    def run_part(plan):
        shard_dirs = []
        for index in range(plan.shard_count):
            try:
                shard_dirs.append(process_shard(str(plan.path), index))
            except OSError:
                shard_dirs.append(process_shard(str(plan.path), index))
        return finish_run(str(plan.path), shard_dirs)

    monkeypatch.setattr(pipeline.run, "strip_learned_furniture", failing_once_in_the_second_part)
    settings = Settings(archive=tmp_path / "two", workers=2, **options)
    pooled = run_in_parts(settings, [str(pages)], "plain", run_part)
    clean_stale(settings, pooled.parts, pooled.stale_articles)
    assert len(calls) == 6 and len(pooled.parts) == 3  # 2, 2 (one retried) and 1 shards
    assert counts(pooled) == counts(alone)
    expected, got = archive_rows(tmp_path / "one"), archive_rows(tmp_path / "two")
    for name in expected:
        assert got[name] == expected[name], name
