"""The headline: one computation shared by the Overview page, the CLI summary and the exports."""
from __future__ import annotations

import contextlib
import contextvars
import threading
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Callable

import numpy as np
import pandas as pd

from analytics.case.business import BusinessCase, BusinessCaseInputs, Input, business_case
from analytics.common import parallel, progress
from analytics.common.errors import MissingInputError, NotEnoughData, RetentionError
from analytics.common.policy import (COVERAGE_TARGET, DAYS_PER_MONTH, DAYS_PER_YEAR, HORIZON_DAYS, HORIZON_YEARS,
                                     LANDMARK_MONTHS, MANY_GROUPS, MIN_GROUP_SIZE, PROGRAMME_COST_PER_MENTEE, PROGRAMME_YEARS,
                                     REPLACEMENT_COST_PCT, ROUNDED_SALARY, SIDE_BY_SIDE_BYTES, TAU_DAYS, shown_count,
                                     shown_total)
from analytics.estimation.curves import (GroupCurves, exit_causes, exit_causes_by_mentoring, extended_km, landmark,
                                         logrank_test, retention_at, rmst)
from analytics.estimation.design import check_covariates
from analytics.estimation.evalue import e_value, outcome_is_common
from analytics.estimation.followup import FollowUp, follow_up
from analytics.estimation.km import KaplanMeier
from analytics.estimation.models import (ModelFit, at_hire_model, headline_key, honest_model, naive_model,
                                         other_exits_model, proportional_hazards, time_varying_model)
from analytics.estimation.outcomes import OUTCOMES, OutcomeEffect, outcome_effects, outcome_incidence
from analytics.estimation.phases import MentoringPhases, mentoring_phases
from analytics.estimation.results import Estimate, TestResult
from analytics.estimation.risks import baseline_uncertainty, exit_risks, hazard_shares
from analytics.estimation.subgroups import (PAIR_LABELS, cross_generation_effects, group_effects, meetings_effects,
                                            mentor_manager_effects, mentor_own_effect, pair_labels,
                                            programme_effects, reverse_pair_effects)
from analytics.estimation.trial import target_trial
from analytics.estimation.zph import scaled_schoenfeld
from analytics.store import database, queries
from analytics.store.cohorts import Cohort, FILTER_DIMENSIONS, in_order
from analytics.words import verdict
from analytics.words.lasting import lasting_label, lasting_why
from analytics.words.wording import (ASSUMED_COST, ASSUMED_SALARY, DIMENSION_LABELS, HORIZON_ASSUMED, MISSING_SALARY,
                                     PROGRAMME_ASSUMED, TARGET_ASSUMED, YOUR_INPUT, from_data, from_model, naive_of,
                                     naive_source, rounded_to)


@dataclass(frozen=True)
class Assumptions:
    """Business-case inputs that are not in the data (None salary = the data's average)."""

    coverage_target: float = COVERAGE_TARGET
    replacement_cost_pct: float = REPLACEMENT_COST_PCT
    programme_cost_per_mentee: float = PROGRAMME_COST_PER_MENTEE
    horizon_years: int = HORIZON_YEARS
    average_salary: float | None = None
    salary_if_missing: float | None = None  # used only when the data has no salary, its source salary_source
    salary_source: str = ASSUMED_SALARY  # a default is an assumption; the caller says when the user gave it
    cost_source: str = ASSUMED_COST
    # the fully loaded cost and the money's time (business.py): None leaves the default, labelled an assumption
    mentor_hours_per_month: float | None = None
    mentee_hours_per_month: float | None = None
    hourly_cost: float | None = None     # None: from the average salary, loaded (policy.LOADED_COST_FACTOR)
    discount_rate: float | None = None
    currency: str | None = None          # None: the salaries' own (the load found it), else the default sign
    currency_source: str = YOUR_INPUT


@dataclass(frozen=True)
class Headline:
    """Everything the executive screen says, computed once. A figure the data cannot give
    is None, with the reason in `missing`."""

    follow_up: FollowUp
    naive: ModelFit | None
    time_varying: ModelFit | None
    adjusted: ModelFit | None
    curves: GroupCurves | None
    retention: dict[str, Estimate] | None
    rmst: dict[str, Estimate] | None
    logrank: TestResult | None
    business: BusinessCase | None
    missing: dict[str, str] = field(default_factory=dict)
    horizon_days: int = HORIZON_DAYS
    tau_days: int = TAU_DAYS
    notes: dict[str, Any] = field(default_factory=dict)
    median_tenure: dict[str, Estimate] | None = None  # days; NaN where the curve never reaches half
    warnings: tuple[str, ...] = ()  # about the data as loaded: rows set aside, exits with unclear reasons
    phases: MentoringPhases | None = None  # the effect while mentoring runs and after it has ended (the money's)


