"""Plotly figure builders for the dashboard's pages (no streamlit here).

Colours come from palette.py: the mentored group dark and solid, the unmentored light and dashed, other groups
the palette's series with a dash pattern each (svg.line_styles), so lines part in greyscale too. Every text
colour is set here, not left to a theme: ticks and notes in palette.MUTED, labels in palette.INK, each at least
4.5:1 on white (the pages draw these figures with theme=None, so Streamlit's own greys do not replace them).
"""
from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.common.policy import DAYS_PER_MONTH, MIN_GROUP_SIZE, shown_total
from analytics.estimation.km import KaplanMeier
from analytics.estimation.results import HazardRatio
from analytics.estimation.subgroups import SubgroupEffect
from analytics.outputs import palette
from analytics.outputs.svg import curve_points, incidence_points, line_styles
from analytics.words import wording
from analytics.words.wording import CURRENCY, chart_text, months, pct, per_period

FONT = dict(family="DejaVu Sans, Arial, sans-serif", size=13, color=palette.INK)
NOTE_FONT = dict(size=11, color=palette.MUTED)  # at-risk counts and other notes on a chart
ESTIMATE_COLOURS = (palette.NAIVE, palette.TIME_VARYING, palette.ACCENT)  # naive, from mentoring start, honest


def _layout(fig: go.Figure, height: int = 420, **kw) -> go.Figure:
    """The house style, every text colour explicit: labels and legend in INK, tick labels in MUTED."""
    fig.update_layout(template="plotly_white", font=FONT, height=height, margin=dict(l=60, r=20, t=40, b=50),
                      paper_bgcolor="white", plot_bgcolor="white", title_font_color=palette.INK,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0,
                                  font=dict(color=palette.INK)),
                      hoverlabel=dict(font_color=palette.INK, bgcolor="white"), **kw)
    axes = dict(tickfont=dict(color=palette.MUTED), title_font=dict(color=palette.INK), gridcolor=palette.GRID,
                linecolor=palette.MUTED, zerolinecolor=palette.MUTED)
    fig.update_xaxes(**axes)
    fig.update_yaxes(**axes)
    return fig


