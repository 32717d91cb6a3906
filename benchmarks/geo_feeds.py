"""Spot-check the country tags of every feed in ../shared/corpus/feeds, as a fetch would give them.

    python benchmarks/geo_feeds.py [--show CODE ...] [--feed NAME]

Each feed goes through the fetch pipeline's parser and tagger with the home country infer_home()
gives it (its address from the feed's own link, its declared language). Prints, per feed, the inferred
home, how many stories have a country, how many fall back to the home, and the most frequent first
countries; --show CODE lists the stories whose countries include CODE (for instance GD, for Granada).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import feedparser

ROOT = Path(__file__).resolve().parents[1]
FEEDS = ROOT.parent / "shared" / "corpus" / "feeds"


def main() -> None:
    from newsreader.feeds.parse import ParseError, ParseOptions, parse_feed
    from newsreader.geo import infer_home

    ap = argparse.ArgumentParser()
    ap.add_argument("--show", nargs="*", default=[])
    ap.add_argument("--feed", default="")
    args = ap.parse_args()
    if not FEEDS.is_dir():
        raise SystemExit(f"corpus not found at {FEEDS}")
    for path in sorted(FEEDS.glob("*.xml")):
        if args.feed not in path.name:
            continue
        raw = path.read_bytes()
        info = feedparser.parse(raw).get("feed", {})
        home = infer_home(info.get("link") or "", info.get("language"))
        try:
            feed = parse_feed(raw, ParseOptions(url=path.as_uri(), home=home))
        except ParseError:
            continue
        stories = feed.entries
        first = Counter(s.countries[0] for s in stories if s.countries)
        only_home = sum(1 for s in stories if s.countries == (home,) and home)
        print(f"{path.name}: home {home} ({info.get('language')}), {len(stories)} stories, "
              f"{sum(bool(s.countries) for s in stories)} with a country, {only_home} home alone; "
              f"first: {', '.join(f'{c} {n}' for c, n in first.most_common(6))}")
        for s in stories:
            if set(args.show) & (set(s.countries) | set(s.mentions)):
                print(f"    {list(s.countries)} +{list(s.mentions)} {s.title[:90]}")


if __name__ == "__main__":
    main()
