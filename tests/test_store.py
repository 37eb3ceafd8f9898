"""Derived fields computed in the store (docs/design.md: Definitions) and the load CLI."""
from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from analytics.common import errors
from analytics.store import database, loads, queries
from analytics.store.cohorts import Cohort
from analytics.surface.cli import main
from tests.builders import employees_table, mentorships_table, write

ROOT = Path(__file__).resolve().parent.parent

EMPLOYEES = pd.DataFrame([
    # id, hire, exit, reason, birth_year, manager
    ("M", "2018-01-01", "", "", "1950", ""),
    ("A", "2020-01-01", "2021-01-01", "resigned", "1990", "M"),
    ("B", "2020-01-01", "", "", "2000", "M"),
    ("C", "2020-01-01", "2020-06-01", "laid off", "1970", "M"),
    ("D", "2020-01-01", "2020-06-01", "quit", "1940", "M"),
    ("F", "2023-01-01", "", "", "1985", "M"),  # hired after the as-of date used below
], columns=["employee_id", "hire_date", "termination_date", "termination_reason", "birth_year", "manager_id"])

MENTORSHIPS = pd.DataFrame([
    ("A", "M", "2020-03-01", "traditional"),   # mentor is A's manager, 60 days after hire
    ("A", "B", "2020-05-01", "lateral"),       # a second one: the first counts
    ("B", "A", "2019-12-01", "reverse"),       # before hire: exposed from day 0; mentor A (1990) older than B (2000)
    ("C", "", "2020-07-01", "external"),       # after C left: ignored
    ("D", "M", "2020-06-01", "group"),         # on D's exit day: no mentored time
], columns=["mentee_id", "mentor_id", "start_date", "program_type"])


@pytest.fixture
def con(tmp_path):
    c = database.connect(tmp_path / "r.duckdb")
    loads.load_files(c, write(EMPLOYEES, tmp_path / "e.csv"), write(MENTORSHIPS, tmp_path / "m.csv"))
    yield c
    c.close()


def test_generation_follows_pew_boundaries(con):
    gens = con.execute("SELECT employee_id, generation FROM employee_facts ORDER BY employee_id").fetchall()
    assert dict(gens) == {"A": "Millennial", "B": "Gen Z", "C": "Gen X", "D": None, "F": "Millennial", "M": "Boomer"}


def test_pair_fields(con):
    facts = con.execute("SELECT mentee_id, mentor_id, mentor_is_manager, reverse_pair, cross_generation, "
                        "mentor_is_employee FROM mentorship_facts ORDER BY mentorship_id").df()
    assert facts["mentor_is_manager"].tolist() == [True, False, False, False, True]
    # A (1990) mentored by B (2000): younger mentor; B mentored by A: older mentor
    assert facts["reverse_pair"].tolist()[:3] == [False, True, False]
    assert facts["cross_generation"].tolist()[:3] == [True, True, True]
    assert facts["mentor_is_employee"].tolist() == [True, True, True, False, True]


def test_episodes_follow_the_definitions(con):
    ep = queries.episodes(con, as_of="2022-12-31", event="voluntary").set_index("employee_id")
    assert "F" not in ep.index  # hired after the as-of date
    assert ep.loc["A", "duration_days"] == 366 and ep.loc["A", "event"]
    assert ep.loc["A", "mentored_from_day"] == 60 and ep.loc["A", "program_type"] == "traditional"
    assert ep.loc["A", "mentor_is_manager"] and ep.loc["A", "n_mentorships"] == 2
    assert ep.loc["B", "mentored_from_day"] == 0 and not ep.loc["B", "exited"]
    assert ep.loc["B", "followup_end"] == pd.Timestamp("2022-12-31")
    assert not ep.loc["C", "mentored"] and not ep.loc["C", "event"]  # involuntary exit is censored
    assert not ep.loc["D", "mentored"] and ep.loc["D", "event"]      # mentorship on the exit day
    assert queries.ignored_mentorships(con, "2022-12-31") == 2
    # counted within the cohort: C (born 1970) is Gen X, D (born 1940) has no Pew generation
    assert queries.ignored_mentorships(con, "2022-12-31", Cohort(generation=("Gen X",))) == 1
    assert queries.ignored_mentorships(con, "2022-12-31", Cohort(generation=("Millennial",))) == 0
    every = queries.episodes(con, as_of="2022-12-31", event="all").set_index("employee_id")
    assert every.loc["C", "event"]


