"""The cache under a hostile world (issue 11): a full disk, a file that is not ours, who may read it, damage.

Every case runs on real files, most through a real `newsreader` process, and checks what a person sees (one
line on stderr, exit status 3) and what the cache keeps (integrity_check ok, read and starred flags intact).
A full disk is made two ways: a small tmpfs (needs root and a mount namespace that allows it; skipped with the
reason elsewhere) and SQLite's own size limit, `PRAGMA max_page_count`, which needs nothing and always runs.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.config.types import Config, FeedConfig
from newsreader.errors import DiskFull, StoreError
from newsreader.refresh import refresh_feeds_sync
from newsreader.store import Store
from newsreader.store import database as database_module

from feedserver import FeedServer, write_feeds_toml

FEEDS = Path(__file__).parent / "feeds"
DISK_FULL = "the cache's disk is full"


def big_feed(tag: str, items: int = 300) -> bytes:
    """About 400 KB of stories: more than a nearly full cache has room for."""
    body = "".join(
        f"<item><title>{tag} story {i}</title><link>http://example.test/{tag}/{i}</link><guid>{tag}-{i}</guid>"
        f"<description>{' '.join(f'{tag}w{i * 151 + j:x}' for j in range(150))}</description></item>"
        for i in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{tag}</title>{body}</channel></rss>'.encode()


def newsreader(*args: str | Path, script: str | None = None) -> subprocess.CompletedProcess[str]:
    """A real `newsreader` process (or `script`, which ends by running the CLI with these arguments)."""
    head = [sys.executable, "-c", script] if script else [sys.executable, "-m", "newsreader"]
    return subprocess.run([*head, *map(str, args)], capture_output=True, text=True, timeout=180)


def one_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    return run.stderr.strip()


def fingerprint(path: Path) -> dict[str, str | None]:
    """The cache file and its -wal and -shm, each hashed (None: absent)."""
    files = {suffix: Path(f"{path}{suffix}") for suffix in ("", "-wal", "-shm")}
    return {suffix: hashlib.sha256(file.read_bytes()).hexdigest() if file.exists() else None
            for suffix, file in files.items()}


def integrity(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def flags(path: Path) -> dict[str, tuple[int, int]]:
    """Story key -> (read, starred)."""
    with closing(sqlite3.connect(path)) as db:
        return {key: (read, starred) for key, read, starred in db.execute("SELECT key, read, starred FROM stories")}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs: a real file system that fills up."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True,
                       capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as error:
        why = getattr(error, "stderr", None) or error
        pytest.skip(f"cannot mount a small tmpfs to fill (needs root where mount is permitted): {why}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def remount(mount: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(mount)], check=True)


class Fetching:
    """A feeds.toml of one small feed (World) and six big ones, over loopback, and a data directory."""

    def __init__(self, server: FeedServer, tmp_path: Path, data: Path) -> None:
        self.data = data
        self.cache = data / "cache.sqlite"
        world = ("World", server.feed("/world.rss", (FEEDS / "world.rss").read_bytes()))
        bigs = [(f"Big{i}", server.feed(f"/big{i}.rss", big_feed(f"b{i}"))) for i in range(6)]
        self.small = write_feeds_toml(tmp_path / "small.toml", [world])
        self.all = write_feeds_toml(tmp_path / "all.toml", [world, *bigs])

    def first_fetch(self) -> dict[str, tuple[int, int]]:
        """Fetch World, read one story and star another; returns the flags to find again."""
        assert newsreader("--config", self.small, "--data-dir", self.data, "fetch").returncode == 0
        with Store(self.cache) as store:
            first, second = (story.id for story in store.stories(limit=2))
            store.set_read([first])
            store.set_starred(second)
        saved = flags(self.cache)
        assert sorted(saved.values()) == [(0, 0), (0, 0), (0, 1), (1, 0)]
        return saved

    def fetch_all(self, script: str | None = None) -> subprocess.CompletedProcess[str]:
        return newsreader("--config", self.all, "--data-dir", self.data, "fetch", script=script)


# -- row 5: the disk fills mid-fetch ----------------------------------------------------------------


def test_disk_full_mid_fetch_on_a_real_full_file_system(small_disk: Path, tmp_path: Path, feed_server: FeedServer):
    """COMMIT fails with SQLITE_FULL, SQLite has rolled back already: one line, exit 3, nothing lost; and once
    there is room again the next fetch completes."""
    fetching = Fetching(feed_server, tmp_path, small_disk / "data")
    saved = fetching.first_fetch()

    run = fetching.fetch_all()
    assert run.returncode == 3, run.stderr
    assert one_line(run).startswith(f"newsreader: {fetching.cache}: {DISK_FULL}")
    assert run.stdout == ""
    remount(small_disk, "size=64m")  # the person frees some space
    assert integrity(fetching.cache) == "ok"
    assert flags(fetching.cache).items() >= saved.items(), "every story saved before, with its flags, stays"

    again = fetching.fetch_all()
    assert again.returncode == 0, again.stderr
    assert len(flags(fetching.cache)) == len(saved) + 6 * 300


def test_no_room_at_all_is_disk_full_for_reading_too(small_disk: Path, tmp_path: Path, feed_server: FeedServer):
    """With no room for the -shm file SQLite says "disk I/O error" (SQLITE_IOERR_SHMSIZE), not SQLITE_FULL: on
    a file system with no room left that is a full disk too."""
    fetching = Fetching(feed_server, tmp_path, small_disk / "data")
    saved = fetching.first_fetch()
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as file:
        for chunk in (65536, 4096, 1):  # to the last byte
            try:
                while True:
                    file.write(b"\0" * chunk)
            except OSError:
                pass
    assert not Path(f"{fetching.cache}-shm").exists()
    for command in (["list"], ["fetch"]):
        run = newsreader("--config", fetching.all, "--data-dir", fetching.data, *command)
        assert run.returncode == 3, run.stderr
        assert one_line(run).startswith(f"newsreader: {fetching.cache}: {DISK_FULL}")
    filler.unlink()
    assert integrity(fetching.cache) == "ok"
    assert flags(fetching.cache) == saved


#: `newsreader` with SQLite's size limit on every connection the store opens: a full disk anyone can make.
SIZE_LIMITED = textwrap.dedent("""
    import sys
    from newsreader.store import database

    connect = database.Database._connect

    def limited(self):
        db = connect(self)
        db.execute("PRAGMA max_page_count = {pages}")
        return db

    database.Database._connect = limited
    from newsreader.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def test_disk_full_mid_fetch_under_sqlites_size_limit(tmp_path: Path, feed_server: FeedServer):
    fetching = Fetching(feed_server, tmp_path, tmp_path / "data")
    saved = fetching.first_fetch()
    with closing(sqlite3.connect(fetching.cache)) as db:
        pages = db.execute("PRAGMA page_count").fetchone()[0]

    run = fetching.fetch_all(script=SIZE_LIMITED.format(pages=pages + 40))
    assert run.returncode == 3, run.stderr
    assert one_line(run).startswith(f"newsreader: {fetching.cache}: {DISK_FULL}")
    assert integrity(fetching.cache) == "ok"
    assert flags(fetching.cache).items() >= saved.items()


