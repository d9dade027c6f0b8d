"""What the taggers read in a page's markup, read from the tree extraction parsed: the
publication dates it states (pipeline/tag/dates.py) and its byline and credit texts
(pipeline/tag/wire.py). Parsing a page costs about as much as reading it, so it is done once."""

from __future__ import annotations

from lxml.html import HtmlElement

from pipeline.records import PageMarkup
from pipeline.tag.dates import markup_candidates
from pipeline.tag.wire import markup_lines


def read_markup(tree: HtmlElement, url: str | None) -> PageMarkup:
    return PageMarkup(dates=tuple(markup_candidates(tree, url)), bylines=tuple(markup_lines(tree)))
