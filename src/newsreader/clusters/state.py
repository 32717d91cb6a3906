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
    df_terms: tuple[frozenset[str], frozenset[str]]  #: what it added to the document frequencies


class ClusterState:
    """One active cluster: sums of its members' unit vectors (words per language, keys over all), and
    counts of its members by language and by country."""

    __slots__ = ("id", "size", "first", "last", "words", "keys", "word_counts", "key_counts", "languages",
                 "countries", "numbers", "members", "_norms")

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
        self._norms: dict[str, float] = {}

    def norm(self, vocabulary: str) -> float:
        norm = self._norms.get(vocabulary)
        if norm is None:
            vector = self.keys if vocabulary == KEYS else self.words.get(vocabulary, {})
            norm = self._norms[vocabulary] = math.sqrt(sum(w * w for w in vector.values()))
        return norm

    def touch(self, vocabulary: str) -> None:
        self._norms.pop(vocabulary, None)
        self._norms.pop(KEYS, None)
