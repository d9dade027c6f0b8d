"""WARC and ARC files (plain, or gzip'ed per record), read with warcio.

An entry is one page record: an HTTP response (or a resource record) of an http(s) URL
whose content type is HTML, XHTML, plain text or missing. Requests, metadata, revisits
and responses of other types (images, CSS, JS) are not pages and are not listed.
A file broken part-way keeps the entries before the break, lists the break as an entry
that reads as a reject, so that it is counted rather than lost, and is read on from the
next record after it (found by its gzip member or its version line).
"""

from __future__ import annotations

import os
import re
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParserException

from pipeline.records import RawPage, Reject
from pipeline.sources.config import absolute_path, shown_path
from pipeline.sources.links import ListingError

GZIP_MAGIC = b"\x1f\x8b"
GZIP_MEMBER = GZIP_MAGIC + b"\x08"  # and deflate, the only method
VERSION_LINE = re.compile(rb"WARC/\d+\.\d+\r\n")
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.I)
PAGE_RECORDS = ("response", "resource")
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
# What a damaged record raises: warcio's parse errors; zlib, brotli and EOF errors from damaged data.
DAMAGE = (ArchiveLoadFailed, StatusAndHeadersParserException, zlib.error, brotli.error, EOFError, ValueError)
DECODABLE = ("", "identity", "gzip", "deflate", "br")  # Content-Encodings whose payload is decoded
# As Settings.max_page_bytes: a larger decoded payload is not an article (or is a decompression bomb).
MAX_PAGE_BYTES = 10_000_000
BLOCK = 64 * 1024
MAX_REASON_CHARS = 300  # warcio quotes the unreadable line, which in a corrupt gzip member is binary noise
# Such noise in it, raw or escaped as warcio quotes it ('\x1f\x8b\x08…'), shown as "…".
NOT_TEXT = re.compile(r"(?:[^\x20-\x7e\s]|\\x[0-9a-fA-F]{2})+")


class WarcError(ListingError):
    """A file that cannot be read as WARC or ARC at all (missing, empty, another format)."""


def list_entries(location: str, outlet: str | None = None, url: str | None = None) -> list[dict]:
    """One entry per page record of a local WARC or ARC file, plus a `broken` entry if it breaks part-way.

    `url` is the address of a file downloaded to `location`: it names the file in source
    refs and messages. Raises WarcError for a file that cannot be opened, is empty or
    does not start as WARC or ARC.
    """
    path = Path(absolute_path(location))
    name = url or location
    try:
        stream = path.open("rb")
    except OSError as e:
        raise WarcError("missing" if isinstance(e, FileNotFoundError) else "unreadable", name,
                        f"cannot open ({e.strerror or e})") from None
    with stream:
        entries = scan_records(stream, path, archive_format(stream, name), outlet)
    return [entry | {"warc_url": url} for entry in entries] if url else entries


def scan_records(stream: BinaryIO, path: Path, layout: tuple[str, bool], outlet: str | None) -> list[dict]:
    """The page entries, a break listed as an entry where it is; reading then resumes at the
    next record after it, so that a damaged record costs itself, not the rest of the file."""
    entries: list[dict] = []
    start = 0
    while True:
        found, damage = scan_from(stream, path, start, layout, outlet)
        entries += found
        if damage is None:
            return entries
        at, why, resumable = damage
        resume = next_record(stream, at + 1, layout) if resumable else None
        entries.append(broken_entry(path, at, why if resume is None else f"{why}; read on from byte {resume}"))
        if resume is None:
            return entries
        start = resume


