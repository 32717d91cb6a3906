"""The tt-rss client against a real Tiny Tiny RSS (Debian's tt-rss 21, started by .ci/sync-servers.sh).

Each test writes its own feeds (guids unique to it) and looks only at its own feeds' stories: the servers
are shared by every test of a run, pytest-xdist's workers included.
"""

from __future__ import annotations

import time

import pytest

from newsreader.sync import SyncError, SyncErrorKind, TtRssClient
from newsreader.sync.ttrss import STARRED, ViewMode, guid_hash, guid_hash_of

from sync_servers import ServerSwitch, SyncServers, item, rss


def client(servers: SyncServers, http, *, user: str | None = None, password: str | None = None) -> TtRssClient:
    return TtRssClient(http, servers.ttrss_url, user or servers.ttrss_user,
                       password if password is not None else servers.ttrss_password)


async def all_headlines(ttrss: TtRssClient, feed_id: int, **options):
    pages = [page async for page in ttrss.headlines(feed_id, **options)]
    return pages, [story for page in pages for story in page]


async def subscribed_and_fetched(ttrss: TtRssClient, servers: SyncServers, url: str) -> int:
    result = await ttrss.subscribe(url)
    assert not result.already_subscribed
    servers.ttrss_update()
    return result.feed_id


# ------------------------------------------------------------------------------------------------- login


async def test_login_gives_a_session_and_the_api_level(sync_servers, http):
    ttrss = client(sync_servers, http)
    assert await ttrss.login() >= 15
    assert await ttrss.get_api_level() >= 15


async def test_a_wrong_password_is_login_refused(sync_servers, http):
    with pytest.raises(SyncError) as raised:
        await client(sync_servers, http, password="not the password").login()
    assert raised.value.kind is SyncErrorKind.LOGIN_REFUSED
    assert "login refused" in str(raised.value)


async def test_a_user_without_api_access_is_api_disabled(sync_servers, http):
    ttrss = client(sync_servers, http, user=sync_servers.ttrss_noapi_user,
                   password=sync_servers.ttrss_noapi_password)
    with pytest.raises(SyncError) as raised:
        await ttrss.feeds()
    assert raised.value.kind is SyncErrorKind.API_DISABLED
    assert sync_servers.ttrss_noapi_user in str(raised.value)


async def test_an_unknown_user_is_login_refused_too(sync_servers, http):
    with pytest.raises(SyncError) as raised:
        await client(sync_servers, http, user="nobody-here", password="x").login()
    assert raised.value.kind is SyncErrorKind.LOGIN_REFUSED


async def test_a_session_the_server_forgot_is_renewed_by_logging_in_again(sync_servers, http):
    ttrss = client(sync_servers, http)
    await ttrss.login()
    old_sid = ttrss._sid.reveal()
    sync_servers.ttrss_sql(f"DELETE FROM ttrss_sessions WHERE id = '{old_sid}'")
    assert isinstance(await ttrss.feeds(), list)  # NOT_LOGGED_IN, then login again, then the call
    assert ttrss._sid.reveal() != old_sid


async def test_a_server_that_goes_away_is_unreachable_and_the_same_client_works_when_it_is_back(sync_servers, http):
    with ServerSwitch(sync_servers.ttrss_url) as switch:
        ttrss = TtRssClient(http, switch.url, sync_servers.ttrss_user, sync_servers.ttrss_password)
        await ttrss.feeds()
        switch.down()
        with pytest.raises(SyncError) as raised:
            await ttrss.feeds()
        assert raised.value.kind is SyncErrorKind.UNREACHABLE
        switch.up()
        assert isinstance(await ttrss.feeds(), list)  # the session outlived the outage


# ------------------------------------------------------------------------------------------ subscriptions


