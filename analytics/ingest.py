"""Read and validate input files against the data contract, before anything touches the store.

File-level problems raise InputFileError (the load is refused whole). Row-level problems set
the row aside in a rejects frame with its row number (the header is row 1, as a spreadsheet
shows it) and the reason, so nothing the user gave is lost.
"""
from __future__ import annotations

import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .errors import InputFileError
from .policy import FIRST_YEAR, HIGH_DATE_YEAR, LAST_YEAR, MAX_MEETINGS, MAX_SALARY, MIN_BAD_CELLS_FOR_BAD_COLUMN
from .schema import EMPLOYEES, MENTORSHIPS, PROGRAM_TYPES, TableSpec, map_program, map_reason, normalise_header

READERS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
REJECT_COLUMNS = ["table_name", "source_file", "row_number", "column_name", "reason", "raw"]


@dataclass
class SourceTable:
    """One input file with its columns renamed to the contract's names."""
    file: str
    frame: pd.DataFrame          # contract columns only, raw cell values
    raw: pd.DataFrame            # every column the user gave, as read
    ignored_columns: list[str]
    header_map: dict[str, str]   # contract name -> header as found in the file
    row_numbers: np.ndarray | None = None  # spreadsheet row of each kept row (blank rows are skipped)

    def row_number(self, position: int) -> int:
        if self.row_numbers is not None:
            return int(self.row_numbers[position])
        return position + 2  # header is row 1


@dataclass
class ValidatedTable:
    name: str
    file: str
    frame: pd.DataFrame
    rejects: pd.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- reading

def _source_name(source: Any, name: str | None) -> str:
    if name:
        return name
    if isinstance(source, (str, Path)):
        return Path(source).name
    return getattr(source, "name", "uploaded file")


def _read_frame(source: Any, file: str) -> pd.DataFrame:
    kind = READERS.get(Path(file).suffix.lower())
    if kind is None:
        raise InputFileError(file, f"unsupported file type; use one of {', '.join(sorted(READERS))}")
    if hasattr(source, "getvalue"):
        source = io.BytesIO(source.getvalue())
    elif isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        if kind == "csv":
            return _read_csv(source)
        if kind == "parquet":
            return pd.read_parquet(source)
        return pd.read_excel(source, dtype=object, engine="openpyxl")
    except InputFileError:
        raise
    except FileNotFoundError:
        raise InputFileError(file, "file not found") from None
    except Exception as exc:  # any parser failure means the file as a whole is unreadable
        raise InputFileError(file, f"cannot be read as {kind}: {exc}") from None


def _read_csv(source: Any) -> pd.DataFrame:
    data = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("its text is neither UTF-8 nor Windows-1252")
    if "\x00" in text:
        raise ValueError("it contains binary data")
    # blank lines are kept (then skipped as blank rows) so row numbers match what a spreadsheet shows
    return pd.read_csv(io.StringIO(text), sep=_separator(text), dtype=str, keep_default_na=False,
                       skipinitialspace=True, skip_blank_lines=False)


def _separator(text: str) -> str:
    """Comma, unless the header line is plainly split by another mark (spreadsheets in many locales
    save ';'-separated 'CSV'; some HR systems export tab- or pipe-separated text)."""
    header = text.split("\n", 1)[0]
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def read_source(source: Any, spec: TableSpec, name: str | None = None,
                mapping: Mapping[str, str] | None = None) -> SourceTable:
    """Read a CSV, Parquet or Excel file and match its headers to the contract."""
    file = _source_name(source, name)
    raw = read_raw(source, file)
    header_map = _match_headers(raw.columns, spec, file, mapping or {})
    positions = np.flatnonzero(~_blank_rows(raw))  # a wholly blank row is no record: skipped, not set aside
    raw = raw.iloc[positions].reset_index(drop=True)
    frame = pd.DataFrame({col: raw[header].to_numpy(dtype=object) for col, header in header_map.items()})
    ignored = [c for c in raw.columns if c not in header_map.values()]
    return SourceTable(file, frame, raw, ignored, header_map, positions + 2)


