"""The stage groups that a run, a reprocess and `newsarchive extract` share, so that a
page goes through exactly the same code whichever brought it: decode and extract,
strip learned furniture, tag; and the rows and index entries they produce."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from pipeline.authors import author_names
from pipeline.decode import decode_page, raw_hash
from pipeline.extract import extract_page
from pipeline.furniture import strip_outlet_furniture
from pipeline.neardup import signature_rows
from pipeline.outlet_names import archived_names, declared_names, merged, named
from pipeline.parallel import Batch, InProcess, Workers, chunked
from pipeline.records import Document, RawPage, Reject
from pipeline.settings import Settings
from pipeline.stats import StageStats
from pipeline.store import ArchivePaths, load_macros
from pipeline.tag.date_mentions import tag_date_mentions
from pipeline.tag.dates import tag_dates
from pipeline.tag.entities import tag_entities
from pipeline.tag.language import tag_language
from pipeline.tag.outlets import find_outlet, tag_outlets
from pipeline.tag.registry import load_registry, registered_domain


def split_rejects(items: list, stage: Callable) -> tuple[list, list[Reject]]:
    """Apply a per-page stage to a batch: what it passes on, and what it rejected."""
    passed, rejects = [], []
    for item in items:
        got = stage(item)
        (rejects if isinstance(got, Reject) else passed).append(got)
    return passed, rejects


def extract_pages(raws: list[RawPage], stats: StageStats, workers: Workers = InProcess(),
                  chunk_pages: int = 16, fast: bool = False) -> tuple[list[Document], list[Reject]]:
    """Decode and extract, in chunks on `workers`: the documents, and the pages rejected
    on the way (those of decoding first, as one process would list them); `fast` as
    Settings.fast_extraction."""
    return extracted(start_extraction(raws, workers, chunk_pages, fast), stats)


def start_extraction(raws: list[RawPage], workers: Workers, chunk_pages: int = 16, fast: bool = False,
                     priority: int = 0) -> Batch:
    """extract_pages handed to the workers, to be collected by `extracted`."""
    return workers.submit(partial(_extract_chunk, fast=fast), chunked(raws, chunk_pages, workers.width()),
                          cost=lambda chunk: sum(len(r.content) for r in chunk), priority=priority,
                          recover=partial(_extract_alone, workers, fast))


def crashed(stage: str, timeout_s: float | None) -> tuple[str, str]:
    """The reason and detail of a page whose worker process died, or was killed for its
    time, extracting or tagging it, alone (parallel.WorkerCrashed)."""
    doing = {"extract": "extracting", "tag": "tagging"}[stage]
    if timeout_s:
        return "too_slow", (f"{doing} this page took over {timeout_s:g} s (chunk_timeout_s), alone too; its worker "
                            "process was killed and the page is not archived")
    return "worker_crashed", (f"the worker process {doing} this page died, and died again with the page alone "
                              "(killed, out of memory, a crash in a library, or on Dask past chunk_timeout_s): "
                              "the page is not archived")


def _extract_alone(workers: Workers, fast: bool, raws: list[RawPage], timeout_s: float | None = None) -> tuple:
    """A chunk that crashed its worker: each page extracted alone, and the one that
    crashes it rejected, so that its neighbours are archived."""
    if len(raws) == 1:
        return [], [], [Reject(raws[0].source_ref, raw_hash(raws[0].content), "extract", *crashed("extract", timeout_s))], \
            StageStats()
    results = workers.submit(partial(_extract_chunk, fast=fast), [[raw] for raw in raws], alone=True,
                             recover=partial(_extract_alone, workers, fast)).results()
    stats = StageStats()
    for *_, page_stats in results:
        stats.merge(page_stats)
    return *([x for result in results for x in result[part]] for part in range(3)), stats


def extracted(batch: Batch, stats: StageStats) -> tuple[list[Document], list[Reject]]:
    docs, decode_rejects, extract_rejects = [], [], []
    for chunk_docs, chunk_decode, chunk_extract, chunk_stats in batch.results():
        docs += chunk_docs
        decode_rejects += chunk_decode
        extract_rejects += chunk_extract
        stats.merge(chunk_stats)
    return docs, decode_rejects + extract_rejects


def _extract_chunk(raws: list[RawPage], fast: bool) -> tuple[list[Document], list[Reject], list[Reject], StageStats]:
    stats = StageStats()
    with stats.stage("decode", len(raws)) as s:
        pages, rejects = split_rejects(raws, decode_page)
        s.pages_out, s.rejected = len(pages), len(rejects)
    with stats.stage("extract", len(pages)) as s:
        docs, extract_rejects = split_rejects(pages, partial(extract_page, fast=fast))
        s.pages_out, s.rejected = len(docs), len(extract_rejects)
    return docs, rejects, extract_rejects, stats


def strip_learned_furniture(docs: list[Document], settings: Settings, paths: ArchivePaths,
                            snapshot: Path | None = None, staged: list[Path] = (),
                            count: list[bool] | None = None) -> tuple[list[Document], list[dict]]:
    """Each outlet's learned furniture (pipeline/furniture.py) stripped from its documents."""
    return strip_outlet_furniture(docs, outlets_of(docs, settings, paths), paths, settings.furniture_min_articles,
                                  settings.furniture_min_share, snapshot, staged, count)


