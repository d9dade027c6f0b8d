"""The web app's reads: one small function per thing a page or the API shows, each one
SQL over the catalog views with every value bound as a parameter (never spliced in).
Rows come back as plain dicts, ready for a template or for JSON."""

from __future__ import annotations

import duckdb

# spaCy-style short labels for the tagger's entity types (the page's `data-label`).
ENTITY_LABELS = {"person": "PER", "organisation": "ORG", "place": "LOC", "nationality": "NORP", "event": "EVENT"}


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> dict | None:
    found = rows(con, sql, params)
    return found[0] if found else None


# --- the search form's choices ---------------------------------------------------------

def outlets(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT outlet FROM article_outlets WHERE coalesce(outlet, '') <> '' ORDER BY outlet").fetchall()]


def languages(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT language FROM article_languages WHERE coalesce(language, '') <> '' "
        "ORDER BY language").fetchall()]


def wire_services(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT DISTINCT wire_service FROM article_outlets WHERE coalesce(wire_service, '') <> '' "
        "ORDER BY wire_service").fetchall()]


# --- what a list of hits needs beside the ranking ----------------------------------------

def story_sizes(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, int]:
    """Articles in the story of each given article (1 for an article in no story)."""
    if not article_ids:
        return {}
    found = dict(con.execute(
        """
        WITH mine AS (
            SELECT article_id, story_id FROM story_members WHERE article_id IN (SELECT unnest(?::VARCHAR[]))
        )
        SELECT mine.article_id, count(*) FROM mine JOIN story_members s USING (story_id) GROUP BY mine.article_id
        """, [article_ids]).fetchall())
    return {a: found.get(a, 1) for a in article_ids}


def duplicates_of(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, list[dict]]:
    """The pages recorded as duplicates of each given article."""
    out: dict[str, list[dict]] = {a: [] for a in article_ids}
    if not article_ids:
        return out
    for row in rows(con, """
        SELECT matched_article_id, source_ref, url, canonical_url, method, similarity, run_id
        FROM duplicates WHERE matched_article_id IN (SELECT unnest(?::VARCHAR[]))
        ORDER BY matched_article_id, method, source_ref
        """, [article_ids]):
        out[row.pop("matched_article_id")].append(row)
    return out


# --- one article ----------------------------------------------------------------------------

def article(con: duckdb.DuckDBPyConnection, article_id: str) -> dict | None:
    """The article's document row and its tags, or None when the archive has no such article."""
    document = one(con, "SELECT * FROM documents WHERE article_id = ?", [article_id])
    if document is None:
        return None
    tags = {}
    for table in ("article_dates", "article_languages", "article_outlets", "entity_status"):
        row = one(con, f"SELECT * EXCLUDE (article_id) FROM {table} WHERE article_id = ?", [article_id])
        tags[table.removeprefix("article_")] = row
    membership = one(con, "SELECT * EXCLUDE (article_id) FROM story_members WHERE article_id = ?", [article_id])
    return {
        "document": document,
        "dates": tags["dates"],
        "languages": tags["languages"],
        "outlets": tags["outlets"],
        "entity_status": tags["entity_status"],
        "entities": article_entities(con, article_id),
        "date_mentions": rows(con, """
            SELECT mention, position, start_date, end_date, granularity, relative
            FROM date_mentions WHERE article_id = ? ORDER BY position""", [article_id]),
        "date_candidates": rows(con, """
            SELECT candidate_date, candidate_at, source, evidence, status
            FROM date_candidates WHERE article_id = ? ORDER BY status <> 'chosen', source""", [article_id]),
        "duplicates": duplicates_of(con, [article_id])[article_id],
        "versions": rows(con, """
            SELECT version, source_ref, url, title, word_count, fetched_at
            FROM article_versions WHERE article_id = ? ORDER BY version""", [article_id]),
        "story_id": membership["story_id"] if membership else None,
        "story_membership": membership,
    }


def article_entities(con: duckdb.DuckDBPyConnection, article_id: str) -> list[dict]:
    found = rows(con, """
        SELECT entity, entity_type, mention_count, surface_forms, article_entities, first_position
        FROM article_entities WHERE article_id = ?
        ORDER BY mention_count DESC, first_position, entity""", [article_id])
    for row in found:
        row["label"] = ENTITY_LABELS.get(row["entity_type"], (row["entity_type"] or "").upper())
    return found


