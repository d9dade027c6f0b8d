"""Local files and folders: .html, .htm, .txt and their .gz, with an optional manifest.csv.

The manifest (columns `file,fetched_at,url,outlet`, any may be empty but `file`) says
what is known about each page; without it the fetch time is the file's mtime.
Any other file in a folder is listed too, so that it is rejected with its reason
rather than skipped silently.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import stat
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from pipeline.records import RawPage, Reject
from pipeline.sources.config import absolute_path

PAGE_SUFFIXES = (".html", ".htm", ".txt")
MANIFEST_NAME = "manifest.csv"


class FolderError(ValueError):
    """A folder or file that cannot be listed: `reason` is the reason code of its `list`
    reject, `detail` what is wrong (the message says where too)."""

    def __init__(self, reason: str, where: Path, detail: str):
        super().__init__(f"{where}: {detail}")
        self.reason, self.detail = reason, detail


def is_page_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(PAGE_SUFFIXES)


def read_manifest(folder: Path) -> dict[str, dict]:
    try:
        data = (folder / MANIFEST_NAME).read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise FolderError("unreadable", folder, f"{MANIFEST_NAME} cannot be read ({e.strerror or e})") from None
    try:
        text = data.decode("utf-8-sig")  # with or without the byte order mark spreadsheets write
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise FolderError("bad_manifest", folder, f"{MANIFEST_NAME} is not UTF-8: line {line} has the byte "
                                                  f"0x{data[e.start]:02x} (save the file as UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    try:
        return manifest_rows(folder, reader)
    except csv.Error as e:
        raise FolderError("bad_manifest", folder, f"{MANIFEST_NAME}, line {reader.line_num}: {e}") from None


def manifest_rows(folder: Path, reader: csv.DictReader) -> dict[str, dict]:
    """What the manifest says of each file, by its path in the folder."""
    if not reader.fieldnames or "file" not in reader.fieldnames:
        raise FolderError("bad_manifest", folder, f"{MANIFEST_NAME} needs a header row with at least a `file` column")
    rows = {}
    for row in reader:
        where = f"{MANIFEST_NAME}, line {reader.line_num}"
        if None in row:  # csv.DictReader's key for the fields past the header's
            fields = len(reader.fieldnames) + len(row[None])
            raise FolderError("bad_manifest", folder, f"{where}: {fields} fields, more than the header's "
                                                      f"{len(reader.fieldnames)} (a comma in a field without quotes?)")
        fetched_at = (row.get("fetched_at") or "").strip()
        if fetched_at:
            try:
                datetime.fromisoformat(fetched_at)
            except ValueError:
                raise FolderError("bad_manifest", folder, f"{where}: fetched_at {fetched_at!r} of {row['file']!r} "
                                                          "is not an ISO 8601 time") from None
        rows[row["file"]] = {k: (v or "").strip() or None for k, v in row.items() if k != "file"}
    return rows


def list_entries(source: str) -> list[dict]:
    """The entries of a folder's files, or of one file; FolderError if it cannot be listed."""
    root = Path(absolute_path(source))
    try:
        mode = root.stat().st_mode
    except FileNotFoundError:
        raise FolderError("missing", root, "no such file or folder") from None
    except OSError as e:
        raise FolderError("unreadable", root, f"cannot be read ({e.strerror or e})") from None
    if stat.S_ISDIR(mode):
        manifest, base = read_manifest(root), root
        paths = sorted(
            p for p in root.rglob("*")
            if p.is_file() and p.name != MANIFEST_NAME
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
    elif stat.S_ISREG(mode):
        paths, manifest = [root], read_manifest(root.parent)
        base = root.parent
    else:
        raise FolderError("unsupported_type", root, "not a file or a folder (a named pipe, socket or device?)")
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


def read_entry(entry: dict, *, max_bytes: int) -> RawPage | Reject:
    """The page of a file entry. A page over `max_bytes`, a .gz one once decompressed, is
    rejected (`too_large`); decompression stops there, so a gzip bomb is inflated no further."""
    path = Path(entry["path"])
    if not is_page_file(path):
        return Reject(str(path), None, "read", "unsupported_type",
                      f"{path.name}: not a page file (expected {', '.join(PAGE_SUFFIXES)}, optionally .gz)")
    gzipped = path.suffix.lower() == ".gz"
    try:
        with path.open("rb") as stream:
            mtime = os.fstat(stream.fileno()).st_mtime
            content = page_bytes(stream, gzipped, max_bytes)
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:  # BadGzipFile is an OSError: caught first
        return Reject(str(path), None, "read", "corrupt_gzip", f"{path.name}: not a readable gzip file ({e})")
    except OSError as e:
        return Reject(str(path), None, "read", "unreadable", f"{path}: {e.strerror or e}")
    if len(content) > max_bytes:
        return Reject(str(path), None, "read", "too_large", f"{path.name}: more than {max_bytes} bytes"
                      f"{' once decompressed' if gzipped else ''} (NEWSARCHIVE_MAX_PAGE_BYTES)")
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


def page_bytes(stream: BinaryIO, gzipped: bool, max_bytes: int) -> bytes:
    """The file's bytes, decompressed as they are read, up to one byte past `max_bytes` (so that excess shows)."""
    if not gzipped:
        return stream.read(max_bytes + 1)
    with gzip.GzipFile(fileobj=stream) as inflated:
        return inflated.read(max_bytes + 1)
