"""The tables every export shares: the curves, every table of a headline with its description, rounded for a
filtered group, and their zip.
"""
from __future__ import annotations

import io
import zipfile
from datetime import date

import numpy as np
import pandas as pd

from analytics.case.business import coverage_scenarios, sensitivity
from analytics.case.summary import Headline
from analytics.common.policy import CURVE_MONTHS, DAYS_PER_MONTH, MIN_GROUP_SIZE
from analytics.outputs import messages
from analytics.outputs.messages import key_messages
from analytics.words import wording


# ---------------------------------------------------------------- tables

def curve_table(h: Headline, months: int = CURVE_MONTHS) -> pd.DataFrame:
    """Monthly retention of both groups; months with fewer than the privacy minimum at risk are blank."""
    grid = np.arange(0, months + 1)
    out = {"month": grid}
    for name in ("mentored", "unmentored"):
        km = getattr(h.curves, name)
        days = grid * DAYS_PER_MONTH
        surv = [km.survival_at(d).estimate for d in days]
        at_risk = km.at_risk_at(days)
        out[name] = [s if n >= MIN_GROUP_SIZE else np.nan for s, n in zip(surv, at_risk)]
    frame = pd.DataFrame(out)
    # a filtered group's (counts rounded): whole percents, as its charts, so no step's size gives its people at risk
    return frame.round({"mentored": 2, "unmentored": 2}) if h.follow_up.rounded else frame


def tables(h: Headline) -> dict[str, pd.DataFrame]:
    """Every table behind the exports, for CSV download."""
    out: dict[str, pd.DataFrame] = {}
    reading = wording.naive_of(h.naive.hazard_ratio if h.naive else None, h.adjusted.hazard_ratio if h.adjusted else None)
    fits = {wording.naive_label(reading): h.naive, "time-varying": h.time_varying, "adjusted (honest)": h.adjusted}
    rounded = h.follow_up.rounded  # a filtered group, or a chosen as-of date: counts as its total is shown
    out["hazard_ratios"] = pd.DataFrame([f.hazard_ratio.as_row(k, rounded) for k, f in fits.items() if f])
    if h.adjusted:
        out["adjusted_model"] = h.adjusted.result.summary_
    if h.curves:
        out["retention_curves"] = curve_table(h)
    if h.retention:
        out["retention_at_horizon"] = pd.DataFrame([v.as_row(k, rounded) for k, v in h.retention.items()])
    if h.rmst:
        out["restricted_mean_tenure_days"] = pd.DataFrame([v.as_row(k, rounded) for k, v in h.rmst.items()])
    if h.median_tenure:  # blank estimate or bound: not reached within follow-up
        out["median_tenure_days"] = pd.DataFrame([v.as_row(k, rounded) for k, v in h.median_tenure.items()])
    if h.business:
        out["business_case"] = messages.business_case_table(h.business)
        out["coverage_scenarios"] = coverage_scenarios(h.business.inputs)
        grid = sensitivity(h.business.inputs)
        grid.columns = [f"{ROI_AT_COST}{cost:.0f}" for cost in grid.columns]
        out["sensitivity_roi"] = grid.reset_index()
    return out


# How each kind of number is written in the CSV files: shares, probabilities (p-values too) and ratios to 4
# decimals, money to whole units, days, months and expected numbers of exits to 1 decimal, years to 2, counts whole.
DIGITS = {"share": 4, "p": 4, "ratio": 4, "money": 0, "days": 1, "months": 1, "expected": 1, "years": 2, "z": 2}
ROI_AT_COST = "roi_at_cost_"  # the sensitivity grid's columns: the ROI at each programme cost per mentee


