"""Rule-based Row Splitter and Filter, Image Writer (Port), Data to Report and Cache.

- Rule-based Row Splitter (org.knime.base.node.rules.engine.RuleEngineFilterNodeModel in its
  splitter form): the Rule Engine's rules, whose outcomes are TRUE or FALSE, route each row. The
  first rule that matches decides: TRUE sends the row to the first output, FALSE to the second; a row
  no rule matches goes to the second. With `include` off the two outputs swap roles. An outcome that
  is not a Boolean (a missing value) counts as TRUE, as in KNIME. The Rule-based Row Filter is the
  same node with only the first output.
- Image Writer (Port) (org.knime.base.node.io.filehandling.imagewriter.ImagePortWriterNodeModel):
  writes the picture on an image port to a file.
- Data to Report (org.knime.reporting.nodes.dataset): KNIME hands the table to its BIRT report
  designer; here the node passes the table through, so the run keeps it with the outputs.
"""

from __future__ import annotations

import base64
import struct
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from engine.api import (
    TABLE,
    UNKNOWN,
    VARIABLES,
    VIEW,
    Category,
    ConfigureError,
    Node,
    NodeContext,
    NodeError,
    NodeSettings,
    Port,
    Table,
    TableSpec,
    View,
    atomic_write,
)
from engine.api.knime import KnimeMapping, KnimeSettings, file_name, get, seq
from nodes._common import output_file
from nodes._expressions import (
    BOOLEAN,
    ExpressionError,
    Rows,
    RuleEvaluator,
    UnknownAtConfigure,
    is_rule_comment,
    parse_rule,
)

# ------------------------------------------------------------------------- Rule-based Row Splitter


class RuleSplitterSettings(NodeSettings):
    rules: list[str] = Field(
        default_factory=list,
        description=(
            "The rules, one per line: `condition => TRUE` or `condition => FALSE`, e.g. `$dE$ >= 0 => TRUE`. The "
            "first matching rule decides where a row goes; lines starting with // are comments. The Rule Engine's "
            "language: < <= = >= >, AND, OR, XOR, NOT, LIKE, MATCHES, IN, MISSING; $$ROWID$$, $$ROWINDEX$$, "
            "$$ROWCOUNT$$, flow variables $${Sname}$$."
        ),
    )
    include: bool = Field(
        True,
        title="TRUE matches go to the first output",
        description="On: rows whose first matching rule says TRUE go to the first output, all others to the second. "
        "Off: the other way round.",
    )


def _rule_splitter_from_knime(knime: KnimeSettings) -> None:
    knime.take("rules", transform=lambda v: [str(x) for x in seq(v)])
    knime.take("include")
    # RuleEngineFilterNodeModel saves the Rule Engine's column settings too; the splitter ignores them


def _parsed_rules(settings: RuleSplitterSettings, cls: type[Exception]) -> list[tuple[str, str, Any]]:
    parsed = []
    for i, entry in enumerate(settings.rules):
        for line in entry.splitlines() or [""]:
            if is_rule_comment(line):
                continue
            text = line.strip()
            try:
                parsed.append((f"rules.{i}", text, parse_rule(text)))
            except ExpressionError as exc:
                raise cls(f"rules.{i}: {exc}", setting=f"rules.{i}") from None  # type: ignore[call-arg]
    return parsed


def rule_routes(rows: Rows, settings: RuleSplitterSettings, *, configuring: bool) -> np.ndarray:
    """For every row, True when it goes to the first output."""
    cls = ConfigureError if configuring else NodeError
    routed = np.zeros(rows.n, dtype=bool)
    first = np.zeros(rows.n, dtype=bool)
    for setting, text, ast in _parsed_rules(settings, cls):
        ev = RuleEvaluator(text, rows)
        condition, outcome_ast = ast.args
        try:
            hit = ev.condition(condition) & ~routed
            outcome = ev.operand(outcome_ast)
        except ExpressionError as exc:
            raise cls(f"{setting}: {exc}", setting=setting) from None
        if outcome.kind != BOOLEAN:
            raise cls(
                f"{setting}: the outcome of a splitter rule must be TRUE or FALSE, not {outcome.kind}",
                setting=setting,
            )
        true = outcome.missing | outcome.values.astype(bool)  # a missing outcome is no BooleanValue: "match"
        first[hit] = true[hit]
        routed |= hit
    return first if settings.include else ~first


def _checked_rules(spec: Any, settings: RuleSplitterSettings, ctx: NodeContext) -> Any:
    """Configure-time check of the rules against the input; the outputs keep its structure."""
    if not isinstance(spec, TableSpec):
        _parsed_rules(settings, ConfigureError)
        return UNKNOWN
    try:
        rule_routes(Rows.of_spec(spec, ctx.variables), settings, configuring=True)
    except UnknownAtConfigure:
        pass
    return spec


