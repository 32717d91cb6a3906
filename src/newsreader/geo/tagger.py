"""Tag a story with the countries it is about, the countries it names in passing, and regions.

How a story is read:
1. The title, the summary and the text are joined and matched in one pass (see matcher.py), against
   the main layer (countries, aliases, demonyms, capitals and big cities, states, metonyms, names in
   other languages and scripts) and the local layer (towns of 15,000+ people, US counties, provinces).
2. Matches are filtered: stop phrases ("Lewis Hamilton", "French fries") swallow their words; a place
   name glued to a capitalised word is a person ("Sgt. Daniel Sakai", "Chad le Clos", "Denzel
   Washington") or part of a longer name ("New London", "Little Portugal", "Jordan Elementary",
   "Paris Avenue"); "X County/Parish/Township" is a US division; a state abbreviation counts only
   after "Town, " ("Lebanon, Pa.", "Paris, TX", "CHARLESTON, W.Va. —"); an acronym the story spells
   out before it is that ("International Diabetes Federation (IDF)" is not Israel's army); a
   nationality word describing people counts for a fraction ("Argentine striker").
3. "Town, Region" settles the town: "Paris, Texas", "London, Ont.", "Edmonton, north London" are
   read in the region's country, and so is every other mention of that town in the story (one sense
   per story).
4. A name that several places share takes one reading per story: the one with most evidence (other
   names with a single country, distinct), plus the feed's home country as one piece of evidence,
   plus for the main reading a prior for how much larger it is (Paris, France over Paris, Texas).
   Curated ambiguities (Georgia, Congo, Korea, Turkey ...) use their cues (data/curated.toml).
5. Each country scores zone weight x name weight: title 3, lead (summary, else the first paragraph)
   1.5, body 0.5 a mention, the body's sum growing only logarithmically past BODY_FULL. A country
   named in the title, or scoring at least CENTRAL_MIN and CENTRAL_SHARE of the best, is central
   (`countries`); the rest are `mentions`. Feed categories and pinned countries are always central;
   the feed's home country is the fallback when nothing else is found, never ahead of a named one.
6. The local layer only supports its own country: a town counts when its country is named, is the
   feed's home, or has another town or county in the story; and a country only towns support ranks
   after every country named as such.
7. The story's link adds its slug's places (/world/2024/nov/27/georgia-protests-...): an editor's
   summary, so each country named there gains SLUG_WEIGHT x name weight, once. Slugs are lower
   case, so only names that cannot be words count there (data/curated.toml, [slug]). On its own
   the slug gives mentions only: some links end in a section ("world-us-canada"), not a headline.

`Tagger.explain()` returns the same reading as data: per country the words that counted, where and
how much, and why it ranks where it does.
"""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .loader import Entry, digest, load
from .matcher import Hit, Matcher, fold, slug_words
from .regions import regions_of_country

ZONES = ("title", "lead", "body", "caption")
ZONE_WEIGHTS = (3.0, 1.5, 0.5, 0.15)  # title, lead, body, captions and links in an extracted article
BODY_FULL = 2.0  # a country's body gain counts in full up to this, then grows with its logarithm
BODY_LOG = 0.6
LEAD_CHARS = 600  # lead = first paragraph of the text, at most this long, when there is no summary
CATEGORY_SCORE = 4.0
PINNED_SCORE = 4.0
CENTRAL_MIN = 1.6  # one passing name in the lead (1.5) is not enough on its own
CENTRAL_SHARE = 0.4
TITLE_MIN_WEIGHT = 0.5  # a title match weaker than this (Brussels for the EU) is not enough alone
PROMOTE_MIN = 0.5  # when nothing is central, the best country is, if it scores this much
SLUG_WEIGHT = 0.5  # a place in the link's slug: as one body mention; it makes a lead mention central
LOCAL_WEIGHT = 0.5  # a town or county of the local layer, or a big place's name read as a town
HOME_EVIDENCE = 1.0  # the feed's home country, when reading a name several places share
SAME_NAME_EVIDENCE = 1.0  # another place of the story holds the name ("Lebanon County" for Lebanon)
PEOPLE_FACTOR = 0.3  # a nationality word describing people or their culture
LOCAL_CORROBORATION = 2  # distinct towns a country needs when nothing else supports it (or "in Town")

