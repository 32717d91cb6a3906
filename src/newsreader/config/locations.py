"""Where newsreader keeps its config and its cache."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "newsreader"
CONFIG_FILENAME = "feeds.toml"
CACHE_FILENAME = "cache.sqlite"
#: The data directory and the files in it hold what a person read and starred: only they may look. These are
#: the modes newsreader creates them with (the umask can only take more away); existing ones are left alone.
PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def config_directory() -> Path:
    """The user's config directory (not created)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_directory(override: str | os.PathLike[str] | None = None) -> Path:
    """The data directory, possibly creating it (private: PRIVATE_DIRECTORY_MODE).

    `override` (``--data-dir``) wins, then ``NEWSREADER_DATA_DIR``, then the platform's user data dir.
    """
    if override:
        path = Path(override)
    elif env := os.environ.get("NEWSREADER_DATA_DIR"):
        path = Path(env)
    else:
        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path = path.expanduser()
    path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    return path


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """`--config PATH`, else ./feeds.toml, else the user config dir's feeds.toml; None if none exists."""
    if explicit:
        return Path(explicit).expanduser()
    for candidate in (Path.cwd() / CONFIG_FILENAME, config_directory() / CONFIG_FILENAME):
        if candidate.is_file():
            return candidate
    return None
