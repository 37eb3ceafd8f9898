"""The DuckDB store: tables, derived views, transactional loads and the follow-up query.

All SQL of the product lives here; user values reach it only as bound parameters.
"""
from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import duckdb
import numpy as np
import pandas as pd

from . import progress
from .cohorts import FILTER_DIMENSIONS, Cohort
from .errors import DatabaseBusy, EmptyDataError, RetentionError
from .ingest import LoadPlan, QualityCounts, ReadOptions, prepare_load, quality_warnings
from .policy import BUSY_WAIT_SECONDS, KEEP_LOADS
from .schema import EMPLOYEES, GENERATIONS, MENTORSHIPS

DEFAULT_DB = Path(__file__).resolve().parent.parent / "data" / "retention.duckdb"
EVENTS = ("voluntary", "all")

SCHEMA = """
CREATE TABLE IF NOT EXISTS employees (
    employee_id VARCHAR NOT NULL, hire_date DATE NOT NULL, termination_date DATE,
    termination_reason VARCHAR, department VARCHAR, job_level VARCHAR, location VARCHAR,
    gender VARCHAR, birth_year INTEGER, manager_id VARCHAR, salary DOUBLE, performance_rating DOUBLE);
CREATE TABLE IF NOT EXISTS mentorships (
    mentorship_id INTEGER NOT NULL, mentee_id VARCHAR NOT NULL, start_date DATE NOT NULL,
    mentor_id VARCHAR, program_type VARCHAR, end_date DATE, meetings INTEGER);
CREATE TABLE IF NOT EXISTS rejects (
    table_name VARCHAR, source_file VARCHAR, row_number INTEGER, column_name VARCHAR,
    reason VARCHAR, raw VARCHAR);
CREATE TABLE IF NOT EXISTS load_history (
    load_id INTEGER, loaded_at TIMESTAMP, source VARCHAR, employees_file VARCHAR,
    mentorships_file VARCHAR, employees_loaded INTEGER, mentorships_loaded INTEGER,
    rows_rejected INTEGER, report VARCHAR);
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

# The filters every page applies, as bound parameters: an empty list means no filter.
COHORT_FILTER = " AND ".join(f"(len(${d}) = 0 OR list_contains(${d}, f.{d}))" for d in FILTER_DIMENSIONS) + \
    " AND f.hire_year BETWEEN $hire_year_from AND $hire_year_to"
# Follow-up ends at the exit, or at the as-of date for everyone still employed then.
EXITED = "(f.termination_date IS NOT NULL AND f.termination_date <= $as_of)"
FOLLOWUP_END = f"CASE WHEN {EXITED} THEN f.termination_date ELSE CAST($as_of AS DATE) END"

# The episodes (EPISODES_SQL, episodes_sql): one row per employee hired on or before the as-of date, with
# follow-up, event flags and the first mentorship that began during employment (before hire counts from hire;
# one that begins on or after the end of follow-up gives no mentored time and is ignored).
_EPISODES_WITH = f"""
WITH emp AS (
    SELECT f.*, {EXITED} AS exited, {FOLLOWUP_END} AS followup_end
    FROM employee_facts f
    WHERE f.hire_date <= $as_of AND {COHORT_FILTER}
), during AS (
    SELECT m.*, greatest(m.start_date, e.hire_date) AS exposed_from,
        row_number() OVER (PARTITION BY m.mentee_id ORDER BY m.start_date, m.mentorship_id) AS k
    FROM mentorship_facts m JOIN emp e ON e.employee_id = m.mentee_id
    WHERE m.start_date < e.followup_end
), firsts AS (
    SELECT mentee_id, exposed_from, program_type, mentor_id, mentor_is_employee, mentor_is_manager, reverse_pair,
        cross_generation FROM during WHERE k = 1
)"""
# what some columns need besides: each mentee's mentorships counted, each mentor's first time as one
_EPISODES_TOTALS = """, totals AS (
    SELECT mentee_id, count(*) AS n_mentorships, sum(meetings) AS meetings FROM during GROUP BY mentee_id
)"""
_EPISODES_AS_MENTOR = """, as_mentor AS (
    SELECT m.mentor_id, min(m.start_date) AS first_as_mentor
    FROM mentorships m JOIN emp e ON e.employee_id = m.mentor_id
    WHERE m.start_date >= e.hire_date AND m.start_date < e.followup_end
    GROUP BY m.mentor_id
)"""
# each column from the employee (e), their first mentorship during employment (f), the counts (t) and their own
# first mentoring (am)
_EPISODE_EXPRESSIONS = {
    **{name: f"e.{name}" for name in ("employee_id", "department", "job_level", "location", "gender", "birth_year",
                                       "generation", "hire_year", "manager_id", "salary", "performance_rating",
                                       "hire_date", "followup_end")},
    "duration_days": "date_diff('day', e.hire_date, e.followup_end)",
    "exited": "e.exited",
    "exit_reason": "CASE WHEN e.exited THEN e.termination_reason END",
    "event": """CASE WHEN NOT e.exited THEN FALSE
         WHEN $event = 'all' THEN TRUE
         ELSE coalesce(e.termination_reason = 'voluntary', FALSE) END""",
    "mentored_from_day": "date_diff('day', e.hire_date, f.exposed_from)",
    "mentored": "f.exposed_from IS NOT NULL",
    **{name: f"f.{name}" for name in ("program_type", "mentor_id", "mentor_is_employee", "mentor_is_manager",
                                       "reverse_pair", "cross_generation")},
    "n_mentorships": "coalesce(t.n_mentorships, 0)",
    "meetings": "t.meetings",
    "mentor_from_day": "date_diff('day', e.hire_date, am.first_as_mentor)",
}
EPISODE_COLUMNS = tuple(_EPISODE_EXPRESSIONS)


def episodes_sql(columns: tuple[str, ...] | None = None) -> str:
    """The episodes' query with the columns given, in that order (default: every one of EPISODE_COLUMNS): each
    mentee's mentorships counted, and each mentor's own first mentoring, only for the columns that need them."""
    names = EPISODE_COLUMNS if columns is None else tuple(_column(name) for name in columns)
    counts, as_mentor = bool({"n_mentorships", "meetings"} & set(names)), "mentor_from_day" in names
    return "".join((
        _EPISODES_WITH, _EPISODES_TOTALS if counts else "", _EPISODES_AS_MENTOR if as_mentor else "",
        "\nSELECT ", ",\n    ".join(f"{_EPISODE_EXPRESSIONS[name]} AS {name}" for name in names),
        "\nFROM emp e\nLEFT JOIN firsts f ON f.mentee_id = e.employee_id",
        "\nLEFT JOIN totals t ON t.mentee_id = e.employee_id" if counts else "",
        "\nLEFT JOIN as_mentor am ON am.mentor_id = e.employee_id" if as_mentor else "",
        "\nORDER BY employee_id\n"))


def _column(name: str) -> str:
    """An episodes column's name in SQL (only the names EPISODES_SQL gives are accepted)."""
    if not isinstance(name, str) or name not in _EPISODE_EXPRESSIONS:
        raise RetentionError(f"columns must be among {EPISODE_COLUMNS}, but had {name!r}")
    return name


