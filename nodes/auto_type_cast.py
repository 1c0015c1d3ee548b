"""Column Auto Type Cast: the most specific type (Integer, Long, Double, else String) each string
column's values fit, parsing numbers as Java does (org.knime.base.node.preproc.colautotypecast)."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnType,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping
from nodes._column_types import typed_column
from nodes._common import ColumnFilter
from nodes._java_text import parse_java_double, parse_java_int

# ------------------------------------------------------------------------------ Column Auto Type Cast

_REASONS_SPEC = TableSpec.of(
    [
        ("Column name", ColumnType.STRING),
        ("Final column type", ColumnType.STRING),
        ("Row determining final column type", ColumnType.STRING),
    ]
)
_ORDER = {ColumnType.INTEGER: 0, ColumnType.LONG: 1, ColumnType.DOUBLE: 2}
_LEGACY_DATE = "legacy Date and Time"


class AutoTypeCastSettings(NodeSettings):
    column_filter: ColumnFilter = Field(
        default_factory=ColumnFilter, title="Columns", description="String columns to cast."
    )
    dateFormat: str = Field(
        "dd.MM.yy",
        title="Date format",
        description="Java date pattern recognising KNIME's legacy date cells.",
    )
    missingValuePattern: str = Field(
        "<none>",
        title="Missing value pattern",
        description="Text read as a missing cell: <none>, <empty> (the empty string) or the text itself.",
    )
    doAQuickScan: bool = Field(
        False, title="Quickscan", description="Guess the types from the first rows only."
    )
    numberOfRowsForQuickScan: int = Field(1000, ge=1, description="Rows read by the quickscan.")


def _date_regex(pattern: str) -> re.Pattern[str]:
    """A lenient SimpleDateFormat.parse(String) for the numeric date letters: a prefix of the text
    that has digits where the pattern has letters (KNIME only needs to know whether it parses)."""
    out = []
    for run in re.finditer(r"([A-Za-z])\1*|'[^']*'|[^A-Za-z']+", pattern):
        token = run.group(0)
        if token[0].isalpha():
            out.append(r"[+-]?\d+" if token[0] in "yYdDMHhkKmsSuwWF" else r"\w+")
        else:
            out.append(re.escape(token.strip("'")))
    return re.compile("".join(out))


def _cell_type(text: str, date: re.Pattern[str]) -> str:
    """ColumnAutoTypeCasterNodeModel.typeGuesser: date, then Integer, Long, Double, else String."""
    if date.match(text):
        return _LEGACY_DATE
    for col_type, bits in ((ColumnType.INTEGER, 32), (ColumnType.LONG, 64)):
        try:
            parse_java_int(text, bits)
            return col_type
        except ValueError:
            pass
    try:
        d = parse_java_double(text)
        return ColumnType.STRING if math.isinf(d) and re.fullmatch("[01]+", text) else ColumnType.DOUBLE
    except ValueError:
        return ColumnType.STRING


def _merge_types(current: str, new: str) -> str:
    if current == new:
        return current
    if current in _ORDER and new in _ORDER:
        return max(current, new, key=_ORDER.__getitem__)
    return ColumnType.STRING


def _scanned_type(
    table: Table,
    c: str,
    values: Any,
    missing: Any,
    n: int,
    pattern: str | None,
    date: Any,
    quick: bool,
) -> tuple[str | None, str]:
    """The most general type of a column's first n cells (None: all missing), and the RowID
    of the cell that decided it."""
    guess: str | None = None
    deciding = ""
    for k in range(n):
        if missing[k] or str(values[k]) == pattern:
            continue
        new = _cell_type(str(values[k]), date) if table.types[c] == ColumnType.STRING else table.types[c]
        merged = new if guess is None else _merge_types(guess, new)
        if merged != guess:
            deciding = table.row_ids[k] + (" based on a quickscan." if guess is None and quick else "")
        guess = merged
    return guess, deciding


def _cast_cells(values: Any, missing: Any, pattern: str | None, final: str, ids: list[str]) -> list[Any]:
    """The cells parsed as the new number type; a cell the quick scan did not see may fail."""
    cells: list[Any] = []
    for k, (v, m) in enumerate(zip(values, missing, strict=True)):
        if m or str(v) == pattern:
            cells.append(None)
            continue
        try:
            cells.append(
                parse_java_double(str(v))
                if final == ColumnType.DOUBLE
                else parse_java_int(str(v), 32 if final == ColumnType.INTEGER else 64)
            )
        except ValueError:
            raise NodeError(
                f"Can't convert '{v}' to {final}. In {ids[k]}. Disable quickscan and try again.",
                setting="doAQuickScan",
            ) from None
    return cells


class ColumnAutoTypeCast(Node):
    type_name = "column_auto_type_cast"
    display_name = "Column Auto Type Cast"
    category = Category.MANIPULATOR
    description = (
        "Casts string columns to the most specific type all their cells parse as (Integer, Long, Double, else "
        "String); the second table tells which row decided each column's type. KNIME's legacy Date and Time type "
        "does not exist in knitflow: a column whose cells match the date format fails the node (use String to "
        "Date&Time)."
    )
    keywords = ("cast", "guess types", "convert", "auto", "type detection", "parse")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.colautotypecast.ColumnAutoTypeCasterNodeFactory",
            "Column Auto Type Cast",
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(TABLE, "Type-casted table"),
        Port(TABLE, "Type information", "Per column: its final type and the row that decided it"),
    )
    Settings = AutoTypeCastSettings

    def configure(self, in_specs: list[Any], settings: AutoTypeCastSettings, ctx: NodeContext) -> list[Any]:
        return [UNKNOWN, _REASONS_SPEC]  # the types come from the cells

    def execute(self, inputs: list[Any], settings: AutoTypeCastSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        cols = settings.column_filter.apply(table.spec)
        pattern = {"<none>": None, "<empty>": ""}.get(
            settings.missingValuePattern, settings.missingValuePattern
        )
        date = _date_regex(settings.dateFormat)
        n = min(len(table), settings.numberOfRowsForQuickScan) if settings.doAQuickScan else len(table)
        reasons: list[list[str]] = []
        df = table.df.copy()
        types: dict[str, str] = {}
        if len(table) == 0:
            return [table, Table(pd.DataFrame({c.name: [] for c in _REASONS_SPEC.columns}, dtype=object), {})]
        for c in cols:
            values = df[c].to_numpy(dtype=object)
            missing = df[c].isna().to_numpy()
            guess, deciding = _scanned_type(
                table, c, values, missing, n, pattern, date, settings.doAQuickScan
            )
            final = guess or ColumnType.STRING
            if final == _LEGACY_DATE:
                raise NodeError(
                    f"column {c!r} would become KNIME's legacy Date and Time type, which knitflow does not have; "
                    "convert it with String to Date&Time",
                    setting="dateFormat",
                )
            reasons.append([c, final, deciding if guess else ""])
            if final != table.types[c] and final in _ORDER:
                series = typed_column(_cast_cells(values, missing, pattern, final, table.row_ids), final)
                series.index = df.index
                df[c] = series
                types[c] = final
        reason_frame = pd.DataFrame(
            {name: [r[i] for r in reasons] for i, name in enumerate(_REASONS_SPEC.names)}, dtype=object
        )
        reason_frame.index = pd.Index([f"Row{i}" for i in range(len(reasons))], dtype=object)
        return [
            table.with_frame(df, types),
            Table(reason_frame, {n: ColumnType.STRING for n in _REASONS_SPEC.names}),
        ]
