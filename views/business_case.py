"""Business case: what the honest effect is worth under the programme owner's assumptions."""
import streamlit as st

import ui
from analytics.case import where_next
from analytics.case.business import coverage_scenarios
from analytics.common.policy import (HORIZON_YEARS_RANGE, MIN_GROUP_SIZE, REPLACEMENT_COST_RANGE,
                                     WHERE_NEXT_PAIR_MIN, WHERE_NEXT_ROWS)
from analytics.outputs import figures, messages
from analytics.outputs.messages import money_range
from analytics.words import costs, lasting, verdict, wording
from analytics.words.wording import GALLUP, PERCENT_WIDGET, money, pct

st.title("Business case")
ui.require("business_case")
ui.require_data()
base = ui.current_headline(ui.assumptions())  # as every page has it, before this page's inputs are drawn

coverage_now = base.business.inputs.coverage_now if base.business else 0.0
with st.container(border=True):
    st.markdown("**Your assumptions** (kept while you look at other pages; a default is an assumption until you "
                "change it)")
    cols = st.columns(4)
    lowest = min(100, round(100 * coverage_now))  # the scenario adds mentees; it cannot take any away
    if lowest < 100:
        cols[0].slider("Target share mentored", lowest, 100, format=PERCENT_WIDGET,
                       help=f"Today {pct(coverage_now)} of the people employed now are mentored now (a mentorship "
                            "running); more have ever been mentored.",
                       **ui.remembered("bc_target", lowest=lowest))
    low, high = (round(100 * r) for r in REPLACEMENT_COST_RANGE)
    cols[1].slider("Replacement cost, % of salary", low, high, step=5, format=PERCENT_WIDGET, help=GALLUP,
                   **ui.remembered("bc_replacement"))
    cols[2].number_input("Programme fee per mentee per year", 0, 100_000, step=100,
                         help="The programme's own cost per mentee per year of mentoring: training, administration, "
                              "platform. Mentor and mentee time are counted apart, below.",
                         **ui.remembered("bc_cost"))
    cols[3].selectbox("Horizon (years)", list(range(HORIZON_YEARS_RANGE[0], HORIZON_YEARS_RANGE[1] + 1)),
                      help=lasting.HORIZON_NOTE, **ui.remembered("bc_years"))
    more = st.columns(4)
    more[0].number_input("Mentor's hours a month", 0.0, 40.0, step=0.5, help=costs.MENTOR_HOURS_ASSUMED,
                         **ui.remembered("bc_mentor_hours"))
    more[1].number_input("Mentee's hours a month", 0.0, 40.0, step=0.5, help=costs.MENTEE_HOURS_ASSUMED,
                         **ui.remembered("bc_mentee_hours"))
    more[2].number_input("Discount rate, % a year", 0, 30, step=1, help=costs.DISCOUNT_ASSUMED,
                         **ui.remembered("bc_discount"))
    more[3].text_input("Currency", max_chars=5, placeholder=base.business.inputs.currency if base.business else "$",
                       help="The sign or code money is shown in ($, €, EUR). Left empty: the currency your salaries "
                            "are written in, or $ when they name none. It converts nothing.",
                       **ui.remembered("bc_currency"))
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

x, unit = case.inputs, case.inputs.currency
done, new, first, tgt = case.already_done, case.per_new, case.first_year, case.target
period = wording.per_period(years)


def _money(label: str, r, caution: bool | None = None, **kw) -> None:
    """A money figure with its 95% range (the effect's and the baseline risk's uncertainty)."""
    kw.setdefault("border", True)
    st.metric(label, money(r.estimate, unit), **ui.range_delta("95% range " + money_range(r, unit), prefix="",
              caution=verdict.value(r) != verdict.GAIN if caution is None else caution), **kw)


def _exits(label: str, r) -> None:
    extra = verdict.value(r) == verdict.LOSS  # below zero: mentoring adds exits, said as such
    st.metric(f"Extra exits {label}" if extra else f"Exits avoided {label}", f"{abs(r.estimate):,.1f}", border=True,
              **ui.range_delta(wording.exits_words(r).split("(range ", 1)[1].rstrip(")"),
                               caution=verdict.value(r) != verdict.GAIN))


st.subheader("1. What is the mentoring already done still worth?")
with st.container(horizontal=True):
    st.metric("People ever mentored, employed now", messages.people_words(x, done.people), border=True)
    _exits(period, done.avoided_exits)
    _money(f"Still worth {period}", done.value, help="Replacement costs the exits avoided save. A credit: no cost is set "
           "against it, because it is spent whatever is decided now; so no return on investment.")
st.caption(messages.already_done_sentence(case))

