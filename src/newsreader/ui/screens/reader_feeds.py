"""The reader screen's feeds: refreshing (what the refresh controller says), adding and removing feeds, and
saved filters (kept in feeds.toml)."""

from __future__ import annotations

from rich.text import Text
from textual import work

from newsreader.library import (
    FeedConfig,
    NewsreaderError,
    RefreshSummary,
    SavedFilter,
    ServerSubscription,
    Status,
    StoreError,
    StoryFilter,
    country_name,
)
from newsreader.text.sanitize import safe_line
from newsreader.ui.filters import ActiveFilters
from newsreader.ui.format import error_line, stories
from newsreader.ui.refresh import RefreshController
from newsreader.ui.screens.add_feed import AddFeedScreen
from newsreader.ui.screens.confirm import ConfirmScreen
from newsreader.ui.screens.prompt import PromptScreen
from newsreader.ui.screens.reader_base import ReaderBase, if_given


class FeedActions(ReaderBase):
    """Refreshing, subscribing, unsubscribing, and saving filters."""

    # -- refreshing ----------------------------------------------------------------------------------

    def refresh_doing(self) -> str:
        """What a refresh does, for the empty list: 'fetching 12 feeds and syncing with tt-rss'."""
        parts = [f"fetching {len(self.config.feeds)} feeds"] if self.config.feeds else []
        if self.library.syncing:
            parts.append(f"syncing with {self.library.syncing}")
        return " and ".join(parts)

    def action_refresh(self) -> None:
        if self.offline:
            self.notify("Offline: the reader does not fetch (started with --offline).", markup=False)
            return
        if not self.config.feeds and not self.config.sync:
            where = self.config.path or "feeds.toml"
            self.notify(f"No feeds configured: press a to add one, or add a [[feeds]] table to {where}.",
                        severity="warning", markup=False)
            return
        if not self.refresher.start():
            busy = (self.refresher.busy_with or "busy").capitalize()
            self.notify("Already refreshing." if self.refreshing else f"{busy}: refresh in a moment.", markup=False)
            return
        if self.config.feeds:
            self.filter_bar.show_status(f"Refreshing 0/{len(self.config.feeds)}…", "bold")
        else:
            self.filter_bar.show_status(f"Syncing with {self.library.syncing}…", "bold")
        if not self.story_list.total and not self.filters:
            self.story_list.set_empty_message(f"Nothing cached yet: {self.refresh_doing()}…")

    def _fetch_added(self, feed: FeedConfig) -> None:
        """Fetch just the feed added; after the running refresh, which does not know it."""
        if not self.refresher.start((feed,)):
            self.refresher.after(lambda: self._fetch_added(feed))
            return
        self.filter_bar.show_status(f"Fetching {safe_line(feed.name)}…", "bold")

    def on_refresh_controller_progress(self, message: RefreshController.Progress) -> None:
        self.filter_bar.show_status(f"Refreshing {message.done}/{message.total}…", "bold")

    def on_refresh_controller_sync_progress(self, message: RefreshController.SyncProgress) -> None:
        if not self.config.feeds:  # with feeds too, their count says more; the sync's line comes at the end
            self.filter_bar.show_status(f"Syncing with {self.library.syncing}: {safe_line(message.line)}…", "bold")

    def on_refresh_controller_changes_sent(self, message: RefreshController.ChangesSent) -> None:
        outcome = message.outcome
        if not outcome.ok:  # not a pop-up for every mark: the status bar says it, and the next sync tries again
            self.filter_bar.show_status(f"{outcome.service} not reached · {outcome.pending:,} changes kept",
                                        "yellow")

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
            sync_failed = summary.sync is not None and not summary.sync.ok
            if sync_failed:
                status += f" · {summary.sync.service} failed"  # type: ignore[union-attr]
            self.filter_bar.show_status(status, "yellow" if failed or sync_failed else "dim")
        self._sync_finished(summary)  # after the status: its notice comes on top
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
        # Articles bring new tags: the counts and the filters may change. An empty list is loaded again too:
        # its message was chosen while the refresh ran ("fetching…") and must now say how it ended.
        if summary.deleted or summary.articles_extracted or not self.story_list.total or not merged and (
                summary.new or summary.updated):
            self._merge_new_stories()

    def _sync_finished(self, summary: RefreshSummary) -> None:
        """A failed sync is one notice: what failed, and that the reader goes on with what it has."""
        outcome = summary.sync
        if outcome is None:
            return
        for warning in outcome.warnings:
            self.notify(safe_line(warning), title=f"{outcome.service} refused", severity="warning", markup=False)
        if not outcome.ok:
            kept = f" {outcome.pending:,} changes made here are kept for the next sync." if outcome.pending else ""
            self.notify(f"{safe_line(outcome.error)}\nThe reader shows what it has.{kept}",
                        title=f"Could not sync with {outcome.service}",
                        severity="error" if outcome.settings_error else "warning", timeout=15, markup=False)

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
        if isinstance(result, ServerSubscription):
            if result.queued:
                self.notify(f"Kept for {result.service}: {safe_line(result.url)} is subscribed at the next sync"
                            + ("." if result.reason == "offline" else f" ({safe_line(result.reason)})."), markup=False)
            else:
                self.notify(f"Subscribed to {safe_line(result.url)} on {result.service}: its stories come with a "
                            f"refresh once {result.service} has fetched it.", markup=False, timeout=8)
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
        self.app.push_screen(ConfirmScreen("Remove feed", question), if_given(lambda yes: self._remove(feed)))

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
            removed = await self.queries.run("story", self.library.unsubscribe, feed.url, offline=self.offline)
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
        if removed.server:
            line += f"; {removed.server} is told at the next sync" if removed.queued else f"; unsubscribed on {removed.server}"
        self.notify(line, markup=False)
        filtered = self.filters.get("feed")
        if isinstance(filtered, str) and filtered.casefold() in (removed.feed.name.casefold(), removed.feed.url.casefold()):
            self.filters = self.filters.with_("feed", None)
            self.filter_pane.rebuild()
        else:
            self._merge_new_stories()

    def action_save_filter(self) -> None:
        if not self.filters:
            self.notify("No filters to save: set some first (c, g, f, /, u).", markup=False)
            return
        name = ", ".join(self.filters.describe(country_name))
        self.app.push_screen(PromptScreen("Save filter", "Saved filters sit at the top of the filter pane, with "
                                                         "their unread counts; they are kept in feeds.toml.", name),
                             if_given(lambda name: self._save_filter(name, self.filters)))

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
                             if_given(lambda yes: self._remove_saved(name)))

    @work(group="saved-filters", exit_on_error=False)
    async def _remove_saved(self, name: str) -> None:
        try:
            await self.queries.run("story", self.library.remove_saved_filter, name)
        except NewsreaderError as error:
            self.notify(error_line(error), title="Could not remove the filter", severity="error", markup=False)
            return
        self.notify(f"Removed the saved filter {safe_line(name)}.", markup=False, timeout=3)
        self.filter_pane.rebuild()
