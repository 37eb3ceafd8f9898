"""The company of fixed characteristics (analytics/intake/demo.py; the demo company until the demo moved to the
company whose characteristics change, tests/test_demo_company.py): contract shape, determinism, invariants, and
the simulation's known truth."""
from __future__ import annotations

import json
import pickle
import time
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analytics.intake.demo import (DEFAULT_MENTORING_HR, DemoConfig, DemoData, VOLUNTARY_LOG_HR, generate,
                                   uniform_effect_config)
from analytics.intake.schema import EMPLOYEES, GENERATIONS, MENTORSHIPS, PROGRAM_TYPES, generation_of

EMPLOYEE_DTYPES = {
    "employee_id": "object", "hire_date": "datetime64[ns]", "termination_date": "datetime64[ns]",
    "termination_reason": "object", "department": "object", "job_level": "object", "location": "object",
    "gender": "object", "birth_year": "int64", "manager_id": "object", "salary": "float64",
    "performance_rating": "int64", "regrettable": "boolean",
}
MENTORSHIP_DTYPES = {
    "mentee_id": "object", "start_date": "datetime64[ns]", "mentor_id": "object", "program_type": "object",
    "end_date": "datetime64[ns]", "meetings": "int64",
}


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(DemoConfig())


@pytest.fixture(scope="module")
def emp(demo) -> pd.DataFrame:
    return demo.employees.set_index("employee_id", drop=False)


@pytest.fixture(scope="module")
def first(demo) -> pd.DataFrame:
    """Each mentee's first mentorship (the one that sets the exposure)."""
    return demo.mentorships.sort_values("start_date", kind="stable").drop_duplicates("mentee_id")


def _internal(ms: pd.DataFrame) -> pd.DataFrame:
    return ms[ms["mentor_id"].notna()]


# --- shape of the contract -----------------------------------------------------------------

def test_columns_and_dtypes_match_the_contract(demo):
    assert list(demo.employees.columns) == EMPLOYEES.names
    assert list(demo.mentorships.columns) == MENTORSHIPS.names
    assert demo.employees.dtypes.astype(str).to_dict() == EMPLOYEE_DTYPES
    assert demo.mentorships.dtypes.astype(str).to_dict() == MENTORSHIP_DTYPES


def test_dates_are_midnight_and_ids_unique(demo):
    for frame, cols in ((demo.employees, ["hire_date", "termination_date"]),
                        (demo.mentorships, ["start_date", "end_date"])):
        for col in cols:
            d = frame[col].dropna()
            assert (d == d.dt.normalize()).all(), col
    assert demo.employees["employee_id"].is_unique
    assert demo.employees["employee_id"].str.fullmatch(r"E\d{6}").all()


def test_categories_are_the_documented_ones(demo):
    e = demo.employees
    assert set(e["termination_reason"].dropna()) == {"voluntary", "involuntary", "retirement"}
    assert e["termination_reason"].isna().equals(e["termination_date"].isna())
    assert set(e["department"]) == set(VOLUNTARY_LOG_HR["department"])
    assert 6 <= e["department"].nunique() <= 8
    assert set(e["job_level"]) == {"L1", "L2", "L3", "L4", "L5"}
    assert 3 <= e["location"].nunique() <= 5
    assert {"Non-binary", "Undisclosed"} <= set(e["gender"])
    assert set(e["performance_rating"]) == {1, 2, 3, 4, 5}
    assert set(demo.mentorships["program_type"]) == set(PROGRAM_TYPES)


# --- determinism -------------------------------------------------------------------------------

def test_same_config_gives_identical_data():
    a, b = generate(DemoConfig(n_employees=800, seed=5)), generate(DemoConfig(n_employees=800, seed=5))
    pd.testing.assert_frame_equal(a.employees, b.employees)
    pd.testing.assert_frame_equal(a.mentorships, b.mentorships)
    assert a.truth == b.truth


def test_different_seeds_differ():
    a, b = generate(DemoConfig(n_employees=800, seed=5)), generate(DemoConfig(n_employees=800, seed=6))
    assert not a.employees.equals(b.employees)
    assert not a.mentorships.equals(b.mentorships)


# --- invariants of the roster ---------------------------------------------------------------

def test_employment_spells_are_within_the_period(demo):
    cfg, e = DemoConfig(), demo.employees
    assert e["hire_date"].min() >= pd.Timestamp(cfg.start)
    assert e["hire_date"].max() <= pd.Timestamp(cfg.as_of)
    left = e.dropna(subset=["termination_date"])
    assert (left["termination_date"] > left["hire_date"]).all()
    assert left["termination_date"].max() <= pd.Timestamp(cfg.as_of)
    assert (e["hire_date"].dt.dayofweek < 5).all()  # people start on working days


