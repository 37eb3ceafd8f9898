"""Edge cases of the definitions and the headline (issue: survival engine, edge cases)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analytics.case.summary import summarise
from analytics.common import errors
from analytics.common.policy import MIN_EFFECT_PEOPLE, shown_total
from analytics.estimation import curves, followup, models
from analytics.outputs.messages import briefing
from analytics.store import database, loads, queries
from analytics.surface.cli import main
from tests.builders import write


def company(n=40, mentored=None, exits=None, reasons=True, seed=3):
    """n people hired 2020-01-01 + i days; `mentored` maps index -> mentorship start day
    (relative to hire); `exits` maps index -> exit day (relative to hire)."""
    rng = np.random.default_rng(seed)
    hire = pd.Timestamp("2020-01-01") + pd.to_timedelta(np.arange(n), unit="D")
    exits = exits if exits is not None else {i: int(d) for i, d in enumerate(rng.integers(50, 900, n)) if i % 3 == 0}
    emp = pd.DataFrame({
        "employee_id": [f"P{i:03d}" for i in range(n)],
        "hire_date": hire.strftime("%Y-%m-%d"),
        "termination_date": [(hire[i] + pd.Timedelta(days=exits[i])).strftime("%Y-%m-%d") if i in exits else ""
                             for i in range(n)],
        "termination_reason": ["resigned" if i in exits else "" for i in range(n)],
        "department": ["A" if i % 4 < 2 else "B" for i in range(n)],  # not aligned with who is mentored
        "salary": 50_000 + 100 * np.arange(n),
    })
    if not reasons:
        emp = emp.drop(columns=["termination_reason"])
    mentored = mentored if mentored is not None else {}
    men = pd.DataFrame({
        "mentee_id": [f"P{i:03d}" for i in mentored],
        "start_date": [(hire[i] + pd.Timedelta(days=d)).strftime("%Y-%m-%d") for i, d in mentored.items()],
    }, columns=["mentee_id", "start_date"])
    return emp, men


def load(tmp_path, emp, men):
    con = database.connect(tmp_path / "r.duckdb")
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(men, tmp_path / "m.csv"))
    return con


AS_OF = "2023-12-31"


def test_mentorship_on_the_hire_day_is_mentored_from_day_zero(tmp_path):
    con = load(tmp_path, *company(mentored={0: 0, 1: 30}))
    rows = queries.counting_rows(con, AS_OF)
    assert rows[rows["employee_id"] == "P000"][["start", "mentored"]].values.tolist() == [[0, True]]
    assert rows[rows["employee_id"] == "P001"][["start", "mentored"]].values.tolist() == [[0, False], [30, True]]


def test_mentorship_before_hire_counts_from_hire_and_after_exit_is_ignored(tmp_path):
    emp, men = company(exits={0: 100, 1: 100})
    men = pd.DataFrame({"mentee_id": ["P000", "P001", "P002"],
                        "start_date": ["2019-11-01", "2020-06-01", "2020-01-03"]})  # P001 left 2020-04-10
    con = load(tmp_path, emp, men)
    ep = queries.episodes(con, AS_OF).set_index("employee_id")
    assert ep.loc["P000", "mentored_from_day"] == 0
    assert not ep.loc["P001", "mentored"]
    assert ep.loc["P002", "mentored_from_day"] == 0  # P002 hired 2020-01-03: mentored on the hire day
    assert queries.ignored_mentorships(con, AS_OF) == 1


def test_mentorship_on_the_exit_day_gives_no_mentored_time(tmp_path):
    con = load(tmp_path, *company(exits={0: 100}, mentored={0: 100}))
    rows = queries.counting_rows(con, AS_OF)
    assert rows[rows["employee_id"] == "P000"][["start", "stop", "event", "mentored"]].values.tolist() == \
        [[0, 100, True, False]]


def test_nobody_mentored(tmp_path):
    con = load(tmp_path, *company())
    result = summarise(con, AS_OF)
    assert result["n_mentored"] == 0
    assert result["hazard_ratio"] == {"naive": None, "time_varying": None, "adjusted": None}
    assert result["not_available"]["naive"] == ("not enough data for the naive model: nobody in scope was "
                                                "mentored during their employment, so there is no one to compare")
    assert result["retention"]["mentored"] is None
    assert "No honest estimate" in briefing(result)


@pytest.mark.filterwarnings("error")
def test_a_cohort_of_nobody_says_why_without_a_warning(tmp_path):
    """Every chain of the headline (the adjusted model, the simple models, the other exits' model beside
    them) on a filter that leaves nobody: each figure missing with its reason, and nothing numpy warns about."""
    from analytics.case.summary import headline
    from analytics.store.cohorts import Cohort

    con = load(tmp_path, *company(mentored={i: 20 for i in range(0, 40, 2)}))
    h = headline(con, Cohort(department=("Z",)), AS_OF)
    assert h.adjusted is None and h.naive is None and h.curves is None
    assert "nobody in scope" in h.missing["adjusted"]


def test_everybody_mentored_from_hire(tmp_path):
    con = load(tmp_path, *company(mentored={i: 0 for i in range(40)}))
    result = summarise(con, AS_OF)
    assert result["n_mentored"] == 40
    assert result["hazard_ratio"]["adjusted"] is None
    assert result["retention"]["unmentored"] is None
    assert "everyone in scope was mentored from their first day" in result["not_available"]["adjusted"]


def test_no_exits(tmp_path):
    con = load(tmp_path, *company(exits={}, mentored={i: 20 for i in range(0, 40, 2)}))
    result = summarise(con, AS_OF)
    assert result["n_events"] == 0
    assert result["hazard_ratio"]["adjusted"] is None
    assert "no exits in scope" in result["not_available"]["adjusted"]
    fu = followup.follow_up(con, as_of=AS_OF)
    assert curves.overall_km(fu).survival_at(365).estimate == 1.0


def test_a_single_employee(tmp_path):
    emp, men = company(n=1, exits={0: 10})
    con = load(tmp_path, emp, men)
    result = summarise(con, AS_OF)
    # privacy: a group of 1-4 people is never counted (docs/design.md, Privacy)
    assert result["n_employees"] is None and result["n_mentored"] == 0 and result["n_events"] is None
    assert result["not_available"]["naive"] == "not enough data for the naive model: fewer than 5 people in scope"
    assert briefing(result).startswith(f"As of {AS_OF}: fewer than 5 people (everyone), 0 ever mentored")
    assert json.dumps(result)  # still one valid JSON object


def test_all_exits_on_one_day(tmp_path):
    """Everyone at risk leaves on the same day: Efron's partial likelihood is then maximised at
    beta = 0 (d log S0 against the sum of eta), so the HR is exactly 1 by symmetry."""
    n = 2 * MIN_EFFECT_PEOPLE  # half of them mentored: just enough for a hazard ratio
    hire = {i: 0 for i in range(n)}
    emp, men = company(n=n, exits={i: 400 - i for i in range(n)}, mentored={i: 10 for i in range(0, n, 2)})
    emp["hire_date"] = "2020-01-01"
    emp["termination_date"] = "2021-01-01"
    men["start_date"] = "2020-01-11"
    con = load(tmp_path, emp, men)
    assert len(hire) == n
    fu = followup.follow_up(con, as_of=AS_OF)
    assert fu.n_events == n and fu.episodes["duration_days"].nunique() == 1
    fit = models.time_varying_model(fu)
    assert fit.hazard_ratio.estimate == pytest.approx(1.0, abs=1e-6)


def test_termination_reasons_absent_counts_every_exit(tmp_path):
    emp, men = company(reasons=False, mentored={i: 30 for i in range(0, 40, 2)})
    con = load(tmp_path, emp, men)
    result = summarise(con, AS_OF, event="voluntary")
    assert result["event"] == "all"
    exits = int((emp["termination_date"] != "").sum())
    assert followup.follow_up(con, as_of=AS_OF, event="voluntary").n_events == exits
    # a chosen as-of date: the JSON gives its counts to the nearest 5, as the pages do (docs/design.md, Privacy)
    assert result["counts_rounded"] and result["n_events"] == shown_total(exits, True)


def test_hires_after_the_as_of_date_are_excluded_and_counted(tmp_path):
    con = load(tmp_path, *company(mentored={i: 30 for i in range(0, 40, 2)}))
    result = summarise(con, "2020-01-20")
    assert result["n_employees"] == 20
    assert result["notes"]["hired_after_as_of"] == 20


def test_cli_summary_json_and_briefing(tmp_path, capsys):
    emp, men = company(n=60, mentored={i: 30 for i in range(0, 60, 2)})
    load(tmp_path, emp, men).close()
    db = str(tmp_path / "r.duckdb")
    assert main(["summary", "--db", db, "--as-of", AS_OF, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("as_of", "event", "n_employees", "n_mentored", "n_events", "hazard_ratio", "retention",
                "rmst", "logrank", "business_case"):
        assert key in result
    assert set(result["hazard_ratio"]["adjusted"]) >= {"estimate", "lower", "upper", "p", "covariates"}
    assert result["retention"]["horizon_days"] == 365 and result["rmst"]["tau_days"] == 730
    assert main(["summary", "--db", db, "--as-of", AS_OF]) == 0
    # a chosen as-of date rounds every count to the nearest 5, and the briefing says so with "about"
    assert capsys.readouterr().out.startswith(f"As of {AS_OF}: about 60 people")
    assert main(["summary", "--db", db, "--as-of", "31/12/2023"]) == 2
    assert "as_of must be a YYYY-MM-DD date" in capsys.readouterr().err


def test_summary_on_an_empty_database_is_a_clear_error(tmp_path, capsys):
    assert main(["summary", "--db", str(tmp_path / "empty.duckdb")]) == 2
    assert "no data loaded yet" in capsys.readouterr().err


def test_effect_that_cannot_be_separated_is_reported_not_estimated(tmp_path):
    """Department A is never mentored and nobody leaves before mentoring starts in B: the data
    cannot tell mentoring from department, so the adjusted model must not report a number."""
    emp, men = company(n=60, mentored={i: 30 for i in range(0, 60, 2)})
    emp["department"] = ["B" if i % 2 == 0 else "A" for i in range(60)]
    con = load(tmp_path, emp, men)
    result = summarise(con, AS_OF)
    assert result["hazard_ratio"]["adjusted"] is None
    assert "cannot be separated" in result["not_available"]["adjusted"]
    assert result["hazard_ratio"]["time_varying"] is not None


def test_a_missing_figure_gives_its_own_reason(tmp_path):
    """Retention needs the curves, the business case the models: each says why in its own words."""
    emp, men = company(n=40)  # nobody mentored: no mentored curve, no mentoring effect
    con = load(tmp_path, emp, men)
    gaps = summarise(con, AS_OF)["not_available"]
    assert gaps["retention"] == gaps["rmst"] == gaps["curves"]
    assert gaps["curves"].startswith("not enough data for retention curves")
    assert gaps["business_case"] == gaps["adjusted"]


def test_median_tenure_in_the_summary_is_the_extended_curves_median(tmp_path):
    """Medians follow R's print.survfit rule (pinned on the lung data in test_reference_r.py); here
    the summary must carry each extended curve's median, null where more than half stay."""
    from analytics.case.summary import headline, to_json
    emp, men = company(n=60, exits={i: 100 + 5 * i for i in range(1, 60, 2)}, mentored={i: 30 for i in range(0, 60, 4)})
    con = load(tmp_path, emp, men)
    h = headline(con, as_of=AS_OF)
    result = to_json(h)["median_tenure_days"]
    for name in ("mentored", "unmentored"):
        expected = getattr(h.curves, name).median_().to_dict()
        assert result[name] == expected
    assert result["unmentored"]["estimate"] is not None
    assert "Median tenure: " in briefing(to_json(h))


