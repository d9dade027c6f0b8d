"""Publication dates: from a dateline line, else the first full date; never after the fetch."""

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
import trafilatura
from htmldate import find_date

from conftest import markup_of
from pipeline.decode import decode_page
from pipeline.extract import DATE_PARAMS, extract_page
from pipeline.records import Candidate, Document, Page, PageMarkup, RawPage
from pipeline.tag.dates import (
    CONFIDENCE, choose, find_text_date, header_attribute, header_candidate, parse_timestamp, redate_from_story,
    tag_dates, visible_text, weekday_near, weekday_of,
)


def document(page_text: str, *, is_html=False, html_date=None, fetched_at=None, listed=None, url=None,
             text="The article text.") -> Document:
    """A document of a page; an HTML page's markup read as extraction reads it."""
    raw = RawPage("page", page_text.encode(), url=url, fetched_at=fetched_at, listed_published=listed,
                  listed_by="feed" if listed else None)
    page = Page(raw, "raw-hash", page_text, is_html, "utf-8")
    return Document(
        article_id="a1", page=page, canonical_url=None, title=None, authors=[], sitename=None,
        description=None, text=text, content_hash="hash", url=url,
        extract_method="trafilatura" if is_html else "text_cleaner", html_date=html_date,
        markup=markup_of(page_text, url) if is_html else PageMarkup(),
    )


@pytest.mark.parametrize("text, expected", [
    ("Thursday, Dec. 23, 2021", date(2021, 12, 23)),
    ("The ceasefire was signed on 23 December 2021 in Geneva.", date(2021, 12, 23)),
    ("The filing, dated 2021-12-23, was made public on Friday.", date(2021, 12, 23)),
    ("Voters went to the polls on Sept. 5th, 2021 in large numbers.", date(2021, 9, 5)),
])
def test_full_date_in_text(text, expected):
    found, method, evidence = find_text_date(text)
    assert found == expected
    assert method in ("text_date", "text_dateline")
    assert evidence == text


def test_caption_date_is_the_first_full_date():
    text = ("Rescuers search the rubble, Thursday, Dec. 23, 2021.\n"
            "The city was struck again on Jan. 5, 2022, officials said.")
    assert find_text_date(text) == (date(2021, 12, 23), "text_date", "Rescuers search the rubble, Thursday, Dec. 23, 2021.")


def test_dateline_line_wins_over_an_earlier_date_in_the_body():
    text = ("Council approves new bus routes\n"
            "The plan, first proposed on March 1, 2023, drew hundreds of comments.\n"
            "  Published: March 3, 2024  \n"
            "Routes start in June.")
    assert find_text_date(text) == (date(2024, 3, 3), "text_dateline", "Published: March 3, 2024")


@pytest.mark.parametrize("text", [
    "He has led the team since 2014.",
    "The vote is on Thursday.",
    "Sales fell in May 2020 and recovered in 2021.",
    "The contract was signed on Feb. 30, 2021.",  # no such day
    "",
])
def test_no_date(text):
    assert find_text_date(text) is None


def chosen(doc, founded=None):
    c, candidates = choose(doc, founded)
    return (c.day, c.source, c.evidence) if c else None, candidates


def test_date_after_the_fetch_time_is_refused_and_kept_as_a_candidate():
    fetched = datetime(2024, 3, 3, 12, 0, tzinfo=timezone.utc)
    doc = document("Headline here\nPublished: March 5, 2024\nThe council met.", fetched_at=fetched)
    dates, candidates = tag_dates([doc])
    # nothing else dates the page: the fetch time is used, and flagged
    assert (dates[0]["published_date"], dates[0]["published_method"], dates[0]["published_inferred"]) == (
        date(2024, 3, 3), "fetch_time", True)
    assert [(c["candidate_date"], c["source"], c["status"]) for c in candidates] == [
        (date(2024, 3, 5), "text_dateline", "refused: after the fetch time"),
        (date(2024, 3, 3), "fetch_time", "chosen"),
    ]


def test_date_within_a_day_of_the_fetch_time_is_kept():
    # time zones: a page can carry tomorrow's date where it was published
    fetched = datetime(2024, 3, 4, 23, 0, tzinfo=timezone.utc)
    assert chosen(document("Published: March 5, 2024", fetched_at=fetched))[0] == (
        date(2024, 3, 5), "text_dateline", "Published: March 5, 2024")


def test_date_before_the_outlet_existed_is_refused():
    doc = document("Posted on May 3, 1994, this page was archived.")
    found, candidates = chosen(doc, founded=2009)
    assert found is None
    assert candidates[0].status == "refused: before the outlet existed (2009)"


