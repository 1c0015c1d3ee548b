"""Per-column statistics of a table for the output viewer's Statistics view (KNIME's table view
statistics: missing values, minimum, maximum, mean and standard deviation of numbers, distinct
values and the most common one otherwise), and molecules drawn as SVG by RDKit."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from engine.api import ColumnType, Table

MOLECULE_TYPES = {"SMILES", "RDKit Molecule", "SDF", "Mol"}


def _number(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def column_statistics(table: Table) -> list[dict[str, Any]]:
    """One entry per column."""
    df = table.df
    out = []
    for name in df.columns:
        ctype = table.types.get(str(name), "")
        col = df[name]
        entry: dict[str, Any] = {"name": str(name), "type": ctype, "missing": int(col.isna().sum())}
        if ctype in ColumnType.NUMERIC or ctype == "Boolean":
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            values = values[~np.isnan(values)]
            if values.size:
                entry.update(
                    min=_number(values.min()),
                    max=_number(values.max()),
                    mean=_number(values.mean()),
                    std=_number(values.std(ddof=1)) if values.size > 1 else None,
                )
        else:
            text = col.dropna()
            if ctype == "Bit vector" or text.dtype == object:
                text = text.astype(str)
            counts = text.value_counts()
            entry["distinct"] = int(counts.size)
            if counts.size:
                entry["most_common"] = str(counts.index[0])[:80]
                entry["most_common_count"] = int(counts.iloc[0])
        out.append(entry)
    return out


@lru_cache(maxsize=2048)
def molecule_svg(smiles: str, width: int = 160, height: int = 110) -> str | None:
    """A 2D drawing of `smiles` (None when RDKit is missing or cannot read it)."""
    try:
        from rdkit import Chem, RDLogger
        from rdkit.Chem.Draw import rdMolDraw2D
    except ImportError:
        return None
    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None
    drawer = rdMolDraw2D.MolDraw2DSVG(width, height)
    drawer.drawOptions().clearBackground = False  # type: ignore[assignment]
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol)
    drawer.FinishDrawing()
    return str(drawer.GetDrawingText())
