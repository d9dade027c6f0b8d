"""Date mentions: expressions in the text resolved to absolute ranges against publication."""

import random
import re
import string
from datetime import date
from pathlib import Path

import pytest

from pipeline.records import Document, Page, RawPage
from pipeline.tag import date_mentions
from pipeline.tag.date_mentions import RULES, DateMention, find_date_mentions, folded, tag_date_mentions

SEEDS = Path(__file__).parents[2] / "seeds"
THU = date(2021, 12, 23)  # a Thursday, the LAist seed's publication date


def resolved(text: str, published: date | None = THU) -> list[tuple]:
    return [(m.text, str(m.start), str(m.end), m.granularity) for m in find_date_mentions(text, published)]


def test_laist_seed_next_month():
    text = (SEEDS / "003_5093180f1566a1e6.txt").read_text()
    sentence = ("the Russian leader welcomed talks with the U.S. that are set to start in Geneva next month")
    assert sentence in text

    mentions = find_date_mentions(text, THU)

    expected = DateMention("next month", text.index(sentence) + len(sentence) - len("next month"),
                           date(2022, 1, 1), date(2022, 1, 31), "month", True)
    assert expected in mentions
    full_dates = [m for m in mentions if m.text == "Thursday, Dec. 23, 2021"]
    assert len(full_dates) == 2 and not [m for m in mentions if m.text == "Dec. 23"]


@pytest.mark.parametrize("text, published, expected", [
    ("It rained today.", THU, ("today", "2021-12-23", "2021-12-23", "day")),
    ("He spoke yesterday morning.", THU, ("yesterday", "2021-12-22", "2021-12-22", "day")),
    ("It opens tomorrow.", THU, ("tomorrow", "2021-12-24", "2021-12-24", "day")),
    ("They met last night.", THU, ("last night", "2021-12-22", "2021-12-22", "day")),
    ("She said this morning that", THU, ("this morning", "2021-12-23", "2021-12-23", "day")),
    ("Yesterday was New Year's Day.", date(2022, 1, 2), ("Yesterday", "2022-01-01", "2022-01-01", "day")),
])
def test_day_words(text, published, expected):
    assert resolved(text, published) == [expected]


@pytest.mark.parametrize("text, expected_day", [
    ("Putin spoke on Thursday.", "2021-12-23"),  # the publication day itself
    ("Putin spoke Thursday.", "2021-12-23"),
    ("The talks were held on Tuesday.", "2021-12-21"),
    ("The talks were held on Friday.", "2021-12-17"),
    ("The ministers met last Tuesday.", "2021-12-21"),
    ("The ministers met last Thursday.", "2021-12-16"),
    ("They meet next Friday.", "2021-12-24"),
    ("They meet next Thursday.", "2021-12-30"),
    ("Talks will resume on Monday.", "2021-12-27"),
    ("Talks are set to resume in Geneva on Thursday.", "2021-12-23"),  # today, as news style names it
    ("Talks will resume this coming Thursday.", "2021-12-30"),
    ("Talks are set to resume in Geneva on Friday.", "2021-12-24"),
    ("Biden will meet Putin, the White House said Monday.", "2021-12-20"),  # "will" is in another clause
    ("He said this past Sunday that", "2021-12-19"),
])
def test_weekdays(text, expected_day):
    [(_, start, end, granularity)] = resolved(text)
    assert (start, end, granularity) == (expected_day, expected_day, "day")


