"""The regression model port that KNIME's Regression Predictor reads: the Linear Regression
Learner's and the Polynomial Regression Learner's models (KNIME's PMML GeneralRegression and
RegressionModel), both applied by one predictor."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from engine.api import PortType

REGRESSION_MODEL = PortType.register(
    PortType("model.pmml_regression", "Regression model (KNIME: PMML GeneralRegression)", "#2e5aac", "square")
)
LINEAR_KIND = "linear_regression"
POLYNOMIAL_KIND = "polynomial_regression"
REGRESSION_KINDS = frozenset({LINEAR_KIND, POLYNOMIAL_KIND})


@runtime_checkable
class RegressionContent(Protocol):
    """What the Regression Predictor needs of a model: its target, learning columns and formula."""

    target: str
    learning_columns: Any  # (name, type) pairs in input-table order

    def predict(self, df: Any) -> np.ndarray: ...


__all__ = ["LINEAR_KIND", "POLYNOMIAL_KIND", "REGRESSION_KINDS", "REGRESSION_MODEL", "RegressionContent"]
