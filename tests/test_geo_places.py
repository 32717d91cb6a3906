"""Issue 14's error classes: towns sharing a bigger place's name, "Town, Region", longer names, people's
names, the home country, other scripts, weights and the local layer. Every case here failed before."""

from __future__ import annotations

import pytest

from newsreader.geo import Tagger, get_tagger


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return get_tagger()


def everything(tags) -> set[str]:
    return set(tags.countries) | set(tags.mentions)


# (id, title, summary, home, expected countries, codes that must appear nowhere)
SHARED_NAMES = [
    ("paris-texas-county", "Paris council approves new budget",
     "PARIS — The Lamar County seat will repave streets near Paris Junior College, Texas officials said.",
     None, {"US"}, {"FR"}),
    ("paris-texas-home", "Paris police arrest two after chase",
     "Officers said the chase began on Clarksville Street and ended near Reno.", "US", {"US"}, {"FR"}),
    ("paris-france-home-us", "Paris prepares for fashion week", "Designers from Milan and London arrive.", "US",
     {"FR"}, {"US"}),
    ("athens-georgia", "Athens man booked for assault",
     "The Clarke County sheriff said the man was held at the jail in Athens.", None, {"US"}, {"GR"}),
    ("dublin-ohio", "Dublin students learn martial arts",
     "Pupils at a Dublin school in Franklin County, Ohio, train twice a week.", None, {"US"}, {"IE"}),
    ("lebanon-pennsylvania", "Fire destroys barn near Lebanon",
     "Crews from Lebanon County and Lancaster County fought the blaze for hours.", None, {"US"}, {"LB"}),
    ("alexandria-louisiana", "Alexandria parents charged",
     "The couple, of Alexandria, were booked into the Rapides Parish jail.", "US", {"US"}, {"EG"}),
    ("palestine-texas", "Palestine man gets two years",
     "A jury in Anderson County found the Palestine man guilty.", None, {"US"}, {"PS"}),
    ("london-ontario", "London can get to work",
     "Council in London, Ont., approved the plan; Windsor and Kitchener watched.", None, {"CA"}, {"GB"}),
    ("edmonton-north-london", "Stabbing in Edmonton, north London", "", None, {"GB"}, {"CA"}),
    ("jordan-elementary", "Jordan Elementary Students Win State Science Fair",
     "Pupils at Jordan Elementary showed volcanoes and robots.", "US", {"US"}, {"JO"}),
    ("granada-spain", "Granada beat Sevilla in the derby", "The Andalusian side won 2-1.", None, {"ES"}, {"GD"}),
    ("cancun-mexico", "Hurricane nears Cancun", "Tourists left hotels on the Caribbean coast.", None, {"MX"},
     {"CN"}),
    ("st-johns-newfoundland", "Snowstorm buries St. John's", "Newfoundland declared a state of emergency.",
     None, {"CA"}, {"AG"}),
]


@pytest.mark.parametrize(("title", "summary", "home", "want", "never"), [c[1:] for c in SHARED_NAMES],
                         ids=[c[0] for c in SHARED_NAMES])
def test_towns_sharing_a_bigger_places_name(tagger, title, summary, home, want, never):
    tags = tagger.tag(title, summary, home=home)
    assert set(tags.countries) == want
    assert not everything(tags) & never


TOWN_REGION = [
    ("postal-code", "Storm hits Paris, TX", "", {"US"}, {"FR"}),
    ("canadian-abbreviation", "Factory closes in London, Ont.", "", {"CA"}, {"GB"}),
    ("ap-dateline", "Mine safety rules tightened", "CHARLESTON, W.Va. — Regulators said on Monday that "
     "inspections would double.", {"US"}, set()),
    ("australian-state", "Heatwave grips Perth, WA", "", {"AU"}, {"US"}),
    ("us-state-wa", "Rain returns to Seattle, WA", "", {"US"}, {"AU"}),
    ("unknown-town-state", "Flooding in Cairo, Illinois", "The Mississippi rose again in Cairo.", {"US"}, {"EG"}),
]


@pytest.mark.parametrize(("title", "summary", "want", "never"), [c[1:] for c in TOWN_REGION],
                         ids=[c[0] for c in TOWN_REGION])
def test_town_region_forms(tagger, title, summary, want, never):
    tags = tagger.tag(title, summary)
    assert set(tags.countries) == want
    assert not everything(tags) & never


