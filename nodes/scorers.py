"""Scorers: KNIME's Scorer (confusion matrix and accuracy statistics of two nominal columns), the
Scorer (JavaScript) (the same counts, its statistics chosen one by one and split into a class and an
overall table, as AccuracyScorerCalculator writes them; its view only shows these tables) and
Numeric Scorer (regression metrics of a prediction column against a reference column)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from engine.api import (
    TABLE,
    UNKNOWN,
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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings, get
from nodes._mining import cell_text, check_column, incremental_mean, numeric_values, sum_of_squares

# ---------------------------------------------------------------------------------------- Scorer

_SORTING = ("InsertionOrder", "Numeric", "Lexical", "Unsorted")  # KNIME's SortingStrategy ordinals 0..3

_STAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("TruePositives", ColumnType.INTEGER),
    ("FalsePositives", ColumnType.INTEGER),
    ("TrueNegatives", ColumnType.INTEGER),
    ("FalseNegatives", ColumnType.INTEGER),
    ("Recall", ColumnType.DOUBLE),
    ("Precision", ColumnType.DOUBLE),
    ("Sensitivity", ColumnType.DOUBLE),
    ("Specificity", ColumnType.DOUBLE),
    ("F-measure", ColumnType.DOUBLE),
    ("Accuracy", ColumnType.DOUBLE),
    ("Cohen's kappa", ColumnType.DOUBLE),
)
STATS_SPEC = TableSpec.of(_STAT_COLUMNS)


class ScorerSettings(NodeSettings):
    """KNIME's AccuracyScorer2 settings (`first`, `second`, `flowVarPrefix`, `sortingStrategy`,
    `sortingReversed`, `ignore.missing.values`)."""

    first: str | None = Field(
        None, description="The reference (actual class) column: the rows of the confusion matrix."
    )
    second: str | None = Field(
        None, description="The predicted class column: the columns of the confusion matrix."
    )
    flowVarPrefix: str | None = Field(
        None,
        description="Prefix of the pushed flow variables Accuracy, Error, #Correct, #False and Cohen's kappa "
        "(empty: no prefix).",
    )
    sortingStrategy: Literal["InsertionOrder", "Numeric", "Lexical", "Unsorted"] = Field(
        "InsertionOrder",
        description="Order of the class values in the output tables. InsertionOrder (KNIME's 0): values present in "
        "both columns first, then those only in the reference column, then those only in the prediction column, "
        "each in order of first appearance; Numeric (1) and Lexical (2) sort the values; Unsorted (3) keeps the "
        "insertion order and ignores the reversal. KNIME's ordinals 0-3 are accepted.",
    )
    sortingReversed: bool = Field(False, description="Reverse the class order.")
    ignore_missing_values: bool = Field(
        True,
        description="Skip rows with a missing value in either column (KNIME warns); when off, such a row is an error.",
    )
    legacy_column_names: bool = Field(
        False,
        description="Name the specificity column `Specifity`, as KNIME's Scorer before 4.2 "
        "(AccuracyScorerNodeFactory) does.",
    )

    @field_validator("sortingStrategy", mode="before")
    @classmethod
    def _ordinal(cls, value: Any) -> Any:
        if (
            isinstance(value, int | np.integer)
            and not isinstance(value, bool)
            and 0 <= int(value) < len(_SORTING)
        ):
            return _SORTING[int(value)]
        return value


def _cell_key(value: Any) -> Any:
    """A hashable stand-in for a cell: numpy scalars become Python numbers."""
    return value.item() if isinstance(value, np.generic) else value


def _lexical_key(value: Any) -> tuple[str, str]:
    """Approximates Java's Collator (IDENTICAL strength): case-insensitive first, lower case first on ties."""
    text = cell_text(value)
    return text.casefold(), text.swapcase()


def _class_order(first: list[Any], second: list[Any], strategy: str, reversed_: bool) -> list[Any]:
    """KNIME's `determineColValues`: both columns' values first, then first-only, then second-only."""
    seen1 = list(dict.fromkeys(first))
    seen2 = list(dict.fromkeys(second))
    in2 = set(seen2)
    in1 = set(seen1)
    order = (
        [v for v in seen1 if v in in2]
        + [v for v in seen1 if v not in in2]
        + [v for v in seen2 if v not in in1]
    )
    if not order:
        return order
    if strategy == "Unsorted":
        return order
    if strategy == "Numeric":
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in order):
            raise NodeError(
                "Numeric sorting of the class values needs numeric columns", setting="sortingStrategy"
            )
        order = sorted(order)
    elif strategy == "Lexical":
        order = sorted(order, key=_lexical_key)
    if reversed_:
        order.reverse()
    return order


