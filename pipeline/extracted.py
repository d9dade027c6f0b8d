"""The documents a job extracted, as extraction left them (before learned furniture was
stripped), kept until the job's furniture check: the articles that furniture learned
later in the job made stale are stripped again from these instead of being extracted
again from their raw pages. In a first import, where every outlet's furniture is still
to be learned, that was a third of the job's pages extracted twice (`make bench`). Each
document comes with the entity tagger's parse of its lines (`Document.entity_lines`):
the check took lines out and changed none, so spaCy reads none of them again.

Kept by the id the run archived each under, with its page (source and bytes): copies of
a page in the job (a duplicate, the same bytes fetched again) give the same id, and only
the archived page's document is that article's. One file per shard, written whole under
a temporary name and renamed; only the job's own runs' files are read. An article not
found here (archived by an earlier job, or its file gone or unreadable) is extracted again,
as before. JSON, read back into the typed records by pydantic, not pickle: the archive may
be on a shared filesystem (a Dask cluster's), and reading a pickle runs whatever code its
writer put in it. One line a document, its key first, so that a batch of the check parses
only its own documents (a job's check reads its runs' files once a batch).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

from pydantic import TypeAdapter

from pipeline.records import Document, ParsedLines
from pipeline.store import ArchivePaths

# (article id, source_ref, raw_hash): an archived article's, in `documents`.
Key = tuple[str, str, str]
DOCUMENT = TypeAdapter(Document)


def key_of(article: dict) -> Key:
    return article["article_id"], article["source_ref"], article["raw_hash"]


def keep_extracted(paths: ArchivePaths, run_id: str, shard: int, extracted: list[Document],
                   archived_ids: list[str], parses: dict[str, ParsedLines]) -> None:
    """A shard's documents before learned furniture was stripped, by the id each would be
    archived under (after stripping) and its page, each with the entity tagger's parse of
    its lines where it was tagged (`parses`, by article id)."""
    folder = paths.extracted
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}-{shard:05d}.jsonl"
    tmp = folder / f".{path.name}.tmp"
    # JSON escapes tabs and line breaks within strings: neither occurs in a line but as these separators.
    lines = (json.dumps([a, d.raw.source_ref, d.page.raw_hash]).encode() + b"\t"
             + DOCUMENT.dump_json(replace(d, entity_lines=parses.get(a, {}))) + b"\n"
             for a, d in zip(archived_ids, extracted))
    tmp.write_bytes(b"".join(lines))
    tmp.replace(path)


def read_extracted(paths: ArchivePaths, run_ids: list[str], articles: set[Key]) -> dict[Key, Document]:
    """The kept documents of these articles (key_of), from the files of these runs."""
    found: dict[Key, Document] = {}
    for run_id in run_ids:
        for path in sorted(paths.extracted.glob(f"{run_id}-*.jsonl")):
            try:
                lines = path.read_bytes().splitlines()
            except OSError:
                continue
            for line in lines:
                key, _, doc = line.partition(b"\t")
                try:
                    if (key := tuple(json.loads(key))) in articles:
                        found[key] = DOCUMENT.validate_json(doc)
                except (ValueError, TypeError):  # a line cut short or not ours (pydantic's ValidationError is a ValueError)
                    continue
    return found


def forget_extracted(paths: ArchivePaths, run_ids: list[str] | None = None) -> None:
    """The files of these runs, or all of them."""
    if run_ids is None:
        shutil.rmtree(paths.extracted, ignore_errors=True)
        return
    for run_id in run_ids:
        for path in paths.extracted.glob(f"{run_id}-*.jsonl"):
            path.unlink(missing_ok=True)
    if paths.extracted.is_dir() and not any(paths.extracted.iterdir()):
        paths.extracted.rmdir()
