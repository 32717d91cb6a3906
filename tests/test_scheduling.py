"""`newsreader fetch --quiet` as cron and systemd timers run it: silent on success, one line and a status otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.cli import EXIT_CACHE, EXIT_NOTHING_FETCHED, EXIT_OK, EXIT_USAGE, main

from feedserver import FeedServer, unused_url, write_feeds_toml

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title><link>http://x/</link>
<item><guid>1</guid><title>One</title><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate></item></channel></rss>"""


def fetch(config: Path, data: Path) -> int:
    return main(["--config", str(config), "--data-dir", str(data), "fetch", "--quiet"])


def test_success_prints_nothing(feed_server: FeedServer, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Quiet", feed_server.feed("/q.xml", RSS))])
    assert fetch(config, tmp_path / "data") == EXIT_OK
    assert fetch(config, tmp_path / "data") == EXIT_OK  # the second run is a 304
    assert capfd.readouterr() == ("", "")


def test_some_feeds_failing_is_not_an_error_for_cron(feed_server: FeedServer, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Quiet", feed_server.feed("/q.xml", RSS)),
                                                         ("Gone", feed_server.error("/gone.xml", 404))])
    assert fetch(config, tmp_path / "data") == EXIT_OK
    assert capfd.readouterr() == ("", "")


def test_nothing_reachable_is_one_line_on_stderr(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Dead", unused_url())])
    assert fetch(config, tmp_path / "data") == EXIT_NOTHING_FETCHED
    assert capfd.readouterr() == ("", "newsreader: no feed could be fetched\n")


def test_config_and_cache_problems_have_their_own_status(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    assert fetch(tmp_path / "missing.toml", tmp_path / "data") == EXIT_USAGE
    out, err = capfd.readouterr()
    assert out == "" and err == f"newsreader: {tmp_path / 'missing.toml'}: no such file\n"
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Dead", unused_url())])
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "cache.sqlite").write_bytes(b"this is not a database, just bytes " * 100)
    assert fetch(config, tmp_path / "bad") == EXIT_CACHE
    out, err = capfd.readouterr()
    assert out == "" and err.startswith("newsreader: ") and err.count("\n") == 1
