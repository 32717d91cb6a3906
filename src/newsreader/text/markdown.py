"""Markdown (as stored for extracted articles) read back as plain text, for `newsreader show` and for measuring.

Headings become lines of their own, lists keep their bullets and numbers, quotes keep a `> ` margin, tables
become rows of cells, links read as `text <url>` and images as their alt text. The Markdown is parsed
(markdown-it, CommonMark with tables), so backslash escapes and entities come out as the characters they
stand for. The result is passed through `safe_text`: whatever the page held, nothing can drive the terminal.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from newsreader.text.sanitize import html_to_text, safe_text

_BULLET = "•"
_SPACES = re.compile(r"[ \t\u00a0]+")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")
_LINKABLE = ("http://", "https://", "mailto:")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def markdown_to_text(markdown: str | None, *, link_urls: bool = True) -> str:
    """Plain, safe text of a Markdown document. `link_urls=False` leaves out link targets (just their text)."""
    if not markdown:
        return ""
    tokens = _parser().parse(safe_text(markdown))
    text = _Renderer(link_urls).render(tokens)
    # Leading spaces are kept: they are list nesting and code indentation.
    return _BLANK_LINES.sub("\n\n", _TRAILING_SPACE.sub("", text)).strip("\n")


class _Renderer:
    """Walks markdown-it's flat block token stream, keeping the nesting of lists and quotes as prefixes."""

    def __init__(self, link_urls: bool) -> None:
        self.link_urls = link_urls
        self.blocks: list[str] = []
        # One entry per open list: [ordered, next number]
        self.lists: list[list] = []
        self.quote_depth = 0
        self.item_marker: str | None = None  # the marker still to print on the item's first line
        self.row: list[str] | None = None

    def render(self, tokens: list[Token]) -> str:
        for token in tokens:
            self._block(token)
        return "\n".join(self.blocks)

    def _prefix(self) -> str:
        indent = "  " * max(0, len(self.lists) - 1)
        return "> " * self.quote_depth + indent

    def _emit(self, text: str, *, blank_after: bool = True) -> None:
        lines = text.split("\n")
        if self.item_marker is not None:
            prefix = self._prefix()
            first = f"{prefix}{self.item_marker} {lines[0]}"
            hang = prefix + " " * (len(self.item_marker) + 1)
            self.item_marker = None
        else:
            # A later paragraph of a list item hangs under the item's text.
            hang = "> " * self.quote_depth + "  " * len(self.lists)
            first = hang + lines[0]
        out = [first, *(hang + line for line in lines[1:])]
        self.blocks.append("\n".join(out))
        # In a tight list, items follow each other without blank lines.
        if blank_after and not self.lists:
            self.blocks.append(("> " * self.quote_depth).rstrip())

    def _block(self, token: Token) -> None:
        kind = token.type
        if kind == "inline":
            text = self._inline(token.children or [])
            if self.row is not None:
                self.row.append(" ".join(text.split()))
            elif text.strip():
                self._emit("\n".join(line.strip() for line in text.strip().split("\n")))
        elif kind in ("bullet_list_open", "ordered_list_open"):
            start = int(token.attrs.get("start", 1) or 1) if kind == "ordered_list_open" else 0
            self.lists.append([kind == "ordered_list_open", start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
            if not self.lists:
                self.blocks.append(("> " * self.quote_depth).rstrip())
        elif kind == "list_item_open":
            current = self.lists[-1]
            if current[0]:
                self.item_marker = f"{current[1]}."
                current[1] += 1
            else:
                self.item_marker = _BULLET
        elif kind == "blockquote_open":
            self.quote_depth += 1
        elif kind == "blockquote_close":
            self.quote_depth -= 1
            # The quote's trailing blank line belongs outside it.
            if self.blocks and self.blocks[-1].strip(" >") == "":
                self.blocks[-1] = ("> " * self.quote_depth).rstrip()
        elif kind in ("fence", "code_block"):
            self._emit("\n".join("    " + line for line in token.content.rstrip("\n").split("\n")))
        elif kind == "html_block":
            text = html_to_text(token.content)
            if text:
                self._emit(text)
        elif kind == "hr":
            self._emit("* * *")
        elif kind == "tr_open":
            self.row = []
        elif kind == "tr_close":
            if self.row and any(cell for cell in self.row):
                self._emit(" | ".join(self.row), blank_after=False)
            self.row = None
        elif kind == "table_close":
            self.blocks.append(("> " * self.quote_depth).rstrip())

    def _inline(self, tokens: list[Token]) -> str:
        parts: list[str] = []
        links: list[tuple[str | None, int]] = []  # href, where its text starts in parts
        for token in tokens:
            kind = token.type
            if kind == "text":
                parts.append(_SPACES.sub(" ", token.content))
            elif kind == "code_inline":
                parts.append(token.content)
            elif kind == "softbreak":
                parts.append(" ")
            elif kind == "hardbreak":
                parts.append("\n")
            elif kind == "link_open":
                links.append((str(token.attrs.get("href") or ""), len(parts)))
            elif kind == "link_close" and links:
                href, start = links.pop()
                label = "".join(parts[start:]).strip()
                if self.link_urls and href and href.lower().startswith(_LINKABLE) and href != label:
                    parts.append(f" <{href}>" if label else href)
            elif kind == "image":
                alt = self._inline(token.children or []).strip()
                if alt:
                    parts.append(f"[{alt}]")
            elif kind == "html_inline":
                if token.content.lower().startswith("<br"):
                    parts.append("\n")
            # strong/em/s open and close: the markers go, the words stay
        return "".join(parts)


__all__ = ["markdown_to_text"]
