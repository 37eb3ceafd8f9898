"""The few typed errors the engine raises; every one is a ValueError with a plain message."""
from __future__ import annotations


class RetentionError(ValueError):
    """Base of every error a user can cause; its message is shown as it is."""


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
