"""Which names a story holds count, and as what: the rules that read each match in its words.

Matches are filtered: stop phrases ("Lewis Hamilton", "French fries") swallow their words; a place name
glued to a capitalised word is a person ("Sgt. Daniel Sakai", "Chad le Clos", "Denzel Washington") or
part of a longer name ("New London", "Little Portugal", "Jordan Elementary", "Paris Avenue"); "X
County/Parish/Township" is a US division; a state abbreviation counts only after "Town, " ("Lebanon,
Pa.", "Paris, TX", "CHARLESTON, W.Va. —"); an acronym the story spells out before it is that
("International Diabetes Federation (IDF)" is not Israel's army); a nationality word describing people
counts for a fraction ("Argentine striker"). "Town, Region" settles the town, and every other mention
of it in the story (one sense per story). A name several places share takes one reading per story
(pick(), resolve()).
"""

from __future__ import annotations

import re
from typing import Any

from .loader import Entry
from .matcher import Hit
from .names import Ambiguity, Names
from .results import ZONES, Ignored, Trace

PAD = "\n\n"  # what accept() needs after the story's text
HOME_EVIDENCE = 1.0  # the feed's home country, when reading a name several places share
SAME_NAME_EVIDENCE = 1.0  # another place of the story holds the name ("Lebanon County" for Lebanon)
PEOPLE_FACTOR = 0.3  # a nationality word describing people or their culture

PLACE_KINDS = frozenset({"alias", "country", "demonym", "territory", "metonym", "translation",
                         "capital", "city", "state", "state_abbr", "ambiguous", "local"})
SUBNATIONAL_KINDS = frozenset({"city", "state", "state_abbr", "local"})
STATE_KINDS = frozenset({"state", "state_abbr"})
SPECIAL_KINDS = frozenset({"stop", "cue", "state", "state_abbr"})  # read apart from places
# Rules.flags: what an entry is. SINGLE: one country, no other reading (the tagger weighs it inline);
# ONE_READING: that, or a town of one country (evidence for reading shared names); PLAIN: single and
# no person's name (accept()'s fast path); SPECIAL: a stop phrase, a cue or a state.
SINGLE, ONE_READING, PLAIN, SPECIAL = 1, 2, 4, 8
COUNTRY_NAME_KINDS = frozenset({"country", "territory", "translation"})
PLAIN_KINDS = frozenset({"country", "alias", "demonym", "metonym", "translation", "capital", "territory"})
REGION_KINDS = frozenset({"country", "alias", "capital", "city", "territory", "translation", "local"})
# Kinds whose names are dropped when glued to a capitalised word before them ("Daniel Sakai"), and
# after them too for towns ("Jackson Pollock"); person_names in the data ("Mauricio Pochettino",
# "Brittany Zwicker", "John Flanders") are checked both ways whatever their kind. Not in German, which capitalises
# every noun ("Hafen Hamburg").
GLUED_BEFORE = frozenset({"city", "local"})
GLUED_AFTER = frozenset({"local"})
_GERMAN = (" und ", " der ", " die ", " das ", " nicht ")

_TAIL_WORD = re.compile(r"[\w'.\-]+$")
_WORD_AFTER = re.compile(r" ([\w'.\-]+)")
_WORDS = re.compile(r"[^\W\d_][\w'\-]*")
# "Town, " (or "TOWN, ") right before a state abbreviation.
_TOWN_COMMA = re.compile(r"[A-Z][\w'.\-]*, $")


def _headline_style(title: str) -> bool:
    """True for an ALL CAPS or Title Case title, where capitalisation says nothing about names."""
    letters = [c for c in title if c.isalpha()]
    if not letters:
        return False
    if title.upper() == title:
        return True
    long_words = [w for w in _WORDS.findall(title) if len(w) >= 4]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= 0.8 * len(long_words)


def _bare(word: str) -> str:
    """A word without trailing punctuation or possessive: "striker's," -> "striker"."""
    word = word.rstrip(".,;:!?")
    return word[:-2] if word.endswith("'s") else word


