"""The optional third input, the job history: read as HRIS exports write it (Workday, BambooHR), every row checked
against the employees and set aside with its row number and reason, rows of one person and day merged or set
aside, stored in the job_history table that each load replaces, kept and brought back by undo, from the CLI, the
warehouse and the Data page; a database made before it keeps working."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from analytics.common.errors import InputFileError
from analytics.intake.prepare import prepare_load, template_csv
from analytics.intake.schema import HEADER_SYNONYMS, JOB_HISTORY, map_change
from analytics.store import database, loads
from analytics.surface.cli import main
from tests.builders import employees_table, mentorships_table, write
from tests.test_warehouse import postgres  # noqa: F401  (the PostgreSQL server fixture)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
COLUMNS = JOB_HISTORY.names


def company(n: int = 40):
    emp = employees_table(n)
    return emp, mentorships_table(emp, 15)


def canonical(emp: pd.DataFrame, people: int = 25) -> pd.DataFrame:
    """The job history as the contract has it: a hire row, a merit rise 200 days in and a promotion 320 days in,
    each while the person is there; an empty field is unchanged."""
    rows = []
    for person in emp.iloc[:people].itertuples():
        hire = pd.Timestamp(person.hire_date)
        end = pd.Timestamp(person.termination_date) if person.termination_date else pd.Timestamp("2030-01-01")
        pay = float(person.salary)
        rows.append({"employee_id": person.employee_id, "effective_date": hire, "job_level": "Analyst",
                     "department": person.department, "location": person.location,
                     "manager_id": person.manager_id or None, "salary": pay, "change_reason": "hire"})
        if hire + pd.Timedelta(days=200) <= end:
            rows.append({"employee_id": person.employee_id, "effective_date": hire + pd.Timedelta(days=200),
                         "salary": pay + 1500, "performance_rating": 4.0, "change_reason": "pay_change"})
        if hire + pd.Timedelta(days=320) <= end:
            rows.append({"employee_id": person.employee_id, "effective_date": hire + pd.Timedelta(days=320),
                         "job_level": "Senior Analyst", "salary": pay + 6000, "change_reason": "promotion"})
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


WORKDAY_REASONS = {"hire": ("Hire", "Hire > Hire Employee > New Hire"),
                   "pay_change": ("Request Compensation Change", "Request Compensation Change > Merit > Merit Increase"),
                   "promotion": ("Change Job", "Job Change > Promotion > Promotion")}
BAMBOO_REASONS = {"hire": "Hire", "pay_change": "Merit", "promotion": "Promotion"}


def _text(values: pd.Series, fmt) -> list[str]:
    return ["" if pd.isna(v) else fmt(v) for v in values]


def workday_file(history: pd.DataFrame, path: Path) -> Path:
    """A Workday worker history report: a title row and a prompt row above the header, US dates, pay with a dollar
    sign, the business process type beside its reason, a per-hour base pay and the worker's name (not used)."""
    frame = pd.DataFrame({
        "Worker": [f"Person {i}" for i in range(len(history))],
        "Worker ID": history["employee_id"],
        "Effective Date": history["effective_date"].dt.strftime("%m/%d/%Y"),
        "Business Process Type": [WORKDAY_REASONS[r][0] for r in history["change_reason"]],
        "Business Process Reason": [WORKDAY_REASONS[r][1] for r in history["change_reason"]],
        "Management Level": _text(history["job_level"], str),
        "Supervisory Organization": _text(history["department"], str),
        "Location": _text(history["location"], str),
        "Manager ID": _text(history["manager_id"], str),
        "Total Base Pay Annualized": _text(history["salary"], lambda v: f"${v:,.2f}"),
        "Base Pay": _text(history["salary"], lambda v: f"{v / 2080:.2f}"),
        "Performance Rating": _text(history["performance_rating"], lambda v: f"{int(v)} - Exceeds Expectations"),
    })
    lines = ["Worker History Report,,,", "Effective as of: 12/31/2024,,,", frame.to_csv(index=False)]
    path.write_text("\n".join(lines))
    return path


def bamboo_file(history: pd.DataFrame, path: Path) -> Path:
    """BambooHR's job information and compensation in one export: day-first dates, 'Reports To', 'Pay Rate' in
    USD, a division beside the department, a comment (not used)."""
    frame = pd.DataFrame({
        "Employee #": history["employee_id"],
        "Date": history["effective_date"].dt.strftime("%d/%m/%Y"),
        "Location": _text(history["location"], str),
        "Division": ["North America" if pd.notna(d) else "" for d in history["department"]],
        "Department": _text(history["department"], str),
        "Job Title": _text(history["job_level"], str),
        "Reports To": _text(history["manager_id"], str),
        "Pay Rate": _text(history["salary"], lambda v: f"{v:,.2f} USD"),
        "Performance Rating": _text(history["performance_rating"], lambda v: f"{int(v)}/5"),
        "Change Reason": [BAMBOO_REASONS[r] for r in history["change_reason"]],
        "Comment": ["as agreed" for _ in range(len(history))],
    })
    frame.to_excel(path, index=False) if path.suffix == ".xlsx" else frame.to_csv(path, index=False)
    return path


