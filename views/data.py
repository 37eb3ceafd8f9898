"""Data: upload and map files, validate, load; refresh from the warehouse; data quality; as-of date and event
settings."""
import hashlib
import json
from datetime import date

import pandas as pd
import streamlit as st

import ui
from analytics.common.errors import InputFileError
from analytics.common.policy import KEEP_LOADS, MAX_MEANINGS_SHOWN
from analytics.intake import formats
from analytics.intake.headers import suggest_mapping
from analytics.intake.prepare import prepare_load, template_csv
from analytics.intake.reading import ParsedFile, find_header_row, found_sheet, parse_file, read_raw, sheet_names
from analytics.intake.schema import (CHANGE_REASONS, EMPLOYEES, JOB_HISTORY, MENTORSHIPS, PROGRAM_MEANINGS,
                                     REASON_RULES, TERMINATION_REASONS)
from analytics.outputs.deck import checked_logo
from analytics.store import database, loads, queries, warehouse
from analytics.words.wording import label, md, to_csv

st.title("Data")
ui.require("data")
if "flash" in st.session_state:  # what the last action did, said once after the page redrew
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")
con = ui.cursor()

# ---------------------------------------------------------------- settings
st.subheader("Analysis settings")
facts = queries.data_facts(con)
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
    events = {"voluntary": "Voluntary exits", "regrettable": "Regrettable exits", "all": "All exits"}
    if not (settled and queries.regrettable_by(facts)):
        events.pop("regrettable")  # flagged, or by the top-rated: the data needs reasons, and flags or ratings
    current = st.session_state.get("event") or (settled.event if settled else "voluntary")  # as chosen
    current = current if current in events else "voluntary"
    event = st.radio("What counts as leaving", list(events), format_func=events.get,
                     index=list(events).index(current), horizontal=True,
                     help="Voluntary exits are the default when the data has termination reasons; "
                          "other exits are then treated as follow-up ending, not as leaving. Regrettable exits are "
                          "the voluntary exits the employee file flags as regrettable (everyone is then followed) "
                          "or, where it flags none, those of people rated at the top of the scale (only they are "
                          "then followed).")
    st.session_state["event"] = event
    if event != current:
        st.rerun()
if settled and not settled.has_reasons and event == "voluntary":
    st.info("The data has no termination reasons, so every exit counts as leaving.")

# ---------------------------------------------------------------- upload
st.subheader("Load your data")
st.caption("Two files, and a job history if you have one, CSV, Parquet or Excel (.xlsx), as your HR system exports "
           "them: the header row, the column names, the date format and the wording of reasons, programmes and "
           "changes are found and shown before anything loads. A load replaces the data in the dashboard (a load "
           "without a job history leaves none); rows that break a rule are set aside with their row number and "
           "reason.")
TITLES = {"employees": "Employees", "mentorships": "Mentorships", "job_history": "Job history (optional)"}
SPECS = {"employees": EMPLOYEES, "mentorships": MENTORSHIPS, "job_history": JOB_HISTORY}
with st.container(horizontal=True):
    for table in TITLES:
        st.download_button(f"Template: {table.replace('_', ' ')} (CSV)", template_csv(table),
                           file_name=f"{table}_template.csv", mime="text/csv", icon=":material/download:",
                           key=f"template_{table}")
COLUMNS = dict(zip(TITLES, st.columns(3)))
uploads = {table: COLUMNS[table].file_uploader(title, type=["csv", "parquet", "xlsx"], key=f"upload_{table}",
                                               help="One dated row per change of job level, department, location, "
                                                    "manager, pay or rating; an empty cell means unchanged."
                                               if table == "job_history" else None)
           for table, title in TITLES.items()}
given = {table: upload for table, upload in uploads.items() if upload is not None}
NOT_IN_FILE = "(not in this file)"
DIGESTS = {table: hashlib.sha256(u.getvalue()).hexdigest() for table, u in uploads.items() if u is not None}  # once a run
for table, upload in uploads.items():
    if upload is None:  # a file taken off: what was read of it goes too
        st.session_state.pop(f"parsed_{table}", None)
        st.session_state.pop(f"preview_{table}", None)


