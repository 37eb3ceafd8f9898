"""Mentored vs unmentored: the three Cox models (naive, from mentoring start, adjusted) every page, the CLI and
the notebook share, and the model of other exits beside them.

Each function takes a FollowUp (followup.py: a cohort's episodes and counting-process rows from the
store) and returns small result objects; curves, subgroups and each person's risk build on these. Definitions: docs/design.md; methods: docs/methods.md.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.common.errors import EstimationError, NotEnoughData
from analytics.common.policy import MAX_LOG_SE, MIN_MODEL_EXITS
from analytics.estimation.cox import CoxResult, fit_cox
from analytics.estimation.design import (CATEGORICAL, Design, Dummies, NUMERIC, dependent_columns, design_columns,
                                         independent_columns, indicators, side_by_side)
from analytics.estimation.evalue import e_value
from analytics.estimation.followup import FollowUp, person_codes, require_comparison, require_effect
from analytics.estimation.patterns import PatternColumns, dense_columns, pattern_first_rows
from analytics.estimation.results import HazardRatio
from analytics.estimation.zph import ph_test
from analytics.store import queries


def honest_model(fu: FollowUp, covariates: tuple[str, ...] | None = None) -> ModelFit:
    """The headline's adjusted model, under the same minimums as the naive and time-varying ones; `covariates`:
    an analyst's choice among CATEGORICAL + NUMERIC (default: all of them)."""
    require_effect(fu, "the adjusted model")
    return adjusted_model(fu, covariates=covariates)


def at_hire_model(fu: FollowUp, covariates: tuple[str, ...] | None = None) -> ModelFit:
    """A check beside the honest model when a job history is loaded: the same model with each person's level,
    department, location, salary and rating fixed at their values at hire (their first row's), as a one-time
    record would give them."""
    if fu.covariates_from != "history":
        raise NotEnoughData("the model on characteristics at hire needs a job history")
    require_effect(fu, "the model on characteristics at hire")
    codes = person_codes(fu)
    first = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.int64)
    first[codes[fu.first_rows()]] = np.flatnonzero(fu.first_rows())
    at_first = first[codes]
    rows = fu.rows.copy()
    for column in (c for c in queries.HISTORY_COLUMNS if c in rows.columns):
        rows[column] = rows[column].to_numpy()[at_first]
    at_hire = FollowUp(fu.episodes, rows, fu.as_of, fu.event, fu.cohort, fu.own_as_of, "hire")
    at_hire._kept["person_codes"] = codes
    return adjusted_model(at_hire, covariates=covariates)


# ---------------------------------------------------------------- Cox models

@dataclass(frozen=True)
class ModelFit:
    """One Cox model of the mentoring effect."""

    name: str
    hazard_ratio: HazardRatio
    result: CoxResult
    covariates: tuple[str, ...] = ()
    dropped: dict[str, str] = field(default_factory=dict)
    strata: str | None = None
    e_value: "EValue | None" = None
    pooled: dict[str, list[str]] = field(default_factory=dict)  # levels under SMALL_LEVEL people, pooled
    references: dict[str, str] = field(default_factory=dict)  # each categorical covariate's reference level

    def to_dict(self) -> dict:
        out = self.hazard_ratio.to_dict()
        if self.name == "adjusted":
            out.update(covariates=list(self.covariates), dropped=dict(self.dropped), strata=self.strata,
                       pooled={k: list(v) for k, v in self.pooled.items()}, references=dict(self.references))
            if self.e_value is not None:
                out["e_value"] = self.e_value.to_dict()
        return out


def naive_model(fu: FollowUp) -> ModelFit:
    """'Ever mentored' as a fixed attribute from hire: what a naive report claims."""
    require_effect(fu, "the naive model")
    ep = fu.episodes[fu.episodes["duration_days"] > 0]
    X = pd.DataFrame({"mentored": ep["mentored"].astype(float).to_numpy()})
    result = fit_cox(np.zeros(len(ep)), ep["duration_days"], ep["event"], X)
    return ModelFit("naive", identified(result, "mentored"), result)


def time_varying_model(fu: FollowUp) -> ModelFit:
    """Mentored from the first mentorship's start onward; unadjusted."""
    require_effect(fu, "the time-varying model")
    r = fu.rows
    X = pd.DataFrame({"mentored": r["mentored"].astype(float).to_numpy()})
    result = fit_cox(r["start"], r["stop"], r["event"], X)
    return ModelFit("time_varying", identified(result, "mentored"), result)


