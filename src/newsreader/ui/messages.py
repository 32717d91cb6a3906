"""Messages the reader's background work posts to the app (thread workers talk only through these)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from newsreader.library import FeedOutcome, RefreshSummary, Unsubscribed


class RefreshProgress(Message):
    """One feed of a background refresh finished."""

    def __init__(self, done: int, total: int, outcome: FeedOutcome) -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.outcome = outcome

    def can_replace(self, message: Message) -> bool:
        # A burst of finished feeds collapses into the latest count; failures are reported at the end.
        return isinstance(message, RefreshProgress)


class RefreshFinished(Message):
    """A background refresh ended (some feeds may have failed: see the summary)."""

    def __init__(self, summary: RefreshSummary) -> None:
        super().__init__()
        self.summary = summary


class RefreshFailed(Message):
    """A background refresh could not run at all (the cache refused, say)."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class FeedRemoved(Message):
    """A feed left feeds.toml, and its unstarred stories the cache (`feedlist.unsubscribe` finished)."""

    def __init__(self, removed: Unsubscribed) -> None:
        super().__init__()
        self.removed = removed