def stored(db: Path, table: str = "job_history") -> pd.DataFrame:
    con = database.connect(db)
    try:
        return database.frame(con, table)
    finally:
        con.close()


def expected_table(history: pd.DataFrame) -> pd.DataFrame:
    return history.sort_values(["employee_id", "effective_date"], kind="stable").reset_index(drop=True)


def assert_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The same rows and values, an empty cell as None whatever its column's type."""
    def plain(frame: pd.DataFrame) -> list[list]:
        frame = frame.assign(effective_date=pd.to_datetime(frame["effective_date"]).dt.strftime("%Y-%m-%d"))
        return [[None if pd.isna(v) else v for v in row] for row in frame[COLUMNS].itertuples(index=False)]
    assert plain(got) == plain(expected)


def load(db: Path, emp: Path, men: Path, *more: str) -> int:
    return main(["load", "--db", str(db), "--employees", str(emp), "--mentorships", str(men), *more])


# ---------------------------------------------------------------- the HRIS exports

@pytest.mark.parametrize("kind", ["workday", "bamboohr-csv", "bamboohr-xlsx"])
def test_an_hris_job_history_loads_with_no_flags_and_gives_the_contracts_table(tmp_path, capsys, kind):
    emp, men = company()
    history = canonical(emp)
    files = write(emp, tmp_path / "staff.csv"), write(men, tmp_path / "mentoring.csv")
    given = (workday_file(history, tmp_path / "worker_history.csv") if kind == "workday" else
             bamboo_file(history, tmp_path / ("job_info.csv" if kind == "bamboohr-csv" else "job_info.xlsx")))
    db = tmp_path / "r.duckdb"
    assert load(db, *files, "--job-history", str(given)) == 0
    out = capsys.readouterr().out
    assert f"job_history: {len(history)} rows loaded from {given.name}, 0 set aside" in out
    if kind == "workday":
        assert "job_history: header read from row 3" in out
        assert "job_history.effective_date: dates read as MM/DD/YYYY" in out
        assert "job_history: columns not used: Worker, Business Process Type, Base Pay" in out
        assert "change reason 'Job Change > Promotion > Promotion' read as promotion" in out
    else:
        assert "columns not used: Division, Comment" in out
        assert "change reason 'Merit' read as pay_change" in out
        if kind == "bamboohr-csv":
            assert "job_history.effective_date: dates read as DD/MM/YYYY" in out
    got = stored(db)
    assert_table(got, expected_table(history))
    assert list(got.columns) == COLUMNS
    assert got["salary"].iloc[0] == float(emp["salary"].iloc[0])  # '$61,000.00' and '61,000.00 USD' both read


def test_the_job_history_contract_and_the_headers_it_is_known_by():
    assert COLUMNS == ["employee_id", "effective_date", "job_level", "department", "location", "manager_id",
                       "salary", "performance_rating", "change_reason"]
    assert JOB_HISTORY.required == ["employee_id", "effective_date"]
    for column, header in [("employee_id", "Person ID External"), ("employee_id", "User ID"),
                           ("effective_date", "Event Date"), ("change_reason", "Event Reason"),
                           ("job_level", "Pay Grade"), ("job_level", "Job Classification"),
                           ("manager_id", "Supervisor"), ("salary", "Annual Salary"), ("salary", "Base Pay"),
                           ("job_level", "Compensation Grade"), ("change_reason", "Business Process Type")]:
        assert header in HEADER_SYNONYMS["job_history"][column]
    for wording, meaning in [("Merit Increase", "pay_change"), ("Annual Review", "rating"),
                             ("Promotion > Promotion", "promotion"), ("Lateral Move", "transfer"),
                             ("Data Change", "other"), ("Job Change > Transfer", "transfer"),
                             ("Hire > New Hire", "hire"), ("Demotion", "demotion"), ("Rehire", "hire"),
                             ("Cost of Living Adjustment", "pay_change"), ("Department Change", "transfer")]:
        assert map_change(wording) == meaning, wording


