"""Every page renders through streamlit's AppTest, on the demo data and on an empty store."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.store import database, loads, queries
from tests.builders import employees_table, mentorships_table

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "views/overview.py": "Is mentoring keeping people?",
    "views/business_case.py": "Business case",
    "views/cohorts.py": "Cohorts",
    "views/methods.py": "Methods and model checks",
    "views/data.py": "Data",
}


def open_app(monkeypatch, db: Path, page: str | None = None, auto_demo: bool = True,
             state: dict | None = None) -> AppTest:
    """The app on `db`. AppTest reruns (and switch_page) execute only the page script, not the
    frame in app.py, so the sidebar is checked on the first run and in the browser tests."""
    monkeypatch.setenv("RETENTION_DB", str(db))
    monkeypatch.setenv("RETENTION_AUTO_DEMO", "1" if auto_demo else "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def shown(markdown: str) -> str:
    """What a person reads: Markdown's backslash escapes (the product escapes values from files) and the invisible
    word joiners that keep addresses from becoming links (wording.md) removed."""
    import re
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("page", list(PAGES))
def test_page_on_demo_data(monkeypatch, demo_db, page):
    at = open_app(monkeypatch, demo_db, page)
    assert_clean(at)
    assert at.title[0].value == PAGES[page]


def test_sidebar_shows_the_filters_and_who_is_in_scope(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db)
    assert [m.key for m in at.sidebar.multiselect] == [
        "filter_department", "filter_job_level", "filter_location", "filter_generation", "filter_gender"]
    assert any("5,000** people in scope" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", list(PAGES))
def test_page_on_an_empty_store(monkeypatch, tmp_path, page):
    at = open_app(monkeypatch, tmp_path / "empty.duckdb", page, auto_demo=False)
    assert_clean(at)
    if page != "views/data.py":
        assert "No data is loaded yet" in at.info[0].value


def test_overview_shows_the_honest_and_the_naive_figure(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db)
    labels = [m.label for m in at.metric]
    assert "In scope" in labels and "Mentoring done: still worth" in labels
    assert "less likely" in at.success[0].value
    assert any("simple report" in m.value for m in at.markdown)


def test_filter_change_rerenders(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db)
    everyone = next(m.value for m in at.metric if m.label == "In scope")
    at = open_app(monkeypatch, demo_db, state={"filter_department": ["Sales"]})
    assert_clean(at)
    assert at.sidebar.multiselect(key="filter_department").value == ["Sales"]
    sales = next(m.value for m in at.metric if m.label == "In scope")
    assert int(sales.replace(",", "")) % 5 == 0  # a filtered total is rounded (policy.FILTERED_ROUNDING)
    assert "rounded" in next(m.delta for m in at.metric if m.label == "In scope")
    assert int(sales.replace(",", "")) < int(everyone.replace(",", ""))
    assert "Department: Sales" in shown(at.caption[0].value)


def test_a_filter_down_to_three_people_shows_no_count(monkeypatch, demo_db):
    """docs/design.md, Privacy: a group under 5 people is suppressed in every count (3 such people in the demo)."""
    tiny = {"filter_department": ["Operations"], "filter_job_level": ["L3"], "filter_generation": ["Boomer"]}
    at = open_app(monkeypatch, demo_db, state=tiny)
    assert_clean(at)
    assert any("fewer than 5** people in scope" in c.value for c in at.sidebar.caption)
    assert not at.metric and "Fewer than 5 people are in scope" in at.info[0].value
    for page in ("views/business_case.py", "views/methods.py", "views/cohorts.py"):
        at.switch_page(page).run()
        assert_clean(at)
        assert not at.metric and "Fewer than 5 people are in scope" in at.info[0].value


def test_an_as_of_date_after_the_data_is_flagged(monkeypatch, demo_db):
    """The demo's snapshot is 2024-12-31; a later date would count everyone as staying until then."""
    from datetime import date
    at = open_app(monkeypatch, demo_db, state={"as_of": date(2030, 1, 1)})
    assert_clean(at)
    assert "after the latest date in the data (31 December 2024)" in at.warning[0].value


