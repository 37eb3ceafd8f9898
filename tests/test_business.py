"""The business-case model (docs/design.md, Business case): formulas against hand-computed cases,
monotonicity, edge cases and bad inputs.

Every expected number is worked out in the comment beside it from the docs/design.md formulas:
p1 = 1 - (1 - p0)^HR, p0_H = 1 - (1 - p0)^H, avoided = mentees x (p0 - p1),
savings = avoided x salary x replacement %, cost = mentees x full cost per mentee-year x years of mentoring,
ROI = (savings - cost) / cost, payback months = cost / (savings / (12 H)). The worked example sets mentor and
mentee hours and the discount rate to 0 so that the full cost is the fee; their own tests add them back.
"""
from __future__ import annotations

import json
import math
import pickle
import re
from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from analytics.case.business import (BusinessCaseInputs, Input, avoided_exits, business_case, coverage_scenarios,
                                     mentored_exit_probability, payback_months, return_on_investment, sensitivity)
from analytics.common.errors import BusinessCaseError, InvalidInputError, MissingInputError, RetentionError
from analytics.outputs.messages import business_case_table
from analytics.words.wording import GALLUP, YOUR_INPUT, from_data

# The worked example: 1,000 people, 37% mentored today, 76% want a mentor; each of them has a 20%
# chance of leaving within 12 months if not mentored (everyone the same, so the figures can be
# worked out by hand); adjusted HR 0.70 (95% CI 0.55-0.90); salary 60,000; replacement at 50% of
# salary; 1,000 per mentee per year; every mentee of today's still mentored for the whole year.
BASE = dict(hazard_ratio=0.70, hazard_ratio_lower=0.55, hazard_ratio_upper=0.90, coverage_target=0.76,
            average_salary=60_000, programme_cost_per_mentee=1_000, mentor_hours_per_month=0.0,
            mentee_hours_per_month=0.0, discount_rate=0.0)


def inputs(p0=0.20, coverage_now=0.37, people=1000, **changes) -> BusinessCaseInputs:
    """The worked example: `people` with the same chance `p0` of leaving within the horizon,
    `coverage_now` of them mentored, each still mentored for the whole horizon."""
    now = round(people * coverage_now)
    years = changes.get("horizon_years", 1)
    base = {**BASE, "people_in_scope": people, "exit_risks_now": (p0,) * now,
            "exit_risks_others": (p0,) * (people - now), "mentee_years_now": float(now) * years}
    return BusinessCaseInputs(**{**base, **changes})


# ------------------------------------------------------------------ formulas, by hand

def test_mentored_exit_probability_by_hand():
    # p1 = 1 - (1 - 0.20)^0.70 = 1 - 0.8^0.7 = 1 - 0.855388 = 0.144612
    assert mentored_exit_probability(0.20, 0.70) == pytest.approx(0.144612, abs=1e-6)
    # HR 1 changes nothing; HR 0 would mean nobody leaves
    assert mentored_exit_probability(0.20, 1.0) == pytest.approx(0.20)
    assert mentored_exit_probability(0.0, 0.70) == 0.0


def test_avoided_exits_sum_each_persons_own_difference():
    # two people: p0 0.10 and 0.40 at HR 0.5: p1 = 1 - 0.9^0.5 = 0.051317 and 1 - 0.6^0.5 = 0.225403;
    # avoided = (0.10 - 0.051317) + (0.40 - 0.225403) = 0.048683 + 0.174597 = 0.223280
    assert avoided_exits((0.10, 0.40), 0.5) == pytest.approx(0.223280, abs=1e-6)
    # one average person (p0 0.25) would give 2 x (0.25 - (1 - 0.75^0.5)) = 2 x 0.116025 = 0.232051: not the same
    assert avoided_exits((0.25, 0.25), 0.5) == pytest.approx(0.232051, abs=1e-6)
    assert avoided_exits((), 0.5) == 0.0


def test_roi_and_payback_helpers_by_hand():
    # ROI = (150 - 100) / 100 = 0.5; payback = 100 / (150 / 12) = 8 months
    assert return_on_investment(150, 100) == pytest.approx(0.5)
    assert payback_months(150, 100, 1) == pytest.approx(8.0)
    # over 2 years: 100 / (150 / 24) = 16 months
    assert payback_months(150, 100, 2) == pytest.approx(16.0)
    assert return_on_investment(150, 0) is None
    assert payback_months(99, 100, 1) is None  # the horizon's savings do not cover the cost: not within it
    assert payback_months(100, 100, 3) == pytest.approx(36.0)  # covered on the horizon's last day
    assert payback_months(0, 100, 1) is None
    assert payback_months(-5, 100, 1) is None


