"""Fetch benchmark: `newsreader fetch` against Newsboat on the same loopback feeds.

A loopback server holds N feeds x M items (realistic stories: titles naming countries and cities, 300-1500
characters of HTML each), with ETag/304 and a simulated latency before every response. It listens on 16
addresses (127.0.0.1 .. 127.0.0.16, one server thread each) and the feeds are spread over them, so the
fetcher's per-host cap (`per_host`, 8) limits it as it would on the real web instead of throttling
everything to one host.

For each latency it runs, as child processes with a fresh cache each time:
- `python -m newsreader --config X --data-dir Y fetch` cold (every feed new), then warm (every feed 304);
- `newsboat -u urls -c cache.db -C config -x reload` cold and warm, once per `reload-threads` setting tried,
  reporting its best (skipped with a note when newsboat is not installed).
It prints wall time, requests served, and peak memory sampled from /proc every 20 ms: the main process's RSS,
and the whole process tree's summed RSS and PSS (the parse workers count too).
Then it fetches a brotli bomb (tests/feeds/bomb-1gib.br: 1,666 bytes that inflate to 1 GiB) beside one good
feed and reports the fetch's peak memory (`--no-bomb` skips it). Finally it times feedparser on one M-item feed
with and without `sanitize_html`/`resolve_relative_uris`.

    python benchmarks/fetch.py                      # N=500, M=50 at 0 and 50 ms
    python benchmarks/fetch.py --n 100 --m 20 --latency 0 --newsboat-threads 8
    python benchmarks/fetch.py --no-newsboat --compare ../old/src --warm-repeat 5   # against another checkout
    python benchmarks/fetch.py --transports         # httpx's own transport against ours, CPU a request
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

ADDRESSES = [f"127.0.0.{i}" for i in range(1, 17)]
BOMB = Path(__file__).resolve().parent.parent / "tests" / "feeds" / "bomb-1gib.br"
LAST_MODIFIED = "Mon, 02 Mar 2026 10:00:00 GMT"

PLACES = [
    ("Armenia", "Yerevan"), ("Georgia", "Tbilisi"), ("Azerbaijan", "Baku"), ("Turkey", "Ankara"),
    ("Iran", "Tehran"), ("Iraq", "Baghdad"), ("Syria", "Damascus"), ("Lebanon", "Beirut"), ("Israel", "Jerusalem"),
    ("Egypt", "Cairo"), ("Kenya", "Nairobi"), ("Nigeria", "Lagos"), ("Ethiopia", "Addis Ababa"),
    ("South Africa", "Johannesburg"), ("Ghana", "Accra"), ("Senegal", "Dakar"), ("Morocco", "Rabat"),
    ("France", "Paris"), ("Germany", "Berlin"), ("Poland", "Warsaw"), ("Ukraine", "Kyiv"), ("Spain", "Madrid"),
    ("Italy", "Rome"), ("Greece", "Athens"), ("Sweden", "Stockholm"), ("India", "New Delhi"),
    ("Pakistan", "Islamabad"), ("Bangladesh", "Dhaka"), ("China", "Beijing"), ("Japan", "Tokyo"),
    ("South Korea", "Seoul"), ("Indonesia", "Jakarta"), ("Vietnam", "Hanoi"), ("Philippines", "Manila"),
    ("Brazil", "Brasília"), ("Argentina", "Buenos Aires"), ("Chile", "Santiago"), ("Peru", "Lima"),
    ("Colombia", "Bogotá"), ("Mexico", "Mexico City"), ("Canada", "Ottawa"), ("Australia", "Canberra"),
]
SUBJECTS = ["Parliament", "The central bank", "Opposition leaders", "Farmers", "Teachers' unions", "The foreign ministry",
            "Rescue teams", "Health officials", "Energy regulators", "Election monitors", "Port workers", "Students"]
VERBS = ["approves", "rejects", "debates", "delays", "backs", "questions", "announces", "suspends"]
OBJECTS = ["a new budget", "border talks", "fuel subsidies", "a water-sharing deal", "emergency aid", "rail investment",
           "a trade agreement", "electoral reform", "a ceasefire plan", "drought relief", "a vaccine drive"]
FILLER = ["Officials said the decision followed weeks of negotiation and would be reviewed within a year", "Critics warned that the timetable was unrealistic and that costs could rise sharply", "Residents interviewed on Monday were divided, with many saying they had heard few details", "Analysts expect markets to react cautiously until the final text is published", "The measure still needs approval from regional authorities before it takes effect", ""]


def make_feed(index: int, items: int, rng: random.Random) -> bytes:
    """One RSS 2.0 feed: M items, each a realistic story with 300-1500 characters of HTML."""
    now = time.time()
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>Outlet {index:04d}</title><link>https://outlet{index}.example/</link>"
        f"<description>World news from outlet {index}</description><language>en</language>"
    ]
    for item in range(items):
        country, city = rng.choice(PLACES)
        other, other_city = rng.choice(PLACES)
        title = f"{country}: {rng.choice(SUBJECTS)} in {city} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
        paragraphs = [f"<p><strong>{city}</strong> &#8212; {rng.choice(SUBJECTS)} {rng.choice(VERBS)} "
                      f"{rng.choice(OBJECTS)}, a move watched closely in {other_city} and across {other}.</p>"]
        target = rng.randint(300, 1500)
        while sum(map(len, paragraphs)) < target:
            sentence = rng.choice(FILLER).strip()
            if rng.random() < 0.3:
                sentence += f' <a href="https://outlet{index}.example/{country.lower().replace(" ", "-")}/{rng.randint(1, 99999)}">Read more</a>'
            if rng.random() < 0.15:
                sentence = f'<img src="https://cdn.outlet{index}.example/{rng.randint(1, 9999)}.jpg" alt="{city}"/> ' + sentence
            paragraphs.append(f"<p>{sentence}.</p>")
        html = "".join(paragraphs)
        published = formatdate(now - (index * items + item) * 60, usegmt=True)
        slug = hashlib.sha1(f"{index}-{item}".encode()).hexdigest()[:12]
        parts.append(
            f"<item><title>{escape(title)}</title><link>https://outlet{index}.example/news/{slug}</link>"
            f'<guid isPermaLink="false">outlet{index}-{slug}</guid><pubDate>{published}</pubDate>'
            f"<dc:creator>Staff reporter</dc:creator><category>{escape(country)}</category>"
            f"<description>{escape(html)}</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode("utf-8")


def _not_modified_since(value: str | None) -> bool:
    try:
        return value is not None and parsedate_to_datetime(value) >= parsedate_to_datetime(LAST_MODIFIED)
    except (TypeError, ValueError):
        return False


class Farm:
    """N feeds served from 16 loopback addresses, with ETag/304 and a latency before each response."""

    def __init__(self, feeds: list[bytes], latency: float, bomb: bytes | None = None) -> None:
        self.feeds = feeds
        self.bomb = bomb  #: served at /bomb.xml as Content-Encoding: br
        self.etags = ['"' + hashlib.sha1(body).hexdigest()[:16] + '"' for body in feeds]
        self.latency = latency
        self.requests = 0
        self.not_modified = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self.servers: list[ThreadingHTTPServer] = []
        for address in ADDRESSES:
            server = ThreadingHTTPServer((address, 0), self._handler())
            server.daemon_threads = True
            server.request_queue_size = 1024
            self.servers.append(server)
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, index: int) -> str:
        host, port = self.servers[index % len(self.servers)].server_address[:2]
        return f"http://{host}:{port}/feed/{index}.xml"

    def reset_counts(self) -> None:
        with self._lock:
            self.requests = self.not_modified = self.bytes = 0

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        farm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if farm.latency:
                    time.sleep(farm.latency)
                if self.path == "/bomb.xml" and farm.bomb:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.send_header("Content-Encoding", "br")
                    self.send_header("Content-Length", str(len(farm.bomb)))
                    self.end_headers()
                    self.wfile.write(farm.bomb)
                    return
                try:
                    index = int(self.path.rsplit("/", 1)[1].split(".")[0])
                    body, etag = farm.feeds[index], farm.etags[index]
                except (ValueError, IndexError):
                    self.send_error(404)
                    return
                with farm._lock:
                    farm.requests += 1
                # Newsboat sends only If-Modified-Since; newsreader sends both.
                if etag in (self.headers.get("If-None-Match") or "") or _not_modified_since(self.headers.get("If-Modified-Since")):
                    with farm._lock:
                        farm.not_modified += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                with farm._lock:
                    farm.bytes += len(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", LAST_MODIFIED)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@dataclass
class Run:
    seconds: float
    requests: int
    not_modified: int
    main_rss_mb: float
    tree_rss_mb: float
    tree_pss_mb: float
    cpu_seconds: float  #: user + system time of the whole process tree
    output: str


def _tree_memory(root: int, cpu_ticks: dict[int, int]) -> tuple[int, int, int]:
    """(RSS of `root`, summed RSS, summed PSS) in bytes of `root` and all its descendants, from /proc.

    Also records each process's CPU time so far (user + system, in clock ticks) in `cpu_ticks`.

    RSS counts pages shared between processes (libpython, copy-on-write data) once per process; PSS splits
    them between the sharers, so the PSS sum is what the whole tree really takes."""
    children: dict[int, list[int]] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                parent, ticks[int(entry)] = int(fields[1]), int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    root_rss = rss = pss = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        cpu_ticks[pid] = max(cpu_ticks.get(pid, 0), ticks.get(pid, 0))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as rollup:
                for line in rollup:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                        root_rss = root_rss or rss
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return root_rss, rss, pss


def run_child(command: list[str], farm: Farm, cwd: Path, env: dict[str, str] | None = None) -> Run:
    farm.reset_counts()
    peak_main = peak_rss = peak_pss = 0
    cpu_ticks: dict[int, int] = {}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=env)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_main, peak_rss, peak_pss
        while not done.is_set():
            main_rss, rss, pss = _tree_memory(process.pid, cpu_ticks)
            peak_main, peak_rss, peak_pss = max(peak_main, main_rss), max(peak_rss, rss), max(peak_pss, pss)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.stdout.read().decode("utf-8", "replace") if process.stdout else ""
    # Not ru_maxrss from wait4: a forked child starts with its parent's RSS (this script holds every feed),
    # so it would report the larger of the two.
    status = os.waitpid(process.pid, 0)[1]
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({process.returncode}):\n{output}")
    mb = 1024 * 1024
    # From the last /proc sample of each process (every 20 ms), so it may miss a process's last few ms.
    cpu_seconds = sum(cpu_ticks.values()) / os.sysconf("SC_CLK_TCK")
    return Run(seconds, farm.requests, farm.not_modified, peak_main / mb, peak_rss / mb, peak_pss / mb,
               cpu_seconds, output.strip())


@dataclass
class Tree:
    """A newsreader to run: this one (src None) or another checkout's src/ directory, first on PYTHONPATH."""

    label: str
    src: str | None = None

    def env(self) -> dict[str, str] | None:
        if self.src is None:
            return None
        return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [self.src, os.environ.get("PYTHONPATH")]))}


