"""Tag a story with the countries it is about, the countries it names in passing, and regions.

How a story is read:
1. The title, the summary and the text are joined and matched in one pass (see matcher.py).
2. Matches are filtered: stop phrases ("Lewis Hamilton", "French fries") swallow their words;
   "City, State" keeps only the state ("Paris, Texas" -> US); a name that is also a given name or
   surname is dropped when glued to another capitalised word ("Denzel Washington"); AP state
   abbreviations count only after "City, "; an acronym the story spells out before it is that
   ("International Diabetes Federation (IDF)" is not Israel's army).
3. Ambiguous names (Georgia, Congo, Korea, Turkey ...) take the reading with most evidence in the
   story (data/curated.toml, [ambiguous]).
4. Each country scores zone weight x name weight: title 3, lead (summary, else the first paragraph)
   1.5, body 0.5 per mention with the body capped. A country named in the title, or scoring at
   least CENTRAL_MIN and CENTRAL_SHARE of the best, is central (`countries`); the rest are
   `mentions`. Feed categories and pinned countries are always central; the feed's home country
   is the fallback when nothing else is found.
5. The story's link adds its slug's places (/world/2024/nov/27/georgia-protests-...): an editor's
   summary, so each country named there gains SLUG_WEIGHT x name weight, once. Slugs are lower
   case, so only names that cannot be words count there (data/curated.toml, [slug]). On its own
   the slug gives mentions only: some links end in a section ("world-us-canada"), not a headline.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .loader import Entry, load
from .matcher import Hit, Matcher, fold, slug_words
from .regions import regions_of_country

ZONE_WEIGHTS = (3.0, 1.5, 0.5)  # title, lead, body
BODY_CAP = 2.0  # most a country can gain from body repetition
LEAD_CHARS = 600  # lead = first paragraph of the text, at most this long, when there is no summary
CATEGORY_SCORE = 4.0
PINNED_SCORE = 4.0
CENTRAL_MIN = 1.6  # one passing name in the lead (1.5) is not enough on its own
CENTRAL_SHARE = 0.4
TITLE_MIN_WEIGHT = 0.5  # a title match weaker than this (Brussels for the EU) is not enough alone
PROMOTE_MIN = 0.5  # when nothing is central, the best country is, if it scores this much
SLUG_WEIGHT = 0.5  # a place in the link's slug: as one body mention; it makes a lead mention central

PLACE_KINDS = frozenset({"alias", "country", "demonym", "territory", "metonym", "translation",
                         "capital", "city", "state", "state_abbr", "ambiguous"})
SUBNATIONAL_KINDS = frozenset({"city", "state", "state_abbr"})
STATE_KINDS = frozenset({"state", "state_abbr"})

_WORD_BEFORE = re.compile(r"([\w'.\-]+) $")
_WORD_AFTER = re.compile(r" ([\w'.\-]+)")
_WORDS = re.compile(r"[^\W\d_][\w'\-]*")


@dataclass(frozen=True, slots=True)
class Tags:
    """What a story is about, geographically."""

    #: ISO 3166-1 alpha-2 codes of the countries the story is about, most central first.
    countries: tuple[str, ...]
    #: Countries named only in passing, strongest first.
    mentions: tuple[str, ...]
    #: Regions of `countries` (not of mentions): news regions, then UN M49 from the most specific.
    regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Reading:
    codes: frozenset[str]
    subnational: bool
    cues: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Ambiguity:
    default: str
    state: str | None
    readings: dict[str, _Reading]


def _headline_style(title: str) -> bool:
    """True for an ALL CAPS or Title Case title, where capitalisation says nothing about names."""
    letters = [c for c in title if c.isalpha()]
    if not letters:
        return False
    if title.upper() == title:
        return True
    long_words = [w for w in _WORDS.findall(title) if len(w) >= 4]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= 0.8 * len(long_words)


class Tagger:
    """Country tagger. Build once (get_tagger()); tag() is thread-safe and keeps no state."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or load()
        entries = [Entry(s, k, tuple(c), w) for s, (k, c, w) in data["names"].items()]
        known = {e.surface for e in entries}
        self._ambiguous: dict[str, _Ambiguity] = {}
        for surface, rule in data["ambiguous"].items():
            readings = {}
            for code, r in rule["readings"].items():
                cues = frozenset(r.get("cues", ()))
                for cue in sorted(cues - known):
                    entries.append(Entry(cue, "cue", (), 0.0))
                    known.add(cue)
                readings[code] = _Reading(frozenset(r.get("codes", ())), bool(r.get("subnational")), cues)
            self._ambiguous[surface] = _Ambiguity(rule["default"], rule.get("state"), readings)
        person = data["person_names"]
        self._person_names = frozenset(person["names"])
        self._allow_before = frozenset(person["allow_before"])
        self._allow_after = frozenset(person["allow_after"])
        self._states = frozenset(data["states"])
        self._entries = entries
        self._matcher = Matcher(entries)
        by_surface = {e.surface: e for e in entries}
        self._slug_names = {key: by_surface[surface] for key, surface in data["slug_names"].items()}
        for key, entry in list(self._slug_names.items()):
            if " " not in key and entry.kind != "stop":
                self._slug_names.setdefault(key + "s", entry)  # slugs drop the apostrophe: "canadas-military"
        self._slug_first: dict[str, int] = {}  # first word of a slug name -> most words of one
        for key in self._slug_names:
            first, size = key.split(" ", 1)[0], key.count(" ") + 1
            self._slug_first[first] = max(size, self._slug_first.get(first, 0))
        self._regions_of = regions_of_country()

    # -- public -----------------------------------------------------------------------------------

    def tag(
        self,
        title: str,
        summary: str = "",
        text: str = "",
        *,
        link: str | None = None,
        categories: Sequence[str] = (),
        pinned: Sequence[str] = (),
        home: str | None = None,
    ) -> Tags:
        """Tag one story. Input is plain text; any part may be empty. `link` is the story's URL."""
        title, summary, text = fold(title or ""), fold(summary or ""), fold(text or "")
        full = f"{title}\n{summary}\n{text}"
        t_end = len(title)
        if summary.strip():
            lead_end = t_end + 1 + len(summary)
        else:
            b_start = t_end + 2 + len(summary)
            para = text.find("\n\n")
            lead_end = b_start + (para if 0 <= para < LEAD_CHARS else min(len(text), LEAD_CHARS))
        headline = _headline_style(title)

        accepted = self._accept(full, self._matcher.find(full), t_end, headline)
        zones = [0 if h.start < t_end else 1 if h.start < lead_end else 2 for h, _e, _f in accepted]

        codes_seen: set[str] = set()
        subnational: dict[str, int] = defaultdict(int)
        surfaces_seen = set()
        for _h, e, _f in accepted:
            surfaces_seen.add(e.surface)
            if e.kind in PLACE_KINDS and e.kind != "ambiguous":
                codes_seen.update(e.codes)
                if e.kind in SUBNATIONAL_KINDS:
                    for c in e.codes:
                        subnational[c] += 1
        resolved: dict[str, str] = {}

        score: dict[str, float] = defaultdict(float)
        body: dict[str, float] = defaultdict(float)
        central: set[str] = set()
        for (_h, e, forced), zone in zip(accepted, zones):
            if e.kind == "cue":
                continue
            for code, weight in self._codes_of(e, forced, resolved, codes_seen, subnational, surfaces_seen, home):
                gain = ZONE_WEIGHTS[zone] * weight
                if zone == 2:
                    gain = min(gain, BODY_CAP - body[code])
                    body[code] += gain
                score[code] += gain
                if zone == 0 and weight >= TITLE_MIN_WEIGHT:
                    central.add(code)
        text_scored = set(score)
        for code, weight in self._slug_codes(link).items():
            score[code] += SLUG_WEIGHT * weight

        if score:
            top = max(score.values())
            threshold = max(CENTRAL_MIN, CENTRAL_SHARE * top)
            central.update(c for c, s in score.items() if s >= threshold)
            if not central and top >= PROMOTE_MIN:
                # Not on the link's word alone: a section in it ("world-us-canada") names places the
                # story need not be about.
                central.update(c for c, s in score.items() if s >= 0.8 * top and c in text_scored)
        # Categories and pinned codes are added after the threshold, so a publisher's tags never push
        # a country the text is plainly about down to a mention.
        for category in categories:
            cat = fold(category or "")
            for h in self._matcher.find(cat):
                e = self._entries[h.entry]
                if e.kind not in PLACE_KINDS or e.kind == "state_abbr":
                    continue
                for code, _w in self._codes_of(e, None, resolved, codes_seen, subnational, surfaces_seen, home):
                    score[code] += CATEGORY_SCORE
                    central.add(code)
        for code in pinned:
            score[code] += PINNED_SCORE
            central.add(code)

        if not central and home:
            central.add(home)
            score[home] += 0.0
        ranked = sorted(score, key=lambda c: (-score[c], c))
        countries = tuple(c for c in ranked if c in central)
        mentions = tuple(c for c in ranked if c not in central and score[c] > 0)
        return Tags(countries, mentions, self._derive_regions(countries))

    def candidates(self, title: str, summary: str = "", text: str = "", *, link: str | None = None) -> frozenset[str]:
        """Every country some name in the story or its link could stand for, before any filtering or
        weighing: the most tag() could find (benchmarks/geo_quality.py measures recall against it)."""
        full = fold(f"{title or ''}\n{summary or ''}\n{text or ''}")
        codes = set(self._slug_codes(link))
        for h in self._matcher.find(full):
            e = self._entries[h.entry]
            if e.kind in PLACE_KINDS:
                codes.update(e.codes)
        return frozenset(codes)

    # -- steps ------------------------------------------------------------------------------------

    def _accept(self, full: str, hits: list[Hit], t_end: int, headline: bool) -> list[tuple[Hit, Entry, str | None]]:
        """Drop stop phrases, the city of "City, State", glued person names; force state readings."""
        entries = self._entries
        out = []
        forced: dict[int, str] = {}
        abbr_ok: set[int] = set()
        skip_city = False
        n = len(hits)
        for i, h in enumerate(hits):
            e = entries[h.entry]
            if e.kind == "stop":
                continue
            if e.kind == "state_abbr" and i not in abbr_ok:
                continue
            if i + 1 < n and e.kind != "cue" and e.kind not in STATE_KINDS:
                nxt = hits[i + 1]
                ne = entries[nxt.entry]
                if full[h.end:nxt.start] == ", ":
                    amb = self._ambiguous.get(ne.surface) if ne.kind == "ambiguous" else None
                    if amb is not None and amb.state:
                        shared = [c for c in e.codes if c in amb.readings]
                        if shared:  # "Tbilisi, Georgia"
                            forced[i + 1] = shared[0]
                        else:  # "Atlanta, Georgia"
                            forced[i + 1] = amb.state
                            skip_city = True
                    elif ne.kind in STATE_KINDS or ne.surface in self._states:
                        abbr_ok.add(i + 1)
                        skip_city = True
            if skip_city:
                skip_city = False
                continue
            if e.surface in self._person_names and not (headline and h.start < t_end):
                if self._glued_to_name(full, h, hits, i):
                    continue
            if e.surface.isupper() and full[h.start - 1 : h.start] == "(" and _spelled_out(full, h):
                continue
            out.append((h, e, forced.get(i)))
        return out

    def _glued_to_name(self, full: str, h: Hit, hits: list[Hit], i: int) -> bool:
        before = _WORD_BEFORE.search(full, max(0, h.start - 40), h.start)
        if before:
            word = before.group(1)
            if (word[:1].isupper() and word not in self._allow_before and not word.endswith("'s")
                    and not (i > 0 and hits[i - 1].end == h.start - 1)):
                return True
        after = _WORD_AFTER.match(full, h.end)
        if after:
            word = after.group(1).rstrip(".")
            if (word[:1].isupper() and word not in self._allow_after
                    and not (i + 1 < len(hits) and hits[i + 1].start == h.end + 1)):
                return True
        return False

    def _codes_of(self, e, forced, resolved, codes_seen, subnational, surfaces_seen, home):
        """(code, weight) pairs a match stands for."""
        if e.kind == "ambiguous":
            amb = self._ambiguous[e.surface]
            code = forced or resolved.get(e.surface)
            if code is None:
                code = self._resolve(amb, codes_seen, subnational, surfaces_seen, home)
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
    def _resolve(amb: _Ambiguity, codes_seen, subnational, surfaces_seen, home) -> str:
        best: list[str] = []
        best_score = -1
        for code, r in amb.readings.items():
            s = len(r.codes & codes_seen) + len(r.cues & surfaces_seen)
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

    def _slug_codes(self, link: str | None) -> dict[str, float]:
        """code -> name weight of the places the link's slug names, leftmost-longest like the text."""
        words = _slug(link) if link else []
        found: dict[str, float] = {}
        first, names = self._slug_first, self._slug_names
        free, n = 0, len(words)
        for i in [i for i, word in enumerate(words) if word in first]:  # few: most words start no name
            if i < free:
                continue
            for size in range(min(first[words[i]], n - i), 0, -1):
                entry = names.get(" ".join(words[i : i + size]))
                if entry is not None:
                    break
            else:
                continue
            free = i + size
            if entry.kind == "stop":
                continue
            weight = entry.weight if len(entry.codes) == 1 else entry.weight * 0.75
            for code in entry.codes:
                found[code] = max(found.get(code, 0.0), weight)
        return found

    def _derive_regions(self, countries: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for code in countries:
            for name in self._regions_of.get(code, ()):
                seen.setdefault(name)
        return tuple(seen)


def _spelled_out(full: str, h: Hit) -> bool:
    """True for an acronym in brackets after the words it stands for: "International Diabetes
    Federation (IDF)". A place's own long form is a name itself ("United Arab Emirates (UAE)")."""
    acronym = full[h.start : h.end].replace(".", "")
    initials = [w[0] for w in _WORDS.findall(full, max(0, h.start - 120), h.start) if w[0].isupper()]
    return "".join(initials[-len(acronym) :]) == acronym


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


_instance: Tagger | None = None
_instance_lock = threading.Lock()


def get_tagger() -> Tagger:
    """The process-wide tagger, built on first use."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                _instance = Tagger()
    return _instance
