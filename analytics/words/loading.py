"""What a load says about how its files were read, beyond the data-quality warnings of wording: the sheet found in a
workbook, totals rows left out, the columns not read and what that changes, the wordings whose meaning is asked
about, and where a column is mapped by hand (the Data page's mapping panel, the CLI's --map)."""
from __future__ import annotations

from analytics.common.policy import MAX_CHANGED_SHOWN


def map_hint(file: str, table: str, column: str) -> str:
    """Where a column is chosen by hand: the Data page's mapping panel, or the CLI's --map."""
    return (f"choose its column under 'Columns of {file}' on the Data page, or give "
            f"--map {table}.{column}=HEADER")


def found_sheet_warning(file: str, sheet: str, others: list[str]) -> str:
    """The first sheet was a cover or a summary: the sheet whose header names the most columns was read."""
    return (f"The sheet '{sheet}' of {file} was read, found by its column names; its other sheets "
            f"({', '.join(others)}) were not. Choose another sheet on the Data page, or with --sheet.")


def totals_rows_warning(file: str, rows: list[tuple[int, str]]) -> str:
    said = ", ".join(f"row {row} ('{first}')" for row, first in rows)
    return f"{file}: {said} sum{'s' * (len(rows) == 1)} up the rows above and {'was' if len(rows) == 1 else 'were'} left out."


def no_exit_dates_warning(file: str) -> str:
    return (f"No column of {file} was read as termination_date (the day someone left): no exit is counted at all, "
            "and the analysis runs to the latest day in the files. If the file has one, "
            + map_hint(file, "employees", "termination_date") + ".")


def no_reasons_warning(file: str, exits: int) -> str:
    return (f"No column of {file} was read as termination_reason: every exit ({exits:,}) counts as leaving, "
            "dismissals and retirements too (as voluntary, when voluntary exits are counted). If the file has one, "
            + map_hint(file, "employees", "termination_reason") + ".")


def unclear_reasons_warning(unclear: list[tuple[str, int]]) -> str:
    """Termination reasons whose meaning the rules cannot tell (a mutual agreement): 'other' until the user says."""
    listed = "; ".join(f"'{given}' ({rows:,} row{'s' * (rows != 1)})" for given, rows in unclear[:MAX_CHANGED_SHOWN])
    more = f" and {len(unclear) - MAX_CHANGED_SHOWN:,} more" if len(unclear) > MAX_CHANGED_SHOWN else ""
    one = len(unclear) == 1
    return (f"What {len(unclear):,} termination reason{'' if one else 's'} mean{'s' if one else ''} is not clear "
            f"({listed}{more}): {'it does' if one else 'they do'} not say who decided, so {'it is' if one else 'they are'} "
            "read as 'other' until you say: under 'What each termination reason means' on the Data page, or in a "
            "file given to --reason-map (the wording, then voluntary, involuntary, retirement or other).")
