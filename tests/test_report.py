"""The deck, the one-pager and the CSV tables, produced for the demo data."""
from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation

from analytics import report, store, wording
from analytics.cli import main
from analytics.summary import headline

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="module")
def demo():
    con = store.connect(":memory:")
    store.load_demo(con)
    return headline(con)


@pytest.fixture(scope="module")
def deck(demo):
    data = report.deck_pptx(demo)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "demo_deck.pptx").write_bytes(data)
    return Presentation(io.BytesIO(data))


def _title(slide) -> str:
    return slide.shapes[0].text_frame.text


def test_deck_has_the_six_slides(deck):
    titles = [_title(s) for s in deck.slides]
    assert titles[0] == "Is mentoring keeping people?"
    assert titles[1:4] == ["Who is still here, by months since hire",
                           "The honest figure vs what a naive report claims",
                           "What the programme is worth, with its range"]
    assert titles[4].startswith("If 76% were mentored instead of")
    assert titles[5] == "Method and assumptions"


def _charts(slide):
    return [shape.chart for shape in slide.shapes if shape.has_chart]


def test_deck_charts_are_native_with_the_expected_series(deck, demo):
    slides = list(deck.slides)
    curves = _charts(slides[1])[0]
    assert [s.name for s in curves.plots[0].series] == ["mentored", "unmentored"]
    assert list(curves.plots[0].categories)[:3] == ["0", "1", "2"]
    first_year = list(curves.plots[0].series[0].values)[12]
    assert first_year == pytest.approx(demo.curves.mentored.survival_at(12 * 30.4375).estimate)
    honest = _charts(slides[2])[0]
    assert list(honest.plots[0].categories) == ["Naive report (overstated)", "From mentoring start",
                                                "Honest: like with like"]
    values = list(honest.plots[0].series[0].values)
    assert values[0] > values[2]  # the naive claim is the larger reduction
    worth = _charts(slides[3])[0]
    assert list(worth.plots[0].categories) == ["Savings", "Programme cost", "Net benefit"]
    assert [s.name for s in worth.plots[0].series] == ["cautious", "estimate", "optimistic"]
    assert len(_charts(slides[4])[0].plots[0].series) == 3


def test_deck_states_its_assumptions_with_sources(deck):
    method = " ".join(shape.text_frame.text for shape in list(deck.slides)[5].shapes if shape.has_text_frame)
    assert "Cost of replacing a leaver (share of salary): 50% (assumption: Gallup estimates 0.5-2x salary)" in method
    assert "Average salary" in method and "from your data (n = " in method


def test_the_effects_source_counts_people_not_model_rows(demo):
    """The demo's 5,000 employees make more counting-process rows (one more per mentored person)."""
    people = demo.follow_up.rows["employee_id"].nunique()
    assert len(demo.follow_up.rows) > people
    assert demo.business.inputs.sources["hazard_ratio"] == f"adjusted model, from your data (n = {people:,})"


class _References(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs, self.scripts = [], 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self.refs += [value for name, value in attrs if name in ("src", "href", "data", "action") and value]


def test_one_pager_is_self_contained(demo):
    page = report.one_pager_html(demo)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "demo_one_pager.html").write_text(page, encoding="utf-8")
    parser = _References()
    parser.feed(page)
    assert parser.refs == []                      # no src/href at all: nothing to fetch
    assert "url(" not in page                     # the inline CSS loads nothing either
    assert parser.scripts == 0 and page.count("<svg") == 2  # charts drawn inline, readable without a script
    assert "less likely" in page and "naive report" in page.lower()


def test_csv_tables(demo):
    with zipfile.ZipFile(io.BytesIO(report.tables_zip(demo))) as z:
        names = set(z.namelist())
        assert {"README.txt", "hazard_ratios.csv", "adjusted_model.csv", "retention_curves.csv", "business_case.csv",
                "coverage_scenarios.csv", "sensitivity_roi.csv", "median_tenure_days.csv"} <= names
        hrs = pd.read_csv(z.open("hazard_ratios.csv"))
        medians = pd.read_csv(z.open("median_tenure_days.csv")).set_index("label")
    assert medians.loc["unmentored", "estimate"] == demo.median_tenure["unmentored"].estimate
    assert list(hrs["label"]) == ["naive (overstated)", "time-varying", "adjusted (honest)"]
    assert hrs.loc[2, "estimate"] == pytest.approx(demo.adjusted.hazard_ratio.estimate, abs=5e-5)  # 4 decimals


def test_report_cli(tmp_path, capsys):
    db = str(tmp_path / "r.duckdb")
    assert main(["demo", "--db", db]) == 0
    assert main(["report", "--db", db, "--format", "pptx", "--out", str(tmp_path / "d.pptx")]) == 0
    assert len(Presentation(str(tmp_path / "d.pptx")).slides) == 6
    assert main(["report", "--db", db, "--format", "html", "--out", str(tmp_path / "nowhere" / "x.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("amount, words", [(None, "–"), (950, "$950"), (261_799, "$262k"), (-585_022, "-$585k"),
                                           (1_027_729, "$1.0M")])
def test_money_reads_as_executives_read_amounts(amount, words):
    assert wording.money(amount) == words


def test_briefing_states_the_business_case_in_the_same_money_words(demo, capsys, tmp_path):
    """The CLI briefing quotes the net benefit as the pages and exports do."""
    net = demo.business.current.net_benefit
    db = tmp_path / "demo.duckdb"
    con = store.connect(db)
    store.load_demo(con)
    con.close()
    assert main(["summary", "--db", str(db)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert f"net benefit {wording.money(net.estimate)} (range {wording.money(net.low)} to {wording.money(net.high)})" in last


def test_value_sentence_names_the_horizon_and_the_payback(demo):
    from analytics.summary import Assumptions
    assert "exits a year" in wording.key_messages(demo)["value"]
    con = store.connect(":memory:")
    store.load_demo(con)
    three = headline(con, assumptions=Assumptions(horizon_years=3))
    value = wording.key_messages(three)["value"]
    pay = three.business.current.payback_months
    assert "exits over 3 years" in value and "a year" not in value
    assert value.endswith(wording.payback_words(pay)) and f"in about {pay.estimate:,.0f} months" in value


@pytest.mark.parametrize("estimate, low, high, words", [
    (14.2, 9.6, 30.1, "It pays back its cost in about 14 months (range 10 months to 30 months)."),
    (14.2, 9.6, None, "It pays back its cost in about 14 months (range 10 months to never)."),
    (None, 20.0, None, "At the honest estimate it saves nothing, so it does not pay back its cost."),
], ids=["ranged", "slow-end-never", "no-savings"])
def test_payback_words(estimate, low, high, words):
    from analytics.business import Range
    assert wording.payback_words(Range(estimate, low, high)) == words
