"""Entities: spaCy spans cleaned into names and merged within an article."""

import pytest

from pipeline.records import Document, Page, RawPage
from pipeline.settings import Settings
from pipeline.tag.entities import merge_entities, normalise_span, tag_entities


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
])
def test_normalises_names(span, entity_type, name):
    assert normalise_span(span, entity_type) == name


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
             ("NATO", "organisation", 50), ("EU", "organisation", 70)]
    assert as_tuples(merge_entities(spans)) == [
        ("North Atlantic Treaty Organization", "organisation", ["NATO", "North Atlantic Treaty Organization"], 3, 3),
        ("EU", "organisation", ["EU"], 1, 70),
    ]


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


def test_same_name_with_two_types_stays_two_entities():
    spans = [("Jordan", "place", 0), ("Jordan", "person", 10), ("Jordan", "place", 30)]
    assert as_tuples(merge_entities(spans)) == [
        ("Jordan", "place", ["Jordan"], 2, 0),
        ("Jordan", "person", ["Jordan"], 1, 10),
    ]


# --- tag_entities with the real model -------------------------------------------------

def test_tag_entities_on_a_news_paragraph():
    text = ("Mayor Karen Bass toured the port on Tuesday with officials from the Environmental Protection "
            "Agency. Bass said the agency would spend $40 million over three years to cut pollution "
            "in Long Beach.")
    raw = RawPage("p", text.encode())
    doc = Document("a1", Page(raw, "h", text, False, "utf-8"), None, None, [], None, None, text, "c", "text_cleaner")

    rows = tag_entities([doc], Settings().spacy_model)

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


def test_tag_entities_skips_the_dateline():
    text = ("KYIV, Ukraine (AP) — Ukrainian President Volodymyr Zelenskyy met NATO Secretary-General Mark "
            "Rutte on Thursday. Rutte told reporters in Brussels that the alliance would help.")
    raw = RawPage("p", text.encode())
    doc = Document("a1", Page(raw, "h", text, False, "utf-8"), None, None, [], None, None, text, "c", "text_cleaner")

    rows = tag_entities([doc], Settings().spacy_model)

    dateline_end = text.index("—") + 1
    assert rows and all(r["first_position"] > dateline_end for r in rows)
    assert "KYIV" not in {r["entity"] for r in rows}
    assert {r["entity"]: r["entity_type"] for r in rows}.get("Volodymyr Zelenskyy") == "person"