def test_mentoring_already_done_is_a_credit_by_hand():
    case = business_case(inputs())
    o = case.already_done
    assert case.exit_probability_unmentored == pytest.approx(0.20)
    assert case.exit_probability_mentored.estimate == pytest.approx(0.144612, abs=1e-6)  # 1 - 0.8^0.7
    # people ever mentored = 1000 x 0.37 = 370
    assert o.people == pytest.approx(370)
    # avoided = 370 x (0.20 - 0.144612) = 370 x 0.055388 = 20.4934
    assert o.avoided_exits.estimate == pytest.approx(20.4934, abs=1e-4)
    # value = 20.49344 x 60,000 x 0.50 = 614,803.2; no cost set against it, so no ROI
    assert o.value.estimate == pytest.approx(614_803.2, abs=0.1)
    assert not hasattr(o, "roi") and set(o.to_dict()) == {"people", "avoided_exits", "value", "committed_cost"}
    # what today's running mentorships still cost: 370 mentee-years x 1,000 = 370,000 (counted in neither answer)
    assert o.committed_cost == pytest.approx(370_000)


def test_range_comes_from_the_hazard_ratio_ci():
    o = business_case(inputs()).already_done
    # low end from HR upper 0.90: p1 = 1 - 0.8^0.9 = 0.181948; avoided = 370 x 0.018052 = 6.6793
    # high end from HR lower 0.55: p1 = 1 - 0.8^0.55 = 0.115497; avoided = 370 x 0.084503 = 31.2662
    assert (o.avoided_exits.low, o.avoided_exits.high) == pytest.approx((6.6793, 31.2662), abs=1e-4)
    # value = avoided x 30,000: 200,378.8 and 937,987.4
    assert (o.value.low, o.value.high) == pytest.approx((200_378.8, 937_987.4), abs=0.1)


def test_each_100_new_mentees_by_hand():
    o = business_case(inputs()).per_new
    assert o.mentees == 100
    # avoided = 100 x 0.0553877 = 5.53877; value = 5.53877 x 30,000 = 166,163.0
    assert o.avoided_exits.estimate == pytest.approx(5.53877, abs=1e-5)
    assert o.savings.estimate == pytest.approx(166_163.0, abs=0.1)
    # cost = 100 x 1,000 x 1 year (no range: it does not depend on the HR); net = 66,163.0; ROI 0.66163
    assert o.programme_cost.to_dict() == {"estimate": 100_000, "low": 100_000, "high": 100_000}
    assert o.net_benefit.estimate == pytest.approx(66_163.0, abs=0.1)
    assert o.roi.estimate == pytest.approx(0.66163, abs=1e-5)
    # payback = 100,000 / (166,163.0 / 12) = 7.2218 months
    assert o.payback_months.estimate == pytest.approx(7.2218, abs=1e-4)
    # the low end at HR 0.90: ROI = (0.0180521 x 30,000 - 1,000) / 1,000 = -0.45844
    assert o.roi.low == pytest.approx(-0.45844, abs=1e-5)


def test_target_scenario_counts_only_the_new_mentees_at_their_full_cost():
    o = business_case(inputs(mentored_now=100)).target
    # 100 mentored now of 1,000 (370 ever): new mentees = 1000 x 0.76 - 100 = 660
    assert o.mentees == pytest.approx(660)
    # avoided = 660 x 0.0553877 = 36.5559; value = 1,096,676.1; net = 1,096,676.1 - 660 x 1,000 = 436,676.1
    assert o.avoided_exits.estimate == pytest.approx(36.5559, abs=1e-4)
    assert o.net_benefit.estimate == pytest.approx(436_676.1, abs=0.2)
    assert o.roi.estimate == pytest.approx(0.66163, abs=1e-5)  # per mentee, so the same ROI as 100 new ones


