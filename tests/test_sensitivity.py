"""The E-value (VanderWeele & Ding 2017): how strong an unmeasured factor would have to be to explain
the honest effect away. Published figures pinned with their source."""
from __future__ import annotations

import math

import pytest

from analytics import store
from analytics.models import e_value, e_value_of, risk_ratio_of
from analytics.results import HazardRatio
from analytics.summary import summarise


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
    con = store.connect(":memory:")
    store.load_demo(con)
    adjusted = summarise(con)["hazard_ratio"]["adjusted"]
    hr = HazardRatio(adjusted["estimate"], adjusted["lower"], adjusted["upper"], adjusted["p"])
    expected = e_value(hr, common_outcome=True)  # a third of the demo company leaves voluntarily
    assert adjusted["e_value"] == {"estimate": pytest.approx(expected.estimate), "ci": pytest.approx(expected.ci)}
    assert 1 < adjusted["e_value"]["ci"] < adjusted["e_value"]["estimate"]
