"""HTTP fetching: polite, bounded, and every failure a reason code.

A `Fetcher` GETs pages with httpx and never raises for what the network or a server
does: each URL gives a `FetchResult`, with `error` one of

    http_<status>        a final 4xx or 5xx answer (http_404, http_429, http_500), or a
                         304 to a request that sent no validators (http_304)
    timeout              connecting or reading took longer than the timeout, the headers
                         or the body longer in all than theirs
    connection_error     refused, reset, dropped, or the host name did not resolve
    tls_error            the certificate did not verify (never retried, never unverified)
    too_many_redirects   more redirects than allowed (a redirect loop ends here)
    too_large            the body, decompressed, is over the size limit
    bad_encoding         the body does not decode in its Content-Encoding (gzip, deflate, br)
    robots_disallowed    the host's robots.txt forbids the URL to our user agent
    robots_unavailable   robots.txt answered 5xx or could not be fetched: the host is off limits
    private_address      the host is private, loopback, link-local or reserved
    bad_url              not an http(s) URL with a host

Politeness: at most `per_host_concurrency` requests in flight to one host (host:port),
`min_delay_s` between the starts of two requests to it (retries and robots.txt
included), robots.txt read once per host, Retry-After honoured for 429 and 503, and
exponential backoff on timeouts, connection errors, 429 and 5xx.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import zip_longest
from pathlib import Path

import brotli
import httpcore
import httpx
from protego import Protego

from pipeline.settings import Settings

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Google reads the first 500 KiB of a robots.txt and ignores the rest (RFC 9309 asks for at least 500 KiB).
ROBOTS_MAX_BYTES = 512 * 1024
# Threads of get_many: a request mostly waits, so more threads than cores.
MAX_THREADS = 32
# The codings asked for and undone, with a bound on the output (_Inflater); a body in
# another coding is kept as it came.
CODINGS = ("gzip", "deflate", "br")
# The most one piece of a body inflates to at a time: 64 KiB of a gzip bomb is 64 MB.
MAX_PIECE = 1 << 20
# A host as httpx gives it: IDNA-encoded names (an underscore is common though not allowed), IPv4, IPv6.
HOST = re.compile(r"[A-Za-z0-9._:-]+")


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how far a Fetcher goes."""

    user_agent: str
    timeout_s: float
    headers_timeout_s: float
    body_timeout_s: float
    retries: int
    backoff_s: float
    max_retry_after_s: float
    per_host_concurrency: int
    min_delay_s: float
    max_bytes: int
    max_redirects: int
    allow_private: tuple[str, ...] = ()  # CIDRs or host names allowed although private/loopback

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchPolicy:
        return cls(
            user_agent=settings.user_agent,
            timeout_s=settings.fetch_timeout_s,
            headers_timeout_s=settings.fetch_headers_timeout_s,
            body_timeout_s=settings.fetch_body_timeout_s,
            retries=settings.fetch_retries,
            backoff_s=settings.fetch_backoff_s,
            max_retry_after_s=settings.max_retry_after_s,
            per_host_concurrency=settings.per_host_concurrency,
            min_delay_s=settings.min_delay_s,
            max_bytes=settings.max_page_bytes,
            max_redirects=settings.max_redirects,
            allow_private=tuple(settings.allow_private),
        )


@dataclass(frozen=True)
class FetchResult:
    """What fetching one URL gave. `error` is None on 2xx and on a 304 to a conditional request."""

    url: str  # as requested
    final_url: str | None  # of the last response, after redirects
    status: int | None  # of the last response; None when there was none
    headers: dict[str, str]  # of the last response, lower-case names
    content: bytes  # decoded body; b"" on failure and on 304
    fetched_at: datetime  # UTC
    error: str | None
    detail: str | None  # one line for a human
    retryable: bool  # worth trying again on a later night
    attempts: int  # requests sent for this URL: retries and redirects count, robots.txt does not

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class _Response:
    """What one request got: a response, or the failure that stopped it."""

    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    fetched_at: datetime | None = None
    error: str | None = None
    detail: str | None = None
    retryable: bool = False  # on a later run; and now, unless `now_again` says not
    retry_after_s: float | None = None
    now_again: bool = True


