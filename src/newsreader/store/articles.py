"""Full article text: which stories still need theirs, and what became of each download."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from newsreader.model import ArticleRequest
from newsreader.store.database import Database, from_epoch, to_datetime


@dataclass(frozen=True, slots=True)
class FulltextState:
    """Where a story's article extraction stands."""

    status: str  #: "ok", or the kind of the last failure
    error: str | None
    http_status: int | None
    attempts: int
    next_attempt: datetime | None  #: None: never again
    url: str | None
    fetched_at: datetime
    bytes: int


@dataclass(frozen=True, slots=True)
class StorageStats:
    """How much room the cache takes, for the benchmarks and `newsreader feeds`-style reports."""

    file_bytes: int  #: page_count * page_size of the main database file
    stories: int
    articles: int  #: stories with extracted article text
    text_bytes: int  #: UTF-8 bytes of every story's title, summary and text
    article_text_bytes: int  #: UTF-8 bytes of the extracted articles alone

    @property
    def bytes_per_story(self) -> float:
        return self.file_bytes / self.stories if self.stories else 0.0


class ArticlesTable(Database):
    """story_fulltext: per story, where its article download stands."""

    def stories_needing_fulltext(self, feed_ids: Sequence[int], *, now: float | None = None,
                                 limit: int = 50) -> list[ArticleRequest]:
        """Per feed, its newest `limit` stories with a link and no article yet: never tried, or due a retry."""
        now = time.time() if now is None else now
        requests: list[ArticleRequest] = []
        for feed_id in feed_ids:
            rows = self._read(
                "SELECT s.id, s.feed_id, s.link, s.title, coalesce(ft.attempts, 0) AS attempts, ft.status, ft.error, "
                "ft.etag, ft.last_modified FROM stories s LEFT JOIN story_fulltext ft ON ft.story_id = s.id "
                "WHERE s.feed_id = ? AND s.link IS NOT NULL AND s.link != '' AND s.text_source != 'article' "
                "AND (ft.story_id IS NULL OR (ft.status != 'ok' AND ft.next_attempt IS NOT NULL AND ft.next_attempt <= ?)) "
                "ORDER BY s.sort_at DESC, s.id DESC LIMIT ?",
                (feed_id, now, limit),
            )
            requests += [
                ArticleRequest(story_id=r["id"], feed_id=r["feed_id"], url=r["link"], title=r["title"],
                               attempts=r["attempts"], kind=r["status"], error=r["error"], etag=r["etag"],
                               last_modified=r["last_modified"])
                for r in rows
            ]
        return requests

    def save_fulltext(self, story_id: int, markdown: str, *, url: str | None = None, size: int = 0,
                      etag: str | None = None, last_modified: str | None = None, http_status: int | None = 200) -> None:
        """Store a story's extracted article (Markdown) as its text; it is never downloaded again."""
        now = time.time()
        with self._write() as db:
            db.execute("UPDATE stories SET text = ?, text_source = 'article' WHERE id = ?", (markdown, story_id))
            db.execute(
                "INSERT INTO story_fulltext (story_id, status, error, http_status, attempts, next_attempt, url, etag, "
                "last_modified, fetched_at, bytes) VALUES (?, 'ok', NULL, ?, 1, NULL, ?, ?, ?, ?, ?) "
                "ON CONFLICT (story_id) DO UPDATE SET status = 'ok', error = NULL, http_status = excluded.http_status, "
                "attempts = attempts + 1, next_attempt = NULL, url = excluded.url, etag = excluded.etag, "
                "last_modified = excluded.last_modified, fetched_at = excluded.fetched_at, bytes = excluded.bytes",
                (story_id, http_status, url, etag, last_modified, now, size),
            )

    def record_fulltext_failure(self, story_id: int, kind: str, message: str, *, next_attempt: float | None,
                                http_status: int | None = None, url: str | None = None, size: int = 0,
                                etag: str | None = None, last_modified: str | None = None) -> None:
        """Remember why a story's article could not be had, and when (if ever) to try again."""
        now = time.time()
        with self._write() as db:
            db.execute(
                "INSERT INTO story_fulltext (story_id, status, error, http_status, attempts, next_attempt, url, etag, "
                "last_modified, fetched_at, bytes) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (story_id) DO UPDATE SET status = excluded.status, error = excluded.error, "
                "http_status = excluded.http_status, attempts = attempts + 1, next_attempt = excluded.next_attempt, "
                "url = excluded.url, etag = coalesce(excluded.etag, etag), "
                "last_modified = coalesce(excluded.last_modified, last_modified), fetched_at = excluded.fetched_at, "
                "bytes = excluded.bytes",
                (story_id, kind, message, http_status, next_attempt, url, etag, last_modified, now, size),
            )

    def article_counts(self) -> dict[int, dict[str, int]]:
        """Per feed id, how its stories' article downloads stand: status ("ok", or a failure's kind) -> stories."""
        counts: dict[int, dict[str, int]] = {}
        for row in self._read("SELECT s.feed_id, ft.status, count(*) AS stories FROM story_fulltext ft "
                              "JOIN stories s ON s.id = ft.story_id GROUP BY s.feed_id, ft.status"):
            counts.setdefault(row["feed_id"], {})[row["status"]] = row["stories"]
        return counts

    def fulltext_state(self, story_id: int) -> FulltextState | None:
        rows = self._read(
            "SELECT status, error, http_status, attempts, next_attempt, url, fetched_at, bytes FROM story_fulltext "
            "WHERE story_id = ?",
            (story_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return FulltextState(status=r["status"], error=r["error"], http_status=r["http_status"],
                             attempts=r["attempts"], next_attempt=from_epoch(r["next_attempt"]), url=r["url"],
                             fetched_at=to_datetime(r["fetched_at"]), bytes=r["bytes"])

    def storage_stats(self) -> StorageStats:
        page_count = self._read("PRAGMA page_count")[0][0]
        page_size = self._read("PRAGMA page_size")[0][0]
        stories, articles, text_bytes, article_bytes = self._read(
            "SELECT count(*), coalesce(sum(text_source = 'article'), 0), "
            "coalesce(sum(length(CAST(title AS BLOB)) + length(CAST(summary AS BLOB)) + length(CAST(text AS BLOB))), 0), "
            "coalesce(sum(CASE WHEN text_source = 'article' THEN length(CAST(text AS BLOB)) ELSE 0 END), 0) FROM stories"
        )[0]
        return StorageStats(file_bytes=page_count * page_size, stories=stories, articles=articles,
                            text_bytes=text_bytes, article_text_bytes=article_bytes)

