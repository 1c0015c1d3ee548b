"""Extract Context Properties (org.knime.base.node.io.extractcontextprop) and Extract Table Spec
(org.knime.base.node.util.extracttablespec): what they produce, their checks, and their KNIME
settings imported."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import pandas as pd
import pytest
from test_knime_import import findings, import_fragment
from test_nodes_flow import run_yaml

from engine import run_node
from engine.api import ConfigureError, Table
from engine.core.testing import configure_node
from nodes._colors import ColorModel, set_color_model
from nodes._shapes import set_shapes
from nodes.context_properties import PROPERTIES

CONTEXT = "org.knime.base.node.io.extractcontextprop.ReadContextProperty2NodeFactory"
CONTEXT_LEGACY = "org.knime.base.node.io.extractcontextprop.ReadContextPropertyNodeFactory"
SPEC = "org.knime.base.node.util.extracttablespec.ExtractTableSpecNodeFactory"


# ------------------------------------------------------------------------ Extract Context Properties


def test_all_properties_are_pushed_in_knimes_order(tmp_path: Path) -> None:
    run = run_node(
        "extract_context_properties", {"workflow_folder": str(tmp_path)}, scratch_dir=tmp_path / "s"
    )
    assert list(run.variables) == list(PROPERTIES) and len(PROPERTIES) == 18
    v = run.variables
    assert v["context.workflow.name"] == tmp_path.name
    assert v["context.workflow.absolute-path"] == str(tmp_path.resolve()).replace("\\", "/")
    assert v["context.workflow.user"] == v["context.workflow.username"] == getpass.getuser()
    assert Path(v["context.workflow.temp.location"]).is_relative_to((tmp_path / "s").resolve())
    empty = [p for p in PROPERTIES if p.startswith(("context.job", "context.workflow.hub"))]
    empty += ["context.workflow.path", "context.workflow.author.name", "context.workflow.creation.date"]
    assert all(v[p] == "" for p in empty)
    assert all(isinstance(x, str) for x in v.values())


def test_selected_properties_and_unknown_ones(tmp_path: Path) -> None:
    settings = {
        "isExtractAllProps": False,
        "selectedProps": ["context.workflow.name", "context.nothing", "context.workflow.name"],
        "workflow_folder": str(tmp_path),
    }
    run = run_node("extract_context_properties", settings)
    assert run.variables == {"context.workflow.name": tmp_path.name}
    assert run.warnings == ["Ignoring selected system properties: [context.nothing]"]
    with pytest.raises(ConfigureError, match="No properties selected"):
        configure_node("extract_context_properties", {"isExtractAllProps": False})


def test_the_workflow_folder_is_the_workflow_files_folder(tmp_path: Path) -> None:
    text = """
format: knitflow/1
name: context
nodes:
  - {id: 1, type: extract_context_properties}
  - {id: 2, type: toy_range, settings: {n: 1}}
