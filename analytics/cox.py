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
its constructor loops over every row, so fits use `_EfronPHReg`, a PHReg whose
derivatives are vectorised (see its docstring) and whose Newton loop takes statsmodels'
steps but stops one evaluation sooner (see its `fit`); statsmodels' PHRegResults carries
the inference.  A model of characteristics can hold its columns by pattern
(`PatternColumns`: no rows x columns block at a million rows).  Same numbers as PHReg
to 1e-9 (tests/test_cox_speed.py).

The proportional-hazards test follows R >= 3.0 cox.zph: a score test for adding
x * g(t) at the fitted beta.  Methods and sources: docs/methods.md.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse, stats
from statsmodels.base.model import LikelihoodModel
from statsmodels.duration.hazard_regression import PHReg, PHRegResults, PHSurvivalTime

from analytics.km import (
    KaplanMeier,
    check_counting_process,
    check_labels,
    check_level,
    ci_column_names,
    z_value,
)
from analytics import parallel
from analytics.errors import EstimationError, SurvivalDataError
from analytics.results import HazardRatio, TestResult

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
                    _check_column(name, values[:, j])
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
        _check_column(name, column)
        block[j] = column
        out[str(name)] = j
    if len(out) == X.shape[1]:
        return pd.DataFrame(block.T, columns=list(out))
    return pd.DataFrame({name: block[j] for name, j in out.items()})


def _check_column(name, column: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(column))
    if bad.size:
        raise SurvivalDataError(f"X column {name!r} must be finite, but row {bad[0]} was {column[bad[0]]!r}")
    if np.ptp(column) == 0:
        raise SurvivalDataError(f"X column {name!r} is constant ({column[0]!r}); it has no hazard ratio")


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
        # _EfronPHReg, one sparse product gives the risk-set increments of w * values
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
    figure uses (an exactly collinear column is dropped before any fit, models.independent_columns)."""
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


HESSIAN_SLICE = 16_384  # rows per slice of the information matrix's product (see _second_order)
_RISK_SETS: OrderedDict = OrderedDict()  # the last few models' risk sets and ranked times, by their inputs
_RISK_SETS_KEPT = 4  # two models' worth (ranked times and risk sets): the adjusted family and one beside it
_RISK_SETS_LOCK = threading.Lock()


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
    incidence: sparse.csr_matrix  # pattern of the per-event-time increments (see _EfronPHReg)
    incidence_sign: np.ndarray
    incidence_row: np.ndarray
    in_order: bool             # `rows` is every row, in the order given
    weighted: np.ndarray | None = None  # when in order: the rows at risk at some event time, if not all


def _risk_sets(time: np.ndarray, entry: np.ndarray, status: np.ndarray, strata: np.ndarray | None) -> _RiskSets:
    """The risk sets of these times, events and strata: worked out once, then reused while kept."""
    key = ("risk sets", _digest(time, entry, np.asarray(status, dtype=np.int8),
                                np.zeros(0) if strata is None else np.asarray(strata)))
    return _kept(key, lambda: _make_risk_sets(time, entry, status, strata))


def _digest(*arrays: np.ndarray) -> bytes:
    """A fingerprint of arrays' values (and types and shapes)."""
    digest = hashlib.blake2b(digest_size=20)
    for part in arrays:
        part = np.ascontiguousarray(part)
        digest.update(str((part.dtype.str, part.shape)).encode())
        digest.update(part.data)
    return digest.digest()


