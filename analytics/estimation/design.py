"""Design matrices: each characteristic as columns (dummies for categories, numbers as they are), columns that
add nothing taken out and named.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analytics.common.errors import RetentionError
from analytics.common.policy import MAX_MISSING_SHARE, SMALL_LEVEL
from analytics.words.wording import pct


CATEGORICAL = ("department", "job_level", "location", "gender", "generation", "hire_year")
NUMERIC = ("performance_rating", "log_salary")


ROW_SLICE = 16_384  # rows written at once when a model's columns are put side by side (see side_by_side)


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
    columns, design = design_columns(frame, covariates, exclude)
    return replace(design, X=side_by_side(*columns) if columns else pd.DataFrame(index=frame.index))


def design_columns(frame: pd.DataFrame, covariates=CATEGORICAL + NUMERIC, exclude=(),
                    first: np.ndarray | None = None) -> tuple[list, Design]:
    """design_matrix's columns as (name, values) pairs and Dummies, and the rest of its Design (X: None): a
    model puts them beside its own columns in one block (side_by_side) without a frame of them in between.
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
    dropped = dependent_columns(G, [str(c) for c in X.columns], protected)
    if not dropped:
        return X, dropped  # every column kept: the frame itself, not a copy of it
    return X[[c for c in X.columns if str(c) not in dropped]], dropped


def dependent_columns(G: np.ndarray, names: list[str], protected: int) -> dict[str, str]:
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
    dummies = Dummies([f"{name}={levels[k]}" for k in kept], row_codes, np.array(kept))
    return ([dummies] if kept else []), small, str(levels[reference])


@dataclass(frozen=True)
class Dummies:
    """A categorical covariate's dummy columns kept as its rows' group codes: written out as 0/1 only when a
    model's columns are put side by side (side_by_side), all of them at once, a slice of rows at a time."""

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


def indicators(frame: pd.DataFrame) -> bool:
    """Whether every column is a true/false indicator with some rows true and some false."""
    return all(frame[c].dtype == bool and 0 < int(frame[c].sum()) < len(frame) for c in frame)


def side_by_side(*parts: pd.DataFrame | tuple[str, np.ndarray] | tuple[list[str], np.ndarray]) -> pd.DataFrame:
    """Frames' columns, named columns and named blocks of columns side by side as one float block laid out as
    a model reads it (row by row), written once, a slice of rows at a time: no frame of pieces, no copy when
    the model takes it."""
    pieces: list[tuple[list[str], np.ndarray | Dummies]] = []  # (names, values: a column, rows x columns, dummies)
    for part in parts:
        if isinstance(part, pd.DataFrame):
            pieces += [([str(name)], part[name].to_numpy()) for name in part]
        elif isinstance(part, Dummies):
            pieces.append((part.names, part))
        else:
            names, values = part
            pieces.append(([str(names)] if isinstance(names, str) else [str(n) for n in names], values))
    n = len(pieces[0][1]) if pieces else 0
    block = np.empty((n, sum(len(names) for names, _ in pieces)))
    for lo in range(0, n, ROW_SLICE):
        rows, j = block[lo:lo + ROW_SLICE], 0
        for names, values in pieces:
            if isinstance(values, Dummies):  # every dummy of a characteristic in one comparison
                np.equal(values.codes[lo:lo + ROW_SLICE, None], values.groups[None, :], out=rows[:, j:j + len(names)],
                         casting="unsafe")
            elif values.ndim == 1:
                rows[:, j] = values[lo:lo + ROW_SLICE]  # (bool: 0 or 1)
            else:
                rows[:, j:j + len(names)] = values[lo:lo + ROW_SLICE]
            j += len(names)
    return pd.DataFrame(block, columns=[name for names, _ in pieces for name in names])
