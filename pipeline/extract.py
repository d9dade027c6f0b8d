"""Decoded page -> article text and metadata: trafilatura for HTML, the text cleaner for scraped text.

HTML goes through trafilatura's precision mode first; a page where that finds too little
falls back to trafilatura's default mode, its recall mode, then its baseline extractor, and
`extract_method` says which one gave the text. Three things trafilatura has no option for
are done here: the title is the page's headline (h1) where the <title> wraps it in the site's
name; the standfirst, which trafilatura often leaves out, is put back from the page's
description; short furniture paragraphs that survive extraction (see-also links, sign-up
boxes, ad labels, credits) are taken out and kept in `furniture` with their reason, as the
text cleaner does. What the taggers read in the markup is read here, from the same parse
(pipeline/tag/markup.py).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date

import trafilatura
import trafilatura.metadata as trafilatura_metadata
import trafilatura.utils
from htmldate import find_date
from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HTMLParser, HtmlProcessingInstruction
from trafilatura.settings import Document as TrafilaturaResult

from pipeline import authors, xpath_rules
from pipeline.clean import FOLLOW_PROMO, clean_text
from pipeline.identity import article_id, canonical_url, content_hash
from pipeline.records import Document, Page, Reject, has_words
from pipeline.tag.dates import header_attribute, header_candidate, visible_text
from pipeline.tag.markup import read_markup
from pipeline.tag.registry import letters, registered_domain

MIN_WORDS = 5
# Passed to htmldate: the original (not the last-modified) date, with
# the extensive search that scores best on the labelled dates (see MANIFEST.md anchors).
DATE_PARAMS = {"original_date": True, "extensive_search": True}
# How far before and after a year coarse_date looks for the day it may be part of.
SHOWN_DAY_BEFORE_YEAR, SHOWN_DAY_AFTER_YEAR = 60, 12
# Most precise first: precision mode scores best on the labelled data, but it skips the
# rescues trafilatura's default mode runs when an extraction is short.
PASSES = (
    ("trafilatura_precision", {"favor_precision": True}),
    ("trafilatura", {}),
    ("trafilatura_recall", {"favor_recall": True}),
)
# An extraction shorter than this found too little: about the 250 characters of English
# below which trafilatura starts its own rescues (MIN_EXTRACTED_SIZE), counted in words so
# that a Chinese or Japanese article, three times denser, is not judged short.
MIN_TEXT_WORDS = 40
# Elements no extractor keeps: readability, jusText (through trafilatura's cleaning) and the
# baseline drop scripts, styles and inline SVG, and the metadata and markup readers are done
# with the tree by then. Taken out once before extraction, which would otherwise scan them
# in each of its XPath passes: about 1 ms a page of 17 on make bench's pages, for the same
# text on 2,471 eval and bench pages. JSON scripts stay: the baseline reads JSON-LD bodies.
INERT = etree.XPath('//script[not(contains(@type, "json"))]|//style|//svg')
# trafilatura parses with lxml.html's parser, whose element classes are chosen by a Python
# method (form fields get classes of their own), called each time a pass touches an
# element: about 5,000 calls and 1.5 ms a page on make bench's pages. Neither trafilatura nor
# this code uses the form classes, so its parser gets lxml's lookup in C of the same classes
# less those: the same documents on 2,471 eval and bench pages in both modes.
EXTRACTION_LOOKUP = etree.ElementDefaultClassLookup(
    element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity)
# And libxml2 stops a document at 256 levels of nesting: a page whose article sits deeper
# (unclosed <div>s or <font>s pile up) was parsed without its text. Its `huge_tree` option
# lifts that limit; otherwise this is trafilatura's parser (the same documents on 3,971 eval
# and bench pages, none that deep).
trafilatura.utils.HTML_PARSER = HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
trafilatura.utils.HTML_PARSER.set_element_class_lookup(EXTRACTION_LOOKUP)
# Its costliest XPaths (pruning, and looking for an author), as the same tests in Python: 8.5 ms a page less
# (pipeline/xpath_rules.py).
xpath_rules.install()
# Authors' names as the page writes them (pipeline/authors.py).
authors.install()
# libxml2 reads `<script .../>` as an element closed at once, as XHTML would, and the code
# after it as page text (a recipe page's text was its JavaScript). Browsers read HTML's
# <script/> and <style/> as start tags whose content runs to the end tag, and so does the
# parse here, where an end tag follows (a page with none is left as it is).
SELF_CLOSED_RAW_TEXT = re.compile(r"(<(script|style)\b[^>]*?)\s*/>(?=.*?</\2\s*>)", re.I | re.S)
# (extract_method, the text found)
Extraction = tuple[str, str]


# The standfirst under the headline is article text, but trafilatura often drops it (it sits
# in the page header, which precision mode prunes) and it usually doubles as the page's description. A description shown
# in a block of prose this long is put back; shorter ones are one-line subtitles ("deks"),
# which, like the headline, are not part of the body. Measured on the eval data (`make eval`).
MIN_LEAD_CHARS = 175
LEAD_TAGS = ("p", "div", "section", "header", "span", "strong", "h2", "h3", "h4", "td", "summary", "blockquote")
NOT_SHOWN = {"head", "script", "style", "noscript", "template", "nav", "footer", "form", "button", "a"}
ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…|\[(?:\.\.\.|…)\])$")

# Furniture paragraphs that trafilatura keeps: it prunes furniture by class and id names, and
# these sit inside the article's markup with none, so they are told by their words, which are
# alike on every site. Only paragraphs this short are tested, so that an article sentence
# that happens to start like one stays. Reasons as in pipeline.clean.
MAX_FURNITURE_CHARS = 150
# Follow and sign-up lines open as no article sentence does, so they are cut up to this
# length ("Get the best of News18 delivered to your inbox - subscribe to News18 Daybreak.
# Follow News18.com on Twitter, Instagram, …": 245 characters).
MAX_PROMO_CHARS = 300
FOLLOW = re.compile(FOLLOW_PROMO, re.I)
PARAGRAPH_FURNITURE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.I))
    for reason, pattern in (
        # see-also links to other articles, in the languages of the archive's sources
        ("promo", r"^(?:read (?:more|also)|also read|see also|more on this|lesen sie (?:auch|hier|mehr)|auch lesen"
                  r"|mehr zum thema|mehr themen|zum weiterlesen|weitere (?:artikel|beiträge|themen)"
                  r"|das (?:thema )?könnte (?:dich|sie) auch interessieren|lee también|(?:le|te) puede interesar"
                  r"|(?:notas|noticias) relacionadas|contenido relacionado|à lire (?:aussi|également)|lire aussi"
                  r"|voir aussi|leggi anche|leia também|veja também|lees (?:ook|meer)|czytaj (?:też|także|więcej)"
                  r"|zobacz (?:też|także))\b"
                  r"|^(?:related(?: articles| stories| posts| news)?|lea(?: también| más| además)?)\s*(?::|$)"),
        # sign-up boxes
        ("promo", r"newsletter|^(?:sign up|subscribe|abonnieren|abonniere|suscríbete|inscrivez-vous|zapisz się)\b"
                  r"|^stay up to date on (?:all )?the latest news\b|^new on [\w-]+(?:\.[\w-]+)+$|" + FOLLOW_PROMO),
        # a video player's consent notice ("Please accept YouTube cookies to play this video")
        ("player", r"^(?:please )?accept (?:\w+ )?cookies\b"),
        # ad slots' labels
        ("sponsored", r"^(?:advertisement|anzeige|werbung|publicidad|publicité|pubblicità|reklama)"
                      r"(?:$|\s*[-–:,|])"),
        # photo credits and copyright lines
        ("credit", r"^(?:copyright\b|\(c\)|fotos?\s*:|fot\.|photos?\s*:|photo source\s*:|image source\s*:"
                   r"|bild(?:er)?\s*:|image\s*:|credits?\s*:"
                   r"|fotocredit|titelbild|beitragsbild|bildquelle|quelle\s*:|source\s*:)"
                   r"|©|getty images|picture[- ]alliance|shutterstock|istock"),
    )
)


def _normal(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _extraction(tree: HtmlElement, url: str | None, fast: bool) -> Extraction:
    """The first pass that finds enough text, else the one that finds the most; the baseline
    extractor when it finds more than every pass. `fast`: trafilatura's fast mode, which skips
    its comparison with readability and jusText (Settings.fast_extraction), named in the method
    (the baseline's too: the passes before it were fast)."""
    mode = "_fast" if fast else ""
    best: Extraction = (PASSES[0][0] + mode, "")
    for method, options in PASSES:
        result = trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_comments=False,
                                             fast=fast, **options)
        if result is not None and len(result.text or "") > len(best[1]):
            best = (method + mode, result.text)
        if has_words(best[1], MIN_TEXT_WORDS):
            return best
    _, text, _ = trafilatura.baseline(tree)
    return ("baseline" + mode, text) if len(text) > len(best[1]) else best


