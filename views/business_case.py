"""Business case: what the honest effect is worth under the programme owner's assumptions."""
import streamlit as st

import ui
from analytics.case import where_next
from analytics.case.business import coverage_scenarios, sensitivity
from analytics.common.policy import (HORIZON_YEARS_RANGE, MIN_GROUP_SIZE, REPLACEMENT_COST_RANGE,
                                     WHERE_NEXT_PAIR_MIN, WHERE_NEXT_ROWS)
from analytics.outputs import figures, messages
from analytics.outputs.messages import money_range
from analytics.words import verdict, wording
from analytics.words.wording import GALLUP, PERCENT_WIDGET, money, pct

st.title("Business case")
ui.require("business_case")
ui.require_data()
base = ui.current_headline(ui.assumptions())  # as every page has it, before this page's inputs are drawn

coverage_now = base.business.inputs.coverage_now if base.business else 0.0
with st.container(border=True):
    st.markdown("**Your assumptions** (kept while you look at other pages)")
    cols = st.columns(4)
    lowest = min(100, round(100 * coverage_now))  # the scenario adds mentees; it cannot take any away
    if lowest < 100:
        cols[0].slider("Target share ever mentored", lowest, 100, format=PERCENT_WIDGET,
                       help=f"Today {pct(coverage_now)} of the people employed now have ever been mentored "
                            "(not all of them are mentored now).",
                       **ui.remembered("bc_target", lowest=lowest))
    low, high = (round(100 * r) for r in REPLACEMENT_COST_RANGE)
    cols[1].slider("Replacement cost, % of salary", low, high, step=5, format=PERCENT_WIDGET, help=GALLUP,
                   **ui.remembered("bc_replacement"))
    cols[2].number_input("Cost per mentee per year", 0, 100_000, step=100,
                         help="Programme cost per mentee per year of mentoring: mentor time, training, administration. "
                              "It counts only while mentoring runs.",
                         **ui.remembered("bc_cost"))
    cols[3].selectbox("Horizon (years)", list(range(HORIZON_YEARS_RANGE[0], HORIZON_YEARS_RANGE[1] + 1)),
                      **ui.remembered("bc_years"))
    if base.business and base.business.inputs.sources.get("average_salary") in (wording.ASSUMED_SALARY,
                                                                                 wording.YOUR_INPUT):
        st.number_input("Average annual salary (not in your data)", 1_000, 1_000_000, step=1000,
                        help="Your data has no salary: every page uses this one, an assumption until you enter "
                             "your organisation's average.", **ui.remembered("bc_salary"))

assumptions = ui.assumptions()
years = assumptions.horizon_years
h = ui.current_headline(assumptions)
case = h.business
if case is None:
    st.warning(f"No business case for this group: {wording.md(h.missing.get('business_case'))}", icon=":material/info:")
    st.stop()

cur, tgt = case.current, case.target
period = wording.per_period(years)
st.subheader("The programme as it is")
pay = cur.payback_months
first, second = st.columns(3), st.columns(3)  # two even rows of three: each range fits under its figure
extra = verdict.value(cur.avoided_exits) == verdict.LOSS  # below zero: mentoring adds exits, said as such
first[0].metric(f"Extra exits {period}" if extra else f"Exits avoided {period}",
                f"{abs(cur.avoided_exits.estimate):,.0f}", border=True,
                **ui.range_delta(wording.exits_words(cur.avoided_exits).split("(range ", 1)[1].rstrip(")"),
                                 caution=verdict.value(cur.avoided_exits) != verdict.GAIN))
first[1].metric("Savings", money(cur.savings.estimate), border=True, **ui.range_delta(money_range(cur.savings)))
first[2].metric("Programme cost", money(cur.programme_cost.estimate), border=True,
                **ui.range_delta("from your cost per mentee", prefix=""))
second[0].metric("Net benefit", money(cur.net_benefit.estimate), border=True,
                 **ui.range_delta(money_range(cur.net_benefit), caution=verdict.value(cur.net_benefit) != verdict.GAIN))
second[1].metric("Return on investment", pct(cur.roi.estimate), border=True,
                 **(ui.range_delta(f"{pct(cur.roi.low)} to {pct(cur.roi.high)}") if cur.roi.estimate is not None
                    else ui.range_delta("no cost, so no ratio", prefix="")))
second[2].metric("Pays back in", "never" if pay.estimate is None else f"{pay.estimate:,.0f} months", border=True,
                 **(ui.range_delta("no savings at the estimate", prefix="") if pay.estimate is None else
                    ui.range_delta(f"{pay.low:,.0f} to " + ("never" if pay.high is None else f"{pay.high:,.0f} months"))),
                 help="Months of the estimated savings it takes to cover the programme's cost.")
st.info(wording.md(messages.lasting_sentence(case)), icon=":material/schedule:")
st.caption(f"Ranges come from the 95% range of the effects counted; they leave out the uncertainty in each "
           f"person's own risk and in your assumptions. {messages.people_words(case.inputs, case.inputs.people_in_scope)} people "
           f"employed now, {pct(case.inputs.coverage_now)} ever mentored; each person's own chance of leaving, from their "
           f"tenure and characteristics, is {pct(case.inputs.exit_probability)} on average {period} unmentored. "
           f"Cost counts only while mentoring runs: {case.inputs.mentee_years_now:,.0f} years of today's mentoring "
           f"are still to run, and each new mentee is mentored for {case.inputs.programme_years:g} year"
           f"{'s' if case.inputs.programme_years != 1 else ''}.")
