"""Table Validator and Table Validator (Reference): a table checked against a reference spec.

KNIME's org.knime.base.node.preproc.datavalidator (DataValidatorNodeModel, DataValidatorConfiguration,
DataValidatorColConfiguration, DataValidatorCellDecorator, DataValidatorColConflicts). Columns are
matched to the reference by name (exactly first, then case-insensitively where allowed), checked
for type, missing cells and domain (min/max, possible values), converted when asked, put into the
reference order; absent configured columns are inserted as missing cells. On a conflict the node
fails, or sends the conflicts table to port 2 and deactivates port 1.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from pydantic import Field

from engine.api import (
    INACTIVE,
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
    Table,
    TableSpec,
    row_ids,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, get, seq
from nodes._aggregation import cell_text
from nodes._column_types import is_super_type, typed_column
from nodes._rows import is_missing

_DOMAIN = Literal["NONE", "FAIL", "MISSING_VALUE"]
_MAX_POSSIBLE_VALUES = 60  # DataContainer's default: more distinct values and a column keeps none

CONFLICTS_SPEC = TableSpec.of(
    [("Column", ColumnType.STRING), ("Error ID", ColumnType.STRING), ("Description", ColumnType.STRING)]
)


class _ValidationOptions(NodeSettings):
    """What DataValidatorColConfiguration checks of one group of reference columns."""

    case_insensitive_name_matching: bool = Field(
        False,
        title="Column name matching",
        description="Also match a column whose name differs in case only (exact names are matched first).",
    )
    reject_on_missing_value: bool = Field(
        False, title="If there are missing values", description="A missing cell fails the validation."
    )
    datatype_handling: Literal["NONE", "FAIL", "CONVERT_FAIL"] = Field(
        "FAIL",
        title="If data type does not match",
        description="NONE: accept any type; FAIL: the reference type must be a super type of the column's; "
        "CONVERT_FAIL: convert the cells to the reference type (Boolean, Integer, Long, Double, String), "
        "failing where a cell cannot be converted.",
    )
    domain_handling_possible_values: _DOMAIN = Field(
        "NONE",
        title="If categoric value is not in the domain",
        description="Cells outside the reference column's possible values: ignored, fail, or become missing.",
    )
    domain_handling_min_max: _DOMAIN = Field(
        "NONE",
        title="If numeric value is outside the domain",
        description="Cells below the reference minimum or above its maximum: ignored, fail, or become missing.",
    )
    colum_missing_handling: Literal["NONE", "FAIL", "FILL_WITH_MISSINGS"] = Field(
        "FAIL",
        title="If a column is missing in the table",
        description="FAIL: an absent reference column fails the validation; otherwise it is inserted with "
        "missing cells (KNIME inserts it in both cases).",
    )


class ColumnValidation(_ValidationOptions):
    """One entry of KNIME's individual_settings."""

    column_names: list[str] = Field(default_factory=list, description="The reference columns it checks.")


class _Behaviour(NodeSettings):
    unkown_columns_handling: Literal["REJECT", "REMOVE", "IGNORE"] = Field(
        "REJECT",
        title="If there is an additional column in the table",
        description="REJECT: fail the validation; REMOVE: drop it; IGNORE: move it behind the reference columns.",
    )
    rejecting_behavior: Literal["FAIL_NODE", "OUTPUT_TO_PORT_CHECK_DATA"] = Field(
        "FAIL_NODE",
        title="If validation fails",
        description="Fail the node, or deactivate port 1 and send the conflicts to port 2.",
    )
    validate_at: Literal["VALIDATE_BOTH", "VALIDATE_AT_EXEC_ONLY"] = Field(
        "VALIDATE_BOTH", description="Check the columns already at configure time, or only when executing."
    )


class ReferenceColumn(NodeSettings):
    """A column of the stored reference spec, with the domain KNIME saved."""

    name: str = Field(description="Column name.")
    type: str = Field(description="Column type (knitflow's name).")
    lower_bound: bool | int | float | str | None = Field(None, description="Domain minimum.")
    upper_bound: bool | int | float | str | None = Field(None, description="Domain maximum.")
    possible_values: list[bool | int | float | str] | None = Field(None, description="Domain values.")


