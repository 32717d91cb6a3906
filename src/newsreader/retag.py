"""Tagging stories again: the whole cache after the tagger improves (`newsreader retag`), or one story
once its full article is stored, since the article names places the feed's summary does not."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from newsreader.store import Store
from newsreader.types import Config, FeedConfig

#: (id, title, summary, text, categories, feed url, link, text source), as the store gives them for tagging
TaggingRow = tuple[int, str, str, str, str, str, "str | None", str]
#: An article's lede: its first paragraph of prose, at least this long (shorter ones are bylines, datelines).
LEDE_MIN_CHARS = 80
LEDE_MAX_CHARS = 600


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
    for story_id, title, summary, text, categories, feed_url, link, source in rows:
        feed = feeds.get(feed_url)
        lead, body = summary, text if text != summary else ""
        if source == "article":
            # The article's lede names who the story is about as a feed's summary does: it weighs as the lead.
            lede, body = article_lede(text)
            lead = f"{summary}\n\n{lede}" if summary and lede else summary or lede
        tags = tagger.tag(
            title, lead, body,
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


def article_lede(markdown: str) -> tuple[str, str]:
    """(lede, the rest) of an extracted article: the first paragraph of prose, not a heading, an image, a
    list, a table, a quote or a byline."""
    paragraphs = markdown.split("\n\n")
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.strip()
        if len(text) >= LEDE_MIN_CHARS and not text.startswith(("#", "![", "|", "- ", "* ", ">", "```")):
            rest = paragraphs[:index] + paragraphs[index + 1 :]
            return text[:LEDE_MAX_CHARS], "\n\n".join(rest)
    return "", markdown
