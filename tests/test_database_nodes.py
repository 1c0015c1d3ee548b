"""KNIME's DB nodes on a real SQLite file: connect, create, write, load, select, query, execute
SQL and read back (values checked against what the test wrote and computed itself); the
configure-time errors; a server connector without its Python driver; and the import of the
settings KNIME writes for each factory (keys as in saved workflows of KNIME 5.2-5.9)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_knime_import import config, findings, import_fragment
from test_knime_ports import CREATOR as TABLE_CREATOR
from test_knime_ports import CREATOR_MODEL, build

from engine.api import INACTIVE, ConfigureError, NodeError, Table
from engine.core.testing import configure_node, run_node
from engine.knime import ImportReport, load_knwf
from engine.knime.ports import port_kind
from nodes._database import DBData, DBSession

SQLITE = "org.knime.database.extension.sqlite.node.connector.SQLiteDBConnectorNodeFactory"
MSSQL = "org.knime.database.extension.mssql.node.connector.MSSQLDBConnectorNodeFactory"
MYSQL = "org.knime.database.extension.mysql.node.connector.MySQLDBConnectorNodeFactory"
POSTGRES = "org.knime.database.extension.postgres.node.connector.PostgreSQLDBConnectorNodeFactory"
GENERIC = "org.knime.database.node.connector.generic.DBConnectorNodeFactory"
SELECTOR = "org.knime.database.node.utility.tableselector.DBTableSelectNodeFactory"
QUERY_READER = "org.knime.database.node.io.reader.query.DBQueryReaderNodeFactory"
READER = "org.knime.database.node.io.reader.DBReadNodeFactory"
EXECUTOR = "org.knime.database.node.manipulation.executor.DBExecutorNodeFactory"
CREATOR = "org.knime.database.node.utility.tablecreator.DBTableCreateNodeFactory2"
WRITER = "org.knime.database.node.io.write.DBWriteNodeFactory"
WRITER2 = "org.knime.database.node.io.write2.DBWrite2NodeFactory"
LOADER = "org.knime.database.node.io.load.node.DBLoaderNodeFactory2"

PEOPLE = Table(
    pd.DataFrame(
        {
            "id": pd.array([1, 2, 3], dtype="int64"),
            "name": ["ann", None, "cy"],
            "score": [1.5, float("nan"), -2.25],
            "ok": [True, False, True],
            "born": [dt.date(1990, 5, 17), None, dt.date(2001, 1, 2)],
        },
        index=["Row0", "Row1", "Row2"],
    ),
    {"id": "Long", "name": "String", "score": "Double", "ok": "Boolean", "born": "Local Date"},
)


def connect(tmp_path: Path, **settings: Any) -> DBSession:
    session = run_node("db_sqlite_connector", {"path": str(tmp_path / "test.db"), **settings})[1]
    assert isinstance(session, DBSession) and session.live
    return session


def sql(tmp_path: Path, statement: str) -> list[tuple[Any, ...]]:
    """The database as sqlite3 itself sees it (independent of the nodes)."""
    with sqlite3.connect(tmp_path / "test.db") as conn:
        return conn.execute(statement).fetchall()


# ------------------------------------------------------------------------------- running for real


def test_write_select_and_read_back(tmp_path: Path) -> None:
    session = connect(tmp_path)
    run = run_node("db_writer", {"tableSelection": {"tableName": "people"}}, PEOPLE, session)
    assert run[1].columns == [*PEOPLE.columns, "Write Status", "Write Error"]
    assert run[1].df["Write Status"].tolist() == [1, 1, 1] and run[1].df["Write Error"].isna().all()
    # the created table: KNIME's default type mapping and SQL type names
    declared = {r[1]: r[2] for r in sql(tmp_path, "PRAGMA table_info(people)")}
    assert declared == {
        "id": "bigint",
        "name": "varchar(255)",
        "score": "double",
        "ok": "boolean",
        "born": "date",
    }
    assert sql(tmp_path, "SELECT * FROM people ORDER BY id") == [
        (1, "ann", 1.5, 1, "1990-05-17"),
        (2, None, None, 0, None),
        (3, "cy", -2.25, 1, "2001-01-02"),
    ]
    data = run[2]
    assert isinstance(data, DBData) and data.spec == PEOPLE.spec
    back = run_node("db_reader", {}, data)
    assert back.specs == [PEOPLE.spec]
    out = back[1]
    assert out.types == PEOPLE.types and out.row_ids == ["Row0", "Row1", "Row2"]
    assert out.df["name"].tolist() == ["ann", None, "cy"] and out.df["ok"].tolist() == [True, False, True]
    assert out.df["born"].tolist() == [dt.date(1990, 5, 17), None, dt.date(2001, 1, 2)]
    assert out.df["score"].tolist()[::2] == [1.5, -2.25] and pd.isna(out.df["score"].iloc[1])

    selected = run_node("db_table_selector", {"dbTable": {"table": "people"}}, session)[1]
    assert selected.query == 'SELECT * FROM "people"' and selected.spec == PEOPLE.spec
    custom = {
        "custom_query": True,
        "sql_statement": "SELECT name, id * 10 AS tens FROM people WHERE id > $${Imin}$$",
    }
    view = run_node("db_table_selector", custom, session, variables={"min": 1})[1]
    assert view.spec.to_json() == [{"name": "name", "type": "String"}, {"name": "tens", "type": "Integer"}]
    assert run_node("db_reader", {}, view)[1].df.to_dict("list") == {"name": [None, "cy"], "tens": [20, 30]}


def test_writer_append_replace_fail_and_disabled_port(tmp_path: Path) -> None:
    session = connect(tmp_path)
    table = {"tableSelection": {"tableName": "t"}}
    run_node("db_writer", table, PEOPLE, session)
    run_node("db_writer", {**table, "appendStatus": False, "appendError": False}, PEOPLE, session)
    assert sql(tmp_path, "SELECT count(*) FROM t") == [(6,)]
    keep_two = {"setDataColumns": {"included_names": ["id", "name"], "enforce_option": "EnforceInclusion"}}
    out = run_node(
        "db_writer",
        {**table, **keep_two, "actionOnTableExisting": "REMOVE_TABLE", "disablePort": True},
        PEOPLE,
        session,
    )
    assert out[2] is INACTIVE
    assert [r[1] for r in sql(tmp_path, "PRAGMA table_info(t)")] == ["id", "name"]
    assert sql(tmp_path, "SELECT count(*) FROM t") == [(3,)]
    with pytest.raises(NodeError, match="already exists"):
        run_node("db_writer", {**table, "actionOnTableExisting": "FAIL"}, PEOPLE, session)
    with pytest.raises(NodeError, match="has no column named score"):
        run_node("db_writer", table, PEOPLE, session)  # appending columns the table lacks


def test_table_creator_loader_executor_and_query_reader(tmp_path: Path) -> None:
    session = connect(tmp_path)
    creator = {
        "dbTable": {"table": "scores"},
        "Columns": [
            {"columnName": "id", "sqlTypeString": "integer", "notNull": True},
            {"columnName": "who", "sqlTypeString": "varchar(20)"},
            {"columnName": "points", "sqlTypeString": "numeric"},
        ],
        "Keys": [{"keyName": "pk_scores", "keyColumns": ["id"], "primaryKey": True}],
    }
    assert isinstance(run_node("db_table_creator", creator, session)[1], DBSession)
    create_sql = sql(tmp_path, "SELECT sql FROM sqlite_master WHERE name = 'scores'")[0][0]
    assert create_sql == (
        'CREATE TABLE "scores" ("id" integer NOT NULL, "who" varchar(20), "points" numeric, '
        'CONSTRAINT "pk_scores" PRIMARY KEY ("id"))'
    )
    with pytest.raises(NodeError, match="already exists"):
        run_node("db_table_creator", creator, session)
    run_node("db_table_creator", {**creator, "IfTableExists": "REPLACE"}, session)

    rows = Table.from_frame(
        pd.DataFrame({"ID": [1, 2, 3], "who": ["a", "b", "a"], "points": [10.5, 2.0, 4.0]})
    )
    run_node("db_loader", {"tableName": {"table": "scores"}}, rows, session)  # names match case-insensitively
    with pytest.raises(NodeError, match="do not match"):
        run_node(
            "db_loader",
            {"tableName": {"table": "scores"}},
            Table.from_frame(pd.DataFrame({"x": [1]})),
            session,
        )
    with pytest.raises(NodeError, match="does not exist"):
        run_node("db_loader", {"tableName": {"table": "nowhere"}}, rows, session)

    statements = "UPDATE scores SET points = points + 1 WHERE who = 'a';\n\nDELETE FROM scores WHERE id = 2;"
    run_node("db_sql_executor", {"statement": statements, "multipleStatement": True}, session)
    assert sql(tmp_path, "SELECT id, points FROM scores ORDER BY id") == [(1, 11.5), (3, 5.0)]
    with pytest.raises(NodeError, match="statement 1 failed"):  # SQLite runs one statement at a time
        run_node("db_sql_executor", {"statement": statements}, session)

    query = "SELECT who, count(*) AS n, sum(points) AS total, points FROM scores WHERE id = 1 GROUP BY who"
    out = run_node("db_query_reader", {"sql_statement": query}, session)[1]
    # the aggregates are typed by their values; NUMERIC reads as String in KNIME's SQLite mapping
    assert out.types == {"who": "String", "n": "Integer", "total": "Double", "points": "String"}
    assert out.df.to_dict("list") == {"who": ["a"], "n": [1], "total": [11.5], "points": ["11.5"]}
    as_double = connect(tmp_path, external_to_knime_mapping={"NUMERIC": "Double"})
    out = run_node("db_query_reader", {"sql_statement": "SELECT points FROM scores ORDER BY id"}, as_double)[
        1
    ]
    assert out.types == {"points": "Double"} and out.df["points"].tolist() == [11.5, 5.0]


def test_configure_time_errors_and_pending_sessions(tmp_path: Path) -> None:
    session = connect(tmp_path)
    with pytest.raises(ConfigureError, match="no such table: missing") as err:
        run_node("db_table_selector", {"dbTable": {"table": "missing"}}, session)
    assert err.value.setting == "dbTable"
    with pytest.raises(ConfigureError, match="syntax error") as err:
        run_node("db_table_selector", {"custom_query": True, "sql_statement": "SELECT FROM WHERE"}, session)
    assert err.value.setting == "sql_statement"
    with pytest.raises(ConfigureError, match="No table selected"):
        run_node("db_table_selector", {}, session)
    with pytest.raises(ConfigureError, match="SQL statement"):
        run_node("db_query_reader", {"sql_statement": "  "}, session)
    with pytest.raises(ConfigureError, match="not defined"):
        run_node(
            "db_table_creator",
            {
                "dbTable": {"table": "t"},
                "Columns": [{"columnName": "a"}],
                "Keys": [{"keyName": "k", "keyColumns": ["b"]}],
            },
            session,
        )
    with pytest.raises(NodeError, match="no such table"):
        run_node("db_query_reader", {"sql_statement": "SELECT * FROM missing"}, session)
    # before its database is ready (configured, not run), a session is not asked anything
    pending = configure_node("db_sqlite_connector", {"path": str(tmp_path / "test.db")})[0]
    data = configure_node("db_table_selector", {"dbTable": {"table": "missing"}}, pending)[0]
    assert isinstance(data, DBData) and data.columns is None and not data.session.live
    assert configure_node("db_reader", {}, data)[0] is not None


@pytest.mark.parametrize(
    ("node", "package"),
    [
        ("db_mysql_connector", "pymysql"),
        ("db_postgresql_connector", "psycopg"),
        ("db_mssql_connector", "pymssql"),
    ],
)
def test_server_connector_names_the_missing_driver(node: str, package: str) -> None:
    settings = {"host": "db.example.org", "database_name": "sales", "username": "u"}
    session = configure_node(node, settings)[0]
    assert isinstance(session, DBSession) and not session.live
    with pytest.raises(NodeError, match=f"pip install '{package}"):
        run_node(node, settings)


def test_generic_connector_translates_jdbc_urls(tmp_path: Path) -> None:
    url = f"jdbc:sqlite:{tmp_path / 'g.db'}"
    session = run_node("db_connector", {"db_url": url})[1]
    assert session.dialect == "sqlite" and session.database == str(tmp_path / "g.db")
    pg = configure_node("db_connector", {"db_url": "jdbc:postgresql://h:5433/db"})[0]
    assert (pg.dialect, pg.host, pg.port, pg.database) == ("postgresql", "h", 5433, "db")
    ms = configure_node("db_connector", {"db_url": "jdbc:sqlserver://h:1433;databaseName=x;encrypt=true"})[0]
    assert (ms.dialect, ms.database) == ("mssql", "x")
    with pytest.raises(ConfigureError, match="no SQLAlchemy dialect"):
        configure_node("db_connector", {"db_url": "jdbc:oracle:thin:@h:1521:orcl"})


def test_port_kinds_of_knime_db_ports() -> None:
    assert port_kind("org.knime.database.port.DBSessionPortObject") == "knime.database"
    assert port_kind("org.knime.database.port.DBSessionPortObjectSpec") == "knime.database"
    assert port_kind("org.knime.database.port.DBDataPortObject") == "knime.database.data"
    assert port_kind("org.knime.database.port.DBDataPortObjectSpec") == "knime.database.data"


# ------------------------------------------------------------------------------------ imports

SQLITE_INFO = {
    "version": 7,
    "db_type": "sqlite",
    "db_dialect": "sqlite",
    "db_driver": "built-in-sqlite-3.45.2.0",
    "db_driver_latest": True,
    "attributes": {},
}


def production_rule(external: str, cell: str, java: str = "java.lang.String") -> dict[str, Any]:
    """One rule of a connector's external_to_knime_mapping, with every key KNIME writes."""
    return {
        "external_type": external,
        "intermediate_type": java,
        "type": {"cell_class": cell},
        "production_path_converter": f"{cell}Factory.create(class {java})",
        "production_path_converter_src": java,
        "production_path_converter_dst": "String",
        "production_path_converter_name": "String",
        "production_path_converter_config": {},
        "production_path_producer": f"{external}->{java}",
        "production_path_producer_src": external,
        "production_path_producer_dst": java,
        "production_path_producer_name": java,
        "production_path_producer_config": {},
    }


