"""News datelines: "MOSCOW (AP) — ..." opens an article with its place and, for wire
copy, the agency. Read by the wire-service tagger, and skipped by the entity tagger
(a capitalised place there is no organisation)."""

from __future__ import annotations

import re
from dataclasses import dataclass

DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’-]*(?:[ ,]+[A-Z][A-Za-z.'’-]*){0,4}?)\s*"
    r"(?:\((?P<agency>[^()\n]{1,40})\))?\s*[—–-]{1,2}\s+"
)


@dataclass(frozen=True)
class Dateline:
    place: str
    agency: str | None
    text: str
    end: int


def find_dateline(text: str) -> Dateline | None:
    m = DATELINE.match(text.lstrip())
    if not m or not m.group("place").split(",")[0].replace(" ", "").replace(".", "").isupper():
        return None
    offset = len(text) - len(text.lstrip())
    return Dateline(m.group("place").strip(" ,"), m.group("agency"), m.group(0).strip(), offset + m.end())
