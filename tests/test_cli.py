"""The command line reading the cache back: list, show, feeds, their --json, filters, and hostile text."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
from datetime import datetime
from email.utils import formatdate
from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.store import Store

from feedserver import FeedServer, write_feeds_toml

FEEDS = Path(__file__).parent / "feeds"
# What must never reach a terminal from a feed: ESC (CSI, OSC 8 links, OSC 0 titles), BEL, 8-bit CSI/OSC.
FORBIDDEN = re.compile("[\x1b\x07\x9b\x9d]")
WORLD_TITLES = [  # newest first
    "Armenia and Azerbaijan resume border talks in Tbilisi",
    "Kenya's central bank holds rates as inflation eases",
    "Floods close schools across Bangladesh",
    "Chile's copper exports rise for a third month",
]


class Cache:
    """A cache filled over loopback from the test feeds; `run(...)` is the CLI in-process."""

    def __init__(self, tmp_path: Path, server: FeedServer, capsys) -> None:
        self.capsys = capsys
        self.config = write_feeds_toml(tmp_path / "feeds.toml", [
            ("World", server.feed_file("/world.rss", FEEDS / "world.rss")),
            ("Atom Desk", server.feed_file("/world.atom", FEEDS / "world.atom", content_type="application/atom+xml")),
            ("Hostile", server.feed_file("/hostile.rss", FEEDS / "hostile.rss")),
        ])
        self.data = tmp_path / "data"
        self.args = ["--config", str(self.config), "--data-dir", str(self.data)]
        assert self.run("fetch")[0] == 0

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        status = main([*self.args, *argv])
        out, err = self.capsys.readouterr()
        return status, out, err

    def json(self, *argv: str):
        status, out, err = self.run(*argv, "--json")
        assert (status, err) == (0, ""), err
        return json.loads(out)

    def ids(self) -> dict[str, int]:
        return {item["title"]: item["id"] for item in self.json("list", "--limit", "0")}

    def store(self) -> Store:
        return Store(self.data / "cache.sqlite")


@pytest.fixture
def cache(tmp_path, feed_server, capsys, monkeypatch) -> Cache:
    monkeypatch.setenv("COLUMNS", "200")  # Rich reads it: no wrapping of long titles in text output
    return Cache(tmp_path, feed_server, capsys)


# -- list --json ---------------------------------------------------------------------------------


def test_list_json_fields(cache):
    items = cache.json("list", "--feed", "World")
    assert [item["title"] for item in items] == WORLD_TITLES
    first = items[0]
    assert {"id", "feed", "title", "link", "published", "summary", "read", "starred"} <= first.keys()
    assert first["feed"] == "World"
    assert first["link"] == "http://example.test/world/armenia-azerbaijan-talks"
    assert first["published"] == "2026-03-02T09:30:00Z"
    assert datetime.fromisoformat(first["published"]).utcoffset().total_seconds() == 0
    assert first["summary"] == "Negotiators from Yerevan and Baku met in Georgia's capital."  # plain text, no <p>/<b>
    assert (first["read"], first["starred"]) == (False, False)
    assert isinstance(first["id"], int)
    assert first["countries"][:1] == ["AM"]  # tagging fills the place fields
    assert "text" not in first  # list is headers and summaries; show has the body
    chile = items[3]
    assert chile["link"] is None


def test_atom_dates_are_utc(cache):
    by_title = {item["title"]: item for item in cache.json("list", "--feed", "Atom Desk")}
    # <updated>2026-03-01T21:00:00+01:00</updated> and no <published>
    assert by_title["Brazil's senate passes a forest protection bill"]["published"] == "2026-03-01T20:00:00Z"
    assert by_title["Japan & South Korea agree on a fisheries deal"]["published"] == "2026-03-02T07:45:00Z"


def test_list_is_newest_first_across_feeds(cache):
    items = cache.json("list", "--limit", "0")
    assert len(items) == 12
    published = [item["published"] for item in items]
    assert published == sorted(published, reverse=True)


def test_limit(cache):
    assert len(cache.json("list", "--limit", "2")) == 2
    assert len(cache.json("list", "--limit", "0")) == 12
    assert [item["title"] for item in cache.json("list", "--feed", "World", "--limit", "1")] == WORLD_TITLES[:1]


def test_feed_filter_by_name_or_url(cache, feed_server):
    assert len(cache.json("list", "--feed", "atom desk")) == 3  # names match without case
    assert len(cache.json("list", "--feed", feed_server.url("/world.rss"))) == 4
    assert cache.json("list", "--feed", "Nope") == []


def test_search(cache):
    assert [i["title"] for i in cache.json("list", "--search", "Antofagasta")] == [WORLD_TITLES[3]]
    assert [i["title"] for i in cache.json("list", "--search", "delimiting border")] == [WORLD_TITLES[0]]
    assert cache.json("list", "--search", "Nairobi", "--feed", "Atom Desk") == []
    assert cache.json("list", "--search", '"(* NEAR zanzibar') == []  # FTS syntax in a query is no error
    assert len(cache.json("list", "--search", 'Kenya OR nothing')) == 0  # OR is a word here, not an operator


def test_unread_and_starred(cache):
    ids = cache.ids()
    with cache.store() as store:
        store.set_read([ids[WORLD_TITLES[0]], ids[WORLD_TITLES[1]]])
        store.set_starred(ids[WORLD_TITLES[2]])
    unread = [i["title"] for i in cache.json("list", "--feed", "World", "--unread")]
    assert unread == WORLD_TITLES[2:]
    starred = cache.json("list", "--starred")
    assert [(i["title"], i["starred"], i["read"]) for i in starred] == [(WORLD_TITLES[2], True, False)]
    # A re-fetch (here: forced past the 304 by changing nothing) keeps the flags.
    assert cache.run("fetch", "--quiet")[0] == 0
    by_title = {i["title"]: i for i in cache.json("list", "--feed", "World")}
    assert by_title[WORLD_TITLES[0]]["read"] and by_title[WORLD_TITLES[2]]["starred"]


def test_since_with_a_date(cache):
    items = cache.json("list", "--since", "2026-03-02", "--limit", "0")
    assert all(item["published"] >= "2026-03-02" for item in items)
    assert {i["title"] for i in items} >= set(WORLD_TITLES[:2])
    assert WORLD_TITLES[2] not in {i["title"] for i in items}
    assert len(cache.json("list", "--since", "2026-03-02T09:00:00+00:00")) == 1


def test_since_with_an_age(tmp_path, feed_server, capsys):
    recent = formatdate(time.time() - 3 * 3600, usegmt=True)
    body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Now</title>'
            f'<item><guid>fresh</guid><title>Fresh from Quito</title><pubDate>{recent}</pubDate></item>'
            f'<item><guid>old</guid><title>Old from Lima</title><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate></item>'
            f'</channel></rss>')
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Now", feed_server.feed("/now.rss", body))])
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*args, "fetch", "--quiet"]) == 0
    for age, expected in (("12h", ["Fresh from Quito"]), ("1h", []), ("2d", ["Fresh from Quito"]), ("600m", ["Fresh from Quito"])):
        capsys.readouterr()
        assert main([*args, "list", "--since", age, "--json"]) == 0
        assert [i["title"] for i in json.loads(capsys.readouterr().out)] == expected, age
    assert main([*args, "list", "--since", "last tuesday"]) == 2
    assert "--since takes an age like 2d" in capsys.readouterr().err


# -- text output ---------------------------------------------------------------------------------


def test_list_text_table(cache):
    status, out, err = cache.run("list", "--feed", "World")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "When", "Feed", "Where", "Title"]
    for line, title in zip(lines[1:], WORLD_TITLES, strict=True):
        assert line.rstrip().endswith(title)
        assert " World " in line


def test_list_of_an_empty_cache_says_so(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "data"), "list"]) == 0
    assert capsys.readouterr().out == "The cache is empty: run `newsreader fetch` first.\n"


def test_list_with_no_match_says_so(cache):
    assert cache.run("list", "--search", "zanzibar")[1] == "No stories match.\n"


def test_show_text_and_json(cache):
    story_id = cache.ids()[WORLD_TITLES[0]]
    status, out, err = cache.run("show", str(story_id))
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == WORLD_TITLES[0]
    assert lines[1] == "World · 2026-03-02T09:30:00Z · Anna Petrosyan"
    assert "http://example.test/world/armenia-azerbaijan-talks" in out
    assert "The talks on delimiting the border were the first in three months, officials said." in out
    assert "<p>" not in out and "alert" not in out  # HTML dropped, scripts dropped

    data = cache.json("show", str(story_id))
    assert data["id"] == story_id and data["title"] == WORLD_TITLES[0]
    assert data["text"].startswith("Negotiators from Yerevan and Baku met in Georgia's capital on Monday.\n\nThe talks")
    assert data["published"] == "2026-03-02T09:30:00Z"


def test_show_unknown_id(cache):
    status, out, err = cache.run("show", "99999")
    assert (status, out, err) == (2, "", "newsreader: no story with id 99999\n")


def test_feeds_table(cache):
    status, out, err = cache.run("feeds")
    assert (status, err) == (0, "")
    header, *rows = out.splitlines()
    assert header.split() == ["Feed", "Stories", "Unread", "Last", "success", "Status"]
    by_name = {row.split("  ")[0].strip(): row for row in rows}
    assert set(by_name) == {"World", "Atom Desk", "Hostile"}
    assert by_name["World"].split()[1:3] == ["4", "4"]
    assert "ok (200)" in by_name["Atom Desk"]


# -- hostile text --------------------------------------------------------------------------------

HOSTILE_TITLES = {
    "[bold]Not bold[/bold] headline",
    "[link=file:///etc/passwd]x[/link] click me",
    "Red alert in the capital",
    "Hyperlinked title",
}


def test_hostile_text_is_shown_literally_in_text_output(cache):
    status, out, err = cache.run("list", "--feed", "Hostile")
    assert status == 0
    assert not FORBIDDEN.search(out + err)
    for title in HOSTILE_TITLES:
        assert title in out  # markup shown as typed, escape sequences gone, the words kept
    assert "[bold]Not bold[/bold] headline" in out
    for title, story_id in cache.ids().items():
        if title in HOSTILE_TITLES or "CSI" in title:
            status, out, _ = cache.run("show", str(story_id))
            assert status == 0 and not FORBIDDEN.search(out)
            assert title in out
    _, out, _ = cache.run("show", str(cache.ids()["[link=file:///etc/passwd]x[/link] click me"]))
    assert "[link=file:///etc/passwd]x[/link] click me" in out
    _, out, _ = cache.run("feeds")
    assert not FORBIDDEN.search(out)


def test_hostile_text_in_json_is_clean_too(cache):
    items = cache.json("list", "--feed", "Hostile")
    assert {i["title"] for i in items} >= HOSTILE_TITLES
    text = json.dumps(items, ensure_ascii=False)
    assert not FORBIDDEN.search(text)
    assert not FORBIDDEN.search(json.dumps(items))  # no \u001b escapes either
    summaries = {i["summary"] for i in items}
    assert "Summary with [red]markup[/red] and [link=file:///etc/passwd]x[/link]." in summaries
    assert "Summary after OSC 0" in summaries


def test_hostile_feed_names_and_server_messages_are_made_safe(tmp_path, feed_server, capsys, monkeypatch):
    """A name from someone's OPML, and a reason phrase a hostile server writes, never drive the terminal."""
    monkeypatch.setenv("COLUMNS", "200")
    url = feed_server.error("/e", 500, reason="Oops \x1b[2J\x1b]8;;http://x.test/\x1b\\")
    config = tmp_path / "feeds.toml"
    config.write_text('[[feeds]]\nname = "Evil\\u001b]0;owned\\u0007 [bold]name"\n' f'url = "{url}"\n')
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*args, "fetch"]) == 1
    out, err = capsys.readouterr()
    assert not FORBIDDEN.search(out + err)
    assert "  Evil [bold]name: HTTP 500 Oops" in out
    assert main([*args, "feeds"]) == 0
    out = capsys.readouterr().out
    assert not FORBIDDEN.search(out) and "Evil [bold]name" in out