def consumption_rule(cell: str, external: str, java: str = "java.lang.Boolean") -> dict[str, Any]:
    return {
        "type": {"cell_class": cell},
        "intermediate_type": java,
        "external_type": external,
        "consumption_path_converter": f"SimpleDataCellToJavaConverterFactory(BooleanValue,class {java},Boolean)",
        "consumption_path_converter_src": "org.knime.core.data.BooleanValue",
        "consumption_path_converter_dst": java,
        "consumption_path_converter_name": "Boolean",
        "consumption_path_converter_config": {},
        "consumption_path_consumer": f"{java}->{external}",
        "consumption_path_consumer_src": java,
        "consumption_path_consumer_dst": external,
        "consumption_path_consumer_name": external,
        "consumption_path_consumer_config": {},
    }


MAPPINGS = {
    "external_to_knime_mapping_Internals": {"SettingsModelID": "SMID_dataTypeMapping", "EnabledStatus": True},
    "external_to_knime_mapping": {
        "type_to_type_mapping_rules": {
            "type_to_type_mapping_rule_0": production_rule("NUMERIC", "org.knime.core.data.def.StringCell"),
            "type_to_type_mapping_rule_1": production_rule("BIGINT", "org.knime.core.data.def.StringCell"),
        }
    },
    "knime_to_external_mapping_Internals": {"SettingsModelID": "SMID_dataTypeMapping", "EnabledStatus": True},
    "knime_to_external_mapping": {
        "type_to_type_mapping_rules": {
            "type_to_type_mapping_rule_0": consumption_rule("org.knime.core.data.def.BooleanCell", "BOOLEAN"),
        }
    },
}


