"""PostgreSQL as a data source: a people-analytics warehouse's tables, or SELECT queries on it, read through
ADBC's PostgreSQL driver straight into Arrow, then matched, validated and loaded exactly as files are
(`prepare.prepare_load` on the typed table, `loads.load_plan`): the same header mapping and synonyms, the same
meanings of reasons and programmes, rows set aside, one transaction and the load history.

Cells keep the database's types: a date is a date, a timestamp its calendar day (in the session's time zone
for timestamptz), NUMERIC, decimal and money columns are numbers, integers stay whole. Text is read as a file's
text is (a date written as text goes through the same format detection).

The tables (employees, mentorships and, when given, the job history) are read in one read-only, repeatable-read
transaction: they come from the same moment. A query must
be a SELECT (or WITH ... SELECT). A read-only transaction does not stop everything a SELECT can call, though:
dblink opens a connection of its own, a superuser's lo_export writes files on the server and
pg_terminate_backend stops other sessions. So before reading, the user is checked, with every role it may
become (SET ROLE): a superuser, or one that may change a table or sequence, create in a schema or the database,
run dblink or write server files, or is a member of pg_write_all_data, pg_write_server_files,
pg_execute_server_program or pg_signal_backend, is refused unless the user said --allow-writable-role (kept with
the source). Every statement runs under a statement timeout (RETENTION_WAREHOUSE_TIMEOUT, set again before each
query, so no query can lift it for the next), the server ends the session if the reader goes away, and every
error, including one raised while the rows stream, is one line (WarehouseError).

The password comes from the address, PGPASSWORD or a .pgpass file (PGPASSFILE names another); libpq reads
the last two itself. It is never shown, stored or written into a message: the source kept for refreshing,
the load history and every error give the address without it.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pandas as pd

from analytics.common.errors import InputFileError, SourceTableError, WarehouseError, together
from analytics.common.policy import (WAREHOUSE_CLIENT_CHECK_SECONDS, WAREHOUSE_CONNECT_SECONDS,
                                     WAREHOUSE_TIMEOUT_SECONDS)
from analytics.intake.formats import CELL
from analytics.intake.prepare import LoadPlan, prepare_load
from analytics.intake.reading import typed_table
from analytics.intake.schema import EMPLOYEES, JOB_HISTORY, MENTORSHIPS
from analytics.intake.validation import ReadOptions
from analytics.store import loads

SCHEMES = ("postgresql://", "postgres://")
TABLES = {"employees": EMPLOYEES, "mentorships": MENTORSHIPS, "job_history": JOB_HISTORY}
OPTIONAL = ("job_history",)  # read when a table or query is given for it
SECRET_PARAMETERS = ("password", "sslpassword")  # never kept in the address that is shown or saved
DEFAULT_PORT = 5432
EXAMPLE = ("python -m analytics load --from postgresql://USER@HOST:PORT/DATABASE "
           "--employees-table SCHEMA.TABLE --mentorships-table SCHEMA.TABLE")

# The SQL sent to PostgreSQL (the product's other SQL, DuckDB's, is in the store's other modules). The only value from the
# user is a table name, bound as a parameter; PostgreSQL itself returns it quoted for the read.
BEGIN_SQL = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
TABLE_NAME_SQL = "SELECT to_regclass($1)::text"
TIME_ZONE_SQL = "SELECT current_setting('TimeZone')"
MONEY_SCALE_SQL = "SELECT scale(1::money::numeric)"  # money's decimal places, which the server's locale sets
TABLE_SQL = "SELECT * FROM {name}"
QUERY_SQL = "SELECT * FROM (\n{query}\n) AS {table}_rows"  # line breaks: a trailing comment ends on its own line
# The limits, set again before every query the user wrote (set_config in one could lift them for the next): a
# statement running longer is cancelled, a session idle in its transaction that long ends.
LIMITS_SQL = ("SELECT set_config('statement_timeout', $1, false), "
              "set_config('idle_in_transaction_session_timeout', $1, false)")
# The server checks that the reader is still connected, and ends the query of one that went away (PostgreSQL 14
# and later; a platform that cannot tell, Windows, refuses the setting, and the block lets the refusal go). The
# value is the policy's, never the user's.
CLIENT_CHECK_SQL = ("DO $$ BEGIN PERFORM set_config(name, '{milliseconds}', false) FROM pg_settings "
                    "WHERE name = 'client_connection_check_interval'; EXCEPTION WHEN OTHERS THEN NULL; END $$")
PLPGSQL_SQL = "SELECT EXISTS (SELECT 1 FROM pg_language WHERE lanname = 'plpgsql')"
MAX_MILLISECONDS = 2_147_483_647  # the most PostgreSQL's timeouts take

# What the user can do besides reading, itself or as any role it may become with SET ROLE (a superuser is a
# member of every role). Each gives the role and what it may do; the first of each kind is said.
_MINE = "pg_has_role(session_user, r.oid, 'MEMBER')"
_THEIRS = ("n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'")
_SELF_FIRST = "ORDER BY r.rolname <> session_user"
SUPERUSER_SQL = (f"SELECT session_user::text, (SELECT r.rolname::text FROM pg_roles r WHERE r.rolsuper AND {_MINE} "
                 f"{_SELF_FIRST} LIMIT 1)")
WRITER_SQL = (
    # tables, views, materialized views and foreign tables it may change
    f"(SELECT r.rolname::text, format('may %s %I.%I', array_to_string(ARRAY(SELECT p FROM unnest(ARRAY['INSERT', "
    f"'UPDATE', 'DELETE', 'TRUNCATE']) AS p WHERE has_table_privilege(r.oid, c.oid, p)), ', '), n.nspname, c.relname) "
    f"FROM pg_roles r, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_MINE} AND {_THEIRS} "
    f"AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND has_table_privilege(r.oid, c.oid, 'INSERT, UPDATE, DELETE, "
    f"TRUNCATE') {_SELF_FIRST}, n.nspname, c.relname LIMIT 1)\n"
    # sequences it may advance or set
    f"UNION ALL (SELECT r.rolname::text, format('may advance sequence %I.%I', n.nspname, c.relname) "
    f"FROM pg_roles r, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {_MINE} AND {_THEIRS} "
    f"AND c.relkind = 'S' AND has_sequence_privilege(r.oid, c.oid, 'USAGE, UPDATE') {_SELF_FIRST}, n.nspname, "
    f"c.relname LIMIT 1)\n"
    # schemas, and the database, it may create in
    f"UNION ALL (SELECT r.rolname::text, format('may create tables in schema %I', n.nspname) FROM pg_roles r, "
    f"pg_namespace n WHERE {_MINE} AND {_THEIRS} AND has_schema_privilege(r.oid, n.oid, 'CREATE') {_SELF_FIRST}, "
    f"n.nspname LIMIT 1)\n"
    f"UNION ALL (SELECT r.rolname::text, format('may create schemas in database %I', current_database()) "
    f"FROM pg_roles r WHERE {_MINE} AND has_database_privilege(r.oid, current_database(), 'CREATE') {_SELF_FIRST} "
    f"LIMIT 1)\n"
    # functions that act outside the read-only transaction
    f"UNION ALL (SELECT r.rolname::text, format('may run %s, which %s', f.oid::regprocedure, CASE WHEN f.proname "
    f"LIKE 'dblink%' THEN 'opens a connection of its own, outside the read-only transaction' ELSE 'writes files "
    f"on the server' END) FROM pg_roles r, pg_proc f WHERE {_MINE} AND f.proname IN ('dblink_exec', 'dblink', "
    f"'dblink_connect', 'dblink_connect_u', 'dblink_send_query', 'dblink_open', 'lo_export', 'pg_file_write', "
    f"'pg_file_rename', 'pg_file_unlink') AND has_function_privilege(r.oid, f.oid, 'EXECUTE') {_SELF_FIRST}, "
    f"f.proname = 'dblink_exec' DESC, f.oid LIMIT 1)\n"
    # the server's own roles that write or stop sessions
    f"UNION ALL (SELECT session_user::text, 'is a member of ' || r.rolname FROM pg_roles r WHERE r.rolname IN "
    f"('pg_write_all_data', 'pg_write_server_files', 'pg_execute_server_program', 'pg_signal_backend') AND {_MINE} "
    f"ORDER BY r.rolname LIMIT 1)")


# ---------------------------------------------------------------- the address, without its password

def _split_address(url: str) -> tuple[str, str | None]:
    """The address without a password (user:password@ or ?password=), and the password given in it."""
    scheme, sep, rest = url.partition("://")
    password = None
    if sep and "@" in rest:
        at = rest.rfind("@")  # a password's own '@' should be written %40; where it is not, hide too much
        user, colon, secret = rest[:at].partition(":")
        if colon:
            password = secret
            rest = f"{user}@{rest[at + 1:]}"
    base, question, query = rest.partition("?")
    if question:
        kept = []
        for part in query.split("&"):
            name = part.partition("=")[0].strip().lower()
            if name in SECRET_PARAMETERS:
                password = password or part.partition("=")[2]
            else:
                kept.append(part)
        rest = base + ("?" + "&".join(kept) if kept else "")
    return f"{scheme}{sep}{rest}", password


def masked(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """Any text (a message, an address) with every password in it taken out: an address's user:password@,
    a password= parameter, and the given secrets as written, percent-encoded or decoded."""
    text = re.sub(r"(\w+://[^\s:/@]*):[^\s]*@", r"\1@", str(text))  # greedy: up to the last '@'
    text = re.sub(r"((?:ssl)?password\s*=\s*)('[^']*'|\S+)", r"\1…", text, flags=re.I)
    for secret in secrets:
        if secret:
            for form in {secret, unquote(secret), quote(secret, safe="")}:
                text = text.replace(form, "…")
    return text


@dataclass(frozen=True)
class Address:
    """Where the warehouse is, as messages name it."""
    host: str
    port: int
    user: str | None
    database: str | None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def _address(url: str) -> Address:
    """Host, port, user and database of an address without a password (libpq's defaults where it gives none)."""
    try:
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query))
        host = parts.hostname or params.get("host") or "localhost"
        port = parts.port or int(params.get("port") or DEFAULT_PORT)
    except ValueError:
        raise WarehouseError(f"the warehouse address {url} has a port that is not a number; it must look like "
                             "postgresql://USER@HOST:PORT/DATABASE") from None
    user = unquote(parts.username) if parts.username else params.get("user")
    database = unquote(parts.path.lstrip("/")) or params.get("dbname") or None
    return Address(host, port, user, database)


