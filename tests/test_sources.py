"""Source references and the config file; the local folder source: page files and their .gz,
the manifest, and what is not a page; local sources that cannot be listed or read, in real runs."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import tracemalloc
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import pytest
from warcio.warcwriter import WARCWriter

from conftest import SEEDS, newsarchive
from pipeline.job import run_plain
from pipeline.records import RawPage, Reject
from pipeline.run import RunSummary
from pipeline.settings import Settings
from pipeline.sources import SourceError, plan_entries
from pipeline.sources.config import Source, SourceConfigError, load_sources, parse_ref
from pipeline.sources.files import FolderError, list_entries, read_entry
from pipeline.sources.links import unlisted_entry
from pipeline.store import ArchivePaths, connect


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
    read = partial(read_entry, max_bytes=Settings().max_page_bytes)
    assert sorted(entries) == ["a.html", "b.txt.gz", "broken.htm.gz", "c.txt", "notes.pdf"]

    b = read(entries["b.txt.gz"])
    assert isinstance(b, RawPage) and b.content == b"Plain text page"
    assert (b.url, b.outlet, b.fetched_at_method) == ("https://example.com/b", "Example News", "manifest")
    assert b.fetched_at == datetime(2024, 3, 5, 5, 7, 8, tzinfo=timezone.utc)

    c = read(entries["c.txt"])
    assert c.fetched_at == datetime(2024, 3, 5, tzinfo=timezone.utc) and c.url is None

    a = read(entries["a.html"])
    assert a.fetched_at_method == "file_mtime" and a.url is None

    broken, pdf = read(entries["broken.htm.gz"]), read(entries["notes.pdf"])
    assert isinstance(broken, Reject) and (broken.stage, broken.reason) == ("read", "corrupt_gzip")
    assert isinstance(pdf, Reject) and pdf.reason == "unsupported_type" and ".html" in pdf.detail


def test_a_file_the_manifest_names_that_is_not_in_the_folder_is_a_missing_reject(tmp_path):
    (tmp_path / "a.html").write_text("<html><body><p>a</p></body></html>")
    (tmp_path / ".draft.html").write_text("left out on purpose, as every dot-file")
    (tmp_path / "manifest.csv").write_text(
        "file,fetched_at,url,outlet\n"
        "./a.html,2024-03-05,https://example.com/a,\n"
        "gone.html,2024-03-05,https://example.com/gone,\n"
        ".draft.html,,,\n"
        "\n"
        ",,,\n"
    )
    entries = list_entries(str(tmp_path))
    assert [(e["path"], e["url"]) for e in entries if e["kind"] == "file"] == [
        (str(tmp_path / "a.html"), "https://example.com/a")]  # "./a.html" is a.html
    assert [e for e in entries if e["kind"] == "unlisted"] == [unlisted_entry(
        str(tmp_path), str(tmp_path / "gone.html"), "missing", "gone.html: listed in manifest.csv, not in the folder")]
    # a single file's source reads its folder's manifest for itself only
    assert [e["kind"] for e in list_entries(str(tmp_path / "a.html"))] == ["file"]
    # a row that names no file (short of its `file` column) names nothing missing
    (tmp_path / "manifest.csv").write_text("url,file\nhttps://example.com/x\n")
    assert [e["kind"] for e in list_entries(str(tmp_path))] == ["file"]


def test_missing_source_and_bad_manifest_are_clear_errors(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        plan_entries([str(tmp_path / "absent")], Settings(), ArchivePaths(tmp_path), tmp_path)
    (tmp_path / "manifest.csv").write_text("name,url\nx.txt,\n")
    with pytest.raises(FolderError, match="needs a header row with at least a `file` column"):
        list_entries(str(tmp_path))


def test_a_bad_manifest_row_is_a_reject_of_its_own_and_the_other_rows_are_read(tmp_path):
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (tmp_path / name).write_text(f"page {name}")
    (tmp_path / "manifest.csv").write_text(
        "file,fetched_at,url,outlet\n"
        "a.txt,yesterday,https://example.com/a,\n"
        "b.txt,2024-03-05,https://example.com/b,\n"
        "c.txt,9999-12-31T23:00:00-05:00,,\n"  # past UTC's last day
        "d.txt,2024-03-05,https://example.com/d,Example,extra\n"
        "../outside.html,2024-03-05,,\n"
        "/etc/passwd,,,\n"
        "sub/../../up.html,,,\n"
    )
    entries = list_entries(str(tmp_path))
    assert [(e["path"], e["url"], e["fetched_at"]) for e in entries if e["kind"] == "file"] == [
        (str(tmp_path / "b.txt"), "https://example.com/b", "2024-03-05")]
    manifest = str(tmp_path / "manifest.csv")
    assert [(e["url"], e["reason"], e["detail"]) for e in entries if e["kind"] == "unlisted"] == [
        (str(tmp_path / "a.txt"), "bad_manifest", "manifest.csv, line 2: fetched_at 'yesterday' of 'a.txt' is not an "
         "ISO 8601 time that UTC can hold; the page is not read until its row is put right"),
        (str(tmp_path / "c.txt"), "bad_manifest", "manifest.csv, line 4: fetched_at '9999-12-31T23:00:00-05:00' of "
         "'c.txt' is not an ISO 8601 time that UTC can hold; the page is not read until its row is put right"),
        (str(tmp_path / "d.txt"), "bad_manifest", "manifest.csv, line 5: 5 fields, more than the header's 4 (a comma "
         "in a field without quotes?); the page is not read until its row is put right"),
        (f"{manifest}#../outside.html", "bad_manifest",
         "manifest.csv, line 6: '../outside.html' is not a path inside the folder (not read)"),
        (f"{manifest}#/etc/passwd", "bad_manifest",
         "manifest.csv, line 7: '/etc/passwd' is not a path inside the folder (not read)"),
        (f"{manifest}#sub/../../up.html", "bad_manifest",
         "manifest.csv, line 8: 'sub/../../up.html' is not a path inside the folder (not read)"),
    ]
    # a single file's source has its own row's reject, and no other's
    [entry] = list_entries(str(tmp_path / "a.txt"))
    assert (entry["kind"], entry["url"], entry["reason"]) == ("unlisted", str(tmp_path / "a.txt"), "bad_manifest")
    assert [e["kind"] for e in list_entries(str(tmp_path / "b.txt"))] == ["file"]


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
        '[[outlet]]\nname = "Local"\nfolders = ["pages"]\nwarcs = ["crawls/a.warc.gz"]\nurl_lists = ["lists/a.txt"]\n')
    # Paths on disk are read from the config's folder, wherever the nightly runs.
    assert load_sources(tmp_path / "sources.toml") == [
        Source("feed", "https://laist.com/index.rss", "LAist"),
        Source("sitemap", "https://laist.com/sitemap.xml", "LAist"),
        Source("folder", str(tmp_path / "pages"), "Local"),
        Source("warc", str(tmp_path / "crawls" / "a.warc.gz"), "Local"),
        Source("urls", str(tmp_path / "lists" / "a.txt"), "Local"),
    ]


@pytest.mark.parametrize("text, message", [
    (None, "no source config file"),
    ("[[outlet]\n", "not valid TOML"),
    ('[[outlet]]\nname = "X"\nfeed = ["https://x.org/rss"]\n', "unknown keys \\['feed'\\]"),
    ('[[outlet]]\nname = "X"\n', "lists no sources"),
    ('[[outlet]]\nname = "X"\nfolders = ["my|pages"]\n', "a path with \\| in its name cannot be a source"),
    # A string for a list: each of its characters had been a source, "/" a folder of the whole disk.
    ('[[outlet]]\nname = "X"\nfolders = "captures/"\n', "X: folders must be a list of strings"),
    ('[[outlet]]\nname = "X"\nfeeds = ["https://x.org/rss", 3]\n', "X: feeds must be a list of strings"),
    ('[[outlet]]\nname = "X"\nfeeds = [""]\n', "X: feeds must be a list of strings"),
    ('[outlet]\nname = "X"\nfeeds = ["https://x.org/rss"]\n', "write \\[\\[outlet\\]\\], in double brackets"),
    ('outlet = ["https://x.org/rss"]\n', "write \\[\\[outlet\\]\\], in double brackets"),
    ('[[outlets]]\nname = "X"\nfeeds = ["https://x.org/rss"]\n', "unknown keys \\['outlets'\\]"),
    ('[[outlet]]\nname = 3\nfeeds = ["https://x.org/rss"]\n', "outlet 1: name must be a string"),
])
def test_source_config_errors_are_clear(tmp_path, text, message):
    path = tmp_path / "sources.toml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(SourceConfigError, match=message):
        load_sources(path)


# --- local sources that cannot be listed or read, in real runs ------------------------

def good_folder(root: Path) -> Path:
    """The two seed pages with their manifest: what a run must archive whatever else it is given."""
    return Path(shutil.copytree(SEEDS, root / "good"))


def archive_rows(archive: Path) -> dict[str, list]:
    with connect(archive) as con:
        return {
            "rejects": con.sql("SELECT stage, reason, source_ref, detail FROM rejects ORDER BY source_ref").fetchall(),
            "documents": con.sql("SELECT source_ref FROM documents ORDER BY source_ref").fetchall(),
            "duplicates": con.sql("SELECT source_ref FROM duplicates ORDER BY source_ref").fetchall(),
            "raw_pages": con.sql("SELECT source_ref FROM raw_pages ORDER BY source_ref").fetchall(),
        }


def run_and_rerun(archive: Path, refs: list[Path], **settings) -> tuple[RunSummary, dict[str, list]]:
    """A run, and the same run again, which must add no row: the first run's summary and the archive's rows."""
    summary = run_plain(Settings(archive=archive, entities=False, **settings), [str(r) for r in refs])
    rows = archive_rows(archive)
    again = run_plain(Settings(archive=archive, entities=False, **settings), [str(r) for r in refs])
    assert (again.status, again.articles_archived, again.versions, again.duplicates, again.rejected) == \
        ("succeeded", 0, 0, 0, 0)
    assert archive_rows(archive) == rows
    return summary, rows


def seed_pages_archived(rows: dict[str, list], good: Path) -> bool:
    return rows["documents"] == [(str(good / p.name),) for p in sorted(SEEDS.glob("*.txt"))]


def folder_with_manifest(path: Path, manifest: bytes) -> Path:
    path.mkdir()
    (path / "page.txt").write_text("Ferry crossings resume after the floods.\n\n" + "The captain said so. " * 40)
    (path / "manifest.csv").write_bytes(manifest)
    return path


def unlistable_sources(root: Path) -> list[tuple[Path, str, str]]:
    """Local sources that cannot be listed, each with its reject's reason and words of its detail."""
    header = b"file,fetched_at,url,outlet\n"
    (root / "empty.warc.gz").write_bytes(b"")
    (root / "notes.warc").write_text("These are notes, not a WARC file.\n")
    (root / "loop").symlink_to("loop")
    return [
        (folder_with_manifest(root / "latin1", header + b"page.txt,2026-11-23T08:09:08Z,,Caf\xe9\n"),
         "bad_manifest", "manifest.csv is not UTF-8"),
        (folder_with_manifest(root / "nofile", b"name,url\npage.txt,\n"),
         "bad_manifest", "needs a header row with at least a `file` column"),
        (root / "absent", "missing", "no such file or folder"),
        (root / "absent.warc", "missing", "cannot open (No such file or directory)"),
        (root / "empty.warc.gz", "not_a_warc", "an empty file, not WARC or ARC"),
        (root / "notes.warc", "not_a_warc", "not a WARC or ARC file"),
        (root / "loop", "unreadable", "Too many levels of symbolic links"),
    ]


