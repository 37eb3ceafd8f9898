"""The engine recovers the demo generator's known truth; the naive estimate does not.

Truth: `uniform_effect_config(0.70)` multiplies the voluntary-exit hazard by 0.70 from the
first mentorship's start onward, for every programme type (analytics/intake/demo.py, docs/demo.md).
"""
from __future__ import annotations

import math

import pytest

from analytics.estimation import followup, models
from analytics.intake.demo import uniform_effect_config
from analytics.store import database, loads

TRUE_HR = 0.70  # the generator's stated factor


def fit(seed: int):
    con = database.connect(":memory:")
    loads.load_demo(con, config=uniform_effect_config(TRUE_HR, seed=seed))
    fu = followup.follow_up(con)
    return models.naive_model(fu).hazard_ratio, models.adjusted_model(fu).hazard_ratio


def _check(seeds: list[int], min_covered: int) -> None:
    results = {seed: fit(seed) for seed in seeds}
    covered = [s for s, (_, adj) in results.items() if adj.lower <= TRUE_HR <= adj.upper]
    for seed, (naive, adj) in results.items():
        print(f"seed {seed}: naive {naive.estimate:.3f}, adjusted {adj.estimate:.3f} "
              f"({adj.lower:.3f}-{adj.upper:.3f})")
        # distance on the log scale, where the model is linear
        assert abs(math.log(naive.estimate / TRUE_HR)) > abs(math.log(adj.estimate / TRUE_HR)), seed
    assert len(covered) >= min_covered, f"95% CI covered {TRUE_HR} in {len(covered)} of {len(seeds)} companies"


def test_truth_recovery_fast():
    """Five simulated companies: every naive HR further from the truth than the adjusted one."""
    _check([101, 102, 103, 104, 105], min_covered=4)


@pytest.mark.slow
def test_truth_recovery_twenty_companies():
    """The issue's bar: the adjusted 95% CI covers the truth in at least 17 of 20 companies."""
    _check(list(range(201, 221)), min_covered=17)


# ------------------------------------------------------------ the money: exits avoided next year

def exits_avoided(seed: int) -> tuple[float, float, float, float, float]:
    """The people mentored today: true expected exits avoided next year, and the business case's
    honest figure with its range and its naive one (the same people's risks, the naive hazard ratio)."""
    from analytics.case.summary import headline
    from analytics.intake.demo import true_exit_probabilities

    config = uniform_effect_config(TRUE_HR, seed=seed)
    con = database.connect(":memory:")
    loads.load_demo(con, config=config)
    case = headline(con).business
    honest, naive = case.already_done.avoided_exits, case.naive_already_done.avoided_exits
    truth = true_exit_probabilities(config, 365)
    now = truth[truth["mentored"]]
    true_avoided = float((now["p_unmentored"] - now["p_mentored"]).sum())
    return true_avoided, honest.estimate, honest.low, honest.high, naive.estimate


def _check_money(seeds: list[int], min_covered: int, pooled_within: float = 0.15) -> None:
    """The credit for mentoring already done (today's ever-mentored people's exits avoided next year) against the
    truth: its range covers the true expected figure in at least `min_covered` companies, the naive figure is
    further off in every one, and pooled over the companies the estimate is within `pooled_within` of the truth
    (one company's is as noisy as its effect: measured over the 40 of the coverage study, the median company is 11%
    off, 30 of 40 within 15%)."""
    covered, truths, estimates = 0, [], []
    for seed in seeds:
        truth, estimate, low, high, naive = exits_avoided(seed)
        print(f"seed {seed}: exits avoided next year, truth {truth:.1f}; estimate {estimate:.1f} "
              f"({low:.1f}-{high:.1f}); naive {naive:.1f}")
        covered += low <= truth <= high
        truths.append(truth)
        estimates.append(estimate)
        assert abs(naive - truth) > abs(estimate - truth), seed
    pooled = sum(estimates) / sum(truths) - 1
    print(f"pooled: {sum(estimates):.1f} against the truth's {sum(truths):.1f} ({pooled:+.1%}); "
          f"covered in {covered} of {len(seeds)}")
    assert covered >= min_covered, f"the range covered the true exits avoided in {covered} of {len(seeds)}"
    assert abs(pooled) <= pooled_within, f"pooled, the credit is {pooled:+.1%} off the truth"


