"""Read and validate input files against the data contract, before anything touches the store.

File-level problems raise InputFileError (the load is refused whole). Row-level problems set
the row aside in a rejects frame with its row number (the header is row 1, as a spreadsheet
shows it) and the reason, so nothing the user gave is lost.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from . import formats, progress, wording
from .errors import ColumnFormatProblem, InputFileError
from .policy import (FIRST_YEAR, HEADER_SEARCH_ROWS, LAST_YEAR, MAX_CELL_CHARS, MAX_CELLS, MAX_FILE_BYTES, MAX_MEETINGS,
                     MAX_SALARY, MAX_SET_ASIDE_SHARE, MAX_SHEET_CELLS, MAX_UNCLEAR_REASON_SHARE, MAX_UNPACKED_BYTES,
                     MIN_BAD_CELLS_FOR_BAD_COLUMN)
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
    headers_as_shown: list[tuple[str, str]] = field(default_factory=list)  # (as written, as read): formats.as_shown


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
    headers_as_shown: list[tuple[str, str]] = field(default_factory=list)

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


def _bytes(source: Any, file: str) -> bytes:
    """The file's bytes, refused before they are read when there are more than MAX_FILE_BYTES."""
    if hasattr(source, "getvalue"):
        data = source.getvalue()
    elif isinstance(source, bytes):
        data = source
    elif hasattr(source, "read"):
        data = source.read(MAX_FILE_BYTES + 1)
    else:
        _refuse_size(file, Path(source).stat().st_size)
        data = Path(source).read_bytes()
    _refuse_size(file, len(data))
    return data


