"""Cox fit times: fit_cox with the vectorised Efron PHReg ("after") against plain
statsmodels PHReg ("before"), on synthetic employee-tenure rows.

    PYTHONPATH=. .venv/bin/python benchmarks/cox_fit.py            # all four sizes
    PYTHONPATH=. .venv/bin/python benchmarks/cox_fit.py --no-before # only the fast path

Data: tenure in whole days (1..2900), hires spread over the window so ~25% of people
leave before the data end, 30 covariates like a design matrix (dummies of department,
job level, location, gender, generation, hire year; performance, log salary) plus a
time-varying `mentored` flag: a third of people are split into two rows at the day
their mentoring starts.  Also times ph_test (cox.zph) on the fast fit.  Prints figures;
not a test.  OpenBLAS threads spin badly when the CPUs are shared with other jobs;
OPENBLAS_NUM_THREADS=1 gives steadier figures there.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
from statsmodels.duration.hazard_regression import PHReg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.estimation import cox, zph  # noqa: E402

LEVELS = {"department": 8, "job_level": 6, "location": 5, "gender": 2, "generation": 5, "hire_year": 8}
SIZES = [(7_000, 1), (7_000, 31), (130_000, 1), (130_000, 31)]


def tenure_rows(n_rows: int, p: int, seed: int = 0):
    """About n_rows counting-process rows (start, stop, event, X with p columns)."""
    rng = np.random.default_rng(seed)
    n = int(round(n_rows * 3 / 4))  # a third of people have two rows
    cats = {name: rng.integers(0, k, n) for name, k in LEVELS.items()}
    perf = rng.normal(3.0, 0.7, n)
    log_salary = rng.normal(11.0, 0.4, n)
    eta = 0.1 * cats["department"] - 0.15 * cats["job_level"] - 0.3 * (perf - 3.0)
    latent = rng.exponential(1.0 / (0.0002 * np.exp(eta)))
    censor = rng.uniform(1.0, 2900.0, n)
    stop = np.ceil(np.minimum(np.minimum(latent, censor), 2900.0))
    event = (latent <= censor) & (latent <= 2900.0)
    split = (rng.random(n) < 1 / 3) & (stop >= 2)
    mentored_from = np.where(split, rng.integers(1, np.maximum(stop, 2).astype(int)), 0).astype(float)
    person = np.concatenate([np.arange(n), np.flatnonzero(split)])
    start = np.concatenate([mentored_from, np.zeros(split.sum())])
    end = np.concatenate([stop, mentored_from[split]])
    ev = np.concatenate([event, np.zeros(split.sum(), dtype=bool)]).astype(int)
    columns = {"mentored": np.concatenate([split.astype(float), np.zeros(split.sum())])}
    for name, k in LEVELS.items():
        for level in range(1, k):
            columns[f"{name}={level}"] = (cats[name][person] == level).astype(float)
    columns["performance_rating"] = perf[person]
    columns["log_salary"] = log_salary[person]
    X = pd.DataFrame(columns)
    assert X.shape[1] >= p
    return start, end, ev, X.iloc[:, :p]


def plain_phreg(*args, **kwargs):
    return PHReg(*args, ties="efron", **kwargs)


def best_time(fn, repeats: int):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-before", action="store_true", help="skip the slow statsmodels path")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many fast fits")
    args = parser.parse_args()

    warm = tenure_rows(500, 2, seed=1)
    cox.fit_cox(*warm)  # imports and first-call costs out of the way
    print(f"{'rows':>8} {'p':>3} {'events':>7} {'event times':>11} {'before s':>9} {'after s':>8} "
          f"{'speed-up':>8} {'max |d coef|':>12} {'ph_test s':>9}")
    for n_rows, p in SIZES:
        start, stop, event, X = tenure_rows(n_rows, p)
        times = np.unique(stop[event == 1]).size
        after, fast = best_time(lambda: cox.fit_cox(start, stop, event, X), args.repeats)
        if args.no_before:
            before_s, ratio, diff = "-", "-", "-"
        else:
            with mock.patch.object(cox, "EfronPHReg", plain_phreg):
                before, slow = best_time(lambda: cox.fit_cox(start, stop, event, X), 1)
            before_s, ratio = f"{before:.2f}", f"{before / after:.0f}x"
            diff = f"{np.max(np.abs(fast.params_.to_numpy() - slow.params_.to_numpy())):.1e}"
        zph_s, _ = best_time(lambda: zph.ph_test(fast), 1)
        print(f"{len(stop):>8} {p:>3} {int(event.sum()):>7} {times:>11} {before_s:>9} {after:>8.3f} "
              f"{ratio:>8} {diff:>12} {zph_s:>9.3f}", flush=True)


if __name__ == "__main__":
    main()
