"""Fetching through real proxies on loopback: Debian's tinyproxy (HTTP, and HTTPS through CONNECT) and microsocks
(SOCKS5). Each test starts its own proxy on a free port with a config file it writes, and reads the proxy's
log to prove what went through it. Without the binaries these tests skip, saying which package to install.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.model import FeedOutcome, Status
from newsreader.net.client import HttpClient
from newsreader.net.errors import FailureKind, FetchError
from newsreader.refresh import refresh_feeds_sync
from newsreader.store import Store

from feedserver import FeedServer, self_signed_certificate, unused_url, write_feeds_toml

WORLD = (Path(__file__).parent / "feeds" / "world.rss").read_bytes()
WORLD_STORIES = 4
PROXY_VARIABLES = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]

needs_tinyproxy = pytest.mark.skipif(shutil.which("tinyproxy") is None,
                                     reason="needs Debian's tinyproxy: apt-get install -y tinyproxy")
needs_microsocks = pytest.mark.skipif(shutil.which("microsocks") is None,
                                      reason="needs Debian's microsocks (a SOCKS5 server): apt-get install -y microsocks")


@pytest.fixture(autouse=True)
def no_proxy_from_the_outside(monkeypatch):
    """Only what a test sets: a developer's own HTTPS_PROXY must not steer these requests."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited at start ({process.returncode}): {process.stderr.read() if process.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{name} did not listen on 127.0.0.1:{port}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Proxy:
    url: str  #: http://127.0.0.1:port (or socks5://...)
    port: int
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def requests(self) -> list[str]:
        """What the proxy was asked, one line a request: "GET http://host:port/path HTTP/1.1" for plain HTTP,
        "CONNECT host:port HTTP/1.1" for a tunnel (tinyproxy); "connected to host:port" (microsocks)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        lines = []
        for line in text.splitlines():
            if "]: Request (file descriptor" in line:
                lines.append(line.split("): ", 1)[1])
            elif ": connected to " in line:
                lines.append(line.split(": ", 1)[1])
        return lines


@pytest.fixture
def start_tinyproxy(tmp_path) -> Iterator[Callable[..., Proxy]]:
    """Start a tinyproxy on a free loopback port; extra config lines (e.g. "ConnectPort 443") as arguments."""
    processes: list[subprocess.Popen] = []

    def start(*config: str) -> Proxy:
        port = free_port()
        log = tmp_path / f"tinyproxy-{port}.log"
        conf = tmp_path / f"tinyproxy-{port}.conf"
        conf.write_text("\n".join([
            f"Port {port}", "Listen 127.0.0.1", "Allow 127.0.0.1", "Timeout 30", "MaxClients 64",
            f'LogFile "{log}"', "LogLevel Connect", *config,
        ]) + "\n")
        process = subprocess.Popen(["tinyproxy", "-d", "-c", str(conf)], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        processes.append(process)
        wait_for_port(port, process, "tinyproxy")
        return Proxy(f"http://127.0.0.1:{port}", port, log)

    yield start
    for process in processes:
        stop(process)


@pytest.fixture
def tinyproxy(start_tinyproxy) -> Proxy:
    return start_tinyproxy()


@pytest.fixture
def microsocks(tmp_path) -> Iterator[Proxy]:
    port = free_port()
    log = tmp_path / "microsocks.log"
    with log.open("w") as out:
        process = subprocess.Popen(["microsocks", "-i", "127.0.0.1", "-p", str(port)], stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT)
    wait_for_port(port, process, "microsocks")
    yield Proxy(f"socks5://127.0.0.1:{port}", port, log)
    stop(process)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_feed_server(certificate, monkeypatch) -> Iterator[FeedServer]:
    """The loopback feed server over HTTPS, its certificate trusted as a user's CA bundle would be."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with FeedServer(certificate=certificate) as server:
        yield server


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "cache.sqlite") as store:
        yield store


def fetch_one(store: Store, url: str, **settings: object) -> FeedOutcome:
    settings.setdefault("timeout", 10.0)
    config = Config(settings=Settings(**settings), feeds=(FeedConfig(name="Feed", url=url),))
    (outcome,) = refresh_feeds_sync(store, config).outcomes
    return outcome


