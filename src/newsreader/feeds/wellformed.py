"""Well-formed RSS 2.0, RSS 1.0 and Atom 1.0 in UTF-8 or ISO-8859-1, read with lxml as feedparser reads them.

feedparser is a SAX parser written in Python: 15-20 ms of CPU for a 50-item feed, most of what a cold fetch
costs (benchmarks/README.md). libxml2 builds the same document in under 1 ms. `read_wellformed` reads the few
things we keep of each entry (title, link, id, dates, summary, content, author, categories) by feedparser's
own rules, and only for documents whose every element in an entry it knows how feedparser treats. Anything
else returns None, and feedparser reads the feed: ill-formed XML, another encoding (or one feedparser would
choose differently from libxml2), a DOCTYPE, an xml:base, XHTML content, or an element feedparser gives a
meaning not mirrored here (itunes:summary, a second id, ...). tests/test_wellformed.py holds both readers to
the same stories over the real-world corpus and our own feeds.

It leans on three of feedparser's internals (its date parser, its namespace prefixes and its handler names);
should a feedparser release move them, `AVAILABLE` is False and every feed goes to feedparser.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from newsreader.text.sniff import codec_name

try:
    from feedparser.api import StrictFeedParser
    from feedparser.datetimes import _parse_date
    from feedparser.html import _cp1252

    _NAMESPACES: dict[str, str] = {uri.lower(): prefix for uri, prefix in StrictFeedParser.namespaces.items()}
    AVAILABLE = True
except (ImportError, AttributeError):  # pragma: no cover - a feedparser without these internals
    AVAILABLE = False

ATOM = "http://www.w3.org/2005/Atom"
RSS10 = "http://purl.org/rss/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: How feedparser treats the entry elements read here, by its handler names for them.
_TITLES = frozenset({"title", "dc_title", "media_title"})
_SUMMARIES = frozenset({"description", "summary", "dc_description", "media_description"})
_CONTENTS = frozenset({"content_encoded", "content"})
_CATEGORIES = frozenset({"category", "dc_subject", "media_category", "media_keywords"})
_PUBLISHED = frozenset({"pubdate", "published", "dcterms_issued"})
_UPDATED = frozenset({"updated", "dc_date", "dcterms_modified"})
_AUTHORS = frozenset({"author", "dc_creator", "dc_author"})
#: Elements these may sit in, deeper than the entry's own children, and still count.
_NESTABLE = frozenset({"media_title", "media_description", "media_category", "media_keywords"})
#: Elements feedparser has a handler for that store nothing we read (enclosures, media, comments, rights...).
_INERT = frozenset({
    "enclosure", "comments", "rights", "language", "dc_rights", "dc_language", "dc_publisher", "dc_format",
    "dc_type", "dc_source", "dc_identifier", "dcterms_created", "dcterms_valid", "expirationdate",
    "media_content", "media_thumbnail", "media_credit", "media_group", "media_rating", "media_player",
    "media_license", "media_restriction", "itunes_image", "itunes_explicit", "itunes_block", "itunes_duration",
    "georss_point", "georss_line", "georss_polygon", "georss_box", "georss_where", "wfw_comment",
    "wfw_commentrss", "slash_comments", "feedburner_origlink", "thr_total", "cc_license",
    "creativecommons_license",
})
#: Generic (handler-less) elements are stored under their own name: these names would overwrite ours.
_OUR_KEYS = frozenset({"title", "link", "id", "summary", "content", "author", "tags", "published_parsed",
                       "updated_parsed", "name", "email", "uri", "href", "url"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_UTF8 = "utf-8"
_LATIN1 = "iso8859-1"  # codecs' name for it

_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")  # as libxml2 reads it
_FEEDPARSER_XML_ENCODING = re.compile(rb"""^<\?.*encoding=['"](.*?)['"].*\?>""")  # feedparser.encodings
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")  # as feedparser.urls._urljoin
_ENTITY_IN_LINK = re.compile(r"&([A-Za-z0-9_]+);")


