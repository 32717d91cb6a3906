"""Country, mention and region tags, and the index the place filters use (story_places)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from newsreader.model import StoryTags, StoryText
from newsreader.store.database import Database, split_codes


class TagsTable(Database):
    """The tag columns of stories, and story_places beside them."""

    def iter_story_texts(self, batch: int = 500) -> Iterator[list[StoryText]]:
        """Every story's text, a batch at a time in id order (for `newsreader retag`)."""
        last = 0
        while True:
            rows = self._read(_STORY_TEXT + "WHERE s.id > ? ORDER BY s.id LIMIT ?", (last, batch))
            if not rows:
                return
            yield [_story_text(row) for row in rows]
            last = rows[-1]["id"]

    def story_texts(self, story_ids: Sequence[int]) -> list[StoryText]:
        """These stories' texts, in id order."""
        if not story_ids:
            return []
        marks = ", ".join("?" * len(story_ids))
        return [_story_text(row) for row in
                self._read(_STORY_TEXT + f"WHERE s.id IN ({marks}) ORDER BY s.id", list(story_ids))]

    def set_tags(self, tags: Sequence[StoryTags]) -> None:
        """New tags for many stories, in one transaction."""
        with self._write() as db:
            for tag in tags:
                db.execute(
                    "UPDATE stories SET countries = ?, mentions = ?, regions = ? WHERE id = ?",
                    (" ".join(tag.countries), " ".join(tag.mentions), "|".join(tag.regions), tag.story_id),
                )
                db.execute("DELETE FROM story_places WHERE story_id = ?", (tag.story_id,))
                write_places(db, tag.story_id, tag.countries, tag.mentions, tag.regions)


_STORY_TEXT = (
    "SELECT s.id, f.url AS feed_url, s.title, s.summary, s.text, s.text_source, s.link, s.categories, s.countries, "
    "f.language AS feed_language FROM stories s JOIN feeds f ON f.id = s.feed_id "
)


def _story_text(r: sqlite3.Row) -> StoryText:
    return StoryText(id=r["id"], feed_url=r["feed_url"], title=r["title"], summary=r["summary"], text=r["text"],
                     text_source=r["text_source"], link=r["link"],
                     categories=tuple(c for c in r["categories"].split("\n") if c), countries=split_codes(r["countries"]),
                     feed_language=r["feed_language"])


def write_places(db: sqlite3.Connection, story_id: int | None, countries: Sequence[str], mentions: Sequence[str],
                  regions: Sequence[str]) -> None:
    rows = [(code, "c", story_id, rank) for rank, code in enumerate(countries)]
    rows += [(code, "m", story_id, rank) for rank, code in enumerate(mentions) if code not in countries]
    rows += [(name, "r", story_id, rank) for rank, name in enumerate(regions)]
    if rows:
        db.executemany("INSERT OR IGNORE INTO story_places (place, kind, story_id, rank) VALUES (?, ?, ?, ?)", rows)

