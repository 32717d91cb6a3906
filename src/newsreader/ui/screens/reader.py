"""The reader screen: the filter bar, the filter pane, the story list over the article, and what the keys do
to them. This room holds the layout, the filters, moving, and the story under the cursor; refreshing and
feeds are in reader_feeds.py, the story actions in reader_story.py, grouping by story cluster and the other
versions of a story in reader_clusters.py, what they share in reader_base.py.

Attributes down, messages up: the screen sets its panes' attributes (the list's filter, the filter pane's
filter and active rows, the article's story) and hears from them (Highlighted, Loaded, Chosen) and from the
refresh controller (Progress, Finished, Failed). Every cache query runs in a worker on the reader's query
threads; the event loop never waits on the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Footer

from newsreader.library import (
    Counts,
    FeedConfig,
    Library,
    Story,
    StoryFilter,
    country_name,
)
from newsreader.ui import keymap
from newsreader.ui.filters import ActiveFilters
from newsreader.ui.format import stories
from newsreader.ui.pickers import CountrySearch, FeedSearch, LinkSearch, RegionSearch
from newsreader.ui.queries import QueryThreads
from newsreader.ui.refresh import RefreshController
from newsreader.ui.screens.picker import PickerScreen
from newsreader.ui.screens.reader_base import if_given
from newsreader.ui.screens.reader_clusters import ClusterActions
from newsreader.ui.screens.reader_feeds import FeedActions
from newsreader.ui.screens.reader_story import StoryActions
from newsreader.ui.widgets.article_view import ArticleView
from newsreader.ui.widgets.filter_bar import FilterBar, SearchInput
from newsreader.ui.widgets.filter_pane import FilterPane
from newsreader.ui.widgets.story_list import StoryList

#: Below this many columns the reader starts with the filter pane hidden (b shows it).
SIDEBAR_MIN_WIDTH = 100
#: What the keys may do in the reading view (see check_action).
READING_ACTIONS = frozenset({
    "quit", "help", "page", "next_unread", "previous_unread", "next_story", "previous_story", "toggle_read",
    "toggle_star", "open_link", "copy_link", "pick_link", "refresh", "drop_filter", "why", "next_version",
    "previous_version",
})
#: Search follows typing at once, but a burst of keys (a paste, key repeat) becomes one query.
SEARCH_DELAY = 0.01


class ReaderScreen(FeedActions, StoryActions, ClusterActions):
    """Read the cached news by country, region or keyword."""

    BINDINGS = keymap.bindings("screen")
    #: The reading view is the article pane maximized: the filter bar and the footer stay with it.
    ALLOW_IN_MAXIMIZED_VIEW = "Footer, #filter-bar"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal")]

    def __init__(self, library: Library, refresh: Callable[..., object], *, offline: bool,
                 clock: Callable[[], datetime], queries: QueryThreads, filters: ActiveFilters,
                 grouped: bool = True) -> None:
        super().__init__()
        self.library = library
        self.grouped = grouped
        self.offline = offline
        self.clock = clock
        self.queries = queries
        self._refresh = refresh
        self._initial_filters = filters
        self._dwell: Timer | None = None
        self._search_timer: Timer | None = None
        self._search_before: str | None = None
        self._removing: FeedConfig | None = None
        self._merged_early = False  # this refresh's stories went into the list when its feeds were saved
        self.last_counts: Counts | None = None

    # -- layout --------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield FilterBar(id="filter-bar")
        with Horizontal(id="main"):
            yield FilterPane(self.library, self.queries, id="filter-pane")
            with Vertical(id="reading"):
                yield StoryList(self.library, self.clock, self.queries, id="story-list")
                yield ArticleView(self.clock, country_name, id="article")
        yield Footer()
        yield RefreshController(self.library, self._refresh, self.clock, id="refresher")

    def on_mount(self) -> None:
        self.filter_pane.border_title = "Filters"
        self._title_list()
        self.article.border_title = "Article"
        next_version = keymap.effective_keys(self.config.keys)["story.next_version"]
        self.article.version_key = self.app.get_key_display(Binding(next_version[0], "")) if next_version else ""
        self.article.show_message("Loading…")
        self.story_list.focus()
        if self.app.size.width < SIDEBAR_MIN_WIDTH:  # 80 columns: the list and the article need them all
            self.add_class("-no-sidebar")
        self.filters = self._initial_filters
        if not self._initial_filters:
            self.watch_filters(self.filters)  # the reactive only fires on a change
        if not self.offline and (self.config.feeds or self.config.sync):
            self.call_after_refresh(self.action_refresh)
            self.refresher.schedule(self.config.settings.refresh_minutes)

    # -- filters -------------------------------------------------------------------------------------

    def watch_filters(self, filters: ActiveFilters) -> None:
        story_filter = filters.story_filter()
        self.story_list.load(self.list_filter(), keep=None)
        self._describe_filters(None)
        self.filter_pane.set_active({kind: filters.get(kind) for kind in ("country", "region", "feed")})  # type: ignore[misc]
        self.filter_pane.story_filter = story_filter
        self.post_message(self.FiltersChanged(filters))

    @on(StoryList.Loaded)
    def _list_loaded(self, event: StoryList.Loaded) -> None:
        self.last_counts = event.counts
        self._describe_filters(event.counts)
        if event.counts.total:
            return
        story_list = self.story_list
        if self.filters:
            what = " · ".join(self.filters.describe(country_name))
            story_list.set_empty_message(f"No story matches {what}.",
                                         "escape drops the last filter, x clears them all.")
            if self.filters.get("country") and not self.filters.get("mentions"):
                self._offer_mentions(event.story_filter)
        elif not self.config.feeds and not self.config.sync:
            where = self.config.path or "feeds.toml"
            story_list.set_empty_message("No feeds configured.", f"Press a to add a feed, or edit {where}.")
        elif self.offline:
            story_list.set_empty_message("Nothing cached yet, and the reader is offline.",
                                         "Run `newsreader fetch`, or start the reader without --offline.")
        elif self.refreshing:
            story_list.set_empty_message(f"Nothing cached yet: {self.refresh_doing()}…")
        elif (last := self.refresher.last_summary) is not None and not last.reached_any:
            story_list.set_empty_message(
                "Nothing cached yet, and no feed could be fetched" + (" (no network?)." if last.looks_offline else "."),
                "r tries again; `newsreader feeds` says why each feed failed.")
        else:
            story_list.set_empty_message("Nothing cached yet.", "Press r to fetch the feeds now, or run `newsreader fetch`.")
        self.article.show_message(*story_list.empty_message)
        self._stop_dwell()

    @work(exclusive=True, group="mentions", exit_on_error=False)
    async def _offer_mentions(self, story_filter: StoryFilter) -> None:
        """Nothing is about the country: say if stories mention it (`list --country X --mentions` finds them)."""
        counts = await self.queries.run("list", self.library.count, story_filter.but(include_mentions=True))
        if not counts.total or self.story_list.total or self.story_list.story_filter != story_filter:
            return
        name = country_name(str(self.filters.get("country")))
        mention = "mentions" if counts.total == 1 else "mention"
        self.story_list.set_empty_message(f"No story is about {name}, but {stories(counts.total)} {mention} it.",
                                          "M shows them; escape drops the last filter.")
        self.article.show_message(*self.story_list.empty_message)

    @on(FilterPane.Chosen)
    def _pane_chosen(self, event: FilterPane.Chosen) -> None:
        if event.kind != "saved":
            self.set_filter(event.kind, event.value)
            return
        saved = next((one for one in self.config.filters if one.name == event.value), None)
        if saved is not None:  # a saved filter replaces every filter set now
            self.filters = ActiveFilters.from_applied(saved.applied)

    # -- the story under the cursor ------------------------------------------------------------------

    @on(StoryList.Highlighted)
    def _highlighted(self, event: StoryList.Highlighted) -> None:
        self._stop_dwell()
        if event.header is None:
            return
        # A story the list landed on by itself (a filter, a refresh, the first paint) is shown but not
        # marked read: only one the reader moved to is. After a load the new rows paint first; the article
        # (the costlier repaint) follows a frame later.
        if event.reloaded:
            self.call_after_refresh(self._show, event.header.id, dwell=False)
        else:
            self._show(event.header.id, dwell=True)

    @work(exclusive=True, group="story", exit_on_error=False)
    async def _show(self, story_id: int, *, dwell: bool) -> None:
        story = await self.queries.run("story", self.library.story, story_id)
        current = self.story_list.current
        if current is None or current.id != story_id:
            return  # the cursor moved on while the story was read
        if story is None:
            self.article.show_message("This story is no longer in the cache.")
            return
        self._display(story)
        if dwell and not story.read:
            self._start_dwell(story.id)

    # -- moving --------------------------------------------------------------------------------------

    def _cycle_pane(self, step: int) -> None:
        if self.filter_bar.searching:
            self._close_search(accepted=True)
        panes = [pane for pane in self.panes if pane.display]
        focused = self.focused
        index = panes.index(focused) if focused in panes else 1
        # set_focus now, not focus() (later): the keys typed behind tab must reach the new pane
        self.set_focus(panes[(index + step) % len(panes)])

    def action_next_pane(self) -> None:
        self._cycle_pane(1)

    def action_previous_pane(self) -> None:
        self._cycle_pane(-1)

    def action_open_story(self) -> None:
        """Read the story under the cursor over the whole window."""
        current = self.story_list.current
        if current is None:
            return
        story = self.article.story
        if story is not None and story.id == current.id:
            self._open_reading(story)
        else:
            self._read_then_open(current.id)

    @work(exclusive=True, group="story", exit_on_error=False)
    async def _read_then_open(self, story_id: int) -> None:
        story = await self.queries.run("story", self.library.story, story_id)
        if story is not None:
            self._display(story)
            self._open_reading(story)

    def _open_reading(self, story: Story) -> None:
        """The reading view: the article pane over the whole window (the filter bar and the footer stay)."""
        if self.reading:
            return
        self._stop_dwell()
        self.maximize(self.article)
        self.set_focus(self.article)
        if not story.read:  # opened to be read: it is read
            self._set_read(story, True)
        self._title_reading(story)
        self.refresh_bindings()

    def watch_maximized(self, maximized: object) -> None:
        if maximized is None and self.article.border_subtitle:  # escape, q, or a dialog closing it
            self.article.border_title = "Article"
            self.article.border_subtitle = ""
            self.set_focus(self.story_list)
            self.refresh_bindings()

    def _close_reading(self) -> None:
        self.minimize()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the reading view only what reads: the rest waits for the panes (and leaves the footer)."""
        # False: off, and out of the footer.
        return not self.reading or action in READING_ACTIONS

    def action_page(self) -> None:
        """Page down the article; at its end, on to the next unread story."""
        if self.article.at_end:
            self.action_next_unread()
        else:
            self.article.scroll_page_down(animate=False)

    def action_next_unread(self) -> None:
        self._step(forward=True, unread=True)

    def action_previous_unread(self) -> None:
        self._step(forward=False, unread=True)

    def action_next_story(self) -> None:
        self._step(forward=True, unread=False)

    def action_previous_story(self) -> None:
        self._step(forward=False, unread=False)

    @work(exclusive=True, group="step", exit_on_error=False)
    async def _step(self, *, forward: bool, unread: bool) -> None:
        current = self.story_list.current
        story_filter = self.story_list.story_filter
        found = await self.queries.run("list", self.library.neighbour, story_filter,
                                       current.id if current is not None else None, forward=forward, unread=unread)
        if found is None:
            where = " · ".join(self.filters.describe(country_name))
            which = ("unread " if unread else "") + ("stories after this one" if forward else "stories before this one")
            self.notify(f"No more {which}" + (f" in {where}." if where else "."), markup=False, timeout=3)
            return
        self.story_list.go_to(found.id)
        if not self.reading and self.focused is not self.article:
            self.story_list.focus()

    def opening_action(self, key: str, character: str | None) -> Callable[[], None] | None:
        """The action a key opens something with (the search box, a picker, a dialog, the help), if it does;
        for keys typed ahead of the focus (see forward_to_search)."""
        opening = keymap.opening_keys(self.config.keys)
        action = opening.get(key) or (opening.get(character) if character else None)
        if action is None:
            return None
        target = self.app if action.scope == "app" else self
        return getattr(target, f"action_{action.action}")

    def action_quit(self) -> None:
        if self.reading:  # q in the reading view goes back to the panes
            self._close_reading()
            return
        self.app.exit()

    def action_help(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]

    # -- filters -------------------------------------------------------------------------------------

    def action_search(self) -> None:
        search = self.filters.get("search")
        self._search_before = search if isinstance(search, str) else None
        self.filter_bar.open_search(self._search_before or "")

    @on(SearchInput.Changed, "#search")
    def _search_typed(self, event: SearchInput.Changed) -> None:
        if not self.filter_bar.searching:
            return
        if self._search_timer is not None:
            self._search_timer.stop()
        value = event.value
        self._search_timer = self.set_timer(SEARCH_DELAY, lambda: self._apply_search(value), name="search")

    def _apply_search(self, value: str) -> None:
        self._search_timer = None
        self.filters = self.filters.keep_place("search", value.strip() or None)

    @on(SearchInput.Closed)
    def _search_closed(self, event: SearchInput.Closed) -> None:
        self._close_search(event.accepted)

    def _close_search(self, accepted: bool) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        # The box's value, not the last Changed seen: typed-ahead keys may still have their events queued.
        wanted = (self.filter_bar.search_input.value.strip() or None) if accepted else self._search_before
        if wanted != self.filters.get("search"):
            self.filters = self.filters.keep_place("search", wanted)
        self.filter_bar.close_search()
        self.story_list.focus()

    def action_pick_country(self) -> None:
        self.app.push_screen(
            PickerScreen("Country", CountrySearch(self.filter_pane.counts("country")),
                         placeholder="Name, code or demonym: arm, AM, Armenian"),
            if_given(lambda code: self.set_filter("country", code)))

    def action_pick_region(self) -> None:
        self.app.push_screen(PickerScreen("Region", RegionSearch(self.filter_pane.counts("region")),
                                          placeholder="Europe, Caucasus, Middle East…"),
                             if_given(lambda name: self.set_filter("region", name)))

    def action_pick_feed(self) -> None:
        names = self.filter_pane.feed_names or sorted((f.name for f in self.config.feeds), key=str.casefold)
        self.app.push_screen(PickerScreen("Feed", FeedSearch(names, self.filter_pane.counts("feed")),
                                          placeholder="Feed name"),
                             if_given(lambda name: self.set_filter("feed", name)))

    def action_pick_link(self) -> None:
        links = self.article.links
        if not links:
            self.notify("This story's text has no links.", markup=False)
            return
        self.app.push_screen(PickerScreen("Links in the article", LinkSearch(links), placeholder="Filter links"),
                             if_given(self.open_link))

    def action_toggle_sidebar(self) -> None:
        hidden = not self.has_class("-no-sidebar")
        self.set_class(hidden, "-no-sidebar")
        if hidden and self.filter_pane.has_focus:
            self.story_list.focus()

    def action_toggle_mentions(self) -> None:
        if not self.filters.get("country"):
            self.notify("Mentions go with a country filter: choose a country first (c).", markup=False)
            return
        self.set_filter("mentions", not self.filters.get("mentions"))

    def action_toggle_unread(self) -> None:
        self.set_filter("unread", not self.filters.get("unread"))

    def action_toggle_starred(self) -> None:
        self.set_filter("starred", not self.filters.get("starred"))

    def action_drop_filter(self) -> None:
        if self.reading:
            self._close_reading()
        elif self.filters:
            self.filters = self.filters.drop_last()
        elif self.focused is self.article:
            self.story_list.focus()
        else:
            raise SkipAction()

    def action_clear_filters(self) -> None:
        if self.filters:
            self.filters = ActiveFilters()
