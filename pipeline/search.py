"""Ranked search over the archive: the `search()` SQL macro plus filters and snippets.

The ranking is the `search_scores()` macro's (schemas/views/20_search.sql), so `newsarchive search` and
ad-hoc SQL agree. Filters are bound parameters, never spliced into the SQL.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from datetime import date

import duckdb

from pipeline.store import PIN_PREFIX, genesis_run

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


# Each filter: the table it needs joined to the scores, and its condition.
FILTER_TABLES = {"o": "article_outlets", "l": "article_languages", "p": "article_dates"}
# What a result list shows of a hit comes from these (hit_rows).
HIT_TABLES = ("documents", "article_outlets", "article_dates", "article_languages")
RESULT_COLUMNS = ["article_id", "score", "title", "outlet", "wire_service", "published_date", "language", "url"]


def filter_sql(filters: SearchFilters) -> tuple[str, list]:
    """FROM and WHERE over `search_scores(?)` (its one parameter first) with the tables the
    filters need joined, and the filters' bound parameters."""
    where, params, tables = [], [], set()
    for alias, column, value in (("o", "outlet", filters.outlet), ("l", "language", filters.language),
                                 ("o", "wire_service", filters.wire_service)):
        if value:
            where.append(f"lower({alias}.{column}) = lower(?)")
            params.append(value)
            tables.add(alias)
    for op, value in ((">=", filters.since), ("<=", filters.until)):
        if value:
            where.append(f"p.published_date {op} ?")
            params.append(value)
            tables.add("p")
    if filters.entity:
        where.append("s.article_id IN (SELECT article_id FROM mentions WHERE lower(entity) = lower(?) "
                     "OR list_contains(list_transform(surface_forms, f -> lower(f)), lower(?)))")
        params += [filters.entity, filters.entity]
    joins = "".join(f" JOIN {FILTER_TABLES[a]} {a} USING (article_id)" for a in sorted(tables))
    return f"FROM search_scores(?) s{joins}" + (" WHERE " + " AND ".join(where) if where else ""), params


def search(con: duckdb.DuckDBPyConnection, q: str, filters: SearchFilters = SearchFilters(),
           limit: int = 10, offset: int = 0) -> list[dict]:
    """The ranked hits with what a result list shows. Ranked on the scores alone (joined
    only with what the filters need), then the page's hits looked up: joining every match
    first cost most of a query's time at 100,000 articles."""
    ranked, params = filter_sql(filters)
    top = con.execute(f"SELECT s.article_id, s.score, s.postings_file {ranked} "
                      "ORDER BY s.score DESC, s.article_id LIMIT ? OFFSET ?", [q, *params, limit, offset]).fetchall()
    shown = hit_rows(con, [(aid, posixpath.dirname(file)) for aid, _, file in top]) if top else {}
    terms = query_terms(con, q)
    return [
        dict(zip(RESULT_COLUMNS, (aid, round(score, 4), *shown[aid][:-1]))) | {"snippet": snippet(shown[aid][-1], terms)}
        for aid, score, _ in top if aid in shown
    ]


def hit_rows(con: duckdb.DuckDBPyConnection, hits: list[tuple[str, str]]) -> dict[str, tuple]:
    """What a result list shows of each hit (title, outlet, wire service, date, language, URL,
    text), by article id, from the hits' (article id, run folder) pairs. Only those folders'
    files are read, and the empty genesis folder's, which give every column: a page of hits
    reads the ids of the runs it is in, whatever the archive's size (reading every id took
    180-230 ms at 1,000,000 articles). The ids are matched by `list_contains`, not `IN (...)`: DuckDB
    pushes IN into the Parquet scans as the ids' min-max range, which a page of hits spans,
    and reads every text inside it (206 ms at 100,000 articles, against 35)."""
    folders = {folder for _, folder in hits}
    pinned = con.execute("SELECT " + ", ".join(f"getvariable('{PIN_PREFIX}{t}')" for t in HIT_TABLES)).fetchone()
    files = {table: [f for f in listed if posixpath.dirname(f) in folders
                     or posixpath.basename(posixpath.dirname(f)) == genesis_run()]
             for table, listed in zip(HIT_TABLES, pinned)}
    return {row[0]: row[1:] for row in con.execute("""
        SELECT d.article_id, d.title, o.outlet, o.wire_service, p.published_date, l.language, d.url, d.text
        FROM (SELECT article_id, title, url, text FROM read_parquet($documents, union_by_name = true)
              WHERE list_contains($ids, article_id)) d
        LEFT JOIN (SELECT article_id, outlet, wire_service FROM read_parquet($article_outlets, union_by_name = true)
                   WHERE list_contains($ids, article_id)) o USING (article_id)
        LEFT JOIN (SELECT article_id, published_date FROM read_parquet($article_dates, union_by_name = true)
                   WHERE list_contains($ids, article_id)) p USING (article_id)
        LEFT JOIN (SELECT article_id, language FROM read_parquet($article_languages, union_by_name = true)
                   WHERE list_contains($ids, article_id)) l USING (article_id)
    """, {"ids": [aid for aid, _ in hits], **files}).fetchall()}


def count(con: duckdb.DuckDBPyConnection, q: str, filters: SearchFilters = SearchFilters()) -> int:
    """How many articles `search(con, q, filters)` would return without a limit."""
    ranked, params = filter_sql(filters)
    return con.execute(f"SELECT count(*) {ranked}", [q, *params]).fetchone()[0]
