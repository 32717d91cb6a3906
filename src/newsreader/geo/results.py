"""What the tagger returns: Tags for tag(), and for explain() the same reading as data (Explanation:
per country the words that counted, where, how much, and why it ranks where it does)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

#: Where a name was read, by zone number (the tagger weighs each zone; see tagger.py).
ZONES = ("title", "lead", "body", "caption")


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



class Trace:
    """What explain() collects while the story is read; tag() passes None and collects nothing."""

    def __init__(self) -> None:
        self.evidence: dict[str, list[Evidence]] = defaultdict(list)
        self.ignored: list[Ignored] = []
        self.why: dict[str, str] = {}
        self.score: dict[str, float] = {}
        self.threshold = 0.0
