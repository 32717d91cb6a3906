"""Tag a story with the countries it is about, the countries it names in passing, and regions.

How a story is read:
1. The title, the summary and the text are joined and matched in one pass (see matcher.py), against
   the main layer (countries, aliases, demonyms, capitals and big cities, states, metonyms, names in
   other languages and scripts) and the local layer (towns of 15,000+ people, US counties, provinces).
2. Matches are read in their words (rules.py): stop phrases, people's names, parts of longer names,
   "X County", state abbreviations after "Town, ", acronyms spelled out, nationality words describing
   people. "Town, Region" settles the town ("Paris, Texas", "London, Ont.") and every other mention
   of it in the story (one sense per story).
3. A name that several places share takes one reading per story (rules.py, pick() and resolve()): the
   one with most evidence (other names with a single country, distinct), plus the feed's home country
   as one piece of evidence, plus for the main reading a prior for how much larger it is (Paris,
   France over Paris, Texas). Curated ambiguities (Georgia, Congo, Korea, Turkey ...) use their cues
   (data/curated.toml).
4. Each country scores zone weight x name weight: title 3, lead (summary, else the first paragraph)
   1.5, body 0.5 a mention, the body's sum growing only logarithmically past BODY_FULL. A country
   named in the title, or scoring at least CENTRAL_MIN and CENTRAL_SHARE of the best, is central
   (`countries`); the rest are `mentions`. Feed categories and pinned countries are always central;
   the feed's home country is the fallback when nothing else is found, never ahead of a named one.
5. The local layer only supports its own country: a town counts when its country is named, is the
   feed's home, or has another town or county in the story; and a country only towns support ranks
   after every country named as such.
6. The story's link adds its slug's places (/world/2024/nov/27/georgia-protests-...): an editor's
   summary, so each country named there gains SLUG_WEIGHT x name weight, once. Slugs are lower
   case, so only names that cannot be words count there (data/curated.toml, [slug]). On its own
   the slug gives mentions only: some links end in a section ("world-us-canada"), not a headline.

`Tagger.explain()` returns the same reading as data (results.py): per country the words that counted,
where and how much, and why it ranks where it does.
"""

from __future__ import annotations

import math
import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .cache import cache_path, read, write
from .loader import Entry, digest, load
from .matcher import Hit, Matcher, fold
from .names import LOCAL_WEIGHT, Names
from .regions import regions_of_country
from .results import ZONES, CountryExplanation, Evidence, Explanation, Ignored, Tags, Trace
from .rules import COUNTRY_NAME_KINDS, PAD, PLACE_KINDS, SINGLE, Rules

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
LOCAL_CORROBORATION = 2  # distinct towns a country needs when nothing else supports it (or "in Town")
REGIONS_MEMO = 4096  # sets of countries whose regions are remembered

# Lines of an extracted article that are not its prose: images and links the page put around it.
_CAPTION_LINE = re.compile(r"^!\[", re.M)
_LINK_LINE = re.compile(r"^\s*(?:[-*+]|\d+\.)?\s*\[[^\]]*\]\([^)]*\)\s*$", re.M)


def _damped(body: float) -> float:
    """A country's body gain: in full up to BODY_FULL, then logarithmic, so a country named 40 times
    still outweighs one named 25 times without drowning the title."""
    if body <= BODY_FULL:
        return body
    return BODY_FULL + BODY_LOG * math.log2(1.0 + body - BODY_FULL)


def _body_zone(start: int, quiet: list[tuple[int, int]]) -> int:
    """2 for the body, 3 for a caption or a line of links in it."""
    for a, b in quiet:
        if a <= start < b:
            return 3
    return 2


