"""The archive survives crashes and concurrency, with real `newsarchive run` processes.

A run is SIGKILLed at chosen moments, read from the archive folder as it works (reading
a shard, writing one, merging the shards, writing the run's tables, tidying up after
publishing, the job's reprocess of stale articles switching generations), and at fixed
fractions of a clean run's duration; then the same command runs again, and the archive
must equal the one a clean run makes (every row of every table but the run ledger), with
each dead run recorded as `crashed` and nothing else of it visible. Readers counting
articles in a loop see the archive before a run or after it, never in between, and
never fail. A run started while another writes refuses clearly, or waits its turn when
asked to; the two make one archive. No test hook is added to production code: the
moments are read from the archive folder (tests/processes.py), and a run is kept writing
by a page the test's web server holds back.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow.parquet as pq
import pytest

from conftest import REPO
from corpus import COURIER, GAZETTE, write_pages
from pipeline.store import ArchivePaths, connect, genesis_run
from processes import ArchiveState, RunProcess, kill_after, kill_when, read_state, run_to_end
from schemas.tables import TABLES
from webserver import Route, WebServer, robots

SHARD_SIZE = 20
ENV = {"NEWSARCHIVE_SHARD_SIZE": str(SHARD_SIZE)}
# Columns that name the run that wrote a row or the moment it did: they differ between
# any two runs, crashed or not. Everything else must come out the same.
PER_RUN_COLUMNS = {"run_id", "ingested_at", "rejected_at"}
LEDGER = ("runs", "run_stages")  # one row per run (or stage of a run): compared run by run instead

# --- a corpus of news pages -------------------------------------------------------------

SITES = {"Harbour Herald": "harbourherald", "Northern Ledger": "northernledger", "Plains Tribune": "plainstribune"}
PEOPLE = ("Mayor Alma Ortiz", "Councillor Dev Patel", "Sheriff Ruth Okafor", "Governor Hal Brandt",
          "Dr. Mei Lin", "Superintendent Joe Varga", "Auditor Nora Quist", "Chief Sam Adeyemi")
BODIES = ("the city council", "the regional water board", "the transit authority", "the school district",
          "the county hospital", "the port commission", "the state auditor's office", "the planning board")
ACTIONS = ("approved", "rejected", "postponed a vote on", "asked for a review of", "set aside money for",
           "held hearings on", "announced", "questioned")
THINGS = ("a plan to rebuild pier {n}", "new rules for the Saturday market in ward {n}",
          "a budget of {n} thousand dollars", "the closure of bus route {n}", "a survey of {n} households",
          "repairs to {n} street lamps", "a study of {n} private wells", "the hiring of {n} teachers",
          "a ban on night flights over district {n}")
WHYS = ("after a debate that ran past midnight", "despite objections from {n} residents", "in a vote of {a} to {b}",
        "citing costs that rose {n} percent", "ahead of the winter storms", "according to records seen by the paper")


def sentence(rng: random.Random) -> str:
    n = rng.randint(2, 9999)
    thing = rng.choice(THINGS).format(n=n)
    why = rng.choice(WHYS).format(n=rng.randint(3, 900), a=rng.randint(5, 9), b=rng.randint(0, 4))
    if rng.random() < 0.4:
        return f'"We owe the town an answer on {thing}," said {rng.choice(PEOPLE)}, {why}.'
    return f"{rng.choice(BODIES).capitalize()} {rng.choice(ACTIONS)} {thing} {why}."


def news_page(rng: random.Random, outlet: str, n: int, paragraphs: int = 6) -> str:
    slug, headline = SITES[outlet], sentence(rng).rstrip(".")
    return "\n".join([
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{headline} | {outlet}</title>",
        f'<meta property="og:site_name" content="{outlet}">',
        f'<meta property="article:published_time" content="2026-03-{1 + n % 27:02d}T08:{n % 60:02d}:00Z">',
        f'<link rel="canonical" href="https://www.{slug}.example/local/{n}"></head>',
        '<body><nav><a href="/">Home</a> <a href="/local">Local</a> <a href="/sport">Sport</a></nav>',
        f'<article><h1>{headline}</h1><p class="byline">By {rng.choice(PEOPLE).split()[-1]} Staff</p>',
        *(f"<p>{' '.join(sentence(rng) for _ in range(3))}</p>" for _ in range(paragraphs)),
        f"</article><footer>Copyright {outlet}. Sign up for the morning briefing.</footer></body></html>",
    ])


def write_news_site(folder: Path, count: int, first: int = 0, seed: int = 1) -> dict[str, str]:
    """`count` HTML articles of three outlets, each text its own, with a manifest; returns file -> URL."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    urls = {}
    for n in range(first, first + count):
        outlet = list(SITES)[n % len(SITES)]
        name = f"{SITES[outlet]}-{n:05d}.html"
        (folder / name).write_text(news_page(rng, outlet, n))
        urls[name] = f"https://www.{SITES[outlet]}.example/local/{n}"
    write_manifest(folder, urls)
    return urls


