"""Messages built from a headline and its business case, in the words of words/wording.py: key messages, the
briefing, the tables of retention, the business case and where to extend next, and the figures quoted beside ours.
"""
from __future__ import annotations

import functools
import html
from datetime import date
from typing import Any

import pandas as pd

from analytics.case.business import BusinessCase, BusinessCaseInputs, Outcome, Range, sensitivity
from analytics.case.summary import Headline, Outcomes
from analytics.estimation.trial import TargetTrial
from analytics.common.policy import DAYS_PER_MONTH, count_words, shown_total
from analytics.outputs.svg import incidence_points
from analytics.words import lasting, regrettable, verdict, wording
from analytics.words.wording import (CALCULATED, CURRENCY, DASH, DEMO_NOTE, NAIVE_READING, NAIVE_SHORT, ROUNDING_NOTE,
                                     UNADJUSTED, covariate_words, covariates_note, effect_note, effect_sentence,
                                     event_words, exits_cell, exits_words, hr_words, label, leaving_words,
                                     less_likely, loss_note, money, money_exact, months, naive_case_label,
                                     naive_claim, naive_of, no_estimate, pct, pct_range, per_period, rate_words,
                                     segment_words, staying_words, total_words, years_words)


MODEL_KEYS = ("naive", "time_varying", "adjusted")


def model_labels(h: Headline) -> dict[str, str]:
    """The three estimates' chart names; the naive one says whether it over- or understates here."""
    reading = naive_of(h.naive.hazard_ratio if h.naive else None, h.adjusted.hazard_ratio if h.adjusted else None)
    return {"naive": "Naive report" + (f" ({NAIVE_SHORT[reading]})" if reading else ""),
            "time_varying": "From mentoring start", "adjusted": "Honest: like with like"}


def model_effects(h: Headline) -> dict:
    """The three estimates' hazard ratios under their chart names (None where not estimated)."""
    return {label: (getattr(h, key).hazard_ratio if getattr(h, key) else None)
            for key, label in model_labels(h).items()}


def retention_table(h: Headline, rounded: bool = False) -> pd.DataFrame:
    """Each group's share still here at the headline's horizon and its restricted mean months, with ranges."""
    rows = []
    for name in ("mentored", "unmentored"):
        r = h.retention[name] if h.retention else None
        m = h.rmst[name] if h.rmst else None
        rows.append({"group": name,
                     "people": None if r is None or r.n is None else total_words(r.n, rounded),
                     f"still here at {months(h.horizon_days)} months": DASH if r is None else pct(r.estimate),
                     "range": DASH if r is None else pct_range(r.lower, r.upper),
                     f"months kept of the first {months(h.tau_days)}": DASH if m is None else
                     f"{m.estimate / DAYS_PER_MONTH:.1f} ({m.lower / DAYS_PER_MONTH:.1f} to {m.upper / DAYS_PER_MONTH:.1f})"})
    return pd.DataFrame(rows)


def group_effects_table(effects: list, rounded: bool = False) -> pd.DataFrame:
    """Each group's hazard ratio as the Cohorts page shows it: a count or figure not shown reads as such (never a
    bare 'None'), the ratios to two places."""
    table = pd.DataFrame([e.as_row(rounded) for e in effects]).drop(columns=["dimension"]).fillna({"note": ""})
    for column in ("people", "exits"):
        table[column] = [count_words(None if v is None or v != v else int(v)) for v in table[column]]
    for column, form in (("estimate", "{:.2f}"), ("lower", "{:.2f}"), ("upper", "{:.2f}"), ("p", "{:.2g}")):
        table[column] = [DASH if v is None or v != v else form.format(v) for v in table[column]]
    return table.rename(columns={"estimate": "hazard ratio"})


def outcomes_table(o: Outcomes) -> pd.DataFrame:
    """Each outcome's hazard ratio, its range and what it rests on, as `summary --json` gives them under "outcomes"
    (counts rounded as the cohort's are); an outcome not estimated is left out (the page says why)."""
    rows = []
    for name, effect in o.effects.items():
        if effect is not None:
            shown = effect.to_dict(o.rounded)
            rows.append({"outcome": wording.OUTCOME_TITLES[name], **shown["hazard_ratio"],
                         "people followed": shown["people"], "had one": shown["with_outcome"]})
    return pd.DataFrame(rows, columns=["outcome", "estimate", "lower", "upper", "p", "people followed", "had one"])


def outcome_shares_table(o: Outcomes, at_months: tuple[int, ...]) -> pd.DataFrame:
    """The curves of outcome_figure in words: the share who had each outcome by these months since hire, mentored
    and not (yet) mentored, with ranges; whole months and whole percents, none where fewer than MIN_GROUP_SIZE are
    at risk (as the curves)."""
    rows = []
    for name, split in o.incidence.items():
        for group, table in split.items():
            points = incidence_points(table, max(at_months), rounded=True).set_index("time")
            row = {"counted": wording.OUTCOME_COUNTED[name],
                   "group": "mentored" if group == "mentored" else "not (yet) mentored"}
            for m in at_months:
                day = m * DAYS_PER_MONTH
                p = points.loc[day] if day in points.index else None
                row[f"by {m} months"] = DASH if p is None else f"{pct(p['cif'])} ({pct_range(p['lower'], p['upper'])})"
            rows.append(row)
    return pd.DataFrame(rows)