def test_an_as_of_date_before_anyone_was_hired(monkeypatch, demo_db):
    from datetime import date
    at = open_app(monkeypatch, demo_db, state={"as_of": date(2016, 1, 1)})
    assert_clean(at)
    assert at.info[0].value.startswith("Nobody had been hired by the as-of date, 01 January 2016")


def test_cohort_dimension_change(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db, "views/cohorts.py")
    at.selectbox(key="cohort_dimension").set_value("program_type").run()
    assert_clean(at)
    assert any("traditional" in str(df.value) for df in at.dataframe)


def test_business_case_assumptions_change_the_result(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db, "views/business_case.py")
    before = next(m.value for m in at.metric if m.label == "Value per year")  # 100 new mentees'
    at.slider(key="bc_replacement").set_value(150).run()
    assert_clean(at)
    after = next(m.value for m in at.metric if m.label == "Value per year")
    assert before != after
    payback = next(m for m in at.metric if m.label == "Pays back in")
    net = next(m for m in at.metric if m.label == "Net value")
    if net.value.startswith("-") or net.value.startswith("−"):  # the horizon's savings do not cover the full cost
        assert payback.value == "not within 1 year", payback.value
    else:
        assert payback.value.endswith(" months") and payback.delta.startswith("range ")


def test_assumptions_follow_the_user_between_pages(monkeypatch, demo_db):
    """Set on the Business case page, the assumptions stay there and the Overview uses them."""
    at = open_app(monkeypatch, demo_db, "views/business_case.py")
    # today's share mentored now (a mentorship running: 232 of the 2,896 employed, as summary --json says), not the
    # 41% ever mentored: the scenario only adds mentees
    assert at.slider(key="bc_target").min == 8
    at.selectbox(key="bc_years").set_value(3).run()
    at.slider(key="bc_replacement").set_value(100).run()
    assert_clean(at)
    assert not at.warning or all("Session State" not in w.value for w in at.warning)
    three_years = next(m.value for m in at.metric if m.label == "Still worth over 3 years")
    at.switch_page("views/overview.py").run()
    assert next(m.value for m in at.metric if m.label == "Mentoring done: still worth") == three_years
    at.switch_page("views/business_case.py").run()
    assert at.selectbox(key="bc_years").value == 3 and at.slider(key="bc_replacement").value == 100
    sources = at.dataframe[-1].value.set_index("input")["source"]
    assert sources["Cost of replacing a leaver (share of salary)"] == "your input"


def _upload(at: AppTest, employees: bytes, mentorships: bytes) -> None:
    at.file_uploader(key="upload_employees").set_value(("staff.csv", employees, "text/csv"))
    at.file_uploader(key="upload_mentorships").set_value(("mentoring.csv", mentorships, "text/csv"))
    at.run()


