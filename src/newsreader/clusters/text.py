"""Headline text to terms: cleaning, script and language guessing, words, and language-free keys.

Two kinds of term come out of a story:
- words (`words`): folded, stopword-free, truncated to a stem-like prefix; compared within one language;
- keys (`keys`): what survives translation, for comparing across languages: names and other long words
  in a Latin transliteration reduced to a consonant skeleton ("Pashinyan", "Пашинян" -> "pshnn"), and
  numbers ("2020", "13").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .folding import fold
from .stopwords import ALL_STOPWORDS, STOPWORDS, guess_latin_language

#: a title's trailing " - Outlet" or " | Outlet": the outlet's name would tie its unrelated stories together
_OUTLET_TAIL = re.compile(r"\s+[-|–—•:]\s+([^-|–—•]{2,40})$")
_WORD = re.compile(r"\d+(?:_\d+)?|[^\W\d_]+")
_THOUSANDS = re.compile(r"\b\d{1,3}(?:[.,\u202f]\d{3})+\b")
_DECIMAL = re.compile(r"\b(\d+)[.,](\d+)\b")
_YEAR = re.compile(r"^(19|20)\d\d$")

#: Russian (and Serbian, Bulgarian, Ukrainian) Cyrillic to Latin, as news agencies spell names
_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґђјљњћџ",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t",
     "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya", "i", "yi", "ye", "g", "dj",
     "j", "lj", "nj", "c", "dz"],
))
# Skeleton rules: spellings of one sound in the scripts we transliterate collapse to one letter.
_SKELETON_RULES = (
    ("shch", "s"), ("sch", "s"), ("kh", "h"), ("zh", "z"), ("sh", "s"), ("ch", "c"), ("ts", "c"),
    ("tz", "c"), ("ph", "f"), ("th", "t"), ("ck", "k"), ("q", "k"), ("w", "v"), ("x", "ks"), ("z", "s"),
)
#: how French and German write the sounds English writes "sh", "ch", "y": "Pachinian", "Paschinjan"
_SPELLINGS = {
    "fr": (("tch", "c"), ("ch", "sh"), ("ou", "u")),
    "de": (("tsch", "c"), ("sch", "sh"), ("j", "y")),
}
_VOWELS = set("aeiouy")


def strip_outlet(title: str) -> str:
    """The title without a trailing outlet name ("… | WTOP", "… - Evening Express") when one is likely:
    a short tail after a spaced separator, most of whose words are capitalised."""
    match = _OUTLET_TAIL.search(title)
    if not match or match.start() < 12:
        return title
    tail = match.group(1).split()
    if len(tail) > 5:
        return title
    capitalised = sum(1 for w in tail if w[:1].isupper() or w[:1].isdigit() or "." in w)
    return title[: match.start()] if capitalised * 2 >= len(tail) + 1 else title


def script_of(text: str) -> str:
    """The dominant script of the letters: "latin", "cyrillic", "arabic", "cjk" or "other"."""
    counts = {"latin": 0, "cyrillic": 0, "arabic": 0, "cjk": 0, "other": 0}
    for ch in text:
        if not ch.isalpha():
            continue
        code = ord(ch)
        if code < 0x250:
            counts["latin"] += 1
        elif 0x400 <= code < 0x530:
            counts["cyrillic"] += 1
        elif 0x600 <= code < 0x800 or 0xFB50 <= code < 0xFF00:
            counts["arabic"] += 1
        elif 0x3040 <= code < 0xA000 or 0xAC00 <= code < 0xD7B0:
            counts["cjk"] += 1
        else:
            counts["other"] += 1
    return max(counts, key=counts.__getitem__)


def guess_language(text: str) -> str:
    """A cheap guess from the script, then from stopwords for Latin script: "und" for unknown."""
    script = script_of(text)
    if script == "cyrillic":
        return "ru"
    if script == "arabic":
        return "ar"
    if script == "cjk":
        return "zh"
    if script == "latin":
        return guess_latin_language(" ".join(_WORD.findall(text)))
    return "und"


def transliterate(word: str) -> str:
    """A folded word in Latin letters: Cyrillic by table, anything else left as it is."""
    if word.isascii():
        return word
    return "".join(_CYRILLIC.get(ch, ch) for ch in word)


def skeleton(latin: str, language: str = "en") -> str:
    """A spelling-tolerant key for a Latin word: its first letter, then its consonants, a run of one
    consonant (across vowels) once. "pashinyan", "pashinian", "pachinian" (fr) -> "psn"; "aliyev",
    "aliev" -> "alv"."""
    for old, new in _SPELLINGS.get(language, ()):
        latin = latin.replace(old, new)
    for old, new in _SKELETON_RULES:
        latin = latin.replace(old, new)
    out = [latin[0]]
    for ch in latin[1:]:
        if ch in _VOWELS or ch == out[-1] or ch in "jh":
            continue
        out.append(ch)
    return "".join(out)


_ARABIC_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_CJK_RUN = re.compile(r"[\u3040-\u9fff\uac00-\ud7af]+")


@dataclass(frozen=True, slots=True)
class Terms:
    """What the clusterer compares of one story."""

    language: str  #: the given language, or a guess ("und" when there is none)
    words: tuple[str, ...]  #: stem-like words, repeated as often as they occur (title words twice)
    keys: tuple[str, ...]  #: language-free keys: name skeletons and numbers, each once
    numbers: frozenset[str]  #: the numbers in the title but years: "12 dead", "rate at 16 percent"


def _numbers_as_tokens(text: str) -> str:
    """One spelling per number: "50,000" and "50.000" -> "50000"; "6,1" and "6.1" -> "6_1"."""
    text = _THOUSANDS.sub(lambda m: re.sub(r"\D", "", m.group()), text)
    return _DECIMAL.sub(r"\1_\2", text)


def _is_number(token: str) -> bool:
    return token[0].isdigit()


def _word(token: str, language: str, prefix: int) -> str | None:
    if _is_number(token):
        return token
    if language == "ar":
        for p in _ARABIC_PREFIXES:
            if token.startswith(p) and len(token) - len(p) >= 3:
                token = token[len(p):]
                break
    if len(token) < 2 or token in STOPWORDS.get(language, ALL_STOPWORDS):
        return None
    return token[:prefix]


def _key(token: str, language: str) -> str | None:
    if _is_number(token):
        return "#" + token if len(token) >= 2 else None
    if len(token) < 4 or token in ALL_STOPWORDS:
        return None
    latin = transliterate(token)
    if not latin.isascii() or not latin.isalpha():
        return None
    key = skeleton(latin, language if latin is token else "ru")
    return key if len(key) >= 2 else None


@lru_cache(maxsize=1 << 16)
def _token(token: str, language: str, prefix: int) -> tuple[str | None, str | None]:
    """A token's word and key (each None when it gives none): news repeats its words, so they are worked
    out once each."""
    return _word(token, language, prefix), _key(token, language)


def terms(title: str, summary: str = "", language: str | None = None, *, prefix: int = 6,
          summary_chars: int = 400) -> Terms:
    """The story's words and keys. Only the first `summary_chars` of the summary count: a lead says what
    the story is about, the rest adds cost and noise."""
    title = strip_outlet(title.strip())
    summary = summary[:summary_chars]
    if language:
        language = language.split("-")[0].lower()
    else:
        language = guess_language(f"{title} {summary}")
    words: list[str] = []
    keys: dict[str, None] = {}
    numbers: set[str] = set()
    for weight, text in ((2, title), (1, summary)):
        folded = _numbers_as_tokens(fold(text))
        for token in _WORD.findall(folded):
            if _CJK_RUN.fullmatch(token):
                grams = [token[i:i + 2] for i in range(len(token) - 1)] or [token]
                words.extend(grams * weight)
                continue
            word, key = _token(token, language, prefix)
            if word is not None:
                words.extend((word,) * weight)
            if key is not None:
                keys[key] = None
            if weight == 2 and _is_number(token) and not _YEAR.match(token):
                numbers.add(token)
    return Terms(language, tuple(words), tuple(keys), frozenset(numbers))
