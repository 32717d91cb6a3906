"""feeds.toml: every mistake is one line naming the file and line; the CLI exits 2 and leaves the cache alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.config import ConfigError, load_config
from newsreader.config.types import Settings

from feedserver import FeedServer, write_feeds_toml

FEEDS = Path(__file__).parent / "feeds"

GOOD = """\
[settings]
keep_days = 30
per_host = 4
timeout = 12.5

[[feeds]]
name = "Loopback"
url = "http://127.0.0.1:9/feed.xml"
region = "Caucasus"
countries = ["am", "GE"]
tags = ["local"]
fulltext = true
"""

# (name, file text, expected line, words the message must contain)
BAD = [
    ("syntax", '[settings]\nkeep_days = 30\n\n[[feeds]]\nname = "A\nurl = "http://a.test/"\n', 5, "TOML syntax error"),
    ("syntax at end", '[[feeds]]\nname = "A"\nurl = "http://a.test/"\ntags = ["x",\n', 4, "TOML syntax error"),
    ("missing url", '[[feeds]]\nname = "A"\nurl = "http://a.test/"\n\n[[feeds]]\nname = "B"\n', 5, "has no url"),
    ("duplicate url", '[[feeds]]\nname = "A"\nurl = "http://a.test/x"\n\n[[feeds]]\nname = "B"\nurl = "http://a.test/x"\n', 7,
     "duplicate feed url"),
    ("bad type in feed", '[[feeds]]\nname = "A"\nurl = "http://a.test/"\nfulltext = "yes"\n', 4, "'fulltext' must be true or false"),
    ("bad type in settings", '[settings]\nrefresh_minutes = 30\nkeep_days = "ninety"\n', 3, "'keep_days' must be a whole number"),
    ("bool is not a number", '[settings]\nconcurrency = true\n', 2, "'concurrency' must be a whole number"),
    ("unknown feed key", '[[feeds]]\nname = "A"\nurl = "http://a.test/"\nlanguage = "en"\n', 4, "unknown key 'language'"),
    ("unknown setting", '[settings]\nkeep_days = 3\nrefresh = 10\n', 3, "unknown setting 'refresh'"),
    ("unknown top-level key", 'title = "mine"\n[[feeds]]\nurl = "http://a.test/"\n', 1, "unknown key 'title'"),
    ("not http", '[[feeds]]\nname = "A"\nurl = "file:///etc/passwd"\n', 3, "must be an http(s) URL"),
    ("bad country code", '[[feeds]]\nurl = "http://a.test/"\ncountries = ["Armenia"]\n', 3, "two letters"),
    ("zero setting", '[settings]\nconcurrency = 0\n', 2, "must be from 1 to 256"),
]


def test_good_config_loads(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text(GOOD)
    config = load_config(path)
    assert config.settings == Settings(keep_days=30, per_host=4, timeout=12.5)
    (feed,) = config.feeds
    assert (feed.name, feed.url, feed.region, feed.countries, feed.tags, feed.fulltext) == (
        "Loopback", "http://127.0.0.1:9/feed.xml", "Caucasus", ("AM", "GE"), ("local",), True
    )
    assert config.path == str(path)


def test_name_defaults_to_host(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds]]\nurl = "https://news.example.org/rss"\n')
    assert load_config(path).feeds[0].name == "news.example.org"


@pytest.mark.parametrize(("text", "line", "words"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_error_names_file_and_line(tmp_path, text, line, words):
    path = tmp_path / "feeds.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert words in message
    assert "\n" not in message
    assert caught.value.line == line


def test_missing_and_undecodable_files(tmp_path):
    with pytest.raises(ConfigError, match=r"feeds\.toml: no such file$"):
        load_config(tmp_path / "feeds.toml")
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[[feeds]]\nname = "Caf\xe9"\nurl = "http://a.test/"\n')
    with pytest.raises(ConfigError, match=r"latin1\.toml:2: not UTF-8 text"):
        load_config(path)


def _snapshot(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


@pytest.mark.parametrize(("text", "line", "words"), [case[1:] for case in BAD[:5]], ids=[case[0] for case in BAD[:5]])
@pytest.mark.parametrize("command", ["fetch", "list", "feeds"])
def test_cli_exits_2_and_leaves_the_cache_alone(tmp_path, feed_server: FeedServer, capsys, command, text, line, words):
    data = tmp_path / "data"
    good = write_feeds_toml(tmp_path / "good.toml", [("World", feed_server.feed_file("/world.rss", FEEDS / "world.rss"))])
    assert main(["--config", str(good), "--data-dir", str(data), "fetch", "--quiet"]) == 0
    before = _snapshot(data)
    requests = len(feed_server.requests)
    capsys.readouterr()

    bad = tmp_path / "feeds.toml"
    bad.write_text(text)
    assert main(["--config", str(bad), "--data-dir", str(data), command]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"newsreader: {bad}:{line}: ") and words in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert _snapshot(data) == before
    assert len(feed_server.requests) == requests


def test_bad_config_does_not_create_the_data_dir(tmp_path, capsys):
    bad = tmp_path / "feeds.toml"
    bad.write_text('[[feeds]]\nname = "A"\n')
    assert main(["--config", str(bad), "--data-dir", str(tmp_path / "data"), "fetch"]) == 2
    assert not (tmp_path / "data").exists()
    assert "feeds.toml:1: feed #1 has no url" in capsys.readouterr().err


def test_fetch_without_any_config_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("newsreader.library.find_config", lambda explicit=None: None)
    assert main(["--data-dir", str(tmp_path / "data"), "fetch"]) == 2
    assert "no feeds.toml found" in capsys.readouterr().err


def test_config_found_in_working_directory(tmp_path, monkeypatch, feed_server: FeedServer, capsys):
    monkeypatch.chdir(tmp_path)
    write_feeds_toml(tmp_path / "feeds.toml", [("World", feed_server.feed_file("/world.rss", FEEDS / "world.rss"))])
    assert main(["--data-dir", str(tmp_path / "data"), "fetch", "--quiet"]) == 0
    assert len(feed_server.requests_for("/world.rss")) == 1