def where_next_table(segments, rounded: bool = False, years: float = 1, currency: str = CURRENCY) -> pd.DataFrame:
    """The ranking as people read it: group, people not mentored now, exits avoided and net value per 100 newly
    mentored with their ranges, and the group's effect as used."""
    rows = []
    for s in segments:
        avoided, value = s.exits_avoided_per_100, s.value_per_100
        est, lo, hi = s.effect.range_used()
        # a group's count is always to the nearest 5: the groups of a characteristic are its total's parts, and one
        # exact count each would give a hidden group's as the total less the others
        rows.append({"group": segment_words(s.segment), "never mentored": total_words(s.people_unmentored, True),
                     f"exits avoided {per_period(years)}, per 100": exits_cell(avoided),
                     "net value per 100": DASH if value is None else
                     f"{money(value.estimate, currency)} ({money_range(value, currency)})",
                     "effect used": less_likely({"estimate": est, "lower": lo, "upper": hi}).replace(" likely", "")})
    return pd.DataFrame(rows)


INPUT_LABELS = {
    "people_in_scope": "People employed now",
    "exit_probability": "Chance of leaving in the horizon, unmentored (mean of each one's own)",
    "hazard_ratio": "Honest effect (hazard ratio)",
    "running_hazard_ratio": "Effect counted while a mentorship runs (hazard ratio)",
    "after_hazard_ratio": "Effect counted after a mentorship has ended (hazard ratio)",
    "naive_hazard_ratio": "Naive effect (hazard ratio)",
    "coverage_now": "Share mentored now (a mentorship running); ever",
    "coverage_target": "Target share mentored",
    "average_salary": "Average salary",
    "replacement_cost_pct": "Cost of replacing a leaver (share of salary)",
    "programme_cost_per_mentee": "Programme fee per mentee per year",
    "mentor_hours_per_month": "Mentor's hours a month",
    "mentee_hours_per_month": "Mentee's hours a month",
    "hourly_cost": "Loaded cost of an hour",
    "discount_rate": "Discount rate a year",
    "mentee_years_now": "Years of today's mentoring still to run, within the horizon",
    "programme_years": "Length of a new mentee's mentoring (years)",
    "horizon_years": "Horizon (years)",
}
# the naive one is not an assumption; the effects counted while running and after an end are shown as one row
ASSUMPTIONS_SHOWN = tuple(name for name in INPUT_LABELS if name not in ("naive_hazard_ratio", "after_hazard_ratio",
                                                                          "mentee_hours_per_month", "mentee_years_now"))
HOURS_LABEL = "Mentor's and mentee's hours a month"  # the two in one row
COUNTED_LABEL = "Effect counted (hazard ratio): mentoring running; ended"
_SHARES = ("exit_probability", "coverage_now", "coverage_target", "replacement_cost_pct",
           "discount_rate")
_AMOUNTS = ("average_salary", "programme_cost_per_mentee", "hourly_cost")
_DERIVED = {"exit_probability": "exit_risks_now", "coverage_now": "mentored_now",
            "ever_mentored_share": "people_in_scope"}  # where their source is
_YEARS = ("mentee_years_now", "programme_years", "mentor_hours_per_month", "mentee_hours_per_month")


def _source(x: BusinessCaseInputs, name: str) -> str:
    return x.sources.get(name) or x.sources.get(_DERIVED.get(name, ""), "")


def input_value(name: str, value: Any, currency: str = CURRENCY) -> str:
    """An input as people read it: 20%, 0.75, $1,500 or 1,234."""
    if isinstance(value, str):
        return value
    if name in _SHARES:
        return pct(value)
    if name.endswith("hazard_ratio"):
        return f"{value:.2f}"
    if name in _AMOUNTS:
        return money_exact(value, currency)
    if name in _YEARS:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def assumptions_frame(x: BusinessCaseInputs) -> pd.DataFrame:
    """The business case's inputs as people read them: label, value, 95% range where there is one,
    and where each came from."""
    rows = []
    for name in ASSUMPTIONS_SHOWN:
        value = getattr(x, name)
        if value is None:
            continue
        low, high = (getattr(x, f"{name}_lower"), getattr(x, f"{name}_upper")) if name.endswith("hazard_ratio") \
            else (None, None)
        span = f"{input_value(name, low)}{DASH}{input_value(name, high)}" if low is not None and high is not None else ""
        shown = total_words(value, x.counts_rounded) if name == "people_in_scope" else \
            input_value(name, value, x.currency)
        if name == "coverage_now":  # mentored now (the scenario's start) and ever (the credit's people) in one row
            rows.append((INPUT_LABELS[name], f"{pct(value)}; {pct(x.ever_mentored_share)}", "", _source(x, name)))
            continue
        if name == "mentor_hours_per_month":  # both sides of the meetings in one row
            mentee = input_value("mentee_hours_per_month", x.mentee_hours_per_month)
            same = _source(x, name) == _source(x, "mentee_hours_per_month")
            rows.append((HOURS_LABEL, f"{shown} + {mentee}", "", _source(x, name) if same else
                         f"{_source(x, name)}; mentee: {_source(x, 'mentee_hours_per_month')}"))
            continue
        rows.append((INPUT_LABELS[name], shown, span, _source(x, name)) if name != "running_hazard_ratio" else
                    _counted_row(x, shown, span))
    return pd.DataFrame(rows, columns=["input", "value", "range", "source"])


def _counted_row(x: BusinessCaseInputs, running: str, running_span: str) -> tuple[str, str, str, str]:
    """The effects the money counts while a mentorship runs and after it has ended, in one row, with the assumption
    (verdict.lasting) as its source; 'none' after an end where nothing is counted."""
    name = "hazard_ratio" if x.after_hazard_ratio is None else "after_hazard_ratio"  # not given: the honest one
    after, low, high = (getattr(x, f"{name}{end}") for end in ("", "_lower", "_upper"))
    none = after == low == high == 1.0
    after_shown = "none" if none else input_value(name, after)
    after_span = "" if none else f"{input_value(name, low)}{DASH}{input_value(name, high)}"
    return (COUNTED_LABEL, f"{running}; {after_shown}", "; ".join(s for s in (running_span, after_span) if s),
            lasting.SHORT[x.lasting_effect])


