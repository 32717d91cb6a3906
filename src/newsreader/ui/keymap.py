"""Every key the reader answers to, in one table: the app's BINDINGS, the help screen, the command palette
and `[keys]` rebinding in feeds.toml all read it.

Binding ids are stable names for `[keys]`:

    [keys]
    "story.star" = "S"
    "cursor.down" = "j,down,ctrl+n"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class KeyAction:
    id: str  #: the name `[keys]` uses
    keys: str  #: default keys, comma-separated, in Textual's key names
    action: str  #: an App action
    description: str  #: short label for the footer
    help: str  #: one line for the help screen and the command palette
    footer: bool = True  #: shown in the footer
    priority: bool = False  #: checked before the focused widget's own keys
    palette: bool = True  #: offered in the command palette


KEY_ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("cursor.down", "j,down", "cursor_down", "Down", "Move to the next row", footer=False, palette=False),
    KeyAction("cursor.up", "k,up", "cursor_up", "Up", "Move to the previous row", footer=False, palette=False),
    KeyAction("cursor.page_down", "pagedown", "page_down", "Page down", "Move a page down", footer=False, palette=False),
    KeyAction("cursor.page_up", "pageup", "page_up", "Page up", "Move a page up", footer=False, palette=False),
    KeyAction("cursor.first", "home", "cursor_first", "First", "Move to the newest story", footer=False, palette=False),
    KeyAction("cursor.last", "end", "cursor_last", "Last", "Move to the oldest story", footer=False, palette=False),
    KeyAction("story.open", "enter", "open_story", "Open", "Open the selected story in the article pane", footer=False),
    KeyAction("pane.next", "tab", "next_pane", "Next pane", "Move to the next pane", footer=False, priority=True),
    KeyAction("pane.previous", "shift+tab", "previous_pane", "Previous pane", "Move to the previous pane",
              footer=False, priority=True),
    KeyAction("filter.search", "slash", "search", "Search", "Search the full text of every story"),
    KeyAction("filter.country", "c", "pick_country", "Country", "Show only stories about a country"),
    KeyAction("filter.region", "g", "pick_region", "Region", "Show only stories from a region"),
    KeyAction("filter.feed", "f", "pick_feed", "Feed", "Show only one feed's stories"),
    KeyAction("filter.unread", "u", "toggle_unread", "Unread", "Show only unread stories (again: all)"),
    KeyAction("filter.starred", "asterisk", "toggle_starred", "Starred", "Show only starred stories (again: all)",
              footer=False),
    KeyAction("filter.drop", "escape", "drop_filter", "Drop filter", "Drop the filter set last", footer=False),
    KeyAction("filter.clear", "x", "clear_filters", "Clear", "Clear every filter", footer=False),
    KeyAction("story.toggle_read", "m", "toggle_read", "Read", "Mark the story read or unread", footer=False),
    KeyAction("story.star", "s", "toggle_star", "Star", "Star or unstar the story", footer=False),
    KeyAction("story.browser", "o", "open_link", "Browser", "Open the story's link in the browser", footer=False),
    KeyAction("story.copy_link", "y", "copy_link", "Copy link", "Copy the story's link", footer=False),
    KeyAction("story.links", "l", "pick_link", "Links", "Pick a link in the article text to open", footer=False),
    KeyAction("feeds.refresh", "r", "refresh", "Refresh", "Fetch every feed now"),
    KeyAction("feeds.add", "a", "add_feed", "Add feed", "Add a feed: its URL or any page of its site", footer=False),
    KeyAction("feeds.remove", "d", "remove_feed", "Remove feed", "Remove the story's feed, or the one filtered on",
              footer=False),
    KeyAction("app.help", "question_mark", "help", "Help", "Show every key"),
    KeyAction("app.quit", "q", "quit", "Quit", "Quit the reader"),
)
BY_ID: dict[str, KeyAction] = {action.id: action for action in KEY_ACTIONS}
#: Actions that open something keys are typed into next (see widgets/filter_bar.forward_to_search).
OPENERS = frozenset({"search", "pick_country", "pick_region", "pick_feed", "pick_link", "help", "add_feed", "remove_feed"})


def bindings() -> list[Binding]:
    """The App's BINDINGS: every action with its default keys and its id."""
    return [
        Binding(a.keys, a.action, a.description, show=a.footer, priority=a.priority, tooltip=a.help, id=a.id)
        for a in KEY_ACTIONS
    ]


def unknown_ids(overrides: Mapping[str, str]) -> list[str]:
    """Ids in a `[keys]` table that name no binding (a typo the user should hear about)."""
    return sorted(set(overrides) - set(BY_ID))


def effective_keys(overrides: Mapping[str, str]) -> dict[str, list[str]]:
    """Binding id -> the keys it answers to, after `[keys]`."""
    return {
        a.id: [key.strip() for key in overrides.get(a.id, a.keys).split(",") if key.strip()]
        for a in KEY_ACTIONS
    }
