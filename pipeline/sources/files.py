"""Local files and folders: .html, .htm, .txt and their .gz, with an optional manifest.csv.

The manifest (columns `file,fetched_at,url,outlet`, any may be empty but `file`) says
what is known about each page; without it the fetch time is the file's mtime.
Any other file in a folder is listed too, so that it is rejected with its reason
rather than skipped silently, and so is what a folder holds but cannot be read (a
subfolder that cannot be listed, a symbolic link that leads nowhere or in a loop, a link
to a folder, which is not followed, a named pipe). Dot-files and dot-folders (an
editor's backups, a `.git` folder) are skipped on purpose, as is every manifest.csv.
A manifest row that cannot be taken (a time that is not ISO 8601, more fields than the
header, a path outside the folder) is a `bad_manifest` reject of its own, and its page
is not read. A folder or file that cannot be listed at all (a manifest that is not UTF-8
CSV with a `file` column, too) raises FolderError, with the reason code of the `list`
reject it becomes.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import stat
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from pipeline.records import RawPage, Reject
from pipeline.sources.config import absolute_path, shown_path
from pipeline.sources.links import ListingError, unlisted_entry

PAGE_SUFFIXES = (".html", ".htm", ".txt")
MANIFEST_NAME = "manifest.csv"


class FolderError(ListingError):
    """A folder or file that cannot be listed."""


def is_page_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return name.endswith(PAGE_SUFFIXES)


@dataclass(frozen=True)
class Manifest:
    """What a folder's manifest.csv says of each file, by its path in the folder, and the
    rows that cannot be taken: what each is wrong with, by the path it names."""

    rows: dict[str, dict]
    bad: dict[str, str]


def read_manifest(folder: Path) -> Manifest:
    """The folder's manifest; FolderError if it cannot be read at all (not UTF-8 CSV with a
    `file` column). A bad row costs its own page, not the folder's."""
    try:
        data = (folder / MANIFEST_NAME).read_bytes()
    except FileNotFoundError:
        return Manifest({}, {})
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


def manifest_rows(folder: Path, reader: csv.DictReader) -> Manifest:
    """What the manifest says of each file, by its path in the folder; a row that names no
    file is passed over, one that cannot be taken is kept with what is wrong with it."""
    if not reader.fieldnames or "file" not in reader.fieldnames:
        raise FolderError("bad_manifest", folder, f"{MANIFEST_NAME} needs a header row with at least a `file` column")
    rows, bad = {}, {}
    for row in reader:
        if not (row["file"] or "").strip():
            continue
        name = PurePosixPath(row["file"].strip()).as_posix()  # "./a.html" is a.html
        if problem := row_problem(row, name, len(reader.fieldnames)):
            bad[name] = f"{MANIFEST_NAME}, line {reader.line_num}: {problem}"
        else:
            rows[name] = {k: (v or "").strip() or None for k, v in row.items() if k != "file"}
    return Manifest(rows, bad)


def row_problem(row: dict, name: str, columns: int) -> str | None:
    """What is wrong with a manifest row naming `name`, or None."""
    if not is_inside(name):
        return f"{name!r} is not a path inside the folder (not read)"
    if None in row:  # csv.DictReader's key for the fields past the header's
        return (f"{columns + len(row[None])} fields, more than the header's {columns} (a comma in a field "
                "without quotes?); the page is not read until its row is put right")
    fetched_at = (row.get("fetched_at") or "").strip()
    if fetched_at:
        try:
            datetime.fromisoformat(fetched_at).astimezone(timezone.utc)  # stored in UTC
        except (ValueError, OverflowError):
            return (f"fetched_at {fetched_at!r} of {name!r} is not an ISO 8601 time that UTC can hold; "
                    "the page is not read until its row is put right")
    return None


def is_inside(name: str) -> bool:
    """Whether a path a manifest names is one in its folder: not absolute, no way up."""
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def bad_row_ref(base: Path, name: str) -> str:
    """A bad manifest row's reject names the page it holds back, or for a path outside the
    folder the manifest, # the path: the reject is the row's, and nothing outside is read."""
    return shown_path(base / name) if is_inside(name) else f"{shown_path(base / MANIFEST_NAME)}#{shown_path(name)}"


