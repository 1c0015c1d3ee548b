"""KNIME's Naive Bayes Learner and Naive Bayes Predictor (org.knime.base.node.mine.bayes.naivebayes,
learner3 / predictor4 on the datamodel3 model), computed as KNIME computes them.

The learner models every column of the table: the class column (nominal, or a number or Boolean
read as text), numbers and Booleans as one Gaussian per class (commons-math's incremental mean and
sample variance; a standard deviation at or below `minSdThreshold`, or undefined, becomes
`minSdValue`), String columns as value counts per class. A nominal column with more than
`maxNoOfNomVals` distinct values is skipped with a warning (the class column may hold one more, as
KNIME's check allows); other column types are ignored. There is no Laplace corrector in this model:
a zero count, or a density below `threshold`, counts as `threshold`. With `skipMissingVals` missing
cells are ignored in learning and prediction (a row with a missing class is dropped); otherwise a
missing class is an error, a missing nominal value is a value of its own and a missing number
counts as `threshold`.

The predictor adds the class prior's logarithm and each known column's log probability in the input
table's column order, picks the first class (in the order the learner met them) with the largest
sum and, if asked, appends `P (<class>=<value>)<suffix>` per class in sorted order, normalised as
KNIME's `NaiveBayesModel.getClassProbabilities` does: 1 / sum_j exp(log p_j - log p_i).
"""

from __future__ import annotations

import math
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
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._learning import model_spec_of, prediction_name, probability_name, text_values
from nodes._mining import NOMINAL, cell_text, numeric_values

NAIVE_BAYES = PortType.register(
    PortType("model.naive_bayes", "Naive Bayes model (KNIME: PMML NaiveBayesModel)", "#2e7dd1", "square")
)
KIND = "naive_bayes"
NUMERIC_TYPES = ColumnType.NUMERIC | {ColumnType.BOOLEAN}  # DoubleValue: BooleanCell is one too
CLASS_TYPES = NUMERIC_TYPES | NOMINAL  # ClassAttributeModel.COMPATIBLE_DATA_VALUE_CLASSES
MIN_THRESHOLD = 1e-10  # NaiveBayesLearnerNodeModel3.MIN_PROB_THRESHOLD_DEF (also the lowest minSdValue)
LOG_SQRT_TWO_PI = 0.5 * math.log(2 * math.pi)
ZERO_PROB = (
    "All potential classes have a zero probability. This is most likely due to a standard deviation "
    "and/or minimum probability value approx. 0."
)
DATAMODEL2 = (
    "this node is KNIME's Naive Bayes before 3.7 (datamodel2: probabilities multiplied rather than added as "
    "logarithms, class priors when every class has probability zero, ties to the last class); knitflow "
    "computes as the current node (learner3 / predictor4) does"
)
PREDICTION_DEFAULT = "Prediction ()"
STATISTICS_COLUMNS = (
    "Attribute",
    "Value",
    "Class",
    "Count",
    "Missing value count",
    "Mean",
    "Standard deviation",
)


def _java_sorted(values: Any) -> list[str]:
    """Collections.sort of Strings: by UTF-16 code units."""
    return sorted(values, key=lambda s: s.encode("utf-16-be", errors="surrogatepass"))


# ------------------------------------------------------------------------------------------ model


@dataclass
class NominalAttribute:
    """NominalAttributeModel: per class the count of each value and of missing cells."""

    name: str
    values: list[str]  # in the order first met
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # class -> value -> rows
    missing: dict[str, int] = field(default_factory=dict)  # class -> missing cells
    rows: dict[str, int] = field(default_factory=dict)  # class -> rows counted (missing included)
    missing_total: int = 0


@dataclass
class NumericAttribute:
    """NumericalAttributeModel: per class the mean and the (bounded) standard deviation."""

    name: str
    mean: dict[str, float] = field(default_factory=dict)
    sd: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    missing_total: int = 0


