"""The sync engine against a server in memory: what comes, what goes, who wins, and what a failure leaves.
The same engine against the real tt-rss and Fever servers, through the real `newsreader`, is in
test_sync_real.py."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newsreader.config.sync import SyncConfig
from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.model import StoryFilter
from newsreader.store import Store
from newsreader.sync import RemoteFeed, RemoteStory, SyncError, SyncErrorKind, WireStats
from newsreader.sync.engine import run_sync
from newsreader.sync.service import ServerFeed, Service

NOW = time.time()


class MemoryServer(Service):
    """A tt-rss account in memory: feeds, stories, flags; `fail_at` makes one step fail as a dead server's."""

    name = "tt-rss"
    can_subscribe = True

    def __init__(self) -> None:
        self.stats = WireStats()
        self.feeds_: dict[int, ServerFeed] = {}
        self.stories: dict[int, RemoteStory] = {}
        self.unread: set[int] = set()
        self.starred: set[int] = set()
        self.fail_at: str | None = None
        self.asked_since: list[int] = []
        self.sent: list[tuple[str, bool, tuple[int, ...]]] = []
        self.subscribed: list[str] = []
        self.unsubscribed: list[int] = []
        self.calls: list[str] = []
        self.read_lately: set[int] = set()  #: tt-rss's "recently read"

    def _step(self, name: str) -> None:
        self.calls.append(name)
        if self.fail_at == name:
            raise SyncError(SyncErrorKind.UNREACHABLE, "tt-rss at http://x/: unreachable (Connection refused)")

    def add_feed(self, remote_id: int, title: str, category: str | None = None) -> None:
        self.feeds_[remote_id] = ServerFeed(RemoteFeed(remote_id, title, f"http://feeds.example/{remote_id}.xml"),
                                            category)

    def add_story(self, remote_id: int, feed_id: int, title: str, *, hours_ago: float = 1, content: str = "",
                  read: bool = False, starred: bool = False) -> None:
        self.stories[remote_id] = RemoteStory(
            id=remote_id, feed_id=feed_id, guid=None, link=f"http://127.0.0.1:9/{remote_id}", title=title, author="",
            published=datetime.fromtimestamp(NOW, UTC) - timedelta(hours=hours_ago), content=content,
            read=read, starred=starred)
        (self.unread.discard if read else self.unread.add)(remote_id)
        (self.starred.add if starred else self.starred.discard)(remote_id)

    async def login(self) -> None:
        self._step("login")

    async def feeds(self) -> list[ServerFeed]:
        self._step("feeds")
        return list(self.feeds_.values())

    async def new_stories(self, since_id: int) -> AsyncIterator[list[RemoteStory]]:
        self._step("stories")
        self.asked_since.append(since_id)
        newer = sorted((s for s in self.stories.values() if s.id > since_id), key=lambda s: -s.id)
        for start in range(0, len(newer), 2):  # pages of two, newest first, as tt-rss gives them
            yield [self._now(s) for s in newer[start:start + 2]]

    def _now(self, story: RemoteStory) -> RemoteStory:
        from dataclasses import replace
        return replace(story, read=story.id not in self.unread, starred=story.id in self.starred)

    async def flag_sets(self, *, unread: bool = True) -> tuple[set[int] | None, set[int]]:
        self._step("flag_sets" if unread else "starred only")
        return set(self.unread) if unread else None, set(self.starred)

    async def unread_count(self) -> int | None:
        self._step("unread_count")
        return len(self.unread)

    async def recently_read(self) -> set[int]:
        return set(self.read_lately)

    async def states(self, ids: Sequence[int]) -> dict[int, tuple[bool, bool]]:
        self._step("states")
        return {i: (i not in self.unread, i in self.starred) for i in ids if i in self.stories}

    async def send(self, field: str, value: bool, ids: Sequence[int]) -> None:
        self._step("send")
        self.sent.append((field, value, tuple(sorted(ids))))
        for i in ids:
            if field == "read":
                (self.unread.discard if value else self.unread.add)(i)
            else:
                (self.starred.add if value else self.starred.discard)(i)

    async def subscribe(self, url: str) -> int:
        self._step("subscribe")
        self.subscribed.append(url)
        return 99

    async def unsubscribe(self, remote_id: int) -> None:
        self._step("unsubscribe")
        self.unsubscribed.append(remote_id)
        self.feeds_.pop(remote_id, None)
        from dataclasses import replace
        for story in list(self.stories.values()):  # tt-rss keeps the starred ones, archived (feed 0)
            if story.feed_id == remote_id:
                if story.id in self.starred:
                    self.stories[story.id] = replace(story, feed_id=0)
                else:
                    del self.stories[story.id]


