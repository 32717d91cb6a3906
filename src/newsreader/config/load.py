"""feeds.toml: load and validate, with errors that name the file and line.

Whatever the file holds, loading ends in a Config or in one ConfigError line: the file must be a regular
file of at most MAX_CONFIG_BYTES, every URL one the fetcher can take, every number finite and in range.
"""

from __future__ import annotations

import bisect
import functools
import math
import os
import re
import stat
import tomllib
from collections.abc import Sequence
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
    "mark_cluster_read": (bool,),
    "proxy": (str,),
    "browser": (str,),
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
_TOP_LEVEL = {"settings", "feeds", "keys", "filters", "sync"}
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
# A URL that passes every check of feed_url_problem (if its port is in range). Most do, and one match is
# far cheaper than urlsplit, its port and its host.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::([0-9]{1,5}))?(?:[/?#][!-~]*)?")


def feed_url_problem(url: str) -> str | None:
    """Why `url` cannot be a feed's address: NOT_HTTP, or a few words on what is malformed; else None.

    Everything done later with a feed's URL (urlsplit, its port, its host, the HTTP client) must be able
    to take it, so a malformed one is stopped here and named, never deep inside a fetch.
    """
    if (plain := _PLAIN_URL.fullmatch(url)) and (plain[1] is None or 0 < int(plain[1]) <= 65535):
        return None
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

_HEADER = re.compile(r"\s*(\[\[?)([^\]#]*)\]")
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_SCALAR = r"""(?:"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[A-Za-z0-9_:.+-]+)"""
# A line that surely ends its statement: `key = value` with a one-line string, a number or a flat array
# of those, or only a comment, or blank. Most lines are one; the others go through _LineIndex._scan.
_SIMPLE_LINE = re.compile(
    rf"\s*(?:{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*\s*=\s*"
    rf"(?:{_SCALAR}|\[\s*(?:{_SCALAR}\s*(?:,\s*{_SCALAR}\s*)*,?\s*)?\]))?\s*(?:#.*)?"
)
_TOKEN = re.compile(r'''"""|\'\'\'|"(?:[^"\\]|\\.)*"|'[^']*'|[\[\]{}]|#''')
_MULTILINE_END = {
    '"""': re.compile(r'(?:[^"\\]|\\.|"(?!""))*"""(?:"{0,2})'),
    "'''": re.compile(r"(?:[^']|'(?!''))*'''(?:'{0,2})"),
}


class _LineIndex:
    """Where each table and key was written, for error messages (tomllib keeps no positions).

    One pass over the text (which tomllib has accepted) notes the lines that start a statement, so that a
    line inside a multi-line string or array is never taken for a header or a key, and indexes the headers.
    Lines are counted at "\\n" only, as TOML counts them: str.splitlines() also breaks at \\x85, \\u2028
    and others, which TOML strings and comments may hold.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.starts = bytearray(len(self.lines))  #: 1 where a line starts a statement
        self.headers: list[tuple[int, str, bool]] = []  #: (line, table name, is an [[array]] header)
        self.header_lines: list[int] = []
        self._first: dict[str, int] = {}  # table name -> the line of its first header
        self._arrays: dict[str, list[int]] = {}  # table name -> the lines of its [[name]] headers
        closing: re.Pattern[str] | None = None  # inside a multi-line string: what ends it
        depth = 0  # inside a value that spans lines: how many brackets are open
        for index, line in enumerate(self.lines):
            position = 0
            if closing is not None:
                if (end := closing.match(line)) is None:
                    continue
                closing, position = None, end.end()
            elif depth == 0:
                self.starts[index] = 1
                # Only a bracket or a triple quote can leave a statement open (most lines have neither).
                if "[" not in line and "{" not in line and '"""' not in line and "'''" not in line:
                    continue
                if header := _HEADER.match(line):
                    self._add_header(index + 1, header)
                    continue
                if _SIMPLE_LINE.fullmatch(line):
                    continue
            closing, depth = self._scan(line, position, depth)

    def _add_header(self, number: int, header: re.Match[str]) -> None:
        name = ".".join(part.strip().strip("\"'") for part in header.group(2).split("."))
        self.headers.append((number, name, header.group(1) == "[["))
        self.header_lines.append(number)
        self._first.setdefault(name, number)
        if header.group(1) == "[[":
            self._arrays.setdefault(name, []).append(number)

    @staticmethod
    def _scan(line: str, position: int, depth: int) -> tuple[re.Pattern[str] | None, int]:
        """What ends the multi-line string the line leaves open (if it does), and the bracket depth after it."""
        while token := _TOKEN.search(line, position):
            kind = token.group()
            if kind == "#":
                break
            if kind in _MULTILINE_END:
                if (end := _MULTILINE_END[kind].match(line, token.end())) is None:
                    return _MULTILINE_END[kind], depth
                position = end.end()
                continue
            if kind in ("[", "{"):
                depth += 1
            elif kind in ("]", "}"):
                depth -= 1
            position = token.end()
        return None, depth

    def table(self, name: str, index: int | None = None) -> int | None:
        """The line of table `name`'s first header, or of its `index`-th [[name]]; None if there is none."""
        if index is None:
            return self._first.get(name)
        headers = self._arrays.get(name, ())
        return headers[index] if index < len(headers) else None

    def key(self, table_line: int | None, key: str) -> int | None:
        """The line of `key = ...` in the table whose header is on `table_line` (None: the top level)."""
        start = table_line or 0
        following = bisect.bisect_right(self.header_lines, start)
        end = self.header_lines[following] if following < len(self.header_lines) else len(self.lines) + 1
        pattern = re.compile(rf"\s*[\"']?{re.escape(key)}[\"']?\s*[=.]")
        for number in range(start + 1, end):
            if self.starts[number - 1] and pattern.match(self.lines[number - 1]):
                return number
        return table_line


