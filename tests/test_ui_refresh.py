"""Background refresh in the reader, against a real loopback server: merging, offline, failures."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.library import Library
from newsreader.store import Store, StoreError
from newsreader.ui import make_app

from feedserver import FeedServer, unused_url, write_feeds_toml
from ui_helpers import fixed_clock, sample_store, screen_lines, settle, story_id, wait_for

SIZE = (120, 36)


def rss(*items: tuple[str, str, str]) -> str:
    """items: (guid, title, RFC 822 date)."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://loopback.example/{guid}</link>"
        f"<pubDate>{date}</pubDate><description>About {title}.</description></item>"
        for guid, title, date in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback</title>{body}</channel></rss>'


def config(*feeds: FeedConfig) -> Config:
    # keep_days: the sample stories are dated March 2026; retention must not sweep them during the test
    return Config(settings=Settings(read_dwell=60, keep_days=36500), feeds=feeds)


async def wait_refreshed(pilot, app) -> None:  # type: ignore[no-untyped-def]
    for _ in range(500):
        await pilot.pause(0.02)
        if app.reader.refresher.last_refresh is not None and not app.reader.refreshing:
            break
    await settle(pilot, app)


@pytest.fixture
def store(tmp_path: Path):
    store = sample_store(tmp_path)
    yield store
    store.close()


async def test_refresh_merges_new_stories_without_moving_the_cursor(store: Store, feed_server: FeedServer) -> None:
    # The server holds the first answer until the test has moved the cursor: the test waits on that, never on
    # the clock (a fixed delay made it fail on a loaded machine).
    moved = threading.Event()
    feed = feed_server.make_feed(rss(
        ("n1", "Armenia and Azerbaijan sign peace accord", "Mon, 02 Mar 2026 11:50:00 GMT"),
        ("n2", "Brazil floods recede", "Mon, 02 Mar 2026 11:40:00 GMT"),
    ))

    def held(request):  # type: ignore[no-untyped-def]
        moved.wait(30)
        return feed

    url = feed_server.handler("/news.xml", held)
    # A row a story: the refresh also groups the sample stories by event, which would merge rows above the cursor.
    app = make_app(Library(config(FeedConfig("Loopback News", url)), store=store), clock=fixed_clock, state_path=None,
                   grouped=False)
    async with app.run_test(size=(120, 24)) as pilot:  # a short list, so the merge has to scroll
        await settle(pilot, app)
        assert app.reader.refreshing
        assert "Refreshing" in screen_lines(app)[0]
        await pilot.press("j", "j", "j")
        await settle(pilot, app)
        selected = app.reader.story_list.current.id
        row_on_screen = app.reader.story_list.cursor - round(app.reader.story_list.scroll_y)
        assert selected == story_id(store, "w2")
        moved.set()
        await wait_refreshed(pilot, app)
        assert app.reader.story_list.scroll_y == 2  # two new stories above: scrolled by two, the row stays put
        titles = [app.reader.story_list.header_at(i).title for i in range(3)]
        assert titles == ["Armenia and Azerbaijan sign peace accord", "Brazil floods recede",
                              "Ceasefire talks resume in Sochi"]
        assert app.reader.story_list.current.id == selected  # the same story under the cursor
        assert app.reader.story_list.cursor - round(app.reader.story_list.scroll_y) == row_on_screen
        assert app.reader.article.story.id == selected
        assert "14 stories" in screen_lines(app)[0] and "2 new" in screen_lines(app)[0]
        # the new story was tagged on the way in, so the country filter finds it
        await pilot.press("c", *"armenia", "enter")
        await settle(pilot, app)
        assert app.reader.story_list.visible_headers()[0].title == "Armenia and Azerbaijan sign peace accord"
        # r refreshes again: the server answers 304, nothing moves
        moved.clear()
        await pilot.press("r")
        await pilot.pause()
        assert app.reader.refreshing
        app.reader.refresher.last_refresh = None
        moved.set()
        await wait_refreshed(pilot, app)
        assert len(feed_server.requests_for("/news.xml")) == 2
        assert feed_server.requests_for("/news.xml")[-1].headers.get("if-none-match")


