"""A run's own deduplication: within a shard and across shards, every article once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pipeline.stages
from conftest import SEEDS, newsarchive
from corpus import COURIER, GAZETTE, write_pages
from pipeline.job import run_plain
from pipeline.settings import Settings
from pipeline.store import connect

BODY = ("Officials in Springfield approved the new river bridge on Tuesday after years of debate. "
        "The bridge will carry trains and cars across the water by next summer, the mayor said.")


def page(headline: str, body: str = BODY) -> str:
    return f"{headline}\n\n{body}\n\nCouncil members voted seven to two in favour of the plan.\n"


def write_folder(folder: Path, pages: dict[str, str], manifest: str | None = None) -> Path:
    folder.mkdir()
    for name, text in pages.items():
        (folder / name).write_text(text)
    if manifest:
        (folder / "manifest.csv").write_text(manifest)
    return folder


def counts(archive: Path) -> dict[str, list]:
    with connect(archive) as con:
        return {
            t: con.sql(f"SELECT article_id, count(*) FROM {t} GROUP BY article_id HAVING count(*) > 1").fetchall()
            for t in ("documents", "article_dates", "article_languages", "article_outlets")
        } | {"mentions": con.sql("SELECT article_id, entity, count(*) FROM mentions GROUP BY ALL HAVING count(*) > 1").fetchall()}


def test_same_url_with_changed_text_is_a_new_version_of_the_article(tmp_path):
    folder = write_folder(tmp_path / "in", {
        "a.txt": page("Springfield approves the river bridge plan"),
        "b.txt": page("Springfield approves the river bridge plan, updated", BODY + " More later."),
        "c.txt": page("Springfield approves the river bridge plan, updated", BODY + " More later.") + "\n\n",
    }, "file,fetched_at,url,outlet\n"
       "a.txt,2026-05-01T08:00:00Z,https://news.example.com/bridge?utm_source=x,\n"
       "b.txt,2026-05-01T12:00:00Z,https://m.news.example.com/bridge/,\n"
       "c.txt,2026-05-01T13:00:00Z,https://news.example.com/bridge/amp,\n")
    for shard_size in (200, 1):  # in one shard, and across shards
        archive = tmp_path / f"archive-{shard_size}"
        summary = run_plain(Settings(archive=archive, shard_size=shard_size), [str(folder)])
        assert (summary.articles_archived, summary.versions, summary.duplicates) == (1, 1, 1)
        assert all(v == [] for v in counts(archive).values())
        with connect(archive) as con:
            article = con.sql("SELECT article_id, text FROM documents").fetchall()
            versions = con.sql("SELECT article_id, version, parse_filename(source_ref), text FROM article_versions").fetchall()
            dups = con.sql("SELECT method, parse_filename(source_ref), matched_article_id FROM duplicates").fetchall()
            assert con.sql("SELECT count(*) FROM mentions").fetchone()[0] > 0
        [(aid, text)] = article
        assert "More later." not in text  # the first version is the article's row
        assert versions == [(aid, 2, "b.txt", versions[0][3])] and "More later." in versions[0][3]
        assert dups == [("canonical_url", "c.txt", aid)]  # the second version fetched again

    again = run_plain(Settings(archive=tmp_path / "archive-1"), [str(folder)])
    assert (again.articles_archived, again.versions, again.duplicates, again.pages_unchanged) == (0, 0, 0, 3)


def test_same_text_in_two_shards_is_caught_when_the_run_finishes(tmp_path):
    folder = write_folder(tmp_path / "in", {
        "a.txt": page("Springfield approves the river bridge plan"),
        "b.txt": page("Springfield approves the river bridge plan"),
        "c.txt": "Shelbyville rejects a new stadium deal\n\nShelbyville's council turned down the football club's "
                 "request for a new stadium on Monday, saying the land by the rail yard should be kept for housing.\n",
    })
    summary = run_plain(Settings(archive=tmp_path / "archive", shard_size=1), [str(folder)])
    assert (summary.pages_read, summary.articles_archived, summary.duplicates) == (3, 2, 1)
    assert all(v == [] for v in counts(tmp_path / "archive").values())
    with connect(tmp_path / "archive") as con:
        dup = con.sql("SELECT method, matched_article_id, regexp_extract(source_ref, '[^/]+$') FROM duplicates").fetchall()
        a_id = con.sql("SELECT article_id FROM documents WHERE source_ref LIKE '%a.txt'").fetchone()[0]
        indexed = con.sql("SELECT count(*) FROM search_docs").fetchone()[0]
    assert dup == [("content_hash", a_id, "b.txt")]
    assert indexed == 2


def test_json_logs_give_each_step_of_a_run_as_one_event_per_line(tmp_path):
    result = newsarchive("run", str(SEEDS), "--archive", str(tmp_path / "archive"), "--executor", "plain",
                         "--no-entities", "--shard-size", "1", env={"NEWSARCHIVE_LOG_FORMAT": "json"})
    events = [json.loads(line) for line in result.stderr.splitlines()]
    assert [e["event"] for e in events] == ["run_planned", "shard_done", "shard_done", "run_published"]
    planned, published = events[0], events[-1]
    assert (planned["pages"], planned["shards"]) == (2, 2)
    assert [e["shard"] for e in events[1:3]] == [1, 2]
    assert published["run_id"] == planned["run_id"] and published["articles_archived"] == 2
    assert all(e["level"] == "info" and e["ts"].endswith("+00:00") for e in events)


def test_a_long_listing_is_archived_as_runs_of_run_pages_each_published_whole(tmp_path):
    """25 pages with run_pages 10: three runs, one after another, each with its runs row;
    every page archived once; the job's summary sums them and names them in order."""
    pages = tmp_path / "pages"
    write_pages(pages, GAZETTE, range(0, 13))
    write_pages(pages, COURIER, range(0, 12))
    summary = run_plain(Settings(archive=tmp_path / "archive", run_pages=10, shard_size=4, workers=1,
                                 entities=False), [str(pages)])
    with connect(tmp_path / "archive") as con:
        runs = con.sql("SELECT run_id, pages_read, status FROM runs WHERE kind = 'run' ORDER BY started_at").fetchall()
        articles = con.sql("SELECT count(*), count(DISTINCT source_ref) FROM documents").fetchone()
        duplicates = con.sql("SELECT count(*) FROM duplicates").fetchone()[0]
    assert [(pages_read, status) for _, pages_read, status in runs] == [(10, "succeeded"), (10, "succeeded"),
                                                                        (5, "succeeded")]
    assert summary.parts == [run_id for run_id, _, _ in runs] and summary.run_id == runs[0][0]
    assert summary.pages_read == 25
    assert articles[0] == articles[1] == summary.articles_archived and articles[0] + duplicates == 25
    assert not (tmp_path / "archive" / "listing").exists()


