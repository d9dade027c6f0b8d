"""pipeline/fetch.py against real servers on 127.0.0.1 (tests/webserver.py)."""

from __future__ import annotations

import socket
import time
import tracemalloc
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from pipeline.fetch import Fetcher, FetchPolicy, FetchResult
from pipeline.settings import Settings
from webserver import (
    WRONG_CHARSET_TEXT,
    Route,
    WebServer,
    encoded,
    fault_routes,
    html,
    png_bytes,
    redirect,
    robots,
)

UA = "newsarchive-test/1.0 (+https://example.org/newsarchive)"
POLICY = FetchPolicy(
    user_agent=UA,
    timeout_s=0.5,
    headers_timeout_s=1.0,
    body_timeout_s=1.0,
    retries=2,
    backoff_s=0.05,
    max_retry_after_s=5.0,
    per_host_concurrency=2,
    min_delay_s=0.0,
    max_bytes=1_000_000,
    max_redirects=3,
    allow_private=("127.0.0.1/32",),
)
PAGE = "<html><head><title>A story</title></head><body><p>Words.</p></body></html>"
# The server stamps a request when it has read it; the client's gate, just before sending.
CLOCK_SLACK_S = 0.02


@pytest.fixture
def server():
    routes = {
        **fault_routes(slow_s=2.0),
        "/page": html(PAGE, headers={"X-Served-By": "test"}),
        "/page2": html(PAGE),
        "/old": redirect("/page", status=301),
    }
    with WebServer(routes) as server:
        yield server


def fetch(url: str, policy: FetchPolicy = POLICY, **conditional) -> FetchResult:
    with Fetcher(policy) as fetcher:
        return fetcher.get(url, **conditional)


def starts(server: WebServer, path: str | None = None) -> list[float]:
    requests = server.requests_to(path) if path else server.requests
    return sorted(r.started for r in requests)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


def test_a_page_is_fetched_with_our_user_agent(server):
    result = fetch(server.url("/page"))

    assert (result.error, result.detail, result.status, result.attempts) == (None, None, 200, 1)
    assert result.content == PAGE.encode()
    assert result.final_url == result.url == server.url("/page")
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    assert result.headers["x-served-by"] == "test"
    assert result.fetched_at.tzinfo == timezone.utc
    assert not result.not_modified and not result.retryable
    assert [r.path for r in server.requests] == ["/robots.txt", "/page"]
    assert {r.headers["user-agent"] for r in server.requests} == {UA}


def test_compressed_bodies_are_decoded():
    raw_deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    routes = {
        "/gzip": encoded(html(PAGE), "gzip"),
        "/deflate": encoded(html(PAGE), "deflate"),
        "/raw-deflate": Route(headers={"Content-Encoding": "deflate"},
                              body=raw_deflate.compress(PAGE.encode()) + raw_deflate.flush()),
        "/br": encoded(html(PAGE), "br"),
    }
    with WebServer(routes) as server, Fetcher(POLICY) as fetcher:
        results = [fetcher.get(server.url(path)) for path in routes]

    assert [(r.error, r.content) for r in results] == [(None, PAGE.encode())] * 4
    assert results[0].headers["content-encoding"] == "gzip"
    assert server.requests_to("/gzip")[0].headers["accept-encoding"] == "gzip, deflate, br"


def test_a_body_in_a_coding_not_asked_for_is_kept_as_it_came():
    zstd_frame = b"\x28\xb5\x2f\xfd\x00\x48\x11\x00\x00ok"
    with WebServer({"/zstd": Route(headers={"Content-Encoding": "zstd"}, body=zstd_frame)}) as server:
        result = fetch(server.url("/zstd"))

    assert (result.error, result.content) == (None, zstd_frame)


def test_a_body_that_does_not_inflate_is_a_bad_encoding():
    with WebServer({"/broken": Route(headers={"Content-Encoding": "gzip"}, body=b"plain, not gzip")}) as server:
        result = fetch(server.url("/broken"), replace(POLICY, retries=0))

    assert (result.error, result.status, result.content, result.retryable) == ("bad_encoding", 200, b"", True)
    assert "does not inflate" in result.detail


def test_bodies_are_kept_byte_for_byte_whatever_they_claim(server):
    wrong_charset = fetch(server.url("/wrong-charset"))
    binary = fetch(server.url("/binary-as-html"))

    assert wrong_charset.error is None and wrong_charset.content == WRONG_CHARSET_TEXT.encode("cp1252")
    assert binary.error is None and binary.content == png_bytes()
    assert binary.headers["content-type"] == "text/html"


