"""The add-feed dialog: what `newsreader add URL` does, in the reader.

The user gives a feed's URL or any page of a site. A thread worker runs `discover.discover_feeds` (the page's
`<link rel="alternate">`s, then the usual paths); one feed found is added at once, several are offered in a
list. Another thread worker writes feeds.toml through `feedlist.add_feed`. Every failure (no feed, the network,
a duplicate, a broken or unwritable feeds.toml) is one line in the dialog, and what was typed stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from newsreader.library import FeedConfig, Library
from newsreader.text.sanitize import safe_line
from newsreader.ui.format import error_line
from newsreader.ui.screens.typeahead import TypeAheadScreen

if TYPE_CHECKING:  # discover brings httpx and feedparser: loaded when a lookup runs, not with the reader
    from newsreader.library import AddResult, Discovery, FeedCandidate, ServerSubscription

ONLINE_HINT = "A feed's URL, or any page of a site: its feeds are found and offered."
OFFLINE_HINT = "Offline: the URL is added as given, unchecked, and fetched when the reader next runs online."


class AddFeedScreen(TypeAheadScreen["AddResult | ServerSubscription | None"]):
    """Returns what `feedlist.add_feed` added (or, with tt-rss, the subscription made there), or None when
    cancelled. With Fever, which cannot subscribe, it says so and adds nothing."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="add_feed.cancel"),
        Binding("down", "move(1)", "Next", show=False, id="add_feed.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="add_feed.up"),
    ]

    def __init__(self, library: Library, *, offline: bool = False) -> None:
        super().__init__()
        self._library = library
        self._offline = offline
        self._candidates: tuple[FeedCandidate, ...] = ()
        self._busy = False  # a lookup or a write is running: enter waits for it

    def compose(self) -> ComposeResult:
        with Vertical(id="add-feed") as box:
            box.border_title = "Add feed"
            box.border_subtitle = "enter adds · escape cancels"
            yield Input(placeholder="Feed or page URL: example.com/news", id="add-feed-url")
            yield Input(placeholder="Name (optional; default: the feed's title)", id="add-feed-name")
            yield Static(Text(self._hint), id="add-feed-status")
            choices = OptionList(id="add-feed-choices")
            choices.can_focus = False  # keys stay in the inputs; up and down move the highlight
            yield choices

    @property
    def _hint(self) -> str:
        if refusal := self._library.server_cannot_subscribe:  # Fever: say so before anything is typed
            return f"{refusal}. (`newsreader add --local URL` has this reader fetch a feed itself.)"
        hint = OFFLINE_HINT if self._offline else ONLINE_HINT
        if self._library.subscribes_on_server:
            server = self._library.syncing
            hint += (f" It is subscribed on {server}." if not self._offline else
                     f" {server} is asked at the next sync.")
        return hint

    def on_mount(self) -> None:
        self.choices.display = False
        self.url_input.focus()
        self.type_pending()

    @property
    def url_input(self) -> Input:
        return self.query_one("#add-feed-url", Input)

    @property
    def name_input(self) -> Input:
        return self.query_one("#add-feed-name", Input)

    @property
    def choices(self) -> OptionList:
        return self.query_one("#add-feed-choices", OptionList)

    @property
    def status(self) -> Static:
        return self.query_one("#add-feed-status", Static)

    @property
    def candidates(self) -> tuple[FeedCandidate, ...]:
        """The feeds offered now (for tests)."""
        return self._candidates

    # -- keys typed before the dialog had focus (typeahead.py) ----------------------------------------

    def typing_box(self) -> Input:
        return self.url_input

    def typed_enter(self) -> None:
        self._submit()

    # -- what the dialog says -------------------------------------------------------------------------

    def _say(self, line: str, *, error: bool = False) -> None:
        self.status.update(Text(line))
        self.status.set_class(error, "-error")

    def _fail(self, line: str) -> None:
        """Show the problem and give the URL back to the user to fix."""
        self._busy = False
        self._say(line, error=True)
        self.url_input.focus()

    def show_choices(self, discovery: Discovery) -> None:
        """Offer the feeds a page announced: title and URL of each, shown literally."""
        self._candidates = discovery.candidates
        options = []
        for candidate in discovery.candidates:
            label = Text(candidate.title or candidate.url, style="bold")
            if candidate.subscribed_as:
                label.append(f"  (subscribed as {safe_line(candidate.subscribed_as)})", style="not bold yellow")
            label.append("\n")
            label.append(safe_line(candidate.url), style="not bold dim")
            options.append(Option(label))
        choices = self.choices
        choices.clear_options()
        choices.add_options(options)
        choices.highlighted = next((n for n, c in enumerate(self._candidates) if not c.subscribed_as), 0)
        choices.display = True
        self._say(f"{len(self._candidates)} feeds at {safe_line(discovery.url)}: choose one (up, down, enter)")

    def _clear_choices(self) -> None:
        self._candidates = ()
        self.choices.clear_options()
        self.choices.display = False

    # -- typing and choosing --------------------------------------------------------------------------

    @on(Input.Changed, "#add-feed-url")
    def _url_changed(self) -> None:
        if self._adding:
            return
        if self._busy or self._candidates:  # a lookup or choices for the URL as it was: not wanted now
            self.workers.cancel_group(self, "add-feed")
            self._busy = False
            self._clear_choices()
            self._say(self._hint)

    @on(Input.Submitted)
    def _submit(self) -> None:
        if self._busy:
            return
        if self._candidates:
            index = self.choices.highlighted
            if index is not None and 0 <= index < len(self._candidates):
                self._add(self._candidates[index])
            return
        url = self.url_input.value.strip()
        if refusal := self._library.server_cannot_subscribe:
            self._fail(f"{refusal}.")
            return
        if not url:
            self._fail("Type the URL of a feed, or of a page that links to one.")
            return
        self._busy = True
        if self._offline:
            self._say("Adding…")
            self._subscribe_unchecked(url, self.name_input.value.strip())
        else:
            self._say(f"Looking for feeds at {safe_line(url)}…")
            self._look_up(url)

    @on(OptionList.OptionSelected, "#add-feed-choices")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        if not self._busy and 0 <= event.option_index < len(self._candidates):
            self._add(self._candidates[event.option_index])

    def action_move(self, step: int) -> None:
        if self._candidates:
            current = self.choices.highlighted or 0
            self.choices.highlighted = max(0, min(len(self._candidates) - 1, current + step))

    def action_cancel(self) -> None:
        if self._adding:
            return  # feeds.toml is being written: the reader must hear how that ended
        self.dismiss(None)

    @property
    def _adding(self) -> bool:
        return any(w.node is self and w.name == "add" and not w.is_finished for w in self.workers)

    def _found(self, discovery: Discovery) -> None:
        self._busy = False
        if len(discovery.candidates) == 1:  # the URL is a feed, or its page names exactly one
            self._add(discovery.candidates[0])
        else:
            self.show_choices(discovery)

    def _add(self, candidate: FeedCandidate) -> None:
        name = self.name_input.value.strip() or candidate.title
        self._busy = True
        self._say(f"Adding {safe_line(name)}…")
        self._subscribe(FeedConfig(name=name, url=candidate.url))

    # -- the work, in threads -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="add-feed", name="discover")
    def _look_up(self, url: str) -> Discovery:
        # Read feeds.toml as it is now (it may have been edited since the reader started): a broken file
        # is reported before any download, and the feeds already there are marked in the choices.
        self._library.reload_config()
        return self._library.discover(url)

    @work(thread=True, exclusive=True, exit_on_error=False, group="add-feed", name="add")
    def _subscribe(self, feed: FeedConfig) -> AddResult | ServerSubscription:
        if self._library.subscribes_on_server:  # tt-rss: the server keeps the subscriptions
            return self._library.subscribe_on_server(feed.url)
        return self._library.subscribe(feed)

    @work(thread=True, exclusive=True, exit_on_error=False, group="add-feed", name="add")
    def _subscribe_unchecked(self, url: str, name: str) -> AddResult | ServerSubscription:
        """Offline: no lookup, the URL goes in as typed (made an http(s) URL); the name defaults to its host."""
        if self._library.subscribes_on_server:
            return self._library.subscribe_on_server(url, offline=True)
        return self._library.subscribe_unchecked(url, name)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "add-feed":
            return
        event.stop()  # the dialog's own work: the app has nothing to do with it
        if event.state is WorkerState.SUCCESS and worker.name == "discover":
            self._found(worker.result)  # type: ignore[arg-type]
        elif event.state is WorkerState.SUCCESS and worker.name == "add":
            self.dismiss(worker.result)
        elif event.state is WorkerState.ERROR:
            self._fail(error_line(worker.error))  # type: ignore[arg-type]