def _refuse_size(file: str, size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise InputFileError(file, f"is {size:,} bytes or more; a file may be at most {MAX_FILE_BYTES:,} bytes "
                                   "(a million employees' CSV is about 80 MB): export only the columns the analysis reads")


@dataclass
class ParsedFile:
    """A file read once: its name, its kind and its rows (see _rows), every bound checked. The Data page keeps one
    per upload, so that the header row, the preview and the check read the upload without parsing it again."""
    name: str
    kind: str
    rows: Any


def parse_file(source: Any, name: str | None = None) -> ParsedFile:
    """Read a file's rows once, for read_raw, find_header_row and prepare_load to take in its place."""
    return source if isinstance(source, ParsedFile) else ParsedFile(*_rows(source, name))


def read_raw(source: Any, name: str | None = None, spec: TableSpec | None = None,
             header_row: int | None = None) -> RawTable:
    """A file as read, every column kept: for previews, the header-mapping form and validation.
    `header_row` (1-based) says where the header is; otherwise, in a spreadsheet, it is the first of the
    first rows that holds two or more names `spec` recognises (row 1 when none does)."""
    file, kind, rows = _rows(source, name)
    if header_row is not None and (header_row < 1 or int(header_row) != header_row):
        raise InputFileError(file, f"the header row must be a row number from 1, but was {header_row!r}")
    if kind == "parquet":
        written = [str(c).strip() for c in rows.columns]
        header = [formats.as_shown(h) for h in written]
        frame = rows.set_axis(header, axis=1)  # a new frame: a parsed file may be read again
        return RawTable(file, frame, 1, np.arange(len(frame)) + 2,
                        headers_as_shown=[(w, h) for w, h in zip(written, header) if w != h])
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
    """The file's name, its kind and its rows as lists of cells (a frame for Parquet). Its size, its cells and the
    length of each cell are checked against the bounds in policy.py before it is parsed (the cells of a CSV from
    its lines, of a workbook from its zip's directory and the sheet's XML, of a Parquet file from its footer)."""
    if isinstance(source, ParsedFile):
        return source.name, source.kind, source.rows
    file = _source_name(source, name)
    kind = READERS.get(Path(file).suffix.lower())
    if kind is None:
        raise InputFileError(file, f"unsupported file type; use one of {', '.join(sorted(READERS))}")
    try:
        data = _bytes(source, file)
        if kind == "parquet":
            return file, kind, _parquet_frame(data, file)
        return file, kind, _csv_rows(data, file) if kind == "csv" else _excel_rows(data, file)
    except InputFileError:
        raise
    except FileNotFoundError:
        raise InputFileError(file, "file not found") from None
    except Exception as exc:  # any parser failure means the file as a whole is unreadable
        raise InputFileError(file, f"cannot be read as {kind}: {exc}") from None


def _csv_rows(data: bytes, file: str) -> list[list[Any]]:
    # Python's csv module refuses a value over 131,072 characters without saying where: every value is read, and one
    # over MAX_CELL_CHARS refused with its row and column (_refuse_long_cells). The limit is only ever raised, to the
    # largest file read, so another reader in the process is never cut short.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
    text = decode_text(data)
    sep = _separator(text)
    _refuse_many_cells(file, text, sep)
    if _plain(text, sep):
        head = list(itertools.islice(csv.reader(io.StringIO(_first_records(text, HEADER_SEARCH_ROWS + 1), newline=""),
                                                delimiter=sep, skipinitialspace=True), HEADER_SEARCH_ROWS + 1))
        if len(head) > HEADER_SEARCH_ROWS:  # longer than the rows the header is looked for in
            return _PlainCsv(head, text, sep)
    return _all_csv_rows(text, sep)


def _refuse_many_cells(file: str, text: str, sep: str) -> None:
    """A CSV of more than MAX_CELLS cells (its lines times the most values on one of its first lines), refused
    before its values are split."""
    lines = text.count("\n") + (not text.endswith("\n"))
    width = max((len(row) for row in csv.reader(_first_lines(text, 60), delimiter=sep)), default=0)
    if lines * width > MAX_CELLS:
        raise InputFileError(file, f"has {lines:,} lines of {width:,} values ({lines * width:,} cells); a file may "
                                   f"hold at most {MAX_CELLS:,} cells: export only the columns the analysis reads")


def _all_csv_rows(text: str, sep: str) -> list[list[Any]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, skipinitialspace=True)
    rows = list(reader)
    if '"' not in text:  # only a quoted value can hold a line break: nothing to look for
        return rows
    for number, row in enumerate(rows, 1):
        swallowed = next((v for v in row if "\n" in v and sum(line.count(sep) for line in v.splitlines()) >= 2), None)
        if swallowed is not None:  # a value running over lines that themselves look like records
            raise ValueError(f"a quotation mark on row {number} is never closed, so the lines after it would "
                             f"be read as one value ({swallowed.splitlines()[0][:40]!r}...); close or remove it")
    return rows


def _plain(text: str, sep: str) -> bool:
    """Whether every line of the text is one record that any CSV reader splits alike: no quotation mark, no
    blank line, no value starting with a space (Python's reader skips it), lines ending in \\n or \\r\\n."""
    return ('"' not in text and f"{sep} " not in text and "\n " not in text and not text.startswith((" ", "\n", "\r"))
            and "\n\n" not in text and "\n\r" not in text and "\r\r" not in text and text.count("\r") == text.count("\r\n"))


def _first_records(text: str, n: int) -> str:
    """The text up to the end of its n-th line (all of it when shorter), for a plain CSV."""
    end = -1
    for _ in range(n):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[:end + 1]


class _PlainCsv(list):
    """The first rows of a plain CSV file (see _plain), read by Python's csv module for finding the header; the
    rows below the header are read column by column by pyarrow's CSV reader, which splits such a text alike
    (or, where it cannot, all rows by the csv module)."""

    def __init__(self, head: list[list[str]], text: str, sep: str):
        super().__init__(head)
        self.text, self.sep = text, sep

    def columns_below(self, header_row: int, width: int) -> Any:
        """The rows below the header as a pyarrow table of text columns, or None when a row has another number of
        values."""
        import pyarrow as pa
        from pyarrow import csv as pa_csv

        names = [f"c{j}" for j in range(width)]
        try:
            table = pa_csv.read_csv(
                io.BytesIO(self.text.encode("utf-8")),
                read_options=pa_csv.ReadOptions(skip_rows=header_row, column_names=names),
                parse_options=pa_csv.ParseOptions(delimiter=self.sep, quote_char=False, double_quote=False,
                                                  escape_char=False, newlines_in_values=False, ignore_empty_lines=False),
                convert_options=pa_csv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[],
                                                      strings_can_be_null=False, quoted_strings_can_be_null=False))
        except (pa.ArrowInvalid, pa.ArrowException):
            return None
        return table


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
    lines = [line for line in _first_lines(text, 60) if line.strip()]
    best, score = ",", 0
    for sep in (",", ";", "\t", "|"):
        widths = Counter(len(row) for row in csv.reader(lines, delimiter=sep) if row)
        if not widths:
            continue
        width, count = widths.most_common(1)[0]
        if width > 1 and count > score:
            best, score = sep, count
    return best


