"""Read and validate input files against the data contract, before anything touches the store.

File-level problems raise InputFileError (the load is refused whole). Row-level problems set
the row aside in a rejects frame with its row number (the header is row 1, as a spreadsheet
shows it) and the reason, so nothing the user gave is lost.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from . import formats, wording
from .errors import ColumnFormatProblem, InputFileError
from .policy import (FIRST_YEAR, HEADER_SEARCH_ROWS, LAST_YEAR, MAX_MEETINGS, MAX_SALARY, MAX_SET_ASIDE_SHARE,
                     MAX_UNCLEAR_REASON_SHARE, MIN_BAD_CELLS_FOR_BAD_COLUMN)
from .schema import (EMPLOYEES, MENTORSHIPS, PROGRAM_MEANINGS, TERMINATION_REASONS, TableSpec, header_names,
                     map_program, map_reason, normalise_header)

READERS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "excel"}
REJECT_COLUMNS = ["table_name", "source_file", "row_number", "column_name", "reason", "raw"]


@dataclass
class RawTable:
    """A file as read: every column under its header, and the spreadsheet row of each data row."""
    file: str
    frame: pd.DataFrame
    header_row: int              # 1-based, as a spreadsheet shows it
    row_numbers: np.ndarray      # spreadsheet row of each data row
    found_header: bool = False   # the header row was found by its recognised names (not given, not row 1)
    row_problems: dict[int, str] = field(default_factory=dict)  # position -> why the row cannot be read
    sheet: str | None = None     # the Excel sheet read, when the workbook has others
    other_sheets: list[str] = field(default_factory=list)


@dataclass
class SourceTable:
    """One input file with its columns renamed to the contract's names."""
    file: str
    frame: pd.DataFrame          # contract columns only, raw cell values
    raw: pd.DataFrame            # every column the user gave, as read
    ignored_columns: list[str]
    header_map: dict[str, str]   # contract name -> header as found in the file
    row_numbers: np.ndarray | None = None  # spreadsheet row of each kept row (blank rows are skipped)
    header_row: int = 1
    row_problems: dict[int, str] = field(default_factory=dict)
    sheet: str | None = None
    other_sheets: list[str] = field(default_factory=list)

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


def _bytes(source: Any) -> bytes:
    if hasattr(source, "getvalue"):
        return source.getvalue()
    if isinstance(source, bytes):
        return source
    if hasattr(source, "read"):
        return source.read()
    return Path(source).read_bytes()


def read_raw(source: Any, name: str | None = None, spec: TableSpec | None = None,
             header_row: int | None = None) -> RawTable:
    """A file as read, every column kept: for previews, the header-mapping form and validation.
    `header_row` (1-based) says where the header is; otherwise, in a spreadsheet, it is the first of the
    first rows that holds two or more names `spec` recognises (row 1 when none does)."""
    file, kind, rows = _rows(source, name)
    if header_row is not None and (header_row < 1 or int(header_row) != header_row):
        raise InputFileError(file, f"the header row must be a row number from 1, but was {header_row!r}")
    if kind == "parquet":
        frame = rows
        frame.columns = [str(c).strip() for c in frame.columns]
        return RawTable(file, frame, 1, np.arange(len(frame)) + 2)
    return _table(file, rows, spec, header_row, kind)


def typed_table(name: str, frame: pd.DataFrame, spec: TableSpec | None = None) -> RawTable:
    """A table whose cells come typed (a database query's result: dates as dates, numbers as numbers), every
    column under its name, for the same matching and validation as a file; its rows are numbered from 1. A
    name given twice that the contract would read refuses it, as a repeated header refuses a file."""
    header = _distinct_headers(name, [str(c).strip() for c in frame.columns], None, spec)
    frame = frame.set_axis(header, axis=1).reset_index(drop=True)
    return RawTable(name, frame, 1, np.arange(len(frame)) + 1)


