"""Each person's own chance of leaving over a horizon, with and without mentoring, from the adjusted model and a
model of other exits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from analytics.common import parallel
from analytics.common.policy import TAIL_DAYS
from analytics.estimation.cox import CoxResult
from analytics.estimation.followup import FollowUp
from analytics.estimation.models import ModelFit, kept_other_exits
from analytics.estimation.patterns import linear_predictor


RISK_CELLS = 250_000  # person-days worked on at once for each person's risk (a slice that stays in the cache)


# ---------------------------------------------------------------- each person's own risk

@dataclass(frozen=True)
class ExitRisk:
    """Everyone employed at the as-of date (with follow-up time): their chance of a voluntary exit
    within the horizon given their tenure and characteristics, from the adjusted time-varying model,
    without mentoring and with it at the effect's estimate and 95% limits (other exits competing)."""

    people: pd.DataFrame   # employee_id, tenure_days, mentored, salary, p_unmentored, p_mentored, _lower, _upper
    horizon_days: float
    extrapolated: int      # people whose horizon runs past the longest tenure the data has seen
    rows: np.ndarray | None = None  # each person's last row in the follow-up's rows (FollowUp.rows), in order


def exit_risks(fu: FollowUp, adjusted: ModelFit, horizon_days: float, mentored: bool = True) -> ExitRisk:
    """Cause-specific hazards: the adjusted model for voluntary exits and the same characteristics for
    the other exits that compete with them (methods: docs/methods.md, "Each person's own risk").
    `mentored` False: only p_unmentored (what the business case and where to extend next use). Each column
    is worked out once per follow-up, model and horizon."""
    key = ("exit_risks", float(horizon_days), adjusted.hazard_ratio)
    kept = fu._kept.get(key)
    if kept is None or kept[0] is not adjusted.result:
        kept = fu._kept[key] = (adjusted.result, _RiskParts(fu, adjusted, horizon_days))
    parts = kept[1]
    out = parts.people.copy()
    for name in parts.effects if mentored else ("p_unmentored",):
        out[name] = parts.column(name)
    return ExitRisk(out, float(horizon_days), parts.extrapolated, parts.rows)


def unmentored_risks(fu: FollowUp, model: ModelFit, common: ModelFit, horizon_days: float,
                     mentoring: tuple[str, ...]) -> np.ndarray:
    """exit_risks' p_unmentored (its people, in its order) from another model of voluntary exits fitted on the same
    rows, `model`, whose mentoring is the columns `mentoring` (each left out: no mentoring); the other exits that
    compete with them from the common adjusted model's characteristics, as exit_risks has them. Not kept."""
    return _RiskParts(fu, model, horizon_days, mentoring=mentoring, other_from=common).column("p_unmentored")


def hazard_shares(fu: FollowUp, adjusted: ModelFit, horizon_days: float, days: np.ndarray) -> np.ndarray:
    """For each of exit_risks' people (in its order), the share of their voluntary cumulative hazard over the horizon
    that falls within its first `days` (each person's own, clipped to the horizon): the baseline's shape from their
    tenure on, as their risk uses it (their own characteristics scale both parts alike). Where the baseline does not
    rise over the horizon, the share of its time."""
    tenure = exit_risks(fu, adjusted, horizon_days, mentored=False).people["tenure_days"].to_numpy(float)
    H = _baseline(adjusted.result, _followed_to(fu))
    part = np.clip(np.broadcast_to(np.asarray(days, float), tenure.shape), 0.0, float(horizon_days))
    whole = H(tenure + horizon_days) - H(tenure)
    within = H(tenure + part) - H(tenure)
    return np.where(whole > 0, within / np.where(whole > 0, whole, 1.0), part / float(horizon_days))


