"""The stream clusterer: each story joins an active cluster (one event) or starts one.

State is a pure function of the stories published within the horizon (`Clusterer.horizon`) before the
newest one seen, and of the clusters they were put in: replaying or restoring those stories gives the same
clusterer, whatever happened before them.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from .decision import probability
from .evidence import Evidence, evidence
from .frequencies import DocumentFrequencies
from .model import Candidate, ClusterId, ClusterParams, ClusterStory
from .state import KEYS as _KEYS
from .state import ClusterState, Member, Probe, Vector, unit
from .text import terms


def _forget(counts: Counter[str], items: frozenset[str]) -> None:
    for item in items:
        counts[item] -= 1
        if not counts[item]:
            del counts[item]


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
        self._clusters: dict[ClusterId, ClusterState] = {}
        # "lang:word" (or a key) -> the clusters holding it, each with its sum vector that holds the term (the
        # same dict object, so the weights are read without looking the cluster up)
        self._word_index: dict[str, dict[ClusterId, Vector]] = {}
        self._key_index: dict[str, dict[ClusterId, Vector]] = {}
        self._in_clusters: list[tuple[float, int, Member]] = []  # heaps by publication time
        self._in_df: list[tuple[float, int, Member]] = []
        self._seq = 0

    @property
    def horizon(self) -> float:
        """Seconds of stories before the newest that a restore must replay to rebuild the state exactly:
        the stories of the cluster window, and the document frequencies each of them was weighed with."""
        return self._window + self._df_window

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

    def candidates(self, story: ClusterStory) -> list[Candidate]:
        """The clusters `add` would weigh for this story, each with its evidence and probability, best
        first. Changes nothing but the clock (as `add` would)."""
        probe = self._probe(story)
        found = [Candidate(cid, ev, probability(ev)) for cid, ev in self._evidence(probe)]
        found.sort(key=lambda c: (-c.probability, str(c.cluster)))
        return found

    # -- deciding

    def _probe(self, story: ClusterStory) -> Probe:
        t = story.published
        if t > self.clock:
            self.clock = t
            self._expire()
        found = terms(story.title, story.summary, story.language, prefix=self.params.prefix)
        lang = found.language
        words = self._weigh(lang, found.words)
        top = tuple(sorted(words, key=lambda w: (-words[w], w))[:3])
        return Probe(t, lang, words, self._weigh(_KEYS, found.keys), frozenset(story.countries), found, top)

    def _place(self, story: ClusterStory, cluster_id: ClusterId | None) -> ClusterId:
        probe = self._probe(story)
        t, lang, found = probe.published, probe.language, probe.terms
        if cluster_id is None:
            chosen = self._choose(probe) if t >= self.clock - self._window else None
            cluster_id = story.id if chosen is None else chosen
        member = Member(story.id, cluster_id, t, lang, probe.words, probe.keys, probe.countries, found.numbers)
        self._seq += 1
        if t >= self.clock - self._df_window:  # else older than the window: a replay would not count it
            self._count(member, self._df.add)
            heapq.heappush(self._in_df, (t, self._seq, member))
        if t >= self.clock - self._window:
            self._join(member)
            heapq.heappush(self._in_clusters, (t, self._seq, member))
        return cluster_id

    def _weigh(self, vocabulary: str, found: tuple[str, ...]) -> Vector:
        counts = Counter(found)
        prefix = f"{vocabulary}:" if vocabulary != _KEYS else ""
        idf = self._df.idf
        return unit({t: (1 + math.log(n)) * idf(vocabulary, prefix + t) for t, n in counts.items()})

    def _evidence(self, probe: Probe) -> Iterator[tuple[ClusterId, Evidence]]:
        """Evidence for the clusters closest to the story by its distinctive terms.

        A term that more than `most_clusters` active clusters hold ("olympics") finds no candidates: it
        weighs little in a cosine, and following it would make a story's cost grow with the window's
        crowd. The distinctive terms' share of the cosines ranks the candidates; the `most_candidates`
        best are weighed in full."""
        lang, words, keys = probe.language, probe.words, probe.keys
        clusters, p = self._clusters, self.params
        by_words: dict[ClusterId, float] = {}
        by_keys: dict[ClusterId, float] = {}
        most = p.most_clusters
        for index, weights, prefix, dots in ((self._word_index, words, f"{lang}:", by_words),
                                             (self._key_index, keys, "", by_keys)):
            for term, w in weights.items():
                holders = index.get(prefix + term)
                if not holders or len(holders) > most:
                    continue
                get = dots.get
                for cid, sums in holders.items():
                    dots[cid] = get(cid, 0.0) + w * sums[term]
        # ClusterState.norm, inline: a story has dozens of candidates, and this is the clusterer's inner loop
        sqrt = math.sqrt
        partial = {cid: dot / sqrt(max(0.0, clusters[cid].squares.get(lang, 0.0))) for cid, dot in by_words.items()}
        for cid, dot in by_keys.items():
            partial[cid] = partial.get(cid, 0.0) + dot / sqrt(max(0.0, clusters[cid].squares.get(_KEYS, 0.0)))
        best = sorted(partial, key=lambda cid: (-partial[cid], str(cid)))[: p.most_candidates]
        for cid in best:
            cluster = clusters[cid]
            same = cluster.words.get(lang)
            same_cos = (sum(w * same.get(term, 0.0) for term, w in words.items()) / cluster.norm(lang)
                        if same else 0.0)
            key_norm = cluster.norm(_KEYS)
            key_cos = sum(w * cluster.keys.get(k, 0.0) for k, w in keys.items()) / key_norm if key_norm else 0.0
            if same_cos >= p.least_cosine or key_cos >= p.least_cosine:
                yield cid, evidence(probe, cluster, same_cos, key_cos)

    def _choose(self, probe: Probe) -> ClusterId | None:
        p = self.params
        best: tuple[float, str] | None = None
        best_id = None
        for cid, ev in self._evidence(probe):
            chance = probability(ev)
            if chance < (p.threshold if ev.same_language else p.other_language_threshold):
                continue
            if best is None or (chance, str(cid)) > best:
                best, best_id = (chance, str(cid)), cid
        return best_id

    # -- the window

    def _join(self, member: Member) -> None:
        cluster = self._clusters.get(member.cluster)
        if cluster is None:
            cluster = self._clusters[member.cluster] = ClusterState(member.cluster)
        cluster.size += 1
        cluster.first = min(cluster.first, member.published)
        cluster.last = max(cluster.last, member.published)
        lang = member.language
        cluster.languages[lang] += 1
        cluster.countries.update(member.countries)
        cluster.numbers.update(member.numbers)
        cluster.members.append(member)
        sums = cluster.words.setdefault(lang, {})
        for term, w in member.words.items():
            cluster.shift(lang, sums, term, w)
            name = f"{lang}:{term}"
            if not cluster.word_counts[name]:
                self._word_index.setdefault(name, {})[cluster.id] = sums
            cluster.word_counts[name] += 1
        for key, w in member.keys.items():
            cluster.shift(_KEYS, cluster.keys, key, w)
            if not cluster.key_counts[key]:
                self._key_index.setdefault(key, {})[cluster.id] = cluster.keys
            cluster.key_counts[key] += 1

    def _leave(self, member: Member) -> None:
        cluster = self._clusters[member.cluster]
        cluster.size -= 1
        if not cluster.size:
            for name in cluster.word_counts:
                self._unindex(self._word_index, name, cluster.id)
            for key in cluster.key_counts:
                self._unindex(self._key_index, key, cluster.id)
            del self._clusters[cluster.id]
            return
        cluster.members.remove(member)
        lang = member.language
        cluster.languages[lang] -= 1
        if not cluster.languages[lang]:
            del cluster.languages[lang]
        _forget(cluster.countries, member.countries)
        _forget(cluster.numbers, member.numbers)
        sums = cluster.words[lang]
        for term, w in member.words.items():
            name = f"{lang}:{term}"
            cluster.word_counts[name] -= 1
            cluster.shift(lang, sums, term, -w, keep=cluster.word_counts[name] > 0)
            if not cluster.word_counts[name]:
                del cluster.word_counts[name]
                self._unindex(self._word_index, name, cluster.id)
        if not sums:
            del cluster.words[lang], cluster.squares[lang]
        for key, w in member.keys.items():
            cluster.key_counts[key] -= 1
            cluster.shift(_KEYS, cluster.keys, key, -w, keep=cluster.key_counts[key] > 0)
            if not cluster.key_counts[key]:
                del cluster.key_counts[key]
                self._unindex(self._key_index, key, cluster.id)

    @staticmethod
    def _count(member: Member, count: Callable[[str, Iterable[str]], None]) -> None:
        """Add the member's terms to the document frequencies, or take them out."""
        lang = member.language
        count(lang, [f"{lang}:{w}" for w in member.words])
        count(_KEYS, list(member.keys))

    @staticmethod
    def _unindex(index: dict[str, dict[ClusterId, Vector]], term: str, cluster_id: ClusterId) -> None:
        holders = index[term]
        holders.pop(cluster_id, None)
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
            self._count(heapq.heappop(heap)[2], self._df.remove)
