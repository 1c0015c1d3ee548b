"""Chemistry nodes, packed bit-vector columns, Missing Value, Expand Bit Vector and the QM9 loader."""

from __future__ import annotations

import importlib.util
import pickle
import tracemalloc

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from rdkit import Chem
from rdkit.Avalon import pyAvalonTools
from rdkit.Chem import MACCSkeys
from rdkit.Chem import rdMolDescriptors as rdmd

from engine.api import ColumnType, ConfigureError, Model, Table, TableSpec
from engine.core.context import RunContext
from engine.core.registry import registry
from engine.core.testing import configure_node, run_node
from engine.core.variables import VarStack
from nodes import chemistry
from nodes._bitvector import BitVector, BitVectorArray, BitVectorDtype

SAMPLES = {
    "benzene": "c1ccccc1",
    "ethanol": "CCO",
    "L-alanine": "C[C@@H](C(=O)O)N",
    "D-alanine": "C[C@H](C(=O)O)N",
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
}


def smiles_table(smiles: list[str | None], **extra: list) -> Table:
    df = pd.DataFrame({"SMILES": pd.Series(smiles, dtype=object), **extra})
    return Table.from_frame(df, {"SMILES": ColumnType.SMILES})


def on_bits(fp: object) -> list[int]:
    return list(fp.GetOnBits())  # type: ignore[attr-defined]


def run_logged(node_type: str, settings: dict, *inputs: object, workers: int = 1) -> tuple[list, list[str]]:
    """Execute a node with a context whose log is captured (and a chosen worker count); the log
    lines come first, then the node's warnings prefixed with "warning: "."""
    logs: list[str] = []
    node = registry.get(node_type)()
    parsed = node.Settings.model_validate(settings)
    ctx = RunContext(node_id=0, variables=VarStack(), workers=workers, on_log=lambda _i, m: logs.append(m))
    outputs = list(node.execute(list(inputs), parsed, ctx))
    return outputs, logs + [f"warning: {w}" for w in ctx.warnings]


# ------------------------------------------------------------------------------ bit-vector arrays


def bv_array(
    rows: int = 6, bits: int = 20, seed: int = 0, missing: tuple[int, ...] = ()
) -> tuple[BitVectorArray, np.ndarray]:
    matrix = np.random.default_rng(seed).integers(0, 2, (rows, bits)).astype(np.uint8)
    mask = np.zeros(rows, bool)
    mask[list(missing)] = True
    return BitVectorArray.from_bits(matrix, mask), matrix


def test_bitvector_array_basics() -> None:
    arr, matrix = bv_array(missing=(2,))
    assert arr.dtype.name == "bitvector" and isinstance(arr.dtype, BitVectorDtype)
    assert len(arr) == 6 and arr.n_bits == 20
    assert arr.packed.shape == (6, 3) and arr.packed.dtype == np.uint8
    assert arr.isna().tolist() == [False, False, True, False, False, False]
    assert arr[2] is None
    assert isinstance(arr[0], BitVector) and arr[0].bits().tolist() == matrix[0].tolist()
    assert arr[-1] == arr[5]
    bits = arr.to_numpy(na_value=0)
    assert bits.dtype == np.uint8 and bits.shape == (6, 20)
    assert np.array_equal(np.delete(bits, 2, 0), np.delete(matrix, 2, 0)) and not bits[2].any()
    with pytest.raises(ValueError, match="missing"):
        arr.to_numpy()
    assert np.isnan(arr.to_numpy(dtype=float)[2]).all()
    assert arr.to_numpy(dtype=object)[0] == arr[0]
    sliced = arr[1:4]
    assert isinstance(sliced, BitVectorArray) and len(sliced) == 3 and sliced[1] is None
    assert np.shares_memory(sliced.packed, arr.packed)  # a slice is a view, as pandas expects


