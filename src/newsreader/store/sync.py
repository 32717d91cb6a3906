"""What a sync with a tt-rss or Fever server keeps: which feeds and stories are the server's, the server's
flags as last seen, and the queue of changes made here that the server has not had yet (schema 7).

The queue fills by trigger (schema.py, `_sync`): any change of a synced story's read or starred flag, made
anywhere, is queued in its own transaction. Writes of the server's own flags run "quietly" (`sync_quiet`
set for the length of their transaction), so they are not queued back to it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from newsreader.store.database import Database

FLAG_OPS = ("read", "starred")
#: How many ids go in one `IN (...)`: SQLite's limit on parameters is far above it.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class ServerFeed:
    """A feed of the server's, as the cache keeps it."""

    feed_id: int
    remote_id: int
    url: str
    name: str
    category: str | None


@dataclass(frozen=True, slots=True)
class ServerFeedRow:
    """A feed the server lists, to be kept."""

    remote_id: int
    url: str
    name: str
    category: str | None


@dataclass(frozen=True, slots=True)
class SyncedStory:
    """A story of the server's: its flags here, and the server's as last seen or sent."""

    story_id: int
    remote_id: int
    read: bool
    starred: bool
    remote_read: bool
    remote_starred: bool


@dataclass(frozen=True, slots=True)
class QueuedChange:
    """A change made here that the server has not had yet."""

    id: int  #: its place in the queue: the order the changes were made in
    op: str  #: 'read', 'starred', 'subscribe', 'unsubscribe'
    remote_id: int | None  #: the story's or (unsubscribe) the feed's id on the server
    value: bool | None  #: read, starred: the flag as set
    url: str | None  #: subscribe: the feed's address
    at: float  #: when it was made (epoch seconds)


@dataclass(frozen=True, slots=True)
class FlagUpdate:
    """A flag of a synced story (by its server id), as the sync settled it."""

    remote_id: int
    field: str  #: 'read' or 'starred'
    value: bool


