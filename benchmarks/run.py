"""Performance figures (printed, not asserted): `make bench` (100,000 employees), `make bench-1m` (1,000,000).

For a simulated company of N employees (analytics.intake.demo, written once as CSV files to a cache folder under
the system's temp folder and reused), each figure against its target:

- load: `python -m analytics load --employees ... --mentorships ...` from the CSV files into a new database,
  the whole process (start, reading, checking every row, writing, exit);
- summary --json: `python -m analytics summary --json` on that database, the whole process;
- each of these two run RUNS times one after the other, the median shown against the target, every run's
  figure beside it (these machines' figures vary from run to run: docs/scaling.md says why);
- peak memory: the largest resident set of any of those processes (os.wait4's ru_maxrss);
- with a job history: a second simulated company whose level, pay and rating change
  (analytics.intake.demo_changing, its employees, mentorships and dated job history written once as CSV files
  to the same cache folder), loaded with `--job-history` and timed the same way (load, summary --json, peak
  memory), each against the history's own targets; the CLI's steps (stderr) of its last load and summary are
  printed beneath, to show where the time goes;
- dashboard first render: in a fresh process with streamlit imported (a server that has just started),
  streamlit's AppTest runs app.py on the database once: the Overview, its base data and everyone's models;
- filter change: the same process, a department chosen in the sidebar (a new AppTest run of app.py with the
  filter set, as a browser's rerun is), its cohort computed afresh from the cached base data; the median of
  three departments.

AppTest runs the scripts in-process without a browser or websocket, so the dashboard figures are the
server's work (Python and DuckDB), not the browser's drawing. Other jobs on the machine slow every
figure; the load average is printed with the machine.

    .venv/bin/python benchmarks/run.py                     # 100,000 employees (make bench)
    .venv/bin/python benchmarks/run.py --employees 1000000 # (make bench-1m)
    .venv/bin/python benchmarks/run.py --history-only      # only the company with a job history
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# employees: (load s, summary s, peak memory GB, first render s, filter change s)
TARGETS = {100_000: (3.0, 2.0, 1.0, 5.0, 1.0), 1_000_000: (15.0, 10.0, 3.0, 20.0, 2.0)}
# with a job history, employees: (load s, summary s, peak memory GB); None: no target set
HISTORY_TARGETS = {100_000: (None, 3.0, None), 1_000_000: (25.0, 15.0, 4.0)}
CACHE = Path(tempfile.gettempdir()) / "retention-bench"
RUNS = 3


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    kib = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                if line.startswith("MemTotal:")), 0)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"machine: {os.cpu_count()} cores, {kib / 2**20:.1f} GB memory, {model}; "
            f"Python {platform.python_version()}; load average {load:.2f} at the start")


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def company(n: int) -> tuple[Path, Path, int]:
    """The demo company of n employees as CSV files in the cache folder, written on first use."""
    from analytics.intake.demo import DemoConfig

    seed = DemoConfig().seed
    folder = CACHE / f"{n}-seed{seed}"
    employees, mentorships = folder / "employees.csv", folder / "mentorships.csv"
    if not (employees.exists() and mentorships.exists()):
        from analytics.intake.demo import generate

        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        demo = generate(DemoConfig(n_employees=n))
        for frame, path in ((demo.employees, employees), (demo.mentorships, mentorships)):
            part = path.with_suffix(".part")
            frame.to_csv(part, index=False, date_format="%Y-%m-%d")
            part.replace(path)
        print(f"(the company written to {folder} in {time.perf_counter() - start:.1f} s; reused next time)")
    with open(mentorships, "rb") as handle:
        n_mentorships = sum(1 for _ in handle) - 1
    return employees, mentorships, n_mentorships


def changing_company(n: int) -> tuple[Path, Path, Path, int, int]:
    """The changing company of n employees (analytics.intake.demo_changing) with its job history, as CSV files
    in the cache folder, written on first use; with the counts of its mentorships and history rows."""
    from analytics.intake.demo_changing import ChangingConfig

    seed = ChangingConfig().seed
    folder = CACHE / f"{n}-changing-seed{seed}"
    paths = employees, mentorships, history = (folder / "employees.csv", folder / "mentorships.csv",
                                               folder / "job_history.csv")
    if not all(path.exists() for path in paths):
        from analytics.intake.demo_changing import generate_changing

        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        data = generate_changing(ChangingConfig(n_employees=n, seed=seed))
        for frame, path in zip((data.employees, data.mentorships, data.job_history), paths):
            part = path.with_suffix(".part")
            frame.to_csv(part, index=False, date_format="%Y-%m-%d")
            part.replace(path)
        print(f"(the company with a job history written to {folder} in {time.perf_counter() - start:.1f} s; "
              f"reused next time)")
    counts = []
    for path in (mentorships, history):
        with open(path, "rb") as handle:
            counts.append(sum(1 for _ in handle) - 1)
    return employees, mentorships, history, counts[0], counts[1]


def run(cmd: list[str], env: dict | None = None, stderr_to: list | None = None) -> tuple[float, float, str]:
    """Seconds from start to exit, peak resident memory in GB, and stdout of one process (its stderr appended to
    `stderr_to` when given)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if stderr_to is not None:
        stderr_to.append(stderr)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:5])} failed ({process.returncode}):\n{stderr}")
    return seconds, usage.ru_maxrss / 2**20, stdout  # ru_maxrss: KiB on Linux


