"""Reader UI benchmark: a cache of 100,000 stories, the app driven headless.

    python benchmarks/ui.py [--stories 100000] [--runs 5] [--tries 30] [--keep DIR]

Prints: start to first painted list (median of --runs fresh starts, each in its own process), a country
filter and a search keystroke to updated list (median and p95 over --tries), Enter to the reading view
painted, peak RSS, and Newsboat's start-up on a cache of the same size when `newsboat` is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ["ceasefire", "talks", "election", "protest", "budget", "summit", "minister", "president", "parliament", "court", "ruling", "strike", "trade", "deal", "energy", "pipeline", "drought", "flood", "earthquake", "vaccine", "hospital", "border", "refugees", "army", "drone", "missile", "sanctions", "oil", "gas", "market", "inflation", "bank", "rates", "currency", "exports", "farmers", "students", "police", "reform", "opposition", "coalition", "vote", "campaign", "scandal", "corruption", "investigation", "climate", "wildfire", "storm", "harvest", "port", "railway", "airport", "startup", "tech", "football", "marathon", "olympics", "festival", "museum", "heritage", "church", "mosque", "embassy", "envoy", "treaty", "alliance", "navy"]
#: Countries weighted roughly as world news covers them.
COUNTRIES = ["US"] * 12 + ["GB"] * 6 + ["CN"] * 6 + ["RU"] * 6 + ["UA"] * 6 + ["FR"] * 4 + ["DE"] * 4 + ["IL"] * 4 + [
    "PS", "IN", "JP", "BR", "AM", "AZ", "GE", "TR", "IR", "SY", "EG", "NG", "KE", "ZA", "AU", "CA", "MX", "AR",
    "PL", "ES", "IT", "SE", "NO", "FI", "KR", "KP", "PK", "AF", "IQ", "SA", "AE", "QA", "ET", "SO", "SD", "VE",
]
#: Filler vocabulary: news words plus pronounceable made-up ones, drawn with a Zipf-like skew so a search
#: word matches a realistic share of stories (a common word thousands, a rare one a handful).
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ba", "de", "fi", "gu", "ho", "ja", "ke"]
FEEDS = 100
#: The reader's list mode: a row per story cluster (its default) or, with --ungrouped, a row per story.
GROUPED = os.environ.get("NEWSREADER_BENCH_UNGROUPED") != "1"
CLOCK_NOW = 1_772_452_800.0  # 2026-03-02 12:00 UTC


def build_cache(directory: Path, stories: int) -> Path:
    """A cache of `stories` stories over FEEDS feeds, saved through Store.save_feed (fts and places included)."""
    from newsreader.config.types import FeedConfig
    from newsreader.geo.regions import regions_of_country
    from newsreader.model import ParsedEntry
    from newsreader.store import Store

    rng = random.Random(7)
    filler = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES]
    weights = [1 / (rank + 10) for rank in range(len(filler))]
    region_map = regions_of_country()
    store = Store(directory / "cache.sqlite")
    feeds = [FeedConfig(name=f"Feed {n:03d}", url=f"http://127.0.0.1:9/feed{n}.xml") for n in range(FEEDS)]
    ids = store.sync_feeds(feeds)
    per_feed = stories // FEEDS
    for number, feed in enumerate(feeds):
        entries = []
        for i in range(per_feed):
            words = rng.sample(WORDS, 2) + rng.choices(filler, weights, k=6)
            rng.shuffle(words)
            countries = tuple(dict.fromkeys(rng.choice(COUNTRIES) for _ in range(rng.choice((1, 1, 2, 3)))))
            regions = tuple(dict.fromkeys(r for c in countries for r in region_map.get(c, ())))
            title = " ".join(words[:6]).capitalize()
            summary = " ".join(rng.choices(filler, weights, k=40)) + "."
            key = f"{number}-{i}"
            published = CLOCK_NOW - rng.uniform(0, 90 * 86400)
            entries.append(ParsedEntry(
                key=key, guid=key, link=f"https://example.org/{key}", title=title, author=None, published=published,
                updated=None, summary=summary, content_html=None, text=summary + " " + " ".join(rng.choices(filler, weights, k=120)),
                categories=(), countries=countries, mentions=(), regions=regions, content_hash=key,
            ))
        store.save_feed(ids[feed.url], entries, fetched_at=CLOCK_NOW)
    store._read("PRAGMA optimize")
    store.close()
    return directory / "cache.sqlite"


def assign_clusters(directory: Path) -> int:
    """Story clusters as a news stream has them: in order of publication, a story joins one of the clusters
    active in the last three days half the time (the busier a cluster, the likelier), else starts its own.
    The titles here are word salad, so the clusterer itself would leave every story alone: the shape of the
    grouped list is what is measured, not the clusterer. Returns the number of clusters."""
    from newsreader.store import Store

    rng = random.Random(11)
    languages = ["en"] * 6 + ["fr", "de", "es", "pt", "ru", "ar"]
    store = Store(directory / "cache.sqlite")
    active: list[list[float]] = []  # [cluster id, newest story's time, stories]
    clusters = 0
    for batch in store.cluster_inputs():
        rows = []
        for story in batch:
            active = [c for c in active[-300:] if story.sort_at - c[1] < 72 * 3600]
            if active and rng.random() < 0.5:
                cluster = rng.choices(active, weights=[c[2] for c in active])[0]
                cluster[1], cluster[2] = story.sort_at, cluster[2] + 1
            else:
                cluster = [story.id, story.sort_at, 1]
                active.append(cluster)
                clusters += 1
            rows.append((story.id, int(cluster[0]), rng.choice(languages)))
        store.save_clusters(rows, expect=None, mark=None, check=False)
    store._read("PRAGMA optimize")
    store.close()
    return clusters


# -- driving the reader ------------------------------------------------------------------------------


def _instrument() -> dict[str, float]:
    """Record when the list first paints a story row, and when it paints after each load."""
    from newsreader.ui.widgets.story_list import StoryList

    marks: dict[str, float] = {}
    original = StoryList.render_line

    def render_line(self, y):  # type: ignore[no-untyped-def]
        strip = original(self, y)
        if self.total and self.rows_ready:
            marks.setdefault("first_paint", time.perf_counter())
            marks.setdefault(f"paint-{self._applied}", time.perf_counter())
        return strip

    StoryList.render_line = render_line  # type: ignore[method-assign]

    from textual.app import App

    display = App._display

    def displayed(self, screen, renderable):  # type: ignore[no-untyped-def]
        display(self, screen, renderable)
        if getattr(screen, "maximized", None) is not None:  # a frame of the reading view reached the terminal
            marks.setdefault("reading", time.perf_counter())

    App._display = displayed  # type: ignore[method-assign]
    return marks


def child_start(directory: Path, spawned: float) -> None:
    """One cold start in a fresh process: from the process being spawned to the first painted story row."""
    marks = _instrument()
    from newsreader.config.types import Config
    from newsreader.library import Library
    from newsreader.store import Store
    from newsreader.ui import make_app

    async def run() -> None:
        store = Store(directory / "cache.sqlite")
        app = make_app(Library(Config(), store=store), offline=True, state_path=None, grouped=GROUPED)
        async with app.run_test(size=(120, 40)) as pilot:
            while "first_paint" not in marks:
                await asyncio.sleep(0.001)
            await pilot.pause()
        store.close()

    wall_at_import = time.time()
    perf_at_import = time.perf_counter()
    asyncio.run(run())
    painted_wall = wall_at_import + (marks["first_paint"] - perf_at_import)
    print(json.dumps({"start": painted_wall - spawned}))


def child_interact(directory: Path, tries: int) -> None:
    """Country filters and search keystrokes to updated list, in one running app; then peak RSS."""
    import resource

    marks = _instrument()
    from newsreader.config.types import Config
    from newsreader.library import Library
    from newsreader.store import Store
    from newsreader.ui import make_app

    countries = ["AM", "US", "DE", "BR", "UA", "JP", "GB", "KE", "IR", "FR"]
    words = ["ceasefire", "election", "pipeline", "kalomi", "sanctions", "harvest", "drone"]
    results: dict[str, list[float]] = {"country": [], "search": [], "country_counted": [], "search_counted": [],
                                       "reading": []}

    async def until_painted(app, started: float, kind: str) -> float:  # type: ignore[no-untyped-def]
        """Seconds from `started` to the new rows painted; also records when the count arrived."""
        story_list = app.reader.story_list
        while True:
            generation = story_list._generation
            key = f"paint-{generation}"
            if story_list.rows_ready and (key in marks or not story_list.total):
                painted = (marks[key] if story_list.total else time.perf_counter()) - started
                break
            await asyncio.sleep(0.0005)
        while not story_list.settled:
            await asyncio.sleep(0.0005)
        results[f"{kind}_counted"].append(time.perf_counter() - started)
        return painted

    async def read(app, pilot) -> None:  # type: ignore[no-untyped-def]
        """Enter to the first frame of the reading view written to the terminal, then back. The action Enter
        is bound to is called directly: Pilot's key press waits until the whole process is idle (every
        thread), which is not what a person sees."""
        marks.pop("reading", None)
        started = time.perf_counter()
        app.reader.action_open_story()
        while "reading" not in marks:
            await asyncio.sleep(0.0005)
        results["reading"].append(marks["reading"] - started)
        await pilot.pause(0.3)
        await pilot.press("escape")
        await pilot.pause(0.05)
        await pilot.press("j")
        await pilot.pause(0.05)

    async def run() -> None:
        store = Store(directory / "cache.sqlite")
        app = make_app(Library(Config(), store=store), offline=True, state_path=None, grouped=GROUPED)
        async with app.run_test(size=(120, 40)) as pilot:
            while "first_paint" not in marks:
                await asyncio.sleep(0.001)
            await pilot.pause(1.0)
            for _ in range(max(5, tries // 3)):
                await read(app, pilot)
            for attempt in range(tries):
                code = countries[attempt % len(countries)]
                started = time.perf_counter()
                app.reader.set_filter("country", code)
                results["country"].append(await until_painted(app, started, "country"))
                await pilot.pause(0.05)
            app.reader.set_filter("country", None)
            await pilot.pause(0.2)
            await pilot.press("slash")
            box = app.reader.filter_bar.search_input
            typed = 0
            while typed < tries:
                word = words[(typed // 9) % len(words)]
                box.value = ""
                await pilot.pause(0.1)
                for character in word:
                    before = app.reader.story_list._generation
                    started = time.perf_counter()
                    box.insert_text_at_cursor(character)
                    while app.reader.story_list._generation == before:  # the search box hands the text on
                        await asyncio.sleep(0.0005)
                    results["search"].append(await until_painted(app, started, "search"))
                    typed += 1
                    await pilot.pause(0.03)
            await pilot.press("escape")
            await pilot.pause(0.1)
        store.close()

    asyncio.run(run())
    results["rss_mb"] = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]  # type: ignore[list-item]
    print(json.dumps(results))


# -- Newsboat ----------------------------------------------------------------------------------------


def newsboat_cache(directory: Path, stories: int) -> Path | None:
    """A Newsboat cache with the same number of items over the same number of feeds (titles and text alike)."""
    if shutil.which("newsboat") is None:
        return None
    target = directory / "newsboat"
    target.mkdir(exist_ok=True)
    urls = target / "urls"
    urls.write_text("".join(f"http://127.0.0.1:9/feed{n}.xml\n" for n in range(FEEDS)))
    cache = target / "cache.db"
    if cache.exists():
        with sqlite3.connect(cache) as db:
            if db.execute("SELECT count(*) FROM rss_item").fetchone()[0] == stories:
                return target
        cache.unlink()
    # Let Newsboat create its own schema, then fill it from our cache.
    subprocess.run(["newsboat", "-u", str(urls), "-c", str(cache), "-x", "print-unread"], check=True,
                   capture_output=True, timeout=60)
    ours = sqlite3.connect(directory / "cache.sqlite")
    with sqlite3.connect(cache) as db:
        db.executemany("INSERT INTO rss_feed (rssurl, url, title) VALUES (?, ?, ?)",
                       [(f"http://127.0.0.1:9/feed{n}.xml", f"http://127.0.0.1:9/{n}", f"Feed {n:03d}") for n in range(FEEDS)])
        rows = ours.execute(
            "SELECT s.guid, s.title, s.link, f.url, CAST(s.sort_at AS INTEGER), s.text FROM stories s JOIN feeds f ON f.id = s.feed_id"
        )
        db.executemany(
            "INSERT INTO rss_item (guid, title, author, url, feedurl, pubDate, content, unread) VALUES (?, ?, '', ?, ?, ?, ?, 1)",
            rows,
        )
    ours.close()
    return target


def newsboat_start(target: Path) -> float:
    """Newsboat loading its whole cache and exiting (`-x print-unread`; it reads every item at start)."""
    started = time.perf_counter()
    subprocess.run(["newsboat", "-u", str(target / "urls"), "-c", str(target / "cache.db"), "-x", "print-unread"],
                   check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


# -- main --------------------------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5, help="cold starts to take the median of")
    parser.add_argument("--tries", type=int, default=30, help="filters and keystrokes to time")
    parser.add_argument("--ungrouped", action="store_true", help="measure the list with a row per story (G)")
    parser.add_argument("--keep", metavar="DIR", help="build (or reuse) the cache here instead of a temporary directory")
    parser.add_argument("--child-start", nargs=2, metavar=("DIR", "SPAWNED"), help=argparse.SUPPRESS)
    parser.add_argument("--child-interact", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_start:
        child_start(Path(args.child_start[0]), float(args.child_start[1]))
        return
    if args.child_interact:
        child_interact(Path(args.child_interact), args.tries)
        return

    directory = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="newsreader-ui-bench-"))
    directory.mkdir(parents=True, exist_ok=True)
    cache = directory / "cache.sqlite"
    have = 0
    if cache.exists():
        from newsreader.store import Store

        with Store(cache) as store:  # also brings an older cache's schema up to date
            have = store.total_stories()
    if have != args.stories:
        for leftover in directory.glob("cache.sqlite*"):
            leftover.unlink()
        started = time.perf_counter()
        build_cache(directory, args.stories)
        print(f"built a cache of {args.stories:,} stories in {time.perf_counter() - started:.1f} s "
              f"({cache.stat().st_size / 2**20:.0f} MiB)")
    else:
        print(f"reusing the cache of {have:,} stories in {directory}")
    from newsreader.store import Store

    with Store(cache) as store:
        unclustered = store.unclustered_count()
    if unclustered:  # the reader groups by story cluster by default: give the cache the clusters a stream has
        started = time.perf_counter()
        clusters = assign_clusters(directory)
        print(f"put them in {clusters:,} story clusters in {time.perf_counter() - started:.1f} s")

    env = {**os.environ, "NEWSREADER_DATA_DIR": str(directory), "NEWSREADER_BENCH_UNGROUPED": "1" if args.ungrouped else "0"}
    starts = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, __file__, "--child-start", str(directory), repr(time.time())],
                             capture_output=True, text=True, env=env, check=True)
        starts.append(json.loads(out.stdout.strip().splitlines()[-1])["start"])
    out = subprocess.run([sys.executable, __file__, "--child-interact", str(directory), "--tries", str(args.tries)],
                         capture_output=True, text=True, env=env, check=True)
    interact = json.loads(out.stdout.strip().splitlines()[-1])

    print(f"\nReader UI, {args.stories:,} cached stories, " + ("a row per story" if args.ungrouped else "grouped by story cluster"))
    print(f"  start to first painted list   median {statistics.median(starts) * 1000:6.0f} ms  "
          f"(runs: {', '.join(f'{s * 1000:.0f}' for s in starts)})   target < 600 ms")
    for kind, label in (("country", "country filter to updated list"), ("search", "search keystroke to updated list")):
        values = interact[kind]
        print(f"  {label:30s} median {statistics.median(values) * 1000:6.1f} ms  p95 {_percentile(values, 0.95) * 1000:6.1f} ms"
              f"  max {max(values) * 1000:6.1f} ms  (n={len(values)})   target < 50 / 150 ms")
    for kind, label in (("country_counted", "country filter to exact count"), ("search_counted", "search keystroke to exact count")):
        values = interact[kind]
        print(f"  {label:30s} median {statistics.median(values) * 1000:6.1f} ms  p95 {_percentile(values, 0.95) * 1000:6.1f} ms")
    values = interact["reading"]
    print(f"  Enter to the reading view     median {statistics.median(values) * 1000:6.1f} ms  p95 "
          f"{_percentile(values, 0.95) * 1000:6.1f} ms  (n={len(values)})   target < 100 ms")
    print(f"  peak RSS                      {interact['rss_mb'][0]:6.0f} MB   target < 150 MB")

    target = newsboat_cache(directory, args.stories)
    if target is None:
        print("  Newsboat                      not installed: no comparison")
    else:
        newsboat_start(target)  # warm the page cache, as our runs are
        times = [newsboat_start(target) for _ in range(args.runs)]
        print(f"  Newsboat start (-x print-unread, same {args.stories:,} items) median {statistics.median(times) * 1000:6.0f} ms"
              f"  (runs: {', '.join(f'{t * 1000:.0f}' for t in times)})")


if __name__ == "__main__":
    main()
