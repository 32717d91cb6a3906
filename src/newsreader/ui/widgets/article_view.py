"""The article pane: the selected story's title, source, places and link, the other outlets' versions of it,
then its text, scrollable.

Feed text is hostile. Everything here is built as `Text` objects from `safe_text` output, never as markup;
Markdown (full articles) goes through Textual's Markdown widget, which renders text literally, with raw HTML
shown as text and link clicks handled here (only web and mail links are ever opened).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from newsreader.library import Story
from newsreader.text.sanitize import safe_line, safe_text
from newsreader.ui import keymap
from newsreader.ui.format import long_when, short_when
from newsreader.ui.widgets.filter_bar import forward_to_search

if TYPE_CHECKING:
    from textual.widgets import Markdown

#: The other versions listed at most; the rest are counted ("… and 4 more").
VERSIONS_SHOWN = 8
#: The only link schemes the reader hands to a browser.
OPENABLE_SCHEMES = ("http://", "https://", "mailto:")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")


def is_openable(url: str) -> bool:
    return url.strip().lower().startswith(OPENABLE_SCHEMES)


@dataclass(frozen=True, slots=True)
class ArticleLink:
    text: str
    url: str


@lru_cache(maxsize=1)
def _markdown_parser():  # -> MarkdownIt; imported on first use, like the Markdown widget: not needed at start
    from markdown_it import MarkdownIt

    # html off: raw HTML in an article is shown as the text it is, never interpreted.
    return MarkdownIt("gfm-like", {"html": False})


def markdown_links(source: str) -> list[ArticleLink]:
    links: list[ArticleLink] = []
    for token in _markdown_parser().parse(source):
        children = token.children or []
        for index, child in enumerate(children):
            if child.type == "link_open":
                href = str(child.attrs.get("href", ""))
                words = []
                for inner in children[index + 1:]:
                    if inner.type == "link_close":
                        break
                    words.append(inner.content)
                links.append(ArticleLink(safe_line(" ".join(words)) or href, safe_line(href)))
    return links


def text_links(text: str) -> list[ArticleLink]:
    return [ArticleLink(url, url) for url in dict.fromkeys(m.group(0).rstrip(".,;:") for m in _URL.finditer(text))]


class ArticleView(VerticalScroll, can_focus=True, inherit_bindings=False):
    """Shows one story, or a message when there is none to show."""

    BINDINGS = keymap.pane_bindings(cursor_down="scroll_down", cursor_up="scroll_up", cursor_page_down="page_down",
                                    cursor_page_up="page_up", cursor_first="scroll_home", cursor_last="scroll_end")
    #: The reading view is this pane maximized (scrollable containers are not, by default).
    ALLOW_MAXIMIZE = True

    class LinkClicked(Message):
        """A link in the article's text was clicked (the reader decides whether and how to open it)."""

        def __init__(self, url: str) -> None:
            super().__init__()
            self.url = url

    def __init__(self, clock: Callable[[], datetime], place_name: Callable[[str], str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._clock = clock
        self._place_name = place_name
        self.story: Story | None = None
        self.version_key = ""  #: the key that shows the next version, as the reader's keymap has it
        self.links: list[ArticleLink] = []
        self._markdown_source = ""

    def compose(self) -> ComposeResult:
        yield Static(id="article-head")
        yield Static(id="article-versions")
        # the Markdown view is mounted here when the first full article is shown
        yield Static(id="article-body")
        yield Static(id="article-links")
        why = Static(id="article-why")
        why.display = False
        yield why

    def show_message(self, *lines: str) -> None:
        self.story = None
        self.links = []
        self.query_one("#article-head", Static).update(Text("\n".join(lines), style="dim"))
        self.query_one("#article-versions", Static).display = False
        self._set_body(None, None)
        self.query_one("#article-links", Static).display = False

    def show_why(self, why: Text | None) -> None:
        """Why the story has its countries (w), under its text; None puts it away."""
        box = self.query_one("#article-why", Static)
        box.display = why is not None
        box.update(why or "")
        if why is not None:
            self.scroll_to_widget(box, animate=False, top=True)

    @property
    def showing_why(self) -> bool:
        return bool(self.query_one("#article-why", Static).display)

    def show_story(self, story: Story) -> None:
        changed = self.story is None or self.story.id != story.id
        if changed:
            self.show_why(None)
        self.story = story
        self.query_one("#article-head", Static).update(self._head(story))
        versions = self.query_one("#article-versions", Static)
        versions.display = bool(story.versions)
        if story.versions:
            versions.update(self._versions(story))
        article = story.text_source == "article" and bool(story.text)
        body = safe_text(story.text if article else story.feed_text)
        if article:
            self.links = markdown_links(body)
            self._set_body(body, None)
        else:
            self.links = text_links(body)
            self._set_body(None, _paragraphs(body) if body else Text("(This story has no text.)", style="dim"))
        links = self.query_one("#article-links", Static)
        links.display = bool(self.links)
        if self.links:
            lines = Text("Links (l to open one)", style="bold")
            for number, link in enumerate(self.links, 1):
                lines.append(f"\n{number:>2}. ")
                if link.text != link.url:
                    lines.append(link.text + " ")
                lines.append(link.url, style="underline" if is_openable(link.url) else "dim strike")
            links.update(lines)
        if changed:
            self.scroll_home(animate=False)

    def _set_body(self, markdown: str | None, text: Text | None) -> None:
        views = self.query("#article-markdown")
        if markdown is not None and not views:
            from textual.widgets import Markdown

            self._markdown_source = markdown
            self.mount(Markdown(markdown, id="article-markdown", open_links=False, parser_factory=_markdown_parser),
                       after="#article-head")
        elif views:
            view = views.first()
            view.display = markdown is not None
            if (markdown or "") != self._markdown_source:  # rebuilding the blocks is the costly part: only on change
                self._markdown_source = markdown or ""
                view.update(self._markdown_source)  # type: ignore[attr-defined]
        plain = self.query_one("#article-body", Static)
        plain.display = text is not None
        plain.update(text or "")

    def _head(self, story: Story) -> Text:
        head = Text()
        head.append(safe_line(story.title) or "(untitled)", style="bold")
        if story.starred:
            head.append("  ★", style="bold yellow")
        head.append("\n")
        meta = [safe_line(story.feed)]
        when = story.published or story.fetched_at
        meta.append(long_when(when, self._clock()) if story.published else f"undated (fetched {long_when(when, self._clock())})")
        if story.author:
            meta.append(safe_line(story.author))
        head.append(" · ".join(meta), style="dim")
        if story.countries:
            head.append("\nCountries: ", style="dim")
            head.append(", ".join(self._place_name(code) for code in story.countries))
        if story.mentions:
            head.append("\nMentions: ", style="dim")
            head.append(", ".join(self._place_name(code) for code in story.mentions), style="dim")
        if story.regions:
            head.append("\nRegions: ", style="dim")
            head.append(", ".join(safe_line(region) for region in story.regions))
        if story.link:
            head.append("\n")
            head.append(safe_line(story.link), style="underline" if is_openable(story.link) else "dim")
        error = getattr(story, "fulltext_error", None)
        if error:
            head.append(f"\nFull text unavailable: {safe_line(str(error))}", style="dim italic")
        elif story.article_pending:
            head.append("\nThe full article is not here yet: it downloads after the feeds; this is the feed's text.",
                        style="dim italic")
        head.append("\n")
        return head

    def _versions(self, story: Story) -> Text:
        """The same story elsewhere: each other outlet's version (feed, country, language, time, title)."""
        others = story.versions
        outlets = len({version.feed for version in others})
        if outlets == len(others):
            heading = f"The same story from {outlets} other outlet{'s' if outlets > 1 else ''}"
        else:  # an outlet's own follow-ups count as versions, not as more outlets
            heading = f"The same story: {len(others)} other versions from {outlets} outlet{'s' if outlets > 1 else ''}"
        lines = Text(heading, style="bold")
        if self.version_key:
            lines.append(f" ({self.version_key}: read the next)", style="dim")
        now = self._clock()
        for version in others[:VERSIONS_SHOWN]:
            lines.append("\n  ")
            lines.append(safe_line(version.feed), style="" if version.read else "bold")
            where = [part for part in (version.country, version.language) if part]
            lines.append(f" · {' · '.join(safe_line(part) for part in where)}" if where else "", style="dim")
            lines.append(f" · {short_when(version.when, now)}  ", style="dim")
            lines.append(safe_line(version.title), style="dim" if version.read else "")
        if len(others) > VERSIONS_SHOWN:
            lines.append(f"\n  … and {len(others) - VERSIONS_SHOWN} more", style="dim")
        return lines

    @property
    def at_end(self) -> bool:
        """Scrolled to the end: there is nothing more of this story to page to."""
        return self.scroll_y >= self.max_scroll_y

    def on_key(self, event: events.Key) -> None:
        forward_to_search(self, event)

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()
        self.post_message(self.LinkClicked(safe_line(event.href)))


def _paragraphs(body: str) -> Text:
    """Plain text as readable paragraphs: blank lines between, single newlines kept."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
    return Text("\n\n".join(paragraphs))