# ---------------------------------------------------------------- the business case's outputs

def measure_labels(years: float = 1) -> dict[str, str]:
    """HR words for each output measure."""
    period = per_period(years)
    return {"avoided_exits": f"Exits avoided {period}", "savings": f"Replacement costs saved {period}",
            "programme_cost": f"Fully loaded cost {period}", "net_benefit": f"Net value {period} (saved minus cost)",
            "roi": "Return on investment (net benefit / cost)", "payback_months": "Months to pay back the cost"}


def business_case_table(case: BusinessCase) -> pd.DataFrame:
    """Inputs with their sources, then every output with its range, labelled in HR words."""
    rows = _input_rows(case.inputs) + _probability_rows(case) + _case_rows(case)
    frame = pd.DataFrame(rows, columns=["section", "measure", "estimate", "low", "high", "source"])
    return frame.astype({"estimate": float, "low": float, "high": float})


def _input_rows(x: BusinessCaseInputs) -> list[tuple]:
    rows = []
    for name, label in INPUT_LABELS.items():
        value = getattr(x, name)
        if value is not None and not isinstance(value, str):
            low, high = (getattr(x, f"{name}_lower"), getattr(x, f"{name}_upper")) if "hazard" in name else (None, None)
            rows.append(("Inputs", label, value, low, high, _source(x, name)))
    return rows


def _probability_rows(case: BusinessCase) -> list[tuple]:
    within = f"within {case.inputs.horizon_years * 12:g} months"
    section = "Chance of leaving"
    who = "People employed now and ever mentored"
    rows = [(section, f"{who}, had they not been mentored, {within}", case.exit_probability_unmentored,
             None, None, "calculated"),
            (section, f"{who}, as mentored, {within}", *_values(case.exit_probability_mentored), CALCULATED)]
    if case.naive_exit_probability_mentored is not None:
        naive = naive_case_label(case.inputs.naive_hazard_ratio, case.inputs.hazard_ratio)
        rows.append((section, f"{who}, as mentored, {within}, {naive}",
                     *_values(case.naive_exit_probability_mentored), CALCULATED))
    return rows


def _values(e: Range) -> tuple:
    return e.estimate, e.low, e.high


def people_words(x: BusinessCaseInputs, n: float) -> str:
    """A number of people in the business case: '871', or 'about 870' where the group's counts are rounded."""
    return total_words(int(round(n)), True) if x.counts_rounded else f"{n:,.0f}"


def _case_rows(case: BusinessCase) -> list[tuple]:
    x = case.inputs
    done = already_done_label(x)
    sections = [(done, case.already_done), (new_label(x), case.per_new), (first_year_label(), case.first_year),
                (target_label(x, case.target.mentees), case.target)]
    if case.naive_per_new is not None:
        naive = naive_case_label(x.naive_hazard_ratio, x.hazard_ratio)
        sections += [(f"{done}, {naive}", case.naive_already_done), (f"{new_label(x)}, {naive}", case.naive_per_new)]
    return [row for section, outcome in sections for row in _outcome_rows(
        section, outcome, 1 if outcome is case.first_year else x.horizon_years)]


def already_done_label(x: BusinessCaseInputs) -> str:
    """The first question's heading."""
    return f"Mentoring already done ({pct(x.ever_mentored_share)} of people employed now ever mentored): still worth"


def new_label(x: BusinessCaseInputs) -> str:
    """The second question's heading."""
    return f"Each 100 new mentees, full cost {per_period(x.horizon_years, 'over a year')}"


def first_year_label() -> str:
    return "Each 100 new mentees, first year only (the conservative view: its exits avoided against the whole cost)"


def target_label(x: BusinessCaseInputs, mentees: float) -> str:
    return (f"Target: from {pct(x.coverage_now)} to {pct(x.coverage_target)} mentored "
            f"({people_words(x, mentees)} new mentees)")


def _outcome_rows(section: str, outcome: Any, years: float) -> list[tuple]:
    labels = measure_labels(years)
    if not isinstance(outcome, Outcome):  # the credit: exits avoided and their value, no cost
        return [(section, labels["avoided_exits"], *_values(outcome.avoided_exits), CALCULATED),
                (section, f"Value of the exits avoided {per_period(years)} (no cost counted: it is spent)",
                 *_values(outcome.value), CALCULATED)]
    return [(section, labels[m], *_values(getattr(outcome, m)), "calculated" if m == "programme_cost" else CALCULATED)
            for m in labels]


def money_range(r: Range, currency: str = CURRENCY) -> str:
    """A Range of amounts: '$120k to $410k'."""
    return f"{money(r.low, currency)} to {money(r.high, currency)}"


def payback_not_within(years: float) -> str:
    """What a payback the horizon's savings do not reach reads as (business.payback_months gives None)."""
    return f"not within {years_words(years)}"


def sensitivity_table(x: BusinessCaseInputs) -> pd.DataFrame:
    """The sensitivity grid as people read it: each cell's ROI at the honest effect's estimate, with the ROI at
    each end of the effect's 95% range in brackets."""
    grids = {bound: sensitivity(x, bound=bound) for bound in ("estimate", "low", "high")}
    shown = grids["estimate"].copy().astype(object)
    for i in range(shown.shape[0]):
        for j in range(shown.shape[1]):
            shown.iat[i, j] = (f"{pct(grids['estimate'].iat[i, j])} ({pct(grids['low'].iat[i, j])} to "
                               f"{pct(grids['high'].iat[i, j])})")
    shown.index = [f"replace at {pct(r)} of salary" for r in shown.index]
    shown.columns = [f"fee {money_exact(c, x.currency)}" for c in shown.columns]
    return shown


