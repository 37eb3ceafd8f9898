"""The company whose characteristics change (analytics/intake/demo_changing.py, docs/demo.md "A company whose
characteristics change"): exact, reproducible, its history consistent with its snapshot, and its truth
recoverable from the dated history while the snapshot misleads.

The fitted checks use a small Cox fit of their own (Breslow ties, (start, stop] risk sets, Newton steps; it agrees
with lifelines' CoxTimeVaryingFitter to three decimals on these data and is some 50 times faster). Measured with

    .venv/bin/python -m tests.test_demo_changing --seeds 1-8
    .venv/bin/python -m tests.test_demo_changing --seeds 9-24 --kinds changing_null
    .venv/bin/python -m tests.test_demo_changing --seeds 1-3 --kinds changing_null --n-employees 100000

(20,000 people each; mentored(t) from the first start onward, hazard ratio and 95% CI):

| company | seed | covariates as they were (job history) | snapshot covariates (the export) |
| --- | --- | --- | --- |
| changing_null (truth 1) | 1 (the tests') | 1.013 (0.943-1.089) | 0.880 (0.821-0.942) |
| changing_null | 1-8 | 1.011-1.057, every CI covers 1 | 0.880-0.927, every CI below 1 |
| changing_null | 1-24 | 0.902-1.073, the CI covers 1 on 23 of 24 | 0.814-0.927, every CI below 1 |
| changing_effect (truth 0.70) | 1 (the tests') | 0.721 (0.665-0.781) | 0.684 (0.633-0.739) |
| changing_effect | 1-8 | 0.690-0.729, every CI covers 0.70 | 0.664-0.702 |

At 100,000 people (seeds 1-3) the history gives 0.999-1.012 and the snapshot 0.873-0.886 in the null company.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from analytics.intake.demo import PERFORMANCE_SHARE
from analytics.intake.demo_changing import (
    ChangingConfig, generate_changing, rating_lag1_correlation, rating_transition,
)
from analytics.intake.schema import EMPLOYEES, GENERATIONS, JOB_HISTORY, MENTORSHIPS, PROGRAM_TYPES
from analytics.store import database
from tests.companies import CHANGING, build, changing_config

SMALL = ChangingConfig(n_employees=3000, seed=11)


@pytest.fixture(scope="module")
def small():
    return generate_changing(SMALL)


@pytest.fixture(scope="module")
def null_company():
    return generate_changing(changing_config("changing_null"))


@pytest.fixture(scope="module")
def effect_company():
    return generate_changing(changing_config("changing_effect"))


# --- the true path of each person, from the frames an HR system exports ------------------------------------------

def intervals(data, as_of: str | None = None) -> pd.DataFrame:
    """(start, stop] in days since hire with each person's level, salary, rating and mentoring state (0 never,
    1 in a mentorship, 2 after it) as they were; event = a voluntary exit at stop; `promoted_at_stop` = the next
    row is a promotion."""
    emp = data.employees.set_index("employee_id")
    end = emp["termination_date"].fillna(pd.Timestamp(as_of or data.truth["config"]["as_of"]))
    cols = ["job_level", "salary", "performance_rating"]
    hist = data.job_history.copy()
    hist[cols] = hist.groupby("employee_id")[cols].ffill()
    m = data.mentorships
    starts = m[["mentee_id", "start_date"]].set_axis(["employee_id", "effective_date"], axis=1).assign(state=1.0)
    ends = (m.loc[m["end_date"].notna(), ["mentee_id", "end_date"]]
            .set_axis(["employee_id", "effective_date"], axis=1).assign(state=2.0))
    hist = hist.merge(pd.concat([starts, ends]), on=["employee_id", "effective_date"], how="outer")
    hist = hist[hist["effective_date"] < hist["employee_id"].map(end)]
    hist = hist.sort_values(["employee_id", "effective_date", "state"], kind="stable")
    hist[cols + ["state"]] = hist.groupby("employee_id")[cols + ["state"]].ffill()
    hist = hist.drop_duplicates(["employee_id", "effective_date"], keep="last").copy()
    hist["state"] = hist["state"].fillna(0.0)
    hire = hist["employee_id"].map(emp["hire_date"])
    nxt = hist.groupby("employee_id")["effective_date"].shift(-1)
    hist["promoted_at_stop"] = hist.groupby("employee_id")["change_reason"].shift(-1).eq("promotion")
    last = nxt.isna()
    hist["start"] = (hist["effective_date"] - hire).dt.days
    hist["stop"] = (nxt.fillna(hist["employee_id"].map(end)) - hire).dt.days
    hist["event"] = (last & hist["employee_id"].map(emp["termination_reason"]).eq("voluntary")).astype(int)
    for c in ("department", "location", "birth_year"):
        hist[c] = hist["employee_id"].map(emp[c])
    return hist[hist["stop"] > hist["start"]].reset_index(drop=True)


def snapshot_intervals(data) -> pd.DataFrame:
    """As the product sees the company today: one value per person (the export), mentored from the first start."""
    emp = data.employees
    first = data.mentorships.groupby("mentee_id")["start_date"].min()
    end = emp["termination_date"].fillna(pd.Timestamp(data.truth["config"]["as_of"]))
    total = (end - emp["hire_date"]).dt.days.to_numpy(float)
    s = (emp["employee_id"].map(first) - emp["hire_date"]).dt.days.to_numpy(float)
    vol = emp["termination_reason"].eq("voluntary").to_numpy()
    has = np.isfinite(s) & (s < total)
    before = emp.assign(start=0.0, stop=np.where(has, s, total), event=np.where(has, 0, vol).astype(int), state=0.0)
    after = emp[has].assign(start=s[has], stop=total[has], event=vol[has].astype(int), state=1.0)
    out = pd.concat([before, after], ignore_index=True)
    return out[out["stop"] > out["start"]].reset_index(drop=True)


def design(iv: pd.DataFrame, states: str = "ever") -> pd.DataFrame:
    """The voluntary model's covariates (the true model's form) and mentoring: `ever` (from the first start on)
    or `both` (while and after, apart)."""
    gen = pd.cut(iv["birth_year"], [0] + [hi for _, _, hi in GENERATIONS], labels=[g for g, _, _ in GENERATIONS])
    X = pd.concat([pd.get_dummies(iv["department"], prefix="d", drop_first=True),
                   pd.get_dummies(iv["location"], prefix="loc", drop_first=True),
                   pd.get_dummies(gen, prefix="g", drop_first=True),
                   pd.get_dummies(iv["job_level"], prefix="lv", drop_first=True)], axis=1).astype(float)
    X["rating"] = iv["performance_rating"].astype(float).to_numpy()
    X["log_salary"] = np.log(iv["salary"].astype(float).to_numpy())
    if states == "both":
        X["while"] = (iv["state"] == 1).to_numpy(float)
        X["after"] = (iv["state"] == 2).to_numpy(float)
    else:
        X["mentored"] = (iv["state"] > 0).to_numpy(float)
    return X


def cox(iv: pd.DataFrame, X: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """Hazard ratio and 95% CI of every column: Cox partial likelihood, Breslow ties, (start, stop] risk sets."""
    from scipy import sparse

    start, stop = iv["start"].to_numpy(float), iv["stop"].to_numpy(float)
    event = iv["event"].to_numpy().astype(bool)
    x = X.to_numpy(float)
    x = x - x.mean(axis=0)
    times = np.unique(stop[event])
    k, p = times.size, x.shape[1]
    first = np.searchsorted(times, start, side="right")   # at risk from the first event time after start
    last = np.searchsorted(times, stop, side="right") - 1  # ... to the last one at or before stop
    keep = last >= first
    xk, f, l = x[keep], first[keep], last[keep]
    rows = np.arange(f.size)
    risk = sparse.csr_matrix((np.r_[np.ones(f.size), -np.ones(f.size)], (np.r_[f, l + 1], np.r_[rows, rows])),
                             shape=(k + 1, f.size))
    deaths = np.bincount(np.searchsorted(times, stop[event]), minlength=k).astype(float)
    x_events = x[event].sum(axis=0)
    beta = np.zeros(p)
    for _ in range(30):
        w = np.exp(xk @ beta - (xk @ beta).max())
        xw = xk * w[:, None]
        s0 = np.cumsum(risk @ w)[:k]
        s1 = np.cumsum(risk @ xw, axis=0)[:k]
        s2 = np.cumsum(risk @ (xk[:, :, None] * xw[:, None, :]).reshape(f.size, p * p), axis=0)[:k].reshape(k, p, p)
        mean = s1 / s0[:, None]
        grad = x_events - deaths @ mean
        info = np.einsum("t,tij->ij", deaths, s2 / s0[:, None, None] - mean[:, :, None] * mean[:, None, :])
        step = np.linalg.solve(info, grad)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    se = np.sqrt(np.diag(np.linalg.inv(info)))
    return {c: (float(np.exp(b)), float(np.exp(b - 1.96 * s)), float(np.exp(b + 1.96 * s)))
            for c, b, s in zip(X.columns, beta, se)}


def _ratings_by_review(data) -> pd.DataFrame:
    h = data.job_history
    return h[h["change_reason"].isin(["rating", "pay_change", "promotion"]) & h["performance_rating"].notna()]


# --- the checks ---------------------------------------------------------------------------------------------------

def test_the_same_config_gives_identical_frames_and_another_seed_others(small):
    again = generate_changing(SMALL)
    for name in ("employees", "mentorships", "job_history"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(again, name))
    assert json.dumps(small.truth, sort_keys=True) == json.dumps(again.truth, sort_keys=True)
    other = generate_changing(ChangingConfig(n_employees=3000, seed=12))
    assert not other.job_history["performance_rating"].equals(small.job_history["performance_rating"])


def test_the_frames_have_the_contracts_columns(small):
    assert list(small.employees.columns) == EMPLOYEES.names
    assert list(small.mentorships.columns) == MENTORSHIPS.names
    assert list(small.job_history.columns) == JOB_HISTORY.names
    assert set(small.job_history["change_reason"]) <= {"hire", "promotion", "pay_change", "rating"}
    assert 0.75 < small.mentorships["end_date"].notna().mean() < 1  # ongoing at the as-of date: no end date


def test_twenty_thousand_people_take_a_few_seconds():
    t0 = time.perf_counter()
    generate_changing(ChangingConfig(n_employees=20000, seed=5))
    assert time.perf_counter() - t0 < 8.0


def test_ratings_change_stay_in_1_to_5_and_persist_as_stated(null_company):
    reviews = _ratings_by_review(null_company)
    assert reviews["performance_rating"].between(1, 5).all()
    h = null_company.job_history
    rated = h[h["performance_rating"].notna()]
    prev = rated.groupby("employee_id")["performance_rating"].shift(1)
    pairs = pd.DataFrame({"a": prev, "b": rated["performance_rating"]})[rated["change_reason"] != "hire"].dropna()
    pairs = pairs.astype(int)
    assert 0.2 < (pairs["a"] != pairs["b"]).mean() < 0.6        # ratings do move
    assert (np.abs(pairs["a"] - pairs["b"]) <= 1).all()          # a point at a time
    stated = np.array(null_company.truth["changes"]["rating_transition"])
    counts = pd.crosstab(pairs["a"], pairs["b"]).reindex(index=range(1, 6), columns=range(1, 6), fill_value=0)
    observed = counts.to_numpy() / counts.to_numpy().sum(axis=1, keepdims=True)
    assert np.abs(observed - stated).max() < 0.03
    corr = np.corrcoef(pairs["a"], pairs["b"])[0, 1]
    assert abs(corr - null_company.truth["changes"]["rating_lag1_correlation"]) < 0.05
    assert corr > 0.5                                             # the well rated tend to stay well rated
    share = reviews["performance_rating"].value_counts(normalize=True).sort_index()
    assert np.abs(share.to_numpy() - np.array(list(PERFORMANCE_SHARE.values()))).max() < 0.05


def test_the_transition_keeps_the_rating_shares_and_less_movement_means_more_persistence():
    pi = np.array(list(PERFORMANCE_SHARE.values()))
    for move in (0.3, 1.0):
        p = rating_transition(move)
        assert np.allclose(p.sum(axis=1), 1) and (p >= 0).all()
        assert np.allclose(pi @ p, pi)
    assert rating_lag1_correlation(rating_transition(0.3)) > rating_lag1_correlation(rating_transition(1.0))


def _mantel_haenszel_rate_ratio(iv: pd.DataFrame, exposed: pd.Series, event: pd.Series, strata: list[str]) -> float:
    g = iv.assign(exposed=exposed.to_numpy(), ev=event.to_numpy().astype(float), pt=(iv["stop"] - iv["start"]))
    t = g.groupby(strata + ["exposed"])[["ev", "pt"]].sum().unstack("exposed").fillna(0.0)
    total = t["pt"][True] + t["pt"][False]
    num = (t["ev"][True] * t["pt"][False] / total).sum()
    den = (t["ev"][False] * t["pt"][True] / total).sum()
    return float(num / den)


def test_promotions_are_faster_for_the_well_rated_and_once_mentored(effect_company, null_company):
    iv = intervals(effect_company)
    iv = iv[iv["job_level"] != "L5"]
    high = iv["performance_rating"] >= 4
    low = iv["performance_rating"] <= 2
    rate = lambda rows: iv.loc[rows, "promoted_at_stop"].sum() / (iv.loc[rows, "stop"] - iv.loc[rows, "start"]).sum()
    assert rate(high) > 1.5 * rate(low)
    # the promotion factor once mentored, within level and rating: 1.5 here, 1 where it is switched off
    rr = _mantel_haenszel_rate_ratio(iv, iv["state"] > 0, iv["promoted_at_stop"], ["job_level", "performance_rating"])
    assert effect_company.truth["mentoring_effect"]["promotion_hr_if_mentored"] == 1.5
    assert 1.3 < rr < 1.75
    iv0 = intervals(null_company)
    iv0 = iv0[iv0["job_level"] != "L5"]
    rr0 = _mantel_haenszel_rate_ratio(iv0, iv0["state"] > 0, iv0["promoted_at_stop"],
                                      ["job_level", "performance_rating"])
    assert 0.85 < rr0 < 1.15


def test_no_history_row_falls_outside_employment(small):
    h = small.job_history.merge(small.employees[["employee_id", "hire_date", "termination_date"]], on="employee_id")
    assert (h["effective_date"] >= h["hire_date"]).all()
    assert (h["effective_date"] < h["termination_date"].fillna(pd.Timestamp.max)).all()
    assert (h["effective_date"] <= pd.Timestamp(small.truth["config"]["as_of"])).all()
    hires = h[h["change_reason"] == "hire"]
    assert len(hires) == len(small.employees) and (hires["effective_date"] == hires["hire_date"]).all()
    assert not h.duplicated(["employee_id", "effective_date"]).any()
    assert hires[["job_level", "salary", "performance_rating", "department", "location"]].notna().all().all()
    m = small.mentorships.merge(small.employees, left_on="mentee_id", right_on="employee_id")
    assert (m["start_date"] > m["hire_date"]).all()
    assert (m["start_date"] < m["termination_date"].fillna(pd.Timestamp.max)).all()
    assert (m["end_date"].isna() | (m["end_date"] <= m["termination_date"].fillna(pd.Timestamp.max))).all()


def test_the_snapshot_is_the_historys_last_values(small):
    cols = ["job_level", "department", "location", "manager_id", "salary", "performance_rating"]
    h = small.job_history.copy()
    h[cols] = h.groupby("employee_id")[cols].ffill()
    last = h.groupby("employee_id").tail(1).set_index("employee_id")[cols]
    snap = small.employees.set_index("employee_id")[cols].loc[last.index]
    for c in cols:
        a = last[c].astype(object).where(last[c].notna(), "")
        b = snap[c].astype(object).where(snap[c].notna(), "")
        if c in ("salary", "performance_rating"):
            assert np.array_equal(last[c].astype(float).to_numpy(), snap[c].astype(float).to_numpy()), c
        else:
            assert (a == b).all(), c
    assert (small.job_history["change_reason"] == "promotion").sum() == small.truth["realised"]["promotions"]


def test_mentoring_goes_to_the_currently_well_rated(null_company):
    iv = intervals(null_company)
    # the first start's rate per person-year by the rating at the time, among those not yet mentored
    never = iv[iv["state"] == 0]
    started = never["employee_id"].map(null_company.mentorships.groupby("mentee_id")["start_date"].min())
    first_at_stop = (started - never["employee_id"].map(null_company.employees.set_index("employee_id")["hire_date"])
                     ).dt.days.eq(never["stop"])
    by = never.assign(ev=first_at_stop, pt=never["stop"] - never["start"]).groupby("performance_rating")[["ev", "pt"]].sum()
    rate = by["ev"] / by["pt"]
    assert rate.is_monotonic_increasing and rate[5] > 8 * rate[3] > 8 * 8 * rate[1] / 10
    # the rating on the day mentoring starts is higher than the same people's rating in the export
    ments = iv[(iv["state"] == 1)].drop_duplicates("employee_id")
    at_start = ments["performance_rating"].astype(float).mean()
    exported = null_company.employees.set_index("employee_id").loc[ments["employee_id"], "performance_rating"].mean()
    assert at_start > exported + 0.2


def test_without_any_effect_the_world_without_mentoring_has_the_same_exits():
    data = generate_changing(ChangingConfig(n_employees=5000, seed=3, promotion_hr_if_mentored=1.0))
    o = data.outcomes
    assert np.isfinite(o["first_start_day"]).sum() > 1000
    same_day = np.ceil(o["exit_time"].fillna(np.inf)) == np.ceil(o["exit_time_without"].fillna(np.inf))
    assert same_day.all() and (o["exit_cause"] == o["exit_cause_without"]).all() and (o["level"] == o["level_without"]).all()
    total = data.truth["mentoring_effect"]["total_effect_1y"]
    assert total["risk_ratio"] == 1.0
    # and with an effect the two worlds part (for the mentored only)
    moved = generate_changing(ChangingConfig(n_employees=5000, seed=3, direct_hr_while_mentored=0.7)).outcomes
    differs = ~np.isclose(moved["exit_time"], moved["exit_time_without"], rtol=0, atol=1e-6) & np.isfinite(
        moved["exit_time"] + moved["exit_time_without"])
    assert differs.any() and np.isfinite(moved.loc[differs, "first_start_day"]).all()


def test_the_truth_records_the_effects_and_the_total(effect_company, null_company):
    t = effect_company.truth["mentoring_effect"]
    assert (t["direct_hr_while_mentored"], t["direct_hr_after_end"], t["promotion_hr_if_mentored"]) == (0.7, 0.7, 1.5)
    total = t["total_effect_1y"]
    assert total["n"] > 1000 and total["risk_ratio"] < 0.85 and total["risk_with"] < total["risk_without"]
    assert 0.2 < effect_company.truth["realised"]["coverage"] < 0.45
    assert null_company.truth["mentoring_effect"]["total_effect_1y"]["risk_ratio"] == 1.0
    json.dumps(effect_company.truth, allow_nan=False)


def test_a_programmes_factor_multiplies_both_direct_factors_exactly(small):
    """Every programme at 0.7 is the direct factors at 0.7, frame for frame; a factor for one programme moves the
    exits of that programme's mentees only."""
    both = generate_changing(replace(SMALL, direct_hr_while_mentored=0.7, direct_hr_after_end=0.7))
    each = generate_changing(replace(SMALL, programme_hr={t: 0.7 for t in PROGRAM_TYPES}))
    for name in ("employees", "mentorships", "job_history", "outcomes"):
        pd.testing.assert_frame_equal(getattr(both, name), getattr(each, name))
    assert each.truth["mentoring_effect"]["realised_mix_while"] == pytest.approx(0.7)
    trad = generate_changing(replace(SMALL, programme_hr={"traditional": 0.5}))
    moved = small.outcomes["employee_id"][~np.isclose(small.outcomes["exit_time"].fillna(-1),
                                                      trad.outcomes["exit_time"].fillna(-1), rtol=0, atol=1e-9)]
    assert len(moved) > 20
    traditional = pd.concat([d.mentorships for d in (small, trad)]).query("program_type == 'traditional'")
    assert set(moved) <= set(traditional["mentee_id"])
    effect = trad.truth["mentoring_effect"]
    assert effect["direct_hr_while_by_programme"]["traditional"] == 0.5
    assert effect["direct_hr_after_by_programme"]["group"] == 1.0
    assert 0.5 < effect["realised_mix_while"] < 1.0  # traditional is the largest programme, not the only one


