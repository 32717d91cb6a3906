"""Full article text: downloaded at fetch time over loopback, stored once as Markdown, failures kept per story."""

from __future__ import annotations

import asyncio
import codecs
import html
import json
import sqlite3
import time
from pathlib import Path

import pytest

from newsreader.articles.extract import ArticleError, extract_article
from newsreader.articles.fetcher import MAX_ATTEMPTS, RETRY_BASE_SECONDS, article_error, next_attempt
from newsreader.cli import main
from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.model import StoryFilter
from newsreader.net.client import HttpClient
from newsreader.net.errors import FailureKind, FetchError
from newsreader.refresh import refresh_feeds
from newsreader.store import Store, open_store
from newsreader.store.schema import MIGRATIONS, SCHEMA_VERSION
from newsreader.text.sniff import decode_html

from feedserver import FeedServer, Response, unused_url, write_feeds_toml

PAGES = Path(__file__).parent / "pages"
ARTICLE = (PAGES / "article.html").read_bytes()
HEADLINE = "Lake Sevan water level rises for a third year"
ARTICLE_WORDS = "hydrometeorological"  # appears only in the article body, never in the feed


def _rss(items: list[tuple[str, str]], *, summary: str = "Two lines from the feed.") -> str:
    entries = "".join(
        f"<item><title>{html.escape(title)}</title><link>{html.escape(link)}</link><guid>{html.escape(link)}</guid>"
        f"<description>{html.escape(summary)}</description></item>"
        for title, link in items
    )
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Test</title>{entries}</channel></rss>"


def _feed(server: FeedServer, items: list[tuple[str, str]], path: str = "/feed.xml", **options: object) -> str:
    """A feed whose items link to `server` paths (or full URLs)."""
    links = [(title, link if "://" in link else server.url(link)) for title, link in items]
    return server.feed(path, _rss(links, **options))  # type: ignore[arg-type]


def _config(*feeds: tuple[str, str] | FeedConfig, settings: Settings | None = None) -> Config:
    configs = tuple(f if isinstance(f, FeedConfig) else FeedConfig(name=f[0], url=f[1]) for f in feeds)
    return Config(settings=settings or Settings(), feeds=configs)


def _fetch(store: Store, config: Config, *, fulltext: bool | None = True, timeout: float = 3.0,
           max_bytes: int = 1024 * 1024, on_article=None, extract_workers: int = 1):
    async def run():
        async with HttpClient(timeout=timeout, max_bytes=max_bytes) as pages:
            return await refresh_feeds(store, config, fulltext=fulltext, page_client=pages, parse_workers=0,
                                       extract_workers=extract_workers, on_article=on_article)

    return asyncio.run(run())


def _by_title(store: Store) -> dict:
    return {story.title: story for story in store.stories()}


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path) as store:
        yield store


# -- the happy path ----------------------------------------------------------------------------------------


def test_article_is_stored_as_markdown_and_searchable(feed_server: FeedServer, store: Store):
    feed_server.page("/world/sevan.html", ARTICLE)
    url = _feed(feed_server, [(HEADLINE, "/world/sevan.html")])
    seen = []
    summary = _fetch(store, _config(("Gazette", url)), on_article=seen.append)

    assert (summary.articles_extracted, summary.articles_failed) == (1, 0)
    assert "articles: 1 extracted, 0 failed" in summary.line()
    story = _by_title(store)[HEADLINE]
    assert story.text_source == "article"
    assert story.fulltext_error is None
    assert story.summary == "Two lines from the feed."
    text = story.text
    # Structure kept as Markdown: heading, list, link (absolute), table, image alt text.
    assert "## Why the level matters" in text
    assert "- clear the forests flooded in the 2000s" in text
    assert "[long criticised](https://example.org/reports/irrigation-2026)" in text
    assert "| Martuni | 1900.79 | 1900.90 |" in text
    assert f"![Fishing boats moored on the shore of Lake Sevan at dawn]({feed_server.url('/images/sevan.jpg')})" in text
    assert "one dry summer could undo three good years" in text
    # Page furniture dropped: navigation, cookie banner, related stories, footer, scripts; and the headline,
    # which the reader shows above the text anyway.
    for junk in ("cookies", "Subscribe", "Related stories", "trout hatchery", "All rights reserved", "tracking-token",
                 "advertising", "# Lake Sevan"):
        assert junk not in text, junk
    # Indexed for search, and stored once: the index is external content over stories.text.
    assert [s.id for s in store.stories(StoryFilter(search=ARTICLE_WORDS))] == [story.id]
    state = store.fulltext_state(story.id)
    assert state.status == "ok" and state.attempts == 1 and state.next_attempt is None
    assert state.bytes == len(ARTICLE)
    assert [(o.story_id, o.kind) for o in seen] == [(story.id, "ok")]
    request = feed_server.requests_for("/world/sevan.html")[0]
    assert request.headers["accept"].startswith("text/html")
    assert request.headers["user-agent"].startswith("newsreader/")