def test_hostile_text_on_a_real_terminal(cache):
    """On a terminal Rich styles the table; only its own SGR codes may appear, nothing from the feed."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "newsreader", *cache.args, "list", "--feed", "Hostile"],
                               stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=60) == 0
    out = b"".join(chunks).decode("utf-8")
    assert "\x1b[" in out, "expected Rich's own styling on a terminal"
    own_styling = re.sub(r"\x1b\[[0-9;]*m", "", out)  # SGR colours and bold: Rich's, from the table style
    assert not FORBIDDEN.search(own_styling), repr(own_styling)
    assert "\x1b[31m" not in out and "\x1b]" not in out and "\x1b[2J" not in out and "\x1b[5m" not in out
    for title in HOSTILE_TITLES:
        assert title in own_styling


# -- a real process ------------------------------------------------------------------------------


def test_python_dash_m_newsreader_end_to_end(tmp_path, feed_server):
    config = write_feeds_toml(tmp_path / "feeds.toml", [("World", feed_server.feed_file("/world.rss", FEEDS / "world.rss"))])
    base = [sys.executable, "-m", "newsreader", "--config", str(config), "--data-dir", str(tmp_path / "data")]
    fetch = subprocess.run([*base, "fetch"], capture_output=True, text=True, timeout=120)
    assert fetch.returncode == 0, fetch.stderr
    assert fetch.stdout.startswith("1 feed: 1 updated, 0 not modified, 0 failed; 4 new stories (")
    assert fetch.stderr == ""
    listed = subprocess.run([*base, "list", "--json"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0
    assert [item["title"] for item in json.loads(listed.stdout)] == WORLD_TITLES
    again = subprocess.run([*base, "fetch"], capture_output=True, text=True, timeout=120)
    assert again.stdout.startswith("1 feed: 0 updated, 1 not modified, 0 failed; 0 new stories (")
    assert feed_server.requests_for("/world.rss")[-1].headers.get("if-none-match")


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    from newsreader import __version__

    assert capsys.readouterr().out == f"newsreader {__version__}\n"
    with pytest.raises(SystemExit):
        main(["list", "--help"])
    help_text = capsys.readouterr().out
    for option in ("--feed", "--search", "--since", "--unread", "--limit", "--json"):
        assert option in help_text


CAPTIONED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Captions</title>
<item><guid>c1</guid><title>Border talks resume</title><link>http://example.test/c1</link>
<description>Armenian and Azerbaijani negotiators met again on Monday to settle the border.</description>
<media:content url="http://example.test/c1.jpg"/><media:description>Negotiators in Tbilisi.</media:description>
</item></channel></rss>"""


def test_show_puts_a_feed_summary_before_a_shorter_caption(tmp_path, feed_server, capsys, monkeypatch):
    """NYT's feed content is its image caption: showing it alone would hide the story's summary."""
    monkeypatch.setenv("COLUMNS", "200")
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Captions", feed_server.feed("/c.rss", CAPTIONED))])
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*args, "fetch"]) == 0
    capsys.readouterr()
    assert main([*args, "show", "1"]) == 0
    out = capsys.readouterr().out
    summary = "Armenian and Azerbaijani negotiators met again on Monday to settle the border."
    assert f"{summary}\n\nNegotiators in Tbilisi." in out