def test_no_hazard_ratio_for_three_mentored_people(tmp_path):
    """Three people mentored: no naive, time-varying or adjusted figure, each saying why."""
    con = load(tmp_path, *company(n=60, mentored={1: 20, 4: 20, 7: 20}))
    result = summarise(con, AS_OF)
    assert result["hazard_ratio"] == {"naive": None, "time_varying": None, "adjusted": None}
    for key in ("naive", "time_varying", "adjusted"):
        assert f"fewer than {MIN_EFFECT_PEOPLE} people were mentored" in result["not_available"][key]


def test_a_hazard_ratio_does_not_wait_for_mentored_people_to_leave(tmp_path):
    """Twenty-five mentored, only five of whom left after their mentoring began: the figures are shown (a rule on
    exits would hide exactly the companies where mentoring kept people), with a range that says how little five
    exits tell; nineteen mentored: not shown, however many left."""
    n = 90
    exits = {i: 400 for i in range(0, n, 3)}  # 30 exits on day 400
    mentored = {i: 30 for i in range(1, 60, 3)}  # 20 mentored, none of whom leaves
    mentored.update({i: 30 for i in range(0, 15, 3)})  # 5 leavers mentored first: 5 mentored exits
    con = load(tmp_path, *company(n=n, mentored=mentored, exits=exits))
    adjusted = summarise(con, AS_OF)["hazard_ratio"]["adjusted"]
    assert adjusted is not None and adjusted["estimate"] < 1
    con.close()
    fewer = {i: 30 for i in list(mentored)[:MIN_EFFECT_PEOPLE - 1]}
    (tmp_path / "fewer").mkdir()
    con = load(tmp_path / "fewer", *company(n=n, mentored=fewer, exits=exits))
    result = summarise(con, AS_OF)
    assert result["hazard_ratio"]["adjusted"] is None
    assert f"fewer than {MIN_EFFECT_PEOPLE} people were mentored" in result["not_available"]["adjusted"]


