"""The cache's schema, as a numbered list of migrations.

`PRAGMA user_version` holds the number of migrations applied; the `migrations` table records when each ran.
A migration is a function of a connection, run inside one transaction with its version bump.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

APPLICATION_ID = 0x4E575352  # "NWSR": marks the file as ours, so a foreign SQLite file is refused


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Run statements one by one: executescript() would COMMIT the migration's transaction first."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise SchemaError(f"incomplete SQL statement: {statement.strip()[:60]}")


def _initial(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE migrations (
            version INTEGER PRIMARY KEY,
            applied_at REAL NOT NULL
        );
        CREATE TABLE feeds (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,          -- as in feeds.toml: the feed's identity
            name TEXT NOT NULL,
            title TEXT,                        -- what the feed calls itself
            site_url TEXT,
            fetch_url TEXT,                    -- set by a permanent redirect
            etag TEXT,
            last_modified TEXT,
            http_status INTEGER,
            last_attempt REAL,
            last_success REAL,
            last_error TEXT,
            error_count INTEGER NOT NULL DEFAULT 0,
            retry_after REAL,                  -- do not ask again before this time (429/503)
            added_at REAL NOT NULL
        );
        CREATE TABLE stories (
            id INTEGER PRIMARY KEY,
            feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
            key TEXT NOT NULL,                 -- guid, else link, else hash of title and date
            guid TEXT,
            link TEXT,
            title TEXT NOT NULL,
            author TEXT,
            published REAL,                    -- UTC epoch seconds, as the feed says
            updated REAL,
            sort_at REAL NOT NULL,             -- published, but never later than first fetched
            fetched_at REAL NOT NULL,
            summary TEXT NOT NULL DEFAULT '',  -- plain text
            content TEXT,                      -- the feed's content HTML, as given (never rendered)
            text TEXT NOT NULL DEFAULT '',     -- plain text body (full article text once extracted)
            text_source TEXT NOT NULL DEFAULT 'feed',
            categories TEXT NOT NULL DEFAULT '',
            content_hash TEXT NOT NULL,
            countries TEXT NOT NULL DEFAULT '',  -- space-separated ISO codes, most central first
            mentions TEXT NOT NULL DEFAULT '',
            regions TEXT NOT NULL DEFAULT '',    -- '|'-separated region names
            read INTEGER NOT NULL DEFAULT 0,
            starred INTEGER NOT NULL DEFAULT 0,
            UNIQUE (feed_id, key)
        );
        CREATE INDEX stories_by_time ON stories (sort_at DESC, id DESC);
        CREATE INDEX stories_by_feed ON stories (feed_id, sort_at DESC);
        CREATE INDEX stories_unread ON stories (read, sort_at DESC);
        CREATE INDEX stories_starred ON stories (starred) WHERE starred = 1;

        -- One row per (place, story): the index the country and region filters use.
        -- kind: 'c' country the story is about, 'm' passing mention, 'r' region.
        CREATE TABLE story_places (
            place TEXT NOT NULL,
            kind TEXT NOT NULL,
            story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            rank INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (place, kind, story_id)
        ) WITHOUT ROWID;
        CREATE INDEX story_places_by_story ON story_places (story_id);

        CREATE VIRTUAL TABLE stories_fts USING fts5(
            title, summary, text,
            content = 'stories', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
            INSERT INTO stories_fts (rowid, title, summary, text) VALUES (new.id, new.title, new.summary, new.text);
        END;
        CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, summary, text)
            VALUES ('delete', old.id, old.title, old.summary, old.text);
        END;
        CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, summary, text ON stories BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, summary, text)
            VALUES ('delete', old.id, old.title, old.summary, old.text);
            INSERT INTO stories_fts (rowid, title, summary, text) VALUES (new.id, new.title, new.summary, new.text);
        END;
        """,
    )


