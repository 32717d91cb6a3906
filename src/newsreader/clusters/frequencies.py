"""Document frequencies over a sliding window of publication time: IDF from earlier stories only."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable


class DocumentFrequencies:
    """How many stories in the window hold each term, per vocabulary (a language, or the shared keys)."""

    def __init__(self) -> None:
        self._df: Counter[str] = Counter()
        self._docs: Counter[str] = Counter()

    def idf(self, vocabulary: str, term: str) -> float:
        """Smoothed IDF: a term no earlier story holds weighs the most, one every story holds the least."""
        return math.log((self._docs[vocabulary] + 1) / (self._df[term] + 1)) + 1.0

    def add(self, vocabulary: str, terms: Iterable[str]) -> None:
        self._docs[vocabulary] += 1
        self._df.update(list(terms))  # a mapping would add its values

    def remove(self, vocabulary: str, terms: Iterable[str]) -> None:
        self._docs[vocabulary] -= 1
        if not self._docs[vocabulary]:
            del self._docs[vocabulary]
        df = self._df
        for term in terms:
            left = df[term] - 1
            if left:
                df[term] = left
            else:
                del df[term]

    def __len__(self) -> int:
        """Terms held: the memory this takes grows with this."""
        return len(self._df)
