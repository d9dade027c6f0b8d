"""Wire service and content source of each article, with the evidence for each.

The wire service comes only from where a wire service claims the copy (`wire_method`):
- `dateline`: "MOSCOW (AP) —", "Hamburg (dpa/lno) –", "(EFE).-", "МОСКВА, 29 июня. /ТАСС/.";
- `byline`: an author or byline line naming the agency ("By Jane Doe, Associated Press",
  "Par AFP", "Von: det/dpa", "Le Monde with AFP", an author "Reuters");
- `credit`: a copyright or source line for the text ("© Thomson Reuters 2020", "Quelle: dpa-AFX");
- `sign_off`: the agency's code closing the text ("... he said. PTI", "(KNA, DR)");
- `markup`: the page's byline or credit markup (JSON-LD author, meta author, byline elements);
- `site_name`: the page declares the agency as its site name on another outlet's domain;
- `publisher`: the publisher is itself the agency (a Reuters story on reuters.com).
A photo credit ("Jane Roe / AP", "© dpa | Kay Nietfeld", "AP Photo/..."), a mention
("according to a Reuters tally", "told The Associated Press"), a contributing agency and
a list of several agencies are no claim.

The content source is the outlet, not a wire service, whose copy the publisher carries:
named in a dateline ("(CNN) —", "KVELLER via JTA —"), as the author ("The Washington
Post"), in a copyright line ("Copyright 2021 NPR") or in a note ("This article originally
appeared on ..."); never the publisher itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from lxml.html import HtmlElement


from pipeline.records import Document
from pipeline.tag.dateline import find_wire_dateline
from pipeline.tag.registry import Outlet, Registry, registered_domain

Claim = tuple[str | None, str, str | None]  # (name, method, evidence)
NO_CLAIM: Claim = (None, "none", None)


# --- patterns over the registry's names ------------------------------------------------------

NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
PHOTO = re.compile(r"\b(?:photos?|fotos?|fotó|images?|imagen|bild(?:er)?|pictures?|getty|video|graphics?|"
                   r"illustrations?|caption|zdjęci\w*)\b", re.I)
# A photographer's name after a credit's agency: "© dpa | Kay Nietfeld", "© AFP / JEFF PACHOUD".
PERSON = re.compile(r"^[A-ZÀ-Þ][\w'’.-]*(?:\s+[A-ZÀ-Þ][\w'’.-]*){1,3}$")
SOURCE_LABEL = r"(?:quelle|source|sources|fuente|fonte|źródło|bron|källa|kilde|lähde|zdroj|forrás)"
BYLINE_PREFIX = re.compile(r"^(?:by|par|por|von|di|door|av|text)\b\s*:?\s*", re.I)
# A byline block's date or time ends its names: "PTI | July 9, 2020", "Reuters, Washington, Nov 20 2019".
BYLINE_END = re.compile(r"\s*(?:[|·•]|\b(?:published|updated|posted|last updated|mis à jour|publié|aktualisiert|"
                        r"actualizado|modified)\b|\d).*$", re.I | re.S)
BYLINE_PARTS = re.compile(r"\s*(?:[,;&/+]|\s(?:and|und|et|y|with|mit|avec|con|e)\s)\s*", re.I)
ORIGINALLY = re.compile(
    r"\b(?:originally|first)\s+(?:appeared|published|ran|aired)\s+(?:on|in|at|by)\s+(?:the\s+)?|"
    r"\b(?:was|is)\s+(?:originally\s+)?(?:produced|published|reported)\s+by\s+(?:the\s+)?|"
    r"\berschien\s+(?:zuerst|ursprünglich)\s+(?:in|bei|auf)\s+(?:der|dem|den)?\s*", re.I)
SOURCE_NAME = re.compile(r"[A-Z][\w'’&.-]*(?:\s+(?:[A-Z][\w'’&.-]*|of|for|the|and))*")


def _alternation(names) -> str:
    return "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))


@dataclass(frozen=True)
class NamePatterns:
    """The registry's names as the regular expressions the claims are read with."""

    text_byline: re.Pattern[str]
    copyright: re.Pattern[str]
    sign_off: re.Pattern[str]
    short_codes: frozenset[str]  # casefolded codes of five letters or fewer: matched only as a whole part
    any_copyright: re.Pattern[str]  # every outlet's names, anywhere in the line (content sources)