def newsreader_command(farm: Farm, n: int, work: Path, tree: Tree) -> list[str]:
    """The fetch command for `tree`, with a feeds.toml of the N feeds and an empty data directory of its own."""
    config = work / "feeds.toml"
    lines = []
    for index in range(n):
        lines += ["[[feeds]]", f'name = "Outlet {index:04d}"', f'url = "{farm.url(index)}"', ""]
    config.write_text("\n".join(lines))
    data = work / f"newsreader-data-{tree.label}"
    shutil.rmtree(data, ignore_errors=True)
    return [sys.executable, "-m", "newsreader", "--config", str(config), "--data-dir", str(data), "fetch"]


def newsreader_runs(farm: Farm, n: int, work: Path, trees: list[Tree], warm_repeat: int) -> dict[str, tuple[Run, list[Run]]]:
    """Each tree's cold fetch, then the warm re-fetches, the trees taking turns so that they share the machine's
    moods alike."""
    commands = {tree.label: newsreader_command(farm, n, work, tree) for tree in trees}
    env_free = Path(tempfile.gettempdir())
    cold = {tree.label: run_child(commands[tree.label], farm, env_free, tree.env()) for tree in trees}
    warm: dict[str, list[Run]] = {tree.label: [] for tree in trees}
    for _ in range(warm_repeat):
        for tree in trees:
            warm[tree.label].append(run_child(commands[tree.label], farm, env_free, tree.env()))
    return {label: (cold[label], warm[label]) for label in cold}