def test_three_year_horizon_by_hand():
    # each person's chance of leaving within three years comes from the model; here 0.488 (= 1 - 0.8^3)
    case = business_case(inputs(p0=0.488, horizon_years=3))
    o = case.per_new
    # p1_3 = 1 - 0.512^0.7 = 1 - 0.625877 = 0.374123 (= 1 - 0.8^2.1)
    assert case.exit_probability_unmentored == pytest.approx(0.488)
    assert case.exit_probability_mentored.estimate == pytest.approx(0.374123, abs=1e-6)
    # avoided = 100 x (0.488 - 0.374123) = 11.3877; value = 341,630.9; cost = 100 x 1 year x 1,000 (a new
    # mentee's mentoring lasts a year, however long the horizon); net = 241,630.9
    assert o.avoided_exits.estimate == pytest.approx(11.3877, abs=1e-4)
    assert o.savings.estimate == pytest.approx(341_630.9, abs=0.1)
    assert o.programme_cost.estimate == pytest.approx(100_000)
    assert o.net_benefit.estimate == pytest.approx(241_630.9, abs=0.1)
    # payback = 100,000 / (341,630.9 / 36) = 10.538 months
    assert o.payback_months.estimate == pytest.approx(10.538, abs=1e-3)
    # the first year alone (the baseline hazard spread evenly, no year shares given): p0_1 = 1 - 0.512^(1/3) = 0.2,
    # p1_1 = 1 - 0.8^0.7: 5.53877 avoided, against the whole cost
    assert case.first_year.avoided_exits.estimate == pytest.approx(5.53877, abs=1e-5)
    assert case.first_year.net_benefit.estimate == pytest.approx(66_163.0, abs=0.1)
    assert "Exits avoided over 3 years" in set(business_case_table(case)["measure"])


def test_discounting_by_hand():
    # 10% a year over one year: the value and the cost (paid while mentoring runs) each from the middle of the
    # year, 1.1^-0.5 = 0.953463: value 166,163.0 x 0.953463 = 158,430.2; cost 100,000 x 0.953463 = 95,346.3
    o = business_case(inputs(discount_rate=0.10)).per_new
    assert o.savings.estimate == pytest.approx(158_430.2, abs=0.1)
    assert o.programme_cost.estimate == pytest.approx(95_346.3, abs=0.1)
    # the first-year view does not discount its cost (the conservative side)
    assert business_case(inputs(discount_rate=0.10)).first_year.programme_cost.estimate == pytest.approx(100_000)


def test_fully_loaded_cost_adds_mentor_and_mentee_hours():
    # no hourly cost given: 60,000 / 2,080 hours x 1.4 = 40.3846 an hour; 2 + 2 hours a month = 48 hours a year,
    # 1,938.46; a mentee-year costs 1,000 + 1,938.46 = 2,938.46, and 100 new mentees 293,846.2
    x = inputs(mentor_hours_per_month=2.0, mentee_hours_per_month=2.0)
    assert x.hourly_cost == pytest.approx(40.3846, abs=1e-4)
    assert x.sources["hourly_cost"].startswith("assumption: salary / 2,080 h x 1.4")
    assert x.full_cost_per_year == pytest.approx(2_938.46, abs=0.01)
    assert business_case(x).per_new.programme_cost.estimate == pytest.approx(293_846.2, abs=0.1)
    # an hourly cost given is used as it is: 48 x 50 = 2,400 more
    assert inputs(mentor_hours_per_month=2.0, mentee_hours_per_month=2.0, hourly_cost=50.0).full_cost_per_year == \
        pytest.approx(3_400)


def test_first_year_counts_the_whole_cost_and_doing_nothing_is_beside_it():
    case = business_case(inputs(p0=0.488, horizon_years=3, programme_years=2.0))
    # a two-year programme: 100 x 2 x 1,000 = 200,000 in both views; the first year's exits alone set against it
    assert case.first_year.programme_cost.estimate == pytest.approx(200_000)
    assert case.per_new.programme_cost.estimate == pytest.approx(200_000)
    assert case.first_year.avoided_exits.estimate < case.per_new.avoided_exits.estimate
    # doing nothing: 100 people at 0.488 means 48.8 exits, 48.8 x 30,000 = 1,464,000 to replace them; no cost
    nothing = business_case(inputs(p0=0.488, horizon_years=3)).do_nothing
    assert nothing["exits"] == pytest.approx(48.8) and nothing["replacement_cost"] == pytest.approx(1_464_000)
    assert nothing["cost"] == nothing["net"] == 0


