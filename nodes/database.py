"""KNIME's database nodes (the DB framework, org.knime.database), run for real on SQLAlchemy.

Connectors make a DB Session (SQLite from a file; PostgreSQL, MySQL, SQL Server and the generic
DB Connector through the Python driver of the database, which knitflow does not install: a
connector without its driver fails saying what to `pip install`). The other nodes read, query,
create and write tables through that session; see `nodes._database` for the ports, the
session's lifetime and the type mapping between KNIME and SQL types.

A saved password is encrypted in KNIME's settings: the importer reports it instead of reading
it, and `password` (best given as a `${variable}`) takes its place.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from engine.api import (
    INACTIVE,
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, convert, file_name
from nodes._common import ColumnFilter
from nodes._database import (
    DB_DATA,
    DB_SESSION,
    DBData,
    DBSession,
    DBTableName,
    as_session,
    db_errors,
    default_to_external,
    default_to_knime,
    insert_rows,
    jdbc_target,
    mapping_rules,
    probe_columns,
    read_data,
    read_query,
    run_sql,
    sql_type_name,
    table_columns,
    table_exists,
    with_variables,
)

_SESSION_OUT = Port(DB_SESSION, "DB Connection", "The DB session.")
_SESSION_IN = Port(DB_SESSION, "DB Connection", "A DB session (a DB Data port brings its own).")

# ------------------------------------------------------------------------------------ connectors


class _TypeMappingSettings(NodeSettings):
    external_to_knime_mapping: dict[str, str] = Field(
        default_factory=dict,
        description="Reading: JDBC type -> KNIME type rules that differ from KNIME's default for this "
        "database (e.g. NUMERIC: Double).",
        json_schema_extra=widget("text", advanced=True),
    )
    knime_to_external_mapping: dict[str, str] = Field(
        default_factory=dict,
        description="Writing: KNIME type -> JDBC type rules that differ from KNIME's default (e.g. Boolean: BIT).",
        json_schema_extra=widget("text", advanced=True),
    )


class SQLiteConnectorSettings(_TypeMappingSettings):
    """KNIME's SQLite connector: `sqlite-connection` (location FILE, path)."""

    path: str = Field(
        "", description="The SQLite database file (created when missing).", json_schema_extra=widget("file")
    )


class _ServerSettings(_TypeMappingSettings):
    host: str = Field("localhost", description="The database server.")
    port: int = Field(0, description="The server's port.")
    database_name: str = Field("", description="The database; empty: the server's default.")
    username: str = Field("", description="The user name (KNIME: authentication).")
    password: str = Field(
        "",
        description="The password; best a ${variable} (KNIME keeps it encrypted, so an import leaves it empty).",
    )


class PostgreSQLConnectorSettings(_ServerSettings):
    port: int = Field(5432, description="The server's port.")


class MySQLConnectorSettings(_ServerSettings):
    port: int = Field(3306, description="The server's port.")


class MSSQLConnectorSettings(_ServerSettings):
    port: int = Field(1433, description="The server's port.")


class DBConnectorSettings(_TypeMappingSettings):
    """KNIME's generic DB Connector: a JDBC URL (session_info.db_url)."""

    db_url: str = Field(
        "",
        description="The JDBC URL: jdbc:sqlite:<file>, jdbc:postgresql://host:port/db, jdbc:mysql://host:port/db, "
        "jdbc:mariadb://..., jdbc:sqlserver://host:port;databaseName=db.",
    )
    username: str = Field("", description="The user name (KNIME: authentication).")
    password: str = Field("", description="The password; best a ${variable}.")


def _session(
    dialect: str, settings: Any, database: str, host: str = "", port: int | None = None
) -> DBSession:
    to_knime = {**default_to_knime(dialect), **settings.external_to_knime_mapping}
    to_external = {**default_to_external(dialect), **settings.knime_to_external_mapping}
    return DBSession(
        dialect,
        database,
        host,
        port,
        getattr(settings, "username", ""),
        getattr(settings, "password", ""),
        tuple(sorted(to_knime.items())),
        tuple(sorted(to_external.items())),
    )


class _DBNode(Node):
    """A DB node: its result depends on a database whose state no fingerprint covers, so it is never
    taken from the cache."""

    def cacheable(self, settings: Any) -> bool:
        return False


def _pending_session(spec: Any) -> Any:
    """The session an input passes on, at configure time (unknown while the input is)."""
    return as_session(spec).pending() if isinstance(spec, DBSession | DBData) else UNKNOWN


class _Connector(_DBNode):
    category = Category.SOURCE
    outputs = (_SESSION_OUT,)

    def session(self, settings: Any, cls: type[NodeError]) -> DBSession:
        raise NotImplementedError

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        return [self.session(settings, ConfigureError).pending()]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        session = self.session(settings, NodeError)
        with session.connect(NodeError) as conn, db_errors(NodeError, f"cannot use {session.summary}"):
            run_sql(conn, "SELECT 1")
        return [session]


# --- translation of the connectors' settings


