"""Small immutable result types for the survival statistics.

Every statistic comes back as one of these, never as a bare tuple, and each knows how to
become a JSON-ready dict (`to_dict`) and a table row (`as_row`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from analytics.common.policy import shown_total


def _shown(count: int | None, rounded: bool = False) -> int | None:
    """A count as a table may show it: blank for 1-4 people; for a filtered group or a chosen as-of date
    (`rounded`), to the nearest 5, as its total is (policy.shown_total)."""
    return None if count is None else shown_total(count, rounded)


def _number(value: float | None) -> float | None:
    """A plain float for JSON, or None for a missing / NaN / infinite value."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a two-sided confidence interval at `level`."""

    estimate: float
    lower: float
    upper: float
    level: float = 0.95
    n: int | None = None

    def to_dict(self) -> dict:
        return {
            "estimate": _number(self.estimate),
            "lower": _number(self.lower),
            "upper": _number(self.upper),
        }

    def as_row(self, label: str, rounded: bool = False) -> dict:
        """A table row; a count of 1-4 people is blank (privacy), as everywhere, and rounded when `rounded`."""
        return {"label": label, **self.to_dict(), "level": self.level, "n": _shown(self.n, rounded)}


@dataclass(frozen=True)
class HazardRatio:
    """A hazard ratio with its confidence interval and the Wald p-value of its log."""

    estimate: float
    lower: float
    upper: float
    p: float
    level: float = 0.95
    n: int | None = None
    events: int | None = None

    def to_dict(self) -> dict:
        return {
            "estimate": _number(self.estimate),
            "lower": _number(self.lower),
            "upper": _number(self.upper),
            "p": _number(self.p),
        }

    def as_row(self, label: str, rounded: bool = False) -> dict:
        return {
            "label": label,
            **self.to_dict(),
            "level": self.level,
            "n": _shown(self.n, rounded),
            "events": _shown(self.events, rounded),
        }


@dataclass(frozen=True)
class TestResult:
    """A chi-square type test: statistic, degrees of freedom, p-value and the test's name."""

    __test__ = False  # not a pytest test class, despite the name

    statistic: float
    df: int
    p: float
    name: str

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "statistic": _number(self.statistic),
            "df": int(self.df),
            "p": _number(self.p),
        }

    def as_row(self, label: str | None = None) -> dict:
        return {"label": label or self.name, **self.to_dict()}
