"""The feed-management commands: add, remove, import-opml, export-opml, export, vacuum.

Each command here is thin: the work is done by the domain modules (`feedlist`, `discover`, `opml`,
`export`, the store), which the reader's dialogs call too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.text import Text

from newsreader.cli import (
    EXIT_NOTHING_FETCHED,
    EXIT_OK,
    UsageError,
    _add_filter_options,
    _error,
    filter_from_args,
    load_config_for,
)
from newsreader.feedlist import FeedListError, config_path_for_writing, find_feed
from newsreader.locations import CACHE_FILENAME, data_directory
from newsreader.store import Store, open_store
from newsreader.text import safe_line
from newsreader.types import Config, FeedConfig

COMMANDS = ("add", "remove", "import-opml", "export-opml", "export", "vacuum")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    add = commands.add_parser(
        "add", help="subscribe to a feed, given its URL or any page of the site",
        description="Subscribe to a feed. Give the feed's URL, or a web page: its feeds are found and offered.",
    )
    add.add_argument("url", metavar="URL", help="a feed, or a page that links to feeds (example.com works)")
    add.add_argument("--name", metavar="NAME", help="the feed's name in newsreader (default: the feed's title)")
    choice = add.add_mutually_exclusive_group()
    choice.add_argument("--pick", type=int, metavar="N", help="when the page has several feeds, take the N-th (for scripts)")
    choice.add_argument("--yes", "-y", action="store_true", help="do not ask: take the page's first feed not yet subscribed")

    remove = commands.add_parser(
        "remove", help="unsubscribe: remove a feed and its cached stories (starred ones are kept)",
    )
    remove.add_argument("feed", metavar="NAME_OR_URL")
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    import_opml = commands.add_parser("import-opml", help="add the feeds of an OPML file (from another reader)")
    import_opml.add_argument("file", metavar="FILE")

    export_opml = commands.add_parser("export-opml", help="write the configured feeds as OPML 2.0")
    export_opml.add_argument("file", metavar="FILE", nargs="?", help="where to write (default: standard output)")

    export = commands.add_parser(
        "export", help="write the stories matching a filter as JSON or CSV",
        description="Write cached stories, with their text, as JSON or CSV. Takes the same filters as `list`.",
        epilog="Example: every story on Armenia this month: newsreader export --csv --country AM --since 30d",
    )
    kind = export.add_mutually_exclusive_group()
    kind.add_argument("--json", dest="format", action="store_const", const="json", help="a JSON array")
    kind.add_argument("--csv", dest="format", action="store_const", const="csv", help="CSV, safe to open in a spreadsheet")
    export.add_argument("--output", "-o", metavar="FILE", help="write here (default: standard output)")
    _add_filter_options(export)

    commands.add_parser("vacuum", help="apply retention now and compact the cache; report what was freed")


def run(command: str, args: argparse.Namespace, console: Console) -> int:
    from newsreader.discover import DiscoveryError, NoFeedsFound, Unreachable
    from newsreader.opml import OpmlError

    try:
        if command == "add":
            return cmd_add(args, console)
        if command == "import-opml":
            return cmd_import_opml(args, console)
        if command == "export-opml":
            return cmd_export_opml(args, console)
        if command == "export":
            return cmd_export(args, console)
        config = load_config_for(args, required=False)
        with open_store(args.data_dir) as store:
            if command == "remove":
                return cmd_remove(store, config, args, console)
            if command == "vacuum":
                return cmd_vacuum(store, config, console)
    except (Unreachable, NoFeedsFound) as error:
        _error(error)
        return EXIT_NOTHING_FETCHED
    except (FeedListError, OpmlError, DiscoveryError) as error:  # bad input: not a web address, bad OPML, ...
        raise UsageError(str(error)) from None
    raise UsageError(f"unknown command {command}")


def _say(console: Console, text: Text) -> None:
    """One message line: never wrapped, so scripts and logs get it whole."""
    console.print(text, soft_wrap=True)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _config_for_writing(args: argparse.Namespace) -> tuple[Path, Config]:
    """The feeds.toml a change goes to, and what it holds now (nothing yet, if it does not exist)."""
    from newsreader.config import load_config

    path = config_path_for_writing(args.config)
    return path, (load_config(path) if path.exists() else Config())


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _ask(question: str) -> str:
    try:
        return input(question).strip()
    except EOFError:
        return ""


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


# -- add and remove ------------------------------------------------------------------------------------


def cmd_add(args: argparse.Namespace, console: Console) -> int:
    from newsreader.discover import discover_feeds_sync
    from newsreader.feedlist import add_feed

    path, config = _config_for_writing(args)
    discovery = discover_feeds_sync(args.url, settings=config.settings, configured=config.feeds)
    candidates = discovery.candidates
    if len(candidates) == 1:
        chosen = candidates[0]
    else:
        _say(console, Text(f"{len(candidates)} feeds at {safe_line(discovery.url)}:"))
        for number, candidate in enumerate(candidates, start=1):
            line = Text.assemble((f"{number:>3}. ", "bold"), candidate.title, "  ", (safe_line(candidate.url), "dim"))
            if candidate.subscribed_as:
                line.append(f"  (subscribed as {candidate.subscribed_as})", style="yellow")
            _say(console, line)
        if args.pick is not None:
            if not 1 <= args.pick <= len(candidates):
                raise UsageError(f"--pick takes a number from 1 to {len(candidates)}, not {args.pick}")
            chosen = candidates[args.pick - 1]
        elif args.yes:
            chosen = next((c for c in candidates if not c.subscribed_as), candidates[0])
        elif _interactive():
            answer = _ask(f"Add which feed? [1-{len(candidates)}, Enter for 1, q to cancel] ")
            if answer.lower() in ("q", "quit", "n", "no"):
                _say(console, Text("Nothing added."))
                return EXIT_OK
            if answer and not (answer.isdigit() and 1 <= int(answer) <= len(candidates)):
                raise UsageError(f"expected a number from 1 to {len(candidates)}, not {answer!r}")
            chosen = candidates[int(answer) - 1 if answer else 0]
        else:
            raise UsageError(f"{len(candidates)} feeds found; choose one with --pick N (or --yes for the first)")
    if chosen.subscribed_as:
        raise UsageError(f"already subscribed: {chosen.subscribed_as} ({safe_line(chosen.url)})")
    result = add_feed(path, FeedConfig(name=args.name or chosen.title, url=chosen.url))
    feed = result.added[0]
    if result.created:
        _say(console, Text(f"Created {result.path}"))
    _say(console, Text(f"Added {feed.name} ({safe_line(feed.url)}) to {result.path}"))
    _say(console, Text(f"Fetch it now with: newsreader fetch --feed {_shell_word(feed.name)}", style="dim"))
    return EXIT_OK


def _shell_word(word: str) -> str:
    import shlex

    return shlex.quote(word)


def cmd_remove(store: Store, config: Config, args: argparse.Namespace, console: Console) -> int:
    from newsreader.feedlist import unsubscribe

    if config.path is None:
        raise UsageError("no feeds.toml found; there is nothing to remove")
    path = Path(config.path)
    feed = find_feed(config.feeds, args.feed)
    if feed is None:
        raise UsageError(f"no feed named or at {args.feed!r} in {path}")
    cached = next((f for f in store.feeds() if f.url == feed.url), None)
    if not args.yes:
        if not _interactive():
            raise UsageError(f"not removing {feed.name} without --yes (standard input is not a terminal)")
        stories = f" and its {cached.story_count} cached stories" if cached and cached.story_count else ""
        answer = _ask(f"Remove {feed.name} ({feed.url}){stories}? Starred stories are kept. [y/N] ")
        if answer.lower() not in ("y", "yes"):
            _say(console, Text("Nothing removed."))
            return EXIT_OK
    done = unsubscribe(path, store, feed.url)
    line = f"Removed {done.feed.name} from {done.path}; deleted {done.stories_deleted} cached stories"
    if done.starred_kept:
        line += f", kept {done.starred_kept} starred"
    _say(console, Text(line))
    return EXIT_OK


# -- OPML ----------------------------------------------------------------------------------------------


def cmd_import_opml(args: argparse.Namespace, console: Console) -> int:
    from newsreader.opml import import_opml

    result = import_opml(args.file, config_path_for_writing(args.config))
    if result.created:
        _say(console, Text(f"Created {result.path}"))
    if result.added:
        _say(console, Text(f"Imported {_plural(len(result.added), 'feed')} into {result.path}"))
    else:
        _say(console, Text(f"Nothing new to import: {result.path} was left as it was"))
    for feed, why in result.skipped:
        _say(console, Text(f"  skipped {feed.name} ({safe_line(feed.url)}): {why}", style="yellow"))
    if result.without_url:
        _say(console, Text(f"  {_plural(result.without_url, 'outline')} had a website but no feed URL; left out", style="dim"))
    return EXIT_OK


def cmd_export_opml(args: argparse.Namespace, console: Console) -> int:
    from newsreader.opml import export_opml, write_export

    config = load_config_for(args, required=True)
    text = export_opml(config.feeds, site_urls=_site_urls(args))
    if args.file is None:
        sys.stdout.write(text)
        return EXIT_OK
    write_export(text, args.file)
    _say(console, Text(f"Exported {_plural(len(config.feeds), 'feed')} to {args.file}"))
    return EXIT_OK


def _site_urls(args: argparse.Namespace) -> dict[str, str]:
    """Each feed's website (htmlUrl in OPML), where the cache knows it; never creates a cache."""
    try:
        cache = data_directory(args.data_dir) / CACHE_FILENAME
        if not cache.exists():
            return {}
        with Store(cache) as store:
            return {feed.url: feed.site_url for feed in store.feeds() if feed.site_url}
    except Exception:  # the export does not need the cache; a broken one is reported by other commands
        return {}


