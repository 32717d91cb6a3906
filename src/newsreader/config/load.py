"""feeds.toml: load and validate, with errors that name the file and line."""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsreader.config.saved import parse_saved_filters
from newsreader.config.sync import parse_sync
from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.errors import ConfigError
from newsreader.net.proxies import BadProxy, parse_proxy
from newsreader.text.sanitize import safe_line

_SETTING_TYPES: dict[str, tuple[type, ...]] = {
    "refresh_minutes": (int,),
    "keep_days": (int,),
    "concurrency": (int,),
    "per_host": (int,),
    "timeout": (int, float),
    "max_feed_bytes": (int,),
    "fulltext": (bool,),
    "read_dwell": (int, float),
    "proxy": (str,),
    "browser": (str,),
}
_POSITIVE_SETTINGS = {"refresh_minutes", "keep_days", "concurrency", "per_host", "timeout", "max_feed_bytes"}
_FEED_KEYS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "url": (str,),
    "region": (str,),
    "countries": (list,),
    "home": (str,),
    "tags": (list,),
    "fulltext": (bool,),
    "max_stories": (int,),
}
_TOP_LEVEL = {"settings", "feeds", "keys", "filters", "sync"}
assert set(_SETTING_TYPES) == {f.name for f in fields(Settings)}

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?")
_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