EPISODES_SQL = episodes_sql()  # every column

# the columns the headline's figures and where to extend next read (summary.summarise; models.CATEGORICAL and
# NUMERIC are among them, a test checks it): the CLI's summary reads no others
HEADLINE_COLUMNS = ("employee_id", "duration_days", "exited", "exit_reason", "event", "mentored", "mentored_from_day",
                    "salary", "department", "job_level", "location", "gender", "generation", "hire_year",
                    "performance_rating")

# Counting-process rows: (0, m] unmentored then (m, T] mentored; one row when never mentored
# or mentored from day 0. Employees with no follow-up time (T = 0) have no rows. The same
# split serves the mentors' own retention, on the day they first mentored someone. Only the
# timing columns go through DuckDB; the covariates are carried along by row position, so a
# cohort's follow-up is read from the tables once.
SPLIT_COLUMNS = {"mentee": "mentored_from_day", "mentor": "mentor_from_day"}
SPLIT_TEMPLATE = """
SELECT row, 0 AS start,
    CASE WHEN day > 0 THEN day ELSE duration_days END AS stop,
    CASE WHEN day > 0 THEN FALSE ELSE event END AS event,
    coalesce(day = 0, FALSE) AS mentored
FROM {table} WHERE duration_days > 0
UNION ALL
SELECT row, day AS start, duration_days AS stop, event, TRUE AS mentored
FROM {table} WHERE day > 0
ORDER BY row, start
"""

DATA_FACTS_SQL = """
SELECT
    (SELECT count(*) FROM employees) AS n_employees,
    (SELECT count(*) FROM mentorships) AS n_mentorships,
    (SELECT count(*) FROM rejects) AS n_rejects,
    (SELECT count(termination_reason) FROM employees) AS n_with_reason,
    (SELECT min(hire_date) FROM employees) AS first_hire,
    (SELECT greatest(max(hire_date), max(termination_date)) FROM employees) AS last_employee_date,
    (SELECT max(start_date) FROM mentorships) AS last_mentorship_start
"""

IGNORED_MENTORSHIPS_SQL = f"""
SELECT count(*) FROM mentorships m JOIN employee_facts f ON f.employee_id = m.mentee_id
WHERE f.hire_date <= $as_of AND m.start_date >= {FOLLOWUP_END} AND {COHORT_FILTER}"""

HIRED_AFTER_SQL = f"SELECT count(*) FROM employee_facts f WHERE f.hire_date > $as_of AND {COHORT_FILTER}"
# EPISODES_SQL's rows, counted: everyone hired by the as-of date in the cohort (its joins add no rows)
IN_SCOPE_SQL = f"SELECT count(*) FROM employee_facts f WHERE f.hire_date <= $as_of AND {COHORT_FILTER}"

