"""feedparser output -> plain, tagged entries ready for the cache.

This runs in worker processes (see `ParserPool`), so everything here is a plain function of bytes in and
picklable dataclasses out.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urljoin
from xml.sax.expatreader import ExpatParser

import feedparser
import feedparser.api

from newsreader.feeds.dates import parse_date
from newsreader.feeds.wellformed import read_wellformed
from newsreader.model import ParsedEntry, ParsedFeed
from newsreader.tagging import tag_story
from newsreader.text.sanitize import html_to_text, safe_line, safe_text
from newsreader.text.sniff import is_html_page
from newsreader.workers import WorkerPool


class ParseError(Exception):
    """The body is not a feed we can read."""


@dataclass(frozen=True, slots=True)
class ParseOptions:
    url: str
    content_type: str | None = None
    pinned: tuple[str, ...] = ()  #: countries pinned by the config
    home: str | None = None
    tag: bool = True


class _BufferedExpat(ExpatParser):
    """Expat handing over a text node in one piece: stock expat splits text at every entity, and escaped
    HTML in a <description> (`&lt;p&gt;...`) made feedparser handle ~100 fragments per item (15% of its time)."""

    def reset(self) -> None:
        super().reset()
        self._parser.buffer_text = True  # type: ignore[attr-defined]  # the stdlib's expat parser object


def create_parser(*args: Any, **kwargs: Any) -> ExpatParser:
    """The SAX driver hook: feedparser asks `xml.sax.make_parser` for the drivers in PREFERRED_XML_PARSERS."""
    return _BufferedExpat(*args, **kwargs)


if __name__ not in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.insert(0, __name__)


def _epoch(parsed: Any) -> float | None:
    if not parsed:
        return None
    try:
        return float(calendar.timegm(parsed))
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_date(raw: Any, key: str) -> float | None:
    """An entry's `published` or `updated` as feedparser read it, else as `parse_date` reads the feed's text
    (localized names, human and numeric forms feedparser does not know)."""
    # dict.get: FeedParserDict.get("updated...") falls back to the published date with a DeprecationWarning
    # per entry, which is both slow and wrong (a story never updated would look updated).
    parsed = dict.get(raw, f"{key}_parsed")
    if not parsed:
        parsed = parse_date(dict.get(raw, key))
    return _epoch(parsed)


def _absolute(link: str | None, base: str) -> str | None:
    """A link made absolute against the feed's URL (relative to an xml:base, feedparser has already joined it)."""
    link = (link or "").strip()
    if not link:
        return None
    if "://" in link[:12]:  # already absolute: most links, and the one check that costs nothing
        return link
    try:
        return urljoin(base, link)
    except ValueError:  # an invalid IPv6 host and the like: keep it as the feed gave it
        return link


def _entry_key(guid: str | None, link: str | None, title: str, published: float | None) -> str:
    if guid:
        return guid
    if link:
        return link
    return "sha1:" + hashlib.sha1(f"{title}\x00{published}".encode()).hexdigest()


def _content_html(entry: Any) -> str | None:
    contents = entry.get("content") or []
    values = [c.get("value") for c in contents if c.get("value")]
    # Prefer HTML content over a plain-text alternative of the same item.
    html_values = [c.get("value") for c in contents if c.get("value") and "html" in (c.get("type") or "")]
    chosen = (html_values or values or [None])[0]
    return chosen


def parse_feed(body: bytes, options: ParseOptions) -> ParsedFeed:
    """Parse one feed body; raise ParseError when it holds no feed at all."""
    headers = {"content-type": options.content_type} if options.content_type else {}
    # We show text, never HTML, so feedparser's HTML sanitising and URI resolution (two thirds of its time,
    # see benchmarks/README.md) buy nothing: html_to_text drops every tag and script anyway. Nor is it given
    # the feed's URL (content-location): with a base it joins URLs at every element (a quarter of its
    # remaining time), where we need only the links we keep made absolute (`_absolute`).
    # Most real feeds are well-formed UTF-8, and lxml reads those by feedparser's rules in a seventh of its
    # time (wellformed.py); feedparser reads the rest.
    parsed = read_wellformed(body, options.content_type)
    by_feedparser = parsed is None
    if parsed is None:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    entries_raw = parsed.get("entries") or []
    if not parsed.get("version") and not entries_raw:
        problem = parsed.get("bozo_exception")
        if is_html_page(body):
            raise ParseError("not a feed: the server sent an HTML page")
        if not body.strip():
            raise ParseError("not a feed: the response was empty")
        detail = safe_line(str(problem)) if problem else "no RSS or Atom content"
        raise ParseError(f"not a feed: {detail}")

    tagger = _tagger() if options.tag else None
    if tagger is not None and options.home is None:
        # Most feeds say no home: the outlet's address (.co.uk, a known outlet) or its language says it.
        # The language as stored (feeds.language), so that tagging.home_of infers the same home later.
        options = replace(options, home=_infer_home(options.url, _language((parsed.get("feed") or {}).get("language"))))
    entries: list[ParsedEntry] = []
    seen: set[str] = set()
    for raw in entries_raw:
        entry = _parse_entry(raw, options, tagger)
        if entry.key in seen:  # a feed that repeats an item keeps the first
            continue
        seen.add(entry.key)
        entries.append(entry)

    warning = None
    if parsed.get("bozo"):
        problem = parsed.get("bozo_exception")
        warning = safe_line(f"{type(problem).__name__}: {problem}") if problem else "ill-formed feed"
    feed_info = parsed.get("feed") or {}
    return ParsedFeed(
        title=safe_line(feed_info.get("title")) or None,
        site_url=_absolute(feed_info.get("link"), options.url),
        entries=tuple(entries),
        warning=warning,
        language=_language(feed_info.get("language")),
        by_feedparser=by_feedparser,
    )


