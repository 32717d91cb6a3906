"""Speed and memory of the country tagger.

    python benchmarks/geo.py [--stories 10000] [--rounds 5] [--compare ../other/src ...]

Measures, on one core, in CPU time (a shared, loaded machine inflates the wall clock, not the CPU time):
- start-up: importing newsreader.geo and building the tagger, in a fresh interpreter; target < 0.3 s.
  As a user meets it, with the built tagger read from the cache (geo/cache.py; the first start writes
  it), and cold, with the cache off (NEWSREADER_GEO_CACHE=off): building it from the data file. The
  modules' bytecode is compiled first, as an installed package has it (PYTHONDONTWRITEBYTECODE is
  dropped and the bytecode goes to a temporary PYTHONPYCACHEPREFIX);
- memory the tagger adds: RSS growth (Linux /proc) and tracemalloc's count, after a start with the cache
  and after a cold one; target < 60 MB;
- throughput: tagging synthetic ~2 KB stories (title, summary, body, and a link whose slug is the
  title's words) that name places the way news does; target >= 5,000 stories/s. Also lgl-dev's
  articles (../shared/corpus/geo, US local news) when they are there.

With --compare, another checkout's src/ directory is measured too, each round running every tree in
turn, so that they share the machine's load; each tree has a cache directory of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LGL_DEV = HERE.parent.parent / "shared" / "corpus" / "geo" / "lgl-dev.jsonl"

FILLER = ["the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "said", "with", "as", "was", "by", "at", "from", "it", "have", "has", "be", "an", "are", "which", "officials", "government", "minister", "people", "week", "year", "new", "after", "over", "more", "than", "their", "talks", "security", "economy", "report", "would", "could", "also", "its", "been", "were", "who", "not", "but", "this", "they", "other", "city", "border", "police", "court", "trade", "deal", "price", "market", "energy", "election", "vote", "leaders"]
PLACES = ["Armenia", "Azerbaijan", "Russia", "Kremlin", "Ukraine", "Kyiv", "Brussels", "Paris", "Berlin",
          "Georgia", "Atlanta", "Jordan", "Chad", "Turkey", "China", "Beijing", "Niger", "Nigeria",
          "Guinea-Bissau", "South Sudan", "North Korea", "Washington", "White House", "Gaza",
          "West Bank", "Kashmir", "Taiwan", "Japanese", "German", "Brazilian", "Mexico City",
          "Lewis Hamilton", "Denzel Washington", "French fries", "Paris, Texas", "Tbilisi", "London",
          "Britain", "UK", "U.S.", "Indian", "Native American", "Sochi", "Istanbul", "Seoul"]


def story(rng: random.Random, size: int = 2048) -> tuple[str, str, str, str]:
    def sentence(n: int, p_place: float) -> str:
        words = [rng.choice(PLACES) if rng.random() < p_place else rng.choice(FILLER) for _ in range(n)]
        text = " ".join(words)
        return text[:1].upper() + text[1:] + "."

    title = sentence(9, 0.2)[:-1]
    summary = sentence(25, 0.08) + " " + sentence(15, 0.05)
    body = []
    length = len(title) + len(summary)
    while length < size:
        s = sentence(rng.randint(12, 30), 0.03)
        body.append(s)
        length += len(s) + 1
    link = "https://news.example/world/2026/mar/02/" + "-".join(title.lower().replace(",", "").split())
    return title, summary, " ".join(body), link


STARTUP = """
import time
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
    return 0
base = rss()
c0 = time.process_time()
from newsreader.geo import get_tagger
get_tagger()
c1 = time.process_time()
print(c1 - c0, rss() - base)
"""
TRACED = """
import tracemalloc
tracemalloc.start()
from newsreader.geo import get_tagger
get_tagger()
print(tracemalloc.get_traced_memory()[0])
"""
THROUGHPUT = """
import json, random, sys, time
sys.path.insert(0, {here!r})
from geo import story
from newsreader.geo import get_tagger
tagger = get_tagger()
rng = random.Random(3)
stories = [story(rng) for _ in range({n})]
if {lgl!r}:
    with open({lgl!r}, encoding="utf-8") as fh:
        real = [json.loads(line) for line in fh if line.strip()]
    real = [(s["title"], "", s["text"], s.get("url")) for s in real] * {repeat}
else:
    real = []