def write_manifest(folder: Path, urls: dict[str, str]) -> None:
    rows = [f"{name},2026-03-29T06:00:00Z,{url}," for name, url in urls.items()]
    (folder / "manifest.csv").write_text("file,fetched_at,url,outlet\n" + "\n".join(rows) + "\n")


@dataclass(frozen=True)
class Corpus:
    html: Path
    text: Path

    @property
    def sources(self) -> list[Path]:
        return [self.html, self.text]

    @property
    def pages(self) -> int:
        return sum(p.name != "manifest.csv" for source in self.sources for p in source.iterdir())


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Corpus:
    """82 pages in 5 shards: HTML articles with an exact copy, a URL variant, an edited
    version and three rejects among them, then two outlets' scraped text pages, some near
    copies of others, whose shared furniture the run learns. The first shard with Gazette
    pages holds two only, too few to learn from: the job then reprocesses those two
    articles (a second publish, by generation switch)."""
    root = tmp_path_factory.mktemp("corpus")
    html = root / "html"
    urls = write_news_site(html, 52)
    first, second, third = (html / name for name in list(urls)[3:6])
    (html / "zz-copy.html").write_bytes(first.read_bytes())
    urls["zz-copy.html"] = urls[first.name]
    (html / "zz-variant.html").write_bytes(second.read_bytes() + b"<!-- served from cache -->\n")
    urls["zz-variant.html"] = urls[second.name] + "?utm_source=newsletter&utm_medium=email"
    edited = third.read_text().replace("</p>\n<p>", "</p>\n<p>Updated with a correction. ", 1)
    (html / "zz-edited.html").write_text(edited.replace("<h1>", "<h1>Updated: ", 1))
    urls["zz-edited.html"] = urls[third.name] + "-updated"
    (html / "zz-empty.html").write_bytes(b"")
    (html / "zz-binary.html").write_bytes(bytes(random.Random(2).randrange(256) for _ in range(3000)))
    (html / "zz-minutes.pdf").write_bytes(b"%PDF-1.4 minutes of the council meeting")
    write_manifest(html, urls)
    pages = len([p for p in html.iterdir() if p.name != "manifest.csv"])
    assert pages % SHARD_SIZE == SHARD_SIZE - 2, "two Gazette pages close the last HTML shard"
    text = root / "text"
    write_pages(text, GAZETTE, range(12))
    write_pages(text, COURIER, range(12))
    return Corpus(html, text)


# --- what an archive holds --------------------------------------------------------------

def content(archive: Path) -> dict[str, Counter]:
    """Every published row of every table but the run ledger, without the columns that
    name the run or its clock: what a reader of the archive gets."""
    paths, con = ArchivePaths(archive), duckdb.connect()
    out = {}
    for name, table in TABLES.items():
        if name in LEDGER:
            continue
        columns = ", ".join(f'"{c}"' for c in table.column_names if c not in PER_RUN_COLUMNS)
        out[name] = Counter(map(frozen, con.sql(f"SELECT {columns} FROM {paths.parquet(name)}").fetchall()))
    return out


