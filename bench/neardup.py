"""`python -m bench.neardup`: precision and recall of the near-duplicate layer
(pipeline/neardup.py) on a benchmark generated from the real pages of the eval folder.

Every eval page goes through our own decode_page and extract_page. A few hundred of the
articles (at least MIN_WORDS words, MIN_PARAGRAPHS paragraphs) are the originals; each
gets copies with known edits (a rewritten headline and first line, paragraphs from
another article inserted, paragraphs deleted, site furniture added, truncation to its
first 60-80 % of paragraphs, and combinations), all drawn from one seeded generator.
Known non-duplicates are pairs of different articles of the same site (registrable
domain, tld.get_fld), the ones sharing the most vocabulary first, and each original's
closest article on another site by vocabulary.

The run is simulated as the pipeline does it: every distinct article is indexed by its
band keys, each query finds its candidates through shared keys and the containment rule
decides. Precision counts every call the rule makes: a copy called a duplicate of an
article other than its original, a known non-duplicate pair, and any real article called
a duplicate of another (each distinct article is also queried against the rest). The
band layout and the threshold are swept with the band keys reimplemented here with
pipeline/neardup.py's hashing, checked equal to it at the pipeline's layout.

The two-captures pairs of same_article_pairs.json are the real-world check. Generated
texts stay in memory: nothing from the eval pages is written anywhere.
Figures, not assertions: nothing here fails on a low score.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import multiprocessing
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from datasketch import MinHash
from tld import get_fld

from bench.tables import print_table
from pipeline import neardup
from pipeline.decode import decode_page
from pipeline.extract import extract_page
from pipeline.records import RawPage, Reject
from pipeline.settings import Settings

SEED = 20261123
PROCESSES = 2
ORIGINALS = 300
MIN_WORDS = 150
MIN_PARAGRAPHS = 3
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
# (NUM_PERM, BANDS, ROWS); the first is the pipeline's own.
LAYOUTS = ((neardup.NUM_PERM, neardup.BANDS, neardup.ROWS), (128, 64, 2), (128, 16, 8),
           (256, 64, 4), (256, 32, 8), (256, 128, 2))
GOAL_PRECISION, GOAL_RECALL = 0.99, 0.95
# The eval folder's one known unlabelled duplicate (MANIFEST.md): the copy is left out of the corpus.
KNOWN_DUPLICATE_KEYS = ("hard::womencantalksports.com.top10.html",)
# Lines sites put around an article; a copy gets a few of them.
FURNITURE = (
    "Follow us on X", "Sign up for our newsletter", "Share this article", "Advertisement",
    "Click here to subscribe and never miss a story", "Follow us on Facebook and Instagram",
    "Read more:", "Download our app", "Comments are closed.", "Related articles",
    "This article first appeared on {site}.", "© 2024 {site}. All rights reserved.",
)
HEADLINE_PREFIXES = ("UPDATE: ", "Watch: ", "Breaking: ", "Analysis: ", "")
HEADLINE_WORDS = 40
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
TOPIC_WORD = re.compile(r"[^\W\d_]{4,}")


@dataclass
class Article:
    page: str
    url: str | None
    site: str | None
    title: str
    text: str

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n")

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class Query:
    """A text looked up in the index: a generated copy of `original`, or a real article
    (`original` None) that must match nothing."""

    text: str
    kind: str
    original: int | None = None
    self_index: int | None = None
    candidates: dict[int, float] = field(default_factory=dict)  # index position -> estimated containment


# ---- the eval pages -----------------------------------------------------------------

def site_of(key: str) -> str | None:
    """Registrable domain as MANIFEST.md's split rule takes it: archived URLs by the
    archived page's URL, `hard::` keys by their file name."""
    if key.startswith("hard::"):
        parts = re.split(r"[.-]", key.removeprefix("hard::"))
        for end in range(len(parts), 1, -1):
            if found := get_fld("http://" + ".".join(parts[:end]), fail_silently=True):
                return found
        return None
    if match := re.match(r"https?://web\.archive\.org/web/[^/]+/(.+)", key):
        key = match.group(1) if "://" in match.group(1) else "http://" + match.group(1)
    return get_fld(key, fail_silently=True)