def _attempt(missing: dict[str, str], key: str, func: Callable[..., Any], *args: Any,
             needs: tuple[str, ...] = ()) -> Any:
    """Run one analysis; a cohort it cannot be done for leaves None and the reason. `needs`: the
    earlier results among `args`, whose reason is this one's when they are missing."""
    if any(missing.get(k) for k in needs) or (not needs and any(arg is None for arg in args)):
        missing[key] = next((missing[k] for k in needs if k in missing), "not enough data")
        return None
    try:
        return func(*args)
    except RetentionError as exc:
        missing[key] = str(exc)
        return None


def headline(con, cohort: Cohort | None = None, as_of: date | str | None = None, event: str | None = None,
             assumptions: Assumptions = Assumptions(), horizon_days: int = HORIZON_DAYS,
             tau_days: int = TAU_DAYS, base: FollowUp | None = None,
             covariates: tuple[str, ...] | None = None, columns: tuple[str, ...] | None = None,
             read: tuple | None = None, on_adjusted: Callable[[FollowUp], None] | None = None) -> Headline:
    """Every headline figure for a cohort; `base`: everyone's follow-up already read (see follow_up);
    `covariates`: what the adjusted model compares on (default: everything it can); `columns`: the
    episodes' columns to read (see follow_up; default: all of them); `read`: the follow-up read already
    (queries.read_follow_up); `on_adjusted(follow-up)`: called once the adjusted model is fitted (kept on the
    follow-up), while the rest is still worked out, for work that starts from it."""
    covariates = None if covariates is None else check_covariates(covariates)
    if read is None:
        progress.step("follow_up")
    fu = follow_up(con, cohort, as_of, event, base, columns, read)
    missing: dict[str, str] = {}
    progress.step("models", people=fu.n_employees, rows=len(fu.rows))

    def honest() -> tuple[ModelFit | None, MentoringPhases | None]:  # the adjusted model, then its phases
        fit = _attempt(apart["honest"], "adjusted", lambda f: honest_model(f, covariates), fu)
        # the effect while mentoring runs and after it has ended: how long the money credits it (verdict.lasting),
        # beside the other chains, on a cursor of its own
        if fit is None:
            return None, None
        if on_adjusted is not None:
            on_adjusted(fu)
        with contextlib.closing(con.cursor()) as own:
            return fit, _attempt(apart["honest"], "mentoring_phases", mentoring_phases, own, fu)

    def simple() -> tuple:  # the naive and time-varying models, the curves, the log-rank test, how common exits are
        m = apart["simple"]
        curves = _attempt(m, "curves", extended_km, fu)
        return (_attempt(m, "naive", naive_model, fu), _attempt(m, "time_varying", time_varying_model, fu),
                curves, _attempt(m, "logrank", logrank_test, fu) if curves else None, how_common())

    def how_common() -> bool | RetentionError:  # for the E-value; what it raises counts only if the adjusted model fits
        try:
            return outcome_is_common(fu)
        except RetentionError as exc:
            return exc

    def other() -> None:  # the other exits' model, on the adjusted model's columns, for each person's risk
        if fu.event != "all":
            with contextlib.suppress(RetentionError):  # then the business case says why not
                other_exits_model(fu, covariates)

    apart: dict[str, dict[str, str]] = {"honest": {}, "simple": {}}  # each thread's reasons, merged in order below
    # the other exits' model waits for the adjusted model's columns, then runs beside both chains
    (adjusted, phases), (naive, tv, curves, test, common), _ = parallel.each(lambda work: work(),
                                                                             (honest, simple, other), all_at_once=True)
    if adjusted is not None:  # how strong an unmeasured factor would have to be to explain it away
        if isinstance(common, RetentionError):
            raise common
        adjusted = replace(adjusted, e_value=e_value(adjusted.hazard_ratio, common))
    both = {**apart["honest"], **apart["simple"]}
    missing.update((k, both[k]) for k in ("naive", "time_varying", "adjusted", "curves", "logrank", "mentoring_phases")
                   if k in both)
    if adjusted is None:
        missing["mentoring_phases"] = missing.get("adjusted", "not enough data")
    if adjusted is not None:  # each person's risk from both (kept on the follow-up for the business case)
        with contextlib.suppress(RetentionError):  # the business case says why not
            exit_risks(fu, adjusted, assumptions.horizon_years * DAYS_PER_YEAR, mentored=False)
    retention = _attempt(missing, "retention", retention_at, curves, horizon_days, needs=("curves",))
    restricted = _attempt(missing, "rmst", rmst, curves, tau_days, needs=("curves",))
    medians = _attempt(missing, "median_tenure", median_tenure, curves, needs=("curves",))
    why_not = missing.get("mentoring_phases")
    progress.step("risks")
    found = (database.metadata(con, "load_report") or {}).get("salary_currency")  # as the load read the salaries
    if assumptions.currency is None and isinstance(found, str) and found:  # the data's own, said so
        assumptions = replace(assumptions, currency=found, currency_source=from_data(int(fu.n_employees), fu.rounded)
                              + ": the salaries' currency")
    case = _attempt(missing, "business_case", _business, fu, adjusted, naive, assumptions,
                    queries.mentoring_left(con, fu.as_of, cohort, round(PROGRAMME_YEARS * DAYS_PER_YEAR),
                                           by_person=True),
                    phases, why_not, needs=("adjusted",))
    notes = {"simulated": database.is_demo(con),
             "ignored_mentorships": queries.ignored_mentorships(con, fu.as_of, cohort),
             "hired_after_as_of": queries.hired_after(con, fu.as_of, cohort),
             "mentored_now": queries.mentored_now(con, fu.as_of, cohort),
             "no_follow_up_time": int((fu.episodes["duration_days"] <= 0).sum())}
    return Headline(follow_up=fu, naive=naive, time_varying=tv, adjusted=adjusted, curves=curves,
                    retention=retention, rmst=restricted, logrank=test, business=case, missing=missing,
                    horizon_days=horizon_days, tau_days=tau_days, notes=notes, median_tenure=medians,
                    warnings=tuple(queries.data_warnings(con, fu.as_of, fu.event)), phases=phases)


