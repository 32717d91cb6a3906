"""infer_home: a feed's home country from its address and language, when its settings give none."""

from __future__ import annotations

import pytest

from newsreader.geo import infer_home

CASES = [
    ("https://feeds.bbci.co.uk/news/world/rss.xml", "en-gb", "GB"),  # known outlet
    ("https://rss.nytimes.com/services/xml/rss/nyt/World.xml", "en-us", "US"),
    ("https://www.aljazeera.com/xml/rss/all.xml", "en", "QA"),
    ("https://www.lemonde.fr/international/rss_full.xml", "fr", "FR"),  # the host's country code
    ("https://rss.uol.com.br/feed/noticias.xml", "pt-br", "BR"),
    ("https://www.smh.com.au/rss/feed.xml", None, "AU"),
    ("https://www.dailymail.co.uk/articles.rss", None, "GB"),
    ("https://www.bbc.com/urdu/index.xml", "ur", "PK"),  # an outlet's service in another language
    ("https://www.bbc.com/zhongwen/simp/index.xml", "zh-cn", "CN"),
    ("https://example.org/feed.xml", "pt-BR", "BR"),  # the language's region
    ("https://example.org/feed.xml", "ja", "JP"),  # a language one country speaks
    ("https://example.org/feed.xml", "en-US", None),  # publishing software's default says nothing
    ("https://example.org/feed.xml", "es", None),  # many countries' language
    ("https://balkaninsight.com/feed/", "en-US", None),  # a pan-regional outlet
    ("https://news.example.io/rss", None, None),  # a country code used as a generic domain
    ("http://192.168.1.10:8080/feed", None, None),
    ("http://[::1]:8080/feed", None, None),
    ("not a url", None, None),
    ("", None, None),
]


@pytest.mark.parametrize(("url", "language", "want"), CASES, ids=[f"{u[:40]}|{lang}" for u, lang, _ in CASES])
def test_infer_home(url, language, want):
    assert infer_home(url, language) == want
