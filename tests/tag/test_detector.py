"""pipeline/tag/detector.py: langdetect's detector with faster inner loops must give
langdetect's own n-grams and probabilities."""

import random

import langdetect
import pytest
from langdetect.detector import Detector
from langdetect.utils.ngram import NGram

from pipeline.tag.detector import NORMALISED, FastDetector, detect_langs, factory

# Characters whose normalisation or n-gram handling differ: spaces, capitals, Latin-1
# signs langdetect drops, Romanian commas, Vietnamese marks, Arabic, kana, CJK, Hangul,
# digits and punctuation.
ALPHABET = "  aAbBeEzZ\u00e9\u00c9\u00df\u00a9\u00b0\u0219\u021b\u0301\u0300\u1ea1\u06cc\u0627\u3042\u30a2\u4e00\u4e8c\uac00" \
           "\u0416\u0436\u03a9\u03c9\u05d0019.,;'-\u2014\u201c\u00a0\t\n"

TEXTS = [
    "The council voted on Tuesday to approve the budget for four new bus routes on the east side.",
    "Der Gemeinderat hat am Dienstag den Haushalt für vier neue Buslinien im Osten der Stadt beschlossen.",
    "Le conseil municipal a voté mardi le budget de quatre nouvelles lignes de bus à l'est de la ville.",
    "Городской совет во вторник утвердил бюджет четырёх новых автобусных маршрутов.",
    "市議会は火曜日、東部に四つの新しいバス路線を設ける予算を可決した。",
    "市议会周二批准了在东区新增四条公交线路的预算。",
    "وافق المجلس البلدي يوم الثلاثاء على ميزانية أربعة خطوط حافلات جديدة.",
    "Hội đồng thành phố đã thông qua ngân sách cho bốn tuyến xe buýt mới vào thứ Ba.",
    "NATO and the USA said the EU would meet in BRUSSELS on MONDAY, the AP reported.",
    "Consiliul a aprobat bugetul pentru patru linii noi de autobuz în estul orașului, țara întreagă.",
]


def test_every_character_is_normalised_as_langdetect_does():
    for code in range(0x10000):
        assert NORMALISED[code] == NGram.normalize(chr(code)), hex(code)


def test_the_ngrams_are_langdetects_in_order():
    rng = random.Random(0)
    texts = TEXTS + ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 80))) for _ in range(3000)]
    for text in texts:
        theirs, ours = Detector(factory()), FastDetector(factory())
        theirs.text = ours.text = text
        assert ours._extract_ngrams() == theirs._extract_ngrams(), repr(text)


def test_the_text_is_read_and_cleaned_as_langdetect_does():
    """Spaces collapsed, URLs and addresses blanked, Vietnamese marks joined, the text cut
    at its limit, and Latin letters dropped from a text mostly in another script."""
    rng = random.Random(1)
    pieces = [*ALPHABET, "   ", "https://example.com/a?b=1 ", " news@example.org ", "a\u0301", "_`^[]\\", "\U0001f600"]
    texts = TEXTS + ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 120))) for _ in range(3000)]
    for text in texts:
        theirs, ours = Detector(factory()), FastDetector(factory())
        theirs.set_max_text_length(90)
        ours.set_max_text_length(90)
        for detector in (theirs, ours):
            detector.append(text)
            detector.append(text[::-1])
            detector.cleaning_text()
        assert ours.text == theirs.text, repr(text)
    assert any(2 * sum("A" <= c <= "z" for c in t) < sum(c >= "\u0300" for c in t) for t in texts)  # both ways


@pytest.mark.parametrize("text", TEXTS)
def test_the_probabilities_are_langdetects(text):
    langdetect.DetectorFactory.seed = 0
    theirs = [(found.lang, found.prob) for found in langdetect.detect_langs(text)]
    assert [(found.lang, found.prob) for found in detect_langs(text)] == theirs
    assert [(found.lang, found.prob) for found in detect_langs(text)] == theirs  # deterministic


def test_a_text_without_features_raises_as_langdetect_does():
    with pytest.raises(langdetect.LangDetectException):
        detect_langs("12345 ... 678")