def test_a_successfactors_export_reads_its_own_names(tmp_path):
    """SAP SuccessFactors: 'Person ID External' beside 'User ID', 'Event Date' beside 'Start Date', 'Event Reason'
    beside 'Event': the first of each is read, the other listed as not used."""
    emp, men = company()
    history = canonical(emp, 5)
    frame = pd.DataFrame({"User ID": [f"u{i}" for i in range(len(history))],
                          "Person ID External": history["employee_id"],
                          "Start Date": "2001-01-01", "Event Date": history["effective_date"].dt.strftime("%Y-%m-%d"),
                          "Event": "Data Change", "Event Reason": [{"hire": "New Hire", "pay_change": "Pay Change",
                                                                    "promotion": "Promotion"}[r]
                                                                   for r in history["change_reason"]],
                          "Pay Grade": _text(history["job_level"], str), "Annual Salary": _text(history["salary"], str)})
    plan = prepare_load(write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"),
                        write(frame, tmp_path / "sf.csv"))
    report = plan.report()
    assert report["job_history"] == {"file": "sf.csv", "loaded": len(history), "rejected": 0, "merged": 0,
                                     "unknown_people": 0}
    assert set(report["ignored_columns"]["job_history"]) == {"User ID", "Start Date", "Event"}
    got = plan.job_history.frame
    assert list(got["change_reason"]) == list(history.sort_values(["employee_id", "effective_date"])["change_reason"])


def test_an_ambiguous_header_is_refused_by_name_and_a_map_settles_it(tmp_path, capsys):
    emp, men = company()
    frame = pd.DataFrame({"Employee ID": ["E0001"], "Effective Date": [emp["hire_date"].iloc[1]],
                          "Job Level": ["L2"], "job-level": ["L3"]})
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    path = write(frame, tmp_path / "h.csv")
    db = tmp_path / "r.duckdb"
    assert load(db, *files, "--job-history", str(path)) == 2
    err = capsys.readouterr().err
    assert "file 'h.csv', column 'job_level': headers ['Job Level', 'job-level'] all match" in err
    assert not db.exists()  # a refused load creates no database
    assert load(db, *files, "--job-history", str(path), "--map", "job_history.job_level=job-level") == 0
    assert list(stored(db)["job_level"]) == ["L3"]


# ---------------------------------------------------------------- rows set aside, merged

def test_bad_rows_are_set_aside_with_their_row_number_and_reason(tmp_path, capsys):
    emp, men = company()
    emp.loc[7, "hire_date"] = "not a date"  # E0007 is set aside in employees
    left = emp[emp["termination_date"] != ""].iloc[0]
    staying = emp.iloc[2]
    rows = [  # data starts on row 2
        ("E0002", staying.hire_date, "L1", "", "Hire"),                               # 2 kept
        ("E9999", staying.hire_date, "L1", "", "Hire"),                               # 3 unknown person
        ("E0002", "2001-01-01", "L1", "", "Hire"),                                    # 4 before hire
        (left.employee_id, "2099-01-01", "L2", "", "Promotion"),                      # 5 after exit
        ("E0002", "31/02/2024", "L2", "", "Promotion"),                               # 6 no such day
        ("E0002", "2029-03-01", "L2", "lots", "Merit Increase"),                      # 7 unreadable salary
        ("E0007", "2022-01-01", "L2", "", "Promotion"),                               # 8 set aside in employees
        ("", "2022-01-01", "L2", "", "Promotion"),                                    # 9 no person
        ("E0002", "", "L2", "", "Promotion"),                                         # 10 no date
        ("E0002", "2029-06-01", "L3", "-5", "Promotion"),                             # 11 a negative salary
    ]
    frame = pd.DataFrame(rows, columns=["employee_id", "effective_date", "job_level", "salary", "change_reason"])
    frame["effective_date"] = frame["effective_date"].replace({"31/02/2024": "2024-02-31"})
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    db = tmp_path / "r.duckdb"
    assert load(db, *files, "--job-history", str(write(frame, tmp_path / "h.csv"))) == 0
    out = capsys.readouterr().out
    assert "job_history: 1 rows loaded from h.csv, 9 set aside" in out
    assert "Warning: 9 of 10 job history rows (90.0%) were set aside" in out
    assert main(["rejects", "--db", str(db), "--out", str(tmp_path / "rejects.csv")]) == 0
    rejects = pd.read_csv(tmp_path / "rejects.csv")
    mine = rejects[rejects["table_name"] == "job_history"].set_index("row_number")
    reasons = mine["reason"].to_dict()
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert reasons[3] == "employee_id: 'E9999' is not in employees"
    assert reasons[4] == f"effective_date: 2001-01-01 is before hire_date {staying.hire_date}"
    assert reasons[5] == f"effective_date: 2099-01-01 is after termination_date {left.termination_date}"
    assert reasons[6].startswith("effective_date: ") and "2024-02-31" in reasons[6]
    assert reasons[7].startswith("salary: ") and "lots" in reasons[7]
    assert reasons[8] == "employee_id: 'E0007' was set aside in employees (row 9)"
    assert reasons[9] == "employee_id: required value is empty"
    assert reasons[10] == "effective_date: required value is empty"
    assert reasons[11] == "salary: -5 is not a positive amount"
    assert (mine["source_file"] == "h.csv").all() and mine.loc[3, "column_name"] == "employee_id"
    assert json.loads(mine.loc[7, "raw"]) == {"employee_id": "E0002", "effective_date": "2029-03-01", "salary": "lots"}
    kept = stored(db)
    assert list(kept["employee_id"]) == ["E0002"] and kept["effective_date"].iloc[0] == pd.Timestamp(staying.hire_date)


