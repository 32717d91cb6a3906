"""Fetching over loopback: every way a real server behaves or misbehaves, through refresh_feeds and the CLI."""

from __future__ import annotations

import asyncio
import http.server
import shutil
import ssl
import subprocess
import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from newsreader import refresh as update
from newsreader.cli import main
from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.model import FeedOutcome, Status
from newsreader.net.client import USER_AGENT, HttpClient
from newsreader.refresh import refresh_feeds, refresh_feeds_sync
from newsreader.store import Store

from feedserver import FeedServer, unused_url, write_feeds_toml

FEEDS = Path(__file__).parent / "feeds"
WORLD = (FEEDS / "world.rss").read_bytes()
ATOM = (FEEDS / "world.atom").read_bytes()
WORLD_STORIES = 4
ATOM_STORIES = 3


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "cache.sqlite") as store:
        yield store


def config_for(urls: dict[str, str], **settings: object) -> Config:
    """Feeds named by the dict's keys; short timeouts so a slow case costs a second, not thirty."""
    settings.setdefault("timeout", 5.0)
    return Config(settings=Settings(**settings), feeds=tuple(FeedConfig(name=name, url=url) for name, url in urls.items()))


def fetch(store: Store, urls: dict[str, str], **settings: object) -> dict[str, FeedOutcome]:
    summary = refresh_feeds_sync(store, config_for(urls, **settings))
    return {outcome.feed.name: outcome for outcome in summary.outcomes}


def feed_row(store: Store, name: str):
    return next(feed for feed in store.feeds() if feed.name == name)


def count_parses(monkeypatch) -> list[str]:
    """Record every parse (in-thread: fewer than 8 feeds never start the process pool)."""
    calls: list[str] = []
    real = update.parse_feed

    def counting(body, options):
        calls.append(options.url)
        return real(body, options)

    monkeypatch.setattr(update, "parse_feed", counting)
    return calls


# -- a good feed, conditional GET ----------------------------------------------------------------------


def test_first_fetch_stores_stories_with_user_agent(store, feed_server: FeedServer):
    url = feed_server.feed("/world.rss", WORLD)
    outcome = fetch(store, {"World": url})["World"]
    assert (outcome.status, outcome.new, outcome.http_status, outcome.error) == (Status.UPDATED, WORLD_STORIES, 200, None)
    (request,) = feed_server.requests_for("/world.rss")
    assert request.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("newsreader/")
    assert "application/rss+xml" in request.headers["accept"]
    assert "if-none-match" not in request.headers and "if-modified-since" not in request.headers
    feed = feed_row(store, "World")
    assert (feed.story_count, feed.http_status, feed.last_error, feed.title) == (WORLD_STORIES, 200, None, "Loopback World News")
    assert feed.last_success is not None


def test_etag_and_last_modified_make_a_conditional_get_and_304_costs_no_parsing(store, feed_server, monkeypatch):
    url = feed_server.feed("/world.rss", WORLD, last_modified="Mon, 02 Mar 2026 10:00:00 GMT")
    parses = count_parses(monkeypatch)
    fetch(store, {"World": url})
    assert len(parses) == 1

    outcome = fetch(store, {"World": url})["World"]
    assert (outcome.status, outcome.http_status, outcome.new) == (Status.NOT_MODIFIED, 304, 0)
    second = feed_server.requests_for("/world.rss")[1]
    assert second.headers["if-none-match"].startswith('"')
    assert second.headers["if-modified-since"] == "Mon, 02 Mar 2026 10:00:00 GMT"
    assert len(parses) == 1, "a 304 must not be parsed"
    feed = feed_row(store, "World")
    assert (feed.http_status, feed.last_error, feed.story_count) == (304, None, WORLD_STORIES)


def test_changed_feed_gets_a_new_etag_and_is_fetched_again(store, feed_server):
    url = feed_server.feed("/world.rss", WORLD)
    fetch(store, {"World": url})
    feed_server.feed("/world.rss", ATOM, content_type="application/atom+xml")
    outcome = fetch(store, {"World": url})["World"]
    assert (outcome.status, outcome.new) == (Status.UPDATED, ATOM_STORIES)
    assert fetch(store, {"World": url})["World"].status is Status.NOT_MODIFIED


