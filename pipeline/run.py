"""A run, in three steps any executor can drive: plan it, process each shard, finish it.

`begin_run` takes the archive lock, records crashed runs, lists the sources and
splits the pages into shards. `process_shard` does the work of one shard (read,
decode, extract, dedup, tag) and leaves its tables in the run's staging folder; it
takes a plan path and an index, so it can run anywhere and be retried. Where the
workers run apart from it, the next shards are read meanwhile and their extraction
queued behind the shard's own tagging, so that the workers never wait for its work in
this process (shard_pages). `finish_run` deduplicates across shards, builds the
search postings, writes the runs row and publishes everything at once. The plain loop
(pipeline/job.py) and the Prefect flow (flows/archive.py) call exactly these.
"""

from __future__ import annotations

import json
import secrets
import shutil
import threading
import traceback
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline import sources
from pipeline.ahead import ReadAhead
from pipeline.decode import raw_hash
from pipeline.dedup import (
    ArchiveKeys, KeyFiles, drop_known_rejects, drop_unchanged, duplicate_row, find_duplicates, number_versions,
    write_key_files,
)
from pipeline.extracted import forget_extracted, keep_extracted
from pipeline.furniture import (checked_lines, count_lines, learned_lines, newly_learned, note_check, record_check,
                                run_lines, stale_articles, write_snapshot)
from pipeline.logs import event
from pipeline.neardup import Signed, archived_candidates, index_tables, keep_rank, signed_from_row, split_near_duplicates
from pipeline.outlet_names import misnamed_articles, name_outlets
from pipeline.parallel import Batch, Workers, workers_for
from pipeline.records import Document, RawPage, Reject
from pipeline.settings import Settings
from pipeline.sources import warc_cache
from pipeline.sources.config import shown_path
from pipeline.stages import (
    ENTITY_LINES, TAG_TABLES, build_postings, document_row, extracted, outlets_of, start_extraction, strip_learned_furniture,
    tag_documents,
)
from pipeline.stats import StageCount, StageStats
from pipeline.stories import group_stories
from pipeline.tag.date_mentions import date_mention_rows
from pipeline.tag.dates import REDATABLE, Candidate, candidate_rows, redate_from_story
from pipeline.tag.entities import check_model
from pipeline.store import (
    ArchivePaths, archive_lock, ensure_archive, publish, publish_generation, read_table, remove_old_generations,
    stage_rewrite, write_json, write_table_soon, write_tables,
)
from schemas.tables import TABLES, to_arrow

ARTICLE_TABLES = ("documents", "article_dates", "date_candidates", "date_mentions", "article_languages",
                  "article_outlets", "mentions", "entity_status")
DATE_TABLES = ("article_dates", "date_candidates", "date_mentions")
SHARD_TABLES = (*ARTICLE_TABLES, "duplicates", "article_versions", "rejects", "raw_pages", "furniture_lines", "fetches",
                "neardup_signatures")
