"""Expanded bit vectors held sparse (engine.api.SparseTable): Expand Bit Vector makes a `SparseTable`, Row
Sampler / Table Partitioner share its matrix, the Lasso nodes fit and predict on it without densifying,
and every other node sees the same dense table as before."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.api import ColumnType, SparseTable, Table, View
from engine.core.testing import run_node
from nodes._bitblock import SPARSE_MAX_DENSITY, block_from_packed, set_bit_share
from nodes._bitvector import BitVectorArray

N_BITS = 256


def fingerprints(rows: int, density: float = 0.03, seed: int = 3) -> tuple[Table, np.ndarray]:
    """A table like 13_01's after Missing Value: SMILES, a target and a sparse bit-vector column."""
    rng = np.random.default_rng(seed)
    bits = (rng.random((rows, N_BITS)) < density).astype(np.uint8)
    weights = rng.normal(size=N_BITS) * (rng.random(N_BITS) < 0.3)
    target = bits @ weights + 0.1 * rng.normal(size=rows) + 5.0
    df = pd.DataFrame(
        {
            "SMILES": [f"C{i}" for i in range(rows)],
            "GAP": target,
            "fp": BitVectorArray.from_bits(bits),
        }
    )
    return Table.from_frame(df, {"SMILES": ColumnType.SMILES}), bits


def expanded(rows: int = 400, **kw: float) -> tuple[SparseTable, Table, np.ndarray]:
    """The sparse table Expand Bit Vector makes, and the same table held dense."""
    table, bits = fingerprints(rows, **kw)
    out = run_node("expand_bit_vector", {"input_column": "fp"}, table)[1]
    assert isinstance(out, SparseTable)
    twin = run_node("expand_bit_vector", {"input_column": "fp"}, table)[1]
    dense = Table(twin.df.copy(), dict(twin.types))
    assert type(dense) is Table
    return out, dense, bits


def assert_same(a: Table, b: Table) -> None:
    assert a.columns == b.columns and a.types == b.types and a.row_ids == b.row_ids
    pd.testing.assert_frame_equal(a.df, b.df)


# ------------------------------------------------------------------------------------ the block


def test_expand_keeps_sparse_bits_and_the_dense_frame_is_the_old_one() -> None:
    table, bits = fingerprints(300)
    out = run_node("expand_bit_vector", {"input_column": "fp"}, table)[1]
    assert isinstance(out, SparseTable) and out.block.base.nnz == bits.sum()
    names = [f"bitvector{i}" for i in range(N_BITS)]
    assert out.columns == ["SMILES", "GAP", *names] and out.shape == (300, 2 + N_BITS) and len(out) == 300
    assert out.types == {"SMILES": "SMILES", "GAP": "Double", **dict.fromkeys(names, "Integer")}
    assert out.spec.names == out.columns and out.row_ids == table.row_ids
    assert out._dense is None  # nothing above built the dense frame
    df = out.df
    assert all(df[n].dtype == np.uint8 for n in names) and np.array_equal(df[names].to_numpy(), bits)
    assert df.index.tolist() == table.row_ids and df["SMILES"].tolist() == table.df["SMILES"].tolist()
    assert out.df is df  # built once


def test_dense_bits_or_missing_vectors_stay_dense_columns() -> None:
    busy, _ = fingerprints(50, density=0.5)
    assert set_bit_share(busy.df["fp"].array.packed, N_BITS) > SPARSE_MAX_DENSITY
    assert type(run_node("expand_bit_vector", {"input_column": "fp"}, busy)[1]) is Table
    table, bits = fingerprints(20)
    df = table.df.copy()
    df.loc[df.index[3], "fp"] = None
    out = run_node("expand_bit_vector", {"input_column": "fp"}, Table(df, table.types))[1]
    assert type(out) is Table and out.df["bitvector0"].isna().sum() == 1


def test_from_packed_equals_unpacked_bits() -> None:
    rng = np.random.default_rng(0)
    bits = (rng.random((40_000, 100)) < 0.05).astype(np.uint8)  # 40,000 rows: more than one chunk
    packed = np.packbits(bits, axis=1, bitorder="little")
    block = block_from_packed(packed, 100)
    assert block.base.has_sorted_indices and np.array_equal(block.base.toarray(), bits)
    assert np.array_equal(block_from_packed(packed, 37).base.toarray(), bits[:, :37])
    rows = np.array([5, 1, 39_999, 1])
    assert (
        np.array_equal(block.take(rows).dense(), bits[rows]) and block.take(rows).dense().flags.f_contiguous
    )
    assert np.array_equal(block.take(rows).take(np.array([3, 0])).dense(), bits[[1, 5]])