def test_a_job_history_of_other_ids_is_said_to_be_so(tmp_path, capsys):
    """BambooHR's 'Employee #' holding 1, 2, 3 beside an employees file of E0001, E0002: not a few bad rows but
    other ids, said in words before anything loads; a few unknown people are only rows set aside."""
    emp, men = company()
    history = canonical(emp, 10)
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    other = bamboo_file(history.assign(employee_id=history["employee_id"].str.replace("E", "#")), tmp_path / "bb.csv")
    assert load(tmp_path / "r.duckdb", *files, "--job-history", str(other), "--check") == 0
    out = capsys.readouterr().out
    given = len(history)
    assert (f"Warning: {given} of {given} job history rows (100%) name someone who is not in the employees file, so "
            "they were set aside: check that both files give the same employee ids") in out
    assert "job history rows (100.0%) were set aside" not in out  # the sharper warning only
    few = history.copy()
    few.loc[:2, "employee_id"] = "E9999"
    assert load(tmp_path / "r.duckdb", *files, "--job-history", str(bamboo_file(few, tmp_path / "bb.csv")),
                "--check") == 0
    out = capsys.readouterr().out
    assert "not in the employees file" not in out and f"3 of {given} job history rows" in out


def test_rows_of_one_person_and_day_merge_or_the_later_is_set_aside(tmp_path):
    emp, men = company()
    day = (pd.Timestamp(emp["hire_date"].iloc[3]) + pd.Timedelta(days=30)).strftime("%Y-%m-%d")
    hire = emp["hire_date"].iloc[3]
    rows = [
        ("E0003", day, "L2", "", "", "Promotion"),          # row 2: the first of the day
        ("E0003", day, "", "52000", "", "Merit Increase"),  # row 3: fills another field: merged
        ("E0003", day, "L2", "", "4", ""),                  # row 4: agrees, and fills the rating: merged
        ("E0003", day, "L3", "", "", "Data Change"),        # row 5: disagrees with row 2's level: set aside
        ("E0003", day, "", "53000", "", "Merit Increase"),  # row 6: disagrees with row 3's salary: set aside
        ("E0003", hire, "L1", "48000", "", "Hire"),         # row 7: another day, kept; before the others once sorted
    ]
    frame = pd.DataFrame(rows, columns=["Employee ID", "Effective Date", "Job Level", "Salary", "Performance Rating",
                                        "Change Reason"])
    plan = prepare_load(write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"),
                        write(frame, tmp_path / "h.csv"))
    got = plan.job_history.frame
    assert list(got["effective_date"].dt.strftime("%Y-%m-%d")) == [hire, day]  # sorted by person and date
    merged = got.iloc[1]
    assert (merged["job_level"], merged["salary"], merged["performance_rating"]) == ("L2", 52000.0, 4.0)
    assert merged["change_reason"] == "promotion"  # a promotion and a merit rise on one day: a promotion
    rejects = plan.job_history.rejects.set_index("row_number")["reason"].to_dict()
    assert rejects == {
        5: "job_level: 'L3' disagrees with 'L2' on row 2, the same person's row of the same effective_date",
        6: "salary: 53000 disagrees with 52000 on row 3, the same person's row of the same effective_date"}
    assert plan.report()["job_history"] == {"file": "h.csv", "loaded": 2, "rejected": 2, "merged": 2, "unknown_people": 0}
    assert plan.quality().set_aside["job_history"] == (2, 6)  # every row given counts, the merged ones too


def test_a_person_with_no_row_at_hire_has_fewer_rows_and_an_empty_history_loads(tmp_path):
    emp, men = company()
    later = (pd.Timestamp(emp["hire_date"].iloc[0]) + pd.Timedelta(days=20)).strftime("%Y-%m-%d")
    plan = prepare_load(write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"),
                        write(pd.DataFrame({"employee_id": ["E0000"], "effective_date": [later], "salary": ["1"]}),
                              tmp_path / "h.csv"))
    assert len(plan.job_history.frame) == 1 and plan.job_history.frame["job_level"].isna().all()
    empty = write(pd.DataFrame(columns=["employee_id", "effective_date"]), tmp_path / "empty.csv")
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv", empty)
    assert plan.report()["job_history"]["loaded"] == 0 and list(plan.job_history.frame.columns) == COLUMNS