def _step(table: pd.DataFrame, column: str, until: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A right-continuous step function as plotted points, starting at (0, 1)."""
    t = np.r_[0.0, table["time"].to_numpy(float)]
    y = np.r_[1.0, table[column].to_numpy(float)]
    if until is not None:
        y = np.r_[y, y[-1]]
        t = np.r_[t, until]
    x = np.repeat(t, 2)[1:]
    yy = np.repeat(y, 2)[:-1]
    return x / DAYS_PER_MONTH, yy


def _band(fig: go.Figure, table: pd.DataFrame, colour: str, label: str, opacity: float = 0.15, **at) -> None:
    """A curve's 95% band (its table's lower and upper steps), filled, without a legend entry."""
    x, lo = _step(table, "lower")
    _, up = _step(table, "upper")
    fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[up, lo[::-1]], fill="toself", fillcolor=colour,
                             opacity=opacity, line=dict(width=0), hoverinfo="skip", showlegend=False,
                             name=f"{label} 95% CI"), **at)


def at_risk_table(curves: Mapping[str, KaplanMeier], months: Iterable[float], rounded: bool = False) -> pd.DataFrame:
    """People at risk per group at each month; groups below the privacy minimum show as None, and for a
    filtered group (`rounded`) the counts are rounded as its total is (policy.shown_total)."""
    days = np.asarray(list(months), float) * DAYS_PER_MONTH
    out = {}
    for name, km in curves.items():
        counts = km.at_risk_at(days)
        out[name] = [shown_total(int(c), rounded) if c >= MIN_GROUP_SIZE else None for c in counts]
    return pd.DataFrame(out, index=[f"{m:g}" for m in months]).T


def survival_figure(curves: Mapping[str, KaplanMeier], horizon_days: float | None = None,
                    max_months: float | None = None, title: str | None = None,
                    y_title: str = "Still employed", height: int = 460, rounded: bool = False) -> go.Figure:
    """Survival curves with 95% CI bands, at-risk counts under the chart (rounded for a filtered group)
    and the horizon marked."""
    fig = go.Figure()
    last = max(km.table_["time"].max() for km in curves.values()) if curves else 0
    until = max_months * DAYS_PER_MONTH if max_months else last
    styles = line_styles(curves)
    for name, km in curves.items():
        # privacy: no curve where fewer than 5 remain; a rounded group's curve by whole month, to whole percents
        table = curve_points(km, until / DAYS_PER_MONTH, rounded)
        if table.empty:
            continue
        colour, dash = styles[name]
        _band(fig, table, colour, chart_text(name))
        x, y = _step(table, "survival")
        label = chart_text(name)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=colour, width=2.5, dash=dash), name=label,
                                 hovertemplate="%{x:.0f} months: %{y:.1%}<extra>" + label + "</extra>"))
    months_max = until / DAYS_PER_MONTH
    step = 6 if months_max <= 48 else 12
    ticks = np.arange(0, months_max + 1e-9, step)
    if horizon_days:
        fig.add_vline(x=horizon_days / DAYS_PER_MONTH, line=dict(color=palette.MUTED, dash="dot", width=1),
                      annotation_text=f"{months(horizon_days)} months", annotation_font=NOTE_FONT,
                      annotation_position="bottom right")
    risk = at_risk_table(curves, ticks, rounded)
    n_rows = len(risk)
    lines = lambda cells: "<br>".join(cells)  # noqa: E731
    for j, m in enumerate(ticks):
        cells = ["–" if v is None or pd.isna(v) else f"{int(v):,}" for v in risk.iloc[:, j]]
        fig.add_annotation(x=m, y=0, yref="paper", yshift=-58, text=lines(["\u00a0"] + cells), showarrow=False,
                           font=NOTE_FONT, align="center", yanchor="top")
    label_width = 7 * max([len(str(name)) for name in risk.index] + [8])
    fig.add_annotation(x=0, xref="paper", y=0, yref="paper", yshift=-58, xshift=-34,
                       text=lines(["<b>At risk</b>"] + [chart_text(name) for name in risk.index]), showarrow=False,
                       font=NOTE_FONT, align="right", xanchor="right", yanchor="top")
    _layout(fig, height=height + 16 * n_rows, title=title)
    fig.update_layout(margin=dict(l=50 + label_width, r=20, t=50, b=96 + 16 * n_rows))
    fig.update_xaxes(title_text="Months since hire", tickvals=ticks, range=[0, months_max * 1.01])
    fig.update_yaxes(title_text=y_title, tickformat=".0%", rangemode="tozero")
    return fig


def hazard_ratio_figure(estimates: Mapping[str, HazardRatio | None], title: str | None = None,
                        height: int = 300) -> go.Figure:
    """Naive vs honest: each HR as '% less likely to leave' with its 95% CI; each value is written after the
    end of its range, clear of the bar, the range and the zero line."""
    labels, est, lo, hi, colours = [], [], [], [], []
    for i, (label, hr) in enumerate(estimates.items()):
        if hr is None:
            continue
        labels.append(label)
        est.append(1 - hr.estimate)
        lo.append((1 - hr.estimate) - (1 - hr.upper))
        hi.append((1 - hr.lower) - (1 - hr.estimate))
        colours.append(ESTIMATE_COLOURS[i % 3])
    fig = go.Figure(go.Bar(
        x=est, y=labels, orientation="h", marker_color=colours,
        error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color=palette.INK, thickness=1.5),
        customdata=[wording.less_or_more(e) for e in est],
        hovertemplate="%{y}: %{customdata} likely to leave<extra></extra>"))
    for label, e, h in zip(labels, est, hi):
        fig.add_annotation(x=max(e + h, 0), y=label, text=f"<b>{wording.less_or_more(e)}</b>", showarrow=False, xanchor="left",
                           xshift=8, font=dict(color=palette.INK))
    _layout(fig, height=height, title=title, showlegend=False)
    # left of 0 is "more likely to leave": the axis reaches as far as the widest range does
    left = min([0.0] + [e - m for e, m in zip(est, lo)])
    right = max([1.0] + [e + h + 0.12 for e, h in zip(est, hi)])  # room for the value after the range
    fig.update_xaxes(title_text="How much less likely to leave in any given month (95% CI; below 0: more likely)",
                     tickformat=".0%", range=[left - 0.05 if left < 0 else 0, right], zeroline=True,
                     zerolinecolor=palette.MUTED, tickvals=[t / 10 for t in range(-10, 11, 2) if t / 10 <= 1])
    fig.update_yaxes(autorange="reversed", ticksuffix="  ")
    fig.update_layout(margin=dict(l=230, r=20, t=40, b=50))
    return fig


def _people(n: int | None, rounded: bool) -> str:
    shown = None if n is None else shown_total(n, rounded)
    return "fewer than 5" if shown is None else (f"about {shown:,}" if rounded else f"{shown:,}")


def forest_figure(effects: list[SubgroupEffect], title: str | None = None, rounded: bool = False) -> go.Figure:
    """Hazard ratio per group with its 95% CI, on a log scale; suppressed groups are labelled; `rounded`: a
    filtered group's counts to the nearest 5, as its total is."""
    shown = [e for e in effects if e.hazard_ratio is not None]
    labels = [f"{chart_text(e.group)} (n={_people(e.people, rounded)})" for e in shown]
    hr = [e.hazard_ratio.estimate for e in shown]
    fig = go.Figure(go.Scatter(
        x=hr, y=labels, mode="markers", marker=dict(size=10, color=palette.ACCENT, symbol="square"),
        error_x=dict(type="data", symmetric=False, array=[e.hazard_ratio.upper - e.hazard_ratio.estimate for e in shown],
                     arrayminus=[e.hazard_ratio.estimate - e.hazard_ratio.lower for e in shown], color=palette.INK),
        hovertemplate="%{y}: HR %{x:.2f}<extra></extra>"))
    fig.add_vline(x=1, line=dict(color=palette.MUTED, dash="dash"))
    _layout(fig, height=120 + 42 * max(len(shown), 1), title=title, showlegend=False)
    low = min([1.0] + [e.hazard_ratio.lower for e in shown]) / 1.3
    high = max([1.0] + [e.hazard_ratio.upper for e in shown]) * 1.3
    ticks = [t for t in (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10) if low <= t <= high]
    fig.update_xaxes(type="log", title_text="Hazard ratio, mentored vs not (below 1 = fewer exits)",
                     tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(margin=dict(l=260, r=20, t=40, b=50))
    return fig


def _incidence_steps(table: pd.DataFrame, max_months: float | None, rounded: bool) -> pd.DataFrame:
    """A cumulative incidence table's points as drawn: where at least MIN_GROUP_SIZE are at risk, up to
    `max_months`; `rounded` (a filtered group's, or at a chosen as-of date): at whole months in whole percents
    (svg.incidence_points), so that no exit's day or size can be read off it."""
    if rounded:
        last = max_months if max_months else float(table["time"].max()) / DAYS_PER_MONTH
        return incidence_points(table, last, rounded=True)
    t = table[table["at_risk"] >= MIN_GROUP_SIZE] if "at_risk" in table else table
    return t[t["time"] <= max_months * DAYS_PER_MONTH] if max_months else t


def incidence_figure(tables: Mapping[str, pd.DataFrame], max_months: float | None = None,
                     height: int = 380, rounded: bool = False) -> go.Figure:
    """Cumulative incidence of each kind of exit (competing risks); `rounded`: see _incidence_steps."""
    fig = go.Figure()
    styles = line_styles(tables)
    for name, table in tables.items():
        t = _incidence_steps(table, max_months, rounded)
        x = np.r_[0, t["time"].to_numpy(float)] / DAYS_PER_MONTH
        y = np.r_[0, t["cif"].to_numpy(float)]
        colour, dash = styles[name]
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line_shape="hv", name=f"{name} exits",
                                 line=dict(color=colour, width=2.5, dash=dash)))
    _layout(fig, height=height)
    fig.update_xaxes(title_text="Months since hire")
    fig.update_yaxes(title_text="Share who have left", tickformat=".0%", rangemode="tozero")
    return fig


