"""Outlet and wire service: where each is claimed, and what is only a mention."""

from pathlib import Path

import pytest

from pipeline.records import Document, Page, RawPage
from pipeline.settings import Settings
from pipeline.tag.dateline import find_dateline
from pipeline.tag.outlets import find_outlet, find_wire_service, load_registry, tag_outlets


@pytest.fixture(scope="module")
def registry():
    return load_registry(Settings().outlets_file)


def document(text: str, *, authors=(), furniture=(), url=None, outlet=None, sitename=None) -> Document:
    raw = RawPage("page.txt", text.encode(), url=url, outlet=outlet)
    page = Page(raw, "raw-hash", text, False, "utf-8")
    return Document(
        article_id="a1", page=page, canonical_url=url, title="A headline of some words",
        authors=list(authors), sitename=sitename, description=None, text=text,
        content_hash="hash", extract_method="text_cleaner", url=url, furniture=list(furniture),
    )


# --- datelines ---------------------------------------------------------------------

def test_dateline_gives_place_and_agency():
    text = "KYIV, Ukraine (AP) — Russian drones struck the capital overnight."
    d = find_dateline(text)
    assert (d.place, d.agency, d.text) == ("KYIV, Ukraine", "AP", "KYIV, Ukraine (AP) —")
    assert text[d.end:].startswith("Russian drones")


def test_dateline_without_agency_and_ordinary_sentence():
    assert find_dateline("WASHINGTON — The Senate voted on Tuesday.").agency is None
    assert find_dateline("The Senate voted on Tuesday - late at night.") is None


# --- wire service: claims ----------------------------------------------------------

@pytest.mark.parametrize("text, wire, evidence", [
    ("MOSCOW (AP) — Russia said on Monday that talks would resume.", "AP", "MOSCOW (AP) —"),
    ("LONDON (Reuters) - Britain's economy grew in the third quarter.", "Reuters", "LONDON (Reuters) -"),
    ("BERLIN (dpa) - Die Regierung hat am Montag beschlossen.", "dpa", "BERLIN (dpa) -"),
])
def test_wire_service_from_dateline(registry, text, wire, evidence):
    assert find_wire_service(document(text), registry) == (wire, "dateline", evidence)


def test_wire_service_from_byline_in_authors(registry):
    doc = document("Officials said the talks would resume.", authors=["By Jane Doe, Associated Press"])
    assert find_wire_service(doc, registry) == ("AP", "byline", "By Jane Doe, Associated Press")


def test_wire_service_from_byline_in_first_paragraphs(registry):
    doc = document("By Jane Doe, Associated Press\n\nOfficials said the talks would resume on Monday.")
    assert find_wire_service(doc, registry) == ("AP", "byline", "By Jane Doe, Associated Press")


def test_wire_service_from_credit_line_in_furniture(registry):
    doc = document("Officials said the talks would resume on Monday.",
                   furniture=[("navigation", "Menu"), ("credit", "Copyright 2024 The Associated Press. All rights reserved.")])
    assert find_wire_service(doc, registry) == ("AP", "credit", "Copyright 2024 The Associated Press")


# --- wire service: mentions, not claims --------------------------------------------

@pytest.mark.parametrize("text, furniture", [
    # a photo credit in the text and as stripped caption furniture
    ("Smoke rises over the town after a night of fighting. Jane Roe / AP\n\nResidents fled on foot.",
     [("photo_caption", "Smoke rises over the town after a night of fighting. Jane Roe / AP")]),
    ("At least 40 people have died, according to a Reuters tally.\n\nThe count rose on Monday.", []),
    ("Rescuers searched the rubble.\n\nThe mayor resigned on Tuesday, AP reported, citing two officials.\n\nNo one commented.", []),
    ("WASHINGTON — The Senate voted 52-48 on Tuesday to pass the bill.", []),
])
def test_no_wire_service_from_mentions(registry, text, furniture):
    assert find_wire_service(document(text, furniture=furniture), registry) == (None, "none", None)


def test_dateline_agency_not_in_registry_is_no_wire_service(registry):
    doc = document("ATLANTA (CNN) — Storms moved east on Friday.")
    assert find_wire_service(doc, registry) == (None, "none", None)


# --- outlet --------------------------------------------------------------------------

def test_outlet_from_manifest_wins_over_url(registry):
    doc = document("Text.", url="https://www.laist.com/news/x", outlet="KPCC Newsroom")
    assert find_outlet(doc, registry) == ("KPCC Newsroom", "manifest", "KPCC Newsroom")


