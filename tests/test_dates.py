"""Dates feedparser cannot read (feeds/dates.py), read through `parse_feed` as a fetched feed is.

UOL writes "Seg, 24 Set 2018 19:42:40 -0300"; feedparser gives no date, and the story sorted as fetched "now"
above every real story. Each case here is a one-item feed, read by the lxml reader (UTF-8) and by feedparser
(the same feed in windows-1252, which the lxml reader leaves to it): both must give the same date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from newsreader.config.types import FeedConfig
from newsreader.feeds.parse import ParseOptions, parse_feed
from newsreader.model import ParsedEntry
from newsreader.store import Store

from story_factory import add_stories

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
OPTIONS = ParseOptions(url="https://news.example/rss", tag=False)

RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Feed</title>
<link>https://news.example/</link>
<item><title>A story</title><link>https://news.example/1</link>{dates}</item>
</channel></rss>"""


def read_both_ways(dates: str) -> ParsedEntry:
    """The one entry of a feed holding `dates`, by the lxml reader and by feedparser, which must agree."""
    fast = parse_feed(RSS.format(encoding="utf-8", dates=dates).encode(), OPTIONS)
    slow = parse_feed(RSS.format(encoding="windows-1252", dates=dates).encode("cp1252", "xmlcharrefreplace"), OPTIONS)
    assert not fast.by_feedparser and slow.by_feedparser
    (fast_entry,), (slow_entry,) = fast.entries, slow.entries
    assert (fast_entry.published, fast_entry.updated) == (slow_entry.published, slow_entry.updated)
    return fast_entry


def published(text: str) -> float | None:
    return read_both_ways(f"<pubDate>{text}</pubDate>").published


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def test_uol_dates_are_read() -> None:
    assert published("Seg, 24 Set 2018 10:15:00 -0300") == utc(2018, 9, 24, 13, 15)
    assert published("Qua, 03 Out 2018 19:42:40 -0300") == utc(2018, 10, 3, 22, 42, 40)


# One line a language, with the day name and without it.
LOCALIZED = [
    ("pt", "Seg, 24 Set 2018 10:15:00 -0300", utc(2018, 9, 24, 13, 15)),
    ("pt", "24 Dez 2018 10:15:00 -0200", utc(2018, 12, 24, 12, 15)),
    ("pt", "segunda-feira, 24 de setembro de 2018 10h15", utc(2018, 9, 24, 10, 15)),
    ("es", "mié, 26 sep 2018 10:15:00 +0200", utc(2018, 9, 26, 8, 15)),
    ("es", "26 de septiembre de 2018 10:15", utc(2018, 9, 26, 10, 15)),
    ("es", "Sáb, 03 Nov 2018 10:15:00 CET", utc(2018, 11, 3, 9, 15)),
    ("fr", "lun., 24 sept. 2018 10:15:00 +0200", utc(2018, 9, 24, 8, 15)),
    ("fr", "24 juillet 2018 à 10h15", utc(2018, 7, 24, 10, 15)),
    ("fr", "Mardi 12 février 2019", utc(2019, 2, 12)),
    ("de", "Mo, 24 Sep 2018 10:15:00 MESZ", utc(2018, 9, 24, 8, 15)),
    ("de", "Mittwoch, 24. Oktober 2018 um 10:15 Uhr", utc(2018, 10, 24, 10, 15)),
    ("de", "3. März 2019 10:15 +0100", utc(2019, 3, 3, 9, 15)),
    ("it", "Mer, 26 Set 2018 10:15:00 +0200", utc(2018, 9, 26, 8, 15)),
    ("it", "26 settembre 2018 alle 10:15", utc(2018, 9, 26, 10, 15)),
    ("it", "gio 13 dic 2018", utc(2018, 12, 13)),
    ("nl", "di 24 mrt. 2020 om 10:15", utc(2020, 3, 24, 10, 15)),
    ("nl", "24 oktober 2018", utc(2018, 10, 24)),
    ("pl", "pon, 24 wrz 2018 10:15:00 +0200", utc(2018, 9, 24, 8, 15)),
    ("pl", "24 września 2018", utc(2018, 9, 24)),
    ("ru", "Пн, 24 сен 2018 10:15:00 +0300", utc(2018, 9, 24, 7, 15)),
    ("ru", "24 марта 2018 г. 10:15", utc(2018, 3, 24, 10, 15)),
    ("tr", "Pzt, 24 Eyl 2018 10:15:00 +0300", utc(2018, 9, 24, 7, 15)),
    ("tr", "Salı, 24 Mart 2020 10:15", utc(2020, 3, 24, 10, 15)),
    ("sv", "mån 24 sep 2018 kl. 10:15", utc(2018, 9, 24, 10, 15)),
    ("sv", "24 augusti 2018", utc(2018, 8, 24)),
    ("en", "September 24, 2018 10:15 PM", utc(2018, 9, 24, 22, 15)),
    ("en", "Sep 24, 2018 1:05 p.m. EDT", utc(2018, 9, 24, 17, 5)),
]


@pytest.mark.parametrize(("text", "expected"), [(text, expected) for _lang, text, expected in LOCALIZED],
                         ids=[f"{lang}: {text}" for lang, text, _ in LOCALIZED])
