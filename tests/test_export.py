"""The analysis data set analysts take elsewhere: `python -m analytics export` and report.analysis_data."""
from __future__ import annotations

import io
import math

import pandas as pd
import pytest

from analytics.common.errors import RetentionError
from analytics.estimation import followup, models
from analytics.estimation.cox import fit_cox
from analytics.outputs import report
from analytics.store import database, loads
from analytics.surface.cli import main


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("export") / "x.duckdb"
    assert main(["demo", "--db", str(db), "--employees", "1000"]) == 0
    return db


def test_people_and_intervals_are_the_rows_the_models_use(demo_db, tmp_path):
    con = database.connect(demo_db)
    fu = followup.follow_up(con)
    con.close()
    assert main(["export", "--db", str(demo_db), "--out", str(tmp_path / "people.csv")]) == 0
    people = pd.read_csv(tmp_path / "people.csv")
    assert len(people) == fu.n_employees and people["employee_id"].is_unique
    assert main(["export", "--db", str(demo_db), "--rows", "intervals", "--format", "parquet",
                 "--out", str(tmp_path / "rows.parquet")]) == 0
    rows = pd.read_parquet(tmp_path / "rows.parquet")
    assert len(rows) == len(fu.rows) and (rows["stop"] > rows["start"]).all()
    # the models hold the intervals by when they end; the file has each person's together, in the people's
    # order, earliest first (as a reader expects)
    assert fu.rows["stop"].is_monotonic_increasing and not rows["stop"].is_monotonic_increasing
    first_seen = pd.Index(people["employee_id"]).get_indexer(rows["employee_id"])
    assert (first_seen >= 0).all() and pd.Series(first_seen).is_monotonic_increasing
    assert (rows.groupby("employee_id", sort=False)["start"].diff().dropna() > 0).all()
    # the time-varying model refitted from the exported rows alone gives the product's own estimate
    mine = models.time_varying_model(fu).hazard_ratio.estimate
    again = fit_cox(rows["start"], rows["stop"], rows["event"], rows[["mentored"]].astype(float))
    assert math.exp(float(again.params_.iloc[0])) == pytest.approx(mine, rel=1e-9)


def test_export_refuses_unknown_choices_in_words():
    con = database.connect(":memory:")
    loads.load_demo(con, n_employees=200)
    fu = followup.follow_up(con)
    with pytest.raises(RetentionError, match="rows must be one of"):
        report.analysis_data(fu, "everything")
    with pytest.raises(RetentionError, match="format must be one of"):
        report.analysis_data(fu, "people", "xlsx")
    assert pd.read_parquet(io.BytesIO(report.analysis_data(fu, "people", "parquet")))["employee_id"].is_unique
