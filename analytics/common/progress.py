"""Progress of long work: the engine says which step it is starting, and whoever shows it listens (the CLI on
stderr, the dashboard in its status box). Nobody listening: nothing is said, and nothing costs anything.

    with progress.listening(callback):   # callback(step, details): a step's name and its counts
        ...                              # the engine calls progress.step("check", table="employees", rows=n)

The words for each step are wording.progress_words'.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Callable, Iterator

Listener = Callable[[str, dict[str, Any]], None]
_listener: contextvars.ContextVar[Listener | None] = contextvars.ContextVar("progress_listener", default=None)


@contextlib.contextmanager
def listening(callback: Listener) -> Iterator[None]:
    """Send the steps started in this block (on this thread) to `callback`."""
    token = _listener.set(callback)
    try:
        yield
    finally:
        _listener.reset(token)


def step(name: str, **details: Any) -> None:
    """Say that a step of long work starts (see wording.PROGRESS_STEPS for the names)."""
    listener = _listener.get()
    if listener is not None:
        listener(name, details)
