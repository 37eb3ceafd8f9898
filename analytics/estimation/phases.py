"""Mentoring that ends: the effect while a mentorship runs and the effect after it has ended, apart.

The headline counts a person as mentored from their first mentorship's start for good. Here the follow-up's rows
are split again on every mentorship's start and end, and the adjusted model (the same characteristics, as they
were when a job history is loaded) has two flags in place of one: a mentorship running, and all begun having
ended. Whether the effect lasts is then a question the data answer, not an assumption."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from analytics.common.errors import EstimationError, NotEnoughData
from analytics.common.policy import MIN_GROUP_SIZE, shown_total
from analytics.estimation.followup import FollowUp, person_codes
from analytics.estimation.cox import fit_cox
from analytics.estimation.design import dependent_columns
from analytics.estimation.models import ModelFit, adjusted_model, identified
from analytics.estimation.patterns import PatternColumns
from analytics.estimation.results import HazardRatio
from analytics.store import queries

WHILE, AFTER = "while_mentored", "after_mentoring"


@dataclass(frozen=True)
class MentoringPhases:
    """The adjusted hazard ratio while mentored and after mentoring ended (None, with `why`, when the follow-up has
    no time after an end, or too little to separate it), against people not (yet) mentored."""
    while_mentored: HazardRatio
    after_mentoring: HazardRatio | None
    people_after: int  # people with follow-up time after their mentoring ended
    events_after: int  # the event among them, in that time
    fit: ModelFit
    why: str | None = None

    def to_dict(self, rounded: bool = False) -> dict:
        return {WHILE: self.while_mentored.to_dict(),
                AFTER: None if self.after_mentoring is None else self.after_mentoring.to_dict(),
                "people_after": shown_total(self.people_after, rounded),
                "events_after": shown_total(self.events_after, rounded), "why_not_after": self.why}


def mentoring_phases(con, fu: FollowUp) -> MentoringPhases:
    """The adjusted model with mentoring split into while it runs and after it has ended (see the module)."""
    split, positions = queries.split_at_mentoring_phases(con, fu.rows, fu.as_of, fu.cohort, person_codes(fu))
    after = split[AFTER].to_numpy(bool)
    people_after = int(pd.unique(fu.rows["employee_id"].to_numpy()[positions][after]).size)
    events_after = int((after & split["event"].to_numpy(bool)).sum())
    flags = pd.DataFrame({WHILE: split[WHILE].astype(float).to_numpy(), AFTER: after.astype(float)})

    def phased() -> FollowUp:  # the follow-up split again, every column (only for a model written afresh)
        rows = fu.rows.iloc[positions].reset_index(drop=True)
        for name in ("start", "stop", "event"):
            rows[name] = split[name].to_numpy()
        rows["mentored"] = split[WHILE].to_numpy(bool) | after
        return FollowUp(fu.episodes, rows, fu.as_of, fu.event, fu.cohort, fu.own_as_of, fu.covariates_from)

    if not after.any():
        fit = _fit(fu, split, phased, positions, flags[[WHILE]])
        return MentoringPhases(fit.hazard_ratio, None, 0, 0, fit, "no one's mentoring has ended within follow-up")
    fit = _fit(fu, split, phased, positions, flags)
    if people_after < MIN_GROUP_SIZE:  # a group this small is never shown
        return MentoringPhases(fit.hazard_ratio, None, people_after, events_after, fit,
                               f"fewer than {MIN_GROUP_SIZE} people have time after their mentoring ended")
    try:
        after_hr = identified(fit.result, AFTER)
    except EstimationError:
        return MentoringPhases(fit.hazard_ratio, None, people_after, events_after, fit,
                               "too few exits after mentoring ended to tell")
    return MentoringPhases(fit.hazard_ratio, after_hr, people_after, events_after, fit)


def _fit(fu: FollowUp, split: pd.DataFrame, phased: Callable[[], FollowUp], positions: np.ndarray,
         flags: pd.DataFrame) -> ModelFit:
    """The headline's adjusted model with the phases' flags in place of the mentoring flag. Its columns held by
    pattern are the headline's, taken row by row (every row of the phases is part of one of the headline's), and
    its estimates the starting point; otherwise the model is written afresh."""
    head = adjusted_model(fu)  # fitted once per follow-up
    held = head.result._data["X"]
    if not (isinstance(held, PatternColumns) and "mentored" in held.names):
        return adjusted_model(phased(), extra=flags, effect=WHILE)
    X = held.reordered(positions).without(["mentored"]).beside(flags.to_numpy(bool), list(flags.columns))
    collinear = dependent_columns(X.gram(), X.names, flags.shape[1])
    X = X.without(collinear) if collinear else X
    known = head.result.params_.to_dict()
    start = np.array([float(known.get(name, known["mentored"] if name in flags else 0.0)) for name in X.names])
    try:
        result = fit_cox(split["start"], split["stop"], split["event"], X, start_params=start)
    except EstimationError:
        raise EstimationError("the effect of mentoring's phases cannot be separated from the other characteristics "
                              "in this group (too few exits in some combination)") from None
    return ModelFit("adjusted", identified(result, WHILE), result, head.covariates, {**head.dropped, **collinear},
                    pooled=head.pooled, references=head.references)


def phases_or_reason(con, fu: FollowUp) -> tuple[MentoringPhases | None, str | None]:
    """mentoring_phases, or None and why not (not enough data, or an effect that cannot be separated)."""
    try:
        return mentoring_phases(con, fu), None
    except (NotEnoughData, EstimationError) as exc:
        return None, str(exc)
