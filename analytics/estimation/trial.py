"""Like with like at the moment mentoring begins: a target trial emulated as a sequence of monthly trials
(Hernán & Robins 2016, AJE 183:758; Danaei 2013, SMMR 22:70; Keogh 2023, Stat Med 42:2191).

The trials. Each calendar month k from the programme's first month on is a trial. Eligible are the people employed on
its first day, at least TRIAL_MIN_TENURE_DAYS in post, and not yet mentored. Those whose first mentorship starts
during month k are its starters; the others are its comparisons. Month k is the grace period in which a start is
counted, so follow-up begins on the first day of month k + 1 for both (everyone in a trial is still employed then),
and runs month by month to TRIAL_HORIZONS[-1] months or the last complete month before the as-of date. Each
person's characteristics are those on the first day of month k: from the job history when one is loaded, otherwise
the employee file's (the snapshot, with its caveat).

The protocol, per person. A starter stays a starter. A comparison who starts later stops being followed in the
month they start (they are a starter in that month's trial), and those still followed are weighted by a stabilised
inverse of their chance of not having started (inverse-probability-of-censoring weights: Cole & Hernán 2008, AJE
168:656): its denominator from the starting model month by month, its numerator from the characteristics at the
trial's start and the month of follow-up.

The estimand is the effect on those who started (standardised to the starters): each comparison is weighted by the
odds of starting, p / (1 - p), from a pooled logistic model of starting in a month given the characteristics, the
time in post and the calendar year, fitted over the eligible person-months (all the starts, and the months without
one sampled at a known rate, the model's intercept corrected for it: logistic regression keeps its slopes when one
outcome is sampled). The same model gives the censoring weights' denominators. Comparisons are sampled too (each
kept with a known chance and weighted by its inverse) so that the work stays in proportion to the starters; in a
large company the people who never start while eligible are too (TRIAL_MOST_PERSON_MONTHS).

The outcome. The cumulative incidence of the event (a voluntary exit, by default) at 12, 24 and 36 months, other exits
competing (not censored): in the starters, the Aalen-Johansen estimator month by month; had they not started, each
exit's monthly hazard from a pooled logistic model over the comparisons' weighted months (on the characteristics at
the trial's start and the month of follow-up), predicted for each starter and averaged. Stabilising the weights and
modelling the hazards keeps the few comparisons who stay unstarted for years against the odds from carrying weights
in the hundreds (docs/methods.md says how far they moved the 36-month risk). The ranges are the delta method with
each cluster's contributions summed: each person's manager when the data name them (a robust variance clustered by
manager, each person nested in one), else each person (someone compared in several months and started in another is
one cluster); the weights are taken as known. The difference and the ratio follow; the negative control is the same
for involuntary exits, which mentoring should not change.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from analytics.common.errors import NotEnoughData
from analytics.common.policy import (DAYS_PER_MONTH, MIN_GROUP_SIZE, TRIAL_CONTROLS_PER_STARTER, TRIAL_HORIZONS,
                                     TRIAL_MIN_TENURE_DAYS, TRIAL_MOST_COMPARISONS, TRIAL_MOST_NONSTARTS,
                                     TRIAL_MOST_PERSON_MONTHS,
                                     TRIAL_NONSTART_SAMPLE, TRIAL_SEED, shown_total)
from analytics.estimation.results import Estimate
from analytics.store import queries, trials

Z = 1.959963984540054
CATEGORIES = ("department", "job_level", "location", "gender", "generation")
NUMBERS = ("performance_rating", "salary")
STARTER_BLOCK = 20_000  # starters standardised at a time (the memory it takes, not a figure)
TENURE_BANDS = (3, 6, 12, 24, 48)  # months in post at the trial's start, as bands (the uptake changes with tenure)
PERSON_COLUMNS = ("employee_id", "hire_date", "followup_end", "exited", "exit_reason", "event", "mentored_from_day",
                  "manager_id", *CATEGORIES, *NUMBERS)


def month_of(dates) -> np.ndarray:
    """Months numbered from the year 0 (year * 12 + month - 1), as the store's trials SQL numbers them."""
    d = pd.to_datetime(pd.Series(dates)).to_numpy("datetime64[M]")
    return d.astype(np.int64) + 1970 * 12


