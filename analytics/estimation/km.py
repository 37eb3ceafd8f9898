"""Kaplan-Meier curves, restricted mean survival time and the log-rank test.

Everything takes counting-process rows: `start`, `stop` (days, float) and `event` (0/1).
A row (start, stop] is at risk for an event at time t iff start < t <= stop, as in R's
survival package, so the same code gives the ordinary KM (start = 0) and the extended
(Simon-Makuch) KM, where a mentored interval enters the risk set after its start m.
Methods and sources: docs/methods.md.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from analytics.common.errors import EstimationError, SurvivalDataError
from analytics.estimation.results import Estimate, TestResult

CONF_TYPES = ("log-log", "log", "plain")
# R's all.equal tolerance, used by print.survfit to spot a curve sitting exactly at 0.5.
_TOLERANCE = math.sqrt(np.finfo(float).eps)


# ---------------------------------------------------------------------------
# Input checks shared by km, cox and competing
# ---------------------------------------------------------------------------


def check_numbers(values, name: str) -> np.ndarray:
    try:
        if hasattr(values, "to_numpy"):
            array = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise SurvivalDataError(f"{name} must be numeric, but could not be read as numbers ({exc})") from None
    if array.ndim != 1:
        raise SurvivalDataError(f"{name} must be one-dimensional, but had shape {array.shape}")
    if array.size == 0:
        raise SurvivalDataError(f"{name} must not be empty")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise SurvivalDataError(f"{name} must be finite, but row {bad[0]} was {array[bad[0]]!r}")
    return array


def check_same_length(**arrays: np.ndarray) -> None:
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise SurvivalDataError(f"{', '.join(lengths)} must have the same length, but had {shown}")


def check_intervals(start, stop) -> tuple[np.ndarray, np.ndarray]:
    """Validated float arrays for (start, stop]; `start=None` means every row starts at 0."""
    stop = check_numbers(stop, "stop")
    start = np.zeros_like(stop) if start is None else check_numbers(start, "start")
    check_same_length(start=start, stop=stop)
    negative = np.flatnonzero(start < 0)
    if negative.size:
        raise SurvivalDataError(f"start must be >= 0, but row {negative[0]} was {start[negative[0]]!r}")
    empty = np.flatnonzero(stop <= start)
    if empty.size:
        i = empty[0]
        raise SurvivalDataError(
            f"stop must be greater than start, but row {i} has start={start[i]!r}, stop={stop[i]!r}"
        )
    return start, stop


def check_counting_process(start, stop, event) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated (start, stop, event) arrays; event must be 0 or 1."""
    start, stop = check_intervals(start, stop)
    event = check_numbers(event, "event")
    check_same_length(start=start, stop=stop, event=event)
    bad = np.flatnonzero((event != 0) & (event != 1))
    if bad.size:
        raise SurvivalDataError(f"event must be 0 or 1, but row {bad[0]} was {event[bad[0]]!r}")
    return start, stop, event.astype(int)


def check_labels(values, name: str, n: int) -> np.ndarray:
    """A label vector (group, strata) of length n without missing values."""
    labels = np.asarray(values, dtype=object)
    if labels.ndim != 1:
        raise SurvivalDataError(f"{name} must be one-dimensional, but had shape {labels.shape}")
    if len(labels) != n:
        raise SurvivalDataError(f"{name} must have the same length as stop ({n}), but had {len(labels)}")
    missing = np.flatnonzero(pd.isna(labels))
    if missing.size:
        raise SurvivalDataError(f"{name} must not have missing values, but row {missing[0]} was missing")
    return labels


def check_level(level: float) -> float:
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise SurvivalDataError(f"level must be in (0, 1), but was {level!r}")
    return float(level)


