"""The real sync servers that .ci/sync-servers.sh starts, for tests: where they are, and how to drive them.

    .ci/sync-servers.sh start      # as root: installs what is missing, starts, writes .ci/sync-servers.env

The fixtures (sync_servers, feed_folder, http) are imported by tests/conftest.py, so every test can ask for them:

    async def test_something(sync_servers, feed_folder, http):
        url = feed_folder.write("world.xml", rss("World", [item("a-1", "Title")]))
        ...
        sync_servers.ttrss_update()          # tt-rss's updater, now, as its daemon would run it

Contract (.ci/sync-servers.env, shell `KEY='value'` lines; NEWSREADER_SYNC_ENV names another file):
  TTRSS_URL, TTRSS_USER, TTRSS_PASSWORD                 tt-rss, API on for this user
  TTRSS_NOAPI_USER, TTRSS_NOAPI_PASSWORD                a user whose API is off
  TTRSS_UPDATE                                          command: run tt-rss's updater on every feed now
  TTRSS_PSQL                                            command: psql on tt-rss's database (-A -t)
  FEVER_URL, FEVER_USER, FEVER_PASSWORD                 coldsweat's Fever endpoint and its user
  FEVER_FETCH                                           command: coldsweat fetches every feed now
  FEVER_SUBSCRIBE                                       command + URL [TITLE [GROUP]]: subscribe (OPML import)
  FEVER_DB                                              coldsweat's SQLite database
  FEEDS_DIR, FEEDS_URL                                  a file written under FEEDS_DIR is served at FEEDS_URL

ServerSwitch(url) puts a forwarder in front of a server that one test can turn off and on ("the server is
down" for that test alone, e.g. for changes queued offline), while every other test keeps the real one.

Without the file, or with a server not answering, the tests that need one skip and say why; with
NEWSREADER_SYNC_SERVERS=required (CI) they fail instead, so a broken setup cannot pass as skipped tests.
Every run of `start` empties the test users' subscriptions, so tests never depend on what earlier runs left;
within a run, tests share the servers (and pytest-xdist's workers do too): each test writes its feeds in its
own folder with guids of its own, and never asserts on the whole of a user's stories.
"""

from __future__ import annotations

import email.utils
import os
import shlex
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = ROOT / ".ci" / "sync-servers.env"
START_HINT = "start them with `sudo .ci/sync-servers.sh start`"


@dataclass(frozen=True)
class SyncServers:
    env: dict[str, str]

    def __getattr__(self, name: str) -> str:
        try:
            return self.env[name.upper()]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:  # the env holds test passwords: keep them out of pytest's reports
        return f"SyncServers(ttrss={self.env.get('TTRSS_URL')!r}, fever={self.env.get('FEVER_URL')!r})"

    def ttrss_update(self) -> None:
        """tt-rss's updater over every feed (update.php --force-update --feeds, as www-data)."""
        _run(self.env["TTRSS_UPDATE"])

    def ttrss_sql(self, query: str) -> str:
        """One SQL query on tt-rss's database; its rows as psql prints them unaligned (a|b per line)."""
        return _run(self.env["TTRSS_PSQL"], "-c", query).strip()

    def fever_fetch(self) -> None:
        _run(self.env["FEVER_FETCH"])

    def fever_sql(self, query: str) -> list[tuple]:
        """One SQL statement on coldsweat's database (committed); its rows."""
        db = sqlite3.connect(self.env["FEVER_DB"], timeout=30)
        try:
            with db:
                db.execute("PRAGMA foreign_keys = ON")
                return db.execute(query).fetchall()
        finally:
            db.close()

    def fever_subscribe(self, url: str, title: str | None = None, group: str | None = None) -> None:
        args = [url, title or url] + ([group] if group else [])
        _run(self.env["FEVER_SUBSCRIBE"], *args)


