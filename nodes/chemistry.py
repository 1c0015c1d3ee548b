"""Chemistry nodes: Molecule Type Cast and RDKit Fingerprint (workflow 13_01).

Fingerprints are computed with RDKit's fingerprint generators (``rdFingerprintGenerator``) where
they give the very bits of the calls KNIME's RDKit nodes make (``getMorganFingerprintAsBitVect``,
``getHashedAtomPairFingerprintAsBitVect``, ``RDKFingerprintMol``, ...; checked bit for bit on
2,000 QM9 molecules and chiral/stereo examples), and with the classic functions for the types
that have no generator (layered, MACCS, Avalon, pattern). The result is a packed bit-vector
column (`nodes._bitvector`), filled chunk by chunk so that no (rows x bits) matrix of the whole
table is ever allocated; large tables are split across worker processes.
"""

from __future__ import annotations

import math
import multiprocessing
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    SparseTable,
    Table,
    TableSpec,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._bitblock import SPARSE_MAX_DENSITY, block_from_packed, set_bit_share
from nodes._bitvector import BitVectorArray, n_bytes
from nodes._common import require_columns
from nodes._rdkit_fingerprints import fingerprint_chunk, fingerprint_length, fingerprinter

# tables with more rows than this are fingerprinted in worker processes (when ctx.workers > 1)
PARALLEL_MIN_ROWS = 20_000
# rows handled per call of the chunk function: bounds the unpacked (rows x bits) scratch matrix
CHUNK_ROWS = 4096


def _spec(obj: Any) -> TableSpec | None:
    return obj if isinstance(obj, TableSpec) else None


def _table(obj: Any, port: int = 1) -> Table:
    if not isinstance(obj, Table):
        raise NodeError(f"input port {port} needs a data table")
    return obj


# ------------------------------------------------------------------------------ Molecule Type Cast

# KNIME's MolParser target types; knitflow has a column type for SMILES only
_TARGET_TYPES = ("Smiles", "SDF", "Mol", "Mol2", "SMARTS", "CML", "RXN", "InChI")


class MoleculeTypeCastSettings(NodeSettings):
    column_name: str | None = Field(
        None, description="String column holding the molecules (default: the first String column)."
    )
    target_type: str = Field(
        "Smiles",
        description="Molecule type the strings are declared to be. knitflow supports Smiles (the only "
        "molecule column type it has).",
    )