# -- export and vacuum ---------------------------------------------------------------------------------


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    from newsreader.export import WRITERS

    kind = args.format
    if kind is None and args.output:
        kind = {".json": "json", ".csv": "csv"}.get(Path(args.output).suffix.lower())
    if kind is None:
        raise UsageError("choose a format: --json or --csv")
    story_filter = filter_from_args(args)
    write = WRITERS[kind]
    with open_store(args.data_dir) as store:
        stories = store.iter_stories(story_filter)
        if not args.output:
            write(stories, sys.stdout)
            return EXIT_OK
        target = Path(args.output).expanduser()
        try:
            descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as error:
            raise UsageError(f"{target}: cannot write: {error.strerror or error}") from None
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
                count = write(stories, out)
            os.replace(temporary, target)
        except BaseException as error:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise UsageError(f"{target}: cannot write: {error.strerror or error}") from None
            raise
    _say(console, Text(f"Exported {count} {'story' if count == 1 else 'stories'} to {target}"))
    return EXIT_OK


def cmd_vacuum(store: Store, config: Config, console: Console) -> int:
    before = store.file_size()
    caps = {feed.url: feed.max_stories for feed in config.feeds if feed.max_stories}
    retention = store.apply_retention(config.settings.keep_days, caps)
    store.compact()
    after = store.file_size()
    line = f"Deleted {retention.total} stories ({retention.expired} older than {config.settings.keep_days} days"
    line += f", {retention.over_cap} beyond max_stories)" if caps else ")"
    line += f"; cache {_size(before)} -> {_size(after)}"
    line += f" (freed {_size(before - after)})" if after < before else ""
    _say(console, Text(line))
    return EXIT_OK