def _site_names(tree: HtmlElement) -> list[str]:
    """The names trafilatura's meta reader (examine_meta) reads a site's name from, but
    social-media handles: its publisher tags, then `application-name` and the like. It
    takes the first publisher tag, `twitter:site` among them, whose "@" it strips later:
    "Handelsblatt_De", "Ndr", a company's "Dimastersoftware" on petri-heil.ch (where
    nothing in the JSON-LD replaces it), though a later tag often names the site
    ("dc.publisher", "application-name")."""
    publishers, backups = [], []
    for meta in tree.iterfind(".//head/meta[@content]"):
        content = meta.get("content", "").strip()
        if not content or content.startswith("@"):
            continue
        prop, name = meta.get("property", "").lower(), meta.get("name", "").lower()
        if prop == "article:publisher" or not prop and name in trafilatura_metadata.METANAME_PUBLISHER:
            publishers.append(content)
        elif not prop and (name in trafilatura_metadata.TWITTER_ATTRS or "twitter:app:name" in name):
            backups.append(content)
    return publishers + backups


def metadata(tree: HtmlElement, url: str | None) -> TrafilaturaResult:
    """What the archive keeps of the page's metadata (title, authors, canonical URL, site
    name, description, date), read once for all passes by trafilatura's own readers, with
    the fallbacks its extract_metadata gives them. That function also reads categories,
    tags and a licence, which nothing here keeps: 2.4 of its 8.3 ms a page on make bench's
    pages, and it has no option to skip them. htmldate raises on some dates (a time zone
    offset of a day or more, "+2500"): such a page keeps the rest of its metadata, without
    htmldate's date (the date tagger still reads the markup)."""
    result = trafilatura_metadata.examine_meta(tree)
    if result.author and " " not in result.author:  # a handle or a first name alone
        result.author = None
    try:
        result = trafilatura_metadata.extract_meta_json(tree, result)
    except Exception:  # as extract_metadata: its JSON-LD reader fails on some malformed blocks
        pass
    result.title = result.title or trafilatura_metadata.extract_title(tree)
    result.author = result.author or trafilatura_metadata.extract_author(tree)
    result.url = result.url or trafilatura_metadata.extract_url(tree, url)
    try:
        result.date = find_date(tree, url=result.url, **DATE_PARAMS)
    except ValueError:
        result.date = None
    if (handle := result.sitename) and handle.startswith("@"):
        # A handle that is the domain's own name is the site's name ("@ADAC" on adac.de),
        # as another tag writes it if one does ("NDR" for "@ndr", "Nature" over "Nature
        # Publishing Group"); any other, the next name a tag gives.
        names = _site_names(tree)
        if letters(handle) == letters((registered_domain(result.url or url) or "").split(".")[0]):
            result.sitename = next((n for n in names if letters(n) == letters(handle)), handle)
        else:
            result.sitename = next(iter(names), None)
    sitename = (result.sitename or trafilatura_metadata.extract_sitename(tree) or "").lstrip("@")
    if sitename and "." not in sitename and not sitename[0].isupper():
        sitename = sitename.title()
    if not sitename and result.url and (host := trafilatura_metadata.META_URL.match(result.url)):
        sitename = host[1]
    result.sitename = sitename or None
    result.clean_and_trim()  # entities unescaped, spaces trimmed, as extract_metadata leaves them
    return result


