"""identity (canonical URLs, content hashes, article ids) and dedup (what the archive already has)."""

import hashlib
from datetime import datetime, timezone

import pytest

from pipeline.dedup import ArchiveKeys, drop_known_rejects, drop_unchanged, find_duplicates, write_key_files
from pipeline.identity import article_id, canonical_url, content_hash
from pipeline.records import RawPage, Reject
from pipeline.store import ArchivePaths, ensure_archive, write_table
from schemas.tables import TABLES

TEXT = "The council voted 7-2 on Tuesday.\n\nThe budget passed!"
OTHER_TEXT = "Snow closed every school in the county on Monday."


# identity

@pytest.mark.parametrize("variant", [
    "the council voted 7 2 on tuesday the budget passed",
    "THE COUNCIL VOTED 7-2 ON TUESDAY. THE BUDGET PASSED.",
    "  The   council voted, 7–2, on Tuesday…\nThe budget passed  ",
])
def test_content_hash_ignores_case_white_space_and_punctuation(variant):
    assert content_hash(variant) == content_hash(TEXT)


@pytest.mark.parametrize("edit", [
    "The council voted 7-3 on Tuesday.\n\nThe budget passed!",
    "The council voted 7-2 on Tuesday.\n\nThe budget failed!",
    "The budget passed! The council voted 7-2 on Tuesday.",
])
def test_content_hash_changes_with_the_words(edit):
    assert content_hash(edit) != content_hash(TEXT)


def test_content_hash_is_sha256_of_the_lower_case_words():
    assert content_hash("Hello, World!") == hashlib.sha256(b"hello world").hexdigest()


