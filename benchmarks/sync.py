"""Sync benchmark: a first sync of many stories from a real tt-rss, then an incremental one.

Needs the test servers (`.ci/sync-servers.sh start`, as root; it empties the test user, so run it first for
figures that count only this script's stories). The script writes N feeds x M items into the servers' feed
folder (served at http://[::1]/), subscribes the test user to them through the API, and runs tt-rss's
updater once (not timed: that is the server's work, not the reader's). Then, timed:

- first sync: feeds(), categories(), then every headline with its content, 200 a call (what a reader
  with an empty cache asks for);
- incremental sync: after K new items across the feeds and another updater run, the headlines with an id
  above the largest seen (since_id).

For each it prints wall time, the time spent waiting on the server (from sending a request to having its
whole answer: WireStats.seconds) and its share of the wall time, requests, bytes received, and the
process's peak RSS. Until the reader's sync exists, each page is only turned into RemoteStory values and
dropped: `consume()` is where the integration stores them, and then the figures include the cache.

    python benchmarks/sync.py                       # 50 feeds x 200 items = 10,000, then 500 new
    python benchmarks/sync.py --feeds 10 --items 100 --new 50
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from newsreader.sync import RemoteStory, TtRssClient  # noqa: E402

from sync_servers import FeedFolder, item, rss, servers_or_reason  # noqa: E402

FILLER = ("<p>Officials said the decision followed weeks of negotiation and would be reviewed within a year. "
          "Critics called it rushed; supporters said it was overdue.</p>")


def consume(page: list[RemoteStory]) -> None:
    """Where the reader's sync stores a page (the integration replaces this)."""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_feeds(folder: FeedFolder, feeds: int, items: int, new: int = 0) -> list[str]:
    urls = []
    for f in range(feeds):
        fresh = [item(f"{folder.token}-{f}-new-{n}", f"New {n} in feed {f}", description=FILLER)
                 for n in range(new // feeds + (1 if f < new % feeds else 0))]
        old = [item(f"{folder.token}-{f}-{n}", f"Story {n} in feed {f}", minutes_ago=5 + n, description=FILLER * 3)
               for n in range(items)]
        urls.append(folder.write(f"feed-{f}.xml", rss(f"Bench feed {f}", fresh + old)))
    return urls


async def timed_sync(ttrss: TtRssClient, since_id: int, with_lists: bool) -> tuple[dict, int]:
    ttrss.stats.requests = ttrss.stats.bytes = 0
    ttrss.stats.seconds = 0.0
    started = time.perf_counter()
    if with_lists:
        await ttrss.feeds()
        await ttrss.categories()
    count, largest = 0, since_id
    async for page in ttrss.headlines(since_id=since_id, show_content=True):
        consume(page)
        count += len(page)
        largest = max(largest, *(story.id for story in page))
    wall = time.perf_counter() - started
    figures = {"stories": count, "wall": wall, "waiting": ttrss.stats.seconds,
               "share": ttrss.stats.seconds / wall if wall else 0.0, "requests": ttrss.stats.requests,
               "mb": ttrss.stats.bytes / 1e6, "rss": peak_rss_mb()}
    return figures, largest


def show(name: str, f: dict) -> None:
    print(f"{name}: {f['stories']} stories in {f['wall']:.2f} s; waiting on the server {f['waiting']:.2f} s "
          f"({f['share']:.0%}); {f['requests']} requests, {f['mb']:.1f} MB; peak RSS {f['rss']:.0f} MB")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=200, help="items per feed (tt-rss keeps what the feed has)")
    parser.add_argument("--new", type=int, default=500, help="new items for the incremental sync")
    parser.add_argument("--keep", action="store_true", help="leave the feeds and subscriptions in place")
    args = parser.parse_args()

    servers, reason = servers_or_reason()
    if servers is None:
        print(reason, file=sys.stderr)
        return 2
    folder = FeedFolder(servers)
    async with httpx.AsyncClient(timeout=httpx.Timeout(300, connect=5)) as http:
        ttrss = TtRssClient(http, servers.ttrss_url, servers.ttrss_user, servers.ttrss_password)
        feed_ids = []
        try:
            t = time.perf_counter()
            urls = write_feeds(folder, args.feeds, args.items)
            for url in urls:
                feed_ids.append((await ttrss.subscribe(url)).feed_id)
            servers.ttrss_update()
            print(f"setup: {args.feeds} feeds x {args.items} items subscribed and fetched by tt-rss "
                  f"in {time.perf_counter() - t:.1f} s (not timed below)")

            first, largest = await timed_sync(ttrss, 0, with_lists=True)
            show("first sync", first)

            write_feeds(folder, args.feeds, args.items, new=args.new)
            servers.ttrss_update()
            incremental, _ = await timed_sync(ttrss, largest, with_lists=True)
            show("incremental sync", incremental)
        finally:
            if not args.keep:
                for feed_id in feed_ids:
                    await ttrss.unsubscribe(feed_id)
                folder.remove()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
