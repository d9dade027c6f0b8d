"""What each compared system outputs for one eval page or a batch of sentences.

Ours goes through exactly the functions a run calls (decode_page, extract_page,
tag_dates, detect_language); the bare libraries are called the way the upstream
evaluations call them. Every function here is top-level so a worker process can run it.
"""

from __future__ import annotations

import gzip
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import htmldate
import trafilatura
import trafilatura.json_metadata
import trafilatura.metadata
from htmldate.utils import decode_file
from langdetect import DetectorFactory, detect
from langdetect.lang_detect_exception import LangDetectException

from pipeline import authors
from pipeline.authors import author_names
from pipeline.decode import decode_page
from pipeline.extract import extract_page
from pipeline.records import RawPage, Reject
from pipeline.tag.dates import tag_dates
from pipeline.tag.language import detect_language

# The bare langdetect baseline is seeded like ours, so the two differ only by our `und` rule.
DetectorFactory.seed = 0


def read_page(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


@dataclass(frozen=True)
class PipelineOutput:
    text: str = ""
    title: str | None = None
    authors: tuple[str, ...] = ()
    sitename: str | None = None
    published_date: str | None = None
    published_method: str | None = None
    published_confidence: float | None = None
    extract_method: str | None = None
    rejected: str | None = None  # "stage: reason" when the pipeline rejected the page


def run_pipeline(path: Path, url: str | None, fast: bool = False) -> PipelineOutput:
    """`fast`: as a run with --fast-extraction."""
    raw = RawPage(source_ref=str(path), content=read_page(path), url=url)
    page = decode_page(raw)
    doc = page if isinstance(page, Reject) else extract_page(page, fast)
    if isinstance(doc, Reject):
        return PipelineOutput(rejected=f"{doc.stage}: {doc.reason}")
    dated = tag_dates([doc])[0][0]
    published = dated["published_date"]
    return PipelineOutput(
        text=doc.text, title=doc.title, authors=tuple(author_names(doc.authors, doc.sitename)), sitename=doc.sitename,
        published_date=published.isoformat() if published else None, extract_method=doc.extract_method,
        published_method=dated["published_method"], published_confidence=dated["published_confidence"],
    )


def bare_body(path: Path, **options) -> str | None:
    """trafilatura.extract on the page as text (UTF-8 first, then charset detection)."""
    return trafilatura.extract(decode_file(read_page(path)), **options)


def bare_segments_text(path: Path) -> str | None:
    """trafilatura's own evaluation settings; it is given the bytes and decodes them itself."""
    return trafilatura.extract(read_page(path), include_comments=False, include_tables=True, include_formatting=False)


@dataclass(frozen=True)
class BareMetadata:
    title: str | None
    author: str | None
    sitename: str | None


@contextmanager
def trafilaturas_author_names():
    """trafilatura's author normalisation, which importing pipeline.extract replaced
    (pipeline/authors.py), back for the bare baseline."""
    trafilatura.json_metadata.normalize_authors = trafilatura.metadata.normalize_authors = authors.TRAFILATURAS_OWN
    try:
        yield
    finally:
        authors.install()


def bare_metadata(path: Path, url: str | None) -> BareMetadata:
    with trafilaturas_author_names():
        result = trafilatura.bare_extraction(read_page(path), url=url, with_metadata=True)
    if result is None:
        return BareMetadata(None, None, None)
    return BareMetadata(result.title, result.author, result.sitename)


def bare_date(path: Path) -> str | None:
    """htmldate's evaluation call: no URL, the page decoded UTF-8 first, then by charset detection."""
    return htmldate.find_date(decode_file(read_page(path)), original_date=True, extensive_search=True)


def language_labels(sentences: tuple[str, ...], min_words: int) -> list[tuple[str, str | None]]:
    """(ours, bare langdetect) per sentence; bare is None where langdetect finds no features."""
    labels = []
    for sentence in sentences:
        try:
            bare = detect(sentence)
        except LangDetectException:
            bare = None
        labels.append((detect_language(sentence, min_words)[0], bare))
    return labels
