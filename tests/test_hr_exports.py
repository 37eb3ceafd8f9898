"""Real HR exports load right, or say exactly why not.

Six exports shaped like Workday, SAP SuccessFactors, BambooHR, ADP, a mentoring platform and a
UTF-16 text file are built in code from one clean company (the demo simulation, with "NA" for
North America among its locations). Each must give the clean company's counts, hazard ratios and
retention to 1e-9: anything read differently (a date, a reason, a salary) would move them.
"""
from __future__ import annotations

import codecs
import json
import re
import zipfile
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from analytics.case.summary import headline
from analytics.common.errors import InputFileError
from analytics.intake.demo import DemoConfig, generate
from analytics.intake.prepare import prepare_load, template_csv
from analytics.intake.reading import read_raw
from analytics.intake.schema import EMPLOYEES
from analytics.intake.validation import ReadOptions
from analytics.store import database, loads
from analytics.surface.cli import main

CONFIG = DemoConfig(n_employees=1200, seed=20261128)
REASONS = {"voluntary": ("Resignation - Better Opportunity", "Voluntary - Relocation", "Resigned - Career Change"),
           "involuntary": ("Terminated - Performance", "Involuntary - Restructuring", "Involuntary - Layoff"),
           "retirement": ("Retirement",), "other": ("Death in Service",)}
ADP_REASONS = {"voluntary": ("Voluntary - Better Opportunity",), "involuntary": ("Involuntary - Layoff",),
               "retirement": ("Retired",), "other": ("Other",)}
PROGRAMMES = {"traditional": "Traditional 1:1", "group": "Group Mentoring Circle", "external": "External Coach",
              "reverse": "Reverse Mentoring", "lateral": "Peer Buddy"}
RATINGS = {1: "1 - Unsatisfactory", 2: "2 - Needs Improvement", 3: "3 - Meets", 4: "4 - Exceeds", 5: "5 - Outstanding"}


@pytest.fixture(scope="module")
def company():
    demo = generate(CONFIG)
    emp = demo.employees.copy()
    emp["location"] = emp["location"].replace({"New York": "NA"})  # North America: a value, not a missing one
    return emp, demo.mentorships.copy()


def _dates(values: pd.Series, fmt: str) -> pd.Series:
    return values.dt.strftime(fmt).fillna("")


def _reworded(values: pd.Series, words: dict[str, tuple[str, ...]]) -> list[str]:
    return ["" if pd.isna(v) else words[v][i % len(words[v])] for i, v in enumerate(values)]


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str)


def clean_files(emp, men, tmp):
    e = emp.assign(hire_date=_dates(emp["hire_date"], "%Y-%m-%d"),
                   termination_date=_dates(emp["termination_date"], "%Y-%m-%d"),
                   termination_reason=emp["termination_reason"].fillna(""), manager_id=_text(emp["manager_id"]))
    m = men.assign(start_date=_dates(men["start_date"], "%Y-%m-%d"), end_date=_dates(men["end_date"], "%Y-%m-%d"),
                   mentor_id=_text(men["mentor_id"]))
    e.to_csv(tmp / "employees.csv", index=False)
    m.to_csv(tmp / "mentorships.csv", index=False)
    return tmp / "employees.csv", tmp / "mentorships.csv"


def workday(emp, men, tmp):
    """US dates, HRIS headers, money with a currency sign, ratings with their words."""
    e = pd.DataFrame({
        "Worker ID": emp["employee_id"], "Hire Date": _dates(emp["hire_date"], "%m/%d/%Y"),
        "Termination Date": _dates(emp["termination_date"], "%m/%d/%Y"),
        "Primary Termination Reason": _reworded(emp["termination_reason"], REASONS),
        "Supervisory Organization": emp["department"], "Management Level": emp["job_level"],
        "Location": emp["location"], "Gender": emp["gender"], "Year of Birth": emp["birth_year"],
        "Manager Worker ID": _text(emp["manager_id"]), "Annual Base Pay": [f"${s:,.2f}" for s in emp["salary"]],
        "Performance Rating": emp["performance_rating"].map(RATINGS), "Cost Center": "CC-100"})
    m = pd.DataFrame({
        "Mentee Employee ID": men["mentee_id"], "Mentor Employee ID": _text(men["mentor_id"]),
        "Program": men["program_type"].map(PROGRAMMES), "Start Date": _dates(men["start_date"], "%m/%d/%Y"),
        "End Date": _dates(men["end_date"], "%m/%d/%Y"), "Sessions Held": men["meetings"]})
    e.to_csv(tmp / "Workday_Workers.csv", index=False)
    m.to_csv(tmp / "Workday_Mentoring.csv", index=False)
    return tmp / "Workday_Workers.csv", tmp / "Workday_Mentoring.csv"