@pytest.mark.parametrize("text, published, expected", [
    ("talks start next month", date(2021, 12, 23), ("next month", "2022-01-01", "2022-01-31", "month")),
    ("prices rose last month", date(2022, 1, 15), ("last month", "2021-12-01", "2021-12-31", "month")),
    ("due next month", date(2024, 1, 31), ("next month", "2024-02-01", "2024-02-29", "month")),
    ("busy this month", date(2023, 2, 10), ("this month", "2023-02-01", "2023-02-28", "month")),
    ("as we said last week", THU, ("last week", "2021-12-13", "2021-12-19", "week")),
    ("talks this week", THU, ("this week", "2021-12-20", "2021-12-26", "week")),
    ("talks next week", THU, ("next week", "2021-12-27", "2022-01-02", "week")),
    ("protests last weekend", THU, ("last weekend", "2021-12-18", "2021-12-19", "week")),
    ("protests this weekend", THU, ("this weekend", "2021-12-25", "2021-12-26", "week")),
    ("protests next weekend", THU, ("next weekend", "2022-01-01", "2022-01-02", "week")),
    ("a vote the coming weekend", THU, ("coming weekend", "2021-12-25", "2021-12-26", "week")),
    ("growth last year", date(2022, 1, 1), ("last year", "2021-01-01", "2021-12-31", "year")),
    ("an election next year", THU, ("next year", "2022-01-01", "2022-12-31", "year")),
    ("sales this quarter", THU, ("this quarter", "2021-10-01", "2021-12-31", "quarter")),
    ("sales next quarter", THU, ("next quarter", "2022-01-01", "2022-03-31", "quarter")),
    ("the last decade", THU, ("last decade", "2010-01-01", "2019-12-31", "decade")),
])
def test_this_last_next(text, published, expected):
    assert resolved(text, published) == [expected]


@pytest.mark.parametrize("text, published, expected", [
    ("It starts in two weeks.", THU, ("in two weeks", "2022-01-03", "2022-01-09", "week")),
    ("It happened three days ago.", THU, ("three days ago", "2021-12-20", "2021-12-20", "day")),
    ("It happened three days ago.", date(2024, 3, 1), ("three days ago", "2024-02-27", "2024-02-27", "day")),
    ("He left two years ago.", THU, ("two years ago", "2019-01-01", "2019-12-31", "year")),
    ("It began a month ago.", date(2022, 1, 10), ("a month ago", "2021-12-01", "2021-12-31", "month")),
    ("It ends in 3 months.", date(2021, 11, 30), ("in 3 months", "2022-02-01", "2022-02-28", "month")),
])
def test_offsets_take_the_calendar_unit(text, published, expected):
    assert resolved(text, published) == [expected]


@pytest.mark.parametrize("text, published, expected", [
    ("in the past five years", THU, ("past five years", "2016-12-23", "2021-12-23", "range")),
    ("over the last 10 years", THU, ("last 10 years", "2011-12-23", "2021-12-23", "range")),
    ("over the past year", date(2024, 2, 29), ("past year", "2023-02-28", "2024-02-29", "range")),
    ("in the past week", THU, ("past week", "2021-12-16", "2021-12-23", "range")),
    ("within a month", THU, ("within a month", "2021-12-23", "2022-01-23", "range")),
    ("over the next two weeks", THU, ("next two weeks", "2021-12-23", "2022-01-06", "range")),
    ("sanctions in place since 2014", THU, ("since 2014", "2014-01-01", "2021-12-23", "range")),
    ("rising since March", THU, ("since March", "2021-03-01", "2021-12-23", "range")),
    ("rising since March", date(2022, 1, 10), ("since March", "2021-03-01", "2022-01-10", "range")),
    ("rising since December", THU, ("since December", "2021-12-01", "2021-12-23", "range")),
    ("rising since last week", THU, ("since last week", "2021-12-13", "2021-12-23", "range")),
    ("net zero by 2030", THU, ("by 2030", "2021-12-23", "2030-12-31", "range")),
    ("in force until 2030", THU, ("until 2030", "2021-12-23", "2030-12-31", "range")),
    ("a deal by May", THU, ("by May", "2021-12-23", "2022-05-31", "range")),
    ("a deal by the end of next month", THU, ("by the end of next month", "2021-12-23", "2022-01-31", "range")),
])
def test_ranges_anchored_at_publication(text, published, expected):
    assert resolved(text, published) == [expected]


