"""Privacy that survives subtraction: a viewer who sets two filters that differ by one person, and subtracts what the
pages show, learns nothing about that person (docs/design.md, Privacy). Each attack an auditor ran is run here
through the same functions the pages draw from."""
from __future__ import annotations

import numpy as np
import pytest

from analytics.case import summary, where_next
from analytics.common.policy import FILTERED_ROUNDING, ROUNDED_SALARY
from analytics.intake.demo import DemoConfig, generate
from analytics.intake.prepare import plan_from_frames
from analytics.outputs import figures
from analytics.store import database, loads
from analytics.store.cohorts import Cohort

SECRET_PAY = 987_654.0


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A 3,000-person company with one L9 (pay 987,654) and a 'Legal' department of three people."""
    demo = generate(DemoConfig(n_employees=3000, seed=11))
    emp = demo.employees.copy()
    current = emp.index[emp["termination_date"].isna()]
    emp.loc[current[0], ["job_level", "salary"]] = ["L9", SECRET_PAY]
    emp.loc[current[1:4], "department"] = "Legal"
    path = tmp_path_factory.mktemp("diff") / "d.duckdb"
    c = database.connect(path)
    loads.load_plan(c, plan_from_frames(emp, demo.mentorships), source="demo",
                    metadata={"demo_truth": demo.truth, "as_of": str(demo.truth["config"]["as_of"])})
    c.close()
    return path


@pytest.fixture
def con(db):
    c = database.connect(db)  # as the pages open it (one process: one configuration)
    yield c
    c.close()


def _case(con, **filters):
    h = summary.headline(con, Cohort(**filters))
    return h, h.business.inputs


AS_OF = "2024-12-31"


def test_two_selections_one_person_apart_are_never_both_shown(con):
    """L4 + L5 against L4 + L5 + L9 (one person, pay 987,654): L9 is not offered, and a selection holding it is not
    shown, so the two average pays cannot be subtracted; so with Sales against Sales + Legal (three people), and a
    selection of every level offered against no filter (everyone, L9 included)."""
    assert "L9" not in summary.offered_values(con, Cohort(), AS_OF, "job_level")
    assert "Legal" not in summary.offered_values(con, Cohort(), AS_OF, "department")
    assert {"L4", "L5", "Sales"} <= {*summary.offered_values(con, Cohort(), AS_OF, "job_level"),
                                     *summary.offered_values(con, Cohort(), AS_OF, "department")}
    for cohort, why in ((Cohort(job_level=("L4", "L5")), None), (Cohort(job_level=("L4", "L5", "L9")), "job_level"),
                        (Cohort(department=("Sales",)), None), (Cohort(department=("Sales", "Legal")), "department"),
                        (Cohort(job_level=tuple(summary.offered_values(con, Cohort(), AS_OF, "job_level"))),
                         "job_level"),
                        (Cohort(), None)):  # everyone's own figures: always shown
        assert summary.one_step_from_few(con, cohort, AS_OF) == why, cohort.describe()


def test_a_withheld_selection_shows_nothing_on_any_page_and_gives_no_file(monkeypatch, db):
    from tests.test_app import open_app
    for page in ("views/overview.py", "views/business_case.py", "views/cohorts.py", "views/methods.py"):
        at = open_app(monkeypatch, db, page, state={"filter_job_level": ["L4", "L5", "L9"]})
        assert not at.exception and not at.error
        assert any("to protect a few people's privacy" in i.value for i in at.info), page
        assert not at.metric and not at.dataframe and not at.get("download_button"), page
    import streamlit as st  # the click's own check, for a download registered before the filter changed
    import ui
    state = {"filter_job_level": ["L4", "L5", "L9"]}
    monkeypatch.setenv("RETENTION_DB", str(db))
    st.cache_data.clear()
    with pytest.raises(Exception, match="protect a few people"):
        ui._export_now("html", state)


def test_averages_of_a_filtered_group_are_rounded_like_its_counts(con):
    _, x = _case(con, job_level=("L1", "L2"))
    assert x.average_salary % ROUNDED_SALARY == 0 and "nearest" in x.sources["average_salary"]
    _, everyone = _case(con)
    assert everyone.average_salary % ROUNDED_SALARY != 0  # everyone's, exact as its counts are


def test_the_curve_sent_to_the_browser_gives_no_ones_exit_or_people_at_risk(con):
    for filters in ({"department": ("Sales",)}, {"department": ("Sales", "Engineering")}):
        h = summary.headline(con, Cohort(**filters))
        fig = figures.survival_figure({"mentored": h.curves.mentored, "unmentored": h.curves.unmentored},
                                      max_months=60, rounded=h.follow_up.rounded)
        for trace in fig.data:
            x, y = np.asarray(trace.x, float), np.asarray(trace.y, float)
            assert np.allclose(x, np.round(x)), "steps only at whole months"
            assert np.allclose(y * 100, np.round(y * 100)), "whole percents only"


def test_shares_and_counts_in_the_json_do_not_give_each_other_back(con):
    for filters in ({"department": ("Sales",)}, {"department": ("Sales", "Engineering")}):
        result = summary.to_json(summary.headline(con, Cohort(**filters)))
        share = result["business_case"]["inputs"]["coverage_now"]["value"]
        assert round(share, 2) == share and result["counts_rounded"]
        assert all(v % FILTERED_ROUNDING == 0 for v in (result["n_employees"], result["n_mentored"]))


def test_where_next_counts_cannot_be_taken_from_the_total(con):
    h = summary.headline(con)
    segments = where_next.for_headline(h)
    assert segments and all(s.to_dict()["people_unmentored"] % FILTERED_ROUNDING == 0 for s in segments)


def test_the_ever_mentored_help_is_rounded_under_a_filter(monkeypatch, db):
    import re

    from tests.test_app import open_app
    at = open_app(monkeypatch, db, state={"filter_department": ["Sales", "Engineering"]})
    helps = [m.help for m in at.metric if m.label == "Ever mentored"]
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", helps[0])]
    assert "about" in helps[0] and numbers and all(n % FILTERED_ROUNDING == 0 for n in numbers), helps[0]


def test_the_exits_by_kind_on_methods_give_no_ones_exit_under_a_filter(monkeypatch, db):
    """Methods' cumulative incidence of each kind of exit (overall, and in mentored and not mentored time) for a
    filtered group reaches the browser as its retention curves do: by whole month, in whole percents."""
    import json

    from tests.test_app import assert_clean, open_app
    from tests.test_cohorts_outcomes import _values

    at = open_app(monkeypatch, db, "views/methods.py", state={"filter_department": ["Sales"]})
    assert_clean(at)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    exits = [c for c in charts if "Share who have left" in str(c["layout"]["yaxis"]["title"])]
    assert len(exits) == 2  # every exit by kind; the same in mentored and not mentored time
    for chart in exits:
        for trace in chart["data"]:
            x, y = _values(trace["x"]), _values(trace["y"])
            assert np.allclose(x, np.round(x)), "steps only at whole months"
            assert np.allclose(y * 100, np.round(y * 100)), "whole percents only"