def payback_words(payback: Range, years: float = 1.0) -> str:
    """The payback Range in a sentence; `high` is the slow end, None when it does not pay back within the horizon
    of `years` (business.payback_months)."""
    horizon, within = years_words(years), payback_not_within(years)
    if payback.estimate is None:
        return (f"At the estimate, what it saves over {horizon} does not cover its full cost, so it does not pay back "
                "within that time.")
    slow = within if payback.high is None else months_words(payback.high)
    return (f"It pays back its cost in about {months_words(payback.estimate)} (range {months_words(payback.low)} to "
            f"{slow}).")


def months_words(n: float) -> str:
    """'1 month', '13 months'."""
    return f"{n:,.0f} month{'' if round(n) == 1 else 's'}"


def naive_value_sentence(case: BusinessCase) -> str:
    """What a naive report would claim 100 new mentees return, and how that compares with the honest case."""
    x = case.inputs
    reading = verdict.naive_reading({"estimate": x.naive_hazard_ratio}, {"estimate": x.hazard_ratio})
    how = {verdict.OVERSTATES: "it uses the naive effect, which makes mentoring look better than it is",
           verdict.UNDERSTATES: "it uses the naive effect, which makes mentoring look worse than it is",
           verdict.AGREES: "the naive effect roughly agrees with the honest one here"}[reading]
    return (f"A naive report would claim a net value of {money(case.naive_per_new.net_benefit.estimate, x.currency)} "
            f"for each 100 new mentees: {how}.")


def target_sentence(case: BusinessCase) -> str:
    """The coverage scenario in a sentence: the new mentees it adds, at their full cost; empty when it adds none.
    Extra exits are said as such."""
    x, tgt = case.inputs, case.target
    if round(tgt.mentees) < 1:
        return ""
    loss = {verdict.LOSS: ", all of it a loss", verdict.EITHER: ", which includes a loss"}.get(
        verdict.value(tgt.net_benefit), "")
    return (f"If {pct(x.coverage_target)} were mentored instead of the {pct(x.coverage_now)} mentored now, "
            f"{people_words(x, tgt.mentees)} new mentees would mean "
            f"{exits_words(tgt.avoided_exits, per_period(x.horizon_years, 'a year'))}, at a full cost of "
            f"{money(tgt.programme_cost.estimate, x.currency)}: net {money(tgt.net_benefit.estimate, x.currency)} "
            f"(range {money_range(tgt.net_benefit, x.currency)}{loss}).")


def lasting_sentence(case: BusinessCase) -> str:
    """How long the money counts the effect (verdict.lasting's assumption), and why."""
    return lasting.lasting_sentence(case.inputs.lasting_effect, case.inputs.lasting_why)


def _credit_loss(value: Range) -> str:
    """What a credit's range says after it, when it is or may be a loss (verdict.value)."""
    return {verdict.LOSS: ", a loss: it adds exits", verdict.EITHER: ", which may be a loss"}.get(verdict.value(value), "")


def already_done_sentence(case: BusinessCase) -> str:
    """The first question: what the mentoring already done is still worth, a credit with no cost and no ROI."""
    x, done = case.inputs, case.already_done
    loss = _credit_loss(done.value)
    return (f"The mentoring already done ({people_words(x, done.people)} people employed now were ever mentored) is "
            f"still worth {exits_words(done.avoided_exits, per_period(x.horizon_years, 'a year'))}, "
            f"{money(done.value.estimate, x.currency)} of replacement costs (range "
            f"{money_range(done.value, x.currency)}{loss}). A credit: its cost is already spent, so no return on it is "
            "claimed" + (f"; today's running mentorships still cost {money(done.committed_cost, x.currency)} in the "
                         "horizon, counted in neither answer." if done.committed_cost > 0 else "."))


def new_mentees_sentence(case: BusinessCase) -> str:
    """The second question: what each 100 new mentees return at their full cost, with net, ROI and payback."""
    x, new = case.inputs, case.per_new
    roi = "" if new.roi.estimate is None else f", a return of {pct(new.roi.estimate)} ({pct(new.roi.low)} to {pct(new.roi.high)})"
    return (f"Each 100 new mentees would cost {money(new.programme_cost.estimate, x.currency)} in full (fee and "
            f"mentor and mentee time) and mean {exits_words(new.avoided_exits, per_period(x.horizon_years, 'a year'))}, "
            f"worth {money(new.savings.estimate, x.currency)}: net {money(new.net_benefit.estimate, x.currency)} "
            f"(range {money_range(new.net_benefit, x.currency)}){roi}. {payback_words(new.payback_months, x.horizon_years)}")


def first_year_sentence(case: BusinessCase) -> str:
    """The conservative view: the first year's exits avoided alone against the whole cost, and doing nothing."""
    x, one = case.inputs, case.first_year
    nothing = case.do_nothing
    return (f"First year only (the conservative view): {exits_words(one.avoided_exits, 'in the first year')} per 100 "
            f"new mentees against their whole cost of {money(one.programme_cost.estimate, x.currency)}: net "
            f"{money(one.net_benefit.estimate, x.currency)} (range {money_range(one.net_benefit, x.currency)}). Doing "
            f"nothing: no cost, none avoided; about {nothing.get('exits', 0):,.0f} of 100 such people leave "
            f"{per_period(x.horizon_years, 'within a year')} ({money(nothing.get('replacement_cost'), x.currency)} "
            "to replace).")


def reconcile_sentence(case: BusinessCase) -> str:
    """Why the two answers differ: the credit counts no cost (spent), new mentees pay all of theirs."""
    x, done, new = case.inputs, case.already_done, case.per_new
    return ("Why they differ: mentoring done is valued without its cost, spent whatever is decided now; new mentees pay "
            "their full cost. Decide on more mentoring by the second.")