async def test_subscribe_then_the_updater_brings_the_stories_through_the_client(sync_servers, feed_folder, http):
    token = feed_folder.token
    url = feed_folder.write("world.xml", rss("World <b>News</b>", [
        item(f"{token}-1", "First <script>alert(1)</script>", minutes_ago=30, description="<p>Hello</p>",
             author="ann@example.invalid (Ann)"),
        item(f"{token}-2", "Zweiter Artikel über Straßen", minutes_ago=20, description="Grüße"),
        item(f"{token}-3", "Третья новость", minutes_ago=10, description="Привет"),
    ]))
    ttrss = client(sync_servers, http)
    feed_id = await subscribed_and_fetched(ttrss, sync_servers, url)
    again = await ttrss.subscribe(url)
    assert (again.feed_id, again.already_subscribed) == (feed_id, True)

    feed = next(f for f in await ttrss.feeds() if f.id == feed_id)
    assert (feed.url, feed.category_ids) == (url, ())
    assert "News" in feed.title  # tt-rss keeps or strips the markup by its own rules: either is text here

    pages, stories = await all_headlines(ttrss, feed_id)
    assert len(pages) == 1
    by_guid = {guid_hash_of(s.guid): s for s in stories}
    assert set(by_guid) == {guid_hash(f"{token}-{n}") for n in (1, 2, 3)}
    first = by_guid[guid_hash(f"{token}-1")]
    assert first.feed_id == feed_id and first.link.endswith(f"/{token}-1")
    assert "alert(1)" in first.title  # server text comes back as text, for the reader to show literally
    assert "Hello" in first.content
    assert "Ann" in first.author
    assert not first.read and not first.starred
    assert first.published is not None and abs(first.published.timestamp() - (time.time() - 1800)) < 120
    assert by_guid[guid_hash(f"{token}-3")].title == "Третья новость"

    counters = await ttrss.counters()
    assert counters.feeds[feed_id] == 3
    assert counters.unread >= 3


async def test_a_category_on_the_server_comes_through_feeds_and_categories(sync_servers, feed_folder, http):
    ttrss = client(sync_servers, http)
    await ttrss.login()
    title = f"Cat {feed_folder.token} «Europe»"
    category_id = int(sync_servers.ttrss_sql(
        "INSERT INTO ttrss_feed_categories (owner_uid, title) SELECT id, $t$" + title + "$t$ FROM ttrss_users "
        f"WHERE login = '{sync_servers.ttrss_user}' RETURNING id"))
    url = feed_folder.write("cat.xml", rss("Categorised", [item(f"{feed_folder.token}-c1")]))
    result = await ttrss.subscribe(url, category_id=category_id)
    feed = next(f for f in await ttrss.feeds() if f.id == result.feed_id)
    assert feed.category_ids == (category_id,)
    assert any(c.id == category_id and c.title == title for c in await ttrss.categories())


async def test_unsubscribe_removes_the_feed_and_a_second_time_is_rejected(sync_servers, feed_folder, http):
    ttrss = client(sync_servers, http)
    url = feed_folder.write("gone.xml", rss("Going", [item(f"{feed_folder.token}-g1")]))
    feed_id = (await ttrss.subscribe(url)).feed_id
    await ttrss.unsubscribe(feed_id)
    assert feed_id not in {f.id for f in await ttrss.feeds()}
    with pytest.raises(SyncError) as raised:
        await ttrss.unsubscribe(feed_id)
    assert raised.value.kind is SyncErrorKind.REJECTED and raised.value.detail == "FEED_NOT_FOUND"


@pytest.mark.parametrize("where", ["missing", "loopback"])
async def test_a_subscription_the_server_cannot_make_is_rejected(sync_servers, feed_folder, http, where):
    url = feed_folder.url + "missing.xml" if where == "missing" else sync_servers.ttrss_url
    with pytest.raises(SyncError) as raised:
        await client(sync_servers, http).subscribe(url)
    assert raised.value.kind is SyncErrorKind.REJECTED
    assert "could not subscribe" in str(raised.value)


# ---------------------------------------------------------------------------------------- read and starred


