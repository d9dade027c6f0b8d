"""trafilatura's costliest XPaths as Python tests of each element's attributes.

Before extracting, trafilatura deletes the elements its pruning XPaths select (navigation,
share bars, comments, hidden blocks, ...), and where a page's metadata names no author it
looks for one with more XPaths. libxml2 evaluates their long predicates at about 5 µs an
element: they were a quarter of extraction time, 8 ms a page of 34 on make bench's pages.
The same tests over the same elements in Python take a third of that, and gave the same
documents on 2,471 eval and bench pages in both extraction modes. lxml has no faster way
to evaluate them: XPath's own string functions in place of the regular expressions
measured slower still.

Each rule stands for one XPath, which it checks before it takes its place: the XPath's text
with its regular expressions left out must read as the rule's `shape`, and the regular
expressions themselves are taken from it. A trafilatura whose tokens change stays
equivalent; one whose expression changes keeps its own XPath (tests/test_xpath_rules.py
fails then, to have the rule brought up to date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from lxml import etree
from lxml.html import HtmlElement
from trafilatura import xpaths

# An EXSLT regular expression test in an XPath: its argument and its expression.
REGEX_TEST = re.compile(r"re:test\(([^,]+), '([^']*)'\)")
Test = Callable[[HtmlElement, tuple[re.Pattern[str], ...]], bool]


def first_of(element: HtmlElement, names: tuple[str, str]) -> str:
    """The value of whichever of two attributes comes first in the element, as XPath reads
    `@id|@class` as a string; "" without either."""
    for name, value in element.items():
        if name in names:
            return value
    return ""


def _overall_discard(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    get = el.get
    return (get("data-lp-replacement-content") is not None or "nav" in (get("role") or "").replace("N", "n")
            or "MostPopularStories" in (get("data-component") or "")
            or rx[0].search(first_of(el, ("id", "class"))) is not None
            or rx[1].search(get("id") or "") is not None or rx[2].search(get("class") or "") is not None)


def _hidden_or_reply(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    get = el.get
    style = get("style") or ""
    return (get("class") == "comments-title" or first_of(el, ("id", "class")).startswith("reply-")
            or rx[0].search(first_of(el, ("id", "style"))) is not None
            or "display:none" in style or "display: none" in style
            or rx[1].search(get("id") or "") is not None or rx[2].search(get("class") or "") is not None
            or get("aria-hidden") == "true")


def _id_or_class(el: HtmlElement, id_rx: re.Pattern[str], class_rx: re.Pattern[str]) -> bool:
    return id_rx.search(el.get("id") or "") is not None or class_rx.search(el.get("class") or "") is not None


def _infinite_scroll(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    return _id_or_class(el, rx[0], rx[1]) and (
        next(el.iterdescendants("h1"), None) is None or _id_or_class(el, rx[2], rx[3]))


def _comments_and_lists(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    return _id_or_class(el, rx[0], rx[1]) and (el.tag not in ("ol", "ul") or _id_or_class(el, rx[2], rx[3]))


def _comments(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    return _id_or_class(el, rx[0], rx[1])


def _author(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    get = el.get
    return (el.tag == "author" or get("rel") == "author" or get("id") == "author" or get("class") == "author"
            or get("itemprop") == "author name"
            # trafilatura's `rel='me'` (no @) compares a child element <rel>, not the attribute
            or any(child.tag == "rel" and child.text_content() == "me" for child in el)
            or get("data-testid") in ("AuthorCard", "AuthorURL") or rx[0].search(get("class") or "") is not None)


def _byline(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    return (el.get("class") in ("byline", "username", "byl", "BBL") or "author" in (el.get("itemprop") or "")
            or _id_or_class(el, rx[0], rx[1]))


def _any_author(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    return ("Byline" in (el.get("data-component") or "") or "author" in (el.get("itemprop") or "")
            or _id_or_class(el, rx[0], rx[1]))


def _not_author(el: HtmlElement, rx: tuple[re.Pattern[str], ...]) -> bool:
    return (el.get("id") == "comments" or el.get("class") in ("comments", "title", "date")
            or _id_or_class(el, rx[0], rx[1]) or "Figure" in (el.get("data-component") or ""))


@dataclass(frozen=True)
class Rule:
    """A stand-in for the XPath at `xpaths.<table>[index]`, whose text without its regular
    expressions is `shape`: `test` over the context's descendants named `tags` (all
    elements when empty), given the XPath's expressions in order; with `document`, over
    all of the document's elements, as `//*` reads."""
    table: str
    index: int
    shape: str
    tags: tuple[str, ...]
    test: Test
    document: bool = False


