"""Stories: the seeds are one story; a later report of the same event joins it under the
same id; other events, even about the same people, do not."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import duckdb

from conftest import LAIST, NBC, SEEDS
from pipeline.job import run_plain
from pipeline.settings import Settings
from pipeline.store import ArchivePaths, connect, ensure_archive, write_table
from pipeline.stories import MIN_SHARED, WINDOW_DAYS, Profile, archived_profiles, assign_stories
from schemas import SCHEMAS_DIR
from schemas.tables import TABLES

SAME_EVENT = """Putin tells the West to answer his security demands without delay

December 23, 2021

At his year-end news conference in Moscow on Thursday, Russian President Vladimir Putin said the United States and NATO must quickly give Russia the security guarantees it has demanded, and ruled out any further eastward expansion of the alliance.

Putin said Russia did not want a war over Ukraine, but complained that Western weapons deployed there threatened Russia. He said talks with Washington were expected to begin in Geneva early next year.

The Kremlin's draft documents, published last week, ask NATO to deny membership to Ukraine and to pull back its forces from Central and Eastern Europe, demands the alliance has called unacceptable.
"""

OTHER_PUTIN_EVENT = """Putin signs law on wartime media restrictions

March 4, 2022

Russian President Vladimir Putin signed a law on Friday that makes spreading what the Kremlin calls false information about the armed forces punishable by up to 15 years in prison.

Several foreign broadcasters said they would suspend their work in Moscow while they studied the law, and independent Russian outlets closed their newsrooms.
"""

UNDATED_OTHER_STORY = """Russian wheat exports slow as port fees rise

Russian wheat exporters shipped less grain from Black Sea ports this month as higher port fees and a stronger rouble cut their margins, traders said.