def parsed(table: str) -> ParsedFile:
    """The upload read once, kept by its bytes' hash (reading.parse_file: every bound checked before it is parsed):
    the header row, the preview and the check take it, so a redraw parses nothing again. A refusal is kept too."""
    key = (DIGESTS[table], uploads[table].name)
    kept = st.session_state.get(f"parsed_{table}")
    if kept is None or kept[0] != key:
        try:
            kept = (key, parse_file(uploads[table]), None)
        except InputFileError as exc:
            kept = (key, None, exc)
        st.session_state[f"parsed_{table}"] = kept
    if kept[2] is not None:
        raise kept[2]
    return kept[1]


def preview(table: str, spec, header_row: int | None, sheet: str | None = None):
    """The upload's rows under its header (reading.read_raw), kept while the file, its sheet and the header row stay."""
    key = (DIGESTS[table], uploads[table].name, header_row, sheet)
    kept = st.session_state.get(f"preview_{table}")
    if kept is None or kept[0] != key:
        kept = (key, read_raw(parsed(table), spec=spec, header_row=header_row, sheet=sheet))
        st.session_state[f"preview_{table}"] = kept
    return kept[1]


def signature(mapping: dict, header_rows: dict, date_format: str | None, sheets: dict | None = None) -> tuple:
    """What a check depends on: the files' contents and every choice made about them."""
    return (fingerprints(), json.dumps(mapping, sort_keys=True), json.dumps(header_rows, sort_keys=True), date_format,
            json.dumps(sheets or {}, sort_keys=True))


def fingerprints() -> tuple[str, ...]:
    return tuple(digest[:16] for digest in DIGESTS.values())


def check(mapping: dict, header_rows: dict, date_format: str | None, meanings: dict | None = None,
          sheets: dict | None = None) -> None:
    """Read and validate the files; a date column that cannot tell day from month asks below."""
    meanings = meanings or {}
    options = loads.remembered_options(con, date_format, meanings.get("termination_reason"),
                                       meanings.get("program_type"), meanings.get("change_reason"))
    try:
        plan = prepare_load(parsed("employees"), parsed("mentorships"),
                            parsed("job_history") if "job_history" in given else None, mapping=mapping,
                            header_rows=header_rows, options=options, sheets=sheets)
    except InputFileError as exc:
        st.session_state["ambiguous_dates"] = exc.ambiguous_dates or st.session_state.get("ambiguous_dates", ())
        raise
    st.session_state["plan"] = plan
    st.session_state["plan_inputs"] = (mapping, header_rows, date_format, meanings, sheets)
    st.session_state["plan_signature"] = signature(mapping, header_rows, date_format, sheets)
    st.session_state.pop("ambiguous_dates", None)  # answered: the question goes


if fingerprints() != st.session_state.get("upload_fingerprints"):  # other files: earlier answers do not apply
    st.session_state["upload_fingerprints"] = fingerprints()
    for key in ("plan", "plan_inputs", "plan_signature", "ambiguous_dates", "asked_dates", "date_answer"):
        st.session_state.pop(key, None)
current = None  # the signature of the form as it stands; the checked plan is shown only while it matches

