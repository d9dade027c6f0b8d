"""`make eval`: our pipeline's quality on the labelled eval data, beside the bare libraries
on the same pages, with the eval folder's anchor numbers for reference.

The data sets and their upstream metrics are described in the eval folder's MANIFEST.md;
the metrics are in bench/metrics.py, the compared systems in bench/systems.py.
Figures, not assertions: nothing here fails on a low score.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import os
import sys
import time
from collections import Counter
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Hashable

from langdetect.detector_factory import PROFILES_DIRECTORY

from bench import ner, wire
from bench.metrics import (
    ConfusionCounts, Scores, body_scores, bootstrap_std, confusion_scores, count_segments, date_outcome,
    date_scores, gold_language, iso_date, metadata_value, same_metadata, same_words, shingle_match,
)
from bench.systems import (
    BareMetadata, PipelineOutput, bare_body, bare_date, bare_metadata, bare_segments_text,
    language_labels, run_pipeline,
)
from bench.tables import print_table
from pipeline.settings import Settings

PROCESSES = 2
SENTENCES_PER_JOB = 100
METADATA_FIELDS = ("title", "author", "sitename")
PARTS = ("body", "segments", "dates", "languages", "wire", "ner")
# The publication-date accuracy the project aims for; printed to four places beside it, as
# three round 585 of 616 pages (0.9497) up to the goal.
DATE_ACCURACY_GOAL = 0.95
CRASHED = PipelineOutput(rejected="crashed")

Job = Callable[[], Any]


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def page_url(key: str) -> str | None:
    """The boilerplate set is keyed by URL, except pages it only knows by file name."""
    return None if key.startswith("hard::") else key


def known_language_sentences(folder: Path) -> dict[str, list[str]]:
    """Sentences of the languages langdetect has a profile for, by the files' language code."""
    known = {gold_language(profile) for profile in os.listdir(PROFILES_DIRECTORY)}
    return {
        path.stem: [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for path in sorted(folder.glob("*.txt")) if path.stem in known
    }


class EvalData:
    def __init__(self, folder: Path):
        self.pages = folder / "pages"
        self.article_body: dict[str, dict] = load_json(folder / "article_body.json")
        self.dates: dict[str, dict] = load_json(folder / "publication_date.json")
        self.segments: dict[str, dict] = load_json(folder / "boilerplate_segments.json")
        self.sentences = known_language_sentences(folder / "langid_sentences")

    def dated_segments(self) -> dict[str, dict]:
        """The boilerplate set's pages with a date gold that is a date (a few read "2022-29-11")."""
        return {key: item for key, item in self.segments.items() if iso_date(item.get("date"))}


def plan_jobs(data: EvalData, min_language_words: int, parts: tuple[str, ...] = PARTS) -> dict[Hashable, Job]:
    """Every output the reports of `parts` need, keyed by (system, page or language, variant);
    shared keys run once (the same page under the same URL in two data sets)."""
    jobs: dict[Hashable, Job] = {}

    def ours(page: str, url: str | None, fast_too: bool = False) -> None:
        jobs[("ours", page, url)] = partial(run_pipeline, data.pages / page, url)
        if fast_too:
            jobs[("ours_fast", page, url)] = partial(run_pipeline, data.pages / page, url, fast=True)

    # Sentence batches are the longest jobs: first, so that the two processes finish together.
    for language, sentences in data.sentences.items() if "languages" in parts else ():
        for start in range(0, len(sentences), SENTENCES_PER_JOB):
            batch = tuple(sentences[start:start + SENTENCES_PER_JOB])
            jobs[("language", language, start)] = partial(language_labels, batch, min_language_words)
    for item in data.article_body.values() if "body" in parts else ():
        page = item["page"]
        ours(page, item["url"], fast_too=True)
        jobs[("bare_body", page, "no_comments")] = partial(bare_body, data.pages / page, include_comments=False)
        jobs[("bare_body", page, "defaults")] = partial(bare_body, data.pages / page)
    for key, item in data.segments.items() if "segments" in parts else ():
        page = item["page"]
        ours(page, page_url(key), fast_too=True)
        jobs[("bare_segments", page, None)] = partial(bare_segments_text, data.pages / page)
        jobs[("bare_metadata", page, page_url(key))] = partial(bare_metadata, data.pages / page, page_url(key))
    for url, item in data.dates.items() if "dates" in parts else ():
        page = item["page"]
        ours(page, None)
        ours(page, url)
        jobs[("bare_date", page, None)] = partial(bare_date, data.pages / page)
    for key, item in data.dated_segments().items() if "dates" in parts else ():
        ours(item["page"], page_url(key))
        jobs[("bare_date", item["page"], None)] = partial(bare_date, data.pages / item["page"])
    return jobs


def _quiet_libraries() -> None:
    # trafilatura, htmldate and charset detection warn per page; the report is the output.
    logging.disable(logging.WARNING)


def _run_indexed(indexed_job: tuple[int, Job]) -> tuple[int, Any, str | None]:
    index, job = indexed_job
    try:
        return index, job(), None
    except Exception as e:  # one page must not end the evaluation; the crash is reported
        return index, None, f"{type(e).__name__}: {e}"


def run_jobs(jobs: dict[Hashable, Job], processes: int) -> tuple[dict[Hashable, Any], dict[Hashable, str]]:
    """Outputs by key (None where a job crashed) and the crashes by key."""
    keys = list(jobs)
    results: dict[Hashable, Any] = {}
    crashes: dict[Hashable, str] = {}
    with multiprocessing.Pool(processes, initializer=_quiet_libraries) as pool:
        for index, result, crash in pool.imap_unordered(_run_indexed, enumerate(jobs.values())):
            results[keys[index]] = result
            if crash:
                crashes[keys[index]] = crash
    return results, crashes


def ratio(count: int, total: int) -> str:
    return f"{count / total:.3f} ({count}/{total})" if total else "-"


def rejects_note(outputs: list[PipelineOutput]) -> str:
    reasons = Counter(o.rejected for o in outputs if o.rejected)
    listed = ", ".join(f"{reason} {n}" for reason, n in reasons.most_common())
    methods = Counter(o.extract_method for o in outputs if o.extract_method)
    by_method = ", ".join(f"{method} {n}" for method, n in methods.most_common())
    return (f"ours rejected {sum(reasons.values())} of {len(outputs)} pages" + (f" ({listed})" if listed else "")
            + (f"; text by {by_method}" if by_method else ""))


def report_article_body(data: EvalData, results: dict) -> None:
    items = list(data.article_body.values())
    golds = [item["articleBody"] for item in items]
    ours = [results[("ours", item["page"], item["url"])] or CRASHED for item in items]
    systems = {
        "ours: decode_page + extract_page (page URL given)": [o.text for o in ours],
        "ours with --fast-extraction": [(results[("ours_fast", i["page"], i["url"])] or CRASHED).text for i in items],
        "bare extract(html, include_comments=False)": [results[("bare_body", i["page"], "no_comments")] for i in items],
        "bare extract(html), defaults": [results[("bare_body", i["page"], "defaults")] for i in items],
    }

    def cell(value: float, spread: float) -> str:
        return f"{value:.3f} ± {spread:.3f}"

    rows = []
    for label, outputs in systems.items():
        matches = [shingle_match(gold, found) for gold, found in zip(golds, outputs)]
        exact = [same_words(gold, found) for gold, found in zip(golds, outputs)]
        s, sd = body_scores(matches, exact), bootstrap_std(matches, exact)
        rows.append([label, cell(s.f1, sd.f1), cell(s.precision, sd.precision), cell(s.recall, sd.recall),
                     cell(s.accuracy, sd.accuracy), str(sum(1 for o in outputs if not o))])
    rows += [
        ["anchor: bare extract(include_comments=False)", "0.966", "0.957", "0.974", "0.284", ""],
        ["anchor: bare extract(), defaults", "0.958", "0.941", "0.974", "0.235", ""],
        ["anchor: bare extract(favor_precision=True)", "0.973", "0.975", "0.972", "0.343", ""],
    ]
    print_table(f"article_body: scrapinghub benchmark, {len(items)} pages "
                "(word 4-gram shingles, P and R averaged over pages, ± bootstrap std over 1000 draws)",
                ["system", "F1", "precision", "recall", "accuracy", "empty"], rows)
    print(rejects_note(ours))


def report_segments(data: EvalData, results: dict) -> None:
    items = list(data.segments.items())
    ours = [results[("ours", item["page"], page_url(key))] or CRASHED for key, item in items]
    systems = {
        "ours: decode_page + extract_page (URL given, none for hard::)": [o.text for o in ours],
        "ours with --fast-extraction": [(results[("ours_fast", item["page"], page_url(key))] or CRASHED).text
                                        for key, item in items],
        "bare extract(bytes, include_comments=False, include_tables=True, include_formatting=False)":
            [results[("bare_segments", item["page"], None)] for _, item in items],
    }
    rows = []
    for label, outputs in systems.items():
        counts = sum((count_segments(item["with"], item["without"], found) for (_, item), found in zip(items, outputs)),
                     start=ConfusionCounts())
        s = confusion_scores(counts)
        rows.append([label, *scores_cells(s), str(counts.tp), str(counts.fp), str(counts.fn), str(counts.tn),
                     str(sum(1 for o in outputs if not o))])
    rows += [
        ["anchor: bare, standard", "0.926", "0.907", "0.945", "", "", "", "", "", ""],
        ["anchor: bare, fast / precision / recall", "0.923 / 0.925 / 0.921", "", "", "", "", "", "", "", ""],
    ]
    withs = sum(len(item["with"]) for _, item in items)
    withouts = sum(len(item["without"]) for _, item in items)
    print_table(f"boilerplate_segments: trafilatura eval set, {len(items)} pages, {withs} `with` and {withouts} "
                "`without` segments (micro counts)",
                ["system", "F1", "precision", "recall", "accuracy", "TP", "FP", "FN", "TN", "empty"], rows)
    print(rejects_note(ours))
    report_metadata(items, ours, [results[("bare_metadata", item["page"], page_url(key))] for key, item in items])


def scores_cells(s: Scores) -> list[str]:
    return [f"{s.f1:.3f}", f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.accuracy:.3f}"]


def report_metadata(items: list[tuple[str, dict]], ours: list[PipelineOutput], bare: list[BareMetadata | None]) -> None:
    def rates(found: list[dict[str, Any]]) -> list[str]:
        cells = []
        for field in METADATA_FIELDS:
            scored = [(item.get(field), values[field]) for (_, item), values in zip(items, found)
                      if metadata_value(item.get(field))]
            cells.append(ratio(sum(1 for gold, value in scored if same_metadata(gold, value)), len(scored)))
        return cells

    ours_values = [{"title": o.title, "author": o.authors, "sitename": o.sitename} for o in ours]
    bare_values = [{field: getattr(b, field) if b else None for field in METADATA_FIELDS} for b in bare]
    print_table("boilerplate_segments metadata: exact match, whitespace-normalised, over pages with a non-empty gold value",
                ["system", *METADATA_FIELDS],
                [["ours: Document title / authors joined '; ' / sitename", *rates(ours_values)],
                 ["bare bare_extraction(bytes, url, with_metadata=True)", *rates(bare_values)]])


def report_dates(data: EvalData, results: dict) -> None:
    items = list(data.dates.items())
    ours_without_url = [results[("ours", item["page"], None)] or CRASHED for _, item in items]
    ours_with_url = [results[("ours", item["page"], url)] or CRASHED for url, item in items]
    systems = {
        "ours: tag_dates, url=None (as upstream)": [o.published_date for o in ours_without_url],
        "ours: tag_dates, page URL given (as a run with a manifest)": [o.published_date for o in ours_with_url],
        "bare find_date(html, original_date=True, extensive_search=True)":
            [results[("bare_date", item["page"], None)] for _, item in items],
    }
    upstream_sets = sorted({item["upstream_set"] for _, item in items})
    rows = []
    for label, found in systems.items():
        outcomes = [date_outcome(date, item["date"]) for date, (_, item) in zip(found, items)]
        counts = Counter(outcomes)
        by_set = [ratio(sum(1 for o, (_, item) in zip(outcomes, items) if o == "tp" and item["upstream_set"] == name),
                        sum(1 for _, item in items if item["upstream_set"] == name)) for name in upstream_sets]
        rows.append([label, *scores_cells(date_scores(outcomes)), str(counts["tp"]), str(counts["fp"]), str(counts["fn"]),
                     *by_set])
    blanks = [""] * (3 + len(upstream_sets))
    rows += [
        ["anchor: bare extensive (original_date=True)", "", "0.912", "0.996", "0.909", *blanks],
        ["anchor: bare fast", "", "0.924", "0.939", "0.872", *blanks],
        ["anchor: bare plain find_date(html)", "", "", "", "0.859", *blanks],
    ]
    print_table(f"publication_date: htmldate eval set, {len(items)} pages (no date = FN, wrong date = FP)",
                ["system", "F1", "precision", "recall", "accuracy", "TP", "FP", "FN",
                 *(f"accuracy {name}" for name in upstream_sets)], rows)
    print(rejects_note(ours_without_url) + " with url=None")
    print(rejects_note(ours_with_url) + " with the page URL")
    right = sum(date_outcome(o.published_date, item["date"]) == "tp" for o, (_, item) in zip(ours_without_url, items))
    print(f"goal: accuracy >= {DATE_ACCURACY_GOAL}, {math.ceil(DATE_ACCURACY_GOAL * len(items))} of {len(items)} pages; "
          f"ours (url=None) {right}, {right / len(items):.4f}")
    report_date_confidence(items, ours_with_url)
    report_second_date_set(data, results)


def report_second_date_set(data: EvalData, results: dict) -> None:
    """The boilerplate set's date gold: labelled apart from the htmldate set, on pages most of
    which are in it too; its other pages are data the date rules were not written on."""
    in_date_set = {item["page"] for item in data.dates.values()}
    items = list(data.dated_segments().items())
    found = {
        "ours: tag_dates, page URL given (none for hard::)":
            [(results[("ours", item["page"], page_url(key))] or CRASHED).published_date for key, item in items],
        "bare find_date(html, original_date=True, extensive_search=True)":
            [results[("bare_date", item["page"], None)] for _, item in items],
    }
    subsets = {"all": lambda page: True, "not in the htmldate set": lambda page: page not in in_date_set,
               "also in it": lambda page: page in in_date_set}
    rows = [[label, *(ratio(sum(date == item["date"] for date, (_, item) in zip(dates, items) if keep(item["page"])),
                            sum(1 for _, item in items if keep(item["page"]))) for keep in subsets.values())]
            for label, dates in found.items()]
    skipped = sum(1 for item in data.segments.values() if item.get("date")) - len(items)
    print_table(f"publication_date, second set: the boilerplate set's {len(items)} pages with a date gold "
                f"({skipped} more gold values are not dates), accuracy",
                ["system", *subsets], rows)


def report_date_confidence(items: list[tuple[str, dict]], ours: list[PipelineOutput]) -> None:
    """Whether `published_confidence` means what it says: accuracy per method and confidence."""
    groups: dict[tuple, list[bool]] = {}
    for (_, item), o in zip(items, ours):
        key = (o.published_method or "rejected", "" if o.published_confidence is None else f"{o.published_confidence:.2f}")
        groups.setdefault(key, []).append(o.published_date == item["date"])
    print_table("publication_date: accuracy by published_method and published_confidence (page URL given)",
                ["method", "confidence", "pages", "accuracy"],
                [[method, conf, str(len(hits)), f"{sum(hits) / len(hits):.3f}"]
                 for (method, conf), hits in sorted(groups.items(), key=lambda kv: -len(kv[1]))])


def report_languages(data: EvalData, results: dict, min_words: int) -> None:
    labelled: list[tuple[str, str | None, str | None]] = []  # (gold, ours, bare)
    for language, sentences in data.sentences.items():
        for start in range(0, len(sentences), SENTENCES_PER_JOB):
            batch_size = len(sentences[start:start + SENTENCES_PER_JOB])
            labels = results[("language", language, start)] or [(None, None)] * batch_size  # crashed: all wrong
            labelled += [(language, ours, bare) for ours, bare in labels]
    total = len(labelled)
    ours_und = [gold for gold, ours, _ in labelled if ours == "und"]
    ours_right = sum(1 for gold, ours, _ in labelled if gold_language(ours) == gold)
    bare_none = sum(1 for _, _, bare in labelled if bare is None)
    bare_right = sum(1 for gold, _, bare in labelled if gold_language(bare) == gold)
    rows = [
        [f"ours: detect_language(text, min_words={min_words})", f"{ours_right / total:.3f}", str(ours_right),
         str(len(ours_und)), ratio(ours_right, total - len(ours_und))],
        ["bare langdetect detect(), seed 0", f"{bare_right / total:.3f}", str(bare_right), str(bare_none),
         ratio(bare_right, total - bare_none)],
        ["anchor: bare langdetect", "0.982", "", "", ""],
    ]
    print_table(f"langid_sentences: lingua-py test sentences, {total} sentences in the {len(data.sentences)} languages "
                "langdetect knows (zh-cn/zh-tw count as zh, no as nb)",
                ["system", "accuracy", "correct", "und / no answer", "accuracy where answered"], rows)
    if ours_und:
        by_language = Counter(ours_und).most_common(8)
        print(f"ours `und` (fewer than {min_words} words) by language: "
              + ", ".join(f"{lang} {n}/{len(data.sentences[lang])}" for lang, n in by_language))


def parse_parts(argv: list[str] | None) -> tuple[str, ...]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to measure, of {', '.join(PARTS)} (default: all)")
    parts = tuple(part.strip() for part in parser.parse_args(argv).only.split(",") if part.strip())
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    return parts


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parts = parse_parts(argv)
    settings = Settings()
    folder = settings.eval_dir
    if not folder.is_dir():
        print(f"No eval data at {folder} (set NEWSARCHIVE_EVAL_DIR to the eval folder): nothing to measure.")
        return 0
    data = EvalData(folder)
    jobs = plan_jobs(data, settings.min_language_words, parts)
    print(f"# Quality on {folder.resolve()}")
    print(f"trafilatura {version('trafilatura')}, htmldate {version('htmldate')}, langdetect {version('langdetect')}; "
          f"anchors from MANIFEST.md (trafilatura 2.3.1, htmldate 1.11.0, langdetect 1.0.9)")
    print(f"{len(jobs)} jobs on {PROCESSES} processes")
    results, crashes = run_jobs(jobs, PROCESSES)

    reports = {
        "body": lambda: report_article_body(data, results),
        "segments": lambda: report_segments(data, results),
        "dates": lambda: report_dates(data, results),
        "languages": lambda: report_languages(data, results, settings.min_language_words),
        # These two run in this process, after the pool: bench/wire.py and bench/ner.py.
        "wire": lambda: wire.print_report(wire.wire_scores(folder)),
        "ner": lambda: ner.print_scores(ner.ner_scores(folder, settings.spacy_model)),
    }
    for part in PARTS:
        if part in parts:
            reports[part]()
    if crashes:
        print(f"\n{len(crashes)} jobs crashed (scored as empty output):")
        for key, crash in crashes.items():
            print(f"  {key}: {crash}")
    print(f"\nDone in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
