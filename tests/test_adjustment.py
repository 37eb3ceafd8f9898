"""The adjusted model on covariates as real HR data has them: rare groups without exits, and
characteristics missing for the same people. R's coxph still estimates the mentoring effect
in both cases (it warns, or gives an aliased coefficient NA); so must we."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.estimation.cox import fit_cox
from analytics.estimation.design import _categorical, design_matrix, independent_columns
from analytics.estimation.followup import FollowUp, follow_up
from analytics.estimation.models import adjusted_model
from analytics.store import database, loads


@pytest.fixture(scope="module")
def fu():
    con = database.connect(":memory:")
    loads.load_demo(con, n_employees=3000, seed=11)
    return follow_up(con)


def _edited(fu: FollowUp, who: pd.Series, **values) -> FollowUp:
    frames = []
    for frame in (fu.episodes, fu.rows):
        frame = frame.copy()
        for column, value in values.items():
            frame.loc[frame["employee_id"].isin(who), column] = value
        frames.append(frame)
    return FollowUp(*frames, fu.as_of, fu.event)


def test_a_rare_group_without_exits_joins_the_reference(fu):
    """Six people who never left, in a location of their own: alone they would push its coefficient
    to minus infinity and the fit would not converge."""
    stayers = fu.episodes.loc[~fu.episodes["event"].astype(bool), "employee_id"].iloc[:6]
    edited = _edited(fu, stayers, location="Reykjavik")
    assert not any("Reykjavik" in c for c in design_matrix(edited.rows.reset_index(drop=True)).X.columns)
    before, after = adjusted_model(fu).hazard_ratio, adjusted_model(edited).hazard_ratio
    assert after.estimate == pytest.approx(before.estimate, rel=0.01)  # six stayers barely move it


def test_a_large_group_without_exits_is_not_the_reference():
    """If the largest group had no exits, every other group's coefficient would go to plus infinity."""
    data = pd.DataFrame({"employee_id": [f"E{i}" for i in range(100)],
                         "site": ["big"] * 60 + ["a"] * 20 + ["b"] * 20,
                         "salary": 50_000.0,
                         "event": [0] * 60 + [1, 0] * 20})
    columns = list(_categorical(data, "site")[0].columns)
    assert columns == ["site=b"]  # reference "a" (largest with exits); "big" has none and joins it


@pytest.mark.parametrize("blank, duplicate", [
    (["salary", "performance_rating"], "log_salary not recorded"),
    (["department", "location"], None),
], ids=["salary-and-rating", "department-and-location"])
def test_characteristics_missing_for_the_same_people(fu, blank, duplicate):
    """A third of the company without these values: the 'not recorded' columns coincide. The model
    keeps one, reports the other, and is the fit without the duplicate column, exactly."""
    who = fu.episodes["employee_id"].sample(frac=0.3, random_state=1)
    edited = _edited(fu, who, **{c: None for c in blank})
    fit = adjusted_model(edited)
    assert fit.dropped and set(fit.dropped.values()) == {"carries the same information as other characteristics"}
    if duplicate:
        assert list(fit.dropped) == [duplicate]
    r = edited.rows.reset_index(drop=True)
    X = pd.concat([pd.DataFrame({"mentored": r["mentored"].astype(float)}),
                   design_matrix(r).X.drop(columns=list(fit.dropped))], axis=1)
    by_hand = fit_cox(r["start"], r["stop"], r["event"], X).hazard_ratio("mentored")
    assert fit.hazard_ratio.estimate == pytest.approx(by_hand.estimate, rel=1e-10)


def test_independent_columns_keeps_the_first_of_each_combination():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=50), rng.normal(size=50)
    X = pd.DataFrame({"mentored": (a > 0).astype(float), "a": a, "b": b, "a+b": a + b, "one": 1.0,
                      "mentored again": (a > 0).astype(float)})
    kept, dropped = independent_columns(X, protected=1)
    assert list(kept.columns) == ["mentored", "a", "b"]
    assert list(dropped) == ["a+b", "one", "mentored again"]
