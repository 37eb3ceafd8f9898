"""The vectorised Efron derivatives (analytics.estimation.efron.EfronPHReg) against statsmodels' own.

EfronPHReg must be PHReg with faster arithmetic: the same log partial likelihood, score
and Hessian as PHReg.efron_* on the same data (heavy ties, delayed entry at event times,
strata), and fit_cox must give the same fit as with a plain PHReg.  The event-time terms
of the cox.zph test are checked against the direct (n x p x p) computation, and neither
a fit nor the test may allocate anything near n x p x p.  Timings: benchmarks/cox_fit.py.
"""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.hazard_regression import PHReg

from analytics.common import errors
from analytics.estimation import cox, efron, patterns
from statsmodels.duration import hazard_regression
from analytics.estimation.cox import fit_cox, rank_coded_times
from analytics.estimation.efron import EfronPHReg
from analytics.estimation.zph import ph_test, scaled_schoenfeld

pytestmark = pytest.mark.filterwarnings("error")

REL = 1e-9


def assert_close(ours, theirs, rel=REL):
    """Equal up to rel times the largest magnitude (elements near 0 of a score vector
    cannot be compared one by one on a relative scale)."""
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape
    scale = max(np.max(np.abs(theirs)), 1e-300)
    assert np.max(np.abs(ours - theirs)) <= rel * scale, (ours, theirs)


def tied_rows(n_people: int, p: int, seed: int):
    """Counting-process rows with heavy ties (integer times 1..12), left truncation at
    integer times (so entries coincide with other people's exits), half the people split
    into two rows at an integer time, a time-varying binary first covariate, 3 strata."""
    rng = np.random.default_rng(seed)
    stop = rng.integers(1, 13, n_people).astype(float)
    event = (rng.random(n_people) < 0.6).astype(int)
    entry = np.where(rng.random(n_people) < 0.3, np.floor(rng.random(n_people) * stop), 0.0)
    base = rng.normal(size=(n_people, p))
    stratum = rng.choice(["a", "b", "c"], n_people)
    cut = np.floor(entry + rng.random(n_people) * (stop - entry))
    split = (rng.random(n_people) < 0.5) & (cut > entry)
    start, end, ev, x, st = [], [], [], [], []
    for i in range(n_people):
        pieces = [(entry[i], cut[i], 0, 0.0), (cut[i], stop[i], event[i], 1.0)] if split[i] else \
            [(entry[i], stop[i], event[i], float(rng.integers(0, 2)))]
        for a, b, e, flag in pieces:
            start.append(a)
            end.append(b)
            ev.append(e)
            x.append(np.concatenate([[flag], base[i, 1:]]))
            st.append(stratum[i])
    X = pd.DataFrame(np.array(x), columns=[f"x{j}" for j in range(p)])
    return np.array(start), np.array(end), np.array(ev), X, np.array(st)


def both_models(start, stop, event, X, strata):
    entry_rank, stop_rank = rank_coded_times(start, stop)
    codes = pd.factorize(strata)[0]
    fast = EfronPHReg(stop_rank, X.to_numpy(), status=event, entry=entry_rank, strata=codes)
    slow = PHReg(stop_rank, X.to_numpy(), status=event, entry=entry_rank, strata=codes, ties="efron")
    return fast, slow


@pytest.mark.parametrize("p", [1, 10])
@pytest.mark.parametrize("stratified", [False, True], ids=["one-stratum", "strata"])
def test_derivatives_equal_statsmodels_efron(p, stratified):
    start, stop, event, X, strata = tied_rows(300, p, seed=p)
    if not stratified:
        strata = np.zeros(len(stop))
    assert pd.Series(stop[event == 1]).value_counts().max() >= 5  # heavy ties
    assert np.isin(start[start > 0], stop[event == 1]).mean() > 0.5  # entries at event times
    fast, slow = both_models(start, stop, event, X, strata)
    rng = np.random.default_rng(100 + p)
    for params in (np.zeros(p), 0.3 * rng.normal(size=p), 2.0 * rng.normal(size=p)):
        assert_close(fast.loglike(params), slow.efron_loglike(params))
        assert_close(fast.score(params), slow.efron_gradient(params))
        assert_close(fast.hessian(params), slow.efron_hessian(params))


