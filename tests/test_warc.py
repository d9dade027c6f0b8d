"""The WARC source: WARC files written here with warcio, then the real fixtures in the eval data."""

from __future__ import annotations

import gzip
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.records import RawPage, Reject
from pipeline.settings import Settings
from pipeline.sources.warc import WarcError, list_entries, read_entry

PAGE_1 = b"<!DOCTYPE html><html><head><title>Budget</title></head><body><p>Council approves budget.</p></body></html>"
PAGE_2 = "<html><body><h1>Storm</h1><p>Storm hits coast \u2014 ports closed.</p></body></html>".encode() * 20
NOT_FOUND = b"<html><body>Not found</body></html>"
PLAIN = b"Ferry service resumes on Monday.\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


def http(status: str, headers: list[tuple[str, str]]) -> StatusAndHeaders:
    return StatusAndHeaders(status, headers, protocol="HTTP/1.1")


def chunked(body: bytes, size: int = 100) -> bytes:
    chunks = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks) + b"0\r\n\r\n"


def write_warc(path: Path, gzip_records: bool) -> dict[str, int]:
    """A small crawl; returns each record's offset by name, and the file's end as `end`."""
    offsets = {}
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=gzip_records)

        def write(name, uri, record_type, payload=b"", date="2024-03-01T10:00:00Z", **kwargs):
            offsets[name] = f.tell()
            writer.write_record(writer.create_warc_record(
                uri, record_type, payload=io.BytesIO(payload), warc_headers_dict={"WARC-Date": date}, **kwargs))

        offsets["warcinfo"] = f.tell()
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "newsarchive tests"}))
        write("request", "https://news.example.org/budget.html", "request",
              http_headers=StatusAndHeaders("GET /budget.html HTTP/1.1", [("Host", "news.example.org")]))
        write("page_1", "https://news.example.org/budget.html", "response", PAGE_1, date="2024-03-01T10:00:00Z",
              http_headers=http("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                           ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]))
        write("image", "https://news.example.org/logo.png", "response", PNG,
              http_headers=http("200 OK", [("Content-Type", "image/png")]))
        write("page_2", "https://news.example.org/storm.html", "response", chunked(gzip.compress(PAGE_2)),
              date="2024-03-02T23:59:58.5Z",
              http_headers=http("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", "gzip"),
                                           ("Transfer-Encoding", "chunked")]))
        write("metadata", "https://news.example.org/storm.html", "metadata", b"outlinks: 3\n",
              warc_content_type="application/warc-fields")
        write("not_found", "https://news.example.org/gone.html", "response", NOT_FOUND,
              http_headers=http("404 Not Found", [("Content-Type", "text/html")]))
        write("plain", "https://news.example.org/ferry.txt", "resource", PLAIN, date="2024-03-03T06:00:00+02:00",
              warc_content_type="text/plain")
        write("stylesheet", "https://news.example.org/site.css", "resource", b"body{}", warc_content_type="text/css")
        offsets["end"] = f.tell()
    return offsets


@pytest.fixture(params=[True, False], ids=["gzip-per-record", "uncompressed"])
def crawl(request, tmp_path) -> tuple[Path, dict[str, int]]:
    path = tmp_path / ("crawl.warc.gz" if request.param else "crawl.warc")
    return path, write_warc(path, request.param)


def expected_entries(path: Path, offsets: dict[str, int]) -> list[dict]:
    def entry(name, url, fetched_at):
        return {"kind": "warc", "path": str(path), "offset": offsets[name], "url": url,
                "fetched_at": fetched_at, "outlet": "Example Daily"}

    return [
        entry("page_1", "https://news.example.org/budget.html", "2024-03-01T10:00:00+00:00"),
        entry("page_2", "https://news.example.org/storm.html", "2024-03-02T23:59:58.500000+00:00"),
        entry("not_found", "https://news.example.org/gone.html", "2024-03-01T10:00:00+00:00"),
        entry("plain", "https://news.example.org/ferry.txt", "2024-03-03T04:00:00+00:00"),
    ]


def test_lists_page_records_only(crawl):
    path, offsets = crawl
    entries = list_entries(str(path), outlet="Example Daily")
    # no warcinfo, request, image, metadata or stylesheet
    assert entries == expected_entries(path, offsets)
    assert json.loads(json.dumps(entries)) == entries


