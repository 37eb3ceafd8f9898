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
