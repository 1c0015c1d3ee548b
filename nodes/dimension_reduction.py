"""PCA, PCA Compute and PCA Apply as KNIME computes them (org.knime.base.node.mine.transformation.pca).

KNIME's PCA (`org.knime.base.data.statistics.calculation.PCA`, `TransformationMatrix`): column means
by commons-math's incremental `Mean`, the covariance matrix as the sum of the centred rows' outer
products times 1/(n-1) (rows with a missing value skipped), its eigen decomposition by commons-math's
`EigenDecomposition`, eigenvectors sorted by descending eigenvalue and scaled to unit length, and
each row projected as `eigenvectors x (row - means)`. knitflow repeats these steps operation for
operation (`nodes._commons_math`), so the numbers and, above all, the signs of the components are
KNIME's: an eigenvector is only defined up to its sign, and NumPy's LAPACK may return the opposite one.
"""

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
from engine.api.knime import KnimeMapping, KnimeSettings
from nodes._common import ColumnFilter
from nodes._commons_math import incremental_means, scatter_matrix, sequential_project, symmetric_eigen

PCA_MODEL = PortType.register(PortType("model.pca", "PCA model", "#3a7ca5", "square"))
PREFIX = "PCA dimension "  # TransformationType.PCA.getColPrefix()
MISSING_VALUES = (
    "Missing values are not supported. Please de-select <Fail if missing values are encountered>."
)


@dataclass(frozen=True)
class PCATransformation:
    """KNIME's `TransformationMatrix` of a PCA: the used columns, their means (centers), the
    eigenvalues in descending order and the unit eigenvectors as rows."""

    columns: tuple[str, ...]
    centers: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @property
    def max_dimensions(self) -> int:
        return len(self.columns)

    def dimensions_for(self, information: float) -> int:
        """`TransformationUtils.calcDimForGivenInfPreservation`: the fewest leading components whose
        eigenvalues hold `information` percent of their sum."""
        k = self.max_dimensions
        if information >= 100.0:
            return k
        norm = 0.0
        for value in self.eigenvalues[:k]:
            norm += float(value)
        total = 0.0
        for i, value in enumerate(self.eigenvalues[:k]):
            total += float(value)
            if total / norm >= information / 100.0:
                return i + 1
        return k

    def project(self, values: np.ndarray, k: int) -> np.ndarray:
        """The first k coordinates of each row (NaN for a row with a missing value)."""
        ok = ~np.isnan(values).any(axis=1)
        out = np.full((len(values), k), np.nan)
        if ok.any():
            centered = values[ok] + (-1.0) * self.centers  # combineToSelf(1, -1, centers)
            out[ok] = sequential_project(self.eigenvectors[:k], centered)
        return out


