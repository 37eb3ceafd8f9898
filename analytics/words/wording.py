"""Every word and number format the product shows: pages, exports, the briefing and the CLI.

Percent and money formatting, "less / more likely", the horizon in words, the sentences the
pages and exports repeat, the business case's labels and the sources of its inputs live here
and nowhere else (the messages built on a whole headline or business case are outputs/messages.py's,
in these words). It reads estimates and verdict's decisions but never computes one, and imports
nothing above common, so every layer may use it.
"""
from __future__ import annotations

import html
import re
from typing import Any

import pandas as pd

from analytics.common.policy import (DAYS_PER_MONTH, FILTERED_ROUNDING, MANY_GROUPS, MAX_CHANGED_SHOWN, MIN_GROUP_SIZE,
                                     SMALL_LEVEL, count_words, shown_total)
from analytics.words import regrettable, verdict


# ---------------------------------------------------------------- text as it shows

# Characters that show nothing, or only steer the direction of what follows: zero-width spaces and joiners, the soft
# hyphen, byte-order and word-joiner marks, bidirectional marks, embeddings, overrides and isolates, tag characters.
INVISIBLE = ("\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
             "\U000e0000-\U000e007f")


DASH = "–"  # a figure that cannot be shown
CURRENCY = "$"
PERCENT_WIDGET = "%d%%"          # streamlit sliders holding whole percents
PPTX_PERCENT = "0%"              # PowerPoint axis number formats
PPTX_LESS_MORE = '0%" less";0%" more"'  # 1 - HR on a slide's bars: 0.25 as "25% less", -0.26 (a harm) as "26% more"


# ---------------------------------------------------------------- text from the user's files

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


# GitHub-flavoured Markdown turns bare addresses into links after escapes are read ('www.', 'http://', an e-mail's
# '@'): a word joiner (U+2060, invisible and unread) after 'www' or the scheme, and before '@', keeps them text.
_AUTOLINK = re.compile(r"(?i)(www|https?|ftp|mailto)(?=\\?[.:])|(?=@)")
WORD_JOINER = "\u2060"


def md(text: Any) -> str:
    """A value from the user's files, safe inside Markdown: every mark Streamlit's Markdown would act on
    (links, images, emphasis, HTML, LaTeX's $, :colour[...] directives) is escaped, and a bare address is kept from
    becoming a link, so it shows as typed."""
    return _AUTOLINK.sub(lambda m: (m.group(1) or "") + WORD_JOINER, _MARKDOWN.sub(r"\\\1", str(text)))


_LABEL_MARKS = re.compile(r"([\\\[\]()!<>$:`])")


def label(text: Any) -> str:
    """A value from the user's files inside a widget's label (which reads links, images and colour
    directives): those marks escaped, the rest left alone so the label reads the same to a screen reader."""
    return _LABEL_MARKS.sub(r"\\\1", str(text))