def _column(h: Headline) -> dict[str, dict[str, tuple[str, str]]]:
    """Each table's columns: (kind of number, what it holds in plain words). `business_case` mixes kinds
    by row (its `value` kind)."""
    stay = wording.staying_words(h.follow_up.event, h.follow_up.regrettable_by)
    ci = lambda what: {"lower": ("same", f"low end of the 95% confidence interval of {what}"),  # noqa: E731
                       "upper": ("same", f"high end of the 95% confidence interval of {what}"),
                       "level": ("share", "confidence level of the interval (0.95 = 95%)")}
    people = ("count", "people counted (blank for 1-4 people, to protect privacy)")
    return {
        "hazard_ratios": {
            "label": ("text", "which estimate: naive (ever vs never mentored; in brackets whether it overstates, understates or roughly agrees with the honest figure), time-varying (mentoring "
                              "counted from the day it began) or adjusted (also comparing like with like: the honest "
                              "figure)"),
            "estimate": ("ratio", "hazard ratio: mentored people's chance of leaving in any given month relative to "
                                  "comparable unmentored people's (0.75 = 25% less likely; below 1 = fewer exits)"),
            **ci("the hazard ratio"),
            "p": ("p", "p-value: how surprising the estimate would be if mentoring made no difference"),
            "n": ("count", "rows in the model: one per person, and one more for each mentored person in the "
                           "time-varying ones (blank for 1-4)"),
            "events": ("count", f"{wording.event_words(h.follow_up.event, h.follow_up.regrettable_by)} counted (blank for 1-4)")},
        "adjusted_model": {
            "covariate": ("text", "the term: mentored, or a characteristic's level compared with its reference level"),
            "coef": ("ratio", "log hazard ratio of the term"),
            "hazard_ratio": ("ratio", "hazard ratio of the term (below 1 = fewer exits), the others held equal"),
            "se": ("ratio", "standard error of coef"),
            "lower_": ("ratio", "low end of the hazard ratio's confidence interval (its level in the column name)"),
            "upper_": ("ratio", "high end of the hazard ratio's confidence interval (its level in the column name)"),
            "z": ("z", "coef divided by se"),
            "p": ("p", "p-value of the term")},
        "retention_curves": {
            "month": ("count", "months since hire"),
            "mentored": ("share", f"share of mentored people who {stay} by then, counted from the day mentoring "
                                  "began (blank where fewer than 5 remain)"),
            "unmentored": ("share", f"share of people not (yet) mentored who {stay} by then (blank where fewer than 5 "
                                    "remain)")},
        "retention_at_horizon": {
            "label": ("text", "mentored or unmentored"),
            "estimate": ("share", f"share who {stay} {wording.months(h.horizon_days)} months after hire, unadjusted"),
            **ci("the share"), "n": people},
        "restricted_mean_tenure_days": {
            "label": ("text", "mentored, unmentored, or the difference between them"),
            "estimate": ("days", f"average days employed within the first {wording.months(h.tau_days)} months after "
                                 "hire (restricted mean survival time)"),
            **ci("the days"), "n": people},
        "median_tenure_days": {
            "label": ("text", "mentored or unmentored"),
            "estimate": ("days", "median days from hire to leaving (blank: not reached, more than half still there)"),
            **ci("the median (blank: not reached)"), "n": people},
        "business_case": {
            "section": ("text", "inputs, the chance of leaving, the programme as it is, the target coverage, and the "
                                "same at the naive effect (labelled by how it compares with the honest one)"),
            "measure": ("text", "what the row measures, in words"),
            "estimate": ("value", "the figure: a share or ratio to 4 decimals, money in whole units, years to 2 "
                                  "decimals, months and exits to 1 decimal, people whole"),
            "low": ("value", "cautious end of its range, from the honest effect's 95% confidence interval"),
            "high": ("value", "optimistic end of its range"),
            "source": ("text", "where the figure comes from: your data, the model, an assumption, or your input")},
        "coverage_scenarios": {
            "coverage": ("share", "share of the people employed now who are mentored"),
            "mentees": ("count", "mentees at that coverage"),
            "avoided_exits": ("expected", "exits avoided over the horizon (an expected number)"),
            "avoided_exits_low": ("expected", "cautious end of the exits avoided"),
            "avoided_exits_high": ("expected", "optimistic end of the exits avoided"),
            "savings": ("money", "replacement costs saved over the horizon"),
            "programme_cost": ("money", "programme cost over the horizon"),
            "net_benefit": ("money", "savings minus programme cost"),
            "net_benefit_low": ("money", "cautious end of the net benefit"),
            "net_benefit_high": ("money", "optimistic end of the net benefit")},
        "sensitivity_roi": {
            "replacement_cost_pct": ("share", "cost of replacing a leaver, as a share of salary (0.5 = 50%)"),
            ROI_AT_COST: ("ratio", "return on investment (net benefit / cost; 1.0 = 100%) at the honest effect, "
                                   "if the programme cost per mentee per year is the amount in the column name")},
    }


def _describe(columns: dict[str, tuple[str, str]], column: str) -> tuple[str, str]:
    """A column's kind and words: by its name, or by a name it starts with (lower_0.95, roi_at_cost_1500)."""
    if column in columns:
        return columns[column]
    return next(v for k, v in columns.items() if k.endswith("_") and column.startswith(k))


