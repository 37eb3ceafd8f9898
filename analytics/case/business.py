"""The business case: what the honest mentoring effect is worth (docs/design.md, Business case).

Plain arithmetic on numbers the caller passes in; no data access, no streamlit.

Method
------
Each person's own risk: for everyone employed at the as-of date the caller passes p0_i, their
chance of a voluntary exit within the horizon if not mentored, from the adjusted model given
their tenure and characteristics (risks.exit_risks), split into today's mentees and everyone
else. Under proportional hazards a hazard ratio HR gives the mentored chance
p1_i = 1 - (1 - p0_i)^HR (exact without competing exits; with them, within 0.5% of the
model's own integral on the demo company over three years).

How long the effect is credited (verdict.lasting decides, from the effect while a mentorship runs and after it
has ended, analytics/estimation/phases.py): the money applies HR_run while a person's mentorship runs and
HR_after once it has ended. "lasting": the after-ending effect is estimated and its whole range is below 1, so
HR_after is that effect; "harm after ending": its whole range is above 1, and HR_after is that effect too (the
extra exits are counted, never hidden); "while running only": its range includes 1 or it is not estimated, so
HR_after = 1 (an ended mentorship earns nothing further); in these three HR_run is the while-mentored effect.
"not checked" (the phases not available): HR_run = HR_after = the honest (headline) effect, counted from the
first start for good: the lasting effect assumed, and said so.

A partial-horizon effect. A person's voluntary cumulative hazard over the horizon (0, H] is
L_i = exp(x_i b) (L0(t_i + H) - L0(t_i)), with t_i their tenure now and L0 the adjusted model's baseline; with
no competing exits p0_i = 1 - exp(-L_i). Their mentorship running until e_i (0 <= e_i <= H; 0 once ended) puts
HR_run on the hazard before e_i and HR_after after it, so

    p1_i = 1 - exp(-(HR_run L_i(0, e_i) + HR_after L_i(e_i, H))) = 1 - (1 - p0_i)^(s_i HR_run + (1 - s_i) HR_after)
    s_i  = (L0(t_i + e_i) - L0(t_i)) / (L0(t_i + H) - L0(t_i))

the share of the horizon's baseline hazard before the end (risks.hazard_shares: the baseline's shape from the
person's tenure, as their risk uses it; their characteristics cancel). e_i: for today's mentees the days their
longest running mentorship still runs to its end date (one with no end date is ongoing, as the effect while
mentored counts it: the whole horizon, though its cost counts a year from its start); for a new mentee in the
target scenario the programme's length. With other exits competing this is the
approximation above; measured against the model's own integral with the hazard ratio changing on each
person's end day (demo company, all of today's mentees, and everyone else as new mentees): within 0.4% of the
exits avoided over one year at 0.6/1.0, 0.77/0.74 and 0.77/1.3 (running/after), within 3.2% over three years
at 0.6/1.0 and 0.77/0.74, and 10% over three years at 0.77/1.3 for new mentees (a harm for two of the three
years: it overstates the extra exits).

    avoided exits  = sum over today's mentees of (p0_i - p1_i)              (programme as it is)
                   = more mentees x mean over the others of (p0_i - p1_i)   (target scenario)
                     (p1_i at each person's own s_i, above)
    savings        = avoided exits x average salary x replacement cost share
    programme cost = cost per mentee per year x mentee-years of mentoring in the horizon:
                     the time left of today's active mentorships (as it is), and each new
                     mentee's programme length (target); finished mentoring costs nothing more
    net benefit    = savings - programme cost
    ROI            = net benefit / programme cost                  (None when cost is 0;
                     with negative savings a larger cost moves it toward -1, so compare
                     net benefit, not ROI, when the HR may exceed 1)
    payback months = programme cost / (savings / (12 H))           (None when savings <= 0)

Each output is a point with a range from the HR's 95% CI: the upper HR gives the low end of
the benefit (and the slow end of payback). With two effects (while running and after an end) each is taken at
its own limit at once (both upper limits for the low end), wider than a joint 95% range would be, as their
correlation is left out. The range carries the effects' uncertainty only, not that of each person's baseline
risk, nor of the end dates or the shares s_i. The same is computed with the naive HR for good (what a naive
report would claim), labelled by how it compares with the honest one ("naive (overstated)", "naive
(understated)", "naive (roughly agrees)").
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from analytics.common.errors import InvalidInputError, MissingInputError
from analytics.common.policy import (FREE_PROGRAMME_COSTS, HORIZON_YEARS_RANGE, PROGRAMME_YEARS,
                                     REPLACEMENT_COST_PCT, REPLACEMENT_COST_RANGE, ROUNDED_SHARE_DIGITS,
                                     SCENARIO_STEPS, SENSITIVITY_COST_FACTORS, SENSITIVITY_REPLACEMENT_PCTS,
                                     shown_total)
from analytics.words.lasting import NOT_GIVEN, lasting_why
from analytics.words.verdict import HARM_AFTER, LASTING, NOT_CHECKED, WHILE_RUNNING
from analytics.words.wording import GALLUP, MISSING_SALARY, PROGRAMME_ASSUMED, YOUR_INPUT, naive_case_label, pct

LASTING_ASSUMPTIONS = (LASTING, WHILE_RUNNING, HARM_AFTER, NOT_CHECKED)
MEASURES = ("avoided_exits", "savings", "programme_cost", "net_benefit", "roi", "payback_months")


# ------------------------------------------------------------------ inputs

@dataclass(frozen=True)
class Input:
    """One input value and where it came from, e.g. Input(0.20, from_data(1234))."""
    value: Any
    source: str = YOUR_INPUT


@dataclass(frozen=True)
class BusinessCaseInputs:
    """Validated inputs. Any field may be given as an `Input` to record its source;
    the plain value is stored in the field and the source in `sources`."""
    people_in_scope: int
    exit_risks_now: tuple[float, ...]      # each of today's mentees: chance of leaving in the horizon, unmentored
    exit_risks_others: tuple[float, ...]   # everyone else employed now: the same
    hazard_ratio: float
    hazard_ratio_lower: float
    hazard_ratio_upper: float
    coverage_target: float
    average_salary: float | None
    programme_cost_per_mentee: float
    mentee_years_now: float = 0.0          # years of today's active mentorships left within the horizon
    programme_years: float = PROGRAMME_YEARS  # a new mentee's mentoring, in years
    replacement_cost_pct: float = REPLACEMENT_COST_PCT
    horizon_years: float = 1
    naive_hazard_ratio: float | None = None
    naive_hazard_ratio_lower: float | None = None
    naive_hazard_ratio_upper: float | None = None
    # the effect the money credits while a mentorship runs and after it has ended (None: the honest effect's),
    # as verdict.lasting decided from the data (`lasting_effect`, with `lasting_why` in words)
    running_hazard_ratio: float | None = None
    running_hazard_ratio_lower: float | None = None
    running_hazard_ratio_upper: float | None = None
    after_hazard_ratio: float | None = None
    after_hazard_ratio_lower: float | None = None
    after_hazard_ratio_upper: float | None = None
    running_shares_now: tuple[float, ...] | None = None     # each of today's mentees: the share of their horizon's
    # baseline hazard while their mentorship still runs (0: ended; None: all of it, the lasting effect assumed)
    running_shares_others: tuple[float, ...] | None = None  # everyone else: the share a new mentee's programme covers
    lasting_effect: str = NOT_CHECKED
    lasting_why: str = ""
    sources: dict[str, str] = field(default_factory=dict, hash=False)
    counts_rounded: bool = False  # a filtered group's, or at a chosen as-of date: its counts shown to the nearest 5

    def __post_init__(self):
        sources = dict(self.sources)
        for name in _INPUT_NAMES:
            value = getattr(self, name)
            if isinstance(value, Input):
                sources[name] = value.source
                object.__setattr__(self, name, value.value)
        for name, value in _validated(self).items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "sources", _filled_sources(self, sources))
        if not self.lasting_why:
            object.__setattr__(self, "lasting_why", lasting_why(self.lasting_effect, why_not=NOT_GIVEN))

    def input(self, name: str) -> Input:
        """The value of one input with its source."""
        return Input(getattr(self, name), self.sources[name])

    @property
    def coverage_now(self) -> float:
        """The share of the people in scope mentored today."""
        staff = len(self.exit_risks_now) + len(self.exit_risks_others)
        return len(self.exit_risks_now) / staff if staff else 0.0

    @property
    def exit_probability(self) -> float:
        """The average chance that someone employed now leaves voluntarily within the horizon, unmentored."""
        risks = self.exit_risks_now + self.exit_risks_others
        return float(np.mean(risks)) if risks else 0.0


_INPUT_NAMES = tuple(n for n in BusinessCaseInputs.__dataclass_fields__
                     if n not in ("sources", "counts_rounded", "lasting_effect", "lasting_why"))
_DEFAULT_SOURCES = {"replacement_cost_pct": GALLUP, "programme_years": PROGRAMME_ASSUMED}
_HINTS = {"average_salary": MISSING_SALARY}
_LOW_PCT, _HIGH_PCT = REPLACEMENT_COST_RANGE
_FIRST_YEAR, _LAST_YEAR = HORIZON_YEARS_RANGE
_RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "coverage_target": (lambda x: 0 <= x <= 1, "in [0, 1]"),
    "mentee_years_now": (lambda x: x >= 0, ">= 0"),
    "programme_years": (lambda x: x > 0, "> 0"),
    "average_salary": (lambda x: x > 0, "> 0"),
    "programme_cost_per_mentee": (lambda x: x >= 0, ">= 0"),
    "replacement_cost_pct": (lambda x: _LOW_PCT <= x <= _HIGH_PCT,
                             f"in [{_LOW_PCT:g}, {_HIGH_PCT:g}] ({100 * _LOW_PCT:g}-{pct(_HIGH_PCT)} of salary)"),
    "horizon_years": (lambda x: _FIRST_YEAR <= x <= _LAST_YEAR, f"in [{_FIRST_YEAR}, {_LAST_YEAR}]"),
}


def _number(name: str, value: Any) -> float:
    if value is None:
        raise MissingInputError(name, _HINTS.get(name, ""))
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidInputError(name, "a number", value)
    if not math.isfinite(value):
        raise InvalidInputError(name, "a finite number", value)
    return float(value)


def _checked(name: str, value: Any, ok: Callable[[float], bool], allowed: str) -> float:
    x = _number(name, value)
    if not ok(x):
        raise InvalidInputError(name, allowed, value)
    return x


def _count(name: str, value: Any) -> int:
    return int(_checked(name, value, lambda x: x >= 0 and x.is_integer(), "a whole number >= 0"))


def _hazard_ratios(name: str, hr: Any, lower: Any, upper: Any) -> dict[str, float]:
    h = _checked(name, hr, lambda x: x > 0, "> 0")
    lo = _checked(f"{name}_lower", lower, lambda x: 0 < x <= h, f"in (0, {name}] = (0, {h:g}]")
    hi = _checked(f"{name}_upper", upper, lambda x: x >= h, f">= {name} ({h:g})")
    return {name: h, f"{name}_lower": lo, f"{name}_upper": hi}


def _optional_hazard_ratios(x: BusinessCaseInputs, name: str) -> dict[str, float]:
    """A hazard ratio that may be left out (the naive one; those credited while running and after an end); a bound
    left out is the point."""
    point, lower, upper = (getattr(x, f"{name}{end}") for end in ("", "_lower", "_upper"))
    if point is None:
        if (lower, upper) != (None, None):
            raise MissingInputError(name, " although its CI bounds were given")
        return {}
    return _hazard_ratios(name, point, point if lower is None else lower, point if upper is None else upper)


def _validated(x: BusinessCaseInputs) -> dict[str, Any]:
    out: dict[str, Any] = {"people_in_scope": _count("people_in_scope", x.people_in_scope)}
    for name in ("exit_risks_now", "exit_risks_others"):
        out[name] = _probabilities(name, getattr(x, name))
    out.update({name: _checked(name, getattr(x, name), *rule) for name, rule in _RULES.items()})
    staff = len(out["exit_risks_now"]) + len(out["exit_risks_others"])
    now = len(out["exit_risks_now"]) / staff if staff else 0.0
    if out["coverage_target"] < now:
        raise InvalidInputError("coverage_target", f">= today's share mentored ({now:g})", x.coverage_target)
    out.update(_hazard_ratios("hazard_ratio", x.hazard_ratio, x.hazard_ratio_lower, x.hazard_ratio_upper))
    for name in ("naive_hazard_ratio", "running_hazard_ratio", "after_hazard_ratio"):
        out.update(_optional_hazard_ratios(x, name))
    for name, people in (("running_shares_now", "exit_risks_now"), ("running_shares_others", "exit_risks_others")):
        out[name] = _shares(name, getattr(x, name), len(out[people]))
    if x.lasting_effect not in LASTING_ASSUMPTIONS:
        raise InvalidInputError("lasting_effect", f"one of {LASTING_ASSUMPTIONS}", x.lasting_effect)
    return out


def _shares(name: str, values: Any, people: int) -> tuple[float, ...] | None:
    if values is None:
        return None
    out = _probabilities(name, values, closed=True)
    if len(out) != people:
        raise InvalidInputError(name, f"one share per person ({people})", len(out))
    return out


def _probabilities(name: str, values: Any, closed: bool = False) -> tuple[float, ...]:
    if values is None or isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise InvalidInputError(name, "a sequence of probabilities", values)
    out = tuple(float(v) for v in values)
    bad = next((v for v in out if not (0 <= v <= 1 if closed else 0 <= v < 1)), None)
    if bad is not None:
        raise InvalidInputError(name, f"probabilities in [0, 1{']' if closed else ')'}", bad)
    return out


def _filled_sources(x: BusinessCaseInputs, given: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(given) - set(_INPUT_NAMES))
    if unknown:
        raise InvalidInputError("sources", "keyed by input names", unknown[0])
    sources: dict[str, str] = {}
    for name in (n for n in _INPUT_NAMES if getattr(x, n) is not None):
        # a CI bound comes from wherever its point estimate came from, unless told otherwise
        point = name.removesuffix("_lower").removesuffix("_upper")
        sources[name] = str(given.get(name, sources.get(point, _DEFAULT_SOURCES.get(name, YOUR_INPUT))))
    return sources


# ------------------------------------------------------------------ formulas

def mentored_exit_probability(p0: Any, hazard_ratio: float) -> Any:
    """p1 = 1 - (1 - p0)^HR: proportional hazards applied to an exit probability (numbers or arrays)."""
    return -np.expm1(hazard_ratio * np.log1p(-np.asarray(p0, dtype=float)))


def avoided_exits(risks: tuple[float, ...] | np.ndarray, hazard_ratio: Any) -> float:
    """Expected exits mentoring avoids among people with these unmentored chances of leaving (a hazard ratio, or
    each person's own: see credited_hazard_ratio)."""
    p0 = np.asarray(risks, dtype=float)
    return float((p0 - mentored_exit_probability(p0, hazard_ratio)).sum()) if p0.size else 0.0


def credited_hazard_ratio(shares: tuple[float, ...] | None, running: float, after: float) -> Any:
    """Each person's hazard ratio over the whole horizon when `running` holds for the share of their baseline
    hazard before their mentorship's end and `after` for the rest: s * running + (1 - s) * after (see the module
    docstring); `running` for everyone when no shares are given."""
    if shares is None:
        return running
    s = np.asarray(shares, dtype=float)
    return s * running + (1.0 - s) * after


def return_on_investment(savings: float, cost: float) -> float | None:
    """(savings - cost) / cost; None when nothing is spent. Falls as cost rises only while
    savings >= 0; with negative savings (HR > 1) it is below -1 and creeps toward -1."""
    return (savings - cost) / cost if cost > 0 else None


def payback_months(savings: float, cost: float, years: float) -> float | None:
    """Months of savings that repay the cost; None when there are no savings."""
    return cost / (savings / (12 * years)) if savings > 0 else None


# ------------------------------------------------------------------ results

def _clean(value: Any) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class Range:
    """A point with the low-high range carried over from the hazard ratio's CI (not itself a
    CI, hence low/high, not lower/upper); None where undefined (ROI without cost, payback
    without savings)."""
    estimate: float | None
    low: float | None
    high: float | None

    def __post_init__(self):
        for name in ("estimate", "low", "high"):
            object.__setattr__(self, name, _clean(getattr(self, name)))

    def to_dict(self) -> dict[str, float | None]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high}

    def as_row(self, label: str) -> dict[str, Any]:
        return {"label": label, **self.to_dict()}


