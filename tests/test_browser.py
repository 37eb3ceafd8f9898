"""End to end in a real headless Chromium (Debian's package, driven by Playwright).

The test starts the dashboard on a free local port with its own database, visits every
page at two screen sizes, changes a filter, downloads the deck, and saves screenshots to
artifacts/screenshots/ for a person to look at.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = {"": "Is mentoring keeping people?", "business_case": "Business case", "cohorts": "Cohorts",
         "methods": "Methods and model checks", "data": "Data"}
SIZES = {"1366x768": (1366, 768), "1920x1080": (1920, 1080)}
SERVER_DB: dict[str, Path] = {}  # the database the test server uses, for the CLI to load into

pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("chromium is required in CI: scripts/ensure-test-tools.sh installs it")
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)

from playwright.sync_api import Error as PlaywrightError, expect, sync_playwright  # noqa: E402

from tests.servers import free_port as _free_port, wait_for as _wait_for  # noqa: E402


@contextlib.contextmanager
def dashboard(log_path: Path, db: Path, *extra: str):
    """The dashboard on a free local port with its own database, as `streamlit run` serves it."""
    port = _free_port()
    log = open(log_path, "wb")
    env = dict(os.environ, RETENTION_DB=str(db), OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         *[a.replace("{port}", str(port)) for a in extra]],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/_stcore/health", proc, log_path)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    SERVER_DB["path"] = tmp_path_factory.mktemp("e2e") / "e2e.duckdb"
    with dashboard(tmp_path_factory.mktemp("e2e-log") / "streamlit.log", SERVER_DB["path"]) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


READY = """() => {
    const q = (s) => document.querySelectorAll(s);
    const charts = [...q('[data-testid="stPlotlyChart"]')];
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && q('[data-testid="stAppViewContainer"] h1').length > 0
        && q('[data-testid="stSpinner"]').length === 0
        && q('[data-testid="stSkeleton"]').length === 0
        && charts.every((c) => c.querySelector('.main-svg'));
}"""


# Text that the page shortens with an ellipsis because it does not fit its box (metric labels, tabs).
TRUNCATED = """() => [...document.querySelectorAll('[data-testid="stMain"] *')].filter((e) => {
    if (getComputedStyle(e).textOverflow !== 'ellipsis' || !e.innerText.trim()) return false;
    const text = document.createRange();
    text.selectNodeContents(e);
    return text.getBoundingClientRect().width > e.clientWidth + 1;
}).map((e) => e.innerText)"""


def _settle(page) -> None:
    """Wait until the script has finished and every chart has drawn (twice, to be sure it stays so)."""
    for _ in range(2):
        page.wait_for_timeout(1500)
        page.wait_for_function(READY, timeout=180_000)


def _upload(page, employees, mentorships) -> None:
    """Both files, one after the other as a person picks them: each shown by name and read before the next (a
    second file given while the page is still redrawing for the first can be dropped by the uploader)."""
    uploaders = page.locator('[data-testid="stFileUploader"]')
    for i, path in enumerate((employees, mentorships)):
        uploaders.nth(i).locator('input[type="file"]').set_input_files(str(path))
        expect(uploaders.nth(i).get_by_role("button", name=f"Remove {Path(path).name}")).to_be_visible(timeout=60_000)
        _settle(page)


def _screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main area, so grow the viewport to fit it."""
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stSidebarContent"]')].map((e) => e.scrollHeight))""")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], int(height) + 40)})
    page.wait_for_timeout(1200)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def _no_errors(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0


@pytest.mark.parametrize("size", list(SIZES))
def test_every_page_renders(server, browser, size):
    SHOTS.mkdir(parents=True, exist_ok=True)
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    for path, title in PAGES.items():
        page.goto(f"{server}/{path}")
        _settle(page)
        expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=60_000)
        _no_errors(page)
        assert page.locator('[data-testid="stSidebar"]').get_by_text("people in scope").count() == 1
        assert page.evaluate(TRUNCATED) == [], f"text cut off on {path or 'overview'} at {size}"
        page.screenshot(path=str(SHOTS / f"{path or 'overview'}_{size}_screen.png"))  # what fits on screen
        _screenshot(page, SHOTS / f"{path or 'overview'}_{size}.png")
    page.close()


