"""An httpx transport that sends each request through aiohttp's connection pool, directly or through a proxy.

httpx's own transport (httpcore) costs several times aiohttp's CPU a request on the event loop, and a warm
re-fetch is 500 conditional GETs and nothing else (measured in benchmarks/README.md, Fetch).
The client above still talks httpx: it builds the requests, follows redirects with httpx's rules, and reads the
Response. Nothing is decoded here: the body comes up as it came over the wire (see decoding.py).

Every request is sent through the proxy `Proxies` picks for its URL: an HTTP(S) proxy by aiohttp's own `proxy=`
(absolute-form requests for http://, a CONNECT tunnel for https://), a SOCKS proxy by a session of its own over
aiohttp-socks. A failure is raised as `FetchError` with its kind, set here where aiohttp says what failed.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx

from newsreader.net.errors import FailureKind, FetchError
from newsreader.net.proxies import BadProxy, Proxies, Proxy
from newsreader.text.sanitize import safe_line

CHUNK_BYTES = 64 * 1024


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Plain HTTP/1.1 over aiohttp sessions, made on first use (inside the running loop)."""

    def __init__(self, *, connections: int, per_host: int, tls: ssl.SSLContext, proxies: Proxies | None = None) -> None:
        self._connections = connections
        self._per_host = per_host
        self._tls = tls
        self._proxies = proxies or Proxies.direct()
        self._sessions: dict[Proxy | None, aiohttp.ClientSession] = {}

    def _session_for(self, proxy: Proxy | None) -> aiohttp.ClientSession:
        """The direct session serves HTTP proxies too (aiohttp's `proxy=`); each SOCKS proxy has its own."""
        key = proxy if proxy is not None and proxy.socks else None
        session = self._sessions.get(key)
        if session is None:
            if key is None:
                connector = aiohttp.TCPConnector(limit=self._connections, limit_per_host=self._per_host, ssl=self._tls)
            else:
                connector = _socks_connector(key, limit=self._connections, limit_per_host=self._per_host, ssl=self._tls)
            # httpx sends the headers and the client decodes the body: aiohttp adds nothing, decompresses nothing,
            # and keeps no cookies.
            session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
            self._sessions[key] = session
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        proxy = self._proxies.for_url(url.scheme, url.raw_host.decode("ascii", "replace"), url.port)
        if isinstance(proxy, BadProxy):
            raise FetchError(FailureKind.PROXY, f"cannot use the proxy: {proxy}")
        timeout = request.extensions.get("timeout", {})
        body = await request.aread()
        headers = [(name, value) for name, value in request.headers.multi_items() if name.lower() != "host"]
        http_proxy = proxy if proxy is not None and not proxy.socks else None
        login = _proxy_login(http_proxy)
        if login and url.scheme == "http":  # sent to the proxy with the request itself (aiohttp sends proxy_headers
            headers.append(login)           # only with a CONNECT)
        with _as_fetch_errors(url, proxy):
            response = await self._session_for(proxy).request(
                request.method,
                str(url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                proxy=http_proxy.url if http_proxy else None,
                proxy_headers=dict([login]) if login and url.scheme == "https" else None,
                timeout=aiohttp.ClientTimeout(total=None, connect=timeout.get("connect"), sock_connect=timeout.get("connect"),
                                              sock_read=timeout.get("read")),
            )
        return httpx.Response(
            status_code=response.status,
            headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in response.raw_headers],
            stream=_ResponseStream(response, url, proxy),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("utf-8", "replace")},
        )

    async def aclose(self) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, url: httpx.URL, proxy: Proxy | None) -> None:
        self._response = response
        self._url = url
        self._proxy = proxy

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_fetch_errors(self._url, self._proxy):
            async for chunk in self._response.content.iter_chunked(CHUNK_BYTES):
                yield chunk

    async def aclose(self) -> None:
        # A body read to its end gives the connection back to the pool; one cut short closes it.
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()


def _proxy_login(proxy: Proxy | None) -> tuple[str, str] | None:
    """The Proxy-Authorization header for a proxy URL with a login."""
    if proxy is None or proxy.username is None:
        return None
    login = f"{proxy.username}:{proxy.password or ''}".encode()
    return "Proxy-Authorization", "Basic " + base64.b64encode(login).decode("ascii")


def _socks_connector(proxy: Proxy, **options: Any) -> aiohttp.TCPConnector:
    from aiohttp_socks import ProxyConnector, ProxyType

    kind = ProxyType.SOCKS4 if proxy.scheme.startswith("socks4") else ProxyType.SOCKS5
    # socks4a and socks5h: the proxy resolves the name (curl's meaning); socks4 and socks5 resolve it here.
    return ProxyConnector(proxy_type=kind, host=proxy.host, port=proxy.port, username=proxy.username,
                          password=proxy.password, rdns=proxy.scheme in ("socks4a", "socks5h"), **options)