SYNC = SyncConfig("ttrss", "http://tt-rss.example/", "ann")


def config(*feeds: FeedConfig, keep_days: int = 30) -> Config:
    return Config(settings=Settings(keep_days=keep_days), feeds=feeds, sync=SYNC)


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "cache.db")
    yield store
    store.close()


@pytest.fixture
def server() -> MemoryServer:
    server = MemoryServer()
    server.add_feed(1, "World \x1b[31mDesk", category="News")
    server.add_feed(2, "Caucasus Wire")
    server.add_story(11, 1, "Armenia and Azerbaijan resume talks", content="<p>Leaders met in Yerevan.</p>")
    server.add_story(12, 1, "Brazil floods recede", read=True)
    server.add_story(13, 2, "Georgia <script>x</script> votes", starred=True)
    return server


async def sync(store: Store, server: MemoryServer, cfg: Config | None = None, *, full: bool = True, clock=time.time):
    return await run_sync(store, cfg or config(), service=server, full=full, clock=clock)


def by_title(store: Store) -> dict[str, object]:
    return {s.title: s for s in store.stories()}


async def test_a_first_sync_brings_the_feeds_and_stories_tagged_with_the_servers_flags(store, server):
    outcome = await sync(store, server)
    assert outcome.ok and (outcome.new, outcome.feeds) == (3, 2)
    stories = by_title(store)
    assert set(stories) == {"Armenia and Azerbaijan resume talks", "Brazil floods recede", "Georgia votes"}
    talks = stories["Armenia and Azerbaijan resume talks"]
    assert talks.countries[:2] == ("AM", "AZ") and talks.feed == "World Desk" and not talks.read
    assert stories["Brazil floods recede"].read and stories["Georgia votes"].starred
    feeds = {f.name: f for f in store.server_feeds()}
    assert feeds["World Desk"].category == "News" and feeds["Caucasus Wire"].category is None
    assert store.queued_changes() == [] and outcome.sent == outcome.taken == 0
    assert store.count(StoryFilter(search="Yerevan")).total == 1  # searchable at once


async def test_the_next_sync_asks_only_for_what_is_new(store, server):
    await sync(store, server)
    server.add_story(14, 2, "Tbilisi protests grow")
    outcome = await sync(store, server)
    assert server.asked_since == [0, 13]
    assert outcome.new == 1 and "Tbilisi protests grow" in by_title(store)


async def test_read_and_starred_here_reach_the_server_and_leave_the_queue(store, server):
    await sync(store, server)
    stories = by_title(store)
    store.set_read([stories["Armenia and Azerbaijan resume talks"].id])
    store.set_starred(stories["Brazil floods recede"].id, True)
    server.calls.clear()
    outcome = await sync(store, server, full=False)
    assert outcome.ok and outcome.sent == 2 and outcome.pending == 0
    assert 11 not in server.unread and 12 in server.starred
    assert "flag_sets" not in server.calls and "states" in server.calls  # the short form asks of the two alone
    assert store.queued_changes() == []


async def test_a_star_on_the_server_comes_here_and_is_not_sent_back(store, server):
    await sync(store, server)
    server.starred.add(11)
    server.unread.add(12)
    outcome = await sync(store, server)
    stories = by_title(store)
    assert stories["Armenia and Azerbaijan resume talks"].starred and not stories["Brazil floods recede"].read
    assert outcome.taken == 2 and server.sent == [] and store.queued_changes() == []


@pytest.mark.parametrize(("here_later", "expected"), [(True, False), (False, True)])
async def test_when_both_sides_changed_a_flag_the_later_change_wins(store, server, here_later, expected):
    # The server's flags were last seen 10 hours before the change here (here_later) or a minute before.
    clock = [time.time() - (36000 if here_later else 60)]
    await sync(store, server, clock=lambda: clock[0])
    talks = by_title(store)["Armenia and Azerbaijan resume talks"]
    # Here: starred and unstarred again (back to what the server had), now; there: starred, somewhen between
    # that sync and the next, taken as halfway.
    store.set_starred(talks.id, True)
    store.set_starred(talks.id, False)
    server.starred.add(11)
    # The next sync: a minute after the change here (here_later), or 10 hours after it.
    clock[0] = time.time() + (60 if here_later else 36000)
    outcome = await sync(store, server, clock=lambda: clock[0])
    assert store.story(talks.id).starred is expected
    assert (11 in server.starred) is expected
    assert outcome.ok and store.queued_changes() == []


