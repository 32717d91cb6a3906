"""A server's story as the cache's: the same reading and tagging as a feed's item (feeds/parse.py).

Server text is feed text: titles, authors, links and HTML come from the feed through the server, hostile
either way. `parse_entry` turns them into plain text and safe lines, and tags the story by country from its
title, lead, body, link and the item's own categories, with the countries and home a [[feeds]] entry of the
same URL gives. The story's key is the server's id, which is what marks refer to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from newsreader.config.types import FeedConfig
from newsreader.feeds.parse import ParseOptions, parse_entry
from newsreader.model import ParsedEntry
from newsreader.sync.model import RemoteStory


def story_key(service: str, remote_id: int) -> str:
    """The key of a server story in its feed: unique on the server, and what a later page matches."""
    return f"{service}:{remote_id}"


def entries_for(stories: Sequence[RemoteStory], service: str, feed_urls: Mapping[int, str],
                configured: Mapping[str, FeedConfig]) -> list[ParsedEntry]:
    """Each story read and tagged (in the order given). `feed_urls`: the server's feed id -> its URL, for
    relative links and the [[feeds]] entry (`configured`, by URL) that pins countries or names a home."""
    entries = []
    for story in stories:
        url = feed_urls.get(story.feed_id, "")
        feed = configured.get(url)
        options = ParseOptions(url=url, pinned=feed.countries if feed else (), home=feed.home if feed else None)
        entry = parse_entry(_as_feed_item(story), options)
        entries.append(replace(entry, key=story_key(service, story.id)))
    return entries


def _as_feed_item(story: RemoteStory) -> dict[str, Any]:
    """The story in feedparser's terms. The server's HTML is the item's content (the body); with no summary
    of its own, the parser takes the body's first paragraphs as the lead, as for any content-only item."""
    return {
        "id": story.guid or "",
        "link": story.link,
        "title": story.title,
        "author": story.author,
        "summary": "",
        "content": [{"value": story.content, "type": "text/html"}] if story.content else [],
        "tags": [{"term": tag} for tag in story.tags],
        "published_parsed": story.published.utctimetuple() if story.published else None,
    }
