"""`make bench`: speed and memory of a real run on real pages, and search and dashboard
feed latency at 100,000 archived articles. Figures, not assertions: tests never time anything."""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import multiprocessing.synchronize
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import psutil
import pyarrow as pa

from bench.cluster import local_cluster
from bench.corpus import build_corpus, vary
from bench.naive import naive_run
from bench.views import bench_views

from pipeline.dedup import ArchiveKeys, find_duplicates, write_key_files
from pipeline.job import run_plain
from pipeline.neardup import NUM_PERM, Signed, archived_candidates, index_tables, sign, split_near_duplicates
from pipeline.parallel import InProcess, close_all
from pipeline.stages import build_postings, extract_pages, tag_documents
from pipeline.stats import StageStats
from pipeline.stories import archived_profiles, group_stories, new_profiles
from pipeline.sources.files import read_entry
from pipeline.search import search
from pipeline.settings import Settings
from pipeline.store import ArchivePaths, archive_lock, connect, ensure_archive, refresh_rollups, scan, write_table
from pipeline.web.db import Connections
from pipeline.web.feeds import FEEDS, feed_bytes
from schemas.tables import TABLES

BENCH_OUT = Path("bench-out")  # kept between benchmarks: the corpus is built once per size


class PeakMemory:
    """The peak of the summed RSS of this process and its children (the worker
    processes), sampled every 0.2 s while the block runs."""

    def __init__(self, interval_s: float = 0.2):
        self.interval_s, self.peak_mb = interval_s, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass  # a child that ended meanwhile
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class RunFigures:
    pages: int
    wall_s: float
    stage_cpu_s: dict[str, float]
    peak_mb: float

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s

    @property
    def ideal_pages_per_s(self) -> float:
        """Cores over the summed stage costs per page read, as measured in this run. A
        stage's cost is its CPU time: its wall time also holds the moments its process
        waited for a core while the run's own process worked beside the workers, which made
        the ideal lower than what the run itself did (23.0 against 22.4 pages/s)."""
        return (os.cpu_count() or 1) * self.pages / sum(self.stage_cpu_s.values())


def bench_run(pages: Path, archive: Path, entities: bool, workers: int, fast: bool = False) -> RunFigures:
    """One run (and its reprocess of stale articles) into a new archive; every stage's cost
    summed over the processes that ran it. `fast`: with --fast-extraction."""
    settings = Settings(archive=archive, entities=entities, workers=workers, fast_extraction=fast)
    with PeakMemory() as memory:
        start = time.perf_counter()
        summary = run_plain(settings, [str(pages)])
        wall = time.perf_counter() - start
    with connect(archive) as con:
        stages = con.sql("""SELECT stage, sum(pages_in), sum(seconds), sum(cpu_seconds), max(processes) FROM run_stages
                            GROUP BY stage ORDER BY sum(cpu_seconds) DESC""").fetchall()
    figures = RunFigures(summary.pages_read, wall, {s: cpu for s, _, _, cpu, _ in stages}, memory.peak_mb)
    print(f"\n## Run on {summary.pages_read:,} pages (entities {'on' if entities else 'off'}, "
          f"{'fast extraction, ' if fast else ''}"
          f"{workers} worker process{'es' if workers > 1 else ''}, {os.cpu_count()} cores)")
    print(f"{'stage':<12}{'pages':>8}{'ms/page':>10}{'pages/s':>10}{'wall ms':>10}{'processes':>11}")
    for stage, pages_in, seconds, cpu, processes in stages:
        print(f"{stage:<12}{pages_in:>8}{1000 * cpu / max(pages_in, 1):>10.2f}{pages_in / cpu if cpu else 0:>10.1f}"
              f"{1000 * seconds / max(pages_in, 1):>10.2f}{processes or 0:>11}")
    walls = sum(seconds for _, _, seconds, _, _ in stages)
    print(f"sum of stage costs (CPU time): {1000 * sum(figures.stage_cpu_s.values()) / figures.pages:.1f} ms per page "
          f"read ({1000 * walls / figures.pages:.1f} in wall time); "
          f"ideal on {os.cpu_count()} cores: {figures.ideal_pages_per_s:.1f} pages/s")
    print(f"end to end: {figures.pages_per_s:.1f} pages/s ({wall:.1f} s wall, worker start-up included); "
          f"archived {summary.articles_archived:,}, duplicates {summary.duplicates:,}, rejected {summary.rejected} "
          f"{summary.rejects_by_reason}")
    print(f"peak memory (RSS of the run and its workers): {memory.peak_mb:,.0f} MB")
    return figures


