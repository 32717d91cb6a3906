"""Function words of the languages feeds carry, folded (lower case, no accents), and a language guess
for Latin-script text from them. Short lists on purpose: the IDF weighs down the rest."""

from __future__ import annotations

from .folding import fold

_WORDS = {
    "en": """a an the and or but of to in on at by for from with without as is are was were be been being
        it its this that these those he she they them his her their we our you your i not no new after before
        over under into out up down about than then there here who what when where why how will would can
        could may might has have had do does did just more most very also all any some says said say vs via
        amid among against off s t""",
    "pt": """o a os as um uma uns umas de do da dos das em no na nos nas por pelo pela pelos pelas para com sem
        e ou mas que se ao aos à às é são foi foram ser ter tem têm está estão como mais menos muito já não
        sim seu sua seus suas ele ela eles elas este esta isso isto esse essa entre sobre após até diz
        durante contra pela vai vão""",
    "es": """el la los las un una unos unas de del al a en por para con sin y o u pero que se es son fue
        fueron ser ha han está están como más menos muy ya no sí su sus lo le les este esta esto ese esa
        entre sobre tras hasta dice durante contra ante desde hoy va van""",
    "fr": """le la les l un une des de du d au aux à en dans par pour avec sans et ou mais que qu qui se s
        est sont été être a ont comme plus moins très déjà ne pas n son sa ses leur leurs ce cette ces il
        elle ils elles on sur sous entre après avant contre lors selon chez va vont""",
    "de": """der die das den dem des ein eine einen einem einer eines und oder aber dass da in im an am auf
        aus bei mit nach von vom zu zum zur für über unter vor durch gegen ohne ist sind war waren sein
        hat haben wird werden wurde kann nicht kein keine auch noch schon mehr sich sie er es wir ihr ihre
        sein seine wie als so nur""",
    "sl": """in je so bo bodo bil bila bilo bili na v za s z pa da se ki ne o od do po pri iz k h tudi kot ali
        še že ga jih jo ta to te ti tega tem teh tej svoj svoja svoje pred med nad pod zaradi brez bi sta
        smo ste sem si""",
    "ru": """и в во на с со к ко по за из от до о об у же не ни что как это этот эта эти тот та те так но
        а или бы был была были быть есть он она они его ее её их мы вы я для при без над под про через
        после перед уже еще ещё также только все всё весь""",
    "ar": """في من على إلى الى عن مع أن ان إن هذا هذه ذلك التي الذي الذين هو هي هم كان كانت قد لا ما لم لن
        بعد قبل بين حتى أو او ثم كل عند منذ خلال ضد""",
}

#: folded stopwords by language
STOPWORDS: dict[str, frozenset[str]] = {}


for _lang, _text in _WORDS.items():
    STOPWORDS[_lang] = frozenset(fold(w) for w in _text.split())

ALL_STOPWORDS: frozenset[str] = frozenset().union(*STOPWORDS.values())
_LATIN = ("en", "pt", "es", "fr", "de", "sl")


#: letters that, among these languages, only one writes
_LETTERS = {"fr": "èêëçœî", "pt": "ãõ", "es": "ñ¿¡", "de": "ßäöü", "sl": "čšž"}


def guess_latin_language(text: str) -> str:
    """The Latin-script language whose stopwords (and letters of its own) the text uses most: "und" when
    it uses none. A tie goes to the language with more stopwords of its own."""
    words = fold(text).split()
    lowered = text.casefold()
    best, best_score = "und", (0, 0)
    for lang in _LATIN:
        hits = [w for w in words if w in STOPWORDS[lang]]
        own = sum(1 for w in hits if not any(w in STOPWORDS[o] for o in _LATIN if o != lang))
        own += sum(1 for ch in _LETTERS.get(lang, "") if ch in lowered)
        score = (len(hits) + own, own)
        if score > best_score:
            best, best_score = lang, score
    return best
