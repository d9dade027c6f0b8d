"""Dates an article speaks of, resolved to absolute ranges against its publication date.

In an article published 2021-12-23, "next month" is 2022-01-01..2022-01-31 and "since
2014" is 2014-01-01..2021-12-23. Ends are inclusive. Granularity is the calendar unit
spoken of, or "range" for spans that run to or from the publication date.

Written by hand with regexes. dateparser's search_dates returns points, not ranges.
Recognizers-Text (1.0.2a2, an alpha that needs emoji<2) took 2-2.5 s for each 5,000-character
seed article. It also missed "the 1990s", read "2014 troops" as a year and ended "by the end
of next month" on Jan. 16.

The rules are kept simple on purpose:
- A bare weekday ("Thursday", "on Thursday") is the latest such day on or before the
  publication date, because news mostly reports what has happened. It is the next such
  day on or after it when a future marker ("will", "set to", "expected to", ...) comes
  before it in the same clause: the publication day itself, as news style names today by
  its weekday. "last"/"next" Friday is the one strictly before/after. A weekday that is
  part of a day's name ("Black Friday", "Super Tuesday") or recurs ("every Wednesday")
  is no day; Black Friday and Cyber Monday are resolved as such, the nearest publication.
- "Dec. 23" with no year is the Dec. 23 nearest the publication date.
- "last week" is the calendar week (Monday to Sunday) before this one. "the past week"
  and "the last 10 years" are ranges ending at the publication date.
- Early/mid/late, and "the start/middle/end of", take a third of the period: days 1-10
  of a month, four months of a year, years 0-3, 4-6 and 7-9 of a decade. They keep the
  period's granularity. "The 1800s" is a century, "the 2000s" a decade.
- A bare number is a year only after in/since/by/until/till/from/during, and not before
  a unit of measure. This keeps "100,000", "2014 troops" and "by 1920 pixels" from being
  read as years.
- "In four decades" right after a first, a record or a superlative ("the first time in
  four decades", "the highest in a month") is the span up to publication, not a time ahead.
- "since X" runs from the start of X to the publication date. "by/until X" runs from the
  publication date to the end of X.
- Where matches overlap, the longest is kept.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from pipeline.records import Document

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20,
}
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12, "decade": 120}
QUARTERS = ["first", "second", "third", "fourth"]
OFFSETS = {"last": -1, "previous": -1, "past": -1, "next": 1, "coming": 1}

# Month names must be capitalised, so the verbs "may" and "march" are not read as months.
MONTH = (r"(?P<month>(?-i:(?:January|February|March|April|May|June|July|August|September|"
         r"October|November|December)\b|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b\.?))")
DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
YEAR = r"(?P<year>(?:1[6-9]|20)\d\d)(?!\d)"
WEEKDAY_PREFIX = rf"(?:(?:{'|'.join(WEEKDAYS)}),?\s+)?"
NUMBER = rf"(?P<n>\d{{1,3}}|{'|'.join(NUMBERS)})"
YEAR_AFTER = "|".join(rf"(?<=\b{w} )" for w in ["in", "since", "by", "until", "till", "from", "during"])
RANGE_WORD = re.compile(r"\b(since|by|until|till)\s+$", re.I)
FUTURE = re.compile(r"\b(?:will|shall|going to|set to|scheduled|expected to|plans? to)\b"
                    r"|['’]ll\b|\bwon['’]t\b", re.I)
CLAUSE_END = re.compile(r"[.;:!?,\n—]")
DECADE = r"(?P<decade>(?:1[6-9]|20)\d0)['’]?s\b"
# A number before a unit of measure is a count, not a year ("by 1920 pixels"); a count of
# people or things is not told from a year opening a sentence ("In 2020 deaths rose").
COUNT_NOUN = (r"(?:pixels?|px|feet|ft|inches|miles|metres|meters|kilometres|kilometers|km|acres|tons|tonnes"
              r"|kilograms|kg|pounds|lbs)\b")
# "in two weeks" right after a first, a record or a superlative and at most two words
# ("the first decline in four decades", "the second time in a month", "the lowest level
# in ten years") looks back; "the first doses will arrive in two weeks" does not.
RECORD = re.compile(r"\b(?:first|time|ever|record|highest|lowest|largest|biggest|smallest|worst|best|most|least"
                    r"|fewest|strongest|weakest|fastest|slowest|deadliest|hottest|coldest|warmest|wettest|driest)\b"
                    r"(?:\s+[\w'’-]+){0,2}\s*$", re.I)
# A weekday that names no day: part of a day's name, or one that recurs.
NOT_A_DAY = re.compile(r"(?:\b(?-i:Black|Cyber|Super|Good|Ash|Holy|Easter|Palm|Giving|Fat|Maundy|Shrove|Bloody|Blue)"
                       r"|\b(?:every|each))\s+$", re.I)


@dataclass(frozen=True)
class DateMention:
    text: str  # the expression as written, e.g. "next month"
    position: int  # character offset in the text
    start: date
    end: date  # inclusive
    granularity: str  # day, week, month, quarter, year, decade, century, or range
    relative: bool  # resolved against the publication date


class Span(NamedTuple):
    start: date
    end: date
    granularity: str
    relative: bool


def add_months(d: date, n: int) -> date:
    year, month = divmod(d.year * 12 + d.month - 1 + n, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def shift(d: date, unit: str, n: int) -> date:
    if unit in ("day", "week"):
        return d + timedelta(days=n * (7 if unit == "week" else 1))
    return add_months(d, n * MONTHS_IN[unit])


def unit_span(d: date, unit: str) -> tuple[date, date]:
    """The calendar day, week (Monday to Sunday), month, quarter, year or decade holding d."""
    if unit in ("day", "week"):
        start = d - timedelta(days=d.weekday()) if unit == "week" else d
        return start, start + timedelta(days=6 if unit == "week" else 0)
    months = MONTHS_IN[unit]
    first = (d.year * 12 + d.month - 1) // months * months
    start = date(first // 12, first % 12 + 1, 1)
    return start, add_months(start, months) - timedelta(days=1)


def part(start: date, end: date, unit: str, which: str) -> tuple[date, date]:
    """The early, mid or late third of a period; a year's thirds are whole months, a
    decade's or a century's whole years (the early 1990s are 1990-1993)."""
    if unit == "year":
        bounds = [add_months(start, 4 * i) for i in range(4)]
    elif unit in ("decade", "century"):
        bounds = [date(start.year + k, 1, 1) for k in ((0, 4, 7, 10) if unit == "decade" else (0, 34, 67, 100))]
    else:
        days = (end - start).days + 1
        bounds = [start + timedelta(days=days * i // 3) for i in range(4)]
    i = ["early", "mid", "late"].index(which)
    return bounds[i], bounds[i + 1] - timedelta(days=1)


def safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def month_number(name: str) -> int:
    return int(name) if name.isdigit() else MONTHS.index(name[:3].lower()) + 1


def number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[folded(word)]


def calendar_date(m: re.Match, published: date | None) -> Span | None:
    """"Dec. 23, 2021", "23 December 2021", "2021-12-23"; "Dec. 23" is the one nearest publication."""
    month, day = month_number(m["month"]), int(m["day"])
    if m["year"]:
        found = safe_date(int(m["year"]), month, day)
        return found and Span(found, found, "day", False)
    if published is None:
        return None
    candidates = [safe_date(published.year + k, month, day) for k in (-1, 0, 1)]
    nearest = min((c for c in candidates if c), key=lambda c: abs(c - published), default=None)
    return nearest and Span(nearest, nearest, "day", True)


def decade(year: int) -> Span:
    """"the 1990s"; "the 1800s" is the century (the 2000s, this one's first decade)."""
    if year % 100 == 0 and year < 2000:
        return Span(date(year, 1, 1), date(year + 99, 12, 31), "century", False)
    return Span(date(year, 1, 1), date(year + 9, 12, 31), "decade", False)


def calendar_unit(m: re.Match, published: date | None) -> Span:
    """"December 2021", "in 2014", "the 1990s"."""
    if "decade" in m.re.groupindex:
        return decade(int(m["decade"]))
    if "month" in m.re.groupindex:
        unit, first = "month", date(int(m["year"]), month_number(m["month"]), 1)
    else:
        unit, first = "year", date(int(m["year"]), 1, 1)
    return Span(*unit_span(first, unit), unit, False)


def month_alone(m: re.Match, published: date | None) -> Span | None:
    """"since March" is the latest March, "until May" the next May: only after such a word."""
    before = RANGE_WORD.search(m.string, max(0, m.start() - 12), m.start())
    if published is None or before is None:
        return None
    month = month_number(m["month"])
    if folded(before[1]) == "since":
        year = published.year if month <= published.month else published.year - 1
    else:
        year = published.year if month >= published.month else published.year + 1
    return Span(*unit_span(date(year, month, 1), "month"), "month", True)


def quarter(m: re.Match, published: date | None) -> Span:
    index = int(m["qn"]) if m["qn"] else QUARTERS.index(folded(m["q"])) + 1
    return Span(*unit_span(date(int(m["year"]), 3 * index, 1), "quarter"), "quarter", False)


def day_word(m: re.Match, published: date | None) -> Span | None:
    if published is None:
        return None
    words = folded(m[0])
    offset = -1 if words.startswith(("yesterday", "last")) else 1 if words.startswith("tomorrow") else 0
    day = published + timedelta(days=offset)
    return Span(day, day, "day", True)


def weekday(m: re.Match, published: date | None) -> Span | None:
    if published is None or NOT_A_DAY.search(m.string, max(0, m.start() - 20), m.start()):
        return None
    wanted, rel = WEEKDAYS.index(folded(m["weekday"])), folded(m["rel"] or "")
    back = (published.weekday() - wanted) % 7
    clause = CLAUSE_END.split(m.string[max(0, m.start() - 200):m.start()])[-1]
    if rel in ("last", "this past"):
        offset = -(back or 7)
    elif rel in ("next", "coming", "this coming"):
        offset = (wanted - published.weekday()) % 7 or 7
    elif FUTURE.search(clause):
        offset = (wanted - published.weekday()) % 7
    else:
        offset = -back
    day = published + timedelta(days=offset)
    return Span(day, day, "day", True)


def thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def shopping_day(m: re.Match, published: date | None) -> Span | None:
    """"Black Friday" and "Cyber Monday" after the US Thanksgiving nearest publication."""
    if published is None:
        return None
    after = 1 if folded(m["name"]).startswith("black") else 4
    day = min((thanksgiving(published.year + k) + timedelta(days=after) for k in (-1, 0, 1)),
              key=lambda d: abs(d - published))
    return Span(day, day, "day", True)


def this_last_next(m: re.Match, published: date | None) -> Span | None:
    """"this/last/next week", "next month", "last weekend", "the past year"."""
    if published is None:
        return None
    rel, unit = folded(m["rel"]), folded(m["unit"])
    if rel == "past" and unit != "weekend":
        return Span(shift(published, unit, -1), published, "range", True)
    offset = OFFSETS.get(rel, 0)
    if unit == "weekend":  # the coming weekend is this week's, like this weekend
        saturday = unit_span(published, "week")[0] + timedelta(days=5 + 7 * (0 if rel == "coming" else offset))
        return Span(saturday, saturday + timedelta(days=1), "week", True)
    return Span(*unit_span(shift(published, unit, offset), unit), unit, True)


def trailing(m: re.Match, published: date | None) -> Span | None:
    """"the past five years" ends at publication, "the next two weeks"/"within a month" start there."""
    if published is None:
        return None
    n, unit = number(m["n"]), folded(m["unit"])
    if folded(m["rel"]) in ("last", "past"):
        return Span(shift(published, unit, -n), published, "range", True)
    return Span(published, shift(published, unit, n), "range", True)


def offset_unit(m: re.Match, published: date | None) -> Span | None:
    """"three days ago", "in two weeks": the calendar unit that far from publication; "the
    first time in two weeks", the span up to publication."""
    if published is None or bool(m["in"]) == bool(m["ago"]):
        return None
    unit = folded(m["unit"])
    if m["in"] and RECORD.search(m.string, max(0, m.start() - 60), m.start()):
        return Span(shift(published, unit, -number(m["n"])), published, "range", True)
    moved = shift(published, unit, number(m["n"]) * (-1 if m["ago"] else 1))
    return Span(*unit_span(moved, unit), unit, True)


def period_part(m: re.Match, published: date | None) -> Span | None:
    """"early next year", "later this month", "the end of the year", "mid-2022", "the late 1990s"."""
    words = folded(m["part"]).split()
    which = words[-2] if words[-1] == "of" else words[0]
    if m["decade"]:
        start, end, unit, relative = decade(int(m["decade"]))
    elif m["year"]:
        unit, relative = "year", False
        start, end = date(int(m["year"]), 1, 1), date(int(m["year"]), 12, 31)
    elif published is None:
        return None
    else:
        unit, relative = folded(m["unit"]), True
        offset = OFFSETS.get(folded(m["rel"]).split()[-1], 0)
        start, end = unit_span(shift(published, unit, offset), unit)
        # "earlier/later this year" is the part before/after publication, at least one day
        if offset == 0 and which == "earlier":
            return Span(start, max(start, published - timedelta(days=1)), unit, True)
        if offset == 0 and which == "later":
            return Span(min(end, published + timedelta(days=1)), end, unit, True)
    which = {"earlier": "early", "later": "late", "middle": "mid", "start": "early",
             "beginning": "early", "end": "late"}.get(which, which)
    return Span(*part(start, end, unit, which), unit, relative)


UNITS = ("day", "week", "month", "quarter", "year", "decade")  # "weekend" holds "week"
# Every match of the four month rules holds a month written with a capital at a word's
# start (MONTH): one search for that passes over them in a text without one (0.2 ms an
# article less on 1,196 bench texts, the same mentions).
CAPITAL_MONTH = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")
# Each rule with words one of which every match holds, in lower case (none: it is always
# run; CAPITAL_MONTH: the month rules). Python's regular expressions scan a text a
# character at a time, about 0.15 ms a rule for an article; a rule whose words the article
# lacks, as most are in an article not in English, is skipped after a substring test in C
# (2.4 -> 1.6 ms an article on make bench's pages, the same mentions).
RULES = [(re.compile(pattern, re.I), resolve, words) for pattern, resolve, words in [
    (r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)", calendar_date, ()),
    (rf"\b{WEEKDAY_PREFIX}{MONTH}\s+{DAY}(?:,?\s+{YEAR})?", calendar_date, CAPITAL_MONTH),
    (rf"\b{WEEKDAY_PREFIX}{DAY}\s+(?:of\s+)?{MONTH}(?:,?\s+{YEAR})?", calendar_date, CAPITAL_MONTH),
    (rf"\b{MONTH},?\s+(?:of\s+)?{YEAR}", calendar_unit, CAPITAL_MONTH),
    (rf"\b{MONTH}", month_alone, CAPITAL_MONTH),
    # The lookahead first: seven lookbehinds tried at every character cost 0.7 ms an article.
    (rf"(?=(?:1[6-9]|20)\d\d)(?:{YEAR_AFTER}){YEAR}(?!\s+{COUNT_NOUN})", calendar_unit, ()),
    (rf"\b{DECADE}", calendar_unit, ("0s", "0's", "0’s")),
    (rf"\b(?:(?P<q>{'|'.join(QUARTERS)})[-\s]+quarter\s+(?:of\s+)?|Q(?P<qn>[1-4])\s*){YEAR}", quarter,
     ("quarter", "q1", "q2", "q3", "q4")),
    (r"\b(?:today|tonight|yesterday|tomorrow|this (?:morning|afternoon|evening)|last night)\b", day_word,
     ("today", "tonight", "yesterday", "tomorrow", "morning", "afternoon", "evening", "night")),
    (rf"\b(?:(?P<rel>last|next|coming|this coming|this past|this)\s+)?(?P<weekday>{'|'.join(WEEKDAYS)})\b",
     weekday, WEEKDAYS),
    (r"\b(?P<name>Black Friday|Cyber Monday)\b", shopping_day, ("black friday", "cyber monday")),
    (r"\b(?P<rel>this|current|last|previous|past|next|coming)\s+"
     r"(?P<unit>weekend|week|month|quarter|year|decade)\b", this_last_next, UNITS),
    (rf"\b(?P<rel>last|past|next|coming|within)\s+{NUMBER}\s+(?P<unit>day|week|month|year|decade)s?\b",
     trailing, UNITS),
    (rf"\b(?P<in>in\s+)?{NUMBER}\s+(?P<unit>day|week|month|year|decade)s?(?P<ago>\s+ago)?\b", offset_unit,
     UNITS),
    (r"\b(?P<part>early|earlier|mid|middle|late|later|(?:the\s+)?(?:start|beginning|middle|end)\s+of)"
     rf"[-\s]+(?:(?P<rel>this|last|next|the|the\s+current|the\s+coming)\s+(?P<unit>week|month|year)\b|{DECADE}|{YEAR})",
     period_part, ("earl", "mid", "late", "start", "beginning", "end")),
]]
# re.IGNORECASE also matches "i" to a dotless ı and to İ, which str.lower() makes "i" and a
# combining dot, and "s" to a long ſ: folded so, a text holds a rule's words wherever the
# rule can match, and a word matched is one the rules' tables know.
FOLD = str.maketrans({"ı": "i", "ſ": "s", "\u0307": None})


def folded(text: str) -> str:
    low = text.lower()
    # translate() looks up every character of a text not in ASCII: only where it changes one
    return low.translate(FOLD) if "ı" in low or "ſ" in low or "\u0307" in low else low


def anchored(text: str, m: re.Match, span: Span, published: date | None) -> DateMention:
    """Widen "since X" to X's start..publication and "by/until X" to publication..X's end."""
    position = m.start()
    before = RANGE_WORD.search(text, max(0, position - 12), position)
    if before and published:
        if folded(before[1]) == "since" and span.start <= published:
            span, position = Span(span.start, published, "range", True), before.start()
        elif folded(before[1]) != "since" and span.end >= published:
            span, position = Span(published, span.end, "range", True), before.start()
    return DateMention(text[position:m.end()], position, *span)


def find_date_mentions(text: str, published: date | None) -> list[DateMention]:
    """In text order. Relative expressions need `published`; without it only absolute ones are returned."""
    found, low, month_written = [], folded(text), CAPITAL_MONTH.search(text) is not None
    for pattern, resolve, words in RULES:
        if words is CAPITAL_MONTH:
            if not month_written:
                continue
        elif words and not any(word in low for word in words):
            continue
        for m in pattern.finditer(text):
            if span := resolve(m, published):
                found.append(anchored(text, m, span, published))
    # Longest first, each kept where no kept one covers any of its characters: marked in a
    # map of the text, so a page of 20,000 dates (a price table) takes as long again as
    # one of 20, not a check of each against every one kept (14 s).
    kept: list[DateMention] = []
    covered = bytearray(len(text) + 1)
    for mention in sorted(found, key=lambda f: (-len(f.text), f.position)):
        start, end = mention.position, mention.position + len(mention.text)
        if 1 not in covered[start:end]:
            covered[start:end] = b"\x01" * (end - start)
            kept.append(mention)
    return sorted(kept, key=lambda k: k.position)


def date_mention_rows(article_id: str, text: str, published: date | None) -> list[dict]:
    """The `date_mentions` rows of one article."""
    return [
        {"article_id": article_id, "mention": m.text, "position": m.position, "start_date": m.start,
         "end_date": m.end, "granularity": m.granularity, "relative": m.relative}
        for m in find_date_mentions(text, published)
    ]


def tag_date_mentions(docs: list[Document], published: dict[str, date | None]) -> list[dict]:
    return [row for doc in docs for row in date_mention_rows(doc.article_id, doc.text, published.get(doc.article_id))]
