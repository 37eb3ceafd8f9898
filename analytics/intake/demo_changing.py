"""A simulated company whose characteristics change, with its truth: ratings move at a yearly review, the well
rated are promoted faster, mentoring goes to whoever is well rated at the time, and voluntary exit follows a Cox
model on the current level, rating and pay. An HR snapshot (one value per person) cannot separate mentoring from
who gets mentored here; the dated job history can.

The organisation is the demo's (analytics/intake/demo.py: departments, levels, locations, generations, salaries,
the Weibull baseline of voluntary exit, involuntary exits and retirement). The simulation is exact: between
events (reviews, promotions, mentoring start and end) every hazard is the Weibull baseline (voluntary) or a
constant (the others) times a constant factor, and each cause's cumulative hazard is run against its own unit
exponential. The same people are also simulated without any mentoring, from the same random numbers, so the
truth holds each person's outcome with and without it. See docs/demo.md, "A company whose characteristics
change"; with `demo_config()` it is the demo company (`python -m analytics demo`; docs/demo.md, "The demo company").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Mapping

import numpy as np
import pandas as pd

from analytics.common.errors import DemoConfigError
from analytics.common.policy import DAYS_PER_MONTH, DAYS_PER_YEAR
from analytics.intake.demo import (
    AGE_AT_HIRE, AGE_RANGE, DEPARTMENT_SHARE, EXPERIENCED_HIRE_SHARE, GENDER_SHARE, HIRING_GROWTH_PER_YEAR,
    INVOLUNTARY_LOG_HR_JOB_LEVEL, INVOLUNTARY_LOG_HR_PER_RATING_POINT, JOB_LEVEL_SHARE, LOCATION_SHARE,
    MEETINGS_PER_MONTH, MENTORING_LOG_RATE, MENTORING_MIN_DAYS_AFTER_HIRE, PERFORMANCE_SHARE, PLANNED_DURATION_DAYS,
    PROGRAM_SHARE, REFERENCE_RATING, REFERENCE_SALARY, RETIREMENT_AGE, RETIREMENT_RATE_PER_YEAR,
    SALARY_BY_LEVEL, SALARY_DEPARTMENT_FACTOR, SALARY_LOCATION_FACTOR, SALARY_LOG_SD,
    SALARY_PER_PERFORMANCE_POINT, SECOND_MENTORSHIP_GAP_DAYS, VOLUNTARY_LOG_HR, VOLUNTARY_LOG_HR_PER_LOG_SALARY,
    DemoConfig, FrozenMap, config_dict, day_dates, mentorship_frame,
)
from analytics.intake.schema import EMPLOYEES, GENERATIONS, JOB_HISTORY, PROGRAM_TYPES

# --- What changes -------------------------------------------------------------------------------------------------
REVIEW_MONTH_DAY = (4, 1)       # one company review a year, on 1 April, for everyone employed then
REVIEW_MIN_TENURE_DAYS = 90     # people hired less than 90 days before a review keep their hiring rating
# Promotion: a hazard per year of moving up one level at rating 3, times exp(0.3 per rating point); L5 is the top.
PROMOTION_RATE_PER_YEAR = {"L1": 0.22, "L2": 0.16, "L3": 0.10, "L4": 0.06}
PROMOTION_LOG_HR_PER_RATING_POINT = 0.30
# Pay at a review: log salary rises by max(0, 2% + 1% per rating point above 3); a promotion multiplies it by the
# ratio of the two levels' median salaries (SALARY_BY_LEVEL). Salaries are rounded to 100; the hazard uses them.
PAY_RISE_AT_RATING_3 = 0.02
PAY_RISE_PER_RATING_POINT = 0.01
MAX_PROMOTIONS = len(JOB_LEVEL_SHARE) - 1

_RATINGS = np.array(list(PERFORMANCE_SHARE), dtype=np.int64)


def rating_transition(move: float) -> np.ndarray:
    """The yearly review's Markov step between ratings 1-5 (rows: from, columns: to). A rating moves at most one
    point: up or down proposed with chance move/2 each and accepted with min(1, share(to) / share(from)), so the
    company's rating shares stay PERFORMANCE_SHARE exactly (detailed balance) and a smaller `move` keeps people
    on their rating longer."""
    pi = np.array(list(PERFORMANCE_SHARE.values()), dtype=float)
    pi = pi / pi.sum()
    k = pi.size
    p = np.zeros((k, k))
    for i in range(k):
        for j in (i - 1, i + 1):
            if 0 <= j < k:
                p[i, j] = move / 2 * min(1.0, pi[j] / pi[i])
        p[i, i] = 1.0 - p[i].sum()
    return p


def rating_lag1_correlation(transition: np.ndarray) -> float:
    """The correlation of a person's rating with their rating a review later, in the stationary chain."""
    pi = np.array(list(PERFORMANCE_SHARE.values()), dtype=float)
    pi = pi / pi.sum()
    r = _RATINGS.astype(float)
    mean = (pi * r).sum()
    var = (pi * (r - mean) ** 2).sum()
    cross = (pi[:, None] * transition * np.outer(r, r)).sum()
    return float((cross - mean ** 2) / var)