def _fulltext_state(db: sqlite3.Connection) -> None:
    """Per-story state of full-text extraction. The article itself goes in `stories.text` (stored once,
    indexed by the FTS table's external content), with `text_source = 'article'`."""
    run_script(
        db,
        """
        CREATE TABLE story_fulltext (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
            status TEXT NOT NULL,              -- 'ok', or the kind of failure: 'http', 'paywall', 'empty' ...
            error TEXT,                        -- one line, shown where the reader falls back to the summary
            http_status INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt REAL,                 -- NULL: never again (extracted, or a failure a retry cannot change)
            url TEXT,                          -- where the page came from, after redirects
            etag TEXT,                         -- for a conditional GET when retrying
            last_modified TEXT,
            fetched_at REAL NOT NULL,          -- the last attempt
            bytes INTEGER NOT NULL DEFAULT 0   -- downloaded at the last attempt
        );
        CREATE INDEX story_fulltext_due ON story_fulltext (next_attempt) WHERE next_attempt IS NOT NULL;
        """,
    )


def _list_indexes(db: sqlite3.Connection) -> None:
    """Slim covering indexes for the reader's list at 100,000 stories (see benchmarks/README.md, Reader UI).

    A story row is wide (summary, text), so every lookup by id reads pages of text nobody asked for.
    `stories_list` walks stories newest first with every column a filter tests, so a page of the list
    stops after its rows; `stories_flags` answers "is this id unread, starred, in that feed" for the
    ids a country or a search gives, which is what counts need.
    """
    run_script(
        db,
        """
        CREATE INDEX stories_list ON stories (sort_at DESC, id DESC, read, starred, feed_id);
        CREATE INDEX stories_flags ON stories (id, sort_at, read, starred, feed_id);
        DROP INDEX stories_by_time;
        """,
    )


def _batched_search_index(db: sqlite3.Connection) -> None:
    """New stories wait in `stories_fts_pending` until `Store.index_pending()` adds them to the search index.

    FTS5 writes a segment per transaction, so indexing 50 stories at a time (one feed) cost about five times
    as much per story as indexing a whole fetch at once (see benchmarks/README.md, Fetch). A story still
    pending has nothing in the index, so deleting or changing it must not tell the index to remove it.
    """
    run_script(
        db,
        """
        CREATE TABLE stories_fts_pending (story_id INTEGER PRIMARY KEY);
        DROP TRIGGER stories_fts_insert;
        DROP TRIGGER stories_fts_delete;
        DROP TRIGGER stories_fts_update;
        CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
            INSERT INTO stories_fts_pending (story_id) VALUES (new.id);
        END;
        CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, summary, text)
            SELECT 'delete', old.id, old.title, old.summary, old.text
            WHERE NOT EXISTS (SELECT 1 FROM stories_fts_pending WHERE story_id = old.id);
            DELETE FROM stories_fts_pending WHERE story_id = old.id;
        END;
        CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, summary, text ON stories
        WHEN NOT EXISTS (SELECT 1 FROM stories_fts_pending WHERE story_id = old.id) BEGIN
            INSERT INTO stories_fts (stories_fts, rowid, title, summary, text)
            VALUES ('delete', old.id, old.title, old.summary, old.text);
            INSERT INTO stories_fts (rowid, title, summary, text) VALUES (new.id, new.title, new.summary, new.text);
        END;
        """,
    )


def _body_hash(db: sqlite3.Connection) -> None:
    """A hash of the last feed body stored: a server that ignores conditional requests and sends the same
    bytes again then costs no parsing and no writing."""
    db.execute("ALTER TABLE feeds ADD COLUMN body_hash TEXT")


def _clusters(db: sqlite3.Connection) -> None:
    """Story clusters: the same event told by several outlets (clusters/, and the refresh's clustering stage).

    `cluster_id` is the id of the story that started the cluster, so a story alone holds its own; NULL until
    the clustering stage has placed the story (a cache upgraded from before clusters: every story, placed
    by the next fetch). `language` is the story's as the clusterer read it (its feed's declared one, else
    guessed); `feeds.language` what the feed declares. The list's two slim indexes gain `cluster_id`, so
    the grouped list walks them as the plain one does, and `stories_by_cluster` answers "the rest of this
    cluster" from the index alone. `cluster_state` holds one row: a token that changes with every
    clustering run (the clusterer's state saved beside the cache is valid only with the same token) and
    the latest publication time the clusterer has seen.
    """
    run_script(
        db,
        """
        ALTER TABLE stories ADD COLUMN cluster_id INTEGER;
        ALTER TABLE stories ADD COLUMN language TEXT;
        ALTER TABLE feeds ADD COLUMN language TEXT;
        DROP INDEX stories_list;
        CREATE INDEX stories_list ON stories (sort_at DESC, id DESC, read, starred, feed_id, cluster_id);
        DROP INDEX stories_flags;
        CREATE INDEX stories_flags ON stories (id, sort_at, read, starred, feed_id, cluster_id);
        CREATE INDEX stories_by_cluster ON stories (cluster_id, sort_at DESC, id DESC, read, starred, feed_id, language)
            WHERE cluster_id IS NOT NULL;
        CREATE TABLE cluster_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            token TEXT NOT NULL,
            clock REAL NOT NULL
        );
        """,
    )


