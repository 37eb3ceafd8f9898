"""Cox proportional-hazards models on counting-process rows, fitted with statsmodels PHReg.

Three statsmodels traps are handled here (each has a test):

* `PHReg` ties default to Breslow; we always pass ties="efron" (R coxph, lifelines).
* With `entry`, PHReg counts a row whose entry equals an event time as at risk at that
  time; R does not (risk set start < t <= stop).  The partial likelihood depends on the
  times only through their order, so we hand PHReg rank-coded times in which every
  entry sits strictly between the event time it equals and the next one (exact, no
  epsilon).
* PHReg's baseline cumulative hazard is shifted by one event time and ignores Efron's
  tie correction, so `baseline_cumulative_hazard_` is computed here (R basehaz(centered=
  FALSE) for an Efron fit).

The proportional-hazards test follows R >= 3.0 cox.zph: a score test for adding
x * g(t) at the fitted beta.  Methods and sources: docs/methods.md.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from analytics.km import (
    KaplanMeier,
    check_counting_process,
    check_labels,
    check_level,
    ci_column_names,
    z_value,
)
from analytics.results import EstimationError, HazardRatio, SurvivalDataError, TestResult

TRANSFORMS = ("km", "rank", "identity", "log")


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


def _check_covariates(X, n: int) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise SurvivalDataError(f"X must be a pandas DataFrame, but was {type(X).__name__}")
    if X.shape[1] == 0:
        raise SurvivalDataError("X must have at least one column, but had none")
    if len(X) != n:
        raise SurvivalDataError(f"X must have the same length as stop ({n}), but had {len(X)}")
    out = {}
    for name in X.columns:
        try:
            column = pd.to_numeric(X[name]).to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise SurvivalDataError(f"X column {name!r} must be numeric, but was {X[name].dtype}") from None
        bad = np.flatnonzero(~np.isfinite(column))
        if bad.size:
            raise SurvivalDataError(f"X column {name!r} must be finite, but row {bad[0]} was {column[bad[0]]!r}")
        if np.ptp(column) == 0:
            raise SurvivalDataError(f"X column {name!r} is constant ({column[0]!r}); it has no hazard ratio")
        out[str(name)] = column
    return pd.DataFrame(out)


def _strata_codes(strata, n: int) -> np.ndarray:
    if strata is None:
        return np.zeros(n, dtype=int)
    return pd.factorize(check_labels(strata, "strata", n))[0]


def rank_coded_times(start: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order-preserving integer times for PHReg: stop -> 2*rank, start -> 2*rank + 1.

    An entry at an event time t becomes t + 1/2 on this scale, so PHReg (which counts
    entry <= t as at risk) sees R's risk set start < t <= stop.
    """
    values = np.unique(np.concatenate([start, stop]))
    return 2.0 * np.searchsorted(values, start) + 1.0, 2.0 * np.searchsorted(values, stop)


# ---------------------------------------------------------------------------
# Risk-set sums
# ---------------------------------------------------------------------------


def _risk_sums(start, stop, weights, times):
    """Sum of `weights` rows over the risk set start < t <= stop, for each t.

    Suffix sums: {stop >= t} minus {start >= t}; `weights` is (n, ...) shaped.
    """
    def suffix(keys):
        order = np.argsort(-keys, kind="stable")
        running = weights[order]
        np.cumsum(running, axis=0, out=running)  # running[j]: the j+1 largest keys
        count = len(keys) - np.searchsorted(np.sort(keys), times, side="left")
        out = np.zeros((len(times),) + weights.shape[1:])
        out[count > 0] = running[count[count > 0] - 1]
        return out

    return suffix(stop) - suffix(start)


