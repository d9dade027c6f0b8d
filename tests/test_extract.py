"""extract_page: decoded page -> article text and metadata, or a no_text reject."""

import hashlib
import pickle
import unicodedata
from dataclasses import replace
from pathlib import Path

import lxml.html
import pytest
import trafilatura
import trafilatura.utils

from pipeline.decode import decode_page
from pipeline.extract import (
    DATE_PARAMS, EXTRACTION_LOOKUP, SELF_CLOSED_RAW_TEXT, extract_page, headline, metadata, paragraph_furniture,
)
from pipeline.records import count_words, has_words
from pipeline.identity import article_id, canonical_url, content_hash
from pipeline.records import Document, Page, RawPage, Reject

FIXTURES = Path(__file__).parent / "fixtures" / "html"

TITLE = "Council approves budget for east side bus routes"
PARAGRAPHS = [
    "The city council voted seven to two on Tuesday night to approve a budget that adds four bus routes "
    "on the east side of the city.",
    "Council member Ana Diaz said the plan was the result of two years of talks with the transit union "
    "and neighbourhood groups.",
    "Opponents said the city could not afford to hire the forty drivers the new routes would need by the "
    "end of next spring.",
    "The first of the new routes is expected to open in March, the transit agency said in a statement "
    "released after the vote.",
]
NAV = ["Home", "Local", "Sports", "Weather", "Opinion"]
RELATED = [
    "Transit fares to rise in the summer months",
    "Bus drivers union signs a new contract with the city",
    "Potholes on Main Street finally fixed after complaints",
]
COMMENTS = [
    "Gary from Eastview wrote: about time somebody thought of the riders on the east side of town.",
    "Pat said: this is a waste of taxpayer money and the buses will run empty all winter long.",
]
CANONICAL = "https://example-news.com/local/2024/05/council-budget?id=42"

ARTICLE_HTML = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{TITLE} | Example News</title>
<meta property="og:title" content="{TITLE}">
<meta property="og:site_name" content="Example News">
<meta name="author" content="Maria Lopez">
<link rel="canonical"
  href="https://www.Example-News.com/local/2024/05/council-budget?utm_source=twitter&amp;utm_medium=social&amp;id=42#top">