def _read_only(*arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    for array in arrays:
        array.flags.writeable = False  # shared by every model that asks for them
    return arrays


def _kept(key: tuple, make):
    """make(), or what it gave for the same key while that is among the last few kept. Asked for again while
    it is being made (models side by side on the same rows), it is waited for rather than made twice."""
    while True:
        with _RISK_SETS_LOCK:
            kept = _RISK_SETS.get(key)
            if kept is not None:
                _RISK_SETS.move_to_end(key)
                return kept
            making = _MAKING.get(key)
            mine = making is None
            if mine:
                making = _MAKING[key] = threading.Event()
        if not mine:
            making.wait()  # then what it made (or, had it failed, make it here)
            continue
        try:
            made = make()
            with _RISK_SETS_LOCK:
                _RISK_SETS[key] = made
                while len(_RISK_SETS) > _RISK_SETS_KEPT:
                    _RISK_SETS.popitem(last=False)
            return made
        finally:
            with _RISK_SETS_LOCK:
                del _MAKING[key]
            making.set()


_MAKING: dict[tuple, threading.Event] = {}  # keys being made, and how to hear when they are


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
        # reads the rows where they are (see _EfronPHReg._prepare)
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


class PatternColumns:
    """A model's columns held by pattern: each row's pattern (`code`), each pattern's values of the 0/1 columns
    (`values`: patterns x those columns) and the other columns row by row (`other`: rows x those columns);
    `binary` and `rest` are their places among the model's columns. A model of characteristics' dummies and the
    mentoring flag has a few tens of thousands of patterns at a million rows, so no rows x columns block is
    ever written, and the model's sums over rows run over patterns (_Patterns).

    The patterns need not be distinct: two patterns with the same values only make the sums longer."""

    def __init__(self, code: np.ndarray, values: np.ndarray, other: np.ndarray, binary, rest, names: list[str]):
        self.code = np.asarray(code, dtype=np.intp)
        self.values = np.ascontiguousarray(values, dtype=float).reshape(len(values), len(binary))
        self.other = np.ascontiguousarray(other, dtype=float).reshape(len(self.code), len(rest))
        self.binary, self.rest = np.asarray(binary, dtype=np.intp), np.asarray(rest, dtype=np.intp)
        self.names = [str(name) for name in names]
        self.shape = (len(self.code), self.binary.size + self.rest.size)
        if len(self.names) != self.shape[1] or sorted([*self.binary, *self.rest]) != list(range(self.shape[1])):
            raise SurvivalDataError(f"pattern columns have {self.shape[1]} columns but {len(self.names)} names")
        self._entry_patterns: dict = {}  # per sparse matrix pattern: each entry's row's pattern

    def __len__(self) -> int:
        return self.shape[0]

    def counts(self) -> np.ndarray:
        """Rows per pattern."""
        return np.bincount(self.code, minlength=len(self.values)).astype(float)

    def check(self) -> None:
        """Every value finite and no column constant, as fit_cox checks a frame's columns: from the patterns
        present and the other columns, not from rows x columns."""
        present = self.values[self.counts() > 0]
        for j, column in [*zip(self.binary, present.T), *zip(self.rest, self.other.T)]:
            _check_column(self.names[j], column)

    def without(self, names) -> "PatternColumns":
        """The same columns without the named ones."""
        drop = {str(n) for n in names}
        keep = [j for j, name in enumerate(self.names) if name not in drop]
        place = {j: k for k, j in enumerate(keep)}
        b = [i for i, j in enumerate(self.binary) if j in place]
        r = [i for i, j in enumerate(self.rest) if j in place]
        return PatternColumns(self.code, self.values[:, b], self.other[:, r], [place[self.binary[i]] for i in b],
                              [place[self.rest[i]] for i in r], [self.names[j] for j in keep])

    def reordered(self, rows: np.ndarray) -> "PatternColumns":
        """These rows, in this order."""
        return PatternColumns(self.code[rows], self.values, self.other[rows], self.binary, self.rest, self.names)

    def beside(self, indicators: np.ndarray, names: list[str]) -> "PatternColumns":
        """0/1 indicator columns (rows x k) first, then these columns: each row's pattern is its pattern here
        and its indicators' values."""
        indicators = np.asarray(indicators).reshape(len(self.code), -1)
        own, kinds = pd.factorize(indicators.astype(np.int64) @ (np.int64(2) ** np.arange(indicators.shape[1])))
        code, pairs = pd.factorize(self.code.astype(np.int64) * len(kinds) + own)
        first = pattern_first_rows(code, len(pairs))
        k = indicators.shape[1]
        values = np.hstack([indicators[first].astype(float), self.values[self.code[first]]])
        return PatternColumns(code, values, self.other, [*range(k), *(self.binary + k)], self.rest + k,
                              [*names, *self.names])

    def gram(self) -> np.ndarray:
        """[1, X]'[1, X] (p + 1 square)."""
        p, n = self.shape[1], self.counts()
        G = np.empty((p + 1, p + 1))
        G[0, 0] = float(self.shape[0])
        B, K = self.binary + 1, self.rest + 1
        G[0, B] = G[B, 0] = n @ self.values
        G[0, K] = G[K, 0] = self.other.sum(axis=0)
        G[np.ix_(B, B)] = self.values.T @ (self.values * n[:, None])
        if K.size:
            G[np.ix_(B, K)] = self.values.T @ _pattern_sums(self.code, len(self.values), self.other)
            G[np.ix_(K, B)] = G[np.ix_(B, K)].T
            G[np.ix_(K, K)] = self.other.T @ self.other
        return G

    def __matmul__(self, params: np.ndarray) -> np.ndarray:
        return self.linear(params)

    def linear(self, params: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """X params, at every row or these: each pattern's value read for each row, plus the other columns'."""
        params = np.asarray(params, dtype=float)
        code, other = (self.code, self.other) if rows is None else (self.code[rows], self.other[rows])
        out = (self.values @ params[self.binary])[code]
        if self.rest.size:
            out += other @ params[self.rest]
        return out

    def mean(self) -> np.ndarray:
        out = np.empty(self.shape[1])
        out[self.binary] = self.counts() @ self.values / self.shape[0]
        out[self.rest] = self.other.mean(axis=0)
        return out

    def rows_sum(self, rows: np.ndarray) -> np.ndarray:
        out = np.empty(self.shape[1])
        out[self.binary] = np.bincount(self.code[rows], minlength=len(self.values)) @ self.values
        out[self.rest] = self.other[rows].sum(axis=0)
        return out

    def product(self, matrix) -> np.ndarray:
        """matrix @ X for a sparse (CSR) matrix: for the 0/1 columns, the matrix with each entry moved to its
        row's pattern (a CSR matrix may hold several entries in one place: they are summed), times the
        patterns' values; which pattern each entry goes to is worked out once per matrix pattern."""
        key = id(matrix.indices)
        kept = self._entry_patterns.get(key)
        if kept is None or kept[0] is not matrix.indices:
            kept = self._entry_patterns[key] = (matrix.indices, self.code[matrix.indices].astype(matrix.indices.dtype))
        per = sparse.csr_matrix((matrix.data, kept[1], matrix.indptr), shape=(matrix.shape[0], len(self.values)))
        out = np.empty((matrix.shape[0], self.shape[1]))
        out[:, self.binary] = per @ self.values
        if self.rest.size:
            out[:, self.rest] = matrix @ self.other
        return out

    def take(self, rows: np.ndarray) -> np.ndarray:
        """These rows, every column (rows x columns)."""
        out = np.empty((len(rows), self.shape[1]))
        out[:, self.binary] = self.values[self.code[rows]]
        out[:, self.rest] = self.other[rows]
        return out

    def dense(self) -> np.ndarray:
        """Every row and column (what a model held by pattern avoids writing; cox.zph's terms use it)."""
        return self.take(np.arange(self.shape[0]))

    def patterns(self, centre: np.ndarray) -> "_Patterns":
        return _Patterns(self.code, len(self.values), self.binary, self.rest, self.values - centre[self.binary],
                         self.other - centre[self.rest])


def pattern_first_rows(code: np.ndarray, count: int) -> np.ndarray:
    """Each pattern's first row."""
    first = np.empty(count, dtype=np.intp)
    first[code[::-1]] = np.arange(len(code) - 1, -1, -1)
    return first


def _pattern_sums(code: np.ndarray, count: int, columns: np.ndarray) -> np.ndarray:
    """Each pattern's sums of these columns (rows x k): patterns x k."""
    return np.column_stack([np.bincount(code, weights=c, minlength=count) for c in columns.T])


def linear_predictor(X, params: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """X params at these rows, for a model's columns (PatternColumns or an array)."""
    return X.linear(params, rows) if isinstance(X, PatternColumns) else X[rows] @ params


def dense_columns(X, rows: np.ndarray | None = None) -> np.ndarray:
    """A model's columns (PatternColumns or an array) as rows x columns: every row, or these."""
    if isinstance(X, PatternColumns):
        return X.dense() if rows is None else X.take(rows)
    return X if rows is None else X[rows]


def _of_block(a: np.ndarray, what: str, make):
    """make(), worked out from block `a`, kept while the block lives: by a weak reference, so that keeping it
    never keeps the block."""
    with _RISK_SETS_LOCK:
        kept = _BLOCKS.get((id(a), what))
    if kept is not None and kept[0]() is a:
        return kept[1]
    made = make()
    with _RISK_SETS_LOCK:
        for key in [k for k, (ref, _) in _BLOCKS.items() if ref() is None]:
            del _BLOCKS[key]  # blocks gone
        _BLOCKS[(id(a), what)] = (weakref.ref(a), made)
    return made


_BLOCKS: dict[tuple, tuple] = {}  # (id of a block, what) -> (weak reference to it, what was worked out from it)

PATTERN_SHARE = 0.25  # a model's rows are summed by pattern when there are at most this share of patterns
PATTERN_BITS = 52  # 0/1 columns whose values a float holds exactly as one number (sums of powers of two)


def _block_patterns(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """A block's 0/1 columns (the first PATTERN_BITS of them) and each row's pattern of their values:
    (which columns, each row's pattern, how many patterns), kept while the block lives."""
    def make():
        flags = np.ones(b.shape[1], dtype=bool)
        for lo in range(0, b.shape[0], HESSIAN_SLICE):
            part = b[lo:lo + HESSIAN_SLICE]
            flags &= ((part == 0) | (part == 1)).all(axis=0)
        flags[np.flatnonzero(flags)[PATTERN_BITS:]] = False
        weights = np.zeros(b.shape[1])
        weights[flags] = 2.0 ** np.arange(int(flags.sum()))
        # each row's 0/1 values as one number: a sum of distinct powers of two below 2^53, exact in any order
        codes, uniques = pd.factorize(b @ weights)
        return flags, codes, len(uniques)
    return _of_block(b, "patterns", make)


@dataclass(frozen=True)
class _Patterns:
    """A model's rows grouped by their values of its 0/1 columns (a characteristic's groups, the mentoring
    flag): at a million rows, a few tens of thousands of patterns. The linear predictor and X' diag(v) X are
    then summed per pattern for those columns (from each pattern's sum of v) and row by row only for the
    others (salary, a rating): the same sums in another order, without reading every row's every column."""

    code: np.ndarray    # each row's pattern
    count: int
    binary: np.ndarray  # the model's 0/1 columns, the same in every row of a pattern
    other: np.ndarray   # the rest
    F: np.ndarray       # patterns x binary: each pattern's values, centred
    C: np.ndarray       # rows x other, centred

    def eta(self, params: np.ndarray) -> np.ndarray:
        """X params less centre params: a constant off, which a Cox model does not see."""
        out = (self.F @ params[self.binary])[self.code]
        if self.other.size:
            out += self.C @ params[self.other]
        return out

    def information(self, v: np.ndarray) -> np.ndarray:
        """(X - centre)' diag(v) (X - centre)."""
        B, K, F = self.binary, self.other, self.F
        out = np.empty((B.size + K.size,) * 2)
        out[np.ix_(B, B)] = F.T @ (F * np.bincount(self.code, weights=v, minlength=self.count)[:, None])
        if K.size:
            vC = self.C * v[:, None]
            out[np.ix_(B, K)] = F.T @ _pattern_sums(self.code, self.count, vC)
            out[np.ix_(K, B)] = out[np.ix_(B, K)].T
            out[np.ix_(K, K)] = self.C.T @ vC
        return out


def _patterns(x, centre: np.ndarray) -> _Patterns | None:
    """x's rows by pattern (see _Patterns), or None when there are too many patterns to gain by it."""
    if isinstance(x, PatternColumns):
        return x.patterns(centre)
    flags, code, count = _block_patterns(x.x)
    if not flags.any() or count > PATTERN_SHARE * x.shape[0]:
        return None
    B, K = np.flatnonzero(flags), np.flatnonzero(~flags)
    return _Patterns(code, count, B, K, x.take(pattern_first_rows(code, count))[:, B] - centre[B],
                     x.columns(K) - centre[K])


class _Dense:
    """An array of a model's columns read through PatternColumns' methods."""

    def __init__(self, x: np.ndarray):
        self.x, self.shape = x, x.shape

    def __matmul__(self, params):
        return self.x @ params

    def mean(self):
        return self.x.mean(axis=0)

    def rows_sum(self, rows):
        return self.x[rows].sum(axis=0)

    def product(self, matrix):
        return matrix @ self.x

    def rows(self, lo, hi, centre):
        return self.x[lo:hi] - centre

    def take(self, rows):
        return self.x[rows]

    def columns(self, idx):
        return np.ascontiguousarray(self.x[:, idx])


class _EfronPHReg(PHReg):
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
        in that order, laid out row by row (as models.follow_up and models' own columns give them), are read
        where they are: no copy of them at all."""
        time = np.asarray(self.endog, dtype=float)
        entry = np.zeros(len(time)) if self.entry is None else self.entry.astype(float)
        s = self._risk = _risk_sets(time, entry, self.status, self.strata)
        if self._columns is not None:
            self._x = self._columns if s.in_order else self._columns.reordered(s.rows)
        else:
            exog = np.asarray(self.exog, dtype=float)
            self._x = _Dense(exog if s.in_order and exog.flags.c_contiguous else _rows_in_order(exog, s.rows))
        # centred (nothing changes mathematically, and sums of squares keep their precision): by subtracting
        # the centre in the sums, not from a copy of the rows
        self._centre = self._x.mean()
        self._patterns = _patterns(self._x, self._centre)
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
    entry_rank, stop_rank = _kept(("ranks", _digest(start, stop)), lambda: _read_only(*rank_coded_times(start, stop)))
    model = (_EfronPHReg(stop_rank, covariates.to_numpy(), status=event, entry=entry_rank, strata=codes)
             if blocks is None else
             _EfronPHReg(stop_rank, np.zeros((len(stop), 0)), status=event, entry=entry_rank, strata=codes,
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
        varies = np.ptp(dense_columns(d["X"])[rows], axis=0) > 0
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