def transport_cpu(farm: Farm, n: int, repeat: int = 3) -> dict[str, list[float]]:
    """CPU seconds of this process for N conditional GETs (all 304, connections already open), through httpx on
    its own transport (httpcore) and on ours (aiohttp): the measurement behind net/transport.py. The farm's
    server threads run in this process too, so both figures include the same serving cost."""
    import asyncio
    import resource

    import httpx

    from newsreader.net.transport import AiohttpTransport

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    async def once(kind: str) -> float:
        if kind == "httpcore":
            client = httpx.AsyncClient(limits=httpx.Limits(max_connections=32), timeout=30)
        else:
            transport = AiohttpTransport(connections=32, per_host=8, tls=httpx.create_ssl_context())
            client = httpx.AsyncClient(timeout=30, transport=transport)
        slots = asyncio.Semaphore(32)

        async def get(index: int) -> None:
            async with slots:
                response = await client.get(farm.url(index), headers={"If-None-Match": farm.etags[index]})
                assert response.status_code == 304

        await asyncio.gather(*(get(index) for index in range(n)))  # open the connections
        started = cpu()
        await asyncio.gather(*(get(index) for index in range(n)))
        spent = cpu() - started
        await client.aclose()
        return spent

    return {kind: [asyncio.run(once(kind)) for _ in range(repeat)] for kind in ("httpcore", "aiohttp")}


