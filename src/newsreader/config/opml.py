"""OPML 2.0 subscription lists: import into feeds.toml, export from it.

listparser reads the outlines (it knows the dialects real readers write); a strict XML pass first makes
sure the file is well-formed OPML, refuses DTD entities (no entity-expansion bombs), and reads the few
``newsreader:`` attributes our own export adds so that export-then-import gives back the same feeds.

Folders become tags: a feed in ``Tech > Python`` gets the tags ``Tech`` and ``Python``; a feed listed in
several folders (as Feedly and Inoreader write it) gets all of them.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ElementTree
import xml.parsers.expat
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import listparser

from newsreader.config.edit import add_feeds
from newsreader.config.load import MAX_STORIES_RANGE, Unreadable, hostname, read_regular_file
from newsreader.config.types import FeedConfig
from newsreader.errors import OpmlError
from newsreader.text.sanitize import safe_line

#: An OPML file larger than this is refused: a list of ten thousand feeds is about 2 MiB.
MAX_OPML_BYTES = 8 * 1024 * 1024
#: Our extension attributes (countries, home, region, fulltext, maxStories, tags) live in this namespace.
NAMESPACE = "https://pypi.org/project/newsreader/#opml"

_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class OpmlFeeds:
    """The feeds found in one OPML file, in file order, one per URL."""

    title: str | None
    feeds: tuple[FeedConfig, ...]
    repeated: tuple[tuple[FeedConfig, int], ...] = ()  #: (feed, times listed) for URLs listed more than once
    without_url: int = 0  #: outlines with a site link but no feed URL


@dataclass(frozen=True, slots=True)
class ImportResult:
    path: Path
    created: bool
    added: tuple[FeedConfig, ...]
    skipped: tuple[tuple[FeedConfig, str], ...]  #: (feed, why): already subscribed, repeated in the file
    without_url: int = 0


# -- reading -------------------------------------------------------------------------------------------


def read_opml_file(path: str | os.PathLike[str]) -> bytes:
    """The file's bytes, refusing one over MAX_OPML_BYTES, or anything but a regular file, without reading it."""
    try:
        return read_regular_file(path, MAX_OPML_BYTES, "an OPML file")
    except Unreadable as error:
        raise OpmlError(f"{path}: {error}") from None


@dataclass(slots=True)
class _Scan:
    root: str | None = None
    outlines: int = 0
    site_only: int = 0  #: outlines with an htmlUrl and no xmlUrl: a website, not a feed
    urls: Counter[str] = field(default_factory=Counter)
    extensions: dict[str, dict[str, str]] = field(default_factory=dict)  #: feed URL -> our attributes (first seen)


def _scan(data: bytes, source: str) -> _Scan:
    """Check the XML strictly and collect what listparser does not give: roots, counts, our attributes."""
    scan = _Scan()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="|")

    def refuse_entities(*_: object) -> None:
        raise OpmlError(f"{source}: declares DTD entities, which OPML never needs; refused")

    def start(name: str, attributes: dict[str, str]) -> None:
        if scan.root is None:
            scan.root = name
        if name.rpartition("|")[2] != "outline":
            return
        scan.outlines += 1
        plain = {key.lower(): value for key, value in attributes.items() if "|" not in key}
        url = (plain.get("xmlurl") or "").strip()
        if not url:
            scan.site_only += bool((plain.get("htmlurl") or "").strip())
            return
        scan.urls[url] += 1
        ours = {key.split("|", 1)[1]: value for key, value in attributes.items() if key.startswith(NAMESPACE + "|")}
        if ours and url not in scan.extensions:
            scan.extensions[url] = ours

    parser.StartElementHandler = start
    parser.EntityDeclHandler = refuse_entities
    parser.ExternalEntityRefHandler = lambda *_: 0  # never fetch anything named by the file
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as error:
        raise OpmlError(f"{source}: not valid XML ({xml.parsers.expat.errors.messages[error.code]} "
                        f"at line {error.lineno})") from None
    return scan


def _extension_fields(ours: Mapping[str, str]) -> dict[str, object]:
    """Our own attributes, where valid; anything else is ignored rather than fatal."""
    fields: dict[str, object] = {}
    countries = [c for c in ours.get("countries", "").split() if _COUNTRY_CODE.match(c)]
    if countries:
        fields["countries"] = tuple(c.upper() for c in countries)
    if _COUNTRY_CODE.match(ours.get("home", "")):
        fields["home"] = ours["home"].upper()
    if region := safe_line(ours.get("region")):
        fields["region"] = region
    if ours.get("fulltext") in ("true", "false"):
        fields["fulltext"] = ours["fulltext"] == "true"
    lowest, highest = MAX_STORIES_RANGE
    if re.fullmatch(r"[0-9]{1,9}", ours.get("maxStories", "")) and lowest <= int(ours["maxStories"]) <= highest:
        fields["max_stories"] = int(ours["maxStories"])
    # Our exact tag list, in order: folders and the category attribute cannot carry every tag faithfully.
    try:
        tags = json.loads(ours["tags"]) if "tags" in ours else None
    except ValueError:
        tags = None
    if isinstance(tags, list) and all(isinstance(tag, str) for tag in tags):
        fields["tags"] = tuple(dict.fromkeys(t for tag in tags if (t := safe_line(tag))))
    return fields


def _tags(categories: Sequence[Sequence[str]]) -> tuple[str, ...]:
    tags: dict[str, None] = {}
    for path in categories:
        for part in path:
            if tag := safe_line(part):
                tags.setdefault(tag, None)
    return tuple(tags)