@dataclass
class NaiveBayesModel:
    """What KNIME's PMML model carries from learner to predictor (datamodel3)."""

    class_column: str
    class_type: str  # the predicted column's type (a Long class is predicted as Double, via PMML)
    class_counts: dict[str, int]  # in the order the classes were met
    skip_missing: bool
    threshold: float
    attributes: dict[str, NominalAttribute | NumericAttribute]  # in training column order
    skipped: list[tuple[str, str]]  # (column, cause)
    training_spec: TableSpec

    @property
    def classes(self) -> list[str]:
        return list(self.class_counts)

    @property
    def sorted_classes(self) -> list[str]:
        return _java_sorted(self.class_counts)

    def to_pmml(self, spec: ModelSpec | None) -> str:
        """The PMML 4.2 NaiveBayesModel document KNIME's learner outputs (PMML Writer)."""
        from nodes._naive_bayes_pmml import naive_bayes_pmml

        return naive_bayes_pmml(self, spec)


# ---------------------------------------------------------------------------------------- learner


class NaiveBayesLearnerSettings(NodeSettings):
    """KNIME's NaiveBayesLearnerNodeModel3 settings."""

    classifyColumn: str | None = Field(
        None,
        title="Classification column",
        description="The class column. Empty: the only nominal column of the table.",
        json_schema_extra=widget("column"),
    )
    threshold: float = Field(
        1e-4,
        ge=MIN_THRESHOLD,
        title="Default probability",
        description="Used in lieu of a zero count of a nominal value and of a Gaussian density below it.",
    )
    minSdValue: float = Field(
        1e-4,
        ge=MIN_THRESHOLD,
        title="Minimum standard deviation",
        description="The standard deviation used when a class's is at or below `minSdThreshold` (or undefined).",
    )
    minSdThreshold: float = Field(
        0.0, ge=0.0, title="Threshold standard deviation", description="See `minSdValue`."
    )
    maxNoOfNomVals: int = Field(
        20,
        ge=0,
        title="Maximum number of unique nominal values per attribute",
        description="Nominal columns with more distinct values are skipped (with a warning).",
    )
    skipMissingVals: bool = Field(
        False,
        title="Ignore missing values",
        description="Ignore missing cells in learning and prediction; otherwise they count as information.",
    )
    compatiblePMML: bool = Field(
        False,
        title="Create PMML 4.2 compatible model",
        description="Ignore bit vector columns; implies ignoring missing values, as in KNIME's dialog.",
    )


def _learner_from_knime(knime: KnimeSettings) -> None:
    """learner3: every key of its settings is a field (minSdValue / minSdThreshold since 3.7.1)."""
    knime.take_all(
        ["classifyColumn", "threshold", "minSdValue", "minSdThreshold", "maxNoOfNomVals"]
        + ["skipMissingVals", "compatiblePMML"]
    )
    knime.unread()


def _learner2_from_knime(knime: KnimeSettings) -> None:
    """learner2 has the same keys less the standard deviation bounds; its threshold may be 0."""
    knime.take_all(["classifyColumn", "maxNoOfNomVals", "skipMissingVals", "compatiblePMML"])
    threshold = float(knime.tree.get("threshold", 0.0))
    knime.put("threshold", max(threshold, MIN_THRESHOLD), "threshold")
    clipped = f"; threshold {threshold} is read as {MIN_THRESHOLD}" if threshold < MIN_THRESHOLD else ""
    knime.lost(DATAMODEL2 + clipped)
    knime.unread()


def _warning(message: str, names: list[str]) -> str | None:
    """NaiveBayesLearnerNodeModel3.warningMessage: the list when it is short; four names are only
    logged; from five on the first four and a pointer to the log."""
    if not names:
        return None
    if len(names) < 4:
        return message + ", ".join(names)
    if len(names) > 4:
        return message + ", ".join(names[:4]) + ", ... (see log file for details)"
    return None


@dataclass
class _Plan:
    target: str
    numeric: list[str]
    nominal: list[str]
    ignored: list[str]
    preset: bool  # the class column was not set and is the only nominal one


def _class_column(spec: TableSpec, settings: NaiveBayesLearnerSettings) -> tuple[str, bool]:
    if settings.classifyColumn:
        return settings.classifyColumn, False
    nominal = [c.name for c in spec.columns if c.type in NOMINAL]
    if len(nominal) > 1:
        raise ConfigureError("Please define the classification column", setting="classifyColumn")
    if not nominal:
        raise ConfigureError("Classification column not found in input table", setting="classifyColumn")
    return nominal[0], True


