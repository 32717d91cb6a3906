"""The SQLite cache: feeds, stories, their places and a full-text index."""

from newsreader.store.schema import SCHEMA_VERSION, SchemaError
from newsreader.store.store import CACHE_FILENAME, FetchState, SaveResult, Store, StoreError, fts_query, open_store

__all__ = ["CACHE_FILENAME", "FetchState", "SCHEMA_VERSION", "SaveResult", "SchemaError", "Store", "StoreError", "fts_query", "open_store"]
