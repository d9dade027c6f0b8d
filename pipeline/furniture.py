"""Site furniture learned from the archive itself.

Rules catch furniture every site shares; each outlet also has its own (section
navigation, its appeal, its footer) that no rule can know. Such a line recurs verbatim
across that outlet's articles, which its body text does not. Each run counts, per
outlet, the articles whose text contains each line (table `furniture_lines`); a line in
at least `furniture_min_articles` articles and in `furniture_min_share` of the
outlet's articles is learned (macro `learned_furniture`, which users can query too) and
stripped from that outlet's pages. Counts are taken before stripping, so a learned line
stays learned as the outlet's archive grows.

A job then looks for archived articles that still hold a learned line (`stale_articles`)
and reprocesses them. Each article is looked for the lines learned since the archive's
last complete check (`checked_lines`), and the articles archived since then for every
line: reading every archived text for every line took 8.9 s a job at 100,000 articles.
A job's check stays pending under its run id until its reprocess has returned; only then
does it become the archive's, and never over a later job's (checks are ordered by the
time they were made: run ids of one second do not sort in order). A job that dies before that leaves the last complete check in place, so the
next job checks its lines again. A reprocess strips only the lines learned when it runs
and keeps an article's run id, so it puts any other line back into old articles: it
drops such lines from the checks (`forget_unlearned`). An article the reprocess cannot
rewrite (no raw page kept, a page that no longer extracts) keeps its lines, counted in
the reprocess's `kept`, and is not retried every night. Losing the file costs one full
check, never a stale article.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.identity import article_id, content_hash
from pipeline.records import Document
from pipeline.store import ArchivePaths, sql_list, sql_string
from schemas import SCHEMAS_DIR

LEARNED_SQL = SCHEMAS_DIR / "views" / "40_learned_furniture.sql"
CHECKED = "furniture_checked.parquet"
# The snapshot's memory, whatever the archive's size (it sums every line of every run).
SNAPSHOT_MEMORY = "1GB"
log = logging.getLogger("newsarchive")
Lines = dict[str, dict[str, str]]  # outlet -> line key -> line


def line_key(line: str) -> str:
    normal = " ".join(line.casefold().split())
    return hashlib.sha256(normal.encode()).hexdigest()[:16]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def count_lines(docs: list[Document], outlets: list[str | None]) -> tuple[list[dict], list[dict]]:
    """Rows for `furniture_lines` (articles per outlet and line) and the articles counted,
    as (article_id, outlet) rows; an article is counted once however many copies or
    versions of it come."""
    counts: Counter[tuple[str, str]] = Counter()
    samples: dict[tuple[str, str], str] = {}
    counted, seen = [], set()
    for doc, outlet in zip(docs, outlets):
        if not outlet or doc.content_hash in seen or doc.article_id in seen:
            continue
        seen |= {doc.content_hash, doc.article_id}
        counted.append({"article_id": doc.article_id, "outlet": outlet})
        for line in set(_lines(doc.text)):
            key = (outlet, line_key(line))
            counts[key] += 1
            samples.setdefault(key, line)
    rows = [{"outlet": o, "line_key": k, "line": samples[(o, k)], "articles": n} for (o, k), n in counts.items()]
    return rows, counted


def run_lines(shards: pa.Table) -> pa.Table:
    """The shards' `furniture_lines` of one run as the run's: one row per outlet and line,
    its articles summed, its text as the first shard saw it."""
    if shards.num_rows == 0:
        return shards
    summed = shards.group_by(["outlet", "line_key", "run_id"], use_threads=False).aggregate(
        [("line", "first"), ("articles", "sum")])
    return summed.rename_columns(["outlet", "line_key", "run_id", "line", "articles"]).select(shards.column_names)


def _files(paths: ArchivePaths, table: str, staged: list[Path]) -> list[str]:
    return [paths.glob(table), *_staged(table, staged)]


def _staged(table: str, staged: list[Path]) -> list[str]:
    return [str(folder / f"{table}.parquet") for folder in staged if (folder / f"{table}.parquet").exists()]


def write_snapshot(paths: ArchivePaths, path: Path) -> Path:
    """The archive's `furniture_lines` summed per outlet and line, once per run: its shards
    then learn from this one file, not by summing every run's rows again (at 94,000
    articles that took 1 s a shard). The line's text is kept only where it is in two
    articles or more: a line in one needs the run's own rows, which carry its text, to be
    learned (furniture_min_articles is at least 2). Nearly every line is some article's
    own paragraph, so the counts are summed first and the texts read for the few repeated
    lines after: at 1,000,000 articles (21 million rows) summing texts and run ids with the
    counts took 14 s and 6.3 GB, this 12 s within SNAPSHOT_MEMORY (DuckDB spills the rest
    to a temporary folder). The run is not kept: learning does not need it, and users read
    `learned_furniture()`'s first run from the archive's own table."""
    tmp = path.with_suffix(".tmp")
    lines = paths.parquet("furniture_lines")
    sql = f"""
        COPY (
            WITH counts AS (
                SELECT outlet, line_key, sum(articles)::BIGINT AS articles FROM {lines} GROUP BY ALL
            ),
            repeated AS (
                SELECT outlet, line_key, any_value(line) AS line
                FROM {lines} SEMI JOIN (SELECT outlet, line_key FROM counts WHERE articles >= 2) USING (outlet, line_key)
                GROUP BY ALL
            )
            SELECT c.outlet, c.line_key, r.line, c.articles, NULL::VARCHAR AS run_id
            FROM counts c LEFT JOIN repeated r USING (outlet, line_key)
        ) TO {sql_string(str(tmp))} (FORMAT parquet)
    """
    # Spilled beside the snapshot, in the run's folder: the system's temporary folder is
    # often memory itself, or small.
    with tempfile.TemporaryDirectory(prefix=".spill-", dir=path.parent) as spill, duckdb.connect() as con:
        con.execute(f"SET temp_directory = {sql_string(spill)}; SET preserve_insertion_order = false")
        default = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        try:
            con.execute(f"SET memory_limit = '{SNAPSHOT_MEMORY}'")
            con.execute(sql)
        except duckdb.OutOfMemoryException as e:
            # Not every aggregate can spill; a run must not fail every night for it.
            log.warning("the furniture snapshot needs more than %s (%s): summing it within DuckDB's default, %s",
                        SNAPSHOT_MEMORY, str(e).splitlines()[0], default)
            con.execute(f"SET memory_limit = {sql_string(default)}")
            con.execute(sql)
    tmp.rename(path)
    return path


def learned_lines(paths: ArchivePaths, min_articles: int, min_share: float, snapshot: Path | None = None,
                  staged: list[Path] = (), batch_lines: list[dict] = (),
                  batch_articles: list[dict] = ()) -> Lines:
    """Learned lines by outlet (key -> line): from the archive (its `snapshot` when given),
    the run's staged shards, and the batch at hand, through the same macro users query."""
    con = duckdb.connect()
    con.register("batch_lines", pa.Table.from_pylist(
        list(batch_lines), schema=pa.schema([("outlet", pa.string()), ("line_key", pa.string()),
                                             ("line", pa.string()), ("articles", pa.int64())])))
    con.register("batch_articles", pa.Table.from_pylist(
        list(batch_articles), schema=pa.schema([("article_id", pa.string()), ("outlet", pa.string())])))
    run_lines = ["SELECT *, '' AS run_id FROM batch_lines"]
    if run_files := _staged("furniture_lines", staged):
        run_lines.append(f"SELECT outlet, line_key, line, articles, run_id FROM read_parquet({sql_list(run_files)}, union_by_name = true)")
    if snapshot is None:
        archived = f"SELECT outlet, line_key, line, articles, run_id FROM {paths.parquet('furniture_lines')}"
    else:
        # A line in one archived article is learned only if the run has it too.
        archived = f"""SELECT * FROM read_parquet({sql_string(str(snapshot))})
                       WHERE articles >= 2 OR line_key IN (SELECT line_key FROM run_lines)"""
    con.execute(f"""
        CREATE VIEW run_lines AS {" UNION ALL ".join(run_lines)};
        CREATE VIEW furniture_lines AS {archived} UNION ALL SELECT * FROM run_lines;
    """)
    con.execute(f"""
        CREATE VIEW article_outlets AS
        SELECT article_id, outlet FROM read_parquet({sql_list(_files(paths, 'article_outlets', staged))}, union_by_name = true)
        UNION ALL SELECT * FROM batch_articles
    """)
    con.execute(LEARNED_SQL.read_text())
    learned: dict[str, dict[str, str]] = defaultdict(dict)
    for outlet, key, line in con.execute(
        "SELECT outlet, line_key, line FROM learned_furniture(min_articles := ?, min_share := ?)",
        [min_articles, min_share],
    ).fetchall():
        learned[outlet][key] = line
    return dict(learned)