@dataclass(frozen=True)
class ChangingConfig:
    """Knobs of the company whose characteristics change. The hazard ratios are the truth to recover."""

    n_employees: int = 20000
    seed: int = 20240601
    start: date = date(2017, 1, 1)
    as_of: date = date(2024, 12, 31)
    direct_hr_while_mentored: float = 1.0   # voluntary-exit factor from a mentorship's start to its end
    direct_hr_after_end: float = 1.0        # ... after it ends (until a second one starts)
    promotion_hr_if_mentored: float = 1.5   # promotion hazard factor from the first mentorship's start onward
    rating_move: float = 1.0                # the review's chance scale of a rating moving (rating_transition)
    uptake_rate_per_year: float = 0.05      # first-mentorship hazard for the reference person (rating 3, L1, ...)
    uptake_log_hr_per_rating_point: float = 2.0  # mentoring goes to the currently well rated
    # the current rating's log hazard ratio on voluntary exit: stronger than the demo's snapshot -0.25, as a
    # rating that is current says more about who is about to leave
    voluntary_log_hr_per_rating_point: float = -0.50
    uptake_confounding: float = 1.0         # scales the demo's uptake parts (department, current level, generation)
    programme_launch: date | None = None    # None: 90 days after start, as the demo
    voluntary_base: float = 0.20
    weibull_shape: float = 0.80
    involuntary_rate: float = 0.035
    second_mentorship_share: float = 0.20   # share of mentees offered a second mentorship after the first ends
    # a programme type's own factor on both direct factors, while its mentorship lasts and after it ends (1 where
    # not given): programmes with known effects of their own
    programme_hr: Mapping[str, float] = field(default_factory=dict)
    # share of traditional mentorships whose mentor is the mentee's line manager (when the manager is senior to
    # the mentee on the start day); who the mentor is changes nothing in the hazards
    manager_mentor_share: float = 0.0
    # True: an internal mentor is employed past the relationship's end (so none ends because a mentor leaves; it
    # also makes a mentor's own stay look longer, as they were chosen for it); False: employed on the start day, and
    # the relationship runs on when the mentor leaves (the mentee is handed over; the record keeps the first mentor)
    mentor_employed_until_end: bool = True

    def __post_init__(self) -> None:
        # the organisation's own checks are the demo's
        DemoConfig(n_employees=self.n_employees, seed=self.seed, start=self.start, as_of=self.as_of,
                   programme_launch=self.programme_launch, voluntary_base=self.voluntary_base,
                   weibull_shape=self.weibull_shape, involuntary_rate=self.involuntary_rate,
                   second_mentorship_share=self.second_mentorship_share)
        if self.programme_launch is None:
            object.__setattr__(self, "programme_launch", self.start + timedelta(days=90))
        for name in ("direct_hr_while_mentored", "direct_hr_after_end", "promotion_hr_if_mentored",
                     "uptake_rate_per_year"):
            value = float(getattr(self, name))
            if not (math.isfinite(value) and value > 0):
                raise DemoConfigError(f"{name} must be a positive finite number, but was {value!r}")
        if not 0 < self.rating_move <= 1:
            raise DemoConfigError(f"rating_move must be in (0, 1], but was {self.rating_move!r}")
        for name in ("uptake_log_hr_per_rating_point", "uptake_confounding", "voluntary_log_hr_per_rating_point"):
            if not math.isfinite(getattr(self, name)):
                raise DemoConfigError(f"{name} must be a finite number, but was {getattr(self, name)!r}")
        factors = {k: float(v) for k, v in self.programme_hr.items()}
        if set(factors) - set(PROGRAM_TYPES) or not all(math.isfinite(v) and v > 0 for v in factors.values()):
            raise DemoConfigError(f"programme_hr must map programme types {PROGRAM_TYPES} to positive numbers, "
                                  f"but was {factors!r}")
        object.__setattr__(self, "programme_hr", FrozenMap(factors))
        if not 0 <= self.manager_mentor_share <= 1:
            raise DemoConfigError(f"manager_mentor_share must be in [0, 1], but was {self.manager_mentor_share!r}")

    def as_dict(self) -> dict[str, Any]:
        return config_dict(self)

    def programme_factors(self) -> np.ndarray:
        """Each programme type's factor on the direct effect, in PROGRAM_TYPES order (1 where not given)."""
        return np.array([self.programme_hr.get(t, 1.0) for t in PROGRAM_TYPES])


@dataclass(frozen=True)
class ChangingData:
    employees: pd.DataFrame    # the contract's employees columns: each person's values at exit or at as_of
    mentorships: pd.DataFrame  # the contract's mentorships columns, with end dates
    job_history: pd.DataFrame  # the contract's job_history columns: hire, reviews, promotions (NULL: unchanged)
    truth: dict                # JSON-serialisable: the config, every true coefficient, the effects with and without
    outcomes: pd.DataFrame     # per person, both worlds: first start, exit day and reason with and without mentoring


# --- The demo company (python -m analytics demo; docs/demo.md, "The demo company") ------------------------------
DEMO_SEED = 20240601
DEMO_EMPLOYEES = 5000
# mentoring cuts voluntary exit directly while it lasts and, less, after it ends, and speeds promotion
DEMO_DIRECT_HR_WHILE_MENTORED = 0.70
DEMO_DIRECT_HR_AFTER_END = 0.85
DEMO_PROMOTION_HR_IF_MENTORED = 1.5
# the programmes' own factors on both (their mean over the programmes' shares is about 1): traditional helps most
DEMO_PROGRAMME_HR = {"traditional": 0.90, "reverse": 1.05, "lateral": 1.05, "group": 1.10, "external": 1.10}
DEMO_MANAGER_MENTOR_SHARE = 0.25


