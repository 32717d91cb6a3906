"""Re-tag the whole cache after the tagger improves (`newsreader retag`)."""

from __future__ import annotations

from collections.abc import Callable

from newsreader.store import Store
from newsreader.types import Config


def retag_all(store: Store, config: Config, *, on_batch: Callable[[int], None] | None = None) -> int:
    """Tag every story again; returns how many stories' tags changed. Each batch is one transaction."""
    from newsreader.geo import get_tagger

    tagger = get_tagger()
    feeds = {feed.url: feed for feed in config.feeds}
    changed = 0
    for batch in store.iter_for_tagging():
        ids = [row[0] for row in batch]
        before = {h.id: h.countries for h in store.headers_by_id(ids)}
        updates = []
        for story_id, title, summary, text, categories, feed_url, link in batch:
            feed = feeds.get(feed_url)
            body = text if text != summary else ""
            tags = tagger.tag(
                title, summary, body,
                link=link,
                categories=tuple(c for c in categories.split("\n") if c),
                pinned=feed.countries if feed else (),
                home=feed.home if feed else None,
            )
            updates.append((story_id, tags.countries, tags.mentions, tags.regions))
            if before.get(story_id) != tags.countries:
                changed += 1
        store.set_tags(updates)
        if on_batch is not None:
            on_batch(len(batch))
    return changed
