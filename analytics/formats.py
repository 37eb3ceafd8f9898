"""The values HR exports write, read as the data contract means them: dates in the common export
formats, amounts in any locale, ratings with words around the number.

A date column's format is found from all its values, never guessed: where every day could be a
month (all parts 12 or under) the caller is asked which it is; where the values use two formats
the file is refused with an example of each.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable

import numpy as np
import pandas as pd

from .errors import DateFormatProblem
from .policy import FIRST_YEAR, HIGH_DATE_YEAR, LAST_YEAR

# The formats a date column may be in, as people write them.
ISO, YMD, MDY, DMY, DOTTED, SERIAL, CELL = ("YYYY-MM-DD", "YYYY/MM/DD", "MM/DD/YYYY", "DD/MM/YYYY", "DD.MM.YYYY",
                                            "Excel serial number", "Excel date cell")
DAY_MONTH_CHOICES = (MDY, DMY)  # what a user is asked when a column cannot tell

_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
_PATTERNS = (
    (ISO, re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$")),
    (YMD, re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME + "$")),
    ("slash", re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})" + _TIME + "$")),
    (DOTTED, re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})" + _TIME + "$")),
    (SERIAL, re.compile(r"^(\d{5})(?:\.\d+)?$")),
)
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 in Excel's (Lotus-compatible) count


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
        elif family == DOTTED:
            found = {DOTTED: _calendar(c, b, a)}
        else:
            found = {MDY: _calendar(c, a, b), DMY: _calendar(c, b, a)}
        return family, found  # a reading of None: the right form, but no such day
    return None


@dataclass(frozen=True)
class DateColumn:
    """How one column's dates are read: its format, and a parser that applies it to a value."""

    format: str
    parse: Callable[[Any], pd.Timestamp | None]


def detect(values: list[Any], chosen: str | None = None) -> DateColumn:
    """The format of a column of non-empty values. `chosen` (MM/DD/YYYY or DD/MM/YYYY) settles a column
    whose days are all 12 or under. Raises DateFormatProblem for a mix or an unsettled column."""
    examples: dict[str, str] = {}
    orders = {MDY: False, DMY: False}  # which d/m/y orders some value can only be read in
    for value in values:
        found = _readings(value)
        if found is None or not any(found[1].values()):
            continue  # not a date in any form: that row is set aside, it says nothing of the format
        family, readings = found
        if family == "slash":
            valid = [order for order, day in readings.items() if day is not None]
            if len(valid) == 1:
                orders[valid[0]] = True
                examples.setdefault(valid[0], str(value).strip())
            else:
                examples.setdefault("slash", str(value).strip())
            continue
        examples.setdefault(family, str(value).strip())
    if orders[MDY] and orders[DMY]:
        raise DateFormatProblem(f"mixes {MDY} (e.g. {examples[MDY]!r}) and {DMY} (e.g. {examples[DMY]!r})")
    text_formats = [f for f in examples if f not in (CELL,)]
    slash = [f for f in text_formats if f in ("slash", MDY, DMY)]
    others = [f for f in text_formats if f not in ("slash", MDY, DMY)]
    if len(others) > 1 or (others and slash):
        shown = [*(others), *(slash[:1])]
        described = ", ".join(f"{_name(f)} (e.g. {examples[f]!r})" for f in shown)
        raise DateFormatProblem(f"mixes date formats: {described}")
    if slash:
        order = MDY if orders[MDY] else DMY if orders[DMY] else chosen
        if order is None:
            raise DateFormatProblem(f"cannot tell day from month: every value (e.g. {examples['slash']!r}) reads "
                                    f"as {MDY} and as {DMY}", ambiguous=True, examples=(examples["slash"],))
        return DateColumn(order, _parser(order))
    fmt = others[0] if others else CELL
    return DateColumn(fmt, _parser(fmt))


def _name(family: str) -> str:
    return f"{MDY} or {DMY}" if family == "slash" else family


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


# ---------------------------------------------------------------- amounts and ratings

_NUMBER = re.compile(r"[-+]?\d[\d.,'\s\u00a0\u202f]*")


def decimal_mark(values: list[Any]) -> str:
    """',' when the column's amounts are written the continental way (53.900,00 or 53 900,5), else '.'."""
    for value in values:
        if not isinstance(value, str):
            continue
        text = value.strip()
        if re.search(r"\d,\d{1,2}(?!\d)\D*$", text) or re.search(r"\d\.\d{3}(?:\.\d{3})*(?:,|\D*$)", text):
            if not re.search(r"\d,\d{3}(?!\d)", text) or re.search(r"\.\d{3},", text):
                return ","
    return "."


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
    """A rating's number, wherever it stands: '3 - Meets', '4/5', 'Exceeds (4)', '3.5'."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _finite(float(value), value)
    text = str(value).strip()
    m = re.search(r"[-+]?\d+(?:[.,]\d+)?", text)
    if not m:
        raise ValueError(f"{text!r} is not a number")
    return _finite(float(m.group(0).replace(",", ".")), value)


def _finite(x: float, value: Any) -> float:
    if not np.isfinite(x):
        raise ValueError(f"{value!r} is not a finite number")
    return x
