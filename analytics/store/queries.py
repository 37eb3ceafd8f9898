"""The read-side SQL: the follow-up every analysis starts from (episodes, split at mentoring), snapshots, counts
and data-quality figures, each for a cohort and an as-of date.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from analytics.common.errors import EmptyDataError, RetentionError
from analytics.intake.prepare import QualityCounts, quality_warnings
from analytics.intake.schema import EMPLOYEES, GENERATIONS, MENTORSHIPS
from analytics.store.cohorts import Cohort, FILTER_DIMENSIONS
from analytics.store.database import as_date, first_row, frame, has_data, metadata
from analytics.store.splits import _DAYS, _phase_split


# what counts as leaving: a voluntary exit; a regrettable one; any exit. A regrettable exit is a voluntary exit the
# employee file flags regrettable (its `regrettable` column, e.g. Workday's "Regrettable Termination"), or, for a
# leaver it gives no flag, one by someone rated at the top of the company's scale (the employee file's rating, for a
# leaver the one at exit). Who is followed (docs/design.md, Definitions): when the file flags any voluntary exit,
# everyone, since the flag is written only once a person has left and so cannot pick out beforehand who could leave
# regrettably; otherwise those rated at the top, the only ones who can leave so.
EVENTS = ("voluntary", "regrettable", "all")
TOP_RATING = "(SELECT max(performance_rating) FROM employees)"
FLAGGED = ("(SELECT count(*) > 0 FROM employees WHERE termination_reason = 'voluntary' "
           "AND regrettable IS NOT NULL)")
# how a regrettable exit was told (Snapshot.regrettable_by): the file's flag for every voluntary exit; the flag, and
# the top rating for a voluntary exit without one; the top rating alone (no voluntary exit flagged)
REGRETTABLE_BY = ("flag", "flag_or_rating", "rating")


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
      AND ($event <> 'regrettable' OR {FLAGGED} OR coalesce(f.performance_rating >= {TOP_RATING}, FALSE))
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
    "event": f"""CASE WHEN NOT e.exited THEN FALSE
         WHEN $event = 'all' THEN TRUE
         WHEN $event = 'regrettable' THEN coalesce(e.termination_reason = 'voluntary'
             AND coalesce(e.regrettable, e.performance_rating >= {TOP_RATING}), FALSE)
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

# the columns the headline's figures and where to extend next read (summary.summarise; design.CATEGORICAL and
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

# With a job history: each person's rows are split also on every day their characteristics changed, and each row
# carries them as they were on its first day (HISTORY_COLUMNS): the latest change on or before it, a field a change
# leaves empty as it was before, and the employee file's values before a person's first change. Changes on or after
# the end of follow-up are not read. Timing and the changed values go through DuckDB; the rest is carried by position.
HISTORY_COLUMNS = ("job_level", "department", "location", "salary", "performance_rating")
HISTORY_TABLE_SQL = ("SELECT count(*) > 0 FROM information_schema.tables WHERE table_name = 'job_history' "
                     "AND table_schema = current_schema()")  # a database made before the job history had none
HAS_HISTORY_SQL = "SELECT count(*) > 0 FROM job_history"
HISTORY_SPLIT_TEMPLATE = """
WITH changes AS (
    SELECT t.row, date_diff('day', e.hire_date, h.effective_date) AS day,
        {filled}
    FROM {table} t JOIN employees e ON e.employee_id = t.employee_id
    JOIN job_history h ON h.employee_id = t.employee_id
    WINDOW person AS (PARTITION BY t.row ORDER BY h.effective_date ROWS UNBOUNDED PRECEDING)
), cuts AS (
    SELECT row, 0 AS day FROM {table} WHERE duration_days > 0
    UNION SELECT row, day FROM {table} WHERE day > 0
    UNION SELECT c.row, c.day FROM changes c JOIN {table} t ON t.row = c.row
        WHERE c.day > 0 AND c.day < t.duration_days
), intervals AS (
    SELECT c.row, c.day AS start,
        coalesce(lead(c.day) OVER (PARTITION BY c.row ORDER BY c.day), t.duration_days) AS stop,
        t.day AS split_day, t.event, t.duration_days
    FROM cuts c JOIN {table} t ON t.row = c.row
)
SELECT i.row, i.start, i.stop,
    CASE WHEN i.stop = i.duration_days THEN i.event ELSE FALSE END AS event,
    coalesce(i.split_day <= i.start, FALSE) AS mentored,
    ch.day IS NOT NULL AS from_history, {changed}
FROM intervals i ASOF LEFT JOIN changes ch ON ch.row = i.row AND i.start >= ch.day
ORDER BY i.row, i.start
"""


