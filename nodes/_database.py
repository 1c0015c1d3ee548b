"""KNIME's database ports (the DB framework, org.knime.database) run on SQLAlchemy.

`DBSession` is KNIME's DB Session (the DB Connection port): what to connect to and the session's
type mapping, a small picklable value; every node opens its own connection when it runs (no
pool, so a forked loop worker never shares a socket). `DBData` is KNIME's DB Data port: the
session plus the SQL query that defines a table and, once known, its columns. It is lazy SQL,
not rows: only the DB Reader fetches them. As in KNIME a DB Data output fits a DB Connection
input (the port ids nest: `knime.database.data` under `knime.database`).

A session is `live` once the node that made it has run: configure-time checks (does the table
exist, is the SQL valid, what columns does it give) ask the database only then, because nodes
before it may still create or change tables.

Type mapping, as KNIME's default mapping (the connectors' `external_to_knime_mapping` and
`knime_to_external_mapping`, whose saved rules the importer carries over):
reading, a column's JDBC type gives its KNIME type: BOOLEAN, BIT -> Boolean; TINYINT, SMALLINT,
INTEGER -> Integer; BIGINT -> Long; REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL -> Double (SQLite:
NUMERIC -> String); DATE -> Local Date; TIME -> Local Time; TIMESTAMP -> Local Date Time; the
character types and everything else -> String (binary, XML and zoned types are refused).
Writing, String -> VARCHAR, Integer -> INTEGER, Long -> BIGINT, Double -> DOUBLE, Boolean ->
BOOLEAN (SQL Server: BIT), Local Date/Time/Date Time -> DATE/TIME/TIMESTAMP, created as
varchar(255), integer, bigint, double (PostgreSQL: double precision, SQL Server: float),
boolean (SQL Server: bit), date, time, timestamp (SQL Server: datetime2).
A column's JDBC type comes from its declared type where the database tells it (SQLite, as its
JDBC driver does: the declared type of a table column, also through views and subqueries), else
from the values of the first row (an expression column, a server database's result).
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    ColumnType,
    NodeError,
    NodeSettings,
    PortType,
    Table,
    TableSpec,
    row_ids,
    unique_column_name,
    variable_type,
)
from engine.api.knime import KnimeSettings, column_type
from nodes._column_types import typed_column
from nodes._rows import cell_text, is_missing
from nodes._variables import resolve_variable_references

__all__ = [
    "DB_DATA",
    "DB_SESSION",
    "DBData",
    "DBSession",
    "DBTableName",
    "as_session",
    "db_errors",
    "default_to_external",
    "default_to_knime",
    "insert_rows",
    "JdbcTarget",
    "jdbc_target",
    "mapping_rules",
    "probe_columns",
    "read_data",
    "read_query",
    "read_rows",
    "run_sql",
    "sql_type_name",
    "table_columns",
    "table_exists",
    "with_variables",
]

DB_SESSION = PortType.register(PortType("knime.database", "DB Session", "#bb2727", "square"))
DB_DATA = PortType.register(PortType("knime.database.data", "DB Data", "#7d1b1b", "square"))

_INT_RANGE = (-(2**31), 2**31 - 1)

# ------------------------------------------------------------------------------------ type mapping

_S, _I, _L, _D, _B = (
    ColumnType.STRING,
    ColumnType.INTEGER,
    ColumnType.LONG,
    ColumnType.DOUBLE,
    ColumnType.BOOLEAN,
)
_DEFAULT_TO_KNIME: dict[str, str] = {
    "BOOLEAN": _B,
    "BIT": _B,
    "TINYINT": _I,
    "SMALLINT": _I,
    "INTEGER": _I,
    "BIGINT": _L,
    "REAL": _D,
    "FLOAT": _D,
    "DOUBLE": _D,
    "NUMERIC": _D,
    "DECIMAL": _D,
    "DATE": ColumnType.LOCAL_DATE,
    "TIME": ColumnType.LOCAL_TIME,
    "TIMESTAMP": ColumnType.LOCAL_DATE_TIME,
    "TIME_WITH_TIMEZONE": _S,
    "TIMESTAMP_WITH_TIMEZONE": "ZonedDateTime",
    **dict.fromkeys(
        ["CHAR", "VARCHAR", "LONGVARCHAR", "CLOB", "NCHAR", "NVARCHAR", "LONGNVARCHAR", "NCLOB"], _S
    ),
    **dict.fromkeys(["BLOB", "BINARY", "VARBINARY", "LONGVARBINARY"], "BinaryObjectData"),
    "SQLXML": "XML",
    **dict.fromkeys(
        [
            "ARRAY",
            "NULL",
            "OTHER",
            "ROWID",
            "DISTINCT",
            "STRUCT",
            "REF",
            "DATALINK",
            "REF_CURSOR",
            "JAVA_OBJECT",
        ],
        _S,
    ),
}
_DEFAULT_TO_EXTERNAL: dict[str, str] = {
    _S: "VARCHAR",
    _B: "BOOLEAN",
    _I: "INTEGER",
    _L: "BIGINT",
    _D: "DOUBLE",
    ColumnType.LOCAL_DATE: "DATE",
    ColumnType.LOCAL_TIME: "TIME",
    ColumnType.LOCAL_DATE_TIME: "TIMESTAMP",
    "ZonedDateTime": "TIMESTAMP_WITH_TIMEZONE",
    "Duration": "VARCHAR",
    "Period": "VARCHAR",
    "BinaryObjectData": "LONGVARBINARY",
}
# where a database's default differs (as its KNIME connector saves it)
_TO_KNIME_DIFF = {"sqlite": {"NUMERIC": _S}}
_TO_EXTERNAL_DIFF = {
    "mssql": {_B: "BIT"},
    "sqlite": {"BinaryObjectData": "BINARY"},
    "mysql": {"BinaryObjectData": "BLOB"},
}

_SQL_TYPE_NAMES = {
    "VARCHAR": "varchar(255)",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "BIT": "bit",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
}
_SQL_TYPE_DIFF = {
    "postgresql": {"DOUBLE": "double precision"},
    "mssql": {"DOUBLE": "float", "BOOLEAN": "bit", "TIMESTAMP": "datetime2"},
}


def default_to_knime(dialect: str) -> dict[str, str]:
    """KNIME's default JDBC type -> KNIME type mapping of a database."""
    return {**_DEFAULT_TO_KNIME, **_TO_KNIME_DIFF.get(dialect, {})}