class SyncTable(Database):

    # -- state ----------------------------------------------------------------------------------------

    def sync_state(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self._read("SELECT key, value FROM sync_state")}

    def set_sync_state(self, **values: str | float | int) -> None:
        with self._write() as db:
            db.executemany("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           [(key, str(value)) for key, value in values.items()])

    def start_sync_with(self, identity: str) -> bool:
        """Make the cache the server's named by `identity` (service, url, user). Another server's feeds, its
        unstarred stories, queue and state go (their ids mean nothing to this one); returns True if they did."""
        with self._write() as db:
            row = db.execute("SELECT value FROM sync_state WHERE key = 'identity'").fetchone()
            if row is None:  # the first sync: changes queued before it (a subscription) are this server's
                db.execute("INSERT INTO sync_state (key, value) VALUES ('identity', ?)", (identity,))
                return False
            if row["value"] == identity:
                return False
            feeds = [r[0] for r in db.execute("SELECT feed_id FROM sync_feeds")]
            db.execute("DELETE FROM stories WHERE starred = 0 AND id IN (SELECT story_id FROM sync_stories)")
            for table in ("sync_stories", "sync_feeds", "sync_queue", "sync_state"):
                db.execute(f"DELETE FROM {table}")
            for feed_id in feeds:
                db.execute("DELETE FROM feeds WHERE id = ? AND NOT EXISTS (SELECT 1 FROM stories WHERE feed_id = ?)",
                           (feed_id, feed_id))
            db.execute("INSERT INTO sync_state (key, value) VALUES ('identity', ?)", (identity,))
            return True

    # -- feeds ----------------------------------------------------------------------------------------

    def server_feeds(self) -> list[ServerFeed]:
        rows = self._read("SELECT f.id, m.remote_id, f.url, f.name, m.category FROM sync_feeds m "
                          "JOIN feeds f ON f.id = m.feed_id ORDER BY f.name COLLATE NOCASE")
        return [ServerFeed(r["id"], r["remote_id"], r["url"], r["name"], r["category"]) for r in rows]

    def save_server_feeds(self, feeds: Sequence[ServerFeedRow], gone: Iterable[int] = ()) -> dict[int, int]:
        """Keep the server's feeds (rows made or renamed), and let go of those it no longer lists (`gone`,
        their server ids): their unstarred stories go, as an unsubscribed feed's do. Returns server id ->
        feed id for every feed kept."""
        now = time.time()
        ids: dict[int, int] = {}
        with self._write() as db:
            for remote_id in gone:
                _let_go(db, remote_id)
            for feed in feeds:
                row = db.execute("SELECT feed_id FROM sync_feeds WHERE remote_id = ?", (feed.remote_id,)).fetchone()
                if row is None:
                    row = db.execute("SELECT id FROM feeds WHERE url = ?", (feed.url,)).fetchone()
                    if row is not None:  # fetched here until now: the server's copy of its stories replaces ours
                        db.execute("DELETE FROM stories WHERE feed_id = ? AND starred = 0 AND id NOT IN "
                                   "(SELECT story_id FROM sync_stories)", (row[0],))
                if row is None:
                    feed_id = db.execute("INSERT INTO feeds (url, name, added_at) VALUES (?, ?, ?)",
                                         (feed.url, feed.name, now)).lastrowid
                else:
                    feed_id = row[0]
                    db.execute("UPDATE feeds SET name = ? WHERE id = ? AND name != ?", (feed.name, feed_id, feed.name))
                    if not db.execute("SELECT 1 FROM feeds WHERE url = ?", (feed.url,)).fetchone():
                        db.execute("UPDATE feeds SET url = ? WHERE id = ?", (feed.url, feed_id))  # moved on the server
                assert feed_id is not None
                db.execute("INSERT INTO sync_feeds (feed_id, remote_id, category) VALUES (?, ?, ?) "
                           "ON CONFLICT (feed_id) DO UPDATE SET remote_id = excluded.remote_id, category = excluded.category",
                           (feed_id, feed.remote_id, feed.category))
                ids[feed.remote_id] = feed_id
        return ids

    def unsubscribe_server_feed(self, feed_id: int) -> tuple[int, int]:
        """Unsubscribe here from a server feed, and queue the unsubscribing for the server, in one transaction.
        Returns (stories deleted, starred stories kept)."""
        with self._write() as db:
            row = db.execute("SELECT remote_id FROM sync_feeds WHERE feed_id = ?", (feed_id,)).fetchone()
            if row is None:
                return 0, 0
            db.execute("INSERT INTO sync_queue (op, remote_id, at) VALUES ('unsubscribe', ?, ?)", (row[0], time.time()))
            return _let_go(db, row[0])

    def queue_subscription(self, url: str) -> None:
        with self._write() as db:
            db.execute("INSERT INTO sync_queue (op, url, at) VALUES ('subscribe', ?, ?)", (url, time.time()))

    # -- stories --------------------------------------------------------------------------------------

    def map_synced_stories(self, feed_id: int, stories: Sequence[tuple[str, int, bool, bool]]) -> int:
        """After `save_feed`: the stories of a server feed, as (key, server id, read, starred). A story not yet
        known as the server's takes the server's flags (quietly) and is mapped; one known keeps its flags, for
        the flag step to settle. Returns how many were mapped now."""
        mapped = 0
        with self._write() as db, _quiet(db):
            for start in range(0, len(stories), CHUNK):
                chunk = stories[start:start + CHUNK]
                marks = ",".join("?" * len(chunk))
                by_key = dict(db.execute(f"SELECT key, id FROM stories WHERE feed_id = ? AND key IN ({marks})",
                                         [feed_id, *(key for key, *_ in chunk)]).fetchall())
                for key, remote_id, read, starred in chunk:
                    story_id = by_key.get(key)
                    if story_id is None:  # not kept (too old for keep_days)
                        continue
                    if db.execute("SELECT 1 FROM sync_stories WHERE story_id = ? OR remote_id = ?",
                                  (story_id, remote_id)).fetchone():
                        continue
                    db.execute("UPDATE stories SET read = ?, starred = ? WHERE id = ?", (int(read), int(starred), story_id))
                    db.execute("INSERT INTO sync_stories (story_id, remote_id, remote_read, remote_starred) "
                               "VALUES (?, ?, ?, ?)", (story_id, remote_id, int(read), int(starred)))
                    mapped += 1
        return mapped

    def synced_stories(self, remote_ids: Iterable[int] | None = None) -> Iterator[SyncedStory]:
        """Every synced story (or those with these server ids), with both sides' flags."""
        sql = ("SELECT m.story_id, m.remote_id, s.read, s.starred, m.remote_read, m.remote_starred "
               "FROM sync_stories m JOIN stories s ON s.id = m.story_id")
        if remote_ids is None:
            chunks: Iterable[list[int]] = [[]]
        else:
            wanted = list(remote_ids)
            chunks = [wanted[i:i + CHUNK] for i in range(0, len(wanted), CHUNK)]
        for chunk in chunks:
            where = f" WHERE m.remote_id IN ({','.join('?' * len(chunk))})" if remote_ids is not None else ""
            if remote_ids is not None and not chunk:
                continue
            for r in self._read(sql + where, chunk):
                yield SyncedStory(r["story_id"], r["remote_id"], bool(r["read"]), bool(r["starred"]),
                                  bool(r["remote_read"]), bool(r["remote_starred"]))

    def remote_unread_count(self) -> int:
        """Synced stories unread on the server, as last seen or sent."""
        return self._read("SELECT count(*) FROM sync_stories WHERE remote_read = 0")[0][0]

    # -- the queue ------------------------------------------------------------------------------------

    def queued_changes(self, ops: Sequence[str] = ("read", "starred", "subscribe", "unsubscribe")) -> list[QueuedChange]:
        """The changes waiting for the server, in the order they were made."""
        marks = ",".join("?" * len(ops))
        rows = self._read(f"SELECT id, op, remote_id, value, url, at FROM sync_queue WHERE op IN ({marks}) ORDER BY id",
                          list(ops))
        return [QueuedChange(r["id"], r["op"], r["remote_id"], None if r["value"] is None else bool(r["value"]),
                             r["url"], r["at"]) for r in rows]

    def queued_count(self) -> int:
        return self._read("SELECT count(*) FROM sync_queue")[0][0]

    def drop_queued(self, ids: Iterable[int]) -> None:
        with self._write() as db:
            db.executemany("DELETE FROM sync_queue WHERE id = ?", [(i,) for i in ids])

    def settle_flags(self, *, sent: Sequence[FlagUpdate], taken: Sequence[FlagUpdate], upto: int) -> int:
        """After a flag step, in one transaction: the server now has `sent` (its flags as last seen are them),
        the server's `taken` come here (quietly; not over a change made here after the step began, queued
        beyond `upto`), and the flag changes queued up to `upto` are done. Returns how many flags changed here."""
        assert all(update.field in FLAG_OPS for update in (*sent, *taken))
        changed = 0
        with self._write() as db, _quiet(db):
            for update in sent:
                db.execute(f"UPDATE sync_stories SET remote_{update.field} = ? WHERE remote_id = ?",
                           (int(update.value), update.remote_id))
            for update in taken:
                db.execute(f"UPDATE sync_stories SET remote_{update.field} = ? WHERE remote_id = ?",
                           (int(update.value), update.remote_id))
                changed += db.execute(
                    f"UPDATE stories SET {update.field} = ? WHERE {update.field} != ? AND id = "
                    "(SELECT story_id FROM sync_stories WHERE remote_id = ?) AND NOT EXISTS "
                    "(SELECT 1 FROM sync_queue WHERE op = ? AND remote_id = ? AND id > ?)",
                    (int(update.value), int(update.value), update.remote_id, update.field, update.remote_id, upto),
                ).rowcount
            db.execute("DELETE FROM sync_queue WHERE id <= ? AND op IN ('read', 'starred')", (upto,))
        return changed


def _let_go(db: sqlite3.Connection, remote_id: int) -> tuple[int, int]:
    """A server feed is no longer the reader's: its unstarred stories go, and its row if nothing is left."""
    row = db.execute("SELECT feed_id FROM sync_feeds WHERE remote_id = ?", (remote_id,)).fetchone()
    if row is None:
        return 0, 0
    feed_id = row[0]
    db.execute("DELETE FROM sync_feeds WHERE feed_id = ?", (feed_id,))
    deleted = db.execute("DELETE FROM stories WHERE feed_id = ? AND starred = 0", (feed_id,)).rowcount
    kept = db.execute("SELECT count(*) FROM stories WHERE feed_id = ?", (feed_id,)).fetchone()[0]
    if not kept:
        db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
    return deleted, kept


@contextmanager
def _quiet(db: sqlite3.Connection) -> Iterator[None]:
    """Flag writes in this transaction are the server's own: the queue triggers let them be."""
    # No `finally`: a failure rolls the whole transaction back, this flag with it.
    db.execute("UPDATE sync_quiet SET quiet = 1")
    yield
    db.execute("UPDATE sync_quiet SET quiet = 0")
