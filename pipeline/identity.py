"""What makes two pages the same: canonical URLs, normalised-text hashes, article ids."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from courlan import normalize_url

WORDS = re.compile(r"\w+")


def canonical_url(url: str | None) -> str | None:
    """courlan's normalisation: lower-cased host, default port and tracking parameters
    dropped, parameters sorted; and no fragment. Not courlan's strict mode, which drops
    every parameter outside a short list and so makes `view?idxno=1` and `view?idxno=2`
    one article."""
    if not url:
        return None
    try:
        return normalize_url(urlsplit(url.strip())._replace(fragment=""))
    except ValueError:
        return None


def content_hash(text: str) -> str:
    """Hash of the text's words in lower case, so white space and punctuation edits do not count."""
    return hashlib.sha256(" ".join(WORDS.findall(text.lower())).encode()).hexdigest()


def article_id(canonical: str | None, text_hash: str) -> str:
    key = f"url:{canonical}" if canonical else f"text:{text_hash}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]
