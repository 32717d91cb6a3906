"""The reader app: the theme, what is remembered between runs, the keymap and notices. The reading itself
happens on the reader screen (screens/reader.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import App
from textual.screen import Screen

from newsreader.library import Config, Library
from newsreader.ui import keymap
from newsreader.ui.commands import ReaderCommands
from newsreader.ui.filters import ActiveFilters
from newsreader.ui.queries import QueryThreads
from newsreader.ui.screens.help import HelpScreen
from newsreader.ui.screens.reader import ReaderScreen
from newsreader.ui.state import ReaderState, save_state

#: Library.refresh, or a test's stand-in with its arguments.
RefreshFunction = Callable[..., object]


class ReaderApp(App[int]):
    """Read the cached news by country, region or keyword, from the keyboard."""

    CSS_PATH = "app.tcss"
    TITLE = "newsreader"
    BINDINGS = keymap.bindings("app")
    COMMANDS = App.COMMANDS | {ReaderCommands}

    def __init__(
        self,
        library: Library,
        *,
        offline: bool = False,
        clock: Callable[[], datetime],
        state: ReaderState,
        state_path: Path | None,
        refresh: RefreshFunction,
    ) -> None:
        super().__init__()
        self.library = library
        self.offline = offline
        self.clock = clock
        self.queries = QueryThreads()
        self._state_path = state_path
        self._initial = state
        self._refresh = refresh
        self._reader: ReaderScreen | None = None
        self._started = False

    @property
    def config(self) -> Config:
        return self.library.config

    @property
    def reader(self) -> ReaderScreen:
        """The reader screen (under any dialog open on it)."""
        assert self._reader is not None, "the app has not started"
        return self._reader

    def get_default_screen(self) -> Screen:
        if self._reader is None:
            self._reader = ReaderScreen(self.library, self._refresh, offline=self.offline, clock=self.clock,
                                        queries=self.queries, filters=self._initial.filters,
                                        grouped=self._initial.grouped)
        return self._reader

    def on_mount(self) -> None:
        if self.config.keys:
            self.set_keymap(self.config.keys)
            if unknown := keymap.unknown_ids(self.config.keys):
                self.notify(f"[keys] in feeds.toml: no binding called {', '.join(unknown)} (see ? for the ids)",
                            title="Unknown key ids", severity="warning", markup=False, timeout=8)
        if self._initial.theme and self._initial.theme in self.available_themes:
            self.theme = self._initial.theme
        self._started = True

    def on_unmount(self) -> None:
        # Queries still running would hold the exit (or, closed under them, crash it): stop them, then wait.
        self.library.interrupt()
        self.queries.shutdown()
        self._save_state()

    # By decorator: the messages are ReaderBase's, so their handlers' names would be on_reader_base_...
    @on(ReaderScreen.FiltersChanged)
    def _filters_changed(self, message: ReaderScreen.FiltersChanged) -> None:
        self._save_state(message.filters)

    @on(ReaderScreen.GroupingChanged)
    def _grouping_changed(self) -> None:
        self._save_state()

    def watch_theme(self, theme: str) -> None:
        if self._started:
            self._save_state()

    def _save_state(self, filters: ActiveFilters | None = None) -> None:
        if self._state_path is None:
            return
        if filters is None:
            filters = self._reader.filters if self._reader is not None else self._initial.filters
        grouped = self._reader.grouped if self._reader is not None else self._initial.grouped
        save_state(self._state_path, ReaderState(filters=filters, theme=self.theme, grouped=grouped))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.config.keys))