class _Lines:
    """The line of a table, a key or a feed, for an error message. The text is indexed on the first
    question, so a file without errors never is."""

    def __init__(self, text: str) -> None:
        self._text = text

    @functools.cached_property
    def _index(self) -> _LineIndex:
        return _LineIndex(self._text)

    def table(self, name: str, index: int | None = None) -> int | None:
        return self._index.table(name, index)

    def key(self, table_line: int | None, key: str) -> int | None:
        return self._index.key(table_line, key)

    def feed(self, index: int) -> int | None:
        """The `index`-th feed's [[feeds]] header; for `feeds = [{...}, ...]`, the array's first line."""
        return self.table("feeds", index) or self.key(None, "feeds")

    def feed_key(self, index: int, key: str) -> int | None:
        return self.key(self.feed(index), key)


def table_headers(text: str) -> list[tuple[int, str, bool]]:
    """The table headers of a TOML text tomllib accepts, in order: (line, name, is an [[array]] header).

    Never a line inside a multi-line string or array; lines are counted at "\\n" only.
    """
    return _LineIndex(text).headers


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
    # Editors on Windows start UTF-8 files with a byte order mark; TOML has no place for one.
    text = text.removeprefix("\ufeff")
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
            raise ConfigError(path, f"unknown key {shown(key)} (expected settings, feeds, filters, keys or sync)",
                              lines.key(None, key) or lines.table(key))

    settings = _parse_settings(data.get("settings", {}), path, lines)
    feeds = _parse_feeds(data.get("feeds", []), path, lines)
    keys = _parse_keys(data.get("keys", {}), path, lines)
    filters = parse_saved_filters(data.get("filters", []), path, lines)
    sync = parse_sync(data.get("sync"), path, lines)
    return Config(settings=settings, feeds=feeds, keys=keys, filters=filters, sync=sync, path=str(path))


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
    if not isinstance(raw, dict):
        raise ConfigError(path, "settings must be a table: [settings]", lines.table("settings") or lines.key(None, "settings"))
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _SETTING_TYPES:
            known = ", ".join(sorted(_SETTING_TYPES))
            raise ConfigError(path, f"unknown setting {shown(key)} (known: {known})", lines.key(lines.table("settings"), key))
        if not _check_type(value, _SETTING_TYPES[key]):
            raise ConfigError(path, f"setting {key!r} must be {_type_name(_SETTING_TYPES[key])}, not {shown(value)}",
                              lines.key(lines.table("settings"), key))
        if key in SETTING_RANGES:
            lowest, highest, unit = SETTING_RANGES[key]
            if problem := _range_problem(value, lowest, highest, unit, above_lowest=key in _ABOVE_LOWEST):
                raise ConfigError(path, f"setting {key!r} must be {problem}, not {shown(value)}",
                                  lines.key(lines.table("settings"), key))
        if key == "proxy":
            try:
                parse_proxy(value)
            except BadProxy as error:
                raise ConfigError(path, f"setting 'proxy' must be a proxy URL such as \"http://proxy.example:3128\": "
                                        f"{error}", lines.key(lines.table("settings"), key)) from None
        values[key] = value
    return Settings(**values)


