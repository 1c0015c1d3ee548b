"""KNIME's Distance Measure port in knitflow's terms: a measure bound to columns, which the distance
nodes (Distance Matrix Calculate, DBSCAN) apply to their own input table.

KNIME's distance nodes (Bit Vector Distances, Numeric Distances, ...) output a
`DistanceMeasurePortObject`: no numbers, only the configured measure and the columns it reads. A
node that receives it computes the distances of its own rows with it. knitflow carries the same
thing: a `Model` whose payload computes distances between the rows of a table, either all pairs
(`matrix`) or a few rows against all (`rows`, so DBSCAN never holds an n x n matrix).

The bit-vector measures are the similarity coefficients KNIME offers for fingerprints (Tanimoto,
Dice, cosine, Tversky), as distances 1 - similarity over the bit counts: with a = |x|, b = |y| and
c = |x AND y|, Tanimoto c / (a + b - c), Dice 2c / (a + b), cosine c / sqrt(a b), Tversky
c / (c + alpha (a - c) + beta (b - c)) (alpha = beta = 1 is Tanimoto, 0.5 Dice). Two empty
vectors are identical (distance 0); one empty and one not share nothing (distance 1). Vectors of
different lengths and missing cells are errors naming the rows, as KNIME's measures refuse them.

The numeric measures read several numeric columns: KNIME's "Standard Distance (Euclidean/
Manhattan)" (`LNormDistanceFactory`), the p-norm (sum |x_i - y_i|^p)^(1/p) (p = 2 Euclidean, p = 1
Manhattan, other p Minkowski), and the cosine distance 1 - x.y / (|x| |y|), which is NaN for a
zero vector as Java's 0 / 0 is. Sums run over the columns in their order. A missing value fails
(KNIME's missing-value handling FAIL), naming its row and column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.api import ColumnType, ModelSpec, NodeError, PortType, Table, TableSpec
from nodes._bitvector import BitVectorArray

DISTANCE_MEASURE = PortType.register(
    PortType("model.distance_measure", "Distance measure", "#9b9b9b", "square")
)
BIT_VECTOR_MEASURES = ("Tanimoto", "Dice", "Cosine", "Tversky")
NUMERIC_MEASURES = ("LNorm", "Cosine")

RowDistances = Callable[[np.ndarray], np.ndarray]  # row positions -> (len(rows) x n) distances


def _bit_matrix(table: Table, column: str) -> np.ndarray:
    """The column's bit vectors as a (rows x bits) 0/1 matrix."""
    values = table.df[column].array
    ids = table.row_ids
    if isinstance(values, BitVectorArray):
        missing = np.flatnonzero(values.mask)
        if len(missing):
            raise NodeError(f"row {ids[int(missing[0])]!r}: missing bit vector in column {column!r}")
        return np.unpackbits(values.packed, axis=1, count=values.n_bits, bitorder="little")
    cells: list[Any] = list(values)
    lengths = set()
    rows = []
    for rid, cell in zip(ids, cells, strict=True):
        if cell is None or (isinstance(cell, float) and np.isnan(cell)):
            raise NodeError(f"row {rid!r}: missing bit vector in column {column!r}")
        bits = np.asarray(cell.bits() if hasattr(cell, "bits") else cell, dtype=np.uint8)
        lengths.add(len(bits))
        rows.append(bits)
    if len(lengths) > 1:
        raise NodeError(f"the bit vectors of column {column!r} do not all have the same length")
    return np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.uint8)


def _all_pairs(rows: RowDistances, n: int) -> np.ndarray:
    return rows(np.arange(n)) if n else np.zeros((0, 0))


