"""Sign-in and roles end to end: the dashboard in headless Chromium against a real OpenID Connect
provider process (oidc-provider-mock), both started here on free local ports.

An anonymous visitor sees the sign-in screen and no figures, on every address; a viewer is not
shown the Data page, the analysis pages or any export, even at their addresses; an admin loads
files, goes back to the data before, and restores the demo. Screenshots go to artifacts/screenshots/.
"""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest

from tests.test_browser import (ROOT, SHOTS, _free_port, _no_errors, _screenshot, _settle, _upload, _wait_for,
                                browser, dashboard)  # noqa: F401  (browser is a fixture)

from playwright.sync_api import expect  # noqa: E402

pytestmark = pytest.mark.browser

USERS = {"ada@example.com": "Ada Admin", "bo@example.com": "Bo Analyst", "dee@example.com": "Dee Viewer"}


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """A real OpenID Connect provider: any client id, a login form that asks for the user's subject."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(f"{url}/.well-known/openid-configuration", proc, log_path)
            for email, name in USERS.items():  # the claims each user's ID token carries
                request = urllib.request.Request(f"{url}/users/{urllib.parse.quote(email)}", method="PUT",
                                                 data=json.dumps({"email": email, "name": name}).encode(),
                                                 headers={"Content-Type": "application/json"})
                assert urllib.request.urlopen(request, timeout=10).status == 204
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def secured(tmp_path_factory, provider):
    """The dashboard with sign-in set up, as docs/serving.md describes, and roles for Ada and Bo."""
    folder = tmp_path_factory.mktemp("secured")
    secrets = folder / "secrets.toml"
    secrets.write_text(f"""
