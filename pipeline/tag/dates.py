"""Publication date: every candidate the page offers, each with its source, and the one
chosen with its confidence.

HTML pages: htmldate (read with the page's metadata, pipeline/extract.py) chooses the date,
as it scores best on the labelled dates; the page's JSON-LD, meta tags, microdata, `<time>`
elements, a labelled date in its text, the date shown between its headline and its text
(or held there in an attribute), a dateline heading the article's text and its URL are
kept as candidates beside it, confirm it (a confirmed htmldate date is right far more
often) and give it a time and time zone; a date htmldate read month first from the page's
"4. 2. 2022" is read day first. A publication time the page states in its own zone, or in
both its JSON-LD and meta tags more than a day from htmldate's, or labels as such,
overrides htmldate, which often reads a UTC or modification time; so does a dateline
heading the article's text, the date its readers are shown (the gold date on all 28
labelled pages that have one), and, where nothing confirms htmldate, the date between
headline and text or else the one day its `<time>` elements show. The date the feed or
sitemap that listed the page gave is a candidate too, used when the page states none.
Scraped text has no metadata left: its date comes from a dateline, an image caption, or
else the first full date in the page. A page with none of these but a weekday ("Putin said
Thursday") is dated to that weekday before the fetch time, and later to that weekday in its
story, when the story has a dated member (pipeline/run.py). Failing all that the fetch time
is used, always flagged `published_inferred`. Dates after the fetch time, or before the
outlet existed, are refused and kept as candidates with the reason.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from typing import Iterator

from htmldate.extractors import try_date_expr
from lxml import etree
from lxml.html import HtmlElement

from pipeline.records import Candidate, Document

MONTHS = {
    m: i + 1
    for i, names in enumerate((
        ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
        ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
        ("oct", "october"), ("nov", "november"), ("dec", "december"),
    ))
    for m in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
FULL_DATES = (
    re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,\s*(?P<year>(?:19|20)\d{2})\b", re.I),
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?\s+(?P<year>(?:19|20)\d{2})\b", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
    # Dotted dates are day first wherever they are written (German, Czech, Polish, Russian pages).
    re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>(?:19|20)\d{2})\b"),
)
# "Updated March 3, 2024" / "Published: 3 March 2024" / "Stand: 28.04.2020 18:00 Uhr" at the start of a line.
DATELINE = re.compile(r"^(?:published|posted|updated|last updated|stand)?:?\s*", re.I)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A weekday the article happened on: not "next Thursday" or "last Friday", which are
# relative to a day the text does not give.
WEEKDAY = re.compile(r"(?<!next )(?<!last )(?<!this )\b(" + "|".join(WEEKDAYS) + r")\b", re.I)
ISO_TIMESTAMP = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?")
# "/2020/02/18/" or "/2020-02-18-slug", not "/2023/10/3-fragen-an" (a slug after year and month).
URL_DATE = re.compile(r"/((?:19|20)\d{2})(?:/(\d{1,2})/(\d{1,2})(?=[/?#.]|$)|-(\d{2})-(\d{2})\b)")
# Meta tags that give the publication (not the modification) time.
PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "datepublished", "parsely-pub-date",
    "dc.date.issued", "dcterms.issued", "sailthru.date", "pubdate", "publishdate", "publish-date",
)
# A visible label saying the date that follows is the publication's ("Published: …",
# "Erschienen am 01.11.2023"), not an update's; the date itself is read by htmldate's parser.
PUBLISHED_LABEL = re.compile(
    r"\b(?:published(?: on)?|first published|posted(?: on)?|written|erschienen(?: am)?|ver\u00f6ffentlicht(?: am)?|erstellt(?: am)?"
    r"|publi\u00e9(?: le)?|publicado(?: el)?|pubblicato(?: il)?|gepubliceerd(?: op)?|opublikowano)\s*:?\s*", re.I)
LABELLED_DATE_CHARS = 40
# The page's visible text nodes. script and style hold only text in a parsed page, so a parent
# test finds theirs; plain strings, not lxml's "smart" ones that each keep their element.
VISIBLE_TEXT = etree.XPath("//body//text()[not(parent::script or parent::style)]", smart_strings=False)
TIME_ELEMENTS = etree.XPath("//time[@datetime or normalize-space()]")
# Where the update's date begins ("Written: 2023-11-07 / Updated: 2023-11-08").
UPDATE_LABEL = re.compile(r"\b(?:updated|modified|aktualisiert|ge\u00e4ndert|stand|mis \u00e0 jour|actualizado|aggiornato)\b", re.I)
# A numeric date with dots is day first wherever it is written (German, Czech, Slovak, Polish
# pages). htmldate reads "04.02.2022" so, but hands one with a space ("4. 2. 2022",
# "04.02. 2022") to dateparser, which, knowing no language, reads it month first.
DOTTED_DATE = re.compile(r"(?<![\d.])(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*((?:19|20)\d\d)(?!\d)")
LABELLED_DATE_START = re.compile(r"\d|[^\W\d_]{3,9}\.?\s+\d")  # "01.11.2023", "Oktober 13", "Jan. 5"
MAX_FUTURE = timedelta(days=1)
COARSE = "refused: a year or a month, not a day the page states"
# Before this, a stated date is a placeholder ("0001-01-01") or not the page's (htmldate's floor is 1995).
EARLIEST = date(1990, 1, 1)
WEEKDAY_PARAGRAPHS = 3
# An HTML article's dateline is a line of its own among its first paragraphs ("13 Jan 2020,
# 22:11 GMT+10"); a date further down is a quoted tweet's or an earlier event's.
DATELINE_PARAGRAPHS = 3
# Or a paragraph among them that opens with the date, after the place it was written in:
# "Karlsruhe, (12.11.2021). Traditionell …", "(21. November 2022) Energieverbraucher …",
# "20. März 2021 - 15:00 Uhr", "31. Oktober 2023. Dragqueens …": a numeric date, or a day,
# a month named in any language, a year.
# Not one a colon follows, which opens an entry of a timeline ("8 August 2009: the first post").
LEAD_DATE = re.compile(r"(?:[^\W\d][^\W\d'-]*(?:[ '-][^\W\d]+){0,3},\s*)?\(?"
                       r"(?P<date>\d{1,2}\.\s?\d{1,2}\.\s?(?:19|20)\d\d|\d{1,2}\.?\s+[^\W\d]{3,12}\.?\s+(?:19|20)\d\d)"
                       r"(?!\d|\s*:)")
# The date a page shows between the article's headline and its text, with the byline: "Von
# Christian Thiele, 07 Dezember, 2022", "13 Oct 2020 18:29 | Exclusives". A line or two; a
# longer stretch holds a teaser, a caption or a listing, whose dates are other articles'.
HEADER_CHARS = 100
# The text's opening, found again in the visible text: so many characters of it, and no
# fewer than the least (a shorter opening may be found anywhere).
TEXT_OPENING_CHARS, LEAST_TEXT_OPENING = 50, 20
# Found by its headline's end: a title may carry a kicker the page shows apart from the
# headline ("UN-Klimakonferenz in Glasgow - DRK: Immer mehr Menschen …").
TITLE_END_CHARS = 30
SPACE_BEFORE_PUNCTUATION = re.compile(r" (?=[,.;:!?)\]])")
# Or it holds the date in an attribute, for a script to show: of an element after the
# headline (the page's first <h1>) and before the first paragraph of text (<p> of 100
# characters or more). The gold date on all 7 labelled pages with one; of such an element
# further down, on 11 of 17.
HEADER_DATE_ATTRIBUTES = ("data-date", "data-time", "data-timestamp", "data-datetime", "data-published",
                          "data-pubdate", "data-publish-date")
PARAGRAPH_CHARS = 100
# The header is a few dozen elements (the farthest such element on the labelled pages was
# the 27th after the headline): past that, the article's text is in no <p>.
HEADER_ELEMENTS = 60
UNIX_TIME = re.compile(r"\d{10}(?:\d{3})?")  # seconds or milliseconds since 1970
DATE_START = re.compile(r"(?<![\w.])(?:\d|[^\W\d_]{3,9}\.?\s+\d)")  # "07 Dezember, 2022", "Oct. 13, 2020"
# Markup that names its date as the publication's (not a page's or an update's).
PUBLICATION_MARKUP = ("json_ld", "meta", "microdata")

# How often each way of dating is right. HTML figures are measured on the eval set's
# 616 labelled pages (make eval): htmldate agreeing with the page's JSON-LD or meta
# publication time 0.967 (367 pages), htmldate alone 0.953 (214). A publication date
# the page states in its own zone, in JSON-LD and meta tags together, or labels,
# overriding htmldate, was right on 15 of 16 pages, the one day its `<time>` elements
# show on 3 of 3, and the date between headline and text on all 4 such pages of the two
# labelled sets: too few to measure, so set at or below htmldate alone.
# The others have no labelled data here and are set, lowest for what the page does not
# state itself.
CONFIDENCE = {
    "htmldate_confirmed": 0.97, "htmldate": 0.94, "json_ld": 0.92, "meta": 0.92, "microdata": 0.92, "label": 0.85,
    "listed": 0.8, "time_element": 0.8, "header": 0.85, "url": 0.7, "text_dateline": 0.9, "caption": 0.8, "text_date": 0.6,
    "weekday_story": 0.6, "weekday_fetch_time": 0.4, "fetch_time": 0.3,
}
# Sources of a date the page does not state: the date is inferred and flagged.
INFERRED = {"weekday_story", "weekday_fetch_time", "fetch_time"}
# Dates a story's stated dates improve on.
REDATABLE = ("weekday_fetch_time", "none")


def parse_timestamp(value: str) -> tuple[date, datetime | None, int | None] | None:
    """An ISO date or timestamp: its date as written, the instant in UTC and the offset,
    when the value has a time and a zone."""
    m = ISO_TIMESTAMP.match(value or "")
    if not m:
        return None
    y, mo, d, h, mi, s, zone = m.groups()
    try:
        day = date(int(y), int(mo), int(d))
        if h is None or zone is None:
            return day, None, None
        local = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[-2:]))
        at = (local - timedelta(minutes=offset)).replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):  # no such day, or a placeholder at the calendar's ends
        return None
    return day, at, offset


def _timestamp_candidate(value: str, source: str, evidence: str) -> Candidate | None:
    parsed = parse_timestamp(value)
    return Candidate(parsed[0], source, evidence, parsed[1], parsed[2]) if parsed else None


def _json_ld_dates(node: object) -> list[str]:
    if isinstance(node, list):
        return [v for item in node for v in _json_ld_dates(item)]
    if not isinstance(node, dict):
        return []
    own = [node["datePublished"]] if isinstance(node.get("datePublished"), str) else []
    return own + [v for key, item in node.items() if key != "datePublished" for v in _json_ld_dates(item)]


def visible_text(tree: HtmlElement) -> str:
    return " ".join(" ".join(VISIBLE_TEXT(tree)).split())


def labelled_date(text: str) -> Candidate | None:
    """The first date the page's visible text labels as the publication's."""
    for m in PUBLISHED_LABEL.finditer(text):
        following = UPDATE_LABEL.split(text[m.end():m.end() + LABELLED_DATE_CHARS], 1)[0]
        if not LABELLED_DATE_START.match(following):  # "Posted by …", "veröffentlicht. Digital-Life 11.09.2017"
            continue
        if found := read_date(following):
            return Candidate(found, "label", (m.group(0) + following).strip())
    return None


def header_candidate(shown: str, title: str | None, text: str) -> Candidate | None:
    """The date the page's visible text shows between the article's headline and the start of
    its text, before any update's date; where the page shows headline and opening twice (a
    teaser of the article first), the first place with a date between them."""
    shown = _comparable(shown)  # visible_text's spaces are single already
    opening = _comparable(" ".join(text.split("\n", 1)[0].split()))[:TEXT_OPENING_CHARS]
    title_end = _comparable(" ".join((title or "").split()))[-TITLE_END_CHARS:]
    if not title_end or len(opening) < LEAST_TEXT_OPENING:
        return None
    for text_at in (m.start() for m in re.finditer(re.escape(opening), shown)):
        # Only as far back as a headline may end: a page repeating the opening is searched once over.
        title_at = shown.rfind(title_end, max(0, text_at - HEADER_CHARS - len(title_end)), text_at)
        if title_at < 0:
            continue
        between = shown[title_at + len(title_end):text_at].strip()
        if found := first_date(UPDATE_LABEL.split(between, 1)[0]):
            return Candidate(found, "header", between)
    return None


def header_attribute(tree: HtmlElement) -> Candidate | None:
    """The date in an attribute of an element between the page's headline and its first
    paragraph of text (HEADER_DATE_ATTRIBUTES)."""
    if (headline := tree.find(".//h1")) is None:
        return None
    for element in islice(_following(headline), HEADER_ELEMENTS):
        if element.tag == "p" and len(" ".join(element.text_content().split())) >= PARAGRAPH_CHARS:
            return None
        if name := next((name for name in HEADER_DATE_ATTRIBUTES if element.get(name) is not None), None):
            return _attribute_date(name, element.get(name).strip())
    return None


def _following(element: HtmlElement) -> Iterator[HtmlElement]:
    """The elements after `element` in document order: XPath's following axis, which lxml
    evaluates over the whole rest of the page (0.6 ms a page)."""
    while element is not None:
        for sibling in element.itersiblings(etree.Element):
            yield sibling
            yield from sibling.iterdescendants(etree.Element)
        element = element.getparent()


def _attribute_date(name: str, value: str) -> Candidate | None:
    evidence = f'{name}="{value}"'
    if UNIX_TIME.fullmatch(value):
        return Candidate(datetime.fromtimestamp(int(value[:10]), timezone.utc).date(), "header", evidence)
    if ISO_TIMESTAMP.match(value):  # not "2020-02-30", which htmldate's parser reads as the 1st
        return _timestamp_candidate(value, "header", evidence)
    return Candidate(day, "header", evidence) if (day := first_date(value)) else None


def first_date(text: str) -> date | None:
    """The first date written in `text`: in English, ISO or dotted form (FULL_DATES), or in the
    forms of other languages, which htmldate's parser reads, but not with much text after them."""
    found = [(m.start(), day) for pattern in FULL_DATES if (m := pattern.search(text)) and (day := _parse(m))]
    if other := next(((m.start(), day) for m in DATE_START.finditer(text)
                      if (day := read_date(text[m.start():m.start() + LABELLED_DATE_CHARS]))), None):
        found.append(other)
    return min(found)[1] if found else None


