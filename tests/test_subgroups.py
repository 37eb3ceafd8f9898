"""Subgroup effects and the privacy minimums (docs/design.md: Privacy; issue: subgroup effects)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.case.summary import compare_cohorts
from analytics.common import policy
from analytics.estimation import followup, subgroups
from analytics.store import database, loads
from analytics.store.cohorts import Cohort


@pytest.fixture(scope="module")
def con():
    c = database.connect(":memory:")
    loads.load_demo(c)
    return c


def test_programme_types_each_against_the_unmentored(con):
    effects = {e.group: e for e in subgroups.programme_effects(followup.follow_up(con))}
    assert set(effects) == {"traditional", "reverse", "lateral", "group", "external"}
    # the demo's truth (docs/demo.md, "The demo company"): traditional mentoring's direct factor is 0.63 while it
    # lasts and 0.765 after it ends; from the first start onward the pooled HR lies between, so its CI overlaps them
    truth = database.metadata(con, "demo_truth")["mentoring_effect"]
    while_, after = (truth[f"direct_hr_{k}_by_programme"]["traditional"] for k in ("while", "after"))
    assert (while_, after) == pytest.approx((0.63, 0.765))
    trad = effects["traditional"].hazard_ratio
    assert trad.lower < after and trad.upper > while_
    assert all(e.hazard_ratio.estimate < 1 for e in effects.values() if e.hazard_ratio)


def test_small_subgroups_say_not_enough_data(con):
    """In Finance alone the reverse-mentoring group has fewer than 20 people mentored: no number is shown."""
    fu = followup.follow_up(con, Cohort(department=("Finance",)))
    effects = {e.group: e for e in subgroups.programme_effects(fu)}
    small = [e for e in effects.values() if e.note]
    assert small, "expected at least one programme type under the minimums in Finance"
    for e in small:
        assert e.hazard_ratio is None and e.note.startswith("not enough data")
        assert e.people is None or e.people >= policy.MIN_GROUP_SIZE  # counts under 5 are not shown
        assert e.exits is None or e.exits >= policy.MIN_GROUP_SIZE


def test_groups_under_five_people_are_suppressed(con):
    comparison = compare_cohorts(con, "department", Cohort(hire_year_from=2024, job_level=("L5",)))
    assert all(row["people"] >= policy.MIN_GROUP_SIZE for _, row in comparison.table.iterrows())
    shown = set(comparison.table["group"]) | set(comparison.suppressed)
    assert set(comparison.suppressed) and set(comparison.suppressed) <= shown
    assert not set(comparison.curves) & set(comparison.suppressed)


def test_interaction_test_for_a_dimension(con):
    effects, interaction = subgroups.group_effects(followup.follow_up(con), "generation")
    assert interaction.df == 3 and 0 <= interaction.p <= 1  # four generations: three interaction terms
    assert {e.group for e in effects} == {"Boomer", "Gen X", "Millennial", "Gen Z"}


def test_mentors_own_retention_is_unchanged_as_in_the_truth(con):
    """Generator truth: being a mentor has no effect on the mentor's own exits (HR 1)."""
    hr = subgroups.mentor_own_effect(con, followup.follow_up(con)).hazard_ratio
    assert hr.lower < 1 < hr.upper


@pytest.mark.parametrize("n, shown, words", [(0, 0, "0"), (1, None, "fewer than 5"), (4, None, "fewer than 5"),
                                             (5, 5, "5"), (1234, 1234, "1,234")])
def test_counts_of_one_to_four_people_are_never_shown(n, shown, words):
    assert policy.shown_count(n) == shown and policy.count_words(n) == words


@pytest.mark.parametrize("part, whole, share", [(3, 100, None), (97, 100, None), (5, 100, 0.05), (0, 100, 0.0),
                                                (50, 0, None)], ids=["few-mentored", "few-unmentored", "five",
                                                                     "nobody", "empty"])
def test_a_share_is_hidden_when_either_side_is_a_small_group(part, whole, share):
    """3 of 100 mentored would name a group of 3; so would 97 of 100 (3 not mentored)."""
    assert policy.shown_share(part, whole) == share


TINY = Cohort(department=("Operations",), job_level=("L3",), generation=("Boomer",))  # 3 people, 1 exit (demo)


def test_a_tiny_cohorts_summary_and_exports_show_no_count(con):
    from analytics.case.summary import headline, to_json
    from analytics.outputs import messages, onepager
    from analytics.outputs.messages import briefing
    h = headline(con, TINY)
    assert 0 < h.follow_up.n_employees < policy.MIN_GROUP_SIZE
    result = to_json(h)
    assert result["n_employees"] is None and result["n_events"] is None
    assert briefing(result).split(":", 1)[1].startswith(" fewer than 5 people")
    assert messages.key_messages(h)["scope"].startswith("fewer than 5 people")
    page = onepager.one_pager_html(h)
    assert "fewer than 5" in page and f">{h.follow_up.n_employees}<" not in page


