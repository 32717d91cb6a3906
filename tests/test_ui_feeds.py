"""Adding (`a`) and removing (`d`) feeds in the reader: real feeds.toml files, a real cache, loopback HTTP."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from newsreader.config import edit as feedlist
from newsreader.config import load_config
from newsreader.library import Library
from newsreader.model import StoryFilter
from newsreader.store import Store
from newsreader.ui import make_app
from newsreader.ui.screens.add_feed import AddFeedScreen
from newsreader.ui.screens.confirm import ConfirmScreen
from test_ui_refresh import rss

from feedserver import FeedServer, unused_url
from ui_helpers import CAUCASUS, EUROPE, WORLD, fixed_clock, sample_store, screen_lines, settle, story_id, wait_for

SIZE = (120, 36)

FEEDS_TOML = f"""\
# My feeds -- written by hand, keep this header
[settings]
read_dwell = 60
keep_days = 36500   # the test stories are dated March 2026: retention must leave them

# The desks
[[feeds]]
name = "{WORLD.name}"
url = "{WORLD.url}"

# Regional
[[feeds]]
name = "{CAUCASUS.name}"   # my favourite
url = "{CAUCASUS.url}"

[[feeds]]
name = "{EUROPE.name}"
url = "{EUROPE.url}"
"""
DESK = """
[[feeds]]
name = "Desk"
url = "{url}"
"""
NEW_STORIES = (("n1", "Loopback story one", "Mon, 02 Mar 2026 11:50:00 GMT"),
               ("n2", "Loopback story two", "Mon, 02 Mar 2026 11:40:00 GMT"))
TWO_FEEDS_PAGE = """<!DOCTYPE html><html><head><title>A site</title>
<link rel="alternate" type="application/rss+xml" title="Everything" href="/site/all.xml">
<link rel="alternate" type="application/atom+xml" title="Comments" href="/site/comments.xml">
</head><body>Hello</body></html>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title><id>urn:c</id><updated>2026-03-02T11:00:00Z</updated>
<entry><id>urn:c1</id><title>A comment</title><updated>2026-03-02T11:00:00Z</updated></entry></feed>"""


@pytest.fixture
def store(tmp_path: Path):
    store = sample_store(tmp_path)
    yield store
    store.close()


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(FEEDS_TOML + extra, encoding="utf-8")
    return path


def reader(store: Store, path: Path, **options: object):
    options.setdefault("offline", True)
    return make_app(Library(load_config(path), store=store), clock=fixed_clock, state_path=None, **options)  # type: ignore[arg-type]


async def started_online(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """The first refresh over: the sample feeds live on a dead port, so it ends at once (and fails)."""
    await settle(pilot, app)
    await wait_for(pilot, lambda: app.reader.refresher.last_refresh is not None and not app.reader.refreshing, "the first refresh")


def titles(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Every story in the list, scrolled out of sight or not."""
    headers = [app.reader.story_list.header_at(i) for i in range(app.reader.story_list.total)]
    return [header.title for header in headers if header is not None]


