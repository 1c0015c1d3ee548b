"""KNIME's basis function learners and predictors (org.knime.base.node.mine.bfn): PNN Learner (DDA)
and PNN Predictor, Fuzzy Rule Learner and Fuzzy Rule Predictor.

Both learners train by Berthold and Diamond's Dynamic Decay Adjustment exactly as KNIME's
BasisFunctionLearnerTable does: rows in table order; a row no rule of its class covers commits a
new rule anchored on it (optionally shrunk against every conflicting rule's anchor at once), a
covered row extends its best rule; every rule of another class then shrinks so the row no longer
activates it. Epochs repeat until no rule is committed or shrunk (or `max_epochs`), and rules that
covered no row in the last epoch are pruned. The result depends on the row order, as in KNIME.

PNN rules are Gaussians whose radius keeps conflicting rows below theta minus; a row counts as
covered above theta plus. Fuzzy rules are trapezoids per dimension (unbounded until shrunk), cut
back in the dimension losing the least volume (the shrink function), their memberships combined
by a fuzzy norm. The predictors append one column per class (`P (<class column>=<class>)<suffix>`:
PNN activations normalised to sum 1, fuzzy degrees as they are) and the winning class, missing
when the best activation is 0 or below the don't-know threshold.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnSpec,
    ColumnType,
    ConfigureError,
    Model,
    ModelSpec,
    Node,
    NodeContext,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._basis_functions import (
    DDA,
    FUZZY_KIND,
    FUZZY_RULES,
    MISSING_CHOICES,
    NORM_CHOICES,
    PNN,
    PNN_KIND,
    SHRINK_CHOICES,
    BasisFunctionModel,
    Bounds,
    FuzzyRule,
    RadialRule,
    Rule,
    TrainingData,
    class_activations,
    winner,
)
from nodes._java_text import java_double_to_string
from nodes._learning import model_spec_of, numeric_matrix, prediction_name, probability_name, text_values
from nodes._rows import cell_text, coerce

DOUBLE_VALUE = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # columns KNIME reads as DoubleValue
RULE_INFO = (
    ("Weight", ColumnType.INTEGER),
    ("Spread", ColumnType.DOUBLE),
    ("Features", ColumnType.INTEGER),
    ("Variance", ColumnType.DOUBLE),
)

MissingChoice = Literal["INCORP", "BEST_GUESS", "MEAN", "MIN", "MAX", "ZERO", "ONE"]


# ------------------------------------------------------------------------------------ learners


class _LearnerSettings(NodeSettings):
    """BasisFunctionLearnerNodeModel's settings (shared by both learners)."""

    target_column: list[str] = Field(
        default_factory=list,
        title="Target columns",
        description=(
            "The class column. Several numeric columns: class membership degrees in [0, 1], one class per "
            "column name. Empty: the first column that is not numeric."
        ),
        json_schema_extra=widget("columns"),
    )
    missing: MissingChoice = Field(
        "INCORP",
        title="Missing values",
        description=(
            "INCORP keeps missing cells (a rule's dimension stays open); BEST_GUESS takes the value of the best "
            "covering rule of the row's class (else MEAN); MEAN is the middle of the column's min and max; MIN, "
            "MAX, ZERO, ONE as named. Replaced anew for each row in each epoch."
        ),
    )
    shrink_after_commit: bool = Field(
        True,
        title="Shrink after commit",
        description="Shrink a new rule against the anchors of all rules of other classes right away.",
    )
    max_class_coverage: bool = Field(
        True,
        title="Use class with max coverage",
        description="Only rules of the row's best class may cover it (else any class with a degree above 0).",
    )
    max_epochs: int = Field(
        -1,
        title="Maximum number of epochs",
        description="Passes over the data at most; 0 or less: until no rule is committed or shrunk.",
    )


