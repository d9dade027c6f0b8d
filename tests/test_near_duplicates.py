"""The near-duplicate layer in runs: edited wire copies against the whole archive and
within a run, with the kept original chosen as users expect."""

from __future__ import annotations

from pathlib import Path

from pipeline.job import run_plain
from pipeline.report import report
from pipeline.reprocess import Selection, reprocess
from pipeline.settings import Settings
from pipeline.store import connect

WIRE = [
    "SPRINGFIELD (AP) — Flood barriers along the Sangamon River held overnight as the water peaked two feet "
    "below the levee tops, state emergency officials said Wednesday.",
    "Crews had spent three days stacking sandbags around the water treatment plant and the county hospital, "
    "the two sites engineers feared most for if the river broke through.",
    "\"We were lucky, and we were ready,\" said Dana Whitcomb, who leads the county's emergency management office. "
    "\"The barriers did exactly what they were built to do.\"",
    "About 1,200 residents of low-lying neighborhoods spent the night in shelters at two high schools and a church, "
    "and officials said most could return home by Friday.",
    "The National Weather Service said more rain was expected over the weekend but not enough to push the river "
    "back to flood stage.",
    "Farmers north of the city reported thousands of acres of young corn under water, and the state agriculture "
    "department said it would survey the losses next week.",
]
UNRELATED = [
    "SPRINGFIELD — The county board approved a budget on Tuesday that adds money for the emergency management "
    "office and for repairs to the levee along the Sangamon River.",
    "Board members argued for two hours over the cost of new pumps, which the public works director said were "
    "overdue after a decade of patching the old ones.",
    "The budget also raises the pay of county nurses and puts off a planned expansion of the courthouse parking "
    "garage until the next fiscal year.",
    "Residents who spoke during the public comment period asked the board to publish its flood maps online and "
    "to hold evening meetings so that working parents could attend.",
]


def page(title: str, paragraphs: list[str]) -> str:
    return f"{title}\n\n" + "\n\n".join(paragraphs) + "\n"


