"""Any sequence of loads, undos and restores of the demo leaves a state like a load's: every page, the CLI and
every export work on it, and a state brought back by undo reads exactly as it did when it was first loaded."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.store import database, loads
from analytics.surface.cli import main
from tests.builders import employees_table, mentorships_table, write
from tests.test_app import PAGES, assert_clean, open_app

ROOT = Path(__file__).resolve().parent.parent


def _files(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    """Two file sets: the samples, and a small company with a tenth of its rows set aside (so a warning)."""
    emp = employees_table(120, seed=3)
    emp.loc[:11, "hire_date"] = "not a date"  # 12 of 120 rows set aside: over the 5% warning threshold
    bad = (write(emp, tmp_path / "bad_e.csv"), write(mentorships_table(emp.iloc[12:], n=40), tmp_path / "bad_m.csv"))
    return {"samples": (ROOT / "data" / "sample_employees.csv", ROOT / "data" / "sample_mentorships.csv"),
            "set_aside": bad}


def _step(db: str, op: str, files: dict) -> None:
    if op == "demo":
        assert main(["demo", "--db", db, "--employees", "400"]) == 0
    elif op in ("undo", "redo"):
        assert main([op, "--db", db]) == 0
    else:
        e, m = files[op]
        assert main(["load", "--db", db, "--employees", str(e), "--mentorships", str(m)]) == 0


def _summary(db: str, capsys) -> dict:
    capsys.readouterr()
    assert main(["summary", "--json", "--db", db]) == 0
    return json.loads(capsys.readouterr().out)


def _every_output_works(db: str, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["summary", "--db", db]) == 0
    assert "Traceback" not in capsys.readouterr().out
    for fmt in ("html", "pptx"):
        out = tmp_path / f"report.{fmt}"
        assert main(["report", "--format", fmt, "--out", str(out), "--db", db]) == 0 and out.stat().st_size > 1000
    assert main(["export", "--out", str(tmp_path / "people.csv"), "--db", db]) == 0
    assert main(["rejects", "--out", str(tmp_path / "rejects.csv"), "--db", db]) == 0
    assert main(["history", "--db", db]) == 0


# Each sequence starts from the demo; after every step the state is checked. The states a sequence visits are
# named so that an undo can be checked against what the same data read as when it was loaded.
SEQUENCES = {
    "load then undo": ["samples", "undo"],
    "back twice, forward, then a load with rows set aside": ["samples", "set_aside", "undo", "undo", "redo",
                                                            "set_aside", "undo"],
    "restore the demo between loads": ["set_aside", "demo", "undo", "samples", "undo", "undo"],
}


def _expected_after_undo(states: list[str], ops: list[str]) -> list[str]:
    """Which data each step leaves. Every change is a numbered state; undo brings back the state before the one
    shown (each undo goes further back), redo the one after it, and a load is a new state."""
    names, shown, number, out = {1: states[0]}, 1, 1, []
    for op in ops:
        number += 1
        if op in ("undo", "redo"):
            shown += -1 if op == "undo" else 1
            names[number] = names[shown]
        else:
            names[number], shown = op, number
        out.append(names[shown])
    return out


@pytest.mark.parametrize("name", list(SEQUENCES))
def test_every_output_works_after_any_sequence_of_load_undo_and_restore(tmp_path, capsys, name):
    db = str(tmp_path / "seq.duckdb")
    files = _files(tmp_path)
    _step(db, "demo", files)
    seen = {"demo": _summary(db, capsys)}
    for op, state in zip(SEQUENCES[name], _expected_after_undo(["demo"], SEQUENCES[name])):
        _step(db, op, files)
        result = _summary(db, capsys)
        if state in seen:  # the same data, however it came back, reads exactly as before: warnings included
            assert result == seen[state], (op, state)
        seen[state] = result
        _every_output_works(db, tmp_path, capsys)
    assert any("set aside" in w for w in seen.get("set_aside", {"warnings": ["set aside"]})["warnings"])


def test_every_page_works_after_an_undo(monkeypatch, tmp_path, capsys):
    """The pages on the state an undo brings back (once 'Something went wrong' on all of them), and on an undone undo."""
    db = str(tmp_path / "pages.duckdb")
    files = _files(tmp_path)
    for op in ("demo", "set_aside", "undo"):
        _step(db, op, files)
    for state in ("demo", "set_aside"):
        if state == "set_aside":
            _step(db, "redo", files)  # forward again: back to the load with rows set aside
        for page, title in PAGES.items():
            at = open_app(monkeypatch, Path(db), page)
            assert_clean(at)
            assert at.title[0].value == title
            assert not any("Something went wrong" in e.value for e in at.error)
        at = open_app(monkeypatch, Path(db), "views/overview.py")
        assert any("set aside" in w.value for w in at.warning) == (state == "set_aside")


def test_an_undo_is_recorded_as_fully_as_a_load(tmp_path):
    db = tmp_path / "rec.duckdb"
    files = _files(tmp_path)
    for op in ("demo", "set_aside", "samples", "undo"):
        _step(str(db), op, files)
    con = database.connect(db)
    history = loads.history(con)
    undo, load = (json.loads(r) for r in database.frame(con, "load_history").sort_values("load_id")["report"].iloc[[-1, -3]])
    con.close()
    assert history["source"].iloc[0] == "undo"
    for key in ("employees", "mentorships", "warnings", "reason_mapping", "ignored_columns"):
        assert undo[key] == load[key], key
