"""WARC files over HTTP kept between jobs (`<archive>/cache/warc`), so that a nightly
that names the same remote WARC does not download its gigabytes each night.

A file is kept with the ETag and Last-Modified its server sent; the next job that names
the URL sends them, and on 304 reads the kept copy. A server that sends neither cannot be
asked, so its file is downloaded into the job's listing folder, as without a cache, and
gone when the job ends. A kept file no job has named for `warc_cache_days` is removed
when a job starts. The archive's lock makes one job at a time the cache's only user.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

SIDECAR = ".http.json"  # beside each kept file: its URL and its server's validators
PART = ".part"  # a download in progress; one left by a dead job is removed


@dataclass(frozen=True)
class Kept:
    """A kept file, and what its server sent that lets a job ask whether it changed."""

    path: Path
    etag: str | None
    last_modified: str | None


def kept(cache: Path, name: str) -> Kept | None:
    path = cache / name
    try:
        validators = json.loads((cache / (name + SIDECAR)).read_text())
    except (OSError, ValueError):
        return None
    if not path.is_file() or not isinstance(validators, dict):
        return None
    return Kept(path, validators.get("etag"), validators.get("last_modified"))


def part_path(cache: Path, name: str) -> Path:
    return cache / f".{name}{PART}"


def keep(cache: Path, name: str, downloaded: Path, url: str, etag: str | None, last_modified: str | None) -> Path:
    """Put a complete download in the cache under `name`, the file first, then its
    validators, each on disk before it is renamed into place: a job that dies between the
    two left old validators, which the server no longer matches, so the next job downloads
    again; a power cut cannot leave validators beside a file cut short."""
    path = cache / name
    _synced(downloaded)
    os.replace(downloaded, path)
    sidecar = cache / (name + SIDECAR)
    tmp = sidecar.with_name(sidecar.name + PART)
    tmp.write_text(json.dumps({"url": url, "etag": etag, "last_modified": last_modified}))
    _synced(tmp)
    os.replace(tmp, sidecar)
    return path


def forget(cache: Path, name: str) -> None:
    """Drop a kept file that cannot be read as a WARC: the next job downloads it again."""
    (cache / (name + SIDECAR)).unlink(missing_ok=True)
    (cache / name).unlink(missing_ok=True)


def _synced(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def touch(path: Path) -> None:
    """Mark a kept file used now: its age counts from the last job that named it."""
    os.utime(path)


def prune(cache: Path, days: int, now: float | None = None) -> list[str]:
    """Remove the kept files no job has named for `days` days (all of them at 0) and the
    downloads dead jobs left; the names of the files removed."""
    if not cache.is_dir():
        return []
    oldest = (time.time() if now is None else now) - days * 86_400
    removed = []
    for entry in cache.iterdir():
        if entry.name.endswith(PART):
            entry.unlink(missing_ok=True)
        elif not entry.name.endswith(SIDECAR) and (days == 0 or entry.stat().st_mtime < oldest):
            entry.unlink(missing_ok=True)
            (cache / (entry.name + SIDECAR)).unlink(missing_ok=True)
            removed.append(entry.name)
    for sidecar in cache.glob("*" + SIDECAR):  # a file's validators without the file
        if not (cache / sidecar.name.removesuffix(SIDECAR)).exists():
            sidecar.unlink(missing_ok=True)
    return removed