def story_of(con: duckdb.DuckDBPyConnection, story_id: str | None, leave_out: str | None = None) -> list[dict]:
    """A story's articles with their outlet, date and title (`leave_out`: one article not to list)."""
    if story_id is None:
        return []
    return [m for m in story_members(con, story_id) if m["article_id"] != leave_out]


# --- one story --------------------------------------------------------------------------------

def story(con: duckdb.DuckDBPyConnection, story_id: str) -> dict | None:
    summary = one(con, "SELECT * FROM stories WHERE story_id = ?", [story_id])
    if summary is None:
        return None
    return {**summary, "members": story_members(con, story_id)}


def story_members(con: duckdb.DuckDBPyConnection, story_id: str) -> list[dict]:
    """Each member with why it belongs: the article it matched, the score and its parts."""
    return rows(con, """
        SELECT s.article_id, o.outlet, p.published_date, p.published_method, d.title, d.url,
               s.matched_article_id, s.score, s.entity_score, s.text_similarity, s.shared_entities, s.days_apart
        FROM story_members s
        JOIN documents d USING (article_id)
        LEFT JOIN article_dates p USING (article_id)
        LEFT JOIN article_outlets o USING (article_id)
        WHERE s.story_id = ?
        ORDER BY p.published_date NULLS LAST, s.matched_article_id NULLS FIRST, s.article_id""", [story_id])


# --- one entity -------------------------------------------------------------------------------

def canonical_entity(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The archive-wide name `name` stands for: itself, or the full name it is an alias of
    (case is forgiven: `putin` finds `Vladimir Putin`)."""
    found = con.execute("""
        SELECT entity FROM (
            SELECT entity, 0 AS rank FROM article_entities WHERE entity = ?
            UNION ALL SELECT entity, 1 FROM entity_aliases WHERE alias = ?
            UNION ALL SELECT entity, 2 FROM article_entities WHERE lower(entity) = lower(?)
            UNION ALL SELECT entity, 3 FROM entity_aliases WHERE lower(alias) = lower(?)
        ) ORDER BY rank, entity LIMIT 1""", [name] * 4).fetchone()
    return found[0] if found else None


def entity(con: duckdb.DuckDBPyConnection, name: str, top: int = 10, latest: int = 20) -> dict | None:
    """The entity `name` stands for across the archive: its types, aliases, counts, articles
    per day, the `top` entities named beside it and the `latest` articles that mention it."""
    canonical = canonical_entity(con, name)
    if canonical is None:
        return None
    summary = one(con, """
        SELECT count(DISTINCT article_id) AS article_count, sum(mention_count)::BIGINT AS mention_count,
               list(DISTINCT entity_type ORDER BY entity_type) AS entity_types
        FROM article_entities WHERE entity = ?""", [canonical])
    return {
        "entity": canonical,
        "entity_types": summary["entity_types"],
        "aliases": rows(con, """
            SELECT alias, entity_type, articles, share FROM entity_aliases WHERE entity = ?
            ORDER BY articles DESC, alias""", [canonical]),
        "article_count": summary["article_count"],
        "mention_count": summary["mention_count"],
        "articles_per_day": rows(con, """
            SELECT p.published_date AS day, count(DISTINCT e.article_id) AS articles
            FROM article_entities e LEFT JOIN article_dates p USING (article_id)
            WHERE e.entity = ? GROUP BY ALL ORDER BY day NULLS LAST""", [canonical]),
        "co_occurring": rows(con, """
            WITH mine AS (SELECT DISTINCT article_id FROM article_entities WHERE entity = ?)
            SELECT e.entity, any_value(e.entity_type) AS entity_type,
                   count(DISTINCT e.article_id) AS articles, sum(e.mention_count)::BIGINT AS mentions
            FROM article_entities e SEMI JOIN mine USING (article_id)
            WHERE e.entity <> ?
            GROUP BY e.entity ORDER BY articles DESC, mentions DESC, e.entity LIMIT ?""",
            [canonical, canonical, top]),
        # An article can name one entity under two types: its mentions are summed.
        "articles": rows(con, """
            WITH mine AS (
                SELECT article_id, sum(mention_count)::INT AS mention_count
                FROM article_entities WHERE entity = ? GROUP BY article_id
            )
            SELECT m.article_id, d.title, o.outlet, p.published_date, m.mention_count
            FROM mine m
            JOIN documents d USING (article_id)
            LEFT JOIN article_dates p USING (article_id)
            LEFT JOIN article_outlets o USING (article_id)
            ORDER BY p.published_date DESC NULLS LAST, d.fetched_at DESC, m.article_id LIMIT ?""",
            [canonical, latest]),
    }