def list_entries(source: str, outlet: str | None = None) -> list[dict]:
    """The entries of a folder's files, or of one file; FolderError if it cannot be listed.
    What a folder holds but cannot be read is an entry that reads as its `list` reject."""
    root = Path(absolute_path(source))
    try:
        mode = root.stat().st_mode
    except FileNotFoundError:
        raise FolderError("missing", root, "no such file or folder") from None
    except OSError as e:
        raise FolderError("unreadable", root, f"cannot be read ({e.strerror or e})") from None
    if stat.S_ISDIR(mode):
        paths, problems = walk(root)
        manifest, base = read_manifest(root), root
        bad = manifest.bad
    elif stat.S_ISREG(mode):
        manifest, base = read_manifest(root.parent), root.parent
        paths, problems = [root], []
        bad = {name: why for name, why in manifest.bad.items() if name == root.name}
    else:
        raise FolderError("unsupported_type", root, "not a file or a folder (a named pipe, socket or device?)")
    entries = []
    for p in paths:
        name = p.relative_to(base).as_posix()
        # Read without its row, the page would be archived with its file's mtime and no URL, and
        # once archived its bytes are not read again: it waits for the row to be put right.
        if name in bad:
            continue
        known = manifest.rows.get(name, {})
        entries.append({
            "kind": "file",
            "path": str(p),
            "url": known.get("url"),
            "fetched_at": known.get("fetched_at"),
            "outlet": known.get("outlet") or outlet,
        })
    if stat.S_ISDIR(mode):
        # A file the manifest names that is not there: a dot-file is left out on purpose, others are lost.
        listed = {p.relative_to(base).as_posix() for p in paths}
        problems += [(base / name, "missing", f"listed in {MANIFEST_NAME}, not in the folder")
                     for name in manifest.rows if name not in listed and not (base / name).exists()]
    return (entries + [unlisted_entry(shown_path(root), shown_path(p), reason,
                                      f"{shown_path(p.relative_to(root))}: {detail}") for p, reason, detail in problems]
            + [unlisted_entry(shown_path(root), bad_row_ref(base, name), "bad_manifest", why)
               for name, why in bad.items()])


def walk(root: Path) -> tuple[list[Path], list[tuple[Path, str, str]]]:
    """The files under `root` to read, sorted, and what under it cannot be read, as (path,
    reason, detail). Dot-files and dot-folders (an editor's, version control's) and every
    manifest.csv are left out on purpose; a symbolic link to a file is read, one to a folder
    is not followed (it may lead back up the tree)."""
    files, problems = [], []

    def unlistable(error: OSError) -> None:
        if error.filename == str(root):
            raise FolderError("unreadable", root, f"cannot list the folder ({error.strerror})")
        problems.append((Path(error.filename), "unreadable", f"cannot list the folder ({error.strerror})"))

    for folder, dirs, names in os.walk(root, onerror=unlistable):
        here = Path(folder)
        links = [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in links and not d.startswith(".")]
        for name in names + links:
            if name.startswith(".") or name == MANIFEST_NAME:
                continue
            problem = file_problem(here / name)
            if problem:
                problems.append((here / name, *problem))
            else:
                files.append(here / name)
    return sorted(files), sorted(problems)


def file_problem(path: Path) -> tuple[str, str] | None:
    """Why a name in a folder is not a page file to read, as (reason, detail); None if it
    is a file or a link to one. A named pipe is never opened: reading one would wait forever."""
    try:
        mode = path.stat().st_mode
    except OSError as e:
        what = "a symbolic link that cannot be followed" if path.is_symlink() else "cannot be read"
        return "unreadable", f"{what} ({e.strerror or e})"
    if stat.S_ISDIR(mode):
        return "unsupported_type", "a symbolic link to a folder, not followed (name the folder as a source of its own)"
    if not stat.S_ISREG(mode):
        return "unsupported_type", "not a regular file (a named pipe, socket or device)"
    return None


def read_entry(entry: dict, *, max_bytes: int) -> RawPage | Reject:
    """The page of a file entry. A page over `max_bytes`, a .gz one once decompressed, is
    rejected (`too_large`); decompression stops there, so a gzip bomb is inflated no further."""
    path = Path(entry["path"])
    ref, name = shown_path(path), shown_path(path.name)
    if not is_page_file(path):
        return Reject(ref, None, "read", "unsupported_type",
                      f"{name}: not a page file (expected {', '.join(PAGE_SUFFIXES)}, optionally .gz)")
    gzipped = path.suffix.lower() == ".gz"
    try:
        with path.open("rb") as stream:
            mtime = os.fstat(stream.fileno()).st_mtime
            content = page_bytes(stream, gzipped, max_bytes)
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:  # BadGzipFile is an OSError: caught first
        return Reject(ref, None, "read", "corrupt_gzip", f"{name}: not a readable gzip file ({e})")
    except OSError as e:
        return Reject(ref, None, "read", "unreadable", f"{ref}: {e.strerror or e}")
    if len(content) > max_bytes:
        return Reject(ref, None, "read", "too_large", f"{name}: more than {max_bytes} bytes"
                      f"{' once decompressed' if gzipped else ''} (NEWSARCHIVE_MAX_PAGE_BYTES)")
    if entry.get("fetched_at"):
        fetched_at = datetime.fromisoformat(entry["fetched_at"])
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=timezone.utc)
        method = "manifest"
    else:
        fetched_at, method = datetime.fromtimestamp(mtime, tz=timezone.utc), "file_mtime"
    return RawPage(
        source_ref=ref, content=content, url=entry.get("url"),
        fetched_at=fetched_at, fetched_at_method=method, outlet=entry.get("outlet"),
    )


def page_bytes(stream: BinaryIO, gzipped: bool, max_bytes: int) -> bytes:
    """The file's bytes, decompressed as they are read, up to one byte past `max_bytes` (so that excess shows)."""
    if not gzipped:
        return stream.read(max_bytes + 1)
    with gzip.GzipFile(fileobj=stream) as inflated:
        return inflated.read(max_bytes + 1)