def test_bitvector_take_mask_concat_stay_packed() -> None:
    arr, matrix = bv_array(missing=(2,))
    taken = arr.take([5, 0, 0])
    assert isinstance(taken, BitVectorArray) and taken.packed.dtype == np.uint8
    assert np.array_equal(taken.to_numpy(), matrix[[5, 0, 0]])
    filled = arr.take([1, -1], allow_fill=True)
    assert filled.isna().tolist() == [False, True]
    assert arr.take([-1], allow_fill=False)[0] == arr[5]
    with pytest.raises(IndexError):
        arr.take([6])
    assert arr[:0].take([-1, -1], allow_fill=True).isna().all()
    keep = np.array([True, False, True, False, True, False])
    sub = arr[keep]
    assert isinstance(sub, BitVectorArray) and len(sub) == 3 and sub.isna().tolist() == [False, True, False]
    both = BitVectorArray._concat_same_type([arr, sub])
    assert len(both) == 9 and both.n_bits == 20 and both.isna().sum() == 2
    other, _ = bv_array(bits=30)
    with pytest.raises(ValueError, match="different lengths"):
        BitVectorArray._concat_same_type([arr, other])


def test_bitvector_in_pandas_frames() -> None:
    arr, matrix = bv_array(missing=(2,))
    df = pd.DataFrame({"x": np.arange(6), "fp": arr}, index=[f"Row{i}" for i in range(6)])
    assert str(df["fp"].dtype) == "bitvector"
    filtered = df[df["x"] > 2]
    assert isinstance(filtered["fp"].array, BitVectorArray)
    assert np.array_equal(filtered["fp"].array.to_numpy(), matrix[3:])
    assert df.iloc[[4, 1]]["fp"].array[0] == arr[4]
    stacked = pd.concat([df, df])
    assert isinstance(stacked["fp"].array, BitVectorArray) and len(stacked) == 12
    assert df.isna()["fp"].tolist() == arr.isna().tolist()
    assert len(df.dropna()) == 5
    copy = df.copy()
    copy["fp"].array[0] = None
    assert df["fp"].iloc[0] is not None  # a deep copy owns its bytes
    again = pickle.loads(pickle.dumps(df, protocol=pickle.HIGHEST_PROTOCOL))
    assert again.equals(df) and isinstance(again["fp"].array, BitVectorArray)
    assert pickle.loads(pickle.dumps(arr[0])) == arr[0]
    assert len(df["fp"].unique()) == 6  # 5 distinct vectors and the missing one
    assert (df["fp"] == arr[0]).tolist() == [True] + [False] * 5


def test_bitvector_strings_follow_knime() -> None:
    vec = BitVector.from_on_bits(10, [0, 1, 2, 9])
    assert vec.to_binary_string() == "1000000111"  # DenseBitVector.toBinaryString: highest index first
    assert str(vec) == vec.to_binary_string()
    assert vec.to_hex_string() == "207"
    assert BitVector.from_binary_string("1000000111") == vec
    assert vec.on_bits() == [0, 1, 2, 9] and vec.cardinality() == 4 and vec[9] == 1 and vec[3] == 0
    arr = BitVectorArray._from_sequence([vec, None])
    assert pd.Series(arr).astype(str).tolist() == ["1000000111", ""]
    assert arr[0] == vec and arr.isna().tolist() == [False, True]
    with pytest.raises(ValueError, match="different lengths"):
        BitVectorArray._from_sequence([vec, BitVector.from_on_bits(12, [1])])


def test_bitvector_setitem() -> None:
    arr, _ = bv_array(missing=(2,))
    arr[2] = arr[0]
    assert not arr.isna().any() and arr[2] == arr[0]
    arr[np.array([True, False, False, False, False, True])] = None
    assert arr.isna().tolist() == [True, False, False, False, False, True]
    with pytest.raises(ValueError, match="bit vector"):
        arr[1] = BitVector.from_on_bits(8, [0])


# ------------------------------------------------------------------------------ Molecule Type Cast


def test_molecule_type_cast() -> None:
    t = Table.from_frame(pd.DataFrame({"SMILES": ["CCO", "C"], "GAP": [1.0, 2.0]}))
    res = run_node("molecule_type_cast", {"column_name": "SMILES", "target_type": "Smiles"}, t)
    assert res[1].types == {"SMILES": ColumnType.SMILES, "GAP": ColumnType.DOUBLE}
    assert res.df(1)["SMILES"].tolist() == ["CCO", "C"]
    assert res.specs[0].type_of("SMILES") == ColumnType.SMILES
    assert (
        run_node("molecule_type_cast", {}, t)[1].types["SMILES"] == ColumnType.SMILES
    )  # first String column
    with pytest.raises(ConfigureError, match="not a String"):
        run_node("molecule_type_cast", {"column_name": "GAP"}, t)
    with pytest.raises(ConfigureError, match="not found"):
        run_node("molecule_type_cast", {"column_name": "nope"}, t)
    with pytest.raises(ConfigureError, match="Smiles only"):
        run_node("molecule_type_cast", {"column_name": "SMILES", "target_type": "SDF"}, t)


