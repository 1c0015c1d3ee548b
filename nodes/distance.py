"""Bit Vector Distances: KNIME's node of the Distance Matrix extension that configures a distance
measure on a bit-vector (fingerprint) column.

Like KNIME's node it computes nothing itself: its output is a distance measure port (KNIME's
`DistanceMeasurePortObject`), which a distance node applies to its own rows; in knitflow Distance
Matrix Calculate takes it on its optional second input and fills its distance column with it (the
column the clustering nodes read). The input table only supplies the columns to choose from, as in
KNIME. The measures are in `nodes._distance_measure`.
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
from nodes._distance_measure import DISTANCE_MEASURE, BitVectorDistance


class BitVectorDistancesSettings(NodeSettings):
    column: str | None = Field(
        None,
        title="Column Selection",
        description="The bit-vector column the distances are computed on (default: the first one).",
    )
    distance: Literal["Tanimoto", "Dice", "Cosine"] = Field(
        "Tanimoto",
        title="Distance Selection",
        description="1 - Tanimoto, 1 - Dice or 1 - cosine similarity of the set bits.",
    )


def _measure_spec(measure: BitVectorDistance) -> ModelSpec:
    return ModelSpec(
        "distance_measure",
        learning_columns=TableSpec.of([(measure.column, ColumnType.BIT_VECTOR)]),
        details={"distance": measure.measure},
    )


class BitVectorDistances(Node):
    """KNIME's Bit Vector Distances: a Tanimoto, Dice or cosine distance on a fingerprint column."""

    type_name = "bit_vector_distances"
    display_name = "Bit Vector Distances"
    category = Category.MANIPULATOR
    description = (
        "Configures a distance measure on a bit-vector column (1 - Tanimoto, 1 - Dice or 1 - cosine similarity "
        "of the set bits) and outputs it on a distance-measure port, as KNIME's node does; Distance Matrix "
        "Calculate applies it to its rows (its optional second input). No KNIME mapping yet: the settings layout "
        "of KNIME's node (closed-source Distance Matrix extension) is not known."
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
    inputs = (Port(TABLE, "Input table", "The table whose bit-vector column the measure reads."),)
    outputs = (Port(DISTANCE_MEASURE, "Distance measure", "The configured measure."),)
    Settings = BitVectorDistancesSettings

    @staticmethod
    def _measure(spec: TableSpec, settings: BitVectorDistancesSettings) -> BitVectorDistance:
        if settings.column is None:
            columns = [c.name for c in spec.columns if c.type == ColumnType.BIT_VECTOR]
            if not columns:
                raise ConfigureError("the input has no bit-vector column", setting="column")
            return BitVectorDistance(columns[0], settings.distance)
        measure = BitVectorDistance(settings.column, settings.distance)
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
