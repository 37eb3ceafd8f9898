"""The one-pager (one printed page at A4 and at US Letter, no script, nothing fetched, the dashboard's palette
and words) and the CSV zip (rounded numbers, a README naming every table and column)."""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analytics.case.summary import Assumptions, headline
from analytics.outputs import messages, onepager, palette, svg, tables
from analytics.store import database, loads
from analytics.store.cohorts import Cohort
from analytics.words import wording
from tests.builders import employees_table, mentorships_table, write

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def demo_con():
    con = database.connect(":memory:")
    loads.load_demo(con)
    yield con
    con.close()


@pytest.fixture(scope="module")
def demo(demo_con):
    return headline(demo_con)


@pytest.fixture(scope="module")
def no_effect(tmp_path_factory):
    """A simulated company where mentoring does nothing (true hazard ratio 1), loaded from its files as a
    user's own would be (so it is not marked as the demo)."""
    from analytics.intake.demo import generate, uniform_effect_config
    from analytics.intake.prepare import prepare_load

    tmp = tmp_path_factory.mktemp("no_effect")
    company = generate(uniform_effect_config(1.0, n_employees=1500, seed=9))
    company.employees.to_csv(tmp / "employees.csv", index=False, date_format="%Y-%m-%d")
    company.mentorships.to_csv(tmp / "mentorships.csv", index=False, date_format="%Y-%m-%d")
    con = database.connect(":memory:")
    loads.load_plan(con, prepare_load(tmp / "employees.csv", tmp / "mentorships.csv"))
    h = headline(con)
    con.close()
    return h


class _Page(HTMLParser):
    """Every tag, every reference to something outside the page, and the text a reader sees."""

    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [value for name, value in attrs if name in ("src", "href", "data", "action", "xlink:href")
                      and value]

    def handle_data(self, data):
        self.text.append(data)


def _parsed(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


# ------------------------------------------------------------ the one-pager

def test_the_one_pager_needs_no_script_and_fetches_nothing(demo):
    page = onepager.one_pager_html(demo)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "demo_one_pager.html").write_text(page, encoding="utf-8")
    parsed = _parsed(page)
    assert "script" not in parsed.tags and parsed.refs == []
    assert not re.search(r"https?:|url\(|@import|@font-face", page, re.I)
    assert parsed.tags.count("svg") == 2  # the retention curves and the naive-vs-honest bars, drawn inline
    assert len(page.encode()) < 1_000_000


def test_the_one_pager_says_what_the_dashboard_says(demo):
    page = onepager.one_pager_html(demo)
    text = " ".join(_parsed(page).text)
    msg = messages.key_messages(demo)
    for key in ("demo", "scope", "effect", "naive"):
        assert msg[key] in text, key
    for quoted, _, ours in messages.quoted_beside_ours(demo):
        assert quoted[1:] in text and ours in text
    assert messages.QUOTED_SOURCE[1:] in text
    for row in messages.assumptions_frame(demo.business.inputs).itertuples():
        assert row.input in text and row.source in text
    assert "Generated " in text
    # the two questions and why they differ; the loss note 100 new mentees' range calls for (test_deck.py gives the
    # demo's figures)
    assert messages.reconcile_sentence(demo.business) in text
    for row in messages.two_questions_rows(demo.business):  # the credit, 100 new mentees, first year, doing nothing
        assert all(cell in text for cell in row)
    note = wording.loss_note(demo.business.per_new.net_benefit)
    assert note and note in text and wording.NO_CLEAR_EFFECT not in text


def test_a_range_that_includes_a_loss_is_said_in_the_warning_colour(demo_con, no_effect):
    dear = headline(demo_con, assumptions=Assumptions(programme_cost_per_mentee=20_000))
    assert dear.business.per_new.net_benefit.low < 0
    for h in (dear, no_effect):
        page = onepager.one_pager_html(h)
        note = wording.loss_note(h.business.per_new.net_benefit)  # at the cautious end, or across the whole range
        assert note in (wording.LOSS_NOTE, wording.ALL_LOSS_NOTE) and note in page and f"color: {palette.WARNING}" in page
        assert f'<span class="warn">{note}</span>' in page  # beside why the two answers differ
        assert messages.money_range(h.business.per_new.net_benefit) in page  # 100 new mentees' net, in the table
    page = onepager.one_pager_html(no_effect)
    assert wording.NO_CLEAR_EFFECT in page and wording.DEMO_NOTE not in page