def test_episodes_read_with_only_some_columns_are_the_same_columns(con):
    """The summary reads only the columns its figures use (queries.HEADLINE_COLUMNS, the models' characteristics
    among them): the same values, rows and order as in the whole frame; a name that is not an episodes column
    is refused."""
    from analytics.estimation.design import CATEGORICAL, NUMERIC

    HEADLINE_COLUMNS = queries.HEADLINE_COLUMNS
    assert set(CATEGORICAL) | set(NUMERIC) - {"log_salary"} <= set(HEADLINE_COLUMNS) <= set(queries.EPISODE_COLUMNS)

    whole = queries.episodes(con, as_of="2022-12-31", event="voluntary")
    assert tuple(whole.columns) == queries.EPISODE_COLUMNS
    some = queries.episodes(con, as_of="2022-12-31", event="voluntary", columns=HEADLINE_COLUMNS)
    assert tuple(some.columns) == HEADLINE_COLUMNS
    pd.testing.assert_frame_equal(some, whole[list(HEADLINE_COLUMNS)])
    with pytest.raises(errors.RetentionError, match="columns must be among"):
        queries.episodes(con, columns=("employee_id", "1; DROP TABLE employees"))


@pytest.mark.parametrize("columns", [("employee_id", "mentor_from_day", "meetings"),  # the counts and own mentoring
                                     ("department", "employee_id", "n_mentorships"),  # in the order asked for
                                     ("employee_id", "salary")])                      # no event column
def test_a_few_columns_are_worked_out_without_the_others(con, columns):
    """Only the joins the columns asked for need are in the query (the headline's: neither the counts nor the
    mentors' own first mentoring, about a tenth of a second at a million); the values are the whole frame's."""
    whole = queries.episodes(con, as_of="2022-12-31", event="all")
    some = queries.episodes(con, as_of="2022-12-31", event="all", columns=columns)
    pd.testing.assert_frame_equal(some, whole[list(columns)])
    sql = queries.episodes_sql(columns)
    assert ("totals AS" in sql) == bool({"n_mentorships", "meetings"} & set(columns))
    assert ("as_mentor AS" in sql) == ("mentor_from_day" in columns)
    assert "$event" in sql  # who is followed depends on it (regrettable exits follow the top-rated), whatever is asked
    headline = queries.episodes_sql(queries.HEADLINE_COLUMNS)
    assert "totals AS" not in headline and "as_mentor AS" not in headline
    assert all(f"{name} AS" in queries.EPISODES_SQL for name in ("totals", "as_mentor"))


def test_as_of_censors_later_exits(con):
    ep = queries.episodes(con, as_of="2020-09-01").set_index("employee_id")
    assert not ep.loc["A", "exited"] and ep.loc["A", "duration_days"] == (date(2020, 9, 1) - date(2020, 1, 1)).days
    settled = queries.snapshot(con, as_of="2020-09-01")
    assert (settled.as_of, settled.event) == (date(2020, 9, 1), "voluntary")


def test_default_as_of_is_the_latest_date_in_the_data(con):
    assert queries.snapshot(con).as_of == date(2023, 1, 1)


def test_default_as_of_is_never_after_today(tmp_path):
    """A scheduled exit or a hire next year in the export: the snapshot stays today, the hire is
    excluded and counted, the exit not yet an exit."""
    from datetime import timedelta
    future = (date.today() + timedelta(days=400)).isoformat()
    emp = EMPLOYEES.copy()
    emp.loc[emp["employee_id"] == "F", "hire_date"] = future
    emp.loc[emp["employee_id"] == "B", ["termination_date", "termination_reason"]] = [future, "resigned"]
    c = database.connect(tmp_path / "f.duckdb")
    loads.load_files(c, write(emp, tmp_path / "e.csv"), write(MENTORSHIPS, tmp_path / "m.csv"))
    assert queries.snapshot(c).as_of == date.today()
    assert queries.hired_after(c, queries.snapshot(c).as_of) == 1
    assert not queries.episodes(c).set_index("employee_id").loc["B", "event"]
    c.close()


