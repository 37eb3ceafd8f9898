"""Words follow numbers: on companies where mentoring helps, does nothing, harms, or where the naive figure
understates, every output (the Overview and Business case pages, the deck's slides and notes, the one-pager and
the briefing) says what that company's own estimates say, and nothing a template would say instead.

The companies are simulations with a known truth (tests/companies.py); each kind's estimates are checked to
fall in its category first (tests/test_companies.py), so a failure here is the words', not the data's."""
from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from pptx import Presentation

from analytics.case.summary import headline, summarise
from analytics.outputs import deck, messages, onepager
from analytics.store import database
from analytics.words import verdict, wording
from tests.companies import COMPANIES, build
from tests.test_app import assert_clean, open_app, shown
from tests.test_deck import _notes, _texts, _title

KINDS = ("benefit", "no_effect", "harm", "naive_understates", "real_like")


def _page_text(at) -> str:
    parts = []
    for kind in ("title", "markdown", "caption", "success", "info", "warning", "error", "subheader"):
        parts += [str(e.value) for e in getattr(at, kind)]
    for m in at.metric:
        parts += [str(m.label), str(m.value), str(m.help or "")]
        delta = m.proto.delta if hasattr(m, "proto") else ""
        parts.append(str(delta))
    return shown("\n".join(parts))


@pytest.fixture(scope="module", params=KINDS)
def company(request, tmp_path_factory):
    """One company's every output, as text: pages, deck (slides and notes), one-pager, briefing."""
    kind = request.param
    path = build(kind, tmp_path_factory.mktemp(kind) / f"{kind}.duckdb")
    con = database.connect(path, read_only=True)
    try:
        h = headline(con)
        told = deck.contents(con, h=h)
        result = summarise(con)
    finally:
        con.close()
    prs = Presentation(io.BytesIO(deck.deck_pptx(told)))
    slides = {_title(s): " ".join(_texts(s)) for s in prs.slides}
    notes = {_title(s): _notes(s) for s in prs.slides}
    page = onepager.one_pager_html(h)
    text = {"deck": "\n".join(f"{t}\n{body}" for t, body in slides.items()),
            "notes": "\n".join(notes.values()),
            "one-pager": html.unescape(re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1])),
            "briefing": messages.briefing(result)}
    return {"kind": kind, "path": path, "h": h, "result": result, "slides": slides, "text": text}


@pytest.fixture(scope="module")
def pages(company, request):
    """The Overview's and the Business case page's texts for the company (a fresh AppTest per page)."""
    mp = pytest.MonkeyPatch()
    try:
        out = {}
        for page in ("views/overview.py", "views/business_case.py"):
            at = open_app(mp, company["path"], page)
            assert_clean(at)
            out[page] = _page_text(at)
        return out
    finally:
        mp.undo()


def _all(company, pages) -> dict[str, str]:
    return {**company["text"], **{f"page {p}": t for p, t in pages.items()}}


def test_the_company_is_of_its_kind(company):
    """The words are judged against the kind; first check the company's own estimates are of it."""
    v = company["result"]["verdict"]
    expected = {"benefit": (verdict.FEWER, verdict.OVERSTATES), "no_effect": (verdict.UNCLEAR, verdict.OVERSTATES),
                "harm": (verdict.MORE, None), "naive_understates": (verdict.FEWER, verdict.UNDERSTATES),
                "real_like": (verdict.FEWER, verdict.UNDERSTATES)}[company["kind"]]
    assert v["effect"] == expected[0]
    if expected[1]:
        assert v["naive"] == expected[1]


def test_the_effect_is_said_as_its_range_allows(company, pages):
    kind = verdict.effect(company["result"]["hazard_ratio"]["adjusted"])
    for where, text in _all(company, pages).items():
        states = where != "page views/business_case.py"  # the Business case page states no effect of its own
        if kind == verdict.FEWER:
            assert "less likely" in text or not states, where
            assert wording.NO_CLEAR_EFFECT not in text and "No clear effect" not in text, where
            assert wording.HARM_NOTE not in text, where
        elif kind == verdict.UNCLEAR:
            assert wording.NO_CLEAR_EFFECT in text or "No clear effect" in text or not states, where
            assert wording.HARM_NOTE not in text, where
        else:  # harm: said as harm everywhere, never as "no clear effect"
            assert "more likely" in text or not states, where
            assert wording.HARM_NOTE in text or not states, where
            assert wording.NO_CLEAR_EFFECT not in text and "No clear effect" not in text, where
            assert "cannot rule out that mentoring makes no difference" not in text, where


