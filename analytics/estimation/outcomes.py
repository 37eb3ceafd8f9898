"""Outcomes beyond exits, from the job history: a promotion (a move up a level) and an internal move (a change of
department). For each, the time from hire to a person's first one, with mentoring from its start (as the headline
counts it) against colleagues not (yet) mentored, like with like on the characteristics as they were; leaving ends
a person's time (exits compete: the hazard of the outcome among those still employed). `outcome_incidence`: the
share who have had it by each day since hire, in mentored and not (yet) mentored time (Aalen-Johansen, exits
competing)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from analytics.common.errors import EstimationError, NotEnoughData, SurvivalDataError
from analytics.common.policy import MIN_GROUP_SIZE, shown_total
from analytics.estimation.competing import cumulative_incidence
from analytics.estimation.followup import FollowUp, person_codes
from analytics.estimation.cox import fit_cox
from analytics.estimation.design import dependent_columns
from analytics.estimation.models import adjusted_model, identified
from analytics.estimation.patterns import PatternColumns
from analytics.estimation.results import HazardRatio
from analytics.store import queries

OUTCOMES = ("promotion", "internal_move")


@dataclass(frozen=True)
class OutcomeEffect:
    """Mentoring's adjusted hazard ratio on an outcome, and how many people had it in follow-up."""
    outcome: str
    hazard_ratio: HazardRatio
    people: int        # people followed
    with_outcome: int  # of them, people who had it

    def to_dict(self, rounded: bool = False) -> dict:
        return {"hazard_ratio": self.hazard_ratio.to_dict(), "people": shown_total(self.people, rounded),
                "with_outcome": shown_total(self.with_outcome, rounded)}


def _level_key(label: object) -> tuple:
    """A level's place in order: its numbers compared as numbers ('L10' after 'L9', 'Band 2' after 'Band 1')."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(label)))


def first_days(changes: pd.DataFrame, outcome: str) -> pd.Series:
    """Each person's first day (since hire) of the outcome: a promotion is a change said to be one, or a new level
    that comes after the one before in order (where the change gives no other reason); an internal move is a new
    department."""
    if changes.empty:
        return pd.Series(dtype=float)
    if outcome == "promotion":
        moved = (changes["job_level"].notna() & changes["level_before"].notna()
                 & (changes["job_level"] != changes["level_before"])).to_numpy()
        labels = pd.unique(pd.concat([changes["job_level"], changes["level_before"]]).dropna())
        place = {label: k for k, label in enumerate(sorted(labels, key=_level_key))}  # each level's place in order
        after, before = (changes[c].map(place).to_numpy(dtype=float, na_value=np.nan)
                         for c in ("job_level", "level_before"))
        up = moved & (after > before)
        reason = changes["change_reason"].fillna("other")
        hit = reason.eq("promotion").to_numpy() | (up & reason.isin(["other", "hire"]).to_numpy())
    elif outcome == "internal_move":
        hit = (changes["department"].notna() & changes["department_before"].notna()
               & (changes["department"] != changes["department_before"])).to_numpy()
    else:
        raise ValueError(f"outcome must be one of {OUTCOMES}, but was {outcome!r}")
    found = changes.loc[hit & (changes["day"] > 0).to_numpy()]
    return found.groupby("employee_id")["day"].min().astype(float)


def outcome_effect(con, fu: FollowUp, outcome: str, changes: pd.DataFrame | None = None) -> OutcomeEffect:
    """Mentoring's effect on the outcome (see the module); needs a job history."""
    if fu.covariates_from != "history":
        raise NotEnoughData(f"not enough data for {outcome.replace('_', ' ')}s: they are read from a job history")
    changes = queries.job_changes(con, fu.as_of, fu.cohort) if changes is None else changes
    first = first_days(changes, outcome)
    rows = fu.rows
    # each row's person's first day (NaN: none in the history): looked up once per person, not per row
    codes = person_codes(fu)
    one_row = np.zeros(int(codes.max(initial=-1)) + 1, dtype=np.intp)  # a row of each person (code)
    one_row[codes] = np.arange(len(codes))
    day = first.reindex(rows["employee_id"].to_numpy()[one_row]).to_numpy(dtype=float)[codes]
    before = ~(rows["start"].to_numpy() >= day)  # the rows up to the first one (all, where there is none)
    if outcome == "promotion" and "job_level" in rows.columns:
        # time at a level from which no one in the data was promoted (the top) is not time at risk of one
        ends = rows["stop"].to_numpy() == day
        promoted_from = set(rows.loc[before & ends, "job_level"].dropna())
        before &= rows["job_level"].isin(promoted_from).to_numpy() | rows["job_level"].isna().to_numpy()
    positions = np.flatnonzero(before)
    event = rows["stop"].to_numpy()[positions] == day[positions]  # the row that ends on the day it happened
    with_outcome = int(np.unique(codes[positions][event]).size)  # people (each one's rows share a code)
    if with_outcome < MIN_GROUP_SIZE:
        raise NotEnoughData(f"not enough data for {outcome.replace('_', ' ')}s: fewer than {MIN_GROUP_SIZE} in "
                            "the job history")

    def followed() -> FollowUp:  # the rows up to each first outcome, every column (only for a model written afresh)
        picked = rows.iloc[positions].reset_index(drop=True)
        picked["event"] = event
        episodes = fu.episodes.copy()
        episodes["event"] = episodes["employee_id"].isin(picked.loc[event, "employee_id"].to_numpy()).to_numpy()
        return FollowUp(episodes, picked, fu.as_of, fu.event, fu.cohort, fu.own_as_of, fu.covariates_from)

    fit = _fit(fu, followed, rows, positions, event)
    return OutcomeEffect(outcome, fit, fu.n_employees, with_outcome)


