"""KNIME's first PCA node (org.knime.base.node.mine.pca.PCANodeFactory, KNIME 2.x; deprecated since the
transformation.pca nodes): computed as its `PCANodeModel` does. Column means and the covariance matrix
(divided by n - 1) in row order over the rows without missing or infinite values; Jama's eigen
decomposition (`nodes._jama`, so the signs of the components are KNIME's); eigenvectors sorted by the
absolute value of their eigenvalues, largest first (a stable sort); each row's `(row - means) x
eigenvectors`. The number of dimensions is fixed, or the fewest whose eigenvalues hold the wanted
share of their sum."""

from __future__ import annotations

from dataclasses import dataclass
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
    unique_column_name,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._jama import symmetric_eigen

PREFIX = "PCA dimension "  # PCANodeModel.PCA_COL_PREFIX
EPSILON = 1e-15  # SettingsModelPCADimensions.EPSILON
PCA_LEGACY_MODEL = PortType.register(PortType("model.pca_legacy", "PCA model (legacy)", "#3a7ca5", "square"))


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


# ------------------------------------------------------------------------------- PCA Compute / Apply


@dataclass(frozen=True)
class LegacyPCAModel:
    """KNIME's PCAModelPortObject: Jama's eigenvectors (columns) and eigenvalues (ascending), the
    used columns and their means."""

    columns: tuple[str, ...]
    vectors: np.ndarray
    eigenvalues: np.ndarray
    means: np.ndarray


class LegacyPCAComputeSettings(NodeSettings):
    """PCAComputeNodeModel's settings: `input_columns`, `failMissing`."""

    input_columns: list[str] = Field(
        default_factory=list,
        title="Columns",
        description="The numeric columns; empty (or naming a column that is missing or not numeric): every numeric "
        "column.",
    )
    failMissing: bool = Field(
        False,
        title="Fail if missing values are encountered",
        description="Off: rows with a missing (or infinite) value are left out of the PCA.",
    )


def _compute_columns(spec: TableSpec, settings: LegacyPCAComputeSettings) -> tuple[list[str], str | None]:
    numeric = [c.name for c in spec.columns if c.is_numeric()]
    for name in settings.input_columns:
        col = spec.get(name)
        if col is None or not col.is_numeric():
            return numeric, f'column "{name}" not found, selected default columns'
    return (list(settings.input_columns) or numeric), None


def _legacy_compute_from_knime(knime: KnimeSettings) -> None:
    columns = knime.get("input_columns")
    if isinstance(columns, dict):
        knime.put("input_columns", [str(c) for c in seq(columns.get("InclList"))], "input_columns")
    knime.take("failMissing")
    knime.unread()


def _double_spec(names: list[str]) -> TableSpec:
    return TableSpec.of((n, ColumnType.DOUBLE) for n in names)