def test_import_sqlite_connector(tmp_path: Path) -> None:
    model: dict[str, Any] = {
        "session_info": SQLITE_INFO,
        "sqlite-connection": {
            "location": "FILE",
            "path": "C:\\Users\\me\\knime-workspace\\data\\shop.db",
            "in_memory_database_name": "temporary",
        },
        **MAPPINGS,
    }
    node, report, _ = import_fragment(tmp_path, SQLITE, model)
    assert node.type == "db_sqlite_connector" and findings(report) == []
    # NUMERIC -> String is SQLite's default; BIGINT -> String is the user's own rule
    assert node.settings == {
        "path": "${data_dir}/shop.db",
        "external_to_knime_mapping": {"BIGINT": "String"},
        "knime_to_external_mapping": {},
    }
    memory = {**model, "sqlite-connection": {**model["sqlite-connection"], "location": "IN_MEMORY"}}
    _, report, _ = import_fragment(tmp_path, SQLITE, memory)
    assert any("IN_MEMORY" in f for f in findings(report))


def server_model(section: str, db_type: str, auth: dict[str, Any], **info: Any) -> dict[str, Any]:
    return {
        "authentication_Internals": {"SettingsModelID": "SMID_authentication", "EnabledStatus": True},
        "authentication": auth,
        "session_info": {
            "version": 7,
            "db_type": db_type,
            "db_dialect": db_type,
            "db_driver": f"built-in-{db_type}-9.4.0",
            "db_driver_latest": True,
            "attributes": {},
            **info,
        },
        section: {"host": "abc", "port": 1433, "database_name": "steam"},
        **MAPPINGS,
    }


