"""Mentored vs unmentored: the analyses every page, the CLI and the notebook share.

Each function takes a FollowUp (a cohort's episodes and counting-process rows from the
store) and returns small result objects. Definitions: docs/design.md; methods: docs/methods.md.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
import pandas as pd
from scipy import stats

from . import parallel, store
from .cohorts import Cohort, in_order
from .competing import cumulative_incidence, cumulative_incidence_at
from .cox import CoxResult, PatternColumns, dense_columns, fit_cox, linear_predictor, pattern_first_rows, ph_test
from .errors import EstimationError, NotEnoughData, RetentionError
from .km import KaplanMeier, logrank, rmst_difference
from .policy import (COMMON_OUTCOME, DAYS_PER_MONTH, LANDMARK_DEFAULT_MONTHS, MAX_LOG_SE, MAX_MISSING_SHARE,
                     MEETING_BANDS, MIN_GROUP_SIZE, MIN_SUBGROUP_EXITS, SMALL_LEVEL, TAIL_DAYS, count_words,
                     shown_total)
from .results import Estimate, HazardRatio, TestResult
from .wording import months, pct

CATEGORICAL = ("department", "job_level", "location", "gender", "generation", "hire_year")
NUMERIC = ("performance_rating", "log_salary")
CAUSES = {"voluntary": 1, "involuntary": 2}  # anything else that ends employment is 3
ROW_SLICE = 16_384  # rows written at once when a model's columns are put side by side (see _side_by_side)
RISK_CELLS = 250_000  # person-days worked on at once for each person's risk (a slice that stays in the cache)


@dataclass(frozen=True)
class FollowUp:
    """A cohort's follow-up: one row per employee and the counting-process rows."""

    episodes: pd.DataFrame
    rows: pd.DataFrame
    as_of: date
    event: str
    cohort: Cohort = field(default_factory=Cohort)
    own_as_of: bool = True  # the as-of date is the data's own (not one chosen)
    # results worked out from it once and asked for again (the adjusted model, each person's risk): a
    # FollowUp's frames are never changed, so neither are these
    _kept: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def rounded(self) -> bool:
        """Whether its totals are shown rounded (policy.shown_total): a filtered group's, and any at an as-of
        date other than the data's own, so that two filters or two dates cannot be subtracted."""
        return not self.cohort.is_everyone() or not self.own_as_of

    @property
    def n_employees(self) -> int:
        return len(self.episodes)

    @property
    def n_mentored(self) -> int:
        return int(self.episodes["mentored"].sum())

    def people_among(self, rows: np.ndarray | pd.Series | None = None) -> int:
        """How many people the counting-process rows picked by a boolean mask are (all rows: None)."""
        codes = _person_codes(self)
        picked = codes if rows is None else codes[np.asarray(rows, dtype=bool)]
        return int(np.count_nonzero(np.bincount(picked, minlength=1))) if picked.size else 0

    @property
    def n_events(self) -> int:
        return int(self.episodes["event"].sum())

    def subset(self, cohort: Cohort) -> "FollowUp":
        """The follow-up of a cohort within this one, cut out in memory (same rows as reading it)."""
        if cohort == self.cohort:
            return self
        if not self.cohort.is_everyone():
            raise RetentionError("a cohort can only be cut out of everyone's follow-up")
        episodes, rows = (_picked(frame, cohort.mask(frame)) for frame in (self.episodes, self.rows))
        sub = FollowUp(episodes, rows, self.as_of, self.event, cohort, self.own_as_of)
        if "person_codes" in self._kept:  # each row's person, as numbered here (numbers left unused are harmless)
            sub._kept["person_codes"] = self._kept["person_codes"][cohort.mask(self.rows)]
        return sub

    def first_rows(self) -> np.ndarray:
        """Each person's first counting-process row (a boolean per row): their earliest interval."""
        return ~_person_duplicated(self, "first")

    def last_rows(self) -> np.ndarray:
        """The positions of each person's last counting-process row: their latest interval."""
        return np.flatnonzero(~_person_duplicated(self, "last"))

    def read_at(self, as_of: date | str | None, event: str | None) -> bool:
        """Whether this is everyone's follow-up at these settings (None: whatever the data gives)."""
        return (self.cohort.is_everyone() and (as_of is None or store.as_date(as_of) == self.as_of)
                and (event is None or event == self.event))


def follow_up(con, cohort: Cohort | None = None, as_of: date | str | None = None,
              event: str | None = None, base: FollowUp | None = None,
              columns: tuple[str, ...] | None = None, read: tuple | None = None) -> FollowUp:
    """Read a cohort's episodes and counting-process rows from the store.

    `base`, everyone's follow-up read earlier for the same as-of date and event definition
    (a dashboard keeps it cached), lets a cohort be cut out of it in memory instead of read again.
    `columns`: only these of the episodes' (store.HEADLINE_COLUMNS: what the headline and where to extend next read),
    for work that needs no others. `read`: what store.read_follow_up gave for this cohort at this as-of date
    and event definition (the CLI reads it while the models' libraries load).
    """
    cohort = cohort or Cohort()
    if base is not None and base.read_at(as_of, event):
        return base.subset(cohort)
    settled = store.snapshot(con, as_of, event)
    episodes, rows, people = read or store.read_follow_up(con, settled.as_of, settled.event, cohort, columns)
    parallel.give_back_memory()  # what reading them took and let go of, before the models take theirs
    fu = FollowUp(episodes, rows, settled.as_of, settled.event, cohort, settled.as_of == settled.data_as_of)
    fu._kept["person_codes"] = people  # each row's person: their episode's position, known without hashing ids
    return fu


def _require(fu: FollowUp, what: str) -> None:
    if fu.n_employees < MIN_GROUP_SIZE:
        who = "nobody" if fu.n_employees == 0 else f"fewer than {MIN_GROUP_SIZE} people"  # no exact small count
        raise NotEnoughData(f"not enough data for {what}: {who} in scope")
    if fu.n_events == 0:
        raise NotEnoughData(f"not enough data for {what}: no exits in scope")


def _require_comparison(fu: FollowUp, what: str) -> None:
    """A mentoring effect needs both mentored and unmentored time to compare."""
    _require(fu, what)
    mentored = fu.rows["mentored"]
    if not mentored.any():
        raise NotEnoughData(f"not enough data for {what}: nobody in scope was mentored during their "
                            "employment, so there is no one to compare")
    if mentored.all():
        raise NotEnoughData(f"not enough data for {what}: everyone in scope was mentored from their first "
                            "day, so there is no unmentored time to compare with")