def coarse_date(tree: HtmlElement, html: str, url: str | None, found: str | None) -> bool:
    """Whether htmldate's date is a year or a month alone, given as its first day. When its
    extensive search finds no full date it ends on a copyright line's year ("© 2016") or a
    year and month ("/2018/08/"). Such a date is the 1st, htmldate's search without those
    last resorts does not find it, and the page nowhere shows that day: 3 of the 616
    labelled pages (make eval), all three a wrong date; the two other such 1sts the
    extensive search found were shown ("01.11.2023") and right."""
    if not found or not found.endswith("-01"):
        return False
    try:
        if find_date(tree, url=url, original_date=True, extensive_search=False) == found:
            return False
    except ValueError:  # as in metadata(): a date htmldate fails on; nothing is known of this one
        return False
    day = date.fromisoformat(found)
    y, m = day.year, day.month
    shown = re.compile(
        rf"{y}-{m:02d}-01|{y}/{m:02d}/01|{y}年0?{m}月0?1日|(?<![\d.])0?1\.\s?0?{m}\.\s?{y}|(?<![\d/])0?1/0?{m}/{y}"
        rf"|(?<![\d/])0?{m}/0?1/{y}|(?<![\d.])0?1(?:st|er|\.)?\s+(?:de\s+)?[^\W\d]{{3,12}}\.?,?\s+(?:de\s+)?{y}"
        rf"|[^\W\d]{{3,12}}\.?\s+0?1(?:st)?,\s*{y}")
    # Each form holds the year: looked for around each of its places, not along the whole
    # page, where the forms without a literal start took 19 ms on a page that gets this far.
    return not any(shown.search(html, max(0, m.start() - SHOWN_DAY_BEFORE_YEAR), m.end() + SHOWN_DAY_AFTER_YEAR)
                   for m in re.finditer(str(y), html))


