"""Numeric Outliers: KNIME's IQR outlier detection and treatment (knime-stats, package
org.knime.base.algorithms.outlier: NumericOutliersIntervalsCalculator, NumericOutliersReviser).

Per group (rows equal in the group columns) and outlier column, the first and third quartile of
the non-missing values give the permitted interval [Q1 - k*IQR, Q3 + k*IQR]. The quartiles are
commons-math's `Percentile.EstimationType` (R_1..R_9, LEGACY) on all values, or, with the
heuristic, its streaming `PSquarePercentile` fed in row order, which is only exact for a handful of
values. Groups come in GroupBy's order: sorted by the group columns (missing first), or in order
of first appearance when processed in memory. Treatment replaces outliers (missing, or the closest
permitted value: for Integer and Long columns the closest integer inside the interval) or keeps
only the rows without (or with) an outlier; missing cells are neither used nor flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
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
    ModelSpec,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
    row_ids,
)
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._column_types import typed_column
from nodes._common import ColumnFilter
from nodes._compare import SortingCriterion, sorted_positions
from nodes._java_text import short_string_from
from nodes._rows import group_keys

NUMERIC_OUTLIERS_MODEL = PortType.register(
    PortType("model.numeric_outliers", "Numeric outliers model", "#8c6bb1", "square")
)

# NumericOutliersReviser.SUPPORTED_DATA_TYPES: the cells it can write back
_SUPPORTED = frozenset({ColumnType.INTEGER, ColumnType.LONG, ColumnType.DOUBLE})

EstimationType = Literal["LEGACY", "R_1", "R_2", "R_3", "R_4", "R_5", "R_6", "R_7", "R_8", "R_9"]
Treatment = Literal["Replace outlier values", "Remove outlier rows", "Remove non-outlier rows"]
Replacement = Literal["Missing values", "Closest permitted value"]
Detection = Literal["All outliers", "Outliers below lower bound", "Outliers above upper bound"]

SUMMARY_COLUMNS = ("Member count", "Outlier count", "Lower bound", "Upper bound")


# ------------------------------------------------------------------------- commons-math percentiles


def _index(kind: str, p: float, n: int) -> float:
    """`Percentile.EstimationType.index(p, length)` of commons-math 3.6, operation for operation."""
    if kind == "LEGACY":
        return 0.0 if p == 0 else float(n) if p == 1 else p * (n + 1)
    if kind == "R_1":
        return 0.0 if p == 0 else n * p + 0.5
    if kind == "R_2":
        return float(n) if p == 1 else 0.0 if p == 0 else n * p + 0.5
    if kind == "R_3":
        return 0.0 if p <= 1.0 / 2 / n else float(np.rint(n * p))
    if kind == "R_7":
        return 0.0 if p == 0 else float(n) if p == 1 else 1 + (n - 1) * p
    if kind == "R_4":
        low, high, at = 1.0 / n, 1.0, n * p
        return 0.0 if p < low else float(n) if p == high else at
    low, high, at = _INTERPOLATED[kind](p, n)
    return 0.0 if p < low else float(n) if p >= high else at


_INTERPOLATED = {  # (minLimit, maxLimit, index) of R_5, R_6, R_8, R_9
    "R_5": lambda p, n: (1.0 / 2 / n, (n - 0.5) / n, n * p + 0.5),
    "R_6": lambda p, n: (1.0 / (n + 1), 1.0 * n / (n + 1), (n + 1) * p),
    "R_8": lambda p, n: (
        2 * (1.0 / 3) / (n + 1.0 / 3),
        (n - 1.0 / 3) / (n + 1.0 / 3),
        (n + 1.0 / 3) * p + 1.0 / 3,
    ),
    "R_9": lambda p, n: (5.0 / 8 / (n + 0.25), (n - 3.0 / 8) / (n + 0.25), (n + 0.25) * p + 3.0 / 8),
}


def _estimate(ordered: np.ndarray, pos: float) -> float:
    n = len(ordered)
    if pos < 1:
        return float(ordered[0])
    if pos >= n:
        return float(ordered[n - 1])
    whole = math.floor(pos)
    lower, upper = float(ordered[whole - 1]), float(ordered[whole])
    return lower + (pos - whole) * (upper - lower)


def commons_percentile(values: np.ndarray, p: float, kind: str) -> float:
    """commons-math `EstimationType.evaluate(values, p, selector)` for 0 < p <= 100: the p-th
    percentile of `values` (no missing values) as KNIME's Quantile aggregation computes it."""
    ordered = np.sort(np.asarray(values, dtype="float64"))
    pos = _index(kind, p / 100.0, len(ordered))
    if kind == "R_1":
        return _estimate(ordered, math.ceil(pos - 0.5))
    if kind == "R_2":
        return (_estimate(ordered, math.ceil(pos - 0.5)) + _estimate(ordered, math.floor(pos + 0.5))) / 2
    return _estimate(ordered, pos)


