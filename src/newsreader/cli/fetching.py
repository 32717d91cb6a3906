"""Fetching and keeping the cache: fetch, feeds, retag, vacuum."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text

from newsreader.cli.common import (
    EXIT_INTERRUPTED,
    EXIT_NOTHING_FETCHED,
    EXIT_OK,
    EXIT_TERMINATED,
    Command,
    Context,
    Interrupted,
    UsageError,
    plural,
    print_error,
    say,
    short_date,
    size,
    sync_failure_line,
    sync_status,
    with_progress,
)
from newsreader.library import ArticleOutcome, FeedOutcome, RefreshSummary, Status
from newsreader.text.sanitize import safe_line

# -- fetch --------------------------------------------------------------------------------------------


def _fetch_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--feed", action="append", metavar="NAME", help="fetch only this feed (repeatable)")
    parser.add_argument("--force", action="store_true", help="ignore Retry-After deferrals")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors (for cron and timers)")
    fulltext = parser.add_mutually_exclusive_group()
    fulltext.add_argument("--fulltext", action="store_true", default=None,
                          help="also download every new story's page and keep its article text, for every feed")
    fulltext.add_argument("--no-fulltext", dest="fulltext", action="store_false",
                          help="download no article pages, whatever feeds.toml says")


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[list[int]]:
    """Ctrl-C and SIGTERM set `stop` (the refresh then ends within a fraction of a second, keeping what it
    saved) instead of raising wherever the main thread happens to be. Yields the signals received.

    Once one has come, the process is on its way out: later ones are ignored, to the end (a Python handler
    would be reset as the interpreter finalizes, and Ctrl-C held down would then kill it by SIGINT)."""
    received: list[int] = []

    def handler(number: int, frame: object) -> None:
        received.append(number)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for number, old in previous.items():
            signal.signal(number, signal.SIG_IGN if received else old)


def cmd_fetch(context: Context) -> int:
    from newsreader.library import RefreshCancelled

    args, console = context.args, context.console
    library = context.library_with_feeds()
    config = library.config
    feeds = list(config.feeds)
    if args.feed:
        wanted = {name.lower() for name in args.feed}
        feeds = [f for f in config.feeds if f.name.lower() in wanted or f.url in args.feed]
        if len(feeds) < len(wanted):
            missing = wanted - {f.name.lower() for f in feeds}
            raise UsageError(f"no feed named {', '.join(sorted(missing))} in {config.path}")

    stop = threading.Event()
    with stop_on_signals(stop) as received:
        try:
            summary = _fetch(context, feeds, stop)
        except RefreshCancelled as cancelled:
            status = EXIT_TERMINATED if signal.SIGTERM in received else EXIT_INTERRUPTED
            raise Interrupted(status, f"interrupted; {plural(cancelled.saved, 'feed')} saved") from None

    if summary.sync is not None and not summary.sync.ok:  # one line, on stderr: cron mails it
        print_error(sync_failure_line(summary.sync))
        if not summary.outcomes:  # [sync] and no [[feeds]]: that line is all there is to say
            return sync_status(summary.sync)
    if not args.quiet:
        say(console, summary.line())
        for outcome in sorted(summary.outcomes, key=lambda o: o.feed.name.lower()):
            if outcome.status in (Status.FAILED, Status.DEFERRED):
                console.print(Text.assemble((f"  {safe_line(outcome.feed.name)}: ", "bold"),
                                            (safe_line(outcome.error), "red")), soft_wrap=True)
        if summary.looks_offline:
            say(console, Text("  Every feed failed to connect: is this machine offline, or behind a proxy "
                              "(HTTPS_PROXY, or proxy in feeds.toml)?", style="yellow"))
    if not summary.reached_any:
        print("newsreader: no feed could be fetched", file=sys.stderr)
        return EXIT_NOTHING_FETCHED
    return EXIT_OK


def _fetch(context: Context, feeds: list, stop: threading.Event) -> RefreshSummary:
    args, console = context.args, context.console
    library = context.library
    sync = library.config.sync is not None and not args.feed  # `fetch --feed X` fetches X alone
    if not (console.is_terminal and not args.quiet):
        return library.refresh(feeds, force=args.force, fulltext=args.fulltext, cancel=stop, sync=sync)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("Fetching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), console=console, transient=True) as progress:
        task = progress.add_task("", total=len(feeds))
        pages: list[TaskID] = []

        def on_outcome(outcome: FeedOutcome) -> None:
            progress.update(task, advance=1, description=safe_line(outcome.feed.name))

        def on_article(outcome: ArticleOutcome) -> None:
            if not pages:  # only a fetch that downloads articles shows their count
                pages.append(progress.add_task("articles", total=None))
            progress.update(pages[0], advance=1)

        syncing: list[TaskID] = []

        def on_sync(line: str) -> None:
            if not syncing:
                syncing.append(progress.add_task(library.syncing or "", total=None))
            progress.update(syncing[0], description=f"{library.syncing}: {safe_line(line)}")

        return library.refresh(feeds, force=args.force, fulltext=args.fulltext, on_outcome=on_outcome,
                               on_article=on_article, cancel=stop, sync=sync, on_sync=on_sync)


# -- feeds ----------------------------------------------------------------------------------------------


def _feeds_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="also each feed's address and home country (set, or inferred from its address)")


def cmd_feeds(context: Context) -> int:
    library, console = context.library, context.console
    config = library.config
    known = {feed.url: feed for feed in library.feeds()}
    articles = library.article_counts()
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    columns = ["Feed", "Stories", "Unread", "Last success", "Status"] + (["Articles"] if articles else [])
    for column in columns:
        table.add_column(column, justify="right" if column in ("Stories", "Unread") else "left")
    server = {feed.url: feed for feed in library.server_feeds()} if config.sync is not None else {}
    configured = [f.url for f in config.feeds] or list(known)
    configured_set = set(configured)
    names = {f.url: f.name for f in config.feeds}
    now = datetime.now(UTC)
    for url in configured + [u for u in known if u not in configured_set]:
        feed = known.get(url)
        name = safe_line(names.get(url, feed.name if feed else url))
        if feed is None:
            table.add_row(Text(name), "0", "0", "never", Text("not fetched yet", style="dim"), *([""] if articles else []))
            continue
        if feed.last_error and not feed.last_error.startswith("warning:"):
            status = Text(safe_line(feed.last_error), style="red")
        elif feed.last_error:
            status = Text(safe_line(feed.last_error), style="yellow")
        elif feed.http_status:
            status = Text(f"ok ({feed.http_status})", style="green")
        else:
            status = Text("not fetched yet", style="dim")
        if url in server:
            name += f" ({library.syncing}" + (f" · {safe_line(server[url].tags[0])})" if server[url].tags else ")")
        elif url not in names and config.feeds:
            name += " (not in config)"
        last = short_date(feed.last_success, now) if feed.last_success else "never"
        row: list[Text | str] = [Text(name), str(feed.story_count), str(feed.unread_count), last, status]
        if articles:
            row.append(_article_summary(articles.get(url, {})))
        table.add_row(*row)
    console.print(table)
    if context.args.verbose:
        for feed_config in config.feeds:
            home, inferred = library.home_of(feed_config)
            where = f"home {home}" + (" (inferred)" if inferred else "") if home else "no home"
            say(console, Text(f"  {safe_line(feed_config.name)}: {safe_line(feed_config.url)} · {where}", style="dim"))
    return EXIT_OK


def _article_summary(statuses: dict[str, int]) -> Text:
    """'26 of 28 (paywall 2)': the feed's articles kept, of those tried, and why the rest failed."""
    tried = sum(statuses.values())
    if not tried:
        return Text("")
    ok = statuses.get("ok", 0)
    failures = sorted(((kind, n) for kind, n in statuses.items() if kind != "ok"), key=lambda item: -item[1])
    line = Text(f"{ok} of {tried}", style="green" if ok == tried else ("red" if not ok else "yellow"))
    if failures:
        line.append(" (" + ", ".join(f"{kind} {n}" for kind, n in failures) + ")", style="dim")
    return line


