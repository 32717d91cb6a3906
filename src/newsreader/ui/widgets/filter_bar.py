"""The filter bar: what is active ("Armenia · 'ceasefire' · unread"), how many stories match, the search
box while searching, and the refresh status on the right."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from newsreader.library import Counts
from newsreader.ui.format import count


class SearchInput(Input):
    """The search box: every keystroke searches; enter keeps the search, escape puts back the old one."""

    BINDINGS = [Binding("escape", "cancel", "Cancel search", show=False, id="search.cancel")]

    class Closed(Message):
        def __init__(self, accepted: bool) -> None:
            super().__init__()
            self.accepted = accepted

    def action_cancel(self) -> None:
        self.post_message(self.Closed(accepted=False))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Closed(accepted=True))


def forward_to_search(widget: Widget, event: events.Key, *, may_open: bool = True) -> bool:
    """Route a key typed ahead of the reader's own focus changes; True when handled.

    Textual routes a key to the focused widget when it arrives, so in a burst ("/ceasefire⏎", "carm⏎")
    the keys behind the one that opens the search box or a picker are already queued for the pane. Here,
    in the pane's queue and in order, the opening key is acted on at once, and the keys behind it go to
    the search box or to the picker that it opened. `may_open=False`: the widget types this key itself.
    """
    app = widget.app
    top = app.screen
    if top is not widget.screen:  # an earlier key in this queue opened a picker or the help
        feed = getattr(top, "feed_key", None)
        if feed is None or not feed(event.key, event.character):
            return False
        event.stop()
        event.prevent_default()
        return True
    bar = widget.screen.query(FilterBar)
    if not bar:
        return False
    if not bar.first().searching:
        opening = getattr(widget.screen, "opening_action", None)
        action = opening(event.key, event.character) if opening is not None and may_open else None
        if action is None:
            return False
        event.stop()
        event.prevent_default()
        action()
        return True
    box = bar.first().search_input
    if event.character is not None and event.character.isprintable():
        box.insert_text_at_cursor(event.character)
    elif event.key == "backspace":
        box.action_delete_left()
    elif event.key == "enter":
        box.post_message(SearchInput.Closed(accepted=True))
    elif event.key == "escape":
        box.action_cancel()
    else:
        return False
    event.stop()
    event.prevent_default()
    return True


class FilterBar(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static(id="filter-summary")
        search = SearchInput(placeholder="Search title and text…", id="search", select_on_focus=False)
        search.display = False
        yield search
        yield Static(id="status")

    @property
    def search_input(self) -> SearchInput:
        return self.query_one(SearchInput)

    @property
    def searching(self) -> bool:
        return self.has_class("-searching")

    def show_summary(self, parts: list[str], counts: Counts | None, noun: str = "story") -> None:
        """The filters set, and how many rows (stories, or events when grouped) they let through."""
        summary = Text()
        summary.append(" · ".join(parts) if parts else "All stories", style="bold")
        if counts is not None:
            summary.append("  ")
            summary.append(count(counts.total, noun).replace("storys", "stories"), style="")
            if counts.unread:
                summary.append(f", {counts.unread:,} unread", style="dim")
        self.query_one("#filter-summary", Static).update(summary)

    def show_status(self, text: str, style: str = "dim") -> None:
        self.query_one("#status", Static).update(Text(text, style=style))

    def open_search(self, value: str) -> None:
        self.add_class("-searching")
        box = self.search_input
        box.display = True  # at once, not at the next style update: keys typed right after "/" must land here
        box.value = value
        box.cursor_position = len(value)
        self.screen.set_focus(box)  # now: focus() would wait behind keys already queued ("/ceasefire" pasted)

    def close_search(self) -> None:
        self.remove_class("-searching")
        self.search_input.display = False