# ---------------------------------------------------------------- the source

@dataclass(frozen=True)
class Source:
    """A warehouse source: the address (never with a password), each table's table (or view) name or SELECT
    query, and the choices that read them (header mapping, day/month order for dates written as text)."""
    url: str
    tables: Mapping[str, str] = field(default_factory=dict)    # employees/mentorships/job_history -> SCHEMA.TABLE
    queries: Mapping[str, str] = field(default_factory=dict)   # employees/mentorships/job_history -> SELECT ...
    mapping: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    date_format: str | None = None
    given_url: str | None = field(default=None, repr=False, compare=False)  # as given, for connecting only
    allow_writable_role: bool = False  # the user said so: read as a role that could change the warehouse

    @classmethod
    def given(cls, url: str, tables: Mapping[str, str | None] | None = None,
              queries: Mapping[str, str | None] | None = None,
              mapping: Mapping[str, Mapping[str, str | None]] | None = None,
              date_format: str | None = None, allow_writable_role: bool = False) -> "Source":
        """A source as a user gives it (the CLI's --from and the table or query of each), checked before
        anything connects: an address PostgreSQL can read, one table or query for each, queries that read."""
        url = (url or "").strip()
        shown, password = _split_address(url)
        if not url.lower().startswith(SCHEMES):
            raise WarehouseError(f"the warehouse address must look like postgresql://USER@HOST:PORT/DATABASE, "
                                 f"but was {masked(shown, (password,))!r}")
        tables = {k: v.strip() for k, v in (tables or {}).items() if v is not None}
        queries = {k: v for k, v in (queries or {}).items() if v is not None}
        for table in TABLES:
            option = table.replace("_", "-")
            if (table in tables) == (table in queries) and (table not in OPTIONAL or table in tables):
                raise WarehouseError(f"give the {table.replace('_', ' ')} as --{option}-table SCHEMA.TABLE or as "
                                     f"--{option}-query with a SELECT (one of the two)")
            if table in tables and not tables[table]:
                raise WarehouseError(f"--{option}-table needs a table name, e.g. hr.{table}")
        source = cls(shown, tables, {k: _checked_query(k, q) for k, q in queries.items()}, dict(mapping or {}),
                     date_format, url, bool(allow_writable_role))
        _address(shown)  # a port that is not a number is said now
        return source

    @property
    def address(self) -> Address:
        return _address(self.url)

    @property
    def password(self) -> str | None:
        return _split_address(self.given_url)[1] if self.given_url else None

    def name(self, table: str) -> str:
        """How messages, the load report and the history name where a table came from."""
        return f"table {self.tables[table]}" if table in self.tables else f"the {table.replace('_', ' ')} query"

    @property
    def read_tables(self) -> list[str]:
        """The tables this source gives: employees and mentorships, and the job history when it has one."""
        return [t for t in TABLES if t in self.tables or t in self.queries]

    def saved(self) -> dict[str, Any]:
        """What is kept in the database to refresh from: everything but the password."""
        return {"url": self.url, "tables": dict(self.tables), "queries": dict(self.queries),
                "mapping": {t: dict(m) for t, m in self.mapping.items()}, "date_format": self.date_format,
                "allow_writable_role": self.allow_writable_role}

    @classmethod
    def from_saved(cls, saved: Mapping[str, Any]) -> "Source":
        return cls(saved["url"], dict(saved.get("tables") or {}), dict(saved.get("queries") or {}),
                   dict(saved.get("mapping") or {}), saved.get("date_format"),
                   allow_writable_role=bool(saved.get("allow_writable_role")))

    def connection_uri(self) -> str:
        uri = self.given_url or self.url
        if "connect_timeout=" not in uri:  # an address that does not answer is said to, not waited on
            uri += ("&" if "?" in uri else "?") + f"connect_timeout={WAREHOUSE_CONNECT_SECONDS}"
        return uri

    def secrets(self) -> tuple[str | None, ...]:
        return (self.password, os.environ.get("PGPASSWORD"))


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)