def month_start(month: np.ndarray) -> np.ndarray:
    return (np.asarray(month, dtype=np.int64) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")


# ------------------------------------------------------------------ results

@dataclass(frozen=True)
class HorizonRisks:
    """The cumulative incidence of the outcome within `months` of the start, with and without mentoring (both for
    the starters), and their difference and ratio, each with its 95% range."""
    months: int
    risk_mentored: Estimate
    risk_not_mentored: Estimate
    difference: Estimate
    ratio: Estimate

    def to_dict(self) -> dict:
        return {"risk_mentored": self.risk_mentored.to_dict(), "risk_not_mentored": self.risk_not_mentored.to_dict(),
                "difference": self.difference.to_dict(), "ratio": self.ratio.to_dict()}


@dataclass(frozen=True)
class Balance:
    characteristic: str
    smd_before: float
    smd_after: float

    def to_dict(self) -> dict:
        return {"characteristic": self.characteristic, "smd_before": _number(self.smd_before),
                "smd_after": _number(self.smd_after)}


@dataclass(frozen=True)
class TargetTrial:
    starters: int              # people who started mentoring in a trial month (each once)
    comparisons: int           # person-months of eligible colleagues who had not started, compared (before sampling)
    comparison_people: int     # different people among them
    sampled: int               # of the comparisons, those kept (each weighted by the inverse of its chance)
    trials: int                # months with at least one starter
    by_horizon: dict[int, HorizonRisks]
    balance: list[Balance]
    negative_control: HorizonRisks | None
    overlap: dict              # the chance of starting at the trial's start: quantiles, starters and comparisons
    weights: dict              # the comparisons' weights: quantiles, largest, effective number
    covariates_from: str       # "history" or "snapshot"
    min_tenure_days: int = TRIAL_MIN_TENURE_DAYS
    event: str = "voluntary"
    clustered_by: str = "person"  # the ranges' clusters: "manager" (each person nested in one) or "person"
    regrettable_by: str | None = None  # with the regrettable event, how it was told (queries.REGRETTABLE_BY)
    mentored: int = 0          # people whose mentoring began while they were employed (the starters among them)
    # of those, the ones who are not starters, by why: began within their first min_tenure_days ("early"), in the
    # as-of date's month or the one before, with no whole month after it yet ("recent"), or left in the month they
    # began ("left")
    not_starters: dict = field(default_factory=dict)
    details: dict = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self, rounded: bool = False) -> dict:
        return {"starters": shown_total(self.starters, rounded), "comparisons": shown_total(self.comparisons, rounded),
                "comparison_people": shown_total(self.comparison_people, rounded),
                "sampled_comparisons": shown_total(self.sampled, rounded), "trials": self.trials,
                "min_tenure_days": self.min_tenure_days, "covariates_from": self.covariates_from,
                "clustered_by": self.clustered_by, "mentored": shown_total(self.mentored, rounded),
                "not_starters": {why: shown_total(k, rounded) for why, k in self.not_starters.items()},
                "by_horizon": {str(m): h.to_dict() for m, h in self.by_horizon.items()},
                "balance": [b.to_dict() for b in self.balance],
                "negative_control": None if self.negative_control is None else
                {"outcome": "involuntary", "months": self.negative_control.months,
                 "difference": self.negative_control.difference.to_dict()},
                "overlap": self.overlap, "weights": self.weights}

    def to_json(self, rounded: bool = False) -> dict:
        """`summary --json`'s target_trial (docs/design.md, section 9): the counts, each horizon's risks on a 0-1
        scale, the balance and the negative control; the figures the Methods panel shows."""
        full = self.to_dict(rounded)
        control = full["negative_control"]
        return {"starters": full["starters"], "comparisons": full["comparisons"], "by_horizon": full["by_horizon"],
                "balance": full["balance"],
                "negative_control": None if control is None else {"outcome": control["outcome"],
                                                                  "difference": control["difference"]}}


def _number(x) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


# ------------------------------------------------------------------ the trial

def target_trial(con, as_of=None, event: str | None = None, cohort=None,
                 horizons: tuple[int, ...] = TRIAL_HORIZONS, seed: int = TRIAL_SEED,
                 controls_per_starter: float = TRIAL_CONTROLS_PER_STARTER,
                 nonstart_sample: float = TRIAL_NONSTART_SAMPLE) -> TargetTrial:
    """The sequential trials of a cohort at an as-of date (see the module). `controls_per_starter` and
    `nonstart_sample`: how many comparisons, and months without a start, are kept per starter and per start
    (float("inf"): all of them)."""
    settled = queries.snapshot(con, as_of, event)
    people = queries.episodes(con, settled.as_of, settled.event, cohort, PERSON_COLUMNS)
    trial = trial_from_people(con, people, settled.as_of, settled.event, horizons, seed, controls_per_starter,
                              nonstart_sample)
    return replace(trial, regrettable_by=settled.regrettable_by)


