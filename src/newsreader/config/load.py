"""feeds.toml: load and validate, with errors that name the file and line.

Whatever the file holds, loading ends in a Config or in one ConfigError line: the file must be a regular
file of at most MAX_CONFIG_BYTES, every URL one the fetcher can take, every number finite and in range.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import stat
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.errors import ConfigError
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
}
#: (lowest, highest, unit) of each number setting; a timeout must also be more than 0.
SETTING_RANGES: dict[str, tuple[float, float, str]] = {
    "refresh_minutes": (1, 7 * 24 * 60, "minutes (a week)"),
    "keep_days": (1, 36_500, "days (a hundred years)"),
    "concurrency": (1, 256, "downloads at once"),
    "per_host": (1, 64, "downloads at once"),
    "timeout": (0, 3600, "seconds (an hour)"),
    "max_feed_bytes": (1024, 1024**3, "bytes (1 KiB to 1 GiB)"),
    "read_dwell": (0, 3600, "seconds (an hour)"),
}
_ABOVE_LOWEST = {"timeout"}  # no download can finish in 0 seconds
#: A feed's `max_stories`, lowest and highest.
MAX_STORIES_RANGE = (1, 1_000_000)
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
_TOP_LEVEL = {"settings", "feeds", "keys"}
assert set(_SETTING_TYPES) == {f.name for f in fields(Settings)}
assert set(SETTING_RANGES) == {key for key, types in _SETTING_TYPES.items() if int in types}

_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")

#: A feeds.toml larger than this is refused unread; ten thousand feeds take about 1 MiB.
MAX_CONFIG_BYTES = 16 * 1024 * 1024


# -- reading the file ----------------------------------------------------------------------------------


class Unreadable(Exception):
    """A file not read: missing, not a regular file, too large, or the system refused. `str()` says why."""

    def __init__(self, problem: str, missing: bool = False) -> None:
        super().__init__(problem, missing)
        self.problem = problem
        self.missing = missing

    def __str__(self) -> str:
        return self.problem


_FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
               (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int, what: str) -> Unreadable:
    kind = next((name for is_kind, name in _FILE_KINDS if is_kind(mode)), "not a regular file")
    return Unreadable(f"is {kind}, not {what}")


def read_regular_file(path: str | os.PathLike[str], limit: int, what: str = "a config file") -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes; else Unreadable.

    The type is checked before opening, and again on the descriptor, which is opened non-blocking: a FIFO
    never blocks, a device (/dev/zero, /dev/urandom) is never read, and a file that grows meanwhile is cut
    at the limit.
    """
    too_large = Unreadable(f"too large for {what} (over {limit / (1024 * 1024):g} MiB)")
    try:
        if not stat.S_ISREG(mode := os.stat(path).st_mode):
            raise _not_regular(mode, what)
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC), "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode):
                raise _not_regular(status.st_mode, what)
            if status.st_size > limit:
                raise too_large
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise Unreadable("no such file", missing=True) from None
    except OSError as error:
        raise Unreadable(f"cannot read: {error.strerror or error}") from None
    if len(data) > limit:
        raise too_large
    return data


# -- URLs ----------------------------------------------------------------------------------------------

NOT_HTTP = "not an http(s) URL"
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # what surrogateescape makes of bytes that are not UTF-8
_SPACE = re.compile(r"\s")


def feed_url_problem(url: str) -> str | None:
    """Why `url` cannot be a feed's address: NOT_HTTP, or a few words on what is malformed; else None.

    Everything done later with a feed's URL (urlsplit, its port, its host, the HTTP client) must be able
    to take it, so a malformed one is stopped here and named, never deep inside a fetch.
    """
    if _URL_CONTROL.search(url):
        return "a control character in it"
    if _SURROGATE.search(url):
        return "bytes in it that are not UTF-8 text"
    try:
        parts = urlsplit(url)
    except ValueError as error:
        return "unbalanced [ ] around its host" if str(error) == "Invalid IPv6 URL" else str(error)
    if parts.scheme not in ("http", "https"):
        return NOT_HTTP
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        written = parts.netloc.rpartition(":")[2]
        return f"its port {shown(written, 20)} is not a number from 1 to 65535"
    if not parts.hostname:
        return "it names no host"
    if _SPACE.search(parts.hostname):
        return "a space in its host"
    return None


def hostname(url: str) -> str:
    """The URL's host, or "" when it names none or cannot be parsed."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def cut(text: str, limit: int = 80) -> str:
    """`text` cut short for an error message: a 10 MB value must not make a 10 MB line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: Any, limit: int = 60) -> str:
    """`repr(value)`, cut short."""
    try:
        return cut(repr(value), limit)
    except (RecursionError, ValueError):  # nested too deep; an int too long to print
        return f"a {type(value).__name__} too large to show"