class PNNLearnerSettings(_LearnerSettings):
    """RadialBasisFunctionLearnerNodeModel's settings."""

    theta_minus: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        title="Theta minus",
        description="Upper bound of activation for conflicting rows.",
    )
    theta_plus: float = Field(
        0.4, ge=0.0, le=1.0, title="Theta plus", description="Lower bound of activation for covered rows."
    )


class FuzzyRuleLearnerSettings(_LearnerSettings):
    """FuzzyBasisFunctionLearnerNodeModel's settings."""

    norm: Literal["MIN_MAX", "PRODUCT", "LUKASIEWICZ", "YAGER_2", "YAGER_05"] = Field(
        "MIN_MAX",
        title="Fuzzy norm",
        description="Combines a rule's memberships (t-norm) and a class's rules (t-conorm).",
    )
    shrink: Literal["VOLUME_BORDER_BASED", "VOLUME_ANCHOR_BASED", "VOLUME_RULE_BASED"] = Field(
        "VOLUME_BORDER_BASED",
        title="Shrink function",
        description="How the volume a shrink loses is measured: against the region's border, the anchor, the rule.",
    )


def _target_list(value: Any) -> list[str]:
    """target_column: a string array, or one string (KNIME 1.2 and before)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in seq(value)]


def _index_choice(knime: KnimeSettings, key: str, choices: tuple[str, ...], what: str) -> None:
    """KNIME stores these choices as the index into its list; knitflow names them. (The key is
    passed to `unread` as known: it is either taken or reported here.)"""
    if key not in knime.tree:
        return
    value = knime.tree[key]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(choices):
        knime.lost(f"{what} {key} = {value!r} is not one of KNIME's {len(choices)} choices")
        return
    bound = knime.variables.get(key)
    # an index bound to a flow variable cannot follow the named setting: left to the binding report
    knime.put(key, choices[value], None if bound is not None and bound.used else key)


def _learner_from_knime(knime: KnimeSettings) -> None:
    knime.take("target_column", transform=_target_list)
    _index_choice(knime, "missing", MISSING_CHOICES, "missing value replacement")
    knime.take_all(["shrink_after_commit", "max_class_coverage", "max_epochs"])
    distance = knime.tree.get("distance_function", 0)
    if distance != 0:
        knime.lost(f"distance_function = {distance!r}: KNIME only has 0 (Euclidean)")


def _pnn_learner_from_knime(knime: KnimeSettings) -> None:
    _learner_from_knime(knime)
    knime.take_all(["theta_minus", "theta_plus"])
    knime.unread("distance_function", "missing")


def _fuzzy_learner_from_knime(knime: KnimeSettings) -> None:
    _learner_from_knime(knime)
    _index_choice(knime, "norm", NORM_CHOICES, "fuzzy norm")
    _index_choice(knime, "shrink", SHRINK_CHOICES, "shrink function")
    knime.unread("distance_function", "missing", "norm", "shrink")


def _resolve(spec: TableSpec, settings: _LearnerSettings) -> tuple[list[str], list[str]]:
    """BasisFunctionLearnerNodeModel.configure: the target column(s) and the data columns (every
    other DoubleValue column, in table order)."""
    targets = list(settings.target_column)
    if not targets:
        first = next((c.name for c in spec.columns if c.type not in DOUBLE_VALUE), None)
        if first is None:
            raise ConfigureError("Target columns not available.", setting="target_column")
        targets = [first]
    for target in targets:
        col = spec.get(target)
        if col is None:
            raise ConfigureError(f'Target "{target}" column not available.', setting="target_column")
        if len(targets) > 1 and col.type not in DOUBLE_VALUE:
            raise ConfigureError(
                f'Target "{target}" column not of type DoubleValue.', setting="target_column"
            )
    if not any(c.type in DOUBLE_VALUE for c in spec.columns):
        raise ConfigureError("No data column of type DoubleValue found.")
    data = [c.name for c in spec.columns if c.name not in targets and c.type in DOUBLE_VALUE]
    if not data:
        raise ConfigureError(
            f"Found only one column of type DoubleValue: [{', '.join(targets)}]", setting="target_column"
        )
    return targets, data


def _class_column(spec: TableSpec, targets: list[str]) -> ColumnSpec:
    """The rule table's class column: the target, or `Class` holding the target names."""
    if len(targets) > 1:
        return ColumnSpec("Class", ColumnType.STRING)
    col = spec.get(targets[0])
    assert col is not None
    return col