# The job history's changes of the episodes' people (registered as {table}), each as its row among them and its day
# since hire, with the fields it gives (NULL: unchanged), and each row's employee file's fields (HISTORY_SPLIT_TEMPLATE's
# `changes` before they are carried forward): _history_split_by_search carries them forward and splits the rows.
HISTORY_CHANGES_TEMPLATE = """
SELECT t.row, date_diff('day', e.hire_date, h.effective_date) AS day, {fields}
FROM {table} t JOIN employees e ON e.employee_id = t.employee_id
JOIN job_history h ON h.employee_id = t.employee_id
ORDER BY t.row, h.effective_date"""
HISTORY_FILE_TEMPLATE = "SELECT t.row, {fields} FROM {table} t JOIN employees e ON e.employee_id = t.employee_id"


# Mentoring that ends: each mentee's mentorships in scope as spells of days since hire (one begun before hire counts
# from hire; no end date: running), and the follow-up's rows split on every spell's start and end, each row saying
# whether a mentorship was running on its first day (while mentored) or all begun had ended (after mentoring).
MENTORING_SPELLS_SQL = f"""
SELECT m.mentee_id AS employee_id, date_diff('day', f.hire_date, greatest(m.start_date, f.hire_date)) AS s,
       coalesce(date_diff('day', f.hire_date, m.end_date), {2 ** 31 - 1}) AS e
FROM mentorships m JOIN employee_facts f ON f.employee_id = m.mentee_id
WHERE f.hire_date <= $as_of AND m.start_date < {FOLLOWUP_END} AND {COHORT_FILTER}
  AND coalesce(m.end_date > greatest(m.start_date, f.hire_date), TRUE)"""
PHASE_SPLIT_TEMPLATE = """
WITH cuts AS (
    SELECT r.i, x.day FROM {rows} r
    JOIN (SELECT employee_id, s AS day FROM {spells} UNION SELECT employee_id, e FROM {spells}) x
      ON x.employee_id = r.employee_id AND x.day > r.start AND x.day < r.stop
), points AS (
    SELECT i, start AS day FROM {rows} UNION SELECT i, day FROM cuts
), intervals AS (
    SELECT p.i, p.day AS start, coalesce(lead(p.day) OVER (PARTITION BY p.i ORDER BY p.day), r.stop) AS stop,
        r.stop AS row_stop, r.event, r.employee_id
    FROM points p JOIN {rows} r ON r.i = p.i
)
SELECT v.i, v.start, v.stop, any_value(v.event AND v.stop = v.row_stop) AS event,
    coalesce(bool_or(s.s <= v.start AND v.start < s.e), FALSE) AS while_mentored,
    coalesce(bool_or(s.e <= v.start), FALSE) AS some_ended
FROM intervals v LEFT JOIN {spells} s ON s.employee_id = v.employee_id
GROUP BY v.i, v.start, v.stop ORDER BY v.stop, v.i, v.start
"""


# Each person's changes in the job history, in scope, with their level and department before and after (the
# employee file's before a first change; a field a change leaves empty as it was): what promotions and internal
# moves are read from.
CHANGES_SQL = f"""
WITH h AS (
    SELECT h.employee_id, date_diff('day', f.hire_date, h.effective_date) AS day, h.change_reason,
        coalesce(last_value(h.job_level IGNORE NULLS) OVER p, f.job_level) AS job_level,
        coalesce(last_value(h.department IGNORE NULLS) OVER p, f.department) AS department,
        f.job_level AS file_level, f.department AS file_department
    FROM job_history h JOIN employee_facts f ON f.employee_id = h.employee_id
    -- a change of neither level nor department that is not said to be a promotion is never one of those below, and
    -- leaves both as they were: the rows around it carry and compare the same values without it (most of a history
    -- is pay and rating changes; windows over them all took twice as long)
    WHERE (h.job_level IS NOT NULL OR h.department IS NOT NULL OR h.change_reason = 'promotion')
      AND f.hire_date <= $as_of AND {COHORT_FILTER}
    WINDOW p AS (PARTITION BY h.employee_id ORDER BY h.effective_date ROWS UNBOUNDED PRECEDING)
)
SELECT * FROM (
    SELECT employee_id, day, change_reason, job_level, coalesce(lag(job_level) OVER w, file_level) AS level_before,
        department, coalesce(lag(department) OVER w, file_department) AS department_before
    FROM h WINDOW w AS (PARTITION BY employee_id ORDER BY day))
-- only what can be a promotion or a move after hire (a change said to be a promotion, a new level or department):
-- most rows of a history are pay and rating changes, and reading them all as words took most of the time
WHERE day > 0 AND (change_reason = 'promotion' OR job_level IS DISTINCT FROM level_before
                   OR department IS DISTINCT FROM department_before)
ORDER BY employee_id, day"""


