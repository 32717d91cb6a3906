"""A reader cache of stories told by several outlets, in several languages, already grouped into clusters.

The clusters are written directly (`Store.save_clusters`), so the reader's tests do not hang on the
clusterer's decisions; the clustering stage has its own tests (test_clustering.py).
"""

from __future__ import annotations

from pathlib import Path

from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.store import Store

from ui_helpers import entry, feed_config, fill

WIRE = feed_config("World Wire")
MONDE = feed_config("Le Monde")
FAZ = feed_config("FAZ")
#: (feed, language, how each outlet words an event's headline)
OUTLETS = ((WIRE, "en", "{place}: {what} (wire)"), (MONDE, "fr", "{place} : {what}, selon Le Monde"),
           (FAZ, "de", "{place}: {what} laut FAZ"))
PLACES = (("Armenia", "AM"), ("Brazil", "BR"), ("Japan", "JP"), ("Kenya", "KE"), ("Germany", "DE"), ("Peru", "PE"))
#: The Sochi talks, event 5, told by three outlets: only the wire's version is tagged Armenia, the others name
#: Russia alone.
SOCHI = "Sochi talks"
SOCHI_EVENT = 5


def clustered_stories(events: int = 120) -> tuple[dict[FeedConfig, list], list[list[tuple[str, str]]]]:
    """Stories for `events` events, newest first an hour apart; event i is told by 1, 2 or 3 outlets (i % 3 + 1).
    Returns each feed's entries and, per event, its stories as (key, language), oldest first."""
    stories: dict[FeedConfig, list] = {feed: [] for feed, _, _ in OUTLETS}
    groups: list[list[tuple[str, str]]] = []
    for event in range(events):
        place, code = PLACES[event % len(PLACES)]
        what = f"event {event} unfolds"
        group = []
        for rank, (feed, language, form) in enumerate(OUTLETS[: event % 3 + 1]):
            key = f"e{event}-{language}"
            countries = (code,)
            title = form.format(place=place, what=what)
            if event == SOCHI_EVENT:
                title, countries = (f"{SOCHI} resume", ("AM", "RU")) if rank == 0 else (f"{SOCHI}: la Russie reçoit", ("RU",))
            # the outlets file minutes apart, the wire first
            stories[feed].append(entry(key, title, hours_ago=event + 0.5 - rank * 0.1, countries=countries,
                                       summary=f"What happened in {place}."))
            group.append((key, language))
        groups.append(group)
    return stories, groups


def clustered_store(tmp_path: Path, events: int = 120) -> Store:
    store = Store(tmp_path / "cache.sqlite")
    stories, groups = clustered_stories(events)
    fill(store, stories)
    ids = {key: story_id for key, story_id in store._read("SELECT key, id FROM stories")}
    placed = [(ids[key], ids[group[0][0]], language) for group in groups for key, language in group]
    store.save_clusters(placed, expect=None, mark=None, check=False)
    return store


def clustered_config(**settings: object) -> Config:
    return Config(settings=Settings(**settings), feeds=tuple(feed for feed, _, _ in OUTLETS))  # type: ignore[arg-type]
