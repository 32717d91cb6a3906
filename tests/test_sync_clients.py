"""The sync clients without sync servers: protocol handling over httpx.MockTransport, failures over real
loopback sockets (a dead port, a TLS server nobody trusts), and the password kept out of every message,
repr, log line and traceback. The real servers' tests are test_sync_ttrss.py and test_sync_fever.py."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import logging
import pickle
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import traceback
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from rich.console import Console
from rich.traceback import Traceback

from newsreader.sync import FeverClient, Secret, SyncError, SyncErrorKind, TtRssClient
from newsreader.sync.ttrss import guid_hash, guid_hash_of

PASSWORD = "hunter2-Sécret-\"quoted\"-&-9f3a"
FEVER_KEY = hashlib.md5(f"ann:{PASSWORD}".encode()).hexdigest()


def ok(content) -> httpx.Response:
    return httpx.Response(200, json={"seq": 0, "status": 0, "content": content})


def err(error: str) -> httpx.Response:
    return httpx.Response(200, json={"seq": 0, "status": 1, "content": {"error": error}})


class FakeTtRss:
    """A tt-rss API in a function: records each request's op and answers from `answers` (op -> response
    or list of responses, taken in turn)."""

    def __init__(self, **answers) -> None:
        self.answers = {"login": ok({"session_id": "sid-1", "api_level": 15}), **answers}
        self.requests: list[dict] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        answer = self.answers[body["op"]]
        if isinstance(answer, list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    @property
    def ops(self) -> list[str]:
        return [r["op"] for r in self.requests]


def ttrss_over(handler, password: str = PASSWORD) -> tuple[TtRssClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return TtRssClient(http, "https://rss.example.org/tt-rss", "ann", password), http


def headline(id: int, **fields) -> dict:
    row = {"id": id, "guid": json.dumps({"ver": 2, "uid": 1, "hash": guid_hash(f"g{id}")}), "unread": True,
           "marked": False, "updated": 1_700_000_000, "title": f"T{id}", "link": f"http://example.org/{id}",
           "feed_id": 7, "author": "", "content": "<p>x</p>"}
    row.update(fields)
    return row


# ----------------------------------------------------------------------------------------------- tt-rss


async def test_ttrss_logs_in_first_and_sends_json_with_the_session():
    fake = FakeTtRss(getFeeds=ok([{"id": 3, "title": "W", "feed_url": "http://w/", "cat_id": 2},
                                  {"id": 4, "title": "U", "feed_url": "http://u/", "cat_id": 0}]))
    ttrss, http = ttrss_over(fake)
    async with http:
        feeds = await ttrss.feeds()
    assert fake.ops == ["login", "getFeeds"]
    assert fake.requests[0] == {"op": "login", "user": "ann", "password": PASSWORD}
    assert fake.requests[1] == {"op": "getFeeds", "sid": "sid-1", "cat_id": -3}
    assert [(f.id, f.category_ids) for f in feeds] == [(3, (2,)), (4, ())]
    assert ttrss.api_url == "https://rss.example.org/tt-rss/api/"


async def test_ttrss_logs_in_again_once_when_the_session_ended():
    fake = FakeTtRss(getCounters=[err("NOT_LOGGED_IN"), ok([{"id": "global-unread", "counter": 5}])],
                     login=[ok({"session_id": "sid-1"}), ok({"session_id": "sid-2"})])
    ttrss, http = ttrss_over(fake)
    async with http:
        counters = await ttrss.counters()
    assert counters.unread == 5
    assert fake.ops == ["login", "getCounters", "login", "getCounters"]
    assert fake.requests[-1]["sid"] == "sid-2"


async def test_ttrss_a_server_that_forgets_every_session_is_one_error_not_a_loop():
    fake = FakeTtRss(getFeeds=err("NOT_LOGGED_IN"))
    ttrss, http = ttrss_over(fake)
    async with http:
        with pytest.raises(SyncError) as raised:
            await ttrss.feeds()
    assert raised.value.kind is SyncErrorKind.LOGIN_REFUSED
    assert fake.ops == ["login", "getFeeds", "login", "getFeeds"]


@pytest.mark.parametrize(("error", "kind"), [
    ("LOGIN_ERROR", SyncErrorKind.LOGIN_REFUSED),
    ("API_DISABLED", SyncErrorKind.API_DISABLED),
])
async def test_ttrss_login_errors_have_their_kind(error, kind):
    ttrss, http = ttrss_over(FakeTtRss(login=err(error)))
    async with http:
        with pytest.raises(SyncError) as raised:
            await ttrss.login()
    assert raised.value.kind is kind
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(("response", "kind", "words"), [
    (httpx.Response(200, text="<html>It works!</html>"), SyncErrorKind.BAD_RESPONSE, "not JSON"),
    (httpx.Response(200, json={"hello": "world"}), SyncErrorKind.BAD_RESPONSE, "not tt-rss's"),
    (httpx.Response(200, json={"status": 0, "content": "not a list"}), SyncErrorKind.BAD_RESPONSE, "list"),
    (httpx.Response(502, text="<h1>Bad Gateway</h1>"), SyncErrorKind.HTTP_STATUS, "HTTP 502"),
    (httpx.Response(404, json={"detail": "nope"}), SyncErrorKind.HTTP_STATUS, "HTTP 404"),
    (err("INCORRECT_USAGE"), SyncErrorKind.REJECTED, "INCORRECT_USAGE"),
])
async def test_ttrss_answers_that_are_not_the_api_are_one_line_errors(response, kind, words):
    ttrss, http = ttrss_over(FakeTtRss(getFeeds=response))
    async with http:
        with pytest.raises(SyncError) as raised:
            await ttrss.feeds()
    assert raised.value.kind is kind
    assert words in str(raised.value) and "\n" not in str(raised.value)
    if kind is SyncErrorKind.HTTP_STATUS:
        assert raised.value.status == response.status_code


async def test_ttrss_an_answer_over_the_cap_is_refused_while_it_arrives():
    big = httpx.Response(200, content=b"[" + b" " * 5000 + b"]")
    ttrss = TtRssClient(httpx.AsyncClient(transport=httpx.MockTransport(FakeTtRss(getFeeds=big))),
                        "https://rss.example.org/tt-rss/", "ann", PASSWORD, max_response_bytes=1000)
    with pytest.raises(SyncError) as raised:
        await ttrss.feeds()
    assert raised.value.kind is SyncErrorKind.BAD_RESPONSE and "larger than" in str(raised.value)


async def test_ttrss_headlines_page_until_a_short_page_and_give_each_story_once():
    pages = [ok([headline(i) for i in range(1, 201)]),
             ok([headline(i) for i in range(200, 260)])]  # 200 again: a tie that moved between pages
    fake = FakeTtRss(getHeadlines=pages)
    ttrss, http = ttrss_over(fake)
    async with http:
        got = [page async for page in ttrss.headlines(since_id=42)]
    assert [len(p) for p in got] == [200, 59]
    assert len({s.id for p in got for s in p}) == 259
    calls = [r for r in fake.requests if r["op"] == "getHeadlines"]
    assert [(c["skip"], c["limit"], c["since_id"], c.get("order_by")) for c in calls] == [
        (0, 200, 42, None), (200, 200, 42, None)]


async def test_ttrss_headline_fields_from_a_sloppy_or_hostile_server():
    rows = [headline(1, feed_id="7", title=None, author=None, content="<script>alert(1)</script>",
                     unread=False, marked=True, updated=0),
            headline(2, title="\x1b[31mred\x1b[0m\u202e", updated=-5)]
    ttrss, http = ttrss_over(FakeTtRss(getHeadlines=ok(rows)))
    async with http:
        first, second = await ttrss.headlines_page(7)
    assert (first.feed_id, first.title, first.author, first.published) == (7, "", "", None)
    assert first.content == "<script>alert(1)</script>"  # passed through, never interpreted
    assert (first.read, first.starred) == (True, True)
    assert second.title == "\x1b[31mred\x1b[0m\u202e" and second.published is None
    assert guid_hash_of(second.guid) == guid_hash("g2")


async def test_ttrss_articles_by_id_in_batches_with_their_tags():
    rows = [headline(i, tags=["Armenia", "", 7]) for i in range(1, 4)]
    fake = FakeTtRss(getArticle=ok(rows))
    ttrss, http = ttrss_over(fake)
    async with http:
        stories = await ttrss.articles(range(1, 4))
        await ttrss.articles(range(450))
    assert [s.tags for s in stories] == [("Armenia",)] * 3
    calls = [r["article_id"].count(",") + 1 for r in fake.requests if r["op"] == "getArticle"]
    assert calls == [3, 200, 200, 50]


@pytest.mark.parametrize("answer", [12, "12"])
async def test_ttrss_the_unread_count_as_a_number_or_a_string(answer):
    ttrss, http = ttrss_over(FakeTtRss(getUnread=ok({"unread": answer})))
    async with http:
        assert await ttrss.unread_count() == 12


async def test_ttrss_a_headline_without_a_usable_id_is_a_bad_response():
    ttrss, http = ttrss_over(FakeTtRss(getHeadlines=ok([{**headline(1), "id": "one"}])))
    async with http:
        with pytest.raises(SyncError) as raised:
            await ttrss.headlines_page()
    assert raised.value.kind is SyncErrorKind.BAD_RESPONSE


async def test_ttrss_marks_go_as_update_article_in_batches():
    fake = FakeTtRss(updateArticle=ok({"status": "OK", "updated": 2}))
    ttrss, http = ttrss_over(fake)
    async with http:
        assert await ttrss.mark_read([1, 2]) == 2
        assert await ttrss.mark_starred([3], starred=False) == 2
        await ttrss.mark_read(range(2500), read=False)
    marks = [(r["article_ids"].count(",") + 1, r["field"], r["mode"])
             for r in fake.requests if r["op"] == "updateArticle"]
    assert marks == [(2, 2, 0), (1, 0, 0), (1000, 2, 1), (1000, 2, 1), (500, 2, 1)]


@pytest.mark.parametrize(("status", "already"), [({"code": 1, "feed_id": 9}, False), ({"code": 0, "feed_id": 9}, True)])
async def test_ttrss_subscribe(status, already):
    ttrss, http = ttrss_over(FakeTtRss(subscribeToFeed=ok({"status": status})))
    async with http:
        result = await ttrss.subscribe("http://example.org/feed")
    assert (result.feed_id, result.already_subscribed) == (9, already)


async def test_ttrss_a_failed_subscription_says_why_in_our_words_and_keeps_the_servers():
    answer = ok({"status": {"code": 5, "message": "HTTP Code: 404 <b>hostile</b>"}})
    ttrss, http = ttrss_over(FakeTtRss(subscribeToFeed=answer))
    async with http:
        with pytest.raises(SyncError) as raised:
            await ttrss.subscribe("http://example.org/feed")
    assert raised.value.kind is SyncErrorKind.REJECTED
    assert str(raised.value).endswith(
        "could not subscribe to http://example.org/feed: the server could not download the address")
    assert raised.value.detail == "HTTP Code: 404 <b>hostile</b>"


# ------------------------------------------------------------------------------------------------ Fever


class FakeFever:
    def __init__(self, answer=None, status: int = 200) -> None:
        self.answer = answer
        self.status = status
        self.requests: list[tuple[dict, dict]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = parse_qs(urlsplit(str(request.url)).query, keep_blank_values=True)
        form = parse_qs(request.content.decode())
        self.requests.append((query, form))
        answer = self.answer(query, form) if callable(self.answer) else self.answer
        return httpx.Response(self.status, json={"api_version": 3, "auth": 1, **(answer or {})})


def fever_over(handler, url: str = "https://rss.example.org/api/fever.php") -> tuple[FeverClient, httpx.AsyncClient]:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return FeverClient(http, url, "ann", PASSWORD), http


async def test_fever_commands_in_the_query_and_the_key_in_the_body():
    fake = FakeFever({"items": []})
    fever, http = fever_over(fake)
    async with http:
        await fever.items_page(since_id=10)
        await fever.items_page(with_ids=[1, 2, 3])
        await fever.mark_read(5)
    (q1, f1), (q2, _), (q3, f3) = fake.requests
    assert set(q1) == {"api", "items", "since_id"} and q1["since_id"] == ["10"]
    assert q2["with_ids"] == ["1,2,3"]
    assert f1 == {"api_key": [FEVER_KEY]}
    assert f3 == {"api_key": [FEVER_KEY], "mark": ["item"], "as": ["read"], "id": ["5"]}
    assert set(q3) == {"api"}


async def test_fever_feeds_with_their_groups_and_string_ids():
    fake = FakeFever({"feeds": [{"id": "3", "title": "W", "url": "http://w/", "site_url": "http://w.org/"},
                                {"id": 4, "title": None, "url": "http://u/", "site_url": ""}],
                      "feeds_groups": [{"group_id": 1, "feed_ids": "3,4"}, {"group_id": "2", "feed_ids": "3"}]})
    fever, http = fever_over(fake)
    async with http:
        feeds = await fever.feeds()
    assert [(f.id, f.title, f.site_url, f.category_ids) for f in feeds] == [
        (3, "W", "http://w.org/", (1, 2)), (4, "", None, (1,))]


async def test_fever_items_page_by_since_id_until_an_empty_page():
    def answer(query, form):
        since = int(query["since_id"][0])
        return {"items": [{"id": i, "feed_id": 1, "title": f"T{i}", "html": "", "url": "", "is_read": 0,
                           "is_saved": "1", "created_on_time": 1_700_000_000}
                          for i in range(since + 1, min(since + 51, 121))]}
    fake = FakeFever(answer)
    fever, http = fever_over(fake)
    async with http:
        pages = [page async for page in fever.items()]
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [q["since_id"] for q, _ in fake.requests] == [["0"], ["50"], ["100"], ["120"]]
    assert pages[0][0].starred and not pages[0][0].read


async def test_fever_id_lists():
    fever, http = fever_over(FakeFever({"unread_item_ids": "1,2,10", "saved_item_ids": ""}))
    async with http:
        assert await fever.unread_item_ids() == {1, 2, 10}
        assert await fever.saved_item_ids() == set()


@pytest.mark.parametrize("status", [200, 401])
async def test_fever_auth_0_is_login_refused(status):
    def handler(request):
        return httpx.Response(status, json={"api_version": 3, "auth": 0})
    fever, http = fever_over(handler)
    async with http:
        with pytest.raises(SyncError) as raised:
            await fever.groups()
    assert raised.value.kind is SyncErrorKind.LOGIN_REFUSED


@pytest.mark.parametrize(("response", "kind"), [
    (httpx.Response(200, json={"status": "ok"}), SyncErrorKind.BAD_RESPONSE),
    (httpx.Response(200, text="<html>login</html>"), SyncErrorKind.BAD_RESPONSE),
    (httpx.Response(404, text="not found"), SyncErrorKind.HTTP_STATUS),
    (httpx.Response(200, json={"api_version": 3, "auth": 1, "items": "nope"}), SyncErrorKind.BAD_RESPONSE),
])
async def test_fever_answers_that_are_not_the_api(response, kind):
    fever, http = fever_over(lambda request: response)
    async with http:
        with pytest.raises(SyncError) as raised:
            await fever.items_page()
    assert raised.value.kind is kind


async def test_fever_url_with_a_query_already():
    fake = FakeFever({})
    fever, http = fever_over(fake, url="https://rss.example.org/index.php?p=fever")
    async with http:
        await fever.login()
    assert set(fake.requests[0][0]) == {"p", "api"}


# ------------------------------------------------------------------------------------- real sockets


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def aiohttp_client() -> httpx.AsyncClient:
    """An httpx client over the reader's own aiohttp transport, as the fetcher builds it."""
    from newsreader.net.transport import AiohttpTransport

    return httpx.AsyncClient(transport=AiohttpTransport(connections=4, per_host=2, tls=httpx.create_ssl_context()))