def outlets_of(docs: list[Document], settings: Settings, paths: ArchivePaths) -> list[str | None]:
    """Each document's outlet, as its furniture is learned by: as the outlet tagger
    (pipeline/tag/outlets.py) and its domain's other articles name it (pipeline/outlet_names.py)."""
    registry = load_registry(settings.outlets_file)
    rows = [dict(zip(("outlet", "outlet_method"), find_outlet(d, registry))) for d in docs]
    domains = [registered_domain(d.canonical_url or d.url) for d in docs]
    counts = merged(archived_names(paths), declared_names(rows, domains))
    return [named(row, domain, counts)["outlet"] for row, domain in zip(rows, domains)]


# Relative dates in the text ("next month") are not resolved against a fetch-time guess.
UNANCHORED = {"fetch_time", "weekday_fetch_time", "none"}


def mention_anchors(date_rows: list[dict]) -> dict[str, date | None]:
    """The publication date each article's relative date mentions are resolved against."""
    return {r["article_id"]: None if r["published_method"] in UNANCHORED else r["published_date"] for r in date_rows}


def tag_documents(docs: list[Document], settings: Settings, stats: StageStats,
                  workers: Workers = InProcess()) -> tuple[dict[str, list[dict]], dict[str, Reject]]:
    """Every tagger over the batch, in chunks on `workers`: the rows of each tag table,
    keyed by article_id, in the documents' order; and the articles a tagger failed on, by
    article_id, as `tag_error` rejects (none of their rows is returned)."""
    return tagged(start_tagging(docs, settings, workers), stats)


def start_tagging(docs: list[Document], settings: Settings, workers: Workers) -> Batch:
    """tag_documents handed to the workers, to be collected by `tagged`."""
    return workers.submit(partial(_tag_chunk, settings=settings), chunked(docs, settings.chunk_pages, workers.width()),
                          cost=lambda chunk: sum(len(d.text) for d in chunk), recover=partial(_tag_alone, workers, settings))


def _tag_alone(workers: Workers, settings: Settings, docs: list[Document], timeout_s: float | None = None) -> tuple:
    """A chunk that crashed its worker, as _extract_alone: the page at fault is rejected."""
    if len(docs) == 1:
        reject = Reject(docs[0].raw.source_ref, docs[0].page.raw_hash, "tag", *crashed("tag", timeout_s))
        return {table: [] for table in TAG_TABLES}, {docs[0].article_id: reject}, StageStats()
    tags, failed, stats = {table: [] for table in TAG_TABLES}, {}, StageStats()
    for page_tags, page_failed, page_stats in workers.submit(
            partial(_tag_chunk, settings=settings), [[doc] for doc in docs], alone=True,
            recover=partial(_tag_alone, workers, settings)).results():
        for table, rows in page_tags.items():
            tags[table].extend(rows)
        failed |= page_failed
        stats.merge(page_stats)
    return tags, failed, stats


def tagged(batch: Batch, stats: StageStats) -> tuple[dict[str, list[dict]], dict[str, Reject]]:
    tags: dict[str, list[dict]] = {table: [] for table in TAG_TABLES}
    failed: dict[str, Reject] = {}
    for chunk_tags, chunk_failed, chunk_stats in batch.results():
        for table, rows in chunk_tags.items():
            tags[table].extend(rows)
        failed |= chunk_failed
        stats.merge(chunk_stats)
    return tags, failed


# Not a table: each tagged article's parse by line (pipeline/tag/entities.py), which a run
# keeps with its extracted documents (pipeline/extracted.py) for the job's furniture check.
ENTITY_LINES = "entity_lines"
# What the taggers return, each tag table's rows and ENTITY_LINES's, keyed by article_id.
TAG_TABLES = ("article_outlets", "article_dates", "date_candidates", "date_mentions", "article_languages",
              "mentions", "entity_status", "neardup_signatures", ENTITY_LINES)


class TaggerFailed(Exception):
    """A tagger raised on the pages it was given; the message names it and its error."""


@contextmanager
def _tagger(stats: StageStats, name: str, pages: int) -> Iterator[None]:
    """A tagger's stage: timed, and any error raised in it named after it."""
    with stats.stage(name, pages) as s:
        try:
            yield
        except Exception as error:
            raise TaggerFailed(f"the {name} tagger failed on this page: {type(error).__name__}: {error}") from error
        s.pages_out = pages


