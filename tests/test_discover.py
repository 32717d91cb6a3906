"""`newsreader add` and `remove` over loopback: feed URLs, pages announcing feeds, common paths, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.cli import subscriptions as cli_feeds
from newsreader.config import load_config
from newsreader.config.types import FeedConfig
from newsreader.feeds.discover import (
    DiscoveryError,
    NoFeedsFound,
    Unreachable,
    common_feed_urls,
    discover_feeds,
    feed_links,
    normalise_input,
)
from newsreader.store import Store

from feedserver import FeedServer, unused_url
from story_factory import add_stories, entry

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{title}</title><link>http://site.example/</link>
<item><guid>1</guid><title>One</title></item><item><guid>2</guid><title>Two</title></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title><id>urn:x</id><updated>2026-01-01T00:00:00Z</updated>
<entry><id>urn:1</id><title>One</title><updated>2026-01-01T00:00:00Z</updated></entry></feed>"""
PAGE = """<!DOCTYPE html><html><head><title>A news site</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="All stories" href="/news/rss.xml">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" title="Comments" href="comments.atom">
<link rel="alternate" type="application/rss+xml" title="Gone" href="/gone.xml">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
</head><body><p>Hello</p></body></html>"""


def _config(tmp_path: Path) -> Path:
    return tmp_path / "feeds.toml"


def add(tmp_path: Path, *args: str) -> int:
    return main(["--config", str(_config(tmp_path)), "--data-dir", str(tmp_path / "data"), "add", *args])


def test_feed_links_resolve_against_the_page_and_its_base() -> None:
    links = feed_links(PAGE, "http://site.example/section/page.html")
    assert links == [
        ("http://site.example/news/rss.xml", "All stories"),
        ("http://site.example/section/comments.atom", "Comments"),
        ("http://site.example/gone.xml", "Gone"),
    ]
    based = feed_links('<base href="https://cdn.example/x/"><link rel="alternate" type="application/rss+xml" href="f.xml">',
                       "http://site.example/")
    assert based == [("https://cdn.example/x/f.xml", "")]
    assert feed_links('<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">', "http://s.example/") == []


def test_common_paths_try_the_page_folder_then_the_root() -> None:
    urls = common_feed_urls("https://blog.example/blog/post?id=3")
    assert urls[0] == "https://blog.example/blog/feed"
    assert "https://blog.example/feeds/posts/default" in urls
    assert urls.index("https://blog.example/feed") == 7
    assert common_feed_urls("https://site.example")[0] == "https://site.example/feed"


def test_normalise_input() -> None:
    assert normalise_input(" example.com/news ") == "https://example.com/news"
    assert normalise_input("localhost:8080/feed") == "https://localhost:8080/feed"
    for other in ("ftp://example.com/", "mailto:someone@example.com", "javascript:alert(1)", "https://"):
        with pytest.raises(DiscoveryError, match="not a web address"):
            normalise_input(other)


async def test_a_feed_url_is_the_only_candidate(feed_server: FeedServer) -> None:
    url = feed_server.feed("/feed.xml", RSS.format(title="Site News"))
    found = await discover_feeds(url)
    assert found.is_feed
    assert [(c.url, c.title, c.entries) for c in found.candidates] == [(url, "Site News", 2)]


async def test_a_page_offers_its_announced_feeds_that_really_are_feeds(feed_server: FeedServer) -> None:
    page = feed_server.page("/section/page.html", PAGE)
    feed_server.feed("/news/rss.xml", RSS.format(title="Site News"))
    feed_server.feed("/section/comments.atom", ATOM.format(title="Comments on Site"), content_type="application/atom+xml")
    found = await discover_feeds(page, configured=[FeedConfig(name="Mine", url=feed_server.url("/section/comments.atom"))])
    assert not found.is_feed
    assert [(c.title, c.subscribed_as) for c in found.candidates] == [("Site News", None), ("Comments on Site", "Mine")]
    # The common paths are only tried when the page's own links give nothing.
    assert not feed_server.requests_for("/feed")


async def test_common_paths_when_the_page_names_no_feed(feed_server: FeedServer) -> None:
    page = feed_server.page("/blog/", "<html><head><title>Blog</title></head><body>no links here</body></html>")
    feed_server.feed("/blog/index.xml", RSS.format(title="Blog feed"))
    feed_server.redirect("/rss", "/rss.xml")
    feed_server.feed("/rss.xml", RSS.format(title="Site feed"))
    found = await discover_feeds(page)
    assert [c.title for c in found.candidates] == ["Blog feed", "Site feed"]


async def test_a_page_without_feeds(feed_server: FeedServer) -> None:
    page = feed_server.page("/", "<html><body>Just a page</body></html>")
    feed_server.page("/feed", "<!DOCTYPE html><html><body>not a feed either</body></html>")
    with pytest.raises(NoFeedsFound, match="no feeds found"):
        await discover_feeds(page)


async def test_a_dead_server() -> None:
    with pytest.raises(Unreachable, match="not reachable: cannot connect"):
        await discover_feeds(unused_url("/"))


