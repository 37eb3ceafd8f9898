"""Fixtures the test modules share."""
from __future__ import annotations

import pytest

from analytics.store import database, loads


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """The demo company in a database of its own, built once for the session (pages only read it)."""
    path = tmp_path_factory.mktemp("app") / "demo.duckdb"
    con = database.connect(path)
    loads.load_demo(con)
    con.close()
    return path