def _tag_chunk(docs: list[Document], settings: Settings) -> tuple[dict[str, list[dict]], dict[str, Reject], StageStats]:
    """A library failing on one page (a date string htmldate cannot parse, a text that
    breaks a model) costs that page, not the run: the chunk is then tagged again one page
    at a time, and the page at fault becomes a reject."""
    try:
        tags, stats = _tag_pages(docs, settings)
        return tags, {}, stats
    except TaggerFailed:
        pass  # to find the page at fault
    tags, failed, stats = {table: [] for table in TAG_TABLES}, {}, StageStats()
    for doc in docs:
        try:
            page_tags, page_stats = _tag_pages([doc], settings)
        except TaggerFailed as error:
            if len(failed) == len(docs) - 1 > 0:  # every page: the setup is broken (a model missing), not a page
                raise
            failed[doc.article_id] = Reject(doc.raw.source_ref, doc.page.raw_hash, "tag", "tag_error", str(error))
            continue
        for table, rows in page_tags.items():
            tags[table].extend(rows)
        stats.merge(page_stats)
    return tags, failed, stats


def _tag_pages(docs: list[Document], settings: Settings) -> tuple[dict[str, list[dict]], StageStats]:
    stats = StageStats()
    tags: dict[str, list[dict]] = {}
    registry = load_registry(settings.outlets_file)
    with _tagger(stats, "outlets", len(docs)):
        tags["article_outlets"] = tag_outlets(docs, registry)
    with _tagger(stats, "dates", len(docs)):
        founded = {r["article_id"]: registry.founded(r["outlet"]) for r in tags["article_outlets"]}
        tags["article_dates"], tags["date_candidates"] = tag_dates(docs, founded)
        tags["date_mentions"] = tag_date_mentions(docs, mention_anchors(tags["article_dates"]))
    with _tagger(stats, "language", len(docs)):
        tags["article_languages"] = tag_language(docs, settings.min_language_words)
    if settings.entities:
        with _tagger(stats, "entities", len(docs)):
            languages = {r["article_id"]: r["language"] for r in tags["article_languages"]}
            tags["mentions"], tags["entity_status"], parses = tag_entities(docs, settings.spacy_model, languages)
            tags[ENTITY_LINES] = [{"article_id": a, "lines": lines} for a, lines in parses.items()]
    else:
        tags["mentions"], tags["entity_status"], tags[ENTITY_LINES] = [], [], []
    with _tagger(stats, "sign", len(docs)):  # the near-duplicate signatures, for pipeline/neardup.py
        tags["neardup_signatures"] = signature_rows([d.article_id for d in docs], [d.text for d in docs])
    return tags, stats


def document_row(doc: Document, run_id: str, now: datetime) -> dict:
    raw = doc.raw
    return {
        "article_id": doc.article_id, "source_ref": raw.source_ref, "url": doc.url,
        "canonical_url": doc.canonical_url, "title": doc.title, "authors": author_names(doc.authors, doc.sitename),
        "sitename": doc.sitename, "description": doc.description, "text": doc.text,
        "word_count": doc.word_count, "content_hash": doc.content_hash, "raw_hash": doc.page.raw_hash,
        "page_format": "html" if doc.page.is_html else "text", "extract_method": doc.extract_method,
        "furniture_removed": len(doc.furniture), "fetched_at": raw.fetched_at,
        "fetched_at_method": raw.fetched_at_method, "run_id": run_id, "ingested_at": now,
    }


def build_postings(documents: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The new articles' postings and their lengths, tokenised by the SQL macro that
    queries use too (the writer sorts them by term)."""
    con = duckdb.connect()
    load_macros(con)
    con.register("new_docs", documents.select(["article_id", "title", "text"]))
    con.execute("""
        CREATE TEMP TABLE tf AS
        SELECT term, article_id, count(*)::INT AS tf
        FROM (SELECT article_id, unnest(na_terms(coalesce(title, '') || ' ' || text)) AS term FROM new_docs)
        GROUP BY ALL
    """)
    docs = con.sql("SELECT article_id, sum(tf)::INT AS doc_len FROM tf GROUP BY article_id").to_arrow_table()
    postings = con.sql(
        "SELECT term, article_id, tf, doc_len FROM tf JOIN docs USING (article_id)"
    ).to_arrow_table()
    return postings, docs


def extract_one(raw: RawPage, settings: Settings, archive: ArchivePaths | None) -> dict | Reject:
    """What a run would store for one page (`newsarchive extract`): the document row and
    its tags, through the same stages; `archive`, when given, supplies learned furniture."""
    stats = StageStats()
    docs, rejects = extract_pages([raw], stats, fast=settings.fast_extraction)
    if rejects:
        return rejects[0]
    if archive is not None:
        docs, _ = strip_learned_furniture(docs, settings, archive)
    tags, failed = tag_documents(docs, settings, stats)
    if failed:
        return failed[docs[0].article_id]
    drop = ("run_id", "ingested_at", "article_id")
    record = {k: v for k, v in document_row(docs[0], "", datetime.now()).items() if k not in drop}
    for table in ("article_dates", "article_languages", "article_outlets", "entity_status"):
        record |= {k: v for k, v in tags[table][0].items() if k not in drop} if tags[table] else {}
    record["furniture"] = [{"reason": reason, "line": line} for reason, line in docs[0].furniture]
    for table in ("date_candidates", "date_mentions", "mentions"):
        record[table] = [{k: v for k, v in m.items() if k not in drop} for m in tags[table]]
    return {"article_id": docs[0].article_id, **record}
