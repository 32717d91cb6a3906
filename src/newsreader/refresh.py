"""Refreshing the cache, the one orchestrator: fetch -> parse -> tag -> save -> cluster, then articles.

Every feed is fetched concurrently and parsed on every core; each feed is saved in one transaction on the one
writer thread; then the new stories join story clusters (clustering.py). Once every feed is saved, searchable
and clustered (`on_feeds_done`: the reader's list is usable), the feeds with full text on have their stories'
pages downloaded and extracted (articles/); this module saves each article and tags its story again. `on_outcome` hears of each feed as it finishes and `on_article` of
each page, so the CLI can draw a progress bar and the reader show progress; one bad feed never stops the
others.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from newsreader.blocking import run_blocking
from newsreader.config.types import Config, FeedConfig
from newsreader.errors import RefreshCancelled, StoreError
from newsreader.feeds.parse import ParseError, ParseOptions, ParserPool, parse_feed
from newsreader.model import ArticleOutcome, ArticleRequest, FeedOutcome, ParsedFeed, RefreshSummary, Status
from newsreader.net.client import HttpClient
from newsreader.net.errors import FetchError
from newsreader.store import FetchState, SaveResult, Store
from newsreader.workers import run_in

if TYPE_CHECKING:
    from newsreader.articles.fetcher import ArticleFetcher, ArticleResult

#: A Retry-After this short is waited out within the run; a longer one defers the feed to a later run.
RETRY_AFTER_WAIT_MAX = 10.0
#: Below this many feeds, starting worker processes costs more than parsing on one core.
PROCESS_POOL_MIN_FEEDS = 8
#: New stories reach the search index this many at a time (and at the end of a run): FTS5 indexes a
#: batch for far less per story than one feed's worth (benchmarks/README.md, Fetch).
SEARCH_INDEX_BATCH = 5000

OutcomeCallback = Callable[[FeedOutcome], None]
#: Runs a call on the refresh's one writer thread and gives back its result.
Writer = Callable[[Callable[[], Any]], Awaitable[Any]]
ArticleCallback = Callable[[ArticleOutcome], None]
T = TypeVar("T")


def client_for(config: Config, *, max_bytes: int | None = None) -> HttpClient:
    """The HTTP client a refresh uses, with the limits and proxy feeds.toml sets."""
    settings = config.settings
    return HttpClient(concurrency=settings.concurrency, per_host=settings.per_host, timeout=settings.timeout,
                      max_bytes=max_bytes or settings.max_feed_bytes, proxy=settings.proxy)


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
    on_feeds_done: Callable[[RefreshSummary], None] | None = None,
    page_client: HttpClient | None = None,
    extract_workers: int | None = None,
    summary: RefreshSummary | None = None,
    sync: bool = False,
    on_sync: Callable[[str], None] | None = None,
) -> RefreshSummary:
    """Fetch `feeds` (default: all configured) into the store. Raises StoreError only if the cache is unusable.

    `sync`: sync with the [sync] server meanwhile (sync/engine.py; `on_sync` hears how it goes, a line at a
    time). A feed the server holds is the server's to bring, never fetched here, whatever `sync` says.

    `fulltext` True or False applies to every feed; None follows each feed's `fulltext`, else `[settings]`.
    `client`, `page_client`, `parse_workers` and `extract_workers` are for tests and benchmarks. `summary`, if
    given, is filled in as the run goes (a caller that stops the run still has what was done).
    """
    started = time.perf_counter()
    targets = list(config.feeds if feeds is None else feeds)
    if config.sync is not None:
        server_urls = {feed.url for feed in await asyncio.to_thread(store.server_feeds)}
        targets = [feed for feed in targets if feed.url not in server_urls]
    settings = config.settings
    summary = summary if summary is not None else RefreshSummary()
    ids = await asyncio.to_thread(store.sync_feeds, targets)
    states = await asyncio.to_thread(store.fetch_states, ids.values())
    pool = ParserPool(parse_workers if parse_workers is not None else (None if len(targets) >= PROCESS_POOL_MIN_FEEDS else 0))
    # A first fetch parses nearly every feed: start the parse workers (a second or so) while the first
    # downloads run, not after them. A later refresh may be all 304s, which need no worker at all.
    if sum(1 for state in states.values() if not state.body_hash) >= PROCESS_POOL_MIN_FEEDS:
        pool.start()
    own_client = client is None
    client = client or client_for(config)
    # One writer thread: SQLite takes one writer at a time, and the event loop never waits on the disk.
    writer = ThreadPoolExecutor(1, thread_name_prefix="newsreader-store")
    loop = asyncio.get_running_loop()

    async def on_writer(call: Callable[[], T]) -> T:
        return await loop.run_in_executor(writer, call)

    with_text = {feed.url for feed in targets if _wants_fulltext(feed, config, fulltext)}
    syncing = sync and config.sync is not None
    # The server's feeds keep full articles as the settings (or a [[feeds]] entry of their URL) say.
    server_text = syncing and (fulltext if fulltext is not None else
                               config.settings.fulltext or any(feed.fulltext for feed in config.feeds))
    # Nothing of the full-text stage exists unless some feed wants it: the plain fetch stays as it was.
    articles: _Articles | None = None
    if with_text or server_text:
        articles = _Articles(store, config, on_writer, page_client, extract_workers, on_article, summary)

    # Feeds between download and save at once: without a bound, fast downloads pile up every body (and its
    # parse) in memory while the parsers and the writer catch up.
    in_flight = asyncio.Semaphore(settings.concurrency)
    unindexed = 0

    async def one(feed: FeedConfig) -> None:
        nonlocal unindexed
        async with in_flight:
            outcome = await _refresh_one(store, client, pool, on_writer, loop, states[ids[feed.url]], feed, force,
                                         summary)
        summary.outcomes.append(outcome)
        unindexed += outcome.new
        if unindexed >= SEARCH_INDEX_BATCH:
            unindexed = 0
            await on_writer(store.index_pending)
        if on_outcome is not None:
            on_outcome(outcome)

    try:
        try:
            # A TaskGroup cancels the other feeds if the cache itself fails: there is no point going on.
            async with asyncio.TaskGroup() as group:
                if syncing:
                    group.create_task(_sync(store, config, on_writer, on_sync, summary))
                for feed in targets:
                    group.create_task(one(feed))
        except ExceptionGroup as failures:
            # The first StoreError (a full disk, say) is why the run stopped; the rest are its echoes (feeds
            # cancelled, or meeting the same full disk), and the caller hears of it as itself, not in a group.
            cache_error = _first_store_error(failures)
            if cache_error is None:
                raise
            raise cache_error from None
        await on_writer(store.index_pending)
        summary.clustered = await _cluster(store, config, on_writer)
        # The articles come after the feeds, so the list is there to read while the pages come. Failed and
        # unchanged feeds too: their stories may have retries due.
        text_ids = [ids[feed.url] for feed in targets if feed.url in with_text]
        if server_text:
            text_ids += await asyncio.to_thread(_server_feeds_with_text, store, config, fulltext)
        wanted = await articles.plan(text_ids) if articles else []
        if on_feeds_done is not None:
            on_feeds_done(summary)
        if articles is not None:
            await articles.fetch(wanted)
        caps = {feed.url: feed.max_stories for feed in config.feeds if feed.max_stories}
        retention = await on_writer(lambda: store.apply_retention(settings.keep_days, caps))
        summary.deleted = retention.total
    finally:
        if articles is not None:
            await articles.close()
        writer.shutdown(wait=True)
        pool.close()
        if own_client:
            await client.aclose()
    summary.seconds = time.perf_counter() - started
    return summary


async def _sync(store: Store, config: Config, on_writer: Writer, on_sync: Callable[[str], None] | None,
                summary: RefreshSummary) -> None:
    from newsreader.sync.engine import run_sync

    summary.sync = await run_sync(store, config, write=on_writer, on_progress=on_sync)


async def _refresh_one(
    store: Store,
    client: HttpClient,
    pool: ParserPool,
    on_writer: Writer,
    loop: asyncio.AbstractEventLoop,
    state: FetchState,
    feed: FeedConfig,
    force: bool,
    summary: RefreshSummary,
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
        failure = error
        await on_writer(lambda: store.record_error(feed_id, str(failure), status=failure.status,
                                                   retry_after=failure.retry_after, fetch_url=failure.final_url))
        return FeedOutcome(feed, Status.FAILED, http_status=error.status, error=str(error), error_kind=error.kind.value)

    if result.not_modified:
        await on_writer(lambda: store.record_not_modified(feed_id, result.status, fetch_url=result.permanent_url))
        return FeedOutcome(feed, Status.NOT_MODIFIED, http_status=result.status)
    # Many servers ignore conditional requests: the very bytes stored last time need no parsing either.
    body_hash = hashlib.blake2b(result.body, digest_size=16).hexdigest()
    if body_hash == state.body_hash:
        await on_writer(lambda: store.record_not_modified(
            feed_id, result.status, fetch_url=result.permanent_url, etag=result.etag, last_modified=result.last_modified))
        return FeedOutcome(feed, Status.NOT_MODIFIED, http_status=result.status)

    options = ParseOptions(url=result.url, content_type=result.content_type, pinned=feed.countries, home=feed.home)
    try:
        parsed = await _parse(pool, loop, result.body, options)
    except ParseError as error:
        message = str(error)
        await on_writer(lambda: store.record_error(feed_id, message, status=result.status))
        return FeedOutcome(feed, Status.FAILED, http_status=result.status, error=message, error_kind="not-a-feed")
    except Exception as error:  # feedparser is robust, but a crash in one feed must not stop the others
        message = f"could not parse: {type(error).__name__}: {error}"
        await on_writer(lambda: store.record_error(feed_id, message, status=result.status))
        return FeedOutcome(feed, Status.FAILED, http_status=result.status, error=message, error_kind="parse")
    summary.by_feedparser += parsed.by_feedparser

    saved: SaveResult = await on_writer(
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
            language=parsed.language,
        ),
    )
    return FeedOutcome(feed, Status.UPDATED, new=saved.new, updated=saved.updated, http_status=result.status)


async def _parse(pool: ParserPool, loop: asyncio.AbstractEventLoop, body: bytes, options: ParseOptions) -> ParsedFeed:
    executor = pool.executor()
    if executor is not None:
        try:
            return await run_in(executor, parse_feed, body, options)
        except BrokenProcessPool:
            # A worker died (killed, out of memory, or a __main__ it cannot import): parse here for the rest
            # of the run rather than failing every remaining feed.
            pool.workers = 0
    return await loop.run_in_executor(None, parse_feed, body, options)


async def _cluster(store: Store, config: Config, on_writer: Writer) -> int:
    """The clustering stage (clustering.py), on the writer thread: nothing else writes while it runs, and the
    list then shows the new stories already grouped. A cancelled run stops it within a few hundred stories."""
    from newsreader.clustering import cluster_new_stories, state_path

    stop = threading.Event()
    try:
        feeds = {feed.url: feed for feed in config.feeds}
        run = await on_writer(partial(cluster_new_stories, store, state_path(store.path), feeds, stop=stop))
    except asyncio.CancelledError:
        stop.set()
        raise
    return run.placed

def _server_feeds_with_text(store: Store, config: Config, override: bool | None) -> list[int]:
    configured = {feed.url: feed for feed in config.feeds}
    return [feed.feed_id for feed in store.server_feeds()
            if _wants_fulltext(configured.get(feed.url) or FeedConfig(feed.name, feed.url), config, override)]


def _first_store_error(group: BaseExceptionGroup) -> StoreError | None:
    for error in group.exceptions:
        found = _first_store_error(error) if isinstance(error, BaseExceptionGroup) else error
        if isinstance(found, StoreError):
            return found
    return None


def _wants_fulltext(feed: FeedConfig, config: Config, override: bool | None) -> bool:
    if override is not None:
        return override
    return feed.fulltext if feed.fulltext is not None else config.settings.fulltext


class _Articles:
    """The full-text stage of one refresh: asks the store what needs text, saves what the fetcher returns,
    and tags each story again from its article (it names places the feed's summary does not)."""

    def __init__(self, store: Store, config: Config, on_writer: Writer, page_client: HttpClient | None,
                 workers: int | None, on_article: ArticleCallback | None, summary: RefreshSummary) -> None:
        from newsreader.articles.fetcher import ARTICLE_MAX_BYTES, ArticleFetcher

        self.store = store
        self.on_writer = on_writer
        self.on_article = on_article
        self.summary = summary
        self.feeds = {feed.url: feed for feed in config.feeds}
        self.own_client = page_client is None
        self.client = page_client or client_for(config, max_bytes=ARTICLE_MAX_BYTES)
        self.fetcher: ArticleFetcher = ArticleFetcher(self.client, workers=workers)

    async def plan(self, feed_ids: Sequence[int]) -> list[ArticleRequest]:
        """The pages of these feeds' stories that still need text (new ones, and retries now due)."""
        from newsreader.articles.fetcher import ARTICLES_PER_FEED

        now = self.fetcher.clock()
        requests = await self.on_writer(
            lambda: self.store.stories_needing_fulltext(feed_ids, now=now, limit=ARTICLES_PER_FEED))
        self.summary.articles_expected = len(requests)
        return requests

    async def fetch(self, requests: Sequence[ArticleRequest]) -> None:
        """Download and extract these pages, saving each article as it comes."""
        async for result in self.fetcher.fetch_all(requests):
            await self.on_writer(partial(self._save, result))
            if result.markdown is not None:
                self.summary.articles_extracted += 1
            else:
                self.summary.articles_failed += 1
            if self.on_article is not None:
                self.on_article(result.outcome)

    def _save(self, result: ArticleResult) -> None:
        """On the writer thread."""
        story_id = result.request.story_id
        if result.markdown is not None:
            self.store.save_fulltext(story_id, result.markdown, url=result.url, size=result.bytes, etag=result.etag,
                                     last_modified=result.last_modified)
            retag_stories(self.store, self.feeds, [story_id])
            return
        error = result.error
        assert error is not None
        self.store.record_fulltext_failure(
            story_id, error.kind, str(error), next_attempt=result.retry_at, http_status=error.status, url=result.url,
            size=result.bytes, etag=result.etag, last_modified=result.last_modified)

    async def close(self) -> None:
        self.fetcher.close()
        if self.own_client:
            await self.client.aclose()


def retag_stories(store: Store, feeds: Mapping[str, FeedConfig], story_ids: Sequence[int]) -> int:
    """Tag these stories again from what the cache now holds; returns how many changed countries."""
    from newsreader.geo import get_tagger
    from newsreader.tagging import retag

    texts = store.story_texts(story_ids)
    updates = retag(get_tagger(), texts, feeds)
    store.set_tags(updates)
    before = {text.id: text.countries for text in texts}
    return sum(1 for update in updates if before.get(update.story_id) != update.countries)


def refresh_feeds_sync(store: Store, config: Config, *, cancel: threading.Event | None = None,
                       **kwargs: object) -> RefreshSummary:
    """`refresh_feeds` for callers without an event loop (the CLI, thread workers).

    Setting `cancel` from another thread (the reader quitting, Ctrl-C) stops the run within a fraction of a
    second, where downloads could otherwise keep it going for their whole timeout; it then raises
    RefreshCancelled, which says how many feeds were saved.
    """
    summary = RefreshSummary()
    try:
        return run_blocking(refresh_feeds(store, config, summary=summary, **kwargs), cancel)  # type: ignore[arg-type]
    except asyncio.CancelledError:
        raise RefreshCancelled(len(summary.outcomes)) from None


__all__ = ["RefreshCancelled", "refresh_feeds", "refresh_feeds_sync", "retag_stories"]