def default_to_external(dialect: str) -> dict[str, str]:
    """KNIME's default KNIME type -> JDBC type mapping of a database."""
    return {**_DEFAULT_TO_EXTERNAL, **_TO_EXTERNAL_DIFF.get(dialect, {})}


def sql_type_name(dialect: str, jdbc_type: str) -> str:
    """The type a created column gets for a JDBC type (the name itself when knitflow has none)."""
    return _SQL_TYPE_DIFF.get(dialect, {}).get(jdbc_type) or _SQL_TYPE_NAMES.get(jdbc_type, jdbc_type.lower())


# -------------------------------------------------------------------------------------- drivers

# dialect -> (importable module, SQLAlchemy driver name, what to pip install), the first found wins
_DRIVERS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sqlite": (("sqlite3", "sqlite+pysqlite", "(part of Python)"),),
    "postgresql": (
        ("psycopg", "postgresql+psycopg", "psycopg[binary]"),
        ("psycopg2", "postgresql+psycopg2", "psycopg2-binary"),
    ),
    "mysql": (("pymysql", "mysql+pymysql", "pymysql"),),
    "mssql": (("pymssql", "mssql+pymssql", "pymssql"),),
}
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mysql": "MySQL", "mssql": "Microsoft SQL Server"}


def _driver_name(dialect: str) -> str:
    options = _DRIVERS.get(dialect)
    if options is None:
        raise NodeError(f"knitflow has no SQLAlchemy dialect for database type {dialect!r}")
    for module, driver, _pip in options:
        if importlib.util.find_spec(module) is not None:
            return driver
    wanted = " or ".join(f"pip install {pip!r}" for _m, _d, pip in options)
    raise NodeError(
        f"connecting to {_NAMES.get(dialect, dialect)} needs a Python database driver that is not installed: "
        f"{wanted} (knitflow does not install database drivers)"
    )


@functools.lru_cache(maxsize=64)
def _engine(url: Any) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(url, poolclass=NullPool)


def _message(exc: BaseException) -> str:
    """The database's own message (SQLAlchemy wraps it with the statement and a link)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def db_errors(cls: type[NodeError], what: str, setting: str | None = None) -> Iterator[None]:
    """Database and driver errors as a NodeError (or ConfigureError) saying what failed."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except SQLAlchemyError as exc:
        raise cls(f"{what}: {_message(exc)}", setting=setting) from None


