"""Tagging stories again: the whole cache after the tagger improves (`newsreader retag`), or one story
once its full article is stored, since the article names places the feed's summary does not."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from newsreader.store import Store
from newsreader.types import Config, FeedConfig

#: (id, title, summary, text, categories, feed url, link), as the store gives them for tagging
TaggingRow = tuple[int, str, str, str, str, str, "str | None"]


def retag_all(store: Store, config: Config, *, on_batch: Callable[[int], None] | None = None) -> int:
    """Tag every story again; returns how many stories' tags changed. Each batch is one transaction."""
    feeds = {feed.url: feed for feed in config.feeds}
    changed = 0
    for batch in store.iter_for_tagging():
        changed += _retag(store, batch, feeds)
        if on_batch is not None:
            on_batch(len(batch))
    return changed


def retag_stories(store: Store, config: Config, story_ids: Sequence[int]) -> int:
    """Tag these stories again, from what the cache now holds (their article, once extracted)."""
    return _retag(store, store.tagging_rows(story_ids), {feed.url: feed for feed in config.feeds})


def _retag(store: Store, rows: Iterable[TaggingRow], feeds: dict[str, FeedConfig]) -> int:
    from newsreader.geo import get_tagger

    tagger = get_tagger()
    rows = list(rows)
    before = {h.id: h.countries for h in store.headers_by_id([row[0] for row in rows])}
    updates = []
    changed = 0
    for story_id, title, summary, text, categories, feed_url, link in rows:
        feed = feeds.get(feed_url)
        tags = tagger.tag(
            title, summary, text if text != summary else "",
            link=link,
            categories=tuple(c for c in categories.split("\n") if c),
            pinned=feed.countries if feed else (),
            home=feed.home if feed else None,
        )
        updates.append((story_id, tags.countries, tags.mentions, tags.regions))
        changed += before.get(story_id) != tags.countries
    if updates:
        store.set_tags(updates)
    return changed
