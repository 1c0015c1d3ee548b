"""Bit Vector Distances and Numeric Distances: KNIME's nodes of the Distance Matrix extension that
configure a distance measure on a bit-vector (fingerprint) column or on numeric columns.

Like KNIME's nodes they compute nothing themselves: the output is a distance measure port (KNIME's
`DistanceMeasurePortObject`), which a distance node applies to its own rows; in knitflow Distance
Matrix Calculate takes it on its optional second input and fills its distance column with it (the
column the clustering nodes read), and DBSCAN clusters with it. The input table only supplies the
columns to choose from, as in KNIME. The measures are in `nodes._distance_measure`.
"""

from __future__ import annotations

from typing import Any, Literal

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
    NodeSettings,
    Port,
    Table,
    TableSpec,
)
from engine.api.knime import KnimeMapping, KnimeSettings, seq
from nodes._common import ColumnFilter
from nodes._distance_measure import DISTANCE_MEASURE, BitVectorDistance, NumericDistance


class BitVectorDistancesSettings(NodeSettings):
    column: str | None = Field(
        None,
        title="Column Selection",
        description="The bit-vector column the distances are computed on (default: the first one).",
    )
    distance: Literal["Tanimoto", "Dice", "Cosine", "Tversky"] = Field(
        "Tanimoto",
        title="Distance Selection",
        description="1 - Tanimoto, 1 - Dice, 1 - cosine or 1 - Tversky similarity of the set bits.",
    )
    alpha: float = Field(
        1.0,
        ge=0,
        description="Tversky: the weight of the bits only the first vector has (1: Tanimoto, 0.5: Dice).",
    )
    beta: float = Field(
        1.0,
        ge=0,
        description="Tversky: the weight of the bits only the second vector has (1: Tanimoto, 0.5: Dice).",
    )


_BIT_VECTOR_FACTORIES = "org.knime.distance.measure.bitvector"
_TVERSKY = f"{_BIT_VECTOR_FACTORIES}.tversky.TverskyDistanceFactory"
_BIT_COSINE = f"{_BIT_VECTOR_FACTORIES}.cosine.CosineDistanceFactory"


def _bit_vector_column_from_knime(knime: KnimeSettings) -> None:
    """KNIME 3.x saves the one column as `columns`; a column filter (`datacolfilter`, as the numeric
    node saves it) is read when it names exactly one column."""
    if knime.get("columns") is not None:
        knime.put("column", str(knime.get("columns")), "columns")
        return
    flt = knime.get("datacolfilter")
    included = [str(n) for n in seq(flt.get("included_names"))] if isinstance(flt, dict) else []
    if (
        isinstance(flt, dict)
        and flt.get("filter-type", "STANDARD") == "STANDARD"
        and flt.get("enforce_option") == "EnforceInclusion"
        and len(included) == 1
    ):
        knime.put("column", included[0], "datacolfilter")
    elif flt is not None:
        knime.lost(
            "datacolfilter does not name exactly one bit-vector column; knitflow's measure reads one column"
        )


def _bit_vector_distances_from_knime(knime: KnimeSettings) -> None:
    """`distance-config` names the measure's factory and holds its parameters in a config named
    after it. Tversky (alpha, beta; 1/1 is Tanimoto, 0.5/0.5 Dice) and cosine are KNIME's own bit
    measures knitflow computes; an asymmetric Tversky (alpha != beta) is a finding, since which row
    of a pair KNIME weighs by alpha is not known."""
    _bit_vector_column_from_knime(knime)
    config = knime.get("distance-config")
    config = config if isinstance(config, dict) else {}
    factory = config.get("distance-factory-id")
    params = config.get(factory) if isinstance(factory, str) else None
    params = params if isinstance(params, dict) else {}
    if factory == _TVERSKY:
        alpha, beta = float(params.get("alpha", 1.0)), float(params.get("beta", 1.0))
        knime.put("distance", "Tversky", "distance-config.distance-factory-id")
        knime.put("alpha", alpha, f"distance-config.{factory}.alpha")
        knime.put("beta", beta, f"distance-config.{factory}.beta")
        if alpha != beta:
            knime.lost(
                f"Tversky alpha {alpha} != beta {beta}: which row of a pair KNIME weighs by alpha is not known"
            )
        rest = {k: v for k, v in params.items() if k not in ("alpha", "beta")}
    elif factory == _BIT_COSINE:
        knime.put("distance", "Cosine", "distance-config.distance-factory-id")
        rest = params
    else:
        knime.lost(
            f"distance measure {factory!r} is not supported; knitflow computes KNIME's Tversky and cosine"
        )
        rest = {}
    for key, value in rest.items():
        knime.lost(f"setting distance-config.{factory}.{key} = {value!r} has no counterpart in knitflow")
    for key, value in config.items():
        if key not in ("distance-factory-id", factory):
            knime.lost(f"setting distance-config.{key} = {value!r} has no counterpart in knitflow")
    knime.unread("datacolfilter", "distance-config")


