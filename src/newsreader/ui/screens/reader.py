"""The reader screen: the filter bar, the filter pane, the story list over the article, and what the keys do
to them: moving between panes, filters, story actions, refreshing, adding and removing feeds.

Attributes down, messages up: the screen sets its panes' attributes (the list's filter, the filter pane's
filter and active rows, the article's story) and hears from them (Highlighted, Loaded, Chosen) and from the
refresh controller (Progress, Finished, Failed). Every cache query runs in a worker on the reader's query
threads; the event loop never waits on the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from newsreader.library import (
    Counts,
    DiskFull,
    FeedConfig,
    Library,
    NewsreaderError,
    RefreshSummary,
    SavedFilter,
    Status,
    StoreError,
    Story,
    StoryFilter,
    country_name,
)
from newsreader.text.sanitize import safe_line
from newsreader.ui import keymap
from newsreader.ui.filters import ActiveFilters
from newsreader.ui.format import error_line, stories
from newsreader.ui.pickers import CountrySearch, FeedSearch, LinkSearch, RegionSearch
from newsreader.ui.queries import QueryThreads
from newsreader.ui.refresh import RefreshController
from newsreader.ui.screens.add_feed import AddFeedScreen
from newsreader.ui.screens.confirm import ConfirmScreen
from newsreader.ui.screens.picker import PickerScreen
from newsreader.ui.screens.prompt import PromptScreen
from newsreader.ui.screens.reading import ReadingScreen
from newsreader.ui.system import copy_with_tool, open_in_browser, osc52_note
from newsreader.ui.widgets.article_view import ArticleView, is_openable
from newsreader.ui.widgets.filter_bar import FilterBar, SearchInput
from newsreader.ui.widgets.filter_pane import FilterPane
from newsreader.ui.widgets.story_list import StoryList

#: Below this many columns the reader starts with the filter pane hidden (b shows it).
SIDEBAR_MIN_WIDTH = 100
#: Search follows typing at once, but a burst of keys (a paste, key repeat) becomes one query.
SEARCH_DELAY = 0.01


class ReaderScreen(Screen[None]):
    """Read the cached news by country, region or keyword."""

    BINDINGS = keymap.bindings("screen")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-normal")]

    filters: reactive[ActiveFilters] = reactive(ActiveFilters, init=False)

    class FiltersChanged(Message):
        """The filters changed (the app keeps them for the next start)."""

        def __init__(self, filters: ActiveFilters) -> None:
            super().__init__()
            self.filters = filters

    def __init__(self, library: Library, refresh: Callable[..., object], *, offline: bool,
                 clock: Callable[[], datetime], queries: QueryThreads, filters: ActiveFilters) -> None:
        super().__init__()
        self.library = library
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
    def refresher(self) -> RefreshController:
        return self.query_one(RefreshController)

    @property
    def panes(self) -> list[FilterPane | StoryList | ArticleView]:
        return [self.filter_pane, self.story_list, self.article]

    @property
    def refreshing(self) -> bool:
        return self.refresher.refreshing

    @property
    def config(self):  # type: ignore[no-untyped-def]  # -> Config
        return self.library.config

    def on_mount(self) -> None:
        self.filter_pane.border_title = "Filters"
        self.story_list.border_title = "Stories"
        self.article.border_title = "Article"
        self.article.show_message("Loading…")
        self.story_list.focus()
        if self.app.size.width < SIDEBAR_MIN_WIDTH:  # 80 columns: the list and the article need them all
            self.add_class("-no-sidebar")
        self.filters = self._initial_filters
        if not self._initial_filters:
            self.watch_filters(self.filters)  # the reactive only fires on a change
        if not self.offline and self.config.feeds:
            self.call_after_refresh(self.action_refresh)
            self.refresher.schedule(self.config.settings.refresh_minutes)

    # -- filters -------------------------------------------------------------------------------------

    def watch_filters(self, filters: ActiveFilters) -> None:
        story_filter = filters.story_filter()
        self.story_list.load(story_filter, keep=None)
        self._describe_filters(None)
        self.filter_pane.set_active({kind: filters.get(kind) for kind in ("country", "region", "feed")})  # type: ignore[misc]
        self.filter_pane.story_filter = story_filter
        self.post_message(self.FiltersChanged(filters))

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
            if self.filters.get("country") and not self.filters.get("mentions"):
                self._offer_mentions(event.story_filter)
        elif not self.config.feeds:
            where = self.config.path or "feeds.toml"
            story_list.set_empty_message("No feeds configured.", f"Press a to add a feed, or edit {where}.")
        elif self.offline:
            story_list.set_empty_message("Nothing cached yet, and the reader is offline.",
                                         "Run `newsreader fetch`, or start the reader without --offline.")
        elif self.refreshing:
            story_list.set_empty_message(f"Nothing cached yet: fetching {len(self.config.feeds)} feeds…")
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

    def action_save_filter(self) -> None:
        if not self.filters:
            self.notify("No filters to save: set some first (c, g, f, /, u).", markup=False)
            return
        name = ", ".join(self.filters.describe(country_name))
        self.app.push_screen(PromptScreen("Save filter", "Saved filters sit at the top of the filter pane, with "
                                                         "their unread counts; they are kept in feeds.toml.", name),
                             lambda name: self._save_filter(name, self.filters) if name else None)

    @work(group="saved-filters", exit_on_error=False)
    async def _save_filter(self, name: str, filters: ActiveFilters) -> None:
        try:
            kept = await self.queries.run("story", self.library.save_filter, SavedFilter(name, filters.applied))
        except NewsreaderError as error:
            self.notify(error_line(error), title="Could not save the filter", severity="error", markup=False)
            return
        self.notify(f"Saved the filter {safe_line(kept.name)}.", markup=False, timeout=3)
        self.filter_pane.rebuild()

    def _ask_to_remove_saved(self, name: str) -> None:
        question = Text(f"Remove the saved filter {safe_line(name)}? (No story is touched.) ")
        question.append("[y/n]", style="bold")
        self.app.push_screen(ConfirmScreen("Remove saved filter", question),
                             lambda yes: self._remove_saved(name) if yes else None)

    @work(group="saved-filters", exit_on_error=False)
    async def _remove_saved(self, name: str) -> None:
        try:
            await self.queries.run("story", self.library.remove_saved_filter, name)
        except NewsreaderError as error:
            self.notify(error_line(error), title="Could not remove the filter", severity="error", markup=False)
            return
        self.notify(f"Removed the saved filter {safe_line(name)}.", markup=False, timeout=3)
        self.filter_pane.rebuild()

    # -- the story under the cursor ------------------------------------------------------------------

    @on(StoryList.Highlighted)
    def _highlighted(self, event: StoryList.Highlighted) -> None:
        self._stop_dwell()
        if event.header is None:
            return
        # A story the list landed on by itself (a filter, a refresh, the first paint) is shown but not
        # marked read: only one the reader moved to is.
        self._show(event.header.id, dwell=not event.reloaded)

    @work(exclusive=True, group="story", exit_on_error=False)
    async def _show(self, story_id: int, *, dwell: bool) -> None:
        story = await self.queries.run("story", self.library.story, story_id)
        current = self.story_list.current
        if current is None or current.id != story_id:
            return  # the cursor moved on while the story was read
        if story is None:
            self.article.show_message("This story is no longer in the cache.")
            if (reading := self._reading()) is not None:
                reading.show_message("This story is no longer in the cache.")
            return
        self._display(story)
        if dwell and not story.read:
            self._dwell = self.set_timer(self.config.settings.read_dwell, lambda: self._dwell_ran_out(story.id),
                                         name="dwell")

    def _display(self, story: Story) -> None:
        """Show the story in the article pane, and in the reading view if one is open."""
        self.article.show_story(story)
        if (reading := self._reading()) is not None:
            reading.show_story(story)

    def _reading(self) -> ReadingScreen | None:
        top = self.app.screen
        return top if isinstance(top, ReadingScreen) and top.reader is self else None

    def reading_bar(self, story: Story) -> Text:
        """The reading view's top line: where this story is in the list, and the filters it is under."""
        bar = Text()
        current = self.story_list.current
        if current is not None and current.id == story.id and self.story_list.total:
            bar.append(f"{self.story_list.cursor + 1:,} of {self.story_list.total:,}", style="bold")
        what = " · ".join(self.filters.describe(country_name)) or "All stories"
        bar.append(f"  {what}", style="dim")
        if self.last_counts is not None and self.last_counts.unread:
            bar.append(f" · {self.last_counts.unread:,} unread", style="dim")
        return bar

    def _stop_dwell(self) -> None:
        if self._dwell is not None:
            self._dwell.stop()
            self._dwell = None

    def _dwell_ran_out(self, story_id: int) -> None:
        self._dwell = None
        articles = self.query(ArticleView)
        if not articles:  # the dwell ran out as the reader was closing: its panes are gone
            return
        current = articles.first().story
        if current is not None and current.id == story_id and not current.read:
            self._set_read(current, True)

    def _set_read(self, story: Story, read: bool) -> None:
        self.story_list.update_header(story.id, read=read)
        self.article.story = _replace_story(story, read=read)
        if (reading := self._reading()) is not None and reading.story is not None and reading.story.id == story.id:
            reading.show_story(self.article.story)
        self._bump_counts(unread=-1 if read else 1)
        self._save_flag(self.library.mark_read, [story.id], read)

    @work(group="marks", exit_on_error=False)
    async def _save_flag(self, call: Callable[..., None], *args: object) -> None:
        try:
            await self.queries.run("story", call, *args)
        except StoreError as error:
            self.cache_refused(error)
            return
        self.filter_pane.story_filter = self.filters.story_filter()  # the unread counts changed

    def cache_refused(self, error: StoreError) -> None:
        """The cache would not take a change: say why in words a person can act on."""
        if isinstance(error, DiskFull):
            self.notify(f"The disk holding the cache ({error.path}) is full. Nothing already saved was lost, but read "
                        "marks, stars and new stories cannot be saved until some space is freed.", title="Disk full",
                        severity="error", timeout=60, markup=False)
        else:
            self.notify(str(error), title="Could not save", severity="error", timeout=20, markup=False)

    def _bump_counts(self, unread: int) -> None:
        if self.last_counts is not None:
            self.last_counts = Counts(self.last_counts.total, max(0, self.last_counts.unread + unread))
            self._describe_filters(self.last_counts)

    # -- refreshing ----------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        if self.offline:
            self.notify("Offline: the reader does not fetch (started with --offline).", markup=False)
            return
        if not self.config.feeds:
            where = self.config.path or "feeds.toml"
            self.notify(f"No feeds configured: press a to add one, or add a [[feeds]] table to {where}.",
                        severity="warning", markup=False)
            return
        if not self.refresher.start():
            self.notify("Already refreshing." if self.refreshing else "Removing a feed: refresh in a moment.",
                        markup=False)
            return
        self.filter_bar.show_status(f"Refreshing 0/{len(self.config.feeds)}…", "bold")
        if not self.story_list.total and not self.filters:
            self.story_list.set_empty_message(f"Nothing cached yet: fetching {len(self.config.feeds)} feeds…")

    def _fetch_added(self, feed: FeedConfig) -> None:
        """Fetch just the feed added; after the running refresh, which does not know it."""
        if not self.refresher.start((feed,)):
            self.refresher.after(lambda: self._fetch_added(feed))
            return
        self.filter_bar.show_status(f"Fetching {safe_line(feed.name)}…", "bold")

    def on_refresh_controller_progress(self, message: RefreshController.Progress) -> None:
        self.filter_bar.show_status(f"Refreshing {message.done}/{message.total}…", "bold")

    def on_refresh_controller_feeds_done(self, message: RefreshController.FeedsDone) -> None:
        """The feeds are saved: the new stories go into the list now, while the articles come."""
        summary = message.summary
        if summary.new or summary.updated or not self.story_list.total:
            self._merge_new_stories()
        self._merged_early = True
        if summary.articles_expected:
            self.filter_bar.show_status(f"Articles: 0 of {summary.articles_expected:,} · all to come", "bold")

    def on_refresh_controller_article_progress(self, message: RefreshController.ArticleProgress) -> None:
        left = max(0, message.expected - message.done)
        self.filter_bar.show_status(f"Articles: {message.done:,} of {message.expected:,} · {left:,} to come", "bold")

    def on_refresh_controller_finished(self, message: RefreshController.Finished) -> None:
        summary = message.summary
        last = self.refresher.last_refresh or self.clock()
        at = f"{last.astimezone(self.clock().tzinfo):%H:%M}"
        failed = [o for o in summary.outcomes if o.status is Status.FAILED]
        if summary.outcomes and len(failed) == len(summary.outcomes) and len(failed) > 1:
            self._every_feed_failed(summary, at)
        else:
            status = f"Updated {at}"
            if summary.new:
                status += f" · {summary.new:,} new"
            if summary.articles_extracted:
                status += f" · {summary.articles_extracted:,} articles"
            if failed:
                status += f" · {len(failed)} failed"
            self.filter_bar.show_status(status, "yellow" if failed else "dim")
        if failed and not (len(failed) == len(summary.outcomes) and len(failed) > 1):
            lines = [f"{safe_line(o.feed.name)}: {safe_line(o.error)}"
                     for o in sorted(failed, key=lambda o: o.feed.name.casefold())]
            shown = lines[:6] + ([f"… and {len(lines) - 6} more (see `newsreader feeds`)"] if len(lines) > 6 else [])
            title = "Every feed failed" if len(failed) == len(summary.outcomes) else f"{len(failed)} of {len(summary.outcomes)} feeds failed"
            if len(summary.outcomes) == 1:  # one feed fetched (one just added, say): "every feed" would mislead
                title = "Could not fetch the feed"
            self.notify("\n".join(shown), title=title, severity="error" if len(failed) == len(summary.outcomes) else "warning",
                        timeout=10, markup=False)
        merged, self._merged_early = self._merged_early, False
        if summary.deleted or summary.articles_extracted or not merged and (
                summary.new or summary.updated or not self.story_list.total):
            self._merge_new_stories()  # articles bring new tags: the counts and the filters may change

    def _every_feed_failed(self, summary: RefreshSummary, at: str) -> None:
        """Nothing came: say so where the eye goes (the status bar, the empty list) and keep saying it."""
        offline = summary.looks_offline
        self.filter_bar.show_status(f"Offline? · all {len(summary.outcomes)} feeds failed at {at}" if offline
                                    else f"All {len(summary.outcomes)} feeds failed at {at}", "bold red")
        failed = sorted(summary.outcomes, key=lambda o: o.feed.name.casefold())
        lines = [("No feed could be reached: is this machine offline, or behind a proxy (HTTPS_PROXY, or proxy "
                  "in feeds.toml)?") if offline else "Every feed failed to download."]
        lines += [f"{safe_line(o.feed.name)}: {safe_line(o.error)}" for o in failed[:5]]
        if len(failed) > 5:
            lines.append(f"… and {len(failed) - 5} more (see `newsreader feeds`)")
        lines.append("The reader shows what was fetched before; r tries again.")
        self.notify("\n".join(lines), title="Every feed failed" + (": no network?" if offline else ""),
                    severity="error", timeout=120, markup=False)

    def on_refresh_controller_failed(self, message: RefreshController.Failed) -> None:
        self.filter_bar.show_status("Refresh failed", "red")
        self.notify(message.error, title="Refresh failed", severity="error", timeout=10, markup=False)

    def _merge_new_stories(self) -> None:
        """Reload under the same filters, the selected story staying where it is on screen."""
        current = self.story_list.current
        self.story_list.load(self.filters.story_filter(), keep=current.id if current else None)
        self.filter_pane.rebuild()  # new feeds, new countries

    # -- adding and removing feeds -------------------------------------------------------------------

    def _asking(self) -> bool:
        """A feed dialog is open already: `a` or `d` again must not stack another on it."""
        return isinstance(self.app.screen, (AddFeedScreen, ConfirmScreen))

    def action_add_feed(self) -> None:
        if self._asking():
            return
        self.app.push_screen(AddFeedScreen(self.library, offline=self.offline), self._feed_added)

    def _feed_added(self, result: object) -> None:
        if result is None:
            return
        feed = result.added[0]  # type: ignore[attr-defined]
        self.filter_pane.rebuild()  # its row in the filter pane
        added = f"Added {safe_line(feed.name)}" + (f" (new file {result.path})" if result.created else "")  # type: ignore[attr-defined]
        if self.offline:
            self.notify(f"{added}. Offline: it is fetched when the reader next runs online.", markup=False)
            return
        self.notify(added, markup=False)
        self.refresher.schedule(self.config.settings.refresh_minutes)  # the reader may have started with no feeds
        self._fetch_added(feed)

    def _reload_config(self) -> None:
        """Read feeds.toml again (a change failed half way, or it was edited by hand)."""
        from newsreader.library import ConfigError

        try:
            self.library.reload_config()
        except ConfigError as error:  # edited by hand in between, say: keep what the reader has
            self.notify(error_line(error), title="Could not read feeds.toml again", severity="error", markup=False)

    def action_remove_feed(self) -> None:
        if self._asking():
            return
        row = self.filter_pane.cursor_node.data if self.filter_pane.has_focus and self.filter_pane.cursor_node else None
        if row is not None and row.kind == "saved" and row.value:
            self._ask_to_remove_saved(row.value)  # d on a saved filter removes that filter
            return
        if (feed := self._feed_to_remove()) is None:
            return
        self._ask_to_remove(feed)

    @work(exclusive=True, group="ask-remove", exit_on_error=False)
    async def _ask_to_remove(self, feed: FeedConfig) -> None:
        cached = await self.queries.run("story", self.library.count, StoryFilter(feed=feed.url))
        starred = (await self.queries.run("story", self.library.count, StoryFilter(feed=feed.url, starred=True))).total
        deleted = cached.total - starred
        question = Text(f"Remove feed {safe_line(feed.name)}? ")
        question.append(f"Its {stories(deleted)} {'is' if deleted == 1 else 'are'} deleted; ")
        if starred:
            question.append("its starred story is kept. " if starred == 1 else f"its {starred:,} starred stories are kept. ")
        else:
            question.append("starred stories are kept. ")
        question.append("[y/n]", style="bold")
        self.app.push_screen(ConfirmScreen("Remove feed", question), lambda yes: self._remove(feed) if yes else None)

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
        if not self.refresher.free:
            # The refresh would write stories of the feed being deleted: wait for it.
            self.refresher.after(lambda: self._remove(feed))
            self.notify(f"Removing {safe_line(feed.name)} when the refresh ends.", markup=False)
            return
        self._removing = feed
        self.refresher.busy_with = "removing a feed"
        self._remove_worker(feed)

    @work(exclusive=True, group="remove-feed", exit_on_error=False)
    async def _remove_worker(self, feed: FeedConfig) -> None:
        try:
            removed = await self.queries.run("story", self.library.unsubscribe, feed.url)
        except Exception as error:  # a broken feeds.toml, the cache refusing: one line, and the reader goes on
            self.notify(error_line(error), title="Could not remove the feed", severity="error", timeout=10,
                        markup=False)
            if isinstance(error, StoreError):
                self._reload_config()  # feeds.toml was changed before the cache refused: the config must say so
            return
        finally:
            self._removing = None
            self.refresher.done_with()
        line = f"Removed {safe_line(removed.feed.name)}: {stories(removed.stories_deleted)} deleted"
        if removed.starred_kept:
            line += f", {removed.starred_kept} starred kept"
        self.notify(line, markup=False)
        filtered = self.filters.get("feed")
        if isinstance(filtered, str) and filtered.casefold() in (removed.feed.name.casefold(), removed.feed.url.casefold()):
            self.filters = self.filters.with_("feed", None)
            self.filter_pane.rebuild()
        else:
            self._merge_new_stories()

    # -- moving --------------------------------------------------------------------------------------

    def _cycle_pane(self, step: int) -> None:
        if self.filter_bar.searching:
            self._close_search(accepted=True)
        panes = [pane for pane in self.panes if pane.display]
        focused = self.focused
        index = panes.index(focused) if focused in panes else 1  # type: ignore[arg-type]
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
        if self._reading() is not None:
            return
        self._stop_dwell()
        self.app.push_screen(ReadingScreen(self, story))
        if not story.read:  # opened to be read: it is read
            self._set_read(story, True)

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
        if self._reading() is None and self.focused is not self.article:
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
            lambda code: self.set_filter("country", code) if code else None)

    def action_pick_region(self) -> None:
        self.app.push_screen(PickerScreen("Region", RegionSearch(self.filter_pane.counts("region")),
                                          placeholder="Europe, Caucasus, Middle East…"),
                             lambda name: self.set_filter("region", name) if name else None)

    def action_pick_feed(self) -> None:
        names = self.filter_pane.feed_names or sorted((f.name for f in self.config.feeds), key=str.casefold)
        self.app.push_screen(PickerScreen("Feed", FeedSearch(names, self.filter_pane.counts("feed")),
                                          placeholder="Feed name"),
                             lambda name: self.set_filter("feed", name) if name else None)

    def action_pick_link(self) -> None:
        links = self.article.links
        if not links:
            self.notify("This story's text has no links.", markup=False)
            return
        self.app.push_screen(PickerScreen("Links in the article", LinkSearch(links), placeholder="Filter links"),
                             lambda url: self.open_link(url) if url else None)

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

    def action_mark_all_read(self) -> None:
        counts = self.last_counts
        unread = counts.unread if counts is not None else self.story_list.total
        if not unread:
            self.notify("Every story here is read already.", markup=False)
            return
        what = " · ".join(self.filters.describe(country_name)) or "every feed"
        story_filter = self.story_list.story_filter
        if unread <= self.story_list.scrollable_content_region.height:
            self._mark_all_read(story_filter)
            return
        question = Text(f"Mark {stories(unread)} read ({what})? ", style="")
        question.append("[y/n]", style="bold")
        self.app.push_screen(ConfirmScreen("Mark all read", question),
                             lambda yes: self._mark_all_read(story_filter) if yes else None)

    @work(exclusive=True, group="mark-all", exit_on_error=False)
    async def _mark_all_read(self, story_filter: StoryFilter) -> None:
        try:
            changed = await self.queries.run("story", self.library.mark_all_read, story_filter)
        except StoreError as error:
            self.cache_refused(error)
            return
        self.notify(f"Marked {stories(changed)} read.", markup=False, timeout=3)
        self._merge_new_stories()
        if self.article.story is not None:
            self.article.story = _replace_story(self.article.story, read=True)

    def action_toggle_unread(self) -> None:
        self.set_filter("unread", not self.filters.get("unread"))

    def action_toggle_starred(self) -> None:
        self.set_filter("starred", not self.filters.get("starred"))

    def action_drop_filter(self) -> None:
        if self.filters:
            self.filters = self.filters.drop_last()
        elif self.focused is self.article:
            self.story_list.focus()
        else:
            raise SkipAction()

    def action_clear_filters(self) -> None:
        if self.filters:
            self.filters = ActiveFilters()

    # -- the story -----------------------------------------------------------------------------------

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
        starred = not story.starred
        self.story_list.update_header(story.id, starred=starred)
        self.article.show_story(_replace_story(story, starred=starred))
        self._save_flag(self.library.mark_starred, story.id, starred)

    def action_open_link(self) -> None:
        if (story := self._current_story()) is None:
            return
        if not story.link:
            self.notify("This story has no link.", markup=False)
            return
        self.open_link(story.link)

    def open_link(self, url: str) -> None:
        """Open a link of the story (http, https and mailto only) in a browser."""
        if not is_openable(url):
            self.notify(f"Not opening {safe_line(url)}: only http, https and mailto links are opened.",
                        severity="warning", markup=False)
            return
        self._open_in_browser(url)

    @work(thread=True, group="browser", exit_on_error=False)
    def _open_in_browser(self, url: str) -> None:
        opened, line = open_in_browser(url, self.config.settings.browser)
        self.app.call_from_thread(self.notify, line, severity="information" if opened else "warning", markup=False,
                                  timeout=4 if opened else 10)

    def action_copy_link(self) -> None:
        if (story := self._current_story()) is None:
            return
        if not story.link:
            self.notify("This story has no link.", markup=False)
            return
        self._copy(safe_line(story.link))

    @work(thread=True, group="clipboard", exit_on_error=False)
    def _copy(self, text: str) -> None:
        line = copy_with_tool(text)
        if line is None:  # no clipboard tool took it: the terminal's own clipboard
            self.app.call_from_thread(self.app.copy_to_clipboard, text)
            line = f"Link {osc52_note()}"
        self.app.call_from_thread(self.notify, line, markup=False, timeout=6)

    @on(ArticleView.LinkClicked)
    def _link_clicked(self, event: ArticleView.LinkClicked) -> None:
        self.open_link(event.url)


def _replace_story(story: Story, **changes: object) -> Story:
    from dataclasses import replace

    return replace(story, **changes)  # type: ignore[arg-type]