def _numeric_matrix(table: Table, columns: list[str]) -> np.ndarray:
    return np.column_stack(
        [pd.to_numeric(table.df[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in columns]
    ).reshape(len(table), len(columns))


def compute_pca(
    table: Table, columns: list[str], fail_on_missings: bool
) -> tuple[PCATransformation, np.ndarray, int]:
    """KNIME's `PCA.calcTransformationMatrix`: the transformation, the covariance matrix and the
    number of rows skipped for a missing value."""
    if len(table) == 0:
        raise NodeError("Cannot produce a PCA model for an empty table.")
    values = _numeric_matrix(table, columns)
    ok = ~np.isnan(values).any(axis=1)
    missing = int((~ok).sum())
    if missing and fail_on_missings:
        raise NodeError(MISSING_VALUES, setting="fail_on_missings")
    valid = values[ok]
    if len(valid) < 2:
        raise NodeError("The table has to contain at least two rows with valid values")
    means = incremental_means(valid)
    covariance = scatter_matrix(valid + (-1.0) * means) * (1 / (len(valid) - 1.0))
    eigenvalues, vectors = symmetric_eigen(covariance)
    order = sorted(range(len(eigenvalues)), key=lambda i: -eigenvalues[i])  # stable, descending
    unit = []
    for i in order:
        vec = vectors[i]
        norm = 0.0
        for a in vec:
            norm += float(a) * float(a)
        unit.append(vec * (1.0 / np.sqrt(norm)))  # mapMultiply(1 / getNorm())
    transformation = PCATransformation(
        tuple(columns), means, eigenvalues[order], np.array(unit).reshape(len(columns), len(columns))
    )
    return transformation, covariance, missing


def _used_columns(spec: TableSpec, flt: ColumnFilter, setting: str = "used_columns") -> list[str]:
    columns = flt.apply(spec, allowed_types=ColumnType.NUMERIC)
    if not columns:
        raise ConfigureError("Please select at least one column", setting=setting)
    return columns


def _appended_spec(spec: TableSpec, used: list[str], k: int, remove_used: bool) -> TableSpec:
    """`TransformationUtils.createColumnRearranger`: used columns removed if asked, then the k
    columns `PCA dimension 0..k-1`, made unique against what is left."""
    kept = [c for c in spec.columns if not (remove_used and c.name in used)]
    names = {c.name for c in kept}
    new = []
    for i in range(k):
        name = unique_column_name(names, f"{PREFIX}{i}")
        names.add(name)
        new.append((name, ColumnType.DOUBLE))
    return TableSpec(tuple(kept)).append(*new)


def _project_table(table: Table, transformation: PCATransformation, k: int, remove_used: bool) -> Table:
    used = list(transformation.columns)
    out_spec = _appended_spec(table.spec, used, k, remove_used)
    coords = transformation.project(_numeric_matrix(table, used), k)
    df = table.df.drop(columns=used) if remove_used else table.df.copy()
    new_names = out_spec.names[len(out_spec) - k :]
    for i, name in enumerate(new_names):
        df[name] = coords[:, i]
    return table.with_frame(df, dict.fromkeys(new_names, ColumnType.DOUBLE))


def _model(transformation: PCATransformation) -> Model:
    summary = (
        f"PCA of {len(transformation.columns)} columns; eigenvalues "
        + ", ".join(f"{v:.4g}" for v in transformation.eigenvalues[:4])
        + (" ..." if len(transformation.eigenvalues) > 4 else "")
    )
    return Model("pca", transformation, summary, spec=_model_spec(list(transformation.columns)))


def _model_spec(columns: list[str]) -> ModelSpec:
    return ModelSpec(
        "pca",
        TableSpec.of((c, ColumnType.DOUBLE) for c in columns),
        details={"columns": tuple(columns), "max_dimensions": len(columns)},
    )


class ApplySettingsMixin(NodeSettings):
    """KNIME's `PCAApplySettings`: how many dimensions to keep and whether to drop the used columns."""

    use_fixed_number_dimensions: bool = Field(
        True,
        title="Dimensions to reduce to (instead of information preservation)",
        description="Keep number_of_dimensions components; otherwise as many as information_preservation asks.",
    )
    number_of_dimensions: int = Field(
        2, ge=1, title="Dimensions", description="Number of components to keep."
    )
    information_preservation: float = Field(
        100.0,
        gt=0.0,
        le=100.0,
        title="Minimum information fraction (%)",
        description="Keep the fewest components whose eigenvalues sum to at least this percentage.",
    )
    remove_used_columns: bool = Field(
        False, title="Remove original data columns", description="Drop the columns the PCA was computed on."
    )


class PCASettings(ApplySettingsMixin):
    used_columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="The numeric columns the PCA is computed on (default: all numeric columns).",
    )
    fail_on_missings: bool = Field(
        False,
        title="Fail if missing values are encountered",
        description="Fail on a missing value; otherwise rows with one are skipped and project to missing cells.",
    )


class PCAComputeSettings(NodeSettings):
    used_columns: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Columns",
        description="The numeric columns the PCA is computed on (default: all numeric columns).",
    )
    fail_on_missings: bool = Field(
        False,
        title="Fail if missing values are encountered",
        description="Fail on a missing value; otherwise rows with one are skipped.",
    )