connections: ["1:1 -> 2:0"]
"""
    from engine import Workflow

    (tmp_path / "flows").mkdir()
    wf = Workflow.from_text(text, base_dir=tmp_path / "flows")
    result = wf.run(workers=1)
    assert result.ok, [s.error for s in result.failed()]
    pushed = result.node(1).variables
    assert pushed["context.workflow.name"] == "flows"
    assert pushed["context.workflow.absolute-path"] == str((tmp_path / "flows").resolve()).replace("\\", "/")


def test_context_properties_import(tmp_path: Path) -> None:
    node, report, _ = import_fragment(tmp_path, CONTEXT, {"isExtractAllProps": True})
    assert node.type == "extract_context_properties" and findings(report) == []
    assert node.settings == {"isExtractAllProps": True}
    chosen = ["context.workflow.name", "context.workflow.user"]
    node, report, _ = import_fragment(
        tmp_path, CONTEXT, {"isExtractAllProps": False, "selectedProps": chosen}
    )
    assert findings(report) == [] and node.settings["selectedProps"] == chosen


def test_legacy_context_properties_flag_the_job_id(tmp_path: Path) -> None:
    node, report, _ = import_fragment(
        tmp_path, CONTEXT_LEGACY, {"isExtractAllProps": False, "selectedProps": ["context.workflow.name"]}
    )
    assert node.type == "extract_context_properties" and findings(report) == []
    _, report, _ = import_fragment(tmp_path, CONTEXT_LEGACY, {"isExtractAllProps": True})
    assert any("context.job.id" in f for f in findings(report))


def test_context_properties_unknown_key_is_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, CONTEXT, {"isExtractAllProps": True, "someFutureOption": 1})
    assert any("someFutureOption" in f for f in findings(report))


# ------------------------------------------------------------------------------- Extract Table Spec

MIXED = Table(
    pd.DataFrame(
        {
            "name": ["b", "a", None, "b"],
            "n": [3, 1, 2, None],
            "x": [0.5, -1.5, 2.0, 1.0],
            "flag": [True, False, True, True],
            "day": [dt.date(2024, 3, 1), dt.date(2023, 1, 2), None, dt.date(2024, 1, 1)],
        },
        index=["r0", "r1", "r2", "r3"],
    ).astype({"n": "Int64"}),
    {"name": "String", "n": "Integer", "x": "Double", "flag": "Boolean", "day": "Local Date"},
)


def test_one_row_per_column_with_knimes_type_names_and_the_datas_domain() -> None:
    out = run_node("extract_table_spec", {"PossibleValuesAsCollection": True}, MIXED).outputs[0]
    df = out.df
    assert df.index.tolist() == ["name", "n", "x", "flag", "day"]
    assert df.columns.tolist() == [
        "Column Name",
        "Column Type",
        "Column Index",
        "Lower Bound",
        "Upper Bound",
        "Possible Values",
    ]
    assert df["Column Type"].tolist() == [
        "String",
        "Number (integer)",
        "Number (double)",
        "Boolean value",
        "Local Date",
    ]
    assert df["Column Index"].tolist() == [0, 1, 2, 3, 4]
    # mixed bound types: knitflow holds them as text (KNIME: a column of generic cells)
    assert out.types["Lower Bound"] == "String"
    assert df["Lower Bound"].tolist() == [None, "1", "-1.5", "false", "2023-01-02"]
    assert df["Upper Bound"].tolist() == [None, "3", "2.0", "true", "2024-03-01"]
    assert df.loc["name", "Possible Values"] == ("b", "a")
    assert df.loc["flag", "Possible Values"] == (True, False)
    assert df.loc["x", "Possible Values"] is None


def test_numeric_bounds_keep_a_numeric_type_and_many_values_have_no_possible_values() -> None:
    table = Table(
        pd.DataFrame({"a": [1, 5, 3], "b": [0.5, 0.25, 2.0], "s": ["x", "y", "z"]}),
        {"a": "Integer", "b": "Double", "s": "String"},
    )
    out = run_node("extract_table_spec", {}, table).outputs[0]
    assert out.types["Lower Bound"] == "Double"
    assert out.df["Lower Bound"].tolist()[:2] == [1.0, 0.25] and pd.isna(out.df["Lower Bound"].iloc[2])
    many = Table(pd.DataFrame({"s": [f"v{i}" for i in range(61)]}), {"s": "String"})
    out = run_node("extract_table_spec", {"PossibleValuesAsCollection": True}, many).outputs[0]
    assert out.df["Possible Values"].tolist() == [None]
    assert out.types["Lower Bound"] == "String" and out.df["Lower Bound"].isna().all()


def test_property_handlers_are_flagged() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "c": [1, 2]})
    set_color_model(df, "b", ColorModel("nominal", {"x": "#ff0000", "y": "#00ff00"}))
    set_shapes(df, "a", {"1.0": "Circle"})
    out = run_node(
        "extract_table_spec", {"ExtractPropertyHandlers": True}, Table(df, {"a": "Double", "b": "String"})
    ).outputs[0]
    flags = out.df[["Color Handler", "Size Handler", "Shape Handler", "Filter Handler"]]
    assert flags.to_numpy().tolist() == [
        [False, False, True, False],
        [True, False, False, False],
        [False, False, False, False],
    ]


def test_an_unknown_type_name_is_refused() -> None:
    table = Table(pd.DataFrame({"v": [(1.0, 2.0)]}), {"v": "List of Double"})
    with pytest.raises(ConfigureError, match="List of Double"):
        configure_node("extract_table_spec", {}, table)


def test_table_spec_in_a_workflow() -> None:
    text = """
format: knitflow/1
name: spec
nodes:
  - {id: 1, type: toy_range, settings: {n: 4}}
  - {id: 2, type: extract_table_spec}
connections: ["1:1 -> 2:1"]
"""
    out = run_yaml(text).output(2)
    assert (
        out.index.tolist() == ["x"]
        and out["Lower Bound"].tolist() == [0]
        and out["Upper Bound"].tolist() == [3]
    )


def test_table_spec_import(tmp_path: Path) -> None:
    old = {"ExtractPropertyHandlers": True, "PossibleValuesAsCollection": False}
    node, report, _ = import_fragment(tmp_path, SPEC, old)
    assert node.type == "extract_table_spec" and findings(report) == []
    assert node.settings["ExtractPropertyHandlers"] is True
    node, report, _ = import_fragment(tmp_path, SPEC, {**old, "TypeNameFormat": "LEGACY_DISPLAY_NAME"})
    assert findings(report) == [] and node.settings["TypeNameFormat"] == "LEGACY_DISPLAY_NAME"


@pytest.mark.parametrize("layout", [{"TypeNameFormat": "IDENTIFIER"}, {"UseLegacyTypeNames": False}])
def test_newer_type_name_formats_are_findings(tmp_path: Path, layout: dict) -> None:
    _, report, _ = import_fragment(tmp_path, SPEC, {"ExtractPropertyHandlers": False, **layout})
    assert any("type name format" in f for f in findings(report))


def test_table_spec_unknown_key_is_a_finding(tmp_path: Path) -> None:
    _, report, _ = import_fragment(tmp_path, SPEC, {"ExtractPropertyHandlers": False, "someFutureOption": 1})
    assert any("someFutureOption" in f for f in findings(report))