def frozen(value):
    """A row as a hashable value: lists (authors, signatures) and maps (headers) included."""
    if isinstance(value, (list, tuple)):
        return tuple(map(frozen, value))
    if isinstance(value, dict):
        return tuple(sorted((k, frozen(v)) for k, v in value.items()))
    return value


def differences(got: dict[str, Counter], expected: dict[str, Counter]) -> list[str]:
    found = []
    for name in expected:
        if got[name] != expected[name]:
            extra, missing = got[name] - expected[name], expected[name] - got[name]
            found.append(f"{name}: {sum(got[name].values())} rows, expected {sum(expected[name].values())}; "
                         f"{sum(extra.values())} unexpected, e.g. {str(list(extra)[:1])[:300]}; "
                         f"{sum(missing.values())} missing, e.g. {str(list(missing)[:1])[:300]}")
    return found


def without_articles(data: dict[str, Counter], ids: set[str]) -> dict[str, Counter]:
    """`content` without the rows keyed by the articles `ids`."""
    out = {}
    for name, rows in data.items():
        columns = [c for c in TABLES[name].column_names if c not in PER_RUN_COLUMNS]
        if "article_id" not in columns:
            out[name] = rows
            continue
        at = columns.index("article_id")
        out[name] = Counter({row: n for row, n in rows.items() if row[at] not in ids})
    return out


def carrying_learned_furniture(archive: Path) -> dict[str, list[str]]:
    """Articles whose text still holds a line their outlet's furniture is known to be:
    once a job has ended there must be none (README, "Learned site furniture")."""
    with connect(archive) as con:
        rows = con.sql("""
            SELECT d.article_id, list(DISTINCT f.line ORDER BY f.line)
            FROM documents d JOIN article_outlets o USING (article_id)
            JOIN learned_furniture() f ON f.outlet = o.outlet
            WHERE contains(lower(d.text), lower(f.line))
            GROUP BY ALL ORDER BY ALL
        """).fetchall()
    return dict(rows)


def runs_rows(archive: Path) -> list[dict]:
    with connect(archive) as con:
        rel = con.sql("SELECT * FROM runs ORDER BY started_at")
        return [dict(zip(rel.columns, row)) for row in rel.fetchall()]


def assert_sound(archive: Path) -> None:
    """What any archive at rest must be: one row per key in every keyed table, every
    file readers glob a whole Parquet file of its table, nothing else under data/, every
    run folder accounted for in `runs`, and nothing left in staging."""
    paths = ArchivePaths(archive)
    with connect(archive) as con:
        for name, table in TABLES.items():
            if table.key:
                key = ", ".join(table.key)
                repeated = con.sql(f"SELECT {key}, count(*) FROM {name} GROUP BY ALL HAVING count(*) > 1").fetchall()
                assert not repeated, f"{name}: {len(repeated)} keys ({key}) twice or more, e.g. {repeated[:3]}"
        run_ids = {r for (r,) in con.sql("SELECT run_id FROM runs").fetchall()}
        assert con.sql("SELECT count(*) FROM runs").fetchone()[0] == len(run_ids), "a run has two rows in `runs`"
    folders = sorted(p for p in paths.data.iterdir())
    for folder in folders:
        assert folder.is_dir() and not folder.is_symlink(), f"{folder}: not a run folder"
        assert folder.name == genesis_run() or folder.name.split(".")[0] in run_ids, \
            f"{folder.name}: a run folder readers see, but no such run in `runs`"
        for f in folder.iterdir():
            assert f.is_file() and f.suffix == ".parquet" and f.stem in TABLES, f"{f}: a stray file readers may glob"
            assert pq.ParquetFile(f).schema_arrow.remove_metadata() == TABLES[f.stem].schema, f"{f}: not its table"
            pq.read_table(f)  # the whole file, not just its footer
    assert not list(paths.staging.iterdir()), f"staging not empty: {list(paths.staging.iterdir())}"
    current = paths.data.resolve()
    assert current.parent == paths.generations.resolve()
    assert not [g.name for g in paths.generations.iterdir() if g.name > current.name], \
        "a generation half built by a dead writer is left behind"