def _plan(spec: TableSpec, settings: NaiveBayesLearnerSettings) -> _Plan:
    """NaiveBayesLearnerNodeModel3.configure with NaiveBayesModel.getCompatibleModel."""
    target, preset = _class_column(spec, settings)
    col = spec.get(target)
    if col is None:
        raise ConfigureError("Classification column not found in input table", setting="classifyColumn")
    if len(spec) < 2:
        raise ConfigureError("Input table should contain at least 2 columns")
    if col.type not in CLASS_TYPES:
        raise ConfigureError(
            f"Class column '{target}' has type {col.type}, not a nominal or numeric one",
            setting="classifyColumn",
        )
    plan = _Plan(target, [], [], [], preset)
    for c in spec.columns:
        if c.name == target:
            continue
        if c.type in NUMERIC_TYPES:
            plan.numeric.append(c.name)
        elif c.type in NOMINAL:
            plan.nominal.append(c.name)
        elif c.type == ColumnType.BIT_VECTOR and not settings.compatiblePMML:
            raise ConfigureError(
                f"Bit vector column '{c.name}': KNIME models bit vectors unless the model is PMML compatible; "
                "knitflow does not (exclude the column or set compatiblePMML)",
                setting="compatiblePMML",
            )
        else:
            plan.ignored.append(c.name)
    if (
        col.type not in NOMINAL
        and not plan.nominal
        and not any(spec.type_of(n) in NOMINAL for n in plan.numeric)
    ):
        raise ConfigureError("Not enough valid columns")  # KNIME counts the nominal-compatible columns only
    return plan


def statistics_spec(skip_missing: bool) -> TableSpec:
    """NaiveBayesModel.createStatisticsTableSpec (the texts as String columns)."""
    types = [ColumnType.STRING] * 3 + [ColumnType.INTEGER] * 2 + [ColumnType.DOUBLE] * 2
    pairs = [(n, t) for n, t in zip(STATISTICS_COLUMNS, types, strict=True)]
    return TableSpec.of(p for p in pairs if not (skip_missing and p[0] == "Missing value count"))