tagger.tag(*stories[0][:3], link=stories[0][3])  # warm-up
out = []
for batch in (stories, real):
    c0 = time.process_time()
    for title, summary, text, link in batch:
        tagger.tag(title, summary, text, link=link)
    out.append((len(batch), time.process_time() - c0, sum(len(s[0]) + len(s[1]) + len(s[2]) for s in batch)))
print(json.dumps(out))
"""


class Tree:
    """A newsreader to measure: this checkout (src None) or another one's src/ directory."""

    def __init__(self, label: str, src: str | None, work: Path) -> None:
        self.label, self.src = label, src
        self.cache = work / f"cache-{label}"
        self.pycache = work / f"pycache-{label}"
        self.startup: list[tuple[float, int]] = []
        self.cold: list[tuple[float, int]] = []
        self.synthetic: list[float] = []
        self.real: list[float] = []
        self.size = (0.0, 0.0)

    def env(self, cache: bool = True) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        env["NEWSREADER_GEO_CACHE"] = str(self.cache) if cache else "off"
        if self.src:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [self.src, os.environ.get("PYTHONPATH")]))
        return env

    def run(self, code: str, cache: bool = True) -> str:
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env=self.env(cache)).stdout


def spread(values: list[float], scale: float = 1.0, fmt: str = "{:.0f}", more_is_better: bool = False) -> str:
    """best / median / worst of a measure."""
    ordered = sorted((v * scale for v in values), reverse=more_is_better)
    return " / ".join(fmt.format(v) for v in (ordered[0], statistics.median(ordered), ordered[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=10000, help="synthetic stories a round (default 10000)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds, every tree measured in each (default 5)")
    ap.add_argument("--compare", metavar="SRC", action="append", help="also measure the newsreader in this src/ "
                    "directory (another checkout), taking turns with this one (repeatable)")
    args = ap.parse_args()
    lgl = str(LGL_DEV) if LGL_DEV.is_file() else ""
    with tempfile.TemporaryDirectory(prefix="newsreader-geo-bench-") as tmp:
        work = Path(tmp)
        trees = [Tree("this", None, work)] + [Tree(f"compared-{i}", src, work) for i, src in enumerate(args.compare or [])]
        for tree in trees:
            tree.run(STARTUP)  # compiles the bytecode and writes the cache
            traced = int(tree.run(TRACED))
            traced_cold = int(tree.run(TRACED, cache=False))
            tree.size = (traced, traced_cold)
        for _ in range(args.rounds):
            for tree in trees:
                cpu, rss = tree.run(STARTUP).split()
                tree.startup.append((float(cpu), int(rss)))
                cpu, rss = tree.run(STARTUP, cache=False).split()
                tree.cold.append((float(cpu), int(rss)))
                (n, seconds, chars), (m, real_seconds, _real_chars) = json.loads(
                    tree.run(THROUGHPUT.format(here=str(HERE), n=args.stories, lgl=lgl, repeat=10)))
                tree.synthetic.append(n / seconds)
                if m:
                    tree.real.append(m / real_seconds)
        print(f"{args.rounds} rounds, best / median / worst; {args.stories} synthetic stories of "
              f"{chars / n / 1024:.1f} KB a round; CPU time")
        for tree in trees:
            name = tree.src or "this checkout"
            print(f"{name}:")
            print(f"  start-up, cache read:  CPU {spread([c for c, _ in tree.startup], 1000)} ms  (target < 300 ms)")
            print(f"  start-up, cold:        CPU {spread([c for c, _ in tree.cold], 1000)} ms")
            print(f"  memory added: RSS {spread([r for _, r in tree.startup], 2**-20, '{:.1f}')} MB with the cache, "
                  f"{spread([r for _, r in tree.cold], 2**-20, '{:.1f}')} MB cold; tracemalloc "
                  f"{tree.size[0] / 2**20:.1f} MB, {tree.size[1] / 2**20:.1f} MB cold  (target < 60 MB)")
            print(f"  throughput, synthetic: {spread(tree.synthetic, fmt='{:,.0f}', more_is_better=True)} stories/s  (target >= 5,000)")
            if tree.real:
                print(f"  throughput, lgl-dev articles: {spread(tree.real, fmt='{:,.0f}', more_is_better=True)} stories/s")


if __name__ == "__main__":
    main()
