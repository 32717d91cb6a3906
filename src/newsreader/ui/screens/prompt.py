"""A one-line question: a name for a saved filter."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PromptScreen(ModalScreen[str | None]):
    """Returns what was typed (stripped), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, hint: str, value: str = "") -> None:
        super().__init__()
        self._title = title
        self._hint = hint
        self._value = value
        self._pending: list[tuple[str, str | None]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt") as box:
            box.border_title = self._title
            box.border_subtitle = "enter keeps · escape cancels"
            yield Input(value=self._value, id="prompt-input")
            yield Static(Text(self._hint, style="dim"), id="prompt-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        pending, self._pending = self._pending, []
        for key, character in pending:
            self._apply_key(key, character)

    def feed_key(self, key: str, character: str | None) -> bool:
        """A key typed before this screen had focus (see filter_bar.forward_to_search)."""
        if key not in ("backspace", "enter", "escape") and not (character and character.isprintable()):
            return False
        if not self.query("#prompt-input"):
            self._pending.append((key, character))
        else:
            self._apply_key(key, character)
        return True

    def _apply_key(self, key: str, character: str | None) -> None:
        box = self.query_one(Input)
        if key == "backspace":
            box.action_delete_left()
        elif key == "enter":
            self._submitted()
        elif key == "escape":
            self.action_cancel()
        elif character:
            box.insert_text_at_cursor(character)

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self) -> None:
        value = self.query_one(Input).value.strip()
        if value:
            self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
