"""The filter pane: Regions as a tree (World > Europe > Eastern Europe ...), Countries and Feeds, each row
with its story and unread counts under the other active filters. Enter applies a row as a filter; typing
letters jumps to the first row that starts with them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from newsreader.library import Counts
from newsreader.text.sanitize import safe_line
from newsreader.ui.format import compact
from newsreader.ui.widgets.filter_bar import forward_to_search

#: Type-ahead forgets what was typed after this long without a key.
TYPE_AHEAD_RESET = 1.0


@dataclass(frozen=True, slots=True)
class FilterRow:
    kind: str  #: "region", "country", "feed", or "section" for the three headings
    value: str | None  #: region name, country code, feed name; None for World (no region filter)
    name: str  #: what the row says


class FilterPane(Tree[FilterRow]):
    """Regions, countries and feeds, with counts; posts `Chosen` when one is applied."""

    BINDINGS = [
        Binding("backspace", "type_ahead_back", "Back", show=False, id="filters.type_ahead_back"),
    ]

    class Chosen(Message):
        """A row was applied: set filter `kind` to `value` (None clears it)."""

        def __init__(self, kind: str, value: str | None) -> None:
            super().__init__()
            self.kind = kind
            self.value = value

    def __init__(self, **kwargs: object) -> None:
        super().__init__(Text("Filters"), **kwargs)  # type: ignore[arg-type]
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 2
        self._typed = ""
        self._typed_at = 0.0
        self._rows: dict[tuple[str, str | None], TreeNode[FilterRow]] = {}
        self._counts: dict[str, Mapping[str, Counts]] = {}
        self._active: dict[str, str | None] = {}
        self.regions_node = self.root.add(Text("Regions", style="bold"), FilterRow("section", "region", "Regions"), expand=True)
        self.countries_node = self.root.add(Text("Countries", style="bold"), FilterRow("section", "country", "Countries"), expand=True)
        self.feeds_node = self.root.add(Text("Feeds", style="bold"), FilterRow("section", "feed", "Feeds"), expand=True)

    # -- building ------------------------------------------------------------------------------------

    def build(self, regions: Iterable[tuple[str, str | None]], countries: Iterable[tuple[str, str]],
              feeds: Iterable[str]) -> None:
        """regions: (name, parent) in tree order, the root's parent None; countries: (code, name); feeds: names."""
        for section in (self.regions_node, self.countries_node, self.feeds_node):
            section.remove_children()
        self._rows.clear()
        parents: dict[str, TreeNode[FilterRow]] = {}
        for name, parent in regions:
            holder = parents.get(parent) if parent else None
            row = FilterRow("region", name if parent else None, name)
            node = (holder or self.regions_node).add(Text(name), row, expand=parent is None)
            parents[name] = node
            self._rows[("region", row.value)] = node
        for code, name in sorted(countries, key=lambda item: item[1].casefold()):
            self._rows[("country", code)] = self.countries_node.add_leaf(Text(name), FilterRow("country", code, name))
        for name in sorted(feeds, key=str.casefold):
            self._rows[("feed", name)] = self.feeds_node.add_leaf(Text(safe_line(name)), FilterRow("feed", name, safe_line(name)))
        self._relabel()

    def set_counts(self, kind: str, counts: Mapping[str, Counts]) -> None:
        self._counts[kind] = counts
        self._relabel(kind)

    def set_active(self, active: Mapping[str, str | None]) -> None:
        changed = {(kind, value) for kind, value in self._active.items()} ^ set(active.items())
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

    # -- type-ahead ----------------------------------------------------------------------------------

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character is not None and (character.isalnum() or (character == " " and bool(self._typed)))

    def on_key(self, event: events.Key) -> None:
        if forward_to_search(self, event, may_open=not self.check_consume_key(event.key, event.character)):
            return
        character = event.character
        if character is None or not self.check_consume_key(event.key, character):
            return
        event.stop()
        event.prevent_default()
        now = time.monotonic()
        if now - self._typed_at > TYPE_AHEAD_RESET:
            self._typed = ""
        self._typed_at = now
        self._typed += character
        self._jump()

    def action_type_ahead_back(self) -> None:
        self._typed = self._typed[:-1]
        self._typed_at = time.monotonic()
        self._jump()

    @property
    def typed(self) -> str:
        return self._typed

    def _jump(self) -> None:
        self.border_subtitle = Text(f"jump: {self._typed}") if self._typed else None
        if not self._typed:
            return
        wanted = self._typed.casefold()
        nodes = [node for node in self._rows.values() if node.data is not None]
        current = self.cursor_node
        start = nodes.index(current) if current in nodes else 0
        if len(self._typed) == 1 and current in nodes:
            start += 1  # the same first letter again: the next match
        # From the cursor on, so typing the same letter again moves to the next match.
        for node in nodes[start:] + nodes[:start]:
            assert node.data is not None
            if node.data.name.casefold().startswith(wanted):
                parent = node.parent
                while parent is not None:
                    parent.expand()
                    parent = parent.parent
                self._move_to(node)  # now: an enter typed right behind must apply this row
                return
        self.app.bell()

    def _move_to(self, node: TreeNode[FilterRow]) -> None:
        self._tree_lines  # rebuilds the lines after an expand, so the node knows its line  # noqa: B018
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)