@dataclass
class Reference:
    archive: Path
    content: dict[str, Counter]
    seconds: float  # the clean `newsarchive run` process, start to exit


@pytest.fixture(scope="module")
def reference(corpus, tmp_path_factory) -> Reference:
    """One clean run of the corpus: what every recovered archive must equal."""
    root = tmp_path_factory.mktemp("reference")
    run = run_to_end(corpus.sources, root / "archive", root / "logs", ENV)
    seconds = time.monotonic() - run.started
    assert_sound(root / "archive")
    runs = runs_rows(root / "archive")
    # The scenarios below are only worth their time if the corpus does what it is made for.
    assert [(r["kind"], r["status"]) for r in runs] == [("run", "succeeded"), ("reprocess", "succeeded")], runs
    assert runs[1]["articles_replaced"] == 2, "the two stale Gazette articles are reprocessed"
    assert (runs[0]["versions"], runs[0]["rejected"]) == (1, 3) and runs[0]["duplicates"] >= 3, runs[0]
    assert runs[0]["pages_read"] == 82
    assert carrying_learned_furniture(root / "archive") == {}
    data = content(root / "archive")
    return Reference(root / "archive", data, seconds)


def test_two_clean_runs_make_the_same_archive(corpus, reference, tmp_path):
    """The yardstick: a clean run is deterministic, so any difference after a crash is the crash's."""
    run_to_end(corpus.sources, tmp_path / "archive", tmp_path / "logs", ENV)
    assert differences(content(tmp_path / "archive"), reference.content) == []


# --- killed runs ------------------------------------------------------------------------

def staged_runs(state: ArchiveState) -> list:
    """Runs (not reprocesses) at work: in staging, not yet published."""
    return [s for s in state.runs("run") if s.run_id not in state.published]


def reading_the_first_shard(state: ArchiveState) -> bool:
    return any(s.entries and s.shard_dirs == 0 for s in staged_runs(state))


def reading_a_middle_shard(state: ArchiveState) -> bool:
    return any(3 <= s.shards_done == s.shard_dirs < s.shard_count for s in staged_runs(state))


def writing_a_shard(state: ArchiveState) -> bool:
    # A shard's folder appears with its first table; stats.json is the last file it writes.
    return any(2 <= s.shard_dirs and s.shards_done < s.shard_dirs and not s.has_out for s in staged_runs(state))


def merging_the_shards(state: ArchiveState) -> bool:
    return any(s.shard_count and s.shards_done == s.shard_count and not s.has_out for s in staged_runs(state))


def writing_the_run_tables(state: ArchiveState) -> bool:
    return any(s.has_out for s in staged_runs(state))


def tidying_up_after_publishing(state: ArchiveState) -> bool:
    # plan.json may already be gone: any staging folder of a published run will do.
    return any(run_id in state.published for run_id in state.staged)


def reprocessing_stale_articles(state: ArchiveState) -> bool:
    # Late in it: switching to the new generation it is building (store.publish_generation).
    return bool(state.runs("reprocess")) and any(g > (state.current_generation or "") for g in state.generations)


class StaleArticlesKeptFurniture(AssertionError):
    """The recovered archive equals the clean one but for articles still carrying furniture
    their outlet is known to have: a job killed before its reprocess of stale articles
    finished, and the next run did not redo it."""


def dead_runs(state: ArchiveState) -> list:
    """The runs (and reprocesses) a kill left unpublished with their plan written: each
    must become a `crashed` row. One that died before its plan leaves no row."""
    return [s for s in state.staged.values() if s.kind and s.run_id not in state.published]


def kill_at(moment: Callable[[ArchiveState], bool], corpus: Corpus, archive: Path, logs: Path,
            attempts: int = 3) -> list[ArchiveState]:
    """Start a run and kill it at `moment`; returns the archive after each kill. A kill
    races the run: when the run got past the moment first, the archive is left as it is (a
    crash all the same, recorded by the next run) and another run is killed, up to
    `attempts` times."""
    states = []
    for attempt in range(attempts):
        process = RunProcess(corpus.sources, archive, logs / f"{moment.__name__}-{attempt}", ENV)
        states.append(kill_when(process, moment))
        assert process.popen.returncode == -9, process.output()
        if moment(states[-1]):
            return states
    raise AssertionError(f"the kill never landed at {moment.__name__} in {attempts} attempts: {states[-1]}")