class TableValidatorSettings(_Behaviour):
    """KNIME's DataValidatorConfiguration with its reference spec (`data_table_spec`)."""

    data_table_spec: list[ReferenceColumn] = Field(
        default_factory=list, description="The reference columns in their order."
    )
    individual_settings: list[ColumnValidation] = Field(
        default_factory=list, description="The checks, each for some reference columns."
    )


class TableValidatorReferenceSettings(_Behaviour, _ValidationOptions):
    """DataValidatorSpecNodeModel: one check for every column of the reference table."""


# ------------------------------------------------------------------------------------ validation


@dataclass
class _Conflict:
    column: str
    error_id: str
    description: str

    def __str__(self) -> str:
        return (
            f"Column: '{self.column}' causes validation issue: '{self.error_id}'. Detailed information:\n"
            f"\t{self.description}"
        )


@dataclass
class _Column:
    """One output column: an input column (checked or passed on) or a reference column filled with
    missing cells."""

    name: str
    type: str
    source: str | None = None  # the input column
    reference: ReferenceColumn | None = None
    options: _ValidationOptions | None = None
    convert: bool = False
    min_max: bool = False
    values: bool = False


@dataclass
class _Plan:
    columns: list[_Column] = field(default_factory=list)
    conflicts: list[_Conflict] = field(default_factory=list)

    @property
    def spec(self) -> TableSpec:
        return TableSpec.of([(c.name, c.type) for c in self.columns])


_CONVERTIBLE = (ColumnType.BOOLEAN, ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE, ColumnType.STRING)


def _matches(
    spec: TableSpec, checks: list[ColumnValidation], plan: _Plan
) -> dict[str, tuple[str, ColumnValidation]]:
    """DataValidatorConfiguration.applyConfiguration: input column -> (reference column, check)."""
    direct: dict[str, ColumnValidation] = {}
    loose: list[str] = []
    for check in checks:
        for name in check.column_names:
            if name not in direct:
                direct[name] = check
                if check.case_insensitive_name_matching:
                    loose.append(name)
    found = {name: (name, direct[name]) for name in spec.names if name in direct}
    satisfied = set(found)
    for name in spec.names:
        if name in found:
            continue
        ref = next((r for r in loose if r not in satisfied and r.upper() == name.upper()), None)
        if ref is not None:
            found[name] = (ref, direct[ref])
            satisfied.add(ref)
    for ref, check in direct.items():
        if ref not in satisfied and check.colum_missing_handling == "FAIL":
            plan.conflicts.append(_Conflict(ref, "COLUMN_NOT_CONTAINED", f"Column '{ref}' is missing."))
    return found


def _checked_column(
    source: str, actual: str, ref: ReferenceColumn, o: _ValidationOptions, plan: _Plan
) -> _Column:
    """DataValidatorColConfiguration.applyColConfiguration and createCellValidator."""
    compatible = is_super_type(ref.type, actual)
    if o.datatype_handling == "FAIL" and not compatible:
        plan.conflicts.append(
            _Conflict(
                source,
                "INVALID_DATATYPE",
                f"DataType of column '{source}' should be of type '{ref.type}' but was '{actual}'.",
            )
        )
    domain = o.domain_handling_min_max != "NONE" or o.domain_handling_possible_values != "NONE"
    blocked = not compatible and o.datatype_handling == "FAIL" and domain
    col = _Column(ref.name, actual, source, ref, o)
    col.convert = not blocked and o.datatype_handling == "CONVERT_FAIL" and ref.type != actual
    has_bounds = ref.lower_bound is not None or ref.upper_bound is not None
    col.min_max = not blocked and o.domain_handling_min_max != "NONE" and has_bounds
    col.values = (
        not blocked and o.domain_handling_possible_values != "NONE" and ref.possible_values is not None
    )
    if col.convert and ref.type not in _CONVERTIBLE:
        raise NodeError(
            f"Type cannot be converted, {ref.type} only [Boolean, Double, Int, Long, String] are supported types.",
            setting="datatype_handling",
        )
    if col.convert or col.min_max or col.values:
        col.type = ref.type
    return col


