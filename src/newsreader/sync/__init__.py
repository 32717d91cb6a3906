"""Clients for the aggregators a reader syncs with: Tiny Tiny RSS's JSON API and the Fever API.

Protocol only: plain async calls over an HTTP client the caller owns (an httpx.AsyncClient, or the reader's own
HttpClient through adapter.py), returning frozen values
(model.py) and raising SyncError with a kind (errors.py). No cache, no UI, no queue of offline changes:
the caller stores what comes back and decides what to send. Server text is hostile and comes back as is.
"""

from newsreader.sync.errors import SyncError, SyncErrorKind
from newsreader.sync.fever import FeverClient
from newsreader.sync.model import (
    RemoteCategory,
    RemoteCounters,
    RemoteFeed,
    RemoteStory,
    Secret,
    SubscribeResult,
    WireStats,
)
from newsreader.sync.ttrss import TtRssClient

__all__ = [
    "FeverClient",
    "RemoteCategory",
    "RemoteCounters",
    "RemoteFeed",
    "RemoteStory",
    "Secret",
    "SubscribeResult",
    "SyncError",
    "SyncErrorKind",
    "TtRssClient",
    "WireStats",
]