def demo_config(n_employees: int = DEMO_EMPLOYEES, seed: int | None = None) -> ChangingConfig:
    """The demo company: the changing company with mentoring's effects switched on (the rest is the default)."""
    return ChangingConfig(n_employees=n_employees, seed=DEMO_SEED if seed is None else seed,
                          direct_hr_while_mentored=DEMO_DIRECT_HR_WHILE_MENTORED,
                          direct_hr_after_end=DEMO_DIRECT_HR_AFTER_END,
                          promotion_hr_if_mentored=DEMO_PROMOTION_HR_IF_MENTORED, programme_hr=DEMO_PROGRAMME_HR,
                          manager_mentor_share=DEMO_MANAGER_MENTOR_SHARE, mentor_employed_until_end=False)


def generate_changing(config: ChangingConfig = ChangingConfig()) -> ChangingData:
    """Simulate the company in `config`, with mentoring and without it; the same config gives identical frames."""
    return _Changing(config).run()


# --- implementation -----------------------------------------------------------------------------------------------

def _codes(rng: np.random.Generator, shares: Mapping, n: int) -> np.ndarray:
    p = np.array(list(shares.values()), dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _table(table: Mapping[str, float], codes: np.ndarray) -> np.ndarray:
    return np.array(list(table.values()), dtype=float)[codes]


_VOL, _INV, _RET = 0, 1, 2
_REASONS = np.array(["voluntary", "involuntary", "retirement"], dtype=object)


@dataclass
class _World:
    """One run of the company: every person's path, with or without mentoring."""

    exit_time: np.ndarray     # continuous days since hire of the first exit (inf: none before as_of)
    exit_cause: np.ndarray    # _VOL, _INV, _RET (-1: none)
    level: np.ndarray         # at exit or as_of
    rating: np.ndarray
    salary: np.ndarray
    starts: list              # (person, start day, planned end day, which: 1 or 2)
    rows: list                # history rows: (person, day, level or -1, rating or -1, salary or nan, promoted)
    first_start: np.ndarray   # day since hire of the first mentorship start (inf: none)


class _Changing:
    def __init__(self, cfg: ChangingConfig):
        self.cfg = cfg
        streams = np.random.SeedSequence([cfg.seed, 2]).spawn(10)  # a child's numbers do not depend on the count
        (self.rng_org, self.rng_exit, self.rng_rating, self.rng_promotion, self.rng_uptake, self.rng_programme,
         self.rng_manager, self.rng_mentor, self.rng_detail, self.rng_manager_mentor) = map(np.random.default_rng,
                                                                                             streams)
        self.n = cfg.n_employees
        self.horizon = (cfg.as_of - cfg.start).days

    # -- the people, and every random number both worlds share --
    def build(self) -> None:
        rng, n, cfg = self.rng_org, self.n, self.cfg
        g = HIRING_GROWTH_PER_YEAR / DAYS_PER_YEAR
        days = np.log1p(rng.random(n) * np.expm1(g * (self.horizon + 1))) / g
        hire = np.minimum(np.floor(days), self.horizon)
        weekday = (pd.Timestamp(cfg.start).dayofweek + hire) % 7
        shift = np.where(weekday == 5, 2, np.where(weekday == 6, 1, 0))
        hire = np.where(hire + shift <= self.horizon, hire + shift, hire - (weekday - 4) * (shift > 0))
        self.hire = np.sort(hire).astype(np.int64)
        self.dept = _codes(rng, DEPARTMENT_SHARE, n)
        self.level0 = _codes(rng, JOB_LEVEL_SHARE, n)
        self.loc = _codes(rng, LOCATION_SHARE, n)
        self.gender = _codes(rng, GENDER_SHARE, n)
        self.rating0 = _RATINGS[_codes(rng, PERFORMANCE_SHARE, n)]
        mean, sd = (np.array([AGE_AT_HIRE[k][i] for k in JOB_LEVEL_SHARE])[self.level0] for i in (0, 1))
        age = mean + sd * rng.standard_normal(n)
        age = np.where(rng.random(n) < EXPERIENCED_HIRE_SHARE, rng.uniform(22.0, AGE_RANGE[1], n), age)
        self.age_at_hire = np.clip(age, *AGE_RANGE)
        year_frac = cfg.start.year + (pd.Timestamp(cfg.start).dayofyear - 1 + self.hire) / DAYS_PER_YEAR
        self.birth_year = np.floor(year_frac - self.age_at_hire).astype(np.int64)
        upper = np.array([hi for _, _, hi in GENERATIONS])
        self.generation = np.searchsorted(upper, self.birth_year, side="left")
        self.log_salary0 = (np.log(_table(SALARY_BY_LEVEL, self.level0) * _table(SALARY_DEPARTMENT_FACTOR, self.dept)
                                   * _table(SALARY_LOCATION_FACTOR, self.loc))
                            + SALARY_PER_PERFORMANCE_POINT * (self.rating0 - REFERENCE_RATING)
                            + SALARY_LOG_SD * rng.standard_normal(n))
        self.follow = (self.horizon - self.hire).astype(float)
        # the yearly reviews (calendar day offsets) and each person's first one
        first_year = cfg.start.year
        reviews = [(date(y, *REVIEW_MONTH_DAY) - cfg.start).days for y in range(first_year, cfg.as_of.year + 1)]
        self.reviews = np.array([d for d in reviews if 0 < d <= self.horizon] + [np.iinfo(np.int64).max // 4])
        self.first_review = np.searchsorted(self.reviews, self.hire + REVIEW_MIN_TENURE_DAYS, side="left")
        # fixed parts of the hazards
        self.eta_fixed = (_table(VOLUNTARY_LOG_HR["department"], self.dept)
                          + _table(VOLUNTARY_LOG_HR["generation"], self.generation)
                          + _table(VOLUNTARY_LOG_HR["location"], self.loc)
                          + _table(VOLUNTARY_LOG_HR["gender"], self.gender))
        self.uptake_fixed = cfg.uptake_confounding * (_table(MENTORING_LOG_RATE["department"], self.dept)
                                                      + _table(MENTORING_LOG_RATE["generation"], self.generation))
        launch = (cfg.programme_launch - cfg.start).days
        self.eligible = np.maximum(MENTORING_MIN_DAYS_AFTER_HIRE, launch - self.hire).astype(float)
        # the shared random numbers: one unit exponential per cause (a fresh one after each promotion), a uniform
        # per person and review for the rating step
        self.e_vol = self.rng_exit.standard_exponential(n)
        self.e_inv = self.rng_exit.standard_exponential(n)
        to_62 = np.maximum(RETIREMENT_AGE - self.age_at_hire, 0.0) * DAYS_PER_YEAR
        self.t_ret = to_62 + self.rng_exit.standard_exponential(n) * DAYS_PER_YEAR / RETIREMENT_RATE_PER_YEAR
        self.u_rating = self.rng_rating.random((n, self.reviews.size))
        self.e_promotion = self.rng_promotion.standard_exponential((n, MAX_PROMOTIONS + 1))
        self.e_uptake = self.rng_uptake.standard_exponential(n)
        rng = self.rng_programme
        names = list(PROGRAM_SHARE)
        share = np.array(list(PROGRAM_SHARE.values()))
        self.programme = np.array([PROGRAM_TYPES.index(k) for k in names])[
            np.stack([rng.choice(len(names), size=n, p=share / share.sum()) for _ in range(2)])]
        lo = np.array([PLANNED_DURATION_DAYS[t][0] for t in PROGRAM_TYPES])[self.programme]
        hi = np.array([PLANNED_DURATION_DAYS[t][1] for t in PROGRAM_TYPES])[self.programme]
        self.duration = lo + np.floor(rng.random((2, n)) * (hi - lo + 1)).astype(np.int64)
        self.second_offered = rng.random(n) < cfg.second_mentorship_share
        self.second_gap = np.ceil(SECOND_MENTORSHIP_GAP_DAYS[0]
                                  + rng.standard_exponential(n) * SECOND_MENTORSHIP_GAP_DAYS[1])
        self.transition = rating_transition(cfg.rating_move)

    # -- one world: event by event, every person at once --
    def simulate(self, mentoring: bool) -> _World:
        cfg, n = self.cfg, self.n
        top = len(JOB_LEVEL_SHARE) - 1
        vol_level = np.array(list(VOLUNTARY_LOG_HR["job_level"].values()))
        inv_level = np.array(list(INVOLUNTARY_LOG_HR_JOB_LEVEL.values()))
        upt_level = cfg.uptake_confounding * np.array(list(MENTORING_LOG_RATE["job_level"].values()))
        prom_rate = np.array([PROMOTION_RATE_PER_YEAR.get(k, 0.0) for k in JOB_LEVEL_SHARE]) / DAYS_PER_YEAR
        level_log_pay = np.log(np.array(list(SALARY_BY_LEVEL.values())))
        cum_p = np.cumsum(self.transition, axis=1)
        shape = cfg.weibull_shape
        programme_factor = cfg.programme_factors()

        t = np.zeros(n)
        level, rating, log_sal = self.level0.copy(), self.rating0.copy(), self.log_salary0.copy()
        salary = np.round(np.exp(log_sal), -2)
        e_vol, e_inv, e_upt = self.e_vol.copy(), self.e_inv.copy(), self.e_uptake.copy()
        n_prom = np.zeros(n, dtype=np.int64)
        e_prom = self.e_promotion[:, 0].copy()
        review_j = self.first_review.copy()
        phase = np.zeros(n, dtype=np.int64)        # 0: never mentored, 1: in a mentorship, 2: after it
        n_ment = np.zeros(n, dtype=np.int64)
        end = np.full(n, np.inf)                  # the current mentorship's planned end day
        pending_start = np.full(n, np.inf)        # the day a triggered first mentorship starts
        second_start = np.full(n, np.inf)
        pending_prom = np.full(n, np.inf)
        uptake_open = np.full(n, mentoring)
        first_start = np.full(n, np.inf)
        exit_time, exit_cause = np.full(n, np.inf), np.full(n, -1)
        starts: list = []
        rows: list = [(np.arange(n), np.zeros(n), level.copy(), rating.copy(), salary.copy(), np.zeros(n, bool))]
        active = np.arange(n)
        while active.size:
            a = active
            ta = t[a]
            review_t = self.reviews[review_j[a]] - self.hire[a]
            elig = np.where(uptake_open[a] & (ta < self.eligible[a]), self.eligible[a], np.inf)
            piece_end = np.minimum.reduce([review_t, np.where(phase[a] == 1, end[a], np.inf), pending_start[a],
                                           second_start[a], pending_prom[a], elig, self.follow[a]])
            # the hazards over this piece (constant factors; the voluntary baseline is Weibull)
            phi = np.where(phase[a] == 1, cfg.direct_hr_while_mentored,
                           np.where(phase[a] == 2, cfg.direct_hr_after_end, 1.0))
            if cfg.programme_hr:  # the programme of the mentorship under way, or of the one that ended last
                phi = phi * np.where(phase[a] > 0, programme_factor[
                    self.programme[np.maximum(n_ment[a] - 1, 0), a]], 1.0)
            lv, rt = level[a], rating[a] - REFERENCE_RATING
            m_vol = cfg.voluntary_base * phi * np.exp(
                self.eta_fixed[a] + vol_level[lv] + cfg.voluntary_log_hr_per_rating_point * rt
                + VOLUNTARY_LOG_HR_PER_LOG_SALARY * np.log(salary[a] / REFERENCE_SALARY))
            r_inv = cfg.involuntary_rate / DAYS_PER_YEAR * np.exp(INVOLUNTARY_LOG_HR_PER_RATING_POINT * rt
                                                                  + inv_level[lv])
            was_mentored = np.isfinite(first_start[a])
            r_prom = np.where(np.isfinite(pending_prom[a]), 0.0, prom_rate[lv] * np.exp(
                PROMOTION_LOG_HR_PER_RATING_POINT * rt) * np.where(was_mentored, cfg.promotion_hr_if_mentored, 1.0))
            r_upt = np.where(uptake_open[a] & (ta >= self.eligible[a]) & ~np.isfinite(pending_start[a]),
                             cfg.uptake_rate_per_year / DAYS_PER_YEAR * np.exp(
                                 self.uptake_fixed[a] + upt_level[lv] + cfg.uptake_log_hr_per_rating_point * rt), 0.0)
            h0 = (ta / DAYS_PER_YEAR) ** shape
            with np.errstate(divide="ignore"):
                t_vol = DAYS_PER_YEAR * (h0 + e_vol[a] / m_vol) ** (1.0 / shape)
                t_inv = ta + e_inv[a] / r_inv
                t_prom = np.where(r_prom > 0, ta + e_prom[a] / np.where(r_prom > 0, r_prom, 1.0), np.inf)
                t_upt = np.where(r_upt > 0, ta + e_upt[a] / np.where(r_upt > 0, r_upt, 1.0), np.inf)
            t_ret = self.t_ret[a]
            t_exit = np.minimum.reduce([t_vol, t_inv, t_ret])
            until = np.minimum.reduce([piece_end, t_exit, t_prom, t_upt])
            # spend each cause's exponential up to `until`
            e_vol[a] -= m_vol * ((until / DAYS_PER_YEAR) ** shape - h0)
            e_inv[a] -= r_inv * (until - ta)
            e_prom[a] -= r_prom * (until - ta)
            e_upt[a] -= r_upt * (until - ta)
            t[a] = until
            # exits (at their continuous time; before as_of only)
            leave = (t_exit <= until) & (t_exit < self.follow[a])
            who = a[leave]
            exit_time[who] = t_exit[leave]
            exit_cause[who] = np.where(t_vol[leave] <= np.minimum(t_inv[leave], t_ret[leave]), _VOL,
                                       np.where(t_inv[leave] <= t_ret[leave], _INV, _RET))
            # a promotion or a first mentorship triggered: it takes effect on the next whole day
            hit = ~leave & (t_prom <= until) & (r_prom > 0)
            pending_prom[a[hit]] = np.ceil(t_prom[hit])
            hit = ~leave & (t_upt <= until) & (r_upt > 0)
            pending_start[a[hit]] = np.ceil(t_upt[hit])
            uptake_open[a[hit]] = False
            # whatever is due on this day
            day = ~leave & (until == piece_end)
            d = a[day]
            td = t[d]
            prom = pending_prom[d] == td
            rev = review_t[day] == td
            if prom.any():
                p = d[prom]
                log_sal[p] += level_log_pay[level[p] + 1] - level_log_pay[level[p]]
                level[p] += 1
                n_prom[p] += 1
                e_prom[p] = self.e_promotion[p, n_prom[p]]
                pending_prom[p] = np.inf
            if rev.any():
                r = d[rev]
                u = self.u_rating[r, review_j[r]]
                rating[r] = _RATINGS[(u[:, None] > cum_p[rating[r] - 1]).sum(axis=1).clip(max=_RATINGS.size - 1)]
                log_sal[r] += np.maximum(0.0, PAY_RISE_AT_RATING_3 + PAY_RISE_PER_RATING_POINT
                                         * (rating[r] - REFERENCE_RATING))
                review_j[r] += 1
            changed = prom | rev
            if changed.any():
                c = d[changed]
                new_salary = np.round(np.exp(log_sal[c]), -2)
                pay = new_salary != salary[c]
                salary[c] = new_salary
                rows.append((c, td[changed], np.where(prom[changed], level[c], -1),
                             np.where(rev[changed], rating[c], -1), np.where(pay | prom[changed], new_salary, np.nan),
                             prom[changed]))
            ended = (phase[d] == 1) & (end[d] == td)
            phase[d[ended]] = 2
            begin1 = pending_start[d] == td
            begin2 = second_start[d] == td
            for which, begin in ((1, begin1), (2, begin2)):
                if begin.any():
                    s = d[begin]
                    phase[s] = 1
                    n_ment[s] = which
                    end[s] = td[begin] + self.duration[which - 1, s]
                    starts.append((s, td[begin], end[s].copy(), np.full(s.size, which)))
                    if which == 1:
                        first_start[s] = td[begin]
                        pending_start[s] = np.inf
                        second_start[s] = np.where(self.second_offered[s], end[s] + self.second_gap[s], np.inf)
                    else:
                        second_start[s] = np.inf
            active = a[~leave & (t[a] < self.follow[a])]
        return _World(exit_time, exit_cause, level, rating, salary, starts, rows, first_start)

    # -- the frames an HR system would export --
    def _dates(self, day: np.ndarray) -> pd.Series:
        return day_dates(self.cfg.start, day)

    def _term_day(self, w: _World) -> np.ndarray:
        """Day offset (from start) of each exit, or +inf."""
        return np.where(np.isfinite(w.exit_time), self.hire + np.ceil(w.exit_time), np.inf)

    def _managers(self, term: np.ndarray) -> np.ndarray:
        """A manager at hire: someone in the same department, at a higher level on the hire day, hired before and
        employed until the person's own exit or as_of (so the export still names them); -1 if nobody fits."""
        rng, n = self.rng_manager, self.n
        manager = np.full(n, -1, dtype=np.int64)
        last = np.minimum(term, self.horizon)
        order = np.lexsort((self.hire, self.dept))
        for dept in range(len(DEPARTMENT_SHARE)):
            pool = order[self.dept[order] == dept]
            hires = self.hire[pool]
            rows = np.flatnonzero(self.dept == dept)
            limit = np.searchsorted(hires, self.hire[rows], side="left")  # hired strictly before
            todo = np.flatnonzero(limit > 0)
            for _ in range(40):
                if todo.size == 0:
                    break
                cand = pool[(rng.random(todo.size) * limit[todo]).astype(np.int64)]
                me = rows[todo]
                ok = (self._level_at(cand, self.hire[me]) > self._level_at(me, self.hire[me])) & (term[cand] > last[me])
                manager[me[ok]] = cand[ok]
                todo = todo[~ok]
        return manager

    def _level_at(self, who: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Each person's level on a calendar day offset (their promotions up to and including that day)."""
        days = self.promotion_days[who] + self.hire[who, None]
        return self.level0[who] + (days <= np.asarray(day)[:, None]).sum(axis=1)

    def _mentors(self, mentee: np.ndarray, start: np.ndarray, stop: np.ndarray, programme: np.ndarray,
                 term: np.ndarray, manager: np.ndarray) -> np.ndarray:
        """An internal mentor hired before the start and employed past the relationship's end (so no relationship
        ends because a mentor leaves; with `mentor_employed_until_end` off, employed on the start day), at a higher
        level on the start day for a traditional programme, at least the mentee's level otherwise, not the mentee
        and not their manager (but see `manager_mentor_share`); -1 for external or nobody fits."""
        rng = self.rng_mentor
        stop = stop if self.cfg.mentor_employed_until_end else start
        mentor = np.full(mentee.size, -1, dtype=np.int64)
        limit = np.searchsorted(self.hire, start, side="left")
        trad = programme == PROGRAM_TYPES.index("traditional")
        need = self._level_at(mentee, start) + trad
        todo = np.flatnonzero((programme != PROGRAM_TYPES.index("external")) & (limit > 0))
        top = len(JOB_LEVEL_SHARE) - 1
        if self.cfg.manager_mentor_share > 0:  # the line manager, when senior on the start day and there to the end
            boss = manager[mentee]
            asked = trad & (self.rng_manager_mentor.random(mentee.size) < self.cfg.manager_mentor_share)
            can = asked & (boss >= 0)
            can[can] = ((self._level_at(boss[can], start[can]) > self._level_at(mentee[can], start[can]))
                        & (term[boss[can]] > stop[can]))
            mentor[can] = boss[can]
            todo = todo[~can[todo]]
        for _ in range(80):
            if todo.size == 0:
                break
            cand = (rng.random(todo.size) * limit[todo]).astype(np.int64)
            ok = ((term[cand] > stop[todo]) & (cand != mentee[todo]) & (cand != manager[mentee[todo]])
                  & (self._level_at(cand, start[todo]) >= np.minimum(need[todo], top)))
            mentor[todo[ok]] = cand[ok]
            todo = todo[~ok]
        return mentor

    def run(self) -> ChangingData:
        self.build()
        world = self.simulate(mentoring=True)
        without = self.simulate(mentoring=False)
        ids = np.array([f"E{i:06d}" for i in range(1, self.n + 1)], dtype=object)
        # each person's promotion days (since hire), for levels on any day
        rows = world.rows
        person = np.concatenate([r[0] for r in rows])
        day = np.concatenate([r[1] for r in rows])
        promoted = np.concatenate([r[5] for r in rows])
        self.promotion_days = np.full((self.n, MAX_PROMOTIONS), np.inf)
        pp, pd_ = person[promoted], day[promoted]
        o = np.lexsort((pd_, pp))
        pp, pd_ = pp[o], pd_[o]
        rank = np.arange(pp.size) - np.searchsorted(pp, pp, side="left")
        self.promotion_days[pp, rank] = pd_
        term = self._term_day(world)
        manager = self._managers(term)
        employees = self._employee_frame(world, ids, manager, term)
        mentorships = self._mentorship_frame(world, ids, term, manager)
        history = self._history_frame(world, ids, manager, person, day)
        outcomes = pd.DataFrame({
            "employee_id": ids, "first_start_day": world.first_start,
            "exit_time": world.exit_time, "exit_cause": world.exit_cause,
            "exit_time_without": without.exit_time, "exit_cause_without": without.exit_cause,
            "level_without": without.level, "level": world.level,
        })
        return ChangingData(employees, mentorships, history, self.truth(world, without, employees), outcomes)

    def _employee_frame(self, w: _World, ids: np.ndarray, manager: np.ndarray, term: np.ndarray) -> pd.DataFrame:
        left = np.isfinite(term)
        frame = pd.DataFrame({
            "employee_id": ids,
            "hire_date": self._dates(self.hire),
            "termination_date": self._dates(term),
            "termination_reason": np.where(left, _REASONS[np.maximum(w.exit_cause, 0)], None),
            "department": np.array(list(DEPARTMENT_SHARE), dtype=object)[self.dept],
            "job_level": np.array(list(JOB_LEVEL_SHARE), dtype=object)[w.level],
            "location": np.array(list(LOCATION_SHARE), dtype=object)[self.loc],
            "gender": np.array(list(GENDER_SHARE), dtype=object)[self.gender],
            "birth_year": self.birth_year,
            "manager_id": np.where(manager >= 0, ids[np.maximum(manager, 0)], None),
            "salary": w.salary.astype(float),
            "performance_rating": w.rating.astype(np.int64),
            "regrettable": pd.NA,  # no flag: regrettable exits are read from the top rating
        })
        frame["regrettable"] = frame["regrettable"].astype("boolean")
        return frame[EMPLOYEES.names]

    def _mentorship_frame(self, w: _World, ids: np.ndarray, term: np.ndarray, manager: np.ndarray) -> pd.DataFrame:
        if w.starts:
            mentee = np.concatenate([s[0] for s in w.starts])
            start = np.concatenate([s[1] for s in w.starts]) + self.hire[mentee]
            planned = np.concatenate([s[2] for s in w.starts]) + self.hire[mentee]
            which = np.concatenate([s[3] for s in w.starts])
        else:
            mentee = np.zeros(0, dtype=np.int64)
            start = planned = np.zeros(0)
            which = np.zeros(0, dtype=np.int64)
        stop = np.minimum(planned, term[mentee])  # a relationship ends when the mentee leaves
        programme = self.programme[which - 1, mentee]
        mentor = self._mentors(mentee, start, stop, programme, term, manager)
        months = (np.minimum(stop, self.horizon) - start) / DAYS_PER_MONTH
        meetings = self.rng_detail.poisson(MEETINGS_PER_MONTH * months)
        return mentorship_frame(ids, mentee, mentor, programme, self._dates(start),
                                self._dates(np.where(stop <= self.horizon, stop, np.nan)), meetings)

    def _history_frame(self, w: _World, ids: np.ndarray, manager: np.ndarray, person: np.ndarray,
                       day: np.ndarray) -> pd.DataFrame:
        rows = w.rows
        level = np.concatenate([r[2] for r in rows])
        rating = np.concatenate([r[3] for r in rows])
        salary = np.concatenate([r[4] for r in rows])
        promoted = np.concatenate([r[5] for r in rows])
        hire_row = np.zeros(person.size, dtype=bool)
        hire_row[: self.n] = True
        # a row on the exit day itself is not kept (its change came after the exit)
        term_since_hire = np.ceil(w.exit_time[person])
        keep = hire_row | (day < term_since_hire)
        person, day, level, rating, salary, promoted, hire_row = (
            x[keep] for x in (person, day, level, rating, salary, promoted, hire_row))
        reason = np.where(hire_row, "hire", np.where(promoted, "promotion",
                                                     np.where(np.isfinite(salary), "pay_change", "rating")))
        levels = np.array(list(JOB_LEVEL_SHARE) + [None], dtype=object)
        frame = pd.DataFrame({
            "employee_id": ids[person],
            "effective_date": self._dates(self.hire[person] + day),
            "job_level": levels[np.where(level >= 0, level, -1)],
            "department": np.where(hire_row, np.array(list(DEPARTMENT_SHARE), dtype=object)[self.dept[person]], None),
            "location": np.where(hire_row, np.array(list(LOCATION_SHARE), dtype=object)[self.loc[person]], None),
            "manager_id": np.where(hire_row & (manager[person] >= 0), ids[np.maximum(manager[person], 0)], None),
            "salary": salary.astype(float),
            "performance_rating": pd.array(np.where(rating >= 0, rating, 0), dtype="Int64"),
            "change_reason": reason.astype(object),
        })
        frame.loc[rating < 0, "performance_rating"] = pd.NA
        frame = frame.sort_values(["employee_id", "effective_date"], kind="stable", ignore_index=True)
        return frame[JOB_HISTORY.names]

    def truth(self, w: _World, without: _World, employees: pd.DataFrame) -> dict:
        cfg = self.cfg
        mentored = np.isfinite(w.first_start)
        s = w.first_start
        # the total effect: a voluntary exit within a year of the first start, with and without mentoring, for the
        # mentored whose year ends before as_of (both worlds are identical up to the start)
        full = mentored & (s + DAYS_PER_YEAR <= self.follow)

        def risk(x: _World) -> float | None:
            hit = (x.exit_cause == _VOL) & (x.exit_time > s) & (x.exit_time <= s + DAYS_PER_YEAR)
            return float(hit[full].mean()) if full.any() else None

        with_, without_ = risk(w), risk(without)
        factor = cfg.programme_factors()

        def mix(direct: float) -> float | None:
            first = np.log(direct * factor[self.programme[0, mentored]])
            return float(np.exp(first.mean())) if first.size else None
        reason = employees["termination_reason"]
        exposure = np.minimum(np.where(np.isfinite(w.exit_time), w.exit_time, np.inf), self.follow).sum() / DAYS_PER_YEAR
        return {
            "config": cfg.as_dict(),
            "time_unit": "days since hire; every change takes effect on a whole day; dates are datetime64[ns]",
            "voluntary": {
                "model": "Cox on days since hire: h(t) = h0(t) * exp(fixed + level(t) + rating(t) + log salary(t)) "
                         "* mentoring factor(t), all piecewise constant between changes",
                "baseline": {"form": "Weibull", "cumulative_hazard": "voluntary_base * (t / days per year) ** weibull_shape",
                             "voluntary_base": cfg.voluntary_base, "weibull_shape": cfg.weibull_shape},
                "log_hazard_ratio": {k: dict(v) for k, v in VOLUNTARY_LOG_HR.items()},
                "log_hazard_ratio_per_rating_point": cfg.voluntary_log_hr_per_rating_point,
                "log_hazard_ratio_per_log_salary": VOLUNTARY_LOG_HR_PER_LOG_SALARY,
                "reference": {"performance_rating": REFERENCE_RATING, "salary": REFERENCE_SALARY},
                "time_varying": ["job_level", "performance_rating", "salary", "mentoring"],
            },
            "mentoring_effect": {
                "direct_hr_while_mentored": cfg.direct_hr_while_mentored,
                "direct_hr_after_end": cfg.direct_hr_after_end,
                "promotion_hr_if_mentored": cfg.promotion_hr_if_mentored,
                "while": "from a mentorship's start_date to its end_date (either mentorship)",
                "after": "after a mentorship's end_date, until a second one starts",
                "promotion_factor_applies": "from the first mentorship's start onward",
                "programme_hr": dict(zip(PROGRAM_TYPES, factor.tolist())),
                "programme_factor_applies": "to both direct factors: the programme of the mentorship under way, or "
                                            "of the one that ended last",
                "direct_hr_while_by_programme": dict(zip(PROGRAM_TYPES, (cfg.direct_hr_while_mentored
                                                                         * factor).tolist())),
                "direct_hr_after_by_programme": dict(zip(PROGRAM_TYPES, (cfg.direct_hr_after_end * factor).tolist())),
                "realised_mix_while": mix(cfg.direct_hr_while_mentored),
                "realised_mix_after": mix(cfg.direct_hr_after_end),
                "realised_mix_applies": "the geometric mean over the mentored of the factor of their first "
                                        "mentorship's programme",
                "manager_mentor_share": cfg.manager_mentor_share,
                "manager_mentor_hr": 1.0,
                "affects_involuntary_or_retirement": False,
                "total_effect_1y": {
                    "what": "voluntary exit within a year (DAYS_PER_YEAR days) of the first mentorship start, for the mentored whose "
                            "year ends by as_of: with mentoring vs the same people without it (same random numbers)",
                    "n": int(full.sum()), "risk_with": with_, "risk_without": without_,
                    "risk_ratio": with_ / without_ if with_ is not None and without_ else None,
                    "risk_difference": with_ - without_ if with_ is not None else None,
                },
            },
            "changes": {
                "review": f"once a year on {date(2000, *REVIEW_MONTH_DAY).strftime('%d %B')} (month, day "
                          f"{list(REVIEW_MONTH_DAY)}), for everyone hired at least {REVIEW_MIN_TENURE_DAYS} days before",
                "rating_transition": self.transition.tolist(),
                "rating_lag1_correlation": rating_lag1_correlation(self.transition),
                "promotion_rate_per_year_at_rating_3": dict(PROMOTION_RATE_PER_YEAR),
                "promotion_log_hr_per_rating_point": PROMOTION_LOG_HR_PER_RATING_POINT,
                "pay_rise_at_review": f"log salary + max(0, {PAY_RISE_AT_RATING_3} + {PAY_RISE_PER_RATING_POINT} "
                                      "* (rating - 3))",
                "pay_at_promotion": "times the ratio of the two levels' SALARY_BY_LEVEL",
                "department_location_manager": "fixed from hire (no transfers)",
            },
            "mentoring_uptake": {
                "model": "first start: hazard uptake_rate_per_year * exp(uptake parts of department, generation and "
                         "current level, times uptake_confounding, + uptake_log_hr_per_rating_point * (rating(t) - 3)) "
                         "from eligibility, on the next whole day, only while employed",
                "eligible_from": f"max({MENTORING_MIN_DAYS_AFTER_HIRE} days after hire, programme_launch)",
                "log_rate_ratio": {k: dict(v) for k, v in MENTORING_LOG_RATE.items()},
                "second": "offered to second_mentorship_share of mentees, starting after the first's planned end "
                          "plus a gap; recorded only while employed and before as_of",
            },
            "involuntary": {"involuntary_rate": cfg.involuntary_rate,
                            "log_hazard_ratio_per_rating_point": INVOLUNTARY_LOG_HR_PER_RATING_POINT,
                            "log_hazard_ratio_job_level": dict(INVOLUNTARY_LOG_HR_JOB_LEVEL),
                            "on": "current rating and level"},
            "retirement": {"from_age": RETIREMENT_AGE, "rate_per_year": RETIREMENT_RATE_PER_YEAR},
            "realised": {
                "n_employees": int(self.n),
                "n_mentored": int(mentored.sum()),
                "coverage": float(mentored.mean()),
                "exits": {k: int((reason == k).sum()) for k in _REASONS},
                "exits_without_mentoring": {k: int(((without.exit_cause == i) & np.isfinite(without.exit_time)).sum())
                                            for i, k in enumerate(_REASONS)},
                "person_years": float(exposure),
                "voluntary_exits_per_person_year": float((reason == "voluntary").sum() / exposure),
                "promotions": int(np.isfinite(self.promotion_days).sum()),
                "promotions_without_mentoring": int(sum(int(r[5].sum()) for r in without.rows)),
            },
        }
