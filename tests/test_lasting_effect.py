"""The business case credits a lasting effect only as far as the data show it (verdict.lasting, business.py's module
docstring): the decision from the effect while a mentorship runs and after it has ended, the partial-horizon
arithmetic worked by hand, and simulated companies whose truth is known (analytics/intake/demo_changing.py).

Why the simulated check is on the effect and the decision, not on a next year of exits: the simulation runs to its
as-of date and no further, so neither world has a next year; and its two worlds (with mentoring, and the same people
without it on the same random numbers) part long before the as-of date (different people are still employed), so
their difference is not the exits avoided among today's mentees. What the simulation does pin is the effect: 0.6
while a mentorship runs and 1.0 (none) after it ends, or 0.7 throughout, with no other path (promotion factor 1).
So the truth is today's mentees' exits avoided at those true hazard ratios, each person's own chance of leaving and
share of the horizon while their mentorship runs as the product has them (for one who has ended: none at all);
the product's figure, which estimates the effects and decides how long they last, is checked against it.

Measured with `.venv/bin/python -m tests.test_lasting_effect --seeds 1-12` (4,000 people each; exits avoided next
year among today's mentees, the figure with its range, the truth so computed, and the figure as before this check,
the honest effect for good for every one of them):

| company | seeds 1-12 |
| --- | --- |
| 0.6 while, 1.0 after | "while running only" in 11 (seed 2: the after-ending range 1.01-1.44, "harm after ending", -6.3 against a truth of 5.0); the range holds the truth in 10 (seed 4: the while-mentored range 0.64-1.09 misses 0.6); seed 1: 4.6 (2.1-6.6), truth 4.6, before 10.0; before: 0.9 to 16.4 against truths of 5.0 to 6.5 |
| 0.7 while and after | "lasting" in 10, each range holding the truth (seeds 2 and 9: the after-ending range reaches 1.08 and 1.02, "while running only", 3.5 and 2.3 against truths of 20.8 and 20.0: the price of crediting only what the data show); seed 1: 20.9 (9.2-30.3), truth 19.7, before 21.3 |
"""
from __future__ import annotations

import argparse
import io
import json
import re
from functools import lru_cache

import numpy as np
import pytest
from pptx import Presentation

from analytics.case.business import BusinessCaseInputs, avoided_exits, business_case, credited_hazard_ratio
from analytics.case.summary import headline, to_json
from analytics.common.errors import InvalidInputError
from analytics.intake.demo_changing import ChangingConfig, generate_changing
from analytics.intake.prepare import plan_from_frames
from analytics.outputs import deck, messages, onepager
from analytics.store import database, loads
from analytics.words import lasting, verdict

PEOPLE = 4000
WHILE_ONLY = (0.6, 1.0)  # the true direct hazard ratios: while a mentorship runs, after it has ended
LASTING = (0.7, 0.7)


# ------------------------------------------------------------------ the decision

def _hr(est, lo, hi):
    return {"estimate": est, "lower": lo, "upper": hi}


HEADLINE = _hr(0.75, 0.66, 0.84)
WHILE = _hr(0.60, 0.45, 0.80)


@pytest.mark.parametrize("after, assumption", [
    (_hr(0.70, 0.55, 0.90), verdict.LASTING),             # the whole after-ending range below 1: it persists
    (_hr(0.95, 0.80, 1.12), verdict.WHILE_RUNNING),       # includes 1: nothing after an end
    (_hr(0.70, 0.45, 1.00), verdict.WHILE_RUNNING),       # touching 1 is not below it
    (_hr(1.30, 1.10, 1.55), verdict.HARM_AFTER),          # the whole range above 1: the extra exits are counted
    (None, verdict.WHILE_RUNNING),                        # not estimated
])
def test_the_after_ending_range_decides_how_long_the_effect_is_credited(after, assumption):
    phases = {"while_mentored": WHILE, "after_mentoring": after, "why_not_after": None if after else "too few"}
    assert verdict.lasting(phases) == assumption
    running, credited_after = verdict.credited(assumption, phases, HEADLINE)
    assert running == WHILE
    assert credited_after == (after if assumption in (verdict.LASTING, verdict.HARM_AFTER) else verdict.NO_EFFECT)


