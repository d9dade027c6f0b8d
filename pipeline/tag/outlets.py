"""Publisher and wire service of each article, with the evidence for each.

The publisher comes, in order, from the source's manifest, the URL's domain in the
registry, the page's declared site name, a registry marker in the page's own
furniture, or the bare domain. The wire service comes only from where a wire
service claims the copy: a dateline ("MOSCOW (AP) —"), a byline ("By ... Associated
Press") or a credit line ("Copyright 2021 The Associated Press"); a photo credit
("Name / AP") or a mention ("according to a Reuters tally") is not a claim.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from courlan import get_base_url
from tld import get_fld

from pipeline.records import Document
from pipeline.tag.dateline import find_dateline


@dataclass(frozen=True)
class Outlet:
    name: str
    kind: str = ""
    country: str = ""
    language: str = ""
    parent: str = ""
    domains: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    wire: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Registry:
    outlets: tuple[Outlet, ...]
    by_domain: dict[str, Outlet] = field(default_factory=dict)

    @property
    def wire_services(self) -> tuple[Outlet, ...]:
        return tuple(o for o in self.outlets if o.wire)


@lru_cache(maxsize=8)
def load_registry(path: Path) -> Registry:
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    outlets = tuple(
        Outlet(**{k: tuple(v) if isinstance(v, list) else v for k, v in entry.items()})
        for entry in raw.get("outlet", [])
    )
    return Registry(outlets, {d: o for o in outlets for d in o.domains})


def registered_domain(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return get_fld(get_base_url(url), fail_silently=True)
    except ValueError:
        return None


NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"


def _wire_patterns(registry: Registry) -> list[tuple[str, str, re.Pattern[str]]]:
    patterns = []
    for o in registry.wire_services:
        names = "|".join(re.escape(n) for n in (*o.wire, *o.aliases))
        patterns += [
            # "By Jane Doe, Associated Press", "By Jane Doe and John Roe of Reuters": names, then the agency.
            (o.name, "byline", re.compile(
                rf"^By\s+{NAME}(?:\s+and\s+{NAME})?(?:,|\s+of|\s+for)?\s+(?:The\s+)?(?:{names})\s*$")),
            (o.name, "credit", re.compile(
                rf"^(?:copyright\s*(?:©|\(c\))?|©|\(c\))\s*\d{{4}}\s+(?:{names})\b", re.I)),
        ]
    return patterns


def find_wire_service(doc: Document, registry: Registry) -> tuple[str | None, str, str | None]:
    dateline = find_dateline(doc.text)
    if dateline and dateline.agency:
        agency = dateline.agency.strip()
        for o in registry.wire_services:
            if agency in o.wire or agency in o.aliases:
                return o.name, "dateline", dateline.text
    paragraphs = [p.strip() for p in doc.text.split("\n\n")]
    credit_lines = [line for reason, line in doc.furniture if reason == "credit"]
    lines = [*paragraphs[:3], *doc.authors, *paragraphs[-3:], *credit_lines]
    for name, method, pattern in _wire_patterns(registry):
        for line in lines:
            if m := pattern.search(line):
                return name, method, m.group(0).strip()
    return None, "none", None


def find_outlet(doc: Document, registry: Registry) -> tuple[str | None, str, str | None]:
    if doc.raw.outlet:
        return doc.raw.outlet, "manifest", doc.raw.outlet
    domain = registered_domain(doc.canonical_url or doc.url)
    if domain and domain in registry.by_domain:
        return registry.by_domain[domain].name, "url_domain", domain
    if doc.sitename:
        known = next((o for o in registry.outlets if doc.sitename.lower() in
                      {o.name.lower(), *(a.lower() for a in o.aliases)}), None)
        return (known.name if known else doc.sitename), "sitename", doc.sitename
    furniture = "\n".join(line for _, line in doc.furniture).lower()
    for outlet in registry.outlets:
        for marker in outlet.markers:
            if marker.lower() in furniture:
                return outlet.name, "page_marker", marker
    if domain:
        return domain, "domain", domain
    return None, "none", None


def tag_outlets(docs: list[Document], registry: Registry) -> list[dict]:
    rows = []
    for doc in docs:
        outlet, outlet_method, outlet_evidence = find_outlet(doc, registry)
        wire, wire_method, wire_evidence = find_wire_service(doc, registry)
        rows.append({
            "article_id": doc.article_id, "outlet": outlet, "outlet_method": outlet_method,
            "outlet_evidence": outlet_evidence, "wire_service": wire, "wire_method": wire_method,
            "wire_evidence": wire_evidence,
        })
    return rows