@dataclass(frozen=True)
class Compiled:
    """A rule with its expressions, called as trafilatura calls an XPath: the selected
    elements, in document order."""
    rule: Rule
    expressions: tuple[re.Pattern[str], ...]
    path: str  # the XPath's, for whoever reads it

    def __call__(self, tree: HtmlElement) -> list[HtmlElement]:
        rule, rx = self.rule, self.expressions
        tags = rule.tags or (etree.Element,)
        found = tree.getroottree().getroot().iter(*tags) if rule.document else tree.iterdescendants(*tags)
        return [el for el in found if rule.test(el, rx)]


def shape_of(path: str) -> tuple[str, list[str]]:
    """An XPath's text with white space normalised and each regular expression replaced by
    `…`, and the expressions in order."""
    expressions: list[str] = []

    def elide(m: re.Match[str]) -> str:
        expressions.append(m.group(2))
        return f"re:test({m.group(1)}, …)"

    return REGEX_TEST.sub(elide, " ".join(path.split())), expressions


RULES = (
    Rule("OVERALL_DISCARD_XPATH", 0,
         ".//*[self::div or self::item or self::list or self::p or self::section or self::span][ "
         "@data-lp-replacement-content or contains(translate(@role, 'N', 'n'), 'nav') or "
         "contains(@data-component, 'MostPopularStories') or re:test(@id|@class, …) or re:test(@id, …) or "
         "re:test(@class, …)]",
         ("div", "item", "list", "p", "section", "span"), _overall_discard),
    Rule("OVERALL_DISCARD_XPATH", 1,
         ".//*[@class='comments-title' or starts-with(@id|@class, 'reply-') or re:test(@id|@style, …) or "
         "contains(@style, 'display:none') or contains(@style, 'display: none') or re:test(@id, …) or "
         "re:test(@class, …) or @aria-hidden='true']",
         (), _hidden_or_reply),
    Rule("RAW_TREE_PRUNE_XPATH", 0,
         ".//*[self::div or self::section or self::aside][ re:test(@id, …) or re:test(@class, …)][ "
         "not(.//h1) or re:test(@id, …) or re:test(@class, …)]",
         ("div", "section", "aside"), _infinite_scroll),
    Rule("REMOVE_COMMENTS_AND_LISTS_XPATH", 0,
         ".//*[self::div or self::list or self::section or self::details or self::ol or self::ul][ "
         "re:test(@id, …) or re:test(@class, …)][ not(self::ol or self::ul) or re:test(@id, …) or "
         "re:test(@class, …)]",
         ("div", "list", "section", "details", "ol", "ul"), _comments_and_lists),
    Rule("REMOVE_COMMENTS_XPATH", 0,
         ".//*[self::div or self::list or self::section or self::details][ re:test(@id, …) or "
         "re:test(@class, …)]",
         ("div", "list", "section", "details"), _comments),
    Rule("AUTHOR_DISCARD_XPATHS", 0,
         ".//*[self::a or self::div or self::section or self::span][ @id='comments' or @class='comments' or "
         "@class='title' or @class='date' or re:test(@id, …) or re:test(@class, …) or "
         "contains(@data-component, 'Figure')]",
         ("a", "div", "section", "span"), _not_author),
    Rule("AUTHOR_XPATHS", 0,
         "//*[self::a or self::address or self::div or self::link or self::p or self::span or self::strong][ "
         "@rel='author' or @id='author' or @class='author' or @itemprop='author name' or rel='me' or "
         "@data-testid='AuthorCard' or @data-testid='AuthorURL' or re:test(@class, …)]|//author",
         ("a", "address", "div", "link", "p", "span", "strong", "author"), _author, document=True),
    Rule("AUTHOR_XPATHS", 1,
         "//*[self::a or self::div or self::h3 or self::h4 or self::p or self::span][ @class='byline' or "
         "@class='username' or @class='byl' or @class='BBL' or contains(@itemprop, 'author') or re:test(@id, …) or "
         "re:test(@class, …)]",
         ("a", "div", "h3", "h4", "p", "span"), _byline, document=True),
    Rule("AUTHOR_XPATHS", 2,
         "//*[ contains(@data-component, 'Byline') or contains(@itemprop, 'author') or re:test(@id, …) or "
         "re:test(@class, …)]",
         (), _any_author, document=True),
)


def install() -> list[Rule]:
    """Put each rule in its XPath's place in trafilatura's tables (which its modules share),
    where the XPath still has the rule's shape; the rules put in place."""
    installed = []
    for rule in RULES:
        table = getattr(xpaths, rule.table, None)
        if table is None or len(table) <= rule.index:
            continue
        current = table[rule.index]
        if isinstance(current, Compiled):
            installed.append(rule)
            continue
        shape, expressions = shape_of(current.path)
        if shape == rule.shape:
            table[rule.index] = Compiled(rule, tuple(re.compile(e) for e in expressions), current.path)
            installed.append(rule)
    return installed
