"""Methods: naive vs honest estimates, the adjusted model, its checks and sensitivity analyses."""
import pandas as pd
import streamlit as st

import ui
from analytics.common.policy import (CURVE_MONTHS, DAYS_PER_MONTH, HORIZON_CHOICES_MONTHS, RMST_CHOICES_MONTHS,
                                     SIGNIFICANCE, shown_total)
from analytics.outputs import figures, messages
from analytics.words import regrettable, wording
from analytics.words.wording import COVARIATE_LABELS as COVARIATES

st.title("Methods and model checks")
ui.require("methods")
ui.require_data()
with st.expander("Analyst choices (this page only: the Overview and the exports keep the standard ones)"):
    cols = st.columns([1, 1, 3])
    horizon = cols[0].selectbox("Retention horizon", HORIZON_CHOICES_MONTHS, index=HORIZON_CHOICES_MONTHS.index(12),
                                format_func=lambda m: f"{m} months", key="methods_horizon")
    window = cols[1].selectbox("Restricted mean over", RMST_CHOICES_MONTHS, index=RMST_CHOICES_MONTHS.index(24),
                               format_func=lambda m: f"first {m} months", key="methods_window")
    covariates = cols[2].multiselect("Compare like with like on", list(COVARIATES), default=list(COVARIATES),
                                     format_func=COVARIATES.get, key="methods_covariates",
                                     help="What the adjusted (honest) model holds equal. Fewer leaves more of who "
                                          "gets mentored in the estimate.")
choices = dict(horizon_days=round(horizon * DAYS_PER_MONTH), tau_days=round(window * DAYS_PER_MONTH),
               covariates=None if set(covariates) == set(COVARIATES) else tuple(c for c in COVARIATES if c in covariates))
d = ui.current_diagnostics(**choices)
h = d.headline
rounded = h.follow_up.rounded  # a filtered group, or a chosen as-of date: counts to the nearest 5, as its total
if regrettable.NOTES.get(h.follow_up.regrettable_by):  # how the data allowed a regrettable exit to be told
    st.info(regrettable.NOTES[h.follow_up.regrettable_by], icon=":material/info:")

st.subheader("Three ways to measure the same thing")
st.markdown(
    "- **Naive**: people ever mentored vs never mentored, from hire. It can credit mentoring with the months "
    "before it began (*immortal time*: you must stay to be mentored) and with who gets mentored.\n"
    "- **From mentoring start**: each person counts as unmentored until their first mentorship begins, then "
    "as mentored (a time-varying Cox model).\n"
    "- **Honest (adjusted)**: the same, comparing like with like on every usable characteristic.")
reading = wording.naive_of(h.naive.hazard_ratio if h.naive else None, h.adjusted.hazard_ratio if h.adjusted else None)
if h.naive and h.adjusted:  # what the naive figure does here, from the numbers (analytics/words/verdict.py)
    st.markdown(wording.md(wording.naive_claim(h.naive.hazard_ratio, h.time_varying.hazard_ratio if h.time_varying
                                               else None, h.adjusted.hazard_ratio)))
fits = {wording.naive_label(reading, capital=True): h.naive, "From mentoring start": h.time_varying,
        "Adjusted (honest)": h.adjusted, "Adjusted, characteristics at hire (a check)": d.at_hire}
rows = [fit.hazard_ratio.as_row(label, rounded) for label, fit in fits.items() if fit]
if rows:
    ui.table(pd.DataFrame(rows)[["label", "estimate", "lower", "upper", "p", "n", "events"]]
             .rename(columns={"label": "model", "estimate": "hazard ratio", "n": "rows"}), "model comparison",
             hide_index=True, column_config={"p": st.column_config.NumberColumn(format="%.2g"),
                                                 "hazard ratio": st.column_config.NumberColumn(format="%.3f"),
                                                 "lower": st.column_config.NumberColumn(format="%.3f"),
                                                 "upper": st.column_config.NumberColumn(format="%.3f")})
    ui.chart(figures.hazard_ratio_figure({k: v.hazard_ratio if v else None for k, v in fits.items()}), name="naive and honest")
    if d.at_hire:
        st.caption(wording.AT_HIRE_NOTE)
    followed = wording.followed_note(h.follow_up.n_employees, h.follow_up.people_among(), rounded)
    if followed:  # the sidebar's people in scope and the models' differ: say why
        st.caption(followed)
for key, why in h.missing.items():
    # the business case is not on this page (and reckoned here without the user's assumptions); the phases: below
    if key not in ("business_case", "mentoring_phases"):
        st.caption(f"{key.replace('_', ' ')}: {wording.md(why)}")

if h.retention or h.rmst:
    st.subheader(f"Still here at {horizon} months, and months kept of the first {window}")
    ui.table(messages.retention_table(h, rounded), "retention at the horizon", hide_index=True)
    st.caption("Unadjusted, as they are; mentored people count from the day their mentoring began.")

