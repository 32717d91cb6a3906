"""Cost of the story clusterer on a long stream: time per story, chunk by chunk, and memory.

    python benchmarks/cluster_speed.py [--stories 100000] [--per-day 10000] [--chunk 10000]

The stream is made of the OG2021 development set's headlines (../shared/corpus/clusters, read in place;
without it, synthetic headlines), each told again and again with a few words swapped for made-up names,
spread evenly over `stories / per-day` days, so that the window always holds about the same crowd. Printed,
per chunk: milliseconds per story (wall and CPU), the clusters active and the terms counted; then the
peak of the memory Python allocated (tracemalloc, in a second run over the first half). A clusterer whose
cost is bounded by its window shows flat figures from the third day on.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT.parent / "shared" / "corpus" / "clusters" / "og2021-dev.jsonl"


def headlines() -> list[tuple[str, str]]:
    """(title, language) pairs to draw from."""
    if DEV_SET.exists():
        with DEV_SET.open(encoding="utf-8") as fh:
            return [(r["title"], r["lang"]) for r in map(json.loads, fh)]
    rng = random.Random(1)
    words = ["minister", "talks", "border", "election", "storm", "court", "strike", "deal", "vote", "fire"]
    return [(" ".join(rng.choice(words) for _ in range(8)), "en") for _ in range(2000)]


def stream(n: int, per_day: int, seed: int = 11) -> list:
    from newsreader.clusters import ClusterStory

    rng = random.Random(seed)
    pool = headlines()
    start = 1_700_000_000.0
    step = 86400.0 / per_day
    made_up = [f"Name{i}" for i in range(5000)]
    stories = []
    for i in range(n):
        title, lang = rng.choice(pool)
        words = title.split()
        for _ in range(2):
            words[rng.randrange(len(words))] = rng.choice(made_up)
        stories.append(ClusterStory(id=i, title=" ".join(words), published=start + i * step, language=lang,
                                    countries=(rng.choice(["US", "GB", "FR", "BR", "JP", "RU"]),)))
    return stories


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--per-day", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=10_000)
    args = parser.parse_args()

    from newsreader.clusters import Clusterer

    stories = stream(args.stories, args.per_day)
    clusterer = Clusterer()
    print(f"{args.stories} stories, {args.per_day} a day; window {clusterer.params.window_hours:g} h, "
          f"IDF window {clusterer.params.df_window_hours:g} h")
    for begin in range(0, len(stories), args.chunk):
        chunk = stories[begin:begin + args.chunk]
        wall, cpu = time.perf_counter(), time.process_time()
        for story in chunk:
            clusterer.add(story)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"stories {begin:>7}-{begin + len(chunk) - 1:<7} {wall / len(chunk) * 1000:.3f} ms a story "
              f"({cpu / len(chunk) * 1000:.3f} ms CPU); {len(clusterer)} clusters active, "
              f"{len(clusterer._df)} terms counted")
    tracemalloc.start()
    clusterer = Clusterer()
    for story in stories[: len(stories) // 2]:
        clusterer.add(story)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"peak memory over the first half: {peak / 2**20:.1f} MiB (tracemalloc)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
