"""Country tagging: signals, ambiguities, weighting, regions, feed hints."""

from __future__ import annotations

import threading

import pytest

from newsreader.geo import Tagger, Tags, get_tagger


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return get_tagger()


def countries(tagger: Tagger, title: str, summary: str = "", **kw) -> set[str]:
    return set(tagger.tag(title, summary, **kw).countries)


def test_issue_example_sochi(tagger):
    tags = tagger.tag(
        "Armenian and Azerbaijani leaders meet in Sochi for peace talks",
        "Russia's president hosted Armenia's prime minister and Azerbaijan's president in the Black Sea "
        "resort, the Kremlin said. The talks covered Nagorno-Karabakh, and officials from Baku and "
        "Yerevan said progress was made.",
        "Earlier rounds of talks were held in Brussels under European Union mediation.",
    )
    assert set(tags.countries) == {"AM", "AZ", "RU"}
    assert set(tags.countries[:2]) == {"AM", "AZ"}  # the two parties are more central than the host
    assert "BE" not in tags.countries
    for region in ("Caucasus", "Western Asia", "Eastern Europe", "Europe"):
        assert region in tags.regions


def test_get_tagger_is_cached():
    assert get_tagger() is get_tagger()


def test_empty_input(tagger):
    assert tagger.tag("") == Tags((), (), ())
    assert tagger.tag("", "", "") == Tags((), (), ())


# (title, summary, expected countries, codes that must not appear anywhere in the tags)
AMBIGUITIES = [
    ("georgia-state-city", "Tornado warning issued for Atlanta, Georgia", "", {"US"}, {"GE"}),
    ("georgia-state-politics", "Georgia certifies election results", "Secretary of State Brad Raffensperger said Fulton County counts matched; Republicans objected.", {"US"}, {"GE"}),
    ("georgia-tech", "Georgia Tech wins in overtime", "The Yellow Jackets rallied late.", set(), {"GE", "US"}),
    ("georgia-country", "Protests in Georgia over foreign agents law", "Thousands marched in Tbilisi against the Georgian Dream government.", {"GE"}, {"US"}),
    ("georgia-tbilisi-comma", "Storm floods Tbilisi, Georgia", "", {"GE"}, {"US"}),
    ("jordan-michael", "Michael Jordan sells his Chicago mansion", "", {"US"}, {"JO"}),
    ("jordan-peterson", "Jordan Peterson starts podcast tour", "", set(), {"JO"}),
    ("jordan-country", "Jordan closes airspace as Iran fires missiles", "", {"JO", "IR"}, set()),
    ("chad-person", "Chad Smith and the art of drumming", "", set(), {"TD"}),
    ("chad-country", "Chad's president wins election", "N'Djamena was calm.", {"TD"}, set()),
    ("turkey-country", "Turkey raises interest rates", "The lira fell.", {"TR"}, set()),
    ("turkey-bird", "How to roast a turkey for Thanksgiving", "", set(), {"TR"}),
    ("turkey-bird-title-case", "Turkey Prices Soar Before Thanksgiving Dinner", "", set(), {"TR"}),
    ("china-country", "China's exports fall", "", {"CN"}, set()),
    ("china-porcelain", "Auction of fine china draws collectors", "", set(), {"CN"}),
    ("china-airlines", "China Airlines orders new jets", "", set(), {"CN", "TW"}),
    ("niger", "Niger junta expels ambassador", "", {"NE"}, {"NG"}),
    ("nigeria", "Nigeria's naira slumps", "", {"NG"}, {"NE"}),
    ("niger-delta", "Oil spill in the Niger Delta", "", {"NG"}, {"NE"}),
    ("guinea-bissau", "Guinea-Bissau president dissolves parliament", "", {"GW"}, {"GN"}),
    ("equatorial-guinea", "Equatorial Guinea holds election", "", {"GQ"}, {"GN"}),
    ("papua-new-guinea", "Papua New Guinea landslide", "", {"PG"}, {"GN"}),
    ("guinea", "Guinea's junta sets referendum", "", {"GN"}, {"GW", "GQ", "PG"}),
    ("congo-drc", "Rebels seize Goma in DR Congo", "", {"CD"}, {"CG"}),
    ("congo-brazzaville", "Republic of the Congo votes", "Brazzaville counts ballots.", {"CG"}, {"CD"}),
    ("congo-plain", "Ebola outbreak in Congo", "Officials in Kinshasa said.", {"CD"}, {"CG"}),
    ("dominica", "Hurricane hits Dominica", "", {"DM"}, {"DO"}),
    ("dominican-republic", "Dominican Republic builds border wall", "", {"DO"}, {"DM"}),
    ("sudan", "Sudan's army retakes Khartoum", "", {"SD"}, {"SS"}),
    ("south-sudan", "South Sudan delays elections", "", {"SS"}, {"SD"}),
    ("north-korea", "North Korea fires missile", "", {"KP"}, {"KR"}),
    ("south-korea", "South Korea impeaches president", "", {"KR"}, {"KP"}),
    ("washington-capital", "Washington imposes sanctions on Iran", "", {"US", "IR"}, set()),
    ("washington-state", "Wildfire in Washington state forces evacuations", "", {"US"}, set()),
    ("denzel", "Denzel Washington returns to Broadway", "", set(), {"US"}),
    ("paris-hilton", "Paris Hilton launches perfume", "", set(), {"FR"}),
    ("paris-texas", "Tornado hits Paris, Texas", "", {"US"}, {"FR"}),
    ("lebanon-pennsylvania", "Church fire in Lebanon, Pennsylvania", "", {"US"}, {"LB"}),
    ("colombo", "Protests in Colombo over fuel shortages", "", {"LK"}, {"CO"}),
    ("colombia", "Colombia's president meets rebels", "", {"CO"}, {"LK"}),
    ("indian", "Indian elections begin", "", {"IN"}, set()),
    ("native-american", "Native American tribes win water case", "", {"US"}, {"IN"}),
    ("american-indian", "American Indian leaders meet in Phoenix, Arizona", "", {"US"}, {"IN"}),
    ("lewis-hamilton", "Lewis Hamilton fastest in practice", "", set(), {"GB", "BM", "CA", "NZ"}),
    ("sydney-sweeney", "Sydney Sweeney cast in biopic", "", set(), {"AU"}),
    ("french-fries", "Fast food chain changes its French fries", "", set(), {"FR"}),
    ("spanish-flu", "Lessons from the Spanish flu", "", set(), {"ES"}),
]


