"""Editing feeds.toml: add and remove feeds without losing the user's comments and formatting.

Every change is made on the file's own text (tomlkit keeps comments, order and spacing), checked with the
same validator that loads the config, and written atomically: a temporary file beside it, then
`os.replace`. A change that fails anywhere writes nothing.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import tomlkit
import tomlkit.exceptions
from tomlkit.items import AoT, Array, Whitespace

from newsreader.config.load import (
    MAX_CONFIG_BYTES,
    NOT_HTTP,
    Unreadable,
    cut,
    feed_url_problem,
    hostname,
    parse_config,
    read_regular_file,
    table_headers,
)
from newsreader.config.locations import CONFIG_FILENAME, config_directory, find_config
from newsreader.config.saved import checked_name, saved_filter_table
from newsreader.config.types import Config, FeedConfig, SavedFilter
from newsreader.errors import AlreadySubscribed, ConfigError, FeedListError, NoSuchFeed
from newsreader.text.sanitize import safe_line

#: Feed names longer than this are cut: they label a column, not a paragraph.
MAX_NAME_LENGTH = 80

NEW_FILE_HEADER = """\
# newsreader feeds: one [[feeds]] table per feed.
# Keys: name, url, and optionally region, countries, home, tags, fulltext, max_stories.
# Settings go in a [settings] table (keep_days, refresh_minutes, ...).
"""

_COMMENT = re.compile(r"^\s*#")


@dataclass(frozen=True, slots=True)
class AddResult:
    path: Path  #: the feeds.toml written
    created: bool  #: the file did not exist before
    added: tuple[FeedConfig, ...] = ()
    skipped: tuple[tuple[FeedConfig, str], ...] = ()  #: (feed, why) for duplicates left out


@dataclass(frozen=True, slots=True)
class RemoveResult:
    path: Path
    feed: FeedConfig  #: as it was configured


# -- finding things ------------------------------------------------------------------------------------


def normalise_url(url: str) -> str:
    """A feed URL reduced to what identifies it, for duplicate checks only (never stored).

    http and https, a leading ``www.``, default ports, a trailing slash and the fragment do not make a
    different feed.
    """
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        port = parts.port if parts.port not in (None, 80, 443) else None
    except ValueError:  # no feed can have this URL (load refuses it): it can only equal itself
        return url
    host = (parts.hostname or "").lower().removeprefix("www.")
    netloc = f"{host}:{port}" if port else host
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("", netloc, path, parts.query, ""))


def find_feed(feeds: Iterable[FeedConfig], url_or_name: str) -> FeedConfig | None:
    """The feed with this name (case-insensitive) or URL (normalised), if any."""
    feeds = list(feeds)
    wanted = url_or_name.strip()
    for feed in feeds:
        if feed.name.casefold() == wanted.casefold():
            return feed
    if "." in wanted or "/" in wanted:
        key = normalise_url(wanted)
        for feed in feeds:
            if normalise_url(feed.url) == key:
                return feed
    return None


def config_path_for_writing(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where a change goes: ``--config PATH``, else the feeds.toml in use, else a new one in the user config dir."""
    return find_config(explicit) or config_directory() / CONFIG_FILENAME


def unique_name(name: str, taken: Iterable[str], url: str = "") -> str:
    """`name` made fit for a feed: one safe line, not too long, and not already taken (case-insensitive)."""
    return _Names(taken).claim(name, url)


class _Names:
    """The feed names taken (case-insensitively), and the next number to try after each name: adding many
    feeds of one name counts up once, not from 2 for each."""

    def __init__(self, names: Iterable[str]) -> None:
        self._taken = {name.casefold() for name in names}
        self._next: dict[str, int] = {}

    def claim(self, name: str, url: str = "") -> str:
        """A name like `name` not taken yet, now taken."""
        host = hostname(url)
        # A name from the command line may hold bytes that are not UTF-8 (as surrogates): never writable.
        name = safe_line(name).encode("utf-8", "replace").decode("utf-8")
        base = name[:MAX_NAME_LENGTH].strip() or host or "feed"
        for candidate in (base, f"{base} ({host})" if host else ""):
            if candidate and candidate.casefold() not in self._taken:
                return self._take(candidate)
        number = self._next.get(base.casefold(), 2)
        while f"{base} ({number})".casefold() in self._taken:
            number += 1
        self._next[base.casefold()] = number + 1
        return self._take(f"{base} ({number})")

    def _take(self, name: str) -> str:
        self._taken.add(name.casefold())
        return name


# -- reading and writing -------------------------------------------------------------------------------