# --------------------------------------------------------------------------------- P-square


def _neville(x: list[float], y: list[float], z: float) -> float:
    """commons-math `PolynomialFunctionLagrangeForm.evaluate`: Neville's algorithm."""
    n = len(x)
    c, d = list(y), list(y)
    nearest, min_dist = 0, math.inf
    for i in range(n):
        dist = abs(z - x[i])
        if dist < min_dist:
            nearest, min_dist = i, dist
    value = y[nearest]
    for i in range(1, n):
        for j in range(n - i):
            w = (c[j + 1] - d[j]) / (x[j] - x[i + j])
            c[j] = (x[j] - z) * w
            d[j] = (x[i + j] - z) * w
        if nearest < 0.5 * (n - i + 1):
            value += c[nearest]
        else:
            nearest -= 1
            value += d[nearest]
    return value


@dataclass
class _Marker:
    height: float = 0.0
    desired: float = 0.0
    increment: float = 0.0
    position: float = 0.0
    previous: _Marker | None = field(default=None, repr=False, compare=False)
    next: _Marker | None = field(default=None, repr=False, compare=False)

    def estimate(self) -> None:
        """`PSquarePercentile.Marker.estimate`: move the marker one step towards its desired
        position, parabolically, or linearly when the parabola leaves its neighbours' heights."""
        prev, nxt = self.previous, self.next
        assert prev is not None and nxt is not None
        di = self.desired - self.position
        if not (
            (di >= 1 and nxt.position - self.position > 1)
            or (di <= -1 and prev.position - self.position < -1)
        ):
            return
        d = 1 if di >= 0 else -1
        xs = [prev.position, self.position, nxt.position]
        ys = [prev.height, self.height, nxt.height]
        target = self.position + d
        self.height = _neville(xs, ys, target)
        if self.height <= ys[0] or self.height >= ys[2]:
            (x0, y0), (x1, y1) = sorted([(xs[1], ys[1]), (xs[1 + d], ys[1 + d])])
            self.height = (target - x0) * ((y1 - y0) / (x1 - x0)) + y0
        self.position += d


