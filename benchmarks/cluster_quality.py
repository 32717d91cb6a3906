"""Quality of the story clusterer on labelled stories, run as a stream.

    python benchmarks/cluster_quality.py [PATH.jsonl] [--split 0.6] [--no-countries] [--no-languages] [--fit]

PATH defaults to ../shared/corpus/clusters/og2021-dev.jsonl (OG2021, Novak et al. 2024, CC BY-NC-ND 4.0;
its README gives the format and the scoring). Every story goes through `newsreader.clusters.Clusterer.add`
in order of publication, with the countries the product's own tagger finds in its title (as the fetch
pipeline would give them). Printed, for all stories and for the first `--split` of the days and the rest:
- B-cubed precision, recall, F1 and pairwise F1, "mono" (gold = event and language, scored within each
  language) and "multi" (gold = event across languages), and the recall on pairs of different languages;
- time per story (the clusterer alone: the tagging is done before the clock starts; wall and CPU time)
  and the peak of the memory Python allocated while clustering (tracemalloc, in a second run).
`--fit` fits the weights of newsreader/clusters/decision.py on the first `--split` of the days, prints
them and scores the clusterer with them.
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


def to_stories(rows: Sequence[dict], countries: bool = True, languages: bool = True) -> list:
    from newsreader.clusters import ClusterStory

    tag = None
    if countries:
        from newsreader.geo import get_tagger

        tag = get_tagger().tag
    stories = []
    for r in rows:
        found = tuple(tag(r["title"], r.get("text") or "").countries) if tag else ()
        stories.append(ClusterStory(
            id=r["id"], title=r["title"], summary=r.get("text") or "",
            language=r.get("lang") if languages else None,
            published=datetime.fromisoformat(r["published"].replace("Z", "+00:00")),
            feed=r.get("source"), countries=found,
        ))
    return stories


def run(stories: Sequence, params=None) -> list[Hashable]:
    """The cluster id of every story, the stories added one by one in the order given."""
    from newsreader.clusters import Clusterer

    clusterer = Clusterer(params)
    return [clusterer.add(story) for story in stories]


def _logistic_fit(xs: list[tuple[float, ...]], ys: list[int], l2: float = 1.0,
                  rounds: int = 25) -> tuple[float, ...]:
    """Weights (intercept first) of an L2-regularised logistic regression, by Newton's method."""
    import math

    rows = [(1.0, *x) for x in xs]
    d = len(rows[0])
    w = [0.0] * d
    for _ in range(rounds):
        grad = [0.0] * d
        hess = [[0.0] * d for _ in range(d)]
        for x, y in zip(rows, ys):
            z = sum(a * b for a, b in zip(w, x))
            p = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
            g, h = p - y, p * (1 - p)
            for i in range(d):
                grad[i] += g * x[i]
                hx = h * x[i]
                row = hess[i]
                for j in range(i + 1):
                    row[j] += hx * x[j]
        for i in range(d):
            for j in range(i):
                hess[j][i] = hess[i][j]
            if i:
                grad[i] += l2 * w[i]
                hess[i][i] += l2
            hess[i][i] += 1e-9
        step = _solve(hess, grad)
        w = [a - b for a, b in zip(w, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return tuple(w)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a·x = b, by Gaussian elimination with partial pivoting."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def fit(rows: Sequence[dict], stories: Sequence, rounds: int = 0,
        params=None) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Fit decision.py's two models on these stories (DAgger: the examples of every round are kept).

    Round 0 weighs each story against the clusters the gold labels have built so far (the stream replayed
    with `restore`); each later round runs the clusterer with the weights of the round before, and weighs
    each story against the clusters it really finds (a cluster is the story's own when most of its
    stories are of the story's event). Candidates with next to no evidence are left out."""
    from newsreader.clusters import Clusterer, decision
    from newsreader.clusters import clusterer as clusterer_module
    from newsreader.clusters.evidence import inputs

    samples: dict[bool, tuple[list, list]] = {True: ([], []), False: ([], [])}
    weights = decision.SAME_LANGUAGE, decision.OTHER_LANGUAGE
    for round_ in range(rounds + 1):
        clusterer_module.probability = lambda ev, w=weights: decision.probability(ev, *w)
        clusterer = Clusterer(params)
        golds: dict[Hashable, Counter] = defaultdict(Counter)
        for row, story in zip(rows, stories):
            gold = row["cluster"]
            for candidate in clusterer.candidates(story):
                ev = candidate.evidence
                xs, ys = samples[ev.same_language]
                xs.append(inputs(ev))
                if round_:
                    ys.append(int(golds[candidate.cluster].most_common(1)[0][0] == gold))
                else:
                    ys.append(int(candidate.cluster == gold))
            if round_:
                golds[clusterer.add(story)][gold] += 1
            else:
                clusterer.restore(story, gold)
        weights = _logistic_fit(*samples[True]), _logistic_fit(*samples[False])
    clusterer_module.probability = decision.probability
    for same, (_xs, ys) in samples.items():
        print(f"{'same' if same else 'other'} language: {len(ys)} examples, {sum(ys)} of their own event",
              file=sys.stderr)
    return weights


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
    parser.add_argument("--no-languages", action="store_true", help="let the clusterer guess the languages")
    parser.add_argument("--fit", action="store_true", help="fit decision.py's weights on the first part")
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"no labelled stories at {args.path}", file=sys.stderr)
        return 1
    rows = load(args.path)
    stories = to_stories(rows, countries=not args.no_countries, languages=not args.no_languages)
    head, tail = split_by_days(rows, args.split)
    if args.fit:
        from newsreader.clusters import clusterer, decision

        same, other = fit([rows[i] for i in head], [stories[i] for i in head])
        print(f"SAME_LANGUAGE = {tuple(round(w, 3) for w in same)}")
        print(f"OTHER_LANGUAGE = {tuple(round(w, 3) for w in other)}")
        clusterer.probability = lambda ev: decision.probability(ev, same, other)

    started, cpu = time.perf_counter(), time.process_time()
    predicted = run(stories)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    run(stories)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print(f"{args.path.name}: {len(rows)} stories, {len(set(r['cluster'] for r in rows))} events, "
          f"{len(set(predicted))} clusters found")
    print(_line("all", evaluate(rows, predicted)))
    for name, part in ((f"first {args.split:.0%}", head), (f"last {1 - args.split:.0%}", tail)):
        if part:
            print(_line(name, evaluate([rows[i] for i in part], [predicted[i] for i in part])))
    print(f"time {elapsed / len(rows) * 1000:.3f} ms a story ({cpu / len(rows) * 1000:.3f} ms of CPU); "
          f"peak memory {peak / 2**20:.1f} MiB (tracemalloc)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