def dashboard(db: Path) -> dict:
    """First render and filter changes, in a fresh process (see the module's docstring)."""
    env = {**os.environ, "RETENTION_DB": str(db), "RETENTION_AUTO_DEMO": "0"}
    _, rss, stdout = run([sys.executable, __file__, "--dashboard", str(db)], env=env)
    return {**json.loads(stdout.strip().splitlines()[-1]), "rss": rss}


def dashboard_process(db: Path) -> None:
    import logging

    from streamlit.testing.v1 import AppTest

    # clearing a cache outside a script run warns once per call; the figures are what matter here
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    app = str(ROOT / "app.py")
    at = AppTest.from_file(app, default_timeout=1800)
    start = time.perf_counter()
    at.run()
    first = time.perf_counter() - start
    assert not at.exception, [e.value for e in at.exception]
    departments = at.sidebar.multiselect(key="filter_department").options
    changes = []
    for department in departments[:3]:
        view = AppTest.from_file(app, default_timeout=1800)
        view.session_state["filter_department"] = [department]
        start = time.perf_counter()
        view.run()
        changes.append(time.perf_counter() - start)
        assert not view.exception, [e.value for e in view.exception]
        assert any(m.label == "In scope" for m in view.metric)
    print(json.dumps({"first": first, "changes": changes, "departments": departments[:3]}))


def row(label: str, value: float, unit: str, target: float, note: str = "") -> str:
    verdict = "meets" if value <= target else "MISSES"
    return f"  {label:<31} {value:7.2f} {unit:<2} (target <= {target:g} {unit}) {verdict:<6}  {note}"


def _load_and_summarise(tmp: Path, name: str, files: list[str], load_err: list | None = None,
                        summary_err: list | None = None) -> tuple[list, list, Path]:
    """RUNS loads of the files, each into a new database in `tmp`, then RUNS summaries of the last: each run's
    (seconds, peak memory, output), and that database; the stderr of each kept in the lists given."""
    py = [sys.executable, "-m", "analytics"]
    loads = [run(py + ["load", "--db", str(tmp / f"{name}{i}.duckdb"), *files], stderr_to=load_err)
             for i in range(RUNS)]
    db = tmp / f"{name}{RUNS - 1}.duckdb"
    summaries = [run(py + ["summary", "--db", str(db), "--json"], stderr_to=summary_err) for _ in range(RUNS)]
    return loads, summaries, db


def history_row(label: str, value: float, unit: str, target: float | None, note: str = "") -> str:
    if target is None:
        return f"  {label:<31} {value:7.2f} {unit:<2} (no target)           {note}"
    verdict = "met" if value <= target else "NOT met"
    return f"  {label:<31} {value:7.2f} {unit:<2} (target <= {target:g} {unit}) {verdict:<7} {note}"