def small_multiples_figure(curves: Mapping[str, KaplanMeier], everyone: KaplanMeier | None, max_months: float,
                           y_title: str = "Still employed", rounded: bool = False, columns: int = 3) -> go.Figure:
    """Each group's curve in a chart of its own with its 95% band (as wide as its size makes it), every group
    together in grey behind it for reference; the same axes throughout, so groups compare by position."""
    from plotly.subplots import make_subplots

    names = list(curves)
    rows = -(-len(names) // columns)
    fig = make_subplots(rows=rows, cols=columns, shared_xaxes=True, shared_yaxes=True,
                        subplot_titles=[chart_text(n) for n in names], vertical_spacing=0.32 / max(rows, 1),
                        horizontal_spacing=0.04)
    reference = curve_points(everyone, max_months, rounded) if everyone is not None else None
    for k, name in enumerate(names):
        row, col = k // columns + 1, k % columns + 1
        if reference is not None and not reference.empty:
            x, y = _step(reference, "survival")
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=palette.MUTED, width=1.2), opacity=0.6,
                                     name="all groups", showlegend=k == 0, hoverinfo="skip"), row=row, col=col)
        table = curve_points(curves[name], max_months, rounded)
        if table.empty:
            continue
        _band(fig, table, palette.ACCENT, chart_text(name), opacity=0.2, row=row, col=col)
        x, y = _step(table, "survival")
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=palette.ACCENT, width=2), name=chart_text(name),
                                 showlegend=False, hovertemplate="%{x:.0f} months: %{y:.1%}<extra>"
                                 + chart_text(name) + "</extra>"), row=row, col=col)
    _layout(fig, height=max(260, 230 * rows))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    fig.update_annotations(font=dict(size=12, color=palette.INK))
    fig.update_layout(yaxis_title=y_title, legend=dict(orientation="h", y=1.08, x=0))
    fig.update_xaxes(title_text="Months since hire", row=rows, col=1)
    return fig