@dataclass(frozen=True)
class Outcome:
    """What one group of mentees is worth over the horizon. For payback, `high` is the
    slow end (None: does not pay back at the upper HR)."""
    mentees: float
    avoided_exits: Range
    savings: Range
    programme_cost: Range
    net_benefit: Range
    roi: Range
    payback_months: Range

    def to_dict(self) -> dict[str, Any]:
        return {"mentees": float(self.mentees), **{m: getattr(self, m).to_dict() for m in MEASURES}}


Effect = tuple[float, float]              # the hazard ratio credited while a mentorship runs, and after it ends
HazardRatios = tuple[Effect, Effect, Effect]  # at the (estimate, lower, upper) of each


def _hazard_triple(x: BusinessCaseInputs, name: str) -> tuple[float, float, float]:
    return getattr(x, name), getattr(x, f"{name}_lower"), getattr(x, f"{name}_upper")


def _credited(x: BusinessCaseInputs) -> HazardRatios:
    """The effects the money credits (running, after an end) at the estimate and at the two ends of the range: each
    hazard ratio at its own limit, both at once (lower with lower, upper with upper); the honest one where not given."""
    honest = _hazard_triple(x, "hazard_ratio")
    running = honest if x.running_hazard_ratio is None else _hazard_triple(x, "running_hazard_ratio")
    after = honest if x.after_hazard_ratio is None else _hazard_triple(x, "after_hazard_ratio")
    return tuple(zip(running, after))