def test_a_later_part_finds_copies_of_an_earlier_parts_pages(tmp_path):
    """A part looks its pages up in the archive's keys as it began (copied into its own
    key files), which hold the earlier parts' articles: copies in the second part are
    duplicates of the first part's articles."""
    subjects = ["harbour cranes", "school meals", "tram fares", "library hours", "park trees", "water prices"]
    stories = {f"story-{n}.txt": page(f"Council decides on {subject}",
                                      f"The council voted on {subject} after a long debate, and officials said the "
                                      f"decision on {subject} would take effect in {n + 2} months across the city.")
               for n, subject in enumerate(subjects)}
    # Other bytes, the same text, listed after the originals: the second part.
    copies = {f"zz-copy-{n}.txt": stories[f"story-{n}.txt"] + "\n\n" for n in range(3)}
    pages = write_folder(tmp_path / "pages", stories | copies)
    summary = run_plain(Settings(archive=tmp_path / "archive", run_pages=6, shard_size=3, workers=1,
                                 entities=False), [str(pages)])
    with connect(tmp_path / "archive") as con:
        documents = dict(con.sql("SELECT source_ref, article_id FROM documents").fetchall())
        duplicates = con.sql("SELECT source_ref, matched_article_id, method FROM duplicates ORDER BY 1").fetchall()
    assert len(summary.parts) == 2 and len(documents) == 6
    assert duplicates == [(str(pages / f"zz-copy-{n}.txt"), documents[str(pages / f"story-{n}.txt")], "content_hash")
                          for n in range(3)]


