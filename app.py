"""The dashboard's frame: page config, who is looking, navigation, the shared sidebar, then the page.

The pages live in views/, not pages/: Streamlit serves a pages/ folder's scripts on their own (without
this frame) to a first visitor who opens a page's address directly. The navigation lists only the pages
the visitor's role may open (analytics.access); each page checks again."""
import streamlit as st

import ui
from analytics import access

st.set_page_config(page_title="Mentoring & retention", page_icon=ui.favicon(), layout="wide")
me = ui.visitor()  # nobody signed in: the sign-in screen, and the script stops here

PAGES = {
    "overview": st.Page("views/overview.py", title="Overview", icon=":material/insights:", default=True),
    "business_case": st.Page("views/business_case.py", title="Business case", icon=":material/savings:"),
    "cohorts": st.Page("views/cohorts.py", title="Cohorts", icon=":material/groups:"),
    "methods": st.Page("views/methods.py", title="Methods", icon=":material/science:"),
    "data": st.Page("views/data.py", title="Data", icon=":material/database:"),
}

page = st.navigation([p for key, p in PAGES.items() if access.allows(me.role, key)])
with ui.friendly_errors(), ui.connection_for_this_run():
    st.session_state["cohort"] = ui.sidebar()
    ui.who_is_signed_in(me)
    page.run()
