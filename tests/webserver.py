"""A real HTTP(S) server on 127.0.0.1 for tests: configured routes, built-in faults, a request log.

    routes = {
        "/page": Route(body=b"<html>...</html>", headers={"Content-Type": "text/html"}),
        "/flaky": [Route(500), Route(body=b"ok")],      # served in turn, the last repeats
        "/old": redirect("/page"),
        "/robots.txt": robots("User-agent: *\\nDisallow: /private"),  # or Route(500): robots unavailable
        **fault_routes(),                              # /rate-limited, /slow, /slow-headers, /gzip-bomb, ...
    }
    with WebServer(routes) as server:
        server.routes["/feed"] = Route(body=feed_linking_to(server.url("/page")))  # the port is known now
        fetch(server.url("/page"))
        assert server.requests_to("/page")[0].headers["user-agent"].startswith("newsarchive")
        assert server.max_in_flight <= 2

Unknown paths answer 404. Every request is logged (`requests`: method, path, headers,
start and end times) and requests in flight, until their answers begin, are counted (`max_in_flight`). Hosts are
told apart by port: a second server is a second host, with its own robots.txt.
`WebServer(routes, tls=True)` serves HTTPS with a self-signed certificate made at
start, which no client trusts; `connections` counts handshakes tried.
"""

from __future__ import annotations

import datetime as dt
import gzip
import http.server
import ipaddress
import ssl
import struct
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import brotli

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Route:
    """One answer. `body` is bytes, or a function giving chunks to stream (sent chunked
    unless `headers` give a Content-Length)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | Callable[[], Iterable[bytes]] = b""
    delay_s: float = 0.0  # before the status line: past a client's read timeout, it times out
    etag: str | None = None  # sent; a matching If-None-Match gets 304
    last_modified: str | None = None  # sent; an equal If-Modified-Since gets 304
    drop: bool = False  # close the connection without answering
    header_every_s: float = 0.0  # after the status line, a header line this often, never ending (a tarpit)


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-case names
    started: float  # time.monotonic() when the request line had been read
    ended: float | None = None  # when the answer was sent (None: not sent)


def redirect(location: str, status: int = 302) -> Route:
    return Route(status, headers={"Location": location})


def robots(text: str) -> Route:
    return Route(body=text.encode(), headers={"Content-Type": "text/plain"})


def html(text: str, charset: str = "utf-8", headers: Mapping[str, str] | None = None, **kwargs) -> Route:
    """An HTML page in `charset`; `kwargs` are Route's."""
    content_type = {"Content-Type": f"text/html; charset={charset}"}
    return Route(body=text.encode(charset), headers={**content_type, **(headers or {})}, **kwargs)


def zeros(size: int) -> Callable[[], Iterable[bytes]]:
    """A body of `size` zero bytes, streamed in chunks rather than built."""

    def chunks() -> Iterable[bytes]:
        block = bytes(CHUNK)
        for start in range(0, size, CHUNK):
            yield block[: min(CHUNK, size - start)]

    return chunks


