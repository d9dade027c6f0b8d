"""`make bench`: speed and memory of a real run on real pages, and search and dashboard
feed latency at 100,000 archived articles. Figures, not assertions: tests never time anything."""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pipeline.dedup import ArchiveKeys, find_duplicates
from pipeline.job import run_plain
from pipeline.neardup import NUM_PERM, Signed, archived_candidates, index_tables, sign, split_near_duplicates
from pipeline.stages import build_postings
from pipeline.search import search
from pipeline.settings import Settings
from pipeline.store import ArchivePaths, archive_lock, connect, ensure_archive, scan, write_table
from pipeline.web.feeds import FEEDS, feed_rows
from schemas.tables import TABLES


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_run(pages: Path, archive: Path, entities: bool) -> None:
    settings = Settings(archive=archive, entities=entities)
    start = time.perf_counter()
    summary = run_plain(settings, [str(pages)])
    wall = time.perf_counter() - start
    with connect(archive) as con:
        stages = con.sql("SELECT stage, pages_in, seconds FROM run_stages WHERE run_id = ? ORDER BY seconds DESC",
                         params=[summary.run_id]).fetchall()
    print(f"\n## Run on {summary.pages_read} real pages (entities {'on' if entities else 'off'}, one process)")
    print(f"{'stage':<10}{'pages':>8}{'ms/page':>10}{'pages/s':>10}")
    for stage, pages_in, seconds in stages:
        per_page = 1000 * seconds / max(pages_in, 1)
        print(f"{stage:<10}{pages_in:>8}{per_page:>10.2f}{pages_in / seconds if seconds else 0:>10.1f}")
    print(f"end to end: {summary.pages_read / wall:.1f} pages/s ({wall:.1f} s wall, including start-up); "
          f"archived {summary.articles_archived}, duplicates {summary.duplicates}, rejected {summary.rejected} "
          f"{summary.rejects_by_reason}")
    print(f"peak memory (RSS, this process so far): {peak_rss_mb():.0f} MB")


# Tag tables copied with each variant of an article, so that reports and feeds have real tags to read.
TAG_TABLES = ("article_dates", "article_outlets", "article_languages", "mentions")


def variant_tags(source: Path, base_ids: list[str], new_ids: list[str], day_shift: list[int]) -> dict[str, pa.Table]:
    """The source articles' tag rows for their variants: ids replaced, publication dates
    shifted by `day_shift` days (so the variants spread over many days)."""
    con = duckdb.connect()
    con.register("variants", pa.table({"article_id": base_ids, "new_id": new_ids, "shift": day_shift}))
    tables = {}
    for name in TAG_TABLES:
        t = TABLES[name]
        select = ", ".join(
            "v.new_id AS article_id" if c == "article_id"
            else "published_date + v.shift::INTEGER AS published_date" if c == "published_date"
            else f"x.{c}" for c in t.column_names)
        tables[name] = con.execute(f"""
            SELECT {select} FROM {ArchivePaths(source).parquet(name)} x JOIN variants v USING (article_id)
        """).fetch_arrow_table().cast(t.schema)
    return tables


def synthetic_archive(source: Path, target: Path, articles: int, runs: int, seed: int = 1) -> float:
    """`articles` variants of the source archive's real texts (paragraphs shuffled, one
    borrowed from another article) with their tags (dates spread over a year), appended
    as `runs` run folders like nightly runs. Returns the seconds spent indexing."""
    rng = random.Random(seed)
    base = scan(ArchivePaths(source), "documents").to_arrow_table()
    texts = [t.split("\n\n") for t in base["text"].to_pylist()]
    paths = ArchivePaths(target)
    with archive_lock(paths, "bench"):
        ensure_archive(paths)
    indexing = 0.0
    per_run = articles // runs
    for r in range(runs):
        rows = [i % len(texts) for i in range(r * per_run, (r + 1) * per_run)]
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
        for name, table in variant_tags(source, base_ids, ids, [rng.randrange(365) for _ in ids]).items():
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
        keys = ArchiveKeys.for_pages(ArchivePaths(target), {r["raw_hash"] for r in rows}, {r["source_ref"] for r in rows})
        keys.add_documents(ArchivePaths(target), {r["canonical_url"] for r in rows}, {r["content_hash"] for r in rows})
        find_duplicates(rows, keys)
        signed = sign([a for a, _ in batch], [t for _, t in batch])
        candidates = archived_candidates(ArchivePaths(target), {k for s in signed for k in s.keys})
        near, *_ = split_near_duplicates(signed, candidates)
        timings[size] = time.perf_counter() - start
        print(f"archive of {size:,}: {timings[size]:.2f} s ({len(candidates)} archived candidates read, "
              f"{len(near)} near-duplicates found)")
    print(f"100,000 / 10,000: {timings[100_000] / timings[10_000]:.2f}x")


def bench_search(source: Path, workdir: Path, articles: int, queries: int) -> None:
    target = workdir / f"search-{articles}"
    indexing = synthetic_archive(source, target, articles, runs=10)
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
    print(f"indexing: {indexing:.1f} s for {n:,} articles ({1000 * indexing / n:.2f} ms/article)")
    print(f"{queries} queries of 1-3 terms, top 10 with snippets: "
          f"p50 {statistics.median(latencies):.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms")
    bench_feeds(target, n)


def bench_feeds(archive: Path, articles: int, repeats: int = 5) -> None:
    """Each dashboard feed as a request makes it: a new pinned connection, then the query."""
    print(f"\n## Dashboard feeds at {articles:,} articles (new connection + query, median of {repeats})")
    for name in FEEDS:
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            with connect(archive) as con:
                _, rows = feed_rows(con, name)
            timings.append(1000 * (time.perf_counter() - start))
        print(f"{name:<20}{statistics.median(timings):>8.0f} ms  ({len(rows):,} rows)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000, help="archive size for the search benchmark")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--no-entities", action="store_true")
    parser.add_argument("--texts-from", type=Path,
                        help="skip the run benchmark; take the search benchmark's texts from this archive")
    args = parser.parse_args()
    pages = Settings().eval_dir / "pages"
    if not pages.is_dir() and not args.texts_from:
        print(f"bench: no real pages at {pages} (set NEWSARCHIVE_EVAL_DIR or EVAL_DIR=...); nothing measured")
        return 0
    with tempfile.TemporaryDirectory(prefix="newsarchive-bench-") as tmp:
        workdir = Path(tmp)
        source = args.texts_from
        if source is None:
            source = workdir / "run"
            bench_run(pages, source, entities=not args.no_entities)
        bench_search(source, workdir, args.articles, args.queries)
        bench_dedup(source, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
