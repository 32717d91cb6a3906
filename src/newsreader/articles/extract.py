"""Article extraction: a downloaded page in, the article as Markdown out (or why there is none).

Plain functions of bytes, so they run in worker processes (`ExtractorPool`); what they raise crosses the
process boundary, so `ArticleError` survives pickling.
"""

from __future__ import annotations

import logging
import re

from newsreader.text.markdown import markdown_to_text
from newsreader.text.sanitize import safe_text
from newsreader.text.sniff import decode_html, is_html_page, looks_binary, media_type
from newsreader.workers import WorkerPool

#: An article shorter than this many words on a page marked "not free" is the paywall's teaser.
PAYWALL_MAX_WORDS = 150

#: kind -> what it means. The kind is stored per story ('ok' on success).
FAILURE_KINDS = {
    "http": "the server answered with an HTTP error",
    "paywall": "the page is for subscribers",
    "not-html": "the link is not a web page",
    "empty": "no article text was found on the page",
    "too-large": "the page is larger than the size cap",
    "timeout": "the download timed out",
    "redirect-loop": "the link redirects in circles",
    "network": "the server could not be reached",
    "bad-url": "the story's link is not a web address",
}

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_NOT_FREE = re.compile(r""""isAccessibleForFree"\s*:\s*"?(?:false|False|FALSE)\b""")
_PAYWALL_PHRASES = re.compile(
    r"subscribe to (?:continue|read)|subscribers only|for subscribers|already a subscriber|"
    r"sign in to (?:continue|read)|log in to (?:continue|read)|to continue reading|premium content",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+")
_BLANK_LINES = re.compile(r"\n{3,}")

for _name in ("trafilatura", "htmldate", "courlan", "justext"):
    # Their warnings about odd pages are per-story failures here, not messages for the terminal.
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False


class ArticleError(Exception):
    """One page that gave no article. `kind` is a key of FAILURE_KINDS; `str()` is one line for the reader."""

    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        # Every argument goes to Exception, so pickle (a worker process raising it) can build it again.
        super().__init__(kind, message, status)
        self.kind = kind
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


def check_html(body: bytes, content_type: str | None) -> None:
    """Refuse what is not a web page, by its declared type and by its first bytes."""
    media = media_type(content_type)
    # Some servers label every file text/plain; a body that opens as HTML is taken for what it is.
    if media and media not in _HTML_TYPES and not (media == "text/plain" and is_html_page(body)):
        raise ArticleError("not-html", f"not a web page ({media})")
    if looks_binary(body):
        raise ArticleError("not-html", "not a web page (binary data)")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _drop_repeated_title(markdown: str, title: str) -> str:
    """The reader shows the title above the article: drop the page's own headline, and a lead image whose
    caption only repeats it, from the first few blocks."""
    if not title:
        return markdown
    wanted = " ".join(_words(title))
    blocks = markdown.split("\n\n")
    kept: list[str] = []
    for index, block in enumerate(blocks):
        stripped = block.strip()
        if index < 4 and stripped.startswith(("#", "![")) and _same_headline(
            " ".join(_words(markdown_to_text(stripped, link_urls=False))), wanted
        ):
            continue
        kept.append(block)
    return "\n\n".join(kept)


def _same_headline(found: str, title: str) -> bool:
    """Equal, or one inside the other ("Headline" and "Headline | Site name"), if long enough to be sure."""
    if not found or not title:
        return False
    if found == title:
        return True
    shorter = min(found, title, key=len)
    return shorter.count(" ") >= 3 and (found in title or title in found)


def _paywalled(page: str, words: int, markdown: str) -> bool:
    if words >= PAYWALL_MAX_WORDS:
        return False
    return bool(_NOT_FREE.search(page)) or bool(_PAYWALL_PHRASES.search(markdown))


def extract_article(body: bytes, content_type: str | None, url: str, title: str = "") -> str:
    """The article on a page as Markdown (links, formatting, lists, tables, headings, images as alt text kept).

    Raises ArticleError when the page is not HTML, has no article, or shows only a paywall's teaser.
    """
    check_html(body, content_type)
    # Escape sequences go before parsing: the parser would drop the ESC and leave the rest as text.
    page = safe_text(decode_html(body, content_type))
    import trafilatura

    try:
        markdown = trafilatura.extract(
            page,
            url=url,
            output_format="markdown",
            include_comments=False,
            include_tables=True,
            include_images=True,
            include_links=True,
            include_formatting=True,
            deduplicate=False,
        )
    except Exception as error:  # trafilatura on a hostile page must fail this story only
        raise ArticleError("empty", f"the page could not be read ({type(error).__name__})") from None
    markdown = safe_text(markdown or "").strip()
    if markdown:
        markdown = _BLANK_LINES.sub("\n\n", _drop_repeated_title(markdown, title)).strip()
    words = len(_words(markdown_to_text(markdown, link_urls=False))) if markdown else 0
    if not words:
        if _NOT_FREE.search(page):
            raise ArticleError("paywall", "the page is for subscribers only")
        raise ArticleError("empty", "no article text found on the page")
    if _paywalled(page, words, markdown):
        raise ArticleError("paywall", "the page shows only a subscriber teaser")
    return markdown


def _warm_up() -> None:
    """Import trafilatura in a fresh worker before the first page arrives."""
    import trafilatura  # noqa: F401


class ExtractorPool(WorkerPool):
    """Extracts on every core, each worker with trafilatura imported before the first page."""

    def __init__(self, workers: int | None = None, *, isolate: bool = False) -> None:
        super().__init__(workers, warm_up=_warm_up, isolate=isolate)

