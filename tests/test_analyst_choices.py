"""Each analyst choice changes the figures it should and nothing else (demo company; truths in docs/demo.md)."""
from __future__ import annotations

import pytest

from analytics.case.summary import compare_cohorts, diagnostics, headline
from analytics.common.errors import RetentionError
from analytics.estimation import competing, curves, followup
from analytics.store import database, loads
from analytics.store.cohorts import Cohort


@pytest.fixture(scope="module")
def con():
    c = database.connect(":memory:")
    loads.load_demo(c)
    return c


@pytest.fixture(scope="module")
def default(con):
    return headline(con)


def _same(a, b) -> None:
    assert a == b


def test_choosing_what_the_honest_model_compares_on_changes_it_and_the_money_only(con, default):
    fewer = headline(con, covariates=("department", "job_level"))
    assert fewer.adjusted.covariates == ("department", "job_level")
    # the largest groups, counted in the model's rows: levels as they were on each day (the demo has a job
    # history), and people promoted into L3 spend many rows there
    assert fewer.adjusted.references == {"department": "Engineering", "job_level": "L3"}
    assert fewer.adjusted.hazard_ratio.estimate != pytest.approx(default.adjusted.hazard_ratio.estimate, rel=1e-3)
    # without rating and pay, mentoring's pull toward people who stay anyway is left in: the figure rises toward
    # the naive one (demo truth: uptake favours high performers, who leave less)
    assert fewer.adjusted.hazard_ratio.estimate < default.adjusted.hazard_ratio.estimate
    assert fewer.business.already_done.avoided_exits.estimate != pytest.approx(
        default.business.already_done.avoided_exits.estimate, rel=1e-3)
    for unchanged in ("naive", "time_varying"):
        _same(getattr(fewer, unchanged).hazard_ratio, getattr(default, unchanged).hazard_ratio)
    _same(fewer.retention, default.retention)
    _same(fewer.rmst, default.rmst)
    _same(fewer.logrank, default.logrank)
    _same(fewer.follow_up.n_employees, default.follow_up.n_employees)
    assert default.adjusted.references["generation"] == "Millennial"
    with pytest.raises(RetentionError, match="covariates must be among"):
        headline(con, covariates=("department", "shoe_size"))


@pytest.mark.parametrize("months", [6, 24, 36])
def test_the_retention_horizon_changes_retention_at_the_horizon_only(con, default, months):
    other = headline(con, horizon_days=round(months * 30.4375))
    assert other.retention["mentored"].estimate != default.retention["mentored"].estimate
    assert (other.retention["unmentored"].estimate < default.retention["unmentored"].estimate) == (months > 12)
    _same(other.adjusted.hazard_ratio, default.adjusted.hazard_ratio)
    _same(other.naive.hazard_ratio, default.naive.hazard_ratio)
    _same(other.rmst, default.rmst)
    _same(other.business.already_done.avoided_exits, default.business.already_done.avoided_exits)


def test_the_restricted_mean_window_changes_the_restricted_mean_only(con, default):
    other = headline(con, tau_days=1461)
    assert other.rmst["mentored"].estimate > default.rmst["mentored"].estimate  # four years, not two
    _same(other.retention, default.retention)
    _same(other.adjusted.hazard_ratio, default.adjusted.hazard_ratio)


def test_a_gender_filter_keeps_that_gender_only(con, default):
    women = headline(con, Cohort(gender=("Female",)))
    people = followup.follow_up(con).episodes
    assert women.follow_up.n_employees == int((people["gender"] == "Female").sum())
    assert women.follow_up.n_employees < default.follow_up.n_employees
    assert "Female" in women.follow_up.cohort.describe()


def test_cross_generation_pairs_are_a_dimension_of_their_own(con):
    pairs = compare_cohorts(con, "cross_generation")
    groups = set(pairs.table["group"])
    assert {"mentor from another generation", "mentor from the same generation", "not mentored"} <= groups
    assert "mentor outside the roster (age unknown)" in groups  # external coaches: not in the HR file
    reverse = compare_cohorts(con, "reverse_pair")
    assert "ages not recorded" not in set(reverse.table["group"])
    # the mentees of external mentors are the same people whichever age comparison is asked for
    outside = lambda c: int(c.table.set_index("group").loc["mentor outside the roster (age unknown)", "people"])  # noqa: E731
    assert outside(pairs) == outside(reverse)
    # and the other pair comparisons are as they were
    manager = compare_cohorts(con, "mentor_is_manager")
    assert set(manager.table["group"]) == {"mentor is the line manager", "mentor is not the line manager", "not mentored"}