def _checked_query(table: str, query: str) -> str:
    """A query that reads: it starts with SELECT (or WITH); a trailing semicolon is dropped. What it does
    beyond that is PostgreSQL's to refuse: it runs inside a read-only transaction, as one subquery."""
    text = query.strip().rstrip(";").rstrip()
    words = _COMMENTS.sub(" ", text).replace("(", " ").split()
    first = words[0].upper() if words else ""
    if first not in ("SELECT", "WITH"):
        raise WarehouseError(f"the {table} query must be a SELECT, which only reads, but it "
                             + (f"starts with {first!r}" if first else "is empty"))
    return text


# ---------------------------------------------------------------- reading

def _driver():
    try:
        import adbc_driver_manager
        import adbc_driver_postgresql.dbapi as dbapi
    except ImportError:
        raise WarehouseError("reading from PostgreSQL needs the adbc-driver-postgresql package: install the "
                             "requirements (make run does)") from None
    return dbapi, adbc_driver_manager.Error


def timeout_seconds() -> float:
    """How long one statement may run on the warehouse: RETENTION_WAREHOUSE_TIMEOUT seconds, else the policy's."""
    given = (os.environ.get("RETENTION_WAREHOUSE_TIMEOUT") or "").strip()
    if not given:
        return float(WAREHOUSE_TIMEOUT_SECONDS)
    try:
        seconds = float(given)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise WarehouseError(f"RETENTION_WAREHOUSE_TIMEOUT must be a number of seconds above 0 (how long one "
                             f"warehouse query may run), but was {given!r}")
    return seconds


