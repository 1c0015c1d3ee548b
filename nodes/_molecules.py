"""RDKit molecule cells and the helpers the RDKit nodes (nodes/rdkit_nodes.py) share: the `Molecule`
cell, reading a molecule from a cell, KNIME's column auto-guessing and naming, and the table of KNIME's
RDKit descriptors (org.rdkit.knime.nodes.descriptorcalculation.Descriptor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType, ConfigureError, NodeContext, Table, TableSpec
from engine.api.knime import KnimeSettings

RDKIT_MOL = "RDKit Mol"
SDF = "SDF"
MOL = "Mol"  # KNIME's Mol cell: an MDL mol block, read as the SDF text is
SMARTS = "SMARTS"
MOLECULE_TYPES = (RDKIT_MOL, ColumnType.SMILES, SDF, MOL)


class Molecule:
    """An RDKit molecule cell: RDKit's binary pickle and a SMILES (`str()` of the cell)."""

    __slots__ = ("binary", "smiles")

    def __init__(self, mol: Any, smiles: str | None = None) -> None:
        from rdkit import Chem

        self.binary: bytes = mol.ToBinary(Chem.PropertyPickleOptions.AllProps)
        self.smiles: str = smiles if smiles is not None else Chem.MolToSmiles(mol, isomericSmiles=True)

    @property
    def mol(self) -> Any:
        from rdkit import Chem

        return Chem.Mol(self.binary)  # type: ignore[call-overload]  # the stubs miss the bytes overload

    @classmethod
    def _restore(cls, binary: bytes, smiles: str) -> Molecule:
        cell = cls.__new__(cls)
        cell.binary, cell.smiles = binary, smiles
        return cell

    def __reduce__(self) -> tuple[Callable[..., Molecule], tuple[bytes, str]]:
        return Molecule._restore, (self.binary, self.smiles)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Molecule) and other.binary == self.binary

    def __hash__(self) -> int:
        return hash(self.binary)

    def __str__(self) -> str:
        return self.smiles

    def __repr__(self) -> str:
        return f"Molecule({self.smiles!r})"


def quiet() -> Any:
    """RDKit's C++ log silenced while parsing (failures are reported per row instead)."""
    from rdkit import rdBase

    return rdBase.BlockLogs()


def molecule_of(value: Any) -> Any:
    """The RDKit molecule of a cell: an RDKit Mol cell, or a SMILES/SDF text parsed with sanitization
    (None when empty or unparsable, as KNIME's adapters give an empty cell)."""
    from rdkit import Chem

    if isinstance(value, Molecule):
        return value.mol
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value)
    with quiet():
        return Chem.MolFromMolBlock(text) if "\n" in text else Chem.MolFromSmiles(text)


def input_column_of(spec: TableSpec, name: str | None, types: tuple[str, ...], ctx: NodeContext) -> str:
    """KNIME's SettingsUtils.autoGuessColumn / checkColumnExistence for the molecule column: without
    a name, the first column of the first type present (an RDKit Mol column before a SMILES column, which
    KNIME only reaches through an adapter)."""
    if not name:
        found = next((c.name for t in types for c in spec.columns if c.type == t), None)
        if found is None:
            raise ConfigureError(f"no {' or '.join(types)} column in the input table", setting="input_column")
        ctx.log(f"Auto guessing: Using column {found}.")
        return found
    if name not in spec:
        raise ConfigureError(
            f"Input column {name} does not exist. Has the input table changed?", setting="input_column"
        )
    if spec.type_of(name) not in types:
        raise ConfigureError(
            f"column {name!r} is {spec.type_of(name)}, not {' or '.join(types)}", setting="input_column"
        )
    return name


def result_column(
    spec: TableSpec, source: str, name: str | None, default: str, remove: bool, setting: str
) -> str:
    """KNIME's autoGuessColumnName / checkColumnNameUniqueness: without a name, the default made unique
    (`default (#1)`, ...); a given name that exists (the removed source column excepted) is an error."""
    taken = {n for n in spec.names if not (remove and n == source)}
    if not (name or "").strip():
        return unique_name(default, taken)
    name = str(name).strip()
    if name in taken:
        raise ConfigureError(
            f"The name {name} of the new column exists already in the input.", setting=setting
        )
    return name