def _naive(x: BusinessCaseInputs) -> HazardRatios:
    """The naive report's claim: the naive hazard ratio for good, from a person's first mentorship."""
    return tuple((hr, hr) for hr in _hazard_triple(x, "naive_hazard_ratio"))


def _point(x: BusinessCaseInputs, effect: Effect, scenario: str, more: float | None = None,
           for_good: bool = False) -> dict[str, float | None]:
    """One effect's figures: the programme as it is ("current"), the additional mentees alone
    ("target"), or today's programme with `more` mentees on top ("coverage"). `for_good`: the effect from the
    first start for good, whatever the shares (the naive claim)."""
    running, after = effect
    now_shares, other_shares = (None, None) if for_good else (x.running_shares_now, x.running_shares_others)
    others = x.exit_risks_others
    per_new = avoided_exits(others, credited_hazard_ratio(other_shares, running, after)) / len(others) \
        if others else 0.0
    new_mentee_years = min(x.programme_years, x.horizon_years)
    if more is None:
        more = _more_mentees(x)
    include_now = scenario in ("current", "coverage")
    add = more if scenario in ("target", "coverage") else 0.0
    avoided = (avoided_exits(x.exit_risks_now, credited_hazard_ratio(now_shares, running, after))
               if include_now else 0.0) + add * per_new
    savings = avoided * x.average_salary * x.replacement_cost_pct
    mentee_years = (x.mentee_years_now if include_now else 0.0) + add * new_mentee_years
    cost = mentee_years * x.programme_cost_per_mentee
    return {"avoided_exits": avoided, "savings": savings, "programme_cost": cost,
            "net_benefit": savings - cost, "roi": return_on_investment(savings, cost),
            "payback_months": payback_months(savings, cost, x.horizon_years)}