def trial_from_people(con, people: pd.DataFrame, as_of, event: str, horizons: tuple[int, ...] = TRIAL_HORIZONS,
                      seed: int = TRIAL_SEED, controls_per_starter: float = TRIAL_CONTROLS_PER_STARTER,
                      nonstart_sample: float = TRIAL_NONSTART_SAMPLE) -> TargetTrial:
    rng = np.random.default_rng(seed)
    n = len(people)
    hire = pd.to_datetime(people["hire_date"]).to_numpy("datetime64[D]")
    end = pd.to_datetime(people["followup_end"]).to_numpy("datetime64[D]")
    exited = people["exited"].to_numpy(bool)
    started = people["mentored_from_day"].to_numpy(float)  # days since hire; NaN: never during employment
    start_day = np.where(np.isfinite(started), hire.astype(np.int64) + np.nan_to_num(started), np.nan)
    s_month = np.full(n, np.iinfo(np.int64).max // 4)
    has_start = np.isfinite(start_day)
    s_month[has_start] = month_of(start_day[has_start].astype("datetime64[D]"))
    last_complete = int(month_of([as_of])[0]) - 1  # the last month wholly before the as-of date's month
    e_month = np.where(exited, month_of(end), np.iinfo(np.int64).max // 4)
    if not has_start.any():
        raise NotEnoughData("not enough data for the trial: no one has started mentoring")
    launch = int(s_month[has_start].min())
    # the first month whose first day is at least the minimum tenure after hire
    ready = hire + np.timedelta64(TRIAL_MIN_TENURE_DAYS, "D")
    first = month_of(ready)
    first = np.where(month_start(first) < ready, first + 1, first)
    first = np.maximum(first, launch)
    # eligible through the month they start, the month they leave, or the last complete month (a trial needs a
    # month of follow-up after it; the months after a trial's are where its comparisons' censoring weights are read)
    last = np.minimum.reduce([s_month, e_month, np.full(n, last_complete)])
    # the comparisons' own counts, from the arrays: eligible months before leaving and before the last complete one,
    # but the month they start
    upper = np.minimum.reduce([last, e_month - 1, np.full(n, last_complete - 1)])
    own = np.maximum(upper - first + 1, 0) - ((first <= s_month) & (s_month <= upper))
    n_comparisons, comparison_people = int(own.sum()), int((own > 0).sum())
    # everyone who starts while eligible, and of the others, when their months are many, a random share (each then
    # standing for 1 / share people): every start is a trial, and the months without one are alike enough
    ever = (first <= s_month) & (s_month <= last)
    months_others = int(np.maximum(last - first + 1, 0)[~ever].sum())
    share = min(1.0, TRIAL_MOST_PERSON_MONTHS / max(months_others, 1))
    kept = ever | (np.random.default_rng(seed + 1).random(n) < share) if share < 1 else np.ones(n, bool)
    person_weight = np.where(ever, 1.0, 1.0 / share)
    pm = trials.person_months(con, people["employee_id"].to_numpy(), first, np.where(kept, last, first - 1))
    i, month = pm["i"], pm["month"]
    if i.size == 0:
        raise NotEnoughData("not enough data for the trial: no one was eligible to start mentoring")
    categories, numbers = _characteristics(people, pm, i, month, hire[i])
    y = month == s_month[i]
    # the starting model on every start and a sample of the months without one
    keep_rate = min(1.0, min(nonstart_sample * max(int(y.sum()), 1), TRIAL_MOST_NONSTARTS)
                    / max(int((~y).sum()), 1))
    fit_rows = y | (rng.random(i.size) < keep_rate)
    design = _Design(categories, numbers)
    names = design.names
    beta = _logistic(design.dense(np.flatnonzero(fit_rows)), y[fit_rows].astype(float),
                     None if share == 1 else person_weight[i[fit_rows]])
    beta[0] += math.log(keep_rate)  # the intercept back on the scale of every month (sampling kept the slopes)
    p = _expit(design.linear(beta))
    # cumulative -log(1 - p) through each person-month (for the censoring weights), person by person
    c = np.cumsum(-np.log1p(-np.clip(p, 0.0, 1.0 - 1e-12)))
    first_row = np.r_[0, np.flatnonzero(np.diff(i)) + 1]
    c_before = np.repeat(np.r_[0.0, c[first_row[1:] - 1]], np.diff(np.r_[first_row, i.size]))
    cum = c - c_before  # within each person, from their first eligible month
    # the trials: eligible person-months still employed at the next month's first day, with follow-up after
    entry = (e_month[i] > month) & (month < last_complete)
    starter = entry & y
    comparison = entry & ~y
    n_starters = int(starter.sum())
    if n_starters < MIN_GROUP_SIZE:
        raise NotEnoughData(f"not enough data for the trial: fewer than {MIN_GROUP_SIZE} people started mentoring "
                            "while eligible")
    # comparisons kept with a chance in proportion to their odds of starting (at most 1), so that those kept carry
    # about equal weights p / (1 - p) / chance: few are needed where the weights are even
    odds_all = p / (1.0 - p)
    chance = np.zeros(i.size)
    chance[comparison] = _chances(odds_all[comparison],
                                  min(controls_per_starter * n_starters, TRIAL_MOST_COMPARISONS))
    sampled = comparison & (rng.random(i.size) < chance)
    rows = np.flatnonzero(starter | sampled)
    arm = starter[rows]
    odds = odds_all[rows]
    base = np.where(arm, 1.0, odds / np.where(arm, 1.0, chance[rows]) * person_weight[i[rows]])
    horizon = max(horizons)
    # follow-up months 1..J from the trial month, each row's length and how it ends
    k = month[rows]
    person = i[rows]
    room = np.minimum(horizon, last_complete - k)
    to_exit = e_month[person] - k
    to_start = np.where(arm, np.iinfo(np.int64).max // 4, s_month[person] - k)
    length = np.minimum.reduce([room, to_exit, to_start - 1])
    ends_in_exit = (to_exit <= room) & (to_exit < to_start)
    reason = people["exit_reason"].to_numpy(object)[person]
    is_event = people["event"].to_numpy(bool)[person]
    cause = np.where(~ends_in_exit, 0, np.where(is_event, 1, np.where(reason == "involuntary", 2, 3)))
    # the ranges' clusters: each person's manager when the data name one (people under one manager leave together
    # more than chance would have it), within which each person is nested; otherwise each person
    cluster, clusters, by = _clusters(people)
    months = tuple(sorted(horizons))
    causes_wanted = (1, 2) if event != "all" else (1,)
    # the starters: the Aalen-Johansen incidence of their own exits (no one is censored but by the data's end)
    j_of, row_of = _months(length[arm])
    mentored = _aalen_johansen(j_of, np.ones(j_of.size), np.where(j_of == length[arm][row_of], cause[arm][row_of], 0),
                               cluster[person[arm][row_of]], months, clusters, causes_wanted)
    # the comparisons: as they would have fared had they not started (censored when they start, with stabilised
    # weights), modelled month by month on their characteristics at the trial's start and standardised to the starters
    X = design.dense(rows)
    comparison_fit = _comparisons(X[~arm], X[arm], base[~arm], length[~arm], cause[~arm], to_start[~arm],
                                  room[~arm], to_exit[~arm], cum, rows[~arm], months, causes_wanted,
                                  cluster[person[~arm]], cluster[person[arm]], clusters)
    out = {m: _compare(mentored, comparison_fit, m, cause=1) for m in months}
    control = _compare(mentored, comparison_fit, min(horizons), cause=2) if event != "all" else None
    # balance at the trial's start: starters against comparisons, before and after the odds weights
    # the comparisons as sampled, unweighted
    before = np.where(arm, 1.0, 1.0 / np.where(arm, 1.0, chance[rows]) * person_weight[i[rows]])
    balance = _balance(X[:, 1:], names[1:], arm, before, base)
    weights = odds[~arm]  # the odds weights alone (sampling aside)
    overlap = {"starters": _quantiles(p[rows][arm]), "comparisons": _quantiles(p[rows][~arm])}
    spread = {**_quantiles(weights), "largest": _number(weights.max()) if weights.size else None,
              "effective_comparisons": _number(weights.sum() ** 2 / (weights ** 2).sum()) if weights.size else None}
    censoring = comparison_fit.censoring
    if censoring is not None and censoring.size:  # each comparison's stabilised weight in each month it is followed
        spread["censoring"] = {**_quantiles(censoring), "mean": _number(censoring.mean()),
                               "largest": _number(censoring.max())}
    early = has_start & (s_month < first)
    recent = has_start & ~early & (s_month >= last_complete)
    left = has_start & ~early & ~recent & (e_month <= s_month)
    return TargetTrial(
        mentored=int(has_start.sum()),
        not_starters={"early": int(early.sum()), "recent": int(recent.sum()), "left": int(left.sum())},
        starters=n_starters, comparisons=n_comparisons,
        comparison_people=comparison_people, sampled=int(sampled.sum()),
        trials=int(np.unique(month[starter]).size), by_horizon=out, balance=balance, negative_control=control,
        overlap=overlap, weights=spread,
        covariates_from="history" if "from_history" in pm else "snapshot", event=event, clustered_by=by,
        details={"keep_rate": keep_rate, "start_model": dict(zip(names, beta))})


# ------------------------------------------------------------------ parts

def _clusters(people: pd.DataFrame) -> tuple[np.ndarray, int, str]:
    """Each person's cluster for the ranges: their manager (the employee file's) where at least half the people have
    one, a person without one a cluster of their own; else each person. Returns the codes, how many, and by what."""
    manager = people["manager_id"].to_numpy(object) if "manager_id" in people.columns else None
    n = len(people)
    if manager is None or pd.isna(manager).mean() > 0.5:
        return np.arange(n), n, "person"
    codes, levels = pd.factorize(manager)  # a missing manager: -1
    alone = codes < 0
    codes[alone] = len(levels) + np.arange(int(alone.sum()))
    return codes, len(levels) + int(alone.sum()), "manager"


def _characteristics(people: pd.DataFrame, pm: dict, i: np.ndarray, month: np.ndarray,
                     hire: np.ndarray) -> tuple[dict, dict]:
    """Each person-month's characteristics: the history's where it has one, else the employee file's. Categories as
    integer codes with their labels (a missing value: 'not recorded'), numbers as floats; the time in post and the
    calendar year as categories too."""
    known = pm["from_history"] if "from_history" in pm else np.zeros(i.size, bool)
    categories, numbers = {}, {}
    for name in CATEGORIES:
        own_codes, own_levels = pd.factorize(people[name].to_numpy(object))
        labels = [str(v) for v in own_levels]
        codes = own_codes[i]
        if name in pm and known.any():
            changed, levels = pm[name]
            # the history's values in the same codes as the file's (new ones appended)
            place = {v: k for k, v in enumerate(labels)}
            for v in levels:
                place.setdefault(str(v), len(place))
            labels = list(place)
            mapped = np.array([place[str(v)] for v in levels] + [-1], dtype=np.int32)[changed]  # code -1: none
            codes = np.where(known & (mapped >= 0), mapped, codes)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(labels), codes)
            labels.append("not recorded")
        categories[name] = (codes.astype(np.int32), labels)  # half the memory of int64 per person-month
    for name in NUMBERS:
        values = people[name].to_numpy(float)[i]
        if name in pm:
            changed = pm[name]
            values = np.where(known & np.isfinite(changed), changed, values)
        numbers[name] = values
    in_post = (month_start(month) - hire).astype(np.int64) / DAYS_PER_MONTH
    bands = [f"{a}-{b} months" for a, b in zip(TENURE_BANDS[:-1], TENURE_BANDS[1:])] + [f"{TENURE_BANDS[-1]}+ months"]
    categories["tenure"] = (np.clip(np.searchsorted(TENURE_BANDS, in_post, side="right") - 1, 0,
                                    len(bands) - 1).astype(np.int32), bands)
    year = month // 12
    first = int(year.min()) if year.size else 0
    categories["year"] = ((year - first).astype(np.int32), [str(y) for y in range(first, int(year.max()) + 1)]
                          if year.size else [])
    return categories, numbers


class _Design:
    """The starting model's columns, [1, dummies of each category but its most common, each number (missing: the
    mean, and a flag)], held as codes: dense only for the rows asked for, the linear predictor by look-up."""

    def __init__(self, categories: dict, numbers: dict):
        self.parts: list[tuple[str, np.ndarray, list[str]]] = []  # category, codes (-1: the reference), names
        self.numbers: list[tuple[str, np.ndarray]] = []
        self.names = ["(intercept)"]
        for name, (codes, levels) in categories.items():
            counts = np.bincount(codes, minlength=len(levels))
            order = [c for c in np.argsort(-counts, kind="stable") if counts[c] > 0]
            place = np.full(len(levels), -1, dtype=np.int32)
            place[order] = np.arange(len(order)) - 1  # the most common level: -1 (the reference)
            self.parts.append((name, place[codes], [f"{name} = {levels[c]}" for c in order[1:]]))
            self.names += self.parts[-1][2]
        for name, x in numbers.items():
            label = "log salary" if name == "salary" else "rating"
            if name == "salary":
                x = np.log(np.where(x > 0, x, np.nan))
            missing = ~np.isfinite(x)
            if missing.all():
                continue
            centre = float(np.mean(x[~missing]))
            self.numbers.append((label, np.where(missing, 0.0, x - centre)))
            self.names.append(label)
            if missing.any():
                self.numbers.append((f"{label} not recorded", missing.astype(float)))
                self.names.append(f"{label} not recorded")

    def dense(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((rows.size, len(self.names)))
        out[:, 0] = 1.0
        at = 1
        for _, codes, names in self.parts:
            c = codes[rows]
            hit = c >= 0
            out[np.flatnonzero(hit), at + c[hit]] = 1.0
            at += len(names)
        for _, x in self.numbers:
            out[:, at] = x[rows]
            at += 1
        return out

    def linear(self, beta: np.ndarray) -> np.ndarray:
        out = np.full(self.parts[0][1].size if self.parts else 0, beta[0])
        at = 1
        for _, codes, names in self.parts:
            out += np.r_[beta[at:at + len(names)], 0.0][codes]  # code -1 reads the appended 0: the reference
            at += len(names)
        for _, x in self.numbers:
            out += beta[at] * x
            at += 1
        return out


def _chances(odds: np.ndarray, wanted: float) -> np.ndarray:
    """Each one's chance of being kept, min(1, c * odds), with c such that `wanted` are kept on average (all of them
    when that many or more are wanted): with the odds in descending order and the first t kept for certain,
    c = (wanted - t) / (the sum of the others' odds), for the least t at which the next is not certain too."""
    if wanted >= odds.size or not odds.size:
        return np.ones(odds.size)
    o = np.sort(odds)[::-1]
    rest = np.cumsum(o[::-1])[::-1]  # the sum of the odds from each place on
    t = np.arange(o.size)
    c = (wanted - t) / np.where(rest > 0, rest, np.inf)
    first = int(np.flatnonzero((c * o <= 1.0) | (rest <= 0))[0])
    return np.minimum(1.0, c[first] * odds)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -700.0, 700.0)))  # no overflow far from 0