def _rule_table_spec(data: list[str], class_col: ColumnSpec, cell_type: str) -> TableSpec:
    pairs = [(c, cell_type) for c in data] + [(class_col.name, class_col.type), *RULE_INFO]
    names = [n for n, _ in pairs]
    for name in names:
        if names.count(name) > 1:
            raise ConfigureError(f'Duplicate column name "{name}" in the rule table')
    return TableSpec.of(pairs)


def _degrees(df: pd.DataFrame, targets: list[str]) -> tuple[list[Any], list[dict[Any, float]]]:
    """BasisFunctionFilterRow: each row's best class and class degrees."""
    if len(targets) == 1:
        labels = text_values(df[targets[0]])
        return labels, [{label: 1.0} for label in labels]
    values = numeric_matrix(df, targets)
    best_all, degrees_all = [], []
    for row in values:
        degrees: dict[Any, float] = {}
        best: Any = targets[0]
        for name, d in zip(targets, row, strict=True):
            if math.isnan(d) or d <= 0:
                continue
            degrees[name] = float(d)
            if name != targets[0] and (best not in degrees or d > degrees[best]):
                best = name
        if not degrees:
            best, degrees = None, {None: 1.0}
        best_all.append(best)
        degrees_all.append(degrees)
    return best_all, degrees_all


def _label_text(label: Any) -> str:
    """A class cell's toString (`?` for the missing cell)."""
    text = cell_text(label)
    return "?" if text is None else str(text)


def _interval_text(interval: tuple[float, float, float, float] | None) -> str | None:
    """FuzzyIntervalCell.toString: `<minSupp,minCore,maxCore,maxSupp>`."""
    if interval is None:
        return None
    return "<" + ",".join(java_double_to_string(v) for v in interval) + ">"


