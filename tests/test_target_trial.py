"""The target trial (analytics/estimation/trial.py): sequential monthly trials of starting mentoring against not
(yet) starting, per protocol with censoring weights, standardised to the starters, in risks.

The truth is the simulation's (analytics/intake/demo_changing.py): the same people simulated with and without
mentoring on the same random numbers, so each starter's exit without mentoring is known. The trial's estimand is
the effect on the starters of starting in a month (counted from the next month's first day, when everyone in the
trial is still employed) on a voluntary exit within 12 months."""
from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analytics.common.policy import TRIAL_MIN_TENURE_DAYS
from analytics.estimation.trial import month_of, month_start, target_trial
from analytics.intake.demo_changing import generate_changing
from analytics.intake.prepare import plan_from_frames
from analytics.store import database, loads, queries
from tests import companies


def trial_truth(data, as_of, months: int = 12) -> dict:
    """The true effect on the trial's starters (see the module): each starter's voluntary exit in the `months` months
    from the first day after their starting month, with mentoring (as it happened) and without (the same person,
    the same random numbers)."""
    e, o = data.employees, data.outcomes
    hire = pd.to_datetime(e["hire_date"]).to_numpy("datetime64[D]")
    s = o["first_start_day"].to_numpy(float)
    has = np.isfinite(s)
    h = hire[has]
    k = month_of(h + s[has].astype(np.int64).astype("timedelta64[D]"))
    last_complete = month_of([as_of])[0] - 1
    eligible = (month_start(k) >= h + np.timedelta64(TRIAL_MIN_TENURE_DAYS, "D")) & (k + months <= last_complete)

    def exit_date(t):  # the export's termination date: hire + the exit's day rounded up (demo_changing._term_day)
        t = np.asarray(t, float)
        return h + np.where(np.isfinite(t), np.ceil(np.nan_to_num(t, posinf=0.0)), 1e6).astype(np.int64).astype(
            "timedelta64[D]")

    lo, hi = month_start(k + 1), month_start(k + months + 1)
    with_, without = (exit_date(o[c].to_numpy(float)[has]) for c in ("exit_time", "exit_time_without"))
    starters = eligible & (with_ >= lo)
    left_with = (o["exit_cause"].to_numpy()[has] == 0) & (with_ >= lo) & (with_ < hi)
    left_without = (o["exit_cause_without"].to_numpy()[has] == 0) & (without >= lo) & (without < hi)
    return {"n": int(starters.sum()), "risk_with": float(left_with[starters].mean()),
            "risk_without": float(left_without[starters].mean()),
            "difference": float(left_with[starters].mean() - left_without[starters].mean())}


def _company(kind: str, path, seed: int | None = None, n: int | None = None):
    """A changing company (tests/companies.py's kinds), loaded with its job history as the demo is."""
    cfg = companies.changing_config(kind, seed)
    if n is not None:
        cfg = replace(cfg, n_employees=n)
    data = generate_changing(cfg)
    con = database.connect(path)
    try:
        plan = plan_from_frames(data.employees, data.mentorships, job_history=data.job_history)
        loads.load_plan(con, plan, source="demo", metadata={"as_of": data.truth["config"]["as_of"]})
    finally:
        con.close()
    return data, cfg, path


@pytest.fixture(scope="module")
def effect_company(tmp_path_factory):
    return _company("changing_effect", tmp_path_factory.mktemp("trial") / "effect.duckdb")


@pytest.fixture(scope="module")
def effect_trial(effect_company):
    """The trial on the company with an effect, with the product's settings (computed once for the tests that read
    it)."""
    return _trial(effect_company[2])


def _trial(db, **kw):
    con = database.connect(db, read_only=True)
    try:
        return target_trial(con, **kw)
    finally:
        con.close()


