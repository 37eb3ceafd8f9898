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
