"""The name table the tagger reads, built once from the data file (data/places.json.gz).

- `entries`: every name the matcher finds (loader.Entry), main layer first; the towns of the local
  layer share one entry per set of countries (the text gives the name), and `towns()` lists them for
  the automaton.
- `alternates`: for a name the main layer holds, the other countries where a town has it, with the main
  reading's prior ("Paris": US, prior 1.8); `priors`: the same prior for a town several countries share.
- `ambiguous`: curated names with several readings and the cues that choose one (Georgia, Congo, Turkey).
- Slugs: names as a link's slug spells them (lower case, no accents), read leftmost-longest like the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .loader import Entry
from .matcher import slug_words

LOCAL_WEIGHT = 0.5  # a town or county of the local layer, or a big place's name read as a town


@dataclass(frozen=True, slots=True)
class Reading:
    codes: frozenset[str]
    subnational: bool
    cues: frozenset[str]


@dataclass(frozen=True, slots=True)
class Ambiguity:
    default: str
    state: str | None
    readings: dict[str, Reading]


class Names:
    """The names of the data file as the matcher and the tagger read them. Immutable once built."""

    def __init__(self, data: dict[str, Any]) -> None:
        make = tuple.__new__  # Entry(...) would run a NamedTuple's Python-level __new__, slow at start-up
        codes_of: dict[str, tuple[str, ...]] = {"": ()}  # one tuple for all the names of the same codes
        entries = []
        for line in data["names"].split("\n"):
            surface, kind, codes, weight = line.split("\t")
            shared = codes_of.get(codes)
            if shared is None:
                shared = codes_of[codes] = tuple(codes.split(","))
            entries.append(make(Entry, (surface, kind, shared, float(weight))))
        known = {e.surface for e in entries}
        self.ambiguous: dict[str, Ambiguity] = {}
        for surface, rule in data["ambiguous"].items():
            readings = {}
            for code, r in rule["readings"].items():
                cues = frozenset(r.get("cues", ()))
                for cue in sorted(cues - known):
                    entries.append(Entry(cue, "cue", (), 0.0))
                    known.add(cue)
                readings[code] = Reading(frozenset(r.get("codes", ())), bool(r.get("subnational")), cues)
            self.ambiguous[surface] = Ambiguity(rule["default"], rule.get("state"), readings)
        # The local layer: a town the main layer does not hold shares one entry with every town of
        # the same countries (the text gives its name); for a name the main layer holds, the other
        # countries it can stand for, with the main reading's prior.
        self.alternates: dict[str, tuple[tuple[str, ...], float]] = {}
        self.priors: dict[str, float] = {}
        local_entries: dict[str, int] = {}
        for line in data["local"].split("\n"):
            surface, codes, prior = line.split("\t")
            if surface in known:
                self.alternates[surface] = (tuple(codes.split(",")), float(prior))
                continue
            if codes not in local_entries:
                local_entries[codes] = len(entries)
                entries.append(Entry("", "local", tuple(codes.split(",")), LOCAL_WEIGHT))
            if "," in codes:
                self.priors[surface] = float(prior)

        def towns() -> list[tuple[str, int]]:  # only to build the automaton, not to read it from the cache
            out = []
            for line in data["local"].split("\n"):
                surface, codes, _prior = line.split("\t")
                if surface not in known:
                    out.append((surface, local_entries[codes]))
            return out

        self.entries = entries
        self.towns = towns
        by_surface = {e.surface: e for e in entries if e.kind != "local"}
        self._slug_names = {key: by_surface[surface] for key, surface in data["slug_names"].items()}
        for key, entry in list(self._slug_names.items()):
            if " " not in key and entry.kind != "stop":
                self._slug_names.setdefault(key + "s", entry)  # slugs drop the apostrophe: "canadas-military"
        # Every run of words a slug name starts with, the whole name included: reading a slug tries a
        # longer run only while it can still become a name.
        self._slug_prefixes = frozenset(
            " ".join(words[:size]) for words in (key.split(" ") for key in self._slug_names)
            for size in range(1, len(words) + 1)
        )

    def slug_codes(self, link: str | None) -> dict[str, float]:
        """code -> name weight of the places the link's slug names, leftmost-longest like the text."""
        words = _slug(link) if link else []
        found: dict[str, float] = {}
        names, prefixes = self._slug_names, self._slug_prefixes
        i, n = 0, len(words)
        while i < n:
            key = words[i]
            if key not in prefixes:  # most words start no name
                i += 1
                continue
            entry, size = names.get(key), 1
            j = i + 1
            while j < n:
                key = f"{key} {words[j]}"
                if key not in prefixes:
                    break
                j += 1
                if key in names:
                    entry, size = names[key], j - i
            if entry is None:
                i += 1
                continue
            i += size
            if entry.kind == "stop":
                continue
            weight = entry.weight if len(entry.codes) == 1 else entry.weight * 0.75
            for code in entry.codes:
                found[code] = max(found.get(code, 0.0), weight)
        return found


def _slug(link: str) -> list[str]:
    """The words of the link's slug: its last path segment that reads like one (has a - or _)."""
    # By hand, not urlsplit: that costs 4 us a link, as much as all the rest of the slug's work.
    host = link.find("://")
    start = link.find("/", host + 3) if host >= 0 else (0 if link.startswith("/") else -1)
    if start < 0:
        return []
    path = link[start:].split("?", 1)[0].split("#", 1)[0]
    for segment in reversed(path.split("/")):
        if "-" in segment or "_" in segment:
            return slug_words(unquote(segment) if "%" in segment else segment)
    return []