class _Lines:
    """Finds the line a table or key was written on, for error messages (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.headers: list[tuple[int, str, bool]] = []  # (line, name, is_array)
        for number, line in enumerate(text.splitlines(), start=1):
            if match := _HEADER.match(line):
                self.headers.append((number, match.group(2).strip("\"' "), match.group(1) == "[["))
        self.lines = text.splitlines()
        self.header_lines = [number for number, _, _ in self.headers]

    def table(self, name: str, index: int | None = None) -> int | None:
        seen = 0
        for number, header, is_array in self.headers:
            if header == name and (index is None or is_array):
                if index is None or seen == index:
                    return number
                seen += 1
        return None

    def key(self, table_line: int | None, key: str) -> int | None:
        start = table_line or 0
        # bisect, not a scan: a scan per key made loading a 500-feed file quadratic (0.1 s).
        following = bisect.bisect_right(self.header_lines, start)
        end = self.header_lines[following] if following < len(self.header_lines) else len(self.lines) + 1
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        for number in range(start + 1, end):
            if pattern.match(self.lines[number - 1]):
                return number
        return table_line


def load_config(path: str | Path) -> Config:
    """Read and validate a feeds.toml; raise ConfigError with the line of the first problem."""
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, "no such file") from None
    except OSError as error:
        raise ConfigError(path, f"cannot read: {error.strerror or error}") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw_bytes[: error.start].count(b"\n") + 1
        raise ConfigError(path, "not UTF-8 text", line) from None
    return parse_config(text, path)


def parse_config(text: str, path: str | Path = "feeds.toml") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        line = None
        if match := re.search(r"\(at line (\d+), column \d+\)", message):
            line = int(match.group(1))
            message = message[: match.start()].strip()
        elif "(at end of document)" in message:
            line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
            message = message.replace("(at end of document)", "").strip() + " at the end of the file"
        raise ConfigError(path, f"TOML syntax error: {message}", line) from None

    lines = _Lines(text)
    for key in data:
        if key not in _TOP_LEVEL:
            raise ConfigError(path, f"unknown key {key!r} (expected settings, feeds, filters, keys or sync)", lines.key(None, key) or lines.table(key))

    settings = _parse_settings(data.get("settings", {}), path, lines)
    feeds = _parse_feeds(data.get("feeds", []), path, lines)
    keys = _parse_keys(data.get("keys", {}), path, lines)
    filters = parse_saved_filters(data.get("filters", []), path, lines)
    sync = parse_sync(data.get("sync"), path, lines)
    return Config(settings=settings, feeds=feeds, keys=keys, filters=filters, sync=sync, path=str(path))


def _type_name(types: tuple[type, ...]) -> str:
    names = {int: "a whole number", float: "a number", str: "a string", bool: "true or false", list: "a list"}
    return " or ".join(dict.fromkeys(names[t] for t in types))


def _check_type(value: Any, types: tuple[type, ...]) -> bool:
    # bool is an int in Python, but `keep_days = true` is a mistake, not 1 day.
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _parse_settings(raw: Any, path: str | Path, lines: _Lines) -> Settings:
    table_line = lines.table("settings")
    if not isinstance(raw, dict):
        raise ConfigError(path, "settings must be a table: [settings]", table_line or lines.key(None, "settings"))
    values: dict[str, Any] = {}
    for key, value in raw.items():
        line = lines.key(table_line, key)
        if key not in _SETTING_TYPES:
            known = ", ".join(sorted(_SETTING_TYPES))
            raise ConfigError(path, f"unknown setting {key!r} (known: {known})", line)
        if not _check_type(value, _SETTING_TYPES[key]):
            raise ConfigError(path, f"setting {key!r} must be {_type_name(_SETTING_TYPES[key])}, not {value!r}", line)
        if key in _POSITIVE_SETTINGS and value <= 0:
            raise ConfigError(path, f"setting {key!r} must be greater than 0", line)
        if key == "proxy":
            try:
                parse_proxy(value)
            except BadProxy as error:
                raise ConfigError(path, f"setting 'proxy' must be a proxy URL such as \"http://proxy.example:3128\": {error}", line) from None
        values[key] = value
    return Settings(**values)


def _parse_feeds(raw: Any, path: str | Path, lines: _Lines) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError(path, "feeds must be an array of tables: [[feeds]]", lines.table("feeds"))
    feeds: list[FeedConfig] = []
    seen_urls: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for index, entry in enumerate(raw):
        table_line = lines.table("feeds", index)
        if not isinstance(entry, dict):
            raise ConfigError(path, f"feed #{index + 1} must be a table", table_line)
        for key, value in entry.items():
            line = lines.key(table_line, key)
            if key not in _FEED_KEYS:
                known = ", ".join(_FEED_KEYS)
                raise ConfigError(path, f"unknown key {key!r} in a feed (known: {known})", line)
            if not _check_type(value, _FEED_KEYS[key]):
                raise ConfigError(path, f"feed key {key!r} must be {_type_name(_FEED_KEYS[key])}, not {value!r}", line)
        url = entry.get("url")
        if url is None:
            raise ConfigError(path, f"feed #{index + 1} has no url", table_line)
        url = url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(path, f"feed url must be an http(s) URL, not {url!r}", lines.key(table_line, "url"))
        if url in seen_urls:
            raise ConfigError(path, f"duplicate feed url {url} (first on line {seen_urls[url]})", lines.key(table_line, "url"))
        seen_urls[url] = lines.key(table_line, "url") or 0
        # Names may come from someone else's OPML: no escape sequence in one may reach a terminal.
        name = safe_line(entry.get("name")) or parts.netloc
        if name in seen_names:
            raise ConfigError(path, f"duplicate feed name {name!r} (first on line {seen_names[name]})", lines.key(table_line, "name"))
        seen_names[name] = lines.key(table_line, "name") or 0
        countries = _codes(entry.get("countries", []), path, lines.key(table_line, "countries"))
        home = None
        if "home" in entry:
            home = _codes([entry["home"]], path, lines.key(table_line, "home"))[0]
        tags = entry.get("tags", [])
        if not all(isinstance(tag, str) for tag in tags):
            raise ConfigError(path, "feed key 'tags' must be a list of strings", lines.key(table_line, "tags"))
        max_stories = entry.get("max_stories")
        if max_stories is not None and max_stories <= 0:
            raise ConfigError(path, "feed key 'max_stories' must be greater than 0", lines.key(table_line, "max_stories"))
        feeds.append(
            FeedConfig(
                name=name,
                url=url,
                region=entry.get("region"),
                countries=countries,
                home=home,
                tags=tuple(tags),
                fulltext=entry.get("fulltext"),
                max_stories=max_stories,
            )
        )
    return tuple(feeds)


def _codes(values: list[Any], path: str | Path, line: int | None) -> tuple[str, ...]:
    codes = []
    for value in values:
        if not isinstance(value, str) or not _COUNTRY_CODE.match(value):
            raise ConfigError(path, f"country codes are two letters (ISO 3166-1), not {value!r}", line)
        codes.append(value.upper())
    return tuple(codes)


def _parse_keys(raw: Any, path: str | Path, lines: _Lines) -> dict[str, str]:
    table_line = lines.table("keys")
    if not isinstance(raw, dict):
        raise ConfigError(path, "keys must be a table: [keys]", table_line)
    keys: dict[str, str] = {}
    for binding_id, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(path, f"[keys] {binding_id} must be a key name such as \"j\" or \"ctrl+n\"", lines.key(table_line, binding_id))
        keys[binding_id] = value.strip()
    return keys
