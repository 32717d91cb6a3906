"""The HTTP client over loopback: every failure kind, set where the failure is caught; what a refused URL or
redirect says; no cookies, ever; POST for the sync clients; the limits on every request.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.model import FeedOutcome, Status
from newsreader.net.client import HttpClient
from newsreader.net.errors import FailureKind, FetchError
from newsreader.refresh import refresh_feeds_sync
from newsreader.store import Store

from feedserver import FeedServer, Response, unused_url

WORLD = (Path(__file__).parent / "feeds" / "world.rss").read_bytes()


@pytest.fixture(autouse=True)
def no_proxy_from_the_outside(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "cache.sqlite") as store:
        yield store


def fetch(store: Store, urls: dict[str, str], **settings: object) -> dict[str, FeedOutcome]:
    settings.setdefault("timeout", 5.0)
    config = Config(settings=Settings(**settings), feeds=tuple(FeedConfig(name=name, url=url) for name, url in urls.items()))
    return {outcome.feed.name: outcome for outcome in refresh_feeds_sync(store, config).outcomes}


def failure(url: str, **options: object) -> FetchError:
    async def run() -> None:
        async with HttpClient(**options) as client:
            await client.get(url)

    with pytest.raises(FetchError) as caught:
        asyncio.run(run())
    return caught.value


# -- every kind ------------------------------------------------------------------------------------------------


def kinds_table(server: FeedServer) -> dict[str, tuple[str, str, str]]:
    """name: (url, kind, the one line it fails with; "..." ends a prefix)."""
    server.redirect("/ping", "/pong", status=302)
    server.redirect("/pong", "/ping", status=302)
    dead = unused_url()
    return {
        "dns": ("http://no-such-host.invalid/feed.xml", "dns", "cannot connect: no-such-host.invalid:80: ..."),
        "connect": (dead, "connect", f"cannot connect: {dead.split('/')[2]}: Connection refused"),
        "timeout": (server.feed("/slow", WORLD, delay=5), "timeout", "timed out after 1 s"),
        "http": (server.error("/500", 500), "http", "HTTP 500 Internal Server Error"),
        "too-large": (server.oversized("/huge", 64 * 1024 * 1024), "too-large", "response too large (over 256 KiB); cut off"),
        "loop": (server.url("/ping"), "redirect-loop", "too many redirects (more than 10)"),
        "to-file": (server.redirect("/to-file", "file:///etc/passwd"), "redirect-loop",
                    "refused a redirect: unsupported URL scheme: file"),
        "to-bad-port": (server.redirect("/to-port", "http://127.0.0.1:99999/feed.xml"), "redirect-loop",
                        "refused a redirect: bad port: 99999"),
        "scheme": ("ftp://127.0.0.1/feed.xml", "bad-url", "unsupported URL scheme: ftp"),
        "port": ("http://127.0.0.1:99999/feed.xml", "bad-url", "bad port: 99999"),
        "port-0": ("http://127.0.0.1:0/feed.xml", "bad-url", "bad port: 0"),
        "port-text": ("http://127.0.0.1:http/feed.xml", "bad-url", "bad port: http"),
        "port-wide": ("http://127.0.0.1:\uff18\uff10/feed.xml", "bad-url", "bad port: \uff18\uff10"),  # fullwidth digits
        "no-host": ("http:///feed.xml", "bad-url", "invalid URL: no host name"),
        "ipv6": ("http://[::1/feed.xml", "bad-url", "invalid URL: Invalid IPv6 URL"),
        "cut": (server.truncated("/cut", WORLD[:300]), "protocol", "the server broke off the response: ..."),
        "not-http": (server.raw("/ssh", b"SSH-2.0-OpenSSH_9.2p1\r\n"), "protocol", "the server's answer is not valid HTTP: ..."),
        "decoding": (server.feed("/not-gzip", WORLD, headers={"Content-Encoding": "gzip"}), "decoding",
                     "the gzip body could not be decompressed (Error -3 while decompressing data: incorrect header check)"),
        "zstd": (server.feed("/zstd", WORLD, headers={"Content-Encoding": "zstd"}), "decoding",
                 "the server sent the body as zstd, which we did not ask for and cannot read"),
    }


def test_every_failure_has_its_kind_and_one_line(store, feed_server):
    table = kinds_table(feed_server)
    outcomes = fetch(store, {name: url for name, (url, _kind, _line) in table.items()} | {"Good": feed_server.feed("/w", WORLD)},
                     timeout=1.0, max_feed_bytes=256 * 1024)
    assert outcomes.pop("Good").status is Status.UPDATED
    for name, (_url, kind, line) in table.items():
        outcome = outcomes[name]
        assert (outcome.status, outcome.error_kind) == (Status.FAILED, kind), (name, outcome.error)
        if line.endswith("..."):
            assert outcome.error.startswith(line[:-3]), (name, outcome.error)
        else:
            assert outcome.error == line, name
        assert "\n" not in outcome.error


def test_the_kinds_are_every_kind_the_client_knows_but_tls_and_proxy(feed_server):
    """TLS: test_fetch.py's untrusted certificate; proxy: test_proxy.py."""
    table = kinds_table(feed_server)
    assert {kind for _url, kind, _line in table.values()} == {kind.value for kind in FailureKind} - {"tls", "proxy"}


def test_a_redirect_to_an_unparseable_location(feed_server):
    url = feed_server.respond("/bad", Response(302, b"", {"Location": "http://127.0.0.1:abc/x"}))
    error = failure(url)
    assert error.kind is FailureKind.REDIRECTS
    assert str(error).startswith("refused a redirect: Invalid URL in location header")


