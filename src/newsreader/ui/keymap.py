"""Every key the reader answers to, in one table: the bindings, the help screen, the command palette and
`[keys]` rebinding in feeds.toml all read it.

Binding ids are stable names for `[keys]`:

    [keys]
    "story.star" = "F"
    "cursor.down" = "j,down,ctrl+n"

Each action has a scope: "app" (bound on the app: quit, help), "screen" (the reader screen's actions:
filters, story actions, refresh, the reading view), or "pane" (moving: each pane binds the id to its own
action, so the list moves its cursor where the article scrolls, and one `[keys]` line rebinds both). An
action bound in more than one place names each: "app,screen".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType
from textual.keys import key_to_character


@dataclass(frozen=True, slots=True)
class KeyAction:
    id: str  #: the name `[keys]` uses
    keys: str  #: default keys, comma-separated, in Textual's key names
    action: str  #: the action's name where it is bound (the app, the reader screen, or each pane)
    description: str  #: short label for the footer
    help: str  #: one line for the help screen and the command palette
    scope: str = "screen"  #: "app", "screen" or "pane"; comma-separated when several
    footer: bool = True  #: shown in the footer
    priority: bool = False  #: checked before the focused widget's own keys
    palette: bool = True  #: offered in the command palette
    opens: bool = False  #: opens something typed into next (see widgets/filter_bar.forward_to_search)


KEY_ACTIONS: tuple[KeyAction, ...] = (
    # First, so the footer keeps them however narrow the terminal (it shows bindings in this order).
    KeyAction("app.quit", "q", "quit", "Quit", "Quit the reader (in the reading view: back to the panes)", "app,screen"),
    KeyAction("app.help", "question_mark", "help", "Help", "Show every key", "app,screen", opens=True),
    KeyAction("cursor.down", "j,down", "cursor_down", "Down", "Move to the next row", "pane", footer=False, palette=False),
    KeyAction("cursor.up", "k,up", "cursor_up", "Up", "Move to the previous row", "pane", footer=False, palette=False),
    KeyAction("cursor.page_down", "pagedown", "page_down", "Page down", "Move a page down", "pane", footer=False,
              palette=False),
    KeyAction("cursor.page_up", "pageup", "page_up", "Page up", "Move a page up", "pane", footer=False, palette=False),
    KeyAction("cursor.first", "home", "cursor_first", "First", "Move to the newest story (the top)", "pane",
              footer=False, palette=False),
    KeyAction("cursor.last", "end", "cursor_last", "Last", "Move to the oldest story (the bottom)", "pane",
              footer=False, palette=False),
    KeyAction("story.open", "enter", "open_story", "Read", "Read the selected story over the whole window"),
    KeyAction("reading.page", "space", "page", "Page", "Page down the article; at its end, the next unread story",
              "screen", footer=False),
    KeyAction("story.next_unread", "n", "next_unread", "Next unread", "Go to the next unread story",
              "screen"),
    KeyAction("story.previous_unread", "p", "previous_unread", "Prev unread", "Go to the previous unread story",
              "screen", footer=False),
    KeyAction("story.next", "N", "next_story", "Next", "Go to the next story, read or not", "screen",
              footer=False),
    KeyAction("story.previous", "P", "previous_story", "Previous", "Go to the previous story, read or not",
              "screen", footer=False),
    KeyAction("pane.next", "tab", "next_pane", "Next pane", "Move to the next pane", footer=False, priority=True),
    KeyAction("pane.previous", "shift+tab", "previous_pane", "Previous pane", "Move to the previous pane",
              footer=False, priority=True),
    KeyAction("filter.search", "slash", "search", "Search", "Search the full text of every story", opens=True),
    KeyAction("filter.country", "c", "pick_country", "Country", "Show only stories about a country", opens=True),
    KeyAction("filter.region", "g", "pick_region", "Region", "Show only stories from a region", footer=False,
              opens=True),
    KeyAction("filter.feed", "f", "pick_feed", "Feed", "Show only one feed's stories", footer=False, opens=True),
    KeyAction("filter.unread", "u", "toggle_unread", "Unread", "Show only unread stories (again: all)"),
    KeyAction("filter.starred", "asterisk", "toggle_starred", "Starred", "Show only starred stories (again: all)",
              footer=False),
    KeyAction("filter.mentions", "M", "toggle_mentions", "Mentions",
              "With a country filter: also the stories that only mention it (again: only those about it)", footer=False),
    KeyAction("filter.save", "S", "save_filter", "Save filter", "Save the filters as a named filter (in feeds.toml)",
              footer=False, opens=True),
    KeyAction("filter.mark_read", "A", "mark_all_read", "Mark all read", "Mark every story the filters show read",
              footer=False),
    KeyAction("filter.drop", "escape", "drop_filter", "Drop filter",
              "Drop the filter set last (in the reading view: back)",
              footer=False),
    KeyAction("filter.clear", "x", "clear_filters", "Clear", "Clear every filter", footer=False),
    KeyAction("story.toggle_read", "m", "toggle_read", "Read", "Mark the story read or unread", "screen",
              footer=False),
    KeyAction("story.star", "s", "toggle_star", "Star", "Star or unstar the story", "screen", footer=False),
    KeyAction("story.browser", "o", "open_link", "Browser", "Open the story's link in the browser", "screen",
              footer=False),
    KeyAction("story.copy_link", "y", "copy_link", "Copy link", "Copy the story's link", "screen",
              footer=False),
    KeyAction("story.links", "l", "pick_link", "Links", "Pick a link in the article text to open", "screen",
              footer=False, opens=True),
    KeyAction("story.why", "w", "why", "Why here", "Why the story is under its countries: the words that put it there",
              footer=False),
    KeyAction("story.next_version", "v", "next_version", "Other version",
              "Show the next outlet's version of the story (the same event told elsewhere)", "screen", footer=False),
    KeyAction("story.previous_version", "V", "previous_version", "Previous version",
              "Show the previous outlet's version of the story", "screen", footer=False),
    KeyAction("view.grouped", "G", "toggle_grouped", "Group",
              "Group the stories of one event told by several outlets into one row (again: a row per story)",
              footer=False),
    KeyAction("view.sidebar", "b", "toggle_sidebar", "Sidebar", "Show or hide the filter pane", footer=False),
    KeyAction("feeds.refresh", "r", "refresh", "Refresh", "Fetch every feed now"),
    KeyAction("feeds.add", "a", "add_feed", "Add feed", "Add a feed: its URL or any page of its site", footer=False,
              opens=True),
    KeyAction("feeds.remove", "d", "remove_feed", "Remove feed",
              "Remove the story's feed, or the one filtered on (on a saved filter in the filter pane: that filter)",
              footer=False, opens=True),
)
BY_ID: dict[str, KeyAction] = {action.id: action for action in KEY_ACTIONS}


def bindings(scope: str) -> list[BindingType]:
    """The BINDINGS of the app ("app") or the reader screen ("screen")."""
    return [_binding(a, a.action) for a in KEY_ACTIONS if scope in a.scope.split(",")]


def pane_bindings(**actions: str) -> list[BindingType]:
    """A pane's moving keys: binding id (with "_" for ".") -> the pane's own action for it, e.g.
    `pane_bindings(cursor_down="scroll_down")`."""
    return [_binding(BY_ID[name.replace("_", ".", 1)], action) for name, action in actions.items()]


def _binding(action: KeyAction, name: str) -> Binding:
    return Binding(action.keys, name, action.description, show=action.footer, priority=action.priority,
                   tooltip=action.help, id=action.id)


def unknown_ids(overrides: Mapping[str, str]) -> list[str]:
    """Ids in a `[keys]` table that name no binding (a typo the user should hear about)."""
    return sorted(set(overrides) - set(BY_ID))


def effective_keys(overrides: Mapping[str, str]) -> dict[str, list[str]]:
    """Binding id -> the keys it answers to, after `[keys]`. A key `[keys]` gives one action is taken from
    any other action that had it by default (as Textual's keymap does)."""
    def keys_of(text: str) -> list[str]:
        return [key.strip() for key in text.split(",") if key.strip()]

    claimed = {_same_key(key) for binding_id, text in overrides.items() if binding_id in BY_ID for key in keys_of(text)}
    return {
        a.id: keys_of(overrides[a.id]) if a.id in overrides else [k for k in keys_of(a.keys) if _same_key(k) not in claimed]
        for a in KEY_ACTIONS
    }


def _same_key(key: str) -> str:
    """One name for a key however it is written ("/" and "slash", "?" and "question_mark")."""
    return key_to_character(key) or key


def opening_keys(overrides: Mapping[str, str]) -> dict[str, KeyAction]:
    """What a key opens (the search box, a picker, a dialog), by its key name and by the character it types,
    so "/" and "slash" in `[keys]` mean the same key: look a key up by both."""
    keys = effective_keys(overrides)
    found: dict[str, KeyAction] = {}
    for action in KEY_ACTIONS:
        if action.opens:
            for key in keys[action.id]:
                found[key] = action
                if character := key_to_character(key):
                    found[character] = action
    return found
