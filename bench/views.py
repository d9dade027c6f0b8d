"""The reporting views and dashboard feeds over an archive of 1,000,000 article rows:
the source archive's articles and their tags copied with new ids into run folders of
100,000 (publication days spread over a year, a copy round's stories grouped as their
originals). The copies keep the first 200 characters of their text: no view here reads
more, and a million whole texts would only cost disk."""

from __future__ import annotations

import posixpath
import statistics
import time
from pathlib import Path

import duckdb

from pipeline.search import hit_rows
from pipeline.store import ArchivePaths, archive_lock, connect, ensure_archive, refresh_rollups, write_table
from schemas.tables import TABLES

COPIED = ("documents", "article_dates", "article_outlets", "article_languages", "mentions", "story_members")
QUERIES = {
    "daily_volume_by_outlet": "SELECT * FROM daily_volume_by_outlet",
    "top_entities_by_day (top 5)": "SELECT * FROM top_entities_by_day WHERE rank <= 5",
    "stories (largest 20)": "SELECT * FROM stories ORDER BY articles DESC, outlet_count DESC LIMIT 20",
    "entity_aliases": "SELECT * FROM entity_aliases",
    "run_health": "SELECT * FROM run_health",
    "ad hoc: one outlet and month (articles view)": """
        SELECT count(*), sum(word_count) FROM articles
        WHERE outlet = (SELECT any_value(outlet) FROM article_outlets) AND published_date >= DATE '2024-03-01'
          AND published_date < DATE '2024-04-01'""",
}


def copy_value(table: str, column: str) -> str:
    if column == "article_id":
        return "v.new_id AS article_id"
    if column == "published_date":
        return "DATE '2024-01-01' + v.shift AS published_date"
    if column == "story_id":
        return "x.story_id || '~' || v.round AS story_id"
    if table == "documents" and column == "text":
        return "left(x.text, 200) AS text"
    return f"x.{column}"


def large_archive(source: Path, target: Path, rows: int, per_folder: int = 100_000) -> None:
    paths = ArchivePaths(target)
    with archive_lock(paths, "bench"):
        ensure_archive(paths)
    con = duckdb.connect()
    base = [r for (r,) in con.sql(f"SELECT article_id FROM {ArchivePaths(source).parquet('documents')} "
                                  "ORDER BY article_id").fetchall()]
    con.execute("CREATE TABLE base AS SELECT unnest($ids) AS article_id, generate_subscripts($ids, 1) - 1 AS i",
                {"ids": base})
    for folder_index in range(rows // per_folder):
        first = folder_index * per_folder
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE variants AS
            SELECT b.article_id, printf('view%07d', n) AS new_id, (hash(n) % 365)::INTEGER AS shift,
                   n // {len(base)} AS round
            FROM range({first}, {first + per_folder}) r(n) JOIN base b ON b.i = n % {len(base)}""")
        folder = paths.data / f"29990102T{folder_index:06d}Z-views"
        for name in COPIED:
            columns = ", ".join(copy_value(name, c) for c in TABLES[name].column_names)
            table = con.sql(f"SELECT {columns} FROM {ArchivePaths(source).parquet(name)} x "
                            "JOIN variants v USING (article_id)").to_arrow_table()
            write_table(folder, TABLES[name], table.cast(TABLES[name].schema))


def bench_views(source: Path, workdir: Path, rows: int, repeats: int = 5) -> None:
    target = workdir / f"views-{rows}"
    large_archive(source, target, rows)
    start = time.perf_counter()
    paths = ArchivePaths(target)
    with archive_lock(paths, "bench"):
        refresh_rollups(paths)
    rolled = time.perf_counter() - start
    with connect(target) as con:
        n = con.sql("SELECT count(*) FROM documents").fetchone()[0]
        print(f"\n## Reporting views at {n:,} article rows (median of {repeats}, one open connection, as a "
              f"dashboard keeps); rolling them up took {rolled:.1f} s, what the run that makes this state pays")
        for label, sql in QUERIES.items():
            con.execute(sql).to_arrow_table()  # footers cached, as in a long-lived connection
            timings = []
            for _ in range(repeats):
                t = time.perf_counter()
                result = con.execute(sql).to_arrow_table()  # as a dashboard connector takes it (Arrow)
                timings.append(1000 * (time.perf_counter() - t))
            print(f"{label:<36}{statistics.median(timings):>8.0f} ms  ({result.num_rows:,} rows)")
        # ten hits spread over the archive, as a query's are (a sample's ids can sit in one run's file)
        hits = [(i, posixpath.dirname(f)) for i, f in con.sql(
            "SELECT article_id, filename FROM read_parquet(getvariable('na_files_documents'), filename = true) "
            "ORDER BY hash(article_id) LIMIT 10").fetchall()]
        hit_rows(con, hits)
        timings = []
        for _ in range(repeats):
            t = time.perf_counter()
            found = hit_rows(con, hits)
            timings.append(1000 * (time.perf_counter() - t))
        print(f"{'search: a page of 10 hits looked up':<36}{statistics.median(timings):>8.0f} ms  ({len(found)} rows; "
              "texts cut to 200 characters here)")
