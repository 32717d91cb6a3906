"""Downloading articles for offline reading: each story's page, fetched and extracted, as a result.

`ArticleFetcher.fetch_all(requests)` downloads the pages of stories that still need their text with the same
polite `HttpClient` as the feeds, extracts each article with trafilatura on every core (it is CPU-bound), and
yields an `ArticleResult` per story as it is ready. It never touches the cache: the refresh saves the results
and tags the stories again (refresh.py).

A page that fails gets a kind (`FAILURE_KINDS`) and a one-line reason the reader shows when it falls back to
the summary. `next_attempt` spaces retries out exponentially, at most `MAX_ATTEMPTS` downloads in all;
failures that cannot change (not a web page, too large, HTTP 410) are never retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsreader.articles.extract import ArticleError, ExtractorPool, extract_article
from newsreader.model import ArticleOutcome, ArticleRequest
from newsreader.net.client import FetchResult, HttpClient
from newsreader.net.errors import FailureKind, FetchError
from newsreader.workers import run_in

ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
#: A news page is rarely over 1 MiB; anything past this is not an article we could show.
ARTICLE_MAX_BYTES = 5 * 1024 * 1024
#: Downloads of one story's page, in all, before we stop trying.
MAX_ATTEMPTS = 4
#: The first retry waits this long; each later one four times longer (30 min, 2 h, 8 h).
RETRY_BASE_SECONDS = 30 * 60
RETRY_FACTOR = 4
#: Newest first, at most this many pages per feed and fetch: turning full text on for a feed with a long
#: history back-fills it over a few fetches instead of downloading it all at once.
ARTICLES_PER_FEED = 50
#: Below this many pages in a fetch, starting worker processes costs more than extracting in a thread.
PROCESS_POOL_MIN_PAGES = 8
#: Kinds that a retry cannot change.
PERMANENT_KINDS = frozenset({"not-html", "too-large", "bad-url"})
#: HTTP statuses that a retry cannot change.
PERMANENT_STATUSES = frozenset({410})

_KIND_OF_FAILURE = {
    FailureKind.TOO_LARGE: "too-large",
    FailureKind.REDIRECTS: "redirect-loop",
    FailureKind.TIMEOUT: "timeout",
    FailureKind.BAD_URL: "bad-url",
}


def article_error(error: FetchError) -> ArticleError:
    """A download failure as an article failure kind."""
    if error.status == 402:
        return ArticleError("paywall", f"{error} (the page is for subscribers)", 402)
    if error.kind is FailureKind.HTTP:
        return ArticleError("http", str(error), error.status)
    return ArticleError(_KIND_OF_FAILURE.get(error.kind, "network"), str(error), error.status)


def next_attempt(kind: str, status: int | None, attempts: int, now: float) -> float | None:
    """When to try a failed page again after `attempts` tries in all; None for never."""
    if kind in PERMANENT_KINDS or status in PERMANENT_STATUSES or attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_BASE_SECONDS * RETRY_FACTOR ** (attempts - 1)


@dataclass(frozen=True, slots=True)
class ArticleResult:
    """What became of one story's page: its article, or why there is none (and when to try again)."""

    request: ArticleRequest
    markdown: str | None
    error: ArticleError | None
    url: str  #: where the page came from, after redirects
    bytes: int = 0  #: downloaded
    etag: str | None = None
    last_modified: str | None = None
    retry_at: float | None = None  #: None: done, or given up

    @property
    def outcome(self) -> ArticleOutcome:
        if self.markdown is not None:
            return ArticleOutcome(self.request.story_id, self.request.url, "ok", bytes=self.bytes)
        assert self.error is not None
        return ArticleOutcome(self.request.story_id, self.request.url, self.error.kind, str(self.error), self.bytes,
                              self.retry_at)


@dataclass(frozen=True, slots=True)
class _Page:
    """A downloaded and extracted page, shared by every story in the fetch that links to it."""

    markdown: str | None
    error: ArticleError | None
    result: FetchResult | None
    bytes: int


