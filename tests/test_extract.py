"""extract_page: decoded page -> article text and metadata, or a no_text reject."""

import hashlib

from pipeline.extract import extract_page
from pipeline.identity import article_id, content_hash
from pipeline.records import Document, Page, RawPage, Reject

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
CANONICAL = "https://www.example-news.com/local/2024/05/council-budget?id=42"

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
    assert doc.extract_method == "trafilatura"
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
    # The page's canonical link, with the host lower-cased and tracking and fragment dropped.
    assert doc.canonical_url == CANONICAL
    assert doc.url == "https://example-news.com/budget?utm_source=rss"  # where it was fetched, as given
    assert doc.content_hash == content_hash(doc.text)
    assert doc.article_id == article_id(CANONICAL, doc.content_hash)
    assert doc.page is page


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