async def test_offline_start_never_touches_the_network(store: Store, feed_server: FeedServer) -> None:
    url = feed_server.feed("/news.xml", rss(("n1", "Should not arrive", "Mon, 02 Mar 2026 11:50:00 GMT")))
    app = make_app(Library(config(FeedConfig("Loopback News", url)), store=store), offline=True, clock=fixed_clock, state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("r")
        await pilot.pause(0.5)
        assert not app.reader.refreshing
        assert len(app.reader.story_list.visible_headers()) == 12
    assert feed_server.requests == []


async def test_failed_feeds_become_a_notification_not_a_crash(store: Store, feed_server: FeedServer) -> None:
    down = feed_server.error("/down.xml", 500)
    dead = unused_url()
    app = make_app(Library(config(FeedConfig("Down Feed", down), FeedConfig("Dead Feed", dead)), store=store), clock=fixed_clock,
                   state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_refreshed(pilot, app)
        messages = [(n.title, n.message) for n in app._notifications]
        # One is a server error, so this is no "offline": the title says only that every feed failed.
        assert any(title == "Every feed failed" and "Down Feed" in message and "Dead Feed" in message
                   for title, message in messages)
        assert "All 2 feeds failed at" in screen_lines(app)[0]
        assert len(app.reader.story_list.visible_headers()) == 12  # the cache still reads
        await pilot.press("j")
        assert app.reader.story_list.cursor == 1


@pytest.mark.parametrize("error", [StoreError("cache.sqlite: cannot write the cache: disk is full"), RuntimeError("boom")])
async def test_a_refresh_that_cannot_run_is_a_notification(store: Store, error: Exception) -> None:
    def refresh(*args: object, **kwargs: object) -> None:
        raise error

    app = make_app(Library(config(FeedConfig("Somewhere", "http://127.0.0.1:9/x.xml")), store=store), clock=fixed_clock,
                   state_path=None, refresh=refresh)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for _ in range(100):
            await pilot.pause(0.02)
            if not app.reader.refreshing:
                break
        assert any(n.title == "Refresh failed" and str(error) in n.message for n in app._notifications)
        assert "Refresh failed" in screen_lines(app)[0]
        await pilot.press("j")
        assert app.reader.story_list.cursor == 1


READER_REFRESH = """
import asyncio, sys
from newsreader.config import load_config
from newsreader.store import Store
from newsreader.library import Library
from newsreader.ui import make_app

async def main(app):
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(600):
            await pilot.pause(0.05)
            if app.reader.refresher.last_refresh is not None and not app.reader.refreshing:
                break

store = Store(sys.argv[2])
app = make_app(Library(load_config(sys.argv[1]), store=store), state_path=None)
asyncio.run(main(app))
print(store.total_stories())
"""


def test_a_refresh_of_many_feeds_parses_in_worker_processes_under_textual(tmp_path: Path, feed_server: FeedServer) -> None:
    """Eight feeds or more parse in worker processes. Textual's stand-in for sys.stderr has no file descriptor,
    which once failed every feed ("bad value(s) in fds_to_keep"). A fresh interpreter, as a user has, so that
    no earlier test has started multiprocessing's resource tracker already."""
    feeds = [(f"Feed {i}", feed_server.feed(f"/f{i}.xml", rss((f"g{i}", f"Story {i} from Kenya", "Mon, 02 Mar 2026 11:00:00 GMT"))))
             for i in range(8)]
    config_path = write_feeds_toml(tmp_path / "feeds.toml", feeds, settings={"keep_days": 36500})
    done = subprocess.run([sys.executable, "-c", READER_REFRESH, str(config_path), str(tmp_path / "cache.sqlite")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "8"


async def test_quitting_during_a_refresh_cancels_it(store: Store, feed_server: FeedServer) -> None:
    """A download that would hold the exit for its whole timeout is dropped as the reader quits."""

    from newsreader.errors import RefreshCancelled
    from newsreader.refresh import refresh_feeds_sync

    ended = threading.Event()
    outcome: list[str] = []
    url = feed_server.feed("/slow.xml", rss(("s1", "Slow story", "Mon, 02 Mar 2026 11:50:00 GMT")), delay=8)
    library = Library(config(FeedConfig("Slow", url)), store=store)

    def refresh(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            result = refresh_feeds_sync(store, library.config, *args, **kwargs)
            outcome.append("finished")
            return result
        except RefreshCancelled:
            outcome.append("cancelled")
            raise
        finally:
            ended.set()

    app = make_app(library, clock=fixed_clock, state_path=None, refresh=refresh)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert app.reader.refreshing
        await pilot.press("q")
    assert ended.wait(5), "the refresh went on after the reader quit"
    assert outcome == ["cancelled"]


async def test_no_network_says_so_and_keeps_saying_it(tmp_path: Path) -> None:
    """Every feed failing to connect (no network, a proxy missing) once read as "Updated 02:46 · 35 failed" over
    "Nothing cached yet. Press r to fetch": as if nothing was tried. Now the status bar, the empty list and a
    notice that stays say what happened."""
    store = Store(tmp_path / "cache.sqlite")
    feeds = [FeedConfig(f"Feed {i}", unused_url(f"/f{i}.xml")) for i in range(3)]
    app = make_app(Library(config(*feeds), store=store), clock=fixed_clock, state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await wait_refreshed(pilot, app)
        assert "Offline? · all 3 feeds failed at" in screen_lines(app)[0]
        notice = next(n for n in app._notifications if n.title.startswith("Every feed failed"))
        assert notice.title == "Every feed failed: no network?" and "proxy" in notice.message
        assert notice.timeout >= 60
        # The empty list's message follows the status bar by a frame or two (the list reloads after the refresh).
        await wait_for(pilot, lambda: "no feed could be fetched (no network?)" in "\n".join(screen_lines(app)),
                       "the empty list to say why")
        assert "Nothing cached yet." not in "\n".join(screen_lines(app))
    store.close()


async def test_the_list_is_usable_while_the_articles_come(tmp_path: Path, feed_server: FeedServer) -> None:
    """With full text on, the new stories reach the list when the feeds are saved, not when the last article
    page has come; the status bar counts the articles still to come; a story says its article is not here."""
    pages = threading.Event()
    article = (Path(__file__).parent / "pages" / "article.html").read_bytes()

    page = FeedServer.make_feed(article, content_type="text/html; charset=utf-8")

    def held_page(request):  # type: ignore[no-untyped-def]
        pages.wait(30)
        return page

    items = "".join(
        f"<item><guid>a{n}</guid><title>Story {n} from Yerevan</title>"
        f"<link>{feed_server.handler(f'/page{n}.html', held_page)}</link>"
        f"<pubDate>Mon, 02 Mar 2026 11:{50 - n}:00 GMT</pubDate><description>Two lines.</description></item>"
        for n in range(3)
    )
    url = feed_server.feed("/feed.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                                        f"{items}</channel></rss>")
    store = Store(tmp_path / "cache.sqlite")
    library = Library(Config(settings=Settings(read_dwell=60, keep_days=36500, fulltext=True),
                             feeds=(FeedConfig("Articles", url),)), store=store)
    app = make_app(library, clock=fixed_clock, state_path=None, grouped=False)  # "Story 0, 1, 2 from Yerevan": one event
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.reader.story_list.total == 3, "the stories, before their articles")
        assert app.reader.refreshing
        await wait_for(pilot, lambda: "Articles: 0 of 3 · all to come" in screen_lines(app)[0], "the status")
        await wait_for(pilot, lambda: app.reader.article.story is not None)
        assert app.reader.article.story.article_pending
        assert any("The full article is not here yet" in line for line in screen_lines(app))
        pages.set()
        await wait_refreshed(pilot, app)
        assert "3 articles" in screen_lines(app)[0]
        assert store.story(app.reader.story_list.current.id).text_source == "article"
    store.close()
