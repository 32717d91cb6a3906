"""An httpx transport that sends requests through aiohttp's connection pool.

httpx's own transport (httpcore) costs about 2 ms of CPU a request on the event loop, and a warm re-fetch
is 500 conditional GETs and nothing else: 1.3 s of a bare httpx client, against 0.2 s for aiohttp (see
benchmarks/README.md, Fetch). Everything above the wire stays httpx's: redirects, decoding
gzip/deflate/brotli, the Response the fetcher reads. The httpx-aiohttp package does the same job but, at
0.2.0, sends an empty chunked body on redirected GETs and reports a refused connection as a timeout.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import AsyncIterator

import aiohttp
import httpx

from newsreader.net.errors import FailureKind

CHUNK_BYTES = 64 * 1024


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Plain HTTP/1.1 over one aiohttp session, made on the first request (inside the running loop)."""

    def __init__(self, *, connections: int, per_host: int, tls: ssl.SSLContext) -> None:
        self._connections = connections
        self._per_host = per_host
        self._tls = tls
        self._session: aiohttp.ClientSession | None = None

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=self._per_host, ssl=self._tls)
            # httpx sends the headers and decodes the body: aiohttp adds nothing and decompresses nothing.
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        with _as_httpx_errors():
            response = await self._session_now().request(
                request.method,
                str(request.url),
                headers=[(name, value) for name, value in request.headers.multi_items() if name.lower() != "host"],
                data=body or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout.get("connect"),
                                              sock_read=timeout.get("read")),
            )
        return httpx.Response(
            status_code=response.status,
            headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in response.raw_headers],
            stream=_ResponseStream(response),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("utf-8", "replace")},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for chunk in self._response.content.iter_chunked(CHUNK_BYTES):
                yield chunk

    async def aclose(self) -> None:
        # A body read to its end gives the connection back to the pool; one cut short closes it.
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


class _as_httpx_errors:
    """aiohttp's exceptions as the httpx ones the fetcher turns into one-line messages."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: object) -> None:
        if error is None or not isinstance(error, (aiohttp.ClientError, TimeoutError)):
            return
        message = str(error) or type(error).__name__
        if isinstance(error, aiohttp.ConnectionTimeoutError):
            raise httpx.ConnectTimeout(message) from error
        if isinstance(error, (aiohttp.SocketTimeoutError, TimeoutError)):
            raise httpx.ReadTimeout(message) from error
        if isinstance(error, aiohttp.ClientConnectorError):
            connect_error = httpx.ConnectError(_connect_reason(error))
            connect_error.kind = _connect_kind(error)  # type: ignore[attr-defined]
            raise connect_error from error
        if isinstance(error, (aiohttp.InvalidUrlClientError, aiohttp.NonHttpUrlClientError)):
            raise httpx.UnsupportedProtocol(message) from error
        if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
            raise httpx.RemoteProtocolError(message) from error
        raise httpx.TransportError(message) from error


def _connect_kind(error: aiohttp.ClientConnectorError) -> FailureKind:
    cause = error.os_error
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        return FailureKind.PROXY
    if isinstance(cause, ssl.SSLError) or isinstance(error, aiohttp.ClientSSLError):
        return FailureKind.TLS
    if isinstance(cause, socket.gaierror):
        return FailureKind.DNS
    return FailureKind.CONNECT


def _connect_reason(error: aiohttp.ClientConnectorError) -> str:
    """'example.org:443: Connection refused', not aiohttp's 'Cannot connect to host ... ssl:default [...]'."""
    cause = error.os_error
    if isinstance(cause, ssl.SSLCertVerificationError):
        reason = f"its TLS certificate is not trusted ({cause.verify_message})"
    elif isinstance(cause, ssl.SSLError):
        reason = f"TLS failed ({cause.reason or cause.strerror or type(cause).__name__})"
    elif cause.errno and cause.errno > 0:
        reason = os.strerror(cause.errno)
    else:  # a DNS failure (gaierror) has its own negative codes and says what went wrong itself
        reason = cause.strerror or str(cause) or type(cause).__name__
    return f"{error.host}:{error.port}: {reason}"
