"""Command line: python -m analytics demo|load|refresh|history|undo|rejects|summary|report|export.

Exit 0 on success, 2 on bad input (message on stderr, database unchanged).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

import duckdb

from analytics.common import progress
from analytics.common.errors import InputFileError, RetentionError, together
from analytics.common.policy import PROGRESS_AFTER_SECONDS
from analytics.store import database, loads, queries
from analytics.words import wording
from analytics.words.wording import csv_safe


FILES = ("employees", "mentorships", "job_history")  # the tables a load reads, the job history optional


def _mapping(pairs: Sequence[str]) -> dict[str, dict[str, str]]:
    """--map employees.employee_id="Staff Number" -> {"employees": {"employee_id": "Staff Number"}}."""
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        target, sep, header = pair.partition("=")
        table, dot, column = target.partition(".")
        if not (sep and dot and table in FILES and column):
            raise RetentionError(f"--map must look like employees.employee_id='Staff ID', but was {pair!r}")
        out.setdefault(table, {})[column] = header
    return out


def _header_rows(values: Sequence[str]) -> dict[str, int]:
    """--header-row 3 (every file) or --header-row employees=3."""
    out: dict[str, int] = {}
    for value in values:
        table, sep, row = value.rpartition("=")
        tables = [table] if sep else list(FILES)
        if (sep and table not in FILES) or not row.isdigit() or int(row) < 1:
            raise RetentionError(f"--header-row must look like 3 or employees=3, but was {value!r}")
        out.update({t: int(row) for t in tables})
    return out


def _sheets(values: Sequence[str]) -> dict[str, str]:
    """--sheet People (every workbook) or --sheet employees=People."""
    out: dict[str, str] = {}
    for value in values:
        table, sep, sheet = value.partition("=")
        if sep and table in FILES:
            tables = [table]
        else:
            tables, sheet = list(FILES), value
        if not sheet.strip():
            raise RetentionError(f"--sheet must look like People or employees=People, but was {value!r}")
        out.update({t: sheet for t in tables})
    return out


def _meanings(path: str | None, option: str, allowed: Sequence[str]) -> dict[str, str]:
    """A two-column CSV (the wording, what it means) given to --reason-map or --program-map: comma-, semicolon- or
    tab-separated, with or without a header row (a first row whose meaning is none of `allowed`)."""
    if path is None:
        return {}
    import csv
    import difflib
    import io
    from pathlib import Path

    # the same encodings and separators as the data files (Excel's CSV on Windows, or in German, included)
    from analytics.intake.reading import decode_text, separator

    try:
        text = decode_text(Path(path).read_bytes())
    except ValueError as exc:
        raise RetentionError(f"{option} {path!r}: {exc}") from None
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))
            if row and any(cell.strip() for cell in row)]
    # a header row ("value,meaning", "Austrittsgrund;Bedeutung"): its meaning is none, nor a misspelt one ("voluntry",
    # which is refused by name below, not passed over)
    first = rows[0][1].strip().lower() if rows and len(rows[0]) > 1 else ""
    headed = bool(rows) and first not in allowed and not difflib.get_close_matches(first, allowed, cutoff=0.75)
    if headed:
        rows = rows[1:]
    bad = next((i for i, row in enumerate(rows, 1 + headed) if len(row) < 2), None)
    if bad is not None:
        raise RetentionError(f"{option} {path!r}: row {bad} needs two columns, the wording and what it means")
    return {row[0].strip(): row[1].strip().lower() for row in rows}


def _print_load(report: dict, verb: str = "loaded") -> None:
    for table in FILES:
        part = report.get(table)
        if part is None:  # no job history in this load
            continue
        merged = f", {part['merged']} merged into a row of the same person and day" if part.get("merged") else ""
        print(f"{table}: {part['loaded']} rows {verb} from {part['file']}, {part['rejected']} set aside{merged}")
    for warning in report.get("warnings", []):
        print(f"Warning: {warning}")
    for item in report["rejects_by_reason"]:
        print(f"  {item['rows']:>5} {item['table']} rows: {item['reason']}")
    for table, sheet in report.get("sheets", {}).items():
        print(f"  {table}: sheet '{sheet}' read")
    for table, row in report.get("header_rows", {}).items():
        if row != 1:
            print(f"  {table}: header read from row {row}")
    for table, found in report.get("header_maps", {}).items():  # --check: each field and the header it came from
        if found and verb == "ready":
            print(f"  {table} columns: " + ", ".join(f"{field} <- '{header}'" for field, header in found.items()))
    for table, found in report.get("date_formats", {}).items():
        for column, fmt in found.items():
            if fmt not in ("YYYY-MM-DD", "Excel date cell"):
                print(f"  {table}.{column}: dates read as {fmt}")
    for key, what in (("reason_mapping", "termination reason"), ("program_mapping", "programme type"),
                      ("change_mapping", "change reason")):
        for item in report.get(key, []):
            if item["given"] != item["mapped_to"]:
                print(f"  {what} {item['given']!r} read as {item['mapped_to']} ({item['rows']} rows, "
                      f"{'your choice' if item.get('by') == 'you' else 'by rule'})")
    for table, columns in report.get("ignored_columns", {}).items():
        if columns:
            print(f"  {table}: columns not used: {', '.join(columns)}")
    if any(r["rows"] for r in report["rejects_by_reason"]):
        print("Rows set aside are kept: python -m analytics rejects --out rejects.csv")


@contextlib.contextmanager
def _opened(args: argparse.Namespace) -> Iterator[duckdb.DuckDBPyConnection]:
    con = database.connect(args.db)
    try:
        yield con
    finally:
        con.close()


def cmd_demo(args: argparse.Namespace) -> int:
    with _opened(args) as con:
        if args.if_empty and database.has_data(con):
            print("the database already holds data; left as it is")
            return 0
        report = loads.load_demo(con, n_employees=args.employees, seed=args.seed)
    _print_load(report)
    return 0


def _warehouse_source(args: argparse.Namespace):
    """The warehouse source of --from with a table or query for each, or None when files are given."""
    from analytics.store import warehouse

    tables = {t: getattr(args, f"{t}_table") for t in FILES}
    asked = {t: getattr(args, f"{t}_query") for t in FILES}
    if args.source is None:
        if any(v is not None for v in (*tables.values(), *asked.values())):
            raise RetentionError("--employees-table and the other table and query options read from a warehouse: "
                                 "give its address with --from postgresql://USER@HOST:PORT/DATABASE")
        if not (args.employees and args.mentorships):
            raise RetentionError("give both files (--employees FILE --mentorships FILE, and --job-history FILE if "
                                 f"you have one), or a warehouse: {warehouse.EXAMPLE}")
        return None
    if args.employees or args.mentorships or args.job_history or args.header_row or args.sheet:
        raise RetentionError("--from reads tables or queries from the warehouse: --employees, --mentorships, "
                             "--job-history and --header-row are for files, as is --sheet")
    return warehouse.Source.given(args.source, tables, asked, _mapping(args.map or []), args.date_format,
                                  args.allow_writable_role)


def cmd_load(args: argparse.Namespace) -> int:
    from analytics.intake.prepare import prepare_load
    from analytics.store import warehouse

    from analytics.intake.schema import CHANGE_REASONS, PROGRAM_MEANINGS, TERMINATION_REASONS

    options = loads.read_options(loads.vocabulary_at(args.db),  # earlier loads' meanings, no database created
                                 args.date_format, _meanings(args.reason_map, "--reason-map", TERMINATION_REASONS),
                                 _meanings(args.program_map, "--program-map", PROGRAM_MEANINGS),
                                 _meanings(args.change_map, "--change-map", CHANGE_REASONS))
    source = _warehouse_source(args)
    try:
        if source is None:
            plan = prepare_load(args.employees, args.mentorships, args.job_history, mapping=_mapping(args.map or []),
                                header_rows=_header_rows(args.header_row or []), options=options,
                                sheets=_sheets(args.sheet or []))
        else:
            plan = warehouse.prepare(source, options)
    except InputFileError as exc:  # every file's problems at once (InputFilesError when more than one has some)
        if not exc.ambiguous_dates:
            raise
        hint = "; say which with --date-format MM/DD/YYYY or --date-format DD/MM/YYYY"
        raise together([type(e).all_of(e.file, [(c, r, m + hint if c in e.ambiguous_dates else m)
                                                 for c, r, m in e.problems], e.ambiguous_dates)
                        for e in exc.each()]) from None
    if args.check:  # read and checked, shown, nothing written
        _print_load(plan.report(), verb="ready")
        print("Checked only: nothing was loaded.")
        return 0
    with _opened(args) as con:  # only once the files passed: a refused load creates no database
        report = loads.load_plan(con, plan, source="files") if source is None else warehouse.load(con, plan, source)
    _print_load(report)
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    from pathlib import Path

    from analytics.store import warehouse

    if not Path(args.db or database.default_db_path()).exists():  # nothing saved, and no database made to say so
        raise RetentionError("no warehouse source is saved yet: load from the warehouse once, e.g. "
                             f"{warehouse.EXAMPLE}")
    with _opened(args) as con:
        report = warehouse.refresh(con, check=args.check, allow_writable_role=args.allow_writable_role)
    _print_load(report, verb="ready" if args.check else "loaded")
    if args.check:
        print("Checked only: nothing was loaded.")
    return 0


def cmd_rejects(args: argparse.Namespace) -> int:
    with _opened(args) as con:
        table = queries.rejects(con)
    table = csv_safe(table)  # a spreadsheet opens it: nothing in it may run as a formula
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"{len(table)} rows set aside written to {args.out}")
    else:
        table.to_csv(sys.stdout, index=False)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from analytics.estimation.followup import follow_up
    from analytics.outputs.report import analysis_data

    with _opened(args) as con:
        settled = queries.snapshot(con, args.as_of, args.event)
        data = analysis_data(follow_up(con, None, settled.as_of, settled.event), args.rows, args.format)
    try:
        Path(args.out).write_bytes(data)
    except OSError as exc:
        raise RetentionError(f"cannot write {args.out!r}: {exc.strerror}") from None
    print(f"{args.rows} rows written to {args.out}")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with _opened(args) as con:
        table = loads.states(con)
    if table.empty:
        print("no loads yet")
    for row in table.itertuples():
        mark = "  <- shown now" if row.shown else ("  (kept: undo --to brings it back)" if row.kept else "")
        given = isinstance(row.job_history_file, str)  # None (no job history) comes from DuckDB as None or NaN
        history = f", {row.job_history_loaded} job history rows" if given else ""
        files = ", ".join([row.employees_file, row.mentorships_file] + ([row.job_history_file] if given else []))
        print(f"{row.load_id:>4}  {row.loaded_at:%Y-%m-%d %H:%M} UTC  {row.source}: {row.employees_loaded} employees, "
              f"{row.mentorships_loaded} mentorships{history} ({files}){mark}")
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    with _opened(args) as con:
        report = loads.go_to(con, args.to) if args.to is not None else loads.undo(con)
    print(f"{report['undo']}: {report['employees']['loaded']} employees, {report['mentorships']['loaded']} mentorships"
          f"{_history_words(report)}. Undo again to go further back; redo to come forward.")
    return 0


def cmd_redo(args: argparse.Namespace) -> int:
    with _opened(args) as con:
        report = loads.redo(con)
    print(f"{report['undo']}: {report['employees']['loaded']} employees, {report['mentorships']['loaded']} mentorships"
          f"{_history_words(report)}.")
    return 0


def _history_words(report: dict) -> str:
    """The job history a state brought back holds, when it holds one."""
    return f", {report['job_history']['loaded']} job history rows" if "job_history" in report else ""


def cmd_summary(args: argparse.Namespace) -> int:
    from analytics.outputs.messages import briefing

    # the models' libraries (statsmodels, scipy) load on a thread of their own while DuckDB reads the follow-up
    loading = threading.Thread(target=importlib.import_module, args=("analytics.case.summary",), daemon=True)
    loading.start()
    with _opened(args) as con:
        settled = queries.snapshot(con, args.as_of, args.event)
        progress.step("follow_up")
        read = queries.read_follow_up(con, settled.as_of, settled.event, None, queries.HEADLINE_COLUMNS)
        # while the libraries still load: the job history's promotions and moves, for the outcomes
        changes = queries.job_changes(con, settled.as_of) if loading.is_alive() else None
        loading.join()
        _collector_on()
        from analytics.case.summary import summarise

        result = summarise(con, as_of=settled.as_of, event=settled.event, read=read, changes=changes)
    print(json.dumps(result, indent=2) if args.json else briefing(result))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from analytics.outputs.report import write_report

    from analytics.outputs.deck import checked_logo

    logo = None
    if args.logo:
        try:
            logo = checked_logo(Path(args.logo).read_bytes(), args.logo)
        except OSError as exc:
            raise RetentionError(f"--logo {args.logo!r}: {exc.strerror}") from None
    with _opened(args) as con:
        settled = queries.snapshot(con, args.as_of, args.event)
        path = write_report(con, args.format, args.out, as_of=settled.as_of, event=settled.event,
                            organisation=args.organisation, logo=logo)
    print(f"report written to {path}")
    return 0


WRITABLE_HELP = ("with --from: read even as a superuser or a role that can change the warehouse (still in a read-only "
                 "transaction; kept with the source for refresh)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analytics", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help)
        p.add_argument("--db", default=None, help=f"database file (default {database.default_db_path()})")
        p.set_defaults(func=func)
        return p

    p = add("demo", cmd_demo, "load the demo company")
    p.add_argument("--employees", type=int, default=5000, help="number of employees (default 5000)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: the demo's fixed seed)")
    p.add_argument("--if-empty", action="store_true", help="only when the database holds no data yet")
    p = add("load", cmd_load, "load employees and mentorships files, and optionally a job history (CSV, Parquet or "
                              "Excel), or from PostgreSQL")
    p.add_argument("--employees", help="employees file")
    p.add_argument("--mentorships", help="mentorships file")
    p.add_argument("--job-history", help="job history file (optional): one dated row per change of job, pay or rating")
    p.add_argument("--from", dest="source", metavar="postgresql://USER@HOST:PORT/DB",
                   help="read from PostgreSQL instead of files (password from PGPASSWORD or .pgpass; never stored)")
    for table in FILES:
        what = table.replace("_", " ") + (" (optional)" if table == "job_history" else "")
        option = table.replace("_", "-")
        p.add_argument(f"--{option}-table", metavar="SCHEMA.TABLE", help=f"with --from: the {what} table or view")
        p.add_argument(f"--{option}-query", metavar="SELECT", help=f"with --from: a query (a SELECT) giving the {what}")
    p.add_argument("--allow-writable-role", action="store_true", help=WRITABLE_HELP)
    p.add_argument("--map", action="append", metavar="TABLE.COLUMN=HEADER",
                   help="map a header by hand, e.g. employees.employee_id='Staff Number'; an empty HEADER "
                        "means the column is not in the file")
    p.add_argument("--check", action="store_true",
                   help="read and check the files (or tables) and show how they were read, without loading them")
    p.add_argument("--header-row", action="append", metavar="[TABLE=]N",
                   help="the row the header is on, for every file or one, e.g. job_history=3 (default: found in the "
                        "first 20 rows)")
    p.add_argument("--sheet", action="append", metavar="[TABLE=]NAME",
                   help="the sheet of an Excel workbook to read, for every workbook or one, e.g. employees=People "
                        "(default: the sheet whose header names the most columns, so a cover or summary is passed "
                        "over)")
    p.add_argument("--date-format", choices=("MM/DD/YYYY", "DD/MM/YYYY"), default=None,
                   help="how to read dates such as 03/04/2021 when no value in the column tells")
    p.add_argument("--reason-map", metavar="FILE", help="CSV of termination reason wording and its meaning "
                                                        "(voluntary, involuntary, retirement, other)")
    p.add_argument("--program-map", metavar="FILE", help="CSV of programme type wording and its meaning "
                                                         "(traditional, reverse, lateral, group, external, other)")
    p.add_argument("--change-map", metavar="FILE", help="CSV of job history change reason wording and its meaning "
                                                        "(hire, promotion, demotion, transfer, pay_change, rating, "
                                                        "other)")
    p = add("refresh", cmd_refresh, "load again from the warehouse source of the last load from PostgreSQL")
    p.add_argument("--check", action="store_true", help="read and check it, without loading")
    p.add_argument("--allow-writable-role", action="store_true", help=WRITABLE_HELP)
    add("history", cmd_history, "list the states of the data (loads, undos, redos), newest first, and which are kept")
    p = add("undo", cmd_undo, "go back one state of the data (again: further back), or to any kept state")
    p.add_argument("--to", type=int, default=None, metavar="N", help="bring back state N, as history numbers them")
    add("redo", cmd_redo, "go forward one state after undo")
    p = add("rejects", cmd_rejects, "write the rows set aside by the last load as CSV")
    p.add_argument("--out", help="CSV file (default: standard output)")
    for name, func, help in (("summary", cmd_summary, "headline figures"),
                             ("report", cmd_report, "write the one-pager (html) or deck (pptx)"),
                             ("export", cmd_export, "write the analysis data set (one row per employee, or the "
                                                    "models' intervals) as CSV or Parquet")):
        p = add(name, func, help)
        p.add_argument("--as-of", default=None, help="snapshot date YYYY-MM-DD (default: latest in the data)")
        p.add_argument("--event", choices=queries.EVENTS, default=None,
                       help="voluntary exits (default when reasons exist), regrettable (voluntary exits the "
                            "employee file flags as regrettable, or, where it flags none, of people rated at the "
                            "top of the scale) or all exits")
        if name == "summary":
            p.add_argument("--json", action="store_true", help="print one JSON object")
        elif name == "export":
            p.add_argument("--rows", choices=("people", "intervals"), default="people",
                           help="people: one row per employee (default); intervals: the models' (start, stop] rows")
            p.add_argument("--format", choices=("csv", "parquet"), default="csv")
            p.add_argument("--out", required=True, help="output file")
        else:
            p.add_argument("--format", choices=("html", "pptx"), required=True)
            p.add_argument("--out", required=True, help="output file")
            p.add_argument("--organisation", default=None,
                           help="the organisation's name on the slides (default: the one set on the Data page)")
            p.add_argument("--logo", metavar="FILE", default=None,
                           help="a PNG or JPEG logo for the title slide (default: the one set on the Data page)")
    return parser


class _Progress:
    """The steps of long work (analytics.progress) on stderr, never on stdout: once a command has run
    PROGRESS_AFTER_SECONDS, each step as it starts (those before it at once), with the seconds since the
    command started, and the total at the end. A quick command says nothing."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.waiting: list[str] = []
        self.live = False
        self.lock = threading.Lock()
        self.timer = threading.Timer(PROGRESS_AFTER_SECONDS, self._go_live)
        self.timer.daemon = True

    def __call__(self, step: str, details: dict) -> None:
        line = wording.progress_line(time.perf_counter() - self.start, step, details)
        with self.lock:
            if self.live:
                print(line, file=sys.stderr, flush=True)
            else:
                self.waiting.append(line)

    def _go_live(self) -> None:
        with self.lock:
            self.live = True
            for line in self.waiting:
                print(line, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def shown(self) -> Iterator[None]:
        self.timer.start()
        done = False
        try:
            with progress.listening(self):
                yield
            done = True
        finally:
            self.timer.cancel()
            with self.lock:
                if self.live and done:
                    print(wording.progress_done(time.perf_counter() - self.start), file=sys.stderr, flush=True)
                self.live = False


def _collector_on() -> None:
    """Python's cyclic garbage collector on (`python -m analytics` starts with it off while the libraries load,
    a tenth of a second less), with what was loaded so far set aside from its passes: that lives as long as
    the process. Called in a process that kept it on (tests call main): nothing."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


class _TerminalSafe:
    """stdout or stderr with what is written made wording.terminal_safe: the file names, headers, values, history rows
    and rejects the commands print cannot act on the terminal (files written with --out are written as they are)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(wording.terminal_safe(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalSafe(sys.stdout), _TerminalSafe(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = streams


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.func is not cmd_summary:  # which turns it on once the models' libraries are in
        _collector_on()
    try:
        with _Progress().shown():
            return args.func(args)
    except RetentionError as exc:  # the project's own errors: bad input, said in words (a bug is not one)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder that cannot be read or written
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        print(f"error: the database {database.default_db_path() if args.db is None else args.db} cannot be "
              f"used: {exc}", file=sys.stderr)
        return 2
