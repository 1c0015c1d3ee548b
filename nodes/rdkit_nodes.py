"""The RDKit nodes of rdkit/knime-rdkit that work on RDKit molecules: RDKit To Molecule, RDKit From
Molecule, RDKit Descriptor Calculation, RDKit Find Murcko Scaffolds and RDKit Molecule Catalog Filter.

An RDKit molecule cell (column type `RDKit Mol`) is a `Molecule`: RDKit's binary form of the molecule
plus its SMILES, as KNIME's RDKitMolCell2 keeps both. It prints as that SMILES (a CSV holds the
SMILES), pickles as bytes, and compares by content. The nodes take RDKit Mol columns and, as KNIME's
RDKit nodes do through its type adapters, SMILES columns (parsed and sanitized on the way in).

Each node follows its KNIME model class (org.rdkit.knime.nodes.<package>.*NodeModel): the same
settings keys, default column names ("<input> (RDKit Mol)", "<input> (Molecule)", "<input> (Murcko)"),
the same RDKit calls through RDKit's Python bindings to the same C++ code, and the same rows in
the same outputs. An empty molecule cell gives empty results (and, in To Molecule and the Catalog
Filter, sends the row to the second output, as KNIME does).
"""

from __future__ import annotations

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
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._molecules import (
    DESCRIPTORS,
    MOL,
    MOLECULE_TYPES,
    RDKIT_MOL,
    SDF,
    SMARTS,
    Molecule,
    appended,
    descriptor_table,
    from_molecule,
    input_column_of,
    molecule_of,
    murcko,
    quiet,
    result_column,
    take_column_settings,
    typed_values,
    unique_name,
)

_PREFIX = "org.rdkit.knime.nodes."

# ------------------------------------------------------------------------------- RDKit To Molecule


class ToMoleculeSettings(NodeSettings):
    input_column: str | None = Field(None, description="The SMILES column (default: the first one).")
    new_column_name: str | None = Field(
        None, description="The RDKit Mol column (default: '<input> (RDKit Mol)')."
    )
    remove_source_columns: bool = Field(False, description="Remove the input column.")
    bad_rows_to_port1: Literal["SPLIT_ROWS", "MISS_VAL"] = Field(
        "SPLIT_ROWS",
        title="Error handling",
        description="SPLIT_ROWS: rows that fail go to the second output; MISS_VAL: they get a missing molecule.",
    )
    generateErrorInfo: bool = Field(
        False, title="Generate error information", description="Add the reason a row failed."
    )
    errorInfoColumnName: str = Field("", description="Error column (default: '<input> (RDKit Error Info)').")
    generateCoordinates: bool = Field(False, description="Compute 2D coordinates.")
    forceGenerateCoordinates: bool = Field(False, description="Compute them even when the molecule has some.")
    skip_sanitization: bool = Field(False, title="Partial sanitization", description="Do not sanitize fully.")
    do_aromaticity: bool = Field(True, description="Partial sanitization: kekulize and set aromaticity.")
    do_stereochem: bool = Field(True, description="Partial sanitization: assign stereochemistry.")
    keepHs: bool = Field(False, description="Keep hydrogens (SDF input).")
    treat_as_query: bool = Field(False, description="Treat the molecules as queries (merge query Hs).")


def _to_molecule_from_knime(knime: KnimeSettings) -> None:
    keys = [k for k in ToMoleculeSettings.model_fields if k != "input_column"]
    take_column_settings(knime, keys)
    if knime.get("strict_parsing") is False:
        knime.note("strict_parsing only concerns SDF input, which knitflow reads leniently")


def _parsed(text: str, s: ToMoleculeSettings, block: bool, sanitize: bool) -> Any:
    """A SMILES, or an SDF / Mol block (read leniently, hydrogens kept with keepHs), as RDKit parses it."""
    from rdkit import Chem

    if block:
        return Chem.MolFromMolBlock(text, sanitize=sanitize, removeHs=not s.keepHs, strictParsing=False)
    return Chem.MolFromSmiles(text, sanitize=sanitize)