def sap(emp, men, tmp):
    """Semicolons, DD.MM.YYYY and amounts the continental way (53.900,00)."""
    e = pd.DataFrame({
        "Personnel Number": emp["employee_id"], "Entry Date": _dates(emp["hire_date"], "%d.%m.%Y"),
        "Leaving Date": _dates(emp["termination_date"], "%d.%m.%Y"),
        "Event Reason": _reworded(emp["termination_reason"], REASONS), "Org Unit": emp["department"],
        "Pay Grade": emp["job_level"], "Location": emp["location"], "Gender": emp["gender"],
        "Year of Birth": emp["birth_year"], "Manager ID": _text(emp["manager_id"]),
        "Annual Salary": [f"{s:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") for s in emp["salary"]],
        "Performance Rating": [f"{r}/5" for r in emp["performance_rating"]]})
    m = pd.DataFrame({
        "Mentee ID": men["mentee_id"], "Mentor ID": _text(men["mentor_id"]), "Programme": men["program_type"],
        "Start Date": _dates(men["start_date"], "%d.%m.%Y"), "End Date": _dates(men["end_date"], "%d.%m.%Y"),
        "Meetings": men["meetings"]})
    e.to_csv(tmp / "sap_employees.csv", index=False, sep=";")
    m.to_csv(tmp / "sap_mentoring.csv", index=False, sep=";")
    return tmp / "sap_employees.csv", tmp / "sap_mentoring.csv"


def bamboohr(emp, men, tmp):
    """Excel with two title rows above the header, real date cells, ratings as 'Exceeds (4)'."""
    import openpyxl

    def sheet(path, title, frame):
        book = openpyxl.Workbook()
        ws = book.active
        ws.append([title])
        ws.append([f"Generated {datetime(2025, 1, 6):%d %b %Y} by HR"])
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append([None if (v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v))) else
                       (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in row])
        book.save(path)
        return path

    words = {1: "Below (1)", 2: "Developing (2)", 3: "Meets (3)", 4: "Exceeds (4)", 5: "Outstanding (5)"}
    e = pd.DataFrame({
        "Employee #": emp["employee_id"], "Hire Date": emp["hire_date"], "Termination Date": emp["termination_date"],
        "Termination Reason": _reworded(emp["termination_reason"], REASONS), "Department": emp["department"],
        "Job Level": emp["job_level"], "Location": emp["location"], "Gender": emp["gender"],
        "Birth Year": emp["birth_year"], "Reports To ID": emp["manager_id"], "Salary": emp["salary"],
        "Performance Rating": emp["performance_rating"].map(words)})
    m = pd.DataFrame({
        "Mentee ID": men["mentee_id"], "Mentor ID": men["mentor_id"], "Program Type": men["program_type"],
        "Start Date": men["start_date"], "End Date": men["end_date"], "Meetings": men["meetings"]})
    return (sheet(tmp / "BambooHR_employees.xlsx", "Employee report", e),
            sheet(tmp / "BambooHR_mentoring.xlsx", "Mentoring report", m))


def adp(emp, men, tmp):
    """ADP's reason wording, time stamps on dates and a trailing comma on every line."""
    e = pd.DataFrame({
        "Associate ID": emp["employee_id"], "Hire Date": _dates(emp["hire_date"], "%Y-%m-%dT00:00:00"),
        "Termination Date": _dates(emp["termination_date"], "%Y-%m-%dT00:00:00"),
        "Termination Reason": _reworded(emp["termination_reason"], ADP_REASONS), "Department": emp["department"],
        "Job Level": emp["job_level"], "Work Location": emp["location"], "Gender": emp["gender"],
        "Birth Year": emp["birth_year"], "Manager ID": _text(emp["manager_id"]), "Annual Salary": emp["salary"],
        "Performance Rating": emp["performance_rating"]})
    lines = e.to_csv(index=False).splitlines()
    (tmp / "adp.csv").write_text("\n".join(line + "," for line in lines) + "\n")
    _, mentorships = clean_files(emp, men, tmp)
    return tmp / "adp.csv", mentorships


def mentoring_platform(emp, men, tmp):
    """A mentoring platform's export: its own programme names and YYYY/MM/DD dates."""
    employees, _ = clean_files(emp, men, tmp)
    m = pd.DataFrame({
        "Mentee Employee ID": men["mentee_id"], "Mentor Employee ID": _text(men["mentor_id"]),
        "Program": men["program_type"].map(PROGRAMMES), "Start Date": _dates(men["start_date"], "%Y/%m/%d"),
        "End Date": _dates(men["end_date"], "%Y/%m/%d"), "Meetings Held": men["meetings"]})
    m.to_csv(tmp / "platform.csv", index=False)
    return employees, tmp / "platform.csv"


