"""The cache's one door: every read and write of the SQLite file goes through `Store`."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from newsreader.locations import CACHE_FILENAME, data_directory
from newsreader.store.schema import APPLICATION_ID, SchemaError, migrate
from newsreader.types import Counts, Feed, FeedConfig, Story, StoryFilter, StoryHeader

if TYPE_CHECKING:  # parse pulls in feedparser: readers of the cache (the reader UI) should not pay for it
    from newsreader.parse import ParsedEntry

BUSY_TIMEOUT_MS = 10_000
_STORY_COLUMNS = (
    "s.id, s.feed_id, f.name, s.title, s.link, s.author, s.published, s.updated, s.fetched_at, s.summary, "
    "s.read, s.starred, s.countries, s.mentions, s.regions, s.text, s.text_source, s.sort_at, "
    # A subquery, not a join, so every FROM clause that reads stories can use these columns as they are.
    "(SELECT ft.error FROM story_fulltext ft WHERE ft.story_id = s.id AND ft.status != 'ok')"
)
_HEADER_COLUMNS = "s.id, f.name, s.title, s.sort_at, s.read, s.starred, s.countries"


class StoreError(Exception):
    """The cache cannot be used: corrupt, foreign, newer, or the disk refuses. `str()` is one line."""


@dataclass(frozen=True, slots=True)
class SaveResult:
    new: int = 0
    updated: int = 0


@dataclass(frozen=True, slots=True)
class Retention:
    """What one retention pass deleted."""

    expired: int = 0  #: older than keep_days
    over_cap: int = 0  #: read stories beyond a feed's max_stories

    @property
    def total(self) -> int:
        return self.expired + self.over_cap


@dataclass(frozen=True, slots=True)
class FulltextRequest:
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


def _dt(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)


def _codes(value: str) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def _regions(value: str) -> tuple[str, ...]:
    return tuple(value.split("|")) if value else ()


def fts_query(text: str, *, prefix: bool = True) -> str | None:
    """A user's words as a safe FTS5 query: every word must appear; "quoted phrases" kept; the last word
    matches as a prefix, so results update usefully while typing. None when there is nothing to search."""
    terms: list[str] = []
    in_quote = False
    for index, chunk in enumerate(text.split('"')):
        if in_quote:
            words = chunk.split()
            if words:
                terms.append('"' + " ".join(words).replace('"', '""') + '"')
        else:
            for word in chunk.split():
                cleaned = word.strip("*^:()+-{}[],.;!?'")
                if cleaned:
                    terms.append('"' + cleaned.replace('"', '""') + '"')
        in_quote = not in_quote
    if not terms:
        return None
    if prefix and not text.rstrip().endswith(('"', " ")) and terms[-1].count(" ") == 0:
        terms[-1] += "*"
    return " ".join(terms)


class Store:
    """A newsreader cache file. Safe to share between threads: each thread gets its own connection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._refuse_foreign_file()
        db = self._db
        try:
            self._check_identity(db)
            migrate(db)
        except SchemaError as error:
            raise StoreError(f"{self.path}: {error}") from None
        except sqlite3.DatabaseError as error:
            raise StoreError(_describe(self.path, error)) from None

    # -- connections ---------------------------------------------------------------------------------

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._connect()
            self._local.db = db
        return db

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # WAL lets a `newsreader fetch` from cron write while a reader is open.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as error:
            raise StoreError(_describe(self.path, error)) from None
        except OSError as error:
            raise StoreError(f"{self.path}: cannot open the cache: {error.strerror or error}") from None
        with self._lock:
            self._connections.append(db)
        return db

    def _refuse_foreign_file(self) -> None:
        """Check an existing file is ours on a read-only connection first: `_connect` switching it to WAL
        would already have written to another program's database."""
        try:
            if not self.path.is_file() or self.path.stat().st_size == 0:
                return
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        except OSError as error:
            raise StoreError(f"{self.path}: cannot open the cache: {error.strerror or error}") from None
        except sqlite3.DatabaseError as error:
            raise StoreError(_describe(self.path, error)) from None
        try:
            self._check_identity(db)
        except sqlite3.DatabaseError as error:
            raise StoreError(_describe(self.path, error)) from None
        finally:
            db.close()

    def _check_identity(self, db: sqlite3.Connection) -> None:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        has_tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if has_tables and app_id != APPLICATION_ID:
            raise StoreError(f"{self.path}: not a newsreader cache (another program's SQLite file); choose another --data-dir")

    def close(self) -> None:
        with self._lock:
            for db in self._connections:
                try:
                    db.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self) -> _Transaction:
        return _Transaction(self._db, self.path)

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as error:
            raise StoreError(_describe(self.path, error)) from None

    @property
    def schema_version(self) -> int:
        return self._read("PRAGMA user_version")[0][0]

    # -- feeds ---------------------------------------------------------------------------------------

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
        rows = self._read("SELECT id, url, coalesce(fetch_url, url), etag, last_modified, retry_after, body_hash FROM feeds")
        return {row[0]: FetchState(*row) for row in rows if row[0] in wanted}

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
                    _write_places(db, cursor.lastrowid, entry.countries, entry.mentions, entry.regions)
                    existing[entry.key] = (cursor.lastrowid, entry.content_hash, "feed")
                    new += 1
                elif known[1] != entry.content_hash:
                    story_id, _digest, source = known
                    db.execute(
                        "UPDATE stories SET link = ?, title = ?, author = ?, published = coalesce(?, published), "
                        "updated = ?, summary = ?, content = ?, "
                        "text = CASE WHEN text_source = 'feed' THEN ? ELSE text END, categories = ?, content_hash = ? "
                        "WHERE id = ?",
                        (
                            entry.link, entry.title, entry.author, entry.published, entry.updated, entry.summary,
                            entry.content_html, entry.text, "\n".join(entry.categories), entry.content_hash, story_id,
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
                        _write_places(db, story_id, entry.countries, entry.mentions, entry.regions)
                    updated += 1
            db.execute(
                "UPDATE feeds SET http_status = ?, etag = ?, last_modified = ?, fetch_url = coalesce(?, fetch_url), "
                "title = coalesce(?, title), site_url = coalesce(?, site_url), last_attempt = ?, last_success = ?, "
                "last_error = ?, error_count = 0, retry_after = NULL, body_hash = ? WHERE id = ?",
                (status, etag, last_modified, fetch_url, title, site_url, now, now, warning and f"warning: {warning}",
                 body_hash, feed_id),
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
            "f.last_error, count(s.id), coalesce(sum(s.read = 0), 0) "
            "FROM feeds f LEFT JOIN stories s ON s.feed_id = f.id GROUP BY f.id ORDER BY f.name COLLATE NOCASE"
        )
        return [
            Feed(
                id=r[0], url=r[1], name=r[2], title=r[3], site_url=r[4], fetch_url=r[5], http_status=r[6],
                last_attempt=_dt(r[7]), last_success=_dt(r[8]), last_error=r[9], story_count=r[10], unread_count=r[11],
            )
            for r in rows
        ]

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

    # -- reading stories -----------------------------------------------------------------------------

    def _where(self, story_filter: StoryFilter, *, skip: Iterable[str] = (), walk: bool = False) -> tuple[str, list[object]]:
        """SQL for the filter. `walk`: the query walks stories in time order and stops early (a page), so a
        place is tested story by story instead of listing all its stories first (60 ms for a big region)."""
        clauses: list[str] = []
        params: list[object] = []
        f = story_filter
        skip = set(skip)
        if f.feed and "feed" not in skip:
            clauses.append("s.feed_id IN (SELECT id FROM feeds WHERE name = ? COLLATE NOCASE OR url = ?)")
            params += [f.feed, f.feed]
        if f.search and "search" not in skip and (query := fts_query(f.search)):
            clauses.append("s.id IN (SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?)")
            params.append(query)
        if f.since and "since" not in skip:
            clauses.append("s.sort_at >= ?")
            params.append(f.since.timestamp())
        if f.unread and "unread" not in skip:
            clauses.append("s.read = 0")
        if f.starred and "starred" not in skip:
            clauses.append("s.starred = 1")
        if f.country and "country" not in skip:
            kinds = "('c', 'm')" if f.include_mentions else "('c')"
            if walk:
                clauses.append(f"EXISTS (SELECT 1 FROM story_places WHERE place = ? AND kind IN {kinds} AND story_id = s.id)")
            else:
                clauses.append(f"s.id IN (SELECT story_id FROM story_places WHERE place = ? AND kind IN {kinds})")
            params.append(f.country)
        if f.region and "region" not in skip:
            if walk:
                clauses.append("EXISTS (SELECT 1 FROM story_places WHERE place = ? AND kind = 'r' AND story_id = s.id)")
            else:
                clauses.append("s.id IN (SELECT story_id FROM story_places WHERE place = ? AND kind = 'r')")
            params.append(f.region)
        if f.fulltext_missing and "fulltext_missing" not in skip:
            clauses.append("(s.text_source != 'article' OR s.text = '')")
        return (" AND ".join(clauses) or "1"), params

    def stories(self, story_filter: StoryFilter = StoryFilter(), *, limit: int | None = None, offset: int = 0) -> list[Story]:
        """Stories matching the filter, newest first."""
        where, params = self._where(story_filter)
        sql = (
            f"SELECT {_STORY_COLUMNS} FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE {where} "
            "ORDER BY s.sort_at DESC, s.id DESC LIMIT ? OFFSET ?"
        )
        return [_story(row) for row in self._read(sql, [*params, -1 if limit is None else limit, offset])]

    def headers(self, story_filter: StoryFilter = StoryFilter(), *, limit: int = 100, offset: int = 0) -> list[StoryHeader]:
        """One page of the list: just what a row shows."""
        where, params = self._where(story_filter, walk=True)
        # The page is chosen on the slim time-ordered index (it holds every column a filter tests), and only
        # its rows are read from the wide table: a page costs the same at 100 stories or 100,000.
        sql = (
            f"SELECT {_HEADER_COLUMNS} FROM (SELECT s.id FROM stories s INDEXED BY stories_list WHERE {where} "
            "ORDER BY s.sort_at DESC, s.id DESC LIMIT ? OFFSET ?) AS page "
            "JOIN stories s ON s.id = page.id JOIN feeds f ON f.id = s.feed_id ORDER BY s.sort_at DESC, s.id DESC"
        )
        return [
            StoryHeader(id=r[0], feed=r[1], title=r[2], when=_dt(r[3]), read=bool(r[4]), starred=bool(r[5]), countries=_codes(r[6]))
            for r in self._read(sql, [*params, limit, offset])
        ]

    def iter_stories(self, story_filter: StoryFilter = StoryFilter(), *, batch: int = 500) -> Iterator[Story]:
        """Every story matching the filter, newest first, read a batch at a time (for exports of any size).

        Pages follow the last row seen, not an offset, so a fetch adding stories meanwhile shifts nothing.
        """
        where, params = self._where(story_filter)
        after: tuple[float, int] | None = None
        while True:
            page_where, page_params = where, list(params)
            if after is not None:
                page_where += " AND (s.sort_at < ? OR (s.sort_at = ? AND s.id < ?))"
                page_params += [after[0], after[0], after[1]]
            rows = self._read(
                f"SELECT {_STORY_COLUMNS} FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE {page_where} "
                "ORDER BY s.sort_at DESC, s.id DESC LIMIT ?",
                [*page_params, batch],
            )
            for row in rows:
                yield _story(row)
            if len(rows) < batch:
                return
            after = (rows[-1][17], rows[-1][0])

    def position(self, story_filter: StoryFilter, story_id: int) -> int | None:
        """Where a story sits in `headers(story_filter)` (0 = newest); None if it does not match the filter."""
        where, params = self._where(story_filter)
        found = self._read(f"SELECT s.sort_at FROM stories s WHERE s.id = ? AND {where}", [story_id, *params])
        if not found:
            return None
        sort_at = found[0][0]
        return self._read(
            f"SELECT count(*) FROM stories s WHERE {where} AND (s.sort_at > ? OR (s.sort_at = ? AND s.id > ?))",
            [*params, sort_at, sort_at, story_id],
        )[0][0]

    def story_ids(self, story_filter: StoryFilter = StoryFilter()) -> list[int]:
        where, params = self._where(story_filter)
        sql = f"SELECT s.id FROM stories s WHERE {where} ORDER BY s.sort_at DESC, s.id DESC"
        return [row[0] for row in self._read(sql, params)]

    def headers_by_id(self, ids: Sequence[int]) -> list[StoryHeader]:
        """Headers for these ids, in the order given (unknown ids are left out)."""
        if not ids:
            return []
        rows = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for r in self._read(f"SELECT {_HEADER_COLUMNS} FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE s.id IN ({marks})", chunk):
                rows[r[0]] = StoryHeader(id=r[0], feed=r[1], title=r[2], when=_dt(r[3]), read=bool(r[4]), starred=bool(r[5]), countries=_codes(r[6]))
        return [rows[i] for i in ids if i in rows]

    def story(self, story_id: int) -> Story | None:
        rows = self._read(f"SELECT {_STORY_COLUMNS} FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE s.id = ?", (story_id,))
        return _story(rows[0]) if rows else None

    def count(self, story_filter: StoryFilter = StoryFilter()) -> Counts:
        where, params = self._where(story_filter)
        # The slim by-id index: a count reads a few bytes per matching story, never the wide rows.
        total, unread = self._read(
            f"SELECT count(*), coalesce(sum(s.read = 0), 0) FROM stories s INDEXED BY stories_flags WHERE {where}", params
        )[0]
        return Counts(total, unread)

    def place_counts(self, kind: str, story_filter: StoryFilter = StoryFilter()) -> dict[str, Counts]:
        """Story and unread counts per country (kind "country") or region (kind "region"), under the other filters."""
        code, skip = {"country": ("c", "country"), "region": ("r", "region")}[kind]
        where, params = self._where(story_filter, skip=[skip])
        rows = self._read(
            f"SELECT p.place, count(*), coalesce(sum(s.read = 0), 0) FROM story_places p "
            f"JOIN stories s INDEXED BY stories_flags ON s.id = p.story_id "
            f"WHERE p.kind = ? AND {where} GROUP BY p.place",
            [code, *params],
        )
        return {place: Counts(total, unread) for place, total, unread in rows}

    def feed_counts(self, story_filter: StoryFilter = StoryFilter()) -> dict[str, Counts]:
        where, params = self._where(story_filter, skip=["feed"])
        rows = self._read(
            f"SELECT f.name, count(s.id), coalesce(sum(s.read = 0), 0) FROM stories s INDEXED BY stories_flags "
            f"JOIN feeds f ON f.id = s.feed_id "
            f"WHERE {where} GROUP BY f.id",
            params,
        )
        return {name: Counts(total, unread) for name, total, unread in rows}

    # -- changing stories ----------------------------------------------------------------------------

    def set_read(self, story_ids: Sequence[int], read: bool = True) -> None:
        with self._write() as db:
            db.executemany("UPDATE stories SET read = ? WHERE id = ?", [(int(read), i) for i in story_ids])

    def set_starred(self, story_id: int, starred: bool = True) -> None:
        with self._write() as db:
            db.execute("UPDATE stories SET starred = ? WHERE id = ?", (int(starred), story_id))

    def delete_older_than(self, days: float, *, now: float | None = None) -> int:
        """Delete stories older than `days`, never starred ones (rule 1 of `apply_retention`). Returns how many went."""
        return self.apply_retention(days, now=now).total

    def apply_retention(self, keep_days: float, max_stories: Mapping[str, int] | None = None, *,
                        now: float | None = None) -> Retention:
        """Delete what the retention rules let go, in one transaction. Starred stories always stay.

        1. A story older than `keep_days` goes, read or not. Its age runs from its date or from when it
           was first fetched, whichever is later: an old story arriving in a feed today would otherwise be
           stored and deleted again on every fetch.
        2. A feed with a `max_stories` cap (feed url -> N) keeps its newest N stories, counting every
           story; beyond them read stories go, while unread ones stay until rule 1 takes them.
        """
        cutoff = (now if now is not None else time.time()) - keep_days * 86400
        over_cap = 0
        with self._write() as db:
            expired = db.execute(
                "DELETE FROM stories WHERE sort_at < ? AND fetched_at < ? AND starred = 0", (cutoff, cutoff)
            ).rowcount
            for url, cap in (max_stories or {}).items():
                over_cap += db.execute(
                    "DELETE FROM stories WHERE id IN ("
                    " SELECT id FROM (SELECT s.id, s.read, s.starred, "
                    "  row_number() OVER (ORDER BY s.sort_at DESC, s.id DESC) AS rank "
                    "  FROM stories s WHERE s.feed_id = (SELECT id FROM feeds WHERE url = ?)) "
                    " WHERE rank > ? AND read = 1 AND starred = 0)",
                    (url, cap),
                ).rowcount
        return Retention(expired=expired, over_cap=over_cap)

    def file_size(self) -> int:
        """Bytes the cache takes on disk, write-ahead log included."""
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += Path(f"{self.path}{suffix}").stat().st_size
            except OSError:
                pass
        return total

    def compact(self) -> None:
        """Merge the full-text index, then rebuild the file without its free pages (SQLite VACUUM).

        Safe beside an open reader (WAL): the log is emptied into the file where no reader still needs it.
        """
        try:
            with self._write() as db:
                db.execute("INSERT INTO stories_fts (stories_fts) VALUES ('optimize')")
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError as error:
            raise StoreError(_describe(self.path, error)) from None

    # -- full article text --------------------------------------------------------------------------

    def stories_needing_fulltext(self, feed_ids: Sequence[int], *, now: float | None = None,
                                 limit: int = 50) -> list[FulltextRequest]:
        """Per feed, its newest `limit` stories with a link and no article yet: never tried, or due a retry."""
        now = time.time() if now is None else now
        requests: list[FulltextRequest] = []
        for feed_id in feed_ids:
            rows = self._read(
                "SELECT s.id, s.feed_id, s.link, s.title, coalesce(ft.attempts, 0), ft.status, ft.error, ft.etag, "
                "ft.last_modified FROM stories s LEFT JOIN story_fulltext ft ON ft.story_id = s.id "
                "WHERE s.feed_id = ? AND s.link IS NOT NULL AND s.link != '' AND s.text_source != 'article' "
                "AND (ft.story_id IS NULL OR (ft.status != 'ok' AND ft.next_attempt IS NOT NULL AND ft.next_attempt <= ?)) "
                "ORDER BY s.sort_at DESC, s.id DESC LIMIT ?",
                (feed_id, now, limit),
            )
            requests += [FulltextRequest(*row) for row in rows]
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

    def fulltext_state(self, story_id: int) -> FulltextState | None:
        rows = self._read(
            "SELECT status, error, http_status, attempts, next_attempt, url, fetched_at, bytes FROM story_fulltext "
            "WHERE story_id = ?",
            (story_id,),
        )
        if not rows:
            return None
        r = rows[0]
        return FulltextState(status=r[0], error=r[1], http_status=r[2], attempts=r[3], next_attempt=_dt(r[4]),
                             url=r[5], fetched_at=_dt(r[6]), bytes=r[7])

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

    # -- tags ----------------------------------------------------------------------------------------

    def iter_for_tagging(self, batch: int = 500) -> Iterator[list[tuple[int, str, str, str, str, str, str | None, str]]]:
        """Batches of (id, title, summary, text, categories, feed url, link, text source) for re-tagging."""
        last = 0
        while True:
            rows = self._read(_TAGGING_ROWS + "WHERE s.id > ? ORDER BY s.id LIMIT ?", (last, batch))
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def tagging_rows(self, story_ids: Sequence[int]) -> list[tuple[int, str, str, str, str, str, str | None, str]]:
        """`iter_for_tagging`'s rows for these stories."""
        if not story_ids:
            return []
        marks = ", ".join("?" * len(story_ids))
        return self._read(_TAGGING_ROWS + f"WHERE s.id IN ({marks}) ORDER BY s.id", list(story_ids))

    def set_tags(self, tags: Sequence[tuple[int, Sequence[str], Sequence[str], Sequence[str]]]) -> None:
        """(story id, countries, mentions, regions) for many stories, in one transaction."""
        with self._write() as db:
            for story_id, countries, mentions, regions in tags:
                db.execute(
                    "UPDATE stories SET countries = ?, mentions = ?, regions = ? WHERE id = ?",
                    (" ".join(countries), " ".join(mentions), "|".join(regions), story_id),
                )
                db.execute("DELETE FROM story_places WHERE story_id = ?", (story_id,))
                _write_places(db, story_id, countries, mentions, regions)

    def total_stories(self) -> int:
        return self._read("SELECT count(*) FROM stories")[0][0]


_TAGGING_ROWS = (
    "SELECT s.id, s.title, s.summary, s.text, s.categories, f.url, s.link, s.text_source "
    "FROM stories s JOIN feeds f ON f.id = s.feed_id "
)


def _index_pending(db: sqlite3.Connection) -> int:
    count = db.execute(
        "INSERT INTO stories_fts (rowid, title, summary, text) "
        "SELECT s.id, s.title, s.summary, s.text FROM stories_fts_pending AS p JOIN stories AS s ON s.id = p.story_id"
    ).rowcount
    db.execute("DELETE FROM stories_fts_pending")
    return count


def _write_places(db: sqlite3.Connection, story_id: int | None, countries: Sequence[str], mentions: Sequence[str],
                  regions: Sequence[str]) -> None:
    rows = [(code, "c", story_id, rank) for rank, code in enumerate(countries)]
    rows += [(code, "m", story_id, rank) for rank, code in enumerate(mentions) if code not in countries]
    rows += [(name, "r", story_id, rank) for rank, name in enumerate(regions)]
    if rows:
        db.executemany("INSERT OR IGNORE INTO story_places (place, kind, story_id, rank) VALUES (?, ?, ?, ?)", rows)


def _story(r: tuple) -> Story:
    return Story(
        id=r[0], feed_id=r[1], feed=r[2], title=r[3], link=r[4], author=r[5], published=_dt(r[6]), updated=_dt(r[7]),
        fetched_at=_dt(r[8]), summary=r[9], read=bool(r[10]), starred=bool(r[11]), countries=_codes(r[12]),
        mentions=_codes(r[13]), regions=_regions(r[14]), text=r[15], text_source=r[16], fulltext_error=r[18],
    )


def _describe(path: Path, error: sqlite3.DatabaseError) -> str:
    message = str(error)
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return f"{path}: the cache file is damaged or not SQLite ({message}); move it aside and run `newsreader fetch` again"
    if "disk is full" in message or "disk I/O" in message:
        return f"{path}: cannot write the cache: {message}"
    if "readonly" in message or "read-only" in message:
        return f"{path}: the cache is read-only: {message}"
    return f"{path}: cache error: {message}"


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error; SQLite errors become StoreError."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as error:
            raise StoreError(_describe(self.path, error)) from None
        return self.db

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if exc_type is None:
            try:
                self.db.execute("COMMIT")
                return False
            except sqlite3.DatabaseError as error:
                self.db.execute("ROLLBACK")
                raise StoreError(_describe(self.path, error)) from None
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        if isinstance(exc, sqlite3.DatabaseError):
            raise StoreError(_describe(self.path, exc)) from None
        return False


def open_store(data_dir: str | Path | None = None) -> Store:
    """The cache in the data directory (see `locations.data_directory`)."""
    try:
        directory = data_directory(data_dir)
    except OSError as error:
        raise StoreError(f"cannot create the data directory: {error}") from None
    return Store(directory / CACHE_FILENAME)
