"""Re-extract and re-tag archived articles from their stored raw pages, without fetching.

The selected articles go through the stages of a run (decode, extract, tag) and keep
their ids. A run folder holding an article whose rows changed is rewritten under a new
name into a new generation, every other folder is hard-linked into it, and the archive
switches to that generation at once (store.py): readers see the old rows or the new
ones, never a mix. Articles whose rows come out the same are left as they were; an
article whose page no longer extracts keeps its old rows and is counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.extracted import key_of, read_extracted
from pipeline.furniture import forget_unlearned, learned_lines, strip_lines
from pipeline.neardup import index_tables, signed_from_row
from pipeline.outlet_names import name_outlets
from pipeline.parallel import Batch, workers_for
from pipeline.records import Document, RawPage
from pipeline.run import ARTICLE_TABLES, begin_run, dates_from_stories, run_row, utcnow
from pipeline.stages import build_postings, document_row, extract_pages, outlets_of, start_tagging, tagged
from pipeline.settings import Settings
from pipeline.stats import StageStats
from pipeline.store import ArchiveMissing, ArchivePaths, publish_generation, read_table, stage_rewrite
from schemas.tables import TABLES, to_arrow

INDEX_TABLES = ("postings", "search_docs", "neardup_signatures", "neardup_bands")


@dataclass(frozen=True)
class Selection:
    """Which articles to reprocess: by the day their page was fetched, and by outlet."""

    since: date | None = None
    until: date | None = None
    outlet: str | None = None
    article_ids: tuple[str, ...] | None = None
    reason: str | None = None

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in (("since", self.since), ("until", self.until), ("outlet", self.outlet)) if v]
        if self.article_ids is not None:
            parts.append(f"{len(self.article_ids)} articles")
        return "reprocess " + (" ".join(parts) or "all") + (f" ({self.reason})" if self.reason else "")


@dataclass
class ReprocessSummary:
    run_id: str
    archive: str
    selected: int
    replaced: int
    unchanged: int
    kept: dict[str, int] = field(default_factory=dict)  # why an article kept its old rows
    duration_s: float = 0.0


def select_articles(paths: ArchivePaths, selection: Selection) -> dict[str, list[dict]]:
    """The selected articles with their raw page's fetch record, by the run folder that holds them."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # fetch days are UTC days, whatever the machine's zone
    rows = con.execute(f"""
        SELECT d.article_id, d.raw_hash, d.run_id, d.ingested_at, parse_dirpath(d.filename) AS folder,
               r.raw_hash IS NOT NULL AS stored, d.source_ref, d.url, d.fetched_at, d.fetched_at_method, d.extract_method,
               CASE WHEN o.outlet_method = 'manifest' THEN o.outlet END AS outlet_hint
        FROM {paths.parquet('documents', filename=True)} d
        LEFT JOIN {paths.parquet('raw_pages')} r USING (raw_hash)
        LEFT JOIN {paths.parquet('article_outlets')} o USING (article_id)
        WHERE ($since::DATE IS NULL OR d.fetched_at >= $since::DATE)
          AND ($until::DATE IS NULL OR d.fetched_at < $until::DATE + 1)
          AND ($outlet IS NULL OR lower(o.outlet) = lower($outlet))
          AND ($ids::VARCHAR[] IS NULL OR list_contains($ids::VARCHAR[], d.article_id))
        ORDER BY folder, d.article_id
    """, {"since": selection.since, "until": selection.until, "outlet": selection.outlet,
          "ids": list(selection.article_ids) if selection.article_ids is not None else None}).fetchall()
    by_folder: dict[str, list[dict]] = defaultdict(list)
    columns = ("article_id", "raw_hash", "run_id", "ingested_at", "folder", "stored", "source_ref", "url",
               "fetched_at", "fetched_at_method", "extract_method", "outlet_hint")
    for row in rows:
        article = dict(zip(columns, row))
        by_folder[article["folder"]].append(article)
    return dict(by_folder)