def _unique_labels(order: list[Any], in_second: set[Any], first_name: str, second_name: str) -> list[str]:
    """RowIDs/column names of the class values; values that print alike (1 and "1") are told apart
    by the column they come from, as in KNIME."""
    texts = [cell_text(v) for v in order]
    duplicates = {t for t in texts if texts.count(t) > 1}
    taken: set[str] = set()
    labels = []
    for value, text in zip(order, texts, strict=True):
        base = f"{text} ({second_name if value in in_second else first_name})" if text in duplicates else text
        name, i = base, 1
        while name in taken:
            name = f"{base}#{i}"
            i += 1
        taken.add(name)
        labels.append(name)
    return labels


@dataclass(frozen=True)
class Confusion:
    """The counts of (reference, predicted) pairs: `counts[i, j]` for class `labels[i]` predicted as
    `labels[j]`; `skipped` rows had a missing value in either column."""

    labels: list[str]
    counts: np.ndarray
    correct: int
    wrong: int
    skipped: int

    def matrix(self) -> Table:
        """KNIME's confusion matrix table: RowIDs and column names are the classes, Integer counts."""
        frame = pd.DataFrame(
            self.counts.astype(np.int32), index=pd.Index(self.labels, dtype=object), columns=self.labels
        )
        return Table(frame, dict.fromkeys(self.labels, ColumnType.INTEGER))

    def class_counts(self, i: int) -> tuple[int, int, int, int]:
        """(TP, FP, TN, FN) of class i."""
        tp = int(self.counts[i, i])
        fn = int(self.counts[i].sum()) - tp
        fp = int(self.counts[:, i].sum()) - tp
        return tp, fp, int(self.counts.sum()) - tp - fn - fp, fn


def confusion(
    table: Table,
    columns: tuple[str, str],
    sorting: tuple[str, bool],
    ignore_missing: bool,
    missing_setting: str,
) -> Confusion:
    """Counts the (reference, predicted) pairs as KNIME's scorers do; a row with a missing value is
    skipped, or an error (naming `missing_setting`) when missing values are not ignored."""
    first_name, second_name = columns
    col1 = [_cell_key(v) for v in table.df[first_name].tolist()]
    col2 = [_cell_key(v) for v in table.df[second_name].tolist()]
    missing = [pd.isna(a) or pd.isna(b) for a, b in zip(col1, col2, strict=True)]
    if any(missing) and not ignore_missing:
        row = table.row_ids[missing.index(True)]
        raise NodeError(f"Missing value in row: {row}", setting=missing_setting)
    pairs = [(a, b) for a, b, m in zip(col1, col2, missing, strict=True) if not m]
    order = _class_order([a for a, _ in pairs], [b for _, b in pairs], *sorting)
    index = {v: i for i, v in enumerate(order)}
    counts = np.zeros((len(order), len(order)), dtype=np.int64)
    correct = 0
    for a, b in pairs:
        counts[index[a], index[b]] += 1
        correct += a == b
    labels = _unique_labels(order, {b for _, b in pairs}, first_name, second_name)
    return Confusion(labels, counts, correct, len(pairs) - correct, sum(missing))


def _scorer_from_knime(knime: KnimeSettings) -> None:
    """AccuracyScorer2 and the Scorer before it (AccuracyScorerNodeModel): the same keys."""
    knime.take_all(
        ["first", "second", "flowVarPrefix", "sortingStrategy", "sortingReversed", "ignore.missing.values"]
    )
    knime.unread()


def _scorer1_from_knime(knime: KnimeSettings) -> None:
    """The Scorer before KNIME 4.2 (AccuracyScorerNodeModel): the same settings; its statistics table
    spells the specificity column `Specifity`. Where it writes NaN (F-measure of a class never
    predicted nor present, accuracy of an empty table) AccuracyScorer2 writes a missing cell: the
    same value here."""
    _scorer_from_knime(knime)
    knime.put("legacy_column_names", True)