def get(url: str, **options: object) -> bytes:
    async def run() -> bytes:
        async with HttpClient(**options) as client:
            return (await client.get(url)).body

    return asyncio.run(run())


def failure(url: str, **options: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        get(url, **options)
    assert "\n" not in str(caught.value)
    return caught.value


# -- tinyproxy: the environment ------------------------------------------------------------------------------


@needs_tinyproxy
def test_http_proxy_carries_a_plain_http_fetch(store, feed_server, tinyproxy, monkeypatch):
    url = feed_server.feed("/world.rss", WORLD)
    monkeypatch.setenv("HTTP_PROXY", tinyproxy.url)
    outcome = fetch_one(store, url)
    assert (outcome.status, outcome.new) == (Status.UPDATED, WORLD_STORIES)
    assert tinyproxy.requests() == [f"GET {url} HTTP/1.1"]
    assert "tinyproxy" in feed_server.requests_for("/world.rss")[0].headers["via"]


@needs_tinyproxy
@pytest.mark.parametrize("variable", ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
def test_https_goes_through_a_connect_tunnel(store, tls_feed_server, tinyproxy, monkeypatch, variable):
    url = tls_feed_server.feed("/world.rss", WORLD)
    monkeypatch.setenv(variable, tinyproxy.url)
    outcome = fetch_one(store, url)
    assert (outcome.status, outcome.new) == (Status.UPDATED, WORLD_STORIES), outcome.error
    assert tinyproxy.requests() == [f"CONNECT 127.0.0.1:{tls_feed_server.port} HTTP/1.1"]
    assert "via" not in tls_feed_server.requests_for("/world.rss")[0].headers  # a tunnel: the proxy saw no request


@needs_tinyproxy
def test_the_proxy_for_the_other_scheme_is_not_used(store, feed_server, tinyproxy, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", tinyproxy.url)
    assert fetch_one(store, feed_server.feed("/world.rss", WORLD)).status is Status.UPDATED
    assert tinyproxy.requests() == []


@needs_tinyproxy
@pytest.mark.parametrize(("no_proxy", "direct"), [
    ("127.0.0.1", True),
    ("localhost, 127.0.0.1", True),
    ("*", True),
    ("127.0.0.0/8", True),
    ("{port}", None),  # filled in below: 127.0.0.1 on the feed server's port
    ("127.0.0.1:1", False),  # another port
    ("127.0.0.2", False),
    ("example.com", False),
])
def test_no_proxy_sends_a_host_direct(store, feed_server, tinyproxy, monkeypatch, no_proxy, direct):
    if no_proxy == "{port}":
        no_proxy, direct = f"127.0.0.1:{feed_server.port}", True
    url = feed_server.feed("/world.rss", WORLD)
    monkeypatch.setenv("HTTP_PROXY", tinyproxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    assert fetch_one(store, url).status is Status.UPDATED
    assert tinyproxy.requests() == ([] if direct else [f"GET {url} HTTP/1.1"])


@needs_tinyproxy
def test_each_redirect_hop_chooses_its_proxy_again(feed_server, tinyproxy, monkeypatch):
    """127.0.0.1 is in NO_PROXY, localhost is not: the hop to localhost goes through the proxy, and back."""
    monkeypatch.setenv("HTTP_PROXY", tinyproxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    feed_server.feed("/world.rss", WORLD)
    via_localhost = feed_server.url("/world.rss").replace("127.0.0.1", "localhost")
    assert get(feed_server.redirect("/out", via_localhost, status=302)) == WORLD
    assert tinyproxy.requests() == [f"GET {via_localhost} HTTP/1.1"]

    back = feed_server.redirect("/back", feed_server.url("/world.rss"), status=301)
    assert get(back.replace("127.0.0.1", "localhost")) == WORLD
    assert tinyproxy.requests()[1:] == [f"GET {back.replace('127.0.0.1', 'localhost')} HTTP/1.1"]


@pytest.fixture
def tls_front(certificate) -> Iterator[Callable[[Proxy], str]]:
    """Put TLS in front of a proxy (tinyproxy speaks plain HTTP): returns an https:// proxy URL whose every
    connection is decrypted with the test certificate and piped to the proxy."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    listeners: list[socket.socket] = []

    def pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def front(proxy: Proxy) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def serve() -> None:
            while True:
                try:
                    client, _ = listener.accept()
                    secure = context.wrap_socket(client, server_side=True)
                except OSError:  # the listener closed at the end of the test, or a handshake failed
                    if listener.fileno() == -1:
                        return
                    continue
                upstream = socket.create_connection(("127.0.0.1", proxy.port))
                threading.Thread(target=pipe, args=(secure, upstream), daemon=True).start()
                threading.Thread(target=pipe, args=(upstream, secure), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return f"https://127.0.0.1:{listener.getsockname()[1]}"

    yield front
    for listener in listeners:
        listener.close()


@needs_tinyproxy
def test_an_https_proxy_is_reached_over_tls(feed_server, tls_feed_server, tinyproxy, tls_front):
    """https:// in a proxy URL: TLS to the proxy itself, and inside it the request or the CONNECT tunnel."""
    proxy = tls_front(tinyproxy)
    plain, secure = feed_server.feed("/world.rss", WORLD), tls_feed_server.feed("/world.rss", WORLD)
    assert get(plain, proxy=proxy) == WORLD
    assert get(secure, proxy=proxy) == WORLD
    assert tinyproxy.requests() == [f"GET {plain} HTTP/1.1", f"CONNECT 127.0.0.1:{tls_feed_server.port} HTTP/1.1"]


# -- the setting -------------------------------------------------------------------------------------------------


@needs_tinyproxy
def test_the_proxy_setting_wins_over_the_environment(store, feed_server, tls_feed_server, start_tinyproxy, monkeypatch):
    from_environment, from_setting = start_tinyproxy(), start_tinyproxy()
    monkeypatch.setenv("HTTP_PROXY", from_environment.url)
    monkeypatch.setenv("HTTPS_PROXY", unused_url("").rstrip("/"))  # a dead one: never used either
    monkeypatch.setenv("NO_PROXY", "*")  # nor this: the setting carries every request
    plain = feed_server.feed("/world.rss", WORLD)
    secure = tls_feed_server.feed("/world.rss", WORLD)
    assert fetch_one(store, plain, proxy=from_setting.url).status is Status.UPDATED
    assert fetch_one(store, secure, proxy=from_setting.url).status is Status.UPDATED
    assert from_setting.requests() == [f"GET {plain} HTTP/1.1", f"CONNECT 127.0.0.1:{tls_feed_server.port} HTTP/1.1"]
    assert from_environment.requests() == []


@needs_tinyproxy
def test_the_proxy_setting_from_feeds_toml_reaches_every_client(tmp_path, feed_server, tinyproxy, capsys):
    """feeds.toml's [settings] proxy, through the CLI: the fetch and the discovery of `add`."""
    from newsreader.cli import main

    page = feed_server.page("/site", '<html><head><link rel="alternate" type="application/rss+xml" href="/other.rss">'
                                     "</head><body>hi</body></html>")
    feed_server.feed("/world.rss", WORLD)
    feed_server.feed("/other.rss", WORLD)
    config = write_feeds_toml(tmp_path / "feeds.toml", [("World", feed_server.url("/world.rss"))],
                              settings={"proxy": tinyproxy.url, "timeout": 10})
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*args, "fetch"]) == 0, capsys.readouterr()
    assert main([*args, "add", page, "--name", "Site"]) == 0, capsys.readouterr()
    assert tinyproxy.requests() == [f"GET {feed_server.url(path)} HTTP/1.1" for path in ("/world.rss", "/site", "/other.rss")]


# -- failures ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_dead_proxy_is_one_line_of_kind_proxy(store, monkeypatch, scheme):
    dead = unused_url("").rstrip("/")
    monkeypatch.setenv(f"{scheme.upper()}_PROXY", dead)
    outcome = fetch_one(store, f"{scheme}://127.0.0.1:9/feed.xml")
    assert (outcome.status, outcome.error_kind) == (Status.FAILED, "proxy")
    assert outcome.error == f"cannot connect to the proxy {dead.split('//')[1]}: Connection refused"


def test_a_bad_proxy_variable_fails_the_feed_naming_the_variable(store, monkeypatch):
    monkeypatch.setenv("https_proxy", "socks7://127.0.0.1:1")
    outcome = fetch_one(store, "https://127.0.0.1:9/feed.xml")
    assert (outcome.status, outcome.error_kind) == (Status.FAILED, "proxy")
    assert outcome.error == ("cannot use the proxy: https_proxy: unsupported proxy scheme: socks7 "
                             "(use http, https, socks4, socks4a, socks5, socks5h)")


@needs_tinyproxy
def test_a_proxy_that_refuses_the_tunnel(tls_feed_server, start_tinyproxy):
    proxy = start_tinyproxy("ConnectPort 443")  # tunnels to port 443 only: not to the test server's port
    error = failure(tls_feed_server.feed("/world.rss", WORLD), proxy=proxy.url)
    assert error.kind is FailureKind.PROXY
    assert str(error).startswith(f"the proxy {proxy.address} refused the tunnel to 127.0.0.1:{tls_feed_server.port}: HTTP 403")


@needs_tinyproxy
def test_a_proxy_login_is_sent_and_a_missing_or_wrong_one_is_kind_proxy(feed_server, tls_feed_server, start_tinyproxy):
    proxy = start_tinyproxy("BasicAuth reader s3cret")
    login = proxy.url.replace("http://", "http://reader:s3cret@")
    plain, secure = feed_server.feed("/world.rss", WORLD), tls_feed_server.feed("/world.rss", WORLD)
    assert get(plain, proxy=login) == WORLD
    assert get(secure, proxy=login) == WORLD
    assert "proxy-authorization" not in feed_server.requests_for("/world.rss")[0].headers  # the proxy's, not the server's

    error = failure(plain, proxy=proxy.url)
    assert (error.kind, str(error)) == (FailureKind.PROXY, "the proxy asks for a login: HTTP 407 Proxy Authentication Required")
    error = failure(secure, proxy=proxy.url)
    assert (error.kind, str(error)) == (FailureKind.PROXY, f"the proxy {proxy.address} asks for a login to 127.0.0.1:"
                                                           f"{tls_feed_server.port}: HTTP 407 Proxy Authentication Required")
    error = failure(secure, proxy=proxy.url.replace("http://", "http://reader:wrong@"))
    assert error.kind is FailureKind.PROXY and "wrong" not in str(error)
    # A wrong login for a plain request: tinyproxy answers 401 (not 407) as if it were the server; the line says
    # it came through the proxy.
    error = failure(plain, proxy=proxy.url.replace("http://", "http://reader:wrong@"))
    assert str(error) == f"HTTP 401 Unauthorized (through the proxy {proxy.address})"


@needs_tinyproxy
def test_an_error_page_through_a_proxy_says_it_came_through_one(feed_server, tinyproxy):
    error = failure(unused_url("/feed.xml"), proxy=tinyproxy.url)  # tinyproxy cannot reach it: its own 500
    assert error.kind is FailureKind.HTTP and error.status == 500
    assert str(error) == f"HTTP 500 Unable to connect (through the proxy {tinyproxy.address})"


# -- limits hold through a proxy -------------------------------------------------------------------------------


@needs_tinyproxy
def test_timeouts_through_a_proxy(feed_server, tls_feed_server, tinyproxy):
    slow = feed_server.feed("/slow.rss", WORLD, delay=5)
    started = time.monotonic()
    error = failure(slow, proxy=tinyproxy.url, timeout=10, read_timeout=0.5)
    assert (error.kind, str(error)) == (FailureKind.TIMEOUT, f"timed out waiting for the server (through the proxy {tinyproxy.address})")
    error = failure(tls_feed_server.feed("/slow.rss", WORLD, delay=5), proxy=tinyproxy.url, timeout=1)
    assert (error.kind, str(error)) == (FailureKind.TIMEOUT, "timed out after 1 s")
    assert time.monotonic() - started < 5


def test_a_proxy_that_never_answers_is_a_connect_timeout():
    """A proxy that takes the connection and says nothing: the CONNECT never gets its answer."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        proxy = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        error = failure("https://127.0.0.1:9/feed.xml", proxy=proxy, timeout=10, connect_timeout=0.5)
    assert time.monotonic() - started < 4
    assert (error.kind, str(error)) == (FailureKind.TIMEOUT, f"timed out connecting to the server (through the proxy {proxy[7:]})")


@needs_tinyproxy
def test_the_size_cap_holds_through_a_proxy(feed_server, tls_feed_server, tinyproxy):
    error = failure(feed_server.oversized("/huge.rss", 64 * 1024 * 1024), proxy=tinyproxy.url, max_bytes=256 * 1024)
    assert (error.kind, str(error)) == (FailureKind.TOO_LARGE, "response too large (over 256 KiB); cut off")
    error = failure(tls_feed_server.bomb("/bomb.rss", 1 << 30, "br"), proxy=tinyproxy.url, max_bytes=1024 * 1024)
    assert (error.kind, str(error)) == (FailureKind.TOO_LARGE, "response too large (over 1024 KiB); cut off")


@needs_tinyproxy
def test_a_post_goes_through_the_proxy_too(feed_server, tinyproxy):
    url = feed_server.feed("/api", b'{"status": 0}', content_type="application/json")

    async def post() -> bytes:
        async with HttpClient(proxy=tinyproxy.url) as client:
            return (await client.post(url, json={"op": "login", "user": "me"})).body

    assert asyncio.run(post()) == b'{"status": 0}'
    assert tinyproxy.requests() == [f"POST {url} HTTP/1.1"]
    assert feed_server.requests_for("/api")[0].body == b'{"op": "login", "user": "me"}'


# -- SOCKS -------------------------------------------------------------------------------------------------------


@needs_microsocks
def test_socks5_proxies_from_all_proxy(store, feed_server, tls_feed_server, microsocks, monkeypatch):
    plain = feed_server.feed("/world.rss", WORLD).replace("127.0.0.1", "localhost")
    secure = tls_feed_server.feed("/world.rss", WORLD)
    monkeypatch.setenv("ALL_PROXY", microsocks.url.replace("socks5:", "socks5h:"))  # the proxy resolves names
    assert fetch_one(store, plain).status is Status.UPDATED
    assert fetch_one(store, secure).status is Status.UPDATED
    assert microsocks.requests() == [f"connected to localhost:{feed_server.port}", f"connected to 127.0.0.1:{tls_feed_server.port}"]

    monkeypatch.setenv("ALL_PROXY", microsocks.url)  # socks5://: names resolved here, the proxy gets an address
    assert get(plain) == WORLD
    assert microsocks.requests()[-1] == f"connected to 127.0.0.1:{feed_server.port}"


@needs_microsocks
def test_socks_failures_have_kind_proxy(feed_server, microsocks):
    error = failure(unused_url(), proxy=microsocks.url)
    assert error.kind is FailureKind.PROXY and str(error).startswith(f"the proxy {microsocks.address} could not connect to 127.0.0.1:")
    error = failure(feed_server.feed("/world.rss", WORLD), proxy=microsocks.url.replace("socks5:", "socks4:"))  # microsocks has no SOCKS4
    assert (error.kind, str(error)) == (FailureKind.PROXY, f"the proxy {microsocks.address} broke off the socks4 handshake")


def test_a_dead_socks_proxy():
    dead = unused_url("").rstrip("/").replace("http:", "socks5:")
    error = failure("http://127.0.0.1:9/feed.xml", proxy=dead)
    assert (error.kind, str(error)) == (FailureKind.PROXY, f"cannot connect to the proxy {dead[9:]}: Connection refused")


# -- a real `newsreader fetch` ---------------------------------------------------------------------------------


@needs_tinyproxy
def test_newsreader_fetch_with_https_proxy_set(tmp_path, tls_feed_server, certificate, tinyproxy):
    url = tls_feed_server.feed("/world.rss", WORLD)
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Secure", url)], settings={"timeout": 20})
    env = {name: value for name, value in os.environ.items() if name.lower() not in PROXY_VARIABLES}
    env.update(HTTPS_PROXY=tinyproxy.url, SSL_CERT_FILE=str(certificate[0]), COLUMNS="200")
    done = subprocess.run([sys.executable, "-m", "newsreader", "--config", str(config), "--data-dir", str(tmp_path / "data"),
                           "fetch"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("1 feed: 1 updated, 0 not modified, 0 failed; 4 new stories"), done.stdout
    assert done.stderr == ""
    assert tinyproxy.requests() == [f"CONNECT 127.0.0.1:{tls_feed_server.port} HTTP/1.1"]