def scan_from(stream: BinaryIO, path: Path, start: int, layout: tuple[str, bool],
              outlet: str | None) -> tuple[list[dict], tuple[int, str, bool] | None]:
    """The page entries from byte `start` to the end or the first break, and the break:
    (offset, why, whether a record may follow it; not in a file gzip'ed as one stream)."""
    entries: list[dict] = []
    stream.seek(start)
    records = ArchiveIterator(stream, arc2warc=True)  # its offsets count from the file's start
    offset = start
    try:
        for record in records:
            is_page = is_page_record(record)
            offset = records.get_record_offset()  # reads the record to its end
            damage = record_damage(stream, records, record, layout)
            if damage:
                return entries, (offset, damage, True)
            if is_page:
                entries.append({
                    "kind": "warc", "path": str(path), "offset": offset, "url": target_uri(record),
                    "fetched_at": iso_or_none(warc_date(record)), "outlet": outlet,
                })
    except DAMAGE as e:
        # warcio's offset past a whole-file gzip stream is meaningless (negative): the last record's is kept.
        at = max(records.offset, offset)
        return entries, (at, f"unreadable from byte {at}: {reason(e)}", not one_gzip_stream(e))
    # warcio ends quietly when a record's headers are cut short: what it did not read is the break.
    size = os.fstat(stream.fileno()).st_size
    if records.offset < size:
        return entries, (records.offset, f"the {size - records.offset} bytes from byte {records.offset} "
                                         "are not a whole record (truncated file?)", True)
    return entries, None


def next_record(stream: BinaryIO, after: int, layout: tuple[str, bool]) -> int | None:
    """Where the first WARC record at or past byte `after` starts: a gzip member that inflates
    to a record's version line, or, uncompressed, a whole record; None if none does. ARC
    records have no mark to find them by."""
    kind, gzipped = layout
    if kind != "warc":
        return None
    mark = GZIP_MEMBER if gzipped else b"WARC/"
    stream.seek(after)
    position, tail = after, b""
    while block := stream.read(BLOCK):
        data = tail + block
        base = position - len(tail)
        found = data.find(mark)
        while found != -1:
            if is_record_start(stream, base + found, gzipped):
                return base + found
            found = data.find(mark, found + 1)
        position += len(block)
        tail = data[-(len(mark) - 1):]
    return None


def is_record_start(stream: BinaryIO, offset: int, gzipped: bool) -> bool:
    """Whether a WARC record starts at `offset`: a gzip member there that inflates to its
    version line or, uncompressed, a record there whose Content-Length ends it where the
    next begins or the file ends (one quoted in a page's text does not)."""
    position = stream.tell()
    try:
        stream.seek(offset)
        head = stream.read(BLOCK)
        if gzipped:
            try:
                return bool(VERSION_LINE.match(zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 32)))
            except zlib.error:
                return False
        end = head.find(b"\r\n\r\n")
        length = CONTENT_LENGTH.search(head, 0, max(end, 0))
        if not VERSION_LINE.match(head) or length is None:
            return False
        stream.seek(offset + end + 4 + int(length.group(1)))
        after = stream.read(4 + len(b"WARC/"))
        return after == b"\r\n\r\n" or after == b"\r\n\r\nWARC/"
    finally:
        stream.seek(position)


def archive_format(stream: BinaryIO, location: str) -> tuple[str, bool]:
    """("warc" or "arc", whether gzip'ed), from the file's first bytes; leaves the stream at 0.

    warcio reads almost any text as ARC records, so the format is checked here first.
    """
    head = stream.read(1024)
    stream.seek(0)
    if not head:
        raise WarcError("not_a_warc", location, "an empty file, not WARC or ARC")
    gzipped = head[:2] == GZIP_MAGIC
    if gzipped:
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head)
        except zlib.error as e:
            raise WarcError("not_a_warc", location, f"not a WARC or ARC file (unreadable gzip data: {e})") from None
    head = head.lstrip(b"\r\n")
    if head.startswith(b"WARC/"):
        return "warc", gzipped
    if head.startswith(b"filedesc://"):
        return "arc", gzipped
    raise WarcError("not_a_warc", location, f"not a WARC or ARC file (it starts {head[:40]!r})")


def read_entry(entry: dict, max_bytes: int = MAX_PAGE_BYTES) -> RawPage | Reject:
    """The page record at the entry's offset, its payload decoded of transfer and content encodings.

    A payload larger than `max_bytes` once decoded is rejected (`too_large`).
    """
    path, offset = entry["path"], entry["offset"]
    ref = page_ref(entry)
    if entry.get("broken"):
        return Reject(ref, None, "read", "corrupt_warc", f"{file_name(entry)}: {entry['broken']}")
    try:
        with open(path, "rb") as stream:
            read = read_record(stream, entry, max_bytes)
    except OSError as e:
        read = "unreadable", f"{shown_path(path)}: {e.strerror or e}"
    except WarcError as e:
        read = "corrupt_warc", str(e)
    except DAMAGE as e:
        read = "corrupt_warc", f"{file_name(entry)}: the record at byte {offset} is unreadable ({reason(e)})"
    return Reject(ref, None, "read", *read) if isinstance(read, tuple) else read


