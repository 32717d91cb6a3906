"""The reader: a Textual app over the library. Nothing outside this package imports textual.

`make_app` builds the app for the CLI and the tests alike; `run_reader` is what `newsreader` runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newsreader.library import Library, StoreError, start_resource_tracker

if TYPE_CHECKING:
    from newsreader.ui.app import ReaderApp, RefreshFunction

EXIT_CACHE = 3


def local_now() -> datetime:
    return datetime.now().astimezone()


def make_app(
    library: Library,
    *,
    offline: bool = False,
    clock: Callable[[], datetime] | None = None,
    state_path: Path | None | bool = True,
    refresh: RefreshFunction | None = None,
    grouped: bool | None = None,
) -> ReaderApp:
    """The reader over `library`.

    clock: "now" for relative times (tests pass a fixed one). state_path: where the last filters and theme
    live; True (default) for reader-state.json beside the cache, None or False to neither read nor write.
    refresh: `Library.refresh` unless a test passes another (same arguments). grouped: a row per story
    cluster (True) or per story (False); None: as the reader was left (grouped at first).
    """
    from newsreader.ui.app import ReaderApp
    from newsreader.ui.state import STATE_FILENAME, ReaderState, load_state

    if not offline:  # refreshes parse in worker processes, which cannot start once Textual holds stderr
        start_resource_tracker()

    if state_path is True:
        state_path = library.cache_path.parent / STATE_FILENAME
    path = state_path if isinstance(state_path, Path) else None
    state = load_state(path, known={"feed": _feed_exists(library)}) if path else ReaderState()
    if grouped is not None:
        state = replace(state, grouped=grouped)
    return ReaderApp(library, offline=offline, clock=clock or local_now, state=state, state_path=path,
                     refresh=refresh or library.refresh)


def _feed_exists(library: Library) -> Callable[[str], bool]:
    def check(name: str) -> bool:
        return name in library.feed_names()

    return check


def run_reader(library: Library, *, offline: bool = False) -> int:
    """Run the reader on the library, return the exit status (3 when the cache cannot be used)."""
    try:
        library.store  # noqa: B018  -- open the cache now: a damaged one is reported before the screen is taken
        app = make_app(library, offline=offline)
        result = app.run()
    except StoreError as error:
        print(f"newsreader: {error}", file=sys.stderr)
        return EXIT_CACHE
    finally:
        library.close()
    return result if isinstance(result, int) else 0


__all__ = ["make_app", "run_reader"]