def _first_lines(text: str, n: int) -> list[str]:
    """text.splitlines()[:n], splitting only as much of the text as it takes."""
    size = 4096
    while True:
        lines = text[:size].splitlines()
        if len(lines) > n or size >= len(text):  # line n is complete: a line follows it, or the text ends
            return lines[:n]
        size *= 4


def _excel_rows(data: bytes, file: str) -> list[list[Any]]:
    import zipfile

    import openpyxl

    archive = zipfile.ZipFile(io.BytesIO(data))
    unpacked = sum(item.file_size for item in archive.infolist())  # as the zip's directory says (and zipfile holds to)
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputFileError(file, f"unpacks to {unpacked:,} bytes (from {len(data):,}); a workbook may unpack to at "
                                   f"most {MAX_UNPACKED_BYTES:,} bytes: save the sheet as CSV")
    for title, part in _sheet_parts(archive):  # openpyxl parses a sheet that states no range whole, on opening it
        with archive.open(part) as xml:
            cells, rows = _sheet_elements(xml, MAX_SHEET_CELLS)
        if max(cells, rows) > MAX_SHEET_CELLS:
            what = "cells" if cells > MAX_SHEET_CELLS else "rows"
            raise InputFileError(file, f"its sheet {title!r} holds more than {MAX_SHEET_CELLS:,} {what}; a sheet may "
                                       f"hold at most {MAX_SHEET_CELLS:,} cells: save it as CSV (up to {MAX_CELLS:,} cells)")
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheets = [ws for ws in book.worksheets if ws.sheet_state == "visible"] or book.worksheets
        sheet = sheets[0]
        _refuse_stated_range(file, sheet)
        sheet.reset_dimensions()  # some exporters state a wrong sheet size; read what is there
        rows, cells = [], 0
        for row in sheet.iter_rows(values_only=True):
            cells += len(row) or 1  # a row is as wide as its last cell: a few far-off cells make wide rows
            if cells > MAX_SHEET_CELLS:
                raise InputFileError(file, f"its sheet {sheet.title!r} spans more than {MAX_SHEET_CELLS:,} cells "
                                           f"(to row {len(rows) + 1:,}); a sheet may hold at most {MAX_SHEET_CELLS:,} "
                                           f"cells: save it as CSV (up to {MAX_CELLS:,} cells)")
            rows.append(list(row))
        others = [ws.title for ws in book.worksheets if ws is not sheet]
    finally:
        book.close()
    return _SheetRows(rows, sheet.title, others)


def _refuse_stated_range(file: str, sheet: Any) -> None:
    """A sheet stating a range (<dimension ref="A1:L5000"/>) of more than MAX_SHEET_CELLS cells, refused before a
    cell is read."""
    rows, columns = sheet.max_row, sheet.max_column
    if rows is not None and columns is not None:
        stated = (rows - sheet.min_row + 1) * (columns - sheet.min_column + 1)
        if stated > MAX_SHEET_CELLS:
            raise InputFileError(file, f"its sheet {sheet.title!r} states the range {sheet.calculate_dimension()} "
                                       f"({stated:,} cells); a sheet may hold at most {MAX_SHEET_CELLS:,} cells: "
                                       f"save it as CSV (up to {MAX_CELLS:,} cells)")


