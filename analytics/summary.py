"""The headline: one computation shared by the Overview page, the CLI summary and the exports."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from . import store
from .business import (BusinessCase, BusinessCaseInputs, Input, MissingInputError, business_case,
                       from_data)
from .cohorts import Cohort
from .errors import RetentionError
from .models import (DAYS_PER_MONTH, FollowUp, GroupCurves, ModelFit, adjusted_model, extended_km,
                     follow_up, logrank_test, naive_model, retention_at, rmst, time_varying_model)
from .results import Estimate, TestResult

HORIZON_DAYS = 365
TAU_DAYS = 730
ASSUMED_COST = "assumption: typical internal programme cost; enter your own"


@dataclass(frozen=True)
class Assumptions:
    """Business-case inputs that are not in the data (None salary = the data's average)."""

    coverage_target: float = 0.76
    replacement_cost_pct: float = 0.50
    programme_cost_per_mentee: float = 1500.0
    horizon_years: int = 1
    average_salary: float | None = None
    cost_source: str = ASSUMED_COST


@dataclass(frozen=True)
class Headline:
    """Everything the executive screen says, computed once."""

    follow_up: FollowUp
    naive: ModelFit
    time_varying: ModelFit
    adjusted: ModelFit
    curves: GroupCurves
    retention: dict[str, Estimate]
    rmst: dict[str, Estimate]
    logrank: TestResult
    business: BusinessCase | None
    business_note: str | None = None
    horizon_days: int = HORIZON_DAYS
    tau_days: int = TAU_DAYS
    notes: dict[str, Any] = field(default_factory=dict)


def headline(con, cohort: Cohort | None = None, as_of: date | str | None = None, event: str | None = None,
             assumptions: Assumptions = Assumptions(), horizon_days: int = HORIZON_DAYS,
             tau_days: int = TAU_DAYS) -> Headline:
    fu = follow_up(con, cohort, as_of, event)
    naive, tv = naive_model(fu), time_varying_model(fu)
    adjusted = adjusted_model(fu)
    curves = extended_km(fu)
    retention = retention_at(curves, horizon_days)
    case, note = _business(fu, retention, adjusted, naive, assumptions)
    notes = {"ignored_mentorships": store.ignored_mentorships(con, fu.as_of),
             "hired_after_as_of": store.hired_after(con, fu.as_of, cohort)}
    return Headline(fu, naive, tv, adjusted, curves, retention, rmst(curves, tau_days), logrank_test(fu),
                    case, note, horizon_days, tau_days, notes)


def business_inputs(fu: FollowUp, retention: dict[str, Estimate], adjusted: ModelFit, naive: ModelFit,
                    assumptions: Assumptions) -> BusinessCaseInputs:
    """The business case's inputs: measured ones from the cohort, the rest from assumptions."""
    ep = fu.episodes
    current = ep[~ep["exited"]]
    survival = retention["unmentored"].estimate
    if not np.isfinite(survival):
        raise RetentionError("the data does not follow unmentored people for 12 months, so the exit "
                             "probability the business case needs is unknown")
    salary = assumptions.average_salary
    salary_input = Input(salary, "your input") if salary is not None else None
    if salary is None and current["salary"].notna().any():
        salary_input = Input(float(current["salary"].mean()), from_data(int(current["salary"].notna().sum())))
    if salary_input is None:
        raise MissingInputError("average_salary", ": the data has no salary column, so enter the average annual salary")
    coverage_now = float(current["mentored"].mean()) if len(current) else 0.0
    hr, nv = adjusted.hazard_ratio, naive.hazard_ratio
    n_unmentored = int((~fu.rows["mentored"]).sum())
    return BusinessCaseInputs(
        people_in_scope=Input(len(current), from_data(len(current))),
        p0=Input(1 - survival, from_data(n_unmentored)),
        hazard_ratio=Input(hr.estimate, f"adjusted model, {from_data(hr.n)}"),
        hazard_ratio_lower=hr.lower, hazard_ratio_upper=hr.upper,
        coverage_now=Input(coverage_now, from_data(len(current))),
        coverage_target=Input(max(assumptions.coverage_target, coverage_now), "your input"),
        average_salary=salary_input,
        programme_cost_per_mentee=Input(assumptions.programme_cost_per_mentee, assumptions.cost_source),
        replacement_cost_pct=assumptions.replacement_cost_pct,
        horizon_years=assumptions.horizon_years,
        naive_hazard_ratio=Input(nv.estimate, "naive model (overstated)"),
        naive_hazard_ratio_lower=nv.lower, naive_hazard_ratio_upper=nv.upper)


def _business(fu, retention, adjusted, naive, assumptions) -> tuple[BusinessCase | None, str | None]:
    try:
        return business_case(business_inputs(fu, retention, adjusted, naive, assumptions)), None
    except RetentionError as exc:
        return None, str(exc)


# ---------------------------------------------------------------- JSON and words

def to_json(h: Headline) -> dict[str, Any]:
    fu = h.follow_up
    return {
        "as_of": fu.as_of.isoformat(), "event": fu.event, "cohort": fu.cohort.describe(),
        "n_employees": fu.n_employees, "n_mentored": fu.n_mentored, "n_events": fu.n_events,
        "hazard_ratio": {"naive": h.naive.to_dict(), "time_varying": h.time_varying.to_dict(),
                         "adjusted": h.adjusted.to_dict()},
        "retention": {"horizon_days": h.horizon_days,
                      **{k: v.to_dict() for k, v in h.retention.items()}},
        "rmst": {"tau_days": h.tau_days, **{k: v.to_dict() for k, v in h.rmst.items()}},
        "logrank": {"chisq": float(h.logrank.statistic), "df": int(h.logrank.df), "p": float(h.logrank.p)},
        "business_case": h.business.to_dict() if h.business else {"unavailable": h.business_note},
        "notes": h.notes,
    }


def summarise(con, as_of: date | str | None = None, event: str | None = None, cohort: Cohort | None = None,
              assumptions: Assumptions = Assumptions()) -> dict[str, Any]:
    return to_json(headline(con, cohort, as_of, event, assumptions))


def less_likely(hr: dict[str, float]) -> str:
    """'25% less likely (range 15% to 33%)' from an HR and its CI."""
    est, lo, hi = (1 - hr[k] for k in ("estimate", "upper", "lower"))
    direction = "less" if est >= 0 else "more"
    if lo < 0 < hi:
        rng = f"range {abs(lo):.0%} more to {hi:.0%} less"
    elif est >= 0:
        rng = f"range {lo:.0%} to {hi:.0%}"
    else:
        rng = f"range {abs(hi):.0%} to {abs(lo):.0%}"
    return f"{abs(est):.0%} {direction} likely ({rng})"


def _pct(ci: dict[str, float | None]) -> str:
    if ci["estimate"] is None:
        return "not known (follow-up too short)"
    return f"{ci['estimate']:.0%} ({ci['lower']:.0%} to {ci['upper']:.0%})"


def _money(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def briefing(result: dict[str, Any]) -> str:
    """The summary as a short briefing: one sentence per headline figure with its range."""
    hr = result["hazard_ratio"]
    words = "voluntary exits" if result["event"] == "voluntary" else "exits"
    covariates = ", ".join(hr["adjusted"]["covariates"]).replace("_", " ") or "nothing"
    lines = [
        f"As of {result['as_of']}: {result['n_employees']:,} people ({result['cohort']}), "
        f"{result['n_mentored']:,} mentored during their employment, {result['n_events']:,} {words}.",
        f"Mentored employees were {less_likely(hr['adjusted'])} to leave in any given month, "
        f"counting only the time after mentoring began and adjusting for {covariates}.",
        f"Without the adjustment the figure is {less_likely(hr['time_varying'])}.",
        f"A naive report comparing ever-mentored with never-mentored people would claim "
        f"{less_likely(hr['naive'])}: it credits mentoring with the months before it began and "
        f"with the kind of people who get mentored.",
    ]
    ret, r = result["retention"], result["rmst"]
    months = ret["horizon_days"] / DAYS_PER_MONTH
    lines.append(f"{months:.0f} months after hire, {_pct(ret['mentored'])} of mentored employees were still "
                 f"employed, against {_pct(ret['unmentored'])} of unmentored ones.")
    diff = r["difference"]
    if diff["estimate"] is not None:
        lines.append(f"Over their first {r['tau_days'] / DAYS_PER_MONTH:.0f} months, mentored employees stayed "
                     f"{diff['estimate'] / DAYS_PER_MONTH:.1f} months longer on average "
                     f"({diff['lower'] / DAYS_PER_MONTH:.1f} to {diff['upper'] / DAYS_PER_MONTH:.1f}).")
    lines.append(f"Log-rank test: chi-square {result['logrank']['chisq']:.1f}, p = {result['logrank']['p']:.2g}.")
    case = result["business_case"]
    if "unavailable" in case:
        lines.append(f"Business case not computed: {case['unavailable']}.")
    else:
        cur = case["current"]
        lines.append(f"Business case (the programme as it is, {case['horizon_years']:.0f} year): about "
                     f"{cur['avoided_exits']['estimate']:.0f} exits avoided (range {cur['avoided_exits']['low']:.0f} "
                     f"to {cur['avoided_exits']['high']:.0f}), net benefit {_money(cur['net_benefit']['estimate'])} "
                     f"(range {_money(cur['net_benefit']['low'])} to {_money(cur['net_benefit']['high'])}).")
    return "\n".join(lines)