class _Unsupported(Exception):
    """Something feedparser would read in a way not mirrored here: feedparser reads this feed."""


def read_wellformed(body: bytes, content_type: str | None) -> dict[str, Any] | None:
    """feedparser's result (the parts we read) for a well-formed feed, or None to let feedparser read it."""
    if not AVAILABLE or not _decoded_alike(body, content_type):
        return None
    if b"xml:base" in body:
        return None
    from lxml import etree

    # Entities stay unexpanded and nothing is fetched: a DOCTYPE goes to feedparser anyway.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return None
    if root.getroottree().docinfo.doctype:
        return None
    try:
        return _read(root)
    except _Unsupported:
        return None
    except Exception:  # a case this reader gets wrong must cost speed, never the feed: feedparser reads it
        return None


def _decoded_alike(body: bytes, content_type: str | None) -> bool:
    """True when feedparser (by RFC 3023, as its encodings.py reads it) and libxml2 (by the XML declaration)
    decode the body the same way, as UTF-8 or ISO-8859-1, and feedparser raises no complaint about it."""
    if body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94")):  # UTF-16/32, EBCDIC
        return False
    data = body.removeprefix(b"\xef\xbb\xbf")
    declared = _XML_ENCODING.match(data)
    libxml2_codec = codec_name(declared.group(1).decode("ascii", "replace")) if declared else _UTF8
    if libxml2_codec not in (_UTF8, _LATIN1) or (len(data) < len(body) and libxml2_codec != _UTF8):
        return False
    seen_by_feedparser = _FEEDPARSER_XML_ENCODING.match(data)
    xml_encoding = seen_by_feedparser.group(1).decode("utf-8", "replace").lower() if seen_by_feedparser else ""
    if content_type is None:
        chosen = xml_encoding or _UTF8
    else:
        # feedparser's parse_content_type: the media type as sent (not lower-cased), the charset parameter.
        media_type, _, params = content_type.partition(";")
        media_type = media_type.strip()
        charset = ""
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset":
                charset = value.strip().strip("\"'")
        if media_type in ("application/xml", "application/xml-dtd", "application/xml-external-parsed-entity") or (
                media_type.startswith("application/") and media_type.endswith("+xml")):
            chosen = charset or xml_encoding or _UTF8
        elif media_type in ("text/xml", "text/xml-external-parsed-entity") or (
                media_type.startswith("text/") and media_type.endswith("+xml")):
            chosen = charset or "us-ascii"  # whatever the document says; any other byte is a complaint
        else:
            return False  # not an XML media type: feedparser reads it but flags it
    if codec_name(chosen) == "ascii":
        return body.isascii()
    return codec_name(chosen) == libxml2_codec