def test_localized_dates_are_read(text: str, expected: float) -> None:
    assert published(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("24 de setembro de 2018", utc(2018, 9, 24)),
    ("24 de Março de 2019 às 10:15", utc(2019, 3, 24, 10, 15)),
    ("sábado, 3 de noviembre de 2018, 10:15", utc(2018, 11, 3, 10, 15)),
    ("3 de Noviembre del 2018", utc(2018, 11, 3)),
])
def test_dates_joined_by_de(text: str, expected: float) -> None:
    assert published(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Seg, 24 Set 18 19:42:40 -0300", utc(2018, 9, 24, 22, 42, 40)),  # two-digit year
    ("Seg, 24 Set 2018 19:42:40 GMT-3", utc(2018, 9, 24, 22, 42, 40)),
    ("Seg, 24 Set 2018 19:42:40 BRT", utc(2018, 9, 24, 22, 42, 40)),
    ("Seg, 24 Set 2018 19:42:40 -03:00 (BRT)", utc(2018, 9, 24, 22, 42, 40)),
    ("SEG, 24 SET 2018", utc(2018, 9, 24)),
    ("24-set-2018", utc(2018, 9, 24)),
    ("fevereiro 3, 2019", utc(2019, 2, 3)),
    ("24.09.2018 10:15", utc(2018, 9, 24, 10, 15)),  # dotted dates are day first
    ("24/09/2018 10:15:00 +0200", utc(2018, 9, 24, 8, 15)),
    ("09/24/2018", utc(2018, 9, 24)),
])
def test_other_forms_feedparser_misses(text: str, expected: float) -> None:
    assert published(text) == expected


@pytest.mark.parametrize("text", [
    "ontem",  # relative words are not dates we read
    "há 2 horas",
    "1m",
    "Set 2018",  # no day: a date would be invented
    "24 Set",  # no year
    "05/09/2018",  # 5 September or May 9
    "31 Fev 2019",  # no such day
    "Seg, 24 Set 2018 25:61:00",
    "Edição de 24 de setembro de 2018",  # a word we do not know: not read whole
    "24 Set 2018 Set 2019",
    "Seg, 24 Set 1989 10:00",  # before 1990: a placeholder, not a story's date
    "01 Ene 1970 00:00:00 GMT",
])
def test_what_cannot_be_read_whole_stays_undated(text: str) -> None:
    assert published(text) is None


def test_an_undated_story_is_placed_at_its_fetch_time(tmp_path: Path) -> None:
    entry = read_both_ways("<pubDate>há 2 horas</pubDate>")
    fetched = utc(2026, 3, 1, 12)
    with Store(tmp_path / "cache.sqlite") as store:
        add_stories(store, FeedConfig(name="UOL", url=OPTIONS.url), [entry], fetched_at=fetched)
        (header,) = store.headers()
    assert entry.published is None
    assert header.when == datetime.fromtimestamp(fetched, UTC)


def test_a_future_date_is_kept_and_sorts_at_its_fetch_time(tmp_path: Path) -> None:
    entry = read_both_ways("<pubDate>Seg, 24 Set 2040 10:15:00 -0300</pubDate>")
    fetched = utc(2026, 3, 1, 12)
    with Store(tmp_path / "cache.sqlite") as store:
        add_stories(store, FeedConfig(name="UOL", url=OPTIONS.url), [entry], fetched_at=fetched)
        sort_at = store._read("SELECT sort_at FROM stories")[0][0]
    assert entry.published == utc(2040, 9, 24, 13, 15)
    assert sort_at == fetched


def test_a_localized_update_date_stands_in_for_a_missing_published() -> None:
    entry = read_both_ways("<dc:date>24 de setembro de 2018</dc:date>")
    assert entry.published == entry.updated == utc(2018, 9, 24)


def test_a_date_feedparser_reads_is_not_read_again() -> None:
    # feedparser reads a zone it does not know as UTC; our reading (+2) only stands in where it gives nothing.
    assert published("Mon, 24 Sep 2018 10:15:00 CEST") == utc(2018, 9, 24, 10, 15)
    assert published("2018-09-24T10:15:00+02:00") == utc(2018, 9, 24, 8, 15)


@pytest.mark.corpus
@pytest.mark.skipif(not (CORPUS / "feeds").is_dir(), reason=f"the real-world corpus is not at {CORPUS}")
def test_every_dated_entry_in_the_corpus_gets_a_date() -> None:
    """Every entry of the corpus that carries a date text has a date once parsed (none did in UOL's feed)."""
    undated: list[str] = []
    dated = 0
    for path in sorted(p for sub in ("feeds", "edge") for p in (CORPUS / sub).iterdir() if p.is_file()):
        body = path.read_bytes()
        raw = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False).entries
        try:
            entries = parse_feed(body, OPTIONS).entries
        except Exception:  # not a feed: an ill-formed edge case, with no entries to date
            assert not raw, path
            continue
        if len(entries) != len(raw):  # a repeated item was dropped: pair them by key instead of by place
            by_key = {e.key: e for e in entries}
            entries = [by_key.get((r.get("id") or "").strip() or r.get("link")) for r in raw]
        for raw_entry, entry in zip(raw, entries, strict=True):
            texts = [dict.get(raw_entry, key) for key in ("published", "updated") if dict.get(raw_entry, key)]
            if texts and entry is not None:
                dated += 1
                if entry.published is None:
                    undated.append(f"{path.name}: {texts}")
    assert dated > 2500
    assert not undated, "\n".join(undated)
