"""Characteristics as they were: with a job history loaded, each person's counting-process rows are split on every
day their level, department, location, salary or rating changed, each row carries them as they were on its first
day, and the adjusted model, each person's risk and the cohorts read those rows; without one, nothing changes."""
import json

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxTimeVaryingFitter

from analytics.case.summary import headline, to_json
from analytics.estimation.design import CATEGORICAL, NUMERIC, design_matrix
from analytics.estimation.followup import follow_up
from analytics.estimation.models import adjusted_model
from analytics.store import database, loads, queries
from analytics.store.cohorts import Cohort
from tests.builders import write

AS_OF = "2023-12-31"
# the job history's table as the store holds it: one row per dated change, an empty value unchanged
JOB_HISTORY_DDL = ("CREATE TABLE IF NOT EXISTS job_history (employee_id VARCHAR NOT NULL, effective_date DATE NOT NULL, "
                   "job_level VARCHAR, department VARCHAR, location VARCHAR, manager_id VARCHAR, salary DOUBLE, "
                   "performance_rating DOUBLE, change_reason VARCHAR)")


def with_history(con, rows: list[tuple]) -> None:
    """Give the store a job history: (employee_id, effective_date, job_level, department, location, salary,
    performance_rating) per change."""
    con.execute(JOB_HISTORY_DDL)
    con.execute("DELETE FROM job_history")
    con.executemany("INSERT INTO job_history (employee_id, effective_date, job_level, department, location, salary, "
                    "performance_rating) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def tiny(tmp_path):
    """Four people hired 2020-01-01; P0 mentored from day 200 and resigned on day 500, P1 still employed and
    never mentored, P2 and P3 employed and mentored from their hire day."""
    emp = pd.DataFrame({
        "employee_id": ["P0", "P1", "P2", "P3"], "hire_date": ["2020-01-01"] * 4,
        "termination_date": ["2021-05-15", "", "", ""], "termination_reason": ["resigned", "", "", ""],
        "department": ["Sales", "Sales", "Finance", "Finance"], "job_level": ["L3", "L1", "L2", "L2"],
        "location": ["Leeds"] * 4, "gender": ["F", "M", "F", "M"], "birth_year": ["1990"] * 4,
        "manager_id": [""] * 4, "salary": ["70000", "40000", "50000", "52000"],
        "performance_rating": ["5", "3", "4", "2"]})
    men = pd.DataFrame({"mentee_id": ["P0", "P2", "P3"], "mentor_id": ["P1", "P1", "P1"],
                        "program_type": ["traditional"] * 3,
                        "start_date": ["2020-07-19", "2020-01-01", "2020-01-01"], "end_date": [""] * 3,
                        "meetings": ["3"] * 3})
    con = database.connect(tmp_path / "tiny.duckdb")
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"))
    return con


def test_rows_split_on_every_change_carry_the_values_as_they_were(tmp_path):
    con = tiny(tmp_path)
    with_history(con, [
        ("P0", "2020-01-01", "L1", None, None, 40000.0, 3.0),     # at hire: as the file will not show it
        ("P0", "2020-04-10", None, None, None, None, 4.0),         # day 100: a rating, the rest unchanged
        ("P0", "2020-10-27", "L3", None, None, 70000.0, None),     # day 300: promoted (after mentoring began)
        ("P0", "2021-05-15", None, None, None, None, 5.0),         # the exit day: no time left to carry it
        ("P2", "2020-07-19", None, "Sales", None, None, None),     # day 200: moved; level etc. as the file says
        ("P2", "2024-03-01", "L4", None, None, None, None),         # after the as-of date: not read
    ])
    rows = queries.counting_rows(con, AS_OF).sort_values(["employee_id", "start"])
    p0 = rows[rows["employee_id"] == "P0"]
    assert p0[["start", "stop"]].values.tolist() == [[0, 100], [100, 200], [200, 300], [300, 500]]
    assert p0["mentored"].tolist() == [False, False, True, True]
    assert p0["event"].tolist() == [False, False, False, True]  # the exit on the last row only
    assert p0["performance_rating"].tolist() == [3.0, 4.0, 4.0, 4.0]
    assert p0["job_level"].tolist() == ["L1", "L1", "L1", "L3"]
    assert p0["salary"].tolist() == [40000.0, 40000.0, 40000.0, 70000.0]
    p2 = rows[rows["employee_id"] == "P2"]
    assert p2[["start", "stop"]].values.tolist() == [[0, 200], [200, 1460]]
    assert p2["department"].tolist() == ["Finance", "Sales"]  # the file's value until the first change
    assert p2["job_level"].tolist() == ["L2", "L2"]          # a change that leaves it empty keeps the file's
    p1 = rows[rows["employee_id"] == "P1"]  # no history: one row, the file's values
    assert p1[["start", "stop", "job_level", "performance_rating"]].values.tolist() == [[0, 1460, "L1", 3.0]]
    # the people's own rows are unchanged in number: four episodes, the same days in all
    assert rows.groupby("employee_id")["stop"].max().tolist() == [500, 1460, 1460, 1460]


def test_without_a_history_the_rows_and_the_summary_are_the_snapshots(tmp_path):
    con = tiny(tmp_path)
    before = queries.counting_rows(con, AS_OF)
    con.execute(JOB_HISTORY_DDL)  # an empty history is no history
    assert not queries.has_history(con)
    pd.testing.assert_frame_equal(queries.counting_rows(con, AS_OF), before)
    assert follow_up(con, as_of=AS_OF).covariates_from == "snapshot"


def demo_with_history(tmp_path, n=1500, seed=11):
    """The demo company (small) with a made-up job history: a yearly rating that moves up or down a point, and
    a promotion for some, so the rows' characteristics differ from the file's."""
    from analytics.intake.demo import DemoConfig, generate
    from analytics.intake.prepare import plan_from_frames

    demo = generate(DemoConfig(n_employees=n, seed=seed))
    con = database.connect(tmp_path / "demo.duckdb")
    loads.load_plan(con, plan_from_frames(demo.employees, demo.mentorships))
    rng = np.random.default_rng(seed)
    rows = []
    as_of = pd.Timestamp(demo.truth["as_of"]) if "as_of" in demo.truth else pd.Timestamp("2024-12-31")
    for e in demo.employees.itertuples():
        end = e.termination_date if pd.notna(e.termination_date) else as_of
        rating = float(np.clip(e.performance_rating + rng.integers(-1, 2), 1, 5))
        rows.append((e.employee_id, e.hire_date.date(), None, None, None, None, rating))
        for year in (1, 2, 3):
            day = e.hire_date + pd.Timedelta(days=365 * year)
            if day >= end:
                break
            rating = float(np.clip(rating + rng.integers(-1, 2), 1, 5))
            level = f"L{min(5, int(e.job_level[1]) + 1)}" if rng.random() < 0.15 else None
            moved = "Finance" if year == 2 and e.department != "Finance" and rng.random() < 0.1 else None
            rows.append((e.employee_id, day.date(), level, moved, None, None if level is None else e.salary * 1.1,
                         rating))
    with_history(con, rows)
    return con


@pytest.fixture(scope="module")
def history_db(tmp_path_factory):
    return demo_with_history(tmp_path_factory.mktemp("history"))


def test_the_time_varying_adjusted_model_equals_lifelines_on_the_same_intervals(history_db):
    """The adjusted model on rows split at every change equals lifelines' CoxTimeVaryingFitter (Efron ties, R's risk
    sets) on the same intervals and the product's own columns, to 1e-6."""
    fu = follow_up(history_db)
    assert fu.covariates_from == "history"
    assert len(fu.rows) > 2 * fu.n_employees  # the history split the rows
    fit = adjusted_model(fu)
    params = fit.result.params_
    design = design_matrix(fu.rows, CATEGORICAL + NUMERIC)
    frame = design.X[[c for c in params.index if c != "mentored"]].copy()
    frame["mentored"] = fu.rows["mentored"].astype(float).to_numpy()
    frame["start"], frame["stop"] = fu.rows["start"].to_numpy(float), fu.rows["stop"].to_numpy(float)
    frame["event"] = fu.rows["event"].astype(int).to_numpy()
    frame["id"] = pd.factorize(fu.rows["employee_id"])[0]
    reference = CoxTimeVaryingFitter().fit(frame, id_col="id", event_col="event", start_col="start",
                                           stop_col="stop", fit_options={"precision": 1e-12})
    ours = params.reindex(reference.params_.index)
    assert np.max(np.abs(ours.to_numpy() - reference.params_.to_numpy())) < 1e-6
    ours_se = np.sqrt(np.diag(fit.result.cov_.loc[reference.params_.index, reference.params_.index].to_numpy()))
    assert np.max(np.abs(ours_se - reference.standard_errors_.to_numpy())) < 1e-6


def test_a_cohort_cut_from_everyone_equals_reading_it(history_db):
    """With a history a department filter picks people as the employee file has them (the cohort filters' own rule)
    with all their rows, whatever department a row says they were in then: cut in memory or read, the same."""
    everyone = follow_up(history_db)
    cohort = Cohort(department=("Sales",))
    read = follow_up(history_db, cohort)
    cut = everyone.subset(cohort)
    key = ["employee_id", "start"]
    pd.testing.assert_frame_equal(read.rows.sort_values(key).reset_index(drop=True),
                                  cut.rows.sort_values(key).reset_index(drop=True), check_dtype=False)
    assert read.n_employees == cut.n_employees and read.covariates_from == cut.covariates_from == "history"
    assert set(read.episodes["department"]) == {"Sales"}
    assert set(read.rows["department"]) == {"Sales", "Finance"}  # rows say where people were then


def test_the_summary_says_which_values_the_adjusted_model_used(history_db, demo_db, demo_snapshot_db):
    result = json.loads(json.dumps(to_json(headline(history_db)), default=str))
    assert result["hazard_ratio"]["adjusted"]["covariates_from"] == "history"
    for path, used in ((demo_snapshot_db, "snapshot"), (demo_db, "history")):  # the demo loads its job history
        con = database.connect(path, read_only=True)
        try:
            assert to_json(headline(con))["hazard_ratio"]["adjusted"]["covariates_from"] == used
        finally:
            con.close()


def _deck_text(con) -> str:
    import io

    from pptx import Presentation

    from analytics.outputs.deck import contents, deck_pptx
    slides = Presentation(io.BytesIO(deck_pptx(contents(con)))).slides
    return "\n".join(shape.text_frame.text for slide in slides for shape in slide.shapes if shape.has_text_frame)


@pytest.mark.parametrize("kind", ["snapshot", "history"])
def test_every_output_says_whether_characteristics_are_as_exported_or_as_they_were(kind, history_db,
                                                                                  demo_snapshot_db, monkeypatch):
    """Without a job history the briefing, the deck's method appendix, the Overview and Methods say in plain words
    that level, salary and rating are as exported and what that can do; with one, that they are as they were."""
    from analytics.outputs.messages import briefing
    from analytics.case.summary import summarise
    from tests.test_app import open_app, shown

    said = {"snapshot": "each person's one value, as the employee file shows them now",
            "history": "are taken as they were on each day, from the job history"}
    other = said["history" if kind == "snapshot" else "snapshot"]
    path = demo_snapshot_db if kind == "snapshot" else history_db
    con = history_db if kind == "history" else database.connect(demo_snapshot_db, read_only=True)
    db_file = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    text = briefing(summarise(con))
    deck = _deck_text(con)
    if kind == "snapshot":
        con.close()
    assert said[kind] in text and other not in text
    assert said[kind] in deck and other not in deck
    for page in ("views/overview.py", "views/methods.py"):
        at = open_app(monkeypatch, db_file if kind == "history" else path, page)
        words = " ".join(shown(e.value) for e in [*at.markdown, *at.caption])
        assert said[kind] in words and other not in words, page


def test_no_word_about_it_when_the_comparison_uses_none_of_them():
    from analytics.words.wording import covariates_note
    assert covariates_note("snapshot", ("department", "gender")) is not None  # a department can change too
    assert covariates_note("snapshot", ("gender", "generation", "hire_year")) is None
    assert covariates_note("history", ()) is None


def test_methods_checks_the_honest_model_on_characteristics_fixed_at_hire(history_db, demo_snapshot_db,
                                                                          monkeypatch):
    """With a history, Methods offers the honest model on each person's values at hire (their first row's) as a
    check: the same fit as one on rows whose characteristics are replaced by the first row's by hand."""
    from analytics.case.summary import diagnostics
    from analytics.estimation.followup import FollowUp
    from analytics.estimation.models import at_hire_model

    fu = follow_up(history_db)
    check = at_hire_model(fu)
    rows = fu.rows.sort_values(["employee_id", "start"])
    first = rows.groupby("employee_id")[list(queries.HISTORY_COLUMNS)].first()
    by_hand = fu.rows.copy()
    for column in queries.HISTORY_COLUMNS:
        by_hand[column] = first[column].reindex(fu.rows["employee_id"]).to_numpy()
    refit = adjusted_model(FollowUp(fu.episodes, by_hand, fu.as_of, fu.event, covariates_from="hire"))
    assert abs(check.hazard_ratio.estimate - refit.hazard_ratio.estimate) < 1e-9
    assert abs(check.hazard_ratio.estimate - adjusted_model(fu).hazard_ratio.estimate) > 1e-6  # not the same model
    assert diagnostics(history_db).at_hire is not None
    con = database.connect(demo_snapshot_db, read_only=True)
    try:
        assert diagnostics(con).at_hire is None  # no history: no such check
    finally:
        con.close()


@pytest.mark.parametrize("unknown_ids", [False, True])
def test_after_a_load_the_pages_warn_about_the_job_historys_rows_set_aside(tmp_path, unknown_ids):
    """The job history's rows set aside (or naming no one in the employees file) are warned about after the load,
    from the data in place, as the other files' are (the Overview and summary --json's warnings)."""
    from tests.builders import employees_table, mentorships_table

    emp = employees_table(40)
    rows = [(e, h, "Promotion") for e, h in zip(emp["employee_id"], emp["hire_date"])]
    bad = [("NOBODY%d" % i if unknown_ids else e, "1900-01-01" if not unknown_ids else h, "Promotion")
           for i, (e, h) in enumerate(zip(list(emp["employee_id"]) * 2, list(emp["hire_date"]) * 2))][:50]
    history = pd.DataFrame(rows + bad, columns=["employee_id", "effective_date", "change_reason"])
    con = database.connect(tmp_path / "w.duckdb")
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(mentorships_table(emp), tmp_path / "m.csv"),
                     write(history, tmp_path / "h.csv"))
    said = " ".join(queries.data_warnings(con, queries.snapshot(con).as_of, "voluntary"))
    assert ("name someone who is not in the employees file" in said) == unknown_ids
    assert ("job history" in said) and ("50 of 90" in said)
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(mentorships_table(emp), tmp_path / "m.csv"))
    assert "job history" not in " ".join(queries.data_warnings(con, queries.snapshot(con).as_of, "voluntary"))


