"""The lxml reader for well-formed feeds gives what feedparser gives, or steps aside.

Every test here is differential: a feed is read by `read_wellformed` and by feedparser (as `parse_feed` calls
it), and what we keep of each entry must be equal. A feed the fast reader does not take must come back as
None, and some feeds must be taken, or the fast path could silently stop working.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import feedparser
import pytest

from newsreader.feeds import parse
from newsreader.feeds.parse import ParseOptions, parse_feed
from newsreader.feeds.wellformed import read_wellformed

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
SUITE = CORPUS / "feedparser-suite"
FIXTURES = Path(__file__).parent / "feeds"
CONTENT_TYPES = [None, "application/rss+xml; charset=utf-8", "application/atom+xml", "text/xml",
                 "text/xml; charset=UTF-8", "text/html"]


def feedparser_result(body: bytes, content_type: str | None) -> Any:
    headers = {"content-type": content_type} if content_type else {}
    return feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)


def kept(entry: Any) -> dict[str, Any]:
    """What parse_feed reads of an entry."""
    return {
        "id": entry.get("id"),
        "link": entry.get("link"),
        "title": entry.get("title"),
        "summary": entry.get("summary"),
        "author": entry.get("author"),
        "published": dict.get(entry, "published_parsed"),
        "updated": dict.get(entry, "updated_parsed"),
        # The texts too: where feedparser's date parser gives nothing, parse.py reads them (feeds/dates.py).
        "published text": dict.get(entry, "published"),
        "updated text": dict.get(entry, "updated"),
        "content": [(c.get("type"), c.get("value")) for c in entry.get("content") or []],
        "tags": [(t.get("term"), t.get("scheme"), t.get("label")) for t in entry.get("tags") or []],
    }


def assert_same_as_feedparser(body: bytes, content_type: str | None = None) -> bool:
    """True when the fast reader took the feed, having checked it agrees with feedparser."""
    fast = read_wellformed(body, content_type)
    if fast is None:
        return False
    slow = feedparser_result(body, content_type)
    assert not slow.get("bozo"), f"taken although feedparser flags it: {slow.get('bozo_exception')}"
    assert [kept(e) for e in fast["entries"]] == [kept(e) for e in slow.entries]
    feed_keys = ("title", "link", "language")  # the language: parse.py infers a feed's home from it
    assert {k: fast["feed"].get(k) for k in feed_keys} == {k: slow.feed.get(k) for k in feed_keys}
    return True


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for sub in ("feeds", "edge") for p in (CORPUS / sub).iterdir() if p.is_file())


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world corpus is not at {CORPUS}")
@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_feed_reads_as_feedparser_reads_it(path: Path) -> None:
    body = path.read_bytes()
    for content_type in CONTENT_TYPES:
        assert_same_as_feedparser(body, content_type)


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world corpus is not at {CORPUS}")
def test_most_real_feeds_take_the_fast_path() -> None:
    feeds = sorted((CORPUS / "feeds").glob("*.xml"))
    taken = {p.name for p in feeds if read_wellformed(p.read_bytes(), None) is not None}
    # Publishers whose feeds are well-formed UTF-8 RSS or Atom; they must not drift to feedparser unnoticed.
    for name in ("bbc-world.xml", "nytimes-world.xml", "aljazeera-english-all.xml", "lemonde-une.xml",
                 "dailymail-articles.xml", "heise-developer.atom.xml", "20minutos-es.rdf.xml", "golem-de.xml"):
        assert name in taken
    assert len(taken) >= len(feeds) * 2 // 3


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the real-world corpus is not at {CORPUS}")
def test_parse_feed_stores_the_same_stories_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """End to end, tagging included: the stories parse_feed makes do not depend on which reader ran."""
    options = ParseOptions(url="https://example.org/feed.xml", content_type="application/rss+xml")
    bodies = [p.read_bytes() for p in sorted((CORPUS / "feeds").glob("*.xml"))]
    fast = [parse_feed(body, options) for body in bodies]
    monkeypatch.setattr(parse, "read_wellformed", lambda body, content_type: None)
    assert [parse_feed(body, options) for body in bodies] == fast


def suite_content_type(path: Path, body: bytes) -> str | None:
    """The Content-Type feedparser's own runner gives a file of its suite: its Header line, else text/xml
    under a path that says http."""
    given = re.search(rb"Header:\s*Content-type:\s*(.*?)\s*(?:\n|-->)", body, re.IGNORECASE)
    if given:
        return given.group(1).decode("ascii")
    return "text/xml" if "http" in str(path.relative_to(SUITE)) else None


@pytest.mark.corpus
@pytest.mark.skipif(not SUITE.is_dir(), reason=f"feedparser's test suite is not at {SUITE}")
@pytest.mark.parametrize("folder", ["wellformed", "illformed", "encoding", "entities"])
def test_feedparser_suite_reads_as_feedparser_reads_it(folder: str) -> None:
    """feedparser's own conformance files, whole: each one the fast reader takes agrees with feedparser."""
    taken, disagreements = 0, []
    for path in sorted((SUITE / folder).rglob("*.xml")):
        body = path.read_bytes()
        try:
            taken += assert_same_as_feedparser(body, suite_content_type(path, body))
        except AssertionError as error:
            disagreements.append(f"{path.relative_to(SUITE)}: {str(error).splitlines()[0][:200]}")
    assert not disagreements, "\n".join(disagreements)
    if folder == "wellformed":  # most of feedparser's well-formed cases stay on the fast path
        assert taken >= 800


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*")), ids=lambda p: p.name)
def test_our_fixture_feeds_read_as_feedparser_reads_them(path: Path) -> None:
    for content_type in CONTENT_TYPES:
        assert_same_as_feedparser(path.read_bytes(), content_type)


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel><title>Feed</title><link>https://example.org/</link>
<atom:link rel="self" href="https://example.org/feed.xml"/>
{items}
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
<title type="html">Feed &amp;amp; more</title><link href="https://example.org/"/>
<link rel="self" href="https://example.org/feed.atom"/><id>urn:feed</id><updated>2026-03-01T10:00:00Z</updated>
{items}
</feed>"""

# Each case is one item whose reading turns on one of feedparser's rules.
RSS_ITEMS = {
    "guid is the link when there is none": "<item><title>A</title><guid>https://example.org/a</guid></item>",
    "a later link wins over a guid": "<item><guid>https://example.org/g</guid><link>https://example.org/l</link></item>",
    "a guid that is not a permalink": '<item><guid isPermaLink="false">abc-1</guid><title>A</title></item>',
    "a permalink spelled True": '<item><guid isPermaLink="True">https://example.org/t</guid><title>A</title></item>',
    "a link given as a url attribute": '<item><atom:link url="https://example.org/u"/><title>A</title></item>',
    "an empty link": "<item><title>A</title><link></link><guid>https://example.org/g</guid></item>",
    "extra slashes after the scheme": "<item><link>http:///example.org/a</link><guid>file:////x</guid></item>",
    "entities in a link": "<item><link>https://example.org/?a=1&amp;amp;b=2&amp;c;</link></item>",
    "categories with and without domain": (
        '<item><category domain="geo">France</category><category>Paris</category><category>Paris</category>'
        '<category domain="x"></category><category>After empty</category><dc:subject>Economy</dc:subject></item>'),
    "media keywords and categories": (
        "<item><title>A</title><media:keywords>Kenya, Nairobi ,, elections</media:keywords>"
        '<media:category label="L">World/Africa</media:category></item>'),
    "a media description after the description is content": (
        "<item><title>A</title><description>Summary</description><media:content url='x'/>"
        "<media:description>Caption</media:description></item>"),
    "a media description alone is the summary": "<item><title>A</title><media:description>Only</media:description></item>",
    "a caption that looks like HTML": (
        "<item><description>Sum</description><media:description>&lt;b&gt;Cap&lt;/b&gt;</media:description>"
        "<content:encoded>&lt;p&gt;Body&lt;/p&gt;</content:encoded></item>"),
    "plain content typed as text": "<item><content:encoded type='text'>&lt;p&gt;Body&lt;/p&gt;</content:encoded></item>",
    "a second and third description": (
        "<item><description>a</description><description>b</description><description>c</description></item>"),
    "content before the description": (
        "<item><content:encoded><![CDATA[<p>Body</p>]]></content:encoded><description>Sum</description></item>"),
    "content without a description": "<item><title>A</title><content:encoded>&lt;p&gt;Body&lt;/p&gt;</content:encoded></item>",
    "media title inside media content": (
        "<item><media:content url='x'><media:title>Photo</media:title><media:description>Cap</media:description>"
        "</media:content><title>Real</title><description>Sum</description></item>"),
    "a media title before the title": "<item><media:title>Media</media:title><title>Real</title></item>",
    "an empty title then a title": "<item><title></title><title>Second</title></item>",
    "a source resets title depth": (
        "<item><title>A</title><source url='https://s.example/'>Src</source><media:title>M</media:title></item>"),
    "several dc creators": "<item><dc:creator>One</dc:creator><dc:creator>Two</dc:creator></item>",
    "an email author": "<item><author>jo@example.org (Jo Smith)</author></item>",
    "an author with parts": "<item><atom:author><atom:name>Ana</atom:name><atom:uri>https://a/</atom:uri></atom:author></item>",
    "dates": ("<item><pubDate>Mon, 02 Mar 2026 10:00:00 +0100</pubDate><dc:date>2026-03-03T08:00:00Z</dc:date>"
              "<pubDate>not a date</pubDate></item>"),
    "dates only our own parser reads": ("<item><pubDate>Seg, 24 Set 2018 19:42:40 -0300</pubDate>"
                                         "<dc:date>24 de setembro de 2018</dc:date></item>"),
    "mojibake and C1 controls": "<item><title>CafÃ© \u0093quoted\u0094 \u20ac</title></item>",
    "markup-like text": "<item><title>[bold]x[/bold] &lt;b&gt;y&lt;/b&gt;</title><description> \n spaced \n </description></item>",
    "an unknown element and namespace": (
        '<item><title>A</title><foo>bar</foo><x:title xmlns:x="urn:x">X</x:title>'
        '<post-id xmlns="com-wordpress:feed-additions:1">7</post-id></item>'),
    "an alternate atom link in an RSS item": (
        '<item><link>https://example.org/text</link><atom:link rel="alternate" href="https://example.org/alt"/>'
        '<atom:link rel="enclosure" href="https://example.org/a.mp3"/></item>'),
}

ATOM_ENTRIES = {
    "text constructs": ('<entry><id>urn:1</id><title type="html">A &amp;amp; B &lt;i&gt;x&lt;/i&gt;</title>'
                        '<summary type="text">S</summary><content type="html">&lt;p&gt;C&lt;/p&gt;</content></entry>'),
    "the id is the link when there is none": "<entry><id>https://example.org/e</id><title>T</title></entry>",
    "the last alternate link": (
        '<entry><id>urn:2</id><link href="https://example.org/1"/><link rel="alternate" type="text/html" '
        'href="https://example.org/2"/><link rel="related" href="https://example.org/3"/>'
        '<link rel="alternate" type="application/pdf" href="https://example.org/4"/></entry>'),
    "author with email": "<entry><id>urn:3</id><author><name>Ana</name><email>ana@example.org</email></author></entry>",
    "author parts are not repaired": "<entry><id>urn:8</id><author><name>Caf\u00c3\u00a9 \u0093x\u0094</name></author></entry>",
    "content before summary": '<entry><id>urn:4</id><content type="html">Body</content><summary>Sum</summary></entry>',
    "text content copies to summary": '<entry><id>urn:5</id><content>Plain body</content></entry>',
    "categories": '<entry><id>urn:6</id><category term="Kenya" scheme="geo" label="K"/><category term="x"/></entry>',
    "published and updated": ("<entry><id>urn:7</id><published>2026-03-01T10:00:00+02:00</published>"
                              "<updated>2026-03-02T10:00:00Z</updated></entry>"),
}


@pytest.mark.parametrize("case", list(RSS_ITEMS), ids=list(RSS_ITEMS))
def test_rss_rule_matches_feedparser(case: str) -> None:
    body = RSS.format(items=RSS_ITEMS[case]).encode()
    for content_type in (None, "application/rss+xml"):
        assert assert_same_as_feedparser(body, content_type), "the fast reader should take this feed"


@pytest.mark.parametrize("case", list(ATOM_ENTRIES), ids=list(ATOM_ENTRIES))
def test_atom_rule_matches_feedparser(case: str) -> None:
    body = ATOM.format(items=ATOM_ENTRIES[case]).encode()
    assert assert_same_as_feedparser(body, "application/atom+xml"), "the fast reader should take this feed"


STEPS_ASIDE = {
    "ill-formed": RSS.format(items="<item><title>A & B</title></item>").encode(),
    "a DOCTYPE": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y">]>' + RSS.format(items="").encode()[38:],
    "a DOCTYPE after a long comment": (b'<?xml version="1.0"?><!--' + b"x" * 5000 + b'--><!DOCTYPE rss>'
                                       + RSS.format(items="<item><title>A</title></item>").encode()[38:]),
    "xml:base": RSS.format(items='<item xml:base="https://b.example/"><link>a</link></item>').encode(),
    "another encoding": RSS.format(items="<item><title>\u041c\u043e\u0441\u043a\u0432\u0430</title></item>").replace(
        "utf-8", "windows-1251").encode("windows-1251"),
    "XHTML content": ATOM.format(
        items='<entry><id>u</id><content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></content></entry>'
    ).encode(),
    "Atom 0.3": b'<feed xmlns="http://purl.org/atom/ns#" version="0.3"><title>x</title></feed>',
    "an element read another way": RSS.format(items="<item><dc:title>x</dc:title><dc:description>d</dc:description>"
                                                    "<itunes:summary xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'>s"
                                                    "</itunes:summary></item>").encode(),
    "markup inside a title": RSS.format(items="<item><title>a <b>bold</b></title></item>").encode(),
}


@pytest.mark.parametrize("case", list(STEPS_ASIDE), ids=list(STEPS_ASIDE))
def test_feeds_it_does_not_mirror_go_to_feedparser(case: str) -> None:
    assert read_wellformed(STEPS_ASIDE[case], "application/rss+xml") is None


LATIN1_BODY = RSS.format(items="<item><title>Caf\u00e9 \u0093cr\u00e8me\u0094</title></item>").replace(
    "utf-8", "iso-8859-1").encode("iso-8859-1")


@pytest.mark.parametrize(("content_type", "taken"), [
    (None, True),
    ("application/rss+xml", True),
    ("application/rss+xml; charset=ISO-8859-1", True),
    ("application/rss+xml; charset=utf-8", False),  # feedparser believes the header, libxml2 the declaration
    ("text/xml; charset=latin1", True),
    ("text/xml", False),  # US-ASCII by RFC 3023: feedparser complains of the override
    ("Application/RSS+XML", False),  # feedparser compares media types as sent
])
def test_iso_8859_1_is_read_as_feedparser_reads_it(content_type: str | None, taken: bool) -> None:
    assert assert_same_as_feedparser(LATIN1_BODY, content_type) is taken


def test_text_xml_without_charset_is_taken_only_when_ascii() -> None:
    """RFC 3023: feedparser reads text/xml without a charset as US-ASCII, and complains of anything else."""
    ascii_body = RSS.format(items="<item><title>Plain</title></item>").encode()
    accented = RSS.format(items="<item><title>Caf\u00e9</title></item>").encode()
    assert assert_same_as_feedparser(ascii_body, "text/xml")
    assert read_wellformed(accented, "text/xml") is None
    assert assert_same_as_feedparser(accented, "text/xml; charset=utf-8")


def test_a_hostile_feed_is_kept_literal_either_way() -> None:
    body = RSS.format(items="<item><title>[link=file:///etc/passwd]x[/link] \u009b31m</title></item>").encode()
    assert assert_same_as_feedparser(body)
    entry = parse_feed(body, ParseOptions(url="https://example.org/feed.xml")).entries[0]
    assert entry.title.startswith("[link=file:///etc/passwd]x[/link]")
    assert "\u009b" not in entry.title


# -- random feeds --------------------------------------------------------------------------------
# Items built at random from the elements whose rules interact (which title, summary, link or author wins,
# what becomes content, how categories merge), with awkward texts, must read the same both ways.

TEXTS = ["Kyiv talks", "", "  spaced  ", "A &amp; B", "&lt;b&gt;bold&lt;/b&gt;", "<![CDATA[<p>para</p>]]>",
         "Caf\u00c3\u00a9 cr\u00e8me", "x\u0093y", "https://example.org/a", "http:///x.org/p", "jo@example.org (Jo)",
         "Mon, 02 Mar 2026 10:00:00 +0100", "2026-03-03T08:00:00Z", "Seg, 24 Set 2018 19:42:40 -0300",
         "World, Africa ,Kenya", "true"]
MEDIA_PARTS = ["<media:title>{}</media:title>", "<media:description>{}</media:description>",
               "<media:credit>{}</media:credit>", "<media:thumbnail url='t'/>", "<media:keywords>{}</media:keywords>"]
RSS_PARTS = [
    "<title>{}</title>", "<title></title>", "<media:title>{}</media:title>", "<dc:title>{}</dc:title>",
    "<description>{}</description>", '<description type="html">{}</description>',
    "<media:description>{}</media:description>", "<dc:description>{}</dc:description>",
    "<content:encoded>{}</content:encoded>", '<content:encoded type="text">{}</content:encoded>',
    "<guid>{}</guid>", '<guid isPermaLink="false">{}</guid>', '<guid isPermaLink="True">{}</guid>',
    "<link>{}</link>", "<link></link>", "<link url='https://e.org/url'/>",
    '<atom:link rel="alternate" href="https://e.org/alt"/>', '<atom:link rel="self" href="https://e.org/self"/>',
    "<category>{}</category>", '<category domain="d">{}</category>', '<category domain="">{}</category>',
    '<category term="t" domain="d">{}</category>', "<dc:subject>{}</dc:subject>", "<media:keywords>{}</media:keywords>",
    '<media:category label="L">{}</media:category>', "<dc:creator>{}</dc:creator>", "<author>{}</author>",
    "<atom:author><atom:name>{}</atom:name></atom:author>", "<pubDate>{}</pubDate>", "<dc:date>{}</dc:date>",
    "<dcterms:modified>{}</dcterms:modified>", "<dcterms:issued>{}</dcterms:issued>",
    "<source url='https://s.example/'>{}</source>", "<comments>{}</comments>", "<enclosure url='x' type='audio/mpeg'/>",
    "<foo>{}</foo>", "<x:bar xmlns:x='urn:x'>{}</x:bar>", "<foo><title>{}</title></foo>",
    "<itunes:summary>{}</itunes:summary>", "MEDIA_CONTENT", "MEDIA_GROUP",
]
ATOM_PARTS = [
    '<title type="text">{}</title>', '<title type="html">{}</title>', '<summary type="text">{}</summary>',
    '<summary type="html">{}</summary>', '<content type="text">{}</content>', '<content type="html">{}</content>',
    "<id>{}</id>", '<link rel="alternate" type="text/html" href="https://e.org/1"/>', '<link href="https://e.org/2"/>',
    '<link rel="related" href="https://e.org/3"/>', '<link rel="alternate" type="application/pdf" href="https://e.org/4"/>',
    "<published>{}</published>", "<updated>{}</updated>", '<category term="Kenya" scheme="s"/>', '<category term=""/>',
    "<author><name>{}</name></author>", "<author><name>{}</name><email>a@b.org</email></author>",
    "<media:description>{}</media:description>", "<media:title>{}</media:title>",
]
CHANNEL_PARTS = ["<title>{}</title>", "<link>{}</link>", "<image><title>{}</title><link>x</link><url>u</url></image>",
                 '<atom:link rel="alternate" href="https://e.org/c"/>', '<atom:link rel="self" href="https://e.org/s"/>',
                 "<description>{}</description>", "<textInput><title>{}</title><link>l</link></textInput>"]
NAMESPACES = ('xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
              'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"')


def random_feed(rng: random.Random) -> bytes:
    def fill(template: str) -> str:
        if template in ("MEDIA_CONTENT", "MEDIA_GROUP"):
            tag = "media:content url='u'" if template == "MEDIA_CONTENT" else "media:group"
            inner = "".join(fill(rng.choice(MEDIA_PARTS)) for _ in range(rng.randint(0, 3)))
            return f"<{tag}>{inner}</{tag.split()[0]}>"
        return template.replace("{}", rng.choice(TEXTS))

    def items(tag: str, parts: list[str]) -> str:
        return "".join(f"<{tag}>" + "".join(fill(rng.choice(parts)) for _ in range(rng.randint(1, 7))) + f"</{tag}>"
                       for _ in range(rng.randint(1, 3)))

    if rng.random() < 0.35:
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" {NAMESPACES}>'
                f'<title>F</title><link href="https://e.org/"/>{items("entry", ATOM_PARTS)}</feed>').encode()
    channel = "".join(fill(rng.choice(CHANNEL_PARTS)) for _ in range(rng.randint(0, 3)))
    text = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {NAMESPACES}><channel>{channel}'
            f'{items("item", RSS_PARTS)}</channel></rss>')
    if rng.random() < 0.2:
        return text.replace('encoding="utf-8"', 'encoding="iso-8859-1"').encode("iso-8859-1")
    return text.encode()


@pytest.mark.parametrize("seed", range(4))
def test_random_feeds_read_as_feedparser_reads_them(seed: int) -> None:
    rng = random.Random(seed)
    taken = sum(assert_same_as_feedparser(random_feed(rng)) for _ in range(150))
    assert taken >= 75  # most of them are feeds the fast reader must take
