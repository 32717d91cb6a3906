"""OPML import and export: real readers' dialects, folders as tags, duplicates, round trips, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.cli import main
from newsreader.config import load_config, opml
from newsreader.config.opml import OpmlError, export_opml, import_opml, parse_opml, read_opml_file
from newsreader.config.types import FeedConfig

OPML_DIR = Path(__file__).parent / "opml"
CONFIG = """\
# my reading list
[settings]
keep_days = 14

[[feeds]]
name = "OC Media"   # already here
url = "https://oc-media.org/feed/"
"""


def parse(name: str) -> opml.OpmlFeeds:
    return parse_opml((OPML_DIR / name).read_bytes(), name)


def test_newsboat_export_flat_list() -> None:
    found = parse("newsboat.opml")
    assert found.title == "newsboat - Exported Feeds"
    assert [(f.name, f.url, f.tags) for f in found.feeds] == [
        ("OC Media", "https://oc-media.org/feed/", ()),
        ("Ազատություն", "https://www.azatutyun.am/api/zmgqoemvrq", ()),
        ("Civil.ge – Georgia", "https://civil.ge/feed", ()),
        ("Eurasianet & friends", "https://eurasianet.org/rss?section=caucasus&lang=en", ()),
        ("jam-news.net", "https://jam-news.net/feed/", ()),  # no title: named after its host
    ]


def test_feedly_categories_become_tags_and_a_feed_in_two_is_merged() -> None:
    found = parse("feedly.opml")
    tags = {f.name: f.tags for f in found.feeds}
    assert tags["BBC News - World"] == ("World", "Caucasus")
    assert tags["OC Media"] == ("Caucasus",)
    assert tags["Nature"] == ("Science",)
    assert len(found.feeds) == 4
    assert [(f.name, times) for f, times in found.repeated] == [("BBC News - World", 2)]


def test_inoreader_mixed_top_level_and_folders() -> None:
    found = parse("inoreader.opml")
    assert [(f.name, f.tags) for f in found.feeds] == [
        ("Hacker News", ()), ("Meduza", ("Europe",)), ("Balkan Insight", ("Europe",)), ("The Diplomat", ("Asia",)),
    ]


def test_nested_folders_give_every_level_as_a_tag() -> None:
    found = parse("nested.opml")
    tags = {f.name: f.tags for f in found.feeds}
    assert tags["Armenpress"] == ("News", "Caucasus", "Armenia")
    assert tags["OC Media"] == ("News", "Caucasus")
    assert tags["Reuters World"] == ("wire", "english", "News")  # the category attribute counts too
    assert tags["Top level"] == ()
    assert found.without_url == 1


@pytest.mark.parametrize(("name", "message"), [
    ("empty.opml", "no outlines"),
    ("broken.opml", r"not valid XML \(unclosed token at line 9\)"),
])
def test_bad_fixture_files(name: str, message: str) -> None:
    with pytest.raises(OpmlError, match=message):
        parse(name)


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (b"   \n", "the file is empty"),
    (b"This is not XML at all, just text.\n", "not valid XML"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not valid XML"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>', r"not an OPML file \(the document is <rss>"),
    (b"<html><body><p>hi</p></body></html>", "not an OPML file"),
    (b'<opml version="2.0"><head/><body><outline text="Folder"><outline text="Site" htmlUrl="https://x.example/"/></outline></body></opml>',
     "no feeds: none of its 2 outlines has an xmlUrl"),
    (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
     b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/rss"/></body></opml>', "declares DTD entities"),
])
def test_bad_opml_gets_a_one_line_error(data: bytes, message: str) -> None:
    with pytest.raises(OpmlError, match=message) as caught:
        parse_opml(data, "input.opml")
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("input.opml: ")


def test_external_entities_are_never_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    data = (f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]>'
            '<opml version="2.0"><body><outline text="&x;" xmlUrl="https://x.example/rss"/></body></opml>').encode()
    with pytest.raises(OpmlError, match="DTD entities"):
        parse_opml(data)


def test_a_huge_file_is_refused_without_reading_it_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(opml, "MAX_OPML_BYTES", 64 * 1024)
    huge = tmp_path / "huge.opml"
    outline = b'<outline type="rss" text="x" xmlUrl="https://x.example/rss"/>\n'
    huge.write_bytes(b'<opml version="2.0"><body>\n' + outline * 2000 + b"</body></opml>")
    with pytest.raises(OpmlError, match="too large for an OPML file"):
        read_opml_file(huge)
    with pytest.raises(OpmlError, match="too large"):
        parse_opml(huge.read_bytes())


def test_the_real_cap_is_generous_but_finite() -> None:
    assert 1024 * 1024 <= opml.MAX_OPML_BYTES <= 64 * 1024 * 1024


def test_import_adds_new_feeds_skips_duplicates_and_keeps_comments(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(CONFIG)
    result = import_opml(OPML_DIR / "feedly.opml", config)
    assert [f.name for f in result.added] == [
        "BBC News - World", "Al Jazeera – Breaking News, World News and Video from Al Jazeera", "Nature",
    ]
    reasons = {f.name: why for f, why in result.skipped}
    assert reasons == {"BBC News - World": "listed 2 times in the file; added once", "OC Media": "already subscribed as 'OC Media'"}
    text = config.read_text()
    assert text.startswith(CONFIG)
    loaded = load_config(config)
    assert loaded.settings.keep_days == 14
    assert [f.tags for f in loaded.feeds] == [(), ("World", "Caucasus"), ("World",), ("Science",)]
    # Importing the same file again adds nothing and leaves the file alone.
    before = config.read_bytes()
    again = import_opml(OPML_DIR / "feedly.opml", config)
    assert again.added == () and len(again.skipped) == 4
    assert config.read_bytes() == before


def test_feeds_of_different_files_with_the_same_name_get_distinct_names(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    import_opml(OPML_DIR / "newsboat.opml", config)
    (tmp_path / "other.opml").write_text(
        '<opml version="2.0"><body><outline type="rss" text="OC Media" xmlUrl="https://other.example/oc"/></body></opml>'
    )
    result = import_opml(tmp_path / "other.opml", config)
    assert result.added[0].name == "OC Media (other.example)"


@pytest.mark.parametrize("name", ["empty.opml", "broken.opml"])
def test_bad_import_writes_nothing(tmp_path: Path, name: str) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(CONFIG)
    before = config.read_bytes()
    with pytest.raises(OpmlError):
        import_opml(OPML_DIR / name, config)
    assert config.read_bytes() == before
    with pytest.raises(OpmlError):
        import_opml(OPML_DIR / name, tmp_path / "none.toml")
    assert not (tmp_path / "none.toml").exists()


ROUND_TRIP = (
    FeedConfig(name="Azatutyun", url="https://www.azatutyun.am/api/zmgqoemvrq", countries=("AM",), home="AM",
               region="Caucasus", tags=("caucasus", "armenia")),
    FeedConfig(name="Civil.ge", url="https://civil.ge/feed", tags=("caucasus",), fulltext=True, max_stories=200),
    FeedConfig(name="Plain & simple <feed>", url="https://plain.example/rss?a=1&b=2"),
    FeedConfig(name="Odd tags", url="https://odd.example/atom.xml", tags=("first", "a/b", "c,d", "last"), fulltext=False),
    FeedConfig(name="Ünïcödé — 新闻", url="https://unicode.example/feed", tags=("日本",)),
)


def test_export_then_import_gives_back_the_same_feeds(tmp_path: Path) -> None:
    document = export_opml(ROUND_TRIP, site_urls={"https://civil.ge/feed": "https://civil.ge/"})
    assert document.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml ') and 'version="2.0"' in document
    assert 'htmlUrl="https://civil.ge/"' in document
    (tmp_path / "out.opml").write_text(document, encoding="utf-8")
    result = import_opml(tmp_path / "out.opml", tmp_path / "feeds.toml")
    assert result.skipped == ()
    assert sorted(load_config(tmp_path / "feeds.toml").feeds, key=lambda f: f.url) == sorted(ROUND_TRIP, key=lambda f: f.url)


def test_export_is_well_formed_even_with_control_characters() -> None:
    document = export_opml([FeedConfig(name="Bell\x07 and \x00 null", url="https://x.example/rss")])
    found = parse_opml(document.encode())
    assert found.feeds[0].name == "Bell and null"


def test_cli_import_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(CONFIG)
    data = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    assert main([*data, "import-opml", str(OPML_DIR / "inoreader.opml")]) == 0
    out = capsys.readouterr().out
    assert f"Imported 4 feeds into {config}" in out
    assert main([*data, "export-opml"]) == 0
    exported = capsys.readouterr().out
    assert [f.url for f in parse_opml(exported.encode()).feeds] == [f.url for f in load_config(config).feeds]
    assert main([*data, "export-opml", str(tmp_path / "out.opml")]) == 0
    assert "Exported 5 feeds to" in capsys.readouterr().out
    assert (tmp_path / "out.opml").read_text().count("xmlUrl=") == 5


def test_cli_bad_opml_is_one_line_on_stderr_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(CONFIG)
    before = config.read_bytes()
    code = main(["--config", str(config), "import-opml", str(OPML_DIR / "broken.opml")])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err == f"newsreader: {OPML_DIR / 'broken.opml'}: not valid XML (unclosed token at line 9)\n"
    assert config.read_bytes() == before
    assert main(["--config", str(config), "import-opml", str(tmp_path / "missing.opml")]) == 2
    assert "missing.opml: no such file" in capsys.readouterr().err
