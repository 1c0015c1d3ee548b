"""Value Lookup (KNIME's dictionary lookup, org.knime.base.node.preproc.valuelookup) and Table
Difference Checker (the testing framework's table comparison, org.knime.testing)."""

from __future__ import annotations

import bisect
import fnmatch
import functools
import math
import re
from typing import Any, Literal

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
    Table,
    TableSpec,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._aggregation import cell_text, is_missing
from nodes._column_types import common_type, typed_column
from nodes._common import ColumnFilter, require_columns

MATCH_FOUND = "Match Found"


class ValueLookupSettings(NodeSettings):
    lookupCol: str = Field(
        "", title="Lookup column (data table)", description="Column whose cells are looked up."
    )
    dictKeyCol: str = Field(
        "",
        title="Key column (dictionary table)",
        description="Dictionary column holding the keys (a collection column: each element is a key).",
    )
    searchDirection: Literal["FORWARD", "BACKWARD"] = Field(
        "FORWARD",
        title="If multiple rows match",
        description="Use the first (FORWARD) or last (BACKWARD) match.",
    )
    matchBehaviour: Literal["EQUAL", "EQUALORSMALLER", "EQUALORLARGER"] = Field(
        "EQUAL",
        title="If no row matches",
        description="EQUAL: insert missing values; EQUALORSMALLER / EQUALORLARGER: use the next smaller / larger key.",
    )
    stringMatchBehaviour: Literal["FULLSTRING", "SUBSTRING", "WILDCARD", "REGEX"] = Field(
        "FULLSTRING",
        title="String matching",
        description="How string keys match: whole string, key contained in the value, key as wildcard (* ?) or "
        "regular expression matching the whole value.",
    )
    caseSensitive: bool = Field(
        True, title="Match strings case-sensitive", description="Case-sensitive strings."
    )
    dictValueCols: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Append columns (from dictionary table)",
        description="Dictionary columns appended to the data table.",
    )
    createFoundCol: bool = Field(
        False,
        title="Append a column indicating whether a match was found",
        description=f"Adds `{MATCH_FOUND}`.",
    )
    lookupColumnOutput: Literal["RETAIN", "REPLACE", "REMOVE"] = Field(
        "RETAIN",
        title="Lookup column",
        description="Keep the lookup column, replace its cells by a dictionary column, or remove it.",
    )
    lookupReplacementCol: str | None = Field(
        None,
        title="Replacement column",
        description="Dictionary column replacing the lookup column (REPLACE).",
    )
    columnNoMatchReplacement: Literal["RETAIN", "INSERT_MISSING"] = Field(
        "RETAIN",
        title="If no match",
        description="With REPLACE: keep the lookup cell (RETAIN) or insert a missing cell when nothing matches.",
    )
    enableHiliting: bool = Field(
        False, description="KNIME's hiliting; knitflow has none, so it changes nothing."
    )


def _values_cols(target: TableSpec, dictionary: TableSpec, s: ValueLookupSettings) -> list[str]:
    return [c for c in s.dictValueCols.apply(dictionary)]


def _lookup_spec(
    target: TableSpec, dictionary: TableSpec, s: ValueLookupSettings
) -> tuple[TableSpec, list[tuple[str, str]]]:
    if not s.lookupCol:
        raise ConfigureError("Select a lookup column from the data table", setting="lookupCol")
    if not s.dictKeyCol:
        raise ConfigureError("Select a key column from the dictionary table", setting="dictKeyCol")
    require_columns(target, [s.lookupCol], "lookupCol")
    require_columns(dictionary, [s.dictKeyCol], "dictKeyCol")
    if s.lookupColumnOutput == "REPLACE" and (
        not s.lookupReplacementCol or s.lookupReplacementCol not in dictionary
    ):
        raise ConfigureError(
            "Select a valid column to replace the lookup column.", setting="lookupReplacementCol"
        )
    appended = []
    for c in _values_cols(target, dictionary, s):
        removed_same = s.lookupColumnOutput == "REMOVE" and c == s.lookupCol
        appended.append((c, c if removed_same else unique_column_name(set(target.names), c)))
    columns: list[tuple[str, str]] = []
    for col in target.columns:
        if col.name == s.lookupCol and s.lookupColumnOutput == "REMOVE":
            continue
        if col.name == s.lookupCol and s.lookupColumnOutput == "REPLACE":
            rep = dictionary.type_of(s.lookupReplacementCol or "")
            t = common_type([rep, col.type]) if s.columnNoMatchReplacement == "RETAIN" else rep
            columns.append((col.name, t))
            continue
        columns.append((col.name, col.type))
    columns += [(new, dictionary.type_of(c)) for c, new in appended]
    if s.createFoundCol:
        columns.append((unique_column_name(set(target.names), MATCH_FOUND), ColumnType.BOOLEAN))
    return TableSpec.of(columns), appended