class _BasisFunctionLearner(Node):
    """The shared learner: configure and execute of BasisFunctionLearnerNodeModel."""

    category = Category.LEARNER
    inputs = (Port(TABLE, "Training data", "Numeric columns and the class column."),)
    kind: ClassVar[str] = ""
    cell_type: ClassVar[str] = ColumnType.DOUBLE

    def commit_rule(self, settings: Any, bounds: Bounds) -> tuple[Any, float, int]:
        """(a function making a new rule, the rules' don't-know degree, the fuzzy norm)."""
        raise NotImplementedError

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        targets, data = _resolve(spec, settings)
        class_col = _class_column(spec, targets)
        return [
            _rule_table_spec(data, class_col, self.cell_type),
            ModelSpec(self.kind, spec.select(data), class_col),
        ]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        targets, columns = _resolve(table.spec, settings)
        class_col = _class_column(table.spec, targets)
        rule_spec = _rule_table_spec(columns, class_col, self.cell_type)
        x = numeric_matrix(table.df, columns)
        best, degrees = _degrees(table.df, targets)
        with np.errstate(all="ignore"):
            bounds = Bounds(
                [float(np.nanmin(c)) if len(c) and not np.isnan(c).all() else math.nan for c in x.T],
                [float(np.nanmax(c)) if len(c) and not np.isnan(c).all() else math.nan for c in x.T],
            )
        commit, dont_know, norm = self.commit_rule(settings, bounds)
        dda = DDA(
            TrainingData(x, best, degrees, bounds),
            commit,
            dont_know,
            missing=settings.missing,
            shrink_after_commit=settings.shrink_after_commit,
            max_class_coverage=settings.max_class_coverage,
            max_epochs=settings.max_epochs,
        )
        dda.train(ctx)
        ctx.log(f"{sum(len(r) for r in dda.rules.values())} rules after {dda.cycles} epochs")
        model = BasisFunctionModel(self.kind, columns, class_col.name, class_col.type, dda.rules, norm)
        details = {"class_values": model.classes, "epochs": dda.cycles}
        mspec = ModelSpec(self.kind, table.spec.select(columns), class_col, details)
        out = Model(self.kind, model, model.summary(_label_text), spec=mspec)
        return [self._rule_table(model, rule_spec), out]

    def _cells(self, rule: Rule, j: int) -> Any:
        if isinstance(rule, FuzzyRule):
            return _interval_text(rule.mfs[j].interval())
        return math.nan if rule.anchor.missing[j] else rule.anchor.values[j]

    def _rule_table(self, model: BasisFunctionModel, spec: TableSpec) -> Table:
        rules = [r for rs in model.rules.values() for r in rs]
        frame: dict[str, Any] = {}
        for j, name in enumerate(model.columns):
            cells = [self._cells(r, j) for r in rules]
            frame[name] = np.array(cells, dtype=float) if self.cell_type == ColumnType.DOUBLE else cells
        labels = pd.Series([r.label for r in rules], dtype=object)
        frame[model.class_column] = coerce(labels, model.class_type).to_numpy()
        frame["Weight"] = np.array([len(r.covered) for r in rules], dtype=np.int64)
        frame["Spread"] = np.array([r.spread() for r in rules], dtype=float)
        frame["Features"] = np.array([r.used_features() for r in rules], dtype=np.int64)
        frame["Variance"] = np.array([r.variance() for r in rules], dtype=float)
        df = pd.DataFrame(frame, index=pd.Index([r.key for r in rules], dtype=object))
        return Table(df, {c.name: c.type for c in spec.columns})


class PNNLearner(_BasisFunctionLearner):
    type_name = "pnn_learner"
    display_name = "PNN Learner (DDA)"
    description = (
        "Trains a probabilistic neural network by Dynamic Decay Adjustment (KNIME's algorithm): Gaussian rules per "
        "class whose radii shrink until conflicting rows activate them at most theta minus; rows in table order, "
        "epochs until nothing changes. Outputs the rule table (anchor, class, Weight, Spread, Features, Variance) "
        "and the model."
    )
    keywords = (
        "PNN",
        "probabilistic neural network",
        "DDA",
        "RBF",
        "radial basis function",
        "rules",
        "classifier",
    )
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.bfn.radial.RadialBasisFunctionLearnerNodeFactory",
            "PNN Learner (DDA)",
            _pnn_learner_from_knime,
        ),
    )
    outputs = (
        Port(
            TABLE,
            "PNN rules",
            "One row per rule: its anchor, class, Weight, Spread (radius), Features, Variance.",
        ),
        Port(PNN, "PNN model", "The rules for the PNN Predictor."),
    )
    Settings = PNNLearnerSettings
    kind = PNN_KIND
    cell_type = ColumnType.DOUBLE

    def commit_rule(self, settings: Any, bounds: Bounds) -> tuple[Any, float, int]:
        minus, plus = settings.theta_minus, settings.theta_plus
        return partial(RadialRule, theta_minus=minus, theta_plus=plus), minus, 0


