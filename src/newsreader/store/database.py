"""The cache file itself: connections (one per thread), transactions, and refusing a file that is not ours.

Every table's queries live in a mixin of their own (feeds.py, stories.py, articles.py, tags.py); `Store`
(store.py) puts them together. SQL runs nowhere else in newsreader.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from newsreader.config.locations import PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE
from newsreader.errors import DiskFull, StoreError
from newsreader.store.schema import APPLICATION_ID, SchemaError, check_version, migrate

BUSY_TIMEOUT_MS = 10_000
#: How long close() waits for queries on other threads to let go of their connections.
CLOSE_WAIT_SECONDS = 5.0
#: An I/O error while the cache's file system has less than this free is taken for a full disk: SQLite says
#: SQLITE_IOERR, not SQLITE_FULL, when growing the -shm file fails for want of room.
NO_ROOM_BYTES = 1 << 20


def to_datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def from_epoch(epoch: float | None) -> datetime | None:
    return None if epoch is None else to_datetime(epoch)


def split_codes(value: str) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def split_regions(value: str) -> tuple[str, ...]:
    return tuple(value.split("|")) if value else ()


class Database:
    """A newsreader cache file. Safe to share between threads: each thread gets its own connection."""

    path: Path

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        # Queries running now, on any thread: close() waits for them, since closing a connection another
        # thread is reading through crashes the process (SIGSEGV), not just the query.
        self._in_use: dict[sqlite3.Connection, int] = {}
        self._idle = threading.Condition(self._lock)
        self._closed = False
        self._refuse_foreign_file()
        db = self._db
        try:
            self._check_identity(db)
            migrate(db)
        except SchemaError as error:
            raise StoreError(f"{self.path}: {error}") from None
        except sqlite3.DatabaseError as error:
            raise store_error(self.path, error) from None

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
            self.path.parent.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
            _create_private(self.path)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # WAL lets a `newsreader fetch` from cron write while a reader is open.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            db.row_factory = sqlite3.Row  # columns by name, never by position
        except sqlite3.DatabaseError as error:
            raise store_error(self.path, error) from None
        except OSError as error:
            raise _cannot_open(self.path, error) from None
        with self._lock:
            self._connections.append(db)
        return db

    def _refuse_foreign_file(self) -> None:
        """Check that an existing file is ours before anything writes to it: `_connect` switching it to WAL
        would already have changed another program's database.

        The header tells most (a foreign application_id or user_version); a read-only connection tells the
        rest (tables in a file with no application_id). A WAL file with no -wal beside it is read as
        immutable, so that even the read-only connection creates no -wal and -shm beside another program's
        file.
        """
        try:
            with open(self.path, "rb") as file:
                header = file.read(100)
        except FileNotFoundError:
            return
        except OSError as error:
            raise _cannot_open(self.path, error) from None
        if not header:
            return  # zero bytes: a cache being born
        if len(header) < 100 or not header.startswith(b"SQLite format 3\0"):
            raise StoreError(_damaged(self.path, "not an SQLite file"))
        if not _may_be_ours(application_id=int.from_bytes(header[68:72], "big"),
                            user_version=int.from_bytes(header[60:64], "big")):
            raise StoreError(_foreign(self.path))
        immutable = header[18] == 2 and not Path(f"{self.path}-wal").exists()
        uri = f"{self.path.resolve().as_uri()}?{'immutable=1' if immutable else 'mode=ro'}"
        try:
            db = sqlite3.connect(uri, uri=True)
        except sqlite3.DatabaseError as error:
            raise store_error(self.path, error) from None
        try:
            self._check_identity(db)
        except SchemaError as error:
            raise StoreError(f"{self.path}: {error}") from None
        except sqlite3.DatabaseError as error:
            raise store_error(self.path, error) from None
        finally:
            db.close()

    def _check_identity(self, db: sqlite3.Connection) -> None:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        has_tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        if not _may_be_ours(application_id=app_id, user_version=version) or (has_tables and app_id != APPLICATION_ID):
            raise StoreError(_foreign(self.path))
        check_version(version)

    def interrupt(self) -> None:
        """Stop every query running now, on any thread (each fails with StoreError); the cache stays open."""
        with self._lock:
            # Only connections in use: an idle one would carry the interrupt into its next statement (and
            # into the checkpoint that closing it runs).
            for db in self._in_use:
                db.interrupt()

    def close(self, *, wait: float = CLOSE_WAIT_SECONDS) -> None:
        """Close every connection. Queries still running on other threads are interrupted first, and their
        connections closed only once they have let go (at most `wait` seconds)."""
        with self._lock:
            self._closed = True
            for db in self._in_use:
                db.interrupt()
            if not self._idle.wait_for(lambda: not self._in_use, timeout=wait):
                return  # a thread still holds a connection: leave them all to the process's exit
            for db in self._connections:
                try:
                    db.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, counted as in use until the block ends."""
        db = self._db
        with self._lock:
            if self._closed:
                raise StoreError(f"{self.path}: the cache is closed")
            self._in_use[db] = self._in_use.get(db, 0) + 1
        try:
            yield db
        finally:
            with self._lock:
                self._in_use[db] -= 1
                if not self._in_use[db]:
                    del self._in_use[db]
                    self._idle.notify_all()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error."""
        with self._using() as db, _Transaction(db, self.path) as transaction:
            yield transaction

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        try:
            with self._using() as db:
                return db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as error:
            raise store_error(self.path, error) from None

    @property
    def schema_version(self) -> int:
        return self._read("PRAGMA user_version")[0][0]

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
            with self._using() as db:
                db.execute("VACUUM")
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError as error:
            raise store_error(self.path, error) from None


def _may_be_ours(*, application_id: int, user_version: int) -> bool:
    """Ours, or a blank SQLite file (how a cache looks before its first migration commits)."""
    return application_id == APPLICATION_ID or (application_id == 0 and user_version == 0)


def _create_private(path: Path) -> None:
    """Create the cache file, readable by its owner alone, unless it exists (then it is left as it is).
    SQLite gives the -wal and -shm it creates the main file's mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass


