"""The business-case model (docs/design.md, Business case): formulas against hand-computed cases,
monotonicity, edge cases and bad inputs.

Every expected number is worked out in the comment beside it from the docs/design.md formulas:
p1 = 1 - (1 - p0)^HR, p0_H = 1 - (1 - p0)^H, avoided = mentees x (p0 - p1),
savings = avoided x salary x replacement %, cost = mentees x cost per mentee x H,
ROI = (savings - cost) / cost, payback months = cost / (savings / (12 H)).
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
            average_salary=60_000, programme_cost_per_mentee=1_000)


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
    assert payback_months(0, 100, 1) is None
    assert payback_months(-5, 100, 1) is None


def test_programme_as_it_is_by_hand():
    case = business_case(inputs())
    o = case.current
    assert case.exit_probability_unmentored == pytest.approx(0.20)
    assert case.exit_probability_mentored.estimate == pytest.approx(0.144612, abs=1e-6)  # 1 - 0.8^0.7
    # mentees = 1000 x 0.37 = 370
    assert o.mentees == pytest.approx(370)
    # avoided = 370 x (0.20 - 0.144612) = 370 x 0.055388 = 20.4934
    assert o.avoided_exits.estimate == pytest.approx(20.4934, abs=1e-4)
    # savings = 20.49344 x 60,000 x 0.50 = 614,803.2
    assert o.savings.estimate == pytest.approx(614_803.2, abs=0.1)
    # cost = 370 x 1,000 x 1 year = 370,000 (no range: it does not depend on the HR)
    assert o.programme_cost.to_dict() == {"estimate": 370_000, "low": 370_000, "high": 370_000}
    # net = 614,803.2 - 370,000 = 244,803.2
    assert o.net_benefit.estimate == pytest.approx(244_803.2, abs=0.1)
    # ROI = 244,803.2 / 370,000 = 0.66163
    assert o.roi.estimate == pytest.approx(0.66163, abs=1e-5)
    # payback = 370,000 / (614,803.2 / 12) = 370,000 / 51,233.6 = 7.2218 months
    assert o.payback_months.estimate == pytest.approx(7.2218, abs=1e-4)


def test_range_comes_from_the_hazard_ratio_ci():
    o = business_case(inputs()).current
    # low end from HR upper 0.90: p1 = 1 - 0.8^0.9 = 0.181948; avoided = 370 x 0.018052 = 6.6793
    # high end from HR lower 0.55: p1 = 1 - 0.8^0.55 = 0.115497; avoided = 370 x 0.084503 = 31.2662
    assert (o.avoided_exits.low, o.avoided_exits.high) == pytest.approx((6.6793, 31.2662), abs=1e-4)
    # savings = avoided x 30,000: 200,378.8 and 937,987.4
    assert (o.savings.low, o.savings.high) == pytest.approx((200_378.8, 937_987.4), abs=0.1)
    # net = savings - 370,000: -169,621.2 (a loss) and 567,987.4
    assert (o.net_benefit.low, o.net_benefit.high) == pytest.approx((-169_621.2, 567_987.4), abs=0.1)
    # payback: the fast end is at HR lower, 370,000 / (937,987.4 / 12) = 4.7335 months;
    # the slow end at HR upper, 370,000 / (200,378.8 / 12) = 22.158 months
    assert (o.payback_months.low, o.payback_months.high) == pytest.approx((4.7335, 22.158), abs=1e-3)


def test_target_scenario_counts_only_the_additional_mentees():
    o = business_case(inputs()).target
    # additional mentees = 1000 x (0.76 - 0.37) = 390
    assert o.mentees == pytest.approx(390)
    # avoided = 390 x 0.055388 = 21.6012; savings = 21.6012 x 30,000 = 648,035.9
    assert o.avoided_exits.estimate == pytest.approx(21.6012, abs=1e-4)
    assert o.savings.estimate == pytest.approx(648_035.9, abs=0.1)
    # net = 648,035.9 - 390 x 1,000 = 258,035.9; ROI is per mentee, so the same 0.66163
    assert o.net_benefit.estimate == pytest.approx(258_035.9, abs=0.1)
    assert o.roi.estimate == pytest.approx(0.66163, abs=1e-5)


def test_three_year_horizon_by_hand():
    # each person's chance of leaving within three years comes from the model; here 0.488 (= 1 - 0.8^3)
    case = business_case(inputs(p0=0.488, horizon_years=3))
    o = case.current
    # p1_3 = 1 - 0.512^0.7 = 1 - 0.625877 = 0.374123 (= 1 - 0.8^2.1)
    assert case.exit_probability_unmentored == pytest.approx(0.488)
    assert case.exit_probability_mentored.estimate == pytest.approx(0.374123, abs=1e-6)
    # avoided = 370 x (0.488 - 0.374123) = 370 x 0.113877 = 42.1345
    assert o.avoided_exits.estimate == pytest.approx(42.1345, abs=1e-4)
    # savings = 42.13448 x 30,000 = 1,264,034.4; cost = 370 mentees x 3 years still to run x 1,000 = 1,110,000
    assert o.savings.estimate == pytest.approx(1_264_034.4, abs=0.1)
    assert o.programme_cost.estimate == pytest.approx(1_110_000)
    # net = 154,034.4; ROI = 154,034.4 / 1,110,000 = 0.138770
    assert o.net_benefit.estimate == pytest.approx(154_034.4, abs=0.1)
    assert o.roi.estimate == pytest.approx(0.138770, abs=1e-6)
    # payback = 1,110,000 / (1,264,034.4 / 36) = 31.613 months
    assert o.payback_months.estimate == pytest.approx(31.613, abs=1e-3)
    assert "Exits avoided over 3 years" in set(business_case_table(case)["measure"])


def test_cost_counts_only_while_mentoring_runs():
    """Over 1 year and 3: today's mentoring costs the years it still has to run; a new mentee costs
    their programme's length (1 year unless said), however long the horizon."""
    one = business_case(inputs(mentee_years_now=120.0))
    # 120 mentee-years still to run x 1,000 = 120,000; 390 new mentees x 1 year x 1,000 = 390,000
    assert one.current.programme_cost.estimate == pytest.approx(120_000)
    assert one.target.programme_cost.estimate == pytest.approx(390_000)
    three = business_case(inputs(p0=0.488, horizon_years=3, mentee_years_now=120.0))
    assert three.current.programme_cost.estimate == pytest.approx(120_000)
    assert three.target.programme_cost.estimate == pytest.approx(390_000)  # not 3 x 390,000
    # a two-year programme, three-year horizon: 390 x 2 x 1,000 = 780,000; a horizon shorter than the
    # programme counts the horizon only: 390 x 1 x 1,000
    assert business_case(inputs(p0=0.488, horizon_years=3, programme_years=2.0)).target.programme_cost.estimate \
        == pytest.approx(780_000)
    assert business_case(inputs(programme_years=2.0)).target.programme_cost.estimate == pytest.approx(390_000)
    # the benefit over three years is larger, the cost of the same mentoring is not
    assert three.current.savings.estimate > one.current.savings.estimate


