"""pipeline/xpath_rules.py: trafilatura's costliest pruning XPaths as Python tests. Each must
select what its XPath selects, from any element, and extraction must give the same document."""

import pytest
import trafilatura
from lxml import etree
from trafilatura import xpaths

from pipeline import xpath_rules
from pipeline.extract import extract_page
from tests.test_extract import ARTICLE_HTML, FIXTURES, FORM_HTML, make_page

# Each branch of each rule, and the near misses beside it: which of two attributes comes
# first, a token anchored at the start, a case translated or not, a lookahead, a heading
# inside, a list that needs its second test, a child element <rel> (not an attribute).
BRANCHES_HTML = """<html><head><title>t</title></head><body class="sidebar" style="display:none">
<div id="cookie-notice" class="x">a</div><div class="cookie" id="y">b</div><div id="y" class="cookie">c</div>
<section role="Navigation">d</section><section role="NAV">e</section><span data-lp-replacement-content="">f</span>
<p data-component="MostPopularStories-list">g</p><div id="x-shareit">h</div><div class="sharebox">i</div>
<div class="my-sharebox">j</div><div class="load ad here">k</div><div class="ad-slot">l</div><div class="bad-slot">m</div>
<item class="dfpAd">n</item><list class="paid-content">o</list><p class="breadcrumb">p</p><p id="bread-crumb">q</p>
<aside id="comment-1">r</aside><div id="commentary">s</div><div id="Comments">t</div><ol id="comol"><li>u</li></ol>
<ul class="article-comments"><li>v</li></ul><ul id="disqus_thread"><li>w</li></ul><div id="dsq-comments">w2</div><details class="comment">x</details>
<div class="infinite-scroll"><h1>Next story</h1><p>y</p></div><div class="infinite-scroll"><p>z</p></div>
<section class="mvp-post-add-box"><h1>Next</h1></section><aside id="infinitescroll">aa</aside>
<div style="color: red; display: none">bb</div><div id="hidden-x">cc</div><div id="a" style="visibility:hidden">dd</div>
<div style="visibility:hidden" id="a">ee</div><p class="reply-box">ff</p><p class="replybox">ff2</p><p id="x" class="reply-box">gg</p>
<b aria-hidden="true">hh</b><b aria-hidden="True">ii</b><div class="comments-title">jj</div><a class="title">kk</a>
<a id="comments">ll</a><span data-component="FigureX">mm</span><a class="print-button">nn</a><span class="quote">oo</span>
<div id="ProductReviews"><div><span class="meta-date">pp</span></div></div>
<author>qq</author><span><rel>me</rel>rr</span><span><rel>you</rel>ss</span><a rel="author">tt</a><em rel="author">uu</em>
<div itemprop="author name">vv</div><p data-testid="AuthorCard">ww</p><strong class="authorName">xx</strong>
<h3 class="byl">yy</h3><h4 itemprop="xauthorx">zz</h4><em data-component="BylineBlock">ab</em><em id="Author-box">ac</em>
<em class="screenname">ad</em><h4 id="zuozhe">ae</h4><h5 class="byline">af</h5></body></html>"""


def trafilaturas_xpath(compiled: xpath_rules.Compiled) -> etree.XPath:
    return etree.XPath(compiled.path, namespaces={"re": "http://exslt.org/regular-expressions"})


def installed() -> list[xpath_rules.Compiled]:
    return [getattr(xpaths, rule.table)[rule.index] for rule in xpath_rules.RULES]


def test_every_rule_stands_in_for_its_xpath():
    """Fails when trafilatura changes one of these XPaths: its rule then no longer applies,
    and should be brought up to date (extraction is still right, only slower)."""
    assert xpath_rules.install() == list(xpath_rules.RULES)
    assert all(isinstance(c, xpath_rules.Compiled) for c in installed())


def test_a_changed_xpath_keeps_its_own_place():
    changed = etree.XPath(".//*[self::div][re:test(@id, 'sidebar') or @class='x']",
                          namespaces={"re": "http://exslt.org/regular-expressions"})
    table = xpaths.REMOVE_COMMENTS_XPATH
    kept = table[0]
    table[0] = changed
    try:
        assert xpath_rules.RULES[4].table == "REMOVE_COMMENTS_XPATH"
        assert xpath_rules.RULES[4] not in xpath_rules.install()
        assert table[0] is changed
    finally:
        table[0] = kept


PAGES = {"branches": BRANCHES_HTML, "article": ARTICLE_HTML, "forms": FORM_HTML,
         **{p.name: p.read_text() for p in sorted(FIXTURES.glob("*.html"))}}


@pytest.mark.parametrize("page", PAGES)
def test_each_rule_selects_what_its_xpath_selects_from_every_element(page):
    tree = trafilatura.load_html(PAGES[page])
    for compiled in installed():
        xpath = trafilaturas_xpath(compiled)
        for context in tree.iter(etree.Element):
            assert compiled(context) == xpath(context), (compiled.rule.table, compiled.rule.index, context.tag)
    if page == "branches":  # the page reaches each rule's branches, and each rule leaves some alone
        for compiled in installed():
            assert 0 < len(compiled(tree)) < sum(1 for _ in tree.iter(etree.Element)) - 3, compiled.rule


@pytest.mark.parametrize("page", sorted(set(PAGES) - {"branches"}))
@pytest.mark.parametrize("fast", [False, True])
def test_extraction_with_the_rules_gives_trafilaturas_document(page, fast):
    doc = make_page(PAGES[page], is_html=True, url="https://example-news.com/local/2024/05/council-budget")
    ours = extract_page(doc, fast)
    rules = installed()
    for compiled in rules:
        getattr(xpaths, compiled.rule.table)[compiled.rule.index] = trafilaturas_xpath(compiled)
    try:
        assert extract_page(doc, fast) == ours
    finally:
        for compiled in rules:
            getattr(xpaths, compiled.rule.table)[compiled.rule.index] = compiled
    assert ours.text
