"""The job history, checked: one dated row per change of a person's job level, department, location, manager, pay or
rating, each row checked against the employees file before anything touches the store.

A row is set aside (with its row number and reason, as in the other files) when its person is not among the
employees kept, or its effective date is before their hire date or after their exit. Two rows of one person on one
day are one change: merged field by field when they agree or fill different fields; when they disagree on a field,
the later row is set aside, naming the earlier one. Their reasons are not facts about the person and never
disagree: the merged row keeps the first in CHANGE_REASONS' order (a promotion and a merit increase on one day are
a promotion). The kept table is sorted by person and date; an empty field means unchanged since the row before.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.common.policy import MAX_SALARY
from analytics.intake.headers import SourceTable
from analytics.intake.schema import CHANGE_REASONS, JOB_HISTORY, map_change
from analytics.intake.validation import (ReadOptions, ValidatedTable, _as_shown_note, _Column, _combined, _dates,
                                         _empty_check, _first_problem, _in, _numbers, _parse_table, _reject_frame,
                                         _vocabulary, kept_or_made)

FIELDS = ("job_level", "department", "location", "manager_id", "salary", "performance_rating")
_NAT = np.datetime64("NaT", "ns")


def validate_job_history(src: SourceTable, employees: ValidatedTable,
                         options: ReadOptions = ReadOptions()) -> ValidatedTable:
    _empty_check(src, allow_empty=True)
    parsed, problems, date_formats, as_shown = _parse_table(src, JOB_HISTORY, options.date_format)
    n = len(src.frame)
    ids, day = parsed["employee_id"], parsed["effective_date"]
    if "salary" in parsed:  # a salary of 0 is an export's way of saying "not recorded", as in the employees file
        parsed["salary"] = parsed["salary"].map_values(lambda v: None if v == 0 else v)
    salary = _numbers(parsed["salary"]) if "salary" in parsed else np.full(n, np.nan)
    staff = employees.frame
    person = ids.rows(_positions(staff["employee_id"], ids.values), -1)
    hire = np.append(staff["hire_date"].to_numpy("datetime64[ns]"), _NAT)[person]
    exit_ = np.append(staff["termination_date"].to_numpy("datetime64[ns]"), _NAT)[person]
    effective = _dates(day)
    set_aside = employees.notes.get("rejected_ids", {})
    known = person >= 0
    dated = day.has() & known
    rules = [(~ids.has(), lambda i: ("employee_id", "required value is empty")),
             (ids.has() & ~day.has(), lambda i: ("effective_date", "required value is empty")),
             (_in(ids, set_aside) & ~known,  # a duplicate id keeps its first row
              lambda i: ("employee_id", f"{ids[i]!r} was set aside in employees (row {set_aside[ids[i]]})")),
             (ids.has() & ~known, lambda i: ("employee_id", f"{ids[i]!r} is not in employees")),
             (dated & (effective < hire),
              lambda i: ("effective_date", f"{day[i].date()} is before hire_date {_day(hire[i])}")),
             (dated & ~np.isnat(exit_) & (effective > exit_),
              lambda i: ("effective_date", f"{day[i].date()} is after termination_date {_day(exit_[i])}")),
             (salary < 0, lambda i: ("salary", f"{parsed['salary'][i]:g} is not a positive amount")),
             (salary > MAX_SALARY, lambda i: ("salary", f"{parsed['salary'][i]:g} is not a plausible annual salary"))]
    open_rows = np.ones(n, dtype=bool)
    open_rows[list(problems)] = False
    unknown = int((open_rows & ids.has() & ~known & ~_in(ids, set_aside)).sum())  # no one of that id at all
    _first_problem(rules, open_rows, problems)
    passing = np.ones(n, dtype=bool)
    passing[list(problems)] = False
    merged_into = _merge_same_days(src, parsed, _combined(ids.same(), day.same()), passing, problems)

    kept = np.ones(n, dtype=bool)
    kept[list(problems)] = False
    read = np.flatnonzero(kept)  # every row read, those merged into an earlier one too
    meaning = np.full(n, None, dtype=object)
    mapping: list[dict[str, Any]] = []
    if "change_reason" in parsed:  # an unknown reason is kept as "other", never set aside
        meaning[read], mapping = _vocabulary(parsed["change_reason"], read, map_change, options.change_map)
    rank = {r: k for k, r in enumerate(CHANGE_REASONS)}
    for later, first in merged_into.items():  # one change with two reasons: the first in CHANGE_REASONS' order
        if meaning[later] is not None and (meaning[first] is None or rank[meaning[later]] < rank[meaning[first]]):
            meaning[first] = meaning[later]
    kept[list(merged_into)] = False
    keep = np.flatnonzero(kept)
    frame = kept_or_made(parsed, keep, JOB_HISTORY)
    frame["change_reason"] = pd.Series(meaning[keep], dtype=object)
    frame = _by_person_and_date(frame)
    notes = {"change_mapping": mapping, "ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "header_row": src.header_row, "date_formats": date_formats, "sheet": src.sheet,
             "other_sheets": src.other_sheets, "sheet_found": src.sheet_found, "totals_rows": src.totals_rows,
             "as_shown": _as_shown_note(src, as_shown),
             "merged": len(merged_into), "unknown_people": unknown}
    return ValidatedTable("job_history", src.file, frame, _reject_frame(src, "job_history", problems), notes)


def _positions(staff_ids: pd.Series, values: list[Any]) -> np.ndarray:
    """Each distinct id's row among the employees (-1: none), by hashing in pandas rather than a Python dict of every
    employee; with an id twice among the employees, the last row's, as a dict built in row order gives."""
    index = pd.Index(staff_ids.to_numpy(dtype=object))
    if not index.is_unique:
        where = {e: i for i, e in enumerate(staff_ids)}
        return np.array([where.get(v, -1) for v in values], dtype=np.int64)
    return index.get_indexer(pd.Index(np.asarray(values, dtype=object)))


