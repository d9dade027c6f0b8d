"""Stories: the articles of different outlets about one event, under one story_id.

A new article is compared with the archived articles, and the run's earlier ones, that
share a named entity with it and were published within WINDOW_DAYS of it, or are
undated (a pair without both dates must score THRESHOLD_UNDATED; a date inferred from
the fetch time counts as none; of the archived articles, only the UNDATED_CANDIDATES
sharing the most entities with it). The score is the
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
# No date bounds an undated pair, so without a cap an undated article would be compared with
# every archived article sharing two of its entities, more every night: it is compared with
# the ones sharing the most.
UNDATED_CANDIDATES = 50
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
        # Equal scores (copies of one text) go to the lowest id, not to whichever was read first.
        best = min(found, key=lambda m: (-m["score"], m["matched_article_id"]), default=None)
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


def archived_profiles(paths: ArchivePaths, new: list[Profile]) -> list[Profile]:
    """The archived articles that `match` could pair with one of `new`: sharing at least
    MIN_SHARED of its entities, and published within WINDOW_DAYS of it or either undated
    (then only the UNDATED_CANDIDATES sharing the most). Pairs are found per new article,
    dated ones joined on (entity, day), so only those articles' texts are read. Every
    article has a dates row (method `none` when nothing dates it)."""
    keys = [(p.article_id, e, p.day) for p in new for e in p.entities]
    if not keys:
        return []
    con = duckdb.connect()
    new_id, entity, day = (list(c) for c in zip(*keys))
    con.register("new_entities", pa.table({"new_id": new_id, "entity": entity, "day": pa.array(day, pa.date32())}))
    rows = con.execute(f"""
        WITH dates AS (
            SELECT article_id, CASE WHEN published_inferred THEN NULL ELSE published_date END AS day
            FROM {paths.parquet('article_dates')}
        ),
        window_days AS (
            SELECT new_id, entity, day + shift::INTEGER AS day
            FROM new_entities, range(-{WINDOW_DAYS}, {WINDOW_DAYS} + 1) AS t(shift) WHERE day IS NOT NULL
        ),
        -- What a dated new article may pair with: archived articles in its window, or undated.
        near AS (
            SELECT m.article_id, m.entity, d.day
            FROM {paths.parquet('mentions')} m
            JOIN (SELECT * FROM dates WHERE day IS NULL OR day IN (SELECT day FROM window_days)) d USING (article_id)
            SEMI JOIN new_entities n USING (entity)
            WHERE m.entity_type IN {ENTITY_TYPES}
        ),
        -- What an undated one may pair with: any archived article naming its entities.
        named_any AS (
            SELECT m.article_id, m.entity
            FROM {paths.parquet('mentions')} m
            SEMI JOIN (SELECT entity FROM new_entities WHERE day IS NULL) n USING (entity)
            WHERE m.entity_type IN {ENTITY_TYPES}
        ),
        pairs AS (
            SELECT n.new_id, a.article_id, a.entity, true AS dated FROM window_days n JOIN near a USING (entity, day)
            UNION ALL
            SELECT n.new_id, a.article_id, a.entity, false FROM new_entities n JOIN near a USING (entity)
            WHERE n.day IS NOT NULL AND a.day IS NULL
            UNION ALL
            SELECT n.new_id, a.article_id, a.entity, false FROM new_entities n JOIN named_any a USING (entity)
            WHERE n.day IS NULL
        ),
        shared AS (
            SELECT new_id, article_id, bool_or(dated) AS dated, count(DISTINCT entity) AS entities
            FROM pairs GROUP BY new_id, article_id HAVING count(DISTINCT entity) >= {MIN_SHARED}
        ),
        hit AS (
            SELECT DISTINCT article_id FROM shared
            QUALIFY dated OR row_number() OVER (PARTITION BY new_id, dated ORDER BY entities DESC, article_id) <= {UNDATED_CANDIDATES}
        ),
        named AS (
            SELECT article_id, list(entity) AS entities FROM {paths.parquet('mentions')} SEMI JOIN hit USING (article_id)
            WHERE entity_type IN {ENTITY_TYPES}
            GROUP BY article_id
        )
        SELECT d.article_id, d.title, d.text, dates.day, s.story_id, named.entities
        FROM named
        JOIN {paths.parquet('documents')} d USING (article_id)
        JOIN {paths.parquet('story_members')} s USING (article_id)
        JOIN dates USING (article_id)
    """).fetchall()
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


def new_profiles(documents: pa.Table, article_dates: pa.Table, mentions: pa.Table) -> list[Profile]:
    """A run's new articles as profiles, the earliest published first."""
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
    return sorted(new, key=lambda p: (p.day or date.max, p.article_id))


def group_stories(documents: pa.Table, article_dates: pa.Table, mentions: pa.Table, paths: ArchivePaths) -> list[dict]:
    """The `story_members` rows of a run's new articles, the earliest published first."""
    new = new_profiles(documents, article_dates, mentions)
    counts = Counter(e for p in new for e in p.entities)
    weights = entity_weights(paths, set(counts), counts, len(new))
    return assign_stories(new, archived_profiles(paths, new), weights)