def test_a_horizon_shorter_than_the_programme_counts_the_horizon_only():
    # a two-year programme, one-year horizon: 100 x 1 x 1,000 within the horizon
    assert business_case(inputs(programme_years=2.0)).per_new.programme_cost.estimate == pytest.approx(100_000)
    # the credit over three years is larger than over one, the cost of a new mentee is not
    one, three = business_case(inputs()), business_case(inputs(p0=0.488, horizon_years=3))
    assert three.already_done.value.estimate > one.already_done.value.estimate
    assert three.per_new.programme_cost.estimate == one.per_new.programme_cost.estimate


def test_naive_hazard_ratio_overstates_the_savings():
    case = business_case(inputs(naive_hazard_ratio=0.35, naive_hazard_ratio_lower=0.30,
                                naive_hazard_ratio_upper=0.41))
    # naive p1 = 1 - 0.8^0.35 = 0.075128; avoided = 370 x 0.124872 = 46.2025; value = 1,386,076.0
    assert case.naive_already_done.avoided_exits.estimate == pytest.approx(46.2025, abs=1e-4)
    assert case.naive_already_done.value.estimate == pytest.approx(1_386_076.0, abs=0.1)
    assert case.naive_already_done.value.estimate > case.already_done.value.estimate
    assert case.naive_per_new.savings.estimate > case.per_new.savings.estimate
    assert case.naive_target.savings.estimate > case.target.savings.estimate
    assert case.to_dict()["naive"]["label"] == "naive (overstated)"  # 0.35 against the honest HR below it
    naive_rows = business_case_table(case).query("section.str.contains('overstated')", engine="python")
    assert len(naive_rows) == 8  # the credit's two measures and 100 new mentees' six


@pytest.mark.parametrize("naive, label", [(0.95, "naive (understated)"), (0.71, "naive (roughly agrees)")])
def test_the_naive_case_is_named_by_how_it_compares_with_the_honest_one(naive, label):
    """The honest HR of inputs() is 0.70: a naive 0.95 is nearer no effect (understated); 0.71 within 5% of it."""
    case = business_case(inputs(naive_hazard_ratio=naive))
    assert case.inputs.hazard_ratio == pytest.approx(0.70)
    assert case.to_dict()["naive"]["label"] == label
    assert not business_case_table(case)["section"].str.contains("overstated").any()


def test_no_naive_hazard_ratio_leaves_the_naive_case_out():
    case = business_case(inputs())
    assert case.naive_per_new is None and case.to_dict()["naive"] is None
    assert not business_case_table(case)["section"].str.contains("overstated").any()


def test_naive_without_ci_is_a_point():
    case = business_case(inputs(naive_hazard_ratio=0.35))
    est = case.naive_per_new.savings
    assert est.low == est.estimate == est.high


# ------------------------------------------------------------------ monotonicity over a grid

HR_GRID = np.round(np.linspace(0.2, 1.8, 17), 2)


@pytest.mark.parametrize("p0", [0.05, 0.20, 0.50])
@pytest.mark.parametrize("years", [1, 2, 3])
def test_lower_hazard_ratio_never_lowers_savings(p0, years):  # p0: each person's chance within the horizon
    savings = [business_case(inputs(p0=p0, horizon_years=years, hazard_ratio=hr, hazard_ratio_lower=hr,
                                    hazard_ratio_upper=hr)).per_new.savings.estimate for hr in HR_GRID]
    assert all(a >= b for a, b in zip(savings, savings[1:]))  # HR ascending, savings never rise


COST_GRID = np.linspace(100, 5_000, 25)


def _fixed_hr(hr: float, **changes) -> BusinessCaseInputs:
    return inputs(hazard_ratio=hr, hazard_ratio_lower=hr, hazard_ratio_upper=hr, **changes)


@pytest.mark.parametrize("hr", [0.3, 0.5, 0.7, 0.9, 1.0])
@pytest.mark.parametrize("years", [1, 3])
def test_higher_cost_never_raises_roi(hr, years):
    grid = sensitivity(_fixed_hr(hr, horizon_years=years), costs=COST_GRID)
    assert (grid.diff(axis=1).iloc[:, 1:] <= 0).all().all()  # costs ascending, ROI never rises


@pytest.mark.parametrize("hr", [0.5, 1.0, 1.2, 1.5])
def test_higher_cost_never_raises_net_benefit(hr):
    grid = sensitivity(_fixed_hr(hr), costs=COST_GRID, measure="net_benefit")
    assert (grid.diff(axis=1).iloc[:, 1:] <= 0).all().all()


