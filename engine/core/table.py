"""Tables as KNIME sees them: ordered rows with string RowIDs and typed columns.

A `Table` wraps a pandas DataFrame whose index holds the RowIDs. KNIME column types are kept
beside the frame because pandas dtypes cannot tell a SMILES string from a plain string, nor an
Integer from a Long.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd


class ColumnType:
    """KNIME column type names, as shown in KNIME's table views."""

    INTEGER = "Integer"
    LONG = "Long"
    DOUBLE = "Double"
    STRING = "String"
    BOOLEAN = "Boolean"
    BIT_VECTOR = "Bit vector"
    SMILES = "SMILES"
    LOCAL_DATE = "Local Date"  # cells: datetime.date
    LOCAL_TIME = "Local Time"  # cells: datetime.time
    LOCAL_DATE_TIME = "Local Date Time"  # cells: naive datetime.datetime
    LIST = "List"  # cells: tuples; typed "List of <element type>" when the element type is known
    SET = "Set"  # cells: tuples of distinct values in first-seen order; "Set of <element type>"
    JSON = "JSON"  # cells: the JSON value as compact JSON text (str), as KNIME's JSON cell prints it
    XML = "XML"  # cells: the XML document as text (str)
    URI = "URI"  # cells: the URI as text (str)
    UNKNOWN = "Unknown"

    NUMERIC = frozenset({INTEGER, LONG, DOUBLE})
    DATE_TIME = frozenset({LOCAL_DATE, LOCAL_TIME, LOCAL_DATE_TIME})

    @staticmethod
    def list_of(element: str) -> str:
        """KNIME's collection type of a List cell: `List of Double`."""
        return f"{ColumnType.LIST} of {element}"

    @staticmethod
    def set_of(element: str) -> str:
        return f"{ColumnType.SET} of {element}"

    @staticmethod
    def collection_kind(col_type: str) -> str | None:
        """`List` or `Set` for a collection type (with or without its element type), else None."""
        kind = col_type.split(" of ", 1)[0]
        return kind if kind in (ColumnType.LIST, ColumnType.SET) else None

    @staticmethod
    def element_of(col_type: str) -> str:
        """The element type of a collection type (`Unknown` when the type does not name it)."""
        kind, _, element = col_type.partition(" of ")
        if kind not in (ColumnType.LIST, ColumnType.SET):
            raise ValueError(f"{col_type} is not a collection type")
        return element or ColumnType.UNKNOWN


def type_of_dtype(dtype: Any) -> str:
    """The KNIME type a pandas dtype stands for when nothing more is known."""
    if pd.api.types.is_bool_dtype(dtype):
        return ColumnType.BOOLEAN
    if pd.api.types.is_integer_dtype(dtype):
        return (
            ColumnType.INTEGER
            if np.dtype(getattr(dtype, "numpy_dtype", dtype)).itemsize <= 4
            else ColumnType.LONG
        )
    if pd.api.types.is_float_dtype(dtype):
        return ColumnType.DOUBLE
    if getattr(dtype, "name", "") == "bitvector":
        return ColumnType.BIT_VECTOR
    return ColumnType.STRING


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str

    def is_numeric(self) -> bool:
        return self.type in ColumnType.NUMERIC


@functools.lru_cache(maxsize=1 << 16)
def _column_spec(name: str, col_type: str) -> ColumnSpec:
    """Column specs are immutable and the same 1,028 recur in every table of a loop pass: made once."""
    return ColumnSpec(name, col_type)


@dataclass(frozen=True)
class TableSpec:
    """Column names and types known at configure time (KNIME's DataTableSpec)."""

    columns: tuple[ColumnSpec, ...] = ()

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]]) -> TableSpec:
        return cls(tuple(ColumnSpec(n, t) for n, t in pairs))

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @cached_property
    def _by_name(self) -> dict[str, ColumnSpec]:
        """Name lookup in O(1): a node checking each of 1,024 fingerprint columns would otherwise
        scan the spec 1,024 times. The first column of a name wins, as in a scan."""
        by_name: dict[str, ColumnSpec] = {}
        for c in self.columns:
            by_name.setdefault(c.name, c)
        return by_name

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._by_name

    def __len__(self) -> int:
        return len(self.columns)

    def type_of(self, name: str) -> str:
        return self._by_name[name].type

    def get(self, name: str) -> ColumnSpec | None:
        return self._by_name.get(name)

    def append(self, *cols: ColumnSpec | tuple[str, str]) -> TableSpec:
        extra = tuple(c if isinstance(c, ColumnSpec) else ColumnSpec(*c) for c in cols)
        return TableSpec(self.columns + extra)

    def select(self, names: Sequence[str]) -> TableSpec:
        by_name = {c.name: c for c in self.columns}
        return TableSpec(tuple(by_name[n] for n in names))

    def replace(self, name: str, new_type: str) -> TableSpec:
        return TableSpec(tuple(ColumnSpec(c.name, new_type) if c.name == name else c for c in self.columns))

    def to_json(self) -> list[dict[str, str]]:
        return [{"name": c.name, "type": c.type} for c in self.columns]


def row_ids(n: int, prefix: str = "Row", start: int = 0) -> pd.Index:
    """KNIME's generated RowIDs: Row0, Row1, ..."""
    return pd.Index([f"{prefix}{i}" for i in range(start, start + n)], dtype=object)


