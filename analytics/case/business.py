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

Two questions, answered apart (a finance director's reading: money spent is not a reason to spend more):

1. What is the mentoring already done still worth? A credit, with no cost and no ROI: the exits it avoids within
   the horizon among the people employed now who were ever mentored, and their value. Its cost is spent (or, for
   the rest of today's running mentorships, committed): `committed_cost` says how much is still to pay.
2. What does each new mentee return? Per 100 new mentees (drawn at the average risk of those never mentored):
   the fully loaded cost of their mentoring within the horizon (the programme fee, and mentor and mentee hours a
   month at a loaded hourly cost: the ROI Institute's fully loaded cost), the exits avoided and their value,
   net value, ROI and payback. The coverage scenario and where to extend next use this one.

    exits avoided in year k = sum of (p0_ik - p1_ik) - (p0_i,k-1 - p1_i,k-1)   (cumulative to each year's end)
      p0_ik = 1 - (1 - p0_i)^c_ik      c_ik the share of the horizon's baseline hazard by year k's end
      p1_ik = 1 - (1 - p0_i)^(HR_run min(s_i, c_ik) + HR_after (c_ik - min(s_i, c_ik)))
    value          = sum over years of exits avoided x average salary x replacement share x (1 + r)^-(mid-year)
    full cost      = (fee + 12 x (mentor hours + mentee hours) x hourly cost) per mentee-year, paid while the
                     mentoring runs within the horizon, discounted the same way
    net            = value - full cost;  ROI = net / full cost (None when cost is 0)
    payback months = full cost / (value / (12 H))   (None when value < full cost: not within the horizon)

First year only (the conservative view): the exits avoided in the first year alone, against the whole cost of
the programme, not discounted. Doing nothing costs nothing and avoids nothing: `do_nothing` gives the exits
100 such people would have unmentored and what replacing them costs, the line the other two are set against.

A longer horizon can show fewer exits avoided than a shorter one: someone mentoring kept this year can still
leave next year, so an exit that was delayed is counted over one year but not over three; later years are also
discounted.

Each output is a point with a range from the HR's 95% CI: the upper HR gives the low end of
the benefit (and the slow end of payback). With two effects (while running and after an end) each is taken at
its own limit at once (both upper limits for the low end), wider than a joint 95% range would be, as their
correlation is left out. The range is then widened by the baseline risk's own uncertainty (`_widened`); it
leaves out that of the end dates and of the shares s_i. The same is computed with the naive HR for good (what a naive
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
from analytics.common.policy import (DISCOUNT_RATE, DISCOUNT_RATE_RANGE, FREE_PROGRAMME_COSTS, HORIZON_YEARS_RANGE,
                                     HOURS_RANGE, LOADED_COST_FACTOR, MENTEE_HOURS_PER_MONTH, MENTOR_HOURS_PER_MONTH,
                                     PER_NEW_MENTEES, PROGRAMME_YEARS, REPLACEMENT_COST_PCT, REPLACEMENT_COST_RANGE,
                                     ROUNDED_SHARE_DIGITS, SCENARIO_STEPS, SENSITIVITY_COST_FACTORS,
                                     SENSITIVITY_REPLACEMENT_PCTS, WORK_HOURS_PER_YEAR, shown_total)
from analytics.words.lasting import NOT_GIVEN, lasting_why
from analytics.words.verdict import HARM_AFTER, LASTING, NOT_CHECKED, WHILE_RUNNING
from analytics.words.costs import (CURRENCY_ASSUMED, DISCOUNT_ASSUMED, HOURLY_FROM_SALARY, MENTEE_HOURS_ASSUMED,
                                   MENTOR_HOURS_ASSUMED)
from analytics.words.wording import CURRENCY, GALLUP, MISSING_SALARY, PROGRAMME_ASSUMED, YOUR_INPUT, naive_case_label, pct

LASTING_ASSUMPTIONS = (LASTING, WHILE_RUNNING, HARM_AFTER, NOT_CHECKED)
MEASURES = ("avoided_exits", "savings", "programme_cost", "net_benefit", "roi", "payback_months")
NEW_MENTEE_KEYS = {"programme_cost": "cost", "avoided_exits": "avoided_exits", "savings": "value",
                   "net_benefit": "net", "roi": "roi", "payback_months": "payback_months"}  # the JSON's names


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
    mentor_hours_per_month: float = MENTOR_HOURS_PER_MONTH   # the fully loaded cost: mentor and mentee time
    mentee_hours_per_month: float = MENTEE_HOURS_PER_MONTH
    hourly_cost: float | None = None       # loaded cost of an hour; None: from the average salary (policy)
    discount_rate: float = DISCOUNT_RATE   # a year, for money after the first half-year
    mentored_now: int | None = None        # people with a mentorship running at the as-of date (None: today's mentees)
    currency: str = CURRENCY
    # each person's share of the horizon's baseline hazard by the end of each whole year before the horizon's last
    # (risks.hazard_shares; outer: the years, inner: the people, as exit_risks_now / _others); None: by its time
    year_shares_now: tuple[tuple[float, ...], ...] | None = None
    year_shares_others: tuple[tuple[float, ...], ...] | None = None
    # the relative standard error the baseline hazard's own uncertainty gives each group's chances of leaving
    # (risks.baseline_uncertainty): the ranges of exits avoided and their value carry it beside the effect's
    baseline_spread_now: float = 0.0
    baseline_spread_others: float = 0.0
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
        if self.hourly_cost is None:  # a loaded hour from the average salary, said so
            object.__setattr__(self, "hourly_cost", self.average_salary / WORK_HOURS_PER_YEAR * LOADED_COST_FACTOR)
            sources.setdefault("hourly_cost", HOURLY_FROM_SALARY)
        object.__setattr__(self, "sources", _filled_sources(self, sources))
        if not self.lasting_why:
            object.__setattr__(self, "lasting_why", lasting_why(self.lasting_effect, why_not=NOT_GIVEN))

    def input(self, name: str) -> Input:
        """The value of one input with its source."""
        return Input(getattr(self, name), self.sources[name])

    @property
    def staff(self) -> int:
        """People employed now (with follow-up time): the coverage scenario's whole."""
        return len(self.exit_risks_now) + len(self.exit_risks_others)

    @property
    def coverage_now(self) -> float:
        """The share of the people employed now with a mentorship running at the as-of date (mentored now)."""
        return self.now_mentored / self.staff if self.staff else 0.0

    @property
    def now_mentored(self) -> int:
        """People mentored now (a mentorship running at the as-of date); today's mentees when not given."""
        return len(self.exit_risks_now) if self.mentored_now is None else self.mentored_now

    @property
    def ever_mentored_share(self) -> float:
        """The share of the people employed now ever mentored (whose mentoring the credit counts)."""
        return len(self.exit_risks_now) / self.staff if self.staff else 0.0

    @property
    def full_cost_per_year(self) -> float:
        """A mentee-year's fully loaded cost: the programme fee and the mentor's and mentee's hours."""
        hours = 12 * (self.mentor_hours_per_month + self.mentee_hours_per_month)
        return self.programme_cost_per_mentee + hours * self.hourly_cost

    @property
    def exit_probability(self) -> float:
        """The average chance that someone employed now leaves voluntarily within the horizon, unmentored."""
        risks = self.exit_risks_now + self.exit_risks_others
        return float(np.mean(risks)) if risks else 0.0


_INPUT_NAMES = tuple(n for n in BusinessCaseInputs.__dataclass_fields__
                     if n not in ("sources", "counts_rounded", "lasting_effect", "lasting_why", "year_shares_now",
                                  "year_shares_others"))
_DEFAULT_SOURCES = {"replacement_cost_pct": GALLUP, "programme_years": PROGRAMME_ASSUMED,
                    "mentor_hours_per_month": MENTOR_HOURS_ASSUMED, "mentee_hours_per_month": MENTEE_HOURS_ASSUMED,
                    "discount_rate": DISCOUNT_ASSUMED, "currency": CURRENCY_ASSUMED}
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
    "mentor_hours_per_month": (lambda x: HOURS_RANGE[0] <= x <= HOURS_RANGE[1], f"in {list(HOURS_RANGE)}"),
    "mentee_hours_per_month": (lambda x: HOURS_RANGE[0] <= x <= HOURS_RANGE[1], f"in {list(HOURS_RANGE)}"),
    "baseline_spread_now": (lambda x: x >= 0, ">= 0"),
    "baseline_spread_others": (lambda x: x >= 0, ">= 0"),
    "discount_rate": (lambda x: DISCOUNT_RATE_RANGE[0] <= x <= DISCOUNT_RATE_RANGE[1],
                      f"in [{DISCOUNT_RATE_RANGE[0]:g}, {DISCOUNT_RATE_RANGE[1]:g}]"),
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
    if x.hourly_cost is not None:
        out["hourly_cost"] = _checked("hourly_cost", x.hourly_cost, lambda v: v >= 0, ">= 0")
    if x.mentored_now is not None:
        out["mentored_now"] = _checked("mentored_now", x.mentored_now, lambda v: v >= 0 and v.is_integer()
                                       and v <= staff, f"a whole number in [0, {staff}]")
        out["mentored_now"] = int(out["mentored_now"])
    if not isinstance(x.currency, str) or not 0 < len(x.currency.strip()) <= 5:
        raise InvalidInputError("currency", "a sign or code of 1-5 characters ($, EUR)", x.currency)
    now = (len(out["exit_risks_now"]) if x.mentored_now is None else out["mentored_now"]) / staff if staff else 0.0
    if out["coverage_target"] < now:
        raise InvalidInputError("coverage_target", f">= today's share mentored ({now:g})", x.coverage_target)
    out.update(_hazard_ratios("hazard_ratio", x.hazard_ratio, x.hazard_ratio_lower, x.hazard_ratio_upper))
    for name in ("naive_hazard_ratio", "running_hazard_ratio", "after_hazard_ratio"):
        out.update(_optional_hazard_ratios(x, name))
    for name, people in (("running_shares_now", "exit_risks_now"), ("running_shares_others", "exit_risks_others")):
        out[name] = _shares(name, getattr(x, name), len(out[people]))
    years = math.ceil(out["horizon_years"]) - 1  # the year ends before the horizon's
    for name, people in (("year_shares_now", "exit_risks_now"), ("year_shares_others", "exit_risks_others")):
        given = getattr(x, name)
        if given is not None:
            if len(given) != years:
                raise InvalidInputError(name, f"one set of shares for each year before the last ({years})", len(given))
            out[name] = tuple(_shares(name, year, len(out[people])) for year in given)
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
    """Months of the horizon's savings (spread evenly over its `years`) that repay the cost; None when they do not
    within the horizon (no savings, or fewer than the cost): nothing is counted past the horizon, so nothing
    repays the cost there, and a payback found by stretching the savings beyond it would be a claim the figures do
    not make."""
    if savings <= 0 or savings < cost:
        return None
    return cost / (savings / (12 * years))


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


def _year_ends(x: BusinessCaseInputs) -> np.ndarray:
    """The end of each year of the horizon, in years (the last one the horizon's end)."""
    return np.minimum(np.arange(1, math.ceil(x.horizon_years) + 1, dtype=float), x.horizon_years)


def _discount(x: BusinessCaseInputs, at_years: Any) -> Any:
    """What money at `at_years` (years from now) is worth today at the discount rate."""
    return (1.0 + x.discount_rate) ** -np.asarray(at_years, dtype=float)


def yearly_avoided(p0: Any, shares: Any, year_shares: Any, effect: Effect, year_ends: np.ndarray) -> np.ndarray:
    """Exits avoided in each year of the horizon (people x years), from each person's unmentored chance over the
    horizon p0, the share of its baseline hazard while their mentoring runs (`shares`; None: all of it), the shares by
    each year's end before the last (`year_shares`; None: by its time) and the effect (running, after an end)."""
    p0 = np.asarray(p0, dtype=float)
    running, after = effect
    s = np.ones_like(p0) if shares is None else np.asarray(shares, dtype=float)
    horizon = float(year_ends[-1])
    ends = [np.full_like(p0, t / horizon) for t in year_ends[:-1]] if year_shares is None else \
        [np.asarray(c, dtype=float) for c in year_shares]
    ends.append(np.ones_like(p0))
    log_stay = np.log1p(-p0)
    out, before = [], np.zeros_like(p0)
    for c in ends:
        run = np.minimum(s, c)
        cumulative = np.expm1((running * run + after * (c - run)) * log_stay) - np.expm1(c * log_stay)
        out.append(cumulative - before)
        before = cumulative
    return np.stack(out, axis=1) if p0.size else np.zeros((0, len(ends)))


def _new_cost(x: BusinessCaseInputs, discounted: bool = True, within_horizon: bool = True) -> float:
    """A new mentee's fully loaded cost, paid while their mentoring runs (within the horizon, or all of it), each
    year's part discounted from the middle of the time it is paid in."""
    ends = _year_ends(x)
    last = min(x.programme_years, x.horizon_years) if within_horizon else x.programme_years
    if not within_horizon and last > ends[-1]:
        ends = np.append(ends, np.arange(math.floor(ends[-1]) + 1, math.ceil(last) + 1, dtype=float))
    starts = np.concatenate([[0.0], ends[:-1]])
    paid = np.clip(np.minimum(ends, last) - starts, 0.0, None)
    factor = _discount(x, starts + paid / 2) if discounted else 1.0
    return float((paid * factor).sum() * x.full_cost_per_year)


def new_mentee_cost(x: BusinessCaseInputs) -> float:
    """One new mentee's fully loaded cost within the horizon, discounted (where to extend next uses it too)."""
    return _new_cost(x)


def discounted_value(x: BusinessCaseInputs, yearly: Any) -> float:
    """The value of exits avoided in each year of the horizon (a row, or their total spread by the years' time
    when a single number), at the average salary unless the caller scales it."""
    yearly = np.asarray(yearly, dtype=float)
    if yearly.ndim == 0:
        ends = _year_ends(x)
        yearly = yearly * np.diff(np.concatenate([[0.0], ends])) / ends[-1]
    return _values(x, yearly)


def _values(x: BusinessCaseInputs, yearly: np.ndarray, first_year: bool = False) -> float:
    """The replacement costs a row of yearly exits avoided saves, discounted from the middle of each year."""
    ends = _year_ends(x)
    middles = (np.concatenate([[0.0], ends[:-1]]) + ends) / 2
    if first_year:
        yearly, middles = yearly[:1], middles[:1]
    return float((yearly * _discount(x, middles)).sum() * x.average_salary * x.replacement_cost_pct)


def _per_new_yearly(x: BusinessCaseInputs, effect: Effect, for_good: bool) -> np.ndarray:
    """A new mentee's exits avoided in each year: the mean over those never mentored."""
    others = x.exit_risks_others
    if not others:
        return np.zeros(len(_year_ends(x)))
    shares = None if for_good else x.running_shares_others
    years = None if for_good else x.year_shares_others
    return yearly_avoided(others, shares, years, effect, _year_ends(x)).mean(axis=0)


def _new_point(x: BusinessCaseInputs, effect: Effect, mentees: float, first_year: bool = False,
               for_good: bool = False) -> dict[str, float | None]:
    """`mentees` new mentees' figures: the whole horizon, or the conservative first year alone (its exits avoided
    against the programme's whole cost, not discounted)."""
    yearly = _per_new_yearly(x, effect, for_good) * mentees
    avoided = float(yearly[0] if first_year else yearly.sum())
    value = _values(x, yearly, first_year)
    cost = mentees * (_new_cost(x, discounted=False, within_horizon=False) if first_year else _new_cost(x))
    return {"avoided_exits": avoided, "savings": value, "programme_cost": cost, "net_benefit": value - cost,
            "roi": return_on_investment(value, cost),
            "payback_months": payback_months(value, cost, 1.0 if first_year else x.horizon_years)}


def _more_mentees(x: BusinessCaseInputs, coverage: float | None = None) -> float:
    """Mentees a coverage adds (the target's by default): that share of everyone employed now, less those mentored
    now; anyone not mentored now can be, at the average risk of those never mentored."""
    coverage = x.coverage_target if coverage is None else coverage
    return max(0.0, min(float(x.staff - x.now_mentored), x.staff * coverage - x.now_mentored))


Z95 = 1.959963984540054


def _widened(estimate: float, low: float, high: float, spread: float) -> tuple[float, float]:
    """A range from the effect's limits widened by the baseline's relative standard error `spread`: each side's
    distance from the estimate and z x spread x the estimate added in quadrature (independent errors)."""
    extra = (Z95 * spread * estimate) ** 2
    return estimate - math.sqrt((estimate - low) ** 2 + extra), estimate + math.sqrt((high - estimate) ** 2 + extra)


def _outcome(x: BusinessCaseInputs, hrs: HazardRatios, mentees: float, first_year: bool = False,
             for_good: bool = False) -> Outcome:
    """`mentees` new mentees' figures with their ranges: the effect's limits, widened by the baseline's spread."""
    mid, best, worst = (_new_point(x, hr, mentees, first_year, for_good) for hr in hrs)
    for name in ("avoided_exits", "savings"):
        worst[name], best[name] = _widened(mid[name], worst[name], best[name], x.baseline_spread_others)
    years = 1.0 if first_year else x.horizon_years
    for end in (best, worst):  # what follows from the value at each end of its range
        end["net_benefit"] = end["savings"] - end["programme_cost"]
        end["roi"] = return_on_investment(end["savings"], end["programme_cost"])
        end["payback_months"] = payback_months(end["savings"], end["programme_cost"], years)
    ranged = {m: Range(mid[m], worst[m], best[m]) for m in MEASURES}
    ranged["payback_months"] = Range(mid["payback_months"], best["payback_months"], worst["payback_months"])
    return Outcome(mentees, **ranged)


def _credit(x: BusinessCaseInputs, hrs: HazardRatios, for_good: bool = False) -> "Credit":
    """What the mentoring already done is still worth: today's ever-mentored people's exits avoided and their
    value, with no cost."""
    shares = None if for_good else x.running_shares_now
    years = None if for_good else x.year_shares_now
    yearly = [yearly_avoided(x.exit_risks_now, shares, years, hr, _year_ends(x)).sum(axis=0) for hr in hrs]
    (mid, best, worst) = yearly
    spread = x.baseline_spread_now
    avoided = (float(mid.sum()), *_widened(float(mid.sum()), float(worst.sum()), float(best.sum()), spread))
    value = (_values(x, mid), *_widened(_values(x, mid), _values(x, worst), _values(x, best), spread))
    return Credit(people=float(len(x.exit_risks_now)), avoided_exits=Range(*avoided), value=Range(*value),
                  committed_cost=x.mentee_years_now * x.full_cost_per_year)


def _do_nothing(x: BusinessCaseInputs) -> dict[str, float]:
    """Doing nothing for 100 people never mentored: no cost, none avoided; the exits they would have (the mean
    of their own chances) and what replacing those people costs."""
    exits = PER_NEW_MENTEES * (float(np.mean(x.exit_risks_others)) if x.exit_risks_others else 0.0)
    return {"mentees": 0.0, "cost": 0.0, "avoided_exits": 0.0, "net": 0.0, "exits": exits,
            "replacement_cost": exits * x.average_salary * x.replacement_cost_pct}


def _mentored_probability(x: BusinessCaseInputs, hrs: HazardRatios, for_good: bool = False) -> Range:
    """Today's mentees' average chance of leaving within the horizon, as mentored."""
    risks = np.asarray(x.exit_risks_now, dtype=float)
    shares = None if for_good else x.running_shares_now
    return Range(*(float(mentored_exit_probability(risks, credited_hazard_ratio(shares, *hr)).mean())
                   if risks.size else math.nan for hr in hrs))


@dataclass(frozen=True)
class Credit:
    """The first question: what the mentoring already done is still worth over the horizon. No cost and no ROI:
    its cost is spent, or for the rest of today's running mentorships committed (`committed_cost`, within the
    horizon, fully loaded)."""
    people: float
    avoided_exits: Range
    value: Range
    committed_cost: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"people": self.people, "avoided_exits": self.avoided_exits.to_dict(), "value": self.value.to_dict(),
                "committed_cost": _clean(self.committed_cost)}


@dataclass(frozen=True)
class BusinessCase:
    """The honest case (adjusted HR), in two questions: the credit for the mentoring already done, and what 100 new
    mentees return (over the horizon and in the first year alone), with the coverage target's mentees and doing
    nothing beside them; the naive case beside it when a naive HR was given."""
    inputs: BusinessCaseInputs
    exit_probability_unmentored: float
    exit_probability_mentored: Range
    already_done: Credit
    per_new: Outcome
    first_year: Outcome
    target: Outcome
    do_nothing: dict[str, float] = field(default_factory=dict)
    naive_exit_probability_mentored: Range | None = None
    naive_already_done: Credit | None = None
    naive_per_new: Outcome | None = None
    naive_target: Outcome | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: floats, None where undefined."""
        x = self.inputs
        return {"horizon_years": float(x.horizon_years), "currency": x.currency, "inputs": _inputs_dict(x),
                "exit_probability": {"unmentored": _clean(self.exit_probability_unmentored),
                                     "mentored": self.exit_probability_mentored.to_dict()},
                "already_done": self.already_done.to_dict(),
                "per_100_new_mentees": _new_dict(self.per_new),
                "first_year_per_100_new_mentees": _new_dict(self.first_year),
                "do_nothing_per_100": {k: _clean(v) for k, v in self.do_nothing.items()},
                "full_cost_per_mentee_year": _clean(x.full_cost_per_year),
                "target": self.target.to_dict(),
                "lasting_effect": {"assumption": x.lasting_effect, "why": x.lasting_why},
                "naive": self._naive_dict()}

    def _naive_dict(self) -> dict[str, Any] | None:
        if self.naive_per_new is None:
            return None
        naive = naive_case_label(self.inputs.naive_hazard_ratio, self.inputs.hazard_ratio)
        return {"label": naive, "exit_probability_mentored": self.naive_exit_probability_mentored.to_dict(),
                "already_done": self.naive_already_done.to_dict(),
                "per_100_new_mentees": _new_dict(self.naive_per_new), "target": self.naive_target.to_dict()}


def _new_dict(o: Outcome) -> dict[str, Any]:
    """New mentees' figures under the JSON's names: cost, avoided_exits, value, net, roi, payback_months."""
    return {"mentees": float(o.mentees), **{NEW_MENTEE_KEYS[m]: getattr(o, m).to_dict() for m in MEASURES}}


def business_case(inputs: BusinessCaseInputs) -> BusinessCase:
    """Compute the business case (see the module docstring for the formulas)."""
    adjusted = _credited(inputs)
    unmentored = float(np.mean(inputs.exit_risks_now)) if inputs.exit_risks_now else math.nan
    case = BusinessCase(inputs, unmentored, _mentored_probability(inputs, adjusted), _credit(inputs, adjusted),
                        _outcome(inputs, adjusted, PER_NEW_MENTEES),
                        _outcome(inputs, adjusted, PER_NEW_MENTEES, first_year=True),
                        _outcome(inputs, adjusted, _more_mentees(inputs)), _do_nothing(inputs))
    if inputs.naive_hazard_ratio is None:
        return case
    naive = _naive(inputs)
    return replace(case, naive_exit_probability_mentored=_mentored_probability(inputs, naive, for_good=True),
                   naive_already_done=_credit(inputs, naive, for_good=True),
                   naive_per_new=_outcome(inputs, naive, PER_NEW_MENTEES, for_good=True),
                   naive_target=_outcome(inputs, naive, _more_mentees(inputs), for_good=True))


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
    for name in ("coverage_now", "ever_mentored_share"):  # mentored now (the scenario's start); ever (the credit's)
        share = getattr(x, name)
        share = round(share, ROUNDED_SHARE_DIGITS) if x.counts_rounded else share
        out[name] = {"value": share, "source": x.sources.get("people_in_scope", YOUR_INPUT)}
    return out


# ------------------------------------------------------------------ scenarios and sensitivity

def coverage_scenarios(inputs: BusinessCaseInputs, coverages: Iterable[float] | None = None) -> pd.DataFrame:
    """What the new mentees each coverage adds would return (adjusted HR, with range, fully loaded cost): by default
    11 steps from today's share mentored now to the target."""
    grid = _coverage_grid(inputs) if coverages is None else [
        _checked("coverages", c, lambda v: 0 <= v <= 1, "in [0, 1]") for c in coverages]
    hrs = _credited(inputs)
    return pd.DataFrame([_scenario_row(c, _outcome(inputs, hrs, _more_mentees(inputs, c))) for c in grid])


def _coverage_grid(x: BusinessCaseInputs) -> list[float]:
    return [float(c) for c in np.unique(np.linspace(x.coverage_now, x.coverage_target, SCENARIO_STEPS))]


def _scenario_row(coverage: float, o: Outcome) -> dict[str, float]:
    return {"coverage": coverage, "mentees": o.mentees,
            "avoided_exits": o.avoided_exits.estimate, "avoided_exits_low": o.avoided_exits.low,
            "avoided_exits_high": o.avoided_exits.high, "savings": o.savings.estimate,
            "programme_cost": o.programme_cost.estimate, "net_benefit": o.net_benefit.estimate,
            "net_benefit_low": o.net_benefit.low, "net_benefit_high": o.net_benefit.high}


BOUNDS = ("estimate", "low", "high")


def sensitivity(inputs: BusinessCaseInputs, replacement_pcts: Iterable[float] = SENSITIVITY_REPLACEMENT_PCTS,
                costs: Iterable[float] | None = None, measure: str = "roi", bound: str = "estimate") -> pd.DataFrame:
    """Grid of 100 new mentees' ROI (or net value): rows replacement cost share, columns programme fee per mentee
    per year (default 0.5x-2x the input; the mentor and mentee hours stay as set). `bound`: at the effect's estimate,
    or at the low or high end of its range (the grid spans the effect's range). NaN where undefined."""
    _checked_choice("measure", measure, ("roi", "net_benefit"))
    _checked_choice("bound", bound, BOUNDS)
    pcts = list(replacement_pcts)
    costs = _default_costs(inputs) if costs is None else list(costs)
    grid = [[_grid_value(replace(inputs, replacement_cost_pct=r, programme_cost_per_mentee=c), measure, bound)
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


def _grid_value(x: BusinessCaseInputs, measure: str, bound: str) -> float:
    mid, best, worst = _credited(x)
    effect = {"estimate": mid, "low": worst, "high": best}[bound]
    value = _new_point(x, effect, PER_NEW_MENTEES)[measure]
    return math.nan if value is None else value
