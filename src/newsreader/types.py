"""The domain's public types: frozen dataclasses shared by the fetcher, the cache, the CLI and the UI."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime


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


@dataclass(frozen=True, slots=True)
class Config:
    settings: Settings = field(default_factory=Settings)
    feeds: tuple[FeedConfig, ...] = ()
    keys: dict[str, str] = field(default_factory=dict)  #: binding id -> keys, from `[keys]`
    path: str | None = None  #: where it was read from, if anywhere


@dataclass(frozen=True, slots=True)
class Feed:
    """A feed as the cache knows it, with its fetch state."""

    id: int
    url: str
    name: str
    title: str | None = None  #: the title the feed gives itself
    site_url: str | None = None
    fetch_url: str | None = None  #: where a permanent redirect sent us
    http_status: int | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    story_count: int = 0
    unread_count: int = 0


@dataclass(frozen=True, slots=True)
class Story:
    """One cached story, as the CLI and the reader show it. All text is plain text, but an extracted article's
    `text`, which is Markdown (`text_source == "article"`)."""

    id: int
    feed_id: int
    feed: str  #: the feed's name
    title: str
    link: str | None
    author: str | None
    published: datetime | None  #: UTC; None when the feed gives no date
    updated: datetime | None
    fetched_at: datetime
    summary: str
    read: bool = False
    starred: bool = False
    countries: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    text: str | None = None  #: the body: full article text where extracted, else the feed's content
    text_source: str = "feed"  #: "feed", or "article": then `text` is the extracted article as Markdown
    fulltext_error: str | None = None  #: why the article could not be extracted (one line), if it failed

    @property
    def when(self) -> datetime:
        return self.published or self.fetched_at

    @property
    def feed_text(self) -> str:
        """What the feed gives to read: its content, or its summary when it has none. Content shorter than
        the summary that does not hold it is a side note, not the story (NYT's is the image caption), so it
        follows the summary instead of hiding it."""
        text, summary = self.text or "", self.summary or ""
        if not text:
            return summary
        if len(text) < len(summary) and summary not in text:
            return f"{summary}\n\n{text}"
        return text


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """What the list shows; every field narrows (AND)."""

    feed: str | None = None  #: feed name or url
    search: str | None = None  #: full-text query
    since: datetime | None = None
    unread: bool = False
    starred: bool = False
    country: str | None = None  #: ISO code
    region: str | None = None  #: region name
    include_mentions: bool = False  #: country filter also matches passing mentions
    fulltext_missing: bool = False

    def but(self, **changes: object) -> "StoryFilter":
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def is_empty(self) -> bool:
        return self == StoryFilter()


@dataclass(frozen=True, slots=True)
class StoryHeader:
    """The little the list pane needs of a story: no bodies, so a page of them is cheap."""

    id: int
    feed: str
    title: str
    when: datetime  #: published, or first fetched when the feed gives no date
    read: bool
    starred: bool
    countries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Counts:
    total: int = 0
    unread: int = 0