def _sheet_parts(archive: Any) -> list[tuple[str, str]]:
    """(title, part in the zip) of each worksheet of a workbook, as its workbook.xml lists them; every part under a
    worksheets/ folder, by its name, when that cannot be read."""
    import posixpath
    from xml.etree import ElementTree

    def xml(part: str) -> Any:
        return ElementTree.fromstring(archive.read(part))

    names = set(archive.namelist())
    try:
        book = next(r.get("Target") for r in xml("_rels/.rels") if r.get("Type", "").endswith("/officeDocument"))
        book = book.lstrip("/")
        folder = posixpath.dirname(book)
        relations = xml(posixpath.join(folder, "_rels", posixpath.basename(book) + ".rels"))
        targets = {r.get("Id"): r.get("Target") for r in relations if r.get("Type", "").endswith("/worksheet")}
        parts = []
        for sheet in xml(book).iter():
            target = targets.get(next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None))
            if sheet.tag.endswith("}sheet") and target:
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                parts.append((sheet.get("name") or part, part))
        return [(title, part) for title, part in parts if part in names]
    except Exception:  # a workbook openpyxl will refuse anyway; its sheets by their place in the zip
        return [(name, name) for name in sorted(names) if re.search(r"(^|/)worksheets/[^/]+\.xml$", name)]


_CELL_TAGS = (b"<c ", b"<c>", b"<c/>", b":c ", b":c>", b":c/>")  # <c r="A1">, and with a namespace prefix <x:c ...>
_ROW_TAGS = (b"<row ", b"<row>", b"<row/>", b":row ", b":row>", b":row/>")


def _sheet_elements(xml: Any, limit: int) -> tuple[int, int]:
    """The cells and rows in a sheet's XML stream, counted as it unpacks, stopping once either passes `limit`."""
    cells = rows = 0
    tail = b""
    while max(cells, rows) <= limit:
        chunk = xml.read(1 << 20)
        if not chunk:
            break
        block = tail + chunk  # a tag split between two chunks is counted once: less what the tail held alone
        cells += sum(block.count(t) - tail.count(t) for t in _CELL_TAGS)
        rows += sum(block.count(t) - tail.count(t) for t in _ROW_TAGS)
        tail = block[-6:]
    return cells, rows


def _parquet_frame(data: bytes, file: str) -> pd.DataFrame:
    """A Parquet file as a frame, its rows x columns checked in its footer before it is read, and each text cell's
    length before it becomes a Python string."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(io.BytesIO(data))
    rows, columns = parquet.metadata.num_rows, parquet.metadata.num_columns
    if rows * columns > MAX_CELLS:
        raise InputFileError(file, f"has {rows:,} rows of {columns:,} columns ({rows * columns:,} cells); a file may "
                                   f"hold at most {MAX_CELLS:,} cells: export only the columns the analysis reads")
    table = parquet.read()
    long = _long_arrow_cell(table)
    if long is not None:
        j, position, length = long
        _refuse_long_cell(file, str(table.column_names[j]).strip(), position + 2, length)
    return table.to_pandas()


def _long_arrow_cell(table: Any) -> tuple[int, int, int] | None:
    """The first text cell (column, row position, characters) longer than MAX_CELL_CHARS in a pyarrow table."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for j, column in enumerate(table.columns):
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if not len(column) or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue
        lengths = pc.utf8_length(column.cast(kind) if kind is not column.type else column)
        if (pc.max(lengths).as_py() or 0) > MAX_CELL_CHARS:
            position = pc.index(pc.greater(lengths, MAX_CELL_CHARS), True).as_py()
            return j, position, int(lengths[position].as_py())
    return None


def _long_cell(rows: list[list[Any]]) -> tuple[int, int, int] | None:
    """The first cell (row position, column position, characters) longer than MAX_CELL_CHARS in lists of cells."""
    try:
        longest = max(map(len, itertools.chain.from_iterable(rows)), default=0)  # text only: the csv module's rows
    except TypeError:  # a workbook's numbers, dates and empty cells among its text
        longest = max((len(v) for v in itertools.chain.from_iterable(rows) if isinstance(v, str)), default=0)
    if longest <= MAX_CELL_CHARS:
        return None
    return next((i, j, len(v)) for i, row in enumerate(rows) for j, v in enumerate(row)
                if isinstance(v, str) and len(v) > MAX_CELL_CHARS)