def chart_text(text: Any) -> str:
    """A value from the user's files, safe inside a plotly label (which reads a few HTML tags)."""
    return html.escape(str(text), quote=False)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A table ready for a CSV a spreadsheet will open: a text cell that begins like a formula
    (= + - @ tab CR) gets a leading apostrophe, so it is shown, never run (OWASP's CSV injection advice)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            safe = [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in out[column]]
            out[column] = pd.Series(safe, index=out.index, dtype=object)  # numbers stay as written (1500, not 1500.0)
    return out


def to_csv(frame: pd.DataFrame) -> str:
    """Every CSV the product writes goes through here."""
    return csv_safe(frame).to_csv(index=False)


# ---------------------------------------------------------------- numbers

def _missing(x: float | None) -> bool:
    return x is None or x != x


def pct(x: float | None, digits: int = 0) -> str:
    """0.253 -> '25%'; a dash for a missing value."""
    return DASH if _missing(x) else f"{100 * x:.{digits}f}%"


def pct_range(lower: float | None, upper: float | None, digits: int = 0) -> str:
    """'12%–15%'."""
    return f"{pct(lower, digits)}{DASH}{pct(upper, digits)}"


def ci_text(est, digits: int = 0) -> str:
    """An Estimate as '88% (86%–90%)'."""
    if est is None or _missing(est.estimate):
        return DASH
    return f"{pct(est.estimate, digits)} ({pct_range(est.lower, est.upper, digits)})"


def money(x: float | None, currency: str = CURRENCY) -> str:
    """$1.2M, $262k, -$585k, EUR 262k: amounts as executives read them (pages, exports and the briefing)."""
    if x is None:
        return DASH
    sign = "-" if x < 0 else ""
    unit = currency_prefix(currency)
    x = abs(x)
    if x >= 1e6:
        return f"{sign}{unit}{x / 1e6:.1f}M"
    if x >= 1e3:
        return f"{sign}{unit}{x / 1e3:.0f}k"
    return f"{sign}{unit}{x:,.0f}"


def money_exact(x: float, currency: str = CURRENCY) -> str:
    """$1,500: an input amount, to the unit."""
    return f"{currency_prefix(currency)}{x:,.0f}"


def pptx_money(currency: str = CURRENCY) -> str:
    """A slide chart's number format for amounts in `currency`: '"$"#,##0', '"EUR "#,##0'."""
    return f'"{currency_prefix(currency)}"#,##0'


def currency_prefix(currency: str) -> str:
    """'$' as it is; a three-letter code with a space after it ('EUR ')."""
    currency = (currency or CURRENCY).strip()
    return f"{currency} " if currency.isalpha() else currency


def months(days: float) -> str:
    """Days as whole months since hire: a year -> '12'."""
    return f"{days / DAYS_PER_MONTH:.0f}"


# ---------------------------------------------------------------- the effect in words

def less_likely(hr: dict[str, float]) -> str:
    """'25% less likely (range 15% to 33%)' from an HR and its CI."""
    est, lo, hi = (1 - hr[k] for k in ("estimate", "upper", "lower"))
    direction = "less" if est >= 0 else "more"
    if lo < 0 < hi:
        rng = f"range {pct(abs(lo))} more to {pct(hi)} less"
    elif est >= 0:
        rng = f"range {pct(lo)} to {pct(hi)}"
    else:
        rng = f"range {pct(abs(hi))} to {pct(abs(lo))}"
    return f"{pct(abs(est))} {direction} likely ({rng})"


def less_or_more(share: float) -> str:
    """1 - HR as a chart writes it: '25% less', or '26% more' for a harm (never '-26%')."""
    return f"{pct(share)} less" if share >= 0 else f"{pct(-share)} more"


def hr_words(hr) -> str:
    """A HazardRatio as '25% less likely (range 15% to 33%)'."""
    return less_likely(hr.to_dict())


def effect_sentence(hr, bold: bool = False) -> str:
    """The honest effect, as the Overview and the exports say it; 'No clear effect' leads when the range spans none."""
    claim = f"Mentored employees were {hr_words(hr)} to leave in any given month"
    claim = f"**{claim}**" if bold else claim
    lead = "No clear effect: " if verdict.effect(hr) == verdict.UNCLEAR else ""
    return f"{lead}{claim} than comparable colleagues who were not (yet) mentored."


NO_CLEAR_EFFECT = ("The range includes no effect at all: the data cannot rule out that mentoring makes no "
                   "difference here.")
HARM_NOTE = ("The whole range is above no effect: mentoring as it has run here has not kept people. Look at how, "
             "when and to whom it is offered before extending it.")


def effect_note(hr) -> str:
    """What the effect's range allows, beside the effect: no clear effect, harm, or nothing to add (a benefit)."""
    return {verdict.UNCLEAR: NO_CLEAR_EFFECT, verdict.MORE: HARM_NOTE}.get(verdict.effect(hr), "")


def effect_title(hr) -> str:
    """A heading for the honest effect: 'mentored people were 25% less likely to leave', 'no clear effect yet'."""
    kind = verdict.effect(hr)
    if kind == verdict.UNCLEAR:
        return "no clear effect yet"
    return f"mentored people were {pct(abs(1 - hr.estimate))} {'less' if kind == verdict.FEWER else 'more'} likely to leave"


def how_sure_sentence(hr) -> str:
    """How sure the honest effect is, in a sentence chosen from its range."""
    kind = verdict.effect(hr)
    if kind == verdict.UNCLEAR:
        return NO_CLEAR_EFFECT
    way = "less" if kind == verdict.FEWER else "more"
    return (f"Mentored people were {hr_words(hr)} to leave. The whole range is {way} likely: as far as chance goes, "
            "the data rules out that mentoring makes no difference here.")


def no_estimate(why: str | None) -> str:
    return f"No honest estimate for this group: {why}"


def _hr(x):
    """A HazardRatio or its dict, as the dict the words are built from."""
    return x if isinstance(x, dict) else x.to_dict()


NAIVE_READING = {verdict.OVERSTATES: "makes mentoring look better than it is",
                 verdict.UNDERSTATES: "makes mentoring look worse than it is",
                 verdict.AGREES: "says about the same as the honest comparison, here"}
NAIVE_SHORT = {verdict.OVERSTATES: "overstated", verdict.UNDERSTATES: "understated", verdict.AGREES: "roughly agrees"}


def naive_label(reading: str | None, capital: bool = False) -> str:
    """'naive (overstated)', 'naive (understated)' or 'naive (roughly agrees)': the naive figure named by how it
    compares with the honest one (verdict.naive_reading); plain 'naive' when there is no honest one."""
    text = "naive" if reading is None else f"naive ({NAIVE_SHORT[reading]})"
    return text[:1].upper() + text[1:] if capital else text


def naive_of(naive, adjusted) -> str | None:
    """The naive figure's reading against the honest one, or None when either is missing."""
    return verdict.naive_reading(_hr(naive), _hr(adjusted)) if naive is not None and adjusted is not None else None


def _who_words(step: str, covariates) -> str:
    alike = alike_words(covariates)
    if not covariates:
        return "The records hold nothing to compare people on, so who gets mentored could not be accounted for."
    return {verdict.FLATTERED: f"Mentoring went more to people who were likely to stay anyway, judged by their {alike}.",
            verdict.HID: f"Mentoring went more to people who were likely to leave, judged by their {alike}: "
                         "without comparing like with like, mentoring looks worse than it is.",
            verdict.LITTLE: f"Who gets mentored made little difference here (compared on {alike})."}[step]


def _timing_words(step: str) -> str:
    return {verdict.FLATTERED: "Counting the months before mentoring began as mentored time flatters it: someone "
                               "mentored in month 10 had to stay 10 months to be mentored at all.",
            verdict.HID: "Counting mentoring only from its first day made it look better here, not worse.",
            verdict.LITTLE: "The months before mentoring began changed little here (most mentoring began soon after "
                            "hire, or few left before it)."}[step]


def naive_claim(naive, time_varying=None, adjusted=None) -> str:
    """What a naive report would say, whether that over- or understates, and why (the briefing and the exports);
    each reason named only where the numbers show it (verdict.steps)."""
    naive, tv, adj = (None if x is None else _hr(x) for x in (naive, time_varying, adjusted))
    said = f"A naive report comparing ever-mentored with never-mentored people would claim {less_likely(naive)}"
    if adj is None:
        return said + "."
    reading = verdict.naive_reading(naive, adj)
    moved = verdict.steps(naive, tv, adj)
    why = {"timing": "the months before it began", "who": "who gets mentored"}
    flattering = [why[k] for k, v in moved.items() if v == verdict.FLATTERED]
    hiding = [why[k] for k, v in moved.items() if v == verdict.HID]
    out = f"{said}, which {NAIVE_READING[reading]}"
    if reading == verdict.OVERSTATES and flattering:
        out += ": it credits mentoring with " + " and with ".join(flattering)
    elif reading == verdict.UNDERSTATES and hiding:
        out += ": it ignores " + " and ".join(hiding)
    elif reading == verdict.AGREES and flattering and hiding:
        out += ": its two errors (" + " and ".join(flattering + hiding) + ") happen to cancel out"
    return out + "."


def how_we_know(naive, time_varying, adjusted) -> str:
    """The Overview's three steps from the naive figure to the honest one (ModelFits), each worded from the numbers."""
    n, tv, adj = naive.hazard_ratio, time_varying.hazard_ratio, adjusted.hazard_ratio
    moved = verdict.steps(n.to_dict(), tv.to_dict(), adj.to_dict())
    reading = verdict.naive_reading(n.to_dict(), adj.to_dict())
    return (
        f"- A simple report comparing people who were *ever* mentored with those who never were would say "
        f"mentored people are **{hr_words(n)}** to leave. That {NAIVE_READING[reading]}.\n"
        f"- {_timing_words(moved['timing'])} Counting mentoring only from its start gives **{hr_words(tv)}**.\n"
        f"- {_who_words(moved['who'], adjusted.covariates)} Comparing like with like gives the honest figure: "
        f"**{hr_words(adj)}**.")


def why_title(naive, adjusted) -> str:
    """The deck's slide on the naive figure, titled by what it does."""
    return {verdict.OVERSTATES: "Why a simple report would say more",
            verdict.UNDERSTATES: "Why a simple report would say less",
            verdict.AGREES: "A simple report would say about the same here",
            None: "From a simple report to the honest figure"}[naive_of(naive, adjusted)]


def why_notes(naive, time_varying, adjusted) -> list[str]:
    """The two adjustments in sentences, for the deck's notes and text (empty parts left out)."""
    if naive is None or adjusted is None:
        return []
    n, adj = naive.hazard_ratio.to_dict(), adjusted.hazard_ratio.to_dict()
    tv = time_varying.hazard_ratio.to_dict() if time_varying else None
    moved = verdict.steps(n, tv, adj)
    return [_timing_words(moved["timing"]), _who_words(moved["who"], adjusted.covariates)]


def e_value_sentence(ev, hr=None) -> str:
    """The E-value for executives: what it would take to explain the honest effect away (leaving, for a harm)."""
    if ev is None:
        return ""
    outcome = "leaving" if hr is not None and verdict.leaning(_hr(hr)) == verdict.MORE else "staying"
    first = (f"To explain this effect away, something we could not measure would have to be linked both to "
             f"being mentored and to {outcome}, each by a factor of about {ev.estimate:.1f}, over and above "
             f"everything we compared on")
    if ev.ci <= 1:
        return first + "; the range already includes no effect."
    return first + f" (a factor of {ev.ci:.1f} would bring the range to include no effect)."


def pooled_words(pooled: dict[str, list[str]]) -> str:
    """Which groups the adjusted model pooled, and why."""
    listed = "; ".join(f"{k.replace('_', ' ')}: {', '.join(md(level) for level in v)}" for k, v in pooled.items())
    return (f"Compared together as '(small groups)', each having fewer than {SMALL_LEVEL} people: {listed}. "
            "Their own differences are not adjusted for.")


def covariate_words(covariates) -> str:
    """('job_level', 'log_salary') -> 'job level, log salary'."""
    return ", ".join(covariates).replace("_", " ")


DIMENSION_LABELS = {
    "department": "Department", "job_level": "Job level", "location": "Location", "generation": "Generation",
    "gender": "Gender", "hire_year": "Hire-year cohort", "program_type": "Programme type",
    "mentor_is_manager": "Mentor is the line manager", "reverse_pair": "Reverse pairs (younger mentor)",
    "cross_generation": "Cross-generation pairs",
}


COVARIATE_LABELS = {"department": "Department", "job_level": "Job level", "location": "Location", "gender": "Gender",
                    "generation": "Generation", "hire_year": "Hire year", "performance_rating": "Performance rating",
                    "log_salary": "Salary (log)"}


PLAIN_COVARIATES = {"department": "department", "job_level": "level", "location": "location", "gender": "gender",
                    "generation": "age group", "hire_year": "year of hire", "performance_rating": "rating",
                    "log_salary": "pay"}


def alike_words(covariates) -> str:
    """What the honest comparison holds equal, in plain words: 'department, level and pay'."""
    words = [PLAIN_COVARIATES.get(c, c.replace("_", " ")) for c in covariates]
    return alike_words_of(words) if words else "nothing else"


def phases_words(phases: dict) -> str:
    """The effect while a mentorship runs and after it has ended (summary --json's mentoring_phases), each said as
    its figures say it: fewer or more exits, or no clear effect."""
    def said(hr: dict) -> str:
        unclear = " (no clear effect: the range includes none)" if verdict.effect(hr) == verdict.UNCLEAR else ""
        return f"{less_likely(hr)} to leave in any given month{unclear}"

    after = phases["after_mentoring"]
    ended = (f"after it had ended ({count_words(phases['people_after'])} people with time after), "
             f"{said(after)}" if after else f"after it had ended: not estimated, {phases['why_not_after']}")
    return (f"Compared with people not (yet) mentored, like with like: while a mentorship ran, mentored people were "
            f"{said(phases['while_mentored'])}; {ended}.")


OUTCOME_VERBS = {"promotion": "to be promoted (moved up a level)", "internal_move": "to move to another department"}
OUTCOME_COUNTED = {"promotion": "were promoted at least once", "internal_move": "moved department at least once"}


def outcome_words(outcome: str, hr: dict, people_with: int | None) -> str:
    """Mentoring's effect on an outcome beyond exits, said as its figures say it."""
    unclear = " (no clear effect: the range includes none)" if verdict.effect(hr) == verdict.UNCLEAR else ""
    return (f"Mentored people were {less_likely(hr)} {OUTCOME_VERBS[outcome]} in any given month than colleagues "
            f"not (yet) mentored, like with like{unclear}; {count_words(people_with)} people {OUTCOME_COUNTED[outcome]}.")


OUTCOMES_NOTE = ("From the job history: time from hire to a person's first one, mentoring counted from its start, "
                 "leaving ending a person's time (exits compete), characteristics as they were.")
OUTCOMES_NEED_HISTORY = ("Loading a job history (each person's dated changes of level and department) adds promotions "
                         "and internal moves here: mentoring's effect on each.")
OUTCOME_TITLES = {"promotion": "Promotions", "internal_move": "Internal moves"}
OUTCOME_COUNTED = {"promotion": "promoted", "internal_move": "moved department"}  # what a curve counts
OUTCOME_SHARE = {"promotion": "Share promoted", "internal_move": "Share who moved department"}
OUTCOME_CURVES_NOTE = ("Unadjusted, as they are: the share who had a first one by each month since hire, leaving "
                       "counted as a competing event (Aalen-Johansen). Mentored people enter the mentored lines on the "
                       "day their mentoring began (and leave the others then), so the months before it are not "
                       "credited to mentoring. Everyone in scope, not by group.")


AT_HIRE_NOTE = ("'Characteristics at hire' is the honest model again with each person's level, department, location, "
                "salary and rating as they were when hired, as a one-time record would give them: a check. Where it "
                "differs from the honest figure, characteristics that changed over time mattered to who was mentored.")


# the characteristics a job history gives as they were on each day, as the adjusted model names them
CHANGING = {"job_level": "level", "department": "department", "location": "location", "log_salary": "salary",
            "performance_rating": "rating"}


def covariates_note(covariates_from: str, covariates) -> str | None:
    """Whether the honest comparison's level, salary, rating (...) are as they were at the time (a job history) or
    each person's one value as exported, and what the latter can do; None when it compares on none of them."""
    changing = [CHANGING[c] for c in covariates if c in CHANGING]
    if not changing:
        return None
    listed = alike_words_of(changing)
    if covariates_from == "history":
        return f"{listed[:1].upper()}{listed[1:]} are taken as they were on each day, from the job history."
    return (f"{listed[:1].upper()}{listed[1:]} are each person's one value, as the employee file shows them now (or "
            "when they left). If mentoring goes to people because of these and they change over time, the adjusted "
            "figure can show an effect that is not there; loading the job history compares people as they were at "
            "the time.")


def alike_words_of(words: list[str]) -> str:
    """['department', 'level', 'pay'] -> 'department, level and pay'."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


PAIRS_NOTE = ("Computed from the two people's birth years, whatever the programme is called: 'younger mentor' "
              "pairs a mentor younger than the mentee, 'another generation' a mentor and mentee from different "
              "generations (Boomer, Gen X, Millennial, Gen Z), either way round. The 'reverse' programme type is "
              "what the records call the programme, which may differ. A mentor outside the roster (an external "
              "coach, or someone not in the HR file) has no recorded age, so those pairs are a group of their own.")


WHERE_NEXT_NOTE = ("Exploratory: a ranking to discuss, not a forecast for any one group. Each group's figure comes "
                   "from its unmentored people's own chances of leaving and the group's own effect, pulled toward "
                   "the company-wide effect as far as the group's data are thin; groups overlap (a person is in a "
                   "department, a level, a location and a generation at once).")


def dimension_choices(dimensions) -> dict:
    """Characteristics and pairs of them as a list offers them: 'Department', 'Department × Job level'."""
    return {d: DIMENSION_LABELS.get(d, d) if isinstance(d, str) else " × ".join(DIMENSION_LABELS.get(n, n) for n in d)
            for d in dimensions}


def segment_words(segment: dict) -> str:
    """{'department': 'Sales'} -> 'Department: Sales'; a pair by its values, 'Sales · L2'."""
    if len(segment) > 1:
        return " · ".join(chart_text(v) for v in segment.values())
    return ", ".join(f"{DIMENSION_LABELS.get(k, k)}: {chart_text(v)}" for k, v in segment.items())


def where_next_warning(hr) -> str:
    """Above the ranking of where to extend next, when the company-wide effect is not a clear benefit."""
    return {verdict.MORE: "Mentoring here has gone with more exits, not fewer: every group below would likely lose "
                          "people by mentoring more of them, and the ranking shows where it would do least harm. "
                          "Do not extend the programme as it runs now.",
            verdict.UNCLEAR: "The effect itself is not clear here, so no group can be said to gain: a figure below "
                             "may as well be a loss (see how sure we are)."}.get(verdict.effect(hr), "")


def staying_words(event: str, by: str | None = None) -> str:
    """What a retention figure measures: 'still employed', or, counting voluntary exits only (other
    exits end follow-up), 'had not left voluntarily'; `by`: how a regrettable exit was told (queries.REGRETTABLE_BY)."""
    if event == "regrettable" and by in regrettable.FLAGGED:
        return regrettable.FLAGGED[by][2]
    return {"voluntary": "had not left voluntarily",
            "regrettable": "had not left voluntarily while rated at the top"}.get(event, "still employed")


# how the Cohorts page shows more groups than one chart holds (policy.MANY_GROUPS)
GROUP_VIEWS = {"largest": f"the largest {MANY_GROUPS - 1} and the rest together", "each": "each group in its own chart",
               "ranked": "a ranked table"}

# where a group's hazard ratio on the Cohorts page comes from, and how where to extend next's differ from it
# (True: a kind of mentoring or pairing, False: a group of people)
GROUP_EFFECTS_NOTE = {
    False: ("Each group's hazard ratio is the honest (adjusted, time-varying) model fitted on that group's people "
            "alone. Where to extend next uses the same groups' effects from one model for all, each pulled toward the "
            "company-wide effect as far as its own is uncertain, so its figures for a small group are closer to the "
            "company's."),
    True: ("Each kind's hazard ratio comes from one honest (adjusted, time-varying) model with an indicator for each "
           "kind of mentoring against people not (yet) mentored, the other characteristics shared."),
}


def staying_title(event: str) -> str:
    """A chart's axis or a heading: 'Still employed' / 'Not left voluntarily'."""
    return {"voluntary": "Not left voluntarily", "regrettable": "No regrettable exit"}.get(event, "Still employed")


# ---------------------------------------------------------------- sign-in and roles

SIGN_IN_NOTE = ("This dashboard holds people's pay, ratings and reasons for leaving, so it is shown only to the "
                "people your organisation allows. Sign in with your work account to see it.")
ASK_AN_ADMIN = "Ask an admin of this dashboard."
UNEXPECTED = ("Something went wrong and nothing was changed. Try again; if it happens again, whoever runs the "
              "dashboard finds the details in its log.")
NOT_FOR_YOUR_ROLE = "This page is not part of your role. " + ASK_AN_ADMIN
ROW_EXPORTS_FOR_ADMINS = ("The analysis data set (one row per person, with pay, rating and reason for leaving) is for "
                          "admins: no group-size rule can protect a person's own record. Every table and chart here is "
                          "yours to download. " + ASK_AN_ADMIN)
EXPORTS_FOR_ANALYSTS = ("Slides, the one-pager and the tables are for analysts and admins, as they carry the figures "
                        "out of the dashboard. " + ASK_AN_ADMIN)
SINGLE_USER_NOTE = ("Single-user: no sign-in is set up, so this dashboard answers on this computer only. "
                    "docs/serving.md says how to share it.")
SINGLE_USER_REMOTE = ("This dashboard has no sign-in set up, so it answers only on the computer it runs on. "
                      "To share it, set up sign-in and roles (docs/serving.md).")
ROLE_HELP = {"viewer": "Viewers see the Overview and the Business case.",
             "analyst": "Analysts see every page but Data, and can download every export but the row-level "
                        "analysis data set.",
             "admin": "Admins see every page, and load, undo and restore the data."}


def not_allowed(email: Any) -> str:
    who = f"{md(email)} is" if email else "Your account is"
    return f"{who} not among the people allowed to see this dashboard. {ASK_AN_ADMIN}"


# What long work is doing (analytics.progress): the CLI's lines on stderr, the dashboard's status box.
PROGRESS_STEPS = {
    "read": "Reading {table} ({file})",
    "check": "Checking {rows:,} {table} rows",
    "write": "Writing {rows:,} rows to the database",
    "follow_up": "Reading everyone's follow-up",
    "models": ("Fitting the models, the retention curves and each person's own chance of leaving, on {people:,} "
               "people ({rows:,} intervals)"),
    "risks": "The business case",
    "where_next": "Where to extend next: each segment's own effect",
    "headline": "Fitting the survival models and the business case",
    "check_files": "Checking the files",
    "load": "Loading into the dashboard",
    "refresh": "Reading the warehouse",
    "where_next_page": "Ranking where to extend next",
    "analysis_files": "Preparing the analysis data set",
    "diagnostics": "Running the model checks",
    "compare": "Comparing groups",
    "outcomes": "Promotions and internal moves",
    "trial": "Monthly trials of starting mentoring against colleagues who had not (yet)",
    "exports": "Preparing the deck, the one-pager and the tables",
}


def progress_words(step: str, details: dict[str, Any] | None = None) -> str:
    """A step of long work in words, e.g. 'Checking 1,000,000 employees rows…'."""
    return PROGRESS_STEPS[step].format(**(details or {})) + "…"


def progress_line(seconds: float, step: str, details: dict[str, Any] | None = None) -> str:
    """A CLI progress line: the seconds since the command started, then the step."""
    return f"{seconds:6.1f} s  {progress_words(step, details)}"


def progress_done(seconds: float) -> str:
    return f"{seconds:6.1f} s  Done."


def step_took(words: str, seconds: float) -> str:
    """A finished step in the dashboard's status box."""
    return f"{words.removesuffix('…')}: {seconds:.1f} s"


DEMO_NOTE = "Simulated demo data: a made-up company whose true mentoring effect is known, not your organisation."


def total_words(n: int, filtered: bool) -> str:
    """'5,000' for everyone; 'about 45' for a filtered group (rounded, see policy.FILTERED_ROUNDING)."""
    shown = shown_total(n, filtered)
    if shown is None:
        return count_words(n)
    return f"about {shown:,}" if filtered else f"{shown:,}"


ROUNDING_NOTE = (f"A filtered group's total, and any total at an as-of date other than the data's own, is rounded "
                 f"to the nearest {FILTERED_ROUNDING}, so that two filters or two dates cannot be compared to single "
                 "out a few people.")


def leaving_words(event: str, by: str | None = None) -> str:
    """How people left, for 'leaving means leaving ...'; `by`: how a regrettable exit was told (REGRETTABLE_BY)."""
    if event == "regrettable" and by in regrettable.FLAGGED:
        return regrettable.FLAGGED[by][0]
    return {"voluntary": "voluntarily", "regrettable": "voluntarily, among people rated at the top of the scale"}.get(
        event, "for any reason")


def event_words(event: str, by: str | None = None) -> str:
    """What was counted as leaving, in a count: 'voluntary exits'; `by`: how a regrettable exit was told."""
    if event == "regrettable" and by in regrettable.FLAGGED:
        return regrettable.FLAGGED[by][1]
    return {"voluntary": "voluntary exits",
            "regrettable": "regrettable exits (voluntary, by people rated at the top of the scale)"}.get(event, "exits")


# ---------------------------------------------------------------- the horizon

def per_period(years: float, one: str = "per year") -> str:
    """'per year' (or `one`) for a single year, else 'over 3 years': how pages and charts name the horizon."""
    return one if years == 1 else f"over {years:g} years"


def value_label(years: float) -> str:
    """The net benefit's label: 'Yearly value' or 'Value over 3 years'."""
    return "Yearly value" if years == 1 else f"Value {per_period(years)}"


def years_words(years: float) -> str:
    return f"{years:g} year{'s' if years != 1 else ''}"


# ---------------------------------------------------------------- the business case's inputs

YOUR_INPUT = "your input"
GALLUP = "assumption: Gallup estimates 0.5-2x salary"
ASSUMED_COST = "assumption: typical internal programme cost; enter your own"
PROGRAMME_ASSUMED = "assumption: a mentorship with no end date runs a year"
TARGET_ASSUMED = "assumption: the share who want a mentor (widely quoted)"
HORIZON_ASSUMED = "assumption: one year"
CALCULATED = "calculated; range from the hazard ratio's 95% CI"
MISSING_SALARY = ": the data has no salary column, so enter the average annual salary"


def naive_case_label(naive_hazard_ratio: float | None, hazard_ratio: float) -> str:
    """The business case's naive figures named by how the naive hazard ratio compares with the honest one."""
    if naive_hazard_ratio is None:
        return "naive"
    return naive_label(verdict.naive_reading({"estimate": naive_hazard_ratio}, {"estimate": hazard_ratio}))


def naive_source(reading: str | None) -> str:
    """Where the naive hazard ratio comes from, named by how it compares: 'naive model (understated)'."""
    return "naive model" + (f" ({NAIVE_SHORT[reading]})" if reading else "")


def rounded_to(step: float) -> str:
    """A source's note that its value is rounded, as a filtered group's are: ', to the nearest $1,000'."""
    return f", to the nearest {money_exact(step)}"


def from_data(n: int, rounded: bool = False) -> str:
    """Source string of an input measured on the user's data; its count rounded as the group's total is."""
    return f"from your data (n = {total_words(n, rounded)})"


def from_model(people: int, rounded: bool = False) -> str:
    """Source string of the honest hazard ratio."""
    return f"adjusted model, {from_data(people, rounded)}"


def followed_note(in_scope: int, followed: int, rounded: bool = False) -> str | None:
    """Why the models count fewer people than are in scope (None when they count everyone): people hired on the
    as-of date, or who left on their first day, have no time to follow. A filtered group's counts are rounded, so
    its gap is not given as a number (it could single out a few people)."""
    if followed >= in_scope:
        return None
    gap = "Some" if rounded else count_words(in_scope - followed)
    return (f"The models follow {total_words(followed, rounded)} of the {total_words(in_scope, rounded)} people in "
            f"scope: {gap} hired on the as-of date or leaving on their first day have no time to follow yet.")


LOSS_NOTE = "At the cautious end of the range the programme costs more than it saves."
ALL_LOSS_NOTE = "Across the whole range the programme costs more than it saves."


def loss_note(net) -> str:
    """The warning a net benefit's range calls for: a loss across the whole range, a loss at its cautious end, or
    none (verdict.money)."""
    return {verdict.LOSS: ALL_LOSS_NOTE, verdict.EITHER: LOSS_NOTE}.get(verdict.value(net), "")


def exits_words(r, period: str = "", digits: int = 0) -> str:
    """Exits avoided with their range, negative ones read as extra exits, `period` after the count: 'about 31 exits
    avoided a year (range 19 to 42)', 'about 30 extra exits a year (range 18 to 42)', 'about 3 exits avoided a year
    (range 5 extra to 10 avoided)' (verdict.value on the range)."""
    est, low, high = (r[k] if isinstance(r, dict) else getattr(r, k) for k in ("estimate", "low", "high"))
    when = f" {period}" if period else ""

    def n(x: float) -> str:
        return f"{abs(x):,.{digits}f}"
    kind = verdict.value(r)
    if kind == verdict.GAIN:
        return f"about {n(est)} exits avoided{when} (range {n(low)} to {n(high)})"
    if kind == verdict.LOSS:
        return f"about {n(est)} extra exits{when} (range {n(high)} to {n(low)})"
    head = f"about {n(est)} exits avoided" if est >= 0 else f"about {n(est)} extra exits"
    return f"{head}{when} (range {n(low)} extra to {n(high)} avoided)"


def exits_cell(r) -> str:
    """A table's cell of exits with their range, extra exits marked: '3.1 (2.0 to 4.2)', '2.4 extra (3.0 extra to 1.1
    extra)', '0.9 extra (3.4 extra to 1.2 avoided)'."""
    def one(x: float, spans: bool = False) -> str:
        return (f"{x:,.1f}" + (" avoided" if spans else "")) if x >= 0 else f"{-x:,.1f} extra"
    spans = verdict.value(r) == verdict.EITHER  # from extra exits to exits avoided: each end says which
    return f"{one(r.estimate)} ({one(r.low)} to {one(r.high, spans)})"


def rate_words(est, people: int | None = None, rounded: bool = False) -> str:
    """A share still employed with its range, '88% (86%–90%)'; a range of zero width is said as what it is, 'no one
    left (22 people)' or 'everyone left (7 people)', never as a certainty (verdict.rate)."""
    kind = verdict.rate(est)
    if kind == verdict.RATE:
        e, lo, hi = (est.get(k) if isinstance(est, dict) else getattr(est, k) for k in ("estimate", "lower", "upper"))
        return DASH if _missing(e) else f"{pct(e)} ({pct_range(lo, hi)})"
    n = people if people is not None else (None if isinstance(est, dict) else est.n)
    return kind if n is None else f"{kind} ({total_words(n, rounded)} people)"


UNADJUSTED = "unadjusted: people as they are, not compared like with like"


# ---------------------------------------------------------------- privacy

OFFERED_NOTE = (f"A value that would add or take away fewer than {MIN_GROUP_SIZE} people, given the other filters, is "
                "not offered: comparing the two selections would single them out.")


def one_step_from_few(dimension: str) -> str:
    """Why a filtered selection shows nothing: one value of a filter more or fewer would single out a few people."""
    name = "hire year" if dimension == "hire_year" else DIMENSION_LABELS.get(dimension, dimension).lower()
    return (f"Nothing is shown for this selection, to protect a few people's privacy: one {name} more or fewer would "
            f"change who is in scope by 1 to {MIN_GROUP_SIZE - 1} people, and comparing the two would single them "
            f"out. Choose more or fewer values in the sidebar (or none: everyone is always shown).")


def suppressed_groups(groups) -> str:
    return f"Not shown (fewer than {MIN_GROUP_SIZE} people): {', '.join(md(g) for g in groups)}."


# ---------------------------------------------------------------- data quality

def set_aside_warning(table: str, n: int, total: int) -> str:
    return (f"{n:,} of {total:,} {table} rows ({pct(n / total, 1)}) were set aside: the figures leave them out. "
            "See the rows set aside, fix them in the export and load again.")


def unclear_reasons_warning(unclear: int, exits: int) -> str:
    return (f"{unclear:,} of {exits:,} exits ({pct(unclear / exits)}) have a termination reason read as 'other' or "
            "none: check how the reasons were read, as they decide who counts as leaving voluntarily.")


def missing_reasons_warning(no_reason: int, exits: int) -> str:
    return (f"Most exits ({no_reason:,} of {exits:,}) have no termination reason: counting voluntary exits only, "
            f"these {no_reason:,} exits are not counted as leaving. Count all exits instead on the Data page "
            "(or with --event all).")


def unknown_people_warning(unknown: int, given: int) -> str:
    return (f"{unknown:,} of {given:,} job history rows ({pct(unknown / given)}) name someone who is not in the "
            "employees file, so they were set aside: check that both files give the same employee ids (an export's "
            "'Employee #' or 'Person ID External' may not be the employees file's 'Employee ID').")


def other_sheets_warning(file: str, sheet: str, others: list[str]) -> str:
    return (f"Only the sheet '{sheet}' of {file} was read; its other sheets ({', '.join(others)}) were not. "
            "Put everyone in one sheet (leavers too), or save that sheet on its own.")


def as_shown_warning(file: str, headers: list, values: dict[str, list]) -> str:
    """Headers and values written with invisible or look-alike characters, read as they show (formats.as_shown):
    the most common first, each as written (its invisible characters spelt out) and as read."""
    listed = [(f"header '{visible(written)}'", shown, None) for written, shown in headers]
    listed += sorted(((f"{column} '{visible(written)}'", shown, rows) for column, changed in values.items()
                      for written, shown, rows in changed), key=lambda item: -item[2])
    said = [f"{what} as '{visible(shown)}'" + (f" ({rows:,} row{'s' * (rows != 1)})" if rows else "")
            for what, shown, rows in listed[:MAX_CHANGED_SHOWN]]
    more = len(listed) - len(said)
    several = len(listed) != 1
    return (f"{file}: {len(listed):,} value{'s' * several} with invisible or look-alike characters "
            f"{'are' if several else 'is'} read as {'they show' if several else 'it shows'}, and counted with the same "
            f"words written plainly: {'; '.join(said)}" + (f"; and {more:,} more" if more else "")
            + f". Correct {'them' if several else 'it'} in the HR system, where other reports still count "
            f"{'them' if several else 'it'} apart.")


# Characters a terminal acts on or does not show: controls (an escape sequence can recolour, retitle or clear the
# terminal; a carriage return overwrite the line), line separators, and the invisible and direction-changing ones.
_CONTROLS = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\u2028\\u2029"  # all but tab and the line ends
_UNSAFE = re.compile(f"\\r(?!\\n)|[{_CONTROLS}{INVISIBLE}]")
_NOT_SHOWN = re.compile(f"[\\t\\n\\r{_CONTROLS}{INVISIBLE}]")


_SPELT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _spelt_out(m: re.Match) -> str:
    code = ord(m.group(0))
    return _SPELT.get(m.group(0)) or f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal_safe(text: Any) -> str:
    """Text for a terminal: each control character (escape sequences, a lone carriage return) and each invisible or
    direction-changing one spelt out as Python writes it ('\\x1b', '\\u202e'), so a file name, header or value
    shows what it holds and cannot act on the terminal. Tabs and line ends are kept."""
    return _UNSAFE.sub(_spelt_out, str(text))


def visible(text: Any) -> str:
    """A value with every character that does not show spelt out, tabs and line ends too ('Sa\\u200bles')."""
    return _NOT_SHOWN.sub(_spelt_out, str(text))


# The average salary when the data has none: the dashboard's starting value until the user enters their own.
ASSUMED_SALARY = "assumption: no salary in the data; enter your organisation's average"