@pytest.mark.parametrize(
    ("factory", "section", "db_type", "node_type"),
    [
        (MSSQL, "mssql-server-connection", "mssqlserver", "db_mssql_connector"),
        (MYSQL, "mysql-connection", "mysql", "db_mysql_connector"),
        (POSTGRES, "postgres-connection", "postgres", "db_postgresql_connector"),
    ],
)
def test_import_server_connectors(
    tmp_path: Path, factory: str, section: str, db_type: str, node_type: str
) -> None:
    no_auth = {"credentials": None, "username": None, "selectedType": "NONE"}
    node, report, _ = import_fragment(tmp_path, factory, server_model(section, db_type, no_auth))
    assert node.type == node_type and findings(report) == []
    assert {k: node.settings[k] for k in ("host", "port", "database_name")} == {
        "host": "abc",
        "port": 1433,
        "database_name": "steam",
    }
    assert node.settings["external_to_knime_mapping"] == {"NUMERIC": "String", "BIGINT": "String"}
    user_pwd = {
        "credentials": None,
        "username": "admin",
        "password": "02CAAAAGMq_QxveL1vZ0E==",
        "selectedType": "USER_PWD",
    }
    node, report, _ = import_fragment(tmp_path, factory, server_model(section, db_type, user_pwd))
    assert node.settings["username"] == "admin" and "password" not in node.settings
    assert [f for f in findings(report) if "encrypted" in f]
    credentials = {"credentials": "credentials", "username": None, "selectedType": "CREDENTIALS"}
    _, report, _ = import_fragment(tmp_path, factory, server_model(section, db_type, credentials))
    assert any("credentials" in f for f in findings(report))