class FuzzyRuleLearner(_BasisFunctionLearner):
    type_name = "fuzzy_rule_learner"
    display_name = "Fuzzy Rule Learner"
    description = (
        "Learns trapezoid fuzzy rules by Dynamic Decay Adjustment (KNIME's RecBF-DDA): one membership function per "
        "numeric column, cores grown over covered rows, supports cut back against conflicting rows in the "
        "dimension losing the least volume; rows in table order, epochs until nothing changes. Outputs the rule "
        "table (fuzzy intervals as `<a,b,c,d>` text) and the model."
    )
    keywords = ("fuzzy", "rules", "DDA", "RecBF", "trapezoid", "membership", "classifier")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.bfn.fuzzy.FuzzyBasisFunctionLearnerNodeFactory",
            "Fuzzy Rule Learner",
            _fuzzy_learner_from_knime,
        ),
    )
    outputs = (
        Port(
            TABLE,
            "Fuzzy rules",
            "One row per rule: a fuzzy interval per column (text), class, Weight, Spread, Features, Variance.",
        ),
        Port(FUZZY_RULES, "Fuzzy rule model", "The rules for the Fuzzy Rule Predictor."),
    )
    Settings = FuzzyRuleLearnerSettings
    kind = FUZZY_KIND
    cell_type = ColumnType.STRING

    def commit_rule(self, settings: Any, bounds: Bounds) -> tuple[Any, float, int]:
        norm, shrink = NORM_CHOICES.index(settings.norm), SHRINK_CHOICES.index(settings.shrink)
        return partial(FuzzyRule, norm=norm, shrink=shrink, bounds=bounds), 0.0, norm


# ---------------------------------------------------------------------------------- predictors


class BasisFunctionPredictorSettings(NodeSettings):
    """BasisFunctionPredictor2NodeModel's settings."""

    change_prediction: bool = Field(
        False, title="Change prediction column name", description="Off: `Prediction (<class column>)`."
    )
    prediction_column_name: str = Field(
        "Prediction ()",
        title="Prediction column",
        description="The prediction column's name when changed.",
        json_schema_extra=widget("new_column"),
    )
    dont_know_prop: float = Field(
        -1.0,
        title="Don't know class threshold",
        description=(
            "The prediction is missing when the best class activation is below it (or 0). KNIME's dialog "
            "stores -1 for Default and 0 for Ignore; both only leave rows that activate nothing unclassified."
        ),
    )
    ignore_dont_know: bool = Field(
        False,
        title="Ignore don't know class",
        description="Stored by KNIME's dialog (which then writes threshold 0); the threshold alone decides.",
    )
    append_class_probabilities: bool = Field(
        True,
        title="Append class columns",
        description="Append `P (<class column>=<class>)<suffix>` per class.",
    )
    class_probability_suffix: str = Field("", description="Suffix of the class columns.")


def _predictor_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(
        ["change prediction", "prediction column name", "dont_know_prop", "ignore_dont_know"]
        + ["append_class_probabilities", "class probability suffix"]
    )
    knime.unread()


def _check_data(model: ModelSpec, spec: TableSpec) -> None:
    """BasisFunctionPredictor2NodeModel.createRearranger: every model column must be numeric here."""
    if not model.learning_columns.columns:
        raise ConfigureError("Model spec must not be empty.")
    for col in model.learning_columns.columns:
        have = spec.get(col.name)
        if have is None:
            raise ConfigureError(f'Model column "{col.name}" not in data spec.')
        if have.type not in DOUBLE_VALUE:
            raise ConfigureError(f'Data column "{col.name}" is not compatible with DoubleValue.')


def _appended(
    model: ModelSpec, spec: TableSpec, s: BasisFunctionPredictorSettings
) -> list[tuple[str, str]] | None:
    """createSpec: one column per class of the model (when appended), then the prediction."""
    assert model.target is not None
    target = model.target
    columns: list[tuple[str, str]] = []
    if s.append_class_probabilities:
        classes = model.details.get("class_values")
        if classes is None:
            return None
        columns = [
            (probability_name(target.name, _label_text(c), s.class_probability_suffix), ColumnType.DOUBLE)
            for c in classes
        ]
    columns.append((prediction_name(s.prediction_column_name, s.change_prediction, target.name), target.type))
    taken = set(spec.names)
    for name, _ in columns:
        if name in taken:
            raise ConfigureError(f'Duplicate column name "{name}"', setting="prediction_column_name")
        taken.add(name)
    return columns


