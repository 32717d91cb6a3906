"""One-pass name matching: an Aho-Corasick automaton over every known name at once.

Each name is added as written, in UPPER CASE (all-caps headlines and datelines: "KYIV, Ukraine
(AP) —", "MOSCOW —") and in Title Case (title-cased headlines); the names of the local layer (towns,
counties) only as written. Matching is case-sensitive, so "turkey" and "china" never match "Turkey"
and "China". Of overlapping matches the leftmost, then the longest wins, so "Guinea-Bissau" never
also yields "Guinea" and "South Sudan" never "Sudan".

A match must start and end on a word boundary, as far as the name's script has words: Chinese
writes none (日本的), a katakana name ends where other letters do (タイ is not in タイム), Korean
and Bengali glue endings to a name (일본의, ভারতের), Arabic and Hebrew glue a one-letter word
before it (وباكستان "and Pakistan", בישראל "in Israel").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any, NamedTuple

import ahocorasick

from .loader import Entry

# Typographic characters folded before matching; each maps one character to one, so offsets in
# the folded text are offsets in the original.
_FOLD = (("’", "'"), ("‘", "'"), ("\u00a0", " "), ("\u2009", " "), ("\u202f", " "), ("\x00", " "))

# pyahocorasick looks a character up among a node's children by linear search, so every character
# with no transition from the root (most of running text) costs a scan of all ~100 first letters
# of our names. Priming the root with the common text characters first (as never-matching keys
# "c\x00"; NUL is folded out of the text) makes those lookups short: about twice as fast overall.
_PRIME = (" etaoinshrdlcumwfgypbvkjxqz,.'\"-\n()0123456789:;!?/"
          "éèàùâêîôûçëïüöäßñáíóú"
          "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё")


# Boundary rules, by the script of a name's first letter.
WORDS, NO_BOUNDS, ENDINGS, PREFIXES, KANA = 0, 1, 2, 3, 4
_PREFIX_LETTERS = frozenset("وبلفكسוּבהלמשכ" + "ו")
_SCRIPT_RULES = (("CJK", NO_BOUNDS), ("HIRAGANA", NO_BOUNDS), ("KATAKANA", KANA), ("HANGUL", ENDINGS),
                 ("BENGALI", ENDINGS), ("ARABIC", PREFIXES), ("HEBREW", PREFIXES))


def _bounds(surface: str) -> int:
    if surface[:1].isascii():
        return WORDS
    name = unicodedata.name(surface[0], "")
    for script, rule in _SCRIPT_RULES:
        if name.startswith(script):
            return rule
    return WORDS


def _is_kana(ch: str) -> bool:
    return "\u30a0" <= ch <= "\u30ff"


class Hit(NamedTuple):
    start: int
    end: int  # exclusive
    entry: int  # index of the entry the name is a form of


def fold(text: str) -> str:
    # str.replace per character, not str.translate: translate looks every character of a story up in a
    # dict, and was 40% of tagging (benchmarks/README.md).
    for typographic, plain in _FOLD:
        if typographic in text:
            text = text.replace(typographic, plain)
    return text


_SLUG_WORD = re.compile(r"[a-z0-9]+")
# ASCII punctuation -> space (the apostrophe is deleted): a third of the regular expression's time.
_SLUG_ASCII = bytes(c if chr(c).isalnum() else ord(" ") for c in range(256))


def slug_words(text: str) -> list[str]:
    """The words of a link's slug, or of a name as a slug spells it: lower case, accents and
    apostrophes gone ("Côte d'Ivoire" -> cote divoire, "canadas-military" -> canadas military)."""
    if text.isascii():
        return text.lower().encode("ascii").translate(_SLUG_ASCII, b"'").decode("ascii").split()
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SLUG_WORD.findall(text.lower().replace("'", ""))


def _title(surface: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in surface.split(" "))


class Matcher:
    """Finds every known name in a text in one pass. Immutable once built; thread-safe."""

    def __init__(self, automaton: Any) -> None:
        self._automaton = automaton

    @classmethod
    def build(cls, entries: list[Entry], as_written: Iterable[tuple[str, int]] = ()) -> Matcher:
        """A matcher of every entry's name, as written, in Title Case and in UPPER CASE, and of the
        names `as_written` gives, (name, index of its entry), only as written: the towns of the local
        layer. A name as written beats another name's derived form; an entry's forms beat a town's."""
        forms: dict[str, int] = {}
        for idx, e in enumerate(entries):
            if e.surface:
                forms.setdefault(e.surface, idx)
        for idx, e in enumerate(entries):
            surface = e.surface
            if not surface:
                continue
            if " " in surface:
                forms.setdefault(_title(surface), idx)
            elif surface[0].upper() != surface[0]:  # else the Title Case form is the name as written
                forms.setdefault(surface[0].upper() + surface[1:], idx)
            if len(surface) >= 4 or surface.isupper():
                forms.setdefault(surface.upper(), idx)
        for name, idx in as_written:
            forms.setdefault(name, idx)
        # Integers, not tuples, in the automaton: a third of the time to build it. Each value packs
        # the entry's index, the form's length (names are shorter than 256) and the boundary rule.
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for ch in _PRIME:
            automaton.add_word(ch + "\x00", 0)
        add = automaton.add_word
        rules: dict[str, int] = {}  # the boundary rule depends on the first letter only
        # Added in sorted order, a subtree's nodes are allocated together: building and scanning are
        # both faster than in the order of the data (benchmarks/README.md).
        for form in sorted(forms):
            rule = rules.get(form[0])
            if rule is None:
                rule = rules[form[0]] = _bounds(form[0])
            add(form, forms[form] << 11 | len(form) << 3 | rule)
        automaton.make_automaton()
        return cls(automaton)

    def find(self, text: str) -> list[Hit]:
        """Leftmost-longest matches on word boundaries, in text order. `text` must be folded."""
        n = len(text)
        hits: list[Hit] = []
        new = tuple.__new__  # Hit(...) would run a NamedTuple's Python-level __new__
        # The automaton reports matches by where they end, so leftmost-longest is kept as they come:
        # a match replaces the kept ones it overlaps only if it starts before all of them (or at the
        # same place and is longer); one kept match starting earlier keeps it out.
        append = hits.append
        for last, value in self._automaton.iter(text):
            end = last + 1
            start = end - (value >> 3 & 255)
            rule = value & 7
            if not rule:  # WORDS, most names
                if (start and text[start - 1].isalnum()) or (end < n and text[end].isalnum()):
                    continue
            elif rule == ENDINGS:
                if start and text[start - 1].isalnum():
                    continue
            elif rule == PREFIXES:
                if start and text[start - 1].isalnum() and not (
                    text[start - 1] in _PREFIX_LETTERS and (start < 2 or not text[start - 2].isalnum())
                ):
                    continue
                if end < n and text[end].isalnum():
                    continue
            elif rule == KANA:  # タイ in タイム is no Thailand: a katakana word ends at other letters
                if start and _is_kana(text[start - 1]):
                    continue
                if end < n and _is_kana(text[end]):
                    continue
            if hits and hits[-1][1] > start:
                j = len(hits) - 1
                while j and hits[j - 1][1] > start:
                    j -= 1
                first = hits[j]
                if first[0] < start or (first[0] == start and first[1] >= end):
                    continue
                del hits[j:]
            append(new(Hit, (start, end, value >> 11)))
        return hits