@dataclass
class PSquare:
    """commons-math `PSquarePercentile` (Jain & Chlamtac's P² algorithm) as KNIME's heuristic
    quartiles use it: exact-ish for up to five values, five moving markers after that."""

    quantile: float
    first: list[float] = field(default_factory=list)
    markers: list[_Marker] | None = None
    value: float = math.nan

    def add(self, x: float) -> None:
        if self.markers is None:
            if len(self.first) < 5:
                self.first.append(x)
                self.first.sort()
                self.value = self.first[int(self.quantile * (len(self.first) - 1))]
                return
            self.markers = self._start()
        self.value = self._process(self.markers, x)

    def _start(self) -> list[_Marker]:
        q, p = self.first, self.quantile
        markers = [
            _Marker(),
            _Marker(q[0], 1, 0, 1),
            _Marker(q[1], 1 + 2 * p, p / 2, 2),
            _Marker(q[2], 1 + 4 * p, p, 3),
            _Marker(q[3], 3 + 2 * p, (1 + p) / 2, 4),
            _Marker(q[4], 5, 1, 5),
        ]
        for i in range(1, 5):
            markers[i].previous, markers[i].next = markers[i - 1], markers[i + 1]
        markers[0].previous, markers[0].next = markers[0], markers[1]
        markers[5].previous, markers[5].next = markers[4], markers[5]
        return markers

    @staticmethod
    def _process(m: list[_Marker], x: float) -> float:
        if x < m[1].height:
            m[1].height, cell = x, 1
        elif x > m[5].height:
            m[5].height, cell = x, 4
        else:
            cell = next(k for k in (1, 2, 3, 4) if x < m[k + 1].height or k == 4)
        for marker in m[cell + 1 :]:
            marker.position += 1
        for marker in m[1:]:
            marker.desired += marker.increment
        for marker in m[2:5]:
            marker.estimate()
        return m[3].height


# ------------------------------------------------------------------------------------ settings


class NumericOutliersSettings(NodeSettings):
    """KNIME's NumericOutliersNodeModel settings (keys written with underscores)."""

    outlier_list: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Outlier selection",
        description="The Integer, Long and Double columns whose outliers are detected and treated.",
    )
    iqr_scalar: float = Field(
        1.5,
        title="Interquartile range multiplier (k)",
        description="Permitted: [Q1 - k*IQR, Q3 + k*IQR], k >= 0.",
    )
    use_heuristic: bool = Field(
        False,
        title="Use heuristic (memory friendly)",
        description="Quartiles by the streaming P² estimate (rough for small groups) instead of all values.",
    )
    estimation_type: EstimationType = Field(
        "R_6", description="How the full-data quartiles are estimated (commons-math's LEGACY, R_1 ... R_9)."
    )
    outlier_treatment: Treatment = Field(
        "Replace outlier values",
        description="Replace outliers, or remove the rows with (or without) an outlier.",
    )
    replacement_strategy: Replacement = Field(
        "Missing values", description="Replace an outlier by a missing value or the closest permitted value."
    )
    detection_option: Detection = Field(
        "All outliers",
        description="Treat all outliers, or only those below the lower or above the upper bound.",
    )
    use_groups: bool = Field(False, description="Compute the intervals per group of the group columns.")
    groups_list: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Group columns",
        description="Columns defining the groups (a column also chosen for outliers is not a group column).",
    )
    memory_policy: bool = Field(
        False,
        title="Process groups in memory",
        description="Groups (and summary rows) in order of first appearance instead of sorted by the group columns.",
    )


def _numeric_outliers_from_knime(knime: KnimeSettings) -> None:
    """4.x keys; `use-heuristic` is KNIME's string "true" / "false"."""
    knime.take("outlier_list", "outlier-list")
    knime.take("groups_list", "groups-list")
    knime.take_all(["use-groups", "iqr-scalar", "estimation-type", "memory-policy"])
    knime.take_all(["outlier-treatment", "replacement-strategy", "detection-option"])
    heuristic = knime.tree.get("use-heuristic")
    if heuristic is not None:
        if str(heuristic).lower() not in ("true", "false"):
            knime.lost(f"use-heuristic = {heuristic!r}: KNIME accepts only true or false")
        else:
            knime.put("use_heuristic", str(heuristic).lower() == "true", "use-heuristic")
    knime.unread("update-domain")  # knitflow's tables carry no column domains


# ------------------------------------------------------------------------------------ computing


@dataclass
class OutlierIntervals:
    """The model port: permitted intervals per group key and outlier column, and the treatment
    (KNIME's NumericOutliersPortObject, for Numeric Outliers (Apply))."""

    group_columns: list[str]
    outlier_columns: list[str]
    intervals: dict[tuple[Any, ...], dict[str, tuple[float, float] | None]]
    treatment: str
    replacement: str
    detection: str


