"""SMOTE (Chawla et al. 2002) as KNIME implements it (`org.knime.base.node.mine.smote`, `Smoter`),
draw for draw with `java.util.Random` (nodes._java_random), so a seed makes KNIME's rows.

* Classes in order of first appearance (KNIME's LinkedHashMap); a missing class is a class.
  `oversample_all` adds (int)(count x rate) rows to every class, `oversample_equal` fills every
  class up to the majority class's count (the first class with the highest count).
* Per class: each row is a reference count / n times, plus one extra time for the first
  count % n rows of a Fisher-Yates shuffle (`nextInt(i + 1)` for i = n-1 .. 0, drawn even when
  nothing is added). The references are visited in table order; each gets its neighbours once.
* Neighbours: the class's other rows by Euclidean distance over all numeric columns (a missing
  cell adds 0), kept in KNIME's list: ties stay beyond k, and a row closer than all kept so far
  goes second, not first (`Smoter.insertIntoList`). KNIME compares row objects to leave the
  reference out; for a table held in memory (every table knitflow has) that is the reference row.
* A new row: fraction = nextDouble(), a neighbour nextInt(#neighbours) (the row itself when it has
  none); numeric cells from + fraction x (to - from) (missing if either is), other cells copied;
  RowID `<reference RowID>dupl_<counter>`. Output: the input rows, then the new rows; numeric
  columns become Double (Booleans as 0/1).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

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
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._java_random import JavaRandom, to_int64
from nodes._rows import is_missing

NUMERIC = frozenset(
    {ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE, ColumnType.BOOLEAN}
)  # DoubleValue


class SmoteSettings(NodeSettings):
    class_column: str = Field(
        "", alias="class", title="Class column", description="The column holding the class of each row."
    )
    kNN: int = Field(  # noqa: N815 (KNIME's key)
        5,
        ge=1,
        title="# Nearest neighbor",
        description="How many nearest neighbours a new row may be drawn towards.",
    )
    method: Literal["oversample_all", "oversample_equal"] = Field(
        "oversample_all",
        title="Oversampling method",
        description="oversample_all: add rate x count rows to every class; oversample_equal: add rows to every "
        "class but the majority class until all have its count.",
    )
    rate: float = Field(
        2.0,
        gt=0,
        title="Oversampling rate",
        description="oversample_all: new rows per input row of a class (2: a class of 50 rows ends with 150).",
    )
    seed: int | None = Field(
        None,
        title="Random seed",
        description="Seed of KNIME's java.util.Random: the same seed makes the same rows as KNIME. null: a new "
        "draw each run (or one derived from the run's --seed).",
    )


def _smote_from_knime(knime: KnimeSettings) -> None:
    knime.take("class_column", "class")
    knime.take("kNN")
    knime.take("method")
    if knime.tree.get("method") != "oversample_equal":
        knime.take("rate")
    else:
        knime.ignore_binding("rate", "the rate is not used to fill classes up to the majority")
    seed = knime.tree.get("seed")
    if seed not in (None, ""):
        try:
            knime.put("seed", int(str(seed).strip()), "seed")
        except ValueError:
            knime.lost(f"SMOTE seed {seed!r} is not a Java long")
    else:
        knime.put("seed", None, "seed")


def _insert(neighbours: list[tuple[int, float]], row: int, dist: float, k: int) -> None:
    """Smoter.insertIntoList step for step (LinkedList + ListIterator), quirks included."""
    cursor = len(neighbours)
    last = math.inf
    while cursor > 0 and last > dist:
        cursor -= 1
        last = neighbours[cursor][1]
    if cursor < len(neighbours):  # lI.hasNext(): step over the element just looked at
        cursor += 1
    neighbours.insert(cursor, (row, dist))
    if len(neighbours) <= k:
        return
    bound = neighbours[k - 1][1]
    neighbours[k:] = [e for e in neighbours[k:] if not e[1] > bound]


class _Smoter:
    def __init__(self, table: Table, class_column: str, rnd: JavaRandom, ctx: NodeContext) -> None:
        self.table, self.rnd, self.ctx = table, rnd, ctx
        df = table.df
        self.numeric = [c for c in table.columns if table.types[c] in NUMERIC]
        values = np.empty((len(df), len(self.numeric)), dtype=np.float64)
        for j, c in enumerate(self.numeric):
            values[:, j] = pd.to_numeric(df[c].astype(object).where(~df[c].isna(), None), errors="coerce")
        self.values = values
        self.missing = np.isnan(values)
        classes = [None if is_missing(v) else v for v in df[class_column].to_numpy(dtype=object)]
        self.members: dict[Any, list[int]] = {}
        for i, v in enumerate(classes):
            self.members.setdefault(v, []).append(i)  # first appearance order, like KNIME's LinkedHashMap
        self.new_rows: list[tuple[int, int, float]] = []  # (reference, neighbour, fraction)

    def shuffled(self, n: int) -> list[int]:
        order = list(range(n))
        for i in range(n - 1, -1, -1):
            j = self.rnd.nextInt(i + 1)
            order[i], order[j] = order[j], order[i]
        return order

    def smote(self, cls: Any, count: int, k: int) -> None:
        rows = self.members[cls]
        n = len(rows)
        fixed = [i % n for i in range((count // n) * n)]
        lucky = self.shuffled(n)[: count - len(fixed)]
        chosen = sorted(fixed + lucky)
        pointer = 0
        while pointer < len(chosen):
            self.ctx.check_cancelled()
            index = chosen[pointer]
            ref = rows[index]
            neighbours = self.neighbours(ref, rows, k)
            while pointer < len(chosen) and chosen[pointer] == index:
                fraction = self.rnd.nextDouble()
                other = neighbours[self.rnd.nextInt(len(neighbours))] if neighbours else ref
                self.new_rows.append((ref, other, fraction))
                pointer += 1

    def neighbours(self, ref: int, rows: list[int], k: int) -> list[int]:
        candidates = np.array([r for r in rows if r != ref], dtype=np.int64)
        dist = np.zeros(len(candidates), dtype=np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            for j in range(len(self.numeric)):  # column by column, in KNIME's order of additions
                diff = self.values[ref, j] - self.values[candidates, j]
                diff[self.missing[ref, j] | self.missing[candidates, j]] = 0.0
                dist += diff * diff
            dist = np.sqrt(dist)
        kept: list[tuple[int, float]] = []
        largest = math.inf
        for row, d in zip(candidates.tolist(), dist.tolist(), strict=True):
            # once k are kept, a row farther than all of them is inserted last and cut off again
            if len(kept) >= k and d > largest:
                continue
            _insert(kept, row, d, k)
            dists = [e[1] for e in kept]
            largest = math.inf if any(math.isnan(x) for x in dists) else max(dists)
        return [row for row, _ in kept]

    def output(self, spec: TableSpec) -> Table:
        df = self.table.df
        refs = np.array([r for r, _, _ in self.new_rows], dtype=np.int64)
        others = np.array([o for _, o, _ in self.new_rows], dtype=np.int64)
        fractions = np.array([f for _, _, f in self.new_rows], dtype=np.float64)
        columns: dict[str, pd.Series] = {}
        for c in self.table.columns:
            if c in self.numeric:
                j = self.numeric.index(c)
                start, end = self.values[refs, j], self.values[others, j]
                new = start + fractions * (end - start)
                new[self.missing[refs, j] | self.missing[others, j]] = np.nan
                columns[c] = pd.Series(np.concatenate([self.values[:, j], new]), dtype="float64")
            else:
                old = df[c].reset_index(drop=True)
                columns[c] = pd.concat([old, old.iloc[refs].reset_index(drop=True)], ignore_index=True)
        ids = list(self.table.row_ids) + [
            f"{self.table.row_ids[r]}dupl_{i}" for i, r in enumerate(refs.tolist())
        ]
        frame = pd.DataFrame(columns, columns=self.table.columns)
        frame.index = pd.Index(ids, dtype=object)
        return Table(frame, {c.name: c.type for c in spec.columns})


def _output_spec(spec: TableSpec) -> TableSpec:
    """Smoter.createFinalSpec: numeric (DoubleValue) columns become Double."""
    return TableSpec.of((c.name, ColumnType.DOUBLE if c.type in NUMERIC else c.type) for c in spec.columns)


class Smote(Node):
    type_name = "smote"
    display_name = "SMOTE"
    category = Category.MANIPULATOR
    description = (
        "Oversamples classes with synthetic rows (SMOTE): each new row lies on the line between a row of the class "
        "and one of its k nearest neighbours of the same class (Euclidean over the numeric columns). Oversample "
        "every class by a rate, or the minority classes up to the majority count. KNIME's algorithm and its "
        "java.util.Random draws, so a seed gives KNIME's rows; numeric columns become Double."
    )
    keywords = ("smote", "oversample", "imbalanced", "minority", "synthetic", "balance", "class")
    knime = (KnimeMapping("org.knime.base.node.mine.smote.SmoteNodeFactory", "SMOTE", _smote_from_knime),)
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Oversampled table", "The input rows followed by the synthetic rows"),)
    Settings = SmoteSettings

    def is_deterministic(self, settings: SmoteSettings) -> bool:
        return settings.seed is not None

    def _check(self, spec: TableSpec, s: SmoteSettings, error: type[NodeError]) -> TableSpec:
        if not s.class_column:
            raise error("No class column selected.", setting="class_column")
        if s.class_column not in spec:
            raise error(f"No such column: {s.class_column}", setting="class_column")
        if not any(c.type in NUMERIC for c in spec.columns):
            raise error("No double column in data.", setting="class_column")
        return _output_spec(spec)

    def configure(self, in_specs: list[Any], settings: SmoteSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            if not settings.class_column:
                raise ConfigureError("No class column selected.", setting="class_column")
            return [UNKNOWN]
        return [self._check(spec, settings, ConfigureError)]

    def execute(self, inputs: list[Any], settings: SmoteSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        spec = self._check(table.spec, settings, NodeError)
        smoter = _Smoter(table, settings.class_column, JavaRandom(to_int64(ctx.seed(settings.seed))), ctx)
        counts = {cls: len(rows) for cls, rows in smoter.members.items()}
        if settings.method == "oversample_all":
            for cls, n in counts.items():
                smoter.smote(cls, _java_int(n * settings.rate), settings.kNN)
        elif counts:
            majority = max(counts.values())  # the first class reaching it (KNIME's strict >)
            for cls, n in counts.items():
                smoter.smote(cls, majority - n, settings.kNN)
        return [smoter.output(spec)]


def _java_int(value: float) -> int:
    """Java's (int) cast of a double: toward zero, NaN 0, clamped to the int range."""
    if math.isnan(value):
        return 0
    return max(-(2**31), min(2**31 - 1, int(value)))