@pytest.mark.parametrize("kw, match", [({"programme_hr": {"mentoring": 0.7}}, "programme_hr"),
                                       ({"programme_hr": {"group": 0.0}}, "programme_hr"),
                                       ({"manager_mentor_share": 1.5}, "manager_mentor_share")])
def test_bad_programme_and_manager_knobs_are_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        ChangingConfig(**kw)


def test_a_share_of_traditional_mentors_are_the_line_manager_and_nothing_else_moves(small):
    managed = generate_changing(replace(SMALL, manager_mentor_share=0.25))
    for name in ("employees", "job_history", "outcomes"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(managed, name))
    boss = small.employees.set_index("employee_id")["manager_id"]

    def by_manager(ms: pd.DataFrame) -> pd.Series:
        return ms["mentor_id"].notna() & (ms["mentor_id"].to_numpy() == boss.loc[ms["mentee_id"]].to_numpy())

    assert not by_manager(small.mentorships).any()  # off by default
    ms = managed.mentorships
    mine = by_manager(ms)
    trad = ms["program_type"] == "traditional"
    assert 0.12 < mine[trad].mean() <= 0.25 and not mine[~trad].any()
    # the manager is senior to the mentee on the start day (levels as they were, from the job history)
    levels = small.job_history.dropna(subset=["job_level"]).sort_values("effective_date")
    pairs = ms[mine].sort_values("start_date")

    def level_on_start(who: str) -> pd.Series:
        on = pd.merge_asof(pairs[["start_date", who]].rename(columns={who: "employee_id"}).reset_index(),
                           levels[["employee_id", "effective_date", "job_level"]], left_on="start_date",
                           right_on="effective_date", by="employee_id")
        return on.set_index("index")["job_level"]

    assert (level_on_start("mentor_id") > level_on_start("mentee_id")).all()