if h.adjusted and h.adjusted.e_value:
    ev = h.adjusted.e_value
    st.subheader("What an unmeasured factor would need (E-value)")
    st.dataframe(pd.DataFrame([{"hazard ratio": h.adjusted.hazard_ratio.estimate, "as a risk ratio": ev.risk_ratio,
                                "E-value": ev.estimate, "E-value of the limit nearer 1": ev.ci}]),
                 hide_index=True, column_config={c: st.column_config.NumberColumn(format="%.2f")
                                                 for c in ("hazard ratio", "as a risk ratio", "E-value",
                                                           "E-value of the limit nearer 1")})
    st.caption(wording.e_value_sentence(ev, h.adjusted.hazard_ratio) + " VanderWeele & Ding (2017); "
               + ("the hazard ratio is first converted to a risk ratio, as leaving is common here "
                  "(VanderWeele 2017)." if ev.common_outcome else "leaving is rare here, so the hazard ratio "
                                                                     "stands for the risk ratio."))

if h.adjusted:
    st.subheader("The adjusted model")
    if wording.covariates_note(h.follow_up.covariates_from, h.adjusted.covariates):
        st.markdown(wording.md(wording.covariates_note(h.follow_up.covariates_from, h.adjusted.covariates)))
    table = h.adjusted.result.summary_.drop(columns=["z"])
    ui.table(table, "adjusted model", hide_index=True, height=300,
                 column_config={c: st.column_config.NumberColumn(format="%.3f") for c in table.columns[1:-1]}
                 | {"p": st.column_config.NumberColumn(format="%.2g")})
    if h.adjusted.references:
        st.caption("Each characteristic is compared with its largest group: "
                   + wording.md("; ".join(f"{COVARIATES.get(k, k)}: {v}" for k, v in h.adjusted.references.items()))
                   + ". A hazard ratio below 1 means fewer exits than that group.")
    if h.adjusted.dropped:
        st.caption("Left out: " + "; ".join(f"{k.replace('_', ' ')} ({v})" for k, v in h.adjusted.dropped.items()))
    if h.adjusted.pooled:
        st.caption(wording.pooled_words(h.adjusted.pooled))
    lr = h.adjusted.result.likelihood_ratio_test()
    st.caption(f"Likelihood-ratio test of the model: chi-square {lr.statistic:.1f} on {lr.df} df, p = {lr.p:.2g}. "
               f"Efron ties; risk sets as R's survival package.")

st.subheader("While mentored, and after mentoring ended")
if d.phases is not None:
    phases = d.phases.to_dict(h.follow_up.rounded)
    st.markdown(wording.md(wording.phases_words(phases)))
    st.caption("The adjusted model again, with mentoring split in two: a mentorship running, and every one begun "
               "having ended (a mentorship with no end date runs on). The headline counts people as mentored for "
               "good from their first mentorship's start.")
else:
    st.caption(wording.md(f"Not estimated: {d.missing.get('mentoring_phases', 'not enough data')}."))

if h.follow_up.covariates_from == "history":
    st.subheader("Promotions and internal moves")
    for outcome, effect in (d.outcomes or {}).items():
        if effect is not None:
            st.markdown(wording.md(wording.outcome_words(outcome, effect.hazard_ratio.to_dict(),
                                                         effect.to_dict(h.follow_up.rounded)["with_outcome"])))
        else:
            why = d.missing.get(f"outcome_{outcome}", f"not enough data for {outcome.replace('_', ' ')}s")
            st.caption(wording.md(f"{why[:1].upper()}{why[1:]}."))
    st.caption(wording.OUTCOMES_NOTE)

if d.ph_test is not None:
    st.subheader("Does the effect hold over time? (proportional hazards)")
    ui.table(d.ph_test, "proportional hazards test", hide_index=True,
                 column_config={"chisq": st.column_config.NumberColumn(format="%.2f"),
                                "p": st.column_config.NumberColumn(format="%.3f")})
    flagged = [t for t, p in zip(d.ph_test["term"], d.ph_test["p"]) if t != "GLOBAL" and p < SIGNIFICANCE]
    shown = ["mentored"] + [t for t in flagged if t != "mentored"]
    st.caption("Grambsch-Therneau test on scaled Schoenfeld residuals (R's cox.zph, KM transform). "
               + (f"Flagged at {wording.pct(SIGNIFICANCE)}: {wording.md(', '.join(flagged))}." if flagged
                  else f"Nothing is flagged at {wording.pct(SIGNIFICANCE)}."))
    if d.schoenfeld is not None:
        cols = st.columns(min(len(shown), 2))
        for i, term in enumerate(shown[:4]):
            column = next((c for c in d.schoenfeld.columns if c == term or c.startswith(term + "=")), None)
            if column:
                cols[i % len(cols)].markdown(f"**Effect of {wording.md(column)} over time** (flat = proportional)")
                ui.chart(figures.schoenfeld_figure(d.schoenfeld, column), cols[i % len(cols)], name=f"over time {column}")

