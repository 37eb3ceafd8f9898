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

Speed: PHReg's efron_loglike/gradient/hessian loop in Python over every event time and
its constructor loops over every row, so fits use `EfronPHReg` (efron.py), a PHReg whose
derivatives are vectorised (see its docstring) and whose Newton loop takes statsmodels'
steps but stops one evaluation sooner (see its `fit`); statsmodels' PHRegResults carries
the inference.  A model of characteristics can hold its columns by pattern
(`PatternColumns`, patterns.py: no rows x columns block at a million rows).  Same numbers as PHReg
to 1e-9 (tests/test_cox_speed.py).

The proportional-hazards test (zph.py) follows R >= 3.0 cox.zph: a score test for adding
x * g(t) at the fitted beta.  Methods and sources: docs/methods.md.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from analytics.common.errors import EstimationError, SurvivalDataError
from analytics.estimation.efron import EfronPHReg, efron_event_terms, risk_sums
from analytics.estimation.kept import digest, kept_or_made, read_only
from analytics.estimation.km import check_counting_process, check_labels, check_level, ci_column_names, z_value
from analytics.estimation.patterns import PatternColumns, check_column, dense_columns
from analytics.estimation.results import HazardRatio, TestResult


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
    names = [str(name) for name in X.columns]
    if all(dtype == np.float64 for dtype in X.dtypes) and len(set(names)) == len(names):
        values = X.to_numpy()  # the frame's own block when it has one, else one copy of it
        if values.flags.f_contiguous or values.flags.c_contiguous:  # one block: checked and used as it is
            high, low = values.max(axis=0), values.min(axis=0)  # (NaN in a column makes both NaN)
            if not (np.isfinite(high).all() and np.isfinite(low).all()) or np.any(high == low):
                for j, name in enumerate(X.columns):  # which column, in words
                    check_column(name, values[:, j])
            return pd.DataFrame(values, columns=names)
    # Each column checked and written straight into the frame's one block (columns x rows, as a frame built
    # from the columns would hold them), so the rows are not held twice over while the frame is made.
    block = np.empty((X.shape[1], n))
    out: dict[str, int] = {}  # name -> its row in the block (a name given twice: its last column, first place)
    for j, name in enumerate(X.columns):
        try:
            column = pd.to_numeric(X[name]).to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise SurvivalDataError(f"X column {name!r} must be numeric, but was {X[name].dtype}") from None
        check_column(name, column)
        block[j] = column
        out[str(name)] = j
    if len(out) == X.shape[1]:
        return pd.DataFrame(block.T, columns=list(out))
    return pd.DataFrame({name: block[j] for name, j in out.items()})


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

    @cached_property
    def baseline_cumulative_hazard_(self) -> pd.DataFrame:
        """Computed on first use: most callers only want the hazard ratios."""
        return self._baseline_cumulative_hazard()

    def _summary(self) -> pd.DataFrame:
        coef = self.params_.to_numpy()
        variance = np.diag(self.cov_.to_numpy())
        # a covariate the data cannot pin down (e.g. a group with no exits) gets an unbounded
        # interval, not an overflow; callers decide whether that coefficient matters
        se = np.sqrt(np.where(variance > 0, variance, np.nan))
        z = coef / se
        zq = z_value(self.level)
        low_name, up_name = ci_column_names(self.level)
        with np.errstate(over="ignore"):
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
        X = dense_columns(d["X"])
        X = X - X.mean(axis=0)  # centring keeps exp(eta) tame; results do not change
        if eta is None:
            eta = X @ self.params_.to_numpy()
        return efron_event_terms(d["start"], d["stop"], d["event"], X, eta, d["strata"])

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
            total = risk_sums(st, sp, w, times)
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


def fit_cox(start, stop, event, X: pd.DataFrame | PatternColumns, strata=None, level: float = 0.95,
            start_params=None) -> CoxResult:
    """Cox model with Efron ties and R's (start, stop] risk sets, via statsmodels PHReg.

    `X`: a frame of the covariates, or PatternColumns (a model of characteristics held by pattern).
    `start_params` (log hazard ratios, e.g. from a simpler model) only shortens the Newton
    iterations; the optimum and its convergence check do not depend on it.
    """
    start, stop, event = check_counting_process(start, stop, event)
    level = check_level(level)
    blocks = X if isinstance(X, PatternColumns) else None
    if blocks is not None:
        if len(blocks) != len(stop):
            raise SurvivalDataError(f"X must have the same length as stop ({len(stop)}), but had {len(blocks)}")
        blocks.check()
        covariates = None
        start_params = np.zeros(blocks.shape[1]) if start_params is None else start_params  # (no exog to size it)
    else:
        covariates = _check_covariates(X, len(stop))
    del X  # checked into `covariates`: a caller that hands over its only copy lets it go during the fit
    codes = _strata_codes(strata, len(stop))
    if event.sum() == 0:
        raise EstimationError("a Cox model needs at least one event, but event had none")
    labels = None if strata is None else pd.unique(check_labels(strata, "strata", len(stop)))
    entry_rank, stop_rank = kept_or_made(("ranks", digest(start, stop)), lambda: read_only(*rank_coded_times(start, stop)))
    model = (EfronPHReg(stop_rank, covariates.to_numpy(), status=event, entry=entry_rank, strata=codes)
             if blocks is None else
             EfronPHReg(stop_rank, np.zeros((len(stop), 0)), status=event, entry=entry_rank, strata=codes,
                         columns=blocks))
    # a group the covariates all but separate sends the estimates toward infinity: numpy's overflow and 0/0
    # are not errors here, the checks below turn the outcome into a plain EstimationError
    # Non-convergence is found by the Newton decrement below, not raised as a warning: the warnings filters
    # are the whole process's, and models are fitted side by side in threads (numpy's errstate is the thread's).
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        try:
            fitted = model.fit(method="newton", maxiter=100, start_params=start_params, warn_convergence=False)
            why = None if getattr(fitted, "mle_retvals", {}).get("converged", True) else "no convergence"
        except np.linalg.LinAlgError:
            why = "singular matrix"
    if why:  # plain words for the pages; the optimiser's own message means nothing to a reader
        raise EstimationError(f"the model could not be estimated: too few exits to tell the groups apart ({why})")
    params = np.asarray(fitted.params)
    cov = np.asarray(fitted.cov_params())
    if not np.all(np.isfinite(params)) or not np.all(np.isfinite(cov)):
        raise EstimationError("the model could not be estimated: too few exits to tell the groups apart "
                              "(non-finite estimates)")
    score = model.score(params)
    decrement = float(score @ cov @ score)  # Newton decrement: scale-free distance to the optimum
    if not decrement < 1e-8:
        raise EstimationError("the model could not be estimated: too few exits to tell the groups apart "
                              f"(no convergence, Newton decrement {decrement:.2g})")
    data = {
        "start": start,
        "stop": stop,
        "event": event,
        "X": covariates.to_numpy() if blocks is None else blocks,  # (blocks: read where they are)
        "names": list(covariates.columns) if blocks is None else blocks.names,
        "strata": codes,
        "strata_labels": labels,
    }
    null = model.null_loglike() if hasattr(model, "null_loglike") else model.loglike(np.zeros_like(params))
    return CoxResult(params, cov, model.loglike(params), null, data, level)