class _Overflow(Exception):
    """TooManyValuesException: the position of the kept row that brought one value too many."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


def _nominal_attribute(
    name: str, values: list[Any], classes: list[str], max_values: int, skip: bool
) -> NominalAttribute:
    """NominalAttributeModel.addValue row by row (the rows with a class)."""
    attr = NominalAttribute(name, [])
    seen: set[str] = set()
    for position, (value, cls) in enumerate(zip(values, classes, strict=True)):
        if value is None:
            attr.missing_total += 1
            if skip:
                continue
        elif (text := cell_text(value)) not in seen:
            if len(seen) >= max_values:
                raise _Overflow(position)
            seen.add(text)
            attr.values.append(text)
        per_class = attr.counts.setdefault(cls, {})
        attr.rows[cls] = attr.rows.get(cls, 0) + 1
        if value is None:
            attr.missing[cls] = attr.missing.get(cls, 0) + 1
        else:
            attr.missing.setdefault(cls, 0)
            per_class[text] = per_class.get(text, 0) + 1
    return attr


class _Moments:
    """commons-math Mean and Variance (bias corrected) fed one value at a time."""

    __slots__ = ("m1", "m2", "missing", "n", "rows")

    def __init__(self) -> None:
        self.n = self.rows = self.missing = 0
        self.m1 = self.m2 = math.nan

    def add(self, x: float) -> None:
        if self.n == 0:
            self.m1 = self.m2 = 0.0
        self.n += 1
        dev = x - self.m1
        n_dev = dev / self.n
        self.m1 += n_dev
        self.m2 += (self.n - 1.0) * dev * n_dev

    def sd(self, min_value: float, min_threshold: float) -> float:
        """getStdDeviation, then what the PMML round trip gives back (sqrt of its square)."""
        variance = math.nan if self.n == 0 else 0.0 if self.n == 1 else self.m2 / (self.n - 1.0)
        sd = math.sqrt(variance)
        if math.isnan(sd) or sd <= min_threshold:
            sd = min_value
        return math.sqrt(sd * sd)


def _numeric_attribute(
    name: str, values: np.ndarray, classes: list[str], settings: NaiveBayesLearnerSettings, skip: bool
) -> NumericAttribute:
    """NumericalAttributeModel.addValue row by row (the rows with a class)."""
    if np.isinf(values).any():
        raise NodeError(f"Data contain infinite values in column '{name}'.")
    moments: dict[str, _Moments] = {}
    attr = NumericAttribute(name)
    for x, cls in zip(values.tolist(), classes, strict=True):
        missing = x != x
        if missing:
            attr.missing_total += 1
            if skip:
                continue
        m = moments.get(cls) or moments.setdefault(cls, _Moments())
        m.rows += 1
        if missing:
            m.missing += 1
        else:
            m.add(x)
    for cls, m in moments.items():
        attr.mean[cls] = m.m1 if m.n else math.nan
        attr.sd[cls] = m.sd(settings.minSdValue, settings.minSdThreshold)
        attr.rows[cls] = m.rows
        attr.missing[cls] = m.missing
    return attr


def _class_texts(table: Table, target: str, skip: bool) -> tuple[np.ndarray, list[str]]:
    """The rows that take part (a class value) and their class texts; a missing class is an error
    unless missing values are skipped."""
    cells = text_values(table.df[target])
    keep = np.array([v is not None for v in cells], dtype=bool)
    if not keep.all() and not skip:
        row = table.row_ids[int(np.argmin(keep))]
        raise NodeError(
            f"Missing class value found in row {row} to skip missing values tick the box in the dialog"
        )
    return keep, [cell_text(v) for v in cells if v is not None]


def _class_counts(classes: list[str], max_values: int) -> dict[str, int]:
    """ClassAttributeModel.addValueInternal: a new class is refused only when more than the
    maximum are known already, so one more than the maximum fits."""
    counts: dict[str, int] = {}
    for cls in classes:
        if cls not in counts and len(counts) > max_values:
            raise NodeError(
                "Class attribute has too many unique values. To avoid this exception increase the maximum "
                "number of allowed nominal values in the node dialog"
            )
        counts[cls] = counts.get(cls, 0) + 1
    if not counts:
        raise NodeError("No class model found")  # every class missing: the class model has no records
    return counts


def learn(table: Table, settings: NaiveBayesLearnerSettings, ctx: NodeContext) -> NaiveBayesModel:
    """NaiveBayesModel(data, ...): build, skip what overflowed or stayed empty, keep column order."""
    plan = _plan(table.spec, settings)
    if len(table) < 1:
        raise NodeError("Input data contains no rows")
    skip = settings.skipMissingVals or settings.compatiblePMML
    keep, classes = _class_texts(table, plan.target, skip)
    counts = _class_counts(classes, settings.maxNoOfNomVals)
    kept = table.df[keep]
    attributes: dict[str, NominalAttribute | NumericAttribute] = {}
    overflowed: list[tuple[int, int, str]] = []
    invalid: list[tuple[str, str]] = []
    for index, name in enumerate(table.columns):
        ctx.check_cancelled()
        if name in plan.nominal:
            try:
                nominal = _nominal_attribute(
                    name, text_values(kept[name]), classes, settings.maxNoOfNomVals, skip
                )
            except _Overflow as too_many:
                overflowed.append((too_many.position, index, name))
                continue
            if not nominal.values:
                invalid.append((name, "No records"))  # NominalAttributeModel.validate
                continue
            attributes[name] = nominal
        elif name in plan.numeric:
            numeric = _numeric_attribute(name, numeric_values(kept, name), classes, settings, skip)
            if not numeric.mean:
                invalid.append((name, "No class values"))  # NumericalAttributeModel.validate
                continue
            attributes[name] = numeric
    skipped = [(name, "Too many values") for _, _, name in sorted(overflowed)] + invalid
    class_type = table.spec.type_of(plan.target)
    predicted = ColumnType.DOUBLE if class_type == ColumnType.LONG else class_type
    return NaiveBayesModel(
        plan.target, predicted, counts, skip, settings.threshold, attributes, skipped, table.spec
    )


def _learner_warning(model: NaiveBayesModel, preset: bool) -> str | None:
    """The last warning KNIME's learner sets: skipped attributes, else attributes with missing cells."""
    if model.skipped:
        parts = []
        for i, (name, cause) in enumerate(model.skipped):
            if i > 3:
                parts.append("...(see node view)")
                break
            parts.append(f"{name}/{cause}")
        return "The following attributes are skipped: " + ", ".join(parts)
    with_missing = [a.name for a in model.attributes.values() if a.missing_total > 0]
    if with_missing:
        shown = with_missing[:4] + (["...(see View)"] if len(with_missing) > 4 else [])
        return "The following attributes contain missing values: " + ", ".join(shown)
    return f"Classification column preset to {model.class_column}" if preset else None


