"""Every validation rule of the data contract (docs/design.md: Input data contract, Bad input)."""
from __future__ import annotations

import re

import pandas as pd
import pytest

from analytics.common.errors import InputFileError
from analytics.intake.prepare import prepare_load
from analytics.store import database, loads, queries
from tests.builders import employees_table, mentorships_table, write


@pytest.fixture
def good(tmp_path):
    emp = employees_table()
    men = mentorships_table(emp)
    return emp, men, tmp_path


def _plan(emp, men, tmp_path, emp_name="employees.csv", men_name="mentorships.csv", **kw):
    return prepare_load(write(emp, tmp_path / emp_name), write(men, tmp_path / men_name), **kw)


# ------------------------------------------------------------ file-level: the load is refused whole

def _drop(col):
    return lambda e, m: (e.drop(columns=[col]), m)


def _set(table, col, value):
    def mutate(e, m):
        target = e if table == "e" else m
        target[col] = value
        return e, m
    return mutate


FILE_LEVEL = [
    pytest.param(_drop("employee_id"), "employees.csv", ", column 'employee_id': required column missing", id="no-employee-id"),
    pytest.param(_drop("hire_date"), "employees.csv", ", column 'hire_date': required column missing", id="no-hire-date"),
    pytest.param(lambda e, m: (e, m.drop(columns=["mentee_id"])), "mentorships.csv",
                 ", column 'mentee_id': required column missing", id="no-mentee-id"),
    pytest.param(lambda e, m: (e, m.drop(columns=["start_date"])), "mentorships.csv",
                 ", column 'start_date': required column missing", id="no-start-date"),
    pytest.param(_set("e", "hire_date", "soon"), "employees.csv",
                 ", column 'hire_date', row 2: no value in this column is a valid date", id="hire-date-all-text"),
    pytest.param(_set("e", "salary", "high"), "employees.csv",
                 ", column 'salary', row 2: no value in this column is a valid number", id="salary-all-text"),
    pytest.param(_set("m", "start_date", "03/04/2021"), "mentorships.csv",
                 ", column 'start_date': cannot tell day from month: every value (e.g. '03/04/2021') reads as "
                 "MM/DD/YYYY and as DD/MM/YYYY", id="start-date-all-ambiguous"),
    pytest.param(lambda e, m: (e.assign(hire_date=e["hire_date"].where(e.index != 3, "03/04/2021")), m), "employees.csv",
                 ", column 'hire_date': mixes date formats: YYYY-MM-DD (e.g. '2022-02-07'), MM/DD/YYYY or "
                 "DD/MM/YYYY (e.g. '03/04/2021')", id="mixed-date-formats"),
    pytest.param(lambda e, m: (e.assign(**{"Employee ID": e["employee_id"]}), m), "employees.csv",
                 ", column 'employee_id': headers ['employee_id', 'Employee ID'] all match", id="two-id-headers"),
    pytest.param(lambda e, m: (e.iloc[:0], m), "employees.csv", ": has a header but no data rows", id="empty-employees"),
    pytest.param(_set("e", "hire_date", ""), "employees.csv", ", column 'hire_date': required column has no values", id="hire-date-all-empty"),
    pytest.param(lambda e, m: (e.assign(termination_date="2000-01-01", termination_reason="quit"), m), "employees.csv",
                 ", column 'termination_date', row 2: every row would be set aside, e.g. termination_date: 2000-01-01 is before",
                 id="every-row-bad"),
]


@pytest.mark.parametrize("mutate, file, message", FILE_LEVEL)
def test_file_level_problem_rejects_the_load(good, mutate, file, message):
    emp, men, tmp = good
    emp, men = mutate(emp.copy(), men.copy())
    with pytest.raises(InputFileError, match="^" + re.escape(f"file '{file}'{message}")):
        _plan(emp, men, tmp)


