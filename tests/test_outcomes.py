"""Outcomes beyond exits, read from the job history (analytics/estimation/outcomes.py): promotions and internal
moves, mentoring's effect on each against colleagues not (yet) mentored, in summary --json and on Methods."""
import pandas as pd
import pytest

from analytics.case.summary import summarise
from analytics.estimation.outcomes import first_days
from analytics.store import database
from tests.test_history_models import demo_with_history


def changes(*rows):
    return pd.DataFrame(rows, columns=["employee_id", "day", "change_reason", "job_level", "level_before",
                                       "department", "department_before"])


def test_a_promotion_is_a_move_up_said_or_seen_and_a_move_is_a_new_department():
    found = changes(
        ("A", 0, "hire", "L1", "L1", "Sales", "Sales"),           # hiring is neither
        ("A", 200, "rating", "L1", "L1", "Sales", "Sales"),       # a rating: neither
        ("A", 400, "promotion", "L2", "L1", "Sales", "Sales"),    # said to be a promotion
        ("A", 800, "other", "L3", "L2", "Finance", "Sales"),      # a later one: not the first
        ("B", 300, None, "Level 10", "Level 9", "Ops", "Ops"),     # no reason given: up in order (10 after 9)
        ("C", 300, "demotion", "L1", "L2", "Ops", "Ops"),          # down: not a promotion
        ("C", 500, "transfer", "L1", "L1", "Sales", "Ops"),        # a new department
    )
    assert first_days(found, "promotion").to_dict() == {"A": 400.0, "B": 300.0}
    assert first_days(found, "internal_move").to_dict() == {"A": 800.0, "C": 500.0}


def test_without_a_history_the_summary_says_why_there_are_no_outcomes(demo_snapshot_db):
    con = database.connect(demo_snapshot_db, read_only=True)
    try:
        result = summarise(con)
    finally:
        con.close()
    assert result["outcomes"] == {"promotion": None, "internal_move": None}
    assert "job history" in result["not_available"]["outcome_promotion"]


def test_with_a_history_the_summary_and_methods_give_promotions_and_moves(tmp_path, monkeypatch):
    from tests.test_app import open_app, shown

    con = demo_with_history(tmp_path)
    result = summarise(con)
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    con.close()
    for outcome in ("promotion", "internal_move"):
        effect = result["outcomes"][outcome]
        assert effect is not None and effect["with_outcome"] > 20, outcome
        assert effect["hazard_ratio"]["lower"] < effect["hazard_ratio"]["estimate"] < effect["hazard_ratio"]["upper"]
    at = open_app(monkeypatch, path, "views/methods.py")
    words = " ".join(shown(e.value) for e in at.markdown)
    assert "to be promoted (moved up a level)" in words and "to move to another department" in words


def test_regrettable_exits_follow_the_top_rated_and_count_their_voluntary_exits(demo_snapshot_db):
    """--event regrettable: the people followed are those rated at the top of the company's scale (the employee file's
    rating, a leaver's at exit), and their voluntary exits are the event; the adjusted model cannot use the rating
    that picked them. (On the demo's export: with its job history, the 51 exits of the 324 top rated are too few
    for the adjusted model on every characteristic as it was.)"""
    from analytics.outputs.messages import briefing

    con = database.connect(demo_snapshot_db, read_only=True)
    try:
        result = summarise(con, event="regrettable")
        top, exits = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE termination_reason = 'voluntary' AND termination_date <= $as_of) "
            "FROM employees WHERE hire_date <= $as_of AND performance_rating = (SELECT max(performance_rating) "
            "FROM employees)", {"as_of": result["as_of"]}).fetchone()
    finally:
        con.close()
    assert result["event"] == "regrettable"
    assert (result["n_employees"], result["n_events"]) == (top, exits) and 0 < exits < top
    assert "performance_rating" not in result["hazard_ratio"]["adjusted"]["covariates"]
    assert "regrettable exits (voluntary, by people rated at the top of the scale)" in briefing(result)


def test_regrettable_exits_need_reasons_and_a_flag_or_ratings(tmp_path):
    from analytics.common.errors import RetentionError
    from analytics.store import loads
    from tests.builders import employees_table, mentorships_table, write

    emp = employees_table(60)
    emp["performance_rating"] = ""
    con = database.connect(tmp_path / "r.duckdb")
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(mentorships_table(emp), tmp_path / "m.csv"))
    with pytest.raises(RetentionError, match="needs termination reasons, and that flag or performance ratings"):
        summarise(con, event="regrettable")


def test_the_data_page_offers_regrettable_exits_and_every_page_follows_the_choice(demo_db, monkeypatch):
    from tests.test_app import assert_clean, open_app, shown

    at = open_app(monkeypatch, demo_db, "views/data.py")
    radio = next(r for r in at.radio if r.label == "What counts as leaving")
    assert "regrettable" in radio.options or "Regrettable exits" in radio.options
    radio.set_value("regrettable").run()
    assert_clean(at)
    at.switch_page("views/overview.py").run()
    assert_clean(at)
    assert "leaving means leaving voluntarily, among people rated at the top of the scale" in \
        " ".join(shown(c.value) for c in at.caption)


def test_regrettable_exits_chosen_before_a_load_without_ratings_go_back_to_the_default(tmp_path, monkeypatch):
    from analytics.store import loads
    from tests.builders import employees_table, mentorships_table, write
    from tests.test_app import assert_clean, open_app, shown

    emp = employees_table(60)
    emp["performance_rating"] = ""
    con = database.connect(tmp_path / "r.duckdb")
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(mentorships_table(emp), tmp_path / "m.csv"))
    con.close()
    at = open_app(monkeypatch, tmp_path / "r.duckdb", "views/overview.py", state={"event": "regrettable"})
    assert_clean(at)
    assert "leaving means leaving voluntarily" in " ".join(shown(c.value) for c in at.caption)