def _authentication(knime: KnimeSettings) -> None:
    """`SettingsModelAuthentication`: the user name is read; a password KNIME keeps encrypted and
    flow-variable credentials are findings (knitflow never guesses them)."""
    auth = knime.get("authentication") or {}
    kind = auth.get("selectedType") or "NONE"
    if kind in ("USER", "USER_PWD"):
        knime.put("username", auth.get("username") or "", "authentication.username")
    if kind == "USER_PWD" and auth.get("password"):
        knime.lost(
            "the password is stored encrypted in the KNIME workflow and is not imported: set `password` "
            "(best to a ${variable})"
        )
    elif kind == "CREDENTIALS":
        knime.lost(
            f"the credentials flow variable {auth.get('credentials')!r} is not imported: set `username` and `password`"
        )
    elif kind not in ("NONE", "USER", "USER_PWD"):
        knime.lost(f"authentication type {kind} is not supported")


def _session_info(knime: KnimeSettings, db_type: str | None) -> None:
    """`session_info`: the DB type and SQL dialect must be the connector's own; the JDBC driver
    KNIME picked changes nothing knitflow does; attributes (JDBC parameters and the like) are not
    supported."""
    info = knime.get("session_info") or {}
    for key in ("db_type", "db_dialect"):
        value = info.get(key)
        if db_type is not None and value not in (None, "", db_type):
            knime.lost(f"session_info.{key} = {value!r}: knitflow uses the {db_type} SQL dialect")
    attributes = info.get("attributes")
    if attributes:
        knime.lost(f"session_info.attributes {sorted(attributes)} (connection attributes) are not supported")
    knime.unread(
        "version",
        "db_type",
        "db_dialect",
        "db_driver",
        "db_driver_latest",
        "db_url",
        "attributes",
        under="session_info",
    )


def _type_mappings(knime: KnimeSettings, dialect: str) -> None:
    """The connector's saved type mapping, kept as the rules that differ from knitflow's default."""
    for key, production, defaults in (
        ("external_to_knime_mapping", True, default_to_knime(dialect)),
        ("knime_to_external_mapping", False, default_to_external(dialect)),
    ):
        rules = mapping_rules(knime, key, production=production)
        if rules is not None:
            knime.put(key, {k: v for k, v in rules.items() if defaults.get(k) != v}, key)


def _connector_translator(db_type: str, dialect: str, section: str) -> Any:
    def translate(knime: KnimeSettings) -> None:
        _authentication(knime)
        _session_info(knime, db_type)
        for key in ("host", "port", "database_name"):
            knime.take(key, f"{section}.{key}")
        knime.unread(under=section)
        _type_mappings(knime, dialect)
        knime.unread("authentication", "session_info", section)

    return translate


def _sqlite_from_knime(knime: KnimeSettings) -> None:
    """`sqlite-connection`: location FILE and path (a file of the workflow's data folder);
    an in-memory database lives in one KNIME session, which knitflow's nodes do not share."""
    _session_info(knime, "sqlite")
    section = "sqlite-connection"
    location = knime.get(f"{section}.location", "FILE")
    if location != "FILE":
        knime.lost(f"SQLite location {location}: knitflow connects to database files only")
    path = knime.get(f"{section}.path")
    name = file_name(str(path)) if path else None
    bound = f"{section}.path" in knime.variables
    knime.put("path", name if bound or not name else f"${{data_dir}}/{name}", f"{section}.path")
    if path and name != path:
        knime.note(f"database file {path!r} imported as {knime.settings['path']!r}")
    knime.unread("location", "in_memory_database_name", under=section)
    _type_mappings(knime, "sqlite")
    knime.unread("session_info", section)


def _generic_from_knime(knime: KnimeSettings) -> None:
    """The generic DB Connector: the JDBC URL (session_info.db_url) must name a database
    knitflow has a SQLAlchemy dialect for."""
    _authentication(knime)
    _session_info(knime, None)
    url = str(knime.get("session_info.db_url") or "")
    knime.put("db_url", url, "session_info.db_url")
    target = jdbc_target(url)
    if target is None:
        knime.lost(f"JDBC URL {url!r}: knitflow knows no SQLAlchemy dialect for it")
        dialect = "sqlite"
    else:
        dialect = target.dialect
        if target.ignored:
            knime.lost(f"JDBC URL parameters {list(target.ignored)} are not passed on to the driver")
    _type_mappings(knime, dialect)
    knime.unread("authentication", "session_info")


class SQLiteConnector(_Connector):
    type_name = "db_sqlite_connector"
    display_name = "SQLite Connector"
    description = (
        "Connects to a SQLite database file (created when missing): the DB session for the DB nodes. Each node "
        "opens its own connection when it runs."
    )
    keywords = ("database", "sqlite", "db", "connection", "sql", "jdbc")
    knime = (
        KnimeMapping(
            "org.knime.database.extension.sqlite.node.connector.SQLiteDBConnectorNodeFactory",
            "SQLite Connector",
            _sqlite_from_knime,
        ),
    )
    Settings = SQLiteConnectorSettings
    path_settings = ("path",)

    def session(self, settings: SQLiteConnectorSettings, cls: type[NodeError]) -> DBSession:
        if not settings.path:
            raise cls("No database file selected", setting="path")
        return _session("sqlite", settings, settings.path)


def _server_help(database: str, driver: str) -> str:
    return (
        f"Connects to {database} database: the DB session for the DB nodes. Needs the Python driver {driver}."
    )


def _server_mapping(factory: str, name: str, db_type: str, dialect: str, section: str) -> tuple[KnimeMapping]:
    """A server connector's KNIME factory, with KNIME's DB type and the settings section holding
    host, port and database."""
    return (KnimeMapping(factory, name, _connector_translator(db_type, dialect, section)),)