def newly_learned(before: Lines, after: Lines) -> Lines:
    new = {outlet: {k: v for k, v in lines.items() if k not in before.get(outlet, {})} for outlet, lines in after.items()}
    return {outlet: lines for outlet, lines in new.items() if lines}


def stale_articles(paths: ArchivePaths, lines: Lines, check: Check) -> list[str]:
    """Archived articles with a whole line that their outlet's learned furniture includes:
    processed before the line was learned (an earlier run or shard), or left so by a job
    that died before its reprocess returned. The lines of the archive's last complete
    `check` were looked for in every article archived before it, so for them only the
    articles archived since are read."""
    if not lines:
        return []
    con = duckdb.connect()
    con.register("learned", pa.Table.from_pylist(
        [{"outlet": o, "line": " ".join(line.lower().split()), "everywhere": key not in check.lines.get(o, ())}
         for o, by_key in lines.items() for key, line in by_key.items()],
        schema=pa.schema([("outlet", pa.string()), ("line", pa.string()), ("everywhere", pa.bool_())])))
    # Two scans, not one with an OR: the ingested_at filter alone reaches the Parquet reader,
    # which then skips the older files' texts. Lines compared as strip_learned does:
    # whole, case and spacing folded.
    return [aid for (aid,) in con.execute(f"""
        WITH unread AS (
            SELECT d.article_id, o.outlet, d.text
            FROM {paths.parquet('documents')} d JOIN {paths.parquet('article_outlets')} o USING (article_id)
            WHERE o.outlet IN (SELECT outlet FROM learned WHERE everywhere)
            UNION ALL
            SELECT d.article_id, o.outlet, d.text
            FROM {paths.parquet('documents')} d JOIN {paths.parquet('article_outlets')} o USING (article_id)
            WHERE d.ingested_at > $since AND o.outlet IN (SELECT outlet FROM learned WHERE NOT everywhere)
        ),
        lines AS (
            SELECT article_id, outlet, trim(regexp_replace(lower(unnest(string_split(text, chr(10)))), '\\s+', ' ', 'g')) AS line
            FROM unread
        )
        SELECT DISTINCT article_id FROM lines JOIN learned USING (outlet, line) ORDER BY 1
    """, {"since": check.at}).fetchall()]


