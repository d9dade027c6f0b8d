"""`newsarchive extract`: one page through the run's own stages, printed, not stored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import LAIST, SEEDS, newsarchive
from pipeline.store import connect

PAGE = """<!doctype html><html lang="en"><head>
<title>Harbour ferry returns after storm | Coast Ledger</title>
<meta property="og:title" content="Harbour ferry returns after storm">
<meta property="og:site_name" content="Coast Ledger">
<meta name="author" content="Mara Quill">
<meta property="article:published_time" content="2026-10-14T07:30:00Z">
<link rel="canonical" href="https://www.coastledger.example/news/ferry-returns">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Harbour ferry returns after storm</h1>
<p>The harbour ferry carried its first passengers in a week on Tuesday, after crews repaired the landing stage damaged in the storm.</p>
<p>Skipper Tom Avery said the crossing was calm and that the timetable would return to normal by the weekend.</p>
<p>The town council thanked the crews, who worked through two nights to reopen the route for commuters and schoolchildren.</p>
</article>
<footer>© 2026 Coast Ledger. All rights reserved.</footer>
</body></html>"""


def extract(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "newsarchive"
    return subprocess.run([str(exe), "extract", *args], input=stdin, capture_output=True, timeout=300)


def test_extract_prints_what_the_run_stored_for_the_same_page(seed_archive):
    archive, _ = seed_archive
    laist = next(p for p in SEEDS.glob("*.txt") if LAIST in p.read_text())
    got = json.loads(newsarchive("extract", str(laist), "--json").stdout)
    with connect(archive) as con:
        rel = con.sql("SELECT * FROM articles WHERE title = ?", params=[LAIST])
        stored = dict(zip(rel.columns, rel.fetchone()))
    for key in ("title", "text", "word_count", "content_hash", "published_method", "language",
                "language_probability", "outlet", "wire_service", "extract_method", "source_ref"):
        assert got[key] == stored[key], key
    assert got["published_date"] == str(stored["published_date"]) == "2021-12-23"
    assert got["wire_service"] == "AP" and got["article_id"] == stored["article_id"]
    assert {m["entity"] for m in got["mentions"]} >= {"Vladimir Putin", "NATO"}
    assert any(f["reason"] == "sponsored" for f in got["furniture"])


def test_extract_reads_html_from_standard_input(tmp_path):
    result = extract("-", "--url", "https://coastledger.example/news/ferry-returns?utm_source=feed",
                     "--json", "--no-entities", "--archive", str(tmp_path / "none"), stdin=PAGE.encode())
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    assert got["title"] == "Harbour ferry returns after storm"
    assert got["authors"] == ["Mara Quill"] and got["sitename"] == "Coast Ledger"
    assert got["canonical_url"] == "https://coastledger.example/news/ferry-returns"
    assert got["published_date"] == "2026-10-14" and got["published_method"] == "htmldate"
    assert got["language"] == "en" and got["page_format"] == "html"
    assert got["text"].startswith("The harbour ferry carried its first passengers")
    assert "Home" not in got["text"] and "All rights reserved" not in got["text"]
    assert got["mentions"] == []


def test_extract_human_output_and_a_clear_error_for_a_bad_page(tmp_path):
    page = tmp_path / "ferry.html"
    page.write_text(PAGE)
    out = extract(str(page), "--no-entities").stdout.decode()
    assert "Harbour ferry returns after storm" in out and "Skipper Tom Avery said" in out
    (tmp_path / "blob.html").write_bytes(b"\x00\x01\x02\x03 not a page")
    bad = extract(str(tmp_path / "blob.html"))
    assert bad.returncode == 1 and b"rejected at decode (binary)" in bad.stderr
    missing = extract(str(tmp_path / "nope.html"))
    assert missing.returncode == 2 and b"no such file" in missing.stderr
    (tmp_path / "manifest.csv").write_bytes(b"file,fetched_at,url,outlet\nferry.html,,,Caf\xe9\n")
    manifest = extract(str(page))
    assert manifest.returncode == 2 and b"manifest.csv is not UTF-8" in manifest.stderr
    assert b"Traceback" not in manifest.stderr
    (tmp_path / "manifest.csv").write_text("file,fetched_at,url,outlet\nferry.html,last week,,\n")
    row = extract(str(page))
    assert row.returncode == 2 and b"Traceback" not in row.stderr
    assert f"{page}: manifest.csv, line 2: fetched_at 'last week' of 'ferry.html'".encode() in row.stderr