def bomb_run(feeds: list[bytes], work: Path) -> Run:
    """`newsreader fetch` of the brotli bomb and one good feed: it must fail the one and keep its memory."""
    farm = Farm(feeds[:1], 0.0, bomb=BOMB.read_bytes())
    try:
        host, port = farm.servers[0].server_address[:2]
        config = work / "bomb.toml"
        config.write_text(f'[[feeds]]\nname = "Bomb"\nurl = "http://{host}:{port}/bomb.xml"\n\n'
                          f'[[feeds]]\nname = "Outlet"\nurl = "{farm.url(0)}"\n')
        data = work / "bomb-data"
        shutil.rmtree(data, ignore_errors=True)
        command = [sys.executable, "-m", "newsreader", "--config", str(config), "--data-dir", str(data), "fetch"]
        return run_child(command, farm, Path(tempfile.gettempdir()))
    finally:
        farm.close()


def newsboat_runs(farm: Farm, n: int, work: Path, threads: int) -> tuple[Run, Run]:
    urls = work / "urls"
    urls.write_text("".join(farm.url(index) + "\n" for index in range(n)))
    config = work / f"newsboat-{threads}.conf"
    config.write_text(f"reload-threads {threads}\nshow-read-feeds yes\n")
    cache = work / f"newsboat-{threads}.db"
    for stale in work.glob(f"newsboat-{threads}.db*"):
        stale.unlink()
    command = ["newsboat", "-u", str(urls), "-c", str(cache), "-C", str(config), "-x", "reload"]
    cold = run_child(command, farm, work)
    warm = run_child(command, farm, work)
    return cold, warm


def time_feedparser(body: bytes, repeat: int) -> tuple[float, float, float]:
    import feedparser

    from newsreader.feeds.parse import ParseOptions, parse_feed

    def best(fn) -> float:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    full = best(lambda: feedparser.parse(body))
    bare = best(lambda: feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False))
    ours = best(lambda: parse_feed(body, ParseOptions(url="https://outlet.example/feed", content_type="application/rss+xml")))
    return full, bare, ours