def test_without_the_phases_the_headline_effect_is_assumed_and_said_so():
    assert verdict.lasting(None) == verdict.NOT_CHECKED
    assert verdict.credited(verdict.NOT_CHECKED, None, HEADLINE) == (HEADLINE, HEADLINE)
    why = lasting.lasting_why(verdict.NOT_CHECKED, None, "not enough people")
    assert "could not be checked (not enough people)" in why and "assumes the effect lasts" in why


# ------------------------------------------------------------------ the arithmetic, by hand

def _case(shares_now, running, after, p0=0.20, **changes) -> BusinessCaseInputs:
    # two of today's mentees and two others, each with a 20% chance of leaving within the year unmentored
    return BusinessCaseInputs(
        people_in_scope=4, exit_risks_now=(p0, p0), exit_risks_others=(p0, p0), hazard_ratio=0.75,
        hazard_ratio_lower=0.66, hazard_ratio_upper=0.84, coverage_target=1.0, average_salary=60_000,
        programme_cost_per_mentee=0, running_hazard_ratio=running[0], running_hazard_ratio_lower=running[1],
        running_hazard_ratio_upper=running[2], after_hazard_ratio=after[0], after_hazard_ratio_lower=after[1],
        after_hazard_ratio_upper=after[2], running_shares_now=shares_now, running_shares_others=(1.0, 1.0),
        **changes)


def test_a_mentorship_that_has_ended_earns_nothing_while_running_only():
    # mentee A's mentorship runs for a quarter of the horizon's hazard, B's has ended; after an end HR 1:
    # A: p1 = 1 - 0.8^(0.25 x 0.6 + 0.75 x 1) = 1 - 0.8^0.9 = 1 - 0.818052 = 0.181948, avoided 0.018052; B: 0
    case = business_case(_case((0.25, 0.0), (0.6, 0.45, 0.8), (1.0, 1.0, 1.0), lasting_effect=verdict.WHILE_RUNNING))
    assert case.already_done.avoided_exits.estimate == pytest.approx(0.018052, abs=1e-6)
    # the range: A at 0.45 and 0.8 while running, p1 = 1 - 0.8^0.8625 and 1 - 0.8^0.95
    assert case.already_done.avoided_exits.high == pytest.approx(0.2 - (1 - 0.8 ** 0.8625), abs=1e-9)
    assert case.already_done.avoided_exits.low == pytest.approx(0.2 - (1 - 0.8 ** 0.95), abs=1e-9)
    # before: the honest effect for good for both, 2 x (0.2 - (1 - 0.8^0.75)) = 2 x 0.045897 = 0.091794: five
    # times as much
    assert 2 * (0.2 - (1 - 0.8 ** 0.75)) > 5 * case.already_done.avoided_exits.estimate
    # new mentees run the whole horizon at 0.6: each 0.2 - (1 - 0.8^0.6) = 0.074255
    assert case.target.avoided_exits.estimate == pytest.approx(2 * (0.2 - (1 - 0.8 ** 0.6)), abs=1e-9)


def test_a_harm_after_an_end_is_counted_as_extra_exits_not_hidden():
    # B's mentorship has ended and exits rise after an end (HR 1.3): B adds 1 - 0.8^1.3 - 0.2 = 0.051... exits
    case = business_case(_case((1.0, 0.0), (0.6, 0.45, 0.8), (1.3, 1.1, 1.55), lasting_effect=verdict.HARM_AFTER))
    a = 0.2 - (1 - 0.8 ** 0.6)
    b = 0.2 - (1 - 0.8 ** 1.3)
    assert b < 0
    assert case.already_done.avoided_exits.estimate == pytest.approx(a + b, abs=1e-9)
    assert case.already_done.avoided_exits.low == pytest.approx((0.2 - (1 - 0.8 ** 0.8)) + (0.2 - (1 - 0.8 ** 1.55)))
    assert case.already_done.avoided_exits.low < 0  # the cautious end is a loss, and is said as one
    assert verdict.value(case.already_done.value) != verdict.GAIN