def write(folder: Path, pages: dict[str, tuple[str, str]]) -> Path:
    """pages: file name -> (text, manifest fields `fetched_at,url,outlet`)."""
    folder.mkdir(parents=True)
    lines = ["file,fetched_at,url,outlet"]
    for name, (text, fields) in pages.items():
        (folder / name).write_text(text)
        lines.append(f"{name},{fields}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    return folder


def duplicates(archive: Path) -> list[tuple]:
    with connect(archive) as con:
        return con.sql("""
            SELECT parse_filename(d.source_ref), a.title, d.method, d.similarity
            FROM duplicates d JOIN articles a ON a.article_id = d.matched_article_id ORDER BY 1
        """).fetchall()


def test_an_edited_wire_copy_in_a_later_run_is_a_near_duplicate_of_the_archived_story(tmp_path):
    archive = tmp_path / "archive"
    write(tmp_path / "day1", {
        "wire.txt": (page("Flood barriers hold as Sangamon River peaks", WIRE),
                     "2026-05-06T08:00:00Z,https://apnews.example/article/flood-barriers,AP"),
        "budget.txt": (page("County budget adds money for levee repairs", UNRELATED),
                       "2026-05-06T09:00:00Z,https://www.valleycourier.example/news/budget,Valley Courier"),
    })
    run_plain(Settings(archive=archive, entities=False), [str(tmp_path / "day1")])

    edited = WIRE[:3] + ["Valley residents can call the county hotline for sandbag pickup times."] + WIRE[3:]
    write(tmp_path / "day2", {
        "copy.txt": (page("Levees hold: river crest passes Springfield without a breach", edited),
                     "2026-05-07T08:00:00Z,https://www.valleycourier.example/news/levees-hold,Valley Courier"),
        "budget-again.txt": (page("County budget adds money for levee repairs", UNRELATED[:3]),
                             "2026-05-07T09:00:00Z,https://www.valleycourier.example/news/budget-2,Valley Courier"),
        "other.txt": (page("Springfield schools plan summer classes", [
            "Springfield schools will offer summer classes in reading and mathematics for the first time since "
            "2019, the district said Monday, after parents asked for more help over the break.",
            "Classes will run for six weeks at three elementary schools, and buses will follow the regular routes.",
        ]), "2026-05-07T10:00:00Z,https://www.valleycourier.example/news/summer,Valley Courier"),
    })
    summary = run_plain(Settings(archive=archive, entities=False), [str(tmp_path / "day2")])
    assert (summary.articles_archived, summary.duplicates) == (1, 2)
    found = duplicates(archive)
    assert [(f, t, m) for f, t, m, _ in found] == [
        ("budget-again.txt", "County budget adds money for levee repairs", "near_duplicate"),  # cut short
        ("copy.txt", "Flood barriers hold as Sangamon River peaks", "near_duplicate"),  # new headline, added line
    ]
    assert all(0.7 <= s <= 1.0 for *_, s in found)

    # Reports count articles; the switch adds each article's copies found elsewhere.
    with connect(archive) as con:
        plain = report(con, "daily_volume_by_outlet")
        assert "duplicates" not in plain.columns
        assert sum(r[plain.columns.index("articles")] for r in plain.fetchall()) == 3
        full = report(con, "daily_volume_by_outlet", include_duplicates=True)
        by_outlet: dict[str, list[int]] = {}
        for r in full.fetchall():  # undated pages count under their fetch day (flagged inferred)
            by_outlet[r[1]] = [a + b for a, b in zip(by_outlet.get(r[1], [0, 0, 0]), r[2:5])]
    assert by_outlet["AP"] == [1, 1, 2] and by_outlet["Valley Courier"] == [2, 1, 3]  # articles, duplicates, pages

    # The same pages again: nothing new anywhere.
    again = run_plain(Settings(archive=archive, entities=False), [str(tmp_path / "day2")])
    assert (again.articles_archived, again.duplicates, again.pages_unchanged) == (0, 0, 3)
    assert duplicates(archive) == found


def test_within_a_run_the_wire_services_own_copy_is_kept(tmp_path):
    archive = tmp_path / "archive"
    edited = WIRE[:4] + ["The Courier will update this story as the river falls."]
    write(tmp_path / "in", {
        # Listed and fetched first, but a copy.
        "a-copy.txt": (page("River crest passes Springfield", edited),
                       "2026-05-06T07:00:00Z,https://www.valleycourier.example/news/crest,Valley Courier"),
        "b-wire.txt": (page("Flood barriers hold as Sangamon River peaks", WIRE),
                       "2026-05-06T08:00:00Z,https://apnews.example/article/flood-barriers,AP"),
    })
    run_plain(Settings(archive=archive, entities=False), [str(tmp_path / "in")])
    with connect(archive) as con:
        kept = con.sql("SELECT title, outlet, wire_service FROM articles").fetchall()
    assert kept == [("Flood barriers hold as Sangamon River peaks", "AP", "AP")]
    assert [(f, m) for f, _, m, _ in duplicates(archive)] == [("a-copy.txt", "near_duplicate")]


def test_the_wire_services_own_copy_replaces_an_archived_copy(tmp_path):
    archive = tmp_path / "archive"
    copy = ["May 7, 2026"] + WIRE[:4] + ["The Courier will update this story as the river falls."]
    write(tmp_path / "day1", {
        "courier.txt": (page("River crest passes Springfield", copy),
                        "2026-05-07T07:00:00Z,https://www.valleycourier.example/news/crest,Valley Courier"),
        "mirror.txt": (page("River crest passes Springfield", copy),
                       "2026-05-07T07:30:00Z,https://mirror.example/courier/crest,Mirror"),
    })
    run_plain(Settings(archive=archive), [str(tmp_path / "day1")])
    with connect(archive) as con:
        [(copy_id,)] = con.sql("SELECT article_id FROM documents").fetchall()

    write(tmp_path / "day2", {
        "wire.txt": (page("Flood barriers hold as Sangamon River peaks", ["May 6, 2026"] + WIRE),
                     "2026-05-08T08:00:00Z,https://apnews.example/article/flood-barriers,AP"),
    })
    summary = run_plain(Settings(archive=archive), [str(tmp_path / "day2")])
    assert (summary.articles_archived, summary.duplicates) == (1, 1)

    with connect(archive) as con:
        kept = con.sql("SELECT article_id, title, outlet, published_date FROM articles").fetchall()
        dups = con.sql("SELECT parse_filename(source_ref), matched_article_id, method FROM duplicates ORDER BY 1").fetchall()
        left = {t: con.sql(f"SELECT count(*) FROM {t} WHERE article_id = ?", params=[copy_id]).fetchone()[0]
                for t in ("documents", "article_dates", "article_outlets", "mentions", "postings", "search_docs",
                          "neardup_signatures", "neardup_bands", "story_members")}
        hits = con.sql("SELECT article_id FROM search('sangamon barriers')").fetchall()
        stories = con.sql("SELECT articles, title FROM stories").fetchall()
    [(wire_id, title, outlet, published)] = kept
    assert (title, outlet, str(published)) == ("Flood barriers hold as Sangamon River peaks", "AP", "2026-05-06")
    # The archived copy is now a duplicate of the wire story, and so is the copy that matched it.
    assert dups == [("courier.txt", wire_id, "near_duplicate"), ("mirror.txt", wire_id, "content_hash")]
    assert set(left.values()) == {0}
    assert hits == [(wire_id,)] and stories == [(1, "Flood barriers hold as Sangamon River peaks")]

    again = run_plain(Settings(archive=archive), [str(tmp_path / "day1"), str(tmp_path / "day2")])
    assert (again.articles_archived, again.duplicates, again.pages_unchanged) == (0, 0, 3)


def test_rows_never_point_at_an_article_the_run_did_not_keep(tmp_path):
    # Two pages a shard: c and d share a shard, where d is found a copy of c; only when
    # the run finishes is c found a copy of a, from another shard.
    text = page("Budget passes", UNRELATED)
    write(tmp_path / "in", {
        "a.txt": (text, "2026-05-07T07:00:00Z,https://u.example/budget,U"),
        "b.txt": (page("Flood", WIRE), "2026-05-07T07:00:00Z,https://f.example/flood,F"),
        "c.txt": (text + "\n", "2026-05-07T08:00:00Z,https://v.example/budget,V"),
        "d.txt": (text + "\n\n", "2026-05-07T09:00:00Z,https://w.example/budget,W"),
    })
    run_plain(Settings(archive=tmp_path / "archive", entities=False, shard_size=2), [str(tmp_path / "in")])
    with connect(tmp_path / "archive") as con:
        dups = con.sql("""SELECT parse_filename(source_ref), matched_article_id IN (SELECT article_id FROM documents)
                          FROM duplicates ORDER BY 1""").fetchall()
    assert dups == [("c.txt", True), ("d.txt", True)]


def test_one_new_version_brought_by_two_shards_is_one_version_and_a_duplicate(tmp_path):
    archive, url = tmp_path / "archive", "https://www.valleycourier.example/news/budget"
    write(tmp_path / "day1", {"a.txt": (page("Budget passes", UNRELATED), f"2026-05-07T07:00:00Z,{url},Valley Courier")})
    run_plain(Settings(archive=archive, entities=False), [str(tmp_path / "day1")])
    updated = page("Budget passes", UNRELATED + ["Update: the vote was 4 to 1."])
    write(tmp_path / "day2", {"b1.txt": (updated, f"2026-05-08T07:00:00Z,{url},Valley Courier"),
                              "b2.txt": (updated + "\n\n", f"2026-05-08T08:00:00Z,{url},Valley Courier")})
    settings = Settings(archive=archive, entities=False, shard_size=1)
    first = run_plain(settings, [str(tmp_path / "day2")])
    again = run_plain(settings, [str(tmp_path / "day2")])
    assert (first.versions, first.duplicates) == (1, 1)
    assert (again.versions, again.duplicates, again.pages_unchanged) == (0, 0, 2)


def test_versions_and_story_links_of_a_replaced_copy_follow_the_kept_article(tmp_path):
    archive, url = tmp_path / "archive", "https://www.valleycourier.example/news/crest"
    copy = ["May 7, 2026"] + WIRE[:4] + ["The Courier will update this story as the river falls."]
    write(tmp_path / "day1", {"courier.txt": (page("River crest passes Springfield", copy),
                                              f"2026-05-07T07:00:00Z,{url},Valley Courier")})
    run_plain(Settings(archive=archive), [str(tmp_path / "day1")])
    write(tmp_path / "day2", {"courier-v2.txt": (page("River crest passes Springfield", copy + ["Updated at noon."]),
                                                 f"2026-05-07T12:00:00Z,{url},Valley Courier")})
    run_plain(Settings(archive=archive), [str(tmp_path / "day2")])
    write(tmp_path / "day3", {"wire.txt": (page("Flood barriers hold as Sangamon River peaks", ["May 6, 2026"] + WIRE),
                                           "2026-05-08T08:00:00Z,https://apnews.example/article/flood-barriers,AP")})
    run_plain(Settings(archive=archive), [str(tmp_path / "day3")])
    with connect(archive) as con:
        [(wire_id,)] = con.sql("SELECT article_id FROM documents").fetchall()
        versions = con.sql("SELECT article_id, parse_filename(source_ref) FROM article_versions").fetchall()
        links = con.sql("SELECT matched_article_id FROM story_members WHERE matched_article_id IS NOT NULL").fetchall()
    assert versions == [(wire_id, "courier-v2.txt")]
    assert all(m == wire_id for (m,) in links)


def test_an_edited_copy_of_a_wire_story_is_kept_as_syndicated_with_its_original(tmp_path):
    """Half the text the wire service's own, the rest the outlet's: not a duplicate, but
    the wire service's copy all the same, and it says which archived article it copies."""
    archive = tmp_path / "archive"
    write(tmp_path / "day1", {
        "wire.txt": (page("Flood barriers hold as Sangamon River peaks", WIRE),
                     "2026-05-06T08:00:00Z,https://apnews.example/article/flood-barriers,AP"),
    })
    run_plain(Settings(archive=archive, entities=False), [str(tmp_path / "day1")])
    local = [WIRE[0].replace("SPRINGFIELD (AP) — ", ""), *WIRE[1:4], *UNRELATED[1:3]]
    write(tmp_path / "day2", {
        "local.txt": (page("Levee holds; shelters to close by Friday", local),
                      "2026-05-06T12:00:00Z,https://www.valleycourier.example/news/levee,Valley Courier"),
    })
    summary = run_plain(Settings(archive=archive, entities=False), [str(tmp_path / "day2")])
    assert (summary.articles_archived, summary.duplicates) == (1, 0)
    with connect(archive) as con:
        copy = con.sql("SELECT outlet, wire_service, wire_method, is_syndicated, original_article_id FROM articles "
                       "WHERE outlet = 'Valley Courier'").fetchone()
        wire_id = con.sql("SELECT article_id FROM articles WHERE outlet = 'AP'").fetchone()[0]
        evidence = con.sql("SELECT wire_evidence FROM article_outlets WHERE wire_method = 'near_duplicate'").fetchone()[0]
    assert copy == ("Valley Courier", "AP", "near_duplicate", True, wire_id)
    share = float(evidence.split()[0])
    assert 0.5 <= share < 0.7, evidence
    # a re-extraction alone cannot see the match; the reprocess keeps it
    # (entities on this time, so the article's rows change and are rewritten)
    assert reprocess(Settings(archive=archive), Selection(outlet="Valley Courier")).replaced == 1
    with connect(archive) as con:
        assert con.sql("SELECT outlet, wire_service, wire_method, is_syndicated, original_article_id FROM articles "
                       "WHERE outlet = 'Valley Courier'").fetchone() == copy