def test_last_modified_alone_is_enough(store, feed_server):
    url = feed_server.feed("/world.rss", WORLD, etag=False, last_modified=formatdate(time.time() - 3600, usegmt=True))
    fetch(store, {"World": url})
    assert fetch(store, {"World": url})["World"].status is Status.NOT_MODIFIED
    last = feed_server.requests_for("/world.rss")[-1]
    assert "if-none-match" not in last.headers and "if-modified-since" in last.headers


def test_no_validators_means_an_unconditional_get_and_the_same_body_costs_no_parsing(store, feed_server, monkeypatch):
    parses = count_parses(monkeypatch)
    url = feed_server.feed("/world.rss", WORLD, etag=False, last_modified=None)
    fetch(store, {"World": url})
    outcome = fetch(store, {"World": url})["World"]
    assert (outcome.status, outcome.http_status, outcome.new) == (Status.NOT_MODIFIED, 200, 0)
    assert "if-none-match" not in feed_server.requests_for("/world.rss")[-1].headers
    assert len(parses) == 1, "the very body stored last time is not parsed again"
    assert store.total_stories() == WORLD_STORIES

    # A changed body is parsed and stored as usual; nothing is stored twice.
    feed_server.feed("/world.rss", WORLD.replace(b"</channel>", b"<item><guid>extra</guid><title>Extra</title></item></channel>"),
                     etag=False, last_modified=None)
    outcome = fetch(store, {"World": url})["World"]
    assert (outcome.status, outcome.new) == (Status.UPDATED, 1) and len(parses) == 2
    assert store.total_stories() == WORLD_STORIES + 1


def test_force_ignores_nothing_but_deferrals(store, feed_server):
    url = feed_server.feed("/world.rss", WORLD)
    config = config_for({"World": url})
    refresh_feeds_sync(store, config)
    summary = refresh_feeds_sync(store, config, force=True)
    assert summary.outcomes[0].status is Status.NOT_MODIFIED  # --force is about Retry-After, not validators


# -- encodings -------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_responses(store, feed_server, encoding):
    url = feed_server.feed("/world.rss", WORLD, encoding=encoding)
    outcome = fetch(store, {"World": url})["World"]
    assert (outcome.status, outcome.new) == (Status.UPDATED, WORLD_STORIES)
    assert encoding in feed_server.requests_for("/world.rss")[0].headers["accept-encoding"]


def test_atom_feed(store, feed_server):
    url = feed_server.feed("/world.atom", ATOM, content_type="application/atom+xml")
    assert fetch(store, {"Atom": url})["Atom"].new == ATOM_STORIES
    assert feed_row(store, "Atom").title == "Loopback Atom Desk"


def test_stories_are_tagged_from_their_links_too(store, feed_server):
    # Neither title nor summary names a place; the slug of the (relative) link does.
    rss = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Desk</title><item>"
           "<title>Crowds gather for a third night</title><link>/world/2026/mar/02/moldova-protests-vote</link>"
           "<description>Officials urged calm.</description></item></channel></rss>")
    url = feed_server.feed("/desk.rss", rss)
    fetch(store, {"Desk": url})
    (story,) = store.stories()
    assert story.link == feed_server.url("/world/2026/mar/02/moldova-protests-vote")
    assert story.countries == () and story.mentions == ("MD",)


# -- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_is_remembered(store, feed_server, status):
    old = feed_server.redirect("/old.rss", "/new.rss", status=status)
    new = feed_server.feed("/new.rss", WORLD)
    outcome = fetch(store, {"World": old})["World"]
    assert (outcome.status, outcome.new) == (Status.UPDATED, WORLD_STORIES)
    feed = feed_row(store, "World")
    assert (feed.url, feed.fetch_url) == (old, new)

    assert fetch(store, {"World": old})["World"].status is Status.NOT_MODIFIED
    assert len(feed_server.requests_for("/old.rss")) == 1, "the second run must go straight to the new URL"
    assert len(feed_server.requests_for("/new.rss")) == 2


@pytest.mark.parametrize("status", [302, 307])
def test_temporary_redirect_is_followed_but_not_remembered(store, feed_server, status):
    old = feed_server.redirect("/old.rss", "/new.rss", status=status)
    feed_server.feed("/new.rss", WORLD)
    assert fetch(store, {"World": old})["World"].new == WORLD_STORIES
    assert feed_row(store, "World").fetch_url is None
    fetch(store, {"World": old})
    assert len(feed_server.requests_for("/old.rss")) == 2


