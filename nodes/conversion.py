"""Type conversion nodes: String to Number, Number to String, Double to Integer, Round Double and Category To
Number, parsing, printing and rounding numbers as Java does (org.knime.base.node.preproc.colconvert, double2int2,
rounddouble); Column Auto Type Cast is nodes/auto_type_cast.py."""

from __future__ import annotations

import decimal
import math
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
    Model,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, get
from nodes._category_mapping import CATEGORY_MAPPING, CategoryMapping, ColumnMapping
from nodes._column_types import typed_column
from nodes._common import ColumnFilter
from nodes._java_text import INT32, INT64, java_double_to_string, parse_java_double, parse_java_int

_NUMERIC_OR_BOOL = ColumnType.NUMERIC | {ColumnType.BOOLEAN}


def _string_filter(knime: KnimeSettings, key: str, name: str) -> None:
    """KNIME's older column selections (`SettingsModelFilterString`: InclList, keep_all_columns_selected)
    or the newer filter configuration, as a ColumnFilter."""
    raw = knime.get(key)
    if isinstance(raw, dict) and "InclList" in raw:
        if raw.get("keep_all_columns_selected"):
            knime.put(name, {"enforce_option": "EnforceExclusion"}, key)
        else:
            included = list(raw.get("InclList") or [])
            knime.put(name, {"included_names": included, "enforce_option": "EnforceInclusion"}, key)
    elif raw is not None:
        knime.take(name, key)


def _selected(
    spec: TableSpec, flt: ColumnFilter, allowed: frozenset[str], what: str, ctx: NodeContext
) -> list[str]:
    """Included columns of the allowed types; listed columns of other types are ignored with a warning,
    listed columns that do not exist are an error (AbstractStringToNumberNodeModel.findColumnIndices)."""
    if flt.enforce_option == "EnforceInclusion":
        absent = [c for c in flt.included_names if c not in spec and c not in flt.excluded_names]
        if absent:
            raise ConfigureError(f'Column "{absent[0]}" not found.', setting="include")
    chosen = flt.apply(spec)
    wrong = [c for c in chosen if spec.type_of(c) not in allowed]
    if wrong:
        ctx.warn("".join(f'Ignoring column "{c}" (not {what})\n' for c in wrong).rstrip())
    return [c for c in chosen if spec.type_of(c) in allowed]


# -------------------------------------------------------------------------------- String to Number


class StringToNumberSettings(NodeSettings):
    include: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Columns", description="String columns to convert."
    )
    decimal_separator: str = Field(".", max_length=1, description="Decimal separator.")
    thousands_separator: str = Field(
        "", max_length=1, description="Thousands separator (removed before parsing)."
    )
    parse_type: Literal["Double", "Integer", "Long"] = Field(
        "Double", title="Type", description="Target type."
    )
    generic_parse: bool = Field(
        False,
        title="Accept type suffix",
        description="Accept Java's type suffixes such as 1.0d or 2f.",
    )


def _parse_number(text: str, s: StringToNumberSettings) -> float | int:
    corrected = text
    if s.thousands_separator:
        corrected = corrected.replace(s.thousands_separator, "")
    if s.decimal_separator != ".":
        if "." in corrected:
            raise ValueError("Invalid floating point number")
        if s.decimal_separator:
            corrected = corrected.replace(s.decimal_separator, ".")
    if not s.generic_parse and corrected[-1:].lower() in ("d", "f"):
        raise ValueError(f"{corrected} is invalid because of its suffix.")
    if s.parse_type == "Double":
        return parse_java_double(corrected)
    return parse_java_int(corrected, 32 if s.parse_type == "Integer" else 64)


def _string_to_number_from_knime(knime: KnimeSettings) -> None:
    _string_filter(knime, "include", "include")
    knime.take("decimal_separator")
    knime.take("thousands_separator")
    parse = get(knime.tree, "parse_type.cell_class")
    if parse is not None:
        knime.put("parse_type", column_type(parse), "parse_type")
    knime.take("generic_parse")