def test_a_local_source_that_cannot_be_listed_is_a_list_reject_and_the_run_goes_on(tmp_path):
    good, bad = good_folder(tmp_path), unlistable_sources(tmp_path)
    summary, rows = run_and_rerun(tmp_path / "archive", [good, *(path for path, _, _ in bad)])
    assert summary.status == "succeeded" and seed_pages_archived(rows, good)
    assert [(ref, stage, reason) for stage, reason, ref, _ in rows["rejects"]] == \
        sorted((str(path), "list", reason) for path, reason, _ in bad)
    details = {ref: detail for _, _, ref, detail in rows["rejects"]}
    for path, _, words in bad:
        assert details[str(path)].startswith(f"{parse_ref(str(path)).ref}: ") and words in details[str(path)]


def test_a_bad_manifest_row_costs_its_page_alone_until_it_is_put_right(tmp_path):
    good = good_folder(tmp_path)
    first, second = sorted(p.name for p in SEEDS.glob("*.txt"))
    rows = f"file,fetched_at,url,outlet\n{first},2026-11-23T08:09:08Z,,\n{second},yesterday,,\n../../etc/passwd,,,\n"
    (good / "manifest.csv").write_text(rows)
    archive = tmp_path / "archive"
    summary, archived = run_and_rerun(archive, [good])
    assert (summary.status, summary.articles_archived, summary.rejected) == ("succeeded", 1, 2)
    assert archived["documents"] == [(str(good / first),)]
    assert [(stage, reason, ref) for stage, reason, ref, _ in archived["rejects"]] == [
        ("list", "bad_manifest", str(good / second)), ("list", "bad_manifest", f"{good / 'manifest.csv'}#../../etc/passwd")]
    (good / "manifest.csv").write_text(rows.replace("yesterday", "2026-11-22T07:00:00Z"))
    fixed = run_plain(Settings(archive=archive, entities=False), [str(good)])
    assert (fixed.articles_archived, fixed.rejected) == (1, 0)
    with connect(archive) as con:
        assert con.sql("SELECT fetched_at_method, fetched_at::VARCHAR FROM raw_pages WHERE source_ref = ?",
                       params=[str(good / second)]).fetchall() == [("manifest", "2026-11-22 07:00:00+00")]


