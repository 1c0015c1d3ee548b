"""Tables whose mostly-zero numeric columns are held as one shared sparse matrix.

Expanded fingerprints are the case in point: QM9's 130,831 Morgan fingerprints expand to 1,024 0/1
columns, 134 MB dense as uint8 (1 GB as the float64 a learner wants) although only ~2 % of the bits
are set. A `SparseTable` keeps such columns as a `SparseBlock` (rows of one CSR matrix, 14 MB)
beside a plain DataFrame of the other columns, and is a `Table` like any other:

- `table.df` is the dense fallback: the frame with the held columns as dense columns of the block's
  dtype, built once on first access. Every node that reads `df` works unchanged.
- The `Table` methods `take`, `column`, `frame_of`, `with_column` and `float_matrix` never build the
  dense frame: row subsets are positions into the same matrix (loop passes share the matrix their
  forked workers inherited; a pickled block carries only its own rows), and `float_matrix` gives a
  learner the float64 CSC/CSR matrix scikit-learn's sparse solvers read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from engine.core.table import ColumnSpec, ColumnType, Table, TableSpec, missing_in

if TYPE_CHECKING:  # scipy is imported where a block is made or read, not by everyone importing tables
    import scipy.sparse as sp

__all__ = ["SparseBlock", "SparseTable"]


class SparseBlock:
    """Rows of a shared CSR matrix `base` (any numeric dtype, sorted indices): the positions `rows`
    of this block's rows in it (None: all of them, in order). Immutable; `take` composes positions
    and never copies the matrix."""

    __slots__ = ("_csr", "base", "rows")

    def __init__(self, base: sp.csr_matrix, rows: np.ndarray | None = None) -> None:
        self.base = base
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        self._csr: sp.csr_matrix | None = base if rows is None else None

    @classmethod
    def from_dense(cls, values: np.ndarray) -> SparseBlock:
        import scipy.sparse as sp

        matrix = sp.csr_matrix(np.asarray(values))
        matrix.sort_indices()
        return cls(matrix)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.base.shape[0] if self.rows is None else len(self.rows), self.base.shape[1])

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.base.dtype)

    def __len__(self) -> int:
        return self.shape[0]

    def take(self, positions: np.ndarray) -> SparseBlock:
        positions = np.asarray(positions, dtype=np.int64)
        return SparseBlock(self.base, positions if self.rows is None else self.rows[positions])

    def csr(self) -> sp.csr_matrix:
        """This block's rows as their own CSR matrix (made once: the base matrix's rows are copied)."""
        if self._csr is None:
            self._csr = self.base[self.rows]
        return self._csr

    def nnz(self) -> int:
        return int(self.csr().nnz)

    def float_csc(self, columns: Sequence[int] | None = None) -> sp.csc_matrix:
        """The block (or its `columns`, in that order) as the float64 CSC matrix with sorted indices that
        scikit-learn's sparse coordinate descent reads (`Lasso.fit` would convert anything else to it)."""
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

    def column(self, j: int) -> np.ndarray:
        """Column `j` as a dense array of the block's dtype."""
        return self.csr()[:, [j]].toarray().ravel()

    def dense(self, columns: Sequence[int] | None = None) -> np.ndarray:
        """The block (or its `columns`) as a dense array in column order (Fortran), as pandas keeps columns."""
        matrix = self.csr()
        if columns is not None and not _is_identity(columns, matrix.shape[1]):
            matrix = matrix[:, np.asarray(columns, dtype=np.int64)]
        return matrix.toarray(order="F")  # filled column-major: no transpose afterwards

    def __reduce__(self) -> tuple[Any, ...]:
        # a pickled block carries its own rows only, not the matrix it shares
        return (SparseBlock, (self.csr(),))


def _is_identity(columns: Sequence[int], width: int) -> bool:
    return len(columns) == width and bool(np.array_equal(columns, np.arange(width)))