def _refuse_long_cells(file: str, rows: list[list[Any]], header: list[Any]) -> None:
    """Refuse rows holding a cell longer than MAX_CELL_CHARS, naming its row and its column (by the header, or by
    its letter on the header row itself)."""
    long = _long_cell(rows)
    if long is not None:
        i, j, length = long
        named = j < len(header) and rows[i] is not header
        _refuse_long_cell(file, _header_text(header[j] if named else None, j), i + 1, length)


def _refuse_long_cell(file: str, column: str, row: int, length: int) -> None:
    raise InputFileError(file, f"a cell of {length:,} characters; a cell may hold at most {MAX_CELL_CHARS:,} (Excel's "
                               "own limit): is a quotation mark in or above it never closed, or is this not an export?",
                         column=column, row=row)


class _SheetRows(list):
    """A sheet's rows, with the sheet's name and the workbook's other sheets (which are not read)."""

    def __init__(self, rows: list[list[Any]], title: str, others: list[str]):
        super().__init__(rows)
        self.title, self.others = title, others


def _table(file: str, rows: list[list[Any]], spec: TableSpec | None, header_row: int | None, kind: str) -> RawTable:
    if isinstance(rows, _PlainCsv):
        table = _plain_table(file, rows, spec, header_row)
        if table is not None:
            return table
        rows = _all_csv_rows(rows.text, rows.sep)
    found = False
    if not rows:
        raise InputFileError(file, "is empty")
    if header_row is None:
        header_row, found = _header_row(rows, spec)
    if header_row > len(rows):
        raise InputFileError(file, f"has {len(rows)} rows, so no row {header_row} to read the header from")
    _refuse_long_cells(file, rows, rows[header_row - 1])
    data = rows[header_row:]
    lengths = np.fromiter(map(len, data), dtype=np.int64, count=len(data))
    header = [_header_text(v, j) for j, v in enumerate(rows[header_row - 1])]
    as_shown = _headers_as_shown(rows[header_row - 1], header)
    while header and header[-1].startswith("(column ") and not _filled_beyond(data, len(header) - 1, lengths):
        header.pop()  # empty cells after the last header, with nothing under them
    header = _header_with_data_columns(header, data, lengths)
    header = _distinct_headers(file, header, header_row, spec)
    width, problems = len(header), {}
    trailing = _trailing_separators(data, width, lengths)
    for position in np.flatnonzero(lengths > width).tolist():  # only a row longer than the header can be off
        row = data[position]
        stray = [v for v in row[width:] if not _is_empty(v)]
        if stray or not trailing:
            problems[position] = (f"has {len(row)} values but the header has {width} (a value in a column "
                                  "with no header, or a separator inside a value that is not in quotes)")
    body = data
    uneven = np.flatnonzero(lengths != width).tolist()
    if uneven:  # cut to the header's width, or filled up with empty cells
        body = list(data)
        for position in uneven:
            row = data[position]
            body[position] = list(row[:width]) + [None] * (width - len(row))
    frame = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header, dtype=object)
    numbers = np.arange(len(body)) + header_row + 1
    table = RawTable(file, frame, header_row, numbers, found and header_row != 1, problems, headers_as_shown=as_shown)
    if getattr(rows, "others", None):
        table.other_sheets = list(rows.others)
        table.sheet = rows.title
    return table


