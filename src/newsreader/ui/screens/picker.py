"""Pickers: type a few letters, pick from what matches. Countries (names, codes, demonyms: `arm` -> Armenia),
regions, feeds, and the links of the open article all use this one screen."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from newsreader.ui.pickers import Search
from newsreader.ui.screens.typeahead import TypeAheadScreen


class PickerScreen(TypeAheadScreen[str | None]):
    """Returns the chosen value, or None when dismissed."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down,ctrl+n", "move(1)", "Next", show=False, id="picker.down"),
        Binding("up,ctrl+p", "move(-1)", "Previous", show=False, id="picker.up"),
        Binding("pagedown", "move(10)", "Page down", show=False, id="picker.page_down"),
        Binding("pageup", "move(-10)", "Page up", show=False, id="picker.page_up"),
    ]
    TYPE_AHEAD_KEYS = ("up", "down")

    def __init__(self, title: str, search: Search, *, placeholder: str = "Type to search", hint: str = "") -> None:
        super().__init__()
        self._title = title
        self._search = search
        self._placeholder = placeholder
        self._hint = hint
        self._values: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker") as box:
            box.border_title = self._title
            box.border_subtitle = "enter picks · escape cancels"
            yield Input(placeholder=self._placeholder, id="picker-input")
            yield OptionList(id="picker-options")
            yield Static(Text(self._hint, style="dim"), id="picker-hint")

    def on_mount(self) -> None:
        self.query_one("#picker-hint").display = bool(self._hint)
        self._fill("")
        self.query_one(Input).focus()
        self.type_pending()

    def typed_enter(self) -> None:
        self._fill(self.typing_box().value)  # the Changed events of keys typed ahead may still be queued
        self._submitted()

    def typed_key(self, key: str) -> None:
        self.action_move(1 if key == "down" else -1)

    @property
    def options(self) -> OptionList:
        return self.query_one(OptionList)

    @property
    def values(self) -> list[str]:
        """The values offered now, in order (for tests)."""
        return list(self._values)

    @on(Input.Changed, "#picker-input")
    def _typed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, query: str) -> None:
        choices = list(self._search(query))
        self._values = [choice.value for choice in choices]
        options = self.options
        options.clear_options()
        if choices:
            options.add_options([Option(choice.label) for choice in choices])
            options.highlighted = 0
        else:
            options.add_option(Option(Text("Nothing matches", style="dim"), disabled=True))

    @on(Input.Submitted, "#picker-input")
    def _submitted(self) -> None:
        index = self.options.highlighted
        if self._values and index is not None and 0 <= index < len(self._values):
            self.dismiss(self._values[index])

    @on(OptionList.OptionSelected, "#picker-options")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        if 0 <= event.option_index < len(self._values):
            self.dismiss(self._values[event.option_index])

    def action_move(self, step: int) -> None:
        if not self._values:
            return
        current = self.options.highlighted or 0
        self.options.highlighted = max(0, min(len(self._values) - 1, current + step))

