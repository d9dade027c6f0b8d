"""The web app over HTTP: a real uvicorn server on 127.0.0.1 serving the seed archive (and
a small archive that runs write into while it serves), asked with httpx as a browser or
a script would. Search agrees with `newsarchive search --json`; hostile input is bound,
escaped and changes nothing; the server reads through a read-only pinned connection, so
a run published meanwhile shows up on the next request and a run holding the lock never
stops it."""

from __future__ import annotations

import json
import re
from html import unescape
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import httpx
import pytest
from markupsafe import escape
from starlette.requests import Request

from conftest import LAIST, NBC, newsarchive
from appserver import serving as app_serving
from corpus import COURIER, GAZETTE, write_pages
from pipeline.job import run_plain
from pipeline.search import SearchFilters, count, search
from pipeline.settings import Settings
from pipeline.store import ArchivePaths, archive_lock, connect
from pipeline.web.app import create_app
from pipeline.web.db import connection
from schemas.tables import TABLES

SQL_INJECTION = "'; DROP TABLE articles; --"
SCRIPT = "<script>alert(1)</script>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(archive: Path) -> Iterator[httpx.Client]:
    """`create_app(archive)` under a real uvicorn server in a thread, and a client for it."""
    with app_serving(create_app(archive)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def seeds(seed_archive) -> Path:
    return seed_archive[0]


@pytest.fixture(scope="module")
def client(seeds) -> Iterator[httpx.Client]:
    with serving(seeds) as c:
        yield c


@pytest.fixture(scope="module")
def seed_ids(seeds) -> dict[str, str]:
    """Title -> article id of the two seed articles."""
    with connect(seeds) as con:
        return dict(con.execute("SELECT title, article_id FROM documents").fetchall())


def result_ids(html: str) -> list[str]:
    return re.findall(r'<li class="result" data-article-id="([^"]+)"', html)


def section(html: str, opening: str) -> str:
    """The HTML from `opening` (an element's opening tag, e.g. `<ol id="members">`) to the
    first closing tag of the same element."""
    tag = re.match(r"<(\w+)", opening).group(1)
    return html.split(opening, 1)[1].split(f"</{tag}>", 1)[0]


def hrefs(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


def assert_not_found_page(response: httpx.Response) -> None:
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert 'id="error"' in response.text and "Traceback" not in response.text


def state(archive: Path) -> tuple[dict[str, int], list[str]]:
    """Row counts of every table and every file under the archive: what a write would change."""
    with connect(archive) as con:
        counts = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TABLES}
    files = sorted(str(p.relative_to(archive)) for p in archive.rglob("*") if p.name != ".lock")
    return counts, files


def test_search_finds_both_seed_articles(client, seed_ids):
    api = client.get("/api/search", params={"q": "security guarantees"}).json()
    assert api["query"] == "security guarantees" and api["total"] == 2
    assert {r["article_id"] for r in api["results"]} == {seed_ids[LAIST], seed_ids[NBC]}
    first = api["results"][0]
    assert set(first) >= {"article_id", "score", "title", "outlet", "wire_service", "published_date",
                          "language", "url", "snippet", "story_size"}
    assert all(r["story_size"] == 2 for r in api["results"])  # the two seeds are one story

    page = client.get("/", params={"q": "security guarantees"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<form id="search"' in html and '<ol id="results"' in html
    assert sorted(result_ids(html)) == sorted(seed_ids.values())
    assert re.search(r'<p id="result-count">\s*2 articles', html)
    assert f'href="/articles/{seed_ids[LAIST]}"' in html
    assert "<mark>security</mark> <mark>guarantees</mark>" in html
    assert 'class="story-size" title="articles in its story">2<' in html
    assert 'id="no-results"' not in html and 'class="next"' not in html

    empty = client.get("/", params={"q": "zeppelin"}).text
    assert 'id="no-results"' in empty and result_ids(empty) == []


def test_api_agrees_with_the_command(client, seeds):
    for q, flags, params in (("Putin Ukraine NATO", [], {}),
                             ("security guarantees", ["--outlet", "LAist"], {"outlet": "LAist"})):
        cli = json.loads(newsarchive("search", q, *flags, "--json", "--archive", str(seeds)).stdout)
        api = client.get("/api/search", params={"q": q, **params}).json()
        assert [r["article_id"] for r in api["results"]] == [h["article_id"] for h in cli], q
        assert [r["score"] for r in api["results"]] == [h["score"] for h in cli]
        assert api["total"] == len(cli)


def test_newsarchive_serve(seeds, tmp_path):
    port = free_port()
    exe = Path(sys.executable).parent / "newsarchive"
    server = subprocess.Popen([str(exe), "serve", "--port", str(port), "--archive", str(seeds)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                got = httpx.get(f"http://127.0.0.1:{port}/api/search", params={"q": "security guarantees"})
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stdout.read()
                time.sleep(0.1)
        assert got.json()["total"] == 2
        assert httpx.get(f"http://127.0.0.1:{port}/static/style.css").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        assert "/api/search" in httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()["paths"]
    finally:
        server.terminate()
        server.wait(timeout=10)
    missing = newsarchive("serve", "--archive", str(tmp_path / "nothing"), check=False)
    assert missing.returncode == 2 and "no archive" in missing.stderr


def test_count_agrees_with_search(seeds):
    with connect(seeds) as con:
        for q, filters in (("security guarantees", SearchFilters()), ("Putin", SearchFilters(outlet="laist")),
                           ("Putin", SearchFilters(wire_service="AP", language="en")),
                           ("Putin", SearchFilters(entity="Biden")), ("zeppelin", SearchFilters())):
            assert count(con, q, filters) == len(search(con, q, filters, limit=1000))


def test_outlet_filter_narrows_to_laist(client, seed_ids):
    api = client.get("/api/search", params={"q": "security guarantees", "outlet": "LAist"}).json()
    assert [r["article_id"] for r in api["results"]] == [seed_ids[LAIST]] and api["total"] == 1
    assert api["results"][0]["outlet"] == "LAist"
    html = client.get("/", params={"q": "security guarantees", "outlet": "LAist", "lang": "", "since": "",
                                   "until": "", "wire": "", "entity": ""}).text
    assert result_ids(html) == [seed_ids[LAIST]]
    assert '<option value="LAist" selected>' in html  # the form comes back as it was sent
    dated = client.get("/api/search", params={"q": "security guarantees", "since": "2021-12-24"}).json()
    assert dated["total"] == 0 and dated["results"] == []


def test_article_page_and_api(client, seed_ids):
    laist = seed_ids[LAIST]
    api = client.get(f"/api/articles/{laist}").json()
    assert api["document"]["title"] == LAIST and api["outlets"]["outlet"] == "LAist"
    assert api["outlets"]["wire_service"] == "AP" and api["dates"]["published_date"] == "2021-12-23"
    entities = {e["entity"]: e for e in api["entities"]}
    assert {"Joe Biden", "Vladimir Putin"} <= set(entities)
    assert "Putin" not in entities and "Biden" not in entities  # counted under the full name
    assert entities["Vladimir Putin"]["label"] == "PER"
    assert api["date_mentions"] and api["story_id"] == laist

    html = client.get(f"/articles/{laist}").text
    assert f'<h1 id="title">{LAIST}</h1>' in html
    assert '<div id="text">' in html and "<p>MOSCOW (AP) —" in html
    assert re.search(r'<li class="entity" data-label="PER"[^>]*>'
                     r'<a class="name" href="/entities/Vladimir%20Putin">Vladimir Putin</a>', html)
    assert '<ul id="date-mentions">' in html and '<ul id="duplicates">' in html
    assert f'href="/articles/{seed_ids[NBC]}"' in html.split('<ul id="story">')[1]

    missing = client.get("/articles/no-such-article")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "Traceback" not in missing.text and 'id="error"' in missing.text
    assert client.get("/api/articles/no-such-article").status_code == 404
    assert client.get("/api/articles/no-such-article").json()["detail"]


def test_story_and_entity_api(client, seed_ids):
    story = client.get(f"/api/stories/{seed_ids[LAIST]}").json()
    assert {m["article_id"] for m in story["members"]} == set(seed_ids.values()) and story["articles"] == 2
    joined = next(m for m in story["members"] if m["article_id"] == seed_ids[NBC])
    assert joined["matched_article_id"] == seed_ids[LAIST] and joined["score"] >= 0.3
    assert "Vladimir Putin" in joined["shared_entities"]
    assert client.get("/api/stories/no-such-story").status_code == 404

    putin = client.get("/api/entities/Putin").json()
    assert putin["entity"] == "Vladimir Putin" and putin["article_count"] == 2
    assert "Putin" in [a["alias"] for a in putin["aliases"]]
    assert putin["articles_per_day"] == [{"day": "2021-12-23", "articles": 2}]
    assert "Joe Biden" in [e["entity"] for e in putin["co_occurring"]]
    assert client.get("/api/entities/U.S.").json()["entity"] == "United States"  # as it is written, found
    assert client.get("/api/entities/Nobody%20Atall").status_code == 404


def test_story_page(client, seed_ids):
    laist, nbc = seed_ids[LAIST], seed_ids[NBC]
    api = client.get(f"/api/stories/{laist}").json()
    page = client.get(f"/stories/{laist}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert f'<h1 id="title">{escape(api["title"])}</h1>' in html and api["title"] in (LAIST, NBC)
    assert '<time id="first-seen">2021-12-23</time>' in html and '<time id="last-seen">2021-12-23</time>' in html
    assert '<span id="article-count">2 articles</span>' in html
    assert api["outlet_count"] == 1 and api["outlets"] == ["LAist"]  # the NBC seed has no outlet tag
    assert '<span id="outlet-count">1 outlet: LAist</span>' in html

    members = section(html, '<ol id="members">')
    items = re.findall(r'<li class="member" data-article-id="([^"]+)">(.*?)</li>', members, re.S)
    assert [i for i, _ in items] == [m["article_id"] for m in api["members"]] and {i for i, _ in items} == {laist, nbc}
    for title, article_id in ((LAIST, laist), (NBC, nbc)):
        assert f'<a class="title" href="/articles/{article_id}">{escape(title)}</a>' in members
    # why each is there: the LAist article started it; the NBC one matched it, with a score and shared entities
    starter, joined = dict(items)[laist], dict(items)[nbc]
    assert "Started the story." in starter and "Joined on" not in starter
    nbc_row = next(m for m in api["members"] if m["article_id"] == nbc)
    assert f'Joined on <a class="matched" href="/articles/{laist}">{escape(LAIST)}</a>' in joined
    assert f'<span class="score">{nbc_row["score"]:.2f}</span>' in joined
    assert '<a class="entity" href="/entities/Vladimir%20Putin">Vladimir Putin</a>' in joined
    for href in hrefs(members):
        assert client.get(href).status_code == 200, href

    # the article page's story heading leads here
    article = client.get(f"/articles/{laist}").text
    assert f'<a id="story-link" href="/stories/{laist}">Story</a>' in article

    assert_not_found_page(client.get("/stories/no-such-story"))
    assert "no-such-story" in client.get("/stories/no-such-story").text


def test_entity_page_under_its_full_name(client, seed_ids):
    page = client.get("/entities/putin")  # a lowercase alias
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<h1 id="entity">Vladimir Putin</h1>' in html and "<title>Vladimir Putin · newsarchive</title>" in html
    assert '<p class="found-by">Found by <q>putin</q>.</p>' in html
    assert '<span id="entity-types">person</span>' in html and '<span id="article-count">2 articles</span>' in html
    assert re.search(r'<li class="alias"[^>]*><span class="name">Putin</span> <span class="count">\d+ articles?</span>',
                     section(html, '<ul id="aliases">'))
    assert re.search(r"<tr><td>2021-12-23</td><td>2</td></tr>", section(html, '<table id="articles-per-day">'))

    listed = section(html, '<ol id="articles">')
    assert sorted(re.findall(r'<li class="article" data-article-id="([^"]+)"', listed)) == sorted(seed_ids.values())
    for title, article_id in seed_ids.items():
        assert f'<a class="title" href="/articles/{article_id}">{escape(title)}</a>' in listed

    # the API gives the same list, and each count is the one on the article's own page
    api = client.get("/api/entities/putin").json()
    assert api["entity"] == "Vladimir Putin" and api["mention_count"] == sum(a["mention_count"] for a in api["articles"])
    assert {a["article_id"]: a["title"] for a in api["articles"]} == {v: k for k, v in seed_ids.items()}
    assert re.findall(r'data-article-id="([^"]+)"', listed) == [a["article_id"] for a in api["articles"]]
    for a in api["articles"]:
        assert set(a) == {"article_id", "title", "outlet", "published_date", "mention_count"}
        assert a["published_date"] == "2021-12-23" and a["outlet"] == ("LAist" if a["article_id"] == seed_ids[LAIST] else None)
        entities = client.get(f"/api/articles/{a['article_id']}").json()["entities"]
        assert a["mention_count"] == sum(e["mention_count"] for e in entities if e["entity"] == "Vladimir Putin") > 0
        outlet = re.escape(str(escape(a["outlet"] or "unknown outlet")))
        assert re.search(rf'data-article-id="{a["article_id"]}">.*?<span class="outlet">{outlet}</span>'
                         rf'\s*<span class="date">2021-12-23</span>\s*<span class="mentions">{a["mention_count"]} mentions?<',
                         listed, re.S)

    # co-occurring entities link to their own pages, each under its own name
    named_with = section(html, '<ul id="co-occurring">')
    assert '<a class="name" href="/entities/Joe%20Biden">Joe Biden</a>' in named_with
    for href, name in re.findall(r'<a class="name" href="([^"]+)">([^<]+)</a>', named_with):
        other = client.get(unescape(href))
        assert other.status_code == 200 and f'<h1 id="entity">{name}</h1>' in other.text, href

    assert_not_found_page(client.get("/entities/Nobody%20Atall"))


def test_article_entity_links_resolve(client, seed_ids):
    for article_id in seed_ids.values():
        html = client.get(f"/articles/{article_id}").text
        links = re.findall(r'<a class="name" href="([^"]+)">([^<]+)</a>', section(html, '<ul id="entities">'))
        assert len(links) >= 2 and ("/entities/Vladimir%20Putin", "Vladimir Putin") in links
        for href, name in links:
            entity = client.get(unescape(href))
            # each entity is listed under its archive-wide name, so its page carries that name
            assert entity.status_code == 200 and f'<h1 id="entity">{name}</h1>' in entity.text, href
            assert f'data-article-id="{article_id}"' in section(entity.text, '<ol id="articles">'), href


def test_hostile_input_is_bound_escaped_and_changes_nothing(client, seeds):
    before = state(seeds)
    for q in (SQL_INJECTION, f"security {SCRIPT}", SCRIPT):
        page = client.get("/", params={"q": q, "entity": q})
        assert page.status_code == 200
        assert SCRIPT not in page.text
        if SCRIPT in q:
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # shown, as text
        assert client.get("/api/search", params={"q": q}).status_code == 200
    # A hostile query that matches: its terms are marked in the escaped snippet, its own tags stay text.
    page = client.get("/", params={"q": f"security {SCRIPT}"}).text
    assert "<script>" not in page and "<mark>security</mark>" in page
    for field in ("outlet", "lang", "wire", "entity"):
        api = client.get("/api/search", params={"q": "security", field: SQL_INJECTION})
        assert api.status_code == 200 and api.json()["total"] == 0
    assert client.get(f"/api/articles/{SQL_INJECTION}").status_code == 404
    assert client.get(f"/api/entities/{SQL_INJECTION}").status_code == 404
    for path in ("/articles/", "/stories/", "/entities/"):
        missing = client.get(path + SCRIPT)
        assert_not_found_page(missing)
        assert SCRIPT not in missing.text, path
        assert_not_found_page(client.get(path + SQL_INJECTION))
    # (an id has no "/", so only the entity route, whose names may, takes the whole tag and says what it was asked)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/entities/{SCRIPT}").text
    assert client.get(f"/api/stories/{SQL_INJECTION}").status_code == 404
    assert client.get("/api/search", params={"q": "x", "since": "yesterday"}).status_code == 422
    assert client.get("/", params={"q": "x", "page": "0"}).status_code == 422
    assert state(seeds) == before


def test_the_connection_is_read_only(seeds):
    request = Request({"type": "http", "app": create_app(seeds), "headers": []})
    dependency = connection(request)
    con = next(dependency)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("CREATE TABLE intruder (i INTEGER)")
        with pytest.raises(duckdb.Error):
            con.execute("DROP VIEW articles")
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
    finally:
        dependency.close()


def test_a_published_run_shows_up_and_a_held_lock_blocks_nothing(tmp_path):
    archive = tmp_path / "archive"
    settings = Settings(archive=archive, entities=False, furniture_min_articles=10)
    run_plain(settings, [str(write_pages(tmp_path / "gazette", GAZETTE, range(0, 3)))])
    with serving(archive) as client:
        assert client.get("/api/search", params={"q": "story number"}).json()["total"] == 3
        assert GAZETTE in client.get("/").text and COURIER not in client.get("/").text

        courier = write_pages(tmp_path / "courier", COURIER, range(0, 3))
        # and a mirror's copy of the Gazette's ferry story (same text, other bytes): a duplicate, listed under it
        (courier / "mirror.txt").write_text((tmp_path / "gazette" / "riversidegazette-0.txt").read_text() + "\n\n")
        with (courier / "manifest.csv").open("a") as manifest:
            manifest.write(f"mirror.txt,2026-11-03T06:00:00Z,https://mirror.example/ferry,{GAZETTE}\n")
        run_plain(settings, [str(courier)])
        after = client.get("/api/search", params={"q": "story number"}).json()
        assert after["total"] == 6
        ferry = client.get("/", params={"q": "ferry", "include_duplicates": "1"}).text
        assert re.search(r'<ul class="duplicates">\s*<li>https://mirror.example/ferry', ferry)
        assert 'class="duplicates"' not in client.get("/", params={"q": "ferry"}).text
        api = client.get("/api/search", params={"q": "ferry", "include_duplicates": "1"}).json()
        assert api["results"][0]["duplicates"][0]["method"] == "content_hash"
        second = client.get("/", params={"q": "story number", "page": "2"}).text
        assert 'class="prev" href="/?q=story+number&amp;page=1"' in second and 'class="next"' not in second
        assert {r["outlet"] for r in after["results"]} == {GAZETTE, COURIER}
        assert f'<option value="{COURIER}"' in client.get("/").text

        with archive_lock(ArchivePaths(archive), "a test holding the writer's lock"):
            started = time.monotonic()
            page = client.get("/", params={"q": "ferry", "outlet": GAZETTE})
            assert page.status_code == 200 and len(result_ids(page.text)) == 1
            assert client.get("/api/search", params={"q": "story number"}).json()["total"] == 6
            assert time.monotonic() - started < 5