def plain_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=5)


@pytest.mark.parametrize("make_http", [plain_client, aiohttp_client], ids=["httpx", "aiohttp"])
@pytest.mark.parametrize("make_client", [TtRssClient, FeverClient], ids=["ttrss", "fever"])
async def test_a_dead_server_is_unreachable(make_http, make_client):
    async with make_http() as http:
        client = make_client(http, f"http://127.0.0.1:{dead_port()}/", "ann", PASSWORD)
        with pytest.raises(SyncError) as raised:
            await client.login()
    assert raised.value.kind is SyncErrorKind.UNREACHABLE
    assert "Connection refused" in str(raised.value)
    assert raised.value.__suppress_context__ and raised.value.__cause__ is None


@pytest.fixture(scope="module")
def tls_url(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate nobody trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("make_http", [plain_client, aiohttp_client], ids=["httpx", "aiohttp"])
@pytest.mark.parametrize("make_client", [TtRssClient, FeverClient], ids=["ttrss", "fever"])
async def test_an_untrusted_certificate_is_a_tls_error(tls_url, make_http, make_client):
    async with make_http() as http:
        with pytest.raises(SyncError) as raised:
            await make_client(http, tls_url, "ann", PASSWORD).login()
    assert raised.value.kind is SyncErrorKind.TLS
    assert "certificate is not trusted" in str(raised.value)


async def test_a_server_too_slow_is_a_timeout():
    with socket.socket() as listener:  # accepts, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        async with httpx.AsyncClient(timeout=0.3) as http:
            client = TtRssClient(http, f"http://127.0.0.1:{listener.getsockname()[1]}/", "ann", PASSWORD)
            with pytest.raises(SyncError) as raised:
                await client.login()
    assert raised.value.kind is SyncErrorKind.TIMEOUT


# ---------------------------------------------------------------------------------- the password


def rendered_traceback(error: BaseException) -> str:
    """Python's own traceback, and rich's with every frame's locals (as Textual shows a crash)."""
    plain = "".join(traceback.format_exception(error))
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(Traceback.from_exception(
        type(error), error, error.__traceback__, show_locals=True, max_frames=0))
    return plain + out.getvalue()


def failures(tls_url: str):
    """(client, coroutine factory) pairs that each fail in their own way."""
    def ttrss_login_refused(request):
        return err("LOGIN_ERROR")

    def fever_refused(request):
        return httpx.Response(401, json={"auth": 0})

    def not_json(request):
        return httpx.Response(200, text=f"echo: {request.content.decode()}")

    mock = lambda handler: httpx.AsyncClient(transport=httpx.MockTransport(handler))  # noqa: E731
    dead = f"http://127.0.0.1:{dead_port()}/"
    return [
        ("ttrss refused", lambda: TtRssClient(mock(ttrss_login_refused), "http://x/", "ann", PASSWORD)),
        ("ttrss not json", lambda: TtRssClient(mock(not_json), "http://x/", "ann", PASSWORD)),
        ("ttrss dead", lambda: TtRssClient(httpx.AsyncClient(), dead, "ann", PASSWORD)),
        ("ttrss tls", lambda: TtRssClient(httpx.AsyncClient(), tls_url, "ann", PASSWORD)),
        ("ttrss tls aiohttp", lambda: TtRssClient(aiohttp_client(), tls_url, "ann", PASSWORD)),
        ("fever refused", lambda: FeverClient(mock(fever_refused), "http://x/", "ann", PASSWORD)),
        ("fever not json", lambda: FeverClient(mock(not_json), "http://x/", "ann", PASSWORD)),
        ("fever dead", lambda: FeverClient(aiohttp_client(), dead, "ann", PASSWORD)),
    ]


async def failure_of(client) -> SyncError:
    # Caught here, not in the test: a traceback starts at the frame that catches, and the test's frame holds
    # the secrets it looks for.
    try:
        await client.login()
    except SyncError as error:
        return error
    raise AssertionError("login did not fail")


async def test_the_password_is_in_no_message_repr_log_or_traceback(tls_url, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = (PASSWORD, FEVER_KEY, "hunter2")
    for name, make in failures(tls_url):
        client = make()
        error = await failure_of(client)
        copy = pickle.loads(pickle.dumps(error))  # survives a process boundary, kind and all
        assert (copy.kind, str(copy)) == (error.kind, str(error))
        rendered = rendered_traceback(error)
        assert "locals" in rendered and "login" in rendered  # the frames, with their variables, are there
        shown = "\n".join([str(error), repr(error), repr(client), repr(vars(client)), str(error.detail), rendered])
        for secret in secrets:
            assert secret not in shown, (name, secret)
        await client._http.aclose()
    for secret in secrets:
        assert secret not in caplog.text


def test_a_secret_shows_as_stars_and_cannot_be_pickled():
    secret = Secret(PASSWORD)
    assert PASSWORD not in repr(secret) and PASSWORD not in str(secret) and PASSWORD not in f"{secret}"
    assert secret.reveal() == PASSWORD and secret == Secret(PASSWORD)
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_the_sync_package_stands_alone():
    """Protocol only: no UI, no cache, nothing of the reader's but itself and the error kinds of its transport."""
    script = ("import sys, newsreader.sync\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'sqlite3', 'newsreader')"
              " and not m.startswith('newsreader.sync')))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "['newsreader', 'newsreader.net', 'newsreader.net.errors']", done.stderr


# ------------------------------------------------------------------- over the reader's own HttpClient


def over_http_client(**limits):
    from newsreader.net.client import HttpClient
    from newsreader.sync.adapter import over

    return over(HttpClient(**{"timeout": 10.0, **limits}))


async def test_the_clients_speak_through_the_readers_http_client(feed_server):
    from feedserver import Response

    def ttrss(request):
        body = json.loads(request.body)
        answer = {"login": {"session_id": "s", "api_level": 15}, "getFeeds": [{"id": 1, "title": "W", "feed_url": "u"}]}
        return Response(200, json.dumps({"status": 0, "content": answer[body["op"]]}).encode(),
                        {"Content-Type": "application/json"})

    url = feed_server.handler("/tt-rss/api/", ttrss)
    http = over_http_client()
    try:
        feeds = await TtRssClient(http, url.removesuffix("api/"), "ann", PASSWORD).feeds()
    finally:
        await http.aclose()
    assert [f.title for f in feeds] == ["W"]
    posted = feed_server.requests_for("/tt-rss/api/")
    assert [json.loads(r.body)["op"] for r in posted] == ["login", "getFeeds"]
    assert posted[0].headers["user-agent"].startswith("newsreader/")  # the reader's client, not a bare httpx


async def test_an_error_status_with_a_json_body_reaches_the_client(feed_server):
    from feedserver import Response

    url = feed_server.respond("/fever/", Response(401, b'{"api_version": 3, "auth": 0}', {"Content-Type": "application/json"}))
    http = over_http_client()
    try:
        with pytest.raises(SyncError) as raised:
            await FeverClient(http, url, "ann", PASSWORD).login()
    finally:
        await http.aclose()
    assert raised.value.kind is SyncErrorKind.LOGIN_REFUSED


@pytest.mark.parametrize(("route", "kind"), [
    ("dead", SyncErrorKind.UNREACHABLE),
    ("bomb", SyncErrorKind.BAD_RESPONSE),
    ("html-500", SyncErrorKind.HTTP_STATUS),
])
async def test_failures_through_the_readers_http_client_keep_their_kind(feed_server, route, kind):
    if route == "dead":
        url = f"http://127.0.0.1:{dead_port()}/"
    elif route == "bomb":
        url = feed_server.gzip_bomb("/api/", 50 * 1024 * 1024)
    else:
        url = feed_server.error("/api/", 500, body=b"<h1>oops</h1>")
    http = over_http_client(max_bytes=1024 * 1024)
    try:
        with pytest.raises(SyncError) as raised:
            await TtRssClient(http, url, "ann", PASSWORD).login()
    finally:
        await http.aclose()
    assert raised.value.kind is kind and "\n" not in str(raised.value)
    assert raised.value.__suppress_context__


async def test_the_password_is_in_no_traceback_through_the_readers_http_client(feed_server):
    from feedserver import Response

    echo = feed_server.handler("/echo/", lambda request: Response(200, b"echo: " + request.body))
    secrets = (PASSWORD, FEVER_KEY)
    for url in (echo, f"http://127.0.0.1:{dead_port()}/"):
        for make in (TtRssClient, FeverClient):
            http = over_http_client()
            client = make(http, url, "ann", PASSWORD)
            error = await failure_of(client)
            shown = "\n".join([str(error), repr(error), repr(client), repr(vars(client)), rendered_traceback(error)])
            for secret in secrets:
                assert secret not in shown, (url, make.__name__)
            await http.aclose()
