"""The built tagger kept in the user's cache: read back as built, keyed on what it is built from,
written atomically, and built again whenever it cannot be read."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import platformdirs
import pytest

from newsreader.geo import Tagger
from newsreader.geo import cache as geo_cache
from newsreader.geo import names as geo_names
from newsreader.geo.loader import digest

STORIES = [
    ("Armenian and Azerbaijani leaders meet in Sochi", "The Kremlin said talks in Brussels went well.", ""),
    ("Paris firefighters save dog from pond", "Lamar County officials in Paris, Texas said.", ""),
    ("Storms knock out power across Atlanta, Georgia", "", "Tbilisi, Georgia was spared."),
    ("BUFORD, Ga. — City council meets", "", "Gainesville man charged."),
]


def tags_of(tagger: Tagger) -> list:
    return [tagger.tag(*story, home="US") for story in STORIES] + [tagger.explain(*STORIES[1])]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSREADER_GEO_CACHE", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def uncached() -> list:
    mp = pytest.MonkeyPatch()
    mp.setenv("NEWSREADER_GEO_CACHE", "off")
    try:
        return tags_of(Tagger())
    finally:
        mp.undo()


def test_the_tagger_is_read_back_as_built(cache_dir, uncached, monkeypatch):
    assert tags_of(Tagger()) == uncached
    files = list(cache_dir.iterdir())
    assert [f.name for f in files] == [f.name for f in cache_dir.glob("tagger-*.pickle")] and len(files) == 1
    monkeypatch.setattr(geo_names.Names, "__init__", lambda *a: pytest.fail("built again, not read from the cache"))
    assert tags_of(Tagger()) == uncached


@pytest.mark.parametrize("damage", [b"", b"not a pickle", pickle.dumps({"another": "shape"}), "cut short"])
def test_a_cache_that_cannot_be_read_is_built_again(cache_dir, uncached, damage):
    path = geo_cache.cache_path(digest())
    if damage == "cut short":
        geo_cache.write(path, ("a", "tuple") * 1000)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        cache_dir.joinpath(path.name).write_bytes(damage)
    assert tags_of(Tagger()) == uncached
    assert pickle.loads(path.read_bytes())[0].entries  # and written again, whole


def test_off_writes_nothing_and_an_unwritable_cache_is_no_error(tmp_path, monkeypatch, uncached):
    monkeypatch.setenv("NEWSREADER_GEO_CACHE", "off")
    assert geo_cache.cache_path(digest()) is None
    blocked = tmp_path / "a file"
    blocked.write_text("in the way")
    monkeypatch.setenv("NEWSREADER_GEO_CACHE", str(blocked))
    assert tags_of(Tagger()) == uncached
    assert list(tmp_path.iterdir()) == [blocked]


def test_the_name_covers_the_data_and_pyahocorasick(cache_dir, monkeypatch):
    path = geo_cache.cache_path(digest())
    assert path.parent == cache_dir and path == geo_cache.cache_path(digest())
    assert geo_cache.cache_path("another data file") != path
    version = geo_cache._ahocorasick_version()
    assert version[0].isdigit(), version
    with monkeypatch.context() as m:
        m.setattr(geo_cache, "_ahocorasick_version", lambda: version + ".post1")
        assert geo_cache.cache_path(digest()) != path
    monkeypatch.delenv("NEWSREADER_GEO_CACHE")
    default = geo_cache.cache_path(digest())
    assert default.parent == Path(platformdirs.user_cache_dir("newsreader", appauthor=False)) / "geo"
    assert default.name == path.name


def test_writing_is_atomic_and_keeps_the_newest(cache_dir):
    (cache_dir / "names-0123.automaton").write_bytes(b"the previous format")
    paths = [cache_dir / f"tagger-{i}.pickle" for i in range(5)]
    for i, path in enumerate(paths):
        geo_cache.write(path, {"n": i})
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    assert sorted(cache_dir.iterdir()) == paths[-geo_cache.CACHE_KEEP:]  # no temporary file is left
    assert geo_cache.read(paths[-1]) == {"n": 4}
    assert geo_cache.read(cache_dir / "missing.pickle") is None