def adjusted_model(fu: FollowUp, strata: str | None = None, extra: pd.DataFrame | None = None,
                   effect: str = "mentored", covariates: tuple[str, ...] | None = None,
                   start: dict[str, float] | None = None) -> ModelFit:
    """Time-varying mentoring plus every usable covariate (or those chosen); optional strata. `start`: where
    Newton's iterations begin for some columns (by name); it shortens them, the optimum does not depend on it."""
    if strata is None and extra is None:  # the headline's, fitted again by the interaction tests: fitted once
        key = headline_key(effect, covariates)
        if key not in fu._kept:
            fu._kept[key] = _adjusted_model(fu, strata, extra, effect, covariates, start)
        return fu._kept[key]
    return _adjusted_model(fu, strata, extra, effect, covariates, start)


def headline_key(effect: str, covariates: tuple[str, ...] | None) -> tuple:
    return ("adjusted", effect, None if covariates is None else tuple(covariates))


def _adjusted_model(fu: FollowUp, strata: str | None, extra: pd.DataFrame | None, effect: str,
                    covariates: tuple[str, ...] | None, start: dict[str, float] | None = None) -> ModelFit:
    require_comparison(fu, "the adjusted model")
    r = fu.rows  # read by position below: no copy with a new index
    base = extra if extra is not None else pd.DataFrame({"mentored": r["mentored"].astype(float)})
    head = fu._kept.get(headline_key("mentored", covariates)) if strata is None and extra is not None else None
    by_pattern = head is not None and indicators(base) and isinstance(head.result._data["X"], PatternColumns)
    if head is not None:
        # The same characteristics as the headline's adjusted model, fitted already: its columns (those left
        # once columns carrying no new information were dropped) beside the new ones instead of the
        # mentoring flag, and its estimates as the starting point. The columns the headline dropped would be
        # dropped here too: the new columns, together, carry the mentoring flag.
        d = head.result._data
        keep = [j for j, name in enumerate(d["names"]) if name != "mentored"]
        names = [d["names"][j] for j in keep]
        if by_pattern:  # groups' indicators beside the headline's columns, held by pattern
            X = d["X"].without(["mentored"]).beside(base.to_numpy(bool), [str(c) for c in base.columns])
        else:
            X = side_by_side(base, (names, dense_columns(d["X"])[:, keep]))
        design = Design(None, head.covariates, dict(head.dropped), head.pooled, head.references)
        start = {**head.result.params_.to_dict(), **(start or {})}
    elif strata is None and extra is None:  # the headline's columns, worked out once per follow-up
        X, design, collinear = _design_for(fu, covariates)
    else:  # the model's columns written once, side by side
        columns, design = design_columns(r, CATEGORICAL + NUMERIC if covariates is None else tuple(covariates),
                                          exclude=(strata,) if strata else (), first=fu.first_rows())
        X = side_by_side(base, *columns)
        del columns
    if by_pattern:
        collinear = dependent_columns(X.gram(), X.names, base.shape[1])
        X = X.without(collinear) if collinear else X
    elif head is not None or strata is not None or extra is not None:
        X, collinear = independent_columns(X, protected=base.shape[1])
    columns = X.names if isinstance(X, PatternColumns) else list(X.columns)
    start_params = None if not start else np.array([float(start.get(c, 0.0)) for c in columns])
    groups = r[strata].astype("string").fillna("(not recorded)").to_numpy() if strata else None
    handed_over, X = [X], None  # fit_cox holds the only copy, and lets it go once it has checked it
    try:
        result = fit_cox(r["start"], r["stop"], r["event"], handed_over.pop(), strata=groups,
                         start_params=start_params)
    except EstimationError:
        raise EstimationError(f"the effect of {effect} cannot be separated from the other characteristics "
                              "in this group (too few exits in some combination)") from None
    return ModelFit("adjusted", identified(result, effect), result, design.used, {**design.dropped, **collinear},
                    strata, pooled=design.pooled, references=design.references)


_DESIGN_LOCK = threading.Lock()  # one thread works out a follow-up's columns while any other needing them waits


def _design_for(fu: FollowUp, covariates: tuple[str, ...] | None) -> tuple[PatternColumns, Design, dict[str, str]]:
    """The headline adjusted model's columns (the mentoring flag first, then the characteristics, those carrying
    no new information dropped), held by pattern, its Design and what was dropped as such: worked out once per
    follow-up and choice of characteristics, for the model and for the other exits' model beside it."""
    key = ("design", None if covariates is None else tuple(covariates))
    with _DESIGN_LOCK:
        if key not in fu._kept:
            r = fu.rows
            columns, design = design_columns(r, CATEGORICAL + NUMERIC if covariates is None else tuple(covariates),
                                              first=fu.first_rows())
            X = _by_pattern(("mentored", r["mentored"].to_numpy(bool)), *columns)
            del columns
            collinear = dependent_columns(X.gram(), X.names, 1)
            fu._kept[key] = (X.without(collinear) if collinear else X, design, collinear)
    return fu._kept[key]


