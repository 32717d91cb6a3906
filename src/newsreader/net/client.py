"""A polite HTTP client for feeds and article pages.

Bounded concurrency overall and per host, connect/read/total timeouts, redirects followed (and a permanent
one reported so it can be remembered), conditional GET, a streamed size cap that also stops compression
bombs, and Retry-After understood. Errors come back as `FetchError` with a one-line message.
"""

from __future__ import annotations

import asyncio
import email.utils
import json as jsonlib
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar, DefaultCookiePolicy
from urllib.parse import urlencode, urlsplit

import httpx

from newsreader import __version__
from newsreader.net.decoding import ACCEPT_ENCODING, DecodingFailed, decoder_for
from newsreader.net.errors import FailureKind, FetchError
from newsreader.net.proxies import Proxies, Proxy, port_as_written, valid_port
from newsreader.text.sanitize import safe_line

USER_AGENT = f"newsreader/{__version__} (terminal news reader; +https://pypi.org/project/newsreader/)"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 10
#: Of a redirect's body, at most this much is read (and thrown away) to keep its connection; more closes it.
REDIRECT_BODY_MAX = 64 * 1024


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
    """One shared httpx client, over aiohttp's connection pool (see transport.py), with the limits every
    download here obeys and the proxies the settings or the environment name (see proxies.py)."""

    def __init__(
        self,
        *,
        concurrency: int = 32,
        per_host: int = 8,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        read_timeout: float | None = None,
        max_bytes: int = 16 * 1024 * 1024,
        proxy: str | None = None,
    ) -> None:
        """`timeout` bounds a whole download, redirects and body included; `connect_timeout` each connection
        (through the proxy and its tunnel too); `read_timeout` (default: the lesser of `timeout` and 20 s) each
        wait for the server. `proxy`: every request goes through it; None follows the environment (HTTP_PROXY,
        HTTPS_PROXY, ALL_PROXY, NO_PROXY)."""
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.proxy = proxy
        self.proxies = Proxies.for_client(proxy)
        self._overall = asyncio.Semaphore(concurrency)
        self._per_host_limit = per_host
        self._hosts: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(self._per_host_limit))
        # Imported here: aiohttp takes 0.2 s to import, which only a download should pay.
        from newsreader.net.transport import AiohttpTransport

        self._client = httpx.AsyncClient(
            follow_redirects=False,  # followed in _send, one hop at a time, each checked
            timeout=httpx.Timeout(timeout, connect=connect_timeout, read=read_timeout or min(timeout, 20.0)),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
            cookies=_no_cookies(),
            transport=AiohttpTransport(connections=concurrency, per_host=per_host, tls=httpx.create_ssl_context(),
                                       proxies=self.proxies),
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
        """GET `url`, conditionally when given the validators of the copy we hold (a 304 comes back as a result)."""
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self.request("GET", url, headers=headers)

    async def post(
        self,
        url: str,
        *,
        json: object = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = "application/json",
    ) -> FetchResult:
        """POST a JSON document (`json`) or a form (`form`), through the same limits, proxies and size cap."""
        if (json is None) == (form is None):
            raise ValueError("give json or form, not both")
        if form is not None:
            body = urlencode(form).encode("ascii")
            content_type = "application/x-www-form-urlencoded"
        else:
            body = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            content_type = "application/json"
        return await self.request("POST", url, headers={"Accept": accept, "Content-Type": content_type, **(headers or {})},
                                  content=body)

    async def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                      content: bytes | None = None, error_status: bool = True) -> FetchResult:
        """Send one request and read its answer: redirects followed, the body decoded and capped. A status of 400
        or more, and every other failure, raises FetchError with its kind; with `error_status=False` a status of
        400 or more comes back as a result with its body (an API that explains a refusal in JSON)."""
        target = _checked_url(url, redirected=False)
        # Host slot first: a task waiting for a busy host must not hold one of the overall slots meanwhile.
        async with self._hosts[target.host], self._overall:
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._send(self._client.build_request(method, target, headers=headers, content=content),
                                            error_status)
            except TimeoutError:
                raise FetchError(FailureKind.TIMEOUT, f"timed out after {self.timeout:g} s") from None
            except httpx.HTTPError as error:  # httpx's own checks (the transport raises FetchError itself)
                raise FetchError(FailureKind.PROTOCOL, f"{type(error).__name__}: {_reason(error)}") from None

    async def _send(self, request: httpx.Request, error_status: bool = True) -> FetchResult:
        hops: list[int] = []  # the status of every redirect on the way
        while True:
            try:
                response = await self._client.send(request, stream=True)
            except httpx.RemoteProtocolError as error:  # httpx could not make a URL of the Location header
                raise FetchError(FailureKind.REDIRECTS, f"refused a redirect: {_reason(error)}") from None
            try:
                if response.next_request is None:
                    return await self._result(response, request, hops, error_status)
                hops.append(response.status_code)
                if len(hops) > MAX_REDIRECTS:
                    raise FetchError(FailureKind.REDIRECTS, f"too many redirects (more than {MAX_REDIRECTS})")
                await _drain(response)
            finally:
                await response.aclose()
            request = response.next_request
            _checked_url(request.url, redirected=True)

    async def _result(self, response: httpx.Response, request: httpx.Request, hops: list[int],
                      error_status: bool = True) -> FetchResult:
        final_url = str(response.url)
        permanent = final_url if hops and all(status in (301, 308) for status in hops) else None
        status = response.status_code
        if status == 304:
            return FetchResult(status, final_url, etag=response.headers.get("etag") or request.headers.get("If-None-Match"),
                               last_modified=response.headers.get("last-modified") or request.headers.get("If-Modified-Since"),
                               permanent_url=permanent)
        if status == 407:  # only a proxy asks this, for a plain http:// request sent through it
            raise FetchError(FailureKind.PROXY, f"the proxy asks for a login: HTTP 407 {_reason_phrase(response)}".rstrip(),
                             status=status)
        if status >= 400 and error_status:
            # Through a proxy, the error may be the proxy's own ("HTTP 500 Unable to connect"): say it went through one.
            proxy = self.proxies.for_url(response.url.scheme, response.url.raw_host.decode("ascii", "replace"), response.url.port)
            via = f" (through the proxy {proxy.address})" if isinstance(proxy, Proxy) else ""
            line = f"HTTP {status} {_reason_phrase(response)}".strip() + via
            retry_after = parse_retry_after(response.headers.get("retry-after")) if status in (429, 503) else None
            if retry_after:
                line += f"; retry after {max(0, int(retry_after - time.time()))} s"
            raise FetchError(FailureKind.HTTP, line, status=status, retry_after=retry_after, final_url=permanent)
        if 300 <= status < 400:
            raise FetchError(FailureKind.REDIRECTS, f"HTTP {status}: redirect without a usable Location", status=status)
        body = await self._body(response)
        return FetchResult(
            status,
            final_url,
            body,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            content_type=response.headers.get("content-type"),
            permanent_url=permanent,
        )

    async def _body(self, response: httpx.Response) -> bytes:
        """The body, decoded in bounded steps (decoding.py) so the cap holds for every encoding."""
        status = response.status_code
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(FailureKind.TOO_LARGE, f"response too large ({int(declared) // 1024} KiB; the limit is {self.max_bytes // 1024} KiB)", status=status)
        cut_off = FetchError(FailureKind.TOO_LARGE, f"response too large (over {self.max_bytes // 1024} KiB); cut off", status=status)
        chunks: list[bytes] = []
        size = wire = 0
        try:
            decoder = decoder_for(response.headers.get("content-encoding"))
            async for raw in response.aiter_raw():
                wire += len(raw)
                if wire > self.max_bytes:
                    raise cut_off
                for piece in decoder.decode(raw):
                    size += len(piece)
                    if size > self.max_bytes:
                        raise cut_off
                    chunks.append(piece)
            for piece in decoder.flush():
                size += len(piece)
                if size > self.max_bytes:
                    raise cut_off
                chunks.append(piece)
        except DecodingFailed as error:
            raise FetchError(FailureKind.DECODING, str(error), status=status) from None
        return b"".join(chunks)