# --------------------------------------------------------------------------------- port objects


@dataclass(frozen=True)
class DBSession:
    """KNIME's DB Session: the database to connect to and its type mapping."""

    dialect: str  # sqlite, postgresql, mysql, mssql
    database: str  # SQLite: the file; else the database name ("" for the server's default)
    host: str = ""
    port: int | None = None
    username: str = ""
    password: str = field(default="", repr=False)
    to_knime: tuple[tuple[str, str], ...] = ()  # JDBC type -> KNIME type
    to_external: tuple[tuple[str, str], ...] = ()  # KNIME type -> JDBC type
    live: bool = True

    def __repr__(self) -> str:
        return f"DBSession({self.summary})"

    @property
    def summary(self) -> str:
        where = self.database if self.dialect == "sqlite" else f"{self.host}:{self.port}/{self.database}"
        return f"{_NAMES.get(self.dialect, self.dialect)} {where}"

    def knime_type(self, jdbc_type: str) -> str:
        return dict(self.to_knime).get(jdbc_type, ColumnType.STRING)

    def external_type(self, knime_type: str) -> str | None:
        return dict(self.to_external).get(knime_type)

    def pending(self) -> DBSession:
        """This session as a node's configure step hands it on: its database is yet to change."""
        return replace(self, live=False)

    def engine(self) -> Any:
        from sqlalchemy.engine import URL

        url = URL.create(
            _driver_name(self.dialect),
            username=self.username or None,
            password=self.password or None,
            host=self.host or None,
            port=self.port,
            database=self.database or None,
        )
        return _engine(url)

    @contextmanager
    def connect(self, cls: type[NodeError], *, autocommit: bool = False) -> Iterator[Any]:
        """A connection of its own (committed at the end unless `autocommit`)."""
        with db_errors(cls, f"cannot connect to {self.summary}"):
            engine = self.engine()
            conn = engine.connect()
        try:
            if autocommit:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn
            else:
                with conn.begin():
                    yield conn
        finally:
            conn.close()

    def quote(self, name: str) -> str:
        q = "`" if self.dialect == "mysql" else '"'
        return q + name.replace(q, q + q) + q

    def table_ref(self, table: str, schema: str = "", catalog: str = "") -> str:
        """A table's name as KNIME writes it in SQL: every part delimited."""
        return ".".join(self.quote(p) for p in (catalog, schema, table) if p)


def as_session(obj: Any, port: int = 1) -> DBSession:
    """The session on a DB Connection input (a DB Data output brings its own)."""
    if isinstance(obj, DBData):
        return obj.session
    if isinstance(obj, DBSession):
        return obj
    raise NodeError(f"input port {port} has no DB session (is the connector executed?)")


@dataclass(frozen=True)
class DBData:
    """KNIME's DB Data: a session and the SQL that defines the table; `columns` (name, JDBC type,
    KNIME type) once known."""

    session: DBSession
    query: str
    columns: tuple[tuple[str, str, str], ...] | None = None

    def __repr__(self) -> str:
        return f"DBData({self.session.summary}: {self.query[:60]!r})"

    @property
    def spec(self) -> TableSpec | None:
        return None if self.columns is None else TableSpec.of((n, t) for n, _j, t in self.columns)


def with_variables(sql: str, ctx: Any, cls: type[NodeError], setting: str) -> str:
    """KNIME's flow variables in SQL (`$${Sname}$$`, `$${Iname}$$`, `$${Dname}$$`)."""

    def variable_of(name: str) -> tuple[Any, str] | None:
        value = ctx.variables.get(name)
        return None if value is None else (value, variable_type(value))

    try:
        return resolve_variable_references(sql, variable_of)
    except ValueError as exc:
        raise cls(str(exc), setting=setting) from None


# ------------------------------------------------------------------------------ column typing

