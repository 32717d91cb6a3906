"""The reading view: one story over the whole window, as in Newsboat. Escape (or q) goes back to the panes,
where the cursor is on the story read last. Space pages down and, at the end of the story, goes on to the
next unread one; n and p go to the next and previous unread story, N and P to any.

The reader screen it was opened from stays the one source of truth: it moves its list's cursor, reads the
story, and hands it here (`show_story`); the story actions (m, s, o, y, l) are the reader's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from newsreader.library import Story, country_name
from newsreader.ui import keymap
from newsreader.ui.widgets.article_view import ArticleView

if TYPE_CHECKING:
    from newsreader.ui.screens.reader import ReaderScreen


class ReadingScreen(Screen[None]):
    """One story, the whole window."""

    BINDINGS = keymap.bindings("reading")

    def __init__(self, reader: ReaderScreen, story: Story) -> None:
        super().__init__()
        self.reader = reader
        self._story: Story | None = story

    def compose(self) -> ComposeResult:
        yield Static(id="reading-bar")
        yield ArticleView(self.reader.clock, country_name, id="reading-article")
        yield Footer()

    @property
    def article(self) -> ArticleView:
        return self.query_one(ArticleView)

    @property
    def story(self) -> Story | None:
        return self._story

    def on_mount(self) -> None:
        if self._story is not None:
            self._paint(self._story)
        self.article.focus()

    def show_story(self, story: Story) -> None:
        self._story = story
        if self.query(ArticleView):  # composed: else on_mount paints it
            self._paint(story)

    def _paint(self, story: Story) -> None:
        self.article.show_story(story)
        self.query_one("#reading-bar", Static).update(self.reader.reading_bar(story))

    def show_message(self, *lines: str) -> None:
        self._story = None
        self.article.show_message(*lines)
        self.query_one("#reading-bar", Static).update(Text(""))

    # -- keys ----------------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss()

    def action_help(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]

    def action_page(self) -> None:
        if self.article.at_end:
            self.reader.action_next_unread()
        else:
            self.article.scroll_page_down(animate=False)

    def action_next_unread(self) -> None:
        self.reader.action_next_unread()

    def action_previous_unread(self) -> None:
        self.reader.action_previous_unread()

    def action_next_story(self) -> None:
        self.reader.action_next_story()

    def action_previous_story(self) -> None:
        self.reader.action_previous_story()

    def action_toggle_read(self) -> None:
        self.reader.action_toggle_read()

    def action_toggle_star(self) -> None:
        self.reader.action_toggle_star()

    def action_open_link(self) -> None:
        self.reader.action_open_link()

    def action_copy_link(self) -> None:
        self.reader.action_copy_link()

    def action_pick_link(self) -> None:
        self.reader.action_pick_link()

    def on_article_view_link_clicked(self, event: ArticleView.LinkClicked) -> None:
        event.stop()
        self.reader.open_link(event.url)
