"""Independent pieces of one analysis side by side, one thread per processor core: numpy, scipy's sparse
products and DuckDB let go of the interpreter while they work, so the threads share the cores. Each piece
runs in a copy of the caller's context (its progress listener, see progress.py)."""
from __future__ import annotations

import contextvars
import ctypes
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

from analytics.common.policy import SIDE_BY_SIDE_BYTES

T = TypeVar("T")
R = TypeVar("R")


def cores() -> int:
    """The processor cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("inside_parallel_work", default=False)


def each(func: Callable[[T], R], items: Iterable[T], memory_each: float = 0.0, all_at_once: bool = False) -> list[R]:
    """func(item) for every item, in the items' order, as many at a time as there are cores (and as the memory
    allowed side by side, policy.SIDE_BY_SIDE_BYTES, holds when each takes `memory_each` bytes); the first
    error raised by any is raised here (after the others have finished). Called from within such work, one at
    a time: the cores are taken already. `all_at_once`: every item started at once, the cores shared among
    them (for a few pieces of unequal length, one waiting on another's result: none waits for a free core)."""
    items = list(items)
    fit = int(SIDE_BY_SIDE_BYTES // memory_each) if memory_each > 0 else len(items)
    workers = 1 if _inside.get() else max(1, min(len(items), len(items) if all_at_once else cores(), fit))
    if workers <= 1:
        return [func(item) for item in items]
    context = contextvars.copy_context()
    context.run(_inside.set, True)
    with ThreadPoolExecutor(workers, thread_name_prefix="analysis") as pool:
        futures = [pool.submit(context.copy().run, func, item) for item in items]
        return [future.result() for future in futures]


def shares(n: int, step: int) -> list[range]:
    """0..n in steps of `step`, dealt into one contiguous run of steps per core (for each())."""
    starts = list(range(0, n, step))
    if not starts:
        return [range(0)]
    parts = max(1, min(len(starts), 1 if _inside.get() else cores()))
    cuts = [starts[len(starts) * i // parts] for i in range(parts)] + [n]
    return [range(a, b, step) for a, b in zip(cuts[:-1], cuts[1:])]


def give_back_memory() -> None:
    """Hand the memory freed so far back to the system (glibc's malloc_trim), so that what large work let go of
    does not stay counted to this process while the next work takes its own. Elsewhere: nothing."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
