"""Processes as the kernel sees them (/proc), and a real `newsreader fetch` to send signals to.

    fetch = FetchProcess.start(tmp_path, feed_server, held, feeds=10, slow=5)  # 5 answer once `held` is set
    wait_for(lambda: len(fetch.workers()) >= 2, "the parse workers")  # the forkserver's children
    fetch.kill(signal.SIGKILL)
    wait_for(lambda: not fetch.leftovers(), "every process of the fetch to end")

Every process a fetch starts (the forkserver, the resource tracker, the workers) stays in its session even
once orphaned, so `leftovers()` finds them all by session id. Waits poll a condition until a deadline; none
is a fixed sleep, so a loaded machine only makes a test slower, not wrong.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from feedserver import FeedServer, Request, Response, write_feeds_toml

T = TypeVar("T")

#: Long enough for a fetch to start its workers on a busy two-core machine running the suite twice over.
STARTUP_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Proc:
    pid: int
    ppid: int
    session: int
    state: str  #: R, S, D, Z (a zombie: exited, not yet reaped) ...
    cmdline: str


def processes() -> list[Proc]:
    """Every process there is, as /proc shows it now."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended while we looked
            continue
        # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2:].split()
        found.append(Proc(int(entry), int(fields[1]), int(fields[3]), fields[0], cmdline.strip()))
    return found


def living(procs: list[Proc]) -> list[Proc]:
    """Zombies have ended: only their exit status waits for a parent (or init) to collect it."""
    return [proc for proc in procs if proc.state != "Z"]


def descendants(pid: int) -> list[Proc]:
    """The living children of `pid`, their children, and so on."""
    everything = living(processes())
    found: list[Proc] = []
    parents = {pid}
    while True:
        new = [proc for proc in everything if proc.ppid in parents and proc not in found]
        if not new:
            return found
        found += new
        parents = {proc.pid for proc in new}


def forkserver_workers(pid: int) -> list[Proc]:
    """Worker processes of the pools of process `pid`: the children of its forkserver."""
    procs = descendants(pid)
    servers = {proc.pid for proc in procs if proc.ppid == pid and "multiprocessing.forkserver" in proc.cmdline}
    return [proc for proc in procs if proc.ppid in servers]


def wait_for(condition: Callable[[], T], what: str, timeout: float = STARTUP_SECONDS, every: float = 0.05) -> T:
    """Poll `condition` until it returns something true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)


def rss_feed(index: int, stories: int = 5) -> str:
    items = "".join(
        f"<item><title>Story {index}.{n} from Yerevan</title><link>http://example.com/{index}/{n}</link>"
        f"<guid>http://example.com/{index}/{n}</guid><description>News from Armenia, number {n}.</description></item>"
        for n in range(stories)
    )
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Feed {index}</title>{items}</channel></rss>"


@dataclass
class FetchProcess:
    """`newsreader fetch` in a subprocess, in a session of its own (its process group is the terminal's Ctrl-C
    target), with stdout and stderr in files a test reads after it has ended."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    stdout: IO[bytes]
    stderr: IO[bytes]
    fast: int  #: feeds that answer at once

    @classmethod
    def start(cls, tmp_path: Path, server: FeedServer, held: threading.Event, *, feeds: int = 10, slow: int = 5,
              stdout: int | IO[bytes] | None = None) -> FetchProcess:
        """`feeds` feeds of which the last `slow` answer only once `held` is set (or after a minute).
        `stdout` is a file unless given (a terminal's pty, say)."""

        def when_released(body: str) -> Callable[[Request], Response]:
            def answer(request: Request) -> Response:
                held.wait(STARTUP_SECONDS)
                return FeedServer.make_feed(body)

            return answer

        urls = [(f"Feed {i}", server.handler(f"/feed{i}.xml", when_released(rss_feed(i))) if i >= feeds - slow
                 else server.feed(f"/feed{i}.xml", rss_feed(i))) for i in range(feeds)]
        config = write_feeds_toml(tmp_path / "feeds.toml", urls, settings={"timeout": 2 * STARTUP_SECONDS})
        data_dir = tmp_path / "data"
        out, err = open(tmp_path / "stdout", "w+b"), open(tmp_path / "stderr", "w+b")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "newsreader", "--config", str(config), "--data-dir", str(data_dir), "fetch"],
            stdin=subprocess.DEVNULL, stdout=out if stdout is None else stdout, stderr=err, start_new_session=True,
        )
        return cls(process, data_dir, out, err, feeds - slow)

    @property
    def pid(self) -> int:
        return self.process.pid

    def workers(self) -> list[Proc]:
        return forkserver_workers(self.pid)

    def leftovers(self) -> list[Proc]:
        """Every living process of the fetch's session but the fetch itself (our child, reaped by `wait`)."""
        return [proc for proc in living(processes()) if proc.session == self.pid and proc.pid != self.pid]

    def feeds_saved(self) -> int:
        """Feeds with stories in the cache, read as another process would while the fetch runs."""
        cache = self.data_dir / "cache.sqlite"
        if not cache.exists():
            return 0
        try:
            with closing(sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=5)) as db:
                return db.execute("SELECT count(DISTINCT feed_id) FROM stories").fetchone()[0]
        except sqlite3.OperationalError:  # the schema is still being made
            return 0

    def interrupt(self, number: int = signal.SIGINT) -> None:
        """What a terminal does on Ctrl-C: the signal goes to every process in the foreground group."""
        os.killpg(self.pid, number)

    def kill(self, number: int) -> None:
        """What `kill` does: the signal goes to the main process only."""
        os.kill(self.pid, number)

    def wait(self, timeout: float = STARTUP_SECONDS) -> int:
        return self.process.wait(timeout)

    def output(self) -> tuple[str, str]:
        self.stdout.seek(0)
        self.stderr.seek(0)
        return self.stdout.read().decode(errors="replace"), self.stderr.read().decode(errors="replace")

    def close(self) -> None:
        """Leave nothing behind, whatever the test found."""
        if self.process.poll() is None:
            self.process.kill()
        for proc in self.leftovers():
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)
        self.stdout.close()
        self.stderr.close()


#: A page holding this kills the worker that extracts it (see `extract_or_die`).
POISON = b"<!-- POISON -->"


def extract_or_die(body: bytes, content_type: str | None, url: str, title: str = "") -> str:
    """`extract_article`, except that a page holding POISON ends the worker process on the spot, as a crash in
    C code or the OOM killer would. Put in place of the fetcher's with monkeypatch: a worker process finds it
    by name, in this module."""
    if POISON in body:
        os._exit(70)
    from newsreader.articles.extract import extract_article

    return extract_article(body, content_type, url, title)
