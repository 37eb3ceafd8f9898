"""Writes analyst.ipynb from the cells below (run: python notebooks/build_notebook.py)."""
from pathlib import Path

import nbformat as nbf

cells = [
    ("md", """# Mentoring and retention: an analyst's notebook

This notebook runs on the same engine as the dashboard and the CLI (`analytics/`). It loads the
demo company (a simulated organisation whose true mentoring effect is known), reproduces the
headline summary, explains why the naive figure overstates the effect, and explores two cohorts.
To use your own data, replace the demo load with `loads.load_files(con, "employees.csv", "mentorships.csv")`."""),
    ("code", """import pandas as pd

from analytics.case.summary import compare_cohorts, summarise
from analytics.estimation.followup import follow_up
from analytics.estimation.models import adjusted_model
from analytics.outputs.messages import briefing
from analytics.store import database, loads
from analytics.store.cohorts import Cohort

con = database.connect(":memory:")          # a private in-memory store; the dashboard's file is untouched
report = loads.load_demo(con)
report["employees"], report["mentorships"]"""),
    ("md", "## 1. The headline, exactly as `python -m analytics summary` gives it"),
    ("code", """result = summarise(con)
print(briefing(result))"""),
    ("md", """## 2. Naive vs honest

Three Cox models of the same data:

* **naive**: ever mentored vs never, as a fixed attribute from hire. Someone mentored in month 10 had
  to stay 10 months to be mentored at all, and those months are credited to mentoring (immortal time).
* **time-varying**: unmentored until the first mentorship starts, mentored from then on.
* **adjusted**: time-varying, and comparing like with like (department, level, generation,
  performance, salary, ...), because mentoring goes to people who were staying anyway (confounding).
  The demo loads its job history, so level, rating and salary are taken as they were on each day."""),
    ("code", """hr = result["hazard_ratio"]
table = pd.DataFrame({name: {k: hr[name][k] for k in ("estimate", "lower", "upper")}
                      for name in ("naive", "time_varying", "adjusted")}).T
table"""),
    ("code", """truth = database.metadata(con, "demo_truth")["mentoring_effect"]
print("true hazard ratio while mentored, by programme type:", truth["direct_hr_while_by_programme"])
print("true hazard ratio after mentoring ended, by programme type:", truth["direct_hr_after_by_programme"])
while_, after = truth["realised_mix_while"], truth["realised_mix_after"]
print("true mix over the mentored, as realised: while", round(while_, 3), "| after", round(after, 3))
print("adjusted estimate:", round(hr["adjusted"]["estimate"], 3),
      "| naive estimate:", round(hr["naive"]["estimate"], 3))
# counted from the first start for good, the honest figure mixes the two phases; the naive one is far below both
assert hr["adjusted"]["lower"] < after and hr["adjusted"]["upper"] > while_
assert hr["naive"]["upper"] < while_"""),
    ("md", "## 3. Two cohorts: Sales and Engineering"),
    ("code", """rows = {}
for department in ("Sales", "Engineering"):
    fu = follow_up(con, Cohort(department=(department,)))
    fit = adjusted_model(fu)
    rows[department] = {"people": fu.n_employees, "mentored": fu.n_mentored, "exits": fu.n_events,
                        **fit.hazard_ratio.to_dict()}
pd.DataFrame(rows).T"""),
    ("code", """by_programme = compare_cohorts(con, "program_type")
pd.DataFrame([e.as_row() for e in by_programme.effects])"""),
    ("md", """Groups with fewer than 5 people are suppressed everywhere, and a group's hazard ratio needs at
least 20 people mentored and 20 not (however many of them left). The same functions feed the dashboard's Cohorts and
Methods pages."""),
]

nb = nbf.v4.new_notebook()
nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src) for kind, src in cells]
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbf.write(nb, Path(__file__).with_name("analyst.ipynb"))