DATA_FACTS_SQL = """
SELECT
    (SELECT count(*) FROM employees) AS n_employees,
    (SELECT count(*) FROM mentorships) AS n_mentorships,
    (SELECT count(*) FROM rejects) AS n_rejects,
    (SELECT count(termination_reason) FROM employees) AS n_with_reason,
    (SELECT count(performance_rating) FROM employees) AS n_with_rating,
    (SELECT count(regrettable) FROM employees WHERE termination_reason = 'voluntary') AS n_flagged_exits,
    (SELECT count(*) FROM employees WHERE termination_reason = 'voluntary' AND regrettable IS NULL)
        AS n_unflagged_exits,
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


# Mentoring still running at the as-of date for the cohort's current staff: days left of each mentee's
# longest running mentorship (its end date, or its start plus the default length where none is given), and whether
# one has no end date (ongoing, as the contract says, even past the default length).
MENTORING_LEFT_SQL = f"""
SELECT m.mentee_id, max(date_diff('day', CAST($as_of AS DATE),
           coalesce(m.end_date, CAST(m.start_date + to_days(CAST($default_days AS INTEGER)) AS DATE)))) AS days_left,
       bool_or(m.end_date IS NULL) AS open_ended
FROM mentorships m JOIN employee_facts f ON f.employee_id = m.mentee_id
WHERE f.hire_date <= $as_of AND NOT {EXITED} AND m.start_date <= $as_of AND {COHORT_FILTER}
GROUP BY m.mentee_id HAVING days_left > 0 OR open_ended
ORDER BY m.mentee_id"""  # one order every time, so the sum of the days left is the same to the last digit


def rejects(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return frame(con, "rejects")


def data_facts(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    return con.execute(DATA_FACTS_SQL).df().iloc[0].to_dict()


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
    regrettable_by: str | None = None  # with the regrettable event, how it was told (one of REGRETTABLE_BY)


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
    by = regrettable_by(facts)
    if event == "regrettable" and by is None:
        raise RetentionError("regrettable exits are voluntary exits the employee file flags as regrettable (a column "
                             "such as 'Regrettable Termination') or, where it gives no flag, by people rated at the "
                             "top of the scale: the data needs termination reasons, and that flag or performance "
                             "ratings, for them")
    event = (event or "voluntary") if has_reasons else "all"
    return Snapshot(chosen or own, event, own, has_reasons, by if event == "regrettable" else None)


def regrettable_by(facts: dict[str, Any]) -> str | None:
    """How the data tells a regrettable exit (one of REGRETTABLE_BY), from data_facts; None when it cannot (no
    termination reasons, or neither a flagged voluntary exit nor a rating)."""
    if not facts["n_with_reason"] > 0:
        return None
    if facts["n_flagged_exits"] > 0:
        return "flag_or_rating" if facts["n_unflagged_exits"] > 0 and facts["n_with_rating"] > 0 else "flag"
    return "rating" if facts["n_with_rating"] > 0 else None


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
    changing = [c for c in HISTORY_COLUMNS if c in episodes.columns] if has_history(con) else []
    if changing:
        timing["employee_id"] = episodes["employee_id"].to_numpy()
    name = f"_episodes_{uuid.uuid4().hex}"
    con.register(name, timing)
    try:
        split = _history_split_by_search(con, name, timing, changing) if changing else None
        if split is None:
            split = con.execute(_history_split(name, changing) if changing else SPLIT_TEMPLATE.format(table=name)).df()
    finally:
        con.unregister(name)
    if by_stop:
        split = split.iloc[np.argsort(split["stop"].to_numpy(), kind="stable")]
    order = split["row"].to_numpy()
    # one copy of the covariates, in the rows' order, column by column: a frame's take of its words as one block
    # of columns costs twice as long (0.4-0.7 s at a million rows, against 0.2 s)
    columns = {name: _taken(episodes[name], order) for name in episodes.columns if name not in ("event", "mentored")}
    if changing:  # the characteristics as they were on each row's first day, where the history has them
        known = split["from_history"].to_numpy(bool)
        for column in changing:
            columns[column] = _as_they_were(columns[column], split[column], known)
    for name in ("start", "stop", "event", "mentored"):
        columns[name] = split[name].to_numpy()
    # one frame made once (each column set on a frame afterwards costs pandas a pass over its columns)
    return pd.DataFrame(columns, copy=False), split["row"].to_numpy().astype(np.int64)


def split_at_mentoring_phases(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, as_of: date | str,
                              cohort: Cohort | None = None, person: np.ndarray | None = None
                              ) -> tuple[pd.DataFrame, np.ndarray]:
    """Counting-process rows split again on every mentorship's start and end (ordered by their end, as the models
    read them), with `while_mentored` (a mentorship running on the row's first day) and `after_mentoring` (every
    one begun has ended), and each new row's position among the rows given (its characteristics are theirs).
    The spells are read from the store and the rows split here, by sorted search (PHASE_SPLIT_TEMPLATE, the same
    split in SQL, where days are not whole numbers from 0 to 2^31 - 1). `person`: each row's person as a number
    (followup.person_codes), known already: then their ids are not hashed row by row."""
    spells = con.execute(MENTORING_SPELLS_SQL, {"as_of": as_date(as_of), **(cohort or Cohort()).sql_params()}).df()
    split = _phase_split(rows, spells, person)
    if split is None:
        split = _phase_split_sql(con, rows, spells)
    split["after_mentoring"] = split["some_ended"].to_numpy(bool) & ~split["while_mentored"].to_numpy(bool)
    return split.drop(columns="some_ended"), split["i"].to_numpy().astype(np.int64)


def _phase_split_sql(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, spells: pd.DataFrame) -> pd.DataFrame:
    given = pd.DataFrame({"i": np.arange(len(rows)), "employee_id": rows["employee_id"].to_numpy(),
                          "start": rows["start"].to_numpy(), "stop": rows["stop"].to_numpy(),
                          "event": rows["event"].to_numpy(bool)})
    names = {"rows": f"_rows_{uuid.uuid4().hex}", "spells": f"_spells_{uuid.uuid4().hex}"}
    con.register(names["rows"], given)
    con.register(names["spells"], spells)
    try:
        return con.execute(PHASE_SPLIT_TEMPLATE.format(**names)).df()
    finally:
        for name in names.values():
            con.unregister(name)


def job_changes(con: duckdb.DuckDBPyConnection, as_of: date | str, cohort: Cohort | None = None) -> pd.DataFrame:
    """Each change after hire in the job history of the people in scope that may be a promotion or a move (days
    since hire), with level and department before and after it; empty without a history."""
    if not has_history(con):
        return pd.DataFrame(columns=["employee_id", "day", "change_reason", "job_level", "level_before",
                                     "department", "department_before"])
    return con.execute(CHANGES_SQL, {"as_of": as_date(as_of), **(cohort or Cohort()).sql_params()}).df()


def has_history(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a job history is loaded: the models then take each person's characteristics as they were."""
    return bool(first_row(con, HISTORY_TABLE_SQL)[0]) and bool(first_row(con, HAS_HISTORY_SQL)[0])


