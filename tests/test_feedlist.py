"""Editing feeds.toml: comments and formatting survive, duplicates are refused, failures write nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsreader.config import ConfigError, load_config
from newsreader.config import edit as feedlist
from newsreader.config.edit import (
    AlreadySubscribed,
    FeedListError,
    NoSuchFeed,
    add_feed,
    add_feeds,
    config_path_for_writing,
    find_feed,
    normalise_url,
    remove_feed,
    unique_name,
)
from newsreader.config.types import FeedConfig
from newsreader.library import Library
from newsreader.model import StoryFilter
from newsreader.store import Store

from story_factory import add_stories, entry

COMMENTED = """\
# My feeds -- hand-written, keep this header
[settings]
keep_days = 30    # a month is plenty

# Armenian news
[[feeds]]
name = "Azatutyun"   # RFE/RL Armenian service
url = "https://www.azatutyun.am/api/zmgqoemvrq"
countries = ["AM"]

# Georgian news
# (two comment lines)
[[feeds]]
name = "Civil.ge"
url = "https://civil.ge/feed"
home = "GE"

[[feeds]]
name = 'OC Media'
url = "https://oc-media.org/feed/"
tags = [ "caucasus",   "independent" ]

# end of the list
"""


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


def test_add_keeps_every_byte_of_the_file_and_appends_a_table(toml: Path) -> None:
    result = add_feed(toml, FeedConfig(name="JAMnews", url="https://jam-news.net/feed/", countries=("am", "ge"), tags=("caucasus",)))
    text = toml.read_text(encoding="utf-8")
    assert text.startswith(COMMENTED)
    assert text[len(COMMENTED):] == (
        '\n[[feeds]]\nname = "JAMnews"\nurl = "https://jam-news.net/feed/"\ncountries = ["AM", "GE"]\ntags = ["caucasus"]\n'
    )
    assert not result.created and result.path == toml.resolve()
    assert result.added[0].countries == ("AM", "GE")
    config = load_config(toml)
    assert [f.name for f in config.feeds] == ["Azatutyun", "Civil.ge", "OC Media", "JAMnews"]
    assert config.settings.keep_days == 30


def test_add_to_a_file_whose_last_table_ends_without_a_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds]]\nname = "A"\nurl = "https://a.example/rss"', encoding="utf-8")
    add_feed(path, FeedConfig(name="B", url="https://b.example/rss"))
    assert path.read_text() == '[[feeds]]\nname = "A"\nurl = "https://a.example/rss"\n\n[[feeds]]\nname = "B"\nurl = "https://b.example/rss"\n'


def test_add_to_a_file_with_only_settings(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text("[settings]\nkeep_days = 7\n", encoding="utf-8")
    add_feed(path, FeedConfig(name="A", url="https://a.example/rss"))
    assert path.read_text() == '[settings]\nkeep_days = 7\n\n[[feeds]]\nname = "A"\nurl = "https://a.example/rss"\n'


def test_add_to_inline_array_style(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('feeds = [\n  { name = "A", url = "https://a.example/rss" },  # first\n]\n', encoding="utf-8")
    add_feed(path, FeedConfig(name="B", url="https://b.example/rss"))
    assert "# first" in path.read_text()
    assert [f.name for f in load_config(path).feeds] == ["A", "B"]


def test_add_creates_the_file_with_a_header_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "feeds.toml"
    result = add_feed(path, FeedConfig(name="A", url="https://a.example/rss"))
    assert result.created
    text = path.read_text()
    assert text.startswith("# newsreader feeds")
    assert load_config(path).feeds == (FeedConfig(name="A", url="https://a.example/rss"),)
    assert add_feed(path, FeedConfig(name="B", url="https://b.example/rss")).created is False


def test_new_file_goes_to_the_user_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(feedlist, "config_directory", lambda: tmp_path / "config")
    monkeypatch.setattr("newsreader.config.locations.config_directory", lambda: tmp_path / "config")
    assert config_path_for_writing() == tmp_path / "config" / "feeds.toml"
    (tmp_path / "feeds.toml").write_text("")
    assert config_path_for_writing() == tmp_path / "feeds.toml"
    assert config_path_for_writing(tmp_path / "x.toml") == tmp_path / "x.toml"


@pytest.mark.parametrize("url", [
    "https://civil.ge/feed",
    "http://civil.ge/feed",
    "https://www.civil.ge/feed/",
    "https://CIVIL.ge:443/feed#top",
])
def test_duplicates_by_normalised_url_are_refused_and_nothing_is_written(toml: Path, url: str) -> None:
    before = toml.read_bytes()
    with pytest.raises(AlreadySubscribed) as caught:
        add_feed(toml, FeedConfig(name="Another name", url=url))
    assert caught.value.name == "Civil.ge"
    assert "already subscribed: Civil.ge" in str(caught.value)
    assert toml.read_bytes() == before


def test_add_feeds_skips_and_reports_duplicates_within_the_batch(toml: Path) -> None:
    result = add_feeds(toml, [
        FeedConfig(name="New", url="https://new.example/rss"),
        FeedConfig(name="New again", url="http://new.example/rss/"),
        FeedConfig(name="Civil", url="https://civil.ge/feed"),
        FeedConfig(name="ftp", url="ftp://files.example/rss"),
    ])
    assert [f.name for f in result.added] == ["New"]
    reasons = [why for _, why in result.skipped]
    assert reasons[0] == "earlier in this list"
    assert reasons[1] == "already subscribed as 'Civil.ge'"
    assert reasons[2].startswith("not an http(s) URL")


def test_names_are_made_unique_and_safe(toml: Path) -> None:
    result = add_feeds(toml, [
        FeedConfig(name="civil.ge", url="https://other.example/rss"),
        FeedConfig(name="Civil.ge", url="https://third.example/rss"),
        FeedConfig(name="\x1b[31mRed\x1b[0m [bold]x[/bold]\n", url="https://red.example/rss"),
        FeedConfig(name="   ", url="https://blank.example/rss"),
    ])
    names = [f.name for f in result.added]
    assert names == ["civil.ge (other.example)", "Civil.ge (third.example)", "Red [bold]x[/bold]", "blank.example"]
    assert [f.name for f in load_config(toml).feeds][-4:] == names


def test_unique_name_counts_up_when_the_host_is_taken_too() -> None:
    assert unique_name("A", ["a", "A (x.example)"], "https://x.example/") == "A (2)"
    assert unique_name("x" * 200, [], "")[:5] == "xxxxx" and len(unique_name("x" * 200, [])) == feedlist.MAX_NAME_LENGTH


def test_a_broken_config_is_reported_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds]]\nname = "A"\nurl = "https://a.example/rss\n', encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ConfigError) as caught:
        add_feed(path, FeedConfig(name="B", url="https://b.example/rss"))
    assert str(caught.value).startswith(f"{path}:")
    assert path.read_bytes() == before


def test_a_change_that_would_not_validate_writes_nothing(toml: Path) -> None:
    before = toml.read_bytes()
    with pytest.raises(FeedListError, match="invalid .*country codes.*nothing written"):
        add_feed(toml, FeedConfig(name="Bad", url="https://bad.example/rss", countries=("ARM",)))
    assert toml.read_bytes() == before


def test_a_failed_write_leaves_the_file_and_no_temporary(toml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = toml.read_bytes()

    def refuse(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(feedlist.os, "replace", refuse)
    with pytest.raises(FeedListError, match="cannot write: No space left on device"):
        add_feed(toml, FeedConfig(name="B", url="https://b.example/rss"))
    assert toml.read_bytes() == before
    assert sorted(p.name for p in toml.parent.iterdir()) == ["feeds.toml"]


def test_a_symlinked_config_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "feeds.toml"
    real.parent.mkdir()
    real.write_text(COMMENTED)
    os.chmod(real, 0o640)
    link = tmp_path / "feeds.toml"
    link.symlink_to(real)
    add_feed(link, FeedConfig(name="B", url="https://b.example/rss"))
    assert link.is_symlink()
    assert "https://b.example/rss" in real.read_text()
    assert real.stat().st_mode & 0o777 == 0o640


def test_remove_a_middle_feed_takes_its_comments_and_leaves_the_next_ones(toml: Path) -> None:
    result = remove_feed(toml, "civil.ge")
    assert result.feed.url == "https://civil.ge/feed"
    assert toml.read_text() == COMMENTED.replace(
        '# Georgian news\n# (two comment lines)\n[[feeds]]\nname = "Civil.ge"\nurl = "https://civil.ge/feed"\nhome = "GE"\n\n', ""
    )


def test_remove_the_first_feed_keeps_the_settings_and_their_comments(toml: Path) -> None:
    remove_feed(toml, "https://www.azatutyun.am/api/zmgqoemvrq")
    text = toml.read_text()
    assert text.startswith("# My feeds -- hand-written, keep this header\n[settings]\nkeep_days = 30    # a month is plenty\n\n# Georgian news\n")
    assert "Armenian" not in text and "Azatutyun" not in text


def test_remove_the_last_feed_keeps_the_closing_comment(toml: Path) -> None:
    remove_feed(toml, "OC Media")
    text = toml.read_text()
    assert text.endswith('home = "GE"\n\n# end of the list\n')
    assert [f.name for f in load_config(toml).feeds] == ["Azatutyun", "Civil.ge"]


def test_remove_every_feed_one_by_one(toml: Path) -> None:
    for name in ("OC Media", "Azatutyun", "Civil.ge"):
        remove_feed(toml, name)
    config = load_config(toml)
    assert config.feeds == () and config.settings.keep_days == 30
    assert toml.read_text().startswith("# My feeds -- hand-written, keep this header\n")


def test_remove_from_inline_array_style(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('feeds = [\n  { name = "A", url = "https://a.example/rss" },\n  { name = "B", url = "https://b.example/rss" },\n]\n')
    remove_feed(path, "A")
    assert [f.name for f in load_config(path).feeds] == ["B"]


def test_a_header_inside_a_multiline_string_does_not_confuse_removal(tmp_path: Path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds]]\nname = """A\n[[feeds]]\n"""\nurl = "https://a.example/rss"\n\n[[feeds]]\nname = "B"\nurl = "https://b.example/rss"\n')
    remove_feed(path, "B")
    assert [f.url for f in load_config(path).feeds] == ["https://a.example/rss"]


def test_removing_an_unknown_feed_writes_nothing(toml: Path) -> None:
    before = toml.read_bytes()
    with pytest.raises(NoSuchFeed, match="no feed named or at 'Nope'"):
        remove_feed(toml, "Nope")
    assert toml.read_bytes() == before
    with pytest.raises(NoSuchFeed, match="no such file"):
        remove_feed(toml.parent / "missing.toml", "A")


def test_find_feed_by_name_or_url() -> None:
    feeds = [FeedConfig(name="Civil.ge", url="https://civil.ge/feed"), FeedConfig(name="civil", url="https://x.example/")]
    assert find_feed(feeds, "CIVIL.GE").url == "https://civil.ge/feed"
    assert find_feed(feeds, "civil").url == "https://x.example/"
    assert find_feed(feeds, "http://www.civil.ge/feed/").name == "Civil.ge"
    assert find_feed(feeds, "nothing") is None
    assert normalise_url("HTTPS://Www.Example.com:443/a/?q=1#f") == "//example.com/a?q=1"
    assert normalise_url("http://example.com:8080/") != normalise_url("http://example.com/")


def test_unsubscribe_removes_the_config_entry_and_unstarred_stories(toml: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "cache.sqlite") as store:
        config = load_config(toml)
        civil = find_feed(config.feeds, "Civil.ge")
        other = find_feed(config.feeds, "OC Media")
        add_stories(store, civil, [entry("a"), entry("b"), entry("c")])
        add_stories(store, other, [entry("z")])
        starred = store.stories(StoryFilter(feed="Civil.ge"))[0]
        store.set_starred(starred.id)
        done = Library(config, store=store).unsubscribe("Civil.ge")
        assert (done.stories_deleted, done.starred_kept) == (2, 1)
        assert sorted(s.title for s in store.stories()) == sorted([starred.title, "Story z"])
        assert store.story(starred.id).starred
    assert find_feed(load_config(toml).feeds, "Civil.ge") is None


def test_feed_management_modules_know_nothing_of_the_ui() -> None:
    import subprocess
    import sys

    code = ("import sys, newsreader.library, newsreader.config.edit, newsreader.config.opml, newsreader.feeds.discover, newsreader.export; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m.startswith('newsreader.ui')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