@pytest.mark.parametrize("cohort", [None, Cohort(department=("Sales",))])
def test_the_split_by_sorted_search_is_the_sql_split_row_for_row(history_db, cohort, monkeypatch):
    """The follow-up split at every change by sorted search (queries._history_split_by_search) is
    HISTORY_SPLIT_TEMPLATE's: the same rows, values, types and order, each row's person too."""
    episodes = queries.episodes(history_db, None, None, cohort)
    searched = queries.split_episodes_with_people(history_db, episodes, by_stop=True)
    monkeypatch.setattr(queries, "_history_split_by_search", lambda *args: None)  # the SQL's own split
    joined = queries.split_episodes_with_people(history_db, episodes, by_stop=True)
    assert len(searched[0]) > len(episodes)
    pd.testing.assert_frame_equal(searched[0], joined[0])
    np.testing.assert_array_equal(searched[1], joined[1])


@pytest.mark.parametrize("same_day", [False, True])
def test_empty_fields_and_two_changes_on_one_day_are_split_as_the_sql_splits_them(tmp_path, monkeypatch, same_day):
    """Empty fields throughout, changes at hire, on the exit day and before mentoring began; and a store whose
    history holds two changes of one person on one day (the intake merges them; a store written otherwise may
    not), which the SQL splits: the same rows as the SQL's."""
    con = tiny(tmp_path)
    history = [("P0", "2020-01-01", "L1", None, None, None, 3.0), ("P0", "2020-04-10", None, "Finance", None, None, None),
               ("P0", "2021-05-15", None, None, "York", None, 5.0), ("P2", "2020-06-01", None, None, None, None, None),
               ("P3", "2020-01-01", None, None, None, 60000.0, None)]
    with_history(con, history + ([("P0", "2020-04-10", "L2", None, None, 45000.0, None)] if same_day else []))
    episodes = queries.episodes(con, AS_OF)
    searched = queries.split_episodes_with_people(con, episodes, by_stop=True)
    monkeypatch.setattr(queries, "_history_split_by_search", lambda *args: None)
    joined = queries.split_episodes_with_people(con, episodes, by_stop=True)
    assert len(joined[0]) > len(episodes)
    pd.testing.assert_frame_equal(searched[0], joined[0])
    np.testing.assert_array_equal(searched[1], joined[1])
