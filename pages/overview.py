"""Overview: is mentoring keeping people, by how much, what is it worth, how sure are we."""
import streamlit as st

import ui
from analytics import figures

st.title("Is mentoring keeping people?")
ui.require_data()
h = ui.current_headline(ui.assumptions())  # the Business case page's assumptions, as last set
fu = h.follow_up

words = "voluntarily" if fu.event == "voluntary" else "for any reason"
scope = fu.cohort.describe()
st.caption(f"{scope[:1].upper()}{scope[1:]} · data as of {fu.as_of:%d %B %Y} · "
           f"leaving means leaving {words}")

kpi = iter(st.columns([0.85, 1, 1.15, 1.15, 1.3]))  # wider where the labels and ranges are longer
next(kpi).metric("In scope", f"{fu.n_employees:,}", border=True,
                 help="Everyone hired on or before the as-of date who matches the filters.")
next(kpi).metric("Ever mentored", ui.pct(ui.shown_share(fu.n_mentored, fu.n_employees)), border=True,
                 help=f"{ui.count_words(fu.n_mentored)} people had a mentorship begin while they were employed "
                      f"(shares of fewer than {ui.MIN_GROUP_SIZE} people are not shown).")
if h.retention:
    months = h.horizon_days / 30.4375
    for name, label in (("mentored", "Mentored"), ("unmentored", "Unmentored")):
        est = h.retention[name]
        next(kpi).metric(f"{label}: {months:.0f} mo", ui.pct(est.estimate), border=True,
                         **ui.range_delta(f"{ui.pct(est.lower)}–{ui.pct(est.upper)}"),
                         help=f"{label} people still employed {months:.0f} months after hire, "
                              "with its 95% range.")
if h.business:
    net = h.business.current.net_benefit
    next(kpi).metric(ui.value_label(h.business.inputs.horizon_years), ui.money(net.estimate), border=True,
                     **ui.range_delta(f"{ui.money(net.low)} to {ui.money(net.high)}"),
                     help="Net of programme cost. Assumptions on the Business case page.")

if h.adjusted:
    hr = h.adjusted.hazard_ratio
    sure = st.success if hr.upper < 1 else st.info  # green only when the whole range is a benefit
    sure(f"**Mentored employees were {ui.hr_words(hr)} to leave in any given month** than comparable "
         f"colleagues who were not (yet) mentored.", icon=":material/verified:" if hr.upper < 1 else ":material/info:")
    if hr.upper >= 1:
        st.warning("The range includes no effect at all: the data cannot rule out that mentoring makes no "
                   "difference here.", icon=":material/help:")
else:
    st.warning(f"No honest estimate for this group: {h.missing.get('adjusted')}", icon=":material/info:")

if h.curves:
    st.subheader("Who is still here, by months since hire")
    fig = figures.survival_figure({"mentored": h.curves.mentored, "unmentored": h.curves.unmentored},
                                  horizon_days=h.horizon_days, max_months=60)
    st.plotly_chart(fig, config={"displaylogo": False})
    st.caption("Mentored people count as mentored from the day their mentoring began, not from hire. "
               "Shaded bands are 95% ranges. Counts under the chart are people still followed at that month.")

with st.container(border=True):
    st.subheader("How we know")
    if h.naive and h.adjusted:
        st.markdown(
            f"- A simple report comparing people who were *ever* mentored with those who never were would say "
            f"mentored people are **{ui.hr_words(h.naive.hazard_ratio)}** to leave. That overstates it.\n"
            f"- It counts the months *before* mentoring began as mentored time: someone mentored in month 10 "
            f"had to stay 10 months to be mentored at all. Counting mentoring only from its start gives "
            f"**{ui.hr_words(h.time_varying.hazard_ratio)}**.\n"
            f"- Mentoring also tends to go to people who were likely to stay (better rated, more senior). "
            f"Comparing like with like ({', '.join(h.adjusted.covariates).replace('_', ' ')}) gives the honest "
            f"figure: **{ui.hr_words(h.adjusted.hazard_ratio)}**.")
        st.plotly_chart(figures.hazard_ratio_figure({
            "Naive report (overstated)": h.naive.hazard_ratio,
            "From mentoring start": h.time_varying.hazard_ratio,
            "Honest: like with like": h.adjusted.hazard_ratio}), config={"displaylogo": False})
    else:
        st.write("Not enough data in scope to compare the estimates.")
