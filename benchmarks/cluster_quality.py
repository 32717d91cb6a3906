"""Quality of the story clusterer on labelled stories, run as a stream.

    python benchmarks/cluster_quality.py [PATH.jsonl] [--split 0.6] [--no-countries]

PATH defaults to ../shared/corpus/clusters/og2021-dev.jsonl (OG2021, Novak et al. 2024, CC BY-NC-ND 4.0;
its README gives the format and the scoring). Every story goes through `newsreader.clusters.Clusterer.add`
in order of publication, with the countries the product's own tagger finds in its title (as the fetch
pipeline would give them). Printed, for all stories and for the first `--split` of the days and the rest:
- B-cubed precision, recall, F1 and pairwise F1, "mono" (gold = event and language, scored within each
  language) and "multi" (gold = event across languages), and the recall on pairs of different languages;
- time per story (the clusterer alone: the tagging is done before the clock starts) and the peak of the
  memory Python allocated while clustering (tracemalloc, in a second run).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT.parent / "shared" / "corpus" / "clusters" / "og2021-dev.jsonl"


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float  #: B-cubed
    recall: float  #: B-cubed
    f1: float  #: B-cubed
    pair_precision: float
    pair_recall: float
    pair_f1: float


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(size: int) -> int:
    return size * (size - 1) // 2


def score(gold: Sequence[Hashable], predicted: Sequence[Hashable]) -> Scores:
    """B-cubed and pairwise scores of `predicted` labels against `gold` labels, item by item."""
    both = Counter(zip(gold, predicted))
    gold_sizes = Counter(gold)
    predicted_sizes = Counter(predicted)
    n = len(gold)
    precision = sum(k * k / predicted_sizes[p] for (g, p), k in both.items()) / n
    recall = sum(k * k / gold_sizes[g] for (g, p), k in both.items()) / n
    agree = sum(_pairs(k) for k in both.values())
    predicted_pairs = sum(_pairs(k) for k in predicted_sizes.values())
    gold_pairs = sum(_pairs(k) for k in gold_sizes.values())
    pair_p = agree / predicted_pairs if predicted_pairs else 1.0
    pair_r = agree / gold_pairs if gold_pairs else 1.0
    return Scores(precision, recall, _f1(precision, recall), pair_p, pair_r, _f1(pair_p, pair_r))


def cross_language_recall(gold: Sequence[Hashable], predicted: Sequence[Hashable],
                          languages: Sequence[str]) -> float:
    """Of the pairs of stories of one gold event in two different languages, the share put together."""
    gold_by_lang = Counter(zip(gold, languages))
    both_by_lang = Counter(zip(gold, predicted, languages))
    gold_cross = sum(_pairs(k) for k in Counter(gold).values()) - sum(_pairs(k) for k in gold_by_lang.values())
    together = Counter(zip(gold, predicted))
    agree_cross = (sum(_pairs(k) for k in together.values())
                   - sum(_pairs(k) for k in both_by_lang.values()))
    return agree_cross / gold_cross if gold_cross else 1.0


def evaluate(rows: Sequence[dict], predicted: Sequence[Hashable]) -> dict[str, object]:
    """Mono and multi scores and the cross-language pair recall of `predicted` (one label a row)."""
    gold = [r["cluster"] for r in rows]
    languages = [r["lang"] for r in rows]
    return {
        "mono": score(list(zip(gold, languages)), list(zip(predicted, languages))),
        "multi": score(gold, predicted),
        "cross_recall": cross_language_recall(gold, predicted, languages),
    }


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    rows.sort(key=lambda r: (r["published"], r["id"]))
    return rows


def to_stories(rows: Sequence[dict], countries: bool = True) -> list:
    from newsreader.clusters import ClusterStory

    tag = None
    if countries:
        from newsreader.geo import get_tagger

        tag = get_tagger().tag
    stories = []
    for r in rows:
        found = tuple(tag(r["title"], r.get("text") or "").countries) if tag else ()
        stories.append(ClusterStory(
            id=r["id"], title=r["title"], summary=r.get("text") or "", language=r.get("lang"),
            published=datetime.fromisoformat(r["published"].replace("Z", "+00:00")),
            feed=r.get("source"), countries=found,
        ))
    return stories


def run(stories: Sequence, params=None) -> list[Hashable]:
    """The cluster id of every story, the stories added one by one in the order given."""
    from newsreader.clusters import Clusterer

    clusterer = Clusterer(params)
    return [clusterer.add(story) for story in stories]


def split_by_days(rows: Sequence[dict], share: float) -> tuple[list[int], list[int]]:
    """Row indexes of the first `share` of the calendar days, and of the rest."""
    days = sorted({r["published"][:10] for r in rows})
    first = set(days[: round(len(days) * share)])
    head = [i for i, r in enumerate(rows) if r["published"][:10] in first]
    tail = [i for i, r in enumerate(rows) if r["published"][:10] not in first]
    return head, tail


def _line(name: str, figures: dict[str, object]) -> str:
    mono, multi = figures["mono"], figures["multi"]
    return (f"{name:<10} mono P {mono.precision:.3f} R {mono.recall:.3f} F1 {mono.f1:.3f} pairF1 {mono.pair_f1:.3f}"
            f" | multi P {multi.precision:.3f} R {multi.recall:.3f} F1 {multi.f1:.3f} pairF1 {multi.pair_f1:.3f}"
            f" | cross-language pair recall {figures['cross_recall']:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEV_SET)
    parser.add_argument("--split", type=float, default=0.6, help="share of the days in the first part")
    parser.add_argument("--no-countries", action="store_true", help="give the clusterer no country tags")
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"no labelled stories at {args.path}", file=sys.stderr)
        return 1
    rows = load(args.path)
    stories = to_stories(rows, countries=not args.no_countries)

    started = time.perf_counter()
    predicted = run(stories)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    run(stories)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print(f"{args.path.name}: {len(rows)} stories, {len(set(r['cluster'] for r in rows))} events, "
          f"{len(set(predicted))} clusters found")
    print(_line("all", evaluate(rows, predicted)))
    head, tail = split_by_days(rows, args.split)
    for name, part in ((f"first {args.split:.0%}", head), (f"last {1 - args.split:.0%}", tail)):
        if part:
            print(_line(name, evaluate([rows[i] for i in part], [predicted[i] for i in part])))
    print(f"time {elapsed / len(rows) * 1000:.3f} ms a story; peak memory {peak / 2**20:.1f} MiB (tracemalloc)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
