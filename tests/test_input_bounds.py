"""Nothing leaks, nothing floods: input that is too large, too long, disguised or able to act on a terminal.

Each attack is refused before it is parsed, with a message naming the file (and the row and column where there is
one), exit code 2 from the CLI, no traceback and no database created; look-alike values are read as they show, with
a warning; what the CLI prints cannot act on the terminal (docs/design.md, Bad input).
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pandas as pd
import pytest

from analytics.common.policy import (MAX_CELLS, MAX_CELL_CHARS, MAX_FILE_BYTES, MAX_LOGO_PIXELS, MAX_SHEET_CELLS,
                                     MAX_UNPACKED_BYTES)
from analytics.intake.prepare import prepare_load
from analytics.store import database
from analytics.surface.cli import main
from tests.builders import employees_table, mentorships_table, write

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def files(tmp_path):
    emp = employees_table(40)
    men = mentorships_table(emp)
    return emp, men, tmp_path


def _refused(capsys, tmp_path, employees: Path, mentorships: Path) -> str:
    """Load the files with the CLI: refused with exit code 2, no traceback, no database; the message."""
    db = tmp_path / "refused.duckdb"
    code = main(["load", "--db", str(db), "--employees", str(employees), "--mentorships", str(mentorships)])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert "Traceback" not in err and re.search(r"^error: file ", err, re.M)  # (after progress lines, if slow)
    assert not db.exists()  # nothing loaded: refused before the database is opened
    return err


# ------------------------------------------------------------ too large: refused before parsing

def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return next(n for n in z.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))


def _rewritten(path: Path, member: str, chunks) -> None:
    """The workbook with one member's content replaced by `chunks` (bytes, written as they come)."""
    with zipfile.ZipFile(path) as z:
        others = {n: z.read(n) for n in z.namelist() if n != member}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in others.items():
            z.writestr(name, data)
        with z.open(member, "w", force_zip64=True) as f:
            for chunk in chunks:
                f.write(chunk)