def find_header_row(source: Any, name: str | None = None, spec: TableSpec | None = None) -> int:
    """The row a file's header is on (1 for Parquet), as read_raw would find it: for a form that lets
    the user change it even when that row is not a usable header."""
    _, kind, rows = _rows(source, name)
    return 1 if kind == "parquet" else _header_row(rows, spec)[0]


def _rows(source: Any, name: str | None) -> tuple[str, str, Any]:
    """The file's name, its kind and its rows as lists of cells (a frame for Parquet)."""
    file = _source_name(source, name)
    kind = READERS.get(Path(file).suffix.lower())
    if kind is None:
        raise InputFileError(file, f"unsupported file type; use one of {', '.join(sorted(READERS))}")
    try:
        data = _bytes(source)
        if kind == "parquet":
            return file, kind, pd.read_parquet(io.BytesIO(data))
        return file, kind, _csv_rows(data) if kind == "csv" else _excel_rows(data)
    except InputFileError:
        raise
    except FileNotFoundError:
        raise InputFileError(file, "file not found") from None
    except Exception as exc:  # any parser failure means the file as a whole is unreadable
        raise InputFileError(file, f"cannot be read as {kind}: {exc}") from None


def _csv_rows(data: bytes) -> list[list[Any]]:
    text = decode_text(data)
    sep = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    rows = [row for row in reader]
    for number, row in enumerate(rows, 1):
        swallowed = next((v for v in row if "\n" in v and sum(line.count(sep) for line in v.splitlines()) >= 2), None)
        if swallowed is not None:  # a value running over lines that themselves look like records
            raise ValueError(f"a quotation mark on row {number} is never closed, so the lines after it would "
                             f"be read as one value ({swallowed.splitlines()[0][:40]!r}...); close or remove it")
    return rows


def decode_text(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:4:2] != b"\x00\x00":  # UTF-16 without its mark
        return data.decode("utf-16-le")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # Windows-1252, or UTF-8 with a few lines pasted in from Windows: line by line
        text = "".join(_decode_line(line) for line in data.removeprefix(codecs.BOM_UTF8).splitlines(keepends=True))
    if "\x00" in text:
        raise ValueError("it contains binary data")
    return text


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return line.decode("cp1252")
        except UnicodeDecodeError:
            raise ValueError("its text is neither UTF-8, UTF-16 nor Windows-1252") from None


def _separator(text: str) -> str:
    """The mark that splits the most of the first lines into the same number of fields (quotes honoured):
    spreadsheets in many locales save ';'-separated 'CSV', some HR systems tabs or pipes; a title line
    or a note full of another mark does not decide it. Comma on a tie."""
    lines = [line for line in text.splitlines()[:60] if line.strip()]
    best, score = ",", 0
    for sep in (",", ";", "\t", "|"):
        widths = Counter(len(row) for row in csv.reader(lines, delimiter=sep) if row)
        if not widths:
            continue
        width, count = widths.most_common(1)[0]
        if width > 1 and count > score:
            best, score = sep, count
    return best


def _excel_rows(data: bytes) -> list[list[Any]]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = [ws for ws in book.worksheets if ws.sheet_state == "visible"] or book.worksheets
        sheet = sheets[0]
        sheet.reset_dimensions()  # some exporters state a wrong sheet size; read what is there
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        others = [ws.title for ws in book.worksheets if ws is not sheet]
    finally:
        book.close()
    return _SheetRows(rows, sheet.title, others)


class _SheetRows(list):
    """A sheet's rows, with the sheet's name and the workbook's other sheets (which are not read)."""

    def __init__(self, rows: list[list[Any]], title: str, others: list[str]):
        super().__init__(rows)
        self.title, self.others = title, others