def _plan(
    spec: TableSpec, reference: list[ReferenceColumn], checks: list[ColumnValidation], b: _Behaviour
) -> _Plan:
    """DataValidatorNodeModel.createRearranger: the output columns and the structural conflicts."""
    plan = _Plan()
    by_name = {r.name: (i, r) for i, r in reversed(list(enumerate(reference)))}
    found = _matches(spec, checks, plan)
    for ref_name, _check in found.values():
        if ref_name not in by_name:
            raise NodeError(
                f"column {ref_name!r} is not in the reference spec", setting="individual_settings"
            )
    ordered = sorted(found.items(), key=lambda item: by_name[item[1][0]][0])
    plan.columns = [
        _checked_column(source, spec.type_of(source), by_name[ref][1], check, plan)
        for source, (ref, check) in ordered
    ]
    others = [c for c in spec.columns if c.name not in found]
    if b.unkown_columns_handling == "REJECT":
        plan.conflicts += [
            _Conflict(c.name, "UNKNOWN_COLUMN", f"Columns '{c.name}' was not defined in input spec.")
            for c in others
        ]
    if b.unkown_columns_handling != "REMOVE":
        plan.columns += [_Column(c.name, c.type, c.name) for c in others]
    configured = {n for check in checks for n in check.column_names}
    for i, ref in enumerate(reference):
        if ref.name in configured and all(c.name != ref.name for c in plan.columns):
            plan.columns.insert(i, _Column(ref.name, ref.type, reference=ref))
    return plan


_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?)")
_JAVA_INTEGER = re.compile(r"[+-]?\d+")


def _converted(text: str, target: str) -> Any:
    """ConversionType.convertCell: Boolean.valueOf, Integer/Long.valueOf, Double.valueOf (a comma
    read as the decimal point), or the text; ValueError where Java throws."""
    if target == ColumnType.BOOLEAN:
        return text.lower() == "true"
    if target == ColumnType.DOUBLE:
        number = text.replace(",", ".").strip("".join(chr(c) for c in range(33)))
        if not _JAVA_DOUBLE.fullmatch(number):
            raise ValueError(text)
        return float(number.rstrip("fFdD").replace("Infinity", "inf"))
    if target in (ColumnType.INTEGER, ColumnType.LONG):
        bits = 31 if target == ColumnType.INTEGER else 63
        if not _JAVA_INTEGER.fullmatch(text) or not -(2**bits) <= int(text) < 2**bits:
            raise ValueError(text)
        return int(text)
    return text


def _order(a: Any, b: Any) -> int:
    if isinstance(a, int | float) and isinstance(b, int | float):
        a, b = float(a), float(b)
    elif type(a) is not type(b):
        a, b = str(a), str(b)
    return (a > b) - (a < b)


class _CellChecker:
    """DataValidatorCellDecorator's chain for one column: missing check, conversion, min/max,
    possible values; conflicts are collected as the rows are read."""

    def __init__(self, col: _Column, conflicts: list[_Conflict]) -> None:
        self.col = col
        self.conflicts = conflicts
        ref = col.reference
        self.allowed = {_plain(v) for v in (ref.possible_values or [])} if ref else set()

    def _conflict(self, error_id: str, description: str) -> None:
        self.conflicts.append(_Conflict(self.col.source or "", error_id, description))

    def cell(self, row_id: str, value: Any, actual: str) -> Any:
        col, ref, o = self.col, self.col.reference, self.col.options
        assert ref is not None and o is not None and col.source is not None
        if is_missing(value):
            if o.reject_on_missing_value:
                self._conflict(
                    "CONTAINS_MISSING_VALUE",
                    f"Column '{col.source}' contains missing value in row '{row_id}'",
                )
            return None
        if col.convert:
            try:
                value = _converted(cell_text(value, actual), ref.type)
            except ValueError:
                self._conflict(
                    "CONVERSION_FAILED",
                    f"Conversion of cell in column '{col.source}' in row '{row_id}' to type '{ref.type}' failed.",
                )
                return None
        value = _plain(value)
        if col.min_max:
            low, high = ref.lower_bound, ref.upper_bound
            if low is not None and _order(low, value) > 0:
                return self._outside(row_id, o.domain_handling_min_max, "less than the defined minimal value")
            if high is not None and _order(high, value) < 0:
                return self._outside(
                    row_id, o.domain_handling_min_max, "greater than the defined maximal value"
                )
        if col.values and value not in self.allowed:
            return self._outside(
                row_id, o.domain_handling_possible_values, "is not contained in the possible values set"
            )
        return value

    def _outside(self, row_id: str, handling: str, why: str) -> None:
        if handling == "FAIL":
            self._conflict(
                "OUT_OF_DOMAIN", f"Cell in column '{self.col.source}' and row '{row_id}' is {why}."
            )
        return None


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _validated(table: Table, plan: _Plan) -> Table:
    """The output table; the checks add their conflicts to the plan row by row, as KNIME streams."""
    checked = [
        (col, _CellChecker(col, plan.conflicts), table.df[col.source].to_numpy(dtype=object))
        for col in plan.columns
        if col.source is not None and col.options is not None
        if col.convert or col.min_max or col.values or col.options.reject_on_missing_value
    ]
    cells: dict[str, list[Any]] = {col.name: [] for col, _, _ in checked}
    for i, row_id in enumerate(table.row_ids):
        for col, checker, values in checked:
            cells[col.name].append(checker.cell(row_id, values[i], table.spec.type_of(col.source or "")))
    df = pd.DataFrame(index=table.df.index)
    for col in plan.columns:
        if col.name in cells or col.source is None:
            df[col.name] = typed_column(cells.get(col.name, [None] * len(table)), col.type).set_axis(df.index)
        else:
            df[col.name] = table.df[col.source]
    return Table(df, {c.name: c.type for c in plan.columns})


