"""Ranked search over a tiny real archive: BM25, plural folding, filters, the SQL macro,
hostile queries, and HTML highlighting."""

import math
import re
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.job import run_plain
from pipeline.search import HIT_TABLES, SearchFilters, highlight, query_terms, search, snippet
from pipeline.settings import Settings
from pipeline.store import connect

ARTICLES = {
    # three uses of "guarantee(s)" in a short article
    "security.txt": """Ukraine asks allies for security guarantees

KYIV, Ukraine (AP) — Ukraine asked its allies on Monday for security guarantees. Officials in Berlin said the guarantees must be written down.

Published: March 3, 2024
""",
    # three uses in a long article
    "pledge.txt": """Regional leaders meet to discuss trade and transport

Leaders from six regions met on Friday to discuss trade, transport and housing. The talks ran for most of the day and covered rail freight, port fees, road repairs, school buildings and the cost of new homes for young families. Several leaders asked for guarantees on rail money.

Others wanted clearer rules for port fees and more money for road repairs in rural districts. In the evening the leaders agreed a short statement, which promised guarantees for rail freight and a review of port fees by the end of the year. Officials said further guarantees would depend on the national budget, which is due in the spring, and on talks with the rail operators.

Published: February 2, 2024
""",
    # one use, singular
    "bus.txt": """City council approves new bus routes downtown

The city council approved three new bus routes on Tuesday. The routes will connect the eastern neighbourhoods with the hospital. One council member mentioned a guarantee of money for the next two years.

Published: January 10, 2024
""",
    "german.txt": """Der Stadtrat beschließt neue Buslinien in Berlin

Der Stadtrat von Berlin hat am Dienstag beschlossen, das Busnetz zu erweitern und drei neue Linien einzurichten, die die östlichen Stadtteile mit dem Krankenhaus verbinden.

Veröffentlicht am 2023-11-20
""",
    "farmers.txt": """Farmers worry about a dry summer season

Farmers in the valley said on Wednesday that a dry summer could cut harvests. The water table has fallen for six weeks and reservoirs are low, officials said.
""",
}
MANIFEST = """file,fetched_at,url,outlet
security.txt,2024-03-04T08:00:00+00:00,https://laist.com/news/security-guarantees,
pledge.txt,2024-02-03T08:00:00+00:00,,City Desk
bus.txt,2024-01-11T08:00:00+00:00,,City Desk
german.txt,2023-11-21T08:00:00+00:00,https://www.example.de/stadt/buslinien,
"""
TITLES = {name: text.splitlines()[0] for name, text in ARTICLES.items()}


def write_folder(folder: Path, articles: dict[str, str], manifest: str | None = None) -> Path:
    folder.mkdir(parents=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    if manifest:
        (folder / "manifest.csv").write_text(manifest, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    root = tmp_path_factory.mktemp("search")
    folder = write_folder(root / "pages", ARTICLES, MANIFEST)
    summary = run_plain(Settings(archive=root / "archive", entities=False), [str(folder)])
    assert summary.articles_archived == len(ARTICLES)
    connection = connect(root / "archive")
    yield connection
    connection.close()


def titles(hits: list[dict]) -> list[str]:
    return [h["title"] for h in hits]


def bm25(con, term_forms: set[str]) -> dict[str, float]:
    """BM25 (k1 1.2, b 0.75) of one query term, computed here from the stored texts."""
    docs = {title: re.findall(r"[^\W_]+", f"{title} {text}".lower())
            for title, text in con.execute("SELECT title, text FROM documents").fetchall()}
    n, avg_len = len(docs), sum(map(len, docs.values())) / len(docs)
    tfs = {title: sum(t in term_forms for t in tokens) for title, tokens in docs.items()}
    df = sum(1 for tf in tfs.values() if tf)
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return {title: idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(docs[title]) / avg_len))
            for title, tf in tfs.items() if tf}


def test_archive_holds_the_tags_the_filters_use(con):
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT title, outlet, outlet_method, language, published_date, wire_service FROM articles").fetchall()}
    assert rows[TITLES["security.txt"]] == ("LAist", "url_domain", "en", date(2024, 3, 3), "AP")
    assert rows[TITLES["pledge.txt"]] == ("City Desk", "manifest", "en", date(2024, 2, 2), None)
    assert rows[TITLES["german.txt"]] == ("example.de", "domain", "de", date(2023, 11, 20), None)


