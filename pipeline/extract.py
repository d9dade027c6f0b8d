"""Decoded page -> article text and metadata: trafilatura for HTML, the text cleaner for scraped text."""

from __future__ import annotations

import trafilatura

from pipeline.clean import clean_text
from pipeline.identity import article_id, canonical_url, content_hash
from pipeline.records import Document, Page, Reject

MIN_WORDS = 5
# Passed to htmldate through trafilatura: the original (not the last-modified) date, with
# the extensive search that scores best on the labelled dates (see MANIFEST.md anchors).
DATE_PARAMS = {"original_date": True, "extensive_search": True}


def _html_document(page: Page) -> Document | None:
    result = trafilatura.bare_extraction(
        page.text, url=page.raw.url, with_metadata=True, include_comments=False,
        date_extraction_params=DATE_PARAMS,
    )
    if result is None or not result.text:
        return None
    text = result.text
    first, _, rest = text.partition("\n")
    if result.title and first.strip() == result.title.strip():
        text = rest.lstrip("\n")  # the headline is stored as the title, not repeated in the text
    text = "\n\n".join(p.strip() for p in text.split("\n") if p.strip())
    url = page.raw.url or result.url
    canonical = canonical_url(result.url or page.raw.url)
    digest = content_hash(text)
    authors = [a.strip() for a in (result.author or "").split(";") if a.strip()]
    return Document(
        article_id=article_id(canonical, digest), page=page, canonical_url=canonical,
        title=result.title, authors=authors, sitename=result.sitename,
        description=result.description, text=text, content_hash=digest,
        extract_method="trafilatura", url=url, html_date=result.date,
    )


def _text_document(page: Page) -> Document:
    cleaned = clean_text(page.text)
    canonical = canonical_url(page.raw.url)
    digest = content_hash(cleaned.text)
    return Document(
        article_id=article_id(canonical, digest), page=page, canonical_url=canonical,
        title=cleaned.title, authors=[], sitename=None, description=None, text=cleaned.text,
        content_hash=digest, extract_method="text_cleaner", url=page.raw.url,
        furniture=cleaned.furniture,
    )


def extract_page(page: Page) -> Document | Reject:
    doc = _html_document(page) if page.is_html else _text_document(page)
    if doc is None or doc.word_count < MIN_WORDS:
        return Reject(page.raw.source_ref, page.raw_hash, "extract", "no_text",
                      f"no article text found ({'HTML' if page.is_html else 'plain text'} page; "
                      f"fewer than {MIN_WORDS} words after removing furniture)")
    return doc
