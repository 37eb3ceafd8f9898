"""The employee file's regrettable flag (Workday's "Regrettable Termination" and its like): read from the headers HR
systems use or a --map, Yes/No/True/False/Y/N/1/0 in any case, a bad value set aside with its row; stored, kept and
brought back by undo; and what it does to the regrettable event (a voluntary exit the file flags, or, without a
flag, one by someone rated at the top; everyone followed once the file flags any exit). Also: a load whose files
have problems says every file's problems in one pass (CLI, --check, the Data page) and writes nothing."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.intake import formats
from analytics.intake.prepare import prepare_load, template_csv
from analytics.intake.schema import EMPLOYEES, HEADER_SYNONYMS
from analytics.store import database, loads, queries
from analytics.surface.cli import main
from tests.builders import employees_table, mentorships_table, write
from tests.test_warehouse import postgres  # noqa: F401  (the PostgreSQL server fixture)

N = 60


def company() -> pd.DataFrame:
    """A small company made by hand, in the contract's columns as text: ratings 1-5 in turn; the first 30 leave
    voluntarily, every third of them flagged regrettable (Yes) and the others not (No); the next 6 are laid off
    (no flag); the rest stay. Two of the flagged are rated at the top, and four top-rated leavers are not flagged,
    so the flag and the top rating pick different exits."""
    i = np.arange(N)
    hire = pd.Timestamp("2019-01-01") + pd.to_timedelta(i * 10, unit="D")
    leaves = i < 36
    term = hire + pd.to_timedelta(200 + i * 5, unit="D")
    voluntary = i < 30
    return pd.DataFrame({
        "employee_id": [f"W{k:03d}" for k in i],
        "hire_date": hire.strftime("%Y-%m-%d"),
        "termination_date": np.where(leaves, term.strftime("%Y-%m-%d"), ""),
        "termination_reason": np.where(voluntary, "Resignation", np.where(leaves, "Laid off", "")),
        "department": np.where(i % 2 == 0, "Sales", "Finance"),
        "job_level": "L2",
        "location": "Leeds",
        "gender": np.where(i % 2 == 0, "F", "M"),
        "birth_year": "1985",
        "manager_id": "",
        "salary": (50_000 + 100 * i).astype(str),
        "performance_rating": (i % 5 + 1).astype(str),
        "regrettable": np.where(voluntary, np.where(i % 3 == 0, "Yes", "No"), ""),
    })


def workday(emp: pd.DataFrame, path: Path) -> Path:
    """The company as a Workday termination report writes it: Workday's headers, US dates, the flag under
    "Regrettable Termination", the worker's name (not used)."""
    us = lambda column: pd.to_datetime(emp[column]).dt.strftime("%m/%d/%Y").fillna("")  # noqa: E731
    frame = pd.DataFrame({
        "Worker": [f"Person {k}" for k in range(len(emp))],
        "Worker ID": emp["employee_id"], "Hire Date": us("hire_date"), "Termination Date": us("termination_date"),
        "Primary Termination Reason": emp["termination_reason"], "Supervisory Organization": emp["department"],
        "Management Level": emp["job_level"], "Location": emp["location"], "Gender": emp["gender"],
        "Year of Birth": emp["birth_year"], "Total Base Pay": emp["salary"],
        "Performance Rating": emp["performance_rating"], "Regrettable Termination": emp["regrettable"]})
    frame.to_csv(path, index=False)
    return path


def mentorships(emp: pd.DataFrame) -> pd.DataFrame:
    return mentorships_table(emp, 30)


def expected(emp: pd.DataFrame, flagged: bool) -> tuple[int, int]:
    """(people followed, regrettable exits) worked out from the file itself: with the flag, everyone and the
    voluntary exits flagged Yes or, unflagged, by the top-rated; without it, the top-rated and their voluntary
    exits."""
    rating = emp["performance_rating"].astype(float)
    top = rating == rating.max()
    voluntary = emp["termination_reason"] == "Resignation"
    if not flagged:
        return int(top.sum()), int((top & voluntary).sum())
    flag = emp["regrettable"].str.lower()
    return len(emp), int((voluntary & ((flag == "yes") | ((flag == "") & top))).sum())


def summary_json(db: Path, capsys, *more: str) -> dict:
    capsys.readouterr()
    assert main(["summary", "--db", str(db), "--json", *more]) == 0
    return json.loads(capsys.readouterr().out)