class _RiskParts:
    """What each person's risk is worked out from (the models' linear predictors and baseline hazards), and
    the columns worked out so far."""

    def __init__(self, fu: FollowUp, adjusted: ModelFit, horizon_days: float,
                 mentoring: tuple[str, ...] = ("mentored",), other_from: ModelFit | None = None):
        r = fu.rows  # by position: each person's last row, and those still employed, without a copy of the rows
        fit = adjusted.result
        X = fit._data["X"]
        names = list(fit._data["names"])
        beta = fit.params_.to_numpy()
        effect = np.isin(names, mentoring)
        last = fu.last_rows()
        at = self.rows = last[~r["exited"].to_numpy(bool)[last]]
        now = r.iloc[at][["employee_id", "duration_days", "mentored", "salary"]]
        # each one's linear predictors without mentoring (the flag's column left out) and for the other exits
        self.lp_unmentored = linear_predictor(X, np.where(effect, 0.0, beta), at)
        X_other = X if other_from is None else other_from.result._data["X"]
        other = kept_other_exits(fu, X_other) if fu.event != "all" else None
        self.lp_other = linear_predictor(X_other, other.params_.to_numpy(), at) if other is not None else None
        tenure = now["duration_days"].to_numpy(float)
        hr = adjusted.hazard_ratio
        self.people = pd.DataFrame({"employee_id": now["employee_id"].to_numpy(), "tenure_days": tenure,
                                    "mentored": now["mentored"].to_numpy(bool), "salary": now["salary"].to_numpy(float)})
        self.effects = {"p_unmentored": 0.0, "p_mentored": np.log(hr.estimate), "p_mentored_lower": np.log(hr.lower),
                        "p_mentored_upper": np.log(hr.upper)}
        # both models' baseline hazards (each a pass over every row), side by side
        parallel.each(lambda model: model.baseline_cumulative_hazard_, [m for m in (fit, other) if m is not None])
        followed = _followed_to(fu)
        self.hazards_v = _DailyHazards(fit, tenure, horizon_days, followed)
        self.hazards_o = _DailyHazards(other, tenure, horizon_days, followed) if other is not None else None
        self.by_day = _ByDay(self.hazards_v, self.hazards_o) if self.hazards_o is not None and \
            self.hazards_v.table is not None and self.hazards_o.table is not None else None
        self.parts = np.array_split(np.arange(len(tenure)),
                                    max(1, int(np.ceil(len(tenure) * horizon_days / RISK_CELLS))))
        longest = max(float(fit.baseline_cumulative_hazard_["time"].max()), followed)
        self.extrapolated = int((tenure + horizon_days > longest).sum())
        self.columns: dict[str, np.ndarray] = {}

    def column(self, name: str) -> np.ndarray:
        if name not in self.columns:
            log_hr = self.effects[name]

            def slices(parts: list[np.ndarray]) -> list[np.ndarray]:  # people x days, a slice at a time
                out = []
                for part in parts:
                    other = self.hazards_o is not None
                    if self.by_day is not None:
                        out.append(self.by_day.probability(part, np.exp(self.lp_unmentored[part] + log_hr),
                                                           np.exp(self.lp_other[part])))
                        continue
                    out.append(_voluntary_probability(
                        self.hazards_v.since(part), np.exp(self.lp_unmentored[part] + log_hr),
                        self.hazards_o.since(part) if other else None, np.exp(self.lp_other[part]) if other else None))
                return out

            # the slices shared among the cores, each core's in order
            shares = [self.parts[i::parallel.cores()] for i in range(min(parallel.cores(), len(self.parts)))]
            done = parallel.each(slices, shares)
            pieces = [None] * len(self.parts)
            for i, results in enumerate(done):
                pieces[i::len(done)] = results
            self.columns[name] = np.concatenate(pieces) if pieces else np.array([], dtype=float)
        return self.columns[name]


def _followed_to(fu: FollowUp) -> float:
    """The longest tenure followed (an exit or the as-of date), however the follow-up ended."""
    return float(fu.rows["duration_days"].max()) if len(fu.rows) else 0.0