def test_an_extracted_story_is_never_downloaded_again(feed_server: FeedServer, store: Store):
    feed_server.page("/a.html", ARTICLE)
    url = _feed(feed_server, [(HEADLINE, "/a.html")])
    config = _config(("Gazette", url))
    _fetch(store, config)
    _fetch(store, config)
    # The feed changes (new summary): the story is updated, its article text stays, still no download.
    _feed(feed_server, [(HEADLINE, "/a.html")], summary="A corrected summary.")
    third = _fetch(store, config)

    assert len(feed_server.requests_for("/a.html")) == 1
    assert third.updated == 1 and third.articles_extracted == third.articles_failed == 0
    story = _by_title(store)[HEADLINE]
    assert story.summary == "A corrected summary."
    assert story.text_source == "article" and ARTICLE_WORDS in story.text


def test_without_full_text_no_page_is_downloaded(feed_server: FeedServer, store: Store):
    feed_server.page("/a.html", ARTICLE)
    url = _feed(feed_server, [(HEADLINE, "/a.html")])
    summary = _fetch(store, _config(("Gazette", url)), fulltext=None)  # settings default: off

    assert feed_server.requests_for("/a.html") == []
    assert "articles" not in summary.line()
    assert _by_title(store)[HEADLINE].text_source == "feed"
    assert store.fulltext_state(_by_title(store)[HEADLINE].id) is None


def test_per_feed_setting_and_override(feed_server: FeedServer, store: Store):
    feed_server.page("/on.html", ARTICLE)
    feed_server.page("/off.html", ARTICLE.replace(b"Sevan", b"Sevan B"))
    on_url = _feed(feed_server, [("On", "/on.html")], path="/on.xml")
    off_url = _feed(feed_server, [("Off", "/off.html")], path="/off.xml")
    config = _config(FeedConfig(name="On", url=on_url, fulltext=True), FeedConfig(name="Off", url=off_url))

    _fetch(store, config, fulltext=False)  # --no-fulltext beats the feed's setting
    assert feed_server.requests_for("/on.html") == []
    _fetch(store, config, fulltext=None)
    assert len(feed_server.requests_for("/on.html")) == 1
    assert feed_server.requests_for("/off.html") == []
    # [settings] fulltext = true turns it on for feeds that do not say.
    _fetch(store, Config(settings=Settings(fulltext=True), feeds=config.feeds), fulltext=None)
    assert len(feed_server.requests_for("/off.html")) == 1


def test_two_stories_linking_to_one_page_download_it_once(feed_server: FeedServer, store: Store):
    feed_server.page("/shared.html", ARTICLE)
    first = _feed(feed_server, [("In world", "/shared.html")], path="/world.xml")
    second = _feed(feed_server, [("On the front page", "/shared.html")], path="/front.xml")
    summary = _fetch(store, _config(("World", first), ("Front", second)))

    assert summary.articles_extracted == 2
    assert len(feed_server.requests_for("/shared.html")) == 1
    assert all(s.text_source == "article" for s in store.stories())


# -- failures ----------------------------------------------------------------------------------------------

SCRIPT_ONLY = b"<!DOCTYPE html><html><head><title>App</title></head><body><div id='root'></div>" \
              b"<script>document.getElementById('root').innerHTML = 'Loading the article ...';</script></body></html>"