def test_import_generic_connector(tmp_path: Path) -> None:
    auth = {"credentials": None, "username": "me", "selectedType": "USER"}
    model = server_model("unused", "default", auth, db_url="jdbc:sqlite:C:/data/x.db")
    del model["unused"]
    node, report, _ = import_fragment(tmp_path, GENERIC, model)
    assert node.type == "db_connector" and findings(report) == []
    assert node.settings["db_url"] == "jdbc:sqlite:C:/data/x.db" and node.settings["username"] == "me"
    model["session_info"]["db_url"] = "jdbc:oracle:thin:@h:1521:orcl"
    _, report, _ = import_fragment(tmp_path, GENERIC, model)
    assert any("no SQLAlchemy dialect" in f for f in findings(report))


def test_import_table_selector_query_reader_and_reader(tmp_path: Path) -> None:
    selector = {
        "dbTable_Internals": {"SettingsModelID": "SMID_dbmetadata", "EnabledStatus": True},
        "dbTable": {"database": "", "schema": "geo", "table": "master"},
        "external_to_knime_mapping_Internals": {
            "SettingsModelID": "SMID_dataTypeMapping",
            "EnabledStatus": True,
        },
        "external_to_knime_mapping": {},
        "sql_statement": "SELECT id FROM $${Ssource}$$\nWHERE x IS NULL",
        "custom_query": True,
    }
    node, report, _ = import_fragment(tmp_path, SELECTOR, selector)
    assert node.type == "db_table_selector" and findings(report) == []
    assert node.settings["dbTable"] == {"database": "", "schema": "geo", "table": "master"}
    assert node.settings["custom_query"] is True and node.settings["sql_statement"].startswith(
        "SELECT id FROM $${S"
    )
    reader = {
        "sql_statement": "select * from europe_data",
        "external_to_knime_mapping_Internals": {
            "SettingsModelID": "SMID_dataTypeMapping",
            "EnabledStatus": True,
        },
        "external_to_knime_mapping": {},
    }
    node, report, _ = import_fragment(tmp_path, QUERY_READER, reader)
    assert node.type == "db_query_reader" and findings(report) == []
    assert node.settings["sql_statement"] == "select * from europe_data"
    node, report, _ = import_fragment(tmp_path, READER, {})
    assert node.type == "db_reader" and findings(report) == []