@dataclass(frozen=True)
class Check:
    """A job's check for learned lines: its run, when it looked (its articles were all
    archived before), and the line keys it looked for, by outlet."""

    run_id: str = ""
    at: datetime = datetime.min.replace(tzinfo=timezone.utc)
    lines: dict[str, set[str]] = field(default_factory=dict)


def _checked_file(paths: ArchivePaths) -> Path:
    return paths.root / CHECKED


def _pending_file(paths: ArchivePaths, run_id: str) -> Path:
    return paths.root / f".furniture_checked.{run_id}.pending"


def _read_check(path: Path) -> Check:
    """The check a file holds; none from a file damaged outside the pipeline (every write
    is atomic), which then costs one full check rather than every job."""
    try:
        table = pq.read_table(path)
        meta = table.schema.metadata
        run_id, at = meta[b"run_id"].decode(), datetime.fromisoformat(meta[b"at"].decode())
    except (OSError, pa.ArrowException, KeyError, TypeError, ValueError) as e:
        log.warning("furniture check %s unreadable (%s): the next job checks every article", path, e)
        return Check()
    lines: dict[str, set[str]] = defaultdict(set)
    for outlet, key in zip(table["outlet"].to_pylist(), table["line_key"].to_pylist()):
        lines[outlet].add(key)
    return Check(run_id, at, dict(lines))