def horizon_note() -> str:
    """Why a longer horizon can show less."""
    return lasting.HORIZON_NOTE


def value_sentence(case: BusinessCase) -> str:
    """The two answers in one sentence: the credit, then what 100 new mentees return at their full cost."""
    x, done, new = case.inputs, case.already_done, case.per_new
    loss = _credit_loss(done.value)
    return (f"The mentoring already done is still worth {money(done.value.estimate, x.currency)} "
            f"{per_period(x.horizon_years, 'over the next year')} (range {money_range(done.value, x.currency)}{loss}), "
            f"a credit with no cost; each 100 new mentees, at their full cost of "
            f"{money(new.programme_cost.estimate, x.currency)}, would return a net "
            f"{money(new.net_benefit.estimate, x.currency)} (range {money_range(new.net_benefit, x.currency)}), "
            f"{exits_words(new.avoided_exits, per_period(x.horizon_years, 'a year'))}.")


def two_questions_rows(case: BusinessCase) -> list[list[str]]:
    """The two answers, the conservative view, doing nothing and the coverage target side by side: what each is, its
    exits avoided, their value, the full cost and the net (the one-pager's table; the deck's chart has the same
    figures)."""
    x, unit = case.inputs, case.inputs.currency
    period = per_period(x.horizon_years, "in a year")
    cell = lambda r: f"{money(r.estimate, unit)} ({money_range(r, unit)})"  # noqa: E731
    exits = exits_cell  # extra exits said as such
    done, new, first, nothing = case.already_done, case.per_new, case.first_year, case.do_nothing
    return [[f"Mentoring done ({people_words(x, done.people)} people)", exits(done.avoided_exits),
             cell(done.value), "spent", cell(done.value)],
            [f"100 new mentees, {period}", exits(new.avoided_exits), cell(new.savings),
             money(new.programme_cost.estimate, unit), cell(new.net_benefit)],
            ["100 new, first year only", exits(first.avoided_exits), cell(first.savings),
             money(first.programme_cost.estimate, unit), cell(first.net_benefit)],
            [f"Doing nothing ({nothing.get('exits', 0):,.0f} of 100 leave)", "0", money(0, unit), money(0, unit),
             money(0, unit)]] + ([] if round(case.target.mentees) < 1 else [
            [f"{pct(x.coverage_target)} mentored ({people_words(x, case.target.mentees)} new)",
             exits(case.target.avoided_exits), cell(case.target.savings),
             money(case.target.programme_cost.estimate, unit), cell(case.target.net_benefit)]])


TWO_QUESTIONS_HEADER = ["", "exits avoided", "their value", "full cost", "net"]


# ---------------------------------------------------------------- the sentences every export repeats

def key_messages(h: Headline) -> dict[str, str]:
    """The headline in sentences: the deck, the one-pager and the Overview say them alike."""
    fu = h.follow_up
    filtered = fu.rounded  # a filtered group's counts, or any at a chosen as-of date, are rounded (policy.shown_total)
    out = {"scope": f"{total_words(fu.n_employees, filtered)} people ({fu.cohort.describe()}), data as of "
                    f"{fu.as_of:%d %B %Y}; {total_words(fu.n_mentored, filtered)} ever mentored, "
                    f"{total_words(fu.n_events, filtered)} {event_words(fu.event, fu.regrettable_by)}."}
    out["effect"] = effect_sentence(h.adjusted.hazard_ratio) if h.adjusted else f"{no_estimate(h.missing.get('adjusted'))}."
    if h.adjusted and effect_note(h.adjusted.hazard_ratio):
        out["effect_note"] = effect_note(h.adjusted.hazard_ratio)
    if h.naive:
        out["naive"] = naive_claim(h.naive.hazard_ratio, h.time_varying.hazard_ratio if h.time_varying else None,
                                   h.adjusted.hazard_ratio if h.adjusted else None)
    if h.retention:
        m, u = h.retention["mentored"], h.retention["unmentored"]
        out["retention"] = (f"{months(h.horizon_days)} months after hire, mentored employees who "
                            f"{staying_words(fu.event, fu.regrettable_by)}: {rate_words(m, rounded=filtered)}; those not mentored: "
                            f"{rate_words(u, rounded=filtered)} ({UNADJUSTED}).")
    if h.notes.get("simulated"):
        out["demo"] = DEMO_NOTE
    if h.business:
        out["value"] = value_sentence(h.business)
        out["lasting"] = lasting_sentence(h.business)
        out["reconcile"] = reconcile_sentence(h.business)
        if loss_note(h.business.per_new.net_benefit):
            out["loss"] = loss_note(h.business.per_new.net_benefit)
    return out


# ---------------------------------------------------------------- the figures leadership has heard

# Quoted in articles about mentoring; the room's starting point, never this product's findings. Each is said
# as "widely quoted", with where it comes from, then set beside the company's own figure.
QUOTED_SOURCE = "quoted in a 2025 trade-press interview with Dr. Deborah Heiser (The Mentor Project)"
WIDELY_QUOTED = {
    "retention": ("companies with strong mentoring programmes see 50% higher retention", QUOTED_SOURCE +
                  "; no study named, and a naive ever/never comparison of the kind this analysis corrects"),
    "ready_to_leave": ("51% of employees say they are ready to leave their job",
                       QUOTED_SOURCE + "; the underlying survey is not named"),
    "want_a_mentor": ("76% of professionals want a mentor, but only 37% have one", QUOTED_SOURCE + "; no study named"),
    "replacement": ("replacing an employee costs 0.5 to 2 times their annual salary", "Gallup's published estimate"),
}