def _conflicts_table(conflicts: list[_Conflict]) -> Table:
    df = pd.DataFrame(
        [[c.column, c.error_id, c.description] for c in conflicts],
        columns=CONFLICTS_SPEC.names,
        index=row_ids(len(conflicts)),
        dtype=object,
    )
    return Table(df, dict.fromkeys(CONFLICTS_SPEC.names, ColumnType.STRING))


def _failure(conflicts: list[_Conflict]) -> str:
    return "Validation failed:\n" + "\n".join(map(str, conflicts))


class _Validator(Node):
    """The two validators share DataValidatorNodeModel's configure and execute."""

    category = Category.MANIPULATOR
    outputs = (
        Port(
            TABLE, "Validated table", "The input in the reference layout; inactive when the validation fails."
        ),
        Port(TABLE, "Conflicts", "Column, Error ID, Description of each conflict; inactive when none."),
    )

    def _reference(
        self, ports: list[Any], settings: Any
    ) -> tuple[list[ReferenceColumn], list[ColumnValidation]]:
        """The reference columns and the checks, from the settings or an input (a spec when
        configuring, the table when executing)."""
        raise NotImplementedError

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        if not all(isinstance(s, TableSpec) for s in in_specs):
            return [UNKNOWN, CONFLICTS_SPEC]
        reference, checks = self._reference(in_specs, settings)
        plan = _plan(in_specs[0], reference, checks, settings)
        if plan.conflicts and settings.validate_at == "VALIDATE_BOTH":
            if settings.rejecting_behavior == "FAIL_NODE":
                raise ConfigureError(_failure(plan.conflicts))
            return [UNKNOWN, CONFLICTS_SPEC]
        return [plan.spec, CONFLICTS_SPEC]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        reference, checks = self._reference(inputs, settings)
        plan = _plan(table.spec, reference, checks, settings)
        if plan.conflicts and settings.rejecting_behavior == "FAIL_NODE":
            raise NodeError(_failure(plan.conflicts))  # the structure differs: no data scan
        out = _validated(table, plan)
        if not plan.conflicts:
            return [out, INACTIVE]
        if settings.rejecting_behavior == "FAIL_NODE":
            raise NodeError(_failure(plan.conflicts))
        return [INACTIVE, _conflicts_table(plan.conflicts)]


# ------------------------------------------------------------------------------------- KNIME import

_CELL_TYPES = {"Smiles": ColumnType.SMILES, "BitVector": ColumnType.BIT_VECTOR}