FOCUS = """() => { const e = document.activeElement, s = getComputedStyle(e);
    const current = getComputedStyle(document.querySelector('[data-testid="stSidebarNavLink"][aria-current="page"]'));
    return {testid: e.getAttribute('data-testid'), current: e.getAttribute('aria-current') === 'page',
            outline: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor,
            background: s.backgroundColor, current_background: current.backgroundColor}; }"""


def test_a_narrow_window_and_the_keyboard(server, browser):
    """At 683 px the figure cards' labels and ranges wrap rather than end in an ellipsis; pressing Tab shows a
    focus ring on a page link that does not look like the current page."""
    page = browser.new_page(viewport={"width": 683, "height": 900})
    for path in ("", "business_case"):
        page.goto(f"{server}/{path}")
        _settle(page)
        assert page.evaluate(TRUNCATED) == [], f"text cut off on {path or 'overview'} at 683 px"
        page.screenshot(path=str(SHOTS / f"{path or 'overview'}_683x900_screen.png"))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(server)
    _settle(page)
    for _ in range(10):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus["testid"] == "stSidebarNavLink" and not focus["current"]:
            break
    assert focus["testid"] == "stSidebarNavLink" and not focus["current"], focus
    assert focus["outline"] == "solid" and focus["width"] >= 2, focus
    assert focus["colour"] == "rgb(11, 92, 128)"  # palette.ACCENT
    assert focus["background"] != focus["current_background"], focus
    page.screenshot(path=str(SHOTS / "focus_ring_1366x768.png"), clip={"x": 0, "y": 0, "width": 700, "height": 420})
    page.close()


def _pick(page, multiselect, option: str) -> None:
    """Choose an option the way a person does; try again if the list closed under a rerun."""
    for _ in range(3):
        multiselect.click()
        choice = page.get_by_role("option", name=option)
        try:
            choice.wait_for(state="visible", timeout=10_000)
            choice.click()
        except PlaywrightError:
            continue
        finally:
            page.keyboard.press("Escape")
        try:
            expect(multiselect.get_by_text(option)).to_be_visible(timeout=10_000)  # the chip in the box
            return
        except AssertionError:
            continue
    raise AssertionError(f"could not choose {option!r} in the filter")