def _columns(
    spec: TableSpec, s: NumericOutliersSettings, cls: type[NodeError]
) -> tuple[list[str], list[str]]:
    """(outlier columns, group columns) as NumericOutliersNodeModel.configure checks them."""
    if not any(c.type in _SUPPORTED for c in spec.columns):
        raise cls("Input does not contain numerical columns", setting="outlier_list")
    outliers = s.outlier_list.apply(spec, allowed_types=_SUPPORTED)
    if not outliers:
        raise cls("Please include at least one numerical column", setting="outlier_list")
    if s.iqr_scalar < 0:
        raise cls("The IQR scalar has to be greater than or equal 0.", setting="iqr_scalar")
    groups = [c for c in s.groups_list.apply(spec) if c not in outliers] if s.use_groups else []
    return outliers, groups


def _summary_spec(spec: TableSpec, groups: list[str], cls: type[NodeError]) -> TableSpec:
    pairs = [("Outlier column", ColumnType.STRING)] + [(g, spec.type_of(g)) for g in groups]
    pairs += [(SUMMARY_COLUMNS[0], ColumnType.INTEGER), (SUMMARY_COLUMNS[1], ColumnType.INTEGER)]
    pairs += [(SUMMARY_COLUMNS[2], ColumnType.DOUBLE), (SUMMARY_COLUMNS[3], ColumnType.DOUBLE)]
    names = [n for n, _ in pairs]
    clash = next((n for n in names if names.count(n) > 1), None)
    if clash is not None:
        raise cls(f"Duplicate column name in the summary table: {clash}", setting="groups_list")
    return TableSpec.of(pairs)


def _groups(
    table: Table, groups: list[str], in_memory: bool
) -> tuple[list[tuple[Any, ...]], np.ndarray, list[np.ndarray]]:
    """The group keys in GroupByTable's order, each row's group, and each group's rows in the
    order the quartile aggregation sees them."""
    n = len(table)
    keys = group_keys(table, groups)
    if in_memory or not groups:
        order = np.arange(n)
    else:
        criteria = [SortingCriterion(column=c, string_comparison="LEXICOGRAPHIC") for c in groups]
        order = sorted_positions(table, criteria, missing_to_end=False)
    ids: dict[tuple[Any, ...], int] = {}
    members: list[list[int]] = []
    group_of = np.zeros(n, dtype=np.int64)
    for p in order:
        g = ids.setdefault(keys[p], len(ids))
        if g == len(members):
            members.append([])
        members[g].append(int(p))
        group_of[p] = g
    return list(ids), group_of, [np.asarray(m, dtype=np.int64) for m in members]


def _quartiles(values: np.ndarray, s: NumericOutliersSettings) -> tuple[float, float] | None:
    """(Q1, Q3) of one group's values in row order; None when it has none (KNIME's missing cell)."""
    values = values[~np.isnan(values)]
    if s.use_heuristic:
        first, third = PSquare(0.25), PSquare(0.75)
        for v in values.tolist():
            first.add(v)
            third.add(v)
        return (first.value, third.value) if len(values) else None
    if not len(values):
        return None
    return commons_percentile(values, 25.0, s.estimation_type), commons_percentile(
        values, 75.0, s.estimation_type
    )


def _bounds(matrix: np.ndarray, members: list[np.ndarray], s: NumericOutliersSettings) -> np.ndarray:
    """Per group and column the permitted interval (NaN where the group has no values)."""
    bounds = np.full((len(members), matrix.shape[1], 2), np.nan)
    for g, rows in enumerate(members):
        for j in range(matrix.shape[1]):
            quartiles = _quartiles(matrix[rows, j], s)
            if quartiles is not None:
                q1, q3 = quartiles
                iqr = s.iqr_scalar * (q3 - q1)
                bounds[g, j] = (q1 - iqr, q3 + iqr)
    return bounds


@dataclass
class _Treated:
    columns: dict[str, pd.Series]  # replaced columns
    keep: np.ndarray | None  # rows kept (None: all)
    members: np.ndarray  # per group and column: non-missing values
    outliers: np.ndarray  # per group and column: outliers treated


