"""Outlet, wire service and content source: where each is claimed, and what is only a mention."""

from pathlib import Path

import pytest
import trafilatura

from conftest import markup_of
from pipeline.records import Document, Page, PageMarkup, RawPage
from pipeline.settings import Settings
from pipeline.tag.dateline import find_dateline, find_wire_dateline
from pipeline.tag.markup import json_ld
from pipeline.tag.outlets import find_outlet, tag_outlets, usable_site_name
from pipeline.tag.registry import load_registry, registered_domain
from pipeline.tag.wire import find_content_source, find_wire_service, markup_lines


@pytest.fixture(scope="module")
def registry():
    return load_registry(Settings().outlets_file)


def document(text: str, *, authors=(), furniture=(), url=None, outlet=None, sitename=None, html=None) -> Document:
    """A document of `text`; with `html`, that is the page it was extracted from."""
    raw = RawPage("page.txt", (html or text).encode(), url=url, outlet=outlet)
    page = Page(raw, "raw-hash", html or text, html is not None, "utf-8")
    return Document(
        article_id="a1", page=page, canonical_url=url, title="A headline of some words",
        authors=list(authors), sitename=sitename, description=None, text=text,
        content_hash="hash", extract_method="text_cleaner", url=url, furniture=list(furniture),
        markup=markup_of(html, url) if html else PageMarkup(),
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
        "is_syndicated": True, "content_source": None, "content_source_method": "none",
        "content_source_evidence": None, "original_url": None,
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


# --- registry ------------------------------------------------------------------------------

def test_registry_entries_carry_founding_year_and_names(registry):
    ap = registry.named("the associated press")
    assert (ap.name, ap.founded, ap.is_wire_service) == ("AP", 1846, True)
    assert registry.named("NPR").founded == 1970 and not registry.named("NPR").is_wire_service
    assert registry.named("Nobody Press") is None
    assert (registry.founded("LAist"), registry.founded("laist.com"), registry.founded(None)) == (2004, None, None)


def test_founded_is_optional_in_a_user_registry(tmp_path: Path):
    path = tmp_path / "outlets.toml"
    path.write_text('[[outlet]]\nname = "Harbour Gazette"\n\n[[outlet]]\nname = "Old Gazette"\nfounded = 1888\n')
    registry = load_registry(path)
    assert registry.named("Harbour Gazette").founded is None and registry.named("Old Gazette").founded == 1888


# --- the looser datelines of wire copy ---------------------------------------------------------

@pytest.mark.parametrize("text, agency, place", [
    ("Hamburg (dpa/lno) – Der Senat hat am Dienstag beschlossen.", "dpa", "Hamburg"),
    ("Frankfurt/Main (dpa) - Die Messe beginnt am Montag.", "dpa", "Frankfurt/Main"),
    ("Bruselas, 7 oct (EFE).- El Gobierno aprobó el plan.", "EFE", "Bruselas"),
    ("(Reuters) - Shares rose on Tuesday.", "Reuters", ""),
    ("МОСКВА, 29 июня. /ТАСС/. Власти города объявили о планах.", "ТАСС", "МОСКВА"),
    ("HARBOUR CITY (Town Crier / Reuters - 3rd May, 2024) The port reopened.", "Reuters", "HARBOUR CITY"),
])
def test_wire_dateline_forms(text, agency, place):
    d = find_dateline(text, ["dpa", "EFE", "Reuters", "ТАСС"])
    assert (d.agency, d.place) == (agency, place)


def test_looser_dateline_forms_need_a_known_agency():
    assert find_dateline("Hamburg (dpa) – Der Senat tagte.") is None  # no agencies given: the plain form only
    assert find_dateline("Apple (AAPL) - Shares rose on Tuesday.", ["AP"]) is None
    assert find_dateline("(AP Photo/Jane Roe) The crowd gathered.", ["AP"]) is None


def test_dateline_through_an_agency_names_the_outlet_it_came_from():
    d = find_dateline("HARBOUR NEWS via PW — The council voted on Monday.", ["PW"])
    assert (d.agency, d.source, d.text) == ("PW", "HARBOUR NEWS", "HARBOUR NEWS via PW —")


def test_wire_dateline_after_a_standfirst_and_menu_lines():
    text = ("- Home\n\n- World\n\nA short standfirst about the story comes first.\n\n"
            "LONDON (Reuters) - Britain's economy grew in the third quarter.")
    d = find_wire_dateline(text, ["Reuters"])
    assert d.text == "LONDON (Reuters) -" and text[d.end:].startswith("Britain's")
    late = "\n\n".join(["A paragraph of several words here."] * 5 + ["LONDON (Reuters) - Late."])
    assert find_wire_dateline(late, ["Reuters"]) is None


# --- wire service: more claims -------------------------------------------------------------------

@pytest.mark.parametrize("author, wire", [
    ("Reuters", "Reuters"),
    ("PTI", "PTI"),
    ("Ap Sports Writer", "AP"),
    ("Par AFP publié le", "AFP"),
    ("Le Monde with AFP", "AFP"),
    ("Dpa", "dpa"),
    ("MARA LINDQVIST Associated Press", "AP"),
    ("Tomas Brenn Sputnik International", "Sputnik"),
])
def test_wire_service_from_an_author_naming_the_agency(registry, author, wire):
    doc = document("Officials said the talks would resume.", authors=["Mara Lindqvist", author])
    assert find_wire_service(doc, registry) == (wire, "byline", author)


@pytest.mark.parametrize("line, wire", [
    ("Por Agencia EFE", "EFE"),
    ("Von: red/dpa", "dpa"),
])
def test_wire_service_from_a_byline_line_in_other_languages(registry, line, wire):
    doc = document(f"{line}\n\nThe rest of the article follows here with more words.")
    assert find_wire_service(doc, registry) == (wire, "byline", line)


@pytest.mark.parametrize("furniture, text, wire, evidence", [
    ([("credit", "© Thomson Reuters 2024")], "Shares rose.", "Reuters", "© Thomson Reuters"),
    ([("credit", "© dpa-infocom, dpa:240101-99-123456/2")], "Die Stadt plant.", "dpa", "© dpa-infocom"),
    ([("credit", "© dpa-AFX | Abb.: Harbour AG | 07.11.2024 08:03")], "Die Aktie stieg.", "dpa-AFX", "© dpa-AFX"),
    ([("credit", "Copyright 2024 The Associated Press All Rights Reserved")], "Talks resumed.", "AP",
     "Copyright 2024 The Associated Press"),
    ([], "Die Stadt plant einen neuen Hafen.\n\nQuelle: dpa-AFX", "dpa-AFX", "Quelle: dpa-AFX"),
    ([], "Rząd przyjął plan w poniedziałek.\n\nŹródło: PAP", "PAP", "Źródło: PAP"),
])
def test_wire_service_from_a_credit_or_source_line(registry, furniture, text, wire, evidence):
    assert find_wire_service(document(text, furniture=furniture), registry) == (wire, "credit", evidence)


@pytest.mark.parametrize("text, wire", [
    ("The ministry approved the plan on Monday.\n\nIt takes effect next year, the minister said. PTI", "PTI"),
    ("Der Rat wählte eine neue Präsidentin. Sie tritt ihr Amt im Januar an. (KNA, red)", "KNA"),
    ("The bond fell sharply on Monday.\n\nHGN/Bloomberg", "Bloomberg"),
    ("Die Stadt plant einen neuen Hafen.\n\nDer Bau beginnt im Mai. (dpa)", "dpa"),
])
def test_wire_service_from_a_sign_off(registry, text, wire):
    assert find_wire_service(document(text), registry)[:2] == (wire, "sign_off")


ARTICLE_HTML = """<html><head>
<script type="application/ld+json">{{"@type": "NewsArticle", "author": [{{"@type": "Person", "name": "{author}"}}],
 "image": {{"@type": "ImageObject", "author": "{photo}"}}}}</script></head>
<body><article><h1>A headline</h1>{byline}<p>Officials said the talks would resume.</p>
<figure><img src="a.jpg"><figcaption class="credit">Jane Roe / AP</figcaption></figure></article>
<aside class="related"><div class="teaser"><span class="byline">By REUTERS</span></div></aside></body></html>"""


def test_wire_service_from_the_page_markup(registry):
    html = ARTICLE_HTML.format(author="The Associated Press", photo="Jane Roe", byline="")
    doc = document("Officials said the talks would resume.", html=html)
    assert find_wire_service(doc, registry) == ("AP", "markup", "The Associated Press")
    html = ARTICLE_HTML.format(author="Mara Lindqvist", photo="Jane Roe",
                               byline='<div class="c-byline">By Mara Lindqvist <span class="c-byline__source">Reuters</span></div>')
    assert find_wire_service(document("Officials said.", html=html), registry)[:2] == ("Reuters", "markup")


def test_byline_elements_are_found_whatever_the_case_of_their_attributes():
    """The XPath that finds byline elements must match as BYLINE_ATTR and AUTHOR_LINK do (case-blind)."""
    page = """<html><body><article><div CLASS="Article-ByLine">Mara Lindqvist</div>
    <span id="AUTHOR_box">Jon Berg</span><span itemprop="Source">Reuters</span>
    <a href="/Autoren/kim-lee">Kim Lee</a><a rel="author" href="/p/7">Ana Ruiz</a>
    <a href="/news/authority-report">Not a byline</a><div class="authority">Not one either</div></article></body></html>"""
    tree = trafilatura.load_html(page)
    assert markup_lines(tree, json_ld(tree)) == [
        "Mara Lindqvist", "Jon Berg", "Reuters", "Kim Lee", "Ana Ruiz", "Not one either"]


def test_photo_credits_teasers_and_several_agencies_in_the_markup_are_no_claim(registry):
    html = ARTICLE_HTML.format(author="Mara Lindqvist", photo="AP", byline="")
    assert find_wire_service(document("Officials said.", html=html), registry) == (None, "none", None)
    html = ARTICLE_HTML.format(author="Reuters", photo="Jane Roe", byline='<p class="byline">AFP</p>')
    assert find_wire_service(document("Officials said.", html=html), registry) == (None, "none", None)


def test_wire_service_when_the_publisher_or_the_site_name_is_the_agency(registry):
    on_own_site = document("Shares rose on Tuesday.", url="https://www.reuters.com/markets/x")
    assert find_wire_service(on_own_site, registry, "Reuters") == ("Reuters", "publisher", "Reuters")
    assert tag_outlets([on_own_site], registry)[0]["is_syndicated"] is False
    elsewhere = document("Shares rose on Tuesday.", url="https://www.harbourgazette.com/x", sitename="Associated Press")
    assert find_outlet(elsewhere, registry) == ("harbourgazette.com", "domain", "harbourgazette.com")
    assert find_wire_service(elsewhere, registry, "harbourgazette.com") == ("AP", "site_name", "Associated Press")


# --- wire service: more mentions ----------------------------------------------------------------

@pytest.mark.parametrize("text, furniture", [
    ("The mayor told The Associated Press on Monday that he would resign.\n\nNo date was set.", []),
    ("Die Stadt plant einen Hafen, sagte ein Sprecher der dpa.\n\nDer Bau beginnt im Mai.", []),
    ("The harbour reopened on Monday.", [("credit", "© dpa | Kay Nietfeld")]),
    ("The harbour reopened on Monday.", [("credit", "© AFP / JANE ROE")]),
    ("The harbour reopened on Monday.", [("credit", "Foto: dpa")]),
    ("The harbour reopened on Monday.", [("credit", "(AP Photo/Jane Roe)")]),
    ("Talks resumed on Monday.\n\nAdditional reporting by Reuters.", []),
    ("Talks resumed on Monday.\n\nSource: Reuters, AP", []),
    ("Talks resumed on Monday.\n\n(Con información de AFP, EFE y Reuters)", []),
    ("Talks resumed on Monday.\n\nSOURCE: News agencies", []),
    ("Talks resumed with the Palestinian Authority (PA)\n\nMore talks are planned for next week.", []),
    ("BOSTON (WXYZ) - Two people were hurt in a crash on Monday.", []),
])
def test_no_wire_service_from_more_mentions(registry, text, furniture):
    assert find_wire_service(document(text, furniture=furniture), registry) == (None, "none", None)


# --- content source -------------------------------------------------------------------------------

def test_laist_style_page_carrying_an_npr_copy_of_an_ap_story(registry):
    text = ("MOSCOW (AP) — The minister said on Thursday that talks would go on.\n\n"
            "Officials expect a first round next month.\n\nCopyright 2024 NPR. To see more, visit npr.org.")
    doc = document(text, furniture=[("image_label", "radio tower icon laist logo")])
    row = tag_outlets([doc], registry)[0]
    assert (row["outlet"], row["wire_service"], row["content_source"]) == ("LAist", "AP", "NPR")
    assert (row["content_source_method"], row["content_source_evidence"], row["is_syndicated"]) == (
        "credit", "Copyright 2024 NPR", True)


@pytest.mark.parametrize("kwargs, source, method", [
    ({"text": "(CNN) — The storm moved east on Friday."}, "CNN", "dateline"),
    ({"text": "CHICAGO (NewsNation Now) — The storm moved east."}, "NewsNation", "dateline"),
    ({"text": "The storm moved east.", "authors": ["Mara Lindqvist", "The Washington Post"]},
     "The Washington Post", "byline"),
    ({"text": "This article originally appeared on Coastal Weekly.\n\nThe storm moved east."}, "Coastal Weekly", "note"),
    ({"text": "HARBOUR NEWS via AP — The council voted on Monday."}, "Harbour News", "dateline"),
])
def test_content_source(registry, kwargs, source, method):
    doc = document(url="https://www.harbourgazette.com/x", **kwargs)
    assert find_content_source(doc, registry, "harbourgazette.com")[:2] == (source, method)


def test_content_source_is_never_the_publisher_or_a_wire_service(registry):
    own = document("(CNN) — The storm moved east on Friday.", url="https://edition.cnn.com/x")
    assert find_content_source(own, registry, "CNN") == (None, "none", None)
    note = document("The storm moved east.\n\nOriginally published on Harbour Gazette.",
                    url="https://www.harbourgazette.com/x", sitename="Harbour Gazette")
    assert find_content_source(note, registry, "Harbour Gazette") == (None, "none", None)
    wire = document("LONDON (Reuters) - Shares rose.", url="https://www.harbourgazette.com/x")
    assert find_content_source(wire, registry, "harbourgazette.com") == (None, "none", None)


def test_original_url_from_markup_on_another_domain(registry):
    html = ('<html><head><meta name="original-source" content="https://www.npr.org/2024/01/02/story">'
            '</head><body><p>The storm moved east.</p></body></html>')
    row = tag_outlets([document("The storm moved east.", url="https://laist.com/x", html=html)], registry)[0]
    assert (row["original_url"], row["content_source"], row["content_source_method"]) == (
        "https://www.npr.org/2024/01/02/story", "NPR", "original_url")
    own = html.replace("www.npr.org", "laist.com")
    assert tag_outlets([document("The storm moved east.", url="https://laist.com/x", html=own)], registry)[0][
        "original_url"] is None


# --- publisher from the site name ---------------------------------------------------------------

@pytest.mark.parametrize("sitename", [
    "https://www.facebook.com/harbourgazette", "www.harbourgazette.com", "02.11.2021", "@harbourgazette",
    "Weekly report 14. - 20. January", "A headline of some words that is really the title of the article",
])
def test_unusable_site_names_fall_back_to_the_domain(registry, sitename):
    assert usable_site_name(sitename) is None
    doc = document("Text.", url="https://news.harbourgazette.com/x", sitename=sitename)
    assert find_outlet(doc, registry) == ("harbourgazette.com", "domain", "harbourgazette.com")


@pytest.mark.parametrize("sitename, domain, name", [
    # a copyright line, or the owning company, which the domain does not spell
    ("Copyright © 2001-2009", "bayrische-bembel.de", None), ("(c) alarmeringen.nl", "alarmeringen.nl", None),
    ("Agora SA", "wyborcza.pl", None), ("Wikimedia Foundation, Inc.", "wikipedia.org", None),
    # a legal form after the outlet's own name
    ("OnlineMarketing.de GmbH", "onlinemarketing.de", "OnlineMarketing.de"),
    ("The Philadelphia Inquirer, LLC", "inquirer.com", "The Philadelphia Inquirer"),
    # accents and umlauts as domains spell them
    ("Ediciones EL PAÍS S.L.", "elpais.com", "Ediciones EL PAÍS"),
    ("Rhein-Neckar Löwen GmbH", "rhein-neckar-loewen.de", "Rhein-Neckar Löwen"),
    # bars without spaces, full-width ones
    ("Au Webポータル|最新のニュースをお届け！", "auone.jp", "Au Webポータル"),
    ("プレスリリース・ニュースリリース配信シェアNo.1｜PR TIMES", "prtimes.jp", "PR TIMES"),
])
def test_site_names_without_copyright_lines_owners_legal_forms_and_taglines(sitename, domain, name):
    assert usable_site_name(sitename, None, domain) == name


@pytest.mark.parametrize("url, domain", [
    ("https://buchperlen.wordpress.com/2013/10/20/x/", "buchperlen.wordpress.com"),
    ("https://Letters.Substack.com:443/p/x", "letters.substack.com"),
    ("https://wordpress.com/x", "wordpress.com"),
    ("https://news.harbourgazette.com/x", "harbourgazette.com"),
])
def test_each_site_on_a_hosting_platform_is_an_outlet_of_its_own(registry, url, domain):
    assert registered_domain(url) == domain
    assert find_outlet(document("Text.", url=url), registry) == (domain, "domain", domain)


def test_unknown_domain_is_named_from_the_site_name(registry):
    doc = document("Text.", url="https://news.harbourgazette.com/x", sitename="Harbour Gazette")
    assert find_outlet(doc, registry) == ("Harbour Gazette", "sitename", "Harbour Gazette")


def test_byline_markup_is_read_on_xhtml_pages_too():
    """lxml refuses a str opening with an XML declaration; the markup reader must not lose the page."""
    body = '<html><head><meta name="author" content="Associated Press"></head><body><p>Text.</p></body></html>'
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + body
    body_tree, xhtml_tree = trafilatura.load_html(body), trafilatura.load_html(xhtml)
    assert markup_lines(body_tree, json_ld(body_tree)) == markup_lines(xhtml_tree, json_ld(xhtml_tree)) != []


@pytest.mark.parametrize("sitename, url, outlet", [
    ("Boston News, Weather, Sports | WHDH 7News", "https://whdh.com/news/x", "WHDH 7News"),  # the part its domain spells
    ("LinkNaija | Nigeria's popular news platform", "https://www.linknaija.com/x", "LinkNaija"),
    ("Die Zeit: Nachrichten, Hintergründe und Debatten", "https://www.zeit.de/x", "Die Zeit"),
    ("Breaking News - The Harbour Gazette", "https://harbourgazette.com/x", "The Harbour Gazette"),
    ("Spiegel Online - Nachrichten", "https://www.spiegel.de/x", "Spiegel Online"),  # else the first part
    ("The New York Times", "https://www.nytimes.com/x", "The New York Times"),
    ("Frankfurter Allgemeine Zeitung", "https://www.faz.net/x", "Frankfurter Allgemeine Zeitung"),
    ("South China Morning Post", "https://www.scmp.com/x", "South China Morning Post"),  # its initials
    ("Radio Free Europe/Radio Liberty", "https://www.rferl.org/x", "Radio Free Europe/Radio Liberty"),
    ("Boston News | ★ | WHDH", "https://whdh.com/x", "WHDH"),
    ("Boston News, Weather, Sports | WHDH 7News", None, "Boston News, Weather, Sports | WHDH 7News"),  # no domain
])
def test_a_site_name_s_tagline_is_cut(registry, sitename, url, outlet):
    assert find_outlet(document("Text.", url=url, sitename=sitename), registry)[0] == outlet


def test_a_tagline_alone_is_no_site_name(registry):
    doc = document("Text.", url="https://practicalhorsemanmag.com/x", sitename="Expert how-to for English Riders")
    assert find_outlet(doc, registry) == ("practicalhorsemanmag.com", "domain", "practicalhorsemanmag.com")
