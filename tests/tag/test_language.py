"""Language detection: langdetect, seeded, `und` when the text is too short."""

import pytest

from pipeline.decode import decode_page
from pipeline.extract import extract_page
from pipeline.records import Document, Page, RawPage
from pipeline.tag.language import detect_language, tag_language

ENGLISH = ("The city council voted on Tuesday to expand the bus network, adding three new routes that "
           "will connect the eastern neighbourhoods with the downtown hospital and the university campus.")
GERMAN = ("Der Stadtrat hat am Dienstag beschlossen, das Busnetz zu erweitern und drei neue Linien "
          "einzurichten, die die östlichen Stadtteile mit dem Krankenhaus in der Innenstadt verbinden.")
FRENCH = ("Le conseil municipal a voté mardi l'extension du réseau de bus, avec trois nouvelles lignes "
          "qui relieront les quartiers de l'est à l'hôpital du centre-ville et à l'université.")


@pytest.mark.parametrize("text, language", [(ENGLISH, "en"), (GERMAN, "de"), (FRENCH, "fr")])
def test_detects_language_with_high_probability(text, language):
    found, probability, method = detect_language(text, min_words=3)
    assert (found, method) == (language, "langdetect")
    assert 0.9 < probability <= 1.0


@pytest.mark.parametrize("text", ["Council votes", "1234 5678 — 2024-03-03 !!!", ""])
def test_too_short_is_undetermined(text):
    assert detect_language(text, min_words=3) == ("und", None, "too_short")


@pytest.mark.parametrize("text, language", [
    ("मुख्यमंत्री ने बुधवार को नई सड़क का उद्घाटन किया।", "hi"),  # vowel signs are not letters to \w-less counts
    ("市议会周二通过了新的预算案。", "zh-cn"),                    # no spaces: each character is a word
    ("The council voted today.", "en"),
])
def test_short_sentences_in_any_script_are_detected(text, language):
    found, _, method = detect_language(text, min_words=3)
    assert (found, method) == (language, "langdetect")


@pytest.mark.parametrize("text, language", [
    ("\uc815\ub9d0 \uadf8\ub7ac\uc2b5\ub2c8\ub2e4.", "ko"),  # "Really, it was.": Hangul is only Korean's
    ("\uc0ac\uc9c4\uc81c\uacf5 GM", "ko"),  # "Photo: GM", mostly Hangul
    ("\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03c3\u03b1\u03c2", "el"),
    ("\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", "he"),
])
def test_a_short_text_in_a_script_of_one_language_is_detected(text, language):
    found, _, method = detect_language(text, min_words=3)
    assert (found, method) == (language, "langdetect")


@pytest.mark.parametrize("text", [
    "\u041d\u0430\u0434\u043e \u0433\u043e\u0442\u043e\u0432\u0438\u0442\u044c\u0441\u044f.",  # Russian, Bulgarian, Ukrainian...
    "Seguirem insistint.",
    "\u0441\u043d\u0438\u043c\u043e\u043a \u03b1",  # one Greek letter among Cyrillic ones
])
def test_a_short_text_in_a_script_of_many_languages_is_undetermined(text):
    assert detect_language(text, min_words=3) == ("und", None, "too_short")


@pytest.mark.parametrize("text, language", [
    ("საქართველოს მთავრობამ განაცხადა, რომ ახალი კანონი ძალაში შევა მომავალ თვეში.", "ka"),
    ("YouTube: საქართველოს ახალი ვიდეოები", "ka"),  # Latin around it: langdetect said Estonian, at 1.0
    ("Հայաստանի կառավարությունը հայտարարել է նոր օրենքի մասին", "hy"),
    ("ថ្ងៃនេះ រដ្ឋាភិបាល បាន ប្រកាស ច្បាប់ ថ្មី", "km"),
    ("ኢትዮጵያ መንግስት አዲስ ሕግ አወጣ ዛሬ", "und"),  # Amharic or Tigrinya: no guess
])
def test_a_script_no_language_of_langdetect_is_written_in_is_not_guessed(text, language):
    assert detect_language(text, 3) == (language, None, "script")


def test_threshold_counts_words_not_characters():
    assert detect_language("Stadtrat 1234567890 .....", min_words=2) == ("und", None, "too_short")
    assert detect_language("Stadtrat beschließt 1234567890", min_words=2)[2] == "langdetect"


def test_repeated_calls_give_the_same_result():
    # a short mixed text on which an unseeded langdetect varies from call to call
    text = "Die Polizei said the Bürgermeister would resign, le maire a dit non."
    results = {detect_language(text, min_words=3) for _ in range(20)}
    assert len(results) == 1


def test_tag_language_rows():
    raw = RawPage("p", b"")
    docs = [
        Document(aid, Page(raw, "h", text, False, "utf-8"), None, None, [], None, None, text, "c", "m")
        for aid, text in (("en1", ENGLISH), ("short", "Too short"))
    ]
    rows = tag_language(docs, min_words=3)
    assert [(r["article_id"], r["language"], r["language_method"]) for r in rows] == [
        ("en1", "en", "langdetect"), ("short", "und", "too_short")]
    assert rows[1]["language_probability"] is None


@pytest.mark.parametrize("head, headers, expected", [
    ('<html lang="de-DE"><head><meta property="og:locale" content="en_US">', None, ("de", "html_lang")),
    ("<html><head><meta http-equiv='Content-Language' content='fr-CA'>", None, ("fr", "meta_content_language")),
    ('<html><head><meta property="og:locale" content="es_ES">', None, ("es", "og_locale")),
    ('<html><head><meta content="pt_BR" property="og:locale">', None, ("pt", "og_locale")),
    # the <html> tags of old IE's conditional comments are not the page's
    ('<!--[if IE 8]><html class="ie8" lang="en"><![endif]--><!--[if !IE]><!--><html lang="nl-NL"><!--<![endif]-->'
     "<head>", None, ("nl", "html_lang")),
    # a script before <html> leaves the parsed root without its attributes
    ('<script src="/cdn.js"></script><html lang="pl"><head>', None, ("pl", "html_lang")),
    ('<script src="/cdn.js"></script><html data-lang="xx" lang="ro"><head>', None, ("ro", "html_lang")),
    # an empty declaration does not hide a later one
    ('<html><head><meta http-equiv="content-language"><meta http-equiv="content-language" content="el">',
     None, ("el", "meta_content_language")),
    ("<html><head><title>x</title>", {"Content-Language": "it"}, ("it", "http_header")),
    ('<html lang="english"><head><title>x</title>', None, (None, None)),
    ("<html><head><title>x</title>", None, (None, None)),
])
def test_declared_language_is_kept_beside_the_detected_one(head, headers, expected):
    page_html = f"{head}</head><body><h1>Buses</h1><p>{ENGLISH}</p><p>{ENGLISH}</p></body></html>"
    doc = extract_page(decode_page(RawPage("p", page_html.encode(), headers=headers)))
    row = tag_language([doc], min_words=3)[0]
    # a site-wide declaration never overrides what the text is
    assert (row["language"], row["declared_language"], row["declared_language_source"]) == ("en", *expected)
