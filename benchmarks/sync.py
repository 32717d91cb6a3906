"""Sync benchmark: a first sync of many stories from a real tt-rss, then an incremental one, through the
product (the library's sync, as `newsreader sync` runs it) or through the protocol client alone.

Needs the test servers (`.ci/sync-servers.sh start`, as root; it empties the test user, so run it first for
figures that count only this script's stories). The script writes N feeds x M items into the servers' feed
folder (served at http://[::1]/), subscribes the test user to them through the API, and runs tt-rss's
updater once (not timed: that is the server's work, not the reader's). Then, timed:

- first sync: a fresh cache, and everything the server has: feeds, categories, every headline with its
  content, 200 a call, each read, tagged and stored; then the read and starred flags of every story;
- incremental sync: after K new items across the feeds and another updater run, the same cache asks for the
  headlines with an id above the largest seen (since_id), then the flags again.

Through the product (the default) each sync runs in a child process (`Library.sync()`, what the command runs,
with its own cache in a temporary folder), which reports its wall time, the time spent waiting on the server
(from sending a request to having its whole answer) and its share of the wall time, requests, its CPU time
and its peak RSS (the sync starts no worker processes: that is all its memory). `--clients` times TtRssClient alone, each
page turned into RemoteStory values and dropped, with the bytes received.

    python benchmarks/sync.py                       # 50 feeds x 200 items = 10,000, then 500 new
    python benchmarks/sync.py --feeds 10 --items 100 --new 50
    python benchmarks/sync.py --clients
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from newsreader.sync import RemoteStory, TtRssClient  # noqa: E402

from sync_servers import FeedFolder, SyncServers, item, rss, servers_or_reason  # noqa: E402

FILLER = ("<p>Officials said the decision followed weeks of negotiation and would be reviewed within a year. "
          "Critics called it rushed; supporters said it was overdue.</p>")
PLACES = ["Armenia", "Kenya", "Brazil", "Japan", "Germany", "Chile", "India", "Canada", "Egypt", "Peru"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_feeds(folder: FeedFolder, feeds: int, items: int, new: int = 0) -> list[str]:
    urls = []
    for f in range(feeds):
        fresh = [item(f"{folder.token}-{f}-new-{n}", f"New {n} in feed {f}: {PLACES[n % 10]} votes", description=FILLER)
                 for n in range(new // feeds + (1 if f < new % feeds else 0))]
        old = [item(f"{folder.token}-{f}-{n}", f"Story {n} in feed {f}: talks in {PLACES[(n + f) % 10]}",
                    minutes_ago=5 + n, description=FILLER * 3)
               for n in range(items)]
        urls.append(folder.write(f"feed-{f}.xml", rss(f"Bench feed {f}", fresh + old)))
    return urls


def show(name: str, f: dict) -> None:
    line = (f"{name}: {f['stories']} stories in {f['wall']:.2f} s; waiting on the server {f['waiting']:.2f} s "
            f"({f['share']:.0%}); {f['requests']} requests")
    if "mb" in f:
        line += f", {f['mb']:.1f} MB"
    if "cpu" in f:
        line += f"; CPU {f['cpu']:.1f} s (start-up included)"
    print(line + f"; peak RSS {f['rss']:.0f} MB")


# -- through the product -------------------------------------------------------------------------------


def child(config: str, data: str) -> int:
    """In the child process: one sync through the library, its figures as JSON on stdout."""
    from newsreader.library import open_library

    started = time.perf_counter()
    with open_library(config, data) as library:
        summary = library.sync()
        total = library.total_stories()
    outcome = summary.sync
    assert outcome is not None
    if not outcome.ok:
        print(outcome.error, file=sys.stderr)
        return 1
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"stories": outcome.new, "cached": total, "wall": wall, "sync": outcome.seconds,
                      "waiting": outcome.waiting, "share": outcome.waiting / wall, "requests": outcome.requests,
                      "cpu": usage.ru_utime + usage.ru_stime, "rss": peak_rss_mb()}))
    return 0


def product_sync(config: Path, data: Path, password: str) -> dict:
    env = {**os.environ, "NEWSREADER_SYNC_PASSWORD": password}
    done = subprocess.run([sys.executable, __file__, "--child", str(config), str(data)], capture_output=True,
                          text=True, env=env, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"the sync failed: {done.stderr.strip()}")
    return json.loads(done.stdout)


def through_the_product(servers: SyncServers, folder: FeedFolder, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="newsreader-sync-bench-") as tmp:
        config = Path(tmp) / "feeds.toml"
        config.write_text(f'[sync]\nservice = "ttrss"\nurl = "{servers.ttrss_url}"\nuser = "{servers.ttrss_user}"\n')
        data = Path(tmp) / "data"
        first = product_sync(config, data, servers.ttrss_password)
        show("first sync", first)
        write_feeds(folder, args.feeds, args.items, new=args.new)
        servers.ttrss_update()
        incremental = product_sync(config, data, servers.ttrss_password)
        show("incremental sync", incremental)
        print(f"cache: {incremental['cached']} stories, {sum(f.stat().st_size for f in data.iterdir()) / 1e6:.0f} MB "
              "on disk")


# -- the client alone ----------------------------------------------------------------------------------


async def client_sync(ttrss: TtRssClient, since_id: int, with_lists: bool) -> tuple[dict, int]:
    ttrss.stats.requests = ttrss.stats.bytes = 0
    ttrss.stats.seconds = 0.0
    started = time.perf_counter()
    if with_lists:
        await ttrss.feeds()
        await ttrss.categories()
    count, largest = 0, since_id
    async for page in ttrss.headlines(since_id=since_id, show_content=True):
        page_of: list[RemoteStory] = page  # turned into values, then dropped
        count += len(page_of)
        largest = max(largest, *(story.id for story in page_of))
    wall = time.perf_counter() - started
    figures = {"stories": count, "wall": wall, "waiting": ttrss.stats.seconds,
               "share": ttrss.stats.seconds / wall if wall else 0.0, "requests": ttrss.stats.requests,
               "mb": ttrss.stats.bytes / 1e6, "rss": peak_rss_mb()}
    return figures, largest


async def the_client_alone(servers: SyncServers, folder: FeedFolder, ttrss: TtRssClient, args: argparse.Namespace) -> None:
    first, largest = await client_sync(ttrss, 0, with_lists=True)
    show("first sync (client alone)", first)
    write_feeds(folder, args.feeds, args.items, new=args.new)
    servers.ttrss_update()
    incremental, _ = await client_sync(ttrss, largest, with_lists=True)
    show("incremental sync (client alone)", incremental)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=200, help="items per feed (tt-rss keeps what the feed has)")
    parser.add_argument("--new", type=int, default=500, help="new items for the incremental sync")
    parser.add_argument("--clients", action="store_true", help="time the protocol client alone, not the product")
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
            if args.clients:
                await the_client_alone(servers, folder, ttrss, args)
            else:
                await asyncio.to_thread(through_the_product, servers, folder, args)
        finally:
            if not args.keep:
                for feed_id in feed_ids:
                    await ttrss.unsubscribe(feed_id)
                folder.remove()
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.exit(child(sys.argv[2], sys.argv[3]))
    sys.exit(asyncio.run(main()))
