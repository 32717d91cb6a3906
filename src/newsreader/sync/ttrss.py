"""A client for Tiny Tiny RSS's JSON API (API level 15 and later), over an httpx client the caller owns.

    client = TtRssClient(http, "https://news.example.org/tt-rss/", "ann", password)
    feeds = await client.feeds()
    async for page in client.headlines(since_id=last_seen):
        ...
    await client.mark_read([story.id for story in page])

Every call logs in first if it must, and logs in again once when the server says the session ended
(NOT_LOGGED_IN). Failures are SyncError (see errors.py). The password is held as a Secret and sent only in
the login request's body.

What the API does that a caller must know (seen on tt-rss 21, Debian bookworm's):
- getHeadlines answers at most 200 headlines a call: `headlines()` pages with `skip` and stops on a short page.
- A headline's guid is tt-rss's own digest, '{"ver":2,"uid":N,"hash":"SHA1:<sha1 of the item guid>"}':
  `guid_hash(item_guid)` gives the part that matches a feed item fetched by the reader itself.
- The server cleans every parameter (strips tags, trims spaces), passwords included: a password with '<'
  or with spaces at either end cannot log in through the API.
- The API is off per user until the user (or an admin) turns it on: login answers API_DISABLED.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from newsreader.sync._wire import MAX_RESPONSE_BYTES, Http, post_json, public_url
from newsreader.sync.errors import SyncError, SyncErrorKind
from newsreader.sync.model import (
    RemoteCategory,
    RemoteCounters,
    RemoteFeed,
    RemoteStory,
    Secret,
    SubscribeResult,
    WireStats,
)

log = logging.getLogger("newsreader.sync.ttrss")

#: The server's cap on headlines a call.
PAGE_SIZE = 200
#: Article ids sent in one updateArticle call.
MARK_BATCH = 1000

#: Special feed ids (getHeadlines feed_id).
ALL_ARTICLES = -4
FRESH = -3
STARRED = -1
RECENTLY_READ = -6  #: read in the last 24 hours, the latest read first

#: What subscribeToFeed's status codes mean (2 and up are failures).
_SUBSCRIBE_FAILURES = {
    2: "the address is not a valid URL, or the server refuses to fetch it",
    3: "no feed found at that address",
    4: "that page offers several feeds: subscribe to one of them",
    5: "the server could not download the address",
}


class ViewMode:
    """getHeadlines view_mode values."""

    ALL = "all_articles"
    UNREAD = "unread"
    STARRED = "marked"
    UPDATED = "updated"
    ADAPTIVE = "adaptive"


class ArticleField(IntEnum):
    """updateArticle's field."""

    STARRED = 0
    PUBLISHED = 1
    UNREAD = 2