# ------------------------------------------------------------------------------- RDKit Fingerprint


def test_morgan_bits_equal_rdkit() -> None:
    names = list(SAMPLES)
    res = run_node(
        "rdkit_fingerprint", {"smiles_column": "SMILES"}, smiles_table([SAMPLES[n] for n in names])
    )
    out = res[1]
    assert out.columns == ["SMILES", "SMILES (Fingerprint)"]
    assert out.types["SMILES (Fingerprint)"] == ColumnType.BIT_VECTOR
    arr = out.df["SMILES (Fingerprint)"].array
    assert isinstance(arr, BitVectorArray) and arr.n_bits == 1024
    for i, name in enumerate(names):
        ref = rdmd.GetMorganFingerprintAsBitVect(Chem.MolFromSmiles(SAMPLES[name]), 2, nBits=1024)
        assert arr[i].on_bits() == on_bits(ref), name
    assert arr[2] == arr[3]  # without chirality the enantiomers look alike


def test_morgan_chirality_and_settings() -> None:
    t = smiles_table([SAMPLES["L-alanine"], SAMPLES["D-alanine"]])
    settings = {"use_chirality": True, "radius": 3, "num_bits": 2048, "new_column_name": "fp"}
    arr = run_node("rdkit_fingerprint", settings, t).df(1)["fp"].array
    assert arr.n_bits == 2048 and arr[0] != arr[1]
    for i in range(2):
        ref = rdmd.GetMorganFingerprintAsBitVect(
            Chem.MolFromSmiles(t.df["SMILES"].iloc[i]), 3, nBits=2048, useChirality=True
        )
        assert arr[i].on_bits() == on_bits(ref)


@pytest.mark.parametrize(
    ("fp_type", "reference"),
    [
        ("featmorgan", lambda m: rdmd.GetMorganFingerprintAsBitVect(m, 2, nBits=1024, useFeatures=True)),
        ("atompair", lambda m: rdmd.GetHashedAtomPairFingerprintAsBitVect(m, 1024, 1, 30, nBitsPerEntry=4)),
        (
            "torsion",
            lambda m: rdmd.GetHashedTopologicalTorsionFingerprintAsBitVect(m, 1024, 4, nBitsPerEntry=4),
        ),
        ("rdkit", lambda m: Chem.RDKFingerprint(m, 1, 7, 1024, 2)),
        ("layered", lambda m: Chem.LayeredFingerprint(m, 7, 1, 7, 1024)),
        ("maccs", MACCSkeys.GenMACCSKeys),
        ("pattern", lambda m: Chem.PatternFingerprint(m, 1024)),
        ("avalon", lambda m: pyAvalonTools.GetAvalonFP(m, 1024, bitFlags=pyAvalonTools.avalonSimilarityBits)),
    ],
)
def test_other_fingerprint_types_equal_rdkit(fp_type: str, reference: object) -> None:
    smiles = list(SAMPLES.values())
    arr = (
        run_node("rdkit_fingerprint", {"fp_type": fp_type, "new_column_name": "fp"}, smiles_table(smiles))
        .df(1)["fp"]
        .array
    )
    assert arr.n_bits == (167 if fp_type == "maccs" else 1024)
    for i, smi in enumerate(smiles):
        assert arr[i].on_bits() == on_bits(reference(Chem.MolFromSmiles(smi))), (fp_type, smi)  # type: ignore[operator]