TUNNEL = page("Tunnel delayed", "Work on the mountain tunnel has stopped for a second month after engineers "
                                 "found water in the rock, and the opening is now expected in two years.")


def failing_language_tagger(monkeypatch, names: set[str]) -> None:
    """The language tagger raises on the pages of these file names, as a library might on
    a hostile page (only in this process: the runs here use one worker)."""
    tag_language = pipeline.stages.tag_language

    def failing(docs, min_words):
        if any(Path(d.raw.source_ref).name in names for d in docs):
            raise ValueError("a hostile page")
        return tag_language(docs, min_words)

    monkeypatch.setattr(pipeline.stages, "tag_language", failing)


def test_a_page_a_tagger_fails_on_is_rejected_and_its_copy_archived_in_its_place(tmp_path, monkeypatch):
    """A library raising inside a tagger costs that page, not the run, and not its copy:
    without the failed page the copy is an original, tagged and archived."""
    failing_language_tagger(monkeypatch, {"b.txt"})
    folder = write_folder(tmp_path / "in", {
        "a.txt": page("Bridge approved"), "b.txt": TUNNEL, "c.txt": TUNNEL,
        "d.txt": page("Ferry cancelled", "The harbour ferry will stop running in March, its operator announced, "
                                         "because too few passengers used it during the winter months."),
    })
    summary = run_plain(Settings(archive=tmp_path / "archive", entities=False, workers=1), [str(folder)])
    assert summary.status == "succeeded"
    assert (summary.articles_archived, summary.duplicates, summary.rejected) == (3, 0, 1)
    with connect(tmp_path / "archive") as con:
        rejects = con.sql("SELECT source_ref, stage, reason, detail FROM rejects").fetchall()
        archived = con.sql("SELECT source_ref FROM documents JOIN article_languages USING (article_id) "
                           "JOIN article_dates USING (article_id) ORDER BY 1").fetchall()
        languages = con.sql("SELECT count(*) FROM article_languages").fetchone()
    assert rejects == [(str(folder / "b.txt"), "tag", "tag_error",
                        "the language tagger failed on this page: ValueError: a hostile page")]
    assert [Path(ref).name for (ref,) in archived] == ["a.txt", "c.txt", "d.txt"]
    assert languages == (3,)


def test_after_a_tagger_fails_each_page_keeps_its_own_tags_and_the_rejected_counts_for_nothing(tmp_path, monkeypatch):
    """b.txt copies a.txt's text and shares c.txt's URL, so b and c share an article id. With
    a.txt rejected, b is the original (c its second version) and must carry b's tags, not
    those c got before; the lines of d.txt, rejected too, are not counted as furniture."""
    failing_language_tagger(monkeypatch, {"a.txt", "d.txt"})
    german = page("Haushalt beschlossen", "Der Stadtrat hat am Dienstag den neuen Haushalt für das kommende Jahr "
                                          "beschlossen, sagte die Bürgermeisterin nach der langen Sitzung im Rathaus.")
    folder = write_folder(tmp_path / "in", {
        "a.txt": TUNNEL, "b.txt": TUNNEL, "c.txt": german,
        "d.txt": page("Ferry cancelled", "Only the rejected page says that the harbour ferry stops in March."),
    }, manifest="file,fetched_at,url,outlet\n"
                "a.txt,2026-11-02T06:00:00Z,https://news.example/one,Example News\n"
                "b.txt,2026-11-02T06:00:00Z,https://news.example/two,Example News\n"
                "c.txt,2026-11-02T07:00:00Z,https://news.example/two,Example News\n"
                "d.txt,2026-11-02T06:00:00Z,https://news.example/four,Example News\n")
    summary = run_plain(Settings(archive=tmp_path / "archive", entities=False, workers=1), [str(folder)])
    assert (summary.articles_archived, summary.versions, summary.rejected) == (1, 1, 2)
    with connect(tmp_path / "archive") as con:
        archived = con.sql("SELECT source_ref, language FROM documents JOIN article_languages USING (article_id)").fetchall()
        versions = con.sql("SELECT source_ref, version FROM article_versions").fetchall()
        lines = [line for (line,) in con.sql("SELECT line FROM furniture_lines").fetchall()]
    assert [(Path(ref).name, language) for ref, language in archived] == [("b.txt", "en")]
    assert [(Path(ref).name, version) for ref, version in versions] == [("c.txt", 2)]
    assert lines and not any("rejected page" in line for line in lines)


