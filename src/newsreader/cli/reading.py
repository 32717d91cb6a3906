"""Reading the cache from the command line: read (the reader), list, show, countries, regions, export.

Text from feeds is hostile and a cache may hold escape sequences written by an older version or by hand:
everything printed here passes through `safe_line`/`safe_text` on the way out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from rich.table import Table
from rich.text import Text

from newsreader.cli.common import (
    EXIT_OK,
    Command,
    Context,
    UsageError,
    add_filter_options,
    filter_from_args,
    iso,
    nothing_listed,
    say,
    short_date,
)
from newsreader.library import Story
from newsreader.text.sanitize import safe_line, safe_text


def story_json(story: Story, *, full: bool = False) -> dict[str, object]:
    """`list --json` gives the record without the body; `show --json` and `export` give all of it."""
    from newsreader.library import story_record

    data = story_record(story)
    if not full:
        del data["text"], data["text_source"]
    else:
        from newsreader.cli.clusters import version_json

        data["fulltext_error"] = story.fulltext_error
        data["versions"] = [version_json(version) for version in story.versions]
    return data


# -- read ------------------------------------------------------------------------------------------------


def _read_arguments(parser: argparse.ArgumentParser) -> None:
    # default=SUPPRESS: `newsreader --offline read` keeps the top-level flag instead of resetting it to False.
    parser.add_argument("--offline", action="store_true", default=argparse.SUPPRESS,
                        help="never touch the network; read from the cache")


def cmd_read(context: Context) -> int:
    from newsreader.ui import run_reader

    return run_reader(context.library, offline=getattr(context.args, "offline", False))


# -- list and show ---------------------------------------------------------------------------------------


def _list_arguments(parser: argparse.ArgumentParser) -> None:
    add_filter_options(parser)
    parser.add_argument("--limit", type=int, default=50, metavar="N", help="at most N stories (default 50; 0 for all)")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    parser.add_argument("--fulltext-missing", action="store_true",
                        help="only stories without their full article text (not extracted, or it failed)")
    parser.add_argument("--grouped", action="store_true",
                        help="one line per story cluster (the same event told by several outlets): its newest "
                             "headline, how many outlets told it and in which languages")


def cmd_list(context: Context) -> int:
    args, console, library = context.args, context.console, context.library
    if args.limit < 0:
        raise UsageError(f"--limit takes 0 (all) or more, not {args.limit}")
    if args.grouped:
        from newsreader.cli.clusters import list_grouped

        return list_grouped(context, None if args.limit == 0 else args.limit)
    stories = library.stories(filter_from_args(args), limit=None if args.limit == 0 else args.limit)
    if args.json:
        print(json.dumps([story_json(s) for s in stories], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not stories:
        nothing_listed(console, library)
        return EXIT_OK
    now = datetime.now(UTC)
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("ID", justify="right", style="dim")
    table.add_column("When", no_wrap=True)
    table.add_column("Feed", no_wrap=True, max_width=18, overflow="ellipsis")
    table.add_column("Where", no_wrap=True, max_width=12, overflow="ellipsis")
    table.add_column("Title", ratio=1, overflow="fold")
    for story in stories:
        title = Text(safe_line(story.title), style="" if story.read else "bold")
        if story.starred:
            title = Text.assemble(("★ ", "yellow"), title)
        table.add_row(str(story.id), short_date(story.when, now), Text(safe_line(story.feed)),
                      Text(safe_line(" ".join(story.countries))), title)
    console.print(table)
    return EXIT_OK


def _show_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=int)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--why", action="store_true",
                        help="which words made each country, and why it ranks where it does")


def cmd_show(context: Context) -> int:
    from newsreader.library import country_name

    args, console = context.args, context.console
    story = context.library.story(args.id)
    if story is None:
        raise UsageError(f"no story with id {args.id}")
    if args.why:
        return _why(context, story)
    if args.json:
        print(json.dumps(story_json(story, full=True), ensure_ascii=False, indent=2))
        return EXIT_OK
    lines = [Text(safe_line(story.title), style="bold")]
    meta = f"{safe_line(story.feed)} · {iso(story.published) or 'undated'}"
    if story.author:
        meta += f" · {safe_line(story.author)}"
    lines.append(Text(meta, style="dim"))

    def names(codes: tuple[str, ...]) -> str:
        return ", ".join(f"{safe_line(country_name(code))} ({safe_line(code)})" for code in codes)

    if story.countries:
        lines.append(Text(f"Countries: {names(story.countries)}", style="dim"))
    if story.mentions:
        lines.append(Text(f"Mentions: {names(story.mentions)}", style="dim"))
    if story.regions:
        lines.append(Text(f"Regions: {', '.join(safe_line(region) for region in story.regions)}", style="dim"))
    if story.link:
        lines.append(Text(safe_line(story.link), style="underline"))
    lines.append(Text(""))
    if story.text_source == "article" and story.text:
        from newsreader.text.markdown import markdown_to_text

        body = markdown_to_text(story.text)
    else:
        body = safe_text(story.feed_text or "(no text)")
        if story.fulltext_error:
            shown = "the feed's text" if story.text else "the feed summary"
            lines.append(Text(f"full text unavailable: {safe_line(story.fulltext_error)}; showing {shown}", style="dim"))
            lines.append(Text(""))
    lines.append(Text(body))
    if story.versions:
        from newsreader.cli.clusters import version_lines

        lines += version_lines(story)
    for line in lines:
        console.print(line, soft_wrap=not console.is_terminal)
    return EXIT_OK


def _why(context: Context, story: Story) -> int:
    """`show ID --why`: each country, the words that made it, where they stood, and why it ranks there."""
    from newsreader.library import country_name

    found = context.library.explain(story.id)
    if found is None:
        raise UsageError(f"no story with id {story.id}")
    explanation, home = found
    console = context.console
    say(console, Text(safe_line(story.title), style="bold"))
    feed = context.library.find_feed(story.feed)
    inferred = feed is not None and not feed.home and home is not None
    say(console, Text(f"{safe_line(story.feed)} · home {home or 'none'}" + (" (inferred from its address)" if inferred else ""),
                      style="dim"))
    if not explanation.countries:
        say(console, "No country: the story names no place the tagger knows.")
    for item in explanation.countries:
        kind = "about" if item.central else "mentions"
        line = Text.assemble((f"{item.rank}. {country_name(item.code)} ({item.code})", "bold"),
                             f"  {kind}, score {item.score:.2f}")
        if item.why:
            line.append(f": {safe_line(item.why)}", style="dim")
        say(console, line)
        for evidence in item.evidence:
            say(console, Text(f"     {safe_line(evidence.text)!r} in the {evidence.zone}, read as {evidence.reading}, "
                              f"+{evidence.gain:.2f}", style="dim"))
    if explanation.threshold:
        say(console, Text(f"A country needs {explanation.threshold:.2f} to count as what the story is about.", style="dim"))
    for ignored in explanation.ignored[:12]:
        say(console, Text(f"  set aside: {safe_line(ignored.text)!r} in the {ignored.zone}: {safe_line(ignored.reason)}",
                          style="dim"))
    return EXIT_OK


# -- countries and regions ---------------------------------------------------------------------------


def _places_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true")


def _places(context: Context, kind: str) -> int:
    from newsreader.library import country_name

    console = context.console
    counts = context.library.place_counts(kind)
    rows = sorted(counts.items(), key=lambda item: (-item[1].total, item[0]))
    if context.args.json:
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
        table.add_row(*(Text(safe_line(name)) for name in names), str(c.total), str(c.unread))
    console.print(table)
    return EXIT_OK


def cmd_countries(context: Context) -> int:
    return _places(context, "country")


def cmd_regions(context: Context) -> int:
    return _places(context, "region")


# -- export ------------------------------------------------------------------------------------------


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--json", dest="format", action="store_const", const="json", help="a JSON array")
    kind.add_argument("--csv", dest="format", action="store_const", const="csv", help="CSV, safe to open in a spreadsheet")
    parser.add_argument("--output", "-o", metavar="FILE", help="write here (default: standard output)")
    add_filter_options(parser)


def cmd_export(context: Context) -> int:
    args = context.args
    kind = args.format
    if kind is None and args.output:
        kind = {".json": "json", ".csv": "csv"}.get(Path(args.output).suffix.lower())
    if kind is None:
        raise UsageError("choose a format: --json or --csv")
    story_filter = filter_from_args(args)
    library = context.library
    if not args.output:
        library.export(story_filter, kind, sys.stdout)
        return EXIT_OK
    target = Path(args.output).expanduser()
    try:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise UsageError(f"{target}: cannot write: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as out:
            count = library.export(story_filter, kind, out)
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise UsageError(f"{target}: cannot write: {error.strerror or error}") from None
        raise
    say(context.console, f"Exported {count} {'story' if count == 1 else 'stories'} to {target}")
    return EXIT_OK


COMMANDS = (
    Command("read", "open the reader (the default)", cmd_read, _read_arguments),
    Command("list", "list cached stories, newest first", cmd_list, _list_arguments),
    Command("show", "show one story in full", cmd_show, _show_arguments),
    Command("countries", "countries in the cache with story counts", cmd_countries, _places_arguments),
    Command("regions", "regions in the cache with story counts", cmd_regions, _places_arguments),
    Command("export", "write the stories matching a filter as JSON or CSV", cmd_export, _export_arguments,
            description="Write cached stories, with their text, as JSON or CSV. Takes the same filters as `list`.",
            epilog="Example: every story on Armenia this month: newsreader export --csv --country AM --since 30d"),
)