@pytest.mark.parametrize(("title", "summary", "want", "never"),
                         [a[1:] for a in AMBIGUITIES], ids=[a[0] for a in AMBIGUITIES])
def test_ambiguity(tagger, title, summary, want, never):
    tags = tagger.tag(title, summary)
    assert set(tags.countries) == want
    assert not (set(tags.countries) | set(tags.mentions)) & never


@pytest.mark.parametrize(
    ("title", "summary", "want"),
    [
        ("Power cuts spread", "KYIV, Ukraine (AP) — Blackouts returned on Monday.", {"UA"}),
        ("Opposition figure jailed", "MOSCOW — A court sentenced the activist.", {"RU"}),
        ("GUINEA-BISSAU ARMY SAYS COUP FOILED", "", {"GW"}),
        ("CÔTE D'IVOIRE OPPOSITION BOYCOTTS VOTE", "", {"CI"}),
        ("Kremlin rejects ceasefire plan", "", {"RU"}),
        ("White House unveils tariffs", "", {"US"}),
        ("Downing Street denies rift", "", {"GB"}),
        ("Élysée names prime minister", "", {"FR"}),
        ("Zhongnanhai signals property support", "", {"CN"}),
        ("Pentagon sends air defences", "", {"US"}),
        ("UK inflation falls", "", {"GB"}),
        ("Britain and America sign trade pact", "", {"GB", "US"}),
        ("DRC signs deal", "", {"CD"}),
        ("Ivory Coast wins cup", "", {"CI"}),
        ("Czechia votes", "", {"CZ"}),
        ("Türkiye hosts summit", "", {"TR"}),
        ("Burma's junta sets vote", "", {"MM"}),
        ("eSwatini king marries", "", {"SZ"}),
        ("Emirati investors buy club", "", {"AE"}),
        ("Azeri gas exports rise", "", {"AZ"}),
    ],
)
def test_names_aliases_metonyms_datelines(tagger, title, summary, want):
    assert countries(tagger, title, summary) == want


