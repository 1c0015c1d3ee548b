"""Shared parts of the Spark machine-learning nodes (pyspark.ml): the Spark ML model port and its
model object, saved as a zipped pipeline folder.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api import (
    ColumnType,
    ConfigureError,
    NodeContext,
    NodeError,
    PortType,
    TableSpec,
)
from nodes._spark import (
    spark_column,
    spark_data_spec,
)

SPARK_ML_MODEL = PortType.register(PortType("spark.model", "Spark ML model", "#a0522d", "square"))
LINEAR_REGRESSION_KIND = "MLLinearRegression"  # KNIME's model name (MLLinearRegressionLearnerNodeModel)
NOMINAL_FEATURES = frozenset({ColumnType.STRING, ColumnType.SMILES})


def _spec(obj: Any) -> TableSpec | None:
    return spark_data_spec(obj)


def _as_node_error(exc: ConfigureError) -> NodeError:
    return NodeError(str(exc), setting=exc.setting)


# ------------------------------------------------------------------ Spark Linear Regression Learner


@dataclass(eq=False)
class SparkMLModel:
    """KNIME's Spark ML model port object: the fitted pipeline (aliased feature columns, optional
    StringIndexer/OneHotEncoder stages, VectorAssembler, the regressor) plus what the predictor
    checks. The live pipeline lives in the JVM and outlasts a Spark session; pickling (a disk cache)
    stores the pipeline as MLlib writes it (KNIME keeps the same zip), written only then because
    writing costs seconds."""

    kind: str
    target: str
    features: list[str]
    feature_types: dict[str, str]
    aliases: dict[str, str]  # feature column -> the pipeline's input column
    prediction: str  # the pipeline's prediction column
    saved: bytes | None = field(default=None, repr=False)
    pipeline: Any = field(default=None, repr=False)  # the live PipelineModel (None after unpickling)

    def __getstate__(self) -> dict[str, Any]:
        if self.saved is None:
            self.saved = self._write()
        state = dict(self.__dict__)
        state["pipeline"] = None
        return state

    def _write(self) -> bytes:
        from pyspark import SparkContext

        if self.pipeline is None or SparkContext._active_spark_context is None:  # noqa: SLF001
            raise TypeError("a Spark ML model can only be stored while its Spark session runs")
        folder = Path(tempfile.mkdtemp(prefix="sparkmodel"))
        try:
            self.pipeline.write().overwrite().save(str(folder / "model"))
            return _zip_folder(folder / "model")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def live_pipeline(self, ctx: NodeContext) -> Any:
        if self.pipeline is None:
            from pyspark.ml import PipelineModel

            if self.saved is None:
                raise NodeError("the Spark ML model was lost; re-execute its learner")
            folder = Path(tempfile.mkdtemp(prefix="sparkmodel", dir=ctx.scratch_dir))
            with zipfile.ZipFile(io.BytesIO(self.saved)) as archive:
                archive.extractall(folder)
            self.pipeline = PipelineModel.load(str(folder))
        return self.pipeline

    def transform(self, frame: Any, columns: list[str], name: str, ctx: NodeContext) -> Any:
        """The input columns plus the prediction as `name`, rows in input order."""
        keep = [spark_column(c) for c in columns]
        aliased = frame.select(*keep, *[spark_column(f).alias(a) for f, a in self.aliases.items()])
        predicted = self.live_pipeline(ctx).transform(aliased)
        return predicted.select(
            *[spark_column(c) for c in columns], spark_column(self.prediction).alias(name)
        )


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()
