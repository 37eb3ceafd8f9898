"""Read input files (CSV, Excel, Parquet) into raw tables, every bound checked before they are parsed.

File-level problems raise InputFileError (the load is refused whole). In a spreadsheet the header row is found by
the names it holds; headers.py maps the headers to the contract's columns, and validation.py checks each row.
"""
from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.common.errors import InputFileError
from analytics.common.policy import (HEADER_SEARCH_ROWS, MAX_CELLS, MAX_CELL_CHARS, MAX_FILE_BYTES,
                                     MAX_SHEET_CELLS, MAX_UNPACKED_BYTES)
from analytics.intake import formats
from analytics.intake.schema import TableSpec, header_names, normalise_header


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
    sheet_found: bool = False    # the sheet read was found by its column names (the first was a cover or summary)


# ---------------------------------------------------------------- reading

def source_name(source: Any, name: str | None) -> str:
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
             header_row: int | None = None, sheet: str | None = None) -> RawTable:
    """A file as read, every column kept: for previews, the header-mapping form and validation.
    `header_row` (1-based) says where the header is; otherwise, in a spreadsheet, it is the first of the
    first rows that holds two or more names `spec` recognises (row 1 when none does). `sheet` names a workbook's
    sheet; otherwise it is the sheet whose header names the most of them (see _pick_sheet)."""
    file, kind, rows = _rows(source, name)
    if isinstance(rows, _Workbook):
        rows = _pick_sheet(file, rows, spec, sheet)
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


def find_header_row(source: Any, name: str | None = None, spec: TableSpec | None = None,
                    sheet: str | None = None) -> int:
    """The row a file's header is on (1 for Parquet), as read_raw would find it: for a form that lets
    the user change it even when that row is not a usable header."""
    file, kind, rows = _rows(source, name)
    if isinstance(rows, _Workbook):
        rows = _pick_sheet(file, rows, spec, sheet)
    return 1 if kind == "parquet" else _header_row(rows, spec)[0]


def found_sheet(source: Any, name: str | None = None, spec: TableSpec | None = None) -> str | None:
    """The sheet read_raw reads when none is named (None for a CSV or Parquet file)."""
    file, _, rows = _rows(source, name)
    return _pick_sheet(file, rows, spec, None).title if isinstance(rows, _Workbook) else None


def _rows(source: Any, name: str | None) -> tuple[str, str, Any]:
    """The file's name, its kind and its rows as lists of cells (a frame for Parquet). Its size, its cells and the
    length of each cell are checked against the bounds in policy.py before it is parsed (the cells of a CSV from
    its lines, of a workbook from its zip's directory and the sheet's XML, of a Parquet file from its footer)."""
    if isinstance(source, ParsedFile):
        return source.name, source.kind, source.rows
    file = source_name(source, name)
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
    sep = separator(text)
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


def separator(text: str) -> str:
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
        read = {}
        for sheet in sheets:  # every sheet a person sees: the data may be on any of them (after a cover, a summary)
            _refuse_stated_range(file, sheet)
            sheet.reset_dimensions()  # some exporters state a wrong sheet size; read what is there
            rows, cells = [], 0
            for row in sheet.iter_rows(values_only=True):
                cells += len(row) or 1  # a row is as wide as its last cell: a few far-off cells make wide rows
                if cells > MAX_SHEET_CELLS:
                    raise InputFileError(file, f"its sheet {sheet.title!r} spans more than {MAX_SHEET_CELLS:,} cells "
                                               f"(to row {len(rows) + 1:,}); a sheet may hold at most "
                                               f"{MAX_SHEET_CELLS:,} cells: save it as CSV (up to {MAX_CELLS:,} cells)")
                rows.append(list(row))
            read[sheet.title] = rows
        titles = [ws.title for ws in book.worksheets]
    finally:
        book.close()
    return _Workbook(read, titles)


class _Workbook(dict):
    """The rows of each sheet a person sees (title -> rows, in the workbook's order) and every sheet's title."""

    def __init__(self, sheets: dict[str, list[list[Any]]], titles: list[str]):
        super().__init__(sheets)
        self.titles = titles