def bench_memory(smaller: RunFigures, pages: Path, workdir: Path, size: int) -> None:
    """Peak memory of a run `size` pages long against that of the shorter run (both with
    entities off): a run works in parts of Settings.run_pages, so it should not grow."""
    corpus = BENCH_OUT / f"corpus-{size}"
    print(f"\ncorpus: {size:,} pages in {corpus}")
    build_corpus(pages, corpus, size)
    larger = bench_run(corpus, workdir / f"run-{size}", entities=False, workers=Settings().workers)
    print(f"peak memory at {larger.pages:,} pages / at {smaller.pages:,}: {larger.peak_mb / smaller.peak_mb:.2f}x "
          f"({larger.peak_mb:,.0f} MB / {smaller.peak_mb:,.0f} MB)")


DASK_WARM_UP = 64


def bench_dask(files: list[Path], workdir: Path, warm_up: int = DASK_WARM_UP, rounds: int = 3) -> float:
    """The same pages through one Dask worker, then two (single-threaded `dask worker`
    processes on this machine; the run's own process and the scheduler share its cores).
    A cluster outlives its runs, so each is first warmed up by a run of other pages (its
    workers load spaCy, trafilatura and htmldate's date parser once), as a nightly run finds
    it. This machine's speed varies by a quarter from one minute to the next, so the two
    sizes take turns, `rounds` runs each, and each keeps its fastest. Only the cluster being
    measured is up: an idle one's scheduler, nannies and workers take 0.06 to 0.09 of a core
    (measured), which a two-worker run on two cores would lose."""
    pages, warm = workdir / "dask-pages", workdir / "dask-warm-up"
    for folder, chosen in ((pages, files[warm_up:]), (warm, files[:warm_up])):
        folder.mkdir()
        for f in chosen:
            (folder / f.name).symlink_to(f.resolve())
    print(f"\n## Dask: {len(files) - warm_up:,} pages (entities on), workers on this machine's {os.cpu_count()} cores, "
          f"each cluster warmed up by a run of {warm_up} other pages, then {rounds} runs each, in turns")
    speeds: dict[int, list[float]] = {1: [], 2: []}
    for n in range(rounds):
        for workers in speeds:
            with local_cluster(workers, workdir / f"dask-{workers}-{n}-logs") as address:
                run_plain(Settings(archive=workdir / f"dask-{workers}-{n}-warm-up", runner="dask", dask_address=address),
                          [str(warm)])
                start = time.perf_counter()
                run_plain(Settings(archive=workdir / f"dask-{workers}-{n}", runner="dask", dask_address=address),
                          [str(pages)])
                speeds[workers].append((len(files) - warm_up) / (time.perf_counter() - start))
                close_all()  # the cluster's client, before its scheduler stops
    for workers, runs in speeds.items():
        print(f"{workers} worker{'s' if workers > 1 else ''}: {max(runs):.1f} pages/s "
              f"(runs: {', '.join(f'{r:.1f}' for r in runs)})")
    print(f"two workers / one: {max(speeds[2]) / max(speeds[1]):.2f}x (each run against the one-worker run just "
          f"before it: {', '.join(f'{two / one:.2f}' for one, two in zip(speeds[1], speeds[2]))})")
    bench_core_scaling(files[warm_up:warm_up + 200], files[:warm_up])
    return max(speeds[2]) / max(speeds[1])


_together: multiprocessing.synchronize.Barrier | None = None


def _set_barrier(barrier) -> None:
    global _together
    _together = barrier


def _worker_stages(files: list[Path], warm_up: list[Path], wait: bool, entities: bool) -> float:
    """Seconds for decode, extract and every tagger over the pages, in this process, once
    warmed up by other pages (models loaded, dateparser's locales set up); with `wait`,
    started only once the other process is ready too."""
    settings = Settings(entities=entities)
    docs, _ = extract_pages([read_entry({"path": str(f)}, max_bytes=settings.max_page_bytes) for f in warm_up],
                            StageStats())
    tag_documents(docs, settings, StageStats())
    raws = [read_entry({"path": str(f)}, max_bytes=settings.max_page_bytes) for f in files]
    if wait:
        _together.wait()
    start = time.perf_counter()
    docs, _ = extract_pages(raws, StageStats(), InProcess(), settings.chunk_pages)
    tag_documents(docs, settings, StageStats())
    return time.perf_counter() - start