async def test_read_and_starred_from_the_client_reach_the_server(sync_servers, feed_folder, http):
    token = feed_folder.token
    url = feed_folder.write("marks.xml", rss("Marks", [item(f"{token}-{n}", minutes_ago=n) for n in range(1, 5)]))
    ttrss = client(sync_servers, http)
    feed_id = await subscribed_and_fetched(ttrss, sync_servers, url)
    _, stories = await all_headlines(ttrss, feed_id)
    by_guid = {guid_hash_of(s.guid): s.id for s in stories}
    read_id, starred_id = by_guid[guid_hash(f"{token}-1")], by_guid[guid_hash(f"{token}-2")]

    assert await ttrss.mark_read([read_id]) == 1
    assert await ttrss.mark_starred([starred_id]) == 1

    # Another session (another device) sees it through the API ...
    other = client(sync_servers, http)
    _, unread = await all_headlines(other, feed_id, view_mode=ViewMode.UNREAD)
    assert read_id not in {s.id for s in unread} and starred_id in {s.id for s in unread}
    _, starred = await all_headlines(other, STARRED)
    assert starred_id in {s.id for s in starred} and read_id not in {s.id for s in starred}
    _, now = await all_headlines(other, feed_id)
    state = {s.id: (s.read, s.starred) for s in now}
    assert state[read_id] == (True, False) and state[starred_id] == (False, True)
    assert (await other.counters()).starred >= 1
    # ... and it is in the server's own tables.
    rows = sync_servers.ttrss_sql(
        f"SELECT ref_id, unread, marked FROM ttrss_user_entries WHERE ref_id IN ({read_id}, {starred_id}) "
        "ORDER BY ref_id")
    assert set(rows.splitlines()) == {f"{read_id}|f|f", f"{starred_id}|t|t"}

    assert await ttrss.mark_read([read_id], read=False) == 1
    assert await ttrss.mark_starred([starred_id], starred=False) == 1
    _, after = await all_headlines(other, feed_id)
    assert all(not s.read and not s.starred for s in after)


async def test_a_star_set_on_the_server_shows_in_the_headlines(sync_servers, feed_folder, http):
    url = feed_folder.write("star.xml", rss("Star", [item(f"{feed_folder.token}-s1")]))
    ttrss = client(sync_servers, http)
    feed_id = await subscribed_and_fetched(ttrss, sync_servers, url)
    (story,) = (await all_headlines(ttrss, feed_id))[1]
    assert not story.starred
    # What the web interface does when a person stars a story there.
    sync_servers.ttrss_sql(
        f"UPDATE ttrss_user_entries SET marked = true, last_marked = NOW() WHERE ref_id = {story.id}")
    (story,) = (await all_headlines(ttrss, feed_id))[1]
    assert story.starred


# ------------------------------------------------------------------------------------------------ paging


async def test_more_than_200_headlines_come_in_pages_whole_while_the_server_adds_more(sync_servers, feed_folder, http):
    token = feed_folder.token
    # Many share one date: ties in the sort must not make a story appear twice or not at all.
    items = [item(f"{token}-{n}", minutes_ago=60 + n // 50) for n in range(250)]
    url = feed_folder.write("many.xml", rss("Many", items))
    ttrss = client(sync_servers, http)
    feed_id = await subscribed_and_fetched(ttrss, sync_servers, url)

    newer = [item(f"{token}-new-{n}", minutes_ago=1) for n in range(5)]
    pages = []
    async for page in ttrss.headlines(feed_id, show_content=False):
        pages.append(page)
        if len(pages) == 1:  # the server's updater adds stories in the middle of the sync
            feed_folder.write("many.xml", rss("Many", newer + items))
            sync_servers.ttrss_update()
    stories = [s for page in pages for s in page]
    assert [len(p) for p in pages] == [200, 50]  # the 5 pushed down from page 1 are not given again
    assert len({s.id for s in stories}) == 250
    assert {guid_hash_of(s.guid) for s in stories} == {guid_hash(i.guid) for i in items}

    # The next sync asks only for what is newer than anything it has.
    _, fresh = await all_headlines(ttrss, feed_id, since_id=max(s.id for s in stories))
    assert {guid_hash_of(s.guid) for s in fresh} == {guid_hash(i.guid) for i in newer}
    assert ttrss.stats.requests >= 4 and ttrss.stats.bytes > 0