def test_one_sense_per_story(tagger):
    tags = tagger.tag("Tornado flattens barns in Turkey", "TURKEY, Texas (AP) — The storm hit the town at dawn.")
    assert tags.countries == ("US",) and "TR" not in everything(tags)
    tags = tagger.tag("Paris mourns its mayor", "Flags flew at half-staff in Paris, Texas, on Monday.")
    assert tags.countries == ("US",) and "FR" not in everything(tags)


LONGER_NAMES = [
    ("new-london", "New London council meets", "The Connecticut city debated its budget.", {"US"}, {"GB"}),
    ("guernsey-county", "Guernsey County fair opens", "Ohio farmers showed cattle.", {"US"}, {"GG"}),
    ("little-portugal", "Festival fills Little Portugal", "Toronto closed Dundas Street for the parade.", {"CA"},
     {"PT"}),
    ("lebanon-township", "Lebanon Township votes on school budget", "", {"US"}, {"LB"}),
    ("paris-avenue", "Water Main Breaks On Paris Avenue", "Crews in New Orleans worked overnight.", {"US"}, {"FR"}),
]


@pytest.mark.parametrize(("title", "summary", "want", "never"), [c[1:] for c in LONGER_NAMES],
                         ids=[c[0] for c in LONGER_NAMES])
def test_matches_inside_longer_names(tagger, title, summary, want, never):
    tags = tagger.tag(title, summary)
    assert set(tags.countries) == want
    assert not everything(tags) & never


PEOPLE = [
    ("sakai", "Marine honoured", "Sgt. Daniel Sakai received the medal at a ceremony in Virginia.", {"JP"}),
    ("flanders", "Council race heats up", "Candidate John Flanders said he would cut taxes.", {"BE"}),
    ("zwicker", "Teacher wins award", "Brittany Zwicker was named teacher of the year.", {"FR"}),
    ("pochettino", "Chelsea appoint new manager", "Mauricio Pochettino signed a two-year deal.", {"MU"}),
    ("le-clos", "South Africa's Chad le Clos wins gold", "", {"TD"}),
    ("carney", "Canada's prime minister calls snap election", "Mark Carney said voters would decide.", {"US"}),
]


@pytest.mark.parametrize(("title", "summary", "never"), [c[1:] for c in PEOPLE], ids=[c[0] for c in PEOPLE])
def test_peoples_names_are_not_places(tagger, title, summary, never):
    assert not everything(tagger.tag(title, summary)) & never


SCRIPTS = [
    ("zh", "日本首相访问中国", {"JP", "CN"}),
    ("zh-hant", "台灣與日本簽署協議", {"TW", "JP"}),
    ("ja", "韓国の大統領が来日", {"KR"}),
    ("ko", "일본 총리, 미국 방문", {"JP", "US"}),
    ("ar", "مصر وإسرائيل تتفقان على هدنة", {"EG", "IL"}),
    ("fa", "ایران و عراق توافق کردند", {"IR", "IQ"}),
    ("ur", "پاکستان اور بھارت کے درمیان مذاکرات", {"PK", "IN"}),
    ("hi", "भारत और नेपाल के बीच समझौता", {"IN", "NP"}),
    ("he", "ישראל ומצרים חתמו על הסכם", {"IL", "EG"}),
    ("el", "Η Ελλάδα και η Τουρκία υπέγραψαν συμφωνία", {"GR", "TR"}),
    ("bn", "ভারতের সঙ্গে বাংলাদেশের চুক্তি", {"IN", "BD"}),
    ("uk", "Україна та Польща підписали угоду", {"UA", "PL"}),
    ("ru", "Россия и Китай провели переговоры", {"RU", "CN"}),
    ("zh-city", "北京和上海的空气污染", {"CN"}),  # big cities' names in the scripts of our feeds
    ("ur-city", "کراچی میں بارش", {"PK"}),
    ("ko-city", "서울 시장 선거", {"KR"}),
    ("ja-katakana-word", "タイムズ紙によると", set()),  # タイ (Thailand) inside タイムズ (Times)
    ("bn-new", "নিউজ ডেস্ক", set()),  # নিউ (Niue, and "new") inside নিউজ (news)
]


@pytest.mark.parametrize(("title", "want"), [c[1:] for c in SCRIPTS], ids=[c[0] for c in SCRIPTS])
def test_country_names_in_the_scripts_of_our_feeds(tagger, title, want):
    assert set(tagger.tag(title).countries) == want