def _saved_type(config: Any) -> str:
    """A saved DataType (`cell_class`, a collection's `collection_element_type`)."""
    kind = column_type(get(config, "cell_class")) or ColumnType.UNKNOWN
    kind = _CELL_TYPES.get(kind, kind)
    element = get(config, "collection_element_type")
    if kind in (ColumnType.LIST, ColumnType.SET) and isinstance(element, dict) and element.get("cell_class"):
        return f"{kind} of {_saved_type(element)}"
    return kind


_UNREADABLE = object()


def _saved_cell(config: Any) -> Any:
    """A saved DataCell (`datacell` names its class; a config of that name holds its value)."""
    if not isinstance(config, dict):
        return None
    inner = config.get(str(config.get("datacell")))
    values = [v for v in inner.values() if not isinstance(v, dict)] if isinstance(inner, dict) else []
    if len(values) != 1 or not isinstance(values[0], bool | int | float | str):
        return _UNREADABLE
    return values[0]


def _saved_reference(knime: KnimeSettings) -> list[dict[str, Any]]:
    """DataTableSpec.save: `column_spec_<i>` with name, type and domain."""
    spec = knime.tree.get("data_table_spec") or {}
    columns = []
    for i in range(int(spec.get("number_columns") or 0)):
        saved = spec.get(f"column_spec_{i}") or {}
        name = str(saved.get("column_name"))
        domain = saved.get("column_domain") or {}
        col: dict[str, Any] = {"name": name, "type": _saved_type(saved.get("column_type"))}
        for key in ("lower_bound", "upper_bound"):
            if key in domain:
                col[key] = _saved_cell(domain[key])
        if "possible_values" in domain:
            col["possible_values"] = [_saved_cell(c) for c in seq(domain["possible_values"])]
        if any(
            v is _UNREADABLE
            for v in [col.get("lower_bound"), col.get("upper_bound"), *col.get("possible_values", [])]
        ):
            knime.lost(
                f"the domain of reference column {name!r} holds cells knitflow cannot read; it is not checked"
            )
            col = {"name": name, "type": col["type"]}
        columns.append(col)
    return columns


_OPTION_KEYS = {
    "case_insensitive_name_matching": (False, True),
    "reject_on_missing_value": (False, True),
    "datatype_handling": ("NONE", "FAIL", "CONVERT_FAIL"),
    "domain_handling_possible_values": ("NONE", "FAIL", "MISSING_VALUE"),
    "domain_handling_min_max": ("NONE", "FAIL", "MISSING_VALUE"),
    "colum_missing_handling": ("NONE", "FAIL", "FILL_WITH_MISSINGS"),
}
_BEHAVIOUR_KEYS = {
    "unkown_columns_handling": ("REJECT", "REMOVE", "IGNORE"),
    "rejecting_behavior": ("FAIL_NODE", "OUTPUT_TO_PORT_CHECK_DATA"),
    "validate_at": ("VALIDATE_BOTH", "VALIDATE_AT_EXEC_ONLY"),
}


def _options(
    knime: KnimeSettings, tree: dict[str, Any], where: str, keys: dict[str, tuple[Any, ...]]
) -> dict[str, Any]:
    """The known keys of `tree`; an unknown enum value makes the node a placeholder, as KNIME's
    getEnum would fail (or fall back) where knitflow cannot tell which."""
    out = {}
    for key, allowed in keys.items():
        if key not in tree:
            continue
        if tree[key] not in allowed:
            knime.unreadable(f"{where}{key} = {tree[key]!r} is not known")
            continue
        out[key] = tree[key]
    return out


def _table_validator_from_knime(knime: KnimeSettings) -> None:
    checks = []
    for i, saved in enumerate(seq(knime.tree.get("individual_settings"))):
        check = _options(knime, saved, f"individual_settings.{i}.", _OPTION_KEYS)
        check["column_names"] = [str(n) for n in seq(saved.get("column_names"))]
        checks.append(check)
    knime.put("individual_settings", checks, "individual_settings")
    knime.put("data_table_spec", _saved_reference(knime), "data_table_spec")
    for key, value in _options(knime, knime.tree, "", _BEHAVIOUR_KEYS).items():
        knime.put(key, value, key)
    knime.unread()