[auth]
redirect_uri = "http://127.0.0.1:{{port}}/oauth2callback"
cookie_secret = "{'c0ffee' * 8}"
client_id = "retention-dashboard"
client_secret = "not-a-real-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[roles]
admins = ["ada@example.com"]
analysts = ["bo@example.com"]
""")
    with dashboard(folder / "streamlit.log", folder / "secured.duckdb", "--secrets.files", str(secrets)) as url:
        yield url


def sign_in(browser, server: str, email: str, shot: str | None = None):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server)
    _settle(page)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_placeholder("sub").fill(email)  # the provider's own login form
    if shot:
        page.screenshot(path=str(SHOTS / shot))
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server}/**", timeout=60_000)
    _settle(page)
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(f"Signed in as {USERS[email]}")).to_be_visible(
        timeout=60_000)
    return page


def nav_links(page) -> list[str]:
    return [t.strip().splitlines()[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]  # after the icon


def test_anonymous_sees_the_sign_in_screen_and_no_figures(secured, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    for path in ("", "data", "methods", "business_case"):
        page.goto(f"{secured}/{path}")
        _settle(page)
        expect(page.get_by_role("heading", name="Mentoring & retention")).to_be_visible()
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
        assert page.locator('[data-testid="stMetric"], [data-testid="stPlotlyChart"], [data-testid="stDataFrame"], '
                            '[data-testid="stFileUploader"], [data-testid="stDownloadButton"]').count() == 0
        assert page.get_by_text("people in scope").count() == 0 and nav_links(page) == []
    _screenshot(page, SHOTS / "sign_in_1366x768.png")
    page.close()


def test_a_viewer_reaches_neither_the_data_page_nor_any_export(secured, browser):
    page = sign_in(browser, secured, "dee@example.com", shot="sign_in_provider_form.png")
    assert nav_links(page) == ["Overview", "Business case"]
    expect(page.get_by_role("heading", name="Is mentoring keeping people?")).to_be_visible()
    _no_errors(page)
    _screenshot(page, SHOTS / "overview_viewer_1366x768.png")
    page.goto(f"{secured}/business_case")
    _settle(page)
    expect(page.get_by_role("heading", name="Business case", exact=True)).to_be_visible()
    expect(page.get_by_text("are for analysts and admins")).to_be_visible()
    assert page.locator('[data-testid="stDownloadButton"]').count() == 0
    _screenshot(page, SHOTS / "business_case_viewer_1366x768.png")
    for path in ("data", "cohorts", "methods"):  # typed into the address bar: the page says no, and shows nothing
        page.goto(f"{secured}/{path}")
        _settle(page)
        expect(page.get_by_text("This page is not part of your role.")).to_be_visible()
        assert page.locator('[data-testid="stMain"]').locator(
            '[data-testid="stFileUploader"], [data-testid="stDownloadButton"], [data-testid="stMetric"], '
            '[data-testid="stPlotlyChart"], [data-testid="stDataFrame"], [data-testid="stButton"]').count() == 0
        assert nav_links(page) == ["Overview", "Business case"]
    _screenshot(page, SHOTS / "data_address_viewer_1366x768.png")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click(timeout=60_000)  # the provider's own sign-out page
    page.wait_for_url(f"{secured}/**", timeout=60_000)
    _settle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
    page.goto(f"{secured}/business_case")  # signed out: the figures are gone too
    _settle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.locator('[data-testid="stMetric"]').count() == 0
    page.close()


def test_an_analyst_gets_the_analysis_pages_and_the_exports_but_not_the_data_page(secured, browser):
    page = sign_in(browser, secured, "bo@example.com")
    assert nav_links(page) == ["Overview", "Business case", "Cohorts", "Methods"]
    page.goto(f"{secured}/business_case")
    _settle(page)
    names = [t.split("\n")[-1].strip() for t in page.locator('[data-testid="stDownloadButton"] button').all_inner_texts()]
    assert [n for n in names if n.startswith(("Slides", "One-pager", "Every table"))] == [
        "Slides (PowerPoint)", "One-pager (HTML, prints to PDF)", "Every table (CSV, zipped)"], names
    assert "Download where next (CSV)" in names  # an analyst's own CSV of the ranking
    page.close()


def test_an_admin_loads_goes_back_and_restores(secured, browser, tmp_path):
    page = sign_in(browser, secured, "ada@example.com")
    assert nav_links(page) == ["Overview", "Business case", "Cohorts", "Methods", "Data"]
    page.goto(f"{secured}/data")
    _settle(page)
    _upload(page, ROOT / "data" / "sample_employees.csv", ROOT / "data" / "sample_mentorships.csv")
    page.get_by_role("button", name="Check files").click(timeout=120_000)
    _settle(page)
    page.get_by_text("Replace the data in the dashboard with these files").click()
    _settle(page)
    page.get_by_role("button", name="Load into the dashboard").click()
    expect(page.get_by_text("Loaded. Every page now shows your data.")).to_be_visible(timeout=120_000)
    _settle(page)
    employees = page.locator('[data-testid="stMetric"]').filter(has_text="Employees").last
    sample = employees.locator('[data-testid="stMetricValue"]').inner_text()
    assert sample != "5,000"
    _screenshot(page, SHOTS / "data_admin_loaded_1366x768.png")

    page.get_by_text("Change the data shown (the data now is kept, and can be brought back)").click()
    _settle(page)
    page.get_by_role("button", name="Go back").click()
    expect(page.get_by_text("Undo: back to the data of state")).to_be_visible(timeout=120_000)
    _settle(page)
    expect(employees.locator('[data-testid="stMetricValue"]')).to_have_text("5,000")  # the demo company again

    page.get_by_text("Change the data shown (the data now is kept, and can be brought back)").click()  # redo: the sample
    _settle(page)
    page.get_by_role("button", name="Go forward").click()
    _settle(page)
    expect(employees.locator('[data-testid="stMetricValue"]')).to_have_text(sample)
    page.get_by_text("Replace the data with the demo company").click()
    _settle(page)
    page.get_by_role("button", name="Restore demo data").click()
    expect(page.get_by_text("Demo data restored.")).to_be_visible(timeout=180_000)
    _settle(page)
    expect(employees.locator('[data-testid="stMetricValue"]')).to_have_text("5,000")
    _no_errors(page)
    _screenshot(page, SHOTS / "data_admin_restored_1366x768.png")
    page.close()