def _fit(fu: FollowUp, followed: Callable[[], FollowUp], rows: pd.DataFrame, positions: np.ndarray,
         event: np.ndarray) -> HazardRatio:
    """The headline's adjusted model on the rows up to each person's first outcome: its columns held by pattern,
    taken row by row, and its estimates the starting point; otherwise the model is written afresh."""
    head = adjusted_model(fu)  # fitted once per follow-up
    held = head.result._data["X"]
    if not (isinstance(held, PatternColumns) and held.names[:1] == ["mentored"]):
        return adjusted_model(followed()).hazard_ratio
    X = held.reordered(positions)
    collinear = dependent_columns(X.gram(), X.names, 1)  # e.g. the top level, whose time is not at risk
    X = X.without(collinear) if collinear else X
    known = head.result.params_
    start, stop = (pd.Series(rows[name].to_numpy()[positions]) for name in ("start", "stop"))
    try:
        result = fit_cox(start, stop, pd.Series(event), X, start_params=known.reindex(X.names).to_numpy())
    except (EstimationError, SurvivalDataError):  # a characteristic that the rows left cannot carry
        return adjusted_model(followed()).hazard_ratio
    return identified(result, "mentored")


def outcome_effects(con, fu: FollowUp, changes: pd.DataFrame | None = None
                    ) -> tuple[dict[str, OutcomeEffect | None], dict[str, str]]:
    """Every outcome's effect, or None and why not; `changes`: the job history's changes read already."""
    found, why = {}, {}
    if changes is None and fu.covariates_from == "history":
        changes = queries.job_changes(con, fu.as_of, fu.cohort)
    for outcome in OUTCOMES:
        try:
            found[outcome] = outcome_effect(con, fu, outcome, changes)
        except (NotEnoughData, EstimationError) as exc:
            found[outcome], why[outcome] = None, str(exc)
    return found, why


OUTCOME, LEFT = 1, 2  # the causes of outcome_incidence's rows: the outcome, and leaving (which competes)


def outcome_incidence(fu: FollowUp, outcome: str, changes: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The share of people who have had the outcome by each day since hire, leaving competing (Aalen-Johansen
    cumulative incidence, analytics/estimation/competing.py; any exit competes, whatever counts as leaving), in
    mentored and not (yet) mentored time: a mentored person enters the mentored curve on the day their mentoring
    began and leaves the other then (delayed entry, as curves.exit_causes_by_mentoring), so the months before
    mentoring are not credited to it; each person's time ends at their first outcome. Unadjusted; a group under
    the privacy minimum is left out. {"mentored" | "not mentored": the table of cause OUTCOME}."""
    r = fu.rows
    day = first_days(changes, outcome).reindex(r["employee_id"]).to_numpy()  # NaN: none in the history
    start, stop = r["start"].to_numpy(float), r["stop"].to_numpy(float)
    keep = ~(start >= day) & (stop > start)  # the rows up to the first one (all, where there is none)
    hit = keep & (stop >= day)  # the row the first one falls in: it ends there
    left = keep & ~hit & r["exited"].to_numpy(bool) & (stop == r["duration_days"].to_numpy(float))
    cause = np.where(hit, OUTCOME, np.where(left, LEFT, 0))
    stop = np.where(hit, day, stop)
    mentored = r["mentored"].to_numpy(bool)
    out = {}
    for group, on in (("mentored", keep & mentored), ("not mentored", keep & ~mentored)):
        if r.loc[on, "employee_id"].nunique() < MIN_GROUP_SIZE:
            continue
        out[group] = cumulative_incidence(start[on], stop[on], cause[on], causes=[OUTCOME, LEFT])[OUTCOME]
    return out
