"""Capture what the product does, from a checkout, so that two checkouts can be shown to behave the same.

    python scripts/capture_behaviour.py --checkout DIR --out OUTDIR
    python scripts/capture_behaviour.py --compare OUTDIR_BEFORE OUTDIR_AFTER   # differences; exit 1 if any

For two companies, the demo (`python -m analytics demo`) and the samples in the checkout's own data/
(`python -m analytics load`), each on a fresh database in a temporary folder, it writes under OUTDIR/<company>/:

- what building the database printed (`load.txt`),
- `summary --json` by default, with `--event all` and with an earlier `--as-of`, and the plain `summary`,
- the deck (`report --format pptx`, `report.pptx.txt`): every slide's shapes and text, tables cell by cell, every
  chart's categories, series names and values, and the speaker notes; the one-pager (`report --format html`), as
  HTML and as text,
- `export --rows people` and `--rows intervals` (CSV), `history`, `rejects`, and what the commands that write a
  file printed (`cli_messages.txt`),
- the tables zip the dashboard offers (`tables_zip`, for the headline the dashboard builds with the assumptions a
  session starts with), member by member (`tables_zip/`),
- every page of the dashboard (Streamlit's AppTest on app.py, signed in as the single user, an admin): each element
  in order with its fields (text, label, value, help, options), tables as CSV, charts' data traces
  (`page_<page>.txt`); the Cohorts page for every choice of "Compare by"; the Overview filtered to one department;
  and every file the pages' download buttons give, as a click would (`page_<page>_downloads/`).

And under OUTDIR/cli/: `python -m analytics --help` and every command's help; a company loaded from the samples with
four rows broken (what `load --check`, `load`, `rejects`, `history` and `summary` say); refusals (a file without a
required column, a logo that is not there) and an as-of date before anyone was hired.

Everything runs in subprocesses with cwd=DIR, PYTHONPATH=DIR, OPENBLAS_NUM_THREADS=1 and RETENTION_AUTO_DEMO=0,
through the command line and the dashboard wherever the product offers them, and writes nothing into DIR. The few
Python names needed (the tables zip's headline, the Cohorts page's choices) are imported from the first module in
CANDIDATES that imports and holds them, so the capture works before and after modules move into sub-packages.

What differs from one run to the next by nature is normalised away: the temporary folder and the checkout's path
(<WORK>, <CHECKOUT>), today's date and the time of day (load history, "Generated ...", the deck's date, the Data
page's latest date one may pick: <TODAY>, <NOW>), durations, UUIDs, the ids of the chart download links (a counter
over the process), media URLs; widget ids and keys, a Styler's uuid, the deck's created/modified time and the CLI's
progress lines (printed or not by timing) are not written at all. Each capture writes the same files, so
`diff -r` works as well as --compare.

Run it with the project's virtual environment (it needs python-pptx and pandas), e.g.
    .venv/bin/python scripts/capture_behaviour.py --checkout /tmp/src --out /tmp/capture_before
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import difflib
import html.parser
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

# Where each Python name the capture needs may live: module paths tried in order, the flat layout first, then the
# sub-packages; the first that imports and holds the name is used. Extend a list when a name moves elsewhere.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "connect": ("analytics.store", "analytics.store.database"),
    "snapshot": ("analytics.store", "analytics.store.queries"),
    "Cohort": ("analytics.cohorts", "analytics.store.cohorts", "analytics.case.cohorts"),
    "follow_up": ("analytics.models", "analytics.estimation.followup", "analytics.estimation.models",
                  "analytics.case.models"),
    "headline": ("analytics.summary", "analytics.case.summary"),
    "COHORT_DIMENSIONS": ("analytics.summary", "analytics.case.summary"),
    "tables_zip": ("analytics.report", "analytics.outputs.report", "analytics.outputs.tables"),
}

# The two companies: how each database is built (arguments to `python -m analytics`, run in the checkout) and
# the earlier as-of date used for `summary --as-of` (inside the company's own range of dates).
COMPANIES: dict[str, dict] = {
    "demo": {"build": ["demo"], "as_of": "2023-06-30"},
    "samples": {"build": ["load", "--employees", "data/sample_employees.csv",
                          "--mentorships", "data/sample_mentorships.csv"], "as_of": "2022-06-30"},
}

# The dashboard's pages (views/), in the order they are drawn; the data page last, as it writes settings into the
# session. The Cohorts page is also drawn for every choice of its "Compare by" box.
PAGES = ("overview", "business_case", "cohorts", "methods", "data")

COMMAND_TIMEOUT = 600  # seconds, for any one subprocess
DIFF_LINES = 12  # lines of unified diff shown for each differing file


# ================================================================ normalisation

_UUID = re.compile(r"\b(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})\b", re.I)
_DURATION = re.compile(r"(\btook |\bafter |\bin |: )\d+[.,]\d+ ?(?:ms|s|secs?|seconds)\b")  # "took 1.2 s", "Reading: 0.8 s"
_TIME_AFTER = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?UTC|Z|[+-]\d{2}:?\d{2})?)?"


class Normaliser:
    """Takes out of captured text what differs from run to run by nature (see the module's docstring)."""

    def __init__(self, checkout: Path, work: Path, days: set[dt.date]):
        self.paths = []
        for path, mark in ((work, "<WORK>"), (checkout, "<CHECKOUT>")):  # the work folder may sit inside the checkout
            for form in {str(path), str(path.resolve())}:
                self.paths.append((form, mark))
        self.paths.sort(key=lambda p: -len(p[0]))
        forms = set()
        for d in days:
            forms |= {f"{d:%Y-%m-%d}", f"{d:%Y/%m/%d}", f"{d:%d %B %Y}", f"{d.day} {d:%B %Y}", f"{d:%B} {d.day}, {d.year}",
                      f"{d:%d/%m/%Y}", f"{d:%m/%d/%Y}", f"{d:%d.%m.%Y}", f"{d:%d %b %Y}", f"{d:%b} {d.day}, {d.year}",
                      f"{d:%Y%m%d}"}
        alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
        self.today = re.compile(rf"(?<![\d/.-])(?:{alternatives})({_TIME_AFTER})(?![\d/])")

    def text(self, text: str) -> str:
        for form, mark in self.paths:
            text = text.replace(form, mark)
        text = self.today.sub(lambda m: "<NOW>" if m.group(1) else "<TODAY>", text)
        text = _DURATION.sub(r"\1 <DURATION>", text)
        text = _UUID.sub("<UUID>", text)
        text = re.sub(r"downloads-\d+", "downloads-N", text)  # ui.chart's link ids: a counter over the process
        text = re.sub(r"/media/[0-9a-f]{16,}(\.\w+)?", r"/media/<HASH>\1", text)
        return text


def _days_now() -> set[dt.date]:
    now = dt.datetime.now()
    return {now.date(), dt.datetime.now(dt.timezone.utc).date()}


# ================================================================ turning files into text

def pptx_text(data: bytes) -> str:
    """A deck as text: its properties, then each slide's shapes (position, text, tables cell by cell, charts'
    categories, series names and values), then its speaker notes."""
    from pptx import Presentation

    prs = Presentation(io.BytesIO(data))
    props = prs.core_properties
    out = [f"slide size: {prs.slide_width} x {prs.slide_height}",
           *(f"property {name}: {getattr(props, name)!s}" for name in
             ("title", "author", "subject", "keywords", "last_modified_by", "revision", "category", "comments")),
           f"slides: {len(prs.slides)}"]
    for number, slide in enumerate(prs.slides, 1):
        out += ["", f"=== slide {number} (layout {slide.slide_layout.name!r})"]
        for shape in slide.shapes:
            out += _shape_lines(shape, "  ")
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            out.append("  notes:")
            out += [f"    | {line}" for line in (notes.text if notes is not None else "").split("\n")]
    return "\n".join(out) + "\n"


def _shape_lines(shape, indent: str) -> list[str]:
    kind = shape.shape_type
    out = [f"{indent}shape {shape.name!r} type={kind!s} at=({shape.left}, {shape.top}) "
           f"size=({shape.width}, {shape.height})"]
    inner = indent + "  "
    if getattr(shape, "is_placeholder", False):
        out.append(f"{inner}placeholder: {shape.placeholder_format.type!s} idx={shape.placeholder_format.idx}")
    if kind is not None and str(kind).startswith("GROUP"):
        for child in shape.shapes:
            out += _shape_lines(child, inner)
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        for paragraph in shape.text_frame.paragraphs:
            out.append(f"{inner}text[{paragraph.level}]: {paragraph.text.replace(chr(11), ' <br> ')}")
    if getattr(shape, "has_table", False) and shape.has_table:
        table = shape.table
        out.append(f"{inner}table {len(table.rows)} x {len(table.columns)}")
        for r, row in enumerate(table.rows):
            for c, cell in enumerate(row.cells):
                out.append(f"{inner}  [{r},{c}] {cell.text!r}")
    if getattr(shape, "has_chart", False) and shape.has_chart:
        out += _chart_lines(shape.chart, inner)
    if kind is not None and str(kind).startswith("PICTURE"):
        try:
            out.append(f"{inner}picture sha1={shape.image.sha1} {shape.image.content_type}")
        except Exception as exc:  # a picture without its image part
            out.append(f"{inner}picture ({type(exc).__name__})")
    return out


_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def _chart_lines(chart, indent: str) -> list[str]:
    out = [f"{indent}chart type={chart.chart_type!s}"]
    if chart.has_title:
        out.append(f"{indent}  title: {chart.chart_title.text_frame.text!r}")
    out.append(f"{indent}  legend: {chart.has_legend}")
    for p, plot in enumerate(chart.plots):
        try:
            categories = [str(c) for c in plot.categories]
        except Exception:  # an XY plot has no categories
            categories = []
        out.append(f"{indent}  plot {p}: categories {json.dumps(categories)}")
        for series in plot.series:
            out.append(f"{indent}    series {series.name!r}")
            element = series._element
            for tag in ("cat", "val", "xVal", "yVal", "bubbleSize"):  # every value the series holds, as written
                part = element.find(f"{_C}{tag}")
                if part is None:
                    continue
                points = {}
                for pt in part.iter(f"{_C}pt"):
                    v = pt.find(f"{_C}v")
                    points[int(pt.get("idx"))] = v.text if v is not None else None
                values = [points.get(i) for i in range(max(points) + 1)] if points else []
                if tag == "cat" and values == categories:
                    continue  # the plot's categories, given above
                out.append(f"{indent}      {tag}: {json.dumps(values)}")
    return out


class _Text(html.parser.HTMLParser):
    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "li", "tr", "br", "table", "section", "figure", "figcaption",
              "title", "svg", "ul", "ol", "header", "footer"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self.skip += 1
        if tag in self.BLOCKS or tag in ("td", "th", "text"):
            self.parts.append("\n" if tag not in ("td", "th", "text") else " | ")

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self.skip -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(text: str) -> str:
    parser = _Text()
    parser.feed(text)
    lines = [re.sub(r"\s+", " ", line).strip(" |") for line in "".join(parser.parts).split("\n")]
    return "\n".join(line for line in lines if line) + "\n"


def parquet_text(data: bytes) -> str:
    import pandas as pd

    frame = pd.read_parquet(io.BytesIO(data))
    return ("columns: " + ", ".join(f"{c} ({t})" for c, t in frame.dtypes.astype(str).items()) + "\n"
            + frame.to_csv(index=False))


# ================================================================ the capture

class Capture:
    def __init__(self, checkout: Path, out: Path, python: str, jobs: int, keep: bool):
        self.checkout, self.out, self.python, self.jobs, self.keep = checkout, out, python, jobs, keep
        self.work = Path(tempfile.mkdtemp(prefix="capture_behaviour_"))
        self.days = _days_now()
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.log_lock = threading.Lock()
        self.start = time.perf_counter()

    def log(self, message: str) -> None:
        with self.log_lock:
            print(f"[{time.perf_counter() - self.start:6.1f}s] {message}", flush=True)

    def env(self, db: Path | None) -> dict:
        env = dict(os.environ)
        env.update(PYTHONPATH=str(self.checkout), OPENBLAS_NUM_THREADS="1", RETENTION_DB=str(db),
                   RETENTION_AUTO_DEMO="0", PYTHONHASHSEED="0", TZ=os.environ.get("TZ", "UTC"), COLUMNS="100",
                   PYTHONDONTWRITEBYTECODE="1")  # nothing written into the checkout
        if db is None:  # the product's own default database (as --help says it)
            env.pop("RETENTION_DB")
        return env

    def run(self, args: list[str], db: Path | None, what: str, expect: int = 0) -> subprocess.CompletedProcess:
        """One subprocess in the checkout; an exit code other than `expect` is a failure of the capture."""
        began = time.perf_counter()
        try:
            done = subprocess.run(args, cwd=self.checkout, env=self.env(db), capture_output=True, text=True,
                                  timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            done = subprocess.CompletedProcess(args, 124, out, f"timed out after {COMMAND_TIMEOUT} s")
        if done.returncode != expect:
            with self.lock:
                self.failures.append(f"{what}: exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}")
        self.log(f"{what}: exit {done.returncode} ({time.perf_counter() - began:.1f} s)")
        return done

    def cli(self, company: str, db: Path, args: list[str], what: str, expect: int = 0) -> subprocess.CompletedProcess:
        return self.run([self.python, "-m", "analytics", *args, "--db", str(db)], db, f"{company}: {what}", expect)

    @staticmethod
    def said(done: subprocess.CompletedProcess) -> str:
        """Exit code, standard output and error of a command whose every word is kept (errors, help): the CLI's
        progress lines (on stderr once a command has run 2 s, so there or not by timing) left out."""
        err = [line for line in done.stderr.splitlines() if not re.match(r"^\s*\d+\.\d s  ", line)]
        return f"exit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n" + "".join(f"{e}\n" for e in err)

    # ---------------------------------------------------------------- one company

    def company(self, company: str) -> None:
        spec = COMPANIES[company]
        raw = self.work / "raw" / company
        raw.mkdir(parents=True)
        db = self.work / f"{company}.duckdb"

        def keep(name: str, done: subprocess.CompletedProcess) -> None:
            """A command's standard output as a file; a failure: its exit code and error instead."""
            text = done.stdout if done.returncode == 0 else f"FAILED (exit {done.returncode})\n{done.stderr}"
            (raw / name).write_text(text, encoding="utf-8")

        def wrote(name: str, done: subprocess.CompletedProcess, messages: list[str]) -> None:
            """A command that writes a file: what it printed is kept with the others; a failure replaces the file."""
            messages.append(f"$ {name}\nexit {done.returncode}\n{done.stdout}")
            if done.returncode != 0:
                messages.append(f"stderr:\n{done.stderr}")
                (raw / name).write_text(f"FAILED (exit {done.returncode})\n{done.stderr}", encoding="utf-8")

        keep("load.txt", self.cli(company, db, spec["build"], spec["build"][0]))
        if not db.exists():
            self.failures.append(f"{company}: no database was built; nothing else captured")
            return
        keep("summary_default.json", self.cli(company, db, ["summary", "--json"], "summary --json"))
        keep("summary_event_all.json", self.cli(company, db, ["summary", "--json", "--event", "all"],
                                                "summary --json --event all"))
        keep(f"summary_as_of_{spec['as_of']}.json",
             self.cli(company, db, ["summary", "--json", "--as-of", spec["as_of"]], "summary --json --as-of"))
        keep("summary.txt", self.cli(company, db, ["summary"], "summary"))
        messages: list[str] = []
        for fmt, name in (("pptx", "report.pptx"), ("html", "report.html")):
            wrote(name, self.cli(company, db, ["report", "--format", fmt, "--out", str(raw / name)],
                                 f"report --format {fmt}"), messages)
        for rows in ("people", "intervals"):
            name = f"export_{rows}.csv"
            wrote(name, self.cli(company, db, ["export", "--rows", rows, "--format", "csv", "--out", str(raw / name)],
                                 f"export --rows {rows}"), messages)
        keep("history.txt", self.cli(company, db, ["history"], "history"))
        keep("rejects.csv", self.cli(company, db, ["rejects"], "rejects"))
        (raw / "cli_messages.txt").write_text("\n".join(messages), encoding="utf-8")
        me = str(Path(__file__).resolve())
        done = self.run([self.python, me, "--_inner", "zip", "--checkout", str(self.checkout), "--db", str(db),
                         "--raw", str(raw / "tables.zip")], db, f"{company}: tables zip")
        if done.returncode != 0:
            (raw / "tables.zip").write_text(f"FAILED (exit {done.returncode})\n{done.stderr}", encoding="utf-8")
        self.log(f"{company}: for the tables zip, " + ", ".join(done.stdout.split("\n")).strip(", "))
        done = self.run([self.python, me, "--_inner", "pages", "--checkout", str(self.checkout), "--db", str(db),
                         "--raw", str(raw)], db, f"{company}: dashboard pages")
        for line in done.stdout.splitlines():
            if line.startswith("page "):
                self.log(f"{company}: {line}")
        if done.returncode != 0:
            (raw / "pages_FAILED.txt").write_text(f"FAILED (exit {done.returncode})\n{done.stderr}", encoding="utf-8")

    # ---------------------------------------------------------------- the command line's help, refusals, bad rows

    def cli_edges(self) -> None:
        """The CLI's help; a company loaded from the samples with a few rows broken (rows set aside, and what
        `load --check`, `load`, `rejects`, `history` and `summary` say of them); and refusals (exit 2): a file
        without a required column, a logo that is not there; and an as-of date before anyone was hired."""
        raw = self.work / "raw" / "cli"
        raw.mkdir(parents=True)
        db = self.work / "bad_rows.duckdb"
        top = self.run([self.python, "-m", "analytics", "--help"], None, "cli: --help")
        helps = [f"$ python -m analytics --help\n{self.said(top)}"]
        found = re.search(r"\{([a-z,_-]+)\}", top.stdout)
        for command in (found.group(1).split(",") if found else []):
            done = self.run([self.python, "-m", "analytics", command, "--help"], None, f"cli: {command} --help")
            helps.append(f"$ python -m analytics {command} --help\n{self.said(done)}")
        (raw / "help.txt").write_text("\n".join(helps), encoding="utf-8")

        employees, mentorships = broken_samples(self.checkout, self.work / "bad_files")
        files = ["--employees", str(employees), "--mentorships", str(mentorships)]
        for name, args, expect in (("bad_rows_load_check.txt", ["load", *files, "--check"], 0),
                                   ("bad_rows_load.txt", ["load", *files], 0),
                                   ("bad_rows_rejects.csv.txt", ["rejects"], 0),
                                   ("bad_rows_history.txt", ["history"], 0),
                                   ("bad_rows_summary.txt", ["summary"], 0),
                                   ("as_of_before_hires.txt", ["summary", "--as-of", "2000-01-01"], 0),
                                   ("refused_missing_logo.txt", ["report", "--format", "pptx", "--out",
                                                                 str(self.work / "never.pptx"), "--logo",
                                                                 str(self.work / "no_such_logo.png")], 2)):
            done = self.cli("cli", db, args, name.removesuffix(".txt"), expect)
            (raw / name).write_text(self.said(done), encoding="utf-8")
        refused_db = self.work / "refused.duckdb"
        no_hire = self.work / "bad_files" / "employees_without_hire_date.csv"
        done = self.cli("cli", refused_db, ["load", "--employees", str(no_hire), "--mentorships", str(mentorships)],
                        "refused_missing_column", 2)
        (raw / "refused_missing_column.txt").write_text(
            self.said(done) + f"database created: {refused_db.exists()}\n", encoding="utf-8")

    # ---------------------------------------------------------------- all of it

    def __call__(self) -> int:
        self.log(f"checkout {self.checkout}; work folder {self.work}")
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=self.jobs) as pool:
                for future in [pool.submit(self.company, c) for c in COMPANIES] + [pool.submit(self.cli_edges)]:
                    future.result()
            self.days |= _days_now()  # a run across midnight: both days are today's
            norm = Normaliser(self.checkout, self.work, self.days)
            count = render(self.work / "raw", self.out, norm)
        finally:
            if not self.keep:
                shutil.rmtree(self.work, ignore_errors=True)
        self.log(f"{count} files written under {self.out}" + ("" if not self.keep else f"; raw files in {self.work}"))
        if self.failures:
            print("Not everything could be captured (each failure is written in its file):", file=sys.stderr)
            for failure in self.failures:
                print(f"  {failure}", file=sys.stderr)
            return 1
        return 0


def broken_samples(checkout: Path, folder: Path) -> tuple[Path, Path]:
    """The checkout's samples with a few rows broken, each its own way (a date that is no date, an employee id
    given twice, leaving before being hired, a mentee nobody knows), and an employees file without hire_date."""
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for table, breaks in (("employees", {0: ("hire_date", "2019-13-45"), 4: ("employee_id", None),
                                         6: ("termination_date", "2000-01-01")}),
                          ("mentorships", {1: ("mentee_id", "NOBODY999")})):
        with open(checkout / "data" / f"sample_{table}.csv", newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        for i, (column, value) in breaks.items():
            rows[i][column] = rows[i - 1][column] if value is None else value  # None: the row before's
        path = folder / f"broken_{table}.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        out.append(path)
        if table == "employees":
            with open(folder / "employees_without_hire_date.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=[c for c in rows[0] if c != "hire_date"], extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)
    return out[0], out[1]


def render(raw: Path, out: Path, norm: Normaliser) -> int:
    """The raw files, as comparable text under `out`: decks as text, zips member by member, Parquet as CSV,
    everything normalised (Normaliser)."""
    count = 0

    def put(path: Path, text: str) -> None:
        nonlocal count
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(norm.text(text), encoding="utf-8")
        count += 1

    def convert(source: Path, target: Path, data: bytes) -> None:
        name = source.name.lower()
        if data.startswith(b"FAILED (exit"):
            put(target, data.decode("utf-8", "replace"))
        elif name.endswith(".pptx"):
            put(target.with_name(target.name + ".txt"), pptx_text(data))
        elif name.endswith(".zip"):  # a folder of its members, named as the zip with _zip for .zip
            folder = target.with_name(target.name[:-4] + "_zip")
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                members = z.infolist()
                put(folder / "_members.txt", "".join(f"{m.filename}\n" for m in members))
                for m in members:
                    convert(Path(m.filename), folder / m.filename, z.read(m))
        elif name.endswith((".parquet", ".pq")):
            put(target.with_name(target.name + ".csv"), parquet_text(data))
        elif name.endswith((".html", ".htm")):
            text = data.decode("utf-8", "replace")
            put(target, text)
            put(target.with_name(target.name + ".txt"), html_text(text))
        else:
            put(target, data.decode("utf-8", "replace"))

    for source in sorted(raw.rglob("*")):
        if source.is_file():
            relative = source.relative_to(raw)
            convert(source, out / relative, source.read_bytes())
    return count


# ================================================================ inside the checkout (subprocesses)

def _inside(checkout: Path) -> None:
    """This process imports the checkout's modules, not those next to this script."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p not in (here, "")]
    sys.path.insert(0, str(checkout))
    os.chdir(checkout)


def import_candidate(name: str, checkout: Path):
    """`name` from the first module of CANDIDATES[name] that imports from the checkout and holds it; a clear error
    when none does."""
    import importlib

    tried = []
    for path in CANDIDATES[name]:
        try:
            module = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if not (exc.name == path or path.startswith(f"{exc.name}.")):
                raise  # the module is there, but something it imports is not: a real failure, said as such
            tried.append(f"{path} (no such module)")
            continue
        where = Path(module.__file__).resolve()
        if checkout.resolve() not in where.parents:
            raise SystemExit(f"{path} was imported from {where}, outside the checkout {checkout}")
        if not hasattr(module, name):
            tried.append(f"{path} (has no {name})")
            continue
        print(f"{name} from {path}")
        return getattr(module, name)
    raise SystemExit(f"cannot import {name!r} from the checkout {checkout}: tried " + "; ".join(tried)
                     + f". Add the module that now holds it to CANDIDATES[{name!r}] in {Path(__file__).name}.")


def inner_zip(checkout: Path, db: Path, out: Path) -> None:
    """The tables zip the dashboard offers (ui.export("csv") -> report.tables_zip(h)), for the headline ui.headline
    builds: everyone, the data's own as-of date and event, the assumptions a session starts with
    (ui.assumptions of an empty state), the base follow-up read once."""
    _inside(checkout)
    connect, snapshot = import_candidate("connect", checkout), import_candidate("snapshot", checkout)
    cohort_type, follow_up = import_candidate("Cohort", checkout), import_candidate("follow_up", checkout)
    headline, tables_zip = import_candidate("headline", checkout), import_candidate("tables_zip", checkout)
    import ui  # the dashboard's own default assumptions

    con = connect(str(db))
    try:
        settled = snapshot(con, None, None)
        cohort = cohort_type()
        base = follow_up(con, cohort, settled.as_of, settled.event)
        h = headline(con, cohort, settled.as_of, settled.event, ui.assumptions({}), base=base)
        out.write_bytes(tables_zip(h))
    finally:
        con.close()


_DROP_FIELDS = {"id", "form_id", "url", "deferred_file_id", "width_config", "height_config", "text_alignment_config",
                "data", "styler", "spec", "stack_trace"}


def _field_lines(fields: dict, indent: str) -> list[str]:
    out = []
    for key in sorted(fields):
        value = fields[key]
        if isinstance(value, str) and "\n" in value:
            out.append(f"{indent}{key}:")
            out += [f"{indent}  | {line}" for line in value.split("\n")]
        elif isinstance(value, str):
            out.append(f"{indent}{key}: {value}")
        else:
            out.append(f"{indent}{key}: {json.dumps(value, sort_keys=True, default=str)}")
    return out


def _decoded(value):
    """Plotly's typed arrays ({"dtype": "f8", "bdata": base64, "shape": "2, 3"}) as plain lists."""
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            import base64

            import numpy as np

            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if value.get("shape"):
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return array.tolist()
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def describe_tree(node, depth: int = 0) -> list[str]:
    """The page as AppTest holds it, element by element in order: each element's type and its fields (text, label,
    value, help, options...), tables as CSV, charts' data traces; no ids or keys."""
    from google.protobuf.json_format import MessageToDict
    from streamlit.testing.v1.element_tree import Block, ElementTree, Widget

    indent = "  " * depth
    out: list[str] = []
    if isinstance(node, Block):
        if not isinstance(node, ElementTree):
            fields = {}
            proto = getattr(node, "proto", None)
            if proto is not None:
                try:
                    fields = MessageToDict(proto, preserving_proto_field_name=True)
                except Exception:
                    fields = {}
            fields = {k: v for k, v in fields.items() if k not in _DROP_FIELDS}
            label = getattr(node, "label", None)
            out.append(f"{indent}[{node.type}]" + (f" {label!r}" if label else "")
                       + (f" {json.dumps(fields, sort_keys=True)}" if fields else ""))
        for key in sorted(node.children):
            out += describe_tree(node.children[key], depth + (0 if isinstance(node, ElementTree) else 1))
        return out
    kind = getattr(node, "type", type(node).__name__)
    proto = getattr(node, "proto", None)
    try:
        fields = MessageToDict(proto, preserving_proto_field_name=True) if proto is not None else {}
    except Exception:
        fields = {}
    fields = {k: v for k, v in fields.items() if k not in _DROP_FIELDS}
    if kind == "imgs":
        for img in fields.get("imgs", []):
            img.pop("url", None)
    if kind in ("dataframe", "table", "arrow_data_frame", "arrow_table"):
        try:
            fields["value (csv)"] = node.value.to_csv()
        except Exception as exc:
            fields["value (csv)"] = f"unreadable: {type(exc).__name__}"
        arrow = getattr(proto, "arrow_data", None) or getattr(proto, "data", None)
        fields.pop("arrow_data", None)  # the bytes are in the CSV above; a styler's uuid is not written
        styler = getattr(arrow, "styler", None) if arrow is not None else None
        if styler is not None and styler.display_values:  # a Styler's formatted cells, as the page shows them
            try:
                import pyarrow as pa

                shown = pa.ipc.open_stream(styler.display_values).read_pandas()
                fields["display values (csv)"] = shown.to_csv()
            except Exception as exc:
                fields["display values (csv)"] = f"unreadable: {type(exc).__name__}"
    elif kind == "plotly_chart":  # the data traces only (not the layout), one attribute a line, arrays decoded
        try:
            traces = _decoded(json.loads(proto.spec).get("data", []))
            lines = []
            for number, trace in enumerate(traces):
                trace.pop("uid", None)
                lines.append(f"trace {number}")
                lines += [f"  {key}: {json.dumps(trace[key], sort_keys=True)}" for key in sorted(trace)]
            fields["data"] = "\n".join(lines)
        except Exception as exc:
            fields["data"] = f"unreadable: {type(exc).__name__}: {exc}"
    elif isinstance(node, Widget):  # its value now
        try:
            fields["value (now)"] = repr(node.value)
        except Exception as exc:
            fields["value (now)"] = f"unreadable: {type(exc).__name__}"
    out.append(f"{indent}{kind}")
    out += _field_lines(fields, indent + "  ")
    return out


def inner_pages(checkout: Path, db: Path, raw: Path) -> None:
    """Every page through AppTest, as tests/test_app.py drives them: RETENTION_DB and RETENTION_AUTO_DEMO set, the
    app run once (the Overview), then each page switched to and run. The download buttons' files are built as a
    click would (the data a button holds, or its build-at-the-click callable called after the run)."""
    _inside(checkout)
    import streamlit as st
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    # no sign-in, whatever secrets file this machine (~/.streamlit) or the checkout has: the single user, an admin,
    # as in tests/test_app.py (the file named here does not exist)
    config.set_option("secrets.files", [str(raw / "no_secrets_here" / "secrets.toml")])

    offered: list[tuple[str, str, object]] = []
    real = st.download_button

    def capture(label, data=None, *args, **kwargs):
        offered.append((label, kwargs.get("file_name") or "", data))
        return real(label, data, *args, **kwargs)

    st.download_button = capture

    def keep(name: str, at: AppTest) -> None:
        if at.exception or at.error:
            print(f"page {name}: {len(at.exception)} exceptions, {len(at.error)} error messages shown", flush=True)
        lines = [f"page: {name}", f"exceptions: {len(at.exception)}"] + describe_tree(at._tree)
        (raw / f"page_{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        folder = raw / f"page_{name}_downloads"
        for i, (label, file_name, data) in enumerate(offered, 1):
            folder.mkdir(exist_ok=True)
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", file_name or label)[:80] or "download"
            try:
                data = data() if callable(data) else data
                data = data.encode("utf-8") if isinstance(data, str) else bytes(data or b"")
            except Exception as exc:  # a download that cannot be built: said in its file
                data = f"FAILED (exit 1)\n{type(exc).__name__}: {exc}\n".encode()
            (folder / f"{i:02d}_{safe}").write_bytes(data)
        (raw / f"page_{name}_downloads.txt").write_text(
            "".join(f"{i:02d} {label!r} file_name={file_name!r}\n" for i, (label, file_name, _) in enumerate(offered, 1))
            or "no downloads\n", encoding="utf-8")
        offered.clear()

    at = AppTest.from_file(str(checkout / "app.py"), default_timeout=300)
    at.run()
    keep("overview", at)
    for page in PAGES[1:]:
        at.switch_page(f"views/{page}.py")
        at.run()
        keep(page, at)
        if page == "cohorts":  # every choice of "Compare by" (the first is the page as drawn above)
            # the box's values are the keys of summary.COHORT_DIMENSIONS (AppTest's select_index would pick a label)
            try:
                at.selectbox(key="cohort_dimension")
            except (KeyError, IndexError):  # no such box (nothing to compare): the page above says why
                continue
            dimensions = list(import_candidate("COHORT_DIMENSIONS", checkout))
            for i, dimension in list(enumerate(dimensions))[1:]:
                at.selectbox(key="cohort_dimension").set_value(dimension)
                at.run()
                keep(f"cohorts_{i:02d}_{dimension}", at)
    # the Overview again for a filtered group (its counts rounded): the first department the sidebar offers
    at.switch_page("views/overview.py")
    at.run()
    departments = [m for m in at.sidebar.multiselect if m.label == "Department"]
    if departments and departments[0].options:
        departments[0].set_value([departments[0].options[0]])
        at.run()
    keep("overview_filtered", at)


# ================================================================ compare

def compare(before: Path, after: Path, lines: int = DIFF_LINES) -> int:
    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}

    for root in (before, after):
        if not root.is_dir():
            print(f"not a folder: {root}", file=sys.stderr)
            return 2
    a, b = files(before), files(after)
    common, only_a, only_b = sorted(a & b), sorted(a - b), sorted(b - a)
    different = []
    for name in common:
        if (before / name).read_bytes() != (after / name).read_bytes():
            different.append(name)
    print(f"before: {before}\nafter:  {after}")
    print(f"files compared: {len(common)}, identical: {len(common) - len(different)}, different: {len(different)}, "
          f"only before: {len(only_a)}, only after: {len(only_b)}")
    for name in different:
        old = (before / name).read_text(encoding="utf-8", errors="replace").splitlines()
        new = (after / name).read_text(encoding="utf-8", errors="replace").splitlines()
        diff = list(difflib.unified_diff(old, new, f"before/{name}", f"after/{name}", n=1, lineterm=""))
        changed = sum(1 for d in diff[2:] if d[:1] in "+-")
        print(f"\nDIFFERENT {name} ({changed} lines changed)")
        for line in diff[:lines]:
            print(f"  {line[:300]}")
        if len(diff) > lines:
            print(f"  ... {len(diff) - lines} more diff lines (diff -u {before / name} {after / name})")
    for name in only_a:
        print(f"ONLY BEFORE {name}")
    for name in only_b:
        print(f"ONLY AFTER  {name}")
    same = not (different or only_a or only_b)
    print("\nIDENTICAL" if same else "\nDIFFERENCES FOUND")
    return 0 if same else 1


# ================================================================ command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", type=Path, help="the checkout to capture (its app.py, analytics/, data/)")
    parser.add_argument("--out", type=Path, help="the folder to write the capture to (must not exist, or be empty, "
                                                 "unless --overwrite)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"),
                        help="compare two captures file by file; exit 1 when anything differs")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter that runs the checkout (default: this one; use the project's .venv)")
    parser.add_argument("--jobs", type=int, default=2, help="companies captured side by side (default 2)")
    parser.add_argument("--overwrite", action="store_true", help="replace what --out holds")
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary folder (databases, raw files)")
    parser.add_argument("--diff-lines", type=int, default=DIFF_LINES, help="diff lines shown per differing file")
    parser.add_argument("--_inner", choices=("zip", "pages"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--raw", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._inner:
        checkout = args.checkout.resolve()
        if args._inner == "zip":
            inner_zip(checkout, args.db, args.raw)
        else:
            inner_pages(checkout, args.db, args.raw)
        return 0
    if args.compare:
        return compare(*args.compare, lines=args.diff_lines)
    if not (args.checkout and args.out):
        parser.error("give --checkout DIR --out OUTDIR, or --compare BEFORE AFTER")
    checkout = args.checkout.resolve()
    missing = [p for p in ("app.py", "analytics/__main__.py", "views", "data/sample_employees.csv",
                           "data/sample_mentorships.csv") if not (checkout / p).exists()]
    if missing:
        parser.error(f"{checkout} is not a checkout of the product: no {', '.join(missing)}")
    out = args.out.resolve()
    if out.exists() and any(out.iterdir()):
        if not args.overwrite:
            parser.error(f"{out} is not empty (--overwrite replaces it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    return Capture(checkout, out, args.python, max(1, args.jobs), args.keep_work)()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the report piped into a reader that stopped (| head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