def test_cli_add_a_feed_url_creates_the_config(feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = feed_server.feed("/feed.xml", RSS.format(title="Site [bold]News[/bold] \x1b[31m"))
    assert add(tmp_path, url) == 0
    out = capsys.readouterr().out
    assert f"Created {_config(tmp_path)}" in out
    assert f"Added Site [bold]News[/bold] ({url}) to {_config(tmp_path)}" in out
    assert load_config(_config(tmp_path)).feeds == (FeedConfig(name="Site [bold]News[/bold]", url=url),)


def test_cli_add_follows_a_permanent_redirect(feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed_server.feed("/new.xml", RSS.format(title="Moved"))
    old = feed_server.redirect("/old.xml", "/new.xml", status=301)
    assert add(tmp_path, old, "--name", "My name") == 0
    assert load_config(_config(tmp_path)).feeds == (FeedConfig(name="My name", url=feed_server.url("/new.xml")),)


def test_cli_add_from_a_page_needs_a_choice_when_not_on_a_terminal(feed_server: FeedServer, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    page = feed_server.page("/section/page.html", PAGE)
    feed_server.feed("/news/rss.xml", RSS.format(title="Site News"))
    feed_server.feed("/section/comments.atom", ATOM.format(title="Comments"))
    assert add(tmp_path, page) == 2
    captured = capsys.readouterr()
    assert "  1. Site News  " in captured.out and "  2. Comments  " in captured.out
    assert captured.err == "newsreader: 2 feeds found; choose one with --pick N (or --yes for the first)\n"
    assert not _config(tmp_path).exists()
    assert add(tmp_path, page, "--pick", "3") == 2
    assert "--pick takes a number from 1 to 2" in capsys.readouterr().err
    assert add(tmp_path, page, "--pick", "2") == 0
    assert [f.name for f in load_config(_config(tmp_path)).feeds] == ["Comments"]
    assert add(tmp_path, page, "--yes") == 0
    assert [f.name for f in load_config(_config(tmp_path)).feeds] == ["Comments", "Site News"]


def test_cli_add_asks_on_a_terminal(feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    page = feed_server.page("/section/page.html", PAGE)
    feed_server.feed("/news/rss.xml", RSS.format(title="Site News"))
    feed_server.feed("/section/comments.atom", ATOM.format(title="Comments"))
    monkeypatch.setattr(cli_feeds, "interactive", lambda: True)
    answers = iter(["q", "2"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert add(tmp_path, page) == 0
    assert "Nothing added." in capsys.readouterr().out
    assert not _config(tmp_path).exists()
    assert add(tmp_path, page) == 0
    assert [f.name for f in load_config(_config(tmp_path)).feeds] == ["Comments"]


def test_cli_add_errors_are_one_line_and_write_nothing(feed_server: FeedServer, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    feed = feed_server.feed("/mine.xml", RSS.format(title="Site News"))  # not at a common path
    _config(tmp_path).write_text(f'# keep me\n[[feeds]]\nname = "Mine"\nurl = "{feed}"\n')
    before = _config(tmp_path).read_bytes()
    plain = feed_server.page("/plain.html", "<html><body>nothing</body></html>")
    dead = unused_url("/")
    cases = [
        (feed, 2, f"newsreader: already subscribed: Mine ({feed})"),
        (feed.replace("http://", "https://"), 1, "not reachable"),  # no TLS on the loopback server
        (plain, 1, f"newsreader: {plain}: no feeds found"),
        (dead, 1, f"newsreader: {dead}: not reachable: cannot connect"),
        ("mailto:someone@example.com", 2, "not a web address"),
    ]
    for url, code, message in cases:
        assert add(tmp_path, url) == code, url
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
        assert _config(tmp_path).read_bytes() == before


def test_cli_remove_asks_or_needs_yes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path)
    config.write_text('# list\n[[feeds]]\nname = "Keep"\nurl = "https://keep.example/rss"\n\n'
                      '[[feeds]]\nname = "Drop"\nurl = "https://drop.example/rss"\n')
    before = config.read_bytes()
    with Store(tmp_path / "data" / "cache.sqlite") as store:
        add_stories(store, FeedConfig(name="Drop", url="https://drop.example/rss"), [entry("a"), entry("b")])
        store.set_starred(store.story_ids()[0])
    base = ["--config", str(config), "--data-dir", str(tmp_path / "data"), "remove"]

    assert main([*base, "Drop"]) == 2
    assert "not removing Drop without --yes" in capsys.readouterr().err
    assert main([*base, "Nope", "--yes"]) == 2
    assert "no feed named or at 'Nope'" in capsys.readouterr().err
    monkeypatch.setattr(cli_feeds, "interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert main([*base, "drop.example/rss"]) == 0
    assert "Nothing removed." in capsys.readouterr().out
    assert config.read_bytes() == before

    prompts: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or "y")
    assert main([*base, "Drop"]) == 0
    assert prompts == ["Remove Drop (https://drop.example/rss) and its 2 cached stories? Starred stories are kept. [y/N] "]
    assert capsys.readouterr().out.strip() == f"Removed Drop from {config}; deleted 1 cached stories, kept 1 starred"
    assert config.read_text() == '# list\n[[feeds]]\nname = "Keep"\nurl = "https://keep.example/rss"\n'
    with Store(tmp_path / "data" / "cache.sqlite") as store:
        assert [s.starred for s in store.stories()] == [True]