def _foreign(path: Path) -> str:
    return f"{path}: not a newsreader cache (another program's SQLite file); choose another --data-dir"


def _damaged(path: Path, why: str) -> str:
    return f"{path}: the cache file is damaged or not SQLite ({why}); move it aside and run `newsreader fetch` again"


def _cannot_open(path: Path, error: OSError) -> StoreError:
    return StoreError(f"{path}: cannot open the cache: {error.strerror or error}")


def store_error(path: Path, error: sqlite3.DatabaseError) -> StoreError:
    """The one line a person reads for a SQLite error, chosen by SQLite's result code, never its English."""
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # the primary code of an extended one
    message = str(error)
    if code == sqlite3.SQLITE_FULL or (code == sqlite3.SQLITE_IOERR and _no_room(path)):
        return DiskFull(path)
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreError(_damaged(path, message))
    if code == sqlite3.SQLITE_READONLY or (code == sqlite3.SQLITE_CANTOPEN and not _writable(path)):
        return StoreError(f"{path}: the cache is read-only; newsreader needs to write the file and its directory")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(f"{path}: the cache is locked by another program (waited {BUSY_TIMEOUT_MS // 1000} s); "
                          "try again when it is done")
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return StoreError(f"{path}: cannot open the cache ({message})")
    if code == sqlite3.SQLITE_IOERR:
        return StoreError(f"{path}: cannot read or write the cache: {message}")
    return StoreError(f"{path}: cache error: {message}")


def _writable(path: Path) -> bool:
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _no_room(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < NO_ROOM_BYTES
    except OSError:
        return False


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error; SQLite errors become StoreError."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as error:
            raise store_error(self.path, error) from None
        return self.db

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.DatabaseError as error:
                exc = error
        # SQLite ends the transaction itself when a statement or the COMMIT fails for want of room (or an
        # I/O error): a ROLLBACK then fails with "no transaction is active" and would hide the real error.
        if self.db.in_transaction:
            try:
                self.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        if isinstance(exc, sqlite3.DatabaseError):
            raise store_error(self.path, exc) from None
