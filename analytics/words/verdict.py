"""What the numbers say, decided once, from the estimates and their ranges.

Whether mentoring went with fewer exits, more exits or no clear effect; whether a naive figure overstates,
understates or roughly agrees with the honest one, and which adjustment moved it; whether a money range is a
gain, a loss or either; whether a rate is degenerate (no one left, everyone left); how long the business case
credits the effect (a lasting effect only as far as the data show it). Every page, the deck, the
one-pager, the briefing and the JSON take these decisions from here, and wording.py (lasting.py for how long
the money credits the effect) turns them into words:
no output decides for itself, so no two can disagree.

Pure functions of numbers (objects with estimate/lower/upper, or the same as dicts, or a business Range with
low/high); thresholds from policy.py. Imports nothing of the engine, so every layer may use it.
"""
from __future__ import annotations

import math
from typing import Any

from analytics.common.policy import SAME_FIGURE

# the effect of mentoring, from a hazard ratio's 95% range
FEWER = "fewer exits"       # the whole range below 1: mentored people left less
MORE = "more exits"         # the whole range above 1: mentored people left more (harm)
UNCLEAR = "no clear effect"  # the range includes 1 (or there is no range)

# a naive figure against the honest one
OVERSTATES = "overstates"    # more favourable to mentoring than the honest figure
UNDERSTATES = "understates"  # less favourable
AGREES = "roughly agrees"    # within policy.SAME_FIGURE of it

# one adjustment step (counting mentoring from its start; comparing like with like)
FLATTERED = "flattered"      # without it mentoring looked better
HID = "hid"                  # without it mentoring looked worse
LITTLE = "changed little"

# a money range
GAIN = "gain"                # even the cautious end is not a loss
LOSS = "loss"                # the whole range is a loss
EITHER = "gain or loss"      # the range includes a loss and a gain

# how long the business case credits the effect, from the effect after a mentorship has ended (its 95% range)
LASTING = "lasting"                   # the whole after-ending range below 1: the benefit persists after an end
HARM_AFTER = "harm after ending"      # the whole after-ending range above 1: exits rise after an end, counted (a loss)
WHILE_RUNNING = "while running only"  # the after-ending range includes 1, or it is not estimated: nothing after an end
NOT_CHECKED = "not checked"           # the phases are not available: the headline effect for good, assumed
NO_EFFECT = {"estimate": 1.0, "lower": 1.0, "upper": 1.0}  # the hazard ratio credited where none is

# a share still employed, with its range
NO_ONE_LEFT = "no one left"
EVERYONE_LEFT = "everyone left"
RATE = "rate"


def _get(x: Any, key: str) -> float | None:
    value = x.get(key) if isinstance(x, dict) else getattr(x, key, None)
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _side(x: Any, none: float) -> str:
    """FEWER, MORE or UNCLEAR: a direction only when the whole range is on one side of `none` (no effect)."""
    lower, upper = _get(x, "lower"), _get(x, "upper")
    if upper is not None and upper < none:
        return FEWER
    if lower is not None and lower > none:
        return MORE
    return UNCLEAR


def effect(hr: Any) -> str:
    """FEWER, MORE or UNCLEAR from a hazard ratio's range: a direction is claimed only when the whole range
    is on one side of no effect."""
    return _side(hr, 1.0)


def risk_change(difference: Any) -> str:
    """FEWER, MORE or UNCLEAR from a risk difference's range (mentored minus not, as the target trial gives it): a
    direction only when the whole range is on one side of no difference."""
    return _side(difference, 0.0)


def leaning(hr: Any) -> str:
    """Which side of no effect the estimate itself is on (FEWER or MORE), whatever its range."""
    est = _get(hr, "estimate")
    return MORE if est is not None and est > 1 else FEWER


def _shift(before: Any, after: Any) -> float | None:
    """How much an adjustment raised the log hazard ratio (positive: the figure before was more favourable)."""
    b, a = _get(before, "estimate"), _get(after, "estimate")
    if not b or not a or b <= 0 or a <= 0:
        return None
    return math.log(a) - math.log(b)


def _same(shift: float | None) -> bool:
    return shift is None or abs(shift) <= math.log(1 + SAME_FIGURE)


def naive_reading(naive: Any, honest: Any) -> str:
    """OVERSTATES when the naive hazard ratio is more favourable to mentoring than the honest one (lower) by more
    than policy.SAME_FIGURE, UNDERSTATES when less favourable, AGREES otherwise."""
    shift = _shift(naive, honest)
    if _same(shift):
        return AGREES
    return OVERSTATES if shift > 0 else UNDERSTATES


