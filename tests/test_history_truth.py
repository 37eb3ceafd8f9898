"""The honest figure against the truth on companies whose characteristics change (analytics/intake/demo_changing.py:
ratings move every year, the well rated are promoted faster, mentoring goes to whoever is well rated at the time).

With the job history loaded, the adjusted model takes each person's level, salary and rating as they were on each
day; from the export's one value per person (the snapshot) it cannot separate mentoring from who gets it. Over 20
companies of 20,000 people each, the history's 95% range must hold the true direct effect in at least 18 (fewer
happens with probability 7.5% if the ranges are right); the snapshot's result on the same companies is recorded.

Measured by the test's own companies (seeds 3000-3019, 20,000 people each):
no effect: the history's range held 1 in 20 of 20 (geometric mean 1.015); the snapshot's in 0 of 20 (0.88);
a direct 0.70 (promotions 1.5x once mentored): the history's held it in 19 of 20 (0.711); the snapshot's in 19 (0.676).
"""
import numpy as np
import pytest

from analytics.estimation.followup import follow_up
from analytics.estimation.models import adjusted_model
from analytics.estimation.outcomes import outcome_effects
from analytics.intake.demo_changing import ChangingConfig, generate_changing
from analytics.intake.prepare import plan_from_frames
from analytics.store import database, loads

COMPANIES, PEOPLE, SEEDS = 20, 20_000, 3000


def _history_into(con, job_history) -> None:
    """The simulated history into the store's table as it is: the load path's checks take it whole, no row set
    aside (tests/test_demo_changing.py), and skipping them keeps 60 companies quick."""
    con.register("_given_history", job_history)
    columns = ", ".join(job_history.columns)
    try:
        con.execute(f"DELETE FROM job_history; INSERT INTO job_history ({columns}) SELECT {columns} "
                    "FROM _given_history")
    finally:
        con.unregister("_given_history")


def coverage(direct: float, companies: int = COMPANIES, people: int = PEOPLE, seed: int = SEEDS) -> dict:
    """For each simulated company: the adjusted hazard ratio from the snapshot and from the history."""
    out = {"snapshot": [], "history": []}
    for k in range(companies):
        data = generate_changing(ChangingConfig(
            n_employees=people, seed=seed + k, direct_hr_while_mentored=direct, direct_hr_after_end=direct,
            promotion_hr_if_mentored=1.0 if direct == 1.0 else 1.5))
        con = database.connect(":memory:")
        try:
            loads.load_plan(con, plan_from_frames(data.employees, data.mentorships))
            snapshot = adjusted_model(follow_up(con))
            _history_into(con, data.job_history)
            fu = follow_up(con)
            assert fu.covariates_from == "history"
            out["snapshot"].append(snapshot.hazard_ratio)
            out["history"].append(adjusted_model(fu).hazard_ratio)
        finally:
            con.close()
    return out


def _held(ratios, truth: float) -> int:
    return sum(hr.lower <= truth <= hr.upper for hr in ratios)


@pytest.mark.parametrize("direct", [1.0, 0.70])
def test_the_history_holds_the_true_direct_effect_where_the_snapshot_cannot(direct):
    found = coverage(direct)
    held = {source: _held(found[source], direct) for source in found}
    means = {source: float(np.exp(np.mean(np.log([hr.estimate for hr in found[source]])))) for source in found}
    assert held["history"] >= 18, (held, means)
    if direct == 1.0:  # where mentoring does nothing, the snapshot finds an effect (the finding)
        assert held["snapshot"] <= 5 and means["snapshot"] < 0.9, (held, means)


def _promotion_coverage(factor: float, companies: int, people: int) -> tuple[int, list[float]]:
    held, estimates = 0, []
    for k in range(companies):
        data = generate_changing(ChangingConfig(n_employees=people, seed=5000 + k, direct_hr_while_mentored=0.7,
                                                direct_hr_after_end=0.7, promotion_hr_if_mentored=factor))
        con = database.connect(":memory:")
        try:
            loads.load_plan(con, plan_from_frames(data.employees, data.mentorships))
            _history_into(con, data.job_history)
            hr = outcome_effects(con, follow_up(con))[0]["promotion"].hazard_ratio
        finally:
            con.close()
        held += hr.lower <= factor <= hr.upper
        estimates.append(hr.estimate)
    return held, estimates


def test_the_promotion_effect_holds_the_truth_as_often_as_it_claims():
    """20 simulated companies of 10,000 people whose mentored are promoted 1.5 times as fast (promotion hazard by
    current level and rating): the 95% range holds 1.5 in at least 17 (fewer: probability 1.6% if it is right).
    Measured: held in 18 of 20 (geometric mean 1.53)."""
    held, estimates = _promotion_coverage(1.5, companies=20, people=10_000)
    assert held >= 17, (held, np.round(estimates, 2).tolist())