def assert_recovered(archive: Path, states: list[ArchiveState], rerun: RunProcess, reference: Reference) -> None:
    """The archive equals a clean run's; every run a kill left unpublished (`states`: the
    archive after each kill) is in `runs` as `crashed` and nowhere else; a killed run that
    had published stays as it published itself; the run to the end found the last ones."""
    assert_sound(archive)
    runs = {r["run_id"]: r for r in runs_rows(archive)}
    assert not [r for r in runs.values() if r["status"] == "failed"], runs
    dead = [s for state in states for s in dead_runs(state)]
    for s in dead:
        row = runs.get(s.run_id)
        assert row and row["status"] == "crashed", f"killed {s.kind} {s.run_id}: {row}"
        assert "found by a later run" in row["error"] and row["finished_at"] >= row["started_at"], row
        assert row["kind"] == s.kind and row["pages_read"] == s.entries, row
        published = ArchivePaths(archive).data / s.run_id
        assert {f.name for f in published.iterdir()} == {"runs.parquet"}, \
            "a crashed run publishes its runs row and nothing else"
    for state in states:
        for s in state.staged.values():
            if s.run_id in state.published:
                assert runs[s.run_id]["status"] == "succeeded", runs[s.run_id]
    recorded = re.search(r"crashed runs recorded\s+(\d+)", rerun.stdout)
    assert (int(recorded[1]) if recorded else 0) == len(dead_runs(states[-1])), rerun.stdout
    with connect(archive) as con:
        for name, table in TABLES.items():
            if name != "runs" and "run_id" in table.column_names and dead:
                leaked = con.sql(f"SELECT run_id, count(*) FROM {name} WHERE run_id IN "
                                 f"({', '.join(repr(s.run_id) for s in dead)}) GROUP BY ALL").fetchall()
                assert not leaked, f"{name}: rows of a killed run are visible: {leaked}"
        ids = {a for (a,) in con.sql("SELECT article_id FROM documents").fetchall()}
    expected_ids = {row[0] for row in reference.content["documents"]}
    assert ids == expected_ids, f"{len(expected_ids - ids)} articles lost, {len(ids - expected_ids)} extra"
    stale = carrying_learned_furniture(archive)
    assert differences(without_articles(content(archive), set(stale)),
                       without_articles(reference.content, set(stale))) == []
    if stale:
        raise StaleArticlesKeptFurniture(f"{len(stale)} articles keep learned furniture after recovery: {stale}")


def test_runs_killed_one_after_another_at_each_step_then_run_to_the_end_equal_a_clean_run(
        corpus, reference, tmp_path):
    """Each run is killed at the next step of its work, after it recorded the run before
    it as crashed (taking over the dead run's lock without waiting: no lock wait is set);
    one run to the end then makes the archive a clean run makes."""
    archive = tmp_path / "archive"
    states = []
    for moment in (reading_the_first_shard, reading_a_middle_shard, writing_a_shard, merging_the_shards):
        states += kill_at(moment, corpus, archive, tmp_path)
        [staged] = dead_runs(states[-1])  # the run before was recorded and its staging cleared
        assert staged.kind == "run" and staged.entries == corpus.pages
    rerun = run_to_end(corpus.sources, archive, tmp_path / "rerun", ENV)
    assert_recovered(archive, states, rerun, reference)
    ledger = [(r["kind"], r["status"]) for r in runs_rows(archive)]
    assert ledger[-2:] == [("run", "succeeded"), ("reprocess", "succeeded")]
    assert set(ledger[:-2]) == {("run", "crashed")} and len(ledger) - 2 >= len(states)


# The last two: after the run is published, before the job's reprocess of its stale articles has been.
@pytest.mark.parametrize("moment", [writing_the_run_tables, tidying_up_after_publishing, reprocessing_stale_articles],
                         ids=lambda m: m.__name__)
