"""The read-side SQL of the target trial (analytics/estimation/trial.py): every person-month at which someone could
have started mentoring, with their characteristics as they were on the first day of that month.

Months are numbered from the year 0 (year * 12 + month - 1), so a month's first day is
make_date(month // 12, month % 12 + 1, 1). The caller says, for each person, the first and the last month they were
eligible (employed on its first day, long enough, not yet mentored); DuckDB writes out one row per person and month
and, with a job history, joins each to the latest change on or before that month's first day (a field a change
leaves empty keeps its value before; before a person's first change, the employee file's values), as the follow-up's
split does (queries.HISTORY_SPLIT_TEMPLATE).
"""
from __future__ import annotations

import uuid

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from analytics.store.queries import HISTORY_COLUMNS, has_history

MONTH_START = "make_date(CAST(month // 12 AS INTEGER), CAST(month % 12 + 1 AS INTEGER), 1)"

PERSON_MONTHS_SQL = """
SELECT i, unnest(range(first_month, last_month + 1)) AS month FROM {people} WHERE first_month <= last_month
ORDER BY i, month"""

PERSON_MONTHS_HISTORY_SQL = """
WITH pm AS (
    SELECT i, employee_id, month, {month_start} AS month_start FROM (
        SELECT i, employee_id, unnest(range(first_month, last_month + 1)) AS month
        FROM {people} WHERE first_month <= last_month)
), changes AS (
    SELECT p.i, h.effective_date,
        {filled}
    FROM {people} p JOIN employees e ON e.employee_id = p.employee_id
    JOIN job_history h ON h.employee_id = p.employee_id
    WHERE p.first_month <= p.last_month
    WINDOW person AS (PARTITION BY p.i ORDER BY h.effective_date ROWS UNBOUNDED PRECEDING)
)
SELECT pm.i, pm.month, ch.effective_date IS NOT NULL AS from_history, {changed}
FROM pm ASOF LEFT JOIN changes ch ON ch.i = pm.i AND pm.month_start >= ch.effective_date
ORDER BY pm.i, pm.month"""


def person_months(con: duckdb.DuckDBPyConnection, employee_id: np.ndarray, first_month: np.ndarray,
                  last_month: np.ndarray, changing: tuple[str, ...] = HISTORY_COLUMNS) -> dict:
    """One row per person (`i`: their position in the arrays given) and month from their first to their last
    eligible month, in that order, as arrays: `i`, `month`; with a job history loaded, also `from_history` and each
    of `changing` as it was on the month's first day: a number as floats (NaN where the history gives no value: the
    caller keeps the employee file's), a text as (codes, values), code -1 where the history gives none. Texts travel
    as codes (Arrow's dictionary), not as one Python string per person-month."""
    people = pd.DataFrame({"i": np.arange(len(employee_id), dtype=np.int64), "employee_id": employee_id,
                           "first_month": np.asarray(first_month, dtype=np.int64),
                           "last_month": np.asarray(last_month, dtype=np.int64)})
    name = f"_trial_people_{uuid.uuid4().hex}"
    con.register(name, people)
    try:
        if changing and has_history(con):
            filled = ",\n        ".join(f"coalesce(last_value(h.{c} IGNORE NULLS) OVER person, e.{c}) AS {c}"
                                       for c in changing)
            sql = PERSON_MONTHS_HISTORY_SQL.format(people=name, month_start=MONTH_START, filled=filled,
                                                   changed=", ".join(f"ch.{c}" for c in changing))
        else:
            sql = PERSON_MONTHS_SQL.format(people=name)
        table = con.sql(sql).to_arrow_table()
    finally:
        con.unregister(name)
    out = {}
    for column in table.column_names:
        values = table[column].combine_chunks()
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            encoded = values.dictionary_encode()
            codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
            out[column] = (codes, encoded.dictionary.to_pylist())
        elif column in ("i", "month"):
            out[column] = values.to_numpy(zero_copy_only=False).astype(np.int64)
        elif pa.types.is_boolean(values.type):
            out[column] = values.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
        else:
            out[column] = values.cast(pa.float64()).fill_null(float("nan")).to_numpy(zero_copy_only=False)
    return out
