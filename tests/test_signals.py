"""Signals to a real `newsreader fetch`: Ctrl-C and SIGTERM end it with one line and 130/143, no traceback
from any process, and the feeds it saved stay saved. And an error newsreader did not expect is one line and
exit 70, its traceback only with --debug.

The statuses are spelled out (130, 143, 70), not imported: they are the promise to scripts (README).
"""

from __future__ import annotations

import os
import pty
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from processes import FetchProcess, wait_for

from feedserver import FeedServer, write_feeds_toml

#: What is left of a stopped fetch may take this long to end.
ORPHAN_SECONDS = 5.0


@pytest.fixture
def held() -> Iterator[threading.Event]:
    """Set it to let the slow feeds answer (the test sets it when it ends, so the server can stop)."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def terminal() -> Iterator[int]:
    """The slave side of a pseudo-terminal, drained on its master side as a terminal would be: a fetch
    writing to it sees a terminal and draws its progress bar."""
    master, slave = pty.openpty()
    drained = threading.Thread(target=_drain, args=(master,), daemon=True)
    drained.start()
    yield slave
    os.close(slave)
    drained.join(5)
    os.close(master)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:  # the slave side closed
        pass


def _started(fetch: FetchProcess) -> None:
    """The fetch has its parse workers and has saved every feed that answers at once."""
    if (os.cpu_count() or 1) > 1:
        wait_for(lambda: len(fetch.workers()) >= 2, "the parse workers")
    wait_for(lambda: fetch.feeds_saved() == fetch.fast, "the fast feeds to be saved")


def _stopped_with_one_line(fetch: FetchProcess, status: int) -> None:
    assert fetch.wait() == status
    wait_for(lambda: not fetch.leftovers(), "the fetch's other processes to end", timeout=ORPHAN_SECONDS)
    out, err = fetch.output()  # complete now: every process that could write to it has ended
    assert "Traceback" not in out + err
    assert err == f"newsreader: interrupted; {fetch.fast} feeds saved\n"
    assert fetch.feeds_saved() == fetch.fast


@pytest.mark.parametrize(("how", "status"), [("ctrl-c", 130), ("ctrl-c in a terminal", 130), ("sigterm", 143)])
def test_a_signal_stops_a_fetch_with_one_line(how: str, status: int, tmp_path: Path, feed_server: FeedServer,
                                              held: threading.Event, request: pytest.FixtureRequest):
    """It printed a RefreshCancelled traceback and exited 1 (SIGTERM: killed, its workers left running); on
    Ctrl-C each worker added a KeyboardInterrupt traceback. In a terminal the fetch draws a progress bar."""
    stdout = request.getfixturevalue("terminal") if how == "ctrl-c in a terminal" else None
    fetch = FetchProcess.start(tmp_path, feed_server, held, stdout=stdout)
    try:
        _started(fetch)
        if how == "sigterm":
            fetch.kill(signal.SIGTERM)  # `kill PID`, systemd, a container stopping: the main process only
        else:
            fetch.interrupt(signal.SIGINT)  # the terminal: every process in the foreground group
        _stopped_with_one_line(fetch, status)
    finally:
        fetch.close()


def test_ctrl_c_again_and_again_while_it_stops(tmp_path: Path, feed_server: FeedServer, held: threading.Event):
    """Someone leaning on Ctrl-C: the first stops the fetch; every later one, whatever it interrupts on the way
    out (the refresh winding down, the cache closing, the interpreter ending), changes nothing."""
    fetch = FetchProcess.start(tmp_path, feed_server, held)
    try:
        _started(fetch)
        sent = 0
        while fetch.process.poll() is None:
            try:
                fetch.interrupt(signal.SIGINT)
            except ProcessLookupError:  # the group has just ended
                break
            sent += 1
            time.sleep(0.01)  # a fast key repeat
        assert sent > 1
        _stopped_with_one_line(fetch, 130)
    finally:
        fetch.close()


# -- unexpected errors --------------------------------------------------------------------------------------


def _config(tmp_path: Path, feed_server: FeedServer) -> list[str]:
    from processes import rss_feed

    toml = write_feeds_toml(tmp_path / "feeds.toml", [("Feed 0", feed_server.feed("/feed0.xml", rss_feed(0)))])
    return ["--config", str(toml), "--data-dir", str(tmp_path / "data")]


@pytest.mark.parametrize("where", ["feeds", "close"], ids=["in the command", "closing the cache"])
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_an_unexpected_error_is_one_line_and_70(where: str, debug: bool, tmp_path: Path, feed_server: FeedServer,
                                                monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    from newsreader.cli import main
    from newsreader.library import Library

    def broken(self: Library, *args: object) -> None:
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.setattr(Library, where, broken)
    code = main([*_config(tmp_path, feed_server), *(["--debug"] if debug else []), "feeds"])
    err = capsys.readouterr().err
    assert code == 70
    last = err.splitlines()[-1]
    assert last.startswith("newsreader: unexpected error: RuntimeError: a bug")
    if debug:
        assert "Traceback (most recent call last)" in err and 'raise RuntimeError("a bug' in err
    else:
        assert err == last + "\n" and "--debug" in last


def test_ctrl_c_outside_a_fetch_is_one_line_and_130(tmp_path: Path, feed_server: FeedServer,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]):
    """Any command, at any point (here: as it closes the cache, its own work done)."""
    from newsreader.cli import main
    from newsreader.library import Library

    def interrupted(self: Library) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Library, "close", interrupted)
    assert main([*_config(tmp_path, feed_server), "feeds"]) == 130
    assert capsys.readouterr().err == "newsreader: interrupted\n"