def _require_effect(fu: FollowUp, what: str) -> None:
    """A headline hazard ratio (naive, time-varying or adjusted) also needs enough mentored people, and
    enough of them who left, for the figure to be more than a handful of people's stories."""
    _require_comparison(fu, what)
    mentored = fu.rows["mentored"].to_numpy(bool)
    if fu.people_among(mentored) < MIN_GROUP_SIZE:
        raise NotEnoughData(f"not enough data for {what}: fewer than {MIN_GROUP_SIZE} people were mentored")
    if int(fu.rows.loc[mentored, "event"].sum()) < MIN_SUBGROUP_EXITS:
        raise NotEnoughData(f"not enough data for {what}: fewer than {MIN_SUBGROUP_EXITS} mentored people left "
                            f"({'voluntarily' if fu.event == 'voluntary' else 'for any reason'}) after their "
                            "mentoring began")


def honest_model(fu: FollowUp, covariates: tuple[str, ...] | None = None) -> ModelFit:
    """The headline's adjusted model, under the same minimums as the naive and time-varying ones; `covariates`:
    an analyst's choice among CATEGORICAL + NUMERIC (default: all of them)."""
    _require_effect(fu, "the adjusted model")
    return adjusted_model(fu, covariates=covariates)


# ---------------------------------------------------------------- covariates

@dataclass(frozen=True)
class Design:
    X: pd.DataFrame
    used: tuple[str, ...]
    dropped: dict[str, str]
    pooled: dict[str, list[str]] = field(default_factory=dict)  # covariate -> levels pooled as "(small groups)"
    references: dict[str, str] = field(default_factory=dict)  # categorical covariate -> its reference level


def check_covariates(covariates) -> tuple[str, ...]:
    """An analyst's choice of what the adjusted model compares on, checked against what it can use."""
    unknown = [c for c in covariates if c not in CATEGORICAL + NUMERIC]
    if unknown:
        raise RetentionError(f"covariates must be among {CATEGORICAL + NUMERIC}, but had {tuple(unknown)!r}")
    return tuple(covariates)


def design_matrix(frame: pd.DataFrame, covariates=CATEGORICAL + NUMERIC, exclude=()) -> Design:
    """Dummy-coded covariates (reference: the largest group); unusable ones dropped with a reason."""
    columns, design = _design_columns(frame, covariates, exclude)
    return replace(design, X=_side_by_side(*columns) if columns else pd.DataFrame(index=frame.index))


def _design_columns(frame: pd.DataFrame, covariates=CATEGORICAL + NUMERIC, exclude=(),
                    first: np.ndarray | None = None) -> tuple[list, Design]:
    """design_matrix's columns as (name, values) pairs and _Dummies, and the rest of its Design (X: None): a
    model puts them beside its own columns in one block (_side_by_side) without a frame of them in between.
    `first`: each person's first row (FollowUp.first_rows), when known."""
    if first is None:
        first = ~frame["employee_id"].duplicated().to_numpy()  # each person's first row: the people
    check_covariates(covariates)
    columns, used, dropped, pooled, references = [], [], {}, {}, {}
    for name in covariates:
        if name in exclude:
            continue
        if name in CATEGORICAL:  # integer codes (-1: not recorded): string operations over every row are slow
            codes, uniques = factorized = pd.factorize(frame[name].to_numpy())
            people = codes[first]
            missing, distinct = float(np.mean(people < 0)) if people.size else 1.0, np.unique(people[people >= 0]).size
        else:
            values = frame["salary" if name == "log_salary" else name].to_numpy(dtype=float, na_value=np.nan)
            if name == "log_salary":
                with np.errstate(divide="ignore", invalid="ignore"):
                    values = np.log(values)
            people = values[first]
            recorded = people[~np.isnan(people)]
            missing = float(np.mean(np.isnan(people))) if people.size else 1.0  # (nobody: nothing recorded)
            distinct = np.unique(recorded).size if recorded.size else 0
        if missing > MAX_MISSING_SHARE:
            dropped[name] = f"missing for {pct(missing)} of people"
            continue
        if distinct < 2:
            dropped[name] = "the same for everyone"
            continue
        if name in CATEGORICAL:
            block, small, references[name] = _categorical_columns(frame, name, first, factorized)
            if small:
                pooled[name] = small
        else:
            block = _numeric_columns(frame, name, values)
        if not block:
            dropped[name] = "only one group large enough, or no exits outside one group"
            continue
        columns += block
        used.append(name)
    return columns, Design(None, tuple(used), dropped, {k: v for k, v in pooled.items() if k in used},
                           {k: v for k, v in references.items() if k in used})


def _has_events(data: pd.DataFrame, codes: np.ndarray, n_levels: int) -> np.ndarray:
    """Which levels have at least one exit (all of them when the frame carries no events)."""
    if "event" not in data:
        return np.ones(n_levels, dtype=bool)
    return np.bincount(codes, weights=data["event"].to_numpy(float), minlength=n_levels) > 0


def independent_columns(X: pd.DataFrame, protected: int = 0) -> tuple[pd.DataFrame, dict[str, str]]:
    """Drop columns that are linear combinations of earlier ones or of a constant (e.g. two
    covariates missing for exactly the same people); the first `protected` columns are kept.
    Works on the p x p cross-product, so it costs one pass over the rows."""
    M = X.to_numpy(float)
    sums = M.sum(axis=0)
    G = np.block([[np.array([[float(len(M))]]), sums[None, :]], [sums[:, None], M.T @ M]])  # [1, X]'[1, X]
    dropped = _dependent(G, [str(c) for c in X.columns], protected)
    if not dropped:
        return X, dropped  # every column kept: the frame itself, not a copy of it
    return X[[c for c in X.columns if str(c) not in dropped]], dropped


def _dependent(G: np.ndarray, names: list[str], protected: int) -> dict[str, str]:
    """independent_columns' choice, from [1, X]'[1, X]: the columns to drop, with the reason."""
    keep, dropped = [0], {}
    for j in range(1, G.shape[0]):
        g, b = G[np.ix_(keep, keep)], G[keep, j]
        residual = G[j, j] - b @ np.linalg.lstsq(g, b, rcond=None)[0]
        if j > protected and residual <= 1e-9 * max(G[j, j], 1e-300):
            dropped[names[j - 1]] = "carries the same information as other characteristics"
        else:
            keep.append(j)
    return dropped