def read(source: Source) -> dict[str, pd.DataFrame]:
    """Every table of the source as the warehouse has it now, each cell as its column is typed, once the user is
    known to be one that only reads (or the user said to read anyway)."""
    seconds = timeout_seconds()  # a setting that cannot be used is said before connecting
    dbapi, driver_error = _driver()
    try:
        connection = dbapi.connect(source.connection_uri())
    except driver_error as exc:
        raise WarehouseError(masked(_connection_problem(source, exc), source.secrets())) from None
    try:
        with connection.cursor() as cursor:
            run = _Runner(cursor, source, driver_error, seconds)
            run(None, BEGIN_SQL, fetch=None)
            run.limits()
            run.watch_client()
            if not source.allow_writable_role:
                _refuse_writers(run, source)
            return {table: _frame(run, source, table) for table in source.read_tables}
    finally:
        try:
            connection.close()  # ends the read-only transaction: nothing to keep
        except driver_error:
            pass


@dataclass
class _Runner:
    """Runs one statement and fetches its result; a driver error, raised by the statement or while its rows
    stream, becomes one WarehouseError line naming the table or query."""
    cursor: Any
    source: Source
    driver_error: type
    seconds: float

    def __call__(self, table: str | None, sql: str, parameters: Any = None, fetch: str | None = "fetchone") -> Any:
        try:
            self.cursor.execute(sql, parameters) if parameters is not None else self.cursor.execute(sql)
            return getattr(self.cursor, fetch)() if fetch else None
        except self.driver_error as exc:
            raise WarehouseError(masked(_query_problem(self.source, table, exc, self.seconds),
                                        self.source.secrets())) from None

    def limits(self) -> None:
        self(None, LIMITS_SQL, (str(min(MAX_MILLISECONDS, max(1, round(self.seconds * 1000)))),))

    def watch_client(self) -> None:
        """Have the server end the query of a reader that went away, where it can; elsewhere the timeout does."""
        if self(None, PLPGSQL_SQL)[0]:
            self(None, CLIENT_CHECK_SQL.format(milliseconds=int(WAREHOUSE_CLIENT_CHECK_SECONDS * 1000)), fetch=None)


