"""java.util.Random emulation, Table Partitioner and Row Sampler: KNIME's exact row selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from knime_facts import TEST_ROWS_10_02, TEST_ROWS_11_01
from spec_shapes import data_file

from engine.api import ConfigureError, NodeError, Table
from engine.core.registry import registry
from engine.core.testing import configure_node, run_node
from nodes._java_random import JavaRandom, java_round, java_shuffle, to_int32, to_int64
from nodes.sampling import linear_selection, random_selection, stratified_selection

ROOT = Path(__file__).resolve().parent.parent


def data_path(name: str) -> Path:
    """A tutorial data file (committed in data/; $KNITFLOW_DATA first)."""
    return data_file(name)


def table(n: int, **columns: list[object]) -> Table:
    df = pd.DataFrame({"i": np.arange(n), **columns})
    return Table.from_frame(df)


# ---------------------------------------------------------------------------------- java.util.Random


def test_java_random_matches_java() -> None:
    r = JavaRandom(42)
    assert [r.nextInt(), r.nextInt(), r.nextInt()] == [-1170105035, 234785527, -1360544799]
    assert JavaRandom(42).nextDouble() == 0.7275636800328681
    assert JavaRandom(0).nextInt() == -1155484576
    assert JavaRandom(0).nextGaussian() == 0.8025330637390305
    assert JavaRandom(42).nextInt(10) == 0 and JavaRandom(42).nextInt(16) == 11
    r = JavaRandom(7)
    assert all(0 <= r.nextInt(b) < b for b in (1, 3, 7, 100, 2**30 + 1, 2**31 - 1) for _ in range(50))
    with pytest.raises(ValueError):
        JavaRandom(1).nextInt(0)


def test_java_random_long_seeds() -> None:
    # seeds are Java longs: values beyond 64 bits wrap, negative ones are two's complement
    assert JavaRandom(2**64 + 5).nextLong() == JavaRandom(5).nextLong()
    assert JavaRandom(-1).nextInt() == JavaRandom(2**64 - 1).nextInt()
    assert to_int64(2**63) == -(2**63) and to_int32(2**31 + 1) == -(2**31) + 1
    big = JavaRandom(1678807467440)
    first = big.nextInt(82)
    big.setSeed(1678807467440)
    assert big.nextInt(82) == first
    # 200,000 rows: several of Java's rejected draws (the vectorised draws restart there)
    for seed, n in ((-3, 1000), (0, 200_000)):
        vectorised = JavaRandom(seed)
        shuffled, loop = vectorised.shuffled_range(n), list(range(n))
        r = JavaRandom(seed)
        for i in range(n - 1, -1, -1):
            j = r.nextInt(i + 1)
            loop[i], loop[j] = loop[j], loop[i]
        assert shuffled == loop and vectorised.nextInt() == r.nextInt()


def test_shuffled_head_is_the_head_of_the_shuffle() -> None:
    """The Row Sampler's fast path: the same rows as the full swap loop, and the same generator state after."""
    for seed, n, k in (
        (1, 10, 3),
        (-3, 1000, 100),
        (7, 130_831, 100),
        (3, 130_831, 50_000),
        (0, 200_000, 199_999),
        (9, 5, 5),
        (9, 5, 0),
        (2, 1, 1),
        (4, 2, 1),
    ):
        full, head = JavaRandom(seed), JavaRandom(seed)
        assert head.shuffled_head(n, k).tolist() == sorted(full.shuffled_range(n)[:k]), (seed, n, k)
        assert head.nextInt() == full.nextInt()


def test_java_round_and_shuffle() -> None:
    assert [java_round(v) for v in (0.49999999999999994, 0.5, 2.5, -2.5, -0.5, 1e300, float("nan"))] == [
        0,
        1,
        3,
        -2,
        0,
        2**63 - 1,
        0,
    ]
    items = list(range(10))
    java_shuffle(items, JavaRandom(3))
    r, manual = JavaRandom(3), list(range(10))
    for i in range(10, 1, -1):
        j = r.nextInt(i)
        manual[i - 1], manual[j] = manual[j], manual[i - 1]
    assert items == manual and sorted(items) == list(range(10))


# ------------------------------------------------------------------------------- the KNIME splits


def test_partition_10_02_matches_knime() -> None:
    """Seed 1678807467440, 70 % of the 82 ZB/WZ rows: exactly the 25 test RowIDs KNIME recorded."""
    data = run_node("csv_reader", {"file": str(data_path("ZB_WZ_dE_rawdescriptor.csv"))})[1]
    expected = TEST_ROWS_10_02
    assert len(expected) == 25
    settings = {
        "partitioning_mode": "RELATIVE",
        "percentage": 70.0,
        "mode": "RANDOM",
        "seed": 1678807467440,
        "action_empty": "OUTPUT_EMPTY",
    }
    result = run_node("table_partitioner", settings, data)
    first, second = result[1], result[2]
    assert second.row_ids == expected
    assert len(first) == 57 and set(first.row_ids) | set(second.row_ids) == set(data.row_ids)
    assert first.row_ids == [r for r in data.row_ids if r not in expected]  # input order kept
    assert result.specs == [data.spec, data.spec] and first.types == data.types


def test_partition_11_01_matches_knime() -> None:
    """Seed 10 on the 106 rows left after 11_01's Row Filter (`rho0 lambda lambda` < 30 drops Row63)."""
    data = run_node("csv_reader", {"file": str(data_path("maxphase_property.csv"))})[1]
    filtered = data.with_frame(data.df[data.df["rho0 lambda lambda"] < 30.0])
    assert len(filtered) == 106 and "Row63" not in filtered.row_ids
    expected = TEST_ROWS_11_01
    assert len(expected) == 32
    first, second = run_node("table_partitioner", {"seed": 10}, filtered).outputs
    assert second.row_ids == expected and len(first) == 74


