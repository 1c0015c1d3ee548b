"""String Replacer: KNIME's search and replace in one string column.

The pattern is literal, a wildcard (`*`, `?`; `\\` escapes them when escaping is on) or a Java
regular expression; either every occurrence is replaced, or the whole value when the pattern
matches all of it. Only a regular expression's replacement may refer to groups (`$1`); the
others are taken literally, as KNIME quotes them. Missing cells stay missing.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import numpy as np
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
    widget,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import wildcard_regex
from nodes._rows import is_missing
from nodes._string_functions import JavaError, java_regex, java_replacement

_TEXT_TYPES = (ColumnType.STRING, ColumnType.SMILES)


class StringReplacerSettings(NodeSettings):
    """KNIME's StringReplacerSettings."""

    colName: str | None = Field(
        None, description="The String column to search.", json_schema_extra=widget("column")
    )
    patternType: Literal["LITERAL", "WILDCARD", "REGEX"] = Field(
        "WILDCARD",
        description="How `pattern` is read: literally, as a wildcard (* and ?), or as a Java regex.",
    )
    enableEscaping: bool = Field(False, description="Wildcard: a backslash makes * and ? literal.")
    caseSensitive: bool = Field(True, description="Match upper and lower case exactly.")
    pattern: str = Field("", description="What to search for.")
    replacement: str = Field("", description="The replacement; in REGEX mode $1, ${name} refer to groups.")
    replaceAllOccurences: bool = Field(
        True,
        description="Replace every occurrence (true), or the whole value only when the pattern matches all of it.",
    )
    createNewCol: bool = Field(False, description="Append the result as a new column instead of replacing.")
    newColName: str = Field("ReplacedColumn", description="Name of the appended column.")


def _string_replacer_from_knime(knime: KnimeSettings) -> None:
    """5.x keys; before `patternType` KNIME stored `patternIsRegex` (else a wildcard) and
    `findPattern` (replace occurrences rather than whole values)."""
    tree = knime.tree
    knime.take_all(
        ["colName", "patternType", "enableEscaping", "caseSensitive", "pattern", "replacement"]
        + ["replaceAllOccurences", "createNewCol", "newColName"]
    )
    if "patternType" not in tree and "patternIsRegex" in tree:
        knime.put("patternType", "REGEX" if tree["patternIsRegex"] else "WILDCARD", "patternIsRegex")
    if "replaceAllOccurences" not in tree and "findPattern" in tree:
        knime.put("replaceAllOccurences", bool(tree["findPattern"]), "findPattern")
    fixed = tree.get("useNewFixedWildcardBehavior", False)
    wildcard = knime.settings.get("patternType", "WILDCARD") == "WILDCARD"
    if wildcard and knime.settings.get("replaceAllOccurences", True) and not fixed:
        knime.lost(
            "a wildcard replacing all occurrences as KNIME did before its fix (useNewFixedWildcardBehavior = "
            "false); knitflow replaces as the fixed node does"
        )
    knime.unread("useNewFixedWildcardBehavior", "doNotAllowPaddedColumnName")


def _regex(settings: StringReplacerSettings) -> re.Pattern[str]:
    if settings.patternType == "REGEX":
        compiled = java_regex(settings.pattern)
        source = compiled.pattern
    elif settings.patternType == "WILDCARD":
        source = wildcard_regex(settings.pattern, settings.enableEscaping)
    else:
        source = re.escape(settings.pattern)
    return re.compile(source, 0 if settings.caseSensitive else re.IGNORECASE)


def _replaced(value: str, regex: re.Pattern[str], settings: StringReplacerSettings) -> str:
    if not settings.replaceAllOccurences:
        if not regex.fullmatch(value):
            return value
        if settings.patternType != "REGEX":
            return settings.replacement
    if settings.patternType == "REGEX":
        return regex.sub(lambda m: java_replacement(m, settings.replacement), value)
    return regex.sub(lambda _m: settings.replacement, value)


class StringReplacer(Node):
    type_name = "string_replacer"
    display_name = "String Replacer"
    category = Category.MANIPULATOR
    description = (
        "Replaces text in a String column: a literal, wildcard (* ?) or Java regex pattern, every occurrence or "
        "whole values only, case sensitive or not; the result replaces the column or is appended as a new one."
    )
    keywords = ("replace", "search", "regex", "wildcard", "substitute", "text", "clean")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.stringreplacer.StringReplacerNodeFactory",
            "String Replacer",
            _string_replacer_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with replaced values"),)
    Settings = StringReplacerSettings

    def _check(self, spec: TableSpec, settings: StringReplacerSettings, cls: type[NodeError]) -> None:
        if not settings.colName:
            raise cls("No column selected", setting="colName")
        col = spec.get(settings.colName)
        if col is None:
            raise cls(f"Column '{settings.colName}' does not exist in input table", setting="colName")
        if col.type not in _TEXT_TYPES:
            raise cls(f"Column '{settings.colName}' does not contain strings", setting="colName")
        if settings.createNewCol and settings.newColName in spec:
            raise cls(f"Duplicate column name: {settings.newColName}", setting="newColName")
        try:
            _regex(settings)
        except (JavaError, re.error) as exc:
            raise cls(f"Invalid pattern {settings.pattern!r}: {exc}", setting="pattern") from None

    def configure(self, in_specs: list[Any], settings: StringReplacerSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        self._check(spec, settings, ConfigureError)
        if settings.createNewCol:
            return [spec.append((settings.newColName, ColumnType.STRING))]
        return [spec.replace(settings.colName or "", ColumnType.STRING)]

    def execute(self, inputs: list[Any], settings: StringReplacerSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self._check(table.spec, settings, NodeError)
        regex = _regex(settings)
        column = settings.colName or ""
        try:
            values = [
                None if is_missing(v) else _replaced(str(v), regex, settings)
                for v in table.df[column].to_numpy(dtype=object)
            ]
        except JavaError as exc:
            raise NodeError(f"replacement {settings.replacement!r}: {exc}", setting="replacement") from None
        target = settings.newColName if settings.createNewCol else column
        df = table.df.copy(deep=False)
        df[target] = np.array(values, dtype=object)
        return [table.with_frame(df, {target: ColumnType.STRING})]
