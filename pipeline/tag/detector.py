"""langdetect's detector with its two inner loops written for speed: the same probabilities.

langdetect reads a text a character at a time through a method call for each (normalise
it, find its Unicode block, shift it into an n-gram buffer), and updates its estimate with
an indexed loop over its 55 languages; they were two thirds of its time. Here the
characters are normalised by one `str.translate` over a table of langdetect's own
normalisation, the buffer is local variables, and the update is the same float operations
mapped over the lists: 4.3 -> 3.25 ms an article on make bench's pages (its first 3,000
characters). Its reading of the text (collapsing spaces, dropping Latin letters from a
text mostly in another script) is done by regular expressions instead of a loop a
character at a time: 0.55 ms an article less. The n-grams, their order and the random
draws are langdetect's, so the probabilities are identical: the same on 1,367 eval and
bench articles, and tests/tag/test_detector.py compares them with langdetect's own
detector.
"""

from __future__ import annotations

import re
from functools import cache
from operator import mul

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.language import Language
from langdetect.utils.ngram import NGram


class Normalised(dict):
    """Code point -> the character langdetect's NGram.normalize makes of it, for
    str.translate; filled as characters are first met."""

    def __missing__(self, code: int) -> str:
        self[code] = NGram.normalize(chr(code))
        return self[code]


NORMALISED = Normalised()
SPACES = re.compile(" {2,}")
LATIN = re.compile("[A-z]")  # langdetect's 'A' <= ch <= 'z', the six signs between Z and a included
# langdetect means to leave Latin Extended Additional (Vietnamese) out, but compares its
# block number with a name, so it counts every character from U+0300 on; so does this.
NON_LATIN = re.compile("[^\x00-\u02ff]")


class FastDetector(Detector):
    def append(self, text: str) -> None:
        text = NGram.normalize_vi(self.MAIL_RE.sub(" ", self.URL_RE.sub(" ", text)))
        self.text += SPACES.sub(" ", text[:self.max_text_length])

    def cleaning_text(self) -> None:
        if 2 * len(LATIN.findall(self.text)) < len(NON_LATIN.findall(self.text)):
            self.text = LATIN.sub("", self.text)

    def _extract_ngrams(self) -> list[str]:
        """NGram.add_char and Detector._extract_ngrams over the whole text, with their state
        in local variables: the buffer's last two characters (`before` is "" where it holds
        one, the space a word starts after) and whether the word so far is in capitals."""
        known = self.word_lang_prob_map
        result = []
        append = result.append
        before, last, capital = "", " ", False
        for ch in self.text.translate(NORMALISED):
            if last == " ":  # a word starts: the buffer is a space
                before, capital = "", False
                if ch == " ":
                    continue
            if ch.isupper():
                if last.isupper():
                    capital = True
            else:
                capital = False
            if not capital:
                if ch != " " and ch in known:
                    append(ch)
                pair = last + ch
                if pair in known:
                    append(pair)
                if before and (before + pair) in known:
                    append(before + pair)
            before, last = last, ch
        return result

    def _update_lang_prob(self, prob: list[float], word: str, alpha: float) -> bool:
        if word is None or word not in self.word_lang_prob_map:
            return False
        prob[:] = map(mul, prob, map((alpha / self.BASE_FREQ).__add__, self.word_lang_prob_map[word]))
        return True


@cache
def factory() -> DetectorFactory:
    """langdetect's profiles, loaded once a process; seeded, as its documentation says, for
    the same result every time."""
    loaded = DetectorFactory()
    loaded.load_profile(PROFILES_DIRECTORY)
    loaded.set_seed(0)
    return loaded


def detect_langs(text: str) -> list[Language]:
    """As langdetect.detect_langs: the languages, most probable first."""
    detector = FastDetector(factory())
    detector.append(text)
    return detector.get_probabilities()