def _logistic(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, ridge: float = 1e-6,
              iterations: int = 100) -> np.ndarray:
    """Logistic regression by Newton's method (each row weighted by `w`, when given), with a very light ridge on the
    slopes (a characteristic no one in it started with has a large negative coefficient, not an infinite one)."""
    n, k = X.shape
    beta = np.zeros(k)
    mean = float(np.clip(y.mean(), 1e-9, 1 - 1e-9))
    beta[0] = math.log(mean / (1 - mean))
    penalty = np.full(k, ridge * n)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = _expit(X @ beta)
        grad = X.T @ (y - p if w is None else w * (y - p)) - penalty * beta
        hess = (X * (p * (1 - p) if w is None else w * p * (1 - p))[:, None]).T @ X + np.diag(penalty)
        step = np.linalg.solve(hess + 1e-12 * np.eye(k), grad)
        beta += step
        if np.max(np.abs(step)) < 1e-7:
            break
    return beta


def _months(length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's follow-up months 1..length, and which row each belongs to."""
    length = np.maximum(length, 0)
    row_of = np.repeat(np.arange(length.size), length)
    starts = np.cumsum(length) - length
    j_of = np.arange(row_of.size) - np.repeat(starts, length) + 1
    return j_of, row_of


@dataclass(frozen=True)
class _Incidence:
    """An arm's Aalen-Johansen cumulative incidence by cause at months 1..J, and at the months asked for, each
    person's influence on it (its delta-method gradient times their weighted person-months, summed)."""
    incidence: dict[int, np.ndarray]            # cause -> months 1..J
    influence: dict[tuple[int, int], np.ndarray]  # (cause, month) -> one value per person
    censoring: np.ndarray | None = None  # the comparisons' stabilised censoring weights, one per followed month


def _aalen_johansen(j: np.ndarray, w: np.ndarray, cause: np.ndarray, person: np.ndarray, months: tuple[int, ...],
                    n_people: int, causes: tuple[int, ...] = (1, 2)) -> _Incidence:
    """`j`: each weighted person-month's month of follow-up (1..), `w` its weight, `cause` how it ends (0: it does
    not end in an exit; 1, 2, 3: the event, an involuntary exit, another exit)."""
    J = max(months)
    at_risk = np.bincount(j - 1, weights=w, minlength=J)[:J]
    events = {c: np.bincount(j[cause == c] - 1, weights=w[cause == c], minlength=J)[:J] for c in (1, 2, 3)}
    safe = np.where(at_risk > 0, at_risk, 1.0)
    hazard = {c: np.where(at_risk > 0, events[c] / safe, 0.0) for c in events}
    q = 1.0 - sum(hazard.values())
    q_safe = np.where(q > 0, q, 1.0)
    before = np.r_[1.0, np.cumprod(q)[:-1]]  # still followed at each month's start
    incidence = {c: np.cumsum(before * hazard[c]) for c in (1, 2, 3)}
    influence = {}
    for c in causes:
        ci = incidence[c]
        for m in months:
            upto = np.arange(J) < m
            later = np.where(upto, ci[m - 1] - ci, 0.0)  # the incidence gathered after month j, up to m
            d = {cc: np.where(upto, (before if cc == c else 0.0) - later / q_safe, 0.0) for cc in (1, 2, 3)}
            by_event = {cc: d[cc] / safe for cc in d}
            by_risk = -sum(d[cc] * hazard[cc] for cc in d) / safe
            gradient = by_risk[j - 1] + np.select([cause == 1, cause == 2, cause == 3],
                                                  [by_event[1][j - 1], by_event[2][j - 1], by_event[3][j - 1]], 0.0)
            influence[(c, m)] = np.bincount(person, weights=w * gradient, minlength=n_people)
    return _Incidence(incidence, influence)


def _compare(a: _Incidence, b: _Incidence, months: int, cause: int) -> HorizonRisks:
    r1, r0 = float(a.incidence[cause][months - 1]), float(b.incidence[cause][months - 1])
    f1, f0 = a.influence[(cause, months)], b.influence[(cause, months)]
    se1, se0 = math.sqrt(float(f1 @ f1)), math.sqrt(float(f0 @ f0))
    diff = f1 - f0
    se_d = math.sqrt(float(diff @ diff))
    if r1 > 0 and r0 > 0:
        g = f1 / r1 - f0 / r0
        spread = min(Z * math.sqrt(float(g @ g)), 700.0)  # a risk near 0 in one arm: a range without end
        ratio = Estimate(r1 / r0, r1 / r0 * math.exp(-spread), r1 / r0 * math.exp(spread) if spread < 700 else math.inf)
    else:
        ratio = Estimate(float("nan"), float("nan"), float("nan"))
    return HorizonRisks(months, Estimate(r1, max(0.0, r1 - Z * se1), min(1.0, r1 + Z * se1)),
                        Estimate(r0, max(0.0, r0 - Z * se0), min(1.0, r0 + Z * se0)),
                        Estimate(r1 - r0, r1 - r0 - Z * se_d, r1 - r0 + Z * se_d), ratio)


def _balance(X: np.ndarray, names: list[str], arm: np.ndarray, before: np.ndarray, after: np.ndarray) -> list[Balance]:
    """Standardised mean differences (Austin 2009, Stat Med 28:3083): starters against comparisons, weighted as
    sampled (before) and with the odds weights (after), over the unweighted pooled standard deviation."""
    out = []
    treated, control = X[arm], X[~arm]
    sd = np.sqrt((treated.var(axis=0) + control.var(axis=0)) / 2)
    m1 = treated.mean(axis=0)
    for weights, key in ((before[~arm], "before"), (after[~arm], "after")):
        m0 = (control * weights[:, None]).sum(axis=0) / weights.sum()
        if key == "before":
            smd_before = np.where(sd > 0, (m1 - m0) / np.where(sd > 0, sd, 1), 0.0)
        else:
            smd_after = np.where(sd > 0, (m1 - m0) / np.where(sd > 0, sd, 1), 0.0)
    for k, name in enumerate(names):
        if name.startswith("year = ") or name.endswith("not recorded"):
            continue
        out.append(Balance(name, float(smd_before[k]), float(smd_after[k])))
    return out


def _quantiles(x: np.ndarray) -> dict:
    if x.size == 0:
        return {}
    q = np.quantile(x, [0.01, 0.25, 0.5, 0.75, 0.99])
    return {"p01": float(q[0]), "p25": float(q[1]), "median": float(q[2]), "p75": float(q[3]), "p99": float(q[4])}


# ------------------------------------------------------------------ the comparisons, had they not started

def _basis(J: int) -> np.ndarray:
    """The month of follow-up's terms in the pooled models (months 1..J as rows): log j, j / 12 and (j / 12)^2."""
    j = np.arange(1, J + 1, dtype=float)
    return np.column_stack([np.log(j), j / 12, (j / 12) ** 2])


def _cell_logistic(X: np.ndarray, F: np.ndarray, row: np.ndarray, j: np.ndarray, w: np.ndarray, y: np.ndarray,
                   ridge: float = 1e-6, iterations: int = 50) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Weighted logistic regression of y on [X's row, F's month] over cells (a row `row` followed in month `j`, from
    0), without a design row per cell: a pooled model of person-months from each row's characteristics and each
    month's terms. Returns the coefficients (X's, then F's), the inverse of the information, and each row's score
    in two parts (its sum of w (y - p), and of w (y - p) F's month)."""
    n, K, L = X.shape[0], X.shape[1], F.shape[1]
    J = F.shape[0]
    beta = np.zeros(K + L)
    mean = float(np.clip((w * y).sum() / max(w.sum(), 1e-300), 1e-9, 1 - 1e-9))
    beta[0] = math.log(mean / (1 - mean))
    penalty = np.full(K + L, ridge * max(float((w > 0).sum()), 1.0))
    penalty[0] = 0.0
    Fj = F[j]
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])  # the cells come row by row: each row's first
    present = row[starts]

    def by_row(values: np.ndarray) -> np.ndarray:  # each row's sum (over its cells), as columns
        out = np.zeros((n,) + values.shape[1:])
        out[present] = np.add.reduceat(values, starts, axis=0)
        return out

    for _ in range(iterations):
        p = _expit((X @ beta[:K])[row] + (F @ beta[K:])[j])
        resid, curv = w * (y - p), w * p * (1 - p)
        grad = np.r_[X.T @ by_row(resid), F.T @ np.bincount(j, resid, J)] - penalty * beta
        hess = np.empty((K + L, K + L))
        hess[:K, :K] = (X * by_row(curv)[:, None]).T @ X
        hess[:K, K:] = X.T @ by_row(curv[:, None] * Fj)
        hess[K:, :K] = hess[:K, K:].T
        hess[K:, K:] = (F * np.bincount(j, curv, J)[:, None]).T @ F
        hess += np.diag(penalty)
        step = np.linalg.solve(hess + 1e-12 * np.eye(K + L), grad)
        beta += step
        if np.max(np.abs(step)) < 1e-4:  # Newton's next step would be some 1e-8
            break
    resid = w * (y - _expit((X @ beta[:K])[row] + (F @ beta[K:])[j]))
    scores = (by_row(resid), by_row(resid[:, None] * Fj))
    return beta, np.linalg.pinv(hess), scores