def _reference_validator_from_knime(knime: KnimeSettings) -> None:
    """Also the web UI's DataValidatorSpecNodeParameters, which keeps the keys."""
    saved = get(knime.tree, "individual_settings.0") or {}
    for key, value in _options(knime, saved, "individual_settings.0.", _OPTION_KEYS).items():
        knime.put(key, value, f"individual_settings.0.{key}")
    for key, value in _options(knime, knime.tree, "", _BEHAVIOUR_KEYS).items():
        knime.put(key, value, key)
    if any(
        saved.get(k, "NONE") != "NONE" for k in ("domain_handling_possible_values", "domain_handling_min_max")
    ):
        knime.lost(
            "domain checks use the reference table's domain as knitflow computes it from its rows (numeric min/max, "
            f"up to {_MAX_POSSIBLE_VALUES} String values); KNIME uses the domain the table carries, which e.g. a Row "
            "Filter leaves as wide as its input's"
        )
    # the reference table's column names replace the saved ones on every configure
    knime.unread("column_names", under="individual_settings.0")
    knime.unread("individual_settings")


class TableValidator(_Validator):
    """KNIME's Table Validator."""

    type_name = "table_validator"
    display_name = "Table Validator"
    description = (
        "Checks a table against a stored reference spec: columns present (matched by name, optionally ignoring "
        "case), of a compatible type or converted to it, without missing cells, inside the saved domain "
        "(min/max, possible values); reorders the columns as the reference and inserts absent ones as missing "
        "cells. A conflict fails the node, or deactivates port 1 and lists the conflicts at port 2."
    )
    keywords = ("validate", "check", "schema", "spec", "columns", "types", "domain", "data quality")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.datavalidator.DataValidatorNodeFactory",
            "Table Validator",
            _table_validator_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table to validate"),)
    Settings = TableValidatorSettings

    def _reference(
        self, ports: list[Any], settings: TableValidatorSettings
    ) -> tuple[list[ReferenceColumn], list[ColumnValidation]]:
        return settings.data_table_spec, settings.individual_settings


def _computed_domain(table: Table | None, spec: TableSpec) -> list[ReferenceColumn]:
    """A reference column per column of the reference table, with the domain its rows give. While
    configuring (no rows yet) numeric columns are taken to have bounds and String columns values,
    which decides the output column types only."""
    out = []
    for col in spec.columns:
        ref = ReferenceColumn(name=col.name, type=col.type)
        if table is None:
            ref.lower_bound = -math.inf if col.type in ColumnType.NUMERIC else None
            ref.possible_values = [] if col.type == ColumnType.STRING else None
        else:
            cells = [_plain(v) for v in table.df[col.name].to_numpy(dtype=object) if not is_missing(v)]
            if col.type in ColumnType.NUMERIC and cells:
                ref.lower_bound, ref.upper_bound = min(cells), max(cells)
            distinct = list(dict.fromkeys(cells))
            if col.type == ColumnType.STRING and len(distinct) <= _MAX_POSSIBLE_VALUES:
                ref.possible_values = distinct
        out.append(ref)
    return out


class TableValidatorReference(_Validator):
    """KNIME's Table Validator (Reference)."""

    type_name = "table_validator_reference"
    display_name = "Table Validator (Reference)"
    description = (
        "Checks a table against the columns of a reference table (port 2), every reference column with the same "
        "checks: present (optionally ignoring case), of a compatible type or converted, without missing cells, "
        "inside the reference domain (its rows' min/max and up to 60 String values). Columns come in the "
        "reference order; a conflict fails the node, or deactivates port 1 and lists the conflicts at port 2."
    )
    keywords = ("validate", "check", "schema", "reference", "columns", "types", "data quality")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.datavalidator.DataValidatorSpecNodeFactory",
            "Table Validator (Reference)",
            _reference_validator_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table to validate"), Port(TABLE, "Reference table", "Its columns and domain."))
    Settings = TableValidatorReferenceSettings

    def _reference(
        self, ports: list[Any], settings: TableValidatorReferenceSettings
    ) -> tuple[list[ReferenceColumn], list[ColumnValidation]]:
        reference = ports[1]
        spec = reference.spec if isinstance(reference, Table) else reference
        check = ColumnValidation(column_names=spec.names, **settings.model_dump(include=set(_OPTION_KEYS)))
        return _computed_domain(reference if isinstance(reference, Table) else None, spec), [check]