Buyers in Egypt and Turkey turned to cheaper wheat from Romania and Ukraine, while Moscow weighed changes to its export tax on grain.
"""


def stories(archive: Path) -> list[tuple]:
    with connect(archive) as con:
        return con.sql("SELECT story_id, articles, first_seen, last_seen, title FROM stories ORDER BY story_id").fetchall()


def members(archive: Path) -> dict[str, tuple]:
    with connect(archive) as con:
        return {title: rest for title, *rest in con.sql("""
            SELECT a.title, s.story_id, s.matched_article_id, s.score, s.shared_entities, s.days_apart
            FROM story_members s JOIN articles a USING (article_id)
        """).fetchall()}


def test_the_two_seed_pages_are_one_story(seed_archive):
    archive, _ = seed_archive
    [(story_id, articles, first_seen, last_seen, title)] = stories(archive)
    assert articles == 2 and str(first_seen) == str(last_seen) == "2021-12-23" and title == LAIST
    found = members(archive)
    laist_id = found[LAIST][0]
    assert story_id == laist_id and found[LAIST][1] is None  # the dated AP story started it
    _, matched, score, shared, days = found[NBC]
    assert matched == laist_id and score >= 0.45 and days is None  # the NBC page is undated
    assert {"Vladimir Putin", "NATO", "Ukraine", "Moscow"} <= set(shared)


def test_a_later_report_joins_the_story_and_its_id_stays(tmp_path):
    archive = tmp_path / "archive"
    run_plain(Settings(archive=archive), [str(SEEDS)])
    before = stories(archive)

    more = tmp_path / "more"
    more.mkdir()
    (more / "same-event.txt").write_text(SAME_EVENT)
    (more / "other-putin-event.txt").write_text(OTHER_PUTIN_EVENT)
    (more / "wheat.txt").write_text(UNDATED_OTHER_STORY)
    run_plain(Settings(archive=archive), [str(more)])

    after = stories(archive)
    found = members(archive)
    seed_story = before[0][0]
    assert found["Putin tells the West to answer his security demands without delay"][0] == seed_story
    assert found["Putin signs law on wartime media restrictions"][0] != seed_story  # months apart
    assert found["Russian wheat exports slow as port fees rise"][0] != seed_story  # another event
    assert len(after) == 3
    assert [s for s in after if s[0] == seed_story][0][1] == 3
    assert found[LAIST][0] == found[NBC][0] == seed_story  # earlier members keep their story

    # The same pages again: no new stories, no memberships moved.
    shutil.copytree(more, tmp_path / "again")
    run_plain(Settings(archive=archive), [str(tmp_path / "again"), str(SEEDS)])
    assert stories(archive) == after and members(archive) == found


def nbc_dates(archive: Path) -> tuple:
    with connect(archive) as con:
        dated = con.execute("SELECT published_date, published_method, published_evidence FROM articles "
                            "WHERE title = ?", [NBC]).fetchall()
        chosen = con.execute("SELECT source, candidate_date, status FROM date_candidates JOIN articles USING (article_id) "
                             "WHERE title = ? ORDER BY status", [NBC]).fetchall()
        mentions = con.execute("SELECT mention, start_date, end_date FROM date_mentions JOIN articles USING (article_id) "
                               "WHERE title = ?", [NBC]).fetchall()
        rows = con.execute("SELECT count(*) FROM article_dates JOIN articles USING (article_id) WHERE title = ?",
                           [NBC]).fetchone()[0]
    return dated, chosen, set(mentions), rows


def test_a_weekday_only_article_archived_before_its_story_is_dated_when_the_story_is(tmp_path, seed_folder):
    """The NBC page says only "Thursday": archived alone, that is the Thursday before its
    fetch, and its "last week" is left unresolved. When the LAist page, which states
    2021-12-23, joins its story in a later run, the archived page is re-dated as in a run
    of both, its date mentions read anew."""
    from test_near_duplicates import WIRE, page, write  # a run folder that run 2 also rewrites
    archive = tmp_path / "archive"
    day1 = write(tmp_path / "day1", {"courier.txt": (
        page("River crest passes Springfield", ["May 7, 2026"] + WIRE[:4]),
        "2026-05-07T07:00:00Z,https://www.valleycourier.example/news/crest,Valley Courier")})
    shutil.copy(seed_folder / "000_c8b65d296b825c04.txt", day1)
    with (day1 / "manifest.csv").open("a") as manifest:
        manifest.write("000_c8b65d296b825c04.txt,2026-11-23T08:09:08Z,,\n")
    run_plain(Settings(archive=archive), [str(day1)])
    dated, chosen, mentions, _ = nbc_dates(archive)
    assert dated == [(date(2026, 11, 19), "weekday_fetch_time", "Thursday; fetched 2026-11-23")]
    assert "last week" not in {m for m, *_ in mentions}  # relative to no date the page states

    # Run 2 brings the story's dated page, and the wire's own copy that replaces the courier's.
    day2 = write(tmp_path / "day2", {"wire.txt": (
        page("Flood barriers hold as Sangamon River peaks", ["May 6, 2026"] + WIRE),
        "2026-05-08T08:00:00Z,https://apnews.example/article/flood-barriers,AP")})
    shutil.copy(seed_folder / "003_5093180f1566a1e6.txt", day2)
    with (day2 / "manifest.csv").open("a") as manifest:
        manifest.write("003_5093180f1566a1e6.txt,2026-11-23T08:09:08Z,,\n")
    summary = run_plain(Settings(archive=archive), [str(day2)])
    assert (summary.articles_archived, summary.duplicates) == (2, 1)

    dated, chosen, mentions, rows = nbc_dates(archive)
    assert dated == [(date(2021, 12, 23), "weekday_story", "Thursday; story dated 2021-12-23")]
    assert chosen == [("weekday_fetch_time", date(2026, 11, 19), "candidate"),
                      ("weekday_story", date(2021, 12, 23), "chosen")]
    assert ("last week", date(2021, 12, 13), date(2021, 12, 19)) in mentions
    assert rows == 1
    with connect(archive) as con:  # the courier's copy left the folder both changes rewrote
        assert con.sql("SELECT count(*) FROM articles WHERE title = 'River crest passes Springfield'").fetchone() == (0,)
        for table in ("article_dates", "date_candidates", "date_mentions"):
            assert con.sql(f"SELECT count(*) FROM {table} ANTI JOIN documents USING (article_id)").fetchone() == (0,)
        # the reporting views, rolled up, count it on its new day
        days = con.sql("SELECT day, articles, inferred_dates FROM daily_volume_by_outlet WHERE day < '2022-01-01' "
                       "ORDER BY ALL").fetchall()
    assert days == [(date(2021, 12, 23), 1, 0), (date(2021, 12, 23), 1, 1)]  # LAist's, NBC's

    again = run_plain(Settings(archive=archive), [str(day1), str(day2)])
    assert (again.articles_archived, again.pages_unchanged) == (0, 4)
    assert nbc_dates(archive) == (dated, chosen, mentions, rows)


def test_a_qualifying_dated_match_wins_over_a_better_scoring_undated_one():
    new = Profile("new", date(2026, 5, 7), {"Springfield", "County Board", "Dana Whitcomb"},
                  Counter({"council": 3, "budget": 2, "river": 1}))
    # Dated, a day apart: entities 2/3, no words in common: 0.33, over the dated threshold.
    dated = Profile("dated", date(2026, 5, 6), {"Springfield", "County Board"}, Counter({"vote": 4}),
                    story_id="story-dated")
    # Undated: entities 2/4, some words: 0.38, better but under the undated threshold.
    undated = Profile("undated", None, {"Springfield", "County Board", "Harbor Board"},
                      Counter({"council": 1, "harvest": 3}), story_id="story-undated")
    [row] = assign_stories([new], [dated, undated], {})
    assert row["story_id"] == "story-dated" and row["days_apart"] == 1


def archive_of(root: Path, archived: dict[str, tuple[set[str], date, bool]]) -> ArchivePaths:
    """An archive of articles (id: entities, publication date, whether it is inferred),
    each its own story."""
    paths = ArchivePaths(root)
    ensure_archive(paths)
    run = paths.data / "20260510T000000Z-abc123"
    write_table(run, TABLES["documents"], [
        {"article_id": a, "source_ref": f"{a}.html", "title": a, "text": "The council met.", "word_count": 3,
         "content_hash": a, "raw_hash": a, "page_format": "html", "extract_method": "trafilatura", "furniture_removed": 0,
         "run_id": run.name, "ingested_at": datetime(2026, 5, 10, tzinfo=timezone.utc)} for a in archived])
    write_table(run, TABLES["article_dates"], [
        {"article_id": a, "published_date": d, "published_method": "fetch_time" if inferred else "htmldate",
         "published_inferred": inferred, "run_id": run.name} for a, (_, d, inferred) in archived.items()])
    write_table(run, TABLES["mentions"], [
        {"article_id": a, "entity": e, "entity_type": "place", "surface_forms": [e], "mention_count": 1,
         "first_position": 0, "entity_method": "test", "run_id": run.name}
        for a, (ents, _, _) in archived.items() for e in sorted(ents)])
    write_table(run, TABLES["story_members"], [
        {"article_id": a, "story_id": a, "shared_entities": [], "run_id": run.name} for a in archived])
    return paths


def test_archived_articles_are_read_only_where_one_new_article_could_match_them(tmp_path):
    """An archived article is read when it shares two entities with one new article and is
    within 3 days of it, or either is undated; sharing one entity with each of two new
    articles, or two entities with a new article 4 days or weeks apart, is not enough."""
    day = date(2026, 5, 7)
    paths = archive_of(tmp_path, {
        "same-day": ({"Springfield", "County Board"}, day, False),
        "three-days-after": ({"Springfield", "County Board"}, day + timedelta(days=3), False),
        "four-days-before": ({"Springfield", "County Board"}, day - timedelta(days=4), False),
        "one-with-each": ({"County Board", "Harbor Board"}, day + timedelta(days=1), False),
        "weeks-apart": ({"Springfield", "County Board"}, day + timedelta(days=30), False),
        "fetch-dated": ({"Springfield", "County Board"}, day + timedelta(days=300), True),
        "far-for-the-undated": ({"Lake Tahoe", "Caldor Fire"}, day - timedelta(days=900), False),
        "one-shared": ({"Springfield", "Lake Tahoe"}, day, False),
    })

    new = [
        Profile("new-dated", day, {"Springfield", "County Board", "Dana Whitcomb"}, Counter()),
        Profile("new-next-day", day + timedelta(days=2), {"Harbor Board", "Mill Creek"}, Counter()),
        Profile("new-undated", None, {"Lake Tahoe", "Caldor Fire"}, Counter()),
    ]
    read = {p.article_id: p for p in archived_profiles(paths, new)}
    assert set(read) == {"same-day", "three-days-after", "fetch-dated", "far-for-the-undated"}
    assert read["same-day"].day == day and read["fetch-dated"].day is None  # an inferred date rules nothing out
    assert read["same-day"].entities == {"Springfield", "County Board"} and read["same-day"].story_id == "same-day"


def test_equal_scores_go_to_the_lowest_id_whatever_the_order_read():
    new = Profile("new", date(2026, 5, 7), {"Springfield", "County Board"}, Counter({"council": 2}))
    copies = [Profile(a, date(2026, 5, 7), {"Springfield", "County Board"}, Counter({"council": 2}), story_id=f"story-{a}")
              for a in ("b-copy", "a-copy", "c-copy")]
    for order in (copies, copies[::-1]):
        [row] = assign_stories([Profile(**{k: getattr(new, k) for k in ("article_id", "day", "entities", "terms")})],
                               order, {})
        assert row["matched_article_id"] == "a-copy" and row["story_id"] == "story-a-copy"


def test_an_undated_pair_is_read_only_among_those_sharing_the_most_entities(tmp_path, monkeypatch):
    """Nothing dates an undated pair out, so an undated article is compared with the
    archived articles sharing the most of its entities, not with every one sharing two;
    a dated article's dated pairs are not capped."""
    monkeypatch.setattr("pipeline.stories.UNDATED_CANDIDATES", 2)
    day = date(2026, 5, 7)
    fire = ["Caldor Fire", "Lake Tahoe", "El Dorado County", "Cal Fire"]
    paths = archive_of(tmp_path, {
        "four": (set(fire), day - timedelta(days=400), False),
        "three": (set(fire[:3]), day - timedelta(days=800), False),
        "two": (set(fire[:2]), day - timedelta(days=20), False),
        "two-again": (set(fire[:2]), day, False),
        **{f"near-{n}": ({"Springfield", "County Board"}, day + timedelta(days=n), False) for n in range(3)},
    })
    new = [Profile("undated", None, set(fire), Counter()),
           Profile("dated", day, {"Springfield", "County Board"}, Counter())]
    read = {p.article_id for p in archived_profiles(paths, new)}
    assert read == {"four", "three", "near-0", "near-1", "near-2"}


