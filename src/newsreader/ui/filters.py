"""The reader's active filters: what a person has narrowed the list to, in the order they did it.

Plain data, no Textual: the order is what lets `escape` drop the last filter set, and the JSON form is
what `state.py` keeps between runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from newsreader.library import StoryFilter

#: Every kind of filter the reader sets; valued ones carry a string, the rest are switches.
VALUED = ("country", "region", "feed", "search")
SWITCHES = ("unread", "starred", "mentions")
KINDS = VALUED + SWITCHES


@dataclass(frozen=True, slots=True)
class ActiveFilters:
    """Filters in the order they were set; every one narrows the list (AND)."""

    applied: tuple[tuple[str, str | bool], ...] = ()

    @classmethod
    def from_applied(cls, applied: tuple[tuple[str, str | bool], ...]) -> ActiveFilters:
        """These filters, in this order (a saved filter's); kinds not known here are left out."""
        filters = cls()
        for kind, value in applied:
            if kind in KINDS:
                filters = filters.with_(kind, value)
        return filters

    def get(self, kind: str) -> str | bool | None:
        for name, value in self.applied:
            if name == kind:
                return value
        return None

    def with_(self, kind: str, value: str | bool | None) -> ActiveFilters:
        """Set (or, with an empty value, remove) one filter; a filter set again becomes the last one."""
        if kind not in KINDS:
            raise ValueError(f"unknown filter {kind!r}")
        rest = tuple(item for item in self.applied if item[0] != kind)
        if kind in SWITCHES:
            value = bool(value)
        elif isinstance(value, str):
            value = value if value.strip() else None
        return ActiveFilters(rest + ((kind, value),)) if value else ActiveFilters(rest)

    def keep_place(self, kind: str, value: str | bool | None) -> ActiveFilters:
        """Like `with_`, but a filter already set keeps its place (the search box updating as you type)."""
        if kind in (name for name, _ in self.applied) and value:
            return ActiveFilters(tuple((name, value if name == kind else old) for name, old in self.applied))
        return self.with_(kind, value)

    def drop_last(self) -> ActiveFilters:
        return ActiveFilters(self.applied[:-1])

    def __bool__(self) -> bool:
        return bool(self.applied)

    def story_filter(self) -> StoryFilter:
        values = dict(self.applied)
        return StoryFilter(
            country=values.get("country"),  # type: ignore[arg-type]
            region=values.get("region"),  # type: ignore[arg-type]
            feed=values.get("feed"),  # type: ignore[arg-type]
            search=values.get("search"),  # type: ignore[arg-type]
            unread=bool(values.get("unread")),
            starred=bool(values.get("starred")),
            # Mentions widen a country filter; without one they mean nothing.
            include_mentions=bool(values.get("mentions")) and bool(values.get("country")),
        )

    def describe(self, country_name: Callable[[str], str]) -> list[str]:
        """One short phrase per filter, in order: ["Armenia", "'ceasefire'", "unread"]."""
        parts = []
        for kind, value in self.applied:
            if kind == "country":
                parts.append(country_name(str(value)))
            elif kind == "search":
                parts.append(f"'{value}'")
            elif kind == "feed":
                parts.append(f"feed {value}")
            elif kind == "mentions":
                parts.append("with mentions")
            elif kind in SWITCHES:
                parts.append(kind)
            else:
                parts.append(str(value))
        return parts

    def to_json(self) -> list[list[object]]:
        return [[kind, value] for kind, value in self.applied]

    @classmethod
    def from_json(cls, data: object, *, known: Mapping[str, Callable[[str], bool]] | None = None) -> ActiveFilters:
        """Rebuild from `to_json` output, dropping anything malformed or no longer valid (`known[kind](value)`)."""
        filters = cls()
        if not isinstance(data, list):
            return filters
        for item in data:
            if not (isinstance(item, list) and len(item) == 2 and item[0] in KINDS):
                continue
            kind, value = item
            if kind in SWITCHES and value is True:
                filters = filters.with_(kind, True)
            elif kind in VALUED and isinstance(value, str) and value.strip():
                check = (known or {}).get(kind)
                if check is None or check(value):
                    filters = filters.with_(kind, value)
        return filters
