"""One name per outlet, learned from the archive itself.

A domain the registry does not know is named by each page's declared site name
(pipeline/tag/outlets.py), and the pages of one site do not all declare it alike:
"FOCUS Online" and "FOCUS online", "CORRECTIV" and "correctiv.org", or nothing at all,
when the page is named by its bare domain. Counted by outlet, such a site fell apart
into two or three outlets.

Each run counts, per domain, its articles that declare each site name (table
`outlet_names`). Before a run or a reprocess writes its outlet rows, each row named from
the page alone (methods `sitename` and `domain`) is named from the domain's articles,
the archive's and the run's together:
- a site name spelt alike but for case and accents takes the spelling most declared;
- a bare domain, or a site name that only spells the domain ("correctiv.org"), takes the
  name the domain's articles declare that the domain spells or abbreviates (method
  `known_name`): "CORRECTIV", "Times Union" of timesunion.com, "Neue Zürcher Zeitung" of
  nzz.ch; of several, the one most declared ("USA TODAY" over "USA TODAY NETWORK"). A
  name the domain does not spell is a section's or a sister site's ("Netz Für Alle" on
  rosalux.de, a journal's on springer.com): with no other, the page stays its domain.
A different name stays as the page declares it ("USA TODAY NETWORK" beside "USA TODAY").
An article archived before its domain's name was known, or spelt as fewer of its
domain's articles now spell it, is reprocessed at the end of the job that finds it so
(misnamed_articles), with the articles its learned furniture made stale.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from functools import lru_cache

import duckdb
import pyarrow as pa

from pipeline.store import ArchivePaths, sql_list
from pipeline.tag.outlets import names_domain
from pipeline.tag.registry import letters, registered_domain

Counts = dict[str, Counter[str]]  # domain -> declared name -> articles
# The methods that name an outlet from the page alone, which other pages may correct.
FROM_THE_PAGE = ("sitename", "domain")


def domain_of(document: dict) -> str | None:
    return registered_domain(document["canonical_url"] or document["url"])


def declared_names(rows: list[dict], domains: list[str | None]) -> Counts:
    """Articles per domain and declared site name, of outlet rows and their domains."""
    counts: Counts = defaultdict(Counter)
    for row, domain in zip(rows, domains):
        if domain and row["outlet_method"] == "sitename":
            counts[domain][row["outlet"]] += 1
    return counts


def merged(*counts: Counts) -> Counts:
    total: Counts = defaultdict(Counter)
    for c in counts:
        for domain, names in c.items():
            total[domain].update(names)
    return total


def spells_domain(name: str, domain: str) -> bool:
    """The name is the domain or a host of it, written as a site name ("correctiv.org",
    "world.kbs.co.kr")."""
    return "." in name and letters(name).endswith(letters(domain))


def spellings(names: Counter[str], domain: str) -> dict[str, str]:
    """The domain's names, by their letters (case and accents folded), each in the
    spelling most declared (ties: the first in code point order, for a stable answer)."""
    by_letters: dict[str, Counter[str]] = defaultdict(Counter)
    for name, n in names.items():
        if not spells_domain(name, domain):
            by_letters[letters(name)][name] += n
    return {key: min(c, key=lambda s: (-c[s], s)) for key, c in by_letters.items()}


def named(row: dict, domain: str | None, counts: Counts) -> dict:
    """The outlet row, named as its domain's articles name it (the module's docstring)."""
    if row["outlet_method"] not in FROM_THE_PAGE or not domain or domain not in counts:
        return row
    names = spellings(counts[domain], domain)
    if row["outlet_method"] == "sitename" and (spelt := names.get(letters(row["outlet"]))):
        return {**row, "outlet": spelt}
    if row["outlet_method"] == "domain" or spells_domain(row["outlet"], domain):
        if own := domains_name(counts[domain], names, domain):
            return {**row, "outlet": own, "outlet_method": "known_name"}
    return row


def domains_name(declared: Counter[str], names: dict[str, str], domain: str) -> str | None:
    """Of the domain's names, the one it spells or abbreviates, or of several such ("USA
    TODAY", "USA TODAY NETWORK") the one declared most; None for none, or a tie."""
    articles = Counter({spelt: sum(n for name, n in declared.items() if letters(name) == key)
                        for key, spelt in names.items() if names_domain(spelt, domain)})
    ranked = articles.most_common(2)
    if not ranked or len(ranked) == 2 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def archived_names(paths: ArchivePaths) -> Counts:
    """The archive's `outlet_names` counts, summed once per state of the archive (a run's
    shards and its finish share them)."""
    return _summed(tuple(sorted(str(f) for f in paths.data.glob("*/outlet_names.parquet"))))


@lru_cache(maxsize=4)
def _summed(files: tuple[str, ...]) -> Counts:
    counts: Counts = defaultdict(Counter)
    if files:
        rows = duckdb.connect().execute(f"SELECT domain, name, sum(articles)::BIGINT FROM "
                                        f"read_parquet({sql_list(list(files))}) GROUP BY ALL").fetchall()
        for domain, name, n in rows:
            counts[domain][name] += n
    return counts


def name_outlets(documents: pa.Table, outlets: pa.Table, paths: ArchivePaths,
                 run_id: str | None = None) -> tuple[pa.Table, list[dict]]:
    """The articles' outlet rows named as their domains' articles name them, and, for a run
    (`run_id`), its `outlet_names` rows (a reprocess counts nothing: its articles' run did)."""
    domain = {r["article_id"]: domain_of(r) for r in documents.select(["article_id", "url", "canonical_url"]).to_pylist()}
    rows = outlets.to_pylist()
    domains = [domain.get(r["article_id"]) for r in rows]
    own = declared_names(rows, domains) if run_id else {}
    counts = merged(archived_names(paths), own)
    named_rows = [named(row, d, counts) for row, d in zip(rows, domains)]
    count_rows = [{"domain": d, "name": name, "articles": n, "run_id": run_id}
                  for d, names in sorted(own.items()) for name, n in sorted(names.items())]
    return pa.Table.from_pylist(named_rows, schema=outlets.schema), count_rows


def misnamed_articles(paths: ArchivePaths) -> list[str]:
    """Archived articles whose outlet row their domain's articles now name otherwise: those
    archived before the domain's name was known, or spelt as fewer of its articles now
    spell it. A job reprocesses them with the articles its furniture made stale. Only rows
    holding a name that some domain's counts rename are read, each checked against its
    own domain's."""
    counts = archived_names(paths)
    renamed: set[str] = set()
    for domain, declared in counts.items():
        names = spellings(declared, domain)
        renamed |= {name for name in declared if names.get(letters(name), name) != name}
        if domains_name(declared, names, domain):
            renamed |= {name for name in declared if spells_domain(name, domain)} | {domain}
    if not renamed:
        return []
    rows = duckdb.connect().execute(f"""
        SELECT o.article_id, o.outlet, o.outlet_method, d.url, d.canonical_url
        FROM {paths.parquet('article_outlets')} o JOIN {paths.parquet('documents')} d USING (article_id)
        WHERE o.outlet_method IN (SELECT unnest({sql_list(list(FROM_THE_PAGE))}))
          AND o.outlet IN (SELECT unnest({sql_list(sorted(renamed))}))
        ORDER BY o.article_id
    """).fetchall()
    keys = ("article_id", "outlet", "outlet_method", "url", "canonical_url")
    return [row["article_id"] for row in (dict(zip(keys, r)) for r in rows)
            if named(row, domain_of(row), counts)["outlet"] != row["outlet"]]
