"""Efron's partial likelihood for counting-process data, fitted with statsmodels' PHReg: risk sets kept between
models, the event terms and the information matrix.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import sparse
from statsmodels.base.model import LikelihoodModel
from statsmodels.duration.hazard_regression import PHReg, PHRegResults, PHSurvivalTime

from analytics.common import parallel
from analytics.estimation.kept import digest, kept_or_made
from analytics.estimation.patterns import DenseColumns, HESSIAN_SLICE, patterns_of


# ---------------------------------------------------------------------------
# Risk-set sums
# ---------------------------------------------------------------------------


def risk_sums(start, stop, weights, times):
    """Sum of `weights` rows over the risk set start < t <= stop, for each t (`times` sorted, distinct).

    Suffix sums: {stop >= t} minus {start >= t}; `weights` is (n, ...) shaped. A key is >= times[j] when more than j
    of the times are at or below it, so each row's weight goes to its count of those (a sorted search among the
    times, not a sort of the rows) and the sums run down from the last."""
    weights = np.asarray(weights, dtype=float)
    flat = weights.reshape(len(weights), -1)

    def suffix(keys):
        at = np.searchsorted(times, keys, side="right")  # rows with at > j have key >= times[j]
        out = np.empty((len(times) + 1, flat.shape[1]))
        for c in range(flat.shape[1]):
            out[:, c] = np.bincount(at, weights=flat[:, c], minlength=len(times) + 1)
        return np.cumsum(out[::-1], axis=0)[::-1][1:]  # for each j: the rows with at > j

    return (suffix(stop) - suffix(start)).reshape((len(times),) + weights.shape[1:])


def efron_event_terms(start, stop, event, X, eta, strata):
    """Per distinct event time (within strata): score and information contributions.

    Returns a dict with event-time arrays `time`, `stratum`, `deaths` and `score`
    (T, p), `info` (T, p, p), plus per-death Schoenfeld residuals and their times.
    Efron's ties as in R's coxph / zph1.c: the k-th of d tied deaths (k = 1..d) sees
    den_k = S0 - (1 - k/d) D0 and xbar_k = (S1 - (1 - k/d) D1) / den_k.  Memory is
    O(n p + T p^2): sum_i w_i x_i x_i' over risk sets is built one column at a time.
    """
    p = X.shape[1]
    risk = np.exp(eta)
    terms = {"time": [], "stratum": [], "deaths": [], "score": [], "info": []}
    resid_rows, resid_time, resid_stratum = [], [], []
    for s in np.unique(strata):
        rows = strata == s
        st, sp, ev, x, w = start[rows], stop[rows], event[rows], X[rows], risk[rows]
        died = ev == 1
        times = np.unique(sp[died])
        if times.size == 0:
            continue
        n_times = times.size
        # Row i is at risk at event-time indices lo..hi (start < t <= stop).  As in
        # EfronPHReg, one sparse product gives the risk-set increments of w * values
        # (suffix-summed into risk-set sums) and their sums over the deaths.
        hi = np.searchsorted(times, sp, side="right") - 1
        lo = np.searchsorted(times, st, side="right")
        slot = np.searchsorted(times, sp[died])
        live = np.flatnonzero(lo <= hi)
        enter = live[lo[live] > 0]
        incidence = sparse.csr_matrix(
            (
                np.concatenate([w[live], -w[enter], w[died]]),
                (
                    np.concatenate([hi[live], lo[enter] - 1, n_times + slot]),
                    np.concatenate([live, enter, np.flatnonzero(died)]),
                ),
            ),
            shape=(2 * n_times, len(sp)),
        )

        def sums(values):
            out = incidence @ values
            return np.cumsum(out[:n_times][::-1], axis=0)[::-1], out[n_times:]

        at_risk, dying = sums(np.column_stack([np.ones(len(sp)), x]))
        s0, s1, d0, d1 = at_risk[:, 0], at_risk[:, 1:], dying[:, 0], dying[:, 1:]
        s2 = np.empty((n_times, p, p))  # one column at a time: no n x p x p array
        d2 = np.empty((n_times, p, p))
        for c in range(p):
            s2[:, c, :], d2[:, c, :] = sums(x * x[:, [c]])
        d = np.bincount(slot, minlength=n_times)
        # One entry per death: its time slot and Efron fraction k/d, k = 1..d.
        k_slot = np.repeat(np.arange(n_times), d)
        frac = (np.arange(k_slot.size) - np.repeat(np.cumsum(d) - d, d) + 1) / d[k_slot]
        den = s0[k_slot] - d0[k_slot] + frac * d0[k_slot]

        def per_time(values):
            return np.bincount(k_slot, weights=values, minlength=n_times)

        a1, af = per_time(1 / den), per_time(frac / den)
        c11, c1f, cff = per_time(1 / den**2), per_time(frac / den**2), per_time(frac**2 / den**2)
        u = s1 - d1  # xbar_k = (u + frac d1) / den
        mean_sum = u * a1[:, None] + d1 * af[:, None]
        info = (s2 - d2) * a1[:, None, None] + d2 * af[:, None, None]
        info -= np.einsum("ti,tj->tij", u, u) * c11[:, None, None]
        cross = np.einsum("ti,tj->tij", u, d1) * c1f[:, None, None]
        info -= cross + cross.transpose(0, 2, 1)
        info -= np.einsum("ti,tj->tij", d1, d1) * cff[:, None, None]
        xsum = np.zeros((n_times, p))
        np.add.at(xsum, slot, x[died])
        d = d.astype(float)
        terms["time"].append(times)
        terms["stratum"].append(np.full(n_times, s))
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
# PHReg with vectorised Efron derivatives
# ---------------------------------------------------------------------------


def _rank(x: np.ndarray) -> int:
    """numpy's matrix_rank (singular values above max(n, p) eps times the largest), with the singular values
    from the p x p cross-product instead of an SVD of all n rows. It only sets df_model and df_resid, which no
    figure uses (an exactly collinear column is dropped before any fit, design.independent_columns)."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return 0
    singular = np.sqrt(np.clip(np.linalg.eigvalsh(x.T @ x), 0.0, None))
    return int((singular > singular.max() * max(x.shape) * np.finfo(float).eps).sum())