def load(db: Path, emp: Path, men: Path, *more: str) -> int:
    return main(["load", "--db", str(db), "--employees", str(emp), "--mentorships", str(men), *more])


# ---------------------------------------------------------------- reading the flag

def test_the_contract_has_an_optional_flag_known_by_the_names_hr_systems_give_it():
    column = EMPLOYEES.column("regrettable")
    assert column.kind == "flag" and not column.required
    for header in ("Regrettable Termination", "Regrettable", "Regretted Leaver", "Regrettable Loss",
                   "Regretted Attrition"):
        assert header in HEADER_SYNONYMS["employees"]["regrettable"]
    for text, meaning in (("Yes", True), ("no", False), ("TRUE", True), ("False", False), ("y", True),
                          ("N", False), ("1", True), ("0", False), (1, True), (0.0, False), (True, True),
                          (np.bool_(False), False), ("Not Regrettable", False), ("Regretted", True)):
        assert formats.flag(text) is meaning, text
    for bad in ("Maybe", "2", "yes please", 2):
        with pytest.raises(ValueError, match="is not yes or no"):
            formats.flag(bad)
    assert "regrettable" in pd.read_csv(__import__("io").StringIO(template_csv("employees"))).columns


def test_a_workday_export_with_the_flag_loads_with_no_flags_raised(tmp_path, capsys):
    emp = company()
    db = tmp_path / "r.duckdb"
    assert load(db, workday(emp, tmp_path / "Workday_Terminations.csv"), write(mentorships(emp), tmp_path / "m.csv")) == 0
    out = capsys.readouterr().out
    assert f"employees: {N} rows loaded from Workday_Terminations.csv, 0 set aside" in out
    assert "Warning" not in out and "Regrettable Termination" not in out  # read, so not among the columns not used
    con = database.connect(db)
    try:
        stored = database.frame(con, "employees").set_index("employee_id")["regrettable"]
        report = json.loads(con.execute("SELECT report FROM load_history").fetchone()[0])
    finally:
        con.close()
    given = emp.set_index("employee_id")["regrettable"].map({"Yes": True, "No": False, "": None})
    assert [None if pd.isna(v) else bool(v) for v in stored] == list(given[stored.index])
    assert report["warnings"] == [] and report["employees"]["rejected"] == 0


def test_bad_flag_values_are_set_aside_with_their_rows_and_a_column_of_none_is_refused(tmp_path, capsys):
    emp = company()
    emp.loc[[3, 7], "regrettable"] = ["Maybe", "2"]
    emp.loc[[0, 1, 2], "regrettable"] = ["YES", "n", "True"]  # any case
    db = tmp_path / "r.duckdb"
    assert load(db, write(emp, tmp_path / "e.csv"), write(mentorships(emp), tmp_path / "m.csv")) == 0
    assert "employees: 58 rows loaded from e.csv, 2 set aside" in capsys.readouterr().out
    assert main(["rejects", "--db", str(db)]) == 0
    rejects = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    rows = rejects[rejects["table_name"] == "employees"]
    assert list(rows["row_number"]) == [5, 9]  # the header is row 1
    assert list(rows["column_name"]) == ["regrettable", "regrettable"]
    assert list(rows["source_file"]) == ["e.csv", "e.csv"]
    assert "'Maybe' is not yes or no" in rows["reason"].iloc[0] and "'2' is not yes or no" in rows["reason"].iloc[1]
    con = database.connect(db)
    try:
        flags = dict(con.execute("SELECT employee_id, regrettable FROM employees WHERE employee_id IN "
                                 "('W000', 'W001', 'W002')").fetchall())
    finally:
        con.close()
    assert flags == {"W000": True, "W001": False, "W002": True}

    emp["Regretted?"] = np.where(emp["regrettable"] != "", "High", "")  # not a flag at all: the file is refused
    emp = emp.drop(columns=["regrettable"])
    path = write(emp, tmp_path / "e2.csv")
    assert load(db, path, tmp_path / "m.csv", "--map", "employees.regrettable=Regretted?") == 2
    err = capsys.readouterr().err
    assert "file 'e2.csv', column 'Regretted?', row 2: read as regrettable; no value in this column is a valid yes or no" in err
    assert "--map employees.regrettable=" in err


