"""The real `newsreader` (its command line, and the reader under Pilot) against the real tt-rss and Fever
servers that .ci/sync-servers.sh starts: what issue 16 asks for, end to end.

Every test has a cache of its own and feeds of its own (guids with its folder's token); the servers' test
users are shared by every test of the run, so a test looks only at its own stories, never at the whole.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from newsreader.cli import main
from newsreader.config import load_config
from newsreader.library import Library
from newsreader.sync import FeverClient, TtRssClient
from newsreader.ui import make_app

from sync_servers import FeedFolder, ServerSwitch, SyncServers, item, rss
from ui_helpers import screen_lines, settle, wait_for

TERMINAL_CONTROLS = re.compile("[\x1b\x07\x9b\x9d]")


class Newsreader:
    """`newsreader --config feeds.toml --data-dir data ...`, in-process, with [sync] for one server."""

    def __init__(self, tmp_path: Path, capsys, monkeypatch, *, service: str, url: str, user: str, password: str,
                 name: str = "feeds.toml") -> None:
        self.capsys = capsys
        self.config = tmp_path / name
        self.config.write_text(f'[settings]\nread_dwell = 600\n\n[sync]\nservice = "{service}"\nurl = "{url}"\n'
                               f'user = "{user}"\n', encoding="utf-8")
        self.data = tmp_path / "data"
        monkeypatch.setenv("NEWSREADER_SYNC_PASSWORD", password)
        monkeypatch.setenv("COLUMNS", "200")  # tables unwrapped

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        status = main(["--config", str(self.config), "--data-dir", str(self.data), *argv])
        out, err = self.capsys.readouterr()
        return status, out, err

    def stories(self, token: str) -> dict[str, dict]:
        """This test's stories (their links hold its token), by the end of their link: the item's guid."""
        import json

        status, out, err = self.run("list", "--limit", "0", "--json")
        assert status == 0, err
        return {s["link"].rsplit("/", 1)[1]: s for s in json.loads(out) if token in (s["link"] or "")}


def ttrss_reader(servers: SyncServers, tmp_path, capsys, monkeypatch, **changes: str) -> Newsreader:
    values = {"url": servers.ttrss_url, "user": servers.ttrss_user, "password": servers.ttrss_password, **changes}
    return Newsreader(tmp_path, capsys, monkeypatch, service="ttrss", **values)  # type: ignore[arg-type]


def fever_reader(servers: SyncServers, tmp_path, capsys, monkeypatch, **changes: str) -> Newsreader:
    values = {"url": servers.fever_url, "user": servers.fever_user, "password": servers.fever_password, **changes}
    return Newsreader(tmp_path, capsys, monkeypatch, service="fever", **values)  # type: ignore[arg-type]


def on_ttrss(servers: SyncServers, call):  # type: ignore[no-untyped-def]
    """Do something on tt-rss as another device would, through its API."""
    async def run():  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(timeout=60) as http:
            return await call(TtRssClient(http, servers.ttrss_url, servers.ttrss_user, servers.ttrss_password))
    return asyncio.run(run())


def ttrss_flags(servers: SyncServers, link: str) -> tuple[bool, bool]:
    """(read, starred) of the test user's story with this link, in tt-rss's own tables."""
    row = servers.ttrss_sql(
        "SELECT ue.unread, ue.marked FROM ttrss_user_entries ue JOIN ttrss_entries e ON e.id = ue.ref_id "
        f"JOIN ttrss_users u ON u.id = ue.owner_uid WHERE u.login = '{servers.ttrss_user}' AND e.link = '{link}'")
    unread, marked = row.split("|")
    return unread == "f", marked == "t"


def set_ttrss_flags(servers: SyncServers, link: str, *, read: bool, starred: bool) -> None:
    """What the web interface (or a phone) does when a person reads or stars a story there."""
    servers.ttrss_sql(
        f"UPDATE ttrss_user_entries SET unread = {str(not read).lower()}, marked = {str(starred).lower()}, "
        "last_read = NOW(), last_marked = NOW() WHERE ref_id IN (SELECT id FROM ttrss_entries WHERE link = "
        f"'{link}') AND owner_uid = (SELECT id FROM ttrss_users WHERE login = '{servers.ttrss_user}')")


def world_feed(folder: FeedFolder) -> str:
    token = folder.token
    return folder.write("world.xml", rss("World Desk", [
        item(f"{token}-am", "Armenia and Azerbaijan sign a border deal", minutes_ago=30,
             description="<p>Leaders met in Yerevan and Baku.</p><script>alert(1)</script>"),
        item(f"{token}-br", "Floods recede in Brazil", minutes_ago=20),
        item(f"{token}-x", "Hostile title", minutes_ago=10),
    ]))


def make_ttrss_text_hostile(servers: SyncServers, folder: FeedFolder, url: str) -> None:
    """What no XML feed can carry (ESC and BEL are not XML characters), put where the server keeps its text:
    a server is as hostile as the feeds it reads, or more."""
    servers.ttrss_sql(f"UPDATE ttrss_entries SET title = E'Hostile \\033[2J\\033[31mtitle\\u202e' "
                      f"WHERE link = 'http://example.invalid/{folder.token}-x'")
    servers.ttrss_sql(f"UPDATE ttrss_feeds SET title = E'World \\033]0;owned\\007Desk' WHERE feed_url = '{url}'")


# ------------------------------------------------------------------------------------------------- tt-rss


def test_ttrss_subscriptions_and_stories_come_tagged_and_read_and_starred_go_both_ways(
        sync_servers, feed_folder, tmp_path, capsys, monkeypatch):
    token = feed_folder.token
    url = world_feed(feed_folder)
    category = f"Cat {token}"
    category_id = int(sync_servers.ttrss_sql(
        f"INSERT INTO ttrss_feed_categories (owner_uid, title) SELECT id, '{category}' FROM ttrss_users "
        f"WHERE login = '{sync_servers.ttrss_user}' RETURNING id"))
    on_ttrss(sync_servers, lambda ttrss: ttrss.subscribe(url, category_id=category_id))  # on the server's own page
    sync_servers.ttrss_update()
    make_ttrss_text_hostile(sync_servers, feed_folder, url)
    reader = ttrss_reader(sync_servers, tmp_path, capsys, monkeypatch)

    status, out, err = reader.run("sync")
    assert (status, err) == (0, ""), err
    assert out.startswith("tt-rss: ") and "new stor" in out
    stories = reader.stories(token)
    assert set(stories) == {f"{token}-am", f"{token}-br", f"{token}-x"}
    deal = stories[f"{token}-am"]
    assert deal["countries"][:2] == ["AM", "AZ"] and not deal["read"] and not deal["starred"]
    assert "Yerevan" in deal["summary"] and "alert" not in deal["summary"]
    status, out, _ = reader.run("list", "--limit", "0")
    assert "Hostile" in out and not TERMINAL_CONTROLS.search(out)  # server text is shown literally, never obeyed
    status, out, _ = reader.run("feeds")
    assert f"(tt-rss · {category})" in out and not TERMINAL_CONTROLS.search(out)

    # Here -> the server.
    assert reader.run("mark", str(deal["id"]), "--read", "--star")[0] == 0
    assert ttrss_flags(sync_servers, deal["link"]) == (True, True)
    # The server -> here.
    floods = stories[f"{token}-br"]
    set_ttrss_flags(sync_servers, floods["link"], read=True, starred=True)
    set_ttrss_flags(sync_servers, deal["link"], read=False, starred=True)
    status, out, err = reader.run("sync")
    assert status == 0, err
    now = reader.stories(token)
    assert (now[f"{token}-br"]["read"], now[f"{token}-br"]["starred"]) == (True, True)
    assert (now[f"{token}-am"]["read"], now[f"{token}-am"]["starred"]) == (False, True)
    assert ttrss_flags(sync_servers, deal["link"]) == (False, True)  # not sent back over the server's change

    # Only what is new comes the next time.
    feed_folder.write("world.xml", rss("World", [item(f"{token}-new", "Kenya holds rates")]))
    sync_servers.ttrss_update()
    status, out, _ = reader.run("sync")
    assert status == 0 and f"{token}-new" in reader.stories(token)


def test_ttrss_add_and_remove_subscribe_and_unsubscribe_on_the_server(
        sync_servers, feed_folder, tmp_path, capsys, monkeypatch):
    token = feed_folder.token
    url = feed_folder.write("added.xml", rss("Added Desk", [item(f"{token}-a1", "Chile copper exports rise")]))
    reader = ttrss_reader(sync_servers, tmp_path, capsys, monkeypatch)
    status, out, err = reader.run("add", url)
    assert (status, err) == (0, ""), err
    assert "Subscribed to Added Desk" in out and "on tt-rss" in out
    on_server = on_ttrss(sync_servers, lambda ttrss: ttrss.feeds())
    assert url in {feed.url for feed in on_server}
    assert "[[feeds]]" not in reader.config.read_text()  # the server keeps the subscriptions, not feeds.toml
    sync_servers.ttrss_update()
    assert reader.run("sync")[0] == 0
    assert set(reader.stories(token)) == {f"{token}-a1"}

    status, out, err = reader.run("remove", "Added Desk", "--yes")
    assert (status, err) == (0, ""), err
    assert "Removed Added Desk from tt-rss" in out
    assert url not in {feed.url for feed in on_ttrss(sync_servers, lambda ttrss: ttrss.feeds())}
    assert reader.stories(token) == {}


def test_ttrss_changes_made_while_the_server_is_down_reach_it_when_it_is_back(
        sync_servers, feed_folder, tmp_path, capsys, monkeypatch):
    token = feed_folder.token
    url = feed_folder.write("down.xml", rss("Down Desk", [item(f"{token}-d{n}", f"Story {n}", minutes_ago=n)
                                                          for n in range(3)]))
    on_ttrss(sync_servers, lambda ttrss: ttrss.subscribe(url))
    sync_servers.ttrss_update()
    with ServerSwitch(sync_servers.ttrss_url) as switch:
        reader = ttrss_reader(sync_servers, tmp_path, capsys, monkeypatch, url=switch.url)
        assert reader.run("sync")[0] == 0
        stories = reader.stories(token)
        first, second = stories[f"{token}-d0"], stories[f"{token}-d1"]

        switch.down()
        status, out, err = reader.run("mark", str(first["id"]), "--star")
        assert status == 0 and "Marked 1 story starred" in out  # done here, whatever the server
        assert err.count("\n") == 1 and "kept for the next sync" in err
        assert reader.run("mark", str(second["id"]), "--read")[0] == 0
        status, out, err = reader.run("sync")
        assert (status, out) == (1, "")
        assert err.count("\n") == 1 and "Connection refused" in err and "(2 changes kept for the next sync)" in err
        assert reader.stories(token)[f"{token}-d0"]["starred"]  # the reader goes on with what it has
        assert ttrss_flags(sync_servers, first["link"]) == (False, False)

        switch.up()
        status, out, err = reader.run("sync")
        assert (status, err) == (0, ""), err
        assert ttrss_flags(sync_servers, first["link"]) == (False, True)
        assert ttrss_flags(sync_servers, second["link"]) == (True, False)


@pytest.mark.parametrize("failure", ["wrong password", "API disabled", "dead server"])
def test_ttrss_a_sync_that_cannot_log_in_or_connect_is_one_line_and_its_exit_status(
        sync_servers, tmp_path, capsys, monkeypatch, failure):
    if failure == "wrong password":
        reader = ttrss_reader(sync_servers, tmp_path, capsys, monkeypatch, password="not-the-password")
        words, expected = "login refused", 2
    elif failure == "API disabled":
        reader = ttrss_reader(sync_servers, tmp_path, capsys, monkeypatch, user=sync_servers.ttrss_noapi_user,
                              password=sync_servers.ttrss_noapi_password)
        words, expected = "the API is disabled", 2
    else:
        dead = ServerSwitch(sync_servers.ttrss_url)  # never turned on: nothing listens there
        reader = ttrss_reader(sync_servers, tmp_path, capsys, monkeypatch, url=dead.url)
        words, expected = "Connection refused", 1
    for command in ("sync", "fetch"):  # [sync] and no [[feeds]]: fetch is the sync
        status, out, err = reader.run(command)
        assert (status, out) == (expected, ""), (command, err)
        assert err.count("\n") == 1 and err.startswith("newsreader: ") and words in err, err
        assert "not-the-password" not in err


# -------------------------------------------------------------------------------------------------- Fever


def test_fever_stories_and_feeds_come_and_read_and_starred_go_both_ways(
        sync_servers, feed_folder, tmp_path, capsys, monkeypatch):
    token = feed_folder.token
    url = world_feed(feed_folder)
    group = f"Group {token}"
    sync_servers.fever_subscribe(url, "Fever World", group)
    sync_servers.fever_fetch()
    reader = fever_reader(sync_servers, tmp_path, capsys, monkeypatch)
    status, out, err = reader.run("sync")
    assert (status, err) == (0, ""), err
    stories = reader.stories(token)
    assert set(stories) == {f"{token}-am", f"{token}-br", f"{token}-x"}
    assert stories[f"{token}-am"]["countries"][:2] == ["AM", "AZ"]
    assert "alert" not in stories[f"{token}-am"]["summary"]  # Fever gives the feed's HTML as is: sanitised here
    _, out, _ = reader.run("feeds")
    assert f"(Fever · {group})" in out

    deal, floods = stories[f"{token}-am"], stories[f"{token}-br"]
    assert reader.run("mark", str(deal["id"]), "--read", "--star")[0] == 0

    async def server_side():  # type: ignore[no-untyped-def]
        async with httpx.AsyncClient(timeout=60) as http:
            fever = FeverClient(http, sync_servers.fever_url, sync_servers.fever_user, sync_servers.fever_password)
            items = {s.link: s for page in [p async for p in fever.items()] for s in page}
            assert (items[deal["link"]].read, items[deal["link"]].starred) == (True, True)
            await fever.mark_saved(items[floods["link"]].id)  # starred on another device
            await fever.mark_read(items[floods["link"]].id)
    asyncio.run(server_side())
    assert reader.run("sync")[0] == 0
    now = reader.stories(token)[f"{token}-br"]
    assert (now["read"], now["starred"]) == (True, True)

    status, out, err = reader.run("add", url)
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "cannot subscribe" in err and "add --local" in err


def test_fever_a_wrong_password_is_one_line(sync_servers, tmp_path, capsys, monkeypatch):
    reader = fever_reader(sync_servers, tmp_path, capsys, monkeypatch, password="not-the-password")
    status, out, err = reader.run("sync")
    assert (status, out) == (2, "") and err.count("\n") == 1 and "login refused" in err


# ------------------------------------------------------------------------------------------------ the reader


async def test_the_reader_sends_read_and_star_and_shows_a_star_set_on_the_server(
        sync_servers, feed_folder, tmp_path, monkeypatch):
    import newsreader.ui.refresh

    monkeypatch.setattr(newsreader.ui.refresh, "SEND_AFTER_SECONDS", 0.05)
    monkeypatch.setenv("NEWSREADER_SYNC_PASSWORD", sync_servers.ttrss_password)
    token = feed_folder.token
    url = feed_folder.write("reader.xml", rss("Reader Desk", [
        item(f"{token}-r1", f"Kenya {token} holds rates", minutes_ago=2),
        item(f"{token}-r2", f"Chile {token} copper exports", minutes_ago=1),
    ]))
    await asyncio.to_thread(on_ttrss, sync_servers, lambda ttrss: ttrss.subscribe(url))
    await asyncio.to_thread(sync_servers.ttrss_update)
    config = tmp_path / "feeds.toml"
    config.write_text(f'[settings]\nread_dwell = 600\n\n[sync]\nservice = "ttrss"\nurl = "{sync_servers.ttrss_url}"\n'
                      f'user = "{sync_servers.ttrss_user}"\n', encoding="utf-8")
    library = Library(load_config(config), tmp_path / "data")
    app = make_app(library, state_path=None)
    async with app.run_test(size=(120, 30)) as pilot:
        reader = app.reader
        await wait_for(pilot, lambda: reader.refresher.last_refresh is not None and not reader.refreshing,
                       "the first sync", timeout=60)
        assert reader.refresher.last_summary.sync.ok, reader.refresher.last_summary.sync.error
        await pilot.press("slash", *token, "enter")  # only this test's stories
        # A row per story: the two headlines share the test's token, which the clusterer may take for a name.
        if reader.grouped:
            await pilot.press("G")
        await settle(pilot, app)
        assert [h.title for h in reader.story_list.visible_headers()] == [f"Chile {token} copper exports",
                                                                         f"Kenya {token} holds rates"]
        await pilot.press("s", "m")  # star and read the first
        # (This once timed out now and then: when the two stories fell into one cluster, `m` marked the cluster
        # through a path that did not ask for a send. tests/test_ui_sync.py holds that case without a server.)
        sent = lambda: library.queued_changes() == 0 and reader.refresher.free  # noqa: E731
        await wait_for(pilot, lambda: sent() or "not reached" in screen_lines(app)[0], "the marks to reach tt-rss",
                       timeout=60)
        assert sent(), screen_lines(app)[0]  # the status bar says why the send failed
        chile = f"http://example.invalid/{token}-r2"
        assert await asyncio.to_thread(ttrss_flags, sync_servers, chile) == (True, True)

        # Starred on another device; the next refresh brings it.
        kenya = f"http://example.invalid/{token}-r1"
        await asyncio.to_thread(set_ttrss_flags, sync_servers, kenya, read=False, starred=True)
        before = reader.refresher.last_refresh
        await pilot.press("r")
        await wait_for(pilot, lambda: reader.refresher.last_refresh is not before and not reader.refreshing,
                       "the refresh", timeout=60)
        await settle(pilot, app)
        headers = {h.title: h for h in reader.story_list.visible_headers()}
        assert headers[f"Kenya {token} holds rates"].starred
        assert headers[f"Chile {token} copper exports"].starred and headers[f"Chile {token} copper exports"].read