def test_every_problem_of_the_job_history_file_at_once(tmp_path):
    emp, men = company()
    frame = pd.DataFrame({"Effective Date": ["2021-01-01", "2021-02-01"], "Salary": ["lots", "many"]})
    with pytest.raises(InputFileError) as caught:
        prepare_load(write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"), write(frame, tmp_path / "h.csv"))
    assert caught.value.file == "h.csv"
    assert [p[0] for p in caught.value.problems] == ["employee_id", "Salary"]  # a missing column, and one of words
    frame["Worker ID"] = "E0001"
    with pytest.raises(InputFileError) as caught:
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv", write(frame, tmp_path / "h.csv"))
    assert "no value in this column is a valid number" in str(caught.value)


def test_a_meaning_given_for_a_change_reason_is_kept_for_the_next_load(tmp_path, capsys):
    emp, men = company()
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    frame = pd.DataFrame({"employee_id": ["E0001"], "effective_date": [emp["hire_date"].iloc[1]],
                          "change_reason": ["Onboarding Sync"]})
    path = write(frame, tmp_path / "h.csv")
    (tmp_path / "meanings.csv").write_text("value,meaning\nData Change,rating\n")
    db = tmp_path / "r.duckdb"
    assert load(db, *files, "--job-history", str(path)) == 0
    assert list(stored(db)["change_reason"]) == ["hire"]  # by rule: onboard...
    frame["change_reason"] = "Data Change"
    assert load(db, *files, "--job-history", str(write(frame, path)), "--change-map", str(tmp_path / "meanings.csv")) == 0
    assert "change reason 'Data Change' read as rating (1 rows, your choice)" in capsys.readouterr().out
    assert load(db, *files, "--job-history", str(path)) == 0  # remembered
    assert list(stored(db)["change_reason"]) == ["rating"]


# ---------------------------------------------------------------- the store: loads, undo, history

def test_each_load_replaces_the_history_and_undo_brings_the_earlier_one_back(tmp_path, capsys):
    emp, men = company()
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    first, second = canonical(emp, 10), canonical(emp, 4)
    db = tmp_path / "r.duckdb"
    assert load(db, *files, "--job-history", str(workday_file(first, tmp_path / "wd1.csv"))) == 0
    assert load(db, *files, "--job-history", str(bamboo_file(second, tmp_path / "bb2.csv"))) == 0
    assert_table(stored(db), expected_table(second))
    assert load(db, *files) == 0  # no job history: the table is emptied
    assert stored(db).empty
    capsys.readouterr()
    assert main(["undo", "--db", str(db)]) == 0
    assert f"{len(second)} job history rows" in capsys.readouterr().out
    assert_table(stored(db), expected_table(second))
    assert main(["undo", "--db", str(db)]) == 0
    assert_table(stored(db), expected_table(first))
    assert main(["redo", "--db", str(db)]) == 0 and main(["redo", "--db", str(db)]) == 0
    assert stored(db).empty
    assert main(["undo", "--to", "1", "--db", str(db)]) == 0
    assert_table(stored(db), expected_table(first))
    capsys.readouterr()
    assert main(["history", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1].endswith(f"files: 40 employees, 15 mentorships, {len(first)} job history rows "
                              "(e.csv, m.csv, wd1.csv)  <- shown now")
    assert lines[-3].endswith("files: 40 employees, 15 mentorships (e.csv, m.csv)  (kept: undo --to brings it back)")
    assert (f"UTC  restore: 40 employees, 15 mentorships, {len(first)} job history rows "
            "((as in state 1), (as in state 1), (as in state 1))") in lines[0]
    con = database.connect(db)
    try:
        history = loads.history(con)
        report = json.loads(database.frame(con, "load_history")["report"].iloc[-1])
    finally:
        con.close()
    f, s = len(first), len(second)  # loads, undo, undo, redo, redo, back to state 1
    assert list(history["job_history_loaded"])[::-1] == [f, s, 0, s, f, s, 0, f]
    assert report["job_history"]["loaded"] == len(first) and report["to"] == 1


def test_the_rejects_of_a_state_come_back_with_it(tmp_path):
    emp, men = company()
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    bad = pd.DataFrame({"employee_id": ["E9999"], "effective_date": ["2021-01-01"]})
    db = tmp_path / "r.duckdb"
    assert load(db, *files, "--job-history", str(write(bad, tmp_path / "h.csv"))) == 0
    assert list(stored(db, "rejects")["table_name"]) == ["job_history"]
    assert load(db, *files) == 0 and stored(db, "rejects").empty
    assert main(["undo", "--db", str(db)]) == 0
    assert list(stored(db, "rejects")["table_name"]) == ["job_history"]


def _old_database(db: Path, tmp_path: Path) -> None:
    """A database as the product made it before the job history: two loads (the first one's data kept), then
    the table, its saved copies and the load history's new columns taken out."""
    emp, men = company()
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    assert load(db, *files) == 0 and load(db, write(emp.iloc[:30], tmp_path / "e30.csv"), files[1]) == 0
    con = duckdb.connect(str(db))
    for (name,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'saved' "
                               "AND table_name LIKE 'job_history%'").fetchall():
        con.execute(f"DROP TABLE saved.{name}")
    con.execute("DROP TABLE job_history")
    con.execute("ALTER TABLE load_history DROP COLUMN job_history_file")
    con.execute("ALTER TABLE load_history DROP COLUMN job_history_loaded")
    con.close()


def test_a_database_made_before_the_job_history_opens_and_goes_back(tmp_path, capsys):
    db = tmp_path / "old.duckdb"
    _old_database(db, tmp_path)
    con = duckdb.connect(str(db))
    tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'main'").fetchall()}
    con.close()
    assert "job_history" not in tables
    capsys.readouterr()
    assert main(["history", "--db", str(db)]) == 0
    assert "files: 30 employees, 15 mentorships (e30.csv, m.csv)  <- shown now" in capsys.readouterr().out
    assert stored(db).empty and list(stored(db).columns) == COLUMNS
    assert main(["undo", "--db", str(db)]) == 0  # to a state kept before the job history: none
    assert len(stored(db, "employees")) == 40 and stored(db).empty
    emp, _ = company()
    assert load(db, tmp_path / "e.csv", tmp_path / "m.csv", "--job-history",
                str(workday_file(canonical(emp, 3), tmp_path / "wd.csv"))) == 0
    assert len(stored(db)) == len(canonical(emp, 3))
    assert main(["summary", "--db", str(db)]) == 0


# ---------------------------------------------------------------- the CLI

def test_check_shows_the_job_history_and_writes_nothing(tmp_path, capsys):
    emp, men = company()
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    history = canonical(emp)
    path = workday_file(history, tmp_path / "wd.csv")
    db = tmp_path / "never.duckdb"
    assert load(db, *files, "--job-history", str(path), "--check") == 0
    out = capsys.readouterr().out
    assert f"job_history: {len(history)} rows ready from wd.csv, 0 set aside" in out
    assert "change reason 'Hire > Hire Employee > New Hire' read as hire" in out
    assert out.endswith("Checked only: nothing was loaded.\n") and not db.exists()


def test_the_header_row_and_a_map_of_the_job_history_are_given_by_name(tmp_path, capsys):
    emp, men = company()
    files = write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")
    history = canonical(emp, 3)
    path = workday_file(history, tmp_path / "wd.csv")
    db = tmp_path / "r.duckdb"
    assert load(db, *files, "--job-history", str(path), "--header-row", "job_history=3",
                "--map", "job_history.salary=Base Pay", "--map", "job_history.location=") == 0
    got = stored(db)
    assert got["salary"].iloc[0] == pytest.approx(float(emp["salary"].iloc[0]) / 2080, abs=0.01)
    assert got["location"].isna().all()
    assert load(db, *files, "--job-history", str(path), "--header-row", "job_history=1") == 2
    assert "required column missing" in capsys.readouterr().err
    assert main(["load", "--db", str(db), "--map", "history.salary=Pay", "--employees", str(files[0]),
                 "--mentorships", str(files[1])]) == 2


def test_the_samples_and_the_template_load_cleanly(tmp_path, monkeypatch):
    con = database.connect(tmp_path / "s.duckdb")
    report = loads.load_files(con, DATA / "sample_employees.csv", DATA / "sample_mentorships.csv",
                              DATA / "sample_job_history.csv")
    assert report["job_history"]["rejected"] == 0 and report["job_history"]["loaded"] > 600
    history = database.frame(con, "job_history")
    assert set(history["change_reason"]) == {"hire", "pay_change", "promotion", "transfer"}
    assert history.groupby("employee_id").size().min() >= 1 and history["employee_id"].nunique() == 300
    last = history.groupby("employee_id")[["job_level", "department", "salary"]].last()
    now = database.frame(con, "employees").set_index("employee_id").loc[last.index]
    assert (last["job_level"] == now["job_level"]).all() and (last["salary"] == now["salary"]).all()
    assert (last["department"] == now["department"]).all()
    con.close()
    assert list(pd.read_csv(DATA / "sample_job_history.csv").columns) == COLUMNS
    import scripts.make_samples as make

    monkeypatch.setattr(make, "DATA", tmp_path)
    make.main()
    assert (tmp_path / "sample_job_history.csv").read_text() == (DATA / "sample_job_history.csv").read_text()
    for table in ("employees", "mentorships", "job_history"):
        (tmp_path / f"t_{table}.csv").write_text(template_csv(table))
    plan = prepare_load(tmp_path / "t_employees.csv", tmp_path / "t_mentorships.csv", tmp_path / "t_job_history.csv")
    assert len(plan.rejects) == 0 and len(plan.job_history.frame) == 4
    assert list(pd.read_csv(tmp_path / "t_job_history.csv").columns) == COLUMNS


# ---------------------------------------------------------------- the dashboard

def test_the_data_page_takes_a_job_history_beside_the_two_files(monkeypatch, tmp_path):
    from tests.test_app import assert_clean, open_app, tick

    db = tmp_path / "upload.duckdb"
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    assert [b.label for b in at.get("download_button")][:3] == [
        "Template: employees (CSV)", "Template: mentorships (CSV)", "Template: job history (CSV)"]
    emp, men = company(60)
    history = canonical(emp)
    history.loc[0, "employee_id"] = "E9999"  # one row set aside
    at.file_uploader(key="upload_employees").set_value(("staff.csv", emp.to_csv(index=False).encode(), "text/csv"))
    at.file_uploader(key="upload_mentorships").set_value(("mentoring.csv", men.to_csv(index=False).encode(),
                                                          "text/csv"))
    workday_file(history, tmp_path / "wd.csv")
    at.file_uploader(key="upload_job_history").set_value(("worker_history.csv", (tmp_path / "wd.csv").read_bytes(),
                                                          "text/csv"))
    at.run()
    assert_clean(at)
    assert at.number_input(key=next(k.key for k in at.number_input if k.key.startswith("header_job_history"))).value == 3
    picks = {s.label: s.value for s in at.selectbox if s.key.startswith("map_job_history_")}
    assert picks["employee_id (required)"] == "Worker ID" and picks["salary"] == "Total Base Pay Annualized"
    assert picks["change_reason"] == "Business Process Reason"
    next(b for b in at.button if b.label == "Check files").click().run()
    assert_clean(at)
    ready = {m.label: m.value for m in at.metric}
    assert ready["Job history rows ready"] == f"{len(history) - 1}" and ready["Rows set aside"] == "1"
    assert any("What each job change reason means" in e.label for e in at.expander)
    promotion = next(s for s in at.selectbox if s.key.startswith("means_change_reason_")
                     and "Promotion" in s.key)
    promotion.set_value("transfer").run()  # a meaning changed: read again with it
    assert_clean(at)
    tick(at, "confirm_load")
    next(b for b in at.button if b.label == "Load into the dashboard").click().run()
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}["Job history rows"] == f"{len(history) - 1}"
    con = database.connect(db)
    try:
        got = database.frame(con, "job_history")
        rejects = database.frame(con, "rejects")
    finally:
        con.close()
    assert len(got) == len(history) - 1 and "promotion" not in set(got["change_reason"])
    assert (got["change_reason"] == "transfer").sum() == (history["change_reason"] == "promotion").sum()
    assert list(rejects["table_name"]) == ["job_history"]


def test_the_data_page_without_a_job_history_loads_as_before(monkeypatch, tmp_path):
    from tests.test_app import assert_clean, open_app, tick

    db = tmp_path / "upload.duckdb"
    emp, men = company()
    con = database.connect(db)
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"),
                     workday_file(canonical(emp), tmp_path / "wd.csv"))
    con.close()
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    assert {m.label: m.value for m in at.metric}["Job history rows"] == str(len(canonical(emp)))
    at.file_uploader(key="upload_employees").set_value(("staff.csv", emp.to_csv(index=False).encode(), "text/csv"))
    at.file_uploader(key="upload_mentorships").set_value(("mentoring.csv", men.to_csv(index=False).encode(),
                                                          "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Check files").click().run()
    assert_clean(at)
    assert "Job history rows ready" not in {m.label for m in at.metric}
    tick(at, "confirm_load")
    next(b for b in at.button if b.label == "Load into the dashboard").click().run()
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}["Job history rows"] == "0"


