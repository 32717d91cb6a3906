"""Tagger.explain(): why each country is in a story's tags, as plain data."""

from __future__ import annotations

import dataclasses

import pytest

from newsreader.geo import Explanation, get_tagger


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


def test_explain_agrees_with_tag_and_names_the_words(tagger):
    args = ("Kenya's president visits Beijing", "The trip follows similar visits by leaders from Ghana and Zambia.")
    x = tagger.explain(*args)
    assert isinstance(x, Explanation)
    assert x.tags == tagger.tag(*args)
    assert [c.code for c in x.countries] == list(x.tags.countries + x.tags.mentions)
    assert [c.rank for c in x.countries] == list(range(1, len(x.countries) + 1))
    kenya = x.countries[0]
    assert kenya.code == "KE" and kenya.central and kenya.why == "named in the title"
    assert kenya.evidence[0].text == "Kenya" and kenya.evidence[0].zone == "title" and kenya.evidence[0].gain == 3.0
    ghana = next(c for c in x.countries if c.code == "GH")
    assert not ghana.central and "below the threshold" in ghana.why
    assert ghana.score < x.threshold
    dataclasses.asdict(x)  # plain data all the way down


def test_explain_shows_towns_ignored_names_and_home(tagger):
    x = tagger.explain("Paris police arrest two", "The chase began in Lamar County, Texas, and ended in Paris.",
                       home="US")
    us = x.countries[0]
    assert us.code == "US"
    readings = {(e.text, e.reading) for e in us.evidence}
    assert ("Paris", "capital name read as a town") in readings
    assert ("Lamar County", "Town, Region") in readings or ("Lamar County", "town (local layer)") in readings
    x = tagger.explain("Michael Jordan sells his mansion", "")
    assert any(i.text == "Michael Jordan" and i.zone == "title" for i in x.ignored)
    x = tagger.explain("Council votes to close libraries", home="GB")
    assert x.countries[0].code == "GB" and x.countries[0].evidence[0].zone == "home"
    assert "home country" in x.countries[0].why


def test_explain_feed_signals(tagger):
    x = tagger.explain("Votes counted", categories=["Denmark"], pinned=["NZ"],
                       link="https://example.org/world/2024/nov/27/moldova-watches")
    zones = {c.code: {e.zone for e in c.evidence} for c in x.countries}
    assert zones == {"DK": {"category"}, "NZ": {"pinned"}, "MD": {"slug"}}
