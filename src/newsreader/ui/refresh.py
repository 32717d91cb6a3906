"""The refresh controller: fetches in a thread worker, on a schedule and on demand, and says how it went in
messages (Progress, Finished, Failed) that bubble up to the reader screen.

Work that must not overlap a refresh (fetching a feed just added, removing a feed) waits in a queue and runs
when the refresh ends. Quitting stops a refresh still downloading at once rather than waiting out its timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.worker import Worker, WorkerState, get_current_worker

from newsreader.library import (
    FeedConfig,
    FeedOutcome,
    Library,
    RefreshCancelled,
    RefreshSummary,
    StoreError,
    SyncOutcome,
)

if TYPE_CHECKING:
    from newsreader.ui.app import RefreshFunction


#: A mark is sent to the [sync] server this long after the last one (a burst goes as one request).
SEND_AFTER_SECONDS = 3.0


class RefreshController(Widget):
    """Not drawn: it owns the refresh worker, its schedule and the jobs waiting for it."""

    DEFAULT_CSS = "RefreshController { display: none; }"

    refreshing: reactive[bool] = reactive(False, init=False)

    class Progress(Message):
        """One feed of a refresh finished."""

        def __init__(self, done: int, total: int, outcome: FeedOutcome) -> None:
            super().__init__()
            self.done = done
            self.total = total
            self.outcome = outcome

        def can_replace(self, message: Message) -> bool:
            # A burst of finished feeds collapses into the latest count; failures are reported at the end.
            return isinstance(message, RefreshController.Progress)

    class FeedsDone(Message):
        """Every feed of a refresh is saved (the stories can be read); its articles may still be coming."""

        def __init__(self, summary: RefreshSummary) -> None:
            super().__init__()
            self.summary = summary

    class ArticleProgress(Message):
        """One more article page of a refresh was downloaded (or failed)."""

        def __init__(self, done: int, expected: int) -> None:
            super().__init__()
            self.done = done
            self.expected = expected

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RefreshController.ArticleProgress)

    class Finished(Message):
        """A refresh ended (some feeds may have failed: see the summary)."""

        def __init__(self, summary: RefreshSummary, only: tuple[FeedConfig, ...] | None) -> None:
            super().__init__()
            self.summary = summary
            self.only = only  #: the feeds fetched, when not all of them

    class Failed(Message):
        """A refresh could not run at all (the cache refused, say). `error` is one line."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class SyncProgress(Message):
        """How the refresh's sync with the [sync] server goes: one line ("stories: 1,200")."""

        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RefreshController.SyncProgress)

    class ChangesSent(Message):
        """Changes made here went to the [sync] server between refreshes (or could not: see the outcome)."""

        def __init__(self, outcome: SyncOutcome) -> None:
            super().__init__()
            self.outcome = outcome

    def __init__(self, library: Library, refresh: RefreshFunction, clock: Callable[[], datetime], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._library = library
        self._refresh = refresh
        self._clock = clock
        self._quitting = threading.Event()
        self._waiting: list[Callable[[], None]] = []
        self._timer: Timer | None = None
        self._send_timer: Timer | None = None
        self.busy_with: str | None = None  #: something else that must not overlap a refresh (a feed removal)
        self.last_refresh: datetime | None = None
        self.last_summary: RefreshSummary | None = None

    def on_unmount(self) -> None:
        self._quitting.set()

    # -- when -------------------------------------------------------------------------------------------

    def schedule(self, minutes: float) -> None:
        """Refresh every `minutes` from now on (once set, the schedule stays)."""
        if self._timer is None:
            self._timer = self.set_interval(minutes * 60, self._scheduled, name="refresh")

    def _scheduled(self) -> None:
        if not self.refreshing and self.busy_with is None:
            self.start()

    @property
    def free(self) -> bool:
        return not self.refreshing and self.busy_with is None

    def start(self, feeds: tuple[FeedConfig, ...] | None = None) -> bool:
        """Fetch every configured feed, or just `feeds`; False if a refresh (or a removal) is running."""
        if not self.free:
            return False
        self.refreshing = True
        self._run(feeds)
        return True

    def changes_made(self) -> None:
        """A mark was saved: with a [sync] server, send it in a moment (a burst of marks goes as one)."""
        if self._library.config.sync is None:
            return
        if self._send_timer is not None:
            self._send_timer.stop()
        self._send_timer = self.set_timer(SEND_AFTER_SECONDS, self._send_changes, name="send-changes")

    def _send_changes(self) -> None:
        self._send_timer = None
        if not self.free:  # the refresh's own sync sends them, or the removal is in the way: after it
            self.after(self._send_changes)
            return
        self.busy_with = "sending changes"
        self._send_worker()

    @work(thread=True, exclusive=True, exit_on_error=False, group="send-changes", name="send-changes")
    def _send_worker(self) -> None:
        cancel = getattr(get_current_worker(), "cancelled_event", self._quitting)
        try:
            outcome = self._library.send_changes(cancel=cancel)
        except RefreshCancelled:  # the reader is closing: the changes wait for the next run
            return
        assert outcome is not None
        self.post_message(self.ChangesSent(outcome))

    def on_refresh_controller_changes_sent(self, message: ChangesSent) -> None:
        self.done_with()  # the message goes on up: the screen shows how it went

    def after(self, job: Callable[[], None]) -> None:
        """Run `job` once nothing is running (at once if nothing is)."""
        if self.free:
            self.call_later(job)
        else:
            self._waiting.append(job)

    def done_with(self) -> None:
        """The work named in `busy_with` ended."""
        self.busy_with = None
        self._run_waiting()

    def watch_refreshing(self, refreshing: bool) -> None:
        if not refreshing:
            self._run_waiting()

    def _run_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for job in waiting:
            self.call_later(job)  # after the handler that ended the refresh has shown its outcome

    # -- the work ----------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="refresh", name="refresh")
    def _run(self, feeds: tuple[FeedConfig, ...] | None) -> None:
        total = len(self._library.config.feeds if feeds is None else feeds)
        only = {"feeds": list(feeds)} if feeds is not None else {}
        done = 0

        def progress(outcome: FeedOutcome) -> None:
            nonlocal done
            done += 1
            self.post_message(self.Progress(done, total, outcome))

        feeds_done: list[RefreshSummary] = []

        def saved(summary: RefreshSummary) -> None:
            feeds_done.append(summary)
            self.post_message(self.FeedsDone(summary))

        def article(outcome: object) -> None:
            summary = feeds_done[0] if feeds_done else None
            if summary is not None:
                done_now = summary.articles_extracted + summary.articles_failed
                self.post_message(self.ArticleProgress(done_now, summary.articles_expected))

        # Set when Textual cancels this worker: as the reader quits, or as a newer refresh replaces this one.
        cancel = getattr(get_current_worker(), "cancelled_event", self._quitting)
        syncing: dict[str, object] = {}
        if feeds is None and self._library.config.sync is not None:
            syncing["on_sync"] = lambda line: self.post_message(self.SyncProgress(line))
        try:
            summary = self._refresh(on_outcome=progress, on_feeds_done=saved, on_article=article, cancel=cancel,
                                    **only, **syncing)
            assert isinstance(summary, RefreshSummary)
        except RefreshCancelled:  # the reader is closing
            return
        except StoreError as error:
            self.post_message(self.Failed(str(error)))
            return
        self.post_message(self.Finished(summary, feeds))

    def on_refresh_controller_finished(self, message: Finished) -> None:
        self.refreshing = False
        self.last_refresh = self._clock()
        self.last_summary = message.summary

    def on_refresh_controller_failed(self, message: Failed) -> None:
        self.refreshing = False

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "send-changes" and event.state is WorkerState.ERROR:
            event.stop()  # the cache refused the queue: the next refresh says so, with its own line
            self.done_with()
            return
        if event.worker.group == "refresh" and event.state is WorkerState.ERROR:
            from newsreader.ui.format import error_line

            event.stop()
            self.refreshing = False
            self.post_message(self.Failed(error_line(event.worker.error)))  # type: ignore[arg-type]