class StringToNumber(Node):
    type_name = "string_to_number"
    display_name = "String to Number"
    category = Category.MANIPULATOR
    description = (
        "Converts string columns to Double, Integer or Long (Java's parsing; thousands separator removed, custom "
        "decimal separator). Blank cells and values that do not parse become missing, the latter with a warning."
    )
    keywords = ("parse", "convert", "cast", "number", "numeric", "string to double", "to int")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.colconvert.stringtonumber2.StringToNumber2NodeFactory",
            "String to Number",
            _string_to_number_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.colconvert.stringtonumber.StringToNumberNodeFactory",
            "String to Number",
            _string_to_number_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Converted table"),)
    Settings = StringToNumberSettings

    def configure(self, in_specs: list[Any], settings: StringToNumberSettings, ctx: NodeContext) -> list[Any]:
        if settings.decimal_separator == settings.thousands_separator:
            raise ConfigureError(
                "Decimal and thousands separator must not be the same.", setting="decimal_separator"
            )
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        cols = _selected(spec, settings.include, frozenset({ColumnType.STRING}), "a string column", ctx)
        for c in cols:
            spec = spec.replace(c, settings.parse_type)
        return [spec]

    def execute(self, inputs: list[Any], settings: StringToNumberSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            cols = _selected(
                table.spec, settings.include, frozenset({ColumnType.STRING}), "a string column", ctx
            )
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        df = table.df.copy()
        errors, first = 0, ""
        for c in cols:
            out: list[Any] = []
            for rid, v in zip(table.row_ids, df[c].to_numpy(dtype=object), strict=True):
                if v is None or (isinstance(v, float) and math.isnan(v)) or not str(v).strip():
                    out.append(None)
                    continue
                try:
                    out.append(_parse_number(str(v), settings))
                except ValueError:
                    if not errors:
                        first = f"'{v}' (RowKey: {rid}, Position: {table.columns.index(c)})"
                    errors += 1
                    out.append(None)
            series = typed_column(out, settings.parse_type)
            series.index = df.index
            df[c] = series
        if errors == 1:
            ctx.warn(f"Could not parse cell with value {first}")
        elif errors:
            ctx.warn(f"Values in {errors} cells could not be parsed, first error: {first}")
        return [table.with_frame(df, {c: settings.parse_type for c in cols})]


# -------------------------------------------------------------------------------- Number to String


class NumberToStringSettings(NodeSettings):
    include: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Columns", description="Numeric columns to convert."
    )


def _number_text(v: Any, col_type: str) -> str:
    if col_type == ColumnType.DOUBLE:
        return java_double_to_string(float(v))
    if col_type == ColumnType.BOOLEAN:
        return "1" if bool(v) else "0"  # a BooleanCell is an IntValue
    return str(int(v))