def test_html_page_uses_htmldate_and_keeps_the_markup_candidates():
    page = """<html><head>
      <meta property="article:published_time" content="2021-12-23T14:05:00-05:00">
      <script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2021-12-23T19:05:00Z",
        "publisher": {"@type": "Organization", "name": "X"}}</script>
      </head><body><time datetime="2021-12-24">Dec 24</time><p>Text.</p></body></html>"""
    doc = document(page, is_html=True, html_date="2021-12-23", fetched_at=datetime(2024, 3, 6, tzinfo=timezone.utc),
                   url="https://example.org/news/2021/12/23/story")
    dates, candidates = tag_dates([doc])
    row = dates[0]
    assert (row["published_date"], row["published_method"], row["published_inferred"]) == (date(2021, 12, 23), "htmldate", False)
    # confirmed by the page's own publication time: the higher, measured confidence
    assert row["published_confidence"] == CONFIDENCE["htmldate_confirmed"]
    # the time comes from the first timestamp stated for that day, in UTC with its offset
    assert (row["published_at"], row["published_utc_offset"]) == (datetime(2021, 12, 23, 19, 5, tzinfo=timezone.utc), -300)
    assert [(c["source"], c["candidate_date"], c["status"]) for c in candidates] == [
        ("htmldate", date(2021, 12, 23), "chosen"),
        ("json_ld", date(2021, 12, 23), "candidate"),
        ("meta", date(2021, 12, 23), "candidate"),
        ("time_element", date(2021, 12, 24), "candidate"),
        ("url", date(2021, 12, 23), "candidate"),
    ]


def test_htmldate_alone_has_the_lower_confidence():
    doc = document("<html><body><p>Text.</p></body></html>", is_html=True, html_date="2021-12-23")
    assert tag_dates([doc])[0][0]["published_confidence"] == CONFIDENCE["htmldate"]


def test_html_page_without_any_date_has_none():
    doc = document("<html><body><p>Posted by the desk on a Thursday.</p></body></html>", is_html=True)
    assert chosen(doc) == (None, [])


def sources(doc: Document) -> tuple[str, date, list[tuple[str, date]]]:
    found, candidates = choose(doc)
    return found.source, found.day, [(c.source, c.day) for c in candidates]


def test_publication_time_in_the_sites_own_zone_overrides_htmldates_utc_day():
    # 01:59 in Cairo is 23:59 the day before in UTC: readers saw the 25th
    page = """<html><head>
      <meta property="article:published_time" content="2020-12-24T23:59:50+00:00">
      <script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2020-12-25T01:59:50+02:00"}</script>
      </head><body><p>Text.</p></body></html>"""
    doc = document(page, is_html=True, html_date="2020-12-24")
    assert sources(doc)[:2] == ("json_ld", date(2020, 12, 25))


def test_publication_time_in_utc_does_not_override_htmldate():
    # 02:18 UTC is the evening before in Miami, the day in the URL htmldate read
    page = """<html><head><script type="application/ld+json">{"datePublished": "2020-02-18T02:18:11Z"}</script>
      </head><body><p>Text.</p></body></html>"""
    doc = document(page, is_html=True, html_date="2020-02-17", url="https://laprensafl.example/2020/02/17/story/")
    assert sources(doc)[:2] == ("htmldate", date(2020, 2, 17))


def markup_page(json_ld: str | None, meta: str | None) -> str:
    tags = f'<meta property="article:published_time" content="{meta}">' if meta else ""
    if json_ld:
        tags += f'<script type="application/ld+json">{{"datePublished": "{json_ld}"}}</script>'
    return f"<html><head>{tags}</head><body><p>Text.</p></body></html>"


def test_json_ld_and_meta_agreeing_far_from_htmldate_override_it():
    # htmldate read a slug's "/2023/10/3-fragen" as the 3rd; the page's markup says the 31st twice
    stated = "2023-10-31T08:47:16+00:00"
    assert sources(document(markup_page(stated, stated), is_html=True, html_date="2023-10-03"))[:2] == (
        "json_ld", date(2023, 10, 31))


@pytest.mark.parametrize("json_ld, meta, html_date", [
    ("2023-10-31T08:47:16+00:00", None, "2023-10-03"),  # one source alone
    ("2023-10-31T23:47:16+00:00", "2023-10-31T23:47:16+00:00", "2023-11-01"),  # a day apart: a time zone
])
def test_htmldate_stands_against_one_source_or_a_day(json_ld, meta, html_date):
    doc = document(markup_page(json_ld, meta), is_html=True, html_date=html_date)
    assert sources(doc)[:2] == ("htmldate", date.fromisoformat(html_date))