CAUSE_DASHES = {"voluntary": "solid", "involuntary": "dash", "other": "dot"}


def incidence_by_group_figure(split: Mapping[str, Mapping[str, pd.DataFrame]], max_months: float | None = None,
                              height: int = 400, rounded: bool = False) -> go.Figure:
    """Cumulative incidence of each kind of exit in mentored and not mentored time: colour by group (the
    palette's mentored and unmentored), line style by kind of exit, so it reads in greyscale too; `rounded`: see
    _incidence_steps."""
    fig = go.Figure()
    for group, tables in split.items():
        colour = palette.MENTORED if group == "mentored" else palette.UNMENTORED
        for cause, table in tables.items():
            t = _incidence_steps(table, max_months, rounded)
            if t.empty:
                continue
            x = np.r_[t["time"].iloc[0], t["time"].to_numpy(float)] / DAYS_PER_MONTH
            y = np.r_[0, t["cif"].to_numpy(float)]
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line_shape="hv", name=f"{cause} exits, {group}",
                                     line=dict(color=colour, width=2.5, dash=CAUSE_DASHES.get(cause, "dashdot"))))
    _layout(fig, height=height)
    fig.update_xaxes(title_text="Months since hire")
    fig.update_yaxes(title_text="Share who have left", tickformat=".0%", rangemode="tozero")
    return fig


