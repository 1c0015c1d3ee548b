"""KNIME's RProp MLP Learner and MultiLayerPerceptron Predictor (org.knime.base.node.mine.neural,
org.knime.base.data.neural), with KNIME's own algorithm.

The network is KNIME's: sigmoid neurons (clipped to 0/1 beyond +-37) with a threshold subtracted
from the weighted sum, one output neuron per class value (domain order) or a single one for
regression, weights and thresholds drawn uniformly from [-1, 1) by `java.util.Random` seeded with
the node's seed, neuron by neuron (its weights, then its threshold). Training is Riedmiller and
Braun's RProp exactly as KNIME's `RProp` does it: one batch step per iteration over all rows,
update values starting at 0.1, grown by 1.2 up to 50 and shrunk by 0.5 down to 1e-6 when the
gradient changes sign (the previous gradient then set to 0). The sums run in NumPy's order rather
than KNIME's row-by-row loops; RProp only uses the gradients' signs, so the weights agree with
KNIME's to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
from nodes._java_random import JavaRandom, to_int32
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
from nodes._mining import cell_text

MLP = PortType.register(PortType("model.mlp", "Multilayer perceptron (PMML)", "#9d4edd", "square"))
KIND = "mlp"
INPUT_TYPES = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # DoubleValue columns
ETA_PLUS, ETA_MINUS, ETA_NULL, DELTA_MAX, DELTA_MIN = 1.2, 0.5, 0.1, 50.0, 1e-6
DOUBLE_MIN_VALUE = 4.9e-324  # Java's Double.MIN_VALUE: getClassOutput's starting bar


class RPropSettings(NodeSettings):
    """KNIME's RPropNodeModel settings."""

    classcol: str | None = Field(
        None,
        title="Class column",
        description="The target: nominal (classification) or numeric in [0, 1] (regression). Empty: the last column.",
    )
    maxiter: int = Field(
        100, ge=1, le=1_000_000, title="Maximum number of iterations", description="RProp steps."
    )
    hiddenlayer: int = Field(1, ge=1, le=100, title="Number of hidden layers", description="Hidden layers.")
    nrhiddenneurons: int = Field(
        10, ge=1, le=100, title="Number of hidden neurons per layer", description="Neurons per hidden layer."
    )
    ignoremv: bool = Field(
        False,
        title="Ignore missing values",
        description="Skip rows with missing values (otherwise they are an error).",
    )
    useRandomSeed: bool = Field(
        False,
        title="Use seed for random initialization",
        description="Initialise the weights from `randomSeed`.",
    )
    randomSeed: int = Field(
        0, title="Random seed", description="Seed of java.util.Random for the initial weights."
    )


@dataclass
class Perceptrons:
    """The trained network: per layer (after the input layer) its weights (neurons x inputs) and
    thresholds, plus what the predictor needs to name and check its columns."""

    inputs: list[str]
    target: str
    regression: bool
    classes: list[str] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    thresholds: list[np.ndarray] = field(default_factory=list)

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        outputs = [x]
        for w, t in zip(self.weights, self.thresholds, strict=True):
            outputs.append(sigmoid(outputs[-1] @ w.T - t))
        return outputs


def sigmoid(v: np.ndarray) -> np.ndarray:
    """SigmoidPerceptron.activationFunction: 0 below -37, 1 above 37."""
    with np.errstate(over="ignore"):
        s = 1.0 / (1.0 + np.exp(-v))
    return np.where(v < -37, 0.0, np.where(v > 37, 1.0, s))


def initial_network(net: Perceptrons, sizes: list[int], rnd: JavaRandom) -> None:
    """HiddenLayer(pred, n, random): per neuron its weights, then its threshold, each 2 * (u - 0.5)."""
    for previous, size in zip(sizes, sizes[1:], strict=False):
        w = np.empty((size, previous))
        t = np.empty(size)
        for j in range(size):
            for k in range(previous):
                w[j, k] = (rnd.nextDouble() - 0.5) * 2
            t[j] = (rnd.nextDouble() - 0.5) * 2
        net.weights.append(w)
        net.thresholds.append(t)


