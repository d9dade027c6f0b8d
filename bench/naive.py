"""The naive baseline `make bench` measures our run against: what a hand-rolled script
does, in one process, one page at a time, with the bare libraries and their defaults:
trafilatura, htmldate, langdetect, spaCy's whole pipeline, then one pyarrow write."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import htmldate
import langdetect
import pyarrow as pa
import pyarrow.parquet as pq
import spacy
import trafilatura

from pipeline.tag.entities import FALLBACK_MODELS


def load_spacy(name: str = "en_core_web_sm") -> spacy.Language:
    try:
        return spacy.load(name)
    except OSError:
        return spacy.load(FALLBACK_MODELS[name])


def naive_run(pages: list[Path], out: Path) -> float:
    """Seconds to turn `pages` into one Parquet file of text, date, language and entities."""
    nlp = load_spacy()
    langdetect.DetectorFactory.seed = 0
    start = time.perf_counter()
    rows = []
    for path in pages:
        page = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        markup = page.decode("utf-8", errors="replace")
        text = trafilatura.extract(markup) or ""
        published = htmldate.find_date(markup, original_date=True, extensive_search=True)
        try:
            language = langdetect.detect(text) if text else None
        except langdetect.LangDetectException:
            language = None
        entities = [(e.text, e.label_) for e in nlp(text).ents] if text else []
        rows.append({"file": path.name, "text": text, "published": published, "language": language,
                     "entities": [f"{name}\t{label}" for name, label in entities]})
    pq.write_table(pa.Table.from_pylist(rows), out)
    return time.perf_counter() - start