PLACE_KINDS = frozenset({"alias", "country", "demonym", "territory", "metonym", "translation",
                         "capital", "city", "state", "state_abbr", "ambiguous", "local"})
SUBNATIONAL_KINDS = frozenset({"city", "state", "state_abbr", "local"})
STATE_KINDS = frozenset({"state", "state_abbr"})
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
# Lines of an extracted article that are not its prose: images and links the page put around it.
_CAPTION_LINE = re.compile(r"^!\[", re.M)
_LINK_LINE = re.compile(r"^\s*(?:[-*+]|\d+\.)?\s*\[[^\]]*\]\([^)]*\)\s*$", re.M)


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
class Evidence:
    """One reason a country scores: a name read in the story, its link, or the feed's settings."""

    #: The words as the story writes them ("Paris", "Lamar County"); for pinned and home, the code.
    text: str
    #: Where: title, lead, body, caption, slug, category, pinned or home.
    zone: str
    #: What the name was read as: country, capital, town (local layer), "Town, Region", ...
    reading: str
    #: What it added to the country's score (before the body's damping of long repetition).
    gain: float


@dataclass(frozen=True, slots=True)
class Ignored:
    """A name the story holds that did not count, and why ("Michael Jordan": a person's name)."""

    text: str
    zone: str
    reason: str


