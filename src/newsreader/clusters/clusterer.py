"""The stream clusterer: each story joins an active cluster (one event) or starts one.

State is a pure function of the stories published within the horizon (`Clusterer.horizon`) before the
newest one seen, and of the clusters they were put in: replaying or restoring those stories gives the same
clusterer, whatever happened before them.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable, Iterator

from .frequencies import DocumentFrequencies
from .model import ClusterId, ClusterParams, ClusterStory
from .text import terms

_KEYS = "*"  # the vocabulary of language-free keys in the document frequencies

Vector = dict[str, float]


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(w * w for w in vector.values()))
    return {t: w / norm for t, w in vector.items()} if norm else {}


class _Member:
    """A story inside the window, with what must be taken back out when it leaves."""

    __slots__ = ("cluster", "published", "language", "words", "keys", "df_terms")

    def __init__(self, cluster: ClusterId, published: float, language: str, words: Vector, keys: Vector,
                 df_terms: tuple[frozenset[str], frozenset[str]]) -> None:
        self.cluster = cluster
        self.published = published
        self.language = language
        self.words = words
        self.keys = keys
        self.df_terms = df_terms


class _Cluster:
    """Sums of its members' unit vectors: words per language, keys over all languages."""

    __slots__ = ("id", "size", "last", "words", "keys", "word_counts", "key_counts", "_norms")

    def __init__(self, cluster_id: ClusterId) -> None:
        self.id = cluster_id
        self.size = 0
        self.last = -math.inf
        self.words: dict[str, Vector] = {}
        self.keys: Vector = {}
        # how many members hold each term: a term leaves the sums (and the index) when this falls to 0
        self.word_counts: Counter[str] = Counter()
        self.key_counts: Counter[str] = Counter()
        self._norms: dict[str, float] = {}

    def norm(self, vocabulary: str) -> float:
        norm = self._norms.get(vocabulary)
        if norm is None:
            vector = self.keys if vocabulary == _KEYS else self.words.get(vocabulary, {})
            norm = self._norms[vocabulary] = math.sqrt(sum(w * w for w in vector.values()))
        return norm

    def touch(self, vocabulary: str) -> None:
        self._norms.pop(vocabulary, None)
        self._norms.pop(_KEYS, None)