def test_the_articles_read_are_exactly_those_match_could_pair(tmp_path, monkeypatch):
    """Against random small archives, the SQL reads exactly the archived articles that
    `match`'s gate (shared entities, days apart) admits for some new article."""
    monkeypatch.setattr("pipeline.stories.UNDATED_CANDIDATES", 1000)
    names = ["Springfield", "County Board", "Harbor Board", "Mill Creek", "Dana Whitcomb"]
    base = date(2026, 5, 7)
    for seed in range(20):
        rng = random.Random(seed)

        def entities() -> set[str]:
            return set(rng.sample(names, rng.randint(1, 4)))

        archived = {f"a{n}": (entities(), base + timedelta(days=rng.randint(-8, 8)), rng.random() < 0.2)
                    for n in range(8)}
        paths = archive_of(tmp_path / str(seed), archived)
        new = [Profile(f"n{n}", None if rng.random() < 0.2 else base + timedelta(days=rng.randint(-8, 8)),
                       entities(), Counter()) for n in range(3)]
        admitted = {
            a for a, (ents, day, inferred) in archived.items() for p in new
            if len(ents & p.entities) >= MIN_SHARED
            and (p.day is None or inferred or abs((p.day - day).days) <= WINDOW_DAYS)
        }
        assert {p.article_id for p in archived_profiles(paths, new)} == admitted, seed