@lru_cache(maxsize=512)
def _handler_name(tag: str, given_prefix: str | None) -> str:
    """The name feedparser's handlers know an element by: `pubdate`, `content_encoded`, `media_title`..."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
    else:
        uri, local = "", tag
    lower_uri = uri.lower()
    if "backend.userland.com/rss" in lower_uri:
        lower_uri = "http://backend.userland.com/rss"
    # A namespace feedparser does not know keeps the document's prefix; as the default namespace, none.
    prefix = _NAMESPACES.get(lower_uri, given_prefix or "")
    local = local.lower()
    return f"{prefix.lower()}_{local}" if prefix else local


def _has_handler(name: str) -> bool:
    return hasattr(StrictFeedParser, "_start_" + name) or hasattr(StrictFeedParser, "_end_" + name)


def _read(root: Any) -> dict[str, Any]:
    root_name = _handler_name(root.tag, root.prefix)
    if root_name == "rss":
        channel = root.find("channel")
        if channel is None:
            raise _Unsupported("rss without channel")
        version, feed_level, item_tag = "rss20", channel, "item"
    elif root_name == "rdf_rdf" and root.find(f"{{{RSS10}}}channel") is not None:
        version, feed_level, item_tag = "rss10", root.find(f"{{{RSS10}}}channel"), f"{{{RSS10}}}item"
    elif root.tag == f"{{{ATOM}}}feed":
        version, feed_level, item_tag = "atom10", root, f"{{{ATOM}}}entry"
    else:
        raise _Unsupported(root.tag)
    atom = version == "atom10"
    entries = [_entry(item, atom) for item in root.iter(item_tag)]
    feed = _feed(feed_level, item_tag)
    # feedparser takes the feed's language from xml:lang on the root, then <language> in the channel.
    language = root.get(_XML_LANG, root.get("lang")) or None
    if "language" not in feed and language:
        feed["language"] = language.replace("_", "-")
    # feedparser starts an entry at any <item> or <entry>, whatever its namespace or format.
    if root.xpath("count(//*[local-name()='item' or local-name()='entry'])") != len(entries):
        raise _Unsupported("entries outside the format's own")
    return {"version": version, "bozo": False, "feed": feed, "entries": entries}


def _feed(channel: Any, item_tag: str) -> dict[str, Any]:
    """The feed's title and link, from the channel's (or Atom feed's) own children."""
    title: str | None = None
    link: str | None = None
    guid_link: str | None = None
    language: str | None = None
    titles = ids = 0
    for child in channel:
        if not isinstance(child.tag, str) or child.tag == item_tag:
            continue
        name = _handler_name(child.tag, child.prefix)
        if name == "title":
            titles += 1
            title = _typed_text(child, "text/plain")
        elif name == "link" and (value := _link(child, in_entry=False)) is not None:
            link = value
        elif name in ("guid", "id"):
            # As for an entry: a permalink id stands for the feed's link when no link comes before or after.
            ids += 1
            if _attributes(child).get("ispermalink", "true") == "true" and link is None:
                guid_link = _urljoin(_text(child))
        elif name in ("language", "dc_language"):
            language = _text(child)
        elif name in ("dc_title", "media_title"):
            raise _Unsupported(name)
    if titles > 1 or ids > 1:
        raise _Unsupported("second feed title or id")
    feed: dict[str, Any] = {}
    if title is not None:
        feed["title"] = title
    if link is not None or guid_link is not None:
        feed["link"] = link if link is not None else guid_link
    if language is not None:
        feed["language"] = language
    return feed


def _entry(item: Any, atom: bool) -> dict[str, Any]:
    """One entry, walked in document order with feedparser's rules for which of several values wins."""
    if {"href", "lastmod"} & _attributes(item).keys():
        raise _Unsupported("item attributes")
    entry: dict[str, Any] = {}
    about = item.get(f"{{{RDF}}}about")
    if about:
        entry["id"] = about
    tags: list[tuple[str | None, str | None, str | None]] = []
    contents: list[dict[str, str]] = []
    stored_at: dict[str, int] = {}  # feedparser's property_depth_map: a shallower title or summary wins
    title_depth = -1  # feedparser's title_depth: once a title is stored, deeper ones are not
    link: str | None = None
    guid_link: str | None = None
    has_id = False
    author_styles: list[bool] = []
    base_depth = _depth(item)
    for element in item.iterdescendants():
        if not isinstance(element.tag, str):
            continue
        name = _handler_name(element.tag, element.prefix)
        depth = _depth(element) - base_depth
        if depth > 1 and name not in _NESTABLE:
            _check_nested_inert(element, name)
            continue
        if name in _TITLES:
            value = _typed_text(element, "text/plain")
            if not -1 < title_depth <= depth and _shallower(stored_at, "title", depth):
                entry["title"] = value
            if value and name != "media_title":  # feedparser puts title_depth back after a media:title
                title_depth = depth
        elif name in _SUMMARIES:
            if "summary" in entry and not contents:
                # feedparser: a second description-like element, before any content, is content; outside
                # Atom, plain text that looks like HTML is typed as HTML.
                content_type = _text_type(element, "text/plain")
                value = _text(element)
                if not atom and content_type == "text/plain" and StrictFeedParser.looks_like_html(value):
                    content_type = "text/html"
                contents.append({"type": content_type, "value": value})
            else:
                value = _typed_text(element, "text/plain" if atom else "text/html")
                if _shallower(stored_at, "summary", depth):
                    entry["summary"] = value
        elif name in _CONTENTS:
            if name == "content" and not atom:
                raise _Unsupported("content in RSS")
            content_type = _text_type(element, "text/html" if name == "content_encoded" else "text/plain")
            if "src" in _attributes(element):
                raise _Unsupported("content by reference")
            value = _text(element)
            if not atom and content_type == "text/plain" and StrictFeedParser.looks_like_html(value):
                content_type = "text/html"
            contents.append({"type": content_type, "value": value})
            entry.setdefault("summary", value)  # feedparser copies text or HTML content to a missing summary
        elif name in _CATEGORIES:
            _add_category(tags, element, name)
        elif name == "link":
            # The last link wins: an HTML alternate's href, or a link's text.
            if (linked := _link(element, in_entry=True)) is not None:
                link = linked
        elif name in ("guid", "id"):
            if has_id:
                raise _Unsupported("second id")
            has_id = True
            value = _text(element)
            if _attributes(element).get("ispermalink", "true") == "true":  # feedparser: exactly "true"
                value = _urljoin(value)
                if link is None and guid_link is None:
                    guid_link = value
            entry["id"] = value
        elif name in _PUBLISHED:  # the text too, as feedparser keeps it: parse.py reads what _parse_date cannot
            entry["published"] = value = _text(element)
            entry["published_parsed"] = _parse_date(value)
        elif name in _UPDATED:
            entry["updated"] = value = _text(element)
            entry["updated_parsed"] = _parse_date(value)
        elif name in _AUTHORS:
            # Text authors: the last wins. One Atom-style author (name, email): "name (email)". feedparser's
            # bookkeeping for several of those, or a mix, is not mirrored.
            atom_style = len(element) > 0
            if author_styles and (atom_style or author_styles[-1]):
                raise _Unsupported("second author")
            author_styles.append(atom_style)
            entry["author"] = _atom_author(element) if atom_style else _text(element)
        elif name == "source":
            if len(element):
                raise _Unsupported("source with children")
            title_depth = -1
        elif not (_is_inert(name) or name == "contributor"):  # a contributor's parts are checked as nested
            raise _Unsupported(name)
    # A permalink guid (or an Atom id) stands for the link only when no link came before it or after it.
    if link is not None or guid_link is not None:
        entry["link"] = link if link is not None else guid_link
    if contents:
        entry["content"] = contents
    if tags:
        entry["tags"] = [{"term": term, "scheme": scheme, "label": label} for term, scheme, label in tags]
    return entry


def _depth(element: Any) -> int:
    depth = 0
    while (element := element.getparent()) is not None:
        depth += 1
    return depth


def _shallower(stored_at: dict[str, int], key: str, depth: int) -> bool:
    """feedparser stores a value unless one was stored from a shallower element."""
    old = stored_at.get(key)
    if old is None or depth <= old:
        stored_at[key] = depth
        return True
    return False


def _is_inert(name: str) -> bool:
    """True when feedparser stores this element under a key we never read."""
    return name in _INERT or (name not in _OUR_KEYS and not _has_handler(name))


def _check_nested_inert(element: Any, name: str) -> None:
    """An element inside another entry element: the Atom author's and contributor's parts, or an inert one."""
    parent = element.getparent()
    parent_name = _handler_name(parent.tag, parent.prefix)
    if name in ("name", "email", "uri") and parent_name in ("author", "contributor", "dc_creator", "dc_author"):
        return
    if not _is_inert(name):
        raise _Unsupported(f"{name} in {parent_name}")


def _add_category(tags: list[tuple[str | None, str | None, str | None]], element: Any, name: str) -> None:
    """feedparser's _start_category/_end_category: attributes make a tag, text fills its term or adds one;
    media:keywords is a comma-separated list of terms."""
    if name == "media_keywords":
        for keyword in _text(element).split(","):
            if keyword.strip() and (keyword.strip(), None, None) not in tags:
                tags.append((keyword.strip(), None, None))
        return
    attrs = _attributes(element)
    if name == "media_category":
        attrs.setdefault("scheme", "http://search.yahoo.com/mrss/category_schema")
    term = attrs.get("term")
    scheme = attrs.get("scheme", attrs.get("domain"))
    label = attrs.get("label")
    if term or scheme or label:
        if (term, scheme, label) not in tags:
            tags.append((term, scheme, label))
    value = _text(element)
    if not value:
        return
    if tags and not tags[-1][0]:
        tags[-1] = (value, tags[-1][1], tags[-1][2])
    elif (value, None, None) not in tags:
        tags.append((value, None, None))


def _attributes(element: Any) -> dict[str, str]:
    """Attributes by lower-cased name, as feedparser's handlers see them."""
    return {key.lower(): value for key, value in element.attrib.items()}


def _link(element: Any, *, in_entry: bool) -> str | None:
    """What feedparser takes from a link element: an HTML alternate's href, or the element's text (an entry's
    with its &amp; undone); None when it takes nothing (another rel or type)."""
    attributes = _attributes(element)
    href = attributes.get("url", attributes.get("uri", attributes.get("href")))  # feedparser's _enforce_href
    if href is None:
        text = _urljoin(_text(element))
        return _ENTITY_IN_LINK.sub(r"&\g<1>", text.replace("&amp;", "&") if in_entry else text)
    rel = attributes.get("rel", "alternate").lower()
    default_type = "application/atom+xml" if rel == "self" else "text/html"
    link_type = _map_content_type(attributes.get("type", default_type).lower())
    return _urljoin(href) if rel == "alternate" and link_type in _HTML_TYPES else None


def _text_type(element: Any, default: str) -> str:
    """A text element's content type as feedparser maps it; anything but text or HTML (XHTML, base64 media)
    is decoded in ways not mirrored here."""
    attributes = _attributes(element)
    if "mode" in attributes:
        raise _Unsupported("content mode")
    content_type = _map_content_type(attributes.get("type", default).lower())
    if content_type not in ("text/plain", "text/html"):
        raise _Unsupported(f"content type {content_type}")
    return content_type


def _atom_author(element: Any) -> str:
    """An author given as parts: feedparser joins them as "name (email)"."""
    parts: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        part = _handler_name(child.tag, child.prefix)
        if part not in ("name", "email", "uri") or part in parts:
            raise _Unsupported(f"author part {part}")
        # feedparser pushes name and email as "not expecting text": stripped, but not repaired.
        parts[part] = _text(child, repaired=False)
    name, email = parts.get("name"), parts.get("email")
    if not name:  # feedparser's bookkeeping for a nameless author is not mirrored
        raise _Unsupported("author without name")
    return f"{name} ({email})" if email else name


def _typed_text(element: Any, default_type: str) -> str:
    _text_type(element, default_type)
    return _text(element)


def _map_content_type(content_type: str) -> str:
    if content_type in ("text", "plain"):
        return "text/plain"
    if content_type == "html":
        return "text/html"
    if content_type == "xhtml":
        return "application/xhtml+xml"
    return content_type


def _urljoin(uri: str) -> str:
    """feedparser's resolve_uri with no base URI: only its fix for extra slashes after the scheme."""
    return _URI_FIXER.sub(r"\1\3", uri)


def _text(element: Any, *, repaired: bool = True) -> str:
    """An element's text as feedparser's pop() leaves it: stripped, mojibake repaired, C1 controls as cp1252.
    feedparser converts every document to UTF-8 before parsing, so it tries the repair whatever the encoding."""
    if len(element):
        raise _Unsupported("markup inside a text element")
    value = (element.text or "").strip()
    if value.isascii() or not repaired:
        return value
    try:  # UTF-8 read as ISO-8859-1 and encoded again: feedparser undoes it
        value = value.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return value.translate(_cp1252)