def parse_entry(raw: dict[str, Any], options: ParseOptions) -> ParsedEntry:
    """One item given as feedparser's fields, not in a feed (a sync server's story): read and tagged by the
    same rules as a feed's item."""
    return _parse_entry(raw, options, _tagger() if options.tag else None)


def _parse_entry(raw: Any, options: ParseOptions, tagger: Any) -> ParsedEntry:
    guid = (raw.get("id") or "").strip() or None
    link = _absolute(raw.get("link"), options.url)
    title = safe_line(html_to_text(raw.get("title") or ""))
    updated = _entry_date(raw, "updated")
    published = _entry_date(raw, "published") or updated
    summary_html = raw.get("summary") or ""
    content_html = _content_html(raw)
    summary = html_to_text(summary_html)
    text = html_to_text(content_html) if content_html and content_html != summary_html else summary
    if not summary and text:
        summary = _first_paragraphs(text)
    if not title:
        title = safe_line(summary[:120]) or "(untitled)"
    author = safe_line(raw.get("author")) or None
    categories = tuple(
        term
        for tag in raw.get("tags") or ()
        if (term := safe_line(tag.get("term") or tag.get("label"))) and len(term) < 200 and _is_place_scheme(tag.get("scheme"))
    )
    digest = hashlib.blake2b(digest_size=12)
    for part in (title, link or "", summary, text, author or "", str(published)):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    countries: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    if tagger is not None:
        tags = tag_story(tagger, title=title, summary=summary, text=text, text_source="feed", link=link,
                         categories=categories, pinned=options.pinned, home=options.home)
        countries, mentions, regions = tags.countries, tags.mentions, tags.regions
    return ParsedEntry(
        key=_entry_key(guid, link, title, published),
        guid=guid,
        link=safe_text(link) or None,
        title=title,
        author=author,
        published=published,
        updated=updated,
        summary=summary,
        content_html=content_html if content_html and content_html != summary_html else None,
        text=text,
        categories=categories,
        countries=countries,
        mentions=mentions,
        regions=regions,
        content_hash=digest.hexdigest(),
    )


def _language(value: Any) -> str | None:
    """A declared language tag as one safe lower-case token ("en-us"), or None."""
    tag = safe_line(value if isinstance(value, str) else "").strip().lower().replace("_", "-")
    return tag if 2 <= len(tag) <= 35 and all(part.isalnum() for part in tag.split("-")) else None


# NYT labels its keywords by namespace; only nyt_geo names places. Its descriptors ("Russian Invasion of
# Ukraine (2022)"), people and organisations would read as places.
_NON_PLACE_SCHEME = re.compile(r"nytimes\.com/namespaces/keywords/(?!nyt_geo)")


def _is_place_scheme(scheme: str | None) -> bool:
    return not (scheme and _NON_PLACE_SCHEME.search(scheme))


def _first_paragraphs(text: str, limit: int = 600) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > 0 else limit] + " …"


def _tagger() -> Any:
    from newsreader.geo import get_tagger

    return get_tagger()


def _infer_home(url: str, language: str | None) -> str | None:
    from newsreader.geo import infer_home

    return infer_home(url, language)


def _warm_up() -> None:
    """Build the tagger in a fresh worker before the first feed arrives."""
    _tagger()


class ParserPool(WorkerPool):
    """Parses feeds on every core, each worker with its tagger built before the first feed."""

    def __init__(self, workers: int | None = None) -> None:
        super().__init__(workers, warm_up=_warm_up, preload=["newsreader.feeds.parse_worker"])