def test_a_failure_survives_pickle():
    import pickle

    error = FetchError(FailureKind.HTTP, "HTTP 503 Service Unavailable", 503, 1.5, "http://x/")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.kind, str(copy), copy.status, copy.retry_after, copy.final_url) == (
        FailureKind.HTTP, "HTTP 503 Service Unavailable", 503, 1.5, "http://x/")


# -- cookies ------------------------------------------------------------------------------------------------------


def test_a_cookie_is_never_sent_back(store, feed_server):
    """Set on a feed, on a redirect, on an error: no later request to that host carries it."""
    cookie = {"Set-Cookie": "session=abc123; Path=/"}
    feed_server.respond("/moved", Response(302, b"", {"Location": feed_server.url("/b.rss"), "Set-Cookie": "hop=1; Path=/"}))
    urls = {
        "A": feed_server.feed("/a.rss", WORLD, headers=cookie),
        "B": feed_server.url("/moved"),
        "C": feed_server.feed("/c.rss", WORLD, headers={"Set-Cookie": "c=1; Domain=127.0.0.1; Path=/"}),
    }
    feed_server.feed("/b.rss", WORLD, headers=cookie)
    for _ in range(2):
        assert {o.status for o in fetch(store, urls).values()} <= {Status.UPDATED, Status.NOT_MODIFIED}

    async def same_client() -> None:  # one client, many requests: the jar would fill here if there were one
        async with HttpClient() as client:
            for path in ("/a.rss", "/moved", "/c.rss", "/a.rss"):
                await client.get(feed_server.url(path))

    asyncio.run(same_client())
    assert len(feed_server.requests) >= 10
    assert all("cookie" not in request.headers for request in feed_server.requests)


# -- POST ---------------------------------------------------------------------------------------------------------


def test_post_json_and_form(feed_server):
    url = feed_server.feed("/api", b'{"status": 0}', content_type="application/json")

    async def run():
        async with HttpClient() as client:
            one = await client.post(url, json={"op": "getHeadlines", "feed_id": -4})
            two = await client.post(url, form={"api_key": "0123", "items": ""})
            return one, two

    one, two = asyncio.run(run())
    assert one.body == two.body == b'{"status": 0}' and one.status == 200
    first, second = feed_server.requests_for("/api")
    assert (first.method, first.headers["content-type"], first.body) == ("POST", "application/json", b'{"op": "getHeadlines", "feed_id": -4}')
    assert first.headers["accept"] == "application/json"
    assert (second.headers["content-type"], second.body) == ("application/x-www-form-urlencoded", b"api_key=0123&items=")


def test_post_errors_and_redirects_are_those_of_get(feed_server):
    async def post(path: str) -> bytes:
        async with HttpClient(max_bytes=1024 * 1024) as client:
            return (await client.post(feed_server.url(path), json={})).body

    feed_server.error("/api-down", 503, retry_after="60")
    with pytest.raises(FetchError) as caught:
        asyncio.run(post("/api-down"))
    assert caught.value.kind is FailureKind.HTTP and caught.value.retry_after is not None
    feed_server.bomb("/api-bomb", 64 * 1024 * 1024, "br")
    with pytest.raises(FetchError) as caught:
        asyncio.run(post("/api-bomb"))
    assert caught.value.kind is FailureKind.TOO_LARGE
    feed_server.redirect("/api-moved", "/api", status=308)
    feed_server.feed("/api", b"{}", content_type="application/json")
    assert asyncio.run(post("/api-moved")) == b"{}"
    assert [r.method for r in feed_server.requests_for("/api")] == ["POST"]  # 308 keeps the method and the body


# -- limits ---------------------------------------------------------------------------------------------------


def test_the_total_timeout_covers_every_redirect_and_the_body(feed_server):
    feed_server.feed("/slow", WORLD, delay=0.6)
    for hop in range(3):
        feed_server.respond(f"/hop{hop}", Response(302, b"", {"Location": feed_server.url(f"/hop{hop + 1}" if hop < 2 else "/slow")},
                                                   delay=0.6))
    error = failure(feed_server.url("/hop0"), timeout=1.5)
    assert (error.kind, str(error)) == (FailureKind.TIMEOUT, "timed out after 1.5 s")


def test_the_read_timeout_is_its_own(feed_server):
    error = failure(feed_server.feed("/slow", WORLD, delay=3), timeout=10, read_timeout=0.3)
    assert (error.kind, str(error)) == (FailureKind.TIMEOUT, "timed out waiting for the server")


def test_ten_redirects_are_followed_and_an_eleventh_is_not(feed_server):
    feed_server.feed("/end", WORLD)
    for hop in range(11):
        feed_server.redirect(f"/r{hop}", f"/r{hop + 1}" if hop < 10 else "/end", status=301)

    async def get(path: str):
        async with HttpClient() as client:
            return await client.get(feed_server.url(path))

    result = asyncio.run(get("/r1"))  # ten hops
    assert (result.body, result.permanent_url) == (WORLD, feed_server.url("/end"))
    error = failure(feed_server.url("/r0"))  # eleven
    assert (error.kind, str(error)) == (FailureKind.REDIRECTS, "too many redirects (more than 10)")


def test_a_redirect_body_is_never_decoded(feed_server):
    """A redirect carrying a brotli bomb: its body is not read past a little, and never inflated."""
    bomb = (Path(__file__).parent / "feeds" / "bomb-1gib.br").read_bytes()
    feed_server.respond("/moved", Response(301, bomb, {"Location": feed_server.url("/world.rss"), "Content-Encoding": "br"}))
    feed_server.feed("/world.rss", WORLD)

    async def get():
        async with HttpClient(max_bytes=1024 * 1024) as client:
            return await client.get(feed_server.url("/moved"))

    assert asyncio.run(get()).body == WORLD
