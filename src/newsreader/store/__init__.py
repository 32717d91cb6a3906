"""The SQLite cache: feeds, stories, their places and a full-text index. The only package that runs SQL."""

from newsreader.errors import StoreError
from newsreader.store.articles import FulltextState, StorageStats
from newsreader.store.clusters import ClusterInput, ClusterMark, VersionRow
from newsreader.store.feeds import FetchState, SaveResult
from newsreader.store.schema import SCHEMA_VERSION, SchemaError
from newsreader.store.store import CACHE_FILENAME, Store, open_store
from newsreader.store.stories import Retention, fts_query

__all__ = [
    "CACHE_FILENAME",
    "SCHEMA_VERSION",
    "ClusterInput",
    "ClusterMark",
    "FetchState",
    "FulltextState",
    "Retention",
    "SaveResult",
    "SchemaError",
    "StorageStats",
    "Store",
    "StoreError",
    "VersionRow",
    "fts_query",
    "open_store",
]
