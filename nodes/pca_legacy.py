"""KNIME's first PCA node (org.knime.base.node.mine.pca.PCANodeFactory, KNIME 2.x; deprecated since the
transformation.pca nodes): computed as its `PCANodeModel` does. Column means and the covariance matrix
(divided by n - 1) in row order over the rows without missing or infinite values; Jama's eigen
decomposition (`nodes._jama`, so the signs of the components are KNIME's); eigenvectors sorted by the
absolute value of their eigenvalues, largest first (a stable sort); each row's `(row - means) x
eigenvectors`. The number of dimensions is fixed, or the fewest whose eigenvalues hold the wanted
share of their sum."""

from __future__ import annotations

from typing import Any

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
    Table,
    TableSpec,
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._jama import symmetric_eigen

PREFIX = "PCA dimension "  # PCANodeModel.PCA_COL_PREFIX
EPSILON = 1e-15  # SettingsModelPCADimensions.EPSILON


class PCADimensions(NodeSettings):
    """KNIME's SettingsModelPCADimensions (`choice`, `intVal`, `doubleVal`)."""

    choice: bool = Field(
        False,
        title="Dimensions to reduce to",
        description="On: keep `intVal` dimensions; off: as many as `doubleVal` percent of the information need.",
    )
    intVal: int = Field(
        2, ge=1, title="Number of dimensions", description="Dimensions kept when `choice` is on."
    )
    doubleVal: float = Field(
        100.0,
        ge=0,
        le=100,
        title="Minimum information fraction (%)",
        description="Share of the eigenvalues' sum the kept dimensions must hold when `choice` is off.",
    )


class LegacyPCASettings(NodeSettings):
    """PCANodeModel's settings: `input_columns`, `removeColumns`, `failMissing`,
    `output_dimensions_selected`."""

    input_columns: list[str] = Field(
        default_factory=list,
        title="Columns",
        description="The numeric columns; empty (or naming a column the table lacks): every numeric column.",
    )
    removeColumns: bool = Field(
        False, title="Remove original data columns", description="Drop the used columns."
    )
    failMissing: bool = Field(
        False,
        title="Fail if missing values are encountered",
        description="Off: rows with a missing (or infinite) value are left out of the PCA and get missing cells.",
    )
    output_dimensions_selected: PCADimensions = Field(
        default_factory=PCADimensions, title="Output dimensions", description="How many dimensions to keep."
    )


def _legacy_pca_from_knime(knime: KnimeSettings) -> None:
    columns = knime.get("input_columns")
    if isinstance(columns, dict):
        knime.put("input_columns", [str(c) for c in seq(columns.get("InclList"))], "input_columns")
    knime.take("removeColumns")
    knime.take("failMissing")
    dims = knime.get("output_dimensions_selected")
    if isinstance(dims, dict):
        knime.put(
            "output_dimensions_selected",
            {k: dims[k] for k in ("choice", "intVal", "doubleVal") if k in dims},
            "output_dimensions_selected",
        )
    # `eigenvalues` are the dialog's memory of an earlier run; the node computes them anew
    knime.unread("output_dimensions_selected.eigenvalues")


def _columns(spec: TableSpec, settings: LegacyPCASettings) -> tuple[list[str], str | None]:
    """(columns, warning) as `configure` chooses them."""
    numeric = [c.name for c in spec.columns if c.is_numeric()]
    if not settings.input_columns or any(name not in spec for name in settings.input_columns):
        return numeric, f"using as default all possible columns ({len(numeric)}) for PCA!"
    for name in settings.input_columns:
        if not spec.get(name).is_numeric():  # type: ignore[union-attr]
            raise ConfigureError(f'column "{name}" is not compatible with double', setting="input_columns")
    return list(settings.input_columns), None


def _fixed_dimensions(settings: LegacyPCASettings, columns: list[str]) -> tuple[int, str | None]:
    dims = settings.output_dimensions_selected
    if settings.input_columns and any(n not in columns for n in settings.input_columns):
        return len(columns), None  # the fall-back to every column also resets the dimensions (KNIME)
    if dims.intVal > len(columns):
        return len(columns), f"dimensions resetted to {len(columns)}"
    return dims.intVal, None


def _appended(spec: TableSpec, columns: list[str], k: int, remove: bool) -> tuple[TableSpec, list[str]]:
    names: list[str] = []
    for i in range(k):
        names.append(unique_column_name(spec.names, f"{PREFIX}{i}"))  # unique against the input only
    out = spec.append(*((n, ColumnType.DOUBLE) for n in names))
    if remove:
        out = out.select([n for n in out.names if n not in set(columns) or n in names])
    return out, names


def _by_quality(eigenvalues: np.ndarray, quality: float) -> int:
    """SettingsModelPCADimensions.getNeededDimensionsByQuality."""
    ev = sorted(float(v) for v in eigenvalues)
    total = 0.0
    for v in ev:
        total += v
    frac = 0.0
    for dim, v in enumerate(reversed(ev), start=1):
        frac += v
        with np.errstate(divide="ignore", invalid="ignore"):
            share = float(np.float64(frac) / np.float64(total))  # Java: 0/0 is NaN, not an error
        if share >= quality / 100 - EPSILON:
            return dim
    return len(ev)


