"""The library's subscriptions: feeds.toml's feeds, saved filters and OPML, and the [sync] server's feeds
(subscribing and unsubscribing there, sending the changes made here). Library inherits it; nothing else
should."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from newsreader.config.load import load_config
from newsreader.config.types import Config, FeedConfig, SavedFilter
from newsreader.errors import StoreError
from newsreader.model import Discovery, ServerSubscription, SyncOutcome

if TYPE_CHECKING:
    from newsreader.config.edit import AddResult
    from newsreader.config.opml import ImportResult
    from newsreader.store import Store


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    """What `unsubscribe` did: the config entry went (or the [sync] server's subscription), and the cache lost
    the feed's unstarred stories."""

    path: Path | None  #: the feeds.toml changed; None for a feed of the [sync] server
    feed: FeedConfig
    stories_deleted: int = 0
    starred_kept: int = 0
    server: str | None = None  #: the [sync] server it was unsubscribed on ("tt-rss")
    queued: bool = False  #: the server is told at the next sync (it could not be now)
    reason: str | None = None  #: why it could not be told now, one line


class Subscriptions:
    """What Library does with feeds.toml and the [sync] server's subscriptions."""

    config: Config
    _config_file: Path | None
    _store: Store | None

    if TYPE_CHECKING:  # Library's

        @property
        def store(self) -> Store: ...

        @property
        def cache_path(self) -> Path: ...

    # -- subscriptions ---------------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        """The feeds.toml that changes go to: the one in use, else a new one in the user config dir."""
        from newsreader.config.edit import config_path_for_writing

        if self.config.path is None and self._config_file is not None:
            return self._config_file
        return config_path_for_writing(self.config.path)

    def reload_config(self) -> Config:
        """Read feeds.toml again (it may have changed); the key bindings stay as they were."""
        path = self.config_path
        if not path.exists():
            return self.config
        config = load_config(path)
        self.config = replace(config, keys=self.config.keys)
        return self.config

    def find_feed(self, name_or_url: str) -> FeedConfig | None:
        """A feed of feeds.toml, else (with [sync]) one of the server's, by name or URL."""
        from newsreader.config.edit import find_feed

        found = find_feed(self.config.feeds, name_or_url)
        if found is None and self.config.sync is not None:
            found = find_feed(self.server_feeds(), name_or_url)
        return found

    def server_feeds(self) -> tuple[FeedConfig, ...]:
        """The [sync] server's feeds as the cache has them (their category as their one tag)."""
        return tuple(FeedConfig(feed.name, feed.url, tags=(feed.category,) if feed.category else ())
                     for feed in self.store.server_feeds())

    def discover(self, url: str) -> Discovery:
        """The feeds at or behind a URL (a feed, or any page of a site), each checked to be a feed."""
        from newsreader.feeds.discover import discover_feeds_sync

        return discover_feeds_sync(url, settings=self.config.settings, configured=self.config.feeds)

    def subscribe(self, feed: FeedConfig) -> AddResult:
        """Add a feed to feeds.toml (created if missing); the library's config follows."""
        from newsreader.config.edit import add_feed

        result = add_feed(self.config_path, feed)
        self.reload_config()
        return result

    def subscribe_unchecked(self, url: str, name: str = "") -> AddResult:
        """Offline: add a URL as typed (made an http(s) URL), without looking at it; the name defaults to its host."""
        from newsreader.feeds.discover import normalise_input

        return self.subscribe(FeedConfig(name=name, url=normalise_input(url)))

    def unsubscribe(self, name_or_url: str, *, offline: bool = False) -> Unsubscribed:
        """Remove a feed from feeds.toml and its stories from the cache, keeping starred ones; a feed of the
        [sync] server's is unsubscribed there (now, or at the next sync: `offline`, or the server not there).

        The config goes first: if the cache then fails, the feed is gone from the config and its stories
        simply age out.
        """
        from newsreader.config.edit import remove_feed

        server = self._server_feed(name_or_url)
        if server is not None:
            return self._unsubscribe_on_server(server, offline=offline)
        removed = remove_feed(self.config_path, name_or_url)
        self.reload_config()
        cached = next((feed for feed in self.store.feeds() if feed.url == removed.feed.url), None)
        if cached is None:
            return Unsubscribed(path=removed.path, feed=removed.feed)
        deleted = self.store.delete_feed(cached.id, keep_starred=True)
        return Unsubscribed(path=removed.path, feed=removed.feed, stories_deleted=deleted,
                            starred_kept=max(0, cached.story_count - deleted))

    def _server_feed(self, name_or_url: str) -> FeedConfig | None:
        """The server's feed of that name or URL when it is not in feeds.toml (there, feeds.toml's wins)."""
        from newsreader.config.edit import find_feed

        if self.config.sync is None or find_feed(self.config.feeds, name_or_url) is not None:
            return None
        return find_feed(self.server_feeds(), name_or_url)

    def _unsubscribe_on_server(self, feed: FeedConfig, *, offline: bool) -> Unsubscribed:
        from newsreader.sync.actions import unsubscribe

        cached = next(f for f in self.store.server_feeds() if f.url == feed.url)
        done = unsubscribe(self.store, self.config, cached.feed_id, offline=offline)
        return Unsubscribed(path=None, feed=feed, stories_deleted=done.deleted, starred_kept=done.kept,
                            server=self.syncing, queued=done.queued, reason=done.reason)

    def save_filter(self, saved: SavedFilter) -> SavedFilter:
        """Keep a combination of filters under a name, in feeds.toml; returns it as kept."""
        from newsreader.config.edit import add_saved_filter

        kept = add_saved_filter(self.config_path, saved)
        self.reload_config()
        return kept

    def remove_saved_filter(self, name: str) -> SavedFilter:
        from newsreader.config.edit import remove_saved_filter

        removed = remove_saved_filter(self.config_path, name)
        self.reload_config()
        return removed

    def import_opml(self, path: str | os.PathLike[str]) -> ImportResult:
        from newsreader.config.opml import import_opml

        result = import_opml(path, self.config_path)
        self.reload_config()
        return result

    def export_opml(self, path: str | os.PathLike[str] | None = None) -> str:
        """The configured feeds as OPML 2.0; written to `path` (atomically) when one is given."""
        from newsreader.config.opml import export_opml, write_export

        text = export_opml(self.config.feeds, site_urls=self._site_urls())
        if path is not None:
            write_export(text, path)
        return text

    def _site_urls(self) -> dict[str, str]:
        """Each feed's website, where an existing cache knows it; never creates a cache for it."""
        try:
            if self._store is None and not self.cache_path.exists():
                return {}
            return {feed.url: feed.site_url for feed in self.store.feeds() if feed.site_url}
        except StoreError:  # the export does not need the cache; a broken one is reported by other commands
            return {}

    # -- the [sync] server ---------------------------------------------------------------------------------

    @property
    def syncing(self) -> str | None:
        """The [sync] server's name ("tt-rss", "Fever"), or None without one."""
        return self.config.sync.name if self.config.sync is not None else None

    @property
    def subscribes_on_server(self) -> bool:
        """Subscribing means subscribing on the [sync] server (tt-rss); with Fever it cannot be done."""
        return self.config.sync is not None

    @property
    def server_cannot_subscribe(self) -> str | None:
        """Why a subscription cannot be made on the [sync] server (Fever's API has no way), one line; None when
        it can, or without a server."""
        from newsreader.sync.fever import CANNOT_SUBSCRIBE

        sync = self.config.sync
        return None if sync is None or sync.can_subscribe else CANNOT_SUBSCRIBE[0].upper() + CANNOT_SUBSCRIBE[1:]

    def send_changes(self, *, cancel: threading.Event | None = None) -> SyncOutcome | None:
        """Send the changes made here (marks, subscriptions) to the [sync] server now; None without one.
        Setting `cancel` stops it (RefreshCancelled); what was not sent stays for the next sync."""
        from newsreader.sync.actions import send_changes

        return send_changes(self.store, self.config, cancel=cancel) if self.config.sync is not None else None

    def queued_changes(self) -> int:
        """Changes made here that the [sync] server has not had yet."""
        return self.store.queued_count()

    def subscribe_on_server(self, url: str, *, offline: bool = False) -> ServerSubscription:
        """Subscribe on the [sync] server (kept for the next sync when it cannot be asked now). FeedListError
        when the server refuses, or cannot subscribe at all (Fever)."""
        from newsreader.feeds.discover import normalise_input
        from newsreader.sync.actions import subscribe

        return subscribe(self.store, self.config, normalise_input(url), offline=offline)