def test_import_sql_executor(tmp_path: Path) -> None:
    model = {
        "statementSeparator": ";",
        "statement": "TRUNCATE TABLE public.a;\nTRUNCATE TABLE public.b;",
        "multipleStatement_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "multipleStatement": False,
    }
    node, report, _ = import_fragment(tmp_path, EXECUTOR, model)
    assert node.type == "db_sql_executor" and findings(report) == []
    assert node.settings == {
        "statement": model["statement"],
        "multipleStatement": False,
        "statementSeparator": ";",
    }


def creator_model(**changes: Any) -> dict[str, Any]:
    internals = {"SettingsModelID": "SMID_boolean", "EnabledStatus": True}
    return {
        "dbTable_Internals": {"SettingsModelID": "SMID_dbmetadata", "EnabledStatus": True},
        "dbTable": {"database": "", "schema": "dbo", "table": "SteamUsers"},
        "TempTable_Internals": internals,
        "TempTable": False,
        "IfTableExists_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "IfTableExists": "REPLACE",
        "UseDynamicSettings_Internals": internals,
        "UseDynamicSettings": False,
        "AdditionalOptions_Internals": {"SettingsModelID": "SMID_string", "EnabledStatus": True},
        "AdditionalOptions": "",
        "Keys": {"Key0": {"keyName": "steamID", "keyColumns": {"Column0": "steamID"}, "primaryKey": True}},
        "Columns": {
            "Column0": {"columnName": "steamID", "sqlTypeString": "bigint", "notNull": True},
            "Column1": {
                "columnName": "nickname",
                "sqlType": "VARCHAR",
                "sqlTypeString": "varchar(255)",
                "notNull": False,
            },
        },
        "NameBasedKeys": {},
        "KnimeBasedTypeMapping": {},
        "NameBasedTypeMapping": {},
        **changes,
    }


