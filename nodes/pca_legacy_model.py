"""KNIME's first PCA Compute, PCA Apply and PCA Inversion (org.knime.base.node.mine.pca, KNIME 2.x): a
PCAModelPortObject of Jama's eigenvectors, eigenvalues and the column means, computed as the first PCA
node computes them (`nodes.pca_legacy`)."""

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
from nodes.pca_legacy import (
    PREFIX,
    PCADimensions,
    _appended,
    _by_quality,
    _covariance,
    _project,
    _sorted_vectors,
    _values,
)

PCA_LEGACY_MODEL = PortType.register(PortType("model.pca_legacy", "PCA model (legacy)", "#3a7ca5", "square"))


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


class LegacyPCAReverseSettings(NodeSettings):
    """PCAReverseNodeModel's settings: `pcaCols`, `removePCACOLS`, `failMissing`."""

    pcaCols: list[str] = Field(
        default_factory=list,
        title="PCA columns",
        description="The projected columns, in component order; empty (or naming a missing column): every column "
        "whose name starts with `PCA dimension `.",
    )
    removePCACOLS: bool = Field(True, title="Remove PCA columns", description="Drop the projected columns.")
    failMissing: bool = Field(
        False, title="Fail if missing values are encountered", description="Off: such rows get missing cells."
    )


def _reverse_columns(spec: TableSpec, settings: LegacyPCAReverseSettings) -> list[str]:
    names = list(settings.pcaCols)
    if not names or any(n not in spec for n in names):
        names = [c.name for c in spec.columns if c.name.startswith(PREFIX)]
    if not names:
        raise ConfigureError("no columns selected", setting="pcaCols")
    for name in names:
        if not spec.get(name).is_numeric():  # type: ignore[union-attr]
            raise ConfigureError(f'column "{name}" is not compatible with double', setting="pcaCols")
    return names


def _reversed_spec(spec: TableSpec, originals: list[str], used: list[str], remove: bool) -> TableSpec:
    out = spec.append(*((unique_column_name(spec.names, n), ColumnType.DOUBLE) for n in originals))
    return out.select([n for n in out.names if not (remove and n in used and n in spec)])


def _legacy_reverse_from_knime(knime: KnimeSettings) -> None:
    columns = knime.get("pcaCols")
    if isinstance(columns, dict):
        knime.put("pcaCols", [str(c) for c in seq(columns.get("InclList"))], "pcaCols")
    knime.take("removePCACOLS")
    knime.take("failMissing")
    knime.unread()


class LegacyPCAReverse(Node):
    """KNIME's first PCA Inversion (mine.pca.PCAReverseNodeFactory)."""

    type_name = "pca_reverse_legacy"
    display_name = "PCA Inversion (legacy)"
    category = Category.MANIPULATOR
    description = (
        "Maps projected columns (`PCA dimension 0`, ...) back to the original space of a PCA Compute (legacy) "
        "model: each original column is the sum of the projections times the leading eigenvectors' components, "
        "plus its mean (exact when every dimension was kept). Appends the original columns' names (unique), "
        "optionally removing the projected columns."
    )
    keywords = ("principal component analysis", "inverse", "reconstruct", "legacy")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.pca.PCAReverseNodeFactory",
            "PCA Inversion (legacy)",
            _legacy_reverse_from_knime,
        ),
    )
    inputs = (
        Port(PCA_LEGACY_MODEL, "PCA model", "From PCA Compute (legacy)."),
        Port(TABLE, "Projected data", "With the projected columns."),
    )
    outputs = (Port(TABLE, "Data in original space", "The input plus the reconstructed columns."),)
    Settings = LegacyPCAReverseSettings

    def configure(
        self, in_specs: list[Any], settings: LegacyPCAReverseSettings, ctx: NodeContext
    ) -> list[Any]:
        model, spec = in_specs
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        used = _reverse_columns(spec, settings)
        if not isinstance(model, ModelSpec):
            return [UNKNOWN]
        return [_reversed_spec(spec, list(model.learning_columns.names), used, settings.removePCACOLS)]

    def execute(self, inputs: list[Any], settings: LegacyPCAReverseSettings, ctx: NodeContext) -> list[Any]:
        model_obj, table = inputs
        model = model_obj.payload if isinstance(model_obj, Model) else None
        if not isinstance(model, LegacyPCAModel):
            raise NodeError("the model port holds no PCA model")
        try:
            used = _reverse_columns(table.spec, settings)
        except ConfigureError as exc:
            raise NodeError(str(exc), setting=exc.setting) from None
        if len(used) > len(model.columns):
            raise NodeError(f"{len(used)} PCA columns, but the model has {len(model.columns)} dimensions")
        values = _values(table, used)
        present = ~np.isnan(values).any(axis=1)
        if settings.failMissing and not present.all():
            raise NodeError("data table contains missing values", setting="failMissing")
        basis = _sorted_vectors(model.vectors, model.eigenvalues, len(used))
        rows = values[present]
        restored = np.zeros((len(rows), len(model.columns)))
        for j in range(len(used)):  # rowVec[i] += value_j * E[i][j], j in order, then the mean
            restored = restored + rows[:, j : j + 1] * basis[:, j][None, :]
        restored = restored + model.means
        out_spec = _reversed_spec(table.spec, list(model.columns), used, settings.removePCACOLS)
        df = table.df.copy()
        for i, name in enumerate(unique_column_name(table.spec.names, n) for n in model.columns):
            column = np.full(len(df), np.nan)
            column[present] = restored[:, i]
            df[name] = column
        return [Table(df[out_spec.names], {c.name: c.type for c in out_spec.columns})]
