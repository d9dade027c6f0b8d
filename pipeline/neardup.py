"""Near-duplicates: wire copies and republished articles with small edits.

A text is the set of its word 5-grams (lower case, letter-or-digit runs); datasketch's
MinHash gives each text a signature whose agreement with another estimates the
Jaccard similarity of the two sets. Locality-sensitive hashing splits a signature into
bands; texts that agree on a whole band are candidates, so a new page is compared only
with the few archived articles that share a band key with it, whatever the archive's
size. A candidate is a near-duplicate when the estimated containment of the shorter
text in the longer one reaches CONTAINMENT: a copy with a new headline or paragraph,
or cut to its first paragraphs, still lies mostly inside the original. The layout and
threshold were chosen with `python -m bench.neardup` (precision 1.000, recall 0.992 on
copies of real pages; 0.8 gave recall 0.967).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
from datasketch import MinHash

from pipeline.store import ArchivePaths

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS, ROWS = 32, 4
CONTAINMENT = 0.7
# An article kept as its own (below CONTAINMENT) that still shares half of its text with a
# wire service's own copy is an edited copy of it: syndicated, with that original.
SYNDICATED = 0.5
SEED = 1
WORDS = re.compile(r"[^\W_]+")


def shingles(text: str) -> list[bytes]:
    words = WORDS.findall(text.lower())
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words).encode()] if words else []
    return list({" ".join(words[i:i + SHINGLE_WORDS]).encode() for i in range(len(words) - SHINGLE_WORDS + 1)})


def signatures(texts: list[str]) -> tuple[list[np.ndarray], list[int]]:
    """Each text's MinHash signature and its number of distinct shingles."""
    sets = [shingles(t) for t in texts]
    hashes = MinHash.bulk(sets, num_perm=NUM_PERM, seed=SEED)
    return [h.hashvalues.astype(np.uint32) for h in hashes], [len(s) for s in sets]


def band_keys(signature: np.ndarray) -> list[int]:
    """One 63-bit key per band; equal keys mean the band's rows all agree."""
    return [
        int.from_bytes(hashlib.blake2b(bytes([band]) + signature[band * ROWS:(band + 1) * ROWS].tobytes(),
                                       digest_size=8).digest(), "big") >> 1
        for band in range(BANDS)
    ]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


def containment(a: np.ndarray, size_a: int, b: np.ndarray, size_b: int) -> float:
    """Estimated share of the smaller shingle set that lies in the other."""
    j = jaccard(a, b)
    if not size_a or not size_b:
        return 0.0
    overlap = j * (size_a + size_b) / (1 + j)
    return min(1.0, overlap / min(size_a, size_b))


@dataclass
class Signed:
    article_id: str
    signature: np.ndarray
    size: int
    # Which copy to keep: lower first (the wire service's own copy, then the earliest published).
    rank: tuple = ()
    archived: bool = False
    wire: str | None = None  # the wire service, when this is its own copy

    @property
    def keys(self) -> list[int]:
        return band_keys(self.signature)


def sign(article_ids: list[str], texts: list[str]) -> list[Signed]:
    sigs, sizes = signatures(texts)
    return [Signed(a, s, n) for a, s, n in zip(article_ids, sigs, sizes)]


def signature_rows(article_ids: list[str], texts: list[str]) -> list[dict]:
    """`neardup_signatures` rows: signed where the taggers run, in the worker processes."""
    return [{"article_id": s.article_id, "shingles": s.size, "signature": s.signature.tolist()}
            for s in sign(article_ids, texts)]


def signed_from_row(row: dict) -> Signed:
    return Signed(row["article_id"], np.array(row["signature"], dtype=np.uint32), row["shingles"])