def _stats_spec(settings: ScorerSettings) -> TableSpec:
    if not settings.legacy_column_names:
        return STATS_SPEC
    return TableSpec.of(("Specifity" if n == "Specificity" else n, t) for n, t in _STAT_COLUMNS)


class Scorer(Node):
    """KNIME's Scorer (AccuracyScorer2): compares two nominal columns."""

    type_name = "scorer"
    display_name = "Scorer"
    category = Category.SCORER
    description = (
        "Compares a reference class column with a predicted class column. Port 1 is the confusion matrix (rows = "
        "reference values, columns = predicted values, RowIDs and column names = the class values, Integer "
        "counts); port 2 the accuracy statistics: one row per class with TruePositives, FalsePositives, "
        "TrueNegatives, FalseNegatives, Recall, Precision, Sensitivity, Specificity and F-measure, then a row "
        "`Overall` with Accuracy and Cohen's kappa only; undefined ratios are missing. Pushes the flow variables "
        "Accuracy, Error, #Correct, #False and Cohen's kappa (with the optional prefix)."
    )
    keywords = ("confusion matrix", "accuracy", "kappa", "precision", "recall", "F1", "classification")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.scorer.accuracy.AccuracyScorer2NodeFactory",
            "Scorer",
            _scorer_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.mine.scorer.accuracy.AccuracyScorerNodeFactory",
            "Scorer (legacy)",
            _scorer1_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "A table with a reference and a predicted class column."),)
    outputs = (
        Port(TABLE, "Confusion matrix", "Counts of (reference, predicted) pairs."),
        Port(
            TABLE, "Accuracy statistics", "Per-class statistics and the overall accuracy and Cohen's kappa."
        ),
    )
    Settings = ScorerSettings

    def configure_variables(self, in_specs: list[Any], settings: ScorerSettings) -> dict[str, str] | None:
        prefix = settings.flowVarPrefix or ""
        kinds = {"Accuracy": "Double", "Error": "Double", "#Correct": "Integer", "#False": "Integer"}
        return {prefix + k: v for k, v in {**kinds, "Cohen's kappa": "Double"}.items()}

    def configure(self, in_specs: list[Any], settings: ScorerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if isinstance(spec, TableSpec):
            if len(spec) < 2:
                raise ConfigureError("the input table must have at least two columns to compare")
            check_column(spec, settings.first, "first", what="reference")
            check_column(spec, settings.second, "second", what="prediction")
        return [UNKNOWN, _stats_spec(settings)]

    def execute(self, inputs: list[Any], settings: ScorerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        first_name, second_name = str(settings.first), str(settings.second)
        scored = confusion(
            table,
            (first_name, second_name),
            (settings.sortingStrategy, settings.sortingReversed),
            settings.ignore_missing_values,
            "ignore_missing_values",
        )
        counts, correct, wrong = scored.counts, scored.correct, scored.wrong
        if scored.skipped:
            ctx.log(
                f"{scored.skipped} row(s) with missing values in the reference or prediction column were skipped"
            )
        matrix = scored.matrix()
        stats = self._statistics(scored)

        total = correct + wrong
        accuracy = correct / total if total else math.nan
        error = wrong / total if total else math.nan
        kappa = cohen_kappa(counts)
        prefix = settings.flowVarPrefix or ""
        ctx.push_variable(prefix + "Accuracy", float(accuracy), "Double")
        ctx.push_variable(prefix + "Error", float(error), "Double")
        ctx.push_variable(prefix + "#Correct", int(correct), "Integer")
        ctx.push_variable(prefix + "#False", int(wrong), "Integer")
        ctx.push_variable(prefix + "Cohen's kappa", float(kappa), "Double")
        stats.loc[stats.index[-1], "Accuracy"] = accuracy
        stats.loc[stats.index[-1], "Cohen's kappa"] = kappa
        spec = _stats_spec(settings)
        stats.columns = pd.Index(spec.names, dtype=object)
        return [matrix, Table(stats, {c.name: c.type for c in spec.columns})]

    @staticmethod
    def _statistics(scored: Confusion) -> pd.DataFrame:
        rows: list[list[Any]] = []
        labels = scored.labels
        for i in range(len(labels)):
            tp, fp, tn, fn = scored.class_counts(i)
            recall = tp / (tp + fn) if tp + fn > 0 else math.nan
            precision = tp / (tp + fp) if tp + fp > 0 else math.nan
            specificity = tn / (tn + fp) if tn + fp > 0 else math.nan
            if not math.isnan(recall) and not math.isnan(precision) and recall + precision > 0:
                f_measure = 2.0 * precision * recall / (precision + recall)
            else:
                f_measure = math.nan
            rows.append(
                [tp, fp, tn, fn, recall, precision, recall, specificity, f_measure, math.nan, math.nan]
            )
        overall = "Overall"
        i = 1
        while overall in labels:
            overall = f"Overall (#{i})"
            i += 1
        rows.append([pd.NA] * 4 + [math.nan] * 7)
        names = [c for c, _ in _STAT_COLUMNS]
        frame = pd.DataFrame(rows, columns=names, index=pd.Index([*labels, overall], dtype=object))
        for name, ctype in _STAT_COLUMNS:
            frame[name] = frame[name].astype("Int32" if ctype == ColumnType.INTEGER else "float64")
        return frame


def cohen_kappa(counts: np.ndarray) -> float:
    """ScorerViewData.getCohenKappa: (p0 - pe) / (1 - pe); NaN (a missing cell) when undefined."""
    total = counts.sum()
    if counts.size == 0 or total == 0:
        return math.nan
    p0 = float(np.trace(counts)) / total
    rows = counts.sum(axis=1)
    cols = counts.sum(axis=0)
    pe = 0.0
    for r, c in zip(rows, cols, strict=True):
        pe += 1.0 * r * c / total / total
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (p0 - pe) / (1 - pe) if pe != 1 else math.nan
    return float(kappa)


# ------------------------------------------------------------------------------- Scorer (JavaScript)

# AccuracyScorerCalculator's class statistics: (ScorerConfig key, column, type); the values below
_CLASS_STATS: tuple[tuple[str, str, str], ...] = (
    ("classTruePositives", "True Positives", ColumnType.INTEGER),
    ("classFalsePositives", "False Positives", ColumnType.INTEGER),
    ("classTrueNegatives", "True Negatives", ColumnType.INTEGER),
    ("classFalseNegatives", "False Negatives", ColumnType.INTEGER),
    ("classAccuracy", "Accuracy", ColumnType.DOUBLE),
    ("classBalancedAccuracy", "Balanced Accuracy", ColumnType.DOUBLE),
    ("classErrorRate", "Error Rate", ColumnType.DOUBLE),
    ("classFalseNegativeRate", "False Negative Rate", ColumnType.DOUBLE),
    ("classRecall", "Recall", ColumnType.DOUBLE),
    ("classPrecision", "Precision", ColumnType.DOUBLE),
    ("classSensitivity", "Sensitivity", ColumnType.DOUBLE),
    ("classSpecificity", "Specificity", ColumnType.DOUBLE),
    ("classFMeasure", "F-measure", ColumnType.DOUBLE),
)
_OVERALL_STATS: tuple[tuple[str, str, str], ...] = (
    ("overallAccuracy", "Overall Accuracy", ColumnType.DOUBLE),
    ("overallError", "Overall Error", ColumnType.DOUBLE),
    ("overallCohensKappa", "Cohen's kappa", ColumnType.DOUBLE),
    ("overallCorrectClassified", "Correctly Classified", ColumnType.INTEGER),
    ("overallWrongClassified", "Incorrectly Classified", ColumnType.INTEGER),
)
# what only shapes the interactive view: its titles, colours, which tables and figures it shows,
# the controls it offers, the page it sits on
_SCORER_VIEW_KEYS = (
    "hideInWizard",
    "warningsInView",
    "reportMissingValues",
    "title",
    "subtitle",
    "displayTotalRows",
    "displayConfusionMatrixRates",
    "headerColor",
    "diagonalColor",
    "displayFloatAsPercent",
    "displayFullscreenButton",
    "displayClassStatsTable",
    "displayOverallStats",
    "enableViewControls",
    "enableTitleEditing",
    "enableSubtitleEditing",
    "enableRowsNumberConfig",
    "enableConfusionMatrixRatesConfig",
    "enableClassStatisticsConfig",
    "enableOverallStatisticsConfig",
    "customCSS",
    "displayLabels",
    "displayClassNature",
    "enableLabelsDisplayConfig",
)


class ScorerJSSettings(NodeSettings):
    """KNIME's ScorerConfig (Scorer (JavaScript)): the settings that change its three tables."""

    firstColumn: str | None = Field(
        None,
        title="Actual column",
        description="The reference (actual class) column: the rows of the confusion matrix.",
        json_schema_extra=widget("column"),
    )
    secondColumn: str | None = Field(
        None,
        title="Predicted column",
        description="The predicted class column: the columns of the confusion matrix.",
        json_schema_extra=widget("column"),
    )
    sortingStrategy: Literal["InsertionOrder", "Numeric", "Lexical", "Unsorted"] = Field(
        "Lexical",
        title="Sorting strategy",
        description="Order of the classes: Lexical (default), Numeric, InsertionOrder (classes in both "
        "columns first, then reference-only, then prediction-only) or Unsorted (insertion order, never reversed).",
    )
    reverseOrder: bool = Field(False, title="Reverse order", description="Reverse the class order.")
    ignoreMissingValues: bool = Field(
        True,
        title="Ignore missing values",
        description="Skip rows with a missing value in either column (a warning); when off, such a row fails.",
    )
    classTruePositives: bool = Field(True, description="Class statistics: True Positives.")
    classFalsePositives: bool = Field(True, description="Class statistics: False Positives.")
    classTrueNegatives: bool = Field(True, description="Class statistics: True Negatives.")
    classFalseNegatives: bool = Field(True, description="Class statistics: False Negatives.")
    classAccuracy: bool = Field(False, description="Class statistics: Accuracy, (TP + TN) / all.")
    classBalancedAccuracy: bool = Field(
        False, description="Class statistics: Balanced Accuracy, (TP / (TP + FN) + TN / (FP + TN)) / 2."
    )
    classErrorRate: bool = Field(False, description="Class statistics: Error Rate, (FP + FN) / all.")
    classFalseNegativeRate: bool = Field(
        False, description="Class statistics: False Negative Rate, FN / (TP + FN)."
    )
    classRecall: bool = Field(True, description="Class statistics: Recall, TP / (TP + FN).")
    classPrecision: bool = Field(True, description="Class statistics: Precision, TP / (TP + FP).")
    classSensitivity: bool = Field(True, description="Class statistics: Sensitivity, TP / (TP + FN).")
    classSpecificity: bool = Field(True, description="Class statistics: Specificity, TN / (TN + FP).")
    classFMeasure: bool = Field(True, description="Class statistics: F-measure of precision and recall.")
    overallAccuracy: bool = Field(True, description="Overall statistics: Overall Accuracy.")
    overallError: bool = Field(True, description="Overall statistics: Overall Error.")
    overallCohensKappa: bool = Field(True, description="Overall statistics: Cohen's kappa.")
    overallCorrectClassified: bool = Field(True, description="Overall statistics: Correctly Classified.")
    overallWrongClassified: bool = Field(True, description="Overall statistics: Incorrectly Classified.")


def _scorer_js_from_knime(knime: KnimeSettings) -> None:
    """ScorerConfig's keys; those of the view (titles, colours, controls) change no output table."""
    knime.take_all(
        ["firstColumn", "secondColumn", "sortingStrategy", "reverseOrder", "ignoreMissingValues"]
        + [key for key, _, _ in _CLASS_STATS + _OVERALL_STATS]
    )
    for key in _SCORER_VIEW_KEYS:
        knime.ignore_binding(key, "a setting of the interactive view only")
    knime.unread(*_SCORER_VIEW_KEYS)


def _ratio(numerator: float, denominator: int) -> float:
    """A statistic of AccuracyScorerCalculator: missing (NaN) when its denominator is 0."""
    return numerator / denominator if denominator > 0 else math.nan


def _class_statistics(tp: int, fp: int, tn: int, fn: int) -> dict[str, float]:
    """Every class statistic of AccuracyScorerCalculator.getClassStatisticsTable, by column name."""
    recall = _ratio(tp, tp + fn)
    precision = _ratio(tp, tp + fp)
    both = not math.isnan(recall) and not math.isnan(precision) and recall + precision > 0
    return {
        "True Positives": tp,
        "False Positives": fp,
        "True Negatives": tn,
        "False Negatives": fn,
        "Accuracy": _ratio(tp + tn, tp + fn + tn + fp),
        "Balanced Accuracy": (recall + tn / (fp + tn)) / 2 if tp + fn > 0 and fp + tn > 0 else math.nan,
        "Error Rate": _ratio(fp + fn, tp + fn + tn + fp),
        "False Negative Rate": _ratio(fn, tp + fn),
        "Recall": recall,
        "Precision": precision,
        "Sensitivity": recall,
        "Specificity": _ratio(tn, tn + fp),
        "F-measure": 2.0 * precision * recall / (precision + recall) if both else math.nan,
    }


def _chosen(settings: ScorerJSSettings, stats: tuple[tuple[str, str, str], ...]) -> TableSpec:
    return TableSpec.of((name, ctype) for key, name, ctype in stats if getattr(settings, key))


def _statistics_table(rows: list[dict[str, float]], index: list[str], spec: TableSpec) -> Table:
    frame = pd.DataFrame(
        [[row[name] for name in spec.names] for row in rows],
        columns=pd.Index(spec.names, dtype=object),
        index=pd.Index(index, dtype=object),
    )
    for col in spec.columns:
        frame[col.name] = frame[col.name].astype("Int32" if col.type == ColumnType.INTEGER else "float64")
    return Table(frame, {c.name: c.type for c in spec.columns})


class ScorerJS(Node):
    """KNIME's Scorer (JavaScript) (knime-js-labs ScorerNodeModel with AccuracyScorerCalculator)."""

    type_name = "scorer_js"
    display_name = "Scorer (JavaScript)"
    category = Category.SCORER
    description = (
        "Compares a reference class column with a predicted class column, as KNIME's JavaScript Scorer: port 1 "
        "the confusion matrix (rows = reference, columns = predicted classes, Integer counts), port 2 the chosen "
        "class statistics (one row per class: True/False Positives/Negatives, Accuracy, Balanced Accuracy, Error "
        "Rate, False Negative Rate, Recall, Precision, Sensitivity, Specificity, F-measure; undefined ratios "
        "missing), port 3 one row `Overall` with Overall Accuracy, Overall Error, Cohen's kappa, Correctly and "
        "Incorrectly Classified. Classes are sorted lexically by default. No flow variables, no picture."
    )
    keywords = ("confusion matrix", "accuracy", "kappa", "precision", "recall", "F1", "javascript", "view")
    knime = (
        KnimeMapping(
            "org.knime.js.base.node.scorer.ScorerNodeFactory", "Scorer (JavaScript)", _scorer_js_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table", "A table with a reference and a predicted class column."),)
    outputs = (
        Port(TABLE, "Confusion matrix", "Counts of (reference, predicted) pairs."),
        Port(TABLE, "Class statistics table", "The chosen statistics of each class."),
        Port(TABLE, "Overall statistics table", "The chosen overall statistics, one row `Overall`."),
    )
    Settings = ScorerJSSettings

    def configure(self, in_specs: list[Any], settings: ScorerJSSettings, ctx: NodeContext) -> list[Any]:
        for setting in ("firstColumn", "secondColumn"):
            if not getattr(settings, setting):
                raise ConfigureError("Please configure the node.", setting=setting)
        spec = in_specs[0]
        if isinstance(spec, TableSpec):
            for setting in ("firstColumn", "secondColumn"):
                if getattr(settings, setting) not in spec:
                    raise ConfigureError("The chosen columns are not available anymore.", setting=setting)
            if len(spec) < 2:
                raise ConfigureError("The input table must have at least two colums to compare")
        return [UNKNOWN, _chosen(settings, _CLASS_STATS), _chosen(settings, _OVERALL_STATS)]

    def execute(self, inputs: list[Any], settings: ScorerJSSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        scored = confusion(
            table,
            (str(settings.firstColumn), str(settings.secondColumn)),
            (settings.sortingStrategy, settings.reverseOrder),
            settings.ignoreMissingValues,
            "ignoreMissingValues",
        )
        if scored.skipped:
            ctx.warn(
                f"There were {scored.skipped} missing values in the reference or in the prediction class columns."
            )
        per_class = [_class_statistics(*scored.class_counts(i)) for i in range(len(scored.labels))]
        total = scored.correct + scored.wrong
        overall = {
            "Overall Accuracy": _ratio(scored.correct, total),
            "Overall Error": _ratio(scored.wrong, total),
            "Cohen's kappa": cohen_kappa(scored.counts),
            "Correctly Classified": scored.correct,
            "Incorrectly Classified": scored.wrong,
        }
        return [
            scored.matrix(),
            _statistics_table(per_class, scored.labels, _chosen(settings, _CLASS_STATS)),
            _statistics_table([overall], ["Overall"], _chosen(settings, _OVERALL_STATS)),
        ]


# -------------------------------------------------------------------------------- Numeric Scorer

SCORE_ROWS = (
    "R^2",
    "mean absolute error",
    "mean squared error",
    "root mean squared error",
    "mean signed difference",
    "mean absolute percentage error",
    "adjusted R^2",
)
# the order in which KNIME pushes the flow variables
_VARIABLE_ORDER = (
    "R^2",
    "adjusted R^2",
    "mean absolute error",
    "mean squared error",
    "root mean squared error",
    "mean signed difference",
    "mean absolute percentage error",
)


class NumericScorerSettings(NodeSettings):
    """KNIME's NumericScorer2 settings (`reference`, `predicted`, `override default output name`,
    `output column`, `generate flow variables`, `name prefix for flowvars`, `number_of_predictors`)."""

    reference: str | None = Field(
        None,
        description="The numeric reference (true) column.",
        json_schema_extra=widget("column", types=["numeric"]),
    )
    predicted: str | None = Field(
        None,
        description="The numeric predicted column.",
        json_schema_extra=widget("column", types=["numeric"]),
    )
    override_default_output_name: bool = Field(
        False,
        description="Name the output column `output_column` instead of after the predicted column.",
    )
    output_column: str = Field(
        "",
        description="Output column name when `override_default_output_name` is on.",
        json_schema_extra=widget("new_column"),
    )
    generate_flow_variables: bool = Field(
        False, description="Also push the seven scores as Double flow variables named like the output rows."
    )
    name_prefix_for_flowvars: str = Field("", description="Prefix of the flow variable names.")
    number_of_predictors: int = Field(
        0, ge=0, description="p in adjusted R^2 = 1 - (1 - R^2)(n - 1)/(n - p - 1); with 0 it equals R^2."
    )


def _numeric_scorer_from_knime(knime: KnimeSettings) -> None:
    tree = knime.tree
    for k in ("reference", "predicted"):
        if get(tree, f"{k}.useRowID"):
            knime.lost(f"{k}: using the RowID as a column is not supported")
        knime.put(k, get(tree, f"{k}.columnName"), k)
    knime.take_all(
        [
            "override default output name",
            "output column",
            "generate flow variables",
            "name prefix for flowvars",
            "number_of_predictors",
        ]
    )
    if not tree.get("override default output name"):
        knime.settings.pop("output_column", None)  # unused: the output is named after the predicted column


class NumericScorer(Node):
    """KNIME's Numeric Scorer (NumericScorer2)."""

    type_name = "numeric_scorer"
    display_name = "Numeric Scorer"
    category = Category.SCORER
    description = (
        "Scores a numeric prediction column against a reference column. Output: one Double column (named after the "
        "predicted column unless overridden) with the rows R^2 (1 - SS_res/SS_tot), mean absolute error, mean "
        "squared error, root mean squared error, mean signed difference (mean of prediction - reference), mean "
        "absolute percentage error (mean of |ref - pred| / |ref| as a fraction; missing when a reference is 0) and "
        "adjusted R^2 (n = all input rows, p = number_of_predictors). Rows with a missing reference are skipped; a "
        "missing prediction is an error. Optionally pushes the scores as flow variables."
    )
    keywords = ("R2", "RMSE", "MAE", "MSE", "MAPE", "regression", "error", "score")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.scorer.numeric2.NumericScorer2NodeFactory",
            "Numeric Scorer",
            _numeric_scorer_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "A table with a numeric reference and a numeric prediction column."),)
    outputs = (Port(TABLE, "Scores", "Seven rows of regression metrics."),)
    Settings = NumericScorerSettings

    def configure_variables(
        self, in_specs: list[Any], settings: NumericScorerSettings
    ) -> dict[str, str] | None:
        if not settings.generate_flow_variables:
            return {}
        return {settings.name_prefix_for_flowvars + var: "Double" for var in _VARIABLE_ORDER}

    @staticmethod
    def _output_name(settings: NumericScorerSettings) -> str:
        return settings.output_column if settings.override_default_output_name else str(settings.predicted)

    def configure(self, in_specs: list[Any], settings: NumericScorerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if isinstance(spec, TableSpec):
            check_column(spec, settings.reference, "reference", what="reference", numeric=True)
            check_column(spec, settings.predicted, "predicted", what="prediction", numeric=True)
        elif not settings.reference or not settings.predicted:
            raise ConfigureError(
                "no reference or prediction column selected",
                setting="reference" if not settings.reference else "predicted",
            )
        return [TableSpec.of([(self._output_name(settings), ColumnType.DOUBLE)])]

    def execute(self, inputs: list[Any], settings: NumericScorerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        # only the two columns: a table holding bit columns sparse (13_01's test rows) stays sparse
        df = table.frame_of(list(dict.fromkeys([str(settings.reference), str(settings.predicted)])))
        ref_all = numeric_values(df, str(settings.reference))
        pred_all = numeric_values(df, str(settings.predicted))
        keep = ~np.isnan(ref_all)
        bad = keep & np.isnan(pred_all)
        if bad.any():
            row = table.row_ids[int(np.flatnonzero(bad)[0])]
            raise NodeError(f"Missing value in prediction column in row: {row}", setting="predicted")
        skipped = int((~keep).sum())
        scores = numeric_scores(
            ref_all[keep].tolist(), pred_all[keep].tolist(), len(table), settings.number_of_predictors
        )
        if skipped:
            ctx.log(f"Skipped {skipped} rows, because the reference column contained missing values there.")
        if any(r == 0 for r in ref_all[keep]):
            ctx.log("Can't calculate Mean Absolute Percentage error: target value is 0!")
        name = self._output_name(settings)
        frame = pd.DataFrame(
            {name: [scores[r] for r in SCORE_ROWS]}, index=pd.Index(SCORE_ROWS, dtype=object)
        )
        if settings.generate_flow_variables:
            for var in _VARIABLE_ORDER:
                ctx.push_variable(settings.name_prefix_for_flowvars + var, float(scores[var]), "Double")
        return [Table(frame, {name: ColumnType.DOUBLE})]


def numeric_scores(ref: list[float], pred: list[float], n_rows: int, predictors: int) -> dict[str, float]:
    """NumericScorer2NodeModel's arithmetic, value by value as commons-math accumulates it; division
    by zero gives inf/NaN as in Java."""
    mean_ref = incremental_mean(ref)
    abs_err = incremental_mean(abs(r - p) for r, p in zip(ref, pred, strict=True))
    sq_err = incremental_mean((r - p) * (r - p) for r, p in zip(ref, pred, strict=True))
    signed = incremental_mean(p - r for r, p in zip(ref, pred, strict=True))
    mape = (
        math.nan
        if any(r == 0 for r in ref)
        else incremental_mean(abs(r - p) / abs(r) for r, p in zip(ref, pred, strict=True))
    )
    ss_tot = sum_of_squares(r - mean_ref for r in ref)
    ss_res = sum_of_squares(r - p for r, p in zip(ref, pred, strict=True))
    r2 = 1 - _div(ss_res, ss_tot)
    adjusted = 1 - _div((1 - r2) * (n_rows - 1), float(n_rows - predictors - 1))
    return {
        "R^2": r2,
        "mean absolute error": abs_err,
        "mean squared error": sq_err,
        "root mean squared error": math.sqrt(sq_err) if not math.isnan(sq_err) else math.nan,
        "mean signed difference": signed,
        "mean absolute percentage error": mape,
        "adjusted R^2": adjusted,
    }


def _div(a: float, b: float) -> float:
    """Java double division: x/0 is ±inf, 0/0 and NaN operands are NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if b == 0:
        return math.nan if a == 0 else math.copysign(math.inf, a) * (math.copysign(1.0, b))
    return a / b
