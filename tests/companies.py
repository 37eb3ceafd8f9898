"""Simulated companies of different kinds, each with a known truth and the category the product's own
estimates should fall into: the table the wording is checked against (tests/test_companies.py).

Every company is the simulation of fixed characteristics (analytics/intake/demo.py, docs/demo.md) with a uniform
true mentoring hazard ratio (`COMPANIES[kind].true_hr`) and a fixed seed, loaded through the product's normal load
path (`build`), so the database carries the demo's truth and as-of date as `loads.load_demo` stores them. The
categories are about the three figures of `python -m analytics summary --json` (`hazard_ratio`): naive
(ever vs never mentored), time_varying and adjusted (the honest figure), each with a 95% CI.

Measure every kind on other seeds, with the time to build and summarise each:

    .venv/bin/python -m tests.companies --seeds 1-10

Companies whose characteristics change (`CHANGING`: analytics/intake/demo_changing.py, docs/demo.md "A company
whose characteristics change") have a dated job history as well: `changing_frames(kind)` gives their three frames
and truth. They are not in `COMPANIES`, whose kinds are checked against the product's categories: on the export
alone the product cannot tell these companies' truth (that is what they show).
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from analytics.intake.demo import DemoConfig, generate, uniform_effect_config
from analytics.intake.demo_changing import ChangingConfig, ChangingData, generate_changing
from analytics.intake.prepare import plan_from_frames
from analytics.store import database, loads
from analytics.surface import cli

# Remedial mentoring: low performers, juniors and the departments that lose most people are mentored sooner
# (the demo's uptake model reversed for these parts; generation keeps its own direction, Gen Z sooner, who
# also leave more). Offered only in the first 30 days after becoming eligible (an onboarding programme), so
# the immortal time that flatters "ever mentored" is small.
REMEDIAL = {"performance_rating": -2.0, "job_level": -2.0, "department": -2.0}
# As the real data: mentoring goes sooner to juniors and to the departments that lose most people, which
# the analysis can see through salary and department; performance does not steer it.
JUNIOR_FIRST = {"performance_rating": 0.0, "job_level": -4.0, "department": -4.0}
ONBOARDING_WINDOW_DAYS = 30


@dataclass(frozen=True)
class CompanySpec:
    """One kind of company: its simulation (with the seed the tests use), the truth, the category its
    estimates fall into, and the employee columns its HR file does not have."""

    kind: str
    config: DemoConfig
    true_hr: float
    category: str                      # a key of CATEGORIES
    doc: str                           # the truth and the expected category, in words
    drop_columns: tuple[str, ...] = ()

    @property
    def seed(self) -> int:
        return self.config.seed


def _spec(kind: str, hr: float, seed: int, category: str, doc: str, drop: tuple[str, ...] = (),
          n_employees: int = 3000, **kw: Any) -> CompanySpec:
    return CompanySpec(kind, uniform_effect_config(hr, n_employees=n_employees, seed=seed, **kw), hr, category,
                       " ".join(doc.split()), drop)


COMPANIES: dict[str, CompanySpec] = {s.kind: s for s in (
    _spec("benefit", 0.65, 3, "benefit", """
        Mentoring truly lowers voluntary exits: true HR 0.65 for every programme. Uptake as in the demo (high
        performers sooner, so the naive figure overstates). Expected: the adjusted 95% CI entirely below 1 and
        the naive HR further from 1 than the adjusted one."""),
    _spec("no_effect", 1.0, 3, "no_effect", """
        Mentoring changes nothing: true HR 1.0. Uptake as in the demo, so the naive figure still shows a large
        spurious benefit. Expected: the adjusted 95% CI includes 1."""),
    _spec("harm", 1.3, 3, "harm", """
        Mentoring raises voluntary exits: true HR 1.3. Uptake as in the demo (the naive figure still shows a
        benefit). Expected: the adjusted 95% CI entirely above 1.""", n_employees=4000),
    _spec("naive_understates", 0.7, 14, "naive_understates", """
        Remedial mentoring that works: true HR 0.7. Low performers, juniors and the high-turnover departments
        are mentored sooner (negative confounding), within 30 days of becoming eligible (little immortal
        time). Expected: the adjusted 95% CI entirely below 1, and the naive HR below 1 but nearer to 1 than
        the adjusted one (naive / adjusted > 1.05).""",
          confounding_by=REMEDIAL, uptake_window_days=ONBOARDING_WINDOW_DAYS),
    _spec("real_like", 0.8, 8, "naive_understates", """
        Like the real data: the employee file has no performance_rating and no job_level column. True HR
        0.8. Juniors and the high-turnover departments are mentored sooner, within 30 days of becoming
        eligible; performance does not steer uptake. Expected: the adjusted 95% CI entirely below 1 and the
        naive HR below 1 but nearer to 1 than the adjusted one (naive / adjusted > 1.05).""",
          drop=("performance_rating", "job_level"), n_employees=4000,
          confounding_by=JUNIOR_FIRST, uptake_window_days=ONBOARDING_WINDOW_DAYS),
    _spec("no_salary", 0.65, 3, "benefit", """
        As "benefit" (true HR 0.65, uptake as in the demo) with no salary column in the employee file.
        Expected: as "benefit": the adjusted 95% CI entirely below 1, the naive HR further from 1.""",
          drop=("salary",)),
)}



@dataclass(frozen=True)
class ChangingSpec:
    """A company whose level, pay and rating change (with a dated job history), its truth in words."""

    kind: str
    config: ChangingConfig
    doc: str

    @property
    def seed(self) -> int:
        return self.config.seed


CHANGING: dict[str, ChangingSpec] = {s.kind: s for s in (
    ChangingSpec("changing_null", ChangingConfig(seed=1, promotion_hr_if_mentored=1.0), " ".join("""
        Mentoring does nothing (direct hazard ratios 1, promotion factor 1), but it goes to whoever is well rated
        at the time, and ratings move every year. 20,000 people. The export's one value per person cannot separate
        mentoring from who gets it (a snapshot-adjusted hazard ratio below 1); the dated history can (a
        time-varying model with each person's level, pay and rating as they were covers 1).""".split())),
    ChangingSpec("changing_effect", ChangingConfig(seed=1, direct_hr_while_mentored=0.7, direct_hr_after_end=0.7,
                                                   promotion_hr_if_mentored=1.5), " ".join("""
        Mentoring lowers voluntary exits by a known direct factor, 0.70 while mentored and after, and speeds
        promotion by 1.5; uptake as in changing_null. 20,000 people. A time-varying model with the true covariates
        as they were covers 0.70; the total effect within a year of the start is in the truth.""".split())),
)}