class PCAApplySettings(ApplySettingsMixin):
    fail_on_missings: bool = Field(
        False,
        title="Fail if missing values are encountered",
        description="Kept for KNIME's settings; as in KNIME (TransformationUtils projects with failOnMissings "
        "off), rows with a missing value get missing coordinates.",
    )


def _compute_keys(knime: KnimeSettings) -> None:
    knime.take("used_columns")
    knime.take("fail_on_missings")


def _apply_keys(knime: KnimeSettings) -> None:
    for key in (
        "use_fixed_number_dimensions",
        "number_of_dimensions",
        "information_preservation",
        "remove_used_columns",
        "fail_on_missings",
    ):
        knime.take(key)


def _compute_from_knime(knime: KnimeSettings) -> None:
    _compute_keys(knime)
    knime.unread()


def _apply_from_knime(knime: KnimeSettings) -> None:
    _apply_keys(knime)
    knime.unread()


def _pca_from_knime(knime: KnimeSettings) -> None:
    _compute_keys(knime)
    _apply_keys(knime)
    knime.unread()


def _check_fixed(settings: ApplySettingsMixin, max_dim: int) -> None:
    if settings.use_fixed_number_dimensions and settings.number_of_dimensions > max_dim:
        raise ConfigureError(
            f"The number of dimensions to project to ({settings.number_of_dimensions}) must be less than or "
            f"equal to the number of selected columns ({max_dim})",
            setting="number_of_dimensions",
        )


def _dimensions(settings: ApplySettingsMixin, transformation: PCATransformation) -> int:
    if settings.use_fixed_number_dimensions:
        return settings.number_of_dimensions
    return transformation.dimensions_for(settings.information_preservation)


