"""A real HTTP server on 127.0.0.1 for tests: feeds, pages and every way a server can misbehave.

Use the `feed_server` fixture (from conftest.py); it starts a `FeedServer` on a free port and stops it after
the test. Register routes, then point the code under test at `server.url(path)`::

    def test_something(feed_server):
        url = feed_server.feed("/world.xml", RSS_BYTES)              # 200 with ETag, Last-Modified, 304s
        feed_server.redirect("/old.xml", "/world.xml", status=301)
        feed_server.error("/busy.xml", 503, retry_after="120")
        ...
        assert feed_server.requests_for("/world.xml")[-1].headers["if-none-match"]

Routes (each method returns the full URL of the route):
- `feed(path, body, content_type=, etag=, last_modified=, encoding=, delay=, headers=)`: a static body with a
  validator pair, answering a matching If-None-Match / If-Modified-Since with 304. `encoding` is "gzip",
  "deflate" or "br" (compressed on the wire, Content-Encoding set). `delay` sleeps before answering.
- `page(path, html)`: an HTML page (text/html), e.g. an article or a site that is not a feed.
- `redirect(path, target, status=301)`: 301/302/307/308 to a path or a full URL. Two redirects pointing at
  each other make a loop.
- `error(path, status, retry_after=None, body=, reason=)`: a 4xx/5xx, with Retry-After when given, and any
  reason phrase (a hostile server's, say).
- `truncated(path, body, declared=)`: claims a Content-Length larger than what it sends, then hangs up.
- `oversized(path, size)`: streams `size` bytes of valid-looking XML (no Content-Length), chunk by chunk.
- `gzip_bomb(path, size)`: a small gzip body that inflates to `size` bytes; `bomb(path, size, encoding)` the
  same in "gzip", "deflate" or "br" (br: the 1,666 bytes of feeds/bomb-1gib.br, which inflate to 1 GiB).
- `raw(path, data)`: write `data` to the socket as it is (no status line of ours) and hang up: a server
  that does not speak HTTP, or speaks it wrong.
- `sequence(path, *routes)`: answers with each route in turn, then repeats the last (e.g. a 429 then a feed);
  build the steps with `FeedServer.response(...)` or the route methods' `make_*` twins.
- `handler(path, fn)`: any behaviour: `fn(request) -> Response`.

Every request (GET, HEAD or POST) is recorded as `Request(method, path, headers, body)` (header names
lower-cased) in `requests`, so a test can assert the User-Agent, the conditional GET headers, cookies sent back,
what was posted, and how often a URL was asked for. `unused_url()` gives a URL on a port where nothing
listens (a dead server).

`FeedServer(certificate=self_signed_certificate(directory))` serves the same routes over HTTPS (base_url
https://127.0.0.1:port); a client trusts it when SSL_CERT_FILE names the certificate.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

#: A slow route never sleeps longer than this, so a test that forgets its timeout still ends.
MAX_DELAY = 10.0
#: Last-Modified of static routes unless a test gives one.
DEFAULT_LAST_MODIFIED = "Mon, 02 Mar 2026 10:00:00 GMT"


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  #: path and query as requested
    headers: dict[str, str]  #: names lower-cased
    body: bytes = b""  #: what a POST sent


@dataclass(slots=True)
class Response:
    """What one route answers. Build with the `FeedServer.make_*` helpers or directly."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  #: answer 304 when If-None-Match matches
    last_modified: str | None = None  #: answer 304 when If-Modified-Since is not older
    encoding: str | None = None  #: "gzip", "deflate" or "br": compress `body` on the wire
    delay: float = 0.0  #: seconds to wait before answering (capped at MAX_DELAY)
    declared_length: int | None = None  #: send this Content-Length, then `body`, then hang up (truncation)
    stream_size: int | None = None  #: stream this many bytes without Content-Length, then close
    reason: str | None = None  #: the status line's reason phrase, if not the standard one
    raw: bytes | None = None  #: write these bytes instead of a response, then hang up


def _compress(body: bytes, encoding: str | None) -> bytes:
    if encoding is None:
        return body
    if encoding == "gzip":
        return gzip.compress(body, compresslevel=6, mtime=0)
    if encoding == "deflate":
        return zlib.compress(body)
    if encoding == "br":
        import brotli

        return brotli.compress(body)
    raise ValueError(f"unknown encoding {encoding!r}")


def _not_modified(response: Response, headers: dict[str, str]) -> bool:
    if response.etag and "if-none-match" in headers:
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
        return response.etag in [tag.strip() for tag in headers["if-none-match"].split(",")] or headers["if-none-match"] == "*"
    if response.last_modified and "if-modified-since" in headers:
        since = email.utils.parsedate_to_datetime(headers["if-modified-since"])
        return since is not None and since >= email.utils.parsedate_to_datetime(response.last_modified)
    return False


class FeedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with routes registered by the test. See the module docstring."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, certificate: tuple[Path, Path] | None = None) -> None:
        """`certificate`: (cert, key) PEM files, to serve HTTPS (see self_signed_certificate)."""
        self._routes: dict[str, Callable[[Request], Response]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[Request] = []
        self._httpd = _QuietServer((host, port), _make_handler(self))
        if certificate is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*certificate)
            # The handshake happens in each request's thread, so one stalled client cannot hold up the others.
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True, do_handshake_on_connect=False)
        self.host, self.port = self._httpd.server_address[:2]
        self.base_url = f"{'https' if certificate else 'http'}://{self.host}:{self.port}"
        # A short poll interval: shutdown() waits up to one interval, and every test stops a server.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="feed-server", daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow routes
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses and the request log ---------------------------------------------------------------

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    def requests_for(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- building responses --------------------------------------------------------------------------

    @staticmethod
    def make_feed(
        body: bytes | str,
        *,
        content_type: str | None = "application/rss+xml; charset=utf-8",  # None: no Content-Type header
        etag: str | bool = True,
        last_modified: str | None = DEFAULT_LAST_MODIFIED,
        encoding: str | None = None,
        delay: float = 0.0,
        headers: dict[str, str] | None = None,
    ) -> Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        if etag is True:
            etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        return Response(
            200, data, {**({"Content-Type": content_type} if content_type else {}), **(headers or {})},
            etag=etag or None, last_modified=last_modified, encoding=encoding, delay=delay,
        )

    @staticmethod
    def make_error(status: int, *, retry_after: str | None = None, body: bytes = b"", reason: str | None = None) -> Response:
        headers = {"Content-Type": "text/plain"}
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return Response(status, body or f"error {status}\n".encode(), headers, reason=reason)

    def make_redirect(self, target: str, status: int = 301) -> Response:
        location = target if urlsplit(target).scheme else self.url(target)
        return Response(status, b"", {"Location": location})

    # -- registering routes --------------------------------------------------------------------------

    def respond(self, path: str, response: Response) -> str:
        """Answer every request for `path` with `response`."""
        return self.handler(path, lambda request: response)

    def handler(self, path: str, fn: Callable[[Request], Response]) -> str:
        with self._lock:
            self._routes[path] = fn
        return self.url(path)

    def feed(self, path: str, body: bytes | str, **options: object) -> str:
        """A feed with ETag and Last-Modified; re-register to change it (a new body gets a new ETag)."""
        return self.respond(path, self.make_feed(body, **options))  # type: ignore[arg-type]

    def feed_file(self, path: str, file: str | Path, **options: object) -> str:
        return self.feed(path, Path(file).read_bytes(), **options)

    def page(self, path: str, html: bytes | str, **options: object) -> str:
        return self.feed(path, html, content_type="text/html; charset=utf-8", **options)  # type: ignore[arg-type]

    def redirect(self, path: str, target: str, status: int = 301) -> str:
        return self.respond(path, self.make_redirect(target, status))

    def error(self, path: str, status: int, *, retry_after: str | None = None, body: bytes = b"", reason: str | None = None) -> str:
        return self.respond(path, self.make_error(status, retry_after=retry_after, body=body, reason=reason))

    def truncated(self, path: str, body: bytes | str, *, declared: int | None = None) -> str:
        data = body.encode() if isinstance(body, str) else body
        response = Response(200, data, {"Content-Type": "application/rss+xml"},
                            declared_length=declared if declared is not None else len(data) * 2 + 100)
        return self.respond(path, response)

    def oversized(self, path: str, size: int) -> str:
        return self.respond(path, Response(200, b"", {"Content-Type": "application/rss+xml"}, stream_size=size))

    def gzip_bomb(self, path: str, size: int) -> str:
        """A gzip body of about 1 KiB per MiB that inflates to `size` bytes (rounded up to whole MiB)."""
        return self.bomb(path, size, "gzip")

    def bomb(self, path: str, size: int, encoding: str = "gzip") -> str:
        """A small body in `encoding` that inflates to `size` bytes (gzip and deflate: rounded up to whole MiB;
        br: always the 1 GiB of feeds/bomb-1gib.br, made by brotli.Compressor(quality=5) from an RSS opening
        and 1024 MiB of zero bytes)."""
        body = compression_bomb(size, encoding)
        return self.respond(path, Response(200, body, {"Content-Type": "application/rss+xml", "Content-Encoding": encoding}))

    def raw(self, path: str, data: bytes) -> str:
        return self.respond(path, Response(raw=data))

    def sequence(self, path: str, *responses: Response) -> str:
        """Each response once, in order; then the last one for every later request."""
        remaining = list(responses)
        lock = threading.Lock()

        def next_response(request: Request) -> Response:
            with lock:
                return remaining.pop(0) if len(remaining) > 1 else remaining[0]

        return self.handler(path, next_response)

    # -- serving (called from the handler threads) ---------------------------------------------------

    def _record(self, request: Request) -> Callable[[Request], Response] | None:
        with self._lock:
            self.requests.append(request)
            return self._routes.get(request.path) or self._routes.get(urlsplit(request.path).path)

    def _sleep(self, seconds: float) -> None:
        self._stopping.wait(min(seconds, MAX_DELAY))


def compression_bomb(size: int, encoding: str) -> bytes:
    """See FeedServer.bomb."""
    if encoding == "br":
        return (Path(__file__).parent / "feeds" / "bomb-1gib.br").read_bytes()
    return _zlib_bomb(size, 31 if encoding == "gzip" else 15)


def _zlib_bomb(size: int, wbits: int) -> bytes:
    """An RSS opening and `size` zero bytes (whole MiB), as gzip (wbits 31) or zlib (15), a valid stream made in
    well under a second: after a full flush every MiB of zeros deflates to the same bytes, so one is repeated."""
    mib = max(1, -(-size >> 20))
    opening = b'<?xml version="1.0"?><rss version="2.0"><channel><title>'
    zeros = b"\0" * (1 << 20)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = deflate.compress(opening + zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    again = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    body = first + again * (mib - 1) + deflate.flush()
    check = zlib.crc32(opening) if wbits == 31 else zlib.adler32(opening)
    for _ in range(mib):
        check = zlib.crc32(zeros, check) if wbits == 31 else zlib.adler32(zeros, check)
    if wbits == 31:
        length = (len(opening) + (mib << 20)) & 0xFFFFFFFF
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + body + struct.pack("<II", check, length)
    return b"\x78\xda" + body + struct.pack(">I", check)


def self_signed_certificate(directory: str | Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem) for 127.0.0.1 and localhost, made with the openssl command (pytest.skip without it)."""
    if shutil.which("openssl") is None:
        import pytest

        pytest.skip("needs the openssl command to make a certificate")
    cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    return cert, key


class _QuietServer(ThreadingHTTPServer):
    """A client closing its keep-alive connection is normal: no traceback on stderr (tests assert on stderr)."""

    daemon_threads = True
    # The default backlog of 5 drops connections when a test opens a dozen at once; a dropped SYN is
    # retried a second later, which a short client timeout reads as a slow server.
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):  # a client refusing our certificate too
            super().handle_error(request, client_address)


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet: pytest shows failures, not traffic
            pass

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_POST(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            length = self.headers.get("Content-Length", "")
            body = self.rfile.read(int(length)) if length.isdigit() else b""
            request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            route = server._record(request)
            if route is None:
                self._send(Response(404, b"not found\n", {"Content-Type": "text/plain"}), request)
                return
            self._send(route(request), request)

        def _send(self, response: Response, request: Request) -> None:
            if response.delay:
                server._sleep(response.delay)
            if response.raw is not None:
                self._write(response.raw)
                self.close_connection = True
                return
            if (response.etag or response.last_modified) and _not_modified(response, request.headers):
                self.send_response(304)
                self._validators(response)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(response.status, response.reason)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self._validators(response)
            if response.stream_size is not None:
                self._stream(response.stream_size)
                return
            body = _compress(response.body, response.encoding)
            if response.encoding:
                self.send_header("Content-Encoding", response.encoding)
            if response.declared_length is not None:
                self.send_header("Content-Length", str(response.declared_length))
                self.send_header("Connection", "close")
                self.end_headers()
                self._write(body)
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self._write(body)

        def _validators(self, response: Response) -> None:
            if response.etag:
                self.send_header("ETag", response.etag)
            if response.last_modified:
                self.send_header("Last-Modified", response.last_modified)

        def _stream(self, size: int) -> None:
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            chunk = b"<item><title>more</title></item>" * 2048  # 64 KiB of plausible XML
            sent = self._write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            while sent < size and not server._stopping.is_set():
                written = self._write(chunk)
                if not written:
                    return
                sent += written

        def _write(self, data: bytes) -> int:
            try:
                self.wfile.write(data)
                self.wfile.flush()
                return len(data)
            except OSError:  # the client hung up, as it should on an oversized body
                return 0

    return Handler


def unused_url(path: str = "/feed.xml") -> str:
    """A URL on 127.0.0.1 where nothing listens: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def write_feeds_toml(path: str | Path, feeds: list[tuple[str, str]] | dict[str, str], *, settings: dict[str, object] | None = None,
                     extra: str = "") -> Path:
    """Write a feeds.toml with `(name, url)` feeds and optional `[settings]`; returns the path."""
    import json

    items = feeds.items() if isinstance(feeds, dict) else feeds
    lines = []
    if settings:
        lines.append("[settings]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
        lines.append("")
    for name, url in items:
        lines += ["[[feeds]]", f"name = {json.dumps(name)}", f"url = {json.dumps(url)}", ""]
    path = Path(path)
    path.write_text("\n".join(lines) + extra, encoding="utf-8")
    return path

