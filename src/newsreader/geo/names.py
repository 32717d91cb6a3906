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
        # The names travel as lines of tab-separated fields. Splitting the whole text at once and reading
        # the fields in columns is several times faster than a split per line; one object stands for
        # every equal kind, set of codes and weight.
        surfaces, kinds, codes, weights = _columns(data["names"], 4)
        kind_of = {kind: kind for kind in set(kinds)}
        codes_of = {c: tuple(c.split(",")) if c else () for c in set(codes)}
        weight_of = {w: float(w) for w in set(weights)}
        make = tuple.__new__  # Entry(...) would run a NamedTuple's Python-level __new__, slow at start-up
        entries = [make(Entry, (surface, kind_of[kind], codes_of[c], weight_of[w]))
                   for surface, kind, c, w in zip(surfaces, kinds, codes, weights)]
        known = set(surfaces)
        by_surface = dict(zip(surfaces, entries))
        del surfaces, kinds, codes, weights
        self.ambiguous: dict[str, Ambiguity] = {}
        for surface, rule in data["ambiguous"].items():
            readings = {}
            for code, r in rule["readings"].items():
                cues = frozenset(r.get("cues", ()))
                for cue in sorted(cues - known):
                    entries.append(Entry(cue, "cue", (), 0.0))
                    by_surface[cue] = entries[-1]
                    known.add(cue)
                readings[code] = Reading(frozenset(r.get("codes", ())), bool(r.get("subnational")), cues)
            self.ambiguous[surface] = Ambiguity(rule["default"], rule.get("state"), readings)
        # The local layer: a town the main layer does not hold shares one entry with every town of
        # the same countries (the text gives its name); for a name the main layer holds, the other
        # countries it can stand for, with the main reading's prior.
        local = _columns(data["local"], 3)
        for c in set(local[1]):
            codes_of.setdefault(c, tuple(c.split(",")))
        self.alternates: dict[str, tuple[tuple[str, ...], float]] = {
            surface: (codes_of[c], float(prior)) for surface, c, prior in zip(*local) if surface in known
        }
        self.priors: dict[str, float] = {
            surface: float(prior) for surface, c, prior in zip(*local) if "," in c and surface not in known
        }
        local_entries: dict[str, int] = {}
        for c in dict.fromkeys(c for surface, c in zip(local[0], local[1]) if surface not in known):
            local_entries[c] = len(entries)
            entries.append(Entry("", "local", codes_of[c], LOCAL_WEIGHT))
        self._towns = [(surface, local_entries[c]) for surface, c in zip(local[0], local[1]) if surface not in known]
        del local
        self.entries = entries
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

    def towns(self) -> list[tuple[str, int]]:
        """The towns of the local layer the main layer does not hold, (name, index of its entry): the
        matcher finds them as written. Handed over once, to build the automaton: the table keeps no
        copy, nor does the cache."""
        towns, self._towns = self._towns, []
        return towns

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


def _columns(lines: str, width: int) -> list[list[str]]:
    """The columns of tab-separated lines of `width` fields."""
    fields = lines.replace("\n", "\t").split("\t")
    if len(fields) % width:
        raise ValueError(f"place data: lines of {width} fields expected")
    return [fields[i::width] for i in range(width)]


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