if wording.loss_note(cur.net_benefit):
    st.warning(wording.loss_note(cur.net_benefit), icon=":material/warning:")
if h.adjusted and wording.effect_note(h.adjusted.hazard_ratio):  # harm, or no clear effect: said before any figure
    st.warning(wording.effect_note(h.adjusted.hazard_ratio), icon=":material/help:")

st.subheader(f"If {pct(case.inputs.coverage_target)} were ever mentored")
with st.container(horizontal=True):
    st.metric("More mentees", messages.people_words(case.inputs, tgt.mentees), border=True)
    more_exits = verdict.value(tgt.avoided_exits) == verdict.LOSS
    st.metric(f"Extra exits {period}" if more_exits else f"More exits avoided {period}",
              f"{abs(tgt.avoided_exits.estimate):,.0f}", border=True,
              **ui.range_delta(wording.exits_words(tgt.avoided_exits).split("(range ", 1)[1].rstrip(")"),
                               caution=verdict.value(tgt.avoided_exits) != verdict.GAIN))
    st.metric("Extra net benefit", money(tgt.net_benefit.estimate), border=True,
              **ui.range_delta(money_range(tgt.net_benefit), caution=verdict.value(tgt.net_benefit) != verdict.GAIN))
ui.chart(figures.scenario_figure(coverage_scenarios(case.inputs), years=years), name="coverage scenario")

if case.naive_current is not None:
    st.info(messages.naive_value_sentence(case), icon=":material/report:")

st.subheader("Where to extend the programme next")
choices = wording.dimension_choices(where_next.DIMENSIONS + where_next.PAIRS)
segments_by = st.multiselect("Groups by", list(choices), default=list(where_next.DIMENSIONS),
                             format_func=choices.get, key="where_next_by",
                             help=f"Single characteristics, or pairs of them (a pair's groups need {WHERE_NEXT_PAIR_MIN} "
                                  "people not mentored to be ranked).") or list(where_next.DIMENSIONS)
ranking = ui.current_where_next(assumptions, tuple(segments_by))
if ranking and h.adjusted and wording.where_next_warning(h.adjusted.hazard_ratio):
    st.warning(wording.where_next_warning(h.adjusted.hazard_ratio), icon=":material/warning:")
if ranking:
    ui.table(messages.where_next_table(ranking[:WHERE_NEXT_ROWS], case.inputs.counts_rounded, years), "where next",
             hide_index=True, column_config={"group": st.column_config.TextColumn(width="medium")})
    st.caption(wording.WHERE_NEXT_NOTE + f" Groups of fewer than {MIN_GROUP_SIZE} people not mentored are not shown.")
else:
    st.caption("No ranking: it needs the honest effect and the business case above.")

st.subheader("Sensitivity: return on investment")
grid = sensitivity(case.inputs)
grid.index = [f"replace at {pct(r)} of salary" for r in grid.index]
grid.columns = [f"{wording.money_exact(c)} per mentee" for c in grid.columns]
st.dataframe(grid.style.format(pct))
st.caption("Return on investment for each replacement cost (rows) and programme cost (columns), "
           "at the honest effect's point estimate." + (f" {wording.NO_CLEAR_EFFECT}" if h.adjusted and verdict.effect(
               h.adjusted.hazard_ratio) == verdict.UNCLEAR else ""))

st.subheader("Inputs and where they came from")
st.dataframe(messages.assumptions_frame(case.inputs), hide_index=True)
followed = wording.followed_note(h.follow_up.n_employees, h.follow_up.people_among(), h.follow_up.rounded)
if followed:  # the people counts above differ: say why
    st.caption(followed)
if not ui.allowed("exports"):
    st.caption(wording.EXPORTS_FOR_ANALYSTS)
    st.stop()
naive_named = wording.naive_case_label(case.inputs.naive_hazard_ratio, case.inputs.hazard_ratio)
st.caption(f"Every output above, with its range and the {naive_named} version, is in the "
           "CSV download.")

st.subheader("Take it into the room")
with st.container(horizontal=True):  # each file is built at the click, from the inputs then (ui.at_click)
    st.download_button("Slides (PowerPoint)", ui.export("deck"), file_name="mentoring_business_case.pptx",
                       mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
                       icon=":material/slideshow:", type="primary", key="download_deck", on_click="ignore")
    st.download_button("One-pager (HTML, prints to PDF)", ui.export("html"), file_name="mentoring_one_pager.html",
                       mime="text/html", icon=":material/description:", key="download_html", on_click="ignore")
    st.download_button("Every table (CSV, zipped)", ui.export("csv"), file_name="mentoring_tables.zip",
                       mime="application/zip", icon=":material/table:", key="download_csv", on_click="ignore")
ui.exports()  # built now for these inputs, so that a click finds them ready
