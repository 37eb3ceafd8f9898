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

    noun = "file"  # what one of them is called, in a message about several

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

    def each(self) -> tuple["InputFileError", ...]:
        """Each file's own error: this one alone, or every file's of a load whose files had problems (InputFilesError)."""
        return (self,)


class InputFilesError(InputFileError):
    """Problems in more than one file (or warehouse table) of one load, every problem of each at once: one line per
    file, each naming its file, column and row. `errors` holds each file's own InputFileError; `file`, `column`,
    `row` and `problems` are the first file's, `ambiguous_dates` every file's."""

    def __init__(self, errors: tuple[InputFileError, ...] | list[InputFileError]):
        self.errors = tuple(e for error in errors for e in error.each())
        first = self.errors[0]
        self.file, self.column, self.row, self.problems = first.file, first.column, first.row, first.problems
        self.ambiguous_dates = tuple(dict.fromkeys(c for e in self.errors for c in e.ambiguous_dates))
        count = sum(len(e.problems) for e in self.errors)
        nouns = {e.noun for e in self.errors}
        noun = nouns.pop() if len(nouns) == 1 else "file"
        RetentionError.__init__(self, f"{len(self.errors)} {noun}s have problems ({count} in all):\n"
                                      + "\n".join(str(e) for e in self.errors))

    def each(self) -> tuple[InputFileError, ...]:
        return self.errors


def together(errors: list[InputFileError] | tuple[InputFileError, ...]) -> InputFileError:
    """One error for every file of a load that had problems: the file's own when only one did (a file given twice
    for two tables, with the same problems, is said once)."""
    said: dict[tuple, InputFileError] = {}
    for e in (e for error in errors for e in error.each()):
        said.setdefault((e.file, e.problems), e)
    kept = list(said.values())
    return kept[0] if len(kept) == 1 else InputFilesError(kept)


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

    noun = "table"

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