def utf16(emp, men, tmp):
    """Excel's 'Unicode text': UTF-16 with its mark, tab-separated, European day-first dates."""
    e = pd.DataFrame({
        "Employee ID": emp["employee_id"], "Hire Date": _dates(emp["hire_date"], "%d/%m/%Y"),
        "Termination Date": _dates(emp["termination_date"], "%d/%m/%Y"),
        "Termination Reason": emp["termination_reason"].fillna(""), "Department": emp["department"],
        "Job Level": emp["job_level"], "Location": emp["location"], "Gender": emp["gender"],
        "Birth Year": emp["birth_year"], "Manager ID": _text(emp["manager_id"]), "Salary": emp["salary"],
        "Performance Rating": emp["performance_rating"]})
    (tmp / "employees_unicode.txt").write_bytes(codecs.BOM_UTF16_LE + e.to_csv(index=False, sep="\t")
                                                .encode("utf-16-le"))
    _, mentorships = clean_files(emp, men, tmp)
    return tmp / "employees_unicode.txt", mentorships


EXPORTS = {"workday": workday, "sap": sap, "bamboohr": bamboohr, "adp": adp, "mentoring-platform": mentoring_platform,
           "utf16": utf16}


def figures(employees, mentorships, plan=None, **kw) -> dict:
    """The headline's counts, hazard ratios and retention of the files (or of a plan already checked)."""
    con = database.connect(":memory:")
    plan = plan or prepare_load(employees, mentorships, **kw)
    loads.load_plan(con, plan)
    h = headline(con, as_of=CONFIG.as_of)
    fu = h.follow_up
    out = {"people": fu.n_employees, "mentored": fu.n_mentored, "exits": fu.n_events,
           "rejects": len(plan.rejects), "warnings": list(h.warnings)}
    for name in ("naive", "time_varying", "adjusted"):
        out.update({f"{name}_{k}": v for k, v in getattr(h, name).hazard_ratio.to_dict().items()})
    for group in ("mentored", "unmentored"):
        out.update({f"retention_{group}_{k}": v for k, v in h.retention[group].to_dict().items()})
    out["covariates"] = h.adjusted.covariates
    con.close()
    return out


@pytest.fixture(scope="module")
def clean(company, tmp_path_factory):
    return figures(*clean_files(*company, tmp_path_factory.mktemp("clean")))


@pytest.mark.parametrize("export", list(EXPORTS))
def test_each_export_gives_the_clean_companys_figures(company, clean, tmp_path, export):
    got = figures(*EXPORTS[export](*company, tmp_path))
    assert clean["rejects"] == 0 and clean["warnings"] == []
    assert set(clean["covariates"]) >= {"department", "job_level", "location", "log_salary", "performance_rating"}
    for key, value in clean.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        else:
            assert got[key] == value, key


def test_the_clean_company_is_the_demo_as_simulated(company, clean):
    """The corpus's reference is the simulation itself: its counts are the demo's own."""
    emp, men = company
    as_of = pd.Timestamp(CONFIG.as_of)
    exits = (emp["termination_date"] <= as_of) & (emp["termination_reason"] == "voluntary")
    assert clean["exits"] == int(exits.sum())
    assert clean["people"] == int((emp["hire_date"] <= as_of).sum())


# ------------------------------------------------------------ what a new user met, case by case

def test_us_dates_read_by_the_cli_and_day_month_asked_when_the_data_cannot_tell(company, tmp_path, capsys):
    emp, men = company
    employees, mentorships = workday(emp, men, tmp_path)
    early = emp["hire_date"].dt.day <= 12  # only days that could be months: the column cannot tell
    small = emp[early & (emp["termination_date"].isna() | (emp["termination_date"].dt.day <= 12))]
    pd.DataFrame({"Worker ID": small["employee_id"], "Hire Date": _dates(small["hire_date"], "%m/%d/%Y"),
                  "Termination Date": _dates(small["termination_date"], "%m/%d/%Y")}).to_csv(
        tmp_path / "ambiguous.csv", index=False)
    db = str(tmp_path / "cli.duckdb")
    args = ["load", "--db", db, "--employees", str(tmp_path / "ambiguous.csv"), "--mentorships", str(mentorships)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "column 'Hire Date': read as hire_date; cannot tell day from month" in err and "--date-format" in err
    assert "column 'Termination Date': read as termination_date; cannot tell day from month" in err  # every problem at once
    assert main(args + ["--date-format", "MM/DD/YYYY", "--check"]) == 0
    told = capsys.readouterr().out
    assert told.endswith("Checked only: nothing was loaded.\n") and not (tmp_path / "cli.duckdb").exists()
    assert main(args + ["--date-format", "MM/DD/YYYY"]) == 0
    told = capsys.readouterr().out
    assert "employees.hire_date: dates read as MM/DD/YYYY" in told
    assert "Warning: " in told and "mentorships rows" in told  # most mentees are not in this small file
    assert main(["load", "--db", db, "--employees", str(employees), "--mentorships", str(mentorships)]) == 0
    out = capsys.readouterr().out
    assert "employees.hire_date: dates read as MM/DD/YYYY" in out
    assert "employees: columns not used: Cost Center" in out


def test_a_day_first_choice_reads_an_ambiguous_column_that_way(tmp_path):
    pd.DataFrame({"Employee ID": ["A", "B"], "Hire Date": ["03/04/2021", "01/02/2020"]}).to_csv(
        tmp_path / "e.csv", index=False)
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputFileError) as refused:
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert refused.value.ambiguous_dates == ("Hire Date",)  # named by the file's own header
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv", options=ReadOptions(date_format="DD/MM/YYYY"))
    assert list(plan.employees.frame["hire_date"]) == [pd.Timestamp("2021-04-03"), pd.Timestamp("2020-02-01")]