def test_a_final_4xx_is_not_retried(server):
    result = fetch(server.url("/not-found"))

    assert (result.error, result.status, result.attempts, result.retryable) == ("http_404", 404, 1, False)
    assert result.detail == "HTTP 404 Not Found"
    assert result.content == b""
    assert len(server.requests_to("/not-found")) == 1


def test_a_5xx_is_retried_after_a_backoff(server):
    result = fetch(server.url("/flaky"))

    assert (result.error, result.status, result.attempts) == (None, 200, 2)
    assert result.content == b"<p>second time lucky</p>"
    assert gaps(starts(server, "/flaky"))[0] >= POLICY.backoff_s - CLOCK_SLACK_S


def test_a_5xx_every_time_fails_retryable_after_all_retries():
    with WebServer({"/down": Route(500)}) as server:
        result = fetch(server.url("/down"))

    assert (result.error, result.status, result.attempts, result.retryable) == ("http_500", 500, 3, True)
    backoffs = gaps(starts(server, "/down"))
    assert backoffs[0] >= 0.05 - CLOCK_SLACK_S and backoffs[1] >= 0.1 - CLOCK_SLACK_S  # doubling


def test_retry_after_seconds_is_honoured(server):
    result = fetch(server.url("/rate-limited"))

    assert (result.error, result.status, result.attempts) == (None, 200, 2)
    assert gaps(starts(server, "/rate-limited"))[0] >= 1.0


def test_retry_after_as_an_http_date_is_honoured():
    # Whole seconds: three seconds ahead is over two ahead, and the server starts well within one.
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=3), usegmt=True)
    with WebServer({"/busy": [Route(503, headers={"Retry-After": when}), html(PAGE)]}) as server:
        result = fetch(server.url("/busy"))

    assert (result.error, result.attempts) == (None, 2)
    assert gaps(starts(server, "/busy"))[0] >= 1.0


def test_a_retry_after_over_the_limit_leaves_the_page_for_a_later_run():
    with WebServer({"/later": [Route(429, headers={"Retry-After": "3600"}), html(PAGE)]}) as server:
        result = fetch(server.url("/later"))

    assert (result.error, result.status, result.attempts, result.retryable) == ("http_429", 429, 1, True)
    assert "Retry-After 3600 s is over 5 s" in result.detail
    assert len(server.requests_to("/later")) == 1


def test_a_timeout_is_retried_then_fails_retryable(server):
    result = fetch(server.url("/slow"))

    assert (result.error, result.status, result.attempts, result.retryable) == ("timeout", None, 3, True)
    assert result.final_url is None and result.content == b""
    assert len(server.requests_to("/slow")) == 3


def test_a_body_that_trickles_past_its_deadline_is_a_timeout():
    def trickle():  # each piece well within the read timeout, the whole far past the body's deadline
        for _ in range(40):
            time.sleep(0.1)
            yield b"<p>more</p>"

    with WebServer({"/trickle": Route(body=trickle)}) as server:
        result = fetch(server.url("/trickle"))

    assert (result.error, result.status, result.retryable, result.content) == ("timeout", 200, True, b"")
    assert result.detail == "the body took over 1 s to arrive"
    assert result.attempts == 1 and len(server.requests_to("/trickle")) == 1  # not now: on a later run


def test_headers_that_trickle_past_their_deadline_are_a_timeout(server):
    # A header line every 0.1 s: each read within the 0.5 s timeout, the headers never done.
    started = time.monotonic()
    result = fetch(server.url("/slow-headers"))

    assert (result.error, result.status, result.retryable, result.content) == ("timeout", None, True, b"")
    assert result.detail == "the headers took over 1 s to arrive"
    assert result.attempts == 1 and len(server.requests_to("/slow-headers")) == 1  # not now: on a later run
    assert time.monotonic() - started < 5  # not the hours a tarpit's headers take to fill httpx's limit


def test_a_page_after_a_tarpit_on_the_same_connection_pool_is_fetched(server):
    # The deadline is the request's: the next one, on this thread and host, has its own.
    with Fetcher(POLICY) as fetcher:
        assert fetcher.get(server.url("/slow-headers")).error == "timeout"
        result = fetcher.get(server.url("/page"))
    assert (result.error, result.status, result.content) == (None, 200, PAGE.encode())


def test_a_dropped_connection_is_a_retryable_connection_error(server):
    result = fetch(server.url("/dropped"))

    assert (result.error, result.attempts, result.retryable) == ("connection_error", 3, True)
    assert len(server.requests_to("/dropped")) == 3