def test_roi_with_negative_savings_moves_toward_minus_one_as_cost_grows():
    # The ratio's known limit, pinned so nobody "fixes" it silently: with HR 1.2 savings are
    # negative (S < 0), ROI = S / C - 1 < -1, and a bigger C brings it closer to -1.
    # HR 1.2: p1 = 1 - 0.8^1.2 = 0.234918; saving per mentee = (0.20 - 0.234918) x 30,000 = -1,047.54
    # at 1,000 per mentee: ROI = -1,047.54 / 1,000 - 1 = -2.04754; at 2,000: -0.52377 - 1 = -1.52377
    grid = sensitivity(_fixed_hr(1.2), replacement_pcts=[0.5], costs=[1_000, 2_000])
    assert grid.loc[0.5].tolist() == pytest.approx([-2.04754, -1.52377], abs=1e-5)


def test_ranges_are_ordered():
    case = business_case(inputs(hazard_ratio_upper=1.3))
    for outcome in (case.per_new, case.first_year, case.target):
        for name in ("avoided_exits", "savings", "net_benefit", "roi"):
            e = getattr(outcome, name)
            assert e.low <= e.estimate <= e.high, name


# ------------------------------------------------------------------ edge cases

def test_ci_crossing_one_includes_a_loss():
    # HR 0.90 (0.70-1.10), 500 per mentee: 100 new mentees cost 100 x 500 = 50,000
    o = business_case(inputs(hazard_ratio=0.90, hazard_ratio_lower=0.70, hazard_ratio_upper=1.10,
                             programme_cost_per_mentee=500)).per_new
    # point: avoided 100 x 0.0180521 = 1.80521, x 30,000 = 54,156.4 saved; net = 4,156.4
    assert o.net_benefit.estimate == pytest.approx(4_156.4, abs=0.1)
    # HR 1.10: p1 = 1 - 0.8^1.1 = 0.217654 > p0, avoided = 100 x -0.0176538 = -1.76538 (extra exits);
    # net = -1.76538 x 30,000 - 50,000 = -102,961.4
    assert o.avoided_exits.low == pytest.approx(-1.76538, abs=1e-5)
    assert o.net_benefit.low == pytest.approx(-102_961.4, abs=0.1)
    assert o.roi.low < 0
    assert o.payback_months.high is None  # never pays back at the upper HR
    assert o.payback_months.estimate is not None


def test_zero_mentees():
    case = business_case(inputs(coverage_now=0.0, coverage_target=0.0))
    assert case.already_done.people == 0 and case.already_done.value.estimate == 0.0
    for o in (case.target,):
        assert o.mentees == 0
        assert o.avoided_exits.to_dict() == {"estimate": 0.0, "low": 0.0, "high": 0.0}
        assert o.net_benefit.estimate == 0.0
        assert o.roi.to_dict() == {"estimate": None, "low": None, "high": None}
        assert o.payback_months.estimate is None
    json.dumps(case.to_dict(), allow_nan=False)
    assert business_case_table(case)["measure"].notna().all()


def test_nobody_in_scope():
    case = business_case(inputs(people=0))
    assert case.already_done.value.estimate == 0.0 and case.per_new.savings.estimate == 0.0
    assert case.target.roi.estimate is None


def test_free_programme_has_no_roi_and_pays_back_at_once():
    o = business_case(inputs(programme_cost_per_mentee=0)).per_new
    assert o.roi.estimate is None
    assert o.payback_months.estimate == 0.0  # 0 / (savings / 12)


def test_no_salary_column_asks_for_average_salary():
    with pytest.raises(MissingInputError, match=r"^average_salary is required, but was None: the data has no salary"):
        inputs(average_salary=None)


# ------------------------------------------------------------------ bad inputs