def test_naive_hazard_ratio_overstates_the_savings():
    case = business_case(inputs(naive_hazard_ratio=0.35, naive_hazard_ratio_lower=0.30,
                                naive_hazard_ratio_upper=0.41))
    # naive p1 = 1 - 0.8^0.35 = 0.075128; avoided = 370 x 0.124872 = 46.2025; savings = 1,386,076.0
    assert case.naive_current.avoided_exits.estimate == pytest.approx(46.2025, abs=1e-4)
    assert case.naive_current.savings.estimate == pytest.approx(1_386_076.0, abs=0.1)
    assert case.naive_current.savings.estimate > case.current.savings.estimate
    assert case.naive_target.savings.estimate > case.target.savings.estimate
    assert case.to_dict()["naive"]["label"] == "naive (overstated)"  # 0.35 against the honest HR below it
    naive_rows = business_case_table(case).query("section.str.contains('overstated')", engine="python")
    assert len(naive_rows) == 12  # six measures, programme as it is and target


@pytest.mark.parametrize("naive, label", [(0.95, "naive (understated)"), (0.71, "naive (roughly agrees)")])
def test_the_naive_case_is_named_by_how_it_compares_with_the_honest_one(naive, label):
    """The honest HR of inputs() is 0.70: a naive 0.95 is nearer no effect (understated); 0.71 within 5% of it."""
    case = business_case(inputs(naive_hazard_ratio=naive))
    assert case.inputs.hazard_ratio == pytest.approx(0.70)
    assert case.to_dict()["naive"]["label"] == label
    assert not business_case_table(case)["section"].str.contains("overstated").any()


