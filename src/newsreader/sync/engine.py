"""The sync: the [sync] server's feeds, stories and flags into the cache, and what was done here to the server.

    outcome = await run_sync(store, config)                # the whole of it (newsreader sync, a refresh)
    outcome = await run_sync(store, config, full=False)    # only the changes made here (after a mark)

A whole sync, in order:
1. subscriptions queued here (tt-rss): subscribed or unsubscribed on the server, in the order made;
2. the server's feeds become the cache's (their categories their tags); a feed it no longer lists goes, as
   an unsubscribed feed's stories go (starred ones stay);
3. the stories it has that are newer than any seen (tt-rss's since_id, Fever's item ids), a page at a time,
   each read and tagged as a feed's item is (convert.py) while the next page is on its way; stories older
   than keep_days are not kept, unless starred;
4. read and starred, both ways (flags.py decides which side wins): the server's flags of every story it has
   (of the stories changed here, in the short form) against the cache's.

Nothing is lost when it fails half way: every page is saved as it comes, a change queued here leaves the
queue only once the server has it, and the next sync takes up where this one stopped. It never raises but
StoreError (the cache cannot be used): a failure is the outcome's one line, and the kind says which.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from newsreader.config.types import Config, FeedConfig
from newsreader.model import SyncOutcome
from newsreader.store import Store
from newsreader.store.sync import QueuedChange, ServerFeedRow, SyncedStory
from newsreader.sync import flags
from newsreader.sync._wire import MAX_RESPONSE_BYTES, Http
from newsreader.sync.convert import entries_for
from newsreader.sync.credentials import forget, password_for
from newsreader.sync.errors import SETTINGS_KINDS, SyncError, SyncErrorKind
from newsreader.sync.model import RemoteStory
from newsreader.sync.service import FEVER_MARKS_AT_ONCE, RECENT_HOURS, Service, open_service
from newsreader.text.sanitize import safe_line

T = TypeVar("T")
#: Runs a call on the one thread that writes the cache and gives back its result (refresh.py's writer).
Writer = Callable[[Callable[[], Any]], Awaitable[Any]]
Progress = Callable[[str], None]
#: The feed that holds stories whose feed the server no longer lists (tt-rss's archived, starred ones).
ARCHIVE_ID = 0
#: The server's unread stories are listed in full at least this often, whatever its unread count says.
UNREAD_LIST_HOURS = 24


async def run_sync(store: Store, config: Config, *, full: bool = True, write: Writer | None = None,
                   on_progress: Progress | None = None, http: Http | None = None, service: Service | None = None,
                   clock: Callable[[], float] = time.time) -> SyncOutcome:
    """Sync the cache with config.sync's server; see the module's docstring. `http` (the HTTP client) and
    `service` (the server itself) are for tests and benchmarks."""
    sync = config.sync
    assert sync is not None, "run_sync needs a [sync] table"
    outcome = SyncOutcome(service=sync.name)
    started = time.perf_counter()
    own_writer = None
    if write is None:
        own_writer = ThreadPoolExecutor(1, thread_name_prefix="newsreader-sync")
        write = _writer_on(own_writer)
    own_http = http is None and service is None
    try:
        if service is None:
            password = await asyncio.to_thread(password_for, sync)
            if http is None:
                http = _http_for(config)
            service = open_service(sync, password, http)
        run = _Run(store, config, service, write, outcome, on_progress or (lambda line: None), clock)
        await run.all() if full else await run.changes_only()
    except SyncError as error:
        if error.kind is SyncErrorKind.LOGIN_REFUSED:
            forget(sync)
        # The clients' lines name the server ("tt-rss at https://..."); the password's do not.
        outcome.error = f"{sync.name} sync: {error}" if error.kind is SyncErrorKind.CREDENTIALS else str(error)
        outcome.error_kind = error.kind.value
        outcome.settings_error = error.kind in SETTINGS_KINDS
    finally:
        if service is not None:
            await service.close()
            outcome.waiting, outcome.requests = service.stats.seconds, service.stats.requests
        if own_http and http is not None:
            await http.aclose()  # type: ignore[attr-defined]
        try:
            outcome.pending = await write(store.queued_count)
        finally:
            if own_writer is not None:
                own_writer.shutdown(wait=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _http_for(config: Config) -> Http:
    """The reader's HttpClient, with feeds.toml's proxy and timeout: a sync sends one request at a time (and
    Fever's marks a few), and its answers are larger than a feed (200 stories with their content)."""
    from newsreader.net.client import HttpClient
    from newsreader.sync.adapter import over

    settings = config.settings
    return over(HttpClient(concurrency=FEVER_MARKS_AT_ONCE, per_host=FEVER_MARKS_AT_ONCE, timeout=settings.timeout,
                           max_bytes=MAX_RESPONSE_BYTES, proxy=settings.proxy))


def _writer_on(executor: ThreadPoolExecutor) -> Writer:
    loop = asyncio.get_running_loop()

    async def write(call: Callable[[], T]) -> T:
        return await loop.run_in_executor(executor, call)

    return write


class _Run:
    """One sync's steps, sharing what they learn."""

    def __init__(self, store: Store, config: Config, service: Service, write: Writer, outcome: SyncOutcome,
                 progress: Progress, clock: Callable[[], float]) -> None:
        assert config.sync is not None
        self.store, self.config, self.sync, self.service = store, config, config.sync, service
        self.write, self.outcome, self.progress, self.clock = write, outcome, progress, clock
        self.feed_ids: dict[int, int] = {}  #: the server's feed id -> the cache's
        self.feed_urls: dict[int, str] = {}  #: the server's feed id -> its URL
        self.dropped: set[int] = set()  #: feeds unsubscribed here that the server may still list
        self.pulled_everything = False  #: this sync asked for every story there is (the first): flags and all

    async def all(self) -> None:
        self.progress(f"logging in to {self.service.name}")
        await self.service.login()
        await self._this_server()
        await self.subscriptions()
        await self.feeds()
        await self.stories()
        await self.flags(full=True)

    async def changes_only(self) -> None:
        if not await self.write(self.store.queued_count):
            return
        await self.service.login()
        await self._this_server()
        await self.subscriptions()
        await self.flags(full=False)

    async def _this_server(self) -> None:
        """The cache becomes this server's; what another server's left goes. Only once this one has taken the
        login: a mistyped address must not cost the changes waiting for the right one."""
        dropped = await self.write(self.store.queued_count)
        if await self.write(lambda: self.store.start_sync_with(self.sync.identity)) and dropped:
            self.outcome.warnings.append(f"{dropped} change{'' if dropped == 1 else 's'} made for the server synced "
                                         "with before were dropped: [sync] names another server or user now")

    # -- 1. subscriptions ------------------------------------------------------------------------------

    async def subscriptions(self) -> None:
        for change in await self.write(lambda: self.store.queued_changes(("subscribe", "unsubscribe"))):
            try:
                if change.op == "subscribe" and change.url:
                    self.progress(f"subscribing to {safe_line(change.url)}")
                    await self.service.subscribe(change.url)
                elif change.remote_id is not None:
                    await self.service.unsubscribe(change.remote_id)
                self.outcome.subscriptions += 1
            except SyncError as error:
                # Refused for good (no feed there, gone already, Fever): said once, never tried again.
                if error.kind not in (SyncErrorKind.REJECTED, SyncErrorKind.UNSUPPORTED):
                    raise
                self.outcome.warnings.append(str(error))
            await self.write(partial(self.store.drop_queued, [change.id]))

    # -- 2. feeds ------------------------------------------------------------------------------------------

    async def feeds(self) -> None:
        self.progress("feeds")
        listed = sorted(await self.service.feeds(), key=lambda f: f.feed.id)
        queued = await self.write(lambda: self.store.queued_changes(("unsubscribe",)))
        self.dropped = {change.remote_id for change in queued if change.remote_id is not None}
        configured = {feed.url: feed for feed in self.config.feeds}
        taken = {feed.name.casefold() for feed in self.config.feeds}
        rows = []
        for server in listed:
            if server.feed.id in self.dropped:
                continue
            url = safe_line(server.feed.url) or f"{self.sync.service}:feed:{server.feed.id}"
            if url in configured:  # a [[feeds]] entry of the same URL names it (and pins its countries)
                name = configured[url].name
            else:
                name = _unique(safe_line(server.feed.title) or urlsplit(url).netloc or url, taken)
            taken.add(name.casefold())
            category = safe_line(server.category) or None
            rows.append(ServerFeedRow(server.feed.id, url, name, category))
            self.feed_urls[server.feed.id] = url
        known = {feed.remote_id for feed in await self.write(self.store.server_feeds)}
        gone = known - {row.remote_id for row in rows} - {ARCHIVE_ID}
        self.feed_ids = await self.write(lambda: self.store.save_server_feeds(rows, gone))
        self.outcome.feeds = len(rows)

    async def _archive(self) -> int:
        """The cache's feed for stories whose feed the server does not list."""
        if ARCHIVE_ID not in self.feed_ids:
            row = ServerFeedRow(ARCHIVE_ID, f"{self.sync.service}:archive", f"{self.service.name} archive", None)
            self.feed_ids.update(await self.write(lambda: self.store.save_server_feeds([row])))
        return self.feed_ids[ARCHIVE_ID]

    # -- 3. stories ------------------------------------------------------------------------------------------

    async def stories(self) -> None:
        state = await self.write(self.store.sync_state)
        since = int(state.get("since_id", 0))
        self.pulled_everything = since == 0
        cutoff = self.clock() - self.config.settings.keep_days * 86400
        configured = {feed.url: feed for feed in self.config.feeds}
        largest, seen = since, 0
        async for page in _ahead(self.service.new_stories(since)):
            largest = max(largest, *(story.id for story in page))
            seen += len(page)
            kept = [story for story in page if story.feed_id not in self.dropped and
                    (story.starred or story.published is None or story.published.timestamp() >= cutoff)]
            if kept:
                await self._save(kept, configured)
            self.progress(f"stories: {seen:,}")
        await self.write(self.store.index_pending)
        # Only once every page is in: the pages come newest first, so an interrupted sync must ask again.
        await self.write(lambda: self.store.set_sync_state(since_id=largest))

    async def _save(self, page: list[RemoteStory], configured: dict[str, FeedConfig]) -> None:
        # Reading and tagging is CPU work: off the event loop, so the next page downloads meanwhile.
        entries = await asyncio.to_thread(entries_for, page, self.sync.service, self.feed_urls, configured)
        by_feed: dict[int, list[tuple[Any, RemoteStory]]] = {}
        for entry, story in zip(entries, page):
            feed_id = self.feed_ids.get(story.feed_id) or await self._archive()
            by_feed.setdefault(feed_id, []).append((entry, story))
        for feed_id, pairs in by_feed.items():
            saved = await self.write(partial(self.store.save_feed, feed_id, [e for e, _ in pairs], index=False))
            await self.write(partial(self.store.map_synced_stories, feed_id,
                                     [(e.key, s.id, s.read, s.starred) for e, s in pairs]))
            self.outcome.new += saved.new

    # -- 4. read and starred ---------------------------------------------------------------------------------

    async def flags(self, *, full: bool) -> None:
        queued = await self.write(lambda: self.store.queued_changes(flags.FIELDS))
        upto = queued[-1].id if queued else 0
        remote: Callable[[int], tuple[bool, bool] | None]
        state = await self.write(self.store.sync_state)
        count, scan = None, True
        if full:
            self.progress("read and starred")
            stories = await self.write(lambda: list(self.store.synced_stories()))
            count = await self.service.unread_count()
            if self.pulled_everything:  # every story came with its flags a moment ago: no need to ask again
                unread = {story.remote_id for story in stories if not story.remote_read}
                starred = {story.remote_id for story in stories if story.remote_starred}
            else:
                recent = await self.service.recently_read() if count is not None else set()
                scan = self._must_list_unread(count, recent, state, stories, queued)
                listed, starred = await self.service.flag_sets(unread=scan)
                # Unless listed: each story's read flag as last seen, but for those read there since.
                unread = listed if listed is not None else {
                    story.remote_id for story in stories if not story.remote_read and story.remote_id not in recent}

            def remote(remote_id: int) -> tuple[bool, bool] | None:
                return remote_id not in unread, remote_id in starred
        else:
            wanted = sorted({change.remote_id for change in queued if change.remote_id is not None})
            if not wanted:
                return
            remote = (await self.service.states(wanted)).get
            stories = await self.write(lambda: list(self.store.synced_stories(wanted)))
        seen_at = float(state["flags_at"]) if "flags_at" in state else None
        checked_at = self.clock()
        decided = flags.plan(stories, remote, queued, seen_at=seen_at, now=checked_at)
        for (name, value), ids in decided.sent_values().items():
            self.progress(f"sending {len(ids):,} {name} change{'' if len(ids) == 1 else 's'}")
            await self.service.send(name, value, ids)
        self.outcome.sent = len(decided.send)
        self.outcome.taken = await self.write(lambda: self.store.settle_flags(
            sent=decided.send + decided.agreed, taken=decided.take, upto=upto))
        if full:
            await self.write(lambda: self.store.set_sync_state(flags_at=checked_at))
        if count is not None:
            await self._remember_unread_count(checked_at if scan else None)

    def _must_list_unread(self, count: int | None, recent: set[int], state: dict[str, str],
                          stories: list[SyncedStory], queued: list[QueuedChange]) -> bool:
        """Whether to list every unread story of the server (tt-rss: a call per 200, each dear to the server),
        or take the read flags as last seen but for the stories read there lately (`recent`: tt-rss's
        "recently read", the last day's). The short way holds when the server's unread count is what the cache
        then expects: the stories unread there as last seen and not read since, plus the unread ones the cache
        does not hold (older than keep_days), as measured after the last sync. So a story made unread there
        shows in the count, even beside one read there. The whole list is asked for anyway when the last sync
        is older than "recently", and every UNREAD_LIST_HOURS."""
        if count is None or "unread_offset" not in state:
            return True
        now = self.clock()
        if now - float(state.get("flags_at", 0)) > (RECENT_HOURS - 1) * 3600:
            return True
        if now - float(state.get("unread_listed_at", 0)) > UNREAD_LIST_HOURS * 3600:
            return True
        held = {story.remote_id for story in stories}
        if any(change.remote_id not in held for change in queued):  # its server flag is needed to send it
            return True
        still_unread = sum(1 for story in stories if not story.remote_read and story.remote_id not in recent)
        return count != still_unread + int(state["unread_offset"])

    async def _remember_unread_count(self, listed_at: float | None) -> None:
        """After the flags are settled: what the server's unread count is beyond the stories the cache holds."""
        count = await self.service.unread_count()
        if count is None:
            return
        held = await self.write(self.store.remote_unread_count)
        values: dict[str, float | int] = {"unread_offset": count - held}
        if listed_at is not None:
            values["unread_listed_at"] = listed_at
        await self.write(lambda: self.store.set_sync_state(**values))


async def _ahead(pages: AsyncIterator[list[RemoteStory]]) -> AsyncIterator[list[RemoteStory]]:
    """The pages, the next one already asked for while the caller works on this one."""
    iterator = aiter(pages)
    following: asyncio.Future[list[RemoteStory] | None] = asyncio.ensure_future(anext(iterator, None))
    try:
        while (page := await following) is not None:
            following = asyncio.ensure_future(anext(iterator, None))
            yield page
    finally:
        if not following.done():
            following.cancel()
        try:
            await following
        except (asyncio.CancelledError, SyncError):
            pass  # the caller stopped, or already has the error that stopped it
        await iterator.aclose()  # type: ignore[attr-defined]


def _unique(name: str, taken: set[str]) -> str:
    """The name, or with a number after it when another feed has it: names pick feeds in the reader."""
    candidate, number = name, 2
    while candidate.casefold() in taken:
        candidate, number = f"{name} ({number})", number + 1
    return candidate
