"""The dashboard's frame: page config, navigation, the shared sidebar, then the page."""
import streamlit as st

import ui

st.set_page_config(page_title="Mentoring & retention", page_icon=":material/diversity_3:", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title="Overview", icon=":material/insights:", default=True),
    st.Page("pages/business_case.py", title="Business case", icon=":material/savings:"),
    st.Page("pages/cohorts.py", title="Cohorts", icon=":material/groups:"),
    st.Page("pages/methods.py", title="Methods", icon=":material/science:"),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
]

page = st.navigation(PAGES)
with ui.friendly_errors():
    st.session_state["cohort"] = ui.sidebar()
    page.run()