def test_derivatives_equal_statsmodels_on_raw_times():
    """Not rank-coded: entries equal to event times, a stratum without events, rows that
    end before the first event or start after the last one.  PHReg's own risk sets
    (entry <= t <= time) apply, as for any PHReg."""
    start, stop, event, X, strata = tied_rows(200, 3, seed=5)
    stop = np.append(stop, [3.0, 4.0, 0.5, 12.0])
    start = np.append(start, [0.0, 1.0, 0.0, 11.5])
    event = np.append(event, [0, 0, 0, 0])
    strata = np.append(strata, ["none", "none", "a", "a"])
    X = pd.concat([X, pd.DataFrame(np.ones((4, 3)), columns=X.columns)], ignore_index=True)
    codes = pd.factorize(strata)[0]
    fast = EfronPHReg(stop, X.to_numpy(), status=event, entry=start, strata=codes)
    slow = PHReg(stop, X.to_numpy(), status=event, entry=start, strata=codes, ties="efron")
    params = np.array([0.5, -0.2, 0.1])
    assert_close(fast.loglike(params), slow.efron_loglike(params))
    assert_close(fast.score(params), slow.efron_gradient(params))
    assert_close(fast.hessian(params), slow.efron_hessian(params))


@pytest.mark.parametrize("layout", ["rows", "columns"])
def test_rows_in_the_models_order_are_read_where_they_are(layout):
    """The fast path: one stratum, rows ordered by when they end (as the follow-up holds them), some never at
    risk at an event time (ending before the first exit, or entering after the last). They are used as given,
    those with no weight, and every derivative equals statsmodels' own to 1e-9."""
    start, stop, event, X, _ = tied_rows(400, 6, seed=11)
    first_exit, last_exit = stop[event == 1].min(), stop[event == 1].max()
    start = np.append(start, [0.0, 0.0, last_exit + 1, last_exit + 0.5])
    stop = np.append(stop, [first_exit - 0.5, first_exit - 0.25, last_exit + 3, last_exit + 2])
    event = np.append(event, [0, 0, 0, 0])
    X = pd.concat([X, pd.DataFrame(np.full((4, 6), 5.0), columns=X.columns)], ignore_index=True)
    order = np.argsort(stop, kind="stable")
    start, stop, event, X = start[order], stop[order], event[order], X.iloc[order].reset_index(drop=True)
    entry_rank, stop_rank = rank_coded_times(start, stop)
    x = np.ascontiguousarray(X.to_numpy()) if layout == "rows" else np.asfortranarray(X.to_numpy())
    fast = EfronPHReg(stop_rank, x, status=event, entry=entry_rank)
    slow = PHReg(stop_rank, X.to_numpy(), status=event, entry=entry_rank, ties="efron")
    assert fast._risk.in_order and fast._risk.weighted is not None and fast._risk.weighted.size == len(stop) - 4
    assert (fast._x.x is x) == (layout == "rows")  # read where they are, not copied
    rng = np.random.default_rng(12)
    for params in (np.zeros(6), 0.3 * rng.normal(size=6), 1.5 * rng.normal(size=6)):
        assert_close(fast.loglike(params), slow.efron_loglike(params))
        assert_close(fast.score(params), slow.efron_gradient(params))
        assert_close(fast.hessian(params), slow.efron_hessian(params))


def by_pattern(X: pd.DataFrame, numbers: int) -> patterns.PatternColumns:
    """X's columns held by pattern: the last `numbers` row by row, the rest by each row's pattern of them."""
    binary = X.iloc[:, : X.shape[1] - numbers].to_numpy()
    code, uniques = pd.factorize(pd.Series(map(tuple, binary)))
    first = patterns.pattern_first_rows(code, len(uniques))
    k = binary.shape[1]
    return patterns.PatternColumns(code, binary[first], X.iloc[:, k:].to_numpy(), range(k), range(k, X.shape[1]),
                              list(X.columns))


