"""The documents a job extracted, as extraction left them (before learned furniture was
stripped), kept until the job's furniture check: the articles that furniture learned
later in the job made stale are stripped again from these instead of being extracted
again from their raw pages. In a first import, where every outlet's furniture is still
to be learned, that was a third of the job's pages extracted twice (`make bench`).

Kept by the id the run archived each under, with its page (source and bytes): copies of
a page in the job (a duplicate, the same bytes fetched again) give the same id, and only
the archived page's document is that article's. One file per shard, written whole under
a temporary name and renamed; only the job's own runs' files are read. An article not
found here (archived by an earlier job, or its file gone) is extracted again, as before.
Pickle, since the files live and die within one job of one version of this code.
"""

from __future__ import annotations

import pickle
import shutil

from pipeline.records import Document
from pipeline.store import ArchivePaths


# (article id, source_ref, raw_hash): an archived article's, in `documents`.
Key = tuple[str, str, str]


def key_of(article: dict) -> Key:
    return article["article_id"], article["source_ref"], article["raw_hash"]


def keep_extracted(paths: ArchivePaths, run_id: str, shard: int, extracted: list[Document],
                   archived_ids: list[str]) -> None:
    """A shard's documents before learned furniture was stripped, by the id each would be
    archived under (after stripping) and its page."""
    folder = paths.extracted
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}-{shard:05d}.pickle"
    tmp = folder / f".{path.name}.tmp"
    with open(tmp, "wb") as f:
        kept = {(a, d.raw.source_ref, d.page.raw_hash): d for a, d in zip(archived_ids, extracted)}
        pickle.dump(kept, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def read_extracted(paths: ArchivePaths, run_ids: list[str], articles: set[Key]) -> dict[Key, Document]:
    """The kept documents of these articles (key_of), from the files of these runs."""
    found: dict[Key, Document] = {}
    for run_id in run_ids:
        for path in sorted(paths.extracted.glob(f"{run_id}-*.pickle")):
            with open(path, "rb") as f:
                found |= {key: doc for key, doc in pickle.load(f).items() if key in articles}
    return found


def forget_extracted(paths: ArchivePaths, run_ids: list[str] | None = None) -> None:
    """The files of these runs, or all of them."""
    if run_ids is None:
        shutil.rmtree(paths.extracted, ignore_errors=True)
        return
    for run_id in run_ids:
        for path in paths.extracted.glob(f"{run_id}-*.pickle"):
            path.unlink(missing_ok=True)
    if paths.extracted.is_dir() and not any(paths.extracted.iterdir()):
        paths.extracted.rmdir()
