"""The library: newsreader's core as the command line and the reader use it, and nothing else of it.

    library = open_library(config_path, data_dir)
    library.refresh(on_outcome=...)              # fetch every feed; one outcome a feed
    library.headers(StoryFilter(country="AM"))   # a page of the list
    library.story(story_id); library.mark_read([story_id])
    library.subscribe(FeedConfig(name, url)); library.unsubscribe("BBC World")

A library is a config (feeds.toml, possibly none yet) and the cache it describes. The cache is opened on
first use, so commands that only edit feeds.toml never create one. Every method may raise `StoreError`
(the cache cannot be used) and the config ones `ConfigError` or `FeedListError` (bad input); each carries one
line fit for a person.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from newsreader.config.load import load_config
from newsreader.config.locations import (
    CACHE_FILENAME,
    PRIVATE_FILE_MODE,
    config_directory,
    data_directory,
    find_config,
)
from newsreader.config.types import Config, FeedConfig, SavedFilter, Settings
from newsreader.errors import (
    AlreadySubscribed,
    ConfigError,
    DiscoveryError,
    DiskFull,
    FeedListError,
    NewsreaderError,
    NoFeedsFound,
    NoSuchFeed,
    OpmlError,
    RefreshCancelled,
    StoreError,
    Unreachable,
)
from newsreader.geo import (
    UnknownPlace,
    country_name,
    regions,
    resolve_country,
    resolve_region,
    search_countries,
    search_regions,
)
from newsreader.model import (
    ArticleOutcome,
    Counts,
    Discovery,
    Feed,
    FeedCandidate,
    FeedOutcome,
    RefreshSummary,
    ServerSubscription,
    Status,
    Story,
    StoryFilter,
    StoryHeader,
    SyncOutcome,
    Version,
)
from newsreader.store import Retention, Store
from newsreader.subscriptions import Subscriptions, Unsubscribed

if TYPE_CHECKING:
    from newsreader.config.edit import AddResult
    from newsreader.geo import Explanation


@dataclass(frozen=True, slots=True)
class Vacuumed:
    retention: Retention
    bytes_before: int
    bytes_after: int


class Library(Subscriptions):
    """A config and its cache. Safe to use from several threads (the store gives each its own connection)."""

    def __init__(self, config: Config, data_dir: str | os.PathLike[str] | None = None, *,
                 store: Store | None = None, config_file: str | os.PathLike[str] | None = None) -> None:
        """`config_file`: where feeds.toml changes go when `config` was not read from a file (`--config` naming
        a file not made yet); by default the file it was read from, else the usual place."""
        self.config = config
        self._config_file = Path(config_file) if config_file is not None else None
        self._data_dir = data_dir
        self._store = store
        self._store_lock = threading.Lock()

    # -- the cache -----------------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        """The cache, opened (and created, or migrated) on first use."""
        if self._store is None:
            with self._store_lock:
                if self._store is None:
                    self._store = Store(self.cache_path)
        return self._store

    @property
    def cache_path(self) -> Path:
        if self._store is not None:
            return self._store.path
        try:
            return data_directory(self._data_dir) / CACHE_FILENAME
        except OSError as error:
            raise StoreError(f"cannot create the data directory: {error.strerror or error}") from None

    def interrupt(self) -> None:
        """Stop every query running now (each fails with StoreError), e.g. as the reader quits."""
        if self._store is not None:
            self._store.interrupt()

    def close(self) -> None:
        """Close the cache; queries still running elsewhere are interrupted and waited for, never cut off."""
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------------------

    def stories(self, story_filter: StoryFilter = StoryFilter(), *, limit: int | None = None) -> list[Story]:
        return self.store.stories(story_filter, limit=limit)

    def iter_stories(self, story_filter: StoryFilter = StoryFilter()) -> Iterator[Story]:
        """Every matching story, newest first, a batch at a time (exports of any size)."""
        return self.store.iter_stories(story_filter)

    def headers(self, story_filter: StoryFilter, *, limit: int = 100, offset: int = 0) -> list[StoryHeader]:
        """A page of the list; with `grouped`, of clusters (a row each, the newest story passing the filter)."""
        if story_filter.grouped:
            return self.store.cluster_headers(story_filter, limit=limit, offset=offset)
        return self.store.headers(story_filter, limit=limit, offset=offset)

    def position(self, story_filter: StoryFilter, story_id: int) -> int | None:
        """Where the story's row is in `headers(story_filter)` (grouped: its cluster's row)."""
        if story_filter.grouped:
            return self.store.cluster_position(story_filter, story_id)
        return self.store.position(story_filter, story_id)

    def story(self, story_id: int) -> Story | None:
        """One story in full, with the other stories of its cluster (`versions`)."""
        story = self.store.story(story_id)
        if story is None:
            return None
        if story.cluster_size > 1:
            story = replace(story, versions=tuple(v for v in self.versions(story_id) if v.id != story_id))
        if story.text_source == "article" or story.fulltext_error or not story.link:
            return story
        feed = next((f for f in self.config.feeds if f.name == story.feed), None)
        if feed is None and self.config.sync is not None:  # the [sync] server's feeds follow [settings]
            feed = next((f for f in self.server_feeds() if f.name == story.feed), None)
        wants = feed is not None and (feed.fulltext if feed.fulltext is not None else self.config.settings.fulltext)
        return replace(story, article_pending=True) if wants else story

    def versions(self, story_id: int) -> list[Version]:
        """Every story of the story's cluster, itself included, oldest first: who told it, from which country,
        in which language, when."""
        from newsreader.tagging import home_of

        feeds = {feed.url: feed for feed in self.config.feeds}
        return [Version(id=row.id, feed=row.feed, title=row.title, when=datetime.fromtimestamp(row.sort_at, UTC),
                        language=row.language, read=row.read,
                        country=home_of(row.feed_url, feeds.get(row.feed_url), row.feed_language))
                for row in self.store.cluster_versions(story_id)]

    def count(self, story_filter: StoryFilter = StoryFilter()) -> Counts:
        """Stories passing the filter, and how many are unread; with `grouped`, clusters."""
        if story_filter.grouped:
            return self.store.cluster_count(story_filter)
        return self.store.count(story_filter)

    def total_stories(self) -> int:
        return self.store.total_stories()

    def place_counts(self, kind: str, story_filter: StoryFilter = StoryFilter()) -> dict[str, Counts]:
        """Counts per country (kind "country") or region ("region") under the other filters."""
        return self.store.place_counts(kind, story_filter)

    def feed_counts(self, story_filter: StoryFilter = StoryFilter()) -> dict[str, Counts]:
        return self.store.feed_counts(story_filter)

    def feeds(self) -> list[Feed]:
        """Every feed the cache knows, with its fetch state and counts."""
        return self.store.feeds()

    def article_counts(self) -> dict[str, dict[str, int]]:
        """Per feed url, how its stories' article downloads stand: "ok", or a failure's kind -> stories."""
        by_id = self.store.article_counts()
        return {feed.url: by_id[feed.id] for feed in self.store.feeds() if feed.id in by_id}

    def feed_names(self) -> list[str]:
        """The feeds one can filter on: configured, or still in the cache (starred stories keep them)."""
        names = {feed.name for feed in self.config.feeds} | set(self.store.feed_names())
        return sorted(names, key=str.casefold)

    # -- changing stories -----------------------------------------------------------------------------

    def mark_read(self, story_ids: Sequence[int], read: bool = True) -> None:
        self.store.set_read(story_ids, read)

    def mark_starred(self, story_id: int, starred: bool = True) -> None:
        self.store.set_starred(story_id, starred)

    def mark_cluster_read(self, story_id: int, read: bool = True) -> list[int]:
        """Mark the story and the rest of its cluster read (or unread); returns the ids that changed."""
        return self.store.set_cluster_read(story_id, read)

    def mark(self, story_ids: Sequence[int], *, read: bool | None = None, starred: bool | None = None) -> list[int]:
        """Set the flags of these stories (`newsreader mark`); returns the ids no story has (then nothing is
        changed). A synced story's change is queued for the [sync] server: `send_changes` sends it."""
        unknown = [i for i in dict.fromkeys(story_ids) if self.store.story(i) is None]
        if unknown:
            return unknown
        if read is not None:
            self.store.set_read(story_ids, read)
        if starred is not None:
            for story_id in dict.fromkeys(story_ids):
                self.store.set_starred(story_id, starred)
        return []

    def mark_all_read(self, story_filter: StoryFilter, read: bool = True) -> int:
        """Mark every story the filter lets through read (grouped: every story of those clusters); returns how
        many changed."""
        if story_filter.grouped:
            return self.store.set_clusters_read_matching(story_filter, read)
        return self.store.set_read_matching(story_filter, read)

    def neighbour(self, story_filter: StoryFilter, story_id: int | None, *, forward: bool = True,
                  unread: bool = False) -> StoryHeader | None:
        """The next row (older; `forward`) or the previous one in the list the filter makes (grouped: of
        clusters), the next unread one with `unread`; from the top when `story_id` is None."""
        if story_filter.grouped:
            return self.store.cluster_neighbour(story_filter, story_id, forward=forward, unread=unread)
        return self.store.neighbour(story_filter, story_id, forward=forward, unread=unread)

    # -- fetching -------------------------------------------------------------------------------------

    def refresh(
        self,
        feeds: Sequence[FeedConfig] | None = None,
        *,
        force: bool = False,
        fulltext: bool | None = None,
        on_outcome: Callable[[FeedOutcome], None] | None = None,
        on_article: Callable[[ArticleOutcome], None] | None = None,
        on_feeds_done: Callable[[RefreshSummary], None] | None = None,
        cancel: threading.Event | None = None,
        sync: bool | None = None,
        on_sync: Callable[[str], None] | None = None,
    ) -> RefreshSummary:
        """Fetch every configured feed (or `feeds`) into the cache, then the articles of the feeds that keep
        them. `on_outcome` hears of each feed as it finishes, `on_feeds_done` once every feed is saved (the
        stories can be read while the articles come) and `on_article` of each article page; setting `cancel`
        stops the run (RefreshCancelled). `sync` (default: when every feed is fetched and [sync] is set):
        sync with the [sync] server meanwhile, `on_sync` hearing how it goes."""
        from newsreader.refresh import refresh_feeds_sync

        if sync is None:
            sync = feeds is None and self.config.sync is not None
        return refresh_feeds_sync(self.store, self.config, feeds=feeds, force=force, fulltext=fulltext,
                                  on_outcome=on_outcome, on_article=on_article, on_feeds_done=on_feeds_done,
                                  cancel=cancel, sync=sync, on_sync=on_sync)

    def sync(self, *, on_progress: Callable[[str], None] | None = None,
             cancel: threading.Event | None = None) -> RefreshSummary:
        """Sync with the [sync] server alone (no [[feeds]] fetched); the summary's `sync` says how it went."""
        return self.refresh([], sync=True, on_sync=on_progress, cancel=cancel)

    def retag(self, *, on_batch: Callable[[int], None] | None = None) -> int:
        """Tag every cached story again; returns how many stories' countries changed."""
        from newsreader.geo import get_tagger
        from newsreader.tagging import retag

        tagger = get_tagger()
        feeds = {feed.url: feed for feed in self.config.feeds}
        changed = 0
        for batch in self.store.iter_story_texts():
            updates = retag(tagger, batch, feeds)
            self.store.set_tags(updates)
            before = {text.id: text.countries for text in batch}
            changed += sum(1 for update in updates if before[update.story_id] != update.countries)
            if on_batch is not None:
                on_batch(len(batch))
        return changed

    def explain(self, story_id: int) -> tuple[Explanation, str | None] | None:
        """Why a story has its countries: the tagger's reading, as data, and the feed's home it used."""
        from newsreader.geo import get_tagger
        from newsreader.tagging import explain_story, home_of

        texts = self.store.story_texts([story_id])
        if not texts:
            return None
        story = texts[0]
        feed = next((f for f in self.config.feeds if f.url == story.feed_url), None)
        home = home_of(story.feed_url, feed, story.feed_language)
        explanation = explain_story(get_tagger(), title=story.title, summary=story.summary, text=story.text,
                                    text_source=story.text_source, link=story.link, categories=story.categories,
                                    pinned=feed.countries if feed else (), home=home)
        return explanation, home

    def home_of(self, feed: FeedConfig) -> tuple[str | None, bool]:
        """A feed's home country, and whether it was inferred (from its address and declared language) rather
        than set."""
        from newsreader.tagging import home_of

        return home_of(feed.url, feed, self.store.feed_language(feed.url)), not feed.home

    def recluster(self, *, on_batch: Callable[[int], None] | None = None) -> int:
        """Put every cached story into its cluster again, from nothing, in order of publication; returns how
        many clusters there are now."""
        from newsreader.clustering import recluster, state_path

        recluster(self.store, state_path(self.store.path), {feed.url: feed for feed in self.config.feeds},
                  on_batch=on_batch)
        return self.store.cluster_count(StoryFilter()).total

    def vacuum(self) -> Vacuumed:
        """Apply retention now and compact the cache."""
        before = self.store.file_size()
        retention = self.store.apply_retention(self.config.settings.keep_days, self.retention_caps())
        self.store.compact()
        return Vacuumed(retention, before, self.store.file_size())

    def retention_caps(self) -> dict[str, int]:
        return {feed.url: feed.max_stories for feed in self.config.feeds if feed.max_stories}

    def export(self, story_filter: StoryFilter, kind: str, out: TextIO) -> int:
        """Write the matching stories as JSON or CSV ("json", "csv"); returns how many."""
        from newsreader.export import WRITERS

        return WRITERS[kind](self.store.iter_stories(story_filter), out)

