"""Proportional-hazards checks on a Cox fit, as R's cox.zph: scaled Schoenfeld residuals and their test."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics.common.errors import SurvivalDataError
from analytics.estimation.cox import CoxResult, TRANSFORMS
from analytics.estimation.km import KaplanMeier
from analytics.estimation.patterns import dense_columns


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