class MoleculeTypeCast(Node):
    type_name = "molecule_type_cast"
    display_name = "Molecule Type Cast"
    category = Category.MANIPULATOR
    description = (
        "Declares a String column to hold molecules of the chosen type (SMILES), in place. The text is not "
        "parsed or validated and no row changes: only the column type becomes SMILES, which the RDKit nodes need."
    )
    keywords = ("smiles", "molecule", "chemistry", "convert", "type", "parser")
    knime = (
        KnimeMapping("org.knime.chem.base.node.converter.parser.MolParserNodeFactory", "Molecule Type Cast"),
    )
    inputs = (Port(TABLE, "Table", "Table with a String column of molecules"),)
    outputs = (Port(TABLE, "Table", "Same table with the column typed as SMILES"),)
    Settings = MoleculeTypeCastSettings

    def _column(self, spec: TableSpec, s: MoleculeTypeCastSettings) -> str:
        if s.target_type.lower() != "smiles":
            if s.target_type.lower() not in {t.lower() for t in _TARGET_TYPES}:
                raise ConfigureError(f"unknown target type {s.target_type!r}", setting="target_type")
            raise ConfigureError(
                f"target type {s.target_type!r} is not supported: knitflow has a molecule column type for "
                "Smiles only",
                setting="target_type",
            )
        name = s.column_name
        if name is None:
            name = next((c.name for c in spec.columns if c.type == ColumnType.STRING), None)
            if name is None:
                raise ConfigureError("no String column in the input table to cast", setting="column_name")
        require_columns(spec, [name], "column_name")
        kind = spec.type_of(name)
        if kind not in (ColumnType.STRING, ColumnType.SMILES):
            raise ConfigureError(f"column {name!r} is {kind}, not a String column", setting="column_name")
        return name

    def configure(
        self, in_specs: list[Any], settings: MoleculeTypeCastSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = _spec(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        return [spec.replace(self._column(spec, settings), ColumnType.SMILES)]

    def execute(self, inputs: list[Any], settings: MoleculeTypeCastSettings, ctx: NodeContext) -> list[Any]:
        table = _table(inputs[0])
        name = self._column(table.spec, settings)
        return [table.with_frame(table.df, {name: ColumnType.SMILES})]


# ------------------------------------------------------------------------------- RDKit Fingerprint

FpType = Literal[
    "morgan", "featmorgan", "atompair", "torsion", "rdkit", "avalon", "layered", "maccs", "pattern"
]
_ROOTABLE = frozenset({"morgan", "featmorgan", "atompair", "torsion", "rdkit", "layered"})


class RDKitFingerprintSettings(NodeSettings):
    smiles_column: str | None = Field(
        None, description="SMILES column with the molecules (default: the first SMILES column)."
    )
    new_column_name: str | None = Field(
        None, description="Name of the fingerprint column (default: '<SMILES column> (Fingerprint)')."
    )
    remove_source_columns: bool = Field(False, description="Remove the SMILES column from the output.")
    fp_type: FpType = Field(
        "morgan",
        description="Fingerprint type: morgan (ECFP-like), featmorgan (FCFP-like), atompair, torsion, rdkit "
        "(path-based), avalon, layered, maccs (167 bits), pattern.",
    )
    num_bits: int = Field(1024, ge=32, le=9192, description="Length of the fingerprint (ignored for maccs).")
    radius: int = Field(2, ge=1, le=6, description="Morgan radius (morgan, featmorgan).")
    torsion_path_length: int = Field(4, ge=1, le=10, description="Atoms per torsion (torsion).")
    min_path: int = Field(1, ge=1, le=10, description="Minimum path length (rdkit, layered).")
    max_path: int = Field(7, ge=1, le=10, description="Maximum path length (rdkit, layered).")
    atompairs_min_path: int = Field(1, ge=1, le=30, description="Minimum atom-pair distance (atompair).")
    atompairs_max_path: int = Field(30, ge=1, le=30, description="Maximum atom-pair distance (atompair).")
    layer_flags: int = Field(7, ge=1, le=0xFFFF, description="Layers of the layered fingerprint (bit flags).")
    use_chirality: bool = Field(False, description="Include chirality (morgan, atompair, torsion).")
    is_rooted: bool = Field(
        False,
        description="Rooted fingerprint: only environments/paths starting at the atoms of the atom list column.",
    )
    atom_list_column: str | None = Field(
        None,
        description="Column with the atom indices (an Integer or a list of integers) for rooted fingerprints.",
    )
    include_atoms: bool = Field(
        True, description="Rooted fingerprints: True roots at the listed atoms, False at all the other atoms."
    )


def _fp_params(s: RDKitFingerprintSettings) -> dict[str, Any]:
    """What a worker needs, as plain data (the settings model stays in the parent)."""
    return {
        "fp_type": s.fp_type,
        "num_bits": s.num_bits,
        "radius": s.radius,
        "torsion": s.torsion_path_length,
        "min_path": s.min_path,
        "max_path": s.max_path,
        "ap_min": s.atompairs_min_path,
        "ap_max": s.atompairs_max_path,
        "layer_flags": s.layer_flags,
        "chirality": s.use_chirality,
        "include_atoms": s.include_atoms,
    }


def _pool_context() -> Any:
    """Fork where the platform has it, as the engine's parallel loops do: a forked worker needs no
    re-import of the caller's main script (spawn would re-run an unguarded user script) and runs
    only RDKit and numpy code. Spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class RDKitFingerprint(Node):
    type_name = "rdkit_fingerprint"
    display_name = "RDKit Fingerprint"
    category = Category.MANIPULATOR
    description = (
        "Appends a fingerprint bit-vector column computed by RDKit from a SMILES column (Morgan, feature "
        "Morgan, atom pair, torsion, RDKit, Avalon, layered, MACCS or pattern). SMILES that RDKit cannot parse "
        "(with sanitization) and missing SMILES give a missing fingerprint. Large tables are fingerprinted in "
        "parallel worker processes."
    )
    keywords = ("fingerprint", "morgan", "ecfp", "rdkit", "smiles", "chemistry", "bit vector", "descriptor")
    knime = (
        KnimeMapping("org.rdkit.knime.nodes.rdkfingerprint.RDKitFingerprintNodeFactory", "RDKit Fingerprint"),
    )
    inputs = (Port(TABLE, "Molecules", "Table with a SMILES column"),)
    outputs = (Port(TABLE, "Fingerprints", "Input table plus the fingerprint column"),)
    Settings = RDKitFingerprintSettings

    def _resolve(self, spec: TableSpec, s: RDKitFingerprintSettings) -> tuple[str, str, str | None]:
        col = s.smiles_column
        if col is None:
            col = next((c.name for c in spec.columns if c.type == ColumnType.SMILES), None)
            if col is None:
                raise ConfigureError(
                    "no SMILES column in the input table (declare a String column as SMILES with Molecule "
                    "Type Cast first)",
                    setting="smiles_column",
                )
        require_columns(spec, [col], "smiles_column")
        if spec.type_of(col) != ColumnType.SMILES:
            raise ConfigureError(
                f"column {col!r} is {spec.type_of(col)}, not SMILES: declare it as SMILES with Molecule Type Cast "
                "first",
                setting="smiles_column",
            )
        new = s.new_column_name if s.new_column_name is not None else f"{col} (Fingerprint)"
        if not new.strip():
            raise ConfigureError("the name of the fingerprint column is empty", setting="new_column_name")
        kept = [n for n in spec.names if not (s.remove_source_columns and n == col)]
        if new in kept:
            raise ConfigureError(f"the column {new!r} exists already in the input", setting="new_column_name")
        if s.fp_type in ("rdkit", "layered") and s.max_path < s.min_path:
            raise ConfigureError("the maximal path must be at least the minimal path", setting="max_path")
        if s.fp_type == "atompair" and s.atompairs_max_path < s.atompairs_min_path:
            raise ConfigureError(
                "the atom-pair maximal path must be at least the minimal path", setting="atompairs_max_path"
            )
        atom_col = None
        if s.is_rooted and s.fp_type in _ROOTABLE:
            if not s.atom_list_column:
                raise ConfigureError(
                    "rooted fingerprints need an atom list column", setting="atom_list_column"
                )
            require_columns(spec, [s.atom_list_column], "atom_list_column")
            if spec.type_of(s.atom_list_column) in (
                ColumnType.DOUBLE,
                ColumnType.BOOLEAN,
                ColumnType.BIT_VECTOR,
            ):
                raise ConfigureError(
                    f"atom list column {s.atom_list_column!r} must hold integers or lists of integers",
                    setting="atom_list_column",
                )
            atom_col = s.atom_list_column
        return col, new, atom_col

    def configure(
        self, in_specs: list[Any], settings: RDKitFingerprintSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = _spec(in_specs[0])
        if spec is None:
            return [UNKNOWN]
        col, new, _ = self._resolve(spec, settings)
        out = spec.append((new, ColumnType.BIT_VECTOR))
        if settings.remove_source_columns:
            out = TableSpec(tuple(c for c in out.columns if c.name != col))
        return [out]

    def execute(self, inputs: list[Any], settings: RDKitFingerprintSettings, ctx: NodeContext) -> list[Any]:
        table = _table(inputs[0])
        col, new, atom_col = self._resolve(table.spec, settings)
        params = _fp_params(settings)
        smiles = table.df[col].to_numpy(dtype=object)
        atoms = table.df[atom_col].to_numpy(dtype=object) if atom_col else None
        try:
            column = self._compute(smiles, atoms, params, ctx)
        except ValueError as exc:
            raise NodeError(str(exc), setting="atom_list_column" if atom_col else None) from exc
        df = table.df.copy(deep=False)
        df[new] = pd.Series(column, index=df.index, copy=False)
        if settings.remove_source_columns:
            df = df.drop(columns=[col])
        return [table.with_frame(df, {new: ColumnType.BIT_VECTOR})]

    def _compute(
        self, smiles: np.ndarray, atoms: np.ndarray | None, params: dict[str, Any], ctx: NodeContext
    ) -> BitVectorArray:
        n = len(smiles)
        nbits = fingerprint_length(params)
        packed = np.zeros((n, n_bytes(nbits)), dtype=np.uint8)
        mask = np.zeros(n, dtype=bool)
        empty = 0
        errors: Counter[str] = Counter()
        examples: list[str] = []

        def take(start: int, result: tuple[np.ndarray, np.ndarray, int, Counter[str], list[str]]) -> None:
            nonlocal empty
            p, m, e, err, ex = result
            packed[start : start + len(p)] = p
            mask[start : start + len(m)] = m
            empty += e
            errors.update(err)
            examples.extend(ex[: max(0, 5 - len(examples))])

        workers = max(1, int(ctx.workers))
        if n > PARALLEL_MIN_ROWS and workers > 1:
            size = min(CHUNK_ROWS * 4, math.ceil(n / (workers * 4)))
            starts = list(range(0, n, size))
            fingerprinter(
                params
            )  # RDKit imported here once: forked workers inherit it instead of each importing it
            ctx.log(f"fingerprinting {n} molecules in {len(starts)} chunks on {workers} worker processes")
            with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
                futures = [
                    pool.submit(
                        fingerprint_chunk,
                        list(smiles[s : s + size]),
                        None if atoms is None else list(atoms[s : s + size]),
                        params,
                    )
                    for s in starts
                ]
                ctx.while_waiting()  # the workers have the cores; later nodes may import meanwhile
                try:
                    for k, (start, fut) in enumerate(zip(starts, futures, strict=True)):
                        take(start, fut.result())
                        ctx.progress((k + 1) / len(starts), f"{min(n, start + size)} of {n} molecules")
                except BaseException:
                    for fut in futures:
                        fut.cancel()
                    raise
        else:
            for start in range(0, n, CHUNK_ROWS):
                stop = min(n, start + CHUNK_ROWS)
                take(
                    start,
                    fingerprint_chunk(
                        smiles[start:stop], None if atoms is None else atoms[start:stop], params
                    ),
                )
                ctx.progress(stop / n, f"{stop} of {n} molecules")
        # KNIME's RDKit nodes show these two as the node's warning (yellow), not just in the log
        if empty:
            ctx.warn(f"Encountered empty input cell. [{empty} of {n} rows]")
        for message, count in errors.most_common():
            ctx.warn(f"Auto conversion failed: {message} - Using empty cell. [{count} of {n} rows]")
        if errors:
            ctx.log(f"{sum(errors.values())} SMILES could not be parsed, e.g. {', '.join(examples)}")
        return BitVectorArray(packed, nbits, mask)


# ------------------------------------------------------------------------------- Expand Bit Vector


def _unpack_by_column(packed: np.ndarray, width: int) -> np.ndarray:
    """(rows, width) uint8 bits in column order, as pandas keeps columns: learners then convert them to
    the Fortran-order floats coordinate descent reads without a transpose (13_01's 45 Lasso fits), and
    row subsets copy each column contiguously. Unpacked 256 rows at a time: transposing the whole
    matrix at once (or unpacking along columns) is two to twelve times slower."""
    out = np.empty((len(packed), width), dtype=np.uint8, order="F")
    for start in range(0, len(packed), 256):
        out[start : start + 256] = np.unpackbits(
            packed[start : start + 256], axis=1, count=width, bitorder="little"
        )
    return out


class ExpandBitVectorSettings(NodeSettings):
    input_column: str | None = Field(
        None,
        description="Bit-vector column to expand. When it is not set or not in the input, the last bit-vector "
        "column is used (as KNIME does).",
    )
    remove_original_column: bool = Field(True, description="Remove the bit-vector column from the output.")
    use_names_from_properties: bool = Field(
        True,
        description="Name the new columns after the vector's element names when the column has them "
        "(knitflow's bit-vector columns have none, so the prefix is used).",
    )
    output_prefix: str = Field("bitvector", description="Prefix of the new column names: <prefix><index>.")
    start_index: int = Field(0, description="Number appended to the prefix for bit 0.")
    maximum_number_of_new_columns: int = Field(
        40000, ge=0, description="At most this many bits (the first ones) become columns."
    )


def _expand_bit_vector_from_knime(knime: KnimeSettings) -> None:
    knime.take_all()


class ExpandBitVector(Node):
    type_name = "expand_bit_vector"
    display_name = "Expand Bit Vector"
    category = Category.MANIPULATOR
    description = (
        "Expands a bit-vector column into one Integer (0/1) column per bit, named <prefix><start index + i>, "
        "appended at the end. The number of columns is the vector length (capped by the maximum); a missing "
        "vector gives missing cells. The columns are uint8 (one byte per cell); sparse bits (at most 10 % set, "
        "no missing vector, e.g. Morgan fingerprints) are kept as one sparse matrix, which Row Sampler, Table "
        "Partitioner and the Sklearn Lasso nodes use as it is."
    )
    keywords = ("bit vector", "fingerprint", "expand", "split", "columns", "features")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.bitvector.expand.ExpandBitVectorNodeFactory",
            "Expand Bit Vector",
            _expand_bit_vector_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "Table with a bit-vector column"),)
    outputs = (Port(TABLE, "Expanded table", "One 0/1 column per bit appended"),)
    Settings = ExpandBitVectorSettings

    def _column(self, spec: TableSpec, s: ExpandBitVectorSettings) -> str:
        name = s.input_column
        if name is not None and name in spec:
            if spec.type_of(name) != ColumnType.BIT_VECTOR:
                raise ConfigureError(
                    f"column {name!r} is {spec.type_of(name)}, not a bit vector", setting="input_column"
                )
            return name
        candidates = [c.name for c in spec.columns if c.type == ColumnType.BIT_VECTOR]
        if not candidates:
            raise ConfigureError(
                "No compatible column found! (the input has no bit-vector column)", setting="input_column"
            )
        return candidates[-1]

    def configure(
        self, in_specs: list[Any], settings: ExpandBitVectorSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = _spec(in_specs[0])
        if spec is not None:
            self._column(spec, settings)
        return [UNKNOWN]  # the number of new columns is the longest vector in the data

    def execute(self, inputs: list[Any], settings: ExpandBitVectorSettings, ctx: NodeContext) -> list[Any]:
        table = _table(inputs[0])
        col = self._column(table.spec, settings)
        if settings.input_column is not None and settings.input_column != col:
            ctx.log(f"column {settings.input_column!r} not found; expanding {col!r}")
        values = table.df[col].array
        if not isinstance(values, BitVectorArray):
            raise NodeError(f"column {col!r} does not hold packed bit vectors", setting="input_column")
        mask = values.isna()
        width = 0 if mask.all() else min(values.n_bits, settings.maximum_number_of_new_columns)
        existing = set(table.spec.names)
        names = [
            unique_column_name(existing, f"{settings.output_prefix}{settings.start_index + i}")
            for i in range(width)
        ]
        base = table.df.drop(columns=[col]) if settings.remove_original_column else table.df
        if not mask.any() and width and set_bit_share(values.packed, values.n_bits) <= SPARSE_MAX_DENSITY:
            # the bits stay one sparse matrix (engine.api.SparseTable): Row Sampler, Table Partitioner and the
            # Lasso nodes keep it so; any other node gets the dense uint8 columns from `df`
            types = {**table.types, **dict.fromkeys(names, ColumnType.INTEGER)}
            return [
                SparseTable(base, block_from_packed(values.packed, width), names, len(base.columns), types)
            ]
        bits = _unpack_by_column(values.packed, width)
        if mask.any():
            # missing vectors -> missing cells: nullable UInt8 columns (uint8 data + the shared mask)
            expanded = pd.DataFrame(
                {n: pd.arrays.IntegerArray(bits[:, i], mask.copy()) for i, n in enumerate(names)},
                index=table.df.index,
            )
        else:
            expanded = pd.DataFrame(bits, index=table.df.index, columns=names, copy=False)
        df = pd.concat([base, expanded], axis=1, copy=False)
        return [table.with_frame(df, dict.fromkeys(names, ColumnType.INTEGER))]
