"""The reader: narrow the cached news to a country, region, feed or keyword, and read it, from the keyboard."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from newsreader.library import Config, Counts, FeedConfig, Library, StoreError, Story, StoryFilter
from newsreader.text.sanitize import safe_line
from newsreader.ui import keymap
from newsreader.ui.commands import ReaderCommands
from newsreader.ui.filters import ActiveFilters
from newsreader.ui.format import error_line, stories
from newsreader.ui.messages import FeedRemoved, RefreshFailed, RefreshFinished, RefreshProgress
from newsreader.ui.screens.add_feed import AddFeedScreen
from newsreader.ui.screens.confirm import ConfirmScreen
from newsreader.ui.screens.help import HelpScreen
from newsreader.ui.screens.picker import Choice, PickerScreen
from newsreader.ui.state import ReaderState, save_state
from newsreader.ui.widgets.article_view import ArticleView, is_openable
from newsreader.ui.widgets.filter_bar import FilterBar, SearchInput
from newsreader.ui.widgets.filter_pane import FilterPane
from newsreader.ui.widgets.story_list import StoryList

if TYPE_CHECKING:
    from newsreader.library import AddResult

#: Filter-pane counts are the costly query; wait for typing and key repeat to settle before asking.
COUNTS_DELAY = 0.35
#: Search follows typing at once, but a burst of keys (a paste, key repeat) becomes one query.
SEARCH_DELAY = 0.01

RefreshFunction = Callable[..., object]


@cache
def country_name(code: str) -> str:
    from newsreader.library import country_name as name

    try:
        return name(code)
    except Exception:  # an unknown code in an old cache is shown as the code
        return code


class ReaderApp(App[int]):
    """Read the cached news by country, region or keyword, from the keyboard."""

    CSS_PATH = "app.tcss"
    TITLE = "newsreader"
    BINDINGS = keymap.bindings()
    COMMANDS = App.COMMANDS | {ReaderCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal")]

    filters: reactive[ActiveFilters] = reactive(ActiveFilters, init=False)
    refreshing: reactive[bool] = reactive(False, init=False)

    def __init__(
        self,
        library: Library,
        *,
        offline: bool = False,
        clock: Callable[[], datetime],
        state: ReaderState,
        state_path: Path | None,
        refresh: RefreshFunction,
    ) -> None:
        super().__init__()
        self.library = library
        self.offline = offline
        self.clock = clock
        self._state_path = state_path
        self._initial = state
        self._refresh = refresh
        self._list_pool = ThreadPoolExecutor(1, thread_name_prefix="reader-list")
        self._count_pool = ThreadPoolExecutor(1, thread_name_prefix="reader-counts")
        self._dwell: Timer | None = None
        self._quitting = threading.Event()
        self._counts_timer: Timer | None = None
        self._search_timer: Timer | None = None
        self._search_before: str | None = None
        self._pane_built = False
        self._started = False
        self._openers: dict[str, str] | None = None
        self._last_refresh: datetime | None = None
        self._refresh_timer: Timer | None = None
        #: Work that waits for the running refresh: fetching a feed just added, removing a feed.
        self._after_refresh: list[Callable[[], None]] = []
        self._removing: FeedConfig | None = None
        self.last_counts: Counts | None = None
        self.place_counts: dict[str, Mapping[str, Counts]] = {}

    @property
    def config(self) -> Config:
        return self.library.config

    # -- layout --------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield FilterBar(id="filter-bar")
        with Horizontal(id="main"):
            yield FilterPane(id="filter-pane")
            with Vertical(id="reading"):
                yield StoryList(self.library, self.clock, self._list_pool, id="story-list")
                yield ArticleView(self.clock, country_name, id="article")
        yield Footer()

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    @property
    def filter_pane(self) -> FilterPane:
        return self.query_one(FilterPane)

    @property
    def story_list(self) -> StoryList:
        return self.query_one(StoryList)

    @property
    def article(self) -> ArticleView:
        return self.query_one(ArticleView)

    @property
    def panes(self) -> list[FilterPane | StoryList | ArticleView]:
        return [self.filter_pane, self.story_list, self.article]

    # -- start and stop ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.filter_pane.border_title = "Filters"
        self.story_list.border_title = "Stories"
        self.article.border_title = "Article"
        if self.config.keys:
            self.set_keymap(self.config.keys)
            if unknown := keymap.unknown_ids(self.config.keys):
                self.notify(f"[keys] in feeds.toml: no binding called {', '.join(unknown)} (see ? for the ids)",
                            title="Unknown key ids", severity="warning", markup=False, timeout=8)
        if self._initial.theme and self._initial.theme in self.available_themes:
            self.theme = self._initial.theme
        self.article.show_message("Loading…")
        self.story_list.focus()
        self._started = True
        self.filters = self._initial.filters
        if not self._initial.filters:
            self.watch_filters(self.filters)  # the reactive only fires on a change
        if not self.offline and self.config.feeds:
            self.call_after_refresh(self.action_refresh)
            self._schedule_refresh()

    def on_unmount(self) -> None:
        self._quitting.set()  # a refresh still downloading stops now, rather than hold the exit for its timeout
        self._save_state()
        self._list_pool.shutdown(wait=False, cancel_futures=True)
        self._count_pool.shutdown(wait=False, cancel_futures=True)

    def _save_state(self) -> None:
        if self._state_path is not None:
            save_state(self._state_path, ReaderState(filters=self.filters, theme=self.theme))

    def watch_theme(self, theme: str) -> None:
        if self._started:
            self._save_state()

    # -- filters -------------------------------------------------------------------------------------

    def watch_filters(self, filters: ActiveFilters) -> None:
        self.story_list.load(filters.story_filter(), keep=None)
        self._describe_filters(None)
        self.filter_pane.set_active({kind: filters.get(kind) for kind in ("country", "region", "feed")})  # type: ignore[misc]
        self._schedule_counts()
        self._save_state()

    def _describe_filters(self, counts: Counts | None) -> None:
        self.filter_bar.show_summary(self.filters.describe(country_name), counts)

    def set_filter(self, kind: str, value: str | bool | None) -> None:
        self.filters = self.filters.with_(kind, value)

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
        elif not self.config.feeds:
            where = self.config.path or "feeds.toml"
            story_list.set_empty_message("No feeds configured.",
                                         f"Press a to add a feed, or edit {where}.")
        elif self.offline:
            story_list.set_empty_message("Nothing cached yet, and the reader is offline.",
                                         "Run `newsreader fetch`, or start the reader without --offline.")
        elif self.refreshing:
            story_list.set_empty_message(f"Nothing cached yet: fetching {len(self.config.feeds)} feeds…")
        else:
            story_list.set_empty_message("Nothing cached yet.", "Press r to fetch the feeds now, or run `newsreader fetch`.")
        self.article.show_message(*story_list.empty_message)
        self._stop_dwell()

    # -- the filter pane -----------------------------------------------------------------------------

    def _schedule_counts(self) -> None:
        if self._counts_timer is not None:
            self._counts_timer.stop()
        if self._pane_built:
            self._counts_timer = self.set_timer(COUNTS_DELAY, self._update_counts, name="counts")
        else:  # the first counts fill the pane: as soon as the list is painted
            self._counts_timer = None
            self.call_after_refresh(self._update_counts)

    def _update_counts(self) -> None:
        self._count_places(self.filters.story_filter(), not self._pane_built)

    @work(exclusive=True, group="counts", exit_on_error=False)
    async def _count_places(self, story_filter: StoryFilter, build: bool) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        if build:
            rows = await loop.run_in_executor(self._count_pool, self._pane_rows)
            self.filter_pane.build(*rows)
            self._pane_built = True
            self.filter_pane.set_active({kind: self.filters.get(kind) for kind in ("country", "region", "feed")})  # type: ignore[misc]
        for kind in ("region", "country", "feed"):
            counts = await loop.run_in_executor(self._count_pool, self._counts_for, kind, story_filter)
            self.place_counts[kind] = counts
            self.filter_pane.set_counts(kind, counts)

    def _pane_rows(self) -> tuple[list[tuple[str, str | None]], list[tuple[str, str]], list[str]]:
        """Runs on the counts thread: the region tree, the countries in the cache, the feeds."""
        from newsreader.library import regions

        region_rows = [(region.name, region.parent) for region in regions()]
        codes = self.library.place_counts("country")
        country_rows = [(code, country_name(code)) for code in codes]
        return region_rows, country_rows, self.library.feed_names()

    def _counts_for(self, kind: str, story_filter: StoryFilter) -> Mapping[str, Counts]:
        if kind == "feed":
            return self.library.feed_counts(story_filter)
        return self.library.place_counts(kind, story_filter)

    @on(FilterPane.Chosen)
    def _pane_chosen(self, event: FilterPane.Chosen) -> None:
        self.set_filter(event.kind, event.value)

    # -- the story under the cursor ------------------------------------------------------------------

    @on(StoryList.Highlighted)
    def _highlighted(self, event: StoryList.Highlighted) -> None:
        self._stop_dwell()
        if event.header is None:
            return
        if event.reloaded:
            # After a filter the new rows paint first; the article (the costlier repaint) follows a frame later.
            story_id = event.header.id
            self.call_after_refresh(self._show_if_current, story_id)
        else:
            self.show_story(event.header.id)

    def _show_if_current(self, story_id: int) -> None:
        current = self.story_list.current
        if current is not None and current.id == story_id and (self.article.story is None or self.article.story.id != story_id):
            self.show_story(story_id)

    def show_story(self, story_id: int) -> Story | None:
        story = self.library.story(story_id)
        if story is None:
            self.article.show_message("This story is no longer in the cache.")
            return None
        self.article.show_story(story)
        if not story.read:
            self._dwell = self.set_timer(self.config.settings.read_dwell, lambda: self._mark_read(story.id), name="dwell")
        return story

    def _stop_dwell(self) -> None:
        if self._dwell is not None:
            self._dwell.stop()
            self._dwell = None

    def _mark_read(self, story_id: int) -> None:
        self._dwell = None
        try:
            current = self.article.story
        except NoMatches:  # the dwell ran out as the reader was closing: its screen is gone
            return
        if current is None or current.id != story_id:
            return
        self._set_read(current, True)

    def _set_read(self, story: Story, read: bool) -> None:
        try:
            self.library.mark_read([story.id], read)
        except StoreError as error:
            self.notify(str(error), title="Could not save", severity="error", markup=False)
            return
        self.story_list.update_header(story.id, read=read)
        self.article.story = _replace_story(story, read=read)
        self._bump_counts(unread=-1 if read else 1)
        self._schedule_counts()

    def _bump_counts(self, unread: int) -> None:
        if self.last_counts is not None:
            self.last_counts = Counts(self.last_counts.total, max(0, self.last_counts.unread + unread))
            self._describe_filters(self.last_counts)

    # -- refreshing ----------------------------------------------------------------------------------

    def _schedule_refresh(self) -> None:
        if self._refresh_timer is None:
            self._refresh_timer = self.set_interval(self.config.settings.refresh_minutes * 60, self._scheduled_refresh,
                                                    name="refresh")

    def _scheduled_refresh(self) -> None:
        if not self.refreshing and self._removing is None:
            self.action_refresh()

    def action_refresh(self) -> None:
        if self.offline:
            self.notify("Offline: the reader does not fetch (started with --offline).", markup=False)
            return
        if not self.config.feeds:
            where = self.config.path or "feeds.toml"
            self.notify(f"No feeds configured: press a to add one, or add a [[feeds]] table to {where}.", severity="warning",
                        markup=False)
            return
        if self.refreshing or self._removing is not None:
            self.notify("Already refreshing." if self.refreshing else "Removing a feed: refresh in a moment.", markup=False)
            return
        self.refreshing = True
        self.filter_bar.show_status(f"Refreshing 0/{len(self.config.feeds)}…", "bold")
        if not self.story_list.total and not self.filters:
            self.story_list.set_empty_message(f"Nothing cached yet: fetching {len(self.config.feeds)} feeds…")
        self._refresh_worker()

    def _fetch_added(self, feed: FeedConfig) -> None:
        """Fetch just the feed added; after the running refresh, which does not know it."""
        if self.refreshing or self._removing is not None:
            self._after_refresh.append(partial(self._fetch_added, feed))
            return
        self.refreshing = True
        self.filter_bar.show_status(f"Fetching {safe_line(feed.name)}…", "bold")
        self._refresh_worker((feed,))

    def watch_refreshing(self, refreshing: bool) -> None:
        if not refreshing:
            self._run_waiting()

    def _run_waiting(self) -> None:
        """Start what waited for a refresh or a removal to end (each job waits again if it must)."""
        waiting, self._after_refresh = self._after_refresh, []
        for job in waiting:
            self.call_later(job)  # after the handler that ended the refresh has shown its outcome

    @work(thread=True, exclusive=True, exit_on_error=False, group="refresh", name="refresh")
    def _refresh_worker(self, feeds: tuple[FeedConfig, ...] | None = None) -> None:
        """Every configured feed, or just `feeds`."""
        total = len(self.config.feeds if feeds is None else feeds)
        only = {"feeds": list(feeds)} if feeds is not None else {}
        done = 0

        def progress(outcome: object) -> None:
            nonlocal done
            done += 1
            self.post_message(RefreshProgress(done, total, outcome))  # type: ignore[arg-type]

        from newsreader.library import RefreshCancelled

        # Set when Textual cancels this worker: as the reader quits, or as a newer refresh replaces this one.
        cancel = getattr(get_current_worker(), "cancelled_event", self._quitting)
        try:
            summary = self._refresh(on_outcome=progress, cancel=cancel, **only)
        except RefreshCancelled:  # the reader is closing
            return
        except StoreError as error:
            self.post_message(RefreshFailed(str(error)))
            return
        self.post_message(RefreshFinished(summary))  # type: ignore[arg-type]

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        self.filter_bar.show_status(f"Refreshing {message.done}/{message.total}…", "bold")

    def on_refresh_finished(self, message: RefreshFinished) -> None:
        from newsreader.library import Status

        self.refreshing = False
        summary = message.summary
        self._last_refresh = self.clock()
        failed = [o for o in summary.outcomes if o.status is Status.FAILED]
        status = f"Updated {self._last_refresh.astimezone(self.clock().tzinfo):%H:%M}"
        if summary.new:
            status += f" · {summary.new:,} new"
        if failed:
            status += f" · {len(failed)} failed"
        self.filter_bar.show_status(status, "yellow" if failed else "dim")
        if failed:
            lines = [f"{safe_line(o.feed.name)}: {safe_line(o.error)}" for o in sorted(failed, key=lambda o: o.feed.name.casefold())]
            shown = lines[:6] + ([f"… and {len(lines) - 6} more (see `newsreader feeds`)"] if len(lines) > 6 else [])
            title = "Every feed failed" if len(failed) == len(summary.outcomes) else f"{len(failed)} of {len(summary.outcomes)} feeds failed"
            if len(summary.outcomes) == 1:  # one feed fetched (one just added, say): "every feed" would mislead
                title = "Could not fetch the feed"
            self.notify("\n".join(shown), title=title, severity="error" if len(failed) == len(summary.outcomes) else "warning",
                        timeout=10, markup=False)
        if summary.new or summary.updated or summary.deleted or not self.story_list.total:
            self._merge_new_stories()

    def on_refresh_failed(self, message: RefreshFailed) -> None:
        self.refreshing = False
        self.filter_bar.show_status("Refresh failed", "red")
        self.notify(message.error, title="Refresh failed", severity="error", timeout=10, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "refresh":
            self.refreshing = False
            self.filter_bar.show_status("Refresh failed", "red")
            self.notify(error_line(event.worker.error), title="Refresh failed", severity="error",  # type: ignore[arg-type]
                        timeout=10, markup=False)
        elif event.state is WorkerState.ERROR and event.worker.group == "counts":
            self.notify(safe_line(str(event.worker.error)), title="Could not count stories", severity="warning", markup=False)
        elif event.state is WorkerState.ERROR and event.worker.group == "feeds":
            self.notify(error_line(event.worker.error), title="Could not remove the feed",  # type: ignore[arg-type]
                        severity="error", timeout=10, markup=False)
            if isinstance(event.worker.error, StoreError) and self._removing is not None:
                # feeds.toml was changed before the cache refused: the config must say so
                self._reload_config()
            self._removing = None
            self._run_waiting()

    def _merge_new_stories(self) -> None:
        """Reload under the same filters, the selected story staying where it is on screen."""
        current = self.story_list.current
        self.story_list.load(self.filters.story_filter(), keep=current.id if current else None)
        self._rebuild_pane()  # new feeds, new countries

    # -- actions: adding and removing feeds ----------------------------------------------------------

    def _asking(self) -> bool:
        """A feed dialog is open already: `a` or `d` again must not stack another on it."""
        return isinstance(self.screen, (AddFeedScreen, ConfirmScreen))

    def action_add_feed(self) -> None:
        if self._asking():
            return
        self.push_screen(AddFeedScreen(self.library, offline=self.offline), self._feed_added)

    def _feed_added(self, result: AddResult | None) -> None:
        if result is None:
            return
        feed = result.added[0]
        self._rebuild_pane()  # its row in the filter pane
        added = f"Added {safe_line(feed.name)}" + (f" (new file {result.path})" if result.created else "")
        if self.offline:
            self.notify(f"{added}. Offline: it is fetched when the reader next runs online.", markup=False)
            return
        self.notify(added, markup=False)
        self._schedule_refresh()  # the reader may have started with no feeds, and so with no schedule
        self._fetch_added(feed)

    def _reload_config(self) -> None:
        """Read feeds.toml again (a change failed half way, or it was edited by hand)."""
        from newsreader.library import ConfigError

        try:
            # The keys stay as bound at start: the help and the palette must show the keys that work.
            self.library.reload_config()
        except ConfigError as error:  # edited by hand in between, say: keep what the reader has
            self.notify(error_line(error), title="Could not read feeds.toml again", severity="error", markup=False)

    def _rebuild_pane(self) -> None:
        """The filter pane's feed rows follow the config: build it again, and the counts."""
        self._pane_built = False
        self._schedule_counts()

    def action_remove_feed(self) -> None:
        if self._asking() or (feed := self._feed_to_remove()) is None:
            return
        cached = self.library.count(StoryFilter(feed=feed.url))
        starred = self.library.count(StoryFilter(feed=feed.url, starred=True)).total
        deleted = cached.total - starred
        question = Text(f"Remove feed {safe_line(feed.name)}? ")
        question.append(f"Its {stories(deleted)} {'is' if deleted == 1 else 'are'} deleted; ")
        if starred:
            question.append("its starred story is kept. " if starred == 1 else f"its {starred:,} starred stories are kept. ")
        else:
            question.append("starred stories are kept. ")
        question.append("[y/n]", style="bold")
        self.push_screen(ConfirmScreen("Remove feed", question), lambda yes: self._remove(feed) if yes else None)

    def _feed_to_remove(self) -> FeedConfig | None:
        """The feed `d` means: the one the list is filtered on, else the highlighted story's."""
        wanted = self.filters.get("feed")
        if not isinstance(wanted, str):
            current = self.story_list.current
            if current is None:
                self.notify("No feed to remove: filter on a feed (f) or select one of its stories.", markup=False)
                return None
            wanted = current.feed
        feed = self.library.find_feed(wanted)
        if feed is None:
            self.notify(f"{safe_line(wanted)} is not in feeds.toml: there is no feed to remove, only cached stories.",
                        severity="warning", markup=False)
        return feed

    def _remove(self, feed: FeedConfig) -> None:
        if self.refreshing or self._removing is not None:
            # The refresh would write stories of the feed being deleted: wait for it.
            self._after_refresh.append(partial(self._remove, feed))
            self.notify(f"Removing {safe_line(feed.name)} when the refresh ends.", markup=False)
            return
        self._removing = feed
        self._remove_worker(feed)

    @work(thread=True, exit_on_error=False, group="feeds", name="remove-feed")
    def _remove_worker(self, feed: FeedConfig) -> None:
        self.post_message(FeedRemoved(self.library.unsubscribe(feed.url)))

    def on_feed_removed(self, message: FeedRemoved) -> None:
        self._removing = None
        removed = message.removed
        line = f"Removed {safe_line(removed.feed.name)}: {stories(removed.stories_deleted)} deleted"
        if removed.starred_kept:
            line += f", {removed.starred_kept} starred kept"
        self.notify(line, markup=False)
        self._pane_built = False  # its row leaves the filter pane (unless starred stories keep it)
        filtered = self.filters.get("feed")
        if isinstance(filtered, str) and filtered.casefold() in (removed.feed.name.casefold(), removed.feed.url.casefold()):
            self.filters = self.filters.with_("feed", None)
        else:
            self._merge_new_stories()
        self._run_waiting()

    # -- actions: moving -----------------------------------------------------------------------------

    def _pane_action(self, name: str, article_action: str | None = None) -> None:
        focused = self.focused
        if isinstance(focused, FilterPane):
            getattr(focused, f"action_{name}")()
        elif isinstance(focused, ArticleView):
            getattr(focused, f"action_{article_action or name}")()
        else:
            getattr(self.story_list, f"action_{name}")()

    def action_cursor_down(self) -> None:
        self._pane_action("cursor_down", "scroll_down")

    def action_cursor_up(self) -> None:
        self._pane_action("cursor_up", "scroll_up")

    def action_page_down(self) -> None:
        self._pane_action("page_down")

    def action_page_up(self) -> None:
        self._pane_action("page_up")

    def action_cursor_first(self) -> None:
        focused = self.focused
        if isinstance(focused, (FilterPane, ArticleView)):
            focused.action_scroll_home()
        else:
            self.story_list.action_cursor_first()

    def action_cursor_last(self) -> None:
        focused = self.focused
        if isinstance(focused, (FilterPane, ArticleView)):
            focused.action_scroll_end()
        else:
            self.story_list.action_cursor_last()

    def _cycle_pane(self, step: int) -> None:
        if self.screen is not self.screen_stack[0]:
            raise SkipAction()  # a picker or help screen: its own tab order
        if self.filter_bar.searching:
            self._close_search(accepted=True)
        panes = self.panes
        focused = self.focused
        index = panes.index(focused) if focused in panes else 1  # type: ignore[arg-type]
        # set_focus now, not focus() (later): the keys typed behind tab must reach the new pane
        self.screen.set_focus(panes[(index + step) % len(panes)])

    def action_next_pane(self) -> None:
        self._cycle_pane(1)

    def action_previous_pane(self) -> None:
        self._cycle_pane(-1)

    def action_open_story(self) -> None:
        current = self.story_list.current
        if current is None:
            return
        if self.article.story is None or self.article.story.id != current.id:
            self.show_story(current.id)
        self.article.focus()

    def opening_action(self, key: str) -> str | None:
        """The action of `key` if it opens the search box, a picker or the help (see forward_to_search)."""
        if self._openers is None:
            from textual.keys import _character_to_key

            self._openers = {}
            keys = keymap.effective_keys(self.config.keys)
            for action in keymap.KEY_ACTIONS:
                if action.action in keymap.OPENERS:
                    for name in keys[action.id]:
                        self._openers[_character_to_key(name) if len(name) == 1 else name] = action.action
        return self._openers.get(key)

    # -- actions: filters ----------------------------------------------------------------------------

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
        def search(query: str) -> list[Choice]:
            from newsreader.library import search_countries

            counts = self.place_counts.get("country", {})
            if query.strip():
                found = search_countries(query, 40)
            else:  # nothing typed yet: the countries with most stories first
                found = [(code, country_name(code)) for code in sorted(counts, key=lambda c: -counts[c].total)][:60]
            return [Choice(code, _choice_label(name, code, counts.get(code))) for code, name in found]

        self.push_screen(PickerScreen("Country", search, placeholder="Name, code or demonym: arm, AM, Armenian"),
                         lambda code: self.set_filter("country", code) if code else None)

    def action_pick_region(self) -> None:
        def search(query: str) -> list[Choice]:
            from newsreader.library import regions, search_regions

            counts = self.place_counts.get("region", {})
            names = search_regions(query, 40) if query.strip() else [r.name for r in regions() if r.parent]
            return [Choice(name, _choice_label(name, None, counts.get(name))) for name in names]

        self.push_screen(PickerScreen("Region", search, placeholder="Europe, Caucasus, Middle East…"),
                         lambda name: self.set_filter("region", name) if name else None)

    def action_pick_feed(self) -> None:
        from textual.fuzzy import Matcher

        names = self.library.feed_names()

        def search(query: str) -> list[Choice]:
            counts = self.place_counts.get("feed", {})
            if not query.strip():
                found = names
            else:
                matcher = Matcher(query)
                scored = [(matcher.match(name), name) for name in names]
                found = [name for score, name in sorted(scored, key=lambda item: -item[0]) if score > 0]
            return [Choice(name, _choice_label(safe_line(name), None, counts.get(name))) for name in found]

        self.push_screen(PickerScreen("Feed", search, placeholder="Feed name"),
                         lambda name: self.set_filter("feed", name) if name else None)

    def action_pick_link(self) -> None:
        links = self.article.links
        if not links:
            self.notify("This story's text has no links.", markup=False)
            return

        def search(query: str) -> list[Choice]:
            wanted = query.casefold().strip()
            rows = []
            for link in links:
                if wanted and wanted not in link.text.casefold() and wanted not in link.url.casefold():
                    continue
                label = Text(link.text + "  ") if link.text != link.url else Text()
                label.append(link.url, style="underline" if is_openable(link.url) else "dim strike")
                rows.append(Choice(link.url, label))
            return rows

        self.push_screen(PickerScreen("Links in the article", search, placeholder="Filter links"),
                         lambda url: self._open(url) if url else None)

    def action_toggle_unread(self) -> None:
        self.set_filter("unread", not self.filters.get("unread"))

    def action_toggle_starred(self) -> None:
        self.set_filter("starred", not self.filters.get("starred"))

    def action_drop_filter(self) -> None:
        if self.filters:
            self.filters = self.filters.drop_last()
        elif self.focused is self.article:
            self.story_list.focus()

    def action_clear_filters(self) -> None:
        if self.filters:
            self.filters = ActiveFilters()

    # -- actions: the story --------------------------------------------------------------------------

    def _current_story(self) -> Story | None:
        story = self.article.story
        if story is None:
            self.notify("No story selected.", markup=False)
        return story

    def action_toggle_read(self) -> None:
        if (story := self._current_story()) is not None:
            self._stop_dwell()  # the person decided: the dwell timer must not undo it
            self._set_read(story, not story.read)

    def action_toggle_star(self) -> None:
        if (story := self._current_story()) is None:
            return
        try:
            self.library.mark_starred(story.id, not story.starred)
        except StoreError as error:
            self.notify(str(error), title="Could not save", severity="error", markup=False)
            return
        self.story_list.update_header(story.id, starred=not story.starred)
        self.article.show_story(_replace_story(story, starred=not story.starred))

    def action_open_link(self) -> None:
        if (story := self._current_story()) is None:
            return
        if not story.link:
            self.notify("This story has no link.", markup=False)
            return
        self._open(story.link)

    def _open(self, url: str) -> None:
        if not is_openable(url):
            self.notify(f"Not opening {safe_line(url)}: only http, https and mailto links are opened.",
                        severity="warning", markup=False)
            return
        self.open_url(url)
        self.notify(f"Opened {safe_line(url)}", markup=False, timeout=3)

    def action_copy_link(self) -> None:
        if (story := self._current_story()) is None:
            return
        if not story.link:
            self.notify("This story has no link.", markup=False)
            return
        self.copy_to_clipboard(safe_line(story.link))
        self.notify(f"Copied {safe_line(story.link)}", markup=False, timeout=3)

    @on(ArticleView.LinkRefused)
    def _link_refused(self, event: ArticleView.LinkRefused) -> None:
        self._open(event.url)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.config.keys))


def _choice_label(name: str, code: str | None, counts: Counts | None) -> Text:
    label = Text(name)
    if code:
        label.append(f" {code}", style="dim")
    if counts is not None and counts.total:
        label.append(f"  {counts.total:,}", style="dim")
        if counts.unread:
            label.append(f" ({counts.unread:,} unread)", style="dim")
    return label


def _replace_story(story: Story, **changes: object) -> Story:

    return replace(story, **changes)  # type: ignore[arg-type]