def test_the_cohort_table_counts_no_group_of_one_to_four(con):
    """Hired in 2024, level L5: 35 people of whom 1-4 left (demo data); that count is not shown."""
    table = compare_cohorts(con, "job_level", Cohort(hire_year_from=2024)).table.set_index("group")
    assert table.loc["L5", "exits"] is None or table.loc["L5", "exits"] != table.loc["L5", "exits"]
    for column in ("people", "mentored", "exits"):
        shown = table[column].dropna()
        assert ((shown == 0) | (shown >= policy.MIN_GROUP_SIZE)).all(), column


def test_one_hidden_group_takes_the_next_smallest_with_it(tmp_path):
    """Complementary suppression: with one group hidden (3 people), the total less the shown groups would
    give its size, so the smallest shown group (7 people) is hidden too, in the table and the curves."""
    from tests.builders import employees_table, mentorships_table, write

    emp = employees_table(120, seed=5)
    emp["department"] = ["Big A"] * 60 + ["Big B"] * 50 + ["Mid"] * 7 + ["Tiny"] * 3
    c = database.connect(tmp_path / "c.duckdb")
    loads.load_files(c, write(emp, tmp_path / "e.csv"), write(mentorships_table(emp, 40), tmp_path / "m.csv"))
    comparison = compare_cohorts(c, "department")
    assert set(comparison.suppressed) == {"Tiny", "Mid"}
    assert set(comparison.table["group"]) == {"Big A", "Big B"} and set(comparison.curves) == {"Big A", "Big B"}
    c.close()


def test_the_effects_table_hides_the_next_smallest_count_too():
    from analytics.case.summary import _complementary
    from analytics.estimation.subgroups import SubgroupEffect

    effects = [SubgroupEffect("department", "Big", 60, 20, None), SubgroupEffect("department", "Mid", 7, 5, None),
               SubgroupEffect("department", "Tiny", None, None, None, "not enough data")]
    people = {e.group: e.people for e in _complementary(effects)}
    assert people == {"Big": 60, "Mid": None, "Tiny": None}
    both_hidden = [effects[0], effects[2], SubgroupEffect("department", "Other", None, None, None)]
    assert _complementary(both_hidden) == both_hidden  # two hidden already: nothing to add


def test_counts_in_the_notes_follow_the_privacy_rule():
    from analytics.case.summary import to_json
    import dataclasses
    from analytics.case.summary import headline

    con = database.connect(":memory:")
    loads.load_demo(con)
    h = headline(con)
    small = dataclasses.replace(h, notes={**h.notes, "ignored_mentorships": 3, "hired_after_as_of": 0})
    notes = to_json(small)["notes"]
    assert notes["ignored_mentorships"] is None and notes["hired_after_as_of"] == 0 and notes["simulated"] is True


def test_curves_and_at_risk_rows_stop_where_fewer_than_five_remain():
    """Differencing the curve: with 12 people, each exit past the point where 4 remain would be a named
    person's month of leaving. The curve, its band and the at-risk row stop there (docs/design.md, Privacy)."""
    from analytics.common.policy import DAYS_PER_MONTH
    from analytics.estimation.km import KaplanMeier
    from analytics.outputs import figures
    days = np.arange(1, 13) * 60.0  # one exit every two months: at risk 12, 11, ..., 1
    km = KaplanMeier().fit(None, days, np.ones(12, dtype=bool))
    last_shown = days[12 - policy.MIN_GROUP_SIZE]  # the exit with 5 at risk
    fig = figures.survival_figure({"mentored": km}, max_months=30)
    for trace in fig.data:
        assert max(trace.x) <= last_shown / DAYS_PER_MONTH + 1e-9, trace.name
    assert max(fig.data[-1].x) == pytest.approx(last_shown / DAYS_PER_MONTH)  # and no earlier: the rule, not less
    rows = figures.at_risk_table({"mentored": km}, [0, 12, 16, 20])  # 12, 6, 4, 2 at risk
    assert rows.loc["mentored"].tolist()[:2] == [12, 6] and rows.loc["mentored"].isna().tolist()[2:] == [True, True]
    incidence = pd.DataFrame({"time": days, "at_risk": np.arange(12, 0, -1), "cif": np.arange(1, 13) / 12})
    fig = figures.incidence_figure({"voluntary": incidence})
    assert max(fig.data[0].x) == pytest.approx(last_shown / DAYS_PER_MONTH)