ready = bool(uploads["employees"] and uploads["mentorships"])  # the job history is optional
if ready:
    mapping, header_rows, sheets = {}, {}, {}
    for table, upload in given.items():
        spec = SPECS[table]
        with COLUMNS[table], ui.friendly_errors():  # a file's problem is said under it; the other files' forms stay
            titles = sheet_names(parsed(table))
            if len(titles) > 1:  # a workbook: the sheet whose header names the most columns, unless the user says
                first = found_sheet(parsed(table), spec=spec)
                pick = st.selectbox(f"Sheet of {label(upload.name)}", titles, index=titles.index(first),
                                    key=f"sheet_{table}_{DIGESTS[table][:16]}",
                                    help="Found by its column names: a cover or a summary before the data is passed "
                                         "over.")
                sheets[table] = None if pick == first else pick  # the one found is read as found (and said so)
            found = find_header_row(parsed(table), spec=spec, sheet=sheets.get(table))
            if not upload.name.lower().endswith((".parquet", ".pq")):
                header_rows[table] = int(st.number_input(
                    f"Header row of {label(upload.name)}", min_value=1, value=found, step=1,
                    key=f"header_{table}_{DIGESTS[table][:16]}_{sheets.get(table)}",
                    help="The row that holds the column names; rows above it (titles, report settings) are skipped."))
            raw = preview(table, spec, header_rows.get(table), sheets.get(table))
            st.caption(f"{len(raw.frame):,} rows below the header on row {raw.header_row}"
                       + (", found by its column names." if raw.header_row == found != 1 else "."))
            suggested = suggest_mapping(list(raw.frame.columns), spec)
            unfound = [name for name in spec.required if suggested[name] is None]
            with st.expander(f"Columns of {label(upload.name)}", expanded=raw.header_row != 1 or bool(unfound)):
                st.dataframe(raw.frame.head(5), hide_index=True)
                choices = [NOT_IN_FILE] + list(raw.frame.columns)
                mapping[table] = {}
                for name in spec.names:
                    default = suggested[name]
                    pick = st.selectbox(f"{name}{' (required)' if name in spec.required else ''}", choices,
                                        index=choices.index(default) if default else 0,
                                        key=f"map_{table}_{name}_{fingerprints()}_{raw.header_row}_{sheets.get(table)}")
                    mapping[table][name] = None if pick == NOT_IN_FILE else pick
    date_format = st.session_state.get("date_answer")  # kept apart from its widget, which is not always drawn
    current = signature(mapping, header_rows, date_format, sheets)
    if st.button("Check files", type="primary", disabled=len(mapping) < len(given)):
        with ui.friendly_errors(), ui.engine_steps("check_files"):
            check(mapping, header_rows, date_format, sheets=sheets)
    asked = st.session_state.get("ambiguous_dates") or st.session_state.get("asked_dates")
    if asked:
        st.session_state["asked_dates"] = asked
        answer = st.session_state.get("date_answer")
        st.radio(f"Dates in {', '.join(asked)} could be either way round (every day is 12 or under). "
                 "How does your HR system write them?", formats.DAY_MONTH_CHOICES,
                 format_func=lambda f: f"{f} (03/04/2021 is {'4 March' if f.startswith('MM') else '3 April'})",
                 index=formats.DAY_MONTH_CHOICES.index(answer) if answer else None, key="date_question",
                 horizontal=True, on_change=lambda: st.session_state.update(date_answer=st.session_state["date_question"]))
        if st.session_state.get("ambiguous_dates"):
            st.caption("Choose, then check the files again.")

plan = st.session_state.get("plan")
if plan is not None and current != st.session_state.get("plan_signature"):
    st.info("The files or the choices above changed since they were checked: check the files again.",
            icon=":material/refresh:")
    plan = None