def test_a_full_disk_as_a_run_ends_is_disk_full_too(tmp_path: Path, feed_server: FeedServer):
    """The search index is written after every feed is saved: its failure leaves the run as DiskFull itself,
    and the stories it could not index wait for the next run."""
    url = feed_server.feed("/big.rss", big_feed("b", 100))
    config = Config(feeds=(FeedConfig("Big", url),))
    with Store(tmp_path / "cache.sqlite") as store:
        index_pending = store.index_pending

        def on_a_full_disk() -> int:
            pages = store._db.execute("PRAGMA page_count").fetchone()[0]
            store._db.execute(f"PRAGMA max_page_count = {pages}")
            return index_pending()

        store.index_pending = on_a_full_disk  # type: ignore[method-assign]
        with pytest.raises(DiskFull) as caught:
            refresh_feeds_sync(store, config)
        assert str(caught.value) == (f"{store.path}: {DISK_FULL}; what was saved stays: free some space and "
                                     "try again")
        assert store.total_stories() == 100
        assert store._read("SELECT count(*) FROM stories_fts_pending")[0][0] == 100


def test_a_failed_write_leaves_no_transaction_open(tmp_path: Path):
    """SQLite may end the transaction itself on SQLITE_FULL: no "cannot rollback", and the next write works."""
    with Store(tmp_path / "cache.sqlite") as store:
        feed_id = store.sync_feeds([FeedConfig("World", "http://example.test/")])["http://example.test/"]
        pages = store._db.execute("PRAGMA page_count").fetchone()[0]
        store._db.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(DiskFull), store._write() as db:
            db.execute("INSERT INTO feeds (url, name, added_at) VALUES ('x', ?, 0)", ("x" * 100_000,))
        assert not store._db.in_transaction
        store.record_error(feed_id, "still writable")
        assert store.feeds()[0].last_error == "still writable"


def test_disk_full_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(DiskFull("/data/cache.sqlite")))
    assert isinstance(error, StoreError) and str(error).startswith(f"/data/cache.sqlite: {DISK_FULL}")


