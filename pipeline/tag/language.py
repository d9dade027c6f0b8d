"""Language of the clean text: langdetect, made deterministic, `und` when too short to tell."""

from __future__ import annotations

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from pipeline.records import WORD, Document

# langdetect samples at random; its own documented way to make results repeatable
# is a fixed seed on the (global) factory.
DetectorFactory.seed = 0


def detect_language(text: str, min_words: int) -> tuple[str, float | None, str]:
    """`und` below `min_words` words that are not just digits (a Chinese or Japanese
    character is a word). Words, not letters: a letter count misses the vowel signs of
    Indic scripts and made short CJK sentences `und` where langdetect is right
    (make eval: accuracy 0.789 with a 40-letter threshold)."""
    if sum(1 for word in WORD.findall(text) if not word.isdigit()) < min_words:
        return "und", None, "too_short"
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return "und", None, "too_short"
    return best.lang, round(best.prob, 4), "langdetect"


def tag_language(docs: list[Document], min_words: int) -> list[dict]:
    rows = []
    for doc in docs:
        language, probability, method = detect_language(doc.text, min_words)
        rows.append({"article_id": doc.article_id, "language": language,
                     "language_probability": probability, "language_method": method})
    return rows