@pytest.mark.parametrize("text, published, expected", [
    ("an invasion early next year", THU, ("early next year", "2022-01-01", "2022-04-30", "year")),
    ("a summit mid-next year", THU, ("mid-next year", "2022-05-01", "2022-08-31", "year")),
    ("a vote late last year", THU, ("late last year", "2020-09-01", "2020-12-31", "year")),
    ("a vote late this month", THU, ("late this month", "2021-12-21", "2021-12-31", "month")),
    ("a vote early this month", date(2024, 2, 15), ("early this month", "2024-02-01", "2024-02-09", "month")),
    ("a vote late this month", date(2024, 2, 15), ("late this month", "2024-02-20", "2024-02-29", "month")),
    ("a vote early next week", THU, ("early next week", "2021-12-27", "2021-12-28", "week")),
    ("a vote later this year", THU, ("later this year", "2021-12-24", "2021-12-31", "year")),
    ("a vote earlier this year", THU, ("earlier this year", "2021-01-01", "2021-12-22", "year")),
    ("a vote earlier this month", THU, ("earlier this month", "2021-12-01", "2021-12-22", "month")),
    ("at the end of the year", THU, ("the end of the year", "2021-09-01", "2021-12-31", "year")),
    ("at the beginning of next month", THU, ("the beginning of next month", "2022-01-01", "2022-01-10", "month")),
])
def test_parts_of_periods(text, published, expected):
    assert resolved(text, published) == [expected]


def test_earlier_and_later_keep_at_least_a_day():
    assert resolved("later this year", date(2021, 12, 31)) == [
        ("later this year", "2021-12-31", "2021-12-31", "year")]
    assert resolved("earlier this month", date(2022, 1, 1)) == [
        ("earlier this month", "2022-01-01", "2022-01-01", "month")]


@pytest.mark.parametrize("text, expected", [
    ("on Dec. 23, 2021, in Moscow", ("Dec. 23, 2021", "2021-12-23", "2021-12-23", "day")),
    ("on December 23, 2021 in Moscow", ("December 23, 2021", "2021-12-23", "2021-12-23", "day")),
    ("on Sept. 11, 2001", ("Sept. 11, 2001", "2001-09-11", "2001-09-11", "day")),
    ("on 23 December 2021", ("23 December 2021", "2021-12-23", "2021-12-23", "day")),
    ("dated 2021-12-23.", ("2021-12-23", "2021-12-23", "2021-12-23", "day")),
    ("on Feb. 29, 2024", ("Feb. 29, 2024", "2024-02-29", "2024-02-29", "day")),
    ("in December 2021", ("December 2021", "2021-12-01", "2021-12-31", "month")),
    ("in February 2024", ("February 2024", "2024-02-01", "2024-02-29", "month")),
    ("annexed in 2014, drawing", ("2014", "2014-01-01", "2014-12-31", "year")),
    ("during 1991 the union fell", ("1991", "1991-01-01", "1991-12-31", "year")),
    ("since the 1990s", ("1990s", "1990-01-01", "1999-12-31", "decade")),
    ("in the first quarter of 2022", ("first quarter of 2022", "2022-01-01", "2022-03-31", "quarter")),
    ("profits in Q3 2021", ("Q3 2021", "2021-07-01", "2021-09-30", "quarter")),
    ("a vote in late 2021", ("late 2021", "2021-09-01", "2021-12-31", "year")),
    ("a vote by mid-2022", ("mid-2022", "2022-05-01", "2022-08-31", "year")),
    ("popular in the late 1980s", ("late 1980s", "1987-01-01", "1989-12-31", "decade")),
    ("in the early 1990s", ("early 1990s", "1990-01-01", "1993-12-31", "decade")),
    ("a launch in the mid-2020s", ("mid-2020s", "2024-01-01", "2026-12-31", "decade")),
    ("the 1800s averages", ("1800s", "1800-01-01", "1899-12-31", "century")),
    ("by the early 1900s", ("early 1900s", "1900-01-01", "1933-12-31", "century")),
    ("the 2000s", ("2000s", "2000-01-01", "2009-12-31", "decade")),
])
def test_absolute_dates_need_no_publication_date(text, expected):
    [mention] = find_date_mentions(text, None)
    assert (mention.text, str(mention.start), str(mention.end), mention.granularity) == expected
    assert mention.relative is False