def _more_mentees(x: BusinessCaseInputs) -> float:
    """Mentees the target adds: the target share of everyone in scope, less today's."""
    staff = len(x.exit_risks_now) + len(x.exit_risks_others)
    return max(0.0, min(float(len(x.exit_risks_others)), staff * x.coverage_target - len(x.exit_risks_now)))


def _outcome(x: BusinessCaseInputs, hrs: HazardRatios, scenario: str, more: float | None = None,
             for_good: bool = False) -> Outcome:
    mid, best, worst = (_point(x, hr, scenario, more, for_good) for hr in hrs)
    ranged = {m: Range(mid[m], worst[m], best[m]) for m in MEASURES}
    ranged["payback_months"] = Range(mid["payback_months"], best["payback_months"], worst["payback_months"])
    mentees = {"current": float(len(x.exit_risks_now)), "target": _more_mentees(x)}.get(
        scenario, float(len(x.exit_risks_now)) + (more or 0.0))
    return Outcome(mentees, **ranged)


def _mentored_probability(x: BusinessCaseInputs, hrs: HazardRatios, for_good: bool = False) -> Range:
    """Today's mentees' average chance of leaving within the horizon, as mentored."""
    risks = np.asarray(x.exit_risks_now, dtype=float)
    shares = None if for_good else x.running_shares_now
    return Range(*(float(mentored_exit_probability(risks, credited_hazard_ratio(shares, *hr)).mean())
                   if risks.size else math.nan for hr in hrs))