def load_raw_pages(paths: ArchivePaths, folder: Path, articles: list[dict]) -> list[RawPage]:
    """The articles' pages as their run read them: the stored bytes (and the HTTP
    response they came with), and the fetch the article records (the same bytes may
    have been fetched first from elsewhere). Looked up in the articles' run folder first,
    where their run stored them, reading only the row groups that hold them; a scan of
    every folder's pages (3.3 s at 94,000 articles) only for any stored by another run."""
    if not articles:
        return []
    columns = ["raw_hash", "content", "http_status", "headers", "listed_published", "listed_by"]
    wanted = sorted({a["raw_hash"] for a in articles})
    own = folder / "raw_pages.parquet"
    # With the table's schema: a folder written before a column was added reads it as nulls.
    rows = pq.read_table(own, schema=TABLES["raw_pages"].schema, columns=columns,
                         filters=[("raw_hash", "in", wanted)]).to_pylist() if own.exists() else []
    stored = {row.pop("raw_hash"): row for row in rows}
    if missing := [h for h in wanted if h not in stored]:
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")  # timestamps as the folder read gives them
        con.register("wanted", pa.table({"raw_hash": pa.array(missing, pa.string())}))
        result = con.execute(f"SELECT {', '.join(columns)} FROM {paths.parquet('raw_pages')} SEMI JOIN wanted USING (raw_hash)")
        for digest, *rest in result.fetchall():
            stored[digest] = dict(zip(columns[1:], rest))
    pages = []
    for a in articles:
        page = stored[a["raw_hash"]]
        pages.append(RawPage(source_ref=a["source_ref"], content=page["content"], url=a["url"], outlet=a["outlet_hint"],
                             fetched_at=a["fetched_at"], fetched_at_method=a["fetched_at_method"],
                             http_status=page["http_status"], headers=dict(page["headers"]) if page["headers"] else None,
                             listed_published=page["listed_published"], listed_by=page["listed_by"]))
    return pages


def _rows_by_article(table: pa.Table) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for row in table.to_pylist():
        out[row["article_id"]].append(row)
    return out


def _same(old: list[dict], new: list[dict]) -> bool:
    return sorted(map(repr, old)) == sorted(map(repr, new))


def keep_wire_matches(new: pa.Table, old: pa.Table) -> pa.Table:
    """New outlet rows, with the near-duplicate wire match of the old row where the page
    itself still claims no other wire service."""
    matched = {r["article_id"]: r for r in old.to_pylist() if r["original_article_id"]}
    if not matched:
        return new
    rows = new.to_pylist()
    for row in rows:
        if (before := matched.get(row["article_id"])) and row["wire_service"] in (None, before["wire_service"]):
            fields = ("wire_service", "wire_method", "wire_evidence") if row["wire_service"] is None else ()
            row |= {k: before[k] for k in (*fields, "original_article_id")} | {"is_syndicated": True}
    return pa.Table.from_pylist(rows, schema=new.schema)


def batches(selected: dict[str, list[dict]], pages: int) -> Iterator[list[tuple[Path, list[dict]]]]:
    """The selected folders in groups of about `pages` articles, so that the workers get
    full chunks however few articles each folder has (a folder is never split). No raw
    page is in a group twice: a page's document is matched to its article by it."""
    batch: list[tuple[Path, list[dict]]] = []
    size, hashes = 0, set()
    for folder, articles in selected.items():
        mine = {a["raw_hash"] for a in articles}
        if batch and (size + len(articles) > pages or hashes & mine):
            yield batch
            batch, size, hashes = [], 0, set()
        batch.append((Path(folder), articles))
        size, hashes = size + len(articles), hashes | mine
    if batch:
        yield batch


@dataclass
class Tagging:
    """A batch's documents, their furniture stripped, handed to the workers for tagging."""
    batch: list[tuple[Path, list[dict]]]
    docs: list[Document]
    stored: dict[str, tuple[Path, dict]]  # raw_hash -> folder, article
    tags: Batch