def test_mentors_chosen_on_the_start_day_may_leave_before_the_end(small):
    """By default a mentor is employed past the relationship's end (chosen for staying); off, they are employed
    on the start day only, and the relationship runs on when they leave. Nothing but the mentors moves."""
    loose = generate_changing(replace(SMALL, mentor_employed_until_end=False))
    for name in ("employees", "job_history", "outcomes"):
        pd.testing.assert_frame_equal(getattr(small, name), getattr(loose, name))
    pd.testing.assert_frame_equal(*(d.mentorships.drop(columns="mentor_id") for d in (small, loose)))
    term = small.employees.set_index("employee_id")["termination_date"]

    def mentor_left(ms: pd.DataFrame) -> pd.Series:
        ms = ms[ms["mentor_id"].notna()]
        left = term.loc[ms["mentor_id"]].to_numpy()
        assert not (left <= ms["start_date"].to_numpy()).any()  # employed on the start day
        return pd.Series(left < ms["end_date"].fillna(pd.Timestamp(SMALL.as_of)).to_numpy())

    assert not mentor_left(small.mentorships).any()
    assert mentor_left(loose.mentorships).mean() > 0.02


def test_the_time_varying_fit_recovers_the_truth_where_the_snapshot_is_biased(null_company, effect_company):
    """On 20,000 people: the true covariates as they were recover the direct hazard ratio within the 95% CI, in
    the null company and the effect company; the export's one value per person says mentoring lowers exits in
    the null company (the upper CI below 1)."""
    iv = intervals(null_company)
    fit = cox(iv, design(iv))["mentored"]
    assert fit[1] < 1.0 < fit[2], fit
    snap = snapshot_intervals(null_company)
    biased = cox(snap, design(snap))["mentored"]
    assert biased[2] < 1.0, biased
    iv = intervals(effect_company)
    fit = cox(iv, design(iv))["mentored"]
    assert fit[1] < 0.7 < fit[2], fit


