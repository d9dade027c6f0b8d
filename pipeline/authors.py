"""Author names as the page writes them, and the names in the bylines found.

trafilatura's readers (meta tags, JSON-LD, byline markup) pass each author string through
its normalize_authors, which cuts it into names and takes out what is no name (a URL, an
e-mail address, a handle, a lead-in, a date and what follows it). It also rewrites the
names: a dot or underscore becomes a space ("Marwan H Adwan", "Herr Rein"), everything from
the first digit goes ("Bo2man" became "Bo", "r23" "r"), and a name in lower case is
title-cased, a user name too ("Karstenruppert"). Those are not the author's name as the page
writes it, and trafilatura has no option to keep it, so its function is replaced here by one
that takes out the same things with its own patterns and rewrites only a name of several
words in lower case: "giampiero maggio" and the URL slug "christian.stadtfeld" are
"Giampiero Maggio" and "Christian Stadtfeld". On the eval set's 329 pages with an author
(make eval) exact matches went from 164 to 188, and no author right before is wrong.
"""

from __future__ import annotations

import re
from html import unescape

import trafilatura.json_metadata as trafilatura_json
import trafilatura.metadata as trafilatura_metadata
from trafilatura.utils import HTML_STRIP_TAGS, trim

# A number standing alone ends the name: "Jörn Mecher 12.03.2021", not "Bo2man".
FROM_NUMBER = re.compile(r"(?:^|\s)\d.*$")
# A name that ends with an initial keeps its dot ("Joe S."), which trafilatura's removal of
# trailing punctuation takes.
INITIAL_END = re.compile(r"\b\w\.$")
# Words in lower case joined as a URL's path joins them.
SLUG = re.compile(r"^[a-z]+(?:[._][a-z]+)+$")
# trafilatura's own, for the bare baseline that make eval compares with (bench/systems.py).
TRAFILATURAS_OWN = trafilatura_json.normalize_authors


def as_written(current: str | None, author_string: str) -> str | None:
    """trafilatura's normalize_authors (trafilatura/json_metadata.py), the names kept as written:
    `current` ("A; B") with the names in `author_string` added."""
    if author_string.lower().startswith("http") or trafilatura_json.AUTHOR_EMAIL.match(author_string):
        return current
    names = current.split("; ") if current is not None else []
    if "\\u" in author_string:
        try:
            author_string = author_string.encode().decode("unicode_escape")
        except UnicodeDecodeError:
            pass
    if "&#" in author_string or "&amp;" in author_string:
        author_string = unescape(author_string)
    for name in trafilatura_json.AUTHOR_SPLIT.split(HTML_STRIP_TAGS.sub("", author_string)):
        name = trafilatura_json.AUTHOR_EMOJI_REMOVE.sub("", trim(name))
        name = trafilatura_json.AUTHOR_REMOVE_NICKNAME.sub("", trim(trafilatura_json.AUTHOR_TWITTER.sub("", name)))
        name = trafilatura_json.AUTHOR_PREFIX.sub("", name)
        # What follows a preposition before the number goes first: "lupa am 12.03.2021" is "lupa".
        name = FROM_NUMBER.sub("", trafilatura_json.AUTHOR_REMOVE_PREPOSITION.sub("", name))
        initial = INITIAL_END.search(name)
        name = trim(trafilatura_json.AUTHOR_REMOVE_SPECIAL.sub("", name)) + ("." if initial else "")
        if SLUG.match(name):
            name = " ".join(re.split(r"[._]", name))
        if name.islower() and " " in name:  # a name of one word in lower case is a user name
            name = name.title()
        if not name or (len(name) >= 50 and " " not in name and "-" not in name):
            continue
        if name not in names:
            names.append(name)
    names = [n for n in names if not any(n != m and n in m for m in names)]  # the fullest form of each
    return "; ".join(names) if names else current


def install() -> None:
    """as_written in normalize_authors' place, in each trafilatura module that calls it."""
    trafilatura_json.normalize_authors = trafilatura_metadata.normalize_authors = as_written


# What bylines put around a name, which trafilatura's author reader keeps: a lead-in ("View
# all posts by", "Por", "Artikel von"), the day it ran ("Malcolm Owen Monday"), a job
# ("AP Sports Writer", "CNN Editor-at-large") or no name at all ("Name", "Admin", "Follow").
AUTHOR_LEAD = re.compile(
    r"^(?:(?:view all posts|all posts|more|analysis|opinion|commentary|written|reviewed|edited|text|story|reporting"
    r"|words)\s+by|by|von|par|por|door|autor(?:in)?|author|artikel von|beitrag von|ein beitrag von|interview)\s*:?\s+",
    re.I)
# A weekday after the name; not a month, which is a surname too ("Theresa May").
AUTHOR_DAY = re.compile(r"(?:\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))+$", re.I)
NO_AUTHOR = re.compile(
    r"\b(?:writer|editor|editor-at-large|staff|correspondent|reporter|contributor|columnist|producer|newsdesk|desk"
    r"|https?|www)\b|^(?:name|admin|administrator|wordpressadmin|follow|author|user|guest|human|jobs|hire"
    r"|january|february|march|april|may|june|july|august|september|october|november|december)$", re.I)


def author_names(bylines: list[str], sitename: str | None) -> list[str]:
    """The names in the bylines trafilatura's author reader found, without what bylines put
    around them, and without the site's own name, which is no author ("Rob Picheta; CNN").
    The bylines as found stay with the document: the wire tagger reads "AP Sports Writer"."""
    site = re.sub(r"\W", "", (sitename or "").casefold())
    names = []
    for byline in bylines:
        name = AUTHOR_DAY.sub("", AUTHOR_LEAD.sub("", byline))
        if name and not NO_AUTHOR.search(name) and re.sub(r"\W", "", name.casefold()) != site:
            names.append(name)
    return names