def test_htmldate_confirmed_by_the_markup_stands_against_other_markup():
    page = """<html><head><meta property="article:published_time" content="2023-10-31T08:47:16+00:00">
      <script type="application/ld+json">[{"datePublished": "2023-10-03T08:00:00+00:00"},
        {"datePublished": "2023-10-31T08:47:16+00:00"}]</script></head><body><p>Text.</p></body></html>"""
    assert sources(document(page, is_html=True, html_date="2023-10-03"))[:2] == ("htmldate", date(2023, 10, 3))


def test_a_publication_time_without_a_zone_far_from_a_confirmed_htmldate_date_does_not_override_it():
    # The JSON-LD of a year-old version of the article; the meta tag states htmldate's day.
    page = """<html><head><meta property="article:published_time" content="2022-12-15T09:13:00">
      <script type="application/ld+json">{"datePublished": "2021-12-06 14:36"}</script></head><body><p>Text.</p></body></html>"""
    assert sources(document(page, is_html=True, html_date="2022-12-15"))[:2] == ("htmldate", date(2022, 12, 15))


def test_a_year_alone_from_htmldate_is_refused_and_the_fetch_day_flagged_instead():
    doc = document("<html><body><p>Text.</p><footer>© 2016 Example News</footer></body></html>", is_html=True,
                   html_date="2016-01-01", fetched_at=datetime(2020, 6, 23, 8, tzinfo=timezone.utc))
    doc.html_date_coarse = True
    found, candidates = choose(doc)
    assert (found.source, found.day) == ("fetch_time", date(2020, 6, 23))
    assert [(c.source, c.day, c.status) for c in candidates if c.source == "htmldate"] == [
        ("htmldate", date(2016, 1, 1), "refused: a year or a month, not a day the page states")]
    assert tag_dates([doc])[0][0]["published_inferred"] is True


def test_microdata_publication_date_without_a_zone_is_the_sites_day():
    page = """<html><body><p>Text.</p><footer>
      <time itemprop="dateModified" datetime="2022-01-21">21.01.2022</time>
      <time itemprop="datePublished" datetime="2022-01-27">27.01.2022</time></footer></body></html>"""
    doc = document(page, is_html=True, html_date="2022-01-21")
    found, day, candidates = sources(doc)
    assert (found, day) == ("microdata", date(2022, 1, 27))
    assert ("htmldate", date(2022, 1, 21)) in candidates


@pytest.mark.parametrize("time, shown, evidence", [
    ('<time datetime="2022-01-25T08:00:00+01:00">25. Januar 2022</time>', date(2022, 1, 25),
     "<time datetime=2022-01-25T08:00:00+01:00>"),
    ('<time class="create-date">  31.03.2020 </time>', date(2020, 3, 31), "<time>31.03.2020</time>"),
])
def test_the_pages_one_time_element_far_from_an_unconfirmed_htmldate_date_overrides_it(time, shown, evidence):
    doc = document(f"<html><body><p>Text.</p><footer>{time}</footer></body></html>", is_html=True, html_date="2019-06-02")
    found, candidates = choose(doc)
    assert (found.source, found.day, found.evidence) == ("time_element", shown, evidence)
    assert ("htmldate", date(2019, 6, 2), "candidate") in [(c.source, c.day, c.status) for c in candidates]


def bylined_page(head: str = "") -> str:
    """A page whose byline shows its date in a form htmldate does not read; htmldate takes
    the page's update time instead (wirtschaftspsychologie-aktuell.de's page does so)."""
    return f"""<html lang="de"><head><title>Warum Sie die St\u00e4rken Ihrer Mitarbeitenden st\u00e4rken sollten</title>
      <meta property="og:updated_time" content="2022-12-16T17:30:38+0100">{head}</head><body>
      <header><h1>Warum Sie die St\u00e4rken Ihrer Mitarbeitenden st\u00e4rken sollten</h1>
      <div>Von <span class="byline__author-name">Christian Thiele</span>,
        <span class="byline__created-date">07 Dezember, 2022</span></div></header>
      <article><p>St\u00e4rkenorientierte F\u00fchrung \u2013 was hei\u00dft das eigentlich? Welchen Nutzen bringt es?</p>
      <p>Derzeit l\u00e4uft die Fu\u00dfball-Weltmeisterschaft. Stellen Sie sich vor, Sie sind Fu\u00dfballtrainer.</p>
      <p>Keller ist der Elfmetergott, Mayer hat unglaubliche Freisto\u00dfk\u00fcnste, aber bei Elfmetern nicht.</p>
      </article></body></html>"""


