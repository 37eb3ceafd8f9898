"""The dashboard's frame: page config, who is looking, navigation, the shared sidebar, then the page.

The pages live in views/, not pages/: Streamlit serves a pages/ folder's scripts on their own (without
this frame) to a first visitor who opens a page's address directly. The navigation lists only the pages
the visitor's role may open (analytics.access); the others are hidden, and each page's first step is
its own check (ui.require), so one opened by its address says it is not part of the role."""
import streamlit as st

import ui
from analytics.surface import access

st.set_page_config(page_title="Mentoring & retention", page_icon=ui.favicon(), layout="wide")
ui.page_style()  # the focus ring and the figure cards that wrap, in the palette's colours
me = ui.visitor()  # nobody signed in: the sign-in screen, and the script stops here

PAGES = (  # what the role needs (analytics.access.NEEDS), the script, its title and icon
    ("overview", "views/overview.py", "Overview", ":material/insights:"),
    ("business_case", "views/business_case.py", "Business case", ":material/savings:"),
    ("cohorts", "views/cohorts.py", "Cohorts", ":material/groups:"),
    ("methods", "views/methods.py", "Methods", ":material/science:"),
    ("data", "views/data.py", "Data", ":material/database:"),
)

page = st.navigation([st.Page(path, title=title, icon=icon, default=key == "overview",
                              visibility="visible" if access.allows(me.role, key) else "hidden")
                      for key, path, title, icon in PAGES])
with ui.friendly_errors(), ui.connection_for_this_run():
    st.session_state["cohort"] = ui.sidebar()
    ui.who_is_signed_in(me)
    page.run()
