"""The Fever client against a real Fever server (coldsweat 0.10.2, started by .ci/sync-servers.sh).

Fever cannot subscribe, so tests subscribe through coldsweat's own command (an OPML import) and make it
fetch, as its cron job would. Each test's feeds and guids are its own; the server is shared.
"""

from __future__ import annotations

import pytest

from newsreader.sync import FeverClient, SyncError, SyncErrorKind
from newsreader.sync.fever import PAGE_SIZE

from sync_servers import FeedFolder, SyncServers, item, rss


def client(servers: SyncServers, http, *, password: str | None = None) -> FeverClient:
    return FeverClient(http, servers.fever_url, servers.fever_user,
                       password if password is not None else servers.fever_password)


async def subscribed(servers: SyncServers, fever: FeverClient, folder: FeedFolder, name: str, body: str,
                     group: str | None = None) -> int:
    url = folder.write(name, body)
    servers.fever_subscribe(url, name, group)
    servers.fever_fetch()
    return next(f.id for f in await fever.feeds() if f.url == url)


async def stories_of(fever: FeverClient, feed_id: int):
    return [s for page in [p async for p in fever.items()] for s in page if s.feed_id == feed_id]


async def test_login_checks_the_key(sync_servers, http):
    assert await client(sync_servers, http).login() == 3


async def test_a_wrong_password_is_login_refused(sync_servers, http):
    with pytest.raises(SyncError) as raised:
        await client(sync_servers, http, password="not the password").feeds()
    assert raised.value.kind is SyncErrorKind.LOGIN_REFUSED


async def test_fever_cannot_subscribe_and_says_so(sync_servers, http):
    fever = client(sync_servers, http)
    for attempt in (fever.subscribe("http://example.invalid/feed.xml"), fever.unsubscribe(1)):
        with pytest.raises(SyncError) as raised:
            await attempt
        assert raised.value.kind is SyncErrorKind.UNSUPPORTED
        assert "cannot subscribe" in str(raised.value)
    assert fever.stats.requests == 0  # said without asking the server


async def test_feeds_groups_and_items_come_through(sync_servers, feed_folder, http):
    token = feed_folder.token
    fever = client(sync_servers, http)
    body = rss("Fever World", [
        item(f"{token}-1", "First <script>x</script>", minutes_ago=30, description="<p>Hello</p>", author="Ann"),
        item(f"{token}-2", "Zweiter Artikel über Straßen", minutes_ago=20),
    ])
    group = f"Group {token}"
    feed_id = await subscribed(sync_servers, fever, feed_folder, "world.xml", body, group=group)

    groups = {g.title: g.id for g in await fever.groups()}
    assert group in groups
    feed = next(f for f in await fever.feeds() if f.id == feed_id)
    assert groups[group] in feed.category_ids
    stories = {s.link.rsplit("/", 1)[1]: s for s in await stories_of(fever, feed_id)}
    assert set(stories) == {f"{token}-1", f"{token}-2"}
    first = stories[f"{token}-1"]
    assert first.title.startswith("First")  # coldsweat strips tags from titles itself
    assert first.content == "<p>Hello</p>" and first.guid is None  # markup comes as is: the caller sanitises
    assert not first.read and not first.starred
    assert first.published is not None


async def test_marks_reach_the_server_and_its_id_lists(sync_servers, feed_folder, http):
    token = feed_folder.token
    fever = client(sync_servers, http)
    feed_id = await subscribed(sync_servers, fever, feed_folder, "marks.xml",
                               rss("Marks", [item(f"{token}-{n}", minutes_ago=n) for n in range(3)]))
    a, b, c = sorted(s.id for s in await stories_of(fever, feed_id))
    assert {a, b, c} <= await fever.unread_item_ids()

    await fever.mark_read(a)
    await fever.mark_saved(b)
    unread, saved = await fever.unread_item_ids(), await fever.saved_item_ids()
    assert a not in unread and {b, c} <= unread
    assert b in saved and a not in saved and c not in saved
    state = {s.id: (s.read, s.starred) for page in [p async for p in fever.items_with_ids([a, b, c])] for s in page}
    assert state == {a: (True, False), b: (False, True), c: (False, False)}
    assert sync_servers.fever_sql(f"SELECT entry_id FROM read WHERE entry_id IN ({a}, {b}, {c})") == [(a,)]
    assert sync_servers.fever_sql(f"SELECT entry_id FROM saved WHERE entry_id IN ({a}, {b}, {c})") == [(b,)]

    await fever.mark_read(a, read=False)
    await fever.mark_saved(b, saved=False)
    assert a in await fever.unread_item_ids() and b not in await fever.saved_item_ids()


async def test_more_than_one_page_of_items_comes_whole_and_since_id_gives_only_the_new(sync_servers, feed_folder, http):
    token = feed_folder.token
    fever = client(sync_servers, http)
    items = [item(f"{token}-{n}", minutes_ago=n) for n in range(PAGE_SIZE + 20)]
    feed_id = await subscribed(sync_servers, fever, feed_folder, "many.xml", rss("Many", items))
    mine = await stories_of(fever, feed_id)
    assert sorted(s.link.rsplit("/", 1)[1] for s in mine) == sorted(i.guid for i in items)
    assert len({s.id for s in mine}) == len(items)

    last_seen = max(s.id for page in [p async for p in fever.items()] for s in page)
    newer = [item(f"{token}-new-{n}") for n in range(3)]
    feed_folder.write("many.xml", rss("Many", newer + items))
    sync_servers.fever_fetch()
    fresh = [s for page in [p async for p in fever.items(since_id=last_seen)] for s in page if s.feed_id == feed_id]
    assert sorted(s.link.rsplit("/", 1)[1] for s in fresh) == sorted(i.guid for i in newer)
