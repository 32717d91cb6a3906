"""The evidence that a story belongs to a cluster: similarities that the decision weighs."""

from __future__ import annotations

import math
from collections import Counter
from typing import NamedTuple

from .state import ClusterState, Probe

#: below this similarity to the whole cluster, its members are not looked at one by one
_LOOK_CLOSER = 0.15
#: only the newest members are looked at one by one, so that a story's cost stays bounded
_NEWEST = 8


class Evidence(NamedTuple):
    same_language: bool  #: the cluster has stories in the story's language
    word_cosine: float  #: the story's words to the cluster's words in its language (0 when it has none)
    key_cosine: float  #: the story's language-free keys to the cluster's, over all its languages
    top_words: float  #: the share of the story's three weightiest words that the cluster's stories hold
    nearest_words: float  #: the story's words to the closest story of its language in the cluster
    nearest_keys: float  #: the story's keys to the closest story in the cluster
    country_share: float  #: the share of the story's countries that the cluster's stories have too
    country_clash: bool  #: both have countries and share none
    number_share: float  #: the share of the story's numbers (but years) that the cluster's stories have too
    number_clash: bool  #: both have numbers and share none
    hours: float  #: from the cluster's newest story to this one
    size: int  #: the cluster's stories in the window
    words: int  #: distinct words in the story: short headlines give coarse cosines


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def _overlap(mine: frozenset[str], theirs: Counter[str]) -> tuple[float, bool]:
    """The share of mine that they have, and whether both have some and share none."""
    if not mine or not theirs:
        return 0.0, False
    shared = sum(1 for item in mine if item in theirs)
    return shared / len(mine), shared == 0


def evidence(probe: Probe, cluster: ClusterState, word_cosine: float, key_cosine: float) -> Evidence:
    lang = probe.language
    nearest_words = nearest_keys = 0.0
    if word_cosine >= _LOOK_CLOSER or key_cosine >= _LOOK_CLOSER:
        words, keys = probe.words, probe.keys
        for member in cluster.members[-_NEWEST:]:
            if member.language == lang:
                nearest_words = max(nearest_words, _dot(words, member.words))
            nearest_keys = max(nearest_keys, _dot(keys, member.keys))
    share, clash = _overlap(probe.countries, cluster.countries)
    number_share, number_clash = _overlap(probe.terms.numbers, cluster.numbers)
    same = cluster.words.get(lang)
    top = probe.top_words
    return Evidence(
        same_language=lang in cluster.languages,
        word_cosine=word_cosine,
        key_cosine=key_cosine,
        top_words=sum(1 for t in top if t in same) / len(top) if same and top else 0.0,
        nearest_words=nearest_words,
        nearest_keys=nearest_keys,
        country_share=share,
        country_clash=clash,
        number_share=number_share,
        number_clash=number_clash,
        hours=max(0.0, probe.published - cluster.last) / 3600.0,
        size=cluster.size,
        words=len(probe.words),
    )


def inputs(ev: Evidence) -> tuple[float, ...]:
    """The numbers the decision's models read, after their intercept."""
    return (
        ev.word_cosine,
        ev.key_cosine,
        ev.top_words,
        ev.nearest_words,
        ev.nearest_keys,
        ev.country_share,
        float(ev.country_clash),
        ev.number_share,
        float(ev.number_clash),
        math.log1p(ev.hours),
        math.log1p(ev.size),
        math.log1p(ev.words),
    )