def test_permanent_then_temporary_hop_is_not_remembered(store, feed_server):
    old = feed_server.redirect("/a.rss", "/b.rss", status=301)
    feed_server.redirect("/b.rss", "/c.rss", status=302)
    feed_server.feed("/c.rss", WORLD)
    assert fetch(store, {"World": old})["World"].status is Status.UPDATED
    assert feed_row(store, "World").fetch_url is None


def test_redirect_loop_fails_cleanly(store, feed_server):
    loop = feed_server.redirect("/ping.rss", "/pong.rss", status=302)
    feed_server.redirect("/pong.rss", "/ping.rss", status=302)
    outcome = fetch(store, {"Loop": loop})["Loop"]
    assert outcome.status is Status.FAILED
    assert outcome.error == "too many redirects (more than 10)"
    assert feed_row(store, "Loop").last_error == outcome.error


# -- failures --------------------------------------------------------------------------------------


def test_server_error_is_recorded(store, feed_server):
    url = feed_server.error("/broken.rss", 500)
    outcome = fetch(store, {"Broken": url})["Broken"]
    assert (outcome.status, outcome.http_status, outcome.error) == (Status.FAILED, 500, "HTTP 500 Internal Server Error")
    feed = feed_row(store, "Broken")
    assert (feed.http_status, feed.last_error, feed.last_success, feed.story_count) == (500, "HTTP 500 Internal Server Error", None, 0)


def test_not_found(store, feed_server):
    outcome = fetch(store, {"Gone": feed_server.url("/nothing-here.rss")})["Gone"]
    assert (outcome.status, outcome.error) == (Status.FAILED, "HTTP 404 Not Found")


def test_slow_response_times_out(store, feed_server):
    url = feed_server.feed("/slow.rss", WORLD, delay=5)
    started = time.monotonic()
    outcome = fetch(store, {"Slow": url}, timeout=0.5)["Slow"]
    assert time.monotonic() - started < 3
    assert (outcome.status, outcome.error) == (Status.FAILED, "timed out after 0.5 s")


def test_slow_but_within_the_timeout_is_fine(store, feed_server):
    url = feed_server.feed("/slow.rss", WORLD, delay=0.3)
    assert fetch(store, {"Slow": url}, timeout=3)["Slow"].new == WORLD_STORIES


def test_short_retry_after_is_waited_out_within_the_run(store, feed_server):
    url = feed_server.sequence("/busy.rss", feed_server.make_error(429, retry_after="1"), feed_server.make_feed(WORLD))
    started = time.monotonic()
    outcome = fetch(store, {"Busy": url})["Busy"]
    assert time.monotonic() - started >= 0.5
    assert (outcome.status, outcome.new) == (Status.UPDATED, WORLD_STORIES)
    assert len(feed_server.requests_for("/busy.rss")) == 2


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("retry_after", ["3600", "http-date"])
def test_long_retry_after_defers_the_feed_to_a_later_run(store, feed_server, status, retry_after):
    if retry_after == "http-date":
        retry_after = formatdate(time.time() + 3600, usegmt=True)
    url = feed_server.sequence("/busy.rss", feed_server.make_error(status, retry_after=retry_after), feed_server.make_feed(WORLD))
    outcome = fetch(store, {"Busy": url})["Busy"]
    assert outcome.status is Status.FAILED and outcome.http_status == status
    assert outcome.error.startswith(f"HTTP {status} ") and "retry after 3" in outcome.error

    # The next run respects the server's wish without asking it.
    outcome = fetch(store, {"Busy": url})["Busy"]
    assert outcome.status is Status.DEFERRED and "next try in" in outcome.error
    assert len(feed_server.requests_for("/busy.rss")) == 1

    # --force asks anyway, and success clears the deferral.
    summary = refresh_feeds_sync(store, config_for({"Busy": url}), force=True)
    assert summary.outcomes[0].status is Status.UPDATED
    assert fetch(store, {"Busy": url})["Busy"].status is Status.NOT_MODIFIED


def test_503_without_retry_after_is_a_plain_failure(store, feed_server):
    url = feed_server.error("/down.rss", 503)
    assert fetch(store, {"Down": url})["Down"].error == "HTTP 503 Service Unavailable"
    assert fetch(store, {"Down": url})["Down"].status is Status.FAILED  # asked again, not deferred
    assert len(feed_server.requests_for("/down.rss")) == 2


