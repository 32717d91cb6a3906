"""Dates feedparser cannot read: localized day and month names, human forms, numeric forms it misses.

feedparser reads RFC 822 in English and ISO 8601; a feed that writes "Seg, 24 Set 2018 19:42:40 -0300"
(UOL), "24 de setembro de 2018", "Montag, 24. September 2018 10:15" or "24.09.2018 10:15" gets no date, and
its stories would be dated when they were fetched. `parse_date` reads those, for parse.py to call only where
feedparser gave nothing, and returns a UTC time tuple as feedparser's date parser does.

It reads words from small tables (month names and their abbreviations in en, pt, es, fr, de, it, nl, pl,
ru, tr, sv; day names, which are skipped; connectors such as "de", "am", "um", "Uhr"; zone abbreviations)
and refuses what it cannot read whole: an unknown word, a month without a day or a year, a numeric date
that could be read day-first or month-first, a date before 1990. It never guesses a date, and never reads
relative forms ("há 2 horas"). dateparser reads these too, but at 5-20 ms a date against some microseconds
here, after seconds of warm-up a worker process, and it dates "1m" or "há 2 horas" from now.
"""

from __future__ import annotations

import re
import time
import unicodedata
from datetime import datetime, timedelta

#: Month names, full and in the genitive where a language declines them; any prefix of three letters or more
#: that only one month has (after accents are dropped) reads as that month: "set", "sept", "dez", "paz", "сен".
_MONTH_NAMES = {
    "en": "january february march april may june july august september october november december",
    "pt": "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "fr": "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "de": "januar februar marz april mai juni juli august september oktober november dezember",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "sv": "januari februari mars april maj juni juli augusti september oktober november december",
    "pl": "styczen luty marzec kwiecien maj czerwiec lipiec sierpien wrzesien pazdziernik listopad grudzien",
    "pl genitive": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia wrzesnia pazdziernika listopada grudnia",
    "ru": "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь",
    "ru genitive": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "tr": "ocak subat mart nisan mayis haziran temmuz agustos eylul ekim kasim aralik",
}
#: Abbreviations that are not a prefix of the month's name, and other spellings.
_MONTH_OTHER = {"mrt": 3, "maerz": 3, "janner": 1, "setiembre": 9, "sett": 9}

#: Day names, full and abbreviated, read and skipped (a feed's weekday is often wrong; the date decides).
#: Any prefix of two letters or more of a full name is a day name too.
_DAY_NAMES = {
    "en": "monday tuesday wednesday thursday friday saturday sunday",
    "pt": "segunda terca quarta quinta sexta sabado domingo feira",  # "segunda-feira"
    "es": "lunes martes miercoles jueves viernes sabado domingo",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "de": "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag",
    "it": "lunedi martedi mercoledi giovedi venerdi sabato domenica",
    "nl": "maandag dinsdag woensdag donderdag vrijdag zaterdag zondag",
    "sv": "mandag tisdag onsdag torsdag fredag lordag sondag",
    "pl": "poniedzialek wtorek sroda czwartek piatek sobota niedziela",
    "ru": "понедельник вторник среда четверг пятница суббота воскресенье",
    "tr": "pazartesi sali carsamba persembe cuma cumartesi pazar",
}
_DAY_OTHER = "pt ndz пн вт ср чт пт сб вс pzt crs prs cts cmt pzr"

#: Words that join a date's parts: "24 de setembro de 2018", "am 24. September um 10:15 Uhr", "2018 г.".
_CONNECTOR_WORDS = ("de del di da do du le la las el em en a as al alle ore the of at on den der am um uhr om kl "
                    "klockan godz o в года г saat t")

#: Zone abbreviations, in minutes east of UTC (the US ones as feedparser has them).
_ZONES = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0, "wet": 0, "west": 60, "bst": 60, "cet": 60, "met": 60, "mez": 60,
    "cest": 120, "mest": 120, "mesz": 120, "eet": 120, "oez": 120, "eest": 180, "oesz": 180, "msk": 180,
    "мск": 180, "trt": 180, "brt": -180, "brst": -120, "art": -180, "clt": -240, "clst": -180,
    "est": -300, "edt": -240, "cst": -360, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
    "ast": -240, "adt": -180, "hkt": 480, "sgt": 480, "jst": 540, "kst": 540, "aest": 600, "aedt": 660,
    "nzst": 720, "nzdt": 780,
}

