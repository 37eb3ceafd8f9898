"""The DuckDB store's connection, its schema and the small reads every part of the product shares."""
from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analytics.common.errors import DatabaseBusy, RetentionError
from analytics.common.policy import BUSY_WAIT_SECONDS
from analytics.intake.schema import GENERATIONS


DEFAULT_DB = Path(__file__).resolve().parents[2] / "data" / "retention.duckdb"  # the repository's data/


SCHEMA = """
CREATE TABLE IF NOT EXISTS employees (
    employee_id VARCHAR NOT NULL, hire_date DATE NOT NULL, termination_date DATE,
    termination_reason VARCHAR, department VARCHAR, job_level VARCHAR, location VARCHAR,
    gender VARCHAR, birth_year INTEGER, manager_id VARCHAR, salary DOUBLE, performance_rating DOUBLE,
    regrettable BOOLEAN);
CREATE TABLE IF NOT EXISTS mentorships (
    mentorship_id INTEGER NOT NULL, mentee_id VARCHAR NOT NULL, start_date DATE NOT NULL,
    mentor_id VARCHAR, program_type VARCHAR, end_date DATE, meetings INTEGER);
CREATE TABLE IF NOT EXISTS job_history (
    employee_id VARCHAR NOT NULL, effective_date DATE NOT NULL, job_level VARCHAR, department VARCHAR,
    location VARCHAR, manager_id VARCHAR, salary DOUBLE, performance_rating DOUBLE, change_reason VARCHAR);
CREATE TABLE IF NOT EXISTS rejects (
    table_name VARCHAR, source_file VARCHAR, row_number INTEGER, column_name VARCHAR,
    reason VARCHAR, raw VARCHAR);
CREATE TABLE IF NOT EXISTS load_history (
    load_id INTEGER, loaded_at TIMESTAMP, source VARCHAR, employees_file VARCHAR,
    mentorships_file VARCHAR, employees_loaded INTEGER, mentorships_loaded INTEGER,
    rows_rejected INTEGER, report VARCHAR);
-- a database made before the job history: its load history gains the history's columns (empty for older loads)
ALTER TABLE load_history ADD COLUMN IF NOT EXISTS job_history_file VARCHAR;
ALTER TABLE load_history ADD COLUMN IF NOT EXISTS job_history_loaded INTEGER;
-- a database made before the regrettable flag: its employees gain the column (empty: no flag given)
ALTER TABLE employees ADD COLUMN IF NOT EXISTS regrettable BOOLEAN;
CREATE TABLE IF NOT EXISTS metadata (key VARCHAR NOT NULL, value VARCHAR);
CREATE TABLE IF NOT EXISTS warehouse_source (saved_at TIMESTAMP, source VARCHAR);
CREATE TABLE IF NOT EXISTS settings (key VARCHAR NOT NULL, value VARCHAR);  -- kept across loads and undo
CREATE SCHEMA IF NOT EXISTS saved;

CREATE OR REPLACE VIEW employee_facts AS
SELECT e.*,
    CASE {generation_bands} END AS generation,
    year(hire_date) AS hire_year
FROM employees e;

CREATE OR REPLACE VIEW mentorship_facts AS
SELECT m.*,
    mentor.employee_id IS NOT NULL AS mentor_is_employee,
    coalesce(m.mentor_id = mentee.manager_id, FALSE) AS mentor_is_manager,
    CASE WHEN mentor.generation IS NULL OR mentee.generation IS NULL THEN NULL
         ELSE mentor.generation <> mentee.generation END AS cross_generation,
    CASE WHEN mentor.birth_year IS NULL OR mentee.birth_year IS NULL THEN NULL
         ELSE mentor.birth_year > mentee.birth_year END AS reverse_pair
FROM mentorships m
JOIN employee_facts mentee ON mentee.employee_id = m.mentee_id
LEFT JOIN employee_facts mentor ON mentor.employee_id = m.mentor_id;
""".format(generation_bands=" ".join(f"WHEN birth_year BETWEEN {lo} AND {hi} THEN '{name}'"
                                     for name, lo, hi in GENERATIONS))


DATA_VERSION_SQL = "SELECT max(load_id), max(loaded_at) FROM load_history"


HAS_DATA_SQL = "SELECT count(*) > 0 FROM employees"
SAVED_TABLES_SQL = ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'saved' "
                    "AND table_name LIKE 'employees\\_%' ESCAPE '\\'")


def default_db_path() -> Path:
    return Path(os.environ.get("RETENTION_DB", DEFAULT_DB))


