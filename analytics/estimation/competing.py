"""Cumulative incidence of competing exit causes (Aalen-Johansen) on (start, stop] rows.

CIF_j(t) = sum over event times s <= t of S(s-) * d_j(s) / n(s), with S the all-cause
Kaplan-Meier curve and n(s) the rows at risk (start < s <= stop).  Variance: the
delta-method (Greenwood-type) estimator of Marubini & Valsecchi (1995), as in Collett
(2015, p. 411), SAS PROC LIFETEST and lifelines; CI on the log(-log) scale (Pintilie 2006).
Methods and sources: docs/methods.md.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analytics.common.errors import SurvivalDataError
from analytics.estimation.km import (check_intervals, check_level, check_numbers, check_same_length,
                                     ci_column_names, number_at_risk, z_value)
from analytics.estimation.results import Estimate


def _check_cause(cause, stop: np.ndarray) -> np.ndarray:
    values = check_numbers(cause, "cause")
    check_same_length(stop=stop, cause=values)
    bad = np.flatnonzero((values < 0) | (values != np.round(values)))
    if bad.size:
        raise SurvivalDataError(f"cause must be a whole number >= 0 (0 = censored), but row {bad[0]} was {values[bad[0]]!r}")
    return values.astype(int)


def _delta_method_variance(cif, lag_surv, at_risk, d_all, d_cause) -> np.ndarray:
    """Var CIF_j(t_m) = sum_{i<=m} [F(t_m)-F(t_i)]^2 d_i/(n_i(n_i-d_i))
    + S(t_{i-1})^2 d_ji (n_i-d_ji)/n_i^3 - 2 [F(t_m)-F(t_i)] S(t_{i-1}) d_ji/n_i^2.

    Expanded in powers of F(t_m) so each term is a running sum (O(T)).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(at_risk > d_all, d_all / (at_risk * (at_risk - d_all)), 0.0)
    b = lag_surv**2 * d_cause * (at_risk - d_cause) / at_risk**3
    c = lag_surv * d_cause / at_risk**2
    first = cif**2 * np.cumsum(a) - 2 * cif * np.cumsum(a * cif) + np.cumsum(a * cif**2)
    third = cif * np.cumsum(c) - np.cumsum(c * cif)
    return np.maximum(first + np.cumsum(b) - 2 * third, 0.0)


def _loglog_ci(cif, se, level):
    z = z_value(level)
    lower, upper = np.full_like(cif, np.nan), np.full_like(cif, np.nan)
    inside = (cif > 0) & (cif < 1)
    with np.errstate(divide="ignore", invalid="ignore"):  # a power of 0 (a wide error): the interval is 0 to 1
        power = np.exp(z * se[inside] / (cif[inside] * np.log(cif[inside])))
        lower[inside] = cif[inside] ** (1 / power)
    upper[inside] = cif[inside] ** power
    lower[cif == 0], upper[cif == 0] = 0.0, 0.0
    return lower, upper


def cumulative_incidence(start, stop, cause, causes=None, level: float = 0.95) -> dict[int, pd.DataFrame]:
    """Aalen-Johansen cumulative incidence per cause for (start, stop] rows.

    `cause` is 0 for censored and a positive integer code for each exit cause; `causes`
    picks which to report (default: every positive code present).  Returns {cause:
    DataFrame} with one row per distinct stop time: time, at_risk, events (this cause),
    events_all, survival_all (all-cause KM), cif, std_err, lower_<level>, upper_<level>.
    """
    start, stop = check_intervals(start, stop)
    codes = _check_cause(cause, stop)
    level = check_level(level)
    present = sorted(int(c) for c in np.unique(codes[codes > 0]))
    wanted = present if causes is None else [int(c) for c in causes]
    for c in wanted:
        if c <= 0:
            raise SurvivalDataError(f"causes must be positive codes (0 is censoring), but had {c!r}")
    times = np.unique(stop)
    slot = np.searchsorted(times, stop)
    at_risk = number_at_risk(start, stop, times).astype(float)
    d_all = np.bincount(slot, weights=(codes > 0).astype(float), minlength=times.size)
    survival = np.cumprod(1.0 - d_all / at_risk)
    lag_surv = np.concatenate([[1.0], survival[:-1]])
    low_name, up_name = ci_column_names(level)
    out = {}
    for c in wanted:
        d_cause = np.bincount(slot, weights=(codes == c).astype(float), minlength=times.size)
        cif = np.cumsum(lag_surv * d_cause / at_risk)
        se = np.sqrt(_delta_method_variance(cif, lag_surv, at_risk, d_all, d_cause))
        lower, upper = _loglog_ci(cif, se, level)
        out[c] = pd.DataFrame(
            {
                "time": times,
                "at_risk": at_risk.astype(int),
                "events": d_cause.astype(int),
                "events_all": d_all.astype(int),
                "survival_all": survival,
                "cif": cif,
                "std_err": se,
                low_name: lower,
                up_name: upper,
            }
        )
    return out


def cumulative_incidence_at(table: pd.DataFrame, t: float, level: float = 0.95) -> Estimate:
    """Read one cause's CIF and CI off its table at time t (step function; 0 before the first time).

    NaN past the last observed time unless every row had exited by then.
    """
    low_name, up_name = ci_column_names(level)
    if low_name not in table:
        raise SurvivalDataError(f"level must match the table's level, but the table has no {low_name!r} column")
    t = float(t)
    if not math.isfinite(t) or t < 0:
        raise SurvivalDataError(f"t must be finite and >= 0, but was {t!r}")
    times = table["time"].to_numpy()
    i = np.searchsorted(times, t, side="right") - 1
    if i < 0:
        return Estimate(0.0, 0.0, 0.0, level)
    row = table.iloc[i]
    if t > times[-1] and row["survival_all"] > 0:
        return Estimate(math.nan, math.nan, math.nan, level)
    return Estimate(float(row["cif"]), float(row[low_name]), float(row[up_name]), level)