class Tagger:
    """Country tagger. Build once (get_tagger()); tag() is thread-safe and keeps no state."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        """The tagger of the shipped data file, read back from the user's cache when it was built
        before (cache.py), or of `data` in its format."""
        path = cache_path(digest()) if data is None else None
        built: Any = read(path) if path is not None else None
        if not _is_built(built):
            data = data or load()
            names = Names(data)
            built = (names, Rules(data, names), Matcher.build(names.entries, names.towns()),
                     regions_of_country())
            if path is not None:
                write(path, built)
        self._names, self._rules, self._matcher, self._regions_of = built
        self._entries = self._names.entries
        self._alternates = self._names.alternates
        self._regions_memo: dict[tuple[str, ...], tuple[str, ...]] = {}  # the same countries, the same regions

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
        trace = Trace()
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
        codes = set(self._names.slug_codes(link))
        for h in self._matcher.find(full):
            e = self._entries[h.entry]
            if e.kind in PLACE_KINDS:
                codes.update(e.codes)
                codes.update(self._alternates.get(e.surface, ((), 0))[0])
        return frozenset(codes)

    # -- the reading ------------------------------------------------------------------------------

    def _run(self, title, summary, text, link, categories, pinned, home, trace: Trace | None) -> Tags:
        title, summary, text = title or "", summary or "", text or ""
        full = fold(f"{title}\n{summary}\n{text}{PAD}")  # folding keeps every offset: fold the parts at once
        t_end = len(title)
        b_start = t_end + 2 + len(summary)
        summary, text = full[t_end + 1 : b_start - 1], full[b_start : len(full) - len(PAD)]
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
        accepted = self._rules.accept(full, self._matcher.find(full), t_end, senses, evidence, subnational,
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
        flags = self._rules.flags
        for h, e, surface, forced, factor, note in accepted:
            if forced is None and flags[h.entry] & SINGLE and (not senses or surface not in senses):
                # The common case, inline: a name that stands for one country.
                code = e.codes[0]
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
                    trace.evidence[code].append(Evidence(full[start:h.end], ZONES[zone], note or e.kind,
                                                         round(gain, 3)))
                continue
            kind = e.kind
            if forced is None and senses:
                forced = senses.get(surface)  # one reading per story: "Turkey, Texas" settles "Turkey"
            if forced:
                if kind == "local" or forced not in e.codes:
                    towns.append((h, e, surface, forced, factor, note))
                    town_names[forced].add(surface)
                    continue
                pairs = (self._rules.codes_of(e, forced, resolved, evidence, subnational, surfaces_seen, home)
                         if kind == "ambiguous" else ((forced, e.weight),))
            elif kind == "ambiguous":
                pairs = self._rules.codes_of(e, None, resolved, evidence, subnational, surfaces_seen, home)
            elif kind == "local" or surface in alternates:
                code = senses.get(surface)
                if code is None:
                    townlike = self._rules.townlike(full, h, kind in COUNTRY_NAME_KINDS)
                    code = senses[surface] = self._rules.pick(e, surface, evidence, home, townlike)
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
                if code not in supported and self._rules.placed(full, h):
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
        slug_only = []  # countries only the link names
        for code, weight in self._names.slug_codes(link).items():
            if code not in score:
                slug_only.append(code)
            score[code] += SLUG_WEIGHT * weight
            if trace is not None:
                trace.evidence[code].append(Evidence(link or "", "slug", "name in the link", SLUG_WEIGHT * weight))

        # Towns alone never outrank a country the story names as such (or the feed's home).
        first_tier = named | {home} if home else named
        threshold = 0.0
        title_central = set(central) if trace is not None else central
        promoted: set[str] = set()
        if score:
            top = max((s for c, s in score.items() if c in first_tier), default=0.0) or max(score.values())
            threshold = max(CENTRAL_MIN, CENTRAL_SHARE * top)
            central.update(c for c, s in score.items() if s >= threshold)
            if not central and top >= PROMOTE_MIN:
                # Not on the link's word alone: a section in it ("world-us-canada") names places the
                # story need not be about.
                promoted = {c for c, s in score.items() if s >= 0.8 * top and c not in slug_only}
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
                for code, _w in self._rules.codes_of(e, None, resolved, evidence, subnational, surfaces_seen, home):
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
        ranked_countries: list[str] = []
        ranked_mentions: list[str] = []
        for _tier, s, c in sorted([(c not in first_tier, -s, c) for c, s in score.items()]):
            if c in central:
                ranked_countries.append(c)
            elif s < 0:
                ranked_mentions.append(c)
        countries, mentions = tuple(ranked_countries), tuple(ranked_mentions)
        if trace is not None:
            self._explain_ranks(trace, countries, mentions, score, threshold, from_feed, fallback and home,
                                title_central, promoted, first_tier)
        regions = self._regions_memo.get(countries)
        if regions is None:
            regions = self._derive_regions(countries)
            if len(self._regions_memo) >= REGIONS_MEMO:
                self._regions_memo.clear()
            self._regions_memo[countries] = regions
        return Tags(countries, mentions, regions)

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

    def _derive_regions(self, countries: tuple[str, ...]) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for code in countries:
            for name in self._regions_of.get(code, ()):
                seen.setdefault(name)
        return tuple(seen)


def _is_built(built: Any) -> bool:
    """True for what Tagger.__init__ keeps in the cache: a file of another shape is built again."""
    return (isinstance(built, tuple) and len(built) == 4 and isinstance(built[0], Names)
            and isinstance(built[1], Rules) and isinstance(built[2], Matcher) and isinstance(built[3], dict))


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