def to_molecule(value: Any, s: ToMoleculeSettings, block: bool = False) -> tuple[Molecule | None, str | None]:
    """Molecule2RDKitConverterNodeModel's processing of one SMILES (or SDF/Mol block): (molecule,
    error text)."""
    from rdkit import Chem
    from rdkit.Chem import rdDepictor

    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None, None
    text = str(value)
    query = s.treat_as_query
    sanitize = True if query else not s.skip_sanitization
    kind = "SDF" if block else "SMILES"
    with quiet():
        mol = _parsed(text, s, block, sanitize and not query)
        if mol is None:
            # KNIME's Java binding throws the sanitization error; Python returns None: parse again for it
            error, raw = None, _parsed(text, s, block, False)
            if raw is not None:
                try:
                    Chem.SanitizeMol(raw)
                except Exception as exc:  # RDKit's MolSanitizeException family
                    error = f"MolSanitizeException ({exc})"
            return None, f"{kind} Parsing Error ({error or 'Details unknown'})"
        try:
            if not sanitize:
                Chem.Cleanup(mol)
                mol.UpdatePropertyCache(strict=False)
                Chem.GetSymmSSSR(mol)
                if s.do_aromaticity:
                    Chem.Kekulize(mol)
                    Chem.SetAromaticity(mol)
                Chem.SetConjugation(mol)
                Chem.SetHybridization(mol)
                if s.do_stereochem:
                    Chem.AssignStereochemistry(mol, cleanIt=True)
            if query:
                Chem.SanitizeMol(mol)
                mol = Chem.MergeQueryHs(mol)
                mol.UpdatePropertyCache(strict=False)
                Chem.FastFindRings(mol)
            if s.generateCoordinates and (s.forceGenerateCoordinates or mol.GetNumConformers() == 0):
                rdDepictor.Compute2DCoords(mol)
            return Molecule(mol, text), None
        except Exception as exc:
            return None, f"{kind} Process Error ({type(exc).__name__} ({exc}))"