@pytest.mark.parametrize("url, expected", [
    ("https://WWW.Example.com:443/news/story/?utm_source=tw&utm_medium=social&fbclid=x&gclid=y#comments",
     "https://example.com/news/story"),
    # The mobile, AMP and http renderings of one page are one article.
    ("http://m.example.com/news/story", "https://example.com/news/story"),
    ("https://amp.example.com/news/story/amp/?outputType=amp", "https://example.com/news/story"),
    ("https://example.com/amp/news/story", "https://example.com/news/story"),
    ("https://www.example.com/news/story.amp.html", "https://example.com/news/story.html"),
    ("https://example.com/news/story?ocid=rss&cmpid=x&smid=tw-share&ref=home", "https://example.com/news/story"),
    ("https://m.co/story", "https://m.co/story"),  # a short domain, not a mobile host
    ("https://example.com/story?id=42&utm_campaign=spring#top", "https://example.com/story?id=42"),
    ("  https://example.com/story  ", "https://example.com/story"),
    # Parameters that pick the article stay, whatever their name, in one order.
    ("https://news.example.kr/news/articleView.html?idxno=101&utm_content=x",
     "https://news.example.kr/news/articleView.html?idxno=101"),
    ("https://example.com/story.php?sid=7&cat=2", "https://example.com/story.php?cat=2&sid=7"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_keeps_articles_apart_that_differ_only_in_a_parameter():
    assert (canonical_url("https://news.example.kr/news/articleView.html?idxno=101")
            != canonical_url("https://news.example.kr/news/articleView.html?idxno=102"))


@pytest.mark.parametrize("url", [None, "", "http://[::1"])
def test_canonical_url_of_no_or_broken_url_is_none(url):
    assert canonical_url(url) is None


def test_article_id_comes_from_the_url_when_there_is_one_and_the_text_otherwise():
    url = "https://example.com/story"
    assert article_id(url, content_hash(TEXT)) == article_id(url, content_hash(OTHER_TEXT))
    assert article_id(None, content_hash(TEXT)) != article_id(None, content_hash(OTHER_TEXT))
    assert article_id(None, content_hash(TEXT)) != article_id(url, content_hash(TEXT))
    assert article_id(url, "x") == hashlib.sha256(b"url:https://example.com/story").hexdigest()[:16]


# dedup

def empty_keys() -> ArchiveKeys:
    return ArchiveKeys()


def doc_row(source_ref: str, text: str, url: str | None = None) -> dict:
    canonical, digest = canonical_url(url), content_hash(text)
    return {
        "article_id": article_id(canonical, digest), "source_ref": source_ref, "url": url,
        "canonical_url": canonical, "content_hash": digest, "raw_hash": f"raw-{source_ref}", "text": text,
        "title": None, "word_count": len(text.split()), "fetched_at": None,
    }


def test_find_duplicates_within_a_batch():
    first = doc_row("a", TEXT, "https://example.com/story?utm_source=rss")
    refetched = doc_row("b", TEXT + "  ", "https://Example.com/story#comments")
    updated = doc_row("b2", TEXT + " Updated at noon.", "https://example.com/story/")
    same_text = doc_row("c", "the council voted 7 2 on tuesday the budget passed", "https://mirror.example.org/x")
    other = doc_row("d", OTHER_TEXT)
    other_again = doc_row("e", OTHER_TEXT + "\n")
    keys = empty_keys()

    originals, duplicates, versions = find_duplicates([first, refetched, updated, same_text, other, other_again], keys)

    assert originals == [first, other]
    assert duplicates == [
        {"source_ref": "b", "url": "https://Example.com/story#comments", "canonical_url": "https://example.com/story",
         "raw_hash": "raw-b", "matched_article_id": first["article_id"], "method": "canonical_url", "similarity": 1.0},
        {"source_ref": "c", "url": "https://mirror.example.org/x", "canonical_url": "https://mirror.example.org/x",
         "raw_hash": "raw-c", "matched_article_id": first["article_id"], "method": "content_hash", "similarity": 1.0},
        {"source_ref": "e", "url": None, "canonical_url": None,
         "raw_hash": "raw-e", "matched_article_id": other["article_id"], "method": "content_hash", "similarity": 1.0},
    ]
    # The same URL with changed text is the article's second version, not a new article.
    assert [(v["article_id"], v["version"], v["source_ref"]) for v in versions] == [(first["article_id"], 2, "b2")]


def test_find_duplicates_against_the_archive_and_learns_the_originals():
    keys = ArchiveKeys(
        urls={"https://example.com/old-story": "archived-by-url"},
        hashes={content_hash(OTHER_TEXT): "archived-by-text"},
        versions={"archived-by-url": {content_hash(TEXT): 1}},
    )
    by_url = doc_row("a", TEXT, "https://example.com/old-story?utm_medium=email")
    by_text = doc_row("b", OTHER_TEXT, "https://example.com/new-story")
    fresh = doc_row("c", TEXT, "https://example.com/fresh-story")

    originals, duplicates, versions = find_duplicates([by_url, by_text, fresh], keys)

    assert originals == [fresh] and versions == []
    assert [(d["source_ref"], d["matched_article_id"], d["method"]) for d in duplicates] == [
        ("a", "archived-by-url", "canonical_url"), ("b", "archived-by-text", "content_hash"),
    ]
    # Duplicates teach the keys nothing; the original does, for the next batch.
    assert keys.urls == {"https://example.com/old-story": "archived-by-url",
                         "https://example.com/fresh-story": fresh["article_id"]}
    assert keys.hashes == {content_hash(OTHER_TEXT): "archived-by-text", content_hash(TEXT): fresh["article_id"]}
    edit = doc_row("d", "A new text entirely.", "https://example.com/fresh-story")
    again = doc_row("e", "A new text entirely.", "https://example.com/fresh-story")
    _, later, versions = find_duplicates([edit, again], keys)
    assert [(v["article_id"], v["version"]) for v in versions] == [(fresh["article_id"], 2)]
    assert [(d["source_ref"], d["matched_article_id"], d["method"]) for d in later] == [
        ("e", fresh["article_id"], "canonical_url")]


def test_find_duplicates_prefers_the_url_match():
    keys = ArchiveKeys(urls={"https://example.com/story": "by-url"}, hashes={content_hash(TEXT): "by-text"},
                       versions={"by-url": {content_hash(TEXT): 3}})
    _, duplicates, _ = find_duplicates([doc_row("a", TEXT, "https://example.com/story")], keys)
    assert [(d["matched_article_id"], d["method"]) for d in duplicates] == [("by-url", "canonical_url")]


def test_find_duplicates_does_not_match_pages_without_a_url_by_url():
    rows = [doc_row("a", TEXT), doc_row("b", OTHER_TEXT)]
    keys = empty_keys()
    originals, duplicates, versions = find_duplicates(rows, keys)
    assert originals == rows and duplicates == [] == versions
    assert keys.urls == {}


def test_drop_unchanged_skips_pages_whose_bytes_are_archived():
    old, new, new_copy = RawPage("a", b"old page"), RawPage("b", b"new page"), RawPage("c", b"new page")
    keys = empty_keys()
    keys.raw_hashes.add(hashlib.sha256(b"old page").hexdigest())
    pages = [new, old, new_copy]
    fresh, unchanged = drop_unchanged(pages, [hashlib.sha256(p.content).hexdigest() for p in pages], keys)
    assert fresh == [new, new_copy]  # the same bytes twice in one batch are find_duplicates' to judge
    assert unchanged == 1


def test_drop_known_rejects_matches_on_source_bytes_and_reason():
    keys = empty_keys()
    keys.rejected |= {("a.html", "h1", "binary"), ("unreadable.gz", "", "corrupt_gzip"),
                      ("https://x.org/feed", "", "http_404"), ("https://x.org/rss", "", "not_a_feed")}
    rejects = [
        Reject("a.html", "h1", "decode", "binary", "binary file"),        # known
        Reject("a.html", "h2", "decode", "binary", "binary file"),        # same file, new bytes
        Reject("b.html", "h1", "decode", "binary", "binary file"),        # same bytes, other file
        Reject("unreadable.gz", None, "read", "corrupt_gzip", "bad gzip"),  # known, no bytes read
        Reject("https://x.org/feed", None, "list", "malformed_feed", "bad XML"),  # failed before, for another reason
        Reject("https://x.org/rss", None, "list", "not_a_feed", "HTML"),   # known: a listing, not a page unchanged
        Reject("https://x.org/a", None, "fetch", "http_500", "HTTP 500"),  # a fetch: each attempt is new
    ]
    fresh, known_pages = drop_known_rejects(rejects, keys)
    assert fresh == [rejects[1], rejects[2], rejects[4], rejects[6]]
    assert known_pages == 2


def test_archive_keys_load_reads_the_published_tables(tmp_path):
    paths = ArchivePaths(tmp_path)
    ensure_archive(paths)
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)
    run = paths.data / "20240501T000000Z-abc123"
    with_url, without_url = doc_row("a", TEXT, "https://example.com/story"), doc_row("b", OTHER_TEXT)
    write_table(run, TABLES["documents"], [
        {**row, "word_count": 5, "page_format": "text", "extract_method": "text_cleaner",
         "furniture_removed": 0, "run_id": run.name, "ingested_at": now}
        for row in (with_url, without_url)
    ])
    write_table(run, TABLES["duplicates"], [
        {"source_ref": "c", "raw_hash": "raw-c", "matched_article_id": with_url["article_id"],
         "method": "content_hash", "similarity": 1.0, "run_id": run.name},
    ])
    write_table(run, TABLES["article_versions"], [
        {"article_id": with_url["article_id"], "version": 2, "source_ref": "v2.html", "raw_hash": "raw-v2",
         "content_hash": "edited", "text": "edited", "word_count": 1, "run_id": run.name},
    ])
    write_table(run, TABLES["raw_pages"], [
        {"raw_hash": "raw-a", "content": b"<p>a</p>", "size": 8, "source_ref": "a.html", "run_id": run.name},
    ])
    write_table(run, TABLES["rejects"], [
        {"source_ref": "d.png", "raw_hash": "raw-d", "stage": "decode", "reason": "binary", "detail": "PNG",
         "run_id": run.name, "rejected_at": now},
        {"source_ref": "e.gz", "raw_hash": None, "stage": "read", "reason": "corrupt_gzip", "detail": "bad gzip",
         "run_id": run.name, "rejected_at": now},
    ])

    # Read from the archive, or from the key files a run copies them into: the same keys.
    for tables in (paths, write_key_files(paths, tmp_path / "run" / "keys")):
        keys = ArchiveKeys.for_pages(tables, {"raw-a", "raw-b", "raw-c", "raw-v2", "raw-new"}, {"d.png", "e.gz", "new.html"})
        keys.add_documents(tables, {"https://example.com/story", "https://example.com/new"},
                           {with_url["content_hash"], without_url["content_hash"], "unknown"})

        assert keys.urls == {"https://example.com/story": with_url["article_id"]}
        assert keys.hashes == {with_url["content_hash"]: with_url["article_id"],
                               without_url["content_hash"]: without_url["article_id"]}
        assert keys.raw_hashes == {"raw-a", "raw-b", "raw-c", "raw-v2"} and keys.stored_pages == {"raw-a"}
        assert keys.versions[with_url["article_id"]] == {with_url["content_hash"]: 1, "edited": 2}
        assert keys.rejected == {("d.png", "raw-d", "binary"), ("e.gz", "", "corrupt_gzip")}

        # Only what the batch's keys can match is read.
        narrow = ArchiveKeys.for_pages(tables, {"raw-c"}, {"e.gz"})
        narrow.add_documents(tables, set(), {without_url["content_hash"]})
        assert (narrow.raw_hashes, narrow.rejected, narrow.urls) == ({"raw-c"}, {("e.gz", "", "corrupt_gzip")}, {})
        assert narrow.hashes == {without_url["content_hash"]: without_url["article_id"]}