def test_pickle_carries_only_the_rows_and_not_the_dense_frame() -> None:
    table, _, _ = expanded(300)
    part = table.take(np.arange(300) % 3 == 0)
    part.df  # noqa: B018 - built, must not travel
    back = pickle.loads(pickle.dumps(part))
    assert isinstance(back, SparseTable) and back._dense is None
    assert back.block.base.shape == (100, N_BITS)  # its own 100 rows, not the 300 it shared
    assert_same(back, part)


# --------------------------------------------------------------------------- nodes that keep it


def test_sampler_and_partitioner_share_the_matrix() -> None:
    table, dense, _ = expanded(400)
    sampler = {"partitioning_mode": "ABSOLUTE", "row_count": 250, "seed": 7}
    sample = run_node("row_sampler", sampler, table)[1]
    assert isinstance(sample, SparseTable) and sample.block.base is table.block.base
    first, second = run_node("table_partitioner", {"percentage": 70.0, "seed": 11}, sample).outputs
    assert first.block.base is second.block.base is table.block.base
    assert table._dense is None and sample._dense is None  # nobody needed the dense frame
    assert_same(sample, run_node("row_sampler", sampler, dense)[1])
    reference = run_node("table_partitioner", {"percentage": 70.0, "seed": 11}, sample.df).outputs
    assert_same(first, Table(reference[0].df, sample.types))
    assert_same(second, Table(reference[1].df, sample.types))
    stratified = {"mode": "STRATIFIED", "class_column": "bitvector3", "percentage": 50.0, "seed": 2}
    assert_same(run_node("row_sampler", stratified, table)[1], run_node("row_sampler", stratified, dense)[1])


LASSO = {"target_column": "GAP", "alpha": 1e-3, "max_iter": 10000, "missing_value_handling": "Fail"}


def test_lasso_on_sparse_bits_equals_the_dense_fit() -> None:
    """scikit-learn's sparse coordinate descent never centres X (it passes the column means to the
    solver): the same optimum as the dense fit, to rounding."""
    table, dense, _ = expanded(600)
    train, test = table.take(np.arange(600) < 420), table.take(np.arange(600) >= 420)
    features = {"feature_columns": [f"bitvector{i}" for i in range(N_BITS)]}
    sparse_model = run_node("lasso_learner", {**LASSO, **features}, train)[1]
    assert table._dense is None and train._dense is None  # fitted without the dense frame
    dense_model = run_node("lasso_learner", {**LASSO, **features}, Table(train.df.copy(), train.types))[1]
    a, b = sparse_model.payload.estimator, dense_model.payload.estimator
    assert np.abs(a.coef_ - b.coef_).max() < 1e-8 and abs(a.intercept_[0] - b.intercept_[0]) < 1e-8
    assert a.n_iter_ == b.n_iter_

    predicted = run_node("regression_predictor", {}, sparse_model, test)[1]
    assert isinstance(predicted, SparseTable) and predicted.columns[-1] == "GAP_pred"
    assert predicted.types["GAP_pred"] == ColumnType.DOUBLE and test._dense is None
    reference = run_node("regression_predictor", {}, dense_model, Table(test.df.copy(), test.types))[1]
    assert predicted.columns == reference.columns and predicted.row_ids == reference.row_ids
    np.testing.assert_allclose(predicted.df["GAP_pred"], reference.df["GAP_pred"], rtol=0, atol=1e-8)
    pd.testing.assert_frame_equal(predicted.df.iloc[:, :-1], reference.df.iloc[:, :-1])
    # a model learnt on the dense table predicts from the sparse one (and the other way round)
    crossed = run_node("regression_predictor", {}, dense_model, test)[1]
    np.testing.assert_allclose(crossed.df["GAP_pred"], reference.df["GAP_pred"], rtol=0, atol=1e-12)


def test_lasso_mixes_bits_numbers_and_nominal_columns_in_the_learners_order() -> None:
    table, _, _ = expanded(500)
    rng = np.random.default_rng(5)
    table = table.with_column("x", rng.normal(size=500), ColumnType.DOUBLE)
    table = table.with_column("kind", rng.choice(["a", "b", "c"], size=500).astype(object), ColumnType.STRING)
    dense = Table(table.df.copy(), dict(table.types))
    # numbers out of the block's order, a Double between them, a nominal column: all in the dense order
    features = ["bitvector9", "x", "bitvector2", "kind", *[f"bitvector{i}" for i in range(20, 120)]]
    settings = {**LASSO, "feature_columns": features}
    a = run_node("lasso_learner", settings, table)[1].payload.estimator
    b = run_node("lasso_learner", settings, dense)[1].payload.estimator
    assert a.coef_.shape == b.coef_.shape == (1 + 2 + 100 + 3,)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=0, atol=1e-8)


