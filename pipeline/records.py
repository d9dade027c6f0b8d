"""The typed records that pass between stages within a shard."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import cached_property
from itertools import islice

# A word is a run of letters or digits, except in Chinese and Japanese, written without
# spaces, where each character counts as one word (as word processors count them).
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(rf"[{CJK}]|[^\W{CJK}]+")


# spaCy's mentions in one line of a text, by the line (pipeline/tag/entities.py: line_key):
# (name, type, start, end), within the line.
ParsedLines = dict[str, list[tuple[str, str, int, int]]]


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def has_words(text: str, n: int, counted: Callable[[str], bool] = bool) -> bool:
    """Whether `text` has at least `n` words (of those `counted`), read only as far as the
    n-th: stages ask this of long texts, whose words took 0.24 ms an article to count."""
    words = filter(counted, (m.group() for m in WORD.finditer(text)))
    return n <= 0 or next(islice(words, n - 1, None), None) is not None


@dataclass(frozen=True)
class RawPage:
    """A page as a source yields it: bytes plus what the source knows about it."""

    source_ref: str
    content: bytes
    url: str | None = None
    fetched_at: datetime | None = None
    fetched_at_method: str | None = None
    outlet: str | None = None
    http_status: int | None = None
    headers: dict[str, str] | None = None
    # The publication time the feed or sitemap that listed the page gave, and which it was.
    listed_published: datetime | None = None
    listed_by: str | None = None

    def __post_init__(self) -> None:
        # In UTC (a time without a zone taken as UTC), as the archive stores them and a
        # reprocess reads them back: a page's tags (the fetch day, the listing's evidence)
        # are then the same from a run and from a reprocess.
        for name in ("fetched_at", "listed_published"):
            if (value := getattr(self, name)) is not None:
                utc = value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)
                object.__setattr__(self, name, utc)


@dataclass(frozen=True)
class Reject:
    source_ref: str
    raw_hash: str | None
    stage: str
    reason: str
    detail: str


@dataclass(frozen=True)
class Page:
    """A decoded page."""

    raw: RawPage
    raw_hash: str
    text: str
    is_html: bool
    encoding: str

    def shed(self) -> Page:
        """The page as the taggers need it once extracted: without its bytes, and an HTML
        page without its HTML, which `Document.markup` has read. A worker process hands
        documents back and on to the taggers pickled; with the page whole, that was three
        times its size (321 KB a page) and a few ms of pickling a page in each process."""
        return replace(self, raw=replace(self.raw, content=b""), text="" if self.is_html else self.text)


@dataclass(frozen=True)
class Candidate:
    """A publication date a page or its listing states, or one inferred (pipeline/tag/dates.py)."""

    day: date
    source: str
    evidence: str
    at: datetime | None = None  # UTC, when the source gives a time
    utc_offset: int | None = None  # minutes, as the source wrote it
    status: str = "candidate"  # chosen, candidate, or why it was refused


@dataclass(frozen=True)
class PageMarkup:
    """What the taggers read in an HTML page's markup (pipeline/tag/markup.py), taken
    while extraction has the page parsed, so that a page is parsed once: the publication
    dates it states, the days htmldate may misread from its dotted dates (with the date as
    written), the texts of its byline and credit elements, the language it declares
    (code, where), and the URLs it names as the story's original source."""

    dates: tuple[Candidate, ...] = ()
    month_first: tuple[tuple[date, str], ...] = ()
    bylines: tuple[str, ...] = ()
    declared_language: tuple[str, str] | None = None
    source_links: tuple[str, ...] = ()


@dataclass
class Document:
    """An extracted article, before and after the taggers read it.

    `page` (the decoded page, shed of its bytes and HTML: `Page.shed`), `markup` (what its
    markup states) and `furniture` (the stripped lines, with their reasons) are kept for
    the taggers, which find dates, outlets and wire services in them; they are not stored.
    `entity_lines` is the entity tagger's parse of the text's lines, where a document kept
    by its job (pipeline/extracted.py) was tagged before: only other lines are parsed again.
    """

    article_id: str
    page: Page
    canonical_url: str | None
    title: str | None
    authors: list[str]  # the bylines as found; `documents.authors` keeps their names (authors.author_names)
    sitename: str | None
    description: str | None
    text: str
    content_hash: str
    extract_method: str
    url: str | None = None
    html_date: str | None = None
    # htmldate's date is a year or a month alone, given as its first day (extract.coarse_date).
    html_date_coarse: bool = False
    furniture: list[tuple[str, str]] = field(default_factory=list)
    markup: PageMarkup = PageMarkup()
    entity_lines: ParsedLines = field(default_factory=dict)

    @property
    def raw(self) -> RawPage:
        return self.page.raw

    @cached_property
    def word_count(self) -> int:
        # Counted once, in the worker that extracted the document, and pickled with it to the
        # run's process (its __dict__); a document with other text is a new one (`replace`).
        return count_words(self.text)
