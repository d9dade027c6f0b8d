"""The upstream quality metrics of the eval data (see its MANIFEST.md), as pure functions.

- article body: scrapinghub article-extraction-benchmark `evaluate.py` (word 4-gram shingles);
- boilerplate segments: trafilatura `tests/eval_common.py` (segment found in the output or not);
- publication dates: htmldate `tests/comparison.py` (no date = FN, right = TP, wrong = FP).
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Sequence

WORD = re.compile(r"\w+")
WHITESPACE = re.compile(r"\s+")
SHINGLE_WORDS = 4
BOOTSTRAP_DRAWS = 1000

# Page-level (tp, fp, fn) shares of shingles, summing to 1 (or all 0 when both texts are empty).
ShingleMatch = tuple[float, float, float]


def words(text: str | None) -> list[str]:
    return WORD.findall(text or "")


def shingles(text: str | None, n: int = SHINGLE_WORDS) -> Counter[tuple[str, ...]]:
    """Word n-grams as a multiset; a text of fewer than n words is one shorter shingle, as upstream."""
    tokens = words(text)
    return Counter(tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i:i + n])


def shingle_match(gold: str | None, found: str | None) -> ShingleMatch:
    expected, got = shingles(gold), shingles(found)
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    # Normalised so that a long article weighs no more than a short one.
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def same_words(gold: str | None, found: str | None) -> bool:
    """The benchmark's `accuracy`: the token lists are exactly equal."""
    return words(gold) == words(found)


def page_precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def page_recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def harmonic_mean(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b else 0.0


@dataclass(frozen=True)
class Scores:
    f1: float
    precision: float
    recall: float
    accuracy: float


def body_scores(matches: Sequence[ShingleMatch], exact: Sequence[bool]) -> Scores:
    """Precision averaged over pages with output, recall over pages with gold text; F1 of the two.

    Upstream fails when no page qualifies; here that average is 0.
    """
    precisions = [page_precision(*m) for m in matches if m[0] + m[1] > 0]
    recalls = [page_recall(*m) for m in matches if m[0] + m[2] > 0]
    precision = statistics.mean(precisions) if precisions else 0.0
    recall = statistics.mean(recalls) if recalls else 0.0
    accuracy = statistics.mean(exact) if exact else 0.0
    return Scores(harmonic_mean(precision, recall), precision, recall, accuracy)


def bootstrap_std(matches: Sequence[ShingleMatch], exact: Sequence[bool],
                  draws: int = BOOTSTRAP_DRAWS, seed: int = 0) -> Scores:
    """Standard deviation of each score over resamplings of the pages (upstream's ±), seeded."""
    rng = random.Random(seed)
    n = len(matches)
    samples = []
    for _ in range(draws):
        picked = [rng.randint(0, n - 1) for _ in range(n)]
        samples.append(body_scores([matches[i] for i in picked], [exact[i] for i in picked]))
    return Scores(*(statistics.stdev(getattr(s, name) for s in samples)
                        for name in ("f1", "precision", "recall", "accuracy")))


def normalise_whitespace(text: str) -> str:
    return WHITESPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class ConfusionCounts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: ConfusionCounts) -> ConfusionCounts:
        return ConfusionCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)


def count_segments(must_contain: Sequence[str], must_not_contain: Sequence[str], output: str | None) -> ConfusionCounts:
    """A segment counts as found when, whitespace-normalised, it is a substring of the output."""
    text = normalise_whitespace(output or "")
    found = sum(1 for s in must_contain if normalise_whitespace(s) in text)
    leaked = sum(1 for s in must_not_contain if normalise_whitespace(s) in text)
    return ConfusionCounts(tp=found, fp=leaked, fn=len(must_contain) - found, tn=len(must_not_contain) - leaked)


def confusion_scores(counts: ConfusionCounts) -> Scores:
    """Micro scores over the summed counts; a score with an empty denominator is 0."""
    c = counts
    total = c.tp + c.fp + c.fn + c.tn
    return Scores(
        f1=2 * c.tp / (2 * c.tp + c.fp + c.fn) if c.tp + c.fp + c.fn else 0.0,
        precision=c.tp / (c.tp + c.fp) if c.tp + c.fp else 0.0,
        recall=c.tp / (c.tp + c.fn) if c.tp + c.fn else 0.0,
        accuracy=(c.tp + c.tn) / total if total else 0.0,
    )


def date_outcome(found: str | None, gold: str) -> str:
    """'tp', 'fp' or 'fn' for one page whose gold date is known."""
    if found is None:
        return "fn"
    return "tp" if found == gold else "fp"


def iso_date(value: object) -> bool:
    """Whether a gold value is a date as YYYY-MM-DD (labels hold a few like "2022-11-1")."""
    try:
        return isinstance(value, str) and len(value) == 10 and date.fromisoformat(value) is not None
    except ValueError:
        return False


def date_scores(outcomes: Iterable[str]) -> Scores:
    """htmldate's scores: every page has a gold date (no TN), so accuracy is TP over all pages."""
    counts = Counter(outcomes)
    return confusion_scores(ConfusionCounts(tp=counts["tp"], fp=counts["fp"], fn=counts["fn"]))


MetadataValue = str | list[str] | tuple[str, ...] | None


def metadata_value(value: MetadataValue) -> str:
    """A metadata field as one whitespace-normalised string; '' means not annotated / none.

    Several authors are joined the way trafilatura joins them ("A; B").
    """
    if isinstance(value, (list, tuple)):
        value = "; ".join(value)
    return normalise_whitespace(value or "")


def same_metadata(gold: MetadataValue, found: MetadataValue) -> bool:
    return metadata_value(gold) == metadata_value(found)


# langdetect's profile names for languages the sentence files name otherwise.
LANGDETECT_TO_GOLD = {"zh-cn": "zh", "zh-tw": "zh", "no": "nb"}


def gold_language(langdetect_code: str | None) -> str | None:
    return LANGDETECT_TO_GOLD.get(langdetect_code, langdetect_code) if langdetect_code else None