def test_row_sampler_equals_partition_port_1() -> None:
    t = table(500)
    settings = {"partitioning_mode": "ABSOLUTE", "row_count": 100, "seed": 3}
    sample = run_node("row_sampler", settings, t)[1]
    part = run_node("table_partitioner", settings, t)[1]
    assert sample.row_ids == part.row_ids and len(sample) == 100
    assert sample.df["i"].is_monotonic_increasing  # original order


# ------------------------------------------------------------------------------------ counts, modes


@pytest.mark.parametrize(
    ("n", "pct", "count"),
    [(82, 70.0, 57), (106, 70.0, 74), (10, 100.0, 10), (10, 0.0, 0), (100, 70.0, 70), (3, 50.0, 1)],
)
def test_relative_counts(n: int, pct: float, count: int) -> None:
    first, second = run_node("table_partitioner", {"percentage": pct, "seed": 1}, table(n)).outputs
    assert (len(first), len(second)) == (count, n - count)


def test_absolute_and_first_rows() -> None:
    t = table(20)
    assert (
        len(run_node("row_sampler", {"partitioning_mode": "ABSOLUTE", "row_count": 50, "seed": 1}, t)[1])
        == 20
    )
    first = run_node(
        "row_sampler", {"partitioning_mode": "ABSOLUTE", "row_count": 5, "mode": "FIRST_ROWS"}, t
    )[1]
    assert first.row_ids == [f"Row{i}" for i in range(5)]
    assert random_selection(3, 3, JavaRandom(1)).all() and not random_selection(0, 5, JavaRandom(1)).any()


def test_linear_sampling() -> None:
    assert np.flatnonzero(linear_selection(4, 10)).tolist() == [0, 2, 4, 9]  # first and last always
    assert linear_selection(20, 10).all()
    out = run_node("table_partitioner", {"mode": "LINEAR", "percentage": 50.0}, table(10)).outputs
    assert out[0].row_ids == ["Row0", "Row1", "Row3", "Row5", "Row9"]


def test_stratified_sampling() -> None:
    classes = ["a"] * 60 + ["b"] * 30 + ["c"] * 10
    t = table(100, label=classes)
    settings = {"mode": "STRATIFIED", "class_column": "label", "percentage": 50.0, "seed": 11}
    first, second = run_node("table_partitioner", settings, t).outputs
    counts = first.df["label"].value_counts().to_dict()
    assert counts == {"a": 30, "b": 15, "c": 5} and len(second) == 50
    again = run_node("table_partitioner", settings, t)[1]
    assert again.row_ids == first.row_ids
    assert run_node("table_partitioner", {**settings, "seed": 12}, t)[1].row_ids != first.row_ids
    # rounding per class, then topped up round-robin: 3 of 7 rows from classes of 3 and 4 (1.29 -> 1, 1.71 -> 2)
    mask = stratified_selection(pd.Series(["x", "x", "x", "y", "y", "y", "y"]), 3, JavaRandom(5))
    assert mask.sum() == 3
    with_missing = stratified_selection(pd.Series([None, np.nan, "a", "a"]), 2, JavaRandom(1))
    assert with_missing.sum() == 2 and with_missing[:2].sum() == 1  # missing cells form one class
    with pytest.raises(ConfigureError, match="does not exist"):
        configure_node("table_partitioner", {**settings, "class_column": "nope"}, t.spec)
    with pytest.raises(ConfigureError, match="No class column"):
        configure_node("row_sampler", {"mode": "STRATIFIED"}, t.spec)


def test_seed_none_is_random_unless_the_run_has_a_seed() -> None:
    cls = registry.get("table_partitioner")
    assert cls is not None
    node = cls()
    assert cls.Settings().seed == 1678807467440  # KNIME's default seed
    assert not node.is_deterministic(cls.Settings(seed=None))
    assert node.is_deterministic(cls.Settings(seed=1))
    assert node.is_deterministic(cls.Settings(seed=None, mode="FIRST_ROWS"))
    t = table(200)
    unseeded = {"seed": None}
    a = run_node("table_partitioner", unseeded, t, seed=5)[1].row_ids
    b = run_node("table_partitioner", unseeded, t, seed=5)[1].row_ids
    c = run_node("table_partitioner", unseeded, t, seed=6)[1].row_ids
    assert a == b and a != c and len(a) == 140


def test_empty_input_and_invalid_settings() -> None:
    empty = table(0)
    first, second = run_node("table_partitioner", {"action_empty": "OUTPUT_EMPTY"}, empty).outputs
    assert len(first) == len(second) == 0 and first.columns == ["i"]
    with pytest.raises(NodeError, match="Input table is empty") as err:
        run_node("row_sampler", {}, empty)  # FAIL is KNIME's default
    assert err.value.setting == "action_empty"
    with pytest.raises(ConfigureError, match="Invalid percentage") as err:
        configure_node("table_partitioner", {"percentage": 150.0}, empty.spec)
    assert err.value.setting == "percentage"
    # an out-of-range percentage does not matter in ABSOLUTE mode (13_01 binds it to N)
    assert configure_node("row_sampler", {"partitioning_mode": "ABSOLUTE", "percentage": 50000.0}, empty.spec)
    with pytest.raises(ConfigureError, match="Invalid count"):
        configure_node("row_sampler", {"partitioning_mode": "ABSOLUTE", "row_count": -1}, empty.spec)