def test_a_run_whose_sources_are_all_local_and_unlistable_fails_as_before(tmp_path):
    archive = tmp_path / "archive"
    (tmp_path / "notes.warc").write_text("These are notes, not a WARC file.\n")
    with pytest.raises(SourceError, match=r"absent: no such file or folder; .*notes\.warc: not a WARC or ARC file"):
        run_plain(Settings(archive=archive, entities=False), [str(tmp_path / "absent"), str(tmp_path / "notes.warc")])
    with connect(archive) as con:
        assert con.sql("SELECT status FROM runs").fetchall() == [("failed",)]
        assert con.sql("SELECT count(*) FROM rejects").fetchone() == (0,)


def test_the_command_takes_a_symlink_loop_as_a_source_it_cannot_list(tmp_path):
    good, loop, archive = good_folder(tmp_path), tmp_path / "loop", tmp_path / "archive"
    loop.symlink_to("loop")
    ran = newsarchive("run", str(good), str(loop), "--archive", str(archive), "--executor", "plain", "--no-entities")
    assert "unreadable 1" in ran.stdout and "Traceback" not in ran.stderr
    alone = newsarchive("run", str(loop), "--archive", str(archive), "--executor", "plain", check=False)
    assert alone.returncode == 2 and "Traceback" not in alone.stderr
    assert f"{loop}: cannot be read (Too many levels of symbolic links)" in alone.stderr
    with connect(archive) as con:
        assert con.sql("SELECT status FROM runs ORDER BY started_at").fetchall() == [("succeeded",), ("failed",)]
        assert con.sql("SELECT stage, reason FROM rejects").fetchall() == [("list", "unreadable")]


