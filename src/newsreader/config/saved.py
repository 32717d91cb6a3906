"""Saved filters (Newsboat's query feeds): a name for a combination of filters, kept in feeds.toml.

    [[filters]]
    name = "Caucasus, unread, pipeline"
    region = "Caucasus"
    unread = true
    search = "pipeline"

The keys keep their order: it is the order the filters were set in (escape in the reader drops the last).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsreader.config.types import SavedFilter
from newsreader.errors import ConfigError, FeedListError
from newsreader.text.sanitize import safe_line

if TYPE_CHECKING:
    from newsreader.config.load import _Lines

#: filter kind -> the type its value has in feeds.toml
FILTER_KINDS: dict[str, type] = {
    "country": str, "region": str, "feed": str, "search": str, "unread": bool, "starred": bool, "mentions": bool,
}
MAX_NAME_LENGTH = 80


def parse_saved_filters(raw: Any, path: str | Path, lines: _Lines) -> tuple[SavedFilter, ...]:
    if not isinstance(raw, list):
        raise ConfigError(path, "filters must be an array of tables: [[filters]]", lines.table("filters"))
    saved: list[SavedFilter] = []
    names: set[str] = set()
    for index, entry in enumerate(raw):
        table_line = lines.table("filters", index)
        if not isinstance(entry, dict):
            raise ConfigError(path, f"saved filter #{index + 1} must be a table", table_line)
        name = safe_line(entry.get("name") if isinstance(entry.get("name"), str) else "")
        if not name:
            raise ConfigError(path, f"saved filter #{index + 1} needs a name", table_line)
        if name.casefold() in names:
            raise ConfigError(path, f"two saved filters are called {name!r}", lines.key(table_line, "name"))
        names.add(name.casefold())
        applied: list[tuple[str, str | bool]] = []
        for key, value in entry.items():
            if key == "name":
                continue
            if key not in FILTER_KINDS:
                known = ", ".join(FILTER_KINDS)
                raise ConfigError(path, f"unknown key {key!r} in a saved filter (known: name, {known})",
                                  lines.key(table_line, key))
            wanted = FILTER_KINDS[key]
            if isinstance(value, str) and wanted is str and value.strip():
                applied.append((key, value.strip().upper() if key == "country" else value.strip()))
            elif isinstance(value, bool) and wanted is bool:
                if value:
                    applied.append((key, True))
            else:
                kind = "true or false" if wanted is bool else "a string"
                raise ConfigError(path, f"saved filter key {key!r} must be {kind}, not {value!r}",
                                  lines.key(table_line, key))
        if not applied:
            raise ConfigError(path, f"saved filter {name!r} filters nothing", table_line)
        saved.append(SavedFilter(name=name, applied=tuple(applied)))
    return tuple(saved)


def saved_filter_table(saved: SavedFilter) -> dict[str, str | bool]:
    """The [[filters]] table for a saved filter, keys in the order the filters were set."""
    table: dict[str, str | bool] = {"name": saved.name}
    table.update(dict(saved.applied))
    return table


def checked_name(name: str, taken: list[SavedFilter]) -> str:
    """The name as it will be kept, or FeedListError when it cannot be."""
    cleaned = safe_line(name)[:MAX_NAME_LENGTH].strip()
    if not cleaned:
        raise FeedListError("a saved filter needs a name")
    if any(other.name.casefold() == cleaned.casefold() for other in taken):
        raise FeedListError(f"there is a saved filter called {cleaned!r} already")
    return cleaned
