"""Expanded bit vectors kept sparse: a block of 0/1 columns as one shared CSR matrix.

Expand Bit Vector turns a fingerprint column into one 0/1 column per bit. Dense, QM9's 130,831
Morgan fingerprints are 134 MB of uint8 (1 GB as the float64 a learner wants), although only ~2 %
of the bits are set. `SparseBitTable` keeps those columns as a `BitBlock`, rows of one CSR matrix
(14 MB), beside a plain DataFrame of the other columns:

- Nodes that know the block keep it: the Row Sampler and Table Partitioner (`take_rows`) hand on
  row positions into the same matrix, without copying it (the loop passes of 13_01 all share the
  matrix their forked workers inherited); the Lasso learner fits scikit-learn's sparse coordinate
  descent on it and the predictor predicts from it (`append_column` keeps the block).
- Every other node sees a normal table: `table.df` builds the dense frame (uint8 bit columns, the
  same frame Expand Bit Vector made before) on first access and keeps it. So `table.df` is the
  documented accessor for dense values, and `sparse_bits(table)` the one for the block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.api import ColumnSpec, ColumnType, Table, TableSpec

if TYPE_CHECKING:  # scipy is imported where a block is made: the sampling nodes import this module
    import scipy.sparse as sp

__all__ = ["BitBlock", "SparseBitTable", "append_column", "column", "sparse_bits", "take_rows"]

# rows unpacked at a time when a packed bit-vector column becomes a CSR matrix (bounds the scratch)
_CHUNK_ROWS = 16384
# bits are held sparse when at most this share is set: a set bit costs 5 bytes in CSR (uint8 value, int32
# column) against 1 byte per cell dense, and below ~10 % sparse coordinate descent is clearly the faster
SPARSE_MAX_DENSITY = 0.1
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def set_bit_share(packed: np.ndarray, n_bits: int) -> float:
    """The share of set bits among the `n_bits` first bits of packed vectors (padding bits are zero)."""
    cells = packed.shape[0] * n_bits
    if not cells:
        return 0.0
    count = getattr(np, "bitwise_count", None)  # numpy >= 2
    ones = count(packed) if count is not None else _POPCOUNT[packed]
    return float(ones.sum(dtype=np.int64)) / cells


class BitBlock:
    """Rows of a shared 0/1 CSR matrix: `base` (uint8 data, int32 indices) and the positions `rows`
    of this block's rows in it (None: all of them, in order). Immutable; `take` composes positions
    and never copies the matrix."""

    __slots__ = ("_csr", "base", "rows")

    def __init__(self, base: sp.csr_matrix, rows: np.ndarray | None = None) -> None:
        self.base = base
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        self._csr: sp.csr_matrix | None = base if rows is None else None

    @classmethod
    def from_packed(cls, packed: np.ndarray, width: int) -> BitBlock:
        """The first `width` bits of packed bit vectors (LSB first, as `BitVectorArray` stores them)
        as CSR arrays: only the non-zero bytes are unpacked (a fingerprint's ~20 set bits sit in at
        most 20 of its 128 bytes), a chunk of rows at a time."""
        import scipy.sparse as sp

        n = len(packed)
        counts = np.zeros(n, dtype=np.int64)
        columns: list[np.ndarray] = []
        for start in range(0, n, _CHUNK_ROWS):
            chunk = packed[start : start + _CHUNK_ROWS]
            row, byte = np.nonzero(chunk)  # row-major: each row's bytes ascending
            bits = np.unpackbits(chunk[row, byte][:, None], axis=1, bitorder="little")
            which, bit = np.nonzero(bits)  # each byte's bits ascending: columns ascending within a row
            col = byte[which] * 8 + bit
            keep = col < width
            counts[start : start + len(chunk)] = np.bincount(row[which][keep], minlength=len(chunk))
            columns.append(col[keep].astype(np.int32))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        index_type = np.int32 if indptr[-1] < 2**31 else np.int64
        indices = np.concatenate(columns) if columns else np.zeros(0, np.int32)
        matrix = sp.csr_matrix(
            (np.ones(len(indices), dtype=np.uint8), indices.astype(index_type), indptr.astype(index_type)),
            shape=(n, width),
        )
        matrix.has_sorted_indices = True
        return cls(matrix)

    @classmethod
    def from_dense(cls, bits: np.ndarray) -> BitBlock:
        import scipy.sparse as sp

        return cls(sp.csr_matrix(np.asarray(bits, dtype=np.uint8)))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.base.shape[0] if self.rows is None else len(self.rows), self.base.shape[1])

    def __len__(self) -> int:
        return self.shape[0]

    def take(self, positions: np.ndarray) -> BitBlock:
        positions = np.asarray(positions, dtype=np.int64)
        return BitBlock(self.base, positions if self.rows is None else self.rows[positions])

    def csr(self) -> sp.csr_matrix:
        """This block's rows as their own CSR matrix (made once: the base matrix's rows are copied)."""
        if self._csr is None:
            self._csr = self.base[self.rows]
        return self._csr

    def nnz(self) -> int:
        return int(self.csr().nnz)

    def float_csc(self, columns: Sequence[int] | None = None) -> sp.csc_matrix:
        """The block (or its `columns`, in that order) as the float64 CSC matrix scikit-learn's
        sparse coordinate descent reads (`Lasso.fit` would convert anything else to it)."""
        matrix = self.csr().tocsc()
        if columns is not None and not _is_identity(columns, matrix.shape[1]):
            matrix = matrix[:, np.asarray(columns, dtype=np.int64)]
        out = matrix.astype(np.float64)
        out.sort_indices()
        return out

    def float_csr(self, columns: Sequence[int] | None = None) -> sp.csr_matrix:
        """As `float_csc`, row-major: what a prediction (X @ coef) reads best."""
        matrix = self.csr()
        if columns is not None and not _is_identity(columns, matrix.shape[1]):
            matrix = matrix[:, np.asarray(columns, dtype=np.int64)]
        return matrix.astype(np.float64)

    def dense(self) -> np.ndarray:
        """The (rows, columns) 0/1 matrix as uint8 in column order (Fortran), as pandas keeps columns."""
        return self.csr().toarray(order="F")  # filled column-major: no transpose afterwards

    def __reduce__(self) -> tuple[Any, ...]:
        # a pickled block carries its own rows only, not the matrix it shares
        return (BitBlock, (self.csr(),))


def _is_identity(columns: Sequence[int], width: int) -> bool:
    return len(columns) == width and bool(np.array_equal(columns, np.arange(width)))


class SparseBitTable(Table):
    """A table whose 0/1 columns `bit_names` are a `BitBlock`, placed after the first `bit_at`
    columns of `frame` (the other columns, indexed by RowID). `df` is the dense frame, built on
    first access; `frame`, `block` and the column metadata never need it."""

    def __init__(
        self,
        frame: pd.DataFrame,
        block: BitBlock,
        bit_names: Sequence[str],
        bit_at: int,
        types: dict[str, str],
        spec: TableSpec | None = None,
    ) -> None:
        if len(block) != len(frame):
            raise ValueError(f"a block of {len(block)} rows beside a frame of {len(frame)} rows")
        if block.shape[1] != len(bit_names):
            raise ValueError(f"a block of {block.shape[1]} columns named by {len(bit_names)} names")
        self.frame = frame
        self.block = block
        self.bit_names = list(bit_names)
        self.bit_at = int(bit_at)
        other = [str(c) for c in frame.columns]
        names = [*other[: self.bit_at], *self.bit_names, *other[self.bit_at :]]
        if len(set(names)) != len(names):
            raise ValueError("duplicate column names in table")
        self._names = names
        if any(c not in types for c in other):  # derived from the dtypes, as a Table does
            types = {**Table(frame, {c: types[c] for c in other if c in types}).types, **types}
        self.types = {n: types.get(n) or ColumnType.INTEGER for n in names}
        self._spec = spec if spec is not None and spec.names == names else None
        self._dense: pd.DataFrame | None = None

    # ------------------------------------------------------------------ the Table interface

    @property
    def df(self) -> pd.DataFrame:
        """The dense frame (bit columns as uint8), built once on first access."""
        if self._dense is None:
            bits = pd.DataFrame(
                self.block.dense(), index=self.frame.index, columns=self.bit_names, copy=False
            )
            parts = [self.frame.iloc[:, : self.bit_at], bits, self.frame.iloc[:, self.bit_at :]]
            self._dense = pd.concat([p for p in parts if p.shape[1]] or [bits], axis=1, copy=False)
        return self._dense

    @df.setter
    def df(self, value: pd.DataFrame) -> None:
        raise AttributeError("a SparseBitTable's frame is derived; build a new Table instead")

    @property
    def spec(self) -> TableSpec:
        if self._spec is None:
            self._spec = TableSpec(tuple(ColumnSpec(n, self.types[n]) for n in self._names))
        return self._spec

    @property
    def columns(self) -> list[str]:
        return list(self._names)

    @property
    def row_ids(self) -> list[str]:
        return [str(i) for i in self.frame.index]

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.frame), len(self._names))

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"SparseBitTable(rows={len(self.frame)}, cols={len(self._names)}, bits={len(self.bit_names)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # without the dense frame (it is rebuilt where it is needed)
        return (
            SparseBitTable,
            (self.frame, self.block, self.bit_names, self.bit_at, self.types, self._spec),
        )

    # ---------------------------------------------------------------- operations that keep the block

    def take(self, positions: np.ndarray) -> SparseBitTable:
        """Rows by position; the block shares the matrix."""
        positions = np.asarray(positions, dtype=np.int64)
        return SparseBitTable(
            self.frame.take(positions),
            self.block.take(positions),
            self.bit_names,
            self.bit_at,
            self.types,
            self._spec,
        )

    def with_column(self, name: str, values: Any, col_type: str) -> SparseBitTable:
        """A new table with the column `name` appended (or replaced, in place)."""
        frame = self.frame.copy(deep=False)
        if name in self.bit_names:
            raise ValueError(f"column {name!r} is one of the bit columns")
        replaced = name in frame.columns
        frame[name] = values
        types = {**self.types, name: col_type}
        spec = self._spec if replaced and self.types.get(name) == col_type else None
        if spec is None and self._spec is not None and not replaced:
            spec = self._spec.append((name, col_type))
        return SparseBitTable(frame, self.block, self.bit_names, self.bit_at, types, spec)

    def bit_columns(self, names: Sequence[str]) -> list[int]:
        """Positions in the block of the bit columns among `names` (in the order of `names`)."""
        at = {n: j for j, n in enumerate(self.bit_names)}
        return [at[n] for n in names if n in at]


# ---------------------------------------------------------------------------------------- helpers


def sparse_bits(table: Table) -> SparseBitTable | None:
    """The table as a `SparseBitTable` when its bit columns are held sparse, else None."""
    return table if isinstance(table, SparseBitTable) else None


def take_rows(table: Table, selected: np.ndarray) -> Table:
    """Rows of `table` by a boolean mask or positions, keeping a sparse block sparse and shared."""
    selected = np.asarray(selected)
    if isinstance(table, SparseBitTable):
        positions = np.flatnonzero(selected) if selected.dtype == bool else selected
        return table.take(positions)
    if selected.dtype == bool:
        return table.with_frame(table.df[selected])
    return table.with_frame(table.df.iloc[selected])


def column(table: Table, name: str) -> pd.Series:
    """One column of `table` (a bit column of a sparse block as uint8), without the dense frame."""
    if isinstance(table, SparseBitTable) and name in table.bit_names:
        j = table.bit_names.index(name)
        values = table.block.csr()[:, j].toarray().ravel().astype(np.uint8)
        return pd.Series(values, index=table.frame.index, name=name)
    if isinstance(table, SparseBitTable):
        return table.frame[name]
    return table.df[name]


def append_column(table: Table, name: str, values: Any, col_type: str) -> Table:
    """`table` with the column `name` appended (replaced when it exists), keeping a block sparse."""
    if isinstance(table, SparseBitTable) and name not in table.bit_names:
        return table.with_column(name, values, col_type)
    df = table.df.copy(deep=False)
    df[name] = values
    return table.with_frame(df, {name: col_type})
