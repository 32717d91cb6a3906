"""Quality of the story clusters through the product: labelled stories served as feeds, fetched, listed.

    python benchmarks/cluster_product.py [PATH.jsonl] [--fetches 1] [--outlets 3] [--no-languages]

PATH defaults to ../shared/corpus/clusters/og2021-dev.jsonl (OG2021, Novak et al. 2024, CC BY-NC-ND 4.0;
its README gives the format and the scoring); another file of the same format (the held-back half, say) is
measured the same way. The stories become RSS feeds served over loopback (127.0.0.1): each language's
stories are dealt round to `--outlets` feeds that declare the language (`<language>`; none with
`--no-languages`, so the product guesses), an item per story (its id as guid, its title, its text as the
description, its date). Then, as child processes and with a fresh cache, `newsreader fetch` runs
`--fetches` times, each fetch finding the feeds grown by the next slice of the stream (cut by publication
time), and `newsreader list --json --limit 0` reads every story's `cluster` back. Printed: the figures of
cluster_quality.py (B-cubed and pairwise, mono and multi, cross-language pair recall) for all days and
for the first 60 % of days and the rest, and the wall time of each fetch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster_quality as quality  # noqa: E402  (the scoring and the loading are shared)

LINK = "https://og2021.example/story/"
#: Runs the newsreader command line with these arguments; returns its standard output.
Cli = Callable[[Sequence[str]], str]


class FeedFarm:
    """Feeds served over loopback; `publish` replaces them (a new body gets a new ETag)."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        farm = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body = farm.bodies.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
                if self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def publish(self, bodies: dict[str, bytes]) -> None:
        self.bodies = dict(bodies)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def outlets_of(rows: Sequence[dict], per_language: int) -> dict[str, list[dict]]:
    """Feed path -> its stories: each language's stories dealt round to `per_language` outlets, in stream
    order (the set names no outlets), so an event's stories in one language come from several feeds."""
    feeds: dict[str, list[dict]] = {}
    dealt: dict[str, int] = {}
    for row in rows:
        lang = row["lang"]
        number = dealt.get(lang, 0)
        dealt[lang] = number + 1
        feeds.setdefault(f"/{lang}-{number % per_language}.xml", []).append(row)
    return feeds


def rss(rows: Sequence[dict], language: str | None) -> bytes:
    items = []
    for row in rows:
        when = datetime.fromisoformat(row["published"].replace("Z", "+00:00"))
        description = f"<description>{escape(row['text'])}</description>" if row.get("text") else ""
        items.append(f"<item><guid isPermaLink=\"false\">{escape(row['id'])}</guid><title>{escape(row['title'])}</title>"
                     f"<link>{LINK}{escape(row['id'])}</link><pubDate>{format_datetime(when)}</pubDate>"
                     f"{description}</item>")
    declared = f"<language>{language}</language>" if language else ""
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Outlet</title>{declared}'
            f"{''.join(items)}</channel></rss>").encode()


def subprocess_cli(config: Path, data: Path) -> Cli:
    def run(args: Sequence[str]) -> str:
        done = subprocess.run([sys.executable, "-m", "newsreader", "--config", str(config), "--data-dir", str(data),
                               *args], capture_output=True, text=True, env={**os.environ, "NO_PROXY": "127.0.0.1"})
        if done.returncode != 0:
            raise SystemExit(f"newsreader {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    return run


def through_product(rows: Sequence[dict], work: Path, *, fetches: int = 1, outlets: int = 3, languages: bool = True,
                    cli: Callable[[Path, Path], Cli] = subprocess_cli) -> tuple[list[int], list[float]]:
    """Serve `rows` (in stream order) as feeds, fetch them in `fetches` slices of time, and return each row's
    cluster as `list --json` gives it, and the seconds each fetch took."""
    farm = FeedFarm()
    try:
        feeds = outlets_of(rows, outlets)
        work.mkdir(parents=True, exist_ok=True)
        config = work / "feeds.toml"
        config.write_text("".join(f'[[feeds]]\nname = "Outlet {path.strip("/").removesuffix(".xml")}"\n'
                                  f'url = "{farm.url(path)}"\n\n' for path in feeds), encoding="utf-8")
        run = cli(config, work / "data")
        cuts = [rows[min(len(rows) - 1, len(rows) * k // fetches)]["published"] for k in range(1, fetches)]
        seconds = []
        for k in range(fetches):
            until = cuts[k] if k < len(cuts) else None
            farm.publish({path: rss([r for r in mine if until is None or r["published"] < until],
                                    path.strip("/").split("-")[0] if languages else None)
                          for path, mine in feeds.items()})
            started = time.perf_counter()
            run(["fetch", "--quiet"])
            seconds.append(time.perf_counter() - started)
        listed = json.loads(run(["list", "--json", "--limit", "0"]))
    finally:
        farm.close()
    cluster_of = {item["link"].removeprefix(LINK): item["cluster"] for item in listed}
    missing = [row["id"] for row in rows if row["id"] not in cluster_of]
    if missing:
        raise SystemExit(f"{len(missing)} stories did not come through, e.g. {missing[:3]}")
    return [cluster_of[row["id"]] for row in rows], seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=quality.DEV_SET)
    parser.add_argument("--fetches", type=int, default=1, help="fetches the stream is cut into (default 1)")
    parser.add_argument("--outlets", type=int, default=3, help="feeds per language (default 3)")
    parser.add_argument("--no-languages", action="store_true", help="feeds declare no language: the product guesses")
    parser.add_argument("--split", type=float, default=0.6, help="share of the days in the first part")
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"no labelled stories at {args.path}", file=sys.stderr)
        return 1
    rows = quality.load(args.path)
    with tempfile.TemporaryDirectory(prefix="newsreader-clusters-") as tmp:
        predicted, seconds = through_product(rows, Path(tmp), fetches=args.fetches, outlets=args.outlets,
                                             languages=not args.no_languages)
    print(f"{args.path.name} through newsreader fetch and list --json: {len(rows)} stories, "
          f"{len({r['cluster'] for r in rows})} events, {len(set(predicted))} clusters found; "
          f"{args.fetches} fetch{'es' if args.fetches > 1 else ''} of {len(outlets_of(rows, args.outlets))} feeds"
          f"{'' if not args.no_languages else ', no language declared'}")
    print(quality._line("all", quality.evaluate(rows, predicted)))
    head, tail = quality.split_by_days(rows, args.split)
    for name, part in ((f"first {args.split:.0%}", head), (f"last {1 - args.split:.0%}", tail)):
        if part:
            print(quality._line(name, quality.evaluate([rows[i] for i in part], [predicted[i] for i in part])))
    print("fetches: " + ", ".join(f"{s:.1f} s" for s in seconds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
