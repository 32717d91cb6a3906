"""How the reader writes times and counts: short, and relative for today."""

from __future__ import annotations

from datetime import datetime


def short_when(when: datetime, now: datetime) -> str:
    """'now', '5m', '3h' for today; '02 Mar' this year; '2025-11-01' before."""
    local = when.astimezone(now.tzinfo)
    age = (now - when).total_seconds()
    if local.date() == now.date() and age >= -300:
        if age < 60:
            return "now"
        if age < 3600:
            return f"{int(age // 60)}m"
        return f"{int(age // 3600)}h"
    if local.year == now.year:
        return local.strftime("%d %b")
    return local.strftime("%Y-%m-%d")


def long_when(when: datetime, now: datetime) -> str:
    """'Mon 2 Mar 2026 09:15 (2h ago)'."""
    local = when.astimezone(now.tzinfo)
    text = f"{local:%a} {local.day} {local:%b %Y %H:%M}"
    age = (now - when).total_seconds()
    if 0 <= age < 86400:
        text += f" ({short_when(when, now)} ago)" if age >= 60 else " (just now)"
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