def test_a_column_mixing_formats_is_refused_with_an_example_of_each(tmp_path):
    pd.DataFrame({"Employee ID": ["A", "B", "C"], "Hire Date": ["2021-03-04", "25/12/2020", "2020.01.02"]}).to_csv(
        tmp_path / "e.csv", index=False)
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputFileError, match=r"column 'Hire Date': read as hire_date; mixes date formats: YYYY-MM-DD \(e.g. "
                                             r"'2021-03-04'\), DD/MM/YYYY \(e.g. '25/12/2020'\)"):
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")


def test_excel_title_rows_are_skipped_and_the_header_row_can_be_given(company, tmp_path):
    employees, _ = bamboohr(*company, tmp_path)
    found = read_raw(employees, spec=EMPLOYEES)
    assert found.header_row == 3 and found.found_header and found.frame.columns[0] == "Employee #"
    assert int(found.row_numbers[0]) == 4
    wrong = read_raw(employees, spec=EMPLOYEES, header_row=1)
    assert list(wrong.frame.columns[:1]) == ["Employee report"]


def test_not_in_this_file_means_not_in_this_file(tmp_path):
    pd.DataFrame({"Employee ID": ["A", "B"], "Hire Date": ["2021-03-04", "2020-01-02"],
                  "Performance Rating": ["excellent", "superb"]}).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputFileError, match="column 'Performance Rating'.*read as performance_rating; no value in this column is a valid number"):
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv", mapping={"employees": {"performance_rating": None}})
    assert plan.employees.frame["performance_rating"].isna().all() and plan.rejects.empty
    assert plan.report()["ignored_columns"]["employees"] == ["Performance Rating"]


def test_a_refused_file_lists_every_problem_at_once(tmp_path):
    pd.DataFrame({"Name": ["A"], "Salary": ["high"]}).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputFileError) as refused:
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert [p[0] for p in refused.value.problems] == ["employee_id", "hire_date"]
    assert str(refused.value).startswith("file 'e.csv': 2 problems: column 'employee_id': required column missing")


def test_unknown_programme_is_kept_as_other_and_a_meaning_can_be_given(tmp_path):
    pd.DataFrame({"Employee ID": ["A", "B"], "Hire Date": ["2021-03-04", "2020-01-02"],
                  "Termination Date": ["", "2022-05-01"], "Termination Reason": ["", "Mutual Agreement"]}).to_csv(
        tmp_path / "e.csv", index=False)
    pd.DataFrame({"Mentee ID": ["A", "B"], "Start Date": ["2021-06-01", "2020-06-01"],
                  "Program": ["Sponsorship Scheme", "Group Mentoring Circle"]}).to_csv(tmp_path / "m.csv", index=False)
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert plan.rejects.empty and list(plan.mentorships.frame["program_type"]) == ["other", "group"]
    assert plan.employees.frame["termination_reason"].tolist()[1] == "other"
    chosen = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv",
                          options=ReadOptions(reason_map={"mutual agreement": "voluntary"},
                                              program_map={"Sponsorship Scheme": "traditional"}))
    assert chosen.employees.frame["termination_reason"].tolist()[1] == "voluntary"
    assert list(chosen.mentorships.frame["program_type"]) == ["traditional", "group"]
    assert chosen.report()["reason_mapping"][0] == {"given": "Mutual Agreement", "mapped_to": "voluntary", "rows": 1,
                                                     "by": "you"}
    with pytest.raises(InputFileError, match="must mean one of"):
        ReadOptions(reason_map={"Mutual Agreement": "quit"})


def test_a_meaning_given_once_is_kept_for_the_next_load(tmp_path, capsys):
    pd.DataFrame({"Employee ID": ["A", "B"], "Hire Date": ["2021-03-04", "2020-01-02"],
                  "Termination Date": ["", "2022-05-01"], "Termination Reason": ["", "Mutual Agreement"]}).to_csv(
        tmp_path / "e.csv", index=False)
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    (tmp_path / "reasons.csv").write_text("value,meaning\nMutual Agreement,voluntary\n")
    db = str(tmp_path / "v.duckdb")
    files = ["--employees", str(tmp_path / "e.csv"), "--mentorships", str(tmp_path / "m.csv")]
    assert main(["load", "--db", db, *files, "--reason-map", str(tmp_path / "reasons.csv")]) == 0
    assert "'Mutual Agreement' read as voluntary (1 rows, your choice)" in capsys.readouterr().out
    assert main(["load", "--db", db, *files]) == 0  # the same export again, no map given: read the same way
    con = database.connect(db)
    assert database.frame(con, "employees")["termination_reason"].tolist() == [None, "voluntary"]
    con.close()


