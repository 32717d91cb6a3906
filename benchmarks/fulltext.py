"""Full-text speed and size: extraction of 200 served pages, cache bytes per story, and the plain fetch.

    python benchmarks/fulltext.py            # everything
    python benchmarks/fulltext.py --plain    # only the fetch of feeds without full text

1. 200 article pages (the real pages of ../shared/corpus/articles, each served under ten paths; a page of
   our own when the corpus is absent) linked from 10 feeds, fetched with full text on: pages per second
   through the whole pipeline on both cores, and extraction alone (a process pool over the same bytes, no
   network). Peak RSS of the fetching process and of the largest extraction worker.
2. Cache bytes per story: the same feeds fetched with and without full text, per table (SQLite dbstat).
3. The fetch of 500 feeds (30 stories each) without full text, five runs: it must not get slower because
   full text exists. Run `--plain` against an older tree to compare (see benchmarks/README.md).

The server runs in its own process, so its threads do not share the fetcher's GIL or its RSS.
"""

from __future__ import annotations

import argparse
import html
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT.parent / "shared" / "corpus" / "articles"
sys.path.insert(0, str(ROOT / "tests"))

PAGES = 200
PAGE_FEEDS = 10
PLAIN_FEEDS = 500
PLAIN_STORIES = 30


def article_bodies() -> list[tuple[str, bytes]]:
    pages = sorted(p for p in ARTICLES.glob("*.html") if ".expected" not in p.name) if ARTICLES.is_dir() else []
    if not pages:
        pages = [ROOT / "tests" / "pages" / "article.html"]
    return [(page.stem, page.read_bytes()) for page in pages]


def _rss(title: str, items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link><guid>{html.escape(link)}</guid>"
        f"<description>Two lines about {html.escape(t)}, as most feeds give.</description>"
        f"<pubDate>Mon, 02 Mar 2026 {index % 24:02d}:00:00 GMT</pubDate></item>"
        for index, (t, link) in enumerate(items)
    )
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>{html.escape(title)}</title>"
            f"{entries}</channel></rss>").encode()