def _sync(db: sqlite3.Connection) -> None:
    """What a sync with a tt-rss or Fever server keeps (store/sync.py, sync/engine.py).

    Which feeds and stories are the server's, with the server's own ids, and the server's read and starred
    flags as last seen or sent: a server flag that differs from them was changed there. Every change of a
    synced story's flags made here goes into `sync_queue` by trigger, in the same transaction as the change
    and in order, whatever made it (a key, `mark`, mark all read), until a sync sends it; the sync writes the
    server's flags with `sync_quiet` set, so they do not go back to it.
    """
    run_script(
        db,
        """
        CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE sync_feeds (
            feed_id INTEGER PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
            remote_id INTEGER NOT NULL UNIQUE,
            category TEXT                        -- the server's category (tt-rss) or group (Fever): a tag
        );
        CREATE TABLE sync_stories (
            story_id INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
            remote_id INTEGER NOT NULL UNIQUE,
            remote_read INTEGER NOT NULL,        -- the server's flags as last seen or sent
            remote_starred INTEGER NOT NULL
        );
        CREATE TABLE sync_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order the changes were made in
            op TEXT NOT NULL,                      -- 'read', 'starred', 'subscribe', 'unsubscribe'
            remote_id INTEGER,                     -- the story's (read, starred) or the feed's (unsubscribe)
            value INTEGER,                         -- read, starred: the flag as set
            url TEXT,                              -- subscribe: the feed's address
            at REAL NOT NULL                       -- when it was made, epoch seconds
        );
        CREATE TABLE sync_quiet (quiet INTEGER NOT NULL);
        INSERT INTO sync_quiet (quiet) VALUES (0);
        CREATE TRIGGER sync_queue_read AFTER UPDATE OF read ON stories
        WHEN old.read IS NOT new.read AND (SELECT quiet FROM sync_quiet) = 0 BEGIN
            INSERT INTO sync_queue (op, remote_id, value, at)
            SELECT 'read', remote_id, new.read, (julianday('now') - 2440587.5) * 86400.0
            FROM sync_stories WHERE story_id = new.id;
        END;
        CREATE TRIGGER sync_queue_starred AFTER UPDATE OF starred ON stories
        WHEN old.starred IS NOT new.starred AND (SELECT quiet FROM sync_quiet) = 0 BEGIN
            INSERT INTO sync_queue (op, remote_id, value, at)
            SELECT 'starred', remote_id, new.starred, (julianday('now') - 2440587.5) * 86400.0
            FROM sync_stories WHERE story_id = new.id;
        END;
        """,
    )


#: version reached -> the step that reaches it from the one before
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _initial,
    2: _fulltext_state,
    3: _list_indexes,
    4: _batched_search_index,
    5: _body_hash,
    6: _clusters,
    7: _sync,
}
SCHEMA_VERSION = max(MIGRATIONS)


class SchemaError(Exception):
    pass


def check_version(version: int) -> None:
    """Refuse a cache this newsreader cannot read: one written by a newer one."""
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"the cache was written by a newer newsreader (schema {version}, this one knows {SCHEMA_VERSION})"
        )


def migrate(db: sqlite3.Connection) -> None:
    """Bring the file up to SCHEMA_VERSION, one transaction per step."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    check_version(version)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        step = MIGRATIONS.get(target)
        if step is None:
            raise SchemaError(f"no migration to schema version {target}")
        db.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have migrated meanwhile.
            if db.execute("PRAGMA user_version").fetchone()[0] >= target:
                db.execute("ROLLBACK")
                continue
            step(db)
            db.execute("INSERT INTO migrations (version, applied_at) VALUES (?, ?)", (target, time.time()))
            db.execute(f"PRAGMA user_version = {target}")
            if target == 1:
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute("COMMIT")
        except BaseException:
            # A full disk makes SQLite roll back by itself: a second ROLLBACK would hide why.
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
