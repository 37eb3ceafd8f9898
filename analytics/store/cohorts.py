"""Cohorts: the filters every page, the CLI and the notebook apply to the store."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Iterable

import numpy as np

from analytics.common.errors import RetentionError
from analytics.intake.schema import GENERATIONS

FILTER_DIMENSIONS = ("department", "job_level", "location", "gender", "generation")
AGE_ORDER = {name: k for k, (name, _, _) in enumerate(GENERATIONS)}  # oldest first: Boomer, Gen X, Millennial, Gen Z


def in_order(dimension: str, groups: Iterable[str]) -> list[str]:
    """A dimension's groups as tables, charts and filters list them: generations oldest to youngest (any
    other label after them), everything else alphabetically."""
    if dimension == "generation":
        return sorted(groups, key=lambda g: (AGE_ORDER.get(g, len(AGE_ORDER)), g))
    return sorted(groups)


@dataclass(frozen=True)
class Cohort:
    """Who is in scope. An empty tuple means no filter on that dimension."""

    department: tuple[str, ...] = ()
    job_level: tuple[str, ...] = ()
    location: tuple[str, ...] = ()
    gender: tuple[str, ...] = ()
    generation: tuple[str, ...] = ()
    hire_year_from: int | None = None
    hire_year_to: int | None = None

    def __post_init__(self) -> None:
        for name in FILTER_DIMENSIONS:
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise RetentionError(f"{name} must be a tuple of names, but was {value!r}")
            object.__setattr__(self, name, tuple(value))
        lo, hi = self.hire_year_from, self.hire_year_to
        if lo is not None and hi is not None and lo > hi:
            raise RetentionError(f"hire_year_from must not be after hire_year_to, but was {lo} > {hi}")

    def sql_params(self) -> dict[str, Any]:
        """Bound parameters for the store's cohort filter."""
        params: dict[str, Any] = {name: list(getattr(self, name)) for name in FILTER_DIMENSIONS}
        params["hire_year_from"] = self.hire_year_from if self.hire_year_from is not None else -9999
        params["hire_year_to"] = self.hire_year_to if self.hire_year_to is not None else 9999
        return params

    def mask(self, frame) -> np.ndarray:
        """Which rows of a frame with the filter columns are in the cohort: the store's cohort filter
        (COHORT_FILTER) applied in memory, for cutting a cohort out of everyone's follow-up."""
        keep = np.ones(len(frame), dtype=bool)
        for name in FILTER_DIMENSIONS:
            values = getattr(self, name)
            if values:
                keep &= frame[name].isin(values).to_numpy(dtype=bool)
        params = self.sql_params()
        keep &= frame["hire_year"].between(params["hire_year_from"], params["hire_year_to"]).to_numpy(dtype=bool)
        return keep

    def is_everyone(self) -> bool:
        return self == Cohort()

    def describe(self) -> str:
        """The filter in words, for captions and reports."""
        parts = [f"{f.name.replace('_', ' ')}: {', '.join(getattr(self, f.name))}"
                 for f in fields(self) if f.name in FILTER_DIMENSIONS and getattr(self, f.name)]
        if self.hire_year_from is not None or self.hire_year_to is not None:
            parts.append(f"hired {self.hire_year_from or '…'}-{self.hire_year_to or '…'}")
        return "; ".join(parts) or "everyone"