def _table(file: str, rows: list[list[Any]], spec: TableSpec | None, header_row: int | None, kind: str) -> RawTable:
    found = False
    if not rows:
        raise InputFileError(file, "is empty")
    if header_row is None:
        header_row, found = _header_row(rows, spec)
    if header_row > len(rows):
        raise InputFileError(file, f"has {len(rows)} rows, so no row {header_row} to read the header from")
    data = rows[header_row:]
    header = [_header_text(v, j) for j, v in enumerate(rows[header_row - 1])]
    while header and header[-1].startswith("(column ") and not _filled_beyond(data, len(header) - 1):
        header.pop()  # empty cells after the last header, with nothing under them
    header = _header_with_data_columns(header, data)
    header = _distinct_headers(file, header, header_row, spec)
    width, body, problems = len(header), [], {}
    trailing = _trailing_separators(data, width)
    for position, row in enumerate(data):
        extra = row[width:]
        stray = [v for v in extra if not _is_empty(v)]
        if stray or (extra and not trailing):
            problems[position] = (f"has {len(row)} values but the header has {width} (a value in a column "
                                  "with no header, or a separator inside a value that is not in quotes)")
        body.append(list(row[:width]) + [None] * (width - len(row)))
    frame = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header, dtype=object)
    numbers = np.arange(len(body)) + header_row + 1
    table = RawTable(file, frame, header_row, numbers, found and header_row != 1, problems)
    if getattr(rows, "others", None):
        table.other_sheets = list(rows.others)
        table.sheet = rows.title
    return table


def _filled_beyond(data: list[list[Any]], j: int) -> bool:
    """Whether most data rows have a value in column j (a column whose header cell is empty)."""
    filled = sum(1 for row in data if len(row) > j and not _is_empty(row[j]))
    return filled > 0 and filled >= len(data) / 2


def _header_with_data_columns(header: list[str], data: list[list[Any]]) -> list[str]:
    """Columns past the header that most rows fill are data without a header: named by their letter."""
    width = len(header)
    while _filled_beyond(data, width):
        header = header + [_header_text(None, width)]
        width += 1
    return header


def _trailing_separators(data: list[list[Any]], width: int) -> bool:
    """Most rows end with an empty extra field: the export writes a separator after every line."""
    extra = sum(1 for row in data if len(row) > width)
    return extra > 0 and extra >= len(data) / 2


def _distinct_headers(file: str, header: list[str], header_row: int | None, spec: TableSpec | None) -> list[str]:
    """A header written twice refuses the file when the contract would read it; a repeated header the
    contract does not read (two 'Comments') is numbered and listed as not used."""
    known = set() if spec is None else {n for col in spec.names for n in header_names(spec.name, col)}
    repeated = sorted({h for h in header if header.count(h) > 1 and normalise_header(h) in known})
    if repeated:
        raise InputFileError.all_of(file, [(h, header_row, "this header appears more than once; rename or remove "
                                            "one of them") for h in repeated])
    seen: Counter = Counter()
    out = []
    for h in header:
        seen[h] += 1
        out.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return out


def _header_text(value: Any, j: int) -> str:
    from openpyxl.utils import get_column_letter

    text = "" if _is_empty(value) else str(value).strip()
    return text or f"(column {get_column_letter(j + 1)})"


def _header_row(rows: list[list[Any]], spec: TableSpec | None) -> tuple[int, bool]:
    """Of the first rows, the one naming the most columns the contract knows (two at least, the first
    such row on a tie); row 1 when none does. Report settings above a table name a few, the header most."""
    if spec is None:
        return 1, False
    known = {name for col in spec.names for name in header_names(spec.name, col)}
    best, hits = 1, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        count = len({normalise_header(v) for v in row if not _is_empty(v)} & known)
        if count > hits:
            best, hits = i + 1, count
    return best, hits >= 2


def read_source(source: Any, spec: TableSpec, name: str | None = None,
                mapping: Mapping[str, str | None] | None = None, header_row: int | None = None) -> SourceTable:
    """Read a CSV, Parquet or Excel file (or take a table already read, see typed_table) and match its
    headers to the contract."""
    raw_table = source if isinstance(source, RawTable) else read_raw(source, name, spec, header_row)
    raw, file = raw_table.frame, raw_table.file
    header_map = _match_headers(list(raw.columns), spec, file, mapping or {})
    positions = np.flatnonzero(~_blank_rows(raw))  # a wholly blank row is no record: skipped, not set aside
    raw = raw.iloc[positions].reset_index(drop=True)
    frame = pd.DataFrame({col: raw[header].to_numpy(dtype=object) for col, header in header_map.items()})
    ignored = [c for c in raw.columns if c not in header_map.values() and not c.startswith("(column ")]
    where = {p: i for i, p in enumerate(positions)}
    problems = {where[p]: why for p, why in raw_table.row_problems.items() if p in where}
    return SourceTable(file, frame, raw, ignored, header_map, raw_table.row_numbers[positions],
                       raw_table.header_row, problems, raw_table.sheet, raw_table.other_sheets)


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