@pytest.mark.parametrize(
    ("title", "want"),
    [
        ("Nagorno-Karabakh refugees reach Goris", {"AZ"}),
        ("Explosions at airbase in Crimea", {"UA"}),
        ("Shelling in the Donbas", {"UA"}),
        ("Strikes in Gaza", {"PS"}),
        ("Settler attacks in the West Bank", {"PS"}),
        ("Gunmen attack tourists in Kashmir", {"IN", "PK"}),
        ("Taiwan scrambles jets", {"TW"}),
        ("Kosovo police clash with protesters", {"XK"}),
        ("Talks on Western Sahara resume", {"EH"}),
        ("Hong Kong jails activists", {"HK"}),
    ],
)
def test_territory_policy(tagger, title, want):
    assert countries(tagger, title) == want


@pytest.mark.parametrize(
    ("title", "want"),
    [
        ("L'Arménie signe un accord avec l'Azerbaïdjan", {"AM", "AZ"}),
        ("Armenien und Aserbaidschan unterzeichnen Abkommen", {"AM", "AZ"}),
        ("Deutschlands Wirtschaft schrumpft", {"DE"}),
        ("Armenia y Azerbaiyán firman la paz", {"AM", "AZ"}),
        ("Arménia e Azerbaijão assinam acordo", {"AM", "AZ"}),
        ("L'Armenia e l'Azerbaigian firmano la pace", {"AM", "AZ"}),
        ("Армения и Азербайджан подписали договор", {"AM", "AZ"}),
        ("Переговоры в Армении завершились", {"AM"}),
    ],
)
def test_translated_names(tagger, title, want):
    assert countries(tagger, title) == want


def test_title_outweighs_passing_mention(tagger):
    tags = tagger.tag("Kenya's president visits Beijing",
                      "The trip follows similar visits by leaders from Ghana and Zambia.")
    assert tags.countries[0] == "KE"
    assert "GH" in tags.mentions and "ZM" in tags.mentions
    assert "GH" not in tags.countries


def test_repetition_counts(tagger):
    body = " ".join(["Officials in Poland said the plan would go ahead."] * 4)
    tags = tagger.tag("EU ministers meet on migration", "The meeting was tense.", body)
    assert "PL" in tags.countries


def test_categories_pinned_and_home(tagger):
    assert tagger.tag("Coalition talks collapse", categories=["Denmark", "Europe", "World news"]).countries == ("DK",)
    assert set(tagger.tag("Bushfire season begins", categories=["Australia news"]).countries) == {"AU"}
    assert tagger.tag("Votes counted", pinned=["NZ"]).countries == ("NZ",)
    assert "NZ" in tagger.tag("Japan's economy grows", pinned=["NZ"]).countries
    assert tagger.tag("Council votes to close libraries", home="GB").countries == ("GB",)
    # a named place decides before the home fallback
    assert tagger.tag("Council in Toronto votes to close libraries", home="GB").countries == ("CA",)


# (link, expected countries + mentions) for a story whose text names no place
SLUGS = [
    ("https://www.theguardian.com/world/2024/nov/27/moldova-protests-disputed-vote", {"MD"}),
    ("https://www.nytimes.com/2026/08/12/world/africa/-zimbabwe-lake-kariba-ferry-capsize.html", {"ZW"}),
    ("https://www.theguardian.com/world/2022/sep/25/canadas-military-sent-to-help", {"CA"}),  # possessive
    ("https://www.nytimes.com/2026/08/12/world/middleeast/west-bank-palestinians-israeli-settlers.html", {"PS", "IL"}),
    ("https://www.bbc.co.uk/news/uk-politics-58945255?at_medium=RSS", {"GB"}),  # section and id
    ("https://edition.cnn.com/2024/11/27/europe/ukraine-drone-strikes-intl/index.html", {"UA"}),
    ("https://www.lemonde.fr/afrique/article/2024/11/27/en-cote-d-ivoire-la-campagne_123.html", {"CI"}),
    ("https://example.org/2024/c%C3%B4te-divoire-vote", {"CI"}),  # percent-encoded, accents folded
    ("https://www.spiegel.de/reise/geheimtipps-fuer-die-naechste-reise-nach-italien-1107576", {"IT"}),
    ("https://example.org/world/north-korea-fires-missile", {"KP"}),  # leftmost-longest, as in text
    ("https://example.org/world/guinea-bissau-coup-attempt", {"GW"}),
    ("https://example.org/world/south-sudan-delays-vote", {"SS"}),
    # Lower case hides what is a name: ambiguous names, words and given names never count in a slug.
    ("https://example.org/us-news/georgia-election-results-certified", set()),
    ("https://example.org/food/how-to-roast-a-turkey-for-thanksgiving", set()),
    ("https://example.org/lifestyle/fine-china-plates-auction", set()),
    ("https://example.org/food/best-french-fries-ranked", set()),
    ("https://example.org/beauty/nail-polish-trends", set()),
    ("https://example.org/culture/jordan-peterson-tour", set()),
    ("https://example.org/music/chad-smith-drums", set()),
    ("https://example.org/opinion/what-the-pandemic-taught-us", set()),
    ("https://example.org/world/2024/nov/27/", set()),
    ("not a link", set()),
    ("http://[::1", set()),
]