def _comparable(text: str) -> str:
    """`text`, its spaces single, as both the visible text and the extracted text can be
    searched for: NFC, and without the space visible_text puts between "BERLIN</b>, the council"."""
    return SPACE_BEFORE_PUNCTUATION.sub("", unicodedata.normalize("NFC", text))


def read_date(text: str) -> date | None:
    """The date in `text`, in the forms of many languages ("13. Oktober 2021", "01.11.2023",
    "12 mars 2021"), read by htmldate's parser: it is not exported, but no library exposes one."""
    try:
        found = try_date_expr(text, "%Y-%m-%d", False, datetime(EARLIEST.year, 1, 1), datetime(2100, 1, 1))
    except ValueError:  # it raises on a time zone offset of a day or more ("+2500")
        return None
    return date.fromisoformat(found) if found else None


def _time_candidate(time: HtmlElement) -> Candidate | None:
    """A `<time>` element's `datetime`, or else the date it shows ("31.03.2020")."""
    if (value := time.get("datetime")) is not None:
        return _timestamp_candidate(value, "time_element", f"<time datetime={value}>")
    shown = " ".join(time.text_content().split())[:LABELLED_DATE_CHARS]
    return Candidate(day, "time_element", f"<time>{shown}</time>") if (day := read_date(shown)) else None


