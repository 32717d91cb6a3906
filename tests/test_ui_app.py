"""The reader driven from the keyboard (Textual's Pilot): every key, every pane, filters and persistence."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from newsreader.config.types import Config, Settings
from newsreader.library import Library
from newsreader.store import Store
from newsreader.ui import make_app
from newsreader.ui.keymap import KEY_ACTIONS
from newsreader.ui.screens.help import HelpScreen
from newsreader.ui.screens.picker import PickerScreen
from newsreader.ui.state import STATE_FILENAME
from newsreader.ui.widgets.article_view import ArticleView
from newsreader.ui.widgets.filter_pane import FilterPane
from newsreader.ui.widgets.story_list import StoryList

from ui_helpers import (
    fixed_clock,
    opened_links,
    recording_browser,
    sample_config,
    sample_store,
    screen_lines,
    settle,
    story_id,
    wait_for,
)

SIZE = (120, 36)
NEWEST_FIRST = [
    "Ceasefire talks resume in Sochi", "Yerevan hosts regional summit", "Germany and France agree energy pact",
    "Floods hit southern Brazil", "Armenia signs trade deal with the EU", "Georgia's parliament passes budget",
    "Japan's central bank holds rates", "Polish farmers protest in Warsaw", "Baku ceasefire monitors report calm",
    "Kenya marathon record falls", "Spain wildfire contained", "Elections called in Canada",
]


@pytest.fixture
def store(tmp_path: Path):
    store = sample_store(tmp_path)
    yield store
    store.close()


def reader(store: Store, config: Config | None = None, **options: object):
    options.setdefault("offline", True)
    options.setdefault("state_path", None)
    return make_app(Library(config or sample_config(read_dwell=60), store=store), clock=fixed_clock, **options)  # type: ignore[arg-type]


def titles(app) -> list[str]:
    return [header.title for header in app.reader.story_list.visible_headers()]


def article_title(app) -> str | None:
    return app.reader.article.story.title if app.reader.article.story else None


async def test_starts_newest_first_and_previews_the_first_story(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert titles(app) == NEWEST_FIRST
        assert article_title(app) == NEWEST_FIRST[0]
        assert isinstance(app.focused, StoryList)
        text = "\n".join(screen_lines(app))
        assert "All stories  12 events, 12 unread" in text
        assert "World Desk" in text and "AM AZ RU" in text and "30m" in text


async def test_j_k_and_arrows_move_and_preview(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "j")
        assert app.reader.story_list.cursor == 2
        assert article_title(app) == NEWEST_FIRST[2]
        await pilot.press("k")
        assert article_title(app) == NEWEST_FIRST[1]
        await pilot.press("down", "down", "down")
        assert article_title(app) == NEWEST_FIRST[4]
        await pilot.press("up")
        assert article_title(app) == NEWEST_FIRST[3]
        await pilot.press("end")
        assert article_title(app) == NEWEST_FIRST[-1]
        await pilot.press("home")
        assert article_title(app) == NEWEST_FIRST[0]
        await pilot.press("pagedown")
        assert app.reader.story_list.cursor > 5
        await pilot.press("pageup")
        assert app.reader.story_list.cursor == 0
        await pilot.press("k")  # at the top already: stays
        assert app.reader.story_list.cursor == 0


async def test_enter_reads_the_story_over_the_whole_window_and_escape_comes_back(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j", "enter")
        await wait_for(pilot, lambda: app.reader.reading, "the reading view")
        assert article_title(app) == NEWEST_FIRST[1]
        lines = screen_lines(app)
        assert "2 of 12" in lines[1] and NEWEST_FIRST[1] in "\n".join(lines)
        assert NEWEST_FIRST[2] not in "\n".join(lines)  # the list is out of sight
        assert "Search" not in lines[-1] and "Next unread" in lines[-1]  # only what reads, in the footer
        await wait_for(pilot, lambda: store.story(app.reader.article.story.id).read, "opened to be read: read")
        await pilot.press("n")  # the next unread story, in the reading view
        await wait_for(pilot, lambda: article_title(app) == NEWEST_FIRST[2], "the next unread story")
        assert app.reader.reading
        await pilot.press("escape")
        assert not app.reader.reading and isinstance(app.focused, StoryList)
        assert app.reader.story_list.current.title == NEWEST_FIRST[2]  # the list is where the reading ended
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.reader.reading)
        await pilot.press("q")  # q in the reading view goes back; it does not quit
        assert app.is_running and not app.reader.reading


async def test_tab_cycles_the_panes(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("tab")
        assert isinstance(app.focused, ArticleView)
        await pilot.press("j")  # in the article pane j scrolls; the story stays
        assert article_title(app) == NEWEST_FIRST[0]
        await pilot.press("tab")
        assert isinstance(app.focused, FilterPane)
        await pilot.press("tab")
        assert isinstance(app.focused, StoryList)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, FilterPane)
        await pilot.press("shift+tab")
        assert isinstance(app.focused, ArticleView)
        await pilot.press("escape")  # no filter to drop: back to the list
        assert isinstance(app.focused, StoryList)
        await pilot.press("b")  # the filter pane hidden: tab skips it
        await pilot.press("tab", "tab")
        assert isinstance(app.focused, StoryList)


async def test_search_updates_as_you_type_and_escape_restores(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        assert app.reader.filter_bar.searching
        await pilot.press(*"cease")
        await pilot.pause(0.1)
        await settle(pilot, app)
        assert titles(app) == ["Ceasefire talks resume in Sochi", "Baku ceasefire monitors report calm"]
        await pilot.press("enter")
        assert not app.reader.filter_bar.searching and isinstance(app.focused, StoryList)
        assert app.reader.filters.get("search") == "cease"
        assert "'cease'" in screen_lines(app)[0]
        await pilot.press("slash", "backspace", "backspace", "backspace", "backspace", "backspace", *"floods")
        await pilot.pause(0.1)
        await settle(pilot, app)
        assert titles(app) == ["Floods hit southern Brazil"]
        await pilot.press("escape")  # cancel: the search before the box opened comes back
        await settle(pilot, app)
        assert app.reader.filters.get("search") == "cease"
        assert len(titles(app)) == 2


async def test_country_picker_is_fuzzy(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("c")
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"arm")
        assert app.screen.values[0] == "AM"
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.reader.filters.get("country") == "AM"
        assert titles(app) == [
            "Ceasefire talks resume in Sochi", "Yerevan hosts regional summit", "Armenia signs trade deal with the EU",
            "Baku ceasefire monitors report calm",
        ]
        assert screen_lines(app)[0].startswith(" Armenia  4 events")
        for query, code in (("Armenian", "AM"), ("de", "DE"), ("azeri", "AZ")):
            await pilot.press("c", *query)
            assert app.screen.values[0] == code, query
            await pilot.press("escape")
            assert not isinstance(app.screen, PickerScreen)
        assert app.reader.filters.get("country") == "AM"  # escape in the picker changed nothing


async def test_region_and_feed_pickers(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("g", *"cauc", "enter")
        await settle(pilot, app)
        assert app.reader.filters.get("region") == "Caucasus"
        assert set(titles(app)) == {
            "Ceasefire talks resume in Sochi", "Yerevan hosts regional summit", "Georgia's parliament passes budget",
            "Armenia signs trade deal with the EU", "Baku ceasefire monitors report calm",
        }
        await pilot.press("f", *"europe", "enter")
        await settle(pilot, app)
        assert app.reader.filters.get("feed") == "Europe Today"
        assert titles(app) == ["Armenia signs trade deal with the EU"]  # region AND feed


async def test_filters_combine_escape_drops_the_last_and_x_clears(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"armenia", "enter")
        await pilot.press("slash", *"ceasefire", "enter")
        await settle(pilot, app)
        assert len(titles(app)) == 2
        await pilot.press("j")
        await pilot.press("m")  # mark "Baku ..." read, so unread-only leaves one
        await pilot.press("u")
        await settle(pilot, app)
        assert titles(app) == ["Ceasefire talks resume in Sochi"]
        assert screen_lines(app)[0].startswith(" Armenia · 'ceasefire' · unread  1 event")
        await pilot.press("escape")  # drops unread
        await settle(pilot, app)
        assert [kind for kind, _ in app.reader.filters.applied] == ["country", "search"]
        assert len(titles(app)) == 2
        await pilot.press("escape")  # drops the search
        await settle(pilot, app)
        assert len(titles(app)) == 4
        await pilot.press("u", "x")
        await settle(pilot, app)
        assert not app.reader.filters
        assert len(titles(app)) == 12


async def test_no_match_says_which_filters(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"kenya", "enter", "slash", *"ceasefire", "enter")
        await settle(pilot, app)
        text = "\n".join(screen_lines(app))
        assert "No story matches Kenya · 'ceasefire'." in text
        assert "escape drops the last filter" in text
        assert app.reader.article.story is None


async def test_mark_read_star_and_starred_only_persist(store: Store) -> None:
    app = reader(store)
    first = story_id(store, "w1")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("m")
        assert store.story(first).read
        assert app.reader.story_list.current.read
        await pilot.press("m")
        assert not store.story(first).read
        await pilot.press("s")
        assert store.story(first).starred and app.reader.article.story.starred
        assert "★" in screen_lines(app)[2]
        await pilot.press("asterisk")
        await settle(pilot, app)
        assert titles(app) == [NEWEST_FIRST[0]]
        await pilot.press("s")
        assert not store.story(first).starred
        await pilot.press("asterisk")
        await settle(pilot, app)
        assert len(titles(app)) == 12


async def test_dwell_marks_read_and_moving_on_cancels(store: Store) -> None:
    app = reader(store, sample_config(read_dwell=1.5))
    first, second = story_id(store, "w1"), story_id(store, "c1")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("j")  # left the first story before the dwell: stays unread
        assert not store.story(second).read
        await pilot.pause(1.8)
        assert not store.story(first).read
        assert store.story(second).read
        assert app.reader.story_list.current.read


async def test_a_dwell_that_runs_out_as_the_reader_closes_is_ignored(store: Store) -> None:
    """Quitting within the dwell once let its timer fire after the screen was gone: a traceback on exit."""
    app = reader(store)
    first = story_id(store, "w1")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await app.reader.article.remove()  # as when the app takes its screen down on the way out
        app.reader._dwell_ran_out(first)
    assert not store.story(first).read


async def test_open_and_copy_link(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command, log = recording_browser(tmp_path)
    app = reader(store, config=sample_config(read_dwell=60, browser=command))
    monkeypatch.delenv("DISPLAY", raising=False)  # no clipboard tool: the terminal's own clipboard (OSC 52)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("o")
        assert await opened_links(pilot, log, 1) == ["https://example.org/w1"]
        await wait_for(pilot, lambda: any("Opened https://example.org/w1 with" in n.message for n in app._notifications))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.clipboard == "https://example.org/w1")
        await wait_for(pilot, lambda: any("OSC 52" in n.message and "set-clipboard on" in n.message
                                          for n in app._notifications), "the clipboard notice")
        assert not any(n.message.startswith("Copied") for n in app._notifications)


async def test_opening_a_link_with_no_browser_says_so(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine with no browser once answered "Opened ..." to o."""
    import webbrowser

    def none_found(*args: object, **kwargs: object) -> object:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", none_found)
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("o")
        await wait_for(pilot, lambda: any("No browser found" in n.message for n in app._notifications))
        assert not any(n.message.startswith("Opened") for n in app._notifications)