def _few(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Two groups' (people in scope, employed now) differ by 1 to MIN_GROUP_SIZE - 1 in either."""
    return any(0 < abs(x - y) < MIN_GROUP_SIZE for x, y in zip(a, b))


def _total(counts: dict, values) -> tuple[int, int]:
    return tuple(sum(counts[v][i] for v in values) for i in (0, 1))


def _offered(counts: dict) -> list:
    """Values that add or take away no one, or at least MIN_GROUP_SIZE people in scope and employed now."""
    return [v for v, c in counts.items() if v is not None and not _few(c, (0, 0))]


def offered_values(con, cohort: Cohort, as_of: date | str, dimension: str) -> list:
    """The values of a sidebar filter it may offer, given the other filters: those that add or take away no one, or
    at least MIN_GROUP_SIZE people in scope and employed now (a value of 1-4 would single them out)."""
    return _offered(queries.neighbour_counts(con, as_of, cohort, dimension))


def one_step_from_few(con, cohort: Cohort, as_of: date | str) -> str | None:
    """Privacy against subtraction: the filter (a FILTER_DIMENSIONS name, or 'hire_year') that puts this selection
    within one step of another one that differs from it by 1 to MIN_GROUP_SIZE - 1 people in scope, or employed now;
    None when none does. A step is one value offered (offered_values) more or fewer, one hire year more or fewer at
    either end of the range, or the filter cleared. A filtered result is shown only where this is None, so no two
    results a person can see single out a few people, averages and curves included. Everyone's own figures are
    exact and always shown (a filtered neighbour of them is withheld instead)."""
    if cohort.is_everyone():
        return None
    for dimension in (*FILTER_DIMENSIONS, "hire_year"):
        counts = queries.neighbour_counts(con, as_of, cohort, dimension)
        everyone = _total(counts, counts)
        if dimension == "hire_year":
            lo, hi = cohort.hire_year_from, cohort.hire_year_to
            if lo is None and hi is None:
                continue  # not filtered on hire years: its steps are other selections' business
            years = sorted(v for v in counts if v is not None)
            chosen = [y for y in years if (lo is None or y >= lo) and (hi is None or y <= hi)]
            below, above = [y for y in years if y < lo] if lo is not None else [], \
                [y for y in years if y > hi] if hi is not None else []
            steps = [chosen[1:], chosen[:-1]] + ([[below[-1], *chosen]] if below else []) + \
                    ([[*chosen, above[0]]] if above else [])
            now = _total(counts, chosen)
            if _few(now, everyone) or any(_few(now, _total(counts, step)) for step in steps if step):
                return dimension
            continue
        picked = set(getattr(cohort, dimension))
        offered = set(_offered(counts))
        if not picked:
            continue  # not filtered here: a value of it added is that selection's own step, checked there
        if picked - offered:
            return dimension  # a value that is not offered (chosen before the other filters made it small)
        now = _total(counts, [v for v in counts if v in picked])
        if _few(now, everyone):  # the filter cleared
            return dimension
        for value in offered:
            other = picked ^ {value}
            if other and _few(now, _total(counts, [v for v in counts if v in other])):
                return dimension
    return None


def median_tenure(curves: GroupCurves) -> dict[str, Estimate]:
    """Median months-since-hire of each extended Kaplan-Meier curve, with its CI (R's print.survfit)."""
    return {name: getattr(curves, name).median_() for name in ("mentored", "unmentored")}


def business_inputs(fu: FollowUp, adjusted: ModelFit, naive: ModelFit | None, assumptions: Assumptions,
                    mentoring_left: pd.DataFrame, phases: MentoringPhases | None = None,
                    why_not: str | None = None) -> BusinessCaseInputs:
    """The business case's inputs: each current employee's own risk from the cohort's adjusted model, the
    mentoring still running (queries.mentoring_left by person), the effect credited while it runs and after it ended
    (verdict.lasting, from `phases`; None with `why_not`: not checked), and the rest from the assumptions
    (business.py has the method)."""
    horizon_days = assumptions.horizon_years * DAYS_PER_YEAR
    people = exit_risks(fu, adjusted, horizon_days, mentored=False).people  # p_unmentored is what it uses
    salary = assumptions.average_salary
    salary_input = Input(salary, YOUR_INPUT) if salary is not None else None
    if salary is None and people["salary"].notna().any():  # the same people the risks are for
        mean, paid = float(people["salary"].mean()), int(people["salary"].notna().sum())
        if fu.rounded:  # a filtered group's average, like its counts, is rounded: two filters cannot single out a pay
            mean = round(mean / ROUNDED_SALARY) * ROUNDED_SALARY
        salary_input = Input(mean, from_data(paid, fu.rounded) + (rounded_to(ROUNDED_SALARY) if fu.rounded else ""))
    if salary_input is None and assumptions.salary_if_missing is not None:
        salary_input = Input(assumptions.salary_if_missing, assumptions.salary_source)
    if salary_input is None:
        raise MissingInputError("average_salary", MISSING_SALARY)
    now, others = people[people["mentored"]], people[~people["mentored"]]
    coverage_now = len(now) / len(people) if len(people) else 0.0
    hr = adjusted.hazard_ratio
    naive_inputs = {} if naive is None else dict(  # shown beside the honest case when the naive model fits
        naive_hazard_ratio=Input(naive.hazard_ratio.estimate, naive_source(naive_of(naive.hazard_ratio,
                                                                                     adjusted.hazard_ratio))),
        naive_hazard_ratio_lower=naive.hazard_ratio.lower, naive_hazard_ratio_upper=naive.hazard_ratio.upper)
    in_model = fu.people_among()  # the model's people, not its counting-process rows
    to_pay = mentoring_left.loc[mentoring_left["days_left"] > 0, "days_left"].to_numpy(float)  # what it still costs
    years_left = np.minimum(to_pay / DAYS_PER_YEAR, assumptions.horizon_years)
    # each person's share of the horizon's hazard while mentoring runs: today's mentees for the days theirs still
    # runs (none once it has ended; one with no end date is ongoing, as the effect while mentored counts it), everyone
    # else for a new mentee's programme
    runs = pd.Series(np.where(mentoring_left["open_ended"], horizon_days, mentoring_left["days_left"]),
                     index=mentoring_left.index)
    days_left = people["employee_id"].map(runs).fillna(0.0).to_numpy(float)
    programme_days = np.where(people["mentored"], days_left, PROGRAMME_YEARS * DAYS_PER_YEAR)
    shares = hazard_shares(fu, adjusted, horizon_days, programme_days)
    mentored = people["mentored"].to_numpy(bool)
    running_now = int(people["employee_id"].isin(mentoring_left.index).sum())  # mentored now: a mentorship running
    # each person's share of the horizon's baseline hazard by the end of each year before the last (discounting and
    # the first year alone)
    years = [hazard_shares(fu, adjusted, horizon_days, np.full(len(people), k * DAYS_PER_YEAR))
             for k in range(1, int(np.ceil(assumptions.horizon_years)))]
    p0 = people["p_unmentored"].to_numpy(float)  # the baseline's own uncertainty, for each group's ranges
    spread = {f"baseline_spread_{group}": Input(baseline_uncertainty(fu, adjusted, horizon_days, p0[pick], pick),
                                                from_model(in_model, fu.rounded))
              for group, pick in (("now", mentored), ("others", ~mentored))}
    given = {name: Input(getattr(assumptions, name), assumptions.currency_source if name == "currency" else YOUR_INPUT)
             for name in ("mentor_hours_per_month", "mentee_hours_per_month", "hourly_cost", "discount_rate", "currency")
             if getattr(assumptions, name) is not None}
    assumption = verdict.lasting(phases)
    running, after = verdict.credited(assumption, phases, hr)
    credit = Input(running["estimate"], from_model(in_model, fu.rounded))
    return BusinessCaseInputs(
        people_in_scope=Input(len(people), from_data(len(people), fu.rounded)),
        exit_risks_now=Input(tuple(now["p_unmentored"]), from_model(in_model, fu.rounded)),
        exit_risks_others=Input(tuple(others["p_unmentored"]), from_model(in_model, fu.rounded)),
        hazard_ratio=Input(hr.estimate, from_model(in_model, fu.rounded)),
        hazard_ratio_lower=hr.lower, hazard_ratio_upper=hr.upper,
        coverage_target=Input(max(assumptions.coverage_target, coverage_now),  # the default is an assumption
                              TARGET_ASSUMED if assumptions.coverage_target == COVERAGE_TARGET else YOUR_INPUT),
        average_salary=salary_input,
        programme_cost_per_mentee=Input(assumptions.programme_cost_per_mentee, assumptions.cost_source),
        mentee_years_now=Input(float(years_left.sum()), from_data(len(years_left), fu.rounded)),
        replacement_cost_pct=(assumptions.replacement_cost_pct if assumptions.replacement_cost_pct == REPLACEMENT_COST_PCT
                              else Input(assumptions.replacement_cost_pct, YOUR_INPUT)),
        horizon_years=Input(assumptions.horizon_years,
                            HORIZON_ASSUMED if assumptions.horizon_years == HORIZON_YEARS else YOUR_INPUT),
        counts_rounded=fu.rounded, **naive_inputs,
        running_hazard_ratio=credit, running_hazard_ratio_lower=running["lower"],
        running_hazard_ratio_upper=running["upper"],
        after_hazard_ratio=Input(after["estimate"], credit.source if assumption != verdict.WHILE_RUNNING else
                                 lasting_label(assumption)),
        after_hazard_ratio_lower=after["lower"], after_hazard_ratio_upper=after["upper"],
        running_shares_now=Input(tuple(shares[mentored]), from_data(int(mentored.sum()), fu.rounded)),
        running_shares_others=Input(tuple(shares[~mentored]), PROGRAMME_ASSUMED),
        mentored_now=Input(running_now, from_data(running_now, fu.rounded)),
        year_shares_now=tuple(tuple(y[mentored]) for y in years) or None,
        year_shares_others=tuple(tuple(y[~mentored]) for y in years) or None, **given, **spread,
        lasting_effect=assumption,
        lasting_why=lasting_why(assumption, phases.to_dict(fu.rounded) if phases else None, why_not))


def _business(fu, adjusted, naive, assumptions, mentoring_left, phases=None, why_not=None) -> BusinessCase:
    return business_case(business_inputs(fu, adjusted, naive, assumptions, mentoring_left, phases, why_not))


# ---------------------------------------------------------------- JSON and words

def _dicts(values: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: (values[k].to_dict() if values else None) for k in keys}


def _covariates_from(h: Headline) -> dict[str, Any]:
    """The adjusted model's entry, saying where its characteristics came from: "history" (as they were, from the
    job history) or "snapshot" (as the employee file gives them)."""
    return {"adjusted": {**h.adjusted.to_dict(), "covariates_from": h.follow_up.covariates_from}} if h.adjusted else {}


def to_json(h: Headline) -> dict[str, Any]:
    fu = h.follow_up
    test = h.logrank
    return {
        "as_of": fu.as_of.isoformat(), "event": fu.event, "cohort": fu.cohort.describe(),
        # with the regrettable event, how it was told: the employee file's flag, the flag or else the top rating, or
        # the top rating alone (queries.REGRETTABLE_BY); null for another event
        "regrettable_by": fu.regrettable_by,
        # privacy: a count of 1-4 people is null; at an as-of date other than the data's own (or for a filtered
        # group) every count is to the nearest 5, as on the pages (docs/design.md, Privacy)
        "n_employees": shown_total(fu.n_employees, fu.rounded), "n_mentored": shown_total(fu.n_mentored, fu.rounded),
        "n_events": shown_total(fu.n_events, fu.rounded), "counts_rounded": fu.rounded,
        "hazard_ratio": {k: (getattr(h, k).to_dict() if getattr(h, k) else None)
                         for k in ("naive", "time_varying", "adjusted")} | _covariates_from(h),
        # each with its people (rounded as the counts are), so a range of zero width is said as "no one left (n)"
        "retention": {"horizon_days": h.horizon_days, **{k: (None if not h.retention else {
            **h.retention[k].to_dict(), "people": None if h.retention[k].n is None else
            shown_total(int(h.retention[k].n), fu.rounded)}) for k in ("mentored", "unmentored")}},
        "rmst": {"tau_days": h.tau_days, **_dicts(h.rmst, ("mentored", "unmentored", "difference"))},
        # days; null estimate: more than half still employed at the end of follow-up (not reached)
        "median_tenure_days": _dicts(h.median_tenure, ("mentored", "unmentored")),
        "logrank": {"chisq": float(test.statistic), "df": int(test.df), "p": float(test.p)} if test else None,
        "business_case": h.business.to_dict() if h.business else None,
        "not_available": dict(h.missing),
        # privacy: counts in the notes follow the same rule (a count of 1-4 is null)
        "notes": {k: shown_total(v, fu.rounded) if isinstance(v, int) and not isinstance(v, bool) else v
                  for k, v in h.notes.items()},
        "warnings": list(h.warnings),
        # what the figures say, decided once (analytics/words/verdict.py): every page, export and the briefing say the same
        "verdict": verdict.decisions(*(getattr(h, k).hazard_ratio.to_dict() if getattr(h, k) else None
                                       for k in ("naive", "time_varying", "adjusted")),
                                     h.business.per_new.net_benefit if h.business else None,
                                     h.business.inputs.lasting_effect if h.business else None),
    }


def summarise(con, as_of: date | str | None = None, event: str | None = None, cohort: Cohort | None = None,
              assumptions: Assumptions = Assumptions(), read: tuple | None = None,
              changes: pd.DataFrame | None = None) -> dict[str, Any]:
    """The headline figures and where to extend next, as one JSON-ready dict; `read`: the follow-up read
    already with queries.read_follow_up (queries.HEADLINE_COLUMNS; the CLI reads it while this module loads);
    `changes`: the job history's changes read already with queries.job_changes, at the same as-of date and
    cohort (the CLI reads them too while it waits)."""
    from analytics.case.where_next import for_headline, segment_work  # where_next builds on this module's results

    # Two things the headline's adjusted model leads to, each on its own and each starting from it: outcomes beyond
    # exits from the job history (analytics/estimation/outcomes.py), reading the store through a connection of its
    # own, and for where to extend next each dimension's own model (analytics/case/where_next.py). Side by side on
    # the cores, begun as soon as the adjusted model is fitted, beside the rest of the headline (mentoring's
    # phases, the other models, each person's risk, the business case), when the memory allows both.
    later: dict[str, Any] = {}
    context = contextvars.copy_context()

    def after(fu: FollowUp) -> list:
        segments, memory = segment_work(fu, fu._kept[headline_key("mentored", None)])
        # the segments' models first: they share the headline's risk sets, which the outcome's own would push
        # out of those kept (kept.py)
        work = [*segments, lambda: _own_connection(con, outcome_effects, fu, changes)]
        return parallel.each(lambda job: job(), work, memory_each=memory)

    def begin(fu: FollowUp) -> None:  # called on the adjusted model's thread: the work goes on on its own
        try:
            memory = segment_work(fu, fu._kept[headline_key("mentored", None)])[1]
        except Exception:  # noqa: BLE001 - then after the headline, where what went wrong is said
            return
        # two segments' models at a time, and beside them mentoring's phases (the same columns on a few more rows)
        if 3 * memory > SIDE_BY_SIDE_BYTES:
            return  # not beside the headline's own models: after them
        later["thread"] = threading.Thread(target=context.run, args=(_kept_outcome, later, after, fu),
                                           name="analysis-after", daemon=True)
        later["thread"].start()

    h = headline(con, cohort, as_of, event, assumptions, columns=queries.HEADLINE_COLUMNS, read=read,  # nothing else read
                 on_adjusted=begin)
    result = to_json(h)
    fu = h.follow_up
    # the effect while mentoring runs and after it has ended, apart (analytics/estimation/phases.py; the headline's)
    result["mentoring_phases"] = h.phases.to_dict(fu.rounded) if h.phases else None
    # like with like at the moment mentoring begins, in risks (analytics/estimation/trial.py; the Methods panel's)
    progress.step("trial")
    try:
        result["target_trial"] = target_trial(con, fu.as_of, fu.event, fu.cohort).to_json(fu.rounded)
    except NotEnoughData as exc:
        result["target_trial"] = None
        result["not_available"]["target_trial"] = str(exc)
    progress.step("where_next")
    if "thread" in later:
        later["thread"].join()
        if "error" in later:
            raise later["error"]
        done = later["result"]
    elif h.adjusted is not None and h.business is not None:
        done = after(fu)
    else:  # no ranking to make (the outcomes say why not themselves where they cannot be had)
        done = [outcome_effects(con, fu, changes)]
    *effects, (outcomes, why_not) = done
    result["outcomes"] = {name: effect.to_dict(fu.rounded) if effect else None for name, effect in outcomes.items()}
    result["not_available"].update({f"outcome_{name}": reason for name, reason in why_not.items()})
    # where to extend next, best first (exploratory): empty without a business case
    return {**result, "where_next": [s.to_dict(fu.rounded) for s in for_headline(h, effects=effects or None)]}


def _kept_outcome(into: dict, func: Callable[..., Any], *args: Any) -> None:
    """func(*args) into `into`: its result, or the error it raised (to be raised where it is waited for)."""
    try:
        into["result"] = func(*args)
    except BaseException as exc:  # noqa: BLE001 - raised again by the thread that waits for it
        into["error"] = exc


def _own_connection(con, func: Callable[..., Any], *args: Any) -> Any:
    """func(a connection of its own to the same database, *args): a DuckDB connection is used by one thread at
    a time, and its cursor is another connection to the same database."""
    with con.cursor() as own:
        return func(own, *args)


# ---------------------------------------------------------------- the analysts' pages

@dataclass(frozen=True)
class Diagnostics:
    """What the Methods page shows, each None with a reason when the cohort cannot give it."""

    headline: Headline
    ph_test: Any
    schoenfeld: Any
    landmarks: dict[int, Any]
    exit_causes: dict[str, Any] | None
    mentors: ModelFit | None
    meetings: list | None
    missing: dict[str, str]
    exit_causes_by_mentoring: dict[str, Any] | None = None  # the same, mentored time and not (delayed entry)
    phases: MentoringPhases | None = None  # the effect while mentoring runs and after it has ended
    at_hire: ModelFit | None = None  # with a job history: the honest model on characteristics fixed at hire
    outcomes: dict[str, Any] | None = None  # with a job history: mentoring's effect on promotions and moves


def diagnostics(con, cohort: Cohort | None = None, as_of: date | str | None = None,
                event: str | None = None, landmark_months: tuple[int, ...] = LANDMARK_MONTHS,
                base: FollowUp | None = None, covariates: tuple[str, ...] | None = None,
                horizon_days: int = HORIZON_DAYS, tau_days: int = TAU_DAYS) -> Diagnostics:
    """The Methods page's analyses; `covariates`, `horizon_days` and `tau_days` are an analyst's choices (the
    Overview and the exports keep the defaults)."""
    h = headline(con, cohort, as_of, event, base=base, covariates=covariates, horizon_days=horizon_days,
                 tau_days=tau_days)
    fu, missing = h.follow_up, dict(h.missing)
    ph = _attempt(missing, "ph_test", proportional_hazards, h.adjusted, needs=("adjusted",))
    resid = _attempt(missing, "schoenfeld", lambda fit: scaled_schoenfeld(fit.result), h.adjusted, needs=("adjusted",))
    marks = {m: _attempt(missing, f"landmark_{m}", landmark, fu, m * DAYS_PER_MONTH) for m in landmark_months}
    causes = _attempt(missing, "exit_causes", exit_causes, fu)
    causes_split = _attempt(missing, "exit_causes_by_mentoring", exit_causes_by_mentoring, fu)
    mentors = _attempt(missing, "mentors", mentor_own_effect, con, fu)
    meetings = _attempt(missing, "meetings", meetings_effects, fu)
    phases = h.phases
    at_hire = (_attempt(missing, "at_hire", lambda f: at_hire_model(f, covariates), fu)
               if fu.covariates_from == "history" else None)
    outcomes, why_not = outcome_effects(con, fu)
    missing.update({f"outcome_{name}": reason for name, reason in why_not.items()})
    return Diagnostics(headline=h, ph_test=ph, schoenfeld=resid, landmarks=marks, exit_causes=causes,
                       exit_causes_by_mentoring=causes_split, mentors=mentors, meetings=meetings, missing=missing,
                       phases=phases, at_hire=at_hire, outcomes=outcomes)


@dataclass(frozen=True)
class Outcomes:
    """Promotions and internal moves for a cohort, as the Cohorts page shows them: mentoring's effect on each (as
    `summarise` gives it under "outcomes"), or why not, and for each one estimated the share who had one by each
    day since hire in mentored and not (yet) mentored time (outcomes.outcome_incidence). `history` False: no job
    history is loaded (nothing else is filled)."""

    history: bool
    effects: dict[str, OutcomeEffect | None] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    incidence: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)  # outcome -> group -> its table
    rounded: bool = False  # a filtered group's, or at a chosen as-of date: counts to the nearest 5, curves by month


