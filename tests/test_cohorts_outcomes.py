"""Promotions and internal moves on the Cohorts page: with a job history loaded, mentoring's effect on each in the
words its figures decide and the same figures as `summary --json` gives under "outcomes", the share who had one by
each month since hire (mentored and not yet mentored, leaving competing: analytics/estimation/outcomes.py), a
filtered group's as rounded as its other figures; without a history one line saying what loading one adds; and
nothing of it for a role that may not open the page."""
from __future__ import annotations

import base64
import json
import re
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter

from analytics.case.summary import summarise
from analytics.common.policy import DAYS_PER_MONTH, FILTERED_ROUNDING
from analytics.estimation.competing import cumulative_incidence_at
from analytics.estimation.followup import follow_up
from analytics.estimation.outcomes import OUTCOMES, first_days, outcome_incidence
from analytics.intake.demo_changing import generate_changing
from analytics.intake.prepare import plan_from_frames
from analytics.store import database, loads, queries
from analytics.store.cohorts import Cohort
from analytics.words import wording
from tests.companies import changing_config
from tests.test_app import assert_clean, open_app, shown

SECTION = "Promotions and moves"


def company(path, history: bool = True, n: int = 3000):
    """The changing company (tests/companies.py: mentoring speeds promotion by 1.5), 3,000 people, with its job
    history and, made up here, a move to another department at the first yearly review for one person in ten;
    `history` False: the same employees and mentorships without the history."""
    data = generate_changing(replace(changing_config("changing_effect"), n_employees=n))
    employees, history_rows = data.employees.copy(), data.job_history.copy()
    rng = np.random.default_rng(7)
    reviews = history_rows[history_rows["change_reason"] == "pay_change"].groupby("employee_id").head(1)
    moving = reviews.index[rng.random(len(reviews)) < 0.1]
    departments = sorted(employees["department"].unique())
    hired_in = history_rows[history_rows["change_reason"] == "hire"].set_index("employee_id")["department"]
    for row in moving:
        person = history_rows.at[row, "employee_id"]
        new = departments[(departments.index(hired_in[person]) + 1) % len(departments)]
        history_rows.loc[row, ["department", "change_reason"]] = [new, "transfer"]
        employees.loc[employees["employee_id"] == person, "department"] = new  # the export: as they are now
    con = database.connect(path)
    plan = plan_from_frames(employees, data.mentorships, job_history=history_rows if history else None)
    loads.load_plan(con, plan, metadata={"as_of": data.truth["config"]["as_of"]})
    con.close()
    return path


@pytest.fixture(scope="module")
def with_history(tmp_path_factory):
    return company(tmp_path_factory.mktemp("outcomes") / "history.duckdb")


def _json(path, cohort: Cohort | None = None) -> dict:
    con = database.connect(path)
    try:
        return summarise(con, cohort=cohort)
    finally:
        con.close()


