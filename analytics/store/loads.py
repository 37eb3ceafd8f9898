"""Loading checked data into the store, and its history: every load, undo, redo and restore of the demo is a state
of the data, and kept states can be brought back.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import duckdb
import pandas as pd

from analytics.common import progress
from analytics.common.errors import RetentionError
from analytics.common.policy import KEEP_LOADS
from analytics.intake.prepare import LoadPlan, prepare_load
from analytics.intake.validation import ReadOptions
from analytics.store.database import (SAVED_TABLES_SQL, connect, default_db_path, first_row, frame, has_data,
                                      metadata)


HISTORY_SQL = ("SELECT load_id, loaded_at, source, employees_file, mentorships_file, job_history_file, "
               "employees_loaded, mentorships_loaded, coalesce(job_history_loaded, 0) AS job_history_loaded, "
               "rows_rejected FROM load_history ORDER BY load_id DESC")
HISTORY_INSERT_SQL = ("INSERT INTO load_history (load_id, loaded_at, source, employees_file, mentorships_file, "
                      "employees_loaded, mentorships_loaded, rows_rejected, report, job_history_file, "
                      "job_history_loaded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def load_plan(con: duckdb.DuckDBPyConnection, plan: LoadPlan, source: str = "files",
              metadata: Mapping[str, Any] | None = None, warehouse: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Replace the store's contents with a validated plan, all in one transaction. `warehouse`: the warehouse
    source the plan was read from (no password), kept in the same transaction for refreshing it later."""
    progress.step("write", rows=sum(len(t.frame) for t in plan.tables) + len(plan.rejects))
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
        if plan.job_history is not None:  # none given: the table stays empty
            _insert(con, "job_history", plan.job_history.frame)
        _insert(con, "rejects", plan.rejects)
        for key, value in metadata.items():
            con.execute("INSERT INTO metadata VALUES (?, ?)", [key, json.dumps(value, default=str)])
        history = plan.job_history
        con.execute(HISTORY_INSERT_SQL, [
            load_id, datetime.now(timezone.utc).replace(tzinfo=None), source, plan.employees.file,
            plan.mentorships.file, len(plan.employees.frame), len(mentorships), len(plan.rejects),
            json.dumps(report, default=str), history.file if history is not None else None,
            len(history.frame) if history is not None else 0])
        if warehouse is not None:  # kept apart from the data: a file load or an undo leaves it as it is
            con.execute("DELETE FROM warehouse_source")
            con.execute("INSERT INTO warehouse_source VALUES (?, ?)",
                        [datetime.now(timezone.utc).replace(tzinfo=None), json.dumps(warehouse)])
        con.commit()
    except Exception:
        con.rollback()
        raise
    return report


DATA_TABLES = ("employees", "mentorships", "job_history", "rejects", "metadata")  # what a load replaces
SAVED_TABLE_SQL = "SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema = 'saved' AND table_name = ?"


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
            if first_row(con, SAVED_TABLE_SQL, [f"{table}_{int(source)}"])[0]:  # kept before the job history: none
                # by name: employees kept before the regrettable flag have no such column, and come back without one
                con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM saved.{table}_{int(source)}")
        _prune(con, replaced, source)
        counts = first_row(con, "SELECT (SELECT count(*) FROM employees), (SELECT count(*) FROM mentorships), "
                                "(SELECT count(*) FROM rejects), (SELECT count(*) FROM job_history)")
        report = _state_report(con, f"{how}: back to the data of state {state}" if how != "redo" else
                               f"redo: forward to the data of state {state}")
        report["to"] = int(state)
        con.execute(HISTORY_INSERT_SQL, [
            load_id, datetime.now(timezone.utc).replace(tzinfo=None), how, f"(as in state {state})",
            f"(as in state {state})", counts[0], counts[1], counts[2], json.dumps(report),
            f"(as in state {state})" if counts[3] else None, counts[3]])
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
    for table in ("employees", "mentorships", "job_history"):
        loaded = first_row(con, f"SELECT count(*) FROM main.{table}")[0]  # names from the code, never the user
        if table == "job_history" and not loaded and table not in report and not set_aside.get(table):
            continue  # no job history in this state, as in its load's report
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
    return {field: {**before.get(field, {}), **now.get(field, {})}
            for field in ("termination_reason", "program_type", "change_reason")}


def vocabulary(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """What each termination reason, programme type and job change reason wording meant in the loads so far: a new
    load reads the same wording the same way unless told otherwise."""
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


def load_files(con: duckdb.DuckDBPyConnection, employees: Any, mentorships: Any, job_history: Any = None,
               mapping: Mapping[str, Mapping[str, str | None]] | None = None,
               header_rows: Mapping[str, int | None] | None = None, options: ReadOptions | None = None,
               **names: str) -> dict[str, Any]:
    """Validate the files (the job history when given), then load them; a file-level error leaves the store
    untouched. Wording of termination reasons, programme types and change reasons keeps the meaning earlier loads
    gave it."""
    options = options or remembered_options(con)
    plan = prepare_load(employees, mentorships, job_history, mapping=mapping, header_rows=header_rows,
                        options=options, **names)
    return load_plan(con, plan, source="files")


def remembered_options(con: duckdb.DuckDBPyConnection, date_format: str | None = None,
                       reason_map: Mapping[str, str] | None = None,
                       program_map: Mapping[str, str] | None = None,
                       change_map: Mapping[str, str] | None = None) -> ReadOptions:
    """Read options with the stored meanings of reason, programme and change wording, the given ones on top."""
    return read_options(vocabulary(con), date_format, reason_map, program_map, change_map)


def read_options(known: Mapping[str, Mapping[str, str]], date_format: str | None = None,
                 reason_map: Mapping[str, str] | None = None,
                 program_map: Mapping[str, str] | None = None,
                 change_map: Mapping[str, str] | None = None) -> ReadOptions:
    """Read options from meanings known from earlier loads, with the ones given now on top."""
    return ReadOptions(date_format, {**known.get("termination_reason", {}), **(reason_map or {})},
                       {**known.get("program_type", {}), **(program_map or {})},
                       {**known.get("change_reason", {}), **(change_map or {})})


def load_demo(con: duckdb.DuckDBPyConnection, n_employees: int = 5000, seed: int | None = None,
              config: Any = None) -> dict[str, Any]:
    """Generate the demo company and load it through the same validation as files: the company whose
    characteristics change, with its job history (analytics/intake/demo_changing.py, `demo_config`), or the
    simulation in `config` (a ChangingConfig, or a DemoConfig for the company of fixed characteristics)."""
    from analytics.intake.demo import DemoConfig, generate
    from analytics.intake.demo_changing import demo_config, generate_changing
    from analytics.intake.prepare import plan_from_frames

    if config is None:
        config = demo_config(n_employees=n_employees, seed=seed)
    demo = generate(config) if isinstance(config, DemoConfig) else generate_changing(config)
    plan = plan_from_frames(demo.employees, demo.mentorships, job_history=getattr(demo, "job_history", None))
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