class RDKitToMolecule(Node):
    type_name = "rdkit_to_molecule"
    display_name = "RDKit To Molecule"
    category = Category.MANIPULATOR
    description = (
        "Parses a SMILES (or SDF / Mol block) column into RDKit molecules (sanitized, or partly sanitized). Rows "
        "that fail (and rows "
        "without a SMILES) go to the second output, or get a missing molecule; an optional column says why."
    )
    keywords = ("rdkit", "molecule", "smiles", "parse", "convert", "chemistry")
    knime = (
        KnimeMapping(
            _PREFIX + "molecule2rdkit.Molecule2RDKitConverterNodeFactory",
            "RDKit To Molecule",
            _to_molecule_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "A table with a SMILES column."),)
    outputs = (
        Port(TABLE, "Molecules", "The input with the RDKit Mol column."),
        Port(TABLE, "Errors", "The rows that failed (empty unless SPLIT_ROWS)."),
    )
    Settings = ToMoleculeSettings

    @staticmethod
    def _names(spec: TableSpec, s: ToMoleculeSettings, ctx: NodeContext) -> tuple[str, str, str | None]:
        source = input_column_of(spec, s.input_column, (ColumnType.SMILES, SDF, MOL, ColumnType.STRING), ctx)
        new = result_column(
            spec,
            source,
            s.new_column_name,
            f"{source} (RDKit Mol)",
            s.remove_source_columns,
            "new_column_name",
        )
        error = None
        if s.generateErrorInfo:
            split = s.bad_rows_to_port1 == "SPLIT_ROWS"
            taken = (
                set(spec.names)
                if split
                else {*spec.names, new} - ({source} if s.remove_source_columns else set())
            )
            error = (s.errorInfoColumnName or "").strip()
            if not error:
                error = unique_name(f"{source} (RDKit Error Info)", taken)
            elif error in taken:
                raise ConfigureError(
                    f"The name {error} of the new error information column exists already in the input.",
                    setting="errorInfoColumnName",
                )
        return source, new, error

    def configure(self, in_specs: list[Any], settings: ToMoleculeSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        source, new, error = self._names(spec, settings, ctx)
        kept = [c for c in spec.columns if not (settings.remove_source_columns and c.name == source)]
        split = settings.bad_rows_to_port1 == "SPLIT_ROWS"
        first = TableSpec(tuple(kept)).append((new, RDKIT_MOL))
        if error and not split:
            first = first.append((error, ColumnType.STRING))
        second = (spec.append((error, ColumnType.STRING)) if error else spec) if split else TableSpec()
        return [first, second]

    def execute(self, inputs: list[Any], settings: ToMoleculeSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        source, new, error = self._names(table.spec, settings, ctx)
        block = table.types[source] in (SDF, MOL)
        results = [to_molecule(v, settings, block) for v in table.df[source].tolist()]
        failed = np.array([m is None for m, _ in results], dtype=bool)
        if any(e for _, e in results):
            ctx.warn(f"{sum(1 for _, e in results if e)} row(s) failed: {next(e for _, e in results if e)}")
        split = settings.bad_rows_to_port1 == "SPLIT_ROWS"
        keep = ~failed if split else np.ones(len(table), dtype=bool)
        cols: dict[str, tuple[list[Any], str]] = {
            new: ([m for (m, _), k in zip(results, keep, strict=True) if k], RDKIT_MOL)
        }
        if error and not split:
            cols[error] = ([e for _, e in results], ColumnType.STRING)
        good = appended(table.with_frame(table.df[keep]), source, settings.remove_source_columns, cols)
        if not split:
            return [good, Table(pd.DataFrame(index=pd.Index([], dtype=object)))]
        bad = table.with_frame(table.df[failed])
        if error:
            bad = appended(
                bad,
                source,
                False,
                {error: ([e for (_, e), f in zip(results, failed, strict=True) if f], ColumnType.STRING)},
            )
        return [good, bad]


# ----------------------------------------------------------------------------- RDKit From Molecule


class FromMoleculeSettings(NodeSettings):
    input_column: str | None = Field(None, description="The RDKit Mol column (default: the first one).")
    new_column_name: str | None = Field(None, description="The new column (default: '<input> (Molecule)').")
    remove_source_columns: bool = Field(False, description="Remove the input column.")
    destination_format: Literal["SDF", "Smiles", "Smarts"] = Field(
        "SDF",
        description="SDF (a mol block ending in $$$$, 2D coordinates computed when missing), Smiles (canonical, "
        "isomeric) or Smarts (without stereochemistry).",
    )


def _from_molecule_from_knime(knime: KnimeSettings) -> None:
    take_column_settings(knime, ["new_column_name", "remove_source_columns", "destination_format"])


class RDKitFromMolecule(Node):
    type_name = "rdkit_from_molecule"
    display_name = "RDKit From Molecule"
    category = Category.MANIPULATOR
    description = "Writes RDKit molecules out as SDF mol blocks, canonical SMILES or SMARTS."
    keywords = ("rdkit", "molecule", "smiles", "sdf", "smarts", "convert", "chemistry")
    knime = (
        KnimeMapping(
            _PREFIX + "rdkit2molecule.RDKit2MoleculeConverterNodeFactory",
            "RDKit From Molecule",
            _from_molecule_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "A table with an RDKit Mol column."),)
    outputs = (Port(TABLE, "Table", "The input with the converted column."),)
    Settings = FromMoleculeSettings
    _TYPES = {"SDF": SDF, "Smiles": ColumnType.SMILES, "Smarts": SMARTS}

    def _names(self, spec: TableSpec, s: FromMoleculeSettings, ctx: NodeContext) -> tuple[str, str]:
        source = input_column_of(spec, s.input_column, MOLECULE_TYPES, ctx)
        new = result_column(
            spec,
            source,
            s.new_column_name,
            f"{source} (Molecule)",
            s.remove_source_columns,
            "new_column_name",
        )
        return source, new

    def configure(self, in_specs: list[Any], settings: FromMoleculeSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        source, new = self._names(spec, settings, ctx)
        kept = [c for c in spec.columns if not (settings.remove_source_columns and c.name == source)]
        return [TableSpec(tuple(kept)).append((new, self._TYPES[settings.destination_format]))]

    def execute(self, inputs: list[Any], settings: FromMoleculeSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        source, new = self._names(table.spec, settings, ctx)
        values = [
            from_molecule(molecule_of(v), settings.destination_format) for v in table.df[source].tolist()
        ]
        col_type = self._TYPES[settings.destination_format]
        return [appended(table, source, settings.remove_source_columns, {new: (values, col_type)})]


# ------------------------------------------------------------------------ Descriptor Calculation


class DescriptorSettings(NodeSettings):
    input_column: str | None = Field(None, description="The RDKit Mol column (default: the first one).")
    selectedDescriptors: list[str] = Field(
        default_factory=lambda: list(DESCRIPTORS),
        title="Descriptors",
        description="KNIME's descriptor names, in output order: " + ", ".join(DESCRIPTORS[:-5]) + " (the "
        "placeholders add nothing).",
    )


def _descriptors_from_knime(knime: KnimeSettings) -> None:
    knime.take("input_column", "input_column" if knime.get("input_column") is not None else "colName")
    knime.take("selectedDescriptors", transform=lambda v: [str(x) for x in seq(v)])


class RDKitDescriptorCalculation(Node):
    type_name = "rdkit_descriptor_calculation"
    display_name = "RDKit Descriptor Calculation"
    category = Category.MANIPULATOR
    description = (
        "Appends RDKit descriptors of the molecules (SlogP, SMR, LabuteASA, TPSA, AMW, ring and atom counts, "
        "Chi and kappa indices, the VSA bins, MQN), named as in KNIME."
    )
    keywords = ("rdkit", "descriptor", "logp", "tpsa", "molecular weight", "chemistry", "features")
    knime = (
        KnimeMapping(
            _PREFIX + "descriptorcalculation.DescriptorCalculationNodeFactory",
            "RDKit Descriptor Calculation",
            _descriptors_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "A table with an RDKit Mol (or SMILES) column."),)
    outputs = (Port(TABLE, "Table", "The input with the descriptor columns."),)
    Settings = DescriptorSettings

    @staticmethod
    def _columns(spec: TableSpec, s: DescriptorSettings) -> list[tuple[str, str]]:
        table = descriptor_table()
        unknown = [d for d in s.selectedDescriptors if d not in table]
        if unknown:
            raise ConfigureError(
                f"unknown descriptor(s): {', '.join(unknown)}", setting="selectedDescriptors"
            )
        taken, out = set(spec.names), []
        for d in s.selectedDescriptors:
            titles, kind, _ = table[d]
            for title in titles:
                name = unique_name(title, taken)
                taken.add(name)
                out.append((name, kind))
        return out

    def configure(self, in_specs: list[Any], settings: DescriptorSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        input_column_of(spec, settings.input_column, MOLECULE_TYPES, ctx)
        if not settings.selectedDescriptors:
            ctx.warn("There is no descriptor selected. The result table will be the same as the input table.")
        return [spec.append(*self._columns(spec, settings))]

    def execute(self, inputs: list[Any], settings: DescriptorSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        source = input_column_of(table.spec, settings.input_column, MOLECULE_TYPES, ctx)
        columns = self._columns(table.spec, settings)
        calcs = [descriptor_table()[d][2] for d in settings.selectedDescriptors]
        rows: list[list[Any]] = []
        for value in table.df[source].tolist():
            mol = molecule_of(value)
            rows.append([None] * len(columns) if mol is None else [v for calc in calcs for v in calc(mol)])
        df = table.df.copy()
        for j, (name, kind) in enumerate(columns):
            df[name] = typed_values([r[j] for r in rows], kind)
        return [table.with_frame(df, dict(columns))]


# ---------------------------------------------------------------------------- Murcko Scaffolds


class MurckoSettings(NodeSettings):
    input_column: str | None = Field(None, description="The RDKit Mol column (default: the first one).")
    new_column_name: str | None = Field(
        None, description="The scaffold column (default: '<input> (Murcko)')."
    )
    remove_source_columns: bool = Field(False, description="Remove the input column.")
    do_frameworks: bool = Field(
        False,
        title="Create frameworks",
        description="Generic frameworks: every atom carbon, every bond single.",
    )


def _murcko_from_knime(knime: KnimeSettings) -> None:
    take_column_settings(knime, ["new_column_name", "remove_source_columns", "do_frameworks"])


class RDKitMurckoScaffolds(Node):
    type_name = "rdkit_murcko_scaffolds"
    display_name = "RDKit Find Murcko Scaffolds"
    category = Category.MANIPULATOR
    description = (
        "Appends each molecule's Bemis-Murcko scaffold (ring systems and linkers; missing without rings), or "
        "its generic framework."
    )
    keywords = ("rdkit", "murcko", "scaffold", "framework", "chemistry")
    knime = (
        KnimeMapping(
            _PREFIX + "murckoscaffold.RDKitMurckoScaffoldNodeFactory",
            "RDKit Find Murcko Scaffolds",
            _murcko_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "A table with an RDKit Mol (or SMILES) column."),)
    outputs = (Port(TABLE, "Table", "The input with the scaffold column."),)
    Settings = MurckoSettings

    @staticmethod
    def _names(spec: TableSpec, s: MurckoSettings, ctx: NodeContext) -> tuple[str, str]:
        source = input_column_of(spec, s.input_column, MOLECULE_TYPES, ctx)
        return source, result_column(
            spec, source, s.new_column_name, f"{source} (Murcko)", s.remove_source_columns, "new_column_name"
        )

    def configure(self, in_specs: list[Any], settings: MurckoSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        source, new = self._names(spec, settings, ctx)
        kept = [c for c in spec.columns if not (settings.remove_source_columns and c.name == source)]
        return [TableSpec(tuple(kept)).append((new, RDKIT_MOL))]

    def execute(self, inputs: list[Any], settings: MurckoSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        source, new = self._names(table.spec, settings, ctx)
        values = [murcko(molecule_of(v), settings.do_frameworks) for v in table.df[source].tolist()]
        return [appended(table, source, settings.remove_source_columns, {new: (values, RDKIT_MOL)})]


# ------------------------------------------------------------------------ Molecule Catalog Filter

CATALOGS = (
    "PAINS_A PAINS_B PAINS_C PAINS BRENK NIH ZINC CHEMBL_Glaxo CHEMBL_Dundee CHEMBL_BMS CHEMBL_SureChEMBL "
    "CHEMBL_MLSMR CHEMBL_Inpharmatica CHEMBL_LINT CHEMBL ALL"
).split()


class CatalogFilterSettings(NodeSettings):
    input_column: str | None = Field(None, description="The RDKit Mol column (default: the first one).")
    catalogs: list[str] = Field(
        default_factory=list, description="RDKit filter catalogues to apply: " + ", ".join(CATALOGS) + "."
    )
    output_column_prefix: str = Field("", description="Prefix of the result columns.")
    generate_atom_list: Literal["None", "Combined", "Separate"] = Field(
        "None", description="Matched atom indexes: none, one list, or one list per catalogue."
    )


def _catalog_from_knime(knime: KnimeSettings) -> None:
    knime.take("input_column")
    knime.take("catalogs", transform=lambda v: [str(x) for x in seq(v)])
    knime.take("output_column_prefix")
    knime.take("generate_atom_list")


def _prop(entry: Any, key: str) -> str | None:
    try:
        value = str(entry.GetProp(key))
    except (KeyError, RuntimeError):
        return None
    return value or None


class RDKitMoleculeCatalogFilter(Node):
    type_name = "rdkit_molecule_catalog_filter"
    display_name = "RDKit Molecule Catalog Filter"
    category = Category.MANIPULATOR
    description = (
        "Filters molecules with RDKit's filter catalogues (PAINS A/B/C, Brenk, NIH, ZINC, ChEMBL): molecules no "
        "rule matches go to the first output; the others (and rows without a molecule) to the second, with the "
        "total match count and lists of the catalogues, match counts, rules, descriptions and references."
    )
    keywords = ("rdkit", "pains", "brenk", "nih", "filter", "catalog", "alerts", "chemistry")
    knime = (
        KnimeMapping(
            _PREFIX + "moleculecatalogfilter.RDKitMoleculeCatalogFilterNodeFactory",
            "RDKit Molecule Catalog Filter",
            _catalog_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "A table with an RDKit Mol (or SMILES) column."),)
    outputs = (
        Port(TABLE, "Passed", "Molecules no catalogue rule matches."),
        Port(TABLE, "Matched", "Molecules with matches (or none), with the match details."),
    )
    Settings = CatalogFilterSettings

    @staticmethod
    def _result_columns(s: CatalogFilterSettings) -> list[tuple[str, str]]:
        p, text, num = (
            s.output_column_prefix,
            ColumnType.list_of(ColumnType.STRING),
            ColumnType.list_of(ColumnType.INTEGER),
        )
        cols = [
            (p + "Total match counts", ColumnType.INTEGER),
            (p + "Catalogs", text),
            (p + "Match counts", num),
            (p + "Rules", text),
            (p + "Descriptions", text),
            (p + "References", text),
        ]
        if s.generate_atom_list == "Combined":
            cols.append((p + "Atom List", num))
        elif s.generate_atom_list == "Separate":
            cols += [(f"{p}{c} Atom List", num) for c in s.catalogs]
        return cols

    def _check(self, spec: TableSpec, s: CatalogFilterSettings, ctx: NodeContext) -> str:
        unknown = [c for c in s.catalogs if c not in CATALOGS]
        if unknown:
            raise ConfigureError(f"unknown catalogue(s): {', '.join(unknown)}", setting="catalogs")
        return input_column_of(spec, s.input_column, MOLECULE_TYPES, ctx)

    def configure(self, in_specs: list[Any], settings: CatalogFilterSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN]
        self._check(spec, settings, ctx)
        return [spec, spec.append(*self._result_columns(settings))]

    def execute(self, inputs: list[Any], settings: CatalogFilterSettings, ctx: NodeContext) -> list[Any]:
        from rdkit.Chem import FilterCatalog as FC

        table: Table = inputs[0]
        source = self._check(table.spec, settings, ctx)
        names = settings.catalogs
        catalogs = [FC.FilterCatalog(getattr(FC.FilterCatalogParams.FilterCatalogs, n)) for n in names]
        columns = self._result_columns(settings)
        results: list[list[Any]] = []
        for value in table.df[source].tolist():
            mol = molecule_of(value)
            results.append(
                [None] * len(columns) if mol is None else self._row(mol, names, catalogs, settings)
            )
        passed = np.array([r[0] == 0 for r in results], dtype=bool)
        matched = table.df[~passed].copy()
        for j, (name, kind) in enumerate(columns):
            values = [r[j] for r, p in zip(results, passed, strict=True) if not p]
            matched[name] = (
                typed_values(values, kind)
                if kind == ColumnType.INTEGER
                else pd.Series(values, index=matched.index, dtype=object)
            )
        return [table.with_frame(table.df[passed]), table.with_frame(matched, dict(columns))]

    @staticmethod
    def _row(mol: Any, names: list[str], catalogs: list[Any], s: CatalogFilterSettings) -> list[Any]:
        total = 0
        found: list[str] = []
        counts: list[int] = []
        rules: list[str | None] = []
        descriptions: list[str | None] = []
        references: list[str | None] = []
        atoms: list[set[int]] = [set() for _ in names] if s.generate_atom_list == "Separate" else [set()]
        for i, (name, catalog) in enumerate(zip(names, catalogs, strict=True)):
            matches = list(catalog.GetMatches(mol))
            total += len(matches)
            if not matches:
                continue
            found.append(name)
            counts.append(len(matches))
            for entry in matches:
                rules.append(_prop(entry, "Scope"))
                descriptions.append(entry.GetDescription() or None)
                references.append(_prop(entry, "Reference"))
                if s.generate_atom_list != "None":
                    target = atoms[i if s.generate_atom_list == "Separate" else 0]
                    for fm in entry.GetFilterMatches(mol):
                        target.update(int(p[1]) for p in fm.atomPairs)
        row: list[Any] = [total]
        if total == 0:
            return row + [None] * (len(atoms) + 5 if s.generate_atom_list != "None" else 5)
        row += [tuple(found), tuple(counts), tuple(rules), tuple(descriptions), tuple(references)]
        if s.generate_atom_list != "None":
            row += [tuple(sorted(a)) if a else None for a in atoms]
        return row