def connect(path: str | Path | None = None, read_only: bool = False,
            wait_seconds: float = BUSY_WAIT_SECONDS) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store at `path`, or an in-memory one for ':memory:'. DuckDB lets one
    program write a file at a time: while another holds it (the dashboard holds it only while it draws a
    page), this waits up to `wait_seconds`, then says so in words, without the file's path or a process id."""
    target = str(path or default_db_path())
    if target != ":memory:":
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with _OPEN_LOCK:
                con = duckdb.connect(target, read_only=read_only and Path(target).exists())
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise RetentionError(f"cannot open the database: {_plain(exc)}") from None
            if time.monotonic() >= deadline:
                raise DatabaseBusy("the database is in use by another program (a load, or the dashboard drawing "
                                   "a page); try again in a moment") from None
            time.sleep(0.2)
        except duckdb.Error as exc:
            # One thread's last connection to the file may still be letting go of it as another opens it
            # ("Unique file handle conflict"); it is gone a moment later.
            if "file handle conflict" in str(exc).lower() and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise RetentionError(f"cannot open the database: {_plain(exc)}") from None
    if not read_only:
        with _SCHEMA_LOCK:
            con.execute(SCHEMA)
    return con


# Connections of one program to one file share its catalog, and two that replace the same view at once fail
# ("write-write conflict"): the dashboard draws pages for several visitors, and a rerun, on threads of its own.
_SCHEMA_LOCK = threading.Lock()
# DuckDB keeps one instance per file for the program; two threads opening the file at once can both try to
# create it. Opening is quick, so the program opens one connection at a time.
_OPEN_LOCK = threading.Lock()


def _plain(exc: Exception) -> str:
    """A database error without the file's path or a process id."""
    text = str(exc).splitlines()[0]
    text = re.sub(r"\(PID \d+\)|PID \d+|\"[^\"]*\"|'[^']*'|/\S+", "…", text)
    return text


def organisation(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The organisation's name and logo (PNG or JPEG bytes) for the slides; None where not set."""
    rows = dict(con.execute("SELECT key, value FROM settings WHERE key IN ('organisation', 'logo')").fetchall())
    logo = rows.get("logo")
    return {"name": rows.get("organisation") or None, "logo": base64.b64decode(logo) if logo else None}


def set_organisation(con: duckdb.DuckDBPyConnection, name: str | None, logo: bytes | None = None,
                     keep_logo: bool = True) -> None:
    """Save the name (None or blank: no name) and the logo (None: keep the saved one, unless `keep_logo` is False)."""
    con.begin()
    try:
        con.execute("DELETE FROM settings WHERE key = 'organisation'")
        if name and name.strip():
            con.execute("INSERT INTO settings VALUES ('organisation', ?)", [name.strip()])
        if logo is not None or not keep_logo:
            con.execute("DELETE FROM settings WHERE key = 'logo'")
        if logo is not None:
            con.execute("INSERT INTO settings VALUES ('logo', ?)", [base64.b64encode(logo).decode("ascii")])
        con.commit()
    except Exception:
        con.rollback()
        raise


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple | None:
    """The first row of a query, with the result read to the end (no unfinished result is left on
    the connection, which would block registering frames on it afterwards)."""
    rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    return rows[0] if rows else None


def frame(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """A stored table as a frame, in a stable order."""
    order = {"employees": "employee_id", "mentorships": "mentorship_id", "rejects": "table_name, row_number",
             "job_history": "employee_id, effective_date",
             "load_history": "load_id", "metadata": "key"}
    if table not in order:
        raise RetentionError(f"table must be one of {sorted(order)}, but was {table!r}")
    return con.execute(f"SELECT * FROM {table} ORDER BY {order[table]}").df()


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """The rows a data table holds now."""
    if table not in ("employees", "mentorships", "job_history", "rejects"):
        raise RetentionError(f"table must be employees, mentorships, job_history or rejects, but was {table!r}")
    return int(first_row(con, f"SELECT count(*) FROM {table}")[0])  # a name from the list above, never the user's


def metadata(con: duckdb.DuckDBPyConnection, key: str) -> Any:
    row = first_row(con, "SELECT value FROM metadata WHERE key = ?", [key])
    return json.loads(row[0]) if row else None


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the data loaded is the simulated demo company."""
    return metadata(con, "demo_truth") is not None


def has_data(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(first_row(con, HAS_DATA_SQL)[0])


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever a load replaces the data: part of every dashboard cache key."""
    load_id, loaded_at = first_row(con, DATA_VERSION_SQL)
    return f"{load_id}@{loaded_at}"


def as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RetentionError(f"as_of must be a YYYY-MM-DD date, but was {value!r}") from None
