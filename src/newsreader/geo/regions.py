"""Regions: UN M49 continents and sub-regions plus news regions, as defined in the data file.

The tree (kept in places.json.gz, built from countryinfo's M49 table and curated.toml):

    World
      <continent>            kind "continent" (Africa, Americas, Asia, Europe, Oceania)
        <sub-region>         kind "subregion" (Western Asia, Sub-Saharan Africa > Eastern Africa ...)
        <news region>        kind "news", under the continent holding all its members
      <news region>          kind "news", under World when it spans continents
                             (Middle East, European Union, Nordics)

No region name is written in this code: everything comes from the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .loader import load


@dataclass(frozen=True, slots=True)
class Region:
    """A named group of countries."""

    #: Display name and id, e.g. "Eastern Europe".
    name: str
    #: The enclosing region ("Europe"); None for the root, "World".
    parent: str | None
    #: "world", "continent", "subregion" or "news".
    kind: str
    #: ISO 3166-1 alpha-2 codes of the member countries.
    countries: frozenset[str]


@cache
def regions() -> tuple[Region, ...]:
    """All regions in tree order (parents before children), World first."""
    return tuple(Region(n, p, k, frozenset(c)) for n, p, k, c in load()["regions"])


@cache
def _by_name() -> dict[str, Region]:
    return {r.name: r for r in regions()}


@cache
def regions_of_country() -> dict[str, tuple[str, ...]]:
    """code -> its region names, news regions first, then M49 from the most specific up.

    World is left out: it holds everything and tells a reader nothing.
    """
    depth: dict[str, int] = {}
    for r in regions():
        depth[r.name] = 0 if r.parent is None else depth[r.parent] + 1
    out: dict[str, list[Region]] = {}
    for r in regions():
        if r.parent is None:
            continue
        for code in r.countries:
            out.setdefault(code, []).append(r)
    order = {r.name: i for i, r in enumerate(regions())}
    return {
        code: tuple(r.name for r in sorted(rs, key=lambda r: (r.kind != "news", -depth[r.name], order[r.name])))
        for code, rs in out.items()
    }


def region(name: str) -> Region:
    """The Region for a canonical name."""
    return _by_name()[name]