TEASER = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Budget talks</title>
<script type="application/ld+json">{"@type": "NewsArticle", "isAccessibleForFree": false}</script></head>
<body><article><h1>Budget talks resume</h1><p>Ministers returned to the table on Monday after a week of
recriminations over the spending plans of the coalition government.</p>
<p>Subscribe to continue reading this article.</p></article></body></html>"""
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def _hostile_routes(server: FeedServer) -> dict[str, tuple[str, str]]:
    """path -> (expected kind, words expected in the error)."""
    server.page("/good.html", ARTICLE)
    server.error("/missing.html", 404)
    server.error("/gone.html", 410)
    server.error("/paid.html", 402)
    server.page("/teaser.html", TEASER)
    server.page("/script-only.html", SCRIPT_ONLY)
    server.respond("/report.pdf", Response(200, b"%PDF-1.7\n" + bytes(2000), {"Content-Type": "application/pdf"}))
    server.respond("/binary.html", Response(200, PNG, {"Content-Type": "text/html"}))
    server.respond("/huge.html", Response(200, b"<html><body>" + b"<p>word </p>" * 200_000, {"Content-Type": "text/html"}))
    server.respond("/endless.html", Response(200, b"", {"Content-Type": "text/html"}, stream_size=10**12))
    server.respond("/slow.html", Response(200, ARTICLE, {"Content-Type": "text/html"}, delay=8))
    server.redirect("/loop-a.html", "/loop-b.html", status=302)
    server.redirect("/loop-b.html", "/loop-a.html", status=302)
    return {
        "/missing.html": ("http", "HTTP 404"),
        "/gone.html": ("http", "HTTP 410"),
        "/paid.html": ("paywall", "HTTP 402"),
        "/teaser.html": ("paywall", "subscriber"),
        "/script-only.html": ("empty", "no article text"),
        "/report.pdf": ("not-html", "application/pdf"),
        "/binary.html": ("not-html", "binary"),
        "/huge.html": ("too-large", "too large"),
        "/endless.html": ("too-large", "too large"),
        "/slow.html": ("timeout", "timed out"),
        "/loop-a.html": ("redirect-loop", "redirects"),
    }


def test_hostile_pages_each_fail_alone_with_a_clear_reason(feed_server: FeedServer, store: Store):
    expected = _hostile_routes(feed_server)
    dead = unused_url("/dead.html")
    items = [(path, path) for path in expected] + [("/good.html", "/good.html"), ("dead", dead),
                                                   ("ftp", "ftp://127.0.0.1/story.txt")]
    url = _feed(feed_server, items)
    started = time.monotonic()
    summary = _fetch(store, _config(("Hostile", url)), timeout=1.5)

    assert time.monotonic() - started < 8  # the slow page is cut off by the timeout, not waited for
    assert summary.outcomes[0].status.value == "updated" and summary.new == len(items)
    assert summary.articles_extracted == 1
    assert summary.articles_failed == len(items) - 1
    stories = _by_title(store)
    assert stories["/good.html"].text_source == "article"
    for path, (kind, words) in expected.items():
        story = stories[path]
        state = store.fulltext_state(story.id)
        assert state.status == kind, (path, state)
        assert words.lower() in state.error.lower(), (path, state.error)
        assert "\n" not in state.error
        # The reader falls back to the feed's text and says why.
        assert story.text_source == "feed" and story.fulltext_error == state.error
    assert store.fulltext_state(stories["dead"].id).status == "network"
    assert store.fulltext_state(stories["ftp"].id).status == "bad-url"
    # Retried later unless a retry cannot change anything.
    assert store.fulltext_state(stories["/missing.html"].id).next_attempt is not None
    for never in ("/gone.html", "/report.pdf", "/binary.html", "/huge.html", "/endless.html"):
        assert store.fulltext_state(stories[never].id).next_attempt is None, never
    assert store.fulltext_state(stories["ftp"].id).next_attempt is None


def _due_now(store: Store) -> None:
    """Move every scheduled retry into the past (the test's clock)."""
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE story_fulltext SET next_attempt = 1 WHERE next_attempt IS NOT NULL")


def test_failures_retry_with_backoff_then_give_up(feed_server: FeedServer, store: Store):
    feed_server.error("/missing.html", 404)
    config = _config(("Gazette", _feed(feed_server, [("Missing", "/missing.html")])))

    before = time.time()
    _fetch(store, config)
    story_id = _by_title(store)["Missing"].id
    waits = []
    state = store.fulltext_state(story_id)
    waits.append(state.next_attempt.timestamp() - before)
    _fetch(store, config)  # not due yet: no request
    assert len(feed_server.requests_for("/missing.html")) == 1

    for attempt in range(2, MAX_ATTEMPTS + 1):
        _due_now(store)
        before = time.time()
        _fetch(store, config)
        assert len(feed_server.requests_for("/missing.html")) == attempt
        state = store.fulltext_state(story_id)
        assert state.attempts == attempt
        if state.next_attempt is not None:
            waits.append(state.next_attempt.timestamp() - before)
    assert state.next_attempt is None  # given up
    assert waits[0] == pytest.approx(RETRY_BASE_SECONDS, abs=30)
    assert all(later > 3 * earlier for earlier, later in zip(waits, waits[1:]))
    _due_now(store)
    _fetch(store, config)
    assert len(feed_server.requests_for("/missing.html")) == MAX_ATTEMPTS  # never again
    assert _by_title(store)["Missing"].fulltext_error == "HTTP 404 Not Found"


def test_a_retry_that_succeeds_clears_the_failure(feed_server: FeedServer, store: Store):
    feed_server.sequence("/flaky.html", FeedServer.make_error(500), FeedServer.make_feed(ARTICLE, content_type="text/html"))
    config = _config(("Gazette", _feed(feed_server, [(HEADLINE, "/flaky.html")])))
    _fetch(store, config)
    story = _by_title(store)[HEADLINE]
    assert story.fulltext_error == "HTTP 500 Internal Server Error"
    assert [s.id for s in store.stories(StoryFilter(fulltext_missing=True))] == [story.id]

    _due_now(store)
    summary = _fetch(store, config)
    story = _by_title(store)[HEADLINE]
    assert summary.articles_extracted == 1
    assert story.text_source == "article" and story.fulltext_error is None
    assert store.fulltext_state(story.id).attempts == 2
    assert store.stories(StoryFilter(fulltext_missing=True)) == []


def test_a_retry_asks_conditionally_and_an_unchanged_page_fails_the_same_way(feed_server: FeedServer, store: Store):
    feed_server.page("/script-only.html", SCRIPT_ONLY)  # with an ETag
    config = _config(("Gazette", _feed(feed_server, [("App", "/script-only.html")])))
    _fetch(store, config)
    _due_now(store)
    _fetch(store, config)

    second = feed_server.requests_for("/script-only.html")[1]
    assert "if-none-match" in second.headers
    state = store.fulltext_state(_by_title(store)["App"].id)
    assert state.status == "empty" and state.attempts == 2
    assert "page unchanged" in state.error


def test_a_dead_worker_or_crash_in_extraction_fails_one_story(monkeypatch, feed_server: FeedServer, store: Store):
    import newsreader.articles.fetcher as fulltext

    real = fulltext.extract_article

    def crash_on_one(body, content_type, url, title=""):
        if url.endswith("/bad.html"):
            raise MemoryError("boom")
        return real(body, content_type, url, title)

    monkeypatch.setattr(fulltext, "extract_article", crash_on_one)
    feed_server.page("/good.html", ARTICLE)
    feed_server.page("/bad.html", ARTICLE)
    summary = _fetch(store, _config(("Gazette", _feed(feed_server, [("good", "/good.html"), ("bad", "/bad.html")]))))
    assert (summary.articles_extracted, summary.articles_failed) == (1, 1)
    assert "could not be read (MemoryError)" in _by_title(store)["bad"].fulltext_error


def test_pages_that_fail_in_the_worker_pool_fail_alone(monkeypatch, feed_server: FeedServer, store: Store):
    """Through a real pool of two workers: a PDF, an empty page, a teaser and others fail inside a worker, and
    one page kills its worker every time. Each fails with its own reason; every other article is stored.

    ArticleError could not be rebuilt in the parent, which broke the pool: every page still waiting was
    "could not be read (BrokenProcessPool)" (81 of 181 on a benchmark). A page that kills its worker broke
    the fresh pool too, taking the pages in flight with it on their second try."""
    import newsreader.articles.fetcher as fulltext
    from processes import POISON, extract_or_die

    monkeypatch.setattr(fulltext, "extract_article", extract_or_die)
    good = [f"/good{i}.html" for i in range(10)]
    for path in good:
        feed_server.page(path, ARTICLE)
    bad = {
        "/report.pdf": ("not-html", "application/pdf"),
        "/pdf.html": ("not-html", "binary"),
        "/empty.html": ("empty", "no article text"),
        "/script-only.html": ("empty", "no article text"),
        "/teaser.html": ("paywall", "subscriber"),
        "/crash.html": ("empty", "crashed the article extractor"),
    }
    pdf = b"%PDF-1.7\n" + bytes(2000)
    feed_server.respond("/report.pdf", Response(200, pdf, {"Content-Type": "application/pdf"}))
    feed_server.respond("/pdf.html", Response(200, pdf, {"Content-Type": "text/html"}))
    feed_server.page("/empty.html", b"")
    feed_server.page("/script-only.html", SCRIPT_ONLY)
    feed_server.page("/teaser.html", TEASER)
    feed_server.page("/crash.html", ARTICLE.replace(b"<body>", b"<body>" + POISON))
    url = _feed(feed_server, [(path, path) for path in [*bad, *good]])

    summary = _fetch(store, _config(("Gazette", url)), extract_workers=2)

    stories = _by_title(store)
    reasons = {path: store.fulltext_state(stories[path].id).error for path in [*bad, *good]}
    assert all("BrokenProcessPool" not in (reason or "") for reason in reasons.values()), reasons
    for path in good:
        assert stories[path].text_source == "article", (path, reasons[path])
    for path, (kind, words) in bad.items():
        state = store.fulltext_state(stories[path].id)
        assert (state.status, words in state.error) == (kind, True), (path, state)
    assert (summary.articles_extracted, summary.articles_failed) == (len(good), len(bad))


def test_pages_extracted_in_process_never_run_two_at_once(monkeypatch, feed_server: FeedServer, store: Store):
    """trafilatura corrupts memory when two threads extract at once (SIGSEGV, "double free"): below the
    process pool's threshold, pages go through one thread, one after the other."""
    import threading

    import newsreader.articles.fetcher as fulltext

    real = fulltext.extract_article
    lock = threading.Lock()
    running = peak = 0

    def counting(body, content_type, url, title=""):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            time.sleep(0.05)  # long enough for a second thread to come in, were there one
            return real(body, content_type, url, title)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(fulltext, "extract_article", counting)
    pages = [(f"story {i}", f"/a{i}.html") for i in range(5)]
    for _title, path in pages:
        feed_server.page(path, ARTICLE)
    summary = _fetch(store, _config(("Gazette", _feed(feed_server, pages))), extract_workers=2)
    assert summary.articles_extracted == 5
    assert peak == 1


# -- charsets ----------------------------------------------------------------------------------------------

def _page(body_html: str, head: str = "") -> str:
    paragraphs = "".join(f"<p>{body_html}</p>" for _ in range(3))
    return f"<!DOCTYPE html><html><head>{head}<title>t</title></head><body><article>{paragraphs}</article></body></html>"


RUSSIAN = "Правительство объявило о новом плане по сохранению озера Севан и его берегов, который рассчитан на десять лет."
SPANISH = "El nivel del lago subió once centímetros este año, según el servicio hidrometeorológico; los niños celebran."
CHINESE = "政府宣布了一项为期十年的新计划，以保护塞凡湖及其湖岸，科学家表示湖水水位连续第三年上升。"
ARABIC = "أعلنت الحكومة عن خطة جديدة مدتها عشر سنوات لحماية بحيرة سيفان وشواطئها بعد ارتفاع منسوب المياه."


@pytest.mark.parametrize(
    ("name", "body", "content_type", "sentence"),
    [
        # The header lies (says UTF-8); the page's <meta> tells the truth.
        ("header-lies", _page(RUSSIAN, '<meta charset="windows-1251">').encode("cp1251"), "text/html; charset=utf-8", RUSSIAN),
        # The server's Latin-1 default over a UTF-8 page: the bytes are valid UTF-8, so UTF-8 wins.
        ("latin1-default", _page(SPANISH).encode("utf-8"), "text/html; charset=ISO-8859-1", SPANISH),
        # Declared nowhere: detected.
        ("undeclared-gbk", _page(CHINESE).encode("gb18030"), "text/html", CHINESE),
        # Declared only in the page, as GB2312 (decoded as its superset).
        ("meta-gb2312", _page(CHINESE, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">').encode("gb18030"),
         "text/html", CHINESE),
        ("meta-1256", _page(ARABIC, '<meta charset="windows-1256">').encode("cp1256"), "text/html", ARABIC),
        ("utf8-bom", codecs.BOM_UTF8 + _page(SPANISH).encode("utf-8"), "text/html; charset=windows-1252", SPANISH),
    ],
)
def test_pages_are_decoded_by_header_meta_or_detection(feed_server: FeedServer, store: Store, name, body, content_type, sentence):
    feed_server.respond(f"/{name}.html", Response(200, body, {"Content-Type": content_type}))
    _fetch(store, _config(("Gazette", _feed(feed_server, [(name, f"/{name}.html")]))))
    story = _by_title(store)[name]
    assert story.fulltext_error is None
    assert sentence in story.text


def test_decode_html_order_of_trust():
    text = "Für Größe"
    assert decode_html(text.encode("utf-8"), "text/html; charset=utf-8") == text
    assert decode_html(text.encode("cp1252"), "text/html; charset=windows-1252") == text
    # iso-8859-1 means windows-1252 on the web: curly quotes live at 0x93/0x94.
    assert decode_html("“quoted”".encode("cp1252"), "text/html; charset=iso-8859-1") == "“quoted”"
    # A bogus label is ignored, not fatal.
    assert decode_html(text.encode("utf-8"), "text/html; charset=x-no-such-charset") == text


# -- unit pieces -------------------------------------------------------------------------------------------

def test_fetch_errors_are_classified():
    assert article_error(FetchError(FailureKind.HTTP, "HTTP 404 Not Found", status=404)).kind == "http"
    assert article_error(FetchError(FailureKind.HTTP, "HTTP 402 Payment Required", status=402)).kind == "paywall"
    assert article_error(FetchError(FailureKind.TIMEOUT, "timed out after 30 s")).kind == "timeout"
    assert article_error(FetchError(FailureKind.REDIRECTS, "too many redirects (more than 10)")).kind == "redirect-loop"
    assert article_error(FetchError(FailureKind.TOO_LARGE, "response too large (over 5120 KiB); cut off", status=200)).kind == "too-large"
    assert article_error(FetchError(FailureKind.CONNECT, "cannot connect: refused")).kind == "network"
    assert article_error(FetchError(FailureKind.DNS, "cannot connect: no such host")).kind == "network"


def test_backoff_schedule():
    now = 1_000_000.0
    assert next_attempt("http", 404, 1, now) == now + RETRY_BASE_SECONDS
    assert next_attempt("http", 404, 2, now) == now + RETRY_BASE_SECONDS * 4
    assert next_attempt("http", 404, MAX_ATTEMPTS, now) is None
    assert next_attempt("http", 410, 1, now) is None
    assert next_attempt("not-html", None, 1, now) is None
    assert next_attempt("timeout", None, 1, now) is not None


def test_extract_article_refuses_what_is_not_an_article():
    with pytest.raises(ArticleError) as error:
        extract_article(b"", "text/html", "http://127.0.0.1/x")
    assert error.value.kind == "empty"
    with pytest.raises(ArticleError) as error:
        extract_article(b"\x00\x01\x02\x03" * 300, None, "http://127.0.0.1/x")
    assert error.value.kind == "not-html"
    with pytest.raises(ArticleError) as error:
        extract_article(b'{"a": 1}', "application/json", "http://127.0.0.1/x")
    assert error.value.kind == "not-html"
    with pytest.raises(ArticleError) as error:
        extract_article(b"<?xml version='1.0'?><rss version='2.0'></rss>", "application/rss+xml", "http://127.0.0.1/x")
    assert error.value.kind == "not-html"
    # Mislabelled as text/plain, but plainly HTML: extracted.
    assert "hydrometeorological" in extract_article(ARTICLE, "text/plain", "http://127.0.0.1/a.html", HEADLINE)


def test_escape_sequences_in_a_page_never_reach_the_cache():
    # ESC sequences, and an 8-bit CSI (U+009B, as UTF-8 in this UTF-8 page).
    hostile = ARTICLE.replace(b"The water level", b"\x1b]8;;http://evil\x07The \x1b[2J\x1b[31mwater\xc2\x9b1m level")
    markdown = extract_article(hostile, "text/html", "http://127.0.0.1/a.html", HEADLINE)
    assert "The water level of Lake Sevan" in markdown
    assert "\x1b" not in markdown and "\x9b" not in markdown


# -- storage -----------------------------------------------------------------------------------------------

def test_migration_from_schema_1_adds_the_state_table(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    MIGRATIONS[1](db)
    db.execute("INSERT INTO migrations (version, applied_at) VALUES (1, 0)")
    db.execute("PRAGMA user_version = 1")
    db.execute("PRAGMA application_id = 1314345810")
    db.execute("INSERT INTO feeds (url, name, added_at) VALUES ('http://x/feed', 'X', 0)")
    db.execute("INSERT INTO stories (feed_id, key, link, title, sort_at, fetched_at, content_hash) "
               "VALUES (1, 'k', 'http://x/a', 'Old story', 0, 0, 'h')")
    db.execute("COMMIT")
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 2
        [story] = store.stories()
        assert story.title == "Old story" and story.fulltext_error is None
        assert [r.story_id for r in store.stories_needing_fulltext([1], now=time.time())] == [story.id]


def test_storage_stats_count_article_bytes(feed_server: FeedServer, store: Store):
    feed_server.page("/a.html", ARTICLE)
    _fetch(store, _config(("Gazette", _feed(feed_server, [(HEADLINE, "/a.html"), ("No link page", "/nothing.html")]))))
    stats = store.storage_stats()
    story = _by_title(store)[HEADLINE]
    assert stats.stories == 2 and stats.articles == 1
    assert stats.article_text_bytes == len(story.text.encode("utf-8"))
    assert stats.text_bytes > stats.article_text_bytes
    assert stats.file_bytes > 0 and stats.bytes_per_story == stats.file_bytes / 2


# -- command line ------------------------------------------------------------------------------------------

def _cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _words(text: str) -> str:
    """Output as one line: Rich wraps the summary line to the console's width."""
    return " ".join(text.split())


def test_show_prints_the_article_as_plain_text_and_says_when_it_falls_back(feed_server: FeedServer, tmp_path: Path, capsys):
    feed_server.page("/a.html", ARTICLE)
    feed_server.error("/missing.html", 404)
    url = _feed(feed_server, [(HEADLINE, "/a.html"), ("Missing", "/missing.html")])
    with open_store(tmp_path) as store:
        _fetch(store, _config(("Gazette", url)))
        ids = {s.title: s.id for s in store.stories()}

    code, out, _ = _cli(capsys, "--data-dir", str(tmp_path), "show", str(ids[HEADLINE]))
    assert code == 0
    lines = out.splitlines()
    assert "Why the level matters" in lines  # a heading is a line of its own, without its #
    assert "• raise the level by another metre and a half;" in lines
    assert "long criticised <https://example.org/reports/irrigation-2026>" in out
    assert "[Fishing boats moored on the shore of Lake Sevan at dawn]" in out
    assert "Martuni | 1900.79 | 1900.90" in lines
    assert "##" not in out and "](" not in out and "full text unavailable" not in out

    code, out, _ = _cli(capsys, "--data-dir", str(tmp_path), "show", str(ids["Missing"]))
    assert code == 0
    assert "full text unavailable: HTTP 404 Not Found; showing the feed's text" in out
    assert "Two lines from the feed." in out

    code, out, _ = _cli(capsys, "--data-dir", str(tmp_path), "show", "--json", str(ids["Missing"]))
    data = json.loads(out)
    assert data["text_source"] == "feed" and data["fulltext_error"] == "HTTP 404 Not Found"


def test_list_fulltext_missing(feed_server: FeedServer, tmp_path: Path, capsys):
    feed_server.page("/a.html", ARTICLE)
    feed_server.error("/missing.html", 404)
    url = _feed(feed_server, [(HEADLINE, "/a.html"), ("Missing", "/missing.html")])
    plain = _feed(feed_server, [("Never fetched with full text", "/other.html")], path="/plain.xml")
    with open_store(tmp_path) as store:
        _fetch(store, _config(FeedConfig(name="Gazette", url=url, fulltext=True), ("Plain", plain)), fulltext=None)

    code, out, _ = _cli(capsys, "--data-dir", str(tmp_path), "list", "--fulltext-missing", "--json")
    assert code == 0
    assert sorted(s["title"] for s in json.loads(out)) == ["Missing", "Never fetched with full text"]
    code, out, _ = _cli(capsys, "--data-dir", str(tmp_path), "list", "--json")
    assert len(json.loads(out)) == 3


def test_feeds_shows_each_feeds_article_failures(feed_server: FeedServer, tmp_path: Path, capsys):
    """`newsreader feeds` once said "ok (304)" for a feed whose article downloads had all failed."""
    feed_server.page("/a.html", ARTICLE)
    feed_server.error("/missing.html", 404)
    feed_server.error("/gone.html", 404)
    feed_server.page("/app.html", SCRIPT_ONLY)
    url = _feed(feed_server, [(HEADLINE, "/a.html"), ("Missing", "/missing.html"), ("Gone", "/gone.html"),
                              ("App", "/app.html")])
    with open_store(tmp_path) as store:
        _fetch(store, _config(("Gazette", url)))
    toml = tmp_path / "feeds.toml"
    toml.write_text(f'[[feeds]]\nname = "Gazette"\nurl = "{url}"\n')
    code, out, _ = _cli(capsys, "--config", str(toml), "--data-dir", str(tmp_path), "feeds")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("Gazette"))
    assert "ok (200)" in line and "1 of 4 (http 2, empty 1)" in line


def test_fetch_command_flags(feed_server: FeedServer, tmp_path: Path, capsys):
    feed_server.page("/a.html", ARTICLE)
    url = _feed(feed_server, [(HEADLINE, "/a.html")])
    toml = write_feeds_toml(tmp_path / "feeds.toml", [("Gazette", url)], settings={"fulltext": True})
    data = tmp_path / "data"

    code, out, _ = _cli(capsys, "--config", str(toml), "--data-dir", str(data), "fetch", "--no-fulltext")
    assert code == 0 and "articles" not in out
    assert feed_server.requests_for("/a.html") == []

    code, out, _ = _cli(capsys, "--config", str(toml), "--data-dir", str(data), "fetch")  # [settings] fulltext = true
    assert code == 0 and "articles: 1 extracted, 0 failed" in _words(out)
    assert len(feed_server.requests_for("/a.html")) == 1

    toml = write_feeds_toml(tmp_path / "feeds.toml", [("Gazette", url)])
    feed_server.page("/b.html", ARTICLE)
    _feed(feed_server, [(HEADLINE, "/a.html"), ("Second", "/b.html")])
    code, out, _ = _cli(capsys, "--config", str(toml), "--data-dir", str(data), "fetch", "--fulltext")
    assert code == 0 and "articles: 1 extracted" in _words(out)
    assert len(feed_server.requests_for("/a.html")) == 1  # already extracted


# -- tags from the article ---------------------------------------------------------------------------------

_TAGGED_ARTICLE = """<!doctype html><html><head><title>Talks resume</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Border talks resume after a long pause</h1>
<p>Negotiators from Armenia and Azerbaijan met again on Tuesday, the first round since the spring, to work
through the remaining sections of the border they have been delimiting for three years.</p>
<p>In Yerevan, the government said the talks had been constructive and that a further meeting was planned
for next month. Officials in Baku described the atmosphere as businesslike but said differences remained.</p>
<p>Armenia's prime minister told parliament that the agreed sections already allowed farmers to return to
fields they had not worked for decades, and that Armenia would not give up the road to the south.</p>
<p>Azerbaijan's foreign ministry said the next round would take up the question of enclaves, which both
sides describe as the hardest part of the work still ahead of the commissions.</p>
</article><footer>All rights reserved</footer></body></html>"""


def test_a_story_is_tagged_again_from_its_article_and_keeps_those_tags(feed_server: FeedServer, store: Store):
    """The feed's summary names no country; the article does. A later change to the feed keeps them."""
    feed_server.page("/talks.html", _TAGGED_ARTICLE)
    url = _feed(feed_server, [("Talks resume after a long pause", "/talks.html")])
    config = _config(("Gazette", url))
    _fetch(store, config, fulltext=False)
    assert _by_title(store)["Talks resume after a long pause"].countries == ()

    _fetch(store, config)
    story = _by_title(store)["Talks resume after a long pause"]
    assert story.text_source == "article"
    # The feed's summary names nobody; the article's lede names both sides, and weighs as the lead.
    assert (story.countries, story.mentions) == (("AM", "AZ"), ())
    assert "Caucasus" in story.regions
    assert [s.id for s in store.stories(StoryFilter(country="AM"))] == [story.id]

    _feed(feed_server, [("Talks resume after a long pause", "/talks.html")], summary="A corrected summary.")
    _fetch(store, config)
    story = _by_title(store)["Talks resume after a long pause"]
    assert story.summary == "A corrected summary." and (story.countries, story.mentions) == (("AM", "AZ"), ())