def test_the_date_shown_between_headline_and_text_overrides_an_unconfirmed_htmldate_date():
    doc = extract_page(decode_page(RawPage("p", bylined_page().encode(), url="https://magazin.example/staerken")))
    assert doc.html_date == "2022-12-16"
    found, candidates = choose(doc)
    assert (found.source, found.day, found.evidence) == ("header", date(2022, 12, 7), "Von Christian Thiele, 07 Dezember, 2022")
    assert ("htmldate", date(2022, 12, 16), "candidate") in [(c.source, c.day, c.status) for c in candidates]
    # the page's publication time confirms htmldate: the header's date is another's
    confirmed = bylined_page('<meta property="article:published_time" content="2022-12-16T16:30:38Z">')
    found, candidates = choose(extract_page(decode_page(RawPage("p", confirmed.encode()))))
    assert (found.source, found.day) == ("htmldate", date(2022, 12, 16))
    assert ("header", date(2022, 12, 7), "candidate") in [(c.source, c.day, c.status) for c in candidates]


ESSAY = ("<p>Die Krise trifft alle: Achtsamkeit kann helfen, mit Angst, Unsicherheit und dem Stress der "
         "Isolation umzugehen, sagt die Psychologin im Gespr\u00e4ch.</p>")


def test_a_date_the_header_holds_in_an_attribute_overrides_an_unconfirmed_htmldate_date():
    # furche.at: the header's timeline shows the date by script; htmldate took a sidebar's
    page = f"""<html><head><title>Achtsam durch die Krise</title>
      <meta property="og:updated_time" content="2020-07-01T20:38:24+0200"></head><body>
      <article><h1>Achtsam durch die Krise</h1><div class="timeline"><div data-date="18. M\u00e4rz 2020"></div></div>
      {ESSAY}<p>Was uns in der Krise zusammenh\u00e4lt, ist die Aufmerksamkeit f\u00fcreinander.</p></article></body></html>"""
    doc = extract_page(decode_page(RawPage("p", page.encode())))
    found, candidates = choose(doc)
    assert (found.source, found.day, found.evidence) == ("header", date(2020, 3, 18), 'data-date="18. M\u00e4rz 2020"')
    assert ("htmldate", date(2020, 7, 1), "candidate") in [(c.source, c.day, c.status) for c in candidates]


@pytest.mark.parametrize("header, expected", [
    ('<span data-timestamp="1579500318000">x</span>', date(2020, 1, 20)),  # milliseconds since 1970
    ('<span data-time="1642764331">x</span>', date(2022, 1, 21)),
    ('<span data-timestamp="2020-10-13T16:00:32.000Z">x</span>', date(2020, 10, 13)),
    ('<span data-date="16-05-2020 12:36:50">x</span>', date(2020, 5, 16)),
    ('<span data-time="20">x</span>', None),  # no date
    ('<span data-date="2020-02-30">x</span>', None),  # no such day
    (f"{ESSAY}<span data-date=\"2019-10-20\">x</span>", None),  # after the text has begun: another article's
    ("<i></i>" * 70 + '<span data-date="2019-10-20">x</span>', None),  # past the header's elements
])
def test_the_header_attribute_is_the_first_dated_element_after_the_headline_before_the_text(header, expected):
    found = header_attribute(trafilatura.load_html(f"<html><body><h1>Headline</h1>{header}{ESSAY}</body></html>"))
    assert (found.day if found else None) == expected

HEADLINE = "Kicker - The council votes on the new budget"
OPENING = "The city council voted on Tuesday to adopt a budget of record size."


@pytest.mark.parametrize("between, expected", [
    ("By Jane Doe | 13 Oct 2020 18:29 | Exclusives", date(2020, 10, 13)),
    ("Bild: AdobeStock/rangizzz 20.12.2022", date(2022, 12, 20)),
    # htmldate's parser reads no date with this much after it
    ("By Alex Bozarjian Thursday, November 9, 2023 4:41AM EMBED <> More Videos", date(2023, 11, 9)),
    ("News by: DJ Summers Posted: Oct 6, 2020 / 03:38 PM MDT / Updated: Oct 7, 2020", date(2020, 10, 6)),
    ("Published March 8, 2021 Updated March 14, 2021", date(2021, 3, 8)),
    ("Von Jane Doe 07.12.2022 \u00b7 Dec 9, 2022", date(2022, 12, 7)),  # the first, whichever parser reads it
    ("By Rob Picheta, CNN Updated 2010 GMT (0410 HKT) March 14, 2021", None),  # an update's date only
    ("By Jane Doe", None),
    # a longer stretch is a teaser or a listing, not the article's header
    ("Read also: " + "the mayor's plan for the harbour, and what it costs " * 2 + "May 2, 2021", None),
])
def test_the_header_date_is_the_first_date_between_the_headline_and_the_text(between, expected):
    # the page shows the kicker apart from the headline, and its nav names other dates
    shown = f"Home 1 Jan 2019 Kicker The council votes on the new budget {between} {OPENING} More news 4 May 2021"
    found = header_candidate(shown, HEADLINE, f"{OPENING}\n\nThe vote was close.")
    assert (found.day if found else None) == expected


