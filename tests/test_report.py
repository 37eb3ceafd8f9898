"""The one-pager and the CSV tables, produced for the demo data (the deck: test_deck.py)."""
from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pptx import Presentation

from analytics.case.summary import headline
from analytics.outputs import messages, onepager, tables
from analytics.store import database, loads
from analytics.surface.cli import main
from analytics.words import wording

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


@pytest.fixture(scope="module")
def demo():
    con = database.connect(":memory:")
    loads.load_demo(con)
    return headline(con)


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
    page = onepager.one_pager_html(demo)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "demo_one_pager.html").write_text(page, encoding="utf-8")
    parser = _References()
    parser.feed(page)
    assert parser.refs == []                      # no src/href at all: nothing to fetch
    assert "url(" not in page                     # the inline CSS loads nothing either
    assert parser.scripts == 0 and page.count("<svg") == 2  # charts drawn inline, readable without a script
    assert "less likely" in page and "naive report" in page.lower()


def test_csv_tables(demo):
    with zipfile.ZipFile(io.BytesIO(tables.tables_zip(demo))) as z:
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
    assert Presentation(str(tmp_path / "d.pptx")).slides[0].shapes.title.text == "Is mentoring keeping people?"
    assert main(["report", "--db", db, "--format", "html", "--out", str(tmp_path / "nowhere" / "x.html")]) == 2
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize("amount, words", [(None, "–"), (950, "$950"), (261_799, "$262k"), (-585_022, "-$585k"),
                                           (1_027_729, "$1.0M")])
def test_money_reads_as_executives_read_amounts(amount, words):
    assert wording.money(amount) == words


def test_briefing_states_the_business_case_in_the_same_money_words(demo, capsys, tmp_path):
    """The CLI briefing quotes 100 new mentees' net value as the pages and exports do."""
    net = demo.business.per_new.net_benefit
    db = tmp_path / "demo.duckdb"
    con = database.connect(db)
    loads.load_demo(con)
    con.close()
    assert main(["summary", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    words = f"net value {wording.money(net.estimate)} (range {wording.money(net.low)} to {wording.money(net.high)})"
    line = next(line for line in lines if line.startswith("Business case"))
    assert words in line and "the mentoring already done is still worth" in line and "no return claimed" in line
    # and the warning its range calls for follows it (test_deck.py gives the demo's figures)
    assert net.low < 0 and lines[-1] == wording.loss_note(net)


def test_value_sentence_names_the_horizon_and_the_payback(demo):
    from analytics.case.summary import Assumptions
    assert "exits avoided a year" in messages.key_messages(demo)["value"]
    con = database.connect(":memory:")
    loads.load_demo(con)
    three = headline(con, assumptions=Assumptions(horizon_years=3))
    value = messages.key_messages(three)["value"]
    pay = three.business.per_new.payback_months
    assert "exits avoided over 3 years" in value and "a year" not in value
    new = messages.new_mentees_sentence(three.business)  # 100 new mentees' payback, in their own sentence
    assert new.endswith(messages.payback_words(pay, 3))
    if three.business.per_new.net_benefit.estimate < 0:  # three years' savings below the full cost: not paid back
        assert pay.estimate is None and "does not pay back within that time" in new and "over 3 years" in new
    else:
        assert f"in about {pay.estimate:,.0f} months" in new


@pytest.mark.parametrize("estimate, low, high, words", [
    (14.2, 9.6, 30.1, "It pays back its cost in about 14 months (range 10 months to 30 months)."),
    (14.2, 9.6, None, "It pays back its cost in about 14 months (range 10 months to not within 2 years)."),
    (None, 20.0, None, "At the estimate, what it saves over 2 years does not cover its full cost, so it does not pay "
                       "back within that time."),
], ids=["ranged", "slow-end-not-within", "not-within"])
def test_payback_words(estimate, low, high, words):
    from analytics.case.business import Range
    assert messages.payback_words(Range(estimate, low, high), years=2) == words


def test_money_is_in_the_currency_the_salaries_are_written_in(tmp_path):
    """Salaries written as '53.900,00 EUR': the business case's money is in EUR on every output, its source the
    data; without a currency in the file, $ labelled an assumption."""
    from analytics.case.summary import Assumptions, to_json
    from analytics.intake.prepare import prepare_load
    from analytics.words import costs
    from tests.builders import employees_table, mentorships_table, write

    emp = employees_table(400, seed=11)
    men = mentorships_table(emp, 150)
    euros = emp.assign(salary=[f"{float(s):,.2f} EUR".replace(",", " ").replace(".", ",").replace(" ", ".")
                               for s in emp["salary"]])  # 85699 as '85.699,00 EUR'
    salaries = pd.to_numeric(emp["salary"])
    con = database.connect(tmp_path / "eur.duckdb")
    loads.load_plan(con, prepare_load(write(euros, tmp_path / "e.csv"), write(men, tmp_path / "m.csv")))
    h = headline(con)
    case = to_json(h)["business_case"]
    assert case["currency"] == "EUR" and case["inputs"]["currency"]["source"].startswith("from your data")
    assert h.business.inputs.average_salary == pytest.approx(salaries[emp["termination_date"] == ""].mean(),
                                                             rel=0.2)  # read as euros, not as cents or thousands
    assert "EUR " in messages.value_sentence(h.business) and "$" not in messages.value_sentence(h.business)
    assert "EUR " in onepager.one_pager_html(h)
    chosen = headline(con, assumptions=Assumptions(currency="CHF")).business.inputs  # a setting wins
    assert chosen.currency == "CHF" and chosen.sources["currency"] == wording.YOUR_INPUT
    con.close()
    plain = database.connect(tmp_path / "plain.duckdb")
    loads.load_plan(plain, prepare_load(write(emp, tmp_path / "e2.csv"), write(men, tmp_path / "m2.csv")))
    x = headline(plain).business.inputs
    assert x.currency == "$" and x.sources["currency"] == costs.CURRENCY_ASSUMED
