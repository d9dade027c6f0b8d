"""Sources list the pages of a run (plan entries, JSON-able) and read one entry into a RawPage.

A run plans by listing every source, then each shard reads its slice of entries, so a
shard can be retried on its own.
"""

from __future__ import annotations

from pipeline.records import RawPage, Reject
from pipeline.sources import files


class SourceError(ValueError):
    """A source that cannot be listed at all (missing folder, bad manifest)."""


def list_entries(source: str) -> list[dict]:
    try:
        return files.list_entries(source)
    except files.FolderError as e:
        raise SourceError(str(e)) from e


def read_entry(entry: dict) -> RawPage | Reject:
    readers = {"file": files.read_entry}
    return readers[entry["kind"]](entry)