CREATOR_PORTS = config(
    "node_creation_config",
    **{
        "KNIME Data Table": {},
        "DB Input": {"object_class": "org.knime.database.port.DBSessionPortObject"},
        "DB Output": {"object_class": "org.knime.database.port.DBSessionPortObject"},
    },
)


def test_import_table_creator(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, CREATOR, creator_model(), extra=CREATOR_PORTS)
    assert node.type == "db_table_creator" and findings(report) == []
    assert node.settings["IfTableExists"] == "REPLACE"
    assert node.settings["Columns"] == [
        {"columnName": "steamID", "sqlTypeString": "bigint", "notNull": True},
        {"columnName": "nickname", "sqlTypeString": "varchar(255)", "notNull": False},
    ]
    assert node.settings["Keys"] == [{"keyName": "steamID", "keyColumns": ["steamID"], "primaryKey": True}]
    # it creates what KNIME would (the schema left out: SQLite has none but main)
    session = connect(tmp_path)
    settings = {**node.settings, "dbTable": {"table": "SteamUsers"}}
    run_node("db_table_creator", settings, session)
    assert [r[1:4] for r in sql(tmp_path, "PRAGMA table_info(SteamUsers)")] == [
        ("steamID", "bigint", 1),
        ("nickname", "varchar(255)", 0),
    ]
    _, report, _ = import_fragment(tmp_path, CREATOR, creator_model(TempTable=True, UseDynamicSettings=True))
    assert len(findings(report)) == 2


def writer2_model(action: str = "APPEND_ROWS") -> dict[str, Any]:
    def web_filter(include_unknown: bool) -> dict[str, Any]:
        return {
            "mode": "MANUAL",
            "patternFilter": {"pattern": "", "isCaseSensitive": False, "isInverted": False},
            "manualFilter": {
                "manuallySelected": [],
                "manuallyDeselected": [],
                "includeUnknownColumns": include_unknown,
            },
            "typeFilter": {"selectedTypes": []},
        }

    return {
        "tableSelection": {"catalogName": "", "schemaName": "", "tableName": "genres"},
        "actionOnDBError": "FAIL",
        "batchSize": 1000,
        "allowSetColumns": True,
        "allowWhereColumns": False,
        "whereDataColumns": web_filter(False),
        "setDataColumns": web_filter(True),
        "appendStatus": True,
        "statusColumn": "Write Status",
        "appendError": True,
        "errorColumn": "Write Error",
        "disablePort": False,
        "outputMapping": {"byNameSettings": {}, "byTypeSettings": {}},
        "actionOnTableExisting": action,
    }


def test_import_writers(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, WRITER2, writer2_model())
    assert node.type == "db_writer" and findings(report) == []
    session = connect(tmp_path)
    out = run_node("db_writer", node.settings, PEOPLE, session)
    assert out[1].columns[-2:] == ["Write Status", "Write Error"]
    assert sql(tmp_path, "SELECT count(*) FROM genres") == [(3,)]
    node, report, _ = import_fragment(tmp_path, WRITER2, writer2_model("SOMETHING_ELSE"))
    assert node.type == "knime_placeholder"  # never a writer that treats the table otherwise

    legacy = {
        "failOnError_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "failOnError": True,
        "batchSize_Internals": {"SettingsModelID": "SMID_integer", "EnabledStatus": True},
        "batchSize": 1000,
        "showStatus_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "showStatus": False,
        "knime_to_external_mapping_Internals": {
            "SettingsModelID": "SMID_dataTypeMapping",
            "EnabledStatus": True,
        },
        "knime_to_external_mapping": {},
        "dbTable_Internals": {"SettingsModelID": "SMID_dbmetadata", "EnabledStatus": True},
        "dbTable": {"database": "", "schema": "", "table": "DM_Vendedor"},
        "disableDbDataPort_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "disableDbDataPort": False,
        "setColumns": {
            "filter-type": "STANDARD",
            "included_names": ["id", "name"],
            "excluded_names": [],
            "enforce_option": "EnforceExclusion",
            "name_pattern": {
                "pattern": "",
                "type": "Wildcard",
                "caseSensitive": True,
                "excludeMatching": False,
            },
        },
        "dropExisting_Internals": {"SettingsModelID": "SMID_boolean", "EnabledStatus": True},
        "dropExisting": True,
    }
    node, report, _ = import_fragment(tmp_path, WRITER, legacy)
    assert node.type == "db_writer" and findings(report) == []
    assert node.settings["actionOnTableExisting"] == "REMOVE_TABLE"
    assert node.settings["tableSelection"]["tableName"] == "DM_Vendedor"
    out = run_node("db_writer", node.settings, PEOPLE, session)
    assert out[1].columns == PEOPLE.columns  # showStatus off: no status column
    _, report, _ = import_fragment(tmp_path, WRITER, {**legacy, "showStatus": True, "failOnError": False})
    assert len(findings(report)) == 2