NOT_IN_FILE = None  # a mapping to None: the column is not in this file, whatever its headers look like


def _match_headers(headers: list[str], spec: TableSpec, file: str,
                   mapping: Mapping[str, str | None]) -> dict[str, str]:
    unknown = set(mapping) - set(spec.names)
    if unknown:
        raise InputFileError(file, f"cannot map unknown column(s) {sorted(unknown)}; "
                                   f"{spec.name} columns are {spec.names}")
    found: dict[str, str] = {}
    problems: list[tuple[str | None, int | None, str]] = []
    for col in spec.names:
        if col in mapping:
            if mapping[col] is NOT_IN_FILE or mapping[col] == "":
                continue
            if mapping[col] not in headers:
                problems.append((col, None, f"mapped header {mapping[col]!r} is not in the file "
                                            f"(headers: {list(headers)})"))
            else:
                found[col] = mapping[col]
    taken = set(found.values())
    for col in spec.names:
        if col in mapping:
            continue
        matches = [h for h in _matches(headers, spec.name, col) if h not in taken]
        if len(matches) > 1:
            problems.append((col, None, f"headers {matches} all match; keep one or map it by hand"))
        elif matches:
            found[col] = matches[0]
            taken.add(matches[0])
    missing = [c for c in spec.required if c not in found and not any(p[0] == c for p in problems)]
    problems += [(c, None, f"required column missing (headers found: {list(headers)})") for c in missing]
    if problems:
        raise InputFileError.all_of(file, problems)
    return found


def _matches(headers: list[str], table: str, column: str) -> list[str]:
    """The headers a contract column is known by, from its most likely name: only the first name present."""
    normalised = [normalise_header(h) for h in headers]
    for name in header_names(table, column):
        hits = [h for h, n in zip(headers, normalised) if n == name]
        if hits:
            return hits
    return []


def suggest_mapping(headers: list[str], spec: TableSpec) -> dict[str, str | None]:
    """For each contract column, the header it would be read from, or None (for the mapping form)."""
    try:
        found = _match_headers(list(headers), spec, "", {})
    except InputFileError:
        found = {}
        taken: set[str] = set()
        for col in spec.names:
            matches = [h for h in _matches(list(headers), spec.name, col) if h not in taken]
            if len(matches) == 1:
                found[col] = matches[0]
                taken.add(matches[0])
    return {col: found.get(col) for col in spec.names}


# ---------------------------------------------------------------- cell parsing

# Words HR exports and spreadsheets put in an empty cell ("NA" is left alone: it is North America too).
MISSING_MARKERS = frozenset({"n/a", "#n/a", "n.a.", "null", "none", "nan", "nat", "<na>", "-", "--", "(blank)",
                             "not applicable", "0000-00-00", "00.00.0000", "00/00/0000"})


_LONGEST_MARKER = max(map(len, MISSING_MARKERS))


def _is_empty(v: Any) -> bool:
    if isinstance(v, str):  # most cells: checked first, and the marker look-up only for short text
        text = v.strip()
        return not text or (len(text) <= _LONGEST_MARKER and text.lower() in MISSING_MARKERS)
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return True
    return isinstance(v, np.datetime64) and bool(np.isnat(v))


def _text(v: Any) -> str | None:
    return None if _is_empty(v) else _text_of(v)


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


KIND_WORDS = {"date": "date", "amount": "number", "rating": "number", "integer": "whole number"}


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
    if kind == "id":
        return _id_of, None
    return _text_of, None