def _baseline(fit: CoxResult, followed_to: float = 0.0):
    """The baseline cumulative hazard as a function of tenure (days). Past the last exit the hazard stays at its
    average over the last year followed, a year that ends where follow-up ends (`followed_to`, the longest tenure
    followed), not at the last exit: a year made to end on an exit always holds that exit, among the few still
    followed then, and the stretch after the last exit is by its choice one without exits. Measured on ten simulated
    companies (true HR 0.70, seeds 1001-1010; 2,220 people whose horizon runs past the last exit), their chances
    against the truth: median 1.37 times it (90th percentile 2.06) with the year ending on the last exit; 0.86 with
    the stretch after the last exit left flat; as here, 1.12 (90th percentile 1.81). What is left is the constant
    tail itself: the truth's hazard keeps falling with tenure."""
    base = fit.baseline_cumulative_hazard_
    times, cumulative = base["time"].to_numpy(float), base["cumulative_hazard"].to_numpy(float)
    longest, last = max(times[-1], float(followed_to)), times[-1]
    year_before = np.interp(longest - TAIL_DAYS, times, cumulative, left=0.0)
    tail_rate = max(cumulative[-1] - year_before, 0.0) / min(float(TAIL_DAYS), longest)

    def H(t: np.ndarray) -> np.ndarray:
        at = np.searchsorted(times, t, side="right") - 1
        inside = np.where(at >= 0, cumulative[np.maximum(at, 0)], 0.0)
        return np.where(t > last, cumulative[-1] + tail_rate * (t - last), inside)

    return H


class _DailyHazards:
    """Each person's baseline cumulative hazard since the as-of date, at the start of each day of the horizon
    and at its end (people x days + 1), for slices of the people. Where every tenure is a whole number of days,
    read from the baseline at each day of one run of days covering them all (the same numbers, without looking
    up every person's every day in the baseline hazard)."""

    def __init__(self, fit: CoxResult, tenure: np.ndarray, horizon_days: float, followed_to: float = 0.0):
        self.H, self.tenure = _baseline(fit, followed_to), tenure
        self.days = np.arange(int(round(horizon_days)) + 1)
        self.table = None
        if len(tenure) and np.all(np.isfinite(tenure)) and np.all(tenure == np.floor(tenure)):
            first = float(tenure.min())
            self.table = self.H(np.arange(first, float(tenure.max()) + len(self.days)))  # whole days, exactly
            self.start = (tenure - first).astype(np.int64)
            self.H = None  # not needed again: the model and its rows are not kept for it

    def since(self, part: np.ndarray) -> np.ndarray:
        if self.table is None:
            out = self.H(self.tenure[part][:, None] + self.days[None, :])
        else:
            out = sliding_window_view(self.table, len(self.days))[self.start[part]]  # each one's run of days
        out -= out[:, :1]
        return out


class _ByDay:
    """_voluntary_probability's figure for people whose tenures are whole days, both models' baselines read from one
    run of days (_DailyHazards' tables), in fewer passes over people x days: each morning's chance of still being
    employed is exp of the day's cumulative hazards, both models' at once (rv Hv + ro Ho, less its value on the
    first morning); the voluntary share of a day's exits, rv dv / (rv dv + ro do) with dv and do the baselines'
    increments that day, is 1 / (1 + (ro / rv) q) with q = do / dv a number per day of the table (infinite where
    the voluntary baseline does not rise: no share), so nothing per person and day is divided or differenced
    twice. The same figures as _voluntary_probability's to rounding (1e-13)."""

    def __init__(self, voluntary: _DailyHazards, other: _DailyHazards):
        self.start, self.width = voluntary.start, len(voluntary.days)
        self.v, self.o = voluntary.table, other.table
        dv, do = np.diff(self.v), np.diff(self.o)
        rises = dv > 0
        self.q = np.full(dv.shape, np.inf)
        self.q[rises] = do[rises] / dv[rises]

    def probability(self, part: np.ndarray, risk_v: np.ndarray, risk_o: np.ndarray) -> np.ndarray:
        start = self.start[part]
        both = sliding_window_view(self.v, self.width)[start]  # people x days + 1, each one's run of days
        np.multiply(both, risk_v[:, None], out=both)
        other = sliding_window_view(self.o, self.width)[start]
        np.multiply(other, risk_o[:, None], out=other)
        both += other
        alive = np.subtract(both[:, :1], both, out=both)  # less the first morning's: minus the hazard since then
        np.exp(alive, out=alive)  # still employed each morning, and the last evening
        leave = np.subtract(alive[:, :-1], alive[:, 1:], out=other[:, :-1])  # employed that morning and not the next
        share = sliding_window_view(self.q, self.width - 1)[start]
        np.multiply(share, (risk_o / risk_v)[:, None], out=share)
        share += 1.0
        return np.einsum("ij,ij->i", leave, np.reciprocal(share, out=share))


