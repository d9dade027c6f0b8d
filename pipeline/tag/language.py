"""Language of the clean text: langdetect, made deterministic, `und` when too short to tell."""

from __future__ import annotations

import re

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from pipeline.records import Document

# langdetect samples at random; its own documented way to make results repeatable
# is a fixed seed on the (global) factory.
DetectorFactory.seed = 0
LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


def detect_language(text: str, min_chars: int) -> tuple[str, float | None, str]:
    if len(LETTERS.findall(text)) < min_chars:
        return "und", None, "too_short"
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return "und", None, "too_short"
    return best.lang, round(best.prob, 4), "langdetect"


def tag_language(docs: list[Document], min_chars: int) -> list[dict]:
    rows = []
    for doc in docs:
        language, probability, method = detect_language(doc.text, min_chars)
        rows.append({"article_id": doc.article_id, "language": language,
                     "language_probability": probability, "language_method": method})
    return rows
