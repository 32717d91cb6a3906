"""What a sync server holds, as plain frozen values: the same for tt-rss and Fever.

Every string in here is the server's (and so the feed's) text, unchecked: titles, authors, links and HTML
content are hostile. Nothing here interprets them; the caller sanitises and shows them literally, as it does
any feed's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RemoteCategory:
    """A tt-rss category or a Fever group: what the reader turns into a tag."""

    id: int  #: the server's id
    title: str


@dataclass(frozen=True, slots=True)
class RemoteFeed:
    """One subscription on the server."""

    id: int  #: the server's id (RemoteStory.feed_id refers to it)
    title: str
    url: str  #: the feed's own URL
    site_url: str | None = None  #: the site's home page (Fever gives it; tt-rss's API does not)
    category_ids: tuple[int, ...] = ()  #: tt-rss: its one category, or none; Fever: every group it is in


@dataclass(frozen=True, slots=True)
class RemoteStory:
    """One story as the server has it, with this user's read and starred state."""

    id: int  #: the server's id (tt-rss article id, Fever item id): what mark calls take
    feed_id: int  #: a RemoteFeed.id
    guid: str | None  #: tt-rss: its digest of the item's guid (see ttrss.guid_hash); Fever has none
    link: str
    title: str
    author: str
    published: datetime | None  #: UTC; None when the server gave no usable time
    content: str  #: HTML as the server gives it (tt-rss sanitises by its own rules; Fever does not)
    read: bool
    starred: bool  #: tt-rss "marked", Fever "saved"
    tags: tuple[str, ...] = ()  #: the item's own categories (tt-rss's tags; Fever gives none)


@dataclass(frozen=True, slots=True)
class RemoteCounters:
    """Unread counts as the server counts them (tt-rss getCounters)."""

    unread: int  #: all unread stories
    feeds: Mapping[int, int] = field(default_factory=dict)  #: RemoteFeed.id -> unread
    categories: Mapping[int, int] = field(default_factory=dict)  #: RemoteCategory.id -> unread (0: none)
    starred: int = 0


@dataclass(frozen=True, slots=True)
class SubscribeResult:
    feed_id: int  #: the RemoteFeed.id of the subscription
    already_subscribed: bool = False


@dataclass(slots=True)
class WireStats:
    """What a client spent on the wire, summed over its requests (for benchmarks and progress lines)."""

    requests: int = 0
    seconds: float = 0.0  #: from sending a request to having its whole answer
    bytes: int = 0  #: response bodies, as received


class Secret:
    """A password or key that stays out of every repr, str, and so every log line and traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self):
        # A Secret never travels: pickling one would write the password into the pickle.
        raise TypeError("a Secret cannot be pickled")
