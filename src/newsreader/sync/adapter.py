"""The sync clients over the reader's own HttpClient, so a sync obeys what every download obeys: the proxy of
feeds.toml or the environment, the limits, the timeouts, the size cap (decoded in bounded steps).

The clients ask of their HTTP client only what an httpx.AsyncClient gives (`stream()`: a status and the body
in chunks, see _wire.Http); `over(client)` gives them that over an HttpClient. An error status comes back
with its body, for the client to read (a Fever server says "auth": 0 with a 401); every other failure is
HttpClient's FetchError, which the clients turn into a SyncError with its kind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType

from newsreader.net.client import FetchResult, HttpClient

#: The body is handed over in pieces this large, as a network would.
CHUNK = 64 * 1024


class OverHttpClient:
    """An HttpClient as the sync clients' HTTP client. Closing it closes the HttpClient."""

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def stream(self, method: str, url: str, *, content: bytes | None = None,
               headers: Mapping[str, str] | None = None) -> _Exchange:
        client = self.client
        # The body (which may hold a password) lives only in this closure: never a local of a frame that a
        # traceback showing locals would print, nor in any repr.
        return _Exchange(lambda: client.request(method, url, headers=headers, content=content, error_status=False))

    async def aclose(self) -> None:
        await self.client.aclose()

    def __repr__(self) -> str:
        return "OverHttpClient()"


class _Exchange:
    """One request, sent on entering; its answer already read (under the HttpClient's cap)."""

    __slots__ = ("_send", "_body", "status_code")

    def __init__(self, send: Callable[[], Awaitable[FetchResult]]) -> None:
        self._send: Callable[[], Awaitable[FetchResult]] | None = send
        self._body = b""
        self.status_code = 0

    async def __aenter__(self) -> _Exchange:
        send, self._send = self._send, None
        assert send is not None, "an exchange is entered once"
        result = await send()
        self.status_code = result.status
        self._body = result.body
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        self._body = b""

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        body = self._body
        for start in range(0, len(body), CHUNK):
            yield body[start:start + CHUNK]

    def __repr__(self) -> str:
        return f"<answer {self.status_code}, {len(self._body)} bytes>"


def over(client: HttpClient) -> OverHttpClient:
    return OverHttpClient(client)