_SQLITE_TYPES = {
    "BOOLEAN": "BOOLEAN",
    "BOOL": "BOOLEAN",
    "BIT": "BIT",
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "INT2": "SMALLINT",
    "BIGINT": "BIGINT",
    "INT8": "BIGINT",
    "UNSIGNED BIG INT": "BIGINT",
    "INT": "INTEGER",
    "INTEGER": "INTEGER",
    "MEDIUMINT": "INTEGER",
    "DATE": "DATE",
    "DATETIME": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMP",
    "TIME": "TIME",
    "DECIMAL": "DECIMAL",
    "DOUBLE": "DOUBLE",
    "DOUBLE PRECISION": "DOUBLE",
    "NUMERIC": "NUMERIC",
    "FLOAT": "FLOAT",
    "REAL": "REAL",
    "BLOB": "BLOB",
    "CHAR": "CHAR",
    "NCHAR": "NCHAR",
    "VARCHAR": "VARCHAR",
    "NVARCHAR": "NVARCHAR",
    "TEXT": "VARCHAR",
    "CLOB": "CLOB",
}
_AFFINITY = (
    ("INT", "INTEGER"),
    ("CHAR", "VARCHAR"),
    ("CLOB", "VARCHAR"),
    ("TEXT", "VARCHAR"),
    ("BLOB", "BLOB"),
)


def _sqlite_jdbc_type(declared: str) -> str | None:
    """A SQLite declared type as a JDBC type (SQLite's type affinity rules for other names);
    None when nothing is declared (an expression: typed by its values)."""
    name = re.sub(r"\s+", " ", declared.split("(", 1)[0]).strip().upper()
    if not name or name == "NUM":  # NUM: what newer SQLite reports for an untyped view column
        return None
    if name in _SQLITE_TYPES:
        return _SQLITE_TYPES[name]
    for part, jdbc in _AFFINITY:
        if part in name:
            return jdbc
    if any(p in name for p in ("REAL", "FLOA", "DOUB")):
        return "DOUBLE"
    return "NUMERIC"


_VALUE_TYPES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "BOOLEAN"),
    (int, "INTEGER"),
    (float, "DOUBLE"),
    (Decimal, "NUMERIC"),
    (datetime, "TIMESTAMP"),
    (date, "DATE"),
    (time, "TIME"),
    ((bytes, bytearray, memoryview), "VARBINARY"),
    (str, "VARCHAR"),
)


def _value_jdbc_type(values: Sequence[Any]) -> str:
    """The JDBC type a driver reports for a result column without a declared type: by its first
    non-missing value."""
    value: Any = next((v for v in values if v is not None), None)
    if value is None:
        return "NULL"
    jdbc = next((j for kind, j in _VALUE_TYPES if isinstance(value, kind)), "OTHER")
    if jdbc == "INTEGER" and not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
        return "BIGINT"
    if jdbc == "TIMESTAMP" and value.tzinfo is not None:
        return "TIMESTAMP_WITH_TIMEZONE"
    return jdbc


def _strip(query: str) -> str:
    return query.strip().rstrip(";").rstrip()


def _sqlite_declared(conn: Any, query: str) -> list[str] | None:
    """The declared types of a SELECT's result columns (what SQLite's JDBC driver reports),
    through a temporary view that is dropped again; None for a statement that is no SELECT."""
    from sqlalchemy.exc import SQLAlchemyError

    name = f"knitflow_probe_{uuid.uuid4().hex}"
    try:
        run_sql(conn, f'CREATE TEMP VIEW "{name}" AS {_strip(query)}')
    except SQLAlchemyError:
        return None
    try:
        return [str(r[2] or "") for r in run_sql(conn, f'PRAGMA temp.table_info("{name}")').fetchall()]
    finally:
        run_sql(conn, f'DROP VIEW temp."{name}"')


def _unique(names: Sequence[str]) -> list[str]:
    """Result column names as KNIME makes them unique (`name (#1)`)."""
    out: list[str] = []
    for n in names:
        out.append(unique_column_name(out, str(n)))
    return out


def _columns(
    session: DBSession,
    conn: Any,
    query: str,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    mapping: dict[str, str],
) -> tuple[tuple[str, str, str], ...]:
    declared = _sqlite_declared(conn, query) if session.dialect == "sqlite" else None
    if declared is not None and len(declared) != len(names):
        declared = None
    out = []
    for i, name in enumerate(_unique(names)):
        jdbc = _sqlite_jdbc_type(declared[i]) if declared is not None else None
        jdbc = jdbc or _value_jdbc_type([r[i] for r in rows])
        out.append((name, jdbc, mapping.get(jdbc) or session.knime_type(jdbc)))
    return tuple(out)


def _subquery_probe(session: DBSession, query: str) -> str:
    inner = _strip(query)
    if session.dialect == "mssql":
        return f"SELECT TOP 1 * FROM ({inner}) AS knitflow_q"
    return f"SELECT * FROM ({inner}) AS knitflow_q LIMIT 1"