@dataclass(frozen=True)
class _Refusal:
    error: str
    detail: str
    retryable: bool = False


@dataclass(frozen=True)
class _Robots:
    rules: Protego | None  # None: everything allowed
    failure: _Refusal | None = None


class _HostGate:
    """Per-host limits: requests in flight, and the time between two starts."""

    def __init__(self, concurrency: int, min_delay_s: float):
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._min_delay_s = min_delay_s
        self._next_start = 0.0

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._slots:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self._min_delay_s
            time.sleep(start - now)
            yield

    def hold(self, seconds: float) -> None:
        """No request to this host starts before `seconds` from now (its Retry-After)."""
        with self._lock:
            self._next_start = max(self._next_start, time.monotonic() + seconds)


class _SlowHeaders(Exception):
    """A response whose status line and headers had not all come by their deadline."""


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own network backend, where every operation of a thread that set a deadline
    (`until`) ends by it. httpx bounds each read, not a response in all (encode/httpx#1450;
    an overall timeout was declined in encode/httpcore#936), so a server that trickled its
    headers a byte within each read timeout held a fetch thread, and the run, for days."""

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()
        self._local = threading.local()

    @contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        self._local.deadline = deadline
        try:
            yield
        finally:
            self._local.deadline = None

    def bounded(self, operation: Callable, *args, timeout: float | None = None, **kwargs):
        deadline = getattr(self._local, "deadline", None)
        if deadline is None:
            return operation(*args, timeout=timeout, **kwargs)
        left = deadline - time.monotonic()
        if left <= 0:
            raise _SlowHeaders
        try:
            return operation(*args, timeout=left if timeout is None else min(timeout, left), **kwargs)
        except httpcore.TimeoutException:
            if time.monotonic() >= deadline:
                raise _SlowHeaders from None
            raise

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self.bounded(self._backend.connect_tcp, host, port, timeout=timeout,
                              local_address=local_address, socket_options=socket_options)
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, backend: _DeadlineBackend):
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._backend.bounded(self._stream.read, max_bytes, timeout=timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._backend.bounded(self._stream.write, buffer, timeout=timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        try:
            stream = self._backend.bounded(self._stream.start_tls, ssl_context, server_hostname, timeout=timeout)
        except _SlowHeaders:  # past the deadline before the handshake began: the socket is ours to close
            self._stream.close()
            raise
        return _DeadlineStream(stream, self._backend)

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class Fetcher:
    """GETs URLs under a FetchPolicy. A context manager; safe to share between threads."""

    def __init__(self, policy: FetchPolicy):
        self.policy = policy
        self._allowed_networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self._allowed_hosts: set[str] = set()
        for entry in policy.allow_private:
            try:
                self._allowed_networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._allowed_hosts.add(entry.strip().lower().rstrip("."))
        self._backend = _DeadlineBackend()
        transport = httpx.HTTPTransport(verify=True, trust_env=False)
        # httpx takes no network backend (encode/httpx#3749 would add one): its pool is rebuilt
        # around ours, with httpx's default limits.
        transport._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=True, trust_env=False),
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0, network_backend=self._backend)
        self._client = httpx.Client(
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": ", ".join(CODINGS)},
            timeout=httpx.Timeout(policy.timeout_s),
            follow_redirects=False,  # followed here, so that every hop is checked and counted
            transport=transport,
            trust_env=False,  # no proxy from the environment: the address check must see the real peer
        )
        self._lock = threading.Lock()
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[tuple[str, str, int], _Robots] = {}
        self._robots_locks: dict[tuple[str, str, int], threading.Lock] = {}

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET one URL, conditionally when an ETag or Last-Modified of an earlier fetch is given."""
        return self._follow(url, _conditional(etag, last_modified), self.policy.max_bytes, obey_robots=True)

    def download(self, url: str, path: Path, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET one URL into the file `path`, streamed, not held in memory (a WARC file of a
        gigabyte), conditionally as `get`; the result's `content` is empty. No file is left
        where the GET failed or got 304."""
        result = None
        try:
            conditional = _conditional(etag, last_modified)
            result = self._follow(url, conditional, self.policy.max_bytes, obey_robots=True, into=path)
        finally:
            if result is None or result.error is not None or result.status != 200:
                path.unlink(missing_ok=True)
        return result

    def get_many(
        self,
        requests: list[tuple[str, str | None, str | None]],
        on_done: Callable[[FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """GET (url, etag, last_modified) requests concurrently; results in the order given.

        `on_done` is called in the calling thread as each result comes in.
        """
        if not requests:
            return []
        # Interleave the hosts so that the threads spread over them rather than queue at one.
        by_host: dict[str, list[int]] = {}
        for index, (url, _, _) in enumerate(requests):
            by_host.setdefault(_host_key(url), []).append(index)
        order = [i for row in zip_longest(*by_host.values()) for i in row if i is not None]
        threads = min(MAX_THREADS, len(requests), len(by_host) * self.policy.per_host_concurrency)
        results: list[FetchResult | None] = [None] * len(requests)
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fetch") as pool:
            futures = {pool.submit(self.get, *requests[i]): i for i in order}
            try:
                for future in as_completed(futures):
                    result = results[futures[future]] = future.result()
                    if on_done is not None:
                        on_done(result)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        return results  # type: ignore[return-value]

    def _follow(self, url: str, headers: dict[str, str | bytes], max_bytes: int, *, obey_robots: bool,
                truncate: bool = False, into: Path | None = None) -> FetchResult:
        """GET `url`, following redirects; every hop is checked as the first was. The body
        goes into the file `into` where one is given."""
        attempts = 0
        last: _Response | None = None
        hop_url = url
        redirects = 0
        while True:
            refusal = self._refusal(hop_url, obey_robots)
            if refusal is not None:
                return _result(url, last, attempts, refusal)
            response, tries = self._exchange(hop_url, headers, max_bytes, truncate, into)
            attempts += tries
            last = response
            location = response.headers.get("location")
            if response.error is not None or response.status not in REDIRECT_STATUSES or not location:
                return _result(url, response, attempts)
            if redirects == self.policy.max_redirects:
                return _result(url, response, attempts, _Refusal(
                    "too_many_redirects", f"more than {self.policy.max_redirects} redirects (last to {location})"))
            redirects += 1
            try:
                hop_url = str(httpx.URL(hop_url).join(location))
            except httpx.InvalidURL as exc:
                return _result(url, response, attempts, _Refusal("bad_url", f"redirect to a bad URL {location!r}: {exc}"))

    def _refusal(self, url: str, obey_robots: bool) -> _Refusal | None:
        """Why `url` may not be requested at all, if it may not."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return _Refusal("bad_url", f"not a URL: {exc}")
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return _Refusal("bad_url", f"not an http(s) URL with a host: {url!r}")
        if parsed.port is not None and not 0 < parsed.port < 65536:
            return _Refusal("bad_url", f"no such port: {parsed.port} in {url!r}")
        if not HOST.fullmatch(parsed.raw_host.decode("ascii")):
            # httpx percent-encodes what a host cannot hold ("exa mple.com"): no lookup finds it.
            return _Refusal("bad_url", f"not a host name: {parsed.raw_host.decode('ascii')!r} in {url!r}")
        refusal = self._address_refusal(parsed)
        if refusal is None and obey_robots:
            refusal = self._robots_refusal(parsed)
        return refusal

    def _address_refusal(self, url: httpx.URL) -> _Refusal | None:
        host = url.raw_host.decode("ascii").lower().rstrip(".")
        if host in self._allowed_hosts:
            return None
        try:
            infos = socket.getaddrinfo(host, url.port or _default_port(url), type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            return _Refusal("connection_error", f"cannot resolve {host}: {exc}", retryable=True)
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(sockaddr[0])
            if address.version == 6 and address.ipv4_mapped:
                address = address.ipv4_mapped
            public = address.is_global and not address.is_multicast
            if not public and not any(address in network for network in self._allowed_networks):
                return _Refusal("private_address", f"{host} is {address}, a private or reserved address")
        return None

    def _robots_refusal(self, url: httpx.URL) -> _Refusal | None:
        robots = self._robots_for(url)
        if robots.failure is not None:
            return robots.failure
        if robots.rules is not None and not robots.rules.can_fetch(str(url), self.policy.user_agent):
            return _Refusal("robots_disallowed", f"robots.txt of {url.host} disallows {url.raw_path.decode('ascii')}")
        return None

    def _robots_for(self, url: httpx.URL) -> _Robots:
        """The host's robots.txt rules, fetched once per Fetcher (one thread fetches, the others wait)."""
        key = (url.scheme, url.host, url.port or _default_port(url))
        with self._lock:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._robots:
                self._robots[key] = self._fetch_robots(f"{url.scheme}://{url.netloc.decode('ascii')}/robots.txt")
            return self._robots[key]

    def _fetch_robots(self, robots_url: str) -> _Robots:
        result = self._follow(robots_url, {}, ROBOTS_MAX_BYTES, obey_robots=False, truncate=True)
        if result.error is None and result.status is not None and 200 <= result.status < 300:
            return _Robots(Protego.parse(result.content.decode("utf-8", errors="replace")))
        # RFC 9309: a 4xx robots.txt, or one past too many redirects, means no rules;
        # a 5xx or none at all, keep off the host.
        if result.error == "too_many_redirects" or (
            result.status is not None and 400 <= result.status < 500 and result.status != 429
        ):
            return _Robots(None)
        if result.error in ("tls_error", "private_address", "bad_url"):  # the host's own fault, said as such
            return _Robots(None, _Refusal(result.error, f"robots.txt: {result.detail}"))
        return _Robots(None, _Refusal("robots_unavailable", f"{robots_url}: {result.detail}", retryable=True))

    def _gate(self, url: str) -> _HostGate:
        key = _host_key(url)
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = self._gates[key] = _HostGate(self.policy.per_host_concurrency, self.policy.min_delay_s)
            return gate

    def _exchange(self, url: str, headers: dict[str, str | bytes], max_bytes: int, truncate: bool,
                  into: Path | None) -> tuple[_Response, int]:
        """One hop with its retries: the last response and the number of requests sent."""
        policy = self.policy
        gate = self._gate(url)
        attempt = 1
        while True:
            response = self._request(url, headers, max_bytes, truncate, gate, into)
            if not (response.retryable and response.now_again) or attempt > policy.retries:
                return response, attempt
            if response.retry_after_s is not None:
                if response.retry_after_s > policy.max_retry_after_s:
                    response.detail = (f"{response.detail}; Retry-After {response.retry_after_s:.0f} s "
                                       f"is over {policy.max_retry_after_s:.0f} s: left for a later run")
                    return response, attempt
                gate.hold(response.retry_after_s)
            else:
                time.sleep(policy.backoff_s * 2 ** (attempt - 1))
            log.debug("retrying %s after %s", url, response.error)
            attempt += 1

    @contextmanager
    def _streamed(self, url: str, headers: dict[str, str | bytes]) -> Iterator[httpx.Response]:
        """httpx's streamed GET, its status line and headers due within headers_timeout_s."""
        with self._backend.until(time.monotonic() + self.policy.headers_timeout_s):
            response = self._client.send(self._client.build_request("GET", url, headers=headers), stream=True)
        try:
            yield response
        finally:
            response.close()

    def _request(self, url: str, headers: dict[str, str | bytes], max_bytes: int, truncate: bool,
                 gate: _HostGate, into: Path | None = None) -> _Response:
        """One GET, the body read up to `max_bytes` decoded bytes, into memory or the file `into`."""
        answer = _Response(url)
        try:
            with gate.turn(), self._streamed(url, headers) as response:
                status = response.status_code
                answer = _Response(str(response.url), status, _headers(response),
                                   fetched_at=datetime.now(timezone.utc))
                if response.is_success:
                    deadline = time.monotonic() + self.policy.body_timeout_s
                    if into is None:
                        answer.content, over = _read_body(response, max_bytes, truncate, deadline)
                    else:
                        over = _download_body(response, max_bytes, deadline, into)
                    if over and not truncate:
                        answer.content = b""
                        answer.error, answer.detail = "too_large", f"body over {max_bytes} bytes"
                elif (status == 304 and _is_conditional(headers)) or (
                        status in REDIRECT_STATUSES and "location" in response.headers):
                    pass
                elif status == 304:
                    # Not modified since nothing: no copy of ours it could mean, and kept as
                    # unchanged the page would never be fetched. Tried again on a later run.
                    answer.error, answer.retryable, answer.now_again = "http_304", True, False
                    answer.detail = ("HTTP 304 Not Modified to a request that sent no validators "
                                     "(If-None-Match, If-Modified-Since): no earlier copy it could mean")
                else:
                    answer.error = f"http_{status}"
                    answer.detail = f"HTTP {status} {response.reason_phrase}".rstrip()
                    answer.retryable = status == 429 or status >= 500
                    if status in (429, 503):
                        answer.retry_after_s = _retry_after_s(response.headers.get("retry-after"))
                return answer
        except httpx.TimeoutException as exc:
            answer.error, answer.retryable = "timeout", True
            answer.detail = f"{_describe(exc)} (timeout {self.policy.timeout_s:g} s)"
        except _SlowHeaders:  # as a slow body
            answer.error, answer.retryable, answer.now_again = "timeout", True, False
            answer.detail = f"the headers took over {self.policy.headers_timeout_s:g} s to arrive"
        except _SlowBody:  # tried again on a later run: retried now, a trickle held a fetch thread for minutes
            answer.error, answer.retryable, answer.now_again = "timeout", True, False
            answer.detail = f"the body took over {self.policy.body_timeout_s:g} s to arrive"
        except httpx.DecodingError as exc:  # a server's bad gzip, or a transfer spoilt: tried again
            answer.error, answer.detail, answer.retryable = "bad_encoding", _describe(exc), True
        except httpx.TransportError as exc:
            tls = _tls_cause(exc) if isinstance(exc, httpx.ConnectError) else None
            if tls is not None:
                answer.error, answer.detail = "tls_error", f"TLS: {tls}"
            else:
                answer.error, answer.detail, answer.retryable = "connection_error", _describe(exc), True
        # A failure while the body came keeps the status and headers that came before it.
        answer.content = b""
        answer.fetched_at = answer.fetched_at or datetime.now(timezone.utc)
        return answer


def _headers(response: httpx.Response) -> dict[str, str]:
    """The response's headers, names lower-cased. The validators are read as Latin-1, a byte
    a character, so that they go back as they came (httpx reads them as UTF-8 when they are)."""
    headers = dict(response.headers.items())
    for name, value in response.headers.raw:
        if name.lower() in (b"etag", b"last-modified"):
            headers[name.decode("ascii").lower()] = value.decode("latin-1")
    return headers


def _conditional(etag: str | None, last_modified: str | None) -> dict[str, str | bytes]:
    """The headers that ask for the body only if it changed since the fetch that sent these."""
    headers = {}
    # As the server sent them (_headers), since httpx sends a str only if it is ASCII.
    if etag and (value := _latin1(etag)):
        headers["If-None-Match"] = value
    if last_modified and (value := _latin1(last_modified)):
        headers["If-Modified-Since"] = value
    return headers


def _is_conditional(headers: dict[str, str | bytes]) -> bool:
    return "If-None-Match" in headers or "If-Modified-Since" in headers


def _latin1(value: str) -> bytes | None:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return None


class _SlowBody(Exception):
    """A body still arriving at its deadline: each read within the timeout, a trickle in all."""


def _read_body(response: httpx.Response, max_bytes: int, truncate: bool, deadline: float) -> tuple[bytes, bool]:
    """The decoded body up to `max_bytes`, and whether there was more; _SlowBody past the
    `deadline` (time.monotonic()). Unless the body is to be truncated, a declared
    Content-Length over the limit is refused unread."""
    if _declared_over(response, max_bytes) and not truncate:
        return b"", True
    body = bytearray()
    for piece in _body_pieces(response, max_bytes, deadline):
        body += piece
    return bytes(body[:max_bytes]), len(body) > max_bytes


def _download_body(response: httpx.Response, max_bytes: int, deadline: float, path: Path) -> bool:
    """The decoded body written to `path` as it comes; whether it was over `max_bytes`."""
    if _declared_over(response, max_bytes):
        return True
    size = 0
    with path.open("wb") as out:
        for piece in _body_pieces(response, max_bytes, deadline):
            size += len(piece)
            out.write(piece)
    return size > max_bytes


def _declared_over(response: httpx.Response, max_bytes: int) -> bool:
    try:
        return int(response.headers.get("content-length", "")) > max_bytes
    except ValueError:
        return False


def _body_pieces(response: httpx.Response, max_bytes: int, deadline: float) -> Iterator[bytes]:
    """The decoded body in pieces, ending once more than `max_bytes` came; _SlowBody past
    the `deadline`. The body is inflated here rather than by httpx, which inflates each
    64 KiB network read whole (64 MB from a gzip bomb, gigabytes from a brotli one); here
    inflation stops past the limit."""
    inflater = _Inflater.for_coding(response.headers.get("content-encoding", ""))
    size = 0
    for raw in response.iter_raw():
        if time.monotonic() > deadline:
            raise _SlowBody
        piece = inflater.inflate(raw, min(max_bytes + 1 - size, MAX_PIECE)) if inflater else raw
        while True:
            size += len(piece)
            yield piece
            if size > max_bytes:
                return
            if not (inflater and inflater.pending):
                break
            piece = inflater.inflate(b"", min(max_bytes + 1 - size, MAX_PIECE))
    if inflater:
        yield inflater.flush()


class _Inflater:
    """Undoes a Content-Encoding, at most `room` bytes of output per call."""

    def __init__(self, coding: str):
        self._coding = coding
        # deflate comes zlib-wrapped or, from some servers, raw: tried in that order, as httpx does.
        self._raw_fallback = coding == "deflate"
        if coding == "br":
            self._brotli = brotli.Decompressor()
        else:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if coding == "deflate" else zlib.MAX_WBITS | 16)

    @classmethod
    def for_coding(cls, header: str) -> _Inflater | None:
        """The inflater of a Content-Encoding; None for identity, and for codings not asked for
        (those bodies are kept as they came)."""
        coding = header.strip().lower()
        coding = "gzip" if coding == "x-gzip" else coding
        return cls(coding) if coding in CODINGS else None

    def inflate(self, data: bytes, room: int) -> bytes:
        """Output for `data`, or with b"", more output for what was given before."""
        try:
            if self._coding == "br":
                return self._brotli.process(data, output_buffer_limit=room)
            out = self._zlib.decompress(data or self._zlib.unconsumed_tail, room)
        except (zlib.error, brotli.error) as exc:
            if not self._raw_fallback:
                raise httpx.DecodingError(f"the {self._coding} body does not inflate: {exc}") from exc
            self._raw_fallback = False
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.inflate(data, room)
        self._raw_fallback = False
        return out

    @property
    def pending(self) -> bool:
        """Whether input given has output still to come."""
        if self._coding == "br":
            return not self._brotli.can_accept_more_data()
        return bool(self._zlib.unconsumed_tail)

    def flush(self) -> bytes:
        return b"" if self._coding == "br" else self._zlib.flush()


def _retry_after_s(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    while exc is not None:
        if isinstance(exc, ssl.SSLError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def _host_key(url: str) -> str:
    """host:port, the unit of politeness."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return url
    return f"{parsed.host}:{parsed.port or _default_port(parsed)}"


def _result(url: str, response: _Response | None, attempts: int, refusal: _Refusal | None = None) -> FetchResult:
    """The FetchResult of `url` from its last response, failed with `refusal` if given."""
    response = response or _Response(url)
    error, detail, retryable = response.error, response.detail, response.retryable
    if refusal is not None:
        error, detail, retryable = refusal.error, refusal.detail, refusal.retryable
    return FetchResult(
        url=url,
        final_url=response.url if response.status is not None else None,
        status=response.status,
        headers=response.headers,
        content=response.content if error is None else b"",
        fetched_at=response.fetched_at or datetime.now(timezone.utc),
        error=error,
        detail=detail,
        retryable=retryable,
        attempts=attempts,
    )