st.subheader("2. What does each 100 new mentees return?")
with st.container(horizontal=True):
    st.metric("Full cost", money(new.programme_cost.estimate, unit), border=True,
              help=f"Fee {wording.money_exact(x.programme_cost_per_mentee, unit)} a year, and "
                   f"{x.mentor_hours_per_month:g} + {x.mentee_hours_per_month:g} hours a month of mentor and mentee "
                   f"time at {wording.money_exact(x.hourly_cost, unit)} an hour: "
                   f"{wording.money_exact(x.full_cost_per_year, unit)} a mentee-year, while the mentoring runs; "
                   f"discounted at {pct(x.discount_rate)} a year.")
    _exits(period, new.avoided_exits)
    _money(f"Value {period}", new.savings)
    _money("Net value", new.net_benefit)
with st.container(horizontal=True):
    st.metric("Return on investment", pct(new.roi.estimate), border=True,
              **(ui.range_delta(f"95% range {pct(new.roi.low)} to {pct(new.roi.high)}", prefix="",
                                caution=verdict.value(new.net_benefit) != verdict.GAIN)
                 if new.roi.estimate is not None else ui.range_delta("no cost, so no ratio", prefix="")))
    pay = new.payback_months
    within = messages.payback_not_within(x.horizon_years)
    st.metric("Pays back in", within if pay.estimate is None else f"{pay.estimate:,.0f} months", border=True,
              **(ui.range_delta("savings below the full cost at the estimate", prefix="", caution=True)
                 if pay.estimate is None else
                 ui.range_delta(f"{pay.low:,.0f} to " + (within if pay.high is None else f"{pay.high:,.0f} months"))),
              help="Months of the estimated savings it takes to cover the full cost. Nothing is counted past the "
                   "horizon, so a cost the horizon's savings do not cover is not paid back within it.")
    _money("First year only: net", first.net_benefit,
           help="The conservative view: the first year's exits avoided alone against the whole cost, not discounted.")
    st.metric("Doing nothing", money(0, unit), border=True,
              **ui.range_delta(f"about {case.do_nothing.get('exits', 0):,.0f} of 100 leave {period}", prefix=""),
              help="No cost and no exits avoided: the line the other figures are set against.")
st.caption(messages.new_mentees_sentence(case) + " " + messages.first_year_sentence(case))
st.info(wording.md(messages.reconcile_sentence(case)), icon=":material/balance:")
st.info(wording.md(messages.lasting_sentence(case)), icon=":material/schedule:")
st.caption(f"Ranges are 95% ranges: they carry the effect's uncertainty and the baseline risk's (how many leave "
           f"at all), not your assumptions'; the sensitivity grid below varies those. {messages.people_words(x, x.people_in_scope)} people employed now, "
           f"{pct(x.coverage_now)} mentored now and {pct(x.ever_mentored_share)} ever mentored; each person's own chance "
           f"of leaving, from their tenure and characteristics, is {pct(x.exit_probability)} on average {period} "
           f"unmentored. {lasting.HORIZON_NOTE}")
if wording.loss_note(new.net_benefit):
    st.warning(wording.loss_note(new.net_benefit), icon=":material/warning:")
if h.adjusted and wording.effect_note(h.adjusted.hazard_ratio):  # harm, or no clear effect: said before any figure
    st.warning(wording.effect_note(h.adjusted.hazard_ratio), icon=":material/help:")

st.subheader(f"If {pct(x.coverage_target)} were mentored")
with st.container(horizontal=True):
    st.metric("New mentees", messages.people_words(x, tgt.mentees), border=True)
    _exits(period, tgt.avoided_exits)
    _money("Net value of the new mentees", tgt.net_benefit)
st.caption(messages.target_sentence(case))
ui.chart(figures.scenario_figure(coverage_scenarios(x), currency=unit, years=years), name="coverage scenario")

if case.naive_per_new is not None:
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
    ui.table(messages.where_next_table(ranking[:WHERE_NEXT_ROWS], case.inputs.counts_rounded, years, unit), "where next",
             hide_index=True, column_config={"group": st.column_config.TextColumn(width="medium")})
    st.caption(wording.WHERE_NEXT_NOTE + f" Groups of fewer than {MIN_GROUP_SIZE} people not mentored are not shown.")
else:
    st.caption("No ranking: it needs the honest effect and the business case above.")

st.subheader("Sensitivity: return on 100 new mentees")
st.dataframe(messages.sensitivity_table(case.inputs))
st.caption("Return on investment of 100 new mentees at their full cost, for each replacement cost (rows) and programme "
           "fee (columns; the mentor and mentee hours as set): at the honest effect's estimate, with the effect's 95% "
           "range in brackets." + (f" {wording.NO_CLEAR_EFFECT}" if h.adjusted and verdict.effect(
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
