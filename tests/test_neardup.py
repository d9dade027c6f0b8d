"""pipeline/neardup.py on small hand-written articles: what the rule must call a
near-duplicate (an edited copy, a truncated copy) and what it must not (another story
from the same place). The figures on real pages are in `python -m bench.neardup`."""

from __future__ import annotations

import numpy as np

from pipeline.neardup import CONTAINMENT, band_keys, containment, shingles, sign, signatures, split_near_duplicates

HEADLINE = "Ferry service to Halden Island resumes after storm repairs"
PARAGRAPHS = [
    "PORT ALLEN — Ferry service between Port Allen and Halden Island resumed on Monday morning, nine days after "
    "a winter storm tore the loading ramp from its pilings and left about 400 island residents relying on a "
    "single water taxi.",
    "The first crossing left the mainland terminal at 6:15 a.m. with eleven cars, a fuel truck and a school bus "
    "carrying the island's high school students, who had been studying online since the storm.",
    "Harbor master Ines Okafor said welders had worked in shifts through the weekend to fit a new steel ramp, "
    "which was built for another terminal and had to be cut down by almost two meters to fit the older dock.",
    "\"It is not pretty, but it is safe, and it carries a forty-tonne truck,\" Okafor said. \"We will replace it "
    "with a proper ramp in the spring, when the water is calmer and we can close the dock for a week.\"",
    "The county estimates the repairs will cost about 1.3 million dollars, most of which it expects to recover "
    "from the state's disaster fund. Island shop owners said the closure had cost them far more than that in "
    "lost trade over the holiday season.",
    "The ferry company said it would run two extra crossings each evening this week to clear the backlog of "
    "deliveries, and that tickets bought for cancelled crossings would be honoured until the end of March.",
    "Forecasters expect another storm to reach the coast on Thursday, but the harbor master said the new ramp "
    "had been tested with waves higher than those predicted.",
]
ADDED_PARAGRAPH = (
    "Islanders have asked for a second landing on the sheltered north shore since the 1990s, and a petition "
    "with more than 300 signatures was handed to the county clerk on Friday."
)
# Same place, same people, same ferry: another story.
SAME_TOPIC = [
    "Bridge to Halden Island back on the council's agenda",
    "PORT ALLEN — County councillors voted six to three on Tuesday to pay for a study of a fixed bridge between "
    "Port Allen and Halden Island, the third such study in twenty years.",
    "Supporters on the council pointed to this winter's storm, which closed the ferry terminal for more than a "
    "week, and said a bridge would end the island's dependence on one ramp and one boat.",
    "Opponents said the two earlier studies had found a bridge would cost ten times the ferry's yearly budget "
    "and would bring holiday traffic through the island's only village.",
    "Harbor master Ines Okafor, who was asked to speak at the meeting, said the ferry had missed fewer than "
    "twenty days of service in the past decade, most of them this month.",
    "The study is due in the autumn. Until then the council will also look at lengthening the ferry's evening "
    "timetable, which shop owners on the island have asked for since the summer.",
]


def page_text(headline: str, paragraphs: list[str]) -> str:
    return "\n\n".join([headline, *paragraphs])


ORIGINAL = page_text(HEADLINE, PARAGRAPHS)


def rule(copy: str, original: str) -> tuple[bool, float]:
    """Whether the two texts share a band key, and the estimated containment."""
    (a, b), (size_a, size_b) = signatures([copy, original])
    return bool(set(band_keys(a)) & set(band_keys(b))), containment(a, size_a, b, size_b)


def found_as_duplicate(copy: str, original: str) -> bool:
    """What a run decides: the copy against an archive that holds the original."""
    archived = sign(["original"], [original])
    return split_near_duplicates(sign(["copy"], [copy]), archived)[0].get(0, (None,))[0] == "original"


def test_an_edited_copy_is_a_near_duplicate():
    edited = page_text("Halden Island ferry back in service with a borrowed ramp",
                       [*PARAGRAPHS[:3], ADDED_PARAGRAPH, *PARAGRAPHS[3:]])
    shared_key, estimate = rule(edited, ORIGINAL)
    assert shared_key
    assert estimate >= 0.8
    assert found_as_duplicate(edited, ORIGINAL)


def test_a_copy_truncated_to_its_first_seventy_percent_is_found():
    words = [len(p.split()) for p in PARAGRAPHS]
    kept = next(n for n in range(1, len(PARAGRAPHS)) if sum(words[:n]) >= 0.7 * sum(words))
    truncated = page_text(HEADLINE, PARAGRAPHS[:kept])
    assert kept < len(PARAGRAPHS)
    shared_key, estimate = rule(truncated, ORIGINAL)
    assert shared_key
    assert estimate >= CONTAINMENT
    assert found_as_duplicate(truncated, ORIGINAL)


def test_another_story_on_the_same_topic_is_not_a_duplicate():
    other = page_text(SAME_TOPIC[0], SAME_TOPIC[1:])
    _, estimate = rule(other, ORIGINAL)
    assert estimate < 0.3
    assert not found_as_duplicate(other, ORIGINAL)
    assert not found_as_duplicate(ORIGINAL, other)


def test_a_text_shorter_than_a_shingle_is_one_shingle():
    assert shingles("Storm closes ferry") == [b"storm closes ferry"]
    assert shingles("") == []
    assert len(shingles("one two three four five")) == 1


def test_signatures_are_the_same_on_every_call():
    first, sizes = signatures([ORIGINAL, page_text(SAME_TOPIC[0], SAME_TOPIC[1:])])
    again, sizes_again = signatures([ORIGINAL])
    assert np.array_equal(first[0], again[0])
    assert sizes[0] == sizes_again[0] == len(shingles(ORIGINAL))
    assert band_keys(first[0]) == band_keys(again[0])
