"""The tagging rule: which of a story's text counts as its lead and which as its body, for feed text and an
extracted article alike. The parser tags new stories with it; the refresh tags a story again once its article
is stored; `newsreader retag` tags the whole cache again after the tagger improves.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from newsreader.model import StoryTags, StoryText

if TYPE_CHECKING:
    from newsreader.config.types import FeedConfig
    from newsreader.geo import Explanation, Tagger, Tags

#: An article's lede: its first paragraph of prose, at least this long (shorter ones are bylines, datelines).
LEDE_MIN_CHARS = 80
LEDE_MAX_CHARS = 600


def tag_story(tagger: Tagger, *, title: str, summary: str, text: str, text_source: str, link: str | None,
              categories: Sequence[str], pinned: Sequence[str] = (), home: str | None = None) -> Tags:
    """Countries, mentions and regions of one story.

    The feed's summary is the lead and its content the body. An extracted article's lede names who the story
    is about as a feed's summary does, so it weighs as the lead too.
    """
    lead, body = _lead_and_body(summary, text, text_source)
    return tagger.tag(title, lead, body, link=link, categories=tuple(categories), pinned=tuple(pinned), home=home)


def home_of(feed_url: str, feed: FeedConfig | None, language: str | None) -> str | None:
    """The feed's home country: as feeds.toml says, else as its address and its declared language say
    (geo.infer_home). The parser tags a feed's stories with this home, so an explanation, a retag and "who
    covered it" must all ask it the same way."""
    if feed is not None and feed.home:
        return feed.home
    from newsreader.geo import infer_home

    return infer_home(feed_url, language)


def explain_story(tagger: Tagger, *, title: str, summary: str, text: str, text_source: str, link: str | None,
                  categories: Sequence[str], pinned: Sequence[str] = (), home: str | None = None) -> Explanation:
    """Why the story has the tags `tag_story` gives it: the same reading, as data."""
    lead, body = _lead_and_body(summary, text, text_source)
    return tagger.explain(title, lead, body, link=link, categories=tuple(categories), pinned=tuple(pinned), home=home)


def _lead_and_body(summary: str, text: str, text_source: str) -> tuple[str, str]:
    lead, body = summary, text if text != summary else ""
    if text_source == "article":
        lede, body = article_lede(text)
        lead = f"{summary}\n\n{lede}" if summary and lede else summary or lede
    return lead, body


def article_lede(markdown: str) -> tuple[str, str]:
    """(lede, the rest) of an extracted article: the first paragraph of prose, not a heading, an image, a
    list, a table, a quote or a byline."""
    paragraphs = markdown.split("\n\n")
    for index, paragraph in enumerate(paragraphs):
        text = paragraph.strip()
        if len(text) >= LEDE_MIN_CHARS and not text.startswith(("#", "![", "|", "- ", "* ", ">", "```")):
            rest = paragraphs[:index] + paragraphs[index + 1 :]
            return text[:LEDE_MAX_CHARS], "\n\n".join(rest)
    return "", markdown


def retag(tagger: Tagger, stories: Iterable[StoryText], feeds: Mapping[str, FeedConfig]) -> list[StoryTags]:
    """New tags for cached stories, by the rule above (`feeds`: url -> its config, for pinned and home)."""
    updates = []
    for story in stories:
        feed = feeds.get(story.feed_url)
        tags = tag_story(tagger, title=story.title, summary=story.summary, text=story.text,
                         text_source=story.text_source, link=story.link, categories=story.categories,
                         pinned=feed.countries if feed else (), home=home_of(story.feed_url, feed, story.feed_language))
        updates.append(StoryTags(story.id, tags.countries, tags.mentions, tags.regions))
    return updates
