"""The reading flow at the scale people read at: a list of 320 stories that scrolls, moving through it, the
reading view, next unread across a filter, marking everything read, mentions, saved filters, the sidebar."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.config.load import load_config
from newsreader.library import Library
from newsreader.store import Store
from newsreader.ui import make_app
from newsreader.ui.screens.confirm import ConfirmScreen
from newsreader.ui.widgets.filter_pane import FilterPane

from ui_helpers import config_for, entry, feed_config, fill, fixed_clock, screen_lines, settle, wait_for

STORIES = 320
DESK = feed_config("Wire Desk")
LOCAL = feed_config("Local Paper")
COUNTRIES = ("AM", "GE", "AZ", "KE", "BR", "JP", "DE", "FR")


def many_stories() -> dict:
    """320 stories a few minutes apart, every eighth about Armenia, and some that only mention it."""
    desk = []
    for number in range(STORIES):
        country = COUNTRIES[number % len(COUNTRIES)]
        mentions = ("AM",) if country == "GE" and number % 3 == 0 else ()
        desk.append(entry(f"s{number:03d}", f"Story {number:03d} from {country}", hours_ago=0.1 + number * 0.05,
                          countries=(country,), mentions=mentions, summary=f"About {country}, number {number}."))
    local = [entry("l1", "Local council meets", hours_ago=0.05, countries=("GB",), mentions=("AM",),
                   summary="A visiting Armenian delegation was mentioned.")]
    return {DESK: desk, LOCAL: local}


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "cache.sqlite")
    fill(store, many_stories())
    yield store
    store.close()


def reader(store: Store, config_path: Path | None = None, **options: object):
    if config_path is not None:
        library = Library(load_config(config_path), store=store)
    else:
        library = Library(config_for([DESK, LOCAL], read_dwell=600), store=store)
    options.setdefault("offline", True)
    options.setdefault("state_path", None)
    return make_app(library, clock=fixed_clock, **options)  # type: ignore[arg-type]


def title_of_cursor(app) -> str:  # type: ignore[no-untyped-def]
    current = app.reader.story_list.current
    return current.title if current is not None else ""


async def article_follows(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """The article pane shows the story under the cursor (it is read on a worker: wait for it)."""
    await wait_for(pilot, lambda: app.reader.article.story is not None and app.reader.story_list.current is not None
                   and app.reader.article.story.id == app.reader.story_list.current.id, "the article to follow")


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_every_moving_key_moves_the_selection_and_the_article_follows(store: Store, size) -> None:
    """↓ ↑ Home End once scrolled the view and left the selection (and the article) behind: the test of the
    arrows passed only because its 12 stories did not scroll."""
    app = reader(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        story_list = app.reader.story_list
        height = story_list.scrollable_content_region.height
        assert story_list.total == STORIES + 1 and height < 40  # it scrolls
        await pilot.press("down", "down", "down")
        assert story_list.cursor == 3
        await article_follows(pilot, app)
        await pilot.press("end")
        await wait_for(pilot, lambda: story_list.current is not None, "the last page")
        assert story_list.cursor == STORIES
        assert title_of_cursor(app) == f"Story {STORIES - 1:03d} from {COUNTRIES[(STORIES - 1) % 8]}"
        assert story_list.scroll_y == story_list.max_scroll_y  # the selection is on screen
        await article_follows(pilot, app)
        await pilot.press("pageup")
        assert story_list.cursor == STORIES - (height - 1)
        await article_follows(pilot, app)
        await pilot.press("up")
        assert story_list.cursor == STORIES - height
        await pilot.press("home")
        assert story_list.cursor == 0 and story_list.scroll_y == 0
        await article_follows(pilot, app)
        await pilot.press("pagedown", "pagedown")
        assert story_list.cursor == 2 * (height - 1)
        top = round(story_list.scroll_y)
        assert top <= story_list.cursor < top + height
        await article_follows(pilot, app)
        await pilot.press("j", "k", "k")
        assert story_list.cursor == 2 * (height - 1) - 1
        await article_follows(pilot, app)


async def test_eighty_by_twenty_four_shows_ten_stories_and_keeps_quit_and_help(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert not app.reader.filter_pane.display  # below 100 columns the sidebar starts hidden
        assert len(app.reader.story_list.visible_headers()) >= 10
        footer = screen_lines(app)[-1]
        assert "q Quit" in footer and "? Help" in footer
        await pilot.press("b")
        assert app.reader.filter_pane.display
        await pilot.press("b")
        assert not app.reader.filter_pane.display


async def test_the_reading_view_round_trip_and_space_goes_on_to_the_next_unread(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "j", "enter")
        await wait_for(pilot, lambda: app.reader.reading, "the reading view")
        first = app.reader.article.story.title
        assert first == title_of_cursor(app)
        await pilot.press("space")  # a short story: already at its end, so on to the next unread one
        await wait_for(pilot, lambda: app.reader.article.story.title != first, "the next story")
        assert app.reader.article.story.title == "Story 002 from AZ"
        assert "4 of 321" in screen_lines(app)[1]
        await pilot.press("P")  # the previous story, read or not
        await wait_for(pilot, lambda: app.reader.article.story.title == first)
        await pilot.press("escape")
        assert not app.reader.reading and title_of_cursor(app) == first
        assert store.story(app.reader.story_list.current.id).read  # opened to be read: it is read


async def test_n_goes_to_the_next_unread_story_in_the_filter(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"armenia", "enter")
        await settle(pilot, app)
        about = [f"Story {n:03d} from AM" for n in range(0, STORIES, 8)]
        assert title_of_cursor(app) == about[0]
        for expected in about[1:4]:
            await pilot.press("n")
            await wait_for(pilot, lambda expected=expected: title_of_cursor(app) == expected, expected)
        await pilot.press("end")
        await wait_for(pilot, lambda: title_of_cursor(app) == about[-1])
        await pilot.press("n")  # nothing after the last: it says so and stays
        await wait_for(pilot, lambda: any("No more unread stories after this one in Armenia" in n.message
                                          for n in app._notifications), "the notice")
        assert title_of_cursor(app) == about[-1]
        await pilot.press("p")
        await wait_for(pilot, lambda: title_of_cursor(app) == about[-2])


async def test_capital_a_marks_every_story_of_the_filter_read_asking_first_when_many(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"kenya", "enter")
        await settle(pilot, app)
        kenya = app.reader.story_list.total
        assert kenya == STORIES // 8  # 40: more than the screen shows
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
        assert "Mark every story of 40 events read (Kenya)?" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("y")
        await wait_for(pilot, lambda: store.count(app.reader.story_list.story_filter).unread == 0, "the marks")
        assert store.count().unread == STORIES + 1 - kenya  # nothing outside the filter
        await pilot.press("x", "u", "c", *"georgia", "enter")  # unread Georgia: 40, three of them...
        await settle(pilot, app)
        await pilot.press("slash", *"Story 009", "enter")  # ... narrowed to one: no question
        await settle(pilot, app)
        assert app.reader.story_list.total == 1
        await pilot.press("A")
        await wait_for(pilot, lambda: store.count(app.reader.story_list.story_filter.but(unread=False)).unread == 0)
        assert not isinstance(app.screen, ConfirmScreen)


async def test_mentions_widen_a_country_filter_and_are_marked(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"armenia", "enter")
        await settle(pilot, app)
        about = app.reader.story_list.total
        await pilot.press("M")
        await settle(pilot, app)
        widened = app.reader.story_list.total
        assert widened > about
        lines = "\n".join(screen_lines(app))
        assert "(AM)" in lines and "Local council meets" in lines  # only mentions Armenia: marked so
        assert "Armenia · with mentions" in screen_lines(app)[0]
        await pilot.press("M")
        await settle(pilot, app)
        assert app.reader.story_list.total == about


async def test_a_country_with_only_mentions_says_so(tmp_path: Path) -> None:
    """`c` → Armenia said "No story matches" while `list --country AM --mentions` found one."""
    store = Store(tmp_path / "cache.sqlite")
    fill(store, {LOCAL: [entry("l1", "Local council meets", countries=("GB",), mentions=("AM",))]})
    app = reader(store)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"armenia", "enter")
        await settle(pilot, app)
        await wait_for(pilot, lambda: any("but 1 story mentions it" in line for line in screen_lines(app)))
        await pilot.press("M")
        await settle(pilot, app)
        assert app.reader.story_list.total == 1
    store.close()


async def test_a_saved_filter_sits_in_the_pane_with_its_counts_and_survives_a_restart(store: Store, tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(f'# my feeds\n[[feeds]]\nname = "{DESK.name}"\nurl = "{DESK.url}"\n\n'
                      f'[[feeds]]\nname = "{LOCAL.name}"\nurl = "{LOCAL.url}"\n')
    app = reader(store, config)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"japan", "enter", "u")
        await settle(pilot, app)
        await pilot.press("S")
        await wait_for(pilot, lambda: app.screen.query("#prompt-input"), "the name prompt")
        await pilot.press("ctrl+u", *"Japan unread", "enter")
        await wait_for(pilot, lambda: any("Saved the filter Japan unread" in n.message for n in app._notifications))
        await pilot.press("x")
        await settle(pilot, app)
        pane = app.reader.filter_pane
        await wait_for(pilot, lambda: pane.node_for("saved", "Japan unread") is not None and pane.counted)
        assert "Japan unread 40 (40)" in "\n".join(screen_lines(app))
    text = config.read_text()
    assert text.startswith("# my feeds\n") and "[[filters]]" in text and 'name = "Japan unread"' in text
    assert load_config(config).filters[0].applied == (("country", "JP"), ("unread", True))

    again = reader(store, config)
    async with again.run_test(size=(120, 36)) as pilot:
        await settle(pilot, again)
        pane = again.reader.filter_pane
        await wait_for(pilot, lambda: pane.node_for("saved", "Japan unread") is not None)
        await pilot.press("shift+tab")
        assert isinstance(again.focused, FilterPane)
        pane.move_cursor(pane.node_for("saved", "Japan unread"))
        await pilot.press("enter")
        await settle(pilot, again)
        assert again.reader.filters.applied == (("country", "JP"), ("unread", True))
        pane.move_cursor(pane.node_for("saved", "Japan unread"))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(again.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not load_config(config).filters, "the filter to go")
    assert "[[feeds]]" in config.read_text()

