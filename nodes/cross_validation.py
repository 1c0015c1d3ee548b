"""Cross-validation: KNIME's X-Partitioner (loop start) and X-Aggregator (loop end).

The partitioner assigns every row to one of k folds before the first pass and hands fold i out as
the test set of pass i (the other rows as the training set); the aggregator collects the body's
predictions of every pass and the error of each fold. The fold assignment is KNIME's
(`XValidatePartitionModel`): linear blocks, the same blocks shuffled with `java.util.Random`, a
stratified round robin over per-class shuffled rows, or leave-one-out, so a seeded KNIME
cross-validation selects exactly the same rows here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    ColumnType,
    ConfigureError,
    Iteration,
    LoopEndNode,
    LoopStartNode,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    unique_column_name,
    widget,
)
from engine.api.knime import KnimeMapping
from nodes._java_random import JavaRandom, java_shuffle

# ------------------------------------------------------------------------------- X-Partitioner


class XPartitionerSettings(NodeSettings):
    """KNIME's XValidateSettings (`validations`, `randomSampling`, `leaveOneOut`,
    `stratifiedSampling`, `classColumn`, `useRandomSeed`, `randomSeed`)."""

    validations: int = Field(
        10, ge=1, le=32767, title="Number of validations", description="k: the number of folds (passes)."
    )
    randomSampling: bool = Field(
        True,
        title="Random sampling",
        description="Shuffle the rows into the folds (else linear sampling: consecutive blocks of rows).",
    )
    leaveOneOut: bool = Field(
        False,
        title="Leave-one-out",
        description="One pass per row, that row being the test set (validations and sampling are ignored).",
    )
    stratifiedSampling: bool = Field(
        False,
        title="Stratified sampling",
        description="Keep the class distribution of `classColumn` in every fold (takes precedence over random "
        "sampling).",
    )
    classColumn: str | None = Field(
        None, title="Class column", description="The class column for stratified sampling."
    )
    useRandomSeed: bool = Field(
        False,
        title="Use random seed",
        description="Use `randomSeed` for random and stratified sampling (else a different one on every run, "
        "unless the run has a seed).",
    )
    randomSeed: int = Field(0, title="Random seed", description="The seed (a Java long).")


def _uses_randomness(s: XPartitionerSettings) -> bool:
    return not s.leaveOneOut and (s.stratifiedSampling or s.randomSampling)


def _cell_key(value: Any) -> Any:
    """Class values as KNIME's DataCell.equals sees them: all missing cells are one value."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ("<missing>",)
    return value.item() if isinstance(value, np.generic) else value


def fold_numbers(table: Table, s: XPartitionerSettings, seed: int) -> list[int]:
    """Every row's fold, as XValidatePartitionModel.execute computes `m_partNumbers`."""
    n = len(table)
    k = s.validations
    parts = [0] * n
    if s.stratifiedSampling:
        by_class: dict[Any, list[int]] = {}
        for i, value in enumerate(table.df[str(s.classColumn)].tolist()):
            by_class.setdefault(_cell_key(value), []).append(i)
        part = 0
        for rows in by_class.values():
            java_shuffle(rows, JavaRandom(seed))  # each class with a new Random of the same seed
            for i in rows:
                parts[i] = part
                part = (part + 1) % k
        return parts
    part_size = n / k
    parts = [int(min(i / part_size, n)) for i in range(n)]  # (short) Math.min(i / partSize, n)
    if s.randomSampling:
        rnd = JavaRandom(seed)
        for i in range(n):
            pos = rnd.nextInt(n)
            parts[pos], parts[i] = parts[i], parts[pos]
    return parts


