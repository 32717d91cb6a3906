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
