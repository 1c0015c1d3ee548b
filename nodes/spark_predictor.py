"""Spark Predictor (Regression): applies a Spark ML model to Spark data."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from engine.api import (
    UNKNOWN,
    Cancelled,
    Category,
    ColumnType,
    ConfigureError,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    TableSpec,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping
from nodes._spark import (
    SPARK_DATA,
    SparkData,
    need_spark_data,
    require_spark,
    spark_message,
)
from nodes._spark_ml import NOMINAL_FEATURES, SPARK_ML_MODEL, SparkMLModel, _as_node_error, _spec

# ------------------------------------------------------------------ Spark Predictor (Regression)


class SparkPredictorRegressionSettings(NodeSettings):
    """KNIME's MLPredictorRegressionNodeSettings (`overwritePredictionColumn`, `predictionColumn`)."""

    overwritePredictionColumn: bool = Field(
        False,
        title="Change prediction column name",
        description="Name the prediction column `predictionColumn` instead of `Prediction (<target>)`.",
    )
    predictionColumn: str = Field(
        "Prediction",
        title="Prediction column",
        description="Name of the new prediction column when overwritten.",
        json_schema_extra=widget("new_column"),
    )


def _prediction_name(spec: TableSpec, target: str, s: SparkPredictorRegressionSettings) -> str:
    name = s.predictionColumn if s.overwritePredictionColumn else f"Prediction ({target})"
    return unique_column_name(spec.names, name)


def _check_features(learning: TableSpec, spec: TableSpec) -> None:
    """MLPredictionUtils.checkFeatureColumns: every feature column present with a compatible type."""
    for col in learning.columns:
        have = spec.get(col.name)
        if have is None:
            raise ConfigureError(f"Feature column '{col.name}' not found in input data")
        nominal = col.type in NOMINAL_FEATURES
        if nominal != (have.type in NOMINAL_FEATURES):
            raise ConfigureError(
                f"Feature column '{col.name}' has type {have.type}, but the model was learned on {col.type}"
            )


class SparkPredictorRegression(Node):
    """KNIME's Spark Predictor (Regression) (MLPredictorRegressionNodeFactory)."""

    type_name = "spark_predictor_regression"
    display_name = "Spark Predictor (Regression)"
    category = Category.PREDICTOR
    description = (
        "Applies a Spark ML regression model to Spark data: appends a Double column `Prediction (<target>)` (or "
        "a custom name, made unique). Rows the model's missing-value rule skips are dropped."
    )
    keywords = ("spark", "predict", "regression", "mllib", "apply")
    knime = (
        KnimeMapping(
            "org.knime.bigdata.spark.node.ml.prediction.predictor.regression.MLPredictorRegressionNodeFactory",
            "Spark Predictor (Regression)",
        ),
    )
    inputs = (
        Port(SPARK_ML_MODEL, "Spark ML model", "A regression model."),
        Port(SPARK_DATA, "Spark data", "Data to predict."),
    )
    outputs = (Port(SPARK_DATA, "Spark data with predictions"),)
    Settings = SparkPredictorRegressionSettings

    def configure(
        self, in_specs: list[Any], settings: SparkPredictorRegressionSettings, ctx: NodeContext
    ) -> list[Any]:
        require_spark()
        mspec, spec = in_specs[0], _spec(in_specs[1])
        if not isinstance(mspec, ModelSpec) or spec is None or mspec.target is None:
            return [UNKNOWN]
        if mspec.details.get("category") != "REGRESSION":
            raise ConfigureError(f"{mspec.kind} models are not supported by this node.")
        _check_features(mspec.learning_columns, spec)
        return [spec.append((_prediction_name(spec, mspec.target.name, settings), ColumnType.DOUBLE))]

    def execute(
        self, inputs: list[Any], settings: SparkPredictorRegressionSettings, ctx: NodeContext
    ) -> list[Any]:
        model_obj = inputs[0]
        model = model_obj.payload if isinstance(model_obj, Model) else None
        if not isinstance(model, SparkMLModel):
            raise NodeError("input port 1 has no Spark ML model")
        data = need_spark_data(inputs[1], 2)
        try:
            _check_features(TableSpec.of(model.feature_types.items()), data.spec)
        except ConfigureError as exc:
            raise _as_node_error(exc) from None
        name = _prediction_name(data.spec, model.target, settings)
        try:
            frame = model.transform(data.dataframe(ctx), list(data.columns), name, ctx)
        except Cancelled:
            raise
        except Exception as exc:
            raise NodeError(f"Spark prediction failed: {spark_message(exc)}") from exc
        types = {**data.types, name: ColumnType.DOUBLE}
        return [SparkData(frame, [*data.columns, name], types, data.context)]