def test_the_trial_recovers_the_effect_on_starters_and_balances_the_rating(effect_company, effect_trial):
    data, cfg, db = effect_company
    truth = trial_truth(data, cfg.as_of)
    result = effect_trial
    twelve = result.by_horizon[12]
    d = twelve.difference
    # the known truth: 12 months after starting, mentoring (hazard ratio 0.7 while and after, promotions 1.5 times
    # as fast) takes about 2.4 points off a 9% risk (simulated with and without mentoring on the same numbers)
    assert truth["difference"] < -0.01
    assert d.lower <= truth["difference"] <= d.upper
    assert d.upper < 0  # fewer leave, and the range says so
    assert twelve.risk_not_mentored.lower <= truth["risk_without"] <= twelve.risk_not_mentored.upper
    # mentoring goes to the well rated: the rating differs by more than a standard deviation before weighting,
    # and by under 0.1 after (Austin 2009's threshold)
    rating = next(b for b in result.balance if b.characteristic == "rating")
    assert rating.smd_before > 1.0 and abs(rating.smd_after) < 0.1
    assert max(abs(b.smd_after) for b in result.balance) < 0.1
    # the censoring weights are stabilised: their mean is about 1 (Cole & Hernán 2008, AJE 168:656, check the mean),
    # where the unstabilised ones' largest was 235 times their median on the demo company
    censoring = result.weights["censoring"]
    assert abs(censoring["mean"] - 1) < 0.1 and 0.5 < censoring["median"] < 1.5, censoring
    # mentoring does not change involuntary exits in this company: the negative control's range covers 0
    nc = result.negative_control.difference
    assert nc.lower <= 0 <= nc.upper
    # risks grow with the horizon, in both arms
    for arm in ("risk_mentored", "risk_not_mentored"):
        values = [getattr(result.by_horizon[m], arm).estimate for m in (12, 24, 36)]
        assert values == sorted(values)
    payload = result.to_dict()
    assert set(payload["by_horizon"]) == {"12", "24", "36"}
    assert payload["negative_control"]["outcome"] == "involuntary"
    assert payload["starters"] == result.starters > 1000


def test_sampling_the_comparisons_stays_within_its_own_range_of_keeping_them_all(effect_company, effect_trial):
    _, _, db = effect_company
    sampled = effect_trial.by_horizon[12]
    every = _trial(db, controls_per_starter=float("inf"), nonstart_sample=float("inf")).by_horizon[12]
    se = (sampled.difference.upper - sampled.difference.lower) / (2 * 1.96)
    assert abs(sampled.difference.estimate - every.difference.estimate) < se
    # kept in proportion to their odds of starting, ten per starter carry nearly all the information of the 60 times
    # as many: the range is about as wide (uniform sampling at the same rate made it 18% wider on this company)
    width = lambda e: e.upper - e.lower  # noqa: E731
    assert 0.9 * width(every.difference) < width(sampled.difference) < 1.1 * width(every.difference)


# ------------------------------------------------------------------ a plain reference

def _logit(y, X, w=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=w)
        return model.fit(method="newton", maxiter=100).params


