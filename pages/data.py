"""Data: upload and map files, validate, load; data quality; as-of date and event settings."""
import json
from datetime import date

import pandas as pd
import streamlit as st

import ui
from analytics import store
from analytics.ingest import prepare_load, read_raw, suggest_mapping
from analytics.schema import EMPLOYEES, MENTORSHIPS, REASON_SYNONYMS

st.title("Data")
if "flash" in st.session_state:  # what the last action did, said once after the page redrew
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")
con = ui.cursor()

# ---------------------------------------------------------------- settings
st.subheader("Analysis settings")
facts = store.data_facts(con)
settled = ui.settings() if facts["n_employees"] else None
with st.container(horizontal=True):
    if settled:
        default_as_of = settled.data_as_of
        chosen = st.date_input("As-of date (data snapshot)", value=settled.as_of,
                               format="YYYY-MM-DD", max_value=max(default_as_of, date.today()),
                               help="Everyone still employed is followed up to this date. "
                                    f"Default: {default_as_of:%Y-%m-%d}, the latest date in the data.")
        chosen = None if chosen == default_as_of else chosen
        if chosen != st.session_state.get("as_of"):
            st.session_state["as_of"] = chosen
            st.rerun()  # the sidebar above was drawn with the old date
    events = {"voluntary": "Voluntary exits", "all": "All exits"}
    current = st.session_state.get("event") or (settled.event if settled else "voluntary")  # as chosen
    event = st.radio("What counts as leaving", list(events), format_func=events.get,
                     index=list(events).index(current), horizontal=True,
                     help="Voluntary exits are the default when the data has termination reasons; "
                          "other exits are then treated as follow-up ending, not as leaving.")
    st.session_state["event"] = event
    if event != current:
        st.rerun()
if settled and not settled.has_reasons and event == "voluntary":
    st.info("The data has no termination reasons, so every exit counts as leaving.")

# ---------------------------------------------------------------- upload
st.subheader("Load your data")
st.caption("Two files, CSV, Parquet or Excel (.xlsx). Dates as YYYY-MM-DD. A load replaces the data "
           "in the dashboard; rows that break a rule are set aside with their row number and reason.")
left, right = st.columns(2)
uploads = {
    "employees": left.file_uploader("Employees", type=["csv", "parquet", "xlsx"], key="upload_employees"),
    "mentorships": right.file_uploader("Mentorships", type=["csv", "parquet", "xlsx"], key="upload_mentorships"),
}

if all(uploads.values()):
    with ui.friendly_errors():
        mapping = {}
        for (table, upload), spec, col in zip(uploads.items(), (EMPLOYEES, MENTORSHIPS), (left, right)):
            raw = read_raw(upload)
            with col.expander(f"Columns of {upload.name} ({len(raw):,} rows)"):
                st.dataframe(raw.head(5), hide_index=True)
                suggested = suggest_mapping(list(raw.columns), spec)
                choices = ["(not in this file)"] + list(raw.columns)
                mapping[table] = {}
                for name in spec.names:
                    default = suggested[name]
                    pick = st.selectbox(f"{name}{' (required)' if name in spec.required else ''}", choices,
                                        index=choices.index(default) if default else 0, key=f"map_{table}_{name}")
                    if pick != choices[0]:
                        mapping[table][name] = pick
        if st.button("Check files", type="primary"):
            with st.spinner("Checking every row…"):
                st.session_state["plan"] = prepare_load(uploads["employees"], uploads["mentorships"],
                                                        mapping=mapping)

plan = st.session_state.get("plan")
if plan is not None and all(uploads.values()):
    report = plan.report()
    with st.container(horizontal=True):
        st.metric("Employees ready", f"{report['employees']['loaded']:,}", border=True)
        st.metric("Mentorships ready", f"{report['mentorships']['loaded']:,}", border=True)
        st.metric("Rows set aside", f"{len(plan.rejects):,}", border=True)
    if len(plan.rejects):
        st.dataframe(pd.DataFrame(report["rejects_by_reason"]), hide_index=True)
        # as tall as its rows, up to about six of them, then it scrolls
        st.dataframe(plan.rejects.drop(columns=["raw"]), hide_index=True, height=min(220, 38 + 35 * len(plan.rejects)),
                     column_config={"table_name": "table", "source_file": "file", "row_number": "row",
                                    "column_name": "column", "reason": st.column_config.TextColumn("reason", width="large")})
        st.download_button("Download rows set aside (CSV)", plan.rejects.to_csv(index=False),
                           file_name="rows_set_aside.csv", mime="text/csv")
    if st.button("Load into the dashboard", type="primary"):
        with ui.friendly_errors(), st.spinner("Loading…"):
            store.load_plan(con, plan)
            del st.session_state["plan"]
            st.session_state.pop("as_of", None)
            ui.clear_caches()
            st.session_state["flash"] = "Loaded. Every page now shows your data."
            st.rerun()  # redraw the sidebar, the settings and the figures below with the new data

# ---------------------------------------------------------------- quality
st.subheader("What is loaded")
facts = store.data_facts(con)
history = store.frame(con, "load_history")
with st.container(horizontal=True):
    st.metric("Employees", f"{facts['n_employees']:,}", border=True)
    st.metric("Mentorships", f"{facts['n_mentorships']:,}", border=True)
    st.metric("Set aside by the last load", f"{facts['n_rejects']:,}", border=True)
    if facts["n_employees"]:
        st.metric("Hires from", f"{pd.Timestamp(facts['first_hire']):%Y-%m-%d}", border=True)
        st.metric("Latest date", f"{pd.Timestamp(facts['last_employee_date']):%Y-%m-%d}", border=True)
if len(history):
    last = history.iloc[-1]
    st.caption(f"Last load: {last['source']} ({last['employees_file']}, {last['mentorships_file']}) "
               f"at {last['loaded_at']:%Y-%m-%d %H:%M} UTC.")

if facts["n_employees"]:
    left, right = st.columns(2)
    with left:
        st.markdown("**Missing values per column**")
        st.dataframe(store.missing_values(con), hide_index=True, height=320,
                     column_config={"missing_pct": st.column_config.NumberColumn("missing %", format="%.1f")})
    with right:
        st.markdown("**Exits by reason**")
        st.dataframe(store.exits_by_reason(con), hide_index=True)
        if len(history):
            mapping_used = json.loads(history.iloc[-1]["report"]).get("reason_mapping", [])
            if mapping_used:
                st.markdown("**How termination reasons were read**")
                st.dataframe(pd.DataFrame(mapping_used), hide_index=True)
        with st.expander("Recognised termination wording"):
            st.dataframe(pd.DataFrame(sorted(REASON_SYNONYMS.items()), columns=["wording", "read as"]),
                         hide_index=True)
    rejected = store.rejects(con)
    if len(rejected):
        st.download_button("Download the rows set aside by the last load (CSV)", rejected.to_csv(index=False),
                           file_name="rows_set_aside.csv", mime="text/csv")

st.subheader("Demo data")
st.caption("A simulated company of 5,000 employees whose true mentoring effect is known.")
if st.button("Restore demo data"):
    with ui.friendly_errors(), st.spinner("Building the demo company…"):
        store.load_demo(con)
        st.session_state.pop("as_of", None)
        ui.clear_caches()
        st.session_state["flash"] = "Demo data restored."
        st.rerun()