def test_sqlite_errors_are_told_apart_by_their_code_not_their_words(tmp_path: Path):
    def error(message: str, code: int) -> sqlite3.OperationalError:
        made = sqlite3.OperationalError(message)
        made.sqlite_errorcode = code  # type: ignore[attr-defined]
        return made

    path = tmp_path / "cache.sqlite"
    assert isinstance(database_module.store_error(path, error("database or disk is full", sqlite3.SQLITE_FULL)), DiskFull)
    # A real I/O error with room to spare is not a full disk, whatever it says.
    io = database_module.store_error(path, error("disk is full", sqlite3.SQLITE_IOERR_WRITE))  # type: ignore[attr-defined]
    assert not isinstance(io, DiskFull) and "cannot read or write the cache" in str(io)
    assert "locked by another program" in str(database_module.store_error(path, error("x", sqlite3.SQLITE_BUSY)))
    assert "the cache is read-only" in str(database_module.store_error(path, error("x", sqlite3.SQLITE_READONLY)))
    assert "damaged" in str(database_module.store_error(path, error("x", sqlite3.SQLITE_CORRUPT)))


# -- row 10: a SQLite file that belongs to another program ---------------------------------------------


def _empty_with(pragma: str):
    def make(path: Path) -> None:
        with closing(sqlite3.connect(path)) as db:
            db.execute(pragma)
    return make


def _foreign_wal_file(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE notes (body TEXT)")


def _newer_cache(path: Path) -> None:
    Store(path).close()
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA user_version = 999")


@pytest.mark.parametrize(("make", "words"), [
    (_empty_with("PRAGMA application_id = 1234"), "not a newsreader cache"),
    (_empty_with("PRAGMA user_version = 7"), "not a newsreader cache"),
    (_foreign_wal_file, "not a newsreader cache"),
    (_newer_cache, "written by a newer newsreader"),
], ids=["foreign-application-id", "foreign-user-version", "foreign-wal-file", "newer-newsreader"])
def test_a_file_that_is_not_ours_is_refused_and_left_byte_for_byte(tmp_path: Path, feed_server: FeedServer, make,
                                                                    words):
    data = tmp_path / "data"
    data.mkdir()
    cache = data / "cache.sqlite"
    make(cache)
    before = fingerprint(cache)
    config = write_feeds_toml(tmp_path / "feeds.toml", [("World", feed_server.feed("/w", b"<rss/>"))])
    for command in (["fetch"], ["list"], ["feeds"]):
        run = newsreader("--config", config, "--data-dir", data, *command)
        assert run.returncode == 3, run.stderr
        line = one_line(run)
        assert line.startswith(f"newsreader: {cache}: ") and words in line
        assert fingerprint(cache) == before, "not one byte written, no -wal or -shm made"
    assert feed_server.requests == []


@pytest.mark.parametrize("make", [
    lambda path: None,
    lambda path: path.write_bytes(b""),
    _empty_with("PRAGMA journal_mode = WAL"),  # a cache whose first migration never committed
    lambda path: Store(path).close(),
], ids=["new-path", "zero-bytes", "blank-sqlite-file", "our-cache"])
def test_a_new_blank_or_own_cache_is_adopted(tmp_path: Path, make):
    data = tmp_path / "data"
    data.mkdir()
    make(data / "cache.sqlite")
    assert main(["--data-dir", str(data), "list"]) == 0
    with closing(sqlite3.connect(data / "cache.sqlite")) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == database_module.APPLICATION_ID


# -- row 13: who may read the cache ----------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_the_data_directory_and_cache_are_made_private(tmp_path: Path, feed_server: FeedServer, umask: int):
    data = tmp_path / "home" / "newsreader"
    config = write_feeds_toml(tmp_path / "feeds.toml", [("World", feed_server.feed("/w", (FEEDS / "world.rss").read_bytes()))])
    run = subprocess.run([sys.executable, "-m", "newsreader", "--config", str(config), "--data-dir", str(data), "fetch"],
                         capture_output=True, text=True, timeout=120, umask=umask)
    assert run.returncode == 0, run.stderr
    assert mode(data) == 0o700
    assert mode(data / "cache.sqlite") == 0o600
    assert mode(tmp_path / "home") == 0o777 & ~umask, "directories above the data directory are not ours to close"


def test_sqlite_gives_the_wal_and_shm_the_cache_files_mode(tmp_path: Path):
    old = os.umask(0o022)
    try:
        with Store(tmp_path / "data" / "cache.sqlite") as store:
            store.sync_feeds([FeedConfig("World", "http://example.test/")])
            files = [store.path, Path(f"{store.path}-wal"), Path(f"{store.path}-shm")]
            assert {file.name: mode(file) for file in files} == {file.name: 0o600 for file in files}
    finally:
        os.umask(old)


def test_an_existing_directory_and_cache_keep_their_modes(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    os.chmod(data, 0o755)
    Store(data / "cache.sqlite").close()
    os.chmod(data / "cache.sqlite", 0o644)
    assert main(["--data-dir", str(data), "list"]) == 0
    assert (mode(data), mode(data / "cache.sqlite")) == (0o755, 0o644)


# -- damage, read-only, a directory, a lock ------------------------------------------------------------


@pytest.fixture
def cache_with_stories(tmp_path: Path, feed_server: FeedServer) -> tuple[Path, Path]:
    """A real cache of two feeds, fetched by a real process: (feeds.toml, data directory)."""
    config = write_feeds_toml(tmp_path / "feeds.toml", [
        ("World", feed_server.feed("/w", (FEEDS / "world.rss").read_bytes())),
        ("Atom", feed_server.feed("/a", (FEEDS / "world.atom").read_bytes())),
        ("Big", feed_server.feed("/b", big_feed("b", 100))),
    ])
    data = tmp_path / "data"
    assert newsreader("--config", config, "--data-dir", data, "fetch").returncode == 0
    return config, data


def _random_bytes_in_the_middle(cache: Path) -> None:
    data = bytearray(cache.read_bytes())
    middle = len(data) // 2
    data[middle: middle + 8192] = os.urandom(8192)
    cache.write_bytes(bytes(data))


def _truncated(cache: Path) -> None:
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])