def _categorical(data: pd.DataFrame, name: str, first: np.ndarray | None = None) -> tuple[pd.DataFrame, list[str], str]:
    """A categorical covariate's dummies (a column per group but the reference), the groups pooled as small,
    and the reference group."""
    columns, small, reference = _categorical_columns(data, name, first)
    pairs = [pair for dummies in columns for pair in dummies.pairs()]
    return pd.DataFrame(dict(pairs), index=data.index).astype(float), small, reference


def _categorical_columns(data: pd.DataFrame, name: str, first: np.ndarray | None = None, factorized=None
                         ) -> tuple[list[tuple[str, np.ndarray]], list[str], str]:
    # Factorize once and work on integer codes: string operations over every row are slow at 10^5 rows.
    codes, uniques = pd.factorize(data[name].to_numpy()) if factorized is None else factorized
    names = np.array([str(u) for u in uniques] + ["(not recorded)"], dtype=object)
    codes = np.where(codes < 0, len(uniques), codes)
    person_codes = codes[~data["employee_id"].duplicated().to_numpy() if first is None else first]
    sizes = np.bincount(person_codes, minlength=len(names))
    small = sorted(str(n) for n in names[(sizes > 0) & (sizes < SMALL_LEVEL)])
    names[(sizes > 0) & (sizes < SMALL_LEVEL)] = "(small groups)"
    levels, final = np.unique(names, return_inverse=True)  # sorted level names, as labels in order
    row_codes = final[codes]
    counts = np.bincount(row_codes, minlength=len(levels))
    # A group without exits would push its coefficient to minus infinity (and one without exits
    # as reference, every other to plus infinity): such groups join the reference, the largest
    # group that has exits.
    events = _has_events(data, row_codes, len(levels))
    present = np.flatnonzero(counts * events) if events.any() else np.flatnonzero(counts)
    reference = int(present[np.argmax(counts[present])])
    kept = [k for k in range(len(levels)) if k != reference and counts[k] and events[k]]
    dummies = _Dummies([f"{name}={levels[k]}" for k in kept], row_codes, np.array(kept))
    return ([dummies] if kept else []), small, str(levels[reference])


@dataclass(frozen=True)
class _Dummies:
    """A categorical covariate's dummy columns kept as its rows' group codes: written out as 0/1 only when a
    model's columns are put side by side (_side_by_side), all of them at once, a slice of rows at a time."""

    names: list[str]
    codes: np.ndarray  # each row's group
    groups: np.ndarray  # the group of each column

    def __len__(self) -> int:
        return len(self.codes)

    def pairs(self) -> list[tuple[str, np.ndarray]]:
        return [(name, self.codes == k) for name, k in zip(self.names, self.groups)]


def _numeric_columns(data: pd.DataFrame, name: str, values: np.ndarray | None = None) -> list[tuple[str, np.ndarray]]:
    """A number covariate, its missing values at its median, and beside it an indicator of them (when any of
    them left: without exits, no indicator, as for a group)."""
    values = data[name].to_numpy(dtype=float, na_value=np.nan) if values is None else values
    unrecorded = np.isnan(values)
    out = [(name, np.where(unrecorded, np.nanmedian(values), values) if unrecorded.any() else values)]
    if unrecorded.any() and _has_events(data, unrecorded.astype(int), 2)[1]:
        out.append((f"{name} not recorded", unrecorded))
    return out


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
    _require_effect(fu, "the naive model")
    ep = fu.episodes[fu.episodes["duration_days"] > 0]
    X = pd.DataFrame({"mentored": ep["mentored"].astype(float).to_numpy()})
    result = fit_cox(np.zeros(len(ep)), ep["duration_days"], ep["event"], X)
    return ModelFit("naive", _identified(result, "mentored"), result)


def time_varying_model(fu: FollowUp) -> ModelFit:
    """Mentored from the first mentorship's start onward; unadjusted."""
    _require_effect(fu, "the time-varying model")
    r = fu.rows
    X = pd.DataFrame({"mentored": r["mentored"].astype(float).to_numpy()})
    result = fit_cox(r["start"], r["stop"], r["event"], X)
    return ModelFit("time_varying", _identified(result, "mentored"), result)


def adjusted_model(fu: FollowUp, strata: str | None = None, extra: pd.DataFrame | None = None,
                   effect: str = "mentored", covariates: tuple[str, ...] | None = None,
                   start: dict[str, float] | None = None) -> ModelFit:
    """Time-varying mentoring plus every usable covariate (or those chosen); optional strata. `start`: where
    Newton's iterations begin for some columns (by name); it shortens them, the optimum does not depend on it."""
    if strata is None and extra is None:  # the headline's, fitted again by the interaction tests: fitted once
        key = _headline_key(effect, covariates)
        if key not in fu._kept:
            fu._kept[key] = _adjusted_model(fu, strata, extra, effect, covariates, start)
        return fu._kept[key]
    return _adjusted_model(fu, strata, extra, effect, covariates, start)


def _headline_key(effect: str, covariates: tuple[str, ...] | None) -> tuple:
    return ("adjusted", effect, None if covariates is None else tuple(covariates))


