"""Missing Value: KNIME's per-type and per-column missing-cell handlers.

Column settings win over type settings; columns covered by neither are left alone. Handlers are
named after KNIME's handler factories without the `MissingCellHandlerFactory` suffix (the KNIME
importer produces those names); common aliases are accepted. KNIME's second port is a PMML
document of the treatment; knitflow outputs a Model (`model.missing_value`) holding the
per-column treatment with the computed replacement values, as a table in its payload.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal, NotRequired, get_args

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, field_validator, with_config
from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ColumnSpec,
    ColumnType,
    ConfigureError,
    Model,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, column_type, seq

MISSING_VALUE_MODEL = PortType.register(
    PortType("model.missing_value", "Missing value treatment (PMML)", "#2e7dd1", "square")
)

Handler = Literal[
    "DoNothing",
    "RemoveRow",
    "FixedValue",
    "Mean",
    "Median",
    "RoundedMean",
    "MostFrequentValue",
    "Min",
    "Max",
    "Previous",
    "Next",
    "LinearInterpolation",
    "AverageInterpolation",
]

_ALIASES: dict[str, str] = {
    "donothing": "DoNothing",
    "none": "DoNothing",
    "removerow": "RemoveRow",
    "remove": "RemoveRow",
    "fixedvalue": "FixedValue",
    "fixvalue": "FixedValue",
    "fixed": "FixedValue",
    "fixeddoublevalue": "FixedValue",
    "fixedintegervalue": "FixedValue",
    "fixedlongvalue": "FixedValue",
    "fixedstringvalue": "FixedValue",
    "fixedbooleanvalue": "FixedValue",
    "mean": "Mean",
    "doublemean": "Mean",
    "median": "Median",
    "doublemedian": "Median",
    "roundedmean": "RoundedMean",
    "doubleroundedmean": "RoundedMean",
    "integerroundedmean": "RoundedMean",
    "mostfrequentvalue": "MostFrequentValue",
    "mostfrequent": "MostFrequentValue",
    "mode": "MostFrequentValue",
    "min": "Min",
    "minimum": "Min",
    "doublemin": "Min",
    "max": "Max",
    "maximum": "Max",
    "doublemax": "Max",
    "previous": "Previous",
    "previousvalue": "Previous",
    "next": "Next",
    "nextvalue": "Next",
    "linearinterpolation": "LinearInterpolation",
    "averageinterpolation": "AverageInterpolation",
}

# KNIME type names (as the importer writes them) -> knitflow column types
_TYPE_ALIASES: dict[str, str] = {
    "double": ColumnType.DOUBLE,
    "integer": ColumnType.INTEGER,
    "int": ColumnType.INTEGER,
    "long": ColumnType.LONG,
    "string": ColumnType.STRING,
    "boolean": ColumnType.BOOLEAN,
    "bitvector": ColumnType.BIT_VECTOR,
    "densebitvector": ColumnType.BIT_VECTOR,
    "smiles": ColumnType.SMILES,
    "smilesadapter": ColumnType.SMILES,
}

_NUMERIC = frozenset({ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE})
_KNOWN_TYPES = frozenset(
    {*_NUMERIC, ColumnType.STRING, ColumnType.BOOLEAN, ColumnType.BIT_VECTOR, ColumnType.SMILES}
)
_ANY_TYPE = frozenset({"DoNothing", "RemoveRow", "MostFrequentValue", "Previous", "Next"})
_NUMERIC_ONLY = frozenset({"Mean", "Median", "Min", "Max", "LinearInterpolation", "AverageInterpolation"})
_FIXABLE = frozenset({*_NUMERIC, ColumnType.STRING, ColumnType.SMILES, ColumnType.BOOLEAN})
# KNIME's timeseries handlers store this (statistics on disk or in memory); no effect here
_IGNORED_KEYS = frozenset({"tableBackedExec"})


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(text).lower())


def canonical_handler(name: str) -> str:
    key = _norm(name.rsplit(".", 1)[-1])
    for suffix in ("missingcellhandlerfactory", "missingcellhandler", "factory"):
        key = key.removesuffix(suffix)
    if key not in _ALIASES:
        raise ValueError(f"unknown missing value handler {name!r} (known: {', '.join(get_args(Handler))})")
    return _ALIASES[key]


def canonical_type(name: str) -> str:
    key = _norm(str(name).rsplit(".", 1)[-1]).removesuffix("cell").removesuffix("value")
    return _TYPE_ALIASES.get(key, str(name))


@with_config(ConfigDict(extra="forbid"))
class HandlerSpec(TypedDict):
    """One treatment: the handler and, for FixedValue, the value."""

    handler: Handler
    value: NotRequired[float | int | str | bool | None]


@with_config(ConfigDict(extra="forbid"))
class ColumnSetting(TypedDict):
    """A treatment for the listed columns (KNIME's 'Treatment by Column')."""

    columns: list[str]
    handler: Handler
    value: NotRequired[float | int | str | bool | None]


def _handler_dict(raw: Any, where: str) -> dict[str, Any]:
    """A handler given as a name or as a mapping ({handler|method: name, value|fix*Value: v})."""
    if isinstance(raw, str):
        return {"handler": canonical_handler(raw)}
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a handler is a name or a mapping, got {raw!r}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in ("handler", "method", "factoryID"):
            out["handler"] = canonical_handler(str(value))
        elif key == "value" or re.fullmatch(r"fix\w*Value", key):
            out["value"] = value
        elif key in _IGNORED_KEYS or key == "columns":
            if key == "columns":
                out["columns"] = value
        else:
            raise ValueError(f"{where}: unknown handler setting {key!r}")
    if "handler" not in out:
        raise ValueError(f"{where}: no handler given")
    return out


class MissingValueSettings(NodeSettings):
    data_type_settings: dict[str, HandlerSpec] = Field(
        default_factory=dict,
        description="Treatment per column type (Double, Integer, Long, String, Boolean, BitVector, Smiles), "
        "e.g. {Double: RemoveRow, String: {handler: FixedValue, value: '?'}}. Handlers: DoNothing, RemoveRow, "
        "FixedValue, Mean, Median, RoundedMean, MostFrequentValue, Min, Max, Previous, Next, LinearInterpolation, "
        "AverageInterpolation.",
    )
    column_settings: list[ColumnSetting] = Field(
        default_factory=list,
        description="Treatments for named columns, overriding the type treatment: "
        "[{columns: [a, b], handler: Mean}, {columns: [c], handler: FixedValue, value: 0}].",
    )

    @field_validator("data_type_settings", mode="before")
    @classmethod
    def _types(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {canonical_type(k): _handler_dict(v, f"data_type_settings[{k}]") for k, v in value.items()}

    @field_validator("column_settings", mode="before")
    @classmethod
    def _columns(cls, value: Any) -> Any:
        if isinstance(value, dict):  # {column: handler}, as the KNIME importer writes it
            return [
                {"columns": [col], **_handler_dict(h, f"column_settings[{col}]")} for col, h in value.items()
            ]
        if isinstance(value, list):
            out = []
            for i, item in enumerate(value):
                d = _handler_dict(item, f"column_settings[{i}]")
                if isinstance(d.get("columns"), str):
                    d["columns"] = [d["columns"]]
                out.append(d)
            return out
        return value


# -------------------------------------------------------------------------------------- planning


class _Treatment:
    __slots__ = ("column", "kind", "handler", "value", "setting")

    def __init__(self, column: str, kind: str, handler: str, value: Any, setting: str) -> None:
        self.column, self.kind, self.handler, self.value, self.setting = column, kind, handler, value, setting


def _fixed_value(value: Any, kind: str, column: str, setting: str) -> Any:
    if value is None:
        raise ConfigureError(f"FixedValue for column {column!r} needs a value", setting=setting)
    try:
        if kind == ColumnType.DOUBLE:
            if isinstance(value, bool):
                raise TypeError
            return float(value)
        if kind in (ColumnType.INTEGER, ColumnType.LONG):
            number = float(value) if not isinstance(value, int) else value
            if isinstance(value, bool) or number != int(number):
                raise TypeError
            number = int(number)
            if kind == ColumnType.INTEGER and not -(2**31) <= number < 2**31:
                raise ConfigureError(f"{number} does not fit an Integer column ({column!r})", setting=setting)
            return number
        if kind == ColumnType.BOOLEAN:
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if not isinstance(value, bool):
                raise TypeError
            return value
        return str(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigureError(
            f"fixed value {value!r} does not fit the {kind} column {column!r}", setting=setting
        ) from None


def _plan(spec: TableSpec, s: MissingValueSettings) -> list[_Treatment]:
    by_column: dict[str, tuple[dict[str, Any], str]] = {}
    for i, cs in enumerate(s.column_settings):
        for col in cs["columns"]:
            if col not in spec:
                raise ConfigureError(
                    f"column {col!r} of column_settings[{i}] is not in the input", setting="column_settings"
                )
            by_column[col] = (dict(cs), f"column_settings[{i}]")
    plan = []
    for column in spec.columns:
        if column.name in by_column:
            cfg, where = by_column[column.name]
        elif column.type in s.data_type_settings:
            cfg, where = dict(s.data_type_settings[column.type]), f"data_type_settings.{column.type}"
        else:
            continue
        plan.append(_check(column, cfg, where))
    return [t for t in plan if t.handler != "DoNothing"]


def _check(col: ColumnSpec, cfg: dict[str, Any], where: str) -> _Treatment:
    handler, kind = cfg["handler"], col.type
    setting = where.split("[")[0].split(".")[0]
    ok = (
        handler in _ANY_TYPE
        or (handler in _NUMERIC_ONLY and kind in _NUMERIC)
        or (handler == "RoundedMean" and kind in (ColumnType.INTEGER, ColumnType.LONG))
        or (handler == "FixedValue" and kind in _FIXABLE)
    )
    if not ok:
        raise ConfigureError(
            f"{where}: {handler} cannot treat the {kind} column {col.name!r}", setting=setting
        )
    value = _fixed_value(cfg.get("value"), kind, col.name, setting) if handler == "FixedValue" else None
    return _Treatment(col.name, kind, handler, value, setting)


def _out_type(t: _Treatment) -> str:
    # KNIME's (double) mean and median handlers produce Double cells, also in Integer columns
    if t.handler in ("Mean", "Median") and t.kind in (ColumnType.INTEGER, ColumnType.LONG):
        return ColumnType.DOUBLE
    return t.kind


# ------------------------------------------------------------------------------------ execution


def _round_half_up(x: Any) -> Any:
    return np.floor(np.asarray(x, dtype=float) + 0.5)  # Java's Math.round


def _neighbours(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every row the position of the previous and of the next non-missing row (-1: none)."""
    n = len(mask)
    pos = np.arange(n)
    prev = np.maximum.accumulate(np.where(mask, -1, pos)) if n else pos
    nxt_rev = np.minimum.accumulate(np.where(mask, n, pos)[::-1])[::-1] if n else pos
    nxt = np.where(nxt_rev == n, -1, nxt_rev)
    return prev, nxt


def _with_values(series: pd.Series, mask: np.ndarray, fill: np.ndarray | Any, kind: str) -> pd.Series:
    """`series` with the missing cells at `mask` replaced by `fill` (a scalar or one value per row;
    NaN in a per-row array keeps the cell missing), in the dtype of `kind`."""
    if kind == ColumnType.DOUBLE:
        out = series.to_numpy(dtype=float, na_value=np.nan).copy()
        out[mask] = fill if np.isscalar(fill) else np.asarray(fill, dtype=float)[mask]
        return pd.Series(out, index=series.index, name=series.name)
    if kind in (ColumnType.INTEGER, ColumnType.LONG):
        values = series.to_numpy(dtype=float, na_value=np.nan).copy()
        values[mask] = fill if np.isscalar(fill) else np.asarray(fill, dtype=float)[mask]
        still = np.isnan(values)
        ints = np.where(still, 0, values).astype(np.int64)
        if still.any():
            return pd.Series(pd.arrays.IntegerArray(ints, still), index=series.index, name=series.name)
        return pd.Series(ints, index=series.index, name=series.name)
    out = series.copy()
    out[pd.Series(mask, index=series.index)] = fill
    return out


def _take(series: pd.Series, idx: np.ndarray) -> pd.Series:
    """Rows by position, -1 giving a missing cell (keeps bit vectors packed)."""
    source = series.to_numpy() if isinstance(series.dtype, np.dtype) else series.array
    values = pd.api.extensions.take(source, idx, allow_fill=True)
    return pd.Series(values, index=series.index, name=series.name)


def _most_frequent(series: pd.Series) -> Any:
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = codes[codes >= 0]
    if not len(codes):
        return None
    return uniques[int(np.argmax(np.bincount(codes)))]  # ties: the value seen first


def _apply(t: _Treatment, series: pd.Series) -> tuple[pd.Series, Any]:
    """The treated column and the replacement value the model reports."""
    mask = series.isna().to_numpy()
    kind, h = t.kind, t.handler
    if h == "FixedValue":
        return (_with_values(series, mask, t.value, kind) if mask.any() else series), t.value
    if h in ("Mean", "Median", "RoundedMean", "Min", "Max"):
        valid = series.to_numpy(dtype=float, na_value=np.nan)[~mask]
        if not len(valid):
            return series, None
        stat = {
            "Mean": lambda v: float(np.mean(v)),
            "Median": lambda v: float(np.median(v)),
            "RoundedMean": lambda v: float(_round_half_up(np.mean(v))),
            "Min": lambda v: float(np.min(v)),
            "Max": lambda v: float(np.max(v)),
        }[h](valid)
        out_kind = _out_type(t)
        if not mask.any() and out_kind == kind:
            return series, stat
        if out_kind != kind:
            series = series.astype(float)
        return _with_values(series, mask, stat, out_kind), stat
    if h == "MostFrequentValue":
        value = _most_frequent(series)
        if value is None or not mask.any():
            return series, value
        if kind in _NUMERIC:
            return _with_values(series, mask, float(value), kind), value
        if kind == ColumnType.BIT_VECTOR:
            arr = series.array.copy()
            arr[mask] = value
            return pd.Series(arr, index=series.index, name=series.name), value
        return _with_values(series, mask, value, kind), value
    if h in ("Previous", "Next"):
        if not mask.any():
            return series, None
        prev, nxt = _neighbours(mask)
        idx = np.where(mask, prev if h == "Previous" else nxt, np.arange(len(mask)))
        return _take(series, idx), None
    if h in ("LinearInterpolation", "AverageInterpolation"):
        if not mask.any():
            return series, None
        values = series.to_numpy(dtype=float, na_value=np.nan)
        prev, nxt = _neighbours(mask)
        ok = mask & (prev >= 0) & (nxt >= 0)
        fill = np.full(len(values), np.nan)
        p, q, i = prev[ok], nxt[ok], np.flatnonzero(ok)
        if h == "LinearInterpolation":
            fill[ok] = values[p] + (values[q] - values[p]) * (i - p) / (q - p)
        else:
            fill[ok] = (values[p] + values[q]) / 2
        if kind in (ColumnType.INTEGER, ColumnType.LONG):
            fill = _round_half_up(fill)
        return _with_values(series, mask, fill, kind), None
    raise NodeError(f"unsupported handler {h}")  # RemoveRow and DoNothing never get here


def _shown(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | str | bool) else str(value)


# KNIME's missing cell handler factories (MissingCellHandlerFactoryManager ids: the factory class
# name, in `...missingval.handlers` and `...missingval.handlers.timeseries`) -> knitflow handlers
_KNIME_HANDLERS = {
    "DoNothing": "DoNothing",
    "RemoveRow": "RemoveRow",
    "DoubleMean": "Mean",  # DoubleMeanMissingCellHandler: the mean as a Double cell
    "IntegerMean": "RoundedMean",  # IntegerMeanMissingCellHandler: Math.round(mean), Int/Long cell
    "MedianNumber": "Median",  # MedianNumberMissingCellHandler: Median statistic, a Double cell
    "Min": "Min",
    "MinNumber": "Min",
    "Max": "Max",
    "MaxNumber": "Max",
    "MostFrequentValue": "MostFrequentValue",
    "MostFrequentString": "MostFrequentValue",
    "FixedDoubleValue": "FixedValue",
    "FixedIntegerValue": "FixedValue",
    "FixedLongValue": "FixedValue",
    "FixedStringValue": "FixedValue",
    "FixedBooleanValue": "FixedValue",
    "Previous": "Previous",
    "Next": "Next",
    "LinearInterpolation": "LinearInterpolation",
    "AverageInterpolation": "AverageInterpolation",
}
# the settings each handler's panel writes that change nothing knitflow computes
_HANDLER_KEYS = {"tableBackedExec"}  # time-series handlers: statistics in memory or on disk


def _knime_handler(cfg: Any, where: str) -> dict[str, Any]:
    """One MVIndividualSettings: `factoryID` and the handler's `settings` (fix*Value, ...)."""
    if not isinstance(cfg, dict) or not cfg.get("factoryID"):
        raise ValueError(f"{where}: no missing value handler (keys: {', '.join(cfg or {})})")
    factory = str(cfg["factoryID"])
    name = factory.rsplit(".", 1)[-1].removesuffix("MissingCellHandlerFactory")
    handler = _KNIME_HANDLERS.get(name) if factory.startswith("org.knime.base.node.preproc.pmml.") else None
    if handler is None:
        raise ValueError(f"{where}: the missing value handler {factory} has no knitflow equivalent")
    out: dict[str, Any] = {"handler": handler}
    for key, value in (cfg.get("settings") or {}).items():
        if key.endswith("_Internals") or key in _HANDLER_KEYS:
            continue
        if handler == "FixedValue" and re.fullmatch(r"fix\w*Value", key):
            out["value"] = value
        else:
            raise ValueError(f"{where}: setting {key} = {value!r} of {name} has no knitflow equivalent")
    if handler == "FixedValue" and "value" not in out:
        raise ValueError(f"{where}: {name} holds no value")
    return out


def _missing_value_from_knime(knime: KnimeSettings) -> None:
    """Per-type (`dataTypeSettings`, keyed by cell class) and per-column (`columnSettings`: groups
    of `colNames` with one handler) treatments (MVSettings). A handler knitflow does not have, or
    one it cannot read, makes the node unreadable: a treatment left out would keep cells missing
    that KNIME fills."""
    tree = knime.tree
    by_type: dict[str, Any] = {}
    by_column: list[dict[str, Any]] = []
    try:
        for cell, cfg in (tree.get("dataTypeSettings") or {}).items():
            treatment = _knime_handler(cfg, f"type {cell}")
            kind = column_type(cell) or cell
            if canonical_type(kind) not in _KNOWN_TYPES:
                if treatment["handler"] != "DoNothing":
                    knime.lost(
                        f"type {cell}: knitflow has no such column type ({treatment['handler']} is not used)"
                    )
                continue
            by_type[kind] = treatment
        groups = tree.get("columnSettings") or {}
        for key in sorted((k for k in groups if k.isdigit()), key=int) if isinstance(groups, dict) else []:
            group = groups[key]
            treatment = _knime_handler(group.get("settings"), f"column group {key}")
            by_column.append({"columns": list(seq(group.get("colNames"))), **treatment})
    except ValueError as exc:
        knime.unreadable(f"Missing Value: {exc}")
        return
    knime.put("data_type_settings", by_type, "dataTypeSettings")
    if by_column:
        knime.put("column_settings", by_column, "columnSettings")
    knime.unread("columnSettings")


class MissingValue(Node):
    type_name = "missing_value"
    display_name = "Missing Value"
    category = Category.MANIPULATOR
    description = (
        "Treats missing cells per column type or per column: remove the row, a fixed value, mean, median, rounded "
        "mean, most frequent value, minimum, maximum, previous or next value, linear or average interpolation, or "
        "nothing. Column settings override type settings; a row is removed when any column treated with RemoveRow "
        "is missing in it. Mean and median turn Integer columns into Double columns (as KNIME's handlers do). "
        "The second port describes the treatment (KNIME writes it as PMML)."
    )
    keywords = ("missing", "impute", "imputation", "nan", "null", "fill", "remove rows", "clean")
    knime = (
        KnimeMapping(
            "org.knime.base.node.preproc.pmml.missingval.compute.MissingValueHandlerNodeFactory",
            "Missing Value",
            _missing_value_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "Table with missing values"),)
    outputs = (
        Port(TABLE, "Treated table", "Table with the missing values treated"),
        Port(
            MISSING_VALUE_MODEL,
            "Treatment",
            "The treatment per column with the replacement values (KNIME: PMML)",
        ),
    )
    Settings = MissingValueSettings

    def configure(self, in_specs: list[Any], settings: MissingValueSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0] if isinstance(in_specs[0], TableSpec) else None
        if spec is None:
            return [UNKNOWN, UNKNOWN]
        plan = _plan(spec, settings)
        changed = {t.column: _out_type(t) for t in plan}
        return [
            TableSpec(tuple(ColumnSpec(c.name, changed.get(c.name, c.type)) for c in spec.columns)),
            UNKNOWN,
        ]

    def execute(self, inputs: list[Any], settings: MissingValueSettings, ctx: NodeContext) -> list[Any]:
        table = inputs[0]
        if not isinstance(table, Table):
            raise NodeError("input port 1 needs a data table")
        plan = _plan(table.spec, settings)
        df = table.df
        remove = np.zeros(len(df), dtype=bool)
        for t in plan:
            if t.handler == "RemoveRow":
                remove |= df[t.column].isna().to_numpy()
        if remove.any():
            df = df[~remove]
            ctx.log(f"removed {int(remove.sum())} of {len(remove)} rows with missing values")
        records = []
        new_types: dict[str, str] = {}
        treated: dict[str, pd.Series] = {}
        for t in plan:
            missing = (
                int(df[t.column].isna().sum())
                if t.handler != "RemoveRow"
                else int(table.df[t.column].isna().sum())
            )
            value = None
            if t.handler != "RemoveRow":
                treated[t.column], value = _apply(t, df[t.column])
                new_types[t.column] = _out_type(t)
            records.append(
                {
                    "Column": t.column,
                    "Type": t.kind,
                    "Treatment": t.handler,
                    "Value": _shown(value),
                    "Missing": missing,
                }
            )
        if treated:
            df = df.copy(deep=False)
            for col, series in treated.items():
                df[col] = series
        out = table.with_frame(df, new_types)
        summary_table = pd.DataFrame(records, columns=["Column", "Type", "Treatment", "Value", "Missing"])
        lines = [
            f"{r['Column']}: {r['Treatment']}"
            + (f" ({r['Value']})" if r["Value"] is not None else "")
            + f", {r['Missing']} missing"
            for r in records
        ]
        model = Model(
            kind="missing_value",
            payload=summary_table,
            summary="\n".join(lines) or "no column treated",
            spec={"columns": {r["Column"]: r["Treatment"] for r in records}},
        )
        return [out, model]
