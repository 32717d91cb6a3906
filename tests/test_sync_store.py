"""The cache's side of a sync (schema 7, store/sync.py): server feeds and stories, and the queue of changes
that fills by trigger, in order, whatever made the change."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newsreader.model import StoryFilter
from newsreader.store import Store
from newsreader.store.sync import FlagUpdate, ServerFeedRow

from ui_helpers import entry


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "cache.db")
    yield store
    store.close()


def server_stories(store: Store, remote_feed: int = 10, count: int = 3, *, starred: int | None = None) -> dict[int, int]:
    """A server feed with `count` stories, server ids 100, 101...; returns server id -> story id."""
    feed_id = store.save_server_feeds([ServerFeedRow(remote_feed, f"http://feeds.example/{remote_feed}", f"Feed {remote_feed}",
                                                     "World")])[remote_feed]
    keys = [f"ttrss:{remote_feed * 100 + n}" for n in range(count)]
    store.save_feed(feed_id, [entry(key, f"Story {key}") for key in keys])
    rows = [(key, remote_feed * 100 + n, False, remote_feed * 100 + n == starred) for n, key in enumerate(keys)]
    assert store.map_synced_stories(feed_id, rows) == count
    return {s.remote_id: s.story_id for s in store.synced_stories()}


def test_a_change_of_a_synced_story_is_queued_in_order_and_a_local_story_is_not(store):
    ids = server_stories(store)
    local_feed = store.sync_feeds([])  # nothing configured
    assert local_feed == {}
    before = time.time()
    store.set_read([ids[1000]])
    store.set_starred(ids[1001], True)
    store.set_read([ids[1000]], False)
    store.set_read([ids[1000]], False)  # no change: nothing queued
    queued = store.queued_changes()
    assert [(c.op, c.remote_id, c.value) for c in queued] == [("read", 1000, True), ("starred", 1001, True),
                                                               ("read", 1000, False)]
    assert all(before - 1 <= c.at <= time.time() + 1 for c in queued)
    assert [c.id for c in queued] == sorted(c.id for c in queued)


def test_mark_all_read_queues_every_synced_story_it_changes(store):
    server_stories(store, count=4)
    changed = store.set_read_matching(StoryFilter(), True)
    assert changed == 4
    assert sorted(c.remote_id for c in store.queued_changes()) == [1000, 1001, 1002, 1003]


def test_the_servers_own_flags_are_written_quietly(store):
    ids = server_stories(store, starred=1002)
    assert store.story(ids[1002]).starred  # taken from the server when first stored
    assert store.queued_changes() == []
    store.settle_flags(sent=[], taken=[FlagUpdate(1000, "read", True)], upto=0)
    assert store.story(ids[1000]).read
    assert store.queued_changes() == []


def test_settling_keeps_a_change_made_after_the_step_began(store):
    ids = server_stories(store)
    store.set_starred(ids[1000], True)
    upto = store.queued_changes()[-1].id
    store.set_read([ids[1001]])  # made while the sync was talking to the server
    store.settle_flags(sent=[FlagUpdate(1000, "starred", True)], taken=[FlagUpdate(1001, "read", False)], upto=upto)
    assert store.story(ids[1001]).read  # the newer local change stays
    assert [(c.op, c.remote_id) for c in store.queued_changes()] == [("read", 1001)]
    known = {s.remote_id: s for s in store.synced_stories()}
    assert known[1000].remote_starred and not known[1001].remote_read


def test_a_feed_the_server_dropped_goes_with_its_unstarred_stories(store):
    ids = server_stories(store, count=3)
    store.set_starred(ids[1001], True)
    store.save_server_feeds([], gone=[10])
    assert store.server_feeds() == []
    assert [s.id for s in store.stories()] == [ids[1001]]
    assert store.feeds()[0].name == "Feed 10"  # the feed row stays while a starred story needs it


def test_a_server_feed_is_renamed_and_keeps_its_row(store):
    server_stories(store)
    feed_id = store.server_feeds()[0].feed_id
    store.save_server_feeds([ServerFeedRow(10, "http://feeds.example/10", "Renamed", None)])
    (feed,) = store.server_feeds()
    assert (feed.feed_id, feed.name, feed.category) == (feed_id, "Renamed", None)


def test_unsubscribing_a_server_feed_queues_it_and_deletes_its_stories(store):
    server_stories(store)
    feed_id = store.server_feeds()[0].feed_id
    assert store.unsubscribe_server_feed(feed_id) == (3, 0)
    assert [(c.op, c.remote_id) for c in store.queued_changes()] == [("unsubscribe", 10)]
    assert store.feeds() == [] and store.server_feeds() == []


def test_another_server_starts_over(store):
    assert store.start_sync_with("ttrss https://a/ ann") is False
    ids = server_stories(store)
    store.set_starred(ids[1002], True)
    assert store.start_sync_with("ttrss https://a/ ann") is False
    assert store.start_sync_with("fever https://b/ ann") is True
    assert [s.id for s in store.stories()] == [ids[1002]]  # starred stays, as an unsubscribed feed's would
    assert store.queued_changes() == [] and list(store.synced_stories()) == []
    assert store.sync_state() == {"identity": "fever https://b/ ann"}
