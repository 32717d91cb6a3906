"""What every part of the reader screen shares: its panes, its filters, the story shown, and saving a mark.

The reader screen is three rooms over this base: reader.py (layout, filters, moving, the story under the
cursor), reader_feeds.py (refreshing, adding and removing feeds, saved filters) and reader_story.py (what
the keys do to the story: read, star, open, copy, mark all read).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import work
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer

from newsreader.library import (
    Config,
    Counts,
    DiskFull,
    FeedConfig,
    Library,
    StoreError,
    Story,
    StoryFilter,
    country_name,
)
from newsreader.ui.filters import ActiveFilters
from newsreader.ui.format import error_line
from newsreader.ui.queries import QueryThreads
from newsreader.ui.refresh import RefreshController
from newsreader.ui.widgets.article_view import ArticleView
from newsreader.ui.widgets.filter_bar import FilterBar
from newsreader.ui.widgets.filter_pane import FilterPane
from newsreader.ui.widgets.story_list import StoryList


class ReaderBase(Screen[None]):
    """The reader screen's shared state and panes (see reader.py for the screen itself)."""

    filters: reactive[ActiveFilters] = reactive(ActiveFilters, init=False)

    class FiltersChanged(Message):
        """The filters changed (the app keeps them for the next start)."""

        def __init__(self, filters: ActiveFilters) -> None:
            super().__init__()
            self.filters = filters

    class GroupingChanged(Message):
        """Grouping by story cluster was turned on or off (the app keeps it for the next start)."""

    library: Library
    grouped: bool  #: the list shows a row per story cluster
    offline: bool
    clock: Callable[[], datetime]
    queries: QueryThreads
    last_counts: Counts | None
    _dwell: Timer | None
    _removing: FeedConfig | None
    _merged_early: bool

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
    def config(self) -> Config:
        return self.library.config

    def set_filter(self, kind: str, value: str | bool | None) -> None:
        self.filters = self.filters.with_(kind, value)

    def list_filter(self) -> StoryFilter:
        """What the list shows: the filters, grouped by story cluster or not."""
        return self.filters.story_filter().but(grouped=self.grouped)

    @property
    def row_noun(self) -> str:
        """What a row of the list is: an event (grouped), or a story."""
        return "event" if self.grouped else "story"

    def _describe_filters(self, counts: Counts | None) -> None:
        self.filter_bar.show_summary(self.filters.describe(country_name), counts, self.row_noun)

    def _merge_new_stories(self) -> None:
        """Reload under the same filters, the selected story staying where it is on screen."""
        current = self.story_list.current
        self.story_list.load(self.list_filter(), keep=current.id if current else None)
        self.filter_pane.rebuild()  # new feeds, new countries

    @property
    def reading(self) -> bool:
        """The reading view is open: the article pane over the whole window."""
        return self.maximized is not None and self.maximized is self.query_one(ArticleView)

    def _title_reading(self, story: Story) -> None:
        """The reading view's title: where this story is in the list, and the filters it is under."""
        title = Text()
        current = self.story_list.current
        # grouped, a row stands for every version of its event: each is at the row's place
        on_row = current is not None and (current.id == story.id or (self.grouped and current.cluster == story.cluster))
        if on_row and self.story_list.total:
            title.append(f"{self.story_list.cursor + 1:,} of {self.story_list.total:,}")
        what = " · ".join(self.filters.describe(country_name)) or "All stories"
        title.append(f" · {what}")
        if self.last_counts is not None and self.last_counts.unread:
            title.append(f" · {self.last_counts.unread:,} unread")
        self.article.border_title = title
        versions = f"{self.article.version_key}: other outlets · " if story.versions and self.article.version_key else ""
        self.article.border_subtitle = f"space: page · n: next unread · {versions}q or escape: back"

    def _start_dwell(self, story_id: int) -> None:
        """The story shown is marked read once it has stayed in the article pane `read_dwell` seconds."""
        self._dwell = self.set_timer(self.config.settings.read_dwell, lambda: self._dwell_ran_out(story_id),
                                     name="dwell")

    def _dwell_ran_out(self, story_id: int) -> None:
        self._dwell = None
        articles = self.query(ArticleView)
        if not articles:  # the dwell ran out as the reader was closing: its panes are gone
            return
        current = articles.first().story
        if current is not None and current.id == story_id and not current.read:
            self._set_read(current, True)

    def _stop_dwell(self) -> None:
        if self._dwell is not None:
            self._dwell.stop()
            self._dwell = None

    def _display(self, story: Story) -> None:
        """Show the story in the article pane, and in the reading view if one is open."""
        self.article.show_story(story)
        if self.reading:
            self._title_reading(story)

    def _set_read(self, story: Story, read: bool) -> None:
        """Mark the story read (or unread); read, with `mark_cluster_read`, the other outlets' versions too."""
        together = read and bool(story.versions) and self.config.settings.mark_cluster_read
        rows = self.story_list.mark_read(story.id, story.cluster, read, whole_cluster=together)
        self.article.story = replace_story(story, read=read)
        if self.grouped:  # the count is of events: those whose row changed
            self._bump_counts(unread=-rows)
        elif not together:
            self._bump_counts(unread=-1 if read else 1)
        if together:
            self._save_cluster_read(story.id)
        else:
            self._save_flag(self.library.mark_read, [story.id], read)

    @work(group="marks", exit_on_error=False)
    async def _save_cluster_read(self, story_id: int) -> None:
        try:
            changed = await self.queries.run("story", self.library.mark_cluster_read, story_id)
        except StoreError as error:
            self.cache_refused(error)
            return
        if not self.grouped:
            self._bump_counts(unread=-len(changed))
        self._marks_saved()

    @work(group="marks", exit_on_error=False)
    async def _save_flag(self, call: Callable[..., None], *args: object) -> None:
        try:
            await self.queries.run("story", call, *args)
        except StoreError as error:
            self.cache_refused(error)
            return
        self._marks_saved()

    def _marks_saved(self) -> None:
        """Read or starred flags reached the cache, by any key: the filter pane's unread counts change, and a
        [sync] server hears of it in a moment."""
        self.filter_pane.story_filter = self.filters.story_filter()
        if not self.offline:
            self.refresher.changes_made()

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

    def _current_story(self) -> Story | None:
        story = self.article.story
        if story is None:
            self.notify("No story selected.", markup=False)
        return story

    def _reload_config(self) -> None:
        """Read feeds.toml again (a change failed half way, or it was edited by hand)."""
        from newsreader.library import ConfigError

        try:
            self.library.reload_config()
        except ConfigError as error:  # edited by hand in between, say: keep what the reader has
            self.notify(error_line(error), title="Could not read feeds.toml again", severity="error", markup=False)


def if_given(action: Callable[[Any], object]) -> Callable[[Any], None]:
    """A dialog's callback: `action(answer)` when there is an answer (a name, a yes), nothing on a cancel."""

    def callback(answer: Any) -> None:
        if answer:
            action(answer)

    return callback


def replace_story(story: Story, **changes: object) -> Story:
    from dataclasses import replace

    return replace(story, **changes)  # type: ignore[arg-type]