def _shown_blocks(root: HtmlElement, core: str) -> list[str]:
    """The normalised texts of the shown LEAD_TAGS elements that hold `core`, in document
    order: looked for from the root down, only inside elements whose text holds it (an
    element's text holds its children's), not by normalising every element's text."""
    found = []
    stack = [iter(root)]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        if not isinstance(child.tag, str) or child.tag in NOT_SHOWN:
            continue
        if core in (block := _normal(child.text_content())):
            if child.tag in LEAD_TAGS:
                found.append(block)
            stack.append(iter(child))
    return found


def _paragraphs(text: str, title: str | None) -> list[str]:
    paragraphs = [_normal(line) for line in text.split("\n") if line.strip()]
    if paragraphs and title and paragraphs[0] == title:
        paragraphs = paragraphs[1:]  # the headline is stored as the title, not repeated in the text
    return paragraphs


# A title's last part, after a separator: "Headline - Site", "Headline | Site".
TITLE_END = re.compile(r"\s+[-–—|·•]\s+((?:(?!\s[-–—|·•]\s).){2,80})$")


def headline(tree: HtmlElement, title: str | None, sitename: str | None) -> str | None:
    """The page's h1 where the title wraps it ("Headline - Site", "Section | Headline"): the
    longest h1 inside the title, unless it is the site's name or a fragment of the title.
    Without such an h1, the title without the site's name after it."""
    title = _normal(title or "")
    inside = [
        h1 for el in tree.iter("h1")
        if (h1 := _normal(el.text_content())) and h1 != title and h1 in title
        and h1.casefold() != _normal(sitename or "").casefold() and 3 * len(h1) >= len(title)
    ]
    return max(inside, key=len, default=None) or without_site_name(title, sitename) or None


def without_site_name(title: str, sitename: str | None) -> str:
    """`title` without a last part that is the site's name ("… - 9to5Mac"). One before the
    headline stays: a home page's "Site - tagline" is no better without it."""
    site = re.sub(r"[\W_]", "", (sitename or "").casefold())
    if site and (m := TITLE_END.search(title)) and re.sub(r"[\W_]", "", m[1].casefold()) == site:
        return title[:m.start()]
    return title


