"""Where to extend the programme next: the exits that 100 more mentees would avoid in each segment.

For each segment (a department, job level, location or generation) the unmentored people employed at the
as-of date are the candidates. Each has their own chance of leaving within the horizon without mentoring, from
the same model as the segment's own effect (the dimension's model below, fitted on everyone: its characteristics'
effects and baseline hazard, the mentoring indicators left out; risks.unmentored_risks), so that baseline and
effect agree; where the dimension has no model of its own, from the common adjusted model (risks.exit_risks, the
business case's person-level risks; Segment.baseline says which). Mentoring 100 of them avoids
100 x the mean of (p0_i - p1_i), p1_i = 1 - (1 - p0_i)^HR_s (business.py), where HR_s is the segment's
own effect shrunk toward the company-wide one:

    b_s    the segment's own log hazard ratio, with standard error se_s: one adjusted model per dimension with a
           mentoring indicator per segment, the other characteristics shared (subgroups.segment_effects)
    b      the company-wide adjusted log hazard ratio, standard error se
    tau^2  the spread of the segments' true effects around b, DerSimonian & Laird's moment estimate
           over the segments of one dimension (0 when they differ no more than chance would make them)
    w_s    = tau^2 / (tau^2 + se_s^2)        how far to trust the segment's own estimate
    b*_s   = b + w_s (b_s - b)               empirical Bayes (Efron & Morris 1975)
    var*_s = w_s se_s^2 + (1 - w_s)^2 se^2   its posterior variance, and the company-wide effect's own

A segment too small or with too few exits for an effect of its own takes the company-wide one (w_s = 0),
so a small, noisy group cannot top the list. The range: 100 x the mean at exp(b*_s +- 1.96 sd*_s). The
money: avoided exits x the segment's average salary x the replacement share, less 100 new mentees'
fully loaded, discounted cost, as in the business case's second question (100 new mentees). Exploratory: segments overlap, and the ranking
is a lead to look into. Methods: docs/methods.md, "Where to extend next".
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from analytics.case.business import BusinessCaseInputs, Range, avoided_exits, discounted_value, new_mentee_cost
from analytics.common import parallel
from analytics.common.errors import RetentionError
from analytics.common.policy import DAYS_PER_YEAR, MIN_GROUP_SIZE, WHERE_NEXT_PAIR_MIN, shown_count, shown_total
from analytics.estimation.followup import FollowUp
from analytics.estimation.models import ModelFit
from analytics.estimation.risks import exit_risks, unmentored_risks
from analytics.estimation.subgroups import SubgroupEffect, segment_effects
from analytics.words import verdict

DIMENSIONS = ("department", "job_level", "location", "generation")
PER = 100  # newly mentored people the figures are for
Z = 1.959963984540054  # the 95% normal quantile


@dataclass(frozen=True)
class Shrunk:
    """A segment's effect on the log scale: its own estimate (None without one), and the shrunk one."""

    raw: float | None
    raw_se: float | None
    log_hr: float
    se: float
    weight: float  # w_s: 0 = the company-wide effect, 1 = the segment's own

    def hazard_ratio(self) -> tuple[float, float, float]:
        """(estimate, lower, upper) of the shrunk effect."""
        return tuple(math.exp(self.log_hr + k * Z * self.se) for k in (0, -1, 1))  # type: ignore[return-value]

    def range_used(self) -> tuple[float, float, float]:
        """(estimate, lower, upper) the figures use: the shrunk estimate, with a range that spans the shrunk effect's
        and the segment's own 95% range, whichever reaches further each way. The shrunk range alone held the truth
        in 87% of departments over simulated companies whose departments differ (the shrinkage's variance takes the
        spread between segments as known); a department whose effect is far from the rest is the one it missed."""
        est, lo, hi = self.hazard_ratio()
        if self.raw is None or self.raw_se is None or self.weight <= 0:
            return est, lo, hi
        return est, min(lo, math.exp(self.raw - Z * self.raw_se)), max(hi, math.exp(self.raw + Z * self.raw_se))