def test_the_text_is_found_in_the_visible_text_though_its_nodes_are_joined_with_spaces():
    page = """<html><body><h1>The council votes on the new budget</h1><p>By Jane Doe, May 5, 2022</p>
      <p><b>BERLIN</b>, the council voted on Tuesday to adopt a budget of record size.</p></body></html>"""
    shown = visible_text(trafilatura.load_html(page))
    assert "BERLIN , the council" in shown
    text = "BERLIN, the council voted on Tuesday to adopt a budget of record size."
    assert header_candidate(shown, "The council votes on the new budget", text).day == date(2022, 5, 5)


def test_where_a_teaser_shows_headline_and_opening_first_the_header_is_where_a_date_stands_between():
    shown = (f"Home The council votes on the new budget {OPENING} Read on | Kicker The council votes on the new "
             f"budget Berlin, 28.10.2021, 058/21 {OPENING} The vote was close.")
    found = header_candidate(shown, HEADLINE, f"{OPENING}\n\nThe vote was close.")
    assert (found.day, found.evidence) == (date(2021, 10, 28), "Berlin, 28.10.2021, 058/21")


def test_markup_in_the_sites_zone_gives_way_to_htmldates_day_shown_under_the_headline():
    # drk.de: its markup's datePublished is the evening before the press release's date
    page = """<html><body><p>Text.</p>
      <time itemprop="datePublished" datetime="2021-10-27T20:35:36+01:00">27.10.2021</time></body></html>"""
    doc = document(page, is_html=True, html_date="2021-10-28")
    assert sources(doc)[:2] == ("microdata", date(2021, 10, 27))
    header = Candidate(date(2021, 10, 28), "header", "Berlin, 28.10.2021, 058/21")
    doc.markup = replace(doc.markup, dates=(*doc.markup.dates, header))
    assert sources(doc)[:2] == ("htmldate", date(2021, 10, 28))


def test_a_header_date_a_day_from_htmldate_leaves_htmldate_its_day():
    doc = document("<html><body><p>Text.</p></body></html>", is_html=True, html_date="2022-12-16")
    doc.markup = replace(doc.markup, dates=(*doc.markup.dates, Candidate(date(2022, 12, 15), "header", "15.12.2022")))
    assert sources(doc)[:2] == ("htmldate", date(2022, 12, 16))


@pytest.mark.parametrize("shown", ["4. 2. 2022", "04.02. 2022", "4. 2. 2022 | 10:15"])
def test_a_spaced_dotted_date_htmldate_reads_month_first_is_read_day_first(shown):
    page = f"""<html><body><article><h1>Davis Cup</h1><p>Der Teamchef hat nominiert.</p>
      <span class="date">{shown}</span></article></body></html>"""
    html_date = find_date(page, **DATE_PARAMS)  # 2022-04-02 with htmldate 1.11
    found, _ = choose(document(page, is_html=True, html_date=html_date))
    assert (found.source, found.day) == ("htmldate", date(2022, 2, 4))
    assert found.evidence in (html_date, f"{html_date} read day first: {shown.split(' |')[0]}")


@pytest.mark.parametrize("page_dates, url", [
    ("4. 2. 2022 and 2. 4. 2022", None),  # the page writes both days day first
    ("4. 2. 2022", "https://example.org/2022/04/02/story"),  # another source states htmldate's day
    ("13. 2. 2022", None),  # no month-first reading
    ("04.02.2022", None),  # htmldate reads it day first itself
])
def test_htmldate_read_month_first_only_where_the_page_misleads_it(page_dates, url):
    page = f"<html><body><p>Text.</p><p>{page_dates}</p></body></html>"
    found, _ = choose(document(page, is_html=True, html_date="2022-04-02", url=url))
    assert (found.source, found.day) == ("htmldate", date(2022, 4, 2))


@pytest.mark.parametrize("head, times", [
    # htmldate confirmed by the page's publication time
    ('<meta property="article:published_time" content="2019-06-02T10:00:00+02:00">', '<time datetime="2022-01-25">x</time>'),
    ("", '<time datetime="2022-01-25">x</time><time datetime="2022-01-27">y</time>'),  # two days shown
    ("", '<time datetime="2022-01-25T23:00:00Z">x</time>'),  # in UTC, as many sites write any time
    ("", '<time datetime="2019-06-03">x</time>'),  # a day apart: a time zone
    ("", "<time>vor 3 Stunden</time>"),  # no date
])
def test_htmldate_stands_against_other_time_elements(head, times):
    doc = document(f"<html><head>{head}</head><body><p>Text.</p>{times}</body></html>", is_html=True, html_date="2019-06-02")
    assert choose(doc)[0].source == "htmldate"


