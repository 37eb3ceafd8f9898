"""PostgreSQL as a source, against a real server that this module starts and stops itself (Debian's
postgresql package; scram passwords, so a wrong password is really refused).

The demo company is put in the warehouse as a people-analytics team keeps it (dates as DATE, salaries as
NUMERIC, an HRIS-shaped copy with its own column names and time stamps with a time zone), owned by one role and
read by another that may only read. Read from tables or queries, it must give the figures the same data gives
from files to 1e-9; every failure must say what is wrong in one line, exit 2 and leave the database as it was;
the password must appear nowhere. Nothing a query says may change the warehouse: a superuser or a role that can
write is refused unless the user says so, a query runs under a statement timeout, and a stopped command leaves no
query running on the server.
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest

from analytics.case.summary import headline
from analytics.intake.demo import DemoConfig, generate
from analytics.store import database, loads, queries, warehouse
from analytics.surface.cli import main
from tests.test_hr_exports import clean_files

CONFIG = DemoConfig()  # the company of fixed characteristics (analytics/intake/demo.py): 5,000 employees
MENTORSHIPS = 2152  # its mentorships
PASSWORD = "Tr0ub@dor:3/&x%y"  # every character an address must encode
USER, DATABASE = "people_reader", "people"  # the product reads as a role that may only read
OWNER = "people_analyst"  # the role that keeps the tables (and so can change them)
ROOT = Path(__file__).resolve().parent.parent
REASONS = {"voluntary": "Resignation - Better Opportunity", "involuntary": "Involuntary - Restructuring",
           "retirement": "Retirement", "other": "Death in Service"}
PROGRAMMES = {"traditional": "Traditional 1:1", "group": "Group Mentoring Circle", "external": "External Coach",
              "reverse": "Reverse Mentoring", "lateral": "Peer Buddy"}


def _binaries() -> Path | None:
    """Debian's server binaries (the newest version installed), else initdb on the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    port: int
    psql: list[str]

    def url(self, password: str | None = PASSWORD, user: str = USER, port: int | None = None) -> str:
        secret = f":{quote(password, safe='')}" if password is not None else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{port or self.port}/{DATABASE}"

    def sql(self, statement: str) -> str:
        done = subprocess.run([*self.psql, "-d", DATABASE, "-Atc", statement], capture_output=True, text=True,
                              check=True, timeout=60)
        return done.stdout.strip()