def test_a_tagger_failing_on_every_page_of_a_chunk_fails_the_run_not_the_pages(tmp_path, monkeypatch):
    """That is a broken setup (a model missing), not hostile pages: rejecting every page
    would hide it behind a run that succeeded."""
    failing_language_tagger(monkeypatch, {"a.txt", "b.txt"})
    folder = write_folder(tmp_path / "in", {"a.txt": page("Bridge approved"), "b.txt": TUNNEL})
    with pytest.raises(Exception, match="the language tagger failed on this page: ValueError: a hostile page"):
        run_plain(Settings(archive=tmp_path / "archive", entities=False, workers=1), [str(folder)])
    with connect(tmp_path / "archive") as con:
        assert con.sql("SELECT status FROM runs").fetchall() == [("failed",)]
        assert con.sql("SELECT count(*) FROM rejects").fetchone() == (0,)


def test_a_spacy_model_that_is_not_installed_fails_the_run_before_its_pages(tmp_path):
    archive = tmp_path / "archive"
    ran = newsarchive("run", str(SEEDS), "--archive", str(archive), "--executor", "plain",
                      env={"NEWSARCHIVE_SPACY_MODEL": "no_such_model"}, check=False)
    assert ran.returncode == 2 and "Traceback" not in ran.stderr and "this page" not in ran.stderr
    assert "spaCy model 'no_such_model' is neither an installed package nor a model folder" in ran.stderr
    with connect(archive) as con:
        [(status, error, pages)] = con.sql("SELECT status, error, pages_read FROM runs").fetchall()
        assert con.sql("SELECT count(*) FROM rejects").fetchone() == (0,)
    assert (status, pages) == ("failed", 0) and "no_such_model" in error
    # Entities off, the model is not needed.
    newsarchive("run", str(SEEDS), "--archive", str(archive), "--executor", "plain", "--no-entities",
                env={"NEWSARCHIVE_SPACY_MODEL": "no_such_model"})


def test_a_misspelt_newsarchive_variable_is_named_not_silently_ignored(tmp_path):
    ran = newsarchive("tables", env={"NEWSARCHIVE_ARCHIVE_DIR": str(tmp_path), "NEWSARCHIVE_SHARD_SIZE": "4",
                                     "NEWSARCHIVE_SKIP_BROWSER": "1"})
    assert ran.stderr.splitlines() == [
        "newsarchive: NEWSARCHIVE_ARCHIVE_DIR names no setting and is ignored (see README: Configuration)"]


def test_an_archive_under_a_folder_with_a_quote_in_its_name(tmp_path):
    """Paths are written into SQL as quoted strings, never pasted in bare."""
    archive = tmp_path / "o'brien" / "archive"
    summary = run_plain(Settings(archive=archive, workers=1), [str(SEEDS)])
    again = run_plain(Settings(archive=archive, workers=1), [str(SEEDS)])
    with connect(archive) as con:
        assert con.sql("SELECT count(*) FROM documents").fetchone()[0] == summary.articles_archived == 2
        assert con.sql("SELECT sum(articles) FROM daily_volume_by_outlet").fetchone()[0] == 2
    assert again.pages_unchanged == 2


def test_a_run_of_several_shards_has_one_furniture_row_per_outlet_and_line(tmp_path):
    folder = write_pages(tmp_path / "in", GAZETTE, range(0, 12))
    summary = run_plain(Settings(archive=tmp_path / "archive", entities=False, workers=1, shard_size=4), [str(folder)])
    with connect(tmp_path / "archive") as con:
        rows = con.sql("SELECT outlet, line_key, count(*) AS n, sum(articles) AS articles FROM furniture_lines "
                       "WHERE run_id = ? GROUP BY ALL ORDER BY articles DESC", params=[summary.run_id]).fetchall()
    assert {n for *_, n, _ in rows} == {1}, "one row per outlet and line, not one per shard"
    assert rows[0][3] == 12, "a line of every page is counted in all of them"