if plan is not None and ready:
    report = plan.report()
    with st.container(horizontal=True):
        st.metric("Employees ready", f"{report['employees']['loaded']:,}", border=True)
        st.metric("Mentorships ready", f"{report['mentorships']['loaded']:,}", border=True)
        if "job_history" in report:
            merged = report["job_history"].get("merged", 0)
            st.metric("Job history rows ready", f"{report['job_history']['loaded']:,}", border=True,
                      help=f"{merged:,} rows on the same day as another row of the same person were merged into it."
                      if merged else None)
        st.metric("Rows set aside", f"{len(plan.rejects):,}", border=True)
    for warning in report["warnings"]:
        st.warning(md(warning), icon=":material/warning:")
    read_as = [f"{t}: sheet '{s}'" for t, s in report.get("sheets", {}).items()]
    read_as += [f"{t}: header on row {r}" for t, r in report["header_rows"].items() if r != 1]
    read_as += [f"{t}.{c} read as {f}" for t, found in report["date_formats"].items() for c, f in found.items()]
    read_as += [f"{t}: columns not used: {', '.join(cols)}" for t, cols in report["ignored_columns"].items() if cols]
    if read_as:
        st.caption("How the files were read: " + md("; ".join(read_as)) + ".")
    if len(plan.rejects):
        st.dataframe(pd.DataFrame(report["rejects_by_reason"]), hide_index=True)
        # as tall as its rows, up to about six of them, then it scrolls
        st.dataframe(plan.rejects.drop(columns=["raw"]), hide_index=True, height=min(220, 38 + 35 * len(plan.rejects)),
                     column_config={"table_name": "table", "source_file": "file", "row_number": "row",
                                    "column_name": "column", "reason": st.column_config.TextColumn("reason", width="large")})
        st.download_button("Download rows set aside (CSV)", to_csv(plan.rejects),
                           file_name="rows_set_aside.csv", mime="text/csv")
    edits = {}
    for field, key, title, allowed in (("termination_reason", "reason_mapping", "What each termination reason means",
                                        TERMINATION_REASONS),
                                       ("program_type", "program_mapping", "What each programme type means",
                                        PROGRAM_MEANINGS),
                                       ("change_reason", "change_mapping", "What each job change reason means",
                                        CHANGE_REASONS)):
        rows = report[key][:MAX_MEANINGS_SHOWN]
        if not rows:
            continue
        with st.expander(f"{title} ({len(report[key])} wordings)", expanded=True):
            head = st.columns([3, 1, 2])
            head[0].markdown("**wording in the file**")
            head[1].markdown("**rows**")
            head[2].markdown("**means**")
            for i, item in enumerate(rows):
                line = st.columns([3, 1, 2], vertical_alignment="center")
                line[0].markdown(md(item["given"]) + (" · *not clear who decided: say what it means*"
                                                      if item["by"] == "asked" else ""))
                line[1].write(f"{item['rows']:,}")
                asked = item["by"] == "asked"  # not guessed: read as "other" until a meaning is chosen here
                chosen = line[2].selectbox(label(item["given"]), allowed,
                                           index=None if asked else allowed.index(item["mapped_to"]),
                                           placeholder="not clear: choose", key=f"means_{field}_{i}_{item['given']}",
                                           label_visibility="collapsed")
                if chosen is not None and (chosen != item["mapped_to"] or asked):
                    edits.setdefault(field, {})[item["given"]] = chosen
            if len(report[key]) > len(rows):
                st.caption(f"The {len(report[key]) - len(rows)} rarest wordings are read by rule; give their "
                           "meaning in the file or with the CLI's --reason-map / --program-map / --change-map.")
    if edits:  # a changed meaning: read the files again with it, so the figures below match
        mapping, header_rows, date_format, meanings, sheets = st.session_state["plan_inputs"]
        merged = {f: {**meanings.get(f, {}), **edits.get(f, {})}
                  for f in ("termination_reason", "program_type", "change_reason")}
        with ui.friendly_errors():
            check(mapping, header_rows, date_format, merged, sheets)
            st.rerun()
    sure = st.checkbox("Replace the data in the dashboard with these files (what is there now is kept and can "
                       "be brought back)", key=f"confirm_load_{ui.data_version()}")
    if st.button("Load into the dashboard", type="primary", disabled=not sure):
        with ui.friendly_errors(), ui.engine_steps("load"):
            loads.load_plan(con, plan)
            for key in ("plan", "plan_inputs", "plan_signature", "as_of", "event"):  # new data: its own defaults
                st.session_state.pop(key, None)
            ui.clear_caches()
            st.session_state["flash"] = "Loaded. Every page now shows your data."
            st.rerun()  # redraw the sidebar, the settings and the figures below with the new data

# ---------------------------------------------------------------- warehouse
st.subheader("From the warehouse")
source = loads.saved_source(con)
if source is None:
    st.caption("Load from PostgreSQL once with the command line (tables, or queries with --employees-query and "
               "--mentorships-query); the source is then kept here, so this page can refresh from it:")
    st.code(warehouse.EXAMPLE, language=None)  # plain: the highlighter's colours are below 4.5:1
    st.caption("The password comes from the address, PGPASSWORD or a .pgpass file, and is never stored: for "
               "refreshing here, set PGPASSWORD or a .pgpass file where the dashboard runs.")