def _statistics_rows(model: NaiveBayesModel) -> list[tuple[Any, ...]]:
    """Each model's createDataRows, the models sorted by name (the class model among them)."""
    rows: list[tuple[Any, ...]] = []
    for name in _java_sorted([*model.attributes, model.class_column]):
        if name == model.class_column:
            rows += [(name, None, c, model.class_counts[c], 0, None, None) for c in model.sorted_classes]
            continue
        attr = model.attributes[name]
        if isinstance(attr, NumericAttribute):
            for c in _java_sorted(attr.mean):
                present = attr.rows[c] - attr.missing[c]
                rows.append((name, None, c, present, attr.missing[c], attr.mean[c], attr.sd[c]))
            continue
        for value in _java_sorted(attr.values):
            for c in _java_sorted(attr.counts):
                rows.append((name, value, c, attr.counts[c].get(value, 0), attr.missing[c], None, None))
    return rows


def statistics_table(model: NaiveBayesModel) -> Table:
    spec = statistics_spec(model.skip_missing)
    rows = _statistics_rows(model)
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(STATISTICS_COLUMNS)
    data: dict[str, Any] = {}
    for name, values in zip(STATISTICS_COLUMNS, columns, strict=True):
        if name not in spec:
            continue
        if name in ("Count", "Missing value count"):
            data[name] = np.array(values, dtype=np.int32)
        elif name in ("Mean", "Standard deviation"):
            data[name] = np.array([math.nan if v is None else v for v in values], dtype=float)
        else:
            data[name] = np.array(values, dtype=object)
    frame = pd.DataFrame(data, index=pd.Index([f"Row{i}" for i in range(len(rows))], dtype=object))
    return Table(frame, {c.name: c.type for c in spec.columns})


def _learning_spec(spec: TableSpec, plan: _Plan) -> TableSpec:
    return spec.select([n for n in spec.names if n in plan.numeric or n in plan.nominal])


