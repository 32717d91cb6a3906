"""The `newsreader` command line: the reader by default, and fetch, list, show, feeds, retag, countries, regions.

The feed-management commands (add, remove, import-opml, export-opml, export, vacuum) live in cli_feeds.py.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from rich.console import Console
from rich.table import Table
from rich.text import Text

from newsreader import __version__
from newsreader.config import ConfigError, load_config
from newsreader.locations import config_directory, find_config
from newsreader.store import Store, StoreError, open_store
from newsreader.text import safe_line, safe_text
from newsreader.types import Config, Story, StoryFilter

EXIT_OK = 0
EXIT_NOTHING_FETCHED = 1
EXIT_USAGE = 2
EXIT_CACHE = 3


class UsageError(Exception):
    """Bad input from the user: one line, exit status 2."""


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsreader",
        description="A terminal news reader that files every story under the countries and regions it is about.",
        epilog="With no command, opens the reader.",
    )
    parser.add_argument("--config", metavar="PATH", help="feeds.toml to use (default: ./feeds.toml, else the user config dir)")
    parser.add_argument("--data-dir", metavar="DIR", help="where the cache lives (default: $NEWSREADER_DATA_DIR, else the user data dir)")
    parser.add_argument("--version", action="version", version=f"newsreader {__version__}")
    parser.add_argument("--offline", action="store_true", help="with no command: open the reader without touching the network")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    reader = commands.add_parser("read", help="open the reader (the default)")
    # default=SUPPRESS: `newsreader --offline read` keeps the top-level flag instead of resetting it to False.
    reader.add_argument("--offline", action="store_true", default=argparse.SUPPRESS,
                        help="never touch the network; read from the cache")

    fetch = commands.add_parser("fetch", help="fetch every feed into the cache")
    fetch.add_argument("--feed", action="append", metavar="NAME", help="fetch only this feed (repeatable)")
    fetch.add_argument("--force", action="store_true", help="ignore Retry-After deferrals")
    fetch.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors (for cron and timers)")
    fulltext = fetch.add_mutually_exclusive_group()
    fulltext.add_argument("--fulltext", action="store_true", default=None,
                          help="also download every new story's page and keep its article text, for every feed")
    fulltext.add_argument("--no-fulltext", dest="fulltext", action="store_false",
                          help="download no article pages, whatever feeds.toml says")

    list_ = commands.add_parser("list", help="list cached stories, newest first")
    _add_filter_options(list_)
    list_.add_argument("--limit", type=int, default=50, metavar="N", help="at most N stories (default 50; 0 for all)")
    list_.add_argument("--json", action="store_true", help="print a JSON array")
    list_.add_argument("--fulltext-missing", action="store_true",
                       help="only stories without their full article text (not extracted, or it failed)")

    show = commands.add_parser("show", help="show one story in full")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")

    commands.add_parser("feeds", help="each feed with its story count, last success and last error")
    commands.add_parser("retag", help="re-tag every cached story with countries and regions")
    countries = commands.add_parser("countries", help="countries in the cache with story counts")
    countries.add_argument("--json", action="store_true")
    regions = commands.add_parser("regions", help="regions in the cache with story counts")
    regions.add_argument("--json", action="store_true")
    from newsreader import cli_feeds  # add, remove, import-opml, export-opml, export, vacuum

    cli_feeds.add_parsers(commands)
    return parser


def _add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--feed", metavar="NAME", help="only this feed (name or url)")
    parser.add_argument("--search", metavar="QUERY", help="full-text search of title, summary and text")
    parser.add_argument("--since", metavar="AGE", help="only stories newer than this: 2d, 12h, 30m, 1w or a date (2026-11-01)")
    parser.add_argument("--unread", action="store_true", help="only unread stories")
    parser.add_argument("--starred", action="store_true", help="only starred stories")
    parser.add_argument("--country", metavar="C", help="only stories about this country: code, name or demonym (AM, armenia, Armenian)")
    parser.add_argument("--region", metavar="R", help="only stories in this region (Caucasus, Western Asia, Europe ...)")
    parser.add_argument("--mentions", action="store_true", help="with --country: also stories that mention it in passing")


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    now = now or datetime.now(timezone.utc)
    match = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", value.lower())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        return now - timedelta(**{{"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: amount})
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"--since takes an age like 2d, 12h, 30m, 1w or a date like 2026-11-01, not {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def filter_from_args(args: argparse.Namespace) -> StoryFilter:
    country = region = None
    if args.country or args.region:
        from newsreader.geo import UnknownPlace, resolve_country, resolve_region

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


def load_config_for(args: argparse.Namespace, *, required: bool) -> Config:
    path = find_config(args.config)
    if path is None:
        if required:
            raise UsageError(
                f"no feeds.toml found (looked in ./feeds.toml and {config_directory() / 'feeds.toml'}); "
                "pass --config PATH"
            )
        return Config()
    return load_config(path)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def story_json(story: Story, *, full: bool = False) -> dict[str, object]:
    """`list --json` gives the record without the body; `show --json` and `export` give all of it."""
    from newsreader.export import story_record

    data = story_record(story)
    if not full:
        del data["text"], data["text_source"]
    else:
        data["fulltext_error"] = story.fulltext_error
    return data


def _when(story_time: datetime, now: datetime) -> str:
    local = story_time.astimezone()
    if now - story_time < timedelta(hours=20) and local.date() == now.astimezone().date():
        return local.strftime("%H:%M")
    if local.year == now.astimezone().year:
        return local.strftime("%d %b")
    return local.strftime("%Y-%m-%d")


def cmd_list(store: Store, args: argparse.Namespace, console: Console) -> int:
    story_filter = filter_from_args(args)
    limit = None if args.limit == 0 else args.limit
    stories = store.stories(story_filter, limit=limit)
    if args.json:
        print(json.dumps([story_json(s) for s in stories], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not stories:
        console.print(Text("No stories match." if store.total_stories() else "The cache is empty: run `newsreader fetch` first."))
        return EXIT_OK
    now = datetime.now(timezone.utc)
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("ID", justify="right", style="dim")
    table.add_column("When", no_wrap=True)
    table.add_column("Feed", no_wrap=True, max_width=18, overflow="ellipsis")
    table.add_column("Where", no_wrap=True, max_width=12, overflow="ellipsis")
    table.add_column("Title", ratio=1, overflow="fold")
    for story in stories:
        title = Text(story.title, style="" if story.read else "bold")
        if story.starred:
            title = Text.assemble(("★ ", "yellow"), title)
        table.add_row(str(story.id), _when(story.when, now), Text(story.feed), Text(" ".join(story.countries)), title)
    console.print(table)
    return EXIT_OK


def cmd_show(store: Store, args: argparse.Namespace, console: Console) -> int:
    story = store.story(args.id)
    if story is None:
        raise UsageError(f"no story with id {args.id}")
    if args.json:
        print(json.dumps(story_json(story, full=True), ensure_ascii=False, indent=2))
        return EXIT_OK
    lines = [Text(story.title, style="bold")]
    meta = f"{story.feed} · {_iso(story.published) or 'undated'}"
    if story.author:
        meta += f" · {story.author}"
    lines.append(Text(meta, style="dim"))
    if story.countries or story.regions:
        lines.append(Text(f"Countries: {' '.join(story.countries) or '-'}   Regions: {', '.join(story.regions) or '-'}", style="dim"))
    if story.link:
        lines.append(Text(story.link, style="underline"))
    lines.append(Text(""))
    if story.text_source == "article" and story.text:
        from newsreader.markdown_text import markdown_to_text

        body = markdown_to_text(story.text)
    else:
        body = safe_text(story.feed_text or "(no text)")
        if story.fulltext_error:
            shown = "the feed's text" if story.text else "the feed summary"
            lines.append(Text(f"full text unavailable: {safe_line(story.fulltext_error)}; showing {shown}", style="dim"))
            lines.append(Text(""))
    lines.append(Text(body))
    for line in lines:
        console.print(line, soft_wrap=not console.is_terminal)
    return EXIT_OK


def cmd_feeds(store: Store, config: Config, console: Console) -> int:
    known = {feed.url: feed for feed in store.feeds()}
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    for column in ("Feed", "Stories", "Unread", "Last success", "Status"):
        table.add_column(column, justify="right" if column in ("Stories", "Unread") else "left")
    configured = [f.url for f in config.feeds] or list(known)
    now = datetime.now(timezone.utc)
    for url in configured + [u for u in known if u not in configured]:
        feed = known.get(url)
        name = next((f.name for f in config.feeds if f.url == url), feed.name if feed else url)
        if feed is None:
            table.add_row(Text(name), "0", "0", "never", Text("not fetched yet", style="dim"))
            continue
        if feed.last_error and not feed.last_error.startswith("warning:"):
            status = Text(safe_line(feed.last_error), style="red")
        elif feed.last_error:
            status = Text(safe_line(feed.last_error), style="yellow")
        elif feed.http_status:
            status = Text(f"ok ({feed.http_status})", style="green")
        else:
            status = Text("not fetched yet", style="dim")
        if url not in [f.url for f in config.feeds] and config.feeds:
            name += " (not in config)"
        last = _when(feed.last_success, now) if feed.last_success else "never"
        table.add_row(Text(name), str(feed.story_count), str(feed.unread_count), last, status)
    console.print(table)
    return EXIT_OK


def cmd_fetch(store: Store, config: Config, args: argparse.Namespace, console: Console) -> int:
    from newsreader.update import Status, refresh_feeds_sync

    feeds = list(config.feeds)
    if args.feed:
        wanted = {name.lower() for name in args.feed}
        feeds = [f for f in config.feeds if f.name.lower() in wanted or f.url in args.feed]
        if len(feeds) < len(wanted):
            missing = wanted - {f.name.lower() for f in feeds}
            raise UsageError(f"no feed named {', '.join(sorted(missing))} in {config.path}")
    if not feeds:
        raise UsageError(f"{config.path}: no feeds configured; add a [[feeds]] table with a url")

    show_progress = console.is_terminal and not args.quiet
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

        from newsreader.fulltext import ArticleOutcome

        with Progress(TextColumn("Fetching"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      TextColumn("{task.description}"), console=console, transient=True) as progress:
            task = progress.add_task("", total=len(feeds))
            pages: list[TaskID] = []

            def on_article(outcome: ArticleOutcome) -> None:
                if not pages:  # only a fetch that downloads articles shows their count
                    pages.append(progress.add_task("articles", total=None))
                progress.update(pages[0], advance=1)

            summary = refresh_feeds_sync(
                store, config, feeds=feeds, force=args.force, fulltext=args.fulltext,
                on_outcome=lambda o: progress.update(task, advance=1, description=safe_line(o.feed.name)),
                on_article=on_article,
            )
    else:
        summary = refresh_feeds_sync(store, config, feeds=feeds, force=args.force, fulltext=args.fulltext)

    if not args.quiet:
        console.print(Text(summary.line()))
        for outcome in sorted(summary.outcomes, key=lambda o: o.feed.name.lower()):
            if outcome.status in (Status.FAILED, Status.DEFERRED):
                console.print(Text.assemble((f"  {outcome.feed.name}: ", "bold"), (outcome.error or "", "red")))
    if not summary.reached_any:
        print("newsreader: no feed could be fetched", file=sys.stderr)
        return EXIT_NOTHING_FETCHED
    return EXIT_OK


def cmd_retag(store: Store, config: Config, console: Console) -> int:
    from newsreader.retag import retag_all

    total = store.total_stories()
    if console.is_terminal:
        from rich.progress import Progress

        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("Tagging", total=total)
            changed = retag_all(store, config, on_batch=lambda n: progress.update(task, advance=n))
    else:
        changed = retag_all(store, config)
    console.print(Text(f"re-tagged {total} stories; {changed} changed"))
    return EXIT_OK


def cmd_places(store: Store, kind: str, args: argparse.Namespace, console: Console) -> int:
    from newsreader.geo import country_name

    counts = store.place_counts(kind)
    rows = sorted(counts.items(), key=lambda item: (-item[1].total, item[0]))
    if args.json:
        key = "code" if kind == "country" else "region"
        out = []
        for place, c in rows:
            item: dict[str, object] = {key: place, "stories": c.total, "unread": c.unread}
            if kind == "country":
                item["name"] = country_name(place)
            out.append(item)
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        console.print(Text("No tagged stories yet: run `newsreader fetch` first."))
        return EXIT_OK
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    if kind == "country":
        table.add_column("Code")
        table.add_column("Country")
    else:
        table.add_column("Region")
    table.add_column("Stories", justify="right")
    table.add_column("Unread", justify="right")
    for place, c in rows:
        names = [place, country_name(place)] if kind == "country" else [place]
        table.add_row(*names, str(c.total), str(c.unread))
    console.print(table)
    return EXIT_OK


def cmd_read(args: argparse.Namespace) -> int:
    config = load_config_for(args, required=False)
    from newsreader.ui import run_reader

    return run_reader(config, data_dir=args.data_dir, offline=getattr(args, "offline", False))


def _error(error: Exception) -> None:
    # Plain print, not Rich: an error stays one line however narrow the terminal.
    print(f"newsreader: {safe_line(str(error))}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    console = Console(highlight=False, emoji=False, markup=False)
    command = args.command or "read"
    try:
        if command == "read":
            return cmd_read(args)
        from newsreader import cli_feeds

        if command in cli_feeds.COMMANDS:
            return cli_feeds.run(command, args, console)
        config = load_config_for(args, required=command in ("fetch",))
        with open_store(args.data_dir) as store:
            if command == "fetch":
                return cmd_fetch(store, config, args, console)
            if command == "list":
                return cmd_list(store, args, console)
            if command == "show":
                return cmd_show(store, args, console)
            if command == "feeds":
                return cmd_feeds(store, config, console)
            if command == "retag":
                return cmd_retag(store, config, console)
            if command in ("countries", "regions"):
                return cmd_places(store, "country" if command == "countries" else "region", args, console)
        parser.error(f"unknown command {command}")
    except ConfigError as error:
        _error(error)
        return EXIT_USAGE
    except UsageError as error:
        _error(error)
        return EXIT_USAGE
    except StoreError as error:
        _error(error)
        return EXIT_CACHE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `newsreader list | head`
        sys.stderr.close()
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
