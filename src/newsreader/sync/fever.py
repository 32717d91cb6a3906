"""A client for the Fever API (FreshRSS, Miniflux, coldsweat and others), over an httpx client the caller
owns.

    client = FeverClient(http, "https://rss.example.org/api/fever.php", "ann", password)
    async for page in client.items(since_id=last_seen):
        ...
    await client.mark_read(story.id)

Fever has no sessions: every request carries api_key = md5("user:password"), which is as good as the
password and is held as a Secret like it. Every answer says whether the key was accepted ("auth"); a refused
key is LOGIN_REFUSED. Fever cannot subscribe or unsubscribe: `subscribe()` and `unsubscribe()` raise
UNSUPPORTED with a line saying so.

What the API does that a caller must know:
- `items` answers at most 50 items a call; `items()` pages with since_id (the largest id seen) until an
  empty page.
- Commands and their arguments travel in the query string (?api&items&since_id=N), the key and the mark
  arguments in the POST body: coldsweat reads since_id/max_id/with_ids from the query string only.
- Ids may arrive as numbers or as strings (FreshRSS); the id lists are comma-separated strings.
- Fever has no "API disabled": a server with the API off either refuses the key or does not answer at the
  address (BAD_RESPONSE or HTTP_STATUS).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from newsreader.sync._wire import MAX_RESPONSE_BYTES, Http, post_json, public_url
from newsreader.sync.errors import SyncError, SyncErrorKind
from newsreader.sync.model import RemoteCategory, RemoteFeed, RemoteStory, Secret, SubscribeResult, WireStats

log = logging.getLogger("newsreader.sync.fever")

#: The protocol's cap on items a call (and on ids in with_ids).
PAGE_SIZE = 50

CANNOT_SUBSCRIBE = ("the Fever API cannot subscribe or unsubscribe: add or remove the feed on the "
                    "server's own web page, then sync")


class FeverClient:
    """One user's access to one Fever endpoint."""

    def __init__(self, http: Http, url: str, user: str, password: str | Secret, *,
                 max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self._http = http
        self.url = url.strip()
        self.user = user
        secret = password.reveal() if isinstance(password, Secret) else password
        self._api_key = Secret(api_key(user, secret))
        self._max_bytes = max_response_bytes
        self.api_version: int | None = None
        self.stats = WireStats()

    def __repr__(self) -> str:
        return f"FeverClient({public_url(self.url)!r}, user={self.user!r})"

    @property
    def _where(self) -> str:
        return f"Fever API at {public_url(self.url)}"

    async def login(self) -> int:
        """Check the key; return the server's API version. (Fever has no session: nothing is kept.)"""
        await self._call()
        return self.api_version or 0

    # ------------------------------------------------------------------------------------------- reading

    async def groups(self) -> list[RemoteCategory]:
        answer = await self._call("groups")
        return [RemoteCategory(id=self._id(row.get("id")), title=_text(row.get("title")))
                for row in self._rows(answer, "groups")]

    async def feeds(self) -> list[RemoteFeed]:
        """Every subscription, with the groups each is in (feeds_groups)."""
        answer = await self._call("feeds")
        groups_of: dict[int, list[int]] = {}
        for row in self._rows(answer, "feeds_groups", required=False):
            group = self._id(row.get("group_id"))
            for feed_id in self._ids(row.get("feed_ids")):
                groups_of.setdefault(feed_id, []).append(group)
        feeds = []
        for row in self._rows(answer, "feeds"):
            feed_id = self._id(row.get("id"))
            site = row.get("site_url")
            feeds.append(RemoteFeed(id=feed_id, title=_text(row.get("title")), url=_text(row.get("url")),
                                    site_url=site if isinstance(site, str) and site else None,
                                    category_ids=tuple(groups_of.get(feed_id, ()))))
        return feeds

    async def items_page(self, *, since_id: int | None = None, max_id: int | None = None,
                         with_ids: Iterable[int] | None = None) -> list[RemoteStory]:
        """One items call (at most 50): after since_id, before max_id, or exactly with_ids (at most 50)."""
        args: dict[str, str] = {}
        if since_id is not None:
            args["since_id"] = str(int(since_id))
        if max_id is not None:
            args["max_id"] = str(int(max_id))
        if with_ids is not None:
            ids = [int(i) for i in with_ids]
            if len(ids) > PAGE_SIZE:
                raise ValueError(f"with_ids takes at most {PAGE_SIZE} ids")
            args["with_ids"] = ",".join(map(str, ids))
        answer = await self._call("items", **args)  # type: ignore[arg-type]  # mypy reads **args against form=
        return [self._story(row) for row in self._rows(answer, "items", required=False)]

    async def items(self, *, since_id: int = 0) -> AsyncIterator[list[RemoteStory]]:
        """Every item with an id above since_id, a page (one call) at a time, until the server has no more."""
        while True:
            page = await self.items_page(since_id=since_id)
            fresh = [story for story in page if story.id > since_id]
            if not fresh:
                return
            yield fresh
            since_id = max(story.id for story in fresh)

    async def items_with_ids(self, ids: Iterable[int]) -> AsyncIterator[list[RemoteStory]]:
        """The items with these ids (those the server still has), 50 a call."""
        ids = list(ids)
        for start in range(0, len(ids), PAGE_SIZE):
            page = await self.items_page(with_ids=ids[start:start + PAGE_SIZE])
            if page:
                yield page

    async def unread_item_ids(self) -> set[int]:
        answer = await self._call("unread_item_ids")
        return set(self._ids(answer.get("unread_item_ids")))

    async def saved_item_ids(self) -> set[int]:
        answer = await self._call("saved_item_ids")
        return set(self._ids(answer.get("saved_item_ids")))

    # ------------------------------------------------------------------------------------------- writing

    async def mark_item(self, item_id: int, state: str) -> None:
        """mark=item&as=read|unread|saved|unsaved ('unread' is not in the Fever spec, but every server
        that matters takes it)."""
        if state not in ("read", "unread", "saved", "unsaved"):
            raise ValueError(f"a Fever item is marked read, unread, saved or unsaved, not {state!r}")
        await self._call(form={"mark": "item", "as": state, "id": str(int(item_id))})

    async def mark_read(self, item_id: int, read: bool = True) -> None:
        await self.mark_item(item_id, "read" if read else "unread")

    async def mark_saved(self, item_id: int, saved: bool = True) -> None:
        await self.mark_item(item_id, "saved" if saved else "unsaved")

    async def subscribe(self, url: str, category_id: int = 0) -> SubscribeResult:
        raise SyncError(SyncErrorKind.UNSUPPORTED, f"{self._where}: {CANNOT_SUBSCRIBE}")

    async def unsubscribe(self, feed_id: int) -> None:
        raise SyncError(SyncErrorKind.UNSUPPORTED, f"{self._where}: {CANNOT_SUBSCRIBE}")

    # ------------------------------------------------------------------------------------------- the wire

    async def _call(self, command: str | None = None, *, form: dict[str, str] | None = None,
                    **args: str) -> dict[str, Any]:
        query = "api" + (f"&{command}" if command else "") + (f"&{urlencode(args, safe=',')}" if args else "")
        separator = "&" if "?" in self.url else "?"
        status, answer = await post_json(
            self._http, f"{self.url}{separator}{query}", where=self._where, stats=self.stats,
            body=lambda: urlencode({"api_key": self._api_key.reveal(), **(form or {})}).encode("ascii"),
            content_type="application/x-www-form-urlencoded", max_bytes=self._max_bytes)
        if not isinstance(answer, dict) or "auth" not in answer:
            if status >= 400:
                raise SyncError(SyncErrorKind.HTTP_STATUS, f"{self._where}: HTTP {status}", status=status)
            raise self._bad("the answer is JSON but not Fever's (no 'auth')")
        if answer.get("auth") != 1:
            raise SyncError(SyncErrorKind.LOGIN_REFUSED,
                            f"{self._where}: login refused for {self.user!r} (wrong user or password)")
        if status >= 400:
            raise SyncError(SyncErrorKind.HTTP_STATUS, f"{self._where}: HTTP {status}", status=status)
        version = answer.get("api_version")
        self.api_version = version if isinstance(version, int) else self.api_version
        return answer

    def _story(self, row: dict[str, Any]) -> RemoteStory:
        created = row.get("created_on_time")
        published = None
        if isinstance(created, str) and created.isdigit():
            created = int(created)
        if isinstance(created, int) and not isinstance(created, bool) and created > 0:
            try:
                published = datetime.fromtimestamp(created, UTC)
            except (OverflowError, OSError, ValueError):
                published = None
        return RemoteStory(
            id=self._id(row.get("id")),
            feed_id=self._id(row.get("feed_id")),
            guid=None,
            link=_text(row.get("url")),
            title=_text(row.get("title")),
            author=_text(row.get("author")),
            published=published,
            content=_text(row.get("html")),
            read=_flag(row.get("is_read")),
            starred=_flag(row.get("is_saved")),
        )

    def _rows(self, answer: dict[str, Any], key: str, *, required: bool = True) -> list[dict[str, Any]]:
        rows = answer.get(key)
        if rows is None and not required:
            return []
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise self._bad(f"no list of {key} in the answer")
        return rows

    def _id(self, value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise self._bad(f"expected an id, got {str(value)[:40]!r}")

    def _ids(self, value: Any) -> list[int]:
        """'1,2,3' (or a list, or a lone number) as ids; an empty string is no ids."""
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return [self._id(v) for v in value]
        if isinstance(value, int):
            return [self._id(value)]
        if isinstance(value, str):
            return [self._id(part) for part in value.split(",") if part.strip()]
        raise self._bad(f"expected a list of ids, got {str(value)[:40]!r}")

    def _bad(self, what: str) -> SyncError:
        return SyncError(SyncErrorKind.BAD_RESPONSE, f"{self._where}: {what}")


def api_key(user: str, password: str) -> str:
    """Fever's key: md5 of "user:password" (UTF-8), in hex."""
    return hashlib.md5(f"{user}:{password}".encode()).hexdigest()


def _flag(value: Any) -> bool:
    return value in (1, True, "1", "true")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