def _plain_table(file: str, head: _PlainCsv, spec: TableSpec | None, header_row: int | None) -> RawTable | None:
    """_table for a plain CSV whose rows below the header all have as many values as the header row and whose
    header's last cell is filled (then nothing in the header is added or cut); None otherwise."""
    found = False
    if header_row is None:
        header_row, found = _header_row(head, spec)
    if not 1 <= header_row <= HEADER_SEARCH_ROWS:
        return None
    _refuse_long_cells(file, head, head[header_row - 1])
    header = [_header_text(v, j) for j, v in enumerate(head[header_row - 1])]
    if not header or header[-1].startswith("(column "):
        return None
    as_shown = _headers_as_shown(head[header_row - 1], header)
    header = _distinct_headers(file, header, header_row, spec)
    table = head.columns_below(header_row, len(header))
    if table is None:
        return None
    long = _long_arrow_cell(table)
    if long is not None:
        j, position, length = long
        _refuse_long_cell(file, header[j], position + header_row + 1, length)
    columns = [column.to_pandas(deduplicate_objects=True).to_numpy(dtype=object) for column in table.columns]
    frame = pd.DataFrame(dict(zip(header, columns)), columns=header, dtype=object)
    return RawTable(file, frame, header_row, np.arange(len(frame)) + header_row + 1, found and header_row != 1, {},
                    headers_as_shown=as_shown)


def _filled_beyond(data: list[list[Any]], j: int, lengths: np.ndarray) -> bool:
    """Whether most data rows have a value in column j (a column whose header cell is empty)."""
    filled = sum(1 for i in np.flatnonzero(lengths > j).tolist() if not _is_empty(data[i][j]))
    return filled > 0 and filled >= len(data) / 2


def _header_with_data_columns(header: list[str], data: list[list[Any]], lengths: np.ndarray) -> list[str]:
    """Columns past the header that most rows fill are data without a header: named by their letter."""
    width = len(header)
    while _filled_beyond(data, width, lengths):
        header = header + [_header_text(None, width)]
        width += 1
    return header


def _trailing_separators(data: list[list[Any]], width: int, lengths: np.ndarray) -> bool:
    """Most rows end with an empty extra field: the export writes a separator after every line."""
    extra = int((lengths > width).sum())
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
    """A header as it shows (formats.as_shown), or the column's letter when it has none."""
    from openpyxl.utils import get_column_letter

    text = "" if _is_empty(value) else formats.as_shown(str(value).strip()).strip()
    return text or f"(column {get_column_letter(j + 1)})"


def _headers_as_shown(cells: list[Any], header: list[str]) -> list[tuple[str, str]]:
    """(as written, as read) for each header that formats.as_shown changed."""
    written = ["" if _is_empty(v) else str(v).strip() for v in cells]
    return [(w, h) for w, h in zip(written, header) if w and w != h]


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
    if len(positions) < len(raw) or not raw.index.equals(pd.RangeIndex(len(raw))):
        raw = raw.iloc[positions].reset_index(drop=True)
    frame = pd.DataFrame({col: raw[header].to_numpy(dtype=object) for col, header in header_map.items()})
    ignored = [c for c in raw.columns if c not in header_map.values() and not c.startswith("(column ")]
    problems = {}
    if raw_table.row_problems:
        where = {p: i for i, p in enumerate(positions.tolist())}
        problems = {where[p]: why for p, why in raw_table.row_problems.items() if p in where}
    return SourceTable(file, frame, raw, ignored, header_map, raw_table.row_numbers[positions],
                       raw_table.header_row, problems, raw_table.sheet, raw_table.other_sheets,
                       raw_table.headers_as_shown)


def _blank_rows(raw: pd.DataFrame) -> np.ndarray:
    """Rows with no value in any column (stops early: most files have none)."""
    blank = np.ones(len(raw), dtype=bool)
    for j in range(raw.shape[1]):
        values = raw.iloc[:, j]
        distinct = _distinct(values.to_numpy()) if values.dtype == object else None
        if distinct is not None:  # each distinct value looked at once
            codes, uniques = distinct
            empty_value = _blank_values(pd.Series(uniques, dtype=object))
            empty = (codes < 0) | np.append(empty_value, True)[codes]
        else:
            empty = _blank_values(values)
        blank &= empty
        if not blank.any():
            break
    return blank


def _blank_values(values: pd.Series) -> np.ndarray:
    empty = values.isna().to_numpy(dtype=bool)
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        empty |= values.astype("string").str.strip().eq("").fillna(True).to_numpy(dtype=bool)
    return empty


