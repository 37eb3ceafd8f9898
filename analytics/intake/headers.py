"""Map a file's headers to the data contract's columns: the file's own names, the synonyms HR systems use, or the
user's choices."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from analytics.common.errors import InputFileError
from analytics.intake import formats, languages
from analytics.intake.reading import RawTable, blank_rows, read_raw
from analytics.intake.schema import TableSpec, header_names, normalise_header
from analytics.words.loading import map_hint


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
    # the header problems of a file read with keep_problems (a required column missing, a mapped header not there):
    # said with its columns' own problems when it is checked (validation._parse_table)
    header_problems: list[tuple[str | None, int | None, str]] = field(default_factory=list)
    sheet_found: bool = False    # the sheet was found by its column names (the first was a cover or a summary)
    totals_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, its first cell) left out as totals

    def row_number(self, position: int) -> int:
        if self.row_numbers is not None:
            return int(self.row_numbers[position])
        return position + 2  # header is row 1


def read_source(source: Any, spec: TableSpec, name: str | None = None,
                mapping: Mapping[str, str | None] | None = None, header_row: int | None = None,
                keep_problems: bool = False, sheet: str | None = None) -> SourceTable:
    """Read a CSV, Parquet or Excel file (or take a table already read, see typed_table) and match its
    headers to the contract. A header problem raises InputFileError, or, with `keep_problems`, is kept on the table
    (header_problems) so that checking it says it with the problems of the columns that were found. Rows at the
    bottom that sum up the others ('Total', 'Summe') are left out and listed (totals_rows)."""
    raw_table = source if isinstance(source, RawTable) else read_raw(source, name, spec, header_row, sheet)
    raw, file = raw_table.frame, raw_table.file
    header_map, header_problems = _found_headers(list(raw.columns), spec, file, mapping or {})
    if header_problems and not keep_problems:
        raise InputFileError.all_of(file, header_problems)
    positions = np.flatnonzero(~blank_rows(raw))  # a wholly blank row is no record: skipped, not set aside
    totals = _totals_at_the_bottom(raw, positions, header_map.get(spec.required[0]))
    if totals:
        positions = positions[:len(positions) - len(totals)]
    if len(positions) < len(raw) or not raw.index.equals(pd.RangeIndex(len(raw))):
        raw = raw.iloc[positions].reset_index(drop=True)
    frame = pd.DataFrame({col: raw[header].to_numpy(dtype=object) for col, header in header_map.items()})
    ignored = [c for c in raw.columns if c not in header_map.values() and not c.startswith("(column ")]
    problems = {}
    if raw_table.row_problems:
        where = {p: i for i, p in enumerate(positions.tolist())}
        problems = {where[p]: why for p, why in raw_table.row_problems.items() if p in where}
    totals_rows = [(int(raw_table.row_numbers[p]), first) for p, first in totals]
    return SourceTable(file, frame, raw, ignored, header_map, raw_table.row_numbers[positions],
                       raw_table.header_row, problems, raw_table.sheet, raw_table.other_sheets,
                       raw_table.headers_as_shown, header_problems, raw_table.sheet_found, totals_rows[::-1])


MAX_TOTALS_ROWS = 5  # a report's bottom lines: a total, a count, an average, ...


def _totals_at_the_bottom(raw: pd.DataFrame, positions: np.ndarray, id_header: str | None) -> list[tuple[int, str]]:
    """The last rows (positions in `raw`, from the bottom) whose first cell, or whose id, says they sum up the rows
    above ('Total', 'Grand total', 'Summe', 'Gesamt', 'Totaal', ...: languages.TOTALS), with that cell."""
    found: list[tuple[int, str]] = []
    if raw.shape[1] == 0:
        return found
    columns = [raw.columns[0]] + ([id_header] if id_header is not None and id_header != raw.columns[0] else [])
    for p in positions[::-1][:MAX_TOTALS_ROWS].tolist():
        first = next((raw[c].iat[p] for c in columns if languages.is_totals(raw[c].iat[p])), None)
        if first is None:
            break
        found.append((p, str(first).strip()))
    return found


NOT_IN_FILE = None  # a mapping to None: the column is not in this file, whatever its headers look like


def _match_headers(headers: list[str], spec: TableSpec, file: str,
                   mapping: Mapping[str, str | None]) -> dict[str, str]:
    found, problems = _found_headers(headers, spec, file, mapping)
    if problems:
        raise InputFileError.all_of(file, problems)
    return found


def _found_headers(headers: list[str], spec: TableSpec, file: str, mapping: Mapping[str, str | None]
                   ) -> tuple[dict[str, str], list[tuple[str | None, int | None, str]]]:
    """Each contract column's header, and the problems: every one at once (a column of the map that the contract
    does not have refuses the map at once)."""
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
    problems += [(c, None, f"required column missing: no header of the file is known as {c}; "
                           f"{map_hint(file, spec.name, c)} (headers found: {list(headers)})") for c in missing]
    return found, problems


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
