"""Where to extend the programme next, as `summary --json` gives it (the method: analytics/case/where_next.py)."""
from __future__ import annotations

import json

from analytics.common.policy import MIN_GROUP_SIZE
from analytics.store import database, loads
from analytics.surface.cli import main


def test_summary_json_ranks_where_to_extend_next_best_first(tmp_path, capsys):
    db = str(tmp_path / "w.duckdb")
    assert main(["demo", "--db", db, "--employees", "2000"]) == 0
    capsys.readouterr()
    assert main(["summary", "--db", db, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    ranking = result["where_next"]
    assert len(ranking) >= 10
    for item in ranking:
        assert set(item) >= {"segment", "people_unmentored", "exits_avoided_per_100", "value_per_100", "hazard_ratio"}
        (dimension, group), = item["segment"].items()
        assert dimension in ("department", "job_level", "location", "generation")
        assert item["people_unmentored"] >= MIN_GROUP_SIZE
        avoided = item["exits_avoided_per_100"]
        assert avoided["lower"] <= avoided["estimate"] <= avoided["upper"]
        value = item["value_per_100"]
        assert value["lower"] <= value["estimate"] <= value["upper"]
        assert 0 <= item["hazard_ratio"]["weight_on_own"] <= 1
    estimates = [item["exits_avoided_per_100"]["estimate"] for item in ranking]
    assert estimates == sorted(estimates, reverse=True)


def test_no_business_case_no_ranking(tmp_path, capsys):
    """Twelve people: no honest effect, so no ranking (an empty list, not an error)."""
    from analytics.intake.prepare import plan_from_frames
    from tests.builders import employees_table, mentorships_table

    db = tmp_path / "tiny.duckdb"
    emp = employees_table(12)
    con = database.connect(db)
    loads.load_plan(con, plan_from_frames(emp, mentorships_table(emp, 4)))
    con.close()
    capsys.readouterr()
    assert main(["summary", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["where_next"] == []


def test_pairs_of_characteristics_are_ranked_where_their_groups_are_large_enough():
    from analytics.case.summary import headline
    from analytics.case.where_next import DIMENSIONS, PAIRS, for_headline
    from analytics.common.policy import WHERE_NEXT_PAIR_MIN

    con = database.connect(":memory:")
    loads.load_demo(con)
    h = headline(con)
    singles = for_headline(h)
    both = for_headline(h, DIMENSIONS + (("department", "job_level"),))
    pairs = [s for s in both if len(s.segment) == 2]
    assert pairs and all(set(s.segment) == {"department", "job_level"} for s in pairs)
    assert all(s.people_unmentored >= WHERE_NEXT_PAIR_MIN for s in pairs)
    # the singles are the same whether or not pairs are asked for
    assert [(s.segment, s.exits_avoided_per_100) for s in both if len(s.segment) == 1] == \
        [(s.segment, s.exits_avoided_per_100) for s in singles]
    # a pair's people are the unmentored people employed now with both values
    fu = h.follow_up
    last = fu.rows.groupby("employee_id").tail(1)
    now = fu.episodes.set_index("employee_id")
    staff = now[(~now["exited"]) & (~now["mentored"])].index
    first = pairs[0]
    chosen = last[(last["department"] == first.segment["department"]) & (last["job_level"] == first.segment["job_level"])]
    assert first.people_unmentored == len(set(chosen["employee_id"]) & set(staff))
    assert len(PAIRS) == 6


def test_the_business_case_page_ranks_pairs_when_asked(monkeypatch, demo_db):
    from tests.test_app import assert_clean, open_app

    at = open_app(monkeypatch, demo_db, "views/business_case.py")
    at.multiselect(key="where_next_by").set_value([("department", "job_level")]).run()
    assert_clean(at)
    ranking = next(df.value for df in at.dataframe if "never mentored" in df.value.columns)
    assert all(" · L" in g for g in ranking["group"])  # a department and a level: 'Sales · L2'



def test_the_fast_paths_give_the_figures_a_plain_fit_gives(monkeypatch):
    """Each segment's model starts at the headline's estimates, reuses its columns and risk sets, and the
    dimensions are fitted side by side; the follow-up's rows are held in the models' order. A plain fit (no
    start, the columns built afresh, nothing kept, the rows in each person's order, one at a time) gives the
    same hazard ratios to 1e-9, and the same each person's risk."""
    import numpy as np

    from analytics.case.summary import headline
    from analytics.common import parallel
    from analytics.estimation import followup, kept, models, risks
    from analytics.estimation.followup import follow_up
    from analytics.estimation.subgroups import segment_effects

    con = database.connect(":memory:")
    loads.load_demo(con)
    h = headline(con)
    fast = {d: segment_effects(h.follow_up, d) for d in ("department", "job_level")}
    fast_risk = risks.exit_risks(h.follow_up, h.adjusted, 365.0, mentored=False).people

    fu = follow_up(con)
    order = np.lexsort((fu.rows["start"].to_numpy(), fu.rows["employee_id"].to_numpy()))
    plain = followup.FollowUp(fu.episodes, fu.rows.iloc[order].reset_index(drop=True), fu.as_of, fu.event)
    assert not np.all(np.diff(plain.rows["stop"].to_numpy()) >= 0)  # not in the models' order
    monkeypatch.setattr(kept, "_RISK_SETS_KEPT", 0)  # nothing kept between models
    monkeypatch.setattr(parallel, "cores", lambda: 1)
    slow = {d: segment_effects(plain, d) for d in ("department", "job_level")}  # no headline: no start
    assert not any(k[0] == "adjusted" for k in plain._kept if isinstance(k, tuple))  # no headline to start at
    for d in fast:
        assert [e.group for e in fast[d]] == [e.group for e in slow[d]]
        for a, b in zip(fast[d], slow[d]):
            assert (a.hazard_ratio is None) == (b.hazard_ratio is None)
            if a.hazard_ratio:
                for x, y in zip(a.hazard_ratio.to_dict().values(), b.hazard_ratio.to_dict().values()):
                    assert abs(x - y) <= 1e-9 * max(abs(y), 1e-300) or abs(x - y) < 1e-300, (d, a.group, x, y)
    slow_risk = risks.exit_risks(plain, models.adjusted_model(plain), 365.0, mentored=False).people
    joined = fast_risk.set_index("employee_id").join(slow_risk.set_index("employee_id"), rsuffix="_plain")
    assert len(joined) == len(fast_risk) == len(slow_risk)
    np.testing.assert_allclose(joined["p_unmentored"], joined["p_unmentored_plain"], rtol=1e-9)


def test_segment_labels_name_each_rows_values_and_pairs():
    """A row's segment in words: its value, 'not recorded' where it has none, a pair's two joined ('x · L1'),
    for every row of the frame (built from integer codes; the same words as joining each row's strings)."""
    import pandas as pd

    from analytics.case.where_next import PAIR_JOIN, _labels

    frame = pd.DataFrame({"a": ["x", None, "y", "x", ""], "b": ["L1", "L2", None, "L1", "L2"]}, index=[5, 6, 7, 8, 9])
    assert list(_labels(frame, "a")) == ["x", "not recorded", "y", "x", ""]
    pair = _labels(frame, ("a", "b"))
    assert list(pair) == [f"x{PAIR_JOIN}L1", f"not recorded{PAIR_JOIN}L2", f"y{PAIR_JOIN}not recorded",
                          f"x{PAIR_JOIN}L1", f"{PAIR_JOIN}L2"]
    assert list(pair.index) == [5, 6, 7, 8, 9]


def test_the_summary_is_the_same_beside_the_headline_or_after_it(tmp_path, monkeypatch):
    """Mentoring's phases, the outcomes and each segment's model start once the adjusted model is fitted, beside the
    rest of the headline, or (where the memory does not allow both) after it, with the job history's changes read
    here or given: the same figures, to the last digit."""
    from analytics.case import summary
    from analytics.store import queries
    from tests.test_history_models import demo_with_history

    con = demo_with_history(tmp_path)
    beside = summary.summarise(con)
    given = summary.summarise(con, changes=queries.job_changes(con, queries.snapshot(con).as_of))
    monkeypatch.setattr(summary, "SIDE_BY_SIDE_BYTES", 0)
    after = summary.summarise(con)
    con.close()
    assert beside["where_next"] and beside["outcomes"]["promotion"] and beside["mentoring_phases"]
    assert json.dumps(beside) == json.dumps(after) == json.dumps(given)


def test_each_persons_risk_by_day_is_the_risk_person_by_person():
    """Each person's chance of leaving read from the baselines' day tables (risks._ByDay: the morning's chance of
    being employed from both hazards at once, the voluntary share from the day's increments) equals the plain sum
    over days (risks._voluntary_probability) to 1e-12, for every column, at the estimate and at its limits."""
    import numpy as np

    from analytics.case.summary import headline
    from analytics.estimation import risks

    con = database.connect(":memory:")
    loads.load_demo(con)
    h = headline(con)
    parts = risks._RiskParts(h.follow_up, h.adjusted, 1096.0)
    assert parts.by_day is not None  # whole days, and other exits beside: the tables' way
    by_day = {name: parts.column(name).copy() for name in parts.effects}
    parts.by_day, parts.columns = None, {}
    for name, got in by_day.items():
        plain = parts.column(name)
        assert plain.size == got.size > 100 and np.all((plain > 0) & (plain < 1))
        np.testing.assert_allclose(got, plain, rtol=1e-12, atol=0)


def test_each_segments_baseline_comes_from_the_model_its_effect_comes_from():
    """The candidates' chances of leaving unmentored are read from the dimension's own model (the one their segment's
    effect comes from), and from the common adjusted model where the dimension has none; given the common model, the
    reading is exit_risks' own."""
    import numpy as np

    from analytics.case.business import avoided_exits
    from analytics.case.summary import headline
    from analytics.case.where_next import PER, _labels, _segment_effects, where_next
    from analytics.estimation import risks

    con = database.connect(":memory:")
    loads.load_demo(con)
    h = headline(con)
    fu, adjusted = h.follow_up, h.adjusted
    common = risks.exit_risks(fu, adjusted, 365.0, mentored=False)
    again = risks.unmentored_risks(fu, adjusted, adjusted, 365.0, ("mentored",))
    np.testing.assert_allclose(again, common.people["p_unmentored"].to_numpy(float), rtol=1e-12)

    effects = _segment_effects(fu, "department")
    assert effects.model is not None
    names = [n for n in effects.model.result._data["names"] if n not in set(adjusted.result._data["names"])]
    own = risks.unmentored_risks(fu, effects.model, adjusted, 365.0, tuple(names))
    unmentored = ~common.people["mentored"].to_numpy(bool)
    assert not np.allclose(own[unmentored], common.people["p_unmentored"].to_numpy(float)[unmentored])
    department = _labels(fu.rows.iloc[common.rows[unmentored]].reset_index(drop=True), "department").to_numpy()
    args = (fu, adjusted, 1.0, 0.5, 1000.0, 1.0, 50_000.0, ("department",))
    ranked = where_next(*args, effects=[effects])
    fallback = where_next(*args, effects=[list(effects)])  # the same effects, without their model
    assert ranked and {s.baseline for s in ranked} == {"segment model"}
    assert {s.baseline for s in fallback} == {"common model"}
    for chances, segments in ((own[unmentored], ranked), (common.people["p_unmentored"].to_numpy(float)[unmentored],
                                                          fallback)):
        for s in segments:
            p = chances[department == s.segment["department"]]
            assert len(p) == s.people_unmentored
            assert abs(s.exits_avoided_per_100.estimate - PER * avoided_exits(p, s.effect.range_used()[0]) / len(p)) \
                < 1e-9