# -- finding lines -------------------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?")


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


# -- loading -------------------------------------------------------------------------------------------


def load_config(path: str | Path) -> Config:
    """Read and validate a feeds.toml; raise ConfigError with the line of the first problem."""
    path = Path(path)
    try:
        raw_bytes = read_regular_file(path, MAX_CONFIG_BYTES)
    except Unreadable as error:
        raise ConfigError(path, error.problem) from None
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
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(path, "TOML nested too deep (arrays or tables inside one another)") from None
    except ValueError:  # Python refuses to convert an integer of more than 4300 digits
        digits = re.search(r"[0-9a-fA-F_]{4000,}", text)
        line = text.count("\n", 0, digits.start()) + 1 if digits else None
        raise ConfigError(path, "TOML number too long (thousands of digits)", line) from None

    lines = _Lines(text)
    for key in data:
        if key not in _TOP_LEVEL:
            raise ConfigError(path, f"unknown key {key!r} (expected settings, feeds or keys)", lines.key(None, key) or lines.table(key))

    settings = _parse_settings(data.get("settings", {}), path, lines)
    feeds = _parse_feeds(data.get("feeds", []), path, lines)
    keys = _parse_keys(data.get("keys", {}), path, lines)
    return Config(settings=settings, feeds=feeds, keys=keys, path=str(path))


def _type_name(types: tuple[type, ...]) -> str:
    if float in types:  # (int, float): "a whole number or a number" says it twice
        types = tuple(t for t in types if t is not int)
    names = {int: "a whole number", float: "a number", str: "a string", bool: "true or false", list: "a list"}
    return " or ".join(dict.fromkeys(names[t] for t in types))


def _check_type(value: Any, types: tuple[type, ...]) -> bool:
    # bool is an int in Python, but `keep_days = true` is a mistake, not 1 day.
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def _range_problem(value: float, lowest: float, highest: float, unit: str, *, above_lowest: bool = False) -> str | None:
    """None if `value` is finite and in range, else what it must be ("from 1 to 256 ..."); nan and inf never are."""
    # No float(): an int of 400 digits would overflow it; ints and floats compare exactly as they are.
    finite = not isinstance(value, float) or math.isfinite(value)
    if finite and (value > lowest if above_lowest else value >= lowest) and value <= highest:
        return None
    unit = f" {unit}" if unit else ""
    if above_lowest:
        return f"more than {_number(lowest)} and at most {_number(highest)}{unit}"
    return f"from {_number(lowest)} to {_number(highest)}{unit}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


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
            raise ConfigError(path, f"setting {key!r} must be {_type_name(_SETTING_TYPES[key])}, not {shown(value)}", line)
        if key in SETTING_RANGES:
            lowest, highest, unit = SETTING_RANGES[key]
            if problem := _range_problem(value, lowest, highest, unit, above_lowest=key in _ABOVE_LOWEST):
                raise ConfigError(path, f"setting {key!r} must be {problem}, not {shown(value)}", line)
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
                raise ConfigError(path, f"feed key {key!r} must be {_type_name(_FEED_KEYS[key])}, not {shown(value)}", line)
        url = entry.get("url")
        if url is None:
            raise ConfigError(path, f"feed #{index + 1} has no url", table_line)
        url = url.strip()
        if problem := feed_url_problem(url):
            if problem == NOT_HTTP:
                message = f"feed url must be an http(s) URL, not {shown(url)}"
            else:
                message = f"feed url {shown(url)} is not a valid URL: {problem}"
            raise ConfigError(path, message, lines.key(table_line, "url"))
        if url in seen_urls:
            raise ConfigError(path, f"duplicate feed url {cut(url)} (first on line {seen_urls[url]})", lines.key(table_line, "url"))
        seen_urls[url] = lines.key(table_line, "url") or 0
        # Names may come from someone else's OPML: no escape sequence in one may reach a terminal.
        name = safe_line(entry.get("name")) or urlsplit(url).netloc
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
        if max_stories is not None and (problem := _range_problem(max_stories, *MAX_STORIES_RANGE, "stories")):
            raise ConfigError(path, f"feed key 'max_stories' must be {problem}, not {shown(max_stories)}",
                              lines.key(table_line, "max_stories"))
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
            raise ConfigError(path, f"country codes are two letters (ISO 3166-1), not {shown(value)}", line)
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
