"""tt-rss and Fever behind one face, for the sync engine: what the engine asks of a server, in its terms.

    service = open_service(sync_config, password, http)
    feeds = await service.feeds()                  # with each feed's category title
    async for page in service.new_stories(since_id): ...
    unread, starred = await service.flag_sets()    # the server's flags of every story it has
    await service.send("read", True, [ids])

The engine never branches on the protocol; the differences live here. tt-rss pages headlines 200 a call
(newest first) and sets many stories' flags in one call; Fever pages items 50 a call by id and marks one item
a call, so marks go a few at a time. Fever cannot subscribe (UNSUPPORTED, with the line that says so).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsreader.sync._wire import Http
from newsreader.sync.errors import SyncError
from newsreader.sync.fever import FeverClient
from newsreader.sync.model import RemoteCategory, RemoteFeed, RemoteStory, Secret, WireStats
from newsreader.sync.ttrss import ALL_ARTICLES, RECENTLY_READ, STARRED, ArticleField, TtRssClient, ViewMode

if TYPE_CHECKING:
    from newsreader.config.sync import SyncConfig

#: Fever marks one item a request: this many requests at once.
FEVER_MARKS_AT_ONCE = 8
#: tt-rss's "recently read" is what was read in the last day.
RECENT_HOURS = 24


@dataclass(frozen=True, slots=True)
class ServerFeed:
    """A subscription, with its category's title (the tag it becomes)."""

    feed: RemoteFeed
    category: str | None


class Service:
    """One user's account on one server, as the engine uses it."""

    name: str
    can_subscribe: bool
    stats: WireStats

    async def login(self) -> None:
        raise NotImplementedError

    async def feeds(self) -> list[ServerFeed]:
        raise NotImplementedError

    def new_stories(self, since_id: int) -> AsyncIterator[list[RemoteStory]]:
        """Every story with a server id above `since_id`, a page at a time."""
        raise NotImplementedError

    async def flag_sets(self, *, unread: bool = True) -> tuple[set[int] | None, set[int]]:
        """(unread ids, starred ids) of every story the server has; no unread ids unless `unread`."""
        raise NotImplementedError

    async def unread_count(self) -> int | None:
        """How many stories are unread on the server, when asking is cheaper than listing them (tt-rss)."""
        return None

    async def recently_read(self) -> set[int]:
        """The stories read on the server in the last RECENT_HOURS (with unread_count: tt-rss)."""
        return set()

    async def states(self, ids: Sequence[int]) -> dict[int, tuple[bool, bool]]:
        """Server id -> (read, starred), for these stories (those the server still has)."""
        raise NotImplementedError

    async def send(self, field: str, value: bool, ids: Sequence[int]) -> None:
        """Set one flag ('read' or 'starred') of these stories on the server."""
        raise NotImplementedError

    async def subscribe(self, url: str) -> int:
        """Subscribe; the server's id of the feed."""
        raise NotImplementedError

    async def unsubscribe(self, remote_id: int) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """End the session, if the protocol has one (never raises)."""


class TtRss(Service):
    name = "tt-rss"
    can_subscribe = True

    def __init__(self, client: TtRssClient) -> None:
        self.client = client
        self.stats = client.stats

    async def login(self) -> None:
        await self.client.login()

    async def feeds(self) -> list[ServerFeed]:
        return _categorised(await self.client.feeds(), await self.client.categories())

    async def new_stories(self, since_id: int) -> AsyncIterator[list[RemoteStory]]:
        async for page in self.client.headlines(ALL_ARTICLES, since_id=since_id, show_content=True):
            yield page

    async def flag_sets(self, *, unread: bool = True) -> tuple[set[int] | None, set[int]]:
        # The unread ones are every unread headline, 200 a call, each costing the server a good deal (labels,
        # enclosures, its flavour image): the engine asks only when the count says something changed.
        unread_ids = None
        if unread:
            unread_ids = {s.id async for page in self.client.headlines(ALL_ARTICLES, view_mode=ViewMode.UNREAD,
                                                                         show_content=False) for s in page}
        starred = {s.id async for page in self.client.headlines(STARRED, show_content=False) for s in page}
        return unread_ids, starred

    async def unread_count(self) -> int | None:
        return await self.client.unread_count()

    async def recently_read(self) -> set[int]:
        return {s.id async for page in self.client.headlines(RECENTLY_READ, show_content=False) for s in page}

    async def states(self, ids: Sequence[int]) -> dict[int, tuple[bool, bool]]:
        return {s.id: (s.read, s.starred) for s in await self.client.articles(ids)}

    async def send(self, field: str, value: bool, ids: Sequence[int]) -> None:
        if field == "read":
            await self.client.update_articles(ids, ArticleField.UNREAD, not value)
        else:
            await self.client.update_articles(ids, ArticleField.STARRED, value)

    async def subscribe(self, url: str) -> int:
        return (await self.client.subscribe(url)).feed_id

    async def unsubscribe(self, remote_id: int) -> None:
        await self.client.unsubscribe(remote_id)

    async def close(self) -> None:
        try:
            await self.client.logout()
        except SyncError:
            pass


class Fever(Service):
    name = "Fever"
    can_subscribe = False

    def __init__(self, client: FeverClient) -> None:
        self.client = client
        self.stats = client.stats

    async def login(self) -> None:
        await self.client.login()

    async def feeds(self) -> list[ServerFeed]:
        return _categorised(await self.client.feeds(), await self.client.groups())

    async def new_stories(self, since_id: int) -> AsyncIterator[list[RemoteStory]]:
        async for page in self.client.items(since_id=since_id):
            yield page

    async def flag_sets(self, *, unread: bool = True) -> tuple[set[int] | None, set[int]]:
        return await self.client.unread_item_ids(), await self.client.saved_item_ids()  # two calls, ids only

    async def states(self, ids: Sequence[int]) -> dict[int, tuple[bool, bool]]:
        return {s.id: (s.read, s.starred) async for page in self.client.items_with_ids(ids) for s in page}

    async def send(self, field: str, value: bool, ids: Sequence[int]) -> None:
        state = ("read" if value else "unread") if field == "read" else ("saved" if value else "unsaved")
        await _bounded(FEVER_MARKS_AT_ONCE, (self.client.mark_item(i, state) for i in ids))

    async def subscribe(self, url: str) -> int:
        await self.client.subscribe(url)  # raises UNSUPPORTED, saying so
        raise AssertionError("unreachable")

    async def unsubscribe(self, remote_id: int) -> None:
        await self.client.unsubscribe(remote_id)


def _categorised(feeds: Iterable[RemoteFeed], categories: Iterable[RemoteCategory]) -> list[ServerFeed]:
    """Each feed with the title of its (first) category: tt-rss's category, Fever's group."""
    titles = {category.id: category.title for category in categories}
    return [ServerFeed(feed, next((titles[c] for c in feed.category_ids if c in titles), None)) for feed in feeds]


async def _bounded(at_once: int, calls: Iterable) -> None:
    """Await the calls, `at_once` at a time; the first failure stops the rest."""
    pending = iter(calls)

    async def worker() -> None:
        for call in pending:
            await call

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(at_once):
                group.create_task(worker())
    except ExceptionGroup as failures:  # the caller hears of the first failure as itself
        raise failures.exceptions[0] from None


def open_service(sync: SyncConfig, password: Secret, http: Http) -> Service:
    if sync.service == "ttrss":
        return TtRss(TtRssClient(http, sync.url, sync.user, password))
    return Fever(FeverClient(http, sync.url, sync.user, password))