def _parse_feeds(raw: Any, path: str | Path, lines: _Lines) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError(path, "feeds must be an array of tables: [[feeds]]", lines.table("feeds"))
    feeds: list[FeedConfig] = []
    seen_urls: dict[str, int] = {}  # url -> index of the feed that has it
    seen_names: dict[str, int] = {}

    def fail(index: int, problem: str, key: str | None = None) -> ConfigError:
        return ConfigError(path, problem, lines.feed_key(index, key) if key else lines.feed(index))

    def first(key: str, earlier: int) -> str:
        line = lines.feed_key(earlier, key)
        return f"first on line {line}" if line else f"first in feed #{earlier + 1}"

    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise fail(index, f"feed #{index + 1} must be a table")
        for key, value in entry.items():
            if key not in _FEED_KEYS:
                known = ", ".join(_FEED_KEYS)
                raise fail(index, f"unknown key {shown(key)} in a feed (known: {known})", key)
            if not _check_type(value, _FEED_KEYS[key]):
                raise fail(index, f"feed key {key!r} must be {_type_name(_FEED_KEYS[key])}, not {shown(value)}", key)
        url = entry.get("url")
        if url is None:
            raise fail(index, f"feed #{index + 1} has no url")
        url = url.strip()
        if problem := feed_url_problem(url):
            if problem == NOT_HTTP:
                raise fail(index, f"feed url must be an http(s) URL, not {shown(url)}", "url")
            raise fail(index, f"feed url {shown(url)} is not a valid URL: {problem}", "url")
        if url in seen_urls:
            raise fail(index, f"duplicate feed url {cut(url)} ({first('url', seen_urls[url])})", "url")
        seen_urls[url] = index
        # Names may come from someone else's OPML: no escape sequence in one may reach a terminal.
        name = safe_line(entry.get("name"))
        if not name and entry.get("name", "").strip():
            raise fail(index, f"feed name {shown(entry['name'])} has nothing printable in it (only control "
                       "characters or escape sequences)", "name")
        if not name:
            name = urlsplit(url).netloc
            if name in seen_names:
                raise fail(index, f"duplicate feed name {shown(name)}, taken from the url as the feed has no name "
                           f"({first('name', seen_names[name])}); give it a name")
        if name in seen_names:
            raise fail(index, f"duplicate feed name {shown(name)} ({first('name', seen_names[name])})", "name")
        seen_names[name] = index
        try:
            countries = _codes(entry.get("countries", ()))
        except ValueError as error:
            raise fail(index, str(error), "countries") from None
        home = None
        if "home" in entry:
            try:
                (home,) = _codes((entry["home"],))
            except ValueError as error:
                raise fail(index, str(error), "home") from None
        tags = entry.get("tags", [])
        if not all(isinstance(tag, str) for tag in tags):
            raise fail(index, "feed key 'tags' must be a list of strings", "tags")
        max_stories = entry.get("max_stories")
        if max_stories is not None and (problem := _range_problem(max_stories, *MAX_STORIES_RANGE, "stories")):
            raise fail(index, f"feed key 'max_stories' must be {problem}, not {shown(max_stories)}", "max_stories")
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


def _codes(values: Sequence[Any]) -> tuple[str, ...]:
    """The country codes, upper case; ValueError naming the first that is not one."""
    codes = []
    for value in values:
        if not isinstance(value, str) or not _COUNTRY_CODE.match(value):
            raise ValueError(f"country codes are two letters (ISO 3166-1), not {shown(value)}")
        codes.append(value.upper())
    return tuple(codes)


def _parse_keys(raw: Any, path: str | Path, lines: _Lines) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(path, "keys must be a table: [keys]", lines.table("keys"))
    keys: dict[str, str] = {}
    for binding_id, value in raw.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(path, f"[keys] {cut(binding_id)} must be a key name such as \"j\" or \"ctrl+n\"",
                              lines.key(lines.table("keys"), binding_id))
        keys[binding_id] = value.strip()
    return keys
