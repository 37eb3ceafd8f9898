"""The demo company (`python -m analytics demo`): the company whose characteristics change, with its job history,
mentoring's effects switched on (analytics/intake/demo_changing.py `demo_config`). Its known truth and what the
product says on it are in docs/demo.md, "The demo company"; the checks here keep the two in step. The figures the
product gives on the demo (and on other seeds) are measured with

    .venv/bin/python -m tests.test_demo_company --seeds 20240601
    .venv/bin/python -m tests.test_demo_company --seeds 1-8
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from analytics.case.summary import headline
from analytics.estimation import followup
from analytics.estimation.outcomes import outcome_effect
from analytics.estimation.phases import mentoring_phases
from analytics.intake.demo_changing import (
    DEMO_DIRECT_HR_AFTER_END, DEMO_DIRECT_HR_WHILE_MENTORED, DEMO_PROGRAMME_HR, DEMO_PROMOTION_HR_IF_MENTORED,
    demo_config, generate_changing,
)
from analytics.intake.prepare import plan_from_frames
from analytics.store import database, loads

DOC = Path(__file__).resolve().parents[1] / "docs" / "demo.md"


def measure(seed: int | None = None, n_employees: int = 5000) -> dict:
    """The product's figures on a demo company: the naive, time-varying and adjusted hazard ratios with the job
    history, mentoring's phases and the promotion effect, and the adjusted one on the export alone."""
    cfg = demo_config(n_employees=n_employees, seed=seed)
    data = generate_changing(cfg)
    out: dict = {"seed": cfg.seed, "truth": data.truth["mentoring_effect"]}
    for mode, history in (("history", data.job_history), ("snapshot", None)):
        con = database.connect(":memory:")
        try:
            loads.load_plan(con, plan_from_frames(data.employees, data.mentorships, job_history=history),
                            source="demo", metadata={"demo_truth": data.truth, "as_of": str(cfg.as_of)})
            h = headline(con)
            assert h.follow_up.covariates_from == mode
            out[mode] = {k: getattr(h, k).hazard_ratio.to_dict() for k in ("naive", "time_varying", "adjusted")}
            if mode == "history":
                fu = followup.follow_up(con)
                phases = mentoring_phases(con, fu)
                out[mode]["while_mentored"] = phases.while_mentored.to_dict()
                out[mode]["after_mentoring"] = phases.after_mentoring.to_dict()
                out[mode]["promotion"] = outcome_effect(con, fu, "promotion").hazard_ratio.to_dict()
        finally:
            con.close()
    return out


# --- the truth written down is the simulation's ------------------------------------------------------------------

def _doc_section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## The demo company")
    return text[start:text.index("\n## ", start + 1)]


def _doc_row(section: str, label: str) -> list[str]:
    """The cells after `label` in the table row that starts with it."""
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == label:
            return cells[1:]
    raise AssertionError(f"docs/demo.md, 'The demo company': no table row {label!r}")


def _number(cell: str) -> float:
    return float(re.sub(r"[,%]", "", cell))


@pytest.fixture(scope="module")
def demo():
    return generate_changing(demo_config())


def test_the_docs_truth_is_the_simulations(demo):
    """Every true figure in docs/demo.md ("The demo company") equals the simulation's truth, as shown (rounded to
    the decimals written), so the doc cannot drift from the code."""
    truth, realised = demo.truth["mentoring_effect"], demo.truth["realised"]
    section = _doc_section()
    total = truth["total_effect_1y"]
    expected = {
        "direct, while mentored": [truth["direct_hr_while_mentored"], truth["realised_mix_while"]],
        "direct, after it ended": [truth["direct_hr_after_end"], truth["realised_mix_after"]],
        "promotion, from the first start": [truth["promotion_hr_if_mentored"]],
        "promotions": [realised["promotions"], realised["promotions_without_mentoring"]],
        "voluntary exits (all)": [realised["exits"]["voluntary"], realised["exits_without_mentoring"]["voluntary"]],
        "voluntary exit within a year of the first start": [100 * total["risk_with"], 100 * total["risk_without"],
                                                            total["risk_ratio"], total["n"]],
    }
    for label, values in expected.items():
        cells = _doc_row(section, label)
        shown = [c for c in cells if re.fullmatch(r"[\d.,]+%?", c)]
        assert len(shown) == len(values), (label, cells)
        for cell, value in zip(shown, values):
            decimals = len(cell.rstrip("%").partition(".")[2])
            assert _number(cell) == round(value, decimals), (label, cell, value)
    for programme, factor in truth["programme_hr"].items():
        cells = _doc_row(section, programme)
        assert [_number(c) for c in cells[:3]] == [factor, round(truth["direct_hr_while_by_programme"][programme], 3),
                                                   round(truth["direct_hr_after_by_programme"][programme], 4)]
    assert (truth["direct_hr_while_mentored"], truth["direct_hr_after_end"], truth["promotion_hr_if_mentored"]) == (
        DEMO_DIRECT_HR_WHILE_MENTORED, DEMO_DIRECT_HR_AFTER_END, DEMO_PROMOTION_HR_IF_MENTORED)
    assert truth["programme_hr"] == DEMO_PROGRAMME_HR