@pytest.mark.parametrize("name, content, message", [
    pytest.param("employees.json", b"{}", "unsupported file type", id="json"),
    pytest.param("employees.xls", b"\xd0\xcf", "unsupported file type", id="old-excel"),
    pytest.param("employees.csv", b"\x00\x01\x02binary", "cannot be read as csv", id="binary-csv"),
    pytest.param("employees.xlsx", b"not a zip file", "cannot be read as excel", id="corrupt-xlsx"),
    pytest.param("employees.parquet", b"PAR1broken", "cannot be read as parquet", id="corrupt-parquet"),
])
def test_unreadable_file_is_named(good, name, content, message):
    _, men, tmp = good
    (tmp / name).write_bytes(content)
    with pytest.raises(InputFileError, match="^" + re.escape(f"file '{name}': {message}")):
        prepare_load(tmp / name, write(men, tmp / "mentorships.csv"))


def test_missing_file_is_named(good):
    _, men, tmp = good
    with pytest.raises(InputFileError, match="^file 'nowhere.csv': file not found"):
        prepare_load(tmp / "nowhere.csv", write(men, tmp / "mentorships.csv"))


def test_mapping_to_a_header_that_is_not_there(good):
    emp, men, tmp = good
    with pytest.raises(InputFileError, match="mapped header 'Staff No' is not in the file"):
        _plan(emp, men, tmp, mapping={"employees": {"employee_id": "Staff No"}})


# ------------------------------------------------------------ row-level: set aside with row and reason

def _cell(table, row, col, value):
    def mutate(e, m):
        (e if table == "e" else m).loc[row, col] = value
        return e, m
    return mutate


ROW_LEVEL = [
    pytest.param(_cell("e", 5, "employee_id", "E0001"), "employees", 7, "employee_id: duplicate id 'E0001' (first on row 3)", id="duplicate-id"),
    pytest.param(_cell("e", 4, "employee_id", ""), "employees", 6, "employee_id: required value is empty", id="empty-id"),
    pytest.param(_cell("e", 4, "hire_date", ""), "employees", 6, "hire_date: required value is empty", id="empty-hire"),
    pytest.param(_cell("e", 3, "hire_date", "31/02/2021"), "employees", 5, "hire_date: '31/02/2021' is not a date in YYYY-MM-DD form", id="unreadable-date"),
    pytest.param(_cell("e", 3, "hire_date", "2021-02-30"), "employees", 5, "hire_date: '2021-02-30' is not a real calendar date", id="impossible-date"),
    pytest.param(lambda e, m: _cell("e", 2, "termination_date", "2000-01-01")(*_cell("e", 2, "termination_reason", "quit")(e, m)),
                 "employees", 4, "termination_date: 2000-01-01 is before hire_date", id="exit-before-hire"),
    pytest.param(lambda e, m: _cell("e", 2, "termination_date", "")(*_cell("e", 2, "termination_reason", "quit")(e, m)),
                 "employees", 4, "termination_reason: 'quit' given but termination_date is empty", id="reason-without-exit"),
    pytest.param(_cell("e", 6, "salary", "-5"), "employees", 8, "salary: -5 is not a positive amount", id="negative-salary"),
    pytest.param(_cell("e", 6, "salary", "45k"), "employees", 8, "salary: '45k' is not a number", id="salary-text"),
    pytest.param(_cell("e", 6, "birth_year", "1980.5"), "employees", 8, "birth_year: '1980.5' is not a whole number", id="fractional-year"),
    pytest.param(_cell("e", 6, "birth_year", "1801"), "employees", 8, "birth_year: 1801 is not a plausible birth year", id="implausible-year"),
    pytest.param(_cell("e", 6, "performance_rating", "great"), "employees", 8, "performance_rating: 'great' is not a number", id="rating-text"),
    pytest.param(_cell("e", 6, "salary", "1e12"), "employees", 8, "salary: 1e+12 is not a plausible annual salary", id="salary-typo"),
    pytest.param(_cell("e", 3, "hire_date", "1600-01-01"), "employees", 5, "hire_date: 1600-01-01 is not a plausible date (years 1900-2100)", id="date-out-of-range"),
    pytest.param(_cell("m", 1, "meetings", "10000000000"), "mentorships", 3, "meetings: 10000000000 is not a plausible number of meetings", id="meetings-typo"),
    pytest.param(_cell("m", 1, "mentee_id", "E9999"), "mentorships", 3, "mentee_id: 'E9999' is not in employees", id="unknown-mentee"),
    pytest.param(_cell("m", 1, "mentee_id", ""), "mentorships", 3, "mentee_id: required value is empty", id="empty-mentee"),
    pytest.param(_cell("m", 1, "start_date", ""), "mentorships", 3, "start_date: required value is empty", id="empty-start"),
    pytest.param(_cell("m", 1, "start_date", "early May 2021"), "mentorships", 3, "start_date: 'early May 2021' is not a date in YYYY-MM-DD form", id="worded-date"),
    pytest.param(_cell("m", 1, "end_date", "2000-01-01"), "mentorships", 3, "end_date: 2000-01-01 is before start_date", id="end-before-start"),
    pytest.param(_cell("m", 1, "meetings", "-2"), "mentorships", 3, "meetings: -2 is negative", id="negative-meetings"),
    pytest.param(_cell("m", 1, "mentor_id", "E0001"), "mentorships", 3, "mentor_id: mentor and mentee are the same person", id="self-mentoring"),
    pytest.param(lambda e, m: (e, pd.concat([m, m.iloc[[2]]], ignore_index=True)), "mentorships", 17,
                 "mentee_id: duplicate of row 4 (same mentee, mentor and start_date)", id="duplicate-mentorship"),
    pytest.param(_cell("e", 0, "hire_date", "someday"), "mentorships", 2,
                 "mentee_id: 'E0000' was set aside in employees (row 2)", id="mentee-set-aside"),
]


