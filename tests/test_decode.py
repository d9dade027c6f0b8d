"""decode_page: raw bytes -> text, or a reject saying why not."""

import codecs
import hashlib
import random

import pytest

from pipeline.decode import decode_page, looks_like_html
from pipeline.records import Page, RawPage, Reject

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="{charset}"><title>Le café du coin</title></head>
<body><p>Le café était fermé — « à bientôt », disait l’affiche.</p></body></html>
"""
PLAIN_TEXT = "Council approves budget\n\nThe council voted 7-2 on Tuesday, 3 < 4 and 5 > 2.\n"


def decode(content: bytes) -> Page | Reject:
    return decode_page(RawPage(source_ref="pages/a.html", content=content))


def assert_rejected(result: Page | Reject, reason: str) -> None:
    assert isinstance(result, Reject), result
    assert (result.reason, result.stage, result.source_ref) == (reason, "decode", "pages/a.html")


@pytest.mark.parametrize("content", [b"", b" \n\t\r\n  "])
def test_empty_page_is_rejected(content):
    result = decode(content)
    assert_rejected(result, "empty")
    assert result.raw_hash == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    b"<html><body>text\x00with a NUL byte</body></html>",
])
def test_binary_page_is_rejected(content):
    assert_rejected(decode(content), "binary")


def test_random_high_bytes_are_undecodable():
    rng = random.Random(1)
    content = bytes(rng.randrange(0x80, 0x100) for _ in range(2000))
    assert_rejected(decode(content), "undecodable")


def test_text_full_of_control_characters_is_undecodable():
    # Valid UTF-8, but one character in five is a control character: not a page.
    assert_rejected(decode(b"word\x01" * 400), "undecodable")


def test_layout_controls_are_no_bad_characters_and_the_share_is_of_all_characters():
    page = "Zürich café “menu”\t½ price\r\n\f" * 40
    assert isinstance(decode(page.encode()), Page)  # tabs, line and page breaks: no bad characters
    bad = "\x0b\x1f\ufffd"  # a vertical tab, a unit separator, a replacement character
    over = "é" * 296 + bad  # 3 in 299: over 1%
    assert_rejected(decode(over.encode()), "undecodable")
    assert isinstance(decode(("é" * 297 + bad).encode()), Page)  # 3 in 300: 1%, the most allowed


def test_a_stray_control_character_is_tolerated():
    text = "A long ordinary paragraph about the council budget. " * 20 + "\x0b"
    result = decode(text.encode())
    assert isinstance(result, Page) and result.text == text


def test_utf8_text_decodes():
    content = "Zürich: the café’s “menu” — ½ price".encode("utf-8")
    result = decode(content)
    assert isinstance(result, Page)
    assert result.text == "Zürich: the café’s “menu” — ½ price"
    assert result.encoding == "utf-8"
    assert result.raw_hash == hashlib.sha256(content).hexdigest()


def test_declared_windows_1252_page_decodes():
    html = HTML_PAGE.format(charset="windows-1252")
    result = decode(html.encode("cp1252"))
    assert isinstance(result, Page)
    assert result.text == html
    assert result.encoding == "windows-1252"
    assert result.is_html


def test_page_declared_iso_8859_1_reads_as_windows_1252():
    # Browsers read ISO-8859-1 as windows-1252 (WHATWG Encoding Standard), and such
    # pages do use its curly quotes and dashes at 0x80-0x9F.
    html = HTML_PAGE.format(charset="iso-8859-1")
    result = decode(html.encode("cp1252"))
    assert isinstance(result, Page)
    assert result.text == html
    assert result.encoding == "windows-1252"


@pytest.mark.parametrize("charset", ["windows-1252", "iso-8859-2", "shift_jis"])
def test_a_utf8_page_under_an_old_declaration_reads_as_utf8(charset):
    # A CMS writing UTF-8 under its template's old <meta>: read as declared, "café" is "cafÃ©".
    html = HTML_PAGE.format(charset=charset)
    result = decode(html.encode("utf-8"))
    assert isinstance(result, Page), result
    assert (result.text, result.encoding) == (html, "utf-8")


def test_a_page_of_ascii_bytes_reads_as_declared():
    # ISO-2022-JP writes Japanese in ASCII bytes: read as UTF-8 it is escape codes.
    html = HTML_PAGE.format(charset="iso-2022-jp").replace("Le café du coin", "東京のニュース")
    html = html.replace("Le café était fermé — « à bientôt », disait l’affiche.", "今日は晴れです。")
    result = decode(html.encode("iso-2022-jp"))
    assert isinstance(result, Page), result
    assert "東京のニュース" in result.text and result.encoding == "iso-2022-jp"


@pytest.mark.parametrize("charset", ["utf-16", "UTF-16LE", "utf-32"])
def test_a_utf8_page_declaring_utf16_reads_as_utf8(charset):
    # A declaration found by reading the bytes as ASCII cannot be in UTF-16: browsers read UTF-8.
    html = HTML_PAGE.format(charset=charset)
    result = decode(html.encode("utf-8"))
    assert isinstance(result, Page), result
    assert result.text == html
    assert result.encoding == "utf-8"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_page_without_a_byte_order_mark_decodes(codec):
    html = HTML_PAGE.format(charset="utf-16")
    result = decode(html.encode(codec))
    assert isinstance(result, Page), result
    assert (result.text, result.encoding, result.is_html) == (html, codec, True)


@pytest.mark.parametrize("bom, codec", [
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
])
def test_page_with_a_byte_order_mark_decodes(bom, codec):
    html = HTML_PAGE.format(charset="utf-8")
    result = decode(bom + html.encode(codec))
    assert isinstance(result, Page), result
    assert result.text == html  # the mark itself is not part of the text
    assert result.is_html


def test_html_page_is_html_and_plain_text_is_not():
    html = decode(HTML_PAGE.format(charset="utf-8").encode())
    text = decode(PLAIN_TEXT.encode())
    assert isinstance(html, Page) and isinstance(text, Page)
    assert html.is_html is True
    assert text.is_html is False
    assert text.text == PLAIN_TEXT


def test_html_fragment_without_a_document_start_is_html():
    fragment = "<div class='story'><h1>Headline</h1><p>One.</p><p>Two.</p></div>"
    assert looks_like_html(fragment)
    assert not looks_like_html("See <p> in the HTML spec, and <a> too.")


def test_page_opening_with_a_script_is_html():
    # A tag manager's script first, long enough to push the body's tags out of the sniffing window.
    script = "<script>window.dataLayer = [" + ",".join(f"{{'slot': {i}}}" for i in range(3000)) + "];</script>\n"
    page = script + "<div class='story'><h1>Headline</h1><p>One.</p><p>Two.</p></div>"
    assert len(script) > 20000
    assert looks_like_html(page)
    assert looks_like_html('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n<html><body></body></html>')


def test_utf8_page_with_one_stray_byte_reads_as_utf8():
    html = HTML_PAGE.format(charset="utf-8").replace("<p>", "<p>Zürich, Genève, Köln. " * 5 + "<p>")
    good = html.encode("utf-8")
    cut = good.index(b"disait")
    result = decode(good[:cut] + b"\x96" + good[cut:])  # a windows-1252 dash pasted into UTF-8
    assert isinstance(result, Page), result
    assert result.encoding == "utf-8"
    assert result.text == html[:html.index("disait")] + "\ufffd" + html[html.index("disait"):]


def test_single_byte_page_mislabelled_utf8_is_not_read_as_utf8():
    # Every accented letter is invalid UTF-8 here: the label is wrong, not a stray byte.
    html = HTML_PAGE.format(charset="utf-8").replace("<p>", "<p>Zürich, Genève, Köln. " * 5 + "<p>")
    result = decode(html.encode("cp1252"))
    assert isinstance(result, Page), result
    assert result.encoding != "utf-8"
    assert "\ufffd" not in result.text and "Genève" in result.text


def test_text_is_unicode_nfc():
    decomposed = "Cafe\u0301 in Ko\u0308ln"  # e + combining acute, o + combining diaeresis
    result = decode(f"<html><body><p>{decomposed}</p></body></html>".encode())
    assert isinstance(result, Page)
    assert "Café in Köln" in result.text


def test_undeclared_legacy_page_with_few_accents_reads_as_windows_1252():
    # cp1250 and cp1257 fit these bytes as well as cp1252, but read "crème" as "crčme"
    text = "The caf\u00e9 served cr\u00e8me br\u00fbl\u00e9e \u2014 \u201cthe best in town\u201d, said the na\u00efve critic."
    result = decode(text.encode("cp1252"))
    assert isinstance(result, Page) and result.text == text