def page_keys(folder: Path) -> dict[str, str]:
    """Page file -> its URL (or `hard::` key), from the gold files that name pages."""
    keys: dict[str, str] = {}
    for item in json.loads((folder / "article_body.json").read_text(encoding="utf-8")).values():
        keys.setdefault(item["page"], item["url"])
    for name in ("publication_date.json", "boilerplate_segments.json"):
        for key, item in json.loads((folder / name).read_text(encoding="utf-8")).items():
            keys.setdefault(item["page"], key)
    for pair in json.loads((folder / "same_article_pairs.json").read_text(encoding="utf-8")):
        keys.setdefault(pair["a"], pair["url"])
        keys.setdefault(pair["b"], pair["url"])
    return keys


def extract(job: tuple[str, str, str | None]) -> tuple[str, str | None, str | None, str | None]:
    """(page, title, text, reject reason) as a run would store the page."""
    page_name, path, url = job
    raw = RawPage(source_ref=path, content=gzip.decompress(Path(path).read_bytes()), url=url)
    page = decode_page(raw)
    doc = page if isinstance(page, Reject) else extract_page(page)
    if isinstance(doc, Reject):
        return page_name, None, None, f"{doc.stage}: {doc.reason}"
    return page_name, doc.title, doc.text, None


def _quiet_libraries() -> None:
    logging.disable(logging.WARNING)  # trafilatura and charset detection warn per page


def extract_all(folder: Path, keys: dict[str, str]) -> dict[str, tuple[str | None, str | None, str | None]]:
    pages = sorted(p.name for p in (folder / "pages").glob("*.html.gz"))
    jobs = [(p, str(folder / "pages" / p), keys.get(p) if not keys.get(p, "").startswith("hard::") else None)
            for p in pages]
    with multiprocessing.Pool(PROCESSES, initializer=_quiet_libraries) as pool:
        return {page: rest for page, *rest in pool.imap_unordered(extract, jobs, chunksize=8)}


# ---- the generated copies -----------------------------------------------------------

