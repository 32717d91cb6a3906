"""Conformance over the real-world corpus in ../shared/corpus: every feed served over loopback and fetched.

`feeds/` holds real outlets' feeds: each must store as many stories as feedparser finds distinct items in
it (a feed that repeats an item is stored once). `edge/` holds feedparser's own ill-formed and oddly encoded
cases: each must be stored or recorded as a clear one-line error, never a crash. The corpus files are read in
place, never copied into the project.
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.model import FeedOutcome, Status
from newsreader.refresh import refresh_feeds_sync
from newsreader.store import Store

from feedserver import FeedServer

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not (CORPUS / "feeds").is_dir(), reason=f"the real-world corpus is not at {CORPUS}"),
]


def distinct_items(body: bytes) -> int:
    """How many stories feedparser finds, counted by our identity rule: guid, else link, else title and date."""
    keys = set()
    for entry in feedparser.parse(body).entries:
        guid = (entry.get("id") or "").strip()
        link = (entry.get("link") or "").strip()
        keys.add(guid or link or ("untitled", entry.get("title"), dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")))
    return len(keys)


def fetch_all(tmp_path: Path, server: FeedServer, files: list[Path]) -> tuple[Store, dict[str, FeedOutcome]]:
    """Every file behind its own URL, all fetched in one run (so parsing goes through the process pool)."""
    feeds = []
    for file in files:
        # No Content-Type: feedparser then reads the bytes exactly as it does a file on disk.
        url = server.feed(f"/{file.parent.name}/{file.name}", file.read_bytes(), content_type=None)
        feeds.append(FeedConfig(name=file.name, url=url))
    store = Store(tmp_path / "cache.sqlite")
    summary = refresh_feeds_sync(store, Config(settings=Settings(timeout=30), feeds=tuple(feeds)))
    return store, {outcome.feed.name: outcome for outcome in summary.outcomes}


def test_every_feed_stores_what_feedparser_finds(tmp_path, feed_server):
    files = sorted((CORPUS / "feeds").iterdir())
    assert len(files) > 50
    store, outcomes = fetch_all(tmp_path, feed_server, files)
    with store:
        stored = {feed.name: feed.story_count for feed in store.feeds()}
        problems = []
        for file in files:
            outcome = outcomes[file.name]
            expected = distinct_items(file.read_bytes())
            if expected == 0:  # the JSON Feed: feedparser 6 reads no JSON, so neither do we; say so clearly
                if outcome.status is not Status.FAILED or not (outcome.error or "").startswith("not a feed"):
                    problems.append(f"{file.name}: feedparser finds nothing, expected a clear error, got {outcome}")
                continue
            if outcome.status is not Status.UPDATED:
                problems.append(f"{file.name}: {outcome.status.value}: {outcome.error}")
            elif stored[file.name] != expected or outcome.new != expected:
                problems.append(f"{file.name}: stored {stored[file.name]} stories, feedparser finds {expected}")
        assert not problems, "\n".join(problems)

        # Spot checks that the stored text is the plain, decoded text of the feed.
        titles = {s.title for s in store.stories()}
        assert all(s.title and "<" not in s.title for s in store.stories(limit=2000))
        assert store.count().total == sum(stored.values())
        assert len(titles) > 1000


def test_every_edge_case_is_stored_or_a_clear_error(tmp_path, feed_server):
    files = sorted((CORPUS / "edge").iterdir())
    assert len(files) > 40
    store, outcomes = fetch_all(tmp_path, feed_server, files)
    with store:
        stored = {feed.name: feed for feed in store.feeds()}
        problems = []
        for file in files:
            outcome = outcomes[file.name]
            feed = stored[file.name]
            if outcome.status is Status.UPDATED:
                if feed.story_count != outcome.new:
                    problems.append(f"{file.name}: reported {outcome.new} new, stored {feed.story_count}")
                continue
            error = outcome.error or ""
            if outcome.status is not Status.FAILED or not error or "\n" in error:
                problems.append(f"{file.name}: {outcome.status.value}: {error!r}")
            elif error.startswith("could not parse"):  # the catch-all: a crash in our parsing
                problems.append(f"{file.name}: crashed: {error}")
            elif feed.last_error != error:
                problems.append(f"{file.name}: error not recorded: {feed.last_error!r}")
        assert not problems, "\n".join(problems)
        # Most of these are readable despite their flaws; a run that failed them all would be a regression.
        assert sum(o.status is Status.UPDATED for o in outcomes.values()) >= len(files) * 3 // 4
