"""Quality of the country tagger: our labelled set, and the publishers' own tags.

    python benchmarks/geo_quality.py [-v]

1. tests/geo/labelled.jsonl (written by us): micro precision, recall and F1 of `countries`.
   Target F1 >= 0.92.
2. External check: the NYT World feed's nyt_geo categories and the Guardian World feed's
   theguardian.com/world/<country> tags in ../shared/corpus/feeds. The tags are removed, title and
   summary (HTML stripped) are tagged, and the result is scored against the publisher's tags
   mapped to ISO codes. Target recall >= 0.85 (countries + mentions).
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "geo" / "labelled.jsonl"
CORPUS = ROOT.parent / "shared" / "corpus"
NYT_GEO = "http://www.nytimes.com/namespaces/keywords/nyt_geo"
GUARDIAN_WORLD = re.compile(r"^https?://www\.theguardian\.com/world/([a-z-]+)$")
_TAG = re.compile(r"<[^>]+>")
_PAREN = re.compile(r"\(([^()]*)\)\s*$")


def strip_html(text: str) -> str:
    text = re.sub(r"</p>|<br\s*/?>", "\n", text or "")
    return html.unescape(_TAG.sub(" ", text)).strip()


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def load_labelled() -> list[dict]:
    with LABELLED.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score_labelled(verbose: bool = False) -> tuple[float, float, float, list[tuple[str, set, set]]]:
    from newsreader.geo import get_tagger

    tagger = get_tagger()
    tp = fp = fn = 0
    errors = []
    for story in load_labelled():
        tags = tagger.tag(story["title"], story.get("summary", ""), categories=story.get("categories", ()),
                          pinned=story.get("pinned", ()), home=story.get("home"))
        got, want = set(tags.countries), set(story["countries"])
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        if got != want:
            errors.append((story["id"], got, want))
    return (*prf(tp, fp, fn), errors)


def publisher_codes(entry, feed: str) -> set[str] | None:
    """ISO codes of the publisher's country tags; None when the entry has no place tags at all."""
    from newsreader.geo import get_tagger

    terms = []
    for t in entry.get("tags", []):
        if feed == "nyt" and t.get("scheme") == NYT_GEO:
            terms.append(t["term"])
        elif feed == "guardian":
            m = GUARDIAN_WORLD.match(t.get("scheme") or "")
            if m:
                terms.append(t["term"])
    # Map each place term with our own name table: "Kyiv (Ukraine)", "Great Britain", "West Bank".
    tagger = get_tagger()
    codes = set()
    for term in terms:
        codes.update(tagger.tag(term).countries)
    return codes


def score_external(verbose: bool = False) -> dict[str, tuple]:
    import feedparser

    from newsreader.geo import get_tagger

    tagger = get_tagger()
    out = {}
    totals = [0, 0, 0, 0, 0]  # tp central, fp central, tp all, fp all, expected
    for feed, name in (("nyt", "nytimes-world.xml"), ("guardian", "guardian-world.xml")):
        parsed = feedparser.parse(str(CORPUS / "feeds" / name))
        tp = fp = tp_all = fp_all = expected = stories = 0
        for entry in parsed.entries:
            want = publisher_codes(entry, feed)
            if not want:
                continue
            stories += 1
            tags = tagger.tag(strip_html(entry.get("title", "")), strip_html(entry.get("summary", "")))
            got, got_all = set(tags.countries), set(tags.countries) | set(tags.mentions)
            tp += len(got & want)
            fp += len(got - want)
            tp_all += len(got_all & want)
            fp_all += len(got_all - want)
            expected += len(want)
            if verbose and got_all != want:
                print(f"  [{feed}] {entry.get('title')!r}: got {sorted(got)} +{sorted(got_all - got)} want {sorted(want)}")
        out[feed] = (stories, expected, tp, fp, tp_all, fp_all)
        for i, v in enumerate((tp, fp, tp_all, fp_all, expected)):
            totals[i] += v
    out["all"] = (None, totals[4], totals[0], totals[1], totals[2], totals[3])
    return out


def main() -> None:
    verbose = "-v" in sys.argv
    p, r, f, errors = score_labelled()
    n = len(load_labelled())
    print(f"labelled set ({n} stories): precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}  (target F1 >= 0.92)")
    if verbose:
        for sid, got, want in errors:
            print(f"  {sid}: got {sorted(got)} want {sorted(want)}")
    if not (CORPUS / "feeds").is_dir():
        print(f"external check skipped: corpus not found at {CORPUS}")
        return
    for feed, (stories, expected, tp, fp, tp_all, fp_all) in score_external(verbose).items():
        label = {"nyt": "NYT World (nyt_geo)", "guardian": "Guardian World (world/<country>)", "all": "both"}[feed]
        pc, rc, _ = prf(tp, fp, expected - tp)
        pa, ra, _ = prf(tp_all, fp_all, expected - tp_all)
        count = f"{stories} stories, " if stories is not None else ""
        print(f"{label}: {count}{expected} publisher tags | countries: precision {pc:.3f} recall {rc:.3f}"
              f" | countries+mentions: precision {pa:.3f} recall {ra:.3f}")
    print("target: recall >= 0.85 (countries+mentions)")


if __name__ == "__main__":
    main()
