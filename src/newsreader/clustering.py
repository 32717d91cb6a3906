"""The refresh's clustering stage: every story not clustered yet joins a story cluster or starts one, in
order of publication, after the feeds are saved; and `newsreader recluster`, which does it for every story.

The stream: stories go through `Clusterer.add` in (sort_at, id) order, sort_at being the story's date (never
later than when it was first fetched), whatever fetch brought them. A backfill of old stories clusters as a
live stream would have, and stories that come in one fetch or in several end in the same clusters (a story
that arrives after later ones is placed when it arrives, against the clusters then active).

What the clusterer reads of a story: its title, its language (the feed's declared one, else guessed from the
title and the start of the summary; stored with the story) and the countries the story names. Not its
summary: the decision's weights were fitted on headlines, summaries are untested for quality, and a summary
costs five times a title to weigh (benchmarks/README.md, Clusters). Not the countries the feed gives every
story (pinned in feeds.toml) nor its home country standing in for a story that names none: as evidence they
would tie one feed's stories together and set apart outlets of different countries telling one event.

The clusterer's window (3 days of clusters, 7 of word statistics) takes seconds to rebuild from the cache,
so it is kept between runs: pickled beside the cache after each run (atomically, the file private to its
owner), with a token the cache holds too (`cluster_state`). The next run takes the file only if it carries
the cache's token, this format's version and the same parameters; else it replays the stories of the
horizon from the cache (`Clusterer.restore`), which gives the same clusterer.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path

from newsreader.clusters import Clusterer, ClusterParams, ClusterStory
from newsreader.clusters.text import guess_language
from newsreader.config.locations import PRIVATE_FILE_MODE
from newsreader.config.types import FeedConfig
from newsreader.store import ClusterInput, ClusterMark, Store
from newsreader.tagging import home_of

#: feed url -> its settings in feeds.toml (pinned countries, home)
Feeds = Mapping[str, FeedConfig]

#: Bump when the clusterer's pickled state changes shape (its attributes, or what they hold).
STATE_VERSION = 2  # 2: the term indexes hold each cluster's sum vector
#: The stage looks whether it should stop (the reader quitting) every this many stories.
STOP_EVERY = 500
#: Recluster writes its clusters, and reports progress, this many stories at a time.
RECLUSTER_BATCH = 2000


@dataclass(frozen=True, slots=True)
class ClusterRun:
    """What one clustering run did."""

    placed: int = 0  #: stories put into clusters
    replayed: int = 0  #: stories replayed from the cache to rebuild the window (0: the saved state served)
    seconds: float = 0.0


def state_path(cache: Path) -> Path:
    """Where the clusterer's state is kept: beside the cache file."""
    return cache.with_name(f"{cache.stem}-clusters.pickle")


def language_of(story: ClusterInput) -> str:
    """The story's language as the clusterer takes it: the feed's declared one ("pt-BR" -> "pt"), else a
    guess from its title and the start of its summary; "und" when neither says."""
    declared = (story.feed_language or "").split("-")[0].strip().lower()
    if declared.isalpha() and 2 <= len(declared) <= 3:
        return declared
    return guess_language(f"{story.title} {story.summary}")


def named_countries(story: ClusterInput, feed: FeedConfig | None) -> tuple[str, ...]:
    """The story's countries as the clusterer weighs them: without the feed's pinned ones, and none when all
    it has is the feed's home (the tagger's fallback for a story that names no country, or a story about
    the outlet's own country alone: the two cannot be told apart here, and a home is weak evidence)."""
    pinned = set(feed.countries) if feed is not None else set()
    named = tuple(code for code in story.countries if code not in pinned)
    return () if named and named == (_home(story.feed_url, feed, story.feed_language),) else named


@lru_cache(maxsize=4096)
def _home(url: str, feed: FeedConfig | None, language: str | None) -> str | None:
    return home_of(url, feed, language)  # once a feed, not once a story


def _as_cluster_story(story: ClusterInput, language: str, feeds: Feeds) -> ClusterStory:
    return ClusterStory(id=story.id, title=story.title, published=story.sort_at, language=language,
                        feed=story.feed_id, countries=named_countries(story, feeds.get(story.feed_url)))