class NaiveBayesLearner(Node):
    type_name = "naive_bayes_learner"
    display_name = "Naive Bayes Learner"
    category = Category.LEARNER
    description = (
        "Learns KNIME's Naive Bayes model from every column of the table: a Gaussian per class for numeric and "
        "Boolean columns, value counts per class for String columns (skipped, with a warning, beyond "
        "maxNoOfNomVals distinct values), the class prior from the class counts. A zero count or a density below "
        "threshold counts as threshold; standard deviations at or below minSdThreshold become minSdValue. Missing "
        "cells are information unless skipMissingVals. The second output lists counts, means and standard "
        "deviations per attribute and class."
    )
    keywords = ("naive bayes", "bayes", "classification", "gaussian", "probabilistic", "learner")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.bayes.naivebayes.learner3.NaiveBayesLearnerNodeFactory4",
            "Naive Bayes Learner",
            _learner_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.bayes.naivebayes.learner2.NaiveBayesLearnerNodeFactory2",
            "Naive Bayes Learner",
            _learner2_from_knime,
            ports=lambda _cfg: ({2: None}, {}),  # its optional PMML input (preprocessing) has no counterpart
        ),
        KnimeMapping(
            "org.knime.base.node.mine.bayes.naivebayes.learner2.NaiveBayesLearnerNodeFactory3",
            "Naive Bayes Learner",
            _learner2_from_knime,
            ports=lambda _cfg: ({2: None}, {}),
        ),
    )
    inputs = (Port(TABLE, "Training data", "The class column and the attributes (all other columns)."),)
    outputs = (
        Port(NAIVE_BAYES, "Naive Bayes model", "The model (KNIME: a PMML NaiveBayesModel)."),
        Port(
            TABLE, "Statistics", "Counts per value and class; count, mean and standard deviation per class."
        ),
    )
    Settings = NaiveBayesLearnerSettings

    def configure(
        self, in_specs: list[Any], settings: NaiveBayesLearnerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, statistics_spec(settings.skipMissingVals or settings.compatiblePMML)]
        plan = _plan(spec, settings)
        mspec = ModelSpec(KIND, _learning_spec(spec, plan), spec.get(plan.target))
        return [mspec, statistics_spec(settings.skipMissingVals or settings.compatiblePMML)]

    def execute(self, inputs: list[Any], settings: NaiveBayesLearnerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        plan = _plan(table.spec, settings)
        if plan.ignored:
            ctx.log(
                f"The following columns are not supported and thus will be ignored: {', '.join(plan.ignored)}"
            )
        model = learn(table, settings, ctx)
        warning = _learner_warning(model, plan.preset)
        if warning:
            ctx.warn(warning)
        learning = list(model.attributes)
        details = {"class_values": model.sorted_classes, "training_spec": table.spec}
        mspec = ModelSpec(KIND, table.spec.select(learning), table.spec.get(model.class_column), details)
        summary = (
            f"NaiveBayes Model. Class column: {model.class_column} Number of attributes: {len(learning)}"
        )
        return [Model(KIND, model, summary, spec=mspec), statistics_table(model)]


# -------------------------------------------------------------------------------------- predictor


class NaiveBayesPredictorSettings(NodeSettings):
    """KNIME's NaiveBayesPredictorNodeModel3 settings (PredictorHelper's keys)."""

    inclProbVals: bool = Field(
        False,
        title="Append columns with normalized class distribution",
        description="Append `P (<class column>=<value>)<suffix>` per class value, normalised to sum to 1.",
    )
    change_prediction: bool = Field(
        False, title="Change prediction column name", description="Off: `Prediction (<class column>)`."
    )
    prediction_column_name: str = Field(
        PREDICTION_DEFAULT,
        description="The prediction column's name when changed.",
        json_schema_extra=widget("new_column"),
    )
    class_probability_suffix: str = Field("", description="Suffix of the probability columns.")


def _predictor_from_knime(knime: KnimeSettings) -> None:
    """The web UI (5.x) writes a null name / suffix while its switch is off."""
    knime.take("inclProbVals")
    knime.take("change_prediction", "change prediction")
    knime.take(
        "prediction_column_name",
        "prediction column name",
        transform=lambda v: PREDICTION_DEFAULT if v is None else str(v),
    )
    knime.take(
        "class_probability_suffix",
        "class probability suffix",
        transform=lambda v: "" if v is None else str(v),
    )
    knime.unread()


def _predictor3_from_knime(knime: KnimeSettings) -> None:
    _predictor_from_knime(knime)
    knime.lost(DATAMODEL2)


def _output_columns(
    target: ModelSpec, classes: list[str] | None, spec: TableSpec, settings: NaiveBayesPredictorSettings
) -> list[tuple[str, str]] | None:
    """NaiveBayesCellFactory.createResultColSpecs: the probabilities (sorted classes), then the
    prediction, named unique against the input."""
    assert target.target is not None
    name = prediction_name(settings.prediction_column_name, settings.change_prediction, target.target.name)
    kind = target.target.type
    predicted = (unique_column_name(spec.names, name), ColumnType.DOUBLE if kind == ColumnType.LONG else kind)
    if not settings.inclProbVals:
        return [predicted]
    if classes is None:
        return None
    columns = [
        (probability_name(target.target.name, c, settings.class_probability_suffix), ColumnType.DOUBLE)
        for c in classes
    ]
    taken = set(spec.names)
    for column, _ in columns:
        if column in taken:
            raise ConfigureError(f"Duplicate column name: {column}", setting="class_probability_suffix")
        taken.add(column)
    return [*columns, predicted]


def _column_warning(model: NaiveBayesModel, spec: TableSpec) -> str | None:
    """The predictor's configure warnings; the later (missing attributes) replaces the earlier."""
    training = model.training_spec
    unknown = [c.name for c in spec.columns if training.get(c.name) != c]
    absent = [n for n in training.names if n != model.class_column and n not in spec]
    return _warning("The following attributes are missing in the input data: ", absent) or _warning(
        "The following input columns are unknown and will be skipped: ", unknown
    )


def _first_value(series: pd.Series) -> str:
    present = series.dropna()
    return cell_text(present.iloc[0]) if len(present) else "?"


def _check_types(model: NaiveBayesModel, table: Table) -> None:
    """AttributeModel.getLogProbability: a known column of another kind is an error."""
    for col in table.spec.columns:
        attr = model.attributes.get(col.name)
        if attr is None or table.df[col.name].isna().all():
            continue
        numeric = isinstance(attr, NumericAttribute)
        if (numeric and col.type not in NUMERIC_TYPES) or (not numeric and col.type not in NOMINAL):
            raise NodeError(
                f"Value in column '{col.name}' ({_first_value(table.df[col.name])}) is not compatible with "
                f"attribute model {'NumericalModel' if numeric else 'NominalModel'} (Column type {col.type})"
            )


def _nominal_log_probabilities(
    attr: NominalAttribute, series: pd.Series, classes: list[str], skip: bool, log_t: float
) -> np.ndarray:
    """NominalClassValue.getLogProbability per class: log(count / rows), at least log(threshold);
    a value not seen with the class is log(threshold); a class the model has no rows for adds 0."""
    missing = series.isna().to_numpy()
    texts = [None if m else cell_text(v) for v, m in zip(series.tolist(), missing, strict=True)]
    codes = pd.Categorical(texts, categories=attr.values).codes  # -1: unseen (or missing)
    out = np.zeros((len(series), len(classes)))
    for k, cls in enumerate(classes):
        counts = attr.counts.get(cls)
        if counts is None:
            continue
        rows = attr.rows[cls]
        table = [_count_log(counts.get(v, 0), rows, log_t) for v in attr.values] + [log_t]
        out[:, k] = np.asarray(table)[codes]
        out[missing, k] = 0.0 if skip else _count_log(attr.missing[cls], rows, log_t)
    return out


def _count_log(count: int, rows: int, log_t: float) -> float:
    return max(log_t, math.log(count / rows)) if count > 0 else log_t


def _numeric_log_probabilities(
    attr: NumericAttribute, series: pd.Series, classes: list[str], skip: bool, log_t: float
) -> np.ndarray:
    """NumericalClassValue.getLogProbability: the Gaussian's log density, at least log(threshold);
    a missing value is log(threshold) (0 when skipped), as is a class the model has no values for."""
    x = numeric_values(series.to_frame(), str(series.name))
    missing = np.isnan(x)
    out = np.full((len(x), len(classes)), log_t)
    for k, cls in enumerate(classes):
        if cls not in attr.mean:
            continue
        mean, sd = attr.mean[cls], attr.sd[cls]
        if not missing.all() and (math.isnan(mean) or math.isinf(mean)):
            state = (
                "NaN. The learner, potentially, only witnessed missing values for this class during training"
            )
            raise NodeError(
                f"The mean of column '{attr.name}' for class '{cls}' is "
                + (state + "." if math.isnan(mean) else "infinite.")
            )
        if math.isinf(sd):
            continue
        frac = (x - mean) / sd
        with np.errstate(invalid="ignore"):
            out[:, k] = np.maximum(log_t, -0.5 * (frac * frac) - (math.log(sd) + LOG_SQRT_TWO_PI))
        out[missing, k] = log_t
    if skip:
        out[missing, :] = 0.0
    return out


def log_probabilities(model: NaiveBayesModel, table: Table, classes: list[str]) -> np.ndarray:
    """getLogClassProbability for every row and class: the prior's log, then each known column's
    in the input's column order."""
    total = sum(model.class_counts.values())
    prior = np.array([math.log(model.class_counts[c] / total) for c in classes])
    out = np.tile(prior, (len(table), 1))
    log_t = math.log(model.threshold)
    for name in table.columns:
        attr = model.attributes.get(name)
        if isinstance(attr, NominalAttribute):
            out += _nominal_log_probabilities(attr, table.df[name], classes, model.skip_missing, log_t)
        elif isinstance(attr, NumericAttribute):
            out += _numeric_log_probabilities(attr, table.df[name], classes, model.skip_missing, log_t)
    return out


def _winners(log_p: np.ndarray, row_ids: list[str]) -> np.ndarray:
    """getMostLikelyClass: the first class (in learning order) with the largest sum."""
    best = np.full(len(log_p), -np.inf)
    index = np.full(len(log_p), -1)
    for k in range(log_p.shape[1]):
        better = log_p[:, k] > best
        best[better] = log_p[better, k]
        index[better] = k
    if (index < 0).any():
        raise NodeError(f"{ZERO_PROB} for row {row_ids[int(np.argmax(index < 0))]}")
    return index


def _java_stream_sum(terms: list[np.ndarray]) -> np.ndarray:
    """DoubleStream.sum (JDK 17): Kahan summation in stream order, then sum + compensation."""
    total = np.zeros_like(terms[0])
    compensation = np.zeros_like(terms[0])
    simple = np.zeros_like(terms[0])
    for term in terms:
        tmp = term - compensation
        velvel = total + tmp
        compensation = (velvel - total) - tmp
        total = velvel
        simple = simple + term
    final = total + compensation
    return np.where(np.isnan(final) & np.isinf(simple), simple, final)


def normalised(log_p: np.ndarray) -> np.ndarray:
    """getClassProbabilities(normalize=true): 1 / sum_j exp(log p_j - log p_i)."""
    out = np.empty_like(log_p)
    with np.errstate(invalid="ignore", over="ignore"):
        for i in range(log_p.shape[1]):
            out[:, i] = 1.0 / _java_stream_sum(
                [np.exp(log_p[:, j] - log_p[:, i]) for j in range(log_p.shape[1])]
            )
    return out


def _typed_predictions(texts: list[str], kind: str) -> Any:
    """createPredictedClassCell: the class text parsed back to the (PMML-conform) class type."""
    if kind == ColumnType.BOOLEAN:
        return np.array([t.lower() == "true" for t in texts], dtype=bool)
    if kind == ColumnType.INTEGER:
        return np.array([int(t) for t in texts], dtype=np.int32)
    if kind == ColumnType.DOUBLE:
        return np.array([float(t) for t in texts], dtype=float)
    return np.array(texts, dtype=object)


class NaiveBayesPredictor(Node):
    type_name = "naive_bayes_predictor"
    display_name = "Naive Bayes Predictor"
    category = Category.PREDICTOR
    description = (
        "Applies a Naive Bayes model: per row the class with the largest sum of the prior's and the known "
        "columns' log probabilities, appended as `Prediction (<class column>)`; optionally first the normalised "
        "class probabilities `P (<class column>=<value>)<suffix>` in sorted class order. Columns the model does not "
        "know are ignored, model columns missing from the input do not count."
    )
    keywords = ("naive bayes", "bayes", "predict", "classification", "apply", "probability")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.bayes.naivebayes.predictor4.NaiveBayesPredictorNodeFactory3",
            "Naive Bayes Predictor",
            _predictor_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.bayes.naivebayes.predictor3.NaiveBayesPredictorNodeFactory2",
            "Naive Bayes Predictor",
            _predictor3_from_knime,
        ),
    )
    inputs = (
        Port(NAIVE_BAYES, "Naive Bayes model", "A model from the Naive Bayes Learner."),
        Port(TABLE, "Data to predict", "Rows to classify."),
    )
    outputs = (Port(TABLE, "Predicted data", "The input plus the probability and prediction columns."),)
    Settings = NaiveBayesPredictorSettings

    def configure(
        self, in_specs: list[Any], settings: NaiveBayesPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model, spec = model_spec_of(in_specs[0], KIND), in_specs[1]
        if model is None or model.target is None or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        columns = _output_columns(model, model.details.get("class_values"), spec, settings)
        return [UNKNOWN if columns is None else spec.append(*columns)]

    def execute(
        self, inputs: list[Any], settings: NaiveBayesPredictorSettings, ctx: NodeContext
    ) -> list[Any]:
        model: NaiveBayesModel = inputs[0].payload
        table: Table = inputs[1]
        columns = _output_columns(inputs[0].spec, model.sorted_classes, table.spec, settings)
        assert columns is not None
        warning = _column_warning(model, table.spec)
        if warning:
            ctx.warn(warning)
        _check_types(model, table)
        log_p = log_probabilities(model, table, model.classes)
        winners = _winners(log_p, table.row_ids)
        df = table.df.copy()
        if settings.inclProbVals:
            order = [model.classes.index(c) for c in model.sorted_classes]
            probabilities = normalised(log_p[:, order])
            for j, (name, _) in enumerate(columns[:-1]):
                df[name] = probabilities[:, j]
        texts = [model.classes[k] for k in winners]
        df[columns[-1][0]] = _typed_predictions(texts, columns[-1][1])
        return [table.with_frame(df, dict(columns))]
