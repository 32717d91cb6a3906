"""Story clusters through the cache: migration 6, the refresh's clustering stage (a stream, whatever the
fetches), the clusterer's state kept beside the cache, recluster, and what list and show print of them."""

from __future__ import annotations

import json
import pickle
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.clustering import cluster_new_stories, state_path
from newsreader.clusters import ClusterParams
from newsreader.config.types import FeedConfig
from newsreader.library import Library
from newsreader.model import StoryFilter
from newsreader.store import ClusterMark, Store
from newsreader.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

from feedserver import FeedServer, write_feeds_toml
from story_factory import DAY, add_stories, entry, ids_by_key

WIRE = FeedConfig("Wire", "http://127.0.0.1:9/wire.xml")
POST = FeedConfig("Post", "http://127.0.0.1:9/post.xml")
TIMES = FeedConfig("Times", "http://127.0.0.1:9/times.xml")
FEEDS = {feed.url: feed for feed in (WIRE, POST, TIMES)}
START = time.time() - 4 * DAY
#: (hours after START, feed, key, title, countries): four days of a small stream, four of its events told by
#: several outlets, and stories told once between them.
STREAM = [
    (1, WIRE, "w1", "Pashinyan and Aliyev arrive in Sochi for talks hosted by Putin", ("AM", "AZ", "RU")),
    (2, POST, "p1", "Putin hosts Pashinyan and Aliyev in Sochi", ("AM", "AZ", "RU")),
    (3, TIMES, "t1", "Dutch cyclists win the team pursuit in Tokyo", ("NL", "JP")),
    (4, TIMES, "t2", "Sochi talks: Pashinyan and Aliyev agree to a border commission", ("AM", "AZ", "RU")),
    (20, WIRE, "w2", "Floods in Bangladesh: 40 dead as rivers burst their banks", ("BD",)),
    (22, POST, "p2", "Bangladesh floods kill 40, thousands evacuated", ("BD",)),
    (26, WIRE, "w3", "Kenya's central bank holds its benchmark rate at 13 percent", ("KE",)),
    (45, TIMES, "t3", "Chile copper exports rise for a third month", ("CL",)),
    (47, POST, "p3", "Chile's copper exports climb again", ("CL",)),
    (50, WIRE, "w4", "Wildfire forces evacuations near Athens", ("GR",)),
    (70, POST, "p4", "Greek firefighters battle the Athens wildfire for a third day", ("GR",)),
    (71, TIMES, "t4", "Athens wildfire: evacuations widen as winds pick up", ("GR",)),
    (75, WIRE, "w5", "Japan's parliament passes the budget", ("JP",)),
]


def save(store: Store, rows: list) -> None:
    """Save these stream rows, each feed's as one fetch (fetched now)."""
    for feed in (WIRE, POST, TIMES):
        mine = [entry(key, title=title, published=START + hours * 3600, countries=countries)
                for hours, one, key, title, countries in rows if one is feed]
        if mine:
            add_stories(store, feed, mine)


def partition(store: Store) -> set[frozenset[str]]:
    """The clusters as sets of story keys: comparable whatever ids the stories got."""
    keys = {story_id: key for key, story_id in ids_by_key(store).items()}
    clusters: dict[int, set[str]] = {}
    for story_id, cluster_id in store._read("SELECT id, cluster_id FROM stories"):
        assert cluster_id is not None, "every story is clustered"
        clusters.setdefault(cluster_id, set()).add(keys[story_id])
    return {frozenset(members) for members in clusters.values()}


def run(store: Store):  # type: ignore[no-untyped-def]
    return cluster_new_stories(store, state_path(store.path), FEEDS)


@pytest.fixture
def store(tmp_path: Path):
    store = Store(tmp_path / "cache.sqlite")
    yield store
    store.close()


def stream_in_one(tmp_path: Path) -> set[frozenset[str]]:
    store = Store(tmp_path / "one" / "cache.sqlite")
    save(store, STREAM)
    run(store)
    found = partition(store)
    store.close()
    return found


# -- the stream ---------------------------------------------------------------------------------------------


def test_the_stream_clusters_the_same_in_one_fetch_or_several(tmp_path: Path) -> None:
    whole = stream_in_one(tmp_path)
    assert frozenset({"w1", "p1", "t2"}) in whole  # the Sochi talks, three outlets
    assert frozenset({"w2", "p2"}) in whole and frozenset({"w3"}) in whole
    assert len(whole) < len(STREAM)
    for name, keep_state in (("kept", True), ("replayed", False)):
        store = Store(tmp_path / name / "cache.sqlite")
        for start in range(0, len(STREAM), 4):  # four fetches, each later than the last
            save(store, STREAM[start : start + 4])
            if not keep_state:
                state_path(store.path).unlink(missing_ok=True)
            placed = run(store)
            assert placed.placed == len(STREAM[start : start + 4])
            assert (placed.replayed == 0) == (keep_state or start == 0)
        assert partition(store) == whole, name
        store.close()


