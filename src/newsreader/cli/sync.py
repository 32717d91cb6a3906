"""The [sync] server from the command line: sync, and mark (which works without a server too).

Exit statuses, as fetch's (README, Commands): 0 synced; 1 the server could not be synced with (unreachable,
timed out, TLS, an answer that is not the API's); 2 something to fix in feeds.toml or on the server (no
[sync], the password cannot be read, login refused, the API off for the user); 3 the cache cannot be used;
130/143 interrupted. A failure is one line on stderr, saying how many changes wait for the next sync.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from rich.text import Text

from newsreader.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    Command,
    Context,
    Interrupted,
    UsageError,
    plural,
    print_error,
    say,
    stories,
    sync_failure_line,
    sync_status,
)
from newsreader.cli.fetching import stop_on_signals
from newsreader.library import RefreshSummary, SyncOutcome
from newsreader.text.sanitize import safe_line

# -- sync -----------------------------------------------------------------------------------------------


def _sync_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors (for cron and timers)")


def cmd_sync(context: Context) -> int:
    from newsreader.library import RefreshCancelled

    args, console = context.args, context.console
    library = context.library_with_config()
    if library.config.sync is None:
        raise UsageError(f"{library.config.path}: no [sync] table: add one with service, url and user "
                         "(see README, Sync)")
    stop = threading.Event()
    with stop_on_signals(stop) as received:
        try:
            if console.is_terminal and not args.quiet:
                summary = _with_progress(context, stop)
            else:
                summary = library.sync(cancel=stop)
        except RefreshCancelled:
            status = EXIT_TERMINATED if signal.SIGTERM in received else EXIT_INTERRUPTED
            left = library.queued_changes()
            raise Interrupted(status, "interrupted" + (f"; {plural(left, 'change')} kept for the next sync"
                                                       if left else "")) from None
    outcome = summary.sync
    assert outcome is not None
    if not outcome.ok:
        print_error(sync_failure_line(outcome))
        return sync_status(outcome)
    if not args.quiet:
        say(console, summary.line())
        warn(context, outcome)
    return EXIT_OK


def _with_progress(context: Context, stop: threading.Event) -> RefreshSummary:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    library = context.library
    with Progress(SpinnerColumn(), TextColumn(f"Syncing with {library.syncing}"), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=context.console, transient=True) as progress:
        task = progress.add_task("", total=None)
        return library.sync(cancel=stop, on_progress=lambda line: progress.update(task, description=safe_line(line)))


def warn(context: Context, outcome: SyncOutcome) -> None:
    """What the server refused (a subscription), one line each."""
    for warning in outcome.warnings:
        say(context.console, Text(f"  {safe_line(warning)}", style="yellow"))


# -- mark -----------------------------------------------------------------------------------------------


def _mark_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ids", metavar="ID", nargs="+", type=int, help="story ids, as `newsreader list` shows them")
    read = parser.add_mutually_exclusive_group()
    read.add_argument("--read", dest="read", action="store_true", default=None, help="mark them read")
    read.add_argument("--unread", dest="read", action="store_false", help="mark them unread")
    star = parser.add_mutually_exclusive_group()
    star.add_argument("--star", dest="starred", action="store_true", default=None, help="star them")
    star.add_argument("--unstar", dest="starred", action="store_false", help="take their stars away")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")


def cmd_mark(context: Context) -> int:
    args, library = context.args, context.library
    if args.read is None and args.starred is None:
        raise UsageError("say what to do: --read, --unread, --star or --unstar")
    unknown = library.mark(args.ids, read=args.read, starred=args.starred)
    if unknown:
        raise UsageError(f"no story with id {', '.join(map(str, unknown))}; nothing was marked")
    what = [word for flag, words in ((args.read, ("unread", "read")), (args.starred, ("unstarred", "starred")))
            if flag is not None for word in (words[flag],)]
    if not args.quiet:
        say(context.console, f"Marked {stories(len(set(args.ids)))} {' and '.join(what)}")
    outcome = library.send_changes()
    if outcome is not None and not outcome.ok:  # the marks are made here: the server has them later
        print(f"newsreader: not sent to {outcome.service} now, kept for the next sync: {safe_line(outcome.error)}",
              file=sys.stderr)
    return EXIT_OK


COMMANDS = (
    Command("sync", "sync with the [sync] server: its feeds and stories here, read and starred both ways",
            cmd_sync, _sync_arguments,
            description="Sync with the tt-rss or Fever server of [sync] in feeds.toml: its subscriptions and new "
                        "stories come here, read and starred go both ways, and changes made here offline are sent."),
    Command("mark", "mark stories read or unread, starred or not (sent to the [sync] server, if any)", cmd_mark,
            _mark_arguments),
)
