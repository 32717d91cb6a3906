"""What every command shares: the command table's shape, exit statuses, errors, filters and small printers."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from rich.console import Console
from rich.text import Text

from newsreader.library import Library, StoryFilter, SyncOutcome, config_directory, open_library
from newsreader.text.sanitize import safe_line

T = TypeVar("T")

EXIT_OK = 0
EXIT_NOTHING_FETCHED = 1
EXIT_USAGE = 2
EXIT_CACHE = 3
EXIT_BUG = 70  #: an error newsreader did not expect (EX_SOFTWARE); --debug shows its traceback
EXIT_INTERRUPTED = 130  #: 128 + SIGINT
EXIT_TERMINATED = 143  #: 128 + SIGTERM


class UsageError(Exception):
    """Bad input from the user: one line, exit status 2."""


class Interrupted(Exception):
    """Ctrl-C or SIGTERM: say what was kept, exit 130 or 143."""

    def __init__(self, status: int, message: str = "interrupted") -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class Context:
    """What a command runs with: its arguments' global options, the console, and the library (opened on
    first use, so a bad feeds.toml is reported only by the commands that read it)."""

    args: argparse.Namespace
    console: Console
    _library: Library | None = field(default=None, repr=False)

    @property
    def library(self) -> Library:
        if self._library is None:
            creates = self.args.command in ("add", "import-opml")  # they make feeds.toml if it is missing
            self._library = open_library(self.args.config, self.args.data_dir, create=creates)
        return self._library

    def library_with_config(self) -> Library:
        """The library, refusing to go on without a feeds.toml."""
        library = self.library
        if library.config.path is None:
            raise UsageError(
                f"no feeds.toml found (looked in ./feeds.toml and {config_directory() / 'feeds.toml'}); "
                "pass --config PATH"
            )
        return library

    def library_with_feeds(self) -> Library:
        """The library, refusing to go on without a feeds.toml that lists feeds (or names a [sync] server)."""
        library = self.library_with_config()
        if not library.config.feeds and library.config.sync is None:
            raise UsageError(f"{library.config.path}: no feeds configured; add a [[feeds]] table with a url")
        return library

    def close(self) -> None:
        if self._library is not None:
            self._library.close()


@dataclass(frozen=True, slots=True)
class Command:
    """One row of the command table: `newsreader NAME ...` runs `run(context)` and exits with what it returns."""

    name: str
    help: str
    run: Callable[[Context], int]
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    description: str | None = None
    epilog: str | None = None


def print_error(error: BaseException | str) -> None:
    # Plain print, not Rich: an error stays one line however narrow the terminal.
    print(f"newsreader: {safe_line(str(error))}", file=sys.stderr)


def sync_failure_line(outcome: SyncOutcome) -> str:
    """The one line a failed sync prints (`sync`, `fetch`), with what still waits for the server."""
    line = outcome.line()
    if outcome.pending:
        line += f" ({plural(outcome.pending, 'change')} kept for the next sync)"
    return line


def sync_status(outcome: SyncOutcome) -> int:
    """0 synced; 2 something to fix (a password, the API switch); 1 the server could not be synced with."""
    if outcome.ok:
        return EXIT_OK
    return EXIT_USAGE if outcome.settings_error else EXIT_NOTHING_FETCHED


def say(console: Console, text: Text | str) -> None:
    """One message line: never wrapped, so scripts and logs get it whole."""
    console.print(text if isinstance(text, Text) else Text(text), soft_wrap=True)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def stories(count: int) -> str:
    return f"{count} story" if count == 1 else f"{count} stories"


def size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{int(n)} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def with_progress(console: Console, label: str, total: int, work: Callable[[Callable[[int], None] | None], T]) -> T:
    """Run `work(on_batch)`, drawing a progress bar of `total` on a terminal (on_batch(n): n more done)."""
    if not console.is_terminal:
        return work(None)
    from rich.progress import Progress

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        return work(lambda n: progress.update(task, advance=n))


def nothing_listed(console: Console, library: Library) -> None:
    """What `list` says when it has no row to print."""
    console.print(Text("No stories match." if library.total_stories() else "The cache is empty: run `newsreader fetch` first."))


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def ask(question: str) -> str:
    try:
        return input(question).strip()
    except EOFError:
        return ""


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def short_date(story_time: datetime, now: datetime) -> str:
    local = story_time.astimezone()
    if now - story_time < timedelta(hours=20) and local.date() == now.astimezone().date():
        return local.strftime("%H:%M")
    if local.year == now.astimezone().year:
        return local.strftime("%d %b")
    return local.strftime("%Y-%m-%d")


# -- filters (list, export) -------------------------------------------------------------------------------


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--feed", metavar="NAME", help="only this feed (name or url)")
    parser.add_argument("--search", metavar="QUERY", help="full-text search of title, summary and text")
    parser.add_argument("--since", metavar="AGE", help="only stories newer than this: 2d, 12h, 30m, 1w or a date (2026-11-01)")
    parser.add_argument("--unread", action="store_true", help="only unread stories")
    parser.add_argument("--starred", action="store_true", help="only starred stories")
    parser.add_argument("--country", metavar="C", help="only stories about this country: code, name or demonym (AM, armenia, Armenian)")
    parser.add_argument("--region", metavar="R", help="only stories in this region (Caucasus, Western Asia, Europe ...)")
    parser.add_argument("--mentions", action="store_true", help="with --country: also stories that mention it in passing")


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    now = now or datetime.now(UTC)
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", value.lower())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        try:
            return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: amount})
        except OverflowError:
            raise UsageError(f"--since {value}: too far back") from None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--since takes an age like 2d, 12h, 30m, 1w or a date like 2026-11-01, not {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def filter_from_args(args: argparse.Namespace) -> StoryFilter:
    country = region = None
    if args.country or args.region:
        from newsreader.library import UnknownPlace, resolve_country, resolve_region

        try:
            country = resolve_country(args.country) if args.country else None
            region = resolve_region(args.region) if args.region else None
        except UnknownPlace as error:
            raise UsageError(str(error)) from None
    return StoryFilter(
        feed=args.feed,
        search=args.search,
        since=parse_since(args.since) if args.since else None,
        unread=args.unread,
        starred=args.starred,
        country=country,
        region=region,
        include_mentions=args.mentions,
        fulltext_missing=getattr(args, "fulltext_missing", False),
    )