def test_a_map_names_the_flag_and_an_empty_map_leaves_it_out(tmp_path, capsys):
    emp = company().rename(columns={"regrettable": "Loss We Regret"})
    files = write(emp, tmp_path / "e.csv"), write(mentorships(emp), tmp_path / "m.csv")
    db = tmp_path / "r.duckdb"
    assert load(db, *files) == 0
    assert "columns not used: Loss We Regret" in capsys.readouterr().out
    assert load(db, *files, "--map", "employees.regrettable=Loss We Regret") == 0
    con = database.connect(db)
    try:
        assert con.execute("SELECT count(regrettable) FROM employees").fetchone()[0] == 30
    finally:
        con.close()


# ---------------------------------------------------------------- what the flag does to the regrettable event

def test_the_flag_changes_who_counts_as_a_regrettable_exit(tmp_path, capsys):
    emp = company()
    path, men = workday(emp, tmp_path / "wd.csv"), write(mentorships(emp), tmp_path / "m.csv")
    with_flag, without = tmp_path / "flag.duckdb", tmp_path / "rating.duckdb"
    assert load(with_flag, path, men) == 0
    assert load(without, path, men, "--map", "employees.regrettable=") == 0  # the same file, its flag not read

    flagged = summary_json(with_flag, capsys, "--event", "regrettable")
    rated = summary_json(without, capsys, "--event", "regrettable")
    assert (flagged["n_employees"], flagged["n_events"]) == expected(emp, flagged=True)
    assert (rated["n_employees"], rated["n_events"]) == expected(emp, flagged=False)
    assert flagged["n_events"] != rated["n_events"] and flagged["n_employees"] > rated["n_employees"]
    assert (flagged["regrettable_by"], rated["regrettable_by"]) == ("flag", "rating")
    assert summary_json(with_flag, capsys)["regrettable_by"] is None  # voluntary exits: no such definition
    assert summary_json(with_flag, capsys)["n_events"] == 30  # the flag changes nothing else

    capsys.readouterr()
    assert main(["summary", "--db", str(with_flag), "--event", "regrettable"]) == 0
    words = capsys.readouterr().out
    assert "regrettable exits (voluntary, flagged regrettable in the employee file)" in words
    assert "Everyone is followed, since the flag is written only when someone leaves" in words
    assert main(["summary", "--db", str(without), "--event", "regrettable"]) == 0
    words = capsys.readouterr().out
    assert "regrettable exits (voluntary, by people rated at the top of the scale)" in words
    assert "Only the people rated at the top are followed" in words


def test_a_leaver_with_no_flag_counts_by_the_top_rating(tmp_path, capsys):
    emp = company()
    emp.loc[[4, 5, 14], "regrettable"] = ""  # two top-rated voluntary leavers (4, 14) and one not (5): no flag
    db = tmp_path / "r.duckdb"
    assert load(db, write(emp, tmp_path / "e.csv"), write(mentorships(emp), tmp_path / "m.csv")) == 0
    result = summary_json(db, capsys, "--event", "regrettable")
    assert (result["n_employees"], result["n_events"]) == expected(emp, flagged=True)
    assert result["n_events"] == expected(company(), flagged=True)[1] + 2
    assert result["regrettable_by"] == "flag_or_rating"
    con = database.connect(db)
    try:
        episodes = queries.episodes(con, event="regrettable").set_index("employee_id")
    finally:
        con.close()
    assert episodes.loc["W004", "event"] and episodes.loc["W014", "event"] and not episodes.loc["W005", "event"]
    assert episodes.loc["W003", "event"] and not episodes.loc["W001", "event"]  # Yes (rated 4); No


def test_the_flag_alone_makes_the_event_without_ratings_and_nothing_makes_it_without_reasons(tmp_path, capsys):
    from analytics.common.errors import RetentionError

    emp = company()
    emp["performance_rating"] = ""
    db = tmp_path / "r.duckdb"
    assert load(db, write(emp, tmp_path / "e.csv"), write(mentorships(emp), tmp_path / "m.csv")) == 0
    result = summary_json(db, capsys, "--event", "regrettable")
    assert (result["n_employees"], result["n_events"]) == (N, int((emp["regrettable"] == "Yes").sum()))
    emp["termination_reason"] = ""
    assert load(db, write(emp, tmp_path / "e.csv"), tmp_path / "m.csv") == 0
    con = database.connect(db)
    try:
        with pytest.raises(RetentionError, match="the data needs termination reasons, and that flag or performance "
                                                 "ratings"):
            queries.snapshot(con, event="regrettable")
    finally:
        con.close()