def read_record(stream: BinaryIO, entry: dict, max_bytes: int) -> RawPage | tuple[str, str]:
    """The page at the entry's offset, or why it is not one as (reason, detail)."""
    path, offset = entry["path"], entry["offset"]
    layout = archive_format(stream, path)
    stream.seek(offset)
    records = ArchiveIterator(stream, arc2warc=True)
    record = next(records, None)
    if record is None:
        return "corrupt_warc", f"{file_name(entry)}: no record at byte {offset}"
    problem = record_problem(record, entry)
    if problem:
        return problem
    content = payload(record, max_bytes)
    if len(content) > max_bytes:
        return "too_large", f"{file_name(entry)} at byte {offset}: {entry['url']}: more than {max_bytes} bytes decoded"
    damage = record_damage(stream, records, record, layout)
    if damage:
        return "corrupt_warc", f"{file_name(entry)}: {damage}"
    fetched_at = warc_date(record)
    return RawPage(
        source_ref=page_ref(entry), content=content, url=target_uri(record),
        fetched_at=fetched_at, fetched_at_method="warc_date" if fetched_at else None,
        outlet=entry.get("outlet"), http_status=http_status(record), headers=headers_of(record),
    )


def page_ref(entry: dict) -> str:
    """An entry's source ref: its file (the URL of a downloaded one) and the record's offset."""
    return f"{entry.get('warc_url') or shown_path(entry['path'])}#{entry['offset']}"


def file_name(entry: dict) -> str:
    """How a message names an entry's file: its name, or the URL of a downloaded one."""
    return entry.get("warc_url") or shown_path(Path(entry["path"]).name)


def payload(record: ArcWarcRecord, max_bytes: int) -> bytes:
    """The record's payload, de-chunked and decoded, up to one byte past `max_bytes` (so that excess shows)."""
    if content_encoding(record) != "br":
        return record.content_stream().read(max_bytes + 1)
    # warcio decodes br only with the abandoned brotlipy; Google's brotli does it here.
    chunked = (record.http_headers.get_header("Transfer-Encoding") or "").strip().lower() == "chunked"
    raw = ChunkedDataReader(record.raw_stream) if chunked else record.raw_stream
    decompressor = brotli.Decompressor()
    content = decompressor.process(raw.read(), output_buffer_limit=max_bytes + 1)
    if len(content) <= max_bytes and not decompressor.is_finished():
        raise brotli.error("brotli data ends early")
    return content


def content_encoding(record: ArcWarcRecord) -> str:
    if record.http_headers is None:
        return ""
    return (record.http_headers.get_header("Content-Encoding") or "").strip().lower()


def is_page_record(record: ArcWarcRecord) -> bool:
    """A response or resource record of an http(s) URL, typed as a page or untyped.

    A response without HTTP headers (an empty or damaged record) is listed, so that reading
    it rejects it with its reason rather than dropping it unseen.
    """
    url = (target_uri(record) or "").lower()
    if record.rec_type not in PAGE_RECORDS or not url.startswith(("http://", "https://")):
        return False
    if record.rec_type == "response":
        if record.http_headers is None:
            return True
        return is_page_type(record.http_headers.get_header("Content-Type"))
    return is_page_type(record.content_type)


def is_page_type(content_type: str | None) -> bool:
    media_type = (content_type or "").split(";")[0].strip().lower()
    return not media_type or media_type in PAGE_TYPES


def record_problem(record: ArcWarcRecord, entry: dict) -> tuple[str, str] | None:
    """Why the record at an entry's offset is not a page to archive, as (reason, detail); None if it is."""
    where = f"{file_name(entry)} at byte {entry['offset']}"
    url = target_uri(record)
    if record.rec_type not in PAGE_RECORDS or url != entry.get("url"):
        return "corrupt_warc", f"{where}: a {record.rec_type} record of {url}, not the listed {entry.get('url')} " \
                               "(has the file changed since it was listed?)"
    if record.rec_type == "resource":
        return None
    if record.http_headers is None:
        return "empty_record", f"{where}: {url}: a response record without HTTP headers or payload"
    status = http_status(record)
    if status is None:
        return "corrupt_warc", f"{where}: {url}: unreadable HTTP status line {record.http_headers.statusline!r}"
    if not 200 <= status < 300:
        return "http_status", f"{where}: {url}: HTTP status {status}, not a page"
    encoding = content_encoding(record)
    if encoding not in DECODABLE:
        return "unsupported_encoding", f"{where}: {url}: a payload in Content-Encoding {encoding!r}, not decodable"
    return None


