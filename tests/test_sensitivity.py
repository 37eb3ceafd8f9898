"""The E-value (VanderWeele & Ding 2017): how strong an unmeasured factor would have to be to explain
the honest effect away. Published figures pinned with their source."""
from __future__ import annotations

import math

import pytest

from analytics.case.summary import summarise
from analytics.estimation.evalue import e_value, e_value_of, risk_ratio_of
from analytics.estimation.results import HazardRatio
from analytics.store import database, loads


def test_e_value_of_the_papers_example():
    """VanderWeele & Ding (2017), Ann Intern Med 167:268, worked example: RR 3.9 (95% CI 1.8-8.7)
    gives E-values 7.2 for the estimate and 3.0 for the lower limit."""
    assert e_value_of(3.9) == pytest.approx(7.26, abs=0.01)
    assert e_value_of(1.8) == pytest.approx(3.0, abs=1e-9)  # 1.8 + sqrt(1.8 x 0.8) = 1.8 + 1.2


@pytest.mark.parametrize("rr, expected", [(0.9, 1.462475), (1.3, 1.9245)])
def test_e_value_matches_tipr(rr, expected):
    """> tipr::e_value(0.9)   # 1.462475;   > tipr::e_value(1.3)   # 1.9245"""
    assert e_value_of(rr) == pytest.approx(expected, abs=1e-6)


def test_a_common_outcomes_hazard_ratio_is_converted_first():
    """VanderWeele (2017): RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)) when the outcome is common.
    By hand for HR 0.56 (95% CI 0.46-0.69), the example of R's EValue::evalues.HR(rare = FALSE):
    0.5^sqrt(0.56) = 0.595292 and 0.5^sqrt(1/0.56) = 0.396033, so RR = 0.404708 / 0.603967 = 0.670084;
    1 / RR = 1.492350, E = 1.492350 + sqrt(1.492350 x 0.492350) = 2.349531. The limit nearer 1 is 0.69:
    RR = 0.773527, E = 1.908004."""
    assert risk_ratio_of(0.56, common_outcome=True) == pytest.approx(0.670084, abs=1e-6)
    assert risk_ratio_of(0.56, common_outcome=False) == 0.56
    ev = e_value(HazardRatio(0.56, 0.46, 0.69, 0.0), common_outcome=True)
    assert ev.estimate == pytest.approx(2.349531, abs=1e-5) and ev.ci == pytest.approx(1.908004, abs=1e-5)
    harmful = e_value(HazardRatio(1.0 / 0.56, 1.0 / 0.69, 1.0 / 0.46, 0.0), common_outcome=True)
    assert harmful.estimate == pytest.approx(ev.estimate) and harmful.ci == pytest.approx(ev.ci)  # symmetric


def test_an_interval_spanning_no_effect_needs_nothing_to_be_explained_away():
    ev = e_value(HazardRatio(0.85, 0.62, 1.16, 0.3), common_outcome=False)
    assert ev.ci == 1.0 and ev.estimate == pytest.approx(1 / 0.85 + math.sqrt(1 / 0.85 * (1 / 0.85 - 1)))


def test_the_summary_reports_the_honest_effects_e_value():
    con = database.connect(":memory:")
    loads.load_demo(con)
    adjusted = summarise(con)["hazard_ratio"]["adjusted"]
    hr = HazardRatio(adjusted["estimate"], adjusted["lower"], adjusted["upper"], adjusted["p"])
    expected = e_value(hr, common_outcome=True)  # a third of the demo company leaves voluntarily
    assert adjusted["e_value"] == {"estimate": pytest.approx(expected.estimate), "ci": pytest.approx(expected.ci)}
    assert 1 < adjusted["e_value"]["ci"] < adjusted["e_value"]["estimate"]


# ------------------------------------------------------------ each person's own risk, by hand

def test_each_persons_risk_against_a_hand_computation():
    """Six people, one characteristic (mentored), no other exits. With the fitted log hazard ratio b,
    the Breslow baseline jumps at the exits on days 10, 15 and 20:
        dH(10) = 1 / (3 + 2 e^b)   at risk: P1, P2, P5 unmentored; P3, P6 mentored
        dH(15) = 1 / (2 + 2 e^b)   P2, P5; P3, P6 (P6, mentored, leaves)
        dH(20) = 1 / (2 + e^b)     P2, P5; P3
    P4 (employed, 8 days, not mentored), over the next 12 days (8, 20]: 1 - exp(-(dH10 + dH15 + dH20)).
    P5 (25 days) and P3 (30 days, mentored) are past the last exit (20): the daily hazard is then H(20) / 30, the
    average over the last year followed, a year that ends where follow-up ends (30, P3's), here its 30 days. So
    over 12 days 1 - exp(-12 H(20) / 30), and for P3 as mentored 1 - exp(-e^b 12 H(20) / 30)."""
    import numpy as np
    import pandas as pd

    from analytics.estimation.cox import fit_cox
    from analytics.estimation.followup import FollowUp
    from analytics.estimation.models import ModelFit
    from analytics.estimation.risks import exit_risks
    from analytics.store.cohorts import Cohort

    rows = pd.DataFrame({
        "employee_id": ["P1", "P2", "P3", "P3", "P4", "P5", "P6", "P6"],
        "start": [0, 0, 0, 5, 0, 0, 0, 3], "stop": [10, 20, 5, 30, 8, 25, 3, 15],
        "event": [True, True, False, False, False, False, False, True],
        "mentored": [False, False, False, True, False, False, False, True],
        "duration_days": [10, 20, 30, 30, 8, 25, 15, 15],
        "exited": [True, True, False, False, False, False, True, True], "salary": 50_000.0})
    episodes = rows.drop_duplicates("employee_id", keep="last").reset_index(drop=True)
    fu = FollowUp(episodes, rows, pd.Timestamp("2024-01-01").date(), "voluntary", Cohort())
    result = fit_cox(rows["start"], rows["stop"], rows["event"], pd.DataFrame({"mentored": rows["mentored"] * 1.0}))
    fit = ModelFit("adjusted", result.hazard_ratio("mentored"), result)
    people = exit_risks(fu, fit, 12).people.set_index("employee_id")
    e = float(np.exp(result.params_["mentored"]))
    h10, h15, h20 = 1 / (3 + 2 * e), 1 / (2 + 2 * e), 1 / (2 + e)
    H = h10 + h15 + h20
    assert sorted(people.index) == ["P3", "P4", "P5"]
    assert people.loc["P4", "p_unmentored"] == pytest.approx(1 - math.exp(-H), rel=1e-12)
    assert people.loc["P5", "p_unmentored"] == pytest.approx(1 - math.exp(-12 * H / 30), rel=1e-12)
    assert people.loc["P3", "p_unmentored"] == pytest.approx(1 - math.exp(-12 * H / 30), rel=1e-12)
    assert people.loc["P3", "p_mentored"] == pytest.approx(1 - math.exp(-e * 12 * H / 30), rel=1e-12)