class _ServerConnector(_Connector):
    dialect = ""

    def session(self, settings: _ServerSettings, cls: type[NodeError]) -> DBSession:
        if not settings.host:
            raise cls("No host given", setting="host")
        return _session(self.dialect, settings, settings.database_name, settings.host, settings.port)


class PostgreSQLConnector(_ServerConnector):
    type_name = "db_postgresql_connector"
    display_name = "PostgreSQL Connector"
    description = _server_help("a PostgreSQL", "psycopg (pip install 'psycopg[binary]') or psycopg2")
    keywords = ("database", "postgresql", "postgres", "db", "connection", "sql")
    dialect = "postgresql"
    knime = _server_mapping(
        "org.knime.database.extension.postgres.node.connector.PostgreSQLDBConnectorNodeFactory",
        "PostgreSQL Connector",
        "postgres",
        dialect,
        "postgres-connection",
    )
    Settings = PostgreSQLConnectorSettings


class MySQLConnector(_ServerConnector):
    type_name = "db_mysql_connector"
    display_name = "MySQL Connector"
    description = _server_help("a MySQL (or MariaDB)", "pymysql (pip install pymysql)")
    keywords = ("database", "mysql", "mariadb", "db", "connection", "sql")
    dialect = "mysql"
    knime = _server_mapping(
        "org.knime.database.extension.mysql.node.connector.MySQLDBConnectorNodeFactory",
        "MySQL Connector",
        "mysql",
        dialect,
        "mysql-connection",
    )
    Settings = MySQLConnectorSettings


class MSSQLConnector(_ServerConnector):
    type_name = "db_mssql_connector"
    display_name = "Microsoft SQL Server Connector"
    description = _server_help("a Microsoft SQL Server", "pymssql (pip install pymssql)")
    keywords = ("database", "sql server", "mssql", "microsoft", "db", "connection", "sql")
    dialect = "mssql"
    knime = _server_mapping(
        "org.knime.database.extension.mssql.node.connector.MSSQLDBConnectorNodeFactory",
        "Microsoft SQL Server Connector",
        "mssqlserver",
        dialect,
        "mssql-server-connection",
    )
    Settings = MSSQLConnectorSettings


class DBConnector(_Connector):
    type_name = "db_connector"
    display_name = "DB Connector"
    description = (
        "Connects to the database a JDBC URL names (SQLite, PostgreSQL, MySQL/MariaDB, SQL Server), translated "
        "to SQLAlchemy; server databases need their Python driver installed."
    )
    keywords = ("database", "jdbc", "db", "connection", "sql", "generic")
    knime = (
        KnimeMapping(
            "org.knime.database.node.connector.generic.DBConnectorNodeFactory",
            "DB Connector",
            _generic_from_knime,
        ),
    )
    Settings = DBConnectorSettings

    def session(self, settings: DBConnectorSettings, cls: type[NodeError]) -> DBSession:
        target = jdbc_target(settings.db_url)
        if target is None:
            raise cls(
                f"knitflow knows no SQLAlchemy dialect for the JDBC URL {settings.db_url!r}", setting="db_url"
            )
        return _session(target.dialect, settings, target.database, target.host, target.port)

    def execute(self, inputs: list[Any], settings: DBConnectorSettings, ctx: NodeContext) -> list[Any]:
        target = jdbc_target(settings.db_url)
        if target is not None and target.ignored:
            ctx.warn(f"JDBC URL parameters {list(target.ignored)} are not passed on to the driver")
        return super().execute(inputs, settings, ctx)


# ------------------------------------------------------------------------------ reading, querying


def _table_ref(session: DBSession, name: DBTableName, cls: type[NodeError], setting: str) -> str:
    if not name.table:
        raise cls("No table selected", setting=setting)
    return session.table_ref(name.table, name.schema_, name.database)


def _reading_rules() -> Any:
    """A reading node's own JDBC -> KNIME type rules."""
    return Field(
        default_factory=dict,
        description="JDBC type -> KNIME type rules for this node (over the session's).",
        json_schema_extra=widget("text", advanced=True),
    )


class DBTableSelectorSettings(NodeSettings):
    """KNIME's DBTableSelectNodeModel settings."""

    dbTable: DBTableName = Field(default_factory=DBTableName, description="The table to select.")
    custom_query: bool = Field(False, description="Select with the SQL query below instead of the table.")
    sql_statement: str = Field(
        "",
        description="The custom query ($${Sname}$$ inserts a flow variable).",
        json_schema_extra=widget("multiline"),
    )
    external_to_knime_mapping: dict[str, str] = _reading_rules()


def _reader_mapping(knime: KnimeSettings) -> None:
    rules = mapping_rules(knime, "external_to_knime_mapping", production=True)
    if rules is not None:
        knime.put("external_to_knime_mapping", rules, "external_to_knime_mapping")


def _table_selector_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["dbTable", "custom_query", "sql_statement"])
    _reader_mapping(knime)
    knime.unread()


def _db_data(
    session: DBSession, query: str, mapping: dict[str, str], cls: type[NodeError], setting: str
) -> DBData:
    """DB Data for a query; its columns asked from the database once the session is live."""
    if not session.live:
        return DBData(session, query)
    return DBData(session, query, probe_columns(session, query, cls, setting, mapping))