class Clusterer:
    """Assigns stories, in order of publication, to clusters of the same event.

    `add(story)` decides and returns the story's cluster id: the id of the story that started the cluster
    (a story alone has its own). `restore(story, cluster_id)` replays a decision made before (stored in
    the cache) without deciding again. Replaying the stories of the last `horizon` seconds, in order of
    publication, brings a new clusterer to the state the old one was in.
    """

    def __init__(self, params: ClusterParams | None = None) -> None:
        self.params = params or ClusterParams()
        self._window = self.params.window_hours * 3600.0
        self._df_window = self.params.df_window_hours * 3600.0
        self.clock = -math.inf  #: the latest publication time seen
        self._df = DocumentFrequencies()
        self._clusters: dict[ClusterId, _Cluster] = {}
        self._word_index: dict[str, set[ClusterId]] = {}  # "lang:word" -> clusters holding it
        self._key_index: dict[str, set[ClusterId]] = {}
        self._in_clusters: list[tuple[float, int, _Member]] = []  # heaps by publication time
        self._in_df: list[tuple[float, int, _Member]] = []
        self._seq = 0

    @property
    def horizon(self) -> float:
        """Seconds of stories before the newest that a restore must replay to rebuild the state exactly."""
        return max(self._window, self._df_window)

    def __len__(self) -> int:
        """Clusters active in the window."""
        return len(self._clusters)

    def add(self, story: ClusterStory) -> ClusterId:
        """Put the story in the cluster it belongs to, or a new one, and return that cluster's id."""
        return self._place(story, None)

    def restore(self, story: ClusterStory, cluster_id: ClusterId) -> None:
        """Replay a decision made before: the story goes into `cluster_id`, as `add` once put it."""
        self._place(story, cluster_id)

    def add_many(self, stories: Iterable[ClusterStory]) -> dict[object, ClusterId]:
        """`add` each story in order of publication (ties by id): story id -> cluster id."""
        ordered = sorted(stories, key=lambda s: (s.published, str(s.id)))
        return {story.id: self.add(story) for story in ordered}

    def clusters(self) -> Iterator[tuple[ClusterId, int]]:
        """The active clusters: id and number of stories in the window."""
        for cluster in self._clusters.values():
            yield cluster.id, cluster.size

    # -- deciding

    def _place(self, story: ClusterStory, cluster_id: ClusterId | None) -> ClusterId:
        t = story.published
        if t > self.clock:
            self.clock = t
            self._expire()
        found = terms(story.title, story.summary, story.language, prefix=self.params.prefix)
        lang = found.language
        words = self._weigh(lang, found.words)
        keys = self._weigh(_KEYS, found.keys)
        if cluster_id is None:
            recent = t >= self.clock - self._window
            chosen = self._choose(t, lang, words, keys) if recent else None
            cluster_id = story.id if chosen is None else chosen
        member = _Member(cluster_id, t, lang, words, keys,
                         (frozenset(f"{lang}:{w}" for w in found.words), frozenset(found.keys)))
        self._df.add(lang, member.df_terms[0])
        self._df.add(_KEYS, member.df_terms[1])
        self._seq += 1
        if t >= self.clock - self._df_window:
            heapq.heappush(self._in_df, (t, self._seq, member))
        else:  # older than the window: counted and at once forgotten, as a replay would
            self._df.remove(lang, member.df_terms[0])
            self._df.remove(_KEYS, member.df_terms[1])
        if t >= self.clock - self._window:
            self._join(member)
            heapq.heappush(self._in_clusters, (t, self._seq, member))
        return cluster_id

    def _weigh(self, vocabulary: str, found: tuple[str, ...]) -> Vector:
        counts = Counter(found)
        prefix = f"{vocabulary}:" if vocabulary != _KEYS else ""
        idf = self._df.idf
        return _unit({t: (1 + math.log(n)) * idf(vocabulary, prefix + t) for t, n in counts.items()})

    def _choose(self, t: float, lang: str, words: Vector, keys: Vector) -> ClusterId | None:
        p = self.params
        clusters = self._clusters
        candidates: set[ClusterId] = set()
        for word in words:
            candidates.update(self._word_index.get(f"{lang}:{word}", ()))
        for key in keys:
            candidates.update(self._key_index.get(key, ()))
        best: tuple[float, str] | None = None
        best_id = None
        for cid in candidates:
            cluster = clusters[cid]
            if t - cluster.last > self._window:
                continue
            same = cluster.words.get(lang)
            if same:
                score = sum(w * same.get(term, 0.0) for term, w in words.items()) / cluster.norm(lang)
                threshold = p.same_language
            else:
                score = sum(w * cluster.keys.get(k, 0.0) for k, w in keys.items()) / (cluster.norm(_KEYS) or 1)
                threshold = p.cross_language
            if score < threshold:
                continue
            rank = (score - threshold, str(cid))
            if best is None or rank > best:
                best, best_id = rank, cid
        return best_id

    # -- the window

    def _join(self, member: _Member) -> None:
        cluster = self._clusters.get(member.cluster)
        if cluster is None:
            cluster = self._clusters[member.cluster] = _Cluster(member.cluster)
        cluster.size += 1
        cluster.last = max(cluster.last, member.published)
        lang = member.language
        sums = cluster.words.setdefault(lang, {})
        for term, w in member.words.items():
            sums[term] = sums.get(term, 0.0) + w
            name = f"{lang}:{term}"
            if not cluster.word_counts[name]:
                self._word_index.setdefault(name, set()).add(cluster.id)
            cluster.word_counts[name] += 1
        for key, w in member.keys.items():
            cluster.keys[key] = cluster.keys.get(key, 0.0) + w
            if not cluster.key_counts[key]:
                self._key_index.setdefault(key, set()).add(cluster.id)
            cluster.key_counts[key] += 1
        cluster.touch(lang)

    def _leave(self, member: _Member) -> None:
        cluster = self._clusters[member.cluster]
        cluster.size -= 1
        if not cluster.size:
            for name in cluster.word_counts:
                self._unindex(self._word_index, name, cluster.id)
            for key in cluster.key_counts:
                self._unindex(self._key_index, key, cluster.id)
            del self._clusters[cluster.id]
            return
        lang = member.language
        sums = cluster.words[lang]
        for term, w in member.words.items():
            name = f"{lang}:{term}"
            cluster.word_counts[name] -= 1
            if cluster.word_counts[name]:
                sums[term] -= w
            else:
                del cluster.word_counts[name], sums[term]
                self._unindex(self._word_index, name, cluster.id)
        if not sums:
            del cluster.words[lang]
        for key, w in member.keys.items():
            cluster.key_counts[key] -= 1
            if cluster.key_counts[key]:
                cluster.keys[key] -= w
            else:
                del cluster.key_counts[key], cluster.keys[key]
                self._unindex(self._key_index, key, cluster.id)
        cluster.touch(lang)

    @staticmethod
    def _unindex(index: dict[str, set[ClusterId]], term: str, cluster_id: ClusterId) -> None:
        holders = index[term]
        holders.discard(cluster_id)
        if not holders:
            del index[term]

    def _expire(self) -> None:
        cutoff = self.clock - self._window
        heap = self._in_clusters
        while heap and heap[0][0] < cutoff:
            self._leave(heapq.heappop(heap)[2])
        cutoff = self.clock - self._df_window
        heap = self._in_df
        while heap and heap[0][0] < cutoff:
            member = heapq.heappop(heap)[2]
            self._df.remove(member.language, member.df_terms[0])
            self._df.remove(_KEYS, member.df_terms[1])
