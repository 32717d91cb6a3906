"""What the library does with the [sync] server outside a sync: subscribe and unsubscribe there, and send the
changes made here at once (after `newsreader mark`, a key in the reader, a subscription).

Each change is queued in the cache first and then sent (engine.run_sync with full=False): a server that does
not answer leaves it queued for the next sync, and the person is told so in a line. Calls block (they run
their own event loop): the CLI calls them directly, the reader from a worker thread.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsreader.blocking import run_blocking
from newsreader.config.types import Config
from newsreader.errors import FeedListError, RefreshCancelled
from newsreader.model import ServerSubscription, SyncOutcome
from newsreader.store import Store
from newsreader.sync.fever import CANNOT_SUBSCRIBE

if TYPE_CHECKING:
    from newsreader.config.sync import SyncConfig

@dataclass(frozen=True, slots=True)
class ServerUnsubscription:
    deleted: int  #: unstarred stories deleted here
    kept: int  #: starred stories kept
    queued: bool  #: the server has not been told yet: it is at the next sync
    reason: str | None = None


def send_changes(store: Store, config: Config, *, cancel: threading.Event | None = None) -> SyncOutcome:
    """Send what is queued here (marks, subscriptions) to the server now; never raises but StoreError.
    Setting `cancel` (the reader quitting) stops it within a fraction of a second; what was not sent stays
    queued (RefreshCancelled)."""
    from newsreader.sync.engine import run_sync

    try:
        return run_blocking(run_sync(store, config, full=False), cancel)
    except asyncio.CancelledError:
        raise RefreshCancelled(0) from None


def subscribe(store: Store, config: Config, url: str, *, offline: bool = False) -> ServerSubscription:
    """Subscribe on the server (tt-rss), or queue it when the server cannot be asked now. A subscription the
    server refuses (no feed there, an address it will not fetch) is FeedListError, one line."""
    sync = _can_subscribe(config)
    store.queue_subscription(url)
    if offline:
        return ServerSubscription(url, sync.name, queued=True, reason="offline")
    outcome = send_changes(store, config)
    if outcome.warnings:
        raise FeedListError(outcome.warnings[-1])
    if not outcome.ok:
        return ServerSubscription(url, sync.name, queued=True, reason=outcome.error)
    return ServerSubscription(url, sync.name)


def unsubscribe(store: Store, config: Config, feed_id: int, *, offline: bool = False) -> ServerUnsubscription:
    """Unsubscribe from a server feed: its stories go here at once (starred ones stay), and the server is told
    now or at the next sync."""
    _can_subscribe(config)
    deleted, kept = store.unsubscribe_server_feed(feed_id)
    if offline:
        return ServerUnsubscription(deleted, kept, queued=True, reason="offline")
    outcome = send_changes(store, config)
    return ServerUnsubscription(deleted, kept, queued=not outcome.ok, reason=outcome.error)


def _can_subscribe(config: Config) -> SyncConfig:
    sync = config.sync
    assert sync is not None
    if not sync.can_subscribe:
        raise FeedListError(CANNOT_SUBSCRIBE[0].upper() + CANNOT_SUBSCRIBE[1:])
    return sync
