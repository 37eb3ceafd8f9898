"""Exports that carry the business case out of the app: one-pager (HTML), deck (PPTX), CSV tables.

All are built from the same Headline the pages use, work offline, and need nothing but
this package to open: the HTML inlines plotly.js; the deck's charts are native PowerPoint
charts (editable, no images).
"""
from __future__ import annotations

import html
import io
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from .business import BusinessCaseInputs, coverage_scenarios, sensitivity
from .errors import RetentionError
from .figures import hazard_ratio_figure, scenario_figure, survival_figure
from .models import DAYS_PER_MONTH, MIN_GROUP_SIZE, count_words, shown_share
from .summary import Assumptions, Headline, headline, less_likely, money

CURVE_MONTHS = 60


# ---------------------------------------------------------------- shared words and tables

def _pct(x: float | None) -> str:
    return "–" if x is None or x != x else f"{x:.0%}"


def key_messages(h: Headline) -> dict[str, str]:
    """The sentences every export repeats, from one place."""
    fu = h.follow_up
    out = {"scope": f"{count_words(fu.n_employees)} people ({fu.cohort.describe()}), data as of "
                    f"{fu.as_of:%d %B %Y}; {count_words(fu.n_mentored)} mentored, {count_words(fu.n_events)} "
                    f"{'voluntary exits' if fu.event == 'voluntary' else 'exits'}."}
    if h.adjusted:
        out["effect"] = (f"Mentored employees were {less_likely(h.adjusted.hazard_ratio.to_dict())} to leave "
                         f"in any given month than comparable colleagues who were not (yet) mentored.")
    else:
        out["effect"] = f"No honest estimate for this group: {h.missing.get('adjusted')}."
    if h.naive:
        out["naive"] = (f"A naive report comparing ever-mentored with never-mentored people would claim "
                        f"{less_likely(h.naive.hazard_ratio.to_dict())}: it credits mentoring with the months "
                        f"before it began and with who gets mentored.")
    if h.retention:
        m, u = h.retention["mentored"], h.retention["unmentored"]
        out["retention"] = (f"{h.horizon_days / DAYS_PER_MONTH:.0f} months after hire, {_pct(m.estimate)} of mentored "
                            f"employees were still here ({_pct(m.lower)}–{_pct(m.upper)}), against "
                            f"{_pct(u.estimate)} of those not mentored ({_pct(u.lower)}–{_pct(u.upper)}).")
    if h.business:
        cur, years = h.business.current, h.business.inputs.horizon_years
        period = "a year" if years == 1 else f"over {years:g} years"
        out["value"] = (f"The programme as it is avoids about {cur.avoided_exits.estimate:,.0f} exits {period} "
                        f"(range {cur.avoided_exits.low:,.0f}–{cur.avoided_exits.high:,.0f}), worth a net "
                        f"{money(cur.net_benefit.estimate)} (range {money(cur.net_benefit.low)} to "
                        f"{money(cur.net_benefit.high)}). {payback_words(cur.payback_months)}")
    return out


def payback_words(payback) -> str:
    """The payback Range in a sentence; `high` is the slow end, None when it never pays back."""
    if payback.estimate is None:
        return "At the honest estimate it saves nothing, so it does not pay back its cost."
    slow = "never" if payback.high is None else f"{payback.high:,.0f} months"
    return f"It pays back its cost in about {payback.estimate:,.0f} months (range {payback.low:,.0f} months to {slow})."


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
    return pd.DataFrame(out)


def tables(h: Headline) -> dict[str, pd.DataFrame]:
    """Every table behind the exports, for CSV download."""
    out: dict[str, pd.DataFrame] = {}
    fits = {"naive (overstated)": h.naive, "time-varying": h.time_varying, "adjusted (honest)": h.adjusted}
    out["hazard_ratios"] = pd.DataFrame([f.hazard_ratio.as_row(k) for k, f in fits.items() if f])
    if h.adjusted:
        out["adjusted_model"] = h.adjusted.result.summary_
    if h.curves:
        out["retention_curves"] = curve_table(h)
    if h.retention:
        out["retention_at_horizon"] = pd.DataFrame([v.as_row(k) for k, v in h.retention.items()])
    if h.rmst:
        out["restricted_mean_tenure_days"] = pd.DataFrame([v.as_row(k) for k, v in h.rmst.items()])
    if h.median_tenure:  # blank estimate or bound: not reached within follow-up
        out["median_tenure_days"] = pd.DataFrame([v.as_row(k) for k, v in h.median_tenure.items()])
    if h.business:
        out["business_case"] = h.business.table()
        out["coverage_scenarios"] = coverage_scenarios(h.business.inputs)
        out["sensitivity_roi"] = sensitivity(h.business.inputs).reset_index()
    return out