# ---------------------------------------------------------------- the warehouse

JOB_CHANGES_SQL = """
SET ROLE {owner};
CREATE TABLE hr.job_changes AS
    SELECT employee_id AS "Worker ID", hire_date AS "Effective Date", job_level AS "Management Level",
        department AS "Supervisory Organization", salary::money AS "Total Base Pay Annualized",
        'Hire > Hire Employee > New Hire'::text AS "Business Process Reason"
    FROM hr.employees
    UNION ALL
    SELECT employee_id, (hire_date + 400)::timestamptz, NULL, NULL, (salary * 1.03)::money, 'Merit Increase'
    FROM hr.employees WHERE termination_date IS NULL OR termination_date >= hire_date + 400;
RESET ROLE;
"""


@pytest.fixture(scope="module")
def warehouse_with_history(postgres):
    """The warehouse of tests/test_warehouse.py (the demo company, read by a role that may only read) with a
    Workday-like job history beside it: a hire row each, and a merit rise 400 days in stamped in the warehouse's
    time zone."""
    from tests import test_warehouse

    postgres.sql(JOB_CHANGES_SQL.format(owner=test_warehouse.OWNER))
    return postgres, test_warehouse


def test_the_job_history_comes_from_the_warehouse_and_refresh_reads_it_again(warehouse_with_history, tmp_path,
                                                                             capsys, monkeypatch):
    server, tw = warehouse_with_history
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no.pgpass"))
    db = tmp_path / "w.duckdb"
    tables = ("--employees-table", "hr.employees", "--mentorships-table", "hr.mentorships")
    assert main(["load", "--db", str(db), "--from", server.url(), *tables, "--job-history-table", "hr.job_changes",
                 "--check"]) == 0
    out = capsys.readouterr().out
    expected = int(server.sql("SELECT count(*) FROM hr.job_changes"))
    assert f"job_history: {expected} rows ready from table hr.job_changes, 0 set aside" in out
    assert not db.exists()
    assert main(["load", "--db", str(db), "--from", server.url(), *tables,
                 "--job-history-table", "hr.job_changes"]) == 0
    got = stored(db)
    assert len(got) == expected and set(got["change_reason"]) == {"hire", "pay_change"}
    first = got[got["change_reason"] == "pay_change"].iloc[0]
    hired = stored(db, "employees").set_index("employee_id").loc[first["employee_id"]]
    assert first["effective_date"] == hired["hire_date"] + pd.Timedelta(days=400)  # a time stamp's day, in Tokyo
    assert first["salary"] == pytest.approx(round(hired["salary"] * 1.03, 2))
    saved = tw.saved_source(db)
    assert saved["tables"]["job_history"] == "hr.job_changes"
    server.sql(f"SET ROLE {tw.OWNER}; DELETE FROM hr.job_changes WHERE \"Business Process Reason\" = 'Merit Increase'")
    monkeypatch.setenv("PGPASSWORD", tw.PASSWORD)  # never saved: refresh takes it from where it runs
    assert main(["refresh", "--db", str(db)]) == 0
    assert len(stored(db)) == int(server.sql("SELECT count(*) FROM hr.job_changes")) < expected
    assert main(["load", "--db", str(db), "--from", server.url(), *tables, "--job-history-query",
                 "SELECT \"Worker ID\", \"Effective Date\", 'x' AS \"Business Process Reason\" FROM hr.job_changes "
                 "WHERE \"Worker ID\" < 'E000100'"]) == 0
    assert "rows loaded from the job history query" in capsys.readouterr().out
    assert set(stored(db)["change_reason"]) == {"other"}
    assert main(["load", "--db", str(db), "--from", server.url(), *tables]) == 0  # none: emptied
    assert stored(db).empty and "job_history" not in tw.saved_source(db)["tables"]
    assert main(["load", "--db", str(db), "--from", server.url(), *tables, "--job-history-query",
                 "SELECT 1/0 AS employee_id"]) == 2
    assert "the job history query" in capsys.readouterr().err
    assert main(["load", "--db", str(db), "--from", server.url(), *tables, "--job-history",
                 str(tmp_path / "h.csv")]) == 2
    assert "--job-history and --header-row are for files" in capsys.readouterr().err