@pytest.mark.parametrize(("link", "want"), SLUGS, ids=[link.rsplit("/", 1)[-1][:40] or link for link, _ in SLUGS])
def test_link_slug(tagger, link, want):
    tags = tagger.tag("Crowds gather for a third night", "Officials urged calm.", link=link)
    assert set(tags.countries) | set(tags.mentions) == want


def test_link_slug_weighs_less_than_the_lead(tagger):
    link = "https://example.org/world/2024/nov/27/spain-floods-valencia-toll"
    # alone, the slug gives a mention, never a central country: a section in a link ("world-us-canada")
    # names places a story need not be about
    tags = tagger.tag("Death toll rises after floods", link=link)
    assert tags.countries == () and tags.mentions == ("ES",)
    bbc = tagger.tag("Senate passes the budget", link="https://www.bbc.co.uk/news/world-us-canada-68123456")
    assert bbc.countries == () and bbc.mentions == ("CA",)
    # the title decides; a slug place the text never names is a mention
    tags = tagger.tag("France sends rescue teams", "Teams left Marseille on Tuesday.", link=link)
    assert tags.countries == ("FR",) and tags.mentions == ("ES",)
    # a passing name in the lead is a mention, but the slug naming it too makes it central
    lead = "Rescue teams from Portugal and Spain joined the search on Tuesday."
    assert tagger.tag("French teams join flood search", lead).countries == ("FR",)
    assert tagger.tag("French teams join flood search", lead, link=link).countries == ("FR", "ES")


def test_acronym_spelled_out_is_not_a_place(tagger):
    tags = tagger.tag("Insulin runs out in Tigray",
                      "The head of the International Diabetes Federation (IDF) called it a crime.")
    assert tags.countries == ("ET",) and tags.mentions == ()
    assert "IL" in tagger.tag("Strikes in Gaza", "The army (IDF) said it hit targets.").mentions
    assert tagger.tag("Democratic Republic of Congo (DRC) signs deal").countries == ("CD",)


def test_east_london_is_london(tagger):
    assert tagger.tag("Eclipse glasses sell out", "Queues formed in East London on Tuesday.").countries == ("GB",)


def test_candidates_are_every_reading(tagger):
    named = tagger.candidates("Georgia votes", "Fans of Lewis Hamilton cheered.",
                              link="https://example.org/world/moldova-watches")
    assert {"GE", "US", "MD"} <= named  # both readings of Georgia, and the slug
    assert not named & {"GB", "BM"}  # a stop phrase stands for nothing


def test_home_breaks_ambiguity_ties(tagger):
    assert tagger.tag("Georgia braces for storm", home="US").countries == ("US",)
    assert tagger.tag("Georgia braces for storm").countries == ("GE",)


def test_regions_derive_from_countries_only(tagger):
    tags = tagger.tag("Kenya's president visits Beijing",
                      "The trip follows similar visits by leaders from Ghana and Zambia.")
    assert "Eastern Africa" in tags.regions and "Eastern Asia" in tags.regions
    assert "Western Africa" not in tags.regions  # Ghana is only a mention
    assert "World" not in tags.regions
    assert tagger.tag("Estonia holds election").regions[:1] == ("Baltics",)


def test_thread_safe(tagger):
    stories = [("Armenia and Azerbaijan sign deal", "Talks in Washington."),
               ("Storm hits Atlanta, Georgia", ""), ("Denzel Washington film", "")]
    want = [tagger.tag(*s) for s in stories]
    errors = []

    def work():
        for _ in range(200):
            for s, w in zip(stories, want):
                if tagger.tag(*s) != w:
                    errors.append(s)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
