"""Raw bytes -> text: detect binary, empty and undecodable pages; tell HTML from plain text."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata

from charset_normalizer import from_bytes

from pipeline.records import Page, RawPage, Reject

BINARY_MAGIC = {
    b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF8": "GIF image",
    b"%PDF": "PDF document", b"PK\x03\x04": "ZIP archive", b"\x1f\x8b": "gzip data",
    b"RIFF": "RIFF media", b"\x7fELF": "executable",
}
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
# A page may open with an XML prolog, comments, or head elements before (or without) <html>:
# a tag manager's <script> first is common, and its code can hide the body tags past HTML_TAGS' window.
HTML_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|script|style|meta|link|title)\b",
    re.I | re.S,
)
HTML_TAGS = re.compile(r"<(?:p|div|article|body|span|a|br|h[1-6])\b[^>]*>", re.I)
# A decoded page with more than this share of replacement or control characters is
# garbage in some encoding nobody declared: reject it rather than archive noise.
MAX_BAD_CHAR_SHARE = 0.01
# A page that fails strict UTF-8 is still read as UTF-8, a stray invalid byte becoming U+FFFD,
# when at least this share of its non-ASCII characters are valid UTF-8: a page in a
# single-byte charset almost never forms valid multi-byte sequences, and charset detection
# would otherwise pick a wrong charset for the whole page over one bad byte.
MIN_VALID_UTF8_SHARE = 0.95


def raw_hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def looks_like_html(text: str) -> bool:
    return bool(HTML_START.match(text)) or len(HTML_TAGS.findall(text[:20000])) >= 3


# Control characters other than tab, line feed, form feed and carriage return.
CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\f\r")
NOT_CONTROL = bytes(b for b in range(0x100) if b not in CONTROL_BYTES)


def _bad_char_share(text: str) -> float:
    """The share of replacement and control characters. The controls are counted as the
    bytes of the text's UTF-8 that a deletion of every other byte leaves (a control is one
    byte there, and no other character has such a byte): 0.26 ms a page where a regular
    expression's scan took 0.48 (make bench's pages, the same counts)."""
    controls = len(text.encode("utf-8", "surrogatepass").translate(None, NOT_CONTROL))
    return (text.count("\ufffd") + controls) / max(len(text), 1)


def _declared_encoding(label: str) -> str:
    """The encoding a browser reads a page in whose <meta> declares `label` (WHATWG):
    ISO-8859-1 as windows-1252, whose quotes and dashes at 0x80-0x9F such pages use and
    latin-1 makes control characters; UTF-16 and UTF-32 as UTF-8, since a declaration
    read as ASCII bytes cannot be in them (read as declared, such a page is CJK noise)."""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return label
    if name == "iso8859-1":
        return "windows-1252"
    return "utf-8" if name.startswith(("utf-16", "utf-32")) else label


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a byte-order mark, told by its NUL bytes: Latin text has one in
    every other byte, on the odd bytes (little-endian) or the even ones (big-endian)."""
    if len(head) < 16:
        return None
    even, odd = head[0::2].count(0) / len(head[0::2]), head[1::2].count(0) / len(head[1::2])
    if odd > 0.9 and even < 0.1:
        return "utf-16-le"
    if even > 0.9 and odd < 0.1:
        return "utf-16-be"
    return None


def _mostly_utf8(content: bytes) -> str | None:
    text = content.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd") - content.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    return text if valid and valid / (valid + invalid) >= MIN_VALID_UTF8_SHARE else None


def decode_bytes(content: bytes) -> tuple[str, str] | None:
    """The text and the encoding it was read in (None: no encoding fits)."""
    for bom, encoding in BOMS:
        if content.startswith(bom):
            return content.decode(encoding, errors="replace"), encoding
    if encoding := _utf16_without_bom(content[:8192]):
        return content.decode(encoding, errors="replace"), encoding
    candidates = ["utf-8"]
    if m := META_CHARSET.search(content[:4096]):
        declared = _declared_encoding(m.group(1).decode("ascii", "ignore").lower())
        # Bytes beyond ASCII that are valid UTF-8 are UTF-8 whatever the page declares: text
        # in a single-byte or East Asian charset almost never forms valid multi-byte
        # sequences, and a CMS that writes UTF-8 under a template's old declaration is
        # common (read as windows-1252, "für" became "fÃ¼r"). A page of ASCII bytes alone
        # is read as declared: ISO-2022-JP writes Japanese in ASCII bytes.
        candidates.insert(0 if content.isascii() else 1, declared)
    for encoding in candidates:
        try:
            return content.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    if (text := _mostly_utf8(content)) is not None:
        return text, "utf-8"
    matches = from_bytes(content)
    if (best := matches.best()) is None:
        return None
    # With few non-ASCII letters several single-byte charsets fit equally well; the web's
    # legacy default (windows-1252, as WHATWG browsers assume) breaks the tie.
    tied = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    best = next((m for m in tied if m.encoding == "cp1252"), best)
    return str(best), best.encoding


def decode_page(raw: RawPage) -> Page | Reject:
    content, digest = raw.content, raw_hash(raw.content)
    if not content.strip():
        return Reject(raw.source_ref, digest, "decode", "empty", "the page has no content (empty or only white space)")
    for magic, kind in BINARY_MAGIC.items():
        if content.startswith(magic):
            return Reject(raw.source_ref, digest, "decode", "binary", f"binary file ({kind}), not a page")
    head = content[:8192]
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)) \
            and not _utf16_without_bom(head):
        return Reject(raw.source_ref, digest, "decode", "binary", "binary file (NUL bytes), not a page")
    decoded = decode_bytes(content)
    if decoded is None or _bad_char_share(decoded[0]) > MAX_BAD_CHAR_SHARE:
        return Reject(raw.source_ref, digest, "decode", "undecodable",
                      "the bytes are not text in UTF-8, the declared charset or any encoding charset detection recognises")
    # One form for every later stage: the same word typed composed or decomposed must
    # match in search and deduplication.
    text, encoding = unicodedata.normalize("NFC", decoded[0]), decoded[1]
    return Page(raw=raw, raw_hash=digest, text=text, is_html=looks_like_html(text), encoding=encoding)