def bench_core_scaling(files: list[Path], warm_up: list[Path], entities: bool = True) -> float:
    """What two cores give on this work with nothing else running: the same pages in one
    process alone, then in two processes at once (no run, no cluster). Their pages per
    second together are what a run's worker stages could do at best here."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context, initializer=_set_barrier, initargs=(context.Barrier(2),)) as pool:
        alone = pool.submit(_worker_stages, files, warm_up, False, entities).result()
        together = max(pool.map(_worker_stages, [files] * 2, [warm_up] * 2, [True] * 2, [entities] * 2))
    scaling = 2 * alone / together
    print(f"two processes at once / one alone, the worker stages (entities {'on' if entities else 'off'}) on the "
          f"same {len(files)} pages: {scaling:.2f}x ({alone:.1f} s alone, {together:.1f} s together: "
          f"{2 * len(files) / together:.1f} pages/s, the most a run's worker stages could do here)")
    return scaling


def bench_naive(pages: list[Path], workdir: Path) -> float:
    seconds = naive_run(pages, workdir / "naive.parquet")
    print(f"\n## Naive baseline (bench/naive.py: one process, one page at a time) on the first {len(pages):,} pages")
    print(f"{len(pages) / seconds:.1f} pages/s ({seconds:.1f} s)")
    return len(pages) / seconds


# Tag tables copied with each variant of an article, so that reports and feeds have real tags to read.
TAG_TABLES = ("article_dates", "article_outlets", "article_languages", "mentions", "story_members")


def variant_tags(source: Path, base_ids: list[str], new_ids: list[str], day_shift: list[int],
                 rounds: list[int]) -> dict[str, pa.Table]:
    """The source articles' tag rows for their variants: ids replaced, publication dates
    shifted by `day_shift` days (so the variants spread over many days), and the variants
    of one round of copies grouped into stories as their source articles are."""
    con = duckdb.connect()
    con.register("variants", pa.table({"article_id": base_ids, "new_id": new_ids, "shift": day_shift,
                                       "round": rounds}))
    tables = {}
    for name in TAG_TABLES:
        t = TABLES[name]
        select = ", ".join(
            "v.new_id AS article_id" if c == "article_id"
            else "published_date + v.shift::INTEGER AS published_date" if c == "published_date"
            else "x.story_id || '~' || v.round AS story_id" if c == "story_id"
            else f"x.{c}" for c in t.column_names)
        tables[name] = con.execute(f"""
            SELECT {select} FROM {ArchivePaths(source).parquet(name)} x JOIN variants v USING (article_id)
        """).to_arrow_table().cast(t.schema)
    return tables


def synthetic_archive(source: Path, target: Path, articles: int, runs: int, seed: int = 1, days: int = 365,
                      first_day: int = 0, first_run: int = 0) -> float:
    """`articles` variants of the source archive's real texts (paragraphs shuffled, one
    borrowed from another article) with their tags (dates spread over `days` from
    `first_day` after their source's), appended as `runs` run folders like nightly runs
    (numbered from `first_run`). Returns the seconds spent indexing."""
    rng = random.Random(seed)
    base = scan(ArchivePaths(source), "documents").to_arrow_table()
    texts = [t.split("\n\n") for t in base["text"].to_pylist()]
    paths = ArchivePaths(target)
    with archive_lock(paths, "bench"):
        ensure_archive(paths)
    indexing = 0.0
    per_run = articles // runs
    for r in range(first_run, first_run + runs):
        rows_index = range((r - first_run) * per_run, (r - first_run + 1) * per_run)
        rows = [i % len(texts) for i in rows_index]
        docs = base.take(pa.array(rows))
        new_texts = []
        for i in rows:
            paragraphs = texts[i][:]
            rng.shuffle(paragraphs)
            paragraphs.append(rng.choice(texts[rng.randrange(len(texts))]))
            new_texts.append("\n\n".join(paragraphs))
        ids = [f"bench{r:03d}{n:07d}" for n in range(per_run)]
        docs = docs.set_column(docs.schema.get_field_index("text"), "text", pa.array(new_texts))
        docs = docs.set_column(docs.schema.get_field_index("article_id"), "article_id", pa.array(ids))
        start = time.perf_counter()
        postings, lengths = build_postings(docs)
        indexing += time.perf_counter() - start
        folder = paths.data / f"29990101T{r:06d}Z-bench"
        write_table(folder, TABLES["documents"], docs)
        write_table(folder, TABLES["postings"], postings)
        write_table(folder, TABLES["search_docs"], lengths)
        base_ids = [base["article_id"][i].as_py() for i in rows]
        shifts, rounds = [first_day + rng.randrange(days) for _ in ids], [i // len(texts) for i in rows_index]
        for name, table in variant_tags(source, base_ids, ids, shifts, rounds).items():
            write_table(folder, TABLES[name], table)
    return indexing


def dedup_archive(source: Path, target: Path, articles: int, real: int) -> None:
    """An archive of `articles` articles in 10 runs whose dedup keys are distinct: the
    first `real` keep their real text and signature, the rest get random signatures
    (what distinct texts have: band keys that match nothing)."""
    rng = np.random.default_rng(3)
    base = scan(ArchivePaths(source), "documents").to_arrow_table()
    paths = ArchivePaths(target)
    with archive_lock(paths, "bench"):
        ensure_archive(paths)
    per_run = articles // 10
    for r in range(10):
        rows = pa.array([i % base.num_rows for i in range(r * per_run, (r + 1) * per_run)])
        docs = base.take(rows)
        ids = [base["article_id"][i].as_py() if r * per_run + n < real else f"dedup{r:02d}{n:07d}"
               for n, i in enumerate(rows.to_pylist())]
        for column, values in (("article_id", ids), ("canonical_url", [f"https://x.example/{i}" for i in ids]),
                               ("content_hash", [f"h{i}" for i in ids]), ("raw_hash", [f"r{i}" for i in ids])):
            docs = docs.set_column(docs.schema.get_field_index(column), column, pa.array(values))
        signed = [Signed(i, rng.integers(0, 2**32, NUM_PERM, dtype=np.uint32), 400) for i in ids]
        n_real = max(0, min(per_run, real - r * per_run))
        signed[:n_real] = sign(ids[:n_real], docs["text"].to_pylist()[:n_real])
        folder = paths.data / f"29990101T{r:06d}Z-dedup"
        write_table(folder, TABLES["documents"], docs)
        sigs, bands = index_tables(signed)
        write_table(folder, TABLES["neardup_signatures"], sigs)
        write_table(folder, TABLES["neardup_bands"], bands)


def bench_dedup(source: Path, workdir: Path, new_pages: int = 1000) -> None:
    """Time to deduplicate `new_pages` new pages (half edited copies of archived articles)
    against archives of 10,000 and 100,000 articles."""
    base = scan(ArchivePaths(source), "documents", "article_id, text").fetchall()
    real = len(base) // 2
    rng = random.Random(5)
    batch = []
    for n in range(new_pages):
        if n % 2 == 0:  # an edited copy: a paragraph dropped, one from another article added
            paragraphs = base[(n // 2) % real][1].split("\n\n")
            paragraphs = paragraphs[:-1] + [rng.choice(base)[1].split("\n\n")[0]]
            batch.append((f"new{n}", "\n\n".join(paragraphs)))
        else:
            batch.append((f"new{n}", base[real + (n // 2) % (len(base) - real)][1]))
    print(f"\n## Deduplicating {new_pages} new pages (half of them edited copies of archived articles)")
    timings = {}
    for size in (10_000, 100_000):
        target = workdir / f"dedup-{size}"
        dedup_archive(source, target, size, real)
        start = time.perf_counter()
        rows = [{"article_id": a, "canonical_url": f"https://new.example/{a}", "content_hash": f"n{a}",
                 "source_ref": a, "url": None, "raw_hash": a, "title": None, "text": t, "word_count": 0,
                 "fetched_at": None} for a, t in batch]
        tables = write_key_files(ArchivePaths(target), workdir / f"dedup-{size}-keys")  # once per run, as a run does
        keys = ArchiveKeys.for_pages(tables, {r["raw_hash"] for r in rows}, {r["source_ref"] for r in rows})
        keys.add_documents(tables, {r["canonical_url"] for r in rows}, {r["content_hash"] for r in rows})
        find_duplicates(rows, keys)
        signed = sign([a for a, _ in batch], [t for _, t in batch])
        candidates = archived_candidates(ArchivePaths(target), {k for s in signed for k in s.keys})
        near, *_ = split_near_duplicates(signed, candidates)
        timings[size] = time.perf_counter() - start
        print(f"archive of {size:,}: {timings[size]:.2f} s ({len(candidates)} archived candidates read, "
              f"{len(near)} near-duplicates found)")
    print(f"100,000 / 10,000: {timings[100_000] / timings[10_000]:.2f}x")


def bench_stories(source: Path, workdir: Path, new_articles: int = 1000) -> None:
    """Time to group `new_articles` articles of a run into stories against an archive of
    10,000 articles around their days, then with 90,000 older ones added, as an archive
    grows night by night."""
    base = ArchivePaths(source)
    ids = pa.table({"article_id": [a for (a,) in scan(base, "documents", "article_id").fetchall()[:new_articles]]})
    con = duckdb.connect()
    con.register("ids", ids)
    run = {name: con.execute(f"SELECT * REPLACE (article_id || '-new' AS article_id) FROM {base.parquet(name)} "
                             f"SEMI JOIN ids USING (article_id)").to_arrow_table()
           for name in ("documents", "article_dates", "mentions")}
    print(f"\n## Grouping {run['documents'].num_rows:,} new articles into stories")
    timings = {}
    for size in (10_000, 100_000):
        target = workdir / f"stories-{size}"
        synthetic_archive(source, target, 10_000, runs=10, days=36)
        if size > 10_000:  # a century before the run's days, out of every new article's window
            synthetic_archive(source, target, size - 10_000, runs=9, seed=2, days=365, first_day=-36_500,
                              first_run=10)
        start = time.perf_counter()
        rows = group_stories(*run.values(), ArchivePaths(target))
        timings[size] = time.perf_counter() - start
        read = archived_profiles(ArchivePaths(target), new_profiles(*run.values()))
        print(f"archive of {size:,}: {timings[size]:.2f} s ({len(read):,} archived articles read, "
              f"{sum(1 for r in rows if r['matched_article_id']):,} joined a story)")
    print(f"100,000 / 10,000: {timings[100_000] / timings[10_000]:.2f}x")


def night_pages(pages: Path, folder: Path, night: int, size: int) -> Path:
    """A night's `size` new pages: copies of the real pages numbered beyond the corpus's."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in sorted(pages.glob("*.html.gz"))[:size]:
        page = vary(gzip.decompress(source.read_bytes()), 900 + night, source.name)
        (folder / source.name).write_bytes(gzip.compress(page, compresslevel=1))
    return folder


def bench_nightly(pages: Path, workdir: Path, size: int = 300) -> None:
    """A nightly job of `size` new pages into the archives of bench_stories (10,000
    articles, and those with 90,000 older ones): its wall time, and the run's own serial
    stages, whose work could grow with the archive. The second night is measured: the
    first makes the archive's first furniture check, as an archive's first job does."""
    print(f"\n## A nightly job of {size} new pages into a larger archive (entities on, second night)")
    walls = {}
    for archive_size in (10_000, 100_000):
        target = workdir / f"nightly-{archive_size}"
        shutil.copytree(workdir / f"stories-{archive_size}", target, symlinks=True, copy_function=os.link)
        settings = Settings(archive=target)
        run_plain(settings, [str(night_pages(pages, workdir / f"night-{archive_size}-1", 1, size))])
        start = time.perf_counter()
        summary = run_plain(settings, [str(night_pages(pages, workdir / f"night-{archive_size}-2", 2, size))])
        walls[archive_size] = time.perf_counter() - start
        with connect(target) as con:
            serial = con.execute("""SELECT stage, round(seconds, 2) FROM run_stages WHERE run_id = ? AND processes = 1
                                    ORDER BY seconds DESC""", [summary.run_id]).fetchall()
        print(f"archive of {archive_size:,}: {walls[archive_size]:.1f} s ({summary.articles_archived} archived); "
              f"serial stages: {', '.join(f'{stage} {seconds} s' for stage, seconds in serial)}")
    print(f"100,000 / 10,000: {walls[100_000] / walls[10_000]:.2f}x")


def bench_search(source: Path, workdir: Path, articles: int, queries: int) -> None:
    target = workdir / f"search-{articles}"
    indexing = synthetic_archive(source, target, articles, runs=10)
    start = time.perf_counter()
    with archive_lock(ArchivePaths(target), "bench"):
        refresh_rollups(ArchivePaths(target))  # as the run that publishes a state does
    rolled = time.perf_counter() - start
    with connect(target) as con:
        n = con.sql("SELECT count(*) FROM search_docs").fetchone()[0]
        vocabulary = [t for (t,) in con.sql(
            "SELECT term FROM postings GROUP BY term HAVING count(*) BETWEEN 50 AND 20000 "
            "AND length(term) > 3 ORDER BY term"
        ).fetchall()]
        rng = random.Random(7)
        qs = [" ".join(rng.sample(vocabulary, rng.choice((1, 2, 2, 3)))) for _ in range(queries)]
        search(con, qs[0])  # warm the file metadata cache, as a long-running server would be
        latencies = []
        for q in qs:
            start = time.perf_counter()
            search(con, q, limit=10)
            latencies.append(1000 * (time.perf_counter() - start))
    latencies.sort()
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    print(f"\n## Search at {n:,} articles (BM25 over postings, 10 appended run files)")
    print(f"indexing: {indexing:.1f} s for {n:,} articles ({1000 * indexing / n:.2f} ms/article); "
          f"rolling up the reporting views: {rolled:.1f} s")
    print(f"{queries} queries of 1-3 terms, top 10 with snippets: "
          f"p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms")
    bench_feeds(target, n)


def bench_feeds(archive: Path, articles: int, repeats: int = 5) -> None:
    """Each dashboard feed as its URL serves it: a pinned cursor of the app's open
    catalog (pipeline/web/db.py), then the query written as JSON."""
    print(f"\n## Dashboard feeds at {articles:,} articles (pinned cursor + query as JSON, median of {repeats})")
    connections = Connections(archive)
    for name in FEEDS:
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            cursor = connections.cursor()
            body = feed_bytes(cursor, name, "json")
            cursor.close()
            timings.append(1000 * (time.perf_counter() - start))
        print(f"{name:<20}{statistics.median(timings):>8.0f} ms  ({len(json.loads(body)):,} rows)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=10_000, help="pages of the run benchmark (real pages and varied copies)")
    parser.add_argument("--naive-pages", type=int, default=1_000, help="pages of the naive baseline (the run's first)")
    parser.add_argument("--articles", type=int, default=100_000, help="archive size for the search benchmark")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--view-rows", type=int, default=1_000_000, help="article rows for the reporting views (0: skip)")
    parser.add_argument("--dask-pages", type=int, default=1_500,
                        help="pages of the Dask benchmark, enough that a run's own start and finish, which no "
                             "worker shares, weigh as in a nightly run (0: skip it)")
    parser.add_argument("--skip-no-entities", action="store_true", help="skip the run with entities off")
    parser.add_argument("--memory-pages", type=int, default=0,
                        help="also run this many pages with entities off (100000 for the scaling figure, about "
                             "an hour and a half) and compare peak memory with the entities-off run of --pages")
    parser.add_argument("--texts-from", type=Path,
                        help="skip the run benchmarks; take the search benchmark's texts from this archive")
    args = parser.parse_args()
    pages = Settings().eval_dir / "pages"
    if not pages.is_dir() and not args.texts_from:
        print(f"bench: no real pages at {pages} (set NEWSARCHIVE_EVAL_DIR or EVAL_DIR=...); nothing measured")
        return 0
    with tempfile.TemporaryDirectory(prefix="newsarchive-bench-") as tmp:
        workdir = Path(tmp)
        source = args.texts_from
        if source is None:
            corpus = BENCH_OUT / f"corpus-{args.pages}"
            print(f"corpus: {args.pages:,} pages in {corpus} (real pages, then varied copies: bench/corpus.py)")
            files = build_corpus(pages, corpus, args.pages)
            source = workdir / "run"
            ours = bench_run(corpus, source, entities=True, workers=Settings().workers)
            naive = bench_naive(files[:args.naive_pages], workdir)
            if not args.skip_no_entities or args.memory_pages:
                no_entities = bench_run(corpus, workdir / "run-no-entities", entities=False, workers=Settings().workers)
                # 500 pages spread over the corpus, real pages and copies alike, as the run had them
                spread = files[DASK_WARM_UP::max(1, (len(files) - DASK_WARM_UP) // 500)][:500]
                bench_core_scaling(spread, files[:DASK_WARM_UP], entities=False)
                bench_run(corpus, workdir / "run-fast", entities=False, workers=Settings().workers, fast=True)
            if args.memory_pages:
                bench_memory(no_entities, pages, workdir, args.memory_pages)
            if args.dask_pages:
                bench_dask(files[:args.dask_pages + DASK_WARM_UP], workdir)
        bench_search(source, workdir, args.articles, args.queries)
        if args.view_rows:
            bench_views(source, workdir, args.view_rows)
        bench_dedup(source, workdir)
        bench_stories(source, workdir)
        if pages.is_dir():
            bench_nightly(pages, workdir)
        if args.texts_from is None:
            print(f"\nend-to-end / ideal: {ours.pages_per_s / ours.ideal_pages_per_s:.2f}")
            print(f"speed-up over naive: {ours.pages_per_s / naive:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