def _adjusted_model(fu: FollowUp, strata: str | None, extra: pd.DataFrame | None, effect: str,
                    covariates: tuple[str, ...] | None, start: dict[str, float] | None = None) -> ModelFit:
    _require_comparison(fu, "the adjusted model")
    r = fu.rows  # read by position below: no copy with a new index
    base = extra if extra is not None else pd.DataFrame({"mentored": r["mentored"].astype(float)})
    head = fu._kept.get(_headline_key("mentored", covariates)) if strata is None and extra is not None else None
    by_pattern = head is not None and _indicators(base) and isinstance(head.result._data["X"], PatternColumns)
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
            X = _side_by_side(base, (names, dense_columns(d["X"])[:, keep]))
        design = Design(None, head.covariates, dict(head.dropped), head.pooled, head.references)
        start = {**head.result.params_.to_dict(), **(start or {})}
    elif strata is None and extra is None:  # the headline's columns, worked out once per follow-up
        X, design, collinear = _design_for(fu, covariates)
    else:  # the model's columns written once, side by side
        columns, design = _design_columns(r, CATEGORICAL + NUMERIC if covariates is None else tuple(covariates),
                                          exclude=(strata,) if strata else (), first=fu.first_rows())
        X = _side_by_side(base, *columns)
        del columns
    if by_pattern:
        collinear = _dependent(X.gram(), X.names, base.shape[1])
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
    return ModelFit("adjusted", _identified(result, effect), result, design.used, {**design.dropped, **collinear},
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
            columns, design = _design_columns(r, CATEGORICAL + NUMERIC if covariates is None else tuple(covariates),
                                              first=fu.first_rows())
            X = _by_pattern(("mentored", r["mentored"].to_numpy(bool)), *columns)
            del columns
            collinear = _dependent(X.gram(), X.names, 1)
            fu._kept[key] = (X.without(collinear) if collinear else X, design, collinear)
    return fu._kept[key]


def _by_pattern(*parts: tuple[str, np.ndarray] | _Dummies) -> PatternColumns:
    """Named columns and characteristics' dummies side by side, held by pattern (cox.PatternColumns): each
    row's pattern is its groups and its true/false values; numbers are held row by row."""
    names, binary, rest, numbers = [], [], [], []
    code, count, factors = np.zeros(len(parts[0][1] if isinstance(parts[0], tuple) else parts[0]), np.int64), 1, []
    for part in parts:
        if isinstance(part, _Dummies):  # its column k is 1 for group groups[k]: the factor's code is k + 1, or 0
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
    return _kept_other_exits(fu, X)


def _kept_other_exits(fu: FollowUp, X: PatternColumns) -> CoxResult | None:
    key = ("other_exits", id(X))  # kept with the columns, so that the id stays theirs
    if key not in fu._kept:
        fu._kept[key] = (X, _other_exits_model(fu, fu.rows, X))
    return fu._kept[key][1]


def _indicators(frame: pd.DataFrame) -> bool:
    """Whether every column is a true/false indicator with some rows true and some false."""
    return all(frame[c].dtype == bool and 0 < int(frame[c].sum()) < len(frame) for c in frame)


def _side_by_side(*parts: pd.DataFrame | tuple[str, np.ndarray] | tuple[list[str], np.ndarray]) -> pd.DataFrame:
    """Frames' columns, named columns and named blocks of columns side by side as one float block laid out as
    a model reads it (row by row), written once, a slice of rows at a time: no frame of pieces, no copy when
    the model takes it."""
    pieces: list[tuple[list[str], np.ndarray | _Dummies]] = []  # (names, values: a column, rows x columns, dummies)
    for part in parts:
        if isinstance(part, pd.DataFrame):
            pieces += [([str(name)], part[name].to_numpy()) for name in part]
        elif isinstance(part, _Dummies):
            pieces.append((part.names, part))
        else:
            names, values = part
            pieces.append(([str(names)] if isinstance(names, str) else [str(n) for n in names], values))
    n = len(pieces[0][1]) if pieces else 0
    block = np.empty((n, sum(len(names) for names, _ in pieces)))
    for lo in range(0, n, ROW_SLICE):
        rows, j = block[lo:lo + ROW_SLICE], 0
        for names, values in pieces:
            if isinstance(values, _Dummies):  # every dummy of a characteristic in one comparison
                np.equal(values.codes[lo:lo + ROW_SLICE, None], values.groups[None, :], out=rows[:, j:j + len(names)],
                         casting="unsafe")
            elif values.ndim == 1:
                rows[:, j] = values[lo:lo + ROW_SLICE]  # (bool: 0 or 1)
            else:
                rows[:, j:j + len(names)] = values[lo:lo + ROW_SLICE]
            j += len(names)
    return pd.DataFrame(block, columns=[name for names, _ in pieces for name in names])


def _identified(result: CoxResult, effect: str) -> HazardRatio:
    """The effect's HR, or EstimationError when the data cannot separate it from the covariates."""
    hr = result.hazard_ratio(effect)
    se = result.summary_.set_index("covariate").loc[effect, "se"]
    if not (np.isfinite(se) and se < MAX_LOG_SE and np.isfinite(hr.lower) and np.isfinite(hr.upper)):
        raise EstimationError(f"the effect of {effect} cannot be separated from the other characteristics "
                              "in this group (too few exits in some combination)")
    return hr


# ---------------------------------------------------------------- curves and summaries

@dataclass(frozen=True)
class GroupCurves:
    """Extended (Simon-Makuch) Kaplan-Meier curves: mentored intervals enter at m."""

    mentored: KaplanMeier
    unmentored: KaplanMeier


def extended_km(fu: FollowUp) -> GroupCurves:
    _require(fu, "retention curves")
    r = fu.rows
    mentored = r["mentored"].to_numpy(bool)
    start, stop, event = (r[c].to_numpy() for c in ("start", "stop", "event"))
    fits = {}
    for flag, name in ((True, "mentored"), (False, "unmentored")):
        part = mentored == flag  # the three columns the curve needs, not a copy of every row
        if fu.people_among(part) < MIN_GROUP_SIZE:
            raise NotEnoughData(f"not enough data for retention curves: fewer than {MIN_GROUP_SIZE} {name} people")
        fits[name] = KaplanMeier().fit(start[part], stop[part], event[part])
    return GroupCurves(**fits)


def retention_at(curves: GroupCurves, horizon_days: float) -> dict[str, Estimate]:
    return {name: getattr(curves, name).survival_at(horizon_days) for name in ("mentored", "unmentored")}


def rmst(curves: GroupCurves, tau_days: float) -> dict[str, Estimate]:
    """Restricted mean tenure to tau; the difference treats the groups as independent (approximate)."""
    return {"mentored": curves.mentored.rmst(tau_days), "unmentored": curves.unmentored.rmst(tau_days),
            "difference": rmst_difference(curves.mentored, curves.unmentored, tau_days)}


def logrank_test(fu: FollowUp) -> TestResult:
    r = fu.rows
    return logrank(r["start"], r["stop"], r["event"], r["mentored"].map({True: "mentored", False: "unmentored"}))


def overall_km(fu: FollowUp) -> KaplanMeier:
    ep = fu.episodes[fu.episodes["duration_days"] > 0]
    return KaplanMeier().fit(np.zeros(len(ep)), ep["duration_days"], ep["event"])


@dataclass(frozen=True)
class Landmark:
    """Still employed at L; mentored by L or not; followed from L."""

    landmark_days: float
    curves: GroupCurves
    hazard_ratio: HazardRatio
    n_mentored: int
    n_unmentored: int


def landmark(fu: FollowUp, landmark_days: float = LANDMARK_DEFAULT_MONTHS * DAYS_PER_MONTH) -> Landmark:
    ep = fu.episodes
    at_l = ep[ep["duration_days"] > landmark_days]
    by_l = (at_l["mentored_from_day"] <= landmark_days).fillna(False).to_numpy(dtype=bool)
    stop = at_l["duration_days"].to_numpy(float) - landmark_days
    event = at_l["event"].to_numpy(bool)
    if min(by_l.sum(), (~by_l).sum()) < MIN_GROUP_SIZE or event.sum() == 0:
        raise NotEnoughData(f"not enough data for a landmark at {months(landmark_days)} months")
    zero = np.zeros(len(stop))
    curves = GroupCurves(KaplanMeier().fit(zero[by_l], stop[by_l], event[by_l]),
                         KaplanMeier().fit(zero[~by_l], stop[~by_l], event[~by_l]))
    result = fit_cox(zero, stop, event, pd.DataFrame({"mentored": by_l.astype(float)}))
    return Landmark(landmark_days, curves, result.hazard_ratio("mentored"), int(by_l.sum()), int((~by_l).sum()))


def exit_causes(fu: FollowUp) -> dict[str, pd.DataFrame]:
    """Cumulative incidence of voluntary, involuntary and other exits (competing risks)."""
    ep = fu.episodes[fu.episodes["duration_days"] > 0]
    cause = np.where(ep["exited"], ep["exit_reason"].map(CAUSES).fillna(3), 0).astype(int)
    tables = cumulative_incidence(np.zeros(len(ep)), ep["duration_days"], cause, causes=[1, 2, 3])
    return {name: tables[code] for name, code in (("voluntary", 1), ("involuntary", 2), ("other", 3))}


def exit_causes_by_mentoring(fu: FollowUp) -> dict[str, dict[str, pd.DataFrame]]:
    """The same, for mentored and not mentored time: a mentored person enters the mentored curves on the day
    their mentoring began and leaves the unmentored ones then (delayed entry, as the extended Kaplan-Meier
    curves do), so the months before mentoring are not credited to it. A group under the privacy minimum
    is left out."""
    r = fu.rows[fu.rows["stop"] > fu.rows["start"]]
    last = (r["stop"] == r["duration_days"]).to_numpy() & r["exited"].to_numpy(bool)
    cause = np.where(last, r["exit_reason"].map(CAUSES).fillna(3).to_numpy(), 0).astype(int)
    out = {}
    for group, on in (("mentored", r["mentored"].to_numpy(bool)), ("not mentored", ~r["mentored"].to_numpy(bool))):
        if r.loc[on, "employee_id"].nunique() < MIN_GROUP_SIZE:
            continue
        tables = cumulative_incidence(r.loc[on, "start"], r.loc[on, "stop"], cause[on], causes=[1, 2, 3])
        out[group] = {name: tables[code] for name, code in (("voluntary", 1), ("involuntary", 2), ("other", 3))}
    return out


def exit_causes_at(tables: dict[str, pd.DataFrame], t: float) -> dict[str, Estimate]:
    return {name: cumulative_incidence_at(table, t) for name, table in tables.items()}


def proportional_hazards(fit: ModelFit) -> pd.DataFrame:
    """Grambsch-Therneau test per covariate (dummies of one variable tested jointly) and globally."""
    names = list(fit.result.params_.index)
    terms: dict[str, list[str]] = {}
    for name in names:
        terms.setdefault(name.split("=")[0].replace(" not recorded", ""), []).append(name)
    return ph_test(fit.result, terms=terms)


# ---------------------------------------------------------------- subgroups

@dataclass(frozen=True)
class SubgroupEffect:
    """The mentoring HR in one group, or the reason there is none."""

    dimension: str
    group: str
    people: int | None
    exits: int | None
    hazard_ratio: HazardRatio | None
    note: str | None = None

    def as_row(self, rounded: bool = False) -> dict:
        """A table row; with `rounded` (a filtered group, a chosen as-of date) its counts to the nearest 5."""
        hr = self.hazard_ratio.to_dict() if self.hazard_ratio else {"estimate": None, "lower": None,
                                                                     "upper": None, "p": None}
        count = lambda n: None if n is None else shown_total(n, rounded)  # noqa: E731
        return {"dimension": self.dimension, "group": self.group, "people": count(self.people),
                "exits": count(self.exits), **hr, "note": self.note}


def _suppressed(dimension: str, group: str, people: int, exits: int, why: str) -> SubgroupEffect:
    shown_people = people if people >= MIN_GROUP_SIZE else None
    shown_exits = exits if people >= MIN_GROUP_SIZE and exits >= MIN_GROUP_SIZE else None
    return SubgroupEffect(dimension, group, shown_people, shown_exits, None, f"not enough data: {why}")


def _indicator_effects(fu: FollowUp, dimension: str, labels: pd.Series) -> list[SubgroupEffect]:
    """Each kind of mentoring its own time-varying indicator against the unmentored, adjusted."""
    r = fu.rows
    if isinstance(labels.dtype, pd.CategoricalDtype):  # codes given: no strings hashed
        codes, names = labels.cat.codes.to_numpy(), list(labels.cat.categories)
        if (codes < 0).any():
            codes, names = np.where(codes < 0, len(names), codes), [*names, "not recorded"]
    else:
        values = labels.to_numpy(object)
        missing = pd.isna(values)
        if missing.any():
            values = np.where(missing, "not recorded", values)
        codes, names = pd.factorize(values)
    mentored, event, person = r["mentored"].to_numpy(bool), r["event"].to_numpy(bool), _person_codes(fu)
    # people and exits of each kind, in one pass over the mentored rows (integer codes, not strings)
    m_codes, m_person, width = codes[mentored], person[mentored].astype(np.int64), int(person.max(initial=0)) + 1
    rows_of = np.bincount(m_codes, minlength=len(names))
    kinds = sorted((str(names[k]), k) for k in np.flatnonzero(rows_of))
    once = ~pd.Series(m_codes.astype(np.int64) * width + m_person).duplicated().to_numpy()  # each (kind, person)
    n_people = np.bincount(m_codes[once], minlength=len(names))
    n_exits = np.bincount(m_codes, weights=event[mentored], minlength=len(names))
    out, columns = [], {}
    for kind, k in kinds:
        on = mentored & (codes == k)
        people, exits = int(n_people[k]), int(n_exits[k])
        if people < MIN_GROUP_SIZE or exits < MIN_SUBGROUP_EXITS:
            why = (f"{people:,} people, {count_words(exits)} exits (at least {MIN_SUBGROUP_EXITS} needed)"
                   if people >= MIN_GROUP_SIZE else f"fewer than {MIN_GROUP_SIZE} people")
            out.append(_suppressed(dimension, kind, people, exits, why))
            columns[f"other mentoring ({kind})"] = on
        else:
            columns[kind] = on
            out.append(SubgroupEffect(dimension, kind, people, exits, None))
    small = [c for c in columns if c.startswith("other mentoring")]
    X = pd.DataFrame({k: v for k, v in columns.items() if k not in small})
    if small:
        X["other mentoring"] = np.logical_or.reduce([columns[c] for c in small])  # one kind each at a time
    if X.shape[1] == 0:
        return out
    head = fu._kept.get(_headline_key("mentored", None))  # fitted already: each kind starts at its effect
    start = None if head is None else dict.fromkeys(X.columns, float(head.result.params_["mentored"]))
    fit = adjusted_model(fu, extra=X, effect=X.columns[0], start=start)
    return [e if e.note else _effect_or_note(fit.result, e) for e in out]


def _picked(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of a frame a mask picks, numbered afresh (one copy of them, not two)."""
    out = frame.take(np.flatnonzero(mask))
    out.index = pd.RangeIndex(len(out))
    return out


def _person_duplicated(fu: FollowUp, keep: str) -> np.ndarray:
    """Whether each row's person has an earlier (keep="first") or later (keep="last") row: by the people's
    integer codes, worked out once per follow-up, not by their ids' strings."""
    key = ("duplicated", keep)
    if key not in fu._kept:
        fu._kept[key] = pd.Series(_person_codes(fu)).duplicated(keep=keep).to_numpy()
    return fu._kept[key]


def _person_codes(fu: FollowUp) -> np.ndarray:
    """Each counting-process row's person as an integer (worked out once per follow-up)."""
    if "person_codes" not in fu._kept:
        fu._kept["person_codes"] = pd.factorize(fu.rows["employee_id"])[0]
    return fu._kept["person_codes"]


def _effect_or_note(result: CoxResult, e: SubgroupEffect) -> SubgroupEffect:
    try:
        return SubgroupEffect(e.dimension, e.group, e.people, e.exits, _identified(result, e.group))
    except EstimationError as exc:
        return SubgroupEffect(e.dimension, e.group, e.people, e.exits, None, f"not enough data: {exc}")


def programme_effects(fu: FollowUp) -> list[SubgroupEffect]:
    return _indicator_effects(fu, "programme type", fu.rows["program_type"].fillna("unspecified"))


PAIR_LABELS = {
    "mentor_is_manager": {True: "mentor is the line manager", False: "mentor is not the line manager"},
    "reverse_pair": {True: "younger mentor", False: "older or same-age mentor"},
    "cross_generation": {True: "mentor from another generation", False: "mentor from the same generation"},
}
OUTSIDE_ROSTER = "mentor outside the roster (age unknown)"  # an external coach, or someone not in the HR file
AGE_NOT_RECORDED = "birth year not recorded"


def pair_labels(frame: pd.DataFrame, column: str) -> pd.Series:
    """Boolean pair fields in words. Where an age comparison has no answer, it says why: the mentor is not in
    the roster (so their age is unknown), or a birth year is missing."""
    labels = frame[column].map(PAIR_LABELS[column]).astype("string")
    if "mentor_is_employee" in frame:
        outside = ~frame["mentor_is_employee"].astype("boolean").fillna(False).to_numpy(bool)
        labels = labels.mask(labels.isna() & outside, OUTSIDE_ROSTER)
    return labels.fillna(AGE_NOT_RECORDED)


def mentor_manager_effects(fu: FollowUp) -> list[SubgroupEffect]:
    return _indicator_effects(fu, "mentor is manager", pair_labels(fu.rows, "mentor_is_manager"))


def reverse_pair_effects(fu: FollowUp) -> list[SubgroupEffect]:
    return _indicator_effects(fu, "reverse pairs", pair_labels(fu.rows, "reverse_pair"))


def cross_generation_effects(fu: FollowUp) -> list[SubgroupEffect]:
    return _indicator_effects(fu, "cross-generation pairs", pair_labels(fu.rows, "cross_generation"))


def meetings_effects(fu: FollowUp) -> list[SubgroupEffect]:
    """Dose-response by meetings held; meetings pile up while people stay, so this leans optimistic."""
    m = fu.rows["meetings"]
    names = [f"{lo}-{hi} meetings" if hi is not None else f"{lo}+ meetings" for lo, hi in MEETING_BANDS]
    edges = [MEETING_BANDS[0][0] - 1] + [hi if hi is not None else np.inf for _, hi in MEETING_BANDS]
    bands = pd.cut(m, edges, labels=names).astype("string").fillna("meetings not recorded")
    names.append("meetings not recorded")
    return sorted(_indicator_effects(fu, "meetings", bands), key=lambda e: names.index(e.group))


def group_effects(fu: FollowUp, dimension: str, interaction: bool = True
                  ) -> tuple[list[SubgroupEffect], TestResult | None]:
    """HR within each group of a dimension, and the LR test of the mentoring-by-group interaction (None when
    `interaction` is False: the test fits a model as large as the adjusted one with a term more per group)."""
    r = fu.rows
    labels = r[dimension].astype("string").fillna("not recorded")
    people_labels = fu.episodes[dimension].astype("string").fillna("not recorded")
    out = []
    for group in in_order(dimension, labels.unique()):
        part = r[labels == group]
        people, exits = part["employee_id"].nunique(), int(part["event"].sum())
        mentored = part.loc[part["mentored"], "employee_id"].nunique()
        if people < MIN_GROUP_SIZE or exits < MIN_SUBGROUP_EXITS or min(mentored, people - mentored) < MIN_GROUP_SIZE:
            out.append(_suppressed(dimension, group, people, exits,
                                   f"needs {MIN_GROUP_SIZE}+ people mentored and not, and {MIN_SUBGROUP_EXITS}+ exits"))
            continue
        sub = FollowUp(fu.episodes[people_labels == group], part, fu.as_of, fu.event, fu.cohort)
        try:
            fit = adjusted_model(sub)
        except EstimationError as exc:
            out.append(_suppressed(dimension, group, people, exits, str(exc)))
            continue
        out.append(SubgroupEffect(dimension, group, people, exits, fit.hazard_ratio))
    return out, _interaction_test(fu, dimension, labels) if interaction else None


def segment_effects(fu: FollowUp, dimension: str, labels: pd.Series | None = None) -> list[SubgroupEffect]:
    """The mentoring HR in each group of a dimension from one adjusted model: a mentoring indicator per group
    (its coefficient the group's own log HR), the other characteristics' effects shared by all groups. One
    fit per dimension where fitting each group apart takes one per group; a group too small for an effect
    of its own is named with the reason."""
    if labels is None:
        labels = fu.rows[dimension].astype("string").fillna("not recorded")
    return _indicator_effects(fu, dimension, labels)


def _interaction_test(fu: FollowUp, dimension: str, labels: pd.Series) -> TestResult | None:
    r = fu.rows.reset_index(drop=True)
    labels = labels.reset_index(drop=True)
    sizes = labels.value_counts()
    keep = sizes[sizes >= SMALL_LEVEL].index
    if len(keep) < 2:
        return None
    reference = sizes.index[0]
    mentored = r["mentored"].astype(float)
    inter = pd.DataFrame({f"mentored x {g}": mentored * (labels == g) for g in keep if g != reference})
    try:
        base = adjusted_model(fu)
        full = adjusted_model(fu, extra=pd.concat([mentored.rename("mentored"), inter], axis=1))
    except EstimationError:
        return None
    stat = max(0.0, 2 * (full.result.loglik_ - base.result.loglik_))
    df = inter.shape[1]
    return TestResult(stat, df, float(stats.chi2.sf(stat, df)), f"mentoring x {dimension} interaction")


# ---------------------------------------------------------------- mentors' own retention

def mentor_own_effect(con, fu: FollowUp) -> ModelFit:
    """Having mentored someone, as a time-varying covariate of the mentor's own exits (adjusted)."""
    rows = store.split_episodes(con, fu.episodes, split_on="mentor", by_stop=True)
    rows["event"] = rows["event"].astype(bool)
    rows["mentored"] = rows["mentored"].astype(bool)  # here: has mentored someone by then
    if rows.loc[rows["mentored"], "employee_id"].nunique() < MIN_GROUP_SIZE:
        raise NotEnoughData(f"not enough data: fewer than {MIN_GROUP_SIZE} mentors in scope")
    sub = FollowUp(fu.episodes, rows, fu.as_of, fu.event, fu.cohort, fu.own_as_of)
    extra = pd.DataFrame({"has mentored": rows["mentored"].astype(float)})
    return adjusted_model(sub, extra=extra, effect="has mentored")


# ---------------------------------------------------------------- each person's own risk

@dataclass(frozen=True)
class ExitRisk:
    """Everyone employed at the as-of date (with follow-up time): their chance of a voluntary exit
    within the horizon given their tenure and characteristics, from the adjusted time-varying model,
    without mentoring and with it at the effect's estimate and 95% limits (other exits competing)."""

    people: pd.DataFrame   # employee_id, tenure_days, mentored, salary, p_unmentored, p_mentored, _lower, _upper
    horizon_days: float
    extrapolated: int      # people whose horizon runs past the longest tenure the data has seen
    rows: np.ndarray | None = None  # each person's last row in the follow-up's rows (FollowUp.rows), in order


def exit_risks(fu: FollowUp, adjusted: ModelFit, horizon_days: float, mentored: bool = True) -> ExitRisk:
    """Cause-specific hazards: the adjusted model for voluntary exits and the same characteristics for
    the other exits that compete with them (methods: docs/methods.md, "Each person's own risk").
    `mentored` False: only p_unmentored (what the business case and where to extend next use). Each column
    is worked out once per follow-up, model and horizon."""
    key = ("exit_risks", float(horizon_days), adjusted.hazard_ratio)
    kept = fu._kept.get(key)
    if kept is None or kept[0] is not adjusted.result:
        kept = fu._kept[key] = (adjusted.result, _RiskParts(fu, adjusted, horizon_days))
    parts = kept[1]
    out = parts.people.copy()
    for name in parts.effects if mentored else ("p_unmentored",):
        out[name] = parts.column(name)
    return ExitRisk(out, float(horizon_days), parts.extrapolated, parts.rows)


class _RiskParts:
    """What each person's risk is worked out from (the models' linear predictors and baseline hazards), and
    the columns worked out so far."""

    def __init__(self, fu: FollowUp, adjusted: ModelFit, horizon_days: float):
        r = fu.rows  # by position: each person's last row, and those still employed, without a copy of the rows
        fit = adjusted.result
        X = fit._data["X"]
        names = list(fit._data["names"])
        beta = fit.params_.to_numpy()
        effect = names.index("mentored")
        last = fu.last_rows()
        at = self.rows = last[~r["exited"].to_numpy(bool)[last]]
        now = r.iloc[at][["employee_id", "duration_days", "mentored", "salary"]]
        # each one's linear predictors without mentoring (the flag's column left out) and for the other exits
        self.lp_unmentored = linear_predictor(X, np.where(np.arange(len(beta)) == effect, 0.0, beta), at)
        other = _kept_other_exits(fu, X) if fu.event != "all" else None
        self.lp_other = linear_predictor(X, other.params_.to_numpy(), at) if other is not None else None
        tenure = now["duration_days"].to_numpy(float)
        hr = adjusted.hazard_ratio
        self.people = pd.DataFrame({"employee_id": now["employee_id"].to_numpy(), "tenure_days": tenure,
                                    "mentored": now["mentored"].to_numpy(bool), "salary": now["salary"].to_numpy(float)})
        self.effects = {"p_unmentored": 0.0, "p_mentored": np.log(hr.estimate), "p_mentored_lower": np.log(hr.lower),
                        "p_mentored_upper": np.log(hr.upper)}
        # both models' baseline hazards (each a pass over every row), side by side
        parallel.each(lambda model: model.baseline_cumulative_hazard_, [m for m in (fit, other) if m is not None])
        self.hazards_v = _DailyHazards(fit, tenure, horizon_days)
        self.hazards_o = _DailyHazards(other, tenure, horizon_days) if other is not None else None
        self.parts = np.array_split(np.arange(len(tenure)),
                                    max(1, int(np.ceil(len(tenure) * horizon_days / RISK_CELLS))))
        longest = float(fit.baseline_cumulative_hazard_["time"].max())
        self.extrapolated = int((tenure + horizon_days > longest).sum())
        self.columns: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        if name not in self.columns:
            log_hr = self.effects[name]

            def slices(parts: list[np.ndarray]) -> list[np.ndarray]:  # people x days, a slice at a time
                out = []
                for part in parts:
                    other = self.hazards_o is not None
                    out.append(_voluntary_probability(
                        self.hazards_v.since(part), np.exp(self.lp_unmentored[part] + log_hr),
                        self.hazards_o.since(part) if other else None, np.exp(self.lp_other[part]) if other else None))
                return out

            # the slices shared among the cores, each core's in order
            shares = [self.parts[i::parallel.cores()] for i in range(min(parallel.cores(), len(self.parts)))]
            done = parallel.each(slices, shares)
            pieces = [None] * len(self.parts)
            for i, results in enumerate(done):
                pieces[i::len(done)] = results
            self.columns[name] = np.concatenate(pieces) if pieces else np.array([], dtype=float)
        return self.columns[name]


def _other_exits_model(fu: FollowUp, r: pd.DataFrame, X: PatternColumns) -> CoxResult | None:
    """The exits that are not the event (involuntary, retirement, ...) on the same characteristics;
    None when there are too few to estimate (then they are left out, which errs toward more exits)."""
    final = r["stop"].to_numpy() == r["duration_days"].to_numpy()
    other = final & r["exited"].to_numpy(bool) & ~r["event"].to_numpy(bool)
    if other.sum() < MIN_SUBGROUP_EXITS:
        return None
    try:
        return fit_cox(r["start"], r["stop"], other, X)
    except EstimationError:
        return None


def _baseline(fit: CoxResult):
    """The baseline cumulative hazard as a function of tenure (days). Past the longest tenure observed, the
    hazard stays at its average over the last observed year."""
    base = fit.baseline_cumulative_hazard_
    times, cumulative = base["time"].to_numpy(float), base["cumulative_hazard"].to_numpy(float)
    longest = times[-1]
    year_before = np.interp(longest - TAIL_DAYS, times, cumulative, left=0.0)
    tail_rate = max(cumulative[-1] - year_before, 0.0) / min(float(TAIL_DAYS), longest)

    def H(t: np.ndarray) -> np.ndarray:
        at = np.searchsorted(times, t, side="right") - 1
        inside = np.where(at >= 0, cumulative[np.maximum(at, 0)], 0.0)
        return np.where(t > longest, cumulative[-1] + tail_rate * (t - longest), inside)

    return H


class _DailyHazards:
    """Each person's baseline cumulative hazard since the as-of date, at the start of each day of the horizon
    and at its end (people x days + 1), for slices of the people. Where every tenure is a whole number of days,
    read from the baseline at each day of one run of days covering them all (the same numbers, without looking
    up every person's every day in the baseline hazard)."""

    def __init__(self, fit: CoxResult, tenure: np.ndarray, horizon_days: float):
        self.H, self.tenure = _baseline(fit), tenure
        self.days = np.arange(int(round(horizon_days)) + 1)
        self.table = None
        if len(tenure) and np.all(np.isfinite(tenure)) and np.all(tenure == np.floor(tenure)):
            first = float(tenure.min())
            self.table = self.H(np.arange(first, float(tenure.max()) + len(self.days)))  # whole days, exactly
            self.start = (tenure - first).astype(np.int64)
            self.H = None  # not needed again: the model and its rows are not kept for it

    def since(self, part: np.ndarray) -> np.ndarray:
        if self.table is None:
            out = self.H(self.tenure[part][:, None] + self.days[None, :])
        else:
            out = sliding_window_view(self.table, len(self.days))[self.start[part]]  # each one's run of days
        out -= out[:, :1]
        return out


def _voluntary_probability(since_v: np.ndarray, risk_v: np.ndarray, since_o: np.ndarray | None,
                           risk_o: np.ndarray | None) -> np.ndarray:
    """P(voluntary exit within the horizon) from each person's baseline cumulative hazards since the as-of
    date at each day's start (people x days + 1; `since_o`: the other exits', None without them) and their
    relative risks, each day's hazards held constant (exact for the step-function baseline of a Cox model
    fitted on whole days): the sum over days of the chance of still being employed that morning, times the
    chance of leaving that day, times the voluntary share of it; the first two together are S(d-1) - S(d), the
    chance of being employed that morning and not the next. The arrays given are used as workspace."""
    voluntary = np.multiply(since_v, risk_v[:, None], out=since_v)
    if since_o is None:
        total = voluntary.copy()
    else:
        total = np.multiply(since_o, risk_o[:, None], out=since_o)
        total += voluntary
    share = np.diff(voluntary, axis=1)  # each day's voluntary hazard
    day = np.diff(total, axis=1)        # and all exits'
    np.divide(share, day, out=share, where=day > 0)  # the voluntary share (0 where nothing can happen)
    alive = np.exp(np.negative(total, out=total), out=total)  # still employed each morning, and the last evening
    leave = np.subtract(alive[:, :-1], alive[:, 1:], out=day)  # employed that morning and not the next
    return np.einsum("ij,ij->i", leave, share)


# ---------------------------------------------------------------- what an unmeasured factor would need

@dataclass(frozen=True)
class EValue:
    """VanderWeele & Ding (2017): the smallest risk ratio an unmeasured factor would need with both
    mentoring and leaving, beyond the adjustment, to explain the effect away (`estimate`) or to move
    the interval to include no effect (`ci`; 1 when it already does)."""

    estimate: float
    ci: float
    risk_ratio: float          # the hazard ratio on the risk-ratio scale the E-value is taken on
    common_outcome: bool       # more than 15% had left by the end of follow-up: the HR is converted

    def to_dict(self) -> dict:
        return {"estimate": float(self.estimate), "ci": float(self.ci)}


def risk_ratio_of(hazard_ratio: float, common_outcome: bool) -> float:
    """A hazard ratio as a risk ratio: itself for a rare outcome; for a common one VanderWeele's (2017)
    square-root conversion, RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))."""
    if not common_outcome:
        return hazard_ratio
    return (1 - 0.5 ** np.sqrt(hazard_ratio)) / (1 - 0.5 ** np.sqrt(1 / hazard_ratio))


def e_value_of(risk_ratio: float) -> float:
    """E = RR + sqrt(RR (RR - 1)), with RR taken above 1 (a protective RR is inverted)."""
    rr = 1 / risk_ratio if risk_ratio < 1 else risk_ratio
    return float(rr + np.sqrt(rr * (rr - 1)))


def e_value(hr: HazardRatio, common_outcome: bool) -> EValue:
    """The E-value of a hazard ratio and of its confidence limit nearer 1 (1 when the interval spans 1)."""
    rr = risk_ratio_of(hr.estimate, common_outcome)
    spans = hr.lower <= 1 <= hr.upper
    nearer = hr.upper if hr.estimate < 1 else hr.lower
    ci = 1.0 if spans else e_value_of(risk_ratio_of(nearer, common_outcome))
    return EValue(e_value_of(rr), ci, float(rr), common_outcome)


def outcome_is_common(fu: FollowUp) -> bool:
    """More than 15% had the event by the end of follow-up (VanderWeele's threshold for converting a
    hazard ratio before taking its E-value)."""
    km = overall_km(fu)
    return bool(1 - km.table_["survival"].iloc[-1] > COMMON_OUTCOME) if len(km.table_) else False