def test_undo_brings_the_flags_back_and_a_database_made_before_the_flag_goes_back(tmp_path, capsys):
    emp = company()
    men = write(mentorships(emp), tmp_path / "m.csv")
    db = tmp_path / "r.duckdb"
    assert load(db, write(emp.drop(columns=["regrettable"]), tmp_path / "plain.csv"), men) == 0
    con = duckdb.connect(str(db))  # as the product made it before the flag: no such column, here or in the kept data
    con.execute("ALTER TABLE employees DROP COLUMN regrettable")
    con.close()
    assert load(db, write(emp, tmp_path / "e.csv"), men) == 0  # the column comes back on opening
    con = duckdb.connect(str(db))
    saved = con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'saved' "
                        "AND table_name LIKE 'employees%'").fetchall()
    assert saved
    for (name,) in saved:
        con.execute(f"ALTER TABLE saved.{name} DROP COLUMN IF EXISTS regrettable")
    con.close()
    assert summary_json(db, capsys, "--event", "regrettable")["regrettable_by"] == "flag"
    assert main(["undo", "--db", str(db)]) == 0  # back to the data kept without the column
    assert summary_json(db, capsys, "--event", "regrettable")["regrettable_by"] == "rating"
    assert main(["redo", "--db", str(db)]) == 0
    result = summary_json(db, capsys, "--event", "regrettable")
    assert (result["regrettable_by"], result["n_events"]) == ("flag", expected(emp, flagged=True)[1])


# ---------------------------------------------------------------- every problem in every file at once