def test_filter_change_and_deck_download(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page.goto(server)
    _settle(page)
    people = page.locator('[data-testid="stMetric"]').first.locator('[data-testid="stMetricValue"]')
    everyone_text = people.inner_text()
    everyone = int(everyone_text.replace(",", ""))
    department = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    _pick(page, department, "Sales")
    expect(page.get_by_text("Department: Sales").first).to_be_visible(timeout=120_000)
    expect(people).not_to_have_text(everyone_text, timeout=120_000)  # the KPI row has re-rendered
    _settle(page)
    assert int(people.inner_text().replace(",", "")) < everyone
    assert page.evaluate(TRUNCATED) == [], "text cut off on the filtered Overview"
    _no_errors(page)
    _screenshot(page, SHOTS / "overview_sales_1366x768.png")

    page.goto(f"{server}/business_case")
    _settle(page)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Slides (PowerPoint)").click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    from pptx import Presentation

    assert target.name == "mentoring_business_case.pptx"
    slides = Presentation(str(target)).slides
    assert slides[0].shapes.title.text == "Is mentoring keeping people?" and len(slides) >= 10
    page.close()


def test_upload_check_load_and_restore(server, browser, tmp_path):
    """A user's own export with one bad row: checked, loaded, shown on the Overview; then the demo back."""
    employees = pd.read_csv(ROOT / "data" / "sample_employees.csv", dtype=str)
    mentioned = set(pd.read_csv(ROOT / "data" / "sample_mentorships.csv", dtype=str)[["mentee_id", "mentor_id"]]
                    .stack()) | set(employees["manager_id"].dropna())
    bad = next(i for i, e in enumerate(employees["employee_id"]) if e not in mentioned)  # nobody refers to them
    employees.loc[bad, "hire_date"] = "31/02/2019"
    emp_file = tmp_path / "hr_export.csv"
    employees.to_csv(emp_file, index=False)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{server}/data")
    _settle(page)
    _upload(page, emp_file, ROOT / "data" / "sample_mentorships.csv")  # both read, their forms drawn
    page.get_by_role("button", name="Check files").click(timeout=120_000)
    set_aside = page.locator('[data-testid="stMetric"]').filter(has_text="Rows set aside")
    expect(set_aside.locator('[data-testid="stMetricValue"]')).to_have_text("1", timeout=120_000)
    _settle(page)
    _no_errors(page)
    _screenshot(page, SHOTS / "data_upload_checked_1366x768.png")

    page.get_by_text("Replace the data in the dashboard with these files").click()
    _settle(page)
    page.get_by_role("button", name="Load into the dashboard").click()
    expect(page.get_by_text("Loaded. Every page now shows your data.")).to_be_visible(timeout=120_000)
    loaded = page.locator('[data-testid="stMetric"]').filter(has_text="Employees").last
    expect(loaded.locator('[data-testid="stMetricValue"]')).to_have_text(f"{len(employees) - 1:,}")

    page.goto(server)
    _settle(page)
    _no_errors(page)
    in_scope = page.locator('[data-testid="stMetric"]').first.locator('[data-testid="stMetricValue"]')
    assert 0 < int(in_scope.inner_text().replace(",", "")) <= len(employees) - 1
    _screenshot(page, SHOTS / "overview_uploaded_1366x768.png")

    _restore_demo(page, server)


def _restore_demo(page, server) -> None:
    """Back to the demo company, for the tests that follow."""
    page.goto(f"{server}/data")
    _settle(page)
    page.get_by_text("Replace the data with the demo company").click()
    _settle(page)
    page.get_by_role("button", name="Restore demo data").click()
    expect(page.get_by_text("Demo data restored.")).to_be_visible(timeout=180_000)
    page.close()


def _hr_export(tmp_path):
    """A clean company, and its employees as an HR system's Excel report: a block of report settings
    above the table (naming two columns, as a header would), date cells,
    and 'Personal Reasons', a resignation wording no rule knows, for the user to say what it means."""
    import openpyxl

    from analytics.intake.demo import DemoConfig, generate

    demo = generate(DemoConfig(n_employees=800, seed=5))
    emp, men = demo.employees.copy(), demo.mentorships.copy()
    voluntary = emp["termination_reason"].eq("voluntary")
    personal = voluntary & (np.arange(len(emp)) % 4 == 0)
    wording = emp["termination_reason"].map({"voluntary": "Resignation", "involuntary": "Terminated - Performance",
                                             "retirement": "Retirement", "other": "Death in Service"})
    wording[personal] = "Personal Reasons"
    clean = tmp_path / "clean"
    clean.mkdir()
    emp.to_csv(clean / "employees.csv", index=False, date_format="%Y-%m-%d")
    men.to_csv(clean / "mentorships.csv", index=False, date_format="%Y-%m-%d")
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Department", "(All)", "Location", "(All values)"])  # report settings: two known names, no header
    ws.append(["Run by", "HR analytics"])
    header = ["Employee #", "Hire Date", "Termination Date", "Termination Reason", "Department", "Job Level",
              "Location", "Gender", "Birth Year", "Reports To ID", "Salary", "Performance Rating"]
    ws.append(header)
    for i, row in emp.iterrows():
        ws.append([row["employee_id"], row["hire_date"].to_pydatetime(),
                   None if pd.isna(row["termination_date"]) else row["termination_date"].to_pydatetime(),
                   None if pd.isna(wording[i]) else wording[i], row["department"], row["job_level"], row["location"],
                   row["gender"], int(row["birth_year"]), row["manager_id"], float(row["salary"]),
                   int(row["performance_rating"])])
    book.save(tmp_path / "hr_report.xlsx")
    return tmp_path / "hr_report.xlsx", clean / "employees.csv", clean / "mentorships.csv"


def test_an_excel_report_with_settings_rows_is_read_as_its_user_says(server, browser, tmp_path):
    """Upload the export, pick its header row, say what one reason means, load: the Overview shows
    the clean company's headline."""
    from analytics.case.summary import headline
    from analytics.intake.prepare import prepare_load
    from analytics.store import database, loads
    from analytics.words import wording

    report, clean_employees, mentorships = _hr_export(tmp_path)
    con = database.connect(":memory:")
    loads.load_plan(con, prepare_load(clean_employees, mentorships))
    expected = wording.hr_words(headline(con).adjusted.hazard_ratio)
    con.close()

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    page.goto(f"{server}/data")
    _settle(page)
    _upload(page, report, mentorships)
    header_row = page.get_by_role("spinbutton", name="Header row of hr_report.xlsx")
    expect(header_row).to_have_value("3", timeout=60_000)  # found under the report settings
    header_row.fill("1")  # a person trying another row sees other columns, then picks the header again
    header_row.press("Enter")
    expect(page.get_by_text("rows below the header on row 1").first).to_be_visible(timeout=60_000)
    _settle(page)
    header_row.fill("3")
    header_row.press("Enter")
    expect(page.get_by_text("rows below the header on row 3").first).to_be_visible(timeout=60_000)
    _settle(page)
    _screenshot(page, SHOTS / "data_excel_header_row_1366x900.png")
    page.get_by_role("button", name="Check files").click(timeout=120_000)
    expect(page.get_by_text("What each termination reason means").first).to_be_visible(timeout=120_000)
    _settle(page)
    _no_errors(page)
    _screenshot(page, SHOTS / "data_excel_checked_1366x900.png")

    meaning = page.get_by_role("combobox", name="Personal Reasons")
    for _ in range(3):  # as a person does: open the list, choose; again if a rerun closed it
        meaning.click()
        try:
            page.get_by_role("option", name="voluntary", exact=True).click(timeout=10_000)
            break
        except PlaywrightError:
            page.keyboard.press("Escape")
    _settle(page)
    expect(page.get_by_role("combobox", name="Personal Reasons")).to_have_value("voluntary", timeout=60_000)
    _screenshot(page, SHOTS / "data_excel_meaning_changed_1366x900.png")
    page.get_by_text("Replace the data in the dashboard with these files").click()
    _settle(page)
    page.get_by_role("button", name="Load into the dashboard").click()
    expect(page.get_by_text("Loaded. Every page now shows your data.")).to_be_visible(timeout=120_000)

    page.goto(server)
    _settle(page)
    _no_errors(page)
    expect(page.get_by_text(f"Mentored employees were {expected} to leave").first).to_be_visible(timeout=60_000)
    _screenshot(page, SHOTS / "overview_excel_export_1366x900.png")

    _restore_demo(page, server)


def test_a_company_with_no_clear_effect_is_shown_with_caution(server, browser, tmp_path):
    """A simulated company where mentoring does nothing (true hazard ratio 1): the Overview and the
    Business case say the range includes no effect and a loss, in words and colour."""
    from analytics.intake.demo import generate, uniform_effect_config

    demo = generate(uniform_effect_config(1.0, n_employees=1500, seed=9))
    demo.employees.to_csv(tmp_path / "no_effect_employees.csv", index=False, date_format="%Y-%m-%d")
    demo.mentorships.to_csv(tmp_path / "no_effect_mentorships.csv", index=False, date_format="%Y-%m-%d")
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(f"{server}/data")
    _settle(page)
    _upload(page, tmp_path / "no_effect_employees.csv", tmp_path / "no_effect_mentorships.csv")
    page.get_by_role("button", name="Check files").click(timeout=120_000)
    page.get_by_text("Replace the data in the dashboard with these files").click(timeout=120_000)
    _settle(page)
    page.get_by_role("button", name="Load into the dashboard").click(timeout=120_000)
    expect(page.get_by_text("Loaded. Every page now shows your data.")).to_be_visible(timeout=120_000)
    page.goto(server)
    _settle(page)
    _no_errors(page)
    expect(page.get_by_text("The range includes no effect at all").first).to_be_visible(timeout=60_000)
    _screenshot(page, SHOTS / "overview_no_effect_1366x768.png")
    page.goto(f"{server}/business_case")
    _settle(page)
    _no_errors(page)
    _screenshot(page, SHOTS / "business_case_no_effect_1366x768.png")
    _restore_demo(page, server)


def test_the_dashboard_asks_nothing_of_the_internet(server, browser):
    """Every page, its icon included, is served by the app itself: no request leaves this machine."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    outside = []

    def record(route):
        if not route.request.url.startswith(("http://127.0.0.1", "data:", "blob:")):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", record)
    for path in PAGES:
        page.goto(f"{server}/{path}")
        _settle(page)
    icon = page.evaluate("() => document.querySelector('link[rel~=\"icon\"]')?.href || ''")
    assert icon.startswith((server, "data:")), icon
    assert outside == []
    page.close()



def test_the_cli_loads_while_a_browser_has_the_dashboard_open(server, browser):
    """The dashboard holds the database only while it draws a page: the CLI loads with the page open,
    and the page's next run shows the new data."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server)
    _settle(page)
    employees = pd.read_csv(ROOT / "data" / "sample_employees.csv")
    run = subprocess.run([sys.executable, "-m", "analytics", "load", "--db", str(SERVER_DB["path"]),
                          "--employees", str(ROOT / "data" / "sample_employees.csv"),
                          "--mentorships", str(ROOT / "data" / "sample_mentorships.csv")],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    page.reload()
    _settle(page)
    _no_errors(page)
    in_scope = page.locator('[data-testid="stMetric"]').first.locator('[data-testid="stMetricValue"]')
    assert 0 < int(in_scope.inner_text().replace(",", "")) <= len(employees)
    _screenshot(page, SHOTS / "overview_after_cli_load_1366x768.png")
    _restore_demo(page, server)


def test_every_chart_downloads_as_svg_and_png(server, browser, tmp_path):
    """Under each chart, for analysts and admins (the single-user dashboard is an admin's): the chart as drawn,
    saved by the browser as SVG (vector, for slides and print) and as PNG, with no request off the machine."""
    page = browser.new_page(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    left_the_machine = []
    page.on("request", lambda r: left_the_machine.append(r.url) if not r.url.startswith(server) and
            not r.url.startswith(("data:", "blob:")) else None)
    page.goto(f"{server}/methods")
    _settle(page)
    rows = page.locator(".chart-downloads")
    assert rows.count() == page.locator('[data-testid="stPlotlyChart"]').count() >= 4
    for fmt, start in (("SVG", b"<svg"), ("PNG", b"\x89PNG")):
        with page.expect_download(timeout=60_000) as download:
            rows.first.get_by_text(fmt, exact=True).click()
        target = tmp_path / download.value.suggested_filename
        download.value.save_as(target)
        assert target.name == f"naive_and_honest.{fmt.lower()}" and target.read_bytes().startswith(start)
    assert "Naive (overstated)" in (tmp_path / "naive_and_honest.svg").read_text()  # the chart, in vector form
    assert left_the_machine == []
    page.close()


COST_LABEL = "Programme fee per mentee per year"  # messages.INPUT_LABELS["programme_cost_per_mentee"]


def _cost_in_deck(path: Path) -> list[str]:
    """The cost per mentee as the deck's assumptions table gives it (one value per such row)."""
    from pptx import Presentation

    return [row.cells[1].text for slide in Presentation(str(path)).slides for shape in slide.shapes
            if shape.has_table for row in shape.table.rows if row.cells[0].text == COST_LABEL]


def _cost_in_one_pager(path: Path) -> list[str]:
    import re

    return re.findall(rf"<tr><td>{COST_LABEL}</td><td class='num'>([^<]*)</td>", path.read_text())


@pytest.mark.parametrize("button, read, pause, typed", [
    ("Slides (PowerPoint)", _cost_in_deck, 0, 2200), ("One-pager (HTML, prints to PDF)", _cost_in_one_pager, 0, 2300),
    ("Slides (PowerPoint)", _cost_in_deck, 300, 2400)], ids=["deck", "one-pager", "deck-0.3s"])
def test_a_download_clicked_at_once_carries_the_value_just_typed(server, browser, tmp_path, button, read, pause,
                                                                  typed):
    """Type a new cost per mentee, press Enter and click a download at once (or 0.3 s later), before the page has
    redrawn: the file is built from the inputs at the click, so it says the new cost, never the one before. Each
    case types its own cost, so that nothing an earlier case computed is ready beforehand."""
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page.goto(f"{server}/business_case")
    _settle(page)
    cost = page.get_by_role("spinbutton", name="Programme fee per mentee per year")
    assert cost.input_value().replace(",", "") == "1500"  # policy.PROGRAMME_COST_PER_MENTEE, the default
    cost.fill(str(typed))
    with page.expect_download(timeout=180_000) as download:
        cost.press("Enter")
        if pause:
            page.wait_for_timeout(pause)
        page.get_by_role("button", name=button).click()
    target = tmp_path / download.value.suggested_filename
    download.value.save_as(target)
    assert read(target) == [f"${typed:,}"]  # wording.money_exact
    _settle(page)
    _no_errors(page)
    page.close()


def test_addresses_in_the_users_text_stay_text(browser, tmp_path):
    """File names, headers and values are the user's words: a bare address in them ('www.', 'https://', an e-mail)
    is shown as typed, never as a link (GitHub-flavoured Markdown would make one, escapes or not)."""
    from analytics.surface.cli import main
    from tests.builders import employees_table, mentorships_table, write

    db = tmp_path / "links.duckdb"
    emp = employees_table(60)
    emp["department"] = emp["department"].replace({"Sales": "www.evil.example", "Finance": "https://evil.example/x"})
    e = write(emp, tmp_path / "staff from www.evil.example.csv")
    m = write(mentorships_table(emp, 20), tmp_path / "mentoring by bo@evil.example.csv")
    emp["unknown column https://evil.example/y"] = "x"  # a column not used: listed on the Data page
    write(emp, e)
    assert main(["load", "--db", str(db), "--employees", str(e), "--mentorships", str(m)]) == 0
    with dashboard(tmp_path / "streamlit.log", db) as url:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        for path in ("data", "methods"):
            page.goto(f"{url}/{path}")
            _settle(page)
            text = page.locator('[data-testid="stAppViewContainer"]').inner_text()
            if path == "data":  # the files' names and the column not used: there, as typed
                assert "www.evil.example" in text.replace("\u2060", "")
            links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            assert not [h for h in links if "evil" in h], (path, links)
        page.close()


# each chart's lines as plotly.js holds them, decoded (the data sent may come packed as base64 arrays)
CHART_DATA = """() => [...document.querySelectorAll('.js-plotly-plot')].map((el) =>
    (el._fullData || []).filter((t) => t.type === 'scatter' && t.visible !== false)
        .map((t) => ({x: Array.from(t.x || []), y: Array.from(t.y || [])})))"""


def test_a_filtered_groups_curve_reaches_the_browser_only_by_whole_month_in_whole_percents(server, browser):
    """The chart data a browser holds is all a viewer needs to subtract two curves: for a filtered group it holds
    each whole month's share to whole percents, so no step's size (1 / people at risk) or day is in it."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server)
    _settle(page)
    everyone = page.evaluate(CHART_DATA)[0]
    assert any(abs(v * 100 - round(v * 100)) > 1e-6 for trace in everyone for v in trace["y"])  # exact: everyone's
    department = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').first
    _pick(page, department, "Sales")
    expect(page.get_by_text("Department: Sales").first).to_be_visible(timeout=120_000)
    _settle(page)
    curves = page.evaluate(CHART_DATA)[0]
    assert curves and all(trace["y"] for trace in curves)
    for trace in curves:
        assert all(abs(v * 100 - round(v * 100)) < 1e-6 for v in trace["y"])
        assert all(abs(m - round(m)) < 1e-6 for m in trace["x"])
    page.close()


def test_a_value_of_one_person_is_not_offered_and_pay_cannot_be_subtracted(browser, tmp_path):
    """The auditor's pay attack in the browser: job level L9 holds one person (pay 987,654). The sidebar does not
    offer L9, and L4 + L5's average pay (in its one-pager) is to the nearest 1,000, so L4 + L5 + L9 cannot be set
    beside it."""
    import re

    from analytics.intake.demo import DemoConfig, generate
    from analytics.intake.prepare import plan_from_frames
    from analytics.store import database, loads

    demo = generate(DemoConfig(n_employees=3000, seed=11))
    emp = demo.employees.copy()
    emp.loc[emp.index[emp["termination_date"].isna()][0], ["job_level", "salary"]] = ["L9", 987_654.0]
    db = tmp_path / "pay.duckdb"
    con = database.connect(db)
    loads.load_plan(con, plan_from_frames(emp, demo.mentorships), source="files")
    con.close()
    with dashboard(tmp_path / "streamlit.log", db) as url:
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{url}/business_case")
        _settle(page)
        level = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').nth(1)
        level.click()
        page.get_by_role("option", name="L4").wait_for(state="visible", timeout=10_000)
        offered = page.get_by_role("option").all_inner_texts()
        page.keyboard.press("Escape")
        assert "L4" in offered and "L5" in offered and "L9" not in offered, offered
        _pick(page, level, "L4")
        _settle(page)
        _pick(page, level, "L5")
        _settle(page)
        expect(page.get_by_text("1. What is the mentoring already done still worth?", exact=True)).to_be_visible(timeout=60_000)  # L4 + L5: shown
        with page.expect_download(timeout=120_000) as download:
            page.get_by_role("button", name="One-pager (HTML, prints to PDF)").click()
        one_pager = Path(download.value.path()).read_text(encoding="utf-8")
        pay = re.search(r"Average salary</td><td class='num'>\$([\d,]+)</td><td>([^<]*)</td>", one_pager)
        assert pay and int(pay.group(1).replace(",", "")) % 1000 == 0 and "nearest" in pay.group(2), pay
        page.close()


# Each visible text's colour against the background it sits on, as WCAG 2.1 computes contrast (element opacity and
# a colour's alpha blended onto that background). WCAG 2.1 1.4.3 for every element with text of its own (not only captions): 4.5:1 against the background it sits
# on, 3:1 for large text (24 px, or 18.66 px bold) and for icons (1.4.11, graphical objects); disabled controls are
# exempt, as WCAG says. The background is the nearest one behind the text (a slider's value sits above its coloured
# thumb, not on it). The chart's own text (SVG) is filled rather than coloured and is checked by its fill.
CONTRAST = """() => {
  const rgba = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = (rgb) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                        return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]); };
  const within = (inner, outer) => { const a = inner.getBoundingClientRect(), b = outer.getBoundingClientRect();
      const x = a.left + a.width / 2, y = a.top + a.height / 2;
      return x >= b.left && x <= b.right && y >= b.top && y <= b.bottom; };
  const background = (el) => { for (let e = el; e; e = e.parentElement) {
      if ((e instanceof SVGElement && e.tagName !== 'svg') || !within(el, e)) continue;
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3); } return [255, 255, 255]; };
  const low = [];
  for (const el of document.querySelectorAll('[data-testid="stApp"] *')) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const widget = el.closest('[data-testid="stElementContainer"]');
    const disabled = el.closest('[disabled], [aria-disabled="true"]')
        || (widget && el.closest('[data-testid="stWidgetLabel"], label') && widget.querySelector('input:disabled'));
    if (!own || !el.getClientRects().length || disabled) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const svg = el instanceof SVGElement;
    const c = rgba(svg ? style.fill : style.color);
    if (c.length < 3) continue;
    let a = (c.length > 3 ? c[3] : 1) * (svg ? parseFloat(style.fillOpacity || '1') : 1);
    for (let e = el; e; e = e.parentElement) a *= parseFloat(getComputedStyle(e).opacity);
    if (a === 0) continue;
    const bg = background(el), fg = [0, 1, 2].map((i) => c[i] * a + bg[i] * (1 - a));
    const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const px = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const icon = el.closest('[data-testid="stIconMaterial"]');
    const needed = icon || px >= 24 || (bold && px >= 18.66) ? 3 : 4.5;
    if (ratio < needed) low.push([el.textContent.trim().slice(0, 50), Math.round(ratio * 100) / 100,
                                  (el.closest('[data-testid]') || {dataset: {}}).dataset.testid]);
  }
  return low;
}"""


def test_every_text_has_the_contrast_wcag_asks_on_every_page(server, browser):
    """WCAG 2.1 1.4.3: text at least 4.5:1 against its background (Streamlit's own caption grey is 4.1:1, its code
    highlighter's colours 2.2-2.8:1)."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    for path, title in PAGES.items():
        page.goto(f"{server}/{path}")
        _settle(page)
        expect(page.get_by_role("heading", name=title).first).to_be_visible(timeout=60_000)
        low = page.evaluate(CONTRAST)
        assert low == [], "\n".join(map(str, [path or "overview"] + low))
    page.close()


def test_a_chart_is_one_stop_for_the_tab_key(server, browser):
    """Plotly's toolbar made each chart eight stops for the Tab key (zoom, pan, select, ...); only its image
    button is kept, for the download links under the chart."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    for path in ("", "cohorts"):
        page.goto(f"{server}/{path}")
        _settle(page)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        stops = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map((c) =>
            [...c.querySelectorAll('a, button, input, [tabindex]')].filter((e) => e.tabIndex >= 0).length)""")
        assert stops and all(n <= 1 for n in stops), (path, stops)
    page.close()


