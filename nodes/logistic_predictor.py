"""KNIME's Logistic Regression Predictor: class probabilities and the predicted class from a
logistic regression model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    ModelSpec,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping
from nodes._logistic import LOGREG_MODEL, LogisticModel
from nodes._mining import NOMINAL, cell_text

# ---------------------------------------------------------------------------------- predictor


class LogRegPredictorSettings(NodeSettings):
    """KNIME's LogisticRegressionPredictor settings (KNIME's keys, misspellings included)."""

    has_custom_predicition_name: bool = Field(  # KNIME's key, misspelt as in settings.xml
        False, description="Use `custom_prediction_name` for the prediction column."
    )
    custom_prediction_name: str | None = Field(
        None,
        description="Prediction column name when `has_custom_predicition_name` is on.",
        json_schema_extra=widget("new_column"),
    )
    include_probabilites: bool = Field(  # KNIME's key, misspelt
        False, description="Append one probability column `P (<target>=<class>)` per class."
    )
    propability_columns_suffix: str = Field(  # KNIME's key, misspelt
        "",
        description="Suffix appended to the probability column names.",
        json_schema_extra=widget("text", advanced=True),
    )


def _prediction_columns(
    model: tuple[str, str, list[Any]], spec: TableSpec, settings: LogRegPredictorSettings
) -> list[tuple[str, str]]:
    """KNIME's RegressionPredictorCellFactory.createColumnSpec: probabilities (domain order) first,
    then the prediction; each name made unique against the input columns."""
    target, target_type, classes = model
    existing = list(spec.names)
    out: list[tuple[str, str]] = []
    if settings.include_probabilites:
        for value in classes:
            name = unique_column_name(
                existing, f"P ({target}={cell_text(value)}){settings.propability_columns_suffix}"
            )
            out.append((name, ColumnType.DOUBLE))
    if settings.has_custom_predicition_name:
        if not settings.custom_prediction_name:
            raise ConfigureError(
                "the custom prediction column name is empty", setting="custom_prediction_name"
            )
        base = settings.custom_prediction_name
    else:
        base = f"Prediction ({target})"
    out.append((unique_column_name(existing, base), target_type))
    return out


def _check_features(model: ModelSpec, spec: TableSpec) -> None:
    nominal = set(model.details.get("nominal", ()))
    for learned in model.learning_columns.columns:
        col = spec.get(learned.name)
        if col is None:
            raise ConfigureError(f'The table for prediction does not contain the column "{learned.name}".')
        if learned.name not in nominal and not col.is_numeric():
            raise ConfigureError(
                f'The column "{learned.name}" in the table of prediction is expected to be numeric.'
            )
        if learned.name in nominal and col.type not in NOMINAL:
            raise ConfigureError(
                f'The column "{learned.name}" in the table of prediction is expected to be nominal.'
            )


class LogisticRegressionPredictor(Node):
    """KNIME's Logistic Regression Predictor."""

    type_name = "logistic_regression_predictor"
    display_name = "Logistic Regression Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies a logistic regression model: appends `Prediction (<target>)` (the most probable class) and, "
        "optionally, one column `P (<target>=<class>)<suffix>` per class before it. Rows with a missing (or unseen "
        "nominal) learning value get missing predictions."
    )
    keywords = ("classification", "predict", "logit", "probability")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.regression.logistic.predictor.LogisticRegressionPredictorNodeFactory",
            "Logistic Regression Predictor",
        ),
    )
    inputs = (
        Port(LOGREG_MODEL, "Model", "A logistic regression model."),
        Port(TABLE, "Data", "The rows to predict; must contain the model's learning columns."),
    )
    outputs = (Port(TABLE, "Predictions", "The input plus the prediction (and probability) columns."),)
    Settings = LogRegPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: LogRegPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model_spec, spec = in_specs
        if not isinstance(model_spec, ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _check_features(model_spec, spec)
        classes = model_spec.details.get("classes")
        if classes is None and settings.include_probabilites:
            return [UNKNOWN]  # one probability column per class: the classes come with the learned model
        assert model_spec.target is not None
        target = (model_spec.target.name, model_spec.target.type, classes or [])
        return [spec.append(*_prediction_columns(target, spec, settings))]

    def execute(self, inputs: list[Any], settings: LogRegPredictorSettings, ctx: NodeContext) -> list[Any]:
        model: LogisticModel = inputs[0].payload
        table: Table = inputs[1]
        _check_features(inputs[0].spec, table.spec)
        new_cols = _prediction_columns((model.target, model.target_type, model.classes), table.spec, settings)
        x, ok = model.design(table.df)
        p = model.probabilities(x)  # in logits + [reference] order
        coeff_order = [*model.logits, model.reference]
        df = table.df.copy()
        if settings.include_probabilites:
            for (name, _), value in zip(new_cols[:-1], model.classes, strict=True):
                col = p[:, coeff_order.index(value)].copy()
                col[~ok] = np.nan
                df[name] = col
        # the most probable class; ties go to the first class in domain order
        by_domain = p[:, [coeff_order.index(v) for v in model.classes]]
        best = by_domain.argmax(axis=1) if len(df) else np.zeros(0, dtype=int)
        pred_name, pred_type = new_cols[-1]
        labels = [model.classes[i] if good else None for i, good in zip(best, ok, strict=True)]
        if pred_type == ColumnType.BOOLEAN:
            df[pred_name] = pd.array(labels, dtype="boolean")
        else:
            df[pred_name] = pd.Series(labels, index=df.index, dtype=object)
        return [table.with_frame(df, dict(new_cols))]