def notices(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{n.title}: {n.message}" if n.title else n.message for n in app._notifications]


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(screen_lines(app))


def dialog(app) -> AddFeedScreen:  # type: ignore[no-untyped-def]
    assert isinstance(app.screen, AddFeedScreen)
    return app.screen


def dialog_says(app) -> str:  # type: ignore[no-untyped-def]
    return str(dialog(app).status.render())


async def open_dialog_and_look_up(pilot, app, url: str) -> AddFeedScreen:  # type: ignore[no-untyped-def]
    await pilot.press("a", *url, "enter")
    screen = dialog(app)
    await wait_for(pilot, lambda: not screen._busy or app.screen is not screen, f"the lookup of {url}")
    return screen


# -- adding --------------------------------------------------------------------------------------------


async def test_a_adds_a_feed_url_keeps_the_comments_and_fetches_only_the_new_feed(
        store: Store, tmp_path: Path, feed_server: FeedServer) -> None:
    # Desk's answer is held until the new feed is added: it is added while the first refresh runs, and
    # fetched once that has ended. The test waits on that, never on the clock.
    added = threading.Event()
    desk_feed = feed_server.make_feed(rss())

    def held(request):  # type: ignore[no-untyped-def]
        added.wait(30)
        return desk_feed

    desk = feed_server.handler("/desk.xml", held)
    new = feed_server.feed("/new.xml", rss(*NEW_STORIES))
    path = write_config(tmp_path, DESK.format(url=desk))
    before = path.read_text(encoding="utf-8")
    app = reader(store, path, offline=False, grouped=False)  # a row a story: "story one" and "two" are one event
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.reader.refreshing
        await pilot.press("a", *new, "tab", *"Loopback News", "enter")
        await wait_for(pilot, lambda: "Added Loopback News" in notices(app), "the feed to be added")
        assert not isinstance(app.screen, AddFeedScreen)
        assert len(feed_server.requests_for("/new.xml")) == 1  # looked up, not fetched while the refresh runs
        added.set()
        await wait_for(pilot, lambda: "Loopback story one" in titles(app), "the new stories")
        await settle(pilot, app)
        assert titles(app)[:2] == ["Loopback story one", "Loopback story two"]
        assert [f.name for f in app.config.feeds][-1] == "Loopback News"
        await pilot.press("f", *"loopback")  # the filter pane and the feed picker know it
        assert "Loopback News" in screen_text(app)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(before)  # every comment and byte kept; the feed appended
    assert text[len(before):] == f'\n[[feeds]]\nname = "Loopback News"\nurl = "{new}"\n'
    assert len(feed_server.requests_for("/desk.xml")) == 1  # the first refresh only: adding fetched just the new feed
    assert len(feed_server.requests_for("/new.xml")) == 2  # the lookup, then the fetch


async def test_a_page_with_two_feeds_offers_both_literally_and_adds_the_one_chosen(
        store: Store, tmp_path: Path, feed_server: FeedServer) -> None:
    page = feed_server.page("/site/", TWO_FEEDS_PAGE)
    feed_server.feed("/site/all.xml", rss(("a1", "Everything story", "Mon, 02 Mar 2026 11:00:00 GMT")))
    comments = feed_server.feed("/site/comments.xml", ATOM.format(title="[bold]Comments[/bold] &amp; more"),
                                content_type="application/atom+xml")
    path = write_config(tmp_path)
    app = reader(store, path, offline=False)
    async with app.run_test(size=SIZE) as pilot:
        await started_online(pilot, app)
        screen = await open_dialog_and_look_up(pilot, app, page)
        assert [c.url for c in screen.candidates] == [feed_server.url("/site/all.xml"), comments]
        text = screen_text(app)
        assert "2 feeds at " + page in text
        assert "[bold]Comments[/bold] & more" in text and comments in text  # a title is never markup
        assert "Loopback" in text  # what the feed calls itself, before what the page called it
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: "Added [bold]Comments[/bold] & more" in notices(app), "the feed to be added")
        await wait_for(pilot, lambda: "A comment" in titles(app), "the chosen feed's story")
    added = load_config(path).feeds[-1]
    assert (added.name, added.url) == ("[bold]Comments[/bold] & more", comments)
    assert len(feed_server.requests_for("/site/all.xml")) == 1  # looked at, never fetched into the cache


async def test_a_page_without_feeds_or_a_dead_host_is_one_line_in_the_dialog(
        store: Store, tmp_path: Path, feed_server: FeedServer) -> None:
    page = feed_server.page("/plain/", "<html><head><title>No feeds</title></head><body>Hi</body></html>")
    path = write_config(tmp_path)
    before = path.read_bytes()
    app = reader(store, path, offline=False)
    async with app.run_test(size=SIZE) as pilot:
        await started_online(pilot, app)
        screen = await open_dialog_and_look_up(pilot, app, page)
        assert "no feeds found" in dialog_says(app)
        assert screen.status.has_class("-error")
        assert screen.url_input.value == page and screen.url_input.has_focus  # kept, to be fixed
        dead = unused_url()
        screen.url_input.value = dead
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen._busy, "the second lookup")
        assert "not reachable" in dialog_says(app) and "Traceback" not in screen_text(app)
        screen.url_input.value = ""
        await pilot.press("enter")
        assert "Type the URL" in dialog_says(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, AddFeedScreen)
    assert path.read_bytes() == before