def _parse_column(values: np.ndarray, empty: list[bool], parse: Callable[[Any], Any]
                  ) -> tuple[list[Any], dict[int, str]]:
    """Parsed values (None where empty or bad) and {position: message} for the bad ones."""
    out: list[Any] = []
    errors: dict[int, str] = {}
    for i, (v, blank) in enumerate(zip(values, empty)):
        if blank:
            out.append(None)
            continue
        try:
            out.append(parse(v))
        except ValueError as exc:
            out.append(None)
            errors[i] = str(exc)
    return out, errors


def _parse_table(src: SourceTable, spec: TableSpec, date_format: str | None = None
                 ) -> tuple[dict[str, list[Any]], dict[int, tuple[str | None, str]], dict[str, str]]:
    """Parse every contract column; whole-column problems are file-level, all reported at once."""
    parsed: dict[str, list[Any]] = {}
    problems: dict[int, tuple[str | None, str]] = {}
    column_problems: list[tuple[str | None, int | None, str]] = []
    ambiguous: list[str] = []
    date_formats: dict[str, str] = {}
    for col in src.frame.columns:
        kind = spec.column(col).kind
        values = src.frame[col].to_numpy(dtype=object)
        empty = [_is_empty(v) for v in values]
        try:
            parse, fmt = _column_parser([v for v, blank in zip(values, empty) if not blank], kind, date_format)
        except ColumnFormatProblem as exc:  # also an amount column in two number formats or currencies
            column_problems.append((col, None, str(exc)))
            if exc.ambiguous:
                ambiguous.append(col)
            continue
        if fmt and not all(empty):
            date_formats[col] = fmt
        out, errors = _parse_column(values, empty, parse)
        non_empty = sum(v is not None for v in out) + len(errors)
        if non_empty == 0 and spec.column(col).required and len(out):
            column_problems.append((col, None, "required column has no values"))
        elif errors and len(errors) == non_empty >= MIN_BAD_CELLS_FOR_BAD_COLUMN:
            pos = min(errors)
            hint = "" if spec.column(col).required else (
                f"; if this is not the {col} column, choose '(not in this file)' for it "
                f"(CLI: --map {spec.name}.{col}=)")
            column_problems.append((col, src.row_number(pos), f"no value in this column is a valid "
                                                              f"{KIND_WORDS.get(kind, kind)}, e.g. {errors[pos]}{hint}"))
        parsed[col] = out
        for pos, msg in errors.items():
            problems.setdefault(pos, (col, msg))
    if column_problems:
        raise InputFileError.all_of(src.file, column_problems, ambiguous_dates=tuple(ambiguous))
    for pos, why in src.row_problems.items():  # a row the reader could not line up with the header
        problems[pos] = (None, why)
    return parsed, problems, date_formats


# What a set-aside row keeps of what the user gave: the columns that say whose row it is and the one
# to fix, not the rest (salary, rating, reasons stay out of a file people download to fix rows).
IDENTIFYING = {"employees": ("employee_id",), "mentorships": ("mentee_id", "mentor_id", "start_date")}


def _reject_frame(src: SourceTable, table: str, problems: Mapping[int, tuple[str, str]]) -> pd.DataFrame:
    rows = []
    for pos in sorted(problems):
        col, reason = problems[pos]
        needed = [src.header_map[c] for c in (*IDENTIFYING[table], col) if c in src.header_map]
        raw = {k: (None if _is_empty(v) else str(v)) for k, v in src.raw.iloc[pos].items() if k in needed}
        rows.append((table, src.file, src.row_number(pos), col, f"{col}: {reason}" if col else reason,
                     json.dumps(raw, default=str)))
    return pd.DataFrame(rows, columns=REJECT_COLUMNS)


def _empty_check(src: SourceTable, allow_empty: bool) -> None:
    if len(src.frame) == 0 and not allow_empty:
        raise InputFileError(src.file, "has a header but no data rows")


# ---------------------------------------------------------------- the two tables

