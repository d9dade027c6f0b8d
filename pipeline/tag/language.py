"""Language of the clean text: langdetect, made deterministic, `und` when too short to
tell; and, beside it, the language the page declares, which is often a site-wide default."""

from __future__ import annotations

import re

from langdetect.lang_detect_exception import LangDetectException
from lxml.html import HtmlElement

from pipeline.records import Document, has_words
from pipeline.tag.detector import detect_langs

# langdetect reads up to 10,000 characters, at a cost that grows with them; the opening
# 3,000 tell an article's language as well (no change on the eval set's 968 articles,
# 7.0 -> 4.9 ms an article).
LANGUAGE_CHARS = 3000
# Scripts that only one of langdetect's languages is written in (Hangul, kana, Thai, Greek,
# Hebrew, Bengali, Gurmukhi, Gujarati, Tamil, Telugu, Kannada, Malayalam): a word or two of
# them tells the language; a short Latin, Cyrillic, Arabic or Devanagari text does not.
ONE_LANGUAGE_SCRIPT = re.compile(
    "[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f\u3040-\u30ff\u0e00-\u0e7f\u0370-\u03ff\u1f00-\u1fff"
    "\u0590-\u05ff\u0980-\u0aff\u0b80-\u0d7f]")


# Scripts none of langdetect's 55 languages is written in, each written in one language
# (Georgian, Armenian, Khmer, Lao, Sinhala): langdetect reads a Georgian page as Estonian
# with probability 1.0, from the Latin letters around it. A text mostly in one of them is
# in its language; one mostly in a script of several such languages (Ethiopic, Tibetan,
# Myanmar) is `und`.
SCRIPT_LANGUAGES = [(re.compile(f"[{chars}]"), language) for chars, language in (
    ("\u10a0-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f", "ka"), ("\u0530-\u058f", "hy"), ("\u1780-\u17ff", "km"),
    ("\u0e80-\u0eff", "lo"), ("\u0d80-\u0dff", "si"), ("\u1200-\u139f\u0f00-\u0fff\u1000-\u109f", "und"),
)]


ANY_SUCH_SCRIPT = re.compile("|".join(script.pattern for script, _ in SCRIPT_LANGUAGES))


def script_language(text: str) -> str | None:
    """The language of a text most of whose letters are in a script langdetect knows no
    language of ("und" where the script is several languages'), else None. A text with no
    letter of them, nearly every one, is passed over in one search (0.4 ms an article less)."""
    if not ANY_SUCH_SCRIPT.search(text):
        return None
    letters = sum(c.isalpha() for c in text)
    return next((language for script, language in SCRIPT_LANGUAGES if 2 * len(script.findall(text)) > letters), None)


def detect_language(text: str, min_words: int) -> tuple[str, float | None, str]:
    """`und` below `min_words` words that are not just digits (a Chinese or Japanese
    character is a word), unless most of its letters are of a script only one language
    is written in. Words, not letters: a letter count misses the vowel signs of Indic
    scripts and made short CJK sentences `und` where langdetect is right (make eval:
    accuracy 0.789 with a 40-letter threshold)."""
    by_script = script_language(text[:LANGUAGE_CHARS])
    if not has_words(text, min_words, _not_digits) and not (
            has_words(text, 1, _not_digits) and (by_script not in (None, "und") or _one_language_script(text))):
        return "und", None, "too_short"
    if by_script:
        return by_script, None, "script"
    try:
        best = detect_langs(text[:LANGUAGE_CHARS])[0]
    except LangDetectException:
        return "und", None, "too_short"
    return best.lang, round(best.prob, 4), "langdetect"


def _not_digits(word: str) -> bool:
    return not word.isdigit()


def _one_language_script(text: str) -> bool:
    return 2 * len(ONE_LANGUAGE_SCRIPT.findall(text)) > sum(c.isalpha() for c in text)


HEAD_CHARS = 20_000
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
HTML_TAG_LANG = re.compile(r"<html\b[^>]*?(?<![\w:-])(?:xml:)?lang\s*=\s*[\"']?([^\"'\s>]+)", re.I)
LANGUAGE_CODE = re.compile(r"\s*([A-Za-z]{2,3})(?![A-Za-z])")  # "de" of "de-DE", "en" of "en_US"


def markup_language(tree: HtmlElement, html: str) -> tuple[str, str] | None:
    """(ISO code, where) of the language a page's markup declares, in the order trusted:
    `<html lang>`, `<meta http-equiv="content-language">`, `og:locale`."""
    root = tree.getroottree().getroot()
    found = {"html_lang": _code(root.get("lang") or root.get("xml:lang") or _html_tag_lang(html))}
    for meta in tree.iter("meta"):
        if (meta.get("http-equiv") or "").strip().casefold() == "content-language":
            found["meta_content_language"] = found.get("meta_content_language") or _code(meta.get("content"))
        elif (meta.get("property") or "").strip().casefold() == "og:locale":
            found["og_locale"] = found.get("og_locale") or _code(meta.get("content"))
    return next(((found[s], s) for s in ("html_lang", "meta_content_language", "og_locale") if found.get(s)), None)


def _code(value: str | None) -> str | None:
    return m.group(1).lower() if (m := LANGUAGE_CODE.match(value or "")) else None


def _html_tag_lang(html: str) -> str | None:
    """The `lang` of the page's `<html>` tag, read from the page where the parsed root has
    none: the parser drops the attributes of an `<html>` tag that follows a script or
    style. Tags in comments are not the page's (`<!--[if IE 8]><html lang="en"><![endif]-->`
    on a German page)."""
    head = HTML_COMMENT.sub("", html[:HEAD_CHARS])
    m = HTML_TAG_LANG.search(head)
    return m.group(1) if m else None


def declared_language(doc: Document) -> tuple[str | None, str | None]:
    """(ISO code, where it was declared), from the page's markup or its Content-Language header."""
    if doc.markup.declared_language:
        return doc.markup.declared_language
    header = next((v for k, v in (doc.raw.headers or {}).items() if k.lower() == "content-language"), None)
    if header and (m := LANGUAGE_CODE.match(header)):
        return m.group(1).lower(), "http_header"
    return None, None


def tag_language(docs: list[Document], min_words: int) -> list[dict]:
    rows = []
    for doc in docs:
        language, probability, method = detect_language(doc.text, min_words)
        declared, declared_source = declared_language(doc)
        rows.append({"article_id": doc.article_id, "language": language,
                     "language_probability": probability, "language_method": method,
                     "declared_language": declared, "declared_language_source": declared_source})
    return rows