class DBTableSelector(_DBNode):
    type_name = "db_table_selector"
    display_name = "DB Table Selector"
    category = Category.SOURCE
    description = (
        "Selects a database table, or the result of a custom SQL query, as DB Data: lazy SQL that later DB nodes "
        "build on and the DB Reader reads; no rows are fetched."
    )
    keywords = ("database", "table", "select", "sql", "query", "db")
    knime = (
        KnimeMapping(
            "org.knime.database.node.utility.tableselector.DBTableSelectNodeFactory",
            "DB Table Selector",
            _table_selector_from_knime,
        ),
    )
    inputs = (_SESSION_IN,)
    outputs = (Port(DB_DATA, "DB Data", "The table as SQL."),)
    Settings = DBTableSelectorSettings

    def _data(
        self, obj: Any, settings: DBTableSelectorSettings, ctx: NodeContext, cls: type[NodeError]
    ) -> DBData:
        session = as_session(obj)
        if settings.custom_query:
            if not settings.sql_statement.strip():
                raise cls("Please enter a SQL query", setting="sql_statement")
            query, setting = (
                with_variables(settings.sql_statement, ctx, cls, "sql_statement"),
                "sql_statement",
            )
        else:
            query = f"SELECT * FROM {_table_ref(session, settings.dbTable, cls, 'dbTable')}"
            setting = "dbTable"
        return _db_data(session, query, settings.external_to_knime_mapping, cls, setting)

    def configure(
        self, in_specs: list[Any], settings: DBTableSelectorSettings, ctx: NodeContext
    ) -> list[Any]:
        if not isinstance(in_specs[0], DBSession | DBData):
            return [UNKNOWN]
        return [self._data(in_specs[0], settings, ctx, ConfigureError)]

    def execute(self, inputs: list[Any], settings: DBTableSelectorSettings, ctx: NodeContext) -> list[Any]:
        return [self._data(inputs[0], settings, ctx, NodeError)]


class DBQueryReaderSettings(NodeSettings):
    """KNIME's DBQueryReaderNodeModel settings."""

    sql_statement: str = Field(
        "",
        description="The SQL statement ($${Sname}$$ inserts a flow variable).",
        json_schema_extra=widget("multiline"),
    )
    external_to_knime_mapping: dict[str, str] = _reading_rules()


def _query_reader_from_knime(knime: KnimeSettings) -> None:
    knime.take("sql_statement")
    _reader_mapping(knime)
    knime.unread()


class DBQueryReader(_DBNode):
    type_name = "db_query_reader"
    display_name = "DB Query Reader"
    category = Category.SOURCE
    description = (
        "Runs a SQL statement as it is written (not wrapped in a subquery, so any statement that returns rows) and "
        "reads its result into a table."
    )
    keywords = ("database", "sql", "query", "read", "select", "db")
    knime = (
        KnimeMapping(
            "org.knime.database.node.io.reader.query.DBQueryReaderNodeFactory",
            "DB Query Reader",
            _query_reader_from_knime,
        ),
    )
    inputs = (_SESSION_IN,)
    outputs = (Port(TABLE, "Result table"),)
    Settings = DBQueryReaderSettings

    def configure(self, in_specs: list[Any], settings: DBQueryReaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.sql_statement.strip():
            raise ConfigureError("Please enter a SQL statement", setting="sql_statement")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: DBQueryReaderSettings, ctx: NodeContext) -> list[Any]:
        session = as_session(inputs[0])
        sql = with_variables(settings.sql_statement, ctx, NodeError, "sql_statement")
        return [read_query(session, sql, NodeError, "sql_statement", settings.external_to_knime_mapping)]


def _no_settings(knime: KnimeSettings) -> None:
    knime.unread()


class DBReader(_DBNode):
    type_name = "db_reader"
    display_name = "DB Reader"
    category = Category.SOURCE
    description = "Runs the SQL of its DB Data input and reads the rows into a table."
    keywords = ("database", "read", "fetch", "sql", "db")
    knime = (KnimeMapping("org.knime.database.node.io.reader.DBReadNodeFactory", "DB Reader", _no_settings),)
    inputs = (Port(DB_DATA, "DB Data", "The table to read."),)
    outputs = (Port(TABLE, "Table", "The rows of the DB Data."),)

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        data = in_specs[0]
        spec = data.spec if isinstance(data, DBData) else None
        return [spec if spec is not None else UNKNOWN]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        data = inputs[0]
        if not isinstance(data, DBData):
            raise NodeError("input port 1 has no DB Data")
        return [read_data(data, NodeError)]


# ------------------------------------------------------------------------------- SQL executor


class DBSQLExecutorSettings(NodeSettings):
    """KNIME's DB SQL Executor settings."""

    statement: str = Field(
        "",
        description="The SQL to run ($${Sname}$$ inserts a flow variable).",
        json_schema_extra=widget("multiline"),
    )
    multipleStatement: bool = Field(
        False,
        description="Split the text at `statementSeparator` and run each statement; off: the text goes to the "
        "database as one statement (SQLite runs only one statement at a time).",
    )
    statementSeparator: str = Field(
        ";", description="What separates statements when multipleStatement is on."
    )


def _executor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["statement", "multipleStatement", "statementSeparator"])
    knime.unread()


def _statements(text: str, settings: DBSQLExecutorSettings) -> list[str]:
    if not settings.multipleStatement or not settings.statementSeparator:
        return [text] if text.strip() else []
    return [s for s in text.split(settings.statementSeparator) if s.strip()]


