"""Writes data/sample_employees.csv and data/sample_mentorships.csv from a small demo company, and
data/sample_job_history.csv for the same people: a row at hire, a yearly review (pay and rating), promotions and
the odd transfer, ending at the values the employees file gives."""
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.intake.demo import DemoConfig, generate

DATA = Path(__file__).resolve().parent.parent / "data"
MERIT, PROMOTION_RAISE = 1.03, 1.10  # a yearly review's raise and a promotion's


def main() -> None:
    config = DemoConfig(n_employees=300, seed=7)
    demo = generate(config)
    for name, frame in (("employees", demo.employees), ("mentorships", demo.mentorships),
                        ("job_history", job_history(demo.employees, pd.Timestamp(config.as_of)))):
        out = frame.copy()
        for col in out.columns:
            if col.endswith("_date"):
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        out.to_csv(DATA / f"sample_{name}.csv", index=False)


def job_history(employees: pd.DataFrame, as_of: pd.Timestamp, seed: int = 11) -> pd.DataFrame:
    """Each person's changes from hire to their exit (or the as-of date), worked backwards from the values the
    employees file holds now, so that the last value of each field is the file's; an empty field is unchanged."""
    rng = np.random.default_rng(seed)
    departments = sorted(employees["department"].dropna().unique())
    rows = []
    for person in employees.sort_values("employee_id").itertuples(index=False):
        hire = pd.Timestamp(person.hire_date)
        end = pd.Timestamp(person.termination_date) if pd.notna(person.termination_date) else as_of
        years = int((end - hire).days // 365.25)
        reviews = [hire + pd.DateOffset(years=k) for k in range(1, years + 1)]
        level = int(str(person.job_level)[1:])
        promotions = min(level - 1, int(rng.binomial(years, 0.3))) if (end - hire).days > 180 else 0
        taken = set(reviews)
        events = [(day, "pay_change") for day in reviews]
        for _ in range(promotions):
            day = hire + pd.Timedelta(days=int(rng.integers(90, (end - hire).days + 1)))
            while day in taken:
                day += pd.Timedelta(days=1)
            taken.add(day)
            events.append((day, "promotion"))
        if (end - hire).days > 400 and rng.random() < 0.12 and len(departments) > 1:
            day = hire + pd.Timedelta(days=int(rng.integers(200, (end - hire).days + 1)))
            while day in taken:
                day += pd.Timedelta(days=1)
            events.append((day, "transfer"))
        state = {"job_level": level, "department": person.department, "salary": float(person.salary),
                 "performance_rating": person.performance_rating}
        changes = []
        for day, kind in sorted(events, reverse=True):  # from now back to hire: each change undone in turn
            if kind == "pay_change":
                changes.append({"effective_date": day, "salary": state["salary"],
                                "performance_rating": state["performance_rating"], "change_reason": kind})
                state["salary"] = round(state["salary"] / MERIT, -2)
                state["performance_rating"] = int(rng.integers(2, 6))
            elif kind == "promotion":
                changes.append({"effective_date": day, "job_level": f"L{state['job_level']}",
                                "salary": state["salary"], "change_reason": kind})
                state["job_level"] -= 1
                state["salary"] = round(state["salary"] / PROMOTION_RAISE, -2)
            else:
                changes.append({"effective_date": day, "department": state["department"], "change_reason": kind})
                state["department"] = str(rng.choice([d for d in departments if d != state["department"]]))
        changes.append({"effective_date": hire, "job_level": f"L{state['job_level']}",
                        "department": state["department"], "location": person.location,
                        "manager_id": person.manager_id, "salary": state["salary"], "change_reason": "hire"})
        rows += [{"employee_id": person.employee_id, **change} for change in reversed(changes)]
    columns = ["employee_id", "effective_date", "job_level", "department", "location", "manager_id", "salary",
               "performance_rating", "change_reason"]
    out = pd.DataFrame(rows).reindex(columns=columns)
    out["performance_rating"] = out["performance_rating"].astype("Int64")
    return out


if __name__ == "__main__":
    main()