def test_a_mistyped_url_list_on_disk_fails_a_run_of_it_alone_and_is_a_reject_beside_others(tmp_path):
    good, archive, absent = good_folder(tmp_path), tmp_path / "archive", tmp_path / "nolist.txt"
    alone = newsarchive("run", f"urls:{absent}", "--archive", str(archive), "--executor", "plain", check=False)
    assert alone.returncode == 2 and "Traceback" not in alone.stderr
    assert f"{absent}: No such file or directory" in alone.stderr
    ran = newsarchive("run", str(good), f"urls:{absent}", "--archive", str(archive), "--executor", "plain",
                      "--no-entities")
    assert "missing 1" in ran.stdout
    with connect(archive) as con:
        assert con.sql("SELECT status FROM runs ORDER BY started_at").fetchall() == [("failed",), ("succeeded",)]
        assert con.sql("SELECT stage, reason, source_ref FROM rejects").fetchall() == [("list", "missing", str(absent))]


def test_a_reference_that_names_no_source_fails_its_run_with_a_runs_row_as_a_mistyped_path_does(tmp_path):
    archive, barred, absent = tmp_path / "archive", tmp_path / "a|b", tmp_path / "absent"
    barred.mkdir()
    for command, ref in (("run", "feed:"), ("run", "urls:"), ("backfill", str(barred)), ("run", str(absent))):
        ran = newsarchive(command, ref, "--archive", str(archive), "--executor", "plain", check=False)
        assert ran.returncode == 2 and "Traceback" not in ran.stderr
    with connect(archive) as con:
        assert con.sql("SELECT status, sources, error FROM runs ORDER BY started_at").fetchall() == [
            ("failed", ["feed:"], "pipeline.sources.config.SourceConfigError: 'feed:': no location after feed:"),
            ("failed", ["urls:"], "pipeline.sources.config.SourceConfigError: 'urls:': no location after urls:"),
            ("failed", [str(barred)], f"pipeline.sources.config.SourceConfigError: {barred}: a path with | in its name "
                                      "cannot be a source, since | names the outlet (rename it, or name a link to it)"),
            ("failed", [str(absent)], f"pipeline.sources.SourceError: {absent}: no such file or folder"),
        ]


