"""Why is this story here: `show --why`, w in the reader, and a feed's home inferred when feeds.toml sets none."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.feeds.parse import ParseOptions, parse_feed
from newsreader.library import Library
from newsreader.ui import make_app

from feedserver import FeedServer, write_feeds_toml
from ui_helpers import fixed_clock, sample_config, sample_store, settle, story_id, wait_for

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>
<item><guid>a</guid><title>Talks in Sochi between Pashinyan and Aliyev</title>
<link>https://news.example/a</link><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate>
<description>Russia's president hosted the leaders of Armenia and Azerbaijan in Sochi. Officials in Baku and Yerevan
said the talks on Nagorno-Karabakh were frank; the Kremlin called them useful. Brussels was mentioned.</description></item>
<item><guid>b</guid><title>Council approves the new budget</title>
<link>https://news.example/b</link><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate>
<description>The council met on Tuesday and approved spending for next year.</description></item>
</channel></rss>"""


def test_a_feed_without_a_home_takes_the_one_its_address_says() -> None:
    """A story naming no country falls back to the outlet's home: set in feeds.toml, or inferred (.co.uk)."""
    options = ParseOptions(url="https://www.example.co.uk/news/rss.xml")
    budget = next(e for e in parse_feed(RSS.encode(), options).entries if e.key == "b")
    assert budget.countries == ("GB",)
    anywhere = ParseOptions(url="https://news.example/rss.xml")
    assert next(e for e in parse_feed(RSS.encode(), anywhere).entries if e.key == "b").countries == ()


@pytest.fixture
def fetched(tmp_path: Path, feed_server: FeedServer, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    url = feed_server.feed("/desk.xml", RSS)
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Desk", url)], settings={"keep_days": 36500})
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*args, "fetch"]) == 0
    capsys.readouterr()
    return args


def test_show_why_names_the_words_behind_each_country(fetched, capsys) -> None:
    assert main([*fetched, "list", "--json"]) == 0
    import json

    stories = {s["title"]: s["id"] for s in json.loads(capsys.readouterr().out)}
    assert main([*fetched, "show", str(stories["Talks in Sochi between Pashinyan and Aliyev"]), "--why"]) == 0
    out = capsys.readouterr().out
    # Sochi in the title puts Russia first; Armenia and Azerbaijan are what the story is about too.
    assert "1. Russia (RU)  about" in out
    assert "Armenia (AM)  about" in out and "Azerbaijan (AZ)  about" in out
    assert "'Sochi' in the title" in out
    assert "about, score" in out
    if "Belgium" in out:  # Brussels named in passing: at most a mention, never what the story is about
        assert "(BE)  mentions" in out
    assert "Traceback" not in out


def test_feeds_verbose_says_which_homes_were_inferred(tmp_path: Path, capsys) -> None:
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Local", "https://www.example.co.uk/rss")])
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "feeds", "--verbose"]) == 0
    assert "Local: https://www.example.co.uk/rss · home GB (inferred)" in capsys.readouterr().out


async def test_w_shows_why_in_the_reader(tmp_path: Path) -> None:
    store = sample_store(tmp_path)
    app = make_app(Library(sample_config(read_dwell=600), store=store), offline=True, clock=fixed_clock,
                   state_path=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        assert app.reader.story_list.current.id == story_id(store, "w1")
        await pilot.press("w")
        await wait_for(pilot, lambda: app.reader.article.showing_why, "the explanation")
        await pilot.press("w")
        assert not app.reader.article.showing_why
    store.close()


PT_RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Diário</title><language>pt-BR</language>
<item><guid>c</guid><title>Câmara aprova o orçamento do próximo ano</title>
<link>https://diario.example/c</link><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate>
<description>Os vereadores votaram na terça-feira e aprovaram os gastos.</description></item>
</channel></rss>"""


def test_a_home_inferred_from_the_feeds_language_is_the_same_everywhere(tmp_path: Path, feed_server: FeedServer,
                                                                        capsys, monkeypatch) -> None:
    """The parser inferred BR from the feed's <language>; `feeds -v`, `show --why` and `retag` must infer the
    same, not fall back to the address alone (which says nothing) and untag the story."""
    monkeypatch.setenv("COLUMNS", "200")
    url = feed_server.feed("/diario.xml", PT_RSS)
    config = write_feeds_toml(tmp_path / "feeds.toml", [("Diário", url)], settings={"keep_days": 36500})
    args = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*args, "fetch"]) == 0
    capsys.readouterr()
    import json

    assert main([*args, "list", "--json"]) == 0
    [story] = json.loads(capsys.readouterr().out)
    assert story["countries"] == ["BR"]
    assert main([*args, "feeds", "-v"]) == 0
    assert "home BR (inferred)" in capsys.readouterr().out
    assert main([*args, "show", str(story["id"]), "--why"]) == 0
    assert "Brazil (BR)" in capsys.readouterr().out
    assert main([*args, "retag"]) == 0
    capsys.readouterr()
    assert main([*args, "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["countries"] == ["BR"]