@lru_cache(maxsize=8)
def name_patterns(outlets: tuple[Outlet, ...]) -> NamePatterns:
    wires = [o for o in outlets if o.wire]
    names = _alternation(n for o in wires for n in o.names)
    codes = _alternation(c for o in wires for c in o.wire)
    bound = r"(?![\w-])"
    return NamePatterns(
        text_byline=re.compile(
            rf"^(?:By|BY|Par|PAR|Por|POR|Von|VON|Door)\s*:?\s+"
            rf"(?:{NAME}(?:\s+(?:and|und|et|y)\s+{NAME})?(?:,|\s+of|\s+for|\s+de|\s+für)?\s+"  # By Jane Doe of
            rf"|(?:[a-zäöü]{{2,5}}/)+)?"  # Von: red/dpa
            rf"(?:The\s+)?(?P<name>{names}){bound}\.?\s*$"),
        copyright=re.compile(
            rf"^(?:copyright\s*(?:©|\(c\))?|©|\(c\))\s*(?:\d{{4}}\s+)?(?:The\s+)?"
            rf"(?P<name>{names}){bound}(?P<rest>.*)$", re.I | re.S),
        sign_off=re.compile(
            rf"(?:(?:^|[.!?»”\"')]\s+)(?:(?:[a-z]{{2,5}}|[A-Z]{{2,5}})/)*(?P<code>{codes})(?:/[a-z]{{2,4}})*\s*$"
            rf"|\((?P<paren>{codes})(?P<extra>\s*[,/;]\s*[^()]{{1,20}}|\s+[\d./]+)?\)\s*$)"),
        short_codes=frozenset(c.casefold() for o in wires for c in o.wire if len(c) <= 5),
        any_copyright=re.compile(
            rf"(?:©|\(c\)|copyright)\s*(?:©|\(c\))?\s*(?:\d{{4}}\s+)?(?:The\s+)?"
            rf"(?P<name>{_alternation(n for o in outlets for n in o.names)}){bound}", re.I),
    )


def _wire(registry: Registry, text: str | None) -> Outlet | None:
    outlet = registry.named(text)
    return outlet if outlet and outlet.is_wire_service else None


def _all_names(registry: Registry) -> tuple[str, ...]:
    return tuple(n for o in registry.outlets for n in o.names)


# --- the page's markup ------------------------------------------------------------------------

MEDIA_TYPES = {"imageobject", "videoobject", "mediaobject", "audioobject", "photograph"}
AUTHOR_META = {"author", "article:author", "og:article:author", "dc.creator", "dcterms.creator", "byl",
               "parsely-author", "sailthru.author", "bt:author", "cxenseparse:author"}
# Searched in lowercased attributes, not with re.I: a case-insensitive search of these
# alternatives took 6 µs a string, lowercasing and searching 1 (1.2 ms a page).
BYLINE_ATTR = re.compile(r"byline|author|autor|auteur|firma|signature|source|agency|agentur|agencia|credit|copyright")
# Where a byline or credit belongs to a picture, a teaser or the site's furniture, not the article.
NOT_ARTICLE_ATTR = re.compile(
    r"(?:^|[\s_-])(?:photo\w*|image\w*|img|caption|figure|media|video|gallery|slider?|teaser\w*|related|"
    r"recommend\w*|sidebar|widget|popular|trending|latest|comments?|footer|nav\w*|menu|share|social|newsletter|"
    r"promo\w*|cards?|avatar)(?:$|[\s_-])", re.I)
NOT_ARTICLE_TAGS = {"figure", "figcaption", "picture", "aside", "nav", "footer", "img"}
AUTHOR_LINK = re.compile(r"/(?:authors?|autor(?:en)?|auteurs?|agency|agencia|byline)/", re.I)
MAX_MARKUP_LINE = 150
SOURCE_LINK = re.compile(r"\b(?:original-source|syndication-source)\b", re.I)