def _comparisons(X: np.ndarray, X_starters: np.ndarray, base: np.ndarray, length: np.ndarray, cause: np.ndarray,
                 to_start: np.ndarray, room: np.ndarray, to_exit: np.ndarray, cum: np.ndarray, rows: np.ndarray,
                 months: tuple[int, ...], causes: tuple[int, ...], cluster: np.ndarray, cluster_starters: np.ndarray,
                 n_clusters: int) -> _Incidence:
    """The starters' cumulative incidence by cause had they not started, from the comparisons (`X`: their
    characteristics at the trial's start, `base`: their odds weights; each followed `length` months, ending in
    `cause`, 0: not an exit) and each cluster's influence on it.

    A comparison who starts later is censored then. Those still followed in month j carry the stabilised weight
    P(not started in months 1..j | the trial's start) / P(not started in months 1..j | as they were each month): the
    denominator the starting model's, month by month (`cum`: its cumulative -log(1 - p) over each person's eligible
    months, `rows` each comparison's place in it); the numerator a pooled model of starting on the characteristics at
    the trial's start and the month of follow-up (Hernán & Robins, Causal Inference: What If, 2020, 12.3 and 21.2).
    Each exit's monthly hazard is a pooled logistic model on the same terms, fitted with those weights times the odds
    weights; each starter's incidence is predicted from it and averaged (Danaei 2013). The range: each cluster's
    influence through the starters' average and through the models' coefficients (the weights taken as known)."""
    J = max(months)
    F = _basis(J)
    # the cells: each comparison's months of follow-up while still eligible (through the month they start)
    watched = np.maximum(np.minimum.reduce([room, to_exit, to_start]), 0)
    j_of, row_of = _months(watched)
    j0 = j_of - 1
    # the numerator: starting in month j of follow-up, given the trial's start
    starts = j_of == to_start[row_of]
    below = cum[rows[row_of] + j_of] - cum[rows[row_of]]  # cumulative -log P(not started | each month's own)
    if starts.any():
        b_start = _cell_logistic(X, F, row_of, j0, base[row_of], starts.astype(float))[0]
        q = _expit((X @ b_start[:X.shape[1]])[row_of] + (F @ b_start[X.shape[1]:])[j0])
        log_q = np.log1p(-np.clip(q, 0.0, 1.0 - 1e-12))
        total = np.cumsum(log_q)
        first = np.cumsum(watched) - watched  # each row's first cell
        above = total - np.repeat(np.r_[0.0, total][first], watched)  # log P(not started | the trial's start)
    else:
        above = np.zeros(j_of.size)
    followed = j_of <= length[row_of]
    row_f, j_f = row_of[followed], j0[followed]
    stabilised = np.exp(below[followed] + above[followed])
    w = base[row_f] * stabilised
    last = j_of[followed] == length[row_f]
    fitted = {}
    for c in (1, 2, 3):
        y = (last & (cause[row_f] == c)).astype(float)
        if (w * y).sum() > 0:
            fitted[c] = _cell_logistic(X, F, row_f, j_f, w, y)
    # each starter's incidence by cause had they not started, and its gradient in each model's coefficients, a block
    # of starters at a time (the sums are the same; a million people's quarter of a million starters would hold
    # gigabytes at once)
    K = X.shape[1]
    m_s = X_starters.shape[0]
    parts = [_standardised(X_starters[a:a + STARTER_BLOCK], F, fitted, causes, months)
             for a in range(0, m_s, STARTER_BLOCK)]
    incidence, influence = {c: sum(part[0][c] for part in parts) / m_s for c in causes}, {}
    for c in causes:
        for m in months:
            f_c = np.concatenate([part[1][(c, m)] for part in parts])
            r = float(f_c.mean())
            infl = np.bincount(cluster_starters, weights=(f_c - r) / m_s, minlength=n_clusters)
            for d, (b, cov, (by_row, by_month)) in fitted.items():
                gradient = sum(part[2][(c, m, d)] for part in parts) / m_s
                v = cov @ gradient  # the coefficients' shift per unit of a row's score, on this incidence
                infl += np.bincount(cluster, weights=(X @ v[:K]) * by_row + by_month @ v[K:], minlength=n_clusters)
            influence[(c, m)] = infl
    return _Incidence(incidence, influence, stabilised)