def take_column_settings(knime: KnimeSettings, keys: list[str]) -> None:
    """input_column (or its older key first_column) and the given keys, as saved."""
    knime.take("input_column", "input_column" if knime.get("input_column") is not None else "first_column")
    for key in keys:
        knime.take(key)


def appended(table: Table, source: str, remove: bool, new: dict[str, tuple[list[Any], str]]) -> Table:
    df = table.df.drop(columns=[source]) if remove else table.df.copy()
    for name, (values, _) in new.items():
        df[name] = pd.Series(values, index=df.index, dtype=object)
    return table.with_frame(df, {n: t for n, (_, t) in new.items()})


def typed_values(values: list[Any], col_type: str) -> list[Any] | pd.array:
    if col_type == ColumnType.INTEGER:
        return pd.array(values, dtype="Int32")
    if col_type == ColumnType.DOUBLE:
        return pd.array([np.nan if v is None else v for v in values], dtype="float64")
    return values


def unique_name(name: str, taken: set[str]) -> str:
    """SettingsUtils.makeColumnNameUnique: `name (#1)`, `name (#2)`, ..."""
    unique, i = name, 1
    while unique in taken:
        unique, i = f"{name} (#{i})", i + 1
    return unique


# ------------------------------------------------------------------ conversions (To/From, Murcko)


def from_molecule(mol: Any, fmt: str) -> str | None:
    from rdkit import Chem
    from rdkit.Chem import rdDepictor

    if mol is None:
        return None
    if fmt == "Smiles":
        return str(Chem.MolToSmiles(mol, isomericSmiles=True))
    if fmt == "Smarts":
        return str(Chem.MolToSmarts(mol, isomericSmiles=False))
    if mol.GetNumConformers() == 0:
        rdDepictor.Compute2DCoords(mol)
    block = str(Chem.MolToMolBlock(mol))
    return block if block.endswith("\n$$$$\n") else block + "\n$$$$\n"


def murcko(mol: Any, frameworks: bool) -> Molecule | None:
    """RDKitMurckoScaffoldNodeModel: MurckoDecompose, sanitized; empty when the molecule has no ring."""
    from rdkit import Chem

    if mol is None:
        return None
    core = Chem.RWMol(Chem.MurckoDecompose(mol))
    if core.GetNumAtoms() == 0:
        return None
    Chem.SanitizeMol(core)
    if frameworks:
        for atom in core.GetAtoms():
            atom.SetAtomicNum(6)
            atom.SetIsAromatic(False)
            atom.SetIsotope(0)
            atom.SetNoImplicit(False)
        for bond in core.GetBonds():
            bond.SetBondType(Chem.BondType.SINGLE)
            bond.SetIsAromatic(False)
        core.UpdatePropertyCache(strict=False)
    return Molecule(core.GetMol())


# ----------------------------------------------------------------------------------- descriptors