async def test_adding_a_feed_already_there_says_so_and_writes_nothing(
        store: Store, tmp_path: Path, feed_server: FeedServer) -> None:
    desk = feed_server.feed("/desk.xml", rss(*NEW_STORIES))
    path = write_config(tmp_path, DESK.format(url=desk))
    before = path.read_bytes()
    app = reader(store, path, offline=False)
    async with app.run_test(size=SIZE) as pilot:
        await started_online(pilot, app)
        await open_dialog_and_look_up(pilot, app, desk)
        assert isinstance(app.screen, AddFeedScreen)
        assert dialog_says(app).startswith(f"already subscribed: Desk ({desk})")
    assert path.read_bytes() == before


async def test_a_feed_added_that_then_fails_to_fetch_is_a_notice_about_that_feed(
        store: Store, tmp_path: Path, feed_server: FeedServer) -> None:
    flaky = feed_server.sequence("/flaky.xml", FeedServer.make_feed(rss(*NEW_STORIES)), FeedServer.make_error(503))
    path = write_config(tmp_path)
    app = reader(store, path, offline=False)
    async with app.run_test(size=SIZE) as pilot:
        await started_online(pilot, app)
        await pilot.press("a", *flaky, "enter")
        await wait_for(pilot, lambda: any(n.startswith("Could not fetch the feed: Loopback") for n in notices(app)),
                       "the fetch to fail")
        assert "Added Loopback" in notices(app)  # added all the same: it is fetched again at the next refresh
        assert not app.reader.refreshing and len(titles(app)) == 12
    assert load_config(path).feeds[-1].url == flaky