def quoted_beside_ours(h: Headline) -> list[tuple[str, str, str]]:
    """Each widely quoted figure, where it comes from, and this company's own figure beside it."""
    out = []
    if h.adjusted:
        ours = f"Here, mentored employees were {hr_words(h.adjusted.hazard_ratio)} to leave in any given month"
        if verdict.effect(h.adjusted.hazard_ratio) == verdict.UNCLEAR:
            ours += " (no clear effect: the range includes none)"
        if h.naive:
            reading = naive_of(h.naive.hazard_ratio, h.adjusted.hazard_ratio)
            ours += (f"; the naive comparison on the same data says {hr_words(h.naive.hazard_ratio)}, which "
                     f"{NAIVE_READING[reading]}")
        out.append((*WIDELY_QUOTED["retention"], ours + "."))
    if h.business:
        x = h.business.inputs
        out.append((*WIDELY_QUOTED["ready_to_leave"],
                    f"Here, {pct(x.exit_probability)} of people employed now are expected to leave "
                    f"{'voluntarily ' if h.follow_up.event == 'voluntary' else ''}within "
                    f"{years_words(x.horizon_years)} without mentoring (the average of each person's own chance)."))
        now = h.notes.get("mentored_now")
        running = (f", and {pct(now / x.people_in_scope)} have a mentorship running now"
                   if now is not None and x.people_in_scope else "")
        out.append((*WIDELY_QUOTED["want_a_mentor"],
                    f"Here, {pct(x.coverage_now)} of people employed now have ever been mentored{running}; the "
                    f"coverage scenario asks what {pct(x.coverage_target)} ever mentored would be worth."))
        out.append((*WIDELY_QUOTED["replacement"],
                    f"Here, the business case uses {pct(x.replacement_cost_pct)} of salary"
                    f"{', the low end,' if abs(x.replacement_cost_pct - 0.5) < 1e-9 else ''} as an assumption "
                    "anyone can change."))
    return out


def generated_on(today: date) -> str:
    return (f"Generated {today:%d %B %Y}. Survival analysis with time-varying, adjusted Cox models; "
            "ranges are 95% confidence intervals.")


# ---------------------------------------------------------------- the briefing (CLI summary)

def _ci_words(ci: dict[str, float | None], rounded: bool = False) -> str:
    if ci["estimate"] is None:
        return "not known (follow-up too short)"
    return rate_words(ci, ci.get("people"), rounded)


def _median_words(median: dict[str, float | None]) -> str:
    """A median tenure in months with its range; a bound that is not reached says so."""
    def words(days: float | None) -> str:
        return "not reached" if days is None else months(days)
    if median["estimate"] is None:
        return "not reached (more than half are still employed)"
    return f"{words(median['estimate'])} months ({words(median['lower'])} to {words(median['upper'])})"


def _months_longer(diff: dict[str, float]) -> str:
    """An RMST difference in words: 'stayed 0.9 months longer on average (0.6 to 1.2)', or shorter."""
    est, lo, hi = (diff[k] / DAYS_PER_MONTH for k in ("estimate", "lower", "upper"))
    way = "longer" if est >= 0 else "less long"
    return f"stayed {abs(est):.1f} months {way} on average (range {lo:+.1f} to {hi:+.1f} months)"


def count_said(n: int | None, rounded: bool) -> str:
    """A count as the JSON gives it (rounded to the nearest 5 when `counts_rounded`), said with 'about' then."""
    if n is None:
        return count_words(n)
    return f"about {n:,}" if rounded and n else f"{n:,}"


def group_count_said(n: int, rounded: bool) -> str:
    """A count of people for everyone, or for a filtered group to the nearest 5 (shown_total), said as count_said
    says it: so that two filtered figures cannot be subtracted to single out a few people."""
    return count_said(shown_total(n, rounded), rounded)


# ---------------------------------------------------------------- a chart's text alternative

def _axis_title(axis) -> str:
    title = getattr(getattr(axis, "title", None), "text", None)
    return str(title) if title else ""


def _value(v: float, percent: bool) -> str:
    return pct(v) if percent else f"{v:,.2f}".rstrip("0").rstrip(".")


def _at(x: float) -> str:
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}".rstrip("0").rstrip(".")


def chart_description(fig, name: str, most: int = 12) -> str:
    """What a chart shows, in words, for a screen reader (the dashboard's charts are drawn in the browser): its name,
    its axes, and each line with where it starts and ends, or each bar or point with its value (at most `most`)."""
    layout = fig.layout
    x_title, y_title = _axis_title(layout.xaxis), _axis_title(layout.yaxis)
    parts = [f"Chart: {name}."]
    if x_title and y_title:
        parts.append(f"{y_title}, by {x_title[:1].lower()}{x_title[1:]}.")
    elif x_title or y_title:
        parts.append(f"{x_title or y_title}.")
    series = []
    for trace in fig.data:
        label = getattr(trace, "name", None)
        xs, ys = (list(v) if v is not None else [] for v in (trace.x, trace.y))
        x, y = (pd.to_numeric(pd.Series(v, dtype=object), errors="coerce") for v in (xs, ys))
        if len(ys) and y.isna().all() and x.notna().any():  # categories up the side, values across
            percent = "%" in str(getattr(layout.xaxis, "tickformat", "") or "")
            series += [f"{html.unescape(str(c))}: {_value(float(v), percent)}"
                       for c, v in list(zip(ys, x))[:most] if v == v]
        elif label and getattr(trace, "showlegend", True) is not False and y.notna().any():
            percent = "%" in str(getattr(layout.yaxis, "tickformat", "") or "")
            y, x = y[y.notna()], x[y.notna()]
            if x.notna().all() and getattr(trace, "type", "") == "scatter":
                series.append(f"{html.unescape(label)}: {_value(float(y.iloc[0]), percent)} at {_at(float(x.iloc[0]))}, "
                              f"{_value(float(y.iloc[-1]), percent)} at {_at(float(x.iloc[-1]))}")
            else:
                series.append(f"{html.unescape(label)}: from {_value(float(y.min()), percent)} to {_value(float(y.max()), percent)}")
    if series:
        parts.append("; ".join(series[:most]) + ".")
    return " ".join(parts)


