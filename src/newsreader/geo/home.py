"""A feed's home country when its settings give none: infer_home(url, language).

The home country is the tagger's fallback for a domestic story that names no country, and the first
reading of a name the home shares with a bigger place abroad (Paris, Texas in a Texan paper). The
rules and tables are in data/curated.toml, [home].
"""

from __future__ import annotations

from functools import cache

from .loader import load


@cache
def _tables() -> tuple[dict[str, str], frozenset[str], dict[str, str], frozenset[str], frozenset[str]]:
    data = load()
    home = data["home"]
    return (home["outlets"], frozenset(home["generic_domains"]), home["languages"],
            frozenset(home["default_tags"]), frozenset(data["countries"]))


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1]
    if host.startswith("["):
        return ""  # an IPv6 literal
    return host.split(":", 1)[0].strip(".").lower()


def infer_home(url: str, language: str | None) -> str | None:
    """The home country of a feed from its URL and its declared language (RSS <language>, Atom
    xml:lang), or None when they say nothing reliable.

    In order: a known outlet (nytimes.com -> US, bbc.co.uk -> GB), the host's country code
    (lemonde.fr -> FR, uol.com.br -> BR, bbc.co.uk -> GB), the language's region (pt-BR -> BR) or a
    language one country speaks (ja -> JP). An outlet's service in another language takes that
    language's country: BBC Urdu (bbc.com, ur) -> PK.
    """
    outlets, generic, languages, default_tags, countries = _tables()
    tag = (language or "").strip().lower().replace("_", "-")
    lang, _, region = tag.partition("-")
    by_language = None
    if region[:2].upper() in countries and len(region) == 2 and tag not in default_tags:
        by_language = region.upper()
    elif lang in languages:
        by_language = languages[lang]
    host = _host(url or "")
    labels = host.split(".") if host else []
    for i in range(len(labels) - 1):
        outlet = outlets.get(".".join(labels[i:]))
        if outlet is not None:
            # BBC Urdu, DW Chinese: a service in another language is for that language's country.
            if by_language and lang and lang != "en" and by_language != outlet:
                return by_language
            return outlet
    if labels and not labels[-1].isdigit():
        tld = labels[-1]
        code = "GB" if tld == "uk" else tld.upper()
        if len(tld) == 2 and tld not in generic and code in countries:
            return code
    return by_language
