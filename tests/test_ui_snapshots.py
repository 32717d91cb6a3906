"""Snapshots of the reader (pytest-textual-snapshot). Baselines in tests/__snapshots__/; after a deliberate
change, look at `pytest --snapshot-update` output before accepting it.

Deterministic by construction: a fixed clock, fixed stories, no network, the read dwell far away, no
cursor blink, and every background count finished before the picture is taken.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from newsreader.config.types import Config, Settings
from newsreader.library import Library
from newsreader.store import Store
from newsreader.ui import make_app
from newsreader.ui.widgets.filter_bar import SearchInput
from newsreader.ui.widgets.filter_pane import COUNTS_DELAY

from cluster_helpers import clustered_config, clustered_store
from ui_helpers import fixed_clock, sample_config, sample_store, settle, story_id

ARTICLE = """Leaders met in **Sochi** on Monday, the Kremlin said.

## What was agreed

- a ceasefire line, monitored from [Yerevan](https://example.org/yerevan)
- talks to resume in *Brussels*

> "We are closer than ever," one envoy said.
"""


@pytest.fixture
def store(tmp_path: Path):
    store = sample_store(tmp_path)
    store.save_fulltext(story_id(store, "w1"), ARTICLE)
    yield store
    store.close()


def reader(store: Store, config: Config | None = None):
    return make_app(Library(config or sample_config(read_dwell=600), store=store), offline=True, clock=fixed_clock, state_path=None)


def steps(*keys: str, pause: float = 0.0):
    """A run_before that presses keys, then waits until the list, the counts and the screen are still."""

    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await settle(pilot, app)
        app.reader.query_one(SearchInput).cursor_blink = False
        await quiet(pilot)
        await pilot.press(*keys)
        if pause:
            await pilot.pause(pause)
        await quiet(pilot)

    return run


async def quiet(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    for _ in range(3):
        await settle(pilot, app)
        await pilot.pause(COUNTS_DELAY + 0.1)
        await app.workers.wait_for_complete()
    await pilot.pause()


def test_main_screen(snap_compare, store: Store) -> None:
    assert snap_compare(reader(store), terminal_size=(120, 36), run_before=steps())


def test_country_filter(snap_compare, store: Store) -> None:
    assert snap_compare(reader(store), terminal_size=(120, 36), run_before=steps("c", *"arm", "enter"))


def test_search(snap_compare, store: Store) -> None:
    assert snap_compare(reader(store), terminal_size=(120, 36), run_before=steps("slash", *"ceasefire", pause=0.2))


def test_article_pane(snap_compare, store: Store) -> None:
    """The full article in the article pane, focused (tab)."""
    assert snap_compare(reader(store), terminal_size=(120, 36), run_before=steps("tab"))


def test_reading_view(snap_compare, store: Store) -> None:
    """Enter: the story over the whole window."""
    assert snap_compare(reader(store), terminal_size=(120, 36), run_before=steps("enter", pause=0.2))


def test_reading_view_narrow(snap_compare, store: Store) -> None:
    assert snap_compare(reader(store), terminal_size=(80, 24), run_before=steps("enter", pause=0.2))


def test_light_theme(snap_compare, store: Store) -> None:
    """textual-light: every label readable (dark text on the light background), the cursor row not red."""

    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.theme = "textual-light"
        await steps("j")(pilot)

    assert snap_compare(reader(store), terminal_size=(120, 36), run_before=run)


def test_dialog_over_the_list(snap_compare, store: Store) -> None:
    """The selected row under a dialog keeps its colour: it once turned dark red, which read as an error."""

    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await steps("c")(pilot)
        for box in pilot.app.screen.query(Input):
            box.cursor_blink = False
        await quiet(pilot)

    assert snap_compare(reader(store), terminal_size=(120, 36), run_before=run)


def test_help_screen(snap_compare, store: Store) -> None:
    assert snap_compare(reader(store), terminal_size=(120, 36), run_before=steps("question_mark"))


def test_empty_no_feeds(snap_compare, tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.sqlite")
    app = make_app(Library(Config(settings=Settings(read_dwell=600)), store=store), offline=True, clock=fixed_clock, state_path=None)
    assert snap_compare(app, terminal_size=(100, 30), run_before=steps())


def test_empty_nothing_cached(snap_compare, tmp_path: Path) -> None:
    store = Store(tmp_path / "cache.sqlite")
    app = make_app(Library(sample_config(read_dwell=600), store=store), offline=True, clock=fixed_clock, state_path=None)
    assert snap_compare(app, terminal_size=(100, 30), run_before=steps())


def test_empty_no_match(snap_compare, store: Store) -> None:
    assert snap_compare(reader(store), terminal_size=(100, 30),
                        run_before=steps("c", *"kenya", "enter", "u", "slash", *"ceasefire", "enter"))


def test_narrow_terminal(snap_compare, store: Store) -> None:
    assert snap_compare(reader(store), terminal_size=(80, 24), run_before=steps("j"))


def test_wide_terminal(snap_compare, store: Store) -> None:
    assert snap_compare(reader(store), terminal_size=(200, 50), run_before=steps())


def test_add_feed_choices(snap_compare, store: Store, tmp_path: Path) -> None:
    """The add dialog offering a page's feeds, titles and URLs literal; the choices are set, not looked up, so
    the picture holds no loopback port (the lookup itself is tested over loopback in test_ui_feeds.py)."""
    from newsreader.feeds.discover import Discovery, FeedCandidate
    from newsreader.ui.screens.add_feed import AddFeedScreen

    app = make_app(Library(Config(settings=Settings(read_dwell=600), path=str(tmp_path / "feeds.toml")), store=store),
                   clock=fixed_clock, state_path=None)  # online, with no feeds: nothing is fetched

    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await steps("a", *"news.example")(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AddFeedScreen)
        for box in (screen.url_input, screen.name_input):
            box.cursor_blink = False
        screen.show_choices(Discovery(url="https://news.example/", is_feed=False, candidates=(
            FeedCandidate("https://news.example/rss.xml", "News Example: all stories", 20),
            FeedCandidate("https://news.example/comments.atom", "[bold]Comments[/bold] & replies", 5),
            FeedCandidate("https://news.example/world.xml", "World", 12, subscribed_as="World Desk"),
        )))
        await quiet(pilot)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run)


def test_grouped_events(snap_compare, tmp_path: Path) -> None:
    """A row per event with its outlets and languages ("3× de en fr"); the article pane lists the other
    outlets' versions."""
    store = clustered_store(tmp_path, 40)
    app = make_app(Library(clustered_config(read_dwell=600), store=store), offline=True, clock=fixed_clock,
                   state_path=None)
    assert snap_compare(app, terminal_size=(120, 36), run_before=steps("j", "j"))


def test_grouped_reading_view_after_v(snap_compare, tmp_path: Path) -> None:
    """The reading view of one version, moved to with v: the others are listed above the text."""
    store = clustered_store(tmp_path, 40)
    app = make_app(Library(clustered_config(read_dwell=600), store=store), offline=True, clock=fixed_clock,
                   state_path=None)
    assert snap_compare(app, terminal_size=(100, 30), run_before=steps("j", "j", "enter", "v", pause=0.2))
