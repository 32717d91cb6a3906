"""Story clusters on the command line: `list --grouped`, the other versions `show` lists, and `recluster`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text

from newsreader.cli.common import (
    EXIT_OK,
    Command,
    Context,
    filter_from_args,
    iso,
    nothing_listed,
    plural,
    say,
    short_date,
    with_progress,
)
from newsreader.library import Story, StoryHeader, Version
from newsreader.text.sanitize import safe_line


def languages(codes: tuple[str, ...]) -> str:
    return " ".join(safe_line(code) for code in codes) or "—"


def cluster_json(header: StoryHeader) -> dict[str, object]:
    """One row of `list --grouped --json`: the cluster, and the story that stands for it."""
    return {
        "cluster": header.cluster,
        "id": header.id,
        "title": safe_line(header.title),
        "feed": safe_line(header.feed),
        "when": iso(header.when),
        "stories": header.stories,
        "outlets": header.outlets,
        "languages": [safe_line(code) for code in header.languages],
        "countries": [safe_line(code) for code in header.countries],
        "read": header.read,
    }


def list_grouped(context: Context, limit: int | None) -> int:
    """One line per cluster, newest first: its newest headline passing the filters, how many outlets told
    it and in which languages."""
    args, console, library = context.args, context.console, context.library
    story_filter = filter_from_args(args).but(grouped=True)
    rows: list[StoryHeader] = []
    while limit is None or len(rows) < limit:  # pages, so that --limit 0 lists every cluster
        want = 500 if limit is None else min(500, limit - len(rows))
        page = library.headers(story_filter, limit=want, offset=len(rows))
        rows += page
        if len(page) < want:
            break
    if args.json:
        print(json.dumps([cluster_json(row) for row in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        nothing_listed(console, library)
        return EXIT_OK
    now = datetime.now(UTC)
    table = Table(box=None, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("ID", justify="right", style="dim")
    table.add_column("When", no_wrap=True)
    table.add_column("Outlets", justify="right", no_wrap=True)
    table.add_column("Languages", no_wrap=True, max_width=14, overflow="ellipsis")
    table.add_column("Where", no_wrap=True, max_width=12, overflow="ellipsis")
    table.add_column("Title", ratio=1, overflow="fold")
    for row in rows:
        title = Text(safe_line(row.title), style="" if row.read else "bold")
        if row.starred:
            title = Text.assemble(("★ ", "yellow"), title)
        table.add_row(str(row.id), short_date(row.when, now), str(row.outlets), Text(languages(row.languages)),
                      Text(safe_line(" ".join(row.countries))), title)
    console.print(table)
    return EXIT_OK


def version_json(version: Version) -> dict[str, object]:
    return {"id": version.id, "feed": safe_line(version.feed), "title": safe_line(version.title),
            "when": iso(version.when), "language": version.language, "country": version.country, "read": version.read}


def version_lines(story: Story) -> list[Text]:
    """`show`'s closing lines: the other outlets' versions of the story (feed, country, language, time)."""
    if not story.versions:
        return []
    now = datetime.now(UTC)
    lines = [Text(""), Text(f"The same story elsewhere ({plural(len(story.versions), 'version')}):", style="bold")]
    for version in story.versions:
        where = " · ".join(part for part in (safe_line(version.country or ""), safe_line(version.language or "")) if part)
        line = Text.assemble((f"{version.id:>7}  ", "dim"), (safe_line(version.feed), "bold"),
                             (f" · {where}" if where else "", "dim"), (f" · {short_date(version.when, now)}", "dim"),
                             "  ", safe_line(version.title))
        lines.append(line)
    return lines


# -- recluster ------------------------------------------------------------------------------------------


def cmd_recluster(context: Context) -> int:
    library, console = context.library, context.console
    total = library.total_stories()
    clusters = with_progress(console, "Clustering", total, lambda on_batch: library.recluster(on_batch=on_batch))
    say(console, f"re-clustered {total} stories into {plural(clusters, 'cluster')}")
    return EXIT_OK


COMMANDS = (
    Command("recluster", "put every cached story into its story cluster again, in order of publication",
            cmd_recluster,
            description="Rebuild every story's cluster (the same event told by several outlets) from nothing, "
                        "in order of publication, as fetches would have built it. For after an upgrade of the "
                        "clusterer; fetches keep the clusters up to date by themselves."),
)