@pytest.mark.parametrize("in_order", [True, False], ids=["rows-in-order", "rows-reordered"])
def test_columns_held_by_pattern_give_the_same_fit(in_order):
    """A model of characteristics held by pattern (patterns.PatternColumns: no rows x columns block): the same
    estimates, covariance, likelihoods and baseline hazard as a frame of the same columns, to 1e-9, with the
    rows in the models' order (read as they are) or not (then put in order); cox.zph's terms too."""
    start, stop, event, X, _ = grouped_rows(700, seed=3)
    if in_order:
        order = np.argsort(stop, kind="stable")
        start, stop, event, X = start[order], stop[order], event[order], X.iloc[order].reset_index(drop=True)
    held = by_pattern(X, numbers=2)
    assert len(held.values) < len(X) / 4
    np.testing.assert_allclose(held.gram(), np.c_[np.ones(len(X)), X].T @ np.c_[np.ones(len(X)), X], rtol=1e-12)
    np.testing.assert_array_equal(held.dense(), X.to_numpy())
    plain, fast = fit_cox(start, stop, event, X), fit_cox(start, stop, event, held)
    assert_close(fast.params_.to_numpy(), plain.params_.to_numpy())
    assert_close(fast.cov_.to_numpy(), plain.cov_.to_numpy())
    assert fast.loglik_ == pytest.approx(plain.loglik_, rel=REL)
    assert fast.loglik_null_ == pytest.approx(plain.loglik_null_, rel=REL)
    pd.testing.assert_frame_equal(fast.baseline_cumulative_hazard_, plain.baseline_cumulative_hazard_, rtol=REL)
    pd.testing.assert_frame_equal(ph_test(fast), ph_test(plain), rtol=1e-7)


def test_columns_held_by_pattern_are_checked_and_dropped_by_name():
    start, stop, event, X, _ = grouped_rows(300, seed=4)
    held = by_pattern(X, numbers=2)
    fewer = held.without(["level=2", "log_salary"])
    assert fewer.names == [c for c in X.columns if c not in ("level=2", "log_salary")]
    np.testing.assert_array_equal(fewer.dense(), X.drop(columns=["level=2", "log_salary"]).to_numpy())
    constant = by_pattern(X.assign(**{"level=2": 0.0}), numbers=2)
    with pytest.raises(errors.SurvivalDataError, match="level=2.*constant"):
        fit_cox(start, stop, event, constant)
    broken = by_pattern(X.assign(log_salary=np.where(np.arange(len(X)) == 5, np.nan, X["log_salary"])), numbers=2)
    with pytest.raises(errors.SurvivalDataError, match="log_salary.*finite"):
        fit_cox(start, stop, event, broken)


def grouped_rows(n_people: int, seed: int, numbers: int = 2):
    """tied_rows with the covariates of a model of characteristics: three characteristics' dummies (a few
    groups each, so that many rows share a pattern of them), the time-varying flag, and `numbers` numeric
    columns (a salary's logarithm, a 1-5 rating) that differ from row to row."""
    start, stop, event, X, strata = tied_rows(n_people, 1, seed)
    rng = np.random.default_rng(seed + 1)
    columns = {"flag": X["x0"].to_numpy()}
    for name, groups in (("department", 5), ("level", 4), ("site", 3)):
        codes = rng.integers(0, groups, len(stop))
        columns.update({f"{name}={k}": (codes == k).astype(float) for k in range(1, groups)})
    if numbers:
        columns["log_salary"] = rng.normal(11, 0.4, len(stop))
    if numbers > 1:
        columns["rating"] = rng.integers(1, 6, len(stop)).astype(float)
    return start, stop, event, pd.DataFrame(columns), strata