def test_rooted_morgan_equals_rdkit_from_atoms() -> None:
    t = smiles_table([SAMPLES["aspirin"], SAMPLES["ethanol"], SAMPLES["benzene"]], atoms=[[0, 3], 1, None])
    settings = {"is_rooted": True, "atom_list_column": "atoms", "new_column_name": "fp"}
    arr = run_node("rdkit_fingerprint", settings, t).df(1)["fp"].array
    aspirin = Chem.MolFromSmiles(SAMPLES["aspirin"])
    assert arr[0].on_bits() == on_bits(
        rdmd.GetMorganFingerprintAsBitVect(aspirin, 2, nBits=1024, fromAtoms=[0, 3])
    )
    ethanol = Chem.MolFromSmiles(SAMPLES["ethanol"])
    assert arr[1].on_bits() == on_bits(
        rdmd.GetMorganFingerprintAsBitVect(ethanol, 2, nBits=1024, fromAtoms=[1])
    )
    assert arr[2].cardinality() == 0  # a missing atom list is KNIME's empty list: no roots
    excl = run_node("rdkit_fingerprint", {**settings, "include_atoms": False}, t).df(1)["fp"].array
    others = [a for a in range(aspirin.GetNumAtoms()) if a not in (0, 3)]
    assert excl[0].on_bits() == on_bits(
        rdmd.GetMorganFingerprintAsBitVect(aspirin, 2, nBits=1024, fromAtoms=others)
    )


def test_unparsable_and_missing_smiles_give_missing_cells() -> None:
    t = smiles_table(["CCO", "C(C)(C)(C)(C)C", None, "not a smiles", "c1ccccc1"])
    (out,), logs = run_logged("rdkit_fingerprint", {"new_column_name": "fp"}, t)
    assert out.df["fp"].isna().tolist() == [False, True, True, True, False]
    assert out.row_ids == t.row_ids
    # KNIME's yellow warnings on the node, as `ctx.warn` (run summary, run.json), not log chatter
    assert "warning: Encountered empty input cell. [1 of 5 rows]" in logs
    assert any(m.startswith("warning: Auto conversion failed") and "valence" in m.lower() for m in logs)
    warnings = run_node("rdkit_fingerprint", {"new_column_name": "fp"}, t).warnings
    assert warnings[0].startswith("Encountered empty input cell")
    assert any("2 SMILES could not be parsed" in m for m in logs)


def test_fingerprint_options_and_errors() -> None:
    t = smiles_table(["CCO"], GAP=[1.0])
    res = run_node("rdkit_fingerprint", {"remove_source_columns": True}, t)
    assert res[1].columns == ["GAP", "SMILES (Fingerprint)"] and res.specs[0].names == res[1].columns
    empty = run_node("rdkit_fingerprint", {}, smiles_table([]))
    assert len(empty[1]) == 0 and empty[1].types["SMILES (Fingerprint)"] == ColumnType.BIT_VECTOR
    as_string = Table.from_frame(pd.DataFrame({"SMILES": ["CCO"]}))
    with pytest.raises(ConfigureError, match="Molecule Type Cast"):
        run_node("rdkit_fingerprint", {"smiles_column": "SMILES"}, as_string)
    with pytest.raises(ConfigureError, match="no SMILES column"):
        run_node("rdkit_fingerprint", {}, as_string)
    with pytest.raises(ConfigureError, match="not found"):
        run_node("rdkit_fingerprint", {"smiles_column": "mol"}, t)
    with pytest.raises(ConfigureError, match="exists already"):
        run_node("rdkit_fingerprint", {"new_column_name": "GAP"}, t)
    with pytest.raises(ConfigureError, match="maximal path"):
        run_node("rdkit_fingerprint", {"fp_type": "rdkit", "min_path": 5, "max_path": 2}, t)
    with pytest.raises(ConfigureError, match="atom list"):
        run_node("rdkit_fingerprint", {"is_rooted": True}, t)
    with pytest.raises(ValidationError):
        run_node("rdkit_fingerprint", {"fp_type": "ecfp4"}, t)
    spec = configure_node("rdkit_fingerprint", {}, TableSpec.of([("SMILES", ColumnType.SMILES)]))[0]
    assert spec.to_json()[-1] == {"name": "SMILES (Fingerprint)", "type": ColumnType.BIT_VECTOR}


def test_parallel_fingerprinting_matches_sequential(monkeypatch: pytest.MonkeyPatch) -> None:
    smiles = ["CCO", "c1ccccc1", "CC(=O)O", "bad", "CCN", "C1CC1", "O=C=O", "CC#N"] * 5
    t = smiles_table(smiles)
    (seq,), _ = run_logged("rdkit_fingerprint", {}, t, workers=1)
    monkeypatch.setattr(chemistry, "PARALLEL_MIN_ROWS", 10)
    (par,), logs = run_logged("rdkit_fingerprint", {}, t, workers=2)
    assert any("worker processes" in m for m in logs)
    a, b = seq.df["SMILES (Fingerprint)"].array, par.df["SMILES (Fingerprint)"].array
    assert np.array_equal(a.packed, b.packed) and np.array_equal(a.isna(), b.isna()) and b.isna().sum() == 5


