"""Spark Numeric Scorer: KNIME's regression scores, the sums computed in Spark SQL."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, get
from nodes._spark import (
    SPARK_DATA,
    need_spark_data,
    require_spark,
    spark_column,
)
from nodes._spark_ml import _as_node_error, _spec

# ------------------------------------------------------------------------- Spark Numeric Scorer

SCORE_ROWS = (
    "R^2",
    "mean absolute error",
    "mean squared error",
    "root mean squared deviation",
    "mean signed difference",
)


class SparkNumericScorerSettings(NodeSettings):
    """KNIME's NumericScorerSettings as the Spark Numeric Scorer saves them (`reference`, `predicted`,
    `override default output name`, `output column`, `generate flow variables`,
    `name prefix for flowvars`)."""

    reference: str | None = Field(None, description="The numeric reference (true) column.")
    predicted: str | None = Field(None, description="The numeric predicted column.")
    override_default_output_name: bool = Field(
        False, description="Name the output column `output_column` instead of after the predicted column."
    )
    output_column: str = Field(
        "", description="Output column name when `override_default_output_name` is on."
    )
    generate_flow_variables: bool = Field(
        False, description="Also push the five scores as Double flow variables named like the output rows."
    )
    name_prefix_for_flowvars: str = Field("", description="Prefix of the flow variable names.")


def _spark_scorer_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    for k in ("reference", "predicted"):
        if get(tree, f"{k}.useRowID"):
            knime.lost(f"{k}: using the RowID as a column is not supported (Spark data has no RowIDs)")
        knime.put(k, get(tree, f"{k}.columnName"), k)
    knime.take_all(
        [
            "override default output name",
            "output column",
            "generate flow variables",
            "name prefix for flowvars",
        ]
    )
    if not tree.get("override default output name"):
        knime.settings.pop("output_column", None)


def _check_score_column(spec: TableSpec, name: str | None, setting: str, what: str) -> None:
    if not name:
        raise ConfigureError(f"No columns selected for {what}", setting=setting)
    col = spec.get(name)
    if col is None:
        raise ConfigureError(f"No such column in input table: {name}", setting=setting)
    if not col.is_numeric():
        raise ConfigureError(f"The {what} column ({name}) is not double valued: {col.type}", setting=setting)


class SparkNumericScorer(Node):
    """KNIME's Spark Numeric Scorer (SparkNumericScorerNodeFactory)."""

    type_name = "spark_numeric_scorer"
    display_name = "Spark Numeric Scorer"
    category = Category.SCORER
    description = (
        "Scores a numeric prediction column of Spark data against a reference column, computed in Spark as "
        "KNIME's job does: rows with a missing reference are skipped, a missing prediction is an error. Output: one "
        "Double column (named after the predicted column unless overridden) with the rows R^2, mean absolute "
        "error, mean squared error, root mean squared deviation and mean signed difference (prediction - "
        "reference); optionally the same as flow variables."
    )
    keywords = ("spark", "R2", "RMSE", "MAE", "MSE", "regression", "score")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.scorer.numeric.SparkNumericScorerNodeFactory",
            "Spark Numeric Scorer",
            _spark_scorer_from_knime,
        ),
    )
    inputs = (Port(SPARK_DATA, "Spark data", "With a reference and a prediction column."),)
    outputs = (Port(TABLE, "Scores", "Five rows of regression metrics."),)
    Settings = SparkNumericScorerSettings

    @staticmethod
    def _output_name(settings: SparkNumericScorerSettings) -> str:
        return settings.output_column if settings.override_default_output_name else str(settings.predicted)

    def configure(
        self, in_specs: list[Any], settings: SparkNumericScorerSettings, ctx: NodeContext
    ) -> list[Any]:
        require_spark()
        spec = _spec(in_specs[0])
        if spec is not None:
            _check_score_column(spec, settings.reference, "reference", "reference")
            _check_score_column(spec, settings.predicted, "predicted", "prediction")
        elif not settings.reference or not settings.predicted:
            raise ConfigureError(
                "no reference or prediction column selected",
                setting="reference" if not settings.reference else "predicted",
            )
        return [TableSpec.of([(self._output_name(settings), ColumnType.DOUBLE)])]

    def execute(self, inputs: list[Any], settings: SparkNumericScorerSettings, ctx: NodeContext) -> list[Any]:
        from pyspark.sql import functions as F

        data = need_spark_data(inputs[0], 1)
        try:
            _check_score_column(data.spec, settings.reference, "reference", "reference")
            _check_score_column(data.spec, settings.predicted, "predicted", "prediction")
        except ConfigureError as exc:
            raise _as_node_error(exc) from None
        frame = data.dataframe(ctx)
        ref, pred = "ref", "pred"
        filtered = frame.select(
            spark_column(str(settings.reference)).cast("double").alias(ref),
            spark_column(str(settings.predicted)).cast("double").alias(pred),
        ).where(F.col(ref).isNotNull() & ~F.isnan(F.col(ref)))
        sums = filtered.agg(
            F.count(F.lit(1)),
            F.sum((F.col(pred).isNull() | F.isnan(F.col(pred))).cast("int")),
            F.sum(F.col(ref)),
            F.sum(F.abs(F.col(ref) - F.col(pred))),
            F.sum(F.pow(F.col(ref) - F.col(pred), 2.0)),
            F.sum(F.col(pred) - F.col(ref)),
        ).first()
        assert sums is not None
        count = int(sums[0])
        if count == 0:
            raise NodeError("Unsupported empty input dataset detected.")
        if sums[1]:
            raise NodeError(
                f"Unsupported missing values in prediction column '{settings.predicted}' detected.",
                setting="predicted",
            )
        sums = sums[2:]
        mean_observed = sums[0] / count
        abs_error, squared_error, signed_diff = sums[1] / count, sums[2] / count, sums[3] / count
        null_model = (
            filtered.select(F.pow(F.col(ref) - F.lit(mean_observed), 2.0).alias("e")).agg(F.mean("e")).first()
        )
        assert null_model is not None
        values = [
            1.0 - squared_error / null_model[0] if null_model[0] else math.nan,
            abs_error,
            squared_error,
            math.sqrt(squared_error),
            signed_diff,
        ]
        if settings.generate_flow_variables:
            for row, value in zip(SCORE_ROWS, values, strict=True):
                ctx.push_variable(f"{settings.name_prefix_for_flowvars}{row}", float(value), "Double")
        name = self._output_name(settings)
        frame_out = pd.DataFrame({name: [float(v) for v in values]}, index=list(SCORE_ROWS))
        return [Table(frame_out, {name: ColumnType.DOUBLE})]