@pytest.mark.parametrize("text, published, expected_day", [
    ("on Dec. 23", THU, "2021-12-23"),
    ("on Dec. 23", date(2022, 1, 2), "2021-12-23"),  # the nearest Dec. 23 is last year's
    ("on Jan. 3", THU, "2022-01-03"),
    ("on March 3", date(2021, 4, 1), "2021-03-03"),
    ("on 3 March", date(2021, 4, 1), "2021-03-03"),
    ("on Feb. 29", date(2024, 3, 10), "2024-02-29"),
])
def test_month_day_takes_the_year_nearest_publication(text, published, expected_day):
    [mention] = find_date_mentions(text, published)
    assert (str(mention.start), str(mention.end), mention.granularity, mention.relative) == (
        expected_day, expected_day, "day", True)


@pytest.mark.parametrize("text", [
    "Russia has massed 100,000 troops along the border.",
    "Some 2014 troops crossed the river.",
    "a force of 2000 soldiers",
    "The unit of 1,999 men and $2021 in cash.",
    "Troops may march on the capital.",  # verbs, not months
    "It was Feb. 30, 2021.",  # no such day
    "Her 1990 votes.",
    "He spent a year in jail and two weeks abroad.",  # durations, not dates
    "a screen of 1080 pixels by 1920 pixels",
    "Super Tuesday and Ash Wednesday",  # days' names
    "Every Wednesday we send a newsletter.",  # no one day
])
def test_not_dates(text):
    assert resolved(text) == []


@pytest.mark.parametrize("text, published, expected", [
    ("the first decline in four decades", THU, ("in four decades", "1981-12-23", "2021-12-23", "range")),
    ("the second time in a month", THU, ("in a month", "2021-11-23", "2021-12-23", "range")),
    ("the highest in two weeks", THU, ("in two weeks", "2021-12-09", "2021-12-23", "range")),
    ("they vote in two weeks", THU, ("in two weeks", "2022-01-03", "2022-01-09", "week")),
    ("the first doses will arrive in two weeks", THU, ("in two weeks", "2022-01-03", "2022-01-09", "week")),
    ("In 2020 deaths from overdoses rose", THU, ("2020", "2020-01-01", "2020-12-31", "year")),  # no unit
    ("Black Friday deals", date(2019, 11, 20), ("Black Friday", "2019-11-29", "2019-11-29", "day")),
    ("sales on Cyber Monday", date(2019, 12, 10), ("Cyber Monday", "2019-12-02", "2019-12-02", "day")),
    ("Black Friday crowds", date(2021, 1, 5), ("Black Friday", "2020-11-27", "2020-11-27", "day")),
])
def test_spans_back_from_a_record_and_named_shopping_days(text, published, expected):
    assert resolved(text, published) == [expected]


def test_overlaps_keep_the_longest():
    assert resolved("Thursday, Dec. 23, 2021") == [
        ("Thursday, Dec. 23, 2021", "2021-12-23", "2021-12-23", "day")]
    assert [m[0] for m in resolved("an invasion as early as next month or early next year")] == [
        "next month", "early next year"]


def test_in_text_order_with_positions():
    text = "On Thursday Putin said talks start next month, as agreed on Dec. 1."
    mentions = find_date_mentions(text, THU)
    assert [(m.text, m.position) for m in mentions] == [
        ("Thursday", 3), ("next month", text.index("next month")), ("Dec. 1", text.index("Dec. 1"))]


def test_without_publication_date_only_absolute():
    text = "Last week, on Dec. 23, 2021, the ban in place since 2014 was lifted next month."
    assert resolved(text, None) == [
        ("Dec. 23, 2021", "2021-12-23", "2021-12-23", "day"),
        ("2014", "2014-01-01", "2014-12-31", "year"),
    ]


