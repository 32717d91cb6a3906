"""One POST, its answer read under a size cap and parsed as JSON, every failure a SyncError."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from newsreader.net.errors import FetchError
from newsreader.sync.errors import SyncError, SyncErrorKind, fetch_error, transport_error
from newsreader.sync.model import WireStats

#: An answer larger than this is refused: 200 tt-rss headlines with content are a few MB.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class Answer(Protocol):
    """What the clients read of a response (an httpx.Response gives it)."""

    @property
    def status_code(self) -> int: ...

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...


class Http(Protocol):
    """What the clients need of their HTTP client: an httpx.AsyncClient, or adapter.OverHttpClient (the reader's
    own HttpClient, with its proxies and limits)."""

    def stream(self, method: str, url: str, *, content: bytes | None = None,
               headers: Mapping[str, str] | None = None) -> AbstractAsyncContextManager[Any]: ...


def public_url(url: str) -> str:
    """The URL without user:password@, for messages."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def post_json(http: Http, url: str, *, where: str, stats: WireStats,
                    body: Callable[[], bytes], content_type: str,
                    max_bytes: int = MAX_RESPONSE_BYTES) -> tuple[int, Any]:
    """POST and return (status, parsed JSON). Raises SyncError for everything but a JSON answer; an HTTP
    error status with a JSON body is returned, for the caller to read (Fever servers answer 401 with JSON).

    `body` makes the request body when it is sent: a body holding a password is never a local variable of
    a frame here, where a traceback that shows locals would print it.
    """
    started = time.perf_counter()
    try:
        async with http.stream("POST", url, content=body(), headers={"Content-Type": content_type}) as response:
            answer = _Body()
            async for chunk in response.aiter_bytes():
                answer.data += chunk
                chunk = b""  # noqa: PLW2901 (the body lives only in `answer`, whose repr is its size)
                if len(answer.data) > max_bytes:
                    raise SyncError(SyncErrorKind.BAD_RESPONSE,
                                    f"{where}: answer larger than {max_bytes // (1024 * 1024)} MB")
            status = response.status_code
    except httpx.HTTPError as error:
        # `from None`: the HTTP library's frames hold the request body, which may hold a password.
        raise transport_error(error, where) from None
    except FetchError as error:  # the reader's own transport and HttpClient raise these, with their kind
        raise fetch_error(error, where) from None
    finally:
        stats.requests += 1
        stats.seconds += time.perf_counter() - started
    stats.bytes += len(answer.data)
    try:
        parsed = json.loads(answer.data)
    except ValueError:
        if status >= 400:
            raise SyncError(SyncErrorKind.HTTP_STATUS, f"{where}: HTTP {status}", status=status) from None
        raise SyncError(SyncErrorKind.BAD_RESPONSE, f"{where}: the answer is not JSON (HTTP {status}, "
                        f"{len(answer.data)} bytes): is this the right address?") from None
    return status, parsed


class _Body:
    """A response body whose repr is its size. A server that echoes the request (a misconfigured proxy, a
    debugging endpoint) would echo the password: a traceback that shows locals must not print it."""

    __slots__ = ("data",)

    def __init__(self) -> None:
        self.data = bytearray()

    def __repr__(self) -> str:
        return f"<{len(self.data)} bytes>"