def _steps(points: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A right-continuous step function through its points as plotted (months across), from its first point."""
    x = np.repeat(points["time"].to_numpy(float), 2)[1:]
    return x / DAYS_PER_MONTH, np.repeat(points[column].to_numpy(float), 2)[:-1]


def outcome_figure(split: Mapping[str, pd.DataFrame], outcome: str, max_months: float, rounded: bool = False,
                   height: int = 360) -> go.Figure:
    """The share who have had an outcome beyond exits (a promotion, an internal move) by each month since hire, in
    mentored and not (yet) mentored time (outcomes.outcome_incidence), with 95% bands; each line named by what it
    counts. No line where fewer than MIN_GROUP_SIZE are at risk; a rounded group's by whole month, to whole percents
    (svg.incidence_points)."""
    fig = go.Figure()
    styles = line_styles(["mentored", "unmentored"])
    counted = wording.OUTCOME_COUNTED[outcome]
    for group, table in split.items():
        points = incidence_points(table, max_months, rounded)
        if points.empty:
            continue
        if points.index[0] == table.index[0] and points["time"].iloc[0] > 0:  # drawn from hire, where none had one
            points = pd.concat([pd.DataFrame({"time": [0.0], "cif": [0.0], "lower": [0.0], "upper": [0.0]}), points],
                               ignore_index=True)
        colour, dash = styles["mentored" if group == "mentored" else "unmentored"]
        label = f"{counted}, {'mentored' if group == 'mentored' else 'not (yet) mentored'}"
        x, lo = _steps(points, "lower")
        _, up = _steps(points, "upper")
        fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[up, lo[::-1]], fill="toself", fillcolor=colour,
                                 opacity=0.15, line=dict(width=0), hoverinfo="skip", showlegend=False,
                                 name=f"{label} 95% CI"))
        x, y = _steps(points, "cif")
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label, line=dict(color=colour, width=2.5, dash=dash),
                                 hovertemplate="%{x:.0f} months: %{y:" + (".0%" if rounded else ".1%") + "}<extra>"
                                               + label + "</extra>"))
    _layout(fig, height=height, title=dict(text=wording.OUTCOME_TITLES[outcome], y=0.98, yanchor="top"))
    fig.update_layout(margin=dict(l=60, r=20, t=100, b=50), legend=dict(y=1.02, yanchor="bottom"))
    fig.update_xaxes(title_text="Months since hire", range=[0, max_months])
    fig.update_yaxes(title_text=wording.OUTCOME_SHARE[outcome], tickformat=".0%", rangemode="tozero")
    return fig


def schoenfeld_figure(residuals: pd.DataFrame, covariate: str, height: int = 320) -> go.Figure:
    """Scaled Schoenfeld residuals over time with a smooth trend: flat means proportional hazards."""
    x = residuals["time"].to_numpy(float) / DAYS_PER_MONTH
    y = residuals[covariate].to_numpy(float)
    order = np.argsort(x)
    window = max(len(x) // 15, 5)
    trend = pd.Series(y[order]).rolling(window, center=True, min_periods=1).mean()
    fig = go.Figure([
        go.Scatter(x=x, y=y, mode="markers", marker=dict(size=4, color=palette.NAIVE, opacity=0.5), name="residual"),
        go.Scatter(x=x[order], y=trend, mode="lines", line=dict(color=palette.ACCENT, width=2.5), name="trend"),
    ])
    _layout(fig, height=height)
    fig.update_xaxes(title_text="Months since hire")
    fig.update_yaxes(title_text="log hazard ratio, beta(t)")
    return fig


def scenario_figure(scenarios: pd.DataFrame, currency: str = CURRENCY, height: int = 360, years: int = 1) -> go.Figure:
    """Net benefit by coverage with the range from the HR's CI."""
    x = scenarios["coverage"].to_numpy(float)
    fig = go.Figure([
        go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[scenarios["net_benefit_high"], scenarios["net_benefit_low"][::-1]],
                   fill="toself", fillcolor=palette.ACCENT, opacity=0.15, line=dict(width=0), name="95% range",
                   hoverinfo="skip"),
        go.Scatter(x=x, y=scenarios["net_benefit"], mode="lines+markers", line=dict(color=palette.ACCENT, width=2.5),
                   name="net benefit", hovertemplate="%{x:.0%} mentored: %{y:,.0f}<extra></extra>"),
    ])
    fig.add_hline(y=0, line=dict(color=palette.MUTED, dash="dash"))
    _layout(fig, height=height)
    fig.update_xaxes(title_text="Share of people mentored", tickformat=".0%")
    fig.update_yaxes(title_text=f"Net benefit {per_period(years)} ({currency})", tickformat=",.0f")
    return fig