class ArticleFetcher:
    """Downloads and extracts the articles of one refresh."""

    def __init__(self, client: HttpClient, *, workers: int | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.clock = clock
        self.pool = ExtractorPool(workers)
        # Where a page goes that was in the pool each time it broke: one worker, one page at a time, so a page
        # that breaks it is the page that kills its worker, and fails alone.
        self._alone = ExtractorPool(1, isolate=True)
        self._one_at_a_time = asyncio.Lock()
        # trafilatura (through lxml) corrupts memory when two threads extract at once (adbar/trafilatura#840,
        # #925: SIGSEGV, "double free or corruption"), so without worker processes pages go through one thread.
        self._one_thread = ThreadPoolExecutor(1, thread_name_prefix="newsreader-extract")
        self._requested = 0
        self._pages: dict[str, asyncio.Task[_Page]] = {}

    async def fetch_all(self, requests: Sequence[ArticleRequest]) -> AsyncIterator[ArticleResult]:
        """A result for every request, in the order they finish."""
        self._requested += len(requests)
        for finished in asyncio.as_completed([self.fetch(request) for request in requests]):
            yield await finished

    async def fetch(self, request: ArticleRequest) -> ArticleResult:
        url = request.url
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            page = _Page(None, ArticleError("bad-url", f"the link is not a web address ({url[:60]})"), None, 0)
        else:
            task = self._pages.get(url)
            if task is None:
                task = self._pages[url] = asyncio.ensure_future(self._page(request))
            page = await task
        result = page.result
        final_url = result.url if result else url
        etag = result.etag if result else None
        last_modified = result.last_modified if result else None
        if page.markdown is not None:
            return ArticleResult(request, page.markdown, None, final_url, page.bytes, etag, last_modified)
        error = page.error or ArticleError("empty", "no article text found on the page")
        retry_at = next_attempt(error.kind, error.status, request.attempts + 1, self.clock())
        return ArticleResult(request, None, error, final_url, page.bytes, etag, last_modified, retry_at)

    async def _page(self, request: ArticleRequest) -> _Page:
        try:
            result = await self.client.get(
                request.url, etag=request.etag, last_modified=request.last_modified, accept=ARTICLE_ACCEPT
            )
        except FetchError as error:
            return _Page(None, article_error(error), None, 0)
        if result.not_modified:
            # Only a page that failed before is asked for conditionally: unchanged, it fails the same way.
            previous = request.error or "no article text found on the page"
            return _Page(None, ArticleError(request.kind or "empty", f"{previous} (page unchanged)"), result, 0)
        size = len(result.body)
        try:
            markdown = await self._extract(result, request.title)
        except ArticleError as error:
            return _Page(None, error, result, size)
        except Exception as error:  # a crash on one page must not stop the others
            message = f"the page could not be read ({type(error).__name__})"
            return _Page(None, ArticleError("empty", message), result, size)
        return _Page(markdown, None, result, size)

    async def _extract(self, result: FetchResult, title: str) -> str:
        arguments = (result.body, result.content_type, result.url, title)
        if self._requested < PROCESS_POOL_MIN_PAGES:
            return await run_in(self._one_thread, extract_article, *arguments)
        for _ in range(2):
            executor: Executor = self.pool.executor() or self._one_thread
            try:
                return await run_in(executor, extract_article, *arguments)
            except BrokenExecutor:
                # A worker died (killed, out of memory, a crash in C on some page): the pool is broken for every
                # page still waiting in it. A fresh pool takes them, and this page gets one more try there.
                self.pool.replace(executor)
        # Broken twice with this page in it: this page kills its worker, or it was in flight with one that does.
        async with self._one_at_a_time:
            alone = self._alone.executor()
            assert alone is not None
            try:
                return await run_in(alone, extract_article, *arguments)
            except BrokenExecutor:
                self._alone.replace(alone)
        raise ArticleError("empty", "the page crashed the article extractor")

    def close(self) -> None:
        self.pool.close()
        self._alone.close()
        self._one_thread.shutdown(wait=True, cancel_futures=True)