def test_a_workbook_stating_more_cells_than_a_sheet_may_hold_is_refused(files, capsys):
    emp, men, tmp = files
    book = write(emp, tmp / "staff.xlsx")
    sheet = _sheet_xml(book)
    with zipfile.ZipFile(book) as z:
        xml = z.read(sheet)
    _rewritten(book, sheet, [re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:L2000000"', xml)])
    err = _refused(capsys, tmp, book, write(men, tmp / "mentoring.csv"))
    assert "file 'staff.xlsx'" in err and "A1:L2000000" in err and "24,000,000 cells" in err
    assert f"{MAX_SHEET_CELLS:,} cells" in err and "CSV" in err


def test_a_small_workbook_unpacking_to_millions_of_cells_is_refused(files, capsys):
    """A few hundred KB that unpack to more cells than a sheet may hold, with no stated range to give it away."""
    emp, men, tmp = files
    book = write(emp.head(3), tmp / "staff.xlsx")
    sheet = _sheet_xml(book)
    with zipfile.ZipFile(book) as z:
        xml = z.read(sheet)
    head, _, rest = re.sub(rb"<dimension[^>]*/>", b"", xml).partition(b"</sheetData>")
    rows = MAX_SHEET_CELLS // 12 + 10
    row = b"<row>" + b"<c/>" * 12 + b"</row>"
    _rewritten(book, sheet, [head, *(row * 10_000 for _ in range(rows // 10_000 + 1)), b"</sheetData>", rest])
    assert book.stat().st_size < 1_000_000
    err = _refused(capsys, tmp, book, write(men, tmp / "mentoring.csv"))
    assert "file 'staff.xlsx'" in err and f"more than {MAX_SHEET_CELLS:,} cells" in err


def test_a_workbook_unpacking_to_more_bytes_than_allowed_is_refused(files, capsys):
    emp, men, tmp = files
    book = write(emp, tmp / "staff.xlsx")
    sheet = _sheet_xml(book)
    with zipfile.ZipFile(book) as z:
        xml = z.read(sheet)
    head, _, rest = xml.partition(b"<sheetData>")
    blank = b" " * (1 << 24)  # whitespace XML allows between rows: nothing to see, everything to unpack
    _rewritten(book, sheet, [head, b"<sheetData>", *([blank] * (MAX_UNPACKED_BYTES // len(blank) + 1)), rest])
    err = _refused(capsys, tmp, book, write(men, tmp / "mentoring.csv"))
    assert "file 'staff.xlsx'" in err and f"at most {MAX_UNPACKED_BYTES:,} bytes" in err and "unpacks to" in err


def test_a_csv_of_more_cells_than_a_file_may_hold_is_refused(files, capsys):
    emp, men, tmp = files
    path = tmp / "staff.csv"
    lines = MAX_CELLS // 12 + 1000
    with path.open("w") as f:
        f.write(",".join(emp.columns) + "\n")
        for _ in range(lines // 100_000 + 1):
            f.write(",,,,,,,,,,,\n" * 100_000)
    err = _refused(capsys, tmp, path, write(men, tmp / "mentoring.csv"))
    assert "file 'staff.csv'" in err and f"at most {MAX_CELLS:,} cells" in err


def test_a_parquet_file_of_more_cells_than_allowed_is_refused_from_its_footer(files, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    emp, men, tmp = files
    rows = MAX_CELLS // 2 + 1
    path = tmp / "staff.parquet"
    pq.write_table(pa.table({"employee_id": pa.nulls(rows, pa.int8()), "hire_date": pa.nulls(rows, pa.int8())}), path)
    err = _refused(capsys, tmp, path, write(men, tmp / "mentoring.csv"))
    assert "file 'staff.parquet'" in err and f"{rows:,} rows of 2 columns" in err and f"{MAX_CELLS:,} cells" in err


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(files, capsys):
    emp, men, tmp = files
    path = tmp / "staff.csv"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing written, nothing to read
    err = _refused(capsys, tmp, path, write(men, tmp / "mentoring.csv"))
    assert "file 'staff.csv'" in err and f"at most {MAX_FILE_BYTES:,} bytes" in err


# ------------------------------------------------------------ one cell too long: its row and column named

LONG = "x" * 200_000


@pytest.mark.parametrize("how", ["plain csv", "quoted csv", "parquet", "xlsx"])
def test_a_200000_character_cell_is_refused_naming_its_row_and_column(files, capsys, how):
    emp, men, tmp = files
    emp = emp.copy()
    emp.loc[7, "department"] = LONG if how != "quoted csv" else "Sales, " + LONG  # a comma: written in quotes
    suffix = {"plain csv": ".csv", "quoted csv": ".csv", "parquet": ".parquet", "xlsx": ".xlsx"}[how]
    path = write(emp, tmp / f"staff{suffix}")
    if how == "quoted csv":
        assert '"Sales, x' in path.read_text()
    if how == "xlsx":  # the writer cuts a value to Excel's limit: the cell written as another tool could write it
        with zipfile.ZipFile(path) as z:
            member = next(n for n in z.namelist() if (b"x" * MAX_CELL_CHARS) in z.read(n))
            xml = z.read(member)
        _rewritten(path, member, [xml.replace(b"x" * MAX_CELL_CHARS, LONG.encode())])
    err = _refused(capsys, tmp, path, write(men, tmp / "mentoring.csv"))
    length = len(emp.loc[7, "department"])
    assert f"file 'staff{suffix}', column 'department', row 9: a cell of {length:,} characters" in err  # row 9: 8th row
    assert f"at most {MAX_CELL_CHARS:,}" in err


def test_a_long_cell_in_the_mentorships_file_names_its_row_and_column_too(files, capsys):
    emp, men, tmp = files
    men = men.copy()
    men.loc[2, "program_type"] = LONG
    err = _refused(capsys, tmp, write(emp, tmp / "staff.csv"), write(men, tmp / "mentoring.csv"))
    assert "file 'mentoring.csv', column 'program_type', row 4: a cell of 200,000 characters" in err


def test_a_cell_as_long_as_excel_allows_still_loads(files):
    emp, men, tmp = files
    emp = emp.copy()
    emp.loc[3, "department"] = "y" * MAX_CELL_CHARS
    plan = prepare_load(write(emp, tmp / "staff.csv"), write(men, tmp / "mentoring.csv"))
    assert len(plan.employees.frame) == 40


# ------------------------------------------------------------ a logo too large to decode

def _png(width: int, height: int) -> bytes:
    """A PNG whose header says width x height: a few dozen bytes (its pixels are never there)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(30_000, 30_000), (6_000, 6_000)])
def test_a_logo_with_more_pixels_than_allowed_is_refused_from_its_header(tmp_path, capsys, width, height):
    logo = tmp_path / "logo.png"
    logo.write_bytes(_png(width, height))
    assert logo.stat().st_size < 200
    db = tmp_path / "r.duckdb"
    code = main(["report", "--db", str(db), "--format", "pptx", "--out", str(tmp_path / "deck.pptx"),
                 "--logo", str(logo)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and not db.exists()
    assert f"file '{logo}': {width:,} x {height:,} pixels; a logo may have at most {MAX_LOGO_PIXELS:,} pixels" in err


def test_a_small_logo_is_still_taken():
    from PIL import Image

    from analytics.outputs.deck import checked_logo

    data = io.BytesIO()
    Image.new("RGB", (400, 120), (10, 60, 120)).save(data, "JPEG")
    assert checked_logo(data.getvalue(), "logo.jpg") == data.getvalue()
    assert checked_logo(_png(2_000, 1_000), "logo.png")  # its header read, its pixels never decoded


# ------------------------------------------------------------ look-alike values read as they show

SALES = ("Sales", "Sa\u200bles", "\u202eselaS")  # plain, a zero-width space, a right-to-left override: all read 'Sales'


def _look_alikes(tmp):
    emp = employees_table(60)
    emp["department"] = ["Finance"] * 30 + [SALES[i % 3] for i in range(30)]
    men = mentorships_table(emp, 10)
    men.loc[0, "mentee_id"] = men.loc[0, "mentee_id"] + "\u200b"  # an id with a zero-width space: the same person
    return write(emp, tmp / "staff.csv"), write(men, tmp / "mentoring.csv")


def test_look_alike_values_become_one_group_with_a_warning_listing_them(tmp_path, capsys):
    employees, mentorships = _look_alikes(tmp_path)
    db = tmp_path / "alike.duckdb"
    assert main(["load", "--db", str(db), "--employees", str(employees), "--mentorships", str(mentorships),
                 "--check"]) == 0
    before = capsys.readouterr().out
    assert not db.exists()
    for written in (r"'Sa\u200bles' as 'Sales' (10 rows)", r"'\u202eselaS' as 'Sales' (10 rows)",
                    r"mentee_id 'E0000\u200b' as 'E0000' (1 row)"):
        assert written in before  # shown before the load, each value as written and as read
    assert "Warning: staff.csv: 2 values with invisible or look-alike characters are read as they show" in before
    assert "Warning: mentoring.csv: 1 value" in before
    assert main(["load", "--db", str(db), "--employees", str(employees), "--mentorships", str(mentorships)]) == 0
    after = capsys.readouterr().out
    assert r"'\u202eselaS' as 'Sales'" in after  # and after it
    con = database.connect(db)
    try:
        departments = database.frame(con, "employees")["department"].value_counts().to_dict()
        mentees = set(database.frame(con, "mentorships")["mentee_id"])
    finally:
        con.close()
    assert departments == {"Finance": 30, "Sales": 30}  # one group, not three
    assert "E0000" in mentees and not any("\u200b" in m for m in mentees)


def test_headers_with_invisible_characters_match_and_are_listed(files):
    emp, men, tmp = files
    plan = prepare_load(write(emp.rename(columns={"hire_date": "Hire\u200b Date"}), tmp / "staff.csv"),
                        write(men, tmp / "mentoring.csv"))
    assert plan.employees.notes["header_map"]["hire_date"] == "Hire Date"
    assert any(r"header 'Hire\u200b Date' as 'Hire Date'" in w for w in plan.report()["warnings"])


def test_full_width_letters_and_ligatures_read_as_their_plain_letters_and_spaces_are_no_news(files):
    emp, men, tmp = files
    emp = emp.copy()
    emp["department"] = ["\uff33ales" if i % 2 else "Sales" for i in range(len(emp))]  # full-width S
    emp["salary"] = [f"53\u202f{i:03d} €" for i in range(len(emp))]  # a narrow no-break space: read as before
    plan = prepare_load(write(emp, tmp / "staff.csv"), write(men, tmp / "mentoring.csv"))
    assert set(plan.employees.frame["department"]) == {"Sales"}
    assert plan.employees.frame["salary"].iloc[1] == 53_001
    warnings = [w for w in plan.report()["warnings"] if "look-alike" in w]
    assert len(warnings) == 1 and "department '\uff33ales' as 'Sales' (20 rows)" in warnings[0]
    assert "salary" not in warnings[0]


def test_many_changed_values_are_listed_a_few_at_a_time(files):
    emp, men, tmp = files
    emp = emp.copy()
    emp["job_level"] = [f"L\u200b{i}" for i in range(len(emp))]
    plan = prepare_load(write(emp, tmp / "staff.csv"), write(men, tmp / "mentoring.csv"))
    warning = next(w for w in plan.report()["warnings"] if "look-alike" in w)
    assert "40 values" in warning and "; and 32 more." in warning and len(warning) < 1000


# ------------------------------------------------------------ nothing printed acts on the terminal

ESCAPES = "\x1b[2J\x1b]0;owned\x07"  # clear the screen, retitle the window


def test_escape_sequences_in_a_file_name_and_header_are_spelt_out_by_load_history_and_rejects(files, capsys):
    emp, men, tmp = files
    emp = emp.assign(**{f"Notes{ESCAPES}": "x"})  # a column not used: load lists it
    emp.loc[4, "hire_date"] = "not a date"  # a row set aside: rejects lists it with its file
    employees = write(emp, tmp / f"staff{ESCAPES}.csv")
    db = str(tmp / "t.duckdb")
    assert main(["load", "--db", db, "--employees", str(employees), "--mentorships",
                 str(write(men, tmp / "mentoring.csv"))]) == 0
    loaded = capsys.readouterr()
    assert main(["history", "--db", db]) == 0
    history = capsys.readouterr()
    assert main(["rejects", "--db", db]) == 0
    rejects = capsys.readouterr()
    for printed in (loaded, history, rejects):
        assert "\x1b" not in printed.out + printed.err and "\x07" not in printed.out + printed.err
    assert r"staff\x1b[2J\x1b]0;owned\x07.csv" in loaded.out and r"Notes\x1b[2J" in loaded.out
    assert r"staff\x1b[2J" in history.out and r"staff\x1b[2J" in rejects.out
    assert main(["rejects", "--db", db, "--out", str(tmp / "rejects.csv")]) == 0
    assert ESCAPES in pd.read_csv(tmp / "rejects.csv")["source_file"].iloc[0]  # a file keeps what it holds


def test_a_refused_file_with_escapes_in_its_name_is_named_without_them(files, capsys):
    emp, men, tmp = files
    employees = write(emp.drop(columns=["hire_date"]), tmp / f"staff{ESCAPES}.csv")
    err = _refused(capsys, tmp, employees, write(men, tmp / "mentoring.csv"))
    assert "\x1b" not in err and r"staff\x1b[2J" in err and "column 'hire_date': required column missing" in err


def test_terminal_safe_keeps_text_and_line_ends():
    from analytics.words.wording import terminal_safe

    assert terminal_safe("Zoë, Łódź: 53 900 €\tok\r\n") == "Zoë, Łódź: 53 900 €\tok\r\n"
    assert terminal_safe("a\rb\u202ec\x9bd") == r"a\rb\u202ec\x9bd"


# ------------------------------------------------------------ the Data page parses an upload once

def test_the_data_page_parses_a_workbook_once_per_upload(monkeypatch, files):
    from streamlit.testing.v1 import AppTest

    from analytics.intake import reading

    emp, men, tmp = files
    parses = []
    real = reading._excel_rows
    monkeypatch.setattr(reading, "_excel_rows", lambda *a, **k: parses.append(1) or real(*a, **k))
    monkeypatch.setenv("RETENTION_DB", str(tmp / "page.duckdb"))
    monkeypatch.setenv("RETENTION_AUTO_DEMO", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("views/data.py").run()
    buffer = io.BytesIO()
    emp.to_excel(buffer, index=False)
    at.file_uploader(key="upload_employees").set_value(("staff.xlsx", buffer.getvalue(), "application/vnd.ms-excel"))
    at.file_uploader(key="upload_mentorships").set_value(("mentoring.csv", men.to_csv(index=False).encode(), "text/csv"))
    at.run()
    next(b for b in at.button if b.label == "Check files").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert {m.label: m.value for m in at.metric}["Employees ready"] == "40"
    at.run()  # a redraw
    assert len(parses) == 1
