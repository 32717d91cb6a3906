"""Country and region names for people: resolve what a user typed, search for a picker.

Errors::

    ValueError
      UnknownPlace     a country or region query that names nothing; carries close matches
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import cache

from .loader import load
from .regions import region, regions


class UnknownPlace(ValueError):
    """A query that names no country (or region); `suggestions` are the closest matches.

    For countries the suggestions are ISO codes, for regions canonical region names.
    """

    def __init__(self, kind: str, query: str, suggestions: tuple[str, ...], labels: tuple[str, ...]) -> None:
        super().__init__(kind, query, suggestions, labels)  # every argument, so pickle can build it again
        self.kind = kind
        self.query = query
        self.suggestions = suggestions
        self.labels = labels

    def __str__(self) -> str:
        message = f"unknown {self.kind} {self.query!r}"
        if self.labels:
            labels = self.labels
            listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
            message += f"; did you mean {listed}?"
        return message


def _fold(text: str) -> str:
    """Case- and accent-insensitive key: "Côte d’Ivoire" -> "cote d'ivoire"."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").strip().casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def country_name(code: str) -> str:
    """English display name of a code ("AM" -> "Armenia"); an unknown code comes back as is."""
    return load()["countries"].get(code.upper(), code) if isinstance(code, str) else code


@cache
def _country_keys() -> dict[str, str]:
    """folded name, demonym or code -> code."""
    data = load()
    keys = {_fold(k): v for k, v in data["lookup"].items()}
    for code, name in data["countries"].items():
        keys[_fold(name)] = code
        keys[code.casefold()] = code
    return keys


@cache
def _fuzzy_pool() -> list[str]:
    """Keys worth fuzzy-matching: names and demonyms, not two- and three-letter codes."""
    return [k for k in _country_keys() if len(k) > 3]


@cache
def _names_by_code() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for key, code in _country_keys().items():
        out.setdefault(code, []).append(key)
    return {code: tuple(sorted(keys, key=len)) for code, keys in out.items()}


def resolve_country(query: str) -> str:
    """The code for a code, name or demonym in any case ("AM", "armenia", "Armenian", "Azeri")."""
    key = _fold(query or "")
    code = _country_keys().get(key)
    if code is not None:
        return code
    matches = difflib.get_close_matches(key, _fuzzy_pool(), n=12, cutoff=0.6) if key else []
    codes = tuple(dict.fromkeys(_country_keys()[m] for m in matches))[:3]
    raise UnknownPlace("country", query, codes, tuple(f"{country_name(c)} ({c})" for c in codes))


def search_countries(query: str, limit: int = 20) -> list[tuple[str, str]]:
    """Type-ahead for a country picker: [(code, display name)], prefix matches first.

    Matches display names, other names (also translated), demonyms and codes; falls back to
    fuzzy matching for typos.
    """
    names = load()["countries"]
    q = _fold(query or "")
    if not q:
        return sorted(names.items(), key=lambda kv: kv[1])[:limit]
    ranked: dict[str, tuple[int, str]] = {}

    def offer(code: str, tier: int) -> None:
        if code not in ranked or ranked[code][0] > tier:
            ranked[code] = (tier, names[code])

    for code, display in names.items():
        d = _fold(display)
        if q in (code.casefold(), d):
            offer(code, 0)
        elif d.startswith(q):
            offer(code, 1)
        elif any(w.startswith(q) for w in d.replace("-", " ").split()):
            offer(code, 3)
        elif q in d:
            offer(code, 5)
    for code, keys in _names_by_code().items():
        if code not in names:
            continue
        if q in keys:
            offer(code, 0)
        elif any(k.startswith(q) for k in keys):
            offer(code, 2)
        elif len(q) >= 3 and any(q in k for k in keys):
            offer(code, 6)
    # Typo rescue only when nothing matched as typed: "armenia" should not also offer Romania.
    if not ranked and len(q) >= 3:
        for m in difflib.get_close_matches(q, _fuzzy_pool(), n=limit, cutoff=0.7):
            offer(_country_keys()[m], 7)
    order = sorted(ranked.items(), key=lambda kv: (kv[1][0], kv[1][1]))
    return [(code, name) for code, (_tier, name) in order[:limit]]


@cache
def _region_keys() -> dict[str, str]:
    keys = {_fold(r.name): r.name for r in regions()}
    for alias, name in load()["region_aliases"].items():
        keys.setdefault(_fold(alias), name)
    return keys


def resolve_region(query: str) -> str:
    """The canonical region name for a name or alias in any case ("eastern europe", "EU")."""
    key = _fold(query or "")
    name = _region_keys().get(key)
    if name is not None:
        return name
    matches = difflib.get_close_matches(key, list(_region_keys()), n=6, cutoff=0.6) if key else []
    found = tuple(dict.fromkeys(_region_keys()[m] for m in matches))[:3]
    raise UnknownPlace("region", query, found, found)


def search_regions(query: str, limit: int = 20) -> list[str]:
    """Type-ahead for a region picker: canonical names, prefix matches first."""
    q = _fold(query or "")
    names = [r.name for r in regions()]
    if not q:
        return names[:limit]
    ranked: dict[str, int] = {}
    for key, name in _region_keys().items():
        if key == q:
            tier = 0
        elif key.startswith(q):
            tier = 1
        elif any(w.startswith(q) for w in key.replace("-", " ").split()):
            tier = 2
        elif q in key:
            tier = 3
        else:
            continue
        ranked[name] = min(tier, ranked.get(name, tier))
    if len(ranked) < limit and len(q) >= 3:
        for m in difflib.get_close_matches(q, list(_region_keys()), n=limit, cutoff=0.7):
            ranked.setdefault(_region_keys()[m], 4)
    return sorted(ranked, key=lambda n: (ranked[n], n))[:limit]


def countries_in_region(name: str) -> frozenset[str]:
    """Member codes of a region given by name or alias, in any case (UnknownPlace if none)."""
    return region(resolve_region(name)).countries