@pytest.mark.parametrize("numbers", [0, 2])
@pytest.mark.parametrize("stratified", [False, True], ids=["one-stratum", "strata"])
def test_sums_by_pattern_equal_sums_by_row(numbers, stratified, monkeypatch):
    """Rows grouped by their pattern of 0/1 columns (_Patterns): the linear predictor and X' diag(v) X summed
    per pattern give statsmodels' own derivatives to 1e-9, and so does the row-by-row sum they replace."""
    start, stop, event, X, strata = grouped_rows(600, seed=7 + numbers, numbers=numbers)
    if not stratified:
        strata = np.zeros(len(stop))
    fast, slow = both_models(start, stop, event, X, strata)
    assert fast._patterns is not None and fast._patterns.count < len(stop) / 4
    assert list(fast._patterns.other) == list(range(X.shape[1] - numbers, X.shape[1]))  # the numbers: by row
    monkeypatch.setattr(patterns, "PATTERN_SHARE", 0.0)
    by_rows, _ = both_models(start, stop, event, X, strata)
    assert by_rows._patterns is None
    rng = np.random.default_rng(8)
    for params in (np.zeros(X.shape[1]), 0.3 * rng.normal(size=X.shape[1]), rng.normal(size=X.shape[1])):
        for model in (fast, by_rows):
            assert_close(model.loglike(params), slow.efron_loglike(params))
            assert_close(model.score(params), slow.efron_gradient(params))
            assert_close(model.hessian(params), slow.efron_hessian(params))


def test_indicators_beside_columns_held_by_pattern(monkeypatch):
    """A segment's model: its own 0/1 indicators (the flag in one department, the flag elsewhere) beside the
    headline's columns held by pattern, each row's pattern now both: the same fit as a frame of the same
    columns summed row by row, to 1e-9."""
    start, stop, event, X, _ = grouped_rows(800, seed=21)
    order = np.argsort(stop, kind="stable")
    start, stop, event, X = start[order], stop[order], event[order], X.iloc[order].reset_index(drop=True)
    flag, department = X["flag"].to_numpy(), X["department=1"].to_numpy()
    own = np.c_[flag * department, flag * (1 - department)].astype(bool)
    held = by_pattern(X, numbers=2).without(["flag"]).beside(own, ["flag in department 1", "flag elsewhere"])
    frame = pd.concat([pd.DataFrame(own.astype(float), columns=held.names[:2]), X.drop(columns="flag")], axis=1)
    np.testing.assert_array_equal(held.dense(), frame.to_numpy())
    fast = fit_cox(start, stop, event, held)
    monkeypatch.setattr(patterns, "PATTERN_SHARE", 0.0)
    plain = fit_cox(start, stop, event, frame)
    assert_close(fast.params_.to_numpy(), plain.params_.to_numpy())
    assert_close(fast.cov_.to_numpy(), plain.cov_.to_numpy())
    assert fast.loglik_ == pytest.approx(plain.loglik_, rel=REL)


def test_cache_follows_params_and_hands_out_copies():
    start, stop, event, X, strata = tied_rows(150, 4, seed=3)
    fast, slow = both_models(start, stop, event, X, strata)
    a, b = np.full(4, 0.2), np.full(4, -0.4)
    fast.loglike(a)
    assert_close(fast.hessian(b), slow.efron_hessian(b))
    assert_close(fast.score(a), slow.efron_gradient(a))
    hess = fast.hessian(a)
    hess[0, 0] += 1.0  # statsmodels' Newton adds its ridge in place
    assert_close(fast.hessian(a), slow.efron_hessian(a))
    # statsmodels' own loop-based methods still work on the subclass (surv built lazily)
    assert_close(fast.efron_loglike(a), fast.loglike(a))


def test_fit_does_not_build_statsmodels_survival_index(monkeypatch):
    """PHSurvivalTime loops over every row in Python; fitting must not need it."""
    def refuse(*args, **kwargs):
        raise AssertionError("PHSurvivalTime built during fit_cox")

    monkeypatch.setattr(efron, "PHSurvivalTime", refuse)
    start, stop, event, X, strata = tied_rows(200, 2, seed=4)
    fit_cox(start, stop, event, X, strata=strata)


