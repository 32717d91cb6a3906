"""The reader: a Textual app over the cache. Nothing outside this package imports textual.

`make_app` builds the app for the CLI and the tests alike; `run_reader` is what `newsreader` runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from newsreader.store import Store, StoreError, open_store
from newsreader.types import Config

EXIT_CACHE = 3


def local_now() -> datetime:
    return datetime.now().astimezone()


def make_app(
    config: Config,
    store: Store,
    *,
    offline: bool = False,
    clock: Callable[[], datetime] | None = None,
    state_path: Path | None | bool = True,
    refresh_feeds: Callable[..., object] | None = None,
):  # -> ReaderApp (imported lazily: `newsreader.ui` itself stays cheap to import)
    """The reader over `store`.

    clock: "now" for relative times (tests pass a fixed one). state_path: where the last filters and theme
    live; True (default) for reader-state.json beside the cache, None or False to neither read nor write.
    refresh_feeds: `newsreader.update.refresh_feeds_sync` unless a test passes another.
    """
    from newsreader.ui.app import ReaderApp
    from newsreader.ui.state import STATE_FILENAME, ReaderState, load_state
    from newsreader.workers import start_resource_tracker

    if not offline:  # refreshes parse in worker processes, which cannot start once Textual holds stderr
        start_resource_tracker()

    if state_path is True:
        state_path = store.path.parent / STATE_FILENAME
    path = state_path if isinstance(state_path, Path) else None
    state = load_state(path, known={"feed": _feed_exists(config, store)}) if path else ReaderState()
    if refresh_feeds is None:
        refresh_feeds = _refresh_feeds_sync
    return ReaderApp(config, store, offline=offline, clock=clock or local_now, state=state, state_path=path,
                     refresh_feeds=refresh_feeds)


def _refresh_feeds_sync(*args: object, **kwargs: object) -> object:
    # Imported on first use: the fetcher (httpx, feedparser) is not needed to paint the list.
    from newsreader.update import refresh_feeds_sync

    return refresh_feeds_sync(*args, **kwargs)  # type: ignore[arg-type]


def _feed_exists(config: Config, store: Store) -> Callable[[str], bool]:
    def check(name: str) -> bool:
        return any(f.name == name for f in config.feeds) or any(f.name == name for f in store.feeds())

    return check


def run_reader(config: Config, *, data_dir: str | Path | None = None, offline: bool = False) -> int:
    """Open the cache, run the reader, return the exit status (3 when the cache cannot be used)."""
    try:
        store = open_store(data_dir)
    except StoreError as error:
        print(f"newsreader: {error}", file=sys.stderr)
        return EXIT_CACHE
    try:
        app = make_app(config, store, offline=offline)
        result = app.run()
    except StoreError as error:
        print(f"newsreader: {error}", file=sys.stderr)
        return EXIT_CACHE
    finally:
        store.close()
    return result if isinstance(result, int) else 0


__all__ = ["make_app", "run_reader"]
