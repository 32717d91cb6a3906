"""The filter pane: saved filters, Regions as a tree (World > Europe > Eastern Europe ...), Countries and
Feeds, each row with its story and unread counts under the other active filters (a saved filter's counts
are its own). Enter applies a row as a filter.

The pane owns its counts: given the list's filter (`story_filter`), it counts on the counts thread, a moment
after typing and key repeat settle, and keeps them for the pickers (`counts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual import events, work
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from newsreader.library import Counts, Library, SavedFilter, StoryFilter, country_name, regions
from newsreader.text.sanitize import safe_line
from newsreader.ui import keymap
from newsreader.ui.filters import ActiveFilters
from newsreader.ui.format import compact
from newsreader.ui.queries import QueryThreads
from newsreader.ui.widgets.filter_bar import forward_to_search

#: Counts are the costly query; wait for typing and key repeat to settle before asking.
COUNTS_DELAY = 0.35
KINDS = ("region", "country", "feed")
SAVED = "saved"


@dataclass(frozen=True, slots=True)
class FilterRow:
    kind: str  #: "saved", "region", "country", "feed", or "section" for the headings
    value: str | None  #: saved filter's name, region name, country code, feed name; None for World
    name: str  #: what the row says


class FilterPane(Tree[FilterRow]):
    """Regions, countries and feeds, with counts; posts `Chosen` when one is applied."""

    BINDINGS = keymap.pane_bindings(cursor_down="cursor_down", cursor_up="cursor_up", cursor_page_down="page_down",
                                    cursor_page_up="page_up", cursor_first="scroll_home", cursor_last="scroll_end")

    #: The list's filters: the counts are of the stories they let through, each kind counted without its own.
    story_filter: reactive[StoryFilter] = reactive(StoryFilter, init=False, always_update=True)

    class Chosen(Message):
        """A row was applied: set filter `kind` to `value` (None clears it)."""

        def __init__(self, kind: str, value: str | None) -> None:
            super().__init__()
            self.kind = kind
            self.value = value

    def __init__(self, library: Library, queries: QueryThreads, **kwargs: object) -> None:
        super().__init__(Text("Filters"), **kwargs)  # type: ignore[arg-type]
        self._library = library
        self._queries = queries
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2
        self._rows: dict[tuple[str, str | None], TreeNode[FilterRow]] = {}
        self._counts: dict[str, Mapping[str, Counts]] = {}
        self._active: dict[str, str | None] = {}
        self._built = False
        self._timer: Timer | None = None
        self.feed_names: list[str] = []
        self.saved_node: TreeNode[FilterRow] | None = None  # only while there are saved filters
        self.regions_node = self.root.add(Text("Regions", style="bold"), FilterRow("section", "region", "Regions"), expand=True)
        self.countries_node = self.root.add(Text("Countries", style="bold"), FilterRow("section", "country", "Countries"), expand=True)
        self.feeds_node = self.root.add(Text("Feeds", style="bold"), FilterRow("section", "feed", "Feeds"), expand=True)

    # -- counting ------------------------------------------------------------------------------------

    def counts(self, kind: str) -> Mapping[str, Counts]:
        """The latest counts of one kind ("region", "country", "feed"); empty until counted."""
        return self._counts.get(kind, {})

    @property
    def counted(self) -> bool:
        """Built and counted for the filter it was last given (for tests)."""
        return self._built and self._timer is None and not any(
            worker.group == "counts" and not worker.is_finished for worker in self.workers)

    def watch_story_filter(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._built:  # wait for the keys to settle
            self._timer = self.set_timer(COUNTS_DELAY, self._count_now, name="counts")
        else:  # the first counts fill the pane: as soon as the list is painted
            self.call_after_refresh(self._count_now)

    def rebuild(self) -> None:
        """The rows follow the cache and the config (new feeds, new countries): build them again."""
        self._built = False
        self.watch_story_filter()

    def _count_now(self) -> None:
        self._timer = None
        self._count(self.story_filter, not self._built)

    @work(exclusive=True, group="counts", exit_on_error=False)
    async def _count(self, story_filter: StoryFilter, build: bool) -> None:
        if build:
            rows = await self._queries.run("counts", self._pane_rows)
            self.build(*rows)
            self._built = True
        for kind in KINDS:
            counts = await self._queries.run("counts", self._counts_for, kind, story_filter)
            self.set_counts(kind, counts)
        saved = self._library.config.filters
        if saved:
            self.set_counts(SAVED, await self._queries.run("counts", self._saved_counts, saved))

    def _pane_rows(self) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]], list[str]]:
        """Runs on the counts thread: the region tree, the countries in the cache, the feeds."""
        region_rows = [(region.name, region.parent) for region in regions()]
        country_rows = [(code, country_name(code)) for code in self._library.place_counts("country")]
        return region_rows, country_rows, self._library.feed_names()

    def _saved_counts(self, saved: tuple[SavedFilter, ...]) -> dict[str, Counts]:
        """Each saved filter's own counts (not narrowed by the filters set now)."""
        return {one.name: self._library.count(ActiveFilters.from_applied(one.applied).story_filter()) for one in saved}

    def _counts_for(self, kind: str, story_filter: StoryFilter) -> Mapping[str, Counts]:
        if kind == "feed":
            return self._library.feed_counts(story_filter)
        return self._library.place_counts(kind, story_filter)

    # -- building ------------------------------------------------------------------------------------

    def build(self, regions: Iterable[tuple[str, str | None]], countries: Iterable[tuple[str, str]],
              feeds: Iterable[str]) -> None:
        """regions: (name, parent) in tree order, the root's parent None; countries: (code, name); feeds: names."""
        for section in (self.regions_node, self.countries_node, self.feeds_node):
            section.remove_children()
        self._rows.clear()
        saved = self._library.config.filters
        if saved and self.saved_node is None:
            self.saved_node = self.root.add(Text("Saved", style="bold"), FilterRow("section", SAVED, "Saved"),
                                            before=self.regions_node, expand=True)
        elif not saved and self.saved_node is not None:
            self.saved_node.remove()
            self.saved_node = None
        if self.saved_node is not None:
            self.saved_node.remove_children()
            for one in saved:
                row = FilterRow(SAVED, one.name, one.name)
                self._rows[(SAVED, one.name)] = self.saved_node.add_leaf(Text(safe_line(one.name)), row)
        parents: dict[str, TreeNode[FilterRow]] = {}
        for name, parent in regions:
            holder = parents.get(parent) if parent else None
            row = FilterRow("region", name if parent else None, name)
            node = (holder or self.regions_node).add(Text(name), row, expand=parent is None)
            parents[name] = node
            self._rows[("region", row.value)] = node
        for code, name in sorted(countries, key=lambda item: item[1].casefold()):
            self._rows[("country", code)] = self.countries_node.add_leaf(Text(name), FilterRow("country", code, name))
        self.feed_names = sorted(feeds, key=str.casefold)
        for name in self.feed_names:
            self._rows[("feed", name)] = self.feeds_node.add_leaf(Text(safe_line(name)), FilterRow("feed", name, safe_line(name)))
        self._relabel()

    def set_counts(self, kind: str, counts: Mapping[str, Counts]) -> None:
        self._counts[kind] = counts
        self._relabel(kind)

    def set_active(self, active: Mapping[str, str | None]) -> None:
        changed = set(self._active.items()) ^ set(active.items())
        self._active = dict(active)
        self._relabel(rows={row for row in changed if row in self._rows})  # only the rows that changed

    def _relabel(self, only: str | None = None, rows: set[tuple[str, str | None]] | None = None) -> None:
        for (kind, value), node in self._rows.items():
            if only is not None and kind != only:
                continue
            if rows is not None and (kind, value) not in rows:
                continue
            row = node.data
            assert row is not None
            counts = self._counts.get(kind)
            label = Text()
            active = self._active.get(kind) == value and (value is not None or kind == "region")
            label.append(row.name, style="bold reverse" if active and value is not None else "")
            if counts is not None and value is not None:
                c = counts.get(value)
                if c is None or not c.total:
                    label.stylize("dim")
                else:
                    label.append(f" {compact(c.total)}", style="dim")
                    if c.unread:
                        label.append(f" ({compact(c.unread)})", style="bold")
            node.set_label(label)

    def node_for(self, kind: str, value: str | None) -> TreeNode[FilterRow] | None:
        return self._rows.get((kind, value))

    # -- choosing ------------------------------------------------------------------------------------

    def on_tree_node_selected(self, event: Tree.NodeSelected[FilterRow]) -> None:
        event.stop()
        row = event.node.data
        if row is None:
            return
        if row.kind == "section":
            event.node.toggle()
            return
        if row.value is not None and self._active.get(row.kind) == row.value:
            self.post_message(self.Chosen(row.kind, None))  # choosing the active row again clears it
        else:
            self.post_message(self.Chosen(row.kind, row.value))

    def on_key(self, event: events.Key) -> None:
        forward_to_search(self, event)