def test_exits_avoided_fast():
    """Five simulated companies: the honest range covers the true expected exits avoided next year in
    at least four; the naive figure is further from the truth in all five."""
    _check_money([101, 102, 103, 104, 105], min_covered=4)


@pytest.mark.slow
def test_exits_avoided_twenty_companies():
    """The bar for the money: covered in at least 17 of 20 companies, the naive figure further off in all."""
    _check_money(list(range(201, 221)), min_covered=17)


@pytest.mark.slow
def test_exits_avoided_coverage_study_forty_companies():
    """The coverage study: 40 companies not used in building the method (seeds 1001-1040), the range of the credit
    for mentoring already done covers the true expected exits avoided next year in at least 36 (90%). Measured
    (range with the effect's and the baseline's uncertainty): covered in 40 of 40, pooled 1.1% below the truth,
    the naive figure further off in all 40; 39 s of CPU."""
    _check_money(list(range(1001, 1041)), min_covered=36)


# ------------------------------------------------------------ where to extend next

# Each department's own factor on the mentoring effect (demo.DemoConfig.department_mentoring_factor): Sales
# gains most (true HR 0.70 x 0.50 = 0.35), Engineering least (0.70 x 1.30 = 0.91); the rest in between.
DEPARTMENT_FACTOR = {"Engineering": 1.30, "Sales": 0.50, "Customer Support": 0.85, "Operations": 1.15,
                     "Marketing": 1.00, "Finance": 1.20, "Human Resources": 0.90}


def where_next_against_truth(seed: int, n_employees: int = 5000):
    """The ranking and each department's shrunk and own effect, beside the simulation's truth: each segment's
    true expected exits avoided per 100 newly mentored (its unmentored staff's own true chances) and each
    department's true log hazard ratio."""
    from analytics.case.summary import headline
    from analytics.case.where_next import where_next
    from analytics.intake.demo import true_exit_probabilities

    config = uniform_effect_config(TRUE_HR, seed=seed, n_employees=n_employees,
                                   department_mentoring_factor=DEPARTMENT_FACTOR)
    con = database.connect(":memory:")
    loads.load_demo(con, config=config)
    h = headline(con)
    x = h.business.inputs
    segments = where_next(h.follow_up, h.adjusted, x.horizon_years, x.replacement_cost_pct,
                          x.programme_cost_per_mentee, x.programme_years)
    truth = true_exit_probabilities(config, 365).set_index("employee_id")
    last = h.follow_up.rows.groupby("employee_id").tail(1).set_index("employee_id")
    true_avoided = {}
    for s in segments:
        (dimension, group), = s.segment.items()
        ids = last.index[(last[dimension].astype("string") == group).to_numpy()]
        people = truth.loc[truth.index.intersection(ids)]
        people = people[~people["mentored"]]
        true_avoided[(dimension, group)] = 100 * float((people["p_unmentored"] - people["p_if_mentored_now"]).mean())
    departments = {s.segment["department"]: s.effect for s in segments if "department" in s.segment}
    true_log_hr = {d: math.log(TRUE_HR * f) for d, f in DEPARTMENT_FACTOR.items()}
    return segments, true_avoided, departments, true_log_hr