def _serve(ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """The loopback server, in its own process: article pages, their feeds, and the plain feeds."""
    from feedserver import FeedServer

    with FeedServer() as server:
        bodies = article_bodies()
        links = []
        for index in range(PAGES):
            stem, body = bodies[index % len(bodies)]
            links.append((f"{stem} #{index}", server.feed(f"/articles/{index}/{stem}.html", body, content_type="text/html")))
        per_feed = PAGES // PAGE_FEEDS
        for feed in range(PAGE_FEEDS):
            server.feed(f"/pages/{feed}.xml", _rss(f"Pages {feed}", links[feed * per_feed:(feed + 1) * per_feed]))
        for feed in range(PLAIN_FEEDS):
            items = [(f"Story {feed}.{n} about the news of the day", server.url(f"/story/{feed}/{n}.html"))
                     for n in range(PLAIN_STORIES)]
            server.feed(f"/plain/{feed}.xml", _rss(f"Feed {feed}", items))
        ready.put(server.base_url)
        stop.wait()


def _peak_rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def _high_water_mib(pid: int) -> float:
    """A live process's peak RSS (VmHWM), from /proc: pool workers are the forkserver's children, not ours."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _config(base: str, paths: list[str], name: str):
    from newsreader.config.types import Config, FeedConfig, Settings

    feeds = tuple(FeedConfig(name=f"{name} {i}", url=f"{base}{path}") for i, path in enumerate(paths))
    return Config(settings=Settings(concurrency=32, per_host=8), feeds=feeds)


def _table_bytes(store) -> dict[str, int]:
    groups: dict[str, int] = {}
    for name, size in store._read("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        key = "stories_fts (index)" if name.startswith("stories_fts") else name
        groups[key] = groups.get(key, 0) + size
    return groups


def bench_pages(base: str) -> None:
    from newsreader.fulltext import extract_article
    from newsreader.refresh import refresh_feeds_sync
    from newsreader.store import Store

    paths = [f"/pages/{i}.xml" for i in range(PAGE_FEEDS)]
    config = _config(base, paths, "Pages")
    with tempfile.TemporaryDirectory() as directory:
        with Store(Path(directory) / "with.sqlite") as store:
            started = time.perf_counter()
            summary = refresh_feeds_sync(store, config, fulltext=True)
            seconds = time.perf_counter() - started
            with_text = store.storage_stats()
            with_tables = _table_bytes(store)
        with Store(Path(directory) / "without.sqlite") as store:
            refresh_feeds_sync(store, config, fulltext=False)
            without = store.storage_stats()
            without_tables = _table_bytes(store)
    print(f"pipeline: {summary.articles_extracted} articles extracted, {summary.articles_failed} failed "
          f"in {seconds:.2f} s: {summary.articles_extracted / seconds:.1f} pages/s (download + extract + store, 2 workers)")

    bodies = article_bodies()
    work = [bodies[i % len(bodies)] for i in range(PAGES)]
    context = multiprocessing.get_context("forkserver")
    from concurrent.futures import ProcessPoolExecutor

    from newsreader.fulltext import _warm_up

    worker_peak = 0.0
    for workers in (1, 2):
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_warm_up) as pool:
            list(pool.map(extract_article, [work[0][1]] * workers, ["text/html"] * workers,
                          ["http://127.0.0.1/a.html"] * workers))  # workers started and warm
            started = time.perf_counter()
            list(pool.map(extract_article, [b for _, b in work], ["text/html"] * PAGES,
                          [f"http://127.0.0.1/{s}.html" for s, _ in work], chunksize=4))
            seconds = time.perf_counter() - started
            worker_peak = max([worker_peak, *(_high_water_mib(pid) for pid in pool._processes)])
        print(f"extraction alone, {workers} worker{'s' if workers > 1 else ''}: {PAGES / seconds:.1f} pages/s")
    mean_page = sum(len(b) for _, b in work) / len(work)
    print(f"pages: {PAGES}, mean {mean_page / 1024:.0f} KiB of HTML")
    print(f"peak RSS: fetching process {_peak_rss_mib(resource.RUSAGE_SELF):.0f} MiB, "
          f"largest extraction worker {worker_peak:.0f} MiB")

    print()
    print(f"cache without full text: {without.file_bytes / 1024:.0f} KiB for {without.stories} stories = "
          f"{without.bytes_per_story / 1024:.1f} KiB/story")
    print(f"cache with full text:    {with_text.file_bytes / 1024:.0f} KiB for {with_text.stories} stories = "
          f"{with_text.bytes_per_story / 1024:.1f} KiB/story "
          f"(article Markdown {with_text.article_text_bytes / max(1, with_text.articles) / 1024:.1f} KiB/story)")
    for name in sorted(set(with_tables) | set(without_tables), key=lambda n: -with_tables.get(n, 0)):
        if with_tables.get(name, 0) >= 16384:
            print(f"  {name:<24} {without_tables.get(name, 0) / 1024:8.0f} KiB -> {with_tables.get(name, 0) / 1024:8.0f} KiB")


def bench_plain(base: str, runs: int = 5) -> None:
    from newsreader.refresh import refresh_feeds_sync
    from newsreader.store import Store

    config = _config(base, [f"/plain/{i}.xml" for i in range(PLAIN_FEEDS)], "Plain")
    first, again, cpu = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as directory, Store(Path(directory) / "cache.sqlite") as store:
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = refresh_feeds_sync(store, config)
            first.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            started = time.perf_counter()
            refresh_feeds_sync(store, config)
            again.append(time.perf_counter() - started)
    print(f"fetch of {PLAIN_FEEDS} feeds without full text ({summary.new} stories), {runs} runs: "
          f"first fetch median {statistics.median(first):.2f} s (min {min(first):.2f}), "
          f"refetch (all 304) median {statistics.median(again):.2f} s")
    # CPU time of the fetching process (parsing runs in workers): steadier than wall time on a busy machine.
    print(f"  fetching process CPU per first fetch: median {statistics.median(cpu):.2f} s")
    print(f"  code under test: {sys.modules['newsreader'].__file__}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plain", action="store_true", help="only the fetch of feeds without full text")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve, args=(ready, stop), daemon=True)
    server.start()
    try:
        base = ready.get(timeout=120)
        print(f"{os.cpu_count()} cores; corpus pages: {'yes' if ARTICLES.is_dir() else 'no (one page of our own)'}")
        if not args.plain:
            bench_pages(base)
            print()
        bench_plain(base)
    finally:
        stop.set()
        server.join(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
