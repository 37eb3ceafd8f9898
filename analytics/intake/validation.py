"""Check every row against the data contract, before anything touches the store.

Row-level problems set the row aside in a rejects frame with its row number (the header is row 1, as a
spreadsheet shows it) and the reason, so nothing the user gave is lost. Reasons and programmes are read through
their vocabularies.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from analytics.common.errors import ColumnFormatProblem, InputFileError
from analytics.common.policy import FIRST_YEAR, LAST_YEAR, MAX_MEETINGS, MAX_SALARY, MIN_BAD_CELLS_FOR_BAD_COLUMN
from analytics.intake import formats
from analytics.intake.headers import SourceTable
from analytics.intake.reading import REJECT_COLUMNS, distinct_cells, is_empty
from analytics.intake.schema import (CHANGE_REASONS, EMPLOYEES, MENTORSHIPS, PROGRAM_MEANINGS, TERMINATION_REASONS,
                                     UNCLEAR, TableSpec, map_program, map_reason)
from analytics.words.loading import map_hint


@dataclass
class ValidatedTable:
    name: str
    file: str
    frame: pd.DataFrame
    rejects: pd.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)


def _text(v: Any) -> str | None:
    return None if is_empty(v) else _text_of(v)


def _text_of(v: Any) -> str:
    """A non-empty cell as text: an id given as a whole number (1001.0) reads as '1001'."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


_WHOLE_WITH_ZEROS = re.compile(r"^(\d+)\.0+$")


def _id_of(v: Any) -> str:
    """An id: '1001.0' (a spreadsheet's whole number written as a decimal) reads as '1001'."""
    text = _text_of(v)
    whole = _WHOLE_WITH_ZEROS.match(text)
    return whole.group(1) if whole else text