def _flags(x: np.ndarray, low: np.ndarray, high: np.ndarray, detection: str) -> np.ndarray:
    """NumericOutliersReviser.isOutlier for a column (NaN bounds never flag)."""
    with np.errstate(invalid="ignore"):
        below = x < low if detection != "Outliers above upper bound" else np.zeros(len(x), dtype=bool)
        above = x > high if detection != "Outliers below lower bound" else np.zeros(len(x), dtype=bool)
    return below | above


def _closest(
    series: pd.Series, col_type: str, x: np.ndarray, low: np.ndarray, high: np.ndarray, detection: str
) -> tuple[pd.Series, np.ndarray]:
    """treatCellValue with the closest permitted value: clamp (to whole numbers inside the
    interval for Integer and Long); a cell is treated when its value changes."""
    if col_type != ColumnType.DOUBLE:
        low, high = np.ceil(low), np.floor(high)
    new = x.copy()
    known = ~np.isnan(low)
    if detection != "Outliers above upper bound":
        new = np.where(known, np.maximum(new, low), new)
    if detection != "Outliers below lower bound":
        new = np.where(known, np.minimum(new, high), new)
    changed = ~np.isnan(x) & (new != x)
    if col_type == ColumnType.DOUBLE:
        return pd.Series(
            np.where(changed, new, series.to_numpy(dtype="float64", na_value=np.nan)), index=series.index
        ), changed
    cells = series.to_numpy(dtype=object).copy()
    cells[changed] = [int(v) for v in new[changed]]
    out = typed_column(list(cells), col_type)
    out.index = series.index
    return out, changed


def _treat(
    table: Table,
    outliers: list[str],
    matrix: np.ndarray,
    group_of: np.ndarray,
    bounds: np.ndarray,
    s: NumericOutliersSettings,
) -> _Treated:
    n_groups = bounds.shape[0]
    members = np.zeros((n_groups, len(outliers)), dtype=np.int64)
    counts = np.zeros((n_groups, len(outliers)), dtype=np.int64)
    replaced: dict[str, pd.Series] = {}
    any_outlier = np.zeros(len(table), dtype=bool)
    for j, name in enumerate(outliers):
        x = matrix[:, j]
        present = ~np.isnan(x)
        low, high = bounds[group_of, j, 0], bounds[group_of, j, 1]
        members[:, j] = np.bincount(group_of[present], minlength=n_groups)
        flagged = _flags(x, low, high, s.detection_option) & present
        if (
            s.outlier_treatment == "Replace outlier values"
            and s.replacement_strategy == "Closest permitted value"
        ):
            replaced[name], flagged = _closest(
                table.df[name], table.types[name], x, low, high, s.detection_option
            )
        elif s.outlier_treatment == "Replace outlier values":
            cells = table.df[name].to_numpy(dtype=object).copy()
            cells[flagged] = None
            replaced[name] = typed_column(list(cells), table.types[name])
            replaced[name].index = table.df.index
        counts[:, j] = np.bincount(group_of[flagged], minlength=n_groups)
        any_outlier |= flagged
    keep = None
    if s.outlier_treatment == "Remove outlier rows":
        keep = ~any_outlier
    elif s.outlier_treatment == "Remove non-outlier rows":
        keep = any_outlier
    return _Treated(replaced, keep, members, counts)


def _summary(
    spec: TableSpec,
    outliers: list[str],
    groups: list[str],
    keys: list[tuple[Any, ...]],
    bounds: np.ndarray,
    treated: _Treated,
) -> Table:
    """NumericOutliersSummaryTable: one row per outlier column and group, RowIDs Row0, Row1, ..."""
    out_spec = _summary_spec(spec, groups, NodeError)
    rows: list[list[Any]] = []
    for j, name in enumerate(outliers):
        for g, key in enumerate(keys):
            low, high = bounds[g, j]
            interval = [None, None] if math.isnan(low) else [float(low), float(high)]
            rows.append([name, *key, int(treated.members[g, j]), int(treated.outliers[g, j]), *interval])
    types = {c.name: c.type for c in out_spec.columns}
    data = {c.name: typed_column([r[i] for r in rows], c.type) for i, c in enumerate(out_spec.columns)}
    frame = pd.DataFrame(data, columns=out_spec.names)
    frame.index = row_ids(len(rows))
    return Table(frame, types)


