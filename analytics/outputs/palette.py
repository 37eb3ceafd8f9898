"""One palette for the dashboard, the deck and the one-pager.

Colour-blind safe (Okabe & Ito's set, "Color Universal Design", 2008) and readable in greyscale print:
the two groups differ in lightness as well as hue (mentored dark and solid, unmentored light and dashed),
and every text colour has at least 4.5:1 contrast on white (WCAG 2.1, 1.4.3).
"""
from __future__ import annotations

INK = "#1d2733"          # body text, 15.1:1 on white
MUTED = "#52606d"        # secondary text, axis ticks and labels, 6.4:1 on white
ACCENT = "#0b5c80"       # headings, the honest figure, the mentored group; 7.3:1 on white
LIGHT = "#eef4f7"        # panels behind the headline
GRID = "#d9e2ec"         # gridlines and rules (not text)
WARNING = "#9a4d00"      # a range that includes a loss; 6.1:1 on white

MENTORED = ACCENT
UNMENTORED = "#e69f00"   # orange: far lighter than MENTORED (3.3:1), so the two part in greyscale too
NAIVE = "#8c96a0"        # the overstated figure, shown in grey (a fill, never text)
TIME_VARYING = "#56b4e9"  # sky blue: between the two in lightness

# Several groups on one chart: Okabe & Ito's order, each next to one it differs from in lightness.
SERIES = ["#0b5c80", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#d55e00", "#7f7f7f", "#f0e442"]
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "solid", "dash"]

GROUPS = {"mentored": MENTORED, "unmentored": UNMENTORED, "naive": NAIVE, "time_varying": TIME_VARYING,
          "adjusted": ACCENT}
GROUP_DASHES = {"mentored": "solid", "unmentored": "dash"}


def luminance(hex_colour: str) -> float:
    """Relative luminance (WCAG 2.1)."""
    rgb = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """Contrast ratio of two colours (WCAG 2.1): 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
