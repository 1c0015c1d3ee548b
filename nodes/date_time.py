"""String to Date&Time: parses text columns into KNIME's local date, time and date-time types
(org.knime.time.node.convert.stringtodatetime) with a java.time pattern (nodes._datetime)."""

from __future__ import annotations

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
from nodes._aggregation import is_missing
from nodes._common import ColumnFilter
from nodes._datetime import DateTimePattern

_TYPES = {
    "LOCAL_DATE": ColumnType.LOCAL_DATE,
    "LOCAL_TIME": ColumnType.LOCAL_TIME,
    "LOCAL_DATE_TIME": ColumnType.LOCAL_DATE_TIME,
}
OutputMode = Literal["Replace selected columns", "Append selected columns"]
REPLACE: OutputMode = "Replace selected columns"


class StringToDateTimeSettings(NodeSettings):
    col_select: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Column selection", description="String columns to convert."
    )
    replace_or_append: OutputMode = Field(
        REPLACE, title="Output", description="Replace the columns or append new ones with the suffix."
    )
    suffix: str = Field("(Date&Time)", title="Suffix", description="Suffix of the appended columns.")
    typeEnum: Literal["LOCAL_DATE", "LOCAL_TIME", "LOCAL_DATE_TIME"] = Field(
        "LOCAL_DATE_TIME", title="New type", description="Local Date, Local Time or Local Date Time."
    )
    date_format: str = Field(
        "yyyy-MM-dd'T'HH:mm[:ss[.SSS]]",
        title="Date format",
        description="java.time pattern: yyyy, MM/MMM/MMMM, dd, HH, hh with a, mm, ss, SSS, 'literal', "
        "[optional parts].",
    )
    locale: str = Field(
        "en-US", title="Locale", description="Language of month and day names (English only)."
    )
    cancel_on_fail: bool = Field(
        True,
        title="Fail on error",
        description="Fail on a text that does not parse (else the cell is missing).",
    )


def _plan(
    spec: TableSpec, s: StringToDateTimeSettings
) -> tuple[DateTimePattern, list[tuple[str, str]], TableSpec]:
    if not s.date_format:
        raise ConfigureError("Format must not be empty.", setting="date_format")
    try:
        pattern = DateTimePattern(s.date_format)
    except ValueError as exc:
        raise ConfigureError(
            f'Invalid date format: "{s.date_format}". Reason: {exc}', setting="date_format"
        ) from None
    col_type = _TYPES[s.typeEnum]
    columns = [c for c in s.col_select.apply(spec) if spec.type_of(c) == ColumnType.STRING]
    out = spec
    plan = []
    taken = set(spec.names)
    for c in columns:
        if s.replace_or_append == REPLACE:
            plan.append((c, c))
            out = out.replace(c, col_type)
        else:
            name = unique_column_name(taken, c + s.suffix)
            taken.add(name)
            plan.append((c, name))
            out = out.append((name, col_type))
    return pattern, plan, out


def _string_to_date_time_from_knime(knime: KnimeSettings) -> None:
    knime.take_all(["col_select", "replace_or_append", "suffix", "date_format", "locale", "cancel_on_fail"])
    kind = knime.get("typeEnum")
    if kind not in (None, *_TYPES):
        knime.lost(f"type {kind} (zoned date&time) is not supported: knitflow has the local types only")
    elif kind is not None:
        knime.take("typeEnum")
    locale = str(knime.get("locale") or "en")
    if not locale.lower().startswith("en") and any(ch in str(knime.get("date_format")) for ch in "MLE"):
        knime.note(f"locale {locale}: month and day names are read in English")


class StringToDateTime(Node):
    type_name = "string_to_date_time"
    display_name = "String to Date&Time"
    category = Category.MANIPULATOR
    description = (
        "Parses string columns into Local Date, Local Time or Local Date Time cells with a java.time pattern "
        "(e.g. yyyy-MM-dd, dd.MM.yyyy HH:mm); a text that does not parse fails the node or becomes missing."
    )
    keywords = ("date", "time", "parse", "convert", "timestamp", "datetime", "to date")
    knime = (
        KnimeMapping(
            "org.knime.time.node.convert.stringtodatetime.StringToDateTimeNodeFactory",
            "String to Date&Time",
            _string_to_date_time_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Table with Date&Time columns"),)
    Settings = StringToDateTimeSettings

    def configure(
        self, in_specs: list[Any], settings: StringToDateTimeSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_plan(spec, settings)[2]]

    def execute(self, inputs: list[Any], settings: StringToDateTimeSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            pattern, plan, out_spec = _plan(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        col_type = _TYPES[settings.typeEnum]
        df = table.df.copy()
        failures, first = 0, ""
        for src, target in plan:
            cells: list[Any] = []
            for rid, v in zip(table.row_ids, table.df[src].to_numpy(dtype=object), strict=True):
                if is_missing(v):
                    cells.append(None)
                    continue
                try:
                    cells.append(pattern.parse(str(v), col_type))
                except ValueError as exc:
                    if settings.cancel_on_fail:
                        raise NodeError(
                            f"Failed to parse date in row '{rid}': {exc}", setting="date_format"
                        ) from None
                    failures += 1
                    first = first or f"row '{rid}': {exc}"
                    cells.append(None)
            df[target] = pd.Series(cells, index=df.index, dtype=object)
        if failures:
            ctx.warn(f"{failures} value(s) could not be parsed and are missing; first in {first}")
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]