def test_a_second_fetch_continues_from_the_saved_state_and_a_stale_one_is_ignored(store: Store) -> None:
    save(store, STREAM[:6])
    first = run(store)
    assert first.placed == 6 and first.replayed == 0
    assert state_path(store.path).exists()
    save(store, STREAM[6:8])
    assert run(store).replayed == 0  # the saved state served
    # another process clustered meanwhile (the cache's token moved on): the file is stale, the cache replays
    mark = store.cluster_mark()
    assert mark is not None
    store.save_clusters([], expect=mark, mark=ClusterMark("someone-else", mark.clock))
    save(store, STREAM[8:10])
    again = run(store)
    assert again.placed == 2 and again.replayed == 8
    # a damaged file, one from other parameters: ignored too
    save(store, STREAM[10:11])
    state_path(store.path).write_bytes(b"not a pickle")
    assert run(store).replayed == 10
    with open(state_path(store.path), "rb") as file:
        stamp = pickle.load(file)
    assert stamp[0] >= 1 and stamp[2] == store.cluster_mark().token
    save(store, STREAM[11:])
    assert cluster_new_stories(store, state_path(store.path), FEEDS, params=ClusterParams(window_hours=48)).replayed == 11


def test_nothing_new_costs_nothing(store: Store) -> None:
    save(store, STREAM)
    run(store)
    before = state_path(store.path).stat().st_mtime_ns
    assert run(store).placed == 0
    assert state_path(store.path).stat().st_mtime_ns == before


def test_a_run_that_lost_the_race_writes_nothing(store: Store) -> None:
    save(store, STREAM[:4])
    run(store)
    mark = store.cluster_mark()
    assert not store.save_clusters([(1, 1, "en")], expect=ClusterMark("old", 0.0), mark=ClusterMark("new", 0.0))
    assert store.cluster_mark() == mark


def test_a_stopped_run_leaves_its_stories_for_the_next(store: Store) -> None:
    save(store, STREAM)
    stop = threading.Event()
    stop.set()
    assert cluster_new_stories(store, state_path(store.path), FEEDS, stop=stop).placed == 0
    assert store.unclustered_count() == len(STREAM)
    assert run(store).placed == len(STREAM)


def test_a_new_story_reusing_a_deleted_ones_id_starts_its_own_cluster(store: Store) -> None:
    save(store, STREAM[:2])
    add_stories(store, WIRE, [entry("w9", title="Peru's harvest begins early", published=START + 5 * 3600)])
    run(store)
    ids = ids_by_key(store)
    newest = ids["w9"]
    # Say the Post's story joined a cluster the Wire's newest story started (the newest row), and the Wire is
    # then unsubscribed: SQLite hands the newest id out again, to the next story stored.
    with store._write() as db:
        db.execute("UPDATE stories SET cluster_id = ? WHERE id IN (?, ?)", (newest, ids["p1"], newest))
    store.delete_feed(store.sync_feeds([WIRE])[WIRE.url], keep_starred=False)
    add_stories(store, TIMES, [entry("t9", title="Tokyo stocks fall", published=START + 6 * 3600)])
    assert ids_by_key(store)["t9"] == newest
    run(store)
    assert partition(store) == {frozenset({"t9"}), frozenset({"p1"})}  # not taken in by the id alone
    assert store._read("SELECT cluster_id FROM stories WHERE id = ?", (ids["p1"],))[0][0] == ids["p1"]


def test_recluster_rebuilds_every_cluster_from_nothing(tmp_path: Path, store: Store) -> None:
    whole = stream_in_one(tmp_path)
    save(store, STREAM)
    with store._write() as db:
        db.execute("UPDATE stories SET cluster_id = id, language = NULL")  # every story alone
    batches: list[int] = []
    count = Library(library_config(), store=store).recluster(on_batch=batches.append)
    assert partition(store) == whole and count == len(whole)
    assert sum(batches) == len(STREAM)
    assert {story.language for story in store.stories()} == {"en", None}  # guessed, or not ("Wildfire forces ...")
    assert run(store).placed == 0
    save(store, [(80, WIRE, "w6", "Japan's budget passes the upper house", ("JP",))])
    assert run(store).replayed == 0  # recluster left its state for the next fetch


def library_config():  # type: ignore[no-untyped-def]
    from newsreader.config.types import Config

    return Config(feeds=(WIRE, POST, TIMES))


# -- migration 6 ---------------------------------------------------------------------------------------------