def test_ages_and_generations(demo):
    e = demo.employees
    age_at_hire = e["hire_date"].dt.year - e["birth_year"]
    assert age_at_hire.between(20, 63).all()  # 20-62, plus one for a birthday later in the year
    generations = e["birth_year"].map(generation_of)
    assert generations.notna().all()
    shares = generations.value_counts(normalize=True)
    assert set(shares.index) == {name for name, _, _ in GENERATIONS}
    assert shares.min() > 0.01


def test_managers_are_senior_colleagues_employed_at_hire(demo, emp):
    e = demo.employees.dropna(subset=["manager_id"])
    assert 0.85 < len(e) / len(demo.employees) < 0.97  # top level and the first hires have none
    m = emp.loc[e["manager_id"]]
    assert (m["job_level"].to_numpy() > e["job_level"].to_numpy()).all()
    assert (m["department"].to_numpy() == e["department"].to_numpy()).all()
    assert (m["hire_date"].to_numpy() < e["hire_date"].to_numpy()).all()
    still = m["termination_date"].isna().to_numpy() | (m["termination_date"].to_numpy() > e["hire_date"].to_numpy())
    assert still.all()
    assert demo.employees.loc[demo.employees["job_level"] == "L5", "manager_id"].isna().all()


def test_salaries_rise_with_level(demo):
    medians = demo.employees.groupby("job_level")["salary"].median()
    assert medians.is_monotonic_increasing
    assert (demo.employees["salary"] > 0).all()


def test_voluntary_exit_share_per_year(demo):
    """Voluntary exits per calendar year over the average headcount: roughly 12-18% (the brief)."""
    e, rates = demo.employees, []
    for year in range(2018, 2025):
        lo, hi = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
        def headcount(day):
            return ((e["hire_date"] <= day) & ~(e["termination_date"] <= day)).sum()
        exits = ((e["termination_reason"] == "voluntary") & e["termination_date"].between(lo, hi)).sum()
        rates.append(exits / ((headcount(lo) + headcount(hi)) / 2))
    assert all(0.11 < r < 0.20 for r in rates), rates
    realised = demo.truth["realised"]
    assert 0.12 < realised["voluntary_exits_per_person_year"] < 0.18
    assert 0.025 < realised["involuntary_exits_per_person_year"] < 0.05
    assert 0 < realised["exits"]["retirement"] < 0.03 * len(e)


# --- invariants of the mentorships -----------------------------------------------------------

def test_coverage_is_near_the_target(demo, first, emp):
    coverage = first["mentee_id"].nunique() / len(demo.employees)
    assert 0.33 <= coverage <= 0.41  # target_coverage = 0.37
    assert coverage == pytest.approx(demo.truth["realised"]["coverage"])


def test_first_mentorship_starts_during_employment(first, emp):
    e = emp.loc[first["mentee_id"]]
    assert (first["start_date"].to_numpy() > e["hire_date"].to_numpy()).all()
    ended = e["termination_date"].notna().to_numpy()
    assert (first["start_date"].to_numpy()[ended] < e["termination_date"].to_numpy()[ended]).all()
    assert first["start_date"].max() < pd.Timestamp(DemoConfig().as_of)  # a start on as_of adds no exposure
    assert first["start_date"].min() >= pd.Timestamp(DemoConfig().programme_launch)


def test_second_mentorships_come_later_and_within_employment(demo, first, emp):
    ms = demo.mentorships
    later = ms.drop(first.index)
    assert 0 < len(later) < 0.3 * len(first)
    assert later["mentee_id"].is_unique
    first_start = first.set_index("mentee_id")["start_date"]
    assert (later["start_date"].to_numpy() > first_start.loc[later["mentee_id"]].to_numpy()).all()
    term = emp.loc[later["mentee_id"], "termination_date"].to_numpy()
    assert not (later["start_date"].to_numpy() >= term).any()


def test_mentors_are_other_employees_employed_at_the_start(demo, emp):
    ms = _internal(demo.mentorships)
    assert ms["mentor_id"].isin(emp.index).all()
    assert (ms["mentor_id"] != ms["mentee_id"]).all()
    mentor = emp.loc[ms["mentor_id"]]
    assert (mentor["hire_date"].to_numpy() < ms["start_date"].to_numpy()).all()
    term = mentor["termination_date"].to_numpy()
    assert not (term <= ms["start_date"].to_numpy()).any()  # NaT compares False: still employed
    assert demo.truth["realised"]["mentor_fallbacks"] == 0


