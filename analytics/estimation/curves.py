"""Curves and summaries: Kaplan-Meier by group, retention at a horizon, restricted mean tenure, the log-rank test,
landmark analyses and exits by cause.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.common.errors import NotEnoughData
from analytics.common.policy import DAYS_PER_MONTH, LANDMARK_DEFAULT_MONTHS, MIN_GROUP_SIZE
from analytics.estimation.competing import cumulative_incidence, cumulative_incidence_at
from analytics.estimation.cox import fit_cox
from analytics.estimation.followup import CAUSES, FollowUp, require
from analytics.estimation.km import KaplanMeier, logrank, rmst_difference
from analytics.estimation.results import Estimate, HazardRatio, TestResult
from analytics.words.wording import months


# ---------------------------------------------------------------- curves and summaries

@dataclass(frozen=True)
class GroupCurves:
    """Extended (Simon-Makuch) Kaplan-Meier curves: mentored intervals enter at m."""

    mentored: KaplanMeier
    unmentored: KaplanMeier


def extended_km(fu: FollowUp) -> GroupCurves:
    require(fu, "retention curves")
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
