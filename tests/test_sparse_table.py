"""The table layer's sparse columns (engine.api.SparseTable): every `Table` accessor gives on a table
holding columns sparse what it gives on the same table held dense, without building the dense frame."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine.api import ColumnType, SparseBlock, SparseTable, Table
from engine.core.cache import CachedResult, DiskCache


def tables(rows: int = 60, width: int = 12, seed: int = 1) -> tuple[SparseTable, Table]:
    """A table of two plain columns with `width` mostly-zero float columns held sparse between them,
    and the same table dense."""
    rng = np.random.default_rng(seed)
    values = np.where(rng.random((rows, width)) < 0.2, rng.normal(size=(rows, width)), 0.0)
    frame = pd.DataFrame(
        {"name": [f"m{i}" for i in range(rows)], "y": rng.normal(size=rows)},
        index=pd.Index([f"Row{i}" for i in range(rows)], dtype=object),
    )
    names = [f"s{j}" for j in range(width)]
    table = SparseTable(frame, SparseBlock.from_dense(values), names, at=1)
    dense = Table(
        pd.concat(
            [frame[["name"]], pd.DataFrame(values, index=frame.index, columns=names), frame[["y"]]], axis=1
        )
    )
    return table, dense


def assert_same(a: Table, b: Table) -> None:
    assert a.columns == b.columns and a.types == b.types and a.row_ids == b.row_ids
    assert a.spec == b.spec and a.shape == b.shape and len(a) == len(b)
    pd.testing.assert_frame_equal(a.df, b.df)


def test_layout_types_and_the_dense_fallback() -> None:
    table, dense = tables()
    assert table.columns == ["name", *[f"s{j}" for j in range(12)], "y"]
    assert table.types["s3"] == ColumnType.DOUBLE and table.types["name"] == ColumnType.STRING
    assert table.sparse_columns == [f"s{j}" for j in range(12)] and dense.sparse_columns == []
    assert table._dense is None
    assert_same(table, dense)
    assert table.df is table.df  # built once


def test_accessors_do_not_build_the_dense_frame() -> None:
    table, dense = tables()
    mask = np.arange(len(dense)) % 3 != 0
    positions = np.array([7, 2, 2, 40])
    for rows in (mask, positions, list(positions)):
        part = table.take(rows)
        assert isinstance(part, SparseTable) and part.block.base is table.block.base
        assert_same(part, dense.take(rows))
    pd.testing.assert_series_equal(table.column("s4"), dense.column("s4"))
    pd.testing.assert_series_equal(table.column("y"), dense.column("y"))
    pd.testing.assert_frame_equal(
        table.frame_of(["y", "s2", "name", "s0"]), dense.frame_of(["y", "s2", "name", "s0"])
    )
    pd.testing.assert_frame_equal(table.frame_of(["name"]), dense.frame_of(["name"]))
    added = table.with_column("p", np.arange(len(dense)) * 0.5, ColumnType.DOUBLE)
    assert isinstance(added, SparseTable) and added.columns[-1] == "p"
    assert_same(added, dense.with_column("p", np.arange(len(dense)) * 0.5, ColumnType.DOUBLE))
    replaced = table.with_column("y", np.ones(len(dense)), ColumnType.DOUBLE)
    assert isinstance(replaced, SparseTable) and replaced.columns == table.columns
    assert table._dense is None
    # replacing a column held sparse falls back to a dense table
    ones = np.ones(len(dense))
    assert_same(
        table.with_column("s1", ones, ColumnType.DOUBLE), dense.with_column("s1", ones, ColumnType.DOUBLE)
    )


@pytest.mark.parametrize("layout", ["csc", "csr"])
def test_float_matrix_is_sparse_in_the_asked_order(layout: str) -> None:
    table, dense = tables()
    names = ["s5", "y", "s0", "s11"]
    x = table.float_matrix(names, sparse=layout)
    assert sp.issparse(x) and x.format == layout and x.dtype == np.float64 and x.has_sorted_indices
    reference = dense.float_matrix(names, sparse=layout)
    assert isinstance(reference, np.ndarray) and reference.flags.f_contiguous
    np.testing.assert_array_equal(x.toarray(), reference)
    np.testing.assert_array_equal(table.float_matrix(names), reference)  # no layout asked: dense
    only_plain = table.float_matrix(["y"], sparse=layout)
    assert isinstance(only_plain, np.ndarray) and np.array_equal(only_plain, dense.float_matrix(["y"]))
    assert table._dense is None


def test_pickle_carries_only_its_own_rows() -> None:
    table, dense = tables(300)
    part = table.take(np.arange(300) % 3 == 0)
    part.df  # noqa: B018 - built, must not travel
    back = pickle.loads(pickle.dumps(part))
    assert isinstance(back, SparseTable) and back._dense is None
    assert back.block.base.shape == (100, 12)  # its own 100 rows, not the 300 it shared
    assert_same(back, dense.take(np.arange(300) % 3 == 0))


def test_disk_cache_keeps_it_sparse(tmp_path: Path) -> None:
    table, dense = tables()
    DiskCache(tmp_path, secret=b"k" * 32).put("a" * 64, CachedResult([table], []))
    hit = DiskCache(tmp_path, secret=b"k" * 32).get("a" * 64)
    assert hit is not None and isinstance(hit.outputs[0], SparseTable)
    assert_same(hit.outputs[0], dense)


def test_bad_blocks_are_refused() -> None:
    frame = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["r0", "r1"], dtype=object))
    block = SparseBlock.from_dense(np.eye(2))
    with pytest.raises(ValueError, match="3 rows"):
        SparseTable(pd.concat([frame, frame.iloc[:1]]), block, ["x", "y"])
    with pytest.raises(ValueError, match="named by 1 names"):
        SparseTable(frame, block, ["x"])
    with pytest.raises(ValueError, match="duplicate"):
        SparseTable(frame, block, ["a", "y"])
    with pytest.raises(ValueError, match="csc"):
        SparseTable(frame, block, ["x", "y"]).float_matrix(["x"], sparse="coo")


def test_missing_rows_of_sparse_and_plain_columns() -> None:
    rng = np.random.default_rng(4)
    values = np.where(rng.random((40, 6)) < 0.3, 1.5, 0.0)
    values[[3, 17], [2, 5]] = np.nan  # stored NaNs
    frame = pd.DataFrame(
        {"y": np.where(np.arange(40) == 9, np.nan, 1.0), "k": np.arange(40)},
        index=pd.Index([f"r{i}" for i in range(40)], dtype=object),
    )
    names = [f"s{j}" for j in range(6)]
    table = SparseTable(frame, SparseBlock.from_dense(values), names)
    dense = Table(table.df.copy(), dict(table.types))
    table = SparseTable(frame, SparseBlock.from_dense(values), names)  # without the dense frame built above
    for columns in (["s2"], ["s5", "y"], ["k", "s0"], [*names, "y", "k"]):
        expected = dense.missing_rows(columns)
        np.testing.assert_array_equal(table.missing_rows(columns), expected)
        np.testing.assert_array_equal(expected, dense.df[columns].isna().any(axis=1).to_numpy())
    assert np.flatnonzero(table.missing_rows([*names, "y"])).tolist() == [3, 9, 17]
    assert table._dense is None