class TtRssClient:
    """One user's session on one tt-rss server."""

    def __init__(self, http: Http, url: str, user: str, password: str | Secret, *,
                 max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self._http = http
        self.api_url = api_url(url)
        self.user = user
        self._password = password if isinstance(password, Secret) else Secret(password)
        self._max_bytes = max_response_bytes
        self._sid: Secret | None = None
        self._login_lock = asyncio.Lock()
        self.api_level: int | None = None
        self.stats = WireStats()

    def __repr__(self) -> str:
        return f"TtRssClient({public_url(self.api_url)!r}, user={self.user!r})"

    @property
    def _where(self) -> str:
        return f"tt-rss at {public_url(self.api_url)}"

    # ------------------------------------------------------------------------------------------- session

    async def login(self) -> int:
        """Start a session; return the server's API level."""
        async with self._login_lock:
            return await self._login()

    async def _login(self) -> int:
        content = await self._send({"op": "login", "user": self.user, "password": self._password})
        if not isinstance(content, dict) or not isinstance(content.get("session_id"), str):
            raise self._bad("login answered without a session id")
        self._sid = Secret(content["session_id"])
        level = content.get("api_level")
        self.api_level = level if isinstance(level, int) else None
        log.debug("logged in to %s as %s (API level %s)", public_url(self.api_url), self.user, self.api_level)
        return self.api_level or 0

    async def logout(self) -> None:
        if self._sid is not None:
            try:
                await self._call("logout", relogin=False)
            finally:
                self._sid = None

    async def get_api_level(self) -> int:
        content = await self._call("getApiLevel")
        level = _field(content, "level", int, self)
        self.api_level = level
        return level

    # ------------------------------------------------------------------------------------------- reading

    async def categories(self) -> list[RemoteCategory]:
        """The user's categories that hold feeds (not tt-rss's virtual ones: Special, Labels,
        Uncategorized)."""
        content = await self._call("getCategories")
        return [RemoteCategory(id=_int(row.get("id"), self), title=_text(row.get("title")))
                for row in _rows(content, self) if _int(row.get("id"), self) > 0]

    async def feeds(self) -> list[RemoteFeed]:
        """Every subscription (getFeeds cat_id=-3: real feeds only, in every category)."""
        content = await self._call("getFeeds", cat_id=FRESH)
        feeds = []
        for row in _rows(content, self):
            category = row.get("cat_id")
            feeds.append(RemoteFeed(
                id=_int(row.get("id"), self),
                title=_text(row.get("title")),
                url=_text(row.get("feed_url")),
                category_ids=(category,) if isinstance(category, int) and category > 0 else (),
            ))
        return feeds

    async def headlines_page(self, feed_id: int = ALL_ARTICLES, *, skip: int = 0, limit: int = PAGE_SIZE,
                             since_id: int = 0, view_mode: str = ViewMode.ALL, show_content: bool = True,
                             is_cat: bool = False, order_by: str | None = None) -> list[RemoteStory]:
        """One getHeadlines call: at most `limit` (at most 200) stories."""
        params: dict[str, Any] = {
            "feed_id": feed_id, "limit": min(limit, PAGE_SIZE), "skip": skip, "view_mode": view_mode,
            "show_content": show_content, "is_cat": is_cat,
        }
        if since_id:
            params["since_id"] = since_id
        if order_by:
            params["order_by"] = order_by
        content = await self._call("getHeadlines", **params)
        return [self._story(row) for row in _rows(content, self)]

    async def headlines(self, feed_id: int = ALL_ARTICLES, *, since_id: int = 0,
                        view_mode: str = ViewMode.ALL, show_content: bool = True, is_cat: bool = False,
                        page_size: int = PAGE_SIZE) -> AsyncIterator[list[RemoteStory]]:
        """Every matching story, a page (one call) at a time, newest first; `since_id`: only stories with a
        larger id (what arrived since the last sync).

        tt-rss's own order (newest arrival first) is the one `skip` paging survives: a story the updater
        adds during the sync lands on top and pushes what follows one place down, so a story is seen
        twice (and given once), never missed; the updater's purge removes the oldest, at the far end.
        Oldest first ("date_reverse") would lose a story for every one purged from the pages already read.
        """
        page_size = min(page_size, PAGE_SIZE)
        seen: set[int] = set()
        skip = 0
        while True:
            page = await self.headlines_page(feed_id, skip=skip, limit=page_size, since_id=since_id,
                                             view_mode=view_mode, show_content=show_content, is_cat=is_cat)
            skip += len(page)
            fresh = [story for story in page if story.id not in seen]
            seen.update(story.id for story in fresh)
            if fresh:
                yield fresh
            if len(page) < page_size:
                return

    async def articles(self, ids: Iterable[int]) -> list[RemoteStory]:
        """These stories as the server has them now (those it still has), PAGE_SIZE a call (getArticle)."""
        ids = [int(i) for i in ids]
        stories = []
        for start in range(0, len(ids), PAGE_SIZE):
            batch = ids[start:start + PAGE_SIZE]
            content = await self._call("getArticle", article_id=",".join(map(str, batch)))
            stories += [self._story(row) for row in _rows(content, self)]
        return stories

    async def unread_count(self) -> int:
        """How many stories are unread, over every feed (getUnread: one number, cheaper than getCounters)."""
        content = await self._call("getUnread")
        value = content.get("unread") if isinstance(content, dict) else None
        return _int(value, self)

    async def counters(self) -> RemoteCounters:
        """Unread counts: all, per feed, per category (getCounters)."""
        content = await self._call("getCounters")
        unread = starred = 0
        feeds: dict[int, int] = {}
        categories: dict[int, int] = {}
        for row in _rows(content, self):
            key, count, kind = row.get("id"), row.get("counter"), row.get("kind")
            count = count if isinstance(count, int) else 0
            if key == "global-unread":
                unread = count
            elif kind == "cat" and isinstance(key, int):
                categories[key] = count
            elif kind is None and isinstance(key, int) and key > 0:
                feeds[key] = count
            elif kind is None and key == STARRED:
                auxcounter = row.get("auxcounter")
                starred = auxcounter if isinstance(auxcounter, int) else 0
        return RemoteCounters(unread=unread, feeds=feeds, categories=categories, starred=starred)

    # ------------------------------------------------------------------------------------------- writing

    async def update_articles(self, ids: Iterable[int], field: ArticleField, value: bool) -> int:
        """Set one flag on stories; return how many rows the server changed (0 for a story already so)."""
        ids = [int(i) for i in ids]
        updated = 0
        for start in range(0, len(ids), MARK_BATCH):
            batch = ids[start:start + MARK_BATCH]
            content = await self._call("updateArticle", article_ids=",".join(map(str, batch)),
                                       field=int(field), mode=1 if value else 0)
            count = content.get("updated") if isinstance(content, dict) else None
            updated += count if isinstance(count, int) else 0
        return updated

    async def mark_read(self, ids: Iterable[int], read: bool = True) -> int:
        return await self.update_articles(ids, ArticleField.UNREAD, not read)

    async def mark_starred(self, ids: Iterable[int], starred: bool = True) -> int:
        return await self.update_articles(ids, ArticleField.STARRED, starred)

    async def subscribe(self, url: str, category_id: int = 0) -> SubscribeResult:
        """Subscribe on the server; the server fetches the feed on its own schedule (its updater)."""
        content = await self._call("subscribeToFeed", feed_url=url, category_id=category_id)
        status = content.get("status") if isinstance(content, dict) else None
        if not isinstance(status, dict):
            status = {}
        code = status.get("code")
        if code in (0, 1) and isinstance(status.get("feed_id"), int):
            return SubscribeResult(feed_id=status["feed_id"], already_subscribed=code == 0)
        if code in _SUBSCRIBE_FAILURES:
            message = status.get("message")
            raise SyncError(SyncErrorKind.REJECTED, f"{self._where}: could not subscribe to {url}: "
                            f"{_SUBSCRIBE_FAILURES[code]}", detail=message if isinstance(message, str) else None)
        raise self._bad("subscribeToFeed answered with no status code")

    async def unsubscribe(self, feed_id: int) -> None:
        await self._call("unsubscribeFeed", feed_id=feed_id)

    # ------------------------------------------------------------------------------------------- the wire

    async def _call(self, op: str, *, relogin: bool = True, **params: Any) -> Any:
        if self._sid is None:
            await self._ensure_login(None)
        sid = self._sid
        try:
            return await self._send({"op": op, "sid": sid, **params})
        except SyncError as error:
            if not relogin or error.detail != "NOT_LOGGED_IN":
                raise
        log.debug("tt-rss session ended; logging in again")
        await self._ensure_login(sid)
        try:
            return await self._send({"op": op, "sid": self._sid, **params})
        except SyncError as error:
            if error.detail != "NOT_LOGGED_IN":
                raise
        raise SyncError(SyncErrorKind.LOGIN_REFUSED,
                        f"{self._where}: the server ends every session at once (logged in, then NOT_LOGGED_IN)",
                        detail="NOT_LOGGED_IN")

    async def _ensure_login(self, expired: Secret | None) -> None:
        async with self._login_lock:
            if self._sid is None or self._sid is expired:  # else another call logged in meanwhile
                await self._login()

    async def _send(self, payload: dict[str, Any]) -> Any:
        op = payload["op"]
        status, answer = await post_json(
            self._http, self.api_url, where=self._where, stats=self.stats, body=lambda: _encode(payload),
            content_type="application/json", max_bytes=self._max_bytes)
        if status >= 400:
            raise SyncError(SyncErrorKind.HTTP_STATUS, f"{self._where}: HTTP {status}", status=status)
        if not isinstance(answer, dict) or "status" not in answer or "content" not in answer:
            raise self._bad("the answer is JSON but not tt-rss's")
        if answer["status"] == 0:
            return answer["content"]
        content = answer["content"]
        error = content.get("error") if isinstance(content, dict) else None
        error = error if isinstance(error, str) else "?"
        if error == "LOGIN_ERROR":
            raise SyncError(SyncErrorKind.LOGIN_REFUSED,
                            f"{self._where}: login refused for {self.user!r} (wrong user or password)",
                            detail=error)
        if error == "API_DISABLED":
            raise SyncError(SyncErrorKind.API_DISABLED,
                            f"{self._where}: the API is disabled for {self.user!r} "
                            "(turn on 'Enable API' in the user's tt-rss preferences)", detail=error)
        if error == "NOT_LOGGED_IN":  # _call logs in again and repeats the call
            raise SyncError(SyncErrorKind.LOGIN_REFUSED, f"{self._where}: not logged in", detail=error)
        raise SyncError(SyncErrorKind.REJECTED, f"{self._where}: {op} failed ({error[:80]})", detail=error)

    def _story(self, row: dict[str, Any]) -> RemoteStory:
        updated = row.get("updated")
        published = None
        if isinstance(updated, int) and not isinstance(updated, bool) and updated > 0:
            try:
                published = datetime.fromtimestamp(updated, UTC)
            except (OverflowError, OSError, ValueError):
                published = None
        guid = row.get("guid")
        tags = row.get("tags")
        return RemoteStory(
            id=_int(row.get("id"), self),
            feed_id=_int(row.get("feed_id") or 0, self),
            guid=guid if isinstance(guid, str) else None,
            link=_text(row.get("link")),
            title=_text(row.get("title")),
            author=_text(row.get("author")),
            published=published,
            content=_text(row.get("content")),
            read=not bool(row.get("unread")),
            starred=bool(row.get("marked")),
            tags=tuple(tag for tag in tags if isinstance(tag, str) and tag) if isinstance(tags, list) else (),
        )

    def _bad(self, what: str) -> SyncError:
        return SyncError(SyncErrorKind.BAD_RESPONSE, f"{self._where}: {what}")


def api_url(url: str) -> str:
    """The API endpoint for a tt-rss address: 'https://host/tt-rss/' and '.../tt-rss/api/' alike."""
    base = url.strip()
    if not base.endswith("/"):
        base += "/"
    return base if base.endswith("/api/") else base + "api/"


def guid_hash(item_guid: str) -> str:
    """tt-rss's digest of a feed item's guid, as in the "hash" of a headline's guid: 'SHA1:<hex>'."""
    return "SHA1:" + hashlib.sha1(item_guid.encode("utf-8")).hexdigest()


def guid_hash_of(server_guid: str | None) -> str | None:
    """The "hash" part of a headline's guid ('{"ver":2,"uid":N,"hash":"SHA1:..."}'), or None."""
    if not server_guid:
        return None
    try:
        parsed = json.loads(server_guid)
    except ValueError:
        return None
    value = parsed.get("hash") if isinstance(parsed, dict) else None
    return value if isinstance(value, str) else None


def _encode(payload: dict[str, Any]) -> bytes:
    """The request body; Secrets are revealed here and nowhere else."""
    return json.dumps({key: value.reveal() if isinstance(value, Secret) else value
                       for key, value in payload.items()}).encode("utf-8")


def _rows(content: Any, client: TtRssClient) -> list[dict[str, Any]]:
    if not isinstance(content, list) or not all(isinstance(row, dict) for row in content):
        raise client._bad("expected a list of objects")
    return content


def _int(value: Any, client: TtRssClient) -> int:
    # tt-rss sends some ids as strings ("feed_id": "5" on older servers).
    if isinstance(value, bool):
        raise client._bad(f"expected a number, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise client._bad(f"expected a number, got {str(value)[:40]!r}")


def _field(content: Any, name: str, kind: type, client: TtRssClient) -> Any:
    value = content.get(name) if isinstance(content, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise client._bad(f"no {name} in the answer")
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