@pytest.mark.parametrize("p", [1, 10])
def test_fit_cox_equals_the_statsmodels_path(p, monkeypatch):
    start, stop, event, X, strata = tied_rows(400, p, seed=20 + p)
    fast = fit_cox(start, stop, event, X, strata=strata)
    monkeypatch.setattr(cox, "EfronPHReg", lambda *args, **kwargs: PHReg(*args, ties="efron", **kwargs))
    slow = fit_cox(start, stop, event, X, strata=strata)
    assert_close(fast.params_.to_numpy(), slow.params_.to_numpy())
    assert_close(fast.cov_.to_numpy(), slow.cov_.to_numpy())
    assert fast.loglik_ == pytest.approx(slow.loglik_, rel=REL)
    assert fast.loglik_null_ == pytest.approx(slow.loglik_null_, rel=REL)
    pd.testing.assert_frame_equal(fast.baseline_cumulative_hazard_, slow.baseline_cumulative_hazard_, rtol=REL)
    pd.testing.assert_frame_equal(fast.summary_, slow.summary_, rtol=1e-7)


def test_newton_stops_a_step_before_statsmodels_with_the_same_figures(monkeypatch):
    """fit_cox's Newton loop (EfronPHReg.fit) stops once the next step would be far below statsmodels'
    tolerance: one evaluation of the derivatives fewer than statsmodels' own loop on the same model (here
    from a poor start, steps 2.1e-3 then 5.5e-7), and the same estimates, covariance and likelihoods to 1e-9."""
    start, stop, event, X, strata = grouped_rows(2000, seed=31)
    begin = np.full(X.shape[1], 1.0)
    counted = []
    second_order = EfronPHReg._second_order
    monkeypatch.setattr(EfronPHReg, "_second_order", lambda self, c: counted.append(1) or second_order(self, c))
    ours = fit_cox(start, stop, event, X, strata=strata, start_params=begin)
    ours_count = len(counted)
    counted.clear()
    from statsmodels.base.model import LikelihoodModel

    def statsmodels_fit(self, **args):  # statsmodels' own Newton on the same derivatives
        fitted = LikelihoodModel.fit(self, **{**args, "disp": False})
        results = hazard_regression.PHRegResults(self, fitted.params, fitted.cov_params())
        results.mle_retvals = fitted.mle_retvals
        return results

    monkeypatch.setattr(EfronPHReg, "fit", statsmodels_fit)
    theirs = fit_cox(start, stop, event, X, strata=strata, start_params=begin)
    assert ours_count == len(counted) - 1
    assert_close(ours.params_.to_numpy(), theirs.params_.to_numpy())
    assert_close(ours.cov_.to_numpy(), theirs.cov_.to_numpy())
    assert ours.loglik_ == pytest.approx(theirs.loglik_, rel=REL)
    assert ours.loglik_null_ == pytest.approx(theirs.loglik_null_, rel=REL)


def test_memory_stays_far_below_n_p_p():
    """130,000 rows x 35 covariates must not need an n x p x p array (about 1 GB): peak
    allocations of a fit and of the cox.zph test at 20,000 rows x 30 covariates stay
    under a third of n p^2 doubles (an n x p x p array alone would be 145 MB)."""
    start, stop, event, X, strata = tied_rows(15_000, 30, seed=9)
    n_p_p_bytes = len(stop) * 30 * 30 * 8
    tracemalloc.start()
    try:
        fit = fit_cox(start, stop, event, X, strata=strata)
        _, fit_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        ph_test(fit)
        _, ph_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert fit_peak < n_p_p_bytes / 3
    assert ph_peak < n_p_p_bytes / 3


# ---------------------------------------------------------------------------
# Event-time terms of the proportional-hazards test (cox.zph)
# ---------------------------------------------------------------------------


