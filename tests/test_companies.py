"""Each simulated company of tests/companies.py falls into its intended category on the product's own
summary (`python -m analytics summary --json`), on the seed the table fixes."""
from __future__ import annotations

import numpy as np
import pytest

from analytics.common.errors import DemoConfigError
from analytics.intake.demo import DemoConfig, generate
from analytics.store import database
from tests.companies import COMPANIES, build, conditions, summary


@pytest.fixture(scope="module")
def summaries(tmp_path_factory):
    """Every kind built once, through the normal load path, and summarised by the CLI."""
    folder = tmp_path_factory.mktemp("companies")
    return {kind: summary(build(kind, folder / f"{kind}.duckdb")) for kind in COMPANIES}


def _figures(hr: dict) -> str:
    return ", ".join(f"{k} {hr[k]['estimate']:.3f} [{hr[k]['lower']:.3f}, {hr[k]['upper']:.3f}]"
                     for k in ("naive", "time_varying", "adjusted"))


@pytest.mark.parametrize("kind", list(COMPANIES))
def test_each_company_falls_in_its_category(summaries, kind):
    hr = summaries[kind]["hazard_ratio"]
    held = conditions(kind, hr)
    assert held and all(held.values()), f"{kind}: {held} ({_figures(hr)})"


def test_the_categories_in_plain_figures(summaries):
    hr = {kind: s["hazard_ratio"] for kind, s in summaries.items()}
    for kind in ("benefit", "no_salary"):  # a real benefit, which the naive figure overstates
        assert hr[kind]["adjusted"]["upper"] < 1
        assert hr[kind]["naive"]["estimate"] < hr[kind]["adjusted"]["estimate"]
    assert hr["no_effect"]["adjusted"]["lower"] < 1 < hr["no_effect"]["adjusted"]["upper"]
    assert hr["harm"]["adjusted"]["lower"] > 1
    for kind in ("naive_understates", "real_like"):  # both below 1, the naive figure nearer to 1
        assert hr[kind]["adjusted"]["upper"] < 1 and hr[kind]["naive"]["estimate"] < 1
        assert hr[kind]["naive"]["estimate"] / hr[kind]["adjusted"]["estimate"] > 1.05


def test_the_truth_is_stored_as_for_the_demo(tmp_path):
    spec = COMPANIES["real_like"]
    con = database.connect(build("real_like", tmp_path / "real.duckdb"))
    try:
        truth = database.metadata(con, "demo_truth")
        assert database.is_demo(con) and database.metadata(con, "as_of") == str(spec.config.as_of)
        assert set(truth["mentoring_effect"]["hazard_ratio_by_program_type"].values()) == {spec.true_hr}
        assert truth["mentoring_effect"]["manager_mentor_multiplier"] == 1.0
        assert truth["config"]["seed"] == spec.seed
    finally:
        con.close()


def test_missing_columns_are_missing_from_the_model(summaries):
    real = summaries["real_like"]["hazard_ratio"]["adjusted"]
    assert not {"performance_rating", "job_level"} & set(real["covariates"])
    assert {"performance_rating", "job_level"} <= set(real["dropped"])
    assert "log_salary" in real["covariates"]
    no_salary = summaries["no_salary"]
    assert "log_salary" not in no_salary["hazard_ratio"]["adjusted"]["covariates"]
    assert "salary" in no_salary["not_available"]["business_case"]


def test_every_company_is_a_few_thousand_people(summaries):
    for kind, s in summaries.items():
        assert 2000 <= s["n_employees"] <= 4000, kind
        assert COMPANIES[kind].config.n_employees == s["n_employees"]


# --- the demo's knobs these companies use ----------------------------------------------------------------

def test_onboarding_window_starts_every_first_mentorship_soon():
    cfg = DemoConfig(n_employees=600, seed=5, uptake_window_days=30)
    demo = generate(cfg)
    e = demo.employees.set_index("employee_id")
    first = demo.mentorships.sort_values("start_date").drop_duplicates("mentee_id")
    hire = e.loc[first["mentee_id"], "hire_date"].to_numpy()
    eligible = np.maximum(hire + np.timedelta64(30, "D"), np.datetime64(cfg.programme_launch, "ns"))
    wait = (first["start_date"].to_numpy() - eligible) / np.timedelta64(1, "D")
    assert wait.min() >= 0 and wait.max() <= 30
    assert abs(demo.truth["realised"]["coverage"] - cfg.target_coverage) < 0.02


def test_remedial_uptake_goes_to_low_performers():
    def mean_rating_of_mentored(cfg: DemoConfig) -> float:
        demo = generate(cfg)
        mentored = demo.employees["employee_id"].isin(demo.mentorships["mentee_id"])
        return float(demo.employees.loc[mentored, "performance_rating"].mean()
                     - demo.employees.loc[~mentored, "performance_rating"].mean())

    assert mean_rating_of_mentored(DemoConfig(n_employees=2000, seed=5)) > 0.2
    remedial = DemoConfig(n_employees=2000, seed=5, confounding_by={"performance_rating": -1.0})
    assert mean_rating_of_mentored(remedial) < -0.2
    assert remedial.as_dict()["confounding_by"] == {"performance_rating": -1.0}
    assert generate(remedial).truth["mentoring_uptake"]["confounding_scale_by_part"] == {
        "department": 1.0, "job_level": 1.0, "generation": 1.0, "performance_rating": -1.0}


def test_new_knobs_leave_the_default_company_alone():
    plain = generate(DemoConfig(n_employees=300, seed=9))
    spelled = generate(DemoConfig(n_employees=300, seed=9, uptake_window_days=None, confounding_by={}))
    assert plain.employees.equals(spelled.employees) and plain.mentorships.equals(spelled.mentorships)


@pytest.mark.parametrize("kw", [{"uptake_window_days": 0}, {"uptake_window_days": 2.5},
                                {"confounding_by": {"tenure": -1.0}},
                                {"confounding_by": {"job_level": float("nan")}}],
                         ids=["zero-window", "fractional-window", "unknown-part", "nan-scale"])
def test_bad_knobs_are_rejected(kw):
    with pytest.raises(DemoConfigError):
        DemoConfig(**kw)