def _small_store(tmp_path, emp, men) -> Path:
    from analytics.intake.prepare import prepare_load
    from tests.builders import write
    db = tmp_path / "small.duckdb"
    con = database.connect(db)
    loads.load_plan(con, prepare_load(write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")))
    con.close()
    return db


def _forty():
    emp = employees_table(40)
    return emp, mentorships_table(emp, 15)


def _nobody_mentored():
    emp = employees_table(200)
    return emp, mentorships_table(emp, 0)


def _no_exits():
    emp = employees_table(200).assign(termination_date="", termination_reason="")
    return emp, mentorships_table(emp, 60)


def _required_columns_only():
    emp = employees_table(200)
    return emp[["employee_id", "hire_date", "termination_date"]], mentorships_table(emp, 60)[["mentee_id", "start_date"]]


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("data", [_forty, _nobody_mentored, _no_exits, _required_columns_only],
                         ids=["forty-people", "nobody-mentored", "no-exits", "required-columns-only"])
def test_page_on_a_small_or_sparse_store(monkeypatch, tmp_path, page, data):
    """Data a real organisation may have: every page says what it cannot show, and nothing breaks."""
    at = open_app(monkeypatch, _small_store(tmp_path, *data()), page, auto_demo=False)
    assert_clean(at)
    shown = " ".join(str(x.value) for x in [*at.warning, *at.info, *at.caption, *at.markdown])
    assert not any(w in shown for w in ("X column", "Traceback", "mle_retvals", "converge"))  # no engine internals


def test_upload_a_good_file(monkeypatch, tmp_path):
    db = tmp_path / "upload.duckdb"
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    emp = employees_table(60)
    men = mentorships_table(emp, 20)
    emp.loc[5, "hire_date"] = "31/06/2021"
    _upload(at, emp.to_csv(index=False).encode(), men.to_csv(index=False).encode())
    assert_clean(at)
    at.button[0].click().run()  # check the files
    assert_clean(at)
    ready = {m.label: m.value for m in at.metric}
    assert ready["Employees ready"] == "59" and ready["Rows set aside"] == "2"  # the row and its mentorship
    assert next(b for b in at.button if b.label == "Load into the dashboard").disabled  # asks first
    tick(at, "confirm_load")
    next(b for b in at.button if b.label == "Load into the dashboard").click().run()
    assert_clean(at)
    con = database.connect(db)  # the app holds a read-write connection in this process
    assert queries.data_facts(con)["n_employees"] == 59


def test_upload_a_bad_file_names_file_and_column(monkeypatch, tmp_path):
    db = tmp_path / "upload.duckdb"
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    emp = employees_table(20).drop(columns=["hire_date"])
    men = mentorships_table(employees_table(20), 5)
    _upload(at, emp.to_csv(index=False).encode(), men.to_csv(index=False).encode())
    at.button[0].click().run()
    assert not at.exception
    assert "file 'staff.csv', column 'hire_date': required column missing" in shown(at.error[0].value)


def test_the_error_boundary_logs_a_bugs_traceback_but_not_bad_input(caplog):
    """A bug shows words on the page and keeps its traceback in the log; a user's error is only shown."""
    import logging

    import ui
    from analytics.common.errors import RetentionError

    with caplog.at_level(logging.ERROR, logger="ui"):
        with ui.friendly_errors():
            raise RetentionError("as_of must be a YYYY-MM-DD date")
        assert not [r for r in caplog.records if r.name == "ui"]
        with ui.friendly_errors():
            {}["a bug"]
    logged = [r for r in caplog.records if r.name == "ui"]
    assert len(logged) == 1 and logged[0].exc_info[0] is KeyError


def test_an_unexpected_error_shows_no_database_words_path_or_process_id(monkeypatch):
    """A bug's own text (a database's error, a server path, a process id) stays in the log; the page says
    only that nothing was changed."""
    import duckdb

    import ui

    shown_errors = []
    monkeypatch.setattr(ui.st, "error", lambda text, **_: shown_errors.append(text))
    with ui.friendly_errors():
        raise duckdb.TransactionException('TransactionContext Error: Catalog write-write conflict on alter with '
                                          '"/srv/hr/retention.duckdb" (PID 4242)')
    assert len(shown_errors) == 1
    for leaked in ("Transaction", "Catalog", "/srv", "4242", "PID"):
        assert leaked not in shown_errors[0]
    assert "nothing was changed" in shown_errors[0]


def test_dates_that_cannot_tell_day_from_month_are_asked_about(monkeypatch, tmp_path):
    """Every day 12 or under: the Data page asks which comes first, then reads the dates that way."""
    import pandas as pd

    db = tmp_path / "upload.duckdb"
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    emp = employees_table(30)
    emp["hire_date"] = [f"{1 + i % 12:02d}/{1 + i % 9:02d}/2021" for i in range(len(emp))]  # MM/DD or DD/MM?
    emp["termination_date"], emp["termination_reason"] = "", ""
    men = mentorships_table(emp, 10).assign(start_date="2022-03-01")
    _upload(at, emp.to_csv(index=False).encode(), men.to_csv(index=False).encode())
    at.button[0].click().run()  # check the files
    assert "cannot tell day from month" in at.error[0].value
    question = next(r for r in at.radio if "could be either way round" in r.label)
    question.set_value("DD/MM/YYYY").run()
    at.button[0].click().run()
    assert_clean(at)
    at.run()  # a further redraw keeps the answer and the checked plan
    assert {m.label: m.value for m in at.metric}["Employees ready"] == "30"
    ready = {m.label: m.value for m in at.metric}
    assert ready["Employees ready"] == "30"
    plan = at.session_state["plan"]
    assert plan.employees.frame["hire_date"].iloc[1] == pd.Timestamp("2021-02-02")
    assert plan.employees.frame["hire_date"].iloc[2] == pd.Timestamp("2021-03-03")
    assert plan.employees.frame["hire_date"].iloc[9] == pd.Timestamp("2021-01-10")  # "10/01/2021": 10 January


def test_a_checked_plan_is_not_loaded_for_other_files(monkeypatch, tmp_path):
    """Check one export, then upload another: the first one's plan is gone, nothing to load until checked."""
    db = tmp_path / "upload.duckdb"
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    emp = employees_table(60)
    men = mentorships_table(emp, 20)
    _upload(at, emp.to_csv(index=False).encode(), men.to_csv(index=False).encode())
    at.button[0].click().run()
    assert {m.label: m.value for m in at.metric}["Employees ready"] == "60"
    at.file_uploader(key="upload_employees").set_value(("staff.csv", employees_table(30).to_csv(index=False).encode(),
                                                        "text/csv"))
    at.run()
    assert_clean(at)
    assert "Employees ready" not in {m.label for m in at.metric}
    assert not [b for b in at.button if b.label == "Load into the dashboard"]
    at.button[0].click().run()  # checked again: the new file's plan
    assert {m.label: m.value for m in at.metric}["Employees ready"] == "30"


def test_the_overview_says_what_it_measured_and_when_to_be_cautious(monkeypatch, demo_db):
    """Simulated data said on every page; the 12-month figures labelled unadjusted; a value whose range
    includes a loss shown in a cautious colour, with the changed assumptions noted; the E-value sentence."""
    at = open_app(monkeypatch, demo_db, state={"saved_bc_cost": 20_000})  # a dear programme: the range dips below 0
    assert_clean(at)
    assert any("Simulated demo data" in i.value for i in at.sidebar.info)
    captions = " ".join(c.value for c in at.caption)
    assert "figures are unadjusted" in captions and "assumptions changed on the Business case page" in captions
    assert "To explain this effect away" in captions
    # the credit for mentoring done counts no cost, so a dear programme leaves it a gain; 100 new mentees at that
    # cost are a loss, said in the warning colour under the figures
    value = next(m for m in at.metric if m.label == "Mentoring done: still worth")
    assert "range" in value.delta and value.proto.color != value.proto.ORANGE
    assert any(w.value.startswith("Each 100 new mentees would cost") for w in at.warning)


def test_exports_and_the_briefing_say_when_the_data_is_simulated(demo_db, tmp_path):
    from analytics.case.summary import headline, to_json
    from analytics.outputs import messages, onepager, tables
    from analytics.words import wording

    con = database.connect(demo_db)  # the app in this process holds the file open read-write
    h = headline(con)
    assert h.notes["simulated"] and messages.key_messages(h)["demo"] == wording.DEMO_NOTE
    assert wording.DEMO_NOTE in onepager.one_pager_html(h)
    assert wording.DEMO_NOTE in messages.briefing(to_json(h))
    assert "had not left voluntarily" in messages.key_messages(h)["retention"]



# ------------------------------------------------------------ values from the files never act

HOSTILE = {
    "markdown-image": "![t](http://attacker.example/x.png)",
    "markdown-link": "[click](http://attacker.example/x)",
    "html-link": "<a href=\"http://attacker.example\">x</a>",
    "latex": "$x^2$",
    "colour": ":red[alarm]",
    "formula": "=HYPERLINK(\"http://attacker.example\",\"x\")",
    "command": "+cmd|' /C calc'!A0",
    "at-sum": "@SUM(1)",
}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    """A company whose departments, levels and a file name are hostile text, all in groups large enough
    to be shown."""
    from tests.builders import write
    tmp = tmp_path_factory.mktemp("hostile")
    emp = employees_table(480, seed=11)
    values = list(HOSTILE.values())
    emp["department"] = [values[i % len(values)] for i in range(len(emp))]
    emp["job_level"] = [values[(i // 7) % len(values)] for i in range(len(emp))]
    men = mentorships_table(emp, 200)
    emp.loc[len(emp) - 1, "hire_date"] = "31/02/2020"  # one row set aside: its file name and cells go into a CSV
    db = tmp / "hostile.duckdb"
    con = database.connect(db)
    loads.load_files(con, write(emp, tmp / "=cmd|calc.csv"), write(men, tmp / "m.csv"))
    con.close()
    return db


def _markdown_bodies(at: AppTest) -> list[str]:
    bodies = []
    for kind in ("markdown", "caption", "info", "warning", "error", "success"):
        bodies += [e.value for e in getattr(at, kind)]
    bodies += [e.value for e in getattr(at.sidebar, "caption")]
    return bodies


@pytest.mark.parametrize("page", ["views/overview.py", "views/cohorts.py", "views/methods.py", "views/data.py"])
def test_hostile_values_never_become_markdown_or_html(monkeypatch, hostile_db, page):
    import re
    state = {"filter_department": [HOSTILE["markdown-image"], HOSTILE["markdown-link"]]}
    at = open_app(monkeypatch, hostile_db, page, state=state)
    if page == "views/cohorts.py":
        at.selectbox(key="cohort_dimension").set_value("department").run()
    assert not at.exception
    for body in _markdown_bodies(at):
        assert not re.search(r"(?<!\\)!\[|(?<!\\)\]\(|<a |(?<!\\):red\[|(?<!\\)\$x", body), body
    for chart in at.get("plotly_chart"):
        assert "<a href" not in chart.proto.spec


def test_every_csv_the_product_writes_is_safe_to_open(hostile_db, tmp_path):
    """No cell of any CSV begins with = + - @ tab or CR: the deck's tables, the rows set aside (page and CLI)."""
    import csv
    import io
    import zipfile

    from analytics.case.summary import headline
    from analytics.outputs import onepager, tables
    from analytics.surface.cli import main

    con = database.connect(hostile_db)
    files = {name: z.read(name).decode() for z in [zipfile.ZipFile(io.BytesIO(tables.tables_zip(headline(con))))]
             for name in z.namelist()}
    con.close()
    assert main(["rejects", "--db", str(hostile_db), "--out", str(tmp_path / "rejects.csv")]) == 0
    files["rejects.csv"] = (tmp_path / "rejects.csv").read_text()
    for rows in ("people", "intervals"):  # the analysis data set, as analysts take it elsewhere
        assert main(["export", "--db", str(hostile_db), "--rows", rows, "--out", str(tmp_path / f"{rows}.csv")]) == 0
        files[f"{rows}.csv"] = (tmp_path / f"{rows}.csv").read_text()
    cells = [cell for text in files.values() for row in csv.reader(io.StringIO(text)) for cell in row]
    assert any("cmd|calc.csv" in c for c in cells)  # the hostile file name is there, as the rows' source_file
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))]


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_the_data_page_asks_before_replacing_and_can_go_back(monkeypatch, tmp_path):
    db = tmp_path / "upload.duckdb"
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    emp = employees_table(60)
    _upload(at, emp.to_csv(index=False).encode(), mentorships_table(emp, 20).to_csv(index=False).encode())
    at.button[0].click().run()
    tick(at, "confirm_load")
    next(b for b in at.button if b.label == "Load into the dashboard").click().run()
    emp = employees_table(30, seed=3)
    _upload(at, emp.to_csv(index=False).encode(), mentorships_table(emp, 10).to_csv(index=False).encode())
    at.button[0].click().run()
    tick(at, "confirm_load")
    next(b for b in at.button if b.label == "Load into the dashboard").click().run()
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}["Employees"] == "30"
    back = next(b for b in at.button if b.label == "Go back")
    assert back.disabled
    tick(at, "confirm_undo")
    next(b for b in at.button if b.label == "Go back").click().run()
    assert_clean(at)
    assert {m.label: m.value for m in at.metric}["Employees"] == "60"
    assert next(b for b in at.button if b.label == "Go back").disabled  # going back again asks again
    assert not any(c.value for c in at.checkbox if c.key.startswith("confirm_"))


def test_the_data_page_goes_back_and_forward_through_five_loads_and_to_any_kept_state(monkeypatch, tmp_path):
    """Five loads of 40, 50, 60, 70 and 80 people on the demo: Go back walks 70, 60, 50, 40; Go forward 50; any kept
    state is listed and can be brought back (the demo, before the first load, too)."""
    from analytics.surface.cli import main
    from tests.builders import write

    db = tmp_path / "five.duckdb"
    assert main(["demo", "--db", str(db), "--employees", "300"]) == 0
    for n in (40, 50, 60, 70, 80):
        emp = employees_table(n)
        write(emp, tmp_path / "e.csv"), write(mentorships_table(emp, 10), tmp_path / "m.csv")
        assert main(["load", "--db", str(db), "--employees", str(tmp_path / "e.csv"),
                     "--mentorships", str(tmp_path / "m.csv")]) == 0
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)

    def employees() -> str:
        return {m.label: m.value for m in at.metric}["Employees"]

    def press(label: str) -> None:
        tick(at, "confirm_undo")
        next(b for b in at.button if b.label == label).click().run()
        assert_clean(at)

    assert employees() == "80"
    for expected in ("70", "60", "50", "40"):
        press("Go back")
        assert employees() == expected
    press("Go forward")
    assert employees() == "50"
    listed = next(s for s in at.selectbox if s.key == "go_to_state")
    assert 1 in listed.options or "state 1" in listed.options  # the demo, before the first load, is still kept
    tick(at, "confirm_undo")
    at.selectbox(key="go_to_state").set_value(1).run()
    next(b for b in at.button if b.label == "Bring it back").click().run()
    assert_clean(at)
    assert employees() == "300"