def _key(value: Any, col_type: str, s: ValueLookupSettings) -> Any:
    if col_type in ColumnType.NUMERIC or col_type == ColumnType.BOOLEAN:
        return float(value)
    text = cell_text(value, col_type)
    return text if s.caseSensitive or s.matchBehaviour != "EQUAL" else text.lower()


def _compare(a: Any, b: Any) -> int:
    return (a > b) - (a < b)


class _Dictionary:
    """Dictionary row positions per key, searched as KNIME's Exact/Pattern/BinarySearch dicts do."""

    def __init__(self, table: Table, s: ValueLookupSettings) -> None:
        self.s = s
        col_type = table.types[s.dictKeyCol]
        element = ColumnType.element_of(col_type) if ColumnType.collection_kind(col_type) else None
        self.entries: list[tuple[Any, int]] = []
        for pos, v in enumerate(table.df[s.dictKeyCol].to_numpy(dtype=object)):
            if is_missing(v):
                continue
            for item in v if element else [v]:
                if not is_missing(item):
                    self.entries.append((_key(item, element or col_type, s), pos))
        if s.searchDirection == "BACKWARD":
            self.entries.reverse()
        self.text_key = col_type not in ColumnType.NUMERIC and col_type != ColumnType.BOOLEAN
        self.exact: dict[Any, int] = {}
        for k, pos in self.entries:
            self.exact.setdefault(k, pos)
        self.patterns: list[tuple[re.Pattern[str], int]] = []
        if s.matchBehaviour == "EQUAL" and self.text_key and s.stringMatchBehaviour != "FULLSTRING":
            flags = 0 if s.caseSensitive else re.IGNORECASE
            for k, pos in self.entries:
                source = str(k)
                if s.stringMatchBehaviour == "SUBSTRING":
                    pattern = re.compile(".*" + re.escape(source) + ".*", flags | re.DOTALL)
                elif s.stringMatchBehaviour == "WILDCARD":
                    pattern = re.compile(fnmatch.translate(source), flags)
                else:
                    try:
                        pattern = re.compile(source, flags)
                    except re.error as exc:
                        raise NodeError(
                            f"invalid regular expression {source!r}: {exc}", setting="dictKeyCol"
                        ) from None
                self.patterns.append((pattern, pos))
        self.ordered = sorted(self.exact, key=functools.cmp_to_key(_compare))

    def find(self, value: Any) -> int | None:
        s = self.s
        if self.patterns:
            text = str(value)
            return next((pos for p, pos in self.patterns if p.fullmatch(text)), None)
        if value in self.exact:
            return self.exact[value]
        if s.matchBehaviour == "EQUAL" or not self.ordered:
            return None
        try:
            i = bisect.bisect_left(self.ordered, value)
        except TypeError:
            return None
        if s.matchBehaviour == "EQUALORSMALLER":
            return self.exact[self.ordered[i - 1]] if i > 0 else None
        return self.exact[self.ordered[i]] if i < len(self.ordered) else None


def _value_lookup_from_knime(knime: KnimeSettings) -> None:
    for key in ("lookupCol", "dictKeyCol", "lookupReplacementCol"):
        raw = knime.get(key)
        if isinstance(raw, dict):  # a column selection config in newer versions
            raw = raw.get("selected") or raw.get("regularChoice")
        if raw is not None:
            knime.put(key, raw, key)
    knime.take_all(
        ["searchDirection", "matchBehaviour", "stringMatchBehaviour", "caseSensitive", "createFoundCol"]
    )
    knime.take("dictValueCols")
    if knime.get("lookupColumnOutput") is not None:
        knime.take("lookupColumnOutput")
    elif knime.get("deleteLookupCol") is not None:  # before 5.1
        knime.put(
            "lookupColumnOutput", "REMOVE" if knime.get("deleteLookupCol") else "RETAIN", "deleteLookupCol"
        )
    no_match = knime.get("columnNoMatchReplacement")
    if no_match is not None:
        if no_match not in ("RETAIN", "INSERT_MISSING"):
            knime.lost(f"columnNoMatchReplacement {no_match!r} is not supported")
        else:
            knime.take("columnNoMatchReplacement")
    knime.take("enableHiliting")


