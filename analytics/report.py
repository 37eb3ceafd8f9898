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

import numpy as np
import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from . import wording
from .business import coverage_scenarios, sensitivity
from .errors import RetentionError
from .figures import hazard_ratio_figure, scenario_figure, survival_figure
from .policy import CURVE_MONTHS, DAYS_PER_MONTH, MIN_GROUP_SIZE, count_words, shown_share
from .summary import Assumptions, Headline, headline
from .wording import key_messages, money, pct, pct_range


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
        out["business_case"] = wording.business_case_table(h.business)
        out["coverage_scenarios"] = coverage_scenarios(h.business.inputs)
        out["sensitivity_roi"] = sensitivity(h.business.inputs).reset_index()
    return out


def tables_zip(h: Headline) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, frame in tables(h).items():
            z.writestr(f"{name}.csv", wording.to_csv(frame))
    return buffer.getvalue()


# ---------------------------------------------------------------- the one-pager

PAGE_CSS = """
body { font-family: 'DejaVu Sans', Arial, sans-serif; color: #1d2733; margin: 0 auto; max-width: 980px;
       padding: 24px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 18px 0 6px; color: #1f6f8b; }
.scope { color: #52606d; font-size: 13px; margin-bottom: 14px; }
.demo { color: #8a4b08; background: #fff4e5; font-size: 13px; padding: 4px 8px; margin: 4px 0; }
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
            _kpi("Ever mentored", pct(shown_share(fu.n_mentored, fu.n_employees)))]
    if h.retention:
        for name in ("mentored", "unmentored"):
            e = h.retention[name]
            kpis.append(_kpi(f"Still here at {wording.months(h.horizon_days)} months: {name}", pct(e.estimate),
                             pct_range(e.lower, e.upper)))
    if h.business:
        net = h.business.current.net_benefit
        label = wording.value_label(h.business.inputs.horizon_years)
        kpis.append(_kpi(f"Estimated {label[:1].lower()}{label[1:]}", money(net.estimate), wording.money_range(net)))
    demo = f"<div class='demo'>{html.escape(msg['demo'])}</div>" if "demo" in msg else ""
    parts = [f"<h1>Is mentoring keeping people?</h1>{demo}<div class='scope'>{html.escape(msg['scope'])}</div>",
             f"<div class='headline'>{html.escape(msg['effect'])}</div>", f"<div class='kpis'>{''.join(kpis)}</div>"]
    if h.curves:
        parts += ["<h2>Who is still here, by months since hire</h2>",
                  _chart(survival_figure({"mentored": h.curves.mentored, "unmentored": h.curves.unmentored},
                                         h.horizon_days, max_months=CURVE_MONTHS, height=380,
                                         rounded=fu.rounded))]
    if "naive" in msg:
        parts += ["<h2>How we know</h2>", f"<p class='naive'>{html.escape(msg['naive'])} We count mentoring only "
                  "from the day it began and compare like with like.</p>",
                  _chart(hazard_ratio_figure(wording.model_effects(h), height=260))]
    if h.business:
        parts += ["<h2 class='pagebreak'>What it is worth</h2>", f"<p>{html.escape(msg.get('value', ''))}</p>",
                  _chart(scenario_figure(coverage_scenarios(h.business.inputs), height=300,
                                         years=int(h.business.inputs.horizon_years))),
                  "<h2>Assumptions</h2>", _assumptions_table(h)]
    body = "\n".join(parts)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Mentoring and retention</title>"
            f"<style>{PAGE_CSS}</style><script type='text/javascript'>{get_plotlyjs()}</script></head>"
            f"<body>{body}<p class='scope'>{wording.generated_on(date.today())}</p></body></html>")


def _assumptions_table(h: Headline) -> str:
    rows = "".join(f"<tr><td>{html.escape(r.input)}</td>"
                   f"<td>{html.escape(r.value + (f' ({r.range})' if r.range else ''))}</td>"
                   f"<td>{html.escape(r.source)}</td></tr>"
                   for r in wording.assumptions_frame(h.business.inputs).itertuples())
    return f"<table><tr><th>input</th><th>value</th><th>source</th></tr>{rows}</table>"


# ---------------------------------------------------------------- the deck

class _Deck:
    """A 16:9 deck of blank slides, each a title, text boxes and native (editable) charts."""

    def __init__(self):
        from pptx import Presentation
        from pptx.util import Inches

        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Inches(13.333), Inches(7.5)

    def slide(self, title: str):
        from pptx.util import Inches, Pt

        s = self.prs.slides.add_slide(self.prs.slide_layouts[6])  # blank
        box = s.shapes.add_textbox(Inches(0.6), Inches(0.35), Inches(12.1), Inches(0.9))
        p = box.text_frame.paragraphs[0]
        p.text, p.font.size, p.font.bold = title, Pt(30), True
        return s

    @staticmethod
    def text(s, lines: list[str], top: float, size: int = 18, height: float = 1.5):
        from pptx.util import Inches, Pt

        box = s.shapes.add_textbox(Inches(0.6), Inches(top), Inches(12.1), Inches(height))
        tf = box.text_frame
        tf.word_wrap = True
        for i, line in enumerate(lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text, p.font.size = line, Pt(size)
            p.space_after = Pt(8)
        return box

    @staticmethod
    def chart(s, kind, data, top=2.0, height=5.0, percent=True, legend=True):
        from pptx.enum.chart import XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
        from pptx.util import Inches, Pt

        frame = s.shapes.add_chart(kind, Inches(0.6), Inches(top), Inches(12.1), Inches(height), data)
        c = frame.chart
        c.has_legend = legend
        if legend:
            c.legend.position, c.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
        c.value_axis.tick_labels.number_format = wording.PPTX_PERCENT if percent else wording.PPTX_MONEY
        c.value_axis.tick_labels.number_format_is_linked = False
        c.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW  # below negative bars too
        c.font.size = Pt(14)
        return c

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


def _chart_data(categories, series: dict[str, list]):
    from pptx.chart.data import CategoryChartData

    data = CategoryChartData()
    data.categories = categories
    for name, values in series.items():
        data.add_series(name, values)
    return data


def _title_slide(deck: _Deck, h: Headline, msg: dict[str, str]) -> None:
    s = deck.slide("Is mentoring keeping people?")
    deck.text(s, [msg["effect"]], 1.5, size=26, height=1.6)
    deck.text(s, [msg[k] for k in ("retention", "value") if k in msg] + [msg["scope"]] +
              ([msg["demo"]] if "demo" in msg else []), 3.4, size=18, height=3.5)


def _curves_slide(deck: _Deck, h: Headline, msg: dict[str, str]) -> None:
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Pt

    s = deck.slide("Who is still here, by months since hire")
    curves = curve_table(h)
    data = _chart_data([str(m) for m in curves["month"]],
                       {name: [None if pd.isna(v) else float(v) for v in curves[name]]
                        for name in ("mentored", "unmentored")})
    c = deck.chart(s, XL_CHART_TYPE.LINE, data, top=1.3, height=5.2)
    c.category_axis.tick_labels.font.size = Pt(11)
    c.value_axis.minimum_scale, c.value_axis.maximum_scale = 0.0, 1.0
    deck.text(s, ["Mentored people count from the day their mentoring began. Months since hire across the bottom."],
              6.6, size=13, height=0.6)


def _effects_slide(deck: _Deck, h: Headline, msg: dict[str, str]) -> None:
    from pptx.enum.chart import XL_CHART_TYPE

    fits = [(label, hr) for label, hr in wording.model_effects(h).items() if hr]
    s = deck.slide("The honest figure vs what a naive report claims")
    data = _chart_data([label for label, _ in fits],
                       {"Less likely to leave in any given month": [1 - hr.estimate for _, hr in fits],
                        "Cautious end of the range": [1 - hr.upper for _, hr in fits]})
    deck.chart(s, XL_CHART_TYPE.BAR_CLUSTERED, data, top=1.3, height=3.9)
    deck.text(s, [msg.get("naive", ""), "We count mentoring only from the day it began, and compare people "
                  "with the same department, level, generation, performance and pay."], 5.3, size=15, height=1.9)


def _value_slide(deck: _Deck, h: Headline, msg: dict[str, str]) -> None:
    from pptx.enum.chart import XL_CHART_TYPE

    cur = h.business.current
    s = deck.slide("What the programme is worth, with its range")
    data = _chart_data(["Savings", "Programme cost", "Net benefit"],
                       {label: [getattr(cur.savings, pick), cur.programme_cost.estimate, getattr(cur.net_benefit, pick)]
                        for label, pick in (("cautious", "low"), ("estimate", "estimate"), ("optimistic", "high"))})
    deck.chart(s, XL_CHART_TYPE.COLUMN_CLUSTERED, data, top=1.3, height=4.2, percent=False)
    roi = cur.roi
    deck.text(s, [msg.get("value", ""), f"Return on investment {pct(roi.estimate)} (range {pct(roi.low)} to "
                  f"{pct(roi.high)}); ranges come from the 95% range of the honest effect."], 5.6, size=15, height=1.6)


def _scenario_slide(deck: _Deck, h: Headline, msg: dict[str, str]) -> None:
    from pptx.enum.chart import XL_CHART_TYPE

    x = h.business.inputs
    scen = coverage_scenarios(x)
    s = deck.slide(f"If {pct(x.coverage_target)} were mentored instead of {pct(x.coverage_now)}")
    data = _chart_data([pct(c) for c in scen["coverage"]],
                       {label: [float(v) for v in scen[col]] for label, col in
                        (("cautious", "net_benefit_low"), ("estimate", "net_benefit"), ("optimistic", "net_benefit_high"))})
    deck.chart(s, XL_CHART_TYPE.LINE, data, top=1.3, height=4.6, percent=False)
    tgt = h.business.target
    deck.text(s, [f"{tgt.mentees:,.0f} more mentees would avoid about {tgt.avoided_exits.estimate:,.0f} more exits, "
                  f"net {money(tgt.net_benefit.estimate)} (range {wording.money_range(tgt.net_benefit)})."],
              6.1, size=15, height=0.9)


def _method_slide(deck: _Deck, h: Headline, msg: dict[str, str]) -> None:
    s = deck.slide("Method and assumptions")
    lines = ["Survival analysis of time from hire to leaving; mentoring counts from its first day (time-varying Cox "
             "model, Efron ties, as R's survival package), adjusted for " +
             (wording.covariate_words(h.adjusted.covariates) if h.adjusted else "nothing") + ".",
             f"Groups under {MIN_GROUP_SIZE} people are never shown; ranges are 95% confidence intervals."]
    if h.business:
        lines += [f"{r.input}: {r.value}{f', range {r.range}' if r.range else ''} ({r.source})"
                  for r in wording.assumptions_frame(h.business.inputs).itertuples()]
    deck.text(s, lines, 1.4, size=14, height=5.6)


def deck_pptx(h: Headline) -> bytes:
    """About six slides with native, editable charts; a slide whose figures the cohort cannot give
    is left out."""
    msg = key_messages(h)
    deck = _Deck()
    slides = [(_title_slide, True), (_curves_slide, h.curves), (_effects_slide, h.naive or h.time_varying or h.adjusted),
              (_value_slide, h.business), (_scenario_slide, h.business), (_method_slide, True)]
    for make, shown in slides:
        if shown:
            make(deck, h, msg)
    return deck.bytes()


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