def test_warnings_that_cannot_be_missed(company, tmp_path, capsys):
    emp, men = company
    employees, mentorships = clean_files(emp, men, tmp_path)
    e = pd.read_csv(employees, dtype=str, keep_default_na=False)
    left = e["termination_date"] != ""
    e.loc[left, "termination_reason"] = np.where(np.arange(left.sum()) % 10 < 7, "", e.loc[left, "termination_reason"])
    e.loc[:99, "hire_date"] = "31/02/2020"  # 100 of 1,200 rows cannot be read
    e.to_csv(employees, index=False)
    plan = prepare_load(employees, mentorships)
    warnings = plan.report()["warnings"]
    assert any("employees rows (8.3%) were set aside" in w for w in warnings)
    assert any(w.startswith("Most exits (") and "are not counted as leaving" in w for w in warnings)
    assert not any("read as 'other' or none" in w for w in warnings)  # the same exits are warned about once
    db = str(tmp_path / "w.duckdb")
    assert main(["load", "--db", db, "--employees", str(employees), "--mentorships", str(mentorships)]) == 0
    assert capsys.readouterr().out.count("Warning: ") >= 2
    assert main(["summary", "--db", db, "--as-of", CONFIG.as_of.isoformat()]) == 0
    briefing = capsys.readouterr().out
    assert briefing.startswith("Warning: ") and "are not counted as leaving" in briefing
    assert main(["summary", "--db", db, "--as-of", CONFIG.as_of.isoformat(), "--event", "all", "--json"]) == 0
    assert not any("not counted as leaving" in w for w in __import__("json").loads(capsys.readouterr().out)["warnings"])


