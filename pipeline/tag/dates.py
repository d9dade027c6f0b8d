"""Publication date with where it was found.

HTML pages: htmldate (through trafilatura) over the page's metadata and markup.
Scraped text has no metadata left, so its date comes from a dateline or, failing
that, the first full date in the page (captions included: "Thursday, Dec. 23, 2021").
A date after the fetch time is refused; the fetch time itself is never used.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from pipeline.records import Document

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
)
# "Updated March 3, 2024" / "Published: 3 March 2024" at the start of a line.
DATELINE = re.compile(r"^(?:published|posted|updated|last updated)?:?\s*", re.I)
MAX_FUTURE = timedelta(days=1)


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


def publication_date(doc: Document) -> tuple[date | None, str, str | None]:
    fetched: datetime | None = doc.raw.fetched_at
    if doc.html_date:
        candidate = (date.fromisoformat(doc.html_date), "htmldate", doc.html_date)
    else:
        candidate = find_text_date(doc.page.text) if not doc.page.is_html else None
    if candidate is None:
        return None, "none", None
    found, method, evidence = candidate
    if fetched is not None and found > (fetched + MAX_FUTURE).date():
        return None, "none", f"refused {found.isoformat()}: after the fetch time ({evidence})"
    return found, method, evidence


def tag_dates(docs: list[Document]) -> list[dict]:
    rows = []
    for doc in docs:
        published, method, evidence = publication_date(doc)
        rows.append({"article_id": doc.article_id, "published_date": published,
                     "published_method": method, "published_evidence": evidence})
    return rows
