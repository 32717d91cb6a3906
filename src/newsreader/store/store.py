"""The cache's one door: every read and write of the SQLite file goes through `Store`."""

from __future__ import annotations

from pathlib import Path

from newsreader.config.locations import CACHE_FILENAME, data_directory
from newsreader.errors import StoreError
from newsreader.store.articles import ArticlesTable
from newsreader.store.clusters import ClustersTable
from newsreader.store.feeds import FeedsTable
from newsreader.store.stories import StoriesTable
from newsreader.store.sync import SyncTable
from newsreader.store.tags import TagsTable


class Store(FeedsTable, StoriesTable, ArticlesTable, TagsTable, ClustersTable, SyncTable):
    """A newsreader cache file. Safe to share between threads: each thread gets its own connection."""

    def __enter__(self) -> Store:
        return self


def open_store(data_dir: str | Path | None = None) -> Store:
    """The cache in the data directory (see `locations.data_directory`)."""
    try:
        directory = data_directory(data_dir)
    except OSError as error:
        raise StoreError(f"cannot create the data directory: {error}") from None
    return Store(directory / CACHE_FILENAME)
