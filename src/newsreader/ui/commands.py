"""The command palette (ctrl+p): every keymap action by name, and 'Country: <name>' shortcuts."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from newsreader.ui.keymap import KEY_ACTIONS, effective_keys


class ReaderCommands(Provider):
    def _actions(self) -> list[tuple[str, str, str]]:
        """(name shown, help, action) for every palette action, with its keys in the help."""
        app = self.app
        keys = effective_keys(app.config.keys)
        from textual.binding import Binding

        rows = []
        for action in KEY_ACTIONS:
            if not action.palette:
                continue
            shown = ", ".join(app.get_key_display(Binding(key, "")) for key in keys[action.id])
            rows.append((action.help, f"key: {shown} · id: {action.id}", action.action))
        return rows

    async def discover(self) -> Hits:
        for name, help_text, action in self._actions():
            yield DiscoveryHit(name, partial(self.app.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, action in self._actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.app.run_action, action), help=help_text)
        if len(query.strip()) >= 3:
            from newsreader.library import search_countries

            set_filter = self.app.set_filter
            for rank, (code, country) in enumerate(search_countries(query, 5)):
                name = f"Country: {country}"
                yield Hit(0.9 - rank * 0.05, name, partial(set_filter, "country", code),
                          help=f"Show only stories about {country} ({code})")
