"""The values HR exports write, read as the data contract means them: dates in the common export
formats, amounts in any locale, ratings with words around the number, yes/no flags.

A date column's format is found from all its values, never guessed: where every day could be a
month (all parts 12 or under) the caller is asked which it is; where the values use two formats
the file is refused with an example of each.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable

import numpy as np
import pandas as pd

from analytics.common.errors import ColumnFormatProblem
from analytics.common.policy import FIRST_YEAR, HIGH_DATE_YEAR, LAST_YEAR
from analytics.intake import languages
from analytics.words.wording import INVISIBLE


# The formats a date column may be in, as people write them.
ISO, YMD, MDY, DMY, DOTTED, DOTTED_MDY, SERIAL, CELL = (
    "YYYY-MM-DD", "YYYY/MM/DD", "MM/DD/YYYY", "DD/MM/YYYY", "DD.MM.YYYY", "MM.DD.YYYY", "Excel serial number",
    "Excel date cell")
# Day and month in either order: the column's values decide; dotted dates are day-first unless they
# prove otherwise (the convention wherever dots are written), slashed ones are asked about.
ORDERS = {"slash": (MDY, DMY), "dotted": (DOTTED_MDY, DOTTED)}
DAY_MONTH_CHOICES = (MDY, DMY)  # what a user is asked when a column cannot tell

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
_PATTERNS = (
    (ISO, re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$")),
    (YMD, re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME + "$")),
    ("slash", re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})" + _TIME + "$")),
    ("dotted", re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME + "$")),
    (SERIAL, re.compile(r"^(\d{5})(?:\.\d+)?$")),
)
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 in Excel's (Lotus-compatible) count
# Dates with the month in words, in any language languages.MONTHS knows: "Mar 5, 2021", "March 5th 2021" (month
# first); "5 March 2021", "05-Mar-2021", "5. März 2021", "1er mars 2021", "5 de marzo de 2021" (day first). The
# month's name says which part is the day: nothing is asked.
MONTH_WORD_FIRST, DAY_WORD_FIRST = "Mon D, YYYY", "D Mon YYYY"
_WORD_TIME = r"(?:,?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?)?"
_WORD_PATTERNS = (
    (MONTH_WORD_FIRST, re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _WORD_TIME + "$")),
    (DAY_WORD_FIRST, re.compile(r"^(\d{1,2})(?:\.|st|nd|rd|th|er|o)?\s*(?:de\s+)?([a-z]+)\.?,?\s*(?:de\s+|del\s+)?(\d{4})"
                                + _WORD_TIME + "$")),
)


def _calendar(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _readings(value: Any) -> tuple[str, dict[str, date]] | None:
    """The family a value's form belongs to and the dates it can be (one per order for d/m/y)."""
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return CELL, {CELL: date(value.year, value.month, value.day)}  # the calendar day as written
    if isinstance(value, np.datetime64):
        day = pd.Timestamp(value).date()
        return CELL, {CELL: day}
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        text = str(int(value)) if float(value).is_integer() else str(value)
    else:
        text = str(value).strip()
    return _text_readings(text)


@functools.lru_cache(maxsize=1 << 16)  # an export repeats its dates: read each distinct text once
def _text_readings(text: str) -> tuple[str, dict[str, date | None]] | None:
    for family, pattern in _PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        if family == SERIAL:
            return SERIAL, {SERIAL: EXCEL_EPOCH + timedelta(days=int(m.group(1)))}
        a, b, c = (int(g) for g in m.groups()[:3])
        if family in (ISO, YMD):
            found = {family: _calendar(a, b, c)}
        else:
            month_first, day_first = ORDERS[family]
            found = {month_first: _calendar(c, a, b), day_first: _calendar(c, b, a)}
        return family, found  # a reading of None: the right form, but no such day
    if any(c.isalpha() for c in text):
        return _word_readings(text)
    return None


def _word_readings(text: str) -> tuple[str, dict[str, date | None]] | None:
    """A date with its month in words (MONTH_WORD_FIRST, DAY_WORD_FIRST), or None."""
    words = " ".join(re.sub(r"(?<=[a-z])[-/]|[-/](?=[a-z])", " ", languages.plain(text).replace("’", "")).split())
    for family, pattern in _WORD_PATTERNS:
        m = pattern.match(words)
        if m:
            first, second, year = m.groups()[:3]
            day, name = (second, first) if family == MONTH_WORD_FIRST else (first, second)
            month = languages.month_of(name)
            if month is None:
                return None  # a word that is no month: not a date
            return family, {family: _calendar(int(year), month, int(day))}
    return None


@dataclass(frozen=True)
class DateColumn:
    """How one column's dates are read: its format, and a parser that applies it to a value."""

    format: str
    parse: Callable[[Any], pd.Timestamp | None]


