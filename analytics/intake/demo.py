"""A simulated company built in code, its characteristics fixed at hire: a roster and mentoring records with a
known truth (the truth tests' company; the demo company is demo_changing's `demo_config`).

Every analysis is checked against this simulation, so the true model is written down twice:
in the constants below and in ``DemoData.truth`` (JSON). The simulation is exact in
continuous time: voluntary exits follow a Cox model on days since hire with a Weibull
baseline and log-linear effects of observed covariates only, multiplied from the first
mentorship start onward by the programme's hazard ratio; involuntary exits and retirements
compete and ignore mentoring. Mentoring goes sooner to high performers (confounding) and
only to people still employed (so "ever mentored" carries immortal time).
See docs/demo.md for the full description.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import pandas as pd

from analytics.common.errors import DemoConfigError
from analytics.common.policy import DAYS_PER_YEAR
from analytics.intake.schema import EMPLOYEES, GENERATIONS, MENTORSHIPS, PROGRAM_TYPES


# --- The organisation -------------------------------------------------------------------
DEPARTMENT_SHARE = {
    "Engineering": 0.22, "Sales": 0.20, "Customer Support": 0.16, "Operations": 0.14,
    "Marketing": 0.10, "Finance": 0.11, "Human Resources": 0.07,
}
JOB_LEVEL_SHARE = {"L1": 0.34, "L2": 0.28, "L3": 0.21, "L4": 0.12, "L5": 0.05}
LOCATION_SHARE = {"London": 0.36, "New York": 0.26, "Berlin": 0.16, "Singapore": 0.14, "Remote": 0.08}
GENDER_SHARE = {"Female": 0.47, "Male": 0.49, "Non-binary": 0.015, "Undisclosed": 0.025}
PERFORMANCE_SHARE = {1: 0.04, 2: 0.13, 3: 0.50, 4: 0.25, 5: 0.08}
# Age at hire by level (mean, sd), clipped to 20-62; a share of experienced hires of any age.
AGE_AT_HIRE = {"L1": (25.0, 3.5), "L2": (30.0, 5.0), "L3": (36.0, 6.0), "L4": (42.0, 7.0), "L5": (47.0, 7.0)}
AGE_RANGE = (20.0, 62.0)
EXPERIENCED_HIRE_SHARE = 0.10
# Median salary by level, multiplied by department and location factors; log-normal spread.
SALARY_BY_LEVEL = {"L1": 42_000.0, "L2": 56_000.0, "L3": 75_000.0, "L4": 102_000.0, "L5": 145_000.0}
SALARY_DEPARTMENT_FACTOR = {
    "Engineering": 1.18, "Sales": 1.00, "Customer Support": 0.82, "Operations": 0.90,
    "Marketing": 0.97, "Finance": 1.06, "Human Resources": 0.92,
}
SALARY_LOCATION_FACTOR = {"London": 1.00, "New York": 1.22, "Berlin": 0.90, "Singapore": 0.96, "Remote": 0.93}
SALARY_PER_PERFORMANCE_POINT = 0.03  # log salary rises 3% per rating point
SALARY_LOG_SD = 0.14
HIRING_GROWTH_PER_YEAR = 0.08  # hires per day grow 8% a year

# --- Voluntary exit: the true Cox model (log hazard ratios; reference categories are 0) ---
VOLUNTARY_LOG_HR = {
    "department": {
        "Engineering": 0.0, "Sales": 0.35, "Customer Support": 0.40, "Operations": 0.10,
        "Marketing": 0.15, "Finance": -0.10, "Human Resources": -0.05,
    },
    "job_level": {"L1": 0.0, "L2": -0.10, "L3": -0.20, "L4": -0.30, "L5": -0.45},
    "generation": {"Boomer": -0.20, "Gen X": -0.10, "Millennial": 0.0, "Gen Z": 0.35},
    "location": {"London": 0.0, "New York": 0.10, "Berlin": -0.10, "Singapore": -0.05, "Remote": 0.05},
    "gender": {"Female": 0.0, "Male": 0.0, "Non-binary": 0.0, "Undisclosed": 0.0},
}
VOLUNTARY_LOG_HR_PER_RATING_POINT = -0.25   # high performers leave less
VOLUNTARY_LOG_HR_PER_LOG_SALARY = -0.60     # better paid people leave less
VOLUNTARY_LOG_HR_PER_HIRE_YEAR = 0.0        # no calendar or cohort effect
# Centring only moves the baseline: the reference person has rating 3 and salary 60,000.
REFERENCE_RATING = 3.0
REFERENCE_SALARY = 60_000.0

# --- Involuntary exit and retirement (compete with voluntary; mentoring has no effect) ------
INVOLUNTARY_LOG_HR_PER_RATING_POINT = -0.45  # low performers are dismissed more
INVOLUNTARY_LOG_HR_JOB_LEVEL = {"L1": 0.0, "L2": 0.0, "L3": -0.10, "L4": -0.20, "L5": -0.20}
RETIREMENT_AGE = 62.0
RETIREMENT_RATE_PER_YEAR = 0.30  # constant hazard from age 62

# --- Mentoring uptake: who is mentored, how soon (log rate ratios, times `confounding`) ---
MENTORING_LOG_RATE = {
    "department": {
        "Engineering": 0.15, "Sales": 0.0, "Customer Support": -0.15, "Operations": -0.10,
        "Marketing": 0.05, "Finance": 0.05, "Human Resources": 0.20,
    },
    "job_level": {"L1": 0.0, "L2": 0.20, "L3": 0.35, "L4": 0.30, "L5": 0.10},
    "generation": {"Boomer": -0.30, "Gen X": -0.10, "Millennial": 0.0, "Gen Z": 0.10},
}
MENTORING_LOG_RATE_PER_RATING_POINT = 0.70  # high performers are mentored sooner
UPTAKE_PARTS = ("department", "job_level", "generation", "performance_rating")  # scaled by confounding(_by)
MENTORING_MIN_DAYS_AFTER_HIRE = 30
PROGRAM_SHARE = {"traditional": 0.42, "lateral": 0.18, "group": 0.16, "external": 0.14, "reverse": 0.10}
REVERSE_MIN_MENTEE_AGE = 35.0  # reverse mentoring is offered to mentees aged 35+ at start
PLANNED_DURATION_DAYS = {  # uniform range of a relationship's planned length
    "traditional": (180, 365), "reverse": (90, 180), "lateral": (90, 270),
    "group": (120, 365), "external": (90, 365),
}
MEETINGS_PER_MONTH = 1.3
SECOND_MENTORSHIP_GAP_DAYS = (90.0, 300.0)  # minimum gap, then exponential with this mean

DEFAULT_MENTORING_HR = {"traditional": 0.65, "reverse": 0.75, "lateral": 0.75, "group": 0.80, "external": 0.80}

_NEVER = 1e12  # a time later than any date in the simulation


class FrozenMap(Mapping):
    """A read-only, hashable, picklable mapping, so a DemoConfig can be a cache key."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, float]):
        object.__setattr__(self, "_items", tuple(items.items()))

    def __getitem__(self, key: str) -> float:
        return dict(self._items)[key]

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items))

    def __repr__(self) -> str:
        return f"FrozenMap({dict(self._items)!r})"

    def __reduce__(self):
        return FrozenMap, (dict(self._items),)