class RPropTrainer:
    """org.knime.base.data.neural.methods.RProp: one `step` is one call of its `train`."""

    def __init__(self, net: Perceptrons) -> None:
        self.net = net
        self.eta = [np.full(w.shape, ETA_NULL) for w in net.weights]
        self.thr_eta = [np.full(t.shape, ETA_NULL) for t in net.thresholds]
        self.old = [np.zeros(w.shape) for w in net.weights]
        self.thr_old = [np.zeros(t.shape) for t in net.thresholds]

    def step(self, x: np.ndarray, target: np.ndarray) -> None:
        net = self.net
        outs = net.forward(x)
        deltas: list[np.ndarray] = [np.zeros(0)] * len(outs)
        y = outs[-1]
        deltas[-1] = (target - y) * y * (1 - y)
        for i in range(len(outs) - 2, 0, -1):
            y = outs[i]
            deltas[i] = y * (1 - y) * (deltas[i + 1] @ net.weights[i])
        for layer in range(len(net.weights)):
            grad = -(deltas[layer + 1].T @ outs[layer])
            thr_grad = deltas[layer + 1].sum(axis=0)
            self._update(net.weights[layer], self.eta[layer], self.old[layer], grad)
            self._update(net.thresholds[layer], self.thr_eta[layer], self.thr_old[layer], thr_grad)

    @staticmethod
    def _update(param: np.ndarray, eta: np.ndarray, old: np.ndarray, grad: np.ndarray) -> None:
        prod = grad * old
        grow, shrink, keep = prod > 0.0, prod < 0.0, prod == 0.0
        eta[grow] = np.minimum(eta[grow] * ETA_PLUS, DELTA_MAX)
        eta[shrink] = np.maximum(eta[shrink] * ETA_MINUS, DELTA_MIN)
        move = grow | keep
        param[move] += -np.sign(grad[move]) * eta[move]
        old[move] = grad[move]
        old[shrink] = 0.0


# --------------------------------------------------------------------------------------- learner


def _resolve(spec: TableSpec, settings: RPropSettings) -> tuple[str, list[str], bool]:
    target = settings.classcol or (spec.names[-1] if spec.names else None)
    if target is None or target not in spec:
        raise ConfigureError(
            f"Class column {target} not found in DataTableSpec" if target else "Class column not set",
            setting="classcol",
        )
    inputs = []
    for col in spec.columns:
        if col.name == target:
            continue
        if col.type not in INPUT_TYPES:
            raise ConfigureError(f"Only double columns for input (column {col.name!r} is {col.type})")
        inputs.append(col.name)
    regression = spec.type_of(target) in INPUT_TYPES
    return target, inputs, regression


def _rprop_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["classcol", "maxiter", "hiddenlayer", "nrhiddenneurons", "ignoremv", "useRandomSeed", "randomSeed"]
    )


def _regression_target(df: pd.DataFrame, target: str) -> np.ndarray:
    """KNIME's regression MLP learns sigmoid outputs, so its target must lie in [0, 1]."""
    y = numeric_matrix(df, [target])[:, 0]
    present = y[~np.isnan(y)]
    if len(present) and (present.min() < 0 or present.max() > 1):
        raise NodeError(f"Domain range for regression in column {target} not in range [0,1]")
    return y


def _incomplete_rows(x: np.ndarray, missing_y: np.ndarray, ignore: bool, ctx: NodeContext) -> np.ndarray:
    """KNIME fails on a missing value unless told to ignore such rows."""
    bad = np.isnan(x).any(axis=1) | missing_y
    if bad.any():
        if not ignore:
            raise NodeError(
                "Missing values in input datatable" if np.isnan(x).any() else "Missing value in class column"
            )
        ctx.log(f"{int(bad.sum())} row(s) with missing values were ignored")
    return bad


