"""Table to Spark and Spark to Table: tables into Spark data and back (RowIDs do not travel, as in
KNIME). Small tables stay on the driver as the Spark data's rows and go to Spark only when a Spark
operation needs them, so a round trip of small data runs no Spark job."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    row_ids,
)
from engine.api.knime import KnimeMapping, ignore_settings
from nodes._spark import (
    SPARK_CONTEXT,
    SPARK_DATA,
    SparkContextInfo,
    SparkData,
    check_convertible,
    driver_copy,
    frame_from_pandas,
    need_spark_data,
    require_spark,
    spark_data_spec,
    spark_message,
    spark_session,
)

# ------------------------------------------------------------------------------- Table to Spark


class TableToSparkSettings(NodeSettings):
    pass


class TableToSpark(Node):
    type_name = "table_to_spark"
    display_name = "Table to Spark"
    category = Category.MANIPULATOR
    description = (
        "Copies a data table into a Spark DataFrame (same columns and row order; RowIDs are not transferred)."
    )
    keywords = ("spark", "upload", "dataframe", "big data")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.io.table.reader.Table2SparkNodeFactory2",
            "Table to Spark",
            ignore_settings,
        ),
    )
    inputs = (Port(TABLE, "Data table"), Port(SPARK_CONTEXT, "Spark context"))
    outputs = (Port(SPARK_DATA, "Spark data"),)
    Settings = TableToSparkSettings

    def configure(self, in_specs: list[Any], settings: TableToSparkSettings, ctx: NodeContext) -> list[Any]:
        require_spark()
        spec = in_specs[0] if isinstance(in_specs[0], TableSpec) else None
        if spec is None:
            return [UNKNOWN]
        check_convertible(spec)
        return [spec]

    def execute(self, inputs: list[Any], settings: TableToSparkSettings, ctx: NodeContext) -> list[Any]:
        table, info = inputs
        if not isinstance(table, Table):
            raise NodeError("input port 1 has no data table")
        if not isinstance(info, SparkContextInfo):
            raise NodeError(
                "input port 2 has no Spark context (connect port 3 of Create Local Big Data Environment)"
            )
        try:
            check_convertible(table.spec)
        except ConfigureError as exc:
            raise NodeError(str(exc)) from None
        snapshot = driver_copy(table.df, table.columns)
        if snapshot is not None:
            # the table itself (no copy): uploaded when a Spark operation first needs it, and fetched back
            # or checked without a Spark job
            return [SparkData(None, table.columns, dict(table.types), info, snapshot)]
        session = spark_session(ctx, info)
        frame = frame_from_pandas(session, table.df, table.columns, table.types)
        return [SparkData(frame, table.columns, dict(table.types), info)]


# ------------------------------------------------------------------------------- Spark to Table


class SparkToTableSettings(NodeSettings):
    fetchAll: bool = Field(True, description="Fetch all rows (else only the first fetchSize rows).")
    fetchSize: int = Field(1000, ge=1, description="Rows to fetch when fetchAll is off.")


class SparkToTable(Node):
    type_name = "spark_to_table"
    display_name = "Spark to Table"
    category = Category.MANIPULATOR
    description = "Fetches Spark data into a data table; RowIDs Row0, Row1, ... in Spark row order."
    keywords = ("spark", "download", "collect", "dataframe", "big data")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.io.table.writer.Spark2TableNodeFactory",
            "Spark to Table",
            skip=("knospInputID",),  # KNIME's internal id of a streamed input (null in saved workflows)
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data"),)
    outputs = (Port(TABLE, "Data table"),)
    Settings = SparkToTableSettings

    def configure(self, in_specs: list[Any], settings: SparkToTableSettings, ctx: NodeContext) -> list[Any]:
        require_spark()
        spec = spark_data_spec(in_specs[0])
        return [spec if spec is not None else UNKNOWN]

    def execute(self, inputs: list[Any], settings: SparkToTableSettings, ctx: NodeContext) -> list[Any]:
        data = need_spark_data(inputs[0], 1)
        try:
            df = data.to_pandas(ctx, None if settings.fetchAll else settings.fetchSize)
        except Exception as exc:
            raise NodeError(f"fetching the Spark data failed: {spark_message(exc)}") from exc
        types = df.attrs.pop("knime_types")
        df.index = row_ids(len(df))
        return [Table(df, types)]
