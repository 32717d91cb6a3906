"""A dialog with one text box that takes the keys typed before it had focus.

In a burst ("carm⏎", "a" then a URL), the keys behind the one that opened the dialog are already queued for
the pane; filter_bar.forward_to_search hands each to the dialog's `feed_key`, in order. Until the dialog is
mounted they wait here; then they are typed into its box as if the person had typed them there.
"""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen
from textual.widgets import Input

ResultType = TypeVar("ResultType")


class TypeAheadScreen(ModalScreen[ResultType]):
    #: keys besides the printable ones, backspace, enter and escape that the dialog answers (`typed_key`)
    TYPE_AHEAD_KEYS: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self._pending: list[tuple[str, str | None]] = []

    def typing_box(self) -> Input:
        """The box typed-ahead characters go into."""
        return self.query_one(Input)

    def typed_enter(self) -> None:
        """Enter, typed ahead."""

    def typed_key(self, key: str) -> None:
        """One of TYPE_AHEAD_KEYS, typed ahead."""

    def action_cancel(self) -> None:
        self.dismiss(None)

    def feed_key(self, key: str, character: str | None) -> bool:
        """A key typed before this screen had focus; False when it is not one for a text box."""
        wanted = ("backspace", "enter", "escape", *self.TYPE_AHEAD_KEYS)
        if key not in wanted and not (character and character.isprintable()):
            return False
        if not self.is_mounted or not self.query(Input):
            self._pending.append((key, character))
        else:
            self._apply_key(key, character)
        return True

    def type_pending(self) -> None:
        """Type the keys that came before the dialog was mounted (the end of its on_mount)."""
        pending, self._pending = self._pending, []
        for key, character in pending:
            self._apply_key(key, character)

    def _apply_key(self, key: str, character: str | None) -> None:
        box = self.typing_box()
        if key == "backspace":
            box.action_delete_left()
        elif key == "enter":
            self.typed_enter()
        elif key == "escape":
            self.action_cancel()
        elif key in self.TYPE_AHEAD_KEYS:
            self.typed_key(key)
        elif character:
            box.insert_text_at_cursor(character)