def _business_kinds(h: Headline) -> dict[str, str]:
    """The business case table's rows, by measure: what kind of number each is."""
    kinds = {"people_in_scope": "count", "hazard_ratio": "ratio", "naive_hazard_ratio": "ratio",
             "average_salary": "money", "programme_cost_per_mentee": "money", "mentee_years_now": "years",
             "programme_years": "years", "horizon_years": "years", "avoided_exits": "expected", "savings": "money",
             "programme_cost": "money", "net_benefit": "money", "roi": "ratio", "payback_months": "months"}
    labels = {**messages.INPUT_LABELS, **messages.measure_labels(h.business.inputs.horizon_years)}
    return {label: kinds.get(name, "share") for name, label in labels.items()}


def _round(value, kind: str):
    if value is None or value != value or kind == "text":
        return value
    if kind == "count":
        return int(round(value))
    digits = DIGITS[kind]
    return int(round(value)) if digits == 0 else round(float(value), digits)


def rounded(h: Headline, name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A table as its CSV gives it: every number rounded to the precision it is known to (DIGITS)."""
    columns = _column(h)[name]
    out = frame.copy()
    kinds = _business_kinds(h) if name == "business_case" else {}
    for column in out.columns:
        kind, _ = _describe(columns, str(column))
        if kind == "same":
            kind = columns["estimate"][0]
        if kind == "value":  # the business case: each row its own kind
            row_kinds = [kinds.get(m, "share") for m in out["measure"]]
            out[column] = pd.Series([_round(v, k) for v, k in zip(out[column], row_kinds)], dtype=object,
                                    index=out.index)
        elif kind != "text":
            values = [_round(v, kind) for v in out[column]]
            whole = kind == "count" or DIGITS.get(kind) == 0
            out[column] = pd.array(values, dtype="Int64") if whole else pd.Series(values, dtype=object, index=out.index)
    return out


def readme(h: Headline, frames: dict[str, pd.DataFrame]) -> str:
    """README.txt: what each table holds and each of its columns means, in plain words."""
    msg = key_messages(h)
    lines = ["Mentoring and retention: the tables behind the dashboard's figures", "",
             msg["scope"]] + ([msg["demo"]] if "demo" in msg else []) + [
             messages.generated_on(date.today()), "",
             "Numbers: shares, probabilities and ratios to 4 decimals (0.1225 = 12.25%); money in whole units of "
             f"the currency ({wording.CURRENCY}); days, months and expected numbers of exits to 1 decimal; years to 2; "
             "counts of people whole; p-values to 4 decimals (0.0 is below 0.00005). A blank cell was not "
             f"estimated, or is hidden because it would describe fewer than {MIN_GROUP_SIZE} people.", ""]
    for name, frame in frames.items():
        columns = _column(h)[name]
        lines += [f"{name}.csv", f"  {TABLE_WORDS[name]}", "  Columns:"]
        lines += [f"    {column}: {_describe(columns, str(column))[1]}" for column in frame.columns]
        lines.append("")
    return "\n".join(lines)


TABLE_WORDS = {
    "hazard_ratios": "The mentoring effect three ways, from the naive figure to the honest one.",
    "adjusted_model": "The honest (adjusted, time-varying) model in full: every term and its hazard ratio.",
    "retention_curves": "Month by month since hire, the share of each group still there (Kaplan-Meier curves).",
    "retention_at_horizon": "The share of each group still there at the horizon, with its range (unadjusted).",
    "restricted_mean_tenure_days": "Average days employed within the first years after hire, by group (unadjusted).",
    "median_tenure_days": "The median time from hire to leaving, by group (unadjusted).",
    "business_case": "The business case: its inputs with their sources, then every output with its range.",
    "coverage_scenarios": "What mentoring more people would be worth, from today's coverage to the target.",
    "sensitivity_roi": "Return on investment for each replacement cost (rows) and programme cost (columns).",
}


def tables_zip(h: Headline) -> bytes:
    """Every table as a CSV, rounded to the precision it is known to, with a README.txt describing each."""
    frames = tables(h)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("README.txt", readme(h, frames))
        for name, frame in frames.items():
            z.writestr(f"{name}.csv", wording.to_csv(rounded(h, name, frame)))
    return buffer.getvalue()