def story_record(story: Story) -> dict[str, object]:
    """One story as `list --json` shows it (export.py; imported when first asked for)."""
    from newsreader.export import story_record as record

    return record(story)


def start_resource_tracker() -> None:
    """See workers.start_resource_tracker: a full-screen UI calls it before it takes over stderr."""
    from newsreader.workers import start_resource_tracker as start

    start()


def open_library(config_path: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
                 *, create: bool = False) -> Library:
    """The library for `--config` and `--data-dir` (each None for the usual places). Raises ConfigError for a
    bad feeds.toml. With none found, the config is empty (with no path); a `--config` file that does not
    exist is an error, unless `create` (subscribing makes it)."""
    path = find_config(config_path)
    try:
        exists = path is not None and path.exists()
    except OSError as error:  # a name too long for the file system, say
        raise ConfigError(path or "feeds.toml", f"cannot read: {error.strerror or error}") from None
    if path is not None and (exists or not create):
        return Library(load_config(path), data_dir)
    return Library(Config(), data_dir, config_file=path)


__all__ = [
    "AddResult",
    "AlreadySubscribed",
    "ArticleOutcome",
    "Config",
    "ConfigError",
    "Counts",
    "Discovery",
    "DiscoveryError",
    "DiskFull",
    "Feed",
    "FeedCandidate",
    "FeedConfig",
    "FeedListError",
    "FeedOutcome",
    "Library",
    "NewsreaderError",
    "NoFeedsFound",
    "NoSuchFeed",
    "OpmlError",
    "PRIVATE_FILE_MODE",
    "RefreshCancelled",
    "RefreshSummary",
    "SavedFilter",
    "ServerSubscription",
    "Settings",
    "Status",
    "StoreError",
    "Story",
    "StoryFilter",
    "StoryHeader",
    "SyncOutcome",
    "UnknownPlace",
    "Unreachable",
    "Unsubscribed",
    "Vacuumed",
    "Version",
    "config_directory",
    "country_name",
    "open_library",
    "regions",
    "resolve_country",
    "resolve_region",
    "search_countries",
    "search_regions",
    "start_resource_tracker",
    "story_record",
]
