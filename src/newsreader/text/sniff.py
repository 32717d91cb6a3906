"""What a downloaded body is, and how to decode it: one place for the charset and "is this HTML?" rules
that the feed parser, feed discovery and article extraction all need."""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
_CONTENT_TYPE_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
#: WHATWG: these labels mean windows-1252 in a web page; and GB2312/GBK pages are decoded as their superset.
_WEB_ALIASES = {"iso8859-1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030", "gbk": "gb18030"}
_SINGLE_BYTE_WESTERN = frozenset({"cp1252", "iso8859-15"})
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF", b"ID3", b"OggS")
_HTML_STARTS = (b"<!doctype html", b"<html")
_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf")


@lru_cache(maxsize=128)
def codec_name(label: str | None) -> str | None:
    """Python's canonical name for a charset label ("UTF8" -> "utf-8"), or None if it names no codec."""
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None


def media_type(content_type: str | None) -> str:
    """"text/html; charset=utf-8" -> "text/html"."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_html_page(body: bytes) -> bool:
    """The body is a web page (a site's home page, an error page), not a feed."""
    head = body[:512].lstrip().lower()
    if head.startswith(_HTML_STARTS):
        return True
    # An XHTML page opens with an XML declaration or a comment first; a feed names its own root early.
    return b"<html" in head and not any(root in head for root in _FEED_ROOTS)


def looks_binary(body: bytes) -> bool:
    """A PDF, an image, an archive...: not text of any kind."""
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    # UTF-16 text has NULs too, but then a BOM or every other byte is NUL; binary data has them scattered.
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) // 20


def _web_codec(label: str | None) -> str | None:
    name = codec_name(label)
    return _WEB_ALIASES.get(name, name) if name else None


def _declared_charsets(body: bytes, content_type: str | None) -> list[str]:
    """HTTP header first, then the page's own <meta>: the order browsers trust them in."""
    found: list[str] = []
    if content_type and (match := _CONTENT_TYPE_CHARSET.search(content_type)):
        if codec := _web_codec(match.group(1)):
            found.append(codec)
    if meta := _META_CHARSET.search(body[:8192]):
        codec = _web_codec(meta.group(1).decode("ascii", "ignore"))
        # A page declaring UTF-16 in ASCII-compatible bytes is lying (the BOM would have said so).
        if codec and not codec.startswith("utf-16") and codec not in found:
            found.append(codec)
    return found


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """A page's text: BOM, then the HTTP charset, then <meta charset>, then detection.

    A declaration is trusted only if the bytes decode under it; a Western single-byte declaration (the usual
    server default) loses to UTF-8 when the bytes are valid UTF-8 with non-ASCII characters in them, since
    that happens by accident almost never.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace")
    declared = _declared_charsets(body, content_type)
    for codec in declared:
        try:
            text = body.decode(codec)
        except UnicodeDecodeError:
            # A stray bad byte or two in a page that is otherwise what it says it is.
            text = body.decode(codec, errors="replace")
            if text.count("\ufffd") > len(text) // 2000:
                continue
            return text
        if codec in _SINGLE_BYTE_WESTERN and not body.isascii():
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return text
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(body[:262144]).best()
    if best is not None and best.encoding:
        return body.decode(best.encoding, errors="replace")
    return body.decode(declared[0] if declared else "utf-8", errors="replace")