def test_a_cache_from_before_clusters_upgrades_keeping_its_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    for version in range(1, 6):  # schema 5, as the newsreader before clusters left it
        db.execute("BEGIN")
        MIGRATIONS[version](db)
        db.execute("INSERT INTO migrations (version, applied_at) VALUES (?, ?)", (version, time.time()))
        db.execute(f"PRAGMA user_version = {version}")
        db.execute("COMMIT")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("INSERT INTO feeds (id, url, name, added_at) VALUES (7, ?, 'Wire', 0)", (WIRE.url,))
    for story_id, (hours, _feed, key, title, _countries) in zip((11, 23, 35), STREAM[:3]):
        at = START + hours * 3600
        db.execute("INSERT INTO stories (id, feed_id, key, title, sort_at, fetched_at, content_hash) "
                   "VALUES (?, 7, ?, ?, ?, ?, '')", (story_id, key, title, at, at))
    db.close()

    store = Store(path)
    assert store.schema_version == SCHEMA_VERSION
    rows = store._read("SELECT id, key, cluster_id, language FROM stories ORDER BY id")
    assert [(r["id"], r["key"], r["cluster_id"], r["language"]) for r in rows] == [
        (11, "w1", None, None), (23, "p1", None, None), (35, "t1", None, None)]
    assert {row[0] for row in store._read("SELECT name FROM sqlite_master WHERE type = 'index'")} >= {
        "stories_list", "stories_flags", "stories_by_cluster"}
    # not clustered yet, every story counts as alone
    assert [story.cluster for story in store.stories()] == [35, 23, 11]
    assert store.cluster_count(StoryFilter()).total == 3
    assert run(store).placed == 3  # the next fetch clusters them
    assert partition(store) == {frozenset({"w1", "p1"}), frozenset({"t1"})}
    assert [r[0] for r in store._read("SELECT id FROM stories ORDER BY id")] == [11, 23, 35]
    store.close()


# -- the grouped list in the store ---------------------------------------------------------------------------


def test_the_grouped_list_pages_counts_and_steps_by_cluster(store: Store) -> None:
    save(store, STREAM)
    run(store)
    grouped = StoryFilter(grouped=True)
    rows = store.cluster_headers(grouped, limit=100)
    clusters = partition(store)
    assert len(rows) == len(clusters) == store.cluster_count(grouped).total
    assert [row.when for row in rows] == sorted((row.when for row in rows), reverse=True)
    sochi = next(row for row in rows if "Sochi" in row.title)
    assert sochi.title.startswith("Sochi talks:") and (sochi.stories, sochi.outlets) == (3, 3)  # the newest telling
    ids = ids_by_key(store)
    assert store.cluster_position(grouped, ids["w1"]) == rows.index(sochi)  # any version finds the row
    assert [h.id for h in store.cluster_headers(grouped, limit=2, offset=1)] == [rows[1].id, rows[2].id]
    after = store.cluster_neighbour(grouped, rows[0].id)
    assert after is not None and after.id == rows[1].id
    assert store.cluster_neighbour(grouped, rows[1].id, forward=False).id == rows[0].id
    # a filter keeps a cluster when any of its stories passes, shown by the newest that does
    only_wire = StoryFilter(grouped=True, feed="Wire")
    wire_rows = store.cluster_headers(only_wire)
    assert [row.feed for row in wire_rows] == ["Wire"] * 5
    assert next(row for row in wire_rows if "Sochi" in row.title).id == ids["w1"]
    # read state: a row is read when every story of its cluster is
    store.set_read([ids["t2"]])
    assert not next(r for r in store.cluster_headers(grouped) if r.cluster == sochi.cluster).read
    assert store.cluster_neighbour(grouped, None, unread=True).cluster == rows[0].cluster
    changed = store.set_cluster_read(ids["w1"])
    assert sorted(changed) == sorted([ids["w1"], ids["p1"]])
    assert next(r for r in store.cluster_headers(grouped) if r.cluster == sochi.cluster).read
    assert store.cluster_count(grouped).unread == len(clusters) - 1


# -- through a fetch and the command line ---------------------------------------------------------------------


def rss(language: str | None, items: list[tuple[str, str, float]]) -> str:
    declared = f"<language>{language}</language>" if language else ""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://news.example/{guid}</link>"
        f"<pubDate>{time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(at))}</pubDate></item>"
        for guid, title, at in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{declared}{body}</channel></rss>'


