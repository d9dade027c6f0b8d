"""Wire-service detection on real pages: precision, recall and F1 of `wire_service`
(and of `content_source`) against the hand labels in bench/wire_labels.csv.

    NEWSARCHIVE_EVAL_DIR=/work/shared/eval .venv/bin/python -m bench.wire

Each labelled page goes through exactly what a run does to it (decode_page, extract_page,
tag_outlets with the registry of Settings().outlets_file), without a URL, as the other
eval reports do. A prediction is a true positive only when it names the labelled wire
service; a wrong name is a false positive and a false negative; a name on a page labelled
none is a false positive. Figures, not assertions: nothing here fails on a low score.

## The labelled set (bench/wire_labels.csv)
Pages of the eval folder's pages/ (see its MANIFEST.md), chosen before the detector was
changed, in five groups (column `selected_by`):
- `mention`: the page's extracted text, authors, site name or credit lines name a wire
  service or its code (AP, Associated Press, Reuters, AFP, Agence France-Presse, dpa,
  UPI, Bloomberg, PA, ANSA, EFE, Kyodo, Xinhua, TASS, PTI, CNA, epd, KNA, APA, SDA,
  Canadian Press, AAP, Sputnik, ANI, PAP, MTI, ...), codes matched case-sensitively;
- `raw_mention`: the page's visible HTML (scripts removed) names one though the extracted
  text does not, leaving out pages whose only hit is Getty, Gannett or Dow Jones;
- `dateline`: the text opens with a dateline naming someone in brackets ("DENVER (KDVR) –");
- `syndication_phrase`: the text says where it first appeared ("originally appeared on");
- `random`: 60 of the remaining pages (random.Random(20261123).sample), as negatives.

## Labelling rules
Each page was labelled by reading its context (the visible page, not the detector's output):
- `wire` is the registry name of the wire service whose copy the article is, when the page
  claims it: a dateline ("MOSCOW (AP) —", "Hamburg (dpa/lno) –", "(EFE).-", "/ТАСС/"), a
  byline naming the agency ("By Hillel Italie, The Associated Press", "Par AFP", "Von:
  det/dpa", "Le Monde with AFP", an author "Reuters" or "PTI"), a credit or source line for
  the text ("© Thomson Reuters 2020", "© dpa-infocom, dpa:...", "Źródło: PAP"), a sign-off
  ("... PTI", "(KNA, DR)"); a page on the agency's own site (reuters.com, tass.ru,
  sputniknews.com) is that agency's copy too.
- `wire` is empty for mentions: photo credits ("AP Photo/...", "© dpa | Name", "Foto:
  .../dpa"), "according to a Reuters tally", "told The Associated Press", "sagte ... der
  dpa", links and teasers; for an agency that only contributed ("Additional reporting from
  Reuters"), for a text compiled from several agencies ("Con información de AFP, EFE y
  Reuters"), and for unnamed ones ("SOURCE: News agencies"). A broadcaster's own call sign
  in a dateline ("BOSTON (WHDH) -") is no wire service.
- `content_source` names the outlet whose copy a page carries when that outlet is not a wire
  service and not the publisher ("By Kate Sullivan, CNN (CNN) —" on East Bay Times,
  "Spencer S. Hsu, The Washington Post" on the Inquirer, "KVELLER via JTA —").
- `evidence` quotes at most 80 characters of the page: the claim, or why there is none.
All pages were labelled before the detector was changed. Two labels were corrected after
its first run, on re-reading their markup (aa09c129..., e2f9e751...: a copyright line and a
source label closing the text, first taken for photo credits); their notes say so. The
rules were then written while looking at this set, so its scores are in-sample figures.
"""

from __future__ import annotations

import csv
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.metrics import ConfusionCounts, confusion_scores
from bench.systems import read_page
from bench.tables import print_table
from pipeline.decode import decode_page
from pipeline.extract import extract_page
from pipeline.records import RawPage, Reject
from pipeline.settings import Settings
from pipeline.tag.outlets import tag_outlets
from pipeline.tag.registry import Registry, load_registry

LABELS = Path(__file__).with_name("wire_labels.csv")


@dataclass(frozen=True)
class WireLabel:
    page: str
    wire: str | None
    content_source: str | None
    evidence: str
    note: str
    selected_by: str


@dataclass(frozen=True)
class WirePrediction:
    wire: str | None = None
    wire_method: str = "none"
    wire_evidence: str | None = None
    content_source: str | None = None
    content_source_evidence: str | None = None
    rejected: str | None = None  # "stage: reason" when the pipeline rejected the page


def read_labels(path: Path = LABELS) -> list[WireLabel]:
    with path.open(newline="", encoding="utf-8") as f:
        return [WireLabel(row["page"], row["wire"] or None, row["content_source"] or None, row["evidence"],
                          row["note"], row["selected_by"]) for row in csv.DictReader(f)]


