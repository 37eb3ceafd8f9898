"""Cohorts: retention and the mentoring effect by group."""
import streamlit as st

import ui
from analytics.case.summary import COHORT_DIMENSIONS, MENTORING_DIMENSIONS
from analytics.common.policy import CURVE_MONTHS, HORIZON_DAYS, MANY_GROUPS, MIN_EFFECT_PEOPLE, TAU_DAYS, count_words
from analytics.estimation.outcomes import OUTCOMES
from analytics.outputs import figures, messages
from analytics.words import wording

st.title("Cohorts")
ui.require("cohorts")
ui.require_data()
dimension = st.selectbox("Compare by", list(COHORT_DIMENSIONS), format_func=COHORT_DIMENSIONS.get,
                         key="cohort_dimension")
c = ui.current_comparison(dimension)

staying = wording.staying_title(ui.settings().event)  # the curves count the event chosen, not every exit
view = "one chart"
if len(c.curves) > MANY_GROUPS:  # one chart of this many lines is a tangle: the user chooses how to see them
    view = st.radio("Show the groups as", list(wording.GROUP_VIEWS), format_func=wording.GROUP_VIEWS.get, horizontal=True,
                    key="cohort_view")
if c.curves and view == "one chart":
    ui.chart(figures.survival_figure(c.curves, horizon_days=HORIZON_DAYS, max_months=CURVE_MONTHS, height=420,
                                     rounded=c.rounded, y_title=staying), name=f"retention by {dimension}")
elif view == "largest":
    top = c.table.sort_values("people", ascending=False, kind="stable")["group"].head(MANY_GROUPS - 1)
    largest = {group: c.curves[group] for group in top if group in c.curves}
    ui.chart(figures.survival_figure({**largest, **c.others}, horizon_days=HORIZON_DAYS, max_months=CURVE_MONTHS,
                                     height=420, rounded=c.rounded, y_title=staying),
             name=f"retention by {dimension}, largest groups")
elif view == "each":
    ui.chart(figures.small_multiples_figure(c.curves, c.everyone, CURVE_MONTHS, y_title=staying, rounded=c.rounded),
             name=f"retention by {dimension}, each group")
if dimension in MENTORING_DIMENSIONS:
    st.caption("Mentored people enter their group at the start of their first mentorship; "
               "'not mentored' is everyone's time before mentoring.")
if dimension in ("reverse_pair", "cross_generation"):
    st.caption(wording.PAIRS_NOTE)
if c.suppressed:
    st.info(wording.suppressed_groups(c.suppressed), icon=":material/visibility_off:")

if not c.table.empty:
    st.subheader("Retention and tenure")
    ranked = c.table.sort_values("retention", ascending=False, kind="stable") if view == "ranked" else c.table
    table = ranked.assign(retention=ranked["retention"].map(wording.pct),
                          range=[wording.pct_range(lo, hi) if lo == lo and hi == hi else wording.DASH for lo, hi in
                                 zip(ranked["retention_lower"], ranked["retention_upper"])],
                          **{k: ranked[k].map(lambda v: count_words(None if v != v else v))
                             for k in ("people", "mentored", "exits")})
    ui.table(table[["group", "people", "mentored", "exits", "retention", "range", "rmst_months"]],
             f"retention by {dimension}", hide_index=True, column_config={
                     "retention": f"{staying.lower()} at {wording.months(HORIZON_DAYS)} months",
                     "range": "95% range",
                     "rmst_months": st.column_config.NumberColumn(f"average months of first {wording.months(TAU_DAYS)}",
                                                                  format="%.1f")})

st.subheader("Mentoring effect by group")
shown = [e for e in c.effects if e.hazard_ratio]
if shown:
    ui.chart(figures.forest_figure(c.effects, rounded=c.rounded), name=f"effect by {dimension}")
if c.effects:
    ui.table(messages.group_effects_table(c.effects, c.rounded), f"effect by {dimension}", hide_index=True,
             column_config={"note": st.column_config.TextColumn(width="large")})
    st.caption(wording.GROUP_EFFECTS_NOTE[dimension in MENTORING_DIMENSIONS])
if c.interaction:
    t = c.interaction
    st.caption(f"Does the effect differ between groups? Likelihood-ratio test of the interaction: "
               f"chi-square {t.statistic:.1f} on {t.df} df, p = {t.p:.2g}.")
st.caption(f"A group's hazard ratio needs at least {MIN_EFFECT_PEOPLE} people mentored and {MIN_EFFECT_PEOPLE} not; "
           "how many of them left does not decide it (that would hide the groups where mentoring kept the most "
           "people). A small group's range is wide, and its words say so.")

o = ui.current_outcomes()  # the cohort's, whichever dimension is compared
if not o.history:
    st.markdown(wording.OUTCOMES_NEED_HISTORY)
else:
    st.subheader("Promotions and moves")
    for outcome in OUTCOMES:
        effect = o.effects.get(outcome)
        if effect is not None:  # in the words the figures decide (analytics/words/verdict.py)
            st.markdown(wording.md(wording.outcome_words(outcome, effect.hazard_ratio.to_dict(),
                                                         effect.to_dict(o.rounded)["with_outcome"])))
        else:
            why = o.missing.get(f"outcome_{outcome}", f"not enough data for {outcome.replace('_', ' ')}s")
            st.caption(wording.md(f"{why[:1].upper()}{why[1:]}."))
    effects = messages.outcomes_table(o)
    if not effects.empty:
        ui.table(effects, "promotions and moves", hide_index=True, column_config={
            **ui.HR_COLUMNS, "people followed": st.column_config.NumberColumn(format="localized"),
            "had one": st.column_config.NumberColumn(format="localized")})
    st.caption(wording.OUTCOMES_NOTE)
    if o.incidence:
        columns = st.columns(len(o.incidence))
        for place, (outcome, split) in zip(columns, o.incidence.items()):
            ui.chart(figures.outcome_figure(split, outcome, max_months=CURVE_MONTHS, rounded=o.rounded), place,
                     name=f"share {wording.OUTCOME_COUNTED[outcome]}")
        ui.table(messages.outcome_shares_table(o, (12, 24, 36)), "share promoted or moved", hide_index=True)
        st.caption(wording.OUTCOME_CURVES_NOTE)