def _log_se(effect: SubgroupEffect) -> tuple[float, float] | None:
    hr = effect.hazard_ratio
    if hr is None or not (hr.estimate > 0 and hr.lower > 0 and hr.upper > hr.lower):
        return None
    return math.log(hr.estimate), (math.log(hr.upper) - math.log(hr.lower)) / (2 * Z)


def between_segment_variance(estimates: list[tuple[float, float]]) -> float:
    """tau^2: DerSimonian & Laird's moment estimate from (log HR, standard error) pairs; 0 for fewer than 2."""
    if len(estimates) < 2:
        return 0.0
    b = np.array([e for e, _ in estimates])
    w = 1 / np.array([s for _, s in estimates]) ** 2
    mean = (w * b).sum() / w.sum()
    q = (w * (b - mean) ** 2).sum()
    return float(max(0.0, (q - (len(b) - 1)) / (w.sum() - (w ** 2).sum() / w.sum())))


def shrink(effects: list[SubgroupEffect], overall: float, overall_se: float) -> dict[str, Shrunk]:
    """Each segment's effect shrunk toward the company-wide log HR `overall`."""
    own = {e.group: _log_se(e) for e in effects}
    tau2 = between_segment_variance([v for v in own.values() if v is not None])
    out = {}
    for group, value in own.items():
        if value is None:
            out[group] = Shrunk(None, None, overall, overall_se, 0.0)
            continue
        b, se = value
        w = tau2 / (tau2 + se ** 2) if tau2 > 0 else 0.0
        out[group] = Shrunk(b, se, overall + w * (b - overall), math.sqrt(w * se ** 2 + (1 - w) ** 2 * overall_se ** 2), w)
    return out


@dataclass(frozen=True)
class Segment:
    """One segment's candidates, its shrunk effect, and what mentoring 100 of them is worth (95% ranges)."""

    segment: dict[str, str]
    people_unmentored: int
    effect: Shrunk
    exits_avoided_per_100: Range
    value_per_100: Range | None  # None without a salary to value exits by
    baseline: str = "common model"  # whose chances of leaving unmentored: "segment model" (the dimension's own) or this

    def to_dict(self, rounded: bool = False) -> dict[str, Any]:
        """JSON-ready; `rounded`: a filtered group's, or at a chosen as-of date, people to the nearest 5."""
        rng = lambda r: None if r is None else {"estimate": r.estimate, "lower": r.low, "upper": r.high}  # noqa: E731
        est, lo, hi = self.effect.range_used()
        own = None if self.effect.raw is None else {
            "estimate": math.exp(self.effect.raw), "lower": math.exp(self.effect.raw - Z * self.effect.raw_se),
            "upper": math.exp(self.effect.raw + Z * self.effect.raw_se)}
        return {"segment": dict(self.segment), "people_unmentored": shown_total(self.people_unmentored, True),  # parts
                "exits_avoided_per_100": rng(self.exits_avoided_per_100), "value_per_100": rng(self.value_per_100),
                "hazard_ratio": {"estimate": est, "lower": lo, "upper": hi, "weight_on_own": self.effect.weight},
                "own_hazard_ratio": own, "baseline_from": self.baseline,
                # what mentoring 100 more here would do, decided once (verdict): fewer exits, more exits or unclear
                "verdict": verdict.effect({"estimate": est, "lower": lo, "upper": hi})}


Dimension = str | tuple[str, str]  # one characteristic, or a pair of them (department and job level, ...)
PAIRS = tuple((a, b) for i, a in enumerate(DIMENSIONS) for b in DIMENSIONS[i + 1:])
PAIR_JOIN = " · "


