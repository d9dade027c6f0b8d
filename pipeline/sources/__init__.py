"""Sources list the pages of a run (plan entries, JSON-able) and read a shard's entries.

A run plans by listing every source (pipeline/sources/config.py names them), then each
shard reads its slice of entries, so a shard can be retried on its own. Local folders
and WARC files are read from disk; everything else is fetched over HTTP
(pipeline/sources/http.py), with the archive's fetch history deciding what is new.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from pipeline.records import RawPage, Reject
from pipeline.settings import Settings
from pipeline.sources import files, http, warc
from pipeline.sources.config import Source, SourceConfigError, absolute_path, parse_ref, shown_path
from pipeline.sources.links import ListingError, unlisted_entry, unlisted_reject
from pipeline.store import ArchivePaths


class SourceError(ValueError):
    """A run none of whose sources can be listed, all of them local (missing folder, bad
    manifest, unreadable WARC or URL list), or a malformed source reference."""


def _is_local(source: Source) -> bool:
    return source.kind == "folder" or (source.kind == "warc" and not source.is_remote)


def _unreadable_list(source: Source) -> str | None:
    """Why a URL list on disk cannot be read: a mistyped path, as a folder's. Its reject
    comes with the network sources' listing, where its URLs are fetched."""
    if source.kind != "urls" or source.is_remote:
        return None
    try:
        Path(source.location).expanduser().open("rb").close()
    except OSError as e:
        return f"{source.location}: {e.strerror or e}"
    return None


def _listed(source: Source) -> list[dict]:
    if source.kind == "warc":
        return warc.list_entries(source.location, source.outlet)
    return files.list_entries(source.location, source.outlet)


def _local_entries(sources: list[Source]) -> tuple[list[dict], list[str]]:
    """The local sources' entries, a source that cannot be listed as an entry that reads as
    its `list` reject (as a network source's failed listing is); and why each such failed."""
    entries, failures = [], []
    for source in sources:
        try:
            entries += _listed(source)
        except ListingError as e:
            entries.append(unlisted_entry(shown_path(source.ref), shown_path(absolute_path(source.location)), e.reason,
                                          shown_path(e.detail)))
            failures.append(shown_path(str(e)))
    return entries, failures


def _read_from(entry: dict) -> tuple:
    """What a local entry reads: a file by its real path, whatever link or source named it."""
    if entry["kind"] == "unlisted":
        return "unlisted", entry["url"]
    return entry["kind"], os.path.realpath(entry["path"]), entry.get("offset"), entry.get("broken")


def _read_once(entries: list[dict]) -> list[dict]:
    """The local entries without those that read what an earlier one reads (a file in a folder
    and named on its own too, a folder or WARC file named twice), which would be read twice."""
    first: dict[tuple, dict] = {}
    for entry in entries:
        first.setdefault(_read_from(entry), entry)
    return list(first.values())


def plan_entries(refs: list[str], settings: Settings, paths: ArchivePaths, staging: Path) -> tuple[list[dict], dict[str, int]]:
    """Every entry of the run's sources, and the listing counts of the network sources."""
    try:
        parsed = list(dict.fromkeys(parse_ref(ref) for ref in refs))  # a source named twice is read once
    except SourceConfigError as e:
        raise SourceError(str(e)) from e
    entries, failures = _local_entries([s for s in parsed if _is_local(s)])
    failures += [why for s in parsed if (why := _unreadable_list(s))]
    if failures and len(failures) == len(parsed):  # as a mistyped path on the command line: fail loudly
        raise SourceError("; ".join(failures))
    entries = _read_once(entries)
    network = [s for s in parsed if not _is_local(s)]
    if not network:
        return entries, {}
    fetched, counts = http.list_network_sources(network, settings, paths, staging)
    return entries + fetched, counts


def read_entries(entries: list[dict], settings: Settings) -> tuple[list[RawPage], list[Reject], list[dict], int]:
    """A shard's pages, rejects, `fetches` rows, and pages a server said are unchanged (304)."""
    readers = {"file": partial(files.read_entry, max_bytes=settings.max_page_bytes),
               "warc": partial(warc.read_entry, max_bytes=settings.max_page_bytes),
               "unlisted": unlisted_reject}
    got = [readers[e["kind"]](e) for e in entries if e["kind"] != "http"]
    fetched, fetch_rows, unchanged = http.fetch_entries([e for e in entries if e["kind"] == "http"], settings)
    got += fetched
    return [g for g in got if isinstance(g, RawPage)], [g for g in got if isinstance(g, Reject)], fetch_rows, unchanged