class ValueLookup(Node):
    type_name = "value_lookup"
    display_name = "Value Lookup"
    category = Category.MANIPULATOR
    description = (
        "Looks up each cell of the lookup column in the dictionary table's key column and appends the matching "
        "row's value columns (missing cells when nothing matches): exact, next smaller/larger, substring, wildcard "
        "or regex matching; first or last match. RowIDs and rows of the data table are kept."
    )
    keywords = ("lookup", "dictionary", "vlookup", "map", "join", "replace values", "cell replacer")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.valuelookup.ValueLookupNodeFactory",
            "Value Lookup",
            _value_lookup_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Data table"), Port(TABLE, "Dictionary table"))
    outputs = (Port(TABLE, "Data table with looked-up values"),)
    Settings = ValueLookupSettings

    def configure(self, in_specs: list[Any], settings: ValueLookupSettings, ctx: NodeContext) -> list[Any]:
        target, dictionary = in_specs
        if not isinstance(target, TableSpec) or not isinstance(dictionary, TableSpec):
            return [UNKNOWN]
        return [_lookup_spec(target, dictionary, settings)[0]]

    def execute(self, inputs: list[Any], settings: ValueLookupSettings, ctx: NodeContext) -> list[Any]:
        table, dictionary = inputs
        s = settings
        try:
            out_spec, appended = _lookup_spec(table.spec, dictionary.spec, s)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        lookup = _Dictionary(dictionary, s)
        lookup_type = table.types[s.lookupCol]
        matches: list[int | None] = []
        for v in table.df[s.lookupCol].to_numpy(dtype=object):
            matches.append(None if is_missing(v) else lookup.find(_key(v, lookup_type, s)))
        types = {c.name: c.type for c in out_spec.columns}
        df = table.df.copy()
        if s.lookupColumnOutput == "REPLACE":
            rep = dictionary.df[s.lookupReplacementCol].to_numpy(dtype=object)
            old = df[s.lookupCol].to_numpy(dtype=object)
            cells = [
                (old[i] if s.columnNoMatchReplacement == "RETAIN" else None) if m is None else rep[m]
                for i, m in enumerate(matches)
            ]
            series = typed_column([None if is_missing(c) else c for c in cells], types[s.lookupCol])
            series.index = df.index
            df[s.lookupCol] = series
        elif s.lookupColumnOutput == "REMOVE":
            df = df.drop(columns=[s.lookupCol])
        for src, new in appended:
            values = dictionary.df[src].to_numpy(dtype=object)
            series = typed_column(
                [None if m is None or is_missing(values[m]) else values[m] for m in matches], types[new]
            )
            series.index = df.index
            df[new] = series
        if s.createFoundCol:
            found = out_spec.names[-1]
            df[found] = pd.Series([m is not None for m in matches], index=df.index, dtype="bool")
        return [Table(df[out_spec.names], types)]


# ------------------------------------------------------------------------ Table Difference Checker


class ColumnCheck(NodeSettings):
    column: str = Field(description="Column of the reference table.")
    checker: Literal["equal", "epsilon", "ignore"] = Field(
        "equal", description="equal: identical cells; epsilon: numbers within a relative tolerance; ignore."
    )
    epsilon: float = Field(0.0, ge=0, description="Relative tolerance of the epsilon checker.")


class TableDifferenceSettings(NodeSettings):
    columns: list[ColumnCheck] = Field(
        default_factory=list,
        title="Column checks",
        description="How each column is compared (columns not listed: cells must be equal).",
    )


def _cells_equal(a: Any, b: Any, col_type: str, check: ColumnCheck) -> bool:
    ma, mb = is_missing(a), is_missing(b)
    if ma or mb:
        return ma and mb
    if check.checker == "epsilon" and col_type in ColumnType.NUMERIC:
        x, y = float(a), float(b)
        if x == y:
            return True
        return abs(x - y) <= check.epsilon * max(abs(x), abs(y))
    if col_type == ColumnType.DOUBLE:
        x, y = float(a), float(b)
        return x == y or (math.isnan(x) and math.isnan(y))
    return cell_text(a, col_type) == cell_text(b, col_type)


