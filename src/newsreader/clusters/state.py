"""What the clusterer holds in its window: the stories in it (members) and each cluster's running sums."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .model import ClusterId
from .text import Terms

#: the vocabulary of language-free keys (words are counted per language)
KEYS = "*"

Vector = dict[str, float]


def unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


@dataclass(frozen=True, slots=True)
class Probe:
    """A story as the clusterer weighs it against the clusters."""

    published: float
    language: str
    words: Vector  #: unit TF-IDF vector of its words, with the IDF of the stories before it
    keys: Vector  #: unit TF-IDF vector of its language-free keys
    countries: frozenset[str]
    terms: Terms
    top_words: tuple[str, ...]  #: its three weightiest words


@dataclass(slots=True, eq=False)
class Member:
    """A story inside the window, with what must be taken back out when it leaves (compared by identity)."""

    story: int | str
    cluster: ClusterId
    published: float
    language: str
    words: Vector
    keys: Vector
    countries: frozenset[str]
    numbers: frozenset[str]


class ClusterState:
    """One active cluster: sums of its members' unit vectors (words per language, keys over all), and
    counts of its members by language and by country."""

    __slots__ = ("id", "size", "first", "last", "words", "keys", "word_counts", "key_counts", "languages",
                 "countries", "numbers", "members", "squares")

    def __init__(self, cluster_id: ClusterId) -> None:
        self.id = cluster_id
        self.size = 0
        self.first = math.inf
        self.last = -math.inf
        self.words: dict[str, Vector] = {}
        self.keys: Vector = {}
        # how many members hold each term: a term leaves the sums (and the index) when this falls to 0
        self.word_counts: Counter[str] = Counter()
        self.key_counts: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.countries: Counter[str] = Counter()
        self.numbers: Counter[str] = Counter()
        self.members: list[Member] = []  #: oldest first
        #: the squared norm of each sum, kept up to date term by term: recounting a large cluster's
        #: vocabulary at every story would make the cost grow with the cluster
        self.squares: dict[str, float] = {}

    def norm(self, vocabulary: str) -> float:
        return math.sqrt(max(0.0, self.squares.get(vocabulary, 0.0)))

    def shift(self, vocabulary: str, sums: Vector, term: str, delta: float, keep: bool = True) -> None:
        """Add delta to one term of a sum (dropping the term when `keep` is false), and to its norm."""
        old = sums.get(term, 0.0)
        new = old + delta
        if keep:
            sums[term] = new
        else:
            del sums[term]
            new = 0.0
        self.squares[vocabulary] = self.squares.get(vocabulary, 0.0) + new * new - old * old