def test_each_persons_credited_hazard_ratio_splits_the_horizon_at_their_end():
    # 1 - (1 - p0)^(s HR_run + (1 - s) HR_after): the cumulative hazard split at the end date
    assert credited_hazard_ratio((0.0, 0.5, 1.0), 0.6, 1.0) == pytest.approx([1.0, 0.8, 0.6])
    assert credited_hazard_ratio(None, 0.6, 1.0) == 0.6
    p0 = 0.3
    hr = float(credited_hazard_ratio((0.4,), 0.5, 0.9)[0])
    cumulative = -np.log(1 - p0)
    assert avoided_exits((p0,), hr) == pytest.approx(p0 - (1 - np.exp(-(0.5 * 0.4 + 0.9 * 0.6) * cumulative)))


@pytest.mark.parametrize("shares, changes, message", [
    ((0.5,), {}, "running_shares_now must be one share per person (2)"),
    ((0.5, 1.5), {}, "running_shares_now must be probabilities in [0, 1]"),
    ((0.5, 0.0), dict(lasting_effect="forever"), "lasting_effect must be one of"),
])
def test_bad_shares_and_assumptions_are_refused(shares, changes, message):
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        _case(shares, (0.6, 0.45, 0.8), (1.0, 1.0, 1.0), **changes)


# ------------------------------------------------------------------ simulated companies with a known truth

@lru_cache(maxsize=None)
def _company(effect: tuple[float, float], seed: int, people: int = PEOPLE):
    """The company whose characteristics change (job history loaded), with the direct effect `effect` (while, after)
    and no other path; its headline (and business case) at its own as-of date."""
    data = generate_changing(ChangingConfig(n_employees=people, seed=seed, direct_hr_while_mentored=effect[0],
                                            direct_hr_after_end=effect[1], promotion_hr_if_mentored=1.0))
    con = database.connect(":memory:")
    loads.load_plan(con, plan_from_frames(data.employees, data.mentorships, job_history=data.job_history))
    return headline(con)


def against_truth(effect: tuple[float, float], seed: int, people: int = PEOPLE) -> dict:
    """Today's mentees' exits avoided over the year: the product's figure and range, the truth at the simulation's
    hazard ratios (each person's own risk and share while mentored as the product has them), and the figure as
    before (the honest effect for good for everyone ever mentored)."""
    h = _company(effect, seed, people)
    x = h.business.inputs
    p0 = np.asarray(x.exit_risks_now)
    truth = avoided_exits(p0, credited_hazard_ratio(x.running_shares_now, *effect))
    a = h.business.already_done.avoided_exits
    return {"assumption": x.lasting_effect, "estimate": a.estimate, "low": a.low, "high": a.high, "truth": truth,
            "before": avoided_exits(p0, x.hazard_ratio), "phases": h.phases.to_dict() if h.phases else None,
            "running": int((np.asarray(x.running_shares_now) > 0).sum()), "mentees": len(p0)}


def test_an_effect_only_while_mentored_is_credited_only_while_a_mentorship_runs():
    """0.6 while a mentorship runs, none after it ends: the data do not show the effect lasting, so the money counts
    only the time mentorships still run, and its exits avoided are the truth's (before, it counted the honest
    effect for good for everyone ever mentored: twice the truth here)."""
    r = against_truth(WHILE_ONLY, seed=1)
    assert r["assumption"] == verdict.WHILE_RUNNING == verdict.lasting(r["phases"])
    assert r["running"] < r["mentees"]  # most of today's mentees' mentoring has ended: they earn nothing further
    assert r["low"] <= r["truth"] <= r["high"], r
    assert abs(r["estimate"] - r["truth"]) < 0.25 * r["truth"], r
    assert abs(r["before"] - r["truth"]) > 2 * abs(r["estimate"] - r["truth"]), r


def test_a_lasting_effect_is_credited_after_a_mentorship_ends():
    """0.7 while mentored and after: the after-ending range is below 1, so the money counts the effect after an end
    too, and its range holds the truth."""
    r = against_truth(LASTING, seed=1)
    assert r["assumption"] == verdict.LASTING == verdict.lasting(r["phases"])
    assert r["low"] <= r["truth"] <= r["high"], r