def test_no_naive_hazard_ratio_leaves_the_naive_case_out():
    case = business_case(inputs())
    assert case.naive_current is None and case.to_dict()["naive"] is None
    assert not business_case_table(case)["section"].str.contains("overstated").any()


def test_naive_without_ci_is_a_point():
    case = business_case(inputs(naive_hazard_ratio=0.35))
    est = case.naive_current.savings
    assert est.low == est.estimate == est.high


# ------------------------------------------------------------------ monotonicity over a grid

HR_GRID = np.round(np.linspace(0.2, 1.8, 17), 2)


@pytest.mark.parametrize("p0", [0.05, 0.20, 0.50])
@pytest.mark.parametrize("years", [1, 2, 3])
def test_lower_hazard_ratio_never_lowers_savings(p0, years):  # p0: each person's chance within the horizon
    savings = [business_case(inputs(p0=p0, horizon_years=years, hazard_ratio=hr, hazard_ratio_lower=hr,
                                    hazard_ratio_upper=hr)).current.savings.estimate for hr in HR_GRID]
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
    for outcome in (case.current, case.target):
        for name in ("avoided_exits", "savings", "net_benefit", "roi"):
            e = getattr(outcome, name)
            assert e.low <= e.estimate <= e.high, name


# ------------------------------------------------------------------ edge cases

def test_ci_crossing_one_includes_a_loss():
    # HR 0.90 (0.70-1.10), 500 per mentee: cost = 370 x 500 = 185,000
    o = business_case(inputs(hazard_ratio=0.90, hazard_ratio_lower=0.70, hazard_ratio_upper=1.10,
                             programme_cost_per_mentee=500)).current
    # point: avoided 6.6793 x 30,000 = 200,378.8 saved; net = 200,378.8 - 185,000 = 15,378.8
    assert o.net_benefit.estimate == pytest.approx(15_378.8, abs=0.1)
    # HR 1.10: p1 = 1 - 0.8^1.1 = 0.217654 > p0, avoided = 370 x -0.017654 = -6.5319 (extra exits);
    # net = -6.5319 x 30,000 - 185,000 = -380,957.0
    assert o.avoided_exits.low == pytest.approx(-6.5319, abs=1e-4)
    assert o.net_benefit.low == pytest.approx(-380_957.0, abs=0.1)
    assert o.roi.low < 0
    assert o.payback_months.high is None  # never pays back at the upper HR
    assert o.payback_months.estimate is not None


def test_zero_mentees():
    case = business_case(inputs(coverage_now=0.0, coverage_target=0.0))
    for o in (case.current, case.target):
        assert o.mentees == 0
        assert o.avoided_exits.to_dict() == {"estimate": 0.0, "low": 0.0, "high": 0.0}
        assert o.net_benefit.estimate == 0.0
        assert o.roi.to_dict() == {"estimate": None, "low": None, "high": None}
        assert o.payback_months.estimate is None
    json.dumps(case.to_dict(), allow_nan=False)
    assert business_case_table(case)["measure"].notna().all()


def test_nobody_in_scope():
    o = business_case(inputs(people=0)).current
    assert o.savings.estimate == 0.0 and o.roi.estimate is None


def test_free_programme_has_no_roi_and_pays_back_at_once():
    o = business_case(inputs(programme_cost_per_mentee=0)).current
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
    assert set(d) == {"horizon_years", "inputs", "exit_probability", "current", "target", "lasting_effect", "naive"}
    assert set(d["current"]) == {"mentees", "avoided_exits", "savings", "programme_cost", "net_benefit", "roi",
                                 "payback_months"}
    assert d["current"]["payback_months"]["high"] is None  # HR 1.2 gives no savings
    assert d["inputs"]["exit_risks_now"] == {"value": {"people": 370, "mean": pytest.approx(0.2)}, "source": YOUR_INPUT}
    assert d["inputs"]["coverage_now"]["value"] == pytest.approx(0.37)


