"""Stories out of the cache as JSON or CSV, for people who take the news further.

The fields are those of `newsreader list --json` plus the text. Both writers stream: an export of the
whole cache never holds it in memory. CSV cells that a spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TextIO

from newsreader.model import Story
from newsreader.text.sanitize import safe_line, safe_text

FORMATS = ("json", "csv")
CSV_COLUMNS = (
    "id", "feed", "title", "link", "author", "published", "fetched", "summary", "read", "starred",
    "countries", "mentions", "regions", "text", "text_source",
)
# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets (tab and CR too: OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def story_record(story: Story) -> dict[str, object]:
    """One story as `list --json` shows it, plus its text and where the text came from.

    Every string is made safe again on the way out: a cache written by an older version, or edited, may hold
    escape sequences, and JSON leaves C1 controls (8-bit CSI) as they are.
    """
    return {
        "id": story.id,
        "feed": safe_line(story.feed),
        "title": safe_line(story.title),
        "link": safe_line(story.link) or None,
        "author": safe_line(story.author) or None,
        "published": _iso(story.published),
        "fetched": _iso(story.fetched_at),
        "summary": safe_text(story.summary),
        "read": story.read,
        "starred": story.starred,
        "countries": [safe_line(code) for code in story.countries],
        "mentions": [safe_line(code) for code in story.mentions],
        "regions": [safe_line(region) for region in story.regions],
        "cluster": story.cluster,  # shared by the stories of one event; a story alone has its own
        "cluster_size": story.cluster_size,
        "language": safe_line(story.language) or None,
        "text": safe_text(story.text or story.summary),
        "text_source": story.text_source,
    }


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, -, @ (a formula) gets a ' in front."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        # Region names hold spaces ("Western Asia"), so lists are joined with "; ".
        value = "; ".join(str(item) for item in value)
    return spreadsheet_safe(str(value))


def write_json(stories: Iterable[Story], out: TextIO) -> int:
    """A JSON array, one story object after another. Returns how many were written."""
    count = 0
    out.write("[")
    for story in stories:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(story_record(story), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_csv(stories: Iterable[Story], out: TextIO) -> int:
    """CSV with a header row (RFC 4180 quoting, CRLF line ends). Returns how many stories were written."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for story in stories:
        record = story_record(story)
        writer.writerow([_csv_cell(record[column]) for column in CSV_COLUMNS])
        count += 1
    return count


WRITERS: dict[str, Callable[[Iterable[Story], TextIO], int]] = {"json": write_json, "csv": write_csv}