def _by_pattern(*parts: tuple[str, np.ndarray] | Dummies) -> PatternColumns:
    """Named columns and characteristics' dummies side by side, held by pattern (patterns.PatternColumns): each
    row's pattern is its groups and its true/false values; numbers are held row by row."""
    names, binary, rest, numbers = [], [], [], []
    code, count, factors = np.zeros(len(parts[0][1] if isinstance(parts[0], tuple) else parts[0]), np.int64), 1, []
    for part in parts:
        if isinstance(part, Dummies):  # its column k is 1 for group groups[k]: the factor's code is k + 1, or 0
            lookup = np.zeros(int(max(part.codes.max(initial=0), part.groups.max(initial=0))) + 1, dtype=np.int64)
            lookup[part.groups] = np.arange(1, len(part.groups) + 1)
            factor, levels = lookup[part.codes], len(part.groups) + 1
            table = np.vstack([np.zeros(len(part.groups)), np.eye(len(part.groups))])
            part_names = part.names
        else:
            name, values = part
            if values.dtype != bool:  # a number: row by row
                rest.append(len(names))
                names.append(str(name))
                numbers.append(np.asarray(values, dtype=float))
                continue
            factor, levels, table, part_names = values.astype(np.int64), 2, np.array([[0.0], [1.0]]), [str(name)]
        binary += range(len(names), len(names) + len(part_names))
        names += part_names
        if count * levels >= 2 ** 62:  # keep the code within 64 bits: number the patterns so far afresh
            code, uniques = pd.factorize(code)
            count = len(uniques)
        code, count = code * levels + factor, count * levels
        factors.append((factor, table))
    code, uniques = pd.factorize(code)
    first = pattern_first_rows(code, len(uniques))
    values = np.hstack([table[factor[first]] for factor, table in factors]) if factors else np.zeros((len(uniques), 0))
    other = np.column_stack(numbers) if numbers else np.zeros((len(code), 0))
    return PatternColumns(code, values, other, binary, rest, names)


def other_exits_model(fu: FollowUp, covariates: tuple[str, ...] | None = None) -> CoxResult | None:
    """The model of the exits that are not the event, on the headline adjusted model's columns (see
    _other_exits_model); worked out once per follow-up, and on its own while the adjusted model is fitted."""
    X, _, _ = _design_for(fu, covariates)
    return kept_other_exits(fu, X)


def kept_other_exits(fu: FollowUp, X: PatternColumns) -> CoxResult | None:
    key = ("other_exits", id(X))  # kept with the columns, so that the id stays theirs
    if key not in fu._kept:
        fu._kept[key] = (X, _other_exits_model(fu, fu.rows, X))
    return fu._kept[key][1]


def identified(result: CoxResult, effect: str) -> HazardRatio:
    """The effect's HR, or EstimationError when the data cannot separate it from the covariates."""
    hr = result.hazard_ratio(effect)
    se = result.summary_.set_index("covariate").loc[effect, "se"]
    if not (np.isfinite(se) and se < MAX_LOG_SE and np.isfinite(hr.lower) and np.isfinite(hr.upper)):
        raise EstimationError(f"the effect of {effect} cannot be separated from the other characteristics "
                              "in this group (too few exits in some combination)")
    return hr


def proportional_hazards(fit: ModelFit) -> pd.DataFrame:
    """Grambsch-Therneau test per covariate (dummies of one variable tested jointly) and globally."""
    names = list(fit.result.params_.index)
    terms: dict[str, list[str]] = {}
    for name in names:
        terms.setdefault(name.split("=")[0].replace(" not recorded", ""), []).append(name)
    return ph_test(fit.result, terms=terms)


def _other_exits_model(fu: FollowUp, r: pd.DataFrame, X: PatternColumns) -> CoxResult | None:
    """The exits that are not the event (involuntary, retirement, ...) on the same characteristics;
    None when there are too few to estimate (then they are left out, which errs toward more exits)."""
    final = r["stop"].to_numpy() == r["duration_days"].to_numpy()
    other = final & r["exited"].to_numpy(bool) & ~r["event"].to_numpy(bool)
    if other.sum() < MIN_MODEL_EXITS:
        return None
    try:
        return fit_cox(r["start"], r["stop"], other, X)
    except EstimationError:
        return None
