"""The core's record types: what the CLI and the reader are given by the library (named fields, frozen)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from newsreader.config.types import FeedConfig


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
    article_pending: bool = False  #: its feed keeps full articles, and this one's has not come yet
    cluster_id: int | None = None  #: the id of the story that started its cluster; None: not clustered yet
    cluster_size: int = 1  #: stories in its cluster, itself included
    language: str | None = None  #: ISO 639-1, as the feed declares it or the clusterer guessed it
    versions: tuple[Version, ...] = ()  #: the other stories of its cluster, oldest first (`Library.story`)

    @property
    def when(self) -> datetime:
        return self.published or self.fetched_at

    @property
    def cluster(self) -> int:
        """Its cluster's id: a story alone (or not clustered yet) is its own."""
        return self.cluster_id if self.cluster_id is not None else self.id

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
    #: one row per cluster (the list's headers, counts, positions and neighbours): a cluster is in when any
    #: of its stories passes the other fields, and shows as the newest of those
    grouped: bool = False

    def but(self, **changes: object) -> StoryFilter:
        return replace(self, **changes)  # type: ignore[arg-type]


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
    cluster: int | None = None  #: its cluster's id (the story's own when alone); set in a grouped list
    stories: int = 1  #: a grouped row: the cluster's stories
    outlets: int = 1  #: a grouped row: the feeds that told it
    languages: tuple[str, ...] = ()  #: a grouped row: the languages it was told in


@dataclass(frozen=True, slots=True)
class Version:
    """Another outlet's telling of a story: one row of "the same story elsewhere"."""

    id: int
    feed: str
    title: str
    when: datetime
    language: str | None
    country: str | None  #: the outlet's home country, where known
    read: bool


@dataclass(frozen=True, slots=True)
class Counts:
    total: int = 0
    unread: int = 0


# -- subscribing ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedCandidate:
    """A feed found behind a URL, checked to be one."""

    url: str  #: the feed's address, as it would go into feeds.toml
    title: str  #: what the feed calls itself (one safe line), else what the page called it
    entries: int = 0  #: stories in it now
    subscribed_as: str | None = None  #: the name it already has in feeds.toml, if any


@dataclass(frozen=True, slots=True)
class Discovery:
    """What was found behind a URL a person gave."""

    url: str  #: what was asked for, after redirects
    is_feed: bool  #: the URL itself is a feed (then it is the only candidate)
    candidates: tuple[FeedCandidate, ...]


# -- what a feed gives, on its way from the parser to the cache ---------------------------------------------


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One story as read from a feed: plain text, tagged, ready for the cache."""

    key: str  #: identity within its feed: guid, else link, else a hash of title and date
    guid: str | None
    link: str | None
    title: str
    author: str | None
    published: float | None  #: UTC epoch seconds
    updated: float | None
    summary: str  #: plain text
    content_html: str | None  #: the feed's full content as given (never rendered as HTML)
    text: str  #: plain text of the richest body the feed gives
    categories: tuple[str, ...]
    countries: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    content_hash: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    site_url: str | None
    entries: tuple[ParsedEntry, ...]
    warning: str | None = None  #: the feed was ill-formed, and read as far as it could be
    language: str | None = None  #: as the feed declares it (RSS <language>, xml:lang), lower case
    #: read by feedparser, not the lxml reader (wellformed.py); not part of what the feed says
    by_feedparser: bool = field(default=False, compare=False)


# -- tags ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryText:
    """A cached story's text as the tagger reads it (`newsreader retag`, and a story whose article arrived)."""

    id: int
    feed_url: str
    title: str
    summary: str
    text: str
    text_source: str  #: "feed", or "article" (then `text` is the extracted article as Markdown)
    link: str | None
    categories: tuple[str, ...]
    countries: tuple[str, ...]  #: as tagged now
    feed_language: str | None = None  #: what its feed declares (with its address, the feed's inferred home)


@dataclass(frozen=True, slots=True)
class StoryTags:
    """New tags for one story."""

    story_id: int
    countries: tuple[str, ...]
    mentions: tuple[str, ...]
    regions: tuple[str, ...]


# -- articles -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleRequest:
    """A story whose article page should be downloaded: never tried, or a retry now due."""

    story_id: int
    feed_id: int
    url: str  #: the story's link
    title: str
    attempts: int = 0  #: downloads tried so far
    kind: str | None = None  #: the last failure's kind, if it failed before
    error: str | None = None
    etag: str | None = None  #: from the last failed attempt, for a conditional GET
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleOutcome:
    """What became of one story's page in a fetch."""

    story_id: int
    url: str
    kind: str  #: "ok", or a key of articles.extract.FAILURE_KINDS
    error: str | None = None
    bytes: int = 0  #: downloaded
    retry_at: float | None = None  #: None: done, or given up

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


# -- a refresh ------------------------------------------------------------------------------------------