# ---------------------------------------------------------------- the target trial (estimation/trial.py)

def _per_100(x: float) -> str:
    return f"{abs(x) * 100:.1f}"


def trial_sentence(t: TargetTrial, months: int = 12, rounded: bool = False) -> str:
    """The trial's answer in risk terms, its direction decided by verdict.risk_change: of 100 people who start
    mentoring, how many fewer (or more) leave within `months` than if they had not, with the range, and against
    how many colleagues."""
    d = t.by_horizon[months].difference
    within = "a year" if months == 12 else f"{months} months"
    against = (f"compared with {group_count_said(t.comparison_people, rounded)} similar colleagues who could have "
               "started in the same month and had not")
    # a voluntary exit is said in the verb; any other event after the sentence, so that it reads as a sentence
    leave = "leave voluntarily" if t.event == "voluntary" else "leave"
    meaning = "" if t.event == "voluntary" else \
        f" Leaving here means leaving {leaving_words(t.event, t.regrettable_by)}."
    decision = verdict.risk_change(d)
    if decision == verdict.FEWER:
        return (f"Of 100 people who start mentoring, about {_per_100(d.estimate)} fewer {leave} within {within} than "
                f"if they had not (range {_per_100(d.upper)} to {_per_100(d.lower)} fewer), {against}.{meaning}")
    if decision == verdict.MORE:
        return (f"Of 100 people who start mentoring, about {_per_100(d.estimate)} more {leave} within {within} than "
                f"if they had not (range {_per_100(d.lower)} to {_per_100(d.upper)} more), {against}.{meaning}")
    lean = "fewer" if d.estimate < 0 else "more"
    return (f"Of 100 people who start mentoring, we cannot tell whether fewer or more {leave} within {within} than "
            f"if they had not: the range runs from {_per_100(d.lower)} fewer to {_per_100(d.upper)} more (about "
            f"{_per_100(d.estimate)} {lean} at the estimate), {against}.{meaning}")


def trial_table(t: TargetTrial) -> pd.DataFrame:
    """Each horizon's risks with and without mentoring (both for the starters: "had they not been" mentored), their
    difference and ratio, in percentage points and percents."""
    rows = []
    for m, h in t.by_horizon.items():
        rows.append({"within": f"{m} months", "mentored": pct(h.risk_mentored.estimate, 1),
                     # the same starters had they not started, not the colleagues who were not mentored
                     "had they not been": pct(h.risk_not_mentored.estimate, 1),
                     "difference (points)": f"{h.difference.estimate * 100:+.1f}",
                     "range": f"{h.difference.lower * 100:+.1f} to {h.difference.upper * 100:+.1f}",
                     "ratio": f"{h.ratio.estimate:.2f} ({h.ratio.lower:.2f} to {h.ratio.upper:.2f})"})
    return pd.DataFrame(rows)


def balance_frame(t: TargetTrial) -> pd.DataFrame:
    """Each characteristic's standardised mean difference, starters against comparisons, before and after the
    weights (Austin 2009: under 0.1 is balanced)."""
    return pd.DataFrame([{"characteristic": b.characteristic, "before": round(b.smd_before, 3),
                          "after": round(b.smd_after, 3), "balanced after": abs(b.smd_after) < 0.1}
                         for b in t.balance])


NOT_STARTER_WORDS = {"early": "began within their first {days} days in post",
                     "recent": "began in the as-of date's month or the one before, with no whole month to follow yet",
                     "left": "left in the month they began"}


def trial_starters_note(t: TargetTrial, rounded: bool = False) -> list[str]:
    """Why the trial's starters are fewer than the people ever mentored: each reason with its count."""
    said = functools.partial(group_count_said, rounded=rounded)
    others = [f"{said(k)} {NOT_STARTER_WORDS[why].format(days=t.min_tenure_days)}"
              for why, k in t.not_starters.items() if k]
    if not t.mentored or not others:
        return []
    listed = "; ".join(others[:-1]) + ("; and " if len(others) > 1 else "") + others[-1]
    return [f"{'Of' if rounded else 'Of the'} {said(t.mentored)} people whose mentoring began while they were "
            f"employed, {said(t.starters)} are the trial's starters, and {said(t.mentored - t.starters)} others: "
            f"{listed}."]