def _steps(stderr: str) -> str:
    """The CLI's progress lines (stderr), indented; the CLI says nothing for a quick command."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return "\n".join(f"      {line}" for line in lines) if lines else "      (nothing: the command was quick)"


def bench_history(n: int) -> None:
    """The same figures for the company with a job history (see the module's docstring)."""
    employees, mentorships, history, n_mentorships, n_history = changing_company(n)
    n_people = _rows(employees)
    print(f"with a job history: {n_people:,} employees, {n_mentorships:,} mentorships, {n_history:,} job history "
          f"rows ({n_history / n_people:.1f} a person) (analytics.intake.demo_changing, CSV in {employees.parent})")
    targets = HISTORY_TARGETS.get(n, HISTORY_TARGETS[min(HISTORY_TARGETS, key=lambda k: abs(k - n))])
    load_err: list[str] = []
    summary_err: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        loads, summaries, _ = _load_and_summarise(Path(tmp), "history", ["--employees", str(employees), "--mentorships",
                                                                      str(mentorships), "--job-history", str(history)],
                                               load_err, summary_err)
        for _, _, out in summaries:
            json.loads(out)
    load_gb, summary_gb = max(r[1] for r in loads), max(r[1] for r in summaries)
    print(f"{n:,} employees with a job history (each figure against the history's target)")
    print(history_row("load (whole process)", statistics.median(r[0] for r in loads), "s", targets[0],
                      f"median of {RUNS} runs ({_runs(loads)}), from the CSV files into a new database"))
    print(history_row("summary --json (whole process)", statistics.median(r[0] for r in summaries), "s",
                      targets[1], f"median of {RUNS} runs ({_runs(summaries)})"))
    print(history_row("peak memory", max(load_gb, summary_gb), "GB", targets[2],
                      f"load {load_gb:.2f} GB, summary {summary_gb:.2f} GB (max RSS of any run)"))
    print("    the last load's steps (the CLI's stderr):")
    print(_steps(load_err[-1]))
    print("    the last summary's steps (the CLI's stderr):")
    print(_steps(summary_err[-1]))


def _rows(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle) - 1


def _runs(results: list[tuple[float, float, str]]) -> str:
    return ", ".join(f"{seconds:.2f}" for seconds, _, _ in results) + " s"


def bench(n: int, history: bool = True) -> None:
    print(machine())
    employees, mentorships, n_mentorships = company(n)
    print(f"company: {n:,} employees, {n_mentorships:,} mentorships (analytics.intake.demo, CSV in {employees.parent})")
    targets = TARGETS.get(n, TARGETS[min(TARGETS, key=lambda k: abs(k - n))])
    with tempfile.TemporaryDirectory() as tmp:
        loads, summaries, db = _load_and_summarise(Path(tmp), "bench", ["--employees", str(employees), "--mentorships",
                                                                    str(mentorships)])
        for _, _, out in summaries:
            json.loads(out)  # stdout is one JSON object, progress went to stderr
        view = dashboard(db)
    changes = view["changes"]
    load_gb, summary_gb = max(r[1] for r in loads), max(r[1] for r in summaries)
    print(f"{n:,} employees (each figure against its target)")
    print(row("load (whole process)", statistics.median(r[0] for r in loads), "s", targets[0],
              f"median of {RUNS} runs ({_runs(loads)}), from the CSV files into a new database"))
    print(row("summary --json (whole process)", statistics.median(r[0] for r in summaries), "s", targets[1],
              f"median of {RUNS} runs ({_runs(summaries)})"))
    print(row("peak memory", max(load_gb, summary_gb), "GB", targets[2],
              f"load {load_gb:.2f} GB, summary {summary_gb:.2f} GB (max RSS of any run); the dashboard process "
              f"{view['rss']:.2f} GB"))
    print(row("dashboard first render", view["first"], "s", targets[3], "Overview, streamlit AppTest on the database"))
    print(row("filter change", statistics.median(changes), "s", targets[4],
              "median over departments " + ", ".join(f"{d} {s:.2f} s" for d, s in zip(view["departments"], changes))))
    if history:
        bench_history(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000, help="company size (default 100,000)")
    parser.add_argument("--no-history", action="store_true", help="skip the run with a job history")
    parser.add_argument("--history-only", action="store_true", help="only the run with a job history")
    parser.add_argument("--dashboard", metavar="DB", help=argparse.SUPPRESS)  # the dashboard's own process
    args = parser.parse_args()
    if args.dashboard:
        dashboard_process(Path(args.dashboard))
    elif args.history_only:
        print(machine())
        bench_history(args.employees)
    else:
        bench(args.employees, history=not args.no_history)


if __name__ == "__main__":
    main()
