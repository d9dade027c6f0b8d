"""The page's markup as a tree, for the taggers that read it (dates, wire claims)."""

from __future__ import annotations

from lxml import html as lxml_html
from lxml.html import HtmlElement


def parse_markup(page_html: str) -> HtmlElement | None:
    """The parsed page, or None when it cannot be parsed. Parsed from bytes: lxml refuses
    a str that opens with an XML declaration, which XHTML pages carry."""
    try:
        return lxml_html.fromstring(page_html.encode())
    except (ValueError, lxml_html.etree.ParserError):
        return None