def test_truncated_body_fails(store, feed_server):
    url = feed_server.truncated("/cut.rss", WORLD[: len(WORLD) // 2])
    outcome = fetch(store, {"Cut": url})["Cut"]
    assert outcome.status is Status.FAILED
    assert outcome.error.startswith("the server broke off the response")
    assert store.total_stories() == 0


def test_oversized_streamed_body_is_cut_off(store, feed_server):
    url = feed_server.oversized("/huge.rss", 200 * 1024 * 1024)
    started = time.monotonic()
    outcome = fetch(store, {"Huge": url}, max_feed_bytes=256 * 1024)["Huge"]
    assert time.monotonic() - started < 5, "the download must stop at the cap, not at the end"
    assert (outcome.status, outcome.error) == (Status.FAILED, "response too large (over 256 KiB); cut off")


def test_declared_oversized_body_is_refused_before_reading(store, feed_server):
    url = feed_server.truncated("/huge.rss", WORLD, declared=1024 * 1024 * 1024)
    outcome = fetch(store, {"Huge": url}, max_feed_bytes=1024 * 1024)["Huge"]
    assert outcome.error == "response too large (1048576 KiB; the limit is 1024 KiB)"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compression_bomb_is_cut_off(store, feed_server, encoding):
    url = feed_server.bomb("/bomb.rss", 64 * 1024 * 1024, encoding)  # br: 1 GiB
    outcome = fetch(store, {"Bomb": url}, max_feed_bytes=1024 * 1024)["Bomb"]
    assert (outcome.status, outcome.error_kind, outcome.error) == (Status.FAILED, "too-large", "response too large (over 1024 KiB); cut off")


def test_html_page_is_not_a_feed(store, feed_server):
    url = feed_server.page("/index.html", "<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>")
    outcome = fetch(store, {"Site": url})["Site"]
    assert (outcome.status, outcome.http_status, outcome.error) == (Status.FAILED, 200, "not a feed: the server sent an HTML page")
    assert feed_row(store, "Site").last_error == outcome.error


def test_empty_body_is_not_a_feed(store, feed_server):
    url = feed_server.feed("/empty.rss", b"")
    assert fetch(store, {"Empty": url})["Empty"].error == "not a feed: the response was empty"


def test_dead_server(store):
    url = unused_url()
    outcome = fetch(store, {"Dead": url})["Dead"]
    assert outcome.status is Status.FAILED
    host_port = url.split("//")[1].split("/")[0]
    assert outcome.error == f"cannot connect: {host_port}: Connection refused"


def test_a_malformed_url_fails_that_feed_alone(store, feed_server):
    outcomes = fetch(store, {"Bad": "http://[::1:/feed.xml", "Scheme": "ftp://127.0.0.1/feed.xml",
                             "World": feed_server.feed("/world.rss", WORLD)})
    assert (outcomes["Bad"].status, outcomes["Bad"].error) == (Status.FAILED, "invalid URL: Invalid IPv6 URL")
    assert outcomes["Scheme"].error == "unsupported URL scheme: ftp"
    assert outcomes["World"].status is Status.UPDATED


def test_error_is_cleared_by_the_next_success(store, feed_server):
    url = feed_server.sequence("/flaky.rss", feed_server.make_error(500), feed_server.make_feed(WORLD))
    fetch(store, {"Flaky": url})
    assert feed_row(store, "Flaky").last_error == "HTTP 500 Internal Server Error"
    fetch(store, {"Flaky": url})
    feed = feed_row(store, "Flaky")
    assert (feed.last_error, feed.http_status, feed.story_count) == (None, 200, WORLD_STORIES)


def test_stories_stay_when_a_feed_later_fails(store, feed_server):
    url = feed_server.sequence("/world.rss", feed_server.make_feed(WORLD), feed_server.make_error(500))
    fetch(store, {"World": url})
    fetch(store, {"World": url})
    assert feed_row(store, "World").story_count == WORLD_STORIES


# -- many feeds at once --------------------------------------------------------------------------


def _every_behaviour(server: FeedServer) -> dict[str, str]:
    server.redirect("/ping", "/pong", status=302)
    server.redirect("/pong", "/ping", status=302)
    return {
        "Good": server.feed("/world.rss", WORLD),
        "Atom": server.feed("/world.atom", ATOM, encoding="gzip"),
        "Moved": server.redirect("/moved.rss", "/world.rss"),
        "Error": server.error("/500", 500),
        "Busy": server.error("/429", 429, retry_after="3600"),
        "Slow": server.feed("/slow", WORLD, delay=5),
        "Cut": server.truncated("/cut", WORLD[:300]),
        "Huge": server.oversized("/huge", 64 * 1024 * 1024),
        "Bomb": server.gzip_bomb("/bomb", 32 * 1024 * 1024),
        "Page": server.page("/page", "<html><body>hello</body></html>"),
        "Loop": server.url("/ping"),
        "Dead": unused_url(),
    }


async def test_one_failing_feed_never_stops_the_others(tmp_path, feed_server):
    """Twelve feeds in one run (so parsing goes to the process pool): two good, ten bad in every way."""
    urls = _every_behaviour(feed_server)
    seen: list[FeedOutcome] = []
    with Store(tmp_path / "cache.sqlite") as store:
        summary = await refresh_feeds(store, config_for(urls, timeout=1.0, max_feed_bytes=512 * 1024), on_outcome=seen.append)
        assert len(seen) == len(urls) == len(summary.outcomes)
        by_name = {o.feed.name: o for o in seen}
        report = "; ".join(f"{name}: {o.status.value} {o.error}" for name, o in by_name.items())
        assert {name for name, o in by_name.items() if o.status is Status.UPDATED} == {"Good", "Atom", "Moved"}, report
        assert {name for name, o in by_name.items() if o.status is Status.FAILED} == set(urls) - {"Good", "Atom", "Moved"}
        assert all(o.error and "\n" not in o.error for o in seen if o.status is Status.FAILED)
        assert summary.reached_any
        assert store.total_stories() == 2 * WORLD_STORIES + ATOM_STORIES
        line = summary.line()
        assert line.startswith("12 feeds: 3 updated, 0 not modified, 9 failed; 11 new stories")
        errors = {feed.name: feed.last_error for feed in store.feeds()}
        assert errors["Good"] is None and errors["Error"] == "HTTP 500 Internal Server Error"
        assert errors["Dead"].startswith("cannot connect")


def test_cli_fetch_summary_and_exit_0_with_some_failures(tmp_path, feed_server, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    config = write_feeds_toml(
        tmp_path / "feeds.toml",
        [("World", feed_server.feed("/world.rss", WORLD)), ("Broken", feed_server.error("/500", 500)), ("Dead", unused_url())],
        settings={"timeout": 5},
    )
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*args, "fetch"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0].startswith("3 feeds: 1 updated, 0 not modified, 2 failed; 4 new stories (")
    assert "  Broken: HTTP 500 Internal Server Error" in lines
    assert any(line.startswith("  Dead: cannot connect") for line in lines)
    assert err == ""

    assert main([*args, "feeds"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert set(rows) == {"World", "Broken", "Dead"}
    assert rows["World"].split()[1:3] == ["4", "4"] and "ok (200)" in rows["World"]
    assert "HTTP 500 Internal Server Error" in rows["Broken"] and "never" in rows["Broken"]
    assert "cannot connect" in rows["Dead"]

    assert main([*args, "fetch", "--quiet"]) == 0
    assert capsys.readouterr().out == ""


def test_cli_fetch_exits_non_zero_when_nothing_could_be_fetched(tmp_path, feed_server, capsys):
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Broken", feed_server.error("/500", 500)), ("Dead", unused_url())])
    status = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "fetch"])
    out, err = capsys.readouterr()
    assert status == 1, (out, err)
    assert "2 failed" in out
    assert err == "newsreader: no feed could be fetched\n"


def test_cli_fetch_only_named_feed(tmp_path, feed_server, capsys):
    config = write_feeds_toml(tmp_path / "feeds.toml", [("World", feed_server.feed("/w", WORLD)), ("Atom", feed_server.feed("/a", ATOM))])
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*args, "fetch", "--feed", "atom"]) == 0, capsys.readouterr()
    assert [r.path for r in feed_server.requests] == ["/a"]
    assert main([*args, "fetch", "--feed", "Nope"]) == 2
    assert "no feed named nope" in capsys.readouterr().err