def _history_split(table: str, changing: list[str]) -> str:
    filled = ",\n        ".join(f"coalesce(last_value(h.{c} IGNORE NULLS) OVER person, e.{c}) AS {c}" for c in changing)
    return HISTORY_SPLIT_TEMPLATE.format(table=table, filled=filled, changed=", ".join(f"ch.{c}" for c in changing))


def _history_split_by_search(con: duckdb.DuckDBPyConnection, table: str, timing: pd.DataFrame,
                             changing: list[str]) -> pd.DataFrame | None:
    """HISTORY_SPLIT_TEMPLATE's rows (the same rows, values and order: each person's follow-up cut at their
    mentoring's start and at every change inside it, with the characteristics as the last change on or before
    each row's first day left them) from the changes read in order (HISTORY_CHANGES_TEMPLATE), carried forward
    and looked up by sorted search over keys row * _DAYS + day. None where that does not hold exactly (a day not
    a whole number from 0 to 2^31 - 1, two changes of one person on one day): then the SQL splits them."""
    # read as Arrow: a field of words comes as codes into its distinct words, not a Python string per change
    changes = con.sql(HISTORY_CHANGES_TEMPLATE.format(table=table, fields=", ".join(f"h.{c}" for c in changing))
                      ).to_arrow_table()
    on_file = con.sql(HISTORY_FILE_TEMPLATE.format(table=table, fields=", ".join(f"e.{c}" for c in changing))
                      ).to_arrow_table()
    row, day = _arrow_numbers(changes.column("row")).astype(np.int64), _arrow_numbers(changes.column("day"))
    duration = timing["duration_days"].to_numpy()
    split_day = timing["day"].to_numpy(dtype=float, na_value=np.nan)  # the mentoring's start (NaN: none)
    mentoring = np.flatnonzero(split_day > 0)
    if not (np.issubdtype(day.dtype, np.integer) and np.issubdtype(duration.dtype, np.integer)) or \
            any(d.size and (d.min() < 0 or d.max() >= 2 ** 31) for d in (day, duration, split_day[mentoring])):
        return None
    key = row * _DAYS + day
    if key.size > 1 and not np.all(key[1:] > key[:-1]):
        return None  # two changes on one day: the SQL's choice between them is its own
    n = len(timing)
    inside = (day > 0) & (day < duration[row])
    begins = np.sort(np.concatenate([np.flatnonzero(duration > 0) * _DAYS,
                                     mentoring * _DAYS + split_day[mentoring].astype(np.int64), key[inside]]))
    if not begins.size:
        return None  # nobody with time to follow (an empty cohort): the SQL gives the empty rows with their columns
    begins = begins[np.append(True, begins[1:] != begins[:-1])]  # each once
    rows, start = begins // _DAYS, begins % _DAYS
    last = np.append(rows[1:] != rows[:-1], True)  # each row's last interval ends at its follow-up's end
    stop = np.where(last, duration[rows], np.append(start[1:], 0))
    columns = {"row": rows, "start": start, "stop": stop,
               "event": timing["event"].to_numpy(bool)[rows] & (stop == duration[rows]),
               "mentored": split_day[rows] <= start}
    # the last change on or before each interval's first day (of its own row), and what it left each field at
    at = np.searchsorted(key, begins, side="right") - 1
    known = at >= 0
    known[known] = row[at[known]] == rows[known]
    columns["from_history"] = known
    first_change = np.searchsorted(row, np.arange(n), side="left")[row]  # each change's row's first change
    filed = _arrow_numbers(on_file.column("row")).astype(np.int64)
    looked_up = at[known]
    for c in changing:
        fields = _field_codes(changes.column(c), on_file.column(c))
        if fields is None:
            return None  # words in one and numbers in the other: the SQL's reading of them is its own
        given, file, values, missing = fields  # each change's and each row's file's value as a code into values
        held = np.where(given != missing, np.arange(len(given)), -1)
        np.maximum.accumulate(held, out=held)  # the last change with this field, so far
        carried = held >= first_change  # one of the same row's (person's)
        by_row = np.full(n, missing, dtype=np.int64)  # each row's employee file's value
        by_row[filed] = file
        # only the changes some interval looks up: each one's value, from the history or the employee file
        wanted = carried[looked_up]
        code = np.where(wanted, given[np.maximum(held[looked_up], 0)], by_row[row[looked_up]])
        columns[c] = np.full(len(rows), values[missing], dtype=values.dtype)
        columns[c][known] = values[code]
    # one frame of the columns (a column added at a time, or set through .loc, costs pandas a pass over them each)
    return pd.DataFrame(columns, copy=False)


