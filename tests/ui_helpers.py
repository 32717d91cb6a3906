"""Building reader test caches: real SQLite files filled through `Store.save_feed`, and a fixed clock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.geo.regions import regions_of_country
from newsreader.model import ParsedEntry
from newsreader.store import Store

#: The reader's "now" in every UI test and snapshot: relative times and dates never drift.
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


def entry(
    key: str,
    title: str,
    *,
    hours_ago: float = 1.0,
    summary: str = "",
    text: str | None = None,
    countries: Sequence[str] = (),
    mentions: Sequence[str] = (),
    link: str | None = None,
    author: str | None = None,
) -> ParsedEntry:
    """One parsed story, tagged with `countries` and the regions they belong to."""
    published = (NOW - timedelta(hours=hours_ago)).timestamp()
    regions: list[str] = []
    for code in countries:
        for name in regions_of_country().get(code, ()):
            if name not in regions:
                regions.append(name)
    body = text if text is not None else summary
    digest = hashlib.blake2b(f"{title}\x00{summary}\x00{body}".encode(), digest_size=12).hexdigest()
    return ParsedEntry(
        key=key, guid=key, link=link if link is not None else f"https://example.org/{key}", title=title,
        author=author, published=published, updated=None, summary=summary, content_html=None, text=body,
        categories=(), countries=tuple(countries), mentions=tuple(mentions), regions=tuple(regions),
        content_hash=digest,
    )


def feed_config(name: str, url: str | None = None) -> FeedConfig:
    slug = "".join(c for c in name.lower() if c.isalnum()) or "feed"
    return FeedConfig(name=name, url=url or f"http://127.0.0.1:9/{slug}.xml")


def config_for(feeds: Iterable[FeedConfig], **settings: object) -> Config:
    return Config(settings=Settings(**settings), feeds=tuple(feeds))  # type: ignore[arg-type]


def fill(store: Store, stories: dict[FeedConfig, Sequence[ParsedEntry]]) -> dict[str, int]:
    """Save each feed's stories as if just fetched (fetched at NOW); returns url -> feed id."""
    ids = store.sync_feeds(list(stories))
    for feed, entries in stories.items():
        store.save_feed(ids[feed.url], list(entries), fetched_at=NOW.timestamp())
    return ids


WORLD = feed_config("World Desk")
CAUCASUS = feed_config("Caucasus Wire")
EUROPE = feed_config("Europe Today")


def sample_stories() -> dict[FeedConfig, list[ParsedEntry]]:
    """A small, fixed world: three feeds, a dozen stories about known countries, one full article."""
    return {
        WORLD: [
            entry("w1", "Ceasefire talks resume in Sochi", hours_ago=0.5, countries=("AM", "AZ", "RU"),
                  summary="Armenia and Azerbaijan return to talks hosted by Russia.", author="A. Reporter",
                  text="Leaders met in Sochi on Monday.\n\nThe talks focused on the ceasefire line."),
            entry("w2", "Floods hit southern Brazil", hours_ago=3, countries=("BR",),
                  summary="Thousands evacuated as rivers burst their banks."),
            entry("w3", "Japan's central bank holds rates", hours_ago=7, countries=("JP",),
                  summary="The Bank of Japan kept rates unchanged."),
            entry("w4", "Kenya marathon record falls", hours_ago=30, countries=("KE",),
                  summary="A new course record in Nairobi."),
            entry("w5", "Elections called in Canada", hours_ago=200, countries=("CA",),
                  summary="Voters go to the polls next month."),
        ],
        CAUCASUS: [
            entry("c1", "Yerevan hosts regional summit", hours_ago=1, countries=("AM",),
                  summary="Armenian officials welcomed delegations."),
            entry("c2", "Georgia's parliament passes budget", hours_ago=5, countries=("GE",),
                  summary="Tbilisi approved spending for next year."),
            entry("c3", "Baku ceasefire monitors report calm", hours_ago=26, countries=("AZ", "AM"),
                  summary="Monitors say the ceasefire holds."),
        ],
        EUROPE: [
            entry("e1", "Germany and France agree energy pact", hours_ago=2, countries=("DE", "FR"),
                  summary="Berlin and Paris sign a deal on power lines."),
            entry("e2", "Polish farmers protest in Warsaw", hours_ago=9, countries=("PL",),
                  summary="Tractors block the capital's roads."),
            entry("e3", "Spain wildfire contained", hours_ago=50, countries=("ES",),
                  summary="Firefighters bring a blaze under control."),
            entry("e4", "Armenia signs trade deal with the EU", hours_ago=4, countries=("AM",),
                  summary="Armenian exporters gain access to European markets."),
        ],
    }


def sample_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "cache.sqlite")
    fill(store, sample_stories())
    return store


def sample_config(**settings: object) -> Config:
    return config_for(sample_stories(), **settings)


def story_id(store: Store, key: str) -> int:
    return store._read("SELECT id FROM stories WHERE key = ?", (key,))[0][0]


def screen_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The text of what is on screen now, line by line, as the terminal would get it."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_segments(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [segment.text for strip in app.screen._compositor.render_strips() for segment in strip]


async def settle(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """Wait until the list has loaded what the filters say and the screen has caught up."""
    from textual.css.query import NoMatches

    for _ in range(300):
        await pilot.pause()
        try:
            story_list = app.reader.story_list
        except NoMatches:  # the reader screen is not composed yet
            story_list = None
        if story_list is not None and story_list.settled and app.screen is not None:
            break
        await pilot.pause(0.01)
    await pilot.pause()


async def wait_for(pilot, condition, what: str = "a condition", timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Wait on an event, not the clock: pause until `condition()` holds (or fail after `timeout`)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def recording_browser(directory: Path) -> tuple[str, Path]:
    """A real browser command for `[settings] browser`: a small program that writes down each link it is given.
    Returns the command and the file the links go to (one a line)."""
    import shlex
    import sys

    log = directory / "opened.txt"
    script = directory / "browser.py"
    script.write_text(f"import sys\nwith open({str(log)!r}, 'a') as out:\n    out.write(sys.argv[1] + '\\n')\n")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} %u", log


async def opened_links(pilot, log: Path, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The links the recording browser was given, once there are `count` of them (it runs in the background)."""
    for _ in range(250):
        if log.exists() and len(lines := log.read_text().splitlines()) >= count:
            return lines
        await pilot.pause(0.02)
    return log.read_text().splitlines() if log.exists() else []