@dataclass(frozen=True)
class BusinessCase:
    """The honest case (adjusted HR) for the programme as it is and the target scenario,
    and the naive one beside it when a naive HR was given."""
    inputs: BusinessCaseInputs
    exit_probability_unmentored: float
    exit_probability_mentored: Range
    current: Outcome
    target: Outcome
    naive_exit_probability_mentored: Range | None = None
    naive_current: Outcome | None = None
    naive_target: Outcome | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: floats, None where undefined."""
        return {"horizon_years": float(self.inputs.horizon_years), "inputs": _inputs_dict(self.inputs),
                "exit_probability": {"unmentored": _clean(self.exit_probability_unmentored),
                                     "mentored": self.exit_probability_mentored.to_dict()},
                "current": self.current.to_dict(), "target": self.target.to_dict(),
                "lasting_effect": {"assumption": self.inputs.lasting_effect, "why": self.inputs.lasting_why},
                "naive": self._naive_dict()}

    def _naive_dict(self) -> dict[str, Any] | None:
        if self.naive_current is None:
            return None
        naive = naive_case_label(self.inputs.naive_hazard_ratio, self.inputs.hazard_ratio)
        return {"label": naive, "exit_probability_mentored": self.naive_exit_probability_mentored.to_dict(),
                "current": self.naive_current.to_dict(), "target": self.naive_target.to_dict()}


def business_case(inputs: BusinessCaseInputs) -> BusinessCase:
    """Compute the business case (see the module docstring for the formulas)."""
    adjusted = _credited(inputs)
    unmentored = float(np.mean(inputs.exit_risks_now)) if inputs.exit_risks_now else math.nan
    case = BusinessCase(inputs, unmentored, _mentored_probability(inputs, adjusted), *_outcomes(inputs, adjusted))
    if inputs.naive_hazard_ratio is None:
        return case
    naive = _naive(inputs)
    naive_current, naive_target = _outcomes(inputs, naive, for_good=True)
    return replace(case, naive_exit_probability_mentored=_mentored_probability(inputs, naive, for_good=True),
                   naive_current=naive_current, naive_target=naive_target)


def _outcomes(x: BusinessCaseInputs, hrs: HazardRatios, for_good: bool = False) -> tuple[Outcome, Outcome]:
    return _outcome(x, hrs, "current", for_good=for_good), _outcome(x, hrs, "target", for_good=for_good)


def _inputs_dict(x: BusinessCaseInputs) -> dict[str, dict[str, Any]]:
    """Each input with its source; the per-person risks as their count and mean (the JSON stays small)."""
    out = {}
    for name, source in x.sources.items():
        value = getattr(x, name)
        if isinstance(value, tuple):
            mean = float(np.mean(value)) if value else None
            value = {"people": shown_total(len(value), x.counts_rounded),  # a rounded group's mean, to 3 places
                     "mean": round(mean, 3) if x.counts_rounded and mean is not None else mean}
        elif name == "people_in_scope":
            value = shown_total(value, x.counts_rounded)
        out[name] = {"value": value, "source": source}
    # beside rounded counts, a share to whole percents: its full precision would give the counts back (a fraction's
    # exact value names its numerator and denominator)
    share = round(x.coverage_now, ROUNDED_SHARE_DIGITS) if x.counts_rounded else x.coverage_now
    out["coverage_now"] = {"value": share, "source": x.sources.get("people_in_scope", YOUR_INPUT)}
    return out


# ------------------------------------------------------------------ scenarios and sensitivity

def coverage_scenarios(inputs: BusinessCaseInputs, coverages: Iterable[float] | None = None) -> pd.DataFrame:
    """Value of the programme (adjusted HR, with range) at each coverage: today's mentees and the
    additional ones; by default 11 steps from today's share to the target."""
    grid = _coverage_grid(inputs) if coverages is None else [
        _checked("coverages", c, lambda v: 0 <= v <= 1, "in [0, 1]") for c in coverages]
    hrs = _credited(inputs)
    staff = len(inputs.exit_risks_now) + len(inputs.exit_risks_others)
    rows = []
    for c in grid:
        more = max(0.0, min(float(len(inputs.exit_risks_others)), staff * c - len(inputs.exit_risks_now)))
        rows.append(_scenario_row(c, _outcome(inputs, hrs, "coverage", more)))
    return pd.DataFrame(rows)


