"""`newsreader sync` and `newsreader mark` without a sync server: what they say without [sync], mark on a
cache of fetched feeds, and Ctrl-C and SIGTERM during a sync that hangs. The same commands against the real
servers are in test_sync_real.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from newsreader.cli import main

from feedserver import FeedServer, write_feeds_toml

FEEDS = Path(__file__).parent / "feeds"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_sync_without_a_sync_table_says_what_to_add(tmp_path, capsys):
    config = tmp_path / "feeds.toml"
    config.write_text('[[feeds]]\nurl = "http://127.0.0.1:9/feed.xml"\n')
    status, out, err = run(capsys, "--config", str(config), "--data-dir", str(tmp_path / "data"), "sync")
    assert (status, out) == (2, "") and err.count("\n") == 1 and "no [sync] table" in err


def test_mark_works_on_fetched_stories_without_a_server(tmp_path, capsys, feed_server: FeedServer):
    config = write_feeds_toml(tmp_path / "feeds.toml", [("World", feed_server.feed_file("/w.rss", FEEDS / "world.rss"))])
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert run(capsys, *args, "fetch")[0] == 0
    ids = [story["id"] for story in json.loads(run(capsys, *args, "list", "--json")[1])][:2]
    status, out, err = run(capsys, *args, "mark", *map(str, ids), "--read", "--star")
    assert (status, err) == (0, "") and out == "Marked 2 stories read and starred\n"
    marked = {s["id"]: (s["read"], s["starred"]) for s in json.loads(run(capsys, *args, "list", "--json")[1])}
    assert marked[ids[0]] == marked[ids[1]] == (True, True)
    status, out, err = run(capsys, *args, "mark", str(ids[0]), "--unread", "--unstar")
    assert status == 0 and "unread and unstarred" in out
    status, _, err = run(capsys, *args, "mark", "999999", "--read")
    assert status == 2 and "no story with id 999999" in err


@pytest.mark.parametrize(("sent", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_sync_that_hangs_with_one_line(tmp_path, sent, status):
    with socket.socket() as silent:  # takes the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        connected = threading.Event()
        held: list[socket.socket] = []

        def accept() -> None:
            try:
                held.append(silent.accept()[0])
            except OSError:
                return
            connected.set()

        threading.Thread(target=accept, daemon=True).start()
        config = tmp_path / "feeds.toml"
        config.write_text(f'[sync]\nservice = "ttrss"\nurl = "http://127.0.0.1:{silent.getsockname()[1]}/tt-rss/"\n'
                          'user = "ann"\n')
        env = {**os.environ, "NEWSREADER_SYNC_PASSWORD": "unused"}
        sync = subprocess.Popen([sys.executable, "-m", "newsreader", "--config", str(config), "--data-dir",
                                 str(tmp_path / "data"), "sync"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
        try:
            assert connected.wait(60), "the sync never connected"
            sync.send_signal(sent)
            out, err = sync.communicate(timeout=30)
        finally:
            sync.kill()
            for connection in held:
                connection.close()
    assert sync.returncode == status
    assert (out, err) == ("", "newsreader: interrupted\n")