def write_gzip_bomb(path: Path, megabytes: int) -> Path:
    with gzip.open(path, "wb") as f:
        for _ in range(megabytes):
            f.write(bytes(1_000_000))
    return path


def test_a_local_page_over_max_page_bytes_is_rejected_as_too_large(tmp_path):
    good = good_folder(tmp_path)
    write_gzip_bomb(good / "bomb.html.gz", 5)
    (good / "huge.txt").write_text("A page that never ends. " * 10_000)
    summary, rows = run_and_rerun(tmp_path / "archive", [good], max_page_bytes=200_000)
    assert seed_pages_archived(rows, good)
    assert [(stage, reason, Path(ref).name) for stage, reason, ref, _ in rows["rejects"]] == [
        ("read", "too_large", "bomb.html.gz"), ("read", "too_large", "huge.txt")]
    details = [detail for *_, detail in rows["rejects"]]
    assert details == ["bomb.html.gz: more than 200000 bytes once decompressed (NEWSARCHIVE_MAX_PAGE_BYTES)",
                       "huge.txt: more than 200000 bytes (NEWSARCHIVE_MAX_PAGE_BYTES)"]


def test_a_gzip_bomb_is_inflated_no_further_than_the_limit(tmp_path):
    [entry] = list_entries(str(write_gzip_bomb(tmp_path / "bomb.txt.gz", 50)))
    tracemalloc.start()
    try:
        got = read_entry(entry, max_bytes=1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(got, Reject) and (got.stage, got.reason) == ("read", "too_large")
    assert peak < 5_000_000


def test_what_a_folder_holds_but_cannot_read_is_rejected_not_dropped(tmp_path):
    good, elsewhere = good_folder(tmp_path), tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "page.txt").write_text("A page in a folder that a link points to.")
    (good / "gone.html").symlink_to(tmp_path / "nowhere.html")
    (good / "loop.txt").symlink_to("loop.txt")
    (good / "linked").symlink_to(elsewhere)
    os.mkfifo(good / "pipe.html")
    (good / ".git").mkdir()
    (good / ".git" / "notes.txt").write_text("Left out on purpose: version control's folder.")
    (good / ".draft.txt").write_text("Left out on purpose: an editor's file.")
    summary, rows = run_and_rerun(tmp_path / "archive", [good])
    assert seed_pages_archived(rows, good)
    assert [(ref, stage, reason, detail) for stage, reason, ref, detail in rows["rejects"]] == [
        (str(good / "gone.html"), "list", "unreadable",
         f"{good}: gone.html: a symbolic link that cannot be followed (No such file or directory)"),
        (str(good / "linked"), "list", "unsupported_type",
         f"{good}: linked: a symbolic link to a folder, not followed (name the folder as a source of its own)"),
        (str(good / "loop.txt"), "list", "unreadable",
         f"{good}: loop.txt: a symbolic link that cannot be followed (Too many levels of symbolic links)"),
        (str(good / "pipe.html"), "list", "unsupported_type",
         f"{good}: pipe.html: not a regular file (a named pipe, socket or device)"),
    ]


def test_file_names_that_are_not_utf8_are_read_and_named_with_escapes(tmp_path):
    """Files named on another system (Latin-1 bytes): the run failed on the first such
    name, in pyarrow, with every other page of the folder."""
    good = good_folder(tmp_path)
    folder = os.fsencode(good)
    with open(folder + b"/caf\xe9-report.txt", "w") as f:
        f.write("Harbour café reopens\n\n" + "The owners said the new terrace would open in spring. " * 8)
    with open(folder + b"/empty-\xff.html", "w"):
        pass
    summary, rows = run_and_rerun(tmp_path / "archive", [good])
    refs = {ref for (ref,) in rows["documents"]}
    assert str(good / "caf\\xe9-report.txt") in refs and summary.articles_archived == 3
    assert [(ref, stage, reason) for stage, reason, ref, _ in rows["rejects"]] == [
        (str(good / "empty-\\xff.html"), "decode", "empty")]