def test_a_run_killed_while_publishing_then_run_again_equals_a_clean_run(moment, corpus, reference, tmp_path):
    states = kill_at(moment, corpus, tmp_path / "archive", tmp_path)
    rerun = run_to_end(corpus.sources, tmp_path / "archive", tmp_path / "rerun", ENV)
    assert_recovered(tmp_path / "archive", states, rerun, reference)


@pytest.mark.parametrize("fraction", [0.4, 0.75])
def test_a_run_killed_at_a_share_of_a_clean_runs_duration_then_run_again_equals_a_clean_run(
        fraction, corpus, reference, tmp_path):
    for attempt in range(3):
        process = RunProcess(corpus.sources, tmp_path / "archive", tmp_path / f"killed-{attempt}", ENV)
        state = kill_after(process, fraction * reference.seconds)
        if process.popen.returncode == -9:
            break
        # Faster than the clean run was (the machine is shared): start afresh, kill sooner.
        assert process.popen.returncode == 0, process.output()
        shutil.rmtree(tmp_path / "archive")
        fraction *= 0.7
    else:
        raise AssertionError(f"every run ended before it could be killed\n{process.output()}")
    rerun = run_to_end(corpus.sources, tmp_path / "archive", tmp_path / "rerun", ENV)
    assert_recovered(tmp_path / "archive", [state], rerun, reference)


# --- readers during a run -------------------------------------------------------------

READER = """
import json, sys, time
from pathlib import Path
from pipeline.store import connect

archive, stop = Path(sys.argv[1]), Path(sys.argv[2])
while not stop.exists():
    started = time.monotonic()
    try:
        with connect(archive) as con:
            counts = con.sql(
                "SELECT count(*), count(published_method), count(language_method), count(outlet_method) "
                "FROM articles").fetchone()
        print(json.dumps({"at": started, "counts": counts}), flush=True)
    except Exception as e:
        print(json.dumps({"at": started, "error": f"{type(e).__name__}: {e}"}), flush=True)
"""


