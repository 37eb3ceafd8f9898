"""Cohorts with many groups stays readable (the largest with the rest together, each group in its own chart, or a
ranked table, as the user chooses), its curves are labelled by the event they count, a count not shown reads as such,
and the page says which model a group's hazard ratio comes from."""
from __future__ import annotations

import json

import numpy as np

from analytics.common.policy import MANY_GROUPS
from analytics.words import wording
from tests.test_app import assert_clean, open_app


def _charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_many_groups_are_shown_the_way_the_user_chooses(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db, "views/cohorts.py", state={"cohort_dimension": "department"})
    assert_clean(at)
    groups = [str(g) for g in at.dataframe[0].value["group"]]
    assert len(groups) > MANY_GROUPS
    assert [r.label for r in at.radio] == ["Show the groups as"]  # the default: the largest and the rest together
    people = at.dataframe[0].value.set_index("group")["people"]
    lines = [t["name"] for t in _charts(at)[0]["data"] if t.get("showlegend", True) is not False]
    assert lines[-1] == f"other ({len(groups) - (MANY_GROUPS - 1)} groups)"
    assert len(lines) == MANY_GROUPS
    at.radio[0].set_value("each").run()
    assert_clean(at)
    titles = [a["text"] for a in _charts(at)[0]["layout"]["annotations"]]
    assert sorted(titles) == sorted(groups)  # every group in a chart of its own
    at.radio[0].set_value("ranked").run()
    assert_clean(at)
    shown = at.dataframe[0].value
    values = [float(v.rstrip("%")) for v in shown["retention"]]
    assert values == sorted(values, reverse=True)  # ranked by retention, each with its range
    assert all(r != wording.DASH for r in shown["range"])
    assert "people" in shown and len(people) == len(shown)


def test_curves_are_labelled_by_the_event_and_counts_never_read_none(monkeypatch, demo_db):
    at = open_app(monkeypatch, demo_db, "views/cohorts.py", state={"cohort_dimension": "job_level",
                                                                  "filter_department": ["Finance"]})
    assert_clean(at)
    chart = _charts(at)[0]
    assert chart["layout"]["yaxis"]["title"]["text"] == wording.staying_title("voluntary") == "Not left voluntarily"
    for frame in at.dataframe:
        assert not frame.value.astype(str).isin(["None", "nan", "<NA>"]).to_numpy().any()
    captions = [c.value for c in at.caption]
    assert wording.md(wording.GROUP_EFFECTS_NOTE[False]) in captions or wording.GROUP_EFFECTS_NOTE[False] in captions


def test_when_the_models_count_fewer_people_than_are_in_scope_the_pages_say_why(monkeypatch, demo_db):
    """The demo has 5,000 people in scope and its models follow 4,994: six were hired on the as-of date."""
    from analytics.case.summary import headline
    from analytics.store import database
    from tests.test_app import shown

    con = database.connect(demo_db, read_only=True)
    try:
        fu = headline(con).follow_up
    finally:
        con.close()
    gap = int((fu.episodes["duration_days"] == 0).sum())
    assert gap > 0 and fu.people_among() == fu.n_employees - gap
    note = wording.followed_note(fu.n_employees, fu.people_among())
    assert note == (f"The models follow {fu.people_among():,} of the {fu.n_employees:,} people in scope: {gap} hired "
                    "on the as-of date or leaving on their first day have no time to follow yet.")
    for page in ("views/methods.py", "views/business_case.py"):
        at = open_app(monkeypatch, demo_db, page)
        assert_clean(at)
        assert note in [shown(c.value) for c in at.caption], page
    assert wording.followed_note(100, 100) is None
    assert "Some hired" in wording.followed_note(620, 615, rounded=True)  # a filtered group's gap is no number
