"""Full-text quality: how much of each real article reaches the cache, word for word.

The pages in ../shared/corpus/articles/ are served over loopback through a feed linking to them and fetched
with full text on, through the whole pipeline (download, charset, extraction, storage). The stored Markdown
is read back as plain text (`markdown_to_text`, link targets left out: a reader reads the link's words, not
its URL) and compared with the text a reader should get (`.expected.txt`, or the text of `.expected.html`
for the Mozilla readability pages): token-level precision, recall and F1 per page, and the mean by language.
Tokens are lower-cased words; Chinese and Japanese are counted character by character.

Run from the project root: `python benchmarks/fulltext_quality.py` (the test `tests/test_fulltext_corpus.py`
asserts the targets from the same functions).
"""

from __future__ import annotations

import csv
import html
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
ARTICLES = CORPUS / "articles"

#: Targets of issue 5, for the English pages.
ENGLISH_MEAN_F1 = 0.95
ENGLISH_MIN_F1 = 0.85

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


@dataclass(frozen=True, slots=True)
class PageScore:
    page: str
    lang: str
    precision: float
    recall: float
    f1: float
    stored_chars: int
    note: str = ""  #: why a page has no text, if it has none
    alone_f1: float | None = None  #: trafilatura by itself on the file (plain text): what the pipeline must keep


def score(got: str, expected: str) -> tuple[float, float, float]:
    """Token-level precision, recall and F1 (bags of tokens: order and repetition as counted words)."""
    have, want = Counter(tokens(got)), Counter(tokens(expected))
    common = sum((have & want).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision = common / sum(have.values())
    recall = common / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def page_languages() -> dict[str, str]:
    """Page stem -> language, from the corpus MANIFEST."""
    languages: dict[str, str] = {}
    with open(CORPUS / "MANIFEST.tsv", encoding="utf-8", newline="") as manifest:
        for row in csv.reader(manifest, delimiter="\t"):
            if row and row[0].startswith("articles/") and row[0].endswith(".html") and ".expected" not in row[0]:
                languages[Path(row[0]).stem] = row[3] if len(row) > 3 else "?"
    return languages


def expected_text(stem: str) -> str:
    from newsreader.text.sanitize import html_to_text

    plain = ARTICLES / f"{stem}.expected.txt"
    if plain.exists():
        return plain.read_text(encoding="utf-8")
    return html_to_text((ARTICLES / f"{stem}.expected.html").read_text(encoding="utf-8"))


def headline(page: Path) -> str:
    """The headline a feed would give for this page: its og:title, else its <title>."""
    import lxml.html

    tree = lxml.html.fromstring(page.read_bytes())
    for xpath in ('//meta[@property="og:title"]/@content', '//meta[@name="twitter:title"]/@content', "//title/text()"):
        found = [value.strip() for value in tree.xpath(xpath) if value.strip()]
        if found:
            return found[0]
    return page.stem


def trafilatura_alone(page: Path) -> float:
    """F1 of trafilatura's own plain-text output on the file, with no download, charset or storage in between."""
    import trafilatura

    text = trafilatura.extract(page.read_bytes(), output_format="txt", include_comments=False, include_tables=True)
    return score(text or "", expected_text(page.stem))[2]


def measure(*, extract_workers: int | None = None, baseline: bool = False) -> list[PageScore]:
    """Serve every corpus page, fetch them with full text on, and score what was stored."""
    sys.path.insert(0, str(ROOT / "tests"))
    from newsreader.config.types import Config, FeedConfig
    from newsreader.refresh import refresh_feeds_sync
    from newsreader.store import Store
    from newsreader.text.markdown import markdown_to_text

    from feedserver import FeedServer

    languages = page_languages()
    pages = sorted(p for p in ARTICLES.glob("*.html") if ".expected" not in p.name)
    with FeedServer() as server, tempfile.TemporaryDirectory() as directory:
        items = []
        for page in pages:
            # Served as the bytes on disk, with no charset in the header: the page's own <meta> must be found.
            url = server.feed(f"/articles/{page.name}", page.read_bytes(), content_type="text/html")
            title = html.escape(headline(page))
            items.append(f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
                         f"<description>Summary of {page.stem}.</description></item>")
        feed = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Corpus</title>"
                + "".join(items) + "</channel></rss>")
        feed_url = server.feed("/corpus.xml", feed)
        config = Config(feeds=(FeedConfig(name="Corpus", url=feed_url),))
        with Store(Path(directory) / "cache.sqlite") as store:
            refresh_feeds_sync(store, config, fulltext=True, extract_workers=extract_workers)
            stories = {Path(story.link or "").name.removesuffix(".html"): story for story in store.stories()}
    scores = []
    for page in pages:
        story = stories[page.stem]
        if story.text_source != "article":
            scores.append(PageScore(page.stem, languages.get(page.stem, "?"), 0.0, 0.0, 0.0, 0, story.fulltext_error or ""))
            continue
        plain = markdown_to_text(story.text, link_urls=False)
        precision, recall, f1 = score(plain, expected_text(page.stem))
        scores.append(PageScore(page.stem, languages.get(page.stem, "?"), precision, recall, f1, len(story.text or ""),
                                alone_f1=trafilatura_alone(page) if baseline else None))
    return scores


def report(scores: list[PageScore]) -> str:
    lines = [f"{'page':<20} {'lang':<4} {'P':>6} {'R':>6} {'F1':>6} {'alone':>6}  stored"]
    for s in scores:
        alone = f"{s.alone_f1:6.3f}" if s.alone_f1 is not None else f"{'-':>6}"
        lines.append(f"{s.page:<20} {s.lang:<4} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {alone}  "
                     f"{s.stored_chars} chars{'  ' + s.note if s.note else ''}")
    by_lang: dict[str, list[PageScore]] = {}
    for s in scores:
        by_lang.setdefault(s.lang, []).append(s)
    lines.append("")
    for lang, group in sorted(by_lang.items(), key=lambda item: (item[0] != "en", item[0])):
        mean = lambda attr, group=group: sum(getattr(s, attr) for s in group) / len(group)  # noqa: E731
        alone = ""
        if all(s.alone_f1 is not None for s in group):
            alone = f" (trafilatura alone: mean {mean('alone_f1'):.3f}, lowest {min(s.alone_f1 for s in group):.3f})"
        lines.append(f"{lang}: {len(group)} pages, mean P {mean('precision'):.3f} R {mean('recall'):.3f} "
                     f"F1 {mean('f1'):.3f}, lowest F1 {min(s.f1 for s in group):.3f}{alone}")
    everything = sum(s.f1 for s in scores) / len(scores)
    lines.append(f"all: {len(scores)} pages, mean F1 {everything:.3f}")
    return "\n".join(lines)


def main() -> int:
    if not ARTICLES.is_dir():
        print(f"the article corpus is not at {ARTICLES}; nothing to measure", file=sys.stderr)
        return 1
    print(report(measure(baseline=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