def _difference_from_knime(knime: KnimeSettings) -> None:
    checks: list[dict[str, Any]] = []
    for key, cfg in knime.tree.items():
        if not key.startswith("columnConfig_") or not isinstance(cfg, dict):
            continue
        column = key[len("columnConfig_") :]
        factory = str(cfg.get("checkerFactory") or "")
        simple = factory.rsplit(".", 1)[-1]
        if "Equality" in simple:
            checks.append({"column": column, "checker": "equal"})
        elif "Ignore" in simple:
            checks.append({"column": column, "checker": "ignore"})
        elif "Epsilon" in simple:
            internals = cfg.get("internals") or {}
            eps = next(
                (v for k, v in internals.items() if "epsilon" in k.lower() and isinstance(v, int | float)),
                None,
            )
            if eps is None:
                knime.lost(f"column {column!r}: epsilon checker without a readable epsilon ({internals})")
                continue
            checks.append({"column": column, "checker": "epsilon", "epsilon": float(eps)})
        else:
            knime.lost(
                f"column {column!r}: difference checker {factory} is not supported (cells compared exactly)"
            )
    knime.put("columns", checks)


class TableDifferenceChecker(Node):
    type_name = "table_difference_checker"
    display_name = "Table Difference Checker"
    category = Category.SINK
    description = (
        "Compares a table with a reference table (KNIME's testing node): same columns and types, same RowIDs and "
        "equal cells (per column: exactly, within a relative epsilon, or ignored). Fails on the first difference."
    )
    keywords = ("test", "compare", "difference", "assert", "regression test", "reference")
    knime = (
        KnimeMapping(
            "org.knime.testing.internal.nodes.differ.DifferenceCheckerNodeFactory",
            "Table Difference Checker",
            _difference_from_knime,
        ),
        KnimeMapping(
            "org.knime.testing.node.differNode.DifferNodeFactory",
            "Table Difference Checker",
            _difference_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Test table"), Port(TABLE, "Reference table"))
    outputs = ()
    Settings = TableDifferenceSettings

    def configure(
        self, in_specs: list[Any], settings: TableDifferenceSettings, ctx: NodeContext
    ) -> list[Any]:
        test, ref = in_specs
        if isinstance(test, TableSpec) and isinstance(ref, TableSpec):
            self._check_specs(test, ref, ConfigureError)
        return []

    @staticmethod
    def _check_specs(test: TableSpec, ref: TableSpec, error: type[NodeError]) -> None:
        if test.names != ref.names:
            raise error(f"Wrong column names: expected {ref.names}, got {test.names}")
        for t, r in zip(test.columns, ref.columns, strict=True):
            if t.type != r.type:
                raise error(f"Wrong data type for column '{t.name}': expected '{r.type}', got '{t.type}'")

    def execute(self, inputs: list[Any], settings: TableDifferenceSettings, ctx: NodeContext) -> list[Any]:
        test, ref = inputs
        self._check_specs(test.spec, ref.spec, NodeError)
        if len(test) != len(ref):
            raise NodeError(f"Wrong number of rows: expected {len(ref)}, got {len(test)}")
        for k, (a, b) in enumerate(zip(test.row_ids, ref.row_ids, strict=True)):
            if a != b:
                raise NodeError(f"Wrong row key in row {k}: expected '{b}', got '{a}'")
        by_column = {c.column: c for c in settings.columns}
        for col in ref.columns:
            check = by_column.get(col, ColumnCheck(column=col))
            if check.checker == "ignore":
                continue
            col_type = ref.types[col]
            for rid, a, b in zip(
                ref.row_ids,
                test.df[col].to_numpy(dtype=object),
                ref.df[col].to_numpy(dtype=object),
                strict=True,
            ):
                if not _cells_equal(a, b, col_type, check):
                    shown_a = "?" if is_missing(a) else cell_text(a, col_type)
                    shown_b = "?" if is_missing(b) else cell_text(b, col_type)
                    raise NodeError(
                        f"Wrong value in row '{rid}' and column '{col}': expected '{shown_b}', got '{shown_a}'"
                    )
        ctx.log("tables are equal")
        return []