@pytest.mark.parametrize("footer, expected", [
    ("Letzte \u00c4nderung: 31.10.2023 - 14:49<br>Erschienen am: 01.11.2023<br>Lesungen: 61", date(2023, 11, 1)),
    ("<span>Erschienen am:</span> <h2>13. Oktober 2021</h2>", date(2021, 10, 13)),
    ("Written: 2023-11-07 15:03:30 / Updated: 2023-11-08", date(2023, 11, 7)),
    ("Published on January 19, 2020 / 12:25 PM", date(2020, 1, 19)),
    ("Erstellt am: 01.11.2023", date(2023, 11, 1)),
])
def test_labelled_publication_date_in_the_visible_text(footer, expected):
    doc = document(f"<html><body><p>Text.</p><p>{footer}</p></body></html>", is_html=True, html_date="2023-10-31")
    assert sources(doc)[:2] == ("label", expected)


def test_a_label_does_not_override_htmldate_confirmed_by_the_publication_markup():
    footer = "<p>Ver\u00f6ffentlicht am 20.01.2022</p>"
    confirmed = f"""<html><head><meta property="article:published_time" content="2022-01-26T08:00:00+00:00">
      </head><body><p>Text.</p>{footer}</body></html>"""
    assert sources(document(confirmed, is_html=True, html_date="2022-01-26"))[:2] == ("htmldate", date(2022, 1, 26))
    # alone, htmldate gives way to the label
    alone = f"<html><body><p>Text.</p>{footer}</body></html>"
    assert sources(document(alone, is_html=True, html_date="2022-01-26"))[:2] == ("label", date(2022, 1, 20))


def test_a_label_a_day_from_htmldates_utc_day_is_the_local_day():
    # 02:30 UTC on the 8th is the evening of the 7th west of UTC, the day the page shows
    page = """<html><head><meta property="article:published_time" content="2023-11-08T02:30:00Z">
      </head><body><p>Text.</p><p>Published: November 7, 2023</p></body></html>"""
    assert sources(document(page, is_html=True, html_date="2023-11-08"))[:2] == ("label", date(2023, 11, 7))


DATELINED = ("News24\n\n13 Jan 2020, 22:11 GMT+10\n\n"
             "Exhausted firefighters said on Monday they had finally brought the megablaze under control.")


def test_a_dateline_heading_the_article_overrides_htmldate():
    # 22:11 in Sydney: htmldate read the next day from the page
    alone = document("<html><body><p>Text.</p></body></html>", is_html=True, html_date="2020-01-14", text=DATELINED)
    assert sources(alone) == ("text_dateline", date(2020, 1, 13),
                              [("htmldate", date(2020, 1, 14)), ("text_dateline", date(2020, 1, 13))])
    assert choose(alone)[0].evidence == "13 Jan 2020, 22:11 GMT+10"
    # the date its readers are shown, also where the markup's UTC time gives htmldate's
    confirmed = document(markup_page(None, "2020-01-14T02:00:00+00:00"), is_html=True, html_date="2020-01-14",
                         text=DATELINED)
    assert sources(confirmed) == ("text_dateline", date(2020, 1, 13), [
        ("htmldate", date(2020, 1, 14)), ("meta", date(2020, 1, 14)), ("text_dateline", date(2020, 1, 13))])
    # with no date in the markup, the dateline dates the page, not the fetch time
    undated = document("<html><body><p>Text.</p></body></html>", is_html=True, text=DATELINED,
                       fetched_at=datetime(2020, 2, 1, tzinfo=timezone.utc))
    assert sources(undated) == ("text_dateline", date(2020, 1, 13), [("text_dateline", date(2020, 1, 13))])


@pytest.mark.parametrize("paragraph, expected, evidence", [
    ("Karlsruhe, (12.11.2021). Traditionell gedenken Christen am Ewigkeitssonntag ihrer Toten.",
     date(2021, 11, 12), "Karlsruhe, (12.11.2021"),
    ("(21. November 2022) Energieverbraucher erhalten eine Preiserh\u00f6hung nach der n\u00e4chsten.",
     date(2022, 11, 21), "(21. November 2022"),
    ("20. M\u00e4rz 2021 - 15:00 Uhr", date(2021, 3, 20), "20. M\u00e4rz 2021"),
    ("31. Oktober 2023. Dragqueens sind Kunstfiguren aus Make-up und Glitter.", date(2023, 10, 31), "31. Oktober 2023"),
    ("02.02.2022 10:16 Uhr - 1. Bundesliga - PM Vereine", date(2022, 2, 2), "02.02.2022"),
    ("BERLIN, 3. Mai 2022 \u2013 Die Regierung hat beschlossen.", date(2022, 5, 3), "BERLIN, 3. Mai 2022"),
    # tagesschau.de's "as of" line: the day its readers see, a day before its meta tag's
    ("Stand: 28.04.2020 18:00 Uhr", date(2020, 4, 28), "Stand: 28.04.2020 18:00 Uhr"),
    ("Updated: 3.3.2024", date(2024, 3, 3), "Updated: 3.3.2024"),
    # the first dateline heads the article, not a dated teaser line after it
    ("02.02.2022 10:16 Uhr - 1. Bundesliga - PM Vereine\n\n30.01.2022 \u00b7 M\u00e4nner \u00b7 HBL1",
     date(2022, 2, 2), "02.02.2022"),
])
def test_a_paragraph_opening_with_the_date_is_a_dateline_in_any_language(paragraph, expected, evidence):
    doc = document("<html><body><p>Text.</p></body></html>", is_html=True, html_date="2023-12-01",
                   text=f"A headline kicker\n\n{paragraph}\n\nThe article goes on.")
    found = choose(doc)[0]
    assert (found.source, found.day, found.evidence) == ("text_dateline", expected, evidence)


