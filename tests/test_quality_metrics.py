"""The eval metrics (bench/metrics.py) on small cases worked out by hand."""

import pytest

from bench.metrics import (
    ConfusionCounts, body_scores, bootstrap_std, confusion_scores, count_segments, date_outcome, date_scores, iso_date,
    gold_language, metadata_value, same_metadata, same_words, shingle_match, shingles,
)

ARTICLE = "The council voted on Tuesday to expand the bus network."


def test_identical_texts_score_one():
    match = shingle_match(ARTICLE, ARTICLE)
    assert match == (1.0, 0.0, 0.0)
    scores = body_scores([match], [same_words(ARTICLE, ARTICLE)])
    assert (scores.f1, scores.precision, scores.recall, scores.accuracy) == (1.0, 1.0, 1.0, 1.0)


def test_punctuation_and_spacing_do_not_matter():
    assert same_words("Hello,   world!\nBye.", "Hello world Bye")
    assert shingle_match("a b c d, e", "a b c d e") == (1.0, 0.0, 0.0)


def test_disjoint_texts_score_zero():
    match = shingle_match("one two three four five", "six seven eight nine ten")
    assert match == (0.0, 0.5, 0.5)  # 2 shingles each side, none shared
    scores = body_scores([match], [False])
    assert (scores.f1, scores.precision, scores.recall, scores.accuracy) == (0.0, 0.0, 0.0, 0.0)


def test_partial_overlap_by_hand():
    # gold: a b c d e f -> shingles abcd, bcde, cdef; found: c d e f g -> cdef, defg.
    # shared cdef: tp 1, fp 1 (defg), fn 2 (abcd, bcde); normalised over 4.
    assert shingle_match("a b c d e f", "c d e f g") == (0.25, 0.25, 0.5)
    scores = body_scores([(0.25, 0.25, 0.5)], [False])
    assert scores.precision == 0.5
    assert scores.recall == pytest.approx(1 / 3)
    assert scores.f1 == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))


def test_shingles_are_a_multiset_and_short_texts_one_shingle():
    assert shingles("a b c d a b c d")[("a", "b", "c", "d")] == 2
    assert shingles("only two") == {("only", "two"): 1}
    assert shingles("") == {}


def test_empty_output_counts_for_recall_only():
    # page 1 perfect; page 2 nothing found: no precision term, recall 0.
    pages = [shingle_match(ARTICLE, ARTICLE), shingle_match(ARTICLE, None)]
    assert pages[1] == (0.0, 0.0, 1.0)
    scores = body_scores(pages, [True, False])
    assert (scores.precision, scores.recall, scores.accuracy) == (1.0, 0.5, 0.5)
    assert scores.f1 == pytest.approx(2 / 3)


def test_bootstrap_is_repeatable_and_zero_when_pages_agree():
    pages = [(1.0, 0.0, 0.0)] * 5
    assert bootstrap_std(pages, [True] * 5, draws=50).f1 == 0.0
    varied = [(1.0, 0.0, 0.0), (0.5, 0.5, 0.0), (0.0, 0.0, 1.0)]
    assert bootstrap_std(varied, [True, False, False], draws=50) == bootstrap_std(varied, [True, False, False], draws=50)


def test_segments_found_after_whitespace_normalisation():
    output = "Headline\n\nThe first   paragraph\nof the story.\n\nRead more: other story"
    counts = count_segments(
        must_contain=["The first paragraph of the story.", "A paragraph the extractor missed."],
        must_not_contain=["Read more: other story", "Subscribe now"],
        output=output,
    )
    assert counts == ConfusionCounts(tp=1, fp=1, fn=1, tn=1)


def test_no_output_misses_every_segment():
    assert count_segments(["a b"], ["c"], None) == ConfusionCounts(tp=0, fp=0, fn=1, tn=1)


def test_segment_scores_are_micro_over_summed_counts():
    total = ConfusionCounts(tp=3, fp=1, fn=1, tn=3) + ConfusionCounts(tp=1, fp=0, fn=3, tn=4)
    assert total == ConfusionCounts(tp=4, fp=1, fn=4, tn=7)
    scores = confusion_scores(total)
    assert scores.precision == 4 / 5
    assert scores.recall == 4 / 8
    assert scores.accuracy == 11 / 16
    assert scores.f1 == 8 / 13


def test_gold_dates_that_are_not_dates_are_told():
    assert iso_date("2022-11-29") and not iso_date("2022-29-11") and not iso_date("2022-11-1")
    assert not iso_date(float("nan")) and not iso_date(None)


def test_date_outcomes_and_scores():
    outcomes = [date_outcome("2020-01-02", "2020-01-02"), date_outcome("2020-01-03", "2020-01-02"),
                date_outcome(None, "2020-01-02"), date_outcome("2019-05-05", "2019-05-05")]
    assert outcomes == ["tp", "fp", "fn", "tp"]
    scores = date_scores(outcomes)
    assert scores.accuracy == 2 / 4
    assert scores.precision == 2 / 3
    assert scores.recall == 2 / 3
    assert scores.f1 == 4 / 6


def test_metadata_compares_whitespace_normalised_and_joins_author_lists():
    assert same_metadata("  Über   uns\n", "Über uns")
    assert not same_metadata("Über uns", "Über Uns")
    assert same_metadata(["Ann Lee", "Bo Chen"], "Ann Lee; Bo Chen")
    assert same_metadata(["Ann Lee", "Bo Chen"], ("Ann Lee", "Bo Chen"))
    assert metadata_value(None) == metadata_value("") == metadata_value([]) == ""


def test_langdetect_codes_map_to_the_sentence_files_codes():
    assert [gold_language(c) for c in ("zh-cn", "zh-tw", "no", "de", None)] == ["zh", "zh", "nb", "de", None]