SCHEMA_SQL = """
CREATE SCHEMA hr AUTHORIZATION {user};
SET ROLE {user};
CREATE TABLE hr.employees (
    employee_id text PRIMARY KEY, hire_date date NOT NULL, termination_date date, termination_reason text,
    department text, job_level text, location text, gender text, birth_year integer, manager_id text,
    salary numeric(12, 2), performance_rating smallint);
CREATE TABLE hr.mentorships (
    mentee_id text NOT NULL, start_date date NOT NULL, mentor_id text, program_type text, end_date date,
    meetings integer);
INSERT INTO hr.employees SELECT employee_id, hire_date::date, termination_date::date, termination_reason,
    department, job_level, location, gender, birth_year, manager_id, salary, performance_rating
    FROM staging.employees;
INSERT INTO hr.mentorships SELECT mentee_id, start_date::date, mentor_id, program_type, end_date::date, meetings
    FROM staging.mentorships;
-- as an HRIS keeps it: its own column names, reasons and programmes in words, exits stamped at midnight in
-- Tokyo (the warehouse's time zone), pay as money, an extra column
CREATE TABLE hr.workers AS SELECT employee_id AS "Worker ID", hire_date AS "Original Hire Date",
    termination_date::timestamp AT TIME ZONE 'Asia/Tokyo' AS "Termination Date",
    CASE termination_reason {reasons} END AS "Primary Termination Reason",
    department AS "Org Unit Name", job_level AS "Management Level", location AS "Location", gender AS "Gender",
    birth_year AS "Year of Birth", manager_id AS "Manager Worker ID", salary::money AS "Annual Base Pay",
    performance_rating AS "Performance Rating", 'CC-100'::text AS "Cost Center"
    FROM hr.employees;
CREATE TABLE hr.mentoring AS SELECT mentee_id AS "Mentee Employee ID", mentor_id AS "Mentor Employee ID",
    CASE program_type {programmes} END AS "Program", start_date AS "Start Date", end_date AS "End Date",
    meetings AS "Sessions Held"
    FROM hr.mentorships;
CREATE TABLE hr.no_hire_date AS SELECT employee_id, termination_date FROM hr.employees;
CREATE SEQUENCE hr.ids;
-- the role the product reads as: it may read, nothing more
GRANT USAGE ON SCHEMA hr TO {reader};
GRANT SELECT ON ALL TABLES IN SCHEMA hr TO {reader};
ALTER DEFAULT PRIVILEGES IN SCHEMA hr GRANT SELECT ON TABLES TO {reader};
RESET ROLE;
ALTER ROLE {user} SET TimeZone = 'Asia/Tokyo';
ALTER ROLE {reader} SET TimeZone = 'Asia/Tokyo';
DROP SCHEMA staging CASCADE;
"""


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server on a free port on 127.0.0.1 holding the demo company, stopped at the end."""
    binaries = _binaries()
    if binaries is None:
        why = "PostgreSQL's server is not installed (Debian's postgresql package; make test installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    as_server = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []  # the server never runs as root
    home = Path(tempfile.mkdtemp(prefix="retention-pg-"))  # under /tmp: the server's own user must reach it
    data, port = home / "data", _free_port()
    (home / "pw").write_text(PASSWORD + "\n")
    if as_server:
        shutil.chown(home, "postgres", "postgres")
        shutil.chown(home / "pw", "postgres", "postgres")
    pg_ctl = [*as_server, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(home / "log")]
    try:
        subprocess.run([*as_server, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
                        "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={home / 'pw'}", "--no-sync"],
                       check=True, capture_output=True, timeout=120)
        subprocess.run([*pg_ctl, "-w", "-o", f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c fsync=off",
                        "start"], check=True, capture_output=True, timeout=120)
        server = Server(port, [*as_server, str(binaries / "psql"), "-h", str(home), "-p", str(port), "-U",
                               "postgres", "-v", "ON_ERROR_STOP=1", "-q"])
        subprocess.run([*server.psql, "-d", "postgres", "-c", f"CREATE ROLE {OWNER} LOGIN PASSWORD '{PASSWORD}'",
                        "-c", f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'",
                        "-c", f"CREATE DATABASE {DATABASE} OWNER {OWNER}"], check=True, capture_output=True, timeout=60)
        _seed(server)
        yield server
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=120)
        shutil.rmtree(home, ignore_errors=True)


def _seed(server: Server) -> None:
    """The demo company into staging tables through the ADBC driver (Arrow, COPY), then typed as a warehouse
    types it."""
    import adbc_driver_postgresql.dbapi as dbapi
    import pyarrow as pa

    demo = generate(CONFIG)
    server.sql(f"CREATE SCHEMA staging AUTHORIZATION {OWNER}")
    with dbapi.connect(server.url(user=OWNER)) as con, con.cursor() as cur:
        for name, frame in (("employees", demo.employees), ("mentorships", demo.mentorships)):
            cur.adbc_ingest(name, pa.Table.from_pandas(frame, preserve_index=False), mode="create",
                            db_schema_name="staging")
        con.commit()
    cases = lambda words: " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in words.items())  # noqa: E731
    server.sql(SCHEMA_SQL.format(user=OWNER, reader=USER, reasons=cases(REASONS), programmes=cases(PROGRAMMES)))


@pytest.fixture(autouse=True)
def no_password_around(monkeypatch, tmp_path):
    """No PGPASSWORD and no .pgpass unless a test gives one (a developer's own must not answer for the test)."""
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no.pgpass"))


def figures(db: Path) -> dict:
    """The headline as the dashboard shows it, and the tables as stored."""
    con = database.connect(db)
    try:
        h = headline(con, as_of=CONFIG.as_of)
        fu = h.follow_up
        out = {"people": fu.n_employees, "mentored": fu.n_mentored, "exits": fu.n_events,
               "rejects": len(queries.rejects(con)), "warnings": list(h.warnings), "covariates": h.adjusted.covariates}
        for name in ("naive", "time_varying", "adjusted"):
            out.update({f"{name}_{k}": v for k, v in getattr(h, name).hazard_ratio.to_dict().items()})
        for group in ("mentored", "unmentored"):
            out.update({f"retention_{group}_{k}": v for k, v in h.retention[group].to_dict().items()})
        tables = {t: database.frame(con, t) for t in ("employees", "mentorships")}
    finally:
        con.close()
    return out | {"tables": tables}


def assert_same(got: dict, expected: dict) -> None:
    assert expected["rejects"] == 0 and expected["warnings"] == []
    for key, value in expected.items():
        if key == "tables":
            for table, frame in value.items():
                pd.testing.assert_frame_equal(got["tables"][table], frame, obj=table)
        elif isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        else:
            assert got[key] == value, key


@pytest.fixture(scope="module")
def from_files(tmp_path_factory):
    """The same company loaded from CSV files, the reference."""
    folder = tmp_path_factory.mktemp("files")
    demo = generate(CONFIG)
    employees, mentorships = clean_files(demo.employees, demo.mentorships, folder)
    db = folder / "files.duckdb"
    assert main(["load", "--db", str(db), "--employees", str(employees), "--mentorships", str(mentorships)]) == 0
    return figures(db)


def load(db: Path, url: str, *options: str) -> int:
    return main(["load", "--db", str(db), "--from", url, *options])


TABLES = ("--employees-table", "hr.employees", "--mentorships-table", "hr.mentorships")


def assert_no_password(*texts: str) -> None:
    for text in texts:
        for form in (PASSWORD, quote(PASSWORD, safe="")):
            assert form not in text


def saved_source(db: Path) -> dict | None:
    con = database.connect(db, read_only=True)
    try:
        return loads.saved_source(con)
    finally:
        con.close()


def stored_text(db: Path) -> str:
    """Everything the database holds about its loads, as text: the history, its reports, the saved source."""
    con = database.connect(db)
    try:
        history = database.frame(con, "load_history")
        return history.to_json() + json.dumps(loads.saved_source(con), default=str)
    finally:
        con.close()


# ------------------------------------------------------------ the same answer as files

def test_tables_give_the_same_answer_as_files(postgres, from_files, tmp_path, capsys):
    db = tmp_path / "warehouse.duckdb"
    started = time.perf_counter()
    assert load(db, postgres.url(), *TABLES) == 0
    seconds = time.perf_counter() - started
    out = capsys.readouterr()
    assert "employees: 5000 rows loaded from table hr.employees, 0 set aside" in out.out
    assert_same(figures(db), from_files)
    assert seconds < 15, f"loading 5,000 employees from PostgreSQL took {seconds:.1f} s"
    assert main(["history", "--db", str(db)]) == 0
    history = capsys.readouterr().out
    assert f"postgresql://{USER}@127.0.0.1:{postgres.port}/{DATABASE}: 5000 employees" in history
    assert "(table hr.employees, table hr.mentorships)" in history
    assert_no_password(out.out, out.err, history, stored_text(db))


def test_queries_give_the_same_answer_and_the_password_can_come_from_pgpassword(postgres, from_files, tmp_path,
                                                                                 monkeypatch, capsys):
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    db = tmp_path / "warehouse.duckdb"
    employees = ("-- everyone, as the warehouse has them\n"
                 "SELECT e.* FROM hr.employees e WHERE e.hire_date <= DATE '2100-01-01' ORDER BY e.employee_id;")
    mentorships = ("WITH active AS (SELECT m.* FROM hr.mentorships m\n"
                   "    JOIN hr.employees e ON e.employee_id = m.mentee_id)\n"
                   "SELECT mentee_id, start_date, mentor_id, program_type, end_date, meetings FROM active")
    assert load(db, postgres.url(password=None), "--employees-query", employees, "--mentorships-query",
                mentorships) == 0
    out = capsys.readouterr()
    assert "rows loaded from the employees query" in out.out
    assert_same(figures(db), from_files)
    saved = saved_source(db)
    assert saved["url"] == postgres.url(password=None) and saved["queries"]["mentorships"] == mentorships
    assert_no_password(out.out, out.err, stored_text(db))


def test_an_hris_table_reads_through_its_own_names_and_a_pgpass_file(postgres, from_files, tmp_path, monkeypatch,
                                                                     capsys):
    """Workday-like names found by their synonyms, one header mapped by hand, reasons and programmes in words,
    exits as timestamptz in the warehouse's zone (Tokyo), pay as money: the same company, to 1e-9."""
    pgpass = tmp_path / ".pgpass"
    escaped = PASSWORD.replace("\\", "\\\\").replace(":", "\\:")
    pgpass.write_text(f"127.0.0.1:{postgres.port}:{DATABASE}:{USER}:{escaped}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    db = tmp_path / "warehouse.duckdb"
    assert load(db, postgres.url(password=None), "--employees-table", "hr.workers", "--mentorships-table",
                "hr.mentoring", "--map", "employees.department=Org Unit Name") == 0
    out = capsys.readouterr().out
    assert "employees: columns not used: Cost Center" in out
    assert "termination reason 'Resignation - Better Opportunity' read as voluntary" in out
    assert "dates read as" not in out  # typed dates: nothing to say about their format
    assert_same(figures(db), from_files)
    saved = saved_source(db)
    assert saved["mapping"] == {"employees": {"department": "Org Unit Name"}}
    assert saved["tables"] == {"employees": "hr.workers", "mentorships": "hr.mentoring"}


def test_numbers_and_dates_keep_the_databases_types(postgres, tmp_path):
    """NUMERIC 539.000 is 539, not 539,000 as the text '539.000' would read in a continental file; a DATE of
    9999-12-31 means no end date, as in a file."""
    db = tmp_path / "typed.duckdb"
    assert load(db, postgres.url(),
                "--employees-query", "SELECT employee_id, hire_date, (salary / 100)::numeric(12, 3) AS salary, "
                                     "performance_rating::numeric(3, 1) AS performance_rating, "
                                     "birth_year::bigint AS birth_year FROM hr.employees",
                "--mentorships-query", "SELECT mentee_id, start_date, "
                                       "coalesce(end_date, DATE '9999-12-31') AS end_date FROM hr.mentorships") == 0
    demo = generate(CONFIG)
    con = database.connect(db, read_only=True)
    try:
        employees, mentorships = database.frame(con, "employees"), database.frame(con, "mentorships")
    finally:
        con.close()
    expected = demo.employees.sort_values("employee_id").reset_index(drop=True)
    assert employees["salary"].to_numpy() == pytest.approx(expected["salary"].to_numpy() / 100, rel=1e-12)
    assert (employees["performance_rating"] == expected["performance_rating"]).all()
    assert (employees["birth_year"] == expected["birth_year"]).all()
    assert mentorships["end_date"].isna().sum() == demo.mentorships["end_date"].isna().sum() > 0


def test_check_reads_and_writes_nothing(postgres, tmp_path, capsys):
    db = tmp_path / "never.duckdb"
    assert load(db, postgres.url(), *TABLES, "--check") == 0
    out = capsys.readouterr().out
    assert out.endswith("Checked only: nothing was loaded.\n") and "5000 rows ready" in out
    assert not db.exists()
    assert_no_password(out)


# ------------------------------------------------------------ failures: one line, exit 2, nothing written

@pytest.fixture(scope="module")
def loaded(postgres, tmp_path_factory):
    """A database that holds two loads (so there is history and earlier data to go back to)."""
    db = tmp_path_factory.mktemp("loaded") / "loaded.duckdb"
    assert load(db, postgres.url(), *TABLES) == 0
    assert load(db, postgres.url(), *TABLES) == 0
    return db


def state(db: Path) -> dict:
    con = database.connect(db, read_only=True)
    try:
        return {"history": loads.history(con).to_dict("list"), "saved": loads.saved_loads(con),
                "source": loads.saved_source(con), "employees": database.frame(con, "employees"),
                "metadata": database.frame(con, "metadata").to_dict("list")}
    finally:
        con.close()


FAILURES = {
    "connection refused": (lambda s: [s.url(port=_free_port()), *TABLES],
                           ["cannot reach PostgreSQL at 127.0.0.1:", "connection was refused"]),
    "wrong password": (lambda s: [s.url(password="not-" + PASSWORD), *TABLES],
                       ["PostgreSQL at 127.0.0.1:{port} refused the password of user '{user}'"]),
    "no password": (lambda s: [s.url(password=None), *TABLES],
                    ["asks user '{user}' for a password and none was given", "PGPASSWORD"]),
    "missing table": (lambda s: [s.url(), "--employees-table", "hr.staff", "--mentorships-table", "hr.mentorships"],
                      ["no table or view hr.staff in database 'people' at 127.0.0.1:{port} (user '{user}')"]),
    "missing column": (lambda s: [s.url(), "--employees-table", "hr.no_hire_date", "--mentorships-table",
                                  "hr.mentorships"],
                       ["table hr.no_hire_date, column 'hire_date': required column missing"]),
    "missing column in a query": (lambda s: [s.url(), "--employees-query",
                                             "SELECT employee_id, hired FROM hr.employees",
                                             "--mentorships-table", "hr.mentorships"],
                                  ['the employees query: column "hired" does not exist']),
    "not a select": (lambda s: [s.url(), "--employees-table", "hr.employees", "--mentorships-query",
                                "DELETE FROM hr.mentorships"],
                     ["the mentorships query must be a SELECT, which only reads, but it starts with 'DELETE'"]),
    "a select that writes": (lambda s: [s.url(), "--employees-table", "hr.employees", "--mentorships-query",
                                        "WITH gone AS (DELETE FROM hr.mentorships RETURNING *) SELECT * FROM gone"],
                             ["the mentorships query must be a SELECT, which only reads"]),
    "two statements": (lambda s: [s.url(), "--employees-table", "hr.employees", "--mentorships-query",
                                  "SELECT * FROM hr.mentorships; DROP TABLE hr.employees"],
                       ["the mentorships query is not a query PostgreSQL can run"]),
    # raised by the server while the rows stream, after the query started
    "division by zero in a row": (lambda s: [s.url(), "--mentorships-table", "hr.mentorships", "--employees-query",
                                             "SELECT e.*, 1 / (CASE WHEN e.employee_id = (SELECT max(employee_id) "
                                             "FROM hr.employees) THEN 0 ELSE 1 END) AS x FROM hr.employees e"],
                                  ["the employees query: PostgreSQL at 127.0.0.1:{port} said: division by zero"]),
    "nextval": (lambda s: [s.url(user=OWNER), "--allow-writable-role", "--mentorships-table", "hr.mentorships",
                           "--employees-query", "SELECT nextval('hr.ids') AS n, e.* FROM hr.employees e"],
                ["the employees query must be a SELECT, which only reads: cannot execute nextval() in a read-only "
                 "transaction"]),
    "set_config to read-write": (lambda s: [s.url(), "--mentorships-table", "hr.mentorships", "--employees-query",
                                            "SELECT set_config('transaction_read_only', 'off', false) AS rw, e.* "
                                            "FROM hr.employees e"],
                                 ["the employees query must be a SELECT, which only reads: transaction read-write "
                                  "mode must be set before any query"]),
    "a day Python cannot hold": (lambda s: [s.url(), "--mentorships-table", "hr.mentorships", "--employees-query",
                                            "SELECT employee_id, 'infinity'::date AS hire_date FROM hr.employees"],
                                 ["the employees query, column 'hire_date': a value cannot be read as a day"]),
    "a timeout that is no number": (lambda s: [s.url(), *TABLES],
                                    ["RETENTION_WAREHOUSE_TIMEOUT must be a number of seconds above 0", "'soon'"]),
}
TIMEOUTS = {"a timeout that is no number": "soon"}


@pytest.mark.parametrize("case", list(FAILURES))
def test_a_failure_says_what_is_wrong_and_changes_nothing(postgres, loaded, tmp_path, monkeypatch, capsys, case):
    db = tmp_path / "copy.duckdb"
    shutil.copy(loaded, db)
    before = state(db)
    if case in TIMEOUTS:
        monkeypatch.setenv("RETENTION_WAREHOUSE_TIMEOUT", TIMEOUTS[case])
    arguments, expected = FAILURES[case]
    assert load(db, *arguments(postgres)) == 2
    out = capsys.readouterr()
    message = out.err
    assert message.startswith("error: ") and message.count("\n") == 1, message  # one line, no traceback
    for part in expected:
        assert part.format(port=postgres.port, user=USER) in message, message
    assert out.out == ""
    assert_no_password(message, stored_text(db))
    after = state(db)
    pd.testing.assert_frame_equal(after.pop("employees"), before.pop("employees"))
    assert after == before
    assert postgres.sql("SELECT count(*) FROM hr.mentorships") == str(MENTORSHIPS)
    assert postgres.sql("SELECT to_regclass('hr.employees') IS NOT NULL") == "t"
    assert postgres.sql("SELECT is_called FROM hr.ids") == "f"  # the sequence never moved


def test_a_wrong_password_given_is_not_shown_either(postgres, tmp_path, capsys):
    wrong = "Wr0ng:p@ss/word"
    assert load(tmp_path / "x.duckdb", postgres.url(password=wrong), *TABLES) == 2
    err = capsys.readouterr().err
    assert wrong not in err and quote(wrong, safe="") not in err and "p@ss" not in err
    assert not (tmp_path / "x.duckdb").exists()


def test_an_address_that_is_not_postgresql_is_refused_without_its_password(tmp_path, capsys):
    assert load(tmp_path / "x.duckdb", f"mysql://u:{quote(PASSWORD, safe='')}@host/db", *TABLES) == 2
    err = capsys.readouterr().err
    assert "must look like postgresql://USER@HOST:PORT/DATABASE, but was 'mysql://u@host/db'" in err
    assert_no_password(err)


def test_masking_takes_out_every_form_of_a_password():
    text = (f"postgresql://a:{quote(PASSWORD, safe='')}@h:1/d and host=h password={PASSWORD} "
            f"and again {PASSWORD}")
    shown = warehouse.masked(text, (quote(PASSWORD, safe=""),))
    assert_no_password(shown)
    assert shown.startswith("postgresql://a@h:1/d")
    source = warehouse.Source.given(f"postgresql://a:{quote(PASSWORD, safe='')}@h:1/d?sslmode=disable&password=x",
                                    {"employees": "e", "mentorships": "m"})
    assert source.url == "postgresql://a@h:1/d?sslmode=disable" and "x" not in json.dumps(source.saved())
    assert PASSWORD not in repr(source) and quote(PASSWORD, safe="") not in repr(source)


# ------------------------------------------------------------ nothing a query says changes the warehouse

def assert_one_line(err: str, *parts: str) -> None:
    assert err.startswith("error: ") and err.count("\n") == 1, err  # one line, no traceback
    for part in parts:
        assert part in err, err


def test_a_superuser_is_refused_unless_the_user_says_so(postgres, tmp_path, monkeypatch, capsys):
    """A superuser's query can write server files and stop sessions whatever the transaction says: refused, unless
    --allow-writable-role is given; the choice is kept with the source, so refresh reads the same way."""
    db = tmp_path / "super.duckdb"
    assert load(db, postgres.url(user="postgres"), *TABLES) == 2
    assert_one_line(capsys.readouterr().err, f"user 'postgres' at 127.0.0.1:{postgres.port} is a superuser",
                    "--allow-writable-role")
    assert not db.exists()
    assert load(db, postgres.url(user="postgres"), *TABLES, "--allow-writable-role") == 0
    assert "5000 rows loaded from table hr.employees" in capsys.readouterr().out
    assert saved_source(db)["allow_writable_role"] is True
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert main(["refresh", "--db", str(db)]) == 0
    capsys.readouterr()
    assert load(db, postgres.url(), *TABLES) == 0  # a load without it saves the source without it
    assert saved_source(db)["allow_writable_role"] is False


WRITERS = {  # a login role that may read the tables, and what more it is given
    "owns the tables": (None, ["may INSERT, UPDATE, DELETE, TRUNCATE hr.", "may create tables in schema hr"]),
    "may update one table through a role": (
        "CREATE ROLE people_editor; GRANT UPDATE ON hr.mentorships TO people_editor; "
        "GRANT people_editor TO people_case", ["it may UPDATE hr.mentorships;"]),
    "may become a role that may update one table": (
        "ALTER ROLE people_case NOINHERIT; GRANT USAGE ON SCHEMA hr TO people_case; GRANT SELECT ON ALL TABLES IN "
        "SCHEMA hr TO people_case; CREATE ROLE people_editor; GRANT UPDATE ON hr.mentorships TO people_editor; "
        "GRANT people_editor TO people_case", ["it may UPDATE hr.mentorships (as role 'people_editor')"]),
    "may write every table": ("GRANT pg_write_all_data TO people_case",
                              ["may INSERT, UPDATE, DELETE hr.", "is a member of pg_write_all_data"]),
    "may advance a sequence": ("GRANT USAGE ON SEQUENCE hr.ids TO people_case", ["may advance sequence hr.ids"]),
    "may create tables": ("GRANT CREATE ON SCHEMA hr TO people_case", ["may create tables in schema hr"]),
    "may create schemas": (f"GRANT CREATE ON DATABASE {DATABASE} TO people_case",
                           [f"may create schemas in database {DATABASE}"]),
    "may stop other sessions": ("GRANT pg_signal_backend TO people_case", ["is a member of pg_signal_backend"]),
}


@pytest.mark.parametrize("case", list(WRITERS))
def test_a_role_that_can_write_is_refused_unless_the_user_says_so(postgres, tmp_path, capsys, case):
    grants, expected = WRITERS[case]
    user = OWNER if grants is None else "people_case"
    if grants is not None:
        postgres.sql(f"CREATE ROLE people_case LOGIN PASSWORD '{PASSWORD}' IN ROLE {USER}; {grants}")
    try:
        db = tmp_path / "writer.duckdb"
        assert load(db, postgres.url(user=user), *TABLES) == 2
        assert_one_line(capsys.readouterr().err, f"user '{user}' at 127.0.0.1:{postgres.port} can change the "
                        "warehouse", *expected, "connect as a role that can only read", "--allow-writable-role")
        assert not db.exists()
        assert load(db, postgres.url(user=user), *TABLES, "--allow-writable-role") == 0
    finally:
        if grants is not None:
            postgres.sql("DROP OWNED BY people_case; DROP ROLE people_case"
                         + ("; DROP OWNED BY people_editor; DROP ROLE people_editor" if "people_editor" in grants else ""))


def _dblink_installed() -> bool:
    binaries = _binaries()
    version = binaries.parts[-2] if binaries is not None else "*"
    return bool(glob.glob(f"/usr/share/postgresql/{version}/extension/dblink.control"))


def test_dblink_cannot_change_the_warehouse(postgres, tmp_path, capsys):
    """dblink_exec opens a connection of its own, outside the read-only transaction: with the password of a role
    that can write, a reader's query could delete rows. A reader that may run it is refused; once it may not,
    the query fails, and the rows stay."""
    if not _dblink_installed():
        pytest.skip("PostgreSQL's dblink extension is not installed")
    postgres.sql(f"CREATE EXTENSION dblink; SET ROLE {OWNER}; "
                 "CREATE TABLE hr.audit AS SELECT g AS entry FROM generate_series(1, 3) AS g")
    attack = (f"SELECT e.* FROM hr.employees e, dblink_exec('host=127.0.0.1 port={postgres.port} dbname={DATABASE} "
              f"user={OWNER} password={PASSWORD}', 'DELETE FROM hr.audit') AS gone")
    try:
        db = tmp_path / "dblink.duckdb"
        assert load(db, postgres.url(), "--employees-query", attack, "--mentorships-table", "hr.mentorships") == 2
        err = capsys.readouterr().err
        assert_one_line(err, f"user '{USER}' at 127.0.0.1:{postgres.port} can change the warehouse",
                        "may run dblink_exec(text,text), which opens a connection of its own")
        assert_no_password(err)
        assert postgres.sql("SELECT count(*) FROM hr.audit") == "3"
        postgres.sql("REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC")  # as a warehouse should
        assert load(db, postgres.url(), *TABLES, "--check") == 0
        capsys.readouterr()
        assert load(db, postgres.url(), "--employees-query", attack, "--mentorships-table", "hr.mentorships") == 2
        assert_one_line(capsys.readouterr().err, "the employees query: user", "permission denied for function "
                        "dblink_exec")
        assert postgres.sql("SELECT count(*) FROM hr.audit") == "3"
        assert not db.exists()
    finally:
        postgres.sql("DROP EXTENSION dblink; DROP TABLE hr.audit")


@pytest.fixture()
def other_session(postgres):
    """Another session on the warehouse, busy for a minute: its process id."""
    session = subprocess.Popen([*postgres.psql, "-d", DATABASE, "-c", "SELECT pg_sleep(60) AS other_session"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield _wait_for(postgres, "pg_sleep(60) AS other_session")
    finally:
        postgres.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
                     "'%pg_sleep(60) AS other_session%' AND pid <> pg_backend_pid()")
        session.wait(timeout=30)


def _running(postgres: Server, text: str) -> list[str]:
    """The sessions (process ids) running a statement that holds `text`, but this one."""
    found = postgres.sql("SELECT pid FROM pg_stat_activity WHERE state <> 'idle' AND query LIKE "
                         f"'%{text}%' AND pid <> pg_backend_pid()")
    return found.split()


def _wait_for(postgres: Server, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while not (found := _running(postgres, text)):
        assert time.monotonic() < deadline, f"no session runs {text}"
        time.sleep(0.1)
    return found[0]


def test_a_superusers_query_writes_no_file_and_stops_no_session(postgres, other_session, tmp_path, capsys):
    written = Path(tempfile.gettempdir()) / f"retention-lo-export-{os.getpid()}.txt"
    large_object = postgres.sql("SELECT lo_from_bytea(0, 'written on the server')")
    try:
        for query in (f"SELECT e.* FROM hr.employees e, lo_export({large_object}, '{written}') AS written",
                      f"SELECT e.* FROM hr.employees e, pg_terminate_backend({other_session}) AS stopped"):
            assert load(tmp_path / "x.duckdb", postgres.url(user="postgres"), "--employees-query", query,
                        "--mentorships-table", "hr.mentorships") == 2
            assert_one_line(capsys.readouterr().err, "user 'postgres'", "is a superuser")
        assert not written.exists()
        assert _running(postgres, "pg_sleep(60) AS other_session") == [other_session]
    finally:
        postgres.sql(f"SELECT lo_unlink({large_object})")
        written.unlink(missing_ok=True)


SLOW = {  # the employees query and the mentorships query; the one stopped
    "a slow query": ("SELECT e.* FROM hr.employees e, pg_sleep(20)", "SELECT * FROM hr.mentorships", "employees"),
    "a query that lifts the timeout for the next": (
        "SELECT set_config('statement_timeout', '0', false) AS lifted, e.* FROM hr.employees e",
        "SELECT m.* FROM hr.mentorships m, pg_sleep(20)", "mentorships"),
}


@pytest.mark.parametrize("case", list(SLOW))
def test_a_query_that_runs_too_long_is_stopped_on_the_server(postgres, tmp_path, monkeypatch, capsys, case):
    employees, mentorships, stopped = SLOW[case]
    monkeypatch.setenv("RETENTION_WAREHOUSE_TIMEOUT", "1")
    started = time.monotonic()
    assert load(tmp_path / "slow.duckdb", postgres.url(), "--employees-query", employees, "--mentorships-query",
                mentorships) == 2
    assert time.monotonic() - started < 10
    assert_one_line(capsys.readouterr().err, f"the {stopped} query ran longer than 1 s and was stopped on "
                    f"PostgreSQL at 127.0.0.1:{postgres.port}", "RETENTION_WAREHOUSE_TIMEOUT")
    assert _running(postgres, "pg_sleep(20)") == []
    assert not (tmp_path / "slow.duckdb").exists()


def test_a_server_that_cannot_watch_for_the_reader_is_read_all_the_same(postgres, tmp_path, monkeypatch):
    """Windows servers refuse client_connection_check_interval (a value out of range stands in for that here):
    the read goes on without it, under its timeout."""
    monkeypatch.setattr(warehouse, "WAREHOUSE_CLIENT_CHECK_SECONDS", -1)
    assert load(tmp_path / "x.duckdb", postgres.url(), *TABLES, "--check") == 0


@pytest.mark.parametrize("how", ["Ctrl-C", "killed"])
def test_a_stopped_command_leaves_no_query_running(postgres, tmp_path, how):
    """Ctrl-C cancels the query and says so in one line; a command killed outright is noticed by the server,
    which ends its query within seconds, long before the statement timeout."""
    env = {**os.environ, "PGPASSWORD": PASSWORD, "PGPASSFILE": str(tmp_path / "no.pgpass")}
    env.pop("RETENTION_WAREHOUSE_TIMEOUT", None)
    command = subprocess.Popen([sys.executable, "-m", "analytics", "load", "--db", str(tmp_path / "x.duckdb"),
                                "--from", postgres.url(password=None), "--mentorships-table", "hr.mentorships",
                                "--employees-query", "SELECT e.* FROM hr.employees e, pg_sleep(120)"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(postgres, "pg_sleep(120)")
        command.send_signal(signal.SIGINT if how == "Ctrl-C" else signal.SIGKILL)
        out, err = command.communicate(timeout=30)
        if how == "Ctrl-C":
            assert command.returncode == 2
            assert_one_line(err, "the employees query was stopped before it finished")
        deadline = time.monotonic() + 10
        while _running(postgres, "pg_sleep(120)"):
            assert time.monotonic() < deadline, "the query still runs on the server"
            time.sleep(0.2)
    finally:
        command.kill()
        command.wait(timeout=30)
        postgres.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' "
                     "AND pid <> pg_backend_pid()")


def test_the_readme_says_what_is_enforced():
    """The README's promise, its flag, its setting and its default are the ones the code enforces."""
    import re

    from analytics.common import policy

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## From the warehouse"):readme.index("## Settings")]
    settings = readme[readme.index("## Settings"):]
    assert "A query cannot change the warehouse" in section and "--allow-writable-role" in section
    assert f"may run {policy.WAREHOUSE_TIMEOUT_SECONDS // 60} minutes (`RETENTION_WAREHOUSE_TIMEOUT`" in section
    assert f"| `RETENTION_WAREHOUSE_TIMEOUT` | `{policy.WAREHOUSE_TIMEOUT_SECONDS}` (seconds) |" in settings
    refused = set(re.findall(r"'(pg_\w+)'", warehouse.WRITER_SQL)) - {"pg_catalog", "pg_file_write",
                                                                      "pg_file_rename", "pg_file_unlink"}
    assert refused == {"pg_write_all_data", "pg_write_server_files", "pg_execute_server_program",
                       "pg_signal_backend"}
    assert all(f"`{role}`" in section for role in refused)


# ------------------------------------------------------------ refreshing from the saved source

def test_refresh_reads_the_saved_source_again(postgres, tmp_path, monkeypatch, capsys):
    db = tmp_path / "warehouse.duckdb"
    assert main(["refresh", "--db", str(db)]) == 2
    assert "no warehouse source is saved yet" in capsys.readouterr().err and not db.exists()
    assert load(db, postgres.url(), "--employees-table", "hr.employees", "--mentorships-query",
                "SELECT * FROM hr.mentorships WHERE meetings >= 3") == 0
    capsys.readouterr()
    assert main(["refresh", "--db", str(db)]) == 2  # the address kept has no password, and none is around
    assert f"asks user '{USER}' for a password" in capsys.readouterr().err
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    assert main(["refresh", "--db", str(db), "--check"]) == 0
    assert capsys.readouterr().out.endswith("Checked only: nothing was loaded.\n")
    assert main(["refresh", "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "rows loaded from the mentorships query" in out.out
    con = database.connect(db)
    try:
        history = loads.history(con)
        assert list(history["source"]) == [postgres.url(password=None)] * 2
        assert loads.saved_loads(con) == [2]  # the first load's data is kept for going back
        assert json.loads(database.frame(con, "load_history")["report"].iloc[-1])["mentorships"]["file"] == \
            "the mentorships query"
    finally:
        con.close()
    assert_no_password(out.out, out.err, stored_text(db))


def test_the_data_page_refreshes_from_the_saved_source(postgres, tmp_path, monkeypatch):
    """No source yet: the page says how to save one with the command line. Then the tick and the button."""
    from tests.test_app import assert_clean, open_app, shown, tick

    db = tmp_path / "page.duckdb"
    at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
    assert_clean(at)
    assert any("--employees-table" in c.value for c in at.code)
    assert not any(b.label == "Refresh from the warehouse" for b in at.button)

    assert load(db, postgres.url(), *TABLES) == 0
    postgres.sql(f"SET ROLE {OWNER}; CREATE TABLE hr.employees_before AS SELECT * FROM hr.employees; "
                 "DELETE FROM hr.employees WHERE employee_id IN (SELECT employee_id FROM hr.employees "
                 "WHERE employee_id NOT IN (SELECT mentee_id FROM hr.mentorships) "
                 "AND employee_id NOT IN (SELECT mentor_id FROM hr.mentorships WHERE mentor_id IS NOT NULL) "
                 "ORDER BY employee_id LIMIT 100)")
    try:
        monkeypatch.setenv("PGPASSWORD", PASSWORD)
        at = open_app(monkeypatch, db, "views/data.py", auto_demo=False)
        assert_clean(at)
        assert any(f"postgresql://{USER}@127.0.0.1:{postgres.port}/{DATABASE}" in shown(c.value).replace("\u2060", "")
                   for c in at.caption)  # a word joiner before '@' keeps Markdown from making the address a link
        button = next(b for b in at.button if b.label == "Refresh from the warehouse")
        assert button.disabled
        tick(at, "confirm_refresh")
        next(b for b in at.button if b.label == "Refresh from the warehouse").click().run()
        assert_clean(at)
        assert any("Refreshed from the warehouse: 4,900 employees" in s.value for s in at.success)
        assert {m.label: m.value for m in at.metric}["Employees"] == "4,900"
        assert next(b for b in at.button if b.label == "Refresh from the warehouse").disabled  # asks again
        assert_no_password(*(e.value for e in at.markdown), *(c.value for c in at.caption), stored_text(db))
    finally:
        postgres.sql(f"SET ROLE {OWNER}; DELETE FROM hr.employees; "
                     "INSERT INTO hr.employees SELECT * FROM hr.employees_before; DROP TABLE hr.employees_before")