@dataclass(frozen=True)
class BitVectorDistance:
    """A bit-vector distance measure (`measure` one of BIT_VECTOR_MEASURES) on one column; `alpha`
    and `beta` weigh x's and y's own bits in the Tversky index (x: the row a distance is of)."""

    column: str
    measure: str
    alpha: float = 1.0
    beta: float = 1.0

    def check(self, types: dict[str, str]) -> str | None:
        """Why the measure cannot read a table with these column types, or None."""
        if self.column not in types:
            return f"the distance measure's column {self.column!r} is not in the table"
        if types[self.column] != ColumnType.BIT_VECTOR:
            return f"the distance measure's column {self.column!r} holds no bit vectors"
        return None

    def rows(self, table: Table) -> RowDistances:
        """The distances of given rows to all rows of the table (the bits are read once)."""
        problem = self.check(dict(table.types))
        if problem:
            raise NodeError(problem)
        bits = _bit_matrix(table, self.column).astype(np.float64)
        counts = bits.sum(axis=1)

        def distances(rows: np.ndarray) -> np.ndarray:
            common = bits[rows] @ bits.T  # c: exact integer counts in float64
            a, b = counts[rows][:, None], counts[None, :]
            if self.measure == "Tanimoto":
                denominator = a + b - common
                numerator = common
            elif self.measure == "Dice":
                denominator = a + b
                numerator = 2 * common
            elif self.measure == "Tversky":
                denominator = common + self.alpha * (a - common) + self.beta * (b - common)
                numerator = common
            else:
                denominator = np.sqrt(a * b)
                numerator = common
            with np.errstate(divide="ignore", invalid="ignore"):
                similarity = np.where(
                    denominator > 0, numerator / np.where(denominator > 0, denominator, 1), 0.0
                )
            both_empty = (a == 0) & (b == 0)
            out = 1.0 - np.where(both_empty, 1.0, similarity)
            out[np.arange(len(rows)), rows] = 0.0
            return out

        return distances

    def matrix(self, table: Table) -> np.ndarray:
        """The distances between all pairs of the table's rows."""
        return _all_pairs(self.rows(table), len(table))


@dataclass(frozen=True)
class NumericDistance:
    """A numeric distance measure (`measure` one of NUMERIC_MEASURES; `p` of the p-norm) on columns."""

    columns: tuple[str, ...]
    measure: str = "LNorm"
    p: float = 2.0

    def check(self, types: dict[str, str]) -> str | None:
        """Why the measure cannot read a table with these column types, or None."""
        for column in self.columns:
            if column not in types:
                return f"the distance measure's column {column!r} is not in the table"
            if types[column] not in ColumnType.NUMERIC:
                return f"the distance measure's column {column!r} is not numeric"
        return None

    def _values(self, table: Table) -> np.ndarray:
        values = table.float_matrix(list(self.columns)).reshape(len(table), len(self.columns))
        missing = np.argwhere(np.isnan(values))
        if len(missing):
            row, col = (int(i) for i in missing[0])
            raise NodeError(
                f"row {table.row_ids[row]!r}: missing value in column {self.columns[col]!r} "
                "(missing-value handling FAIL)"
            )
        return values

    def rows(self, table: Table) -> RowDistances:
        """The distances of given rows to all rows of the table (the values are read once)."""
        problem = self.check(dict(table.types))
        if problem:
            raise NodeError(problem)
        values = self._values(table)
        columns = range(values.shape[1])
        if self.measure == "Cosine":
            squares = np.zeros(len(values))
            for c in columns:
                squares = squares + values[:, c] * values[:, c]
            norms = np.sqrt(squares)

            def cosine(rows: np.ndarray) -> np.ndarray:
                dot = np.zeros((len(rows), len(values)))
                for c in columns:
                    dot = dot + values[rows, c][:, None] * values[:, c][None, :]
                with np.errstate(divide="ignore", invalid="ignore"):
                    return 1.0 - dot / (norms[rows][:, None] * norms[None, :])

            return cosine
        p = self.p

        def lnorm(rows: np.ndarray) -> np.ndarray:
            total = np.zeros((len(rows), len(values)))
            for c in columns:
                diff = np.abs(values[rows, c][:, None] - values[:, c][None, :])
                total = total + (diff if p == 1 else diff**p)
            return total if p == 1 else total ** (1.0 / p)

        return lnorm

    def matrix(self, table: Table) -> np.ndarray:
        """The distances between all pairs of the table's rows."""
        return _all_pairs(self.rows(table), len(table))


def measure_problem(measure: ModelSpec, spec: TableSpec) -> str | None:
    """Why a distance measure (its port spec) cannot read a table of this spec, or None: each of
    its columns must be there, of its type (a numeric measure takes any numeric type)."""
    for column in measure.learning_columns.columns:
        actual = spec.get(column.name)
        if actual is None:
            return f"the distance measure's column {column.name!r} ({column.type}) is not in the input"
        both_numeric = column.is_numeric() and actual.is_numeric()
        if not both_numeric and actual.type != column.type:
            return f"the distance measure's column {column.name!r} is {actual.type}, not {column.type}"
    return None


__all__ = [
    "BIT_VECTOR_MEASURES",
    "DISTANCE_MEASURE",
    "NUMERIC_MEASURES",
    "BitVectorDistance",
    "NumericDistance",
    "RowDistances",
    "measure_problem",
]
