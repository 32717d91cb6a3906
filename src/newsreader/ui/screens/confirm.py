"""A yes/no question before something that cannot be undone (removing a feed)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

#: Keys that answer, for keys typed before the screen was up (see filter_bar.forward_to_search).
ANSWERS = {"y": True, "enter": True, "n": False, "escape": False, "q": False}


class ConfirmScreen(ModalScreen[bool]):
    """Returns True for y or enter, False for n, escape or q."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes"),
        # q too: it would otherwise reach the app behind the question and quit the reader.
        Binding("n,escape,q", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, question: Text) -> None:
        super().__init__()
        self._title = title
        self._question = question  # a Text: feed names in it are never read as markup
        self._early: bool | None = None
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm") as box:
            box.border_title = self._title
            box.border_subtitle = "y or enter: yes · n or escape: no"
            yield Static(self._question, id="confirm-question")

    def on_mount(self) -> None:
        if self._early is not None:
            self.action_answer(self._early)

    def feed_key(self, key: str, character: str | None) -> bool:
        """A key typed before this screen was up: y/enter and n/escape answer, the rest are dropped."""
        answer = ANSWERS.get(key)
        if answer is not None:
            if self.is_mounted:
                self.action_answer(answer)
            else:
                self._early = answer
        return True

    def action_answer(self, yes: bool) -> None:
        if not self._answered:  # a typed-ahead answer and the binding must not dismiss twice
            self._answered = True
            self.dismiss(yes)