# People employed at the as-of date (with follow-up time, as the business case's people) whose mentorship is running
# then: begun by that day and not ended before it (no end date: ongoing, as the contract says). "Mentored now", as
# against "ever mentored".
MENTORED_NOW_SQL = f"""
SELECT count(DISTINCT f.employee_id) FROM employee_facts f JOIN mentorships m ON m.mentee_id = f.employee_id
WHERE f.hire_date < $as_of AND NOT {EXITED} AND m.start_date <= $as_of
  AND (m.end_date IS NULL OR m.end_date >= $as_of) AND {COHORT_FILTER}"""

DATA_VERSION_SQL = "SELECT max(load_id), max(loaded_at) FROM load_history"

# Mentoring still running at the as-of date for the cohort's current staff: days left of each mentee's
# longest running mentorship (its end date, or its start plus the default length where none is given).
MENTORING_LEFT_SQL = f"""
SELECT m.mentee_id, max(date_diff('day', CAST($as_of AS DATE),
           coalesce(m.end_date, CAST(m.start_date + to_days(CAST($default_days AS INTEGER)) AS DATE)))) AS days_left
FROM mentorships m JOIN employee_facts f ON f.employee_id = m.mentee_id
WHERE f.hire_date <= $as_of AND NOT {EXITED} AND m.start_date <= $as_of AND {COHORT_FILTER}
GROUP BY m.mentee_id HAVING days_left > 0
ORDER BY m.mentee_id"""  # one order every time, so the sum of the days left is the same to the last digit
HAS_DATA_SQL = "SELECT count(*) > 0 FROM employees"
SAVED_TABLES_SQL = ("SELECT table_name FROM information_schema.tables WHERE table_schema = 'saved' "
                    "AND table_name LIKE 'employees\\_%' ESCAPE '\\'")
HISTORY_SQL = ("SELECT load_id, loaded_at, source, employees_file, mentorships_file, employees_loaded, "
               "mentorships_loaded, rows_rejected FROM load_history ORDER BY load_id DESC")


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
            raise RetentionError(f"cannot open the database: {_plain(exc)}") from None
    if not read_only:
        with _SCHEMA_LOCK:
            con.execute(SCHEMA)
    return con


# Connections of one program to one file share its catalog, and two that replace the same view at once fail
# ("write-write conflict"): the dashboard draws pages for several visitors, and a rerun, on threads of its own.
_SCHEMA_LOCK = threading.Lock()


def _plain(exc: Exception) -> str:
    """A database error without the file's path or a process id."""
    text = str(exc).splitlines()[0]
    text = re.sub(r"\(PID \d+\)|PID \d+|\"[^\"]*\"|'[^']*'|/\S+", "…", text)
    return text