def tick(at: AppTest, name: str) -> None:
    """The confirming tick box of an action (a new one for each data version: every change asks again)."""
    next(c for c in at.checkbox if c.key.startswith(f"{name}_")).check().run()


def test_a_widget_label_from_a_file_shows_its_text_not_a_link():
    from analytics.words.wording import label
    assert label("![t](http://attacker.example/x.png)") == r"\!\[t\]\(http\://attacker.example/x.png\)"
    assert label("hr_report - 2024.xlsx") == "hr_report - 2024.xlsx"  # ordinary names read as they are



@pytest.mark.parametrize("n, filtered, words", [(47, True, "about 45"), (44, True, "about 45"), (3, True, "fewer than 5"),
                                                (6, True, "about 5"), (47, False, "47"), (5000, False, "5,000")])
def test_filtered_totals_are_rounded_so_two_filters_cannot_be_subtracted(n, filtered, words):
    """The attack: 47 people with one filter, 44 with another, a group of 3 by subtraction. Rounded to the
    nearest 5, both read 'about 45'."""
    from analytics.words.wording import total_words
    assert total_words(n, filtered) == words


def test_two_as_of_dates_a_day_apart_cannot_be_subtracted(monkeypatch, demo_db):
    """The attack: everyone's total at two as-of dates a day apart (4,986 vs 4,987) gives the people hired that
    day. A chosen as-of date rounds every total, as a filter does; the data's own date shows it exactly."""
    from datetime import date, timedelta

    from analytics.estimation.followup import follow_up
    con = database.connect(demo_db)
    try:
        own = queries.snapshot(con).data_as_of
        days = [own - timedelta(days=d) for d in range(1, 120)]
        totals = {d: follow_up(con, as_of=d).n_employees for d in days}
        assert not follow_up(con).rounded and all(follow_up(con, as_of=d).rounded for d in days[:1])
    finally:
        con.close()
    pair = next((a, b) for a, b in zip(days[1:], days) if totals[b] - totals[a] in range(1, 5))  # a day with 1-4 hires
    seen = {}
    for day in pair:
        at = open_app(monkeypatch, demo_db, state={"as_of": day})
        assert_clean(at)
        seen[day] = next(c.value for c in at.sidebar.caption if "people in scope" in c.value)
        assert "about" in seen[day]
        scope = next(m for m in at.metric if m.label == "In scope")
        assert int(scope.value.replace(",", "")) % 5 == 0 and "rounded" in scope.delta
    words = {total_words_at(totals[d]) for d in pair}
    assert len(set(seen.values())) == len(words)  # what the page shows is the rounded total, nothing finer
    at = open_app(monkeypatch, demo_db)
    assert any("5,000** people in scope" in c.value for c in at.sidebar.caption)  # the data's own date: exact


