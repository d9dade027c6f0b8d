"""Publication dates: from a dateline line, else the first full date; never after the fetch."""

from datetime import date, datetime, timezone

import pytest

from pipeline.records import Document, Page, RawPage
from pipeline.tag.dates import find_text_date, publication_date, tag_dates


def document(page_text: str, *, is_html=False, html_date=None, fetched_at=None) -> Document:
    raw = RawPage("page", page_text.encode(), fetched_at=fetched_at)
    page = Page(raw, "raw-hash", page_text, is_html, "utf-8")
    return Document(
        article_id="a1", page=page, canonical_url=None, title=None, authors=[], sitename=None,
        description=None, text="The article text.", content_hash="hash",
        extract_method="trafilatura" if is_html else "text_cleaner", html_date=html_date,
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


def test_date_after_the_fetch_time_is_refused():
    fetched = datetime(2024, 3, 3, 12, 0, tzinfo=timezone.utc)
    published, method, evidence = publication_date(document("Headline here\nPublished: March 5, 2024", fetched_at=fetched))
    assert (published, method) == (None, "none")
    assert evidence.startswith("refused 2024-03-05")


def test_date_within_a_day_of_the_fetch_time_is_kept():
    # time zones: a page can carry tomorrow's date where it was published
    fetched = datetime(2024, 3, 4, 23, 0, tzinfo=timezone.utc)
    assert publication_date(document("Published: March 5, 2024", fetched_at=fetched)) == (
        date(2024, 3, 5), "text_dateline", "Published: March 5, 2024")


def test_html_page_uses_htmldate():
    doc = document("<html><body><p>Posted March 5, 2024</p></body></html>", is_html=True, html_date="2021-12-23",
                   fetched_at=datetime(2024, 3, 6, tzinfo=timezone.utc))
    assert publication_date(doc) == (date(2021, 12, 23), "htmldate", "2021-12-23")


def test_html_page_without_htmldate_has_no_date():
    # the markup is htmldate's to read; its text is not searched for a date
    doc = document("<html><body><p>Published: March 5, 2024</p></body></html>", is_html=True)
    assert publication_date(doc) == (None, "none", None)


def test_tag_dates_row():
    doc = document("Published: 3 March 2024", fetched_at=None)
    assert tag_dates([doc]) == [{"article_id": "a1", "published_date": date(2024, 3, 3),
                                 "published_method": "text_dateline", "published_evidence": "Published: 3 March 2024"}]