def _checked_url(url: str | httpx.URL, *, redirected: bool) -> httpx.URL:
    """The URL as httpx reads it, if it is one we fetch; else FetchError naming what is refused: the scheme, the
    port, or the URL itself (kind bad-url, or redirect-loop when a redirect led there)."""
    kind = FailureKind.REDIRECTS if redirected else FailureKind.BAD_URL
    where = "refused a redirect: " if redirected else ""
    try:
        parts = urlsplit(str(url))
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(kind, f"{where}unsupported URL scheme: {safe_line(scheme)[:20] or '(none)'}")
        port = port_as_written(parts.netloc)
        if port is not None and not valid_port(port):
            raise FetchError(kind, f"{where}bad port: {safe_line(port)[:20] or '(empty)'}")
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as error:  # "Invalid IPv6 URL" and the like: one feed's problem, not the run's
        raise FetchError(kind, f"{where}invalid URL: {_reason(error)}") from None
    if not parsed.host:
        raise FetchError(kind, f"{where}invalid URL: no host name")
    return parsed


async def _drain(response: httpx.Response) -> None:
    """Read a little of a redirect's body, so its connection can be reused; never decode it."""
    size = 0
    async for raw in response.aiter_raw():
        size += len(raw)
        if size > REDIRECT_BODY_MAX:
            return


def _no_cookies() -> CookieJar:
    """A news reader has no session: a jar that keeps nothing, so no cookie is ever sent back."""
    return CookieJar(policy=_RefuseCookies())


class _RefuseCookies(DefaultCookiePolicy):
    def set_ok(self, cookie: Cookie, request: object) -> bool:
        return False

    def return_ok(self, cookie: Cookie, request: object) -> bool:
        return False


def _reason_phrase(response: httpx.Response) -> str:
    # The server writes it, and h11 lets escape sequences through: it must not reach a terminal.
    return safe_line(response.reason_phrase)[:100]


def _reason(error: Exception) -> str:
    # httpx messages can quote what the server sent (a Location header, a status line): make it safe.
    return safe_line(str(error))[:200] or type(error).__name__