@dataclass(slots=True)
class _File:
    path: Path  #: the real file (symlinks followed, so a dotfiles link stays a link)
    text: str
    config: Config
    exists: bool
    mode: int | None = field(default=None)
    bom: bool = False  #: the file starts with a byte order mark, which it keeps


def _read(path: Path) -> _File:
    real = Path(os.path.realpath(path))
    try:
        raw = read_regular_file(real, MAX_CONFIG_BYTES)
    except Unreadable as error:
        if error.missing:
            return _File(real, "", Config(path=str(path)), exists=False)
        raise FeedListError(f"{path}: {error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FeedListError(f"{path}: not UTF-8 text; fix it before changing it") from None
    config = parse_config(text, path)  # a broken file is reported (ConfigError), never overwritten
    bom = text.startswith("\ufeff")
    return _File(real, text.removeprefix("\ufeff"), config, exists=True, mode=real.stat().st_mode & 0o7777, bom=bom)


def _write_atomically(file: _File, text: str) -> None:
    directory = file.path.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{file.path.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise FeedListError(f"{file.path}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            out.write("\ufeff" + text if file.bom else text)
            out.flush()
            os.fsync(out.fileno())
        if file.mode is not None:
            os.chmod(temporary, file.mode)
        os.replace(temporary, file.path)
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise FeedListError(f"{file.path}: cannot write: {error.strerror or error}") from None


def _checked(file: _File, text: str, expected: Sequence[FeedConfig]) -> str:
    """The new text, if it loads and holds exactly the feeds expected; settings and keys must not move."""
    try:
        config = parse_config(text, file.path)
    except ConfigError as error:
        raise FeedListError(f"the change would make {file.path} invalid ({error.problem}); nothing written") from None
    if (config.feeds != tuple(expected) or config.settings != file.config.settings or config.keys != file.config.keys
            or config.filters != file.config.filters):
        raise FeedListError(f"could not change {file.path} safely; nothing written")
    return text


# -- adding --------------------------------------------------------------------------------------------


def _feed_values(feed: FeedConfig) -> dict[str, object]:
    """What a feed's table holds, in the order written."""
    values: dict[str, object] = {"name": feed.name, "url": feed.url}
    if feed.region:
        values["region"] = feed.region
    if feed.countries:
        values["countries"] = list(feed.countries)
    if feed.home:
        values["home"] = feed.home
    if feed.tags:
        values["tags"] = list(feed.tags)
    if feed.fulltext is not None:
        values["fulltext"] = feed.fulltext
    if feed.max_stories is not None:
        values["max_stories"] = feed.max_stories
    return values


def _feed_table(feed: FeedConfig, *, inline: bool = False) -> tomlkit.items.Table | tomlkit.items.InlineTable:
    table = tomlkit.inline_table() if inline else tomlkit.table()
    for key, value in _feed_values(feed).items():
        table[key] = value
    return table


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, str):
        # JSON's escapes are TOML's; TOML also wants DEL escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    return str(value)


def _tables_text(feeds: Sequence[FeedConfig]) -> str:
    """The feeds as [[feeds]] tables with a blank line between, as tomlkit writes them (tomlkit itself is
    slow enough to be most of a large import)."""
    return "\n".join("[[feeds]]\n" + "".join(f"{key} = {_toml_value(value)}\n" for key, value in _feed_values(feed).items())
                     for feed in feeds)


def _appended(text: str, feeds: Sequence[FeedConfig]) -> str | None:
    """The feeds' tables written after the end of the text: right when the text has no [[feeds]] yet, or
    ends with them; else None. tomlkit would parse the whole file to add one table.

    A file whose lines end in CRLF gets CRLF. The caller checks the result loads as expected.
    """
    headers = table_headers(text)
    if any(name == "feeds" for _, name, _ in headers) and headers[-1][1:] != ("feeds", True):
        return None
    if not text:
        return NEW_FILE_HEADER + "\n" + _tables_text(feeds)
    newline = "\r\n" if text.partition("\n")[0].endswith("\r") else "\n"
    if not text.endswith("\n"):
        text += newline
    if not text.endswith(("\n\n", "\n\r\n")):
        text += newline
    return text + _tables_text(feeds).replace("\n", newline)


def _append_feeds(text: str, feeds: Sequence[FeedConfig], path: Path) -> str:
    if text and not text.endswith("\n"):
        text += "\n"
    try:
        document = tomlkit.parse(text) if text else tomlkit.document()
    except (tomlkit.exceptions.ParseError, RecursionError) as error:  # tomllib accepted it: a tomlkit limitation
        raise FeedListError(f"{path}: cannot edit this file safely ({error}); add the feed by hand") from None
    if not text:
        for line in NEW_FILE_HEADER.splitlines():
            document.add(tomlkit.comment(line.removeprefix("# ")))
        document.add(tomlkit.nl())
    existing = document.get("feeds")
    if existing is None:
        if text and not text.endswith("\n\n"):
            document.add(tomlkit.nl())
        tables = tomlkit.aot()
        for feed in feeds:
            tables.append(_feed_table(feed))
        document["feeds"] = tables
    elif isinstance(existing, AoT):
        for feed in feeds:
            if len(existing):
                last = existing[-1].value
                if not last.body or not isinstance(last.body[-1][1], Whitespace):
                    last.add(tomlkit.nl())
            existing.append(_feed_table(feed))
    elif isinstance(existing, Array):  # feeds = [ { name = ..., url = ... }, ... ]
        for feed in feeds:
            existing.append(_feed_table(feed, inline=True))
    else:
        raise FeedListError(f"{path}: feeds must be an array of tables: [[feeds]]")
    new_text = tomlkit.dumps(document)
    return new_text if new_text.endswith("\n") else new_text + "\n"


def add_feeds(config_path: str | os.PathLike[str], feeds: Sequence[FeedConfig]) -> AddResult:
    """Add feeds to feeds.toml, skipping (and reporting) any already there, repeated in `feeds`, or whose
    URL no feed can have.

    Names are made unique; the file is created when missing. Raises FeedListError or ConfigError (a
    broken file is never touched).
    """
    path = Path(config_path).expanduser()
    file = _read(path)
    configured = list(file.config.feeds)
    by_url = {normalise_url(f.url): f for f in configured}
    names = _Names(f.name for f in configured)
    added: list[FeedConfig] = []
    added_urls: set[str] = set()  # normalised
    skipped: list[tuple[FeedConfig, str]] = []
    for feed in feeds:
        url = feed.url.strip()
        if problem := feed_url_problem(url):
            skipped.append((feed, f"{NOT_HTTP}: {cut(url)!r}" if problem == NOT_HTTP else f"not a valid URL: {problem}"))
            continue
        key = normalise_url(url)
        if key in by_url:
            where = "earlier in this list" if key in added_urls else f"already subscribed as {by_url[key].name!r}"
            skipped.append((feed, where))
            continue
        feed = replace(
            feed,
            url=url,
            name=names.claim(feed.name, url),
            countries=tuple(code.upper() for code in feed.countries),
            home=feed.home.upper() if feed.home else None,
        )
        by_url[key] = feed
        added_urls.add(key)
        added.append(feed)
    if not added:
        return AddResult(path=file.path, created=False, skipped=tuple(skipped))
    expected = [*configured, *added]
    try:
        text = _appended(file.text, added)
        if text is not None:
            text = _checked(file, text, expected)
    except FeedListError:
        text = None
    if text is None:
        text = _checked(file, _append_feeds(file.text, added, path), expected)
    _write_atomically(file, text)
    return AddResult(path=file.path, created=not file.exists, added=tuple(added), skipped=tuple(skipped))


def add_feed(config_path: str | os.PathLike[str], feed: FeedConfig) -> AddResult:
    """Add one feed; AlreadySubscribed if its URL (normalised) is configured already."""
    result = add_feeds(config_path, [feed])
    if not result.added:
        reason = result.skipped[0][1] if result.skipped else "nothing to add"
        if reason.startswith("already subscribed"):
            existing = find_feed(_read(Path(config_path).expanduser()).config.feeds, feed.url)
            if existing is not None:
                raise AlreadySubscribed(existing.name, existing.url, result.path)
        raise FeedListError(f"{feed.url}: {reason}")
    return result


# -- removing ------------------------------------------------------------------------------------------


def _comment_block_start(lines: list[str], header: int, floor: int) -> int:
    """The first line of the comments written directly above `header` (no blank line between)."""
    start = header
    while start - 1 >= floor and _COMMENT.match(lines[start - 1]):
        start -= 1
    return start


def _remove_by_lines(text: str, index: int) -> str | None:
    """Cut the `index`-th [[feeds]] table, with the comments just above it, out of the text.

    The comments just above the next table stay with that table. None when the text's headers cannot be
    matched to tables (the caller then lets tomlkit do it).
    """
    # Split at "\n" only, as TOML does (splitlines() would also split inside a string holding \u2028).
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if not lines[-1]:
        lines.pop()
    found = table_headers(text)
    headers = [number - 1 for number, _, _ in found]
    feed_headers = [number - 1 for number, name, is_array in found if is_array and name == "feeds"]
    if index >= len(feed_headers):
        return None
    header = feed_headers[index]
    position = headers.index(header)
    previous = headers[position - 1] if position else -1
    start = _comment_block_start(lines, header, previous + 1)
    following = headers[position + 1:position + 2]
    if following:
        end = _comment_block_start(lines, following[0], header + 1)
    else:
        end = len(lines)
        # A comment block at the very end, set off by a blank line, is about the file, not this feed.
        tail = _comment_block_start(lines, end, header + 1)
        if tail < end and tail - 1 > header and not lines[tail - 1].strip():
            end = tail
    kept = lines[:start] + lines[end:]
    if end == len(lines):  # the file now ends where the feed began: no blank lines left dangling
        while start > 0 and not kept[start - 1].strip():
            del kept[start - 1]
            start -= 1
    # Leave one blank line between what came before and what follows, not two or none.
    while start > 0 and start < len(kept) and not kept[start - 1].strip() and not kept[start].strip():
        del kept[start]
    return "".join(kept)


def _remove_by_tomlkit(text: str, index: int, path: Path) -> str:
    try:
        document = tomlkit.parse(text)
    except (tomlkit.exceptions.ParseError, RecursionError) as error:
        raise FeedListError(f"{path}: cannot edit this file safely ({error}); remove the feed by hand") from None
    del document["feeds"][index]
    return tomlkit.dumps(document)


def remove_feed(config_path: str | os.PathLike[str], url_or_name: str) -> RemoveResult:
    """Remove the feed with this name or URL from feeds.toml. NoSuchFeed if there is none."""
    path = Path(config_path).expanduser()
    file = _read(path)
    if not file.exists:
        raise NoSuchFeed(f"{path}: no such file")
    feed = find_feed(file.config.feeds, url_or_name)
    if feed is None:
        raise NoSuchFeed(f"no feed named or at {url_or_name!r} in {path}")
    index = file.config.feeds.index(feed)
    expected = [f for f in file.config.feeds if f != feed]
    text = _remove_by_lines(file.text, index)
    try:
        if text is None:
            raise FeedListError("headers not matched")
        text = _checked(file, text, expected)
    except FeedListError:
        text = _checked(file, _remove_by_tomlkit(file.text, index, path), expected)
    _write_atomically(file, text)
    return RemoveResult(path=file.path, feed=feed)


# -- saved filters -------------------------------------------------------------------------------------


def add_saved_filter(config_path: str | os.PathLike[str], saved: SavedFilter) -> SavedFilter:
    """Add a `[[filters]]` table to feeds.toml (created if missing); returns the filter as kept."""
    path = Path(config_path).expanduser()
    file = _read(path)
    saved = SavedFilter(checked_name(saved.name, list(file.config.filters)), saved.applied)
    text = file.text if not file.text or file.text.endswith("\n") else file.text + "\n"
    try:
        document = tomlkit.parse(text) if text else tomlkit.document()
    except tomlkit.exceptions.ParseError as error:
        raise FeedListError(f"{path}: cannot edit this file safely ({error}); add the filter by hand") from None
    table = tomlkit.table()
    for key, value in saved_filter_table(saved).items():
        table[key] = value
    existing = document.get("filters")
    if existing is None:
        tables = tomlkit.aot()
        tables.append(table)
        if text and not text.endswith("\n\n"):
            document.add(tomlkit.nl())
        document["filters"] = tables
    elif isinstance(existing, AoT):
        existing.append(table)
    else:
        raise FeedListError(f"{path}: filters must be an array of tables: [[filters]]")
    _write_filters(file, tomlkit.dumps(document), (*file.config.filters, saved))
    return saved


def remove_saved_filter(config_path: str | os.PathLike[str], name: str) -> SavedFilter:
    """Remove the saved filter called `name` from feeds.toml."""
    path = Path(config_path).expanduser()
    file = _read(path)
    found = next((f for f in file.config.filters if f.name.casefold() == name.casefold()), None)
    if found is None:
        raise FeedListError(f"no saved filter called {name!r} in {path}")
    document = tomlkit.parse(file.text)
    del document["filters"][file.config.filters.index(found)]
    _write_filters(file, tomlkit.dumps(document), tuple(f for f in file.config.filters if f != found))
    return found


def _write_filters(file: _File, text: str, expected: tuple[SavedFilter, ...]) -> None:
    """Write a change of saved filters, if the file then holds exactly those and nothing else moved."""
    text = text if text.endswith("\n") else text + "\n"
    try:
        config = parse_config(text, file.path)
    except ConfigError as error:
        raise FeedListError(f"the change would make {file.path} invalid ({error.problem}); nothing written") from None
    if (config.filters != expected or config.feeds != file.config.feeds or config.settings != file.config.settings
            or config.keys != file.config.keys):
        raise FeedListError(f"could not change {file.path} safely; nothing written")
    _write_atomically(file, text)