def _efron_event_terms(start, stop, event, X, eta, strata):
    """Per distinct event time (within strata): score and information contributions.

    Returns a dict with event-time arrays `time`, `stratum`, `deaths` and `score`
    (T, p), `info` (T, p, p), plus per-death Schoenfeld residuals and their times.
    Efron's ties as in R's coxph / zph1.c.
    """
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
        s0 = _risk_sums(st, sp, w, times)
        s1 = _risk_sums(st, sp, xw, times)
        s2 = _risk_sums(st, sp, xxw, times)
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


# ---------------------------------------------------------------------------
# The fitted model
# ---------------------------------------------------------------------------


class CoxResult:
    """A fitted Cox model: coefficients, summary table, likelihoods, baseline hazard.

    `params_` (Series of log hazard ratios), `cov_` (DataFrame), `summary_` (DataFrame:
    covariate, coef, hazard_ratio, se, lower_<level>, upper_<level> on the hazard-ratio
    scale, z, p), `loglik_`, `loglik_null_`, `baseline_cumulative_hazard_`, `n` (rows),
    `events`.
    """

    def __init__(self, params, cov, loglik, loglik_null, data, level):
        self.level = level
        self.params_ = pd.Series(params, index=data["names"], name="coef")
        self.cov_ = pd.DataFrame(cov, index=data["names"], columns=data["names"])
        self.loglik_ = float(loglik)
        self.loglik_null_ = float(loglik_null)
        self.n = int(len(data["stop"]))
        self.events = int(data["event"].sum())
        self._data = data
        self.summary_ = self._summary()
        self.baseline_cumulative_hazard_ = self._baseline_cumulative_hazard()

    def _summary(self) -> pd.DataFrame:
        coef = self.params_.to_numpy()
        se = np.sqrt(np.diag(self.cov_.to_numpy()))
        z = coef / se
        zq = z_value(self.level)
        low_name, up_name = ci_column_names(self.level)
        return pd.DataFrame(
            {
                "covariate": self.params_.index,
                "coef": coef,
                "hazard_ratio": np.exp(coef),
                "se": se,
                low_name: np.exp(coef - zq * se),
                up_name: np.exp(coef + zq * se),
                "z": z,
                "p": 2 * stats.norm.sf(np.abs(z)),
            }
        )

    def hazard_ratio(self, name: str) -> HazardRatio:
        rows = self.summary_[self.summary_["covariate"] == name]
        if rows.empty:
            raise SurvivalDataError(f"name must be one of {list(self.params_.index)}, but was {name!r}")
        row = rows.iloc[0]
        low_name, up_name = ci_column_names(self.level)
        return HazardRatio(
            float(row["hazard_ratio"]),
            float(row[low_name]),
            float(row[up_name]),
            float(row["p"]),
            self.level,
            self.n,
            self.events,
        )

    def likelihood_ratio_test(self) -> TestResult:
        statistic = 2.0 * (self.loglik_ - self.loglik_null_)
        df = len(self.params_)
        return TestResult(statistic, df, float(stats.chi2.sf(statistic, df)), "likelihood ratio")

    def _event_terms(self, eta=None):
        d = self._data
        X = d["X"] - d["X"].mean(axis=0)  # centring keeps exp(eta) tame; results do not change
        if eta is None:
            eta = X @ self.params_.to_numpy()
        return _efron_event_terms(d["start"], d["stop"], d["event"], X, eta, d["strata"])

    def _baseline_cumulative_hazard(self) -> pd.DataFrame:
        """Efron-type Breslow estimate at X = 0, per stratum, at each event time."""
        d = self._data
        eta = d["X"] @ self.params_.to_numpy()
        risk = np.exp(eta)
        frames = []
        for s in np.unique(d["strata"]):
            rows = d["strata"] == s
            st, sp, ev, w = d["start"][rows], d["stop"][rows], d["event"][rows], risk[rows]
            times = np.unique(sp[ev == 1])
            if times.size == 0:
                continue
            total = _risk_sums(st, sp, w, times)
            slot = np.searchsorted(times, sp[ev == 1])
            deaths = np.bincount(slot, minlength=times.size)
            dead_risk = np.bincount(slot, weights=w[ev == 1], minlength=times.size)
            increment = np.zeros(times.size)
            for k in range(int(deaths.max())):
                live = deaths > k
                increment[live] += 1.0 / (total[live] - k / deaths[live] * dead_risk[live])
            frame = pd.DataFrame({"time": times, "cumulative_hazard": np.cumsum(increment)})
            if d["strata_labels"] is not None:
                frame.insert(0, "stratum", d["strata_labels"][s])
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def fit_cox(start, stop, event, X: pd.DataFrame, strata=None, level: float = 0.95) -> CoxResult:
    """Cox model with Efron ties and R's (start, stop] risk sets, via statsmodels PHReg."""
    start, stop, event = check_counting_process(start, stop, event)
    level = check_level(level)
    covariates = _check_covariates(X, len(stop))
    codes = _strata_codes(strata, len(stop))
    if event.sum() == 0:
        raise EstimationError("a Cox model needs at least one event, but event had none")
    labels = None if strata is None else pd.unique(check_labels(strata, "strata", len(stop)))
    entry_rank, stop_rank = rank_coded_times(start, stop)
    model = PHReg(
        stop_rank,
        covariates.to_numpy(),
        status=event,
        entry=entry_rank,
        strata=codes,
        ties="efron",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            fitted = model.fit(method="newton", maxiter=100)
        except (ConvergenceWarning, np.linalg.LinAlgError) as exc:
            raise EstimationError(f"the Cox model did not converge ({exc})") from None
    params = np.asarray(fitted.params)
    cov = np.asarray(fitted.cov_params())
    if not np.all(np.isfinite(params)) or not np.all(np.isfinite(cov)):
        raise EstimationError("the Cox model did not converge (non-finite estimates)")
    score = model.score(params)
    decrement = float(score @ cov @ score)  # Newton decrement: scale-free distance to the optimum
    if not decrement < 1e-8:
        raise EstimationError(f"the Cox model did not converge (Newton decrement {decrement:.3g} at the estimate)")
    data = {
        "start": start,
        "stop": stop,
        "event": event,
        "X": covariates.to_numpy(),
        "names": list(covariates.columns),
        "strata": codes,
        "strata_labels": labels,
    }
    return CoxResult(params, cov, model.loglike(params), model.loglike(np.zeros_like(params)), data, level)


# ---------------------------------------------------------------------------
# Proportional hazards: Grambsch-Therneau, R >= 3.0 cox.zph
# ---------------------------------------------------------------------------


def _time_transform(result: CoxResult, transform: str) -> np.ndarray:
    """g(stop) for every row, as cox.zph: km = 1 - left-continuous KM of all rows."""
    d = result._data
    stop = d["stop"]
    if transform == "km":
        km = KaplanMeier().fit(d["start"], stop, d["event"]).table_
        before = np.searchsorted(km["time"].to_numpy(), stop, side="left")
        return 1.0 - np.concatenate([[1.0], km["survival"].to_numpy()])[before]
    if transform == "rank":
        return stats.rankdata(stop)
    if transform == "identity":
        return stop.copy()
    if transform == "log":
        return np.log(stop)
    raise SurvivalDataError(f"transform must be one of {TRANSFORMS}, but was {transform!r}")


def _zph(result: CoxResult, transform: str):
    d = result._data
    g_rows = _time_transform(result, transform)
    g_rows_centered = g_rows - g_rows[d["event"] == 1].mean()
    terms = result._event_terms()
    # g at each event time: every row ending at that time shares it
    lookup = pd.Series(g_rows_centered, index=pd.MultiIndex.from_arrays([d["strata"], d["stop"]]))
    lookup = lookup[~lookup.index.duplicated()]
    g = lookup.loc[list(zip(terms["stratum"], terms["time"]))].to_numpy()
    p = len(result.params_)
    info = terms["info"]
    imat = np.zeros((2 * p, 2 * p))
    imat[:p, :p] = info.sum(axis=0)
    imat[:p, p:] = (g[:, None, None] * info).sum(axis=0)
    imat[p:, :p] = imat[:p, p:].T
    imat[p:, p:] = (g[:, None, None] ** 2 * info).sum(axis=0)
    u_time = (g[:, None] * terms["score"]).sum(axis=0)
    return terms, g_rows, imat, u_time


def ph_test(result: CoxResult, transform: str = "km", terms: dict | None = None) -> pd.DataFrame:
    """Grambsch-Therneau test per term and GLOBAL (term, chisq, df, p), as R >= 3.0 cox.zph.

    The score test, at the fitted beta, for adding x * g(t) with g the centred time
    transform.  `terms` maps a term name to its columns (e.g. one factor's dummies) for a
    joint test; by default each column is its own term.
    """
    names = list(result.params_.index)
    p = len(names)
    groups = terms or {name: [name] for name in names}
    for term, columns in groups.items():
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise SurvivalDataError(f"terms[{term!r}] must name covariates of the model, but had {unknown}")
    _, _, imat, u_time = _zph(result, transform)
    rows = []
    for term, columns in groups.items():
        idx = [names.index(c) for c in columns]
        keep = list(range(p)) + [p + i for i in idx]
        u = np.concatenate([np.zeros(p), u_time[idx]])
        rows.append((term, float(u @ np.linalg.solve(imat[np.ix_(keep, keep)], u)), len(idx)))
    u = np.concatenate([np.zeros(p), u_time])
    rows.append(("GLOBAL", float(u @ np.linalg.solve(imat, u)), p))
    table = pd.DataFrame(rows, columns=["term", "chisq", "df"])
    table["p"] = stats.chi2.sf(table["chisq"], table["df"])
    return table


def scaled_schoenfeld(result: CoxResult, transform: str = "km") -> pd.DataFrame:
    """Scaled Schoenfeld residuals (beta + d * V r, per stratum as cox.zph) for a plot.

    One row per event, sorted by stratum and time: time, transformed_time (g, uncentred,
    as cox.zph's x), stratum when the model has strata, then one column per covariate.
    A covariate constant within a stratum is NaN there (it played no part).
    """
    d = result._data
    terms, g_rows, imat, _ = _zph(result, transform)
    names = list(result.params_.index)
    p = len(names)
    resid = terms["resid"]
    resid_strata = terms["resid_stratum"]
    used = np.zeros((int(d["strata"].max()) + 1, p))
    for s in np.unique(d["strata"]):
        rows = d["strata"] == s
        varies = np.ptp(d["X"][rows], axis=0) > 0
        used[s] = varies * d["event"][rows].sum()
    weight = sum(np.minimum.outer(u, u) for u in used)
    vmean = imat[:p, :p] / np.where(weight == 0, 1.0, weight)
    scaled = np.full_like(resid, np.nan)
    for s in np.unique(resid_strata):
        k = np.flatnonzero(used[s] > 0)
        rows = resid_strata == s
        if k.size:
            scaled[np.ix_(rows, k)] = np.linalg.solve(vmean[np.ix_(k, k)], resid[np.ix_(rows, k)].T).T
    scaled += result.params_.to_numpy()
    g_lookup = pd.Series(g_rows, index=pd.MultiIndex.from_arrays([d["strata"], d["stop"]]))
    g_lookup = g_lookup[~g_lookup.index.duplicated()]
    frame = pd.DataFrame(
        {
            "time": terms["resid_time"],
            "transformed_time": g_lookup.loc[list(zip(resid_strata, terms["resid_time"]))].to_numpy(),
        }
    )
    if d["strata_labels"] is not None:
        frame["stratum"] = d["strata_labels"][resid_strata]
    frame = pd.concat([frame, pd.DataFrame(scaled, columns=names)], axis=1)
    order = np.lexsort((frame["time"].to_numpy(), resid_strata))
    return frame.iloc[order].reset_index(drop=True)
