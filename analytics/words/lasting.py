"""How long the business case credits mentoring's effect, in words: the assumption verdict.lasting chose from the
effect while a mentorship runs and after it has ended, and why. Every output that shows the money (the Business
case page, the Overview, the deck, the one-pager, the briefing and `summary --json`'s
`business_case.lasting_effect`) says it in these words.

May use: common, words (verdict's decisions, wording's formats).
"""
from __future__ import annotations

from typing import Any

from analytics.words import verdict
from analytics.words.wording import less_likely

NOT_GIVEN = "the effect after a mentorship ends was not given"

# a short label: what the money counts
LABELS = {
    verdict.LASTING: "the effect while mentoring runs and after it ends (the data show it lasting)",
    verdict.WHILE_RUNNING: "the effect only while a mentorship runs (the data do not show it lasting)",
    verdict.HARM_AFTER: "the effect while mentoring runs, and the extra exits after it ends",
    verdict.NOT_CHECKED: "the effect for good from a first mentorship (lasting assumed, not checked)",
}
# the same, as short as a table's source column
SHORT = {
    verdict.LASTING: "lasting: the data show it",
    verdict.WHILE_RUNNING: "while running only: the data do not show it lasting",
    verdict.HARM_AFTER: "harm after ending: the data show extra exits",
    verdict.NOT_CHECKED: "not checked: lasting assumed",
}
# what the money does under each assumption
COUNTS = {
    verdict.LASTING: "the money counts the time a mentorship runs at the effect while it runs, and the time after an "
                     "end at the effect after it",
    verdict.WHILE_RUNNING: "the money counts only the time a mentorship runs, at the effect while it runs; a "
                           "mentorship that has ended earns nothing further",
    verdict.HARM_AFTER: "the money counts the time a mentorship runs at the effect while it runs, and the time after "
                        "an end at the effect after it: extra exits, a loss",
    verdict.NOT_CHECKED: "the money assumes the effect lasts: the honest effect, counted from a person's first "
                         "mentorship for good, for everyone ever mentored over the whole horizon",
}


def lasting_label(assumption: str) -> str:
    """What the money counts: 'the effect only while a mentorship runs (...)', ... (verdict.lasting's assumption)."""
    return LABELS[assumption]


def _after(phases: dict) -> dict | None:
    after = phases.get("after_mentoring")
    return after.to_dict() if hasattr(after, "to_dict") else after


def lasting_why(assumption: str, phases: Any = None, why_not: str | None = None) -> str:
    """Why the money uses this assumption, in a sentence: what the data say after a mentorship has ended (phases:
    MentoringPhases.to_dict(), None when not available, with `why_not`), and what the money counts."""
    if assumption == verdict.NOT_CHECKED:
        why = why_not or "not enough data"
        return (f"Whether the effect lasts after a mentorship ends could not be checked ({why}), so "
                f"{COUNTS[assumption]}.")
    after = _after(phases) if phases else None
    if not phases:
        seen = NOT_GIVEN
    elif after is None:
        seen = f"the effect after a mentorship ended is not estimated ({phases.get('why_not_after') or 'too few'})"
    else:
        unclear = ", a range that includes no effect" if verdict.effect(after) == verdict.UNCLEAR else ""
        seen = f"after a mentorship ended, mentored people were {less_likely(after)} to leave{unclear}"
    return f"{seen[0].upper()}{seen[1:]}; so {COUNTS[assumption]}."


def lasting_sentence(assumption: str, why: str) -> str:
    """The assumption and why, as every output that shows the money says it beside the money."""
    return f"How long the effect is counted ({assumption}): {why}"


METHOD = ("The business case credits the effect after a mentorship has ended only as far as the data show it: the "
          "honest model again with mentoring split into while it runs and after it has ended. The effect after an "
          "end is counted when its whole range is below no effect (lasting) or above it (extra exits, a loss); "
          "when its range includes no effect, or it cannot be estimated, only the time a mentorship runs is "
          "counted; without the split the honest effect is assumed to last, and said so.")


def method_line(assumption: str) -> str:
    """The appendix's line on how long the effect is counted, with this case's assumption."""
    return f"{METHOD} Here: {lasting_label(assumption)}."


def lasting_dict(assumption: str, phases: Any = None, why_not: str | None = None) -> dict[str, str]:
    """`business_case.lasting_effect` in the JSON: the assumption and why."""
    return {"assumption": assumption, "why": lasting_why(assumption, phases, why_not)}


# Why a longer horizon can show less value than a shorter one (business.py, the module docstring).
HORIZON_NOTE = ("A longer horizon can show fewer exits avoided, not more: someone mentoring kept this year can still "
                "leave next year, so an exit it only delayed counts over one year but not over three; an effect "
                "counted only while mentoring runs adds nothing after it ends, and later years' money is discounted.")