def trial_checks(t: TargetTrial, rounded: bool = False) -> list[str]:
    """The credibility checks in plain words: how many comparisons, the balance, the weights, the negative control."""
    worst = max((abs(b.smd_after) for b in t.balance), default=0.0)
    worst_before = max((abs(b.smd_before) for b in t.balance), default=0.0)
    count = functools.partial(group_count_said, rounded=rounded)
    lines = [f"{count(t.starters)} starters in {t.trials} monthly trials, each compared with the "
             f"colleagues who could have started that month and had not ({count(t.comparisons)} "
             f"comparisons of {count(t.comparison_people)} people; {count(t.sampled)} of "
             "them kept, each with a chance in proportion to their odds of starting and weighted by its inverse).",
             *trial_starters_note(t, rounded),
             f"Balance: the largest standardised difference in a characteristic was {worst_before:.2f} before "
             f"weighting and {worst:.2f} after (under 0.1 counts as balanced)."]
    w = t.weights
    if w:
        line = (f"Weights: the comparisons' odds of starting run from {w['p01']:.3f} to {w['p99']:.3f} (1st to "
                f"99th percentile), the largest {w['largest']:.3f}.")
        if w.get("censoring"):  # for those still followed who might have started since
            c = w["censoring"]
            line += (f" Those still not started are weighted for the colleagues like them who had: these weights "
                     f"run from {c['p01']:.2f} to {c['p99']:.2f} (1st to 99th percentile), the largest "
                     f"{c['largest']:.1f}.")
        lines.append(line)
    if t.negative_control is not None:
        d = t.negative_control.difference
        decision = verdict.risk_change(d)
        said = {verdict.FEWER: "fewer among the starters", verdict.MORE: "more among the starters",
                verdict.UNCLEAR: "no clear difference"}[decision]
        lines.append(f"Negative control: involuntary exits, which mentoring should not change, within "
                     f"{t.negative_control.months} months: {said} ({d.estimate * 100:+.1f} points, range "
                     f"{d.lower * 100:+.1f} to {d.upper * 100:+.1f})"
                     + ("." if decision == verdict.UNCLEAR else "; something other than mentoring differs between "
                        "starters and their comparisons, and may bias the trial too."))
    return lines


def briefing(result: dict[str, Any]) -> str:
    """`summary --json`'s object as a short briefing: one sentence per headline figure with its range, each word
    chosen from the figures (verdict), each unadjusted figure said to be so."""
    hr, gaps = result["hazard_ratio"], result["not_available"]
    rounded = bool(result.get("counts_rounded"))
    lines = [f"Warning: {w}" for w in result.get("warnings", [])]
    lines += [f"As of {result['as_of']}: {count_said(result['n_employees'], rounded)} people ({result['cohort']}), "
              f"{count_said(result['n_mentored'], rounded)} ever mentored during their employment, "
              f"{count_said(result['n_events'], rounded)} {event_words(result['event'], result.get('regrettable_by'))}."]
    if regrettable.NOTES.get(result.get("regrettable_by")):  # how a regrettable exit was told, who was followed
        lines.append(regrettable.NOTES[result["regrettable_by"]])
    if rounded:
        lines.append(ROUNDING_NOTE)
    if result.get("notes", {}).get("simulated"):
        lines.append(DEMO_NOTE)
    adjusted = hr["adjusted"]
    if adjusted:
        covariates = covariate_words(adjusted["covariates"]) or "nothing"
        lead = "No clear effect: m" if verdict.effect(adjusted) == verdict.UNCLEAR else "M"
        lines.append(f"{lead}entored employees were {less_likely(adjusted)} to leave in any given month, "
                     f"counting only the time after mentoring began and adjusting for {covariates}.")
        if effect_note(adjusted):
            lines.append(effect_note(adjusted))
        if covariates_note(adjusted.get("covariates_from", "snapshot"), adjusted["covariates"]):
            lines.append(covariates_note(adjusted.get("covariates_from", "snapshot"), adjusted["covariates"]))
    else:
        lines.append(f"No honest estimate of the mentoring effect: {gaps.get('adjusted')}.")
    if hr["time_varying"]:
        lines.append(f"Without the adjustment (unadjusted, counting from mentoring's start) the figure is "
                     f"{less_likely(hr['time_varying'])}.")
    if hr["naive"]:
        lines.append(naive_claim(hr["naive"], hr["time_varying"], adjusted))
    ret, r = result["retention"], result["rmst"]
    if ret["mentored"]:
        lines.append(f"{months(ret['horizon_days'])} months after hire, mentored employees who "
                     f"{staying_words(result['event'], result.get('regrettable_by'))}: {_ci_words(ret['mentored'], rounded)}; unmentored: "
                     f"{_ci_words(ret['unmentored'], rounded)} ({UNADJUSTED}).")
    diff = r["difference"]
    if diff and diff["estimate"] is not None:
        lines.append(f"Over their first {months(r['tau_days'])} months, mentored employees "
                     f"{_months_longer(diff)} ({UNADJUSTED}).")
    medians = result["median_tenure_days"]
    if medians["mentored"]:
        lines.append("Median tenure: " + "; ".join(f"{name} {_median_words(medians[name])}"
                                                   for name in ("mentored", "unmentored")) + f" ({UNADJUSTED}).")
    if result["logrank"]:
        lines.append(f"Log-rank test (unadjusted): chi-square {result['logrank']['chisq']:.1f}, "
                     f"p = {result['logrank']['p']:.2g}.")
    lines += _business_briefing(result["business_case"], gaps)
    return "\n".join(lines)


def _business_briefing(case: dict[str, Any] | None, gaps: dict[str, str]) -> list[str]:
    if case is None:
        return [f"Business case not computed: {gaps.get('business_case')}."]
    done, new = case["already_done"], case["per_100_new_mentees"]
    net, unit = new["net"], case.get("currency", CURRENCY)
    lasting_effect = case.get("lasting_effect")  # how long the money counts the effect, said before the money
    out = [lasting.lasting_sentence(lasting_effect["assumption"], lasting_effect["why"])] if lasting_effect else []
    out += [f"Business case, {years_words(case['horizon_years'])}: the mentoring already done is still worth "
            f"{exits_words(done['avoided_exits'])}, {money(done['value']['estimate'], unit)} (a credit: no cost, "
            f"no return claimed). Each 100 new mentees: full cost {money(new['cost']['estimate'], unit)}, "
            f"{exits_words(new['avoided_exits'])}, net value {money(net['estimate'], unit)} (range "
            f"{money(net['low'], unit)} to {money(net['high'], unit)})."]
    note = loss_note(net)
    return out + ([note] if note else [])