@contextmanager
def _as_fetch_errors(url: httpx.URL, proxy: Proxy | None) -> Iterator[None]:
    """aiohttp's (and aiohttp-socks') exceptions as FetchError, with the kind each one means."""
    try:
        yield
    except FetchError:
        raise
    except Exception as error:
        failure = _failure(error, url, proxy)
        if failure is None:
            raise
        raise failure from None


def _failure(error: Exception, url: httpx.URL, proxy: Proxy | None) -> FetchError | None:
    target = f"{url.host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    via = f" (through the proxy {proxy.address})" if proxy is not None else ""
    if proxy is not None and proxy.socks:
        from aiohttp_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

        if isinstance(error, ProxyTimeoutError):
            return FetchError(FailureKind.TIMEOUT, f"timed out connecting to the proxy {proxy.address}")
        if isinstance(error, ProxyConnectionError):
            cause = error.__cause__  # python-socks' own error, an OSError with the errno
            reason = _os_reason(cause) if isinstance(cause, OSError) else _reason(error)
            return FetchError(FailureKind.PROXY, f"cannot connect to the proxy {proxy.address}: {reason}")
        if isinstance(error, ProxyError):
            return FetchError(FailureKind.PROXY, f"the proxy {proxy.address} could not connect to {target}: {_reason(error)}")
        if isinstance(error, EOFError):  # asyncio.IncompleteReadError: it hung up mid-handshake (a SOCKS version it lacks)
            return FetchError(FailureKind.PROXY, f"the proxy {proxy.address} broke off the {proxy.scheme} handshake")
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return FetchError(FailureKind.TIMEOUT, f"timed out connecting to the server{via}")
    if isinstance(error, (aiohttp.SocketTimeoutError, TimeoutError)):
        return FetchError(FailureKind.TIMEOUT, f"timed out waiting for the server{via}")
    if isinstance(error, aiohttp.ClientHttpProxyError):  # the proxy answered CONNECT with an error status
        what = "asks for a login" if error.status == 407 else "refused the tunnel"
        return FetchError(FailureKind.PROXY, f"the proxy {_address(proxy)} {what} to {target}: "
                                             f"HTTP {error.status} {safe_line(error.message)[:100]}".rstrip())
    if isinstance(error, aiohttp.ClientProxyConnectionError):
        return FetchError(FailureKind.PROXY, f"cannot connect to the proxy {_address(proxy)}: {_os_reason(error.os_error)}")
    if isinstance(error, aiohttp.ClientConnectorError):
        return FetchError(_connect_kind(error), f"cannot connect: {target}: {_os_reason(error.os_error)}{via}")
    if isinstance(error, (aiohttp.InvalidUrlClientError, aiohttp.NonHttpUrlClientError)):
        return FetchError(FailureKind.BAD_URL, f"invalid URL: {_reason(error)}")
    if isinstance(error, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
        return FetchError(FailureKind.PROTOCOL, f"the server broke off the response: {_reason(error)}")
    if isinstance(error, aiohttp.ClientResponseError):  # a status line or headers that are not HTTP
        return FetchError(FailureKind.PROTOCOL, f"the server's answer is not valid HTTP: {_reason(error)}")
    if isinstance(error, aiohttp.ClientOSError):
        if isinstance(error.__cause__, socket.gaierror):  # resolved here for a socks5:// proxy
            return FetchError(FailureKind.DNS, f"cannot connect: {target}: {_os_reason(error.__cause__)}{via}")
        return FetchError(FailureKind.CONNECT, f"connection to {target} lost: {_os_reason(error)}{via}")
    if isinstance(error, aiohttp.ClientError):
        return FetchError(FailureKind.PROTOCOL, f"{type(error).__name__}: {_reason(error)}")
    if isinstance(error, OSError):  # a socket error aiohttp let through as it was
        return FetchError(FailureKind.CONNECT, f"connection to {target} lost: {_os_reason(error)}{via}")
    return None


def _address(proxy: Proxy | None) -> str:
    return proxy.address if proxy is not None else "(unknown)"


def _connect_kind(error: aiohttp.ClientConnectorError) -> FailureKind:
    cause = error.os_error
    if isinstance(cause, ssl.SSLError) or isinstance(error, aiohttp.ClientSSLError):
        return FailureKind.TLS
    if isinstance(cause, socket.gaierror):
        return FailureKind.DNS
    return FailureKind.CONNECT


def _os_reason(cause: OSError) -> str:
    """'Connection refused', not aiohttp's 'Cannot connect to host ... ssl:default [...]'."""
    if isinstance(cause, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not trusted ({cause.verify_message})"
    if isinstance(cause, ssl.SSLError):
        return f"TLS failed ({cause.reason or cause.strerror or type(cause).__name__})"
    if cause.errno and cause.errno > 0:
        return os.strerror(cause.errno)
    # a DNS failure (gaierror) has its own negative codes and says what went wrong itself
    return safe_line(cause.strerror or str(cause))[:200] or type(cause).__name__


def _reason(error: Exception) -> str:
    return safe_line(str(error))[:200] or type(error).__name__