def start_batch(batch: list[tuple[Path, list[dict]]], paths: ArchivePaths, settings: Settings,
                learned: dict[str, dict[str, str]], stats: StageStats, kept: dict[str, int],
                job_runs: list[str]) -> Tagging:
    """The batch's documents (as its runs kept them, or extracted again) stripped of the
    archive's furniture (`learned`: furniture.learned_lines), their tagging handed to the
    workers; `job_runs` as for reprocess."""
    runs = {a["run_id"] for _, articles in batch for a in articles} & set(job_runs)
    extracted = read_extracted(paths, sorted(runs), {key_of(a) for _, articles in batch for a in articles})

    def fast(article: dict) -> bool:
        return article["extract_method"].endswith("_fast") if job_runs else settings.fast_extraction

    stored: dict[str, tuple[Path, dict]] = {}
    pages: dict[bool, list[RawPage]] = {False: [], True: []}  # by fast extraction
    docs = []
    for folder, articles in batch:
        docs += [extracted[key_of(a)] for a in articles if key_of(a) in extracted]
        mine = [a for a in articles if a["stored"] and key_of(a) not in extracted]
        if missing := sum(1 for a in articles if not a["stored"] and key_of(a) not in extracted):
            kept["no_raw_page"] = kept.get("no_raw_page", 0) + missing
        for mode in pages:
            pages[mode] += load_raw_pages(paths, folder, [a for a in mine if fast(a) == mode])
        stored |= {a["raw_hash"]: (folder, a) for a in articles if a["stored"] or key_of(a) in extracted}
    workers = workers_for(settings)
    rejects = []
    for mode, group in pages.items():
        fresh, failed_pages = extract_pages(group, stats, workers, settings.chunk_pages, mode)
        docs, rejects = docs + fresh, rejects + failed_pages
    with stats.stage("furniture", len(docs)):
        docs = strip_lines(docs, outlets_of(docs, settings, paths), learned)
    for r in rejects:
        kept[r.reason] = kept.get(r.reason, 0) + 1
    for doc in docs:
        doc.article_id = stored[doc.page.raw_hash][1]["article_id"]  # an article keeps its id
    return Tagging(batch, docs, stored, start_tagging(docs, settings, workers))