def broken(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Employees that load; mentorships without their start date; a job history with no effective date and a
    salary column of words."""
    emp = employees_table(40)
    men = mentorships_table(emp).drop(columns=["start_date"])
    history = pd.DataFrame({"employee_id": emp["employee_id"].iloc[:3], "Salary": ["lots", "many", "plenty"]})
    return (write(emp, tmp_path / "e.csv"), write(men, tmp_path / "mentoring.csv"),
            write(history, tmp_path / "history.csv"))


def test_every_file_s_problems_come_in_one_pass(tmp_path, capsys):
    from analytics.common.errors import InputFilesError

    files = broken(tmp_path)
    with pytest.raises(InputFilesError) as caught:
        prepare_load(*files)
    each = caught.value.each()
    assert [e.file for e in each] == ["mentoring.csv", "history.csv"]
    assert [p[0] for p in each[0].problems] == ["start_date"]
    assert {p[0] for p in each[1].problems} == {"effective_date", "Salary"}  # a found column by its header
    assert any(p[1] == 2 for p in each[1].problems)  # the salary's first bad row, named
    for check in ([], ["--check"]):
        db = tmp_path / "never.duckdb"
        assert load(db, *files[:2], "--job-history", str(files[2]), *check) == 2
        err = capsys.readouterr().err
        assert "2 files have problems" in err
        assert "file 'mentoring.csv', column 'start_date': required column missing" in err
        assert "file 'history.csv'" in err and "column 'effective_date': required column missing" in err
        assert "column 'Salary', row 2: read as salary; no value in this column is a valid number" in err
        assert not db.exists()  # nothing written, not even a database


def test_a_broken_employees_file_does_not_hide_the_others(tmp_path, capsys):
    """The employees file cannot load, so the others are checked against no one: their own problems still come."""
    _, men, history = broken(tmp_path)
    emp = write(employees_table(40).drop(columns=["hire_date"]), tmp_path / "e.csv")
    db = tmp_path / "r.duckdb"
    assert load(db, emp, men, "--job-history", str(history)) == 2
    err = capsys.readouterr().err
    assert "3 files have problems" in err
    assert "file 'e.csv', column 'hire_date': required column missing" in err
    assert "file 'mentoring.csv', column 'start_date'" in err and "file 'history.csv'" in err


def test_the_data_page_shows_every_file_s_problems_at_once(monkeypatch, tmp_path):
    from tests.test_app import open_app, shown

    e, m, h = broken(tmp_path)
    at = open_app(monkeypatch, tmp_path / "upload.duckdb", "views/data.py", auto_demo=False)
    for table, path in (("employees", e), ("mentorships", m), ("job_history", h)):
        at.file_uploader(key=f"upload_{table}").set_value((path.name, path.read_bytes(), "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Check files").click().run()
    assert not at.exception
    errors = [shown(x.value) for x in at.error]
    assert any("file 'mentoring.csv', column 'start_date': required column missing" in x for x in errors)
    assert any("file 'history.csv'" in x and "effective_date" in x for x in errors)
    assert not any(b.label == "Load into the dashboard" for b in at.button)


# ---------------------------------------------------------------- from the warehouse

def test_a_warehouse_boolean_is_the_flag_and_every_tables_problems_come_at_once(postgres, tmp_path, capsys):
    """A PostgreSQL boolean (here: every voluntary exit from Sales flagged, the others not) is read as the flag;
    two queries at fault are named together, each as the query it is, and nothing is written."""
    db = tmp_path / "w.duckdb"
    flag = ("CASE WHEN termination_reason = 'voluntary' THEN department = 'Sales' END AS \"Regrettable Termination\"")
    assert main(["load", "--db", str(db), "--from", postgres.url(),
                 "--employees-query", f"SELECT *, {flag} FROM hr.employees",
                 "--mentorships-table", "hr.mentorships"]) == 0
    con = database.connect(db)
    try:
        stored = con.execute("SELECT count(*) FILTER (WHERE regrettable), count(regrettable), "
                             "count(*) FILTER (WHERE termination_reason = 'voluntary' AND department = 'Sales'), "
                             "count(*) FILTER (WHERE termination_reason = 'voluntary') FROM employees").fetchone()
        settled = queries.snapshot(con, event="regrettable")
    finally:
        con.close()
    assert stored[0] == stored[2] > 0 and stored[1] == stored[3] > stored[0]
    assert settled.regrettable_by == "flag"

    capsys.readouterr()
    never = tmp_path / "never.duckdb"
    for check in ([], ["--check"]):
        assert main(["load", "--db", str(never), "--from", postgres.url(), "--employees-table", "hr.employees",
                     "--mentorships-query", "SELECT mentee_id FROM hr.mentorships",
                     "--job-history-query", "SELECT employee_id, 'lots' AS salary, 'many' AS pay FROM hr.employees "
                                            "LIMIT 3", *check]) == 2
        err = capsys.readouterr().err
        assert "2 tables have problems" in err
        assert "the mentorships query, column 'start_date': required column missing" in err
        assert "the job history query" in err and "column 'effective_date': required column missing" in err
        assert "column 'salary', row 1: no value in this column is a valid number" in err
        assert not never.exists()


def test_the_pages_say_the_flag_is_what_made_an_exit_regrettable(tmp_path, monkeypatch):
    from tests.test_app import assert_clean, open_app, shown

    emp = company()
    db = tmp_path / "r.duckdb"
    assert load(db, write(emp, tmp_path / "e.csv"), write(mentorships(emp), tmp_path / "m.csv")) == 0
    at = open_app(monkeypatch, db, "views/overview.py", state={"event": "regrettable"})
    assert_clean(at)
    assert "leaving means leaving voluntarily in an exit the employee file flags as regrettable" in \
        " ".join(shown(c.value) for c in at.caption)
    at.switch_page("views/methods.py").run()
    assert not at.exception
    assert any("read from the employee file's own flag" in shown(i.value) and "Everyone is followed" in shown(i.value)
               for i in at.info)


def test_the_target_trial_says_which_exits_it_counted(tmp_path):
    """The trial's sentence says a regrettable exit as the data told it: by the flag, or by the top rating."""
    from dataclasses import replace

    from analytics.estimation.results import Estimate
    from analytics.estimation.trial import HorizonRisks, TargetTrial
    from analytics.outputs.messages import trial_sentence

    risk = Estimate(0.1, 0.05, 0.15)
    made = TargetTrial(starters=40, comparisons=900, comparison_people=300, sampled=400, trials=20,
                       by_horizon={12: HorizonRisks(12, risk, risk, Estimate(-0.03, -0.05, -0.01), risk)},
                       balance=[], negative_control=None, overlap={}, weights={}, covariates_from="snapshot",
                       event="regrettable", regrettable_by="flag")
    assert trial_sentence(made).endswith(" Leaving here means leaving voluntarily in an exit the employee file flags "
                                         "as regrettable.")
    assert "fewer leave within a year than if they had not" in trial_sentence(made)
    assert trial_sentence(replace(made, regrettable_by="rating")).endswith(
        " Leaving here means leaving voluntarily, among people rated at the top of the scale.")