# ------------------------------------------------------------------------------- Expand Bit Vector


def bv_table(rows: int, bits: int, missing: tuple[int, ...] = (), seed: int = 1) -> tuple[Table, np.ndarray]:
    arr, matrix = bv_array(rows, bits, seed, missing)
    df = pd.DataFrame(
        {"SMILES": ["C"] * rows, "GAP": np.arange(rows, dtype=float), "smiles (Fingerprint)": arr}
    )
    return Table.from_frame(df, {"SMILES": ColumnType.SMILES}), matrix


def test_expand_bit_vector_names_and_values() -> None:
    t, matrix = bv_table(5, 12)
    settings = {
        "input_column": "smiles (Fingerprint)",
        "remove_original_column": True,
        "output_prefix": "bitvector",
    }
    out = run_node("expand_bit_vector", settings, t)[1]
    assert out.columns == ["SMILES", "GAP"] + [f"bitvector{i}" for i in range(12)]
    assert all(out.df[f"bitvector{i}"].dtype == np.uint8 for i in range(12))
    assert all(out.types[f"bitvector{i}"] == ColumnType.INTEGER for i in range(12))
    assert np.array_equal(out.df.iloc[:, 2:].to_numpy(), matrix)
    assert out.row_ids == t.row_ids
    kept = run_node(
        "expand_bit_vector",
        {
            "remove_original_column": False,
            "output_prefix": "b",
            "start_index": 1,
            "maximum_number_of_new_columns": 4,
        },
        t,
    )[1]
    assert kept.columns == ["SMILES", "GAP", "smiles (Fingerprint)", "b1", "b2", "b3", "b4"]
    assert np.array_equal(kept.df[["b1", "b2", "b3", "b4"]].to_numpy(), matrix[:, :4])


def test_expand_bit_vector_missing_clashes_and_errors() -> None:
    t, matrix = bv_table(4, 9, missing=(1,))
    out = run_node("expand_bit_vector", {}, t)[1]  # no column set: the last bit-vector column
    assert str(out.df["bitvector0"].dtype) == "UInt8"
    assert out.df["bitvector3"].isna().tolist() == [False, True, False, False]
    assert out.df["bitvector8"].iloc[0] == matrix[0, 8]
    clash = Table.from_frame(t.df.rename(columns={"GAP": "bitvector2"}), {"SMILES": ColumnType.SMILES})
    names = run_node("expand_bit_vector", {}, clash)[1].columns
    assert names[4] == "bitvector2 (#1)" and names[3] == "bitvector1"
    none_left = Table.from_frame(t.df.iloc[[1]], {"SMILES": ColumnType.SMILES})
    assert run_node("expand_bit_vector", {}, none_left)[1].columns == [
        "SMILES",
        "GAP",
    ]  # longest vector: 0 bits
    with pytest.raises(ConfigureError, match="No compatible column"):
        run_node("expand_bit_vector", {}, Table.from_frame(pd.DataFrame({"x": [1.0]})))
    with pytest.raises(ConfigureError, match="not a bit vector"):
        run_node("expand_bit_vector", {"input_column": "GAP"}, t)


def test_expand_bit_vector_memory() -> None:
    t, _ = bv_table(20_000, 1024)
    run_node("expand_bit_vector", {}, Table.from_frame(t.df.iloc[:5], t.types))  # imports, warm-up
    tracemalloc.start()
    try:
        out = run_node("expand_bit_vector", {}, t)[1]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (20_000, 2 + 1024)
    assert peak < 32e6, f"expanding 20,000 x 1024 bits allocated {peak / 1e6:.0f} MB"  # the bits are 20.5 MB


# ------------------------------------------------------------------------------------ Missing Value


def mv_table() -> Table:
    df = pd.DataFrame(
        {
            "d": [1.0, np.nan, 4.0, np.nan, 10.0],
            "i": pd.array([1, None, 4, None, 4], dtype="Int64"),
            "s": pd.Series(["a", None, "b", "b", None], dtype=object),
            "smi": pd.Series(["C", "CC", None, "O", "N"], dtype=object),
        }
    )
    return Table.from_frame(df, {"i": ColumnType.INTEGER, "smi": ColumnType.SMILES})