def record_damage(stream: BinaryIO, records: ArchiveIterator, record: ArcWarcRecord,
                  layout: tuple[str, bool]) -> str | None:
    """Why a record is incomplete or corrupt, once read to its end; None if it is whole.

    A WARC record must fill its Content-Length (not asked of ARC records: warcio miscounts
    their length when it escapes spaces in the URL), and a gzip member must inflate whole
    and match its checksum, which warcio does not check: it reads a corrupt member as noise.
    """
    kind, gzipped = layout
    offset, length = records.get_record_offset(), records.get_record_length()  # read to the record's end
    if kind == "warc":
        if record.length is None:  # a WARC record must have one: its headers were cut short
            return f"the record at byte {offset} has no Content-Length (its headers are cut short)"
        missing = max(getattr(record.raw_stream, "limit", 0) or 0, 0)
        if missing:
            return f"the record at byte {offset} ends {missing} bytes short of its length (truncated or corrupt file)"
    if gzipped and length > 0:
        return member_damage(stream, offset, length)
    return None


def member_damage(stream: BinaryIO, offset: int, length: int) -> str | None:
    """Why the gzip member at `offset` does not inflate whole with a matching CRC; None if it does.

    Inflates it again from the file, output discarded; warcio's position in the file is kept.
    """
    position = stream.tell()
    stream.seek(offset)
    member = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        left = length
        while left > 0 and not member.eof:
            data = stream.read(min(BLOCK, left))
            if not data:
                break
            left -= len(data)
            while data and not member.eof:
                member.decompress(data, BLOCK)
                data = member.unconsumed_tail
    except zlib.error as e:
        return f"the gzip member at byte {offset} is corrupt ({e})"
    finally:
        stream.seek(position)
    if not member.eof:
        return f"the gzip member at byte {offset} ends early (truncated or corrupt file)"
    return None


def target_uri(record: ArcWarcRecord) -> str | None:
    return record.rec_headers.get_header("WARC-Target-URI")


def warc_date(record: ArcWarcRecord) -> datetime | None:
    """WARC-Date as UTC; None if missing or invalid (ClueWeb09 has days like 294)."""
    value = (record.rec_headers.get_header("WARC-Date") or "").strip()
    try:
        date = datetime.fromisoformat(value)
    except ValueError:
        return None
    return (date if date.tzinfo else date.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def http_status(record: ArcWarcRecord) -> int | None:
    if record.http_headers is None:
        return None
    try:
        return int(record.http_headers.get_statuscode())
    except (TypeError, ValueError):
        return None


def headers_of(record: ArcWarcRecord) -> dict[str, str] | None:
    """HTTP headers, names lower-cased, repeated ones joined with ", "; a resource record's content type."""
    if record.http_headers is None:
        return {"content-type": record.content_type} if record.content_type else None
    headers: dict[str, str] = {}
    for name, value in record.http_headers.headers:
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def broken_entry(path: Path, offset: int, why: str) -> dict:
    return {"kind": "warc", "path": str(path), "offset": offset, "broken": why}


def iso_or_none(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def one_gzip_stream(error: Exception) -> bool:
    """Whether warcio failed on a file gzip'ed as one stream, not one member per record."""
    return "non-chunked gzip" in str(error)


def reason(error: Exception) -> str:
    """An exception's message on one line (warcio's span several)."""
    message = " ".join(NOT_TEXT.sub("…", str(error)).split()) or type(error).__name__
    if one_gzip_stream(error):
        return ("compressed as one gzip stream, not one gzip member per record, so its records cannot be "
                "read by offset (`warcio recompress` fixes the file)")
    return message if len(message) <= MAX_REASON_CHARS else message[:MAX_REASON_CHARS] + "…"