def test_bm25_ranks_the_heaviest_use_relative_to_length_first(con):
    hits = search(con, "guarantees")
    # security and pledge use the word three times each; security is far shorter
    assert titles(hits) == [TITLES["security.txt"], TITLES["pledge.txt"], TITLES["bus.txt"]]
    expected = bm25(con, {"guarantee", "guarantees"})
    assert {h["title"]: h["score"] for h in hits} == pytest.approx(expected, abs=1e-4)


def test_scores_add_over_query_terms(con):
    one = {h["title"]: h["score"] for h in search(con, "guarantees")}
    two = {h["title"]: h["score"] for h in search(con, "guarantees Berlin")}
    berlin = {h["title"]: h["score"] for h in search(con, "berlin")}
    assert two[TITLES["security.txt"]] == pytest.approx(one[TITLES["security.txt"]] + berlin[TITLES["security.txt"]], abs=2e-4)
    assert titles(search(con, "guarantees Berlin"))[0] == TITLES["security.txt"]


def test_plurals_fold_onto_the_singular(con):
    assert query_terms(con, "Guarantees policies GUARANTEE bus") == ["guarantee", "policy", "guarantee", "bus"]
    singular, plural = search(con, "guarantee"), search(con, "guarantees")
    assert titles(singular) == titles(plural)
    assert TITLES["bus.txt"] in titles(plural)  # "guarantee" only in its text
    assert TITLES["security.txt"] in titles(singular)  # "guarantees" only in its text


def test_term_in_no_article_finds_nothing(con):
    assert search(con, "zeppelin") == []
    assert search(con, "") == []
    assert con.execute("SELECT count(*) FROM search('zeppelin')").fetchone()[0] == 0


@pytest.mark.parametrize("filters, expected", [
    (SearchFilters(outlet="city desk"), ["pledge.txt", "bus.txt"]),
    (SearchFilters(outlet="LAist"), ["security.txt"]),
    (SearchFilters(outlet="Nobody"), []),
    (SearchFilters(wire_service="ap"), ["security.txt"]),
    (SearchFilters(since=date(2024, 2, 1)), ["security.txt", "pledge.txt"]),
    (SearchFilters(until=date(2024, 2, 1)), ["bus.txt"]),
    (SearchFilters(since=date(2024, 2, 2), until=date(2024, 2, 2)), ["pledge.txt"]),
    (SearchFilters(outlet="City Desk", since=date(2024, 1, 11)), ["pledge.txt"]),
])
def test_filters_narrow_the_results(con, filters, expected):
    assert titles(search(con, "guarantees", filters)) == [TITLES[name] for name in expected]


def test_language_filter(con):
    assert set(titles(search(con, "Berlin"))) == {TITLES["security.txt"], TITLES["german.txt"]}
    assert titles(search(con, "Berlin", SearchFilters(language="de"))) == [TITLES["german.txt"]]
    assert titles(search(con, "Berlin", SearchFilters(language="EN"))) == [TITLES["security.txt"]]


def test_limit_and_offset_page_through_the_ranking(con):
    everything = titles(search(con, "guarantees"))
    assert titles(search(con, "guarantees", limit=2)) == everything[:2]
    assert titles(search(con, "guarantees", limit=2, offset=2)) == everything[2:]


def test_sql_macro_ranks_as_search_does(con):
    for q in ("guarantees", "Berlin", "guarantee rail"):
        from_sql = con.execute("SELECT article_id, round(score, 4) FROM search(?) ORDER BY score DESC, article_id",
                               [q]).fetchall()
        assert from_sql == [(h["article_id"], h["score"]) for h in search(con, q)]
        assert from_sql


