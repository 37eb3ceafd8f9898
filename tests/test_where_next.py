"""Where to extend the programme next, as `summary --json` gives it (the method: analytics/where_next.py)."""
from __future__ import annotations

import json

from analytics import store
from analytics.cli import main
from analytics.policy import MIN_GROUP_SIZE


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
    from analytics.ingest import plan_from_frames
    from tests.builders import employees_table, mentorships_table

    db = tmp_path / "tiny.duckdb"
    emp = employees_table(12)
    con = store.connect(db)
    store.load_plan(con, plan_from_frames(emp, mentorships_table(emp, 4)))
    con.close()
    capsys.readouterr()
    assert main(["summary", "--db", str(db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["where_next"] == []