def test_missing_value_remove_row_by_type_as_13_01() -> None:
    arr, _ = bv_array(5, 16, missing=(4,))
    t = Table(mv_table().df.assign(fp=arr), {**mv_table().types, "fp": ColumnType.BIT_VECTOR})
    settings = {
        "data_type_settings": {"BitVector": "RemoveRow", "Smiles": "RemoveRow", "Double": "RemoveRow"}
    }
    res = run_node("missing_value", settings, t)
    assert res[1].row_ids == ["Row0"]  # d missing in 1 and 3, smi in 2, fp in 4
    assert res[1].types == t.types
    assert isinstance(res[1].df["fp"].array, BitVectorArray)
    assert isinstance(res[2], Model) and "RemoveRow" in res[2].summary
    assert configure_node("missing_value", settings, t.spec)[0] == t.spec
    importer_form = {
        "data_type_settings": {
            "org.knime.core.data.def.DoubleCell": {"factoryID": "RemoveRowMissingCellHandlerFactory"}
        }
    }
    assert run_node("missing_value", importer_form, t)[1].row_ids == ["Row0", "Row2", "Row4"]


def test_missing_value_statistics() -> None:
    t = mv_table()
    settings = {"data_type_settings": {"Double": "Mean", "Integer": "Median", "String": "MostFrequentValue"}}
    res = run_node("missing_value", settings, t)
    df = res.df(1)
    assert df["d"].tolist() == [1.0, 5.0, 4.0, 5.0, 10.0]
    assert (
        df["i"].tolist() == [1.0, 4.0, 4.0, 4.0, 4.0] and res[1].types["i"] == ColumnType.DOUBLE
    )  # KNIME: Double
    assert res.specs[0].type_of("i") == ColumnType.DOUBLE
    assert df["s"].tolist() == ["a", "b", "b", "b", "b"]
    assert df["smi"].isna().sum() == 1  # SMILES columns have no type setting here
    payload = res[2].payload
    assert payload.set_index("Column").loc["d", "Value"] == 5.0
    rounded = run_node("missing_value", {"data_type_settings": {"Integer": "RoundedMean"}}, t)
    assert (
        rounded.df(1)["i"].tolist() == [1, 3, 4, 3, 4] and rounded[1].types["i"] == ColumnType.INTEGER
    )  # 3.0
    minmax = run_node(
        "missing_value",
        {"column_settings": [{"columns": ["d"], "handler": "Max"}, {"columns": ["i"], "handler": "Min"}]},
        t,
    ).df(1)
    assert minmax["d"].tolist() == [1.0, 10.0, 4.0, 10.0, 10.0] and minmax["i"].tolist() == [1, 1, 4, 1, 4]
    tie = Table.from_frame(pd.DataFrame({"s": ["x", "y", None, "y", "x"]}))
    assert (
        run_node("missing_value", {"data_type_settings": {"String": "MostFrequentValue"}}, tie)
        .df(1)["s"]
        .iloc[2]
        == "x"
    )


