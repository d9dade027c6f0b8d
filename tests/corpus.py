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
TOPICS = (
    ("ferry", "The river ferry", "resumed crossings after the spring floods"),
    ("library", "The central library", "opened a new reading room for local history"),
    ("orchard", "A family orchard", "won the county prize for its late apples"),
    ("bridge", "The old stone bridge", "closed for repairs to its eastern arch"),
    ("market", "The Saturday market", "moved to the square beside the town hall"),
    ("choir", "The youth choir", "returned from a tour of three cities"),
    ("school", "Riverside Primary School", "planted a garden with help from parents"),
    ("clinic", "The new health clinic", "began taking appointments this week"),
)


def unique_sentence(outlet: str, n: int) -> str:
    return f"Only story {n} of the {outlet} says the {TOPICS[n % len(TOPICS)][0]} count was {101 + 7 * n} this year."


def page_text(outlet: str, n: int) -> str:
    key, subject, news = TOPICS[n % len(TOPICS)]
    first, second, third = FURNITURE[outlet]
    return "\n".join([
        "Home", "News", "Sport", "",
        f"{subject} {news} in story number {n}", "",
        f"{subject} {news}, officials said on Monday, in a change residents had asked for over many months.", "",
        first, "",
        f"Residents who spoke to the {outlet} said the {key} mattered to the whole town and its visitors.", "",
        unique_sentence(outlet, n), "",
        f"Officials expect further news on the {key} before the end of the month, a spokesperson said.", "",
        second, "",
        third, "",
    ])


def write_pages(folder: Path, outlet: str, numbers: range, fetched_at: str = "2026-11-02T06:00:00Z") -> Path:
    """Pages `numbers` of `outlet` into `folder`, with a manifest naming the outlet and URL."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = folder / "manifest.csv"
    lines = manifest.read_text().splitlines() if manifest.exists() else ["file,fetched_at,url,outlet"]
    slug = outlet.lower().replace(" ", "")
    for n in numbers:
        name = f"{slug}-{n}.txt"
        (folder / name).write_text(page_text(outlet, n))
        lines.append(f"{name},{fetched_at},https://www.{slug}.example/news/story-{n},{outlet}")
    manifest.write_text("\n".join(lines) + "\n")
    return folder