async def test_link_picker_opens_web_links_and_refuses_file_links(tmp_path: Path) -> None:
    store = sample_store(tmp_path)
    store.save_fulltext(story_id(store, "w1"), "Read [the report](https://example.org/report), [the archive](ftp://example.org/a) "
                        "or [this](file:///etc/passwd).")
    command, log = recording_browser(tmp_path)
    app = reader(store, config=sample_config(read_dwell=60, browser=command))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        # markdown-it refuses file: links outright: they stay literal text, never a link
        assert [link.url for link in app.reader.article.links] == ["https://example.org/report", "ftp://example.org/a"]
        assert any("[this](file:///etc/passwd)" in line for line in screen_lines(app))
        await pilot.press("l", "enter")
        assert await opened_links(pilot, log, 1) == ["https://example.org/report"]
        await pilot.press("l", "down", "enter")
        await wait_for(pilot, lambda: any("Not opening ftp://example.org/a" in n.message for n in app._notifications))
        assert await opened_links(pilot, log, 1) == ["https://example.org/report"]
    store.close()


async def test_help_lists_every_binding(store: Store) -> None:
    from rich.console import Console
    from textual.binding import Binding

    from newsreader.ui.screens.help import keys_table

    app = reader(store)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        console = Console(width=140, record=True, file=io.StringIO())
        console.print(keys_table({}, lambda key: app.get_key_display(Binding(key, ""))))
        text = console.export_text()
        assert "Keys" in screen_lines(app)[2] or any("Move to the next row" in line for line in screen_lines(app))
        for action in KEY_ACTIONS:
            assert action.id in text and action.help in text, action.id
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_keys_table_rebinds(store: Store) -> None:
    config = Config(settings=Settings(read_dwell=60), feeds=sample_config().feeds,
                    keys={"story.star": "S", "cursor.down": "n", "no.such": "z"})  # S was filter.save's key
    app = reader(store, config)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(pilot, app)
        assert any("no.such" in n.message for n in app._notifications)
        await pilot.press("n")
        assert app.reader.story_list.cursor == 1
        await pilot.press("s")  # no longer bound
        assert not app.reader.article.story.starred
        await pilot.press("S")
        assert app.reader.article.story.starred
        await pilot.press("question_mark")
        assert re.search(r"│ S +Star or unstar the story +story\.star", "\n".join(screen_lines(app)))


