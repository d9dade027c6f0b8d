"""Deduplication against the whole archive and within the run: same bytes, same
canonical URL, same normalised text. Duplicates are recorded, not dropped silently."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.decode import raw_hash
from pipeline.records import RawPage, Reject
from pipeline.store import ArchivePaths, scan


@dataclass
class ArchiveKeys:
    urls: dict[str, str]            # canonical_url -> article_id
    hashes: dict[str, str]          # content_hash -> article_id
    raw_hashes: set[str]            # bytes already archived, or already recorded as a duplicate
    rejected: set[tuple[str, str]]  # (source_ref, raw_hash) already rejected
    stored_pages: set[str] = field(default_factory=set)  # raw_hash of every page in raw_pages

    @classmethod
    def load(cls, paths: ArchivePaths) -> ArchiveKeys:
        docs = scan(paths, "documents", "article_id, canonical_url, content_hash, raw_hash").fetchall()
        dup_raw = scan(paths, "duplicates", "raw_hash").fetchall()
        rejected = scan(paths, "rejects", "source_ref, coalesce(raw_hash, '')").fetchall()
        stored = scan(paths, "raw_pages", "raw_hash").fetchall()
        return cls(
            urls={url: aid for aid, url, _, _ in docs if url},
            hashes={h: aid for aid, _, h, _ in docs},
            raw_hashes={r for *_, r in docs} | {r for (r,) in dup_raw},
            rejected={(ref, h) for ref, h in rejected},
            stored_pages={h for (h,) in stored},
        )


    def knows(self, canonical_url: str | None, digest: str) -> bool:
        return bool(canonical_url and canonical_url in self.urls) or digest in self.hashes


def drop_unchanged(raws: list[RawPage], keys: ArchiveKeys) -> tuple[list[RawPage], int]:
    """Pages whose exact bytes the archive has already taken are skipped: re-running on the
    same input adds nothing."""
    fresh = [r for r in raws if raw_hash(r.content) not in keys.raw_hashes]
    return fresh, len(raws) - len(fresh)


def drop_known_rejects(rejects: list[Reject], keys: ArchiveKeys) -> tuple[list[Reject], int]:
    fresh = [r for r in rejects if (r.source_ref, r.raw_hash or "") not in keys.rejected]
    return fresh, len(rejects) - len(fresh)


def find_duplicates(documents: list[dict], keys: ArchiveKeys) -> tuple[list[dict], list[dict]]:
    """Split document rows into originals and duplicate rows, in order: the first copy of
    a URL or a text is the original. `keys` learns the originals, so later batches
    compare against them too."""
    originals, duplicates = [], []
    for doc in documents:
        url, digest = doc["canonical_url"], doc["content_hash"]
        if url and url in keys.urls:
            match, method = keys.urls[url], "canonical_url"
        elif digest in keys.hashes:
            match, method = keys.hashes[digest], "content_hash"
        else:
            originals.append(doc)
            if url:
                keys.urls[url] = doc["article_id"]
            keys.hashes[digest] = doc["article_id"]
            continue
        duplicates.append(duplicate_row(doc, match, method, 1.0))
    return originals, duplicates


def duplicate_row(doc: dict, matched_article_id: str, method: str, similarity: float) -> dict:
    return {
        "source_ref": doc["source_ref"], "url": doc["url"], "canonical_url": doc["canonical_url"],
        "raw_hash": doc["raw_hash"], "matched_article_id": matched_article_id, "method": method,
        "similarity": similarity,
    }