def _blank_rows(raw: pd.DataFrame) -> np.ndarray:
    """Rows with no value in any column (stops early: most files have none)."""
    blank = np.ones(len(raw), dtype=bool)
    for column in raw.columns:
        values = raw[column]
        empty = values.isna().to_numpy(dtype=bool)
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            empty |= values.astype("string").str.strip().eq("").fillna(True).to_numpy(dtype=bool)
        blank &= empty
        if not blank.any():
            break
    return blank


def _match_headers(headers: list[str], spec: TableSpec, file: str, mapping: Mapping[str, str]) -> dict[str, str]:
    unknown = set(mapping) - set(spec.names)
    if unknown:
        raise InputFileError(file, f"cannot map unknown column(s) {sorted(unknown)}; "
                                   f"{spec.name} columns are {spec.names}")
    found: dict[str, str] = {}
    for col in spec.names:
        if mapping.get(col):
            if mapping[col] not in headers:
                raise InputFileError(file, f"mapped header {mapping[col]!r} is not in the file "
                                           f"(headers: {list(headers)})", column=col)
            found[col] = mapping[col]
            continue
        matches = _matches(headers, col)
        if len(matches) > 1:
            raise InputFileError(file, f"headers {matches} all match; keep one or map it by hand", column=col)
        if matches:
            found[col] = matches[0]
    missing = [c for c in spec.required if c not in found]
    if missing:
        raise InputFileError(file, f"required column missing (headers found: {list(headers)})",
                             column=missing[0])
    return found


def _matches(headers: list[str], column: str) -> list[str]:
    return [h for h in headers if normalise_header(h) == normalise_header(column)]


def suggest_mapping(headers: list[str], spec: TableSpec) -> dict[str, str | None]:
    """For each contract column, the one header that matches it, or None (for the mapping form)."""
    out: dict[str, str | None] = {}
    for col in spec.names:
        matches = _matches(list(headers), col)
        out[col] = matches[0] if len(matches) == 1 else None
    return out


def read_raw(source: Any, name: str | None = None) -> pd.DataFrame:
    """A file as read, every column kept: for previews and the header-mapping form."""
    file = _source_name(source, name)
    raw = _read_frame(source, file)
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw


# ---------------------------------------------------------------- cell parsing

# Words HR exports and spreadsheets put in an empty cell ("NA" is left alone: it is North America too).
MISSING_MARKERS = frozenset({"n/a", "#n/a", "null", "none", "nan", "nat", "<na>"})


def _is_empty(v: Any) -> bool:
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return True
    if isinstance(v, np.datetime64) and np.isnat(v):
        return True
    return isinstance(v, str) and (v.strip() == "" or v.strip().lower() in MISSING_MARKERS)


def _text(v: Any) -> str | None:
    if _is_empty(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _date(v: Any) -> pd.Timestamp | None:
    """A date, or raise ValueError; strings must be ISO YYYY-MM-DD, never guessed."""
    if isinstance(v, (datetime, date)):
        day = date(v.year, v.month, v.day)  # the calendar day as written, time zone or not
    elif isinstance(v, np.datetime64):
        day = pd.Timestamp(v).date()
    else:
        text = str(v).strip()
        if not ISO_DATE.match(text):
            raise ValueError(f"{text!r} is not a date in YYYY-MM-DD form")
        try:
            day = datetime.strptime(text[:10], "%Y-%m-%d").date()
        except ValueError:
            raise ValueError(f"{text!r} is not a real calendar date") from None
    if day.year == HIGH_DATE_YEAR:  # what many HR systems write for "no end date yet"
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"{day.isoformat()} is not a plausible date (years {FIRST_YEAR}-{LAST_YEAR})")
    return pd.Timestamp(day)


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


PARSERS = {"date": _date, "number": _number, "integer": _integer}


