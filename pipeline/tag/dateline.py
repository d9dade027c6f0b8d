"""News datelines: "MOSCOW (AP) — ..." opens an article with its place and, for wire
copy, the agency. Read by the wire-service tagger, and skipped by the entity tagger
(a capitalised place there is no organisation).

Without a list of agencies only the plain form is read: an upper-case place, the agency
in brackets or none, a dash. Given the agencies' codes, the looser forms wire copy takes
are read as well, when the bracket names one of them:
    Frankfurt/Main (dpa) -          a place in title case, a regional service after a slash
    Bruselas, 7 oct (EFE).-         a place and a date
    (Reuters) —                     no place
    МОСКВА, 29 июня. /ТАСС/.        the agency between slashes
    MOSCOW (UrduPoint News / Sputnik - 29th April, 2020) It is...   no dash after an upper-case place
    KVELLER via JTA —               another outlet's story that came through the agency
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection

UPPER = "A-ZÀ-ÖØ-ÞА-ЯЁ"
DASH = r"[—–-]{1,2}"

DATELINE = re.compile(
    rf"^(?P<place>[{UPPER}][{UPPER}.'’-]*(?:[ ,]+[{UPPER}][\w.'’-]*){{0,4}}?)\s*"
    r"(?:\((?P<agency>[^()\n]{1,40})\))?\s*" + DASH + r"\s+"
)
# The looser forms, read only when the agency is a known one.
WIRE_DATELINE = re.compile(
    rf"^(?:(?P<place>[{UPPER}][\w.'’-]*(?:[ /,]+[{UPPER}][\w.'’-]*){{0,4}}?)"
    r"(?P<date>,\s*(?:\d{1,2}\.?\s+[^\W\d_]{3,9}|[^\W\d_]{3,9}\.?\s+\d{1,2})\.?)?\s*)?"
    r"(?:\((?P<agency>[^()\n]{1,60})\)|/(?P<slashed>[^/\n]{2,20})/)"
    r"(?P<end>\s*[.:]?\s*" + DASH + r"|\s*:|\.)?\s*"
)
VIA_DATELINE = re.compile(
    rf"^(?P<source>[{UPPER}][\w.'’&-]*(?:\s+[{UPPER}][\w.'’&-]*){{0,4}})\s+via\s+"
    rf"(?P<agency>[\w.-]{{2,20}})\s*{DASH}\s*"
)
# "UrduPoint News / Sputnik - 29th April, 2020", "dpa/lno": the agency is one of the parts.
AGENCY_PARTS = re.compile(r"\s*(?:[/,;]|\s-\s)\s*")


@dataclass(frozen=True)
class Dateline:
    place: str
    agency: str | None
    text: str
    end: int
    source: str | None = None  # "KVELLER via JTA —": the outlet whose story the agency carried


def _known_part(agency: str, agencies: set[str]) -> str | None:
    return next((part for part in AGENCY_PARTS.split(agency.strip()) if part.casefold() in agencies), None)


def _is_upper(place: str) -> bool:
    first = place.split(",")[0].replace(" ", "").replace(".", "").replace("-", "")
    return first.isupper()


def _wire_dateline(text: str, agencies: set[str]) -> Dateline | None:
    if m := VIA_DATELINE.match(text):
        if m.group("agency").casefold() in agencies:
            return Dateline("", m.group("agency"), m.group(0).strip(), m.end(), m.group("source"))
    m = WIRE_DATELINE.match(text)
    if not m:
        return None
    agency = _known_part(m.group("agency") or m.group("slashed"), agencies)
    place = (m.group("place") or "").strip(" ,")
    if agency is None:
        return None
    # Without a dash after the bracket only an upper-case place, or slashes, make a dateline.
    if not m.group("end") and not m.group("slashed") and not (place and _is_upper(place)):
        return None
    return Dateline(place, agency, m.group(0).strip(), m.end())


def find_dateline(text: str, agencies: Collection[str] = ()) -> Dateline | None:
    """The dateline opening `text`; with `agencies` (codes, any case) its wire forms too."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    known = {a.casefold() for a in agencies}
    if known and (found := _wire_dateline(stripped, known)):
        return Dateline(found.place, found.agency, found.text, offset + found.end, found.source)
    m = DATELINE.match(stripped)
    if not m or not _is_upper(m.group("place")):
        return None
    return Dateline(m.group("place").strip(" ,"), m.group("agency"), m.group(0).strip(), offset + m.end())


def find_wire_dateline(text: str, agencies: Collection[str], paragraphs: int = 5) -> Dateline | None:
    """The first of the opening `paragraphs` that starts with a dateline naming one of
    `agencies`: a standfirst, a caption or a date line may come before it. Menu lines and
    labels (fewer than four words) do not count."""
    known = {a.casefold() for a in agencies}
    offset = counted = 0
    for paragraph in text.split("\n\n"):
        found = find_dateline(paragraph, known)
        if found and found.agency and found.agency.casefold() in known:
            return Dateline(found.place, found.agency, found.text, offset + found.end, found.source)
        offset += len(paragraph) + 2
        counted += len(paragraph.split()) >= 4
        if counted >= paragraphs:
            return None
    return None
