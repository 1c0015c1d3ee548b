"""Small stand-ins for the tutorial's CSV Reader, Normalizer, Table View and Scorer, used by the
editor tests until the real node families exist. They are real (they read files, compute, and
have path settings, model ports and two-port scorers), only smaller."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    Category,
    ConfigureError,
    Model,
    Node,
    NodeError,
    NodeSettings,
    Port,
    PortType,
    Table,
    TableSpec,
    View,
)
from engine.core.table import type_of_dtype

NORM_MODEL = PortType.register(PortType("model.etest_normalizer", "Normalizer model", "#52b788", "square"))


class ReaderSettings(NodeSettings):
    path: str = Field("", description="CSV file to read (relative to the workflow's folder).")
    has_header: bool = Field(True, description="First line holds column names.")
    separator: str = Field(",", description="Column separator.")


class EtestCsvReader(Node):
    type_name = "etest_csv_reader"
    display_name = "CSV Reader (test)"
    category = Category.SOURCE
    description = "Reads a CSV file into a table."
    keywords = ("file", "csv", "read")
    outputs = (Port(TABLE, "File table"),)
    Settings = ReaderSettings
    path_settings = ("path",)

    def _read(self, settings: ReaderSettings, nrows: int | None = None) -> pd.DataFrame:
        if not settings.path:
            raise ConfigureError("no file chosen", setting="path")
        if not Path(settings.path).is_file():
            raise ConfigureError(f"file not found: {settings.path}", setting="path")
        return pd.read_csv(
            settings.path, sep=settings.separator, header=0 if settings.has_header else None, nrows=nrows
        )

    def configure(self, in_specs: list[Any], settings: ReaderSettings, ctx: Any) -> list[Any]:
        df = self._read(settings)
        return [TableSpec.of((str(c), type_of_dtype(df[c].dtype)) for c in df.columns)]

    def execute(self, inputs: list[Any], settings: ReaderSettings, ctx: Any) -> list[Any]:
        df = self._read(settings)
        df.columns = [str(c) for c in df.columns]
        return [Table.from_frame(df, new_row_ids=True)]


class NormalizerSettings(NodeSettings):
    columns: list[str] = Field(
        default_factory=list, description="Numeric columns to normalise (empty: all numeric)."
    )
    mode: Literal["minmax", "zscore"] = Field(
        "minmax", description="Min-max to [new_min, new_max] or z-score."
    )
    new_min: float = Field(0.0, description="Lower bound of the min-max range.")
    new_max: float = Field(1.0, description="Upper bound of the min-max range.")


class EtestNormalizer(Node):
    type_name = "etest_normalizer"
    display_name = "Normalizer (test)"
    category = Category.MANIPULATOR
    description = "Min-max or z-score normalisation of numeric columns."
    keywords = ("scale", "normalise", "normalize")
    inputs = (Port(TABLE, "Table to normalize"),)
    outputs = (Port(TABLE, "Normalized table"), Port(NORM_MODEL, "Normalizer model"))
    Settings = NormalizerSettings

    def _columns(self, spec: TableSpec, settings: NormalizerSettings) -> list[str]:
        if not settings.columns:
            return [c.name for c in spec.columns if c.is_numeric()]
        for name in settings.columns:
            if name not in spec:
                raise ConfigureError(f"column {name!r} not found in the input table", setting="columns")
            if not spec.get(name).is_numeric():  # type: ignore[union-attr]
                raise ConfigureError(f"column {name!r} is not numeric", setting="columns")
        return list(settings.columns)

    def configure(self, in_specs: list[Any], settings: NormalizerSettings, ctx: Any) -> list[Any]:
        spec = in_specs[0]
        if spec is UNKNOWN:
            return [UNKNOWN, UNKNOWN]
        cols = self._columns(spec, settings)
        out = spec
        for c in cols:
            out = out.replace(c, "Double")
        return [out, UNKNOWN]

    def execute(self, inputs: list[Any], settings: NormalizerSettings, ctx: Any) -> list[Any]:
        table: Table = inputs[0]
        cols = self._columns(table.spec, settings)
        df = table.df.copy()
        params = {}
        for c in cols:
            x = df[c].astype(float)
            if settings.mode == "minmax":
                lo, hi = x.min(), x.max()
                span = (hi - lo) or 1.0
                df[c] = (x - lo) / span * (settings.new_max - settings.new_min) + settings.new_min
                params[c] = (lo, hi)
            else:
                mu, sd = x.mean(), x.std() or 1.0
                df[c] = (x - mu) / sd
                params[c] = (mu, sd)
        ctx.push_variable("normalized_columns", len(cols))
        model = Model("etest_normalizer", params, f"{settings.mode} on {len(cols)} column(s)")
        return [table.with_frame(df, {c: "Double" for c in cols}), model]


class EtestTableView(Node):
    type_name = "etest_table_view"
    display_name = "Table View (test)"
    category = Category.VISUALIZER
    description = "Shows a table."
    inputs = (Port(TABLE, "Table"),)
    outputs = (Port(PortType.VIEW, "View"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        return [View(title="Table view", table=inputs[0])]


class ScorerSettings(NodeSettings):
    first_column: str = Field("", description="Column with the true classes.")
    second_column: str = Field("", description="Column with the predicted classes.")


class EtestScorer(Node):
    type_name = "etest_scorer"
    display_name = "Scorer (test)"
    category = Category.SCORER
    description = "Confusion matrix and accuracy of two class columns."
    keywords = ("accuracy", "confusion")
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Confusion matrix"), Port(TABLE, "Accuracy statistics"))
    Settings = ScorerSettings

    def configure(self, in_specs: list[Any], settings: ScorerSettings, ctx: Any) -> list[Any]:
        spec = in_specs[0]
        for setting in ("first_column", "second_column"):
            name = getattr(settings, setting)
            if not name:
                raise ConfigureError(f"choose the {setting.replace('_', ' ')}", setting=setting)
            if spec is not UNKNOWN and name not in spec:
                raise ConfigureError(f"column {name!r} not found in the input table", setting=setting)
        return [UNKNOWN, TableSpec.of([("Accuracy", "Double"), ("Error", "Double"), ("Correct", "Integer")])]

    def execute(self, inputs: list[Any], settings: ScorerSettings, ctx: Any) -> list[Any]:
        df = inputs[0].df
        truth, pred = df[settings.first_column].astype(str), df[settings.second_column].astype(str)
        if len(df) == 0:
            raise NodeError("the input table is empty")
        matrix = pd.crosstab(truth, pred)
        matrix.index = [str(i) for i in matrix.index]
        matrix.columns = [str(c) for c in matrix.columns]
        correct = int((truth == pred).sum())
        acc = correct / len(df)
        ctx.push_variable("Accuracy", acc)
        stats = pd.DataFrame({"Accuracy": [acc], "Error": [1 - acc], "Correct": [correct]}, index=["Overall"])
        return [Table(matrix), Table(stats, {"Correct": "Integer"})]


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG without matplotlib (keeps the editor tests fast)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


class EtestPlot(Node):
    type_name = "etest_plot"
    display_name = "Plot (test)"
    category = Category.VISUALIZER
    description = "A picture whose width is the number of rows."
    inputs = (Port(TABLE, "Table"),)
    outputs = (Port(PortType.VIEW, "Image"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        return [View(png=_png(max(1, len(inputs[0])) * 10, 20, (43, 148, 177)), title="Rows")]