def _jsonld_authors(node) -> Iterator[str]:
    """Authors and creators of the JSON-LD objects, but a picture's or a video's."""
    if isinstance(node, list):
        for item in node:
            yield from _jsonld_authors(item)
        return
    if not isinstance(node, dict):
        return
    types = node.get("@type", [])
    types = {t.casefold() for t in ([types] if isinstance(types, str) else types) if isinstance(t, str)}
    if types & MEDIA_TYPES:
        return
    for key in ("author", "creator"):
        for author in node.get(key) if isinstance(node.get(key), list) else [node.get(key)]:
            if isinstance(author, str):
                yield author
            elif isinstance(author, dict) and isinstance(author.get("name"), str):
                yield author["name"]
    yield from _jsonld_authors(node.get("@graph", []))


def _in_article(element) -> bool:
    for e in (element, *element.iterancestors()):
        if not isinstance(e.tag, str):
            continue
        if e.tag in NOT_ARTICLE_TAGS:
            return False
        if NOT_ARTICLE_ATTR.search(" ".join(e.get(a, "") for a in ("class", "id"))):
            return False
    return True


def markup_lines(tree: HtmlElement, json_ld: list[tuple[str, object]]) -> list[str]:
    """The texts of the page's byline and credit markup: JSON-LD (its parsed blocks,
    markup.json_ld) and meta authors, byline, author, source and copyright elements, links
    to author pages. Those of pictures, teasers and site furniture are left out."""
    lines: list[str] = []
    for _, block in json_ld:
        lines += _jsonld_authors(block)
    for meta in tree.iter("meta"):
        key = (meta.get("name") or meta.get("property") or "").casefold()
        content = (meta.get("content") or "").strip()
        if key in AUTHOR_META and content and "://" not in content:
            lines.append(content)
    for element in tree.xpath("//body//*[@class or @id or @itemprop or @rel or @href]"):
        get = element.get  # this loop sees most of a page's elements: kept to one regex search each
        is_marked = BYLINE_ATTR.search(f"{get('class', '')} {get('id', '')} {get('itemprop', '')} {get('rel', '')}".lower())
        is_author_link = element.tag == "a" and (get("rel") == "author" or AUTHOR_LINK.search(get("href", "")))
        if not (is_marked or is_author_link) or not _in_article(element):
            continue
        text = " ".join(" ".join(element.itertext()).split())
        if text and len(text) <= MAX_MARKUP_LINE:
            lines.append(text)
    return lines


def markup_source_links(tree: HtmlElement) -> list[str]:
    """The URLs a page's markup names as the story's original (`<meta name="original-source">`,
    `<link rel="syndication-source">`)."""
    links = []
    for element in tree.iter("meta", "link"):
        names = " ".join(element.get(a, "") for a in ("name", "property", "rel", "itemprop"))
        if SOURCE_LINK.search(names) and (url := (element.get("content") or element.get("href") or "").strip()):
            links.append(url)
    return links


def original_url(doc: Document) -> str | None:
    """The original article's URL when the page's markup names one on another domain."""
    own = registered_domain(doc.url or doc.canonical_url)
    return next((url for url in doc.markup.source_links if (domain := registered_domain(url)) and domain != own), None)


# --- wire service ---------------------------------------------------------------------------

def byline_wire(text: str, registry: Registry) -> Outlet | None:
    """The wire service a byline block or an author names: "Reuters", "By Jane Doe, The
    Associated Press", "Par AFP publié le", "Le Monde with AFP", "det/dpa", "PTI Mumbai",
    "AP Sports Writer"; None for a photo credit or for several agencies."""
    text = " ".join(text.split())
    if not text or len(text) > MAX_MARKUP_LINE or PHOTO.search(text):
        return None
    names = BYLINE_END.sub("", BYLINE_PREFIX.sub("", text))
    patterns = name_patterns(registry.outlets)
    found: set[Outlet] = set()
    for part in filter(None, BYLINE_PARTS.split(names)):
        words = part.split()
        for i in range(len(words)):
            # a long name anywhere after the person's names: "ERIC TUCKER Associated Press"
            tail = " ".join(words[i:])
            if (o := _wire(registry, tail)) and (i == 0 or tail.casefold() not in patterns.short_codes):
                found.add(o)
                break
        else:
            # a short code and a place or desk: "PTI Mumbai", "AP Sports Writer"
            if len(words) <= 3 and (o := _wire(registry, words[0])) and all(w[:1].isupper() for w in words[1:]):
                found.add(o)
    return found.pop() if len(found) == 1 else None