def test_a_host_that_refuses_connections_has_no_robots_txt():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nobody listens there
    result = fetch(f"http://127.0.0.1:{port}/page")

    assert (result.error, result.retryable, result.attempts) == ("robots_unavailable", True, 0)
    assert "ConnectError" in result.detail


def test_a_certificate_that_does_not_verify_is_a_tls_error_never_retried():
    with WebServer({"/page": html(PAGE)}, tls=True) as server:
        result = fetch(server.url("/page"))

    assert (result.error, result.retryable) == ("tls_error", False)
    assert "CERTIFICATE_VERIFY_FAILED" in result.detail
    # The first request (robots.txt) failed the handshake; nothing was tried after it.
    assert server.connections == 1 and server.requests == []


def test_redirects_are_followed(server):
    result = fetch(server.url("/old"))

    assert (result.error, result.status, result.attempts) == (None, 200, 2)
    assert result.url == server.url("/old") and result.final_url == server.url("/page")
    assert result.content == PAGE.encode()


def test_a_redirect_loop_ends_at_the_redirect_limit(server):
    result = fetch(server.url("/loop/a"))

    assert (result.error, result.status, result.retryable) == ("too_many_redirects", 302, False)
    assert result.attempts == POLICY.max_redirects + 1
    assert len(server.requests_to("/loop/a")) + len(server.requests_to("/loop/b")) == POLICY.max_redirects + 1


def test_no_redirect_at_all_when_none_are_allowed(server):
    result = fetch(server.url("/old"), replace(POLICY, max_redirects=0))

    assert (result.error, result.status, result.attempts) == ("too_many_redirects", 301, 1)
    assert server.requests_to("/page") == []


@pytest.mark.parametrize("path", ["/big", "/big-chunked", "/gzip-bomb", "/brotli-bomb"])
def test_a_body_over_the_limit_is_too_large(server, path):
    result = fetch(server.url(path))

    assert (result.error, result.status, result.attempts, result.retryable) == ("too_large", 200, 1, False)
    assert result.content == b""
    assert result.detail == "body over 1000000 bytes"