def test_a_job_history_that_cannot_load_is_named_and_nothing_loads(monkeypatch, tmp_path):
    from tests.test_app import open_app, shown

    db = tmp_path / "upload.duckdb"
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    emp, men = company()
    no_date = canonical(emp).drop(columns=["effective_date"])
    at.file_uploader(key="upload_employees").set_value(("staff.csv", emp.to_csv(index=False).encode(), "text/csv"))
    at.file_uploader(key="upload_mentorships").set_value(("mentoring.csv", men.to_csv(index=False).encode(),
                                                          "text/csv"))
    at.file_uploader(key="upload_job_history").set_value(("history.csv", no_date.to_csv(index=False).encode(),
                                                          "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Check files").click().run()
    assert not at.exception
    assert "file 'history.csv', column 'effective_date': required column missing" in shown(at.error[0].value)
    assert not any(b.label == "Load into the dashboard" for b in at.button)


def test_rows_in_order_are_kept_as_they_are_and_others_sorted_as_pandas_sorts_them():
    """The kept history is sorted by person and date: a history already in that order is the same frame (no copy of
    its columns), one out of order is sorted exactly as pandas' stable sort does, ties in their order."""
    from analytics.intake.history import _by_person_and_date, _positions

    days = pd.to_datetime(["2020-01-01", "2020-03-01", "2020-02-01", "2020-03-01", "2019-05-01"])
    frame = pd.DataFrame({"employee_id": ["E2", "E1", "E10", "E1", "E2"], "effective_date": days,
                          "change_reason": ["a", "b", "c", "d", "e"]})
    want = frame.sort_values(["employee_id", "effective_date"], kind="stable").reset_index(drop=True)
    got = _by_person_and_date(frame)
    pd.testing.assert_frame_equal(got, want)
    assert list(got["change_reason"]) == ["b", "d", "c", "e", "a"]
    assert _by_person_and_date(want) is want
    # each id's row among the employees, -1 for none; an id twice among the employees: its last row
    assert list(_positions(pd.Series(["E1", "E2", "E3"]), ["E3", "E9", None, "E1"])) == [2, -1, -1, 0]
    assert list(_positions(pd.Series(["E1", "E2", "E1"]), ["E1", "E2"])) == [2, 1]