def _segment_cumsum(values, bounds, reverse=False):
    """Cumulative sums along axis 0 restarting in each segment [bounds[i], bounds[i+1])."""
    out = np.empty_like(values)
    for a, b in zip(bounds[:-1], bounds[1:]):
        if reverse:
            out[a:b] = np.cumsum(values[a:b][::-1], axis=0)[::-1]
        else:
            np.cumsum(values[a:b], axis=0, out=out[a:b])
    return out


@dataclass(frozen=True)
class _RiskSets:
    """Which rows are at risk at which event times, with the Efron slots of the deaths: everything in a
    Cox model's derivatives that does not depend on the covariates. The adjusted model and the models
    beside it (each segment's own effect, the time-varying one) share them."""

    rows: np.ndarray           # the rows used, grouped by stratum and ordered by their last event time
    hi: np.ndarray             # each row's last event-time slot
    lo_before: np.ndarray      # the slot before its first (n_times: none)
    died: np.ndarray           # positions (in `rows`) of the deaths
    died_slot: np.ndarray
    slot: np.ndarray           # per death, in event-time order: its slot, and its Efron fraction j/d
    frac: np.ndarray
    time_bounds: np.ndarray
    row_starts: np.ndarray
    row_counts: np.ndarray
    n_times: int
    incidence: sparse.csr_matrix  # pattern of the per-event-time increments (see EfronPHReg)
    incidence_sign: np.ndarray
    incidence_row: np.ndarray
    in_order: bool             # `rows` is every row, in the order given
    weighted: np.ndarray | None = None  # when in order: the rows at risk at some event time, if not all