def test_missing_value_fixed_previous_next_interpolation() -> None:
    t = mv_table()
    fixed = run_node(
        "missing_value",
        {
            "data_type_settings": {
                "Double": {"handler": "FixedValue", "value": -1},
                "Integer": {"method": "FixedIntegerValue", "fixIntegerValue": 7},
                "String": {"handler": "FixedValue", "value": "?"},
            }
        },
        t,
    )
    df = fixed.df(1)
    assert df["d"].tolist() == [1.0, -1.0, 4.0, -1.0, 10.0]
    assert df["i"].tolist() == [1, 7, 4, 7, 4] and df["i"].dtype == np.int64
    assert df["s"].tolist() == ["a", "?", "b", "b", "?"]
    lead = Table.from_frame(pd.DataFrame({"d": [np.nan, 2.0, np.nan, np.nan, 8.0, np.nan]}))
    for handler, expected in [
        ("Previous", [None, 2.0, 2.0, 2.0, 8.0, 8.0]),
        ("Next", [2.0, 2.0, 8.0, 8.0, 8.0, None]),
        ("LinearInterpolation", [None, 2.0, 4.0, 6.0, 8.0, None]),
        ("AverageInterpolation", [None, 2.0, 5.0, 5.0, 8.0, None]),
    ]:
        got = run_node(
            "missing_value", {"column_settings": [{"columns": ["d"], "handler": handler}]}, lead
        ).df(1)["d"]
        assert [None if np.isnan(v) else v for v in got] == expected, handler
    ints = Table(
        pd.DataFrame({"i": pd.array([1, None, None, 2], dtype="Int64")}, index=["a", "b", "c", "d"]),
        {"i": ColumnType.INTEGER},
    )
    got = run_node("missing_value", {"data_type_settings": {"Integer": "LinearInterpolation"}}, ints).df(1)[
        "i"
    ]
    assert got.tolist() == [1, 1, 2, 2]  # 1.33 -> 1, 1.67 -> 2 (Math.round)
    arr, _ = bv_array(4, 8, missing=(0, 2))
    bits = Table(pd.DataFrame({"fp": arr}, index=list("abcd")), {"fp": ColumnType.BIT_VECTOR})
    prev = run_node("missing_value", {"data_type_settings": {"BitVector": "Previous"}}, bits).df(1)["fp"]
    assert isinstance(prev.array, BitVectorArray) and prev.isna().tolist() == [True, False, False, False]
    assert prev.iloc[2] == arr[1]


def test_missing_value_column_override_and_errors() -> None:
    t = mv_table()
    settings = {"data_type_settings": {"Double": "RemoveRow"}, "column_settings": {"d": "DoNothing"}}
    assert len(run_node("missing_value", settings, t)[1]) == 5  # the importer's {column: handler} form
    with pytest.raises(ConfigureError, match="cannot treat the String column"):
        run_node("missing_value", {"data_type_settings": {"String": "Mean"}}, t)
    with pytest.raises(ConfigureError, match="not in the input"):
        run_node("missing_value", {"column_settings": [{"columns": ["zz"], "handler": "Mean"}]}, t)
    with pytest.raises(ConfigureError, match="does not fit"):
        run_node(
            "missing_value",
            {"column_settings": [{"columns": ["i"], "handler": "FixedValue", "value": 1.5}]},
            t,
        )
    with pytest.raises(ConfigureError, match="needs a value"):
        run_node("missing_value", {"data_type_settings": {"Double": "FixedValue"}}, t)
    with pytest.raises(ValidationError, match="unknown missing value handler"):
        run_node("missing_value", {"data_type_settings": {"Double": "Guess"}}, t)
    empty = run_node(
        "missing_value", {"data_type_settings": {"Double": "Mean"}}, Table.from_frame(t.df.iloc[:0], t.types)
    )
    assert len(empty[1]) == 0 and empty[1].columns == t.columns


# --------------------------------------------------------------------- the 13_01 preparation chain


def test_13_01_preparation_chain() -> None:
    raw = Table.from_frame(
        pd.DataFrame(
            {
                "SMILES": ["CCO", "C(C)(C)(C)(C)C", "c1ccccc1"],
                "HOMO": [-7.0, -6.0, -6.5],
                "LUMO": [1.0, 1.5, 0.5],
                "GAP": [8.0, 7.5, 7.0],
            }
        )
    )
    cast = run_node("molecule_type_cast", {"column_name": "SMILES", "target_type": "Smiles"}, raw)[1]
    fps = run_node(
        "rdkit_fingerprint", {"smiles_column": "SMILES", "new_column_name": "smiles (Fingerprint)"}, cast
    )[1]
    assert fps.shape == (3, 5)
    clean = run_node(
        "missing_value",
        {"data_type_settings": {"BitVector": "RemoveRow", "Smiles": "RemoveRow", "Double": "RemoveRow"}},
        fps,
    )[1]
    assert clean.row_ids == ["Row0", "Row2"]
    wide = run_node(
        "expand_bit_vector", {"input_column": "smiles (Fingerprint)", "remove_original_column": True}, clean
    )[1]
    assert wide.shape == (2, 1028) and wide.columns[:5] == ["SMILES", "HOMO", "LUMO", "GAP", "bitvector0"]
    assert wide.columns[-1] == "bitvector1023"


# ------------------------------------------------------------------------------------------- QM9