class SparseTable(Table):
    """A table whose columns `sparse_names` are a `SparseBlock`, placed after the first `at` columns of
    `frame` (the other columns, indexed by RowID; default: after all of them). `df` is the dense frame,
    built on first access; the other accessors never need it."""

    def __init__(
        self,
        frame: pd.DataFrame,
        block: SparseBlock,
        sparse_names: Sequence[str],
        at: int | None = None,
        types: dict[str, str] | None = None,
        spec: TableSpec | None = None,
    ) -> None:
        if len(block) != len(frame):
            raise ValueError(f"a sparse block of {len(block)} rows beside a frame of {len(frame)} rows")
        if block.shape[1] != len(sparse_names):
            raise ValueError(f"a sparse block of {block.shape[1]} columns named by {len(sparse_names)} names")
        if block.dtype.kind not in "biuf":
            raise TypeError(f"a sparse block holds numbers, not {block.dtype}")
        self.frame = frame
        self.block = block
        self.sparse_names = list(sparse_names)
        other = [str(c) for c in frame.columns]
        self.at = len(other) if at is None else int(at)
        names = [*other[: self.at], *self.sparse_names, *other[self.at :]]
        if len(set(names)) != len(names):
            raise ValueError("duplicate column names in table")
        self._names = names
        self._block_at = {n: j for j, n in enumerate(self.sparse_names)}
        types = dict(types or {})
        if any(c not in types for c in other):  # derived from the dtypes, as a Table does
            types = {**Table(frame, {c: types[c] for c in other if c in types}).types, **types}
        default = ColumnType.DOUBLE if block.dtype.kind == "f" else ColumnType.INTEGER
        self.types = {n: types.get(n) or default for n in names}
        self._spec = spec if spec is not None and spec.names == names else None
        self._dense: pd.DataFrame | None = None

    # ------------------------------------------------------------------ what a Table has

    @property
    def df(self) -> pd.DataFrame:
        """The dense frame (held columns in the block's dtype), built once on first access."""
        if self._dense is None:
            held = pd.DataFrame(
                self.block.dense(), index=self.frame.index, columns=self.sparse_names, copy=False
            )
            parts = [self.frame.iloc[:, : self.at], held, self.frame.iloc[:, self.at :]]
            self._dense = pd.concat([p for p in parts if p.shape[1]] or [held], axis=1, copy=False)
        return self._dense

    @df.setter
    def df(self, value: pd.DataFrame) -> None:
        raise AttributeError("a SparseTable's dense frame is derived; build a new Table instead")

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
        return (
            f"SparseTable(rows={len(self.frame)}, cols={len(self._names)}, sparse={len(self.sparse_names)})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # without the dense frame (it is rebuilt where it is needed)
        return (
            SparseTable,
            (self.frame, self.block, self.sparse_names, self.at, self.types, self._spec),
        )

    # ------------------------------------------------- the Table accessors, without the dense frame

    @property
    def sparse_columns(self) -> list[str]:
        return list(self.sparse_names)

    @property
    def index(self) -> pd.Index:
        return self.frame.index

    def take(self, rows: np.ndarray | Sequence[int] | Sequence[bool]) -> SparseTable:
        """Rows by a boolean mask or by position; the block shares the matrix."""
        positions = _positions(rows)
        return SparseTable(
            self.frame.take(positions),
            self.block.take(positions),
            self.sparse_names,
            self.at,
            self.types,
            self._spec,
        )

    def column(self, name: str) -> pd.Series:
        j = self._block_at.get(name)
        if j is None:
            if self._dense is not None:
                return self._dense[name]
            return self.frame[name]
        values = self._dense[name].to_numpy() if self._dense is not None else self.block.column(j)
        return pd.Series(values, index=self.frame.index, name=name)

    def frame_of(self, names: Sequence[str]) -> pd.DataFrame:
        names = list(names)
        if self._dense is not None:
            return self._dense[names]
        held = [n for n in names if n in self._block_at]
        if not held:
            return self.frame[names]
        dense = pd.DataFrame(
            self.block.dense([self._block_at[n] for n in held]),
            index=self.frame.index,
            columns=held,
            copy=False,
        )
        if len(held) == len(names):
            return dense if held == names else dense[names]
        others = [n for n in names if n not in self._block_at]
        return pd.concat([self.frame[others], dense], axis=1, copy=False)[names]

    def missing_rows(self, names: Sequence[str]) -> np.ndarray:
        names = list(names)
        if self._dense is not None:
            return missing_in(self._dense, names)
        missing = missing_in(self.frame, [n for n in names if n not in self._block_at])
        held = [self._block_at[n] for n in names if n in self._block_at]
        if held and self.block.dtype.kind == "f":  # a sparse number is NaN only where it is stored
            x = self.block.float_csr(held)
            nan = np.concatenate([[0], np.cumsum(np.isnan(x.data))])[x.indptr]
            missing = missing | (np.diff(nan) > 0)
        return missing

    def with_column(self, name: str, values: Any, col_type: str) -> Table:
        """A new table with the column `name` appended (or replaced in place); the block stays."""
        if name in self._block_at:
            return Table.with_column(self, name, values, col_type)  # dense fallback
        frame = self.frame.copy(deep=False)
        replaced = name in frame.columns
        frame[name] = values
        types = {**self.types, name: col_type}
        spec = self._spec if replaced and self.types.get(name) == col_type else None
        if spec is None and self._spec is not None and not replaced:
            spec = self._spec.append((name, col_type))
        return SparseTable(frame, self.block, self.sparse_names, self.at, types, spec)

    def float_matrix(self, names: Sequence[str], sparse: str | None = None) -> Any:
        names = list(names)
        held = [self._block_at[n] for n in names if n in self._block_at]
        if sparse is None or not held:
            return Table.float_matrix(self, names)
        import scipy.sparse as sp

        if sparse not in ("csc", "csr"):
            raise ValueError(f"sparse is 'csc', 'csr' or None, not {sparse!r}")
        others = [n for n in names if n not in self._block_at]
        if not others:
            return self.block.float_csc(held) if sparse == "csc" else self.block.float_csr(held)
        x = sp.hstack(
            [self.block.float_csc(held), sp.csc_matrix(_float_frame(self.frame[others]))], format="csc"
        )
        position = {n: i for i, n in enumerate([n for n in names if n in self._block_at] + others)}
        x = sp.csc_matrix(x[:, [position[n] for n in names]])
        x = x if sparse == "csc" else x.tocsr()
        x.sort_indices()
        return x


def _positions(rows: Any) -> np.ndarray:
    rows = np.asarray(rows)
    if rows.dtype == bool:
        return np.flatnonzero(rows)
    return rows.astype(np.int64, copy=False)


def _float_frame(frame: pd.DataFrame) -> np.ndarray:
    return frame.apply(pd.to_numeric).to_numpy(dtype=np.float64, na_value=np.nan)
