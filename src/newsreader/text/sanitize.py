"""Turning hostile feed text into safe plain text.

Feed text is untrusted: it may carry terminal escape sequences, control characters and HTML. Everything
we store and show passes through here, so nothing in a feed can drive the terminal.
"""

from __future__ import annotations

import html
import re
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

# C0 controls except tab and newline, DEL, and C1 controls (0x80-0x9f: CSI, OSC, ... in 8-bit form),
# plus bidi overrides that can make a title read differently than it is stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# An escape sequence whose ESC has been dropped leaves debris like "[31m"; remove whole sequences first.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL/ST (hyperlinks, window titles)
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI sequences (colours, cursor movement)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|\x9d[^\x07\x9c]*(?:\x07|\x9c)?"  # 8-bit OSC
    r"|\x1b[@-Z\\-_]"  # other two-byte escapes
)
# Every Unicode space but the plain one, zero-width ones too.
_ODD_SPACES = r"\t\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
# A run of spaces that is not already one plain space, and the spaces around a line break. A lone space
# must not match: substituting every space in a story made this the slowest step of html_to_text.
_SPACES = re.compile(rf" [ {_ODD_SPACES}]+|[{_ODD_SPACES}][ {_ODD_SPACES}]*")
_LINE_EDGES = re.compile(r" \n ?|\n ")
_BLANK_LINES = re.compile(r"\n{3,}")


def safe_text(value: str | None) -> str:
    """Remove escape sequences and control characters, keeping newlines and tabs."""
    if not value:
        return ""
    if "\x1b" in value or "\x9b" in value or "\x9d" in value:
        value = _ESCAPE_SEQUENCE.sub("", value)
    return _CONTROL.sub("", value)


def safe_line(value: str | None) -> str:
    """Safe text folded onto one line (titles, names)."""
    return " ".join(safe_text(value).split())


# What each tag adds to the text before its content and after it (its end), so paragraphs stay paragraphs.
_PARAGRAPH = ("\n\n", "\n\n")
_BLOCK = ("\n\n", "\n")
_MARKS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(["p", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"], _PARAGRAPH),
    **dict.fromkeys(
        ["address", "article", "aside", "dl", "figcaption", "figure", "footer", "form", "header", "hr", "main", "nav", "ol", "pre", "section", "table", "ul"],
        _BLOCK,
    ),
    **dict.fromkeys(["br", "tr", "dd", "dt"], ("\n", "")),
    "li": ("\n• ", ""),
    "td": ("", " "),
    "th": ("", " "),
}
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head", "title"})
# libxml2 stops at a stray </html> or </body>, and whole pages pasted into a feed carry them.
_DOCUMENT_TAGS = re.compile(r"</?(?:html|body)\b[^>]*>", re.IGNORECASE)
_parsers = threading.local()


def _html_parser() -> etree.HTMLParser:
    # lxml parsers must not be shared between threads. Imported here: most commands never parse HTML,
    # and lxml costs every one of them 13 ms and 4 MB.
    from lxml import etree

    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = etree.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, default_doctype=False
        )
    return parser


def _collect_text(root: etree._Element) -> list[str]:
    from lxml import etree

    parts: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "start":
            if tag in _SKIP_TAGS:
                walker.skip_subtree()
                continue
            if (marks := _MARKS.get(tag)) is not None:
                parts.append(marks[0])
            elif tag == "img" and (alt := (element.get("alt") or "").strip()):
                parts.append(f"[{alt}]")
            if element.text:
                parts.append(element.text)
        else:
            if (marks := _MARKS.get(tag)) is not None:
                parts.append(marks[1])
            if element.tail and element is not root:
                parts.append(element.tail)
    return parts


def _looks_like_html(value: str) -> bool:
    return "<" in value and ">" in value or "&" in value


def html_to_text(value: str | None) -> str:
    """Plain, safe text of an HTML fragment: paragraphs kept as blank lines, tags and scripts dropped."""
    if not value:
        return ""
    if not _looks_like_html(value):
        return normalize_whitespace(safe_text(value))
    if "<html" in value or "<body" in value or "<HTML" in value or "<BODY" in value:
        value = _DOCUMENT_TAGS.sub(" ", value)
    value = value.replace("\x00", "")  # libxml2 would turn it into U+FFFD, which safe_text keeps
    from lxml import etree

    try:
        # libxml2 builds the tree in C, several times faster than html.parser (see benchmarks/README.md).
        root = etree.fromstring(value.encode("utf-8", "surrogatepass"), _html_parser())
    except (etree.LxmlError, ValueError):  # lxml recovers from nearly anything; this is for what it cannot
        return normalize_whitespace(safe_text(html.unescape(re.sub(r"<[^>]*>", " ", value))))
    if root is None:  # nothing but whitespace, comments or a doctype
        return ""
    return normalize_whitespace(safe_text("".join(_collect_text(root))))


def normalize_whitespace(value: str) -> str:
    """One space between words, no spaces at line ends, at most one blank line between paragraphs."""
    value = _SPACES.sub(" ", value.replace("\r\n", "\n").replace("\r", "\n"))
    return _BLANK_LINES.sub("\n\n", _LINE_EDGES.sub("\n", value)).strip()
