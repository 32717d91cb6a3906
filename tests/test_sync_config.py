"""[sync] in feeds.toml, and where its password comes from (never from feeds.toml)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsreader.config import parse_config
from newsreader.config.sync import SyncConfig
from newsreader.errors import ConfigError
from newsreader.sync import SyncError, SyncErrorKind
from newsreader.sync.credentials import forget, password_for

GOOD = """
[settings]
keep_days = 30

[sync]
service = "ttrss"
url = "https://news.example.org/tt-rss/"
user = "ann"
password_command = "pass show news"
"""


def test_a_sync_table_is_read():
    sync = parse_config(GOOD).sync
    assert sync == SyncConfig("ttrss", "https://news.example.org/tt-rss/", "ann", password_command="pass show news")
    assert (sync.name, sync.can_subscribe) == ("tt-rss", True)
    assert parse_config("").sync is None


def test_a_password_file_has_its_home_expanded():
    sync = parse_config('[sync]\nservice = "fever"\nurl = "https://x.org/fever/"\nuser = "a"\n'
                        'password_file = "~/.sync-password"\n').sync
    assert sync.password_file == str(Path.home() / ".sync-password")
    assert (sync.name, sync.can_subscribe) == ("Fever", False)


def test_a_plain_password_is_refused_with_its_line_saying_what_to_use_and_never_the_password():
    text = GOOD.replace('password_command = "pass show news"', 'password = "hunter2"')
    with pytest.raises(ConfigError) as raised:
        parse_config(text)
    message = str(raised.value)
    assert ":9:" in message or "line 9" in message
    assert "password_command" in message and "password_file" in message and "NEWSREADER_SYNC_PASSWORD" in message
    assert "hunter2" not in message and "\n" not in message


@pytest.mark.parametrize(("change", "words"), [
    (('service = "ttrss"', 'service = "newsblur"'), "service must be"),
    (('url = "https://news.example.org/tt-rss/"', 'url = "ftp://news.example.org/"'), "http(s) URL"),
    (('url = "https://news.example.org/tt-rss/"', 'url = "https://ann:hunter2@news.example.org/"'), "url holds a password"),
    (('user = "ann"', 'user = ""'), "user must be a string"),
    (('user = "ann"', 'usr = "ann"'), "unknown key 'usr'"),
    (('password_command = "pass show news"', 'password_command = "a"\npassword_file = "b"'), "not both"),
    (('user = "ann"', ''), "needs user"),
])
def test_a_bad_sync_table_is_one_line_with_its_line(change, words):
    with pytest.raises(ConfigError) as raised:
        parse_config(GOOD.replace(*change))
    assert words in str(raised.value) and "hunter2" not in str(raised.value)
    assert raised.value.line is not None


def sync_with(**changes) -> SyncConfig:
    values = {"service": "ttrss", "url": "https://x.org/", "user": f"u{len(changes)}{sorted(changes)}", **changes}
    return SyncConfig(**values)


def test_the_password_from_a_command_is_its_first_line_and_read_once(tmp_path):
    counter = tmp_path / "count"
    sync = sync_with(password_command=f"echo x >> {counter}; printf 's3cret with spaces \\nsecond line\\n'")
    assert password_for(sync).reveal() == "s3cret with spaces "
    assert password_for(sync).reveal() == "s3cret with spaces "
    assert counter.read_text().count("x") == 1
    forget(sync)
    password_for(sync)
    assert counter.read_text().count("x") == 2


def test_a_failing_command_says_how_it_failed():
    with pytest.raises(SyncError) as raised:
        password_for(sync_with(password_command="echo 'gpg: decryption failed' >&2; exit 2"))
    assert raised.value.kind is SyncErrorKind.CREDENTIALS
    assert str(raised.value) == "password_command failed (exit status 2): gpg: decryption failed"


def test_a_password_file_only_its_owner_can_read(tmp_path):
    secret = tmp_path / "password"
    secret.write_text("from-the-file\n")
    secret.chmod(0o600)
    assert password_for(sync_with(password_file=str(secret))).reveal() == "from-the-file"
    secret.chmod(0o644)
    with pytest.raises(SyncError) as raised:
        password_for(sync_with(password_file=str(secret), user="other"))
    assert raised.value.kind is SyncErrorKind.CREDENTIALS
    assert "may be read by others (mode 0644)" in str(raised.value) and "chmod 600" in str(raised.value)
    assert "from-the-file" not in str(raised.value)


def test_the_variable_then_nothing():
    assert password_for(sync_with(user="env"), {"NEWSREADER_SYNC_PASSWORD": "v"}).reveal() == "v"
    with pytest.raises(SyncError) as raised:
        password_for(sync_with(user="none"), {})
    assert "no password" in str(raised.value) and "NEWSREADER_SYNC_PASSWORD" in str(raised.value)


def test_a_missing_password_file_is_one_line(tmp_path):
    with pytest.raises(SyncError) as raised:
        password_for(sync_with(password_file=str(tmp_path / "nope")))
    assert "cannot read password_file" in str(raised.value) and "No such file" in str(raised.value)
    assert os.linesep not in str(raised.value)


def test_the_same_server_spelled_another_way_is_the_same_server():
    same = [SyncConfig("ttrss", url, "ann").identity for url in (
        "https://News.example.org/tt-rss/", "http://news.example.org:8080/tt-rss", "https://news.example.org/tt-rss/api/")]
    assert len(set(same)) == 1
    assert SyncConfig("ttrss", "https://news.example.org/other/", "ann").identity not in same
    assert SyncConfig("ttrss", "https://news.example.org/tt-rss/", "bob").identity not in same