class DBSQLExecutor(_DBNode):
    type_name = "db_sql_executor"
    display_name = "DB SQL Executor"
    category = Category.OTHER
    description = (
        "Runs SQL statements that return no table (CREATE, INSERT, UPDATE, DROP, ...) in the database, each "
        "committed when it ran; passes the session on."
    )
    keywords = ("database", "sql", "execute", "statement", "ddl", "db")
    knime = (
        KnimeMapping(
            "org.knime.database.node.manipulation.executor.DBExecutorNodeFactory",
            "DB SQL Executor",
            _executor_from_knime,
        ),
    )
    inputs = (_SESSION_IN,)
    outputs = (_SESSION_OUT,)
    Settings = DBSQLExecutorSettings

    def configure(self, in_specs: list[Any], settings: DBSQLExecutorSettings, ctx: NodeContext) -> list[Any]:
        if not _statements(settings.statement, settings):
            raise ConfigureError("Please enter a SQL statement", setting="statement")
        return [_pending_session(in_specs[0])]

    def execute(self, inputs: list[Any], settings: DBSQLExecutorSettings, ctx: NodeContext) -> list[Any]:
        session = as_session(inputs[0])
        text = with_variables(settings.statement, ctx, NodeError, "statement")
        with session.connect(NodeError, autocommit=True) as conn:
            for i, sql in enumerate(_statements(text, settings), start=1):
                ctx.check_cancelled()
                with db_errors(NodeError, f"statement {i} failed", "statement"):
                    run_sql(conn, sql.strip()).close()
        return [session]


# ------------------------------------------------------------------------------ table creator


class DBColumnDefinition(NodeSettings):
    columnName: str = Field(description="The column's name.")
    sqlTypeString: str = Field("varchar(255)", description="Its SQL type as written in CREATE TABLE.")
    notNull: bool = Field(False, description="NOT NULL.")


class DBKeyDefinition(NodeSettings):
    keyName: str = Field(description="The constraint's name.")
    keyColumns: list[str] = Field(default_factory=list, description="Its columns.")
    primaryKey: bool = Field(False, description="PRIMARY KEY (else UNIQUE).")


class DBTableCreatorSettings(NodeSettings):
    """KNIME's DB Table Creator settings (the table defined by hand: no dynamic settings, no temporary table)."""

    dbTable: DBTableName = Field(default_factory=DBTableName, description="The table to create.")
    IfTableExists: Literal["FAIL", "REPLACE"] = Field(
        "FAIL",
        description="FAIL: an existing table of that name fails the node; REPLACE: it is dropped first.",
    )
    Columns: list[DBColumnDefinition] = Field(default_factory=list, description="The table's columns.")
    Keys: list[DBKeyDefinition] = Field(default_factory=list, description="Primary and unique keys.")
    AdditionalOptions: str = Field("", description="SQL appended after the column list (e.g. table options).")


def _table_creator_from_knime(knime: KnimeSettings) -> None:
    """Columns (columnName, sqlTypeString, notNull; sqlType only names the chosen type), Keys
    (keyName, keyColumns, primaryKey). A temporary table and the dynamic settings (columns and keys
    from an input table by rules) are findings; so is the optional data table port when added."""
    tree = knime.tree
    knime.take("dbTable")
    knime.take("AdditionalOptions")
    exists = tree.get("IfTableExists", "FAIL")
    if exists in ("FAIL", "REPLACE"):
        knime.put("IfTableExists", exists, "IfTableExists")
    else:
        knime.unreadable(f"IfTableExists = {exists!r} is not known to knitflow")
    columns = [
        {
            "columnName": c.get("columnName"),
            "sqlTypeString": c.get("sqlTypeString") or "",
            "notNull": bool(c.get("notNull", False)),
        }
        for c in _numbered(tree.get("Columns"))
    ]
    knime.put("Columns", columns, "Columns")
    keys = [
        {
            "keyName": k.get("keyName"),
            "keyColumns": [str(v) for v in _numbered(k.get("keyColumns"))],
            "primaryKey": bool(k.get("primaryKey", False)),
        }
        for k in _numbered(tree.get("Keys"))
    ]
    knime.put("Keys", keys, "Keys")
    if tree.get("TempTable"):
        knime.lost("a temporary table lives in one connection; knitflow's nodes each open their own")
    dynamic = ("NameBasedKeys", "KnimeBasedTypeMapping", "NameBasedTypeMapping")
    if tree.get("UseDynamicSettings") or any(tree.get(k) for k in dynamic):
        knime.lost("dynamic settings (columns and keys from the input table by rules) are not supported")
    if _creation_group(knime, "KNIME Data Table"):
        knime.lost("the optional KNIME data table input (for dynamic settings) is not supported")
    knime.unread("TempTable", "UseDynamicSettings", *dynamic)


def _numbered(tree: Any) -> list[Any]:
    """The entries of a config keyed Column0, Column1, ... (Key0, ...) in their order."""
    if not isinstance(tree, dict):
        return []
    return [
        v
        for _k, v in sorted(
            tree.items(), key=lambda kv: int("0" + "".join(ch for ch in kv[0] if ch.isdigit()))
        )
    ]


def _creation_group(knime: KnimeSettings, group: str) -> bool:
    """Whether the node's optional port group `group` holds a port (node_creation_config)."""
    creation = knime.node.creation_config if knime.node is not None else {}
    return bool((creation or {}).get(group))


def _sql_list(session: DBSession, names: list[str]) -> str:
    return ", ".join(session.quote(n) for n in names)