_LETTER = r"[^\W\d_]"
_TOKEN = re.compile(
    r"(?P<time>\d{1,2}(?::\d{2}(?::\d{2})?(?:[.,]\d+)?|h(?:\d{2})?(?!_L)))"  # 10:15, 10:15:00.5, 10h15, 10h
    r"|(?P<numeric>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})(?!\d)"  # 2018-09-24, 24.09.2018, 24/09/2018
    # -0300, +03:00, +3, GMT+3; a dash after a letter joins words ("segunda-feira", "24-set-2018")
    r"|(?P<offset>(?:(?<=gmt)|(?<=utc)|(?<!_L))[+-]\d{1,2}(?::?\d{2})?)(?!\d)"
    r"|(?P<meridiem>(?<!_L)[ap]\.?m\b\.?)"  # am, pm, a.m., p.m.
    r"|(?P<number>\d+)"
    r"|(?P<word>_L+)".replace("_L", _LETTER)
)
_TIME = re.compile(r"(\d{1,2})(?::(\d{2})(?::(\d{2}))?|h(\d{2})?)")
_NUMERIC = re.compile(r"(\d+)([./-])(\d+)\2(\d+)$")
_EARLIEST_YEAR = 1990  # a date before this is a placeholder or a misreading, not a story's date


def _fold(word: str) -> str:
    """Lower case without accents, as the tables are written: "Março" -> "marco", "Śr" -> "sr"."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower().replace("ı", "i").replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _prefixes(name: str, shortest: int) -> list[str]:
    return [name[:end] for end in range(min(shortest, len(name)), len(name) + 1)]


def _month_table() -> dict[str, int]:
    """Each month name and each of its prefixes of three letters or more, but a prefix two months share
    ("jui": juin, juillet)."""
    table: dict[str, int] = {}
    shared: set[str] = set()
    for line in _MONTH_NAMES.values():
        for month, name in enumerate(_fold(line).split(), start=1):
            for prefix in _prefixes(name, 3):
                if table.setdefault(prefix, month) != month:
                    shared.add(prefix)
    return {prefix: month for prefix, month in table.items() if prefix not in shared} | {
        _fold(name): month for name, month in _MONTH_OTHER.items()}


_MONTHS = _month_table()
_CONNECTORS = frozenset(_fold(_CONNECTOR_WORDS).split())
_DAYS = frozenset(
    prefix for line in _DAY_NAMES.values() for name in _fold(line).split() for prefix in _prefixes(name, 2)
) | frozenset(_fold(_DAY_OTHER).split())


def parse_date(text: str | None) -> time.struct_time | None:
    """The date in `text` as a UTC time tuple, or None when it cannot be read whole."""
    if not text or len(text) > 200:
        return None
    try:
        return _parse(_fold(text))
    except (ValueError, OverflowError):  # a day or hour out of range
        return None


def _parse(text: str) -> time.struct_time | None:
    tokens = [(match.lastgroup, match.group()) for match in _TOKEN.finditer(text)]
    months: list[tuple[int, int]] = []  # (token index, month) of words that can only be a month
    month_or_day: list[tuple[int, int]] = []  # "mar": March, or martes/mardi/martedì
    numbers: list[tuple[int, str]] = []  # (token index, digits)
    numeric: str | None = None
    clock: tuple[int, int, int] | None = None
    offset: int | None = None  # minutes east of UTC
    zone: int | None = None
    for index, (kind, value) in enumerate(tokens):
        if kind == "time":
            if clock is not None:
                return None
            clock = _clock(value)
        elif kind == "numeric":
            if numeric is not None:
                return None
            numeric = value
        elif kind == "offset":
            if offset is not None:
                return None
            offset = _offset(value)
        elif kind == "number":
            numbers.append((index, value))
        elif kind == "meridiem" and clock is not None and tokens[index - 1][0] == "time":
            if not 1 <= clock[0] <= 12:
                return None
            clock = (clock[0] % 12 + (12 if value[0] == "p" else 0), clock[1], clock[2])
        elif kind == "meridiem" and value != "am":  # German "am 24. September"
            return None
        elif value in _MONTHS:
            (month_or_day if value in _DAYS else months).append((index, _MONTHS[value]))
        elif value in _DAYS or value in _CONNECTORS:
            continue
        elif value in _ZONES:
            zone = _ZONES[value]
        elif clock is not None and index == len(tokens) - 1 and len(value) <= 5:
            zone = 0  # an abbreviation we do not know, where a zone goes: UTC, as feedparser reads one
        else:
            return None
    # One month name; "mar" is Tuesday beside another month, and a day name comes first ("mar, 25 mar 2018").
    if len(months) > 1:
        return None
    month = months[0] if months else month_or_day[-1] if month_or_day else None
    if numeric is not None:
        date = _numeric_date(numeric) if month is None and not numbers else None
    elif month is not None:
        date = _day_and_year(numbers, *month)
    else:
        return None
    if date is None:
        return None
    hour, minute, second = clock or (0, 0, 0)
    east = offset if offset is not None else zone or 0
    stamp = datetime(*date, hour, minute, second) - timedelta(minutes=east)
    return stamp.utctimetuple()


def _clock(value: str) -> tuple[int, int, int]:
    match = _TIME.match(value)
    assert match is not None  # the token matched the same pattern
    hour, minute, second, minute_after_h = match.groups()
    hour_, minute_, second_ = int(hour), int(minute or minute_after_h or 0), int(second or 0)
    if hour_ > 23 or minute_ > 59 or second_ > 60:
        raise ValueError(value)
    return hour_, minute_, min(second_, 59)  # a leap second reads as the second before it


def _offset(value: str) -> int:
    digits = value[1:].replace(":", "")
    hours, minutes = (int(digits), 0) if len(digits) <= 2 else (int(digits[:-2]), int(digits[-2:]))
    if hours > 14 or minutes > 59:
        raise ValueError(value)
    return (hours * 60 + minutes) * (-1 if value[0] == "-" else 1)


def _year(digits: str) -> int | None:
    if len(digits) == 4:
        year = int(digits)
    elif len(digits) == 2:  # feedparser's rule: 90-99 are the 1990s, the rest this century
        year = int(digits) + (1900 if int(digits) >= 90 else 2000)
    else:
        return None
    return year if year >= _EARLIEST_YEAR else None


def _day_and_year(numbers: list[tuple[int, str]], at: int, month: int) -> tuple[int, int, int] | None:
    """The day and the year beside the month name at token `at`: "24 set 2018", "September 24, 2018",
    "2018 sep 24"; with a two-digit year, "24 set 18" or "set 24 18"."""
    if len(numbers) != 2:
        return None
    (first_at, first), (second_at, second) = numbers
    if len(first) == 4:
        year_digits, day_digits = first, second
    elif len(second) == 4 or first_at < at < second_at or at < first_at:
        day_digits, year_digits = first, second
    else:
        return None
    year = _year(year_digits)
    if year is None or len(day_digits) > 2:
        return None
    return year, month, int(day_digits)


def _numeric_date(value: str) -> tuple[int, int, int] | None:
    """2018-09-24 and 2018/09/24; 24.09.2018, day first as wherever dots are written; 24/09/2018 or 09/24/2018
    only where the day is the one above 12 (or both are the same), since either order is in use."""
    match = _NUMERIC.match(value)
    if match is None:
        return None
    first, separator, middle, last = match.groups()
    if len(first) == 4 and len(middle) <= 2 and len(last) <= 2:
        year, month, day = int(first), int(middle), int(last)
    elif len(last) == 4 and len(first) <= 2 and len(middle) <= 2:
        a, b = int(first), int(middle)
        if separator == "." or a > 12 or a == b:
            day, month = a, b
        elif b > 12:
            month, day = a, b
        else:
            return None
        year = int(last)
    else:
        return None
    return (year, month, day) if year >= _EARLIEST_YEAR else None