@pytest.mark.parametrize("text", [
    "8 August 2009: the first proper blog post went up.\n\nTen years on.",  # a timeline's entry
    "10 Dinge, die 2020 wichtig waren.\n\nErstens.",  # a number, not a day
    "Am Samstag, 15.01. wurde es mild.\n\nDann kam der Schnee.",  # no year
    "Officials met on Monday.\n\nThe talks, first held on 13 Jan 2020, resumed.",  # inside a sentence
    "First.\n\nSecond.\n\nThird.\n\n13 Jan 2020",  # below the article's head
    "Officials met.\n\n\u2014 Elon Musk (@elonmusk) March 16, 2020",  # a quoted post's date
])
def test_a_date_that_does_not_head_the_article_is_no_dateline(text):
    doc = document("<html><body><p>Text.</p></body></html>", is_html=True, html_date="2020-01-14", text=text)
    assert sources(doc) == ("htmldate", date(2020, 1, 14), [("htmldate", date(2020, 1, 14))])


@pytest.mark.parametrize("footer", [
    "Posted by Zitrod Articles , 06/01/2020",  # a byline between label and date
    "Zuerst ver\u00f6ffentlicht. Digital-Life 11.09.2017",  # the label ends a sentence
    "<script>var published = '2019-01-01';</script>",  # not visible text
])
def test_no_labelled_date(footer):
    doc = document(f"<html><body><p>Text.</p><p>{footer}</p></body></html>", is_html=True, html_date="2023-10-31")
    assert sources(doc)[:2] == ("htmldate", date(2023, 10, 31))


@pytest.mark.parametrize("url, expected", [
    ("https://example.org/2020/02/18/ciencia/story.html", date(2020, 2, 18)),
    ("https://example.org/news/2020-02-18-council-votes", date(2020, 2, 18)),
    ("https://example.org/2023/10/3-fragen-an-tina", None),  # year and month, then a slug
])
def test_date_in_the_url(url, expected):
    doc = document("<html><body><p>Text.</p></body></html>", is_html=True, url=url)
    found, _ = chosen(doc)
    assert (found and found[0]) == expected


@pytest.mark.parametrize("value, expected", [
    ("2021-12-23T14:05:00-05:00", (date(2021, 12, 23), datetime(2021, 12, 23, 19, 5, tzinfo=timezone.utc), -300)),
    ("2020-05-02T02:54:29.000Z", (date(2020, 5, 2), datetime(2020, 5, 2, 2, 54, 29, tzinfo=timezone.utc), 0)),
    ("2020-06-29T00:16:15+0300", (date(2020, 6, 29), datetime(2020, 6, 28, 21, 16, 15, tzinfo=timezone.utc), 180)),
    ("2021-12-23", (date(2021, 12, 23), None, None)),
    ("2021-12-23T10:00:00", (date(2021, 12, 23), None, None)),  # a time without a zone is no instant
    ("2021-02-30", None),
    ("yesterday", None),
])
def test_parse_timestamp(value, expected):
    assert parse_timestamp(value) == expected


def test_caption_date_is_named_as_such():
    caption = "Russian President Vladimir Putin in Moscow, Thursday, Dec. 23, 2021."
    doc = document(f"Putin urges West\n{caption}\nMOSCOW (AP) — Putin spoke.")
    doc.furniture = [("caption", caption)]
    assert chosen(doc)[0] == (date(2021, 12, 23), "caption", caption)