def _standardised(Xs: np.ndarray, F: np.ndarray, fitted: dict, causes: tuple[int, ...],
                  months: tuple[int, ...]) -> tuple[dict, dict, dict]:
    """For a block of starters (`Xs`: their characteristics at the trial's start) and the comparisons' hazard models
    (`fitted`: cause -> coefficients, ...): each cause's incidence summed over them at months 1..J, each one's at the
    months asked for, and, at those months, its gradient in each model's coefficients summed over them."""
    K, n, J = Xs.shape[1], Xs.shape[0], F.shape[0]
    h = {c: _expit((Xs @ b[:K])[:, None] + (F @ b[K:])[None, :]) for c, (b, _, _) in fitted.items()}
    total = sum(h.values()) if h else np.zeros((n, J))
    before = np.hstack([np.ones((n, 1)), np.cumprod(1.0 - total, axis=1)[:, :-1]])  # still there at month j's start
    share = {c: h[c] * (1 - h[c]) / np.where(total < 1, 1.0 - total, 1.0) for c in h}
    shifted = lambda a: np.concatenate([np.zeros_like(a[:, :1]), a[:, :-1]], axis=1)  # noqa: E731  month j-1's
    A = {d: shifted(np.cumsum(share[d], axis=1)) for d in h}
    B = {d: shifted(np.cumsum(share[d][:, :, None] * F[None, :, :], axis=1)) for d in h}
    sums, each_at, gradients = {}, {}, {}
    for c in causes:
        hc = h.get(c, np.zeros((n, J)))
        gathered = before * hc  # each month's share of the incidence
        each = np.cumsum(gathered, axis=1)
        sums[c] = each.sum(axis=0)
        for m in months:
            each_at[(c, m)] = each[:, m - 1]
            for d in fitted:
                g_x = -(gathered[:, :m] * A[d][:, :m]).sum(axis=1)
                g_f = -np.einsum("ij,ijl->l", gathered[:, :m], B[d][:, :m])
                if d == c:
                    own = (before * hc * (1 - hc))[:, :m]
                    g_x = g_x + own.sum(axis=1)
                    g_f = g_f + own.sum(axis=0) @ F[:m]
                gradients[(c, m, d)] = np.r_[Xs.T @ g_x, g_f]
    return sums, each_at, gradients