def _create_sql(session: DBSession, ref: str, settings: DBTableCreatorSettings) -> str:
    parts = [
        f"{session.quote(c.columnName)} {c.sqlTypeString}" + (" NOT NULL" if c.notNull else "")
        for c in settings.Columns
    ]
    parts += [
        f"CONSTRAINT {session.quote(k.keyName)} {'PRIMARY KEY' if k.primaryKey else 'UNIQUE'} "
        f"({_sql_list(session, k.keyColumns)})"
        for k in settings.Keys
    ]
    options = f" {settings.AdditionalOptions.strip()}" if settings.AdditionalOptions.strip() else ""
    return f"CREATE TABLE {ref} ({', '.join(parts)}){options}"


class DBTableCreator(_DBNode):
    type_name = "db_table_creator"
    display_name = "DB Table Creator"
    category = Category.OTHER
    description = (
        "Creates a database table with the columns (SQL types, NOT NULL) and primary / unique keys given; an "
        "existing table of that name fails the node or is replaced."
    )
    keywords = ("database", "create table", "ddl", "schema", "sql", "db")
    knime = (
        KnimeMapping(
            "org.knime.database.node.utility.tablecreator.DBTableCreateNodeFactory2",
            "DB Table Creator",
            _table_creator_from_knime,
            ports=lambda creation: ({1: None, 2: 1} if creation.get("KNIME Data Table") else {1: 1}, {1: 1}),
        ),
    )
    inputs = (_SESSION_IN,)
    outputs = (_SESSION_OUT,)
    Settings = DBTableCreatorSettings

    def _check(self, settings: DBTableCreatorSettings, cls: type[NodeError]) -> None:
        if not settings.dbTable.table:
            raise cls("No table name given", setting="dbTable")
        if not settings.Columns:
            raise cls("At least one column must be defined", setting="Columns")
        names = [c.columnName for c in settings.Columns]
        for c in settings.Columns:
            if not c.columnName or not c.sqlTypeString.strip():
                raise cls(f"column {c.columnName!r} needs a name and a SQL type", setting="Columns")
        for k in settings.Keys:
            missing = [n for n in k.keyColumns if n not in names]
            if not k.keyColumns or missing:
                raise cls(f"key {k.keyName!r} names columns that are not defined: {missing}", setting="Keys")

    def configure(self, in_specs: list[Any], settings: DBTableCreatorSettings, ctx: NodeContext) -> list[Any]:
        self._check(settings, ConfigureError)
        return [_pending_session(in_specs[0])]

    def execute(self, inputs: list[Any], settings: DBTableCreatorSettings, ctx: NodeContext) -> list[Any]:
        self._check(settings, NodeError)
        session = as_session(inputs[0])
        name = settings.dbTable
        ref = _table_ref(session, name, NodeError, "dbTable")
        with session.connect(NodeError) as conn, db_errors(NodeError, f"cannot create {ref}", "Columns"):
            if table_exists(conn, name.table, name.schema_):
                if settings.IfTableExists == "FAIL":
                    raise NodeError(f"Table {ref} already exists in the database", setting="IfTableExists")
                run_sql(conn, f"DROP TABLE {ref}")
            run_sql(conn, _create_sql(session, ref, settings))
        return [session]


# ------------------------------------------------------------------------------------- writer


class DBTableSelection(NodeSettings):
    catalogName: str = Field("", description="The catalog (database); empty: the session's.")
    schemaName: str = Field("", description="The schema; empty: the session's default.")
    tableName: str = Field("", description="The table to write to (created when it does not exist).")


class DBWriterSettings(NodeSettings):
    """KNIME's DB Writer settings (5.x keys; the older node's translate into them)."""

    tableSelection: DBTableSelection = Field(default_factory=DBTableSelection, description="The table.")
    actionOnTableExisting: Literal["APPEND_ROWS", "REMOVE_TABLE", "FAIL"] = Field(
        "APPEND_ROWS",
        description="If the table exists: append the rows, remove the table (and its rows) and create it anew, "
        "or fail.",
    )
    actionOnDBError: Literal["FAIL"] = Field("FAIL", description="A database error fails the node.")
    setDataColumns: ColumnFilter = Field(default_factory=ColumnFilter, description="The columns to write.")
    batchSize: int = Field(
        1000, ge=1, description="Rows per batch (KNIME's transfer size; no effect on the result)."
    )
    appendStatus: bool = Field(True, description="Append a column with each row's write status (1: written).")
    statusColumn: str = Field("Write Status", description="The status column's name.")
    appendError: bool = Field(
        True, description="Append a column for each row's database error (missing: none)."
    )
    errorColumn: str = Field("Write Error", description="The error column's name.")
    disablePort: bool = Field(False, description="Leave the DB Data output inactive.")
    knime_to_external_mapping: dict[str, str] = Field(
        default_factory=dict,
        description="KNIME type -> JDBC type rules for the columns of a created table (over the session's).",
        json_schema_extra=widget("text", advanced=True),
    )


def _writer_action(knime: KnimeSettings, value: Any, path: str) -> None:
    if value in ("APPEND_ROWS", "FAIL"):
        knime.put("actionOnTableExisting", value, path)
    else:
        knime.unreadable(f"{path} = {value!r} is not known to knitflow")