def outcomes(con, cohort: Cohort | None = None, as_of: date | str | None = None, event: str | None = None,
             base: FollowUp | None = None) -> Outcomes:
    """Promotions and internal moves for a cohort (see Outcomes); the job history's changes are read once."""
    fu = follow_up(con, cohort, as_of, event, base)
    if fu.covariates_from != "history":
        return Outcomes(history=False, rounded=fu.rounded)
    changes = queries.job_changes(con, fu.as_of, fu.cohort)
    effects, why_not = outcome_effects(con, fu, changes)
    missing = {f"outcome_{name}": reason for name, reason in why_not.items()}  # as summarise's not_available
    # curves only where the effect is estimated: an outcome too few people had is not drawn either (privacy)
    curves = {name: _attempt(missing, f"incidence_{name}", outcome_incidence, fu, name, changes)
              for name in OUTCOMES if effects.get(name) is not None}
    return Outcomes(history=True, effects=effects, missing=missing,
                    incidence={name: split for name, split in curves.items() if split}, rounded=fu.rounded)


COHORT_DIMENSIONS = DIMENSION_LABELS  # every dimension the Cohorts page compares, with its name in words
MENTORING_DIMENSIONS = ("program_type", "mentor_is_manager", "reverse_pair", "cross_generation")


@dataclass(frozen=True)
class CohortComparison:
    dimension: str
    curves: dict[str, Any]          # group -> KaplanMeier (groups under the minimum left out)
    table: Any                      # DataFrame: group, people, exits, retention, RMST
    effects: list
    interaction: TestResult | None
    suppressed: list[str]
    rounded: bool = False  # a filtered group's, or at a chosen as-of date: counts shown to the nearest 5
    everyone: Any = None   # KaplanMeier of every group shown together (a reference line for each group's own chart)
    others: dict[str, Any] = field(default_factory=dict)  # "other (k groups)" -> the groups after the largest, pooled