def test_excel_keeps_na_as_a_value(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Employee ID", "Hire Date", "Location"])
    ws.append(["NA", datetime(2021, 3, 4), "NA"])
    ws.append(["B", datetime(2020, 1, 2), None])
    book.save(tmp_path / "e.xlsx")
    pd.DataFrame({"Mentee ID": ["NA"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    plan = prepare_load(tmp_path / "e.xlsx", tmp_path / "m.csv")
    assert plan.rejects.empty
    assert plan.employees.frame["employee_id"].tolist() == ["NA", "B"]
    assert plan.employees.frame["location"].tolist() == ["NA", None]
    assert plan.mentorships.frame["mentee_id"].tolist() == ["NA"]


def test_a_duplicated_header_is_refused_by_name(tmp_path):
    (tmp_path / "e.csv").write_text("Employee ID,Hire Date,Department,Department\nA,2021-03-04,Sales,Finance\n")
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    with pytest.raises(InputFileError, match="column 'Department', row 1: this header appears more than once"):
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")


def test_a_row_with_a_stray_value_is_set_aside_and_trailing_commas_shift_nothing(tmp_path):
    (tmp_path / "e.csv").write_text("Employee ID,Hire Date,Department\nA,2021-03-04,Sales,\n"
                                    "B,2020-01-02,Finance,oops\nC,2020-01-03,Sales\n")
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert plan.employees.frame[["employee_id", "department"]].values.tolist() == [["A", "Sales"], ["C", "Sales"]]
    assert plan.rejects[["row_number", "reason"]].values.tolist() == [
        [3, "has 4 values but the header has 3 (a value in a column with no header, or a separator inside a "
            "value that is not in quotes)"]]


def test_utf8_with_a_byte_order_mark_reads_its_first_header(tmp_path):
    (tmp_path / "e.csv").write_bytes(codecs.BOM_UTF8 + b"Employee ID,Hire Date\nA,2021-03-04\n")
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    assert prepare_load(tmp_path / "e.csv", tmp_path / "m.csv").employees.frame["employee_id"].tolist() == ["A"]


def test_the_templates_load_as_they_are(tmp_path):
    (tmp_path / "e.csv").write_text(template_csv("employees"))
    (tmp_path / "m.csv").write_text(template_csv("mentorships"))
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert plan.rejects.empty and len(plan.employees.frame) == 2 and len(plan.mentorships.frame) == 1
    assert plan.employees.frame["termination_reason"].tolist() == [None, "voluntary"]
    assert plan.mentorships.frame["program_type"].tolist() == ["traditional"]


@pytest.mark.parametrize("written, amount", [("$53,900", 53_900), ("53.900,00", 53_900), ("53 900 €", 53_900),
                                             ("EUR 53,900.50", 53_900.5), ("53900", 53_900)])
def test_salaries_as_written(tmp_path, written, amount):
    sep = ";" if "," in written and "." in written and written.index(".") < written.index(",") else ","
    pd.DataFrame({"Employee ID": ["A", "B"], "Hire Date": ["2021-03-04", "2020-01-02"],
                  "Salary": [written, ""]}).to_csv(tmp_path / "e.csv", index=False, sep=sep)
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    assert prepare_load(tmp_path / "e.csv", tmp_path / "m.csv").employees.frame["salary"].tolist()[0] == amount


@pytest.mark.parametrize("written, rating", [("3 - Meets", 3), ("4/5", 4), ("Exceeds (4)", 4), ("3.5", 3.5)])
def test_ratings_as_written(tmp_path, written, rating):
    pd.DataFrame({"Employee ID": ["A", "B"], "Hire Date": ["2021-03-04", "2020-01-02"],
                  "Performance Rating": [written, ""]}).to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"Mentee ID": ["A"], "Start Date": ["2021-06-01"]}).to_csv(tmp_path / "m.csv", index=False)
    assert prepare_load(tmp_path / "e.csv", tmp_path / "m.csv").employees.frame["performance_rating"].tolist()[0] == rating


# ------------------------------------------------------------ what a hostile review found

def _pair(tmp_path, employees: str, mentorships: str = "Mentee ID,Start Date\nA,2021-06-01\n", **kw):
    (tmp_path / "e.csv").write_text(employees)
    (tmp_path / "m.csv").write_text(mentorships)
    return prepare_load(tmp_path / "e.csv", tmp_path / "m.csv", **kw)


def test_unclear_reasons_warn_when_reasons_are_given_but_read_as_other(tmp_path):
    rows = "\n".join(f"P{i},2020-01-01,2021-0{1 + i % 9}-01,{'Sabbatical' if i % 3 == 0 else 'Resigned'}"
                     for i in range(30))
    plan = _pair(tmp_path, "Employee ID,Hire Date,Termination Date,Termination Reason\n" + rows + "\nA,2020-01-01,,\n")
    assert any("read as 'other' or none" in w for w in plan.report()["warnings"])


@pytest.mark.parametrize("salaries, expected", [
    (["53900.00", "61250.50", "47162.125", "72000"], [53900.0, 61250.5, 47162.125, 72000.0]),  # three decimals
    (["52000.000", "61000.500"], [52000.0, 61000.5]),
    (["53.900,00", "1.234.567,89"], [53900.0, 1234567.89]),
], ids=["three-decimals", "dot-thousandths", "continental"])
def test_amounts_are_read_from_the_whole_column(tmp_path, salaries, expected):
    frame = pd.DataFrame({"Employee ID": [f"P{i}" for i in range(len(salaries))] + ["A"],
                          "Hire Date": "2020-01-01", "Salary": salaries + [""]})
    frame.to_csv(tmp_path / "e.csv", index=False, sep=";")
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nA,2021-06-01\n")
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert plan.employees.frame["salary"].tolist()[:-1] == expected


@pytest.mark.parametrize("salaries, message", [
    (["72000", "65000.5", "1.250"], "mixes number formats: '65000.5' and '1.250'"),
    (["USD 53,900", "GBP 41,000"], "mixes currencies ('USD 53,900' and 'GBP 41,000')"),
], ids=["two-decimal-marks", "two-currencies"])
def test_a_salary_column_read_two_ways_is_refused(tmp_path, salaries, message):
    frame = pd.DataFrame({"Employee ID": [f"P{i}" for i in range(len(salaries))], "Hire Date": "2020-01-01",
                          "Salary": salaries})
    frame.to_csv(tmp_path / "e.csv", index=False, sep=";")
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nP0,2021-06-01\n")
    with pytest.raises(InputFileError, match=re.escape(f"column 'Salary': read as salary; {message}")):
        prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")


def test_an_unquoted_comma_sets_its_row_aside_instead_of_shifting_it(tmp_path):
    plan = _pair(tmp_path, "Employee ID,Hire Date,Salary,Department,Location\nA,2020-01-01,53900,Sales,Leeds\n"
                           "B,2020-01-01,53,900,Sales,\nC,2020-01-02,41000,Finance,Lyon\n")
    assert plan.employees.frame["employee_id"].tolist() == ["A", "C"]
    assert plan.rejects["row_number"].tolist() == [3]


def test_a_column_with_no_header_is_kept_as_data_not_set_aside(tmp_path):
    plan = _pair(tmp_path, "Employee ID,Hire Date,\n" + "".join(f"P{i},2020-01-0{1 + i},note {i}\n" for i in range(4))
                 + "A,2020-01-09,x\n")
    assert plan.rejects.empty and len(plan.employees.frame) == 5
    assert plan.report()["ignored_columns"]["employees"] == []  # '(column C)' is no column of the user's


@pytest.mark.parametrize("placeholder", ["-", "--", "00.00.0000", "n.a.", "(blank)", "Not Applicable"])
def test_placeholders_for_no_value_are_empty(tmp_path, placeholder):
    plan = _pair(tmp_path, f"Employee ID,Hire Date,Termination Date\nA,2020-01-01,{placeholder}\n"
                           "B,2020-01-02,2021-03-04\n")
    assert plan.rejects.empty and plan.employees.frame["termination_date"].isna().tolist() == [True, False]


def test_a_salary_of_zero_is_not_recorded_and_keeps_the_row(tmp_path):
    plan = _pair(tmp_path, "Employee ID,Hire Date,Salary\nA,2020-01-01,0\nB,2020-01-02,41000\n")
    assert plan.rejects.empty and plan.employees.frame["salary"].isna().tolist() == [True, False]


def test_ids_written_as_decimals_still_match(tmp_path):
    plan = _pair(tmp_path, "Employee ID,Hire Date,Manager ID\n1001,2020-01-01,\n1002,2020-01-02,1001.0\n",
                 "Mentee ID,Start Date,Mentor ID\n1002.0,2021-06-01,1001.0\n")
    assert plan.rejects.empty
    assert plan.employees.frame["manager_id"].tolist() == [None, "1001"]
    assert plan.mentorships.frame[["mentee_id", "mentor_id"]].values.tolist() == [["1002", "1001"]]


def _workbook(path, sheets: dict, hidden: tuple = ()):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    book.save(path)
    return path


def test_only_the_first_visible_sheet_is_read_and_the_others_are_named(tmp_path):
    _workbook(tmp_path / "e.xlsx", {"Lookup": [["Code", "Meaning"], ["V", "Voluntary"]],
                                    "Active": [["Employee ID", "Hire Date"], ["A", datetime(2020, 1, 1)]],
                                    "Terminated": [["Employee ID", "Hire Date"], ["B", datetime(2019, 1, 1)]]},
              hidden=("Lookup",))
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nA,2021-06-01\n")
    plan = prepare_load(tmp_path / "e.xlsx", tmp_path / "m.csv")
    assert plan.employees.frame["employee_id"].tolist() == ["A"]
    assert any("Only the sheet 'Active' of e.xlsx was read" in w and "Terminated" in w
               for w in plan.report()["warnings"])


def test_an_excel_file_with_a_wrong_stated_size_is_read_whole(tmp_path):
    """Some exporters write <dimension ref="A1"/>; openpyxl's fast reader would believe it."""
    path = _workbook(tmp_path / "e.xlsx", {"Sheet": [["Employee ID", "Hire Date", "Salary"],
                                                     ["A", datetime(2020, 1, 1), 50000],
                                                     ["B", datetime(2020, 2, 1), 60000]]})
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/sheet"))
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', parts[sheet])
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nA,2021-06-01\n")
    plan = prepare_load(path, tmp_path / "m.csv")
    assert plan.employees.frame["salary"].tolist() == [50000.0, 60000.0]


@pytest.mark.parametrize("written, rating", [("FY23: 4", 4), ("80%", None), ("2023 Rating: Exceeds", None)])
def test_a_rating_is_a_number_from_zero_to_ten(tmp_path, written, rating):
    pd.DataFrame({"Employee ID": ["A", "B"], "Hire Date": ["2021-03-04", "2020-01-02"],
                  "Performance Rating": [written, "3"]}).to_csv(tmp_path / "e.csv", index=False)
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nB,2021-06-01\n")
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    if rating is None:
        assert plan.rejects["row_number"].tolist() == [2]
    else:
        assert plan.employees.frame["performance_rating"].tolist()[0] == rating


@pytest.mark.parametrize("wording, meaning", [
    ("Non-Voluntary Termination", "involuntary"), ("Not Voluntary", "involuntary"), ("Termination - Death", "other"),
    ("End of Fixed-Term Contract", "involuntary"), ("Lay-off", "involuntary"), ("Laid-off", "involuntary")])
def test_reason_wording_a_review_found_misread(wording, meaning):
    from analytics.intake.schema import map_reason
    assert map_reason(wording) == meaning


@pytest.mark.parametrize("wording, meaning", [
    ("Internal Coaching", "other"), ("Peer Coaching", "lateral"), ("Group Coaching", "group"),
    ("Non-traditional", "other"), ("1-on-1", "traditional"), ("Executive Coaching", "external")])
def test_programme_wording_a_review_found_misread(wording, meaning):
    from analytics.intake.schema import map_program
    assert map_program(wording) == meaning


def test_dotted_dates_month_first_when_the_column_proves_it(tmp_path):
    plan = _pair(tmp_path, "Employee ID,Hire Date\nA,03.15.2024\nB,03.01.2024\n")
    assert plan.employees.frame["hire_date"].tolist() == [pd.Timestamp("2024-03-15"), pd.Timestamp("2024-03-01")]


def test_a_utf8_file_with_a_windows_line_keeps_its_utf8_text(tmp_path):
    (tmp_path / "e.csv").write_bytes("Employee ID,Hire Date,Location\nA,2020-01-01,Zürich\n".encode("utf-8")
                                     + "B,2020-01-02,Malmö\n".encode("cp1252"))
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nA,2021-06-01\n")
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv")
    assert plan.employees.frame["location"].tolist() == ["Zürich", "Malmö"]


def test_the_separator_is_the_one_that_splits_the_lines_alike(tmp_path):
    plan = _pair(tmp_path, "Report: Headcount; Company: ACME; Run: today; By: HR\n"
                           "Employee ID,Hire Date,Note\nA,2020-01-01,\"a; b; c; d; e\"\nB,2020-01-02,x\n")
    assert plan.employees.frame["employee_id"].tolist() == ["A", "B"] and plan.report()["header_rows"]["employees"] == 2


def test_a_repeated_header_the_product_does_not_read_is_kept_apart(tmp_path):
    plan = _pair(tmp_path, "Employee ID,Hire Date,Comments,Comments\nA,2020-01-01,x,y\n")
    assert plan.report()["ignored_columns"]["employees"] == ["Comments", "Comments (2)"]


def test_the_header_is_the_row_naming_the_most_columns(tmp_path):
    plan = _pair(tmp_path, "Report parameters,Start Date,01/01/2020,End Date,12/31/2023\n"
                           "Employee ID,Hire Date,Termination Date,Department\nA,2020-01-01,,Sales\n")
    assert plan.report()["header_rows"]["employees"] == 2


def test_a_windows_reason_map_is_read(tmp_path, capsys):
    (tmp_path / "e.csv").write_text("Employee ID,Hire Date,Termination Date,Termination Reason\n"
                                    "A,2020-01-01,,\nB,2020-01-02,2021-01-01,Résignation\n")
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nA,2021-06-01\n")
    (tmp_path / "map.csv").write_bytes("Résignation,voluntary\n".encode("cp1252"))
    assert main(["load", "--db", str(tmp_path / "d.duckdb"), "--employees", str(tmp_path / "e.csv"),
                 "--mentorships", str(tmp_path / "m.csv"), "--reason-map", str(tmp_path / "map.csv")]) == 0
    assert "'Résignation' read as voluntary (1 rows, your choice)" in capsys.readouterr().out


def test_stored_meanings_are_the_users_only_and_match_any_case(tmp_path, capsys):
    (tmp_path / "e.csv").write_text("Employee ID,Hire Date,Termination Date,Termination Reason\n"
                                    "A,2020-01-01,,\nB,2020-01-02,2021-01-01,Mutual agreement\n"
                                    "C,2020-01-03,2021-02-01,MUTUAL AGREEMENT\nD,2020-01-04,2021-03-01,Resigned\n")
    (tmp_path / "m.csv").write_text("Mentee ID,Start Date\nA,2021-06-01\n")
    con = database.connect(tmp_path / "d.duckdb")
    options = loads.remembered_options(con, reason_map={"mutual AGREEMENT": "voluntary"})
    plan = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv", options=options)
    table = plan.report()["reason_mapping"]
    assert [(m["rows"], m["mapped_to"], m["by"]) for m in table] == [(2, "voluntary", "you"), (1, "voluntary", "rule")]
    loads.load_plan(con, plan)
    assert loads.vocabulary(con)["termination_reason"] == {"mutual agreement": "voluntary"}  # not the rule's
    again = prepare_load(tmp_path / "e.csv", tmp_path / "m.csv", options=loads.remembered_options(con))
    assert [m["by"] for m in again.report()["reason_mapping"]] == ["you", "rule"]
    con.close()


def test_an_unclosed_quote_is_named_not_swallowing_the_rows_after_it(tmp_path):
    with pytest.raises(InputFileError, match="a quotation mark on row 2 is never closed"):
        _pair(tmp_path, 'Employee ID,Hire Date,Department\nA,2020-01-01,"Big Team\nB,2020-01-02,Sales\n'
                        'C,2020-01-03,Sales\nD,2020-01-04,Sales\n')


def test_a_quoted_note_over_two_lines_is_one_value(tmp_path):
    plan = _pair(tmp_path, 'Employee ID,Hire Date,Note\nA,2020-01-01,"first line\nsecond line"\nB,2020-01-02,x\n')
    assert plan.employees.frame["employee_id"].tolist() == ["A", "B"]


def test_a_row_set_aside_keeps_only_whose_it_is_and_what_to_fix(tmp_path):
    """The rows set aside are downloaded to be fixed: they carry the id and the bad value, not the salary,
    rating or reason of the person."""
    plan = _pair(tmp_path, "Employee ID,Hire Date,Salary,Performance Rating,Termination Reason\n"
                           "A,2020-01-01,53000,4,\nB,31/02/2020,61000,2,\n")
    raw = json.loads(plan.rejects["raw"].iloc[0])
    assert raw == {"Employee ID": "B", "Hire Date": "31/02/2020"}