# -- retag and vacuum -----------------------------------------------------------------------------------


def cmd_retag(context: Context) -> int:
    library, console = context.library, context.console
    total = library.total_stories()
    changed = with_progress(console, "Tagging", total, lambda on_batch: library.retag(on_batch=on_batch))
    say(console, f"re-tagged {total} stories; {changed} changed")
    return EXIT_OK


def cmd_vacuum(context: Context) -> int:
    library = context.library
    caps = library.retention_caps()
    done = library.vacuum()
    retention, before, after = done.retention, done.bytes_before, done.bytes_after
    keep_days = library.config.settings.keep_days
    line = f"Deleted {retention.total} stories ({retention.expired} older than {keep_days} days"
    line += f", {retention.over_cap} beyond max_stories)" if caps else ")"
    line += f"; cache {size(before)} -> {size(after)}"
    line += f" (freed {size(before - after)})" if after < before else ""
    say(context.console, line)
    return EXIT_OK


COMMANDS = (
    Command("fetch", "fetch every feed into the cache", cmd_fetch, _fetch_arguments),
    Command("feeds", "each feed with its story count, last success and last error", cmd_feeds, _feeds_arguments),
    Command("retag", "re-tag every cached story with countries and regions", cmd_retag),
    Command("vacuum", "apply retention now and compact the cache; report what was freed", cmd_vacuum),
)
