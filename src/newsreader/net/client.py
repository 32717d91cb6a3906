"""A polite HTTP client for feeds and article pages.

Bounded concurrency overall and per host, connect/read/total timeouts, redirects followed (and a permanent
one reported so it can be remembered), conditional GET, a streamed size cap that also stops compression
bombs, and Retry-After understood. Errors come back as `FetchError` with a one-line message.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from newsreader import __version__
from newsreader.net.errors import FailureKind, FetchError
from newsreader.text.sanitize import safe_line

USER_AGENT = f"newsreader/{__version__} (terminal news reader; +https://pypi.org/project/newsreader/)"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 10


@dataclass(frozen=True, slots=True)
class FetchResult:
    status: int
    url: str  #: where the body came from, after redirects
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    permanent_url: str | None = None  #: set when every redirect on the way was permanent (301/308)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After (seconds or an HTTP date) as an absolute epoch time."""
    if not value:
        return None
    now = time.time() if now is None else now
    value = value.strip()
    if value.isdigit():
        return now + int(value)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed.timestamp() if parsed else None


class HttpClient:
    """One shared httpx client, over aiohttp's connection pool (see http_transport), with the limits every
    download here obeys."""

    def __init__(
        self,
        *,
        concurrency: int = 32,
        per_host: int = 8,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        max_bytes: int = 16 * 1024 * 1024,
        proxy: str | None = None,
    ) -> None:
        """`proxy`: every request goes through it; None follows the environment (not yet honoured: see
        issue 12, the net package's proxy support)."""
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.proxy = proxy
        self._overall = asyncio.Semaphore(concurrency)
        self._per_host_limit = per_host
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self._per_host_limit))
        # Imported here: aiohttp takes 0.2 s to import, which only a download should pay.
        from newsreader.net.transport import AiohttpTransport

        self._client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(timeout, connect=connect_timeout, read=min(timeout, 20.0)),
            headers={"User-Agent": USER_AGENT},
            transport=AiohttpTransport(connections=concurrency, per_host=per_host, tls=httpx.create_ssl_context()),
        )

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            host = urlsplit(url).hostname or ""
        except ValueError as error:  # "Invalid IPv6 URL" and the like: one feed's problem, not the run's
            raise FetchError(FailureKind.BAD_URL, f"invalid URL: {_reason(error)}") from None
        # Host slot first: a task waiting for a busy host must not hold one of the overall slots meanwhile.
        async with self._hosts[host], self._overall:
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._get(url, headers)
            except TimeoutError:
                raise FetchError(FailureKind.TIMEOUT, f"timed out after {self.timeout:g} s") from None
            except httpx.TooManyRedirects:
                raise FetchError(FailureKind.REDIRECTS, f"too many redirects (more than {MAX_REDIRECTS})") from None
            except httpx.ConnectTimeout:
                raise FetchError(FailureKind.TIMEOUT, "timed out connecting to the server") from None
            except httpx.ReadTimeout:
                raise FetchError(FailureKind.TIMEOUT, "timed out waiting for the server") from None
            except httpx.ConnectError as error:
                raise FetchError(_connect_kind(error), f"cannot connect: {_reason(error)}") from None
            except httpx.RemoteProtocolError as error:
                raise FetchError(FailureKind.PROTOCOL, f"the server broke off the response: {_reason(error)}") from None
            except httpx.DecodingError:
                raise FetchError(FailureKind.DECODING, "the response could not be decompressed") from None
            except httpx.UnsupportedProtocol:
                raise FetchError(FailureKind.BAD_URL, f"unsupported URL scheme: {url.split(':', 1)[0]}") from None
            except httpx.InvalidURL as error:
                raise FetchError(FailureKind.BAD_URL, f"invalid URL: {_reason(error)}") from None
            except httpx.HTTPError as error:
                raise FetchError(FailureKind.PROTOCOL, f"{type(error).__name__}: {_reason(error)}") from None

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResult:
        async with self._client.stream("GET", url, headers=headers) as response:
            final_url = str(response.url)
            permanent = None
            if response.history and all(r.status_code in (301, 308) for r in response.history):
                permanent = final_url
            status = response.status_code
            if status == 304:
                return FetchResult(status, final_url, etag=response.headers.get("etag") or headers.get("If-None-Match"),
                                   last_modified=response.headers.get("last-modified") or headers.get("If-Modified-Since"),
                                   permanent_url=permanent)
            if status in (429, 503):
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                wait = f"; retry after {max(0, int(retry_after - time.time()))} s" if retry_after else ""
                raise FetchError(FailureKind.HTTP, f"HTTP {status} {_reason_phrase(response)}{wait}", status=status, retry_after=retry_after,
                                 final_url=permanent)
            if status >= 400:
                raise FetchError(FailureKind.HTTP, f"HTTP {status} {_reason_phrase(response)}".strip(), status=status, final_url=permanent)
            if status >= 300:
                raise FetchError(FailureKind.REDIRECTS, f"HTTP {status}: redirect without a usable Location", status=status)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes and not response.headers.get("content-encoding"):
                raise FetchError(FailureKind.TOO_LARGE, f"response too large ({int(declared) // 1024} KiB; the limit is {self.max_bytes // 1024} KiB)", status=status)
            chunks: list[bytes] = []
            size = 0
            # aiter_bytes yields decompressed bytes, so the cap also stops a small gzip bomb from filling memory.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(FailureKind.TOO_LARGE, f"response too large (over {self.max_bytes // 1024} KiB); cut off", status=status)
                chunks.append(chunk)
            return FetchResult(
                status,
                final_url,
                b"".join(chunks),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
                content_type=response.headers.get("content-type"),
                permanent_url=permanent,
            )


def _connect_kind(error: httpx.ConnectError) -> FailureKind:
    """The transport marks what kind of connection failure it was (see transport._as_httpx_errors)."""
    kind = getattr(error, "kind", None)
    return kind if isinstance(kind, FailureKind) else FailureKind.CONNECT


def _reason_phrase(response: httpx.Response) -> str:
    # The server writes it, and h11 lets escape sequences through: it must not reach a terminal.
    return safe_line(response.reason_phrase)[:100]


def _reason(error: Exception) -> str:
    # httpx messages can quote what the server sent (a Location header, a status line): make it safe.
    return safe_line(str(error))[:200] or type(error).__name__