def _refuse_writers(run: _Runner, source: Source) -> None:
    """A user that could change the warehouse, itself or through a role it may become, is refused: a read-only
    transaction does not hold a superuser, dblink or a server file back."""
    a = source.address
    anyway = ("connect as a role that can only read (GRANT SELECT on the tables, nothing more), or give "
              "--allow-writable-role to read with this one anyway")
    user, superuser = run(None, SUPERUSER_SQL)
    if superuser is not None:
        said = "is a superuser" if superuser == user else f"may become the superuser {superuser!r} (SET ROLE)"
        raise WarehouseError(f"user {user!r} at {a.where} {said}: a query could change anything, write files on "
                             f"the server or stop other sessions, whatever the read-only transaction says; {anyway}")
    found = run(None, WRITER_SQL, fetch="fetchall")
    if found:
        can = "; ".join(what if role == user else f"{what} (as role {role!r})" for role, what in found)
        raise WarehouseError(f"user {user!r} at {a.where} can change the warehouse, and a load only reads: it "
                             f"{can.replace('; ', '; it ')}; {anyway}")


def _frame(run: _Runner, source: Source, table: str) -> pd.DataFrame:
    import pyarrow as pa

    if table in source.queries:
        sql = QUERY_SQL.format(query=source.queries[table], table=table)
    else:
        found = run(table, TABLE_NAME_SQL, (source.tables[table],))[0]
        if found is None:
            a = source.address
            raise WarehouseError(f"there is no table or view {source.tables[table]} in database {a.database!r} "
                                 f"at {a.where} (user {a.user!r}); give its name as SCHEMA.TABLE")
        sql = TABLE_SQL.format(name=found)  # as PostgreSQL quotes it: the name read is the name it found
    run.limits()  # as set at first, whatever the query before this one set
    result = run(table, sql, fetch="fetch_arrow_table")
    zone = money = None
    if any(pa.types.is_timestamp(t) and t.tz for t in result.schema.types):
        zone = run(table, TIME_ZONE_SQL)[0]
    if any(_is_money(f) for f in result.schema):
        money = int(run(table, MONEY_SCALE_SQL)[0])
    columns = [_cells(column, zone, money if _is_money(field) else None)
               for field, column in zip(result.schema, result.columns)]
    typed = pa.Table.from_arrays(columns, names=result.column_names)
    try:
        return typed.to_pandas(date_as_object=True, integer_object_nulls=True)
    except (ValueError, OverflowError, pa.ArrowException):  # a day Python's dates cannot hold: which column
        for name, column in zip(typed.column_names, typed.columns):
            try:
                column.to_pandas(date_as_object=True, integer_object_nulls=True)
            except (ValueError, OverflowError, pa.ArrowException) as exc:
                raise WarehouseError(f"{source.name(table)}, column {name!r}: a value cannot be read as a day "
                                     f"({exc}); 'infinity' or a year outside 1-9999 can be written as NULL "
                                     "in a query") from None
        raise