@dataclass(frozen=True)
class DemoConfig:
    """Knobs of the simulated company. Hazard ratios are the truth the analysis should recover."""

    n_employees: int = 5000
    seed: int = 20240601
    start: date = date(2017, 1, 1)          # first possible hire date
    as_of: date = date(2024, 12, 31)        # snapshot: no hires after it, the employed are censored here
    mentoring_hr: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MENTORING_HR))
    manager_mentor_hr: float = 1.25         # extra factor when the mentor is the line manager
    target_coverage: float = 0.37           # share of all employees mentored while employed
    programme_launch: date | None = None    # no mentorship starts before this; None = 90 days after start
    voluntary_base: float = 0.20            # reference person's 1-year cumulative voluntary hazard
    weibull_shape: float = 0.80             # < 1: attrition is highest early in tenure
    involuntary_rate: float = 0.035         # reference person's involuntary exits per year
    uptake_shape: float = 0.45              # Weibull shape of time to first mentorship; < 1: mostly early
    confounding: float = 1.0                # scales MENTORING_LOG_RATE; 0 = uptake unrelated to covariates
    uptake_window_days: int | None = None   # mentoring starts only within this many days of becoming eligible
                                            # (an onboarding programme: little immortal time); None: any time
    # a part of the uptake model's own scale in place of `confounding` (parts: department, job_level, generation,
    # performance_rating); a negative scale reverses that part: remedial mentoring, going sooner to low performers
    # or juniors, who leave more (negative confounding)
    confounding_by: Mapping[str, float] = field(default_factory=dict)
    manager_mentor_share: float = 0.25      # share of traditional mentorships where the mentor is the manager
    second_mentorship_share: float = 0.20   # share of mentees offered a second, later mentorship
    # a department's own factor on the mentoring effect (1 where not given): segments with a known effect of
    # their own, for checking where to extend the programme next
    department_mentoring_factor: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.n_employees, (int, np.integer)) or self.n_employees < 50:
            raise DemoConfigError(f"n_employees must be an integer >= 50, but was {self.n_employees!r}")
        if not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise DemoConfigError(f"seed must be a non-negative integer, but was {self.seed!r}")
        if not (self.as_of - self.start).days >= 365:
            raise DemoConfigError(f"start must be at least a year before as_of, but was {self.start} .. {self.as_of}")
        if not (self.start.year >= 2009 and self.as_of.year <= 2032):  # ages 20-62 keep birth years in 1946-2012
            raise DemoConfigError(f"start and as_of must lie within 2009-2032 (Pew generations), "
                             f"but were {self.start} .. {self.as_of}")
        if self.programme_launch is None:
            object.__setattr__(self, "programme_launch", self.start + timedelta(days=90))
        if not self.programme_launch < self.as_of:
            raise DemoConfigError(f"programme_launch must be before as_of, but was {self.programme_launch}")
        if set(self.mentoring_hr) != set(PROGRAM_TYPES):
            raise DemoConfigError(f"mentoring_hr must have exactly the keys {PROGRAM_TYPES}, "
                             f"but had {tuple(self.mentoring_hr)!r}")
        hrs = {k: float(v) for k, v in self.mentoring_hr.items()}
        for name, value in [*(("mentoring_hr[" + k + "]", v) for k, v in hrs.items()),
                            ("manager_mentor_hr", self.manager_mentor_hr),
                            ("voluntary_base", self.voluntary_base), ("weibull_shape", self.weibull_shape),
                            ("involuntary_rate", self.involuntary_rate), ("uptake_shape", self.uptake_shape)]:
            if not (math.isfinite(value) and value > 0):
                raise DemoConfigError(f"{name} must be a positive finite number, but was {value!r}")
        for name in ("target_coverage", "manager_mentor_share", "second_mentorship_share"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise DemoConfigError(f"{name} must be in [0, 1), but was {value!r}")
        if not (math.isfinite(self.confounding) and self.confounding >= 0):
            raise DemoConfigError(f"confounding must be a non-negative number, but was {self.confounding!r} "
                                  "(confounding_by takes a negative scale for a part)")
        window = self.uptake_window_days
        if window is not None and not (isinstance(window, (int, np.integer)) and not isinstance(window, bool)
                                       and window >= 1):
            raise DemoConfigError(f"uptake_window_days must be None or an integer >= 1, but was {window!r}")
        scales = {k: float(v) for k, v in self.confounding_by.items()}
        if set(scales) - set(UPTAKE_PARTS) or not all(math.isfinite(v) for v in scales.values()):
            raise DemoConfigError(f"confounding_by must map parts {UPTAKE_PARTS} to finite numbers, "
                                  f"but was {scales!r}")
        object.__setattr__(self, "confounding_by", FrozenMap(scales))
        object.__setattr__(self, "mentoring_hr", FrozenMap({t: hrs[t] for t in PROGRAM_TYPES}))
        factors = {k: float(v) for k, v in self.department_mentoring_factor.items()}
        unknown = set(factors) - set(DEPARTMENT_SHARE)
        if unknown or not all(math.isfinite(v) and v > 0 for v in factors.values()):
            raise DemoConfigError(f"department_mentoring_factor must map departments {tuple(DEPARTMENT_SHARE)} to "
                                  f"positive numbers, but was {factors!r}")
        object.__setattr__(self, "department_mentoring_factor", FrozenMap(factors))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO text, the mapping as a plain dict."""
        return config_dict(self)


def config_dict(config: Any) -> dict[str, Any]:
    """A simulation's settings (a dataclass), JSON-ready: dates as ISO text, mappings as plain dicts."""
    out = {}
    for f in fields(config):
        value = getattr(config, f.name)
        out[f.name] = (value.isoformat() if isinstance(value, date) else
                       dict(value) if isinstance(value, Mapping) else value)
    return out


@dataclass(frozen=True)
class DemoData:
    employees: pd.DataFrame    # the contract's employees columns, dates datetime64[ns]
    mentorships: pd.DataFrame  # the contract's mentorships columns, dates datetime64[ns]
    truth: dict                # JSON-serialisable: the config and every true coefficient


def uniform_effect_config(hr: float, **kw: Any) -> DemoConfig:
    """Every programme type has the same hazard ratio and the manager adds nothing: one true factor."""
    return DemoConfig(mentoring_hr={t: hr for t in PROGRAM_TYPES}, manager_mentor_hr=1.0, **kw)


def generate(config: DemoConfig = DemoConfig()) -> DemoData:
    """Simulate the company in `config`; the same config always gives identical frames."""
    return _Simulation(config).run()


def true_exit_probabilities(config: DemoConfig = DemoConfig(), horizon_days: float = 365.0) -> pd.DataFrame:
    """The truth the business case should recover: for everyone employed at the as-of date, the exact
    probability of a voluntary exit within `horizon_days`, given their tenure and characteristics, with
    their own mentoring effect (if mentored by then) and without any; involuntary exits and retirement
    compete. One row per current employee: employee_id, tenure_days, mentored, p_unmentored, p_mentored
    (p_mentored = p_unmentored for people not mentored)."""
    sim = _Simulation(config)
    sim.run()
    return sim.exit_probabilities(horizon_days)


# --- implementation -------------------------------------------------------------------------

def day_dates(start: date, day: np.ndarray) -> pd.Series:
    """The dates `day` whole days after `start` (NaT where a day is not finite: no such event)."""
    base = np.datetime64(start, "D")
    d = np.asarray(day, dtype=float)
    out = np.full(d.size, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(d)
    out[ok] = (base + d[ok].astype(np.int64)).astype("datetime64[ns]")
    return pd.Series(out, dtype="datetime64[ns]")


def mentorship_frame(ids: np.ndarray, mentee: np.ndarray, mentor: np.ndarray, program: np.ndarray,
                     start: pd.Series, end: pd.Series, meetings: np.ndarray) -> pd.DataFrame:
    """The mentorships as the contract's columns, in start order: people by their position in `ids` (a mentor of
    -1 is outside the roster), programmes by their position in PROGRAM_TYPES."""
    frame = pd.DataFrame({
        "mentee_id": ids[mentee],
        "mentor_id": np.where(mentor >= 0, ids[np.maximum(mentor, 0)], None),
        "program_type": np.array(PROGRAM_TYPES, dtype=object)[program],
        "start_date": start,
        "end_date": end,
        "meetings": meetings.astype(np.int64),
    })
    frame = frame.sort_values(["start_date", "mentee_id"], kind="stable", ignore_index=True)
    return frame[MENTORSHIPS.names]


def _draw(rng: np.random.Generator, shares: Mapping, n: int) -> np.ndarray:
    """Category codes 0..k-1 with the given shares (normalised)."""
    p = np.array(list(shares.values()), dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _lookup(table: Mapping[str, float], codes: np.ndarray) -> np.ndarray:
    return np.array(list(table.values()), dtype=float)[codes]


def _generation_codes(birth_year: np.ndarray) -> np.ndarray:
    upper = np.array([hi for _, _, hi in GENERATIONS])
    return np.searchsorted(upper, birth_year, side="left")


class _Pool:
    """Employees sorted by (block, hire day): candidates hired before a day form a prefix of a block."""

    def __init__(self, block: np.ndarray, hire: np.ndarray):
        self.order = np.lexsort((hire, block))
        self.block = block[self.order].astype(np.int64)
        self.hire = hire[self.order].astype(float)

    def range(self, block: np.ndarray, before: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.searchsorted(self.block, block, side="left")
        hi_block = np.searchsorted(self.block, block, side="right")
        hi = lo + np.zeros_like(lo)
        # the prefix of each block hired strictly before `before`
        for b in np.unique(block):
            rows = block == b
            s, e = lo[rows][0], hi_block[rows][0]
            hi[rows] = s + np.searchsorted(self.hire[s:e], before[rows], side="left")
        return lo, hi

    def pick(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray,
             accept: Callable[[np.ndarray, np.ndarray], np.ndarray], trials: int = 40) -> np.ndarray:
        """One accepted candidate per query, uniform over the range by rejection; -1 if none exists."""
        out = np.full(lo.size, -1, dtype=np.int64)
        todo = np.flatnonzero(hi > lo)
        for _ in range(trials):
            if todo.size == 0:
                return out
            j = lo[todo] + (rng.random(todo.size) * (hi[todo] - lo[todo])).astype(np.int64)
            cand = self.order[j]
            ok = accept(cand, todo)
            out[todo[ok]] = cand[ok]
            todo = todo[~ok]
        for q in todo:  # the few left: look at every candidate
            cand = self.order[lo[q]:hi[q]]
            ok = accept(cand, np.full(cand.size, q))
            if ok.any():
                out[q] = rng.choice(cand[ok])
        return out


class _Simulation:
    def __init__(self, config: DemoConfig):
        self.cfg = config
        streams = np.random.SeedSequence(config.seed).spawn(8)
        # one stream per part, so changing one part of the model leaves the others' draws alone
        (self.rng_org, self.rng_exit, self.rng_uptake, self.rng_program,
         self.rng_manager, self.rng_mentor, self.rng_second, self.rng_detail) = map(np.random.default_rng, streams)
        self.n = config.n_employees
        self.horizon = (config.as_of - config.start).days  # last possible day offset

    # -- organisation --
    def build_org(self) -> None:
        rng, n, cfg = self.rng_org, self.n, self.cfg
        g = HIRING_GROWTH_PER_YEAR / DAYS_PER_YEAR
        u = rng.random(n)
        days = np.log1p(u * np.expm1(g * (self.horizon + 1))) / g  # density grows like exp(g t)
        hire = np.minimum(np.floor(days), self.horizon)
        weekday = (pd.Timestamp(cfg.start).dayofweek + hire) % 7  # Monday = 0
        shift = np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
        hire = np.where(hire + shift <= self.horizon, hire + shift, hire - (weekday - 4) * (shift > 0))
        self.hire = np.sort(hire).astype(np.int64)  # ids follow hire order
        self.dept = _draw(rng, DEPARTMENT_SHARE, n)
        self.department_factor = np.array([cfg.department_mentoring_factor.get(d, 1.0) for d in DEPARTMENT_SHARE])[self.dept]
        self.level = _draw(rng, JOB_LEVEL_SHARE, n)
        self.loc = _draw(rng, LOCATION_SHARE, n)
        self.gender = _draw(rng, GENDER_SHARE, n)
        self.rating = np.array(list(PERFORMANCE_SHARE))[_draw(rng, PERFORMANCE_SHARE, n)]
        mean, sd = (np.array([AGE_AT_HIRE[k][i] for k in JOB_LEVEL_SHARE])[self.level] for i in (0, 1))
        age = mean + sd * rng.standard_normal(n)
        experienced = rng.random(n) < EXPERIENCED_HIRE_SHARE
        age = np.where(experienced, rng.uniform(22.0, AGE_RANGE[1], n), age)
        self.age_at_hire = np.clip(age, *AGE_RANGE)
        hire_year_frac = cfg.start.year + (pd.Timestamp(cfg.start).dayofyear - 1 + self.hire) / DAYS_PER_YEAR
        self.birth_year = np.floor(hire_year_frac - self.age_at_hire).astype(np.int64)
        self.generation = _generation_codes(self.birth_year)
        log_salary = (np.log(_lookup(SALARY_BY_LEVEL, self.level) * _lookup(SALARY_DEPARTMENT_FACTOR, self.dept)
                             * _lookup(SALARY_LOCATION_FACTOR, self.loc))
                      + SALARY_PER_PERFORMANCE_POINT * (self.rating - REFERENCE_RATING)
                      + SALARY_LOG_SD * rng.standard_normal(n))
        self.salary = np.round(np.exp(log_salary), -2)  # the hazard uses exactly this rounded value
        self.follow = self.horizon - self.hire  # days from hire to as_of

    # -- latent times that mentoring does not change --
    def draw_exits(self) -> None:
        rng, cfg = self.rng_exit, self.cfg
        eta = (_lookup(VOLUNTARY_LOG_HR["department"], self.dept)
               + _lookup(VOLUNTARY_LOG_HR["job_level"], self.level)
               + _lookup(VOLUNTARY_LOG_HR["generation"], self.generation)
               + _lookup(VOLUNTARY_LOG_HR["location"], self.loc)
               + _lookup(VOLUNTARY_LOG_HR["gender"], self.gender)
               + VOLUNTARY_LOG_HR_PER_RATING_POINT * (self.rating - REFERENCE_RATING)
               + VOLUNTARY_LOG_HR_PER_LOG_SALARY * np.log(self.salary / REFERENCE_SALARY))
        self.vol_scale = cfg.voluntary_base * np.exp(eta)  # H(t) = vol_scale * (t / year)^shape
        self.vol_draw = rng.standard_exponential(self.n)
        self.t_vol0 = self._vol_inverse(self.vol_draw)
        inv_rate = (cfg.involuntary_rate / DAYS_PER_YEAR
                    * np.exp(INVOLUNTARY_LOG_HR_PER_RATING_POINT * (self.rating - REFERENCE_RATING)
                             + _lookup(INVOLUNTARY_LOG_HR_JOB_LEVEL, self.level)))
        self.t_inv = rng.standard_exponential(self.n) / inv_rate
        to_62 = np.maximum(RETIREMENT_AGE - self.age_at_hire, 0.0) * DAYS_PER_YEAR
        self.t_ret = to_62 + rng.standard_exponential(self.n) * DAYS_PER_YEAR / RETIREMENT_RATE_PER_YEAR
        self.t_other = np.minimum(self.t_inv, self.t_ret)

    def _vol_inverse(self, cumhaz: np.ndarray, rows: Any = slice(None)) -> np.ndarray:
        return DAYS_PER_YEAR * (cumhaz / self.vol_scale[rows]) ** (1.0 / self.cfg.weibull_shape)

    def _vol_cumhaz(self, t: np.ndarray, rows: Any = slice(None)) -> np.ndarray:
        return self.vol_scale[rows] * (t / DAYS_PER_YEAR) ** self.cfg.weibull_shape

    # -- first mentorship: when (calibrated to the target coverage) and which programme --
    def draw_uptake(self) -> None:
        rng, cfg = self.rng_uptake, self.cfg
        c = cfg.confounding
        if not cfg.confounding_by:
            self.uptake_log_rr = c * (_lookup(MENTORING_LOG_RATE["department"], self.dept)
                                      + _lookup(MENTORING_LOG_RATE["job_level"], self.level)
                                      + _lookup(MENTORING_LOG_RATE["generation"], self.generation)
                                      + MENTORING_LOG_RATE_PER_RATING_POINT * (self.rating - REFERENCE_RATING))
        else:  # each part with its own scale (the default keeps the sum above, so its draws stay bit for bit)
            scale = {part: cfg.confounding_by.get(part, c) for part in UPTAKE_PARTS}
            self.uptake_log_rr = (scale["department"] * _lookup(MENTORING_LOG_RATE["department"], self.dept)
                                  + scale["job_level"] * _lookup(MENTORING_LOG_RATE["job_level"], self.level)
                                  + scale["generation"] * _lookup(MENTORING_LOG_RATE["generation"], self.generation)
                                  + scale["performance_rating"] * MENTORING_LOG_RATE_PER_RATING_POINT
                                  * (self.rating - REFERENCE_RATING))
        launch = (cfg.programme_launch - cfg.start).days
        self.eligible_from = np.maximum(MENTORING_MIN_DAYS_AFTER_HIRE, launch - self.hire).astype(float)
        # Weibull time to first mentorship (days after eligibility); shape < 1: most start early
        uptake_draw = (rng.standard_exponential(self.n) / np.exp(self.uptake_log_rr)) ** (1.0 / cfg.uptake_shape)
        t_any0 = np.minimum(self.t_vol0, self.t_other)

        def starts(log_rate: float) -> tuple[np.ndarray, np.ndarray]:
            # the hazard changes on the (whole) start day; mentored only if still employed then
            m = np.ceil(self.eligible_from + uptake_draw * math.exp(-log_rate / cfg.uptake_shape))
            kept = (m < t_any0) & (m < self.follow)  # a start on the snapshot day adds no exposure
            if cfg.uptake_window_days is not None:  # offered only soon after becoming eligible, or never
                kept &= m <= self.eligible_from + cfg.uptake_window_days
            return m, kept

        lo, hi = -20.0, 5.0  # log of the reference person's mentoring rate per day
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if starts(mid)[1].mean() < cfg.target_coverage else (lo, mid)
        self.uptake_log_rate = 0.5 * (lo + hi)
        self.m1, self.mentored = starts(self.uptake_log_rate)
        self.m1 = np.where(self.mentored, self.m1, np.inf)
        self.program1 = self._draw_programs(self.rng_program, self.m1)

    def _draw_programs(self, rng: np.random.Generator, start: np.ndarray) -> np.ndarray:
        """Programme codes (index into PROGRAM_TYPES); reverse needs an older mentee, traditional a higher level."""
        names = list(PROGRAM_SHARE)
        p = np.tile(np.array(list(PROGRAM_SHARE.values())), (self.n, 1))
        age = self.age_at_hire + np.where(np.isfinite(start), start, 0.0) / DAYS_PER_YEAR
        p[:, names.index("reverse")] *= age >= REVERSE_MIN_MENTEE_AGE
        p[:, names.index("traditional")] *= self.level < len(JOB_LEVEL_SHARE) - 1
        cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        pick = (rng.random(self.n)[:, None] > cum).sum(axis=1).clip(max=len(names) - 1)
        return np.array([PROGRAM_TYPES.index(k) for k in names])[pick]

    # -- managers and voluntary exits, top level first (a manager-mentor must be employed at m) --
    def assign_managers_and_exits(self) -> None:
        cfg, rng, n = self.cfg, self.rng_manager, self.n
        n_levels = len(JOB_LEVEL_SHARE)
        trad = PROGRAM_TYPES.index("traditional")
        self.manager = np.full(n, -1, dtype=np.int64)
        self.term = np.full(n, _NEVER)  # day offset (from start) of the exit, or never
        self.t_exit = np.full(n, np.inf)
        self.t_vol = np.full(n, np.inf)
        wants_manager = self.mentored & (self.program1 == trad) & (rng.random(n) < cfg.manager_mentor_share)
        self.manager_mentor = np.zeros(n, dtype=bool)
        pool = _Pool(self.dept * n_levels + self.level, self.hire)
        hr = np.array([cfg.mentoring_hr[t] for t in PROGRAM_TYPES])
        for level in range(n_levels - 1, -1, -1):
            rows = np.flatnonzero(self.level == level)
            if level < n_levels - 1:
                self._assign_managers(rng, pool, rows, wants_manager[rows])
            ok_mgr = wants_manager[rows] & (self.manager[rows] >= 0)
            ok_mgr[ok_mgr] = self.term[self.manager[rows[ok_mgr]]] > self.hire[rows[ok_mgr]] + self.m1[rows[ok_mgr]]
            self.manager_mentor[rows] = ok_mgr
            psi = np.where(self.mentored[rows], hr[np.where(self.mentored[rows], self.program1[rows], 0)], 1.0)
            psi = psi * np.where(ok_mgr, cfg.manager_mentor_hr, 1.0) * self.department_factor[rows]
            t_vol = self.t_vol0[rows].copy()
            mm = np.flatnonzero(self.mentored[rows])
            r = rows[mm]
            h_m = self._vol_cumhaz(self.m1[r], r)
            # exact inverse of the piecewise cumulative hazard: the factor psi applies after m
            t_vol[mm] = self._vol_inverse(h_m + (self.vol_draw[r] - h_m) / psi[mm], r)
            t = np.minimum(t_vol, self.t_other[rows])
            self.t_vol[rows] = t_vol
            day = np.ceil(t)
            observed = day <= self.follow[rows]
            self.t_exit[rows] = np.where(observed, day, np.inf)
            self.term[rows] = np.where(observed, self.hire[rows] + day, _NEVER)

    def _assign_managers(self, rng: np.random.Generator, pool: _Pool, rows: np.ndarray, wants: np.ndarray) -> None:
        """A manager one level up if possible, else higher, same department, employed at the needed day."""
        n_levels = len(JOB_LEVEL_SHARE)
        level = self.level[rows[0]]
        need = np.where(wants, self.hire[rows] + np.where(wants, self.m1[rows], 0), self.hire[rows]).astype(float)
        found = np.full(rows.size, -1, dtype=np.int64)
        for attempt in (need, self.hire[rows].astype(float)):  # a manager employed at m, else at hire
            for up in range(level + 1, n_levels):
                q = np.flatnonzero(found < 0)
                if q.size == 0:
                    break
                lo, hi = pool.range(self.dept[rows[q]] * n_levels + up, self.hire[rows[q]].astype(float))
                need_q = attempt[q]
                found[q] = pool.pick(rng, lo, hi, lambda c, i: self.term[c] > need_q[i])
        self.manager[rows] = found

    # -- mentors (no effect on anyone's hazard) --
    def _pick_mentors(self, rng: np.random.Generator, mentees: np.ndarray, start: np.ndarray,
                      program: np.ndarray, exclude: np.ndarray) -> tuple[np.ndarray, int]:
        """Mentor rows (-1 = external) employed at the start day, not the mentee, not `exclude`."""
        n_levels = len(JOB_LEVEL_SHARE)
        mentor = np.full(mentees.size, -1, dtype=np.int64)
        day = self.hire[mentees] + start  # absolute day offset of the start
        level = self.level[mentees]
        by_level = _Pool(self.level, self.hire)
        anyone = _Pool(np.zeros(self.n, dtype=np.int64), self.hire)
        top = n_levels - 1
        mentor_block = {
            "traditional": np.minimum(level + 1 + (rng.random(mentees.size) < 0.4), top),
            "lateral": level,
            "group": np.where(level >= top, top, np.where(rng.random(mentees.size) < 0.6, top - 1, top)),
        }

        def accept_for(q: np.ndarray, younger: bool) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
            def accept(c: np.ndarray, i: np.ndarray) -> np.ndarray:
                k = q[i]
                ok = (self.term[c] > day[k]) & (c != mentees[k]) & (c != exclude[k])
                return ok & (self.birth_year[c] > self.birth_year[mentees[k]]) if younger else ok
            return accept

        fallbacks = 0
        for name in ("traditional", "lateral", "group", "reverse"):
            q = np.flatnonzero(program == PROGRAM_TYPES.index(name))
            if q.size == 0:
                continue
            if name == "reverse":
                lo, hi = anyone.range(np.zeros(q.size, dtype=np.int64), day[q])
                mentor[q] = anyone.pick(rng, lo, hi, accept_for(q, younger=True))
            else:
                lo, hi = by_level.range(mentor_block[name][q], day[q])
                mentor[q] = by_level.pick(rng, lo, hi, accept_for(q, younger=False))
            left = q[mentor[q] < 0]
            if left.size:  # nobody fits the programme's rule (a tiny company): any colleague employed then
                lo, hi = anyone.range(np.zeros(left.size, dtype=np.int64), day[left])
                mentor[left] = anyone.pick(rng, lo, hi, accept_for(left, younger=False))
                fallbacks += int(left.size)
        return mentor, fallbacks

    def build_mentorships(self) -> pd.DataFrame:
        first = np.flatnonzero(self.mentored)
        exclude = np.where(self.manager_mentor[first], -2, self.manager[first])
        mentor1, fb1 = self._pick_mentors(self.rng_mentor, first, self.m1[first], self.program1[first], exclude)
        mentor1 = np.where(self.manager_mentor[first], self.manager[first], mentor1)
        # a second, later mentorship for some: no further effect on the hazard
        rng = self.rng_second
        offered = rng.random(first.size) < self.cfg.second_mentorship_share
        gap = SECOND_MENTORSHIP_GAP_DAYS[0] + rng.standard_exponential(first.size) * SECOND_MENTORSHIP_GAP_DAYS[1]
        m2 = np.ceil(self.m1[first] + gap)
        has2 = offered & (m2 < np.minimum(self.t_vol[first], self.t_other[first])) & (m2 < self.follow[first])
        second = first[has2]
        start2 = m2[has2]
        starts_all = np.full(self.n, np.inf)
        starts_all[second] = start2
        program2 = self._draw_programs(rng, starts_all)[second]
        mentor2, fb2 = self._pick_mentors(rng, second, start2, program2,
                                          np.where(self.manager[second] >= 0, self.manager[second], -2))
        self.mentor_fallbacks = fb1 + fb2
        self.n_second = int(second.size)
        mentee = np.concatenate([first, second])
        start = np.concatenate([self.m1[first], start2])
        program = np.concatenate([self.program1[first], program2])
        mentor = np.concatenate([mentor1, mentor2])
        return self._relationship_frame(mentee, start, program, mentor)

    def _relationship_frame(self, mentee, start, program, mentor) -> pd.DataFrame:
        rng = self.rng_detail
        lo = np.array([PLANNED_DURATION_DAYS[t][0] for t in PROGRAM_TYPES])[program]
        hi = np.array([PLANNED_DURATION_DAYS[t][1] for t in PROGRAM_TYPES])[program]
        day0 = self.hire[mentee] + start
        end = day0 + rng.integers(lo, hi + 1)
        end = np.minimum(end, self.term[mentee])  # a relationship ends when either side leaves
        end = np.where(mentor >= 0, np.minimum(end, self.term[np.maximum(mentor, 0)]), end)
        active_months = (np.minimum(end, self.horizon) - day0) / 30.4375
        meetings = rng.poisson(MEETINGS_PER_MONTH * active_months)
        return mentorship_frame(self.ids, mentee, mentor, program, self._dates(day0),
                                self._dates(np.where(end <= self.horizon, end, np.nan)), meetings)

    def _dates(self, day: np.ndarray) -> pd.Series:
        return day_dates(self.cfg.start, day)

    def employee_frame(self) -> pd.DataFrame:
        reason = np.where(self.t_vol <= self.t_other, "voluntary",
                          np.where(self.t_inv <= self.t_ret, "involuntary", "retirement")).astype(object)
        left = np.isfinite(self.t_exit)
        frame = pd.DataFrame({
            "employee_id": self.ids,
            "hire_date": self._dates(self.hire),
            "termination_date": self._dates(np.where(left, self.hire + self.t_exit, np.nan)),
            "termination_reason": np.where(left, reason, None),
            "department": np.array(list(DEPARTMENT_SHARE), dtype=object)[self.dept],
            "job_level": np.array(list(JOB_LEVEL_SHARE), dtype=object)[self.level],
            "location": np.array(list(LOCATION_SHARE), dtype=object)[self.loc],
            "gender": np.array(list(GENDER_SHARE), dtype=object)[self.gender],
            "birth_year": self.birth_year.astype(np.int64),
            "manager_id": np.where(self.manager >= 0, self.ids[np.maximum(self.manager, 0)], None),
            "salary": self.salary.astype(float),
            "performance_rating": self.rating.astype(np.int64),
            "regrettable": pd.NA,  # no flag: regrettable exits are read from the top rating
        })
        frame["regrettable"] = frame["regrettable"].astype("boolean")
        return frame[EMPLOYEES.names]

    def exit_probabilities(self, horizon_days: float, steps_per_day: int = 4) -> pd.DataFrame:
        """Each current employee's voluntary-exit probability within the horizon, by numerical
        integration of the true hazards (exact within each step, where the hazards are held constant)."""
        cfg = self.cfg
        now = np.flatnonzero(~np.isfinite(self.t_exit))  # employed at the as-of date
        a = self.follow[now].astype(float)
        hr = np.array([cfg.mentoring_hr[t] for t in PROGRAM_TYPES])
        mentored = self.mentored[now]
        psi = np.where(mentored, hr[np.where(mentored, self.program1[now], 0)], 1.0)
        psi = psi * np.where(self.manager_mentor[now], cfg.manager_mentor_hr, 1.0) * self.department_factor[now]
        inv_rate = (cfg.involuntary_rate / DAYS_PER_YEAR
                    * np.exp(INVOLUNTARY_LOG_HR_PER_RATING_POINT * (self.rating[now] - REFERENCE_RATING)
                             + _lookup(INVOLUNTARY_LOG_HR_JOB_LEVEL, self.level[now])))
        to_62 = np.maximum(RETIREMENT_AGE - self.age_at_hire[now], 0.0) * DAYS_PER_YEAR
        grid = np.linspace(0.0, horizon_days, int(round(horizon_days * steps_per_day)) + 1)
        t = a[:, None] + grid[None, :]  # people x grid
        h_vol = self._vol_cumhaz(t, now[:, None])
        d_vol = np.diff(h_vol, axis=1)
        retire = RETIREMENT_RATE_PER_YEAR / DAYS_PER_YEAR * np.maximum(t - to_62[:, None], 0.0)
        d_other = np.diff(inv_rate[:, None] * t + retire, axis=1)

        def probability(factor: np.ndarray) -> np.ndarray:
            dv = factor[:, None] * d_vol
            total = dv + d_other
            alive = np.exp(-np.cumsum(np.c_[np.zeros(len(now)), total[:, :-1]], axis=1))
            share = np.divide(dv, total, out=np.zeros_like(dv), where=total > 0)
            return (alive * -np.expm1(-total) * share).sum(axis=1)

        p0 = probability(np.ones(len(now)))
        p1 = np.where(mentored, probability(psi), p0)
        # a new mentee from today: the programmes' effect (their geometric mean, weighted by how often each is
        # offered) times the department's own factor, with a mentor who is not the line manager
        shares = np.array([PROGRAM_SHARE.get(t, 0.0) for t in PROGRAM_TYPES])
        new_hr = float(np.exp((shares * np.log(hr)).sum() / shares.sum()))
        p_new = np.where(mentored, p1, probability(new_hr * self.department_factor[now]))
        return pd.DataFrame({"employee_id": self.ids[now], "tenure_days": a, "mentored": mentored,
                             "p_unmentored": p0, "p_mentored": p1, "p_if_mentored_now": p_new})

    def run(self) -> DemoData:
        self.build_org()
        self.ids = np.array([f"E{i:06d}" for i in range(1, self.n + 1)], dtype=object)
        self.draw_exits()
        self.draw_uptake()
        self.assign_managers_and_exits()
        employees = self.employee_frame()
        mentorships = self.build_mentorships()
        return DemoData(employees, mentorships, self.truth(employees))

    def truth(self, employees: pd.DataFrame) -> dict:
        cfg = self.cfg
        mentored = self.mentored
        psi = np.array([cfg.mentoring_hr[t] for t in PROGRAM_TYPES])[self.program1[mentored]]
        psi = psi * np.where(self.manager_mentor[mentored], cfg.manager_mentor_hr, 1.0) * self.department_factor[mentored]
        exposure_years = (np.minimum(np.where(np.isfinite(self.t_exit), self.t_exit, np.inf), self.follow)).sum() \
            / DAYS_PER_YEAR
        reason = employees["termination_reason"]
        trad = self.program1[mentored] == PROGRAM_TYPES.index("traditional")
        return {
            "config": cfg.as_dict(),
            "time_unit": "days since hire; dates are datetime64[ns] at midnight",
            "voluntary": {
                "model": "Cox: h(t) = h0(t) * exp(sum of log hazard ratios) * mentoring factor from the "
                         "first mentorship start onward",
                "baseline": {"form": "Weibull", "cumulative_hazard": "voluntary_base * (t / 365.25) ** weibull_shape",
                             "voluntary_base": cfg.voluntary_base, "weibull_shape": cfg.weibull_shape,
                             "reference": {"department": "Engineering", "job_level": "L1",
                                           "generation": "Millennial", "location": "London", "gender": "Female",
                                           "performance_rating": REFERENCE_RATING, "salary": REFERENCE_SALARY}},
                "log_hazard_ratio": {k: dict(v) for k, v in VOLUNTARY_LOG_HR.items()},
                "log_hazard_ratio_per_rating_point": VOLUNTARY_LOG_HR_PER_RATING_POINT,
                "log_hazard_ratio_per_log_salary": VOLUNTARY_LOG_HR_PER_LOG_SALARY,
                "log_hazard_ratio_per_hire_year": VOLUNTARY_LOG_HR_PER_HIRE_YEAR,
                "generation_boundaries": {name: [lo, hi] for name, lo, hi in GENERATIONS},
            },
            "mentoring_effect": {
                "hazard_ratio_by_program_type": dict(cfg.mentoring_hr),
                "manager_mentor_multiplier": cfg.manager_mentor_hr,
                "department_multiplier": {d: cfg.department_mentoring_factor.get(d, 1.0) for d in DEPARTMENT_SHARE},
                "applies_from": "the first mentorship's start_date, permanently (also after its end_date)",
                "program_type_that_counts": "the first mentorship's",
                "manager_mentors_only_in": "traditional",
                "second_mentorship_effect": "none (hazard ratio 1)",
                "meetings_dose_effect": "none (log hazard ratio 0 per meeting); meetings grow with time "
                                        "together, so leavers have fewer: any dose-response is reverse causation",
                "mentor_own_hazard_ratio": 1.0,
                "mentor_own_effect": "none: being a mentor does not change the mentor's own exit hazard",
                "affects_involuntary_or_retirement": False,
                "realised_mix_hazard_ratio": float(np.exp(np.log(psi).mean())) if psi.size else None,
            },
            "involuntary": {
                "model": "constant hazard: involuntary_rate per year * exp(log hazard ratios)",
                "involuntary_rate": cfg.involuntary_rate,
                "log_hazard_ratio_per_rating_point": INVOLUNTARY_LOG_HR_PER_RATING_POINT,
                "log_hazard_ratio_job_level": dict(INVOLUNTARY_LOG_HR_JOB_LEVEL),
            },
            "retirement": {"from_age": RETIREMENT_AGE, "rate_per_year": RETIREMENT_RATE_PER_YEAR},
            "mentoring_uptake": {
                "model": "first start = eligible day + exponential(rate); kept only if still employed then",
                "eligible_from": f"max({MENTORING_MIN_DAYS_AFTER_HIRE} days after hire, programme_launch)",
                "window_days": cfg.uptake_window_days,  # None: any time; else only this soon after eligible
                "log_rate_per_day_reference": self.uptake_log_rate,
                "log_rate_ratio": {k: dict(v) for k, v in MENTORING_LOG_RATE.items()},
                "log_rate_ratio_per_rating_point": MENTORING_LOG_RATE_PER_RATING_POINT,
                "confounding_scale": cfg.confounding,
                # a part's own scale in place of confounding_scale; negative: that part reversed (remedial)
                "confounding_scale_by_part": {p: cfg.confounding_by.get(p, cfg.confounding) for p in UPTAKE_PARTS},
                "program_share": dict(PROGRAM_SHARE),
                "reverse_min_mentee_age": REVERSE_MIN_MENTEE_AGE,
            },
            "realised": {
                "n_employees": int(self.n),
                "n_mentored": int(mentored.sum()),
                "coverage": float(mentored.mean()),
                "n_second_mentorships": self.n_second,
                "manager_mentor_share_of_traditional": float(self.manager_mentor[mentored][trad].mean())
                if trad.any() else None,
                "mentor_fallbacks": int(self.mentor_fallbacks),
                "exits": {k: int((reason == k).sum()) for k in ("voluntary", "involuntary", "retirement")},
                "person_years": float(exposure_years),
                "voluntary_exits_per_person_year": float((reason == "voluntary").sum() / exposure_years),
                "involuntary_exits_per_person_year": float((reason == "involuntary").sum() / exposure_years),
                "employees_without_manager": int((self.manager < 0).sum()),
            },
        }