def total_words_at(n: int) -> str:
    from analytics.words.wording import total_words
    return total_words(n, True)


@pytest.mark.parametrize("page", ["views/cohorts.py", "views/methods.py", "views/data.py"])  # the Business case: a zip, tested above
def test_every_download_on_the_pages_is_safe_to_open(monkeypatch, hostile_db, page):
    """The pages' own downloads (the tables' built-in CSV is off): every cell of every CSV offered is neutralised."""
    import csv
    import io
    import streamlit as st
    offered = []
    real = st.download_button

    def capture(label, data, *args, **kwargs):
        offered.append((label, kwargs.get("file_name", ""), data))
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", capture)
    at = open_app(monkeypatch, hostile_db, page)
    if page == "views/cohorts.py":
        at.selectbox(key="cohort_dimension").set_value("department").run()
    assert not at.exception
    csv_files = [(label, data) for label, name, data in offered if name.endswith(".csv") and "template" not in name]
    assert csv_files, "no CSV offered"
    for label, data in csv_files:
        data = data() if callable(data) else data  # a file built at the click (ui.at_click)
        text = data.decode() if isinstance(data, bytes) else data
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))], label
    if page == "views/cohorts.py":
        assert any("=HYPERLINK" in (d if isinstance(d, str) else d.decode()) for _, d in csv_files)  # the value is there