def test_a_page_of_hits_is_read_from_its_own_runs_files_only(tmp_path):
    """Titles, tags and texts of the hits come from their own run folders: another run's
    files (made unreadable here) are not read, however many the archive holds."""
    archive = tmp_path / "archive"
    for name, chosen in (("first", ("security.txt", "bus.txt")), ("second", ("farmers.txt",))):
        folder = write_folder(tmp_path / name, {f: ARTICLES[f] for f in chosen})
        run_plain(Settings(archive=archive, entities=False), [str(folder)])
    with connect(archive) as con:
        farmers = Path(con.execute("SELECT filename FROM read_parquet(getvariable('na_files_documents'), "
                                   "filename = true) WHERE title = ?", [TITLES["farmers.txt"]]).fetchone()[0]).parent
    assert farmers.parent.parent == archive / "generations"
    for table in HIT_TABLES:
        (farmers / f"{table}.parquet").write_bytes(b"not a Parquet file")
    with connect(archive) as con:
        assert titles(search(con, "guarantee")) == [TITLES["security.txt"], TITLES["bus.txt"]]
        assert search(con, "guarantee")[0]["published_date"] == date(2024, 3, 3)
        with pytest.raises(duckdb.Error):
            search(con, "farmers")


def test_hits_carry_a_snippet_around_the_term(con):
    hit = next(h for h in search(con, "guarantees") if h["title"] == TITLES["pledge.txt"])
    assert "guarantees" in hit["snippet"]
    assert hit["snippet"].startswith("…")  # the first use is past the opening of the text


@pytest.mark.parametrize("q", [
    "'; DROP TABLE articles; --",
    "<script>alert(1)</script>",
    "\" OR 1=1 --",
    "') UNION SELECT * FROM runs; --",
])
def test_hostile_queries_are_only_text(con, q):
    counts = "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM documents), (SELECT count(*) FROM postings)"
    before = con.execute(counts).fetchone()
    hits = search(con, q, SearchFilters(outlet=q))
    assert hits == []
    assert con.execute(counts).fetchone() == before
    assert before[0] == len(ARTICLES)


def test_hostile_query_terms_still_match_as_words(con):
    assert query_terms(con, "'; DROP TABLE articles; --") == ["drop", "table", "article"]
    assert titles(search(con, "'; DROP TABLE articles; --")) == [TITLES["farmers.txt"]]  # "table"


def test_highlight_escapes_before_marking():
    out = highlight("He typed <script>alert(1)</script> & left", ["alert"])
    assert out == "He typed &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; &amp; left"
    assert "<script>" not in out


def test_highlight_marks_words_starting_with_a_term_in_any_case():
    assert highlight("Guarantees, a guarantee, reguarantee", ["guarantee"]) == (
        "<mark>Guarantees</mark>, a <mark>guarantee</mark>, reguarantee")


def test_highlight_leaves_escaped_characters_whole():
    # terms that spell an entity's name must not be marked inside it ("&lt;" "&amp;" "&#x27;")
    out = highlight("Lt. Gen. Ray's amp & <co>", ["lt", "amp", "x"])
    assert out == "<mark>Lt</mark>. Gen. Ray&#x27;s <mark>amp</mark> &amp; &lt;co&gt;"


def test_snippet_without_terms_is_the_opening():
    text = "word " * 100
    assert snippet(text, []) == " ".join(["word"] * 44) + "…"


ENTITY_ARTICLES = {
    "bass.txt": """Mayor visits the port to see new cranes

Mayor Karen Bass toured the port on Tuesday with officials from the Environmental Protection Agency. Bass said the port in Long Beach would get new cranes.
""",
    "seattle.txt": """Seattle port hires more dock workers

Port officials in Seattle said on Monday that container traffic rose by a tenth last year, and that the port would hire more dock workers.
""",
}


@pytest.fixture(scope="module")
def entity_con(tmp_path_factory):
    root = tmp_path_factory.mktemp("entities")
    folder = write_folder(root / "pages", ENTITY_ARTICLES)
    run_plain(Settings(archive=root / "archive", entities=True), [str(folder)])
    connection = connect(root / "archive")
    yield connection
    connection.close()


@pytest.mark.parametrize("entity, expected", [
    (None, ["bass.txt", "seattle.txt"]),
    ("Karen Bass", ["bass.txt"]),
    ("bass", ["bass.txt"]),        # a surface form, any case
    ("Seattle", ["seattle.txt"]),
    ("Nobody Known", []),
])
def test_entity_filter(entity_con, entity, expected):
    found = set(titles(search(entity_con, "port", SearchFilters(entity=entity))))
    assert found == {ENTITY_ARTICLES[name].splitlines()[0] for name in expected}
