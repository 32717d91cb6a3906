"""Story clusters in the cache: what the clustering stage reads and writes, and the list grouped by cluster.

A story's `cluster_id` is the id of the story that started its cluster (NULL until the clustering stage has
placed it: such a story counts as alone). The grouped list is a query shape, not a pass over the stories:
it walks the stories newest first on the list's slim index, as the plain list does, and keeps each that no
newer story of its cluster passing the same filter follows, so a page of clusters costs about what a page
of stories costs, and a cluster shows under a filter when any of its stories passes it.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsreader.model import Counts, StoryFilter, StoryHeader
from newsreader.store.database import Database, split_codes, to_datetime

#: `_where` writes its clauses for the alias `s`; the grouped queries test them on other rows too.
_ALIAS = re.compile(r"\bs\.")


@dataclass(frozen=True, slots=True)
class ClusterInput:
    """A story as the clustering stage reads it."""

    id: int
    feed_id: int
    feed_url: str
    title: str
    summary: str
    sort_at: float  #: its place in the stream: published, never later than first fetched
    language: str | None  #: the story's, once clustered
    feed_language: str | None  #: what its feed declares
    countries: tuple[str, ...]
    cluster_id: int | None


@dataclass(frozen=True, slots=True)
class ClusterMark:
    """The clustering stage's bookmark in the cache: changes with every run that places stories."""

    token: str
    clock: float  #: the latest publication time the clusterer had seen


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One story of a cluster, as "the same story elsewhere" lists it."""

    id: int
    feed: str
    feed_url: str
    feed_language: str | None
    title: str
    sort_at: float
    language: str | None
    read: bool


#: From this row of the grouped list on, a page is chosen by SQL alone (see cluster_headers).
DEEP_OFFSET = 1000


def _as(where: str, alias: str) -> str:
    return _ALIAS.sub(f"{alias}.", where)


class ClustersTable(Database):
    """The cluster columns of stories, cluster_state, and the grouped list."""

    if TYPE_CHECKING:  # StoriesTable's, beside this mixin in Store
        def _where(self, story_filter: StoryFilter, *, skip: Sequence[str] = (),
                   walk: bool = False) -> tuple[str, list[object]]: ...

    # -- the clustering stage ---------------------------------------------------------------------------

    def unclustered_count(self) -> int:
        return self._read("SELECT count(*) FROM stories WHERE cluster_id IS NULL")[0][0]

    def cluster_inputs(self, *, unclustered: bool = False, since: float | None = None,
                       batch: int = 2000) -> Iterator[list[ClusterInput]]:
        """Stories in stream order (sort_at, then id), a batch at a time: the ones not clustered yet
        (`unclustered`), else the clustered ones published at or after `since` (a restore), else all."""
        if unclustered:
            where, params = "s.cluster_id IS NULL", []
        elif since is not None:
            where, params = "s.cluster_id IS NOT NULL AND s.sort_at >= ?", [since]
        else:
            where, params = "1", []
        after: tuple[float, int] | None = None
        while True:
            page_where, page_params = where, list(params)
            if after is not None:
                page_where += " AND (s.sort_at > ? OR (s.sort_at = ? AND s.id > ?))"
                page_params += [after[0], after[0], after[1]]
            rows = self._read(
                "SELECT s.id, s.feed_id, f.url AS feed_url, s.title, substr(s.summary, 1, 400) AS summary, s.sort_at, "
                "s.language, f.language AS feed_language, s.countries, s.cluster_id FROM stories s "
                "JOIN feeds f ON f.id = s.feed_id "
                f"WHERE {page_where} ORDER BY s.sort_at, s.id LIMIT ?",
                [*page_params, batch],
            )
            if rows:
                yield [ClusterInput(id=r["id"], feed_id=r["feed_id"], feed_url=r["feed_url"], title=r["title"],
                                    summary=r["summary"], sort_at=r["sort_at"], language=r["language"],
                                    feed_language=r["feed_language"], countries=split_codes(r["countries"]),
                                    cluster_id=r["cluster_id"]) for r in rows]
            if len(rows) < batch:
                return
            after = (rows[-1]["sort_at"], rows[-1]["id"])

    def orphan_clusters(self, story_ids: Sequence[int]) -> list[int]:
        """Clusters that already hold one of these (new) stories' ids. SQLite gives a new story the id of the
        newest one deleted (an unsubscribed feed's, say): a cluster that story started, and whose other
        stories stayed, would take the newcomer in by its id alone."""
        found: list[int] = []
        for start in range(0, len(story_ids), 500):
            chunk = list(story_ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            found += [row[0] for row in self._read(
                f"SELECT DISTINCT cluster_id FROM stories WHERE cluster_id IN ({marks})", chunk)]
        return found

    def renumber_clusters(self, cluster_ids: Sequence[int]) -> None:
        """Give each of these clusters the id of its smallest remaining story (see `orphan_clusters`), and
        clear the bookmark: the clusterer's saved state knows them by their old ids."""
        with self._write() as db:
            for cluster_id in cluster_ids:
                db.execute("UPDATE stories SET cluster_id = (SELECT min(id) FROM stories WHERE cluster_id = ?) "
                           "WHERE cluster_id = ?", (cluster_id, cluster_id))
            db.execute("DELETE FROM cluster_state")

    def cluster_mark(self) -> ClusterMark | None:
        rows = self._read("SELECT token, clock FROM cluster_state WHERE id = 1")
        return ClusterMark(rows[0]["token"], rows[0]["clock"]) if rows else None

    def newest_clustered(self) -> float | None:
        """The publication time (sort_at) of the newest story in a cluster."""
        rows = self._read("SELECT sort_at FROM stories INDEXED BY stories_list WHERE cluster_id IS NOT NULL "
                          "ORDER BY sort_at DESC, id DESC LIMIT 1")
        return rows[0][0] if rows else None

    def save_clusters(self, placed: Sequence[tuple[int, int, str | None]], *, expect: ClusterMark | None,
                      mark: ClusterMark | None, check: bool = True) -> bool:
        """Store (story id, cluster id, language) for many stories and the new bookmark, in one transaction.

        Only if the bookmark is still `expect` (None: there is none): another process that clustered
        meanwhile wins, and False says nothing was written (the stories left are placed by the next run).
        `check=False` writes whatever the bookmark (recluster); `mark=None` clears it."""
        with self._write() as db:
            if check:
                row = db.execute("SELECT token FROM cluster_state WHERE id = 1").fetchone()
                if (row[0] if row else None) != (expect.token if expect else None):
                    return False
            db.executemany("UPDATE stories SET cluster_id = ?, language = ? WHERE id = ?",
                           [(cluster_id, language, story_id) for story_id, cluster_id, language in placed])
            db.execute("DELETE FROM cluster_state")
            if mark is not None:
                db.execute("INSERT INTO cluster_state (id, token, clock) VALUES (1, ?, ?)", (mark.token, mark.clock))
        return True

    # -- one story's cluster ------------------------------------------------------------------------------

    def cluster_versions(self, story_id: int) -> list[VersionRow]:
        """Every story of the story's cluster, itself included, oldest first."""
        rows = self._read(
            "SELECT c.id, f.name AS feed, f.url AS feed_url, f.language AS feed_language, c.title, c.sort_at, "
            "c.language, c.read FROM stories s JOIN stories c ON c.cluster_id = s.cluster_id "
            "JOIN feeds f ON f.id = c.feed_id WHERE s.id = ? ORDER BY c.sort_at, c.id",
            (story_id,),
        )
        return [VersionRow(id=r["id"], feed=r["feed"], feed_url=r["feed_url"], feed_language=r["feed_language"],
                           title=r["title"], sort_at=r["sort_at"], language=r["language"], read=bool(r["read"]))
                for r in rows]

    def set_cluster_read(self, story_id: int, read: bool = True) -> list[int]:
        """Mark the story and every other story of its cluster read (or unread); the ids that changed."""
        with self._write() as db:
            ids = [row[0] for row in db.execute(
                "SELECT id FROM stories WHERE (id = ? OR cluster_id = (SELECT cluster_id FROM stories WHERE id = ?)) "
                "AND read != ?", (story_id, story_id, int(read)))]
            db.executemany("UPDATE stories SET read = ? WHERE id = ?", [(int(read), i) for i in ids])
        return ids

    def set_clusters_read_matching(self, story_filter: StoryFilter, read: bool = True) -> int:
        """Mark every story of every cluster the filter lets through read (or unread); returns how many changed."""
        where, params = self._where(story_filter)
        with self._write() as db:
            return db.execute(
                f"UPDATE stories SET read = ? WHERE read != ? AND (id IN (SELECT s.id FROM stories s WHERE {where}) "
                f"OR cluster_id IN (SELECT s.cluster_id FROM stories s WHERE {where} AND s.cluster_id IS NOT NULL))",
                [int(read), int(read), *params, *params]).rowcount

    # -- the grouped list --------------------------------------------------------------------------------

    def _newest_in_cluster(self, story_filter: StoryFilter) -> tuple[str, list[object]]:
        """SQL true for a story `s` passing the filter that no newer story of its cluster passing it follows."""
        where, params = self._where(story_filter, walk=True)
        clause = (
            f"{where} AND (s.cluster_id IS NULL OR NOT EXISTS (SELECT 1 FROM stories t WHERE t.cluster_id = s.cluster_id "
            f"AND (t.sort_at, t.id) > (s.sort_at, s.id) AND {_as(where, 't')}))"
        )
        return clause, params + params

    def cluster_headers(self, story_filter: StoryFilter, *, limit: int = 100, offset: int = 0) -> list[StoryHeader]:
        """One page of the grouped list: a row per cluster, newest first, each the cluster's newest story that
        passes the filter, with what the whole cluster holds (stories, outlets, languages; read when all are)."""
        # Walk the stories that pass, newest first, on the slim list index: the first of each cluster met is its
        # newest that passes, so a page costs about what the plain list's does. (Asking SQL for "no newer story
        # of its cluster passes" instead probes the cluster for every row, and the filter again for each probe:
        # two to three times the plain list's time for a search.)
        if offset >= DEEP_OFFSET:  # far down the list, walking would bring every row above the page into Python
            where, params = self._newest_in_cluster(story_filter)
            rows = self._read(f"SELECT s.id FROM stories s INDEXED BY stories_list WHERE {where} "
                              "ORDER BY s.sort_at DESC, s.id DESC LIMIT ? OFFSET ?", [*params, limit, offset])
            return self._cluster_rows([row[0] for row in rows])
        where, params = self._where(story_filter, walk=True)
        wanted = offset + limit
        seen: set[int] = set()
        firsts: list[int] = []
        after: tuple[float, int] | None = None
        batch = wanted + max(wanted // 4, 25)  # a narrow filter rarely passes two stories of one cluster
        while len(firsts) < wanted:
            page_where, page_params = where, list(params)
            if after is not None:
                page_where += " AND (s.sort_at < ? OR (s.sort_at = ? AND s.id < ?))"
                page_params += [after[0], after[0], after[1]]
            rows = self._read(
                f"SELECT s.id, coalesce(s.cluster_id, s.id), s.sort_at FROM stories s INDEXED BY stories_list "
                f"WHERE {page_where} ORDER BY s.sort_at DESC, s.id DESC LIMIT ?", [*page_params, batch])
            for story_id, cluster, _sort_at in rows:
                if cluster not in seen:
                    seen.add(cluster)
                    firsts.append(story_id)
            if len(rows) < batch:
                break
            after = (rows[-1][2], rows[-1][0])
            batch *= 2
        return self._cluster_rows(firsts[offset:wanted])

    def _cluster_rows(self, ids: Sequence[int]) -> list[StoryHeader]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        heads = {r["id"]: r for r in self._read(
            "SELECT s.id, f.name AS feed_name, s.title, s.sort_at, s.read, s.starred, s.countries, s.cluster_id "
            f"FROM stories s JOIN feeds f ON f.id = s.feed_id WHERE s.id IN ({marks})", list(ids))}
        clusters = sorted({r["cluster_id"] for r in heads.values() if r["cluster_id"] is not None})
        members: dict[int, list[sqlite3.Row]] = {}
        if clusters:
            marks = ",".join("?" * len(clusters))
            for member in self._read("SELECT cluster_id, feed_id, language, read FROM stories INDEXED BY "
                                     f"stories_by_cluster WHERE cluster_id IN ({marks})", clusters):
                members.setdefault(member["cluster_id"], []).append(member)
        headers = []
        for story_id in ids:
            r = heads.get(story_id)
            if r is None:
                continue
            group = members.get(r["cluster_id"], [])
            languages: dict[str, int] = {}
            for member in group:
                if member["language"]:
                    languages[member["language"]] = languages.get(member["language"], 0) + 1
            headers.append(StoryHeader(
                id=r["id"], feed=r["feed_name"], title=r["title"], when=to_datetime(r["sort_at"]),
                read=all(m["read"] for m in group) if group else bool(r["read"]), starred=bool(r["starred"]),
                countries=split_codes(r["countries"]),
                cluster=r["cluster_id"] if r["cluster_id"] is not None else r["id"],
                stories=max(1, len(group)), outlets=max(1, len({m["feed_id"] for m in group})),
                languages=tuple(sorted(languages, key=lambda lang: (-languages[lang], lang))),
            ))
        return headers

    def cluster_count(self, story_filter: StoryFilter) -> Counts:
        """Clusters the filter lets through, and how many of them hold an unread story that passes it."""
        where, params = self._where(story_filter)
        total, unread = self._read(
            "SELECT count(DISTINCT coalesce(s.cluster_id, s.id)), "
            "count(DISTINCT CASE WHEN s.read = 0 THEN coalesce(s.cluster_id, s.id) END) "
            f"FROM stories s INDEXED BY stories_flags WHERE {where}", params)[0]
        return Counts(total, unread)

    def _row_of(self, story_filter: StoryFilter, story_id: int) -> tuple[int, float] | None:
        """The grouped list's row for this story's cluster: its newest story passing the filter (id, sort_at)."""
        where, params = self._where(story_filter)
        rows = self._read(
            f"SELECT s.id, s.sort_at FROM stories s WHERE (s.id = ? OR s.cluster_id = "
            f"(SELECT cluster_id FROM stories WHERE id = ?)) AND {where} ORDER BY s.sort_at DESC, s.id DESC LIMIT 1",
            [story_id, story_id, *params])
        return (rows[0]["id"], rows[0]["sort_at"]) if rows else None

    def cluster_position(self, story_filter: StoryFilter, story_id: int) -> int | None:
        """Where the row of the story's cluster sits in `cluster_headers` (0 = newest); None if no story of
        its cluster passes the filter."""
        row = self._row_of(story_filter, story_id)
        if row is None:
            return None
        row_id, sort_at = row
        where, params = self._newest_in_cluster(story_filter)
        return self._read(
            f"SELECT count(*) FROM stories s INDEXED BY stories_list WHERE {where} "
            "AND (s.sort_at, s.id) > (?, ?)", [*params, sort_at, row_id])[0][0]

    def cluster_neighbour(self, story_filter: StoryFilter, story_id: int | None, *, forward: bool = True,
                          unread: bool = False) -> StoryHeader | None:
        """The row after (older than; `forward`) or before the row of the story's cluster in the grouped list,
        the next holding an unread story with `unread`; from the top (or the bottom) when `story_id` is None."""
        where, params = self._newest_in_cluster(story_filter)
        if story_id is not None:
            row = self._row_of(story_filter, story_id)
            if row is None:
                return None
            sign = "<" if forward else ">"
            where += f" AND (s.sort_at, s.id) {sign} (?, ?)"  # a row value: one range on the index
            params += [row[1], row[0]]
        if unread:
            where += (" AND (s.read = 0 OR EXISTS (SELECT 1 FROM stories u WHERE u.cluster_id = s.cluster_id "
                      "AND u.read = 0))")
        order = "DESC" if forward else "ASC"
        rows = self._read(f"SELECT s.id FROM stories s INDEXED BY stories_list WHERE {where} "
                          f"ORDER BY s.sort_at {order}, s.id {order} LIMIT 1", params)
        found = self._cluster_rows([rows[0][0]]) if rows else []
        return found[0] if found else None