def test_home_never_overrides_a_named_country(tagger):
    # BBC Chinese and BBC Urdu: the feed's home is GB, the story names Japan, Pakistan.
    tags = tagger.tag("日本央行维持利率不变", "日本银行周二宣布维持利率。", home="GB")
    assert tags.countries == ("JP",) and "GB" not in tags.countries
    tags = tagger.tag("پاکستان میں انتخابات", "الیکشن کمیشن نے نتائج کا اعلان کیا۔", home="GB")
    assert tags.countries == ("PK",)
    # Towns of the home country do not push a named country down.
    tags = tagger.tag("Doctor returns to Newark after practicing in New Zealand",
                      "The Newark physician spent three years in Auckland and Wellington.", home="US")
    assert tags.countries[0] == "NZ"
    # Nothing named: the home is the fallback.
    assert tagger.tag("Council votes to close libraries", home="GB").countries == ("GB",)


def test_body_count_is_not_flattened(tagger):
    body = " ".join(["Turkey said the talks went well."] * 40 + ["Russia said the talks went well."] * 25)
    tags = tagger.tag("Talks end", "Delegates met for a week.", body)
    assert tags.countries[:2] == ("TR", "RU")


def test_nationality_describing_people_weighs_little(tagger):
    tags = tagger.tag("Argentine striker scores twice as Milan win", "The forward was man of the match.")
    assert tags.countries == ("IT",) and "AR" in tags.mentions
    assert tagger.tag("Argentine government devalues peso").countries == ("AR",)


def test_captions_and_related_links_weigh_little(tagger):
    article = ("The eclipse will cross the United States on Monday afternoon.\n\n"
               "![People watching the eclipse in Bogotá, Colombia, in 2023](https://img.example/a.jpg)\n\n"
               "![A crowd in Bogotá watching the sky](https://img.example/b.jpg)\n\n"
               "Viewers should wear glasses rated ISO 12312-2.\n\n"
               "- [Colombia's election: what to know](https://example.org/colombia)\n"
               "- [Colombia and Peru sign a trade deal](https://example.org/peru)\n")
    tags = tagger.tag("How to watch the eclipse safely", "", article)
    assert tags.countries == ("US",)


def test_a_french_law_in_le_monde_is_french(tagger):
    tags = tagger.tag("La loi immigration adoptée", "L'Assemblée nationale a voté la réforme de la politique "
                      "migratoire française ; les réfugiés venus de Syrie et d'Irak sont concernés.", home="FR")
    assert tags.countries[0] == "FR"


LOCAL = [
    ("gainesville-man", "Gainesville man gets 15 years for killing baby", "", None, {"US"}),
    ("county-only", "Budget approved", "Hall County commissioners and Gwinnett County officials agreed.", None,
     {"US"}),
    ("parish", "Levee repairs begin", "Work started in Plaquemines Parish on Monday.", None, {"US"}),
    ("irish-county", "Storm cuts power in County Kerry", "", None, {"IE"}),
    ("lone-town-no-support", "Castro speaks at rally", "The crowd cheered.", None, set()),
]


@pytest.mark.parametrize(("title", "summary", "home", "want"), [c[1:] for c in LOCAL], ids=[c[0] for c in LOCAL])
def test_local_layer(tagger, title, summary, home, want):
    assert set(tagger.tag(title, summary, home=home).countries) == want


def test_a_province_named_with_a_word_is_no_place(tagger):
    # "Southern" is a district of Botswana, "Gulf" a province of Papua New Guinea.
    assert tagger.tag("He Was Deported to Eswatini in Southern Africa").countries == ("SZ",)
    assert tagger.tag("Pentagon sends air defences to Gulf allies").countries == ("US",)


def test_local_places_never_outrank_a_named_country(tagger):
    tags = tagger.tag("Mission team returns", "Volunteers from Gainesville, Buford and Oakwood spent a week in "
                      "Haiti building a school; Gainesville churches paid for the trip.")
    assert tags.countries[0] == "HT"
    assert "US" in everything(tags)


def test_old_keyword_arguments_still_work(tagger):
    tags = tagger.tag("Votes counted", "", "", link=None, categories=(), pinned=["NZ"], home="AU")
    assert tags.countries == ("NZ",)