def z_value(level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def number_at_risk(start: np.ndarray, stop: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Rows with start < t <= stop at each t: #(start < t) - #(stop < t)."""
    times = np.asarray(times, dtype=float)
    entered = np.searchsorted(np.sort(start), times, side="left")
    left = np.searchsorted(np.sort(stop), times, side="left")
    return entered - left


def ci_column_names(level: float) -> tuple[str, str]:
    return f"lower_{level:g}", f"upper_{level:g}"


# ---------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------


def pointwise_ci(survival, se_log, level: float, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of S from se_log = SE of log S (Greenwood), as R's survfit_confint.

    Where S = 1 the interval is [1, 1]; where S = 0 it is NaN for the log and log-log
    types (R gives NA there).
    """
    s = np.asarray(survival, dtype=float)
    se = np.asarray(se_log, dtype=float)
    z = z_value(level)
    lower, upper = np.full_like(s, np.nan), np.full_like(s, np.nan)
    one = s >= 1.0
    inside = (s > 0) & ~one
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log-log":
            shift = z * se[inside] / np.log(s[inside])
            loglog = np.log(-np.log(s[inside]))
            lower[inside] = np.exp(-np.exp(loglog - shift))
            upper[inside] = np.exp(-np.exp(loglog + shift))
        elif conf_type == "log":
            lower[inside] = s[inside] * np.exp(-z * se[inside])
            upper[inside] = np.minimum(s[inside] * np.exp(z * se[inside]), 1.0)
        else:  # plain
            half = z * se * s
            lower = np.clip(s - half, 0.0, 1.0)
            upper = np.clip(s + half, 0.0, 1.0)
    lower[one], upper[one] = 1.0, 1.0
    return lower, upper


def _first_below_half(curve: np.ndarray, times: np.ndarray) -> float:
    """R print.survfit's `minmin`: first time the curve is <= 0.5, with the midpoint rule.

    If the curve sits exactly at 0.5 (within all.equal tolerance) on a flat stretch, the
    answer is the midpoint between the start of that stretch and the next drop.
    """
    keep = ~np.isnan(curve) & (curve < 0.5 + _TOLERANCE)
    if not keep.any():
        return math.nan
    y, x = curve[keep], times[keep]
    if abs(y[0] - 0.5) < _TOLERANCE and (y < y[0]).any():
        return float((x[0] + x[np.argmax(y < y[0])]) / 2)
    return float(x[0])


class KaplanMeier:
    """Kaplan-Meier estimator for (start, stop] rows with Greenwood variance.

    `fit(start, stop, event)` fills `table_` with one row per distinct stop time:
    time, at_risk, events, censored, survival, std_err (SE of S), lower_<level>,
    upper_<level> (pointwise, `conf_type` "log-log" by default as R conf.type="log-log";
    "log" is R's survfit default).
    """

    def __init__(self, level: float = 0.95, conf_type: str = "log-log"):
        self.level = check_level(level)
        if conf_type not in CONF_TYPES:
            raise SurvivalDataError(f"conf_type must be one of {CONF_TYPES}, but was {conf_type!r}")
        self.conf_type = conf_type

    def fit(self, start, stop, event) -> KaplanMeier:
        start, stop, event = check_counting_process(start, stop, event)
        times = np.unique(stop)
        slot = np.searchsorted(times, stop)
        events = np.bincount(slot, weights=event, minlength=len(times)).astype(int)
        rows_ending = np.bincount(slot, minlength=len(times))
        at_risk = number_at_risk(start, stop, times)
        with np.errstate(divide="ignore", invalid="ignore"):
            survival = np.cumprod(1.0 - events / at_risk)
            # Greenwood; n == d makes it infinite, as in R (S is 0 from there on).
            greenwood = np.cumsum(np.where(events > 0, events / (at_risk * (at_risk - events)), 0.0))
            se_log = np.sqrt(greenwood)
            std_err = np.where(survival > 0, survival * se_log, np.nan)
        lower, upper = pointwise_ci(survival, se_log, self.level, self.conf_type)
        low_name, up_name = ci_column_names(self.level)
        self.table_ = pd.DataFrame(
            {
                "time": times,
                "at_risk": at_risk,
                "events": events,
                "censored": rows_ending - events,
                "survival": survival,
                "std_err": std_err,
                low_name: lower,
                up_name: upper,
            }
        )
        self._se_log = se_log
        self._start, self._stop = start, stop
        self.n_ = int(len(stop))
        self.events_ = int(event.sum())
        return self

    def _fitted(self) -> pd.DataFrame:
        if not hasattr(self, "table_"):
            raise EstimationError("KaplanMeier is not fitted yet; call fit(start, stop, event) first")
        return self.table_

    def survival_at(self, t: float) -> Estimate:
        """S(t) with its pointwise CI; 1 before the first time, NaN past follow-up unless S hit 0."""
        table = self._fitted()
        t = _check_time(t, "t")
        low_name, up_name = ci_column_names(self.level)
        times = table["time"].to_numpy()
        i = np.searchsorted(times, t, side="right") - 1
        if i < 0:
            return Estimate(1.0, 1.0, 1.0, self.level, self.n_)
        row = table.iloc[i]
        if t > times[-1] and row["survival"] > 0:
            return Estimate(math.nan, math.nan, math.nan, self.level, self.n_)
        return Estimate(float(row["survival"]), float(row[low_name]), float(row[up_name]), self.level, self.n_)

    def median_(self) -> Estimate:
        """Median survival time and its CI by R's print.survfit rule (curve and CI bounds <= 0.5)."""
        table = self._fitted()
        low_name, up_name = ci_column_names(self.level)
        times = table["time"].to_numpy()
        return Estimate(
            _first_below_half(table["survival"].to_numpy(), times),
            _first_below_half(table[low_name].to_numpy(), times),
            _first_below_half(table[up_name].to_numpy(), times),
            self.level,
            self.n_,
        )

    def rmst(self, tau: float, extend: bool = False) -> Estimate:
        """Restricted mean survival time to tau, SE as R print(survfit, rmean=tau) / survRM2.

        Var = sum_i A_i^2 d_i / (n_i (n_i - d_i)), A_i = area under S from t_i to tau; the
        CI is normal. A tau past the last observed time gives NaN (as survRM2 refuses it)
        unless the curve reached 0 or `extend=True`, which carries the last value flat to
        tau as R's print.survfit does.
        """
        table = self._fitted()
        tau = _check_time(tau, "tau")
        if tau <= 0:
            raise SurvivalDataError(f"tau must be > 0, but was {tau!r}")
        times = table["time"].to_numpy()
        surv = table["survival"].to_numpy()
        if tau > times[-1] and surv[-1] > 0 and not extend:
            return Estimate(math.nan, math.nan, math.nan, self.level, self.n_)
        keep = times <= tau
        t_k, s_k = times[keep], surv[keep]
        widths = np.diff(np.concatenate([[0.0], t_k, [tau]]))
        areas = widths * np.concatenate([[1.0], s_k])
        n, d = table["at_risk"].to_numpy()[keep], table["events"].to_numpy()[keep]
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(n > d, d / (n * (n - d)), 0.0)
        area_after = np.cumsum(areas[1:][::-1])[::-1]  # area from t_i to tau
        se = math.sqrt(float(np.sum(area_after**2 * h)))
        mean = float(areas.sum())
        z = z_value(self.level)
        return Estimate(mean, mean - z * se, mean + z * se, self.level, self.n_)

    def rmst_se(self, tau: float, extend: bool = False) -> float:
        """Standard error of rmst(tau), backed out of its normal CI."""
        est = self.rmst(tau, extend)
        return (est.upper - est.estimate) / z_value(self.level)

    def at_risk_at(self, times) -> np.ndarray:
        """Rows at risk at each time (start < t <= stop); at t = 0, the rows that start at 0."""
        self._fitted()
        times = np.atleast_1d(np.asarray(times, dtype=float))
        if not np.isfinite(times).all() or (times < 0).any():
            raise SurvivalDataError(f"times must be finite and >= 0, but were {times.tolist()!r}")
        counts = number_at_risk(self._start, self._stop, times)
        counts[times == 0] = int(np.sum(self._start == 0))
        return counts


def _check_time(value, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise SurvivalDataError(f"{name} must be a number, but was {value!r}") from None
    if not math.isfinite(value) or value < 0:
        raise SurvivalDataError(f"{name} must be finite and >= 0, but was {value!r}")
    return value


def rmst_difference(km_a: KaplanMeier, km_b: KaplanMeier, tau: float, extend: bool = False) -> Estimate:
    """RMST(a) - RMST(b) to tau; the groups are taken as independent (SEs add in quadrature)."""
    a, b = km_a.rmst(tau, extend), km_b.rmst(tau, extend)
    se = math.hypot(km_a.rmst_se(tau, extend), km_b.rmst_se(tau, extend))
    diff = a.estimate - b.estimate
    z = z_value(km_a.level)
    n = None if a.n is None or b.n is None else a.n + b.n
    return Estimate(diff, diff - z * se, diff + z * se, km_a.level, n)


# ---------------------------------------------------------------------------
# Log-rank test
# ---------------------------------------------------------------------------


def _logrank_sums(start, stop, event, group, strata):
    """Observed, expected and hypergeometric variance, summed over strata."""
    start, stop, event = check_counting_process(start, stop, event)
    n = len(stop)
    group = check_labels(group, "group", n)
    strata = np.zeros(n, dtype=object) if strata is None else check_labels(strata, "strata", n)
    levels = pd.Categorical(group).categories
    if len(levels) < 2:
        raise SurvivalDataError(f"group must have at least 2 distinct values, but had {len(levels)}")
    k = len(levels)
    observed, expected, variance = np.zeros(k), np.zeros(k), np.zeros((k, k))
    for stratum in pd.unique(strata):
        rows = strata == stratum
        times = np.unique(stop[rows & (event == 1)])
        if times.size == 0:
            continue
        n_gt = np.zeros((k, times.size))
        d_gt = np.zeros((k, times.size))
        for g, level in enumerate(levels):
            mask = rows & (group == level)
            n_gt[g] = number_at_risk(start[mask], stop[mask], times)
            died = mask & (event == 1)
            d_gt[g] = np.bincount(np.searchsorted(times, stop[died]), minlength=times.size)
        n_t, d_t = n_gt.sum(axis=0), d_gt.sum(axis=0)
        share = n_gt / n_t
        observed += d_gt.sum(axis=1)
        expected += (share * d_t).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(n_t > 1, d_t * (n_t - d_t) / (n_t - 1), 0.0)
        variance += np.diag((factor * share).sum(axis=1)) - (factor * share) @ share.T
    return levels, observed, expected, variance


def logrank_observed_expected(start, stop, event, group, strata=None) -> pd.DataFrame:
    """Observed and expected events per group (the log-rank bookkeeping, summed over strata)."""
    levels, observed, expected, _ = _logrank_sums(start, stop, event, group, strata)
    return pd.DataFrame({"group": list(levels), "observed": observed, "expected": expected})


def logrank(start, stop, event, group, strata=None) -> TestResult:
    """Log-rank test over (start, stop] risk sets, optionally stratified (R survdiff)."""
    _, observed, expected, variance = _logrank_sums(start, stop, event, group, strata)
    used = np.flatnonzero(expected > 0)
    if used.size < 2:
        raise EstimationError("the log-rank test needs events at risk in at least two groups")
    keep = used[1:]  # R drops the first group: the k deviations sum to zero
    deviation = (observed - expected)[keep]
    vv = variance[np.ix_(keep, keep)]
    chisq = float(deviation @ np.linalg.lstsq(vv, deviation, rcond=None)[0])
    df = int(used.size - 1)
    return TestResult(chisq, df, float(stats.chi2.sf(chisq, df)), "log-rank")
