"""The help screen: every key the reader answers to, read from the keymap (so `[keys]` changes show)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from newsreader.ui.keymap import KEY_ACTIONS, effective_keys


def keys_table(overrides: Mapping[str, str], key_display: Callable[[str], str]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=True)
    table.add_column("Keys", no_wrap=True)
    table.add_column("Does")
    table.add_column("Id", style="dim", no_wrap=True)
    keys = effective_keys(overrides)
    for action in KEY_ACTIONS:
        shown = ", ".join(key_display(key) for key in keys[action.id])
        table.add_row(Text(shown, style="bold"), Text(action.help), Text(action.id))
    table.add_row(Text(key_display("ctrl+p"), style="bold"), Text("Command palette: every action by name"), Text("app.palette"))
    return table


class HelpScreen(ModalScreen[None]):
    """Every binding, with its id for `[keys]` in feeds.toml."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
        Binding("j,down", "scroll_down", "Down", show=False, id="help.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="help.up"),
    ]

    def __init__(self, overrides: Mapping[str, str]) -> None:
        super().__init__()
        self._overrides = overrides

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = Text('escape closes · rebind in feeds.toml: [keys] "story.star" = "F"')
            yield Static(keys_table(self._overrides, lambda key: self.app.get_key_display(Binding(key, ""))))

    def feed_key(self, key: str, character: str | None) -> bool:
        """A key typed before this screen had focus: the closing keys close it, the rest are dropped."""
        if key in ("escape", "q", "question_mark"):
            self.dismiss()
        return True

    def action_scroll_down(self) -> None:
        self.query_one("#help-body").scroll_down()

    def action_scroll_up(self) -> None:
        self.query_one("#help-body").scroll_up()