def _labels(frame: pd.DataFrame, dimension: Dimension, categorical: bool = False) -> pd.Series:
    """Each row's segment: its value of the characteristic, or of both in a pair ('Sales · L2'). `categorical`:
    as codes and their labels (a pandas Categorical), when every label is a different word."""
    names = (dimension,) if isinstance(dimension, str) else dimension
    codes, words = np.zeros(len(frame), dtype=np.int64), [None]
    for n in names:  # by integer codes: each distinct label is written once, not once per row
        found, uniques = pd.factorize(frame[n].to_numpy())
        mine = [str(u) for u in uniques] + ["not recorded"]
        codes = codes * len(mine) + np.where(found < 0, len(mine) - 1, found)
        words = [m if w is None else f"{w}{PAIR_JOIN}{m}" for w in words for m in mine]
    inverse, present = pd.factorize(codes)  # the labels present (hashed: no sort of every row)
    labels = np.array(words, dtype=object)[present]
    if categorical and len(set(labels)) == len(labels):
        return pd.Series(pd.Categorical.from_codes(inverse, labels), index=frame.index)
    return pd.Series(labels[inverse], index=frame.index, dtype=object)


def where_next(fu: FollowUp, adjusted: ModelFit, horizon_years: float, replacement_cost_pct: float,
               programme_cost_per_mentee: float, programme_years: float, average_salary: float | None = None,
               dimensions: tuple[Dimension, ...] = DIMENSIONS, shrunk: bool = True,
               effects: list[list[SubgroupEffect]] | None = None,
               inputs: BusinessCaseInputs | None = None) -> list[Segment]:
    """Segments of at least the privacy minimum of unmentored people (a pair's: WHERE_NEXT_PAIR_MIN, so that
    its own effect can mean something), most exits avoided per 100 first. `shrunk=False`: every segment at the
    company-wide effect (segments then differ only by who is in them). `effects`: each dimension's segment
    effects worked out already (segment_work), in the dimensions' order. `inputs`: the business case's, so that 100
    new mentees here cost what they cost there (fully loaded, discounted) and their value is discounted alike."""
    risks = exit_risks(fu, adjusted, horizon_years * DAYS_PER_YEAR, mentored=False)
    names = sorted({n for d in dimensions for n in ((d,) if isinstance(d, str) else d)})
    unmentored = ~risks.people["mentored"].to_numpy(bool)
    candidates = risks.people.iloc[np.flatnonzero(unmentored)].reset_index(drop=True)
    # each candidate's characteristics on their last row (by position): just the columns wanted
    for name, values in fu.rows[names].iloc[risks.rows[unmentored]].items():
        candidates[name] = values.to_numpy()
    hr = adjusted.hazard_ratio
    overall, overall_se = math.log(hr.estimate), (math.log(hr.upper) - math.log(hr.lower)) / (2 * Z)
    cost = PER * (programme_cost_per_mentee * min(programme_years, horizon_years) if inputs is None
                  else new_mentee_cost(inputs))
    out = []
    if effects is not None:
        models = effects
    elif shrunk:  # each dimension's own model, side by side
        work, memory = segment_work(fu, adjusted, dimensions)
        models = parallel.each(lambda job: job(), work, memory_each=memory)
    else:
        models = [[] for _ in dimensions]
    common = candidates["p_unmentored"].to_numpy(float)
    for dimension, effects in zip(dimensions, models):
        labels = _labels(candidates, dimension)
        by_group = shrink(effects, overall, overall_se)
        # the candidates' chances of leaving unmentored from the model their segments' effects come from
        model = getattr(effects, "model", None) if shrunk else None
        if model is not None:
            head = set(adjusted.result._data["names"])
            mentoring = tuple(n for n in model.result._data["names"] if n not in head)
            candidates["p_unmentored"] = unmentored_risks(fu, model, adjusted, horizon_years * DAYS_PER_YEAR,
                                                          mentoring)[unmentored]
        else:
            candidates["p_unmentored"] = common
        baseline = "segment model" if model is not None else "common model"
        smallest = MIN_GROUP_SIZE if isinstance(dimension, str) else WHERE_NEXT_PAIR_MIN
        for group, part in candidates.groupby(labels, sort=True):
            if len(part) < smallest:
                continue
            effect = by_group.get(str(group), Shrunk(None, None, overall, overall_se, 0.0))
            est, lo, hi = effect.range_used()
            risks = part["p_unmentored"].to_numpy(float)
            avoided = Range(*(PER * avoided_exits(risks, h) / len(risks) for h in (est, hi, lo)))
            salary = part["salary"].mean() if part["salary"].notna().any() else average_salary
            worth = (lambda a: a * float(salary) * replacement_cost_pct) if inputs is None else \
                (lambda a: discounted_value(inputs, a) * float(salary) / inputs.average_salary)
            value = None if salary is None or pd.isna(salary) else Range(
                *(worth(a) - cost for a in (avoided.estimate, avoided.low, avoided.high)))
            keys = (dimension,) if isinstance(dimension, str) else dimension
            first = part.iloc[0]  # every row of the part has the segment's values
            segment = {k: "not recorded" if pd.isna(first[k]) else str(first[k]) for k in keys}
            out.append(Segment(segment, len(part), effect, avoided, value, baseline))
    return sorted(out, key=lambda s: (-s.exits_avoided_per_100.estimate, -s.people_unmentored))


