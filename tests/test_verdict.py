"""The one place that decides what the numbers say (analytics/words/verdict.py), and the words it chooses."""
from __future__ import annotations

import pytest

from analytics.case.business import Range
from analytics.case.summary import summarise
from analytics.estimation.results import Estimate, HazardRatio
from analytics.outputs import messages
from analytics.words import verdict, wording
from tests.test_edge_cases import company, load


def hr(est, lo, hi):
    return HazardRatio(est, lo, hi, 0.01)


@pytest.mark.parametrize("ratio, kind", [
    (hr(0.75, 0.66, 0.84), verdict.FEWER), (hr(1.26, 1.15, 1.39), verdict.MORE),
    (hr(0.90, 0.78, 1.04), verdict.UNCLEAR), (hr(1.10, 0.97, 1.25), verdict.UNCLEAR),
    (hr(0.9, 0.81, 1.0), verdict.UNCLEAR),  # a range that reaches no effect does not rule it out
    ({"estimate": 1.3, "lower": 1.15, "upper": 1.39}, verdict.MORE),  # the JSON's dicts decide alike
])
def test_the_effect_is_claimed_only_when_its_whole_range_is_on_one_side(ratio, kind):
    assert verdict.effect(ratio) == kind


def test_harm_is_said_as_harm_and_never_as_no_clear_effect():
    harm = hr(1.26, 1.15, 1.39)
    assert wording.effect_sentence(harm).startswith("Mentored employees were 26% more likely (range 15% to 39%)")
    assert wording.effect_note(harm) == wording.HARM_NOTE and wording.NO_CLEAR_EFFECT not in wording.effect_note(harm)
    assert wording.effect_note(hr(0.75, 0.66, 0.84)) == ""
    unclear = hr(0.90, 0.78, 1.04)
    assert wording.effect_sentence(unclear).startswith("No clear effect: ")
    assert wording.effect_note(unclear) == wording.NO_CLEAR_EFFECT
    assert wording.how_sure_sentence(harm).startswith("Mentored people were 26% more likely")


@pytest.mark.parametrize("naive, honest, reading", [
    (0.34, 0.74, verdict.OVERSTATES),    # the demo: ever vs never flatters mentoring
    (0.93, 0.87, verdict.UNDERSTATES),   # the real data: the naive 7% is nearer no effect than the honest 13%
    (0.88, 0.87, verdict.AGREES),        # within 5% of each other
    (0.54, 1.26, verdict.OVERSTATES),    # harm: a naive report calls it a benefit
])
def test_the_naive_figure_is_read_against_the_honest_one(naive, honest, reading):
    assert verdict.naive_reading({"estimate": naive}, {"estimate": honest}) == reading


def test_the_naive_claim_names_only_the_adjustments_that_moved_it():
    naive, tv, adj = hr(0.936, 0.84, 1.04), hr(1.104, 0.99, 1.23), hr(0.817, 0.73, 0.92)
    claim = wording.naive_claim(naive, tv, adj)
    assert "look worse than it is" in claim and "ignores who gets mentored" in claim
    assert "credits" not in claim
    demo = wording.naive_claim(hr(0.34, 0.31, 0.38), hr(0.63, 0.56, 0.70), hr(0.75, 0.66, 0.84))
    assert "look better than it is" in demo and "months before it began and with who gets mentored" in demo
    same = wording.naive_claim(hr(0.50, 0.45, 0.55), hr(0.51, 0.46, 0.56), hr(0.75, 0.66, 0.84))
    assert "credits mentoring with who gets mentored" in same and "months before" not in same


def test_who_gets_mentored_names_only_what_the_model_compared_on():
    words = wording.how_we_know(*(type("Fit", (), {"hazard_ratio": h, "covariates": ("department", "log_salary")})()
                                  for h in (hr(0.936, 0.84, 1.04), hr(1.104, 0.99, 1.23), hr(0.817, 0.73, 0.92))))
    assert "judged by their department and pay" in words and "rated" not in words and "senior" not in words


@pytest.mark.parametrize("r, kind, words", [
    (Range(31.0, 19.0, 42.0), verdict.GAIN, "about 31 exits avoided a year (range 19 to 42)"),
    (Range(-30.0, -42.0, -18.0), verdict.LOSS, "about 30 extra exits a year (range 18 to 42)"),
    (Range(3.0, -5.0, 10.0), verdict.EITHER, "about 3 exits avoided a year (range 5 extra to 10 avoided)"),
    (Range(-0.4, -1.0, 0.3), verdict.EITHER, "about 0 extra exits a year (range 1 extra to 0 avoided)"),
])
def test_exits_avoided_below_zero_are_extra_exits(r, kind, words):
    assert verdict.value(r) == kind
    assert wording.exits_words(r, "a year") == words


def test_a_loss_is_said_as_far_as_the_range_goes():
    assert wording.loss_note(Range(-993e3, -1.5e6, -545e3)) == wording.ALL_LOSS_NOTE
    assert wording.loss_note(Range(5e3, -83e3, 47e3)) == wording.LOSS_NOTE
    assert wording.loss_note(Range(907e3, 472e3, 1.3e6)) == ""


def test_the_e_value_of_a_harm_speaks_of_leaving():
    ev = type("EValue", (), {"estimate": 1.8, "ci": 1.4})()
    assert "to being mentored and to leaving" in wording.e_value_sentence(ev, hr(1.26, 1.15, 1.39))
    assert "to being mentored and to staying" in wording.e_value_sentence(ev, hr(0.75, 0.66, 0.84))


def test_a_range_of_zero_width_is_said_as_what_it_is():
    assert wording.rate_words(Estimate(1.0, 1.0, 1.0, n=22)) == "no one left (22 people)"
    assert wording.rate_words(Estimate(0.0, 0.0, 0.0, n=7)) == "everyone left (7 people)"
    assert wording.rate_words(Estimate(1.0, 1.0, 1.0, n=3)) == "no one left (fewer than 5 people)"
    assert wording.rate_words(Estimate(0.88, 0.86, 0.90, n=22)) == "88% (86%–90%)"


def test_the_briefing_says_no_one_left_never_a_certain_100_percent(tmp_path):
    """22 mentored people, none of whom leaves in their first year: no '100% (100% to 100%)' anywhere."""
    n = 60
    exits = {i: 200 + 5 * i for i in range(22, n) if i % 2}  # only the unmentored leave
    emp, men = company(n=n, mentored={i: 20 for i in range(22)}, exits=exits)
    con = load(tmp_path, emp, men)
    result = summarise(con)
    con.close()
    mentored = result["retention"]["mentored"]
    assert (mentored["estimate"], mentored["lower"], mentored["upper"]) == (1.0, 1.0, 1.0)
    text = messages.briefing(result)
    assert "no one left (22 people)" in text and "100% (100%" not in text