@pytest.mark.parametrize("mutate, table, row, reason", ROW_LEVEL)
def test_bad_row_is_set_aside_with_row_and_reason(good, mutate, table, row, reason):
    emp, men, tmp = good
    emp, men = mutate(emp.copy(), men.copy())
    plan = _plan(emp, men, tmp)
    rejects = plan.rejects[plan.rejects["table_name"] == table]
    hit = rejects[rejects["row_number"] == row]
    assert len(hit) == 1, rejects[["row_number", "reason"]].to_string()
    assert hit["reason"].iloc[0].startswith(reason)
    # every other row of that table still loads
    loaded = plan.employees.frame if table == "employees" else plan.mentorships.frame
    assert len(loaded) + len(rejects) == len(emp if table == "employees" else men)


def test_a_duplicate_ids_mentorships_stay_with_the_row_kept(good):
    """The second E0001 is set aside; E0001's first row loads, and so does E0001's mentorship."""
    emp, men, tmp = good
    emp.loc[5, "employee_id"] = "E0001"
    plan = _plan(emp, men, tmp)
    assert plan.rejects.query("table_name == 'employees'")["row_number"].tolist() == [7]
    assert "E0001" in set(plan.mentorships.frame["mentee_id"])
    assert plan.rejects.query("table_name == 'mentorships'")["reason"].tolist() == ["mentee_id: 'E0005' is not in employees"]


# ------------------------------------------------------------ values the contract maps

def test_termination_reasons_map_common_hris_wording(good):
    emp, men, tmp = good
    emp.loc[:3, "termination_date"] = "2023-06-30"
    emp.loc[:3, "termination_reason"] = ["Resigned", "LAID OFF", "Retired", "Sabbatical"]
    emp.loc[:3, "hire_date"] = "2020-01-01"
    plan = _plan(emp, men, tmp)
    mapped = plan.employees.frame.set_index("employee_id")["termination_reason"]
    assert list(mapped.loc[["E0000", "E0001", "E0002", "E0003"]]) == ["voluntary", "involuntary", "retirement", "other"]
    shown = {(m["given"].lower(), m["mapped_to"]) for m in plan.report()["reason_mapping"]}  # one row per wording
    assert {("resigned", "voluntary"), ("sabbatical", "other")} <= shown