# Cells of these types are equal only when they read alike, so a column of one of them (with empty cells)
# can be read one distinct value at a time. Not so across types (1 == 1.0 == True), for 0.0 and -0.0, or
# for time stamps in different time zones.
_ONE_AT_A_TIME = (str, int, bool, float, date, datetime, pd.Timestamp)
_NO_VALUE = (type(None), type(pd.NaT))


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, distinct values in order of first appearance) of a column of cells, code -1 for a missing
    cell (None, NaN, NaT); None when cells that differ could compare equal (then each is read on its own)."""
    kinds = set(map(type, values)).difference(_NO_VALUE)
    if not kinds <= set(_ONE_AT_A_TIME) or len(kinds - {float}) > 1:
        return None
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    uniques = np.asarray(uniques, dtype=object)
    kinds = set(map(type, uniques))
    if len(kinds) > 1 or (float in kinds and any(u == 0 for u in uniques)):
        return None  # numbers besides NaN among other cells, or 0.0 beside -0.0
    if kinds & {datetime, pd.Timestamp} and any(u.tzinfo is not None for u in uniques):
        return None
    return codes, uniques


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
            given = mapping[col] if mapping[col] in headers else formats.as_shown(mapping[col].strip())  # as read
            if given not in headers:
                problems.append((col, None, f"mapped header {mapping[col]!r} is not in the file "
                                            f"(headers: {list(headers)})"))
            else:
                found[col] = given
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
    distinct = _distinct(values)
    codes, cells = distinct if distinct is not None else (np.arange(len(values)), values)
    cells, changed = _cells_as_shown(cells, codes)
    blank = np.fromiter(map(_is_empty, cells), dtype=bool, count=len(cells))
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
    column_problems: list[tuple[str | None, int | None, str]] = []
    ambiguous: list[str] = []
    date_formats: dict[str, str] = {}
    for col in src.frame.columns:
        kind = spec.column(col).kind
        values = src.frame[col].to_numpy(dtype=object)
        try:
            column, filled, codes, errors, fmt, changed = _parse_column(values, kind, date_format)
        except ColumnFormatProblem as exc:  # also an amount column in two number formats or currencies
            column_problems.append((col, None, str(exc)))
            if exc.ambiguous:
                ambiguous.append(col)
            continue
        if changed:
            as_shown[src.header_map.get(col, col)] = changed
        if fmt and filled.any():
            date_formats[col] = fmt
        bad = np.array([e is not None for e in errors] + [False], dtype=bool)[codes] & filled
        bad_rows = np.flatnonzero(bad).tolist()
        non_empty = int(column.has().sum()) + len(bad_rows)
        if non_empty == 0 and spec.column(col).required and len(values):
            column_problems.append((col, None, "required column has no values"))
        elif bad_rows and len(bad_rows) == non_empty >= MIN_BAD_CELLS_FOR_BAD_COLUMN:
            pos = bad_rows[0]
            hint = "" if spec.column(col).required else (
                f"; if this is not the {col} column, choose '(not in this file)' for it "
                f"(CLI: --map {spec.name}.{col}=)")
            column_problems.append((col, src.row_number(pos), f"no value in this column is a valid "
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
IDENTIFYING = {"employees": ("employee_id",), "mentorships": ("mentee_id", "mentor_id", "start_date")}


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
        raw = {k: (None if _is_empty(v) else str(v)) for k, v in row if k in needed}
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


def _vocabulary(column: "_Column", keep: np.ndarray, rule: Callable[[str], str], chosen: Mapping[str, str]
                ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Each kept row's meaning (the user's, else the keyword rule's) and the table of distinct wordings
    (one row per wording whatever its case or spacing, shown as most often written)."""
    chosen = {_wording_key(k): m for k, m in chosen.items()}
    alike, texts = pd.factorize(_objects(column.values)[:-1])
    rows = column.rows(alike.astype(np.int64), -1)[keep]
    present = rows[rows >= 0]
    seen, first = np.unique(present, return_index=True)
    count = np.bincount(present, minlength=len(texts))
    counts = {texts[k]: int(count[k]) for k in seen[np.argsort(first)].tolist()}  # in order of first row
    spellings: dict[str, Counter] = {}
    for v, c in counts.items():
        spellings.setdefault(_wording_key(v), Counter())[v] += c
    meaning = {key: chosen.get(key) or rule(key) for key in spellings}
    table = [{"given": spelled.most_common(1)[0][0], "mapped_to": meaning[key], "rows": sum(spelled.values()),
              "by": "you" if key in chosen else "rule"}
             for key, spelled in sorted(spellings.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))]
    return _objects([meaning[_wording_key(t)] if t in counts else None for t in texts])[rows], table


