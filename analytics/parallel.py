"""Independent pieces of one analysis side by side, one thread per processor core: numpy, scipy's sparse
products and DuckDB let go of the interpreter while they work, so the threads share the cores. Each piece
runs in a copy of the caller's context (its progress listener, see progress.py)."""
from __future__ import annotations

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The processor cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def each(func: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """func(item) for every item, in the items' order, as many at a time as there are cores; the first
    error raised by any is raised here (after the others have finished)."""
    items = list(items)
    workers = min(len(items), cores())
    if workers <= 1:
        return [func(item) for item in items]
    context = contextvars.copy_context()
    with ThreadPoolExecutor(workers, thread_name_prefix="analysis") as pool:
        futures = [pool.submit(context.copy().run, func, item) for item in items]
        return [future.result() for future in futures]
