"""One name per outlet: the pages of a domain that spell its site name otherwise, spell
only the domain, or declare nothing, are named as its other articles name it, in the
run and across runs (pipeline/outlet_names.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline.job import run_plain
from pipeline.outlet_names import named
from pipeline.settings import Settings
from pipeline.store import connect

HERALD = "harbourherald.co.uk"
QUAYSIDE = "quayside.org.uk"
STORIES = (
    "The harbour master reopened the north quay after divers cleared a sunken trawler from the channel.",
    "Fishermen landed a record catch of mackerel as shoals returned to the bay for the first time in years.",
    "The lifeboat crew rescued two kayakers swept past the breakwater by a strong ebb tide on Sunday.",
    "A ferry operator announced a winter timetable with fewer crossings to the islands from January.",
    "Councillors approved plans to turn the old fish market into a covered hall for traders and cafes.",
    "The sailing club hosted a regatta that drew crews from six countries despite gusting winds all day.",
    "Repairs to the lighthouse lantern finished ahead of schedule after a crane lifted the new lens in.",
    "A marine survey found seagrass meadows spreading along the estuary where moorings were removed.",
    "Volunteers repainted the bandstand on the promenade in time for the brass band's summer concerts.",
    "The coastguard warned walkers about rockfalls below the cliffs after a week of heavy autumn rain.",
    "A boatyard apprentice finished restoring a wooden pilot cutter built on the slipway a century ago.",
)  # one story a page: pages sharing a text would be near-duplicates


def page(n: int, site_name: str | None) -> str:
    story = STORIES[n]
    meta = f'<meta property="og:site_name" content="{site_name}">' if site_name else ""
    body = "".join(f"<p>{story} Report {n}, paragraph {p}: {' '.join(story.split()[p:])}</p>" for p in range(4))
    return (f"<html><head><title>Harbour story {n}</title>{meta}</head>"
            f"<body><article><h1>Harbour story {n}</h1>{body}</article></body></html>")


def write(folder: Path, pages: list[tuple[int, str, str | None]]) -> str:
    """Pages (number, domain, declared site name) with a manifest of their URLs."""
    folder.mkdir(parents=True)
    lines = ["file,fetched_at,url"]
    for n, domain, site_name in pages:
        (folder / f"{n}.html").write_text(page(n, site_name))
        lines.append(f"{n}.html,2026-11-02T06:00:00Z,https://www.{domain}/news/story-{n}")
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    return str(folder)


def outlets(archive: Path) -> dict[str, tuple]:
    """Story number -> (outlet, method, evidence)."""
    with connect(archive) as con:
        rows = con.execute("SELECT d.url, o.outlet, o.outlet_method, o.outlet_evidence FROM documents d "
                           "JOIN article_outlets o USING (article_id)").fetchall()
    return {int(url.rsplit("-", 1)[1]): tuple(rest) for url, *rest in rows}


def test_one_name_per_domain_within_a_run_across_runs_and_for_articles_archived_before(tmp_path):
    archive = tmp_path / "archive"
    settings = Settings(archive=archive, entities=False)
    # Before anything names the domain, a page that declares nothing is its domain (which
    # trafilatura gives as the page's site name).
    run_plain(settings, [write(tmp_path / "first", [(0, HERALD, None)])])
    assert outlets(archive)[0] == (HERALD, "sitename", HERALD)

    second = run_plain(settings, [write(tmp_path / "second", [
        (1, HERALD, "Harbour Herald"), (2, HERALD, "Harbour Herald"), (3, HERALD, "HARBOUR HERALD"),
        (4, HERALD, None), (5, HERALD, HERALD),
        # Two names on one domain, neither the domain's: a page without a name is neither's.
        (6, QUAYSIDE, "Quayside Times"), (7, QUAYSIDE, "Quayside Sport"), (8, QUAYSIDE, None),
    ])])
    # The first run's article, archived before the name was known, is named by this job's end.
    assert second.stale_cleaned == 1
    assert outlets(archive)[0] == ("Harbour Herald", "known_name", HERALD)
    third = run_plain(settings, [write(tmp_path / "third", [(9, HERALD, None), (10, HERALD, "HARBOUR Herald")])])
    assert third.stale_cleaned == 0
    found = outlets(archive)
    assert {n: found[n] for n in range(1, 11)} == {
        1: ("Harbour Herald", "sitename", "Harbour Herald"),
        2: ("Harbour Herald", "sitename", "Harbour Herald"),
        3: ("Harbour Herald", "sitename", "HARBOUR HERALD"),  # the page's own spelling stays its evidence
        4: ("Harbour Herald", "known_name", HERALD),
        5: ("Harbour Herald", "known_name", HERALD),
        6: ("Quayside Times", "sitename", "Quayside Times"),
        7: ("Quayside Sport", "sitename", "Quayside Sport"),
        8: (QUAYSIDE, "sitename", QUAYSIDE),
        9: ("Harbour Herald", "known_name", HERALD),  # named by the archive's earlier runs
        10: ("Harbour Herald", "sitename", "HARBOUR Herald"),
    }

    with connect(archive) as con:
        counted = con.execute("SELECT r.kind, n.domain, n.name, n.articles FROM outlet_names n JOIN runs r USING (run_id) "
                              "ORDER BY r.started_at, n.domain, n.name").fetchall()
    assert counted == [  # what each run's pages declared, before naming; a reprocess counts nothing
        ("run", HERALD, HERALD, 1),
        ("run", HERALD, "HARBOUR HERALD", 1), ("run", HERALD, "Harbour Herald", 2), ("run", HERALD, HERALD, 2),
        ("run", QUAYSIDE, "Quayside Sport", 1), ("run", QUAYSIDE, "Quayside Times", 1), ("run", QUAYSIDE, QUAYSIDE, 1),
        ("run", HERALD, "HARBOUR Herald", 1), ("run", HERALD, HERALD, 1),
    ]


def row(outlet: str, method: str = "sitename") -> dict:
    return {"outlet": outlet, "outlet_method": method, "outlet_evidence": outlet}


@pytest.mark.parametrize("outlet, method, declared, expected", [
    # The spelling most declared wins; a tie goes to the first in code point order.
    ("FOCUS online", "sitename", {"FOCUS Online": 3, "FOCUS online": 1}, ("FOCUS Online", "sitename")),
    ("FOCUS Online", "sitename", {"FOCUS Online": 1, "FOCUS online": 1}, ("FOCUS Online", "sitename")),
    ("Focus Online", "sitename", {"FOCUS online": 2, "FOCUS Online": 1}, ("FOCUS online", "sitename")),
    # Accents folded, as the outlet tagger compares names.
    ("EL PAIS", "sitename", {"EL PAÍS": 2}, ("EL PAÍS", "sitename")),
    # A name that only spells the domain or a host of it is no name of its own.
    ("correctiv.org", "sitename", {"CORRECTIV": 1, "correctiv.org": 4}, ("CORRECTIV", "known_name")),
    ("world.correctiv.org", "sitename", {"CORRECTIV": 1}, ("CORRECTIV", "known_name")),
    ("correctiv.org", "domain", {"correctiv.org": 4}, ("correctiv.org", "domain")),
    # Another name stays the page's: "USA TODAY NETWORK" is not "USA TODAY".
    ("CORRECTIV Lokal", "sitename", {"CORRECTIV": 5}, ("CORRECTIV Lokal", "sitename")),
    # Of several names the domain spells, the one most declared; a tie leaves it the domain.
    ("correctiv.org", "domain", {"CORRECTIV": 5, "CORRECTIV Lokal": 1}, ("CORRECTIV", "known_name")),
    ("correctiv.org", "domain", {"CORRECTIV": 1, "CORRECTIV Lokal": 1}, ("correctiv.org", "domain")),
    # Only a name the domain spells or abbreviates is the domain's: another is a section's or
    # a sister site's (a journal on springer.com, a campaign on rosalux.de).
    ("correctiv.org", "domain", {"Faktencheck Weekly": 3}, ("correctiv.org", "domain")),
    ("correctiv.org", "domain", {"Faktencheck Weekly": 3, "CORRECTIV": 1}, ("CORRECTIV", "known_name")),
    # The registry's names and a manifest's are not the page's to correct.
    ("Correctiv", "url_domain", {"CORRECTIV": 5}, ("Correctiv", "url_domain")),
    ("Correctiv", "manifest", {"CORRECTIV": 5}, ("Correctiv", "manifest")),
])  # boilerplate: a table of cases
def test_a_page_is_named_as_its_domains_articles_name_it(outlet, method, declared, expected):
    named_row = named(row(outlet, method), "correctiv.org", {"correctiv.org": Counter(declared)})
    assert (named_row["outlet"], named_row["outlet_method"]) == expected
    assert named_row["outlet_evidence"] == outlet


def test_a_domain_abbreviating_its_name_names_its_pages_by_it():
    declared = {"nzz.ch": Counter({"Neue Zürcher Zeitung": 3, "nzz.ch": 2})}
    assert named(row("nzz.ch", "domain"), "nzz.ch", declared)["outlet"] == "Neue Zürcher Zeitung"


def test_a_domain_nobody_named_and_a_page_without_a_domain_keep_their_row():
    assert named(row("Example"), "other.org", {"correctiv.org": Counter({"CORRECTIV": 1})}) == row("Example")
    assert named(row("Example"), None, {"correctiv.org": Counter({"CORRECTIV": 1})}) == row("Example")