class XPartitioner(LoopStartNode):
    """KNIME's X-Partitioner (XValidatePartitionerFactory)."""

    type_name = "x_partitioner"
    display_name = "X-Partitioner"
    description = (
        "Starts a cross-validation loop: the rows are split into k folds (linear blocks, random, stratified by a "
        "class column, or leave-one-out) and each pass gets one fold as the test set (port 2) and the other rows "
        "as the training set (port 1), both in input order. Pushes `currentIteration` (the fold, 0-based) and "
        "`maxIterations` (k). Close the loop with an X-Aggregator."
    )
    keywords = ("cross validation", "k-fold", "loop", "folds", "leave-one-out", "validation")
    knime = (
        KnimeMapping("org.knime.base.node.meta.xvalidation.XValidatePartitionerFactory", "X-Partitioner"),
    )
    inputs = (Port(TABLE, "Input data", "The table to cross-validate on."),)
    outputs = (
        Port(TABLE, "Training data", "All rows but the current fold."),
        Port(TABLE, "Test data", "The rows of the current fold."),
    )
    Settings = XPartitionerSettings

    def is_deterministic(self, settings: XPartitionerSettings) -> bool:
        return settings.useRandomSeed or not _uses_randomness(settings)

    def configure(self, in_specs: list[Any], settings: XPartitionerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if settings.stratifiedSampling and not settings.leaveOneOut:
            if not settings.classColumn:
                raise ConfigureError(
                    "No class column for stratified sampling selected", setting="classColumn"
                )
            if isinstance(spec, TableSpec) and settings.classColumn not in spec:
                raise ConfigureError(
                    f"Class column '{settings.classColumn}' does not exist in input table",
                    setting="classColumn",
                )
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        return [spec, spec]

    def plan(self, inputs: list[Any], settings: XPartitionerSettings, ctx: NodeContext) -> list[Iteration]:
        table: Table = inputs[0]
        n = len(table)
        df = table.df
        if settings.leaveOneOut:
            passes = []
            for i in range(n):
                test = np.zeros(n, dtype=bool)
                test[i] = True
                passes.append(self._pass(table, df, test, i, n))
            return passes
        if settings.stratifiedSampling and settings.classColumn not in table.spec:
            raise NodeError(
                f"Class column '{settings.classColumn}' does not exist in input table", setting="classColumn"
            )
        seed = 0
        if _uses_randomness(settings):
            seed = ctx.seed(settings.randomSeed if settings.useRandomSeed else None)
        parts = np.asarray(fold_numbers(table, settings, seed), dtype=np.int64)
        k = settings.validations
        return [self._pass(table, df, parts == i, i, k) for i in range(k)]

    @staticmethod
    def _pass(table: Table, df: pd.DataFrame, test: np.ndarray, i: int, total: int) -> Iteration:
        train_table = table.with_frame(df[~test])
        test_table = table.with_frame(df[test])
        return Iteration([train_table, test_table], {"currentIteration": i, "maxIterations": total})

    def iterations(
        self, inputs: list[Any], settings: XPartitionerSettings, ctx: NodeContext
    ) -> Iterator[Iteration]:
        yield from self.plan(inputs, settings, ctx)


# ------------------------------------------------------------------------------- X-Aggregator

NUMERIC_STATISTICS_SPEC = TableSpec.of(
    [
        ("Total squared error", ColumnType.DOUBLE),
        ("Mean squared error", ColumnType.DOUBLE),
        ("Size of Test Set", ColumnType.INTEGER),
    ]
)
NOMINAL_STATISTICS_SPEC = TableSpec.of(
    [
        ("Error in %", ColumnType.DOUBLE),
        ("Size of Test Set", ColumnType.INTEGER),
        ("Error Count", ColumnType.INTEGER),
    ]
)


class XAggregatorSettings(NodeSettings):
    """KNIME's AggregateSettings (`targetColumn`, `predictionColumn`, `addFoldId`)."""

    targetColumn: str | None = Field(
        None,
        title="Target column",
        description="The column with the true values. Null together with predictionColumn: the last column "
        "and the nearest compatible column before it (KNIME's guess, with a warning).",
    )
    predictionColumn: str | None = Field(
        None,
        title="Prediction column",
        description="The column with the predicted values.",
        json_schema_extra=widget("column"),
    )
    addFoldId: bool = Field(
        False,
        title="Add column with fold id",
        description="Append an Integer column `fold #` with the fold (0-based).",
    )


def _compatible(a: str, b: str) -> bool:
    """Whether two KNIME column types share a value class other than DataValue (a common super type)."""
    return a == b or (a in ColumnType.NUMERIC and b in ColumnType.NUMERIC)


def _columns(spec: TableSpec, s: XAggregatorSettings) -> tuple[str, str, str | None]:
    """(target, prediction, guess warning) as AggregateOutputNodeModel.configure resolves them."""
    target, prediction, warning = s.targetColumn, s.predictionColumn, None
    if target is None and prediction is None:
        cols = spec.columns
        for i in range(len(cols) - 1, -1, -1):
            j = next((j for j in range(i - 1, -1, -1) if _compatible(cols[i].type, cols[j].type)), None)
            if j is not None:
                prediction, target = cols[i].name, cols[j].name
                warning = f"Selected columns '{prediction}' and '{target}' as prediction and target columns"
                break
    if target is None:
        raise ConfigureError("No target column selected", setting="targetColumn")
    if target not in spec:
        raise ConfigureError(f"No such column: {target}", setting="targetColumn")
    if prediction is None:
        raise ConfigureError("No prediction column selected", setting="predictionColumn")
    if prediction not in spec:
        raise ConfigureError(f"No such column: {prediction}", setting="predictionColumn")
    if not _compatible(spec.type_of(target), spec.type_of(prediction)):
        raise ConfigureError(
            "Target and prediction column are not of compatible type", setting="predictionColumn"
        )
    return target, prediction, warning


def _prediction_spec(spec: TableSpec, s: XAggregatorSettings) -> TableSpec:
    if not s.addFoldId:
        return spec
    return spec.append((unique_column_name(spec.names, "fold #"), ColumnType.INTEGER))


@dataclass
class _Folds:
    tables: list[Table] = field(default_factory=list)
    stats: list[tuple[float, float, int] | tuple[float, int, int]] = field(default_factory=list)
    first_spec: TableSpec | None = None
    numeric: bool = True


class XAggregator(LoopEndNode):
    """KNIME's X-Aggregator (AggregateOutputNodeFactory)."""

    type_name = "x_aggregator"
    display_name = "X-Aggregator"
    description = (
        "Ends a cross-validation loop. Port 1: the body's tables of all passes in pass order (the predictions "
        "for every row, RowIDs kept, optionally with a `fold #` column). Port 2: one row per fold (`fold 0`, "
        "...): for a numeric prediction Total squared error, Mean squared error and Size of Test Set; for a "
        "nominal one Error in %, Size of Test Set and Error Count."
    )
    keywords = ("cross validation", "aggregate", "loop end", "error rate", "folds")
    knime = (KnimeMapping("org.knime.base.node.meta.xvalidation.AggregateOutputNodeFactory", "X-Aggregator"),)
    inputs = (Port(TABLE, "Predictions", "The test set of a pass with its prediction column."),)
    outputs = (
        Port(TABLE, "Prediction table", "The predictions of all folds."),
        Port(TABLE, "Error rates", "The error of each fold."),
    )
    Settings = XAggregatorSettings

    def configure(self, in_specs: list[Any], settings: XAggregatorSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            if settings.targetColumn is None and settings.predictionColumn is not None:
                raise ConfigureError("No target column selected", setting="targetColumn")
            return [UNKNOWN, UNKNOWN]
        target, _, _ = _columns(spec, settings)
        stats = (
            NUMERIC_STATISTICS_SPEC if spec.type_of(target) in ColumnType.NUMERIC else NOMINAL_STATISTICS_SPEC
        )
        return [_prediction_spec(spec, settings), stats]

    def begin(self, settings: XAggregatorSettings, ctx: NodeContext) -> _Folds:
        return _Folds()

    def collect(
        self, state: _Folds, inputs: list[Any], settings: XAggregatorSettings, ctx: NodeContext
    ) -> Any:
        table = inputs[0]
        if not isinstance(table, Table):
            raise NodeError(f"the loop body delivered no table in pass {len(state.stats)}")
        count = ctx.variables.get("currentIteration")
        total = ctx.variables.get("maxIterations")
        if count is None or total is None:
            raise NodeError("No matching Loop Start node! (currentIteration / maxIterations are not set)")
        spec = table.spec
        if state.first_spec is None:
            state.first_spec = spec
        elif spec != state.first_spec:
            raise NodeError(
                "Input table's structure differs from reference (first iteration) table: "
                f"{spec.names} vs. {state.first_spec.names}"
            )
        try:
            target, prediction, warning = _columns(spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        if warning and not state.stats:
            ctx.warn(warning)
        fold = len(state.stats)
        state.numeric = spec.type_of(prediction) in ColumnType.NUMERIC
        n = len(table)
        if state.numeric:
            ref = pd.to_numeric(table.df[target]).to_numpy(dtype=float, na_value=np.nan)
            pred = pd.to_numeric(table.df[prediction]).to_numpy(dtype=float, na_value=np.nan)
            bad = np.isnan(ref) | np.isnan(pred)
            if bad.any():
                row = table.row_ids[int(np.flatnonzero(bad)[0])]
                raise NodeError(
                    f'Missing value in row "{row}": the X-Aggregator needs numbers in both columns'
                )
            error_sum = 0.0
            for d in (ref - pred).tolist():  # summed row by row, as KNIME does
                error_sum += d * d
            state.stats.append((error_sum, error_sum / n if n else math.nan, n))
        else:
            wrong = sum(
                _cell_key(a) != _cell_key(b)
                for a, b in zip(table.df[target].tolist(), table.df[prediction].tolist(), strict=True)
            )
            state.stats.append((100.0 * wrong / n if n else math.nan, n, int(wrong)))
        out = table
        if settings.addFoldId:
            name = unique_column_name(spec.names, "fold #")
            df = table.df.copy()
            df[name] = np.full(n, fold, dtype=np.int64)
            out = table.with_frame(df, {name: ColumnType.INTEGER})
        state.tables.append(out)
        return None

    def finish(self, state: _Folds, settings: XAggregatorSettings, ctx: NodeContext) -> list[Any]:
        if not state.tables:
            raise NodeError("the cross-validation loop ran no pass")
        tables = state.tables
        df = pd.concat([t.df for t in tables], axis=0) if len(tables) > 1 else tables[0].df
        if len(set(df.index)) != len(df):
            raise NodeError("Duplicate RowIDs in the aggregated predictions (the folds overlap?)")
        predictions = Table(df, dict(tables[0].types))
        index = [f"fold {i}" for i in range(len(state.stats))]
        if state.numeric:
            spec = NUMERIC_STATISTICS_SPEC
            frame = pd.DataFrame(
                {
                    "Total squared error": [float(s[0]) for s in state.stats],
                    "Mean squared error": [float(s[1]) for s in state.stats],
                    "Size of Test Set": np.array([int(s[2]) for s in state.stats], dtype=np.int64),
                },
                index=index,
            )
        else:
            spec = NOMINAL_STATISTICS_SPEC
            frame = pd.DataFrame(
                {
                    "Error in %": [float(s[0]) for s in state.stats],
                    "Size of Test Set": np.array([int(s[1]) for s in state.stats], dtype=np.int64),
                    "Error Count": np.array([int(s[2]) for s in state.stats], dtype=np.int64),
                },
                index=index,
            )
        return [predictions, Table(frame, {c.name: c.type for c in spec.columns})]