def _writer2_from_knime(knime: KnimeSettings) -> None:
    """DBWrite2NodeFactory (5.x): only the SET columns matter (WHERE columns are the DB Update's);
    an error is fatal or ignored (knitflow: fatal only); the output type mapping must be empty."""
    tree = knime.tree
    knime.take_all(
        ["tableSelection", "batchSize", "appendStatus", "statusColumn", "appendError", "errorColumn"]
    )
    knime.take("disablePort")
    knime.take("setDataColumns")
    _writer_action(knime, tree.get("actionOnTableExisting", "APPEND_ROWS"), "actionOnTableExisting")
    if tree.get("actionOnDBError", "FAIL") != "FAIL":
        knime.lost(f"actionOnDBError = {tree.get('actionOnDBError')!r}: knitflow fails on a database error")
    knime.paths["actionOnDBError"] = "actionOnDBError"
    if tree.get("allowSetColumns") is False:
        knime.lost("allowSetColumns = false is not known to knitflow; the chosen columns are written")
    mapping = tree.get("outputMapping") or {}
    if any(mapping.get(k) for k in mapping):
        knime.lost("the DB Data output's type mapping (outputMapping) is not supported")
    knime.unread("allowSetColumns", "allowWhereColumns", "whereDataColumns", "outputMapping")


def _writer_from_knime(knime: KnimeSettings) -> None:
    """DBWriteNodeFactory (KNIME 4.x-5.2): dbTable, setColumns, dropExisting, failOnError,
    showStatus, disableDbDataPort and the node's own KNIME -> JDBC type rules."""
    tree = knime.tree
    table = tree.get("dbTable") or {}
    knime.put(
        "tableSelection",
        {
            "catalogName": table.get("database", ""),
            "schemaName": table.get("schema", ""),
            "tableName": table.get("table", ""),
        },
        "dbTable",
    )
    knime.put(
        "actionOnTableExisting", "REMOVE_TABLE" if tree.get("dropExisting") else "APPEND_ROWS", "dropExisting"
    )
    knime.take("batchSize")
    knime.take("disablePort", "disableDbDataPort")
    if "setColumns" in tree:
        knime.put("setDataColumns", convert(tree["setColumns"], knime.report, "setColumns"), "setColumns")
    if tree.get("failOnError", True) is False:
        knime.lost("failOnError = false (keep writing after a database error) is not supported")
    knime.paths["failOnError"] = "actionOnDBError"
    status = bool(tree.get("showStatus", False))
    knime.put("appendStatus", status, "showStatus")
    knime.put("appendError", False)
    if status:
        knime.lost(
            "the status column's name in KNIME's older DB Writer is not known to knitflow: it is 'Write Status'"
        )
    rules = mapping_rules(knime, "knime_to_external_mapping", production=False)
    if rules is not None:
        knime.put("knime_to_external_mapping", rules, "knime_to_external_mapping")
    knime.unread()


_WRITABLE = frozenset(
    {ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE, ColumnType.STRING, ColumnType.BOOLEAN}
    | ColumnType.DATE_TIME
)


