"""Where to extend the programme next: the exits that 100 more mentees would avoid in each segment.

For each segment (a department, job level, location or generation) the unmentored people employed at the
as-of date are the candidates. Each has their own chance of leaving within the horizon without mentoring
(models.exit_risks, the business case's person-level risks); mentoring 100 of them avoids 100 x the mean
of (p0_i - p1_i), with p1 from the company-wide honest effect and its 95% range (business.py). Segments
differ here by who is in them (their tenure, level, pay and so their risk), not by a segment's own noisy
effect. The money: avoided exits x the segment's average salary x the replacement share, less 100 new
mentees' programme cost, as in the business case's target scenario.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .business import Range, avoided_exits
from .models import FollowUp, ModelFit, exit_risks
from .policy import DAYS_PER_YEAR, MIN_GROUP_SIZE, shown_count

DIMENSIONS = ("department", "job_level", "location", "generation")
PER = 100  # newly mentored people the figures are for


@dataclass(frozen=True)
class Segment:
    """One segment's candidates and what mentoring 100 of them is worth; ranges from the effect's 95% CI."""

    segment: dict[str, str]
    people_unmentored: int
    exits_avoided_per_100: Range
    value_per_100: Range | None  # None without a salary to value exits by

    def to_dict(self) -> dict[str, Any]:
        rng = lambda r: None if r is None else {"estimate": r.estimate, "lower": r.low, "upper": r.high}  # noqa: E731
        return {"segment": dict(self.segment), "people_unmentored": shown_count(self.people_unmentored),
                "exits_avoided_per_100": rng(self.exits_avoided_per_100), "value_per_100": rng(self.value_per_100)}


def where_next(fu: FollowUp, adjusted: ModelFit, horizon_years: float, replacement_cost_pct: float,
               programme_cost_per_mentee: float, programme_years: float, average_salary: float | None = None,
               dimensions: tuple[str, ...] = DIMENSIONS) -> list[Segment]:
    """Segments of at least the privacy minimum of unmentored people, most exits avoided per 100 first."""
    people = exit_risks(fu, adjusted, horizon_years * DAYS_PER_YEAR).people
    last = fu.rows.groupby("employee_id", sort=False).tail(1).set_index("employee_id")
    candidates = people[~people["mentored"].to_numpy(bool)].join(last[list(dimensions)], on="employee_id")
    hr = adjusted.hazard_ratio
    cost = PER * programme_cost_per_mentee * min(programme_years, horizon_years)
    out = []
    for dimension in dimensions:
        for group, part in candidates.groupby(candidates[dimension].astype("string"), sort=True):
            if len(part) < MIN_GROUP_SIZE:
                continue
            risks = tuple(part["p_unmentored"].to_numpy(float))
            per_person = [avoided_exits(risks, h) / len(risks) for h in (hr.estimate, hr.upper, hr.lower)]
            avoided = Range(*(PER * p for p in per_person))
            salary = part["salary"].mean() if part["salary"].notna().any() else average_salary
            value = None if salary is None or pd.isna(salary) else Range(
                *(a * float(salary) * replacement_cost_pct - cost for a in
                  (avoided.estimate, avoided.low, avoided.high)))
            out.append(Segment({dimension: str(group)}, len(part), avoided, value))
    return sorted(out, key=lambda s: (-s.exits_avoided_per_100.estimate, -s.people_unmentored))


def as_frame(segments: list[Segment]) -> pd.DataFrame:
    """The ranking as a table (for CSV): one row per segment."""
    rows = []
    for rank, s in enumerate(segments, 1):
        (dimension, group), = s.segment.items()
        v = s.value_per_100
        rows.append({"rank": rank, "dimension": dimension, "group": group,
                     "people_unmentored": shown_count(s.people_unmentored),
                     "exits_avoided_per_100": s.exits_avoided_per_100.estimate,
                     "exits_avoided_per_100_low": s.exits_avoided_per_100.low,
                     "exits_avoided_per_100_high": s.exits_avoided_per_100.high,
                     "value_per_100": None if v is None else v.estimate,
                     "value_per_100_low": None if v is None else v.low,
                     "value_per_100_high": None if v is None else v.high})
    return pd.DataFrame(rows)