def archived_candidates(paths: ArchivePaths, keys: set[int]) -> list[Signed]:
    """The archived articles that share a band key with any of `keys`, read through the
    persisted index: the cost follows the new pages, not the archive's size."""
    con = duckdb.connect()
    con.register("wanted", pa.table({"band_key": pa.array(sorted(keys), pa.int64())}))
    hits = con.execute(f"""
        SELECT DISTINCT article_id
        FROM {paths.parquet('neardup_bands')} SEMI JOIN wanted USING (band_key)
    """).fetchall()
    # Signatures are read by id: the files are sorted by id, so few row groups are read.
    con.register("hits", pa.table({"article_id": pa.array([a for (a,) in hits], pa.string())}))
    rows = con.execute(f"""
        WITH s AS (
            SELECT article_id, signature, shingles
            FROM {paths.parquet('neardup_signatures')}
            WHERE article_id IN (SELECT article_id FROM hits)
        )
        SELECT s.article_id, s.signature, s.shingles, if(p.published_inferred, NULL, p.published_date),
               coalesce(o.wire_service = o.outlet, false) AS own_copy, o.wire_service
        FROM s
        LEFT JOIN {paths.parquet('article_dates')} p USING (article_id)
        LEFT JOIN {paths.parquet('article_outlets')} o USING (article_id)
    """).fetchall()
    return [Signed(a, np.array(sig, dtype=np.uint32), n, keep_rank(own, published), archived=True,
                   wire=wire if own else None)
            for a, sig, n, published, own, wire in rows]


def keep_rank(own_copy: bool, published: date | None) -> tuple:
    return (not own_copy, published or date.max)


def split_near_duplicates(docs: list[Signed], archived: list[Signed]) -> tuple[
        dict[int, tuple[str, float]], dict[str, tuple[str, float]], dict[int, tuple[Signed, float]]]:
    """For each document (by position) that nearly duplicates an archived article or an
    earlier document of `docs`: the article it matches and the containment. `docs` come
    in the order in which they should be kept as originals. A document that ranks before
    the archived article it matches (the wire service's own copy, or published earlier)
    is kept instead: the second result maps each such archived article to the document
    that takes its place, and the containment. The third maps each document kept that is
    an edited copy of a wire service's own copy (SYNDICATED or more) to that copy."""
    buckets: dict[int, list[Signed]] = defaultdict(list)
    for s in archived:
        for key in s.keys:
            buckets[key].append(s)
    found: dict[int, tuple[str, float]] = {}
    demoted: dict[str, tuple[str, float]] = {}
    copied: dict[int, tuple[Signed, float]] = {}
    for i, doc in enumerate(docs):
        keys = doc.keys
        seen, best, best_score, wire, wire_score = set(), None, 0.0, None, 0.0
        for key in keys:
            for other in buckets.get(key, ()):
                if other.article_id in seen or other.article_id == doc.article_id:
                    continue
                seen.add(other.article_id)
                score = containment(doc.signature, doc.size, other.signature, other.size)
                if score > best_score:
                    best, best_score = other, score
                if other.wire and score > wire_score:
                    wire, wire_score = other, score
        if wire is not None and SYNDICATED <= wire_score < CONTAINMENT and not doc.wire:
            copied[i] = (wire, round(wire_score, 4))
        if best is not None and best_score >= CONTAINMENT:
            if best.archived and best.article_id not in demoted and doc.rank and doc.rank < best.rank:
                demoted[best.article_id] = (doc.article_id, round(best_score, 4))
            else:
                kept = demoted.get(best.article_id, (best.article_id,))[0]
                found[i] = (kept, round(best_score, 4))
                continue
        for key in keys:
            buckets[key].append(doc)
    return found, demoted, copied


def index_tables(signed: list[Signed]) -> tuple[pa.Table, pa.Table]:
    """The persisted index of the archived articles: signatures, and band keys."""
    sigs = pa.table({
        "article_id": pa.array([s.article_id for s in signed], pa.string()),
        "shingles": pa.array([s.size for s in signed], pa.int32()),
        "signature": pa.array([s.signature.tolist() for s in signed], pa.list_(pa.uint32())),
    })
    bands = pa.table({
        "band_key": pa.array([k for s in signed for k in s.keys], pa.int64()),
        "article_id": pa.array([s.article_id for s in signed for _ in range(BANDS)], pa.string()),
    })
    return sigs, bands
