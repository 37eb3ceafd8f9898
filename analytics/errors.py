"""Every error the engine raises on purpose: one family, each a ValueError with a plain message.

The CLI and the dashboard catch `RetentionError` (and only it) to show the message as it is;
anything else is a bug and is reported as one.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class RetentionError(ValueError):
    """Base of every error a user can cause; its message is shown as it is."""


# ---------------------------------------------------------------- data in

class InputFileError(RetentionError):
    """A whole file cannot be loaded: unreadable, a required column missing, a column of the wrong type."""

    def __init__(self, file: str, message: str, column: str | None = None, row: int | None = None):
        self.file, self.column, self.row = file, column, row
        where = [f"file {file!r}"]
        if column:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{', '.join(where)}: {message}")


class EmptyDataError(RetentionError):
    """The store holds no usable data for the request (nothing loaded, or a cohort with nobody in it)."""


# ---------------------------------------------------------------- statistics

class SurvivalDataError(RetentionError):
    """The survival data given to an estimator is malformed (names the parameter)."""


class EstimationError(RetentionError):
    """The data are well formed but the statistic cannot be estimated from them."""


class NotEnoughData(RetentionError):
    """A group is too small to report (privacy minimums) or to estimate."""


# ---------------------------------------------------------------- the business case

class BusinessCaseError(RetentionError):
    """An input of the business case is unusable; the message names it."""


class InvalidInputError(BusinessCaseError):
    def __init__(self, name: str, allowed: str, value: Any):
        self.name, self.allowed, self.value = name, allowed, value
        super().__init__(f"{name} must be {allowed}, but was {_show(value)}")


class MissingInputError(BusinessCaseError):
    def __init__(self, name: str, hint: str = ""):
        self.name = name
        super().__init__(f"{name} is required, but was None{hint}")


def _show(value: Any) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)