def test_the_share_promoted_or_moved_is_lifelines_aalen_johansen_with_delayed_entry(with_history):
    """outcome_incidence against lifelines' AalenJohansenFitter (entry = the day a person enters the group), on each
    person's one interval per group built here from the follow-up's episodes: not mentored from hire to their first
    mentorship, mentored from then, each ending at the first outcome (cause 1), leaving (cause 2) or the end of
    follow-up. lifelines jitters tied times of different causes by a tiny amount (seeded), hence the tolerance."""
    con = database.connect(with_history, read_only=True)
    try:
        fu = follow_up(con)
        changes = queries.job_changes(con, fu.as_of, fu.cohort)
    finally:
        con.close()
    e = fu.episodes
    d = e["duration_days"].to_numpy(float)
    mentored_from = np.nan_to_num(e["mentored_from_day"].to_numpy(float), nan=np.inf)
    for outcome in OUTCOMES:
        ours = outcome_incidence(fu, outcome, changes)
        first = first_days(changes, outcome).reindex(e["employee_id"]).to_numpy()
        had = first <= d
        end = np.where(had, first, d)
        cause = np.where(had, 1, np.where(e["exited"].to_numpy(bool), 2, 0))
        groups = {"not mentored": (np.zeros_like(d), np.minimum(end, mentored_from),
                                   np.where(end <= mentored_from, cause, 0)),
                  "mentored": (mentored_from, end, cause)}
        assert set(ours) == set(groups)
        for group, (entry, leave, why) in groups.items():
            on = leave > entry
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # lifelines' note that it jitters ties
                # entry half a day on: lifelines counts who enter on a day at risk of that day's events, (start, stop]
                # rows (R's survival, ours) from the next; every day here is a whole one
                reference = AalenJohansenFitter(seed=1).fit(leave[on], why[on], event_of_interest=1,
                                                            entry=entry[on] + 0.5)
            curve = reference.cumulative_density_.iloc[:, 0]
            for month in (6, 12, 24, 36, 60):
                ours_then = cumulative_incidence_at(ours[group], month * DAYS_PER_MONTH).estimate
                assert ours_then == pytest.approx(curve.loc[:month * DAYS_PER_MONTH].iloc[-1], abs=2e-4), \
                    (outcome, group, month)
            assert ours[group]["events"].sum() == int(((why == 1) & on).sum())  # each first one counted once
        assert cumulative_incidence_at(ours["not mentored"], 36 * DAYS_PER_MONTH).estimate > 0.01, outcome


def _section(at):
    """The Cohorts page from its "Promotions and moves" heading on: its words, tables and charts."""
    heads = [h.value for h in at.subheader]
    assert SECTION in heads, heads
    words = [shown(m.value) for m in at.markdown]
    return words, at.dataframe, at.get("plotly_chart")


def _figures_of(frame: pd.DataFrame) -> dict:
    return {row["outcome"]: row for row in frame.to_dict("records")}


def test_the_page_shows_promotions_and_moves_with_the_summarys_figures(monkeypatch, with_history):
    result = _json(with_history)
    at = open_app(monkeypatch, with_history, "views/cohorts.py")
    assert_clean(at)
    words, frames, charts = _section(at)
    table = next(f.value for f in frames if "had one" in f.value.columns)
    rows = _figures_of(table)
    for outcome in OUTCOMES:
        effect = result["outcomes"][outcome]
        assert effect is not None and effect["with_outcome"] >= 50, outcome
        # the sentence the one verdict decides, on the summary's own figures
        assert shown(wording.outcome_words(outcome, effect["hazard_ratio"], effect["with_outcome"])) in words
        row = rows[wording.OUTCOME_TITLES[outcome]]
        assert [row[k] for k in ("estimate", "lower", "upper", "p")] == \
            [effect["hazard_ratio"][k] for k in ("estimate", "lower", "upper", "p")]
        assert (row["people followed"], row["had one"]) == (effect["people"], effect["with_outcome"])
    # mentoring speeds promotion 1.5-fold here (the simulation's truth): the figure and its words say more likely
    assert result["outcomes"]["promotion"]["hazard_ratio"]["lower"] > 1
    assert any(re.search(r"\d+% more likely \(range [^)]*\) to be promoted", w) for w in words)
    names = {trace.get("name") for chart in charts for trace in json.loads(chart.proto.spec)["data"]
             if trace.get("showlegend", True) is not False}
    assert {"promoted, mentored", "promoted, not (yet) mentored", "moved department, mentored",
            "moved department, not (yet) mentored"} <= names
    shares = next(f.value for f in frames if "by 12 months" in f.value.columns)  # the charts in words
    assert set(shares["counted"]) == {"promoted", "moved department"}
    assert all(re.fullmatch(r"\d+% \(\d+%–\d+%\)", cell) for cell in shares["by 24 months"])


def _values(sent) -> np.ndarray:
    """A chart's numbers as sent to the browser: a list, or plotly's typed array (dtype and base64 bytes)."""
    if isinstance(sent, dict):
        return np.frombuffer(base64.b64decode(sent["bdata"]), dtype=sent["dtype"]).astype(float)
    return np.asarray(sent, float)


