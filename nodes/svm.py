"""KNIME's SVM Learner and SVM Predictor (org.knime.base.node.mine.svm).

KNIME trains one binary SVM per class value, that class against all other rows, with its own SMO
(Platt, with Keerthi's improvements, tolerance 1e-3), and predicts the class whose SVM gives the
largest distance `sum_i alpha_i y_i K(x, sv_i) - b`. knitflow solves the same one-vs-rest problems
with libsvm (scikit-learn's SVC, tolerance 1e-3) on KNIME's kernels:

- Polynomial `(gamma <x,y> + bias)^power` (sklearn's poly kernel: gamma, coef0 = bias, degree = power),
- HyperTangent `tanh(kappa <x,y> + delta)` (sklearn's sigmoid kernel: gamma = kappa, coef0 = delta),
- RBF `exp(-||x-y||^2 / (2 sigma^2))` (sklearn's rbf kernel: gamma = 1 / (2 sigma^2)).

A power that is not a whole number (KNIME's `Math.pow` takes any) or a negative gamma / kappa goes
to libsvm as a precomputed kernel matrix of KNIME's formula. Where the kernel is positive
semi-definite the training problem is convex, so the decision values agree with KNIME's up to the
solvers' tolerance; the hyperbolic tangent kernel is not, and there the two solvers may stop at
different points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
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
    PortType,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import interruptible
from nodes._learning import (
    append_unique,
    check_learning_columns,
    class_values,
    model_spec_of,
    numeric_matrix,
    prediction_name,
    probability_name,
    text_values,
)

SVM = PortType.register(
    PortType("model.svm", "SVM model (KNIME: PMML SupportVectorMachineModel)", "#1f8a70", "square")
)
KIND = "svm"
LEARNING_TYPES = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # DoubleValue-compatible
CLASS_TYPES = frozenset({ColumnType.STRING, ColumnType.SMILES})  # StringValue-compatible
TOLERANCE = 1e-3  # SvmAlgorithm.TOLERANCE
PREDICTION_DEFAULT = "Prediction ()"
CHUNK = 4096  # rows per kernel block when predicting
KernelType = Literal["Polynomial", "HyperTangent", "RBF"]

# ------------------------------------------------------------------------------------ kernels


@dataclass(frozen=True)
class SvmKernel:
    """KNIME's kernel and its parameters (the ones the other kernel types keep are not part of it)."""

    type: KernelType
    bias: float = 1.0
    power: float = 1.0
    gamma: float = 1.0
    kappa: float = 0.1
    delta: float = 0.5
    sigma: float = 0.1

    def matrix(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """K(a_i, b_j) by KNIME's formulas (PolynomialKernel, HyperTangentKernel, RBFKernel)."""
        if self.type == "RBF":
            squared = (a * a).sum(axis=1)[:, None] + (b * b).sum(axis=1)[None, :] - 2.0 * (a @ b.T)
            return np.exp(-np.maximum(squared, 0.0) / 2.0 / self.sigma / self.sigma)
        dot = a @ b.T
        if self.type == "HyperTangent":
            return np.tanh(self.kappa * dot + self.delta)
        with np.errstate(invalid="ignore", over="ignore"):
            return np.power(self.gamma * dot + self.bias, self.power)

    def sklearn(self) -> dict[str, Any] | None:
        """SVC's built-in kernel computing the same formula, or None (then a precomputed matrix)."""
        if self.type == "RBF":
            return {"kernel": "rbf", "gamma": 1.0 / (2.0 * self.sigma * self.sigma)}
        if self.type == "HyperTangent":
            return (
                {"kernel": "sigmoid", "gamma": self.kappa, "coef0": self.delta} if self.kappa >= 0 else None
            )
        whole = self.power >= 0 and float(self.power).is_integer()
        if whole and self.gamma >= 0:
            return {"kernel": "poly", "gamma": self.gamma, "coef0": self.bias, "degree": int(self.power)}
        return None


@dataclass(frozen=True)
class BinarySvm:
    """One class against the rest (KNIME's Svm): distance = coefficients . K(x, sv) - threshold."""

    positive: str
    support_vectors: np.ndarray
    coefficients: np.ndarray  # alpha_i * y_i
    threshold: float


@dataclass(frozen=True)
class SvmModel:
    target: str
    columns: list[str]
    kernel: SvmKernel
    svms: list[BinarySvm]  # in the order the classes first appear in the training rows
    domain_order: list[str]  # the trained classes in the class column's domain order

    def distances(self, x: np.ndarray, order: list[str]) -> np.ndarray:
        """Svm.distance of every row (no missing values) for the SVMs of `order`."""
        by_class = {s.positive: s for s in self.svms}
        out = np.empty((len(x), len(order)))
        for j, cls in enumerate(order):
            svm = by_class[cls]
            for start in range(0, len(x), CHUNK):
                block = x[start : start + CHUNK]
                k = self.kernel.matrix(block, svm.support_vectors) if len(svm.coefficients) else None
                dot = k @ svm.coefficients if k is not None else np.zeros(len(block))
                out[start : start + CHUNK, j] = dot - svm.threshold
        return out


def _fit_binary(x: np.ndarray, positive: np.ndarray, kernel: SvmKernel, c: float, cls: str) -> BinarySvm:
    """SvmAlgorithm for one class; a class that is every row needs no optimisation (KNIME's argmax
    over one SVM always picks it, and its probability is 1 whatever the distance)."""
    if positive.all():
        return BinarySvm(cls, np.zeros((0, x.shape[1])), np.zeros(0), 0.0)
    from sklearn.svm import SVC

    y = np.where(positive, 1, -1)
    builtin = kernel.sklearn()
    if builtin is not None:
        svc = SVC(C=c, tol=TOLERANCE, **builtin).fit(x, y)
        sv = x[svc.support_]
    else:
        gram = kernel.matrix(x, x)
        if not np.isfinite(gram).all():
            raise NodeError(
                "The kernel gives values that are not finite numbers for the training data (a negative base "
                f"raised to the power {kernel.power}?)",
                setting="kernel_param_Power",
            )
        svc = SVC(C=c, tol=TOLERANCE, kernel="precomputed").fit(gram, y)
        sv = x[svc.support_]
    # SVC's classes_ are [-1, 1]: a positive decision value is the positive class
    return BinarySvm(cls, sv, np.asarray(svc.dual_coef_[0], dtype=float), -float(svc.intercept_[0]))


# ------------------------------------------------------------------------------------ learner


class SVMLearnerSettings(NodeSettings):
    """KNIME's SVMLearnerNodeModel settings (keys of settings.xml)."""

    classcol: str | None = Field(
        None, description="The nominal (String) class column.", json_schema_extra=widget("column")
    )
    c_parameter: float = Field(
        1.0,
        description="Overlapping penalty C: the upper bound of each alpha, i.e. how much a misclassified "
        "training point costs when the classes are not separable.",
    )
    kernel_type: KernelType = Field("Polynomial", description="The kernel function.")
    kernel_param_Bias: float = Field(1.0, description="Polynomial kernel (gamma <x,y> + bias)^power: bias.")
    kernel_param_Power: float = Field(1.0, description="Polynomial kernel: power (any real number).")
    kernel_param_Gamma: float = Field(1.0, description="Polynomial kernel: gamma.")
    kernel_param_kappa: float = Field(
        0.1, description="HyperTangent kernel tanh(kappa <x,y> + delta): kappa."
    )
    kernel_param_delta: float = Field(0.5, description="HyperTangent kernel: delta.")
    kernel_param_sigma: float = Field(
        0.1, description="RBF kernel exp(-||x-y||^2 / (2 sigma^2)): sigma (not 0)."
    )

    def kernel(self) -> SvmKernel:
        return SvmKernel(
            self.kernel_type,
            bias=self.kernel_param_Bias,
            power=self.kernel_param_Power,
            gamma=self.kernel_param_Gamma,
            kappa=self.kernel_param_kappa,
            delta=self.kernel_param_delta,
            sigma=self.kernel_param_sigma,
        )


LEARNER_KEYS = [
    "classcol",
    "c_parameter",
    "kernel_type",
    "kernel_param_Bias",
    "kernel_param_Power",
    "kernel_param_Gamma",
    "kernel_param_kappa",
    "kernel_param_delta",
    "kernel_param_sigma",
]


def _learner_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(LEARNER_KEYS)
    if knime.settings.get("kernel_type") == "HyperTangent":
        knime.note(
            "the HyperTangent kernel is not positive semi-definite: libsvm and KNIME's SMO may stop at "
            "different solutions"
        )
    knime.unread()


def _plan(spec: TableSpec, settings: SVMLearnerSettings) -> tuple[list[str], list[str]]:
    """SVMLearnerNodeModel.createTrainTableColumnRearranger: (learning columns, rejected columns)."""
    if not spec.names:
        raise ConfigureError("No columns in input table")
    target = settings.classcol
    if not target:
        raise ConfigureError("Class column not set", setting="classcol")
    col = spec.get(target)
    if col is None:
        raise ConfigureError(f'Target column "{target}" not found in DataTableSpec.', setting="classcol")
    if col.type not in CLASS_TYPES:
        raise ConfigureError(f"Target column {target} must be nominal.", setting="classcol")
    learning = [c.name for c in spec.columns if c.name != target and c.type in LEARNING_TYPES]
    rejected = [c.name for c in spec.columns if c.name != target and c.type not in LEARNING_TYPES]
    if not learning:
        raise ConfigureError("Input DataTable does not contain one single valid column.", setting="classcol")
    _check_parameters(settings)
    return learning, rejected


def _check_parameters(settings: SVMLearnerSettings) -> None:
    """What libsvm cannot take (KNIME's SMO runs on and gives a degenerate or NaN model)."""
    if not settings.c_parameter > 0:
        raise ConfigureError(
            f"The overlapping penalty must be positive (is {settings.c_parameter})", setting="c_parameter"
        )
    if settings.kernel_type == "RBF" and settings.kernel_param_sigma == 0:
        raise ConfigureError("The RBF kernel's sigma must not be 0", setting="kernel_param_sigma")


def _rejected_warning(rejected: list[str]) -> str:
    shown = rejected if len(rejected) < 4 else [*rejected[:4], "... (remainder truncated)"]
    return f"Rejecting {len(rejected)} column(s) due to incompatible type: [{', '.join(shown)}]"


def learn(table: Table, learning: list[str], settings: SVMLearnerSettings, ctx: NodeContext) -> SvmModel:
    """The rows without a missing cell, one SVM per class in order of first appearance."""
    target = settings.classcol or ""
    x = numeric_matrix(table.df, learning)
    labels = text_values(table.df[target])
    complete = ~np.isnan(x).any(axis=1) & np.array([v is not None for v in labels], dtype=bool)
    y = np.array([str(v) for v, ok in zip(labels, complete, strict=True) if ok], dtype=object)
    x = x[complete]
    categories = [str(c) for c in class_values(y.tolist())]
    if not categories:
        raise NodeError("The input table contains no row without missing values")
    kernel = settings.kernel()

    def train() -> list[BinarySvm]:
        return [_fit_binary(x, y == cls, kernel, settings.c_parameter, cls) for cls in categories]

    svms = interruptible(ctx, train)
    domain = [str(c) for c in class_values(labels)]
    order = [c for c in domain if c in categories]
    return SvmModel(target, learning, kernel, svms, order)


class SVMLearner(Node):
    type_name = "svm_learner"
    display_name = "SVM Learner"
    category = Category.LEARNER
    description = (
        "Trains KNIME's support vector machine: one binary SVM per class value (the class against all other "
        "rows) with a Polynomial (gamma <x,y> + bias)^power, HyperTangent tanh(kappa <x,y> + delta) or RBF "
        "exp(-||x-y||^2 / (2 sigma^2)) kernel and overlapping penalty C, on every numeric or Boolean column; rows "
        "with a missing cell are skipped. Solved with libsvm (scikit-learn SVC, tolerance 1e-3, as KNIME's SMO): "
        "for the positive semi-definite kernels the problem is convex, so the decision values equal KNIME's up "
        "to the solvers' tolerance."
    )
    keywords = ("svm", "support vector machine", "kernel", "classification", "rbf", "polynomial", "learner")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.svm.learner.SVMLearnerNodeFactory2", "SVM Learner", _learner_from_knime
        ),
    )
    inputs = (Port(TABLE, "Training data", "The String class column and numeric learning columns."),)
    outputs = (Port(SVM, "SVM model", "One binary SVM per class (KNIME: a PMML SupportVectorMachineModel)."),)
    Settings = SVMLearnerSettings

    def configure(self, in_specs: list[Any], settings: SVMLearnerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        learning, _ = _plan(spec, settings)
        return [ModelSpec(KIND, spec.select(learning), spec.get(settings.classcol or ""))]

    def execute(self, inputs: list[Any], settings: SVMLearnerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        learning, rejected = _plan(table.spec, settings)
        if rejected:
            ctx.warn(_rejected_warning(rejected))
        model = learn(table, learning, settings, ctx)
        mspec = ModelSpec(
            KIND,
            table.spec.select(learning),
            table.spec.get(model.target),
            {"class_values": model.domain_order},
        )
        summary = f"SVM ({settings.kernel_type} kernel), {len(model.svms)} class(es) of {model.target}"
        return [Model(KIND, model, summary, spec=mspec)]


# -------------------------------------------------------------------------------------- predictor


class SVMPredictorSettings(NodeSettings):
    """KNIME's SVMPredictorNodeModel (predictor2) settings: PredictorHelper's keys."""

    change_prediction: bool = Field(
        False, title="Change prediction column name", description="Off: `Prediction (<class column>)`."
    )
    prediction_column_name: str = Field(
        PREDICTION_DEFAULT,
        description="The prediction column's name when changed.",
        json_schema_extra=widget("new_column"),
    )
    add_probabilities: bool = Field(
        False,
        title="Append columns with class probabilities",
        description="Append `P (<class column>=<value>)<suffix>` per class (the class column's domain order): "
        "each SVM's distance through the logistic function, normalised to sum to 1.",
    )
    class_probability_suffix: str = Field("", description="Suffix of the probability columns.")


def _text_or(default: str) -> Any:
    return lambda v: default if v is None else str(v)


def _predictor_from_knime(knime: KnimeSettings) -> None:
    """The web UI (5.x) may write a null name / suffix while its switch is off."""
    knime.take("change_prediction", "change prediction")
    knime.take("prediction_column_name", "prediction column name", transform=_text_or(PREDICTION_DEFAULT))
    knime.take("add_probabilities", "add probabilities")
    knime.take("class_probability_suffix", "class probability suffix", transform=_text_or(""))
    knime.unread()


def _output_columns(
    model: ModelSpec, spec: TableSpec, settings: SVMPredictorSettings
) -> list[tuple[str, str]] | None:
    """SVMPredictor.getColumnSpecs: the probabilities (if asked for), then the String prediction."""
    target = model.target.name if model.target is not None else ""
    name = prediction_name(settings.prediction_column_name, settings.change_prediction, target)
    columns: list[tuple[str, str]] = []
    if settings.add_probabilities:
        classes = model.details.get("class_values")
        if classes is None:
            return None
        columns = [
            (probability_name(target, c, settings.class_probability_suffix), ColumnType.DOUBLE)
            for c in classes
        ]
    return append_unique(spec, [*columns, (name, ColumnType.STRING)])


def probabilities(distances: np.ndarray) -> np.ndarray:
    """SVMPredictor.computeProbabilities: 1 / (1 + exp(-f)) per SVM, normalised to sum to 1."""
    with np.errstate(over="ignore"):
        p = 1.0 / (1.0 + np.exp(-distances))
    return p / p.sum(axis=1, keepdims=True)


class SVMPredictor(Node):
    type_name = "svm_predictor"
    display_name = "SVM Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies an SVM model: per row the class whose SVM gives the largest distance from its hyperplane, "
        "appended as `Prediction (<class column>)` (String); optionally first `P (<class column>=<value>)<suffix>` "
        "per class: the distances through the logistic function 1 / (1 + exp(-d)), normalised to sum to 1. A row "
        "with a missing learning value gets missing cells."
    )
    keywords = ("svm", "support vector machine", "predict", "classification", "apply")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.svm.predictor2.SVMPredictorNodeFactory",
            "SVM Predictor",
            _predictor_from_knime,
        ),
    )
    inputs = (
        Port(SVM, "SVM model", "A model from the SVM Learner."),
        Port(TABLE, "Data to predict", "Must contain the learning columns."),
    )
    outputs = (Port(TABLE, "Predicted data", "The input plus the probability and prediction columns."),)
    Settings = SVMPredictorSettings

    def configure(self, in_specs: list[Any], settings: SVMPredictorSettings, ctx: NodeContext) -> list[Any]:
        model, spec = model_spec_of(in_specs[0], KIND), in_specs[1]
        if model is None or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        check_learning_columns(model, spec)
        columns = _output_columns(model, spec, settings)
        return [UNKNOWN if columns is None else spec.append(*columns)]

    def execute(self, inputs: list[Any], settings: SVMPredictorSettings, ctx: NodeContext) -> list[Any]:
        model: SvmModel = inputs[0].payload
        table: Table = inputs[1]
        check_learning_columns(inputs[0].spec, table.spec)
        columns = _output_columns(inputs[0].spec, table.spec, settings)
        assert columns is not None
        x = numeric_matrix(table.df, model.columns)
        complete = ~np.isnan(x).any(axis=1)
        # PMMLSvmPredictor.adjustOrder: with probabilities the SVMs follow the class domain's order
        order = model.domain_order if settings.add_probabilities else [s.positive for s in model.svms]
        distances = np.full((len(x), len(order)), math.nan)
        distances[complete] = model.distances(x[complete], order)
        winners = np.argmax(np.where(np.isnan(distances), -np.inf, distances), axis=1) if order else []
        predicted = [order[w] if ok else None for w, ok in zip(winners, complete, strict=True)]
        df = table.df.copy()
        if settings.add_probabilities:
            p = np.full_like(distances, math.nan)
            p[complete] = probabilities(distances[complete])
            for j, (name, _) in enumerate(columns[:-1]):
                df[name] = p[:, j]
        df[columns[-1][0]] = np.array(predicted, dtype=object)
        return [table.with_frame(df, dict(columns))]
