"""Overview: is mentoring keeping people, by how much, what is it worth, how sure are we."""
import streamlit as st

import ui
from analytics.common.policy import (CURVE_MONTHS, FILTERED_ROUNDING, MIN_GROUP_SIZE, count_words, shown_share,
                                     shown_total)
from analytics.outputs import figures, messages
from analytics.words import lasting, verdict, wording

st.title("Is mentoring keeping people?")
ui.require("overview")
ui.require_data()
h = ui.current_headline(ui.assumptions())  # the Business case page's assumptions, as last set
fu = h.follow_up

words = wording.leaving_words(fu.event, fu.regrettable_by)
scope = fu.cohort.describe()
st.caption(f"{wording.md(scope[:1].upper() + scope[1:])} · data as of {fu.as_of:%d %B %Y} · "
           f"leaving means leaving {words}")
for warning in h.warnings:  # about the data as loaded: shown before any figure
    st.warning(wording.md(warning), icon=":material/warning:")

kpi = iter(st.columns([0.85, 1, 1.15, 1.15, 1.3]))  # wider where the labels and ranges are longer
hired_today = h.notes.get("no_follow_up_time", 0)
filtered = fu.rounded  # a filtered group, or a chosen as-of date: totals rounded
total = shown_total(fu.n_employees, filtered)
next(kpi).metric("In scope", count_words(fu.n_employees) if total is None else f"{total:,}",
                 border=True, **(ui.range_delta(f"± {FILTERED_ROUNDING // 2}", prefix="rounded ")
                                 if filtered and total is not None else {}),
                 help=(f"{wording.ROUNDING_NOTE} " if filtered else "")
                      + "Everyone hired on or before the as-of date who matches the filters, leavers included"
                      + (f"; {count_words(hired_today)} hired on the as-of date itself have no time to follow yet, "
                         "so the models leave them out" if hired_today else "") + ".")
next(kpi).metric("Ever mentored", wording.pct(shown_share(fu.n_mentored, fu.n_employees)), border=True,
                 help=f"Of everyone in scope (leavers included), {wording.total_words(fu.n_mentored, filtered)} had a "
                      "mentorship begin while employed: ever mentored, not mentored now. Of the people employed now, "
                      f"{wording.total_words(h.notes.get('mentored_now', 0), filtered)} have a mentorship running on "
                      "the as-of date. The Business case uses the share of the people employed now ever mentored "
                      f"(shares of fewer than {MIN_GROUP_SIZE} people are not shown).")
if h.retention:
    months = wording.months(h.horizon_days)
    for name, label in (("mentored", "Mentored"), ("unmentored", "Unmentored")):
        est = h.retention[name]
        degenerate = verdict.rate(est) != verdict.RATE  # no exits (or no stayers): no range, and no certainty
        next(kpi).metric(f"{label}: {months} mo", verdict.rate(est) if degenerate else wording.pct(est.estimate),
                         border=True,
                         **ui.range_delta(wording.rate_words(est, rounded=filtered).split("(", 1)[-1].rstrip(")")
                                          if degenerate else wording.pct_range(est.lower, est.upper),
                                          prefix="unadjusted, " if degenerate else "unadjusted range "),
                         help=f"{label} people who {wording.staying_words(fu.event, fu.regrettable_by)} {months} months after hire, "
                              "with its 95% range. Unadjusted: people as they are, mentored time counted from "
                              "the day mentoring began; the honest effect below compares like with like.")
if h.business:
    case = h.business
    done, unit = case.already_done.value, case.inputs.currency
    new_net = case.per_new.net_benefit
    next(kpi).metric("Mentoring done: still worth", wording.money(done.estimate, unit), border=True,
                     **ui.range_delta(messages.money_range(done, unit), caution=verdict.value(done) != verdict.GAIN),
                     help="The replacement costs the mentoring already done still saves "
                          + wording.per_period(case.inputs.horizon_years) + ", counting "
                          + lasting.lasting_label(case.inputs.lasting_effect) + ": a credit, with no cost (it is spent). "
                          + messages.new_mentees_sentence(case) + " Assumptions on the Business case page.")
    (st.warning if wording.loss_note(new_net) else st.caption)(
        wording.md(messages.new_mentees_sentence(case) + " " + messages.reconcile_sentence(case)))
if h.retention:
    st.caption(f"The {wording.months(h.horizon_days)}-month figures are unadjusted (people as they are); the honest "
               "effect below compares like with like."
               + (f" The value counts {lasting.lasting_label(h.business.inputs.lasting_effect)}." if h.business
                  else "")
               + (" The value uses the assumptions changed on the Business case page." if ui.assumptions_changed()
                  else ""))

if h.adjusted:
    hr = h.adjusted.hazard_ratio
    kind = verdict.effect(hr)  # green only when the whole range is a benefit; harm in the warning colour
    sure = {verdict.FEWER: st.success, verdict.MORE: st.warning}.get(kind, st.info)
    sure(wording.effect_sentence(hr, bold=True),
         icon={verdict.FEWER: ":material/verified:", verdict.MORE: ":material/trending_up:"}.get(kind, ":material/info:"))
    if wording.effect_note(hr):
        st.warning(wording.effect_note(hr), icon=":material/help:" if kind == verdict.UNCLEAR else ":material/warning:")
else:
    st.warning(wording.no_estimate(h.missing.get("adjusted")), icon=":material/info:")

if h.curves:
    st.subheader(f"{wording.staying_title(fu.event)}, by months since hire")
    fig = figures.survival_figure({"mentored": h.curves.mentored, "unmentored": h.curves.unmentored},
                                  horizon_days=h.horizon_days, max_months=CURVE_MONTHS,
                                  y_title=wording.staying_title(fu.event), rounded=filtered)
    ui.chart(fig, name="retention curves")
    st.caption("Mentored people count as mentored from the day their mentoring began, not from hire. "
               "Shaded bands are 95% ranges. Counts under the chart are people still followed at that month.")

with st.container(border=True):
    st.subheader("How we know")
    if h.naive and h.adjusted:
        st.markdown(wording.how_we_know(h.naive, h.time_varying, h.adjusted))
        if wording.covariates_note(fu.covariates_from, h.adjusted.covariates):
            st.caption(wording.md(wording.covariates_note(fu.covariates_from, h.adjusted.covariates)))
        ui.chart(figures.hazard_ratio_figure(messages.model_effects(h)), name="naive and honest")
        st.caption(wording.e_value_sentence(h.adjusted.e_value, h.adjusted.hazard_ratio))
    else:
        st.write("Not enough data in scope to compare the estimates.")