def _parse_column(values: np.ndarray, kind: str) -> tuple[list[Any], dict[int, str]]:
    """Parsed values (None where empty or bad) and {position: message} for the bad ones."""
    parse = PARSERS.get(kind)
    out: list[Any] = []
    errors: dict[int, str] = {}
    for i, v in enumerate(values):
        if _is_empty(v):
            out.append(None)
        elif parse is None:
            out.append(_text(v))
        else:
            try:
                out.append(parse(v))
            except ValueError as exc:
                out.append(None)
                errors[i] = str(exc)
    return out, errors


def _parse_table(src: SourceTable, spec: TableSpec) -> tuple[dict[str, list[Any]], dict[int, tuple[str, str]]]:
    """Parse every contract column; whole-column type failures are file-level errors."""
    parsed: dict[str, list[Any]] = {}
    problems: dict[int, tuple[str, str]] = {}
    for col in src.frame.columns:
        kind = spec.column(col).kind
        values, errors = _parse_column(src.frame[col].to_numpy(dtype=object), kind)
        non_empty = sum(v is not None for v in values) + len(errors)
        if non_empty == 0 and spec.column(col).required and len(values):
            raise InputFileError(src.file, "required column has no values", column=col)
        if errors and len(errors) == non_empty >= MIN_BAD_CELLS_FOR_BAD_COLUMN:
            pos = min(errors)
            raise InputFileError(src.file, f"no value in this column is a valid {kind}, "
                                           f"e.g. {errors[pos]}", column=col, row=src.row_number(pos))
        parsed[col] = values
        for pos, msg in errors.items():
            problems.setdefault(pos, (col, msg))
    return parsed, problems


def _reject_frame(src: SourceTable, table: str, problems: Mapping[int, tuple[str, str]]) -> pd.DataFrame:
    rows = []
    for pos in sorted(problems):
        col, reason = problems[pos]
        raw = {k: (None if _is_empty(v) else str(v)) for k, v in src.raw.iloc[pos].items()}
        rows.append((table, src.file, src.row_number(pos), col, f"{col}: {reason}" if col else reason,
                     json.dumps(raw, default=str)))
    return pd.DataFrame(rows, columns=REJECT_COLUMNS)


def _empty_check(src: SourceTable, allow_empty: bool) -> None:
    if len(src.frame) == 0 and not allow_empty:
        raise InputFileError(src.file, "has a header but no data rows")


# ---------------------------------------------------------------- the two tables