async def test_offline_adding_writes_the_config_and_touches_no_network(
        store: Store, tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.feed("/later.xml", rss(*NEW_STORIES))
    path = write_config(tmp_path)
    app = reader(store, path)  # --offline
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("a")
        assert "Offline" in dialog_says(app)
        await pilot.press(*url, "enter")
        await wait_for(pilot, lambda: any("Added 127.0.0.1. Offline" in n for n in notices(app)), "the feed to be added")
        assert not isinstance(app.screen, AddFeedScreen)
        await pilot.pause(0.3)
        assert not app.reader.refreshing
    assert load_config(path).feeds[-1].url == url
    assert feed_server.requests == []


async def test_a_broken_feeds_toml_is_reported_and_left_as_it_is(
        store: Store, tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.feed("/new.xml", rss(*NEW_STORIES))
    path = write_config(tmp_path)
    app = reader(store, path, offline=False)
    async with app.run_test(size=SIZE) as pilot:
        await started_online(pilot, app)
        broken = path.read_text(encoding="utf-8").replace('name = "Europe Today"', 'name = "Europe Today')
        path.write_text(broken, encoding="utf-8")  # edited by hand while the reader runs
        await open_dialog_and_look_up(pilot, app, url)
        assert dialog_says(app).startswith(f"{path}:") and "TOML syntax error" in dialog_says(app)
        await pilot.press("escape", "j", "d", "y")  # Caucasus Wire
        await wait_for(pilot, lambda: any("Could not remove" in n for n in notices(app)), "the removal to fail")
        assert any(f"{path}:" in n and "TOML syntax error" in n for n in notices(app))
        assert len(titles(app)) == 12
    assert path.read_text(encoding="utf-8") == broken
    assert feed_server.requests == []  # a broken file is reported before any lookup


# -- removing ------------------------------------------------------------------------------------------


async def test_d_removes_the_highlighted_storys_feed_after_asking_keeping_starred(store: Store, tmp_path: Path) -> None:
    path = write_config(tmp_path)
    store.set_starred(story_id(store, "c3"))
    app = reader(store, path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j")  # Yerevan hosts regional summit: Caucasus Wire
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#confirm-question").render())
        assert question == "Remove feed Caucasus Wire? Its 2 stories are deleted; its starred story is kept. [y/n]"
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Removed Caucasus Wire" in n for n in notices(app)), "the removal")
        await settle(pilot, app)
        assert "Baku ceasefire monitors report calm" in titles(app) and len(titles(app)) == 10
        assert [f.name for f in app.config.feeds] == ["World Desk", "Europe Today"]
    text = path.read_text(encoding="utf-8")
    assert "Caucasus Wire" not in text and "my favourite" not in text
    assert text.startswith("# My feeds -- written by hand, keep this header\n[settings]\n")
    assert "# The desks\n" in text
    assert [s.title for s in store.stories(StoryFilter(feed=CAUCASUS.url))] == ["Baku ceasefire monitors report calm"]


async def test_d_removes_the_feed_filtered_on_and_clears_the_filter(store: Store, tmp_path: Path) -> None:
    path = write_config(tmp_path)
    app = reader(store, path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("f", *"europe", "enter")
        await settle(pilot, app)
        assert app.reader.filters.get("feed") == "Europe Today"
        await pilot.press("d", "enter")
        await wait_for(pilot, lambda: any("Removed Europe Today: 4 stories deleted" in n for n in notices(app)),
                       "the removal")
        await settle(pilot, app)
        assert app.reader.filters.get("feed") is None
        assert len(titles(app)) == 8
    assert [f.name for f in load_config(path).feeds] == ["World Desk", "Caucasus Wire"]
    assert store.count(StoryFilter(feed=EUROPE.url)).total == 0


@pytest.mark.parametrize("answer", ["n", "escape", "q"])  # q leaves the question, not the reader
async def test_answering_no_changes_nothing(store: Store, tmp_path: Path, answer: str) -> None:
    path = write_config(tmp_path)
    before = path.read_bytes()
    app = reader(store, path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("d")  # a second d does not stack another question
        await pilot.press(answer)
        await pilot.pause(0.2)
        assert app.is_running and not isinstance(app.screen, ConfirmScreen)
        assert len(titles(app)) == 12
    assert path.read_bytes() == before
    assert store.count().total == 12


async def test_a_feeds_toml_that_cannot_be_written_is_a_notice_and_nothing_changes(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path)
    before = path.read_bytes()

    def refuse(*_: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(feedlist.os, "replace", refuse)
    app = reader(store, path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("d", "y")  # World Desk
        await wait_for(pilot, lambda: any("Could not remove" in n for n in notices(app)), "the failure")
        assert any(f"{path}: cannot write: Permission denied" in n for n in notices(app))
        assert [f.name for f in app.config.feeds] == ["World Desk", "Caucasus Wire", "Europe Today"]
        assert not app.reader._removing
    assert path.read_bytes() == before
    assert store.count().total == 12  # the config goes first: it failed, so the cache was not touched


async def test_a_feed_not_in_feeds_toml_is_not_offered_for_removal(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text(FEEDS_TOML.split("# Regional")[0], encoding="utf-8")  # World Desk only
    app = reader(store, path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "d")  # a Caucasus Wire story, a feed no longer configured
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("Caucasus Wire is not in feeds.toml" in n for n in notices(app))


async def test_the_palette_and_the_help_offer_adding_and_removing(store: Store, tmp_path: Path) -> None:
    app = reader(store, write_config(tmp_path))
    async with app.run_test(size=(140, 60)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        text = screen_text(app)
        assert "feeds.add" in text and "feeds.remove" in text
        await pilot.press("escape", "ctrl+p", *"add a feed")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AddFeedScreen)