def test_peer_is_read_as_lateral(good):
    emp, men, tmp = good
    men["program_type"] = "Peer"
    plan = _plan(emp, men, tmp)
    assert set(plan.mentorships.frame["program_type"]) == {"lateral"}


@pytest.mark.parametrize("headers", [
    {"employee_id": "Employee ID", "hire_date": "HIRE-DATE", "termination_date": "Termination_Date"},
    {"employee_id": "employee id", "hire_date": " Hire Date ", "salary": "SALARY"},
    {"employee_id": "EMPLOYEE__ID", "job_level": "Job-Level", "birth_year": "BirthYear"},
], ids=["spaced-title", "lower-padded", "underscores-dashes"])
def test_header_variants_map_to_the_contract(good, headers):
    emp, men, tmp = good
    plain = _plan(emp, men, tmp).employees.frame
    renamed = _plan(emp.rename(columns=headers), men, tmp).employees.frame
    pd.testing.assert_frame_equal(plain, renamed)


def test_headers_mapped_by_hand(good):
    emp, men, tmp = good
    plain = _plan(emp, men, tmp).employees.frame
    emp = emp.rename(columns={"employee_id": "Staff Number", "hire_date": "Start"})
    mapped = _plan(emp, men, tmp, mapping={"employees": {"employee_id": "Staff Number", "hire_date": "Start"}})
    pd.testing.assert_frame_equal(plain, mapped.employees.frame)


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_excel_and_parquet_load_the_same_rows_as_csv(good, suffix):
    emp, men, tmp = good
    emp.loc[3, "hire_date"] = "31/02/2021"  # the same bad row must be set aside in every format
    from_csv = _plan(emp, men, tmp)
    other = _plan(emp, men, tmp, emp_name="employees" + suffix, men_name="mentorships" + suffix)
    pd.testing.assert_frame_equal(from_csv.employees.frame, other.employees.frame)
    pd.testing.assert_frame_equal(from_csv.mentorships.frame, other.mentorships.frame)
    where = other.rejects[["table_name", "row_number"]].to_numpy().tolist()
    assert where == from_csv.rejects[["table_name", "row_number"]].to_numpy().tolist()
    assert where == [["employees", 5], ["mentorships", 5]]  # E0003 and then its mentorship


