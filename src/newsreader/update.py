"""Refreshing the cache: fetch every feed concurrently, parse on every core, store each feed atomically.

`refresh_feeds()` yields nothing itself; it calls `on_outcome` once per feed as each finishes, so the CLI
can draw a progress bar and the reader can show progress, and one bad feed never stops the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from newsreader.fetch import FetchError, HttpClient
from newsreader.parse import ParseError, ParseOptions, ParsedFeed, ParserPool, parse_feed
from newsreader.store import FetchState, Store, StoreError
from newsreader.types import Config, FeedConfig

if TYPE_CHECKING:
    from newsreader.fulltext import ArticleCallback, ArticleFetcher

#: A Retry-After this short is waited out within the run; a longer one defers the feed to a later run.
RETRY_AFTER_WAIT_MAX = 10.0
#: Below this many feeds, starting worker processes costs more than parsing on one core.
PROCESS_POOL_MIN_FEEDS = 8
#: How often a run started by `refresh_feeds_sync` looks whether it has been cancelled.
CANCEL_POLL_SECONDS = 0.1
#: New stories reach the search index this many at a time (and at the end of a run): FTS5 indexes a
#: batch for a fifth of the cost per story of one feed's worth.
SEARCH_INDEX_BATCH = 5000


class Status(str, Enum):
    UPDATED = "updated"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"
    DEFERRED = "deferred"  # the server asked us to come back later (Retry-After)


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    feed: FeedConfig
    status: Status
    new: int = 0
    updated: int = 0
    http_status: int | None = None
    error: str | None = None


@dataclass(slots=True)
class RefreshSummary:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    deleted: int = 0  #: stories removed by retention
    seconds: float = 0.0
    articles_extracted: int = 0  #: full article texts stored
    articles_failed: int = 0  #: article pages that gave no text this time (recorded per story)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes)

    @property
    def updated(self) -> int:
        return sum(o.updated for o in self.outcomes)

    @property
    def reached_any(self) -> bool:
        """False when every feed failed: nothing could be fetched at all."""
        return not self.outcomes or any(o.status is not Status.FAILED for o in self.outcomes)

    def line(self) -> str:
        parts = [
            f"{self.count(Status.UPDATED)} updated",
            f"{self.count(Status.NOT_MODIFIED)} not modified",
            f"{self.count(Status.FAILED)} failed",
        ]
        if deferred := self.count(Status.DEFERRED):
            parts.append(f"{deferred} deferred")
        articles = ""
        if self.articles_extracted or self.articles_failed:
            articles = f"; articles: {self.articles_extracted} extracted, {self.articles_failed} failed"
        feeds = f"{len(self.outcomes)} feed" + ("" if len(self.outcomes) == 1 else "s")
        stories = f"{self.new} new stor" + ("y" if self.new == 1 else "ies")
        return (f"{feeds}: " + ", ".join(parts) + f"; {stories}{articles}"
                f" ({self.seconds:.1f} s)")


OutcomeCallback = Callable[[FeedOutcome], None]


async def refresh_feeds(
    store: Store,
    config: Config,
    *,
    feeds: Sequence[FeedConfig] | None = None,
    on_outcome: OutcomeCallback | None = None,
    force: bool = False,
    parse_workers: int | None = None,
    client: HttpClient | None = None,
    fulltext: bool | None = None,
    on_article: ArticleCallback | None = None,
    page_client: HttpClient | None = None,
    extract_workers: int | None = None,
) -> RefreshSummary:
    """Fetch `feeds` (default: all configured) into the store. Raises StoreError only if the cache is unusable.

    `fulltext` True or False applies to every feed; None follows each feed's `fulltext`, else `[settings]`.
    A feed with full text on has its stories' article pages downloaded and extracted once it is saved
    (`on_article` hears of each page; `page_client` and `extract_workers` are for tests and benchmarks).
    """
    started = time.perf_counter()
    targets = list(config.feeds if feeds is None else feeds)
    settings = config.settings
    summary = RefreshSummary()
    ids = await asyncio.to_thread(store.sync_feeds, targets)
    states = await asyncio.to_thread(store.fetch_states, ids.values())
    pool = ParserPool(parse_workers if parse_workers is not None else (None if len(targets) >= PROCESS_POOL_MIN_FEEDS else 0))
    # A first fetch parses nearly every feed: start the parse workers (a second or so) while the first
    # downloads run, not after them. A later refresh may be all 304s, which need no worker at all.
    if sum(1 for state in states.values() if not state.body_hash) >= PROCESS_POOL_MIN_FEEDS:
        pool.start()
    own_client = client is None
    if client is None:
        client = HttpClient(
            concurrency=settings.concurrency,
            per_host=settings.per_host,
            timeout=settings.timeout,
            max_bytes=settings.max_feed_bytes,
        )
    # One writer thread: SQLite takes one writer at a time, and the event loop never waits on the disk.
    writer = ThreadPoolExecutor(1, thread_name_prefix="newsreader-store")
    loop = asyncio.get_running_loop()
    with_text = {feed.url for feed in targets if _wants_fulltext(feed, config, fulltext)}
    # Nothing of the full-text stage exists unless some feed wants it: the plain fetch stays as it was.
    articles: ArticleFetcher | None = None
    own_page_client = False
    if with_text:
        from newsreader.fulltext import ArticleFetcher, article_client

        own_page_client = page_client is None
        if page_client is None:
            page_client = article_client(settings.concurrency, settings.per_host, settings.timeout)
        from newsreader.retag import retag_stories

        # The article names places the feed's summary does not: tag the story again with it.
        articles = ArticleFetcher(store, page_client, writer, workers=extract_workers, on_article=on_article,
                                  on_saved=lambda story_id: retag_stories(store, config, [story_id]))

    # Feeds between download and save at once: without a bound, fast downloads pile up every body (and its
    # parse) in memory while the parsers and the writer catch up.
    in_flight = asyncio.Semaphore(settings.concurrency)
    unindexed = 0

    async def one(feed: FeedConfig) -> None:
        nonlocal unindexed
        async with in_flight:
            outcome = await _refresh_one(store, client, pool, writer, loop, states[ids[feed.url]], feed, force)
        summary.outcomes.append(outcome)
        unindexed += outcome.new
        if unindexed >= SEARCH_INDEX_BATCH:
            unindexed = 0
            await loop.run_in_executor(writer, store.index_pending)
        if on_outcome is not None:
            on_outcome(outcome)
        # Failed and unchanged feeds too: their stories may have retries due.
        if articles is not None and feed.url in with_text:
            await articles.fetch_for_feed(ids[feed.url])

    try:
        try:
            # A TaskGroup cancels the other feeds if the cache itself fails: there is no point going on.
            async with asyncio.TaskGroup() as group:
                for feed in targets:
                    group.create_task(one(feed))
        except* StoreError as errors:
            raise errors.exceptions[0] from None
        await loop.run_in_executor(writer, store.index_pending)
        caps = {feed.url: feed.max_stories for feed in config.feeds if feed.max_stories}
        retention = await loop.run_in_executor(writer, lambda: store.apply_retention(settings.keep_days, caps))
        summary.deleted = retention.total
    finally:
        if articles is not None:
            summary.articles_extracted, summary.articles_failed = articles.extracted, articles.failed
            articles.close()
            if own_page_client and page_client is not None:
                await page_client.aclose()
        writer.shutdown(wait=True)
        pool.close()
        if own_client:
            await client.aclose()
    summary.seconds = time.perf_counter() - started
    return summary


async def _refresh_one(
    store: Store,
    client: HttpClient,
    pool: ParserPool,
    writer: ThreadPoolExecutor,
    loop: asyncio.AbstractEventLoop,
    state: FetchState,
    feed: FeedConfig,
    force: bool,
) -> FeedOutcome:
    feed_id = state.feed_id
    if state.retry_after and state.retry_after > time.time() and not force:
        wait = int(state.retry_after - time.time())
        return FeedOutcome(feed, Status.DEFERRED, error=f"the server asked us to wait; next try in {wait} s")
    try:
        try:
            result = await client.get(state.fetch_url, etag=state.etag, last_modified=state.last_modified)
        except FetchError as error:
            if error.retry_after is None or error.retry_after - time.time() > RETRY_AFTER_WAIT_MAX:
                raise
            await asyncio.sleep(max(0.0, error.retry_after - time.time()))
            result = await client.get(state.fetch_url, etag=state.etag, last_modified=state.last_modified)
    except FetchError as error:
        await loop.run_in_executor(
            writer,
            lambda: store.record_error(feed_id, str(error), status=error.status, retry_after=error.retry_after,
                                       fetch_url=error.final_url),
        )
        return FeedOutcome(feed, Status.FAILED, http_status=error.status, error=str(error))

    if result.not_modified:
        await loop.run_in_executor(writer, lambda: store.record_not_modified(feed_id, result.status, fetch_url=result.permanent_url))
        return FeedOutcome(feed, Status.NOT_MODIFIED, http_status=result.status)
    # Many servers ignore conditional requests: the very bytes stored last time need no parsing either.
    body_hash = hashlib.blake2b(result.body, digest_size=16).hexdigest()
    if body_hash == state.body_hash:
        await loop.run_in_executor(writer, lambda: store.record_not_modified(
            feed_id, result.status, fetch_url=result.permanent_url, etag=result.etag, last_modified=result.last_modified))
        return FeedOutcome(feed, Status.NOT_MODIFIED, http_status=result.status)

    options = ParseOptions(url=result.url, content_type=result.content_type, pinned=feed.countries, home=feed.home)
    try:
        parsed = await _parse(pool, loop, result.body, options)
    except ParseError as error:
        await loop.run_in_executor(writer, lambda: store.record_error(feed_id, str(error), status=result.status))
        return FeedOutcome(feed, Status.FAILED, http_status=result.status, error=str(error))
    except Exception as error:  # feedparser is robust, but a crash in one feed must not stop the others
        message = f"could not parse: {type(error).__name__}: {error}"
        await loop.run_in_executor(writer, lambda: store.record_error(feed_id, message, status=result.status))
        return FeedOutcome(feed, Status.FAILED, http_status=result.status, error=message)

    saved = await loop.run_in_executor(
        writer,
        lambda: store.save_feed(
            feed_id,
            parsed.entries,
            status=result.status,
            etag=result.etag,
            last_modified=result.last_modified,
            fetch_url=result.permanent_url,
            title=parsed.title,
            site_url=parsed.site_url,
            warning=parsed.warning if not parsed.entries else None,
            index=False,  # the run indexes new stories for search in batches
            body_hash=body_hash if parsed.entries or not parsed.warning else None,  # a warning must show again
        ),
    )
    return FeedOutcome(feed, Status.UPDATED, new=saved.new, updated=saved.updated, http_status=result.status)


async def _parse(pool: ParserPool, loop: asyncio.AbstractEventLoop, body: bytes, options: ParseOptions) -> ParsedFeed:
    executor = pool.executor()
    if executor is not None:
        try:
            return await loop.run_in_executor(executor, parse_feed, body, options)
        except BrokenProcessPool:
            # A worker died (killed, out of memory, or a __main__ it cannot import): parse here for the rest
            # of the run rather than failing every remaining feed.
            pool.workers = 0
    return await loop.run_in_executor(None, parse_feed, body, options)


def _wants_fulltext(feed: FeedConfig, config: Config, override: bool | None) -> bool:
    if override is not None:
        return override
    return feed.fulltext if feed.fulltext is not None else config.settings.fulltext


class RefreshCancelled(Exception):
    """The run was stopped from outside (`cancel`); every feed saved before that stays saved."""


def refresh_feeds_sync(store: Store, config: Config, *, cancel: threading.Event | None = None,
                       **kwargs: object) -> RefreshSummary:
    """`refresh_feeds` for callers without an event loop (the CLI, thread workers).

    Setting `cancel` from another thread (the reader, quitting) stops the run within a fraction of a second,
    where downloads could otherwise keep it going for their whole timeout; it then raises RefreshCancelled.
    """

    async def run() -> RefreshSummary:
        refresh = asyncio.ensure_future(refresh_feeds(store, config, **kwargs))  # type: ignore[arg-type]
        while cancel is not None and not refresh.done():
            await asyncio.wait([refresh], timeout=CANCEL_POLL_SECONDS)
            if cancel.is_set():
                refresh.cancel()
        try:
            return await refresh
        except asyncio.CancelledError:
            raise RefreshCancelled() from None

    return asyncio.run(run())


__all__ = ["FeedOutcome", "RefreshCancelled", "RefreshSummary", "Status", "StoreError", "refresh_feeds",
           "refresh_feeds_sync"]