def test_a_broken_parser_pool_falls_back_to_parsing_here(store, feed_server, monkeypatch):
    """A worker process that dies (OOM killer, say) must not fail every feed still to parse."""
    from concurrent.futures import Executor
    from concurrent.futures.process import BrokenProcessPool

    from newsreader.feeds.parse import ParserPool

    class Broken(Executor):
        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("A child process terminated abruptly")

    monkeypatch.setattr(ParserPool, "executor", lambda self: Broken() if self.workers > 1 else None)
    urls = {"World": feed_server.feed("/world.rss", WORLD), "Atom": feed_server.feed("/world.atom", ATOM)}
    summary = refresh_feeds_sync(store, config_for(urls), parse_workers=2)
    assert [o.status for o in summary.outcomes] == [Status.UPDATED, Status.UPDATED]
    assert store.total_stories() == WORLD_STORIES + ATOM_STORIES


def test_a_first_fetch_starts_the_parse_workers_early_and_survives_a_broken_pool(store, feed_server, monkeypatch):
    """Eight feeds never fetched: the workers start before the first download ends. If the pool cannot start,
    every feed is still parsed, here."""
    from concurrent.futures import Executor
    from concurrent.futures.process import BrokenProcessPool

    from newsreader.feeds.parse import ParserPool

    started = []

    class Broken(Executor):
        def submit(self, *args, **kwargs):
            started.append(args[0].__name__)
            raise BrokenProcessPool("A child process terminated abruptly")

    monkeypatch.setattr(ParserPool, "executor", lambda self: Broken() if self.workers > 1 else None)
    urls = {f"World {i}": feed_server.feed(f"/world{i}.rss", WORLD) for i in range(8)}
    summary = refresh_feeds_sync(store, config_for(urls), parse_workers=2)
    assert started[0] == "_nothing"  # the warm-up task came first
    assert [o.status for o in summary.outcomes] == [Status.UPDATED] * 8
    assert refresh_feeds_sync(store, config_for(urls), parse_workers=2).count(Status.NOT_MODIFIED) == 8
    assert started.count("_nothing") == 1  # a refresh of fetched feeds starts no worker it may not need