@cache
def gzip_bomb(size: int = 128 * 1024 * 1024) -> bytes:
    """gzip of `size` zero bytes: about 1/1000 of it, built once without the whole in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + compressor.flush()


@cache
def brotli_bomb(size: int = 128 * 1024 * 1024) -> bytes:
    """brotli of `size` zero bytes: about 1/5000 of it at the fastest quality."""
    compressor = brotli.Compressor(quality=1)
    block = bytes(1024 * 1024)
    return b"".join(compressor.process(block) for _ in range(size // len(block))) + compressor.finish()


@cache
def png_bytes() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b"")


WRONG_CHARSET_TEXT = "<html><body><p>Café owners say “prices” rose — again.</p></body></html>"


def fault_routes(slow_s: float = 2.0) -> dict[str, Route | list[Route]]:
    """Routes that misbehave as real servers do."""
    return {
        "/not-found": Route(404, body=b"not here"),
        "/rate-limited": [Route(429, headers={"Retry-After": "1"}), html("<p>after the wait</p>")],
        "/flaky": [Route(500), html("<p>second time lucky</p>")],
        "/slow": html("<p>too late</p>", delay_s=slow_s),
        "/loop/a": redirect("/loop/b"),
        "/loop/b": redirect("/loop/a"),
        "/big": Route(headers={"Content-Type": "text/html", "Content-Length": str(50_000_000)}, body=zeros(50_000_000)),
        "/big-chunked": Route(headers={"Content-Type": "text/html"}, body=zeros(50_000_000)),
        "/gzip-bomb": Route(headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}, body=gzip_bomb()),
        "/brotli-bomb": Route(headers={"Content-Type": "text/html", "Content-Encoding": "br"}, body=brotli_bomb()),
        "/wrong-charset": Route(headers={"Content-Type": "text/html; charset=utf-8"}, body=WRONG_CHARSET_TEXT.encode("cp1252")),
        "/binary-as-html": Route(headers={"Content-Type": "text/html"}, body=png_bytes()),
        "/dropped": Route(drop=True),
        "/slow-headers": Route(header_every_s=0.1),
    }


def encoded(route: Route, coding: str = "gzip") -> Route:
    """`route` with its body compressed: Content-Encoding gzip, deflate or br."""
    assert isinstance(route.body, bytes)
    compress = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[coding]
    return replace(route, headers={**route.headers, "Content-Encoding": coding}, body=compress(route.body))


class WebServer:
    """A threaded server on an ephemeral port of 127.0.0.1; a context manager."""

    def __init__(self, routes: Mapping[str, Route | Sequence[Route]] | None = None, *, tls: bool = False):
        self.routes = dict(routes or {})
        self.tls = tls
        self.requests: list[Request] = []
        self.connections = 0  # accepted, TLS handshake or not
        self.in_flight = 0
        self.max_in_flight = 0
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.certificate: Path | None = None  # with tls=True, while it runs: trust it to pass verification

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> WebServer:
        context = None
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="webserver-tls-")
            self.certificate, key = self_signed_certificate(Path(self._tmp.name))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.certificate, key)
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self, context)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join()
        if self._tmp is not None:
            self._tmp.cleanup()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def requests_to(self, path: str) -> list[Request]:
        """Requests for `path` (query string ignored unless `path` has one), in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path == path or ("?" not in path and r.path.split("?")[0] == path)]

    def _next_route(self, path: str) -> Route | None:
        """The route for `path`, taking the next answer of a sequence."""
        route = self.routes.get(path, self.routes.get(path.split("?")[0]))
        if route is None or isinstance(route, Route):
            return route
        with self._lock:
            served = self._served.get(path, 0)
            self._served[path] = served + 1
        return route[min(served, len(route) - 1)]

    def _begin(self, request: Request) -> int:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return len(self.requests) - 1

    def _settled(self) -> None:
        """A request is no longer in flight once its answer begins: a client can read a short
        answer and send its next request before the thread that wrote it gets back here."""
        with self._lock:
            self.in_flight -= 1

    def _end(self, index: int) -> None:
        with self._lock:
            self.requests[index] = replace(self.requests[index], ended=time.monotonic())


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, owner: WebServer, context: ssl.SSLContext | None):
        self.owner = owner
        self.context = context
        super().__init__(address, handler)

    def finish_request(self, request, client_address) -> None:
        with self.owner._lock:
            self.owner.connections += 1
        if self.context is None:
            super().finish_request(request, client_address)
            return
        try:
            tls_socket = self.context.wrap_socket(request, server_side=True)
        except OSError:
            return  # the client refused our certificate: the point of a TLS test
        try:
            super().finish_request(tls_socket, client_address)
        finally:
            tls_socket.close()

    def handle_error(self, request, client_address) -> None:
        # A client that gave up (timeout, size limit) leaves a broken pipe behind: expected here.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, ssl.SSLError)):
            super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # an idle kept-alive connection frees its thread
    server: _Server

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        owner = self.server.owner
        headers = {k.lower(): v for k, v in self.headers.items()}
        index = owner._begin(Request(self.command, self.path, headers, time.monotonic()))
        try:
            route = owner._next_route(self.path) or Route(404, body=b"not found")
            if route.drop or (route.delay_s and owner._stopping.wait(route.delay_s)):
                self.close_connection = True
                return
        finally:
            owner._settled()
        if route.header_every_s:
            self._trickle_headers(route)
            return
        self._send(route, headers, send_body)
        owner._end(index)

    def _trickle_headers(self, route: Route) -> None:
        self.close_connection = True
        self.wfile.write(f"HTTP/1.1 {route.status} OK\r\n".encode())
        while not self.server.owner._stopping.wait(route.header_every_s):
            self.wfile.write(b"X-Wait: 1\r\n")  # raises once the client has gone

    def _send(self, route: Route, request_headers: dict[str, str], send_body: bool) -> None:
        validators = {}
        if route.etag:
            validators["ETag"] = route.etag
        if route.last_modified:
            validators["Last-Modified"] = route.last_modified
        unchanged = (route.etag and request_headers.get("if-none-match") == route.etag) or (
            route.last_modified and request_headers.get("if-modified-since") == route.last_modified
        )
        if unchanged:
            self.send_response(304)
            for name, value in validators.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.send_response(route.status)
        for name, value in {**validators, **route.headers}.items():
            self.send_header(name, value)
        declared = any(name.lower() == "content-length" for name in route.headers)
        if isinstance(route.body, bytes):
            if not declared:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if send_body:
                self.wfile.write(route.body)
            return
        chunked = not declared
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if not send_body:
            return
        for piece in route.body():
            if self.server.owner._stopping.is_set():
                self.close_connection = True
                return
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, signed by itself, and its key: (cert.pem, key.pem)."""
    # cryptography comes with Prefect; only TLS servers need it.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