def step(before: Any, after: Any) -> str:
    """What one adjustment did: FLATTERED (the figure before it was more favourable), HID, or LITTLE."""
    shift = _shift(before, after)
    if _same(shift):
        return LITTLE
    return FLATTERED if shift > 0 else HID


def steps(naive: Any, time_varying: Any, adjusted: Any) -> dict[str, str]:
    """The two adjustments from the naive figure to the honest one: 'timing' (counting mentoring only from its
    start) and 'who' (comparing like with like); either is LITTLE when its figure is missing."""
    return {"timing": step(naive, time_varying) if naive and time_varying else LITTLE,
            "who": step(time_varying, adjusted) if time_varying and adjusted else LITTLE}


def value(r: Any) -> str:
    """GAIN, LOSS or EITHER from a Range's low and high (or estimate/lower/upper)."""
    low = _get(r, "low") if _get(r, "low") is not None else _get(r, "lower")
    high = _get(r, "high") if _get(r, "high") is not None else _get(r, "upper")
    est = _get(r, "estimate")
    low = est if low is None else low
    high = est if high is None else high
    if high is not None and high < 0:
        return LOSS
    if low is not None and low < 0:
        return EITHER
    return GAIN


def rate(est: Any) -> str:
    """NO_ONE_LEFT when a share still employed is 1 with no range (no exits), EVERYONE_LEFT when it is 0, else RATE:
    a range of zero width is no certainty, only the absence of exits (or of stayers) among few people."""
    e, lo, hi = _get(est, "estimate"), _get(est, "lower"), _get(est, "upper")
    if e is None:
        return RATE
    if e >= 1 and (lo is None or lo >= 1) and (hi is None or hi >= 1):
        return NO_ONE_LEFT
    if e <= 0 and (lo is None or lo <= 0) and (hi is None or hi <= 0):
        return EVERYONE_LEFT
    return RATE


def lasting(phases: Any) -> str:
    """Which assumption the business case's money uses, from the effect while mentoring runs and after it has ended
    (MentoringPhases.to_dict(), or None when the phases are not available): LASTING when the after-ending effect is
    estimated and its whole range is below 1; HARM_AFTER when its whole range is above 1 (a loss after an end is
    counted, never hidden); WHILE_RUNNING when its range includes 1 or it is not estimated; NOT_CHECKED without the
    phases."""
    if not phases:
        return NOT_CHECKED
    after = phases.get("after_mentoring") if isinstance(phases, dict) else getattr(phases, "after_mentoring", None)
    reading = effect(after) if after else UNCLEAR
    return {FEWER: LASTING, MORE: HARM_AFTER}.get(reading, WHILE_RUNNING)


def credited(assumption: str, phases: Any, headline: Any) -> tuple[dict[str, float], dict[str, float]]:
    """The hazard ratios (estimate, lower, upper) the money applies while a mentorship runs and after it has ended,
    under `assumption` (see `lasting`): the headline's for both when NOT_CHECKED; else the while-mentored one while
    it runs, and after an end the after-ending one (LASTING, HARM_AFTER) or none (WHILE_RUNNING)."""
    def hr(x: Any) -> dict[str, float]:
        return {k: _get(x, k) for k in ("estimate", "lower", "upper")}

    if assumption == NOT_CHECKED:
        return hr(headline), hr(headline)
    get = (lambda k: phases.get(k)) if isinstance(phases, dict) else (lambda k: getattr(phases, k))
    after = hr(get("after_mentoring")) if assumption in (LASTING, HARM_AFTER) else dict(NO_EFFECT)
    return hr(get("while_mentored")), after


def decisions(naive: Any, time_varying: Any, adjusted: Any, net_benefit: Any = None,
              lasting_effect: str | None = None) -> dict[str, Any]:
    """Every decision about the headline at once, as `summary --json` carries it (`verdict`)."""
    out: dict[str, Any] = {"effect": effect(adjusted) if adjusted else None,
                           "naive": naive_reading(naive, adjusted) if naive and adjusted else None,
                           "adjustments": steps(naive, time_varying, adjusted) if adjusted else None}
    out["value"] = value(net_benefit) if net_benefit is not None else None
    out["lasting_effect"] = lasting_effect
    return out