async def test_changes_made_while_the_server_is_down_are_kept_and_sent_when_it_is_back(store, server):
    await sync(store, server)
    talks = by_title(store)["Armenia and Azerbaijan resume talks"]
    store.set_starred(talks.id, True)
    server.fail_at = "login"
    outcome = await sync(store, server)
    assert not outcome.ok and outcome.error_kind == "unreachable" and "\n" not in outcome.error
    assert not outcome.settings_error and outcome.pending == 1
    assert store.story(talks.id).starred  # the reader still has it
    server.fail_at = None
    outcome = await sync(store, server)
    assert outcome.ok and 11 in server.starred and outcome.pending == 0


async def test_a_failure_half_way_keeps_what_came(store, server):
    server.fail_at = "unread_count"  # the flags, after the stories
    outcome = await sync(store, server)
    assert outcome.error_kind == "unreachable" and outcome.new == 3
    assert len(store.stories()) == 3


async def test_a_feed_the_server_dropped_goes_here_but_its_starred_stories_stay(store, server):
    await sync(store, server)
    del server.feeds_[2]
    server.add_story(13, 2, "Georgia <script>x</script> votes", starred=True)
    outcome = await sync(store, server)
    assert outcome.feeds == 1 and [f.name for f in store.server_feeds()] == ["World Desk"]
    assert "Georgia votes" in by_title(store)


async def test_an_unsubscribe_made_here_offline_reaches_the_server_and_the_feed_does_not_come_back(store, server):
    await sync(store, server)
    feed = next(f for f in store.server_feeds() if f.name == "Caucasus Wire")
    store.unsubscribe_server_feed(feed.feed_id)
    server.add_story(15, 2, "More from the Caucasus")
    server.fail_at = "unsubscribe"
    assert not (await sync(store, server)).ok
    assert "Caucasus Wire" not in [f.name for f in store.server_feeds()]
    server.fail_at = None
    outcome = await sync(store, server)
    assert server.unsubscribed == [2] and outcome.subscriptions == 1
    assert "Caucasus Wire" not in [f.name for f in store.server_feeds()]
    assert "More from the Caucasus" not in by_title(store)


async def test_a_queued_subscription_is_made_on_the_server(store, server):
    store.queue_subscription("http://new.example/feed.xml")
    outcome = await sync(store, server)
    assert server.subscribed == ["http://new.example/feed.xml"] and outcome.subscriptions == 1
    assert store.queued_changes() == []


async def test_stories_older_than_keep_days_are_not_kept_unless_starred(store, server):
    server.add_story(20, 1, "Old news", hours_ago=24 * 40)
    server.add_story(21, 1, "Old but starred", hours_ago=24 * 40, starred=True)
    await sync(store, server)
    titles = set(by_title(store))
    assert "Old news" not in titles and "Old but starred" in titles


async def test_a_feeds_entry_of_the_same_url_names_the_server_feed_and_pins_its_countries(store, server):
    pinned = FeedConfig("Le Monde", "http://feeds.example/2.xml", countries=("FR",))
    await sync(store, server, config(pinned))
    georgia = by_title(store)["Georgia votes"]
    assert georgia.feed == "Le Monde" and "FR" in georgia.countries


async def test_two_server_feeds_of_one_name_get_names_of_their_own(store, server):
    server.add_feed(3, "Caucasus Wire")
    await sync(store, server)
    assert sorted(f.name for f in store.server_feeds()) == ["Caucasus Wire", "Caucasus Wire (2)", "World Desk"]


async def test_a_story_whose_feed_the_server_does_not_list_goes_to_the_archive(store, server):
    server.add_story(30, 0, "Kept from a feed long gone", starred=True)
    await sync(store, server)
    assert by_title(store)["Kept from a feed long gone"].feed == "tt-rss archive"


async def test_another_server_starts_over(store, server):
    await sync(store, server)
    other = config()
    other = Config(settings=other.settings, sync=SyncConfig("ttrss", "http://other.example/", "ann"))
    fresh = MemoryServer()
    outcome = await run_sync(store, other, service=fresh)
    assert outcome.ok
    assert set(by_title(store)) == {"Georgia votes"}  # starred: kept, as an unsubscribed feed's