def rewritten(started: Tagging, paths: ArchivePaths, settings: Settings, stats: StageStats,
              kept: dict[str, int]) -> Iterator[tuple[dict[str, pa.Table], int]]:
    """Each folder of the batch: its article and index tables with its changed articles'
    rows replaced (empty when none changed), and how many articles changed, one folder at
    a time (a folder's tables are large beside its few changed articles)."""
    tags, failed = tagged(started.tags, stats)
    for reject in failed.values():  # such an article is kept as it was
        kept[reject.reason] = kept.get(reject.reason, 0) + 1
    folder_of = {d.article_id: started.stored[d.page.raw_hash][0] for d in started.docs}
    docs_in: dict[Path, list] = defaultdict(list)
    for doc in started.docs:
        if doc.article_id not in failed:
            docs_in[folder_of[doc.article_id]].append(doc)
    tags_in: dict[Path, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for name, rows in tags.items():
        for row in rows:
            tags_in[folder_of[row["article_id"]]][name].append(row)
    for folder, articles in started.batch:
        with stats.stage("rewrite", len(docs_in[folder])) as s:  # its own work only: the stages above count theirs
            tables, s.pages_out = _replaced_rows(folder, docs_in[folder], {name: tags_in[folder][name] for name in tags},
                                                 articles, paths, settings)
        yield tables, s.pages_out


def _replaced_rows(folder: Path, docs: list, tags: dict[str, list[dict]], articles: list[dict],
                   paths: ArchivePaths, settings: Settings) -> tuple[dict[str, pa.Table], int]:
    """The folder's tables with the rows of its changed articles replaced (empty when none
    changed), and how many changed."""
    # With entity tagging off, the mentions stay as the last run with it on left them.
    touched = [name for name in ARTICLE_TABLES if settings.entities or name not in ("mentions", "entity_status")]
    article = {a["article_id"]: a for a in articles}
    new = {
        "documents": [document_row(d, article[d.article_id]["run_id"], article[d.article_id]["ingested_at"])
                      for d in docs],
        **{name: [{**row, "run_id": article[row["article_id"]]["run_id"]} for row in rows]
           for name, rows in tags.items() if name in touched},
    }
    new = {name: to_arrow(TABLES[name], rows) for name, rows in new.items()}
    # What the run learnt beyond the page is kept: a date its story gave, a wire copy its
    # text matched (re-extraction alone would fall back to the fetch time, and to no wire).
    new |= dates_from_stories({**new, "story_members": read_table(folder, TABLES["story_members"])}, paths)
    new["article_outlets"] = keep_wire_matches(new["article_outlets"], read_table(folder, TABLES["article_outlets"]))
    new["article_outlets"], _ = name_outlets(new["documents"], new["article_outlets"], paths)
    old = {name: read_table(folder, TABLES[name]) for name in (*ARTICLE_TABLES, *INDEX_TABLES)}
    new_rows = {name: _rows_by_article(new[name]) for name in touched}
    old_rows = {name: _rows_by_article(old[name]) for name in touched}
    changed = [
        d.article_id for d in docs
        if any(not _same(old_rows[name].get(d.article_id, []), new_rows[name].get(d.article_id, []))
               for name in touched)
    ]
    if not changed:
        return {}, 0
    ids, changed_ids = pa.array(changed, pa.string()), set(changed)
    replacements = {name: new[name].filter(pc.is_in(new[name]["article_id"], value_set=ids)) for name in touched}
    replacements["postings"], replacements["search_docs"] = build_postings(replacements["documents"])
    replacements["neardup_signatures"], replacements["neardup_bands"] = index_tables(
        [signed_from_row(row) for row in tags["neardup_signatures"] if row["article_id"] in changed_ids])
    tables = {
        name: pa.concat_tables([
            old[name].filter(pc.invert(pc.is_in(old[name]["article_id"], value_set=ids))),
            replacements[name].cast(TABLES[name].schema),
        ])
        for name in replacements
    }
    return tables, len(changed)


def reprocess(settings: Settings, selection: Selection,
              on_folder: Callable[[int, int, int], None] | None = None, executor: str = "plain",
              job_runs: list[str] = ()) -> ReprocessSummary:
    """Reprocess the selected articles and publish the result at once; `on_folder(done,
    total, articles)` reports progress. `job_runs`: a job's furniture check, where only
    lines are to change: the documents those runs kept (pipeline/extracted.py) are used
    rather than extracted again, and any other article is extracted in the mode it was
    (`--fast-extraction` or not, whatever this job's)."""
    paths = ArchivePaths(settings.archive_dir)
    if not paths.catalog.exists():
        raise ArchiveMissing(f"no archive at {paths.root}: nothing to reprocess")
    with begin_run(settings, [selection.describe()], executor, kind="reprocess") as plan:
        stats, kept = StageStats(), {}
        selected = select_articles(paths, selection)
        # Once: the archive does not change until the reprocess publishes (the lock is ours).
        learned = learned_lines(paths, settings.furniture_min_articles, settings.furniture_min_share)
        forget_unlearned(paths, learned)
        renamed: dict[str, str] = {}  # run folder -> its rewritten copy
        n_replaced = 0
        done = 0
        start = partial(start_batch, paths=paths, settings=settings, learned=learned, stats=stats, kept=kept,
                        job_runs=job_runs)
        groups = list(batches(selected, settings.shard_size))
        ahead = start(groups[0]) if groups else None
        for following in [*groups[1:], None]:
            # The workers tag the following batch while this process rewrites this one's folders.
            current, ahead = ahead, start(following) if following else None
            for (folder, articles), (tables, changed) in zip(current.batch, rewritten(
                    current, paths, settings, stats, kept)):
                if changed:
                    with stats.stage("rewrite", 0):
                        renamed[folder.name] = stage_rewrite(paths, plan.run_id, folder.name, tables)
                    n_replaced += changed
                done += 1
                if on_folder:
                    on_folder(done, len(selected), len(articles))

        n_selected = sum(len(a) for a in selected.values())
        counts = {"pages_read": n_selected, "pages_unchanged": n_selected - n_replaced - sum(kept.values()),
                  "articles_replaced": n_replaced}
        row = run_row(plan, "succeeded", utcnow(), counts)
        publish_generation(paths, plan.run_id, {
            "runs": [row], "run_stages": [{"run_id": plan.run_id, **r} for r in stats.rows()],
        }, renamed)
    return ReprocessSummary(run_id=plan.run_id, archive=str(paths.root), selected=n_selected,
                            replaced=n_replaced, unchanged=counts["pages_unchanged"], kept=kept,
                            duration_s=row["duration_s"])