def test_every_chart_says_what_it_shows_to_a_screen_reader(server, browser):
    """Each chart is an image with a text alternative (its name, axes and where each line ends), as the one-pager's
    charts are."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    for path in ("", "cohorts", "methods"):
        page.goto(f"{server}/{path}")
        _settle(page)
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        with contextlib.suppress(PlaywrightError):  # each chart is labelled once drawn: give a busy machine time
            page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].every(
                (c) => c.getAttribute('role') === 'img')""", timeout=60_000)
        charts = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map((c) =>
            [c.getAttribute('role'), c.getAttribute('aria-label')])""")
        assert charts, path
        for role, label in charts:
            assert role == "img" and label and label.startswith("Chart: "), (path, role, label)
    page.goto(server)
    _settle(page)
    page.wait_for_selector(".js-plotly-plot[role=img]", timeout=60_000)
    first = page.evaluate("() => document.querySelector('.js-plotly-plot').getAttribute('aria-label')")
    assert "Mentored" in first or "mentored" in first
    page.close()


def test_the_demo_notice_is_seen_without_scrolling(server, browser):
    """At 1366 x 768 the notice that the data are simulated sits above the sidebar's filters, in view."""
    from analytics.words import wording

    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server)
    _settle(page)
    notice = page.get_by_text(wording.DEMO_NOTE)
    expect(notice).to_be_visible(timeout=60_000)
    box = notice.bounding_box()
    assert box and box["y"] + box["height"] <= 768, box
    page.close()
