"""A one-line question: a name for a saved filter."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from newsreader.ui.screens.typeahead import TypeAheadScreen


class PromptScreen(TypeAheadScreen[str | None]):
    """Returns what was typed (stripped), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, hint: str, value: str = "") -> None:
        super().__init__()
        self._title = title
        self._hint = hint
        self._value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt") as box:
            box.border_title = self._title
            box.border_subtitle = "enter keeps · escape cancels"
            yield Input(value=self._value, id="prompt-input")
            yield Static(Text(self._hint, style="dim"), id="prompt-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        self.type_pending()

    def typed_enter(self) -> None:
        self._submitted()

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self) -> None:
        value = self.query_one(Input).value.strip()
        if value:
            self.dismiss(value)
