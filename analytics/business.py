"""The business case: what the honest mentoring effect is worth (docs/design.md, Business case).

Plain arithmetic on numbers the caller passes in; no data access, no streamlit.

Method
------
p0 is the 12-month exit probability of unmentored people (from the data). Over a horizon
of H years the hazard is taken as constant, so the H-year exit probability is
p0_H = 1 - (1 - p0)^H. Under proportional hazards a hazard ratio HR gives the mentored
probability p1_H = 1 - (1 - p0_H)^HR (for H = 1 this is p1 = 1 - (1 - p0)^HR).

The mentees are followed as one group over the horizon, leavers not replaced:

    avoided exits  = mentees x (p0_H - p1_H)
    savings        = avoided exits x average salary x replacement cost share
    programme cost = mentees x cost per mentee per year x H   (every mentee paid for
                     every year, which errs toward cost)
    net benefit    = savings - programme cost
    ROI            = net benefit / programme cost                  (None when cost is 0;
                     with negative savings a larger cost moves it toward -1, so compare
                     net benefit, not ROI, when the HR may exceed 1)
    payback months = programme cost / (savings / (12 H))           (None when savings <= 0)

"Programme as it is" counts people x coverage_now mentees; the target scenario counts the
additional people x (coverage_target - coverage_now). Each output is a point with a range
from the HR's 95% CI: the upper HR gives the low end of the benefit (and the slow end of
payback). The same is computed with the naive HR, labelled "naive (overstated)".
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable

import numpy as np
import pandas as pd

from .errors import InvalidInputError, MissingInputError
from .policy import (FREE_PROGRAMME_COSTS, HORIZON_YEARS_RANGE, REPLACEMENT_COST_PCT, REPLACEMENT_COST_RANGE,
                     SCENARIO_STEPS, SENSITIVITY_COST_FACTORS, SENSITIVITY_REPLACEMENT_PCTS)
from .wording import GALLUP, MISSING_SALARY, NAIVE_LABEL, YOUR_INPUT, pct

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
    p0: float
    hazard_ratio: float
    hazard_ratio_lower: float
    hazard_ratio_upper: float
    coverage_now: float
    coverage_target: float
    average_salary: float | None
    programme_cost_per_mentee: float
    replacement_cost_pct: float = REPLACEMENT_COST_PCT
    horizon_years: float = 1
    naive_hazard_ratio: float | None = None
    naive_hazard_ratio_lower: float | None = None
    naive_hazard_ratio_upper: float | None = None
    sources: dict[str, str] = field(default_factory=dict, hash=False)

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

    def input(self, name: str) -> Input:
        """The value of one input with its source."""
        return Input(getattr(self, name), self.sources[name])


_INPUT_NAMES = tuple(n for n in BusinessCaseInputs.__dataclass_fields__ if n != "sources")
_DEFAULT_SOURCES = {"replacement_cost_pct": GALLUP}
_HINTS = {"average_salary": MISSING_SALARY}
_LOW_PCT, _HIGH_PCT = REPLACEMENT_COST_RANGE
_FIRST_YEAR, _LAST_YEAR = HORIZON_YEARS_RANGE
_RULES: dict[str, tuple[Callable[[float], bool], str]] = {
    "p0": (lambda x: 0 <= x < 1, "in [0, 1)"),
    "coverage_now": (lambda x: 0 <= x <= 1, "in [0, 1]"),
    "coverage_target": (lambda x: 0 <= x <= 1, "in [0, 1]"),
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


def _naive_hazard_ratios(x: BusinessCaseInputs) -> dict[str, float]:
    if x.naive_hazard_ratio is None:
        bounds_given = (x.naive_hazard_ratio_lower, x.naive_hazard_ratio_upper) != (None, None)
        if bounds_given:
            raise MissingInputError("naive_hazard_ratio", " although its CI bounds were given")
        return {}
    point = x.naive_hazard_ratio
    lower = point if x.naive_hazard_ratio_lower is None else x.naive_hazard_ratio_lower
    upper = point if x.naive_hazard_ratio_upper is None else x.naive_hazard_ratio_upper
    return _hazard_ratios("naive_hazard_ratio", point, lower, upper)


def _validated(x: BusinessCaseInputs) -> dict[str, Any]:
    out: dict[str, Any] = {"people_in_scope": _count("people_in_scope", x.people_in_scope)}
    out.update({name: _checked(name, getattr(x, name), *rule) for name, rule in _RULES.items()})
    if out["coverage_target"] < out["coverage_now"]:
        now = out["coverage_now"]
        raise InvalidInputError("coverage_target", f">= coverage_now ({now:g})", x.coverage_target)
    out.update(_hazard_ratios("hazard_ratio", x.hazard_ratio, x.hazard_ratio_lower, x.hazard_ratio_upper))
    out.update(_naive_hazard_ratios(x))
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

def horizon_exit_probability(p0: float, years: float) -> float:
    """p0_H = 1 - (1 - p0)^H: the 12-month probability extended under a constant hazard."""
    return -math.expm1(years * math.log1p(-p0))


def mentored_exit_probability(p0: float, hazard_ratio: float) -> float:
    """p1 = 1 - (1 - p0)^HR: proportional hazards applied to an exit probability."""
    return -math.expm1(hazard_ratio * math.log1p(-p0))


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


HazardRatios = tuple[float, float, float]  # (estimate, lower, upper)


def _hazard_triple(x: BusinessCaseInputs, name: str) -> HazardRatios:
    return getattr(x, name), getattr(x, f"{name}_lower"), getattr(x, f"{name}_upper")


def _point(x: BusinessCaseInputs, mentees: float, hr: float) -> dict[str, float | None]:
    p0_h = horizon_exit_probability(x.p0, x.horizon_years)
    avoided = mentees * (p0_h - mentored_exit_probability(p0_h, hr))
    savings = avoided * x.average_salary * x.replacement_cost_pct
    cost = mentees * x.programme_cost_per_mentee * x.horizon_years
    return {"avoided_exits": avoided, "savings": savings, "programme_cost": cost,
            "net_benefit": savings - cost, "roi": return_on_investment(savings, cost),
            "payback_months": payback_months(savings, cost, x.horizon_years)}


def _outcome(x: BusinessCaseInputs, mentees: float, hrs: HazardRatios) -> Outcome:
    mid, best, worst = (_point(x, mentees, hr) for hr in hrs)
    ranged = {m: Range(mid[m], worst[m], best[m]) for m in MEASURES}
    ranged["payback_months"] = Range(mid["payback_months"], best["payback_months"], worst["payback_months"])
    return Outcome(mentees, **ranged)


def _mentored_probability(x: BusinessCaseInputs, hrs: HazardRatios) -> Range:
    p0_h = horizon_exit_probability(x.p0, x.horizon_years)
    return Range(*(mentored_exit_probability(p0_h, hr) for hr in hrs))


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
                "exit_probability": {"unmentored": self.exit_probability_unmentored,
                                     "mentored": self.exit_probability_mentored.to_dict()},
                "current": self.current.to_dict(), "target": self.target.to_dict(),
                "naive": self._naive_dict()}

    def _naive_dict(self) -> dict[str, Any] | None:
        if self.naive_current is None:
            return None
        return {"label": NAIVE_LABEL, "exit_probability_mentored": self.naive_exit_probability_mentored.to_dict(),
                "current": self.naive_current.to_dict(), "target": self.naive_target.to_dict()}


def business_case(inputs: BusinessCaseInputs) -> BusinessCase:
    """Compute the business case (see the module docstring for the formulas)."""
    adjusted = _hazard_triple(inputs, "hazard_ratio")
    case = BusinessCase(inputs, horizon_exit_probability(inputs.p0, inputs.horizon_years),
                        _mentored_probability(inputs, adjusted), *_outcomes(inputs, adjusted))
    if inputs.naive_hazard_ratio is None:
        return case
    naive = _hazard_triple(inputs, "naive_hazard_ratio")
    naive_current, naive_target = _outcomes(inputs, naive)
    return replace(case, naive_exit_probability_mentored=_mentored_probability(inputs, naive),
                   naive_current=naive_current, naive_target=naive_target)


def _outcomes(x: BusinessCaseInputs, hrs: HazardRatios) -> tuple[Outcome, Outcome]:
    more = x.people_in_scope * (x.coverage_target - x.coverage_now)
    return _outcome(x, x.people_in_scope * x.coverage_now, hrs), _outcome(x, more, hrs)


def _inputs_dict(x: BusinessCaseInputs) -> dict[str, dict[str, Any]]:
    return {name: {"value": getattr(x, name), "source": source} for name, source in x.sources.items()}


# ------------------------------------------------------------------ scenarios and sensitivity

def coverage_scenarios(inputs: BusinessCaseInputs, coverages: Iterable[float] | None = None) -> pd.DataFrame:
    """Value of the programme (adjusted HR, with range) at each coverage; by default
    11 steps from today's share to the target."""
    grid = _coverage_grid(inputs) if coverages is None else [
        _checked("coverages", c, *_RULES["coverage_now"]) for c in coverages]
    hrs = _hazard_triple(inputs, "hazard_ratio")
    return pd.DataFrame([_scenario_row(c, _outcome(inputs, inputs.people_in_scope * c, hrs)) for c in grid])


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
    coverage = x.coverage_now if scenario == "current" else x.coverage_target - x.coverage_now
    value = _point(x, x.people_in_scope * coverage, x.hazard_ratio)[measure]
    return math.nan if value is None else value