def test_a_source_named_with_bytes_that_are_not_utf8_is_recorded_with_escapes(tmp_path):
    good = good_folder(tmp_path)
    missing = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.warc.gz")  # as a shell hands it over
    summary = run_plain(Settings(archive=tmp_path / "archive", entities=False), [str(good), missing])
    assert summary.articles_archived == 2
    with connect(tmp_path / "archive") as con:
        assert con.sql("SELECT source_ref, reason FROM rejects").fetchall() == [(str(tmp_path / "caf\\xe9.warc.gz"), "missing")]
        assert con.sql("SELECT sources FROM runs").fetchone()[0][1] == str(tmp_path / "caf\\xe9.warc.gz")


@pytest.mark.skipif(os.geteuid() == 0, reason="root lists every folder")
def test_a_subfolder_that_cannot_be_listed_is_rejected_not_skipped(tmp_path):
    good = good_folder(tmp_path)
    (good / "sub").mkdir()
    (good / "sub" / "page.txt").write_text("A page in a folder nobody may list.")
    (good / "sub").chmod(0)
    try:
        summary, rows = run_and_rerun(tmp_path / "archive", [good])
    finally:
        (good / "sub").chmod(0o755)
    assert seed_pages_archived(rows, good)
    assert rows["rejects"] == [("list", "unreadable", str(good / "sub"),
                                f"{good}: sub: cannot list the folder (Permission denied)")]


def write_crawl(path: Path) -> Path:
    """A WARC file of one page: a text the seeds do not have."""
    text = ("The river ferry resumed crossings after the spring floods. Captain Ines Moreau steered the first "
            "boat across at dawn while a dozen commuters cheered from the jetty. Engineers replaced two winches "
            "and a cracked hull plate during the three weeks the service was halted.\n")
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        writer.write_record(writer.create_warc_record(
            "https://news.example.org/ferry.txt", "resource", payload=io.BytesIO(text.encode()),
            warc_content_type="text/plain", warc_headers_dict={"WARC-Date": "2026-11-02T06:00:00Z"}))
    return path


def test_a_local_file_named_by_several_sources_is_read_once(tmp_path):
    good, png = good_folder(tmp_path), tmp_path / "f.png"
    page = good / "000_c8b65d296b825c04.txt"
    (good / "alias.txt").symlink_to(page.name)
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    crawl = write_crawl(tmp_path / "crawl.warc.gz")
    absent = tmp_path / "absent"
    summary, rows = run_and_rerun(tmp_path / "archive", [good, page, good, png, png, crawl, crawl, absent, absent])
    assert (summary.pages_read, summary.articles_archived, summary.duplicates) == (5, 3, 0)
    assert rows["documents"] == sorted([(f"{crawl}#0",), *((str(good / p.name),) for p in SEEDS.glob("*.txt"))])
    assert [(stage, reason, ref) for stage, reason, ref, _ in rows["rejects"]] == [
        ("list", "missing", str(absent)), ("read", "unsupported_type", str(png))]


def test_a_path_with_a_bar_in_its_name_is_refused_clearly(tmp_path):
    odd = Path(shutil.copytree(SEEDS, tmp_path / "my|pages"))
    refused = newsarchive("run", str(odd), "--archive", str(tmp_path / "archive"), "--executor", "plain", check=False)
    assert refused.returncode == 2 and "cannot be a source, since | names the outlet" in refused.stderr


def test_a_warc_gzipped_as_one_stream_keeps_its_break_beside_its_first_page(tmp_path):
    # Its first record is a page at byte 0, and the break warcio meets after it is at byte 0 too.
    one_stream = tmp_path / "crawl.warc.gz"
    write_crawl(tmp_path / "plain.warc.gz")
    records = gzip.decompress((tmp_path / "plain.warc.gz").read_bytes())
    one_stream.write_bytes(gzip.compress(records * 2))
    summary = run_plain(Settings(archive=tmp_path / "archive", entities=False), [str(one_stream)])
    rows = archive_rows(tmp_path / "archive")
    assert summary.articles_archived == 1
    assert [(stage, reason, ref) for stage, reason, ref, _ in rows["rejects"]] == [
        ("read", "corrupt_warc", f"{one_stream}#0")]
    assert "compressed as one gzip stream" in rows["rejects"][0][3]
