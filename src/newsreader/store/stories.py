"""Reading stories by filter (a page of headers, counts, one story) and changing their flags."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from newsreader.model import Counts, Story, StoryFilter, StoryHeader
from newsreader.store.database import Database, from_epoch, split_codes, split_regions, to_datetime

_STORY_COLUMNS = (
    "s.id, s.feed_id, f.name AS feed_name, s.title, s.link, s.author, s.published, s.updated, s.fetched_at, "
    "s.summary, s.read, s.starred, s.countries, s.mentions, s.regions, s.text, s.text_source, s.sort_at, "
    # A subquery, not a join, so every FROM clause that reads stories can use these columns as they are.
    "(SELECT ft.error FROM story_fulltext ft WHERE ft.story_id = s.id AND ft.status != 'ok') AS fulltext_error, "
    "s.cluster_id, s.language, (SELECT count(*) FROM stories c WHERE c.cluster_id = s.cluster_id) AS cluster_size"
)
_HEADER_COLUMNS = "s.id, f.name AS feed_name, s.title, s.sort_at, s.read, s.starred, s.countries, s.cluster_id"


@dataclass(frozen=True, slots=True)
class Retention:
    """What one retention pass deleted."""

    expired: int = 0  #: older than keep_days
    over_cap: int = 0  #: read stories beyond a feed's max_stories

    @property
    def total(self) -> int:
        return self.expired + self.over_cap


def fts_query(text: str, *, prefix: bool = True) -> str | None:
    """A user's words as a safe FTS5 query: every word must appear; "quoted phrases" kept; the last word
    matches as a prefix, so results update usefully while typing. None when there is nothing to search."""
    terms: list[str] = []
    in_quote = False
    for chunk in text.split('"'):
        if in_quote:
            words = chunk.split()
            if words:
                terms.append('"' + " ".join(words).replace('"', '""') + '"')
        else:
            for word in chunk.split():
                cleaned = word.strip("*^:()+-{}[],.;!?'")
                if cleaned:
                    terms.append('"' + cleaned.replace('"', '""') + '"')
        in_quote = not in_quote
    if not terms:
        return None
    if prefix and not text.rstrip().endswith(('"', " ")) and terms[-1].count(" ") == 0:
        terms[-1] += "*"
    return " ".join(terms)


class StoriesTable(Database):

    def _where(self, story_filter: StoryFilter, *, skip: Iterable[str] = (), walk: bool = False) -> tuple[str, list[object]]:
        """SQL for the filter. `walk`: the query walks stories in time order and stops early (a page), so a
        place is tested story by story instead of listing all its stories first (60 ms for a big region)."""
        clauses: list[str] = []
        params: list[object] = []
        f = story_filter
        skip = set(skip)
        if f.feed and "feed" not in skip:
            clauses.append("s.feed_id IN (SELECT id FROM feeds WHERE name = ? COLLATE NOCASE OR url = ?)")
            params += [f.feed, f.feed]
        if f.search and "search" not in skip and (query := fts_query(f.search)):
            clauses.append("s.id IN (SELECT rowid FROM stories_fts WHERE stories_fts MATCH ?)")
            params.append(query)
        if f.since and "since" not in skip:
            clauses.append("s.sort_at >= ?")
            params.append(f.since.timestamp())
        if f.unread and "unread" not in skip:
            clauses.append("s.read = 0")
        if f.starred and "starred" not in skip:
            clauses.append("s.starred = 1")
        if f.country and "country" not in skip:
            kinds = "('c', 'm')" if f.include_mentions else "('c')"
            if walk:
                clauses.append(f"EXISTS (SELECT 1 FROM story_places WHERE place = ? AND kind IN {kinds} AND story_id = s.id)")
            else:
                clauses.append(f"s.id IN (SELECT story_id FROM story_places WHERE place = ? AND kind IN {kinds})")
            params.append(f.country)
        if f.region and "region" not in skip:
            if walk:
                clauses.append("EXISTS (SELECT 1 FROM story_places WHERE place = ? AND kind = 'r' AND story_id = s.id)")
            else:
                clauses.append("s.id IN (SELECT story_id FROM story_places WHERE place = ? AND kind = 'r')")
            params.append(f.region)
        if f.fulltext_missing and "fulltext_missing" not in skip:
            clauses.append("(s.text_source != 'article' OR s.text = '')")
        return (" AND ".join(clauses) or "1"), params

    def stories(self, story_filter: StoryFilter = StoryFilter(), *, limit: int | None = None, offset: int = 0) -> list[Story]:
        """Stories matching the filter, newest first."""
        where, params = self._where(story_filter)
        sql = (
            f"SELECT {_STORY_COLUMNS} FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE {where} "
            "ORDER BY s.sort_at DESC, s.id DESC LIMIT ? OFFSET ?"
        )
        return [_story(row) for row in self._read(sql, [*params, -1 if limit is None else limit, offset])]

    def headers(self, story_filter: StoryFilter = StoryFilter(), *, limit: int = 100, offset: int = 0) -> list[StoryHeader]:
        """One page of the list: just what a row shows."""
        where, params = self._where(story_filter, walk=True)
        # The page is chosen on the slim time-ordered index (it holds every column a filter tests), and only
        # its rows are read from the wide table: a page costs the same at 100 stories or 100,000.
        sql = (
            f"SELECT {_HEADER_COLUMNS} FROM (SELECT s.id FROM stories s INDEXED BY stories_list WHERE {where} "
            "ORDER BY s.sort_at DESC, s.id DESC LIMIT ? OFFSET ?) AS page "
            "JOIN stories s ON s.id = page.id JOIN feeds f ON f.id = s.feed_id ORDER BY s.sort_at DESC, s.id DESC"
        )
        return [
            _header(r) for r in self._read(sql, [*params, limit, offset])
        ]

    def iter_stories(self, story_filter: StoryFilter = StoryFilter(), *, batch: int = 500) -> Iterator[Story]:
        """Every story matching the filter, newest first, read a batch at a time (for exports of any size).

        Pages follow the last row seen, not an offset, so a fetch adding stories meanwhile shifts nothing.
        """
        where, params = self._where(story_filter)
        after: tuple[float, int] | None = None
        while True:
            page_where, page_params = where, list(params)
            if after is not None:
                page_where += " AND (s.sort_at < ? OR (s.sort_at = ? AND s.id < ?))"
                page_params += [after[0], after[0], after[1]]
            rows = self._read(
                f"SELECT {_STORY_COLUMNS} FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE {page_where} "
                "ORDER BY s.sort_at DESC, s.id DESC LIMIT ?",
                [*page_params, batch],
            )
            for row in rows:
                yield _story(row)
            if len(rows) < batch:
                return
            after = (rows[-1]["sort_at"], rows[-1]["id"])

    def position(self, story_filter: StoryFilter, story_id: int) -> int | None:
        """Where a story sits in `headers(story_filter)` (0 = newest); None if it does not match the filter."""
        where, params = self._where(story_filter)
        found = self._read(f"SELECT s.sort_at FROM stories s WHERE s.id = ? AND {where}", [story_id, *params])
        if not found:
            return None
        sort_at = found[0][0]
        return self._read(
            f"SELECT count(*) FROM stories s WHERE {where} AND (s.sort_at > ? OR (s.sort_at = ? AND s.id > ?))",
            [*params, sort_at, sort_at, story_id],
        )[0][0]

    def story_ids(self, story_filter: StoryFilter = StoryFilter()) -> list[int]:
        where, params = self._where(story_filter)
        sql = f"SELECT s.id FROM stories s WHERE {where} ORDER BY s.sort_at DESC, s.id DESC"
        return [row[0] for row in self._read(sql, params)]

    def story(self, story_id: int) -> Story | None:
        rows = self._read(f"SELECT {_STORY_COLUMNS} FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE s.id = ?", (story_id,))
        return _story(rows[0]) if rows else None

    def count(self, story_filter: StoryFilter = StoryFilter()) -> Counts:
        where, params = self._where(story_filter)
        # The slim by-id index: a count reads a few bytes per matching story, never the wide rows.
        total, unread = self._read(
            f"SELECT count(*), coalesce(sum(s.read = 0), 0) FROM stories s INDEXED BY stories_flags WHERE {where}", params
        )[0]
        return Counts(total, unread)

    def place_counts(self, kind: str, story_filter: StoryFilter = StoryFilter()) -> dict[str, Counts]:
        """Story and unread counts per country (kind "country") or region (kind "region"), under the other filters."""
        code, skip = {"country": ("c", "country"), "region": ("r", "region")}[kind]
        where, params = self._where(story_filter, skip=[skip])
        rows = self._read(
            f"SELECT p.place, count(*), coalesce(sum(s.read = 0), 0) FROM story_places p "
            f"JOIN stories s INDEXED BY stories_flags ON s.id = p.story_id "
            f"WHERE p.kind = ? AND {where} GROUP BY p.place",
            [code, *params],
        )
        return {place: Counts(total, unread) for place, total, unread in rows}

    def feed_counts(self, story_filter: StoryFilter = StoryFilter()) -> dict[str, Counts]:
        where, params = self._where(story_filter, skip=["feed"])
        rows = self._read(
            f"SELECT f.name, count(s.id), coalesce(sum(s.read = 0), 0) FROM stories s INDEXED BY stories_flags "
            f"JOIN feeds f ON f.id = s.feed_id "
            f"WHERE {where} GROUP BY f.id",
            params,
        )
        return {name: Counts(total, unread) for name, total, unread in rows}

    # -- changing stories ----------------------------------------------------------------------------

    def neighbour(self, story_filter: StoryFilter, story_id: int | None, *, forward: bool = True,
                  unread: bool = False) -> StoryHeader | None:
        """The story after (older than; `forward`) or before `story_id` in `headers(story_filter)`, the next
        unread one with `unread`; from the top (or the bottom) when `story_id` is None."""
        where, params = self._where(story_filter.but(unread=story_filter.unread or unread), walk=True)
        order = "DESC" if forward else "ASC"
        if story_id is not None:
            found = self._read("SELECT sort_at FROM stories WHERE id = ?", (story_id,))
            if not found:
                return None
            sort_at = found[0]["sort_at"]
            sign = "<" if forward else ">"
            where += f" AND (s.sort_at {sign} ? OR (s.sort_at = ? AND s.id {sign} ?))"
            params += [sort_at, sort_at, story_id]
        rows = self._read(
            f"SELECT {_HEADER_COLUMNS} FROM stories s INDEXED BY stories_list JOIN feeds f ON f.id = s.feed_id "
            f"WHERE {where} ORDER BY s.sort_at {order}, s.id {order} LIMIT 1",
            params,
        )
        return _header(rows[0]) if rows else None

    def set_read(self, story_ids: Sequence[int], read: bool = True) -> None:
        with self._write() as db:
            db.executemany("UPDATE stories SET read = ? WHERE id = ?", [(int(read), i) for i in story_ids])

    def set_read_matching(self, story_filter: StoryFilter, read: bool = True) -> int:
        """Mark every story the filter lets through read (or unread), in one transaction; returns how many
        changed."""
        where, params = self._where(story_filter)
        with self._write() as db:
            return db.execute(f"UPDATE stories SET read = ? WHERE id IN (SELECT s.id FROM stories s WHERE {where}) "
                              "AND read != ?", [int(read), *params, int(read)]).rowcount

    def set_starred(self, story_id: int, starred: bool = True) -> None:
        with self._write() as db:
            db.execute("UPDATE stories SET starred = ? WHERE id = ?", (int(starred), story_id))

    def delete_older_than(self, days: float, *, now: float | None = None) -> int:
        """Delete stories older than `days`, never starred ones (rule 1 of `apply_retention`). Returns how many went."""
        return self.apply_retention(days, now=now).total

    def apply_retention(self, keep_days: float, max_stories: Mapping[str, int] | None = None, *,
                        now: float | None = None) -> Retention:
        """Delete what the retention rules let go, in one transaction. Starred stories always stay.

        1. A story older than `keep_days` goes, read or not. Its age runs from its date or from when it
           was first fetched, whichever is later: an old story arriving in a feed today would otherwise be
           stored and deleted again on every fetch.
        2. A feed with a `max_stories` cap (feed url -> N) keeps its newest N stories, counting every
           story; beyond them read stories go, while unread ones stay until rule 1 takes them.
        """
        cutoff = (now if now is not None else time.time()) - keep_days * 86400
        over_cap = 0
        with self._write() as db:
            expired = db.execute(
                "DELETE FROM stories WHERE sort_at < ? AND fetched_at < ? AND starred = 0", (cutoff, cutoff)
            ).rowcount
            for url, cap in (max_stories or {}).items():
                over_cap += db.execute(
                    "DELETE FROM stories WHERE id IN ("
                    " SELECT id FROM (SELECT s.id, s.read, s.starred, "
                    "  row_number() OVER (ORDER BY s.sort_at DESC, s.id DESC) AS rank "
                    "  FROM stories s WHERE s.feed_id = (SELECT id FROM feeds WHERE url = ?)) "
                    " WHERE rank > ? AND read = 1 AND starred = 0)",
                    (url, cap),
                ).rowcount
        return Retention(expired=expired, over_cap=over_cap)

    def total_stories(self) -> int:
        return self._read("SELECT count(*) FROM stories")[0][0]


def _story(r: sqlite3.Row) -> Story:
    return Story(
        id=r["id"], feed_id=r["feed_id"], feed=r["feed_name"], title=r["title"], link=r["link"], author=r["author"],
        published=from_epoch(r["published"]), updated=from_epoch(r["updated"]),
        fetched_at=to_datetime(r["fetched_at"]), summary=r["summary"], read=bool(r["read"]),
        starred=bool(r["starred"]), countries=split_codes(r["countries"]), mentions=split_codes(r["mentions"]),
        regions=split_regions(r["regions"]), text=r["text"], text_source=r["text_source"],
        fulltext_error=r["fulltext_error"], cluster_id=r["cluster_id"], cluster_size=max(1, r["cluster_size"]),
        language=r["language"],
    )


def _header(r: sqlite3.Row) -> StoryHeader:
    return StoryHeader(id=r["id"], feed=r["feed_name"], title=r["title"], when=to_datetime(r["sort_at"]),
                       read=bool(r["read"]), starred=bool(r["starred"]), countries=split_codes(r["countries"]),
                       cluster=r["cluster_id"] if r["cluster_id"] is not None else r["id"])