@dataclass(frozen=True)
class ReadOptions:
    """What a user tells the reader that the files cannot: a day/month order for dates that cannot tell
    (MM/DD/YYYY or DD/MM/YYYY), and what each termination reason and programme type means."""
    date_format: str | None = None
    reason_map: Mapping[str, str] = field(default_factory=dict)
    program_map: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.date_format not in (None, *formats.DAY_MONTH_CHOICES):
            raise InputFileError("--date-format", f"must be one of {formats.DAY_MONTH_CHOICES}, "
                                                  f"but was {self.date_format!r}")
        for name, mapping, allowed in (("termination reason", self.reason_map, TERMINATION_REASONS),
                                       ("programme type", self.program_map, PROGRAM_MEANINGS)):
            bad = {k: v for k, v in mapping.items() if v not in allowed}
            if bad:
                value, meaning = next(iter(bad.items()))
                raise InputFileError("mapping", f"the {name} {value!r} must mean one of {allowed}, "
                                                f"but was {meaning!r}")


def _vocabulary(values: list[str | None], rule: Callable[[str], str], chosen: Mapping[str, str]
                ) -> tuple[list[str | None], list[dict[str, Any]]]:
    """Each value's meaning (the user's, else the keyword rule's) and the table of distinct wordings
    (one row per wording whatever its case or spacing, shown as most often written)."""
    chosen = {_wording_key(k): m for k, m in chosen.items()}
    counts = Counter(v for v in values if v is not None)
    spellings: dict[str, Counter] = {}
    for v, c in counts.items():
        spellings.setdefault(_wording_key(v), Counter())[v] += c
    meaning = {key: chosen.get(key) or rule(key) for key in spellings}
    table = [{"given": spelled.most_common(1)[0][0], "mapped_to": meaning[key], "rows": sum(spelled.values()),
              "by": "you" if key in chosen else "rule"}
             for key, spelled in sorted(spellings.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))]
    return [None if v is None else meaning[_wording_key(v)] for v in values], table


def _wording_key(value: str) -> str:
    return " ".join(str(value).lower().split())


def validate_employees(src: SourceTable, options: ReadOptions = ReadOptions()) -> ValidatedTable:
    _empty_check(src, allow_empty=False)
    parsed, problems, date_formats = _parse_table(src, EMPLOYEES, options.date_format)
    n = len(src.frame)
    ids = parsed["employee_id"]
    hire = parsed["hire_date"]
    term = parsed.get("termination_date", [None] * n)
    reasons_in = parsed.get("termination_reason", [None] * n)
    if "salary" in parsed:  # a salary of 0 is an export's way of saying "not recorded"
        parsed["salary"] = [None if v == 0 else v for v in parsed["salary"]]
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
        elif parsed.get("salary") and parsed["salary"][i] is not None and parsed["salary"][i] < 0:
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
        column, why = problems[first]
        raise InputFileError(src.file, f"every row would be set aside, e.g. {f'{column}: ' if column else ''}{why}",
                             column=column, row=src.row_number(first))
    frame = _kept(parsed, keep, EMPLOYEES)
    mapping: list[dict[str, Any]] = []
    if "termination_reason" in parsed:
        mapped, mapping = _vocabulary([reasons_in[i] for i in keep], map_reason, options.reason_map)
        frame["termination_reason"] = pd.Series(mapped, dtype=object)
    notes = {"reason_mapping": mapping, "ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "header_row": src.header_row, "date_formats": date_formats, "sheet": src.sheet,
             "other_sheets": src.other_sheets,
             "rejected_ids": {ids[i]: src.row_number(i) for i in problems if ids[i] is not None}}
    return ValidatedTable("employees", src.file, frame, _reject_frame(src, "employees", problems), notes)


