"""Managing subscriptions: add, remove, import-opml, export-opml. The reader's dialogs do the same through
the same library calls."""

from __future__ import annotations

import argparse
import shlex
import sys

from rich.text import Text

from newsreader.cli.common import (
    EXIT_OK,
    Command,
    Context,
    UsageError,
    ask,
    interactive,
    plural,
    print_error,
    say,
)
from newsreader.library import FeedConfig
from newsreader.text.sanitize import safe_line

# -- add ------------------------------------------------------------------------------------------------


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", help="a feed, or a page that links to feeds (example.com works)")
    parser.add_argument("--name", metavar="NAME", help="the feed's name in newsreader (default: the feed's title)")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--pick", type=int, metavar="N", help="when the page has several feeds, take the N-th (for scripts)")
    choice.add_argument("--yes", "-y", action="store_true", help="do not ask: take the page's first feed not yet subscribed")
    parser.add_argument("--local", action="store_true",
                        help="with [sync]: add it to feeds.toml, fetched by this reader alone, not to the server")


def cmd_add(context: Context) -> int:
    args, console, library = context.args, context.console, context.library
    on_server = library.subscribes_on_server and not args.local
    if on_server and (refusal := library.server_cannot_subscribe):
        raise UsageError(f"{refusal}; or have this reader fetch it itself: newsreader add --local {shlex.quote(args.url)}")
    discovery = library.discover(args.url)
    candidates = discovery.candidates
    if len(candidates) == 1:
        chosen = candidates[0]
    else:
        say(console, f"{len(candidates)} feeds at {safe_line(discovery.url)}:")
        for number, candidate in enumerate(candidates, start=1):
            line = Text.assemble((f"{number:>3}. ", "bold"), safe_line(candidate.title), "  ",
                                 (safe_line(candidate.url), "dim"))
            if candidate.subscribed_as:
                line.append(f"  (subscribed as {safe_line(candidate.subscribed_as)})", style="yellow")
            say(console, line)
        if args.pick is not None:
            if not 1 <= args.pick <= len(candidates):
                raise UsageError(f"--pick takes a number from 1 to {len(candidates)}, not {args.pick}")
            chosen = candidates[args.pick - 1]
        elif args.yes:
            chosen = next((c for c in candidates if not c.subscribed_as), candidates[0])
        elif interactive():
            answer = ask(f"Add which feed? [1-{len(candidates)}, Enter for 1, q to cancel] ")
            if answer.lower() in ("q", "quit", "n", "no"):
                say(console, "Nothing added.")
                return EXIT_OK
            if answer and not (answer.isdigit() and 1 <= int(answer) <= len(candidates)):
                raise UsageError(f"expected a number from 1 to {len(candidates)}, not {answer!r}")
            chosen = candidates[int(answer) - 1 if answer else 0]
        else:
            raise UsageError(f"{len(candidates)} feeds found; choose one with --pick N (or --yes for the first)")
    if chosen.subscribed_as:
        raise UsageError(f"already subscribed: {chosen.subscribed_as} ({safe_line(chosen.url)})")
    if on_server:
        return _add_on_server(context, chosen.url, chosen.title)
    result = library.subscribe(FeedConfig(name=args.name or chosen.title, url=chosen.url))
    feed = result.added[0]
    if result.created:
        say(console, f"Created {result.path}")
    say(console, f"Added {safe_line(feed.name)} ({safe_line(feed.url)}) to {result.path}")
    say(console, Text(f"Fetch it now with: newsreader fetch --feed {shlex.quote(feed.name)}", style="dim"))
    return EXIT_OK


def _add_on_server(context: Context, url: str, title: str) -> int:
    library, console = context.library, context.console
    known = library.find_feed(url)
    if known is not None:
        raise UsageError(f"already subscribed: {safe_line(known.name)} ({safe_line(url)})")
    done = library.subscribe_on_server(url)
    if done.queued:
        say(console, f"Kept the subscription to {safe_line(title)} ({safe_line(url)}) for {done.service}: it is made at "
                     "the next sync")
        print_error(f"{done.service} could not be asked now: {done.reason}")
        return EXIT_OK
    say(console, f"Subscribed to {safe_line(title)} ({safe_line(url)}) on {done.service}")
    say(console, Text(f"Its stories come with a sync once {done.service} has fetched it: newsreader sync", style="dim"))
    return EXIT_OK


# -- remove ---------------------------------------------------------------------------------------------


def _remove_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("feed", metavar="NAME_OR_URL")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")


def cmd_remove(context: Context) -> int:
    args, console, library = context.args, context.console, context.library
    if library.config.path is None:
        raise UsageError("no feeds.toml found; there is nothing to remove")
    feed = library.find_feed(args.feed)
    if feed is None:
        raise UsageError(f"no feed named or at {args.feed!r} in {library.config.path}")
    if not args.yes:
        if not interactive():
            raise UsageError(f"not removing {feed.name} without --yes (standard input is not a terminal)")
        cached = next((f for f in library.feeds() if f.url == feed.url), None)
        stories = f" and its {cached.story_count} cached stories" if cached and cached.story_count else ""
        answer = ask(f"Remove {safe_line(feed.name)} ({safe_line(feed.url)}){stories}? Starred stories are kept. [y/N] ")
        if answer.lower() not in ("y", "yes"):
            say(console, "Nothing removed.")
            return EXIT_OK
    done = library.unsubscribe(feed.url)
    where = f"{done.server}" if done.path is None else str(done.path)
    line = f"Removed {safe_line(done.feed.name)} from {where}; deleted {done.stories_deleted} cached stories"
    if done.starred_kept:
        line += f", kept {done.starred_kept} starred"
    say(console, line)
    if done.queued:
        print_error(f"{done.server} could not be told now ({done.reason}): it is at the next sync")
    return EXIT_OK


# -- OPML -----------------------------------------------------------------------------------------------


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")


def cmd_import_opml(context: Context) -> int:
    console = context.console
    result = context.library.import_opml(context.args.file)
    if result.created:
        say(console, f"Created {result.path}")
    if result.added:
        say(console, f"Imported {plural(len(result.added), 'feed')} into {result.path}")
    else:
        say(console, f"Nothing new to import: {result.path} was left as it was")
    for feed, why in result.skipped:
        say(console, Text(f"  skipped {safe_line(feed.name)} ({safe_line(feed.url)}): {why}", style="yellow"))
    if result.without_url:
        say(console, Text(f"  {plural(result.without_url, 'outline')} had a website but no feed URL; left out", style="dim"))
    return EXIT_OK


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", nargs="?", help="where to write (default: standard output)")


def cmd_export_opml(context: Context) -> int:
    library = context.library_with_config()
    text = library.export_opml(context.args.file)
    if context.args.file is None:
        sys.stdout.write(text)
        return EXIT_OK
    say(context.console, f"Exported {plural(len(library.config.feeds), 'feed')} to {context.args.file}")
    return EXIT_OK


COMMANDS = (
    Command("add", "subscribe to a feed, given its URL or any page of the site", cmd_add, _add_arguments,
            description="Subscribe to a feed. Give the feed's URL, or a web page: its feeds are found and offered."),
    Command("remove", "unsubscribe: remove a feed and its cached stories (starred ones are kept)", cmd_remove,
            _remove_arguments),
    Command("import-opml", "add the feeds of an OPML file (from another reader)", cmd_import_opml, _import_arguments),
    Command("export-opml", "write the configured feeds as OPML 2.0", cmd_export_opml, _export_arguments),
)