def _word_start(full: str, end: int) -> int:
    """Where the word ending at `end` starts: after the last space or line break before it."""
    space = full.rfind(" ", 0, end)
    newline = full.rfind("\n", space + 1, end)
    return (newline if newline > space else space) + 1


def zone_of(start: int, t_end: int, lead_end: int, body_quiet: list[tuple[int, int]]) -> int:
    if start < t_end:
        return 0
    if start < lead_end:
        return 1
    for a, b in body_quiet:
        if a <= start < b:
            return 3
    return 2


class Rules:
    """The rules and the word lists they read (data/curated.toml). Immutable once built; thread-safe."""

    def __init__(self, data: dict[str, Any], names: Names) -> None:
        self._entries = names.entries
        self._alternates = names.alternates
        self._priors = names.priors
        self._ambiguous = names.ambiguous
        person = data["person_names"]
        self._person_names = frozenset(person["names"])
        self._particles = frozenset(person["particles"])
        self._particle_starts = frozenset(p[:2] for p in self._particles)  # a word that can be one starts so
        self._allow_before = frozenset(person["allow_before"])
        self._allow_after = frozenset(person["allow_after"])
        context = data["context"]
        self._people_words = frozenset(context["people"])
        self._facilities = frozenset(context["facilities"])
        self._us_divisions = frozenset(context["us_divisions"])
        self._compass = frozenset(context["compass"])
        self._place_before = frozenset(context["place_before"])
        self._place_after = frozenset(context["place_after"])
        self._town_people = frozenset(context["town_people"])
        self._new_place = tuple(w + " " for w in context["new_place"])
        self._new_place_ends = frozenset(w[-1] for w in context["new_place"])
        self._states = frozenset(data["states"])
        # Per entry, a byte of flags saying what the reading needs to know first (a byte an entry, not a
        # set of indices: a few kilobytes, not megabytes).
        flags = bytearray(len(self._entries))
        for i, e in enumerate(self._entries):
            kind = e.kind
            if len(e.codes) == 1 and kind != "ambiguous":
                if kind == "local":
                    flags[i] = ONE_READING
                elif e.surface not in self._alternates:
                    plain = kind in PLAIN_KINDS and e.surface not in self._person_names and e.surface not in self._ambiguous
                    flags[i] = SINGLE | ONE_READING | (PLAIN if plain else 0)
            if kind in SPECIAL_KINDS:
                flags[i] |= SPECIAL
        self.flags = bytes(flags)

    def pick(self, e: Entry, surface: str, evidence: dict[str, set[str]], home: str | None,
             townlike: bool = False) -> str:
        """The reading of a name several places share: most evidence, home as evidence, the main
        (or largest) place's prior."""
        alternates = self._alternates.get(surface)
        if alternates is not None:
            candidates, prior = (*e.codes[:1], *alternates[0]), alternates[1]
        else:
            candidates, prior = e.codes, self._priors.get(surface, 0.0)
        if len(candidates) == 1:
            return candidates[0]
        best, best_score = candidates[0], -1.0
        for i, code in enumerate(candidates):
            support = evidence.get(code)
            s = (prior if i == 0 else 0.0)
            if support:
                s += len(support) - (surface in support)
                if i and any(surface in other and other != surface for other in support):
                    s += SAME_NAME_EVIDENCE  # "Lebanon County" names the town of Lebanon
            if i and townlike:
                s += SAME_NAME_EVIDENCE  # "Palestine man", "Lebanon police": a town's words, not a country's
            if code == home:
                s += HOME_EVIDENCE
            if s > best_score:
                best, best_score = code, s
        return best


    def _region_codes(self, e: Entry, surface: str) -> tuple[tuple[str, ...], bool]:
        """(codes, is a state) of a name that can follow "Town, "."""
        if e.kind in STATE_KINDS or surface in self._states:
            return e.codes, True
        if e.kind in REGION_KINDS:
            return e.codes + self._alternates.get(surface, ((), 0))[0], False
        return (), False

    def accept(self, full: str, hits: list[Hit], t_end: int, senses: dict[str, str],
               evidence, subnational, surfaces_seen, trace: Trace | None, spread) -> list[tuple]:
        """Drop what is not a place, settle "Town, Region", weigh nationality words describing people;
        gather the evidence that reads shared names (distinct names standing for one country).

        `full` is the story's text followed by PAD: the characters around a name are read by index,
        without bounds checks (before the first character is the last, a line break).

        Returns (hit, entry, name, forced code or None, weight factor, note for explain)."""
        entries = self._entries
        alternates = self._alternates
        out = []
        forced: dict[int, str] = {}
        abbr_ok: set[int] = set()
        n = len(hits)
        german = None
        headline = None  # whether the title is in Title Case or ALL CAPS, once a name there needs it

        def drop(h: Hit, reason: str) -> None:
            if trace is not None:
                zone = ZONES[min(zone_of(h.start, *spread), 2)]
                trace.ignored.append(Ignored(full[h.start:h.end], zone, reason))

        def keep(h: Hit, e: Entry, surface: str, code: str | None, factor: float, note: str) -> None:
            out.append((h, e, surface, code, factor, note))
            surfaces_seen.add(surface)
            if code is None:
                if len(e.codes) != 1 or surface in alternates or e.kind == "ambiguous":
                    return
                code = e.codes[0]
            evidence[code].add(surface)
            if e.kind in SUBNATIONAL_KINDS or code not in e.codes:
                subnational[code] += 1

        flags = self.flags
        new_place_ends, person_names = self._new_place_ends, self._person_names
        for i, h in enumerate(hits):
            start, end, idx = h
            before = full[start - 1]  # at the start of the text, the line break at its end
            after = full[end]
            if flags[idx] & PLAIN:
                # The common case, inline: a name of one country that nothing around it changes
                # unless a comma, a capital, a bracket or "New"/"Little" says otherwise.
                if (before != "(" and not (after == " " and full[end + 1].isupper())
                        and not (after == "," and full[end + 1] == " " and i + 1 < n)
                        and not (start >= 2 and full[start - 2] in new_place_ends)):
                    e = entries[idx]
                    surface = e.surface
                    if after == " " and e.kind == "demonym":
                        word_after = _WORD_AFTER.match(full, end)
                        if word_after is not None and _bare(word_after.group(1)) in self._people_words:
                            out.append((h, e, surface, None, PEOPLE_FACTOR, "nationality of people or culture"))
                            surfaces_seen.add(surface)
                            evidence[e.codes[0]].add(surface)
                            continue
                    out.append((h, e, surface, None, 1.0, ""))
                    surfaces_seen.add(surface)
                    evidence[e.codes[0]].add(surface)
                    continue
            e = entries[idx]
            kind = e.kind
            surface = e.surface or full[start:end]
            if flags[idx] & SPECIAL:
                if kind == "stop":
                    drop(h, "part of a name that is not a place")
                elif kind == "cue":
                    surfaces_seen.add(surface)
                elif kind == "state_abbr":
                    if i not in abbr_ok and not _TOWN_COMMA.search(full, max(0, start - 40), start):
                        drop(h, "an abbreviation that follows no town")
                    else:
                        keep(h, e, surface, forced.get(i) or e.codes[0], 1.0, "state after a town")
                else:  # a state's name
                    keep(h, e, surface, forced.get(i), 1.0, "")
                continue
            if after == "," and i + 1 < n and full[end + 1] == " ":
                nxt = hits[i + 1]
                gap = full[end:nxt.start]
                if gap == ", " or (gap[-1:] == " " and gap[2:-1] in self._compass):
                    ne = entries[nxt.entry]
                    amb = self._ambiguous.get(ne.surface) if ne.kind == "ambiguous" else None
                    if amb is not None and amb.state and gap == ", ":
                        shared = [c for c in e.codes if c in amb.readings]
                        if shared:  # "Tbilisi, Georgia"
                            forced[i + 1] = shared[0]
                        else:  # "Atlanta, Georgia", and a town the gazetteer does not know is one there too
                            forced[i + 1] = amb.state
                            senses[surface] = amb.state
                            keep(h, e, surface, amb.state, 1.0, "Town, Region")
                            continue
                    else:
                        region, is_state = self._region_codes(ne, ne.surface or full[nxt.start:nxt.end])
                        if region:
                            mine = (*e.codes, *alternates.get(surface, ((),))[0])
                            if is_state:
                                abbr_ok.add(i + 1)
                                if len(ne.codes) > 1:  # "Perth, WA"
                                    forced[i + 1] = next((c for c in ne.codes if c in mine), ne.codes[0])
                            order = (forced[i + 1],) if i + 1 in forced else region
                            shared = [c for c in order if c in mine] or [c for c in region if c in mine]
                            if shared:
                                senses[surface] = shared[0]
                                keep(h, e, surface, shared[0], 1.0, "Town, Region")
                                continue
                            if is_state:  # "Cairo, Illinois", "Turkey, Texas": a town there
                                senses[surface] = forced.get(i + 1) or region[0]
                                keep(h, e, surface, senses[surface], 1.0, "Town, Region")
                                continue
            # Capitals mean names, outside a Title Case headline.
            if surface in person_names:
                if self._glued_to_name(full, h, hits, i, True, True):
                    if headline is None and start < t_end:
                        headline = _headline_style(full[:t_end])
                    # "Chad le Clos": a particle between two capitals is a name, in a headline too
                    if start >= t_end or not headline or self._before_particle(full, end):
                        drop(h, "a person's name")
                        continue
            elif kind in GLUED_BEFORE and (
                    (before == " " and full[_word_start(full, start - 1)].isupper())
                    or (kind in GLUED_AFTER and full[end + 1].isupper())
            ) and self._glued_to_name(full, h, hits, i, True, kind in GLUED_AFTER):
                if headline is None and start < t_end:
                    headline = _headline_style(full[:t_end])
                if start >= t_end or not headline:
                    if german is None:
                        german = any(w in full for w in _GERMAN)
                    if not german:
                        drop(h, "a person's name or part of a longer name")
                        continue
            if kind != "local" and start >= 2 and full[start - 2] in new_place_ends:
                prefix = next((p for p in self._new_place if full.startswith(p, start - len(p))), None)
                if prefix is not None:
                    drop(h, f"part of a longer name ({prefix.strip()} ...)")
                    continue
            factor, note = 1.0, ""
            if after == " " and (kind == "demonym" or full[end + 1].isupper()):
                word_after = _WORD_AFTER.match(full, end)
                if word_after is not None:
                    word = word_after.group(1)
                    if word[:1].isupper():
                        if word in self._facilities or word.rstrip(".") in self._facilities:
                            drop(h, f"the name of a street or building ({word})")
                            continue
                        if kind != "local" and word in self._us_divisions:
                            keep(h, e, surface, "US", 1.0, f"a US {word.lower()}")
                            continue
                    elif kind == "demonym" and _bare(word) in self._people_words:
                        factor, note = PEOPLE_FACTOR, "nationality of people or culture"
            if before == "(" and surface.isupper() and _spelled_out(full, h):
                drop(h, "an acronym the story spells out as something else")
                continue
            # keep(), inline: most matches end here.
            code = forced.get(i) if forced else None
            out.append((h, e, surface, code, factor, note))
            surfaces_seen.add(surface)
            if code is None:
                if not flags[idx] & ONE_READING:
                    continue
                code = e.codes[0]
            evidence[code].add(surface)
            if kind in SUBNATIONAL_KINDS or code not in e.codes:
                subnational[code] += 1
        return out

    def townlike(self, full: str, h: Hit, country_name: bool) -> bool:
        """True when the word after a shared name is a town's: "Alexandria man", "Paris residents";
        after a country's name, also "Lebanon police", "Palestine council"."""
        after = _WORD_AFTER.match(full, h.end)
        if after is None:
            return False
        word = _bare(after.group(1)).lower()
        return word in self._town_people or (country_name and word in self._place_after)

    def placed(self, full: str, h: Hit) -> bool:
        """True when the words around a name say it is a place: "in Gainesville", "Gainesville man"."""
        if (full[h.start - 1 : h.start] == " "
                and full[_word_start(full, h.start - 1) : h.start - 1] in self._place_before):
            return True
        after = _WORD_AFTER.match(full, h.end)
        return after is not None and after.group(1).rstrip(".,;:").lower() in self._place_after

    def _before_particle(self, full: str, end: int) -> bool:
        m = _WORD_AFTER.match(full, end)
        if m is None or m.group(1) not in self._particles:
            return False
        nxt = _WORD_AFTER.match(full, m.end())
        return bool(nxt and nxt.group(1)[:1].isupper())

    def _glued_to_name(self, full: str, h: Hit, hits: list[Hit], i: int, before: bool, after: bool) -> bool:
        start = h.start
        if before and start > 1 and full[start - 1] == " ":
            # The word before: from the last space or line break before it (a regex searching backwards
            # would try every position of the window). Most words before a name are in lower case.
            space = full.rfind(" ", 0, start - 1)
            space = max(space, full.rfind("\n", space + 1, start - 1))
            m = None
            if space + 1 < start - 1 and (full[space + 1].isupper() or not full[space + 1].isalpha()):
                m = _TAIL_WORD.search(full, space + 1, start - 1)
            if m:
                word = m.group(0)
                if (word[:1].isupper() and word not in self._allow_before and not word.endswith("'s")
                        and not (i > 0 and hits[i - 1].end == h.start - 1)):
                    return True
        # Only a capital or a particle ("le", "van") after the name can glue it: most words are neither.
        if after and full[h.end] == " " and (
                full[h.end + 1].isupper() or full[h.end + 1 : h.end + 3] in self._particle_starts
                or full[h.end + 1] in self._particle_starts):
            m = _WORD_AFTER.match(full, h.end)
            if m:
                word = m.group(1).rstrip(".")
                if word in self._particles:
                    nxt = _WORD_AFTER.match(full, m.end())
                    return bool(nxt and nxt.group(1)[:1].isupper())
                if (word[:1].isupper() and word not in self._allow_after
                        and not (i + 1 < len(hits) and hits[i + 1].start == h.end + 1)):
                    return True
        return False

    def codes_of(self, e, forced, resolved, evidence, subnational, surfaces_seen, home):
        """(code, weight) pairs a main-layer match stands for."""
        if e.kind == "ambiguous":
            amb = self._ambiguous[e.surface]
            code = forced or resolved.get(e.surface)
            if code is None:
                code = self._resolve(amb, evidence, subnational, surfaces_seen, home)
                resolved[e.surface] = code
            if code == "-":
                return ()
            return ((code, 0.5 if code == amb.state else 1.0),)
        if forced:
            return ((forced, e.weight),)
        if len(e.codes) == 1:
            return ((e.codes[0], e.weight),)
        return tuple((c, e.weight * 0.75) for c in e.codes)

    @staticmethod
    def _resolve(amb: Ambiguity, evidence, subnational, surfaces_seen, home) -> str:
        best: list[str] = []
        best_score = -1
        for code, r in amb.readings.items():
            s = sum(1 for c in r.codes if c in evidence) + len(r.cues & surfaces_seen)
            if r.subnational:
                s += subnational.get(code, 0)
            if s > best_score:
                best, best_score = [code], s
            elif s == best_score:
                best.append(code)
        if len(best) == 1:
            return best[0]
        if home in best:
            return home
        return amb.default if amb.default in best else best[0]


def _spelled_out(full: str, h: Hit) -> bool:
    """True for an acronym in brackets after the words it stands for: "International Diabetes
    Federation (IDF)". A place's own long form is a name itself ("United Arab Emirates (UAE)")."""
    acronym = full[h.start : h.end].replace(".", "")
    initials = [w[0] for w in _WORDS.findall(full, max(0, h.start - 120), h.start) if w[0].isupper()]
    return "".join(initials[-len(acronym) :]) == acronym