def descriptor_table() -> dict[str, tuple[list[str], str, Callable[[Any], list[Any]]]]:
    """KNIME's Descriptor enum in order: name -> (column titles, type, calculation)."""
    from rdkit.Chem import rdMolDescriptors as D

    def one(
        name: str, kind: str, fn: Callable[[Any], Any]
    ) -> tuple[str, tuple[list[str], str, Callable[[Any], list[Any]]]]:
        return name, ([name], kind, lambda m: [fn(m)])

    def many(name: str, stump: str, n: int, kind: str, fn: Callable[[Any], Any]) -> Any:
        return name, ([f"{stump}{i + 1}" for i in range(n)], kind, lambda m: list(fn(m))[:n])

    dbl, intg = ColumnType.DOUBLE, ColumnType.INTEGER
    items = [
        ("slogp", (["SlogP"], dbl, lambda m: [D.CalcCrippenDescriptors(m)[0]])),
        ("smr", (["SMR"], dbl, lambda m: [D.CalcCrippenDescriptors(m)[1]])),
        one("LabuteASA", dbl, D.CalcLabuteASA),
        one("TPSA", dbl, D.CalcTPSA),
        one("AMW", dbl, lambda m: D._CalcMolWt(m, False)),
        one("ExactMW", dbl, lambda m: D.CalcExactMolWt(m, False)),
        one("NumLipinskiHBA", intg, D.CalcNumLipinskiHBA),
        one("NumLipinskiHBD", intg, D.CalcNumLipinskiHBD),
        one("NumRotatableBonds", intg, D.CalcNumRotatableBonds),
        one("NumHBD", intg, D.CalcNumHBD),
        one("NumHBA", intg, D.CalcNumHBA),
        one("NumAmideBonds", intg, D.CalcNumAmideBonds),
        one("NumHeteroAtoms", intg, D.CalcNumHeteroatoms),
        one("NumHeavyAtoms", intg, lambda m: m.GetNumAtoms(onlyExplicit=True)),
        one("NumAtoms", intg, lambda m: m.GetNumAtoms(onlyExplicit=False)),
        one("NumRings", intg, D.CalcNumRings),
    ]
    for ring in ("Aromatic", "Saturated", "Aliphatic"):
        items.append(one(f"Num{ring}Rings", intg, getattr(D, f"CalcNum{ring}Rings")))
    for kind in ("Heterocycles", "Carbocycles"):
        for ring in ("Aromatic", "Saturated", "Aliphatic"):
            items.append(one(f"Num{ring}{kind}", intg, getattr(D, f"CalcNum{ring}{kind}")))
    items.append(one("FractionCSP3", dbl, D.CalcFractionCSP3))
    for chi in ("Chi0v", "Chi1v", "Chi2v", "Chi3v", "Chi4v", "Chi1n", "Chi2n", "Chi3n", "Chi4n"):
        items.append(one(chi, dbl, getattr(D, f"Calc{chi}")))
    items.append(one("HallKierAlpha", dbl, D.CalcHallKierAlpha))
    for k in (1, 2, 3):
        items.append(one(f"kappa{k}", dbl, getattr(D, f"CalcKappa{k}")))
    items += [
        many("slogp_VSA_1_12", "slogp_VSA", 12, dbl, D.SlogP_VSA_),
        many("smr_VSA_1_10", "smr_VSA", 10, dbl, D.SMR_VSA_),
        many("peoe_VSA_1_14", "peoe_VSA", 14, dbl, D.PEOE_VSA_),
        many("MQN", "MQN", 42, intg, D.MQNs_),
    ]
    items += [(f"FlowVariablePlaceHolder{i}", ([], dbl, lambda m: [])) for i in range(1, 6)]
    return dict(items)


DESCRIPTORS: tuple[str, ...] = tuple(
    "slogp smr LabuteASA TPSA AMW ExactMW NumLipinskiHBA NumLipinskiHBD NumRotatableBonds NumHBD NumHBA "
    "NumAmideBonds NumHeteroAtoms NumHeavyAtoms NumAtoms NumRings NumAromaticRings NumSaturatedRings "
    "NumAliphaticRings NumAromaticHeterocycles NumSaturatedHeterocycles NumAliphaticHeterocycles "
    "NumAromaticCarbocycles NumSaturatedCarbocycles NumAliphaticCarbocycles FractionCSP3 Chi0v Chi1v Chi2v Chi3v "
    "Chi4v Chi1n Chi2n Chi3n Chi4n HallKierAlpha kappa1 kappa2 kappa3 slogp_VSA_1_12 smr_VSA_1_10 peoe_VSA_1_14 "
    "MQN FlowVariablePlaceHolder1 FlowVariablePlaceHolder2 FlowVariablePlaceHolder3 FlowVariablePlaceHolder4 "
    "FlowVariablePlaceHolder5".split()
)