def load_plan(con: duckdb.DuckDBPyConnection, plan: LoadPlan, source: str = "files",
              metadata: Mapping[str, Any] | None = None, warehouse: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Replace the store's contents with a validated plan, all in one transaction. `warehouse`: the warehouse
    source the plan was read from (no password), kept in the same transaction for refreshing it later."""
    progress.step("write", rows=len(plan.employees.frame) + len(plan.mentorships.frame) + len(plan.rejects))
    report = plan.report()
    mentorships = plan.mentorships.frame.copy()
    mentorships.insert(0, "mentorship_id", range(1, len(mentorships) + 1))
    metadata = {"vocabulary": _merged_vocabulary(vocabulary(con), plan.vocabulary()), **(metadata or {}),
                "load_report": report}  # travels with the data: kept, saved and brought back by undo with it
    con.begin()
    try:
        load_id = first_row(con, "SELECT coalesce(max(load_id), 0) + 1 FROM load_history")[0]
        replaced = _save_current(con, load_id)  # nothing lost: the data this load replaces can be brought back
        _prune(con, replaced)
        for name in DATA_TABLES:
            con.execute(f"DELETE FROM {name}")
        _insert(con, "employees", plan.employees.frame)
        _insert(con, "mentorships", mentorships)
        _insert(con, "rejects", plan.rejects)
        for key, value in metadata.items():
            con.execute("INSERT INTO metadata VALUES (?, ?)", [key, json.dumps(value, default=str)])
        con.execute("INSERT INTO load_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            load_id, datetime.now(timezone.utc).replace(tzinfo=None), source, plan.employees.file,
            plan.mentorships.file, len(plan.employees.frame), len(mentorships), len(plan.rejects),
            json.dumps(report, default=str)])
        if warehouse is not None:  # kept apart from the data: a file load or an undo leaves it as it is
            con.execute("DELETE FROM warehouse_source")
            con.execute("INSERT INTO warehouse_source VALUES (?, ?)",
                        [datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(warehouse)])
        con.commit()
    except Exception:
        con.rollback()
        raise
    return report


DATA_TABLES = ("employees", "mentorships", "rejects", "metadata")  # what a load replaces


def _save_current(con: duckdb.DuckDBPyConnection, load_id: int) -> int | None:
    """Keep the data a load (or undo) is about to replace, under that load's number. Data brought back from a state
    still kept is not kept twice. Returns the number of the saved tables holding it (None: there was no data)."""
    if not has_data(con):
        return None
    known = _states(con)
    if known and known[max(known)] is not None:
        already = _kept_as(con, known, max(known))
        if already is not None:
            return already
    for table in DATA_TABLES:  # names from the code and a number, never from the user
        con.execute(f"CREATE TABLE saved.{table}_{int(load_id)} AS SELECT * FROM main.{table}")
    return load_id


def _prune(con: duckdb.DuckDBPyConnection, replaced: int | None, shown_from: int | None = None) -> None:
    """Keep KEEP_LOADS saved states: the one just `replaced` and the newest others; and besides them the one the data
    shown now was brought back from (`shown_from`), so that going back through the last loads reaches the data
    before the first of them."""
    others = [n for n in saved_loads(con) if n not in (replaced, shown_from)]
    room = KEEP_LOADS - (replaced is not None and replaced != shown_from)
    for old in others[:max(len(others) - room, 0)]:
        for table in DATA_TABLES:  # names from the code and a number, never from the user
            con.execute(f"DROP TABLE IF EXISTS saved.{table}_{int(old)}")


def saved_loads(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The loads whose earlier data is kept, oldest first."""
    names = con.execute(SAVED_TABLES_SQL).fetchall()
    return sorted(int(n[0].rsplit("_", 1)[1]) for n in names)


def saved_source(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The warehouse source of the last load from the warehouse (no password), with when it was saved."""
    row = first_row(con, "SELECT source, saved_at FROM warehouse_source ORDER BY saved_at DESC LIMIT 1")
    return None if row is None else {**json.loads(row[0]), "saved_at": row[1]}


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


def history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every load, newest first, and whether the data it replaced can be brought back."""
    frame = con.execute(HISTORY_SQL).df()
    frame["can_go_back"] = frame["load_id"].isin(saved_loads(con))
    return frame


# Every load, undo, redo and restore of the demo makes a state of the data, numbered as its row in load_history. The
# data a change replaced is kept under that change's number (saved.<table>_<n> holds the state before change n), the
# last KEEP_LOADS of them. Going back to a state copies its tables in (they stay kept) and records which state it is
# ("to"), so an undo, a redo or a jump to any kept state is a state like any load's, and walking back goes on past it.
STATES_SQL = "SELECT load_id, report FROM load_history ORDER BY load_id"


def _states(con: duckdb.DuckDBPyConnection) -> dict[int, int | None]:
    """Each state's number and, for one made by going back, the state it brought back (None for a load)."""
    out = {}
    for load_id, report in con.execute(STATES_SQL).fetchall():
        try:
            to = json.loads(report).get("to") if report else None
        except (ValueError, AttributeError):
            to = None
        out[int(load_id)] = int(to) if isinstance(to, int) else None
    return out


def _origin(states: dict[int, int | None], n: int) -> int:
    """The state whose data `n` holds: itself for a load, the state it brought back for a going-back (followed)."""
    seen = set()
    while states.get(n) is not None and n not in seen:
        seen.add(n)
        n = states[n]
    return n


def _kept_as(con: duckdb.DuckDBPyConnection, states: dict[int, int | None], n: int,
             kept: set[int] | None = None) -> int | None:
    """Which saved tables hold state n's data (their number), or None when it is no longer kept; `kept`: the saved
    tables' numbers, when already read."""
    kept = set(saved_loads(con)) if kept is None else kept
    for candidate in (n, _origin(states, n)):
        if candidate + 1 in kept:
            return candidate + 1
    return None


def position(con: duckdb.DuckDBPyConnection) -> int | None:
    """The state shown now: the last change's number, or for a going-back the state it brought back."""
    states = _states(con)
    if not states:
        return None
    last = max(states)
    return states[last] if states[last] is not None else last


def states(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every state, newest first: what made it, its counts, whether it can be brought back, and which is shown."""
    frame = con.execute(HISTORY_SQL).df()
    known, saved = _states(con), set(saved_loads(con))
    now = position(con)
    frame["kept"] = [_kept_as(con, known, int(n), saved) is not None or int(n) == now for n in frame["load_id"]]
    frame["shown"] = [int(n) == now for n in frame["load_id"]]
    return frame


def undo(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Go back one state from the one shown: each undo goes further back, through every state still kept."""
    now = position(con)
    if now is None or now <= 1 or _kept_as(con, _states(con), now - 1) is None:
        raise RetentionError("there is no earlier data to go back to" if now is None or now <= 1 else
                             f"the data before state {now} is no longer kept (the last {KEEP_LOADS} changes' are)")
    return go_to(con, now - 1, "undo")


def redo(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Go forward one state after undo, up to the newest load; a new load ends what can be redone."""
    known = _states(con)
    now = position(con)
    top = max((n for n, to in known.items() if to is None), default=None)
    if now is None or top is None or now >= top:
        raise RetentionError("there is nothing to redo: the data shown is the newest")
    return go_to(con, now + 1, "redo")


def go_to(con: duckdb.DuckDBPyConnection, state: int, how: str = "restore") -> dict[str, Any]:
    """Bring back state `state` (its number in the history): the data shown now is kept in turn, so it can be
    brought back too."""
    known = _states(con)
    if state not in known:
        raise RetentionError(f"there is no state {state}: python -m analytics history lists them")
    if state == position(con) or _origin(known, state) == _origin(known, position(con) or 0):
        raise RetentionError(f"state {state} is the data shown now")
    source = _kept_as(con, known, state)
    if source is None:
        raise RetentionError(f"the data of state {state} is no longer kept (the last {KEEP_LOADS} states are)")
    con.begin()
    try:
        load_id = first_row(con, "SELECT coalesce(max(load_id), 0) + 1 FROM load_history")[0]
        replaced = _save_current(con, load_id)
        for table in DATA_TABLES:  # names from the code and numbers, never from the user
            con.execute(f"DELETE FROM main.{table}")
            con.execute(f"INSERT INTO main.{table} SELECT * FROM saved.{table}_{int(source)}")
        _prune(con, replaced, source)
        counts = first_row(con, "SELECT (SELECT count(*) FROM employees), (SELECT count(*) FROM mentorships), "
                                "(SELECT count(*) FROM rejects)")
        report = _state_report(con, f"{how}: back to the data of state {state}" if how != "redo" else
                               f"redo: forward to the data of state {state}")
        report["to"] = int(state)
        con.execute("INSERT INTO load_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            load_id, datetime.now(timezone.utc).replace(tzinfo=None), how, f"(as in state {state})",
            f"(as in state {state})", counts[0], counts[1], counts[2], json.dumps(report)])
        con.commit()
    except Exception:
        con.rollback()
        raise
    return report


def _state_report(con: duckdb.DuckDBPyConnection, undo: str) -> dict[str, Any]:
    """An undo's record, a full one like a load's: the report of the load that made the data brought back (its
    readings of reasons and programmes, columns not used, warnings), with the rows loaded and set aside per file
    counted from the tables themselves, so it holds even for data kept before reports travelled with it."""
    made_by = metadata(con, "load_report")
    report = dict(made_by) if isinstance(made_by, dict) else {}
    set_aside = dict(con.execute("SELECT table_name, count(*) FROM rejects GROUP BY table_name").fetchall())
    for table in ("employees", "mentorships"):
        loaded = first_row(con, f"SELECT count(*) FROM main.{table}")[0]  # names from the code, never the user
        report[table] = {**(report.get(table) if isinstance(report.get(table), dict) else {}),
                         "loaded": int(loaded), "rejected": int(set_aside.get(table, 0))}
    report["undo"] = undo
    return report


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("_incoming", frame)
    try:
        columns = ", ".join(frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _incoming")
    finally:
        con.unregister("_incoming")


def _merged_vocabulary(before: dict[str, dict[str, str]], now: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Wording seen before keeps its meaning unless this load gave it another."""
    return {field: {**before.get(field, {}), **now.get(field, {})} for field in ("termination_reason", "program_type")}


def vocabulary(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """What each termination reason and programme type wording meant in the loads so far: a new load
    reads the same wording the same way unless told otherwise."""
    return metadata(con, "vocabulary") or {}


def vocabulary_at(path: str | Path | None) -> dict[str, dict[str, str]]:
    """The stored vocabulary of the database at `path`, without creating one that is not there."""
    target = Path(path or default_db_path())
    if str(target) == ":memory:" or not target.exists():
        return {}
    con = connect(target, read_only=True)
    try:
        return vocabulary(con)
    finally:
        con.close()


def load_files(con: duckdb.DuckDBPyConnection, employees: Any, mentorships: Any,
               mapping: Mapping[str, Mapping[str, str | None]] | None = None,
               header_rows: Mapping[str, int | None] | None = None, options: ReadOptions | None = None,
               **names: str) -> dict[str, Any]:
    """Validate both files, then load them; a file-level error leaves the store untouched. Wording of
    termination reasons and programme types keeps the meaning earlier loads gave it."""
    options = options or remembered_options(con)
    plan = prepare_load(employees, mentorships, mapping=mapping, header_rows=header_rows, options=options, **names)
    return load_plan(con, plan, source="files")


def remembered_options(con: duckdb.DuckDBPyConnection, date_format: str | None = None,
                       reason_map: Mapping[str, str] | None = None,
                       program_map: Mapping[str, str] | None = None) -> ReadOptions:
    """Read options with the stored meanings of reason and programme wording, the given ones on top."""
    return read_options(vocabulary(con), date_format, reason_map, program_map)


def read_options(known: Mapping[str, Mapping[str, str]], date_format: str | None = None,
                 reason_map: Mapping[str, str] | None = None,
                 program_map: Mapping[str, str] | None = None) -> ReadOptions:
    """Read options from meanings known from earlier loads, with the ones given now on top."""
    return ReadOptions(date_format, {**known.get("termination_reason", {}), **(reason_map or {})},
                       {**known.get("program_type", {}), **(program_map or {})})


def load_demo(con: duckdb.DuckDBPyConnection, n_employees: int = 5000, seed: int | None = None,
              config: Any = None) -> dict[str, Any]:
    """Generate the demo company and load it through the same validation as files."""
    from .demo import DemoConfig, generate
    from .ingest import plan_from_frames

    if config is None:
        config = DemoConfig(n_employees=n_employees) if seed is None else DemoConfig(n_employees=n_employees, seed=seed)
    demo = generate(config)
    plan = plan_from_frames(demo.employees, demo.mentorships)
    return load_plan(con, plan, source="demo",
                     metadata={"demo_truth": demo.truth, "as_of": str(config.as_of)})


def ensure_demo(path: str | Path | None = None) -> bool:
    """Build the demo database if the store is empty; True when it built one."""
    con = connect(path)
    try:
        if has_data(con):
            return False
        load_demo(con)
        return True
    finally:
        con.close()


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> tuple | None:
    """The first row of a query, with the result read to the end (no unfinished result is left on
    the connection, which would block registering frames on it afterwards)."""
    rows = con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()
    return rows[0] if rows else None


def frame(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame:
    """A stored table as a frame, in a stable order."""
    order = {"employees": "employee_id", "mentorships": "mentorship_id", "rejects": "table_name, row_number",
             "load_history": "load_id", "metadata": "key"}
    if table not in order:
        raise RetentionError(f"table must be one of {sorted(order)}, but was {table!r}")
    return con.execute(f"SELECT * FROM {table} ORDER BY {order[table]}").df()


def rejects(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return frame(con, "rejects")


def metadata(con: duckdb.DuckDBPyConnection, key: str) -> Any:
    row = first_row(con, "SELECT value FROM metadata WHERE key = ?", [key])
    return json.loads(row[0]) if row else None


def data_facts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return con.execute(DATA_FACTS_SQL).df().iloc[0].to_dict()


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the data loaded is the simulated demo company."""
    return metadata(con, "demo_truth") is not None


def has_data(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(first_row(con, HAS_DATA_SQL)[0])


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """Changes whenever a load replaces the data: part of every dashboard cache key."""
    load_id, loaded_at = first_row(con, DATA_VERSION_SQL)
    return f"{load_id}@{loaded_at}"


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """The values each cohort filter offers: the categories present, generations in birth order,
    and the first and last hire year."""
    out: dict[str, list] = {}
    for dim in FILTER_DIMENSIONS:  # names from the code, never from the user
        out[dim] = [r[0] for r in con.execute(
            f"SELECT DISTINCT {dim} FROM employee_facts WHERE {dim} IS NOT NULL ORDER BY 1").fetchall()]
    out["generation"] = [name for name, _, _ in GENERATIONS if name in out["generation"]]
    years = first_row(con, "SELECT min(hire_year), max(hire_year) FROM employee_facts")
    out["hire_years"] = [int(y) for y in years] if years[0] is not None else []
    return out


@dataclass(frozen=True)
class Snapshot:
    """What every analysis is read at: the as-of date and what counts as leaving, each as the user
    chose it or, where they did not, as the data gives it."""

    as_of: date
    event: str
    data_as_of: date     # the data's own snapshot date, the default
    has_reasons: bool    # termination reasons exist, so voluntary exits can be told apart


def snapshot(con: duckdb.DuckDBPyConnection, as_of: date | str | None = None,
             event: str | None = None) -> Snapshot:
    """The one place the as-of date and the event definition are settled (docs/design.md, Definitions):

    - as-of: the demo's stated date, else the latest hire, exit or mentorship start, but never after
      today (a future hire or a scheduled exit in an HR export is not yet data);
    - event: voluntary exits when the data has termination reasons, otherwise (and whenever there
      are none, whatever was asked) any exit.
    """
    if event is not None and event not in EVENTS:
        raise RetentionError(f"event must be one of {EVENTS}, but was {event!r}")
    chosen = as_date(as_of) if as_of is not None else None
    facts = data_facts(con)
    stated = metadata(con, "as_of")
    latest = [d for d in (facts["last_employee_date"], facts["last_mentorship_start"]) if pd.notna(d)]
    if stated:
        own = date.fromisoformat(stated)
    elif latest:
        own = min(pd.Timestamp(max(latest)).date(), date.today())
    else:
        raise EmptyDataError("no data loaded yet: load employees and mentorships, or run the demo")
    has_reasons = bool(facts["n_with_reason"] > 0)
    event = (event or "voluntary") if has_reasons else "all"
    return Snapshot(chosen or own, event, own, has_reasons)


def _params(con: duckdb.DuckDBPyConnection, as_of: date | str | None, event: str | None,
            cohort: Cohort | None) -> dict[str, Any]:
    settled = snapshot(con, as_of, event)
    return {"as_of": settled.as_of, "event": settled.event, **(cohort or Cohort()).sql_params()}


def episodes(con: duckdb.DuckDBPyConnection, as_of: date | str | None = None,
             event: str | None = None, cohort: Cohort | None = None,
             columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    """One row per employee in follow-up at `as_of`, with event flags and first mentored day; `columns`: only
    these (employee_id among them), for work that needs no others (what is not asked for is not worked out).

    The columns of a few distinct words (FEW_VALUES: a department, a level) hold one copy of each word, shared
    by every row that has it, not a copy per row: the same frame as DuckDB's own, a fraction of the memory at
    a million rows (each word is hashed once, too, when the models group by it)."""
    sql = episodes_sql(columns)
    # the parameters the query has (one without the event's column has no $event)
    params = {k: v for k, v in _params(con, as_of, event, cohort).items() if f"${k}" in sql}
    table = con.sql(sql, params=params).to_arrow_table()
    few = [name for name in FEW_VALUES if name in table.column_names]
    frame = con.from_arrow(table.drop_columns(few)).df()  # the other columns as DuckDB gives them
    for name in few:
        encoded = table.column(name).combine_chunks().dictionary_encode()
        words = np.asarray(encoded.dictionary.to_pylist() + [None], dtype=object)  # None: as DuckDB gives NULL
        frame[name] = words[encoded.indices.fill_null(len(words) - 1).to_numpy(zero_copy_only=False)]
    return frame[table.column_names]


# episode columns of a few distinct words (see episodes)
FEW_VALUES = ("department", "job_level", "location", "gender", "generation", "exit_reason", "program_type")


def counting_rows(con: duckdb.DuckDBPyConnection, as_of: date | str | None = None,
                  event: str | None = None, cohort: Cohort | None = None,
                  split_on: str = "mentee") -> pd.DataFrame:
    """Counting-process rows (start, stop] with the time-varying flag: mentored, or (for
    split_on="mentor") having mentored someone."""
    return split_episodes(con, episodes(con, as_of, event, cohort), split_on)


def split_episodes(con: duckdb.DuckDBPyConnection, episodes: pd.DataFrame,
                   split_on: str = "mentee", by_stop: bool = False) -> pd.DataFrame:
    """Counting-process rows from an episodes frame (in its order, each person's rows together), with its
    covariates on every row. `by_stop`: ordered by the end of each interval instead (rows ending together in
    the episodes' order), the order a Cox model's risk sets are summed in, so a model reads its columns
    straight through rather than jumping about the rows."""
    return split_episodes_with_people(con, episodes, split_on, by_stop)[0]


def split_episodes_with_people(con: duckdb.DuckDBPyConnection, episodes: pd.DataFrame, split_on: str = "mentee",
                               by_stop: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """split_episodes, and each row's person as their position among the episodes."""
    if split_on not in SPLIT_COLUMNS:
        raise RetentionError(f"split_on must be one of {sorted(SPLIT_COLUMNS)}, but was {split_on!r}")
    timing = pd.DataFrame({"row": np.arange(len(episodes)),
                           "duration_days": episodes["duration_days"].to_numpy(),
                           "day": episodes[SPLIT_COLUMNS[split_on]].astype("Int64").array,  # missing = NULL
                           "event": episodes["event"].to_numpy()})
    name = f"_episodes_{uuid.uuid4().hex}"
    con.register(name, timing)
    try:
        split = con.execute(SPLIT_TEMPLATE.format(table=name)).df()
    finally:
        con.unregister(name)
    if by_stop:
        split = split.iloc[np.argsort(split["stop"].to_numpy(), kind="stable")]
    order = split["row"].to_numpy()
    # one copy of the covariates, in the rows' order, column by column: a frame's take of its words as one block
    # of columns costs twice as long (0.4-0.7 s at a million rows, against 0.2 s)
    rows = pd.DataFrame({name: _taken(episodes[name], order) for name in episodes.columns
                         if name not in ("event", "mentored")}, copy=False)
    for name in ("start", "stop", "event", "mentored"):
        rows[name] = split[name].to_numpy()
    return rows, split["row"].to_numpy().astype(np.int64)


def _taken(column: pd.Series, order: np.ndarray):
    """A column's values at the positions given (a pandas extension array stays one, e.g. Int64's NULLs)."""
    values = column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()
    return values.take(order)


def read_follow_up(con: duckdb.DuckDBPyConnection, as_of: date | str, event: str, cohort: Cohort | None = None,
                   columns: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """A cohort's episodes and counting-process rows in the models' order (models.follow_up), with each row's
    person, at a settled as-of date and event definition (see snapshot)."""
    episodes_ = episodes(con, as_of, event, cohort, columns)
    rows, people = split_episodes_with_people(con, episodes_, by_stop=True)  # the models' order
    for frame in (episodes_, rows):
        frame["event"] = frame["event"].astype(bool)
        frame["mentored"] = frame["mentored"].astype(bool)
    return episodes_, rows, people


def mentoring_left(con: duckdb.DuckDBPyConnection, as_of: date | str, cohort: Cohort | None,
                   default_days: int) -> np.ndarray:
    """Days of mentoring still to run, per current mentee with a running mentorship: what the
    programme as it is still costs."""
    params = {"as_of": as_date(as_of), "default_days": int(default_days), **(cohort or Cohort()).sql_params()}
    return con.execute(MENTORING_LEFT_SQL, params).df()["days_left"].to_numpy(float)


# For each value of one filter, with that filter lifted and the others kept: the people in scope and those employed
# at the as-of date (the business case's people). What one more or one fewer value of the filter would change.
NEIGHBOUR_SQL = f"""
SELECT f.{{column}} AS value, count(*) AS in_scope,
       count(*) FILTER (WHERE f.hire_date < $as_of AND NOT {EXITED}) AS employed
FROM employee_facts f WHERE f.hire_date <= $as_of AND {COHORT_FILTER} GROUP BY 1"""


def neighbour_counts(con: duckdb.DuckDBPyConnection, as_of: date | str, cohort: Cohort,
                     dimension: str) -> dict[Any, tuple[int, int]]:
    """Each value of `dimension` (a filter, or 'hire_year'), with that filter lifted: (people in scope, employed)."""
    if dimension not in (*FILTER_DIMENSIONS, "hire_year"):
        raise RetentionError(f"dimension must be a filter, but was {dimension!r}")
    lifted = replace(cohort, hire_year_from=None, hire_year_to=None) if dimension == "hire_year" else \
        replace(cohort, **{dimension: ()})
    params = {"as_of": as_date(as_of), **lifted.sql_params()}
    rows = con.execute(NEIGHBOUR_SQL.format(column=dimension), params).fetchall()  # a name from the code above
    return {value: (int(n), int(e)) for value, n, e in rows}


def mentored_now(con: duckdb.DuckDBPyConnection, as_of: date | str, cohort: Cohort | None = None) -> int:
    """People employed at the as-of date with a mentorship running that day (MENTORED_NOW_SQL)."""
    params = {"as_of": as_date(as_of), **(cohort or Cohort()).sql_params()}
    return int(first_row(con, MENTORED_NOW_SQL, params)[0])


def hired_after(con: duckdb.DuckDBPyConnection, as_of: date | str, cohort: Cohort | None = None) -> int:
    """People in the cohort hired after the as-of date: excluded from every analysis."""
    params = {"as_of": as_date(as_of), **(cohort or Cohort()).sql_params()}
    return int(first_row(con, HIRED_AFTER_SQL, params)[0])


def people_in_scope(con: duckdb.DuckDBPyConnection, as_of: date | str, cohort: Cohort | None = None) -> int:
    """How many rows episodes() gives for the cohort at the as-of date, without reading them."""
    params = {"as_of": as_date(as_of), **(cohort or Cohort()).sql_params()}
    return int(first_row(con, IN_SCOPE_SQL, params)[0])


def ignored_mentorships(con: duckdb.DuckDBPyConnection, as_of: date | str, cohort: Cohort | None = None) -> int:
    """Mentorships of the cohort's people that began on or after the mentee's exit (or the as-of
    date): not counted."""
    params = {"as_of": as_date(as_of), **(cohort or Cohort()).sql_params()}
    return int(first_row(con, IGNORED_MENTORSHIPS_SQL, params)[0])


def as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RetentionError(f"as_of must be a YYYY-MM-DD date, but was {value!r}") from None


QUALITY_SQL = f"""
SELECT count(*) AS exits, count(*) FILTER (WHERE f.termination_reason IS NULL) AS no_reason,
       count(*) FILTER (WHERE f.termination_reason = 'other') AS other_reason
FROM employee_facts f WHERE f.hire_date <= $as_of AND {EXITED}"""


def quality_counts(con: duckdb.DuckDBPyConnection, as_of: date | str) -> QualityCounts:
    """What the last load set aside, and how many exits up to the as-of date have no clear reason."""
    set_aside = {}
    if has_data(con):  # counted from the data in place, whatever load or undo put it there
        rejected = dict(con.execute("SELECT table_name, count(*) FROM rejects GROUP BY table_name").fetchall())
        for table in ("employees", "mentorships"):
            loaded = first_row(con, f"SELECT count(*) FROM main.{table}")[0]
            set_aside[table] = (int(rejected.get(table, 0)), int(loaded) + int(rejected.get(table, 0)))
    exits, no_reason, other = first_row(con, QUALITY_SQL, {"as_of": as_date(as_of)})
    return QualityCounts(set_aside, int(exits), int(no_reason), int(other))


def data_warnings(con: duckdb.DuckDBPyConnection, as_of: date | str, event: str) -> list[str]:
    """The data-quality warnings for the loaded data at a settled as-of date and event definition
    (rows set aside by the last load, exits whose reason is unclear or missing)."""
    return quality_warnings(quality_counts(con, as_of), event)


def missing_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Empty cells per column of both tables: what the data can and cannot answer."""
    rows = []
    for table, columns in (("employees", EMPLOYEES.names), ("mentorships", MENTORSHIPS.names)):
        total = first_row(con, f"SELECT count(*) FROM {table}")[0]
        counts = first_row(con, f"SELECT {', '.join(f'count({c})' for c in columns)} FROM {table}")
        rows += [(table, c, total, total - n) for c, n in zip(columns, counts)]
    out = pd.DataFrame(rows, columns=["table", "column", "rows", "missing"])
    out["missing_pct"] = (100 * out["missing"] / out["rows"].where(out["rows"] > 0)).round(1)
    return out


def exits_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute("""
        SELECT coalesce(termination_reason, 'not given') AS reason, count(*) AS exits
        FROM employees WHERE termination_date IS NOT NULL GROUP BY 1 ORDER BY exits DESC""").df()