async def test_filter_pane_applies_rows(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("shift+tab")
        pane = app.reader.filter_pane
        assert pane.has_focus
        await wait_for(pilot, lambda: pane.counted)
        pane.move_cursor(pane.node_for("country", "DE"))
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.reader.filters.get("country") == "DE"
        assert titles(app) == ["Germany and France agree energy pact"]
        await pilot.press("enter")  # the active row again: cleared
        await settle(pilot, app)
        assert app.reader.filters.get("country") is None
        pane.move_cursor(pane.node_for("feed", "Caucasus Wire"))
        await pilot.press("down", "up", "enter")  # the arrows move the pane's own cursor
        await settle(pilot, app)
        assert app.reader.filters.get("feed") == "Caucasus Wire"
        await wait_for(pilot, lambda: pane.counted)  # the pane's counts follow the filters after a short pause
        text = "\n".join(screen_lines(app))
        assert "Armenia 2 (2)" in text  # counts under the other filters: this feed's Armenian stories


async def test_q_quits_from_every_pane(store: Store) -> None:
    """The filter pane once took letters for a "jump:" prompt: q, x and c typed into it instead of acting."""
    for presses in ([], ["tab"], ["shift+tab"]):
        app = reader(store)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press(*presses)
            await pilot.press("x", "q")
            await pilot.pause()
            assert not app.is_running, presses


async def test_command_palette_offers_the_actions(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.press(*"only unread")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.reader.filters.get("unread") is True
        await pilot.press("ctrl+p", *"armenia")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.reader.filters.get("country") == "AM"


async def test_offline_refresh_key_says_so_and_q_quits(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("r")
        assert any("Offline" in n.message for n in app._notifications)
        await pilot.press("q")
    assert app.return_code == 0


async def test_last_filters_and_theme_come_back(tmp_path: Path) -> None:
    store = sample_store(tmp_path)
    app = reader(store, state_path=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("c", *"armenia", "enter", "u")
        await settle(pilot, app)
        app.theme = "nord"
        await pilot.press("q")
    assert (tmp_path / STATE_FILENAME).is_file()
    again = reader(store, state_path=True)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot, again)
        assert again.reader.filters.applied == (("country", "AM"), ("unread", True))
        assert again.theme == "nord"
        assert len(titles(again)) == 4
    (tmp_path / STATE_FILENAME).write_text("{not json", encoding="utf-8")
    fresh = reader(store, state_path=True)
    async with fresh.run_test(size=SIZE) as pilot:
        await settle(pilot, fresh)
        assert not fresh.reader.filters
    store.close()


async def test_empty_states_explain_themselves(tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.sqlite")
    app = make_app(Library(Config(), store=store), offline=True, clock=fixed_clock, state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert "No feeds configured." in "\n".join(screen_lines(app))
    app = make_app(Library(sample_config(), store=store), offline=True, clock=fixed_clock, state_path=None)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        text = "\n".join(screen_lines(app))
        assert "Nothing cached yet, and the reader is offline." in text
    store.close()


async def test_mouse_click_selects_a_row(store: Store) -> None:
    app = reader(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.click(StoryList, offset=(20, 4))
        assert app.reader.story_list.cursor == 3
        assert article_title(app) == NEWEST_FIRST[3]


async def test_keys_typed_in_a_burst_land_where_they_were_meant(store: Store) -> None:
    """A paste or fast typing: every key arrives before the search box or the picker has taken focus."""
    from textual import events

    app = reader(store)

    async def burst(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
        for key in keys:
            character = {"slash": "/", "enter": "\r", "escape": "\x1b"}.get(key, key if len(key) == 1 else None)
            app.post_message(events.Key(key, character))
        await pilot.pause(0.3)
        await settle(pilot, app)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await burst(pilot, "slash", *"floods", "enter")
        assert app.reader.filters.applied == (("search", "floods"),)
        assert isinstance(app.focused, StoryList)
        await burst(pilot, "c", *"arm", "enter")  # "m" must not mark a story read, "r" must not refresh
        assert app.reader.filters.get("country") == "AM"
        assert not store.story(story_id(store, "w1")).read
        await burst(pilot, "x", "shift+tab")
        await burst(pilot, "c", *"ger", "enter")  # from the filter pane too: c opens the picker, not a prompt
        assert app.reader.filters.get("country") == "DE"