st.subheader("Landmark check")
marks = [(m, lm) for m, lm in d.landmarks.items() if lm]
if marks:
    st.dataframe(pd.DataFrame([lm.hazard_ratio.as_row(f"{m} months", rounded)
                               | {"mentored by then": shown_total(lm.n_mentored, rounded),
                                  "not mentored": shown_total(lm.n_unmentored, rounded)}
                               for m, lm in marks]).drop(columns=["level", "n"]),
                 hide_index=True, column_config=ui.HR_COLUMNS)
    st.caption("People still employed at the landmark, grouped by whether they were mentored by then, "
               "followed from the landmark on. Unadjusted; a check on the time-varying estimate.")

if d.exit_causes:
    st.subheader("Voluntary and involuntary exits (competing risks)")
    ui.chart(figures.incidence_figure(d.exit_causes, max_months=CURVE_MONTHS, rounded=rounded),
             name="exits by kind")
if d.exit_causes_by_mentoring:
    st.markdown("**The same, in mentored and not mentored time**")
    ui.chart(figures.incidence_by_group_figure(d.exit_causes_by_mentoring, max_months=CURVE_MONTHS,
                                               rounded=rounded),
             name="exits by kind and mentoring")
    st.caption("Mentored people enter the mentored lines on the day their mentoring began (and leave the "
               "others then), so the months before mentoring are not credited to it. Unadjusted.")

st.subheader("Like with like at the moment mentoring begins (a target trial)")
trial, why_not = ui.current_trial()
if trial is None:
    st.caption(wording.md(f"{why_not[:1].upper()}{why_not[1:]}."))
else:
    st.markdown(wording.md(messages.trial_sentence(trial, 12, rounded)))
    ui.table(messages.trial_table(trial), "target trial risks", hide_index=True)
    for line in messages.trial_checks(trial, rounded):
        st.caption(wording.md(line))
    with st.expander("Balance of each characteristic, before and after weighting"):
        ui.table(messages.balance_frame(trial), "target trial balance", hide_index=True)
    note = wording.covariates_note(trial.covariates_from, ("job_level", "department", "location", "log_salary",
                                                           "performance_rating"))
    if note:
        st.caption(wording.md(note))

left, right = st.columns([2, 3])
with left:
    st.subheader("Mentors' own retention")
    if d.mentors:
        st.markdown(f"After they first mentored someone, mentors were **{wording.hr_words(d.mentors.hazard_ratio)}** "
                    "to leave than comparable colleagues who had not (yet) mentored.")
        st.caption("Being a mentor as a time-varying covariate of the mentor's own exits, adjusted.")
    else:
        st.caption(d.missing.get("mentors", "not available"))
with right:
    st.subheader("Meetings (dose-response)")
    if d.meetings:
        dose = pd.DataFrame([e.as_row(rounded) for e in d.meetings])
        dose["95% range"] = [f"{lo:.2f}–{hi:.2f}" if pd.notna(lo) else "–" for lo, hi in zip(dose["lower"], dose["upper"])]
        st.dataframe(dose[["group", "people", "exits", "estimate", "95% range", "p"] + (["note"] if dose["note"].notna().any() else [])],
                     hide_index=True, column_config=ui.HR_COLUMNS)
        st.caption("Meetings pile up the longer people stay, so people who left early had fewer: "
                   "a rising benefit with more meetings is partly that, not proof of a dose effect.")
    else:
        st.caption(d.missing.get("meetings", "not available"))

if ui.allowed("exports") and not ui.allowed("row_exports"):
    st.subheader("Take it elsewhere")
    st.caption(wording.ROW_EXPORTS_FOR_ADMINS)
elif ui.allowed("row_exports"):
    st.subheader("Take it elsewhere")
    st.caption("The rows this page's models use, for R, Python or a BI tool: one row per employee (follow-up from "
               "hire to leaving or the as-of date), or the models' intervals ((start, stop] days since hire, split "
               "where mentoring began). They hold each person's record: keep them as you keep the HR data.")
    with st.container(horizontal=True):  # each file is built at the click, for the cohort then (ui.at_click)
        for rows, fmt in ui.ANALYSIS_FILES:
            st.download_button(f"{'People' if rows == 'people' else 'Intervals'} ({fmt.upper()})",
                               ui.analysis_file(rows, fmt), file_name=f"mentoring_{rows}.{fmt}",
                               key=f"analysis_{rows}_{fmt}", on_click="ignore",
                               mime="text/csv" if fmt == "csv" else "application/octet-stream",
                               icon=":material/download:")
    ui.analysis_files()  # built now, so that a click finds them ready
    st.caption("The notebook `notebooks/analyst.ipynb` runs on the same engine, on the demo company; its first "
               "cell says how to point it at your own files. Open it in Jupyter from the project folder, or run it "
               "unattended with `PYTHONPATH=$PWD .venv/bin/jupyter-execute notebooks/analyst.ipynb` (installed by "
               "`make test`). "
               "`python -m analytics export` writes the files above from the command line.")