def sheet_names(source: Any, name: str | None = None) -> list[str]:
    """The sheets of a workbook that can be read, in its order ([] for a CSV or Parquet file)."""
    _, kind, rows = _rows(source, name)
    return list(rows) if isinstance(rows, _Workbook) else []


def _pick_sheet(file: str, book: _Workbook, spec: TableSpec | None, sheet: str | None) -> "_SheetRows":
    """The sheet named (exactly, else in any case), or the one whose header row names the most columns the contract
    knows (two at least; the first on a tie): a cover or a summary before the data is passed over. The first sheet
    when none does."""
    titles = list(book)
    if sheet is not None:
        chosen = sheet if sheet in book else next((t for t in titles if t.strip().lower() == sheet.strip().lower()),
                                                  None)
        if chosen is None:
            raise InputFileError(file, f"has no sheet {sheet!r}; its sheets are {', '.join(map(repr, titles))}")
        found = False
    else:
        scores = [_header_row(book[t], spec, with_count=True)[2] for t in titles]
        best = max(range(len(titles)), key=lambda i: (scores[i], -i))
        chosen = titles[best] if scores[best] >= 2 else titles[0]
        found = chosen != titles[0]
    return _SheetRows(book[chosen], chosen, [t for t in book.titles if t != chosen], found)


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
    """A sheet's rows, with the sheet's name, the workbook's other sheets (which are not read) and whether the sheet
    was found by its column names (not named, not the first)."""

    def __init__(self, rows: list[list[Any]], title: str, others: list[str], found: bool = False):
        super().__init__(rows)
        self.title, self.others, self.found = title, others, found


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
        stray = [v for v in row[width:] if not is_empty(v)]
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
        table.sheet_found = rows.found
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
    filled = sum(1 for i in np.flatnonzero(lengths > j).tolist() if not is_empty(data[i][j]))
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

    text = "" if is_empty(value) else formats.as_shown(str(value).strip()).strip()
    return text or f"(column {get_column_letter(j + 1)})"


def _headers_as_shown(cells: list[Any], header: list[str]) -> list[tuple[str, str]]:
    """(as written, as read) for each header that formats.as_shown changed."""
    written = ["" if is_empty(v) else str(v).strip() for v in cells]
    return [(w, h) for w, h in zip(written, header) if w and w != h]


def _header_row(rows: list[list[Any]], spec: TableSpec | None, with_count: bool = False) -> Any:
    """Of the first rows, the one naming the most columns the contract knows (two at least, the first
    such row on a tie); row 1 when none does. Report settings above a table name a few, the header most.
    (row, found) or, `with_count`, (row, found, how many names it holds)."""
    if spec is None:
        return (1, False, 0) if with_count else (1, False)
    known = {name for col in spec.names for name in header_names(spec.name, col)}
    best, hits = 1, 1
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        count = len({normalise_header(v) for v in row if not is_empty(v)} & known)
        if count > hits:
            best, hits = i + 1, count
    return (best, hits >= 2, hits) if with_count else (best, hits >= 2)


def blank_rows(raw: pd.DataFrame) -> np.ndarray:
    """Rows with no value in any column (stops early: most files have none)."""
    blank = np.ones(len(raw), dtype=bool)
    for j in range(raw.shape[1]):
        values = raw.iloc[:, j]
        distinct = distinct_cells(values.to_numpy()) if values.dtype == object else None
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


def distinct_cells(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
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


# ---------------------------------------------------------------- cell parsing

# Words HR exports and spreadsheets put in an empty cell ("NA" is left alone: it is North America too).
MISSING_MARKERS = frozenset({"n/a", "#n/a", "n.a.", "null", "none", "nan", "nat", "<na>", "-", "--", "(blank)",
                             "not applicable", "0000-00-00", "00.00.0000", "00/00/0000"})


_LONGEST_MARKER = max(map(len, MISSING_MARKERS))


def is_empty(v: Any) -> bool:
    if isinstance(v, str):  # most cells: checked first, and the marker look-up only for short text
        text = v.strip()
        return not text or (len(text) <= _LONGEST_MARKER and text.lower() in MISSING_MARKERS)
    if v is None or v is pd.NaT or v is pd.NA:
        return True
    if isinstance(v, (float, np.floating)) and np.isnan(v):
        return True
    return isinstance(v, np.datetime64) and bool(np.isnat(v))