def _check_where_next(seeds: list[int]) -> tuple[int, float, float]:
    """How many rankings put the truly best segment in their top three, and the mean squared error of the
    departments' shrunk and own log hazard ratios against the truth, over the companies."""
    in_top3, shrunk_err, raw_err = 0, [], []
    for seed in seeds:
        segments, true_avoided, departments, true_log_hr = where_next_against_truth(seed)
        best = max(true_avoided, key=true_avoided.get)
        top3 = [tuple(s.segment.items())[0] for s in segments[:3]]
        in_top3 += best in top3
        for d, effect in departments.items():
            if effect.raw is not None:
                shrunk_err.append((effect.log_hr - true_log_hr[d]) ** 2)
                raw_err.append((effect.raw - true_log_hr[d]) ** 2)
        print(f"seed {seed}: truly best {best} ({true_avoided[best]:.1f} per 100); ranked top three {top3}")
    shrunk, raw = sum(shrunk_err) / len(shrunk_err), sum(raw_err) / len(raw_err)
    print(f"departments' log hazard ratio, mean squared error: shrunk {shrunk:.4f}, own {raw:.4f}")
    return in_top3, shrunk, raw


def test_where_next_fast():
    """Two simulated companies whose departments each have their own known effect: the truly best segment
    is in the top three of both rankings."""
    in_top3, _, _ = _check_where_next([301, 302])
    assert in_top3 == 2


@pytest.mark.slow
def test_where_next_twenty_companies():
    """The bar: over 20 companies the truly best segment is in the top three of every ranking, and the
    shrunk department effects are closer to the truth than each department's own (mean squared error)."""
    in_top3, shrunk, raw = _check_where_next(list(range(311, 331)))
    assert in_top3 == 20
    assert shrunk < raw


# Two departments apart from the rest (demo.DemoConfig.department_mentoring_factor): Sales gains most (true HR
# 0.70 x 0.6 = 0.42), Engineering least (0.70 x 1.3 = 0.91), the others 0.70.
APART = {"Sales": 0.6, "Engineering": 1.3}


def department_ranges_against_truth(seed: int) -> list[tuple[str, float, float, float]]:
    """Each department's range of exits avoided per 100 new mentees next year, where to extend next gives it, beside
    the truth: the mean over its people never mentored of their true chance unmentored less as a new mentee."""
    from analytics.case.summary import headline
    from analytics.case.where_next import for_headline
    from analytics.intake.demo import generate, true_exit_probabilities

    config = uniform_effect_config(TRUE_HR, seed=seed, department_mentoring_factor=APART)
    con = database.connect(":memory:")
    loads.load_demo(con, config=config)
    ranking = for_headline(headline(con), dimensions=("department",))
    truth = true_exit_probabilities(config, 365)
    truth["department"] = truth["employee_id"].map(generate(config).employees.set_index("employee_id")["department"])
    candidates = truth[~truth["mentored"]]
    per_100 = (100 * (candidates["p_unmentored"] - candidates["p_if_mentored_now"])).groupby(
        candidates["department"]).mean()
    return [(s.segment["department"], float(per_100[s.segment["department"]]), s.exits_avoided_per_100.low,
             s.exits_avoided_per_100.high) for s in ranking]


@pytest.mark.slow
def test_where_next_coverage_study_forty_companies():
    """Where to extend next over 40 companies whose departments differ (seeds 2001-2040): each department's range
    covers its true exits avoided per 100 new mentees in at least 90% of the 280 department-companies. Measured:
    the shrunk effect's range alone covered 87% (67 of 77 in the first 11 companies, Sales 6 of 11); spanning the
    department's own range too, 257 of 280 (91.8%; Sales, the department farthest from the rest, 31 of 40), the
    department truly best placed first in 36 of 40, with the unmentored people's chances from the common model;
    from the department model the effects come from, 258 of 280 (92.1%; Sales 37 of 40), best first in 38 of 40."""
    results = [row for seed in range(2001, 2041) for row in department_ranges_against_truth(seed)]
    covered = sum(low <= truth <= high for _, truth, low, high in results)
    sales = [low <= truth <= high for name, truth, low, high in results if name == "Sales"]
    print(f"where next: covered {covered} of {len(results)}; Sales {sum(sales)} of {len(sales)}")
    assert covered >= 0.9 * len(results), f"covered {covered} of {len(results)}"
    assert sum(sales) >= 0.9 * len(sales), f"Sales covered {sum(sales)} of {len(sales)}"