def changing_config(kind: str, seed: int | None = None) -> ChangingConfig:
    """The changing kind's simulation, with the tests' seed or another."""
    cfg = CHANGING[kind].config
    return cfg if seed is None else replace(cfg, seed=seed)


def changing_frames(kind: str, seed: int | None = None) -> ChangingData:
    """The company's employees, mentorships and job_history frames and its truth (`ChangingData`)."""
    return generate_changing(changing_config(kind, seed))


# --- the categories, as conditions on the summary's hazard ratios ----------------------------------------

def _conditions(category: str, hr: dict[str, Any]) -> dict[str, bool]:
    naive, adjusted = hr["naive"]["estimate"], hr["adjusted"]
    lower, estimate, upper = adjusted["lower"], adjusted["estimate"], adjusted["upper"]
    if category == "benefit":
        return {"adjusted upper < 1": upper < 1, "naive < adjusted": naive < estimate}
    if category == "no_effect":
        return {"adjusted lower < 1": lower < 1, "adjusted upper > 1": upper > 1}
    if category == "harm":
        return {"adjusted lower > 1": lower > 1}
    if category == "naive_understates":
        return {"adjusted upper < 1": upper < 1, "naive < 1": naive < 1,
                "naive / adjusted > 1.05": naive / estimate > 1.05}
    raise ValueError(f"category must be one of {CATEGORIES}, but was {category!r}")


CATEGORIES = ("benefit", "no_effect", "harm", "naive_understates")


def conditions(kind: str, hazard_ratio: dict[str, Any]) -> dict[str, bool]:
    """Each condition of the kind's category, on the summary JSON's `hazard_ratio`: True where it holds."""
    return _conditions(COMPANIES[kind].category, hazard_ratio)


# --- building and summarising ---------------------------------------------------------------------------

def config(kind: str, seed: int | None = None) -> DemoConfig:
    """The kind's simulation, with the tests' seed or another."""
    cfg = COMPANIES[kind].config
    return cfg if seed is None else replace(cfg, seed=seed)