def validate_mentorships(src: SourceTable, employees: ValidatedTable,
                         options: ReadOptions = ReadOptions()) -> ValidatedTable:
    _empty_check(src, allow_empty=True)
    parsed, problems, date_formats = _parse_table(src, MENTORSHIPS, options.date_format)
    n = len(src.frame)
    known = set(employees.frame["employee_id"])
    set_aside = employees.notes.get("rejected_ids", {})
    mentee, start = parsed["mentee_id"], parsed["start_date"]
    mentor = parsed.get("mentor_id", [None] * n)
    end = parsed.get("end_date", [None] * n)
    programs_in = parsed.get("program_type", [None] * n)
    meetings = parsed.get("meetings", [None] * n)
    seen: dict[tuple, int] = {}
    for i in range(n):
        if i in problems:
            continue
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
        elif meetings[i] is not None and meetings[i] < 0:
            problems[i] = ("meetings", f"{meetings[i]} is negative")
        elif meetings[i] is not None and meetings[i] > MAX_MEETINGS:
            problems[i] = ("meetings", f"{meetings[i]} is not a plausible number of meetings")
        elif key in seen:
            problems[i] = ("mentee_id", f"duplicate of row {src.row_number(seen[key])} (same mentee, mentor and start_date)")
        if i not in problems:
            seen[key] = i
    keep = [i for i in range(n) if i not in problems]
    frame = _kept(parsed, keep, MENTORSHIPS)
    mapping: list[dict[str, Any]] = []
    if "program_type" in parsed:  # an unknown programme is kept as "other", never set aside
        mapped, mapping = _vocabulary([programs_in[i] for i in keep], map_program, options.program_map)
        frame["program_type"] = pd.Series(mapped, dtype=object)
    notes = {"program_mapping": mapping, "ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "header_row": src.header_row, "date_formats": date_formats, "sheet": src.sheet,
             "other_sheets": src.other_sheets,
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
    if kind in ("amount", "rating"):
        return pd.Series(values, dtype="float64")
    if kind == "integer":
        return pd.Series(values, dtype="Int64")
    return pd.Series(values, dtype=object)


@dataclass
class LoadPlan:
    """Everything one load writes, fully validated before the store is touched."""
    employees: ValidatedTable
    mentorships: ValidatedTable
    options: ReadOptions = field(default_factory=ReadOptions)

    @property
    def rejects(self) -> pd.DataFrame:
        return pd.concat([self.employees.rejects, self.mentorships.rejects], ignore_index=True)

    def vocabulary(self) -> dict[str, dict[str, str]]:
        """The meanings the user gave to termination reasons and programme types (not the rules'): stored
        with the load, so the next load reads the same wording the same way."""
        return {field: {_wording_key(m["given"]): m["mapped_to"] for m in table.notes.get(key, []) if m["by"] == "you"}
                for field, table, key in (("termination_reason", self.employees, "reason_mapping"),
                                          ("program_type", self.mentorships, "program_mapping"))}

    def quality(self) -> QualityCounts:
        emp = self.employees.frame
        exits = emp["termination_date"].notna()
        reasons = emp.loc[exits, "termination_reason"]
        return QualityCounts(
            set_aside={"employees": (len(self.employees.rejects), len(emp) + len(self.employees.rejects)),
                       "mentorships": (len(self.mentorships.rejects),
                                       len(self.mentorships.frame) + len(self.mentorships.rejects))},
            exits=int(exits.sum()), no_reason=int(reasons.isna().sum()), other_reason=int((reasons == "other").sum()))

    def report(self) -> dict[str, Any]:
        rejects = self.rejects
        return {
            "employees": {"file": self.employees.file, "loaded": len(self.employees.frame),
                          "rejected": len(self.employees.rejects)},
            "mentorships": {"file": self.mentorships.file, "loaded": len(self.mentorships.frame),
                            "rejected": len(self.mentorships.rejects)},
            "rejects_by_reason": _reasons(rejects),
            "reason_mapping": self.employees.notes.get("reason_mapping", []),
            "program_mapping": self.mentorships.notes.get("program_mapping", []),
            "ignored_columns": {"employees": self.employees.notes.get("ignored_columns", []),
                                "mentorships": self.mentorships.notes.get("ignored_columns", [])},
            "header_rows": {t: v.notes.get("header_row", 1) for t, v in (("employees", self.employees),
                                                                           ("mentorships", self.mentorships))},
            "date_formats": {t: v.notes.get("date_formats", {}) for t, v in (("employees", self.employees),
                                                                               ("mentorships", self.mentorships))},
            "warnings": [wording.other_sheets_warning(v.file, v.notes["sheet"], v.notes["other_sheets"])
                         for v in (self.employees, self.mentorships) if v.notes.get("other_sheets")]
                        + quality_warnings(self.quality()),
        }


@dataclass(frozen=True)
class QualityCounts:
    """What the data-quality warnings are worked out from."""
    set_aside: dict[str, tuple[int, int]]   # table -> (rows set aside, rows given)
    exits: int
    no_reason: int
    other_reason: int


def quality_warnings(q: QualityCounts, event: str | None = None) -> list[str]:
    """The warnings a user must not miss before and after a load (thresholds: policy; words: wording)."""
    out = [wording.set_aside_warning(table, n, total) for table, (n, total) in q.set_aside.items()
           if total and n / total > MAX_SET_ASIDE_SHARE]
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


def prepare_load(employees: Any, mentorships: Any, *, employees_name: str | None = None,
                 mentorships_name: str | None = None,
                 mapping: Mapping[str, Mapping[str, str | None]] | None = None,
                 header_rows: Mapping[str, int | None] | None = None,
                 options: ReadOptions = ReadOptions()) -> LoadPlan:
    """Read and validate both files; raises InputFileError for a file-level problem (every problem
    of a file at once). `mapping`: contract column -> header (None: not in this file); `header_rows`:
    table -> the spreadsheet row of its header (found when not given)."""
    mapping, header_rows = mapping or {}, header_rows or {}
    emp = validate_employees(read_source(employees, EMPLOYEES, employees_name, mapping.get("employees"),
                                         header_rows.get("employees")), options)
    men = validate_mentorships(read_source(mentorships, MENTORSHIPS, mentorships_name, mapping.get("mentorships"),
                                           header_rows.get("mentorships")), emp, options)
    return LoadPlan(emp, men, options)


def plan_from_frames(employees: pd.DataFrame, mentorships: pd.DataFrame, name: str = "demo") -> LoadPlan:
    """Validate frames built in code (the demo company) through the same rules as files."""
    def source(frame: pd.DataFrame, spec: TableSpec, file: str) -> SourceTable:
        cols = {c: frame[c].to_numpy(dtype=object) for c in spec.names if c in frame.columns}
        return SourceTable(file, pd.DataFrame(cols), frame, [], {c: c for c in cols})
    emp = validate_employees(source(employees, EMPLOYEES, f"{name}:employees"))
    men = validate_mentorships(source(mentorships, MENTORSHIPS, f"{name}:mentorships"), emp)
    return LoadPlan(emp, men)


TEMPLATE_ROWS = {  # two made-up people: one who left, one still employed and mentored by a manager
    "employees": [
        {"employee_id": "E0001", "hire_date": "2019-04-01", "termination_date": "", "termination_reason": "",
         "department": "Sales", "job_level": "L3", "location": "London", "gender": "Female", "birth_year": "1984",
         "manager_id": "", "salary": "72000", "performance_rating": "4"},
        {"employee_id": "E0002", "hire_date": "2021-03-15", "termination_date": "2023-06-30",
         "termination_reason": "Resignation - Better Opportunity", "department": "Sales", "job_level": "L1",
         "location": "London", "gender": "Male", "birth_year": "1997", "manager_id": "E0001", "salary": "41000",
         "performance_rating": "3"},
    ],
    "mentorships": [
        {"mentee_id": "E0002", "start_date": "2021-06-01", "mentor_id": "E0001", "program_type": "Traditional 1:1",
         "end_date": "2022-06-01", "meetings": "10"},
    ],
}


def template_csv(table: str) -> str:
    """A CSV with the contract's columns and example rows: a starting point for an export."""
    spec = {"employees": EMPLOYEES, "mentorships": MENTORSHIPS}[table]
    return pd.DataFrame(TEMPLATE_ROWS[table], columns=spec.names).to_csv(index=False)