class LegacyPCACompute(Node):
    """KNIME's first PCA Compute (mine.pca.PCAComputeNodeFactory)."""

    type_name = "pca_compute_legacy"
    display_name = "PCA Compute (legacy)"
    category = Category.LEARNER
    description = (
        "KNIME's first PCA Compute: the covariance matrix of the numeric columns (port 1, one row per column), "
        "its spectral decomposition (port 2: `eigenvalue` and the eigenvector's components, rows `1. eigenvector`, "
        "... by absolute eigenvalue, largest first; Jama's signs) and the model for PCA Apply (legacy)."
    )
    keywords = ("principal component analysis", "eigenvector", "covariance", "legacy")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.pca.PCAComputeNodeFactory",
            "PCA Compute (legacy)",
            _legacy_compute_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input data", "The table with the numeric columns."),)
    outputs = (
        Port(TABLE, "Covariance matrix", "The columns' covariance matrix."),
        Port(TABLE, "Spectral decomposition", "Eigenvalues and eigenvectors, one row each."),
        Port(PCA_LEGACY_MODEL, "PCA model", "For PCA Apply (legacy)."),
    )
    Settings = LegacyPCAComputeSettings

    def configure(
        self, in_specs: list[Any], settings: LegacyPCAComputeSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN, UNKNOWN]
        columns, _ = _compute_columns(spec, settings)
        return [
            _double_spec(columns),
            _double_spec(["eigenvalue", *columns]),
            ModelSpec("pca_legacy", _double_spec(columns)),
        ]

    def execute(self, inputs: list[Any], settings: LegacyPCAComputeSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        columns, warning = _compute_columns(table.spec, settings)
        if warning:
            ctx.warn(warning)
        if len(table) == 0:
            raise NodeError("Input table is empty!")
        values = _values(table, columns)
        if settings.failMissing and np.isnan(values).any():
            raise NodeError("missing values in table", setting="failMissing")  # getMeanVector's check
        means, covariance, missing = _covariance(values, ctx)
        if missing:
            if settings.failMissing:
                raise NodeError("missing, infinite or impossible values in table", setting="failMissing")
            ctx.warn(f"{missing} rows ignored because of missing, infinite or impossible values")
        eigenvalues, vectors = symmetric_eigen(covariance)
        cov = Table(
            pd.DataFrame(covariance, columns=columns, index=pd.Index(columns, dtype=object)), _types(columns)
        )
        order = sorted(range(len(eigenvalues)), key=lambda i: -abs(float(eigenvalues[i])))
        decomposition = pd.DataFrame(
            [[float(eigenvalues[i]), *vectors[:, i].tolist()] for i in order],
            columns=["eigenvalue", *columns],
            index=pd.Index([f"{r}. eigenvector" for r in range(1, len(order) + 1)], dtype=object),
        )
        model = LegacyPCAModel(tuple(columns), vectors, eigenvalues, means)
        spec = ModelSpec(
            "pca_legacy", _double_spec(columns), details={"eigenvalues": tuple(eigenvalues.tolist())}
        )
        summary = (
            f"PCA of {len(columns)} columns; eigenvalues {', '.join(f'{v:.4g}' for v in eigenvalues[::-1])}"
        )
        return [
            cov,
            Table(decomposition, _types(["eigenvalue", *columns])),
            Model("pca_legacy", model, summary, spec=spec),
        ]


def _types(names: list[str]) -> dict[str, str]:
    return dict.fromkeys(names, ColumnType.DOUBLE)


class LegacyPCAApplySettings(NodeSettings):
    """PCAApplyNodeModel's settings: `dimension_selection`, `removeColumns`, `failMissing`."""

    dimension_selection: PCADimensions = Field(
        default_factory=PCADimensions, title="Output dimensions", description="How many dimensions to keep."
    )
    removeColumns: bool = Field(
        False, title="Remove original data columns", description="Drop the model's columns."
    )
    failMissing: bool = Field(
        False, title="Fail if missing values are encountered", description="Off: such rows get missing cells."
    )


def _legacy_apply_from_knime(knime: KnimeSettings) -> None:
    dims = knime.get("dimension_selection")
    if isinstance(dims, dict):
        knime.put(
            "dimension_selection",
            {k: dims[k] for k in ("choice", "intVal", "doubleVal") if k in dims},
            "dimension_selection",
        )
    knime.take("removeColumns")
    knime.take("failMissing")
    knime.unread("dimension_selection.eigenvalues")


def _apply_dimensions(
    settings: LegacyPCAApplySettings, eigenvalues: Any, n_columns: int
) -> tuple[int, str | None]:
    """PCAApplyNodeModel.configure's choice: -1 when only the eigenvalues can tell."""
    dims = settings.dimension_selection
    if dims.choice:
        k = dims.intVal
    elif eigenvalues is None:
        return -1, None
    else:
        k = _by_quality(np.asarray(eigenvalues), dims.doubleVal)
    limit = len(eigenvalues) if eigenvalues is not None else n_columns
    if k > limit:
        return limit, f"dimensions reset to {limit}"
    return k, None


def _check_apply_columns(columns: tuple[str, ...], spec: TableSpec) -> None:
    if not columns:
        raise ConfigureError("Linear transformation model has no columns selected")
    for name in columns:
        col = spec.get(name)
        if col is None:
            raise ConfigureError(f"unable to find input column {name}")
        if not col.is_numeric():
            raise ConfigureError(f'column "{name}" is not compatible with double')


class LegacyPCAApply(Node):
    """KNIME's first PCA Apply (mine.pca.PCAApplyNodeFactory)."""

    type_name = "pca_apply_legacy"
    display_name = "PCA Apply (legacy)"
    category = Category.PREDICTOR
    description = (
        "Projects a table onto the leading principal components of a PCA Compute (legacy) model: appends "
        "`PCA dimension 0`, ... (a fixed number, or as many as a minimum share of the model's eigenvalues needs); "
        "rows with a missing value get missing cells (or fail the node)."
    )
    keywords = ("principal component analysis", "projection", "apply", "legacy")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.pca.PCAApplyNodeFactory", "PCA Apply (legacy)", _legacy_apply_from_knime
        ),
    )
    inputs = (
        Port(PCA_LEGACY_MODEL, "PCA model", "From PCA Compute (legacy)."),
        Port(TABLE, "Input data", "Must hold the model's columns."),
    )
    outputs = (Port(TABLE, "Projected data", "The input plus the principal component columns."),)
    Settings = LegacyPCAApplySettings

    def configure(self, in_specs: list[Any], settings: LegacyPCAApplySettings, ctx: NodeContext) -> list[Any]:
        model, spec = in_specs
        if not isinstance(model, ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        columns = tuple(model.learning_columns.names)
        _check_apply_columns(columns, spec)
        k, _ = _apply_dimensions(settings, model.details.get("eigenvalues"), len(columns))
        if k <= 0:
            return [UNKNOWN]
        return [_appended(spec, list(columns), k, settings.removeColumns)[0]]

    def execute(self, inputs: list[Any], settings: LegacyPCAApplySettings, ctx: NodeContext) -> list[Any]:
        model_obj, table = inputs
        model = model_obj.payload if isinstance(model_obj, Model) else None
        if not isinstance(model, LegacyPCAModel):
            raise NodeError("the model port holds no PCA model")
        try:
            _check_apply_columns(model.columns, table.spec)
        except ConfigureError as exc:
            raise NodeError(str(exc)) from None
        k, note = _apply_dimensions(settings, model.eigenvalues, len(model.columns))
        if k == -1:
            raise NodeError("Number of dimensions not correct configured")
        if note:
            ctx.warn(note)
        values = _values(table, list(model.columns))
        if settings.failMissing and np.isnan(values).any():
            raise NodeError("data table contains missing values", setting="failMissing")
        basis = _sorted_vectors(model.vectors, model.eigenvalues, k)
        return [_project(table, list(model.columns), values, model.means, basis, settings.removeColumns)]