def standfirst(tree: HtmlElement, description: str | None, text: str) -> str | None:
    """The shown paragraph that holds the page's description, when the text lacks it and it is
    prose, not a one-line subtitle."""
    core = ELLIPSIS.sub("", _normal(description or ""))  # descriptions are often cut short with "…"
    if not core or core in text:
        return None
    lead = min(_shown_blocks(tree, core), key=len, default=None)
    # A block much longer than the description is a container of more than the standfirst.
    if lead is None or lead in text or not MIN_LEAD_CHARS <= len(lead) <= 2 * len(core) + 20:
        return None
    return lead


def paragraph_furniture(paragraph: str) -> str | None:
    if len(paragraph) > MAX_FURNITURE_CHARS:
        return "promo" if len(paragraph) <= MAX_PROMO_CHARS and FOLLOW.search(paragraph) else None
    return next((reason for reason, pattern in PARAGRAPH_FURNITURE if pattern.search(paragraph)), None)


def _html_document(page: Page, fast: bool) -> Document | None:
    tree = trafilatura.load_html(SELF_CLOSED_RAW_TEXT.sub(r"\1>", page.text))
    if tree is None:
        return None
    result = metadata(tree, page.raw.url)
    url = page.raw.url or result.url
    coarse = coarse_date(tree, page.text, result.url, result.date)
    shown = visible_text(tree)
    markup = read_markup(tree, url, page.text, shown)
    for element in INERT(tree):
        element.drop_tree()  # its tail, text outside it, stays
    method, raw_text = _extraction(tree, page.raw.url, fast)
    if not raw_text:
        return None
    title = headline(tree, result.title, result.sitename)
    paragraphs = _paragraphs(raw_text, title)
    if lead := standfirst(tree, result.description, " ".join(paragraphs)):
        paragraphs.insert(0, lead)
    reasons = [paragraph_furniture(p) for p in paragraphs]
    text = "\n\n".join(p for p, reason in zip(paragraphs, reasons) if reason is None)
    canonical = canonical_url(result.url or page.raw.url)
    digest = content_hash(text)
    authors = [_normal(a) for a in (result.author or "").split(";") if a.strip()]
    if header := header_candidate(shown, title, text) or header_attribute(tree):
        markup = replace(markup, dates=(*markup.dates, header))
    return Document(
        article_id=article_id(canonical, digest), page=page.shed(), canonical_url=canonical,
        title=title, authors=authors,
        sitename=result.sitename and _normal(result.sitename),
        description=result.description and _normal(result.description), text=text, content_hash=digest,
        extract_method=method, url=url, html_date=result.date,
        html_date_coarse=coarse,
        furniture=[(reason, p) for p, reason in zip(paragraphs, reasons) if reason is not None],
        markup=markup,
    )


def _text_document(page: Page) -> Document:
    cleaned = clean_text(page.text)
    canonical = canonical_url(page.raw.url)
    digest = content_hash(cleaned.text)
    return Document(
        article_id=article_id(canonical, digest), page=page.shed(), canonical_url=canonical,
        title=cleaned.title, authors=[], sitename=None, description=None, text=cleaned.text,
        content_hash=digest, extract_method="text_cleaner", url=page.raw.url,
        furniture=cleaned.furniture,
    )


def extract_page(page: Page, fast: bool = False) -> Document | Reject:
    try:
        doc = _html_document(page, fast) if page.is_html else _text_document(page)
    except Exception as error:  # a library failing on one hostile page must not end the run
        return Reject(page.raw.source_ref, page.raw_hash, "extract", "extract_error",
                      f"the extractor failed on this page: {type(error).__name__}: {error}")
    if doc is None or doc.word_count < MIN_WORDS:  # counted here, in the worker, for the documents row
        return Reject(page.raw.source_ref, page.raw_hash, "extract", "no_text",
                      f"no article text found ({'HTML' if page.is_html else 'plain text'} page; "
                      f"fewer than {MIN_WORDS} words after removing furniture)")
    return doc
