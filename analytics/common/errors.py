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
    """A whole file cannot be loaded: unreadable, a required column missing, a column of the wrong type.
    Every problem found in the file is listed at once (`problems`: column, row, message)."""

    def __init__(self, file: str, message: str, column: str | None = None, row: int | None = None,
                 problems: tuple[tuple[str | None, int | None, str], ...] = (), ambiguous_dates: tuple[str, ...] = ()):
        self.file, self.column, self.row = file, column, row
        self.problems = tuple(problems) or ((column, row, message),)
        self.ambiguous_dates = tuple(ambiguous_dates)  # date columns whose day and month cannot be told apart
        if len(self.problems) == 1:
            super().__init__(f"{self.subject(file)}{_where(column, row)}: {message}")
        else:
            listed = "; ".join(f"{_where(c, r).lstrip(', ')}: {m}" if c or r is not None else m
                               for c, r, m in self.problems)
            super().__init__(f"{self.subject(file)}: {len(self.problems)} problems: {listed}")

    @classmethod
    def all_of(cls, file: str, problems: list[tuple[str | None, int | None, str]],
               ambiguous_dates: tuple[str, ...] = ()) -> "InputFileError":
        column, row, message = problems[0]
        return cls(file, message, column, row, tuple(problems), ambiguous_dates)

    @staticmethod
    def subject(file: str) -> str:
        """How the message names what could not be loaded."""
        return f"file {file!r}"


def _where(column: str | None, row: int | None) -> str:
    where = [f"column {column!r}"] if column else []
    if row is not None:
        where.append(f"row {row}")
    return "".join(f", {w}" for w in where)


class ColumnFormatProblem(ValueError):
    """A column whose values cannot settle how to read it: dates in two formats or whose day and month
    cannot be told apart, amounts in two number formats or currencies. The reader turns it into an
    InputFileError naming the file and column."""

    def __init__(self, message: str, ambiguous: bool = False, examples: tuple[str, ...] = ()):
        super().__init__(message)
        self.ambiguous, self.examples = ambiguous, examples


class SourceTableError(InputFileError):
    """A warehouse table or query whose rows cannot be loaded (a required column missing, a column of the wrong
    type), every problem at once as for a file; `file` names it ("table hr.employees", "the employees query")."""

    @staticmethod
    def subject(file: str) -> str:
        return file


class WarehouseError(RetentionError):
    """The warehouse cannot be read: not reached, the user or password refused, no such database or table, a
    query that fails or is not a SELECT. The message names the host and port, user, table or column, never
    the password."""


class DemoConfigError(RetentionError):
    """A setting of the demo company is out of range (names the setting)."""


class AccessConfigError(RetentionError):
    """The sign-in or roles settings (the [auth] and [roles] sections of secrets.toml) cannot be used as written."""


class DatabaseBusy(RetentionError):
    """Another program (the dashboard drawing a page, or a load) has the database open for now."""


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