def cluster_new_stories(store: Store, path: Path | None, feeds: Feeds, *, params: ClusterParams | None = None,
                        stop: threading.Event | None = None) -> ClusterRun:
    """Put every story not clustered yet into a cluster (see the module's docstring). `path`: the saved
    state (None: none kept). Setting `stop` ends the run early with nothing written: its stories wait for
    the next run."""
    started = time.perf_counter()
    if not store.unclustered_count():
        return ClusterRun()
    new = [story for batch in store.cluster_inputs(unclustered=True) for story in batch]
    if orphans := store.orphan_clusters([story.id for story in new]):
        store.renumber_clusters(orphans)
    mark = store.cluster_mark()
    clusterer = load_state(path, mark, params)
    replayed = 0
    if clusterer is None:
        clusterer, replayed = restore(store, feeds, params)
    placed: list[tuple[int, int, str | None]] = []
    for number, story in enumerate(new):
        if stop is not None and number % STOP_EVERY == 0 and stop.is_set():
            return ClusterRun(0, replayed, time.perf_counter() - started)
        language = language_of(story)
        cluster = clusterer.add(_as_cluster_story(story, language, feeds))
        placed.append((story.id, int(cluster), None if language == "und" else language))
    new_mark = ClusterMark(uuid.uuid4().hex, clusterer.clock)
    if not store.save_clusters(placed, expect=mark, mark=new_mark):
        return ClusterRun(0, replayed, time.perf_counter() - started)  # another process clustered meanwhile
    save_state(path, clusterer, new_mark)
    return ClusterRun(len(placed), replayed, time.perf_counter() - started)


def restore(store: Store, feeds: Feeds, params: ClusterParams | None = None) -> tuple[Clusterer, int]:
    """A clusterer rebuilt from the cache: the clustered stories of the horizon before the newest one,
    replayed in stream order with the clusters stored for them. Returns it and how many were replayed."""
    clusterer = Clusterer(params)
    newest = store.newest_clustered()
    if newest is None:
        return clusterer, 0
    replayed = 0
    for batch in store.cluster_inputs(since=newest - clusterer.horizon):
        for story in batch:
            assert story.cluster_id is not None
            clusterer.restore(_as_cluster_story(story, story.language or "und", feeds), story.cluster_id)
        replayed += len(batch)
    return clusterer, replayed


def recluster(store: Store, path: Path | None, feeds: Feeds, *, params: ClusterParams | None = None,
              on_batch: Callable[[int], None] | None = None) -> ClusterRun:
    """Cluster every story again from nothing, in stream order (`newsreader recluster`): after the clusterer
    or its parameters change. Languages are taken again too (a feed may have started declaring one)."""
    started = time.perf_counter()
    store.save_clusters([], expect=None, mark=None, check=False)  # a fetch meanwhile must not trust the old state
    clusterer = Clusterer(params)
    placed = 0
    for batch in store.cluster_inputs():
        rows = []
        for story in batch:
            language = language_of(story)
            cluster = clusterer.add(_as_cluster_story(story, language, feeds))
            rows.append((story.id, int(cluster), None if language == "und" else language))
        store.save_clusters(rows, expect=None, mark=None, check=False)
        placed += len(rows)
        if on_batch is not None:
            on_batch(len(rows))
    mark = ClusterMark(uuid.uuid4().hex, clusterer.clock)
    store.save_clusters([], expect=None, mark=mark, check=False)
    save_state(path, clusterer, mark)
    return ClusterRun(placed, 0, time.perf_counter() - started)


# -- the saved state --------------------------------------------------------------------------------------


def _stamp(params: ClusterParams, mark: ClusterMark) -> tuple[object, ...]:
    return (STATE_VERSION, astuple(params), mark.token)


def load_state(path: Path | None, mark: ClusterMark | None, params: ClusterParams | None = None) -> Clusterer | None:
    """The saved clusterer, if it was saved for this bookmark, format and parameters; else None."""
    if path is None or mark is None:
        return None
    try:
        with open(path, "rb") as file:
            stamp = pickle.load(file)
            if stamp != _stamp(params or ClusterParams(), mark):
                return None
            clusterer = pickle.load(file)
    except Exception:  # missing, cut short, written by another version: the cache rebuilds it
        return None
    return clusterer if isinstance(clusterer, Clusterer) else None


def save_state(path: Path | None, clusterer: Clusterer, mark: ClusterMark) -> None:
    """Write the clusterer's state atomically (a crash leaves the old file, whose token then no longer
    matches); a disk that refuses costs the next run a replay, never the fetch."""
    if path is None:
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
        with os.fdopen(descriptor, "wb") as file:
            pickle.dump(_stamp(clusterer.params, mark), file, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(clusterer, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


__all__ = ["ClusterRun", "cluster_new_stories", "language_of", "load_state", "recluster", "restore", "save_state",
           "state_path"]
