"""Ranked search over the archive: the `search()` SQL macro plus filters and snippets.

The ranking is the macro's (schemas/views/20_search.sql), so `newsarchive search` and
ad-hoc SQL agree. Filters are bound parameters, never spliced into the SQL.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

import duckdb

SNIPPET_CHARS = 220


@dataclass(frozen=True)
class SearchFilters:
    outlet: str | None = None
    language: str | None = None
    since: date | None = None
    until: date | None = None
    entity: str | None = None
    wire_service: str | None = None


def query_terms(con: duckdb.DuckDBPyConnection, q: str) -> list[str]:
    return con.execute("SELECT na_terms(?)", [q]).fetchone()[0]


def snippet(text: str, terms: list[str], width: int = SNIPPET_CHARS) -> str:
    """The passage around the first query term, in plain text (callers escape for HTML)."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")", re.I) if terms else None
    m = pattern.search(text) if pattern else None
    start = max(0, (m.start() if m else 0) - width // 3)
    start = text.rfind(" ", 0, start) + 1 if start else 0
    piece = " ".join(text[start:start + width].split())
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def highlight(snippet_text: str, terms: list[str]) -> str:
    """HTML: the snippet escaped first, then the query terms marked."""
    escaped = html.escape(snippet_text)
    if not terms:
        return escaped
    # Character references ("&lt;", "&#x27;") are matched first and kept whole, so a term
    # such as "lt", "amp" or "x" is never marked inside one.
    pattern = re.compile(
        r"(&#?\w+;)|\b((?:" + "|".join(re.escape(html.escape(t)) for t in terms) + r")\w*)", re.I
    )
    return pattern.sub(lambda m: m.group(1) or f"<mark>{m.group(2)}</mark>", escaped)


def search(con: duckdb.DuckDBPyConnection, q: str, filters: SearchFilters = SearchFilters(),
           limit: int = 10, offset: int = 0) -> list[dict]:
    where, params = [], [q]
    for column, value in (("outlet", filters.outlet), ("language", filters.language),
                          ("wire_service", filters.wire_service)):
        if value:
            where.append(f"lower({column}) = lower(?)")
            params.append(value)
    if filters.since:
        where.append("published_date >= ?")
        params.append(filters.since)
    if filters.until:
        where.append("published_date <= ?")
        params.append(filters.until)
    if filters.entity:
        where.append("article_id IN (SELECT article_id FROM mentions WHERE lower(entity) = lower(?) "
                     "OR list_contains(list_transform(surface_forms, f -> lower(f)), lower(?)))")
        params += [filters.entity, filters.entity]
    columns = ["article_id", "score", "title", "outlet", "wire_service", "published_date", "language", "url"]
    sql = (
        f"SELECT {', '.join(columns)} FROM search(?)" + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY score DESC, article_id LIMIT ? OFFSET ?"
    )
    rows = con.execute(sql, [*params, limit, offset]).fetchall()
    texts = article_texts(con, [row[0] for row in rows])
    terms = query_terms(con, q)
    return [
        {**dict(zip(columns, row)), "score": round(row[1], 4), "snippet": snippet(texts[row[0]], terms)}
        for row in rows
    ]


def article_texts(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, str]:
    """Texts of the given articles, read after ranking so only the hits' texts are read.
    One equality lookup each: DuckDB prunes Parquet row groups by min/max for `=` but not
    for `IN`, and documents are id-sorted in small row groups."""
    if not article_ids:
        return {}
    sql = " UNION ALL ".join(["SELECT article_id, text FROM documents WHERE article_id = ?"] * len(article_ids))
    return dict(con.execute(sql, article_ids).fetchall())
