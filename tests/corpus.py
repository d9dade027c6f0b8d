"""A small corpus of scraped-text pages from two outlets, written for the furniture and
reprocess tests: each outlet's pages share its own furniture lines, which no cleaning
rule knows, while every body sentence occurs in one page only."""

from __future__ import annotations

from pathlib import Path

GAZETTE = "Riverside Gazette"
COURIER = "Valley Courier"
FURNITURE = {
    GAZETTE: (
        "Gazette Morning Briefing: the day's top stories at six every weekday.",
        "Follow the Riverside Gazette on Mastodon and Bluesky for live updates.",
        "Got a tip? The newsdesk reads every message sent to tips@riversidegazette.example.",
    ),
    COURIER: (
        "The Courier Weekend Edition is on the stands every Saturday morning.",
        "Letters to the editor may be left at the Courier office on Mill Street.",
        "The Valley Courier has served the valley's towns since 1911.",
    ),
}
# Each story its own words, as real articles of one outlet have: a near-duplicate check
# must not see one story in another.
TOPICS = (
    ("ferry", "The river ferry resumed crossings after the spring floods",
     "Captain Ines Moreau steered the first boat across at dawn while a dozen commuters cheered from the jetty.",
     "Engineers replaced two winches and a cracked hull plate during the three weeks the service was halted."),
    ("library", "The central library opened a new reading room for local history",
     "Volunteers spent a winter scanning parish registers, mill ledgers and wartime letters donated by families.",
     "The room holds maps drawn before the railway arrived, when the valley had four water mills."),
    ("orchard", "A family orchard won the county prize for its late apples",
     "Judges praised a russet variety grafted by the grandfather of the current owner in the nineteen fifties.",
     "Frost in April had threatened the blossom, so pickers worked through October evenings under floodlights."),
    ("bridge", "The old stone bridge closed for repairs to its eastern arch",
     "Divers found that floodwater had scoured the foundations, loosening blocks laid by masons in 1790.",
     "Buses will detour through Millbrook, adding twenty minutes to journeys until the scaffolding comes down."),
    ("market", "The Saturday market moved to the square beside the town hall",
     "Traders selling cheese, honey and secondhand books said the new pitches drew more visitors before noon.",
     "Parking wardens will suspend charges on the two nearest streets during market hours through August."),
    ("choir", "The youth choir returned from a tour of three cities",
     "Singers aged eleven to seventeen performed folk arrangements in cathedrals at Lyon, Ghent and Utrecht.",
     "A retired teacher who founded the choir in 1998 travelled with them and conducted the final concert."),
    ("school", "Riverside Primary School planted a garden with help from parents",
     "Pupils sowed beans, pumpkins and sunflowers in raised beds built from timber salvaged from an old barn.",
     "The headteacher hopes the harvest will supply the kitchen with vegetables for lunches next autumn."),
    ("clinic", "The new health clinic began taking appointments this week",
     "Two doctors and a physiotherapist will work from the converted post office on Quay Street.",
     "Patients previously drove forty minutes to the county hospital for routine blood tests and checkups."),
)


def unique_sentence(outlet: str, n: int) -> str:
    return f"Only story {n} of the {outlet} says the {TOPICS[n % len(TOPICS)][0]} count was {101 + 7 * n} this year."


def page_text(outlet: str, n: int) -> str:
    topic = (n + (4 if outlet == COURIER else 0)) % len(TOPICS)  # the two outlets cover different stories
    key, headline, first, second = TOPICS[topic]
    one, two, three = FURNITURE[outlet]
    return "\n".join([
        "Home", "News", "Sport", "",
        f"{headline} in story number {n}", "",
        first, "",
        one, "",
        second, "",
        unique_sentence(outlet, n), "",
        two, "",
        three, "",
    ])


def page_html(outlet: str, n: int) -> str:
    """The page as HTML: the menu a nav, the headline an h1, every other line a paragraph."""
    menu, headline, body = page_text(outlet, n).split("\n\n", 2)
    paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n") if line)
    return (f"<html><head><title>{headline}</title></head><body><nav>{' '.join(menu.split())}</nav>"
            f"<article><h1>{headline}</h1>{paragraphs}</article></body></html>")


def write_pages(folder: Path, outlet: str, numbers: range, fetched_at: str = "2026-11-02T06:00:00Z",
                html: bool = False) -> Path:
    """Pages `numbers` of `outlet` into `folder` (as scraped text, or as HTML), with a
    manifest naming the outlet and URL."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    lines = manifest.read_text().splitlines() if manifest.exists() else ["file,fetched_at,url,outlet"]
    slug = outlet.lower().replace(" ", "")
    for n in numbers:
        name = f"{slug}-{n}.{'html' if html else 'txt'}"
        (folder / name).write_text(page_html(outlet, n) if html else page_text(outlet, n))
        lines.append(f"{name},{fetched_at},https://www.{slug}.example/news/story-{n},{outlet}")
    manifest.write_text("\n".join(lines) + "\n")
    return folder