def month_first_readings(text: str) -> tuple[tuple[date, str], ...]:
    """The days htmldate may misread from the page's spaced dotted dates ("4. 2. 2022" as
    2022-04-02), each with the date as written; not a day the page also writes day first."""
    written: dict[date, str] = {}
    for m in DOTTED_DATE.finditer(text):
        try:
            written.setdefault(date(int(m[3]), int(m[2]), int(m[1])), m.group(0))
        except ValueError:
            continue
    return tuple((misread, shown) for day, shown in written.items()
                 if any(c.isspace() for c in shown) and day.day <= 12 and day.day != day.month
                 and (misread := date(day.year, day.day, day.month)) not in written)


def markup_candidates(tree: HtmlElement, url: str | None, text: str,
                      json_ld: list[tuple[str, object]]) -> list[Candidate]:
    """The publication dates a page's markup and URL state: JSON-LD `datePublished` (of
    the parsed blocks, markup.json_ld, typed exactly application/ld+json), publication meta
    tags, microdata `datePublished`, `<time>` elements, a labelled date in the visible
    text, and a date in the URL path."""
    found = []
    for values in (_json_ld_dates(block) for kind, block in json_ld if kind == "application/ld+json"):
        found += [c for v in values if (c := _timestamp_candidate(v, "json_ld", f"datePublished {v}"))]
    for meta in tree.xpath("//meta[@content]"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in PUBLISHED_META and (c := _timestamp_candidate(meta.get("content"), "meta", f"{key} {meta.get('content')}")):
            found.append(c)
    for item in tree.xpath('//*[@itemprop="datePublished"][not(self::meta)]'):
        value = item.get("datetime") or item.get("content") or item.text_content()
        if c := _timestamp_candidate(value, "microdata", f'itemprop="datePublished" {value.strip()}'):
            found.append(c)
    found += filter(None, map(_time_candidate, TIME_ELEMENTS(tree)[:3]))
    if c := labelled_date(text):
        found.append(c)
    if url and (m := URL_DATE.search(url)):
        year, *rest = (int(g) for g in m.groups() if g)
        try:
            found.append(Candidate(date(year, *rest), "url", m.group(0)))
        except ValueError:
            pass
    return found


def _parse(match: re.Match[str]) -> date | None:
    month = match.group("month")
    month_no = int(month) if month.isdigit() else MONTHS[month.lower()]
    try:
        return date(int(match.group("year")), month_no, int(match.group("day")))
    except ValueError:
        return None


def find_text_date(text: str) -> tuple[date, str, str] | None:
    """(date, method, evidence) from a dateline line, else the first full date in the text."""
    first: tuple[int, date, str] | None = None
    for line in text.splitlines():
        line = line.strip()
        for pattern in FULL_DATES:
            m = pattern.search(line)
            if not m or (found := _parse(m)) is None:
                continue
            if DATELINE.match(line).end() == m.start() and len(line) <= m.end() + 20:
                return found, "text_dateline", line
            position = text.find(line) + m.start()
            if first is None or position < first[0]:
                first = (position, found, line)
    return (first[1], "text_date", first[2]) if first else None


def text_candidates(doc: Document) -> list[Candidate]:
    """A scraped page's dateline or first full date; a date in an image caption the
    cleaner removed is named as such."""
    found = find_text_date(doc.page.text)
    if found is None:
        return []
    day, method, line = found
    captions = {text for reason, text in doc.furniture if reason == "caption"}
    return [Candidate(day, "caption" if method == "text_date" and line in captions else method, line)]


def dateline_candidate(doc: Document) -> Candidate | None:
    """The dateline heading an HTML article's text: the first of its opening paragraphs
    that holds a line that is its date or opens with its date."""
    for paragraph in doc.text.split("\n\n")[:DATELINE_PARAGRAPHS]:
        if (found := find_text_date(paragraph)) and found[1] == "text_dateline":
            return Candidate(found[0], "text_dateline", found[2])
        if (m := LEAD_DATE.match(paragraph)) and (day := read_date(m["date"])):
            return Candidate(day, "text_dateline", m.group(0))
    return None


def weekday_of(text: str) -> str | None:
    """The weekday an undated article's first paragraphs say it happened on."""
    head = "\n\n".join(text.split("\n\n")[:WEEKDAY_PARAGRAPHS])
    m = WEEKDAY.search(head)
    return m.group(1).capitalize() if m else None


def weekday_near(weekday: str, anchor: date, before_only: bool) -> date:
    """The `weekday` on or before `anchor` or, unless `before_only`, the nearest to it."""
    back = (anchor.weekday() - WEEKDAYS.index(weekday.lower())) % 7
    if before_only or back <= 3:
        return anchor - timedelta(days=back)
    return anchor + timedelta(days=7 - back)


def _refusal(c: Candidate, fetched: datetime | None, founded: int | None) -> str | None:
    if fetched is not None and c.day > (fetched + MAX_FUTURE).date():
        return "refused: after the fetch time"
    if c.day < EARLIEST:
        return f"refused: before {EARLIEST.year}"
    if founded is not None and c.day.year < founded:
        return f"refused: before the outlet existed ({founded})"
    return None


def listed_candidate(doc: Document) -> Candidate | None:
    """The publication time the feed or sitemap that listed the page gave (in UTC: the
    listing's own zone is not kept, so it never overrides the page's own date)."""
    when = doc.raw.listed_published
    if when is None:
        return None
    at = when.astimezone(timezone.utc)
    return Candidate(at.date(), "listed", f"{doc.raw.listed_by} {when.isoformat()}", at, 0)


def _preferred(usable: list[Candidate]) -> Candidate:
    """htmldate's date (first in `usable`), unless the page states another as its publication
    date in its own time zone (or without one) and does not show htmldate's between headline
    and text (drk.de's markup gave the evening before its press release's date), or in both
    its JSON-LD and its meta tags, or failing that in a visible label or a dateline heading
    its text. A time in UTC is not the day the site's readers saw; htmldate often reads that
    one. Where htmldate and the page's publication markup agree, a label or another
    publication time more than a day away is passed over; where the JSON-LD and meta tags
    agree against htmldate by more than a day, they win: in either case a time zone cannot
    explain the difference, and two sources agree. Last, against an htmldate date nothing
    confirms, the date shown between the headline and the text, or else the one day a
    page's `<time>` elements show (not in UTC), more than a day from it, is the day its
    readers are shown: htmldate read another date on the page (the header's date was the
    gold date on all 4 such pages of the two labelled sets, the `<time>` day on all 4)."""
    confirmed = _confirmed(usable[0], usable[1:])
    headed = usable[0].source == "htmldate" and any(c.source == "header" and c.day == usable[0].day for c in usable)
    own_zone = [c for c in usable if c.source in PUBLICATION_MARKUP and c.utc_offset != 0 and not headed
                and not (confirmed and abs((c.day - usable[0].day).days) > 1)]
    far = [c for c in usable if abs((c.day - usable[0].day).days) > 1]
    agreed = [c for c in far if c.source == "json_ld" and usable[0].source == "htmldate" and not confirmed
              and any(m.source == "meta" and m.day == c.day for m in far)]
    labels = [c for c in usable if c.source == "label" and not (confirmed and abs((c.day - usable[0].day).days) > 1)]
    datelines = [c for c in usable if c.source == "text_dateline"]
    unconfirmed = usable[0].source == "htmldate" and not confirmed
    headers = [c for c in far if c.source == "header" and unconfirmed]
    times = [c for c in usable if c.source == "time_element"]
    shown = [c for c in times if c in far and c.utc_offset != 0 and len(times) == 1 and unconfirmed]
    override = next(iter(own_zone + agreed + labels + datelines + headers + shown), None)
    if override is not None and (usable[0].source != "htmldate" or override.day != usable[0].day):
        return override
    return usable[0]


def _confirmed(found: Candidate, others: list[Candidate]) -> bool:
    """htmldate's date stated again by the page's JSON-LD or meta publication time."""
    return found.source == "htmldate" and any(c.source in ("json_ld", "meta") and c.day == found.day for c in others)


def htmldate_candidate(doc: Document) -> Candidate | None:
    """htmldate's date, read day first where it is a dotted date of the page's that htmldate
    read month first, and nothing else on the page states htmldate's day; refused where it
    is a year or a month alone (a copyright line's year, extract.coarse_date)."""
    if not doc.html_date:
        return None
    found = date.fromisoformat(doc.html_date)
    if doc.html_date_coarse:
        return Candidate(found, "htmldate", doc.html_date, status=COARSE)
    misread = next((shown for day, shown in doc.markup.month_first if day == found), None)
    if misread and not any(c.day == found for c in doc.markup.dates):
        return Candidate(date(found.year, found.day, found.month), "htmldate", f"{doc.html_date} read day first: {misread}")
    return Candidate(found, "htmldate", doc.html_date)


def choose(doc: Document, founded: int | None = None) -> tuple[Candidate | None, list[Candidate]]:
    """The chosen candidate (None when nothing dates the page) and every candidate, each
    with its status."""
    fetched = doc.raw.fetched_at
    if doc.page.is_html:
        stated = [*filter(None, [htmldate_candidate(doc)]), *doc.markup.dates, *filter(None, [dateline_candidate(doc)])]
    else:
        stated = text_candidates(doc)
    if (listed := listed_candidate(doc)) is not None:
        # Below what the page states; above a scraped page's first date found anywhere in its text.
        at = next((i for i, c in enumerate(stated) if c.source == "text_date"), len(stated))
        stated.insert(at, listed)
    distinct: dict[tuple[str, date], Candidate] = {}
    for c in stated:  # one per source and day: several meta tags often repeat one time
        distinct.setdefault((c.source, c.day), c)
    candidates = [replace(c, status=reason) if (reason := _refusal(c, fetched, founded)) else c
                  for c in distinct.values()]
    usable = [c for c in candidates if c.status == "candidate"]
    if not usable and fetched is not None:
        weekday = weekday_of(doc.text)
        if weekday:
            day = weekday_near(weekday, fetched.date(), before_only=True)
            usable = [Candidate(day, "weekday_fetch_time", f"{weekday}; fetched {fetched.date().isoformat()}")]
        else:
            usable = [Candidate(fetched.date(), "fetch_time", f"fetched {fetched.isoformat()} ({doc.raw.fetched_at_method})")]
        candidates += usable
    if not usable:
        return None, candidates
    picked = chosen = _preferred(usable)
    # A time for the chosen day: the first timestamp stated on that day, one in the page's
    # own zone before one in UTC (which many sites write whatever their zone).
    timed = min((c for c in usable if c.day == chosen.day and c.at is not None),
                key=lambda c: c.utc_offset == 0, default=None)
    if timed is not None and chosen.at is None:
        chosen = replace(chosen, at=timed.at, utc_offset=timed.utc_offset)
    candidates = [replace(c, status="chosen") if c is picked else c for c in candidates]
    return chosen, candidates


def confidence(chosen: Candidate, candidates: list[Candidate]) -> float:
    confirmed = _confirmed(chosen, [c for c in candidates if c.status != "chosen"])
    return CONFIDENCE["htmldate_confirmed" if confirmed else chosen.source]


def date_row(article_id: str, chosen: Candidate | None, candidates: list[Candidate]) -> dict:
    if chosen is None:
        return {"article_id": article_id, "published_date": None, "published_at": None, "published_utc_offset": None,
                "published_method": "none", "published_evidence": None, "published_confidence": None,
                "published_inferred": False}
    return {
        "article_id": article_id, "published_date": chosen.day, "published_at": chosen.at,
        "published_utc_offset": chosen.utc_offset, "published_method": chosen.source,
        "published_evidence": chosen.evidence, "published_confidence": confidence(chosen, candidates),
        "published_inferred": chosen.source in INFERRED,
    }


def candidate_rows(article_id: str, candidates: list[Candidate]) -> list[dict]:
    return [{"article_id": article_id, "candidate_date": c.day, "candidate_at": c.at, "utc_offset": c.utc_offset,
             "source": c.source, "evidence": c.evidence, "status": c.status} for c in candidates]


def tag_dates(docs: list[Document], founded: dict[str, int | None] | None = None) -> tuple[list[dict], list[dict]]:
    """The `article_dates` rows (one per document) and the `date_candidates` rows.
    `founded`: the year each article's outlet was founded, where the registry knows it."""
    dates, candidates = [], []
    for doc in docs:
        chosen, found = choose(doc, (founded or {}).get(doc.article_id))
        dates.append(date_row(doc.article_id, chosen, found))
        candidates += candidate_rows(doc.article_id, found)
    return dates, candidates


def redate_from_story(row: dict, text: str, stated: list[date], fetched: datetime | None = None,
                      founded: int | None = None) -> tuple[dict, Candidate] | None:
    """An article dated by no more than a weekday (and the fetch time), re-dated to that
    weekday nearest the story's stated date closest to its fetch (the earliest, without
    one): its new `article_dates` row and candidate, or None when nothing changes or the
    day would be refused (after the fetch, before the outlet)."""
    weekday = weekday_of(text)
    if row["published_method"] not in REDATABLE or not weekday or not stated:
        return None
    anchor = min(stated, key=lambda d: (abs((fetched.date() - d).days), d)) if fetched else min(stated)
    chosen = Candidate(weekday_near(weekday, anchor, before_only=False), "weekday_story",
                       f"{weekday}; story dated {anchor.isoformat()}", status="chosen")
    if _refusal(chosen, fetched, founded):
        return None
    return date_row(row["article_id"], chosen, [chosen]), chosen