else:
    read_from = "; ".join(f"{t.replace('_', ' ')} from " + (f"table {source['tables'][t]}" if t in source["tables"]
                                                             else "a query")
                          for t in warehouse.TABLES if t in source["tables"] or t in source.get("queries", {}))
    st.caption(f"Saved source: {md(source['url'])}, {md(read_from)}; saved {source['saved_at']:%Y-%m-%d %H:%M} UTC "
               "by the last load from the warehouse. The password comes from PGPASSWORD or a .pgpass file where the "
               "dashboard runs; it is never stored.")
    if source.get("queries"):
        with st.expander("The queries"):
            for table, query in source["queries"].items():
                st.caption(table)
                st.code(query, language=None)
    sure_refresh = st.checkbox("Replace the data with a fresh read of the warehouse (what is there now is kept and "
                               "can be brought back)", key=f"confirm_refresh_{ui.data_version()}")
    if st.button("Refresh from the warehouse", disabled=not sure_refresh):
        with ui.friendly_errors(), ui.engine_steps("refresh"):
            report = warehouse.refresh(con)
            for key in ("as_of", "event"):  # new data: its own defaults
                st.session_state.pop(key, None)
            ui.clear_caches()
            st.session_state["flash"] = " ".join(
                [f"Refreshed from the warehouse: {report['employees']['loaded']:,} employees, "
                 f"{report['mentorships']['loaded']:,} mentorships, "
                 + (f"{report['job_history']['loaded']:,} job history rows, " if "job_history" in report else "")
                 + f"{sum(report[t]['rejected'] for t in warehouse.TABLES if t in report):,} rows set aside."]
                + [f"Warning: {w}" for w in report["warnings"]])
            st.rerun()

# ---------------------------------------------------------------- quality
st.subheader("What is loaded")
facts = queries.data_facts(con)
history = database.frame(con, "load_history")
with st.container(horizontal=True):
    st.metric("Employees", f"{facts['n_employees']:,}", border=True)
    st.metric("Mentorships", f"{facts['n_mentorships']:,}", border=True)
    st.metric("Job history rows", f"{database.count(con, 'job_history'):,}", border=True)
    st.metric("Set aside by the last load", f"{facts['n_rejects']:,}", border=True)
    if facts["n_employees"]:
        st.metric("Hires from", f"{pd.Timestamp(facts['first_hire']):%Y-%m-%d}", border=True)
        st.metric("Latest date", f"{pd.Timestamp(facts['last_employee_date']):%Y-%m-%d}", border=True)
if len(history):
    last = history.iloc[-1]
    files = [last["employees_file"], last["mentorships_file"]] + ([last["job_history_file"]]
                                                                   if pd.notna(last["job_history_file"]) else [])
    st.caption(f"Last load: {md(last['source'])} ({', '.join(md(f) for f in files)}) "
               f"at {last['loaded_at']:%Y-%m-%d %H:%M} UTC.")

if facts["n_employees"]:
    left, right = st.columns(2)
    with left:
        st.markdown("**Missing values per column**")
        st.dataframe(queries.missing_values(con), hide_index=True, height=320,
                     column_config={"missing_pct": st.column_config.NumberColumn("missing %", format="%.1f")})
    with right:
        st.markdown("**Exits by reason**")
        st.dataframe(queries.exits_by_reason(con), hide_index=True)
        if len(history):
            last_report = json.loads(history.iloc[-1]["report"])
            for key, what in (("reason_mapping", "termination reasons"), ("program_mapping", "programme types"),
                              ("change_mapping", "job change reasons")):
                if last_report.get(key):
                    st.markdown(f"**How {what} were read**")
                    st.dataframe(pd.DataFrame(last_report[key]), hide_index=True)
            unused = [f"{t}: {', '.join(c)}" for t, c in last_report.get("ignored_columns", {}).items() if c]
            if unused:
                st.caption("Columns not used by the last load: " + md("; ".join(unused)) + ".")
        with st.expander("How termination wording is read when no one says"):
            st.dataframe(pd.DataFrame(REASON_RULES, columns=["read as", "when the wording has (pattern)"]),
                         hide_index=True)
    rejected = queries.rejects(con)
    if len(rejected):
        st.download_button("Download the rows set aside by the last load (CSV)", to_csv(rejected),
                           file_name="rows_set_aside.csv", mime="text/csv")

