"""The command palette (ctrl+p): every keymap action by name, and 'Country: <name>' shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from newsreader.library import search_countries
from newsreader.ui.keymap import KEY_ACTIONS, KeyAction, effective_keys


class ReaderCommands(Provider):
    def _target(self, action: KeyAction) -> Callable[[str], object]:
        """Where an action runs: the app's on the app, the reader's on the reader screen."""
        if action.scope == "app":
            return self.app.run_action
        return getattr(self.app, "reader", self.app).run_action

    def _actions(self) -> list[tuple[str, str, Callable[[], object]]]:
        """(name shown, help, callback) for every palette action, with its keys in the help."""
        keys = effective_keys(self.app.config.keys)  # type: ignore[attr-defined]
        rows: list[tuple[str, str, Callable[[], object]]] = []
        for action in KEY_ACTIONS:
            if not action.palette:
                continue
            shown = ", ".join(self.app.get_key_display(Binding(key, "")) for key in keys[action.id])
            rows.append((action.help, f"key: {shown} · id: {action.id}", partial(self._target(action), action.action)))
        return rows

    async def discover(self) -> Hits:
        for name, help_text, callback in self._actions():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        if len(query.strip()) >= 3:
            reader = getattr(self.app, "reader", None)
            if reader is None:
                return
            for rank, (code, country) in enumerate(search_countries(query, 5)):
                name = f"Country: {country}"
                # Scored on the country's own name, like the actions on theirs; a code or demonym ("AM",
                # "Armenian") that found it still ranks it, below what the name itself matches.
                score = max(matcher.match(country), 1.0) - rank * 0.01
                yield Hit(score, name, partial(reader.set_filter, "country", code),
                          help=f"Show only stories about {country} ({code})")