def test_fetch_clusters_the_new_stories_and_list_and_show_say_so(tmp_path: Path, feed_server: FeedServer,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    now = time.time()
    english = feed_server.feed("/en.xml", rss("en-GB", [
        ("en1", "Putin hosts Pashinyan and Aliyev in Sochi", now - 3600),
        ("en2", "Floods close schools across Bangladesh", now - 7200)]))
    french = feed_server.feed("/fr.xml", rss("fr", [
        ("fr1", "Poutine reçoit Pachinian et Aliev à Sotchi", now - 3000),
        ("fr2", "La Banque du Japon maintient ses taux", now - 5000)]))
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Wire", english), ("Le Monde", french)])
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]

    def cli(*argv: str) -> str:
        capsys.readouterr()
        assert main([*args, *argv]) == 0
        return capsys.readouterr().out

    cli("fetch")
    stories = {item["title"]: item for item in json.loads(cli("list", "--json", "--limit", "0"))}
    sochi, sotchi = stories["Putin hosts Pashinyan and Aliyev in Sochi"], stories["Poutine reçoit Pachinian et Aliev à Sotchi"]
    assert sochi["cluster"] == sotchi["cluster"] == sochi["id"] and sochi["cluster_size"] == 2
    assert (sochi["language"], sotchi["language"]) == ("en", "fr")  # as the feeds declare them
    alone = stories["Floods close schools across Bangladesh"]
    assert alone["cluster"] == alone["id"] and alone["cluster_size"] == 1

    grouped = json.loads(cli("list", "--grouped", "--json"))
    assert len(grouped) == 3
    row = next(item for item in grouped if item["cluster"] == sochi["id"])
    assert (row["id"], row["outlets"], row["languages"]) == (sotchi["id"], 2, ["en", "fr"])
    text = cli("list", "--grouped")
    assert "Poutine reçoit" in text and "en fr" in text and "Floods close schools" in text
    assert "Putin hosts" not in text  # one line per cluster: its newest headline
    assert len(json.loads(cli("list", "--grouped", "--json", "--limit", "1"))) == 1

    shown = cli("show", str(sochi["id"]))
    assert "The same story elsewhere (1 version):" in shown
    assert "Le Monde · fr" in shown and "Poutine reçoit Pachinian" in shown
    versions = json.loads(cli("show", str(sochi["id"]), "--json"))["versions"]
    assert [(v["id"], v["feed"], v["language"]) for v in versions] == [(sotchi["id"], "Le Monde", "fr")]

    cli("fetch")  # all 304: nothing to cluster
    assert "re-clustered 4 stories into 3 clusters" in cli("recluster")


def test_every_page_of_the_grouped_list_holds_each_clusters_newest_story_that_passes(tmp_path: Path) -> None:
    """The grouped list's pages, near the top (walked in batches) and deep (chosen by SQL), against the rule
    itself worked out here: a row per cluster, its newest story passing the filter, newest first."""
    import random

    from newsreader.store.clusters import DEEP_OFFSET

    rng = random.Random(5)
    store = Store(tmp_path / "cache.sqlite")
    feed = FeedConfig("Wire", "https://wire.example/feed.xml")
    start = 1_700_000_000.0
    entries = [entry(f"s{n}", title=f"Story {n} " + rng.choice(["pipeline", "harvest", "summit"]),
                     published=start + n * 60 + rng.choice((0, 0, 30)), countries=(rng.choice(["AM", "AZ", "RU"]),))
               for n in range(2600)]
    add_stories(store, feed, entries)
    ids = sorted(ids_by_key(store).values())
    clusters: dict[int, int] = {}
    for story_id in ids:  # a third alone, the rest in clusters of up to a few stories, some left unplaced
        roll = rng.random()
        if roll < 0.1:
            continue
        clusters[story_id] = story_id if roll < 0.4 or not clusters else rng.choice(list(clusters.values())[-20:])
    store.save_clusters([(s, c, "en") for s, c in clusters.items()], expect=None, mark=None, check=False)
    rows = {r["id"]: (r["sort_at"], r["id"]) for r in store._read("SELECT id, sort_at FROM stories")}

    for story_filter in (StoryFilter(), StoryFilter(country="AM"), StoryFilter(search="pipeline")):
        passing = [h.id for h in store.headers(story_filter, limit=10_000)]
        newest: dict[int, int] = {}
        for story_id in passing:  # newest first: the first of each cluster is its newest that passes
            newest.setdefault(clusters.get(story_id, story_id), story_id)
        expected = sorted(newest.values(), key=lambda i: rows[i], reverse=True)
        assert store.cluster_count(story_filter).total == len(expected)
        for offset in (0, 100, 300, DEEP_OFFSET - 50, DEEP_OFFSET, len(expected) - 30):
            page = [h.id for h in store.cluster_headers(story_filter, limit=100, offset=max(0, offset))]
            assert page == expected[max(0, offset) : max(0, offset) + 100], (story_filter, offset)
    store.close()