def test_pooled_groups_are_listed(tmp_path):
    """A department of 8 people is pooled with the other small ones, and the summary says so."""
    emp, men = company(n=200, mentored={i: 40 for i in range(1, 200, 3)},
                       exits={i: 100 + i for i in range(0, 200, 4)})
    emp["department"] = np.where(np.arange(200) < 8, "Legal", np.where(np.arange(200) % 2 == 0, "A", "B"))
    con = load(tmp_path, emp, men)
    adjusted = summarise(con, AS_OF)["hazard_ratio"]["adjusted"]
    assert adjusted["pooled"] == {"department": ["Legal"]}


def test_the_business_case_needs_only_the_honest_model(tmp_path, monkeypatch):
    import analytics.case.summary as summary

    con = load(tmp_path, *company(n=300, mentored={i: 40 for i in range(1, 300, 3)},
                                  exits={i: 100 + i for i in range(0, 300, 4)}))

    def unavailable(fu):
        raise errors.NotEnoughData("not enough data for the naive model: a test")
    monkeypatch.setattr(summary, "naive_model", unavailable)
    result = summarise(con, AS_OF)
    assert result["hazard_ratio"]["naive"] is None and result["business_case"] is not None
    assert result["business_case"]["naive"] is None


def test_five_of_186_exits_with_a_reason_warn_that_181_are_not_counted(tmp_path, capsys):
    """Voluntary exits are the default as soon as any exit has a reason: with 5 of 186 the summary,
    the JSON and the briefing say that the other 181 do not count as leaving."""
    exits = {i: 100 + i for i in range(186)}
    emp, men = company(n=300, mentored={i: 30 for i in range(1, 300, 3)}, exits=exits)
    emp["termination_reason"] = ["resigned" if i < 5 else "" for i in range(300)]
    con = load(tmp_path, emp, men)
    result = summarise(con, AS_OF)
    assert result["event"] == "voluntary" and result["n_events"] == 5
    assert any(w.startswith("Most exits (181 of 186) have no termination reason") and "these 181 exits" in w
               for w in result["warnings"])
    con.close()
    assert main(["summary", "--db", str(tmp_path / "r.duckdb"), "--as-of", AS_OF]) == 0
    assert "Warning: Most exits (181 of 186)" in capsys.readouterr().out


def test_a_group_its_characteristics_all_but_separate_is_refused_in_words_not_numpy_warnings():
    """The 249 people at level L5 of one simulated company, adjusted for everything else: the estimates run
    toward infinity. The fit says it cannot be estimated (no overflow or 0/0 warning on the way), and the
    segment falls back to the company-wide effect where such groups are used (analytics/case/where_next.py)."""
    import warnings

    from analytics.common import errors
    from analytics.common.errors import EstimationError
    from analytics.estimation import curves, followup, models
    from analytics.intake.demo import uniform_effect_config

    from tests.test_truth_recovery import DEPARTMENT_FACTOR

    config = uniform_effect_config(0.7, seed=313, department_mentoring_factor=DEPARTMENT_FACTOR)
    con = database.connect(":memory:")
    loads.load_demo(con, config=config)
    fu = followup.follow_up(con)
    level = fu.episodes["job_level"].astype("string") == "L5"
    part = fu.rows[fu.rows["job_level"].astype("string") == "L5"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(EstimationError, match="cannot be separated|could not be estimated"):
            models.adjusted_model(followup.FollowUp(fu.episodes[level], part, fu.as_of, fu.event, fu.cohort))