def test_table_labels_are_hr_words():
    table = business_case_table(business_case(inputs()))
    assert list(table.columns) == ["section", "measure", "estimate", "low", "high", "source"]
    assert {"Exits avoided per year", "Replacement costs saved per year", "Net benefit per year (saved minus cost)",
            "Return on investment (net benefit / cost)", "Months to pay back the cost"} <= set(table["measure"])
    assert "Programme as it is (37% ever mentored)" in set(table["section"])
    assert "Target: from 37% to 76% ever mentored (390 more mentees)" in set(table["section"])
    assert table[["estimate", "low", "high"]].dtypes.eq(float).all()


def test_range_becomes_a_table_row():
    row = business_case(inputs()).current.programme_cost.as_row("Programme cost per year")
    assert row == {"label": "Programme cost per year", "estimate": 370_000, "low": 370_000, "high": 370_000}


def test_business_case_pickles_for_the_page_cache():
    case = business_case(inputs(naive_hazard_ratio=0.35))
    assert pickle.loads(pickle.dumps(case)) == case


# ------------------------------------------------------------------ scenarios and sensitivity

def test_coverage_scenarios_run_from_today_to_the_target():
    frame = coverage_scenarios(inputs())
    assert frame["coverage"].iloc[0] == pytest.approx(0.37) and frame["coverage"].iloc[-1] == pytest.approx(0.76)
    assert len(frame) == 11
    now = business_case(inputs()).current.net_benefit
    first = frame.iloc[0]
    assert (first["net_benefit_low"], first["net_benefit"], first["net_benefit_high"]) == pytest.approx(
        (now.low, now.estimate, now.high))
    # at 76%: 760 mentees x (0.055388 x 30,000 - 1,000) = 760 x 661.63 = 502,839.2
    assert frame["net_benefit"].iloc[-1] == pytest.approx(502_839.2, abs=0.1)
    assert (frame["net_benefit_low"] <= frame["net_benefit"]).all()
    assert (frame["net_benefit"] <= frame["net_benefit_high"]).all()


def test_coverage_scenarios_take_given_coverages_and_reject_bad_ones():
    frame = coverage_scenarios(inputs(), coverages=[0.0, 0.5, 1.0])
    assert frame["mentees"].tolist() == [370.0, 500.0, 1000.0]  # today's mentees stay mentored
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
    assert grid.loc[0.5, 1_000] == pytest.approx(business_case(inputs()).current.roi.estimate)
    assert (grid.diff(axis=0).iloc[1:] >= 0).all().all()  # dearer leavers, more return


def test_sensitivity_of_net_benefit_for_the_target():
    grid = sensitivity(inputs(), replacement_pcts=[0.5], costs=[1_000], measure="net_benefit", scenario="target")
    assert grid.loc[0.5, 1_000] == pytest.approx(258_035.9, abs=0.1)  # as in the target scenario test


def test_sensitivity_is_nan_where_roi_is_undefined():
    grid = sensitivity(inputs(coverage_now=0.0, coverage_target=0.0))
    assert grid.isna().all().all()


@pytest.mark.parametrize("kwargs, message", [
    pytest.param(dict(replacement_pcts=[3.0]), "replacement_cost_pct must be in [0.2, 2] (20-200% of salary), but was 3.0",
                 id="replacement-3"),
    pytest.param(dict(costs=[-5]), "programme_cost_per_mentee must be >= 0, but was -5", id="cost-negative"),
    pytest.param(dict(measure="irr"), "measure must be one of ('roi', 'net_benefit'), but was 'irr'", id="measure"),
    pytest.param(dict(scenario="all"), "scenario must be one of ('current', 'target'), but was 'all'", id="scenario"),
])
def test_sensitivity_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        sensitivity(inputs(), **kwargs)