def _training_data(
    df: pd.DataFrame,
    target: str,
    columns: list[str],
    regression: bool,
    settings: RPropSettings,
    ctx: NodeContext,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The complete rows' inputs and targets (a column for regression, one-hot classes otherwise)."""
    x = numeric_matrix(df, columns)
    if regression:
        y = _regression_target(df, target)
        bad = _incomplete_rows(x, np.isnan(y), settings.ignoremv, ctx)
        return x[~bad], y[~bad][:, None], []
    cells = text_values(df[target])
    classes = [cell_text(v) for v in class_values(cells)]
    bad = _incomplete_rows(x, np.array([v is None for v in cells], dtype=bool), settings.ignoremv, ctx)
    index = {c: i for i, c in enumerate(classes)}
    codes = [index[cell_text(v)] for v, b in zip(cells, bad, strict=True) if not b]
    t = np.eye(len(classes))[codes] if codes else np.zeros((0, len(classes)))
    return x[~bad], t, classes


class RPropMLPLearner(Node):
    """KNIME's RProp MLP Learner."""

    type_name = "rprop_mlp_learner"
    display_name = "RProp MLP Learner"
    category = Category.LEARNER
    description = (
        "Trains a multilayer perceptron with resilient backpropagation (RProp), KNIME's algorithm: sigmoid neurons, "
        "hiddenlayer layers of nrhiddenneurons, one output per class (domain order) or one for a numeric target in "
        "[0, 1], weights initialised by java.util.Random(randomSeed), maxiter batch RProp steps. Every column other "
        "than the class column must be numeric (normalise them first, as KNIME advises)."
    )
    keywords = ("neural network", "MLP", "multilayer perceptron", "RProp", "backpropagation")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.neural.rprop.RPropNodeFactory2",
            "RProp MLP Learner",
            _rprop_from_knime,
            ports=lambda _cfg: ({2: None}, {}),  # the optional PMML preprocessing input has no counterpart
        ),
        KnimeMapping(
            "org.knime.base.node.mine.neural.rprop.RPropNodeFactory",
            "RProp MLP Learner",
            _rprop_from_knime,
            ports=lambda _cfg: ({2: None}, {}),
        ),
    )
    inputs = (Port(TABLE, "Training data", "Numeric inputs and the class (or [0, 1] target) column."),)
    outputs = (Port(MLP, "Neural network", "The trained multilayer perceptron."),)
    Settings = RPropSettings

    def is_deterministic(self, settings: RPropSettings) -> bool:
        return settings.useRandomSeed

    def configure(self, in_specs: list[Any], settings: RPropSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        target, inputs, _ = _resolve(spec, settings)
        return [ModelSpec(KIND, spec.select(inputs), spec.get(target))]

    def execute(self, inputs: list[Any], settings: RPropSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        spec, df = table.spec, table.df
        target, columns, regression = _resolve(spec, settings)
        x, t, classes = _training_data(df, target, columns, regression, settings, ctx)
        seed = settings.randomSeed if settings.useRandomSeed else to_int32(ctx.seed(None))
        net = Perceptrons(columns, target, regression, classes)
        sizes = (
            [len(columns)]
            + [settings.nrhiddenneurons] * settings.hiddenlayer
            + [1 if regression else len(classes)]
        )
        initial_network(net, sizes, JavaRandom(seed))
        trainer = RPropTrainer(net)
        for it in range(settings.maxiter):
            if it % 50 == 0:
                ctx.check_cancelled()
                ctx.progress(it / settings.maxiter, f"Iteration {it}")
            trainer.step(x, t)
        error = float(((net.forward(x)[-1] - t) ** 2).sum()) if len(x) else 0.0
        ctx.log(f"squared error after {settings.maxiter} iterations: {error:g}")
        details = {"class_values": classes, "regression": regression}
        mspec = ModelSpec(KIND, spec.select(columns), spec.get(target), details)
        summary = (
            f"MLP {'-'.join(map(str, sizes))} ({'regression' if regression else f'{len(classes)} classes'})"
        )
        return [Model(KIND, net, summary, spec=mspec)]


# ------------------------------------------------------------------------------------- predictor


class MLPPredictorSettings(NodeSettings):
    """KNIME's MLPPredictorNodeModel (mlp2) settings."""

    change_prediction: bool = Field(
        False, title="Change prediction column name", description="Off: `Prediction (<target>)`."
    )
    prediction_column_name: str = Field(
        "Prediction ()",
        description="The prediction column's name when changed.",
        json_schema_extra=widget("new_column"),
    )
    append_probabilities: bool = Field(
        True,
        title="Append columns with class probabilities",
        description="Classification: append `P (<target>=<class>)<suffix>`, the output neurons' activations.",
    )
    class_probability_suffix: str = Field("", description="Suffix of the probability columns.")


def _predictor_columns(
    model: ModelSpec, spec: TableSpec, s: MLPPredictorSettings
) -> list[tuple[str, str]] | None:
    target = model.target.name if model.target else ""
    regression = model.details.get("regression")
    if regression is None:
        regression = model.target is not None and model.target.type in INPUT_TYPES
    name = prediction_name(s.prediction_column_name, s.change_prediction, target)
    if regression:
        return append_unique(spec, [(name, ColumnType.DOUBLE)])
    cols: list[tuple[str, str]] = []
    if s.append_probabilities:
        classes = model.details.get("class_values")
        if classes is None:
            return None
        cols = [(probability_name(target, c, s.class_probability_suffix), ColumnType.DOUBLE) for c in classes]
    return append_unique(spec, [*cols, (name, ColumnType.STRING)])


def _mlp_predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["change prediction", "prediction column name", "append probabilities", "class probability suffix"]
    )


class MLPPredictor(Node):
    """KNIME's MultiLayerPerceptron Predictor."""

    type_name = "mlp_predictor"
    display_name = "MultiLayerPerceptron Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies a multilayer perceptron. Classification: optionally `P (<target>=<class>)<suffix>` (the output "
        "neurons' sigmoid activations, not normalised, as in KNIME), then `Prediction (<target>)`: the class of the "
        "most active neuron. Regression: `Prediction (<target>)`, the output neuron's activation. Missing input "
        "values are an error."
    )
    keywords = ("neural network", "MLP", "predict", "multilayer perceptron")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.neural.mlp2.MLPPredictorNodeFactory",
            "MultiLayerPerceptron Predictor",
            _mlp_predictor_from_knime,
        ),
    )
    inputs = (
        Port(MLP, "Neural network", "A network from the RProp MLP Learner."),
        Port(TABLE, "Data to predict", "Must contain the learning columns, without missing values."),
    )
    outputs = (Port(TABLE, "Predicted data", "The input plus the prediction columns."),)
    Settings = MLPPredictorSettings

    def configure(self, in_specs: list[Any], settings: MLPPredictorSettings, ctx: NodeContext) -> list[Any]:
        model, spec = model_spec_of(in_specs[0], KIND), in_specs[1]
        if model is None or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        check_learning_columns(model, spec)
        columns = _predictor_columns(model, spec, settings)
        return [UNKNOWN if columns is None else spec.append(*columns)]

    def execute(self, inputs: list[Any], settings: MLPPredictorSettings, ctx: NodeContext) -> list[Any]:
        net: Perceptrons = inputs[0].payload
        table: Table = inputs[1]
        check_learning_columns(inputs[0].spec, table.spec)
        columns = _predictor_columns(inputs[0].spec, table.spec, settings)
        assert columns is not None
        x = numeric_matrix(table.df, net.inputs)
        if np.isnan(x).any():
            raise NodeError("Input DataTable should not contain missing values.")
        out = net.forward(x)[-1] if len(x) else np.zeros((0, len(net.weights[-1])))
        df = table.df.copy()
        if net.regression:
            df[columns[0][0]] = out[:, 0]
        else:
            if settings.append_probabilities:
                for j, (name, _) in enumerate(columns[:-1]):
                    df[name] = out[:, j]
            winners = []
            for row in out:  # MultiLayerPerceptron.getClassOutput: the first neuron above the running best
                best, index = DOUBLE_MIN_VALUE, -1
                for j, v in enumerate(row):
                    if v > best:
                        best, index = v, j
                winners.append(net.classes[index] if index >= 0 else "NoWinner")
            df[columns[-1][0]] = pd.array(winners, dtype=object)
        return [table.with_frame(df, dict(columns))]