def describe(label: str, run: Run) -> str:
    return (f"  {label:<34} {run.seconds:7.2f} s  CPU {run.cpu_seconds:5.1f} s  {run.requests:5d} requests ({run.not_modified} x 304)  "
            f"peak RSS {run.main_rss_mb:5.1f} MB main process; all processes {run.tree_rss_mb:5.1f} MB RSS, "
            f"{run.tree_pss_mb:5.1f} MB PSS")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="feeds (default 500)")
    parser.add_argument("--m", type=int, default=50, help="items per feed (default 50)")
    parser.add_argument("--latency", type=float, action="append", metavar="MS",
                        help="simulated latency in ms before each response (repeatable; default 0 and 50)")
    parser.add_argument("--newsboat-threads", type=int, action="append", metavar="T",
                        help="reload-threads settings to try (repeatable; default 8 and 32)")
    parser.add_argument("--no-newsboat", action="store_true", help="skip Newsboat")
    parser.add_argument("--no-bomb", action="store_true", help="skip the brotli bomb")
    parser.add_argument("--transports", action="store_true", help="only compare httpx's own transport with aiohttp's "
                        "for N conditional GETs, in this process")
    parser.add_argument("--compare", metavar="SRC", action="append", help="also run the newsreader in this src/ "
                        "directory (another checkout), taking turns with this one (repeatable)")
    parser.add_argument("--warm-repeat", type=int, default=1, metavar="R", help="warm re-fetches per tree (default 1; "
                        "the median is reported)")
    args = parser.parse_args()
    latencies = args.latency or [0.0, 50.0]
    thread_options = args.newsboat_threads or [8, 32]

    rng = random.Random(2026)
    started = time.perf_counter()
    feeds = [make_feed(index, args.m, rng) for index in range(args.n)]
    size = sum(map(len, feeds))
    print(f"{args.n} feeds x {args.m} items: {size / 1024 / 1024:.1f} MB of RSS, "
          f"{size / args.n / args.m:.0f} bytes per item (generated in {time.perf_counter() - started:.1f} s)")
    print(f"served from {len(ADDRESSES)} loopback addresses ({ADDRESSES[0]}..{ADDRESSES[-1]}), one server thread "
          f"each, so the per-host cap (8) behaves as on the real web; ETag/304; {os.cpu_count()} cores")

    if args.transports:
        farm = Farm(feeds, 0.0)
        try:
            for kind, seconds in transport_cpu(farm, args.n).items():
                print(f"  httpx over {kind:<8}: {args.n} conditional GETs, CPU " + ", ".join(f"{s:.2f} s" for s in seconds))
        finally:
            farm.close()
        return

    have_newsboat = shutil.which("newsboat") is not None and not args.no_newsboat
    with tempfile.TemporaryDirectory(prefix="newsreader-bench-") as tmp:
        work = Path(tmp)
        for latency in latencies:
            farm = Farm(feeds, latency / 1000)
            try:
                print(f"\nlatency {latency:g} ms")
                trees = [Tree("this")] + [Tree(f"compared-{index}", src) for index, src in enumerate(args.compare or [])]
                runs = newsreader_runs(farm, args.n, work, trees, max(1, args.warm_repeat))
                for tree in trees:
                    cold, warms = runs[tree.label]
                    prefix = f"{tree.src}:" if tree.src else "newsreader fetch"
                    print(describe(f"{prefix} cold", cold))
                    warm = sorted(warms, key=lambda run: run.seconds)[len(warms) // 2]
                    print(describe(f"{prefix} warm (all 304)", warm))
                    if len(warms) > 1:
                        print(f"    warm, each run: {', '.join(f'{r.seconds:.2f} s (CPU {r.cpu_seconds:.2f})' for r in warms)}")
                    print(f"    summary: {cold.output.splitlines()[-1] if cold.output else '-'}")
                cold = runs["this"][0]
                if not have_newsboat:
                    print("  newsboat: not installed (apt-get install newsboat); skipped")
                    continue
                results = {}
                for threads in thread_options:
                    results[threads] = newsboat_runs(farm, args.n, work, threads)
                    print(describe(f"newsboat reload-threads {threads}, cold", results[threads][0]))
                    print(describe(f"newsboat reload-threads {threads}, warm", results[threads][1]))
                best = min(results, key=lambda t: results[t][0].seconds)
                ratio = cold.seconds / results[best][0].seconds
                print(f"  best newsboat: reload-threads {best}, cold {results[best][0].seconds:.2f} s; "
                      f"newsreader takes {ratio:.2f}x its time")
            finally:
                farm.close()

    if not args.no_bomb:
        with tempfile.TemporaryDirectory(prefix="newsreader-bench-") as tmp:
            run = bomb_run(feeds, Path(tmp))
        print(f"\nbrotli bomb ({BOMB.stat().st_size:,} bytes that inflate to 1 GiB) and one good feed:")
        print(describe("newsreader fetch", run))
        print("    " + " | ".join(line.strip() for line in run.output.splitlines()))

    full, bare, ours = time_feedparser(feeds[0], repeat=15)
    print(f"\nfeedparser on one {args.m}-item feed ({len(feeds[0]) // 1024} KiB), median of 15:")
    print(f"  default (sanitize_html, resolve_relative_uris): {full:6.1f} ms")
    print(f"  sanitize_html=False, resolve_relative_uris=False: {bare:6.1f} ms")
    print(f"  newsreader parse_feed (the latter + plain text + tagging): {ours:6.1f} ms")


if __name__ == "__main__":
    main()