class RuleBasedRowSplitter(Node):
    type_name = "rule_based_row_splitter"
    display_name = "Rule-based Row Splitter"
    category = Category.MANIPULATOR
    description = (
        "Splits the rows by rules (`$col$ > 0 => TRUE`): the first matching rule decides; TRUE sends the row to "
        "the first output, FALSE or no matching rule to the second (swapped when `include` is off)."
    )
    keywords = ("rule", "split", "filter", "condition", "partition", "if")
    knime = (
        KnimeMapping(
            "org.knime.base.node.rules.engine.RuleEngineSplitterNodeFactory",
            "Rule-based Row Splitter",
            _rule_splitter_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (
        Port(TABLE, "Included", "Rows whose first matching rule gives TRUE (with include on)."),
        Port(TABLE, "Excluded", "All other rows."),
    )
    Settings = RuleSplitterSettings

    def configure(self, in_specs: list[Any], settings: RuleSplitterSettings, ctx: NodeContext) -> list[Any]:
        spec = _checked_rules(in_specs[0], settings, ctx)
        return [spec, spec]

    def execute(self, inputs: list[Any], settings: RuleSplitterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        first = rule_routes(Rows.of_table(table, ctx.variables), settings, configuring=False)
        return [table.with_frame(table.df[first]), table.with_frame(table.df[~first])]


class RuleBasedRowFilter(Node):
    type_name = "rule_based_row_filter"
    display_name = "Rule-based Row Filter"
    category = Category.MANIPULATOR
    description = (
        "Keeps the rows whose first matching rule (`$col$ > 0 => TRUE`) gives TRUE; rows matching no rule or a "
        "FALSE rule are dropped (the other way round when `include` is off)."
    )
    keywords = ("rule", "filter", "condition", "where", "if")
    knime = (
        KnimeMapping(
            "org.knime.base.node.rules.engine.RuleEngineFilterNodeFactory",
            "Rule-based Row Filter",
            _rule_splitter_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Input table"),)
    outputs = (Port(TABLE, "Filtered", "Rows whose first matching rule gives TRUE (with include on)."),)
    Settings = RuleSplitterSettings

    def configure(self, in_specs: list[Any], settings: RuleSplitterSettings, ctx: NodeContext) -> list[Any]:
        return [_checked_rules(in_specs[0], settings, ctx)]

    def execute(self, inputs: list[Any], settings: RuleSplitterSettings, ctx: NodeContext) -> list[Any]:
        table: Table = inputs[0]
        first = rule_routes(Rows.of_table(table, ctx.variables), settings, configuring=False)
        return [table.with_frame(table.df[first])]


# ---------------------------------------------------------------------------------- Image Writer


class ImageWriterSettings(NodeSettings):
    file: str = Field(
        "", description="Output file (.png, or .svg for an SVG wrapping the PNG); relative to the workflow."
    )
    if_path_exists: Literal["fail", "overwrite"] = Field(
        "fail", title="If exists", description="An existing file: fail, or overwrite it."
    )
    create_missing_folders: bool = Field(
        False, description="Create the file's folder when it does not exist."
    )


def _image_writer_from_knime(knime: KnimeSettings) -> None:
    where = next((k for k, v in knime.tree.items() if isinstance(v, dict) and "path" in v), None)
    path = get(knime.tree, f"{where}.path.path") if where else None
    if not isinstance(path, str):
        knime.lost("no output file found in the settings")
        return
    knime.put("file", file_name(path) or "", f"{where}.path")
    knime.note(f"output file {path!r} is written as {file_name(path)!r} beside the workflow")
    policy = get(knime.tree, f"{where}.if_path_exists")
    if policy is not None:
        knime.put(
            "if_path_exists", "overwrite" if policy == "overwrite" else "fail", f"{where}.if_path_exists"
        )
    knime.take("create_missing_folders", f"{where}.create_missing_folders")


def _legacy_image_writer_from_knime(knime: KnimeSettings) -> None:
    """WriteImageNodeModel (before the file handling framework): `file_out_path`, `overwrite_ok`."""
    path = knime.tree.get("file_out_path")
    if not isinstance(path, str) or not path:
        knime.unreadable("no output file in the settings")
        return
    knime.put("file", file_name(path) or "", "file_out_path")
    knime.note(f"output file {path!r} is written as {file_name(path)!r} beside the workflow")
    knime.take("if_path_exists", "overwrite_ok", transform=lambda ok: "overwrite" if ok else "fail")
    knime.unread()


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) >= 24:
        width, height = struct.unpack(">II", png[16:24])
        return int(width), int(height)
    return 800, 600


def svg_wrapping(png: bytes) -> bytes:
    """An SVG document showing the PNG at its own size."""
    width, height = _png_size(png)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<image width="{width}" height="{height}" xlink:href="data:image/png;base64,{data}"/></svg>'
    ).encode()


class ImageWriter(Node):
    type_name = "image_writer"
    display_name = "Image Writer (Port)"
    category = Category.SINK
    description = (
        "Writes the picture on an image port (a view's image output) to a file: a PNG, or, for a file ending in "
        ".svg, the view drawn as SVG (a picture that exists only as a raster, e.g. a script's PNG, is wrapped "
        "in an SVG document)."
    )
    keywords = ("image", "write", "png", "svg", "export", "picture", "save")
    knime = (
        KnimeMapping(
            "org.knime.base.node.io.filehandling.imagewriter.ImagePortWriterNodeFactory",
            "Image Writer (Port)",
            _image_writer_from_knime,
        ),
        KnimeMapping(
            "org.knime.base.node.image.writeimage.WriteImageNodeFactory",
            "Image Port Writer (legacy)",
            _legacy_image_writer_from_knime,
        ),
    )
    inputs = (Port(VIEW, "Image", "The picture to write."),)
    outputs = (Port(VARIABLES, "Flow variables", "Connect it to order a reader after the writer"),)
    Settings = ImageWriterSettings
    path_settings = ("file",)

    def configure(self, in_specs: list[Any], settings: ImageWriterSettings, ctx: NodeContext) -> list[Any]:
        if not settings.file:
            raise ConfigureError("no output file given", setting="file")
        return [UNKNOWN]

    def execute(self, inputs: list[Any], settings: ImageWriterSettings, ctx: NodeContext) -> list[Any]:
        image: View = inputs[0]
        path = Path(settings.file)
        wanted = "svg" if path.suffix.lower() == ".svg" else "png"
        drawn = image.picture(wanted) if isinstance(image, View) else None
        if drawn is None:
            raise NodeError("the input port holds no picture")
        output_file(
            settings.file, settings.create_missing_folders, settings.if_path_exists, other_choices="overwrite"
        )
        data, kind = drawn
        atomic_write(path, svg_wrapping(data) if wanted == "svg" and kind == "png" else data)
        ctx.log(f"wrote the image to {path}")
        return [None]


# -------------------------------------------------------------------------------- Data to Report


class DataToReportSettings(NodeSettings):
    pass


def _data_to_report_from_knime(knime: KnimeSettings) -> None:
    if knime.tree:
        knime.note("the report's image settings only shape KNIME's BIRT report; the table passes through")


class _TablePassThrough(Node):
    """A node whose table goes on unchanged in knitflow (what KNIME does with it has no effect here)."""

    inputs = (Port(TABLE, "Table", "Any table."),)
    outputs = (Port(TABLE, "Table", "The same table."),)

    def configure(self, in_specs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        return [in_specs[0]]

    def execute(self, inputs: list[Any], settings: Any, ctx: NodeContext) -> list[Any]:
        return [inputs[0]]


class DataToReport(_TablePassThrough):
    type_name = "data_to_report"
    display_name = "Data to Report"
    category = Category.SINK
    description = (
        "Marks a table for the report. KNIME hands it to its report designer; here the table passes through "
        "unchanged, so a run keeps it with the outputs."
    )
    keywords = ("report", "birt", "export", "pass-through")
    knime = (
        KnimeMapping(
            "org.knime.reporting.nodes.dataset.ReportingDataSetNodeFactory",
            "Data to Report",
            _data_to_report_from_knime,
        ),
    )
    inputs = (Port(TABLE, "Table", "The table for the report."),)
    Settings = DataToReportSettings


# ------------------------------------------------------------------------------------------ Cache


class CacheSettings(NodeSettings):
    pass


class Cache(_TablePassThrough):
    """KNIME's Cache: a table written out once, so the nodes after it need not recompute a lazy one."""

    type_name = "cache"
    display_name = "Cache"
    category = Category.MANIPULATOR
    description = (
        "Passes its table on unchanged. KNIME writes the table out to spare the nodes after it a lazily computed "
        "input; knitflow's tables are computed when their node runs, so there is nothing to cache."
    )
    keywords = ("cache", "materialize", "pass-through", "buffer")
    knime = (KnimeMapping("org.knime.base.node.util.cache.CacheNodeFactory", "Cache"),)
    Settings = CacheSettings
