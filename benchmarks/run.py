"""Performance figures (printed, not asserted): `make bench`.

1. `python -m analytics summary --json` on the 5,000-employee demo, end to end (target < 5 s).
2. With 100,000 employees in the store: the Overview re-rendered after a filter change, once
   the base data are cached (target < 2 s), measured through streamlit's AppTest and, for
   the engine alone, through summary.headline.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from analytics import store  # noqa: E402
from analytics.cohorts import Cohort  # noqa: E402
from analytics.models import follow_up  # noqa: E402
from analytics.summary import headline  # noqa: E402


def timed(func, repeat: int = 3) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return out


def show(label: str, seconds: list[float]) -> None:
    print(f"{label:<62} median {statistics.median(seconds):6.2f} s   runs {', '.join(f'{s:.2f}' for s in seconds)}")


def summary_cli(tmp: Path) -> None:
    db = tmp / "demo.duckdb"
    subprocess.run([sys.executable, "-m", "analytics", "demo", "--db", str(db)], cwd=ROOT, check=True,
                   capture_output=True)
    cmd = [sys.executable, "-m", "analytics", "summary", "--db", str(db), "--json"]
    show("summary --json, 5,000 employees (process start to exit)",
         timed(lambda: subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)))


def overview_100k(tmp: Path) -> None:
    db = tmp / "big.duckdb"
    con = store.connect(db)
    start = time.perf_counter()
    store.load_demo(con, n_employees=100_000)
    print(f"{'load the 100,000-employee demo company':<62} {time.perf_counter() - start:6.2f} s")
    show("engine: headline for everyone, 100,000 employees", timed(lambda: headline(con), repeat=2))
    start = time.perf_counter()
    base = follow_up(con)
    print(f"{'engine: base data (everyone read from the store)':<62} {time.perf_counter() - start:6.2f} s")
    for cohort in (Cohort(department=("Sales",)), Cohort(generation=("Gen Z", "Millennial")),
                   Cohort(hire_year_from=2020)):
        show(f"engine: headline for {cohort.describe()}", timed(lambda: headline(con, cohort), repeat=2))
        show("engine: same, cut from the base data", timed(lambda: headline(con, cohort, base=base), repeat=2))
    con.close()

    import logging

    from streamlit.testing.v1 import AppTest

    # clearing a cache outside a script run warns once per call; the figures are what matter here
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    os.environ["RETENTION_DB"] = str(db)
    app = str(ROOT / "app.py")
    at = AppTest.from_file(app, default_timeout=300)
    start = time.perf_counter()
    at.run()
    print(f"{'overview, first render (base data and everyone computed)':<62} {time.perf_counter() - start:6.2f} s")

    def rerender(dimension, values):
        view = AppTest.from_file(app, default_timeout=300)
        view.session_state[f"filter_{dimension}"] = values
        view.run()
        assert not view.exception

    import ui  # the app's own module (AppTest runs app.py in this process)

    def fresh_rerender(dimension, values):
        ui.headline.clear()  # the cohort's results are computed again; the base data stay cached
        rerender(dimension, values)

    for dimension, values in (("department", ["Sales"]), ("department", ["Engineering"]),
                              ("department", ["Sales", "Finance"]), ("generation", ["Gen Z", "Millennial"]),
                              ("generation", ["Gen X"])):
        show(f"overview re-render after the filter changes to {'+'.join(values)}",
             timed(lambda: fresh_rerender(dimension, values), repeat=3))
    show("overview re-render of a filter seen before (cached)",
         timed(lambda: rerender("department", ["Sales"]), repeat=3))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        summary_cli(Path(tmp))
        overview_100k(Path(tmp))