def test_a_cancelled_refresh_stops_soon_and_keeps_what_it_saved(store, feed_server):
    """The reader quitting sets `cancel`: a download that would take its whole timeout is dropped, and the feed
    already saved stays saved."""
    from newsreader.errors import RefreshCancelled

    urls = {"World": feed_server.feed("/world.rss", WORLD), "Slow": feed_server.feed("/slow.rss", ATOM, delay=8)}
    cancel = threading.Event()
    threading.Timer(1.0, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(RefreshCancelled):
        refresh_feeds_sync(store, config_for(urls, timeout=30), cancel=cancel)
    assert time.monotonic() - started < 6  # not the slow feed's 8 s
    assert store.total_stories() == WORLD_STORIES


def test_worker_pool_start_launches_every_worker():
    from newsreader.workers import WorkerPool

    pool = WorkerPool(2)
    try:
        pool.start()
        assert len(pool.executor()._processes) == 2  # ProcessPoolExecutor's own table of its workers
    finally:
        pool.close()


async def test_requests_to_one_host_never_exceed_the_per_host_cap(feed_server: FeedServer):
    """Six downloads from each of two hosts (127.0.0.1 and localhost, one server): at most 2 at once per host."""
    lock = threading.Lock()
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}

    def slow(request):
        host = request.headers["host"].split(":")[0]
        with lock:
            in_flight[host] = in_flight.get(host, 0) + 1
            peak[host] = max(peak.get(host, 0), in_flight[host])
        time.sleep(0.1)
        with lock:
            in_flight[host] -= 1
        return FeedServer.make_feed(WORLD)

    url = feed_server.handler("/slow.rss", slow)
    urls = [url, url.replace("127.0.0.1", "localhost")] * 6
    async with HttpClient(concurrency=8, per_host=2) as client:
        results = await asyncio.gather(*(client.get(u) for u in urls))
        assert all(r.status == 200 and r.body == WORLD for r in results)
    assert peak == {"127.0.0.1": 2, "localhost": 2}


# -- TLS ---------------------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS feed server on 127.0.0.1 with a self-signed certificate made for this test."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(WORLD)))
            self.end_headers()
            self.wfile.write(WORLD)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/world.rss", cert
    server.shutdown()
    server.server_close()


def test_https_feed_with_a_trusted_certificate(store, tls_server, monkeypatch):
    url, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust this test's certificate, as a user's CA bundle would
    outcome = fetch(store, {"Secure": url})["Secure"]
    assert (outcome.status, outcome.new) == (Status.UPDATED, WORLD_STORIES)


def test_https_feed_with_an_untrusted_certificate_says_so(store, tls_server):
    url, _cert = tls_server
    outcome = fetch(store, {"Secure": url})["Secure"]
    host_port = url.split("//")[1].split("/")[0]
    assert (outcome.status, outcome.error_kind) == (Status.FAILED, "tls")
    assert outcome.error == f"cannot connect: {host_port}: its TLS certificate is not trusted (self-signed certificate)"