def test_competing_exits_split_by_mentoring_count_mentored_time_from_its_start(con):
    d = diagnostics(con)
    split = d.exit_causes_by_mentoring
    assert set(split) == {"mentored", "not mentored"}
    at_two_years = {g: competing.cumulative_incidence_at(t["voluntary"], 730).estimate for g, t in split.items()}
    assert at_two_years["mentored"] < at_two_years["not mentored"]  # demo truth: mentoring lowers voluntary exits
    mentored_entry = split["mentored"]["voluntary"]["time"].min()
    assert mentored_entry > 0
    fu = followup.follow_up(con)
    whole = curves.exit_causes(fu)
    for cause in ("voluntary", "involuntary", "other"):
        assert whole[cause].equals(d.exit_causes[cause])  # the unsplit curves are unchanged


# ------------------------------------------------------------ on the pages

def test_methods_page_choices_change_its_own_figures_only(monkeypatch, demo_db):
    from tests.test_app import assert_clean, open_app

    at = open_app(monkeypatch, demo_db, "views/methods.py")
    assert_clean(at)
    assert any("Each characteristic is compared with its largest group" in c.value and "Engineering" in c.value
               for c in at.caption)
    before = [df.value.copy() for df in at.dataframe]
    retention = next(v for v in before if "still here at 12 months" in v.columns)
    at.selectbox(key="methods_horizon").set_value(24).run()
    assert_clean(at)
    after = next(df.value for df in at.dataframe if "still here at 24 months" in df.value.columns)
    assert list(after["still here at 24 months"]) != list(retention["still here at 12 months"])
    models_before = next(v for v in before if "hazard ratio" in v.columns)
    models_after = next(df.value for df in at.dataframe if "hazard ratio" in df.value.columns)
    assert models_after.equals(models_before)  # the horizon leaves the models alone
    at.multiselect(key="methods_covariates").set_value(["department", "job_level"]).run()
    assert_clean(at)
    fewer = next(df.value for df in at.dataframe if "hazard ratio" in df.value.columns)
    adjusted = lambda t: float(t.loc[t["model"] == "Adjusted (honest)", "hazard ratio"].iloc[0])  # noqa: E731
    naive = lambda t: float(t.loc[t["model"] == "Naive (overstated)", "hazard ratio"].iloc[0])  # noqa: E731
    assert adjusted(fewer) != adjusted(models_before) and naive(fewer) == naive(models_before)
    assert len(at.get("plotly_chart")) >= 3 and any("in mentored and not mentored time" in m.value for m in at.markdown)


def test_overview_keeps_the_standard_choices_whatever_the_methods_page_says(monkeypatch, demo_db):
    from tests.test_app import assert_clean, open_app

    at = open_app(monkeypatch, demo_db, "views/methods.py")
    at.multiselect(key="methods_covariates").set_value(["department"]).run()
    at.switch_page("views/overview.py").run()
    assert_clean(at)
    con = database.connect(demo_db)
    expected = headline(con).adjusted.hazard_ratio
    con.close()
    from analytics.words.wording import hr_words
    assert any(hr_words(expected) in m.value for m in at.markdown)


def test_business_case_page_ranks_where_to_extend_next(monkeypatch, demo_db):
    from tests.test_app import assert_clean, open_app

    at = open_app(monkeypatch, demo_db, "views/business_case.py")
    assert_clean(at)
    assert any(s.value == "Where to extend the programme next" for s in at.subheader)
    ranking = next(df.value for df in at.dataframe if "never mentored" in df.value.columns)
    assert 1 <= len(ranking) <= 10 and ranking["group"].iloc[0].split(":")[0] in (
        "Department", "Job level", "Location", "Generation")
    assert any("Exploratory" in c.value for c in at.caption)


def test_cohorts_page_explains_age_pairs(monkeypatch, demo_db):
    from analytics.words.wording import PAIRS_NOTE
    from tests.test_app import assert_clean, open_app

    at = open_app(monkeypatch, demo_db, "views/cohorts.py")
    at.selectbox(key="cohort_dimension").set_value("cross_generation").run()
    assert_clean(at)
    assert any(c.value == PAIRS_NOTE for c in at.caption)


def test_analysts_take_the_data_set_from_the_methods_page(monkeypatch, demo_db):
    """The single-user dashboard (an admin) offers the analysis data set of the cohort in scope."""
    from tests.test_app import assert_clean, open_app

    at = open_app(monkeypatch, demo_db, "views/methods.py")
    assert_clean(at)
    labels = [b.label for b in at.get("download_button")]
    assert {"People (CSV)", "People (PARQUET)", "Intervals (CSV)", "Intervals (PARQUET)"} <= set(labels)