async def test_a_mistyped_server_that_does_not_answer_costs_nothing_waiting_for_the_right_one(store, server):
    await sync(store, server)
    store.set_starred(by_title(store)["Brazil floods recede"].id, True)
    typo = Config(settings=Settings(keep_days=30), sync=SyncConfig("ttrss", "http://tt-rsss.example/", "ann"))
    dead = MemoryServer()
    dead.fail_at = "login"
    outcome = await run_sync(store, typo, service=dead, full=False)
    assert not outcome.ok and outcome.pending == 1 and len(store.stories()) == 3
    outcome = await sync(store, server, full=False)
    assert outcome.ok and 12 in server.starred


async def test_the_servers_stories_get_their_articles_when_the_settings_keep_them(store, server, feed_server, monkeypatch):
    from dataclasses import replace

    import newsreader.sync.engine
    from newsreader.refresh import refresh_feeds

    page = feed_server.page("/world/sevan.html", (Path(__file__).parent / "pages" / "article.html").read_bytes())
    server.stories[11] = replace(server.stories[11], link=page)
    monkeypatch.setattr(newsreader.sync.engine, "open_service", lambda *args: server)
    monkeypatch.setenv("NEWSREADER_SYNC_PASSWORD", "unused")
    cfg = Config(settings=Settings(keep_days=30, fulltext=True), sync=SYNC)
    summary = await refresh_feeds(store, cfg, feeds=[], sync=True, extract_workers=0)
    assert summary.sync.ok and summary.sync.new == 3
    assert summary.articles_extracted == 1
    (story,) = [s for s in store.stories() if s.link == page]
    assert story.text_source == "article" and "Sevan" in story.text


def test_sending_to_a_server_that_never_answers_stops_when_told(store, server, tmp_path, monkeypatch):
    """The reader quitting must not wait out the timeout of a send to a server that went silent."""
    import socket
    import threading

    from newsreader.errors import RefreshCancelled
    from newsreader.sync.actions import send_changes

    asyncio_run = __import__("asyncio").run
    asyncio_run(sync(store, server))
    store.set_starred(by_title(store)["Brazil floods recede"].id, True)
    monkeypatch.setenv("NEWSREADER_SYNC_PASSWORD", "unused")
    with socket.socket() as silent:  # accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        cfg = Config(settings=Settings(keep_days=30, timeout=60),
                     sync=SyncConfig("ttrss", f"http://127.0.0.1:{silent.getsockname()[1]}/tt-rss/", "ann"))
        store.set_sync_state(identity=cfg.sync.identity)  # the same server, by this test's address
        cancel = threading.Event()
        threading.Timer(0.3, cancel.set).start()
        started = time.perf_counter()
        with pytest.raises(RefreshCancelled):
            send_changes(store, cfg, cancel=cancel)
        assert time.perf_counter() - started < 5
    assert store.queued_count() == 1  # kept for the next time


async def test_the_unread_list_is_asked_for_only_when_the_servers_unread_count_moved(store, server):
    clock = [time.time()]
    await sync(store, server, clock=lambda: clock[0])
    assert "flag_sets" not in server.calls  # the first sync's stories came with their flags
    server.calls.clear()
    await sync(store, server, clock=lambda: clock[0])  # nothing changed anywhere
    assert "flag_sets" not in server.calls and "starred only" in server.calls

    server.unread.discard(11)  # read on another device: "recently read" says which, the count agrees
    server.read_lately.add(11)
    server.calls.clear()
    outcome = await sync(store, server, clock=lambda: clock[0])
    assert "flag_sets" not in server.calls and outcome.taken == 1
    assert by_title(store)["Armenia and Azerbaijan resume talks"].read

    # Read one there and made another unread there: the count is as it was, but not what the cache expects
    # once the one read is taken away; the whole list is asked for.
    server.unread.discard(13)
    server.read_lately.add(13)
    server.unread.add(11)
    server.read_lately.discard(11)
    server.calls.clear()
    outcome = await sync(store, server, clock=lambda: clock[0])
    stories = by_title(store)
    assert "flag_sets" in server.calls and outcome.taken == 2
    assert not stories["Armenia and Azerbaijan resume talks"].read and stories["Georgia votes"].read

    # A day without a sync is longer than "recently": the whole list again.
    clock[0] += 24 * 3600
    server.calls.clear()
    await sync(store, server, clock=lambda: clock[0])
    assert "flag_sets" in server.calls


async def test_unread_stories_the_cache_does_not_hold_do_not_make_it_list_them_every_time(store, server):
    server.add_story(40, 1, "Too old to keep", hours_ago=24 * 60)  # unread there, never kept here
    await sync(store, server)
    server.calls.clear()
    await sync(store, server)
    assert "flag_sets" not in server.calls