def predict(path: Path, registry: Registry) -> WirePrediction:
    raw = RawPage(source_ref=str(path), content=read_page(path), url=None)
    page = decode_page(raw)
    doc = page if isinstance(page, Reject) else extract_page(page)
    if isinstance(doc, Reject):
        return WirePrediction(rejected=f"{doc.stage}: {doc.reason}")
    row = tag_outlets([doc], registry)[0]
    return WirePrediction(row["wire_service"], row["wire_method"], row["wire_evidence"],
                          row.get("content_source"), row.get("content_source_evidence"))


def outcome(label: str | None, found: str | None) -> ConfusionCounts:
    """One page: the right name is a TP; a wrong name is an FP and an FN; a name where
    there is none an FP; no name where there is one an FN."""
    same = label is not None and found is not None and label.casefold() == found.casefold()
    if same:
        return ConfusionCounts(tp=1)
    return ConfusionCounts(fp=int(found is not None), fn=int(label is not None), tn=int(label is found is None))


def score_dict(counts: ConfusionCounts) -> dict:
    s = confusion_scores(counts)
    return {"tp": counts.tp, "fp": counts.fp, "fn": counts.fn, "tn": counts.tn,
            "precision": s.precision, "recall": s.recall, "f1": s.f1}


def wire_scores(eval_dir: Path, labels_file: Path = LABELS, registry_file: Path | None = None) -> dict:
    """Scores of `wire_service` and `content_source` over the labelled pages of `eval_dir`,
    with every error: {"pages", "positives", "wire": {...}, "content_source": {...},
    "by_selection": {group: {...}}, "errors": [...]}."""
    registry = load_registry(registry_file or Settings().outlets_file)
    labels = read_labels(labels_file)
    wire = source = ConfusionCounts()
    groups: dict[str, ConfusionCounts] = {}
    errors = []
    for label in labels:
        got = predict(eval_dir / "pages" / label.page, registry)
        counts = outcome(label.wire, got.wire)
        wire += counts
        groups[label.selected_by] = groups.get(label.selected_by, ConfusionCounts()) + counts
        source_counts = outcome(label.content_source, got.content_source)
        source += source_counts
        if counts.fp or counts.fn or source_counts.fp or source_counts.fn:
            errors.append({
                "page": label.page, "label": label.wire, "found": got.wire, "method": got.wire_method,
                "evidence": got.wire_evidence or got.rejected, "label_evidence": label.evidence,
                "label_content_source": label.content_source, "found_content_source": got.content_source,
                "content_source_evidence": got.content_source_evidence,
            })
    return {
        "pages": len(labels), "positives": sum(1 for label in labels if label.wire),
        "wire": score_dict(wire), "content_source": score_dict(source),
        "by_selection": {group: score_dict(c) for group, c in sorted(groups.items())},
        "errors": errors,
    }


def print_report(scores: dict) -> None:
    def row(name: str, s: dict) -> list[str]:
        # A score with nothing to divide by (no positive page, no prediction) is shown as "-".
        defined = {"precision": s["tp"] + s["fp"], "recall": s["tp"] + s["fn"], "f1": s["tp"] + s["fp"] + s["fn"]}
        return [name, *(str(s[k]) for k in ("tp", "fp", "fn", "tn")),
                *(f"{s[k]:.3f}" if defined[k] else "-" for k in ("precision", "recall", "f1"))]

    header = ["field", "TP", "FP", "FN", "TN", "P", "R", "F1"]
    print_table(f"Wire service on {scores['pages']} labelled pages ({scores['positives']} wire copy)", header,
                [row("wire_service", scores["wire"]), row("content_source", scores["content_source"])])
    print_table("wire_service by how the page was selected", ["selected_by", *header[1:]],
                [row(group, s) for group, s in scores["by_selection"].items()])
    print(f"\n## Errors ({len(scores['errors'])})")
    for e in scores["errors"]:
        if e["label"] != e["found"]:
            print(f"  {e['page']}: wire label {e['label']!r}, found {e['found']!r} by {e['method']} "
                  f"({e['evidence']!r}); label evidence {e['label_evidence']!r}")
        if (e["label_content_source"] or "").casefold() != (e["found_content_source"] or "").casefold():
            print(f"  {e['page']}: content source label {e['label_content_source']!r}, "
                  f"found {e['found_content_source']!r} ({e['content_source_evidence']!r})")


def main() -> int:
    started = time.perf_counter()
    folder = Settings().eval_dir
    if not (folder / "pages").is_dir():
        print(f"No eval pages at {folder} (set NEWSARCHIVE_EVAL_DIR to the eval folder): nothing to measure.")
        return 0
    print(f"# Wire-service detection on {folder.resolve()}, labels {LABELS.name}")
    scores = wire_scores(folder)
    print_report(scores)
    print(f"\nDone in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