def _risk_sets(time: np.ndarray, entry: np.ndarray, status: np.ndarray, strata: np.ndarray | None) -> _RiskSets:
    """The risk sets of these times, events and strata: worked out once, then reused while kept."""
    key = ("risk sets", digest(time, entry, np.asarray(status, dtype=np.int8),
                                np.zeros(0) if strata is None else np.asarray(strata)))
    return kept_or_made(key, lambda: _make_risk_sets(time, entry, status, strata))


def _make_risk_sets(time, entry, status, strata) -> _RiskSets:
    n = len(time)
    if np.any(entry > time):
        raise ValueError("entry times may not occur after event or censoring times")
    dead = status == 1
    codes = np.zeros(n, dtype=int) if strata is None else np.unique(strata, return_inverse=True)[1]
    order = np.argsort(codes, kind="stable")
    cuts = np.cumsum(np.bincount(codes))
    rows, hi, lo, first = [], [], [], []
    time_bounds, row_bounds = [0], [0]
    for members in np.split(order, cuts[:-1]):
        if not dead[members].any():
            continue  # a stratum without events adds nothing
        times = np.unique(time[members][dead[members]])
        last = np.searchsorted(times, time[members], side="right") - 1  # last t <= time
        start = np.searchsorted(times, entry[members], side="left")     # first t >= entry
        keep = np.flatnonzero(start <= last)  # rows never at risk at an event time add nothing
        keep = keep[np.argsort(last[keep], kind="stable")]  # memory order of the sums below
        rows.append(members[keep])
        hi.append(last[keep] + time_bounds[-1])
        lo.append(start[keep] + time_bounds[-1])
        first.append(start[keep] == 0)
        time_bounds.append(time_bounds[-1] + times.size)
        row_bounds.append(row_bounds[-1] + keep.size)
    rows, hi, lo, first = (np.concatenate(a) for a in (rows, hi, lo, first))
    n_times = time_bounds[-1]
    weighted = None
    if len(row_bounds) == 2 and rows.size < n and np.all(rows[1:] > rows[:-1]):
        # One stratum, its rows at risk already in order, some never at risk at an event time: every row is
        # kept, in the order given, those with no weight in any sum (no increments, v = 0), so that a model
        # reads the rows where they are (see EfronPHReg._prepare)
        weighted, rows = rows, np.arange(n)
        hi, lo, first = _spread(weighted, n, hi, n_times), _spread(weighted, n, lo, n_times + 1), \
            _spread(weighted, n, first, True)
        row_bounds = [0, n]
    died = np.flatnonzero(dead[rows])
    died_slot = hi[died]
    # Efron: each death, in event-time order, gets one j = 0..d-1 at its time.
    d = np.bincount(died_slot, minlength=n_times)
    slot = np.repeat(np.arange(n_times), d)
    j = np.arange(slot.size) - np.repeat(np.cumsum(d) - d, d)
    # One sparse product, incidence(w) @ [1, x], gives per event time the risk-set
    # increments of w and w x (rows ending there, minus rows whose entry is just
    # after it) and the sums over the deaths.  Its values are +-w of the row.
    enter = np.flatnonzero(~first)
    n_rows = rows.size
    # a row without weight has no increments (its `first` is set, so it is not among those entering either)
    ends = np.arange(n_rows) if weighted is None else weighted
    incidence = sparse.csr_matrix(
        (
            np.concatenate([np.ones(ends.size), -np.ones(enter.size), np.ones(died.size)]),
            (
                np.concatenate([hi[ends], lo[enter] - 1, n_times + died_slot]),
                np.concatenate([ends, enter, died]),
            ),
        ),
        shape=(2 * n_times, n_rows),
    )
    incidence.sum_duplicates()  # canonical now, so scipy never reorders .data
    for part in (incidence.indices, incidence.indptr):
        part.flags.writeable = False  # shared by the models that use these risk sets
    # lo - 1 is "just before the row's first event time" (n_times: before none); a row without weight gets
    # hi = lo_before = n_times, which makes its v 0
    return _RiskSets(rows, hi, np.where(first, n_times, lo - 1), died, died_slot, slot, j / d[slot],
                     np.array(time_bounds), np.array(row_bounds[:-1]), np.diff(row_bounds), n_times,
                     incidence, incidence.data.copy(), incidence.indices.copy(),
                     bool(rows.size == n and np.array_equal(rows, np.arange(n))), weighted)


