"""One-pass name matching: an Aho-Corasick automaton over every known name at once.

Each name is added as written, in UPPER CASE (all-caps headlines and datelines: "KYIV, Ukraine
(AP) —", "MOSCOW —") and in Title Case (title-cased headlines). Matching is case-sensitive, so
"turkey" and "china" never match "Turkey" and "China". Of overlapping matches the leftmost, then
the longest wins, so "Guinea-Bissau" never also yields "Guinea" and "South Sudan" never "Sudan";
a match must start and end on a word boundary.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

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


class Hit(NamedTuple):
    start: int
    end: int  # exclusive
    entry: int  # index into Matcher.entries


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

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = entries
        forms: dict[str, int] = {}
        for idx, e in enumerate(entries):
            forms[e.surface] = idx  # a name as written beats another name's derived form
        for idx, e in enumerate(entries):
            derived = {_title(e.surface)}
            if len(e.surface) >= 4 or e.surface.isupper():
                derived.add(e.surface.upper())
            for form in derived:
                forms.setdefault(form, idx)
        automaton = ahocorasick.Automaton()
        for ch in _PRIME:
            automaton.add_word(ch + "\x00", (0, -1))
        for form, idx in forms.items():
            automaton.add_word(form, (len(form), idx))
        automaton.make_automaton()
        self._automaton = automaton

    def find(self, text: str) -> list[Hit]:
        """Leftmost-longest matches on word boundaries, in text order. `text` must be folded."""
        n = len(text)
        cands = []
        for last, (length, idx) in self._automaton.iter(text):
            start = last - length + 1
            if start and text[start - 1].isalnum():
                continue
            if last + 1 < n and text[last + 1].isalnum():
                continue
            cands.append((start, -length, idx))
        if not cands:
            return []
        cands.sort()
        hits = []
        free = 0
        for start, neg, idx in cands:
            if start >= free:
                free = start - neg
                hits.append(Hit(start, free, idx))
        return hits