def test_programme_rules_for_mentors(demo, emp):
    ms = demo.mentorships
    assert ms.loc[ms["program_type"] == "external", "mentor_id"].isna().all()
    assert ms.loc[ms["program_type"] != "external", "mentor_id"].notna().all()
    ms = _internal(ms)
    mentor, mentee = emp.loc[ms["mentor_id"]], emp.loc[ms["mentee_id"]]
    kind = ms["program_type"].to_numpy()

    def where(name, mask):
        return mask[kind == name]
    assert where("reverse", mentor["birth_year"].to_numpy() > mentee["birth_year"].to_numpy()).all()
    assert where("lateral", mentor["job_level"].to_numpy() == mentee["job_level"].to_numpy()).all()
    assert where("traditional", mentor["job_level"].to_numpy() > mentee["job_level"].to_numpy()).all()
    assert where("group", np.isin(mentor["job_level"].to_numpy(), ["L4", "L5"])).all()
    shares = demo.mentorships["program_type"].value_counts(normalize=True)
    assert shares.idxmax() == "traditional"


def test_mentor_is_manager_in_a_quarter_of_traditional_first_mentorships(first, emp):
    is_manager = (first["mentor_id"].notna().to_numpy()  # external: no mentor, and None == None is no match
                  & (first["mentor_id"].to_numpy() == emp.loc[first["mentee_id"], "manager_id"].to_numpy()))
    kind = first["program_type"].to_numpy()
    assert 0.18 < is_manager[kind == "traditional"].mean() < 0.32
    assert not is_manager[kind != "traditional"].any()  # the manager factor lives only there


def test_relationship_ends_and_meetings(demo, emp):
    ms = demo.mentorships
    ended = ms.dropna(subset=["end_date"])
    assert (ended["end_date"] > ended["start_date"]).all()
    assert ended["end_date"].max() <= pd.Timestamp(DemoConfig().as_of)
    term = emp.loc[ended["mentee_id"], "termination_date"].to_numpy()
    assert not (ended["end_date"].to_numpy() > term).any()  # ends when the mentee leaves
    assert ms["end_date"].isna().any()  # some are ongoing at the snapshot
    done = ended["meetings"]
    assert (ms["meetings"] >= 0).all() and 6 <= done.median() <= 20


# --- the truth ----------------------------------------------------------------------------------

def test_truth_is_json_and_written_down(demo):
    truth = json.loads(json.dumps(demo.truth))
    assert truth["config"]["mentoring_hr"] == DEFAULT_MENTORING_HR
    assert truth["config"]["as_of"] == "2024-12-31"
    assert truth["config"]["programme_launch"] == "2017-04-01"  # 90 days after start
    effect = truth["mentoring_effect"]
    assert effect["mentor_own_hazard_ratio"] == 1.0
    assert effect["manager_mentor_multiplier"] == 1.25
    assert 0.70 < effect["realised_mix_hazard_ratio"] < 0.78
    assert truth["voluntary"]["log_hazard_ratio"]["generation"]["Gen Z"] > 0
    assert truth["voluntary"]["log_hazard_ratio_per_rating_point"] < 0


def test_uniform_effect_config_has_one_true_factor():
    cfg = uniform_effect_config(0.7, seed=3, n_employees=1000)
    assert dict(cfg.mentoring_hr) == {t: 0.7 for t in PROGRAM_TYPES}
    assert cfg.manager_mentor_hr == 1.0 and cfg.seed == 3 and cfg.n_employees == 1000
    truth = generate(cfg).truth["mentoring_effect"]
    assert truth["realised_mix_hazard_ratio"] == pytest.approx(0.7)


def test_naive_hazard_ratio_overstates_the_effect(demo):
    """Ever vs never mentored (fixed covariate) on the default company: about 0.3, truth about 0.74.

    Source: the simulation's known truth; docs/design.md ("a true 30% reduction ... looks like 65-70%").
    """
    from statsmodels.duration.hazard_regression import PHReg
    e = demo.employees
    end = e["termination_date"].fillna(pd.Timestamp(DemoConfig().as_of))
    days = (end - e["hire_date"]).dt.days.to_numpy(float)
    ever = e["employee_id"].isin(demo.mentorships["mentee_id"]).to_numpy(float)
    voluntary = (e["termination_reason"] == "voluntary").to_numpy(int)
    fit = PHReg(days, ever[:, None], status=voluntary, ties="efron").fit()
    assert 0.25 < float(np.exp(fit.params[0])) < 0.42


# --- configuration and scale ---------------------------------------------------------------

