"""QM9 for workflow 13_01, built from the PyPI package ``qm9pack``.

The tutorial's ``qm9.csv`` (SMILES, HOMO, LUMO, GAP in eV; 130,831 molecules) was made from the
torch_geometric QM9 dataset. ``qm9pack`` ships the same 130,831 characterised molecules as three
CSV files with the orbital energies in Hartree; they are converted with torch_geometric's HAR2EV
factor. The package's own loader imports ``pkg_resources`` (gone from recent setuptools), so its
data folder is located with ``importlib`` without importing the package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from engine.core.yamlio import atomic_write

__all__ = ["HARTREE_TO_EV", "QM9_COLUMNS", "QM9_ROWS", "qm9_data_dir", "load_qm9", "write_qm9_csv"]

# torch_geometric/datasets/qm9.py: HAR2EV
HARTREE_TO_EV = 27.2113825435
QM9_ROWS = 130_831
QM9_COLUMNS = ("SMILES", "HOMO", "LUMO", "GAP")
_PARTS = ("qm9_part1.csv", "qm9_part2.csv", "qm9_part3.csv")
_SOURCE_COLUMNS = {"HOMO": "HOMO_au", "LUMO": "LUMO_au", "GAP": "HOMO_LUMO_gap_au"}


def qm9_data_dir() -> Path:
    """The ``data`` folder of the installed qm9pack package (the package is not imported)."""
    spec = importlib.util.find_spec("qm9pack")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the QM9 data comes from the PyPI package qm9pack: `pip install qm9pack` (or `pip install 'knitflow[qm9]'`)"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    missing = [p for p in _PARTS if not (folder / p).is_file()]
    if missing:
        raise FileNotFoundError(f"qm9pack is installed but {', '.join(missing)} is missing in {folder}")
    return folder


def load_qm9() -> pd.DataFrame:
    """SMILES, HOMO, LUMO, GAP (eV) of the 130,831 molecules, in qm9pack's order (part 1, 2, 3)."""
    folder = qm9_data_dir()
    usecols = ["SMILES", *_SOURCE_COLUMNS.values()]
    parts = [pd.read_csv(folder / p, usecols=usecols, dtype={"SMILES": str}) for p in _PARTS]
    raw = pd.concat(parts, ignore_index=True)
    out = pd.DataFrame({"SMILES": raw["SMILES"].astype(object)})
    for col, src in _SOURCE_COLUMNS.items():
        out[col] = raw[src].astype("float64") * HARTREE_TO_EV
    if len(out) != QM9_ROWS:
        raise ValueError(f"qm9pack gave {len(out)} molecules, expected {QM9_ROWS}")
    return out


def write_qm9_csv(dest: str | Path) -> Path:
    """Write ``qm9.csv`` (header SMILES,HOMO,LUMO,GAP; eV, shortest round-trip decimals) atomically."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(dest, load_qm9().to_csv(index=False, lineterminator="\n"))
    return dest
