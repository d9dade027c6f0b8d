"""Author names as the page writes them (as_written, in trafilatura's readers), and the
names kept from the bylines found (author_names)."""

import pytest

from pipeline.authors import as_written, author_names
from pipeline.extract import extract_page
from pipeline.records import Document
from tests.test_extract import ARTICLE_HTML, make_page


@pytest.mark.parametrize("found, names", [
    # trafilatura's normalize_authors gave "Marwan H Adwan", "Herr Rein", "Bo", "r", "Karstenruppert".
    ("Marwan H. Adwan", "Marwan H. Adwan"),
    ("Nicolas Gutierrez C.", "Nicolas Gutierrez C."),
    ("Herr_Rein", "Herr_Rein"),
    ("Bo2man am 12.03.2021", "Bo2man"),
    ("r23", "r23"),
    ("karstenruppert", "karstenruppert"),
    ("Guido Beyß, Gàbor Muniér", "Guido Beyß; Gàbor Muniér"),
    # What is no name still goes, as trafilatura takes it out.
    ("By Jane Doe and John Roe", "Jane Doe; John Roe"),
    ("Jörn Mecher 12.03.2021, 10:03 Uhr", "Jörn Mecher"),
    ("Anna Schmidt (@anna_schmidt)", "Anna Schmidt"),
    ("Priya Raman, Priya", "Priya Raman"),
    ("Lea Stokes via Reuters", "Lea Stokes"),
    # A name of several words in lower case, or a URL slug, is written as the name it stands for.
    ("giampiero maggio", "Giampiero Maggio"),
    ("christian.stadtfeld", "Christian Stadtfeld"),
    ("gabor_munier", "Gabor Munier"),
])
def test_author_names_are_kept_as_the_page_writes_them(found, names):
    assert as_written(None, found) == names


def test_what_is_no_name_adds_nothing():
    assert as_written("Jane Doe", "https://example.org/authors/jane") == "Jane Doe"
    assert as_written(None, "desk@example.org") is None
    assert as_written("Jane Doe", "John Roe") == "Jane Doe; John Roe"


def test_trafilaturas_readers_keep_the_name_as_written():
    """Meta tag, JSON-LD and byline markup all go through it."""
    meta = ARTICLE_HTML.replace('content="Maria Lopez"', 'content="Logan C. Ritchie"')
    json_ld = ARTICLE_HTML.replace('<meta name="author" content="Maria Lopez">', (
        '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", "author": '
        '{"@type": "Person", "name": "happyface313"}}</script>')).replace('<p class="byline">By Maria Lopez</p>', "")
    byline = ARTICLE_HTML.replace('<meta name="author" content="Maria Lopez">', "").replace(
        '<p class="byline">By Maria Lopez</p>', '<p class="byline">By J.R. Okafor</p>')
    for html, names in ((meta, ["Logan C. Ritchie"]), (json_ld, ["happyface313"]), (byline, ["J.R. Okafor"])):
        doc = extract_page(make_page(html, is_html=True))
        assert isinstance(doc, Document), doc
        assert doc.authors == names


@pytest.mark.parametrize("found, sitename, names", [
    ("Analysis by Chris Cillizza; CNN Editor-at-large", "CNN", ["Chris Cillizza"]),
    ("Rob Picheta; CNN", "CNN", ["Rob Picheta"]),  # the site is no author
    ("View all posts by Daniel Lemire", None, ["Daniel Lemire"]),
    ("Por Alberto Ávila", None, ["Alberto Ávila"]),
    ("Malcolm Owen Monday; November", None, ["Malcolm Owen"]),
    ("Ap Sports Writer", None, []),
    ("JERUSALEM POST STAFF NOVEMBER", None, []),
    ("The W-Team Http; Www Jcigroup Com", None, []),
    ("Name", None, []),
    ("April Ryan; May Smith; Wendy Staffer", None, ["April Ryan", "May Smith", "Wendy Staffer"]),
    ("Theresa May; Di Wang", None, ["Theresa May", "Di Wang"]),
])
def test_author_names_are_names(found, sitename, names):
    assert author_names(found.split("; "), sitename) == names