@pytest.mark.parametrize("page", ["views/methods.py", "views/cohorts.py", "views/overview.py"])
def test_a_cohort_of_a_few_people_shows_no_count_of_one_to_four_anywhere(monkeypatch, tmp_path, page):
    """The issue's attack on the Methods page: a cohort of 5-9 people once showed 'events 2'. Every table a
    page draws for such a cohort (models, landmarks, cohorts, effects) holds no count from 1 to 4."""
    emp = employees_table(400, seed=5)
    emp.loc[:8, "department"], emp.loc[:8, "termination_date"] = "Tiny", ["2021-06-01"] * 2 + [""] * 7
    emp.loc[:8, "termination_reason"] = ["resigned"] * 2 + [""] * 7
    emp.loc[:8, "hire_date"] = "2019-02-01"
    db = _small_store(tmp_path, emp, mentorships_table(emp, 120))
    at = open_app(monkeypatch, db, page, auto_demo=False, state={"filter_department": ["Tiny"]})
    if page == "views/cohorts.py":
        at.selectbox(key="cohort_dimension").set_value("job_level").run()
    assert_clean(at)
    assert any("about 10** people in scope" in c.value for c in at.sidebar.caption)  # 9 people, rounded
    counts = ("n", "events", "rows", "people", "exits", "mentored", "mentored by then", "not mentored")
    checked = []
    for frame in (d.value for d in at.dataframe):
        for column in [c for c in frame.columns if str(c) in counts]:
            checked.append(column)
            values = pd.to_numeric(frame[column].astype(str).str.replace(",", ""), errors="coerce")
            assert not values.between(1, 4).any(), (column, frame[column].tolist())
    for metric in at.metric:
        assert metric.value.replace(",", "") not in {"1", "2", "3", "4"}, metric.label
    if page == "views/cohorts.py":
        assert "people" in checked and "exits" in checked  # the cohort table was there to be checked