def _coverage_grid(x: BusinessCaseInputs) -> list[float]:
    return [float(c) for c in np.unique(np.linspace(x.coverage_now, x.coverage_target, SCENARIO_STEPS))]


def _scenario_row(coverage: float, o: Outcome) -> dict[str, float]:
    return {"coverage": coverage, "mentees": o.mentees,
            "avoided_exits": o.avoided_exits.estimate, "avoided_exits_low": o.avoided_exits.low,
            "avoided_exits_high": o.avoided_exits.high, "savings": o.savings.estimate,
            "programme_cost": o.programme_cost.estimate, "net_benefit": o.net_benefit.estimate,
            "net_benefit_low": o.net_benefit.low, "net_benefit_high": o.net_benefit.high}


def sensitivity(inputs: BusinessCaseInputs, replacement_pcts: Iterable[float] = SENSITIVITY_REPLACEMENT_PCTS,
                costs: Iterable[float] | None = None, measure: str = "roi",
                scenario: str = "current") -> pd.DataFrame:
    """Grid of ROI (or net benefit) at the adjusted HR: rows replacement cost share, columns
    programme cost per mentee per year (default 0.5x-2x the input). NaN where undefined."""
    _checked_choice("measure", measure, ("roi", "net_benefit"))
    _checked_choice("scenario", scenario, ("current", "target"))
    pcts = list(replacement_pcts)
    costs = _default_costs(inputs) if costs is None else list(costs)
    grid = [[_grid_value(replace(inputs, replacement_cost_pct=r, programme_cost_per_mentee=c), measure, scenario)
             for c in costs] for r in pcts]
    return pd.DataFrame(grid, index=pd.Index(pcts, name="replacement_cost_pct"),
                        columns=pd.Index(costs, name="programme_cost_per_mentee"), dtype=float)


def _checked_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidInputError(name, f"one of {allowed}", value)


def _default_costs(x: BusinessCaseInputs) -> list[float]:
    if x.programme_cost_per_mentee == 0:  # a free programme: show what costs would do to it
        return list(FREE_PROGRAMME_COSTS)
    return sorted({k * x.programme_cost_per_mentee for k in SENSITIVITY_COST_FACTORS})


def _grid_value(x: BusinessCaseInputs, measure: str, scenario: str) -> float:
    value = _point(x, _credited(x)[0], scenario)[measure]
    return math.nan if value is None else value