class PCA(Node):
    """KNIME's PCA node (PCA2NodeFactory)."""

    type_name = "pca"
    display_name = "PCA"
    category = Category.MANIPULATOR
    description = (
        "Principal component analysis: appends the projections `PCA dimension 0`, `PCA dimension 1`, ... of the "
        "selected numeric columns onto the leading eigenvectors of their covariance matrix, keeping a fixed number "
        "of dimensions or as many as a minimum information fraction needs; optionally removes the original columns. "
        "Computed step for step as KNIME does, so the signs of the components are KNIME's."
    )
    keywords = ("principal component analysis", "dimension reduction", "eigenvector", "projection")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.transformation.pca.perform.PCA2NodeFactory", "PCA", _pca_from_knime
        ),
    )
    inputs = (Port(TABLE, "Input data", "The table with the numeric columns to reduce."),)
    outputs = (Port(TABLE, "Projected data", "The input plus the principal component columns."),)
    Settings = PCASettings

    def configure(self, in_specs: list[Any], settings: PCASettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        used = _used_columns(spec, settings.used_columns)
        if not settings.use_fixed_number_dimensions:
            return [UNKNOWN]  # the number of dimensions depends on the eigenvalues
        _check_fixed(settings, len(used))
        return [_appended_spec(spec, used, settings.number_of_dimensions, settings.remove_used_columns)]

    def execute(self, inputs: list[Any], settings: PCASettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        used = _used_columns(table.spec, settings.used_columns)
        transformation, _, missing = compute_pca(table, used, settings.fail_on_missings)
        if missing:
            ctx.warn(f"{missing} row(s) with missing values were ignored for the PCA")
        k = _dimensions(settings, transformation)
        return [_project_table(table, transformation, k, settings.remove_used_columns)]


class PCACompute(Node):
    """KNIME's PCA Compute (PCA2ComputeNodeFactory)."""

    type_name = "pca_compute"
    display_name = "PCA Compute"
    category = Category.LEARNER
    description = (
        "Computes a PCA model: the covariance matrix (RowIDs = column names), the spectral decomposition (one row "
        "per eigenvector, `0. eigenvector`, ..., with its eigenvalue and components, largest eigenvalue first) and "
        "the model PCA Apply projects with."
    )
    keywords = ("principal component analysis", "covariance", "eigenvalue", "spectral decomposition")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.transformation.pca.compute.PCA2ComputeNodeFactory",
            "PCA Compute",
            _compute_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input data", "The table with the numeric columns."),)
    outputs = (
        Port(TABLE, "Covariance matrix", "The covariance matrix of the used columns."),
        Port(TABLE, "Spectral decomposition", "`eigenvalue` and the eigenvector's components per row."),
        Port(PCA_MODEL, "PCA model", "The transformation for PCA Apply."),
    )
    Settings = PCAComputeSettings

    def configure(self, in_specs: list[Any], settings: PCAComputeSettings, ctx: NodeContext) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN, UNKNOWN, UNKNOWN]
        used = _used_columns(spec, settings.used_columns)
        cov = TableSpec.of((c, ColumnType.DOUBLE) for c in used)
        decomposition = TableSpec.of(
            [("eigenvalue", ColumnType.DOUBLE)] + [(c, ColumnType.DOUBLE) for c in used]
        )
        return [cov, decomposition, _model_spec(used)]

    def execute(self, inputs: list[Any], settings: PCAComputeSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        self.configure([table.spec], settings, ctx)
        used = _used_columns(table.spec, settings.used_columns)
        transformation, covariance, missing = compute_pca(table, used, settings.fail_on_missings)
        if missing:
            ctx.warn(f"{missing} row(s) with missing values were ignored for the PCA")
        cov = Table(
            pd.DataFrame(covariance, columns=used, index=pd.Index(used, dtype=object)),
            dict.fromkeys(used, ColumnType.DOUBLE),
        )
        rows = np.column_stack([transformation.eigenvalues, transformation.eigenvectors])
        decomposition = Table(
            pd.DataFrame(
                rows,
                columns=["eigenvalue", *used],
                index=pd.Index([f"{i}. eigenvector" for i in range(len(used))], dtype=object),
            ),
            dict.fromkeys(["eigenvalue", *used], ColumnType.DOUBLE),
        )
        return [cov, decomposition, _model(transformation)]


class PCAApply(Node):
    """KNIME's PCA Apply (PCA2ApplyNodeFactory)."""

    type_name = "pca_apply"
    display_name = "PCA Apply"
    category = Category.PREDICTOR
    description = (
        "Projects a table with a PCA model from PCA Compute: appends `PCA dimension 0`, ... (a fixed number of "
        "dimensions or as many as a minimum information fraction needs), optionally removing the model's columns."
    )
    keywords = ("principal component analysis", "projection", "dimension reduction")
    knime = (
        KnimeMapping(
            "org.knime.base.node.mine.transformation.pca.apply.PCA2ApplyNodeFactory",
            "PCA Apply",
            _apply_from_knime,
        ),
    )
    inputs = (
        Port(PCA_MODEL, "PCA model", "The model from PCA Compute."),
        Port(TABLE, "Input data", "The table to project; it must contain the model's columns."),
    )
    outputs = (Port(TABLE, "Projected data", "The input plus the principal component columns."),)
    Settings = PCAApplySettings

    def configure(self, in_specs: list[Any], settings: PCAApplySettings, ctx: NodeContext) -> list[Any]:
        model_spec, spec = in_specs
        if not isinstance(model_spec, ModelSpec) or not isinstance(spec, TableSpec):
            return [UNKNOWN]
        used = list(model_spec.details.get("columns", model_spec.learning_columns.names))
        for name in used:
            if name not in spec:
                raise ConfigureError(
                    f'The model is expecting column "{name}" which is missing in the input table.',
                    setting=None,
                )
        if not settings.use_fixed_number_dimensions:
            return [UNKNOWN]
        _check_fixed(settings, int(model_spec.details.get("max_dimensions", len(used))))
        return [_appended_spec(spec, used, settings.number_of_dimensions, settings.remove_used_columns)]

    def execute(self, inputs: list[Any], settings: PCAApplySettings, ctx: NodeContext) -> list[Any]:
        model: Model = inputs[0]
        table: Table = inputs[1]
        transformation: PCATransformation = model.payload
        self.configure([model.spec, table.spec], settings, ctx)
        k = _dimensions(settings, transformation)
        return [_project_table(table, transformation, k, settings.remove_used_columns)]