def _write_check(path: Path, check: Check) -> None:
    pairs = [(o, k) for o, keys in check.lines.items() for k in keys]
    table = pa.table({"outlet": pa.array([o for o, _ in pairs], pa.string()),
                      "line_key": pa.array([k for _, k in pairs], pa.string())})
    tmp = path.with_name(f"{path.name}.tmp")
    pq.write_table(table.replace_schema_metadata({"run_id": check.run_id, "at": check.at.isoformat()}), tmp)
    os.replace(tmp, path)


def checked_lines(paths: ArchivePaths) -> Check:
    """The archive's last complete check (an empty one when there is none)."""
    path = _checked_file(paths)
    return _read_check(path) if path.exists() else Check()


def note_check(paths: ArchivePaths, run_id: str, learned: Lines) -> None:
    """A job's check for every line in `learned`, made now, pending its reprocess. Its
    caller holds the archive lock, so checks are made one after another."""
    _write_check(_pending_file(paths, run_id),
                 Check(run_id, datetime.now(timezone.utc), {o: set(keys) for o, keys in learned.items()}))


def record_check(paths: ArchivePaths, run_id: str) -> None:
    """The job's pending check becomes the archive's, unless a later job's already is;
    pending checks made before it, whose jobs never completed them, go. Its caller holds
    the archive lock."""
    pending = _pending_file(paths, run_id)
    if not pending.exists():
        return
    mine = _read_check(pending)
    if checked_lines(paths).at <= mine.at:
        os.replace(pending, _checked_file(paths))
    for path in paths.root.glob(".furniture_checked.*"):
        if path.suffix == ".tmp" or _read_check(path).at <= mine.at:
            path.unlink(missing_ok=True)


def forget_unlearned(paths: ArchivePaths, learned: Lines) -> None:
    """Drop from the checks (the archive's and the pending ones) every line not in
    `learned`: a reprocess that strips only `learned` may put those back into old
    articles. Its caller holds the archive lock."""
    for path in [_checked_file(paths), *paths.root.glob(".furniture_checked.*.pending")]:
        if not path.exists():
            continue
        check = _read_check(path)
        kept = {o: keys & learned.get(o, {}).keys() for o, keys in check.lines.items()}
        if kept != check.lines:
            _write_check(path, replace(check, lines=kept))


def strip_learned(doc: Document, keys: set[str]) -> Document:
    """The document without its outlet's learned lines; its hash and id follow its new text."""
    paragraphs, removed = [], []
    for paragraph in doc.text.split("\n\n"):
        kept = []
        for line in paragraph.split("\n"):
            (removed if line.strip() and line_key(line) in keys else kept).append(line)
        if any(line.strip() for line in kept):
            paragraphs.append("\n".join(kept))
    if not removed:
        return doc
    text = "\n\n".join(paragraphs)
    digest = content_hash(text)
    return replace(doc, text=text, content_hash=digest, article_id=article_id(doc.canonical_url, digest),
                   furniture=[*doc.furniture, *(("learned", line) for line in removed)])


def strip_outlet_furniture(docs: list[Document], outlets: list[str | None], paths: ArchivePaths,
                           min_articles: int, min_share: float, snapshot: Path | None = None,
                           staged: list[Path] = (), count: list[bool] | None = None) -> tuple[list[Document], list[dict]]:
    """Learn from the archive plus the documents flagged in `count` (none when None: the
    archive has counted them already), then strip each outlet's learned lines. Returns
    the documents and the `furniture_lines` rows of the counted ones."""
    flagged = [(d, o) for d, o, c in zip(docs, outlets, count or [False] * len(docs)) if c]
    rows, counted = count_lines([d for d, _ in flagged], [o for _, o in flagged])
    learned = learned_lines(paths, min_articles, min_share, snapshot, staged, rows, counted)
    return strip_lines(docs, outlets, learned), rows


def strip_lines(docs: list[Document], outlets: list[str | None], learned: Lines) -> list[Document]:
    """Each document without its outlet's lines in `learned` (learned_lines)."""
    return [strip_learned(d, learned[o]) if o in learned else d for d, o in zip(docs, outlets)]