def probe_columns(
    session: DBSession,
    query: str,
    cls: type[NodeError],
    setting: str | None,
    mapping: dict[str, str] | None = None,
) -> tuple[tuple[str, str, str], ...]:
    """The columns a query gives (KNIME's metadata query), or `cls` with the database's error."""
    with session.connect(cls) as conn, db_errors(cls, "the SQL query cannot be executed", setting):
        result = run_sql(conn, _subquery_probe(session, query))
        names, rows = list(result.keys()), result.fetchall()
        return _columns(session, conn, query, names, rows, mapping or {})


# ---------------------------------------------------------------------------------------- cells


def _int_cell(v: Any) -> int:
    if isinstance(v, str):
        return int(v.strip())
    return int(v)


def _float_cell(v: Any) -> float:
    return float(v.strip()) if isinstance(v, str) else float(v)


def _bool_cell(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("true", "1")
    return bool(v)


def _text_cell(v: Any) -> str:
    if isinstance(v, bytes | bytearray | memoryview):
        raise TypeError("binary value")
    if isinstance(v, float):
        return str(cell_text(v))
    return v.isoformat() if isinstance(v, date | time) else str(v)


def _datetime_cell(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    if isinstance(v, int | float):  # SQLite's JDBC driver keeps dates as epoch milliseconds
        return datetime.fromtimestamp(v / 1000, UTC).replace(tzinfo=None)
    return datetime.fromisoformat(str(v).strip())


def _date_cell(v: Any) -> date:
    if isinstance(v, date) and not isinstance(v, datetime):
        return v
    if isinstance(v, str):
        return date.fromisoformat(v.strip()[:10])
    return _datetime_cell(v).date()


def _time_cell(v: Any) -> time:
    return v if isinstance(v, time) else time.fromisoformat(str(v).strip())


_CELLS: dict[str, Callable[[Any], Any]] = {
    ColumnType.INTEGER: _int_cell,
    ColumnType.LONG: _int_cell,
    ColumnType.DOUBLE: _float_cell,
    ColumnType.BOOLEAN: _bool_cell,
    ColumnType.STRING: _text_cell,
    ColumnType.LOCAL_DATE: _date_cell,
    ColumnType.LOCAL_TIME: _time_cell,
    ColumnType.LOCAL_DATE_TIME: _datetime_cell,
}


def _plain_column(knime_type: str, values: list[Any]) -> pd.Series | None:
    """The column at numpy speed when the driver gave plain Python values of the column's kind
    (most columns); None when a value needs `_CELLS`' conversion or check."""
    kinds = {type(v) for v in values}
    if knime_type in (ColumnType.INTEGER, ColumnType.LONG) and kinds <= {int, type(None)}:
        numbers = pd.array(values, dtype="Int64")
        present = numbers[~numbers.isna()]
        low, high = _INT_RANGE if knime_type == ColumnType.INTEGER else (-(2**63), 2**63 - 1)
        if len(present) and (present.min() < low or present.max() > high):
            return None  # the slow path says which column is out of range
        return pd.Series(numbers if numbers.isna().any() else numbers.to_numpy(dtype="int64"))
    if knime_type == ColumnType.DOUBLE and kinds <= {float, int, type(None)}:
        return pd.Series(np.array(values, dtype="float64"))
    if knime_type == ColumnType.STRING and kinds <= {str, type(None)}:
        return pd.Series(values, dtype="object")
    return None


def _column(name: str, jdbc: str, knime_type: str, values: list[Any]) -> pd.Series:
    plain = _plain_column(knime_type, values)
    if plain is not None:
        return plain
    convert = _CELLS.get(knime_type)
    if convert is None:
        raise NodeError(
            f"column {name!r} ({jdbc}) maps to KNIME's {knime_type}, which knitflow cannot hold; "
            "change the connector's type mapping"
        )
    cells = []
    for v in values:
        try:
            cells.append(None if v is None else convert(v))
        except (TypeError, ValueError):
            raise NodeError(f"column {name!r}: the value {v!r} cannot be read as {knime_type}") from None
    if knime_type == ColumnType.INTEGER and any(
        c is not None and not _INT_RANGE[0] <= c <= _INT_RANGE[1] for c in cells
    ):
        raise NodeError(
            f"column {name!r} ({jdbc}, read as Integer) holds values beyond the Integer range; "
            "map its type to Long in the connector's type mapping"
        )
    return typed_column(cells, knime_type)


def read_rows(columns: Sequence[tuple[str, str, str]], rows: Sequence[Sequence[Any]]) -> Table:
    """Rows fetched from the database as a table (RowIDs Row0, Row1, ... as KNIME's DB readers)."""
    index = row_ids(len(rows))
    by_column = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    data = {
        name: _column(name, jdbc, kt, list(values)).set_axis(index)
        for (name, jdbc, kt), values in zip(columns, by_column, strict=True)
    }
    df = pd.DataFrame(data, index=index)
    return Table(df, {n: t for n, _j, t in columns})


def read_query(
    session: DBSession,
    query: str,
    cls: type[NodeError],
    setting: str | None,
    mapping: dict[str, str] | None = None,
) -> Table:
    """Run a query as it is written and read all its rows, typed as the database reports them."""
    with session.connect(cls) as conn, db_errors(cls, "the SQL query cannot be executed", setting):
        names, rows = _fetch(conn, query, cls, setting)
        columns = _columns(session, conn, query, names, rows, mapping or {})
    return read_rows(columns, rows)


def read_data(data: DBData, cls: type[NodeError]) -> Table:
    """The rows of DB Data, in the columns it promised."""
    if data.columns is None:
        return read_query(data.session, data.query, cls, None)
    with data.session.connect(cls) as conn, db_errors(cls, "the DB Data's SQL query cannot be executed"):
        names, rows = _fetch(conn, data.query, cls, None)
    if _unique(names) != [c[0] for c in data.columns]:
        raise cls("the columns of the DB Data changed since it was made: execute the nodes before it again")
    return read_rows(data.columns, rows)


def run_sql(conn: Any, sql: str) -> Any:
    """SQL as it is written, no parameters: a `%` or `:name` in it is the database's, not a
    placeholder of the driver."""
    return conn.exec_driver_sql(sql, execution_options={"no_parameters": True})


def _fetch(conn: Any, query: str, cls: type[NodeError], setting: str | None) -> tuple[list[str], list[Any]]:
    result = run_sql(conn, query)
    if not result.returns_rows:
        raise cls("the SQL statement returns no rows", setting=setting)
    names = list(result.keys())
    # SQLite's own rows: SQLAlchemy's Row objects cost three times as much and add nothing here (its
    # default cursor strategy for sqlite3 buffers nothing); other drivers go through SQLAlchemy
    cursor = getattr(result, "cursor", None) if conn.dialect.name == "sqlite" else None
    return names, (cursor.fetchall() if cursor is not None else result.fetchall())


# ------------------------------------------------------------------------------------- writing


def table_exists(conn: Any, table: str, schema: str = "") -> bool:
    from sqlalchemy import inspect

    return bool(inspect(conn).has_table(table, schema=schema or None))


def table_columns(conn: Any, table: str, schema: str = "") -> list[str]:
    from sqlalchemy import inspect

    return [str(c["name"]) for c in inspect(conn).get_columns(table, schema=schema or None)]


def _db_value(value: Any, col_type: str, dialect: str) -> Any:
    if is_missing(value):
        return None
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        return int(value)
    if col_type == ColumnType.DOUBLE:
        number = float(value)
        return None if math.isnan(number) else number
    if col_type == ColumnType.BOOLEAN:
        return bool(value)
    if col_type in ColumnType.DATE_TIME:
        if dialect != "sqlite":
            return value
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _db_column(values: pd.Series, col_type: str, dialect: str) -> list[Any]:
    """A column as the driver's parameters: numbers column-wise at numpy speed, the rest cell by cell."""
    missing = values.isna().to_numpy()
    if col_type in (ColumnType.INTEGER, ColumnType.LONG):
        numbers = (
            values.fillna(0).to_numpy(dtype="int64").tolist()
            if missing.any()
            else values.to_numpy(dtype="int64").tolist()
        )
        return [None if m else v for v, m in zip(numbers, missing, strict=True)] if missing.any() else numbers
    if col_type == ColumnType.DOUBLE:
        floats = values.to_numpy(dtype="float64").tolist()
        return [None if m else v for v, m in zip(floats, missing, strict=True)] if missing.any() else floats
    cells = values.to_numpy(dtype=object)
    if col_type == ColumnType.STRING:
        return [None if m else (v if type(v) is str else str(v)) for v, m in zip(cells, missing, strict=True)]
    return [_db_value(v, col_type, dialect) for v in cells]


def _marker(paramstyle: str, i: int) -> str:
    return {"qmark": "?", "numeric": f":{i + 1}", "named": f":p{i}"}.get(paramstyle, "%s")


def insert_rows(conn: Any, session: DBSession, ref: str, table: Table, names: Sequence[str]) -> int:
    """INSERT the columns `names` of every row (one batch); returns the number of rows."""
    if not len(table):
        return 0
    style = conn.dialect.paramstyle
    markers = ", ".join(_marker(style, i) for i in range(len(names)))
    sql = f"INSERT INTO {ref} ({', '.join(session.quote(n) for n in names)}) VALUES ({markers})"
    columns = [_db_column(table.df[n], table.spec.type_of(n), session.dialect) for n in names]
    rows = list(zip(*columns, strict=True))
    if style == "named":
        conn.exec_driver_sql(sql, [{f"p{i}": v for i, v in enumerate(row)} for row in rows])
    else:
        conn.exec_driver_sql(sql, rows)
    return len(rows)


# ------------------------------------------------------------------------- KNIME settings helpers


class DBTableName(NodeSettings):
    """KNIME's table chooser (`SettingsModelDBMetadata`): catalog, schema and table."""

    database: str = Field("", description="The catalog (database) holding the table; empty: the session's.")
    schema_: str = Field("", alias="schema", description="The schema; empty: the session's default.")
    table: str = Field("", description="The table's name.")


def _rule_index(key: str) -> int:
    digits = re.sub(r"\D", "", key)
    return int(digits) if digits else 0


def mapping_rules(knime: KnimeSettings, key: str, *, production: bool) -> dict[str, str] | None:
    """A saved type mapping (`type_to_type_mapping_rules`) as {from: to}: JDBC type -> KNIME
    type (production), KNIME type -> JDBC type (consumption). None when the mapping holds more
    than such rules (reported as a finding)."""
    tree = knime.get(key)
    if not isinstance(tree, dict):
        return {}
    unknown = [k for k in tree if k != "type_to_type_mapping_rules"]
    if unknown:
        knime.lost(f"{key}: type mapping entries {unknown} are not supported")
        return None
    container = tree.get("type_to_type_mapping_rules") or {}
    rules: dict[str, str] = {}
    for _key, rule in sorted(container.items(), key=lambda kv: _rule_index(kv[0])):
        if not isinstance(rule, dict):
            continue
        cell = column_type((rule.get("type") or {}).get("cell_class")) or ""
        external = str(rule.get("external_type") or "")
        if production:
            rules[external] = cell
        else:
            rules[cell] = external
    return rules


@dataclass(frozen=True)
class JdbcTarget:
    """What a JDBC URL names, in SQLAlchemy's terms; `ignored`: its parameters knitflow does not pass on."""

    dialect: str
    database: str
    host: str = ""
    port: int | None = None
    ignored: tuple[str, ...] = ()


_JDBC_SERVERS = {"postgresql": "postgresql", "mysql": "mysql", "mariadb": "mysql"}


def jdbc_target(url: str) -> JdbcTarget | None:
    """A JDBC URL of SQLite, PostgreSQL, MySQL/MariaDB or SQL Server; None for any other."""
    url = url.strip()
    if url.startswith("jdbc:sqlite:"):
        path = url[len("jdbc:sqlite:") :]
        return JdbcTarget("sqlite", path) if path and not path.startswith(":memory") else None
    m = re.match(r"^jdbc:(postgresql|mysql|mariadb)://([^:/?;]+)(?::(\d+))?/([^?;]*)(?:\?(.*))?$", url)
    if m:
        params = tuple(p for p in (m[5] or "").split("&") if p)
        return JdbcTarget(_JDBC_SERVERS[m[1]], m[4], m[2], int(m[3]) if m[3] else None, params)
    m = re.match(r"^jdbc:sqlserver://([^:;\\/]*)(?::(\d+))?(;.*)?$", url)
    if m:
        props = [p for p in (m[3] or "").split(";") if p]
        database = next(
            (p.split("=", 1)[1] for p in props if p.lower().startswith(("databasename=", "database="))), ""
        )
        ignored = tuple(p for p in props if not p.lower().startswith(("databasename=", "database=")))
        return JdbcTarget("mssql", database, m[1], int(m[2]) if m[2] else None, ignored)
    return None