@dataclass(frozen=True, slots=True)
class CountryExplanation:
    """Why one country is in a story's tags, and where."""

    code: str
    #: 1-based position in countries + mentions.
    rank: int
    #: True for `countries`, False for `mentions`.
    central: bool
    score: float
    #: Every name that counted for it, in story order.
    evidence: tuple[Evidence, ...]
    #: The rule that made it central or a mention, in a few words.
    why: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Tagger.explain(): the tags and, per country, why."""

    tags: Tags
    #: In rank order: `countries` first, then `mentions`.
    countries: tuple[CountryExplanation, ...]
    #: Names that were read and set aside.
    ignored: tuple[Ignored, ...]
    #: The score a country needed to be central (0 when the story named nothing).
    threshold: float


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


class _Trace:
    """What explain() collects; tag() passes None and collects nothing."""

    def __init__(self) -> None:
        self.evidence: dict[str, list[Evidence]] = defaultdict(list)
        self.ignored: list[Ignored] = []
        self.why: dict[str, str] = {}
        self.score: dict[str, float] = {}
        self.threshold = 0.0


def _headline_style(title: str) -> bool:
    """True for an ALL CAPS or Title Case title, where capitalisation says nothing about names."""
    letters = [c for c in title if c.isalpha()]
    if not letters:
        return False
    if title.upper() == title:
        return True
    long_words = [w for w in _WORDS.findall(title) if len(w) >= 4]
    return len(long_words) >= 3 and sum(w[0].isupper() for w in long_words) >= 0.8 * len(long_words)


def _damped(body: float) -> float:
    """A country's body gain: in full up to BODY_FULL, then logarithmic, so a country named 40 times
    still outweighs one named 25 times without drowning the title."""
    if body <= BODY_FULL:
        return body
    return BODY_FULL + BODY_LOG * math.log2(1.0 + body - BODY_FULL)


def _bare(word: str) -> str:
    """A word without trailing punctuation or possessive: "striker's," -> "striker"."""
    word = word.rstrip(".,;:!?")
    return word[:-2] if word.endswith("'s") else word


def _word_start(full: str, end: int) -> int:
    """Where the word ending at `end` starts: after the last space or line break before it."""
    space = full.rfind(" ", 0, end)
    newline = full.rfind("\n", space + 1, end)
    return (newline if newline > space else space) + 1


def _body_zone(start: int, quiet: list[tuple[int, int]]) -> int:
    """2 for the body, 3 for a caption or a line of links in it."""
    for a, b in quiet:
        if a <= start < b:
            return 3
    return 2


def _zone_of(start: int, t_end: int, lead_end: int, body_quiet: list[tuple[int, int]]) -> int:
    if start < t_end:
        return 0
    if start < lead_end:
        return 1
    for a, b in body_quiet:
        if a <= start < b:
            return 3
    return 2


class Tagger:
    """Country tagger. Build once (get_tagger()); tag() is thread-safe and keeps no state."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        shipped = data is None
        data = data or load()
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
        # The local layer: a town the main layer does not hold shares one entry with every town of
        # the same countries (the text gives its name); for a name the main layer holds, the other
        # countries it can stand for, with the main reading's prior.
        self._alternates: dict[str, tuple[tuple[str, ...], float]] = {}
        self._priors: dict[str, float] = {}
        local_entries: dict[str, int] = {}
        for line in data["local"].split("\n"):
            surface, codes, prior = line.split("\t")
            if surface in known:
                self._alternates[surface] = (tuple(codes.split(",")), float(prior))
                continue
            if codes not in local_entries:
                local_entries[codes] = len(entries)
                entries.append(Entry("", "local", tuple(codes.split(",")), LOCAL_WEIGHT))
            if "," in codes:
                self._priors[surface] = float(prior)

        def towns() -> list[tuple[str, int]]:  # only to build the automaton, not to read it from the cache
            out = []
            for line in data["local"].split("\n"):
                surface, codes, _prior = line.split("\t")
                if surface not in known:
                    out.append((surface, local_entries[codes]))
            return out

        person = data["person_names"]
        self._person_names = frozenset(person["names"])
        self._particles = frozenset(person["particles"])
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
        self._entries = entries
        # Entries _accept() reads on its fast path: one country, no other reading, no person's name.
        self._plain = frozenset(
            i for i, e in enumerate(entries)
            if e.kind in PLAIN_KINDS and len(e.codes) == 1 and e.surface not in self._alternates
            and e.surface not in self._person_names and e.surface not in self._ambiguous
        )
        self._matcher = Matcher(entries, as_written=towns, cache_key=digest() if shipped else None)
        by_surface = {e.surface: e for e in entries if e.kind != "local"}
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
        """Tag one story. Input is plain text (an extracted article's Markdown too); any part may be
        empty. `link` is the story's URL; `home` the feed's home country, given or inferred
        (infer_home)."""
        return self._run(title, summary, text, link, categories, pinned, home, None)

    def explain(
        self,
        title: str,
        summary: str = "",
        text: str = "",
        *,
        link: str | None = None,
        categories: Sequence[str] = (),
        pinned: Sequence[str] = (),
        home: str | None = None,
    ) -> Explanation:
        """The same reading as tag(), as data: which words made each country, where, how much, and
        why it ranks where it does ("why is this here?"). Slower than tag(); for one story at a time."""
        trace = _Trace()
        tags = self._run(title, summary, text, link, categories, pinned, home, trace)
        out = tuple(
            CountryExplanation(code, rank, code in tags.countries, trace.score.get(code, 0.0),
                               tuple(trace.evidence.get(code, ())), trace.why.get(code, ""))
            for rank, code in enumerate(tags.countries + tags.mentions, 1)
        )
        return Explanation(tags, out, tuple(trace.ignored), round(trace.threshold, 3))

    def candidates(self, title: str, summary: str = "", text: str = "", *, link: str | None = None) -> frozenset[str]:
        """Every country some name in the story or its link could stand for, before any filtering or
        weighing: the most tag() could find (benchmarks/geo_quality.py measures recall against it)."""
        full = fold(f"{title or ''}\n{summary or ''}\n{text or ''}")
        codes = set(self._slug_codes(link))
        for h in self._matcher.find(full):
            e = self._entries[h.entry]
            if e.kind in PLACE_KINDS:
                codes.update(e.codes)
                codes.update(self._alternates.get(e.surface, ((), 0))[0])
        return frozenset(codes)

    # -- the reading ------------------------------------------------------------------------------

    def _run(self, title, summary, text, link, categories, pinned, home, trace: _Trace | None) -> Tags:
        title, summary, text = fold(title or ""), fold(summary or ""), fold(text or "")
        full = f"{title}\n{summary}\n{text}"
        t_end = len(title)
        b_start = t_end + 2 + len(summary)
        if summary.strip():
            lead_end = t_end + 1 + len(summary)
        else:
            para = text.find("\n\n")
            lead_end = b_start + (para if 0 <= para < LEAD_CHARS else min(len(text), LEAD_CHARS))
        # Images' captions and lines of bare links (related stories) in an extracted article.
        quiet: list[tuple[int, int]] = []
        if "](" in text:
            for pattern in (_CAPTION_LINE, _LINK_LINE):
                for m in pattern.finditer(text):
                    line_end = text.find("\n", m.start())
                    quiet.append((b_start + m.start(), b_start + (line_end if line_end >= 0 else len(text))))
        spread = (t_end, lead_end, quiet)

        senses: dict[str, str] = {}  # one reading per story: name -> code
        evidence: dict[str, set[str]] = defaultdict(set)  # code -> distinct names standing for it alone
        subnational: dict[str, int] = defaultdict(int)
        surfaces_seen: set[str] = set()
        accepted = self._accept(full, self._matcher.find(full), t_end, senses, evidence, subnational,
                                surfaces_seen, trace, spread)

        # Read every shared name once, and weigh. Towns wait until it is known whether anything else
        # supports their country.
        alternates = self._alternates
        score: dict[str, float] = defaultdict(float)
        body: dict[str, float] = defaultdict(float)
        central: set[str] = set()
        named: set[str] = set()
        resolved: dict[str, str] = {}
        towns: list[tuple[Hit, Entry, str, str, float, str]] = []
        town_names: dict[str, set[str]] = defaultdict(set)
        body_weight = ZONE_WEIGHTS[2]
        for h, e, surface, forced, factor, note in accepted:
            kind = e.kind
            codes = e.codes
            if (forced is None and len(codes) == 1 and kind != "local" and kind != "ambiguous"
                    and surface not in alternates and (not senses or surface not in senses)):
                # The common case, inline: a name that stands for one country.
                code = codes[0]
                named.add(code)
                weight = e.weight * factor
                start = h.start
                if start < t_end:
                    zone, gain = 0, ZONE_WEIGHTS[0] * weight
                    score[code] += gain
                    if weight >= TITLE_MIN_WEIGHT:
                        central.add(code)
                elif start < lead_end:
                    zone, gain = 1, ZONE_WEIGHTS[1] * weight
                    score[code] += gain
                else:
                    zone = _body_zone(start, quiet) if quiet else 2
                    gain = (body_weight if zone == 2 else ZONE_WEIGHTS[3]) * weight
                    body[code] += gain
                if trace is not None:
                    trace.evidence[code].append(Evidence(full[start:h.end], ZONES[zone], note or kind, round(gain, 3)))
                continue
            if forced is None and senses:
                forced = senses.get(surface)  # one reading per story: "Turkey, Texas" settles "Turkey"
            if forced:
                if kind == "local" or forced not in codes:
                    towns.append((h, e, surface, forced, factor, note))
                    town_names[forced].add(surface)
                    continue
                pairs = (self._codes_of(e, forced, resolved, evidence, subnational, surfaces_seen, home)
                         if kind == "ambiguous" else ((forced, e.weight),))
            elif kind == "ambiguous":
                pairs = self._codes_of(e, None, resolved, evidence, subnational, surfaces_seen, home)
            elif kind == "local" or surface in alternates:
                code = senses.get(surface)
                if code is None:
                    townlike = self._townlike(full, h, kind in COUNTRY_NAME_KINDS)
                    code = senses[surface] = self._pick(e, surface, evidence, home, townlike)
                if kind == "local" or code not in e.codes:
                    towns.append((h, e, surface, code, factor, note))
                    town_names[code].add(surface)
                    continue
                pairs = ((code, e.weight),)
            elif len(e.codes) == 1:
                pairs = ((e.codes[0], e.weight),)
            else:
                pairs = tuple((c, e.weight * 0.75) for c in e.codes)
            start = h.start
            zone = 0 if start < t_end else 1 if start < lead_end else _body_zone(start, quiet) if quiet else 2
            zw = ZONE_WEIGHTS[zone]
            for code, weight in pairs:
                named.add(code)
                gain = zw * weight * factor
                if zone >= 2:
                    body[code] += gain
                else:
                    score[code] += gain
                    if zone == 0 and weight * factor >= TITLE_MIN_WEIGHT:
                        central.add(code)
                if trace is not None:
                    trace.evidence[code].append(Evidence(full[h.start:h.end], ZONES[zone], note or kind,
                                                         round(gain, 3)))
        if towns:
            # A town supports its own country only when something else does too.
            supported = named | {c for c, names in town_names.items() if len(names) >= LOCAL_CORROBORATION}
            if home:
                supported.add(home)
            for h, _e, _s, code, _f, _n in towns:
                if code not in supported and self._placed(full, h):
                    supported.add(code)
            for h, e, _surface, code, factor, note in towns:
                start = h.start
                zone = 0 if start < t_end else 1 if start < lead_end else _body_zone(start, quiet)
                if code not in supported:
                    if trace is not None:
                        trace.ignored.append(Ignored(full[start:h.end], ZONES[zone],
                                                     f"a town of {code}, which nothing else in the story supports"))
                    continue
                gain = ZONE_WEIGHTS[zone] * LOCAL_WEIGHT * factor
                if zone >= 2:
                    body[code] += gain
                else:
                    score[code] += gain
                    if zone == 0:
                        central.add(code)
                if trace is not None:
                    reading = note or ("town (local layer)" if e.kind == "local" else f"{e.kind} name read as a town")
                    trace.evidence[code].append(Evidence(full[start:h.end], ZONES[zone], reading, round(gain, 3)))
        for code, gain in body.items():
            score[code] += _damped(gain)
        text_scored = set(score)
        for code, weight in self._slug_codes(link).items():
            score[code] += SLUG_WEIGHT * weight
            if trace is not None:
                trace.evidence[code].append(Evidence(link or "", "slug", "name in the link", SLUG_WEIGHT * weight))

        # Towns alone never outrank a country the story names as such (or the feed's home).
        first_tier = named | {home} if home else named
        threshold = 0.0
        title_central = set(central)
        promoted: set[str] = set()
        if score:
            top = max((s for c, s in score.items() if c in first_tier), default=0.0) or max(score.values())
            threshold = max(CENTRAL_MIN, CENTRAL_SHARE * top)
            central.update(c for c, s in score.items() if s >= threshold)
            if not central and top >= PROMOTE_MIN:
                # Not on the link's word alone: a section in it ("world-us-canada") names places the
                # story need not be about.
                promoted = {c for c, s in score.items() if s >= 0.8 * top and c in text_scored}
                central |= promoted
        # Categories and pinned codes are added after the threshold, so a publisher's tags never push
        # a country the text is plainly about down to a mention.
        from_feed: dict[str, str] = {}
        for category in categories:
            cat = fold(category or "")
            for h in self._matcher.find(cat):
                e = self._entries[h.entry]
                if e.kind not in PLACE_KINDS or e.kind in ("state_abbr", "local"):
                    continue
                for code, _w in self._codes_of(e, None, resolved, evidence, subnational, surfaces_seen, home):
                    score[code] += CATEGORY_SCORE
                    central.add(code)
                    named.add(code)
                    from_feed.setdefault(code, "the feed's category")
                    if trace is not None:
                        trace.evidence[code].append(Evidence(category, "category", e.kind, CATEGORY_SCORE))
        for code in pinned:
            score[code] += PINNED_SCORE
            central.add(code)
            named.add(code)
            from_feed.setdefault(code, "pinned to the feed")
            if trace is not None:
                trace.evidence[code].append(Evidence(code, "pinned", "pinned country", PINNED_SCORE))

        fallback = not central and bool(home)
        if fallback:
            central.add(home)
            score[home] += 0.0
            if trace is not None:
                trace.evidence[home].append(Evidence(home, "home", "the feed's home country", 0.0))
        first_tier = named | {home} if home else named
        ranked = sorted(score, key=lambda c: (c not in first_tier, -score[c], c))
        countries = tuple(c for c in ranked if c in central)
        mentions = tuple(c for c in ranked if c not in central and score[c] > 0)
        if trace is not None:
            self._explain_ranks(trace, countries, mentions, score, threshold, from_feed, fallback and home,
                                title_central, promoted, first_tier)
        return Tags(countries, mentions, self._derive_regions(countries))

    @staticmethod
    def _explain_ranks(trace, countries, mentions, score, threshold, from_feed, fallback, title_central,
                       promoted, first_tier) -> None:
        trace.threshold = threshold
        for code in countries + mentions:
            trace.score[code] = round(score[code], 3)
            if code in from_feed:
                why = from_feed[code]
            elif code == fallback:
                why = "the feed's home country: the story names no other"
            elif code in title_central:
                why = "named in the title"
            elif code in promoted:
                why = "the strongest country of a story that names none strongly"
            elif code in countries:
                why = f"score {score[code]:.2f} reaches the threshold {threshold:.2f}"
            else:
                why = f"score {score[code]:.2f} is below the threshold {threshold:.2f}"
            if code not in first_tier:
                why += "; only towns support it, so it ranks after named countries"
            trace.why[code] = why

    def _pick(self, e: Entry, surface: str, evidence: dict[str, set[str]], home: str | None,
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

    # -- steps ------------------------------------------------------------------------------------

    def _region_codes(self, e: Entry, surface: str) -> tuple[tuple[str, ...], bool]:
        """(codes, is a state) of a name that can follow "Town, "."""
        if e.kind in STATE_KINDS or surface in self._states:
            return e.codes, True
        if e.kind in REGION_KINDS:
            return e.codes + self._alternates.get(surface, ((), 0))[0], False
        return (), False

    def _accept(self, full: str, hits: list[Hit], t_end: int, senses: dict[str, str],
                evidence, subnational, surfaces_seen, trace: _Trace | None, spread) -> list[tuple]:
        """Drop what is not a place, settle "Town, Region", weigh nationality words describing people;
        gather the evidence that reads shared names (distinct names standing for one country).

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
                zone = ZONES[min(_zone_of(h.start, *spread), 2)]
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

        plain, new_place_ends = self._plain, self._new_place_ends
        for i, h in enumerate(hits):
            if h.entry in plain:
                # The common case, inline: a name of one country that nothing around it changes
                # unless a comma, a capital, a bracket or "New"/"Little" says otherwise.
                start, end = h.start, h.end
                after2 = full[end : end + 2]
                if ((after2 != ", " or i + 1 == n) and full[start - 1 : start] != "("
                        and not (after2[:1] == " " and after2[1:].isupper())
                        and not (start >= 2 and full[start - 2 : start - 1] in new_place_ends)):
                    e = entries[h.entry]
                    surface = e.surface
                    if after2[:1] == " " and e.kind == "demonym":
                        after = _WORD_AFTER.match(full, end)
                        if after is not None and _bare(after.group(1)) in self._people_words:
                            out.append((h, e, surface, None, PEOPLE_FACTOR, "nationality of people or culture"))
                            surfaces_seen.add(surface)
                            evidence[e.codes[0]].add(surface)
                            continue
                    out.append((h, e, surface, None, 1.0, ""))
                    surfaces_seen.add(surface)
                    evidence[e.codes[0]].add(surface)
                    continue
            e = entries[h.entry]
            kind = e.kind
            surface = e.surface or full[h.start:h.end]
            if kind == "stop":
                drop(h, "part of a name that is not a place")
                continue
            if kind == "cue":
                surfaces_seen.add(surface)
                continue
            if kind == "state_abbr":
                if i not in abbr_ok and not _TOWN_COMMA.search(full, max(0, h.start - 40), h.start):
                    drop(h, "an abbreviation that follows no town")
                    continue
                keep(h, e, surface, forced.get(i) or e.codes[0], 1.0, "state after a town")
                continue
            if i + 1 < n and kind not in STATE_KINDS and full[h.end:h.end + 2] == ", ":
                nxt = hits[i + 1]
                gap = full[h.end:nxt.start]
                if gap == ", " or (gap[-1:] == " " and gap[2:-1] in self._compass):
                    ne = entries[nxt.entry]
                    amb = self._ambiguous.get(ne.surface) if ne.kind == "ambiguous" else None
                    if amb is not None and amb.state and gap == ", ":
                        shared = [c for c in e.codes if c in amb.readings]
                        if shared:  # "Tbilisi, Georgia"
                            forced[i + 1] = shared[0]
                        else:  # "Atlanta, Georgia"
                            forced[i + 1] = amb.state
                            if kind == "local" or amb.state in alternates.get(surface, ((),))[0]:
                                senses[surface] = amb.state
                                keep(h, e, surface, amb.state, 1.0, "Town, Region")
                            else:  # a town the gazetteer does not know: one there all the same
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
                                code = forced.get(i + 1) or region[0]
                                senses[surface] = code
                                keep(h, e, surface, code, 1.0, "Town, Region")
                                continue
            if kind in STATE_KINDS:
                keep(h, e, surface, forced.get(i), 1.0, "")
                continue
            start = h.start
            # Capitals mean names, outside a Title Case headline.
            if surface in self._person_names:
                if self._glued_to_name(full, h, hits, i, True, True):
                    if headline is None and start < t_end:
                        headline = _headline_style(full[:t_end])
                    # "Chad le Clos": a particle between two capitals is a name, in a headline too
                    if start >= t_end or not headline or self._before_particle(full, h.end):
                        drop(h, "a person's name")
                        continue
            elif kind in GLUED_BEFORE and (
                    (full[start - 1 : start] == " " and full[_word_start(full, start - 1)].isupper())
                    or (kind in GLUED_AFTER and full[h.end + 1 : h.end + 2].isupper())
            ) and self._glued_to_name(full, h, hits, i, True, kind in GLUED_AFTER):
                if headline is None and start < t_end:
                    headline = _headline_style(full[:t_end])
                if german is None:
                    german = any(w in full for w in _GERMAN)
                if (start >= t_end or not headline) and not german:
                    drop(h, "a person's name or part of a longer name")
                    continue
            if kind != "local" and start >= 2 and full[start - 2 : start - 1] in self._new_place_ends:
                prefix = next((p for p in self._new_place if full.startswith(p, start - len(p))), None)
                if prefix is not None:
                    drop(h, f"part of a longer name ({prefix.strip()} ...)")
                    continue
            factor, note = 1.0, ""
            end = h.end
            if full[end:end + 1] == " " and (kind == "demonym" or full[end + 1:end + 2].isupper()):
                after = _WORD_AFTER.match(full, end)
                if after is not None:
                    word = after.group(1)
                    if word[:1].isupper():
                        if word in self._facilities or word.rstrip(".") in self._facilities:
                            drop(h, f"the name of a street or building ({word})")
                            continue
                        if kind != "local" and word in self._us_divisions:
                            keep(h, e, surface, "US", 1.0, f"a US {word.lower()}")
                            continue
                    elif kind == "demonym" and _bare(word) in self._people_words:
                        factor, note = PEOPLE_FACTOR, "nationality of people or culture"
            if full[start - 1 : start] == "(" and surface.isupper() and _spelled_out(full, h):
                drop(h, "an acronym the story spells out as something else")
                continue
            # keep(), inline: most matches end here.
            code = forced.get(i)
            out.append((h, e, surface, code, factor, note))
            surfaces_seen.add(surface)
            if code is None:
                if len(e.codes) != 1 or surface in alternates or kind == "ambiguous":
                    continue
                code = e.codes[0]
            evidence[code].add(surface)
            if kind in SUBNATIONAL_KINDS or code not in e.codes:
                subnational[code] += 1
        return out

    def _townlike(self, full: str, h: Hit, country_name: bool) -> bool:
        """True when the word after a shared name is a town's: "Alexandria man", "Paris residents";
        after a country's name, also "Lebanon police", "Palestine council"."""
        after = _WORD_AFTER.match(full, h.end)
        if after is None:
            return False
        word = _bare(after.group(1)).lower()
        return word in self._town_people or (country_name and word in self._place_after)

    def _placed(self, full: str, h: Hit) -> bool:
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
        if before and full[start - 1 : start] == " " and start > 1:
            # The word before: from the last space before it (a regex searching backwards would try
            # every position of the window). Most words before a name are in lower case.
            space = _word_start(full, start - 1) - 1
            m = None
            if full[space + 1 : start - 1][:1].isupper() or not full[space + 1 : space + 2].isalpha():
                m = _TAIL_WORD.search(full, space + 1, start - 1)
            if m:
                word = m.group(0)
                if (word[:1].isupper() and word not in self._allow_before and not word.endswith("'s")
                        and not (i > 0 and hits[i - 1].end == h.start - 1)):
                    return True
        if after and full[h.end : h.end + 1] == " ":
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

    def _codes_of(self, e, forced, resolved, evidence, subnational, surfaces_seen, home):
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
    def _resolve(amb: _Ambiguity, evidence, subnational, surfaces_seen, home) -> str:
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