BAD = [
    pytest.param("people_in_scope", None, "people_in_scope is required, but was None", id="people-None"),
    pytest.param("people_in_scope", -1, "people_in_scope must be a whole number >= 0, but was -1", id="people-negative"),
    pytest.param("people_in_scope", 12.5, "people_in_scope must be a whole number >= 0, but was 12.5", id="people-fraction"),
    pytest.param("people_in_scope", True, "people_in_scope must be a number, but was True", id="people-bool"),
    pytest.param("exit_risks_now", None, "exit_risks_now must be a sequence of probabilities, but was None",
                 id="risks-None"),
    pytest.param("exit_risks_now", (0.2, math.nan), "exit_risks_now must be probabilities in [0, 1), but was nan",
                 id="risks-nan"),
    pytest.param("exit_risks_others", (1.0,), "exit_risks_others must be probabilities in [0, 1), but was 1.0",
                 id="risks-one"),
    pytest.param("exit_risks_now", (-0.1,), "exit_risks_now must be probabilities in [0, 1), but was -0.1",
                 id="risks-negative"),
    pytest.param("exit_risks_now", "0.2", "exit_risks_now must be a sequence of probabilities, but was '0.2'",
                 id="risks-text"),
    pytest.param("mentee_years_now", -1, "mentee_years_now must be >= 0, but was -1", id="mentee-years-negative"),
    pytest.param("programme_years", 0, "programme_years must be > 0, but was 0", id="programme-years-zero"),
    pytest.param("hazard_ratio", math.inf, "hazard_ratio must be a finite number, but was inf", id="hr-inf"),
    pytest.param("hazard_ratio", 0, "hazard_ratio must be > 0, but was 0", id="hr-zero"),
    pytest.param("hazard_ratio", -1, "hazard_ratio must be > 0, but was -1", id="hr-negative"),
    pytest.param("hazard_ratio_lower", 0.8, "hazard_ratio_lower must be in (0, hazard_ratio] = (0, 0.7], but was 0.8",
                 id="hr-lower-above-point"),
    pytest.param("hazard_ratio_upper", 0.6, "hazard_ratio_upper must be >= hazard_ratio (0.7), but was 0.6",
                 id="hr-upper-below-point"),
    pytest.param("hazard_ratio_upper", None, "hazard_ratio_upper is required, but was None", id="hr-upper-None"),
    pytest.param("coverage_target", 1.5, "coverage_target must be in [0, 1], but was 1.5", id="coverage-above-1"),
    pytest.param("coverage_target", np.float64(1.5), "coverage_target must be in [0, 1], but was 1.5",
                 id="coverage-numpy-above-1"),
    pytest.param("coverage_target", 0.2, "coverage_target must be >= today's share mentored (0.37), but was 0.2",
                 id="target-below-now"),
    pytest.param("average_salary", 0, "average_salary must be > 0, but was 0", id="salary-zero"),
    pytest.param("average_salary", -1, "average_salary must be > 0, but was -1", id="salary-negative"),
    pytest.param("replacement_cost_pct", 3.0,
                 "replacement_cost_pct must be in [0.2, 2] (20-200% of salary), but was 3.0", id="replacement-3"),
    pytest.param("replacement_cost_pct", 0.1,
                 "replacement_cost_pct must be in [0.2, 2] (20-200% of salary), but was 0.1", id="replacement-0.1"),
    pytest.param("programme_cost_per_mentee", -1, "programme_cost_per_mentee must be >= 0, but was -1", id="cost-negative"),
    pytest.param("programme_cost_per_mentee", math.nan, "programme_cost_per_mentee must be a finite number, but was nan",
                 id="cost-nan"),
    pytest.param("horizon_years", 0, "horizon_years must be in [1, 3], but was 0", id="horizon-0"),
    pytest.param("horizon_years", 4, "horizon_years must be in [1, 3], but was 4", id="horizon-4"),
    pytest.param("naive_hazard_ratio", 0, "naive_hazard_ratio must be > 0, but was 0", id="naive-zero"),
    pytest.param("naive_hazard_ratio_lower", 0.3,
                 "naive_hazard_ratio is required, but was None although its CI bounds were given", id="naive-ci-only"),
    pytest.param("sources", {"salary": "HRIS"}, "sources must be keyed by input names, but was 'salary'",
                 id="sources-unknown-name"),
]