# --- the demo as `python -m analytics demo` loads it -------------------------------------------------------------

def test_the_cli_demo_loads_the_company_with_its_job_history_and_records_it(tmp_path, capsys):
    from analytics.surface.cli import main

    db = str(tmp_path / "demo.duckdb")
    assert main(["demo", "--db", db, "--employees", "800", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "job_history:" in out and "loaded from demo:job_history, 0 set aside" in out
    data = generate_changing(demo_config(n_employees=800, seed=3))
    con = database.connect(db)
    try:
        truth = database.metadata(con, "demo_truth")
        assert truth["config"] == json.loads(json.dumps(demo_config(n_employees=800, seed=3).as_dict()))
        assert database.metadata(con, "as_of") == "2024-12-31"
        states = loads.states(con)
        shown = states[states["shown"]].iloc[0]
        assert shown["source"] == "demo"
        assert (shown["employees_loaded"], shown["mentorships_loaded"], shown["job_history_loaded"]) == (
            800, len(data.mentorships), len(data.job_history))
        assert followup.follow_up(con).covariates_from == "history"
    finally:
        con.close()
    assert main(["demo", "--db", db, "--if-empty"]) == 0
    assert "already holds data" in capsys.readouterr().out


def test_the_product_on_the_demo_tells_the_story_in_docs_demo_md():
    """What the product says on the demo (docs/demo.md, "What the product says"): the naive figure far below the
    truth; with the job history the adjusted range holds the truth's mix of while and after, the phases hold
    their own truths and the promotion range holds 1.5; on the export alone the adjusted figure overstates the
    effect (lies below the history's, as on every one of seeds 1-8)."""
    m = measure()
    truth, hist, snap = m["truth"], m["history"], m["snapshot"]
    assert hist["naive"]["upper"] < truth["realised_mix_while"] / 2
    for unadjusted in ("naive", "time_varying"):  # no characteristics: the same with the history or without
        assert hist[unadjusted]["estimate"] == pytest.approx(snap[unadjusted]["estimate"], rel=1e-9)
    assert hist["adjusted"]["lower"] < truth["realised_mix_after"]
    assert hist["adjusted"]["upper"] > truth["realised_mix_while"]
    assert hist["while_mentored"]["lower"] < truth["realised_mix_while"] < hist["while_mentored"]["upper"]
    assert hist["after_mentoring"]["lower"] < truth["realised_mix_after"] < hist["after_mentoring"]["upper"]
    assert hist["promotion"]["lower"] < truth["promotion_hr_if_mentored"] < hist["promotion"]["upper"]
    assert snap["adjusted"]["estimate"] < hist["adjusted"]["estimate"]
    # and the figures written in docs/demo.md are these, as shown (three decimals)
    section = _doc_section()
    rows = {"naive: ever vs never mentored": hist["naive"], "time-varying, unadjusted": hist["time_varying"],
            "adjusted, characteristics as they were (the job history; what the pages show)": hist["adjusted"],
            "adjusted, the export's one value per person (loaded without the job history)": snap["adjusted"],
            "while mentored (Methods, mentoring's phases)": hist["while_mentored"],
            "after mentoring ended": hist["after_mentoring"],
            "promotion (Methods, promotions and moves)": hist["promotion"]}
    for label, hr in rows.items():
        written = _doc_row(section, label)[0]
        assert written == f"{hr['estimate']:.3f} ({hr['lower']:.3f}-{hr['upper']:.3f})", (label, written, hr)


def _seeds(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="20240601")
    p.add_argument("--n-employees", type=int, default=5000)
    args = p.parse_args(argv)

    def hr(d: dict) -> str:
        return f"{d['estimate']:.3f} ({d['lower']:.3f}-{d['upper']:.3f})"

    for seed in _seeds(args.seeds):
        m = measure(seed, args.n_employees)
        t = m["truth"]
        total = t["total_effect_1y"]
        print(json.dumps({
            "seed": seed, "truth": {"while": round(t["realised_mix_while"], 3), "after": round(t["realised_mix_after"], 3),
                                    "promotion": t["promotion_hr_if_mentored"],
                                    "total_1y": [round(total["risk_with"], 4), round(total["risk_without"], 4),
                                                 round(total["risk_ratio"], 3)]},
            **{f"{mode} {k}": hr(v) for mode in ("history", "snapshot") for k, v in m[mode].items()},
        }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
