"""The reader with a [sync] server and no server to reach: the add dialog says Fever cannot subscribe, an
offline subscription to tt-rss waits in the queue, and d on a server feed unsubscribes there (later)."""

from __future__ import annotations

from pathlib import Path

from newsreader.config import load_config
from newsreader.library import Library
from newsreader.store import Store
from newsreader.store.sync import ServerFeedRow
from newsreader.ui import make_app
from newsreader.ui.screens.add_feed import AddFeedScreen

from ui_helpers import entry, fixed_clock, settle, wait_for

SIZE = (120, 30)


def library_with(tmp_path: Path, service: str) -> Library:
    config = tmp_path / "feeds.toml"
    config.write_text(f'[settings]\nkeep_days = 36500\n\n[sync]\nservice = "{service}"\n'
                      'url = "http://127.0.0.1:9/server/"\nuser = "ann"\n', encoding="utf-8")
    return Library(load_config(config), tmp_path / "data")


def notices(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


async def test_fever_cannot_subscribe_and_the_dialog_says_so_before_and_after(tmp_path: Path) -> None:
    library = library_with(tmp_path, "fever")
    app = make_app(library, offline=True, clock=fixed_clock, state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("a")
        screen = app.screen
        assert isinstance(screen, AddFeedScreen)
        assert "Fever API cannot subscribe" in str(screen.status.render())
        await pilot.press(*"http://example.org/feed.xml", "enter")
        await pilot.pause()
        assert app.screen is screen and "cannot subscribe" in str(screen.status.render())
    assert "[[feeds]]" not in Path(library.config.path).read_text()


async def test_an_offline_subscription_to_ttrss_waits_for_the_next_sync(tmp_path: Path) -> None:
    library = library_with(tmp_path, "ttrss")
    app = make_app(library, offline=True, clock=fixed_clock, state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("a", *"http://example.org/feed.xml", "enter")
        await wait_for(pilot, lambda: any("Kept for tt-rss" in n for n in notices(app)), "the subscription")
    assert [(c.op, c.url) for c in library.store.queued_changes()] == [("subscribe", "http://example.org/feed.xml")]
    assert "[[feeds]]" not in Path(library.config.path).read_text()


async def test_d_on_a_server_feed_unsubscribes_there_at_the_next_sync(tmp_path: Path) -> None:
    library = library_with(tmp_path, "ttrss")
    store: Store = library.store
    feed_id = store.save_server_feeds([ServerFeedRow(7, "http://feeds.example/7.xml", "Server Desk", "News")])[7]
    store.save_feed(feed_id, [entry("ttrss:70", "Armenia and Azerbaijan talk", countries=("AM", "AZ"))])
    store.map_synced_stories(feed_id, [("ttrss:70", 70, False, False)])
    app = make_app(library, offline=True, clock=fixed_clock, state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Removed Server Desk" in n for n in notices(app)), "the removal")
        assert any("tt-rss is told at the next sync" in n for n in notices(app))
    assert [(c.op, c.remote_id) for c in store.queued_changes()] == [("unsubscribe", 7)]
    assert store.stories() == [] and store.server_feeds() == []


async def test_reading_a_story_of_a_cluster_sends_the_whole_clusters_marks(tmp_path: Path, monkeypatch) -> None:
    """m on one outlet's version marks the cluster read (mark_cluster_read); those marks must go to the server
    a moment later like any other, not wait for the next sync (found as a flaky real-server test)."""
    library = library_with(tmp_path, "ttrss")
    store: Store = library.store
    ids = store.save_server_feeds([ServerFeedRow(7, "http://feeds.example/7.xml", "Desk", None),
                                   ServerFeedRow(8, "http://feeds.example/8.xml", "Wire", None)])
    for remote, feed_id in ids.items():
        store.save_feed(feed_id, [entry(f"ttrss:{remote}0", f"Armenia and Azerbaijan talk ({remote})", countries=("AM",))])
        store.map_synced_stories(feed_id, [(f"ttrss:{remote}0", remote * 10, False, False)])
    first, second = sorted(row[0] for row in store._read("SELECT id FROM stories"))
    store.save_clusters([(first, first, "en"), (second, first, "en")], expect=None, mark=None, check=False)

    sent: list[list[tuple[str, int | None, int | None]]] = []
    send = library.send_changes

    def recording_send(**options: object):  # type: ignore[no-untyped-def]
        sent.append([(c.op, c.remote_id, c.value) for c in store.queued_changes()])
        return send(**options)  # type: ignore[arg-type]

    monkeypatch.setattr(library, "send_changes", recording_send)
    import newsreader.ui.refresh

    monkeypatch.setattr(newsreader.ui.refresh, "SEND_AFTER_SECONDS", 0.05)
    app = make_app(library, clock=fixed_clock, state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        reader = app.reader
        await wait_for(pilot, lambda: reader.refresher.last_refresh is not None and reader.refresher.free,
                       "the first (failing) sync")
        await settle(pilot, app)
        assert reader.story_list.total == 1  # one row: the event
        await pilot.press("m")
        await wait_for(pilot, lambda: bool(sent), "a send of the marks")
        assert sorted(sent[-1]) == [("read", 70, 1), ("read", 80, 1)]