def validate_employees(src: SourceTable) -> ValidatedTable:
    _empty_check(src, allow_empty=False)
    parsed, problems = _parse_table(src, EMPLOYEES)
    n = len(src.frame)
    ids = parsed["employee_id"]
    hire = parsed["hire_date"]
    term = parsed.get("termination_date", [None] * n)
    reasons_in = parsed.get("termination_reason", [None] * n)
    first_seen: dict[str, int] = {}
    for i in range(n):
        if i in problems:
            continue
        if ids[i] is None:
            problems[i] = ("employee_id", "required value is empty")
        elif hire[i] is None:
            problems[i] = ("hire_date", "required value is empty")
        elif ids[i] in first_seen:
            problems[i] = ("employee_id", f"duplicate id {ids[i]!r} (first on row {src.row_number(first_seen[ids[i]])})")
        elif term[i] is not None and term[i] < hire[i]:
            problems[i] = ("termination_date", f"{term[i].date()} is before hire_date {hire[i].date()}")
        elif reasons_in[i] is not None and term[i] is None:
            problems[i] = ("termination_reason", f"{reasons_in[i]!r} given but termination_date is empty")
        elif parsed.get("salary") and parsed["salary"][i] is not None and parsed["salary"][i] <= 0:
            problems[i] = ("salary", f"{parsed['salary'][i]:g} is not a positive amount")
        elif parsed.get("salary") and parsed["salary"][i] is not None and parsed["salary"][i] > MAX_SALARY:
            problems[i] = ("salary", f"{parsed['salary'][i]:g} is not a plausible annual salary")
        elif parsed.get("birth_year") and parsed["birth_year"][i] is not None and not FIRST_YEAR <= parsed["birth_year"][i] <= LAST_YEAR:
            problems[i] = ("birth_year", f"{parsed['birth_year'][i]} is not a plausible birth year")
        if i not in problems:
            first_seen[ids[i]] = i
    keep = [i for i in range(n) if i not in problems]
    if not keep:  # loading would empty the dashboard: refuse, as for a file-level problem
        first = min(problems)
        raise InputFileError(src.file, f"every row would be set aside, e.g. {problems[first][0]}: "
                                       f"{problems[first][1]}", column=problems[first][0], row=src.row_number(first))
    frame = _kept(parsed, keep, EMPLOYEES)
    mapping = Counter()
    if "termination_reason" in parsed:
        mapped = [map_reason(reasons_in[i]) if reasons_in[i] is not None else None for i in keep]
        mapping = Counter((reasons_in[i], m) for i, m in zip(keep, mapped) if m is not None)
        frame["termination_reason"] = pd.Series(mapped, dtype=object)
    notes = {"reason_mapping": [{"given": g, "mapped_to": m, "rows": c} for (g, m), c in sorted(mapping.items())],
             "ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "rejected_ids": {ids[i]: src.row_number(i) for i in problems if ids[i] is not None}}
    return ValidatedTable("employees", src.file, frame, _reject_frame(src, "employees", problems), notes)


def validate_mentorships(src: SourceTable, employees: ValidatedTable) -> ValidatedTable:
    _empty_check(src, allow_empty=True)
    parsed, problems = _parse_table(src, MENTORSHIPS)
    n = len(src.frame)
    known = set(employees.frame["employee_id"])
    set_aside = employees.notes.get("rejected_ids", {})
    mentee, start = parsed["mentee_id"], parsed["start_date"]
    mentor = parsed.get("mentor_id", [None] * n)
    end = parsed.get("end_date", [None] * n)
    programs_in = parsed.get("program_type", [None] * n)
    meetings = parsed.get("meetings", [None] * n)
    programs: list[str | None] = [None] * n
    seen: dict[tuple, int] = {}
    for i in range(n):
        if i in problems:
            continue
        if programs_in[i] is not None:
            programs[i] = map_program(programs_in[i])
        key = (mentee[i], mentor[i], start[i])
        if mentee[i] is None:
            problems[i] = ("mentee_id", "required value is empty")
        elif start[i] is None:
            problems[i] = ("start_date", "required value is empty")
        elif mentee[i] in set_aside and mentee[i] not in known:  # a duplicate id keeps its first row
            problems[i] = ("mentee_id", f"{mentee[i]!r} was set aside in employees (row {set_aside[mentee[i]]})")
        elif mentee[i] not in known:
            problems[i] = ("mentee_id", f"{mentee[i]!r} is not in employees")
        elif mentor[i] is not None and mentor[i] == mentee[i]:
            problems[i] = ("mentor_id", "mentor and mentee are the same person")
        elif end[i] is not None and end[i] < start[i]:
            problems[i] = ("end_date", f"{end[i].date()} is before start_date {start[i].date()}")
        elif programs_in[i] is not None and programs[i] is None:
            problems[i] = ("program_type", f"{programs_in[i]!r} is not one of {', '.join(PROGRAM_TYPES)}")
        elif meetings[i] is not None and meetings[i] < 0:
            problems[i] = ("meetings", f"{meetings[i]} is negative")
        elif meetings[i] is not None and meetings[i] > MAX_MEETINGS:
            problems[i] = ("meetings", f"{meetings[i]} is not a plausible number of meetings")
        elif key in seen:
            problems[i] = ("mentee_id", f"duplicate of row {src.row_number(seen[key])} (same mentee, mentor and start_date)")
        if i not in problems:
            seen[key] = i
    keep = [i for i in range(n) if i not in problems]
    parsed["program_type"] = programs
    frame = _kept(parsed, keep, MENTORSHIPS)
    notes = {"ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "external_mentors": int(sum(1 for i in keep if mentor[i] is None or mentor[i] not in known))}
    return ValidatedTable("mentorships", src.file, frame, _reject_frame(src, "mentorships", problems), notes)


def _kept(parsed: dict[str, list[Any]], keep: list[int], spec: TableSpec) -> pd.DataFrame:
    """The rows that passed, every contract column typed (absent optional columns empty)."""
    frame = pd.DataFrame(index=range(len(keep)))
    for col in spec.columns:
        values = [parsed[col.name][i] for i in keep] if col.name in parsed else [None] * len(keep)
        frame[col.name] = _typed(values, col.kind)
    return frame


def _typed(values: list[Any], kind: str) -> pd.Series:
    if kind == "date":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")
    if kind == "number":
        return pd.Series(values, dtype="float64")
    if kind == "integer":
        return pd.Series(values, dtype="Int64")
    return pd.Series(values, dtype=object)


@dataclass
class LoadPlan:
    """Everything one load writes, fully validated before the store is touched."""
    employees: ValidatedTable
    mentorships: ValidatedTable

    @property
    def rejects(self) -> pd.DataFrame:
        return pd.concat([self.employees.rejects, self.mentorships.rejects], ignore_index=True)

    def report(self) -> dict[str, Any]:
        rejects = self.rejects
        return {
            "employees": {"file": self.employees.file, "loaded": len(self.employees.frame),
                          "rejected": len(self.employees.rejects)},
            "mentorships": {"file": self.mentorships.file, "loaded": len(self.mentorships.frame),
                            "rejected": len(self.mentorships.rejects)},
            "rejects_by_reason": _reasons(rejects),
            "reason_mapping": self.employees.notes.get("reason_mapping", []),
            "ignored_columns": {"employees": self.employees.notes.get("ignored_columns", []),
                                "mentorships": self.mentorships.notes.get("ignored_columns", [])},
        }


def _reasons(rejects: pd.DataFrame) -> list[dict[str, Any]]:
    """Reasons grouped by their kind: the message with its quoted values taken out."""
    kinds = rejects["reason"].str.replace(r"'[^']*'|\d{4}-\d{2}-\d{2}|\d+", "…", regex=True)
    counts = Counter(zip(rejects["table_name"], kinds))
    return [{"table": t, "reason": r, "rows": c} for (t, r), c in counts.most_common()]


def prepare_load(employees: Any, mentorships: Any, *, employees_name: str | None = None,
                 mentorships_name: str | None = None,
                 mapping: Mapping[str, Mapping[str, str]] | None = None) -> LoadPlan:
    """Read and validate both files; raises InputFileError for a file-level problem."""
    mapping = mapping or {}
    emp = validate_employees(read_source(employees, EMPLOYEES, employees_name, mapping.get("employees")))
    men = validate_mentorships(read_source(mentorships, MENTORSHIPS, mentorships_name, mapping.get("mentorships")), emp)
    return LoadPlan(emp, men)


def plan_from_frames(employees: pd.DataFrame, mentorships: pd.DataFrame, name: str = "demo") -> LoadPlan:
    """Validate frames built in code (the demo company) through the same rules as files."""
    def source(frame: pd.DataFrame, spec: TableSpec, file: str) -> SourceTable:
        cols = {c: frame[c].to_numpy(dtype=object) for c in spec.names if c in frame.columns}
        return SourceTable(file, pd.DataFrame(cols), frame, [], {c: c for c in cols})
    emp = validate_employees(source(employees, EMPLOYEES, f"{name}:employees"))
    men = validate_mentorships(source(mentorships, MENTORSHIPS, f"{name}:mentorships"), emp)
    return LoadPlan(emp, men)