def test_weekday_before_the_fetch_time_then_from_the_story():
    doc = document("Putin spoke at his annual news conference.", fetched_at=datetime(2026, 11, 23, 8, tzinfo=timezone.utc))
    doc.text = "Putin spoke at his annual news conference Thursday, blaming the West.\n\nHe said talks would start next month."
    dates, candidates = tag_dates([doc])
    row = dates[0]
    assert (row["published_date"], row["published_method"], row["published_inferred"]) == (
        date(2026, 11, 19), "weekday_fetch_time", True)  # the Thursday before Monday 23 November
    redated, candidate = redate_from_story(row, doc.text, [date(2021, 12, 23), date(2021, 12, 24)])
    assert (redated["published_date"], redated["published_method"], redated["published_inferred"]) == (
        date(2021, 12, 23), "weekday_story", True)
    assert candidate.evidence == "Thursday; story dated 2021-12-23"


def test_next_or_last_weekday_does_not_date_the_article():
    assert weekday_of("Talks resume next Thursday in Geneva.") is None
    assert weekday_of("Officials met last Friday.\n\nOn Monday the talks resumed.") == "Monday"


@pytest.mark.parametrize("weekday, anchor, before_only, expected", [
    ("Thursday", date(2021, 12, 23), True, date(2021, 12, 23)),  # the day itself
    ("Thursday", date(2021, 12, 24), True, date(2021, 12, 23)),
    ("Thursday", date(2021, 12, 22), True, date(2021, 12, 16)),
    ("Thursday", date(2021, 12, 22), False, date(2021, 12, 23)),  # nearest, either side
    ("Monday", date(2021, 12, 23), False, date(2021, 12, 20)),
])
def test_weekday_near(weekday, anchor, before_only, expected):
    assert weekday_near(weekday, anchor, before_only) == expected


def test_dated_article_is_not_redated_by_its_story():
    doc = document("Published: 3 March 2024\nThe council met Thursday.")
    row = tag_dates([doc])[0][0]
    assert row["published_method"] == "text_dateline"
    assert redate_from_story(row, "The council met Thursday.", [date(2024, 3, 10)]) is None


def test_placeholders_and_repeats_in_the_markup():
    page = """<?xml version="1.0" encoding="utf-8"?>
      <html><head>
      <meta property="article:published_time" content="0001-01-01T00:00:00+01:00">
      <meta name="parsely-pub-date" content="1970-01-01T00:00:00Z">
      <meta name="sailthru.date" content="2021-12-23T10:00:00Z">
      <meta name="pubdate" content="2021-12-23T11:00:00Z">
      </head><body><p>Text.</p></body></html>"""
    doc = document(page, is_html=True)
    dates, candidates = tag_dates([doc])
    # the calendar's first day overflows into nothing; 1970 is refused; two tags of one day are one candidate
    assert [(c["candidate_date"], c["status"]) for c in candidates] == [
        (date(1970, 1, 1), "refused: before 1990"), (date(2021, 12, 23), "chosen")]
    assert dates[0]["published_date"] == date(2021, 12, 23)


def test_story_date_nearest_the_fetch_and_never_after_it():
    row = {"article_id": "a1", "published_method": "weekday_fetch_time"}
    fetched = datetime(2021, 12, 23, 20, tzinfo=timezone.utc)
    redated, _ = redate_from_story(row, "Officials met Thursday.", [date(2021, 11, 1), date(2021, 12, 22)], fetched)
    assert redated["published_date"] == date(2021, 12, 23)
    # "Saturday" next to 2021-12-22 is the 25th, after the fetch: refused, the fetch-time guess stays
    assert redate_from_story(row, "Officials met Saturday.", [date(2021, 12, 22)], fetched) is None


def test_the_feeds_date_dates_a_page_that_states_none():
    listed = datetime(2024, 3, 5, 23, 30, tzinfo=timezone.utc)
    doc = document("<html><body><p>Text.</p></body></html>", is_html=True, listed=listed)
    found, candidates = choose(doc)
    assert (found.day, found.source, found.at) == (date(2024, 3, 5), "listed", listed)
    assert found.evidence == "feed 2024-03-05T23:30:00+00:00"
    # what the page states wins over the listing
    dated = document("<html><body><p>Text.</p></body></html>", is_html=True, html_date="2024-03-06", listed=listed)
    assert sources(dated)[:2] == ("htmldate", date(2024, 3, 6))


@pytest.mark.parametrize("text, expected", [
    ("Published: March 3, 2024\nThe plan was first proposed on March 1, 2023.", ("text_dateline", date(2024, 3, 3))),
    ("The plan was first proposed on March 1, 2023.", ("listed", date(2024, 3, 5))),
])
def test_the_feeds_date_ranks_between_a_dateline_and_a_date_in_the_text(text, expected):
    doc = document(text, listed=datetime(2024, 3, 5, 12, tzinfo=timezone.utc))
    assert sources(doc)[:2] == expected


def test_a_labelled_date_with_an_impossible_offset_is_no_candidate():
    doc = document("<html><body><p>Published: 2021-12-23T10:00:00+2500</p></body></html>", is_html=True)
    assert [c.source for c in choose(doc)[1]] == []
