"""SDF Reader: records, names, counts and typed SD properties of a file RDKit writes, unparseable
records on the second port, and the KNIME mapping of SDFReader3NodeFactory's settings."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from rdkit import Chem
from test_knime_import import findings, import_fragment

from engine.api import NodeError
from engine.core.testing import run_node

FACTORY = "org.knime.chem.base.node.io.sdf.SDFReader3NodeFactory"
BROKEN = "junk\nno counts line here\n\n$$$$\n"

# (title, SMILES, properties in the order written)
MOLECULES = [
    ("ethanol", "CCO", {"MW": "46.07", "count": "3", "label": "a", "pIC50": "5"}),
    ("benzene", "c1ccccc1", {"MW": "78", "count": "6", "label": "b", "pIC50": "6.5", "extra": "x y"}),
    ("acetic acid", "CC(=O)O", {"count": "4", "label": "7", "pIC50": "4.25"}),
]


def write_sdf(path: Path, broken_at: int | None = None) -> list[str]:
    """The file, and its records as written (split at the `$$$$` lines here, not by the node)."""
    writer = Chem.SDWriter(str(path))
    for title, smiles, props in MOLECULES:
        mol = Chem.MolFromSmiles(smiles)
        mol.SetProp("_Name", title)
        for key, value in props.items():
            mol.SetProp(key, value)
        writer.write(mol)
    writer.close()
    text = path.read_text()
    records = [part + "$$$$\n" for part in text.split("$$$$\n") if part]
    if broken_at is not None:
        records.insert(broken_at, BROKEN)
        path.write_text("".join(records))
    return records


def test_sdf_reader_all_properties_typed_by_their_values(tmp_path: Path) -> None:
    path = tmp_path / "mols.sdf"
    records = write_sdf(path, broken_at=2)
    settings = {"file": str(path), "useRowID": False, "extractName": True, "extractAllProperties": True}
    run = run_node("sdf_reader", settings)
    out, bad = run[1], run[2]
    assert out.columns == ["Molecule", "Molecule name", "MW", "count", "label", "pIC50", "extra"]
    assert [out.types[c] for c in out.columns] == [
        "SDF",
        "String",
        "Double",
        "Integer",
        "String",
        "Double",
        "String",
    ]
    assert out.row_ids == ["Row0", "Row1", "Row3"]  # the broken record counts
    df = out.df
    assert df["Molecule"].tolist() == [records[0], records[1], records[3]]
    assert df["Molecule name"].tolist() == ["ethanol", "benzene", "acetic acid"]
    assert df["MW"].tolist()[:2] == [46.07, 78.0] and math.isnan(df["MW"].tolist()[2])
    assert df["count"].tolist() == [3, 6, 4]
    assert df["label"].tolist() == ["a", "b", "7"]
    assert df["pIC50"].tolist() == [5.0, 6.5, 4.25]
    assert df["extra"].tolist()[1] == "x y" and df["extra"].isna().tolist() == [True, False, True]
    assert bad.columns == ["SDF string", "Error"] and bad.row_ids == ["Row2"]
    assert bad.df["SDF string"].tolist() == [BROKEN]
    assert run.warnings == ["Failed to parse 1 record(s)"]


def test_sdf_reader_blocks_counts_row_ids_and_chosen_properties(tmp_path: Path) -> None:
    path = tmp_path / "mols.sdf"
    write_sdf(path)
    settings = {
        "file": str(path),
        "extractSDF": False,
        "extractMol": True,
        "extractCTab": True,
        "extractCounts": True,
        "sourceLocationColumn": True,
        "limitMolecules": True,
        "limit": 2,
        "properties": [
            {"name": "pIC50", "type": "Integer"},
            {"name": "label", "extract": False},
            {"name": "Atom count", "type": "String"},
        ],
    }
    run = run_node("sdf_reader", settings)
    out = run[1]
    assert run.specs[0].names == out.columns
    assert out.columns == [
        "Mol Block",
        "Ctab Block",
        "Atom count",
        "Bond count",
        "pIC50",
        "Atom count (#1)",
        "Source location",
    ]
    assert out.row_ids == ["ethanol", "benzene"]  # names as RowIDs, two records only
    assert out.df["Atom count"].tolist() == [3, 6] and out.df["Bond count"].tolist() == [2, 6]
    assert out.df["pIC50"].tolist() == [5, 6]  # 6.5 read into an Integer column: truncated
    assert out.df["Atom count (#1)"].isna().all()
    ethanol = Chem.MolToMolBlock(Chem.MolFromSmiles("CCO"))
    assert out.df["Mol Block"].tolist()[0].split("\n")[1:] == ethanol.split("\n")[1:]
    assert out.df["Ctab Block"].tolist()[0] == "\n".join(ethanol.split("\n")[3:])
    assert out.df["Source location"].tolist()[0] == "file:" + str(path.resolve())
    # the Mol column feeds the RDKit nodes, as KNIME's Mol cell does through its adapter
    molecules = run_node("rdkit_to_molecule", {"input_column": "Mol Block"}, out)[1]
    converted = [c for c in molecules.columns if c not in out.columns]
    assert [Chem.MolToSmiles(m.mol) for m in molecules.df[converted[0]]] == ["CCO", "c1ccccc1"]


def test_sdf_reader_missing_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(NodeError, match="file not found") as err:
        run_node("sdf_reader", {"file": str(tmp_path / "nowhere.sdf")})
    assert err.value.setting == "file"


def sdf_model(*urls: str) -> dict[str, object]:
    return {
        "urls": list(urls),
        "useRowID": False,
        "extractName": False,
        "extractSDF": True,
        "extractMol": False,
        "extractCTab": False,
        "extractCounts": False,
        "sourceLocationColumn": False,
        "limitMolecules": False,
        "limit": 0,
        "extractAllProperties": False,
        "properties": {
            "count": 2,
            "extract_0": True,
            "name_0": "MW",
            "type_0": "java.lang.Double",
            "extract_1": False,
            "name_1": "label",
            "type_1": "java.lang.String",
        },
    }


def test_sdf_reader_imports_knime_settings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, FACTORY, sdf_model("file:/home/me/my%20data/mols.sdf"))
    assert node.type == "sdf_reader" and findings(report) == []
    assert node.settings["file"] == "${data_dir}/mols.sdf"
    assert node.settings["useRowID"] is False and node.settings["limit"] == 0
    assert node.settings["properties"] == [
        {"extract": True, "name": "MW", "type": "Double"},
        {"extract": False, "name": "label", "type": "String"},
    ]
    _, report, _ = import_fragment(tmp_path, FACTORY, sdf_model("file:/a.sdf", "file:/b.sdf"))
    assert any("2 files" in f for f in findings(report))