def test_event_falls_back_to_all_exits_without_reasons(tmp_path):
    c = database.connect(tmp_path / "r.duckdb")
    emp = EMPLOYEES.drop(columns=["termination_reason"])
    loads.load_files(c, write(emp, tmp_path / "e.csv"), write(MENTORSHIPS, tmp_path / "m.csv"))
    assert queries.snapshot(c).event == "all"
    assert queries.snapshot(c, event="voluntary").event == "all"
    assert queries.snapshot(c, "2022-12-31").event == "all"


@pytest.mark.parametrize("bad, match", [
    ({"event": "quits"}, "event must be one of"),
    ({"as_of": "31/12/2022"}, "as_of must be a YYYY-MM-DD date"),
])
def test_bad_settings_are_named(con, bad, match):
    with pytest.raises(ValueError, match=match):
        queries.episodes(con, **bad)


# ------------------------------------------------------------ the CLI

def test_cli_load_bad_file_exits_2_and_leaves_the_database(tmp_path, capsys):
    emp = employees_table()
    men = mentorships_table(emp)
    db = str(tmp_path / "r.duckdb")
    assert main(["load", "--db", db, "--employees", str(write(emp, tmp_path / "e.csv")),
                 "--mentorships", str(write(men, tmp_path / "m.csv"))]) == 0
    out = capsys.readouterr().out
    assert "employees: 40 rows loaded from e.csv, 0 set aside" in out
    bad = write(emp.drop(columns=["employee_id"]), tmp_path / "bad.csv")
    assert main(["load", "--db", db, "--employees", str(bad), "--mentorships", str(tmp_path / "m.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: file 'bad.csv', column 'employee_id': required column missing")
    con = database.connect(db)
    assert queries.data_facts(con)["n_employees"] == 40


def test_cli_refused_load_creates_no_database(tmp_path, capsys):
    emp = employees_table().drop(columns=["hire_date"])
    men = mentorships_table(employees_table())
    db = tmp_path / "new.duckdb"
    assert main(["load", "--db", str(db), "--employees", str(write(emp, tmp_path / "e.csv")),
                 "--mentorships", str(write(men, tmp_path / "m.csv"))]) == 2
    assert not db.exists()


@pytest.mark.parametrize("args", [["rejects", "--out", "{missing}/rejects.csv"],
                                  ["report", "--format", "html", "--out", "{missing}/one_pager.html"]],
                         ids=["rejects", "report"])
def test_cli_unwritable_output_exits_2_with_a_message(con, tmp_path, capsys, args):
    con.close()
    argv = [a.format(missing=tmp_path / "no such folder") for a in args] + ["--db", str(tmp_path / "r.duckdb")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no such folder" in err and "Traceback" not in err


def test_cli_rejects_round_trip(tmp_path, capsys):
    emp = employees_table()
    men = mentorships_table(emp)
    emp.loc[30, "hire_date"] = "31/02/2021"
    db = str(tmp_path / "r.duckdb")
    main(["load", "--db", db, "--employees", str(write(emp, tmp_path / "e.csv")),
          "--mentorships", str(write(men, tmp_path / "m.csv"))])
    assert "1 employees rows: hire_date" in capsys.readouterr().out
    assert main(["rejects", "--db", db, "--out", str(tmp_path / "rej.csv")]) == 0
    back = pd.read_csv(tmp_path / "rej.csv")
    assert back[["row_number", "column_name"]].values.tolist() == [[32, "hire_date"]]


def test_cli_map_option(tmp_path):
    emp = employees_table().rename(columns={"employee_id": "Badge Code"})
    men = mentorships_table(employees_table())
    db = str(tmp_path / "r.duckdb")
    args = ["load", "--db", db, "--employees", str(write(emp, tmp_path / "e.csv")),
            "--mentorships", str(write(men, tmp_path / "m.csv"))]
    assert main(args) == 2
    assert main(args + ["--map", "employees.employee_id=Badge Code"]) == 0
    assert main(args + ["--map", "employee_id=Badge Code"]) == 2


def test_cli_reports_bad_input_but_not_a_bug_as_bad_input(con, tmp_path, monkeypatch, capsys):
    """The project's own errors exit 2 with their message; any other error is a bug and surfaces as one."""
    import analytics.case.summary

    con.close()
    db = str(tmp_path / "r.duckdb")
    assert main(["summary", "--db", db, "--as-of", "2022-13-01"]) == 2
    assert "as_of must be a YYYY-MM-DD date" in capsys.readouterr().err

    def broken(*args, **kwargs):
        raise ValueError("a bug, not bad input")
    monkeypatch.setattr(analytics.case.summary, "summarise", broken)
    with pytest.raises(ValueError, match="a bug, not bad input"):
        main(["summary", "--db", db])


def test_cli_demo_with_a_bad_setting_exits_2_with_its_name(tmp_path, capsys):
    assert main(["demo", "--db", str(tmp_path / "d.duckdb"), "--employees", "10"]) == 2
    assert "n_employees must be an integer >= 50, but was 10" in capsys.readouterr().err


def test_the_cli_and_the_engine_settle_the_same_snapshot(con):
    """One function settles the as-of date and the event; the follow-up carries what it settled."""
    from analytics.estimation.followup import follow_up

    settled = queries.snapshot(con)
    fu = follow_up(con)
    assert (fu.as_of, fu.event) == (settled.as_of, settled.event) == (date(2023, 1, 1), "voluntary")
    assert settled.data_as_of == date(2023, 1, 1) and settled.has_reasons
    chosen = queries.snapshot(con, "2021-06-30", "all")
    assert (chosen.as_of, chosen.event, chosen.data_as_of) == (date(2021, 6, 30), "all", date(2023, 1, 1))


def test_python_dash_m_runs_as_a_program(tmp_path):
    """The module entry point really exits 2 with the message on stderr."""
    run = subprocess.run([sys.executable, "-m", "analytics", "load", "--db", str(tmp_path / "r.duckdb"),
                          "--employees", str(tmp_path / "none.csv"), "--mentorships", str(tmp_path / "none.csv")],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2
    assert run.stderr.strip() == "error: file 'none.csv': file not found"
    assert run.stdout == ""


def test_the_program_loads_its_libraries_without_the_collector_then_turns_it_on(tmp_path):
    """`python -m analytics` starts with Python's cyclic garbage collector off while the libraries load (a tenth
    of a second of the summary's two), and every command turns it back on, with what was loaded set aside from
    its passes; a process that kept it on (a test, a notebook) is left as it was."""
    db = tmp_path / "r.duckdb"
    c = database.connect(db)
    loads.load_demo(c, n_employees=400)
    c.close()
    probe = ("import contextlib, gc, io, sys; gc.disable(); from analytics.surface.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    code = main(sys.argv[1:])\n"
             "print(code, gc.isenabled(), gc.get_freeze_count() > 0)")
    for command in (["summary", "--json"], ["history"]):
        run = subprocess.run([sys.executable, "-c", probe, *command, "--db", str(db)], capture_output=True,
                             text=True, cwd=ROOT)
        assert run.stdout.split() == ["0", "True", "True"], (command, run.stderr)
    kept_on = subprocess.run([sys.executable, "-c", probe.replace("gc.disable(); ", ""), "history", "--db", str(db)],
                             capture_output=True, text=True, cwd=ROOT)
    assert kept_on.stdout.split() == ["0", "True", "False"], kept_on.stderr
    assert "gc.disable()" in (ROOT / "analytics" / "__main__.py").read_text()


def test_counting_process_rows(con):
    rows = queries.counting_rows(con, as_of="2022-12-31", event="voluntary")
    got = {k: g[["start", "stop", "event", "mentored"]].values.tolist() for k, g in rows.groupby("employee_id")}
    assert got["A"] == [[0, 60, False, False], [60, 366, True, True]]   # (0, m] then (m, T]
    assert got["B"] == [[0, 1095, False, True]]                         # mentored from day 0: one row
    assert got["C"] == [[0, 152, False, False]]                         # involuntary exit censored
    assert got["D"] == [[0, 152, True, False]]                          # mentorship on exit day: none
    assert got["M"] == [[0, 1825, False, False]]


def test_episodes_are_duckdbs_own_frame_with_each_word_held_once():
    """A department, a level, a reason: one shared copy of each word, not one per row (a fraction of the memory
    at a million rows), and otherwise exactly the frame DuckDB itself gives (types, missing values, order)."""
    c = database.connect(":memory:")
    loads.load_demo(c, n_employees=2000)
    settled = queries.snapshot(c, None, None)
    ours = queries.episodes(c, settled.as_of, settled.event)
    duckdbs = c.execute(queries.EPISODES_SQL, queries._params(c, settled.as_of, settled.event, None)).df()
    pd.testing.assert_frame_equal(ours, duckdbs)
    assert ours["exit_reason"].isna().any() and ours["program_type"].isna().any()  # missing as DuckDB gives it
    for name in queries.FEW_VALUES:
        words = ours[name].dropna()
        assert len({id(word) for word in words}) == words.nunique(), name


def test_the_models_hold_intervals_by_when_they_end(con):
    """The follow-up's counting-process rows are ordered by when each ends (the risk sets' order, so a model
    reads them straight through); each person's rows are still the same rows."""
    from analytics.estimation.followup import follow_up

    fu = follow_up(con, as_of="2022-12-31", event="voluntary")
    assert fu.rows["stop"].is_monotonic_increasing
    by_person = queries.counting_rows(con, as_of="2022-12-31", event="voluntary")
    key = ["employee_id", "start", "stop", "event", "mentored"]
    pd.testing.assert_frame_equal(fu.rows[key].sort_values(key).reset_index(drop=True),
                                  by_person[key].astype({"event": bool, "mentored": bool}).sort_values(key)
                                  .reset_index(drop=True))


def test_zero_follow_up_has_no_rows(con):
    rows = queries.counting_rows(con, as_of="2023-01-01")
    assert "F" not in set(rows["employee_id"])  # hired on the as-of date: no time at risk
    assert "F" in set(queries.episodes(con, as_of="2023-01-01")["employee_id"])


def test_cohort_filters_are_bound_parameters(con):
    from analytics.store.cohorts import Cohort

    young = queries.episodes(con, "2022-12-31", cohort=Cohort(generation=("Gen Z", "Millennial")))
    assert sorted(young["employee_id"]) == ["A", "B"]
    hostile = Cohort(department=("x' OR 1=1 --",))
    assert queries.episodes(con, "2022-12-31", cohort=hostile).empty
    assert sorted(queries.episodes(con, "2022-12-31", cohort=Cohort(hire_year_from=2019))["employee_id"]) == ["A", "B", "C", "D"]
    with pytest.raises(ValueError, match="department must be a tuple of names"):
        Cohort(department="Sales")


@pytest.mark.parametrize("who", ["mentee", "mentor"])
def test_split_of_read_episodes_equals_the_split_in_the_store(con, who):
    direct = queries.counting_rows(con, "2022-12-31", split_on=who)
    split = queries.split_episodes(con, queries.episodes(con, "2022-12-31"), split_on=who)
    columns = ["employee_id", "start", "stop", "event", "mentored"]
    pd.testing.assert_frame_equal(direct[columns], split[columns])
    episodes = queries.episodes(con, "2022-12-31").set_index("employee_id")
    carried = episodes.loc[split["employee_id"], ["department", "hire_date"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(split[["department", "hire_date"]], carried)  # each row keeps its person's covariates


def test_every_column_is_carried_to_the_rows_with_its_type(con):
    """The rows take each column of the episodes, column by column, at their person's position: words, dates,
    numbers and pandas' own types (Int64 with its missing days) as they were."""
    episodes = queries.episodes(con, "2022-12-31")
    rows, people = queries.split_episodes_with_people(con, episodes, by_stop=True)
    carried = [c for c in episodes.columns if c not in ("event", "mentored")]
    assert list(rows.columns) == carried + ["start", "stop", "event", "mentored"]
    assert isinstance(rows.index, pd.RangeIndex) and len(rows) == len(people)
    expected = episodes.iloc[people][carried].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows[carried], expected)
    assert str(rows["mentored_from_day"].dtype) == "Int64" and rows["mentored_from_day"].isna().any()


def test_a_single_row_lookup_leaves_the_connection_free_for_later_work(con):
    # A lookup of one figure (people hired after the as-of date) must not leave a half-read result
    # that blocks registering the episodes frame for the split right after it.
    episodes = queries.episodes(con, "2022-12-31")
    assert queries.hired_after(con, "2022-12-31") >= 0
    assert len(queries.split_episodes(con, episodes)) > 0
    assert queries.missing_values(con)["rows"].gt(0).all()
    assert len(queries.split_episodes(con, episodes, split_on="mentor")) > 0


@pytest.mark.parametrize("cohort", [
    Cohort(), Cohort(department=("Sales",)), Cohort(generation=("Gen Z", "Millennial"), hire_year_from=2019),
    Cohort(location=("Nowhere",)), Cohort(hire_year_to=2016)])
def test_a_cohort_cut_from_everyone_equals_the_cohort_read_from_the_store(cohort):
    # The dashboard reads everyone once and cuts each filtered cohort out in memory; that must give
    # exactly the rows the store's SQL cohort filter gives, mentors' own timing included.
    from analytics.estimation import followup

    con = database.connect(":memory:")
    loads.load_demo(con, n_employees=400, seed=11)
    base = followup.follow_up(con, as_of="2023-06-30")
    direct = followup.follow_up(con, cohort, as_of="2023-06-30")
    cut = followup.follow_up(con, cohort, as_of="2023-06-30", base=base)
    assert cut.cohort == cohort and cut.as_of == direct.as_of and cut.event == direct.event
    for mine, theirs in ((cut.episodes, direct.episodes), (cut.rows, direct.rows)):
        # an empty result from the store carries plain dtypes where a cut keeps nullable ones
        pd.testing.assert_frame_equal(mine, theirs, check_dtype=len(theirs) > 0, check_index_type=len(theirs) > 0)
    # another as-of date or event definition is read from the store, not cut from the base
    assert followup.follow_up(con, cohort, as_of="2022-06-30", base=base).as_of.isoformat() == "2022-06-30"
    assert followup.follow_up(con, cohort, as_of="2023-06-30", event="all", base=base).event == "all"


def test_a_second_writer_waits_then_says_the_database_is_busy(tmp_path):
    """Another program holding the file: a load waits, then fails in words, with no path or process id."""
    from analytics.common.errors import DatabaseBusy

    db = tmp_path / "busy.duckdb"
    database.connect(db).close()
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); time.sleep(30)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseBusy) as busy:
            database.connect(db, wait_seconds=0.5)
        message = str(busy.value)
        assert "in use by another program" in message and str(db) not in message and "PID" not in message
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    database.connect(db).close()  # free again once the other program has gone


def test_pages_drawn_at_once_open_the_database_together(tmp_path):
    """The dashboard draws several visitors' pages (and a page's rerun) on threads of their own, each opening
    the file: opening it sets up the schema, and two doing so at once must not fail on DuckDB's catalog
    ("write-write conflict on alter", which a browser saw on the Data page after two quick uploads)."""
    import threading

    db = tmp_path / "threads.duckdb"
    database.connect(db).close()
    errors: list[Exception] = []

    def draw_pages():
        for _ in range(50):
            try:
                con = database.connect(db)
                queries.data_facts(con)
                con.close()
            except Exception as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=draw_pages) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_nothing_is_lost_the_last_loads_data_can_be_brought_back(tmp_path, capsys):
    """Each load keeps the data it replaced (the last five); undo brings it back, and can be undone."""
    db = str(tmp_path / "h.duckdb")
    assert main(["demo", "--db", db, "--employees", "300"]) == 0
    sizes = []
    for n in (40, 50, 60, 70, 80, 90):
        emp = employees_table(n)
        write(emp, tmp_path / "e.csv"), write(mentorships_table(emp), tmp_path / "m.csv")
        assert main(["load", "--db", db, "--employees", str(tmp_path / "e.csv"),
                     "--mentorships", str(tmp_path / "m.csv")]) == 0
        sizes.append(n)
    con = database.connect(db)
    assert loads.saved_loads(con) == [3, 4, 5, 6, 7]  # the last five loads' earlier data
    con.close()
    capsys.readouterr()
    assert main(["undo", "--db", db]) == 0
    assert "back to the data of state 6: 80 employees" in capsys.readouterr().out
    assert main(["undo", "--db", db]) == 0  # each undo goes further back, not back and forth
    con = database.connect(db)
    assert queries.data_facts(con)["n_employees"] == 70
    history = loads.history(con)
    assert list(history["source"][:2]) == ["undo", "undo"] and len(history) == 9
    con.close()
    assert main(["redo", "--db", db]) == 0  # and redo comes forward again
    assert "forward to the data of state 6: 80 employees" in capsys.readouterr().out
    assert main(["history", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "undo --to brings it back" in out and "<- shown now" in out


def test_undo_and_redo_go_through_every_kept_state_and_undo_to_reaches_any(tmp_path, capsys):
    """Five loads on the demo: undo walks back through all of them to the demo, redo forward to the newest, and
    `undo --to N` brings back any kept state; a new load ends what can be redone."""
    db = str(tmp_path / "walk.duckdb")
    assert main(["demo", "--db", db, "--employees", "300"]) == 0
    for n in (40, 50, 60, 70, 80):
        emp = employees_table(n)
        write(emp, tmp_path / "e.csv"), write(mentorships_table(emp), tmp_path / "m.csv")
        assert main(["load", "--db", db, "--employees", str(tmp_path / "e.csv"),
                     "--mentorships", str(tmp_path / "m.csv")]) == 0

    def employees() -> int:
        con = database.connect(db)
        try:
            return int(queries.data_facts(con)["n_employees"])
        finally:
            con.close()

    seen = []
    for _ in range(5):
        assert main(["undo", "--db", db]) == 0
        seen.append(employees())
    assert seen == [70, 60, 50, 40, 300]
    capsys.readouterr()
    assert main(["undo", "--db", db]) == 2 and "no earlier data" in capsys.readouterr().err
    for expected in (40, 50, 60, 70, 80):
        assert main(["redo", "--db", db]) == 0
        assert employees() == expected
    assert main(["redo", "--db", db]) == 2 and "nothing to redo" in capsys.readouterr().err
    assert main(["undo", "--to", "3", "--db", db]) == 0 and employees() == 50
    assert main(["undo", "--to", "1", "--db", db]) == 0 and employees() == 300
    assert main(["undo", "--to", "99", "--db", db]) == 2 and "there is no state 99" in capsys.readouterr().err
    emp = employees_table(33)
    write(emp, tmp_path / "e.csv"), write(mentorships_table(emp), tmp_path / "m.csv")
    assert main(["load", "--db", db, "--employees", str(tmp_path / "e.csv"), "--mentorships", str(tmp_path / "m.csv")]) == 0
    assert main(["redo", "--db", db]) == 2  # a new load: nothing to redo
    assert main(["undo", "--db", db]) == 0 and employees() == 300


def test_undo_with_nothing_kept_says_so(tmp_path, capsys):
    db = str(tmp_path / "h.duckdb")
    assert main(["demo", "--db", db, "--employees", "300"]) == 0
    assert main(["undo", "--db", db]) == 2
    assert "there is no earlier data to go back to" in capsys.readouterr().err


def test_the_default_database_is_the_repositorys_data_folder(monkeypatch):
    """Without RETENTION_DB the dashboard, `make run` and the CLI share data/retention.duckdb at the repository's
    root, wherever the store's module sits in the package."""
    monkeypatch.delenv("RETENTION_DB", raising=False)
    root = Path(__file__).resolve().parent.parent
    assert database.default_db_path() == root / "data" / "retention.duckdb"