@pytest.mark.parametrize("path", ["/gzip-bomb", "/brotli-bomb"])
def test_a_compression_bomb_is_never_inflated_past_the_limit(server, path):
    tracemalloc.start()
    try:
        result = fetch(server.url(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert result.error == "too_large"
    assert peak < 10 * POLICY.max_bytes  # it inflates to 128 MB


def test_a_download_is_written_to_its_file_as_it_comes_never_held_whole(server, tmp_path):
    path = tmp_path / "crawl.warc.gz"
    tracemalloc.start()
    try:
        with Fetcher(replace(POLICY, max_bytes=200_000_000, body_timeout_s=30)) as fetcher:
            result = fetcher.download(server.url("/gzip-bomb"), path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (result.error, result.status, result.content) == (None, 200, b"")
    assert path.stat().st_size == 128 * 1024 * 1024  # inflated as it came
    with path.open("rb") as f:
        f.seek(100_000_000)
        assert f.read(16) == bytes(16)
    assert peak < 10_000_000


@pytest.mark.parametrize("route", ["/big", "/big-chunked", "/missing"])
def test_a_download_that_fails_leaves_no_file(server, tmp_path, route):
    path = tmp_path / "crawl.warc.gz"
    with Fetcher(POLICY) as fetcher:
        result = fetcher.download(server.url(route), path)

    assert result.error == ("http_404" if route == "/missing" else "too_large")
    assert not path.exists()


def test_robots_txt_rules_are_obeyed_with_wildcards():
    routes = {
        "/robots.txt": robots("User-agent: *\nDisallow: /private\nDisallow: /*.pdf$\n"),
        "/page": html(PAGE),
        "/private/story": html(PAGE),
        "/report.pdf": Route(body=b"%PDF-1.4"),
    }
    with WebServer(routes) as server, Fetcher(POLICY) as fetcher:
        results = [fetcher.get(server.url(path)) for path in ("/page", "/private/story", "/report.pdf", "/report.pdf?page=2")]

    assert [r.error for r in results] == [None, "robots_disallowed", "robots_disallowed", None]
    assert results[1].attempts == 0 and not results[1].retryable
    assert "/private/story" in results[1].detail
    # robots.txt read once for the host, and nothing it forbids asked for.
    assert [r.path for r in server.requests] == ["/robots.txt", "/page", "/report.pdf?page=2"]


def test_a_huge_robots_txt_is_read_up_to_512_kib():
    rules = "User-agent: *\nDisallow: /private\n" + "# padding\n" * 100_000
    with WebServer({"/robots.txt": robots(rules), "/private": html(PAGE)}) as server:
        result = fetch(server.url("/private"))

    assert result.error == "robots_disallowed"


def test_robots_txt_group_for_our_user_agent_wins_over_the_star_group():
    rules = "User-agent: newsarchive-test\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
    with WebServer({"/robots.txt": robots(rules), "/page": html(PAGE)}) as server:
        result = fetch(server.url("/page"))

    assert result.error == "robots_disallowed"
    assert server.requests_to("/page") == []


@pytest.mark.parametrize("status", [404, 410])
def test_a_missing_robots_txt_allows_everything(status):
    with WebServer({"/robots.txt": Route(status), "/page": html(PAGE)}) as server:
        result = fetch(server.url("/page"))

    assert result.error is None and result.content == PAGE.encode()


def test_a_robots_txt_in_a_redirect_loop_allows_everything():
    with WebServer({"/robots.txt": redirect("/robots.txt"), "/page": html(PAGE)}) as server:
        result = fetch(server.url("/page"))

    assert result.error is None
    assert len(server.requests_to("/robots.txt")) == POLICY.max_redirects + 1


def test_a_failing_robots_txt_closes_its_host_only():
    with (
        WebServer({"/page": html(PAGE)}) as healthy,
        WebServer({"/robots.txt": Route(500), "/page": html(PAGE), "/page2": html(PAGE)}) as broken,
        Fetcher(POLICY) as fetcher,
    ):
        results = fetcher.get_many([(healthy.url("/page"), None, None),
                                    (broken.url("/page"), None, None),
                                    (broken.url("/page2"), None, None)])

    assert [r.error for r in results] == [None, "robots_unavailable", "robots_unavailable"]
    assert results[1].retryable and "HTTP 500" in results[1].detail
    assert broken.requests_to("/page") == [] and broken.requests_to("/page2") == []
    # robots.txt got its retries once, then the answer was kept for the host.
    assert len(broken.requests_to("/robots.txt")) == POLICY.retries + 1


@pytest.mark.parametrize("etag", [b'"caf\xe9"', '"café-€"'.encode()], ids=["latin-1", "utf-8"])
def test_a_validator_of_any_bytes_is_sent_back_as_it_came(etag):
    sent = etag.decode("latin-1")  # the test server writes a header's characters as bytes, one each
    with WebServer({"/page": html(PAGE, etag=sent)}) as server, Fetcher(POLICY) as fetcher:
        first = fetcher.get(server.url("/page"))
        again = fetcher.get(server.url("/page"), etag=first.headers["etag"])

    assert (again.error, again.status) == (None, 304)
    assert server.requests_to("/page")[1].headers["if-none-match"] == sent


def test_conditional_headers_are_sent_and_304_is_not_modified():
    etag, modified = '"v1"', "Wed, 21 Oct 2015 07:28:00 GMT"
    with WebServer({"/page": html(PAGE, etag=etag, last_modified=modified)}) as server, Fetcher(POLICY) as fetcher:
        first = fetcher.get(server.url("/page"))
        again = fetcher.get(server.url("/page"), etag=first.headers["etag"], last_modified=first.headers["last-modified"])

    assert (first.status, first.headers["etag"], first.headers["last-modified"]) == (200, etag, modified)
    assert (again.error, again.status, again.not_modified, again.content, again.retryable) == (None, 304, True, b"", False)
    sent = server.requests_to("/page")
    assert "if-none-match" not in sent[0].headers
    assert (sent[1].headers["if-none-match"], sent[1].headers["if-modified-since"]) == (etag, modified)


def test_a_304_to_a_request_that_sent_no_validators_is_a_failure_for_a_later_run():
    with WebServer({"/page": Route(304)}) as server:
        result = fetch(server.url("/page"))

    assert (result.error, result.status, result.not_modified, result.retryable) == ("http_304", 304, False, True)
    assert "sent no validators" in result.detail
    assert len(server.requests_to("/page")) == 1  # the server meant it: not asked again this run


def test_requests_to_one_host_keep_the_minimum_delay(server):
    policy = replace(POLICY, min_delay_s=0.2)
    with Fetcher(policy) as fetcher:
        results = fetcher.get_many([(server.url(p), None, None) for p in ("/page", "/page2", "/flaky", "/old")])

    assert [r.error for r in results] == [None] * 4
    # robots.txt, /page, /page2, /flaky twice, /old, and /page again after the redirect.
    assert len(server.requests) == 7
    assert min(gaps(starts(server))) >= policy.min_delay_s - CLOCK_SLACK_S


def test_requests_in_flight_to_one_host_never_exceed_the_limit():
    routes = {f"/slow/{i}": html(PAGE, delay_s=0.2) for i in range(6)}
    # More threads than the host allows: the Fetcher, not the thread count, holds them back.
    with WebServer(routes) as server, Fetcher(POLICY) as fetcher, ThreadPoolExecutor(6) as threads:
        results = list(threads.map(fetcher.get, [server.url(path) for path in routes]))

    assert [r.error for r in results] == [None] * 6
    assert server.max_in_flight == POLICY.per_host_concurrency


def test_hosts_are_fetched_concurrently_each_within_its_limit():
    policy = replace(POLICY, per_host_concurrency=1)
    routes = {f"/slow/{i}": html(PAGE, delay_s=0.2) for i in range(3)}
    with WebServer(routes) as first, WebServer(routes) as second, Fetcher(policy) as fetcher:
        results = fetcher.get_many([(s.url(path), None, None) for s in (first, second) for path in routes])

    assert [r.error for r in results] == [None] * 6
    assert first.max_in_flight == second.max_in_flight == 1
    overlapping = [
        (a, b) for a in first.requests_to("/slow/0") + first.requests_to("/slow/1")
        for b in second.requests if a.started < b.ended and b.started < a.ended
    ]
    assert overlapping


def test_get_many_keeps_the_order_given_and_reports_each_result(server):
    paths = ["/page", "/not-found", "/old", "/page2"]
    done = []
    with Fetcher(POLICY) as fetcher:
        results = fetcher.get_many([(server.url(p), None, None) for p in paths], on_done=done.append)

    assert [r.url for r in results] == [server.url(p) for p in paths]
    assert [r.error for r in results] == [None, "http_404", None, None]
    assert sorted(r.url for r in done) == sorted(r.url for r in results)
    with Fetcher(POLICY) as fetcher:
        assert fetcher.get_many([]) == []


def test_private_addresses_are_refused_unless_allowed(server):
    policy = replace(POLICY, allow_private=())
    results = [fetch(url, policy) for url in (server.url("/page"), f"http://localhost:{server.port}/page",
                                             f"http://[::1]:{server.port}/page", "http://10.1.2.3/")]

    assert [r.error for r in results] == ["private_address"] * 4
    assert all(r.attempts == 0 and not r.retryable for r in results)
    assert "127.0.0.1" in results[0].detail
    assert server.requests == []


def test_a_private_host_can_be_allowed_by_name(server):
    result = fetch(f"http://localhost:{server.port}/page", replace(POLICY, allow_private=("localhost",)))

    assert result.error is None and result.content == PAGE.encode()


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.2:{port}/page",
                                    "http://192.168.0.1/"])
def test_a_redirect_to_a_private_address_is_refused(server, target):
    server.routes["/away"] = redirect(target.format(port=server.port))
    result = fetch(server.url("/away"))

    assert (result.error, result.status, result.attempts, result.retryable) == ("private_address", 302, 1, False)
    assert result.final_url == server.url("/away")


@pytest.mark.parametrize("url", ["ftp://example.org/file", "file:///etc/passwd", "javascript:alert(1)",
                                 "not a url", "http://", "https:///path", "http://exa mple.com/x",
                                 "http://exa%20mple.com/", "http://127.0.0.1:99999/x"])
def test_what_is_not_an_http_url_is_a_bad_url(url):
    result = fetch(url)

    assert (result.error, result.attempts, result.retryable, result.status) == ("bad_url", 0, False, None)


def test_a_redirect_to_another_scheme_is_a_bad_url(server):
    server.routes["/to-ftp"] = redirect("ftp://example.org/file")
    result = fetch(server.url("/to-ftp"))

    assert (result.error, result.status) == ("bad_url", 302)


def test_the_policy_comes_from_settings():
    policy = FetchPolicy.from_settings(Settings(allow_private=["127.0.0.1/32", "intranet"], min_delay_s=0.5))

    assert policy.allow_private == ("127.0.0.1/32", "intranet")
    assert policy.min_delay_s == 0.5
    assert policy.max_bytes == Settings().max_page_bytes
    assert policy.user_agent == Settings().user_agent
