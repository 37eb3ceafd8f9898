"""Pieces of an analysis side by side on the cores (analytics/common/parallel.py)."""
from __future__ import annotations

import threading
import time

import pytest

from analytics.common import parallel, progress
from analytics.common.policy import SIDE_BY_SIDE_BYTES


@pytest.fixture
def two_cores(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 2)


def test_results_come_back_in_the_items_order_and_side_by_side(two_cores):
    running, most = [0], [0]
    lock = threading.Lock()

    def work(item):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05 * (3 - item))  # the first finishes last
        with lock:
            running[0] -= 1
        return item * 10

    assert parallel.each(work, [0, 1, 2]) == [0, 10, 20]
    assert most[0] == 2


def test_all_at_once_starts_every_piece_so_that_one_can_wait_on_another(two_cores):
    """Three pieces on two cores, the first two waiting for the third: started all at once, none waits for a
    core (one at a time per core, the third would start only once one of the others had stopped waiting)."""
    third_ran = threading.Event()

    def work(item):
        if item < 2:
            assert third_ran.wait(timeout=2)
        if item == 2:
            third_ran.set()
        return item

    assert parallel.each(work, [0, 1, 2], all_at_once=True) == [0, 1, 2]
    assert parallel.each(lambda i: i, [0, 1, 2], all_at_once=True) == [0, 1, 2]


def test_work_within_work_runs_one_at_a_time(two_cores):
    pairs = []

    def outer(item):
        here = threading.current_thread().name
        inner = parallel.each(lambda i: pairs.append((here, threading.current_thread().name)) or i, [item, item + 1])
        return inner, parallel.shares(100, 10)

    results = parallel.each(outer, [0, 10])
    assert [r[0] for r in results] == [[0, 1], [10, 11]]
    assert all(len(r[1]) == 1 for r in results)  # one run of slices: the cores are taken
    assert len(pairs) == 4 and all(a == b != threading.current_thread().name for a, b in pairs)  # on its own thread


def test_memory_decides_how_many_at_once(two_cores):
    threads = set()

    def work(item):
        threads.add(threading.current_thread().name)
        time.sleep(0.02)
        return item

    assert parallel.each(work, range(4), memory_each=SIDE_BY_SIDE_BYTES * 0.6) == [0, 1, 2, 3]
    assert threads == {threading.current_thread().name}  # two would not fit: one at a time, here
    threads.clear()
    parallel.each(work, range(4), memory_each=SIDE_BY_SIDE_BYTES * 0.4)
    assert len(threads) == 2


def test_an_error_in_any_piece_is_raised(two_cores):
    def work(item):
        if item == 1:
            raise ValueError("piece 1")
        return item

    with pytest.raises(ValueError, match="piece 1"):
        parallel.each(work, [0, 1, 2])


def test_the_pieces_hear_the_callers_progress_listener(two_cores):
    heard = []
    with progress.listening(lambda step, details: heard.append(details["item"])):
        parallel.each(lambda item: progress.step("models", item=item), [1, 2])
    assert sorted(heard) == [1, 2]


def test_shares_cover_every_slice_once(two_cores):
    for n in (0, 5, 16_384, 100_000):
        runs = parallel.shares(n, 16_384)
        starts = [s for run in runs for s in run]
        assert starts == list(range(0, n, 16_384))
        assert len(runs) <= 2