def tables_zip(h: Headline) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, frame in tables(h).items():
            z.writestr(f"{name}.csv", frame.to_csv(index=False))
    return buffer.getvalue()


# ---------------------------------------------------------------- the one-pager

PAGE_CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; color: #1d2733; margin: 0 auto; max-width: 980px;
       padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 18px 0 6px; color: #1f6f8b; }
.scope { color: #52606d; font-size: 13px; margin-bottom: 14px; }
.headline { font-size: 19px; background: #eaf4f7; border-left: 5px solid #1f6f8b; padding: 12px 16px; }
.kpis { display: flex; gap: 10px; flex-wrap: wrap; margin: 14px 0; }
.kpi { flex: 1 1 150px; border: 1px solid #d9e2ec; border-radius: 6px; padding: 8px 12px; }
.kpi .label { font-size: 12px; color: #52606d; } .kpi .value { font-size: 20px; font-weight: bold; }
.kpi .range { font-size: 11px; color: #52606d; }
.naive { font-size: 13px; color: #52606d; } table { border-collapse: collapse; font-size: 12px; }
td, th { border-bottom: 1px solid #e4e7eb; padding: 3px 8px; text-align: left; }
.chart { page-break-inside: avoid; }
@page { size: A4; margin: 14mm; }
@media print { body { padding: 0; max-width: none; } .pagebreak { page-break-before: always; } }
"""


def _kpi(label: str, value: str, rng: str = "") -> str:
    return (f'<div class="kpi"><div class="label">{html.escape(label)}</div>'
            f'<div class="value">{html.escape(value)}</div><div class="range">{html.escape(rng)}</div></div>')


def _chart(fig) -> str:
    fig.update_layout(width=920)
    return '<div class="chart">' + pio.to_html(fig, full_html=False, include_plotlyjs=False,
                                               config={"displayModeBar": False, "staticPlot": True}) + "</div>"


def one_pager_html(h: Headline) -> str:
    """Self-contained HTML: inline CSS and plotly.js, no external references; prints to PDF."""
    msg = key_messages(h)
    fu = h.follow_up
    kpis = [_kpi("People in scope", count_words(fu.n_employees)),
            _kpi("Ever mentored", _pct(shown_share(fu.n_mentored, fu.n_employees)))]
    if h.retention:
        for name in ("mentored", "unmentored"):
            e = h.retention[name]
            kpis.append(_kpi(f"Still here at 12 months: {name}", _pct(e.estimate), f"{_pct(e.lower)}–{_pct(e.upper)}"))
    if h.business:
        net = h.business.current.net_benefit
        years = int(h.business.inputs.horizon_years)
        label = "Estimated yearly value" if years == 1 else f"Estimated value over {years} years"
        kpis.append(_kpi(label, money(net.estimate), f"{money(net.low)} to {money(net.high)}"))
    parts = [f"<h1>Is mentoring keeping people?</h1><div class='scope'>{html.escape(msg['scope'])}</div>",
             f"<div class='headline'>{html.escape(msg['effect'])}</div>", f"<div class='kpis'>{''.join(kpis)}</div>"]
    if h.curves:
        parts += ["<h2>Who is still here, by months since hire</h2>",
                  _chart(survival_figure({"mentored": h.curves.mentored, "unmentored": h.curves.unmentored},
                                         h.horizon_days, max_months=CURVE_MONTHS, height=380))]
    if "naive" in msg:
        parts += ["<h2>How we know</h2>", f"<p class='naive'>{html.escape(msg['naive'])} We count mentoring only "
                  "from the day it began and compare like with like.</p>",
                  _chart(hazard_ratio_figure({"Naive report (overstated)": h.naive.hazard_ratio,
                                              "From mentoring start": h.time_varying.hazard_ratio,
                                              "Honest: like with like": h.adjusted.hazard_ratio}, height=260))]
    if h.business:
        parts += ["<h2 class='pagebreak'>What it is worth</h2>", f"<p>{html.escape(msg.get('value', ''))}</p>",
                  _chart(scenario_figure(coverage_scenarios(h.business.inputs), height=300,
                                         years=int(h.business.inputs.horizon_years))),
                  "<h2>Assumptions</h2>", _assumptions_table(h)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Mentoring and retention</title>"
            f"<style>{PAGE_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
            f"<body>{body}<p class='scope'>Generated {date.today():%d %B %Y}. Survival analysis with "
            f"time-varying, adjusted Cox models; ranges are 95% confidence intervals.</p></body></html>")


def _assumptions_table(h: Headline) -> str:
    rows = "".join(f"<tr><td>{html.escape(r.input)}</td>"
                   f"<td>{html.escape(r.value + (f' ({r.range})' if r.range else ''))}</td>"
                   f"<td>{html.escape(r.source)}</td></tr>"
                   for r in assumptions_frame(h.business.inputs).itertuples())
    return f"<table><tr><th>input</th><th>value</th><th>source</th></tr>{rows}</table>"


def assumptions_frame(x: BusinessCaseInputs) -> pd.DataFrame:
    """The business case's inputs as people read them: label, value, 95% range where there is one,
    and where each came from."""
    rows = []
    for name, label in INPUT_LABELS.items():
        value = getattr(x, name)
        if value is None:
            continue
        low, high = (getattr(x, f"{name}_lower"), getattr(x, f"{name}_upper")) if name == "hazard_ratio" else (None, None)
        span = f"{_fmt(name, low)}–{_fmt(name, high)}" if low is not None and high is not None else ""
        rows.append((label, _fmt(name, value), span, x.sources.get(name, "")))
    return pd.DataFrame(rows, columns=["input", "value", "range", "source"])


INPUT_LABELS = {
    "people_in_scope": "People employed now", "p0": "Chance an unmentored employee leaves within a year",
    "hazard_ratio": "Honest effect (hazard ratio)", "coverage_now": "Share mentored today",
    "coverage_target": "Target share mentored", "average_salary": "Average salary",
    "replacement_cost_pct": "Cost of replacing a leaver (share of salary)",
    "programme_cost_per_mentee": "Programme cost per mentee per year", "horizon_years": "Horizon (years)"}
SHARES = ("p0", "coverage_now", "coverage_target", "replacement_cost_pct")
AMOUNTS = ("average_salary", "programme_cost_per_mentee")


def _fmt(name: str, value: Any) -> str:
    if name in SHARES:
        return f"{value:.0%}"
    if name == "hazard_ratio":
        return f"{value:.2f}"
    if name in AMOUNTS:
        return f"${value:,.0f}"
    return f"{value:,.0f}"


# ---------------------------------------------------------------- the deck

def deck_pptx(h: Headline) -> bytes:
    """About six slides with native, editable charts."""
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
    from pptx.util import Inches, Pt

    msg = key_messages(h)
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]

    def slide(title: str):
        s = prs.slides.add_slide(blank)
        box = s.shapes.add_textbox(Inches(0.6), Inches(0.35), Inches(12.1), Inches(0.9))
        p = box.text_frame.paragraphs[0]
        p.text, p.font.size, p.font.bold = title, Pt(30), True
        return s

    def text(s, lines: list[str], top: float, size: int = 18, height: float = 1.5):
        box = s.shapes.add_textbox(Inches(0.6), Inches(top), Inches(12.1), Inches(height))
        tf = box.text_frame
        tf.word_wrap = True
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text, p.font.size = line, Pt(size)
            p.space_after = Pt(8)
        return box

    def chart(s, kind, data, top=2.0, height=5.0, percent=True, legend=True):
        frame = s.shapes.add_chart(kind, Inches(0.6), Inches(top), Inches(12.1), Inches(height), data)
        c = frame.chart
        c.has_legend = legend
        if legend:
            c.legend.position, c.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
        c.value_axis.tick_labels.number_format = "0%" if percent else '"$"#,##0'
        c.value_axis.tick_labels.number_format_is_linked = False
        c.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # below negative bars too
        c.font.size = Pt(14)
        return c

    s = slide("Is mentoring keeping people?")
    text(s, [msg["effect"]], 1.5, size=26, height=1.6)
    text(s, [msg[k] for k in ("retention", "value") if k in msg] + [msg["scope"]], 3.4, size=18, height=3.5)

    if h.curves:
        s = slide("Who is still here, by months since hire")
        curves = curve_table(h)
        data = CategoryChartData()
        data.categories = [str(m) for m in curves["month"]]
        for name in ("mentored", "unmentored"):
            data.add_series(name, [None if pd.isna(v) else float(v) for v in curves[name]])
        c = chart(s, XL_CHART_TYPE.LINE, data, top=1.3, height=5.2)
        c.category_axis.tick_labels.font.size = Pt(11)
        c.value_axis.minimum_scale, c.value_axis.maximum_scale = 0.0, 1.0
        text(s, ["Mentored people count from the day their mentoring began. Months since hire across the bottom."],
             6.6, size=13, height=0.6)

    fits = [("Naive report (overstated)", h.naive), ("From mentoring start", h.time_varying),
            ("Honest: like with like", h.adjusted)]
    fits = [(label, f) for label, f in fits if f]
    if fits:
        s = slide("The honest figure vs what a naive report claims")
        data = CategoryChartData()
        data.categories = [label for label, _ in fits]
        data.add_series("Less likely to leave in any given month", [1 - f.hazard_ratio.estimate for _, f in fits])
        data.add_series("Cautious end of the range", [1 - f.hazard_ratio.upper for _, f in fits])
        chart(s, XL_CHART_TYPE.BAR_CLUSTERED, data, top=1.3, height=3.9)
        text(s, [msg.get("naive", ""), "We count mentoring only from the day it began, and compare people "
                 "with the same department, level, generation, performance and pay."], 5.3, size=15, height=1.9)

    if h.business:
        cur = h.business.current
        s = slide("What the programme is worth, with its range")
        data = CategoryChartData()
        data.categories = ["Savings", "Programme cost", "Net benefit"]
        for label, pick in (("cautious", "low"), ("estimate", "estimate"), ("optimistic", "high")):
            data.add_series(label, [getattr(cur.savings, pick), cur.programme_cost.estimate,
                                    getattr(cur.net_benefit, pick)])
        chart(s, XL_CHART_TYPE.COLUMN_CLUSTERED, data, top=1.3, height=4.2, percent=False)
        roi = cur.roi
        text(s, [msg.get("value", ""), f"Return on investment {_pct(roi.estimate)} (range {_pct(roi.low)} to "
                 f"{_pct(roi.high)}); ranges come from the 95% range of the honest effect."], 5.6, size=15, height=1.6)

        scen = coverage_scenarios(h.business.inputs)
        s = slide(f"If {h.business.inputs.coverage_target:.0%} were mentored instead of "
                  f"{h.business.inputs.coverage_now:.0%}")
        data = CategoryChartData()
        data.categories = [f"{c:.0%}" for c in scen["coverage"]]
        for label, col in (("cautious", "net_benefit_low"), ("estimate", "net_benefit"),
                           ("optimistic", "net_benefit_high")):
            data.add_series(label, [float(v) for v in scen[col]])
        chart(s, XL_CHART_TYPE.LINE, data, top=1.3, height=4.6, percent=False)
        tgt = h.business.target
        text(s, [f"{tgt.mentees:,.0f} more mentees would avoid about {tgt.avoided_exits.estimate:,.0f} more exits, "
                 f"net {money(tgt.net_benefit.estimate)} (range {money(tgt.net_benefit.low)} to "
                 f"{money(tgt.net_benefit.high)})."], 6.1, size=15, height=0.9)

    s = slide("Method and assumptions")
    lines = ["Survival analysis of time from hire to leaving; mentoring counts from its first day (time-varying Cox "
             "model, Efron ties, as R's survival package), adjusted for " +
             (", ".join(h.adjusted.covariates).replace("_", " ") if h.adjusted else "nothing") + ".",
             "Groups under 5 people are never shown; ranges are 95% confidence intervals."]
    if h.business:
        lines += [f"{r.input}: {r.value}{f', range {r.range}' if r.range else ''} ({r.source})"
                  for r in assumptions_frame(h.business.inputs).itertuples()]
    text(s, lines, 1.4, size=14, height=5.6)

    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- CLI entry

def write_report(con, fmt: str, out: str | Path, as_of=None, event=None,
                 assumptions: Assumptions = Assumptions()) -> Path:
    if fmt not in ("html", "pptx"):
        raise RetentionError(f"format must be one of ('html', 'pptx'), but was {fmt!r}")
    h = headline(con, None, as_of, event, assumptions)
    path = Path(out)
    try:
        if fmt == "html":
            path.write_text(one_pager_html(h), encoding="utf-8")
        else:
            path.write_bytes(deck_pptx(h))
    except OSError as exc:
        raise RetentionError(f"cannot write {str(path)!r}: {exc.strerror}") from None
    return path