def test_the_one_pager_escapes_values_from_the_files(tmp_path):
    hostile = '<img src=x onerror="alert(1)">'
    emp = employees_table(400, seed=11)
    emp["department"] = [hostile if i % 2 else "<script>alert(2)</script>" for i in range(len(emp))]
    con = database.connect(tmp_path / "h.duckdb")
    loads.load_files(con, write(emp, tmp_path / "e.csv"), write(mentorships_table(emp, 150), tmp_path / "m.csv"))
    page = onepager.one_pager_html(headline(con, Cohort(department=(hostile,))))
    con.close()
    assert "<img" not in page and "<script" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_the_curves_stop_where_fewer_than_five_remain():
    import numpy as np

    from analytics.common.policy import MIN_GROUP_SIZE
    from analytics.estimation.km import KaplanMeier

    days = np.arange(1, 13) * 60.0  # one exit every two months: at risk 12, 11, ..., 1
    km = KaplanMeier().fit(None, days, np.ones(12, dtype=bool))
    points = svg.curve_points(km, 30)
    assert points["time"].max() == days[12 - MIN_GROUP_SIZE]  # the exit with 5 at risk, and no later
    chart = svg.survival_chart({"mentored": km}, 30)
    assert chart.count('class="curve"') == 1


def test_the_charts_use_the_palette():
    """Mentored solid and dark, unmentored dashed and light: the two groups part in greyscale too."""
    styles = svg.line_styles(["mentored", "unmentored"])
    assert styles == {"mentored": (palette.MENTORED, "solid"), "unmentored": (palette.UNMENTORED, "dash")}
    assert palette.luminance(palette.UNMENTORED) > 3 * palette.luminance(palette.MENTORED)
    cohorts = svg.line_styles(["group", "not mentored", "reverse"])  # the Cohorts page's programme types
    assert cohorts["not mentored"] == (palette.UNMENTORED, "dash")
    assert len(set(cohorts.values())) == 3 and cohorts["group"] == (palette.SERIES[0], palette.DASHES[0])
    assert set(svg.DASHARRAY) >= set(palette.DASHES)


# ------------------------------------------------------------ the CSV zip

def _zip(h) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(tables.tables_zip(h))) as z:
        return {name: z.read(name).decode() for name in z.namelist()}


def _decimals(cell: str) -> int | None:
    """Digits after the point of a number as written; None for text or a blank."""
    match = re.fullmatch(r"-?\d+(?:\.(\d+))?(?:[eE][-+]?\d+)?", cell)
    return None if match is None else len(match.group(1) or "")


@pytest.mark.parametrize("company", ["demo", "no_effect"])
def test_every_csv_is_rounded_and_the_readme_describes_every_column(company, request):
    files = _zip(request.getfixturevalue(company))
    readme = files.pop("README.txt")
    assert len(files) >= 8
    for name, text in files.items():
        rows = list(csv.reader(io.StringIO(text)))
        section = readme[readme.index(f"\n{name}\n"):].split("\n\n")[0]
        for column in rows[0]:
            assert f"\n    {column}: " in section, (name, column)
        for row in rows[1:]:
            places = [_decimals(cell) for cell in row]
            assert all(p is None or p <= 4 for p in places), (name, row)
            assert not any("e" in cell.lower() for cell, p in zip(row, places) if p is not None), (name, row)
    business = {row[1]: row for row in csv.reader(io.StringIO(files["business_case.csv"]))}
    assert business["Average salary"][2].isdigit()           # money in whole units
    assert business["People employed now"][2].isdigit()      # people whole
    scenarios = list(csv.DictReader(io.StringIO(files["coverage_scenarios.csv"])))
    assert all(re.fullmatch(r"-?\d+", row[k]) for row in scenarios for k in ("savings", "net_benefit", "mentees"))