def test_a_filtered_group_gets_its_own_figures_rounded_as_its_counts(monkeypatch, with_history):
    """As the page's other figures for a filtered group (tests/test_differencing.py): counts to the nearest 5, the
    curves sent to the browser by whole month and to whole percents; the figures are the summary's for that group."""
    department = "Sales"
    result = _json(with_history, Cohort(department=(department,)))
    at = open_app(monkeypatch, with_history, "views/cohorts.py", state={"filter_department": [department]})
    assert_clean(at)
    _, frames, charts = _section(at)
    rows = _figures_of(next(f.value for f in frames if "had one" in f.value.columns))
    effect = result["outcomes"]["promotion"]
    assert rows["Promotions"]["estimate"] == effect["hazard_ratio"]["estimate"]
    assert rows["Promotions"]["people followed"] == effect["people"]
    assert all(row[k] % FILTERED_ROUNDING == 0 for row in rows.values() for k in ("people followed", "had one"))
    outcome_charts = [json.loads(c.proto.spec) for c in charts]
    outcome_charts = [c for c in outcome_charts if "Share" in str(c["layout"]["yaxis"]["title"])]
    assert outcome_charts
    for chart in outcome_charts:
        for trace in chart["data"]:
            x, y = _values(trace["x"]), _values(trace["y"])
            assert np.allclose(x, np.round(x)), "steps only at whole months"
            assert np.allclose(y * 100, np.round(y * 100)), "whole percents only"


def test_without_a_history_one_line_says_what_loading_one_adds(monkeypatch, tmp_path):
    path = company(tmp_path / "no_history.duckdb", history=False, n=1500)
    at = open_app(monkeypatch, path, "views/cohorts.py")
    assert_clean(at)
    assert SECTION not in [h.value for h in at.subheader]
    assert [m.value for m in at.markdown if "job history" in m.value] == [wording.OUTCOMES_NEED_HISTORY]
    assert not any("to be promoted" in shown(m.value) for m in at.markdown)


def test_a_role_without_the_cohorts_page_sees_none_of_it(monkeypatch, with_history):
    from tests.test_access import signed_in_app

    viewer = signed_in_app(monkeypatch, with_history, {"email": "dee@example.com"})
    viewer.switch_page("views/cohorts.py").run()
    assert not viewer.exception
    assert any("not part of your role" in w.value for w in viewer.warning)
    assert SECTION not in [h.value for h in viewer.subheader]
    assert not viewer.dataframe and not viewer.get("plotly_chart")
    assert not any("promoted" in m.value or "job history" in m.value for m in viewer.markdown)
    analyst = signed_in_app(monkeypatch, with_history, {"email": "bo@example.com"})
    analyst.switch_page("views/cohorts.py").run()
    assert not analyst.exception
    assert SECTION in [h.value for h in analyst.subheader]


def test_the_curves_write_every_text_readably_and_part_in_greyscale(with_history):
    """As the page's other charts (tests/test_palette.py): every text in a colour of its own, readable on white;
    mentored dark and solid, not (yet) mentored light and dashed."""
    from analytics.case.summary import outcomes
    from analytics.outputs import figures, palette
    from tests.test_palette import AA, WHITE, _text_colours

    con = database.connect(with_history, read_only=True)
    try:
        o = outcomes(con)
    finally:
        con.close()
    assert set(o.incidence) == set(OUTCOMES)
    for outcome, split in o.incidence.items():
        fig = figures.outcome_figure(split, outcome, max_months=60)
        for where, colour in _text_colours(fig).items():
            assert colour is not None and palette.contrast(colour, WHITE) >= AA, (outcome, where, colour)
        lines = {t.name: (t.line.color, t.line.dash) for t in fig.data if t.mode == "lines"}
        counted = wording.OUTCOME_COUNTED[outcome]
        assert lines == {f"{counted}, mentored": (palette.MENTORED, "solid"),
                         f"{counted}, not (yet) mentored": (palette.UNMENTORED, "dash")}