def test_outlet_from_registered_url_domain(registry):
    doc = document("Text.", url="https://www.laist.com/news/x")
    assert find_outlet(doc, registry) == ("LAist", "url_domain", "laist.com")


def test_outlet_from_sitename_known_and_unknown(registry):
    # a registry name in other case is the registry's name
    assert find_outlet(document("Text.", sitename="npr"), registry) == ("NPR", "sitename", "npr")
    assert find_outlet(document("Text.", sitename="The Harbour Gazette"), registry) == (
        "The Harbour Gazette", "sitename", "The Harbour Gazette")


def test_outlet_from_marker_in_page_furniture(registry):
    doc = document("Text.", furniture=[("image_label", "radio tower icon laist logo")])
    assert find_outlet(doc, registry) == ("LAist", "page_marker", "laist logo")


def test_outlet_marker_in_article_text_is_not_used(registry):
    doc = document("The station's laist logo was redesigned last year.")
    assert find_outlet(doc, registry) == (None, "none", None)


def test_outlet_from_unknown_domain(registry):
    doc = document("Text.", url="https://news.harbourgazette.co.uk/story/1")
    assert find_outlet(doc, registry) == ("harbourgazette.co.uk", "domain", "harbourgazette.co.uk")


def test_no_outlet_when_nothing_identifies_it(registry):
    assert find_outlet(document("Officials said the talks would resume."), registry) == (None, "none", None)


def test_tag_outlets_row(registry):
    doc = document("MOSCOW (AP) — Russia said on Monday that talks would resume.", url="https://www.npr.org/2024/x")
    assert tag_outlets([doc], registry) == [{
        "article_id": "a1", "outlet": "NPR", "outlet_method": "url_domain", "outlet_evidence": "npr.org",
        "wire_service": "AP", "wire_method": "dateline", "wire_evidence": "MOSCOW (AP) —",
    }]


# --- a user's own registry -------------------------------------------------------------

def test_user_registry_is_honoured(tmp_path: Path):
    path = tmp_path / "my_outlets.toml"
    path.write_text(
        '[[outlet]]\nname = "Harbour Gazette"\ndomains = ["harbourgazette.com"]\n'
        'markers = ["harbour gazette masthead"]\n\n'
        '[[outlet]]\nname = "Pacific Wire"\nkind = "wire service"\n'
        'wire = ["PW"]\naliases = ["Pacific Wire Service"]\n'
    )
    registry = load_registry(path)

    assert find_outlet(document("Text.", url="https://www.harbourgazette.com/a"), registry) == (
        "Harbour Gazette", "url_domain", "harbourgazette.com")
    assert find_outlet(document("Text.", furniture=[("image_label", "harbour gazette masthead")]), registry)[:2] == (
        "Harbour Gazette", "page_marker")
    assert find_wire_service(document("SUVA, Fiji (PW) — Cyclone warnings were lifted."), registry) == (
        "Pacific Wire", "dateline", "SUVA, Fiji (PW) —")
    assert find_wire_service(document("Text.", authors=["By Mele Tupou, Pacific Wire Service"]), registry)[:2] == (
        "Pacific Wire", "byline")
    # the file replaces the packaged registry: AP and LAist are unknown to it
    assert find_wire_service(document("MOSCOW (AP) — Russia said."), registry) == (None, "none", None)
    assert find_outlet(document("Text.", url="https://laist.com/x"), registry) == ("laist.com", "domain", "laist.com")


@pytest.mark.parametrize("line", [
    "By Monday, officials had spoken to Reuters",
    "By then the story was everywhere, including the Associated Press",
])
def test_a_sentence_opening_with_by_is_no_byline(registry, line):
    doc = document(f"{line}\n\nThe rest of the article follows here with more words.")
    assert find_wire_service(doc, registry)[0] is None


@pytest.mark.parametrize("line, wire", [
    ("By Jane Doe and John Roe, Associated Press", "AP"),
    ("By JANE DOE of Reuters", "Reuters"),
])
def test_bylines_naming_a_wire_service(registry, line, wire):
    doc = document(f"{line}\n\nThe rest of the article follows here with more words.")
    assert find_wire_service(doc, registry)[:2] == (wire, "byline")


def test_copyright_sign_credit_line_names_the_wire_service(registry):
    line = "Copyright © 2024 The Associated Press. All rights reserved."
    doc = document("Body text of the article goes here.", furniture=[("credit", line)])
    assert find_wire_service(doc, registry)[:2] == ("AP", "credit")
