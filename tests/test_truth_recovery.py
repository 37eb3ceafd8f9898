"""The engine recovers the demo generator's known truth; the naive estimate does not.

Truth: `uniform_effect_config(0.70)` multiplies the voluntary-exit hazard by 0.70 from the
first mentorship's start onward, for every programme type (analytics/demo.py, docs/demo.md).
"""
from __future__ import annotations

import math

import pytest

from analytics import models, store
from analytics.demo import uniform_effect_config

TRUE_HR = 0.70  # the generator's stated factor


def fit(seed: int):
    con = store.connect(":memory:")
    store.load_demo(con, config=uniform_effect_config(TRUE_HR, seed=seed))
    fu = models.follow_up(con)
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
    from analytics.demo import true_exit_probabilities
    from analytics.summary import headline

    config = uniform_effect_config(TRUE_HR, seed=seed)
    con = store.connect(":memory:")
    store.load_demo(con, config=config)
    case = headline(con).business
    honest, naive = case.current.avoided_exits, case.naive_current.avoided_exits
    truth = true_exit_probabilities(config, 365)
    now = truth[truth["mentored"]]
    true_avoided = float((now["p_unmentored"] - now["p_mentored"]).sum())
    return true_avoided, honest.estimate, honest.low, honest.high, naive.estimate


def _check_money(seeds: list[int], min_covered: int) -> None:
    covered = 0
    for seed in seeds:
        truth, estimate, low, high, naive = exits_avoided(seed)
        print(f"seed {seed}: exits avoided next year, truth {truth:.1f}; estimate {estimate:.1f} "
              f"({low:.1f}-{high:.1f}); naive {naive:.1f}")
        covered += low <= truth <= high
        assert abs(naive - truth) > abs(estimate - truth), seed
    assert covered >= min_covered, f"the range covered the true exits avoided in {covered} of {len(seeds)}"


def test_exits_avoided_fast():
    """Five simulated companies: the honest range covers the true expected exits avoided next year in
    at least four; the naive figure is further from the truth in all five."""
    _check_money([101, 102, 103, 104, 105], min_covered=4)


@pytest.mark.slow
def test_exits_avoided_twenty_companies():
    """The bar for the money: covered in at least 17 of 20 companies, the naive figure further off in all."""
    _check_money(list(range(201, 221)), min_covered=17)