def _arrow_numbers(column) -> np.ndarray:
    """An Arrow column of numbers as numpy (NULL: NaN, in floats)."""
    return column.to_numpy() if column.null_count == 0 else column.to_numpy().astype(float)


def _field_codes(given, file) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """A field's values in the history's changes and in the employee file (Arrow columns) as codes into one array
    of values, with the code of a missing value: words as each distinct word once (None: missing, as DuckDB gives
    NULL to pandas), numbers as floats (NaN or NULL: missing, as pandas counts them); None when one is words and
    the other numbers."""
    import pyarrow as pa  # (loaded already: DuckDB gave these columns as Arrow)

    words = [pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in (given, file)]
    if words[0] != words[1]:
        return None
    if not words[0]:
        numbers = np.concatenate([_arrow_numbers(given).astype(float), _arrow_numbers(file).astype(float)])
        missing = numbers.size
        values = np.append(numbers, np.nan)
        codes = np.where(np.isnan(numbers), missing, np.arange(numbers.size))
        return codes[:len(given)], codes[len(given):], values, missing
    parts, found = [], []
    for column in (given, file):
        encoded = column.combine_chunks().dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)
        parts.append(np.where(codes < 0, -1, codes + len(found)))
        found += encoded.dictionary.to_pylist()
    values = np.asarray(found + [None], dtype=object)
    missing = len(found)
    given_codes, file_codes = (np.where(p < 0, missing, p) for p in parts)
    return given_codes, file_codes, values, missing


