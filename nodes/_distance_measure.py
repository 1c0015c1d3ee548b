"""KNIME's Distance Measure port in knitflow's terms: a measure bound to a column, which the distance
nodes (Distance Matrix Calculate) apply to their own input table.

KNIME's distance nodes (Bit Vector Distances, Numeric Distances, ...) output a
`DistanceMeasurePortObject`: no numbers, only the configured measure and the columns it reads. A
node that receives it computes the distances of its own rows with it. knitflow carries the same
thing: a `Model` whose payload computes the pairwise distance matrix of a table.

The bit-vector measures are the similarity coefficients KNIME offers for fingerprints (Tanimoto,
Dice, cosine), as distances 1 - similarity over the bit counts: with a = |x|, b = |y| and
c = |x AND y|, Tanimoto c / (a + b - c), Dice 2c / (a + b), cosine c / sqrt(a b). Two empty
vectors are identical (distance 0); one empty and one not share nothing (distance 1). Vectors of
different lengths and missing cells are errors naming the rows, as KNIME's measures refuse them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.api import ColumnType, NodeError, PortType, Table
from nodes._bitvector import BitVectorArray

DISTANCE_MEASURE = PortType.register(
    PortType("model.distance_measure", "Distance measure", "#9b9b9b", "square")
)
BIT_VECTOR_MEASURES = ("Tanimoto", "Dice", "Cosine")


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


@dataclass(frozen=True)
class BitVectorDistance:
    """A bit-vector distance measure (`measure` one of BIT_VECTOR_MEASURES) on one column."""

    column: str
    measure: str

    def check(self, types: dict[str, str]) -> str | None:
        """Why the measure cannot read a table with these column types, or None."""
        if self.column not in types:
            return f"the distance measure's column {self.column!r} is not in the table"
        if types[self.column] != ColumnType.BIT_VECTOR:
            return f"the distance measure's column {self.column!r} holds no bit vectors"
        return None

    def matrix(self, table: Table) -> np.ndarray:
        """The distances between all pairs of the table's rows."""
        problem = self.check(dict(table.types))
        if problem:
            raise NodeError(problem)
        bits = _bit_matrix(table, self.column).astype(np.float64)
        common = bits @ bits.T  # c: exact integer counts in float64
        counts = bits.sum(axis=1)
        a, b = counts[:, None], counts[None, :]
        if self.measure == "Tanimoto":
            denominator = a + b - common
            numerator = common
        elif self.measure == "Dice":
            denominator = a + b
            numerator = 2 * common
        else:
            denominator = np.sqrt(a * b)
            numerator = common
        with np.errstate(divide="ignore", invalid="ignore"):
            similarity = np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), 0.0)
        both_empty = (a == 0) & (b == 0)
        distances = 1.0 - np.where(both_empty, 1.0, similarity)
        np.fill_diagonal(distances, 0.0)
        return distances


__all__ = ["BIT_VECTOR_MEASURES", "DISTANCE_MEASURE", "BitVectorDistance"]
