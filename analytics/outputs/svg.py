"""Static charts as inline SVG, drawn by the product itself: the one-pager's charts need no script, no
network and no plotting library to show or print.

Colours and dash patterns come from palette.py (mentored dark and solid, unmentored light and dashed); every
text is escaped; the curves stop where fewer than MIN_GROUP_SIZE people remain, as the dashboard's do.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from analytics.common.policy import DAYS_PER_MONTH, MIN_GROUP_SIZE
from analytics.estimation.competing import cumulative_incidence_at
from analytics.estimation.km import KaplanMeier, ci_column_names
from analytics.estimation.results import HazardRatio
from analytics.outputs import palette
from analytics.words import wording
from analytics.words.wording import months, pct

FONT = "'DejaVu Sans', Arial, Helvetica, sans-serif"  # fonts already on the reader's computer: nothing fetched
DASHARRAY = {"solid": "", "dash": "7 4", "dot": "2 3", "dashdot": "7 3 2 3", "longdash": "12 4",
             "longdashdot": "12 3 2 3"}  # palette.DASHES as SVG dash patterns (plotly's names)
CHAR_WIDTH = 0.6  # an upper bound on a character's width, in font sizes, to keep labels clear of each other


def _n(x: float) -> str:
    """A coordinate, to a tenth of a pixel."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_WIDTH


@dataclass
class Svg:
    """A small SVG builder: shapes and text in pixels, from the top left."""

    width: float
    height: float
    title: str
    parts: list[str] = field(default_factory=list)

    def line(self, x1, y1, x2, y2, colour: str, width: float = 1, dash: str = "solid", role: str = "") -> None:
        self.parts.append(f'<line{_class(role)} x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
                          f'stroke="{colour}" stroke-width="{_n(width)}"{_dash(dash)}/>')

    def path(self, d: str, colour: str, width: float = 2, dash: str = "solid", role: str = "") -> None:
        self.parts.append(f'<path{_class(role)} d="{d}" fill="none" stroke="{colour}" stroke-width="{_n(width)}" '
                          f'stroke-linejoin="round"{_dash(dash)}/>')

    def area(self, d: str, colour: str, opacity: float) -> None:
        self.parts.append(f'<path d="{d}" fill="{colour}" fill-opacity="{opacity:g}" stroke="none"/>')

    def rect(self, x, y, w, h, colour: str, role: str = "") -> None:
        self.parts.append(f'<rect{_class(role)} x="{_n(x)}" y="{_n(y)}" width="{_n(max(w, 0))}" height="{_n(h)}" '
                          f'fill="{colour}"/>')

    def text(self, x, y, text: str, size: float = 10, colour: str = palette.INK, anchor: str = "start",
             weight: str = "normal", rotate: bool = False, role: str = "") -> None:
        turn = f' transform="rotate(-90 {_n(x)} {_n(y)})"' if rotate else ""
        bold = ' font-weight="bold"' if weight == "bold" else ""
        self.parts.append(f'<text{_class(role)} x="{_n(x)}" y="{_n(y)}" font-size="{size:g}" fill="{colour}" '
                          f'text-anchor="{anchor}"{bold}{turn}>{html.escape(str(text))}</text>')

    def render(self) -> str:
        """Inline SVG for an HTML page (no namespace address: the page refers to nothing outside itself)."""
        title = html.escape(self.title)
        return (f'<svg viewBox="0 0 {_n(self.width)} {_n(self.height)}" width="{_n(self.width)}" '
                f'height="{_n(self.height)}" role="img" aria-label="{title}" font-family="{html.escape(FONT)}">'
                f'<title>{title}</title>{"".join(self.parts)}</svg>')


def _dash(name: str) -> str:
    pattern = DASHARRAY.get(name, "")
    return f' stroke-dasharray="{pattern}"' if pattern else ""


def _class(role: str) -> str:
    """A shape's part in the chart (tick, value, whisker, zero, curve), for tests and style sheets."""
    return f' class="{role}"' if role else ""


ALIASES = {"not mentored": "unmentored"}  # the Cohorts page's name for everyone's time before mentoring