def _spread(at: np.ndarray, n: int, values: np.ndarray, fill) -> np.ndarray:
    """An array of n with values at positions `at` and `fill` elsewhere."""
    out = np.full(n, fill, dtype=values.dtype)
    out[at] = values
    return out


def _rows_in_order(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """x's rows in the risk sets' order, laid out row by row, a slice at a time (each column of a slice read
    while the slice is in the processor's cache, whichever way x is laid out)."""
    out = np.empty((rows.size, x.shape[1]))
    for lo in range(0, rows.size, HESSIAN_SLICE):
        out[lo:lo + HESSIAN_SLICE] = x[rows[lo:lo + HESSIAN_SLICE]]
    return out


class EfronPHReg(PHReg):
    """statsmodels PHReg, ties="efron", with vectorised loglike, score and hessian.

    Same model and risk sets as PHReg (at risk at t when entry <= t <= time; fit_cox
    passes rank-coded times, so that is R's start < t <= stop).  Per stratum, with the
    distinct event times t_k and d_k deaths at t_k, and j = 0..d_k-1, f = j/d_k:
    den = S0 - f D0 and xbar = (S1 - f D1)/den, where S are sums of exp(eta) (x) over
    the risk set (suffix sums over event-time indices) and D the same over the deaths.
    Then loglike = sum_deaths eta - sum log den, score = sum_deaths x - sum xbar and
    information = X' diag(v) X - sum xbar xbar' with
    v_i = w_i * (sum over event times at which row i is at risk of sum_j 1/den)
          - [row i dies at t_k] w_i * sum_j f/den,
    which is sum_t sum_j (S2 - f D2)/den without any n x p x p or T x p x p array.
    The sums over deaths are taken per event time (sum xbar = sum_t S1 sum_j 1/den - D1
    sum_j f/den, and likewise sum xbar xbar' from sums of 1/den^2, f/den^2, f^2/den^2), so
    nothing is deaths x p either.  X is centred (nothing changes mathematically).  The three are computed together
    once per params vector and cached, as Newton asks for them at the same params.

    The constructor is PHReg's without its Python loop over rows (PHSurvivalTime,
    seconds at 10^5 rows): `surv`, which statsmodels' own efron_*, residual and
    baseline-hazard methods use, is built on first access.
    """

    def __init__(self, endog, exog, status, entry=None, strata=None, offset=None, columns=None):
        self._columns = columns  # PatternColumns instead of exog (then no columns)
        # PHReg.__init__ (statsmodels 0.14/0.15) minus PHSurvivalTime; hasconst=False
        # skips a rank check for an implicit constant (a Cox model has no intercept).
        LikelihoodModel.__init__(self, endog, exog, status=status, entry=entry, strata=strata,
                                 offset=offset, missing="drop", hasconst=False)
        for name in ("status", "entry", "strata", "offset"):
            if getattr(self, name) is not None:
                setattr(self, name, np.asarray(getattr(self, name)))
        self.nobs = len(self.endog)
        self.groups = None
        self.missing = "drop"
        rank = _rank(self.exog)
        self.df_resid = float(self.exog.shape[0] - rank)
        self.df_model = float(rank)
        self.ties = "efron"
        self._prepare()
        self._cached = None

    @cached_property
    def surv(self):
        return PHSurvivalTime(self.endog, self.status, self.exog, self.strata, self.entry, self.offset)

    def _prepare(self):
        """Index arrays that do not depend on params: the risk sets' (shared by every model on the same
        times, events and strata, see _risk_sets), then this model's covariates in their order. Rows already
        in that order, laid out row by row (as followup.follow_up and the models' own columns give them), are read
        where they are: no copy of them at all."""
        time = np.asarray(self.endog, dtype=float)
        entry = np.zeros(len(time)) if self.entry is None else self.entry.astype(float)
        s = self._risk = _risk_sets(time, entry, self.status, self.strata)
        if self._columns is not None:
            self._x = self._columns if s.in_order else self._columns.reordered(s.rows)
        else:
            exog = np.asarray(self.exog, dtype=float)
            self._x = DenseColumns(exog if s.in_order and exog.flags.c_contiguous else _rows_in_order(exog, s.rows))
        # centred (nothing changes mathematically, and sums of squares keep their precision): by subtracting
        # the centre in the sums, not from a copy of the rows
        self._centre = self._x.mean()
        self._patterns = patterns_of(self._x, self._centre)
        self._offset = None if self.offset is None else self.offset[s.rows].astype(float)
        self._died_x_sum = self._x.rows_sum(s.died) - s.died.size * self._centre
        # this model's own values array (written at every params), the shared pattern's indices
        self._incidence = sparse.csr_matrix((s.incidence.data.copy(), s.incidence.indices, s.incidence.indptr),
                                            shape=s.incidence.shape)
        self._n_times = s.n_times

    def _terms(self, params, hessian=False):
        params = np.asarray(params, dtype=float)
        key = params.tobytes()
        if self._cached is None or self._cached["key"] != key:
            self._cached = {"key": key, **self._first_order(params)}
        if hessian and "hessian" not in self._cached:
            self._cached["hessian"] = self._second_order(self._cached)
        return self._cached

    def _first_order(self, params):
        # uncentred or centred: a constant apart, which the shift below takes away
        eta = self._x @ params if self._patterns is None else self._patterns.eta(params)
        if self._offset is not None:
            eta = eta + self._offset
        s = self._risk
        if s.weighted is not None:  # rows without weight play no part, not even in the shift
            eta -= eta[s.weighted].max()
        else:
            eta -= np.repeat(np.maximum.reduceat(eta, s.row_starts), s.row_counts)
        w = np.exp(eta)
        np.multiply(s.incidence_sign, w[s.incidence_row], out=self._incidence.data)
        sums0 = self._incidence.sum(axis=1).A1  # per event time: the sums of w
        sums = self._x.product(self._incidence)  # and of w x
        risk0 = _segment_cumsum(sums0[: self._n_times], s.time_bounds, reverse=True)
        dying0 = sums0[self._n_times:]
        # the sums of w (x - centre): centred
        risk = _segment_cumsum(sums[: self._n_times], s.time_bounds, reverse=True) - np.outer(risk0, self._centre)
        dying = sums[self._n_times:] - np.outer(dying0, self._centre)
        k, f = s.slot, s.frac
        inv = 1.0 / (risk0[k] - f * dying0[k])  # 1/den per death
        # sum over deaths of xbar = (S1 - f D1)/den, per event time: S1 sum_j 1/den - D1 sum_j f/den (no
        # deaths x p array)
        a = np.bincount(k, weights=inv, minlength=self._n_times)
        b = np.bincount(k, weights=f * inv, minlength=self._n_times)
        return {
            "loglike": float(eta[s.died].sum() + np.log(inv).sum()),
            "score": self._died_x_sum - (risk.T @ a - dying.T @ b),
            "w": w,
            "inv": inv,
            "a": a,
            "b": b,
            "risk": risk,
            "dying": dying,
        }

    def _second_order(self, c):
        s, w, a, b = self._risk, c["w"], c["a"], c["b"]
        cum_a = np.append(_segment_cumsum(a, s.time_bounds), 0.0)
        v = w * (cum_a[s.hi] - cum_a[s.lo_before])
        v[s.died] -= w[s.died] * b[s.died_slot]
        # X' diag(v) X (X centred): by pattern (_Patterns), or row by row
        info = self._rows_information(v) if self._patterns is None else self._patterns.information(v)
        # minus the sum over deaths of xbar xbar', per event time from the sums of 1/den^2, f/den^2, f^2/den^2
        inv2, f = c["inv"] ** 2, s.frac
        a2, b2, c2 = (np.bincount(s.slot, weights=wt, minlength=self._n_times) for wt in (inv2, f * inv2, f * f * inv2))
        R, D = c["risk"], c["dying"]
        cross = R.T @ (D * b2[:, None])
        info -= R.T @ (R * a2[:, None]) - cross - cross.T + D.T @ (D * c2[:, None])
        return -(info + info.T) / 2

    def _rows_information(self, v: np.ndarray) -> np.ndarray:
        """X' diag(v) X (X centred) as the sum of Y'Y over slices of rows, Y = sqrt(v) (x - centre) (v >= 0: a
        row's share of the risk sets outweighs its share of its own death's Efron fractions): no n x p
        temporary, and each slice's product is made while the slice is still in the processor's cache."""
        x, root = self._x, np.sqrt(np.maximum(v, 0.0))

        def product(starts: range) -> np.ndarray:  # a run of slices (one per core, side by side)
            part = np.zeros((x.shape[1], x.shape[1]))
            for lo in starts:
                y = x.rows(lo, lo + HESSIAN_SLICE, self._centre)
                y *= root[lo:lo + HESSIAN_SLICE, None]
                part += y.T @ y
            return part

        return sum(parallel.each(product, parallel.shares(len(v), HESSIAN_SLICE)))

    def fit(self, start_params=None, maxiter: int = 100, **_) -> PHRegResults:
        """Newton's method as statsmodels' (its step on the per-row scale, with its ridge of 1e-10), ending
        with the covariance at the estimates and the optimiser's record (`mle_retvals`: converged or not).

        It stops once the last step was below statsmodels' tolerance (1e-8), or small enough that, converging
        as Newton's method does near the optimum (each step about C times the last one squared), the next would
        be far below it: a step s after a step t leaves about s^3 / t^2 to go, and below 1e-13 the estimates
        are where one more step would leave them to that much. Statsmodels takes that step and then works out
        the derivatives at the estimates once more; this saves both, without moving the figures (to 1e-9)."""
        params = np.zeros(self.exog.shape[1] if self._columns is None else self._columns.shape[1]) \
            if start_params is None else np.array(start_params, dtype=float)
        ridge = 1e-10 * np.eye(params.size)
        sizes, converged = [], False
        for _ in range(maxiter):
            # statsmodels' Newton on -loglike / nobs: H = -hessian / nobs + ridge, step = -H^-1 (-score / nobs)
            step = np.linalg.solve(-self.hessian(params) / self.nobs + ridge, self.score(params) / self.nobs)
            params = params + step
            size = float(np.max(np.abs(step), initial=0.0))
            if not np.isfinite(size):
                break  # (fit_cox turns estimates that are not finite into its own error)
            sizes.append(size)
            if size <= 1e-8 or (len(sizes) > 1 and size <= 1e-5 and size ** 3 <= 1e-13 * sizes[-2] ** 2):
                converged = True
                break
        with np.errstate(invalid="ignore"):
            cov = np.linalg.inv(-self.hessian(params)) if np.all(np.isfinite(params)) else \
                np.full((params.size, params.size), np.nan)
        results = PHRegResults(self, params, cov)
        results.mle_retvals = {"converged": converged, "iterations": len(sizes)}
        return results

    def null_loglike(self) -> float:
        """The log partial likelihood at no effects: every row's weight 1 (without an offset), so from the
        numbers at risk and dying alone, not the columns."""
        if self._offset is not None:
            return self.loglike(np.zeros(self._x.shape[1]))
        s = self._risk
        self._incidence.data[:] = s.incidence_sign
        sums0 = self._incidence.sum(axis=1).A1
        risk0 = _segment_cumsum(sums0[: self._n_times], s.time_bounds, reverse=True)
        dying0 = sums0[self._n_times:]
        return float(np.log(1.0 / (risk0[s.slot] - s.frac * dying0[s.slot])).sum())

    def loglike(self, params):
        return self._terms(params)["loglike"]

    def score(self, params):
        return self._terms(params)["score"].copy()

    def hessian(self, params):
        return self._terms(params, hessian=True)["hessian"].copy()
