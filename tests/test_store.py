"""The SQLite cache, on a real file: schema, identity, idempotence, search, retention, damage and crashes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.config.types import Config, FeedConfig
from newsreader.errors import DiskFull
from newsreader.feeds.parse import ParseOptions, parse_feed
from newsreader.model import StoryFilter
from newsreader.refresh import refresh_feeds_sync
from newsreader.store import SCHEMA_VERSION, Store, StoreError, schema
from newsreader.store import database as database_module
from newsreader.store import feeds as store_module

from feedserver import FeedServer, write_feeds_toml

FEEDS = Path(__file__).parent / "feeds"
WORLD = FeedConfig(name="World", url="http://127.0.0.1:9/world.rss")
ATOM = FeedConfig(name="Atom", url="http://127.0.0.1:9/world.atom")
DAY = 86400.0


def parsed(name: str, url: str = "http://example.test/feed"):
    return parse_feed((FEEDS / name).read_bytes(), ParseOptions(url=url, content_type="application/xml"))


def rss(*items: str) -> bytes:
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>' + "".join(items) + "</channel></rss>").encode()


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "cache.sqlite") as store:
        yield store


def save(store: Store, feed: FeedConfig, entries, **kwargs) -> tuple[int, object]:
    feed_id = store.sync_feeds([feed])[feed.url]
    return feed_id, store.save_feed(feed_id, entries, **kwargs)


def keys(store: Store) -> dict[str, int]:
    return {row["key"]: row["id"] for row in store._read("SELECT key, id FROM stories")}


def search_titles(store: Store, query: str) -> set[str]:
    return {s.title for s in store.stories(StoryFilter(search=query))}


# -- the file ------------------------------------------------------------------------------------------


def test_wal_mode_busy_timeout_and_schema(tmp_path):
    path = tmp_path / "cache.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        versions = [row[0] for row in db.execute("SELECT version FROM migrations ORDER BY version")]
        assert versions == list(range(1, SCHEMA_VERSION + 1))
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}
        assert {"feeds", "stories", "story_places", "stories_fts", "migrations", "stories_fts_update"} <= tables
    with Store(path) as store:
        assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == database_module.BUSY_TIMEOUT_MS
        assert store.schema_version == SCHEMA_VERSION


def test_migrations_run_step_by_step_from_an_old_file(tmp_path, monkeypatch):
    path = tmp_path / "cache.sqlite"
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 1)
    with Store(path) as old:
        assert old.schema_version == 1
        # Written as version 1 wrote it (today's save_feed knows later columns); its triggers index as they insert.
        with old._write() as db:
            db.execute("INSERT INTO feeds (url, name, added_at) VALUES (?, ?, 0)", (WORLD.url, WORLD.name))
            for index, entry in enumerate(parsed("world.rss").entries):
                db.execute("INSERT INTO stories (feed_id, key, title, summary, text, sort_at, fetched_at, content_hash) "
                           "VALUES (1, ?, ?, ?, ?, ?, 0, '')", (entry.key, entry.title, entry.summary, entry.text, index))
    monkeypatch.undo()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.total_stories() == 4  # data written at version 1 survives the upgrade
        assert search_titles(store, "copper") == {"Chile's copper exports rise for a third month"}
        assert [r[0] for r in store._read("SELECT version FROM migrations ORDER BY version")] == list(range(1, SCHEMA_VERSION + 1))


def test_reopening_runs_no_migration_again(tmp_path):
    path = tmp_path / "cache.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        first = db.execute("SELECT version, applied_at FROM migrations").fetchall()
    Store(path).close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version, applied_at FROM migrations").fetchall() == first


def test_a_cache_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "cache.sqlite"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError, match="written by a newer newsreader"):
        Store(path)


def test_two_stores_on_one_file_work_side_by_side(tmp_path):
    """A cron fetch and an open reader: WAL lets one write while the other reads."""
    path = tmp_path / "cache.sqlite"
    with Store(path) as writer, Store(path) as reader:
        feed_id, _ = save(writer, WORLD, parsed("world.rss").entries)
        assert reader.total_stories() == 4
        ids = [s.id for s in reader.stories()]
        reader.set_read(ids[:2])
        writer.save_feed(feed_id, parsed("world.rss").entries)
        assert writer.count().unread == 2


# -- identity and idempotence --------------------------------------------------------------------


def test_fetching_twice_stores_nothing_twice(store):
    entries = parsed("world.rss").entries
    _, first = save(store, WORLD, entries)
    _, second = save(store, WORLD, entries)
    assert (first.new, first.updated) == (4, 0)
    assert (second.new, second.updated) == (0, 0)
    assert store.total_stories() == 4
    assert store._read("SELECT count(*) FROM stories_fts")[0][0] == 4
    places = store._read("SELECT count(*) FROM story_places")[0][0]
    save(store, WORLD, entries)
    assert store._read("SELECT count(*) FROM story_places")[0][0] == places


def test_the_same_story_in_two_feeds_is_two_stories(store):
    entries = parsed("world.rss").entries
    save(store, WORLD, entries)
    save(store, ATOM, entries)
    assert store.total_stories() == 8


def test_identity_falls_back_from_guid_to_link_to_a_hash(store):
    body = rss(
        "<item><guid isPermaLink='false'>g-1</guid><link>http://e.test/1</link><title>With a guid</title></item>",
        "<item><link>http://e.test/2</link><title>Only a link</title></item>",
        "<item><title>Neither</title><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate></item>",
    )
    entries = parse_feed(body, ParseOptions(url="http://e.test/feed")).entries
    save(store, WORLD, entries)
    found = keys(store)
    assert "g-1" in found and "http://e.test/2" in found
    (hashed,) = [k for k in found if k.startswith("sha1:")]

    # The same items, re-titled where the identity is not the title: updated in place, not duplicated.
    body2 = rss(
        "<item><guid isPermaLink='false'>g-1</guid><link>http://e.test/1-moved</link><title>With a guid, re-titled</title></item>",
        "<item><link>http://e.test/2</link><title>Only a link, re-titled</title></item>",
        "<item><title>Neither</title><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate></item>",
    )
    _, result = save(store, WORLD, parse_feed(body2, ParseOptions(url="http://e.test/feed")).entries)
    assert (result.new, result.updated) == (0, 2)
    assert keys(store) == found
    assert {s.title for s in store.stories()} == {"With a guid, re-titled", "Only a link, re-titled", "Neither"}
    assert store.story(found["g-1"]).link == "http://e.test/1-moved"
    assert hashed == next(k for k in keys(store) if k.startswith("sha1:"))


def test_a_feed_repeating_an_item_stores_it_once(store):
    body = rss(*["<item><guid>same</guid><title>Twice</title></item>"] * 2)
    entries = parse_feed(body, ParseOptions(url="http://e.test/feed")).entries
    assert len(entries) == 1
    save(store, WORLD, entries)
    assert store.total_stories() == 1


def test_read_and_starred_survive_a_refetch_and_a_changed_story(store):
    entries = parsed("world.rss").entries
    save(store, WORLD, entries)
    ids = keys(store)
    store.set_read([ids["world-0001"], ids["world-0002"]])
    store.set_starred(ids["world-0001"])

    save(store, WORLD, entries)
    changed = [replace(e, title=e.title + " (updated)", text="Talks resumed in Gyumri after a pause.", content_hash="new")
               if e.key == "world-0001" else e for e in entries]
    _, result = save(store, WORLD, changed)
    assert (result.new, result.updated) == (0, 1)
    story = store.story(ids["world-0001"])
    assert (story.read, story.starred) == (True, True)
    assert story.title.endswith("(updated)")
    assert story.text == "Talks resumed in Gyumri after a pause."
    assert store.story(ids["world-0002"]).read and not store.story(ids["world-0002"]).starred
    assert store.count().unread == 2


# -- full-text search ----------------------------------------------------------------------------


def test_search_finds_by_title_summary_and_text(store):
    save(store, WORLD, parsed("world.rss").entries)
    save(store, ATOM, parsed("world.atom").entries)
    assert search_titles(store, "copper") == {"Chile's copper exports rise for a third month"}  # title
    assert search_titles(store, "Antofagasta") == {"Chile's copper exports rise for a third month"}  # summary
    assert search_titles(store, "delimiting") == {"Armenia and Azerbaijan resume border talks in Tbilisi"}  # content only
    assert search_titles(store, "Brasilia") == {"Brazil's senate passes a forest protection bill"}  # diacritics folded
    assert search_titles(store, "light") == {"Floods close schools across Bangladesh"}  # last word is a prefix
    assert search_titles(store, '"central bank" nairobi') == {"Kenya's central bank holds rates as inflation eases"}
    assert search_titles(store, "nothing-like-this") == set()
    for hostile in ('AND OR NOT ( " * ^ NEAR(', "title:x", "-", '"'):  # FTS syntax in a query is no error
        store.stories(StoryFilter(search=hostile))


def test_search_stays_in_step_after_update_and_delete(store):
    entries = parsed("world.rss").entries
    feed_id, _ = save(store, WORLD, entries)
    changed = [replace(e, text="Ceasefire monitors arrive in Stepanakert.", content_hash="v2") if e.key == "world-0001" else e
               for e in entries]
    store.save_feed(feed_id, changed)
    assert search_titles(store, "delimiting") == set()
    assert search_titles(store, "Stepanakert") == {"Armenia and Azerbaijan resume border talks in Tbilisi"}

    ids = keys(store)
    store.set_starred(ids["world-0002"])
    assert store.delete_older_than(1, now=4_000_000_000) == 3
    assert search_titles(store, "Stepanakert") == set()
    assert search_titles(store, "Nairobi") == {"Kenya's central bank holds rates as inflation eases"}
    store._db.execute("INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)")


def test_stories_saved_unindexed_are_searchable_after_index_pending(store):
    """A fetch indexes in batches: until then a pending story may change or go without upsetting the index."""
    entries = parsed("world.rss").entries
    feed_id, _ = save(store, WORLD, entries, index=False)
    assert search_titles(store, "Nairobi") == set()
    changed = [replace(e, text="Ceasefire monitors arrive in Stepanakert.", content_hash="v2") if e.key == "world-0001" else e
               for e in entries]
    store.save_feed(feed_id, changed, index=False)  # a pending story changes
    store.set_starred(keys(store)["world-0002"])
    assert store.delete_older_than(1, now=4_000_000_000) == 3  # and pending stories go
    assert store.index_pending() == 1
    assert store.index_pending() == 0
    assert search_titles(store, "Stepanakert") == set()  # deleted before it was indexed
    assert search_titles(store, "Nairobi") == {"Kenya's central bank holds rates as inflation eases"}
    store._db.execute("INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)")


def test_a_fetch_leaves_every_new_story_searchable(store, feed_server: FeedServer):
    feed = FeedConfig(name="World", url=feed_server.feed_file("/world.rss", FEEDS / "world.rss"))
    refresh_feeds_sync(store, Config(feeds=(feed,)))
    assert search_titles(store, "Nairobi") == {"Kenya's central bank holds rates as inflation eases"}
    assert store._read("SELECT count(*) FROM stories_fts_pending")[0][0] == 0


def test_retention_never_deletes_starred(store):
    now = 1_800_000_000.0
    save(store, WORLD, parsed("world.rss").entries, fetched_at=now - 400 * DAY)
    ids = keys(store)
    store.set_starred(ids["world-0004"])
    assert store.delete_older_than(90, now=now) == 3
    assert set(keys(store)) == {"world-0004"}
    assert store.delete_older_than(0, now=now + 1000 * DAY) == 0


def test_old_story_fetched_today_is_kept(store):
    """Kept from when it was first fetched: otherwise it would be stored and deleted on every run."""
    now = 1_800_000_000.0
    save(store, WORLD, parsed("world.rss").entries, fetched_at=now)  # items dated 2026, i.e. older than now
    assert store.delete_older_than(1, now=now + 3600) == 0


# -- damage --------------------------------------------------------------------------------------


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE contacts (name TEXT)")
        db.execute("INSERT INTO contacts VALUES ('Ada')")


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database, just bytes " * 200)


def _damaged_pages(path: Path) -> None:
    with Store(path) as store:
        save(store, WORLD, parsed("world.rss").entries)
        save(store, ATOM, parsed("world.atom").entries)
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page, len(data), page):  # every page but the header page
        data[offset: offset + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("damage", "words"), [
    (_foreign, "not a newsreader cache"),
    (_garbage, "damaged or not SQLite"),
    (_damaged_pages, "damaged"),
])
def test_damaged_or_foreign_file_is_one_clear_line_and_exit_3(tmp_path, capsys, damage, words):
    data = tmp_path / "data"
    data.mkdir()
    path = data / "cache.sqlite"
    damage(path)
    before = path.read_bytes()
    with pytest.raises(StoreError) as caught, Store(path) as store:
        store.stories()
        store.feeds()
    assert words in str(caught.value) and "\n" not in str(caught.value) and str(path) in str(caught.value)

    for command in (["list"], ["list", "--json"], ["feeds"], ["show", "1"]):
        assert main(["--data-dir", str(data), *command]) == 3
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith(f"newsreader: {path}: ") and words in err
        assert err.count("\n") == 1 and "Traceback" not in err
    assert path.read_bytes() == before, "a damaged or foreign file is never written to"


def test_fetch_into_a_foreign_file_exits_3_and_touches_nothing(tmp_path, feed_server: FeedServer, capsys):
    data = tmp_path / "data"
    data.mkdir()
    _foreign(data / "cache.sqlite")
    before = (data / "cache.sqlite").read_bytes()
    config = write_feeds_toml(tmp_path / "feeds.toml", [("World", feed_server.feed("/w", (FEEDS / "world.rss").read_bytes()))])
    assert main(["--config", str(config), "--data-dir", str(data), "fetch"]) == 3
    assert "not a newsreader cache" in capsys.readouterr().err
    assert (data / "cache.sqlite").read_bytes() == before
    assert feed_server.requests == []


def test_damage_through_a_real_subprocess_gives_no_traceback(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    _garbage(data / "cache.sqlite")
    run = subprocess.run([sys.executable, "-m", "newsreader", "--data-dir", str(data), "list"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 3
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and "damaged or not SQLite" in run.stderr


# -- crashes -------------------------------------------------------------------------------------


def test_an_error_mid_save_leaves_no_half_written_feed(store, monkeypatch):
    save(store, ATOM, parsed("world.atom").entries)
    calls = 0
    real = store_module.write_places

    def failing(*args):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("simulated crash after two stories")
        return real(*args)

    monkeypatch.setattr(store_module, "write_places", failing)
    feed_id = store.sync_feeds([WORLD])[WORLD.url]
    with pytest.raises(RuntimeError):
        store.save_feed(feed_id, parsed("world.rss").entries, etag='"v1"')
    assert store.feed_counts() == {"Atom": store.feed_counts()["Atom"]}
    assert store.count(StoryFilter(feed="World")).total == 0
    assert store.fetch_states([feed_id])[feed_id].etag is None, "the feed's state is part of the same transaction"
    assert store._read("SELECT count(*) FROM stories_fts")[0][0] == 3
    monkeypatch.undo()
    assert store.save_feed(feed_id, parsed("world.rss").entries).new == 4  # and the store still works


def test_a_killed_process_mid_save_loses_nothing_already_stored(tmp_path):
    """A real crash: the process dies inside the transaction, with no chance to roll back."""
    path = tmp_path / "cache.sqlite"
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from newsreader.feeds.parse import ParseOptions, parse_feed
        from newsreader.store import Store, feeds as store_module
        from newsreader.config.types import FeedConfig

        def entries(name):
            return parse_feed(Path({str(FEEDS)!r}, name).read_bytes(), ParseOptions(url="http://e.test/")).entries

        store = Store({str(path)!r})
        ids = store.sync_feeds([FeedConfig("Atom", "http://a.test/"), FeedConfig("World", "http://w.test/")])
        store.save_feed(ids["http://a.test/"], entries("world.atom"))
        calls = []
        real = store_module.write_places
        def dying(*args):
            calls.append(1)
            if len(calls) == 3:
                os._exit(9)
            return real(*args)
        store_module.write_places = dying
        store.save_feed(ids["http://w.test/"], entries("world.rss"))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 9, run.stderr
    with Store(path) as store:
        assert store.feed_counts().keys() == {"Atom"}
        assert store.total_stories() == 3
        assert store._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        store._db.execute("INSERT INTO stories_fts (stories_fts, rank) VALUES ('integrity-check', 1)")


def test_fetch_crash_through_refresh_keeps_finished_feeds(tmp_path, feed_server: FeedServer, monkeypatch):
    world = feed_server.feed("/world.rss", (FEEDS / "world.rss").read_bytes())
    atom = feed_server.feed("/world.atom", (FEEDS / "world.atom").read_bytes())
    from newsreader.config.types import Config

    config = Config(feeds=(FeedConfig("World", world), FeedConfig("Atom", atom)))
    with Store(tmp_path / "cache.sqlite") as store:
        refresh_feeds_sync(store, config, feeds=[config.feeds[1]])
        real = store.save_feed

        def disk_full(feed_id, entries, **kwargs):
            with store._write() as db:
                db.execute("INSERT INTO stories (feed_id, key, title, sort_at, fetched_at, content_hash) VALUES (?, 'x', 'x', 0, 0, '')",
                           (feed_id,))
                full = sqlite3.OperationalError("database or disk is full")
                full.sqlite_errorcode = sqlite3.SQLITE_FULL  # what SQLite sets; the store reads the code
                raise full

        monkeypatch.setattr(store, "save_feed", disk_full)
        with pytest.raises(DiskFull, match="the cache's disk is full"):
            refresh_feeds_sync(store, config, feeds=[config.feeds[0]])
        monkeypatch.setattr(store, "save_feed", real)
        assert store.feed_counts().keys() == {"Atom"}
        assert store.total_stories() == 3
