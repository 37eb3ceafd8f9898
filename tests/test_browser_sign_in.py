"""Sign-in and roles end to end: the dashboard, started as `make run` starts it (scripts/serve.py), in headless
Chromium against a real OpenID Connect provider process (oidc-provider-mock), both started here on free local ports.

An anonymous visitor sees the sign-in screen and no figures, on every address, and can neither upload a file nor
clear the caches from it; a viewer is not shown the Data page, the analysis pages or any export, even at their
addresses; an admin loads files, goes back to the data before, and restores the demo. Screenshots go to
artifacts/screenshots/. tests/test_server_guard.py sends the same requests without a browser.
"""
from __future__ import annotations

import re
import time

import pytest

from tests.test_browser import (ROOT, SHOTS, _no_errors, _screenshot, _settle, _upload,
                                browser)  # noqa: F401  (browser is a fixture)
from tests.test_server_guard import (METRICS_TTL, USERS, _copy_of, provider, served,  # noqa: F401  (a fixture)
                                     sign_in_secrets)

from playwright.sync_api import expect  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def secured(tmp_path_factory, provider, demo_db):
    """The dashboard with sign-in set up, as docs/serving.md describes, and roles for Ada and Bo."""
    folder = tmp_path_factory.mktemp("secured")
    with served(folder, _copy_of(demo_db, folder), sign_in_secrets(provider)) as url:
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


# What the page's own script does with a file the visitor picked: PUT it to the session's upload address with the
# XSRF cookie's token (here from the sign-in screen, whose session has no file uploader at all).
UPLOAD = """async ([url]) => {
    const token = document.cookie.split('; ').find((c) => c.startsWith('_streamlit_xsrf=')).split('=').slice(1).join('=');
    const form = new FormData();
    form.append('file', new Blob(['employee_id\\n1\\n'], {type: 'text/csv'}), 'employees.csv');
    const response = await fetch(url, {method: 'PUT', body: form, headers: {'X-Xsrftoken': token}});
    return response.status;
}"""


def cached_functions(page, server: str) -> set[str]:
    """The st.cache_data functions holding results, from the server's metrics, read with this page's cookies."""
    response = page.request.get(f"{server}/_stcore/metrics?families=cache_memory_bytes")
    assert response.status == 200, response.status
    return set(re.findall(r'cache_memory_bytes\{cache_type="st_cache_data",cache="([^"]+)"\}', response.text()))


def test_an_anonymous_visitor_can_neither_upload_nor_clear_the_caches(secured, browser):
    admin = sign_in(browser, secured, "ada@example.com")  # Ada's Overview fills the caches
    time.sleep(METRICS_TTL)
    filled = cached_functions(admin, secured)
    assert {"ui.filter_options", "ui._snapshot"} <= filled, filled

    page = browser.new_page(viewport={"width": 1366, "height": 768})  # a visitor who has not signed in
    sockets, session = [], {}

    def through(ws):  # the page's websocket, passed on both ways; what the server says is read on the way
        server = ws.connect_to_server()
        sockets.append(server)

        def from_server(message):
            msg = ForwardMsg()
            msg.ParseFromString(message if isinstance(message, bytes) else message.encode())
            if msg.WhichOneof("type") == "new_session":
                session["id"] = msg.new_session.initialize.session_id
            ws.send(message)
        server.on_message(from_server)

    page.route_web_socket(re.compile(r"/_stcore/stream$"), through)
    page.goto(secured)
    _settle(page)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert session.get("id")

    status = page.evaluate(UPLOAD, [f"{secured}/_stcore/upload_file/{session['id']}/any-file-id"])
    assert status == 403, f"an anonymous upload was answered {status}"

    clear = BackMsg()
    clear.clear_cache = True
    sockets[-1].send(clear.SerializeToString())  # as the page would send it: the message the cache menu sends
    page.wait_for_timeout(1000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    time.sleep(METRICS_TTL)
    assert filled <= cached_functions(admin, secured), "an anonymous visitor cleared the caches"
    assert page.request.get(f"{secured}/_stcore/metrics").status == 403  # nor are the metrics for them
    _screenshot(page, SHOTS / "sign_in_after_refused_upload_1366x768.png")
    page.close()
    admin.close()