def line_styles(names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Each group's colour and dash (plotly's dash names), for these charts and the dashboard's: the palette's
    own for the mentored and unmentored groups (dark and solid, light and dashed), the others the palette's
    series in order, skipping a colour already in use, so that lines stay apart in greyscale too."""
    names = list(names)
    out: dict[str, tuple[str, str]] = {}
    for name in names:
        key = ALIASES.get(name, name)
        if key in palette.GROUP_DASHES:
            out[name] = (palette.GROUPS[key], palette.GROUP_DASHES[key])
    taken = {colour for colour, _ in out.values()}
    series = [(c, d) for c, d in zip(palette.SERIES, palette.DASHES) if c not in taken]
    others = [name for name in names if name not in out]
    out.update({name: series[k % len(series)] for k, name in enumerate(others)})
    return {name: out[name] for name in names}


def _steps(times: np.ndarray, values: np.ndarray, sx, sy) -> list[tuple[float, float]]:
    """A right-continuous step function from (0, 1) as corner points, in pixels (repeats dropped)."""
    points = [(sx(0.0), sy(1.0))]
    for t, v in zip(times, values):
        x, y = sx(t), sy(v)
        if abs(y - points[-1][1]) < 0.05:
            continue
        points += [(x, points[-1][1]), (x, y)]
    if len(times):
        points.append((sx(times[-1]), points[-1][1]))
    return points


def _d(points: Iterable[tuple[float, float]]) -> str:
    return "M" + " L".join(f"{_n(x)} {_n(y)}" for x, y in points)


def curve_points(km: KaplanMeier, max_months: float, rounded: bool = False) -> pd.DataFrame:
    """The steps a curve is drawn through: time (days), survival and its 95% band, up to `max_months` and
    only where at least MIN_GROUP_SIZE people are at risk (privacy: no curve where fewer remain). `rounded` (a
    filtered group, or a chosen as-of date, whose counts are rounded): the curve at each whole month, to whole
    percents, so that neither its steps (each exit's day) nor their sizes (1 / people at risk) can be read off it and
    set against another group's to single out a few people."""
    if rounded:
        days = np.arange(0, int(max_months) + 1) * DAYS_PER_MONTH
        at = [km.survival_at(d) for d in days]
        keep = km.at_risk_at(days) >= MIN_GROUP_SIZE
        frame = pd.DataFrame({"time": days, "survival": [e.estimate for e in at], "lower": [e.lower for e in at],
                              "upper": [e.upper for e in at]})[keep]
        return frame.dropna().round({"survival": 2, "lower": 2, "upper": 2})
    table = km.table_[km.table_["time"] <= max_months * DAYS_PER_MONTH]
    table = table[table["at_risk"] >= MIN_GROUP_SIZE]
    lo_col, up_col = [c for c in table.columns if c.startswith(("lower_", "upper_"))]
    return pd.DataFrame({"time": table["time"], "survival": table["survival"], "lower": table[lo_col],
                         "upper": table[up_col]})


def incidence_points(table: pd.DataFrame, max_months: float, rounded: bool = False) -> pd.DataFrame:
    """The steps a cumulative incidence curve (a table of competing.cumulative_incidence) is drawn through: time
    (days), cif and its 95% band, up to `max_months` and only where at least MIN_GROUP_SIZE people are at risk
    (privacy, as curve_points). `rounded`: at each whole month, to whole percents, as curve_points."""
    lo_col, up_col = ci_column_names(0.95)
    if rounded:
        days = np.arange(0, int(max_months) + 1) * DAYS_PER_MONTH
        last = np.searchsorted(table["time"].to_numpy(float), days, side="right") - 1  # the step each month is on
        keep = table["at_risk"].to_numpy()[np.maximum(last, 0)] >= MIN_GROUP_SIZE
        at = [cumulative_incidence_at(table, d) for d in days]
        frame = pd.DataFrame({"time": days, "cif": [e.estimate for e in at], "lower": [e.lower for e in at],
                              "upper": [e.upper for e in at]})[keep]
        return frame.dropna().round({"cif": 2, "lower": 2, "upper": 2})
    shown = table[(table["time"] <= max_months * DAYS_PER_MONTH) & (table["at_risk"] >= MIN_GROUP_SIZE)]
    return pd.DataFrame({"time": shown["time"], "cif": shown["cif"], "lower": shown[lo_col], "upper": shown[up_col]})


def survival_chart(curves: Mapping[str, KaplanMeier], max_months: float, horizon_days: float | None = None,
                   y_title: str = "Still employed", width: float = 340, height: float = 215,
                   rounded: bool = False) -> str:
    """Retention curves as step lines with their 95% bands, months since hire across; each stops where
    fewer than MIN_GROUP_SIZE people remain at risk (privacy)."""
    left, right, top, bottom = 46, 12, 24, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    sx = lambda m: left + plot_w * min(m / DAYS_PER_MONTH, max_months) / max_months  # noqa: E731 (days in)
    sy = lambda s: top + plot_h * (1 - s)  # noqa: E731
    svg = Svg(width, height, f"{y_title}, by months since hire: " + ", ".join(curves))
    for share in np.linspace(0, 1, 5):
        y = sy(share)
        svg.line(left, y, left + plot_w, y, palette.GRID)
        svg.text(left - 5, y + 3.5, pct(share), 9.5, palette.MUTED, anchor="end", role="tick")
    step = 12 if max_months > 24 else 6
    for m in np.arange(0, max_months + 1e-9, step):
        x = sx(m * DAYS_PER_MONTH)
        svg.line(x, top + plot_h, x, top + plot_h + 4, palette.MUTED)
        svg.text(x, top + plot_h + 14, f"{m:g}", 9.5, palette.MUTED, anchor="middle", role="tick")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h, palette.MUTED)
    svg.text(left + plot_w / 2, height - 4, "Months since hire", 10, palette.INK, anchor="middle")
    svg.text(11, top + plot_h / 2, y_title, 10, palette.INK, anchor="middle", rotate=True)
    if horizon_days:
        x = sx(horizon_days)
        svg.line(x, top, x, top + plot_h, palette.MUTED, 1, "dot")
        svg.text(x + 4, top + plot_h - 6, f"{months(horizon_days)} months", 9, palette.MUTED)
    lines, styles = [], line_styles(curves)
    for name, km in curves.items():
        table = curve_points(km, max_months, rounded)
        if table.empty:
            continue
        colour, dash = styles[name]
        times = table["time"].to_numpy(float)
        upper = _steps(times, table["upper"].to_numpy(float), sx, sy)
        lower = _steps(times, table["lower"].to_numpy(float), sx, sy)
        svg.area(_d(upper + lower[::-1]) + " Z", colour, 0.14)
        lines.append((_d(_steps(times, table["survival"].to_numpy(float), sx, sy)), colour, dash))
    for d, colour, dash in lines:  # the lines above every band
        svg.path(d, colour, 2.4, dash, role="curve")
    x = left
    for name in curves:  # the legend, above the plot: a line sample as each is drawn
        colour, dash = styles[name]
        svg.line(x, 9, x + 22, 9, colour, 2.4, dash)
        svg.text(x + 27, 12.5, name, 10, palette.INK)
        x += 27 + text_width(name, 10) + 14
    return svg.render()