class Readers:
    """Processes that open the catalog read-only and count articles (with their date,
    language and outlet rows, which every article has) in a loop until stopped."""

    def __init__(self, archive: Path, stop: Path, count: int = 1):
        self.stop = stop
        self.processes = [subprocess.Popen([sys.executable, "-c", READER, str(archive), str(stop)], cwd=REPO,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                          for _ in range(count)]

    def finish(self) -> list[dict]:
        self.stop.touch()
        seen = []
        for p in self.processes:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            seen += [json.loads(line) for line in out.splitlines()]
        return seen


def test_a_reader_counting_in_a_loop_sees_the_archive_before_or_after_a_run(two_inputs, tmp_path):
    """A run that publishes once (one rename into data/): every read is the archive before
    it or after it, whole (no article without its tag rows), and none fails."""
    (a, _), (b, b_urls) = two_inputs
    archive = tmp_path / "archive"
    run_to_end([a], archive, tmp_path / "first", ENV)
    with connect(archive) as con:
        before = con.sql("SELECT count(*) FROM articles").fetchone()[0]
    generation = read_state(archive).current_generation
    readers = Readers(archive, tmp_path / "stop")
    try:
        time.sleep(0.3)  # the reader is at work before the run starts
        run = RunProcess([b], archive, tmp_path / "run", ENV).succeed()
        ended = time.monotonic()
        time.sleep(0.3)
    finally:
        seen = readers.finish()
    assert read_state(archive).current_generation == generation, "the run published by rename alone"
    errors = [s["error"] for s in seen if "error" in s]
    assert not errors, f"{len(errors)} of {len(seen)} reads failed, e.g. {errors[:3]}"
    after = before + len(b_urls)
    with connect(archive) as con:
        assert con.sql("SELECT count(*) FROM articles").fetchone()[0] == after
    during = [s for s in seen if run.started <= s["at"] <= ended]
    assert len(during) >= 50, f"only {len(during)} reads during the run"
    counts = Counter(s["counts"][0] for s in seen)
    assert set(counts) == {before, after}, f"before {before}, after {after}, seen {counts}"
    torn = [s["counts"] for s in seen if len(set(s["counts"])) > 1]
    assert not torn, f"articles without their tag rows, seen mid-publish: {torn[:5]}"


class ReadersSawTheSwitch(AssertionError):
    """Reads failed on a run folder's file gone, or missed a run folder, while generations switched."""


def test_a_reader_never_fails_while_a_writer_switches_generations(two_inputs, tmp_path):
    """The switch a reprocess (or a run replacing an archived copy) makes, over and over
    with the very functions they call, under the lock, while two readers count."""
    from pipeline.run import new_run_id, utcnow
    from pipeline.store import archive_lock, publish_generation, read_table, remove_old_generations, stage_rewrite

    (a, a_urls), _ = two_inputs
    archive = tmp_path / "archive"
    run_to_end([a], archive, tmp_path / "first", ENV)
    paths = ArchivePaths(archive)
    readers = Readers(archive, tmp_path / "stop", count=2)
    switches = 0
    try:
        time.sleep(0.5)
        until = time.monotonic() + 3
        while time.monotonic() < until or switches < 20:  # each switch also rolls the views up
            with archive_lock(paths, "test generation switch"):
                [folder] = [p.name for p in paths.data.iterdir() if p.name != genesis_run()]
                run_id = new_run_id(utcnow())
                languages = read_table(paths.data / folder, TABLES["article_languages"])
                renamed = {folder: stage_rewrite(paths, run_id, folder, {"article_languages": languages})}
                publish_generation(paths, run_id, {}, renamed)
                remove_old_generations(paths)  # as the next writer's begin_run does
            switches += 1
            time.sleep(0.03)
    finally:
        seen = readers.finish()
    assert switches >= 20 and len(seen) >= 50
    errors = [s["error"] for s in seen if "error" in s]
    vanished = [e for e in errors if "Cannot open file" in e and "No such file or directory" in e]
    assert errors == vanished, f"reads failed otherwise too: {[e for e in errors if e not in vanished][:3]}"
    counts = Counter(tuple(s["counts"]) for s in seen if "counts" in s)
    assert set(counts) <= {(len(a_urls),) * 4, (0,) * 4}, f"reads saw more than the run or nothing of it: {counts}"
    if errors or len(counts) > 1:  # the rewrites change no count: every read must see all 30 articles
        raise ReadersSawTheSwitch(f"over {switches} switches, {len(errors)} of {len(seen)} reads failed, "
                                  f"e.g. {errors[:2]}; counts seen: {counts}")


# --- two runs at once -------------------------------------------------------------------

@pytest.fixture(scope="module")
def two_inputs(tmp_path_factory) -> tuple[tuple[Path, set[str]], tuple[Path, set[str]]]:
    """Two folders of 50 articles each, no page in both: (folder, URLs) twice."""
    root = tmp_path_factory.mktemp("two-inputs")
    a = write_news_site(root / "a", 50, first=10000, seed=11)
    b = write_news_site(root / "b", 50, first=20000, seed=12)
    return (root / "a", set(a.values())), (root / "b", set(b.values()))


def archived_urls(archive: Path) -> list[str]:
    with connect(archive) as con:
        return [u for (u,) in con.sql("SELECT url FROM documents").fetchall()]


def held_page(release: threading.Event, rng_seed: int = 13) -> Route:
    """A news page whose body the server sends only once `release` is set: a run fetching
    it holds the archive's lock until then, however fast the rest of its run is."""
    page = news_page(random.Random(rng_seed), "Harbour Herald", 99999).encode()

    def body():
        release.wait(60)
        yield page

    return Route(headers={"Content-Type": "text/html; charset=utf-8"}, body=body)


# The runs here fetch from the test's server on 127.0.0.1.
NETWORK_ENV = {**ENV, "NEWSARCHIVE_ALLOW_PRIVATE": '["127.0.0.1/32"]', "NEWSARCHIVE_MIN_DELAY_S": "0"}


def holding_run(site: WebServer, sources: list, archive: Path, logs: Path) -> RunProcess:
    """A run of `sources` and the site's held page, once it is fetching that page: from then
    until the page is released it holds the archive's lock, however fast the rest of its run."""
    run = RunProcess([*sources, f"page:{site.url('/held')}"], archive, logs, NETWORK_ENV)
    deadline = time.monotonic() + 120
    while not site.requests_to("/held") and run.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    if not site.requests_to("/held"):
        run.kill()
        raise AssertionError(f"the run never fetched the held page:\n{run.output()}")
    return run


@pytest.mark.parametrize("same_input", [False, True], ids=["different-inputs", "same-input"])
def test_a_run_started_while_another_writes_refuses_clearly(same_input, two_inputs, tmp_path):
    (a, a_urls), (b, b_urls) = two_inputs
    archive, release = tmp_path / "archive", threading.Event()
    with WebServer({"/robots.txt": robots(""), "/held": held_page(release)}) as site:
        winner = holding_run(site, [a], archive, tmp_path / "winner")
        try:
            refused = RunProcess(winner.sources if same_input else [b], archive, tmp_path / "refused", NETWORK_ENV)
            code = refused.wait()
        finally:
            release.set()
        assert (winner.wait(), code) == (0, 3), [winner.output(), refused.output()]
        won_urls = a_urls | {site.url("/held")}
    assert "another run is writing to" in refused.stderr and "NEWSARCHIVE_LOCK_WAIT_S" in refused.stderr, refused.stderr
    holder = re.search(r"writing to \S+ \((.*)\); wait", refused.stderr)  # it names the run holding the lock
    assert holder and re.fullmatch(rf"run \S+ pid {winner.pid}", holder[1]), refused.stderr
    assert "Traceback" not in refused.stderr
    assert_sound(archive)
    assert sorted(archived_urls(archive)) == sorted(won_urls)
    assert [r["status"] for r in runs_rows(archive)] == ["succeeded"], "the refused run left no trace"
    if not same_input:  # run again, the refused input goes in too: each page once
        run_to_end([b], archive, tmp_path / "again", ENV)
        assert_sound(archive)
        assert sorted(archived_urls(archive)) == sorted(won_urls | b_urls)


@pytest.mark.parametrize("same_input", [False, True], ids=["different-inputs", "same-input"])
def test_a_run_asked_to_wait_goes_in_when_the_other_has_finished(same_input, two_inputs, tmp_path):
    (a, a_urls), (b, b_urls) = two_inputs
    archive, release = tmp_path / "archive", threading.Event()
    with WebServer({"/robots.txt": robots(""), "/held": held_page(release)}) as site:
        first = holding_run(site, [a], archive, tmp_path / "first")
        second = RunProcess(first.sources if same_input else [b], archive, tmp_path / "second",
                            {**NETWORK_ENV, "NEWSARCHIVE_LOCK_WAIT_S": "60"})
        try:
            deadline = time.monotonic() + 60
            while "waiting up to" not in second.stdout + second.stderr and second.alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            said = second.stdout + second.stderr
        finally:
            release.set()
        first.succeed()
        second.succeed()
        first_urls = a_urls | {site.url("/held")}
    assert re.search(rf"another run is writing to \S+ \(run \S+ pid {first.pid}\): waiting up to 60 s", said), said
    assert_sound(archive)
    urls = archived_urls(archive)
    assert len(urls) == len(set(urls))
    assert set(urls) == first_urls | (set() if same_input else b_urls)
    ledger = sorted((r for r in runs_rows(archive) if r["kind"] == "run"), key=lambda r: r["finished_at"])
    assert [r["status"] for r in ledger] == ["succeeded", "succeeded"], "neither took the other for a crashed run"
    assert f"run {ledger[1]['run_id']} succeeded" in second.stdout  # the one that waited went in second
    if same_input:  # the one that waited found every page archived, the held one fetched before
        assert [(r["articles_archived"], r["pages_unchanged"]) for r in ledger] == [
            (len(first_urls), 0), (0, len(a_urls))]
    else:
        assert [r["articles_archived"] for r in ledger] == [len(first_urls), len(b_urls)]