SHARD = "_shard"  # which shard a row came from, while finish_run merges them


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class RunPlan:
    run_id: str
    archive: str
    executor: str
    sources: list[str]
    started_at: str
    settings: dict
    entries: list[dict] = field(default_factory=list)
    crashed_runs: int = 0
    kind: str = "run"
    # Network sources: pages listed, skipped as unchanged, quarantined or out of the date range.
    listing: dict[str, int] = field(default_factory=dict)
    # Pages listed beyond Settings.run_pages: the next part's (not saved with the plan).
    later: list[dict] = field(default_factory=list, repr=False)
    # The entries of the next part's first shards, read during this run's last (shard_pages).
    next_entries: list[dict] = field(default_factory=list, repr=False)

    @property
    def dir(self) -> Path:
        return ArchivePaths(Path(self.archive)).staging / self.run_id

    @property
    def path(self) -> Path:
        return self.dir / "plan.json"

    @property
    def shard_size(self) -> int:
        return self.settings["shard_size"]

    @property
    def shard_count(self) -> int:
        return -(-len(self.entries) // self.shard_size)

    def shard_dir(self, index: int) -> Path:
        return self.dir / "shards" / f"{index:05d}"

    @property
    def furniture_snapshot(self) -> Path:
        """The archive's furniture line counts as the run found them (furniture.write_snapshot)."""
        return self.dir / "furniture_snapshot.parquet"

    @property
    def keys(self) -> KeyFiles:
        """The archive's dedup keys as the run found them (dedup.write_key_files)."""
        return KeyFiles(self.dir / "keys")

    def save(self) -> None:
        write_json(self.path, {k: v for k, v in asdict(self).items() if k != "later"})

    @classmethod
    def load(cls, path: str | Path) -> RunPlan:
        return cls(**json.loads(Path(path).read_text()))


@dataclass
class RunSummary:
    run_id: str
    archive: str
    status: str
    pages_read: int
    pages_unchanged: int
    articles_archived: int
    versions: int
    duplicates: int
    rejected: int
    mentions: int
    duration_s: float
    rejects_by_reason: dict[str, int]
    crashed_runs_found: int
    furniture_learned: int = 0  # lines of outlet furniture first learned by this run
    # Of a job (run_in_parts): articles archived before a line of their outlet's furniture
    # was learned, which still carry it, and articles whose outlet its runs' site names
    # name otherwise (pipeline/outlet_names.py); the job reprocesses them (pipeline/job.py).
    stale_articles: list[str] = field(default_factory=list)
    stale_cleaned: int = 0  # of those, articles the job's reprocess rewrote
    listing: dict[str, int] = field(default_factory=dict)  # RunPlan.listing
    # A listing over Settings.run_pages is archived as several runs, each published whole:
    # their ids, in order (run_id is the first). Their counts are summed here.
    parts: list[str] = field(default_factory=list)


SUMMED = ("pages_read", "pages_unchanged", "articles_archived", "versions", "duplicates", "rejected", "mentions",
          "duration_s", "furniture_learned")


def combined(parts: list[RunSummary]) -> RunSummary:
    """The summary of a job's runs: counts summed."""
    reasons: dict[str, int] = {}
    for part in parts:
        for reason, n in part.rejects_by_reason.items():
            reasons[reason] = reasons.get(reason, 0) + n
    return replace(parts[0], **{f: sum(getattr(p, f) for p in parts) for f in SUMMED},
                   status=parts[-1].status, rejects_by_reason=reasons, parts=[p.run_id for p in parts])


def run_in_parts(settings: Settings, source_refs: list[str], executor: str,
                 run_part: Callable[[RunPlan], RunSummary]) -> RunSummary:
    """List the sources once and archive their pages as runs of at most
    Settings.run_pages pages, one after another, each published whole by `run_part`
    (its shards and finish): a run holds its pages' tables in memory until it publishes,
    so memory stays that of one part however many pages are listed. A crash loses only
    the part at work; the next run skips what the parts before it archived."""
    paths = ArchivePaths(settings.archive_dir)
    parts, entries = [], None
    sources = f"{len(source_refs)} source{'s' if len(source_refs) != 1 else ''}"
    with archive_lock(paths, f"job of {sources}", settings.lock_wait_s):
        shutil.rmtree(paths.listing, ignore_errors=True)  # a dead job's
        if removed := warc_cache.prune(paths.warc_cache, settings.warc_cache_days):
            event("warc_cache_pruned", f"{len(removed)} WARC file(s) no job named for {settings.warc_cache_days} days "
                  "removed from the cache", files=removed)
        forget_extracted(paths)  # an earlier job's, whose furniture check is over or gave up
        try:
            while True:
                with begin_run(settings, source_refs, executor, entries=entries) as plan:
                    parts.append(run_part(plan))
                if not plan.later:
                    # Once a job, against every line learned since the last complete check, not
                    # only its own: a job that died before its reprocess finished leaves them to the next.
                    learned = learned_lines(paths, settings.furniture_min_articles, settings.furniture_min_share)
                    stale = stale_articles(paths, learned, checked_lines(paths))
                    note_check(paths, parts[0].run_id, learned)
                    if not stale:
                        record_check(paths, parts[0].run_id)
                        forget_extracted(paths, [p.run_id for p in parts])
                    furniture_stale = set(stale)
                    stale += [a for a in misnamed_articles(paths) if a not in furniture_stale]
                    return replace(combined(parts), stale_articles=stale)
                entries = plan.later
        finally:
            stop_reading_next_part(str(paths.root))
            shutil.rmtree(paths.listing, ignore_errors=True)


def new_run_id(now: datetime) -> str:
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_row(plan: RunPlan, status: str, finished: datetime, counts: dict, error: str | None = None) -> dict:
    started = datetime.fromisoformat(plan.started_at)
    return {
        "run_id": plan.run_id, "status": status, "kind": plan.kind, "executor": plan.executor,
        "sources": [shown_path(s) for s in plan.sources], "articles_replaced": counts.get("articles_replaced", 0),
        "started_at": started, "finished_at": finished, "duration_s": (finished - started).total_seconds(),
        "pages_read": counts.get("pages_read", 0), "pages_unchanged": counts.get("pages_unchanged", 0),
        "articles_archived": counts.get("articles_archived", 0), "versions": counts.get("versions", 0),
        "duplicates": counts.get("duplicates", 0),
        "rejected": counts.get("rejected", 0), "mentions": counts.get("mentions", 0), "error": error,
    }


def recover_crashed(paths: ArchivePaths, now: datetime) -> int:
    """Staging folders left by runs that died (the lock is ours, so no live run owns
    them): each dead run's work is discarded and only its runs row, status `crashed`, is
    published under its own id. Returns how many were found."""
    found = 0
    for folder in sorted(p for p in paths.staging.iterdir() if p.is_dir()):
        try:
            plan = RunPlan.load(folder / "plan.json")
        except (OSError, ValueError, TypeError):
            shutil.rmtree(folder, ignore_errors=True)  # died before its plan was written
            continue
        if (paths.data / folder.name).exists():
            shutil.rmtree(folder, ignore_errors=True)  # died after publishing, while tidying up
            continue
        row = run_row(plan, "crashed", now, {"pages_read": len(plan.entries)},
                       f"the run stopped without finishing; found by a later run at {now.isoformat()}")
        publish(paths, folder, {"runs": [row]})
        found += 1
    return found


@contextmanager
def begin_run(settings: Settings, source_refs: list[str], executor: str, kind: str = "run",
              entries: list[dict] | None = None) -> Iterator[RunPlan]:
    """Lock the archive and plan a run (its pages listed from the sources, or the given
    `entries` left by an earlier part) or a reprocess; if the body fails, record it as failed."""
    paths = ArchivePaths(settings.archive_dir)
    now = utcnow()
    run_id = new_run_id(now)
    with archive_lock(paths, f"{kind} {run_id}", settings.lock_wait_s):
        ensure_archive(paths)
        remove_old_generations(paths)
        crashed = recover_crashed(paths, now)
        plan = RunPlan(run_id, str(paths.root), executor, list(source_refs), now.isoformat(),
                       settings.model_dump(mode="json"), crashed_runs=crashed, kind=kind)
        plan.dir.mkdir(parents=True)
        try:
            plan.save()  # from here a crash is found and recorded by the next run
            # The kinds that tag; on a Dask cluster the workers load the model, not this machine.
            if settings.entities and kind in ("run", "reprocess") and settings.runner != "dask":
                check_model(settings.spacy_model)
            if kind == "run":
                if entries is None:
                    entries, plan.listing = sources.plan_entries(source_refs, settings, paths, paths.listing)
                plan.entries, plan.later = entries[:settings.run_pages], entries[settings.run_pages:]
                plan.next_entries = plan.later[:settings.run_pages][:(READ_AHEAD + 1) * settings.shard_size]
                plan.save()
                if plan.entries:  # nothing to read, nothing to look up (a night with nothing new)
                    # The archive stays as the run found it until it publishes: the lock is ours.
                    write_snapshot(paths, plan.furniture_snapshot)
                    write_key_files(paths, plan.keys.folder)
            yield plan
        except BaseException as e:
            if plan.dir.exists():
                error = "".join(traceback.format_exception_only(type(e), e)).strip()
                row = run_row(plan, "failed", utcnow(), {"pages_read": len(plan.entries)}, error)
                publish(paths, plan.dir, {"runs": [row]})
            raise
        finally:
            stop_reading(run_id)


def _reject_row(r: Reject, run_id: str, now: datetime) -> dict:
    return {**asdict(r), "run_id": run_id, "rejected_at": now}


def dedup_and_tag(docs: list[Document], rows: list[dict], keys: ArchiveKeys, settings: Settings, stats: StageStats,
                  workers: Workers) -> tuple[list[dict], list[dict], list[dict], dict[str, list[dict]],
                                             list[tuple[Document, Reject]]]:
    """The shard's documents deduplicated (original rows, duplicate rows, version rows),
    the originals' tag rows, and the pages a tagger failed on. Such a page is rejected and
    the shard deduplicated again without it: a copy of it may be an original then, and is
    tagged in turn. Tag rows are kept by document, not by article id, which a page with
    the same canonical URL shares."""
    by_doc: dict[int, dict[str, list[dict]]] = {}
    failed: list[tuple[Document, Reject]] = []
    while True:
        with stats.stage("dedup", len(docs)) as s:
            found = deepcopy(keys)  # as the shard found them: a redo must not know a dropped page
            originals, duplicates, versions = find_duplicates(rows, found)
            # By row, not by article_id: a same-URL duplicate shares its original's id.
            kept = {id(row) for row in originals}
            s.pages_out = len(originals)
        final = [d for d, row in zip(docs, rows) if id(row) in kept]
        untagged = [d for d in final if id(d) not in by_doc]
        new, rejected = tag_documents(untagged, settings, stats, workers)
        owner = {d.article_id: d for d in untagged}  # originals have distinct ids
        for d in untagged:
            if d.article_id not in rejected:
                by_doc[id(d)] = {}
        for name, table_rows in new.items():
            for row in table_rows:
                by_doc[id(owner[row["article_id"]])].setdefault(name, []).append(row)
        if not rejected:
            tags = {name: [row for d in final for row in by_doc[id(d)].get(name, [])] for name in TAG_TABLES}
            return originals, duplicates, versions, tags, failed
        failed += [(owner[aid], reject) for aid, reject in rejected.items()]
        dropped = {id(owner[aid]) for aid in rejected}
        keep = [i for i, d in enumerate(docs) if id(d) not in dropped]
        docs, rows = [docs[i] for i in keep], [rows[i] for i in keep]


def _raw_page_row(raw: RawPage, digest: str, run_id: str) -> dict:
    return {
        "raw_hash": digest, "content": raw.content, "size": len(raw.content), "source_ref": raw.source_ref,
        "url": raw.url, "outlet_hint": raw.outlet, "fetched_at": raw.fetched_at,
        "fetched_at_method": raw.fetched_at_method, "http_status": raw.http_status,
        "headers": list(raw.headers.items()) if raw.headers else None,
        "listed_published": raw.listed_published, "listed_by": raw.listed_by, "run_id": run_id,
    }


# Shards read ahead, their extraction queued for the workers behind the current shard's
# tagging: two keep the workers busy through a shard's own work in this process
# (furniture, dedup, writing) and the reading of the next. The next part's first shards
# are read the same way during a run's last shard, for its finish.
READ_AHEAD = 2


@dataclass
class Fetched:
    """A shard's pages as read, their extraction handed to the workers: all but those the
    archive had when `key_files` were written."""
    entries: int
    raws: list[RawPage]
    digests: list[str]
    rejects: list[Reject]
    fetch_rows: list[dict]
    not_modified: int  # unchanged by the server's word (304)
    key_files: KeyFiles
    keys: ArchiveKeys  # the pages' keys in key_files
    stats: StageStats
    extraction: Batch


@dataclass
class ShardPages:
    """A shard's pages, looked up in the archive as its run found it."""
    entries: int
    rejects: list[Reject]
    fetch_rows: list[dict]
    unchanged: int  # archived already, or unchanged by the server's word (304)
    keys: ArchiveKeys
    raw_rows: dict[str, dict]  # the pages' bytes not archived already, by raw_hash
    stats: StageStats
    extraction: Batch  # may hold pages archived since they were read: keys.raw_hashes tells


def fetch_shard(entries: list[dict], settings: Settings, key_files: KeyFiles, workers: Workers,
                priority: int = 0) -> Fetched:
    """Read a shard's pages and hand the extraction of those not in `key_files` to `workers`."""
    stats = StageStats()
    with stats.stage("read", len(entries)) as s:
        raws, rejects, fetch_rows, not_modified = sources.read_entries(entries, settings)
        s.pages_out, s.rejected = len(raws), len(rejects)
        digests = [raw_hash(r.content) for r in raws]
        keys = ArchiveKeys.for_pages(key_files, set(digests), {r.source_ref for r in raws} | {r.source_ref for r in rejects})
    fresh, _ = drop_unchanged(raws, digests, keys)
    extraction = start_extraction(fresh, workers, settings.chunk_pages, settings.fast_extraction, priority)
    return Fetched(len(entries), raws, digests, rejects, fetch_rows, not_modified, key_files, keys, stats, extraction)


def looked_up(fetched: Fetched, plan: RunPlan) -> ShardPages:
    """The pages as `plan`'s run takes them. Read for it ahead of its start, they were
    looked up in the archive before the run before it published: they are looked up again."""
    keys = fetched.keys
    if fetched.key_files != plan.keys:
        refs = {r.source_ref for r in fetched.raws} | {r.source_ref for r in fetched.rejects}
        keys = ArchiveKeys.for_pages(plan.keys, set(fetched.digests), refs)
    # Kept once per distinct bytes, so the archive can be re-extracted without fetching.
    raw_rows = {}
    for raw, digest in zip(fetched.raws, fetched.digests):
        if raw.content and digest not in keys.stored_pages and digest not in raw_rows:
            raw_rows[digest] = _raw_page_row(raw, digest, plan.run_id)
    unchanged = sum(digest in keys.raw_hashes for digest in fetched.digests)
    return ShardPages(fetched.entries, fetched.rejects, fetched.fetch_rows, fetched.not_modified + unchanged, keys,
                      raw_rows, fetched.stats, fetched.extraction)


def read_shard(plan: RunPlan, index: int, workers: Workers, priority: int = 0) -> ShardPages:
    """Read one shard's pages and hand their extraction to `workers`. Looks only at the
    archive as the run found it, so it can run before the shards ahead of it are done."""
    entries = plan.entries[index * plan.shard_size:(index + 1) * plan.shard_size]
    fetched = _read_for_next_part(plan, index) or fetch_shard(entries, Settings(**plan.settings), plan.keys, workers,
                                                              priority)
    return looked_up(fetched, plan)


class NextPartReads:
    """The first shards of a job's next part, read during a run's last shard and looked up
    in that run's keys, their extraction queued behind its work: the workers extract them
    while the run finishes (finish_run uses one core). The next run looks them up again
    (looked_up); each is handed to it once, since the keys they were read with go when the
    run before publishes (a retried shard reads again)."""

    def __init__(self, plan: RunPlan, workers: Workers):
        settings, size = Settings(**plan.settings), plan.shard_size
        self.entries = plan.next_entries
        shards = [self.entries[i:i + size] for i in range(0, len(self.entries), size)]
        self._ahead = ReadAhead(lambda i: fetch_shard(shards[i], settings, plan.keys, workers, priority=-1),
                                len(shards), len(shards))
        self._ahead.begin()
        self._taken: set[int] = set()

    def take(self, plan: RunPlan, index: int) -> Fetched | None:
        """Shard `index` of `plan`, if read here and not taken yet."""
        if index in self._taken or index * plan.shard_size >= len(self.entries) \
                or plan.entries[:len(self.entries)] != self.entries:
            return None
        self._taken.add(index)
        return self._ahead.take(index)

    def wait(self) -> None:
        self._ahead.wait()

    def close(self) -> None:
        self._ahead.close()


_reading_lock = threading.Lock()
_reading: dict[str, ReadAhead[ShardPages]] = {}  # by run_id: the run whose shards this process works on
_next_part: dict[str, NextPartReads] = {}  # by archive


def shard_pages(plan: RunPlan, index: int, workers: Workers) -> ShardPages:
    """The shard's pages: read ahead where the workers run apart from this process (the
    next shards' extraction then waits for them at a lower priority), else read now.
    During a job's run's last shard, the next part's first shards are read."""
    if not workers.runs_apart():
        return read_shard(plan, index, workers)
    with _reading_lock:
        if plan.run_id not in _reading:
            _reading[plan.run_id] = ReadAhead(partial(read_shard, plan, workers=workers, priority=-1),
                                              plan.shard_count, READ_AHEAD)
        ahead = _reading[plan.run_id]
    pages = ahead.take(index)
    if index == plan.shard_count - 1 and plan.next_entries:  # after this run's last read: one reader at a time
        with _reading_lock:
            if earlier := _next_part.get(plan.archive):
                earlier.close()
            _next_part[plan.archive] = NextPartReads(plan, workers)
    return pages


def _read_for_next_part(plan: RunPlan, index: int) -> Fetched | None:
    with _reading_lock:
        reads = _next_part.get(plan.archive)
    return reads.take(plan, index) if reads else None


def wait_for_next_part(plan: RunPlan) -> None:
    """The next part's reads done before this run publishes: its keys go then."""
    with _reading_lock:
        reads = _next_part.get(plan.archive)
    if reads:
        reads.wait()


def stop_reading(run_id: str) -> None:
    with _reading_lock:
        if ahead := _reading.pop(run_id, None):
            ahead.close()


def stop_reading_next_part(archive: str) -> None:
    with _reading_lock:
        if reads := _next_part.pop(archive, None):
            reads.close()


def process_shard(plan_path: str, index: int) -> str:
    """Read, store, decode, extract, deduplicate and tag one shard; write its tables to staging."""
    plan = RunPlan.load(plan_path)
    settings = Settings(**plan.settings)
    paths = ArchivePaths(Path(plan.archive))
    now, run_id = utcnow(), plan.run_id
    workers = workers_for(settings)
    pages = shard_pages(plan, index, workers)
    stats, rejects, keys = pages.stats, list(pages.rejects), pages.keys
    earlier = {h for i in range(index) for h in pq.read_table(
        plan.shard_dir(i) / "raw_pages.parquet", columns=["raw_hash"])["raw_hash"].to_pylist()}
    raw_rows = [row for digest, row in pages.raw_rows.items() if digest not in earlier]
    docs, extract_rejects = extracted(pages.extraction, stats)
    docs = [d for d in docs if d.page.raw_hash not in keys.raw_hashes]  # archived since read (looked_up)
    rejects += extract_rejects
    keys.add_documents(plan.keys, {d.canonical_url for d in docs}, {d.content_hash for d in docs})
    with stats.stage("furniture", len(docs)) as s:
        # Articles already counted (archived, or in an earlier shard: copies and versions) are not counted again.
        staged = [plan.shard_dir(i) for i in range(index)]
        counted = {a for d in staged for a in read_table(d, TABLES["article_outlets"])["article_id"].to_pylist()}
        fresh = [not keys.knows(d.canonical_url, d.content_hash) and d.article_id not in counted for d in docs]
        stripped, line_rows = strip_learned_furniture(docs, settings, paths, plan.furniture_snapshot, staged, fresh)
        s.pages_out = len(stripped)

    originals, duplicates, versions, tags, failed = dedup_and_tag(
        stripped, [document_row(d, run_id, now) for d in stripped], keys, settings, stats, workers)
    keep_extracted(paths, run_id, index, docs, [d.article_id for d in stripped],
                   {row["article_id"]: row["lines"] for row in tags.pop(ENTITY_LINES)})
    if failed:  # their lines are not counted: the pages are not archived
        rejects += [reject for _, reject in failed]
        gone = {id(d) for d, _ in failed}
        counted_docs = [d for d, out, f in zip(docs, stripped, fresh) if f and id(out) not in gone]
        line_rows, _ = count_lines(counted_docs, outlets_of(counted_docs, settings, paths))

    fresh_rejects, known_rejects = drop_known_rejects(rejects, keys)
    out = plan.shard_dir(index)
    tables = {
        "documents": originals,
        **{name: [{**row, "run_id": run_id} for row in rows] for name, rows in tags.items()},
        "duplicates": [{**row, "run_id": run_id} for row in duplicates],
        "article_versions": [{**row, "run_id": run_id} for row in versions],
        "rejects": [_reject_row(r, run_id, now) for r in fresh_rejects],
        "raw_pages": raw_rows,
        "furniture_lines": [{**row, "run_id": run_id} for row in line_rows],
        "fetches": [{**row, "run_id": run_id} for row in pages.fetch_rows],
    }
    # Uncompressed: finish_run reads the shard back once and publishes it compressed;
    # compressing the pages' bytes here too cost the run's process 1.4 ms a page.
    write_tables(out, tables, compression="none")
    write_json(out / "stats.json", {
        "stages": stats.to_dict(), "pages_read": pages.entries, "pages_unchanged": pages.unchanged + known_rejects,
    })
    if index == plan.shard_count - 1:
        wait_for_next_part(plan)
    return str(out)


def near_duplicates(originals: list[dict], tables: dict[str, pa.Table], paths: ArchivePaths) -> tuple[
        list[dict], list[Signed], list[dict], dict[str, tuple[str, float]], dict[str, tuple[Signed, float]]]:
    """The run's articles that nearly duplicate an archived article or each other
    (pipeline/neardup.py). The wire service's own copy, then the earliest published, then
    the earliest fetched, is kept as the original, also over an archived copy. Returns
    the originals, their signatures, the duplicate rows, the archived articles that
    one of the run's articles replaces (id -> (replacing id, containment)), and the
    originals that are edited copies of a wire service's own copy (id -> (that copy,
    containment))."""
    def key(row: dict) -> tuple[str, int]:
        return row["article_id"], row[SHARD]

    published = {key(r): None if r["published_inferred"] else r["published_date"]
                 for r in tables["article_dates"].to_pylist()}
    wire_of = {key(r): r["wire_service"] for r in tables["article_outlets"].to_pylist()
               if r["wire_service"] and r["wire_service"] == r["outlet"]}
    own_copy = {k: True for k in wire_of}
    never = datetime.max.replace(tzinfo=timezone.utc)

    def rank(row: dict) -> tuple:
        return keep_rank(own_copy.get(key(row), False), published.get(key(row)))

    ordered = sorted(originals, key=lambda r: (*rank(r), r["fetched_at"] or never, r["source_ref"]))
    signature = {key(r): r for r in tables["neardup_signatures"].to_pylist()}
    signed = [signed_from_row(signature[key(r)]) for r in ordered]
    for s, row in zip(signed, ordered):
        s.rank, s.wire = rank(row), wire_of.get(key(row))
    near, demoted, copied = split_near_duplicates(signed, archived_candidates(paths, {k for s in signed for k in s.keys}))
    duplicates = [duplicate_row(ordered[i], match, "near_duplicate", similarity) for i, (match, similarity) in near.items()]
    kept = [i for i in range(len(ordered)) if i not in near]
    copies = {ordered[i]["article_id"]: match for i, match in copied.items()}
    return [ordered[i] for i in kept], [signed[i] for i in kept], duplicates, demoted, copies


def mark_wire_copies(outlets: pa.Table, copies: dict[str, tuple[Signed, float]]) -> pa.Table:
    """Edited copies of a wire service's own copy: syndicated, with that original; the wire
    service from the match where the copy itself claims none."""
    if not copies:
        return outlets
    rows = outlets.to_pylist()
    for row in rows:
        if (match := copies.get(row["article_id"])) is None:
            continue
        original, score = match
        if row["wire_service"] not in (None, original.wire):  # it claims another wire service's copy
            continue
        row |= {"is_syndicated": True, "original_article_id": original.article_id}
        if not row["wire_service"]:
            row |= {"wire_service": original.wire, "wire_method": "near_duplicate",
                    "wire_evidence": f"{score:.2f} of its text in {original.wire}'s copy {original.article_id}"}
    return pa.Table.from_pylist(rows, schema=outlets.schema)


# Tables whose rows belong to one article: an archived article replaced by a better copy leaves them.
PER_ARTICLE = (*ARTICLE_TABLES, "postings", "search_docs", "neardup_signatures", "neardup_bands", "story_members")
# Columns that point at an article: they follow it to the copy that replaces it.
POINTERS = (("duplicates", "matched_article_id"), ("article_versions", "article_id"),
            ("story_members", "matched_article_id"), ("article_outlets", "original_article_id"))


def replace_archived(paths: ArchivePaths, run_id: str,
                     demoted: dict[str, tuple[str, float]]) -> tuple[dict[str, str], list[dict]]:
    """Archived articles that a better copy in this run replaces: their rows leave the run
    folders that hold them (rewritten, for `publish_generation`), each becomes a
    duplicate of the copy kept, and duplicates that matched it now match that copy.
    Returns the rewritten folders (old name -> new) and the new duplicate rows."""
    con = duckdb.connect()
    con.register("ids", pa.table({"article_id": pa.array(sorted(demoted), pa.string())}))
    docs = con.execute(f"""
        SELECT article_id, source_ref, url, canonical_url, raw_hash, parse_dirpath(filename)
        FROM {paths.parquet("documents", filename=True)} SEMI JOIN ids USING (article_id)
    """).fetchall()
    pointing = con.execute(" UNION ".join(
        f"SELECT parse_dirpath(filename) FROM {paths.parquet(table, filename=True)} "
        f"WHERE {column} IN (SELECT article_id FROM ids)"
        for table, column in POINTERS)).fetchall()
    ids = pa.array(sorted(demoted), pa.string())
    gone = {old: new for old, (new, _) in demoted.items()}
    renamed = {}
    for folder in sorted({Path(f).name for *_, f in docs} | {Path(f).name for (f,) in pointing}):
        tables = {name: read_table(paths.data / folder, TABLES[name]) for name in (*PER_ARTICLE, "duplicates", "article_versions")}
        tables |= {name: t.filter(pc.invert(pc.is_in(t["article_id"], value_set=ids))) for name, t in tables.items()
                   if name in PER_ARTICLE}
        for table, column in POINTERS:
            tables[table] = repoint(tables[table], column, gone)
        renamed[folder] = stage_rewrite(paths, run_id, folder, tables)
    rows = [duplicate_row({"source_ref": ref, "url": url, "canonical_url": canonical, "raw_hash": raw},
                          demoted[aid][0], "near_duplicate", demoted[aid][1])
            for aid, ref, url, canonical, raw, _ in docs]
    return renamed, rows


def replaced_ids(documents: list[dict], originals: list[dict], duplicates: list[dict],
                 demoted: dict[str, tuple[str, float]]) -> dict[str, str]:
    """The ids of articles not kept, each with the article kept in their place."""
    kept = {r["article_id"] for r in originals}
    by_raw = {r["raw_hash"]: r["article_id"] for r in documents}
    gone = {by_raw[d["raw_hash"]]: d["matched_article_id"] for d in duplicates
            if d["raw_hash"] in by_raw and by_raw[d["raw_hash"]] not in kept}
    return gone | {old: new for old, (new, _) in demoted.items()}


def repoint(table: pa.Table, column: str, gone: dict[str, str]) -> pa.Table:
    def kept(aid: str | None) -> str | None:
        seen = set()
        while aid in gone and aid not in seen:
            seen.add(aid)
            aid = gone[aid]
        return aid

    if not gone:
        return table
    values = pa.array([kept(a) for a in table[column].to_pylist()], table.schema.field(column).type)
    return table.set_column(table.schema.get_field_index(column), table.schema.field(column), values)


def stated_story_dates(paths: ArchivePaths, tables: dict[str, pa.Table], story_ids: set[str]) -> dict[str, list[date]]:
    """The dates the members of each story state (not inferred ones), archived and new."""
    con = duckdb.connect()
    con.register("wanted", pa.table({"story_id": pa.array(sorted(story_ids), pa.string())}))
    con.register("new_members", tables["story_members"].select(["article_id", "story_id"]))
    con.register("new_dates", tables["article_dates"].select(["article_id", "published_date", "published_inferred"]))
    rows = con.execute(f"""
        WITH members AS (
            SELECT article_id, story_id FROM {paths.parquet('story_members')} SEMI JOIN wanted USING (story_id)
            UNION ALL SELECT article_id, story_id FROM new_members SEMI JOIN wanted USING (story_id)
        ), dated AS (
            SELECT article_id, published_date, published_inferred FROM {paths.parquet('article_dates')}
            SEMI JOIN members USING (article_id) ANTI JOIN new_dates USING (article_id)
            UNION ALL SELECT * FROM new_dates
        )
        SELECT story_id, list(DISTINCT published_date) FROM members JOIN dated USING (article_id)
        WHERE published_date IS NOT NULL AND published_inferred IS NOT TRUE
        GROUP BY story_id
    """).fetchall()
    return dict(rows)


def dates_from_stories(tables: dict[str, pa.Table], paths: ArchivePaths) -> dict[str, pa.Table]:
    """The run's articles dated by no more than a weekday, re-dated next to their story's
    stated dates (pipeline/tag/dates.py): the date tables that change."""
    waiting = {r["article_id"]: r for r in tables["article_dates"].to_pylist() if r["published_method"] in REDATABLE}
    story_of = {aid: story for aid, story in zip(*(tables["story_members"][c].to_pylist() for c in ("article_id", "story_id")))
                if aid in waiting}
    if not story_of:
        return {}
    stated = stated_story_dates(paths, tables, set(story_of.values()))
    texts = dict(zip(*(tables["documents"][c].to_pylist() for c in ("article_id", "text"))))
    fetched = dict(zip(*(tables["documents"][c].to_pylist() for c in ("article_id", "fetched_at"))))
    changed = {aid: got for aid, story in story_of.items()
               if (got := redate_from_story(waiting[aid], texts[aid], stated.get(story, []), fetched[aid]))}
    return redated_tables(tables, changed, texts) if changed else {}


def redated_tables(tables: dict[str, pa.Table], changed: dict[str, tuple[dict, Candidate]],
                   texts: dict[str, str]) -> dict[str, pa.Table]:
    """The date tables with the `changed` articles' new dates: the new row, the new candidate
    chosen and the old one a candidate, the date mentions read anew from the new date. Rows
    keep the run they came with."""
    run_of = {r["article_id"]: r["run_id"] for r in tables["article_dates"].to_pylist() if r["article_id"] in changed}
    dates = [{**changed[r["article_id"]][0], "run_id": r["run_id"]} if r["article_id"] in changed else r
             for r in tables["article_dates"].to_pylist()]
    candidates = [{**r, "status": "candidate"} if r["article_id"] in changed and r["status"] == "chosen" else r
                  for r in tables["date_candidates"].to_pylist()]
    candidates += [{**candidate_rows(aid, [c])[0], "run_id": run_of[aid]} for aid, (_, c) in changed.items()]
    mentions = [r for r in tables["date_mentions"].to_pylist() if r["article_id"] not in changed]
    mentions += [{**row, "run_id": run_of[aid]} for aid, (date_row, _) in changed.items()
                 for row in date_mention_rows(aid, texts[aid], date_row["published_date"])]
    return {"article_dates": to_arrow(TABLES["article_dates"], dates),
            "date_candidates": to_arrow(TABLES["date_candidates"], candidates),
            "date_mentions": to_arrow(TABLES["date_mentions"], mentions)}


def redate_archived(paths: ArchivePaths, run_id: str, tables: dict[str, pa.Table], renamed: dict[str, str],
                    gone: set[str]) -> dict[str, str]:
    """Archived articles dated by no more than a weekday, in the stories this run's articles
    bring a stated date to, re-dated next to the dates those stories state, as the run's own are: a
    weekday-only copy archived before its story's dated ones had kept its fetch week. Their
    run folders are rewritten to be published with this run (`renamed`, as replace_archived's;
    a folder it already rewrote is changed where staged). Returns the folders rewritten here.
    `gone`: archived articles this run replaced."""
    stated_new = {r["article_id"] for r in tables["article_dates"].to_pylist()
                  if r["published_date"] is not None and not r["published_inferred"]}
    members = dict(zip(*(tables["story_members"][c].to_pylist() for c in ("article_id", "story_id"))))
    # A story begun in this run has no archived member: its id is its first article's.
    stories = {story for aid, story in members.items() if aid in stated_new and story not in members}
    if not stories:
        return {}
    con = duckdb.connect()
    con.register("stories", pa.table({"story_id": pa.array(sorted(stories), pa.string())}))
    con.register("new_dates", tables["article_dates"].select(["article_id"]))
    waiting = con.execute(f"""
        SELECT d.article_id, d.published_method, m.story_id, parse_dirpath(d.filename)
        FROM {paths.parquet('article_dates', filename=True)} d JOIN {paths.parquet('story_members')} m USING (article_id)
        WHERE m.story_id IN (SELECT story_id FROM stories) AND d.published_method IN {tuple(REDATABLE)}
          AND d.article_id NOT IN (SELECT article_id FROM new_dates)
    """).fetchall()
    waiting = [w for w in waiting if w[0] not in gone]
    if not waiting:
        return {}
    con.register("waiting", pa.table({"article_id": pa.array([w[0] for w in waiting], pa.string())}))
    read = {aid: (text, fetched) for aid, text, fetched in con.execute(
        f"SELECT article_id, text, fetched_at FROM {paths.parquet('documents')} SEMI JOIN waiting USING (article_id)"
    ).fetchall()}
    stated = stated_story_dates(paths, tables, {story for _, _, story, _ in waiting})
    changed: dict[str, dict[str, tuple[dict, Candidate]]] = {}
    for aid, method, story, folder in waiting:
        text, fetched = read[aid]
        if got := redate_from_story({"article_id": aid, "published_method": method}, text, stated.get(story, []), fetched):
            changed.setdefault(Path(folder).name, {})[aid] = got
    texts = {aid: read[aid][0] for redated in changed.values() for aid in redated}
    rewritten = {}
    for folder, redated in changed.items():
        staged = paths.staging / run_id / "rewritten" / renamed[folder] if folder in renamed else None
        source = staged or paths.data / folder
        dated = redated_tables({name: read_table(source, TABLES[name]) for name in DATE_TABLES}, redated, texts)
        if staged:
            write_tables(staged, dated)
        else:
            rewritten[folder] = stage_rewrite(paths, run_id, folder, dated)
    return rewritten


def finish_run(plan_path: str, shard_dirs: list[str]) -> RunSummary:
    """Deduplicate across shards, index, write the runs row, and publish the run whole."""
    plan = RunPlan.load(plan_path)
    paths = ArchivePaths(Path(plan.archive))
    stats, pages_read, unchanged = StageStats(), 0, 0
    if plan.listing:
        skipped = sum(plan.listing.get(k, 0) for k in ("unchanged", "quarantined", "out_of_range"))
        stats.add("list", StageCount(pages_in=plan.listing["listed"], pages_out=plan.listing["listed"] - skipped))
    shards: dict[str, list[pa.Table]] = {name: [] for name in SHARD_TABLES}
    for index, shard in enumerate(map(Path, shard_dirs)):
        info = json.loads((shard / "stats.json").read_text())
        stats.merge(StageStats.from_dict(info["stages"]))
        pages_read += info["pages_read"]
        unchanged += info["pages_unchanged"]
        for name in SHARD_TABLES:
            t = read_table(shard, TABLES[name])
            shards[name].append(t.append_column(SHARD, pa.array([index] * t.num_rows, pa.int32())))
    tables = {name: pa.concat_tables(parts) if parts else TABLES[name].schema.append(pa.field(SHARD, pa.int32())).empty_table()
              for name, parts in shards.items()}
    # The run's page bytes are final once its shards are read, and compressing them is the
    # publish's longest write (0.9 s of a 1,500-page run's 1.0): done now, beside the
    # deduplication and the index, on a core the workers have left idle.
    raw_pages = write_table_soon(plan.dir / "early", TABLES["raw_pages"], tables.pop("raw_pages").drop_columns([SHARD]))

    # Shards deduplicated against the archive; the same page may still sit in two shards.
    # A duplicate can share its original's article_id (same URL, or same text and no URL),
    # so rows are kept by (article_id, shard), not by id alone.
    documents = tables["documents"].to_pylist()
    keys = ArchiveKeys()
    if documents:
        keys.add_documents(plan.keys, {r["canonical_url"] for r in documents}, {r["content_hash"] for r in documents})
    originals, duplicates, versions = find_duplicates(documents, keys)
    with stats.stage("near_dup", len(originals)) as s:
        originals, signed, near, demoted, copies = near_duplicates(originals, tables, paths)
        tables["article_outlets"] = mark_wire_copies(tables["article_outlets"], copies)
        duplicates += near
        renamed, replaced = replace_archived(paths, plan.run_id, demoted) if demoted else ({}, [])
        duplicates += replaced
        s.pages_out = len(originals)
    # Shards numbered their versions each on its own; one article may have new versions in two.
    numbered, twice = number_versions(tables["article_versions"].to_pylist() + versions, paths)
    duplicates += twice
    tables["article_versions"] = pa.Table.from_pylist(
        [{**row, "run_id": plan.run_id, SHARD: -1} for row in numbered], schema=tables["article_versions"].schema)
    if duplicates or versions:
        kept_keys = pa.array([f"{r['article_id']}/{r[SHARD]}" for r in originals], pa.string())
        for name in ARTICLE_TABLES:
            t = tables[name]
            row_keys = pc.binary_join_element_wise(t["article_id"], pc.cast(t[SHARD], pa.string()), "/")
            tables[name] = t.filter(pc.is_in(row_keys, value_set=kept_keys))
        tables["duplicates"] = pa.concat_tables([
            tables["duplicates"],
            pa.Table.from_pylist([{**row, "run_id": plan.run_id, SHARD: -1} for row in duplicates],
                                 schema=tables["duplicates"].schema),
        ])
    tables = {name: t.drop_columns([SHARD]) for name, t in tables.items()}
    tables["furniture_lines"] = run_lines(tables["furniture_lines"])
    tables["article_outlets"], named = name_outlets(tables["documents"], tables["article_outlets"], paths, plan.run_id)
    tables["outlet_names"] = to_arrow(TABLES["outlet_names"], named)
    with stats.stage("stories", tables["documents"].num_rows) as s:
        tables["story_members"] = to_arrow(TABLES["story_members"], [{**row, "run_id": plan.run_id} for row in group_stories(
            tables["documents"], tables["article_dates"], tables["mentions"], paths)])
        s.pages_out = tables["documents"].num_rows
    with stats.stage("story_dates", tables["documents"].num_rows) as s:
        tables |= dates_from_stories(tables, paths)
        renamed |= redate_archived(paths, plan.run_id, tables, renamed, set(demoted))
        s.pages_out = tables["documents"].num_rows
    # Rows that point at an article this run did not keep (a shard's duplicates and versions
    # of a page that turned out a copy, links to a replaced archived article) follow it.
    gone = replaced_ids(documents, originals, duplicates, demoted)
    for name, column in POINTERS:
        tables[name] = repoint(tables[name], column, gone)

    with stats.stage("index", tables["documents"].num_rows) as s:
        tables["postings"], tables["search_docs"] = build_postings(tables["documents"])
        tables["neardup_signatures"], tables["neardup_bands"] = index_tables(signed)
        s.pages_out = tables["documents"].num_rows

    rejects_by_reason: dict[str, int] = {}
    for reason in tables["rejects"]["reason"].to_pylist():
        rejects_by_reason[reason] = rejects_by_reason.get(reason, 0) + 1
    counts = {
        "pages_read": pages_read, "pages_unchanged": unchanged,
        "articles_archived": tables["documents"].num_rows, "versions": tables["article_versions"].num_rows,
        "duplicates": tables["duplicates"].num_rows,
        "rejected": tables["rejects"].num_rows, "mentions": tables["mentions"].num_rows,
    }
    settings = Settings(**plan.settings)
    thresholds = (settings.furniture_min_articles, settings.furniture_min_share)
    learned = newly_learned(learned_lines(paths, *thresholds, plan.furniture_snapshot),
                            learned_lines(paths, *thresholds, plan.furniture_snapshot, [Path(d) for d in shard_dirs])
                            ) if shard_dirs else {}
    finished = utcnow()
    row = run_row(plan, "succeeded", finished, counts)
    tables["runs"] = [row]
    tables["run_stages"] = [{"run_id": plan.run_id, **r} for r in stats.rows()]
    tables["raw_pages"] = raw_pages
    if renamed:  # archived articles replaced: their run folders change with this run, at once
        publish_generation(paths, plan.run_id, tables, renamed)
    else:
        publish(paths, plan.dir, tables)
    return RunSummary(
        run_id=plan.run_id, archive=plan.archive, status="succeeded", duration_s=row["duration_s"],
        rejects_by_reason=rejects_by_reason, crashed_runs_found=plan.crashed_runs,
        furniture_learned=sum(map(len, learned.values())), listing=plan.listing, **counts,
    )
