"""The sample files in data/ follow the contract and load without a row set aside."""
from pathlib import Path

import pandas as pd

from analytics.intake.schema import EMPLOYEES, MENTORSHIPS
from analytics.store import database, loads

DATA = Path(__file__).resolve().parent.parent / "data"


def test_samples_load_cleanly(tmp_path):
    con = database.connect(tmp_path / "s.duckdb")
    report = loads.load_files(con, DATA / "sample_employees.csv", DATA / "sample_mentorships.csv")
    assert report["employees"]["loaded"] == 300 and report["employees"]["rejected"] == 0
    assert report["mentorships"]["rejected"] == 0 and report["mentorships"]["loaded"] > 100


def test_samples_have_exactly_the_contract_columns():
    assert list(pd.read_csv(DATA / "sample_employees.csv").columns) == EMPLOYEES.names
    assert list(pd.read_csv(DATA / "sample_mentorships.csv").columns) == MENTORSHIPS.names


def test_samples_are_what_the_script_writes(tmp_path, monkeypatch):
    """scripts/make_samples.py rebuilds them; a change to the generator shows up here."""
    import scripts.make_samples as make

    monkeypatch.setattr(make, "DATA", tmp_path)
    make.main()
    for name in ("employees", "mentorships"):
        assert (tmp_path / f"sample_{name}.csv").read_text() == (DATA / f"sample_{name}.csv").read_text()
