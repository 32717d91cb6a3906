"""feeds.toml as data: the settings, the feeds and the key bindings it holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsreader.config.sync import SyncConfig


@dataclass(frozen=True, slots=True)
class FeedConfig:
    """One `[[feeds]]` entry of feeds.toml."""

    name: str  #: shown everywhere a feed is named
    url: str  #: identity of the feed in the cache
    region: str | None = None  #: a label from the config, shown in `newsreader feeds`
    countries: tuple[str, ...] = ()  #: ISO codes pinned to every story of this feed
    home: str | None = None  #: the outlet's home country: fallback for domestic stories
    tags: tuple[str, ...] = ()
    fulltext: bool | None = None  #: None: follow `[settings] fulltext`
    max_stories: int | None = None  #: retention cap for this feed


@dataclass(frozen=True, slots=True)
class Settings:
    """`[settings]` of feeds.toml; every field is optional there."""

    refresh_minutes: int = 30
    keep_days: int = 90
    concurrency: int = 32
    per_host: int = 8  #: at most this many requests to one host at once
    timeout: float = 30.0  #: seconds for one whole feed download
    max_feed_bytes: int = 16 * 1024 * 1024  #: a body larger than this is cut off and the feed fails
    fulltext: bool = False
    read_dwell: float = 1.5  #: seconds a story stays open before the reader marks it read
    mark_cluster_read: bool = True  #: reading one version of a story marks the other outlets' versions read too
    browser: str | None = None  #: command that opens a link ("%u" stands for it); None: the system's browser
    proxy: str | None = None  #: every download goes through this proxy (else HTTP(S)_PROXY, ALL_PROXY, NO_PROXY)


@dataclass(frozen=True, slots=True)
class SavedFilter:
    """One `[[filters]]` entry: a name for a combination of filters."""

    name: str
    applied: tuple[tuple[str, str | bool], ...]  #: (kind, value) in the order they were set


@dataclass(frozen=True, slots=True)
class Config:
    settings: Settings = field(default_factory=Settings)
    feeds: tuple[FeedConfig, ...] = ()
    filters: tuple[SavedFilter, ...] = ()  #: saved filters, in file order
    keys: dict[str, str] = field(default_factory=dict)  #: binding id -> keys, from `[keys]`
    sync: SyncConfig | None = None  #: `[sync]`: the aggregator shared with other devices, if any
    path: str | None = None  #: where it was read from, if anywhere
