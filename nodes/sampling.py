"""Table Partitioner and Row Sampler with KNIME's exact row selection.

Both nodes share KNIME's sampling code (AbstractSamplingWebUINodeModel, Sampler,
StratifiedSamplingRowFilter, LinearSamplingRowFilter) and draw from `java.util.Random`, emulated
in `nodes._java_random`, so a seeded split selects the very rows KNIME selects (10_02/10_03's
seed 1678807467440 reproduces the recorded scores). Rows keep their order and RowIDs; expanded bit
columns held sparse stay so, as positions into the same shared matrix (`Table.take`, `engine.api.SparseTable`).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._java_random import JavaRandom, java_round, java_shuffle, to_int32, to_int64


class SamplingSettings(NodeSettings):
    partitioning_mode: Literal["RELATIVE", "ABSOLUTE"] = Field(
        "RELATIVE", description="RELATIVE: a percentage of the rows; ABSOLUTE: a number of rows."
    )
    percentage: float = Field(
        70.0,
        description="RELATIVE: percentage of rows selected, 0-100 (floor(percentage / 100 * rows) rows).",
    )
    row_count: int = Field(
        100, description="ABSOLUTE: number of rows selected (all rows if the table is smaller)."
    )
    mode: Literal["RANDOM", "FIRST_ROWS", "LINEAR", "STRATIFIED"] = Field(
        "RANDOM",
        description="RANDOM: a random subset; FIRST_ROWS: the top rows; LINEAR: evenly spread rows, always the first "
        "and the last; STRATIFIED: random, keeping the distribution of class_column.",
    )
    class_column: str | None = Field(
        None, description="STRATIFIED: the column whose value distribution is kept."
    )
    seed: int | None = Field(
        1678807467440,
        description="Random seed (a Java long) for RANDOM and STRATIFIED; the same seed selects the same rows as "
        "KNIME (whose default seed this is). null: a new selection on every run (or one derived from the run's "
        "--seed).",
    )
    action_empty: Literal["OUTPUT_EMPTY", "FAIL"] = Field(
        "FAIL", description="On an empty input table: fail, or output empty tables."
    )


def _check(spec: Any, s: SamplingSettings, error: type[NodeError]) -> None:
    if s.partitioning_mode == "RELATIVE" and not 0.0 <= s.percentage <= 100.0:
        raise error(
            f"Invalid percentage: {s.percentage:g}% (must be between 0 and 100)", setting="percentage"
        )
    if s.partitioning_mode == "ABSOLUTE" and s.row_count < 0:
        raise error(f"Invalid count: {s.row_count}", setting="row_count")
    if s.mode == "STRATIFIED":
        if not s.class_column:
            raise error("No class column for stratified sampling selected", setting="class_column")
        if isinstance(spec, TableSpec) and s.class_column not in spec:
            raise error(
                f"Column '{s.class_column}' for stratified sampling does not exist", setting="class_column"
            )


def _random(s: SamplingSettings, ctx: NodeContext) -> JavaRandom:
    return JavaRandom(to_int64(ctx.seed(s.seed)))


def selected_count(s: SamplingSettings, n_rows: int) -> int:
    """KNIME: `(int)((percentage / 100.0) * size)` or the stored row count (an int)."""
    if s.partitioning_mode == "RELATIVE":
        return to_int32(int((s.percentage / 100.0) * n_rows))
    return to_int32(s.row_count)


def random_selection(count: int, n_rows: int, rnd: JavaRandom) -> np.ndarray:
    """Sampler.createRandomNumberRowFilter: Fisher-Yates from the end over 0..n-1, first `count` kept."""
    mask = np.zeros(n_rows, dtype=bool)
    if n_rows <= count:
        mask[:] = True
        return mask
    if count <= 0:
        return mask
    mask[rnd.shuffled_head(n_rows, count)] = True
    return mask


def linear_selection(count: int, n_rows: int) -> np.ndarray:
    """LinearSamplingRowFilter: the first and the last row, the others evenly spread."""
    mask = np.zeros(n_rows, dtype=bool)
    if n_rows == 0:
        return mask
    weight = count / float(n_rows)
    remaining = count
    total = 0.0
    for i in range(n_rows):
        total += weight
        if i == 0 or i == n_rows - 1:
            remaining -= 1
            mask[i] = True
        elif remaining == 1:
            continue
        elif int(total - weight) < int(total):
            remaining -= 1
            mask[i] = True
    return mask


def _class_key(value: Any) -> Any:
    """Hashable class value; all missing cells form one class (KNIME's missing cells are equal)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ("<missing>",)
    return value.item() if isinstance(value, np.generic) else value


def stratified_selection(classes: pd.Series, count: int, rnd: JavaRandom) -> np.ndarray:
    """StratifiedSamplingRowFilter: per class (in order of first appearance) shuffle its rows and take
    round(size * fraction) from the end, then top up round-robin over the classes."""
    n_rows = len(classes)
    mask = np.zeros(n_rows, dtype=bool)
    if n_rows <= count:
        mask[:] = True
        return mask
    groups: dict[Any, list[int]] = {}
    for i, value in enumerate(classes.to_numpy(dtype=object)):
        groups.setdefault(_class_key(value), []).append(i)
    fraction = count / float(n_rows)
    taken = 0
    for rows in groups.values():
        limit = java_round(len(rows) * fraction)
        java_shuffle(rows, rnd)
        i = 0
        while i < limit and taken < count:
            mask[rows.pop()] = True
            taken += 1
            i += 1
    lists = list(groups.values())
    k = 0
    while int(mask.sum()) < count:
        rows = lists[k % len(lists)]
        if rows:
            mask[rows.pop()] = True
        k += 1
    return mask


def selection(table: Table, s: SamplingSettings, ctx: NodeContext) -> np.ndarray:
    """Which rows KNIME's filter lets through (True) for these settings."""
    n_rows = len(table)
    count = selected_count(s, n_rows)
    if s.mode == "RANDOM":
        return random_selection(count, n_rows, _random(s, ctx))
    if s.mode == "STRATIFIED":
        assert s.class_column is not None
        return stratified_selection(table.column(s.class_column), count, _random(s, ctx))
    if s.mode == "LINEAR":
        return linear_selection(count, n_rows)
    mask = np.zeros(n_rows, dtype=bool)
    mask[: max(0, count)] = True  # FIRST_ROWS
    return mask


class _SamplingNode(Node):
    Settings = SamplingSettings

    def is_deterministic(self, settings: SamplingSettings) -> bool:
        return settings.seed is not None or settings.mode in ("FIRST_ROWS", "LINEAR")

    def _prepare(self, inputs: list[Any], settings: SamplingSettings) -> Table:
        table: Table = inputs[0]
        _check(table.spec, settings, NodeError)
        if len(table) == 0 and settings.action_empty == "FAIL":
            raise NodeError("Input table is empty.", setting="action_empty")
        return table

    def _spec(self, in_specs: list[Any], settings: SamplingSettings) -> Any:
        _check(in_specs[0], settings, ConfigureError)
        return in_specs[0] if isinstance(in_specs[0], TableSpec) else UNKNOWN


def _sampling_from_knime(knime: KnimeSettings) -> None:
    """Table Partitioner / Row Sampler; legacy (pre-5.5) keys migrated like KNIME does."""
    tree = knime.tree
    if "method" in tree and "partitioningMode" not in tree:
        relative = str(tree.get("method", "Relative")).lower().startswith("rel")
        knime.put("partitioningMode", "RELATIVE" if relative else "ABSOLUTE", "method")
        knime.put("percentage", float(tree.get("fraction", 0.1)) * 100.0, "fraction")
        knime.put("rowCount", tree.get("count", 100), "count")
        legacy_mode = {
            "random": "RANDOM",
            "first": "FIRST_ROWS",
            "linear": "LINEAR",
            "stratified": "STRATIFIED",
        }
        if tree.get("samplingMethod") is None and ("random" in tree or "stratified_sampling" in tree):
            # before KNIME 2.1: two booleans (SamplingNodeSettings.loadSettingsFrom)
            stratified, random = bool(tree.get("stratified_sampling")), bool(tree.get("random"))
            mode = "stratified" if stratified else "random" if random else "first"
            knime.paths.update({"random": "mode", "stratified_sampling": "mode"})
        else:
            mode = str(tree.get("samplingMethod") or "Random").lower()
        knime.put("mode", legacy_mode.get(mode, mode.upper()), "samplingMethod")
        knime.put("class_column", tree.get("class_column"), "class_column")
        seed = tree.get("random_seed")
        knime.put("seed", int(seed) if seed not in (None, "") else None, "random_seed")
        knime.put("actionEmpty", "OUTPUT_EMPTY")
        knime.note("legacy Table Partitioner settings migrated (method/fraction/samplingMethod/random_seed)")
        knime.unread()
        return
    knime.take_all(["partitioningMode", "percentage", "rowCount", "mode", "class_column"])
    knime.put("seed", tree.get("seed") if tree.get("seed_is_present") else None, "seed")
    knime.take("actionEmpty")
    # a binding of the inactive count setting is meaningless (13_01 #185 binds both to N)
    inactive = "percentage" if tree.get("partitioningMode") == "ABSOLUTE" else "rowCount"
    knime.ignore_binding(inactive, f"partitioningMode is {tree.get('partitioningMode')}")
    if knime.settings.get("mode") != "STRATIFIED":
        knime.settings.pop("class_column", None)


class TablePartitioner(_SamplingNode):
    type_name = "table_partitioner"
    display_name = "Table Partitioner"
    category = Category.MANIPULATOR
    description = (
        "Splits the rows in two: port 1 gets the selected rows (a percentage or a number of rows, chosen at random, "
        "from the top, linearly or stratified by a class column), port 2 all others; both keep the input order and "
        "RowIDs. With a seed the random split is exactly KNIME's (java.util.Random)."
    )
    keywords = ("split", "train", "test", "partition", "holdout", "random", "sample", "stratified")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.partition.PartitionNodeFactory",
            "Table Partitioner",
            _sampling_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(TABLE, "First partition", "The selected rows (e.g. the training set)"),
        Port(TABLE, "Second partition", "The remaining rows (e.g. the test set)"),
    )

    def configure(self, in_specs: list[Any], settings: SamplingSettings, ctx: NodeContext) -> list[Any]:
        spec = self._spec(in_specs, settings)
        return [spec, spec]

    def execute(self, inputs: list[Any], settings: SamplingSettings, ctx: NodeContext) -> list[Any]:
        table = self._prepare(inputs, settings)
        mask = selection(table, settings, ctx)
        return [table.take(mask), table.take(~mask)]


class RowSampler(_SamplingNode):
    type_name = "row_sampler"
    display_name = "Row Sampler"
    category = Category.MANIPULATOR
    description = (
        "Keeps a sample of the rows (a percentage or a number of rows, chosen at random, from the top, linearly or "
        "stratified by a class column) in their input order with their RowIDs. With a seed the sample is exactly "
        "KNIME's (java.util.Random)."
    )
    keywords = ("sample", "subset", "random", "downsample", "stratified", "bootstrap")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.sample.SamplingNodeFactory", "Row Sampler", _sampling_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Sampled table", "The selected rows"),)

    def configure(self, in_specs: list[Any], settings: SamplingSettings, ctx: NodeContext) -> list[Any]:
        return [self._spec(in_specs, settings)]

    def execute(self, inputs: list[Any], settings: SamplingSettings, ctx: NodeContext) -> list[Any]:
        table = self._prepare(inputs, settings)
        mask = selection(table, settings, ctx)
        return [table.take(mask)]
