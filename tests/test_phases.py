"""Mentoring that ends: rows split on every mentorship's start and end, the effect while mentored and after it ended
estimated apart (analytics/estimation/phases.py), on Methods and in summary --json."""
import numpy as np
import pandas as pd
import pytest

from analytics.case.summary import summarise
from analytics.estimation.followup import follow_up, person_codes
from analytics.estimation.phases import mentoring_phases
from analytics.store import database, loads, queries, splits
from tests.builders import write

AS_OF = "2023-12-31"


def test_rows_split_on_every_start_and_end_say_while_or_after(tmp_path):
    """P0: mentored days 100-300, again from day 500 with no end (running), resigned on day 700; P1: a mentorship
    that ended before follow-up ends; P2: never mentored."""
    emp = pd.DataFrame({
        "employee_id": ["P0", "P1", "P2"], "hire_date": ["2020-01-01"] * 3,
        "termination_date": ["2021-12-01", "", ""], "termination_reason": ["resigned", "", ""],
        "department": ["Sales"] * 3, "job_level": ["L1"] * 3, "location": ["Leeds"] * 3, "gender": ["F"] * 3,
        "birth_year": ["1990"] * 3, "manager_id": [""] * 3, "salary": ["40000"] * 3, "performance_rating": ["3"] * 3})
    day = lambda d: (pd.Timestamp("2020-01-01") + pd.Timedelta(days=d)).strftime("%Y-%m-%d")  # noqa: E731
    men = pd.DataFrame({"mentee_id": ["P0", "P0", "P1"], "mentor_id": ["P2"] * 3, "program_type": ["traditional"] * 3,
                        "start_date": [day(100), day(500), day(50)], "end_date": [day(300), "", day(400)],
                        "meetings": ["1"] * 3})
    con = database.connect(tmp_path / "p.duckdb")
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"))
    fu = follow_up(con, as_of=AS_OF)
    split, positions = queries.split_at_mentoring_phases(con, fu.rows, fu.as_of)
    split["employee_id"] = fu.rows["employee_id"].to_numpy()[positions]
    p0 = split[split["employee_id"] == "P0"].sort_values("start")
    assert p0[["start", "stop"]].values.tolist() == [[0, 100], [100, 300], [300, 500], [500, 700]]
    assert p0["while_mentored"].tolist() == [False, True, False, True]
    assert p0["after_mentoring"].tolist() == [False, False, True, False]
    assert p0["event"].tolist() == [False, False, False, True]
    p1 = split[split["employee_id"] == "P1"].sort_values("start")
    assert p1[["start", "stop"]].values.tolist() == [[0, 50], [50, 400], [400, 1460]]
    assert p1["after_mentoring"].tolist() == [False, False, True]
    assert split.loc[split["employee_id"] == "P2", "while_mentored"].tolist() == [False]


def test_the_split_by_sorted_search_is_the_sql_split_row_for_row(demo_db):
    """The rows split here (splits._phase_split) are PHASE_SPLIT_TEMPLATE's: the same rows, values, types and order,
    on the demo company (overlapping mentorships, running ones, exits on the day one ends) and in a cohort."""
    from analytics.store.cohorts import Cohort

    con = database.connect(demo_db, read_only=True)
    try:
        for cohort in (None, Cohort(department=("Sales",))):
            fu = follow_up(con, as_of=AS_OF, cohort=cohort)
            spells = con.execute(queries.MENTORING_SPELLS_SQL, {"as_of": fu.as_of,
                                                                **(cohort or Cohort()).sql_params()}).df()
            mine, sql = splits._phase_split(fu.rows, spells), queries._phase_split_sql(con, fu.rows, spells)
            assert len(sql) > len(fu.rows)
            pd.testing.assert_frame_equal(mine, sql)
            # each row's person given as a number (the follow-up's own), not found by hashing ids: the same rows
            pd.testing.assert_frame_equal(splits._phase_split(fu.rows, spells, person_codes(fu)), sql)
    finally:
        con.close()


def test_the_summary_and_methods_give_both_phases(demo_db, monkeypatch):
    from tests.test_app import open_app, shown

    con = database.connect(demo_db, read_only=True)
    try:
        result = summarise(con)
    finally:
        con.close()
    phases = result["mentoring_phases"]
    assert set(phases) >= {"while_mentored", "after_mentoring", "people_after"}
    assert phases["after_mentoring"] is not None and phases["people_after"] > 100
    at = open_app(monkeypatch, demo_db, "views/methods.py")
    words = " ".join(shown(e.value) for e in at.markdown)
    assert "while a mentorship ran, mentored people were" in words and "after it had ended" in words


def _coverage(effect: float, companies: int, n: int) -> tuple[int, int, list]:
    from analytics.intake.demo import generate, uniform_effect_config
    from analytics.intake.prepare import plan_from_frames

    covered = {"while": 0, "after": 0}
    estimates = []
    for seed in range(companies):
        demo = generate(uniform_effect_config(effect, n_employees=n, seed=100 + seed))
        con = database.connect(":memory:")
        loads.load_plan(con, plan_from_frames(demo.employees, demo.mentorships))
        p = mentoring_phases(con, follow_up(con))
        estimates.append((p.while_mentored.estimate, p.after_mentoring.estimate))
        covered["while"] += p.while_mentored.lower <= effect <= p.while_mentored.upper
        covered["after"] += p.after_mentoring.lower <= effect <= p.after_mentoring.upper
        con.close()
    return covered["while"], covered["after"], estimates


def test_a_lasting_effect_is_found_while_and_after_in_one_company():
    """The fixed company's effect lasts after a mentorship ends (docs/demo.md): with a true 0.70, both phases' ranges
    hold it."""
    hit_while, hit_after, estimates = _coverage(0.70, companies=1, n=6000)
    assert (hit_while, hit_after) == (1, 1), estimates


@pytest.mark.parametrize("effect", [0.70, 1.0])
def test_both_phases_cover_the_truth_as_often_as_they_claim(effect):
    """20 simulated companies of 4,000 people, the effect (0.70, or none) from the first start for good, while and
    after: each phase's 95% range holds it in at least 17 (fewer happens with probability 1.6% if the ranges are
    right). Measured: 0.70 held 19 and 19 times (geometric means 0.68 and 0.71); 1.0 held 19 and 17 times."""
    hit_while, hit_after, estimates = _coverage(effect, companies=20, n=4000)
    assert hit_while >= 17 and hit_after >= 17, (hit_while, hit_after, np.round(estimates, 2).tolist())