def compare_cohorts(con, dimension: str, cohort: Cohort | None = None, as_of: date | str | None = None,
                    event: str | None = None, horizon_days: int = HORIZON_DAYS,
                    tau_days: int = TAU_DAYS, base: FollowUp | None = None) -> CohortComparison:
    """Retention by group of a dimension, and the mentoring effect within each group."""
    if dimension not in COHORT_DIMENSIONS:
        raise RetentionError(f"dimension must be one of {sorted(COHORT_DIMENSIONS)}, but was {dimension!r}")
    fu = follow_up(con, cohort, as_of, event, base)
    if dimension in MENTORING_DIMENSIONS:
        # mentored time enters at the mentoring start (extended KM), never from hire
        data = fu.rows
        labels = pair_labels(data, dimension) if dimension in PAIR_LABELS else \
            data[dimension].astype("string").fillna("unspecified")
        labels = labels.where(data["mentored"], "not mentored")
    else:
        data = fu.episodes[fu.episodes["duration_days"] > 0].assign(start=0, stop=lambda d: d["duration_days"])
        labels = data[dimension].astype("string").fillna("not recorded")
    curves, rows, suppressed = {}, [], []
    for group in in_order(dimension, labels.unique()):
        part = data[labels == group]
        people = part["employee_id"].nunique()
        if people < MIN_GROUP_SIZE:
            suppressed.append(group)
            continue
        km = KaplanMeier().fit(part["start"], part["stop"], part["event"])
        curves[group] = km
        at_horizon = km.survival_at(horizon_days)
        mentored = part.loc[part["mentored"], "employee_id"].nunique()
        rows.append({"group": group, "people": people, "exits": shown_count(int(part["event"].sum())),
                     "mentored": mentored if mentored >= MIN_GROUP_SIZE or mentored == 0 else None,
                     "retention": at_horizon.estimate, "retention_lower": at_horizon.lower,
                     "retention_upper": at_horizon.upper,
                     "rmst_months": km.rmst(tau_days).estimate / DAYS_PER_MONTH})
    if len(suppressed) == 1 and rows:  # one hidden group is the total less the others: hide the next smallest too
        smallest = min(rows, key=lambda r: r["people"])
        rows.remove(smallest)
        curves.pop(smallest["group"], None)
        suppressed.append(smallest["group"])
    shown_groups = labels.isin(list(curves)).to_numpy()
    everyone = KaplanMeier().fit(data["start"][shown_groups], data["stop"][shown_groups], data["event"][shown_groups]) \
        if len(curves) > 1 else None
    others = {}
    if len(curves) > MANY_GROUPS:  # the largest groups, and the rest pooled, for a chart that stays readable
        rest = [r["group"] for r in sorted(rows, key=lambda r: -r["people"])[MANY_GROUPS - 1:]]
        pooled = labels.isin(rest).to_numpy()
        others[f"other ({len(rest)} groups)"] = KaplanMeier().fit(data["start"][pooled], data["stop"][pooled],
                                                                  data["event"][pooled])
    missing: dict[str, str] = {}
    special = {"program_type": programme_effects, "mentor_is_manager": mentor_manager_effects,
               "reverse_pair": reverse_pair_effects, "cross_generation": cross_generation_effects}
    interaction = None
    if dimension in special:
        effects = _attempt(missing, "effects", special[dimension], fu) or []
    else:
        both = _attempt(missing, "effects", group_effects, fu, dimension)
        effects, interaction = both if both else ([], None)
    table = pd.DataFrame(rows)
    if fu.rounded and len(table):  # a filtered group or a chosen as-of date: its counts as its total is shown
        for column in ("people", "exits", "mentored"):
            table[column] = [None if v is None or pd.isna(v) else shown_total(int(v), True) for v in table[column]]
    return CohortComparison(dimension, curves, table, _complementary(effects), interaction, suppressed, fu.rounded,
                            everyone, others)


def _complementary(effects: list) -> list:
    """When exactly one group's people are hidden, the smallest shown group's counts are hidden too, so
    the hidden one cannot be worked out from the total."""
    hidden = [e for e in effects if e.people is None]
    shown = [e for e in effects if e.people is not None]
    if len(hidden) != 1 or not shown:
        return effects
    smallest = min(shown, key=lambda e: e.people)
    return [replace(e, people=None, exits=None) if e is smallest else e for e in effects]
