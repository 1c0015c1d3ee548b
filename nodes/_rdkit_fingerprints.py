"""RDKit fingerprints as KNIME's RDKit Fingerprint node computes them, one chunk of SMILES at a time.

Kept apart from the node module (`nodes.chemistry`) because worker processes run `fingerprint_chunk`:
it needs RDKit and numpy only, not the node's settings. The generators give the very bits of the
calls KNIME's RDKit nodes make (see `nodes.chemistry`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from nodes._bitvector import n_bytes


def fingerprint_length(params: dict[str, Any]) -> int:
    return 167 if params["fp_type"] == "maccs" else int(params["num_bits"])


def fingerprinter(params: dict[str, Any]) -> Any:
    """A function mol, from_atoms -> an RDKit ExplicitBitVect (None: no bit set), mirroring KNIME's
    FingerprintType.calculate / calculateRooted."""
    from rdkit import Chem
    from rdkit.Chem import rdFingerprintGenerator as gen

    kind, nbits, chiral = params["fp_type"], params["num_bits"], params["chirality"]
    generator = None
    if kind == "morgan":  # getMorganFingerprintAsBitVect(mol, radius, nBits, null, atoms, useChirality)
        generator = gen.GetMorganGenerator(radius=params["radius"], fpSize=nbits, includeChirality=chiral)
    elif kind == "featmorgan":  # feature invariants; KNIME passes no chirality flag
        generator = gen.GetMorganGenerator(
            radius=params["radius"], fpSize=nbits, atomInvariantsGenerator=gen.GetMorganFeatureAtomInvGen()
        )
    elif kind == "atompair":  # getHashedAtomPairFingerprintAsBitVect(..., nBitsPerEntry = 4, chirality)
        generator = gen.GetAtomPairGenerator(
            minDistance=params["ap_min"],
            maxDistance=params["ap_max"],
            includeChirality=chiral,
            countSimulation=True,
            fpSize=nbits,
        )
    elif kind == "torsion":  # getHashedTopologicalTorsionFingerprintAsBitVect(..., nBitsPerEntry = 4)
        generator = gen.GetTopologicalTorsionGenerator(
            includeChirality=chiral, torsionAtomCount=params["torsion"], countSimulation=True, fpSize=nbits
        )
    elif kind == "rdkit":  # RDKFingerprintMol(mol, minPath, maxPath, fpSize, nBitsPerHash = 2)
        generator = gen.GetRDKitFPGenerator(
            minPath=params["min_path"], maxPath=params["max_path"], fpSize=nbits, numBitsPerFeature=2
        )
    if generator is not None:

        def by_generator(mol: Any, atoms: list[int] | None) -> Any:
            if atoms is None:
                return generator.GetFingerprint(mol)
            return generator.GetFingerprint(mol, fromAtoms=atoms) if atoms else None

        return by_generator
    if kind == "layered":

        def layered(mol: Any, atoms: list[int] | None) -> Any:
            if atoms is None:
                fp = Chem.LayeredFingerprint(
                    mol, params["layer_flags"], params["min_path"], params["max_path"], nbits
                )
            elif not atoms:
                return None
            else:
                fp = Chem.LayeredFingerprint(
                    mol, params["layer_flags"], params["min_path"], params["max_path"], nbits, fromAtoms=atoms
                )
            return fp

        return layered
    if kind == "maccs":
        from rdkit.Chem import MACCSkeys

        return lambda mol, atoms: MACCSkeys.GenMACCSKeys(mol)  # type: ignore[attr-defined]  # made by a C++ binding
    if kind == "avalon":
        from rdkit.Avalon import pyAvalonTools

        flags = pyAvalonTools.avalonSimilarityBits
        return lambda mol, atoms: pyAvalonTools.GetAvalonFP(
            mol, nbits, isQuery=False, resetVect=False, bitFlags=flags
        )
    if kind == "pattern":
        return lambda mol, atoms: Chem.PatternFingerprint(mol, nbits)
    raise ValueError(f"unknown fingerprint type {kind!r}")


def _atom_list(value: Any) -> list[int] | None:
    """An atom-list cell: one index or a collection of indices; None for a missing cell."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | np.integer):
        return [int(value)]
    if isinstance(value, str):
        raise ValueError(f"atom list {value!r} is text, not integers")
    return [int(v) for v in value]