def _wires_in(text: str, registry: Registry) -> set[Outlet]:
    """The wire services named by the words, or pairs of words, of `text`."""
    words = re.findall(r"[\w-]+", text)
    phrases = [*words, *(" ".join(pair) for pair in zip(words, words[1:]))]
    return {o for p in phrases if (o := _wire(registry, p))}


def credit_wire(line: str, registry: Registry) -> tuple[Outlet, str] | None:
    """The wire service a copyright or source line gives the text to, with the evidence:
    "© Thomson Reuters 2020", "© dpa-infocom, dpa:...", "Quelle: dpa-AFX", "Źródło: PAP";
    None for a photo credit ("© dpa | Kay Nietfeld") or a line naming several agencies."""
    line = " ".join(line.split())
    if PHOTO.search(line):
        return None
    patterns = name_patterns(registry.outlets)
    if m := patterns.copyright.match(line):
        rest = re.sub(r"\ball rights reserved\b.*", "", m.group("rest"), flags=re.I | re.S).strip(" .,;|/")
        first = re.split(r"\s*[|/,]\s*", rest)[0] if rest else ""
        wire = _wire(registry, m.group("name"))
        if wire and not PERSON.match(first) and not _wires_in(rest, registry) - {wire}:
            return wire, m.group(0)[: m.end("name")].strip()
    if m := re.match(rf"^{SOURCE_LABEL}\s*:\s*(?P<names>.+)$", line, re.I):
        parts = [p for p in BYLINE_PARTS.split(m.group("names").strip(" .")) if p]
        wires = {o for p in parts if (o := _wire(registry, p))}
        rest = [p for p in parts if not _wire(registry, p)]
        if len(wires) == 1 and all(re.fullmatch(r"[a-z]{1,4}", p) for p in rest):
            return wires.pop(), line
    return None


def sign_off_wire(paragraph: str, registry: Registry, last: bool = True) -> tuple[Outlet, str] | None:
    """The agency's code closing a paragraph: "... he said. PTI", "FMW/Bloomberg", "(KNA, DR)".
    A bare "(PA)" closes the text's `last` paragraph only: elsewhere it is more often an
    abbreviation ("the Palestinian Authority (PA)")."""
    m = name_patterns(registry.outlets).sign_off.search(paragraph.strip())
    if not m or (m.group("paren") and not m.group("extra") and not last):
        return None
    code = m.group("code") or m.group("paren")
    wire = next((o for o in registry.wire_services if code in o.wire), None)
    return (wire, "..." + paragraph.strip()[-60:].lstrip()) if wire else None


def find_wire_service(doc: Document, registry: Registry, outlet: str | None = None) -> Claim:
    """(wire service, method, evidence): the first claim found, in the order of the module's
    docstring. `outlet` is the publisher, when find_outlet has already named it."""
    wire_names = tuple(n for o in registry.wire_services for n in o.names)
    dateline = find_wire_dateline(doc.text, wire_names)
    if dateline and (wire := _wire(registry, dateline.agency)):
        return wire.name, "dateline", dateline.text

    paragraphs = [p.strip() for p in doc.text.split("\n\n") if p.strip()]
    patterns = name_patterns(registry.outlets)
    for author in doc.authors:
        if wire := byline_wire(author, registry):
            return wire.name, "byline", author
    for paragraph in paragraphs[:3]:
        if (m := patterns.text_byline.match(paragraph)) and (wire := _wire(registry, m.group("name"))):
            return wire.name, "byline", m.group(0).strip()

    credit_lines = [line for reason, line in doc.furniture if reason == "credit"]
    for line in [*credit_lines, *paragraphs[-4:]]:
        if found := credit_wire(line, registry):
            return found[0].name, "credit", found[1]
    closing = paragraphs[-4:]
    for i, paragraph in enumerate(closing):
        if found := sign_off_wire(paragraph, registry, last=i == len(closing) - 1):
            return found[0].name, "sign_off", found[1]

    found_in_markup: dict[str, str] = {}
    for line in doc.markup.bylines:
        wire = byline_wire(line, registry) or (credit[0] if (credit := credit_wire(line, registry)) else None)
        if wire:
            found_in_markup.setdefault(wire.name, line)
    if len(found_in_markup) == 1:  # several agencies in the markup: a listing, not a claim
        name, line = found_in_markup.popitem()
        return name, "markup", line

    if (wire := _wire(registry, doc.sitename)) and wire.name != outlet:
        return wire.name, "site_name", doc.sitename
    if (publisher := _wire(registry, outlet)) is not None:
        return publisher.name, "publisher", outlet
    return NO_CLAIM