if facts["n_employees"]:
    st.subheader("Earlier data")
    states = loads.states(con)
    st.dataframe(states.head(12), hide_index=True, height=min(460, 38 + 35 * min(len(states), 12)),
                 column_order=["load_id", "shown", "kept", "loaded_at", "source", "employees_file", "mentorships_file",
                               "job_history_file", "employees_loaded", "mentorships_loaded", "job_history_loaded",
                               "rows_rejected"],
                 column_config={"load_id": "state", "shown": "shown now", "kept": "can be brought back",
                                "loaded_at": st.column_config.DatetimeColumn("when (UTC)"),
                                "employees_file": "employees file", "mentorships_file": "mentorships file",
                                "employees_loaded": "employees", "mentorships_loaded": "mentorships",
                                "job_history_file": "job history file", "job_history_loaded": "job history rows",
                                "rows_rejected": "set aside"})
    others = [int(n) for n, kept, shown in zip(states["load_id"], states["kept"], states["shown"]) if kept and not shown]
    if others:
        now = loads.position(con)

        def _go(how: str, state: int | None = None) -> None:
            with ui.friendly_errors(), st.spinner("Bringing the data back…"):
                report = {"undo": loads.undo, "redo": loads.redo}[how](con) if state is None else loads.go_to(con, state)
                for key in ("as_of", "event"):
                    st.session_state.pop(key, None)
                ui.clear_caches()
                st.session_state["flash"] = f"{report['undo'][:1].upper()}{report['undo'][1:]}."
                st.rerun()

        sure = st.checkbox("Change the data shown (the data now is kept, and can be brought back)",
                           key=f"confirm_undo_{ui.data_version()}")
        with st.container(horizontal=True):
            if st.button("Go back", disabled=not sure, key="undo_button",
                         help="One state back; again to go further back."):
                _go("undo")
            if st.button("Go forward", disabled=not sure, key="redo_button", help="One state forward, after going back."):
                _go("redo")
        pick = st.selectbox("Or bring back a state", others, index=None, placeholder="state number",
                            format_func=lambda n: f"state {n}", key="go_to_state")
        if st.button("Bring it back", disabled=not sure or pick is None, key="go_to_button"):
            _go("restore", pick)
    st.caption(f"The data replaced by each of the last {KEEP_LOADS} changes is kept: go back and forward through it, "
               "or bring back any state kept; `python -m analytics history`, `undo`, `undo --to N` and `redo` do the "
               "same from the command line.")

st.subheader("On the slides")
saved_org = database.organisation(con)
with st.form("organisation"):
    name = st.text_input("Organisation name", value=saved_org["name"] or "", max_chars=80,
                         help="Shown on the deck's title slide and as its author.")
    logo_file = st.file_uploader("Logo (PNG or JPEG, optional)", type=["png", "jpg", "jpeg"], key="logo_upload")
    drop_logo = st.checkbox("No logo", value=False, disabled=saved_org["logo"] is None, key="no_logo",
                            help="Take the saved logo off the slides.")
    if st.form_submit_button("Save for the slides"):
        with ui.friendly_errors():
            logo = checked_logo(logo_file.getvalue(), logo_file.name) if logo_file is not None else None
            database.set_organisation(con, name, logo, keep_logo=not drop_logo)
            st.session_state["flash"] = "Saved: the next deck carries it."
            st.rerun()
if saved_org["logo"] is not None:
    st.image(saved_org["logo"], width=120, caption="The logo on the slides")

st.subheader("Demo data")
st.caption("A simulated company of 5,000 employees whose true mentoring effect is known.")
sure_demo = st.checkbox("Replace the data with the demo company (what is there now is kept and can be brought "
                        "back)", key=f"confirm_demo_{ui.data_version()}") if facts["n_employees"] else True
if st.button("Restore demo data", disabled=not sure_demo):
    with ui.friendly_errors(), st.spinner("Building the demo company…"):
        loads.load_demo(con)
        for key in ("as_of", "event"):
            st.session_state.pop(key, None)
        ui.clear_caches()
        st.session_state["flash"] = "Demo data restored."
        st.rerun()