def einsum_event_terms(start, stop, event, X, eta, strata):
    """The former analytics.estimation.efron.efron_event_terms, kept as a reference: direct but
    builds n x p x p arrays (about 1 GB at 130,000 rows x 35 covariates)."""
    p = X.shape[1]
    risk = np.exp(eta)
    terms = {"time": [], "stratum": [], "deaths": [], "score": [], "info": []}
    resid_rows, resid_time, resid_stratum = [], [], []
    for s in np.unique(strata):
        rows = strata == s
        st, sp, ev, x, w = start[rows], stop[rows], event[rows], X[rows], risk[rows]
        times = np.unique(sp[ev == 1])
        if times.size == 0:
            continue
        xw = x * w[:, None]
        xxw = np.einsum("ni,nj,n->nij", x, x, w)
        s0 = efron.risk_sums(st, sp, w, times)
        s1 = efron.risk_sums(st, sp, xw, times)
        s2 = efron.risk_sums(st, sp, xxw, times)
        died = ev == 1
        slot = np.searchsorted(times, sp[died])
        d = np.bincount(slot, minlength=times.size).astype(float)
        d0 = np.bincount(slot, weights=w[died], minlength=times.size)
        d1 = np.zeros((times.size, p))
        np.add.at(d1, slot, xw[died])
        d2 = np.zeros((times.size, p, p))
        np.add.at(d2, slot, xxw[died])
        xsum = np.zeros((times.size, p))
        np.add.at(xsum, slot, x[died])
        mean_sum = np.zeros((times.size, p))
        info = np.zeros((times.size, p, p))
        for k in range(int(d.max())):
            live = d > k
            f = ((k + 1) / d[live])  # Efron: the tied deaths count 1/d, 2/d, ..., 1
            den = s0[live] - d0[live] + f * d0[live]
            xbar = (s1[live] - d1[live] + f[:, None] * d1[live]) / den[:, None]
            second = (s2[live] - d2[live] + f[:, None, None] * d2[live]) / den[:, None, None]
            mean_sum[live] += xbar
            info[live] += second - xbar[:, :, None] * xbar[:, None, :]
        terms["time"].append(times)
        terms["stratum"].append(np.full(times.size, s))
        terms["deaths"].append(d)
        terms["score"].append(xsum - mean_sum)
        terms["info"].append(info)
        resid_rows.append(x[died] - (mean_sum / d[:, None])[slot])
        resid_time.append(sp[died])
        resid_stratum.append(np.full(int(died.sum()), s))
    out = {key: np.concatenate(value) for key, value in terms.items()}
    out["resid"] = np.concatenate(resid_rows)
    out["resid_time"] = np.concatenate(resid_time)
    out["resid_stratum"] = np.concatenate(resid_stratum)
    return out



@pytest.mark.parametrize("p", [1, 10])
def test_event_terms_equal_the_direct_computation(p):
    start, stop, event, X, strata = tied_rows(300, p, seed=40 + p)
    fit = fit_cox(start, stop, event, X, strata=strata)
    d = fit._data
    x = d["X"] - d["X"].mean(axis=0)
    eta = x @ fit.params_.to_numpy()
    ours = efron.efron_event_terms(d["start"], d["stop"], d["event"], x, eta, d["strata"])
    direct = einsum_event_terms(d["start"], d["stop"], d["event"], x, eta, d["strata"])
    assert ours.keys() == direct.keys()
    for key in ("time", "stratum", "deaths", "resid_time", "resid_stratum"):
        np.testing.assert_array_equal(ours[key], direct[key])
    for key in ("score", "resid"):
        assert_close(ours[key], direct[key], rel=1e-10)
    for t in range(len(ours["time"])):
        assert_close(ours["info"][t], direct["info"][t], rel=1e-10)
    # and what uses them: the cox.zph test and the scaled Schoenfeld residuals run
    assert np.isfinite(ph_test(fit)["chisq"]).all()
    assert len(scaled_schoenfeld(fit)) == event.sum()
