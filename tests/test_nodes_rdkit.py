"""RDKit To/From Molecule, Descriptor Calculation, Murcko Scaffolds and the Molecule Catalog Filter,
checked against RDKit's own Python-level functions."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rdkit import Chem
from rdkit.Chem import Descriptors
from rdkit.Chem import FilterCatalog as FC
from rdkit.Chem.Scaffolds import MurckoScaffold
from test_knime_import import findings, import_fragment

from engine.api import ColumnType, ConfigureError, Table, TableSpec
from engine.core.outputs import table_csv
from engine.core.testing import configure_node, run_node
from nodes._molecules import DESCRIPTORS, RDKIT_MOL, Molecule

SMILES = [
    "c1ccccc1O",
    "CC(=O)Nc1ccc(O)cc1",
    "O=C(O)c1ccccc1N=Nc1ccccc1",
    "CCCC",
    "C[C@H](N)C(=O)O",
    "O=C1C=CC(=O)C=C1",
    "c1ccc2c(c1)[nH]c1ccccc12",
]


@pytest.fixture(scope="module")
def smiles() -> Table:
    df = pd.DataFrame({"id": range(len(SMILES) + 2), "smiles": [*SMILES, "not a smiles", None]})
    return Table.from_frame(df, {"smiles": ColumnType.SMILES})


@pytest.fixture(scope="module")
def mols(smiles: Table) -> Table:
    return run_node("rdkit_to_molecule", {}, smiles)[1]


def test_to_molecule_splits_failures(smiles: Table, mols: Table) -> None:
    res = run_node("rdkit_to_molecule", {"generateErrorInfo": True}, smiles)
    good, bad = res.df(1), res.df(2)
    assert (
        res[1].columns == ["id", "smiles", "smiles (RDKit Mol)"]
        and res[1].types["smiles (RDKit Mol)"] == RDKIT_MOL
    )
    assert len(good) == len(SMILES) and bad.index.tolist() == ["Row7", "Row8"]
    assert bad["smiles (RDKit Error Info)"].tolist()[0] == "SMILES Parsing Error (Details unknown)"
    assert pd.isna(bad["smiles (RDKit Error Info)"].tolist()[1])  # an empty cell fails without a reason
    assert res.specs == [res[1].spec, res[2].spec]
    for cell, text in zip(good["smiles (RDKit Mol)"], SMILES, strict=True):
        assert isinstance(cell, Molecule) and str(cell) == text
        assert Chem.MolToSmiles(cell.mol) == Chem.MolToSmiles(Chem.MolFromSmiles(text))
    assert mols.columns == res[1].columns


def test_to_molecule_missing_values_mode_and_options(smiles: Table) -> None:
    settings = {
        "bad_rows_to_port1": "MISS_VAL",
        "generateErrorInfo": True,
        "remove_source_columns": True,
        "new_column_name": "mol",
        "generateCoordinates": True,
    }
    res = run_node("rdkit_to_molecule", settings, smiles)
    assert res[1].columns == ["id", "mol", "smiles (RDKit Error Info)"] and res.specs[1] == TableSpec()
    assert len(res.df(1)) == len(SMILES) + 2 and len(res.df(2)) == 0
    assert res.df(1)["mol"].iloc[0].mol.GetNumConformers() == 1 and pd.isna(res.df(1)["mol"].iloc[-1])
    bad = run_node("rdkit_to_molecule", {"generateErrorInfo": True}, pd.DataFrame({"s": ["CN(C)(C)(C)C"]}))
    assert bad.df(2).iloc[0, -1].startswith("SMILES Parsing Error (MolSanitizeException (")
    partial = run_node("rdkit_to_molecule", {"skip_sanitization": True}, smiles)
    assert len(partial.df(1)) == len(SMILES)
    query = run_node("rdkit_to_molecule", {"treat_as_query": True}, pd.DataFrame({"s": ["[H]OC"]}))
    assert query.df(1).iloc[0, -1].mol.GetNumAtoms() == 2  # the explicit H merged into the query


def test_to_molecule_configure_errors() -> None:
    spec = TableSpec.of([("s", ColumnType.SMILES), ("s (RDKit Mol)", ColumnType.STRING)])
    out = configure_node("rdkit_to_molecule", {"generateErrorInfo": True}, spec)
    assert out[0].names[-1] == "s (RDKit Mol) (#1)" and out[1].names[-1] == "s (RDKit Error Info)"
    with pytest.raises(ConfigureError, match="exists already"):
        configure_node("rdkit_to_molecule", {"new_column_name": "s (RDKit Mol)"}, spec)
    with pytest.raises(ConfigureError, match="does not exist"):
        configure_node("rdkit_to_molecule", {"input_column": "x"}, spec)


def test_molecule_cell_pickles_prints_and_compares(mols: Table) -> None:
    cell = mols.df["smiles (RDKit Mol)"].iloc[1]
    again = pickle.loads(pickle.dumps(cell))
    assert again == cell and hash(again) == hash(cell) and str(again) == "CC(=O)Nc1ccc(O)cc1"
    assert "CC(=O)Nc1ccc(O)cc1" in table_csv(mols)


def test_from_molecule_formats(mols: Table) -> None:
    res = run_node("rdkit_from_molecule", {"destination_format": "Smiles"}, mols)
    assert res[1].types["smiles (RDKit Mol) (Molecule)"] == ColumnType.SMILES
    expected = [Chem.MolToSmiles(Chem.MolFromSmiles(s)) for s in SMILES]
    assert res.df(1).iloc[:, -1].tolist() == expected
    sdf = run_node("rdkit_from_molecule", {"new_column_name": "sdf", "remove_source_columns": True}, mols)
    assert sdf[1].columns == ["id", "smiles", "sdf"] and sdf[1].types["sdf"] == "SDF"
    block = sdf.df(1)["sdf"].iloc[0]
    assert block.endswith("\n$$$$\n") and Chem.MolToSmiles(Chem.MolFromMolBlock(block)) == expected[0]
    smarts = run_node("rdkit_from_molecule", {"destination_format": "Smarts"}, mols).df(1).iloc[4, -1]
    assert "@" not in smarts and Chem.MolFromSmarts(smarts) is not None
    # a SMILES column is read through the adapter, as in KNIME
    from_smiles = run_node(
        "rdkit_from_molecule", {"input_column": "smiles", "destination_format": "Smiles"}, mols
    )
    assert from_smiles.df(1).iloc[:, -1].tolist() == expected


def test_descriptors_equal_rdkit_descriptors(mols: Table) -> None:
    res = run_node("rdkit_descriptor_calculation", {}, mols)
    out = res.df(1)
    added = res[1].columns[3:]
    assert len(added) == 42 + 12 + 10 + 14 + 39 and res.specs[0].names == res[1].columns
    assert added[:4] == ["SlogP", "SMR", "LabuteASA", "TPSA"] and added[-1] == "MQN42"
    assert res[1].types["NumAtoms"] == ColumnType.INTEGER and res[1].types["SlogP"] == ColumnType.DOUBLE
    for i, text in enumerate(SMILES):
        m = Chem.MolFromSmiles(text)
        row = out.iloc[i]
        assert row["SlogP"] == pytest.approx(Descriptors.MolLogP(m))
        assert row["SMR"] == pytest.approx(Descriptors.MolMR(m))
        assert row["TPSA"] == pytest.approx(Descriptors.TPSA(m))
        assert row["AMW"] == pytest.approx(Descriptors.MolWt(m))
        assert row["ExactMW"] == pytest.approx(Descriptors.ExactMolWt(m))
        assert row["NumHeavyAtoms"] == m.GetNumHeavyAtoms()
        assert row["NumAtoms"] == Chem.AddHs(m).GetNumAtoms()
        assert row["NumRotatableBonds"] == Descriptors.NumRotatableBonds(m)
        assert row["NumAromaticRings"] == Descriptors.NumAromaticRings(m)
        assert row["FractionCSP3"] == pytest.approx(Descriptors.FractionCSP3(m))
        assert row["kappa2"] == pytest.approx(Descriptors.Kappa2(m))
        assert row["slogp_VSA2"] == pytest.approx(Descriptors.SlogP_VSA2(m))
        assert row["peoe_VSA14"] == pytest.approx(Descriptors.PEOE_VSA14(m))


def test_descriptor_names_made_unique_and_empty_molecules() -> None:
    df = pd.DataFrame({"SlogP": [1.0, 2.0], "s": ["CCO", None]})
    t = Table.from_frame(df, {"s": ColumnType.SMILES})
    res = run_node(
        "rdkit_descriptor_calculation",
        {"selectedDescriptors": ["slogp", "TPSA", "FlowVariablePlaceHolder1"]},
        t,
    )
    assert res[1].columns == ["SlogP", "s", "SlogP (#1)", "TPSA"]
    assert np.isnan(res.df(1)["TPSA"].iloc[1])
    with pytest.raises(ConfigureError, match="unknown descriptor"):
        configure_node("rdkit_descriptor_calculation", {"selectedDescriptors": ["nope"]}, t.spec)
    assert DESCRIPTORS[0] == "slogp" and len(DESCRIPTORS) == 48


def test_murcko_scaffolds_equal_rdkit(mols: Table) -> None:
    res = run_node("rdkit_murcko_scaffolds", {}, mols)
    scaffolds = res.df(1)["smiles (RDKit Mol) (Murcko)"].tolist()
    for cell, text in zip(scaffolds, SMILES, strict=True):
        expected = MurckoScaffold.MurckoScaffoldSmiles(text)
        assert (pd.isna(cell) and expected == "") or str(cell) == Chem.MolToSmiles(
            Chem.MolFromSmiles(expected)
        )
    generic = run_node("rdkit_murcko_scaffolds", {"do_frameworks": True, "new_column_name": "fw"}, mols).df(
        1
    )["fw"]
    scaffold = MurckoScaffold.GetScaffoldForMol(Chem.MolFromSmiles(SMILES[2]))
    assert str(generic.iloc[2]) == Chem.MolToSmiles(MurckoScaffold.MakeScaffoldGeneric(scaffold))


def test_catalog_filter_splits_by_matches(mols: Table) -> None:
    settings = {
        "catalogs": ["PAINS", "BRENK"],
        "generate_atom_list": "Combined",
        "output_column_prefix": "F ",
    }
    res = run_node("rdkit_molecule_catalog_filter", settings, mols)
    params = FC.FilterCatalogParams()
    params.AddCatalog(FC.FilterCatalogParams.FilterCatalogs.PAINS)
    params.AddCatalog(FC.FilterCatalogParams.FilterCatalogs.BRENK)
    catalog = FC.FilterCatalog(params)
    flagged = [catalog.HasMatch(Chem.MolFromSmiles(s)) for s in SMILES]
    assert res.df(1)["smiles"].tolist() == [s for s, f in zip(SMILES, flagged, strict=True) if not f]
    matched = res.df(2)
    assert matched["smiles"].tolist() == [s for s, f in zip(SMILES, flagged, strict=True) if f]
    assert res[2].columns[3:] == [
        "F Total match counts",
        "F Catalogs",
        "F Match counts",
        "F Rules",
        "F Descriptions",
        "F References",
        "F Atom List",
    ]
    assert res.specs[1] == res[2].spec
    azo = matched[matched["smiles"] == SMILES[2]].iloc[0]
    assert azo["F Catalogs"] == ("PAINS", "BRENK") and azo["F Total match counts"] == sum(
        azo["F Match counts"]
    )
    assert "diazo_group" in azo["F Descriptions"] and azo["F Atom List"] == (9, 10)
    separate = run_node("rdkit_molecule_catalog_filter", {**settings, "generate_atom_list": "Separate"}, mols)
    assert separate[2].columns[-2:] == ["F PAINS Atom List", "F BRENK Atom List"]


def test_catalog_filter_sends_empty_molecules_to_the_second_output(smiles: Table) -> None:
    res = run_node("rdkit_molecule_catalog_filter", {"catalogs": ["NIH"]}, smiles)
    second = res.df(2)
    assert second.index[-2:].tolist() == ["Row7", "Row8"] and second["Total match counts"].isna().iloc[-1]


@pytest.mark.parametrize(
    ("factory", "model", "node_type"),
    [
        (
            "molecule2rdkit.Molecule2RDKitConverterNodeFactory",
            {
                "input_column": "smiles",
                "new_column_name": "mol",
                "remove_source_columns": False,
                "bad_rows_to_port1": "MISS_VAL",
                "generateErrorInfo": True,
                "errorInfoColumnName": "why",
                "generateCoordinates": False,
                "forceGenerateCoordinates": False,
                "skip_sanitization": False,
                "do_aromaticity": True,
                "do_stereochem": True,
                "keepHs": False,
                "treat_as_query": False,
                "strict_parsing": True,
            },
            "rdkit_to_molecule",
        ),
        (
            "rdkit2molecule.RDKit2MoleculeConverterNodeFactory",
            {
                "first_column": "mol",
                "new_column_name": "smi",
                "remove_source_columns": True,
                "destination_format": "Smiles",
            },
            "rdkit_from_molecule",
        ),
        (
            "descriptorcalculation.DescriptorCalculationNodeFactory",
            {"input_column": "mol", "selectedDescriptors": ["slogp", "TPSA"]},
            "rdkit_descriptor_calculation",
        ),
        (
            "murckoscaffold.RDKitMurckoScaffoldNodeFactory",
            {
                "input_column": "mol",
                "new_column_name": "scaf",
                "remove_source_columns": False,
                "do_frameworks": True,
            },
            "rdkit_murcko_scaffolds",
        ),
        (
            "moleculecatalogfilter.RDKitMoleculeCatalogFilterNodeFactory",
            {
                "input_column": "mol",
                "catalogs": ["PAINS_A", "NIH"],
                "output_column_prefix": "",
                "generate_atom_list": "None",
            },
            "rdkit_molecule_catalog_filter",
        ),
    ],
)
def test_rdkit_imports(tmp_path: Path, factory: str, model: dict, node_type: str) -> None:
    node, report, _ = import_fragment(tmp_path, "org.rdkit.knime.nodes." + factory, model)
    assert node.type == node_type and findings(report) == []
    expected = {
        ("input_column" if k == "first_column" else k): v for k, v in model.items() if k != "strict_parsing"
    }
    assert node.settings == expected
