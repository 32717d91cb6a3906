"""Country and region lookup: resolve, search, error messages, the region tree."""

from __future__ import annotations

import pytest

from newsreader.geo import (
    Region,
    UnknownPlace,
    countries_in_region,
    country_name,
    regions,
    resolve_country,
    resolve_region,
    search_countries,
    search_regions,
)


@pytest.mark.parametrize(
    ("query", "code"),
    [("AM", "AM"), ("am", "AM"), ("armenia", "AM"), ("ARMENIA", "AM"), ("Armenian", "AM"), ("Azeri", "AZ"),
     ("Azerbaijani", "AZ"), ("ivory coast", "CI"), ("Côte d'Ivoire", "CI"), ("cote d’ivoire", "CI"),
     ("UK", "GB"), ("Britain", "GB"), ("British", "GB"), ("USA", "US"), ("American", "US"), ("Arménie", "AM"),
     ("Armenien", "AM"), ("Армения", "AM"), ("Emirati", "AE"), ("Türkiye", "TR"), ("Burma", "MM"),
     ("DRC", "CD"), ("Kosovo", "XK"), ("  germany ", "DE"), ("ARM", "AM")],
)
def test_resolve_country(query, code):
    assert resolve_country(query) == code


def test_resolve_country_unknown_suggests():
    with pytest.raises(UnknownPlace) as info:
        resolve_country("Armenai")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.query == "Armenai"
    assert err.suggestions[0] == "AM"
    assert str(err).startswith("unknown country 'Armenai'; did you mean Armenia (AM)")
    assert "\n" not in str(err)


def test_resolve_country_nothing_close():
    with pytest.raises(UnknownPlace) as info:
        resolve_country("qqqqqqqq")
    assert info.value.suggestions == ()
    assert str(info.value) == "unknown country 'qqqqqqqq'"


def test_country_name():
    assert country_name("AM") == "Armenia"
    assert country_name("am") == "Armenia"
    assert country_name("CD") == "DR Congo"
    assert country_name("ZZ") == "ZZ"


def test_search_countries_prefix_first():
    results = search_countries("arm")
    assert results[0] == ("AM", "Armenia")
    assert search_countries("ger")[0] == ("DE", "Germany")
    assert ("GE", "Georgia") in search_countries("georg")
    assert search_countries("us")[0] == ("US", "United States")
    assert search_countries("azeri")[0] == ("AZ", "Azerbaijan")  # demonym
    assert search_countries("armenai")[0] == ("AM", "Armenia")  # typo, fuzzy
    assert len(search_countries("", limit=5)) == 5
    assert len(search_countries("a", limit=3)) == 3


@pytest.mark.parametrize(
    ("query", "name"),
    [("caucasus", "Caucasus"), ("EASTERN EUROPE", "Eastern Europe"), ("EU", "European Union"),
     ("Southeast Asia", "Southeast Asia"), ("South-eastern Asia", "Southeast Asia"),
     ("latin america", "Latin America and the Caribbean"), ("Middle East", "Middle East"),
     ("horn of africa", "Horn of Africa"), ("Scandinavia", "Nordics")],
)
def test_resolve_region(query, name):
    assert resolve_region(query) == name


def test_resolve_region_unknown():
    with pytest.raises(UnknownPlace) as info:
        resolve_region("Caucasas")
    assert info.value.suggestions[0] == "Caucasus"
    assert str(info.value) == "unknown region 'Caucasas'; did you mean Caucasus?"


def test_search_regions():
    assert search_regions("cau")[0] == "Caucasus"
    assert search_regions("euro")[0] == "Europe"
    assert "European Union" in search_regions("eu")


def test_region_tree():
    all_regions = regions()
    assert all(isinstance(r, Region) for r in all_regions)
    assert all_regions[0].name == "World" and all_regions[0].parent is None
    seen = set()
    for r in all_regions:
        assert r.parent is None or r.parent in seen, f"{r.name} before its parent"
        seen.add(r.name)
        assert r.kind in {"world", "continent", "subregion", "news"}
    by_name = {r.name: r for r in all_regions}
    for name in ("Middle East", "Caucasus", "Balkans", "Baltics", "Nordics", "Maghreb", "Sahel",
                 "Horn of Africa", "Gulf", "Central Asia", "Southeast Asia", "European Union",
                 "Europe", "Eastern Europe", "Western Asia", "Sub-Saharan Africa",
                 "Latin America and the Caribbean"):
        assert name in by_name
    for r in all_regions:  # a child's countries lie within its parent's (news regions under World)
        if r.parent and r.parent != "World":
            assert r.countries <= by_name[r.parent].countries, r.name
    assert by_name["Caucasus"].kind == "news"
    assert by_name["Eastern Europe"].parent == "Europe"


def test_countries_in_region():
    assert countries_in_region("caucasus") == frozenset({"AM", "AZ", "GE"})
    assert countries_in_region("Baltics") == frozenset({"EE", "LV", "LT"})
    assert "RU" in countries_in_region("Eastern Europe")
    assert "AM" in countries_in_region("Western Asia")
    assert len(countries_in_region("European Union")) == 27
    with pytest.raises(UnknownPlace):
        countries_in_region("Atlantis")
