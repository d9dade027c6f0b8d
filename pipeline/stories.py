"""Stories: the articles of different outlets about one event, under one story_id.

A new article is compared with the archived articles, and the run's earlier ones, that
share a named entity with it and were published within WINDOW_DAYS of it, or are
undated (a pair without both dates must score THRESHOLD_UNDATED; a date inferred from
the fetch time counts as none). The score is the
mean of two parts: the entities both mention, weighted by rarity (an entity in every
story says little), as a weighted Jaccard; and the cosine similarity of their content
words (spaCy's English stop words left out). The article
joins the story of its best match when the score reaches THRESHOLD and they share at
least MIN_SHARED entities; otherwise it starts a story of its own, whose id is its
article_id. Story ids never change when articles join. Each membership is stored with
the article it matched, the score and its parts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pyarrow as pa
from spacy.lang.en.stop_words import STOP_WORDS

from pipeline.store import ArchivePaths

WINDOW_DAYS = 3
THRESHOLD = 0.3
# Without a publication date on both sides the dates cannot rule a match out, so the
# entities and words must agree more.
THRESHOLD_UNDATED = 0.45
MIN_SHARED = 2
ENTITY_TYPES = ("person", "organisation", "place", "event")
CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")


@dataclass
class Profile:
    article_id: str
    day: date | None
    entities: set[str]
    terms: Counter
    story_id: str | None = None
    norm: float = field(init=False)

    def __post_init__(self) -> None:
        self.norm = math.sqrt(sum(n * n for n in self.terms.values()))


def terms(title: str | None, text: str) -> Counter:
    words = (w.lower() for w in CONTENT_WORD.findall(f"{title or ''} {text}"))
    return Counter(w for w in words if w not in STOP_WORDS)


def cosine(a: Profile, b: Profile) -> float:
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a.terms, b.terms) if len(a.terms) < len(b.terms) else (b.terms, a.terms)
    return sum(n * large.get(w, 0) for w, n in small.items()) / (a.norm * b.norm)


def match(a: Profile, b: Profile, weight: dict[str, float]) -> dict | None:
    """The evidence that `a` and `b` report one event, or None when they cannot."""
    shared = a.entities & b.entities
    days = abs((a.day - b.day).days) if a.day and b.day else None
    if len(shared) < MIN_SHARED or (days is not None and days > WINDOW_DAYS):
        return None
    union = a.entities | b.entities
    entity_score = sum(weight.get(e, 1.0) for e in shared) / sum(weight.get(e, 1.0) for e in union)
    text_similarity = cosine(a, b)
    return {
        "matched_article_id": b.article_id, "score": round((entity_score + text_similarity) / 2, 4),
        "entity_score": round(entity_score, 4), "text_similarity": round(text_similarity, 4),
        "shared_entities": sorted(shared), "days_apart": days,
    }


def assign_stories(new: list[Profile], archived: list[Profile], weight: dict[str, float]) -> list[dict]:
    """One `story_members` row per new article, in order: joining its best match's story,
    or founding its own."""
    by_entity: dict[str, list[Profile]] = {}
    for p in archived:
        for e in p.entities:
            by_entity.setdefault(e, []).append(p)
    rows = []
    for p in new:
        candidates = {id(c): c for e in p.entities for c in by_entity.get(e, ())}
        found = [m for c in candidates.values() if c.article_id != p.article_id and (m := match(p, c, weight))
                 and m["score"] >= (THRESHOLD if m["days_apart"] is not None else THRESHOLD_UNDATED)]
        best = max(found, key=lambda m: m["score"], default=None)
        if best:
            p.story_id = next(c.story_id for c in candidates.values() if c.article_id == best["matched_article_id"])
            rows.append({"article_id": p.article_id, "story_id": p.story_id, **best})
        else:
            p.story_id = p.article_id
            rows.append({"article_id": p.article_id, "story_id": p.story_id, "matched_article_id": None,
                         "score": None, "entity_score": None, "text_similarity": None,
                         "shared_entities": [], "days_apart": None})
        for e in p.entities:
            by_entity.setdefault(e, []).append(p)
    return rows


def archived_profiles(paths: ArchivePaths, entities: set[str], days: set[date], undated: bool) -> list[Profile]:
    """The archived articles that share at least MIN_SHARED of `entities` and are undated
    or published within WINDOW_DAYS of one of `days` (of any date when `undated`: a new
    article has none). Dates are filtered before any text is read."""
    if not entities:
        return []
    con = duckdb.connect()
    con.register("wanted", pa.table({"entity": pa.array(sorted(entities), pa.string())}))
    con.register("days", pa.table({"day": pa.array(sorted(days), pa.date32())}))
    rows = con.execute(f"""
        WITH hit AS (
            SELECT article_id FROM {paths.parquet('mentions')} SEMI JOIN wanted USING (entity)
            WHERE entity_type IN {ENTITY_TYPES}
            GROUP BY article_id HAVING count(DISTINCT entity) >= {MIN_SHARED}
        ),
        dated AS (
            SELECT hit.article_id, day
            FROM hit LEFT JOIN (
                SELECT article_id, CASE WHEN published_inferred THEN NULL ELSE published_date END AS day
                FROM {paths.parquet('article_dates')}
            ) p USING (article_id)
            WHERE day IS NULL OR $undated
               OR EXISTS (SELECT 1 FROM days WHERE abs(date_diff('day', days.day, p.day)) <= {WINDOW_DAYS})
        ),
        named AS (
            SELECT article_id, list(entity) AS entities FROM {paths.parquet('mentions')} SEMI JOIN dated USING (article_id)
            WHERE entity_type IN {ENTITY_TYPES}
            GROUP BY article_id
        )
        SELECT d.article_id, d.title, d.text, dated.day, s.story_id, named.entities
        FROM dated
        JOIN {paths.parquet('documents')} d USING (article_id)
        JOIN {paths.parquet('story_members')} s USING (article_id)
        JOIN named USING (article_id)
    """, {"undated": undated}).fetchall()
    return [Profile(a, day, set(ents or ()), terms(title, text), story_id=story)
            for a, title, text, day, story, ents in rows]


def entity_weights(paths: ArchivePaths, entities: set[str], new_counts: Counter, new_articles: int) -> dict[str, float]:
    """Rarity of each entity (inverse document frequency over the archive and the run)."""
    con = duckdb.connect()
    con.register("wanted", pa.table({"entity": pa.array(sorted(entities), pa.string())}))
    df = dict(con.execute(f"""
        SELECT entity, count(DISTINCT article_id) FROM {paths.parquet('mentions')} SEMI JOIN wanted USING (entity)
        GROUP BY entity
    """).fetchall())
    total = con.execute(f"SELECT count(*) FROM {paths.parquet('search_docs')}").fetchone()[0] + new_articles
    return {e: math.log(1 + total / (df.get(e, 0) + new_counts[e])) for e in entities}


def group_stories(documents: pa.Table, article_dates: pa.Table, mentions: pa.Table, paths: ArchivePaths) -> list[dict]:
    """The `story_members` rows of a run's new articles, the earliest published first."""
    # An inferred date (a weekday before the fetch time) is no date to rule a match out by.
    published = {aid: None if inferred else day for aid, day, inferred in zip(
        *(article_dates[c].to_pylist() for c in ("article_id", "published_date", "published_inferred")))}
    entities: dict[str, set[str]] = {}
    for aid, entity, kind in zip(*(mentions[c].to_pylist() for c in ("article_id", "entity", "entity_type"))):
        if kind in ENTITY_TYPES:
            entities.setdefault(aid, set()).add(entity)
    new = [
        Profile(aid, published.get(aid), entities.get(aid, set()), terms(title, text))
        for aid, title, text in zip(*(documents[c].to_pylist() for c in ("article_id", "title", "text")))
    ]
    new.sort(key=lambda p: (p.day or date.max, p.article_id))
    counts = Counter(e for p in new for e in p.entities)
    weights = entity_weights(paths, set(counts), counts, len(new))
    archived = archived_profiles(paths, set(counts), {p.day for p in new if p.day}, any(p.day is None for p in new))
    return assign_stories(new, archived, weights)
