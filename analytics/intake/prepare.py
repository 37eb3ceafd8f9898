"""A load made ready: the tables read and checked (prepare_load: employees, mentorships and an optional job history), the data-quality counts and their warnings, and
the templates offered for download.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import pandas as pd

from analytics.common import progress
from analytics.common.errors import InputFileError, together
from analytics.common.policy import MAX_SET_ASIDE_SHARE, MAX_UNCLEAR_REASON_SHARE
from analytics.intake.headers import SourceTable, read_source
from analytics.intake.reading import source_name
from analytics.intake.history import validate_job_history
from analytics.intake.schema import EMPLOYEES, JOB_HISTORY, MENTORSHIPS, TABLES, TableSpec
from analytics.intake.validation import (ReadOptions, ValidatedTable, validate_employees, validate_mentorships,
                                         wording_key)
from analytics.words import loading, wording


@dataclass
class LoadPlan:
    """Everything one load writes, fully validated before the store is touched."""
    employees: ValidatedTable
    mentorships: ValidatedTable
    options: ReadOptions = field(default_factory=ReadOptions)
    job_history: ValidatedTable | None = None  # optional: a load without one empties the stored history

    @property
    def tables(self) -> list[ValidatedTable]:
        """The tables this load holds, the job history when it was given."""
        return [self.employees, self.mentorships] + ([self.job_history] if self.job_history is not None else [])

    @property
    def rejects(self) -> pd.DataFrame:
        return pd.concat([t.rejects for t in self.tables], ignore_index=True)

    def vocabulary(self) -> dict[str, dict[str, str]]:
        """The meanings the user gave to termination reasons, programme types and job change reasons (not the
        rules'): stored with the load, so the next load reads the same wording the same way."""
        return {field: {wording_key(m["given"]): m["mapped_to"]
                        for m in (table.notes.get(key, []) if table is not None else []) if m["by"] == "you"}
                for field, table, key in (("termination_reason", self.employees, "reason_mapping"),
                                          ("program_type", self.mentorships, "program_mapping"),
                                          ("change_reason", self.job_history, "change_mapping"))}

    def quality(self) -> QualityCounts:
        emp = self.employees.frame
        exits = emp["termination_date"].notna()
        reasons = emp.loc[exits, "termination_reason"]
        return QualityCounts(
            set_aside={t.name: (len(t.rejects), len(t.frame) + t.notes.get("merged", 0) + len(t.rejects))
                       for t in self.tables},
            exits=int(exits.sum()), no_reason=int(reasons.isna().sum()), other_reason=int((reasons == "other").sum()),
            unknown_people=self.job_history.notes.get("unknown_people", 0) if self.job_history is not None else 0)

    def report(self) -> dict[str, Any]:
        rejects = self.rejects
        report: dict[str, Any] = {
            t.name: {"file": t.file, "loaded": len(t.frame), "rejected": len(t.rejects)} for t in self.tables}
        if self.job_history is not None:  # rows of one person and day made one; rows naming no one known
            report["job_history"]["merged"] = self.job_history.notes.get("merged", 0)
            report["job_history"]["unknown_people"] = self.job_history.notes.get("unknown_people", 0)
        return report | {
            "rejects_by_reason": _reasons(rejects),
            "reason_mapping": self.employees.notes.get("reason_mapping", []),
            "program_mapping": self.mentorships.notes.get("program_mapping", []),
            "change_mapping": self.job_history.notes.get("change_mapping", []) if self.job_history else [],
            "ignored_columns": {t.name: t.notes.get("ignored_columns", []) for t in self.tables},
            "header_rows": {t.name: t.notes.get("header_row", 1) for t in self.tables},
            "date_formats": {t.name: t.notes.get("date_formats", {}) for t in self.tables},
            "header_maps": {t.name: t.notes.get("header_map", {}) for t in self.tables},
            "salary_currency": self.employees.notes.get("salary_currency"),  # the sign or code salaries carried
            "sheets": {t.name: t.notes["sheet"] for t in self.tables if t.notes.get("sheet")},
            "warnings": [(loading.found_sheet_warning if v.notes.get("sheet_found") else wording.other_sheets_warning)(
                             v.file, v.notes["sheet"], v.notes["other_sheets"])
                         for v in self.tables if v.notes.get("other_sheets")]
                        + [loading.totals_rows_warning(v.file, v.notes["totals_rows"])
                           for v in self.tables if v.notes.get("totals_rows")]
                        + [wording.as_shown_warning(v.file, v.notes["as_shown"]["headers"], v.notes["as_shown"]["values"])
                           for v in self.tables if _any_as_shown(v.notes)]
                        + self.unread_warnings()
                        + quality_warnings(self.quality()),
        }

    def unread_warnings(self) -> list[str]:
        """What a column not read changes, said before and after the load: no termination date (no exit at all), no
        termination reason (every exit counted as leaving), reasons whose meaning is not clear (asked about)."""
        notes = self.employees.notes
        if "header_map" not in notes:
            return []
        out = []
        if "termination_date" not in notes["header_map"]:
            out.append(loading.no_exit_dates_warning(self.employees.file))
        elif "termination_reason" not in notes["header_map"]:
            exits = int(self.employees.frame["termination_date"].notna().sum())
            if exits:
                out.append(loading.no_reasons_warning(self.employees.file, exits))
        unclear = [(m["given"], m["rows"]) for m in notes.get("reason_mapping", []) if m["by"] == "asked"]
        if unclear:
            out.append(loading.unclear_reasons_warning(unclear))
        return out


def _any_as_shown(notes: Mapping[str, Any]) -> bool:
    shown = notes.get("as_shown") or {}
    return bool(shown.get("headers") or shown.get("values"))


@dataclass(frozen=True)
class QualityCounts:
    """What the data-quality warnings are worked out from."""
    set_aside: dict[str, tuple[int, int]]   # table -> (rows set aside, rows given)
    exits: int
    no_reason: int
    other_reason: int
    unknown_people: int = 0                 # job history rows naming no one in the employees file


def quality_warnings(q: QualityCounts, event: str | None = None) -> list[str]:
    """The warnings a user must not miss before and after a load (thresholds: policy; words: wording)."""
    given = q.set_aside.get("job_history", (0, 0))[1]
    other_ids = given and q.unknown_people > given / 2  # the sharper of the two warnings about the same rows
    out = [wording.set_aside_warning(table.replace("_", " "), n, total) for table, (n, total) in q.set_aside.items()
           if total and n / total > MAX_SET_ASIDE_SHARE and not (table == "job_history" and other_ids)]
    if other_ids:
        out.append(wording.unknown_people_warning(q.unknown_people, given))
    unclear = q.no_reason + q.other_reason
    most_missing = q.exits and q.no_reason > q.exits / 2 and q.exits > q.no_reason and event in (None, "voluntary")
    if most_missing:  # the sharper of the two warnings about the same exits
        out.append(wording.missing_reasons_warning(q.no_reason, q.exits))
    elif q.exits and unclear / q.exits > MAX_UNCLEAR_REASON_SHARE and q.exits > q.no_reason:
        out.append(wording.unclear_reasons_warning(unclear, q.exits))
    return out


def _reasons(rejects: pd.DataFrame) -> list[dict[str, Any]]:
    """Reasons grouped by their kind: the message with its quoted values taken out."""
    kinds = rejects["reason"].str.replace(r"'[^']*'|\d{4}-\d{2}-\d{2}|\d+", "…", regex=True)
    counts = Counter(zip(rejects["table_name"], kinds))
    return [{"table": t, "reason": r, "rows": c} for (t, r), c in counts.most_common()]


def prepare_load(employees: Any, mentorships: Any, job_history: Any = None, *, employees_name: str | None = None,
                 mentorships_name: str | None = None, job_history_name: str | None = None,
                 mapping: Mapping[str, Mapping[str, str | None]] | None = None,
                 header_rows: Mapping[str, int | None] | None = None,
                 options: ReadOptions = ReadOptions(), sheets: Mapping[str, str | None] | None = None) -> LoadPlan:
    """Read and validate the files (the job history when given). A file-level problem in any of them raises
    InputFileError once every file has been read and checked: every problem of every file at once
    (InputFilesError when more than one file has some), each naming its file, column and row. A file read after
    an employees file that could not be loaded is checked against no one, for its own file-level problems only.
    `mapping`: table -> contract column -> header (None: not in this file); `header_rows`: table -> the
    spreadsheet row of its header (found when not given); `sheets`: table -> the sheet of its workbook to read (found
    when not given: the one whose header names the most columns)."""
    mapping, header_rows, sheets = mapping or {}, header_rows or {}, sheets or {}
    failed: list[InputFileError] = []

    def checked(table: str, given: Any, name: str | None, validate: Callable[[SourceTable], ValidatedTable]
                ) -> ValidatedTable | None:
        progress.step("read", table=table, file=source_name(given, name))
        try:
            src = read_source(given, TABLES[table], name, mapping.get(table), header_rows.get(table),
                              keep_problems=True, sheet=sheets.get(table))
            progress.step("check", table=table, rows=len(src.frame))
            return validate(src)
        except InputFileError as exc:
            failed.append(exc)
            return None

    emp = checked("employees", employees, employees_name, lambda src: validate_employees(src, options))
    staff = emp if emp is not None else _NO_ONE
    men = checked("mentorships", mentorships, mentorships_name,
                  lambda src: validate_mentorships(src, staff, options))
    history = None
    if job_history is not None:
        history = checked("job_history", job_history, job_history_name,
                          lambda src: validate_job_history(src, staff, options))
    if failed:
        raise together(failed)
    return LoadPlan(emp, men, options, history)


# The employees a file is checked against when the employees file itself could not be loaded: no one, so that only
# the file's own problems (its headers, a column no value of which can be read) are found.
_NO_ONE = ValidatedTable("employees", "", pd.DataFrame({"employee_id": pd.Series(dtype=object),
                                                       "hire_date": pd.Series(dtype="datetime64[ns]"),
                                                       "termination_date": pd.Series(dtype="datetime64[ns]")}),
                         pd.DataFrame())


def plan_from_frames(employees: pd.DataFrame, mentorships: pd.DataFrame, name: str = "demo",
                     job_history: pd.DataFrame | None = None) -> LoadPlan:
    """Validate frames built in code (the demo company) through the same rules as files."""
    def source(frame: pd.DataFrame, spec: TableSpec, file: str) -> SourceTable:
        cols = {c: frame[c].to_numpy(dtype=object) for c in spec.names if c in frame.columns}
        return SourceTable(file, pd.DataFrame(cols), frame, [], {c: c for c in cols})
    emp = validate_employees(source(employees, EMPLOYEES, f"{name}:employees"))
    men = validate_mentorships(source(mentorships, MENTORSHIPS, f"{name}:mentorships"), emp)
    history = None if job_history is None else validate_job_history(
        source(job_history, JOB_HISTORY, f"{name}:job_history"), emp)
    return LoadPlan(emp, men, job_history=history)


TEMPLATE_ROWS = {  # two made-up people: one still employed, one mentored by their manager who left (a regretted loss)
    "employees": [
        {"employee_id": "E0001", "hire_date": "2019-04-01", "termination_date": "", "termination_reason": "",
         "department": "Sales", "job_level": "L3", "location": "London", "gender": "Female", "birth_year": "1984",
         "manager_id": "", "salary": "72000", "performance_rating": "4", "regrettable": ""},
        {"employee_id": "E0002", "hire_date": "2021-03-15", "termination_date": "2023-06-30",
         "termination_reason": "Resignation - Better Opportunity", "department": "Sales", "job_level": "L1",
         "location": "London", "gender": "Male", "birth_year": "1997", "manager_id": "E0001", "salary": "41000",
         "performance_rating": "3", "regrettable": "Yes"},
    ],
    "mentorships": [
        {"mentee_id": "E0002", "start_date": "2021-06-01", "mentor_id": "E0001", "program_type": "Traditional 1:1",
         "end_date": "2022-06-01", "meetings": "10"},
    ],
    "job_history": [  # an empty cell: unchanged since the person's row before
        {"employee_id": "E0001", "effective_date": "2019-04-01", "job_level": "L2", "department": "Sales",
         "location": "London", "manager_id": "", "salary": "61000", "performance_rating": "",
         "change_reason": "Hire"},
        {"employee_id": "E0001", "effective_date": "2020-03-01", "job_level": "", "department": "", "location": "",
         "manager_id": "", "salary": "64000", "performance_rating": "4", "change_reason": "Merit Increase"},
        {"employee_id": "E0001", "effective_date": "2021-04-01", "job_level": "L3", "department": "", "location": "",
         "manager_id": "", "salary": "72000", "performance_rating": "", "change_reason": "Promotion"},
        {"employee_id": "E0002", "effective_date": "2021-03-15", "job_level": "L1", "department": "Sales",
         "location": "London", "manager_id": "E0001", "salary": "41000", "performance_rating": "",
         "change_reason": "New Hire"},
    ],
}


def template_csv(table: str) -> str:
    """A CSV with the contract's columns and example rows: a starting point for an export."""
    spec = {"employees": EMPLOYEES, "mentorships": MENTORSHIPS, "job_history": JOB_HISTORY}[table]
    return pd.DataFrame(TEMPLATE_ROWS[table], columns=spec.names).to_csv(index=False)
