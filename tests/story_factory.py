"""Stories written straight into a cache, for tests of what reads and prunes it (no fetching)."""

from __future__ import annotations

import hashlib
import time

from newsreader.config.types import FeedConfig
from newsreader.model import ParsedEntry
from newsreader.store import Store

DAY = 86400.0


def entry(key: str, *, title: str | None = None, published: float | None = None, summary: str = "",
          text: str = "", countries: tuple[str, ...] = (), regions: tuple[str, ...] = (),
          link: str | None = None) -> ParsedEntry:
    title = title if title is not None else f"Story {key}"
    digest = hashlib.sha1(f"{title}|{summary}|{text}".encode()).hexdigest()
    return ParsedEntry(
        key=key, guid=key, link=link or f"https://news.example/{key}", title=title, author=None,
        published=published, updated=None, summary=summary, content_html=None, text=text, categories=(),
        countries=countries, regions=regions, content_hash=digest,
    )


def add_stories(store: Store, feed: FeedConfig, entries: list[ParsedEntry], *, fetched_at: float | None = None) -> int:
    """Save `entries` as one fetch of `feed`; returns the feed's id."""
    feed_id = store.sync_feeds([feed])[feed.url]
    store.save_feed(feed_id, entries, fetched_at=fetched_at if fetched_at is not None else time.time())
    return feed_id


def ids_by_key(store: Store) -> dict[str, int]:
    return {key: story_id for key, story_id in store._read("SELECT key, id FROM stories")}