class DBWriter(_DBNode):
    type_name = "db_writer"
    display_name = "DB Writer"
    category = Category.SINK
    description = (
        "Writes the rows of a table into a database table, creating it (SQL types by the session's type mapping) "
        "when it does not exist; an existing table gets the rows appended, is removed and created anew, or fails "
        "the node. Outputs the input with a write status (and error) column and the written table as DB Data."
    )
    keywords = ("database", "write", "insert", "table", "sql", "db", "export")
    knime = (
        KnimeMapping(
            "org.knime.database.node.io.write2.DBWrite2NodeFactory", "DB Writer", _writer2_from_knime
        ),
        KnimeMapping("org.knime.database.node.io.write.DBWriteNodeFactory", "DB Writer", _writer_from_knime),
    )
    inputs = (Port(TABLE, "Data", "The rows to write."), _SESSION_IN)
    outputs = (
        Port(TABLE, "Input Data with Write Status", "The input with the status (and error) columns."),
        Port(DB_DATA, "DB Data", "The written table."),
    )
    Settings = DBWriterSettings

    def _names(self, spec: TableSpec, settings: DBWriterSettings, cls: type[NodeError]) -> list[str]:
        names = settings.setDataColumns.apply(spec)
        if not names:
            raise cls("No column selected to write", setting="setDataColumns")
        bad = [n for n in names if spec.type_of(n) not in _WRITABLE]
        if bad:
            raise cls(
                f"column {bad[0]!r} of type {spec.type_of(bad[0])} cannot be written",
                setting="setDataColumns",
            )
        if not settings.tableSelection.tableName:
            raise cls("No table selected", setting="tableSelection")
        return names

    def _out_spec(self, spec: TableSpec, settings: DBWriterSettings) -> TableSpec:
        extra = []
        if settings.appendStatus:
            extra.append((settings.statusColumn, ColumnType.INTEGER))
        if settings.appendError:
            extra.append((settings.errorColumn, ColumnType.STRING))
        for name, _t in extra:
            if name in spec:
                raise ConfigureError(f"Column {name!r} already exists in the input table")
        return spec.append(*extra)

    def configure(self, in_specs: list[Any], settings: DBWriterSettings, ctx: NodeContext) -> list[Any]:
        spec, db = in_specs
        table_spec: Any = UNKNOWN
        if isinstance(spec, TableSpec):
            self._names(spec, settings, ConfigureError)
            table_spec = self._out_spec(spec, settings)
        if settings.disablePort:
            return [table_spec, INACTIVE]
        data = DBData(as_session(db).pending(), "") if isinstance(db, DBSession | DBData) else UNKNOWN
        return [table_spec, data]

    def _create_columns(
        self, session: DBSession, spec: TableSpec, names: list[str], settings: DBWriterSettings
    ) -> str:
        mapping = {**dict(session.to_external), **settings.knime_to_external_mapping}
        cols = []
        for n in names:
            jdbc = mapping.get(spec.type_of(n))
            if jdbc is None:
                raise NodeError(
                    f"no SQL type for column {n!r} ({spec.type_of(n)})", setting="knime_to_external_mapping"
                )
            cols.append(f"{session.quote(n)} {sql_type_name(session.dialect, jdbc)}")
        return ", ".join(cols)

    def execute(self, inputs: list[Any], settings: DBWriterSettings, ctx: NodeContext) -> list[Any]:
        table, session = inputs[0], as_session(inputs[1], 2)
        names = self._names(table.spec, settings, NodeError)
        self._out_spec(table.spec, settings)
        sel = settings.tableSelection
        ref = session.table_ref(sel.tableName, sel.schemaName, sel.catalogName)
        with session.connect(NodeError) as conn, db_errors(NodeError, f"cannot write to {ref}"):
            exists = table_exists(conn, sel.tableName, sel.schemaName)
            if exists and settings.actionOnTableExisting == "FAIL":
                raise NodeError(
                    f"Table {ref} already exists in the database", setting="actionOnTableExisting"
                )
            if exists and settings.actionOnTableExisting == "REMOVE_TABLE":
                run_sql(conn, f"DROP TABLE {ref}")
            if not exists or settings.actionOnTableExisting == "REMOVE_TABLE":
                run_sql(
                    conn, f"CREATE TABLE {ref} ({self._create_columns(session, table.spec, names, settings)})"
                )
            insert_rows(conn, session, ref, table, names)
        out = table.df.copy(deep=False)
        types = {}
        if settings.appendStatus:
            out[settings.statusColumn] = np.ones(len(out), dtype=np.int64)
            types[settings.statusColumn] = ColumnType.INTEGER
        if settings.appendError:
            out[settings.errorColumn] = np.full(len(out), None, dtype=object)
            types[settings.errorColumn] = ColumnType.STRING
        if settings.disablePort:
            return [table.with_frame(out, types), INACTIVE]
        return [
            table.with_frame(out, types),
            _db_data(session, f"SELECT * FROM {ref}", {}, NodeError, "tableSelection"),
        ]


# ------------------------------------------------------------------------------------- loader


class DBLoaderSettings(NodeSettings):
    """KNIME's DB Loader settings: the target table (how the rows travel, file or memory, changes nothing)."""

    tableName: DBTableName = Field(
        default_factory=DBTableName, description="The existing table to load into."
    )


def _loader_from_knime(knime: KnimeSettings) -> None:
    """DBLoaderNodeFactory2: tableName is read; dbType names the database the dialog was made for,
    loaderMode, fileFormat and targetFolder how the rows travel (a CSV file or a stream), which
    changes nothing knitflow loads. A file system connection port is not supported."""
    knime.take("tableName")
    if _creation_group(knime, "File System Connection"):
        knime.lost(
            "the file system connection input (where the loader's temporary file goes) is not supported"
        )
    knime.unread("dbType", "loaderMode", "fileFormat", "targetFolder")


class DBLoader(_DBNode):
    type_name = "db_loader"
    display_name = "DB Loader"
    category = Category.SINK
    description = (
        "Loads all rows of a table into an existing database table whose columns match the input's in number, "
        "order and name (KNIME's bulk loader; knitflow inserts the rows in one batch)."
    )
    keywords = ("database", "load", "bulk", "insert", "import", "db")
    knime = (
        KnimeMapping(
            "org.knime.database.node.io.load.node.DBLoaderNodeFactory2",
            "DB Loader",
            _loader_from_knime,
            ports=lambda creation: (
                {1: None, 2: 1, 3: 2} if creation.get("File System Connection") else {1: 1, 2: 2},
                {1: 1},
            ),
        ),
    )
    inputs = (Port(TABLE, "Data", "The rows to load."), _SESSION_IN)
    outputs = (_SESSION_OUT,)
    Settings = DBLoaderSettings

    def configure(self, in_specs: list[Any], settings: DBLoaderSettings, ctx: NodeContext) -> list[Any]:
        if not settings.tableName.table:
            raise ConfigureError("No table selected", setting="tableName")
        return [_pending_session(in_specs[1])]

    def execute(self, inputs: list[Any], settings: DBLoaderSettings, ctx: NodeContext) -> list[Any]:
        table, session = inputs[0], as_session(inputs[1], 2)
        name = settings.tableName
        ref = _table_ref(session, name, NodeError, "tableName")
        names = table.columns
        with session.connect(NodeError) as conn, db_errors(NodeError, f"cannot load into {ref}"):
            if not table_exists(conn, name.table, name.schema_):
                raise NodeError(f"Table {ref} does not exist in the database", setting="tableName")
            db_names = table_columns(conn, name.table, name.schema_)
            if [n.lower() for n in db_names] != [n.lower() for n in names]:
                raise NodeError(
                    f"the input columns {names} do not match the columns of {ref} {db_names} (number, order and names)",
                    setting="tableName",
                )
            insert_rows(conn, session, ref, table, names)
        return [session]