@pytest.mark.parametrize("name, value, message", BAD)
def test_bad_input_names_the_parameter(name, value, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$") as raised:
        inputs(**{name: value})
    assert isinstance(raised.value, BusinessCaseError) and isinstance(raised.value, RetentionError)


def test_input_wrapper_is_validated_too():
    with pytest.raises(InvalidInputError, match=r"^coverage_target must be in \[0, 1\], but was 2$"):
        inputs(coverage_target=Input(2, from_data(1234)))


# ------------------------------------------------------------------ sources

def test_every_input_carries_its_source():
    x = inputs(exit_risks_now=Input((0.20,) * 370, from_data(1234)), hazard_ratio=Input(0.70, from_data(1234)),
               average_salary=Input(60_000, "from your data (n = 1,180 with a salary)"))
    assert from_data(1234) == "from your data (n = 1,234)"
    assert x.exit_risks_now == (0.20,) * 370 and x.input("exit_risks_now").source == "from your data (n = 1,234)"
    assert x.sources["hazard_ratio_upper"] == "from your data (n = 1,234)"  # a bound follows its estimate
    assert x.sources["replacement_cost_pct"] == GALLUP == "assumption: Gallup estimates 0.5-2x salary"
    assert x.sources["coverage_target"] == YOUR_INPUT == "your input"
    rows = business_case_table(business_case(x)).query("section == 'Inputs'").set_index("measure")
    assert rows.loc["Average salary", "source"] == "from your data (n = 1,180 with a salary)"
    assert rows.loc["Cost of replacing a leaver (share of salary)", "source"] == GALLUP


def test_an_explicit_source_overrides_the_default():
    x = inputs(replacement_cost_pct=Input(1.0, YOUR_INPUT))
    assert x.replacement_cost_pct == 1.0 and x.sources["replacement_cost_pct"] == YOUR_INPUT


def test_inputs_are_frozen():
    with pytest.raises(FrozenInstanceError):
        inputs().coverage_target = 0.5


# ------------------------------------------------------------------ outputs: dict and table

def test_to_dict_is_plain_json():
    case = business_case(inputs(hazard_ratio_upper=1.2, naive_hazard_ratio=0.35))
    d = json.loads(json.dumps(case.to_dict(), allow_nan=False))
    assert set(d) == {"horizon_years", "currency", "inputs", "exit_probability", "already_done", "per_100_new_mentees",
                      "first_year_per_100_new_mentees", "do_nothing_per_100", "full_cost_per_mentee_year", "target",
                      "lasting_effect", "naive"}
    assert set(d["already_done"]) == {"people", "avoided_exits", "value", "committed_cost"}  # no cost, no roi
    assert set(d["per_100_new_mentees"]) == {"mentees", "cost", "avoided_exits", "value", "net", "roi",
                                             "payback_months"}
    assert all(set(d["per_100_new_mentees"][k]) == {"estimate", "low", "high"}
               for k in ("cost", "avoided_exits", "value", "net", "roi"))
    assert d["per_100_new_mentees"]["payback_months"]["high"] is None  # HR 1.2 gives no savings
    assert set(d["target"]) == {"mentees", "avoided_exits", "savings", "programme_cost", "net_benefit", "roi",
                                "payback_months"}
    assert d["inputs"]["exit_risks_now"] == {"value": {"people": 370, "mean": pytest.approx(0.2)}, "source": YOUR_INPUT}
    assert d["inputs"]["coverage_now"]["value"] == pytest.approx(0.37)  # mentored now: today's mentees, not given
    assert d["inputs"]["ever_mentored_share"]["value"] == pytest.approx(0.37)
    assert d["currency"] == "$" and d["inputs"]["currency"]["source"].startswith("assumption")


def test_table_labels_are_hr_words():
    table = business_case_table(business_case(inputs()))
    assert list(table.columns) == ["section", "measure", "estimate", "low", "high", "source"]
    assert {"Exits avoided per year", "Replacement costs saved per year", "Net value per year (saved minus cost)",
            "Return on investment (net benefit / cost)", "Months to pay back the cost"} <= set(table["measure"])
    assert "Mentoring already done (37% of people employed now ever mentored): still worth" in set(table["section"])
    assert "Each 100 new mentees, full cost over a year" in set(table["section"])
    assert "Target: from 37% to 76% mentored (390 new mentees)" in set(table["section"])
    done = table[table["section"].str.startswith("Mentoring already done")]
    assert len(done) == 2 and not done["measure"].str.contains("Return|cost /").any()  # a credit: no ROI
    assert table[["estimate", "low", "high"]].dtypes.eq(float).all()


def test_range_becomes_a_table_row():
    row = business_case(inputs()).per_new.programme_cost.as_row("Programme cost per year")
    assert row == {"label": "Programme cost per year", "estimate": 100_000, "low": 100_000, "high": 100_000}


def test_business_case_pickles_for_the_page_cache():
    case = business_case(inputs(naive_hazard_ratio=0.35))
    assert pickle.loads(pickle.dumps(case)) == case


# ------------------------------------------------------------------ scenarios and sensitivity

def test_coverage_scenarios_run_from_today_to_the_target():
    frame = coverage_scenarios(inputs())
    assert frame["coverage"].iloc[0] == pytest.approx(0.37) and frame["coverage"].iloc[-1] == pytest.approx(0.76)
    assert len(frame) == 11
    first = frame.iloc[0]  # today's share: no new mentees, nothing gained or spent
    assert (first["mentees"], first["net_benefit_low"], first["net_benefit"], first["net_benefit_high"]) == (0, 0, 0, 0)
    # at 76%: 390 new mentees x (0.055388 x 30,000 - 1,000) = 390 x 661.63 = 258,035.9, as the target
    assert frame["net_benefit"].iloc[-1] == pytest.approx(258_035.9, abs=0.1)
    assert frame["net_benefit"].iloc[-1] == pytest.approx(business_case(inputs()).target.net_benefit.estimate)
    assert (frame["net_benefit_low"] <= frame["net_benefit"]).all()
    assert (frame["net_benefit"] <= frame["net_benefit_high"]).all()


def test_coverage_scenarios_take_given_coverages_and_reject_bad_ones():
    frame = coverage_scenarios(inputs(), coverages=[0.0, 0.5, 1.0])
    assert frame["mentees"].tolist() == [0.0, 130.0, 630.0]  # the new mentees only, beyond the 370 mentored now
    with pytest.raises(InvalidInputError, match=r"^coverages must be in \[0, 1\], but was 1.2$"):
        coverage_scenarios(inputs(), coverages=[0.5, 1.2])


def test_coverage_scenarios_when_target_equals_today():
    assert len(coverage_scenarios(inputs(coverage_target=0.37))) == 1


def test_sensitivity_grid_by_hand():
    grid = sensitivity(inputs())
    assert grid.index.tolist() == [0.2, 0.5, 1.0, 1.5, 2.0]
    assert grid.columns.tolist() == [500, 1_000, 1_500, 2_000]  # 0.5x-2x the input cost
    # replacement 100%, 2,000 per mentee: saving per mentee = 0.055388 x 60,000 = 3,323.26;
    # ROI = (3,323.26 - 2,000) / 2,000 = 0.66163
    assert grid.loc[1.0, 2_000] == pytest.approx(0.66163, abs=1e-5)
    assert grid.loc[0.5, 1_000] == pytest.approx(business_case(inputs()).per_new.roi.estimate)
    assert (grid.diff(axis=0).iloc[1:] >= 0).all().all()  # dearer leavers, more return


def test_sensitivity_of_net_benefit_for_100_new_mentees():
    grid = sensitivity(inputs(), replacement_pcts=[0.5], costs=[1_000], measure="net_benefit")
    assert grid.loc[0.5, 1_000] == pytest.approx(66_163.0, abs=0.1)  # as in the 100 new mentees test


def test_sensitivity_grid_spans_the_effects_range():
    """Each cell at the effect's estimate and at both ends of its 95% range: where the effect may be nil the
    cautious grid shows losses though the estimate's does not."""
    low, mid, high = (sensitivity(inputs(), bound=b) for b in ("low", "estimate", "high"))
    # at HR 0.90 (the upper limit): ROI at 50% and 1,000 = (0.0180521 x 30,000 - 1,000) / 1,000 = -0.45844
    assert low.loc[0.5, 1_000] == pytest.approx(-0.45844, abs=1e-5)
    assert ((low <= mid) & (mid <= high)).all().all()
    # at 1,000 a mentee the estimate's cell is a gain (0.66163) and the cautious end's a loss
    assert mid.loc[0.5, 1_000] > 0 > low.loc[0.5, 1_000]


def test_sensitivity_is_nan_where_roi_is_undefined():
    grid = sensitivity(inputs(), costs=[0.0, 1_000])  # a free programme has no ratio
    assert grid[0.0].isna().all() and grid[1_000].notna().all()


@pytest.mark.parametrize("kwargs, message", [
    pytest.param(dict(replacement_pcts=[3.0]), "replacement_cost_pct must be in [0.2, 2] (20-200% of salary), but was 3.0",
                 id="replacement-3"),
    pytest.param(dict(costs=[-5]), "programme_cost_per_mentee must be >= 0, but was -5", id="cost-negative"),
    pytest.param(dict(measure="irr"), "measure must be one of ('roi', 'net_benefit'), but was 'irr'", id="measure"),
    pytest.param(dict(bound="all"), "bound must be one of ('estimate', 'low', 'high'), but was 'all'", id="bound"),
])
def test_sensitivity_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        sensitivity(inputs(), **kwargs)
