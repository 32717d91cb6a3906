"""`newsreader retag`: every cached story tagged again from what the cache holds, with the feed's settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.config.types import Config, FeedConfig, Settings
from newsreader.library import Library
from newsreader.store import Store

from story_factory import add_stories, entry


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "cache.sqlite") as store:
        yield store


def test_retag_uses_text_link_and_feed_settings(store: Store):
    feed = FeedConfig(name="Desk", url="https://desk.example/rss", countries=("NZ",), home="GB")
    other = FeedConfig(name="Local", url="https://local.example/rss", home="GB")
    # Stored untagged, as by an older tagger.
    add_stories(store, feed, [
        entry("a", title="Armenia and Azerbaijan sign a peace deal", summary="Talks ended in Washington."),
        entry("b", title="Crowds gather for a third night", summary="Officials urged calm.",
              link="https://desk.example/world/2026/mar/02/moldova-protests-vote"),
    ])
    add_stories(store, other, [
        entry("c", title="Council votes to close libraries", summary="The vote was close."),
        entry("d", title="Harvest begins early", summary="Farmers are worried.",
              text="Farmers are worried. Exporters in Kenya said prices would rise."),
    ])

    changed = Library(Config(settings=Settings(), feeds=(feed, other)), store=store).retag()

    tags = {story.title.split()[0]: (story.countries, story.mentions) for story in store.stories()}
    assert changed == 4
    assert set(tags["Armenia"][0]) == {"AM", "AZ", "NZ"} and "US" in tags["Armenia"][1]  # pinned NZ
    assert tags["Crowds"][0] == ("NZ",) and tags["Crowds"][1] == ("MD",)  # the link's slug: a mention
    assert tags["Council"] == (("GB",), ())  # the home fallback
    assert tags["Harvest"][0] == ("KE",)  # the stored text, not only the summary
    assert Library(Config(settings=Settings(), feeds=(feed, other)), store=store).retag() == 0


def test_an_articles_lede_is_its_first_paragraph_of_prose() -> None:
    from newsreader.tagging import article_lede

    lede = "Negotiators from Armenia and Azerbaijan met again on Tuesday, the first round since the spring talks."
    markdown = "\n\n".join(["## Talks resume", "![A photo of the table](https://x/p.jpg)", "By A. Reporter",
                              lede, "Second paragraph.", "- a list item"])
    found, rest = article_lede(markdown)
    assert found == lede
    assert lede not in rest and "Second paragraph." in rest and "## Talks resume" in rest
    assert article_lede("## Only a heading\n\nShort.") == ("", "## Only a heading\n\nShort.")
