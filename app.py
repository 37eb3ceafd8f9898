"""The dashboard's frame: page config, navigation, the shared sidebar, then the page.

The pages live in views/, not pages/: Streamlit serves a pages/ folder's scripts on their own (without
this frame) to a first visitor who opens a page's address directly."""
import streamlit as st

import ui

st.set_page_config(page_title="Mentoring & retention", page_icon=ui.favicon(), layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/insights:", default=True),
    st.Page("views/business_case.py", title="Business case", icon=":material/savings:"),
    st.Page("views/cohorts.py", title="Cohorts", icon=":material/groups:"),
    st.Page("views/methods.py", title="Methods", icon=":material/science:"),
    st.Page("views/data.py", title="Data", icon=":material/database:"),
]

page = st.navigation(PAGES)
with ui.friendly_errors(), ui.connection_for_this_run():
    st.session_state["cohort"] = ui.sidebar()
    page.run()