def _cut_in_the_header(cache: Path) -> None:
    cache.write_bytes(cache.read_bytes()[:50])


def _garbage_wal(cache: Path) -> None:
    Path(f"{cache}-wal").write_bytes(os.urandom(40_000))


@pytest.mark.parametrize("damage", [_random_bytes_in_the_middle, _truncated, _cut_in_the_header, _garbage_wal])
def test_a_damaged_cache_is_one_line_and_exit_3_or_still_readable(cache_with_stories, damage):
    """SQLite finds damage where it reads: a command either works or says so in one line, exit 3."""
    config, data = cache_with_stories
    damage(data / "cache.sqlite")
    for command in (["list"], ["show", "1"], ["feeds"], ["fetch"], ["list", "--search", "story"]):
        run = newsreader("--config", config, "--data-dir", data, *command)
        assert run.returncode in (0, 2, 3), run.stderr  # 2: `show 1` of a story that is gone
        if run.returncode:
            assert one_line(run).startswith("newsreader: ")
        else:
            assert "Traceback" not in run.stderr


def test_a_cut_header_is_named_damaged(cache_with_stories):
    config, data = cache_with_stories
    _cut_in_the_header(data / "cache.sqlite")
    run = newsreader("--config", config, "--data-dir", data, "list")
    assert run.returncode == 3
    assert "the cache file is damaged or not SQLite" in one_line(run)


def test_a_cache_on_a_read_only_file_system(small_disk: Path, cache_with_stories):
    config, data = cache_with_stories
    (small_disk / "data").mkdir()
    (small_disk / "data" / "cache.sqlite").write_bytes((data / "cache.sqlite").read_bytes())
    before = fingerprint(small_disk / "data" / "cache.sqlite")
    remount(small_disk, "ro")
    for command in (["list"], ["fetch"]):
        run = newsreader("--config", config, "--data-dir", small_disk / "data", *command)
        assert run.returncode == 3, run.stderr
        assert "the cache is read-only" in one_line(run)
    assert fingerprint(small_disk / "data" / "cache.sqlite") == before


def test_a_cache_path_that_is_a_directory(tmp_path: Path):
    (tmp_path / "data" / "cache.sqlite").mkdir(parents=True)
    run = newsreader("--data-dir", tmp_path / "data", "list")
    assert run.returncode == 3
    assert one_line(run) == f"newsreader: {tmp_path / 'data' / 'cache.sqlite'}: cannot open the cache: Is a directory"


def test_a_cache_locked_longer_than_the_busy_timeout(cache_with_stories, monkeypatch, capsys):
    config, data = cache_with_stories
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 200)
    before = flags(data / "cache.sqlite")
    holder = sqlite3.connect(data / "cache.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, holding on
    try:
        assert main(["--config", str(config), "--data-dir", str(data), "fetch"]) == 3
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "the cache is locked by another program" in err
        assert main(["--config", str(config), "--data-dir", str(data), "list"]) == 0, "readers are not blocked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert flags(data / "cache.sqlite") == before