# --- content source ---------------------------------------------------------------------------

def _squash(text: str) -> str:
    return re.sub(r"\W", "", text.casefold())


def is_same_outlet(name: str, doc: Document, outlet: str | None) -> bool:
    """Whether `name` is the publisher itself: its name, site name or domain."""
    key = _squash(name)
    domain = registered_domain(doc.canonical_url or doc.url)
    own = {_squash(x) for x in (outlet, doc.sitename, domain.split(".")[0] if domain else None) if x}
    return any(len(key) >= 3 and len(o) >= 3 and (key in o or o in key) for o in own)


def _source_name(text: str, registry: Registry) -> str | None:
    """The outlet named at the start of `text`: a registry name, else its capitalised words."""
    m = SOURCE_NAME.match(text)
    if not m:
        return None
    words = m.group(0).rstrip(".").split()
    while words and words[-1] in {"of", "for", "the", "and"}:
        words.pop()
    for n in range(len(words), 0, -1):
        if known := registry.named(" ".join(words[:n])):
            return known.name
    return " ".join(words) or None


def _as_outlet_name(text: str, registry: Registry) -> str:
    known = registry.named(text)
    return known.name if known else (text.title() if text.isupper() else text)


def find_content_source(doc: Document, registry: Registry, outlet: str | None) -> Claim:
    """(outlet whose copy this is, method, evidence) when it is not a wire service and not
    the publisher: methods `dateline`, `byline`, `credit`, `note`, `original_url`, `none`."""
    def other(name: str | None) -> bool:
        known = registry.named(name)
        return bool(name) and not (known and known.is_wire_service) and not is_same_outlet(name, doc, outlet)

    dateline = find_wire_dateline(doc.text, _all_names(registry))
    if dateline and dateline.source and other(dateline.source):
        return _as_outlet_name(dateline.source, registry), "dateline", dateline.text
    if dateline and (known := registry.named(dateline.agency)) and other(known.name):
        return known.name, "dateline", dateline.text
    for author in doc.authors:
        if (known := registry.named(BYLINE_PREFIX.sub("", author))) and other(known.name):
            return known.name, "byline", author

    paragraphs = [p.strip() for p in doc.text.split("\n\n") if p.strip()]
    credit_lines = [line for reason, line in doc.furniture if reason == "credit"]
    copyright = name_patterns(registry.outlets).any_copyright
    for line in [*credit_lines, *paragraphs[-4:]]:
        if (m := copyright.search(line)) and (known := registry.named(m.group("name"))) and other(known.name):
            return known.name, "credit", m.group(0).strip()
    for paragraph in [*paragraphs[:2], *paragraphs[-4:]]:
        if (m := ORIGINALLY.search(paragraph)) and (name := _source_name(paragraph[m.end():], registry)) \
                and other(name):
            return name, "note", paragraph[max(0, m.start() - 40): m.end() + len(name)].strip()
    if (url := original_url(doc)) and (known := registry.by_domain.get(registered_domain(url) or "")) \
            and other(known.name):
        return known.name, "original_url", url
    return NO_CLAIM