def test_a_filtered_groups_counts_are_rounded_everywhere_its_total_is(demo_db, tmp_path, capsys):
    """Rounding the sidebar's total is undone by any exact count of the same people elsewhere. For a filtered
    group every count is to the nearest 5: the business case's inputs and their sources (page table, CSV,
    JSON), the tables' n and exits (CSV zip, Cohorts, Methods), the effect chart's labels; and the CLI's JSON
    at a chosen as-of date likewise."""
    import io
    import json
    import re
    import zipfile

    from analytics.case.summary import compare_cohorts, headline
    from analytics.outputs import figures, messages, onepager, tables
    from analytics.store.cohorts import Cohort
    from analytics.surface.cli import main
    from analytics.words import wording

    con = database.connect(demo_db)
    try:
        sales = Cohort(department=("Sales",), job_level=("L2",))
        h = headline(con, sales)
        assert h.follow_up.rounded
        frame = messages.assumptions_frame(h.business.inputs)
        people = frame.set_index("input").loc["People employed now", "value"]
        assert people.startswith("about ")
        numbers = [int(n.replace(",", "")) for cell in frame["source"] for n in re.findall(r"n = (?:about )?([\d,]+)", cell)]
        assert numbers and all(n % 5 == 0 for n in numbers)
        assert all("about" in cell for cell in frame["source"] if "n = " in cell)
        with zipfile.ZipFile(io.BytesIO(tables.tables_zip(h))) as z:
            for name in ("hazard_ratios.csv", "retention_at_horizon.csv"):
                table = pd.read_csv(z.open(name))
                for column in ("n", "events"):
                    if column in table:
                        assert (table[column].dropna() % 5 == 0).all(), (name, column)
        comparison = compare_cohorts(con, "job_level", Cohort(department=("Sales",)))
        assert comparison.rounded
        for column in ("people", "exits", "mentored"):
            assert all(v is None or pd.isna(v) or v % 5 == 0 for v in comparison.table[column]), column
        rows = [e.as_row(True) for e in comparison.effects]
        assert all(r["people"] is None or r["people"] % 5 == 0 for r in rows)
        labels = [t for t in figures.forest_figure(comparison.effects, rounded=True).data[0].y]
        assert all(re.search(r"n=(about \d+|fewer than 5)\)$", label) for label in labels)
        assert h.business.to_dict()["inputs"]["people_in_scope"]["value"] % 5 == 0
    finally:
        con.close()
    capsys.readouterr()
    assert main(["summary", "--db", str(demo_db), "--as-of", "2024-06-30", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["counts_rounded"]
    assert all(result[k] % 5 == 0 for k in ("n_employees", "n_mentored", "n_events"))
    assert result["business_case"]["inputs"]["people_in_scope"]["value"] % 5 == 0
    assert main(["summary", "--db", str(demo_db), "--json"]) == 0
    own = json.loads(capsys.readouterr().out)
    assert not own["counts_rounded"] and own["n_employees"] == 5000  # the data's own date, everyone: exact


def test_with_no_salary_in_the_data_every_page_assumes_the_same_one_and_says_so(monkeypatch, tmp_path):
    """Data without a salary column: the Overview, opened first, shows the value at once, from the assumed average
    salary the Business case page then shows, labelled an assumption (never 'your input') until the user enters
    one; the value is the same whichever page was opened first, and Methods shows no internal message."""
    from analytics.common.policy import SALARY_IF_NOT_IN_DATA
    from analytics.outputs import messages
    from analytics.words import wording

    emp = employees_table(400, seed=11).drop(columns="salary")
    at = open_app(monkeypatch, _small_store(tmp_path, emp, mentorships_table(emp, 150)), auto_demo=False)
    assert_clean(at)
    value = next(m.value for m in at.metric if m.label == "Mentoring done: still worth")  # the Overview, first
    at.switch_page("views/business_case.py").run()
    assert_clean(at)
    assert next(m.value for m in at.metric if m.label == "Still worth per year") == value
    assert at.number_input(key="bc_salary").value == SALARY_IF_NOT_IN_DATA
    sources = at.dataframe[-1].value.set_index("input")["source"]
    assert sources["Average salary"] == wording.ASSUMED_SALARY and sources["Average salary"].startswith("assumption")
    at.switch_page("views/overview.py").run()
    assert next(m.value for m in at.metric if m.label == "Mentoring done: still worth") == value
    at.switch_page("views/methods.py").run()
    assert_clean(at)
    said = " ".join(str(x.value) for x in [*at.caption, *at.markdown, *at.warning, *at.info])
    assert "required, but was" not in said and "average_salary" not in said

    at.switch_page("views/business_case.py").run()
    at.number_input(key="bc_salary").set_value(80_000).run()
    assert_clean(at)
    sources = at.dataframe[-1].value.set_index("input")["source"]
    assert sources["Average salary"] == wording.YOUR_INPUT
    changed = next(m.value for m in at.metric if m.label == "Still worth per year")
    at.switch_page("views/overview.py").run()
    assert next(m.value for m in at.metric if m.label == "Mentoring done: still worth") == changed != value
