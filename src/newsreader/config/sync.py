"""The [sync] table of feeds.toml: the aggregator whose subscriptions, stories and marks the reader shares.

    [sync]
    service = "ttrss"                          # or "fever" (FreshRSS, Miniflux, coldsweat ...)
    url = "https://news.example.org/tt-rss/"   # Fever: the API's own address, e.g. .../api/fever.php
    user = "ann"
    password_command = "pass show news"       # or password_file = "~/.config/newsreader/sync-password"

The password never lives in feeds.toml: a `password` key is refused, saying what to use instead. It comes from
the command's first line of output, the file's first line (a file others can read is refused when it is
read: sync/credentials.py), or the NEWSREADER_SYNC_PASSWORD variable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newsreader.errors import ConfigError
from newsreader.text.sanitize import safe_line

if TYPE_CHECKING:
    from newsreader.config.load import _Lines

#: service key -> how the reader names it to a person
SERVICES = {"ttrss": "tt-rss", "fever": "Fever"}
KEYS = ("service", "url", "user", "password_command", "password_file")
PASSWORD_VARIABLE = "NEWSREADER_SYNC_PASSWORD"
NO_PLAIN_PASSWORD = ("[sync] takes no password: feeds.toml is read by editors, backups and anyone shown it. "
                     "Use password_command = \"pass show news\" (its first line of output), password_file = "
                     f"\"~/.config/newsreader/sync-password\" (readable by you alone), or {PASSWORD_VARIABLE}")


@dataclass(frozen=True, slots=True)
class SyncConfig:
    """`[sync]`: where the shared state lives and how to log in (the password itself is read when needed)."""

    service: str  #: a key of SERVICES
    url: str
    user: str
    password_command: str | None = None  #: run by the shell; its first line of output is the password
    password_file: str | None = None  #: its first line is the password; `~` expanded

    @property
    def name(self) -> str:
        """'tt-rss' or 'Fever', for messages."""
        return SERVICES[self.service]

    @property
    def can_subscribe(self) -> bool:
        return self.service == "ttrss"

    @property
    def identity(self) -> str:
        """What the cache's synced stories belong to: another server or user starts over. The same server by
        another spelling of its address (http or https, a port, a trailing slash, tt-rss's api/) is the same."""
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/")
        if self.service == "ttrss" and path.endswith("/api"):
            path = path[: -len("/api")]
        return f"{self.service} {(parts.hostname or '').lower()}{path} {self.user}"


def parse_sync(raw: Any, path: str | Path, lines: _Lines) -> SyncConfig | None:
    if raw is None:
        return None
    table_line = lines.table("sync")
    if not isinstance(raw, dict):
        raise ConfigError(path, "sync must be a table: [sync]", table_line or lines.key(None, "sync"))
    for key, value in raw.items():
        line = lines.key(table_line, key)
        if key == "password":  # the value is never shown: it is the password
            raise ConfigError(path, NO_PLAIN_PASSWORD, line)
        if key not in KEYS:
            raise ConfigError(path, f"unknown key {key!r} in [sync] (known: {', '.join(KEYS)})", line)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(path, f"[sync] {key} must be a string that is not empty", line)
    for key in ("service", "url", "user"):
        if key not in raw:
            raise ConfigError(path, f"[sync] needs {key} = ...", table_line)
    service = raw["service"].strip().lower()
    if service not in SERVICES:
        raise ConfigError(path, f"[sync] service must be \"ttrss\" or \"fever\", not {safe_line(raw['service'])!r}",
                          lines.key(table_line, "service"))
    url = raw["url"].strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(path, f"[sync] url must be an http(s) URL, not {safe_line(url)!r}", lines.key(table_line, "url"))
    if parts.password is not None:  # not even in a message: the URL is shown back without it
        raise ConfigError(path, "[sync] url holds a password: " + NO_PLAIN_PASSWORD.split(": ", 1)[1],
                          lines.key(table_line, "url"))
    if "password_command" in raw and "password_file" in raw:
        raise ConfigError(path, "[sync] takes password_command or password_file, not both",
                          lines.key(table_line, "password_file"))
    password_file = raw.get("password_file")
    return SyncConfig(service=service, url=url, user=raw["user"].strip(),
                      password_command=raw.get("password_command"),
                      password_file=str(Path(password_file.strip()).expanduser()) if password_file else None)
