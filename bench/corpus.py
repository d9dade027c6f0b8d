"""The benchmark's pages: the real labelled pages of ../shared/eval/pages, then varied
copies of them up to the size asked for. A copy must cost what a new article costs, so
it must not be a duplicate: its canonical URL gets a query, and in its visible text one
pair of neighbouring words in three is swapped, at random positions per copy. Its
shingles then differ from every other copy's (near-duplicate similarity near 0), while
its markup, its words, its names and its language stay those of a real page."""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

from lxml import etree, html

from pipeline.decode import decode_bytes

WORD = re.compile(r"\w+")
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
SKIP = {"script", "style", "noscript", "template"}


def swap_words(text: str, rng: random.Random) -> str:
    spans = [m.span() for m in WORD.finditer(text)]
    words = [text[a:b] for a, b in spans]
    i = 0
    while i < len(words) - 1:
        if rng.random() < 1 / 3:
            words[i], words[i + 1] = words[i + 1], words[i]
            i += 2
        else:
            i += 1
    out, last = [], 0
    for (a, b), word in zip(spans, words):
        out += [text[last:a], word]
        last = b
    return "".join(out) + text[last:]


def vary(page: bytes, copy: int, seed: str) -> bytes:
    """Copy number `copy` (>= 1) of a page, read as a run reads it, written in UTF-8."""
    rng = random.Random(f"{seed}/{copy}")
    decoded = decode_bytes(page)
    if decoded is None:
        return page
    doc = html.document_fromstring(XML_DECLARATION.sub("", decoded[0], count=1))
    for el in doc.xpath("//meta[@charset] | //meta[translate(@http-equiv, 'CONTENT-YP', 'content-yp') = 'content-type']"):
        el.getparent().remove(el)
    head = doc.find("head")
    if head is not None:
        head.insert(0, etree.Element("meta", charset="utf-8"))
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue  # comments, processing instructions
        try:
            if el.tag not in SKIP and el.text:
                el.text = swap_words(el.text, rng)
            if el.tail:
                el.tail = swap_words(el.tail, rng)
        except ValueError:  # a control character lxml read but will not write back: left as it was
            continue
    for el in doc.xpath("//link[@rel='canonical'][@href] | //meta[@property='og:url'][@content]"):
        attribute = "href" if el.tag == "link" else "content"
        el.set(attribute, f"{el.get(attribute)}{'&' if '?' in el.get(attribute) else '?'}copy={copy}")
    return html.tostring(doc, encoding="utf-8", doctype=doc.getroottree().docinfo.doctype or "<!DOCTYPE html>")


def build_corpus(pages: Path, folder: Path, size: int) -> list[Path]:
    """`size` pages in `folder` (gzipped, as the originals): the originals first, then
    copy 1 of each, copy 2, ... Built once per size and kept for later benchmarks."""
    done = folder.with_name(f"{folder.name}.complete-{size}")  # beside it: a run would reject it
    if done.exists():
        return sorted(folder.glob("*.html.gz"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.html.gz"):
        old.unlink()
    originals = sorted(pages.glob("*.html.gz"))
    written = []
    for n in range(size):
        source = originals[n % len(originals)]
        copy = n // len(originals)
        page = gzip.decompress(source.read_bytes())
        if copy:
            page = vary(page, copy, source.name)
        target = folder / f"{copy:03d}-{source.name}"
        target.write_bytes(gzip.compress(page, compresslevel=1))
        written.append(target)
    done.touch()
    return sorted(written)
