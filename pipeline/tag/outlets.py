"""Publisher, wire service and content source of each article, with the evidence for each.

The publisher (`outlet`) comes, in order, from the source's manifest, the URL's domain in
the registry, the page's declared site name, a registry marker in the page's own
furniture, or the bare domain (methods `manifest`, `url_domain`, `sitename`,
`page_marker`, `domain`, `none`). An unknown domain's outlet takes the page's site name
when the page declares a usable one. A run then spells it as the domain's other articles
do, or names a page that names only its domain by them (`known_name`:
pipeline/outlet_names.py).

The wire service and the content source are found in pipeline/tag/wire.py. `is_syndicated`
says that the copy is a wire service's or another outlet's.
"""

from __future__ import annotations

import re

from pipeline.records import Document
from pipeline.tag.registry import Registry, letters, registered_domain
from pipeline.tag.wire import NO_CLAIM, Claim, find_content_source, find_wire_service, original_url


# --- publisher --------------------------------------------------------------------------------

# Between a site's name and its tagline: "Boston News, Weather, Sports | WHDH 7News",
# "Au Webポータル|最新のニュースをお届け！" (a bar needs no spaces, nor does a full-width one).
SITE_NAME_PARTS = re.compile(r"\s*[|｜]+\s*|\s+[–—·•]+\s+|\s+-\s+|:\s+")
TAGLINE_WORDS = 4
# A copyright line, which sites declare as their publisher ("Copyright © 2001-2009").
COPYRIGHT = re.compile(r"©|\(c\)|\bcopyright\b|\ball rights reserved\b", re.I)
# A company's legal form after its name ("Agora SA", "OnlineMarketing.de GmbH"): the
# company that owns the site, which is the outlet only where its domain spells the name.
LEGAL_FORM = re.compile(
    r"[\s,]+(?:g?GmbH(?:\s*&\s*Co\.?\s*KG)?|AG|KG|SE|S\.?A\.?|S\.?L\.?|S\.?p\.?A\.?|S\.?r\.?l\.?|B\.?V\.?"
    r"|N\.?V\.?|A/S|AB|Oy|plc|PLC|Ltd\.?|Limited|LLC|L\.?L\.?C\.?|Inc\.?|Corp\.?|Corporation)$")


def site_name_of(sitename: str, domain: str | None) -> str | None:
    """The outlet's name in a declared site name, without a tagline: of its parts, the one
    its domain spells ("WHDH 7News" of whdh.com) or abbreviates, else the first; None for a
    tagline alone, a name of four words or more whose domain holds none of its words and
    not its initials ("Expert how-to for English Riders" on practicalhorsemanmag.com, but
    "South China Morning Post" on scmp.com). Without a domain, the name as declared."""
    if not domain:
        return sitename
    label = letters(domain.split(".")[0])
    parts = [p for p in SITE_NAME_PARTS.split(sitename) if letters(p)] or [sitename]
    spelt = [p for p in parts if names_domain(p, domain)]
    name = (spelt or parts)[0].strip()
    words = re.findall(r"[^\W\d_]{3,}", name.casefold())
    if not spelt and len(name.split()) >= TAGLINE_WORDS and not any(w in label for w in words):
        return None
    return name


# How German names are spelt in domains: "rhein-neckar-loewen.de" for "Rhein-Neckar Löwen".
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _spells(domain: str, name: str) -> bool:
    """The domain's first label holds the name's letters, or they hold it."""
    label = letters(domain.split(".")[0])
    return any(written in label or label in written
               for written in {letters(name), letters(name.casefold().translate(UMLAUTS))})


def names_domain(name: str, domain: str) -> bool:
    """The domain spells the name or its initials ("Times Union" of timesunion.com, "NZZ"
    of "Neue Zürcher Zeitung" on nzz.ch)."""
    return _spells(domain, name) or bool(i := _initials(name)) and i in letters(domain.split(".")[0])


def _initials(name: str) -> str:
    """The initials of a name's capitalised words ("SCMP" of "South China Morning Post",
    "RFERL" of "Radio Free Europe/Radio Liberty"), lower case; "" for fewer than two."""
    initials = "".join(w[0] for w in re.findall(r"[^\W\d_]+", name) if w[0].isupper() and w != "The").casefold()
    return initials if len(initials) >= 2 else ""


def usable_site_name(sitename: str | None, title: str | None = None, domain: str | None = None) -> str | None:
    """The declared site name, unless it is a URL, a social-media handle, a date, a
    copyright line, a company's legal name its domain does not spell (the site's owner)
    or the article's own title, as pages often declare instead; without a tagline
    (site_name_of) or a legal form."""
    name = " ".join((sitename or "").split())
    if not name or "://" in name or name.casefold().startswith(("www.", "http")) or "@" in name or COPYRIGHT.search(name):
        return None
    if company := LEGAL_FORM.search(name):
        name = name[:company.start()]
        if not (domain and _spells(domain, name)):
            return None
    if not re.search(r"[^\W\d_]", name) or re.search(r"\d{1,2}\.\s*\d{1,2}\.\s*\d{2,4}|\d{1,2}\.\s*-", name):
        return None
    if title and len(name.split()) > 3 and name in title:
        return None
    name = site_name_of(name, domain)
    if not name or len(name) > 60 or len(name.split()) > 8:
        return None
    return name


def find_outlet(doc: Document, registry: Registry) -> Claim:
    """(publisher, method, evidence); the methods are in the module's docstring."""
    if doc.raw.outlet:
        return doc.raw.outlet, "manifest", doc.raw.outlet
    domain = registered_domain(doc.canonical_url or doc.url)
    if domain and domain in registry.by_domain:
        return registry.by_domain[domain].name, "url_domain", domain
    if sitename := usable_site_name(doc.sitename, doc.title, domain):
        known = registry.named(sitename)
        # A wire service named as the site of another outlet's domain is the copy's source.
        if not (known and known.is_wire_service and domain and domain not in known.domains):
            return (known.name if known else sitename), "sitename", sitename
    furniture = "\n".join(line for _, line in doc.furniture).lower()
    for outlet in registry.outlets:
        for marker in outlet.markers:
            if marker.lower() in furniture:
                return outlet.name, "page_marker", marker
    if domain:
        return domain, "domain", domain
    return NO_CLAIM


def tag_outlets(docs: list[Document], registry: Registry) -> list[dict]:
    rows = []
    for doc in docs:
        outlet, outlet_method, outlet_evidence = find_outlet(doc, registry)
        wire, wire_method, wire_evidence = find_wire_service(doc, registry, outlet)
        source, source_method, source_evidence = find_content_source(doc, registry, outlet)
        rows.append({
            "article_id": doc.article_id, "outlet": outlet, "outlet_method": outlet_method,
            "outlet_evidence": outlet_evidence, "wire_service": wire, "wire_method": wire_method,
            "wire_evidence": wire_evidence,
            "is_syndicated": bool(source) or (wire is not None and wire != outlet),
            "content_source": source, "content_source_method": source_method,
            "content_source_evidence": source_evidence, "original_url": original_url(doc),
        })
    return rows