def test_rounding_keeps_the_figures(demo):
    files = _zip(demo)
    hrs = list(csv.DictReader(io.StringIO(files["hazard_ratios.csv"])))
    assert float(hrs[2]["estimate"]) == pytest.approx(demo.adjusted.hazard_ratio.estimate, abs=5e-5)
    days = list(csv.DictReader(io.StringIO(files["restricted_mean_tenure_days.csv"])))
    assert float(days[0]["estimate"]) == pytest.approx(demo.rmst["mentored"].estimate, abs=0.05)


# ------------------------------------------------------------ printed, in a real browser

def _chromium():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            raise RuntimeError("chromium is required in CI: scripts/ensure-test-tools.sh installs it")
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    return sync_playwright


# The chart's text boxes: the value after each bar against the zero line and the whiskers, and every text
# against every other, in page pixels.
CHART_OVERLAPS = """() => [...document.querySelectorAll('svg')].flatMap((chart) => {
    const box = (e) => e.getBoundingClientRect();
    const meets = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
    const texts = [...chart.querySelectorAll('text')];
    const out = [];
    texts.forEach((a, i) => texts.slice(i + 1).forEach((b) => {
        if (meets(box(a), box(b))) out.push(a.textContent + ' / ' + b.textContent);
    }));
    const zero = chart.querySelector('.zero');
    chart.querySelectorAll('.value, .label').forEach((t) => {
        if (zero && meets(box(t), box(zero))) out.push(t.textContent + ' / the zero line');
        chart.querySelectorAll('.whisker, .bar').forEach((w) => {
            if (meets(box(t), box(w))) out.push(t.textContent + ' / a bar or its range');
        });
    });
    return out;
})"""


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def _company(kind: str, tmp_path_factory):
    from tests.companies import build

    con = database.connect(build(kind, tmp_path_factory.mktemp(kind) / "c.duckdb"), read_only=True)
    try:
        return headline(con)
    finally:
        con.close()


@pytest.fixture(scope="module")
def harm(tmp_path_factory):
    """A company where mentoring raises exits (tests/companies.py): its longer warnings must still fit."""
    return _company("harm", tmp_path_factory)


@pytest.fixture(scope="module")
def real_like(tmp_path_factory):
    """No rating or level in the file, and a naive figure that understates (tests/companies.py)."""
    return _company("real_like", tmp_path_factory)


@pytest.mark.browser
@pytest.mark.parametrize("company", ["demo", "no_effect", "harm", "real_like"])
def test_the_one_pager_prints_on_one_page_at_a4_and_letter(company, request):
    """Printed by Chromium with every network request refused: one page at A4 and one at US Letter, and
    no chart label touches another, the zero line, a bar or a range."""
    sync_playwright = _chromium()
    page_html = onepager.one_pager_html(request.getfixturevalue(company))
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"one_pager_{company}.html"
    path.write_text(page_html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 900, "height": 1200})
        attempted = []

        def refuse(route):
            attempted.append(route.request.url)
            route.abort()

        page.route(lambda url: not url.startswith("file:"), refuse)
        page.goto(path.as_uri())
        (ARTIFACTS / "screenshots").mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "screenshots" / f"one_pager_{company}.png"), full_page=True)
        assert page.evaluate(CHART_OVERLAPS) == []
        page.emulate_media(media="print")
        assert page.evaluate(CHART_OVERLAPS) == []
        for paper in ("A4", "Letter"):
            pdf = page.pdf(format=paper, print_background=True)
            (ARTIFACTS / f"one_pager_{company}_{paper}.pdf").write_bytes(pdf)
            assert _pages(pdf) == 1, f"{company} at {paper}"
        browser.close()
    assert attempted == []