def effects_chart(estimates: Mapping[str, HazardRatio | None], colours: Sequence[str], width: float = 340,
                  axis_title: str = "Less likely to leave in any given month (95% range)") -> str:
    """Each estimate as '% less likely to leave' (1 - HR): a bar from 0 with its 95% range as a whisker,
    its name above it and its value after the range's end, clear of the bar, the whisker and the zero line."""
    shown = [(label, hr, colour) for (label, hr), colour in zip(estimates.items(), colours) if hr is not None]
    row, top, bottom = 36, 4, 32
    height = top + row * max(len(shown), 1) + bottom
    lows = [1 - hr.upper for _, hr, _ in shown]
    highs = [1 - hr.lower for _, hr, _ in shown]
    lo = min([0.0] + lows)
    hi = max([0.2] + highs)
    tick = 0.2 if hi - lo > 0.6 else 0.1
    lo, hi = np.floor(lo / tick + 1e-9) * tick, np.ceil(hi / tick - 1e-9) * tick
    left = text_width(pct(lo), 9.5) / 2 + 2  # the first tick's label, centred on the plot's edge
    values = [pct(1 - hr.estimate) if hr.estimate <= 1 else wording.less_or_more(1 - hr.estimate) for _, hr, _ in shown]
    label_room = max([text_width("100%", 10) + 10, text_width(pct(hi), 9.5) / 2 + 2]
                     + [text_width(v, 10) + 10 for v in values])  # the value after the whisker ("26% more": a harm)
    plot_w = width - left - label_room
    sx = lambda v: left + plot_w * (v - lo) / (hi - lo)  # noqa: E731
    svg = Svg(width, height, "How much less likely mentored people are to leave, by estimate: " +
              "; ".join(f"{label} {wording.less_or_more(1 - hr.estimate)}" for label, hr, _ in shown))
    plot_bottom = top + row * max(len(shown), 1)
    for v in np.arange(lo, hi + tick / 2, tick):
        x = sx(v)
        zero = abs(v) < 1e-9
        svg.line(x, top, x, plot_bottom, palette.MUTED if zero else palette.GRID, 1.2 if zero else 1,
                 role="zero" if zero else "")
        svg.text(x, plot_bottom + 13, pct(v), 9.5, palette.MUTED, anchor="middle", role="tick")
    svg.text(left + plot_w / 2, height - 4, axis_title, 10, palette.INK, anchor="middle")
    for k, (label, hr, colour) in enumerate(shown):
        y0 = top + row * k
        est, low, high = 1 - hr.estimate, lows[k], highs[k]
        fits = sx(0) + 5 + text_width(label, 10) <= width  # the name after the zero line, else before it
        svg.text(sx(0) + 5 if fits else sx(0) - 5, y0 + 11, label, 10, palette.INK, anchor="start" if fits else "end",
                 role="label")
        bar_y, bar_h = y0 + 16, 15
        svg.rect(min(sx(0), sx(est)), bar_y, abs(sx(est) - sx(0)), bar_h, colour, role="bar")
        mid = bar_y + bar_h / 2
        svg.line(sx(low), mid, sx(high), mid, palette.INK, 1.3, role="whisker")
        for v in (low, high):
            svg.line(sx(v), mid - 5, sx(v), mid + 5, palette.INK, 1.3, role="whisker")
        svg.text(max(sx(high), sx(0)) + 6, mid + 3.5, values[k], 10, palette.INK, weight="bold", role="value")
    return svg.render()
