"""Retention: keep_days and max_stories, what is always kept, the refresh that applies it, and `vacuum`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.config import load_config
from newsreader.config.types import FeedConfig
from newsreader.model import StoryFilter
from newsreader.refresh import refresh_feeds
from newsreader.store import Store

from feedserver import write_feeds_toml
from story_factory import DAY, add_stories, entry, ids_by_key

NOW = 1_800_000_000.0
CAPPED = FeedConfig(name="Capped", url="https://capped.example/rss", max_stories=3)
OTHER = FeedConfig(name="Other", url="https://other.example/rss")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "cache.sqlite") as store:
        yield store


def _keys(store: Store) -> set[str]:
    return set(ids_by_key(store))


def test_old_stories_go_read_or_unread_but_starred_stay(store: Store) -> None:
    add_stories(store, OTHER, [entry("fresh", published=NOW - 1 * DAY)], fetched_at=NOW - 1 * DAY)
    add_stories(store, OTHER, [
        entry("old-unread", published=NOW - 40 * DAY),
        entry("old-read", published=NOW - 40 * DAY),
        entry("old-starred", published=NOW - 400 * DAY),
    ], fetched_at=NOW - 40 * DAY)
    ids = ids_by_key(store)
    store.set_read([ids["old-read"]])
    store.set_starred(ids["old-starred"])
    result = store.apply_retention(30, now=NOW)
    assert (result.expired, result.over_cap, result.total) == (2, 0, 2)
    assert _keys(store) == {"fresh", "old-starred"}


def test_age_runs_from_first_fetch_for_old_stories_arriving_late(store: Store) -> None:
    add_stories(store, OTHER, [entry("archive", published=NOW - 365 * DAY)], fetched_at=NOW - 1 * DAY)
    assert store.apply_retention(30, now=NOW).total == 0
    assert _keys(store) == {"archive"}


def test_max_stories_keeps_the_newest_n_and_unread_ones_inside_the_window(store: Store) -> None:
    # Ten stories, newest first s0..s9, all within keep_days.
    add_stories(store, CAPPED, [entry(f"s{n}", published=NOW - n * 3600) for n in range(10)], fetched_at=NOW)
    add_stories(store, OTHER, [entry(f"o{n}", published=NOW - n * 3600) for n in range(10)], fetched_at=NOW)
    ids = ids_by_key(store)
    store.set_read([ids[k] for k in ("s0", "s1", "s4", "s5", "s6", "s8", "o9")])
    store.set_starred(ids["s5"])
    result = store.apply_retention(30, {CAPPED.url: 3}, now=NOW)
    # s0-s2 are the newest three; beyond them read ones go (s4, s6, s8), starred s5 and unread ones stay.
    assert result.over_cap == 3 and result.expired == 0
    assert {k for k in _keys(store) if k.startswith("s")} == {"s0", "s1", "s2", "s3", "s5", "s7", "s9"}
    assert len([k for k in _keys(store) if k.startswith("o")]) == 10  # no cap: untouched


def test_unread_stories_beyond_the_cap_go_once_out_of_the_window(store: Store) -> None:
    for n in range(6):  # one a day, each fetched the day it appeared
        add_stories(store, CAPPED, [entry(f"s{n}", published=NOW - n * DAY)], fetched_at=NOW - n * DAY)
    result = store.apply_retention(3.5, {CAPPED.url: 2}, now=NOW)
    assert result.expired == 2 and result.over_cap == 0
    assert _keys(store) == {"s0", "s1", "s2", "s3"}


def test_a_cap_for_an_unknown_feed_is_harmless(store: Store) -> None:
    add_stories(store, OTHER, [entry("a")])
    assert store.apply_retention(30, {"https://nowhere.example/": 1}).total == 0


def test_delete_older_than_still_answers_with_a_count(store: Store) -> None:
    add_stories(store, OTHER, [entry("old", published=NOW - 100 * DAY)], fetched_at=NOW - 100 * DAY)
    assert store.delete_older_than(90, now=NOW) == 1


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Capped</title><link>http://x/</link>
{items}</channel></rss>"""


def _rss(count: int) -> str:
    stamp = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() - 3600))
    items = "".join(f"<item><guid>g{n}</guid><title>Story {n}</title><pubDate>{stamp}</pubDate></item>" for n in range(count))
    return RSS.format(items=items)


async def test_refresh_applies_max_stories_at_the_end(feed_server, tmp_path: Path) -> None:
    url = feed_server.feed("/capped.xml", _rss(8))
    config_path = tmp_path / "feeds.toml"
    config_path.write_text(f'[[feeds]]\nname = "Capped"\nurl = "{url}"\nmax_stories = 3\n')
    config = load_config(config_path)
    with Store(tmp_path / "cache.sqlite") as store:
        first = await refresh_feeds(store, config, parse_workers=0)
        assert first.new == 8 and first.deleted == 0  # all unread: kept
        store.set_read(store.story_ids())
        feed_server.feed("/capped.xml", _rss(9))
        second = await refresh_feeds(store, config, parse_workers=0)
        assert second.new == 1
        assert second.deleted == 6  # read and beyond the newest three
        assert store.total_stories() == 3


def test_vacuum_reports_what_it_freed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Other", OTHER.url)], settings={"keep_days": 30})
    data = tmp_path / "data"
    with Store(data / "cache.sqlite") as store:
        body = "words " * 2000
        add_stories(store, OTHER, [entry(f"old{n}", published=NOW - 100 * DAY, text=body) for n in range(200)],
                    fetched_at=time.time() - 100 * DAY)
        add_stories(store, OTHER, [entry("new", text=body)])
        before = store.file_size()
    assert main(["--config", str(config), "--data-dir", str(data), "vacuum"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("Deleted 200 stories (200 older than 30 days); cache ")
    assert "freed" in line
    with Store(data / "cache.sqlite") as store:
        assert store.total_stories() == 1
        assert store.file_size() < before / 4
        assert [s.title for s in store.stories(StoryFilter(search="words"))] == ["Story new"]


def test_vacuum_without_a_config_uses_the_default_keep_days(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("newsreader.library.find_config", lambda explicit=None: None)
    assert main(["--data-dir", str(tmp_path / "data"), "vacuum"]) == 0
    assert capsys.readouterr().out.startswith("Deleted 0 stories (0 older than 90 days); cache ")