def fingerprint_chunk(
    smiles: Sequence[Any] | np.ndarray, atom_lists: Sequence[Any] | np.ndarray | None, params: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, int, Counter[str], list[str]]:
    """Fingerprints of one chunk of SMILES (run in the parent or in a worker process).

    Returns (packed bits (n x bytes) uint8, missing mask, number of empty input cells, parse
    errors by message, the first few unparsable SMILES)."""
    from rdkit import DataStructs, rdBase

    nbits = fingerprint_length(params)
    fp = fingerprinter(params)
    parse = _parser(params) if atom_lists is None else _parse_for_any_fingerprint
    n = len(smiles)
    width = n_bytes(nbits)
    # RDKit's FPS text is the vector's bytes in hex, bit 0 the lowest bit of byte 0: the packed layout of
    # BitVectorArray, so each row is written once, with no unpacked (rows x bits) matrix in between
    packed = bytearray(n * width)
    to_hex = DataStructs.BitVectToFPSText
    missing = np.zeros(n, dtype=bool)
    empty = 0
    errors: Counter[str] = Counter()
    examples: list[str] = []
    with rdBase.BlockLogs():
        for i, smi in enumerate(smiles):
            if smi is None or smi is pd.NA or (isinstance(smi, float) and math.isnan(smi)):
                missing[i] = True
                empty += 1
                continue
            mol = parse(str(smi))
            if mol is None:
                missing[i] = True
                errors[_parse_error(str(smi))] += 1
                if len(examples) < 5:
                    examples.append(str(smi))
                continue
            atoms = None
            if atom_lists is not None:
                atoms = _atom_list(atom_lists[i]) or []
                if not params["include_atoms"]:
                    listed = set(atoms)
                    atoms = [a for a in range(mol.GetNumAtoms()) if a not in listed]
            vector = fp(mol, atoms)
            if vector is not None:
                packed[i * width : (i + 1) * width] = bytes.fromhex(to_hex(vector))
    return np.frombuffer(packed, dtype=np.uint8).reshape(n, width), missing, empty, errors, examples


# Fingerprints that read neither chiral tags nor CIP labels: for them, the stereochemistry that
# MolFromSmiles perceives after sanitizing (a fifth of its time on QM9) changes no bit.
_STEREO_FREE = ("morgan", "featmorgan", "atompair", "torsion", "rdkit")


def _parser(params: dict[str, Any]) -> Any:
    """SMILES -> sanitized molecule or None, as KNIME's RWMol.MolFromSmiles(smiles, 0, true); for a
    fingerprint that ignores stereochemistry, without perceiving it (the same molecule otherwise:
    the same hydrogens removed, the same sanitization, the same failures)."""
    if params["fp_type"] in _STEREO_FREE and not params["chirality"]:
        return _parse_without_stereo
    return _parse_for_any_fingerprint


def _parse_for_any_fingerprint(smiles: str) -> Any:
    from rdkit import Chem

    return Chem.MolFromSmiles(smiles)


def _parse_without_stereo(smiles: str) -> Any:
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    if mol is None:
        return None
    try:  # what MolFromSmiles does next, up to its stereo perception
        if mol.GetNumHeavyAtoms() == mol.GetNumAtoms():  # no hydrogen atom: removing them is sanitizing
            Chem.SanitizeMol(mol)
            return mol
        return Chem.RemoveHs(mol, implicitOnly=False, updateExplicitCount=True, sanitize=True)
    except Exception:  # noqa: BLE001 - RDKit raises several sanitization exception types
        return None


def _parse_error(smiles: str) -> str:
    """Why RDKit rejects a SMILES (KNIME shows the sanitization message)."""
    from rdkit import Chem

    mol = Chem.MolFromSmiles(smiles, sanitize=False)
    if mol is None:
        return "SMILES Parsing Error"
    try:
        Chem.SanitizeMol(mol)
    except Exception as exc:  # noqa: BLE001 - RDKit raises several sanitization exception types
        return f"SMILES Parsing Error ({type(exc).__name__} ({exc}))"
    return "SMILES Parsing Error"