def stories_view(members: list[tuple], articles: list[tuple]) -> duckdb.DuckDBPyConnection:
    """schemas/views/35_stories.sql over the columns it reads: members (story_id, article_id),
    articles (article_id, title, fetched_at, published_date, outlet)."""
    con = duckdb.connect()
    con.execute("CREATE TABLE story_members (story_id VARCHAR, article_id VARCHAR)")
    con.execute("CREATE TABLE a (article_id VARCHAR, title VARCHAR, fetched_at TIMESTAMPTZ, published_date DATE, "
                "outlet VARCHAR)")
    con.executemany("INSERT INTO story_members VALUES (?, ?)", members)
    con.executemany("INSERT INTO a VALUES (?, ?, ?, ?, ?)", articles)
    con.execute("CREATE VIEW documents AS SELECT article_id, title, fetched_at FROM a; "
                "CREATE VIEW article_dates AS SELECT article_id, published_date FROM a; "
                "CREATE VIEW article_outlets AS SELECT article_id, outlet FROM a")
    con.execute((SCHEMAS_DIR / "views" / "35_stories.sql").read_text())
    return con


def test_a_story_whose_first_article_was_replaced_takes_the_title_of_the_lowest_id_of_its_first_day():
    fetched = datetime(2024, 3, 9, tzinfo=timezone.utc)
    articles = [("b", "Title B", fetched, date(2024, 3, 5), "Outlet 2"),
                ("a", "Title A", fetched, date(2024, 3, 5), None),
                ("c", "Title C", fetched, date(2024, 3, 4), "Outlet 1"),
                ("d", "Title D", fetched, date(2024, 3, 6), "Outlet 1")]
    first_day_tied = [("gone", "b"), ("gone", "a"), ("gone", "d")]
    for members in (first_day_tied, first_day_tied[::-1]):
        rows = stories_view(members, articles).sql("SELECT * FROM stories").fetchall()
        assert rows == [("gone", "Title A", date(2024, 3, 5), date(2024, 3, 6), 3, 2, ["Outlet 1", "Outlet 2"])]
    alone = stories_view([("a", "a"), ("c", "c")], articles).sql("SELECT * FROM stories ORDER BY ALL").fetchall()
    assert alone == [("a", "Title A", date(2024, 3, 5), date(2024, 3, 5), 1, 0, None),
                     ("c", "Title C", date(2024, 3, 4), date(2024, 3, 4), 1, 1, ["Outlet 1"])]


