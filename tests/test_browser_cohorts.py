"""A company with 15 departments of very different sizes on the Cohorts page, in a real headless Chromium: each of
the three ways of showing many groups stays readable (screenshots in artifacts/screenshots/ for a person to look
at), with every text on the page at the contrast WCAG asks."""
from __future__ import annotations

import numpy as np
import pytest

from tests.test_browser import (CHROMIUM, CONTRAST, SHOTS, _no_errors, _screenshot, _settle, dashboard,
                                sync_playwright)

pytestmark = pytest.mark.browser

DEPARTMENTS = ("Finance", "Sales", "Engineering", "Operations", "Marketing", "Legal", "People", "Support",
               "Research", "Procurement", "Facilities", "Security", "Data", "Design", "Compliance")


def _fifteen_departments(path) -> None:
    """The demo company as an HR export (one value per person), its people spread over 15 departments whose sizes
    fall by a quarter from one to the next: from about 1,250 people down to about 20."""
    from analytics.intake.demo_changing import demo_config, generate_changing
    from analytics.intake.prepare import plan_from_frames
    from analytics.store import database, loads

    data = generate_changing(demo_config())
    share = 0.75 ** np.arange(len(DEPARTMENTS))
    rng = np.random.default_rng(15)
    employees = data.employees.copy()
    employees["department"] = rng.choice(DEPARTMENTS, size=len(employees), p=share / share.sum())
    con = database.connect(path)
    loads.load_plan(con, plan_from_frames(employees, data.mentorships), source="fifteen departments")
    con.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("fifteen") / "fifteen.duckdb"
    _fifteen_departments(db)
    with dashboard(tmp_path_factory.mktemp("fifteen-log") / "streamlit.log", db) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


def _choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    _settle(page)


def test_fifteen_departments_stay_readable_in_each_view(server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{server}/cohorts")
    _settle(page)
    _choose(page, "Compare by", "Department")
    _no_errors(page)
    chart = page.locator(".js-plotly-plot").first
    legend = chart.locator(".legendtext").all_text_contents()
    assert len(legend) == 6 and legend[-1] == "other (10 groups)", legend  # the largest five and the rest
    _screenshot(page, SHOTS / "cohorts_15_departments_largest_1366x768.png")

    page.get_by_text("each group in its own chart").click()
    _settle(page)
    _no_errors(page)
    titles = page.locator(".js-plotly-plot").first.locator(".annotation-text").all_text_contents()
    assert sorted(t for t in titles if t in DEPARTMENTS) == sorted(DEPARTMENTS), titles
    _screenshot(page, SHOTS / "cohorts_15_departments_each_1366x768.png")

    page.get_by_text("a ranked table").click()
    _settle(page)
    _no_errors(page)
    _screenshot(page, SHOTS / "cohorts_15_departments_ranked_1366x768.png")
    low = page.evaluate(CONTRAST)  # every text, as on the demo's pages (tests/test_browser.py)
    assert low == [], low
    page.close()