def _voluntary_probability(since_v: np.ndarray, risk_v: np.ndarray, since_o: np.ndarray | None,
                           risk_o: np.ndarray | None) -> np.ndarray:
    """P(voluntary exit within the horizon) from each person's baseline cumulative hazards since the as-of
    date at each day's start (people x days + 1; `since_o`: the other exits', None without them) and their
    relative risks, each day's hazards held constant (exact for the step-function baseline of a Cox model
    fitted on whole days): the sum over days of the chance of still being employed that morning, times the
    chance of leaving that day, times the voluntary share of it; the first two together are S(d-1) - S(d), the
    chance of being employed that morning and not the next. The arrays given are used as workspace."""
    voluntary = np.multiply(since_v, risk_v[:, None], out=since_v)
    if since_o is None:
        total = voluntary.copy()
    else:
        total = np.multiply(since_o, risk_o[:, None], out=since_o)
        total += voluntary
    share = np.diff(voluntary, axis=1)  # each day's voluntary hazard
    day = np.diff(total, axis=1)        # and all exits'
    np.divide(share, day, out=share, where=day > 0)  # the voluntary share (0 where nothing can happen)
    alive = np.exp(np.negative(total, out=total), out=total)  # still employed each morning, and the last evening
    leave = np.subtract(alive[:, :-1], alive[:, 1:], out=day)  # employed that morning and not the next
    return np.einsum("ij,ij->i", leave, share)


def baseline_uncertainty(fu: FollowUp, adjusted: ModelFit, horizon_days: float, p0: np.ndarray,
                         mask: np.ndarray) -> float:
    """The relative standard error that the baseline hazard's own uncertainty gives the sum of the chances of leaving
    of exit_risks' people picked by `mask` (their p0 given): what the effect's range leaves out. Each exit's step in
    the Breslow baseline, dL_j, has variance d_j / S0_j^2 = dL_j^2 / d_j, taken as dL_j^2 (one exit a day: no
    smaller, so the range errs wide); steps are independent. A person's chance moves with the baseline over their
    own horizon, by -log(1 - p0)(1 - p0) per unit of its relative change; past the longest tenure followed the
    baseline is its last year's average, so those steps count again for the time beyond. First order (delta
    method); the other characteristics' coefficients are taken as known."""
    tenure = exit_risks(fu, adjusted, horizon_days, mentored=False).people["tenure_days"].to_numpy(float)[mask]
    p0 = np.asarray(p0, dtype=float)
    if not len(p0):
        return 0.0
    base = adjusted.result.baseline_cumulative_hazard_
    times, cumulative = base["time"].to_numpy(float), base["cumulative_hazard"].to_numpy(float)
    steps = np.diff(np.concatenate([[0.0], cumulative]))
    followed = max(times[-1], _followed_to(fu))
    H = _baseline(adjusted.result, followed)
    window = H(tenure + horizon_days) - H(tenure)
    moves = -np.log1p(-np.clip(p0, 0.0, 1 - 1e-12)) * (1.0 - p0)  # d p0 / d log(baseline) for each person
    weight = np.where(window > 0, moves / np.where(window > 0, window, 1.0), 0.0)
    order = np.argsort(tenure)
    start, cum_w = tenure[order], np.concatenate([[0.0], np.cumsum(weight[order])])
    # each step's weight: the people whose horizon (t_i, t_i + h] holds it
    inside = cum_w[np.searchsorted(start, times, side="left")] - \
        cum_w[np.searchsorted(start, times - horizon_days, side="left")]
    beyond = np.clip(tenure + horizon_days - np.maximum(tenure, followed), 0.0, None)
    last_year = times > followed - TAIL_DAYS
    inside = inside + last_year * float((weight * beyond).sum()) / min(float(TAIL_DAYS), followed)
    total = float(moves.sum())
    return float(np.sqrt(((inside * steps) ** 2).sum()) / total) if total > 0 else 0.0