def _run(command: str, *args: str) -> str:
    done = subprocess.run([*shlex.split(command), *args], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{command} {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def env_file() -> Path:
    return Path(os.environ.get("NEWSREADER_SYNC_ENV") or DEFAULT_ENV_FILE)


def read_env(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        words = shlex.split(value)
        env[key.strip()] = words[0] if words else ""
    return env


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=2):
            return True
    except OSError:
        return False


def servers_or_reason() -> tuple[SyncServers | None, str]:
    path = env_file()
    if not path.exists():
        return None, f"sync servers are not running (no {path}): {START_HINT}"
    servers = SyncServers(read_env(path))
    for key in ("TTRSS_URL", "FEVER_URL", "FEEDS_URL"):
        url = servers.env.get(key)
        if not url:
            return None, f"{path} has no {key}: {START_HINT}"
        if not _answers(url):
            return None, f"{key} {url} does not answer: {START_HINT}"
    return servers, ""


_cached: tuple[SyncServers | None, str] | None = None


def require_servers() -> SyncServers:
    """The running servers, or skip (fail, when NEWSREADER_SYNC_SERVERS=required) saying why."""
    global _cached
    if _cached is None:
        _cached = servers_or_reason()
    servers, reason = _cached
    if servers is None:
        if os.environ.get("NEWSREADER_SYNC_SERVERS") == "required":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return servers


# ----------------------------------------------------------------------------------------------- feeds


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    link: str
    published: float  #: epoch seconds
    description: str = ""
    author: str = ""


def item(guid: str, title: str | None = None, *, minutes_ago: float = 0, description: str = "",
         author: str = "", link: str | None = None) -> Item:
    """A feed item dated `minutes_ago` before now (tt-rss purges old stories: keep them recent)."""
    return Item(guid=guid, title=title if title is not None else guid,
                link=link or f"http://example.invalid/{guid}", published=time.time() - minutes_ago * 60,
                description=description, author=author)


def rss(title: str, items: Sequence[Item]) -> str:
    entries = "".join(
        f"<item><title>{escape(i.title)}</title><link>{escape(i.link)}</link>"
        f"<guid isPermaLink=\"false\">{escape(i.guid)}</guid>"
        f"<pubDate>{email.utils.formatdate(i.published, usegmt=True)}</pubDate>"
        + (f"<author>{escape(i.author)}</author>" if i.author else "")
        + f"<description>{escape(i.description)}</description></item>"
        for i in items
    )
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escape(title)}</title><link>http://example.invalid/</link><description>test</description>"
            f"{entries}</channel></rss>")


class FeedFolder:
    """A folder of this test's own under FEEDS_DIR, served at FEEDS_URL/<folder>/ by the servers' apache."""

    def __init__(self, servers: SyncServers) -> None:
        self.servers = servers
        self.token = uuid.uuid4().hex[:12]  #: unique to this test: use it in guids
        self.path = Path(servers.feeds_dir) / self.token
        self.url = servers.feeds_url.rstrip("/") + "/" + self.token + "/"
        self.path.mkdir(mode=0o755)

    def write(self, name: str, body: str) -> str:
        """Write (or rewrite) a feed and return its URL. A rewrite gets a newer mtime than the last one,
        even within the same second: the servers ask with If-Modified-Since, which has whole seconds."""
        target = self.path / name
        previous = target.stat().st_mtime if target.exists() else 0.0
        tmp = target.with_suffix(".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.chmod(0o644)
        stamp = max(time.time(), previous + 2)
        os.utime(tmp, (stamp, stamp))
        tmp.replace(target)
        return self.url + name

    def remove(self) -> None:
        """Delete the folder and every subscription to a feed in it, on both servers: tt-rss's updater
        spends 0.3 s on each feed it has, found or not, so feeds left behind would slow every test after."""
        shutil.rmtree(self.path, ignore_errors=True)
        pattern = self.url + "%"  # the token is hex: nothing in it means anything to LIKE
        self.servers.ttrss_sql(f"DELETE FROM ttrss_feeds WHERE feed_url LIKE '{pattern}'")
        self.servers.fever_sql("DELETE FROM subscriptions WHERE feed_id IN "
                               f"(SELECT id FROM feeds WHERE self_link LIKE '{pattern}')")
        self.servers.fever_sql(f"DELETE FROM feeds WHERE self_link LIKE '{pattern}'")


# ------------------------------------------------------------------------------------------------ a switch


class ServerSwitch:
    """A TCP forwarder on 127.0.0.1 in front of one server, which a test can turn off and on: "the server is
    down" for this test's client only, while the real server goes on serving every other test.

        with ServerSwitch(servers.ttrss_url) as switch:
            client = TtRssClient(http, switch.url, ...)
            switch.down()   # refused connections, and the open ones cut
            switch.up()     # the same address answers again
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"{parts.scheme}://127.0.0.1:{self.port}{parts.path}"

    def __enter__(self) -> ServerSwitch:
        self.up()
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    def up(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            _close(listener)  # shutdown() first: close() alone leaves a blocked accept() listening on Linux
        with self._lock:
            for sock in self._open:
                _close(sock)
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target, timeout=10)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="session")
def sync_servers() -> SyncServers:
    return require_servers()


@pytest.fixture
def feed_folder(sync_servers: SyncServers) -> Iterator[FeedFolder]:
    folder = FeedFolder(sync_servers)
    yield folder
    folder.remove()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """A plain httpx client, as the reader's own will be handed in later."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(60, connect=5)) as client:
        yield client