def test_entries_read_back_by_offset(crawl):
    path, offsets = crawl
    page_1, page_2, not_found, plain = (read_entry(e) for e in list_entries(str(path), outlet="Example Daily"))
    assert page_1 == RawPage(
        source_ref=f"{path}#{offsets['page_1']}", content=PAGE_1, url="https://news.example.org/budget.html",
        fetched_at=datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc), fetched_at_method="warc_date",
        outlet="Example Daily", http_status=200,
        headers={"content-type": "text/html; charset=utf-8", "set-cookie": "a=1, b=2"},
    )
    # chunked and gzip'ed on the wire: the content is the page itself
    assert page_2.content == PAGE_2
    assert page_2.fetched_at == datetime(2024, 3, 2, 23, 59, 58, 500000, tzinfo=timezone.utc)
    assert page_2.headers["content-encoding"] == "gzip"
    assert not_found == Reject(f"{path}#{offsets['not_found']}", None, "read", "http_status",
                               f"{path.name} at byte {offsets['not_found']}: https://news.example.org/gone.html: "
                               "HTTP status 404, not a page")
    assert plain == RawPage(
        source_ref=f"{path}#{offsets['plain']}", content=PLAIN, url="https://news.example.org/ferry.txt",
        fetched_at=datetime(2024, 3, 3, 4, 0, tzinfo=timezone.utc), fetched_at_method="warc_date",
        outlet="Example Daily", http_status=None, headers={"content-type": "text/plain"},
    )


def test_a_downloaded_file_is_named_by_its_url(crawl, tmp_path):
    path, offsets = crawl
    url = "https://wire.example/crawls/crawl.warc.gz"
    cut = tmp_path / "download"
    cut.write_bytes(path.read_bytes()[:offsets["page_2"] + 40])
    page_1, broken = (read_entry(e) for e in list_entries(str(cut), url=url))
    assert page_1.source_ref == f"{url}#{offsets['page_1']}"
    assert broken.source_ref == f"{url}#{offsets['page_2']}" and broken.detail.startswith(f"{url}: ")
    cut.write_bytes(b"<html>Moved</html>")
    with pytest.raises(WarcError, match=f"^{url}: not a WARC or ARC file"):
        list_entries(str(cut), url=url)