def test_the_deck_titles_follow_the_numbers(company):
    h, titles = company["h"], list(company["slides"])
    kind = verdict.effect(h.adjusted.hazard_ratio)
    answer = titles[1]
    assert answer == "The answer: " + wording.effect_title(h.adjusted.hazard_ratio)
    assert ("no clear effect" in answer) == (kind == verdict.UNCLEAR)
    assert ("more likely" in answer) == (kind == verdict.MORE)
    reading = company["result"]["verdict"]["naive"]
    said_more = "Why a simple report would say more" in titles
    said_less = "Why a simple report would say less" in titles
    assert said_more == (reading == verdict.OVERSTATES) and said_less == (reading == verdict.UNDERSTATES)
    sure = company["slides"]["How sure are we"]
    if kind == verdict.MORE:
        assert "linked both to being mentored and to leaving" in sure
        assert "Where mentoring more people would do least harm" in titles
    elif kind == verdict.FEWER:
        assert "linked both to being mentored and to staying" in sure


def test_the_naive_figure_is_said_to_overstate_only_where_it_does(company, pages):
    reading = company["result"]["verdict"]["naive"]
    wrong = {verdict.OVERSTATES: ("look worse than it is", "(understated)"),
             verdict.UNDERSTATES: ("look better than it is", "(overstated)", "overstates"),
             verdict.AGREES: ("look worse than it is", "look better than it is", "(overstated)", "(understated)")}
    right = wording.NAIVE_READING[reading]
    for where, text in _all(company, pages).items():
        for phrase in wrong[reading]:
            assert phrase not in text, (where, phrase)
    for where in ("deck", "one-pager", "briefing", "page views/overview.py"):
        assert right in _all(company, pages)[where], where


def test_only_characteristics_the_data_hold_are_named(company, pages):
    covariates = company["h"].adjusted.covariates
    for where, text in _all(company, pages).items():
        assert "better rated, more senior" not in text, where
        if "performance_rating" not in covariates:
            assert not re.search(r"\brat(ed|ing)\b", text), where
        if "job_level" not in covariates:
            assert "senior" not in text and "job level" not in text.lower().replace("job level:", ""), where


def test_money_and_exits_are_said_as_their_ranges_allow(company, pages):
    case = company["h"].business
    net = case.per_new.net_benefit  # the decision the outputs' loss note follows: 100 new mentees at their full cost
    note = wording.loss_note(net)
    for where, text in _all(company, pages).items():
        assert not re.search(r"about -\d|-\d+(\.\d)? exits", text), where  # negative exits are extra exits
        if verdict.value(net) == verdict.LOSS:
            assert wording.LOSS_NOTE not in text, where  # never "at the cautious end" when all of it is a loss
    for where in ("deck", "one-pager", "briefing"):
        if note:
            assert note in company["text"][where], where
        else:
            assert wording.LOSS_NOTE not in company["text"][where] and wording.ALL_LOSS_NOTE not in company["text"][where]
    if verdict.value(case.already_done.avoided_exits) == verdict.LOSS:
        assert "extra exits" in company["text"]["briefing"]
        assert "exits avoided (range" not in company["text"]["briefing"]


def test_unadjusted_figures_say_so(company):
    briefing = company["text"]["briefing"]
    for line in briefing.splitlines():
        if "months longer" in line or "months less long" in line or line.startswith("Median tenure") \
                or " months after hire" in line:
            assert "unadjusted" in line, line
    assert "unadjusted" in company["text"]["one-pager"]


def test_the_json_carries_the_same_decisions(company):
    result = company["result"]
    hr = result["hazard_ratio"]
    assert result["verdict"]["effect"] == verdict.effect(hr["adjusted"])
    assert result["verdict"]["naive"] == verdict.naive_reading(hr["naive"], hr["adjusted"])
    for segment in result["where_next"]:
        assert segment["verdict"] == verdict.effect(segment["hazard_ratio"])
        if segment["verdict"] == verdict.MORE:
            assert segment["exits_avoided_per_100"]["upper"] < 0