def test_tag_date_mentions_rows():
    text = "Talks start next month."
    raw = RawPage("s1", text.encode())
    doc = Document("a1", Page(raw, "h", text, False, "utf-8"), None, None, [], None, None, text, "c", "text_cleaner")
    other = Document("a2", Page(raw, "h", text, False, "utf-8"), None, None, [], None, None, text, "c", "text_cleaner")

    rows = tag_date_mentions([doc, other], {"a1": THU, "a2": None})

    assert rows == [{
        "article_id": "a1", "mention": "next month", "position": 12, "start_date": date(2022, 1, 1),
        "end_date": date(2022, 1, 31), "granularity": "month", "relative": True,
    }]


def test_every_character_a_rule_matches_to_a_letter_folds_to_that_letter():
    """For the rules' words, and for the words the resolvers look up in their tables."""
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    words = [w for _, _, rule_words in RULES if not isinstance(rule_words, re.Pattern) for w in rule_words]
    letters = set(string.ascii_lowercase) | {ch for word in words for ch in word}
    for letter in letters:
        matched = re.findall(re.escape(letter), every, re.I)
        assert matched and all(letter in folded(ch) for ch in matched), letter
    assert "s" in folded("\u017f") and folded("\u0130N") == "in"  # a long s, and İ that lower() makes two


def test_words_in_odd_letters_that_rules_match_are_resolved():
    """re.IGNORECASE matches a long ſ to s and İ to i: such a word is resolved, not an error."""
    assert resolved("Talks resumed on THURſDAY, after MİD-2021.") == [
        ("THURſDAY", "2021-12-23", "2021-12-23", "day"), ("MİD-2021", "2021-05-01", "2021-08-31", "year")]


def test_skipping_rules_whose_words_a_text_lacks_changes_no_mention(monkeypatch):
    """Each rule's words against the same rules run on every text: the gate only saves time."""
    rng = random.Random(0)
    phrases = ["Dec. 23, 2021", "23 December 2021", "2021-12-23", "since March", "until May", "in 2014", "the 1990s",
               "the 1990’s", "third quarter of 2021", "Q3 2022", "yesterday", "tonight", "this evening", "last night",
               "on Thursday", "next Friday", "this coming Sunday", "next month", "last weekend", "the past year",
               "the past five years", "within a month", "three days ago", "in two weeks", "early next year",
               "later this month", "the end of the year", "mid-2022", "the beginning of next week", "by 2030",
               "Monat", "im Jahr", "Dezember", "vor drei Tagen", "Anfang", "Mitte", "Ende", "der Woche"]
    odd = {"i": ["I", "ı", "İ"], "s": ["S", "ſ"], "k": ["K", "K"]}

    def scrambled(phrase: str) -> str:
        return "".join(rng.choice(odd[c.lower()] + [c]) if c.lower() in odd and rng.random() < 0.3 else
                       c.swapcase() if rng.random() < 0.1 else c for c in phrase)

    texts = [" ".join(scrambled(rng.choice(phrases)) + rng.choice([".", ",", "", " and"])
                      for _ in range(rng.randrange(1, 6))) for _ in range(3000)]
    gated = [find_date_mentions(text, THU) for text in texts]
    monkeypatch.setattr(date_mentions, "RULES", [(pattern, resolve, ()) for pattern, resolve, _ in RULES])
    assert [find_date_mentions(text, THU) for text in texts] == gated
    assert sum(map(len, gated)) > 3000


def test_a_table_of_thousands_of_dates_keeps_each_once_and_the_longest_of_overlaps():
    # A price table's dates (one a row): each kept check once looked at every one kept before.
    rows = [f"January {day:02d}, {year} 101.00" for year in range(1990, 2010) for day in range(1, 29)]
    found = find_date_mentions("\n".join(rows) + "\nsince January 2014", date(2021, 12, 23))
    assert len(found) == len(rows) + 1
    assert [m.text for m in found[:2]] == ["January 01, 1990", "January 02, 1990"]
    assert (found[-1].text, found[-1].start, found[-1].end) == ("since January 2014", date(2014, 1, 1), date(2021, 12, 23))
