"""Small, valid input tables built in code from a fixed seed; tests break them on purpose."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def employees_table(n: int = 40, seed: int = 7) -> pd.DataFrame:
    """Valid employees in the contract's format, every value as text (as a CSV gives it)."""
    rng = np.random.default_rng(seed)
    hire = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1200, n), unit="D")
    left = rng.random(n) < 0.4
    term = hire + pd.to_timedelta(rng.integers(30, 900, n), unit="D")
    reasons = rng.choice(["resigned", "Voluntary", "laid off", "retired"], n)
    return pd.DataFrame({
        "employee_id": [f"E{i:04d}" for i in range(n)],
        "hire_date": hire.strftime("%Y-%m-%d"),
        "termination_date": np.where(left, term.strftime("%Y-%m-%d"), ""),
        "termination_reason": np.where(left, reasons, ""),
        "department": rng.choice(["Sales", "Engineering", "Finance"], n),
        "job_level": rng.choice(["L1", "L2", "L3"], n),
        "location": rng.choice(["Leeds", "Lyon"], n),
        "gender": rng.choice(["F", "M"], n),
        "birth_year": rng.integers(1960, 2000, n).astype(str),
        "manager_id": ["" if i < 3 else f"E{i % 3:04d}" for i in range(n)],
        "salary": rng.integers(30_000, 90_000, n).astype(str),
        "performance_rating": rng.integers(1, 6, n).astype(str),
    })


def mentorships_table(employees: pd.DataFrame, n: int = 15, seed: int = 8) -> pd.DataFrame:
    """Valid mentorships for the first n employees, starting 10-60 days after hire."""
    rng = np.random.default_rng(seed)
    mentees = employees.iloc[:n]
    start = pd.to_datetime(mentees["hire_date"]) + pd.to_timedelta(rng.integers(10, 60, n), unit="D")
    return pd.DataFrame({
        "mentee_id": mentees["employee_id"].to_numpy(),
        "mentor_id": [employees["employee_id"].iloc[-1 - i] for i in range(n)],
        "program_type": rng.choice(["traditional", "reverse", "peer", "group"], n),
        "start_date": start.dt.strftime("%Y-%m-%d").to_numpy(),
        "end_date": "",
        "meetings": rng.integers(0, 20, n).astype(str),
    })


def write(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV, Parquet or Excel according to the suffix."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        path.write_bytes(frame.to_csv(index=False).encode())
    return path