def for_headline(h: Any, dimensions: tuple[Dimension, ...] = DIMENSIONS,
                 effects: list[list[SubgroupEffect]] | None = None) -> list[Segment]:
    """The ranking under a headline's own business case assumptions; empty without a business case. `effects`:
    see where_next (from segment_work, or None: worked out here)."""
    if h.business is None or h.adjusted is None:
        return []
    x = h.business.inputs
    return where_next(h.follow_up, h.adjusted, x.horizon_years, x.replacement_cost_pct, x.programme_cost_per_mentee,
                      x.programme_years, x.average_salary, dimensions, effects=effects, inputs=x)


def segment_work(fu: FollowUp, adjusted: ModelFit, dimensions: tuple[Dimension, ...] = DIMENSIONS
                 ) -> tuple[list[Callable[[], list[SubgroupEffect]]], float]:
    """Each dimension's own model (segment effects) as a piece of work to run, for parallel.each beside other
    work, and the memory each takes: it reads the headline's columns where they are and holds a column of its
    own per group (at most the groups its characteristics make), with a few of the rows' worth besides while
    it is fitted. They share the headline's risk sets and start at its estimates."""
    groups = max((math.prod(fu.episodes[n].nunique(dropna=False) for n in ((d,) if isinstance(d, str) else d))
                  for d in dimensions), default=0)
    memory = len(fu.rows) * 8.0 * (min(groups, len(adjusted.result.params_) + 20) + 4) * 1.5
    return [functools.partial(_segment_effects, fu, d) for d in dimensions], memory


class SegmentEffects(list):
    """A dimension's segment effects (SubgroupEffect each), and the model they come from (`model`; None where
    none was fitted): where to extend next reads the candidates' chances of leaving unmentored from it too."""

    model: ModelFit | None = None


def _segment_effects(fu: FollowUp, dimension: Dimension) -> list[SubgroupEffect]:
    fitted: list[ModelFit] = []
    try:
        out = SegmentEffects(segment_effects(fu, dimension if isinstance(dimension, str) else " and ".join(dimension),
                                             _labels(fu.rows, dimension, categorical=True), fitted))
    except RetentionError:
        return SegmentEffects()
    out.model = fitted[0] if fitted else None
    return out


def as_frame(segments: list[Segment]) -> pd.DataFrame:
    """The ranking as a table (for CSV): one row per segment."""
    rows = []
    for rank, s in enumerate(segments, 1):
        (dimension, group), = s.segment.items()
        v = s.value_per_100
        est, lo, hi = s.effect.range_used()
        rows.append({"rank": rank, "dimension": dimension, "group": group,
                     "people_unmentored": shown_count(s.people_unmentored),
                     "hazard_ratio": est, "hazard_ratio_lower": lo, "hazard_ratio_upper": hi,
                     "weight_on_own_effect": s.effect.weight,
                     "exits_avoided_per_100": s.exits_avoided_per_100.estimate,
                     "exits_avoided_per_100_low": s.exits_avoided_per_100.low,
                     "exits_avoided_per_100_high": s.exits_avoided_per_100.high,
                     "value_per_100": None if v is None else v.estimate,
                     "value_per_100_low": None if v is None else v.low,
                     "value_per_100_high": None if v is None else v.high})
    return pd.DataFrame(rows)
