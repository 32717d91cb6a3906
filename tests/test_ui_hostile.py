"""Hostile feed text in the reader: markup, links and escape sequences show literally and drive nothing."""

from __future__ import annotations

from pathlib import Path

from newsreader.config.types import Config, Settings
from newsreader.library import Library
from newsreader.store import Store
from newsreader.ui import make_app

from ui_helpers import entry, feed_config, fill, fixed_clock, screen_lines, settle, story_id

MARKUP_TITLE = "[bold]Boom[/] [link=file:///etc/passwd]passwd[/link] [@click=app.quit]x[/]"
ESCAPES = "\x1b[31mred\x1b[0m \x1b]0;pwned\x07title \x1b]8;;file:///etc/passwd\x07ln\x1b]8;;\x07 \x1b[2J\x9b1m"
EVIL_FEED = feed_config("[red]Evil[/red] Feed")


def hostile_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "cache.sqlite")
    fill(store, {EVIL_FEED: [
        entry("h1", MARKUP_TITLE, hours_ago=1, countries=("AM",), author="[i]Mallory[/i]",
              summary="Body with [bold]markup[/bold] and [link=file:///etc/passwd]a link[/link].\n\n" + ESCAPES,
              link="https://example.org/[b]x[/b]"),
        entry("h2", "Escapes " + ESCAPES, hours_ago=2, summary="Plain."),
        entry("h3", "Markdown article", hours_ago=3, summary="Short."),
    ]})
    store.save_fulltext(story_id(store, "h3"), "# [bold]Heading[/bold]\n\nText with [red]tags[/red] \x1b[31mand\x1b[0m "
                        "<script>alert(1)</script> <b>html</b> and [a file](file:///etc/passwd).\n")
    return store


def no_control_codes(app) -> None:  # type: ignore[no-untyped-def]
    for strip in app.screen._compositor.render_strips():
        for segment in strip:
            assert "\x1b" not in segment.text and "\x07" not in segment.text and "\x9b" not in segment.text
            assert segment.control is None
            assert segment.style is None or not segment.style.link or segment.style.link.startswith("https://")


async def test_markup_and_escapes_show_literally(tmp_path: Path) -> None:
    store = hostile_store(tmp_path)
    app = make_app(Library(Config(settings=Settings(read_dwell=60)), store=store), offline=True, clock=fixed_clock, state_path=None)
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(pilot, app)
        await pilot.pause(0.3)
        text = "\n".join(screen_lines(app))
        assert MARKUP_TITLE in text  # in the list
        assert text.count(MARKUP_TITLE) == 2  # and as the article's title
        assert "[i]Mallory[/i]" in text
        assert "[red]Evil[/red] Feed" in text  # the feed name, in the list, the article and the filter pane
        assert "Body with [bold]markup[/bold] and [link=file:///etc/passwd]a link[/link]." in text
        assert "Escapes red title ln" in text  # sequences removed, the words kept
        assert "https://example.org/[b]x[/b]" in text
        no_control_codes(app)
        assert app.is_running and app.title == "newsreader"
        await pilot.press("j")
        no_control_codes(app)
        await pilot.press("j")
        await pilot.pause(0.3)
        text = "\n".join(screen_lines(app))
        assert "[bold]Heading[/bold]" in text
        assert "Text with [red]tags[/red] and <script>alert(1)</script> <b>html</b>" in text
        assert "[a file](file:///etc/passwd)" in text  # not a link at all: markdown-it refuses file: targets
        no_control_codes(app)
        await pilot.press("c", *"armenia", "enter")
        await settle(pilot, app)
        assert "[red]Evil[/red] Feed" in "\n".join(screen_lines(app))
        no_control_codes(app)
    store.close()