def detect(values: list[Any], chosen: str | None = None) -> DateColumn:
    """The format of a column of non-empty values. `chosen` (MM/DD/YYYY or DD/MM/YYYY) settles a slashed
    column whose days are all 12 or under. Raises ColumnFormatProblem for a mix or an unsettled column."""
    examples: dict[str, str] = {}
    proven: dict[str, str] = {}  # order -> a value only that order can read
    for value in values:
        found = _readings(value)
        if found is None or not any(found[1].values()):
            continue  # not a date in any form: that row is set aside, it says nothing of the format
        family, readings = found
        examples.setdefault(family, str(value).strip())
        if family in ORDERS:
            valid = [order for order, day in readings.items() if day is not None]
            if len(valid) == 1:
                proven.setdefault(valid[0], str(value).strip())
    families = [f for f in examples if f != CELL]
    if len(families) > 1:
        described = ", ".join(f"{_name(f, proven)} (e.g. {examples[f]!r})" for f in families)
        raise ColumnFormatProblem(f"mixes date formats: {described}")
    family = families[0] if families else CELL
    if family not in ORDERS:
        return DateColumn(family, _parser(family))
    month_first, day_first = ORDERS[family]
    if month_first in proven and day_first in proven:
        raise ColumnFormatProblem(f"mixes {month_first} (e.g. {proven[month_first]!r}) and {day_first} "
                                f"(e.g. {proven[day_first]!r})")
    order = next((o for o in (month_first, day_first) if o in proven), None)
    if order is None and family == "dotted":
        order = day_first
    if order is None and chosen is not None:
        order = month_first if chosen == MDY else day_first
    if order is None:
        raise ColumnFormatProblem(f"cannot tell day from month: every value (e.g. {examples[family]!r}) reads "
                                f"as {MDY} and as {DMY}", ambiguous=True, examples=(examples[family],))
    return DateColumn(order, _parser(order))


def _name(family: str, proven: dict[str, str]) -> str:
    """A format as people know it: the proven order of a day/month family, else both."""
    if family not in ORDERS:
        return family
    known = [order for order in ORDERS[family] if order in proven]
    return known[0] if len(known) == 1 else " or ".join(ORDERS[family])


def _parser(fmt: str) -> Callable[[Any], pd.Timestamp | None]:
    expected = ISO if fmt == CELL else fmt

    def parse(value: Any) -> pd.Timestamp | None:
        found = _readings(value)
        family = None if found is None else found[0]
        key = CELL if family == CELL else ISO if (fmt == CELL and family == ISO) else fmt
        if found is None or key not in found[1]:
            raise ValueError(f"{str(value).strip()!r} is not a date in {expected} form")
        if found[1][key] is None:
            raise ValueError(f"{str(value).strip()!r} is not a real calendar date")
        return _plausible(found[1][key])
    return parse


@functools.lru_cache(maxsize=1 << 16)
def _plausible(day: date) -> pd.Timestamp | None:
    if day.year == HIGH_DATE_YEAR:  # what many HR systems write for "no end date yet"
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day.isoformat()} is not a plausible date (years {FIRST_YEAR}-{LAST_YEAR})")
    return pd.Timestamp(day)


_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# A right-to-left override shows the letters after it (to its pop, or the end) in reverse order.
_OVERRIDE = re.compile("\u202e([^\u202a-\u202e\u2066-\u2069]*)(?:\u202c|$)")


def _as_displayed(m: re.Match) -> str:
    span = m.group(1)
    if any(unicodedata.bidirectional(c) in ("R", "AL") for c in span):
        return span  # right-to-left letters show right to left with or without the override
    return span[::-1]


def as_shown(text: str) -> str:
    """Text as a reader sees it, so that values that look alike are one value: a right-to-left override's letters in
    the order they show ('\u202eselaS' shows, and is read, as 'Sales'), invisible characters (INVISIBLE) taken out
    ('Sa\u200bles' is 'Sales'), then Unicode's compatibility form NFKC (full-width 'Ｓａｌｅｓ' and the ligature in
    'ﬁnance' read as 'Sales' and 'finance'; a no-break space as a space)."""
    if text.isascii():
        return text
    if "\u202e" in text:
        text = _OVERRIDE.sub(_as_displayed, text)
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))


# ---------------------------------------------------------------- amounts and ratings

_NUMBER = re.compile(r"[-+]?\d[\d.,'\s\u00a0\u202f]*")