def _by_person_and_date(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows sorted by person and date (stable). A history exported in that order already (the usual case) is
    kept as it is: pandas would find it in order and still copy every column."""
    ids, dates = frame["employee_id"].to_numpy(dtype=object), frame["effective_date"].to_numpy()
    try:
        later = ids[1:] > ids[:-1]
        in_order = bool(np.all(later | ((ids[1:] == ids[:-1]) & (dates[1:] >= dates[:-1]))))
    except TypeError:  # ids that do not compare (not all words): sorted as pandas sorts them
        in_order = False
    if in_order:
        return frame
    return frame.sort_values(["employee_id", "effective_date"], kind="stable").reset_index(drop=True)


def _day(value: np.datetime64) -> Any:
    return pd.Timestamp(value).date()


def _merge_same_days(src: SourceTable, parsed: dict[str, _Column], key: np.ndarray, passing: np.ndarray,
                     problems: dict[int, tuple[str | None, str]]) -> dict[int, int]:
    """Rows of one person and day, in row order: each later row's values fill the first row's empty fields (its
    column's codes point at the later row's value), or, when a field already holds another value, the later row is
    set aside naming the row that value came from. Returns each merged row and the first row it went into."""
    rows = np.flatnonzero(passing)
    counts = np.bincount(key[rows], minlength=int(key.max(initial=-1)) + 1) if len(rows) else np.zeros(0, int)
    shared = rows[counts[key[rows]] > 1] if len(rows) else rows
    groups: dict[int, list[int]] = {}
    for i in shared.tolist():
        groups.setdefault(int(key[i]), []).append(i)
    fields = [f for f in FIELDS if f in parsed]
    merged: dict[int, int] = {}
    for members in groups.values():
        first = members[0]
        held = {f: first for f in fields if parsed[f][first] is not None}  # field -> the row its value came from
        for i in members[1:]:
            clash = next((f for f in fields if f in held and parsed[f][i] is not None
                          and parsed[f][i] != parsed[f][held[f]]), None)
            if clash is not None:
                was = parsed[clash][held[clash]]
                problems[i] = (clash, f"{_shown(parsed[clash][i])} disagrees with {_shown(was)} on row "
                                      f"{src.row_number(held[clash])}, the same person's row of the same "
                                      "effective_date")
                continue
            for f in fields:
                if f not in held and parsed[f][i] is not None:
                    parsed[f].codes[first] = parsed[f].codes[i]
                    held[f] = i
            merged[i] = first
    return merged


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value)