def _number(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError(f"{v!r} is not a number")
    try:
        x = float(str(v).strip()) if isinstance(v, str) else float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{str(v).strip()!r} is not a number") from None
    if not np.isfinite(x):
        raise ValueError(f"{v!r} is not a finite number")
    return x


def _integer(v: Any) -> int:
    x = _number(v)
    if not x.is_integer():
        raise ValueError(f"{v!r} is not a whole number")
    return int(x)


KIND_WORDS = {"date": "date", "amount": "number", "rating": "number", "integer": "whole number", "flag": "yes or no"}


def _column_parser(values: list[Any], kind: str, date_format: str | None) -> tuple[Callable[[Any], Any], str | None]:
    """How a column's values are read, from all of them (a date format, an amount's decimal mark)."""
    if kind == "date":
        column = formats.detect(values, date_format)
        return column.parse, column.format
    if kind == "amount":
        mark = formats.amount_format(values)
        return (lambda v: formats.amount(v, mark)), None
    if kind == "rating":
        return formats.rating, None
    if kind == "integer":
        return _integer, None
    if kind == "flag":
        return formats.flag, None
    if kind == "id":
        return _id_of, None
    return _text_of, None


@dataclass
class _Column:
    """A parsed column: for each row an index into `values` (-1: no value, as for an empty or bad cell)."""
    codes: np.ndarray
    values: list[Any]

    def __getitem__(self, i: int) -> Any:
        code = self.codes[i]
        return None if code < 0 else self.values[code]

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def empty(cls, n: int) -> "_Column":
        return cls(np.full(n, -1, dtype=np.int64), [])

    def has(self) -> np.ndarray:
        """Which rows have a value."""
        return self.codes >= 0

    def rows(self, per_value: np.ndarray, missing: Any) -> np.ndarray:
        """An array over the distinct values (one entry each) spread over the rows, `missing` where no value."""
        return np.append(per_value, np.asarray([missing], dtype=per_value.dtype))[self.codes]

    def same(self) -> np.ndarray:
        """For each row a number that two rows share when their values are equal (-1: no value)."""
        alike = pd.factorize(_objects(self.values)[:-1])[0]
        return self.rows(alike.astype(np.int64), -1)

    def map_values(self, func: Callable[[Any], Any]) -> "_Column":
        values = [func(v) for v in self.values]
        none = np.array([v is None for v in values], dtype=bool)
        return _Column(np.where(self.rows(none, True), -1, self.codes), values)


def _parse_column(values: np.ndarray, kind: str, date_format: str | None
                  ) -> tuple[_Column, np.ndarray, np.ndarray, list[str | None], str | None, list[tuple[str, str, int]]]:
    """The parsed column, whether each row has a cell, each row's distinct cell, that cell's error message
    (None: read), the format found and the cells read as they show ((as written, as read, rows): see
    _cells_as_shown); each distinct cell is read once, in order of its first row (so the format is found from
    the same values in the same order as from every row)."""
    distinct = distinct_cells(values)
    codes, cells = distinct if distinct is not None else (np.arange(len(values)), values)
    cells, changed = _cells_as_shown(cells, codes)
    blank = np.fromiter(map(is_empty, cells), dtype=bool, count=len(cells))
    filled = ~np.append(blank, True)[codes]
    parse, fmt = _column_parser([v for v, b in zip(cells, blank) if not b], kind, date_format)
    out: list[Any] = [None] * len(cells)
    errors: list[str | None] = [None] * len(cells)
    for k in np.flatnonzero(~blank).tolist():
        try:
            out[k] = parse(cells[k])
        except ValueError as exc:
            errors[k] = str(exc)
    read = np.array([v is not None for v in out], dtype=bool)
    column = _Column(np.where(np.append(read, False)[codes], codes, -1).astype(np.int64), out)
    return column, filled, codes, errors, fmt, changed


def _cells_as_shown(cells: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, list[tuple[str, str, int]]]:
    """The distinct cells with their text as it shows (formats.as_shown: 'Sa\u200bles' and '\u202eselaS' are
    'Sales'), and those changed other than in their spaces (as written, as read, rows), for the warning. Text
    all in ASCII, as most columns are, is left as it is at the cost of one pass."""
    try:
        if "".join(cells).isascii():
            return cells, []
    except TypeError:  # numbers or dates among the cells (a workbook's, Parquet's)
        pass
    out = np.array(cells, dtype=object)  # a copy: the cells may be the file's own
    changed: list[tuple[str, str, int]] = []
    counts = None
    for k, v in enumerate(cells):
        if isinstance(v, str) and not v.isascii():
            shown = formats.as_shown(v)
            if shown != v:
                out[k] = shown
                if _SPACES.sub(" ", v) != shown:  # a no-break space read as a space is no news
                    counts = np.bincount(codes[codes >= 0], minlength=len(cells)) if counts is None else counts
                    changed.append((v, shown, int(counts[k])))
    return out, changed


_SPACES = re.compile(r"\s")


def _parse_table(src: SourceTable, spec: TableSpec, date_format: str | None = None
                 ) -> tuple[dict[str, _Column], dict[int, tuple[str | None, str]], dict[str, str],
                            dict[str, list[tuple[str, str, int]]]]:
    """Parse every contract column; whole-column problems are file-level, all reported at once. Also the cells
    read as they show, by the header they are under (see _cells_as_shown)."""
    parsed: dict[str, _Column] = {}
    as_shown: dict[str, list[tuple[str, str, int]]] = {}
    problems: dict[int, tuple[str | None, str]] = {}
    column_problems: list[tuple[str | None, int | None, str]] = list(src.header_problems)  # its headers' first
    ambiguous: list[str] = []
    date_formats: dict[str, str] = {}
    for col in src.frame.columns:
        kind = spec.column(col).kind
        values = src.frame[col].to_numpy(dtype=object)
        # a column's problem names it by the user's header, and says which of the contract's columns it was read as
        header = src.header_map.get(col, col)
        read_as = "" if header == col else f"read as {col}; "
        try:
            column, filled, codes, errors, fmt, changed = _parse_column(values, kind, date_format)
        except ColumnFormatProblem as exc:  # also an amount column in two number formats or currencies
            column_problems.append((header, None, read_as + str(exc)))
            if exc.ambiguous:
                ambiguous.append(header)
            continue
        if changed:
            as_shown[src.header_map.get(col, col)] = changed
        if fmt and filled.any():
            date_formats[col] = fmt
        bad = np.array([e is not None for e in errors] + [False], dtype=bool)[codes] & filled
        bad_rows = np.flatnonzero(bad).tolist()
        non_empty = int(column.has().sum()) + len(bad_rows)
        if non_empty == 0 and spec.column(col).required and len(values):
            column_problems.append((header, None, f"{read_as}required column has no values"))
        elif bad_rows and len(bad_rows) == non_empty >= MIN_BAD_CELLS_FOR_BAD_COLUMN:
            pos = bad_rows[0]
            hint = (f"; {map_hint(src.file, spec.name, col)}" if spec.column(col).required else
                    f"; if this is not the {col} column, choose '(not in this file)' for it under 'Columns of "
                    f"{src.file}' on the Data page (CLI: --map {spec.name}.{col}=)")
            column_problems.append((header, src.row_number(pos), f"{read_as}no value in this column is a valid "
                                                                 f"{KIND_WORDS.get(kind, kind)}, e.g. {errors[codes[pos]]}{hint}"))
        parsed[col] = column
        for pos in bad_rows:
            problems.setdefault(pos, (col, errors[codes[pos]]))
    if column_problems:
        raise InputFileError.all_of(src.file, column_problems, ambiguous_dates=tuple(ambiguous))
    for pos, why in src.row_problems.items():  # a row the reader could not line up with the header
        problems[pos] = (None, why)
    return parsed, problems, date_formats, as_shown


# What a set-aside row keeps of what the user gave: the columns that say whose row it is and the one
# to fix, not the rest (salary, rating, reasons stay out of a file people download to fix rows).
IDENTIFYING = {"employees": ("employee_id",), "mentorships": ("mentee_id", "mentor_id", "start_date"),
               "job_history": ("employee_id", "effective_date")}


def _reject_frame(src: SourceTable, table: str, problems: Mapping[int, tuple[str, str]]) -> pd.DataFrame:
    rows = []
    columns = list(src.raw.columns)
    cells = None  # a frame of cells as read (not typed): each column's own values, without a row's copy
    if problems and all(dtype == object for dtype in src.raw.dtypes):
        cells = [src.raw.iloc[:, j].to_numpy() for j in range(len(columns))]
    for pos in sorted(problems):
        col, reason = problems[pos]
        needed = [src.header_map[c] for c in (*IDENTIFYING[table], col) if c in src.header_map]
        row = src.raw.iloc[pos].items() if cells is None else ((k, cells[j][pos]) for j, k in enumerate(columns))
        raw = {k: (None if is_empty(v) else str(v)) for k, v in row if k in needed}
        rows.append((table, src.file, src.row_number(pos), col, f"{col}: {reason}" if col else reason,
                     json.dumps(raw, default=str)))
    return pd.DataFrame(rows, columns=REJECT_COLUMNS)


def _empty_check(src: SourceTable, allow_empty: bool) -> None:
    if len(src.frame) == 0 and not allow_empty:  # said with its headers' problems, if it has any
        raise InputFileError.all_of(src.file, [*src.header_problems, (None, None, "has a header but no data rows")])


# ---------------------------------------------------------------- the two tables

@dataclass(frozen=True)
class ReadOptions:
    """What a user tells the reader that the files cannot: a day/month order for dates that cannot tell
    (MM/DD/YYYY or DD/MM/YYYY), and what each termination reason, programme type and job change reason means."""
    date_format: str | None = None
    reason_map: Mapping[str, str] = field(default_factory=dict)
    program_map: Mapping[str, str] = field(default_factory=dict)
    change_map: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.date_format not in (None, *formats.DAY_MONTH_CHOICES):
            raise InputFileError("--date-format", f"must be one of {formats.DAY_MONTH_CHOICES}, "
                                                  f"but was {self.date_format!r}")
        for name, mapping, allowed in (("termination reason", self.reason_map, TERMINATION_REASONS),
                                       ("programme type", self.program_map, PROGRAM_MEANINGS),
                                       ("change reason", self.change_map, CHANGE_REASONS)):
            bad = {k: v for k, v in mapping.items() if v not in allowed}
            if bad:
                value, meaning = next(iter(bad.items()))
                raise InputFileError("mapping", f"the {name} {value!r} must mean one of {allowed}, "
                                                f"but was {meaning!r}")


def _vocabulary(column: "_Column", keep: np.ndarray, rule: Callable[[str], str], chosen: Mapping[str, str]
                ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Each kept row's meaning (the user's, else the keyword rule's) and the table of distinct wordings
    (one row per wording whatever its case or spacing, shown as most often written)."""
    chosen = {wording_key(k): m for k, m in chosen.items()}
    alike, texts = pd.factorize(_objects(column.values)[:-1])
    rows = column.rows(alike.astype(np.int64), -1)[keep]
    present = rows[rows >= 0]
    seen, first = np.unique(present, return_index=True)
    count = np.bincount(present, minlength=len(texts))
    counts = {texts[k]: int(count[k]) for k in seen[np.argsort(first)].tolist()}  # in order of first row
    spellings: dict[str, Counter] = {}
    for v, c in counts.items():
        spellings.setdefault(wording_key(v), Counter())[v] += c
    ruled = {key: rule(key) for key in spellings if key not in chosen}
    # a wording whose meaning the rules cannot tell (a mutual agreement) is "other" until the user says: asked about
    meaning = {key: chosen.get(key) or ("other" if ruled[key] == UNCLEAR else ruled[key]) for key in spellings}
    table = [{"given": spelled.most_common(1)[0][0], "mapped_to": meaning[key], "rows": sum(spelled.values()),
              "by": "you" if key in chosen else "asked" if ruled[key] == UNCLEAR else "rule"}
             for key, spelled in sorted(spellings.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))]
    return _objects([meaning[wording_key(t)] if t in counts else None for t in texts])[rows], table


def wording_key(value: str) -> str:
    return " ".join(formats.as_shown(str(value)).lower().split())


def _first_row_of(key: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For every row, the first of `rows` (positions, ascending) with the same key (-1: none, or no key)."""
    out = np.full(len(key), -1, dtype=np.int64)
    rows = rows[key[rows] >= 0]
    if len(rows):
        keys, at = np.unique(key[rows], return_index=True)  # the first of each key among the rows
        firsts = np.full(int(key.max()) + 1, -1, dtype=np.int64)
        firsts[keys] = rows[at]
        out[key >= 0] = firsts[key[key >= 0]]
    return out


def _combined(*numbers: np.ndarray) -> np.ndarray:
    """One number per row for a combination of per-row numbers (each -1 or more), equal where all are."""
    key = np.zeros(len(numbers[0]), dtype=np.int64)
    for part in numbers:
        key = pd.factorize(key * (int(part.max(initial=-1)) + 2) + (part + 1))[0].astype(np.int64)
    return key


def _dates(column: "_Column") -> np.ndarray:
    """Each row's day as datetime64[ns] (NaT: none)."""
    return column.rows(_days(column.values), np.datetime64("NaT", "ns"))


def _days(values: list[Any]) -> np.ndarray:
    nat = np.datetime64("NaT", "ns").astype(np.int64)
    return np.array([nat if v is None else v.value for v in values], dtype=np.int64).view("datetime64[ns]")


def _numbers(column: "_Column") -> np.ndarray:
    """Each row's number as a float (NaN: none); whole numbers compare as their value does."""
    return column.rows(np.array([np.nan if v is None else float(v) for v in column.values], dtype=float), np.nan)


def _objects(values: list[Any]) -> np.ndarray:
    """The values and a last None, as a one-dimensional object array (index -1: None)."""
    out = np.empty(len(values) + 1, dtype=object)
    out[:-1] = values
    return out


def _in(column: "_Column", known: Any) -> np.ndarray:
    """Whether each row's value is in `known` (a set or dict); False where there is none."""
    return column.rows(np.array([v in known for v in column.values], dtype=bool), False)


def _first_problem(rules: list[tuple[np.ndarray, Callable[[int], tuple[str, str]]]], among: np.ndarray,
                   problems: dict[int, tuple[str | None, str]]) -> None:
    """Set aside each row of `among` that breaks a rule, with the first rule it breaks (rules in order),
    in row order."""
    broken = np.zeros(len(among), dtype=bool)
    for mask, _ in rules:
        broken |= mask
    for i in np.flatnonzero(among & broken).tolist():
        problems[i] = next(why(i) for mask, why in rules if mask[i])


def validate_employees(src: SourceTable, options: ReadOptions = ReadOptions()) -> ValidatedTable:
    _empty_check(src, allow_empty=False)
    parsed, problems, date_formats, as_shown = _parse_table(src, EMPLOYEES, options.date_format)
    n = len(src.frame)
    ids = parsed["employee_id"]
    hire = parsed["hire_date"]
    term = parsed.get("termination_date", _Column.empty(n))
    reasons_in = parsed.get("termination_reason", _Column.empty(n))
    if "salary" in parsed:  # a salary of 0 is an export's way of saying "not recorded"
        parsed["salary"] = parsed["salary"].map_values(lambda v: None if v == 0 else v)
    salary = _numbers(parsed["salary"]) if "salary" in parsed else np.full(n, np.nan)
    birth = _numbers(parsed["birth_year"]) if "birth_year" in parsed else np.full(n, np.nan)
    hire_day, term_day = _dates(hire), _dates(term)
    # Each rule over every row at once; a row is set aside with the first rule it breaks. A repeated id is
    # checked against the rows kept before it: the first row of the id that breaks none of the later rules.
    open_rows = np.ones(n, dtype=bool)
    open_rows[list(problems)] = False
    no_id, no_hire = ~ids.has(), ids.has() & ~hire.has()
    own = [(term.has() & hire.has() & (term_day < hire_day),
            lambda i: ("termination_date", f"{term[i].date()} is before hire_date {hire[i].date()}")),
           (reasons_in.has() & ~term.has(),
            lambda i: ("termination_reason", f"{reasons_in[i]!r} given but termination_date is empty")),
           (salary < 0, lambda i: ("salary", f"{parsed['salary'][i]:g} is not a positive amount")),
           (salary > MAX_SALARY, lambda i: ("salary", f"{parsed['salary'][i]:g} is not a plausible annual salary")),
           (~np.isnan(birth) & ~((FIRST_YEAR <= birth) & (birth <= LAST_YEAR)),
            lambda i: ("birth_year", f"{parsed['birth_year'][i]} is not a plausible birth year"))]
    candidates = open_rows & ~no_id & ~no_hire
    good = candidates.copy()
    for mask, _ in own:
        good &= ~mask
    first = np.where(candidates, _first_row_of(ids.same(), np.flatnonzero(good)), -1)
    duplicate = candidates & (first >= 0) & (first < np.arange(n))
    _first_problem([(no_id, lambda i: ("employee_id", "required value is empty")),
                    (no_hire, lambda i: ("hire_date", "required value is empty")),
                    (duplicate, lambda i: ("employee_id", f"duplicate id {ids[i]!r} (first on row "
                                                          f"{src.row_number(int(first[i]))})")),
                    *own], open_rows, problems)
    kept = np.ones(n, dtype=bool)
    kept[list(problems)] = False
    keep = np.flatnonzero(kept)
    if not len(keep):  # loading would empty the dashboard: refuse, as for a file-level problem
        first_bad = min(problems)
        column, why = problems[first_bad]
        raise InputFileError(src.file, f"every row would be set aside, e.g. {f'{column}: ' if column else ''}{why}",
                             column=column, row=src.row_number(first_bad))
    frame = kept_or_made(parsed, keep, EMPLOYEES)
    mapping: list[dict[str, Any]] = []
    if "termination_reason" in parsed:
        mapped, mapping = _vocabulary(reasons_in, keep, map_reason, options.reason_map)
        frame["termination_reason"] = pd.Series(mapped, dtype=object)
    notes = {"reason_mapping": mapping, "ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "header_row": src.header_row, "date_formats": date_formats, "sheet": src.sheet,
             "other_sheets": src.other_sheets, "sheet_found": src.sheet_found, "totals_rows": src.totals_rows,
             "as_shown": _as_shown_note(src, as_shown), "salary_currency": _currency(src, "salary"), "rejected_ids": {ids[i]: src.row_number(i) for i in problems if ids[i] is not None}}
    return ValidatedTable("employees", src.file, frame, _reject_frame(src, "employees", problems), notes)


def validate_mentorships(src: SourceTable, employees: ValidatedTable,
                         options: ReadOptions = ReadOptions()) -> ValidatedTable:
    _empty_check(src, allow_empty=True)
    parsed, problems, date_formats, as_shown = _parse_table(src, MENTORSHIPS, options.date_format)
    n = len(src.frame)
    known = set(employees.frame["employee_id"])
    set_aside = employees.notes.get("rejected_ids", {})
    mentee, start = parsed["mentee_id"], parsed["start_date"]
    mentor = parsed.get("mentor_id", _Column.empty(n))
    end = parsed.get("end_date", _Column.empty(n))
    programs_in = parsed.get("program_type", _Column.empty(n))
    meetings = parsed.get("meetings", _Column.empty(n))
    open_rows = np.ones(n, dtype=bool)
    open_rows[list(problems)] = False
    is_known = _in(mentee, known)
    people = _Column(np.r_[mentee.codes, np.where(mentor.codes >= 0, mentor.codes + len(mentee.values), -1)],
                     mentee.values + mentor.values).same()  # mentees and mentors numbered alike
    mentee_no, mentor_no = people[:n], people[n:]
    count = _numbers(meetings)
    rules = [(~mentee.has(), lambda i: ("mentee_id", "required value is empty")),
             (mentee.has() & ~start.has(), lambda i: ("start_date", "required value is empty")),
             (_in(mentee, set_aside) & ~is_known,  # a duplicate id keeps its first row
              lambda i: ("mentee_id", f"{mentee[i]!r} was set aside in employees (row {set_aside[mentee[i]]})")),
             (mentee.has() & ~is_known, lambda i: ("mentee_id", f"{mentee[i]!r} is not in employees")),
             (mentor.has() & (mentor_no == mentee_no), lambda i: ("mentor_id", "mentor and mentee are the same person")),
             (end.has() & start.has() & (_dates(end) < _dates(start)),
              lambda i: ("end_date", f"{end[i].date()} is before start_date {start[i].date()}")),
             (count < 0, lambda i: ("meetings", f"{meetings[i]} is negative")),
             (count > MAX_MEETINGS, lambda i: ("meetings", f"{meetings[i]} is not a plausible number of meetings"))]
    passing = open_rows.copy()
    for mask, _ in rules:
        passing &= ~mask
    # the same mentee, mentor and start as a row kept before: its first row that broke no other rule
    key = _combined(mentee_no, mentor_no, start.same())
    first = _first_row_of(key, np.flatnonzero(passing))
    duplicate = passing & (first >= 0) & (first < np.arange(n))
    rules.append((duplicate, lambda i: ("mentee_id", f"duplicate of row {src.row_number(int(first[i]))} (same mentee, "
                                                     "mentor and start_date)")))
    _first_problem(rules, open_rows, problems)
    kept = np.ones(n, dtype=bool)
    kept[list(problems)] = False
    keep = np.flatnonzero(kept)
    frame = kept_or_made(parsed, keep, MENTORSHIPS)
    mapping: list[dict[str, Any]] = []
    if "program_type" in parsed:  # an unknown programme is kept as "other", never set aside
        mapped, mapping = _vocabulary(programs_in, keep, map_program, options.program_map)
        frame["program_type"] = pd.Series(mapped, dtype=object)
    notes = {"program_mapping": mapping, "ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "header_row": src.header_row, "date_formats": date_formats, "sheet": src.sheet,
             "other_sheets": src.other_sheets, "sheet_found": src.sheet_found, "totals_rows": src.totals_rows,
             "as_shown": _as_shown_note(src, as_shown), "external_mentors": int((~_in(mentor, known))[keep].sum())}
    return ValidatedTable("mentorships", src.file, frame, _reject_frame(src, "mentorships", problems), notes)


def _currency(src: SourceTable, col: str) -> str | None:
    """The currency sign or code an amount column was written with ('EUR', 'USD', as formats.amount_currency)."""
    if col not in src.frame.columns:
        return None
    return formats.amount_currency(list(pd.unique(src.frame[col].to_numpy(dtype=object))))


def _as_shown_note(src: SourceTable, values: dict[str, list[tuple[str, str, int]]]) -> dict[str, Any]:
    """The headers and values read as they show, for the warning (wording.as_shown_warning)."""
    return {"headers": [list(pair) for pair in src.headers_as_shown],
            "values": {header: [list(c) for c in changed] for header, changed in values.items()}}


def kept_or_made(parsed: dict[str, "_Column"], keep: np.ndarray, spec: TableSpec) -> pd.DataFrame:
    """The rows that passed, every contract column typed (absent optional columns empty)."""
    frame = pd.DataFrame(index=range(len(keep)))
    for col in spec.columns:
        column = parsed.get(col.name, _Column.empty(0))
        codes = column.codes[keep] if col.name in parsed else np.full(len(keep), -1, dtype=np.int64)
        frame[col.name] = _typed(column.values, codes, col.kind)
    return frame


def _typed(values: list[Any], codes: np.ndarray, kind: str) -> pd.Series:
    """The rows' values (an index into `values` each, -1: none) as the column's type."""
    if kind == "date":
        return pd.Series(np.append(_days(values), np.datetime64("NaT", "ns"))[codes], dtype="datetime64[ns]")
    if kind in ("amount", "rating"):
        numbers = np.array([np.nan if v is None else v for v in values], dtype=float)
        return pd.Series(np.append(numbers, np.nan)[codes], dtype="float64")
    if kind == "flag":
        return pd.Series(pd.array(_objects(values)[codes], dtype="boolean"))
    if kind == "integer":
        used, at = np.unique(codes[codes >= 0], return_inverse=True)
        position = np.full(len(codes), -1, dtype=np.int64)
        position[codes >= 0] = at
        return pd.Series(pd.array([values[k] for k in used.tolist()], dtype="Int64").take(position, allow_fill=True))
    return pd.Series(_objects(values)[codes], dtype=object)