def rewrite_headline(title: str, paragraphs: list[str], rng: random.Random) -> tuple[str, list[str]]:
    """A new title, and the first line reworded: the first sentence (at most its first
    HEADLINE_WORDS words) with its halves swapped and every fourth word dropped."""
    words = title.split()
    cut = len(words) // 2
    new_title = rng.choice(HEADLINE_PREFIXES) + " ".join(words[cut:] + words[:cut])
    first, *rest = SENTENCE_END.split(paragraphs[0], maxsplit=1)
    words = first.split()
    words, kept = words[:HEADLINE_WORDS], words[HEADLINE_WORDS:]
    cut = max(1, len(words) // 2)
    reworded = [w for i, w in enumerate(words[cut:] + words[:cut]) if i % 4 != 3]
    return new_title, [" ".join([*reworded, *kept, *rest]), *paragraphs[1:]]


def insert_paragraphs(paragraphs: list[str], donors: list[Article], rng: random.Random) -> list[str]:
    """One or two paragraphs of another article, of at least 15 words each, together at most
    a quarter of that article and a third of this one: a copy holding most of a short
    article would rightly be its near-duplicate, and one mostly made of another article's
    text is not an edited copy of this one."""
    count = rng.choice((1, 2))
    words = sum(len(p.split()) for p in paragraphs)
    for _ in range(1000):
        donor = rng.choice(donors)
        usable = [p for p in donor.paragraphs if len(p.split()) >= 15]
        if len(usable) >= count:
            chosen = rng.sample(usable, count)
            if sum(len(p.split()) for p in chosen) <= min(donor.words / 4, words / 3):
                break
    else:
        raise RuntimeError("no article to take paragraphs from")
    out = paragraphs[:]
    for paragraph in chosen:
        out.insert(rng.randrange(len(out) + 1), paragraph)
    return out


def delete_paragraphs(paragraphs: list[str], rng: random.Random) -> list[str]:
    """One or two paragraphs (two only from eight paragraphs up) holding together at most a
    quarter of the words; the shortest paragraph where no draw does. Cutting the one long
    paragraph of a page that has little else leaves another text, not an edited copy."""
    count = 1 if len(paragraphs) < 8 else rng.choice((1, 2))
    words = [len(p.split()) for p in paragraphs]
    for _ in range(100):
        gone = set(rng.sample(range(len(paragraphs)), count))
        if sum(words[i] for i in gone) <= sum(words) / 4:
            break
    else:
        gone = {min(range(len(paragraphs)), key=lambda i: words[i])}
    return [p for i, p in enumerate(paragraphs) if i not in gone]


def add_furniture(paragraphs: list[str], site: str, rng: random.Random) -> list[str]:
    out = paragraphs[:]
    for line in rng.sample(FURNITURE, rng.randint(2, 4)):
        line = line.format(site=site)
        where = rng.choice(("top", "bottom", "between"))
        out.insert(0 if where == "top" else len(out) if where == "bottom" else rng.randrange(1, len(out) + 1), line)
    return out


def truncate(paragraphs: list[str], rng: random.Random) -> list[str]:
    """The first paragraphs holding 60-80 % of the words: at least one paragraph, never all.
    By words, not by paragraph count: many pages open with a few one-word lines."""
    share = rng.uniform(0.6, 0.8)
    total = sum(len(p.split()) for p in paragraphs)
    kept, words = [], 0
    for paragraph in paragraphs[:-1]:
        kept.append(paragraph)
        words += len(paragraph.split())
        if words >= share * total:
            break
    return kept


EDITS = ("headline", "insert", "delete", "furniture", "truncate")
COMBINATIONS = ("headline+insert", "delete+furniture", "insert+delete", "headline+truncate+furniture",
                "headline+insert+delete+furniture")


def make_copy(original: Article, edits: str, donors: list[Article], rng: random.Random) -> str:
    title, paragraphs = original.title, original.paragraphs
    for edit in edits.split("+"):
        if edit == "headline":
            title, paragraphs = rewrite_headline(title or "", paragraphs, rng)
        elif edit == "insert":
            paragraphs = insert_paragraphs(paragraphs, donors, rng)
        elif edit == "delete":
            paragraphs = delete_paragraphs(paragraphs, rng)
        elif edit == "furniture":
            paragraphs = add_furniture(paragraphs, original.site or "the site", rng)
        elif edit == "truncate":
            paragraphs = truncate(paragraphs, rng)
    # The pipeline signs the text alone: the new title only counts through the reworded first line.
    return "\n\n".join(paragraphs)


def topic_words(articles: list[Article]) -> list[set[str]]:
    """Each article's distinctive words: those in at most 2 % of the articles."""
    sets = [set(TOPIC_WORD.findall(a.text.lower())) for a in articles]
    frequency = Counter(w for s in sets for w in s)
    limit = max(2, len(articles) // 50)
    return [{w for w in s if frequency[w] <= limit} for s in sets]


def overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def non_duplicate_pairs(corpus: list[Article], eligible: list[int], originals: list[int]) -> list[tuple[int, int, str]]:
    """(a, b, group): each eligible article with the same-site article sharing the most
    vocabulary, and each original with its closest article on another site."""
    words = topic_words(corpus)
    by_site: dict[str, list[int]] = defaultdict(list)
    for i in eligible:
        if corpus[i].site:
            by_site[corpus[i].site].append(i)
    pairs: dict[tuple[int, int], str] = {}
    for members in by_site.values():
        for i in members:
            if others := [j for j in members if j != i]:
                j = max(others, key=lambda j: (overlap(words[i], words[j]), -j))
                pairs.setdefault((min(i, j), max(i, j)), "same site")
    for i in originals:
        others = [j for j in eligible if corpus[j].site != corpus[i].site]
        j = max(others, key=lambda j: (overlap(words[i], words[j]), -j))
        pairs.setdefault((min(i, j), max(i, j)), "same topic, other site")
    return [(a, b, group) for (a, b), group in sorted(pairs.items())]


# ---- signatures, band keys, candidates ----------------------------------------------

def exact_containment(a: list[bytes], b: list[bytes]) -> float:
    """What containment() estimates: the share of the smaller shingle set inside the other."""
    return len(set(a) & set(b)) / min(len(a), len(b)) if a and b else 0.0


def signatures(shingle_sets: list[list[bytes]], num_perm: int) -> list[np.ndarray]:
    """pipeline.neardup.signatures with the number of permutations as a parameter."""
    return [h.hashvalues.astype(np.uint32) for h in MinHash.bulk(shingle_sets, num_perm=num_perm, seed=neardup.SEED)]


def band_keys(signature: np.ndarray, bands: int, rows: int) -> list[int]:
    """pipeline.neardup.band_keys for any layout: the same blake2b of band number and rows."""
    return [
        int.from_bytes(hashlib.blake2b(bytes([band]) + signature[band * rows:(band + 1) * rows].tobytes(),
                                       digest_size=8).digest(), "big") >> 1
        for band in range(bands)
    ]


def check_same_as_pipeline(texts: list[str]) -> None:
    sigs, _ = neardup.signatures(texts)
    ours = signatures([neardup.shingles(t) for t in texts], neardup.NUM_PERM)
    assert all(np.array_equal(a, b) for a, b in zip(sigs, ours)), "signatures differ from pipeline/neardup.py"
    assert all(neardup.band_keys(s) == band_keys(s, neardup.BANDS, neardup.ROWS) for s in sigs), \
        "band keys differ from pipeline/neardup.py"


def find_candidates(queries: list[Query], index_sigs: list[np.ndarray], query_sigs: list[np.ndarray],
                    index_sizes: list[int], query_sizes: list[int], bands: int, rows: int) -> None:
    """Fill each query's candidates (index articles sharing a band key) with the estimated containment."""
    buckets: dict[int, list[int]] = defaultdict(list)
    for i, sig in enumerate(index_sigs):
        for key in band_keys(sig, bands, rows):
            buckets[key].append(i)
    for q, sig, size in zip(queries, query_sigs, query_sizes):
        found = {i for key in band_keys(sig, bands, rows) for i in buckets.get(key, ())}
        found.discard(q.self_index)
        q.candidates = {i: neardup.containment(sig, size, index_sigs[i], index_sizes[i]) for i in found}


@dataclass
class Outcome:
    tp: int
    fn: int
    fp_copies: int      # copies whose best candidate is an article other than their original
    fp_pairs: int       # known non-duplicate pairs called duplicates
    fp_real: int        # other real articles called duplicates of each other
    pairs: int
    candidates: list[int]   # per copy: articles sharing a band key with it
    found: list[bool]       # per copy: matched to its original
    candidate: list[bool]   # per copy: its original shares a band key with it
    # (what was queried, its index or its original's, the article matched, estimated containment)
    false: list[tuple[str, int, int, float]]

    @property
    def precision(self) -> float:
        calls = self.tp + self.fp_copies + self.fp_pairs + self.fp_real
        return self.tp / calls if calls else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def lsh_recall(self) -> float:
        return sum(self.candidate) / len(self.candidate)

    @property
    def false_calls(self) -> int:
        return self.fp_copies + self.fp_pairs + self.fp_real


def best_match(q: Query, threshold: float) -> int | None:
    """The article a run would record the query as duplicating: as split_near_duplicates,
    the candidate of highest estimated containment, if it reaches the threshold."""
    if not q.candidates:
        return None
    best = max(q.candidates, key=lambda i: (q.candidates[i], -i))
    return best if q.candidates[best] >= threshold else None


def score(copies: list[Query], reals: list[Query], pairs: list[tuple[int, int, str]], threshold: float) -> Outcome:
    matches = [best_match(q, threshold) for q in copies]
    found = [m == q.original for q, m in zip(copies, matches)]
    fp_copies = sum(1 for q, m in zip(copies, matches) if m is not None and m != q.original)
    called = {tuple(sorted((q.self_index, i))): c for q in reals for i, c in q.candidates.items() if c >= threshold}
    known = {(a, b) for a, b, _ in pairs}
    false = [(f"copy ({q.kind}) of", q.original, m, q.candidates[m])
             for q, m in zip(copies, matches) if m is not None and m != q.original]
    false += [("real article", a, b, c) for (a, b), c in sorted(called.items())]
    return Outcome(
        tp=sum(found), fn=len(found) - sum(found), fp_copies=fp_copies,
        fp_pairs=len(called.keys() & known), fp_real=len(called.keys() - known), pairs=len(known),
        candidates=[len(q.candidates) for q in copies], found=found, false=false,
        candidate=[q.original in q.candidates for q in copies],
    )


# ---- the report ---------------------------------------------------------------------

def layout_name(layout: tuple[int, int, int]) -> str:
    return f"{layout[1]}x{layout[2]} @{layout[0]}"


RECALL_TOLERANCE = 0.01


def recommend(results: dict[tuple[tuple[int, int, int], float], Outcome]) -> tuple[tuple[int, int, int], float]:
    """The settings reaching both goals with the fewest false calls; of those, the ones
    keeping the pipeline's NUM_PERM if any (another means re-signing every archived
    article, where a band layout is re-derived from the stored signatures and a threshold
    costs nothing); then the highest threshold whose recall is within RECALL_TOLERANCE of
    the best of them (a margin against false calls, and a copy with a third of new text
    is an update worth keeping), then the fewest candidates per query. Without any
    setting reaching the goals: the best F1."""
    meeting = {k: o for k, o in results.items() if o.precision >= GOAL_PRECISION and o.recall >= GOAL_RECALL}
    if not meeting:
        return max(results, key=lambda k: 2 * results[k].precision * results[k].recall
                   / max(results[k].precision + results[k].recall, 1e-9))
    fewest = min(o.false_calls for o in meeting.values())
    meeting = {k: o for k, o in meeting.items() if o.false_calls == fewest}
    same_perm = {k: o for k, o in meeting.items() if k[0][0] == neardup.NUM_PERM}
    meeting = same_perm or meeting
    best = max(o.recall for o in meeting.values())
    near = [k for k, o in meeting.items() if o.recall >= best - RECALL_TOLERANCE]
    return max(near, key=lambda k: (k[1], -statistics.mean(meeting[k].candidates), -k[0][0]))


BOT_WALL_WORDS = 50


def real_world_pairs(folder: Path, extracted: dict, settings: list[tuple[tuple[int, int, int], float]]) -> None:
    """same_article_pairs.json: each pair decided by the rule. A capture the pipeline
    rejects is never signed, so it is never anyone's duplicate; the rule's own verdict on
    its (empty) text is shown too. A pair with a rejected or near-empty capture (a bot
    wall) must not be called a duplicate."""
    pairs = json.loads((folder / "same_article_pairs.json").read_text(encoding="utf-8"))
    table, notes, bot_walls = [], [], []
    verdicts: dict[str, list[bool]] = {}
    for pair in pairs:
        captures = [extracted[pair["a"]], extracted[pair["b"]]]
        texts = [text or "" for _, text, _ in captures]
        rejects = [reject for _, _, reject in captures]
        states = [reject or f"{len(text.split())} words" for reject, text in zip(rejects, texts)]
        sets = [neardup.shingles(t) for t in texts]
        bot_wall = any(rejects) or min(len(t.split()) for t in texts) < BOT_WALL_WORDS
        found = []
        for (num_perm, bands, rows), threshold in settings:
            sig_a, sig_b = signatures(sets, num_perm)
            shared = bool(set(band_keys(sig_a, bands, rows)) & set(band_keys(sig_b, bands, rows)))
            estimate = neardup.containment(sig_a, len(sets[0]), sig_b, len(sets[1]))
            duplicate = not any(rejects) and shared and estimate >= threshold
            label = f"{layout_name((num_perm, bands, rows))} at {threshold}"
            verdicts.setdefault(label, []).append(duplicate)
            found.append(f"{label}: shared band key {'yes' if shared else 'no'}, containment {estimate:.2f} -> "
                         f"{'duplicate' if duplicate else 'not a duplicate'}")
            if bot_wall:
                bot_walls.append(not duplicate)
        if bot_wall or not all(verdicts[label][-1] for label in verdicts):
            notes.append(f"  {pair['url']}\n    capture a: {states[0]}; capture b: {states[1]}"
                         f"{' (bot wall or empty page)' if bot_wall else ''}\n    " + "\n    ".join(found))
    table = [[label, f"{sum(v)}/{len(v)}"] for label, v in verdicts.items()]
    print_table("same_article_pairs.json: the same URL captured twice", ["setting", "called duplicates"], table)
    print("pairs not called duplicates (or with a bot-wall capture):")
    print("\n".join(notes) if notes else "  none")
    print(f"bot-wall pairs ({len(bot_walls) // len(settings)}) never called duplicates: "
          f"{'yes' if all(bot_walls) else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    folder = Settings().eval_dir
    if not folder.is_dir():
        print(f"No eval data at {folder} (set NEWSARCHIVE_EVAL_DIR to the eval folder): nothing to measure.")
        return 0
    keys = page_keys(folder)
    extracted = extract_all(folder, keys)
    extract_seconds = time.perf_counter() - started

    # One article per real article: second captures and the known duplicate stay out of the corpus.
    pairs_file = json.loads((folder / "same_article_pairs.json").read_text(encoding="utf-8"))
    left_out = {p["b"] for p in pairs_file} | {page for page, key in keys.items() if key in KNOWN_DUPLICATE_KEYS}
    corpus = [Article(page, keys.get(page), site_of(keys[page]) if page in keys else None, title or "", text)
              for page, (title, text, reject) in sorted(extracted.items()) if text and page not in left_out]
    eligible = [i for i, a in enumerate(corpus) if a.words >= MIN_WORDS]
    rng = random.Random(SEED)
    originals = sorted(rng.sample([i for i in eligible if len(corpus[i].paragraphs) >= MIN_PARAGRAPHS],
                                  ORIGINALS))
    copies: list[Query] = []
    for i in originals:
        donors = [corpus[j] for j in eligible if j != i]
        for edits in EDITS + COMBINATIONS:
            copies.append(Query(make_copy(corpus[i], edits, donors, rng), edits, i))
    pairs = non_duplicate_pairs(corpus, eligible, originals)
    reals = [Query(a.text, "real", None, i) for i, a in enumerate(corpus)]
    queries = copies + reals

    corpus_sets = [neardup.shingles(a.text) for a in corpus]
    query_sets = [neardup.shingles(q.text) for q in copies]
    exact = [exact_containment(s, corpus_sets[q.original]) for q, s in zip(copies, query_sets)]
    exact_jaccard = [len(set(s) & set(corpus_sets[q.original])) / len(set(s) | set(corpus_sets[q.original]))
                     for q, s in zip(copies, query_sets)]
    check_same_as_pipeline([corpus[i].text for i in originals[:20]])

    results: dict[tuple[tuple[int, int, int], float], Outcome] = {}
    estimates: dict[int, list[float]] = {}
    by_perm: dict[int, list[np.ndarray]] = {}
    for layout in LAYOUTS:
        num_perm, bands, rows = layout
        if num_perm not in by_perm:
            by_perm[num_perm] = signatures(corpus_sets + query_sets, num_perm)
        sigs = by_perm[num_perm]
        index_sigs, copy_sigs = sigs[:len(corpus)], sigs[len(corpus):]
        index_sizes = [len(s) for s in corpus_sets]
        find_candidates(queries, index_sigs, copy_sigs + index_sigs, index_sizes,
                        [len(s) for s in query_sets] + index_sizes, bands, rows)
        estimates.setdefault(num_perm, [neardup.containment(s, len(qs), index_sigs[q.original],
                                                            index_sizes[q.original])
                                        for q, s, qs in zip(copies, copy_sigs, query_sets)])
        for threshold in THRESHOLDS:
            results[(layout, threshold)] = score(copies, reals, pairs, threshold)

    groups = Counter(group for _, _, group in pairs)
    print(f"# Near-duplicate detection on {folder.resolve()}")
    print(f"{len(extracted)} pages extracted with decode_page + extract_page in {extract_seconds:.0f} s "
          f"({sum(1 for v in extracted.values() if not v[1])} rejected); corpus {len(corpus)} distinct articles "
          f"({len(left_out)} second captures or known duplicates left out), {len(eligible)} of >= {MIN_WORDS} words")
    print(f"index: all {len(corpus)} articles; queries: {len(copies)} copies of {len(originals)} originals "
          f"(seed {SEED}, {len(EDITS + COMBINATIONS)} per original), {len(pairs)} known non-duplicate pairs "
          f"({', '.join(f'{g} {n}' for g, n in groups.items())}), and every article against the rest")
    print(f"pipeline/neardup.py: {neardup.SHINGLE_WORDS}-word shingles, NUM_PERM={neardup.NUM_PERM}, "
          f"BANDS={neardup.BANDS} x ROWS={neardup.ROWS}, CONTAINMENT={neardup.CONTAINMENT} "
          "(signatures and band keys here checked identical to it)")
    print("a copy is matched, as in a run, to its candidate of highest estimated containment; precision counts "
          "every call: copies matched to a wrong article (c), known non-duplicate pairs called (p), and any other "
          "real article called a duplicate of another (r)")

    table = []
    for (layout, threshold), o in results.items():
        mark = " *" if layout == LAYOUTS[0] and threshold == neardup.CONTAINMENT else ""
        table.append([f"{layout_name(layout)}{mark}", f"{threshold:.1f}", f"{o.precision:.4f}", f"{o.recall:.4f}",
                      f"{o.lsh_recall:.4f}", f"{o.fp_copies}/{o.fp_pairs}/{o.fp_real}",
                      f"{o.fp_pairs}/{o.pairs}", f"{statistics.mean(o.candidates):.2f}",
                      f"{int(np.percentile(o.candidates, 95))}/{max(o.candidates)}"])
    print_table("settings (BANDS x ROWS @ NUM_PERM; * = the pipeline's now)",
                ["layout", "containment", "precision", "recall", "original a candidate", "false calls c/p/r",
                 "non-dup pairs called", "cands/query mean", "p95/max"], table)

    closest = max(pairs, key=lambda p: exact_containment(corpus_sets[p[0]], corpus_sets[p[1]]))
    print(f"\nknown non-duplicate pairs: the closest has exact containment "
          f"{exact_containment(corpus_sets[closest[0]], corpus_sets[closest[1]]):.2f} ({closest[2]}: "
          f"{corpus[closest[0]].url} / {corpus[closest[1]].url})")
    chosen = recommend(results)
    current = (LAYOUTS[0], neardup.CONTAINMENT)
    error = {n: statistics.mean(abs(e - x) for e, x in zip(est, exact)) for n, est in estimates.items()}
    print("\nmean |estimated - exact containment| over the copies: "
          + ", ".join(f"{error[n]:.3f} at {n} perms" for n in sorted(error)))
    for label, setting in (("the pipeline's now", current), ("recommended", chosen)):
        o = results[setting]
        kinds = defaultdict(list)
        for q, hit, x, j in zip(copies, o.found, exact, exact_jaccard):
            kinds[q.kind].append((hit, x, j))
        rows = [[kind, str(len(v)), f"{sum(h for h, _, _ in v) / len(v):.3f}",
                 f"{statistics.median(x for _, x, _ in v):.2f}", f"{min(x for _, x, _ in v):.2f}",
                 f"{statistics.median(j for _, _, j in v):.2f}", f"{min(j for _, _, j in v):.2f}"]
                for kind, v in kinds.items()]
        rows.append(["all", str(len(o.found)), f"{o.recall:.3f}", f"{statistics.median(exact):.2f}",
                     f"{min(exact):.2f}", f"{statistics.median(exact_jaccard):.2f}", f"{min(exact_jaccard):.2f}"])
        print_table(f"{label}: {layout_name(setting[0])}, containment >= {setting[1]}: precision {o.precision:.4f}, "
                    f"recall {o.recall:.4f}, {o.false_calls} false calls, "
                    f"{statistics.mean(o.candidates):.2f} candidates per query",
                    ["transformation", "copies", "recall", "exact containment median", "min",
                     "exact Jaccard median", "min"], rows)
        no_candidate = [j for hit, cand, j in zip(o.found, o.candidate, exact_jaccard) if not hit and not cand]
        under = [x for hit, cand, x in zip(o.found, o.candidate, exact) if not hit and cand]
        print(f"missed {len(no_candidate) + len(under)}: {len(no_candidate)} not candidates (no shared band key"
              + (f"; exact Jaccard {min(no_candidate):.2f}-{max(no_candidate):.2f}" if no_candidate else "")
              + f"), {len(under)} candidates under the threshold"
              + (f" (exact containment {min(under):.2f}-{max(under):.2f}, "
                 f"{sum(x >= setting[1] for x in under)} of them at or above it)" if under else ""))
        for what, a, b, c in o.false:
            print(f"  false call: {what} {corpus[a].url or corpus[a].page} ({corpus[a].words} words) -> "
                  f"{corpus[b].url or corpus[b].page} ({corpus[b].words} words), estimated containment {c:.2f}")
    meeting = [k for k, o in results.items() if o.precision >= GOAL_PRECISION and o.recall >= GOAL_RECALL]
    print(f"\nsettings reaching precision >= {GOAL_PRECISION} and recall >= {GOAL_RECALL}: "
          + (", ".join(f"{layout_name(l)} at {t}" for l, t in meeting) or "none"))
    print(f"recommended: NUM_PERM={chosen[0][0]}, BANDS={chosen[0][1]}, ROWS={chosen[0][2]}, "
          f"CONTAINMENT={chosen[1]}: of the settings reaching the goals with the fewest false calls, keeping "
          f"NUM_PERM={neardup.NUM_PERM} where possible (no re-signing of the archive), the highest threshold "
          f"within {RECALL_TOLERANCE} of their best recall, then the fewest candidates per query")

    real_world_pairs(folder, extracted, [current] + ([chosen] if chosen != current else []))
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