</head>
<body>
<header><nav><ul>
{"".join(f'<li><a href="/{n.lower()}">{n}</a></li>' for n in NAV)}
</ul></nav></header>
<main>
<article>
<h1>{TITLE}</h1>
<p class="byline">By Maria Lopez</p>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
</article>
<aside class="related">
<h2>Related articles</h2>
<ul>{"".join(f'<li><a href="/local/{i}">{r}</a></li>' for i, r in enumerate(RELATED))}</ul>
</aside>
<section id="comments" class="comments">
<h2>Comments</h2>
{"".join(f'<div class="comment"><p>{c}</p></div>' for c in COMMENTS)}
</section>
</main>
</body>
</html>
"""


def make_page(text: str, is_html: bool, url: str | None = None) -> Page:
    raw = RawPage(source_ref="pages/budget", content=text.encode(), url=url)
    return Page(raw=raw, raw_hash=hashlib.sha256(raw.content).hexdigest(), text=text,
                is_html=is_html, encoding="utf-8")


def test_html_article_keeps_the_body_paragraphs_only():
    doc = extract_page(make_page(ARTICLE_HTML, is_html=True))
    assert isinstance(doc, Document), doc
    assert doc.extract_method == "trafilatura_precision"
    assert doc.text == "\n\n".join(PARAGRAPHS)  # no headline, byline, nav, related links or comments
    for furniture in [TITLE, "By Maria Lopez", "Related articles", "Comments", *NAV, *RELATED, *COMMENTS]:
        assert furniture not in doc.text


def test_html_article_metadata():
    page = make_page(ARTICLE_HTML, is_html=True, url="https://example-news.com/budget?utm_source=rss")
    doc = extract_page(page)
    assert isinstance(doc, Document), doc
    assert doc.title == TITLE
    assert doc.authors == ["Maria Lopez"]
    assert doc.sitename == "Example News"
    # The page's canonical link, normalised: host lower-cased, `www.`, tracking and fragment dropped.
    assert doc.canonical_url == CANONICAL
    assert doc.url == "https://example-news.com/budget?utm_source=rss"  # where it was fetched, as given
    assert doc.content_hash == content_hash(doc.text)
    assert doc.article_id == article_id(CANONICAL, doc.content_hash)
    # The page without its HTML and bytes: the taggers read the markup from `doc.markup`.
    assert (doc.page.raw_hash, doc.page.raw.url, doc.page.is_html) == (page.raw_hash, page.raw.url, True)
    assert (doc.page.text, doc.page.raw.content) == ("", b"")


@pytest.mark.parametrize("metas, url, sitename", [
    # trafilatura takes the first publisher tag, twitter:site among them, and strips its "@"
    ('<meta name="twitter:site" content="@Handelsblatt_De"><meta name="dc.publisher" content="Handelsblatt">',
     "https://www.handelsblatt.com/a", "Handelsblatt"),
    ('<meta name="twitter:site" content="@ndr"><meta name="application-name" content="NDR">',
     "https://www.ndr.de/a", "NDR"),
    # a handle that is the domain's own name stands, as another tag writes it if one does
    ('<meta name="twitter:site" content="@ADAC">', "https://www.adac.de/a", "ADAC"),
    ('<meta name="twitter:site" content="@nature"><meta name="dc.publisher" content="Nature Publishing Group">'
     '<meta name="application-name" content="Nature">', "https://www.nature.com/a", "Nature"),
    # else none: the title's part with a dot, or the host
    ('<meta name="twitter:site" content="@Dimastersoftware">', "https://www.petri-heil.ch/a", "petri-heil.ch"),
])
def test_a_social_media_handle_is_no_site_name(metas, url, sitename):
    html = ARTICLE_HTML.replace('<meta property="og:site_name" content="Example News">', metas)
    html = html.replace("https://www.Example-News.com", url.removesuffix("/a"))  # the canonical link's site
    assert metas in html
    doc = extract_page(make_page(html, is_html=True, url=url))
    assert isinstance(doc, Document), doc
    assert doc.sitename == sitename


def test_plain_text_page_goes_through_the_text_cleaner():
    text = "\n\n".join([
        "Home", "Local", TITLE, "Listen Now Playing Listen", *PARAGRAPHS, "Copyright 2024 Example News.",
    ])
    doc = extract_page(make_page(text, is_html=False, url="https://example-news.com/budget?utm_campaign=x#top"))
    assert isinstance(doc, Document), doc
    assert doc.extract_method == "text_cleaner"
    assert doc.title == TITLE
    assert doc.text == "\n\n".join(PARAGRAPHS)
    assert doc.furniture == [
        ("navigation", "Home"), ("before_title", "Local"), ("player", "Listen Now Playing Listen"),
        ("credit", "Copyright 2024 Example News."),
    ]
    assert doc.canonical_url == "https://example-news.com/budget"
    assert (doc.authors, doc.sitename) == ([], None)


def test_html_page_without_text_is_rejected():
    html = "<html><head><title>Nothing here</title></head><body><nav><a href='/'>Home</a></nav></body></html>"
    result = extract_page(make_page(html, is_html=True))
    assert isinstance(result, Reject)
    assert (result.stage, result.reason, result.source_ref) == ("extract", "no_text", "pages/budget")


@pytest.mark.parametrize("depth", [300, 1000])
def test_an_article_nested_deeper_than_libxml2s_default_limit_keeps_its_text(depth):
    html = ("<html><head><title>Deep</title></head><body>" + "<div>" * depth
            + "".join(f"<p>{p}</p>" for p in PARAGRAPHS) + "</div>" * depth + "</body></html>")
    doc = extract_page(make_page(html, is_html=True))
    assert isinstance(doc, Document) and doc.text.split("\n\n") == PARAGRAPHS


def test_plain_text_page_of_furniture_only_is_rejected():
    text = "Home\n\nSubscribe\n\n0:00\n\nSponsored message\n\nCopyright 2024 Example News."
    result = extract_page(make_page(text, is_html=False))
    assert isinstance(result, Reject)
    assert result.reason == "no_text"
    assert result.raw_hash == hashlib.sha256(text.encode()).hexdigest()


def test_page_under_five_words_is_rejected():
    result = extract_page(make_page("Four words, no more.", is_html=False))
    assert isinstance(result, Reject) and result.reason == "no_text"
    assert isinstance(extract_page(make_page("Five words are just enough.", is_html=False)), Document)


def fixture_page(name: str, url: str | None = None) -> Page:
    page = decode_page(RawPage(source_ref=f"fixtures/{name}", content=(FIXTURES / name).read_bytes(), url=url))
    assert isinstance(page, Page) and page.is_html
    return page


def extract_fixture(name: str, url: str | None = None) -> Document:
    doc = extract_page(fixture_page(name, url))
    assert isinstance(doc, Document), doc
    return doc


HARBOUR_PARAGRAPHS = [
    "Work to dredge the inner harbour will begin in the first week of June, the port authority confirmed on "
    "Wednesday, ending a delay that has kept the town's largest ferries at the outer pier for almost three years.",
    "The authority said a contractor would remove about 90,000 tonnes of silt from the channel over four months, "
    "deepening it by a metre and a half so that ships of up to 120 metres can reach the passenger terminal at any "
    "state of the tide.",
    "Harbour master Tomas Brennan said the silt had built up faster than expected since the storms of 2021, and "
    "that ferry crews had been forced to wait for high water on most evenings last winter.",
    '"Every tide we miss costs the operators fuel and costs passengers their connections," he said. "Once the '
    'channel is clear we expect the evening crossings to run on time again."',
    "The £14 million scheme is paid for by the port authority and a regional transport grant. Fishing boats will "
    "be moved to temporary berths on the east quay while the dredgers work, and the slipway will close to the "
    "public from late May.",
    "Local councillors welcomed the start date but asked the authority to publish a plan for disposing of the "
    "silt, after residents raised concerns about lorries passing the primary school on Quay Road.",
]
HARBOUR_FURNITURE = [
    "Subscribe for £1 a week", "Sign in", "What's On", "Property", "Home", "Transport Reporter", "By Helen Okafor",
    "Thursday 18 April 2024", "Share on Facebook", "Email this article", "Boats in the inner harbour at low tide",
    "Sam Reyes", "Advertisement", "Read more", "Ferry timetable cut back", "Get the morning briefing",
    "Sign up to our newsletter", "Topics:", "More from News", "Lifeboat station to hold open day",
    "Seafront cafe wins late licence", "3 comments", "seaview_dave", "I will believe it when I see the dredger",
    "smell of the silt", "missed the last train", "All rights reserved", "Cookie settings",
]


def test_news_article_keeps_its_body_without_navigation_comments_or_related_links():
    doc = extract_fixture("harbour_article.html", url="https://coastalledger.example/n/8812?utm_source=rss")
    assert doc.text == "\n\n".join(HARBOUR_PARAGRAPHS)
    for furniture in HARBOUR_FURNITURE:
        assert furniture not in doc.text, furniture
    assert doc.extract_method == "trafilatura_precision"


def test_news_article_metadata():
    doc = extract_fixture("harbour_article.html", url="https://coastalledger.example/n/8812?utm_source=rss")
    assert doc.title == "Harbour dredging to start in June after years of delay"  # without "- The Coastal Ledger"
    assert doc.authors == ["Helen Okafor"]
    assert doc.sitename == "The Coastal Ledger"
    # the page's canonical link, not where it was fetched, normalised as every URL is
    assert doc.canonical_url == canonical_url(
        "https://www.coastalledger.example/news/2024/04/harbour-dredging-june?utm_source=newsletter")
    assert doc.url == "https://coastalledger.example/n/8812?utm_source=rss"
    assert doc.description == ("The port authority will begin dredging the inner harbour in June, clearing the "
                               "way for larger ferries.")
    assert doc.html_date == "2024-04-18"


VALLEY_STANDFIRST = (
    "Two nights of hard frost at the end of April cost apple and pear growers in the upper valley as much as half "
    "of their blossom. Growers now want the hardship fund opened to fruit farms, as it was in 2017."
)
VALLEY_OPENING = "Apple and pear growers in the upper valley lost as much as half of their blossom"
VALLEY_CLOSING = "since the varieties they use bloom later and mostly escaped the cold."


def test_blog_post_keeps_standfirst_and_body_and_records_the_furniture_inside_it():
    doc = extract_fixture("valley_blog_post.html")
    paragraphs = doc.text.split("\n\n")
    assert paragraphs[0] == VALLEY_STANDFIRST  # the page header's standfirst, which trafilatura leaves out
    assert paragraphs[1].startswith(VALLEY_OPENING)
    assert paragraphs[-1].endswith(VALLEY_CLOSING)
    assert len(paragraphs) == 6
    # Furniture the markup does not label, inside the article's own container:
    assert doc.furniture == [
        ("credit", "Photo: Gwen Morris / Valley Farm Weekly"),
        ("promo", "Read more: Grant scheme for frost fans opens to small orchards"),
        ("sponsored", "Advertisement"),
        ("promo", "Sign up for our free weekly newsletter to get the latest farming news straight to your inbox."),
    ]
    for furniture in ["Livestock", "Machinery", "Posted on", "Share this", "Twitter", "Related",
                      "Bee hives in short supply", "2 thoughts on", "Same story on our side of the river",
                      "The ministry ignored us", "Leave a Reply", "Recent Posts", "Dairy co-operative",
                      "Proudly powered by WordPress", *(line for _, line in doc.furniture)]:
        assert furniture not in doc.text, furniture


def test_blog_post_metadata_from_json_ld():
    doc = extract_fixture("valley_blog_post.html")
    assert doc.title == "Orchard growers count the cost of a late frost"
    assert doc.authors == ["Priya Raman", "Owen Lewis"]
    assert doc.sitename == "Valley Farm Weekly"
    assert doc.canonical_url == canonical_url("https://valleyfarmweekly.example/2024/05/02/orchard-growers-late-frost/")
    assert doc.description == VALLEY_STANDFIRST
    assert doc.html_date == "2024-05-02"


def test_chinese_brief_is_long_enough():
    # Two sentences and no spaces: the whitespace count made this two words, and a reject.
    doc = extract_fixture("zh_brief.html")
    assert doc.text == ("市议会周二晚间以七票赞成、两票反对通过明年预算，将在城市东区增设四条公交线路。\n\n"
                        "交通部门表示，首条新线路预计于明年三月开通。")
    assert (doc.title, doc.sitename) == ("东区将增设四条公交线路", "滨江日报")
    assert doc.extract_method == "trafilatura_precision"  # 73 words: enough, no fallback to noisier passes


def test_page_where_precision_mode_finds_nothing_falls_back_to_default_mode():
    # A page rendered in the browser: its text is only in the JSON-LD, which precision mode
    # does not read and the default mode's rescue does.
    doc = extract_fixture("app_shell_article.html")
    assert doc.extract_method == "trafilatura"
    assert doc.text.startswith("The central library reopened on Saturday")
    assert doc.text.endswith("in case the main fails again.")
    assert "enable JavaScript" not in doc.text
    assert (doc.title, doc.authors, doc.sitename) == (
        "Library reopens after flood repairs", ["Dev Patel"], "Northgate Courier")


def test_fast_extraction_skips_trafilaturas_comparison_and_says_so():
    # The story in bare spans: trafilatura's own extractor finds little in precision mode,
    # and in its default mode takes the menu and headline along; its comparison with
    # readability, which fast mode skips, finds the story alone.
    page = fixture_page("text_in_spans.html")
    full, fast = extract_page(page), extract_page(page, fast=True)
    assert full.extract_method == "trafilatura_precision"
    assert full.text.startswith("The harbour board voted on Tuesday") and "Home" not in full.text
    assert fast.extract_method == "trafilatura_fast"
    assert fast.text.startswith("Home\n\nHarbour board votes to rebuild north pier\n\nThe harbour board voted")


def test_baseline_extractor_is_the_last_resort(monkeypatch):
    monkeypatch.setattr(trafilatura, "bare_extraction", lambda *args, **kwargs: None)  # every pass finds nothing
    doc = extract_fixture("app_shell_article.html")
    assert doc.extract_method == "baseline"
    assert doc.text.startswith("The central library reopened on Saturday")
    assert (doc.title, doc.authors, doc.sitename) == (
        "Library reopens after flood repairs", ["Dev Patel"], "Northgate Courier")


@pytest.mark.parametrize("paragraph, reason", [
    ("Read more: Grant scheme for frost fans opens", "promo"),
    ("Related: Five ways to protect blossom", "promo"),
    ("Lesen Sie auch: Spätfrost im Alten Land", "promo"),
    ("Lea también: Las heladas dañan los frutales", "promo"),
    ("À lire aussi » Le gel frappe les vergers", "promo"),
    ("Sign up to our newsletter for the day's top stories", "promo"),
    ("Advertisement", "sponsored"),
    ("ANZEIGE - Jetzt Angebote entdecken", "sponsored"),
    ("Foto: Gwen Morris", "credit"),
    ("Marco Rossi beim Abfahrtslauf. © AFP / Jane Doe", "credit"),
    ("© 2024 Coastal Ledger Media Ltd. All rights reserved.", "credit"),
    ("Follow The Valley Courier on Twitter and Instagram @ValleyCourier", "promo"),
    ("Follow us on Facebook for more orchard news.", "promo"),
    ("Get the best of the Courier delivered to your inbox every morning.", "promo"),
    ("Get a weekly roundup of farming news in your inbox", "promo"),
    ("Get the Courier's Daily Edition by email and never miss our top stories Free Sign Up", "promo"),
    ("You can unsubscribe at any time.", "promo"),
    ("Get the best of the Courier delivered to your inbox - subscribe to Courier Daybreak. Follow Courier.com on "
     "Twitter, Instagram, Facebook, Telegram, TikTok and on YouTube, and stay in the know with what's happening in "
     "the world around you – in real time.", "promo"),  # past 150 characters, as follow and sign-up lines run
    ("Follow us: Google News | NewsBreak | Reddit | Instagram | Facebook | Twitter", "promo"),
    ("You can contact The Courier on Facebook, Twitter, Instagram, or email news@courier.example", "promo"),
    ("Stay up to date on all the latest news from Courier.com", "promo"),
    ("New on Courier.com", "promo"),
    ("Photo Source: Markus Spiske from Pexels.", "credit"),
    ("New on the market: three farms for sale.", None),
    ("Follow the money, the auditor told the council, and you find the frost fund paid out twice. " * 2, None),
    ("Please accept YouTube cookies to play this video.", "player"),
    ("Police followed the suspect on Facebook for weeks.", None),
    ("Regulators said sites must make it as easy to reject as to accept cookies.", None),
    ("Scam emails promising refunds delivered to your inbox are circulating.", None),
    ("Who can sign up", None),
    ("Scam emails about frost insurance are landing in your inbox.", None),
    ("Related research shows that late frosts are getting more common in the valley.", None),
    ("Werbung für Zigaretten ist seit 2007 auf Plakaten verboten.", None),
    ("Read more than a hundred letters and you see the same worry: " + "the frost came too late. " * 5, None),
])
def test_furniture_paragraphs(paragraph, reason):
    assert paragraph_furniture(paragraph) == reason


def test_headline_is_the_h1_the_title_wraps():
    tree = lxml.html.fromstring("<html><body><h1>The Coastal Ledger</h1><article><h1>Harbour dredging to start"
                                "</h1></article></body></html>")
    assert headline(tree, "News | Harbour dredging to start | The Coastal Ledger", "The Coastal Ledger") \
        == "Harbour dredging to start"
    assert headline(tree, "The Coastal Ledger - local news", "The Coastal Ledger") \
        == "The Coastal Ledger - local news"  # an h1 that is the site's name is its logo, not a headline
    assert headline(tree, "Ferry timetable cut back", "The Coastal Ledger") == "Ferry timetable cut back"
    bare = lxml.html.fromstring("<html><body><p>No headline element.</p></body></html>")
    assert headline(bare, "Ferry timetable cut back - The Coastal Ledger", "The Coastal Ledger") \
        == "Ferry timetable cut back"  # without the site's name after it
    assert headline(bare, "Ferry timetable cut back | The Anti-Ferry Blog", "The Anti-Ferry Blog") \
        == "Ferry timetable cut back"
    assert headline(bare, "Ferry timetable - a cut back", "The Coastal Ledger") == "Ferry timetable - a cut back"


def test_words_of_spaced_and_unspaced_scripts():
    assert count_words("Five words are just enough.") == 5
    assert count_words("市议会通过预算") == 7  # one word per Chinese character
    assert count_words("新型iPhone 15を発表") == 2 + 2 + 3


def test_html_text_is_nfc_even_from_decomposing_entities():
    html = ARTICLE_HTML.replace(PARAGRAPHS[0], "Cafe&#769; owners in Ko&#776;ln said " + PARAGRAPHS[0])
    doc = extract_page(make_page(html, is_html=True))
    assert isinstance(doc, Document), doc
    assert "Café owners in Köln said" in doc.text
    assert unicodedata.is_normalized("NFC", doc.text)


def test_a_date_htmldate_fails_on_costs_the_page_its_htmldate_date_only():
    """htmldate raises on a time zone offset of a day or more; inside trafilatura's
    extract_metadata that cost the page its title too. The page keeps its text and the
    rest of its metadata."""
    page = ("<html><head><title>Budget debate</title></head><body><article>"
            "<p>The council met on Tuesday to debate the budget for the coming year.</p>"
            '<div class="date">2021-12-23 10:00:00 +2500</div></article></body></html>')
    with pytest.raises(ValueError):
        trafilatura.extract_metadata(trafilatura.load_html(page), None, DATE_PARAMS)
    doc = extract_page(decode_page(RawPage("bad-offset.html", page.encode())))
    assert isinstance(doc, Document), doc
    assert doc.text.startswith("The council met on Tuesday to debate the budget for the coming year.")
    assert doc.html_date is None and doc.title == "Budget debate"


# The fallbacks: a one-word author meta tag dropped for the byline, no site name but in the
# title, entities and runs of spaces in the title and description.
FALLBACKS_HTML = ARTICLE_HTML.replace('<meta property="og:title" content="{0}">'.format(TITLE), "").replace(
    '<meta property="og:site_name" content="Example News">', '<meta name="description" content="  Buses &amp;  routes ">'
).replace('<meta name="author" content="Maria Lopez">', '<meta name="author" content="Maria">').replace(
    f"<title>{TITLE} | Example News</title>", f"<title>{TITLE} &amp;  more | example-news.com</title>").replace(
    '<p class="byline">By Maria Lopez</p>', '<p class="byline" itemprop="author">Maria Lopez</p>')


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.html")) + ["article", "fallbacks"])
def test_the_metadata_read_is_trafilaturas_less_what_is_not_kept(fixture):
    """metadata() calls trafilatura's readers itself to skip categories, tags and licence:
    what it keeps must stay what extract_metadata gives (a trafilatura upgrade that changes
    its order or fallbacks shows here)."""
    html = {"article": ARTICLE_HTML, "fallbacks": FALLBACKS_HTML}.get(fixture) or (FIXTURES / fixture).read_text()
    ours = metadata(trafilatura.load_html(html), "https://example.org/fallback")
    theirs = trafilatura.extract_metadata(trafilatura.load_html(html), "https://example.org/fallback", DATE_PARAMS)
    fields = ("title", "author", "url", "sitename", "description", "date")
    assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert ours.title and ours.url


def test_scripts_styles_and_svg_are_out_before_extraction_and_read_before():
    """They are taken out before extraction (none of its text comes from them), after the
    metadata and markup readers took the JSON-LD date and author from the page. A
    self-closed `<script .../>` or `<style/>` opens its element, as a browser reads HTML (a
    recipe page's text was its JavaScript where libxml2 closed it at once); one with no end
    tag after it is left as it is, and the text after it kept."""
    html = ARTICLE_HTML.replace("</article>", (
        '<svg class="icon"><text>Share on Facebook</text></svg>'
        "<script>var story = 'Council news in a script';</script><style>p { color: red }</style>"
        "<script type=\"text/javascript\"/>\n(function() { if (i<n) document.title = 'Widget loader'; })();\n"
        "</script><style/>\np.lead { margin: 0 }\n</style></article>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-05-14T09:30:00-04:00",'
        ' "author": {"@type": "Person", "name": "Ana Reporter"}}</script>'))
    doc = extract_page(make_page(html, is_html=True))
    assert isinstance(doc, Document), doc
    assert doc.text == "\n\n".join(PARAGRAPHS)
    assert "Facebook" not in doc.text and "script" not in doc.text
    assert "Widget loader" not in doc.text and "margin" not in doc.text
    kept = '<script src="/late.js"/><p>Shown after it</p>'
    assert SELF_CLOSED_RAW_TEXT.sub(r"\1>", kept) == kept
    assert "2024-05-14" in [c.day.isoformat() for c in doc.markup.dates if c.source == "json_ld"]
    assert doc.html_date == "2024-05-14"


@pytest.mark.parametrize("canonical, footer, html_date, coarse", [
    # A copyright line's year, or the year and month in the URL: htmldate gives their 1st.
    ("/local/council-budget", "<footer><p>© 2016 Example News</p></footer>", "2016-01-01", True),
    ("/local/2024/05/council-budget", "", "2024-05-01", True),
    # The 1st shown as a day on the page is a date.
    ("/local/council-budget", '<p class="meta">Posted 01.11.2023</p><footer><p>© 2016 Example News</p></footer>',
     "2023-11-01", False),
    ("/local/2024/05/council-budget", '<p class="meta"><em>1 November 2023</em></p>', "2023-11-01", False),
])
def test_a_year_or_a_month_alone_from_htmldate_is_told_from_a_date(canonical, footer, html_date, coarse):
    html = ARTICLE_HTML.replace("/local/2024/05/council-budget", canonical).replace("</main>", "</main>" + footer)
    doc = extract_page(make_page(html, is_html=True))
    assert (doc.html_date, doc.html_date_coarse) == (html_date, coarse)


# A page laid out inside an ASP.NET form (trafilatura keeps it as a container) with a search
# form and its fields: the elements lxml.html would give classes of their own.
FORM_HTML = ARTICLE_HTML.replace("<main>", '<form id="aspnetForm" action="/default.aspx"><main>').replace(
    "</main>", '</main><form class="search"><label for="q">Search</label><input id="q" name="q" value="bus">'
               '<select name="s"><option>All</option></select><textarea name="t">Ask us</textarea></form></form>')


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.html")) + ["article", "forms"])
@pytest.mark.parametrize("fast", [False, True])
def test_the_parsers_element_classes_in_c_give_the_same_document(fixture, fast):
    """trafilatura's parser is given lxml's lookup in C (pipeline/extract.py): the document
    must be the one lxml.html's own lookup, in Python, gives."""
    html = {"article": ARTICLE_HTML, "forms": FORM_HTML}.get(fixture) or (FIXTURES / fixture).read_text()
    page = make_page(html, is_html=True, url="https://example-news.com/local/2024/05/council-budget")
    ours = extract_page(page, fast)
    parser = trafilatura.utils.HTML_PARSER
    assert type(trafilatura.load_html(FORM_HTML).find(".//input")) is lxml.html.HtmlElement
    parser.set_element_class_lookup(lxml.html.HtmlElementClassLookup())
    try:
        assert isinstance(trafilatura.load_html(FORM_HTML).find(".//input"), lxml.html.InputElement)
        assert extract_page(page, fast) == ours
    finally:
        parser.set_element_class_lookup(EXTRACTION_LOOKUP)
    assert isinstance(ours, Document) and ours.text


def test_a_page_the_extractor_fails_on_is_rejected_with_the_error(monkeypatch):
    """Whatever a library raises on one page becomes that page's reject, not the run's end."""
    def fails(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "bare_extraction", fails)
    got = extract_page(decode_page(RawPage("deep.html", b"<html><body><p>Some text of a page.</p></body></html>")))
    assert isinstance(got, Reject)
    assert (got.stage, got.reason) == ("extract", "extract_error")
    assert got.detail == "the extractor failed on this page: RecursionError: maximum recursion depth exceeded"


def test_enough_words_read_only_as_far_as_needed():
    assert has_words("Five words are just enough.", 5)
    assert not has_words("Five words are just enough.", 6)
    assert has_words("市议会通过预算", 7) and not has_words("市议会通过预算", 8)
    assert has_words("", 0) and not has_words("", 1)
    not_digits = lambda word: not word.isdigit()  # noqa: E731
    assert not has_words("2021 12 23 news", 2, not_digits)  # the numbers are no words here
    assert has_words("2021 12 23 news today", 2, not_digits)


def test_a_documents_word_count_is_of_its_own_text_after_pickling_and_stripping():
    page = decode_page(RawPage(source_ref="w.txt", content=b"The ferry runs twice a day, from six to nine."))
    doc = extract_page(page)
    assert doc.word_count == 10
    shipped = pickle.loads(pickle.dumps(doc))  # to the run's process, its count with it
    assert shipped.word_count == 10 and "word_count" in vars(shipped)
    stripped = replace(shipped, text="The ferry runs twice a day.")
    assert stripped.word_count == 6