def _as_they_were(snapshot: Any, changed: pd.Series, known: np.ndarray) -> Any:
    """A characteristic on each row: the history's value where a change on or before the row's first day gives one,
    else the employee file's (the snapshot), in the snapshot's own type."""
    if pd.api.types.is_numeric_dtype(getattr(snapshot, "dtype", None)):
        values = np.asarray(snapshot, dtype=float).copy()
        values[known] = changed.to_numpy(dtype=float, na_value=np.nan)[known]
        return values
    values = np.asarray(snapshot, dtype=object).copy()
    values[known] = changed.to_numpy(dtype=object)[known]
    return values


def _taken(column: pd.Series, order: np.ndarray):
    """A column's values at the positions given (a pandas extension array stays one, e.g. Int64's NULLs)."""
    values = column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()
    return values.take(order)


def read_follow_up(con: duckdb.DuckDBPyConnection, as_of: date | str, event: str, cohort: Cohort | None = None,
                   columns: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """A cohort's episodes and counting-process rows in the models' order (followup.follow_up), with each row's
    person, at a settled as-of date and event definition (see snapshot)."""
    episodes_ = episodes(con, as_of, event, cohort, columns)
    rows, people = split_episodes_with_people(con, episodes_, by_stop=True)  # the models' order
    for frame in (episodes_, rows):
        frame["event"] = frame["event"].astype(bool)
        frame["mentored"] = frame["mentored"].astype(bool)
    return episodes_, rows, people


def mentoring_left(con: duckdb.DuckDBPyConnection, as_of: date | str, cohort: Cohort | None,
                   default_days: int, by_person: bool = False) -> np.ndarray | pd.DataFrame:
    """Days of mentoring still to run, per current mentee with a running mentorship: what the
    programme as it is still costs. `by_person`: a frame indexed by the mentee's employee_id, days_left (0 or less
    for an ongoing one past the default length) and open_ended (one has no end date)."""
    params = {"as_of": as_date(as_of), "default_days": int(default_days), **(cohort or Cohort()).sql_params()}
    left = con.execute(MENTORING_LEFT_SQL, params).df()
    if by_person:
        return left.set_index("mentee_id").astype({"days_left": float, "open_ended": bool})
    return left.loc[left["days_left"] > 0, "days_left"].to_numpy(float)


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


QUALITY_SQL = f"""
SELECT count(*) AS exits, count(*) FILTER (WHERE f.termination_reason IS NULL) AS no_reason,
       count(*) FILTER (WHERE f.termination_reason = 'other') AS other_reason
FROM employee_facts f WHERE f.hire_date <= $as_of AND {EXITED}"""


def quality_counts(con: duckdb.DuckDBPyConnection, as_of: date | str) -> QualityCounts:
    """What the last load set aside, and how many exits up to the as-of date have no clear reason."""
    set_aside, unknown = {}, 0
    if has_data(con):  # counted from the data in place, whatever load or undo put it there
        rejected = dict(con.execute("SELECT table_name, count(*) FROM rejects GROUP BY table_name").fetchall())
        history = (metadata(con, "load_report") or {}).get("job_history") or {}  # rows merged, naming no one
        for table in ("employees", "mentorships", "job_history"):
            loaded = first_row(con, f"SELECT count(*) FROM main.{table}")[0]
            merged = int(history.get("merged", 0)) if table == "job_history" else 0
            given = int(loaded) + merged + int(rejected.get(table, 0))
            if given or table != "job_history":  # a load without a history has nothing to say about one
                set_aside[table] = (int(rejected.get(table, 0)), given)
        unknown = int(history.get("unknown_people", 0))
    exits, no_reason, other = first_row(con, QUALITY_SQL, {"as_of": as_date(as_of)})
    return QualityCounts(set_aside, int(exits), int(no_reason), int(other), unknown)


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