def _is_money(field: Any) -> bool:
    return (field.metadata or {}).get(b"POSTGRESQL:type") == b"money"


def _cells(column: Any, zone: str | None, money_scale: int | None = None) -> Any:
    """A column as the contract reads it, in Arrow: dates and timestamps as calendar days, NUMERIC, decimals
    and money as numbers; anything else as the driver gives it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if money_scale is not None:  # the driver gives money in its smallest unit (cents)
        return pc.divide(pc.cast(column, pa.float64()), float(10 ** money_scale))
    if isinstance(kind, pa.BaseExtensionType) and kind.extension_name == "arrow.opaque":
        # PostgreSQL types Arrow has none for come as their text: NUMERIC is a number, the others text
        column = pa.chunked_array([chunk.storage for chunk in column.chunks], kind.storage_type)
        return pc.cast(column, pa.float64()) if kind.type_name == "numeric" else column
    if pa.types.is_decimal(kind):
        return pc.cast(column, pa.float64())
    if pa.types.is_timestamp(kind):
        if kind.tz:  # an instant: its calendar day where the warehouse's session says it is
            column = pc.local_timestamp(column.cast(pa.timestamp(kind.unit, tz=zone or "UTC")))
        return pc.cast(column, pa.date32(), safe=False)
    if pa.types.is_date64(kind):
        return pc.cast(column, pa.date32())
    return column


def _server_says(exc: Exception) -> str:
    """PostgreSQL's own message, its first line, without the driver's wrapping."""
    text = str(exc)
    found = re.search(r"(?:ERROR|FATAL):\s+([^\n]*)", text)
    if found:
        return found.group(1).strip()
    return text.split("failed:", 1)[-1].strip().splitlines()[0].strip() if text.strip() else type(exc).__name__


def _connection_problem(source: Source, exc: Exception) -> str:
    a, text = source.address, str(exc)
    said = _server_says(exc)
    named = re.search(r'user "([^"]*)"', text)
    user = named.group(1) if named else a.user
    who = f"user {user!r}" if user else "the default user"
    low = text.lower()
    if "connection refused" in low:
        return (f"cannot reach PostgreSQL at {a.where}: the connection was refused (is the server running there and "
                "accepting TCP/IP connections?)")
    if "password authentication failed" in low:
        return (f"PostgreSQL at {a.where} refused the password of {who}: give the right one in PGPASSWORD, a "
                ".pgpass file or the address")
    if "no password supplied" in low:
        return (f"PostgreSQL at {a.where} asks {who} for a password and none was given: set PGPASSWORD or add "
                "a line for it to a .pgpass file")
    if "could not translate host name" in low:
        return f"cannot find the host {a.host!r} (port {a.port}): check the address"
    if "timeout expired" in low:
        return f"no answer from PostgreSQL at {a.where} within {WAREHOUSE_CONNECT_SECONDS} seconds"
    if re.search(r'database "[^"]*" does not exist', said):
        return f"PostgreSQL at {a.where} has no database {a.database!r} ({who})"
    if re.search(r'role "[^"]*" does not exist', said):
        return f"PostgreSQL at {a.where} has no {who}"
    return f"cannot connect to PostgreSQL at {a.where} as {who}: {said}"


def _query_problem(source: Source, table: str | None, exc: Exception, seconds: float | None = None) -> str:
    a, said = source.address, _server_says(exc)
    state = getattr(exc, "sqlstate", None)
    where = source.name(table) if table else f"PostgreSQL at {a.where}"
    if state == "42P01":    # undefined table, in a query
        return f"{where}: {said.replace('relation', 'table', 1)} in database {a.database!r} at {a.where}"
    if state == "42703":    # undefined column
        return f"{where}: {said}"
    if state == "42501":    # insufficient privilege
        return f"{where}: user {a.user!r} may not read it at {a.where} ({said})"
    if state in ("25006", "0A000", "25001"):  # a write in the read-only transaction, a data-modifying WITH, or
        return f"{where} must be a SELECT, which only reads: {said}"  # a try to make the transaction read-write
    if state == "57014" and "timeout" in said:  # the statement timeout
        return (f"{where} ran longer than {seconds or WAREHOUSE_TIMEOUT_SECONDS:g} s and was stopped on PostgreSQL "
                f"at {a.where}: make it faster, or allow longer with RETENTION_WAREHOUSE_TIMEOUT (seconds)")
    if state == "57014":    # cancelled: Ctrl-C, or someone on the server
        return f"{where} was stopped before it finished ({said}); nothing was loaded"
    if state == "42602":    # a table name that is no name
        return f"{where} is not a name PostgreSQL can read as SCHEMA.TABLE ({said})"
    if state == "42601":    # syntax
        return f"{where} is not a query PostgreSQL can run: {said}"
    return f"{where}: PostgreSQL at {a.where} said: {said}"


# ---------------------------------------------------------------- loading

def prepare(source: Source, options: ReadOptions | None = None) -> LoadPlan:
    """Read the tables and validate them as files are; a table-level problem raises SourceTableError
    (every problem at once, the table or query named) and nothing is written anywhere."""
    frames = read(source)
    options = options or ReadOptions()
    if source.date_format:
        options = replace(options, date_format=source.date_format)
    if frames["employees"].empty:
        raise SourceTableError(source.name("employees"), "has no rows")
    try:
        raw = {table: typed_table(source.name(table), frames[table], TABLES[table]) for table in frames}
        plan = prepare_load(raw["employees"], raw["mentorships"], raw.get("job_history"), mapping=source.mapping,
                            options=options)
    except InputFileError as exc:  # every table's problems at once, each named as a table or query
        raise together([SourceTableError.all_of(e.file, list(e.problems), e.ambiguous_dates)
                        for e in exc.each()]) from None
    for table in plan.tables:  # the database typed these dates: nothing to say about them
        table.notes["date_formats"] = {c: f for c, f in table.notes.get("date_formats", {}).items() if f != CELL}
    return plan


def load(con: Any, plan: LoadPlan, source: Source) -> dict[str, Any]:
    """Replace the data with a plan read from the warehouse and keep the source for refreshing it; the load
    history records the address without its password."""
    return loads.load_plan(con, plan, source=source.url, warehouse=source.saved())


def saved(con: Any) -> Source | None:
    """The source of the last load from the warehouse, if there was one."""
    kept = loads.saved_source(con)
    return None if kept is None else Source.from_saved(kept)


def refresh(con: Any, check: bool = False, allow_writable_role: bool = False) -> dict[str, Any]:
    """Read the saved source again and load it (with `check`, read and validate only); the password comes
    from PGPASSWORD or a .pgpass file where this runs. A role that could write is read with only if the saved
    source allows it, or `allow_writable_role` does (and is then saved with it)."""
    source = saved(con)
    if source is None:
        raise WarehouseError(f"no warehouse source is saved yet: load from the warehouse once, e.g. {EXAMPLE}")
    if allow_writable_role:
        source = replace(source, allow_writable_role=True)
    plan = prepare(source, loads.remembered_options(con, source.date_format))
    return plan.report() if check else load(con, plan, source)