@pytest.fixture(scope="module")
def qm9() -> pd.DataFrame:
    if importlib.util.find_spec("qm9pack") is None:
        pytest.skip("qm9pack is not installed")
    from engine.datasets.qm9 import load_qm9

    return load_qm9()


def test_qm9_rows_and_ev(qm9: pd.DataFrame) -> None:
    from engine.datasets.qm9 import HARTREE_TO_EV

    assert qm9.shape == (130_831, 4) and list(qm9.columns) == ["SMILES", "HOMO", "LUMO", "GAP"]
    methane = qm9.iloc[0]  # dsgdb9nsd_000001: HOMO -0.3877, LUMO 0.1171, gap 0.5048 Hartree
    assert methane["SMILES"] == "C"
    assert methane["HOMO"] == pytest.approx(-0.3877 * HARTREE_TO_EV) == pytest.approx(-10.54985, abs=1e-5)
    assert methane["LUMO"] == pytest.approx(0.1171 * 27.2113825435)
    assert methane["GAP"] == pytest.approx(13.73631, abs=1e-5)
    assert qm9[["HOMO", "LUMO", "GAP"]].notna().all().all()
    assert qm9["GAP"].between(0.5, 20).all()


def test_write_qm9_csv(qm9: pd.DataFrame, tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.datasets.qm9 as qm9_module

    monkeypatch.setattr(qm9_module, "load_qm9", lambda: qm9.iloc[:50])
    dest = qm9_module.write_qm9_csv(tmp_path / "data" / "qm9.csv")  # type: ignore[operator]
    assert [p.name for p in dest.parent.iterdir()] == ["qm9.csv"]  # no temporary file left
    back = pd.read_csv(dest)
    assert list(back.columns) == ["SMILES", "HOMO", "LUMO", "GAP"]
    pd.testing.assert_frame_equal(back, qm9.iloc[:50].reset_index(drop=True))


# SMILES where sanitizing, removing hydrogens or perceiving stereochemistry does something unusual
TRICKY_SMILES = [
    "C[C@H](N)C(=O)O",
    "F/C=C/F",
    "C/C=C\\C",
    "[C@H](F)(Cl)Br",
    "C[S@](=O)c1ccccc1",
    "CN1CCC[C@H]1c1cccnc1",
    "[2H]C([2H])([2H])O",
    "[H][H]",
    "[H]C([H])([H])[H]",
    "[H]",
    "[H]N([H])c1ccccc1",
    "CCN(CC)CC.[H+]",
    "[13CH4]",
    "[NH4+].[Cl-]",
    "[O-][N+](=O)c1ccccc1",
    "F[P-](F)(F)(F)(F)F",
    "[BH3-][NH3+]",
    "C1=CC=C[CH-]1",
    "[CH2]",
    "[Fe+2]",
    "[He]",
    "C1CCCCC1 |r|",
    "c1cc[nH]c1",
    "c1ccnc1",
    "c1cccc1",
    "C(C)(C)(C)(C)C",
    "[n+]1ccccc1",
    "B1=CC=CC=C1",
    "C=C=C",
    "CC(C)C[C@H](NC(=O)[C@H](Cc1ccccc1)NC(=O)c1cnccn1)B(O)O",
    "O=C1NC(=O)N=C1",
    "N#[N+][O-]",
]


@pytest.mark.parametrize("fp_type", ["morgan", "featmorgan", "atompair", "torsion", "rdkit"])
def test_a_fingerprint_blind_to_stereo_skips_its_perception_and_gets_the_same_bits(fp_type: str) -> None:
    from nodes._rdkit_fingerprints import _parser, fingerprinter

    params = {**chemistry._fp_params(chemistry.RDKitFingerprintSettings(fp_type=fp_type)), "radius": 3}
    parse = _parser(params)
    assert parse.__name__ == "_parse_without_stereo"
    fp = fingerprinter(params)
    for smi in TRICKY_SMILES:
        full, fast = Chem.MolFromSmiles(smi), parse(smi)
        assert (full is None) == (fast is None), smi  # the same SMILES fail
        if full is not None:
            assert fp(full, None) == fp(fast, None), smi
    chiral = {**params, "chirality": True}
    assert _parser(chiral).__name__ == "_parse_for_any_fingerprint"  # chiral tags and CIP labels count