def test_lasso_skips_rows_with_a_missing_target_and_keeps_the_bits_sparse() -> None:
    table, _, _ = expanded(300)
    gap = table.frame["GAP"].to_numpy().copy()
    gap[[4, 40]] = np.nan
    holey = table.with_column("GAP", gap, ColumnType.DOUBLE)
    dense = Table(holey.df.copy(), dict(holey.types))
    skip = {**LASSO, "missing_value_handling": "SkipRow"}
    a = run_node("lasso_learner", skip, holey)[1].payload.estimator
    b = run_node("lasso_learner", skip, dense)[1].payload.estimator
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=0, atol=1e-8)
    with pytest.raises(Exception, match="missing values"):
        run_node("lasso_learner", LASSO, holey)


# ------------------------------------------------------------------- nodes that see dense columns


def test_row_filter_column_filter_sorter_on_sparse_bits() -> None:
    table, dense, _ = expanded(300)
    cases = [
        ("row_filter", {"predicates": [{"column": "bitvector5", "operator": "EQ", "value": 1}]}),
        ("row_filter", {"predicates": [{"column": "GAP", "operator": "GT", "value": 5.0}]}),
        ("column_filter", {"column_filter": {"excluded_names": ["SMILES", "bitvector0", "bitvector200"]}}),
        (
            "column_filter",
            {
                "column_filter": {
                    "included_names": ["bitvector7", "GAP"],
                    "enforce_option": "EnforceInclusion",
                }
            },
        ),
        (
            "sorter",
            {
                "sorting_criteria": [
                    {"column": "bitvector3", "sorting_order": "DESCENDING"},
                    {"column": "GAP"},
                ]
            },
        ),
    ]
    for node, settings in cases:
        out = run_node(node, settings, table)[1]
        assert_same(out, run_node(node, settings, dense)[1])
        assert len(out) and out.shape[1] >= 2, (node, settings)


def test_table_view_and_csv_writer_on_sparse_bits(tmp_path: Path) -> None:
    table, dense, bits = expanded(120)
    shown = {
        "displayed_columns_v2": {
            "included_names": ["SMILES", "bitvector1", "GAP"],
            "enforce_option": "EnforceInclusion",
        }
    }
    view = run_node("table_view", shown, table)[1]
    assert isinstance(view, View)
    reference = run_node("table_view", shown, dense)[1]
    assert_same(view.table, reference.table)
    written = []
    for name, source in (("sparse.csv", table), ("dense.csv", dense)):
        run_node("csv_writer", {"file": str(tmp_path / name)}, source)
        written.append((tmp_path / name).read_text())
    assert written[0] == written[1]
    back = run_node("csv_reader", {"file": str(tmp_path / "sparse.csv")})[1]
    assert np.array_equal(back.df[[f"bitvector{i}" for i in range(N_BITS)]].to_numpy(), bits)


def test_normalizer_missing_value_and_numeric_scorer_on_sparse_bits() -> None:
    """Nodes that need dense columns read the dense fallback and give what they give on the dense table."""
    table, dense, _ = expanded(200)
    cases = [
        ("normalizer", {"mode": "Z_SCORE"}),
        (
            "normalizer",
            {
                "data_column_filter_config": {
                    "included_names": ["bitvector3", "GAP"],
                    "enforce_option": "EnforceInclusion",
                }
            },
        ),
        ("missing_value", {"data_type_settings": {"Double": {"handler": "RemoveRow"}}}),
    ]
    for node, settings in cases:
        out, reference = run_node(node, settings, table), run_node(node, settings, dense)
        assert_same(out[1], reference[1])
    scored = table.with_column("guess", table.column("GAP").to_numpy() * 0.9, ColumnType.DOUBLE)
    twin = dense.with_column("guess", dense.column("GAP").to_numpy() * 0.9, ColumnType.DOUBLE)
    settings = {"reference": "GAP", "predicted": "guess"}
    assert_same(
        run_node("numeric_scorer", settings, scored)[1], run_node("numeric_scorer", settings, twin)[1]
    )
    assert isinstance(scored, SparseTable) and scored._dense is None  # the scorer read two columns only