def plain_reference(db, months: int = 12) -> float:
    """The trial done the plain way (TrialEmulation's): every eligible person-month, no sampling; a pooled logistic
    model of starting for the censoring weights; a pooled logistic model of each exit's monthly hazard over every
    followed person-month (start or not, month of follow-up, the characteristics at the trial's start), weighted by
    the censoring weights; each starter's 12-month risk predicted with and without starting, averaged."""
    con = database.connect(db, read_only=True)
    try:
        as_of = queries.snapshot(con).as_of
        emp = con.execute("SELECT employee_id, hire_date, termination_date, termination_reason, job_level, "
                          "department, salary, performance_rating FROM employees").df()
        ms = con.execute("SELECT mentee_id, start_date FROM mentorships").df()
        hist = con.execute("SELECT * FROM job_history ORDER BY effective_date").df()
    finally:
        con.close()
    as_of = pd.Timestamp(as_of)
    emp["hire_date"], emp["termination_date"] = (pd.to_datetime(emp[c]) for c in ("hire_date", "termination_date"))
    exited = emp["termination_date"].notna() & (emp["termination_date"] <= as_of)
    end = emp["termination_date"].where(exited, as_of)
    ms = ms.merge(emp[["employee_id", "hire_date"]], left_on="mentee_id", right_on="employee_id")
    ms["from"] = np.maximum(pd.to_datetime(ms["start_date"]), ms["hire_date"])
    ms = ms.merge(pd.DataFrame({"employee_id": emp["employee_id"], "end": end}), on="employee_id")
    first = ms[ms["from"] < ms["end"]].groupby("employee_id")["from"].min()
    start = emp["employee_id"].map(first)
    mon = lambda d: d.dt.year * 12 + d.dt.month - 1  # noqa: E731
    s_month = mon(start).fillna(10**9).astype(np.int64).to_numpy()
    e_month = np.where(exited, mon(emp["termination_date"]).fillna(0), 10**9).astype(np.int64)
    last_complete = as_of.year * 12 + as_of.month - 1 - 1
    launch = int(s_month[s_month < 10**9].min())
    ready = emp["hire_date"] + pd.Timedelta(days=TRIAL_MIN_TENURE_DAYS)
    first_m = mon(ready).to_numpy() + (ready.dt.day > 1).to_numpy()
    first_m = np.maximum(first_m, launch)
    last_m = np.minimum.reduce([s_month, e_month, np.full(len(emp), last_complete)])
    n = np.maximum(last_m - first_m + 1, 0)
    pm = pd.DataFrame({"p": np.repeat(np.arange(len(emp)), n)})
    pm["month"] = np.repeat(first_m, n) + (np.arange(len(pm)) - np.repeat(np.cumsum(n) - n, n))
    pm["employee_id"] = emp["employee_id"].to_numpy()[pm["p"]]
    pm["day"] = pd.to_datetime(dict(year=pm["month"] // 12, month=pm["month"] % 12 + 1, day=1)).astype(
        "datetime64[ns]")
    # each characteristic as it was on the month's first day: the latest history value, else the file's
    for c in ("job_level", "department", "salary", "performance_rating"):
        h = hist[["employee_id", "effective_date", c]].dropna()
        h = h.assign(effective_date=pd.to_datetime(h["effective_date"]).astype("datetime64[ns]"))
        h = h.sort_values("effective_date")
        pm = pd.merge_asof(pm.sort_values("day"), h.rename(columns={"effective_date": "day", c: f"{c}_h"}),
                           on="day", by="employee_id", direction="backward")
        pm[c] = pm[f"{c}_h"].where(pm[f"{c}_h"].notna(), emp[c].to_numpy()[pm["p"]])
    pm = pm.sort_values(["p", "month"], ignore_index=True)
    tenure = (pm["day"] - emp["hire_date"].to_numpy()[pm["p"]]).dt.days / 30.4375
    pm["tenure"] = pd.cut(tenure, [0, 6, 12, 24, 48, np.inf], right=False).astype(str)
    pm["year"] = (pm["month"] // 12).astype(str)
    pm["log_salary"] = np.log(pm["salary"].astype(float))
    pm["rating"] = pm["performance_rating"].astype(float)
    X = pd.get_dummies(pm[["job_level", "department", "tenure", "year"]], drop_first=True, dtype=float)
    X[["log_salary", "rating"]] = pm[["log_salary", "rating"]] - pm[["log_salary", "rating"]].mean()
    X.insert(0, "const", 1.0)
    y = (pm["month"].to_numpy() == s_month[pm["p"]]).astype(float)
    beta = _logit(y, X)
    p = 1 / (1 + np.exp(-(X.to_numpy() @ np.asarray(beta))))
    cum = pd.Series(-np.log1p(-p)).groupby(pm["p"].to_numpy()).cumsum().to_numpy()
    entry = (e_month[pm["p"]] > pm["month"].to_numpy()) & (pm["month"].to_numpy() < last_complete)
    rows = np.flatnonzero(entry)
    k, who = pm["month"].to_numpy()[rows], pm["p"].to_numpy()[rows]
    arm = k == s_month[who]
    room = np.minimum(months, last_complete - k)
    to_exit, to_start = e_month[who] - k, np.where(arm, 10**9, s_month[who] - k)
    length = np.minimum.reduce([room, to_exit, to_start - 1])
    ended = (to_exit <= room) & (to_exit < to_start)
    voluntary = emp["termination_reason"].to_numpy(object)[who] == "voluntary"
    row_of = np.repeat(np.arange(rows.size), length)
    j = np.arange(row_of.size) - np.repeat(np.cumsum(length) - length, length) + 1
    last = j == length[row_of]
    vol = (last & ended[row_of] & voluntary[row_of]).astype(float)
    other = (last & ended[row_of] & ~voluntary[row_of]).astype(float)
    # censoring weights: 1 / P(not started in months k+1..k+j), for the comparisons
    w = np.where(arm[row_of], 1.0, np.exp(cum[rows[row_of] + j] - cum[rows[row_of]]))
    base = X.to_numpy()[rows]
    a = arm[row_of].astype(float)
    design = np.column_stack([base[row_of], a, j, j ** 2, a * j])
    hazards = [np.asarray(_logit(outcome, design, w)) for outcome in (vol, other)]
    starters = base[arm]
    risk = {}
    for treated in (1.0, 0.0):
        alive, total = np.ones(len(starters)), np.zeros(len(starters))
        for jj in range(1, months + 1):
            d = np.column_stack([starters, np.full(len(starters), treated), np.full(len(starters), jj),
                                 np.full(len(starters), jj ** 2), np.full(len(starters), treated * jj)])
            hv, ho = (1 / (1 + np.exp(-(d @ b))) for b in hazards)
            total += alive * hv
            alive *= 1 - hv - ho
        risk[treated] = total.mean()
    return risk[1.0] - risk[0.0]


def test_the_trial_equals_the_plain_way_within_its_range(tmp_path):
    _, _, db = _company("changing_effect", tmp_path / "small.duckdb", n=6000)
    result = _trial(db).by_horizon[12].difference
    reference = plain_reference(db)
    se = (result.upper - result.lower) / (2 * 1.96)
    assert abs(result.estimate - reference) < se, (result, reference)


# ------------------------------------------------------------------ recovery over many companies

@pytest.mark.slow
@pytest.mark.parametrize("kind", ["changing_effect", "changing_null"])
def test_the_difference_covers_the_truth_in_18_of_20_companies_at_12_24_and_36_months(kind, tmp_path):
    """Each horizon's difference covers the truth (exactly 0 where mentoring does nothing) in at least 18 of 20
    companies. Measured on 8 December 2026 (make test-all): with an effect 19, 18 and 18 of 20 at 12, 24 and 36 months
    (estimates' means -0.027, -0.046, -0.062 against the truths' -0.026, -0.043, -0.062); where mentoring does nothing
    19, 19 and 19 (docs/methods.md, "Like with like at the moment mentoring begins")."""
    covered, rows = {m: 0 for m in (12, 24, 36)}, {m: [] for m in (12, 24, 36)}
    for seed in range(101, 121):
        data, cfg, db = _company(kind, tmp_path / f"{kind}-{seed}.duckdb", seed=seed)
        result = _trial(db)
        for m in (12, 24, 36):
            truth = trial_truth(data, cfg.as_of, m)["difference"]
            d = result.by_horizon[m].difference
            covered[m] += d.lower <= truth <= d.upper
            rows[m].append((seed, round(truth, 4), round(d.estimate, 4), round(d.lower, 4), round(d.upper, 4)))
        db.unlink()
    print(kind, covered, rows)
    assert all(c >= 18 for c in covered.values()), (covered, rows)


# ------------------------------------------------------------------ the credibility panel on Methods

def test_methods_shows_the_trial_in_risk_terms_with_its_checks(monkeypatch, effect_company, effect_trial):
    from analytics.outputs import messages
    from analytics.words import verdict
    from tests.test_app import assert_clean, open_app, shown

    _, _, db = effect_company
    result = effect_trial
    at = open_app(monkeypatch, db, "views/methods.py")
    assert_clean(at)
    assert "Like with like at the moment mentoring begins (a target trial)" in [h.value for h in at.subheader]
    sentence = next(shown(m.value) for m in at.markdown if "Of 100 people who start mentoring" in shown(m.value))
    d = result.by_horizon[12].difference
    assert verdict.risk_change(d) == verdict.FEWER and " fewer leave voluntarily within a year" in sentence
    assert f"about {abs(d.estimate) * 100:.1f} fewer" in sentence
    assert f"{result.comparison_people:,} similar colleagues" in sentence
    captions = [shown(c.value) for c in at.caption]
    assert any(c.startswith("Balance: the largest standardised difference") for c in captions)
    assert any(c.startswith("Negative control:") and "no clear difference" in c for c in captions)
    assert messages.trial_sentence(result) == sentence
    # the starters are fewer than the people ever mentored, and the page says why, each reason with its count
    assert result.mentored == result.starters + sum(result.not_starters.values())
    assert result.not_starters["early"] > 0
    why = next(c for c in captions if c.startswith(f"Of the {result.mentored:,} people whose mentoring began"))
    assert f"{result.starters:,} are the trial's starters" in why
    assert f"{result.not_starters['early']:,} began within their first 90 days in post" in why
    # a filtered group's trial counts are to the nearest 5, as its other counts, so that two cannot be subtracted
    filtered = " ".join([messages.trial_sentence(result, rounded=True), *messages.trial_checks(result, rounded=True)])
    for n in (result.comparison_people, result.starters, result.comparisons, result.mentored):
        assert f"about {5 * round(n / 5):,}" in filtered and (n % 5 == 0 or f"{n:,}" not in filtered), n


@pytest.mark.parametrize("difference, words", [
    ((-0.03, -0.05, -0.01),
     "about 3.0 fewer leave voluntarily within a year than if they had not (range 1.0 to 5.0 fewer)"),
    ((0.03, 0.01, 0.05),
     "about 3.0 more leave voluntarily within a year than if they had not (range 1.0 to 5.0 more)"),
    ((-0.01, -0.03, 0.01), "we cannot tell whether fewer or more leave voluntarily within a year than if they had not: "
                           "the range runs from 3.0 fewer to 1.0 more (about 1.0 fewer at the estimate)"),
])
def test_the_words_follow_the_difference_and_its_range(difference, words, effect_trial):
    from analytics.estimation.results import Estimate
    from analytics.outputs import messages

    result = effect_trial
    twelve = result.by_horizon[12]
    changed = replace(result, by_horizon={12: replace(twelve, difference=Estimate(*difference))})
    assert words in messages.trial_sentence(changed)


def test_the_ranges_are_clustered_by_manager_when_the_data_name_one():
    from analytics.estimation.trial import _clusters

    people = pd.DataFrame({"manager_id": ["M1", "M1", None, "M2", "M2"]})
    codes, n, by = _clusters(people)
    assert by == "manager" and n == 3  # two managers, and the person without one on their own
    assert codes[0] == codes[1] and codes[3] == codes[4] and len({codes[0], codes[2], codes[3]}) == 3
    codes, n, by = _clusters(pd.DataFrame({"manager_id": [None, None, "M1"]}))  # most have none: by person
    assert by == "person" and n == 3 and list(codes) == [0, 1, 2]


def test_the_simulated_company_is_clustered_by_its_managers(effect_trial):
    result = effect_trial
    assert result.clustered_by == "manager" and result.to_dict()["clustered_by"] == "manager"


# ------------------------------------------------------------------ summary --json

def test_summary_json_carries_the_trial_as_the_methods_panel_shows_it(effect_company, effect_trial):
    import json

    from analytics.case import summary
    from analytics.outputs import messages

    _, _, db = effect_company
    con = database.connect(db, read_only=True)
    try:
        out = json.loads(json.dumps(summary.summarise(con)["target_trial"]))
    finally:
        con.close()
    assert set(out) == {"starters", "comparisons", "by_horizon", "balance", "negative_control"}
    assert set(out["by_horizon"]) == {"12", "24", "36"}
    estimate = {"estimate", "lower", "upper"}
    for h in out["by_horizon"].values():
        assert set(h) == {"risk_mentored", "risk_not_mentored", "difference", "ratio"}
        assert all(set(e) == estimate and e["lower"] <= e["estimate"] <= e["upper"] for e in h.values())
        for arm in ("risk_mentored", "risk_not_mentored"):  # risks on a 0-1 scale
            assert 0 <= h[arm]["lower"] and h[arm]["upper"] <= 1
    assert out["balance"] and all(set(b) == {"characteristic", "smd_before", "smd_after"} for b in out["balance"])
    assert out["negative_control"]["outcome"] == "involuntary" and set(out["negative_control"]["difference"]) == estimate
    # the Methods panel's figures, from the same data: the same numbers
    result = effect_trial
    assert isinstance(out["starters"], int) and out["starters"] == result.starters
    assert out["comparisons"] == result.comparisons
    table = messages.trial_table(result)
    for row, (m, h) in zip(table.itertuples(), out["by_horizon"].items()):
        assert row.within == f"{m} months"
        assert row.mentored == f"{h['risk_mentored']['estimate'] * 100:.1f}%"
        assert row._3 == f"{h['risk_not_mentored']['estimate'] * 100:.1f}%"
        assert row._4 == f"{h['difference']['estimate'] * 100:+.1f}"
    balance = messages.balance_frame(result)
    assert list(balance["characteristic"]) == [b["characteristic"] for b in out["balance"]]
    assert list(balance["after"]) == [round(b["smd_after"], 3) for b in out["balance"]]
    assert out["negative_control"]["difference"] == result.negative_control.difference.to_dict()


def test_the_ranges_use_the_exact_gradient_of_the_standardised_risk():
    """The delta method's gradient of the starters' average incidence had they not started, in each hazard model's
    coefficients, against central differences (relative difference 1.4e-9 when written)."""
    from analytics.estimation.trial import _basis, _standardised

    rng = np.random.default_rng(1)
    n, k, months = 200, 5, (12, 24, 36)
    Xs = np.column_stack([np.ones(n), rng.normal(size=(n, k - 1))])
    F = _basis(max(months))
    fitted = {c: (np.r_[rng.normal(-4, 0.3), rng.normal(0, 0.3, k - 1), rng.normal(0, 0.2, F.shape[1])], None, None)
              for c in (1, 2, 3)}
    _, _, gradients = _standardised(Xs, F, fitted, (1, 2), months)

    def total(models, c, m):
        return _standardised(Xs, F, models, (c,), (m,))[1][(c, m)].sum()

    for (c, m, d), analytic in gradients.items():
        numeric = np.zeros(analytic.size)
        for j in range(analytic.size):
            shifted = [{dd: (b + (dd == d) * s * 1e-6 * np.eye(b.size)[j], None, None)
                        for dd, (b, _, _) in fitted.items()} for s in (1, -1)]
            numeric[j] = (total(shifted[0], c, m) - total(shifted[1], c, m)) / 2e-6
        assert np.max(np.abs(numeric - analytic)) < 1e-6 * np.max(np.abs(numeric)), (c, m, d)