_DATA_TO_PREDICT = Port(TABLE, "Data to predict", "Must hold the model's numeric columns.")


class _BasisFunctionPredictor(Node):
    """BasisFunctionPredictor2NodeModel with its cell factory."""

    category = Category.PREDICTOR
    outputs = (Port(TABLE, "Predicted data", "The input plus the class columns and the prediction."),)
    kind: ClassVar[str] = ""
    normalize: ClassVar[bool] = False
    Settings = BasisFunctionPredictorSettings

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        model, spec = model_spec_of(in_specs[0], self.kind), in_specs[1]
        if model is None or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        _check_data(model, spec)
        columns = _appended(model, spec, settings)
        return [UNKNOWN if columns is None else spec.append(*columns)]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        bf: BasisFunctionModel = inputs[0].payload
        table: Table = inputs[1]
        _check_data(inputs[0].spec, table.spec)
        columns = _appended(inputs[0].spec, table.spec, settings)
        assert columns is not None
        if not bf.rules:
            ctx.warn("Rule model is emtpy, no rules available.")
        acts = class_activations(bf, numeric_matrix(table.df, bf.columns))
        total = np.zeros(len(table))
        for a in acts:
            total = total + a
        df = table.df.copy()
        if settings.append_class_probabilities:
            for (name, _), a in zip(columns[:-1], acts, strict=True):
                normed = self.normalize & (total > 0)
                with np.errstate(all="ignore"):
                    df[name] = np.where(normed, a / np.where(total > 0, total, 1.0), a)
        classes = bf.classes
        winners = [
            winner(classes, [float(a[i]) for a in acts], settings.dont_know_prop) for i in range(len(table))
        ]
        name, col_type = columns[-1]
        df[name] = coerce(pd.Series(winners, index=df.index, dtype=object), col_type)
        return [table.with_frame(df, dict(columns))]


class PNNPredictor(_BasisFunctionPredictor):
    type_name = "pnn_predictor"
    display_name = "PNN Predictor"
    description = (
        "Applies a PNN model: per class the sum of its rules' Gaussian activations, each weighted by the rows the "
        "rule covered; appends these normalised to sum 1 as `P (<class column>=<class>)<suffix>` and the winning "
        "class (missing when nothing activates or the best activation is below the don't-know threshold). "
        "Missing cells are left out of the distances."
    )
    keywords = ("PNN", "probabilistic neural network", "predict", "RBF", "radial basis function")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.bfn.radial.RadialBasisFunctionPredictor2NodeFactory",
            "PNN Predictor",
            _predictor_from_knime,
        ),
    )
    inputs = (Port(PNN, "PNN model", "From the PNN Learner (DDA)."), _DATA_TO_PREDICT)
    kind = PNN_KIND
    normalize = True


class FuzzyRulePredictor(_BasisFunctionPredictor):
    type_name = "fuzzy_rule_predictor"
    display_name = "Fuzzy Rule Predictor"
    description = (
        "Applies a fuzzy rule model: per class the t-conorm of its rules' degrees (each the t-norm of the row's "
        "memberships); appends these degrees as `P (<class column>=<class>)<suffix>` and the winning class "
        "(missing when no rule fires or the best degree is below the don't-know threshold). A missing cell "
        "counts as full membership."
    )
    keywords = ("fuzzy", "rules", "predict", "membership", "classifier")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.bfn.fuzzy.FuzzyBasisFunctionPredictor2NodeFactory",
            "Fuzzy Rule Predictor",
            _predictor_from_knime,
        ),
    )
    inputs = (Port(FUZZY_RULES, "Fuzzy rule model", "From the Fuzzy Rule Learner."), _DATA_TO_PREDICT)
    kind = FUZZY_KIND
    normalize = False