def _measure_spec(measure: BitVectorDistance) -> ModelSpec:
    return ModelSpec(
        "distance_measure",
        learning_columns=TableSpec.of([(measure.column, ColumnType.BIT_VECTOR)]),
        details={"distance": measure.measure}
        | ({"alpha": measure.alpha, "beta": measure.beta} if measure.measure == "Tversky" else {}),
    )


class BitVectorDistances(Node):
    """KNIME's Bit Vector Distances: a Tanimoto, Dice, Tversky or cosine distance on a fingerprint column."""

    type_name = "bit_vector_distances"
    display_name = "Bit Vector Distances"
    category = Category.MANIPULATOR
    description = (
        "Configures a distance measure on a bit-vector column (1 - Tanimoto, 1 - Dice, 1 - Tversky or 1 - cosine "
        "similarity of the set bits) and outputs it on a distance-measure port, as KNIME's node does; Distance "
        "Matrix Calculate applies it to its rows (its optional second input)."
    )
    keywords = (
        "distance",
        "fingerprint",
        "tanimoto",
        "jaccard",
        "dice",
        "cosine",
        "bit vector",
        "similarity",
    )
    knime = (
        KnimeMapping(
            "org.knime.distance.measure.bitvector.BitVectorDistanceNodeFactory",
            "Bit Vector Distances",
            _bit_vector_distances_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "The table whose bit-vector column the measure reads."),)
    outputs = (Port(DISTANCE_MEASURE, "Distance measure", "The configured measure."),)
    Settings = BitVectorDistancesSettings

    @staticmethod
    def _measure(spec: TableSpec, settings: BitVectorDistancesSettings) -> BitVectorDistance:
        if settings.column is None:
            columns = [c.name for c in spec.columns if c.type == ColumnType.BIT_VECTOR]
            if not columns:
                raise ConfigureError("the input has no bit-vector column", setting="column")
            return BitVectorDistance(columns[0], settings.distance, settings.alpha, settings.beta)
        measure = BitVectorDistance(settings.column, settings.distance, settings.alpha, settings.beta)
        problem = measure.check({c.name: c.type for c in spec.columns})
        if problem:
            raise ConfigureError(problem, setting="column")
        return measure

    def configure(
        self, in_specs: list[Any], settings: BitVectorDistancesSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_measure_spec(self._measure(spec, settings))]

    def execute(self, inputs: list[Any], settings: BitVectorDistancesSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        measure = self._measure(table.spec, settings)
        summary = f"{measure.measure} distance on {measure.column!r}"
        return [Model("distance_measure", measure, summary, spec=_measure_spec(measure))]


# ------------------------------------------------------------------------------------ Numeric Distances

_LNORM = "org.knime.distance.measure.numerical.lnorm.LNormDistanceFactory"
_MEASURE_NAMES = {"LNorm": "Standard Distance (Euclidean/ Manhattan)", "Cosine": "Cosine distance"}


class NumericDistancesSettings(NodeSettings):
    datacolfilter: ColumnFilter = Field(
        default_factory=ColumnFilter,
        title="Column Selection",
        description="The numeric columns the distance is computed on (default: all numeric columns).",
    )
    distance: Literal["LNorm", "Cosine"] = Field(
        "LNorm",
        title="Distance Selection",
        description="LNorm: KNIME's standard distance (sum |x_i - y_i|^p)^(1/p), p = 2 Euclidean, p = 1 "
        "Manhattan; Cosine: 1 - x.y / (|x| |y|) (no KNIME mapping: its settings layout is not known).",
    )
    lnorm_p: float = Field(
        2.0, gt=0, title="p", description="LNorm: the exponent p (2 Euclidean, 1 Manhattan, else Minkowski)."
    )


def _numeric_distances_from_knime(knime: KnimeSettings) -> None:
    """`distance-config` names the measure's factory and holds its settings in a config named after
    it (a key with dots, so it is read by hand); only the standard distance's layout is known. FAIL
    on missing values and no normalisation are what knitflow computes; other values are findings."""
    knime.take("datacolfilter")
    config = knime.get("distance-config")
    config = config if isinstance(config, dict) else {}
    factory = config.get("distance-factory-id")
    if factory != _LNORM:
        knime.lost(f"distance measure {factory!r} is not supported; knitflow reads only {_LNORM}")
        knime.unread("distance-config")
        return
    knime.put("distance", "LNorm", "distance-config.distance-factory-id")
    measure = config.get(_LNORM)
    for key, value in (measure if isinstance(measure, dict) else {}).items():
        path = f"distance-config.{_LNORM}.{key}"
        if key == "lnorm-p":
            knime.put("lnorm_p", float(value), path)
        elif (key, value) not in (("missing-value-handling", "FAIL"), ("normalize-distance", False)):
            knime.lost(f"setting {path} = {value!r} has no counterpart in knitflow")
    for key, value in config.items():
        if key not in ("distance-factory-id", _LNORM):
            knime.lost(f"setting distance-config.{key} = {value!r} has no counterpart in knitflow")
    knime.unread()


def _numeric_spec(spec: TableSpec, measure: NumericDistance) -> ModelSpec:
    return ModelSpec(
        "distance_measure",
        learning_columns=spec.select(list(measure.columns)),
        details={"distance": _MEASURE_NAMES[measure.measure], "p": measure.p},
    )


class NumericDistances(Node):
    """KNIME's Numeric Distances: a p-norm (Euclidean, Manhattan, Minkowski) or cosine distance."""

    type_name = "numeric_distances"
    display_name = "Numeric Distances"
    category = Category.MANIPULATOR
    description = (
        "Configures a distance measure on numeric columns (KNIME's standard distance: the p-norm, p = 2 "
        "Euclidean, p = 1 Manhattan; or the cosine distance) and outputs it on a distance-measure port, as "
        "KNIME's node does; DBSCAN and Distance Matrix Calculate apply it to their rows. A missing value "
        "fails when the distances are computed (KNIME's FAIL handling); KNIME's other missing-value "
        "handling and its normalisation are not supported (an import reports them)."
    )
    keywords = ("distance", "euclidean", "manhattan", "minkowski", "cosine", "p-norm", "metric")
    knime = (
        KnimeMapping(
            "org.knime.distance.measure.numerical.NumericalDistanceNodeFactory",
            "Numeric Distances",
            _numeric_distances_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table", "The table whose numeric columns the measure reads."),)
    outputs = (Port(DISTANCE_MEASURE, "Distance measure", "The configured measure."),)
    Settings = NumericDistancesSettings

    @staticmethod
    def _measure(spec: TableSpec, settings: NumericDistancesSettings) -> NumericDistance:
        columns = settings.datacolfilter.apply(spec, allowed_types=ColumnType.NUMERIC)
        if not columns:
            raise ConfigureError("no numeric column selected", setting="datacolfilter")
        return NumericDistance(tuple(columns), settings.distance, settings.lnorm_p)

    def configure(
        self, in_specs: list[Any], settings: NumericDistancesSettings, ctx: NodeContext
    ) -> list[Any]:
        spec = in_specs[0]
        if not isinstance(spec, TableSpec):
            return [UNKNOWN]
        return [_numeric_spec(spec, self._measure(spec, settings))]

    def execute(self, inputs: list[Any], settings: NumericDistancesSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        measure = self._measure(table.spec, settings)
        name = _MEASURE_NAMES[measure.measure] + (
            f", p = {measure.p:g}" if measure.measure == "LNorm" else ""
        )
        summary = f"{name} on {len(measure.columns)} column(s)"
        return [Model("distance_measure", measure, summary, spec=_numeric_spec(table.spec, measure))]