def test_every_output_says_which_assumption_the_money_uses():
    h = _company(WHILE_ONLY, seed=1)
    result = to_json(h)
    said = result["business_case"]["lasting_effect"]
    assert said == {"assumption": verdict.WHILE_RUNNING, "why": h.business.inputs.lasting_why}
    assert "only the time a mentorship runs" in said["why"] and "includes no effect" in said["why"]
    assert result["verdict"]["lasting_effect"] == verdict.WHILE_RUNNING
    assert json.loads(json.dumps(result["business_case"]["lasting_effect"])) == said
    msg = messages.key_messages(h)
    assert msg["lasting"] == lasting.lasting_sentence(verdict.WHILE_RUNNING, said["why"])
    briefing = messages.briefing({**result, "mentoring_phases": None, "outcomes": {}, "where_next": []})
    assert msg["lasting"] in briefing
    frame = messages.assumptions_frame(h.business.inputs)
    row = frame.set_index("input").loc[messages.COUNTED_LABEL]
    assert row["value"].endswith("; none") and row["source"].startswith(verdict.WHILE_RUNNING)
    assert lasting.SHORT[verdict.WHILE_RUNNING] in onepager.one_pager_html(h)
    prs = Presentation(io.BytesIO(deck.deck_pptx(h)))
    slides = [" ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) + " " + slide.notes_slide
              .notes_text_frame.text for slide in prs.slides]
    worth = next(text for text in slides if text.startswith(deck.VALUE_TITLE))
    assert f"Counted: {lasting.lasting_label(verdict.WHILE_RUNNING)}." in worth and msg["lasting"] in worth
    assert any(lasting.method_line(verdict.WHILE_RUNNING) in text for text in slides if "method" in text)


def test_the_pages_say_which_assumption_the_money_uses(monkeypatch, demo_db):
    """The Business case page says the assumption and why beside the money; the Overview's value says what it
    counts."""
    from tests.test_app import open_app, shown

    at = open_app(monkeypatch, demo_db, "views/business_case.py")
    said = " ".join(shown(str(x.value)) for x in at.info)
    assert "How long the effect is counted (" in said and "so the money counts" in said
    at.switch_page("views/overview.py").run()
    value = next(m for m in at.metric if m.label == "Mentoring done: still worth")
    assert any(shown(label) in shown(value.help) for label in lasting.LABELS.values())


@pytest.mark.slow
def test_the_decision_and_the_range_hold_over_twenty_companies_each():
    """20 companies of 4,000 people with an effect only while mentored: "while running only" in at least 17 (a
    harm or a lasting effect is claimed wrongly with 2.5% each, so fewer than 17 has probability 1.6%) and the
    range holds the truth in at least 15 (each needs the while-mentored range to hold 0.6 too: about 0.9, fewer
    than 15 with probability 1.1%). 20 with 0.7 throughout: "lasting" in at least 12 (10 of 12 measured)."""
    results = [against_truth(WHILE_ONLY, seed) for seed in range(101, 121)]
    right = sum(r["assumption"] == verdict.WHILE_RUNNING for r in results)
    held = sum(r["low"] <= r["truth"] <= r["high"] for r in results)
    lasting_found = sum(against_truth(LASTING, seed)["assumption"] == verdict.LASTING for seed in range(101, 121))
    assert right >= 17 and held >= 15 and lasting_found >= 12, (right, held, lasting_found)


def main() -> None:  # pragma: no cover - the measurement in the module docstring
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="1-12")
    parser.add_argument("--people", type=int, default=PEOPLE)
    args = parser.parse_args()
    first, _, last = args.seeds.partition("-")
    for effect in (WHILE_ONLY, LASTING):
        for seed in range(int(first), int(last or first) + 1):
            r = against_truth(effect, seed, args.people)
            print(f"{effect} seed {seed}: {r['assumption']}; {r['estimate']:.1f} ({r['low']:.1f}-{r['high']:.1f}), "
                  f"truth {r['truth']:.1f}, before {r['before']:.1f}", flush=True)


if __name__ == "__main__":
    main()