@pytest.mark.parametrize("cut_in", ["page_2", "image"])
@pytest.mark.parametrize("cut_at", ["headers", "middle"])
def test_truncated_file_keeps_the_entries_before_the_break(crawl, tmp_path, cut_in, cut_at):
    path, offsets = crawl
    names = list(offsets)
    start, end = offsets[cut_in], offsets[names[names.index(cut_in) + 1]]
    cut = tmp_path / f"cut-{path.name}"
    cut.write_bytes(path.read_bytes()[:start + (40 if cut_at == "headers" else (end - start) // 2)])

    entries = list_entries(str(cut), outlet="Example Daily")
    assert entries[:-1] == expected_entries(cut, offsets)[:1]  # page 1 only
    assert entries[-1] == {
        "kind": "warc", "path": str(cut), "offset": start, "broken": entries[-1]["broken"],
    }
    assert f"byte {start}" in entries[-1]["broken"]
    assert isinstance(read_entry(entries[0]), RawPage)
    reject = read_entry(entries[-1])
    assert (reject.source_ref, reject.raw_hash, reject.stage, reject.reason) == (f"{cut}#{start}", None, "read",
                                                                                 "corrupt_warc")
    assert reject.detail.startswith(f"{cut.name}: ")


@pytest.mark.parametrize("where", ["data start", "data middle", "checksum"])
def test_a_corrupt_gzip_member_is_a_reject_and_the_records_after_it_are_read(tmp_path, where):
    path = tmp_path / "crawl.warc.gz"
    offsets = write_warc(path, gzip_records=True)
    start, end = offsets["page_2"], offsets["metadata"]
    # past the 10-byte gzip header; the member ends with CRC32 and length, 4 bytes each
    at = {"data start": start + 12, "data middle": (start + end) // 2, "checksum": end - 8}[where]
    data = bytearray(path.read_bytes())
    data[at:at + 4] = bytes(b ^ 0xFF for b in data[at:at + 4])
    path.write_bytes(bytes(data))

    entries = list_entries(str(path))
    assert [e["offset"] for e in entries] == [offsets[name] for name in ("page_1", "page_2", "not_found", "plain")]
    assert [bool(e.get("broken")) for e in entries] == [False, True, False, False]
    assert entries[1]["broken"].endswith(f"read on from byte {offsets['metadata']}")
    assert read_entry(entries[1]).reason == "corrupt_warc"
    assert read_entry(entries[3]).content == PLAIN


def test_a_damaged_uncompressed_record_is_a_reject_and_the_records_after_it_are_read(tmp_path):
    path = tmp_path / "crawl.warc"
    offsets = write_warc(path, gzip_records=False)
    data = bytearray(path.read_bytes())
    at = offsets["image"] + 4  # its version line, "WARC/1.0", becomes noise
    data[at:at + 4] = b"\x00\xff\x00\xff"
    path.write_bytes(bytes(data))

    entries = list_entries(str(path))
    assert [e["offset"] for e in entries] == [offsets[name] for name in ("page_1", "image", "page_2", "not_found", "plain")]
    assert [bool(e.get("broken")) for e in entries] == [False, True, False, False, False]
    assert read_entry(entries[2]).url == "https://news.example.org/storm.html"


def test_a_record_quoted_in_a_damaged_record_is_not_read_as_one(tmp_path):
    quoted = (b"<html><body><pre>\r\n\r\nWARC/1.0\r\nWARC-Type: response\r\n"
              b"WARC-Target-URI: https://evil.example/x\r\nContent-Length: 5\r\n\r\nhello</pre></body></html>")
    path = tmp_path / "quoting.warc"
    offsets = {}
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=False)
        for name, url, body in [("a", "https://news.example.org/a", PAGE_1), ("quote", "https://news.example.org/q", quoted),
                                ("b", "https://news.example.org/b", PAGE_1)]:
            offsets[name] = f.tell()
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=http("200 OK", [("Content-Type", "text/html")])))
    data = bytearray(path.read_bytes())
    data[offsets["quote"] + 4:offsets["quote"] + 8] = b"\x00\xff\x00\xff"  # its own version line is noise
    path.write_bytes(bytes(data))

    entries = list_entries(str(path))
    assert [(e["offset"], e.get("url")) for e in entries] == [
        (offsets["a"], "https://news.example.org/a"), (offsets["quote"], None), (offsets["b"], "https://news.example.org/b")]


def test_an_entry_whose_record_changed_is_rejected(crawl):
    path, offsets = crawl
    entry = list_entries(str(path))[0] | {"offset": offsets["request"]}
    reject = read_entry(entry)
    assert reject.reason == "corrupt_warc"
    assert "a request record of https://news.example.org/budget.html" in reject.detail


def test_a_file_gone_since_listing_is_rejected(crawl):
    path, _ = crawl
    entries = list_entries(str(path))
    path.unlink()
    reject = read_entry(entries[0])
    assert (reject.stage, reject.reason) == ("read", "unreadable")
    assert str(path) in reject.detail


def test_unreadable_files_raise(tmp_path):
    # warcio alone would read the notes as an ARC record of the URL "These are notes,"
    (tmp_path / "notes.warc").write_text("These are notes, not a WARC file.\n")
    (tmp_path / "notes.warc.gz").write_bytes(gzip.compress(b"These are notes, not a WARC file.\n"))
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    with pytest.raises(WarcError, match=r"missing\.warc: cannot open \(No such file or directory\)"):
        list_entries(str(tmp_path / "missing.warc"))
    for name in ("notes.warc", "notes.warc.gz"):
        with pytest.raises(WarcError, match=rf"{name}: not a WARC or ARC file \(it starts b'These are notes"):
            list_entries(str(tmp_path / name))
    with pytest.raises(WarcError, match=r"empty\.warc\.gz: an empty file, not WARC or ARC"):
        list_entries(str(tmp_path / "empty.warc.gz"))
    with pytest.raises(WarcError, match=r"cannot open \(Is a directory\)"):
        list_entries(str(tmp_path))
    assert issubclass(WarcError, ValueError)


# --- the eval data's WARC and ARC fixtures (warcio, resiliparse, whirlwind) ------------

WARCS = Settings().eval_dir.resolve() / "warc"


NO_EVAL_DATA = "no eval data at {} (the WARC fixtures of ../shared/eval; NEWSARCHIVE_EVAL_DIR sets the folder)"


def eval_file(name: str) -> Path:
    path = WARCS / name
    if not path.exists():
        pytest.skip(NO_EVAL_DATA.format(path))
    return path


EXAMPLE_URL = "http://example.com/"


@pytest.mark.parametrize("name, offset, url, fetched_at", [
    ("warcio/example.warc.gz", 784, EXAMPLE_URL, "2017-03-06T04:02:06+00:00"),
    ("warcio/example.warc", 1197, EXAMPLE_URL, "2017-03-06T04:02:06+00:00"),  # and a revisit, not listed
    ("warcio/example.arc", 151, EXAMPLE_URL, "2014-02-16T05:02:21+00:00"),
    ("warcio/example.arc.gz", 171, EXAMPLE_URL, "2014-02-16T05:02:21+00:00"),
    ("warcio/example-wget-bad-target-uri.warc.gz", 824, EXAMPLE_URL, "2018-02-09T15:12:11+00:00"),  # <uri>
    ("warcio/example-trunc.warc", 1197, EXAMPLE_URL, "2017-03-06T04:02:06+00:00"),  # cut after the page
    ("warcio/example-space-in-url.arc", 151,
     "http://example.com/index.cfm?FuseAction=Email&EmailTitle=Examples%20From%20The%20Live%20Web&IsPopUp=False",
     "2014-02-16T05:02:21+00:00"),
])
def test_example_page(name, offset, url, fetched_at):
    path = eval_file(name)
    entries = list_entries(str(path), outlet="Example")
    assert entries == [{"kind": "warc", "path": str(path), "offset": offset, "url": url,
                        "fetched_at": fetched_at, "outlet": "Example"}]
    page = read_entry(entries[0])
    assert (page.source_ref, page.url, page.http_status, page.fetched_at_method) == (
        f"{path}#{offset}", url, 200, "warc_date")
    assert page.fetched_at.isoformat() == fetched_at
    assert page.content.startswith(b"<!doctype html>\n<html>\n<head>\n    <title>Example Domain</title>")
    assert page.content.rstrip().endswith(b"</html>")
    assert page.headers["content-type"] == "text/html"


def test_chunked_response_is_dechunked():
    path = eval_file("warcio/example-iana.org-chunked.warc")
    [entry] = list_entries(str(path))
    page = read_entry(entry)
    assert (entry["offset"], page.url, page.headers["transfer-encoding"]) == (405, "http://www.iana.org/", "chunked")
    assert page.content.startswith(b"<!doctype html>\n<html>")
    assert page.content.endswith(b"</html>\n")
    assert b"\r\n0\r\n" not in page.content


def test_resource_record():
    path = eval_file("warcio/example-resource.warc.gz")
    [entry] = list_entries(str(path))
    page = read_entry(entry)
    assert (entry["offset"], page.url, page.http_status, page.headers) == (
        802, EXAMPLE_URL, None, {"content-type": "text/html; charset=utf-8"})
    assert page.content.startswith(b"<!DOCTYPE html>") and len(page.content) == 1303


def test_common_crawl_capture():
    path = eval_file("whirlwind/whirlwind.warc.gz")
    [entry] = list_entries(str(path))
    page = read_entry(entry)
    assert (entry["offset"], page.url, page.fetched_at) == (
        1023, "https://an.wikipedia.org/wiki/Escopete", datetime(2024, 5, 18, 1, 58, 10, tzinfo=timezone.utc))
    assert b"Escopete" in page.content and page.http_status == 200


@pytest.mark.parametrize("name", [
    "whirlwind/whirlwind.warc.wat.gz",  # metadata records
    "whirlwind/whirlwind.warc.wet.gz",  # conversion records
    "warcio/post-test.warc.gz",  # JSON responses
    "warcio/example-digest.warc",  # requests
    "warcio/example-space-in-target-uri.warc.gz",  # an image resource at a file: URI
    "resiliparse/block-sized-records.warc.gz",  # records of unknown types
])
def test_files_without_pages(name):
    assert list_entries(str(eval_file(name))) == []


def test_crawl_with_requests_and_metadata():
    path = eval_file("resiliparse/warcfile.warc.gz")
    entries = list_entries(str(path))
    assert len(entries) == 16
    assert entries[0]["url"] == "http://003338.cn/l41/481397.html" and entries[0]["offset"] == 940
    pages = [read_entry(e) for e in entries]
    assert all(isinstance(p, RawPage) and p.http_status == 200 for p in pages)


def test_invalid_warc_date_leaves_the_fetch_time_unknown():
    path = eval_file("resiliparse/clueweb-quirk.warc.gz")  # WARC-Date: 2008-10-294T05:21:46-0700
    entries = list_entries(str(path))
    assert len(entries) == 29 and {e["fetched_at"] for e in entries} == {None}
    page = read_entry(entries[0])
    assert (page.fetched_at, page.fetched_at_method, page.http_status) == (None, None, 200)
    assert page.headers["content-type"] == "text/html; charset=EUC-JP"


@pytest.mark.parametrize("name, why", [
    ("resiliparse/clipped.warc.gz", "the record at byte 0 ends 13068 bytes short of its length"),
    ("warcio/example-wrong-chunks.warc.gz", "the record at byte 0 ends 1270 bytes short of its length"),
    ("warcio/example-bad-non-chunked.warc.gz", "compressed as one gzip stream, not one gzip member per record"),
    ("warcio/example-bad.warc.gz.bad", "compressed as one gzip stream, not one gzip member per record"),
])
def test_broken_files_report_the_break(name, why):
    path = eval_file(name)
    [broken] = list_entries(str(path))
    assert broken["offset"] == 0 and why in broken["broken"]
    reject = read_entry(broken)
    assert (reject.source_ref, reject.stage, reject.reason) == (f"{path}#0", "read", "corrupt_warc")
    assert why in reject.detail


def test_damaged_arc_records_are_rejected_with_reasons():
    path = eval_file("warcio/bad.arc")  # lengths -1, 1 and "abc"
    entries = list_entries(str(path))
    assert [e["offset"] for e in entries] == [134, 202, 262]
    assert [read_entry(e).reason for e in entries] == ["empty_record", "corrupt_warc", "empty_record"]


def test_every_eval_file_lists_or_raises_and_every_entry_reads():
    folders = [WARCS / name for name in ("warcio", "resiliparse", "whirlwind")]
    if not all(folder.is_dir() for folder in folders):
        pytest.skip(NO_EVAL_DATA.format(WARCS))
    for path in sorted(p for folder in folders for p in folder.iterdir()):
        try:
            entries = list_entries(str(path))
        except WarcError:
            continue
        for entry in entries:
            assert isinstance(read_entry(entry), (RawPage, Reject)), path


def test_brotli_payload_is_decoded_and_an_unknown_encoding_rejected(tmp_path):
    import brotli

    path = tmp_path / "encodings.warc.gz"
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=True)
        for name, body, encoding in [("br", brotli.compress(PAGE_1), "br"), ("zstd", b"\x28\xb5\x2f\xfd...", "zstd")]:
            writer.write_record(writer.create_warc_record(
                f"https://news.example.org/{name}.html", "response", payload=io.BytesIO(body),
                http_headers=http("200 OK", [("Content-Type", "text/html"), ("Content-Encoding", encoding)])))
    br, zstd = (read_entry(e) for e in list_entries(str(path)))
    assert br.content == PAGE_1
    assert (zstd.reason, zstd.detail.split(": ", 1)[1]) == (
        "unsupported_encoding", "https://news.example.org/zstd.html: a payload in Content-Encoding 'zstd', not decodable")


def test_chunked_brotli_payload_is_decoded(tmp_path):
    import brotli

    path = tmp_path / "br.warc"
    with path.open("wb") as f:
        writer = WARCWriter(f, gzip=False)
        writer.write_record(writer.create_warc_record(
            "https://news.example.org/br.html", "response", payload=io.BytesIO(chunked(brotli.compress(PAGE_2), 64)),
            http_headers=http("200 OK", [("Content-Encoding", "br"), ("Transfer-Encoding", "chunked")])))
    entry = list_entries(str(path))[0]
    assert read_entry(entry).content == PAGE_2
    assert read_entry(entry, max_bytes=1000).reason == "too_large"  # not inflated past the limit


def test_payload_larger_than_the_limit_is_rejected(crawl):
    path, offsets = crawl
    page_2 = list_entries(str(path))[1]
    assert read_entry(page_2, max_bytes=len(PAGE_2)).content == PAGE_2
    reject = read_entry(page_2, max_bytes=len(PAGE_2) - 1)
    assert (reject.reason, reject.detail) == (
        "too_large", f"{path.name} at byte {offsets['page_2']}: https://news.example.org/storm.html: "
                     f"more than {len(PAGE_2) - 1} bytes decoded")