class NumberToString(Node):
    type_name = "number_to_string"
    display_name = "Number to String"
    category = Category.MANIPULATOR
    description = (
        "Converts numeric columns to strings as Java prints them (integers as digits, doubles by Double.toString: "
        "1.0, 1.0E-5)."
    )
    keywords = ("convert", "cast", "to string", "text", "format number")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.colconvert.numbertostring2.NumberToString2NodeFactory",
            "Number to String",
            lambda k: _string_filter(k, "include", "include"),
        ),
        KnimeMapping(
            "org.knime.base.node.preproc.colconvert.numbertostring.NumberToStringNodeFactory",
            "Number to String",
            lambda k: _string_filter(k, "include", "include"),
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Converted table"),)
    Settings = NumberToStringSettings

    def configure(self, in_specs: list[Any], settings: NumberToStringSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        for c in _selected(spec, settings.include, frozenset(_NUMERIC_OR_BOOL), "a number column", ctx):
            spec = spec.replace(c, ColumnType.STRING)
        return [spec]

    def execute(self, inputs: list[Any], settings: NumberToStringSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            cols = _selected(
                table.spec, settings.include, frozenset(_NUMERIC_OR_BOOL), "a number column", ctx
            )
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        df = table.df.copy()
        for c in cols:
            t = table.types[c]
            missing = df[c].isna().to_numpy()
            df[c] = pd.Series(
                [
                    None if m else _number_text(v, t)
                    for v, m in zip(df[c].to_numpy(dtype=object), missing, strict=True)
                ],
                index=df.index,
                dtype=object,
            )
        return [table.with_frame(df, {c: ColumnType.STRING for c in cols})]


# ------------------------------------------------------------------------------- Double to Integer


class DoubleToIntegerSettings(NodeSettings):
    """KNIME's DoubleToIntNodeModel settings (double2int2)."""

    include: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="Double columns to convert (KNIME offers only Double columns: Integer and Long ones are left).",
    )
    typeofround: Literal["round", "floor", "ceil"] = Field(
        "round",
        title="Rounding type",
        description="round: Math.round (halves towards +infinity); floor: next smaller; ceil: next larger integer.",
    )
    long: bool = Field(
        False, title="Create long values", description="Long columns instead of Integer columns."
    )


def _double_to_int_from_knime(knime: KnimeSettings) -> None:
    _string_filter(knime, "include", "include")
    kind = knime.get("typeofround")
    if kind is not None and kind not in ("ceil", "floor"):
        knime.put("typeofround", "round", "typeofround")  # DoubleToIntNodeModel: anything else rounds
    else:
        knime.take("typeofround")
    knime.take("long")


def _java_integer(value: float, kind: str) -> int:
    """Math.round is floor(x + 1/2) on the exact value; floor and ceil as Math does."""
    if kind == "floor":
        return math.floor(value)
    if kind == "ceil":
        return math.ceil(value)
    return math.floor(decimal.Decimal(value) + decimal.Decimal("0.5"))


def _double_columns(spec: TableSpec, settings: DoubleToIntegerSettings, ctx: NodeContext) -> list[str]:
    chosen = settings.include.apply(spec, allowed_types=frozenset({ColumnType.DOUBLE}))
    if not chosen:
        ctx.warn("No columns selected")
    return chosen


class DoubleToInteger(Node):
    type_name = "double_to_integer"
    display_name = "Double to Integer"
    category = Category.MANIPULATOR
    description = (
        "Converts Double columns to Integer (or Long) columns in place, rounding as Java's Math.round, floor or "
        "ceil do. A value outside the target range becomes a missing cell with a warning; missing cells stay "
        "missing (knitflow keeps no NaN apart from missing, so KNIME's NaN-to-0 case does not arise)."
    )
    keywords = ("convert", "cast", "round", "integer", "int", "long", "floor", "ceil")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.double2int2.DoubleToIntNodeFactory",
            "Double to Integer",
            _double_to_int_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Converted table"),)
    Settings = DoubleToIntegerSettings

    def configure(
        self, in_specs: list[Any], settings: DoubleToIntegerSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        target = ColumnType.LONG if settings.long else ColumnType.INTEGER
        for c in _double_columns(spec, settings, ctx):
            spec = spec.replace(c, target)
        return [spec]

    def execute(self, inputs: list[Any], settings: DoubleToIntegerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        target = ColumnType.LONG if settings.long else ColumnType.INTEGER
        low, high = INT64 if settings.long else INT32
        df = table.df.copy()
        out_of_range = False
        columns = _double_columns(table.spec, settings, ctx)
        for c in columns:
            cells: list[Any] = []
            for v in df[c].to_numpy(dtype=float, na_value=np.nan):
                if math.isnan(v):
                    cells.append(None)
                elif v > float(high) or v < float(low):  # Java compares with the bound as a double
                    out_of_range = True
                    cells.append(None)
                else:  # Java's casts saturate at the range ends (only reachable for Long.MAX_VALUE as a double)
                    cells.append(min(max(_java_integer(float(v), settings.typeofround), low), high))
            series = typed_column(cells, target)
            series.index = df.index
            df[c] = series
        if out_of_range:
            ctx.warn(
                "The table contains double values that are outside the value range for longs."
                if settings.long
                else "The table contains double values that are outside the value range for integers. "
                "Consider enabling long values in the dialog."
            )
        return [table.with_frame(df, dict.fromkeys(columns, target))]


# ------------------------------------------------------------------------------------ Round Double

_ROUNDING = {
    "UP": decimal.ROUND_UP,
    "DOWN": decimal.ROUND_DOWN,
    "CEILING": decimal.ROUND_CEILING,
    "FLOOR": decimal.ROUND_FLOOR,
    "HALF_UP": decimal.ROUND_HALF_UP,
    "HALF_DOWN": decimal.ROUND_HALF_DOWN,
    "HALF_EVEN": decimal.ROUND_HALF_EVEN,
}
_OutputMode = Literal["AUTO", "Double", "Standard String", "Plain String (no exponent)", "Engineering String"]


class RoundDoubleSettings(NodeSettings):
    StringColNames: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Columns to round", description="Numeric columns to round."
    )
    NumberMode: Literal["Decimal places", "Significant figures", "INTEGER"] = Field(
        "Decimal places",
        title="Rounding mode",
        description="Round to decimal places, to significant figures, or to an integer (INTEGER).",
    )
    PrecisionNumer: int = Field(  # KNIME's key, misspelt as in settings.xml
        3, ge=-350, le=350, title="Rounding to digits", description="Decimal places or significant figures."
    )
    RoundingMode: Literal["HALF_UP", "HALF_DOWN", "HALF_EVEN", "UP", "DOWN", "CEILING", "FLOOR"] = Field(
        "HALF_UP",
        title="Rounding method",
        description="Java's RoundingMode: HALF_UP (.5 away from zero), HALF_DOWN, HALF_EVEN, UP (away from zero), "
        "DOWN (towards zero), CEILING, FLOOR.",
    )
    AppendColumns: bool = Field(
        True, title="Append columns", description="Append the rounded columns (else replace the inputs)."
    )
    ColumnSuffix: str = Field(
        " (Rounded)", title="Column suffix", description="Suffix of the appended columns."
    )
    OutputType: _OutputMode = Field(
        "AUTO",
        title="Output mode",
        description="AUTO (Integer/Long columns stay integral, INTEGER mode gives Integer, else Double), Double, or "
        "text: Standard String (1.23E+5 when an exponent is needed), Plain String, Engineering String.",
    )


def _round(value: float, s: RoundDoubleSettings) -> decimal.Decimal:
    """RoundDoubleCellFactory: BigDecimal.valueOf(value).stripTrailingZeros(), then setScale or round."""
    mode = _ROUNDING[s.RoundingMode]
    bd = decimal.Decimal(repr(float(value) + 0.0)).normalize()  # + 0.0: BigDecimal has no negative zero
    if s.NumberMode == "Significant figures":
        out = decimal.Context(prec=max(s.PrecisionNumer, 1), rounding=mode).plus(bd)
    else:
        places = 0 if s.NumberMode == "INTEGER" else s.PrecisionNumer
        out = bd.quantize(
            decimal.Decimal(1).scaleb(-places), rounding=mode, context=decimal.Context(prec=1000)
        )
    return out.copy_abs() if out.is_zero() else out


def _round_type(in_type: str, s: RoundDoubleSettings) -> str:
    if s.OutputType == "AUTO":
        if s.NumberMode == "INTEGER" or in_type == ColumnType.INTEGER:
            return ColumnType.INTEGER
        if in_type in (ColumnType.LONG, ColumnType.BOOLEAN):
            return in_type
        return ColumnType.DOUBLE
    return ColumnType.DOUBLE if s.OutputType == "Double" else ColumnType.STRING


def _round_cell(value: Any, out_type: str, s: RoundDoubleSettings) -> Any:
    f = float(value)
    if math.isnan(f) or math.isinf(f):
        return f if out_type == ColumnType.DOUBLE else java_double_to_string(f)
    bd = _round(f, s)
    if out_type == ColumnType.STRING:
        if s.OutputType == "Plain String (no exponent)":
            return format(bd, "f")
        if s.OutputType == "Engineering String":
            return bd.to_eng_string()
        return str(bd)
    if out_type in (ColumnType.INTEGER, ColumnType.LONG):
        lo, hi = INT32 if out_type == ColumnType.INTEGER else INT64
        n = int(bd.to_integral_value(rounding=decimal.ROUND_DOWN))
        return n if lo <= n <= hi else None  # overflow: missing, as in KNIME
    if out_type == ColumnType.BOOLEAN:
        return bool(value)
    return float(bd)


def _round_plan(spec: TableSpec, s: RoundDoubleSettings, ctx: NodeContext) -> list[tuple[str, str, str]]:
    cols = _selected(spec, s.StringColNames, frozenset(_NUMERIC_OR_BOOL), "a number column", ctx)
    plan, taken = [], set(spec.names)
    for c in cols:
        name = unique_column_name(taken, c + s.ColumnSuffix) if s.AppendColumns else c
        taken.add(name)
        plan.append((c, name, _round_type(spec.type_of(c), s)))
    return plan


def _round_double_from_knime(knime: KnimeSettings) -> None:
    _string_filter(knime, "StringColNames", "StringColNames")
    knime.take_all(["NumberMode", "PrecisionNumer", "AppendColumns", "ColumnSuffix"])
    mode = knime.get("RoundingMode")
    if mode == "UNNECESSARY":
        knime.lost("RoundingMode UNNECESSARY (fail when rounding is needed) is not supported")
    elif mode is not None:
        knime.take("RoundingMode")
    if knime.get("OutputType") is not None:
        knime.take("OutputType")
    elif knime.get("OutputAsString") is not None:  # before KNIME 2.8
        knime.put(
            "OutputType", "Standard String" if knime.get("OutputAsString") else "Double", "OutputAsString"
        )
    else:
        knime.put("OutputType", "Double")


class RoundDouble(Node):
    type_name = "round_double"
    display_name = "Round Double"
    category = Category.MANIPULATOR
    description = (
        "Rounds numeric columns to decimal places or significant figures with Java's rounding modes (on the "
        "shortest decimal form of each double, like BigDecimal.valueOf), as numbers or as text; appended columns "
        "get the suffix."
    )
    keywords = ("round", "number rounder", "decimals", "significant figures", "precision", "format")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.rounddouble.RoundDoubleNodeFactory",
            "Round Double",
            _round_double_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Rounded table"),)
    Settings = RoundDoubleSettings

    def configure(self, in_specs: list[Any], settings: RoundDoubleSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        for src, name, out_type in _round_plan(spec, settings, ctx):
            spec = spec.append((name, out_type)) if settings.AppendColumns else spec.replace(src, out_type)
        return [spec]

    def execute(self, inputs: list[Any], settings: RoundDoubleSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            plan = _round_plan(table.spec, settings, ctx)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        df = table.df.copy()
        types = {}
        for src, name, out_type in plan:
            values = df[src].to_numpy(dtype=object)
            missing = df[src].isna().to_numpy()
            cells = [
                None if m else _round_cell(v, out_type, settings)
                for v, m in zip(values, missing, strict=True)
            ]
            series = typed_column(cells, out_type)
            series.index = df.index
            df[name] = series
            types[name] = out_type
        return [table.with_frame(df, types)]


# ------------------------------------------------------------------------------- Category To Number


class CategoryToNumberSettings(NodeSettings):
    """KNIME's CategoryToNumberNodeSettings (categorytonumber2)."""

    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter, description="The String columns whose categories become numbers."
    )
    append_columns: bool = Field(False, description="Append the numbers as new columns instead of replacing.")
    column_suffix: str = Field(" (to number)", description="Suffix of appended columns' names.")
    start_index: int = Field(0, description="The number of the first category.")
    increment: int = Field(1, description="Step between the numbers of consecutive categories.")
    max_categories: int = Field(100, ge=1, description="More categories in a column than this is an error.")


def _category_to_number_from_knime(knime: KnimeSettings) -> None:
    knime.take("column_filter", "column-filter")
    knime.take_all(["append_columns", "column_suffix", "start_index", "increment", "max_categories"])
    for key, what in (
        ("map_missing_to", "missing cells stay missing"),
        ("default_value", "unknown ones stay missing"),
    ):
        cell = get(knime.tree, f"{key}.datacell")
        if cell not in (None, "org.knime.core.data.MissingCell"):
            knime.lost(f"{key} = {cell}: in knitflow's mapping {what}")
    knime.unread("map_missing_to", "default_value")


def _category_targets(
    spec: TableSpec, settings: CategoryToNumberSettings, cls: type[NodeError]
) -> list[tuple[str, str]]:
    """(input column, output column) for every selected String column."""
    columns = settings.column_filter.apply(
        spec, allowed_types=frozenset({ColumnType.STRING, ColumnType.SMILES})
    )
    if not columns:
        raise cls("No String columns selected", setting="column_filter")
    taken = set(spec.names)
    out = []
    for name in columns:
        target = name
        if settings.append_columns:
            target = unique_column_name(taken, name + settings.column_suffix)
            taken.add(target)
        out.append((name, target))
    return out


class CategoryToNumber(Node):
    type_name = "category_to_number"
    display_name = "Category To Number"
    category = Category.MANIPULATOR
    description = (
        "Maps each category of the selected String columns to an Integer: start_index for the first value met "
        "(top to bottom), then one increment more for each new value; missing cells stay missing. Replaces the "
        "columns or appends `<name> (to number)`. Port 2 holds the mapping (KNIME's PMML MapValues) for "
        "Category To Number (Apply) and Number To Category (Apply)."
    )
    keywords = ("category", "encode", "label encoding", "string to number", "ordinal", "factorize")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.colconvert.categorytonumber2.CategoryToNumberNodeFactory2",
            "Category To Number",
            _category_to_number_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(TABLE, "Table with numbers"),
        Port(CATEGORY_MAPPING, "Mapping", "Each column's categories and numbers (KNIME's PMML MapValues)."),
    )
    Settings = CategoryToNumberSettings

    def configure(
        self, in_specs: list[Any], settings: CategoryToNumberSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        out = spec
        for name, target in _category_targets(spec, settings, ConfigureError):
            out = (
                out.append((target, ColumnType.INTEGER))
                if target != name
                else out.replace(name, ColumnType.INTEGER)
            )
        return [out, UNKNOWN]

    def execute(self, inputs: list[Any], settings: CategoryToNumberSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        df = table.df.copy(deep=False)
        types: dict[str, str] = {}
        mappings: list[ColumnMapping] = []
        for name, target in _category_targets(table.spec, settings, NodeError):
            values = table.df[name]
            codes, uniques = pd.factorize(values, use_na_sentinel=True)  # first appearance order
            if len(uniques) > settings.max_categories:
                raise NodeError(
                    f"Maximum number of categories ({settings.max_categories}) reached for column '{name}'",
                    setting="max_categories",
                )
            numbers = pd.array(
                settings.start_index + codes.astype("int64") * settings.increment, dtype="Int64"
            )
            numbers[codes < 0] = pd.NA
            df[target] = numbers if (codes < 0).any() else numbers.astype("int64")
            types[target] = ColumnType.INTEGER
            pairs = tuple(
                (str(v), settings.start_index + i * settings.increment) for i, v in enumerate(uniques)
            )
            mappings.append(ColumnMapping(name, target, pairs))
        mapping = CategoryMapping(tuple(mappings))
        model = Model("category_mapping", mapping, mapping.summary())
        return [table.with_frame(df, types), model]