_COMMA_DECIMAL = re.compile(r"[-+]?\d{1,3}(?:\.\d{3})+(?:,\d+)?|[-+]?\d+,\d{1,2}")    # 53.900,00  53,9
_DOT_DECIMAL = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[-+]?\d+\.\d{1,2}|[-+]?\d{4,}\.\d+")  # 53,900.5
_SIGNS = {"$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}


def amount_format(values: list[Any]) -> str:
    """The decimal mark of a column of amounts, from all its values: ',' when they are written the
    continental way (53.900,00), '.' otherwise. A column written both ways, or in two currencies,
    raises ColumnFormatProblem (an amount column, here) with an example of each."""
    seen, currencies = _marks(values)
    if len(seen) > 1:
        raise ColumnFormatProblem(f"mixes number formats: {seen['.']!r} and {seen[',']!r} (which is the decimal "
                                "mark?): write every amount the same way")
    if len(currencies) > 1:
        shown = " and ".join(f"{v!r}" for v in list(currencies.values())[:3])
        raise ColumnFormatProblem(f"mixes currencies ({shown}): convert the amounts to one currency, or leave the "
                                "column out")
    return next(iter(seen), ".")


def amount_currency(values: list[Any]) -> str | None:
    """The currency a column of amounts is written in ('EUR' for '53.900,00 €', 'USD' for a dollar sign, a code as
    written), or None when no value carries a sign or a code (the first found, if amount_format allowed two)."""
    return next(iter(_marks(values)[1]), None)


def _marks(values: list[Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The decimal marks and the currencies a column of amounts is written with, each with its first example."""
    seen: dict[str, str] = {}
    currencies: dict[str, str] = {}
    for value in values:
        if not isinstance(value, str):
            continue
        text = value.strip()
        m = _NUMBER.search(text)
        if not m:
            continue
        digits = re.sub(r"[\s\u00a0\u202f']", "", m.group(0)).rstrip(".,")
        if _COMMA_DECIMAL.fullmatch(digits):
            seen.setdefault(",", text)
        elif _DOT_DECIMAL.fullmatch(digits):
            seen.setdefault(".", text)
        sign = re.sub(r"[\s\d.,'\u00a0\u202f+-]", "", text).upper()
        if sign:
            currencies.setdefault(_SIGNS.get(sign, sign), text)
    return seen, currencies


_CURRENCY = re.compile(r"^(?:[A-Za-z]{3}|[A-Za-z]{0,2}[$€£¥₹])?$")  # EUR, $, US$, €: a sign or a code


def amount(value: Any, decimal: str = ".") -> float:
    """An amount as written: 'USD 53,900', '53.900,00', '53 900 €', 'EUR 53900', '1e5', 53900.0."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _finite(float(value), value)
    text = str(value).strip()
    if decimal == ".":
        try:
            return _finite(float(text), value)
        except ValueError:
            pass
    m = _NUMBER.search(text)
    rest = re.sub(r"\s", "", _NUMBER.sub("", text, count=1)) if m else text
    if not m or not _CURRENCY.match(rest):
        raise ValueError(f"{text!r} is not a number")  # words or a second number around it: not an amount
    digits = re.sub(r"[\s\u00a0\u202f']", "", m.group(0)).rstrip(".,")
    group = "." if decimal == "," else ","
    digits = digits.replace(group, "")
    if decimal == ",":
        digits = digits.replace(",", ".")
    try:
        return _finite(float(digits), value)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def rating(value: Any) -> float:
    """A rating's number, wherever it stands: '3 - Meets', '4/5', 'Exceeds (4)', 'FY23: 4', '3.5'. The
    number is the first from 0 to 10 that is not a percentage (a year or a score out of 100 is not a rating)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _finite(float(value), value)
    text = str(value).strip()
    for m in re.finditer(r"(?<![\d.,])[-+]?\d+(?:[.,]\d+)?(?![\d.,]*\s*%)", text):
        x = float(m.group(0).replace(",", "."))
        if 0 <= x <= 10 and not re.match(r"\d", text[m.end():m.end() + 1] or " "):
            return _finite(x, value)
    if re.search(r"\d", text):
        raise ValueError(f"{text!r} has no rating from 0 to 10 in it")
    raise ValueError(f"{text!r} is not a number")


def _finite(x: float, value: Any) -> float:
    if not np.isfinite(x):
        raise ValueError(f"{value!r} is not a finite number")
    return x


# A yes/no field as HR systems write it (Workday's "Regrettable Termination": Yes/No; others true/false, Y/N, 1/0, or
# the field's own word), case, spaces and dashes aside.
FLAG_WORDS = {**dict.fromkeys(("yes", "y", "true", "t", "1", "1.0", "regrettable", "regretted"), True),
              **dict.fromkeys(("no", "n", "false", "f", "0", "0.0", "not regrettable", "non regrettable", "nonregrettable",
                               "not regretted", "non regretted", "nonregretted", "unregretted"), False),
              **dict.fromkeys(map(languages.plain, languages.YES), True),  # Ja, oui, sí, sim, wahr, ...
              **dict.fromkeys(map(languages.plain, languages.NO), False)}


def flag(value: Any) -> bool:
    """A yes/no cell: 'Yes', 'no', 'TRUE', 'Y', '1', 0, a workbook's or a database's TRUE; anything else is no answer."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return bool(value)
    text = languages.plain(value)
    if text in FLAG_WORDS:
        return FLAG_WORDS[text]
    raise ValueError(f"{str(value).strip()!r} is not yes or no (Yes/No, True/False, Y/N or 1/0)")
