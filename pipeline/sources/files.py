"""Local files and folders: .html, .htm, .txt and their .gz, with an optional manifest.csv.

The manifest (columns `file,fetched_at,url,outlet`, any may be empty but `file`) says
what is known about each page; without it the fetch time is the file's mtime.
Any other file in a folder is listed too, so that it is rejected with its reason
rather than skipped silently.
"""

from __future__ import annotations

import csv
import gzip
import zlib
from datetime import datetime, timezone
from pathlib import Path

from pipeline.records import RawPage, Reject

PAGE_SUFFIXES = (".html", ".htm", ".txt")
MANIFEST_NAME = "manifest.csv"


class FolderError(ValueError):
    pass


def is_page_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(PAGE_SUFFIXES)


def read_manifest(folder: Path) -> dict[str, dict]:
    path = folder / MANIFEST_NAME
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "file" not in reader.fieldnames:
            raise FolderError(f"{path}: a manifest needs a header row with at least a `file` column")
        rows = {}
        for row in reader:
            fetched_at = (row.get("fetched_at") or "").strip()
            if fetched_at:
                try:
                    datetime.fromisoformat(fetched_at)
                except ValueError as e:
                    raise FolderError(f"{path}: fetched_at {fetched_at!r} of {row['file']!r} is not an ISO 8601 time") from e
            rows[row["file"]] = {k: (v or "").strip() or None for k, v in row.items() if k != "file"}
        return rows


def list_entries(source: str) -> list[dict]:
    root = Path(source).expanduser().resolve()
    if root.is_file():
        paths, manifest = [root], read_manifest(root.parent)
        base = root.parent
    elif root.is_dir():
        manifest, base = read_manifest(root), root
        paths = sorted(
            p for p in root.rglob("*")
            if p.is_file() and p.name != MANIFEST_NAME
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
    else:
        raise FolderError(f"{source}: no such file or folder")
    entries = []
    for p in paths:
        known = manifest.get(p.relative_to(base).as_posix(), {})
        entries.append({
            "kind": "file",
            "path": str(p),
            "url": known.get("url"),
            "fetched_at": known.get("fetched_at"),
            "outlet": known.get("outlet"),
        })
    return entries


def read_entry(entry: dict) -> RawPage | Reject:
    path = Path(entry["path"])
    if not is_page_file(path):
        return Reject(str(path), None, "read", "unsupported_type",
                      f"{path.name}: not a page file (expected {', '.join(PAGE_SUFFIXES)}, optionally .gz)")
    try:
        content = path.read_bytes()
        mtime = path.stat().st_mtime
    except OSError as e:
        return Reject(str(path), None, "read", "unreadable", f"{path}: {e.strerror or e}")
    if path.suffix.lower() == ".gz":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as e:
            return Reject(str(path), None, "read", "corrupt_gzip", f"{path.name}: not a readable gzip file ({e})")
    if entry.get("fetched_at"):
        fetched_at = datetime.fromisoformat(entry["fetched_at"])
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=timezone.utc)
        method = "manifest"
    else:
        fetched_at, method = datetime.fromtimestamp(mtime, tz=timezone.utc), "file_mtime"
    return RawPage(
        source_ref=str(path), content=content, url=entry.get("url"),
        fetched_at=fetched_at, fetched_at_method=method, outlet=entry.get("outlet"),
    )