@dataclass
class Table:
    """A data table: a DataFrame indexed by RowID plus KNIME column types.

    Types not given explicitly are derived from the dtypes, so nodes that only reshape numbers can
    build a Table from a DataFrame and nothing else.
    """

    df: pd.DataFrame
    types: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.df, pd.DataFrame):
            raise TypeError(f"Table needs a pandas DataFrame, got {type(self.df).__name__}")
        if len(set(map(str, self.df.columns))) != len(self.df.columns):
            raise ValueError(f"duplicate column names in table: {list(self.df.columns)}")
        self.types = {
            str(c): self.types.get(str(c)) or type_of_dtype(self.df[c].dtype) for c in self.df.columns
        }

    @classmethod
    def from_frame(
        cls, df: pd.DataFrame, types: dict[str, str] | None = None, *, new_row_ids: bool = False
    ) -> Table:
        if new_row_ids or not _is_string_index(df.index):
            df = df.copy(deep=False)
            df.index = row_ids(len(df))
        return cls(df, dict(types or {}))

    @property
    def spec(self) -> TableSpec:
        """Built once per column layout: a 1,028-column table is asked for its spec by every node."""
        cols = self.df.columns
        memo = self.__dict__.get("_spec_memo")
        if memo is not None and memo[0] is cols and memo[1] == self.types:
            return memo[2]
        types = self.types
        spec = TableSpec(tuple(_column_spec(name, types[name]) for name in map(str, cols)))
        self.__dict__["_spec_memo"] = (cols, dict(self.types), spec)
        return spec

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.df.columns]

    @property
    def row_ids(self) -> list[str]:
        return [str(i) for i in self.df.index]

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.df.shape
        return rows, cols

    def __len__(self) -> int:
        return len(self.df)

    def with_frame(self, df: pd.DataFrame, extra_types: dict[str, str] | None = None) -> Table:
        """A new table over `df`, keeping the types of columns it shares with this one."""
        if df.columns is self.df.columns and not extra_types:
            # a row subset (sampler, partitioner, filters): same columns, so the same types and spec,
            # without checking 1,028 names again on each of 45 loop passes
            table = Table.__new__(Table)
            table.df, table.types = df, dict(self.types)
            memo = self.__dict__.get("_spec_memo")
            if memo is not None:
                table.__dict__["_spec_memo"] = memo
            return table
        present = set(df.columns)
        types = {c: t for c, t in self.types.items() if c in present}
        types.update(extra_types or {})
        return Table(df, types)

    def __repr__(self) -> str:
        return f"Table(rows={len(self.df)}, cols={len(self.df.columns)})"

    # Accessors that a table holding columns sparse (`engine.core.sparse_table.SparseTable`) answers
    # without building its dense `df`; here, on a dense table, they are plain pandas.

    @property
    def sparse_columns(self) -> list[str]:
        """The columns held as a sparse matrix (none in a dense table)."""
        return []

    @property
    def index(self) -> pd.Index:
        """The RowIDs as the frame's index."""
        return self.df.index

    def take(self, rows: np.ndarray | Sequence[int] | Sequence[bool]) -> Table:
        """The rows selected by a boolean mask or by position (in that order), same columns and types."""
        rows = np.asarray(rows)
        return self.with_frame(self.df[rows] if rows.dtype == bool else self.df.iloc[rows])

    def column(self, name: str) -> pd.Series:
        """One column's values, indexed by RowID."""
        return self.df[name]

    def frame_of(self, names: Sequence[str]) -> pd.DataFrame:
        """A frame of the columns `names` only (dense), indexed by RowID."""
        return self.df[list(names)]

    def missing_rows(self, names: Sequence[str]) -> np.ndarray:
        """A boolean mask of the rows with a missing value in any of the columns `names`."""
        return missing_in(self.df, names)

    def with_column(self, name: str, values: Any, col_type: str) -> Table:
        """A new table with the column `name` appended (or replaced in place)."""
        df = self.df.copy(deep=False)
        df[name] = values
        return self.with_frame(df, {name: col_type})

    def float_matrix(self, names: Sequence[str], sparse: str | None = None) -> Any:
        """The numeric columns `names` as a float64 matrix, columns in that order, missing cells NaN.
        With `sparse="csc"` or `"csr"`, a table holding any of them sparse gives a scipy.sparse matrix of
        that format (what scikit-learn's sparse solvers read); a dense table always gives a Fortran-order
        ndarray."""
        frame = self.frame_of(names)
        if all(isinstance(t, np.dtype) and t.kind in "biuf" for t in frame.dtypes):
            return np.asfortranarray(frame.to_numpy(), dtype=np.float64)
        return np.asfortranarray(frame.apply(pd.to_numeric).to_numpy(dtype=np.float64, na_value=np.nan))


def missing_in(df: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """Rows of `df` with a missing value in any of the columns `names`."""
    dtypes = df.dtypes
    # NumPy integer and boolean columns (e.g. 1,024 fingerprint bits) cannot hold a missing value
    maybe = [
        c for c in dict.fromkeys(names) if not (isinstance(dtypes[c], np.dtype) and dtypes[c].kind in "iub")
    ]
    if not maybe:
        return np.zeros(len(df), dtype=bool)
    return df[maybe].isna().any(axis=1).to_numpy()


def _is_string_index(index: pd.Index) -> bool:
    return index.dtype == object and all(isinstance(i, str) for i in index[:50])