# The view at its simplest: every story aggregated, one article or many. The view passes
# one-article stories through; on any stories the two must agree.
AGGREGATED = """
SELECT s.story_id,
       coalesce(any_value(a.title) FILTER (WHERE a.article_id = s.story_id),
                arg_min(a.title, (coalesce(a.published_date, a.fetched_at::DATE) IS NULL,
                                  coalesce(a.published_date, a.fetched_at::DATE), a.article_id))),
       coalesce(min(a.published_date), min(a.fetched_at)::DATE), coalesce(max(a.published_date), max(a.fetched_at)::DATE),
       count(*), count(DISTINCT a.outlet), list(DISTINCT a.outlet ORDER BY a.outlet) FILTER (WHERE a.outlet IS NOT NULL)
FROM story_members s JOIN a USING (article_id)
GROUP BY s.story_id"""


def test_stories_equal_every_story_aggregated_on_random_archives():
    rng = random.Random(11)
    articles = [(f"x{i:03d}", rng.choice([f"T{i}", None]), rng.choice([datetime(2024, 3, 9, tzinfo=timezone.utc), None]),
                 rng.choice([date(2024, 3, rng.randint(1, 4)), None]), rng.choice(["O1", "O2", None]))
                for i in range(300)]
    ids = [a[0] for a in articles]
    rng.shuffle(ids)
    members, i = [], 0
    while i < len(ids):
        size = rng.choice([1, 1, 1, 2, 3, 5])
        story = rng.choice([ids[i], f"replaced{i}"])  # a story's first article may be gone
        members += [(story, article) for article in ids[i:i + size]]
        i += size
    con = stories_view(members, articles)
    assert con.sql("SELECT count(*) FILTER (WHERE articles = 1), count(*) FILTER (WHERE articles > 1) "
                   "FROM stories").fetchone() > (20, 20)
    assert con.sql("SELECT * FROM stories ORDER BY ALL").fetchall() == con.sql(f"{AGGREGATED} ORDER BY ALL").fetchall()