@pytest.mark.parametrize("kw, match", [
    ({"n_employees": 10}, "n_employees"),
    ({"n_employees": 2.5}, "n_employees"),
    ({"seed": -1}, "seed"),
    ({"as_of": date(2016, 1, 1)}, "start must be at least a year before as_of"),
    ({"start": date(1990, 1, 1)}, "Pew generations"),
    ({"programme_launch": date(2025, 1, 1)}, "programme_launch"),
    ({"mentoring_hr": {"traditional": 0.7}}, "mentoring_hr must have exactly"),
    ({"mentoring_hr": {t: 0.0 for t in PROGRAM_TYPES}}, r"mentoring_hr\[traditional\]"),
    ({"manager_mentor_hr": float("nan")}, "manager_mentor_hr"),
    ({"target_coverage": 1.0}, "target_coverage"),
    ({"confounding": -1.0}, "confounding"),
], ids=["tiny", "fractional", "negative-seed", "as_of-before-start", "before-generations",
        "launch-after-as_of", "missing-types", "zero-hr", "nan-hr",
        "full-coverage", "negative-confounding"])
def test_bad_config_is_rejected(kw, match):
    with pytest.raises(ValueError, match=match):
        DemoConfig(**kw)


def test_config_is_read_only_hashable_and_picklable():
    cfg = DemoConfig()
    with pytest.raises(TypeError):
        cfg.mentoring_hr["traditional"] = 0.1  # type: ignore[index]
    assert hash(cfg) == hash(DemoConfig()) and cfg == DemoConfig()  # usable as a cache key
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert cfg.mentoring_hr == DEFAULT_MENTORING_HR
    assert replace(cfg, seed=1).mentoring_hr == cfg.mentoring_hr


def test_twenty_thousand_employees_generate_quickly():
    began = time.perf_counter()
    data = generate(DemoConfig(n_employees=20_000, seed=11))
    assert time.perf_counter() - began < 5
    assert len(data.employees) == 20_000
    assert 0.33 <= data.truth["realised"]["coverage"] <= 0.41
    assert data.truth["realised"]["mentor_fallbacks"] == 0


def test_small_companies_still_satisfy_the_rules():
    data = generate(DemoConfig(n_employees=200, seed=2))
    ms = _internal(data.mentorships)
    emp = data.employees.set_index("employee_id")
    assert (ms["mentor_id"] != ms["mentee_id"]).all()
    mentor_term = emp.loc[ms["mentor_id"], "termination_date"].to_numpy()
    assert not (mentor_term <= ms["start_date"].to_numpy()).any()


# --- recovering the truth (slow: many simulated companies) -----------------------------------

def _counting_process(data: DemoData, as_of: date) -> pd.DataFrame:
    """(0, m] unmentored then (m, T] mentored; voluntary exit is the event, other exits censored."""
    e = data.employees.copy()
    e["T"] = (e["termination_date"].fillna(pd.Timestamp(as_of)) - e["hire_date"]).dt.days
    e = e[e["T"] > 0]
    m = (e["employee_id"].map(data.mentorships.groupby("mentee_id")["start_date"].min()) - e["hire_date"]).dt.days
    x = pd.get_dummies(e[["department", "job_level", "location", "gender"]].assign(
        generation=e["birth_year"].map(generation_of), cohort=e["hire_date"].dt.year.astype(str)),
        drop_first=True, dtype=float)
    x = x.assign(performance_rating=e["performance_rating"].astype(float), log_salary=np.log(e["salary"]),
                 id=np.arange(len(e)), event=(e["termination_reason"] == "voluntary").astype(int).to_numpy())
    before = x.assign(start=0.0, stop=m.fillna(e["T"]).to_numpy(), mentored=0.0)
    before.loc[m.notna().to_numpy(), "event"] = 0
    after = x[m.notna().to_numpy()].assign(start=m.dropna().to_numpy(), stop=e.loc[m.notna(), "T"].to_numpy(),
                                           mentored=1.0)
    return pd.concat([before, after[after["stop"] > after["start"]]], ignore_index=True)  # drop starts on as_of


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_adjusted_time_varying_cox_recovers_the_true_factor(seed):
    """Truth: every programme multiplies the voluntary hazard by 0.70 from the first start onward.

    lifelines CoxTimeVaryingFitter (Efron), adjusted for every covariate the simulation uses.
    """
    lifelines = pytest.importorskip("lifelines")
    cfg = uniform_effect_config(0.70, seed=seed)
    fit = lifelines.CoxTimeVaryingFitter().fit(_counting_process(generate(cfg), cfg.as_of), id_col="id",
                                               event_col="event", start_col="start", stop_col="stop")
    row = fit.summary.loc["mentored"]
    assert row["exp(coef) lower 95%"] < 0.70 < row["exp(coef) upper 95%"]
