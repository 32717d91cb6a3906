"""Feeds and their fetch state, and saving a fetched feed's stories."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from newsreader.config.types import FeedConfig
from newsreader.model import Feed, ParsedEntry
from newsreader.store.database import Database, from_epoch
from newsreader.store.tags import write_places


@dataclass(frozen=True, slots=True)
class SaveResult:
    new: int = 0
    updated: int = 0


@dataclass(frozen=True, slots=True)
class FetchState:
    """What a conditional GET needs to know of a feed."""

    feed_id: int
    url: str
    fetch_url: str
    etag: str | None
    last_modified: str | None
    retry_after: float | None
    body_hash: str | None = None  #: of the last body stored


class FeedsTable(Database):
    """The feeds table: one row per configured feed (or unsubscribed feed with starred stories left)."""

    def sync_feeds(self, configs: Sequence[FeedConfig]) -> dict[str, int]:
        """Make sure every configured feed has a row (names follow the config); return url -> feed id."""
        now = time.time()
        with self._write() as db:
            for feed in configs:
                db.execute(
                    "INSERT INTO feeds (url, name, added_at) VALUES (?, ?, ?) "
                    "ON CONFLICT (url) DO UPDATE SET name = excluded.name WHERE name != excluded.name",
                    (feed.url, feed.name, now),
                )
        urls = {feed.url for feed in configs}
        ids: dict[str, int] = {}
        for url, feed_id in self._read("SELECT url, id FROM feeds"):
            if url in urls:
                ids[url] = feed_id
        return ids

    def fetch_states(self, feed_ids: Iterable[int]) -> dict[int, FetchState]:
        """Feed id -> what its conditional GET needs, for many feeds in one query."""
        wanted = set(feed_ids)
        rows = self._read("SELECT id, url, coalesce(fetch_url, url) AS fetch_url, etag, last_modified, retry_after, "
                          "body_hash FROM feeds")
        return {
            row["id"]: FetchState(feed_id=row["id"], url=row["url"], fetch_url=row["fetch_url"], etag=row["etag"],
                                  last_modified=row["last_modified"], retry_after=row["retry_after"],
                                  body_hash=row["body_hash"])
            for row in rows if row["id"] in wanted
        }

    def record_not_modified(self, feed_id: int, status: int, *, fetch_url: str | None = None, etag: str | None = None,
                            last_modified: str | None = None) -> None:
        """A 304, or a 200 with the very body stored last time (validators it brings are kept)."""
        now = time.time()
        with self._write() as db:
            db.execute(
                "UPDATE feeds SET http_status = ?, last_attempt = ?, last_success = ?, last_error = NULL, error_count = 0, "
                "retry_after = NULL, fetch_url = coalesce(?, fetch_url), etag = coalesce(?, etag), "
                "last_modified = coalesce(?, last_modified) WHERE id = ?",
                (status, now, now, fetch_url, etag, last_modified, feed_id),
            )

    def record_error(self, feed_id: int, error: str, *, status: int | None = None, retry_after: float | None = None,
                     fetch_url: str | None = None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE feeds SET http_status = ?, last_attempt = ?, last_error = ?, error_count = error_count + 1, "
                "retry_after = ?, fetch_url = coalesce(?, fetch_url) WHERE id = ?",
                (status, time.time(), error, retry_after, fetch_url, feed_id),
            )

    def save_feed(
        self,
        feed_id: int,
        entries: Sequence[ParsedEntry],
        *,
        status: int = 200,
        etag: str | None = None,
        last_modified: str | None = None,
        fetch_url: str | None = None,
        title: str | None = None,
        site_url: str | None = None,
        warning: str | None = None,
        fetched_at: float | None = None,
        index: bool = True,
        body_hash: str | None = None,
        language: str | None = None,
    ) -> SaveResult:
        """Store one fetched feed: its stories and its fetch state, in one transaction.

        A story seen before keeps its read and starred flags; one whose content changed gets the new text.
        `index=False` leaves new stories out of search until `index_pending()`, which does many feeds at
        once for a fraction of the cost.
        """
        now = fetched_at if fetched_at is not None else time.time()
        new = updated = 0
        with self._write() as db:
            existing = {
                key: (story_id, digest, source)
                for key, story_id, digest, source in db.execute(
                    "SELECT key, id, content_hash, text_source FROM stories WHERE feed_id = ?", (feed_id,)
                )
            }
            for entry in entries:
                known = existing.get(entry.key)
                if known is None:
                    sort_at = min(entry.published, now) if entry.published is not None else now
                    cursor = db.execute(
                        "INSERT INTO stories (feed_id, key, guid, link, title, author, published, updated, sort_at, "
                        "fetched_at, summary, content, text, categories, content_hash, countries, mentions, regions) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            feed_id, entry.key, entry.guid, entry.link, entry.title, entry.author, entry.published,
                            entry.updated, sort_at, now, entry.summary, entry.content_html, entry.text,
                            "\n".join(entry.categories), entry.content_hash, " ".join(entry.countries),
                            " ".join(entry.mentions), "|".join(entry.regions),
                        ),
                    )
                    write_places(db, cursor.lastrowid, entry.countries, entry.mentions, entry.regions)
                    existing[entry.key] = (cursor.lastrowid, entry.content_hash, "feed")
                    new += 1
                elif known[1] != entry.content_hash:
                    story_id, _digest, source = known
                    db.execute(
                        "UPDATE stories SET link = ?, title = ?, author = ?, published = coalesce(?, published), "
                        # A story first stored undated (its date unreadable then) takes its date's place in time.
                        "sort_at = CASE WHEN published IS NULL AND ? IS NOT NULL THEN min(?, sort_at) ELSE sort_at END, "
                        "updated = ?, summary = ?, content = ?, "
                        "text = CASE WHEN text_source = 'feed' THEN ? ELSE text END, categories = ?, content_hash = ? "
                        "WHERE id = ?",
                        (
                            entry.link, entry.title, entry.author, entry.published, entry.published, entry.published,
                            entry.updated, entry.summary, entry.content_html, entry.text, "\n".join(entry.categories),
                            entry.content_hash, story_id,
                        ),
                    )
                    # Full article text, once extracted, is better than the feed's, and so are the tags found
                    # in it (`newsreader retag` tags it again): keep both.
                    if source == "feed":
                        db.execute(
                            "UPDATE stories SET countries = ?, mentions = ?, regions = ? WHERE id = ?",
                            (" ".join(entry.countries), " ".join(entry.mentions), "|".join(entry.regions), story_id),
                        )
                        db.execute("DELETE FROM story_places WHERE story_id = ?", (story_id,))
                        write_places(db, story_id, entry.countries, entry.mentions, entry.regions)
                    updated += 1
            db.execute(
                "UPDATE feeds SET http_status = ?, etag = ?, last_modified = ?, fetch_url = coalesce(?, fetch_url), "
                "title = coalesce(?, title), site_url = coalesce(?, site_url), last_attempt = ?, last_success = ?, "
                "last_error = ?, error_count = 0, retry_after = NULL, body_hash = ?, language = ? WHERE id = ?",
                (status, etag, last_modified, fetch_url, title, site_url, now, now, warning and f"warning: {warning}",
                 body_hash, language, feed_id),
            )
            if index and new:
                _index_pending(db)
        return SaveResult(new=new, updated=updated)

    def index_pending(self) -> int:
        """Add the stories saved with `index=False` to the search index; return how many there were."""
        with self._write() as db:
            return _index_pending(db)

    def feeds(self) -> list[Feed]:
        rows = self._read(
            "SELECT f.id, f.url, f.name, f.title, f.site_url, f.fetch_url, f.http_status, f.last_attempt, f.last_success, "
            "f.last_error, count(s.id) AS stories, coalesce(sum(s.read = 0), 0) AS unread "
            "FROM feeds f LEFT JOIN stories s ON s.feed_id = f.id GROUP BY f.id ORDER BY f.name COLLATE NOCASE"
        )
        return [
            Feed(
                id=r["id"], url=r["url"], name=r["name"], title=r["title"], site_url=r["site_url"],
                fetch_url=r["fetch_url"], http_status=r["http_status"], last_attempt=from_epoch(r["last_attempt"]),
                last_success=from_epoch(r["last_success"]), last_error=r["last_error"], story_count=r["stories"],
                unread_count=r["unread"],
            )
            for r in rows
        ]

    def feed_language(self, url: str) -> str | None:
        """The language the feed at `url` last declared, or None."""
        rows = self._read("SELECT language FROM feeds WHERE url = ?", (url,))
        return rows[0]["language"] if rows else None

    def feed_names(self) -> list[str]:
        """Every feed's name, without counting its stories (the reader's feed rows and picker)."""
        return [row["name"] for row in self._read("SELECT name FROM feeds")]

    def delete_feed(self, feed_id: int, *, keep_starred: bool = True) -> int:
        """Remove a feed and its stories; starred stories stay unless told otherwise (the feed row stays with them)."""
        with self._write() as db:
            if keep_starred:
                cursor = db.execute("DELETE FROM stories WHERE feed_id = ? AND starred = 0", (feed_id,))
                if not db.execute("SELECT 1 FROM stories WHERE feed_id = ? LIMIT 1", (feed_id,)).fetchone():
                    db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
            else:
                cursor = db.execute("DELETE FROM stories WHERE feed_id = ?", (feed_id,))
                db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
            return cursor.rowcount


def _index_pending(db: sqlite3.Connection) -> int:
    count = db.execute(
        "INSERT INTO stories_fts (rowid, title, summary, text) "
        "SELECT s.id, s.title, s.summary, s.text FROM stories_fts_pending AS p JOIN stories AS s ON s.id = p.story_id"
    ).rowcount
    db.execute("DELETE FROM stories_fts_pending")
    return count