def test_the_kinds_build_a_database_through_the_load_path(tmp_path):
    con = database.connect(build("changing_effect", tmp_path / "changing.duckdb"))
    try:
        truth = database.metadata(con, "demo_truth")
        assert database.is_demo(con) and database.metadata(con, "as_of") == str(CHANGING["changing_effect"].config.as_of)
        assert truth["mentoring_effect"]["direct_hr_while_mentored"] == 0.7
        assert truth["config"]["n_employees"] == 20000
    finally:
        con.close()


def test_the_product_takes_the_three_frames_with_no_row_set_aside(small):
    from analytics.intake.prepare import plan_from_frames

    plan = plan_from_frames(small.employees, small.mentorships, job_history=small.job_history)
    assert len(plan.rejects) == 0
    assert len(plan.job_history.frame) == len(small.job_history)


# --- measuring on other seeds -------------------------------------------------------------------------------------

def measure(kind: str, seed: int, n_employees: int | None = None) -> dict:
    cfg = changing_config(kind, seed)
    data = generate_changing(cfg if n_employees is None else replace(cfg, n_employees=n_employees))
    iv, snap = intervals(data), snapshot_intervals(data)
    return {"kind": kind, "seed": seed, "time_varying": cox(iv, design(iv))["mentored"],
            "both": {k: v for k, v in cox(iv, design(iv, "both")).items() if k in ("while", "after")},
            "snapshot": cox(snap, design(snap))["mentored"], "truth": data.truth["mentoring_effect"]["total_effect_1y"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.test_demo_changing")
    parser.add_argument("--seeds", default="1-6")
    parser.add_argument("--kinds", default="changing_null,changing_effect")
    parser.add_argument("--n-employees", type=int, default=None, help="default: the kind's own (20,000)")
    args = parser.parse_args(argv)
    lo, _, hi = args.seeds.partition("-")
    f = lambda e: f"{e[0]:.3f} ({e[1]:.3f}-{e[2]:.3f})"
    print("| kind | seed | time-varying, true covariates | while / after | snapshot | total effect 1y (risk ratio) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind in args.kinds.split(","):
        for seed in range(int(lo), int(hi or lo) + 1):
            r = measure(kind, seed, args.n_employees)
            print(f"| {kind} | {seed} | {f(r['time_varying'])} | {f(r['both']['while'])} / {f(r['both']['after'])} | "
                  f"{f(r['snapshot'])} | {r['truth']['risk_ratio']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
