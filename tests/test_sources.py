"""Source references and the config file; the local folder source: page files and their .gz,
the manifest, and what is not a page."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone

import pytest

from pipeline.records import RawPage, Reject
from pipeline.settings import Settings
from pipeline.sources import SourceError, plan_entries
from pipeline.sources.config import Source, SourceConfigError, load_sources, parse_ref
from pipeline.sources.files import FolderError, list_entries, read_entry
from pipeline.store import ArchivePaths


def test_folder_pages_gz_manifest_and_non_pages(tmp_path):
    (tmp_path / "a.html").write_text("<html><body><p>a</p></body></html>")
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress("Plain text page".encode()))
    (tmp_path / "broken.htm.gz").write_bytes(b"\x1f\x8b not really gzip")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".hidden.txt").write_text("skipped: hidden")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("nested page")
    (tmp_path / "manifest.csv").write_text(
        "file,fetched_at,url,outlet\n"
        "b.txt.gz,2024-03-05T06:07:08+01:00,https://example.com/b,Example News\n"
        "sub/c.txt,2024-03-05,,\n"
    )
    entries = {e["path"].rsplit("/", 1)[-1]: e for e in list_entries(str(tmp_path))}
    assert sorted(entries) == ["a.html", "b.txt.gz", "broken.htm.gz", "c.txt", "notes.pdf"]

    b = read_entry(entries["b.txt.gz"])
    assert isinstance(b, RawPage) and b.content == b"Plain text page"
    assert (b.url, b.outlet, b.fetched_at_method) == ("https://example.com/b", "Example News", "manifest")
    assert b.fetched_at == datetime(2024, 3, 5, 5, 7, 8, tzinfo=timezone.utc)

    c = read_entry(entries["c.txt"])
    assert c.fetched_at == datetime(2024, 3, 5, tzinfo=timezone.utc) and c.url is None

    a = read_entry(entries["a.html"])
    assert a.fetched_at_method == "file_mtime" and a.url is None

    broken, pdf = read_entry(entries["broken.htm.gz"]), read_entry(entries["notes.pdf"])
    assert isinstance(broken, Reject) and (broken.stage, broken.reason) == ("read", "corrupt_gzip")
    assert isinstance(pdf, Reject) and pdf.reason == "unsupported_type" and ".html" in pdf.detail


def test_missing_source_and_bad_manifest_are_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        plan_entries([str(tmp_path / "absent")], Settings(), ArchivePaths(tmp_path), tmp_path)
    (tmp_path / "manifest.csv").write_text("name,url\nx.txt,\n")
    with pytest.raises(FolderError, match="needs a header row with at least a `file` column"):
        list_entries(str(tmp_path))
    (tmp_path / "manifest.csv").write_text("file,fetched_at\nx.txt,yesterday\n")
    with pytest.raises(FolderError, match="not an ISO 8601 time"):
        list_entries(str(tmp_path))


def test_a_single_file_is_a_source_with_its_folder_manifest(tmp_path):
    (tmp_path / "one.txt").write_text("page")
    (tmp_path / "manifest.csv").write_text("file,fetched_at,url,outlet\none.txt,,https://example.com/one,\n")
    [entry] = list_entries(str(tmp_path / "one.txt"))
    assert entry["url"] == "https://example.com/one"


@pytest.mark.parametrize("ref, expected", [
    ("/data/seeds", Source("folder", "/data/seeds")),
    ("/data/crawl.warc.gz", Source("warc", "/data/crawl.warc.gz")),
    ("warc:https://example.org/crawl.warc.gz", Source("warc", "https://example.org/crawl.warc.gz")),
    ("feed:https://laist.com/index.rss|LAist", Source("feed", "https://laist.com/index.rss", "LAist")),
    ("sitemap:https://example.org/sitemap.xml", Source("sitemap", "https://example.org/sitemap.xml")),
    ("https://example.org/story.html", Source("page", "https://example.org/story.html")),
])
def test_source_references_round_trip(ref, expected):
    assert parse_ref(ref) == expected
    assert parse_ref(expected.ref) == expected


def test_source_config_lists_sources_per_outlet(tmp_path):
    (tmp_path / "sources.toml").write_text(
        '[[outlet]]\nname = "LAist"\nfeeds = ["https://laist.com/index.rss"]\n'
        'sitemaps = ["https://laist.com/sitemap.xml"]\n\n'
        '[[outlet]]\nname = "Local"\nfolders = ["pages"]\nwarcs = ["crawls/a.warc.gz"]\n')
    assert load_sources(tmp_path / "sources.toml") == [
        Source("feed", "https://laist.com/index.rss", "LAist"),
        Source("sitemap", "https://laist.com/sitemap.xml", "LAist"),
        Source("folder", str(tmp_path / "pages"), "Local"),
        Source("warc", str(tmp_path / "crawls" / "a.warc.gz"), "Local"),
    ]


@pytest.mark.parametrize("text, message", [
    (None, "no source config file"),
    ("[[outlet]\n", "not valid TOML"),
    ('[[outlet]]\nname = "X"\nfeed = ["https://x.org/rss"]\n', "unknown keys \\['feed'\\]"),
    ('[[outlet]]\nname = "X"\n', "lists no sources"),
])
def test_source_config_errors_are_clear(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(SourceConfigError, match=message):
        load_sources(path)
