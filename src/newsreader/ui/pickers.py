"""What each picker offers: a search source is a callable from what was typed to the rows to offer.

Plain data in, `Choice`s out; PickerScreen shows them. Counts come from the filter pane, which has them
already (nothing here queries the cache).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.fuzzy import Matcher

from newsreader.library import Counts, country_name, regions, search_countries, search_regions
from newsreader.text.sanitize import safe_line
from newsreader.ui.widgets.article_view import ArticleLink, is_openable


@dataclass(frozen=True, slots=True)
class Choice:
    value: str  #: what the picker returns
    label: Text  #: what the row shows (a Text: never parsed as markup)


#: A search: what was typed -> the rows to offer, best first.
Search = Callable[[str], Sequence[Choice]]


def choice_label(name: str, code: str | None, counts: Counts | None) -> Text:
    label = Text(name)
    if code:
        label.append(f" {code}", style="dim")
    if counts is not None and counts.total:
        label.append(f"  {counts.total:,}", style="dim")
        if counts.unread:
            label.append(f" ({counts.unread:,} unread)", style="dim")
    return label


@dataclass(frozen=True)
class CountrySearch:
    """Countries by name, code or demonym ("arm", "AM", "Armenian"); with nothing typed, those with most
    stories first."""

    counts: Mapping[str, Counts]

    def __call__(self, query: str) -> list[Choice]:
        if query.strip():
            found = search_countries(query, 40)
        else:
            by_size = sorted(self.counts, key=lambda code: -self.counts[code].total)
            found = [(code, country_name(code)) for code in by_size][:60]
        return [Choice(code, choice_label(name, code, self.counts.get(code))) for code, name in found]


@dataclass(frozen=True)
class RegionSearch:
    counts: Mapping[str, Counts]

    def __call__(self, query: str) -> list[Choice]:
        names = search_regions(query, 40) if query.strip() else [r.name for r in regions() if r.parent]
        return [Choice(name, choice_label(name, None, self.counts.get(name))) for name in names]


@dataclass(frozen=True)
class FeedSearch:
    """Feed names, fuzzily matched."""

    names: Sequence[str]
    counts: Mapping[str, Counts]

    def __call__(self, query: str) -> list[Choice]:
        if not query.strip():
            found = list(self.names)
        else:
            matcher = Matcher(query)
            scored = [(matcher.match(name), name) for name in self.names]
            found = [name for score, name in sorted(scored, key=lambda item: -item[0]) if score > 0]
        return [Choice(name, choice_label(safe_line(name), None, self.counts.get(name))) for name in found]


@dataclass(frozen=True)
class LinkSearch:
    """The links of the open article, by their text or address."""

    links: Sequence[ArticleLink]

    def __call__(self, query: str) -> list[Choice]:
        wanted = query.casefold().strip()
        rows = []
        for link in self.links:
            if wanted and wanted not in link.text.casefold() and wanted not in link.url.casefold():
                continue
            label = Text(link.text + "  ") if link.text != link.url else Text()
            label.append(link.url, style="underline" if is_openable(link.url) else "dim strike")
            rows.append(Choice(link.url, label))
        return rows
