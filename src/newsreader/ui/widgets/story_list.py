"""The list pane: a virtual list of story headers, newest first; grouped, a row per story cluster.

Only the rows on screen are ever built: the list knows how many stories match and fetches headers a page
at a time, on the list's query thread, as rows come into view, so 100,000 cached stories cost what 30 do.
A row whose page is still on its way is drawn blank for a frame. Grouped (`StoryFilter.grouped`), a row is
a cluster: the same event told by several outlets, shown by its newest story that passes the filters, with
how many outlets told it and in which languages ("3× en fr"); the store's query does the grouping.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from newsreader.library import Counts, Library, StoryFilter, StoryHeader
from newsreader.text.sanitize import safe_line
from newsreader.ui import keymap
from newsreader.ui.format import SHORT_WHEN_WIDTH, fit, short_when
from newsreader.ui.queries import QueryThreads
from newsreader.ui.widgets.filter_bar import forward_to_search

#: Headers fetched per query; the list keeps a few pages around the rows on screen.
PAGE = 100
PAGES_KEPT = 12


class StoryList(ScrollView, can_focus=True, inherit_bindings=False):
    """Headers of the stories that match the filter; the cursor row is what the article pane shows."""

    COMPONENT_CLASSES = {
        "story-list--cursor",
        "story-list--unread",
        "story-list--read",
        "story-list--dim",
        "story-list--star",
        "story-list--empty",
        "story-list--group",
    }
    # Not ScrollView's bindings: its arrows scroll the view and leave the cursor behind.
    BINDINGS = keymap.pane_bindings(cursor_down="cursor_down", cursor_up="cursor_up", cursor_page_down="page_down",
                                    cursor_page_up="page_up", cursor_first="cursor_first", cursor_last="cursor_last")

    class Highlighted(Message):
        """The cursor moved to another story (or the list became empty: header is None).

        `reloaded`: it moved because the list was reloaded (a filter, a refresh), not by a key.
        """

        def __init__(self, header: StoryHeader | None, reloaded: bool = False) -> None:
            super().__init__()
            self.header = header
            self.reloaded = reloaded

    class Loaded(Message):
        """A load finished: the list now shows `story_filter`, `counts` of it."""

        def __init__(self, story_filter: StoryFilter, counts: Counts) -> None:
            super().__init__()
            self.story_filter = story_filter
            self.counts = counts

    def __init__(self, library: Library, clock: Callable[[], datetime], queries: QueryThreads, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._library = library
        self._clock = clock
        self._queries = queries
        self._filter = StoryFilter()
        self._total = 0
        self._pages: OrderedDict[int, list[StoryHeader]] = OrderedDict()
        self._wanted: set[int] = set()  #: pages on their way
        self._generation = 0
        self._applied = -1
        self._counted = -1
        self._loaded = False
        self._highlighted_id: int | None = None
        self.cursor = 0
        self.empty_message: tuple[str, ...] = ("Loading…",)

    # -- what it shows -------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return self._total

    @property
    def story_filter(self) -> StoryFilter:
        return self._filter

    @property
    def loaded(self) -> bool:
        return self._loaded

    @property
    def rows_ready(self) -> bool:
        """The rows of the last load asked for are shown (the count may still be coming)."""
        return self._applied == self._generation

    @property
    def settled(self) -> bool:
        """The last load asked for is shown and counted, and no page is on its way."""
        return self._counted == self._generation and not self._wanted

    @property
    def current(self) -> StoryHeader | None:
        """The story under the cursor; None when the list is empty or its page is still on its way."""
        return self.header_at(self.cursor) if self._total else None

    def header_at(self, index: int) -> StoryHeader | None:
        """The header of row `index` if its page is here; else None, and the page is sent for."""
        if not 0 <= index < self._total:
            return None
        number, offset = divmod(index, PAGE)
        page = self._pages.get(number)
        if page is None:
            self._send_for(number)
            return None
        self._pages.move_to_end(number)
        return page[offset] if offset < len(page) else None

    def _send_for(self, number: int) -> None:
        if number not in self._wanted:
            self._wanted.add(number)
            self._fetch_page(number, self._generation)

    @work(group="story-list-pages", exit_on_error=False)
    async def _fetch_page(self, number: int, generation: int) -> None:
        try:
            page = await self._queries.run("list", self._library.headers, self._filter, limit=PAGE,
                                           offset=number * PAGE)
        finally:
            self._wanted.discard(number)
        if generation != self._generation:
            return
        self._remember(number, page)
        self.refresh()
        if self.cursor // PAGE == number:
            self._announce()

    def _remember(self, number: int, page: list[StoryHeader]) -> None:
        self._pages[number] = page
        self._pages.move_to_end(number)
        while len(self._pages) > PAGES_KEPT:
            self._pages.popitem(last=False)

    def visible_headers(self) -> list[StoryHeader]:
        """The headers of the rows on screen that are here (for tests and the benchmark)."""
        top = round(self.scroll_y)
        return [h for i in range(top, min(self._total, top + self.scrollable_content_region.height))
                if (h := self.header_at(i)) is not None]

    def update_header(self, story_id: int, **changes: object) -> None:
        """Change a row in place (read, starred) without a reload, so the list never jumps under the cursor."""
        for page in self._pages.values():
            for index, header in enumerate(page):
                if header.id == story_id:
                    page[index] = replace(header, **changes)  # type: ignore[arg-type]
                    self.refresh()
                    return

    def mark_read(self, story_id: int, cluster: int, read: bool, *, whole_cluster: bool) -> int:
        """Change the rows a read mark touches in place: the story's (ungrouped), its cluster's other stories
        too with `whole_cluster`; grouped, the cluster's row (read once all its stories are). Returns how many
        rows went from unread to read (negative: the other way)."""
        changed = 0
        for page in self._pages.values():
            for index, header in enumerate(page):
                if self._filter.grouped:
                    if header.cluster != cluster:
                        continue
                    now_read = (header.read or whole_cluster or header.stories == 1) if read else False
                elif header.id == story_id or (whole_cluster and header.cluster == cluster):
                    now_read = read
                else:
                    continue
                if now_read != header.read:
                    page[index] = replace(header, read=now_read)
                    changed += 1 if now_read else -1
        if changed:
            self.refresh()
        return changed

    def set_empty_message(self, *lines: str) -> None:
        self.empty_message = lines
        if not self._total:
            self.refresh()

    # -- loading -------------------------------------------------------------------------------------

    def load(self, story_filter: StoryFilter, *, keep: int | None = None) -> None:
        """Show the stories matching `story_filter`; with `keep`, that story stays under the cursor, on the
        same screen row, if it still matches (a refresh merging new stories in)."""
        self._generation += 1
        self._load(story_filter, keep, self._generation)

    @work(exclusive=True, group="story-list", exit_on_error=False)
    async def _load(self, story_filter: StoryFilter, keep: int | None, generation: int) -> None:
        # Two steps: the rows on screen first (a page costs about a millisecond), then the count (which
        # has to look at every match), so the list answers a filter at once and the total follows.
        result = await self._queries.run("list", self._query_page, story_filter, keep, generation)
        if result is None or generation != self._generation:
            return
        number, position, page = result
        old_row = self.cursor - round(self.scroll_y)
        self._applied = generation
        self._filter = story_filter
        self._pages = OrderedDict({number: page})
        self._wanted.clear()
        self._loaded = True
        self._set_total(number * PAGE + len(page))  # at least this many; exact once counted
        if position is not None:
            self.cursor = position
            self._scroll_now(position - old_row)
        else:
            self.cursor = 0
            self._scroll_now(0)
        self.refresh()
        self._announce(reloaded=True)
        counts = await self._queries.run("list", self._query_count, story_filter, generation)
        if counts is None or generation != self._generation:
            return
        self._counted = generation
        self._set_total(counts.total)
        self.refresh()
        self.post_message(self.Loaded(story_filter, counts))

    def _set_total(self, total: int) -> None:
        self._total = total
        self.virtual_size = Size(self.scrollable_content_region.width, total)

    def _query_page(self, story_filter: StoryFilter, keep: int | None, generation: int
                    ) -> tuple[int, int | None, list[StoryHeader]] | None:
        """Runs on the query thread: the page the cursor lands on."""
        if generation != self._generation:  # a newer load is queued: skip the work
            return None
        position = self._library.position(story_filter, keep) if keep is not None else None
        number = (position or 0) // PAGE
        return number, position, self._library.headers(story_filter, limit=PAGE, offset=number * PAGE)

    def _query_count(self, story_filter: StoryFilter, generation: int) -> Counts | None:
        if generation != self._generation:
            return None
        return self._library.count(story_filter)

    # -- the cursor ----------------------------------------------------------------------------------

    def move_cursor(self, index: int) -> None:
        if not self._total:
            return
        index = max(0, min(self._total - 1, index))
        if index == self.cursor:
            return
        self.cursor = index
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        if index < top:
            self._scroll_now(index)
        elif index >= top + height:
            self._scroll_now(index - height + 1)
        self.refresh()
        self._announce()

    def go_to(self, story_id: int) -> None:
        """Move the cursor to this story (its page is read first if it is not here)."""
        self._go_to(story_id, self._generation)

    @work(exclusive=True, group="story-list-go-to", exit_on_error=False)
    async def _go_to(self, story_id: int, generation: int) -> None:
        position = await self._queries.run("list", self._library.position, self._filter, story_id)
        if position is None or generation != self._generation:
            return
        number = position // PAGE
        if number not in self._pages:
            page = await self._queries.run("list", self._library.headers, self._filter, limit=PAGE,
                                           offset=number * PAGE)
            if generation != self._generation:
                return
            self._remember(number, page)
        if position >= self._total:  # the count is still on its way
            self._set_total(position + 1)
        self.move_cursor(position)

    def _scroll_now(self, y: int) -> None:
        """Scroll without animation, in this frame (the row under the cursor must not jump)."""
        self.scroll_target_y = self.scroll_y = max(0, min(y, self.max_scroll_y))

    def _announce(self, reloaded: bool = False) -> None:
        header = self.current
        if header is None and self._total:
            return  # its page is on its way: announced when it arrives
        story_id = header.id if header else None
        if story_id != self._highlighted_id:
            self._highlighted_id = story_id
            self.post_message(self.Highlighted(header, reloaded))

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + max(1, self.scrollable_content_region.height - 1))

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - max(1, self.scrollable_content_region.height - 1))

    def action_cursor_first(self) -> None:
        self.move_cursor(0)

    def action_cursor_last(self) -> None:
        self.move_cursor(self._total - 1)

    def on_key(self, event: events.Key) -> None:
        forward_to_search(self, event)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None:
            self.move_cursor(round(self.scroll_y) + offset.y)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self._total)

    # -- drawing -------------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not self._total:
            return self._empty_line(y, width, base)
        index = round(self.scroll_y) + y
        header = self.header_at(index)
        if header is None:
            return Strip.blank(width, base)
        return self._row(header, width, base, index == self.cursor)

    def _empty_line(self, y: int, width: int, base: Style) -> Strip:
        lines = self.empty_message
        if 1 <= y <= len(lines):
            style = base + self.get_component_rich_style("story-list--empty")
            text = set_cell_size(" " + lines[y - 1], width)
            return Strip([Segment(text, style)], width)
        return Strip.blank(width, base)

    def _row(self, header: StoryHeader, width: int, base: Style, is_cursor: bool) -> Strip:
        row_style = base + self.get_component_rich_style(
            "story-list--unread" if not header.read else "story-list--read"
        )
        dim = base + self.get_component_rich_style("story-list--dim")
        star = base + self.get_component_rich_style("story-list--star")
        if is_cursor:
            cursor = self.get_component_rich_style("story-list--cursor")
            row_style, dim, star = row_style + cursor, dim + cursor, star + cursor
        segments = [
            Segment("★" if header.starred else " ", star),
            Segment("●" if not header.read else " ", star if not header.read else dim),
            Segment(" " + short_when(header.when, self._clock()).rjust(SHORT_WHEN_WIDTH) + " ", dim),
        ]
        used = SHORT_WHEN_WIDTH + 4
        # Grouped, a row told by several outlets says how many and in which languages where the feed goes.
        group = f"{header.outlets}× " + " ".join(header.languages) if header.outlets > 1 else ""
        group_style = base + self.get_component_rich_style("story-list--group") if group else dim
        if group and is_cursor:
            group_style += self.get_component_rich_style("story-list--cursor")
        if width >= 72:
            feed_width = 14 if width < 110 else 20
            segments.append(Segment(fit(safe_line(group or header.feed), feed_width) + " ", group_style))
            used += feed_width + 1
        elif group:
            label = f"{header.outlets}× "
            segments.append(Segment(label, group_style))
            used += len(label)
        country = self._filter.country
        mention_only = bool(self._filter.include_mentions and country and country not in header.countries)
        if width >= 56:
            # A story that only mentions the country filtered on says so: its code in brackets.
            places = f"({country})" if mention_only else " ".join(header.countries[:3])
            segments.append(Segment(fit(places, 8) + " ", dim))
            used += 9
        if mention_only:
            row_style += Style(italic=True)
        title = safe_line(header.title)
        room = max(0, width - used)
        segments.append(Segment(fit(title, room), row_style))
        return Strip(segments, width)


__all__ = ["PAGE", "StoryList"]
