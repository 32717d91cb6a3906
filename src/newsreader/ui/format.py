"""How the reader writes times and counts: short, and relative for today."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.text import Text

if TYPE_CHECKING:
    from newsreader.library import Explanation

#: The story list's date column: every short_when fits it, so the columns after it line up.
SHORT_WHEN_WIDTH = 6


def short_when(when: datetime, now: datetime) -> str:
    """'now', '5m', '3h' for today; '02 Mar' within about ten months; '2025' before (the article has the date)."""
    local = when.astimezone(now.tzinfo)
    age = (now - when).total_seconds()
    if local.date() == now.date() and age >= -300:
        if age < 60:
            return "now"
        if age < 3600:
            return f"{int(age // 60)}m"
        return f"{int(age // 3600)}h"
    if age < 300 * 86400:
        return local.strftime("%d %b")
    return local.strftime("%Y")


def long_when(when: datetime, now: datetime) -> str:
    """'Mon 2 Mar 2026 09:15 (2h ago)'."""
    local = when.astimezone(now.tzinfo)
    text = f"{local:%a} {local.day} {local:%b %Y %H:%M}"
    age = (now - when).total_seconds()
    if 0 <= age < 86400:
        text += f" ({short_when(when, now)} ago)" if age >= 60 else " (just now)"
    return text


def fit(text: str, width: int) -> str:
    """`text` in exactly `width` cells: padded, or cut with an ellipsis, so a cut name never reads as a
    whole one ("Sydney Morning Heral" for "Sydney Morning Herald")."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def why_text(explanation: Explanation, home: str | None) -> Text:
    """The tagger's reading of a story, for a person: each country, the words that made it, and why."""
    from newsreader.library import country_name
    from newsreader.text.sanitize import safe_line

    text = Text("Why these countries", style="bold")
    text.append(f"  (home {home or 'none'})\n", style="dim")
    if not explanation.countries:
        text.append("The story names no place the tagger knows.\n", style="dim")
    for item in explanation.countries:
        text.append(f"{item.rank}. {country_name(item.code)} ", style="bold")
        text.append(f"{'about' if item.central else 'mentions'} · {item.score:.2f}", style="dim")
        if item.why:
            text.append(f" · {safe_line(item.why)}", style="dim")
        text.append("\n")
        for evidence in item.evidence[:8]:
            text.append(f"   {safe_line(evidence.text)} ", style="")
            text.append(f"({evidence.zone}, {evidence.reading}, +{evidence.gain:.2f})\n", style="dim")
    for ignored in explanation.ignored[:6]:
        text.append(f"set aside: {safe_line(ignored.text)} ({safe_line(ignored.reason)})\n", style="dim italic")
    return text


def count(number: int, thing: str) -> str:
    return f"{number:,} {thing}" + ("" if number == 1 else "s")


def compact(number: int) -> str:
    """A count in at most five cells: 999, 1,234, 13.9k, 120k."""
    if number < 10_000:
        return f"{number:,}"
    if number < 100_000:
        return f"{number / 1000:.1f}k".replace(".0k", "k")
    return f"{number // 1000}k"


def stories(number: int) -> str:
    """'1 story', '12 stories'."""
    return f"{number:,} {'story' if number == 1 else 'stories'}"


def error_line(error: BaseException) -> str:
    """An exception as one line for a notice or a dialog.

    newsreader's own errors (ConfigError, FeedListError, DiscoveryError, StoreError) are written to be read
    as they are; anything else is unexpected, so its type is named too.
    """
    from newsreader.text.sanitize import safe_line

    if type(error).__module__.startswith("newsreader."):
        return safe_line(str(error))
    return safe_line(f"{type(error).__name__}: {error}")