def build(kind: str, path: str | Path, seed: int | None = None) -> Path:
    """Write a DuckDB database at `path` holding the company `kind` (with the tests' seed, or `seed`), loaded
    the way `loads.load_demo` loads the demo: the same validation, the truth and the as-of date kept."""
    if kind in CHANGING:
        return _build_changing(kind, Path(path), seed)
    spec = COMPANIES[kind]
    cfg = config(kind, seed)
    path = Path(path)
    con = database.connect(path)
    try:
        if not spec.drop_columns:
            loads.load_demo(con, config=cfg)
        else:
            demo = generate(cfg)
            plan = plan_from_frames(demo.employees.drop(columns=list(spec.drop_columns)), demo.mentorships)
            loads.load_plan(con, plan, source="demo", metadata={"demo_truth": demo.truth, "as_of": str(cfg.as_of)})
    finally:
        con.close()
    return path


def _build_changing(kind: str, path: Path, seed: int | None) -> Path:
    """A changing company through the same load path: employees (the export: each person's values at exit or at
    the as-of date), mentorships and the dated job history, the truth and the as-of date kept."""
    data = changing_frames(kind, seed)
    con = database.connect(path)
    try:
        plan = plan_from_frames(data.employees, data.mentorships, job_history=data.job_history)
        loads.load_plan(con, plan, source="demo",
                        metadata={"demo_truth": data.truth, "as_of": data.truth["config"]["as_of"]})
    finally:
        con.close()
    return path


def summary(path: str | Path) -> dict[str, Any]:
    """The product's own summary of the database, as `python -m analytics summary --json --db PATH` prints it."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(["summary", "--json", "--db", str(path)])
    if code != 0:
        raise RuntimeError(f"summary of {path} failed with exit code {code}")
    return json.loads(out.getvalue())


# --- measuring on other seeds ---------------------------------------------------------------------------

def measure(kind: str, seeds: list[int], folder: Path,
            echo: Callable[[str], None] = print) -> list[dict[str, Any]]:
    rows = []
    for seed in seeds:
        path = folder / f"{kind}-{seed}.duckdb"
        t0 = time.perf_counter()
        build(kind, path, seed)
        t1 = time.perf_counter()
        hr = summary(path)["hazard_ratio"]
        t2 = time.perf_counter()
        path.unlink()
        held = conditions(kind, hr)
        row = {"kind": kind, "seed": seed, "hazard_ratio": hr, "holds": all(held.values()),
               "failed": [k for k, ok in held.items() if not ok], "build_s": t1 - t0, "summary_s": t2 - t1}
        rows.append(row)
        echo(_line(row))
    return rows


def _figure(e: dict[str, Any]) -> str:
    return f"{e['estimate']:.3f} [{e['lower']:.3f}, {e['upper']:.3f}]"


def _line(row: dict[str, Any]) -> str:
    hr = row["hazard_ratio"]
    ratio = hr["naive"]["estimate"] / hr["adjusted"]["estimate"]
    mark = ("*" if row["seed"] == COMPANIES[row["kind"]].seed else " ") + ("ok  " if row["holds"] else "FAIL")
    return (f"| {row['kind']:<17} | {row['seed']:>4} | {_figure(hr['naive'])} | {_figure(hr['time_varying'])} | "
            f"{_figure(hr['adjusted'])} | {ratio:.3f} | {mark} {', '.join(row['failed'])} | "
            f"{row['build_s']:.1f} + {row['summary_s']:.1f} s |")


def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.companies", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-10", help="seeds to measure, e.g. 1-10 or 3,7 (default 1-10); "
                                                         "the tests' own seed is always added")
    parser.add_argument("--kinds", default=",".join(COMPANIES), help="kinds to measure (comma-separated)")
    args = parser.parse_args(argv)
    print("| kind | seed | naive | time-varying | adjusted | naive/adj | category (* tests' seed) | build + summary |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    failed = 0
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.kinds.split(","):
            seeds = sorted(set(_seeds(args.seeds)) | {COMPANIES[kind].seed})
            rows = measure(kind, seeds, Path(folder))
            failed += sum(not r["holds"] for r in rows)
            held = sum(r["holds"] for r in rows)
            print(f"| {kind} | | | | | | holds on {held} of {len(rows)} seeds | |", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