class Status(str, Enum):
    UPDATED = "updated"
    NOT_MODIFIED = "not modified"
    FAILED = "failed"
    DEFERRED = "deferred"  #: the server asked us to come back later (Retry-After)


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What became of one feed in a refresh."""

    feed: FeedConfig
    status: Status
    new: int = 0
    updated: int = 0
    http_status: int | None = None
    error: str | None = None
    error_kind: str | None = None  #: net.errors.FailureKind's value, or "not-a-feed", "parse", "cache"


@dataclass(slots=True)
class RefreshSummary:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    sync: SyncOutcome | None = None  #: the sync with the [sync] server, when the run made one
    deleted: int = 0  #: stories removed by retention
    seconds: float = 0.0
    articles_expected: int = 0  #: article pages this run set out to download (known once the feeds are saved)
    articles_extracted: int = 0  #: full article texts stored
    articles_failed: int = 0  #: article pages that gave no text this time (recorded per story)
    by_feedparser: int = 0  #: feeds read by feedparser because the lxml reader handed them over
    clustered: int = 0  #: new stories put into clusters

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def new(self) -> int:
        return sum(o.new for o in self.outcomes) + (self.sync.new if self.sync else 0)

    @property
    def updated(self) -> int:
        """Stories changed: new text from their feed, or flags from the [sync] server."""
        return sum(o.updated for o in self.outcomes) + (self.sync.taken if self.sync else 0)

    @property
    def reached_any(self) -> bool:
        """False when every feed failed (and the sync, if any): nothing could be fetched at all."""
        if self.sync is not None and (self.sync.ok or not self.outcomes):
            return self.sync.ok
        return not self.outcomes or any(o.status is not Status.FAILED for o in self.outcomes)

    @property
    def looks_offline(self) -> bool:
        """Every feed failed, and for reasons that say the network (or the proxy) is not there."""
        offline = ("dns", "connect", "proxy")
        return bool(self.outcomes) and all(o.status is Status.FAILED and o.error_kind in offline for o in self.outcomes)

    def line(self) -> str:
        parts = [
            f"{self.count(Status.UPDATED)} updated",
            f"{self.count(Status.NOT_MODIFIED)} not modified",
            f"{self.count(Status.FAILED)} failed",
        ]
        if deferred := self.count(Status.DEFERRED):
            parts.append(f"{deferred} deferred")
        articles = ""
        if self.articles_extracted or self.articles_failed:
            articles = f"; articles: {self.articles_extracted} extracted, {self.articles_failed} failed"
        feeds = f"{len(self.outcomes)} feed" + ("" if len(self.outcomes) == 1 else "s")
        stories = f"{self.new} new stor" + ("y" if self.new == 1 else "ies")
        if self.sync is not None and not self.outcomes:  # `newsreader sync`, or [sync] and no [[feeds]]
            return f"{self.sync.line()} ({self.seconds:.1f} s)"
        # Never silent: a feed the lxml reader handed over to feedparser is read more slowly, by other code.
        fallback = f"; {self.by_feedparser} read by feedparser" if self.by_feedparser else ""
        synced = ""
        if self.sync is not None:  # a failure's own line is printed apart (the CLI, on stderr)
            synced = f"; {self.sync.line()}" if self.sync.ok else f"; {self.sync.service} failed"
        return f"{feeds}: " + ", ".join(parts) + f"; {stories}{articles}{fallback}{synced} ({self.seconds:.1f} s)"


# -- a sync -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class SyncOutcome:
    """What one sync with the [sync] server did, or why it failed (the cache keeps what came before that)."""

    service: str  #: "tt-rss" or "Fever"
    new: int = 0  #: stories stored that the cache did not have
    feeds: int = 0  #: the server's feeds, as the cache now has them
    sent: int = 0  #: read and starred changes made here that the server now has
    taken: int = 0  #: read and starred flags changed here because they changed on the server
    subscriptions: int = 0  #: subscribings and unsubscribings done on the server
    pending: int = 0  #: changes made here still waiting for the server
    warnings: list[str] = field(default_factory=list)  #: what the server refused (a subscription), one line each
    error: str | None = None  #: why the sync stopped, one line
    error_kind: str | None = None  #: sync.SyncErrorKind's value: "unreachable", "login refused", ...
    settings_error: bool = False  #: the person must fix something (a password, the API switch), not wait
    seconds: float = 0.0
    waiting: float = 0.0  #: of `seconds`, spent waiting on the server
    requests: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None

    def line(self) -> str:
        if self.error is not None:
            return self.error  # it names the server itself
        parts = [f"{self.new} new stor" + ("y" if self.new == 1 else "ies")]
        if self.sent or self.taken:
            parts.append(f"{self.sent} change{'' if self.sent == 1 else 's'} sent, {self.taken} taken")
        if self.subscriptions:
            parts.append(f"{self.subscriptions} subscription change{'' if self.subscriptions == 1 else 's'}")
        return f"{self.service}: " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ServerSubscription:
    """A subscription made on the [sync] server (tt-rss), or kept to be made there at the next sync."""

    url: str
    service: str  #: "tt-rss"
    queued: bool = False  #: the server could not be asked now: it is asked at the next sync
    reason: str | None = None  #: why it is queued (the server unreachable, say), one line
