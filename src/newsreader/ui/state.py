"""What the reader remembers between runs: the last filters, the theme and the grouping, as JSON in the data
directory.

A missing, unreadable or malformed file means a fresh start, never an error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from newsreader.library import PRIVATE_FILE_MODE
from newsreader.ui.filters import ActiveFilters

STATE_FILENAME = "reader-state.json"


@dataclass(frozen=True, slots=True)
class ReaderState:
    filters: ActiveFilters = field(default_factory=ActiveFilters)
    theme: str | None = None
    grouped: bool = True  #: a row per story cluster (G toggles it)


def load_state(path: Path, *, known: Mapping[str, Callable[[str], bool]] | None = None) -> ReaderState:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ReaderState()
    if not isinstance(data, dict):
        return ReaderState()
    theme = data.get("theme")
    return ReaderState(
        filters=ActiveFilters.from_json(data.get("filters"), known=known),
        theme=theme if isinstance(theme, str) and theme else None,
        grouped=data.get("grouped") is not False,
    )


def save_state(path: Path, state: ReaderState) -> None:
    """Write atomically (a crash mid-write leaves the old file); a read-only disk is not worth a crash."""
    data = {"filters": state.filters.to_json(), "theme": state.theme, "grouped": state.grouped}
    temporary = path.with_name(path.name + ".tmp")
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else PRIVATE_FILE_MODE  # what a person filters on is theirs
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            out.write(json.dumps(data, ensure_ascii=False, indent=1))
        os.chmod(temporary, mode)  # the umask may have narrowed or O_CREAT kept an older file's mode
        os.replace(temporary, path)
    except OSError:
        pass