class LegacyPCA(Node):
    """KNIME's first PCA (PCANodeFactory)."""

    type_name = "pca_legacy"
    display_name = "PCA (legacy)"
    category = Category.MANIPULATOR
    description = (
        "KNIME's first PCA node, for workflows that use it: appends `PCA dimension 0`, ... (the rows' projections "
        "onto the leading eigenvectors of the covariance matrix, computed with Jama as KNIME does, so the signs are "
        "KNIME's); a fixed number of dimensions or as many as a minimum information share needs. Rows with a "
        "missing value are left out of the PCA and get missing cells (or fail the node). New workflows: PCA."
    )
    keywords = ("principal component analysis", "dimension reduction", "eigenvector", "legacy")
    knime = (
        KnimeMapping("org.knime.base.node.mine.pca.PCANodeFactory", "PCA (legacy)", _legacy_pca_from_knime),
    )
    inputs = (Port(TABLE, "Input data", "The table with the numeric columns to reduce."),)
    outputs = (Port(TABLE, "Projected data", "The input plus the principal component columns."),)
    Settings = LegacyPCASettings

    def configure(self, in_specs: list[Any], settings: LegacyPCASettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        columns, _ = _columns(spec, settings)
        if not settings.output_dimensions_selected.choice:
            return [UNKNOWN]  # the number of dimensions needs the eigenvalues
        k, _ = _fixed_dimensions(settings, columns)
        return [_appended(spec, columns, k, settings.removeColumns)[0]]

    def execute(self, inputs: list[Any], settings: LegacyPCASettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        try:
            columns, warning = _columns(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        if warning:
            ctx.warn(warning)
        if len(table) == 0:
            raise NodeError("Input table is empty!")
        if len(table) == 1:
            raise NodeError("Input table has only one row!")
        values = _values(table, columns)
        means, covariance, missing = _covariance(values, ctx)
        if missing:
            if settings.failMissing:
                raise NodeError("missing, infinite or impossible values in table", setting="failMissing")
            ctx.warn(f"{missing} rows ignored because of missing, infinite or impossible values")
        eigenvalues, vectors = symmetric_eigen(covariance)
        if settings.output_dimensions_selected.choice:
            k, note = _fixed_dimensions(settings, columns)
            if note:
                ctx.warn(note)
        else:
            k = _by_quality(eigenvalues, settings.output_dimensions_selected.doubleVal)
        if k > len(columns) or k < 1:
            raise NodeError(f"invalid number of dimensions to reduce to: {k}")
        return [
            _project(
                table,
                columns,
                values,
                means,
                _sorted_vectors(vectors, eigenvalues, k),
                settings.removeColumns,
            )
        ]


def _values(table: Table, columns: list[str]) -> np.ndarray:
    return np.column_stack(
        [pd.to_numeric(table.df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    ).reshape(len(table), len(columns))


def _covariance(values: np.ndarray, ctx: NodeContext) -> tuple[np.ndarray, np.ndarray, int]:
    """PCANodeModel.getMeanVector and getCovarianceMatrix: (means, covariance, rows left out), the
    sums in row order over the rows without a missing or infinite value."""
    valid = np.isfinite(values).all(axis=1)
    rows = values[valid]
    if len(rows) < 2:
        raise NodeError(
            "Input table has too few rows with valid values! Do some columns only contain missing values?"
        )
    means = np.cumsum(rows, axis=0)[-1] / len(rows)
    centered = rows - means
    n = values.shape[1]
    covariance = np.zeros((n, n))
    chunk = max(1, 2_000_000 // max(1, n * n))  # ~16 MB of products at a time
    for start in range(0, len(rows), chunk):
        ctx.check_cancelled()
        part = centered[start : start + chunk]
        products = part[:, :, None] * part[:, None, :]
        covariance = np.cumsum(np.concatenate([covariance[None], products]), axis=0)[-1]
    if not np.isfinite(covariance).all():
        raise NodeError("computation failed for numerical problems, probably some numbers are too huge")
    return means, covariance / (len(rows) - 1), int((~valid).sum())


def _sorted_vectors(vectors: np.ndarray, eigenvalues: np.ndarray, k: int) -> np.ndarray:
    """EigenValue.getSortedEigenVectors: the eigenvectors (columns) of the k eigenvalues largest in
    absolute value, a stable sort of Jama's ascending order."""
    order = sorted(range(len(eigenvalues)), key=lambda i: -abs(float(eigenvalues[i])))
    return vectors[:, order[:k]]


def _project(
    table: Table, columns: list[str], values: np.ndarray, means: np.ndarray, basis: np.ndarray, remove: bool
) -> Table:
    """PCANodeModel.convertInputRow for every row: `(row - means) x basis` summed over the columns in
    order (Jama's Matrix.times); a row with a missing value gets missing cells."""
    k = basis.shape[1]
    present = ~np.isnan(values).any(axis=1)
    diff = values[present] - means
    projected = np.zeros((len(diff), k))
    for j in range(len(columns)):
        projected = projected + diff[:, j : j + 1] * basis[j][None, :]
    out_spec, names = _appended(table.spec, columns, k, remove)
    df = table.df.copy()
    for i, name in enumerate(names):
        column = np.full(len(df), np.nan)
        column[present] = projected[:, i]
        df[name] = column
    return Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})