@pytest.mark.parametrize("sep", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_other_separators_load_the_same_rows_as_commas(good, sep):
    """Spreadsheets in many locales save ';'-separated CSV; some HR systems export tabs or pipes."""
    emp, men, tmp = good
    emp.loc[3, "hire_date"] = "31/02/2021"
    from_commas = _plan(emp, men, tmp)
    emp.to_csv(tmp / "employees_sep.csv", index=False, sep=sep)
    men.to_csv(tmp / "mentorships_sep.csv", index=False, sep=sep)
    other = prepare_load(tmp / "employees_sep.csv", tmp / "mentorships_sep.csv")
    pd.testing.assert_frame_equal(from_commas.employees.frame, other.employees.frame)
    pd.testing.assert_frame_equal(from_commas.mentorships.frame, other.mentorships.frame)
    assert other.rejects["row_number"].tolist() == from_commas.rejects["row_number"].tolist() == [5, 5]


def test_windows_1252_text_is_read_and_other_bytes_are_named(good):
    emp, men, tmp = good
    emp["department"] = "Sales – EMEA"  # an en dash, as Excel on Windows saves it
    (tmp / "employees.csv").write_bytes(emp.to_csv(index=False).encode("cp1252"))
    plan = prepare_load(tmp / "employees.csv", write(men, tmp / "mentorships.csv"))
    assert set(plan.employees.frame["department"]) == {"Sales – EMEA"}
    (tmp / "employees.csv").write_bytes(emp.to_csv(index=False).encode("cp1252") + b"\x81\x8d")
    with pytest.raises(InputFileError, match="^file 'employees.csv': cannot be read as csv: its text is "
                                             "neither UTF-8, UTF-16 nor Windows-1252$"):
        prepare_load(tmp / "employees.csv", tmp / "mentorships.csv")


def test_parquet_with_nullable_types_reads_empty_as_empty(good):
    """pandas' nullable dtypes (and pyarrow-backed ones) write missing values that read back as pd.NA."""
    emp, men, tmp = good
    from_csv = _plan(emp, men, tmp)
    typed = pd.read_csv(write(emp, tmp / "e.csv"), parse_dates=["hire_date", "termination_date"]).convert_dtypes()
    typed.to_parquet(tmp / "employees.parquet", index=False)
    men.replace("", None).convert_dtypes().to_parquet(tmp / "mentorships.parquet", index=False)
    plan = prepare_load(tmp / "employees.parquet", tmp / "mentorships.parquet")
    assert plan.rejects.empty
    pd.testing.assert_frame_equal(from_csv.employees.frame, plan.employees.frame)


def test_time_zone_dates_keep_their_calendar_day(good):
    """A London summer date stored with its zone is that day, not the UTC day before."""
    emp, men, tmp = good
    emp["termination_date"], emp["termination_reason"] = "", ""
    emp = emp[emp["hire_date"] < "2021-06-01"].reset_index(drop=True)
    emp.loc[0, "termination_date"], emp.loc[0, "termination_reason"] = "2021-07-01", "quit"
    frame = emp.assign(hire_date=pd.to_datetime(emp["hire_date"]).dt.tz_localize("Europe/London"),
                       termination_date=pd.to_datetime(emp["termination_date"]).dt.tz_localize("Europe/London"))
    frame.to_parquet(tmp / "employees.parquet", index=False)
    plan = prepare_load(tmp / "employees.parquet", write(men, tmp / "mentorships.csv"))
    assert plan.employees.frame.loc[0, "termination_date"] == pd.Timestamp("2021-07-01")
    assert list(plan.employees.frame["hire_date"]) == list(pd.to_datetime(emp["hire_date"]))


def test_high_date_and_missing_markers_mean_empty(good):
    """9999-12-31 is many HR systems' 'no end date'; N/A and NULL are spreadsheets' empty cells."""
    emp, men, tmp = good
    plain = _plan(emp, men, tmp)
    open_ended = (emp["termination_date"] == "")
    emp.loc[open_ended, "termination_date"] = "9999-12-31"
    emp["performance_rating"] = emp["performance_rating"].where(emp.index % 5 > 0, "N/A")
    men["end_date"] = "NULL"
    plan = _plan(emp, men, tmp)
    assert plan.rejects.empty
    assert plan.employees.frame["termination_date"].isna().sum() == open_ended.sum()
    assert plan.employees.frame["performance_rating"].isna().sum() == (emp.index % 5 == 0).sum()
    pd.testing.assert_frame_equal(plan.mentorships.frame, plain.mentorships.frame)


def test_one_odd_cell_in_an_optional_column_is_a_bad_row_not_a_bad_file(good):
    emp, men, tmp = good
    emp["performance_rating"] = ""
    emp.loc[4, "performance_rating"] = "excellent"
    plan = _plan(emp, men, tmp)
    assert plan.rejects[["row_number", "reason"]].values.tolist()[0] == [6, "performance_rating: 'excellent' is not a number"]


def test_blank_lines_keep_the_row_numbers_a_spreadsheet_shows(good):
    emp, men, tmp = good
    emp.loc[9, "hire_date"] = "31/02/2021"  # row 11 in the file, 12 once a blank line is above it
    lines = emp.to_csv(index=False).splitlines()
    (tmp / "employees.csv").write_text("\n".join(lines[:5] + [""] + lines[5:] + ["", ""]) + "\n")
    plan = prepare_load(tmp / "employees.csv", write(men, tmp / "mentorships.csv"))
    assert plan.rejects.query("table_name == 'employees'")["row_number"].tolist() == [12]
    assert len(plan.employees.frame) == len(emp) - 1  # blank lines are no records, not rows set aside


def test_excel_date_cells_are_dates(good):
    emp, men, tmp = good
    typed = emp.assign(hire_date=pd.to_datetime(emp["hire_date"]), salary=emp["salary"].astype(int))
    plan = _plan(typed, men, tmp, emp_name="employees.xlsx")
    assert plan.rejects.empty
    assert plan.employees.frame["hire_date"].equals(pd.to_datetime(emp["hire_date"]))


# ------------------------------------------------------------ the store: transactions, idempotence, rejects

def _snapshot(con):
    return {t: database.frame(con, t) for t in ("employees", "mentorships", "rejects", "metadata")}


def _assert_same(a, b):
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_failed_load_leaves_the_database_unchanged(good):
    emp, men, tmp = good
    con = database.connect(tmp / "r.duckdb")
    loads.load_files(con, write(emp, tmp / "e.csv"), write(men, tmp / "m.csv"))
    before = _snapshot(con)
    history = len(database.frame(con, "load_history"))
    with pytest.raises(InputFileError):
        loads.load_files(con, write(emp.drop(columns=["hire_date"]), tmp / "bad.csv"), tmp / "m.csv")
    _assert_same(before, _snapshot(con))
    assert len(database.frame(con, "load_history")) == history


def test_failure_while_writing_rolls_back(good, monkeypatch):
    emp, men, tmp = good
    con = database.connect(tmp / "r.duckdb")
    loads.load_files(con, write(emp, tmp / "e.csv"), write(men, tmp / "m.csv"))
    before = _snapshot(con)
    original = loads._insert

    def fail_on_mentorships(con_, table, frame):
        if table == "mentorships":
            raise RuntimeError("disk full")
        original(con_, table, frame)

    monkeypatch.setattr(loads, "_insert", fail_on_mentorships)
    smaller = emp.iloc[:10]
    with pytest.raises(RuntimeError, match="disk full"):
        loads.load_files(con, write(smaller, tmp / "e2.csv"), write(men.iloc[:5], tmp / "m2.csv"))
    _assert_same(before, _snapshot(con))


def test_loading_the_same_files_twice_gives_the_same_database(good):
    emp, men, tmp = good
    emp.loc[3, "hire_date"] = "31/02/2021"
    con = database.connect(tmp / "r.duckdb")
    files = write(emp, tmp / "e.csv"), write(men, tmp / "m.csv")
    loads.load_files(con, *files)
    first = _snapshot(con)
    loads.load_files(con, *files)
    _assert_same(first, _snapshot(con))
    assert list(database.frame(con, "load_history")["load_id"]) == [1, 2]


def test_two_bad_rows_out_of_a_thousand(tmp_path):
    """998 load, 2 are set aside with their reasons, and the user can fetch them back."""
    emp = employees_table(1000)
    men = mentorships_table(emp, 50)
    emp.loc[100, "hire_date"] = "31/11/2020"  # E0100 has no mentorship: only 2 rows are bad
    emp.loc[500, "employee_id"] = "E0499"
    con = database.connect(tmp_path / "r.duckdb")
    report = loads.load_files(con, write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"))
    assert report["employees"] == {"file": "e.csv", "loaded": 998, "rejected": 2}
    assert queries.data_facts(con)["n_employees"] == 998
    back = queries.rejects(con)
    assert list(back["row_number"]) == [102, 502]
    assert back["reason"].iloc[0] == "hire_date: '31/11/2020' is not a date in YYYY-MM-DD form"
    assert back["reason"].iloc[1] == "employee_id: duplicate id 'E0499' (first on row 501)"
    # the raw row comes back as the user gave it
    assert '"hire_date": "31/11/2020"' in back["raw"].iloc[0]
    kinds = {r["reason"]: r["rows"] for r in report["rejects_by_reason"]}
    assert sum(kinds.values()) == 2