class NumericOutliers(Node):
    type_name = "numeric_outliers"
    display_name = "Numeric Outliers"
    category = Category.MANIPULATOR
    description = (
        "Detects outliers in numeric columns by the interquartile range: outside [Q1 - k*IQR, Q3 + k*IQR] "
        "(k = 1.5), optionally per group. Replaces them (missing or closest permitted value) or removes the "
        "rows with (or without) outliers; also outputs a summary per column and group and the intervals."
    )
    keywords = ("outlier", "iqr", "interquartile", "tukey", "quartile", "anomaly", "clean", "winsorize")
    knime = (
        KnimeMapping(
            "org.knime.base.node.stats.outlier.handler.NumericOutliersNodeFactory",
            "Numeric Outliers",
            _numeric_outliers_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input data", "Numeric columns to check, and optional group columns"),)
    outputs = (
        Port(TABLE, "Treated table", "Outliers replaced, or the rows with (or without) outliers removed"),
        Port(TABLE, "Summary", "Member and outlier counts and the permitted interval per column and group"),
        Port(NUMERIC_OUTLIERS_MODEL, "Numeric outliers model", "The permitted intervals and the treatment"),
    )
    Settings = NumericOutliersSettings

    def configure(
        self, in_specs: list[Any], settings: NumericOutliersSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN, UNKNOWN]
        outliers, groups = _columns(spec, settings, ConfigureError)
        model = ModelSpec("numeric_outliers", spec.select(outliers), details={"group_columns": groups})
        return [spec, _summary_spec(spec, groups, ConfigureError), model]

    def execute(self, inputs: list[Any], settings: NumericOutliersSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        outliers, groups = _columns(table.spec, settings, NodeError)
        matrix = table.float_matrix(outliers)
        keys, group_of, members = _groups(table, groups, settings.memory_policy)
        ctx.check_cancelled()
        bounds = _bounds(matrix, members, settings)
        treated = _treat(table, outliers, matrix, group_of, bounds, settings)
        df = table.df.copy(deep=False)
        for name, column in treated.columns.items():
            df[name] = column
        out = table.with_frame(df, {name: table.types[name] for name in treated.columns})
        if treated.keep is not None:
            out = out.take(treated.keep)
        summary = _summary(table.spec, outliers, groups, keys, bounds, treated)
        if len(out) == 0 and len(summary) > 0:
            ctx.warn("Node created an empty data table")
        return [out, summary, self._model(table.spec, outliers, groups, keys, bounds, settings)]

    @staticmethod
    def _model(
        spec: TableSpec,
        outliers: list[str],
        groups: list[str],
        keys: list[tuple[Any, ...]],
        bounds: np.ndarray,
        s: NumericOutliersSettings,
    ) -> Model:
        intervals: dict[tuple[Any, ...], dict[str, tuple[float, float] | None]] = {}
        for g, key in enumerate(keys):
            intervals[key] = {
                name: None
                if math.isnan(bounds[g, j, 0])
                else (float(bounds[g, j, 0]), float(bounds[g, j, 1]))
                for j, name in enumerate(outliers)
            }
        payload = OutlierIntervals(
            groups, outliers, intervals, s.outlier_treatment, s.replacement_strategy, s.detection_option
        )
        model_spec = ModelSpec("numeric_outliers", spec.select(outliers), details={"group_columns": groups})
        return Model(
            "numeric_outliers",
            payload,
            "Outlier treatment for columns: " + short_string_from(outliers),
            model_spec,
        )