def _wording_key(value: str) -> str:
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
    frame = _kept(parsed, keep, EMPLOYEES)
    mapping: list[dict[str, Any]] = []
    if "termination_reason" in parsed:
        mapped, mapping = _vocabulary(reasons_in, keep, map_reason, options.reason_map)
        frame["termination_reason"] = pd.Series(mapped, dtype=object)
    notes = {"reason_mapping": mapping, "ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "header_row": src.header_row, "date_formats": date_formats, "sheet": src.sheet,
             "other_sheets": src.other_sheets, "as_shown": _as_shown_note(src, as_shown),
             "rejected_ids": {ids[i]: src.row_number(i) for i in problems if ids[i] is not None}}
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
    frame = _kept(parsed, keep, MENTORSHIPS)
    mapping: list[dict[str, Any]] = []
    if "program_type" in parsed:  # an unknown programme is kept as "other", never set aside
        mapped, mapping = _vocabulary(programs_in, keep, map_program, options.program_map)
        frame["program_type"] = pd.Series(mapped, dtype=object)
    notes = {"program_mapping": mapping, "ignored_columns": src.ignored_columns, "header_map": src.header_map,
             "header_row": src.header_row, "date_formats": date_formats, "sheet": src.sheet,
             "other_sheets": src.other_sheets, "as_shown": _as_shown_note(src, as_shown),
             "external_mentors": int((~_in(mentor, known))[keep].sum())}
    return ValidatedTable("mentorships", src.file, frame, _reject_frame(src, "mentorships", problems), notes)


def _as_shown_note(src: SourceTable, values: dict[str, list[tuple[str, str, int]]]) -> dict[str, Any]:
    """The headers and values read as they show, for the warning (wording.as_shown_warning)."""
    return {"headers": [list(pair) for pair in src.headers_as_shown],
            "values": {header: [list(c) for c in changed] for header, changed in values.items()}}


def _kept(parsed: dict[str, "_Column"], keep: np.ndarray, spec: TableSpec) -> pd.DataFrame:
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
    if kind == "integer":
        used, at = np.unique(codes[codes >= 0], return_inverse=True)
        position = np.full(len(codes), -1, dtype=np.int64)
        position[codes >= 0] = at
        return pd.Series(pd.array([values[k] for k in used.tolist()], dtype="Int64").take(position, allow_fill=True))
    return pd.Series(_objects(values)[codes], dtype=object)


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
                        + [wording.as_shown_warning(v.file, v.notes["as_shown"]["headers"], v.notes["as_shown"]["values"])
                           for v in (self.employees, self.mentorships) if _any_as_shown(v.notes)]
                        + quality_warnings(self.quality()),
        }


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
    progress.step("read", table="employees", file=_source_name(employees, employees_name))
    src = read_source(employees, EMPLOYEES, employees_name, mapping.get("employees"), header_rows.get("employees"))
    progress.step("check", table="employees", rows=len(src.frame))
    emp = validate_employees(src, options)
    progress.step("read", table="mentorships", file=_source_name(mentorships, mentorships_name))
    src = read_source(mentorships, MENTORSHIPS, mentorships_name, mapping.get("mentorships"),
                      header_rows.get("mentorships"))
    progress.step("check", table="mentorships", rows=len(src.frame))
    men = validate_mentorships(src, emp, options)
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
