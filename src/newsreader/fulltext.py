"""Full article text for offline reading: download each story's page, extract the article, store it as Markdown.

`ArticleFetcher` is the refresh pipeline's second stage: after a feed is saved, `fetch_for_feed()` asks the
store which of its stories still need text, downloads their pages with the same polite `HttpClient` as the
feeds, extracts the article with trafilatura on every core (it is CPU-bound), and stores the Markdown in the
story's `text` (indexed for search; `text_source = 'article'`).

A page that fails is recorded per story with a kind (`FAILURE_KINDS`) and a one-line reason the reader shows
when it falls back to the summary. Failures are retried on later fetches with exponential backoff, at most
`MAX_ATTEMPTS` times; failures that cannot change (not a web page, too large, HTTP 410) are never retried.
A story whose article was extracted is never downloaded again.

`extract_article()` and `decode_html()` are plain functions of bytes, so they run in worker processes.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from newsreader.fetch import FetchError, FetchResult, HttpClient
from newsreader.markdown_text import markdown_to_text
from newsreader.store import Store
from newsreader.store.store import FulltextRequest
from newsreader.text import safe_text
from newsreader.workers import WorkerPool

ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
#: A news page is rarely over 1 MiB; anything past this is not an article we could show.
ARTICLE_MAX_BYTES = 5 * 1024 * 1024
#: Downloads of one story's page, in all, before we stop trying.
MAX_ATTEMPTS = 4
#: The first retry waits this long; each later one four times longer (30 min, 2 h, 8 h).
RETRY_BASE_SECONDS = 30 * 60
RETRY_FACTOR = 4
#: Newest first, at most this many pages per feed and fetch: turning full text on for a feed with a long
#: history back-fills it over a few fetches instead of downloading it all at once.
ARTICLES_PER_FEED = 50
#: Below this many pages in a fetch, starting worker processes costs more than extracting in a thread.
PROCESS_POOL_MIN_PAGES = 8
#: An article shorter than this many words on a page marked "not free" is the paywall's teaser.
PAYWALL_MAX_WORDS = 150

#: kind -> what it means. The kind is stored in `story_fulltext.status` ('ok' on success).
FAILURE_KINDS = {
    "http": "the server answered with an HTTP error",
    "paywall": "the page is for subscribers",
    "not-html": "the link is not a web page",
    "empty": "no article text was found on the page",
    "too-large": "the page is larger than the size cap",
    "timeout": "the download timed out",
    "redirect-loop": "the link redirects in circles",
    "network": "the server could not be reached",
    "bad-url": "the story's link is not a web address",
}
#: Kinds that a retry cannot change.
PERMANENT_KINDS = frozenset({"not-html", "too-large", "bad-url"})
#: HTTP statuses that a retry cannot change.
PERMANENT_STATUSES = frozenset({410})

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"ID3", b"OggS")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_CONTENT_TYPE_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
#: WHATWG: these labels mean windows-1252 in a web page; and GB2312/GBK pages are decoded as their superset.
_ENCODING_ALIASES = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030"}
_SINGLE_BYTE_WESTERN = frozenset({"cp1252", "iso8859-15"})
_NOT_FREE = re.compile(r""""isAccessibleForFree"\s*:\s*"?(?:false|False|FALSE)\b""")
_PAYWALL_PHRASES = re.compile(
    r"subscribe to (?:continue|read)|subscribers only|for subscribers|already a subscriber|"
    r"sign in to (?:continue|read)|log in to (?:continue|read)|to continue reading|premium content",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
_BLANK_LINES = re.compile(r"\n{3,}")

for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    # Their warnings about odd pages are per-story failures here, not messages for the terminal.
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False


class ArticleError(Exception):
    """One page that gave no article. `kind` is a key of FAILURE_KINDS; `str()` is one line for the reader."""

    def __init__(self, kind: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


@dataclass(frozen=True, slots=True)
class ArticleOutcome:
    """What became of one story's page in a fetch."""

    story_id: int
    url: str
    kind: str  #: "ok", or a key of FAILURE_KINDS
    error: str | None = None
    bytes: int = 0  #: downloaded
    retry_at: float | None = None  #: None: done, or given up

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


# -- decoding and extraction (worker processes) ------------------------------------------------------------


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return _ENCODING_ALIASES.get(name, name)


def _declared_charsets(body: bytes, content_type: str | None) -> list[str]:
    """HTTP header first, then the page's own <meta>: the order browsers trust them in."""
    found: list[str] = []
    if content_type and (match := _CONTENT_TYPE_CHARSET.search(content_type)):
        if codec := _codec(match.group(1)):
            found.append(codec)
    if match := _META_CHARSET.search(body[:8192]):
        codec = _codec(match.group(1).decode("ascii", "ignore"))
        # A page declaring UTF-16 in ASCII-compatible bytes is lying (the BOM would have said so).
        if codec and not codec.startswith("utf-16") and codec not in found:
            found.append(codec)
    return found


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """A page's text: BOM, then the HTTP charset, then <meta charset>, then detection.

    A declaration is trusted only if the bytes decode under it; a Western single-byte declaration (the usual
    server default) loses to UTF-8 when the bytes are valid UTF-8 with non-ASCII characters in them, since
    that happens by accident almost never.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    declared = _declared_charsets(body, content_type)
    for codec in declared:
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            # A stray bad byte or two in a page that is otherwise what it says it is.
            text = body.decode(codec, errors="replace")
            if text.count("\ufffd") > len(text) // 2000:
                continue
            return text
        if codec in _SINGLE_BYTE_WESTERN and not body.isascii():
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return text
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body[:262144]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode(declared[0] if declared else "utf-8", errors="replace")


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_html(body: bytes, content_type: str | None) -> None:
    """Refuse what is not a web page, by its declared type and by its first bytes."""
    media = _media_type(content_type)
    head = body[:1024]
    # Some servers label every file text/plain; a body that opens as HTML is taken for what it is.
    sniffed_html = head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))
    if media and media not in _HTML_TYPES and not (media == "text/plain" and sniffed_html):
        raise ArticleError("not-html", f"not a web page ({media})")
    if head.startswith(_BINARY_MAGIC) or _looks_binary(head):
        raise ArticleError("not-html", "not a web page (binary data)")


def _looks_binary(head: bytes) -> bool:
    # UTF-16 text has NULs too, but then a BOM or every other byte is NUL; binary data has them scattered.
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) // 20


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _drop_repeated_title(markdown: str, title: str) -> str:
    """The reader shows the title above the article: drop the page's own headline, and a lead image whose
    caption only repeats it, from the first few blocks."""
    if not title:
        return markdown
    wanted = " ".join(_words(title))
    blocks = markdown.split("\n\n")
    kept: list[str] = []
    for index, block in enumerate(blocks):
        stripped = block.strip()
        if index < 4 and stripped.startswith(("#", "![")) and _same_headline(
            " ".join(_words(markdown_to_text(stripped, link_urls=False))), wanted
        ):
            continue
        kept.append(block)
    return "\n\n".join(kept)


def _same_headline(found: str, title: str) -> bool:
    """Equal, or one inside the other ("Headline" and "Headline | Site name"), if long enough to be sure."""
    if not found or not title:
        return False
    if found == title:
        return True
    shorter = min(found, title, key=len)
    return shorter.count(" ") >= 3 and (found in title or title in found)


def _paywalled(page: str, words: int, markdown: str) -> bool:
    if words >= PAYWALL_MAX_WORDS:
        return False
    return bool(_NOT_FREE.search(page)) or bool(_PAYWALL_PHRASES.search(markdown))


def extract_article(body: bytes, content_type: str | None, url: str, title: str = "") -> str:
    """The article on a page as Markdown (links, formatting, lists, tables, headings, images as alt text kept).

    Raises ArticleError when the page is not HTML, has no article, or shows only a paywall's teaser.
    """
    check_html(body, content_type)
    # Escape sequences go before parsing: the parser would drop the ESC and leave the rest as text.
    page = safe_text(decode_html(body, content_type))
    import trafilatura

    try:
        markdown = trafilatura.extract(
            page,
            url=url,
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            include_images=True,
            include_links=True,
            include_formatting=True,
            deduplicate=False,
        )
    except Exception as error:  # trafilatura on a hostile page must fail this story only
        raise ArticleError("empty", f"the page could not be read ({type(error).__name__})") from None
    markdown = safe_text(markdown or "").strip()
    if markdown:
        markdown = _BLANK_LINES.sub("\n\n", _drop_repeated_title(markdown, title)).strip()
    words = len(_words(markdown_to_text(markdown, link_urls=False))) if markdown else 0
    if not words:
        if _NOT_FREE.search(page):
            raise ArticleError("paywall", "the page is for subscribers only")
        raise ArticleError("empty", "no article text found on the page")
    if _paywalled(page, words, markdown):
        raise ArticleError("paywall", "the page shows only a subscriber teaser")
    return markdown


def _warm_up() -> None:
    """Import trafilatura in a fresh worker before the first page arrives."""
    import trafilatura  # noqa: F401


class ExtractorPool(WorkerPool):
    """Extracts on every core, each worker with trafilatura imported before the first page."""

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(workers, warm_up=_warm_up)


# -- failures and retries --------------------------------------------------------------------------------


def classify_fetch_error(error: FetchError) -> ArticleError:
    """A download failure as a failure kind (the messages are `HttpClient`'s one-liners)."""
    message = str(error)
    if error.status == 402:
        return ArticleError("paywall", f"{message} (the page is for subscribers)", status=402)
    if error.status is not None and error.status >= 400:
        return ArticleError("http", message, status=error.status)
    if message.startswith("response too large"):
        return ArticleError("too-large", message)
    if message.startswith("too many redirects"):
        return ArticleError("redirect-loop", message)
    if message.startswith("timed out"):
        return ArticleError("timeout", message)
    if message.startswith(("unsupported URL scheme", "invalid URL")):
        return ArticleError("bad-url", message)
    return ArticleError("network", message, status=error.status)


def next_attempt(kind: str, status: int | None, attempts: int, now: float) -> float | None:
    """When to try a failed page again after `attempts` tries in all; None for never."""
    if kind in PERMANENT_KINDS or status in PERMANENT_STATUSES or attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_BASE_SECONDS * RETRY_FACTOR ** (attempts - 1)


# -- the pipeline stage ----------------------------------------------------------------------------------

ArticleCallback = Callable[[ArticleOutcome], None]


@dataclass(frozen=True, slots=True)
class _Page:
    """A downloaded and extracted page, shared by every story in the fetch that links to it."""

    markdown: str | None
    error: ArticleError | None
    result: FetchResult | None
    bytes: int


class ArticleFetcher:
    """Downloads and extracts the articles of feeds as they are saved, within one refresh.

    Store calls run on `writer` (the refresh's one store thread), so the event loop never waits on the disk.
    """

    def __init__(
        self,
        store: Store,
        client: HttpClient,
        writer: Executor,
        *,
        workers: int | None = None,
        on_article: ArticleCallback | None = None,
        on_saved: Callable[[int], object] | None = None,
        per_feed: int = ARTICLES_PER_FEED,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`on_saved(story_id)` runs on `writer` once a story's article is stored (the refresh re-tags it)."""
        self.store = store
        self.on_saved = on_saved
        self.client = client
        self.writer = writer
        self.on_article = on_article
        self.per_feed = per_feed
        self.clock = clock
        self.pool = ExtractorPool(workers)
        # trafilatura (through lxml) corrupts memory when two threads extract at once (adbar/trafilatura#840,
        # #925: SIGSEGV, "double free or corruption"), so without worker processes pages go through one thread.
        self._one_thread = ThreadPoolExecutor(1, thread_name_prefix="newsreader-extract")
        self.extracted = 0
        self.failed = 0
        self._requested = 0
        self._pages: dict[str, asyncio.Task[_Page]] = {}

    async def fetch_for_feed(self, feed_id: int) -> None:
        """Fetch every page of this feed's stories that still needs text (new ones, and retries now due)."""
        loop = asyncio.get_running_loop()
        requests = await loop.run_in_executor(
            self.writer, lambda: self.store.stories_needing_fulltext([feed_id], now=self.clock(), limit=self.per_feed)
        )
        if not requests:
            return
        self._requested += len(requests)
        await asyncio.gather(*(self._story(request) for request in requests))

    async def _story(self, request: FulltextRequest) -> None:
        loop = asyncio.get_running_loop()
        url = request.url
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            page = _Page(None, ArticleError("bad-url", f"the link is not a web address ({url[:60]})"), None, 0)
        else:
            task = self._pages.get(url)
            if task is None:
                task = self._pages[url] = asyncio.create_task(self._page(request))
            page = await task
        now = self.clock()
        result = page.result
        if page.markdown is not None:
            def save() -> None:
                self.store.save_fulltext(
                    request.story_id, page.markdown, url=result.url if result else url, size=page.bytes,
                    etag=result.etag if result else None, last_modified=result.last_modified if result else None,
                )
                if self.on_saved is not None:
                    self.on_saved(request.story_id)

            await loop.run_in_executor(self.writer, save)
            outcome = ArticleOutcome(request.story_id, url, "ok", bytes=page.bytes)
            self.extracted += 1
        else:
            error = page.error or ArticleError("empty", "no article text found on the page")
            retry_at = next_attempt(error.kind, error.status, request.attempts + 1, now)
            await loop.run_in_executor(
                self.writer,
                lambda: self.store.record_fulltext_failure(
                    request.story_id, error.kind, str(error), next_attempt=retry_at, http_status=error.status,
                    url=result.url if result else url, size=page.bytes,
                    etag=result.etag if result else None, last_modified=result.last_modified if result else None,
                ),
            )
            outcome = ArticleOutcome(request.story_id, url, error.kind, str(error), page.bytes, retry_at)
            self.failed += 1
        if self.on_article is not None:
            self.on_article(outcome)

    async def _page(self, request: FulltextRequest) -> _Page:
        try:
            result = await self.client.get(
                request.url, etag=request.etag, last_modified=request.last_modified, accept=ARTICLE_ACCEPT
            )
        except FetchError as error:
            return _Page(None, classify_fetch_error(error), None, 0)
        if result.not_modified:
            # Only a page that failed before is asked for conditionally: unchanged, it fails the same way.
            previous = request.error or "no article text found on the page"
            return _Page(None, ArticleError(request.kind or "empty", f"{previous} (page unchanged)"), result, 0)
        processes = self.pool.executor() if self._requested >= PROCESS_POOL_MIN_PAGES else None
        loop = asyncio.get_running_loop()
        try:
            markdown = await loop.run_in_executor(
                processes or self._one_thread, extract_article, result.body, result.content_type, result.url, request.title
            )
        except ArticleError as error:
            return _Page(None, error, result, len(result.body))
        except Exception as error:  # a crash on one page (or a dead worker) must not stop the others
            message = f"the page could not be read ({type(error).__name__})"
            return _Page(None, ArticleError("empty", message), result, len(result.body))
        return _Page(markdown, None, result, len(result.body))

    def close(self) -> None:
        self.pool.close()
        self._one_thread.shutdown(wait=True, cancel_futures=True)


def article_client(concurrency: int, per_host: int, timeout: float) -> HttpClient:
    """The client for article pages: the feeds' limits, with a cap fit for a web page."""
    return HttpClient(concurrency=concurrency, per_host=per_host, timeout=timeout, max_bytes=ARTICLE_MAX_BYTES)


__all__ = [
    "ARTICLE_MAX_BYTES",
    "FAILURE_KINDS",
    "MAX_ATTEMPTS",
    "ArticleError",
    "ArticleFetcher",
    "ArticleOutcome",
    "ExtractorPool",
    "article_client",
    "check_html",
    "classify_fetch_error",
    "decode_html",
    "extract_article",
    "next_attempt",
]
