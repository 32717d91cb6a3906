"""Turning hostile feed text into safe plain text.

Feed text is untrusted: it may carry terminal escape sequences, control characters and HTML. Everything
we store and show passes through here, so nothing in a feed can drive the terminal.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

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
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
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


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 header "
    "hr li main nav ol p pre section table tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "object", "svg", "head", "title"})


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag not in ("br", "li", "tr", "dd", "dt") else "\n")
            if tag == "li":
                self.parts.append("• ")
        elif tag == "img" and not self.skipping:
            alt = dict(attrs).get("alt")
            if alt and alt.strip():
                self.parts.append(f"[{alt.strip()}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIP_TAGS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS and tag not in ("br", "li", "tr", "dd", "dt"):
            self.parts.append("\n\n" if tag in ("p", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6") else "\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _looks_like_html(value: str) -> bool:
    return "<" in value and ">" in value or "&" in value


def html_to_text(value: str | None) -> str:
    """Plain, safe text of an HTML fragment: paragraphs kept as blank lines, tags and scripts dropped."""
    if not value:
        return ""
    if not _looks_like_html(value):
        return normalize_whitespace(safe_text(value))
    collector = _TextCollector()
    try:
        collector.feed(value)
        collector.close()
    except Exception:  # HTMLParser is lenient; this is belt and braces for pathological input
        return normalize_whitespace(safe_text(html.unescape(re.sub(r"<[^>]*>", " ", value))))
    return normalize_whitespace(safe_text("".join(collector.parts)))


def normalize_whitespace(value: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
