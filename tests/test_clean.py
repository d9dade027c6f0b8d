"""clean_text: furniture removal for pages that arrive as already-scraped text."""

from pipeline.clean import clean_text

TITLE = "City council approves new budget for east side bus routes"
BODY = [
    "The city council voted 7-2 on Tuesday to approve a budget that adds four bus routes on the east side.",
    "Council member Ana Diaz said the plan was the result of two years of talks with the transit union.",
    "Opponents said the city could not afford the drivers the new routes would need by next spring.",
    "The first of the new routes is expected to open in March, the transit agency said in a statement.",
    "Riders at Central Station on Wednesday said the change was long overdue for the neighbourhood.",
]
CAPTION = "Riders wait for a bus at Central Station in the rain on Tuesday morning"
GLUED_CAPTION = "Residents celebrate outside city hall after years of fighting.Jane Roe / AP"
APPEAL = [
    "Before you go: our newsroom relies on readers like you.",
    "Donate today and become a member to keep this reporting free for everyone.",
    "Thank you.",
]
# (reason, line) for every line the cleaner must strip, in page order.
FURNITURE = [
    ("navigation", "Skip to main content"),
    ("navigation", "Home"),
    ("before_title", "News"),
    ("before_title", "Local Politics"),
    ("player", "Listen Now Playing Listen"),
    ("player", "0:00"),
    ("browser_warning", "IE 11 is not supported. For an optimal experience visit our site on another browser."),
    ("image_label", "radio tower icon example logo"),
    ("caption", CAPTION),
    ("caption", CAPTION),
    ("sponsored", "Sponsored message"),
    ("photo_caption", GLUED_CAPTION),
    ("credit", "Copyright 2024 NPR."),
    *(("appeal", line) for line in APPEAL),
]

SCRAPED_PAGE = f"""Skip to main content
Home
News
Local Politics

{TITLE}

Listen Now Playing Listen
0:00

IE 11 is not supported. For an optimal experience visit our site on another browser.

radio tower icon example logo

{BODY[0]}

{CAPTION}
{CAPTION}

{BODY[1]}

{BODY[2]}

Sponsored message

{BODY[3]}

{GLUED_CAPTION}

{BODY[4]}

Copyright 2024 NPR.

{APPEAL[0]}
{APPEAL[1]}

{APPEAL[2]}
"""


def test_scraped_page_keeps_title_and_body_verbatim():
    cleaned = clean_text(SCRAPED_PAGE)
    assert cleaned.title == TITLE
    assert cleaned.text == "\n\n".join(BODY)


def test_scraped_page_strips_every_furniture_line_with_its_reason():
    cleaned = clean_text(SCRAPED_PAGE)
    assert cleaned.furniture == FURNITURE
    for _, line in FURNITURE:
        assert line not in cleaned.text
    assert TITLE not in cleaned.text


def test_paragraphs_keep_their_lines_and_white_space_is_normalised():
    page = f"{TITLE}\n\nFirst line of a paragraph,\n  second   line\u00a0of it.\n\n\n\nA second paragraph here."
    cleaned = clean_text(page)
    assert cleaned.text == "First line of a paragraph,\nsecond line of it.\n\nA second paragraph here."
    assert cleaned.furniture == []


def test_appeal_words_early_in_an_ordinary_article_are_kept():
    # Two appeal cues ("donation", "funding") in the article's first half: news, not an appeal.
    body = [
        "A private donation of two million dollars will cover the library's funding gap this year.",
        "The county board accepted the gift on Monday after a short debate about naming rights.",
        "Librarians said the money would pay for longer weekend hours at three branches.",
        "The branches had cut Sunday hours in 2020 and never restored them, staff said.",
        "The board will vote on the new schedule at its meeting next month.",
    ]
    page = "Library gets a gift to restore weekend hours\n\n" + "\n\n".join(body)
    cleaned = clean_text(page)
    assert cleaned.title == "Library gets a gift to restore weekend hours"
    assert cleaned.text == "\n\n".join(body)
    assert cleaned.furniture == []


def test_single_appeal_word_late_in_an_article_is_kept():
    body = [
        "The school board met on Thursday to discuss the budget for next year.",
        "Teachers asked for smaller classes and more classroom aides in every grade.",
        "The superintendent said state funding had not kept pace with enrolment.",
    ]
    page = "School board weighs next year's budget\n\n" + "\n\n".join(body)
    assert clean_text(page).text == "\n\n".join(body)


def test_appeal_runs_from_its_first_paragraph_to_the_end():
    body = [
        "The school board met on Thursday to discuss the budget for next year.",
        "Teachers asked for smaller classes and more classroom aides in every grade.",
        "The superintendent said the plan would be published next week.",
    ]
    tail = [
        "Support our journalism with a tax-deductible donation today.",
        "Questions? Write to the editors.",
    ]
    page = "School board weighs next year's budget\n\n" + "\n\n".join(body + tail)
    cleaned = clean_text(page)
    assert cleaned.text == "\n\n".join(body)
    assert cleaned.furniture == [("appeal", line) for line in tail]


def test_page_without_a_headline_like_line_has_no_title_and_strips_nothing_above():
    page = "Short.\n\nThis line ends with a full stop.\n\nSo does this one."
    cleaned = clean_text(page)
    assert cleaned.title is None
    assert cleaned.text == page


def test_copyright_sign_line_is_a_credit():
    page = "A headline with enough words here\n\nThe body paragraph of the article.\n\nCopyright © 2024 The Associated Press."
    result = clean_text(page)
    assert ("credit", "Copyright © 2024 The Associated Press.") in result.furniture
    assert "Copyright" not in result.text


def test_calls_to_follow_the_outlet_or_have_it_mailed_are_promos():
    page = ("A headline with enough words here\n\nThe body paragraph of the article.\n\n"
            "Follow The Gleaner on Twitter @JamaicaGleaner\n\nGet the best of the Gleaner delivered to your inbox.")
    result = clean_text(page)
    assert result.text.endswith("The body paragraph of the article.")
    assert [reason for reason, _ in result.furniture] == ["promo", "promo"]
