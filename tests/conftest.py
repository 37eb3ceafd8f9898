"""Fixtures the test modules share."""
from __future__ import annotations

import pytest

from analytics.store import database, loads


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The demo company (with its job history) in a database of its own, built once for the session (pages only
    read it)."""
    path = tmp_path_factory.mktemp("app") / "demo.duckdb"
    con = database.connect(path)
    loads.load_demo(con)
    con.close()
    return path


@pytest.fixture(scope="session")
def demo_snapshot_db(tmp_path_factory):
    """The demo company without its job history: the employee file's one value per person (an HR export), as a
    database of its own, built once for the session (pages only read it)."""
    from analytics.intake.demo_changing import demo_config, generate_changing
    from analytics.intake.prepare import plan_from_frames

    cfg = demo_config()
    data = generate_changing(cfg)
    path = tmp_path_factory.mktemp("snapshot") / "demo.duckdb"
    con = database.connect(path)
    loads.load_plan(con, plan_from_frames(data.employees, data.mentorships), source="demo",
                    metadata={"demo_truth": data.truth, "as_of": str(cfg.as_of)})
    con.close()
    return path