def test_import_loader(tmp_path: Path) -> None:
    internals = {"SettingsModelID": "SMID_string", "EnabledStatus": True}
    model = {
        "dbType": "mysql",
        "targetFolder_Internals": {"SettingsModelID": "SMID_WriterFileChooser", "EnabledStatus": False},
        "targetFolder": {
            "path": {"location_present": True, "file_system_type": "LOCAL", "path": ""},
            "create_missing_folders": False,
        },
        "tableName_Internals": {"SettingsModelID": "SMID_dbmetadata", "EnabledStatus": True},
        "tableName": {"database": "", "schema": "", "table": "Teste_Load"},
        "loaderMode_Internals": internals,
        "loaderMode": "memoryStream",
        "fileFormat_Internals": {"SettingsModelID": "SMID_csvfileformat", "EnabledStatus": True},
        "fileFormat": {
            "colSeparator": ",",
            "missing": "\\N",
            "quoteBegin": '"',
            "quoteEnd": '"',
            "quoteMode": "STRINGS",
        },
    }
    ports = config(
        "node_creation_config",
        **{
            "File System Connection": {},
            "Data Input": {},
            "DB Input": {"object_class": "org.knime.database.port.DBSessionPortObject"},
            "DB Output": {"object_class": "org.knime.database.port.DBSessionPortObject"},
        },
    )
    node, report, _ = import_fragment(tmp_path, LOADER, model, extra=ports)
    assert node.type == "db_loader" and findings(report) == []
    assert node.settings == {"tableName": {"database": "", "schema": "", "table": "Teste_Load"}}


def test_imported_workflow_runs(tmp_path: Path) -> None:
    """A KNIME workflow as KNIME wires it: Table Creator -> DB Writer port 1, SQLite Connector -> DB
    Writer port 2, DB Writer's DB Data (port 2) -> DB Reader; imported, it loads and runs."""
    connector = {
        "session_info": SQLITE_INFO,
        "sqlite-connection": {
            "location": "FILE",
            "path": "D:\\knime\\shop.db",
            "in_memory_database_name": "x",
        },
    }
    root = build(
        tmp_path,
        [
            (1, TABLE_CREATOR, CREATOR_MODEL, ""),
            (2, SQLITE, connector, ""),
            (3, WRITER2, writer2_model(), ""),
            (4, READER, {}, ""),
        ],
        [(1, 1, 3, 1), (2, 1, 3, 2), (3, 2, 4, 1)],
    )
    report = ImportReport()
    wf = load_knwf(root, data_dir=str(tmp_path), report=report)
    assert len(wf.doc.connections) == 3 and not report.of_kind("connection")
    result = wf.run()
    assert result.ok, {n: s.error for n, s in result.status.items()}
    assert result.node(4).outputs[0].df["x"].tolist() == [1.0, 2.0, 3.0]
    with sqlite3.connect(tmp_path / "shop.db") as conn:  # the file the connector's path names in data_dir
        assert conn.execute("SELECT x FROM genres").fetchall() == [(1.0,), (2.0,), (3.0,)]
