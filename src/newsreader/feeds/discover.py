"""Finding the feeds behind a URL: the URL itself, the page's `<link rel="alternate">`s, or common paths.

`discover_feeds(url)` fetches through the polite `HttpClient` and returns verified candidates (each one
was fetched and parsed as a feed), so the CLI and the reader's add dialog can offer real choices.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser

from newsreader.config.edit import find_feed, normalise_url
from newsreader.config.load import NOT_HTTP, cut, feed_url_problem
from newsreader.config.types import FeedConfig, Settings
from newsreader.errors import DiscoveryError, NoFeedsFound, Unreachable
from newsreader.model import Discovery, FeedCandidate
from newsreader.net.client import FetchResult, HttpClient
from newsreader.net.errors import FetchError
from newsreader.text.sanitize import safe_line
from newsreader.text.sniff import decode_html, is_html_page

#: Where sites usually keep their feed, tried when a page names none.
COMMON_PATHS = ("/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml", "/feeds/posts/default")
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml"})
PAGE_ACCEPT = "text/html, application/xhtml+xml, application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"
_OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")
#: Discovery asks one site for a handful of URLs; two at a time is polite and quick enough.
PER_HOST = 2


class _LinkCollector(HTMLParser):
    """`<link rel="alternate" type="...rss+xml|atom+xml" href>` and `<base href>` from a page's HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (href, title)
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "") for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        if tag not in ("link", "a"):
            return
        rel = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES and values.get("href", "").strip():
            self.links.append((values["href"].strip(), values.get("title", "")))

    handle_startendtag = handle_starttag


def feed_links(html: str, page_url: str) -> list[tuple[str, str]]:
    """(absolute url, title) of the feeds a page announces, in page order, without repeats."""
    collector = _LinkCollector()
    try:
        collector.feed(html)
        collector.close()
    except Exception:  # html.parser copes with almost anything; a page it cannot read announces nothing
        pass
    try:
        base = urljoin(page_url, collector.base) if collector.base else page_url
    except ValueError:  # a <base href> no URL parser can read ("http://[::1/x"): the page's own address
        base = page_url
    seen: set[str] = set()
    links = []
    for href, title in collector.links:
        try:
            url = urljoin(base, href)
            scheme = urlsplit(url).scheme
        except ValueError:  # a malformed link on the page is not a feed: the others still are
            continue
        if scheme in ("http", "https") and url not in seen:
            seen.add(url)
            links.append((url, safe_line(title)))
    return links


def common_feed_urls(page_url: str) -> list[str]:
    """The common feed paths, under the page's own folder first (a blog at /blog/), then at the site root."""
    parts = urlsplit(page_url)
    root = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    folder = parts.path if parts.path.endswith("/") else parts.path.rsplit("/", 1)[0] + "/"
    bases = [urlunsplit((parts.scheme, parts.netloc, folder, "", ""))] if folder not in ("", "/") else []
    urls: list[str] = []
    for base in [*bases, root]:
        for path in COMMON_PATHS:
            url = urljoin(base, path.lstrip("/"))
            if url not in urls:
                urls.append(url)
    return urls


def _as_feed(result: FetchResult) -> feedparser.FeedParserDict | None:
    """The parsed feed if the body is one: feedparser recognised a format and found a title or entries."""
    if is_html_page(result.body):
        return None
    parsed = feedparser.parse(result.body, response_headers={"content-location": result.url,
                                                             "content-type": result.content_type or ""})
    if not parsed.get("version") or not (parsed.entries or parsed.feed.get("title")):
        return None
    return parsed


def _candidate(url: str, parsed: feedparser.FeedParserDict, fallback_title: str) -> FeedCandidate:
    title = safe_line(parsed.feed.get("title")) or fallback_title or (urlsplit(url).hostname or url)
    return FeedCandidate(url=url, title=title, entries=len(parsed.entries))


def normalise_input(url: str) -> str:
    """What the user typed, as an http(s) URL: ``example.com/news`` means https://example.com/news."""
    url = url.strip()
    # "mailto:x" or "javascript:x" name another scheme; "localhost:8080/x" is a host and a port.
    if "://" not in url and not _OTHER_SCHEME.match(url):
        url = "https://" + url
    if problem := feed_url_problem(url):
        why = "give an http or https URL" if problem == NOT_HTTP else problem
        raise DiscoveryError(f"not a web address: {cut(url)!r} ({why})")
    return url


async def discover_feeds(url: str, *, client: HttpClient | None = None, settings: Settings = Settings(),
                         configured: Sequence[FeedConfig] = ()) -> Discovery:
    """The feeds at or behind `url`. Raises Unreachable, NoFeedsFound or DiscoveryError (one line each).

    Candidates already in `configured` say so in `subscribed_as`.
    """
    url = normalise_input(url)
    own_client = client is None
    if client is None:
        client = HttpClient(concurrency=8, per_host=PER_HOST, timeout=settings.timeout, max_bytes=settings.max_feed_bytes,
                            proxy=settings.proxy)
    try:
        try:
            page = await client.get(url, accept=PAGE_ACCEPT)
        except FetchError as error:
            raise Unreachable(f"{url}: not reachable: {error}") from None
        parsed = await asyncio.to_thread(_as_feed, page)
        if parsed is not None:
            # Keep the address given unless every redirect on the way was permanent.
            feed_url = page.permanent_url or url
            candidate = _mark(_candidate(feed_url, parsed, ""), configured)
            return Discovery(url=page.url, is_feed=True, candidates=(candidate,))
        html = decode_html(page.body, page.content_type)
        announced = feed_links(html, page.url)
        candidates = await _verify(client, announced)
        if not candidates:
            candidates = await _verify(client, [(u, "") for u in common_feed_urls(page.url) if u not in dict(announced)])
        if not candidates:
            raise NoFeedsFound(f"{page.url}: no feeds found (the page names none and none of the usual paths is a feed)")
        return Discovery(url=page.url, is_feed=False, candidates=tuple(_mark(c, configured) for c in candidates))
    finally:
        if own_client:
            await client.aclose()


def discover_feeds_sync(url: str, **kwargs: object) -> Discovery:
    """`discover_feeds` for callers without an event loop (the CLI, thread workers)."""
    return asyncio.run(discover_feeds(url, **kwargs))  # type: ignore[arg-type]


async def _verify(client: HttpClient, links: Sequence[tuple[str, str]]) -> list[FeedCandidate]:
    """The links that really are feeds, in the order given, each feed once (by where it ended up)."""

    async def check(url: str, title: str) -> tuple[FeedCandidate, str] | None:
        try:
            result = await client.get(url)
        except FetchError:
            return None
        parsed = await asyncio.to_thread(_as_feed, result)
        if parsed is None:
            return None
        return _candidate(result.permanent_url or url, parsed, title), normalise_url(result.url)

    checked = await asyncio.gather(*(check(url, title) for url, title in links))
    candidates: list[FeedCandidate] = []
    seen: set[str] = set()
    for item in checked:
        if item is None or item[1] in seen:
            continue
        seen.add(item[1])
        candidates.append(item[0])
    return candidates


def _mark(candidate: FeedCandidate, configured: Sequence[FeedConfig]) -> FeedCandidate:
    existing = find_feed(configured, candidate.url) if configured else None
    if existing is None:
        return candidate
    return FeedCandidate(candidate.url, candidate.title, candidate.entries, subscribed_as=existing.name)