def parse_opml(data: bytes, source: str = "OPML") -> OpmlFeeds:
    """The feeds of an OPML document. Raises OpmlError for anything that is not usable OPML with feeds."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"{source}: too large for an OPML file (over {MAX_OPML_BYTES // (1024 * 1024)} MiB)")
    if not data.strip():
        raise OpmlError(f"{source}: the file is empty")
    scan = _scan(data, source)
    if scan.root is None or scan.root.rpartition("|")[2].lower() != "opml":
        root = scan.root.rpartition("|")[2] if scan.root else "nothing"
        raise OpmlError(f"{source}: not an OPML file (the document is <{root}>, not <opml>)")
    if scan.outlines == 0:
        raise OpmlError(f"{source}: no outlines: the OPML file lists no feeds")
    # Always bytes: given a str that starts with http, listparser would fetch it.
    parsed = listparser.parse(bytes(data))
    feeds: list[FeedConfig] = []
    repeated: list[tuple[FeedConfig, int]] = []
    for entry in parsed.get("feeds", []):
        url = (entry.get("url") or "").strip()
        ours = scan.extensions.get(url, {})
        fields: dict[str, object] = {"tags": _tags(entry.get("categories", []))}
        fields.update(_extension_fields(ours))
        feed = FeedConfig(
            name=safe_line(entry.get("title")) or hostname(url) or url,
            url=url,
            **fields,  # type: ignore[arg-type]
        )
        feeds.append(feed)
        # Our own export lists a feed once per folder it cannot otherwise show; that is no duplicate.
        if scan.urls[url] > 1 and "tags" not in ours:
            repeated.append((feed, scan.urls[url]))
    if not feeds:
        raise OpmlError(f"{source}: no feeds: none of its {scan.outlines} outlines has an xmlUrl")
    title = safe_line(parsed.get("meta", {}).get("title")) or None
    return OpmlFeeds(title=title, feeds=tuple(feeds), repeated=tuple(repeated), without_url=scan.site_only)


def import_opml(opml_path: str | os.PathLike[str], config_path: str | os.PathLike[str]) -> ImportResult:
    """Add the OPML file's feeds to feeds.toml; duplicates are skipped and reported. All or nothing."""
    found = parse_opml(read_opml_file(opml_path), str(opml_path))
    result = add_feeds(config_path, found.feeds)
    added_urls = {feed.url for feed in result.added}
    skipped = [(feed, f"listed {times} times in the file; added once") for feed, times in found.repeated
               if feed.url in added_urls]
    skipped += list(result.skipped)
    return ImportResult(path=result.path, created=result.created, added=result.added, skipped=tuple(skipped),
                        without_url=found.without_url)


# -- writing -------------------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _outline(feed: FeedConfig, site_url: str | None) -> ElementTree.Element:
    name = _xml_text(feed.name)
    attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": _xml_text(feed.url)}
    if site_url:
        attributes["htmlUrl"] = _xml_text(site_url)
    # Tags beyond the folder the feed sits in: OPML's category attribute ("/a,/b") carries them.
    simple = [tag for tag in feed.tags if "," not in tag and "/" not in tag]
    if len(feed.tags) > 1 and simple:
        attributes["category"] = _xml_text(",".join("/" + tag for tag in simple))
    ns = "{" + NAMESPACE + "}"
    if feed.countries:
        attributes[ns + "countries"] = " ".join(feed.countries)
    if feed.home:
        attributes[ns + "home"] = feed.home
    if feed.region:
        attributes[ns + "region"] = _xml_text(feed.region)
    if feed.fulltext is not None:
        attributes[ns + "fulltext"] = "true" if feed.fulltext else "false"
    if feed.max_stories is not None:
        attributes[ns + "maxStories"] = str(feed.max_stories)
    if feed.tags:
        attributes[ns + "tags"] = _xml_text(json.dumps(list(feed.tags), ensure_ascii=False))
    return ElementTree.Element("outline", attributes)


def export_opml(feeds: Sequence[FeedConfig], *, title: str = "newsreader feeds",
                site_urls: Mapping[str, str] | None = None, now: datetime | None = None) -> str:
    """An OPML 2.0 document of these feeds. A tagged feed sits in the folder of its first tag."""
    ElementTree.register_namespace("newsreader", NAMESPACE)
    site_urls = site_urls or {}
    root = ElementTree.Element("opml", {"version": "2.0"})
    head = ElementTree.SubElement(root, "head")
    ElementTree.SubElement(head, "title").text = _xml_text(title)
    ElementTree.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    body = ElementTree.SubElement(root, "body")
    folders: dict[str, ElementTree.Element] = {}

    def folder(tag: str) -> ElementTree.Element:
        if tag not in folders:
            folders[tag] = ElementTree.SubElement(body, "outline", {"text": _xml_text(tag), "title": _xml_text(tag)})
        return folders[tag]

    for feed in feeds:
        site_url = site_urls.get(feed.url)
        if not feed.tags:
            body.append(_outline(feed, site_url))
            continue
        folder(feed.tags[0]).append(_outline(feed, site_url))
        # A tag the category attribute cannot carry: list the feed in that folder too (readers merge these).
        for tag in feed.tags[1:]:
            if "," in tag or "/" in tag:
                folder(tag).append(_outline(feed, site_url))
    ElementTree.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def write_export(text: str, path: str | os.PathLike[str]) -> None:
    """Write an export atomically: a failed write leaves any earlier file as it was."""
    target = Path(path).expanduser()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise OpmlError(f"{target}: cannot write: {error.strerror or error}") from None
