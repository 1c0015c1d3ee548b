"""Reading KNIME archives: the XML config parser on hand-written fragments, archive reading from
folders and zips (metanodes, unknown nodes), the settings mappings, and the seven tutorial
archives (when at hand: ../shared/reference/knime_workflows or $KNITFLOW_KNIME_ARCHIVES) checked node
for node and connection for connection against what KNIME recorded (`knime_facts`).

Issue 8: each import equals the hand-written workflows/<name>.yaml (scripts and data folders
aside) and, for 10_01/10_02/10_03 (marked slow), runs to the same tables with the same seed and to
KNIME's recorded numbers; import -> save -> load -> run round trip; every mapping on every real
node and on hand-made settings.xml fragments (legacy layouts, flow-variable bindings); the
command with --strict and --list-nodes; the README's generated node list."""

from __future__ import annotations

import re
import zipfile
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import knime_facts
import pytest
from spec_shapes import ARCHIVES, knime_archive, with_archives

from engine.api.knime import KnimeSettings, key_name
from engine.core.document import WorkflowDoc, check, parse_document, read_document
from engine.core.document_saving import canonical_dict, write_document
from engine.core.registry import registry
from engine.knime import (
    PLACEHOLDER_TYPE,
    Binding,
    ImportReport,
    KnimeFormatError,
    KnimeNode,
    decode_string,
    flatten_variables,
    import_cli,
    parse_config_xml,
    read_archive,
    skeleton,
)
from engine.knime.archive import html_to_text
from engine.knime.importer import _fit, find_mapping
from nodes.scripting import _python_ports as python_ports

# every KNIME factory a node type maps, by its full name (the only name the importer matches)
MAPPINGS = {m.factory: (cls, m) for cls in registry.all().values() for m in cls.knime}

ROOT = Path(__file__).resolve().parent.parent
NS = 'xmlns="http://www.knime.org/2008/09/XMLConfig"'

# node and connection counts of the archives (knime_facts has the nodes and connections themselves)
COUNTS = {
    "10_01_ZB_WZ": (14, 14),
    "10_02_ZB_WZ_regression": (15, 15),
    "10_03_conversion_regression": (23, 25),
    "11_01_randomforest_maxphase": (29, 35),
    "12_01_SVD_toymodel": (23, 27),
    "12_02_SVD_material": (23, 27),
    "13_01_SMILES_RDkit": (30, 31),
}


def xml(body: str, key: str = "settings.xml") -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<config {NS} key="{key}">\n{body}\n</config>\n'


# ----------------------------------------------------------------------------- the XML config format


def test_typed_entries() -> None:
    tree = parse_config_xml(
        xml(
            """
        <entry key="s" type="xstring" value="a &lt;b&gt; &quot;c&quot;"/>
        <entry key="i" type="xint" value="-3"/>
        <entry key="l" type="xlong" value="1678807467440"/>
        <entry key="d" type="xdouble" value="1.0E-5"/>
        <entry key="nan" type="xdouble" value="NaN"/>
        <entry key="inf" type="xdouble" value="-Infinity"/>
        <entry key="t" type="xboolean" value="true"/>
        <entry key="f" type="xboolean" value="false"/>
        <entry key="c" type="xchar" value="&quot;"/>
        <entry key="b" type="xbyte" value="0"/>
        <entry key="none" type="xstring" isnull="true" value=""/>
        <entry key="empty" type="xstring" value=""/>
        <entry key="multi" type="xstring" value="line 1%%00010line 2%%00013%%00010(%%65288x%%65289)"/>
        <config key="nested"><entry key="x" type="xint" value="1"/><config key="empty"/></config>"""
        )
    )
    assert tree["s"] == 'a <b> "c"'
    assert tree["i"] == -3 and tree["l"] == 1678807467440
    assert tree["d"] == 1e-5 and tree["nan"] != tree["nan"] and tree["inf"] == float("-inf")
    assert tree["t"] is True and tree["f"] is False
    assert tree["c"] == '"' and tree["b"] == 0
    assert tree["none"] is None and tree["empty"] == ""
    assert tree["multi"] == "line 1\nline 2\r\n(\uff08x\uff09)"
    assert tree["nested"] == {"x": 1, "empty": {}}
    assert list(tree) == [
        "s",
        "i",
        "l",
        "d",
        "nan",
        "inf",
        "t",
        "f",
        "c",
        "b",
        "none",
        "empty",
        "multi",
        "nested",
    ]


def test_arrays_become_lists() -> None:
    tree = parse_config_xml(
        xml(
            """
        <config key="names">
            <entry key="array-size" type="xint" value="2"/>
            <entry key="0" type="xstring" value="ZA"/>
            <entry key="1" type="xstring" value="dE"/>
        </config>
        <config key="empty"><entry key="array-size" type="xint" value="0"/></config>
        <config key="numbers">
            <entry key="array-size" type="xint" value="3"/>
            <entry key="0" type="xint" value="-1"/>
            <entry key="1" type="xint" value="0"/>
            <entry key="2" type="xint" value="1"/>
        </config>
        <config key="not_an_array">
            <entry key="array-size" type="xint" value="1"/>
            <entry key="0" type="xint" value="5"/>
            <entry key="extra" type="xint" value="6"/>
        </config>
        <config key="keyed"><config key="0"><entry key="a" type="xint" value="1"/></config></config>"""
        )
    )
    assert tree["names"] == ["ZA", "dE"]
    assert tree["empty"] == []
    assert tree["numbers"] == [-1, 0, 1]
    assert tree["not_an_array"] == {"array-size": 1, "0": 5, "extra": 6}
    assert tree["keyed"] == {"0": {"a": 1}}


VARIABLES = """
    <config key="model">
        <config key="algo_settings"><entry key="alpha" type="xdouble" value="1.0"/></config>
        <config key="settings"><config key="path"><entry key="path" type="xstring" value="x.csv"/></config></config>
        <entry key="seed" type="xlong" value="1"/>
    </config>
    <config key="variables">
        <entry key="version" type="xstring" value="V_2019_09_13"/>
        <config key="tree">
            <config key="algo_settings">
                <config key="alpha">
                    <entry key="used_variable" type="xstring" value="alpha"/>
                    <entry key="used_variable_flawed" type="xboolean" value="false"/>
                    <entry key="exposed_variable" type="xstring" isnull="true" value=""/>
                </config>
            </config>
            <config key="settings">
                <config key="path">
                    <entry key="used_variable" type="xstring" isnull="true" value=""/>
                    <entry key="exposed_variable" type="xstring" value="filename"/>
                </config>
            </config>
            <config key="seed">
                <entry key="used_variable" type="xstring" value=""/>
                <entry key="exposed_variable" type="xstring" isnull="true" value=""/>
            </config>
        </config>
    </config>"""


def test_used_and_exposed_variables() -> None:
    tree = parse_config_xml(xml(VARIABLES))
    assert tree["model"]["algo_settings"]["alpha"] == 1.0
    bindings = flatten_variables(tree["variables"]["tree"])
    # empty bindings (seed) are not bindings
    assert bindings == {
        "algo_settings.alpha": Binding(used="alpha"),
        "settings.path": Binding(exposed="filename"),
    }


def test_decode_and_html() -> None:
    assert decode_string("no escapes") == "no escapes"
    assert decode_string("%%00000") == "\x00"
    assert decode_string("a%%00009b") == "a\tb"
    assert (
        html_to_text("<p>Random forest, train/test,</p><p>Max phase</p>")
        == "Random forest, train/test,\nMax phase"
    )
    assert html_to_text("<p>a &amp; b<br/>c</p>") == "a & b\nc"


def test_key_names() -> None:
    assert key_name("partitioningMode") == "partitioningMode"
    assert key_name("new-column-name") == "new_column_name"
    assert key_name("remove original column?") == "remove_original_column"
    assert key_name("ignore.missing.values") == "ignore_missing_values"


def test_not_a_config_file() -> None:
    with pytest.raises(KnimeFormatError):
        parse_config_xml("<html/>")
    with pytest.raises(KnimeFormatError):
        parse_config_xml("not xml")


# ------------------------------------------------------------------------- a hand-written workflow


def _node_entry(node_id: int, settings_file: str, x: int, y: int, node_type: str = "NativeNode") -> str:
    return f"""
        <config key="node_{node_id}">
            <entry key="id" type="xint" value="{node_id}"/>
            <entry key="node_settings_file" type="xstring" value="{settings_file}"/>
            <entry key="node_is_meta" type="xboolean" value="{"true" if node_type == "MetaNode" else "false"}"/>
            <entry key="node_type" type="xstring" value="{node_type}"/>
            <config key="ui_settings">
                <config key="extrainfo.node.bounds">
                    <entry key="array-size" type="xint" value="4"/>
                    <entry key="0" type="xint" value="{x}"/>
                    <entry key="1" type="xint" value="{y}"/>
                    <entry key="2" type="xint" value="-1"/>
                    <entry key="3" type="xint" value="-1"/>
                </config>
            </config>
        </config>"""


def _connection(i: int, src: int, sp: int, dst: int, dp: int) -> str:
    return f"""
        <config key="connection_{i}">
            <entry key="sourceID" type="xint" value="{src}"/>
            <entry key="destID" type="xint" value="{dst}"/>
            <entry key="sourcePort" type="xint" value="{sp}"/>
            <entry key="destPort" type="xint" value="{dp}"/>
        </config>"""


WORKFLOW = xml(
    f"""
    <entry key="version" type="xstring" value="5.1.0"/>
    <config key="annotations">
        <config key="annotation_0">
            <entry key="text" type="xstring" value="&lt;p&gt;alpha scan&lt;/p&gt;"/>
            <entry key="contentType" type="xstring" value="text/html"/>
            <entry key="x-coordinate" type="xint" value="10"/>
            <entry key="y-coordinate" type="xint" value="-20"/>
            <entry key="width" type="xint" value="250"/>
            <entry key="height" type="xint" value="50"/>
        </config>
    </config>
    <config key="nodes">
        {_node_entry(1, "Table Partitioner (#1)/settings.xml", 100, 200)}
        {_node_entry(2, "Sklearn Lasso Regression Learner _Labs_ (#2)/settings.xml", 300, 200)}
        {_node_entry(3, "Fancy Node (#3)/settings.xml", 500, 200)}
        {_node_entry(4, "Metanode (#4)/workflow.knime", 700, 200, "MetaNode")}
    </config>
    <config key="connections">
        {_connection(0, 1, 1, 2, 1)}
        {_connection(1, 2, 1, 3, 1)}
        {_connection(2, 1, 0, 4, 0)}
    </config>""",
    key="workflow.knime",
)

PARTITIONER = xml(
    """
    <config key="model">
        <entry key="method" type="xstring" value="Relative"/>
        <entry key="samplingMethod" type="xstring" value="Random"/>
        <entry key="fraction" type="xdouble" value="0.7"/>
        <entry key="count" type="xint" value="100"/>
        <entry key="random_seed" type="xstring" isnull="true" value=""/>
        <entry key="class_column" type="xstring" value="dE"/>
    </config>
    <config key="nodeAnnotation">
        <entry key="text" type="xstring" value="70 / 30"/>
        <entry key="contentType" type="xstring" value="text/plain"/>
    </config>
    <entry key="factory" type="xstring" value="org.knime.base.node.preproc.partition.PartitionNodeFactory"/>
    <entry key="name" type="xstring" value="Table Partitioner"/>
    <config key="ports">
        <config key="port_1">
            <entry key="index" type="xint" value="1"/>
            <entry key="port_object_summary" type="xstring" value="Rows: 57, Cols: 21"/>
        </config>
    </config>"""
)

LASSO = xml(
    VARIABLES.replace(
        '<config key="algo_settings"><entry key="alpha" type="xdouble" value="1.0"/></config>',
        """<config key="general_settings">
            <config key="feature_columns">
                <entry key="array-size" type="xint" value="2"/>
                <entry key="0" type="xstring" value="ZA"/>
                <entry key="1" type="xstring" value="ZB"/>
            </config>
            <entry key="target_column" type="xstring" value="dE"/>
        </config>
        <config key="algo_settings">
            <entry key="json-type_Internals" type="xstring" value="OBJECT"/>
            <entry key="alpha" type="xdouble" value="1.0"/>
        </config>""",
    )
    + """
    <entry key="factory" type="xstring" value="org.knime.python3.nodes.extension.ExtensionNodeSetFactory$DynamicExtensionNodeFactory"/>
    <entry key="name" type="xstring" value="Sklearn Lasso Regression Learner (Labs)"/>
    <config key="factory_settings">
        <entry key="extension_id" type="xstring" value="org.knime.python.sklearn"/>
        <entry key="node_id" type="xstring" value="LassoLearner"/>
    </config>"""
)

FANCY = xml(
    """
    <config key="model"><entry key="magic" type="xint" value="42"/></config>
    <entry key="factory" type="xstring" value="com.example.FancyNodeFactory"/>
    <entry key="name" type="xstring" value="Fancy Node"/>"""
)

FILES = {
    "workflow.knime": WORKFLOW,
    "Table Partitioner (#1)/settings.xml": PARTITIONER,
    "Sklearn Lasso Regression Learner _Labs_ (#2)/settings.xml": LASSO,
    "Fancy Node (#3)/settings.xml": FANCY,
    "Metanode (#4)/workflow.knime": xml("", key="workflow.knime"),
    "workflow-metadata.xml": '<workflow-metadata xmlns="x"><description>A test.</description></workflow-metadata>',
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "my_flow"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def knwf(tmp_path: Path) -> Path:
    path = tmp_path / "exported.knwf"
    with zipfile.ZipFile(path, "w") as zf:
        for rel, text in FILES.items():
            zf.writestr(f"my_flow/{rel}", text)
    return path


@pytest.mark.parametrize("source", ["folder", "knwf"])
def test_read_archive(source: str, request: pytest.FixtureRequest) -> None:
    wf = read_archive(request.getfixturevalue(source))
    assert wf.name == "my_flow" and wf.description == "A test."
    assert [n.id for n in wf.nodes] == [1, 2, 3, 4]
    part, lasso, fancy, meta = wf.nodes
    assert (
        part.name == "Table Partitioner"
        and part.factory_key == "org.knime.base.node.preproc.partition.PartitionNodeFactory"
    )
    assert part.bounds == (100, 200, -1, -1) and part.position == (100, 200)
    assert part.annotation == "70 / 30"
    assert part.port_summaries == {1: "Rows: 57, Cols: 21"}
    assert part.folder == "Table Partitioner (#1)"
    assert lasso.factory_key == "org.knime.python.sklearn:LassoLearner"
    assert lasso.model["general_settings"]["feature_columns"] == ["ZA", "ZB"]
    assert lasso.bindings["algo_settings.alpha"] == Binding(used="alpha")
    assert fancy.model == {"magic": 42}
    # a metanode's workflow.knime is read with it; an empty one leaves nothing to run
    assert meta.is_meta and meta.node_type == "MetaNode" and wf.unsupported == [meta]
    assert meta.inner is not None and meta.inner.nodes == []
    # a metanode has no flow-variable port: its port 0 (KNIME numbering) is knitflow's port 1
    assert [str(c) for c in wf.connections] == ["1:1 -> 2:1", "2:1 -> 3:1", "1:0 -> 4:1"]
    assert [(a.text, a.bounds) for a in wf.annotations] == [("alpha scan", (10, -20, 250, 50))]


def test_skeleton_maps_reports_and_placeholders(folder: Path, tmp_path: Path) -> None:
    report = ImportReport()
    doc = skeleton(folder, report)
    part, lasso, fancy, meta = doc.nodes
    assert part.type == "table_partitioner" and part.annotation == "70 / 30" and part.position == (100, 200)
    # legacy keys migrated as KNIME 5.8 does: 0.7 -> 70 %, no seed
    assert part.settings["partitioning_mode"] == "RELATIVE"
    assert part.settings["percentage"] == pytest.approx(70.0)
    assert part.settings["mode"] == "RANDOM" and part.settings["seed"] is None
    assert lasso.type == "lasso_learner"
    assert lasso.settings["feature_columns"] == ["ZA", "ZB"] and lasso.settings["alpha"] == 1.0
    assert lasso.use_variables == {"alpha": "alpha"}
    assert fancy.type == PLACEHOLDER_TYPE and fancy.settings["factory"] == "com.example.FancyNodeFactory"
    assert fancy.settings["knime_settings"] == {"magic": 42}
    assert meta.type == PLACEHOLDER_TYPE  # an empty metanode (tests/test_knime_metanodes.py: full ones)
    kinds = {(e.node_id, e.kind) for e in report.entries}
    assert (3, "unknown_node") in kinds and (4, "unsupported_node") in kinds
    assert [str(c) for c in doc.connections] == ["1:1 -> 2:1", "2:1 -> 3:1", "1:0 -> 4:1"]
    # the document is canonical YAML that loads back
    out = tmp_path / "out.yaml"
    write_document(doc, out)
    again, _, problems = parse_document(out.read_text(encoding="utf-8"), str(out))
    assert not problems and isinstance(again, WorkflowDoc)
    assert [n.id for n in again.nodes] == [1, 2, 3, 4]


def test_placeholder_fails_with_the_import_message(folder: Path) -> None:
    from engine.api import ConfigureError
    from engine.core.testing import configure_node

    fancy = skeleton(folder).node(3)
    with pytest.raises(ConfigureError, match="Fancy Node.*has no knitflow equivalent"):
        configure_node(PLACEHOLDER_TYPE, fancy.settings)


def test_import_cli(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "imported.yaml"
    assert import_cli(folder, out, strict=True) == 2 and not out.exists()
    assert "unknown_node" in capsys.readouterr().err
    assert import_cli(folder, out) == 0 and out.exists()
    assert import_cli(tmp_path / "missing.knwf", out) == 2


def test_not_a_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.knwf"
    bad.write_bytes(b"not a zip")
    with pytest.raises(KnimeFormatError):
        read_archive(bad)
    empty = tmp_path / "empty.knwf"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(KnimeFormatError, match="no workflow.knime"):
        read_archive(empty)


# --------------------------------------------------------------------------- the tutorial archives


def _archive(name: str) -> Path:
    return knime_archive(name)


def test_recorded_facts_are_complete() -> None:
    """The embedded KNIME facts cover the seven workflows with the archives' node and connection counts."""
    assert (
        set(knime_facts.NODES) == set(knime_facts.CONNECTIONS) == set(knime_facts.TABLE_SHAPES) == set(COUNTS)
    )
    for name, (n_nodes, n_conns) in COUNTS.items():
        assert len(knime_facts.NODES[name]) == n_nodes and len(set(knime_facts.CONNECTIONS[name])) == n_conns
        assert {node for node, _ in knime_facts.TABLE_SHAPES[name]} <= set(knime_facts.NODES[name])


@pytest.mark.parametrize("name", with_archives(sorted(COUNTS)))
def test_tutorial_archive_matches_recorded_facts(name: str) -> None:
    wf = read_archive(_archive(name))
    n_nodes, n_conns = COUNTS[name]
    assert len(wf.nodes) == n_nodes and len(wf.connections) == n_conns
    assert {n.id: n.name for n in wf.nodes} == knime_facts.NODES[name]
    # KNIME's port numbering is knitflow's: 0 = variables
    assert {str(c) for c in wf.connections} == set(knime_facts.CONNECTIONS[name])
    assert not wf.unsupported
    assert all(find_mapping(n) is not None for n in wf.nodes)
    assert all(n.bounds is not None for n in wf.nodes)
    for (node, port), (rows, cols) in knime_facts.TABLE_SHAPES[name].items():
        summary = wf.node(node).port_summaries[port]  # "Rows: 129,012, Cols: 5"
        numbers = [int(n.replace(",", "")) for n in re.findall(r"[\d,]*\d", summary)]
        assert numbers == [rows, cols], (node, port, summary)


@pytest.mark.parametrize("name", with_archives(sorted(COUNTS)))
def test_tutorial_skeleton(name: str, tmp_path: Path) -> None:
    report = ImportReport()
    doc = skeleton(_archive(name), report)
    assert not report.of_kind("unknown_node") and not report.of_kind("unsupported_node")
    assert len(doc.nodes) == COUNTS[name][0] and len(doc.connections) == COUNTS[name][1]
    assert PLACEHOLDER_TYPE not in {n.type for n in doc.nodes}
    assert doc.annotations and all(a.text for a in doc.annotations)
    out = tmp_path / f"{name}.yaml"
    write_document(doc, out)
    again, lines, problems = parse_document(out.read_text(encoding="utf-8"), str(out))
    assert not problems and again is not None and len(again.nodes) == len(doc.nodes)
    # types, settings, ports and wiring as the engine checks them before a run
    assert not [str(p) for p in check(again, lines, str(out))]
    assert canonical_dict(again) == canonical_dict(doc)  # saving loses nothing


def test_tutorial_details() -> None:
    """Spot checks of settings the specs single out."""
    wf = read_archive(_archive("10_01_ZB_WZ"))
    assert wf.node(2).model["rules"] == ['$dE$ >= 0 => "stable"', '$dE$ < 0 => "unstable"']
    assert [a.text for a in wf.annotations] == ["ZB_WZ"]

    doc = skeleton(_archive("10_02_ZB_WZ_regression"))
    assert doc.variables == {"data_dir": "../data"}
    assert doc.node(183).settings["file"] == "${data_dir}/ZB_WZ_dE_rawdescriptor.csv"
    assert doc.node(181).settings["seed"] == 1678807467440
    assert doc.node(170).use_variables == {"alpha": "alpha"}
    assert {str(c) for c in doc.connections} >= {"180:1 -> 170:0", "181:2 -> 171:2"}

    doc = skeleton(_archive("11_01_randomforest_maxphase"))
    assert doc.node(246).use_variables == {
        "seed": "randomseed",
        "maxLevels": "levels",
        "minNodeSize": "minnodesize",
        "nrModels": "nmodels",
    }
    creator = doc.node(295).settings  # the stale cell at row -1 is not part of the table
    assert len(creator["rows"]) == 4 and creator["rows"][3] == [
        "randomseed",
        "1",
        "1",
        "0",
        "Number (integer)",
    ]
    columns = [c["name"] for c in doc.node(245).settings["columns"]]
    assert len(columns) == 107 and columns[-2:] == ["rho0 lambda tau", "rho0 lambda lambda"]

    report = ImportReport()
    doc = skeleton(_archive("13_01_SMILES_RDkit"), report)
    assert doc.node(185).use_variables == {"row_count": "N", "seed": "currentIteration"}
    assert doc.node(283).expose_variables == {"file": "filename"}
    assert doc.node(284).use_variables == {"file": "filename"}
    assert doc.node(284).settings["file"] == "scaling_law.csv"
    assert doc.node(287).settings["predicates"] == [{"column": "N", "operator": "GT", "value": 1050}]

    doc = skeleton(_archive("12_01_SVD_toymodel"))
    assert doc.node(398).annotation == "V^T"
    assert doc.node(382).settings["script"].startswith("# 2 つのテーブルを数値行列として扱い\n")
    assert "（NumPy 配列）" in doc.node(382).settings["script"]
    assert doc.node(384).settings["expression"] == "$$ROWINDEX$$"


# ------------------------------------------------------------------- fitting to a node's settings


def test_mapped_settings_fit_the_node_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mapped KNIME keys are matched to the node's field names without case and separators,
    nested models included; unknown keys and invalid values are dropped and reported."""
    from pydantic import Field

    from engine.api import Node, NodeSettings, Port, PortType
    from engine.core.registry import registry
    from engine.knime import KnimeNode
    from engine.knime.importer import _fit
    from nodes._common import ColumnFilter

    class FitSettings(NodeSettings):
        partitioning_mode: str = Field("RELATIVE", description="mode")
        row_count: int = Field(100, ge=0, description="rows")
        columns: ColumnFilter = Field(default_factory=ColumnFilter, description="columns")
        new_column: str = Field("x", alias="new-column", description="aliased")

    class FitNode(Node):
        type_name = "knime_fit_toy"
        outputs = (Port(PortType.TABLE, "out"),)  # type: ignore[attr-defined]
        Settings = FitSettings

    registry.get("csv_reader")  # load the registry first, then add the toy type for this test only
    monkeypatch.setitem(registry._types, FitNode.type_name, FitNode)
    node = KnimeNode(1, "x/settings.xml", "f", "Fit", None, None, {}, {}, {})
    report = ImportReport()
    settings, use, expose = _fit(
        "knime_fit_toy",
        {
            "partitioningMode": "ABSOLUTE",
            "RowCount": -5,
            "columns": {"included_names": ["a"], "enforce_option": "EnforceInclusion", "selection": "x*"},
            "new_column_name": "y",
            "newColumn": "z",
        },
        {"rowCount": "N", "nothing": "M"},
        {"partitioningMode": "mode"},
        report.for_node(node),
    )
    assert settings == {
        "partitioning_mode": "ABSOLUTE",
        "columns": {"included_names": ["a"], "enforce_option": "EnforceInclusion"},
        "new-column": "z",
    }
    assert use == {"row_count": "N"} and expose == {"partitioning_mode": "mode"}
    messages = " | ".join(e.message for e in report.entries)
    assert "row_count = -5" in messages and "greater than or equal to 0" in messages  # invalid value dropped
    assert "columns.selection" in messages and "new_column_name" in messages and "nothing" in messages
    FitSettings.model_validate(settings)


def test_python_port_groups_are_renumbered() -> None:
    """KNIME numbers dynamic ports group by group (objects before tables on the input side);
    knitflow's Python nodes have tables on 1-4 and objects from 5; image outputs do not exist."""
    creation = {
        "Input object (pickled)": {"port_0": {}},
        "Input table": {"port_0": {}, "port_1": {}},
        "Output table": {"port_0": {}},
        "Output image": {"port_0": {}},
        "Output object (pickled)": {"port_0": {}},
    }
    inputs, outputs = python_ports(creation)
    assert inputs == {1: 5, 2: 1, 3: 2}
    assert outputs == {1: 1, 2: None, 3: 5}
    assert python_ports({"Input table": {"port_0": {}}}) == ({1: 1}, {})


def test_connections_follow_renumbered_ports() -> None:
    from engine.knime import KnimeConnection, KnimeNode, KnimeWorkflow, to_document

    def node(node_id: int, factory: str, creation: dict[str, object] | None = None) -> KnimeNode:
        n = KnimeNode(
            node_id,
            f"n (#{node_id})/settings.xml",
            factory,
            "n",
            (0, 0, -1, -1),
            None,
            {"script": "pass"},
            {},
            {},
        )
        n.creation_config = creation or {}
        return n

    script = "org.knime.python3.scripting.nodes2.script.PythonScriptNodeFactory"
    creation = {
        "Input object (pickled)": {"port_0": {}},
        "Input table": {"port_0": {}},
        "Output table": {"port_0": {}},
        "Output image": {"port_0": {}},
    }
    wf = KnimeWorkflow(
        "w",
        Path("w"),
        [
            node(1, script, {"Output object (pickled)": {"port_0": {}}}),
            node(2, script, creation),
            node(3, "org.knime.base.views.node.tableview.TableViewNodeFactory"),
        ],
        [
            KnimeConnection(1, 1, 2, 1),
            KnimeConnection(1, 1, 2, 2),
            KnimeConnection(2, 2, 3, 1),
            KnimeConnection(2, 1, 3, 1),
            KnimeConnection(1, 0, 3, 0),
        ],
        [],
    )
    report = ImportReport()
    doc = to_document(wf, report)
    # the object output feeding a table input (1:1 -> 2:2 in KNIME) does not fit and is dropped, so
    # the document still loads; the image output has no knitflow port
    assert [str(c) for c in doc.connections] == ["1:5 -> 2:5", "2:1 -> 3:1", "1:0 -> 3:0"]
    dropped = [e.message for e in report.of_kind("connection")]
    assert len(dropped) == 2 and any("cannot feed a Data table input" in m for m in dropped)
    assert any("image output" in e.message for e in report.entries)


# ------------------------------------------------------- the imports against workflows/ (issue 8)

SCRIPT_TYPES = {"python_script", "python_view"}
# Differences between an import and the hand-written workflows/ file that are known and explained;
# the test fails on any other difference and on an entry here that no longer differs.
KNOWN_YAML_DIFFERENCES: dict[str, dict[str, str]] = {
    "13_01_SMILES_RDkit": {
        # a knob of the hand-written workflow: `--set max_molecules=N` reads only the first N molecules;
        # its default is the row count of qm9.csv, so the full file is read as in KNIME
        "#194 settings.max_rows": "workflows/13_01 limits the QM9 reader to the workflow variable max_molecules",
    },
}


def normalised(doc: WorkflowDoc) -> dict[str, Any]:
    """The document as the engine saves it (`canonical_dict`), made comparable: node settings keyed
    by node id; scripts of Python nodes left out; path settings reduced to the file name; and a
    setting bound to a workflow variable (`use_variables` naming a declared variable other than
    data_dir) replaced by the variable's default, which is what the node runs with."""
    data = canonical_dict(doc)
    variables = dict(data.get("variables", {}))
    bound_to_workflow: set[str] = set()
    nodes: dict[int, dict[str, Any]] = {}
    for node in data["nodes"]:
        node = dict(node)
        settings = dict(node.get("settings", {}))
        if node["type"] in SCRIPT_TYPES:
            settings.pop("script", None)
        cls = registry.get(node["type"])
        for name in cls.path_settings if cls is not None else ():
            if isinstance(settings.get(name), str):
                settings[name] = PurePosixPath(settings[name].replace("\\", "/")).name
        use = dict(node.get("use_variables", {}))
        for setting, var in list(use.items()):
            if var in variables and var != "data_dir" and "." not in setting:
                settings[setting] = variables[var]
                bound_to_workflow.add(var)
                del use[setting]
        node["settings"], node["use_variables"] = settings, use
        nodes[node["id"]] = node
    data["variables"] = {k: v for k, v in variables.items() if k not in bound_to_workflow}
    data["nodes"] = nodes
    return data


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


def differences(imported: dict[str, Any], reference: dict[str, Any]) -> dict[str, str]:
    """{where: what} for every difference of two `normalised` documents, located by node id and setting."""
    out: dict[str, str] = {}
    absent = "<absent>"
    for key in ("name", "description", "variables", "connections", "annotations"):
        a, b = imported.get(key, absent), reference.get(key, absent)
        if a != b:
            out[key] = f"imported {_show(a)} != workflows/ {_show(b)}"
    ids_a, ids_b = set(imported["nodes"]), set(reference["nodes"])
    for nid in sorted(ids_a ^ ids_b):
        out[f"#{nid}"] = "only in the import" if nid in ids_a else "only in workflows/"
    for nid in sorted(ids_a & ids_b):
        a, b = imported["nodes"][nid], reference["nodes"][nid]
        for key in ("type", "name", "annotation", "position", "use_variables", "expose_variables"):
            if a.get(key) != b.get(key):
                out[f"#{nid} {key}"] = f"imported {_show(a.get(key))} != workflows/ {_show(b.get(key))}"
        sa, sb = a["settings"], b["settings"]
        for name in sorted(set(sa) | set(sb)):
            va, vb = sa.get(name, absent), sb.get(name, absent)
            if va != vb:
                out[f"#{nid} settings.{name}"] = f"imported {_show(va)} != workflows/ {_show(vb)}"
    return out


def _workflow_doc(name: str) -> WorkflowDoc:
    path = ROOT / "workflows" / f"{name}.yaml"
    if not path.exists():
        pytest.skip(f"{path} not available")
    doc, _ = read_document(path)
    return doc


@pytest.mark.parametrize("name", with_archives(sorted(COUNTS)))
def test_import_equals_the_handwritten_workflow(name: str) -> None:
    """Same node ids, types, names, annotations, positions, connections, workflow annotations,
    variables and settings as workflows/<name>.yaml (scripts and data folders aside)."""
    report = ImportReport()
    imported = normalised(skeleton(_archive(name), report))
    assert [str(e) for e in report.entries if e.kind != "note"] == []
    diffs = differences(imported, normalised(_workflow_doc(name)))
    known = KNOWN_YAML_DIFFERENCES.get(name, {})
    unexpected = {k: v for k, v in diffs.items() if k not in known}
    assert not unexpected, f"{name}: import != workflows/:\n" + "\n".join(
        f"  {k}: {v}" for k, v in unexpected.items()
    )
    stale = sorted(set(known) - set(diffs))
    assert not stale, f"{name}: {stale} no longer differ: remove them from KNOWN_YAML_DIFFERENCES"


def test_differences_are_located_by_node_and_setting() -> None:
    doc = _workflow_doc("10_02_ZB_WZ_regression")
    changed = doc.model_copy(deep=True)
    changed.node(170).settings["alpha"] = 0.5
    changed.node(183).settings["file"] = "/elsewhere/ZB_WZ_dE_rawdescriptor.csv"  # same file name: equal
    changed.node(181).position = (0, 0)
    changed.connections = changed.connections[1:]
    diffs = differences(normalised(doc), normalised(changed))
    assert set(diffs) == {"connections", "#181 position", "#170 settings.alpha"}
    assert "1.0" in diffs["#170 settings.alpha"] and "0.5" in diffs["#170 settings.alpha"]
    # a setting bound to a workflow variable counts with the variable's default
    bound = doc.model_copy(deep=True)
    bound.variables["s"] = bound.node(181).settings["seed"]
    bound.node(181).use_variables["seed"] = "s"
    bound.node(181).settings["seed"] = 123
    assert differences(normalised(doc), normalised(bound)) == {}


# ----------------------------------------------------------- results: import vs workflows/ (slow)

RUN_SEED = 11


@pytest.fixture(scope="module")
def run_of() -> Any:
    """run_of(name, kind): the run of the import ("import"), of workflows/<name>.yaml ("yaml") or
    of the import saved as YAML and loaded again ("round_trip"), all with the same seed; memoised."""
    from spec_shapes import data_dir

    from engine.core.workflow import Workflow
    from engine.knime import load_knwf

    cache: dict[tuple[str, str], Any] = {}

    def run(name: str, kind: str, tmp: Path | None = None) -> Any:
        if (name, kind) not in cache:
            data = str(data_dir())
            if kind == "import":
                wf = load_knwf(_archive(name))
            elif kind == "yaml":
                wf = Workflow.load(ROOT / "workflows" / f"{name}.yaml")
            else:
                assert tmp is not None
                saved = tmp / f"{name}.yaml"
                write_document(load_knwf(_archive(name)).doc, saved)
                wf = Workflow.load(saved)
            result = wf.run(seed=RUN_SEED, variables={"data_dir": data})
            assert result.ok, "\n".join(f"#{s.id} {s.name}: {s.error}" for s in result.failed())
            cache[name, kind] = result
        return cache[name, kind]

    return run


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return bool(a == b) and type(a) is type(b)


def _shown_table(obj: Any) -> Any:
    from engine.api import Table, View

    if isinstance(obj, Table):
        return obj
    if isinstance(obj, View):
        return obj.table
    return None


def assert_same_results(a: Any, b: Any) -> int:
    """Every node in the same state with the same flow variables, every table (and table view)
    equal cell for cell, types and RowIDs included. Returns the number of tables compared."""
    import pandas as pd

    assert set(a.status) == set(b.status)
    tables = 0
    for nid in sorted(a.status):
        sa, sb = a.status[nid], b.status[nid]
        assert (sa.state, sa.error) == (sb.state, sb.error), nid
        va, vb = sa.variables.as_dict(), sb.variables.as_dict()
        assert va.keys() == vb.keys(), nid
        assert all(_same_value(va[k], vb[k]) for k in va), (
            nid,
            {k: (va[k], vb[k]) for k in va if va[k] != vb[k]},
        )
        assert len(sa.outputs) == len(sb.outputs), nid
        for port, (oa, ob) in enumerate(zip(sa.outputs, sb.outputs, strict=True), start=1):
            assert type(oa) is type(ob), (nid, port)
            ta, tb = _shown_table(oa), _shown_table(ob)
            if ta is None or tb is None:
                assert ta is None and tb is None, (nid, port)
                continue
            pd.testing.assert_frame_equal(ta.df, tb.df, check_exact=True, obj=f"#{nid} port {port}")
            assert ta.types == tb.types, (nid, port)
            tables += 1
    return tables


FAST = ["10_01_ZB_WZ", "10_02_ZB_WZ_regression", "10_03_conversion_regression"]


@pytest.mark.slow
@pytest.mark.parametrize("name", with_archives(FAST))
def test_import_runs_like_the_handwritten_workflow(name: str, run_of: Any) -> None:
    assert assert_same_results(run_of(name, "import"), run_of(name, "yaml")) >= 8


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "end", "reference"),
    with_archives(
        [("10_02_ZB_WZ_regression", 177, "REF_10_02"), ("10_03_conversion_regression", 324, "REF_10_03")],
        width=3,
    ),
)
def test_imported_alpha_loops_equal_knime(name: str, end: int, reference: str, run_of: Any) -> None:
    """The imported archives give the numbers KNIME recorded (constants of test_workflows_10)."""
    import test_workflows_10 as recorded

    table = run_of(name, "import").output(end).sort_values("alpha").reset_index(drop=True)
    assert table["alpha"].tolist() == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    for row, expected in zip(table[recorded.METRICS].to_numpy(), getattr(recorded, reference), strict=True):
        assert row == pytest.approx(expected, abs=5e-7)
    for metric, value in recorded.KNIME_ALPHA_1.items():
        assert table.iloc[-1][metric] == pytest.approx(value, abs=1e-9), metric
    if name.startswith("10_03"):
        final = run_of(name, "import").output(336, 0)
        for metric, value in recorded.KNIME_10_03_FINAL.items():
            assert final[metric] == pytest.approx(value, abs=1e-9), metric


@pytest.mark.slow
def test_round_trip_import_save_load_run(run_of: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    """import -> save YAML -> load -> run gives what running the import directly gives."""
    name = "10_03_conversion_regression"
    tmp = tmp_path_factory.mktemp("round_trip")
    round_trip = run_of(name, "round_trip", tmp)
    assert assert_same_results(round_trip, run_of(name, "import")) >= 8


# ------------------------------------------------------------ every mapping on every real node


@lru_cache(maxsize=1)
def _real_nodes() -> tuple[tuple[str, KnimeNode], ...]:
    """Every node of the seven tutorial archives and of the series' archives (those present)."""
    found = []
    paths = [ARCHIVES / f"{name}.knwf" for name in sorted(COUNTS)] + sorted(
        (ARCHIVES / "series").glob("*.knwf")
    )
    for path in paths:
        if path.is_file():
            found += [(path.stem, node) for node in read_archive(path).nodes]
    return tuple(found)


def map_node(node: KnimeNode) -> tuple[str, dict[str, Any], dict[str, str], dict[str, str], ImportReport]:
    """One node through its mapping and the fit to its settings model, as `to_document` does."""
    found = find_mapping(node)
    assert found is not None, node.factory_key
    cls, mapping = found
    report = ImportReport()
    tree, bindings = {**node.view, **node.model}, {**node.view_bindings, **node.bindings}
    settings, use, expose = mapping.apply(KnimeSettings(tree, bindings, report.for_node(node)))
    settings, use, expose = _fit(cls.type_name, settings, use, expose, report.for_node(node))
    return cls.type_name, settings, use, expose, report


def _named_by_a_test(factory: str) -> bool:
    """A mapping no archive exercises must have a fragment test: some test file names its factory
    (its full or simple class name, or the `extension:node` key)."""
    simple = factory.rsplit(".", 1)[-1].split(":")[-1]
    return any(factory in text or simple in text for text in _test_texts())


@lru_cache(maxsize=1)
def _test_texts() -> tuple[str, ...]:
    return tuple(p.read_text() for p in Path(__file__).resolve().parent.glob("test_*.py"))


@pytest.mark.parametrize("key", with_archives(sorted(MAPPINGS)))
def test_mapping_on_every_real_node(key: str) -> None:
    """The settings of every node of the archives map without a finding and validate against the
    node type's settings model; the bindings name real settings."""
    nodes = [(a, n) for a, n in _real_nodes() if (found := find_mapping(n)) and found[1].factory == key]
    if not nodes:
        assert _named_by_a_test(key), f"{key}: no archive node and no fragment test"
        return
    for archive, node in nodes:
        type_name, settings, use, expose, report = map_node(node)
        assert [str(e) for e in report.entries if e.kind != "note"] == [], (archive, node.id)
        cls = registry.get(type_name)
        cls.Settings.model_validate(settings)
        for path in [*use, *expose]:
            assert path.split(".")[0] in cls.Settings.model_fields, (archive, node.id, path)


@pytest.mark.parametrize("key", sorted(MAPPINGS))
def test_mapping_table_agrees_with_the_node_types(key: str) -> None:
    """The README's node list comes from the node types' mappings: a node's first mapping carries
    its KNIME name."""
    cls, mapping = MAPPINGS[key]
    assert cls.knime[0].knime_name == cls.display_name


def test_every_factory_is_mapped_once() -> None:
    from engine.knime import knime_index

    index = knime_index()  # raises when two node types claim one factory
    for cls, mapping in MAPPINGS.values():
        assert index[mapping.factory] == (cls, mapping)


# ------------------------------------------------------------------- hand-made settings fragments


def entry(key: str, value: Any) -> str:
    """One typed `<entry>` of KNIME's XML config format."""
    if value is None:
        return f'<entry key="{key}" type="xstring" isnull="true" value=""/>'
    kind = {bool: "xboolean", int: "xint", float: "xdouble"}.get(type(value), "xstring")
    text = str(value).lower() if isinstance(value, bool) else str(value)
    text = text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"[\x00-\x1f]", lambda m: f"%%{ord(m[0]):05d}", text)  # KNIME's escape for line ends etc.
    return f'<entry key="{key}" type="{kind}" value="{text}"/>'


def config(key: str, **children: Any) -> str:
    """A `<config>`: keyword values become entries, lists arrays, dicts nested configs (a key that is
    not a Python name, e.g. "column-filter", goes through `**{...}`)."""
    return f'<config key="{key}">' + "".join(node_xml(k, v) for k, v in children.items()) + "</config>"


def node_xml(key: str, value: Any) -> str:
    if isinstance(value, dict):
        return config(key, **value)
    if isinstance(value, list):
        return config(key, **{"array-size": len(value)}, **{str(i): v for i, v in enumerate(value)})
    if isinstance(value, str) and value.startswith("<"):
        return value  # already XML
    return entry(key, value)


def bindings(**paths: dict[str, str | None]) -> dict[str, Any]:
    """The `variables/tree` for {dotted KNIME path: {"used": var, "exposed": var}}."""
    tree: dict[str, Any] = {}
    for path, binding in paths.items():
        here = tree
        for part in path.split("."):
            here = here.setdefault(part, {})
        here.update({"used_variable": binding.get("used"), "exposed_variable": binding.get("exposed")})
    return tree


def import_fragment(
    tmp_path: Path,
    factory: str,
    model: dict[str, Any],
    variables: dict[str, Any] | None = None,
    *,
    data_dir: str | None = None,
    extra: str = "",
) -> tuple[Any, ImportReport, WorkflowDoc]:
    """A one-node workflow folder holding `model` (and the flow-variable tree) in its settings.xml,
    imported as a user would: (node entry, report, document)."""
    folder = tmp_path / f"fragment_{len(list(tmp_path.iterdir()))}"
    settings = node_xml("model", model)
    if variables:
        settings += config("variables", version="V_2019_09_13", tree=variables)
    settings += entry("factory", factory) + entry("name", "Node") + extra
    workflow = xml(
        f'<config key="nodes">{_node_entry(1, "Node (#1)/settings.xml", 10, 20)}</config>',
        key="workflow.knime",
    )
    (folder / "Node (#1)").mkdir(parents=True)
    (folder / "workflow.knime").write_text(workflow, encoding="utf-8")
    (folder / "Node (#1)" / "settings.xml").write_text(xml(settings), encoding="utf-8")
    report = ImportReport()
    doc = skeleton(folder, report, data_dir=data_dir)
    cls = registry.get(doc.node(1).type)
    cls.Settings.model_validate(doc.node(1).settings)  # whatever the mapping wrote is valid
    return doc.node(1), report, doc


def findings(report: ImportReport) -> list[str]:
    return [e.message for e in report.entries if e.kind != "note"]


def notes(report: ImportReport) -> list[str]:
    return [e.message for e in report.of_kind("note")]


PARTITION = "org.knime.base.node.preproc.partition.PartitionNodeFactory"
SAMPLING = "org.knime.base.node.preproc.sample.SamplingNodeFactory"


@pytest.mark.parametrize(
    ("legacy", "expected"),
    [
        (
            {
                "method": "Absolute",
                "samplingMethod": "Stratified",
                "fraction": 0.1,
                "count": 25,
                "random_seed": "42",
                "class_column": "dE",
            },
            {
                "partitioning_mode": "ABSOLUTE",
                "row_count": 25,
                "mode": "STRATIFIED",
                "class_column": "dE",
                "seed": 42,
                "percentage": pytest.approx(10.0),
            },
        ),
        (
            {
                "method": "Relative",
                "samplingMethod": "First",
                "fraction": 0.25,
                "count": 100,
                "random_seed": None,
            },
            {
                "partitioning_mode": "RELATIVE",
                "percentage": pytest.approx(25.0),
                "mode": "FIRST_ROWS",
                "seed": None,
            },
        ),
        (
            {
                "method": "Relative",
                "samplingMethod": "Linear",
                "fraction": 0.5,
                "count": 100,
                "random_seed": "",
            },
            {"mode": "LINEAR", "seed": None},
        ),
    ],
)
def test_partitioner_legacy_layout(tmp_path: Path, legacy: dict[str, Any], expected: dict[str, Any]) -> None:
    """Pre-5.5 Table Partitioner keys (`method`, `fraction` as a share, `random_seed` as text)."""
    node, report, _ = import_fragment(tmp_path, PARTITION, legacy)
    assert node.type == "table_partitioner" and findings(report) == []
    assert {k: node.settings.get(k) for k in expected} == expected
    assert any("legacy" in n for n in notes(report))


def test_partitioner_current_layout_with_flow_variables(tmp_path: Path) -> None:
    """The 5.5 keys; `seed` only counts with `seed_is_present`; a binding of the inactive count
    (13_01 #185 binds both counts to N) is dropped with a note; the class column only with STRATIFIED."""
    model = {
        "partitioningMode": "ABSOLUTE",
        "percentage": 70.0,
        "rowCount": 10,
        "mode": "RANDOM",
        "class_column": "dE",
        "seed": 5,
        "seed_is_present": False,
        "actionEmpty": "FAIL",
    }
    variables = bindings(rowCount={"used": "N"}, percentage={"used": "N"}, seed={"used": "currentIteration"})
    node, report, _ = import_fragment(tmp_path, SAMPLING, model, variables)
    assert node.type == "row_sampler" and findings(report) == []
    assert node.settings == {
        "partitioning_mode": "ABSOLUTE",
        "percentage": 70.0,
        "row_count": 10,
        "mode": "RANDOM",
        "seed": None,
        "action_empty": "FAIL",
    }
    assert node.use_variables == {"row_count": "N", "seed": "currentIteration"}
    assert any("binding of percentage" in n for n in notes(report))
    node, _, _ = import_fragment(
        tmp_path, PARTITION, {**model, "mode": "STRATIFIED", "seed_is_present": True}
    )
    assert node.settings["seed"] == 5 and node.settings["class_column"] == "dE"


CSV_READER = "org.knime.base.node.io.filehandling.csv.reader.CSVTableReaderNodeFactory"
CSV_WRITER = "org.knime.base.node.io.filehandling.csv.writer.CSVWriter2NodeFactory"


def _reader_model(path: str, **settings: Any) -> dict[str, Any]:
    return {
        "settings": {
            "file_selection": {"path": {"path": path}, "filter_mode": {"filter_mode": "FILE"}},
            "has_column_header": True,
            "column_delimiter": ";",
            **settings,
        }
    }


def test_reader_paths_become_the_data_folder_variable(tmp_path: Path) -> None:
    node, report, doc = import_fragment(tmp_path, CSV_READER, _reader_model("C:\\KNIME_data\\data\\a.csv"))
    assert node.settings == {"file": "${data_dir}/a.csv", "has_column_header": True, "column_delimiter": ";"}
    assert doc.variables == {"data_dir": "../data"} and findings(report) == []
    assert notes(report) == ["file 'C:\\\\KNIME_data\\\\data\\\\a.csv' imported as '${data_dir}/a.csv'"]
    _, _, doc = import_fragment(tmp_path, CSV_READER, _reader_model("/home/me/a.csv"), data_dir="/data")
    assert doc.variables == {"data_dir": "/data"}


def test_reader_keeps_the_charset_the_workflow_saved(tmp_path: Path) -> None:
    """knitflow's CSV Reader defaults to UTF-8; an imported reader keeps what KNIME saved, so the
    tutorial's windows-31j readers read as they did in KNIME."""
    saved = {**_reader_model("C:\\d\\a.csv"), "encoding": {"charset": "windows-31j"}}
    node, report, _ = import_fragment(tmp_path, CSV_READER, saved)
    assert node.settings["charset"] == "windows-31j" and findings(report) == []
    utf8 = {**_reader_model("C:\\d\\a.csv"), "encoding": {"charset": "UTF-8"}}
    assert import_fragment(tmp_path, CSV_READER, utf8)[0].settings["charset"] == "UTF-8"
    assert registry.get("csv_reader").Settings().charset == "UTF-8"  # type: ignore[union-attr]


def test_reader_path_from_a_flow_variable(tmp_path: Path) -> None:
    """13_01: the CSV Writer exposes its path as `filename`, the CSV Reader uses it; the binding is
    kept and the path is the bare file name (no data folder: the file is written by the workflow)."""
    variables = bindings(**{"settings.file_selection.path": {"used": "filename"}})
    node, report, doc = import_fragment(tmp_path, CSV_READER, _reader_model("C:\\out\\law.csv"), variables)
    assert node.settings["file"] == "law.csv" and node.use_variables == {"file": "filename"}
    assert "data_dir" not in doc.variables and findings(report) == []
    writer = {
        "settings": {
            "file_chooser_settings": {"path": {"path": "C:\\out\\law.csv"}, "if_path_exists": "overwrite"}
        }
    }
    variables = bindings(**{"settings.file_chooser_settings.path": {"exposed": "filename"}})
    node, report, _ = import_fragment(tmp_path, CSV_WRITER, writer, variables)
    assert node.settings == {"file": "law.csv", "if_path_exists": "overwrite"}
    assert node.expose_variables == {"file": "filename"} and findings(report) == []


def test_reader_columns_limits_and_unsupported_options(tmp_path: Path) -> None:
    column = {
        "external_spec": {"name": "a"},
        "name": "alpha",
        "position": 1,
        "keep": True,
        "production_path": {"_converter_dst": "org.knime.core.data.def.DoubleCell"},
    }
    dropped = {
        "external_spec": {"name": "b"},
        "name": "b",
        "position": 0,
        "keep": False,
        "production_path": {"_converter_dst": "org.knime.core.data.def.StringCell"},
    }
    model = _reader_model("x.csv", skip_empty_data_rows=True)
    model["settings"]["file_selection"]["filter_mode"]["filter_mode"] = "FILES_IN_FOLDERS"
    model["limit_rows"] = {
        "skip_lines": False,
        "number_of_lines_to_skip": 3,
        "limit_data_rows": True,
        "max_rows": 50,
    }
    model["table_spec_config_Internals"] = {
        "table_transformation": {
            "enforce_types": True,
            "columns": {"0": column, "1": dropped},
            "unknown_columns_transformation": {"keep": False},
        }
    }
    node, report, _ = import_fragment(tmp_path, CSV_READER, model)
    assert node.settings["max_rows"] == 50 and "skip_lines" not in node.settings
    assert node.settings["enforce_types"] is True
    assert node.settings["columns"] == [
        {"name": "b", "type": "String", "keep": False},
        {"name": "a", "rename": "alpha", "type": "Double"},
    ]
    assert node.settings["keep_unknown_columns"] is False  # KNIME's unknown columns: keep = false
    problems = " | ".join(findings(report))
    assert "folder of files" in problems and "skip_empty_data_rows" in problems


def test_binding_inside_a_setting_and_binding_without_counterpart(tmp_path: Path) -> None:
    """A binding on one element of a list setting cannot be carried over; nor one on a KNIME setting
    knitflow does not have: both are findings (so --strict refuses them)."""
    predicate = {
        "columnV2": {"regularChoice": "N"},
        "operator": "GT",
        "predicateValues": {"values": {"0": {"value": 1050}}},
    }
    model = {"matchCriteria": "AND", "predicates": [predicate], "outputMode": "MATCHING", "domains": "RETAIN"}
    variables = bindings(**{"predicates.0.predicateValues.values.0.value": {"used": "threshold"}})
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.preproc.filter.row3.RowFilterNodeFactory", model, variables
    )
    assert node.settings["predicates"] == [{"column": "N", "operator": "GT", "value": 1050}]
    assert node.use_variables == {}
    assert any("applies to part of setting 'predicates.0'" in m for m in findings(report))
    transposer = "org.knime.base.node.preproc.transpose.TransposeTableNodeFactory"
    node, report, _ = import_fragment(
        tmp_path, transposer, {"chunk_size": 10}, bindings(chunk_size={"used": "n"})
    )
    assert node.settings == {} and node.use_variables == {}
    assert any("chunk_size" in m and "no knitflow equivalent" in m for m in findings(report))


def test_view_settings_of_older_layouts(tmp_path: Path) -> None:
    """KNIME renames a view setting when its layout changes: 10_01's Table Views hold
    `displayedColumns` (not V2); a Scatter Plot may hold `xAxisColumnV2` as plain text. An optional
    label whose `_is_present` flag is off is None."""
    columns = {
        "mode": "MANUAL",
        "manualFilter": {
            "manuallySelected": ["Logit", "Coeff."],
            "manuallyDeselected": ["x"],
            "includeUnknownColumns": False,
        },
    }
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.views.node.tableview.TableViewNodeFactory",
        {"displayedColumns": columns, "title": "T", "showRowKeys": False},
        bindings(title={"used": "t"}),
    )
    assert node.settings == {
        "displayed_columns_v2": {
            "included_names": ["Logit", "Coeff."],
            "excluded_names": [],
            "enforce_option": "EnforceInclusion",
        },
        "title": "T",
        "show_row_keys": False,
    }
    assert node.use_variables == {"title": "t"} and findings(report) == []
    assert any("displayedColumns (an older layout)" in n for n in notes(report))
    model = {
        "xAxisColumnV2": "a",
        "yAxisColumnV3": {"regularChoice": "b"},
        "customXAxisLabelV2": "stale",
        "customXAxisLabelV2_is_present": False,
        "customYAxisLabelV2": "dE",
        "customYAxisLabelV2_is_present": True,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.views.node.scatterplot.ScatterPlotNodeFactory", model
    )
    assert node.settings == {
        "x_axis_column_v3": "a",
        "y_axis_column_v3": "b",
        "custom_x_axis_label_v2": None,
        "custom_y_axis_label_v2": "dE",
    }
    assert findings(report) == []


def test_sorter_current_and_legacy_layouts(tmp_path: Path) -> None:
    sorter = "org.knime.base.node.preproc.sorter.SorterNodeFactory"
    criteria = [
        {"columnV2": {"regularChoice": "R^2"}, "sortingOrder": "DESCENDING", "stringComparison": "NATURAL"},
        {
            "columnV2": {"regularChoice": None, "specialChoice_Internals": "ROW_ID"},
            "sortingOrder": "ASCENDING",
            "stringComparison": "LEXICOGRAPHIC",
        },
    ]
    node, report, _ = import_fragment(tmp_path, sorter, {"sortingCriteria": criteria, "missingToEnd": True})
    assert node.settings["sorting_criteria"] == [
        {"column": "R^2", "sorting_order": "DESCENDING", "string_comparison": "NATURAL"},
        {"column": "<ROW_ID>", "sorting_order": "ASCENDING", "string_comparison": "LEXICOGRAPHIC"},
    ]
    assert node.settings["missing_to_end"] is True and findings(report) == []
    # before KNIME 5.1: parallel arrays `incllist` / `sortOrder` (true = ascending); strings compared
    # lexicographically unless `alphaNumStringComp` (4.7 on) asks for the natural order
    node, report, _ = import_fragment(tmp_path, sorter, {"incllist": ["b", "a"], "sortOrder": [True, False]})
    assert node.settings["sorting_criteria"] == [
        {"column": "b", "sorting_order": "ASCENDING", "string_comparison": "LEXICOGRAPHIC"},
        {"column": "a", "sorting_order": "DESCENDING", "string_comparison": "LEXICOGRAPHIC"},
    ]
    assert findings(report) == []


def test_expression_with_additional_expressions(tmp_path: Path) -> None:
    model = {
        "script": ' abs($["a"]) \n',
        "columnOutputMode": "APPEND",
        "createdColumn": "x",
        "replacedColumn": "",
        "languageVersion": 1,
        "additionalExpressions": {
            "0": {
                "script": '$["a"] * 2',
                "columnOutputMode": "REPLACE_EXISTING",
                "createdColumn": "",
                "replacedColumn": "a",
            }
        },
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.expressions.node.row.mapper.ExpressionRowMapperNodeFactory", model
    )
    assert node.settings["expressions"] == [
        {"script": 'abs($["a"])', "columnOutputMode": "APPEND", "createdColumn": "x"},
        {"script": '$["a"] * 2', "columnOutputMode": "REPLACE_EXISTING", "replacedColumn": "a"},
    ]
    assert findings(report) == []


def test_table_creator_cells_and_stale_entries(tmp_path: Path) -> None:
    """Cells are stored as parallel arrays (row, column, value); KNIME keeps cells of deleted rows
    at row -1 and skipped columns in `columnProperties`."""
    props = {
        "0": {
            "ColumnName": "name",
            "ColumnClass": {"cell_class": "org.knime.core.data.def.StringCell"},
            "SkipThisColumn": False,
            "MissValuePattern": "?",
        },
        "1": {
            "ColumnName": "gone",
            "ColumnClass": {"cell_class": "org.knime.core.data.def.IntCell"},
            "SkipThisColumn": True,
        },
        "2": {
            "ColumnName": "n",
            "ColumnClass": {"cell_class": "org.knime.core.data.def.IntCell"},
            "SkipThisColumn": False,
        },
    }
    model = {
        "columnProperties": props,
        "rowIndices": [0, 0, 1, -1, 0],
        "columnIndices": [0, 2, 0, 0, 1],
        "values": ["a", "1", "b", "stale", "skipped"],
        "rowIdPrefix": "Row",
        "rowIdSuffix": "",
        "rowIdStartValue": 0,
        "highlightOutputTable": False,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.io.tablecreator.TableCreator2NodeFactory", model
    )
    assert node.settings["columns"] == [
        {"name": "name", "type": "String", "missing_value_pattern": "?"},
        {"name": "n", "type": "Integer"},
    ]
    assert node.settings["rows"] == [["a", "1"], ["b", None]]
    assert findings(report) == []


def test_missing_value_by_type_and_by_column(tmp_path: Path) -> None:
    handlers = "org.knime.base.node.preproc.pmml.missingval.handlers."
    model = {
        "dataTypeSettings": {
            "org.knime.core.data.def.DoubleCell": {
                "factoryID": handlers + "DoubleMeanMissingCellHandlerFactory",
                "settings": {},
            },
            "org.knime.core.data.def.StringCell": {
                "factoryID": handlers + "FixedStringValueMissingCellHandlerFactory",
                "settings": {"fixStringValue": "?"},
            },
        },
        "columnSettings": {
            "0": {
                "colNames": ["a", "b"],
                "settings": {"factoryID": handlers + "RemoveRowMissingCellHandlerFactory", "settings": {}},
            }
        },
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.preproc.pmml.missingval.compute.MissingValueHandlerNodeFactory", model
    )
    cls = registry.get("missing_value")
    settings = cls.Settings.model_validate(node.settings)
    assert settings.data_type_settings == {
        "Double": {"handler": "Mean"},
        "String": {"handler": "FixedValue", "value": "?"},
    }
    assert [dict(c) for c in settings.column_settings] == [{"columns": ["a", "b"], "handler": "RemoveRow"}]
    assert findings(report) == []


def test_loop_end_flags_per_port(tmp_path: Path) -> None:
    """Loop End stores some flags once per input port; knitflow has one value."""
    model = {
        "addIterationColumn": True,
        "rowKeyPolicy": "GENERATE_NEW",
        "propagateLoopVariables": False,
        "ignoreEmptyTables": [True, False],
        "tolerateColumnTypes": [False],
        "tolerateChangingSpecs": [False],
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.meta.looper.LoopEndDynamicNodeFactory", model
    )
    assert node.settings["ignore_empty_tables"] is True and node.settings["tolerate_column_types"] is False
    assert any("ignoreEmptyTables differs between input ports" in m for m in findings(report))


def test_logistic_regression_reference_category(tmp_path: Path) -> None:
    string_cell = "org.knime.core.data.def.StringCell"
    model = {
        "target": "class",
        "targetReferenceCategory": {"datacell": string_cell, string_cell: {"StringCell": "stable"}},
        "column-filter": {
            "filter-type": "STANDARD",
            "included_names": ["x"],
            "excluded_names": ["class"],
            "enforce_option": "EnforceExclusion",
        },
        "solver": "SAG",
        "seed": None,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.regression.logistic.learner4.LogRegLearnerNodeFactory4", model
    )
    assert node.settings["targetReferenceCategory"] == "stable"
    assert node.settings["column_filter"] == {
        "included_names": ["x"],
        "excluded_names": ["class"],
        "enforce_option": "EnforceExclusion",
    }
    assert node.settings["seed"] is None and findings(report) == []


def test_column_filter_modes(tmp_path: Path) -> None:
    """By type: `type_filter`; by name pattern: the pattern (tests/test_knime_layouts.py runs them)."""
    factory = "org.knime.base.node.preproc.filter.column.DataColumnSpecFilterNodeFactory"
    by_type = {
        "filter-type": "datatype",
        "included_names": [],
        "excluded_names": [],
        "enforce_option": "EnforceExclusion",
        "datatype": {
            "typelist": {"org.knime.core.data.DoubleValue": True, "org.knime.core.data.StringValue": False}
        },
    }
    node, report, _ = import_fragment(tmp_path, factory, {"column-filter": by_type})
    assert node.settings["column_filter"]["type_filter"] == ["Double"] and findings(report) == []
    assert node.settings["column_filter"]["mode"] == "TYPE"
    by_name = {
        **by_type,
        "filter-type": "name_pattern",
        "included_names": ["a"],
        "name_pattern": {"pattern": "x*", "type": "Wildcard"},
    }
    node, report, _ = import_fragment(tmp_path, factory, {"column-filter": by_name})
    flt = node.settings["column_filter"]
    assert (flt["mode"], flt["pattern"], flt["classic_pattern"]) == ("WILDCARD", "x*", True)
    assert findings(report) == []


def test_numeric_scorer_rowid_and_output_name(tmp_path: Path) -> None:
    model = {
        "reference": {"columnName": None, "useRowID": True},
        "predicted": {"columnName": "p", "useRowID": False},
        "override default output name": False,
        "output column": "ignored",
        "generate flow variables": True,
        "name prefix for flowvars": "",
        "number_of_predictors": 0,
    }
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.mine.scorer.numeric2.NumericScorer2NodeFactory", model
    )
    assert node.settings["predicted"] == "p" and "output_column" not in node.settings
    assert any("RowID" in m for m in findings(report))


def test_pivot_and_random_forest_unsupported_options(tmp_path: Path) -> None:
    pivot = {
        "grouByColumns": {"InclList": ["g"]},
        "pivotColumns": {"InclList": ["p"]},
        "aggregationColumn": {
            "columnNames": ["v"],
            "aggregationMethod": ["Sum_V2.5.2"],
            "inclMissingVals": [False],
        },
        "patternAggregators": {"0": {"pattern": "x"}},
    }
    node, report, _ = import_fragment(tmp_path, "org.knime.base.node.preproc.pivot.Pivot2NodeFactory", pivot)
    assert node.settings["groupByColumns"] == ["g"] and node.settings["pivotColumns"] == ["p"]
    assert any("patternAggregators" in m for m in findings(report))
    rf = {"targetColumn": "y", "fingerprintColumn": "fp", "nrModels": 10}
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.base.node.mine.treeensemble2.node.randomforest.learner.regression."
        "RandomForestRegressionLearnerNodeFactory",
        rf,
    )
    assert node.settings["nrModels"] == 10
    assert any("fingerprint" in m for m in findings(report))


def test_python_script_text_and_ports(tmp_path: Path) -> None:
    """The script is kept (line ends and trailing blanks tidied, with a note); port groups come from
    `node_creation_config`; an image output is a finding."""
    creation = config(
        "node_creation_config",
        **{
            "Input table": {"port_0": {"x": 1}},
            "Output table": {"port_0": {"x": 1}, "port_1": {"x": 1}},
            "Output image": {"port_0": {"x": 1}},
        },
    )
    node, report, _ = import_fragment(
        tmp_path,
        "org.knime.python3.scripting.nodes2.script.PythonScriptNodeFactory",
        {"script": "import knime.scripting.io as knio  \r\nx = 1\r\n", "python3_command": ""},
        extra=creation,
    )
    assert node.settings == {"script": "import knime.scripting.io as knio\nx = 1\n", "output_tables": 2}
    assert any("trailing whitespace" in n for n in notes(report))
    assert any("image output" in m for m in findings(report))


def test_parameter_optimization_loop_start_with_dialog_parameters(tmp_path: Path) -> None:
    """The dialog variant (no tutorial uses it): strategy settings as in the table variant and the
    parameter list; a parameter key knitflow does not know is a finding."""
    factory = "org.knime.optimization.internal.node.parameter.loopstart.LoopStartParOptNodeFactory"
    params = {
        "0": {
            "parameterName": "alpha",
            "startValue": 0.0,
            "stopValue": 1.0,
            "stepSize": 0.5,
            "isInteger": False,
        },
        "1": {"parameterName": "n", "startValue": 1.0, "stopValue": 3.0, "stepSize": 1.0, "isInteger": True},
    }
    model = {"method": "RandomSearch", "useSeed": True, "seed": 7, "numTrials": 5, "parameters": params}
    node, report, _ = import_fragment(tmp_path, factory, model, bindings(numTrials={"used": "trials"}))
    assert node.type == "parameter_optimization_loop_start" and findings(report) == []
    assert node.settings["parameters"] == [
        {
            "parameter_name": "alpha",
            "start_value": 0.0,
            "stop_value": 1.0,
            "step_size": 0.5,
            "is_integer": False,
        },
        {"parameter_name": "n", "start_value": 1.0, "stop_value": 3.0, "step_size": 1.0, "is_integer": True},
    ]
    assert (node.settings["method"], node.settings["use_seed"], node.settings["seed"]) == (
        "RandomSearch",
        True,
        7,
    )
    assert node.use_variables == {"num_trials": "trials"}
    params["1"]["scale"] = "log"
    node, report, _ = import_fragment(tmp_path, factory, {"method": "BruteForce", "parameters": params})
    assert any("'scale'" in m for m in findings(report))
    node, report, _ = import_fragment(tmp_path, factory, {"method": "BruteForce"})
    assert any("no parameter list" in m for m in findings(report))


def test_normalizer_apply_has_no_settings(tmp_path: Path) -> None:
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.preproc.normalize3.NormalizerApplyNodeFactory", {}
    )
    assert node.type == "normalizer_apply" and node.settings == {} and findings(report) == []


def test_absent_keys_leave_the_default(tmp_path: Path) -> None:
    """An older node version lacks keys: the node's default (KNIME's) applies, without a finding."""
    node, report, _ = import_fragment(tmp_path, CSV_READER, _reader_model("a.csv"))
    assert set(node.settings) == {"file", "has_column_header", "column_delimiter"} and findings(report) == []
    node, report, _ = import_fragment(
        tmp_path, "org.knime.base.node.meta.looper.LoopEndDynamicNodeFactory", {}
    )
    assert node.settings == {} and findings(report) == []


# ------------------------------------------------- the command, the Python API and the README


@pytest.mark.parametrize("name", with_archives(sorted(COUNTS)))
def test_cli_imports_every_archive_strictly_and_it_validates(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`knitflow import-knime X.knwf -o X.yaml --strict` then `knitflow validate X.yaml`: no finding,
    every node configures (the slow archives are not run here)."""
    from engine.cli import main

    out = tmp_path / f"{name}.yaml"
    assert (
        main(["import-knime", str(_archive(name)), "-o", str(out), "--strict", "--data-dir", str(tmp_path)])
        == 0
    )
    captured = capsys.readouterr()
    assert "0 problem(s)" in captured.out
    assert all("[note]" in line for line in captured.err.splitlines())  # notes only: what was rewritten
    assert main(["validate", str(out)]) == 0
    assert f"ok ({COUNTS[name][0]} nodes)" in capsys.readouterr().out


def test_13_01_reader_keeps_the_path_variable_of_the_writer() -> None:
    """13_01: CSV Writer #283 exposes its path as `filename`; CSV Reader #284 reads that variable
    (connected by the variable port 283:0 -> 284:0) and configures from the imported spec."""
    from engine.knime import load_knwf

    wf = load_knwf(_archive("13_01_SMILES_RDkit"))
    assert wf.doc.node(283).expose_variables == {"file": "filename"}
    assert wf.doc.node(284).use_variables == {"file": "filename"}
    assert "283:0 -> 284:0" in {str(c) for c in wf.doc.connections}
    status = wf.validate()
    assert [s.error for s in status.values() if s.error] == []
    assert len(status[284].specs[0]) == 10


def test_load_knwf_gives_a_runnable_workflow(tmp_path: Path) -> None:
    from engine.core.document import WorkflowLoadError
    from engine.core.workflow import Workflow
    from engine.knime import load_knwf

    report = ImportReport()
    archive = _archive("10_01_ZB_WZ")
    wf = load_knwf(archive, data_dir="/data", report=report)
    assert isinstance(wf, Workflow) and wf.doc.variables == {"data_dir": "/data"}
    assert wf.base_dir == archive.resolve().parent
    assert report.of_kind("note") and not findings(report)
    wf.save(tmp_path / "saved.yaml")
    assert canonical_dict(Workflow.load(tmp_path / "saved.yaml").doc) == canonical_dict(wf.doc)
    bad = tmp_path / "bad"
    (bad / "n (#1)").mkdir(parents=True)
    (bad / "workflow.knime").write_text(
        xml(
            f'<config key="nodes">{_node_entry(1, "n (#1)/settings.xml", 0, 0)}</config>'
            f'<config key="connections">{_connection(0, 1, 1, 7, 1)}</config>',
            key="workflow.knime",
        )
    )
    (bad / "n (#1)" / "settings.xml").write_text(xml(config("model") + entry("factory", PARTITION)))
    # like KNIME, which loads it with an error message: the connection to a missing node is dropped
    report = ImportReport()
    assert load_knwf(bad, report=report).doc.connections == []
    assert any("there is no node 7" in m for m in findings(report))
    with pytest.raises(WorkflowLoadError, match="duplicate node id"):
        bad_doc = skeleton(bad)
        bad_doc.nodes.append(bad_doc.nodes[0])
        Workflow(bad_doc, tmp_path / "bad.yaml").validate()


def test_cli_list_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli import main
    from engine.knime import supported_nodes_markdown

    assert main(["import-knime", "--list-nodes"]) == 0
    text = capsys.readouterr().out
    assert text == supported_nodes_markdown()
    assert text.startswith("| KNIME node | KNIME factory | knitflow type |\n|---|---|---|\n")
    # one row per mapping (two KNIME factories may share a simple class name: ScatterPlotNodeFactory)
    assert len(text.splitlines()) == sum(len(cls.knime) for cls in registry.all().values()) + 2
    assert "| Table Partitioner | `PartitionNodeFactory` | `table_partitioner` |" in text
    assert main(["import-knime"]) == 2


def test_readme_node_list_is_generated_from_the_mapping_table(tmp_path: Path) -> None:
    """README.md's list between the knime-nodes markers is `supported_nodes_markdown()`; regenerate
    it with `python -m engine.knime --update-readme`."""
    from engine.knime.supported_nodes import (
        README_END,
        README_START,
        main,
        supported_nodes_markdown,
        update_readme,
    )

    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert README_START in text and README_END in text
    listed = text.split(README_START, 1)[1].split(README_END, 1)[0]
    assert listed == "\n" + supported_nodes_markdown(), (
        "README.md's KNIME node list is out of date: run `python -m engine.knime --update-readme`"
    )
    # the regeneration itself
    copy = tmp_path / "README.md"
    copy.write_text(text.replace(listed, "\n| stale |\n"), encoding="utf-8")
    assert main(["--check", str(copy)]) == 1
    assert update_readme(copy) is True and copy.read_text(encoding="utf-8") == text
    assert main(["--check", str(copy)]) == 0 and update_readme(copy) is False


def test_recorded_results_read_flow_stack_and_shapes(tmp_path: Path) -> None:
    """The saved-run reader on a hand-made archive: the top of the flow stack wins, shapes parse."""
    from engine.knime.recorded import recorded_results

    folder = tmp_path / "wf"
    node_dir = folder / "Numeric Scorer (#8)"
    node_dir.mkdir(parents=True)
    (folder / "workflow.knime").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<config {NS} key="workflow.knime">
<entry key="name" type="xstring" value="wf"/>
<config key="nodes"><config key="node_8">
<entry key="id" type="xint" value="8"/>
<entry key="node_settings_file" type="xstring" value="Numeric Scorer (#8)/settings.xml"/>
<entry key="node_type" type="xstring" value="NativeNode"/>
</config></config>
<config key="connections"/>
</config>"""
    )
    (node_dir / "settings.xml").write_text(
        f"""<?xml version="1.0" encoding="UTF-8"?>
<config {NS} key="settings.xml">
<entry key="factory" type="xstring" value="org.knime.base.node.mine.scorer.numeric2.NumericScorer2NodeFactory"/>
<entry key="node-name" type="xstring" value="Numeric Scorer"/>
<entry key="state" type="xstring" value="EXECUTED"/>
<config key="model"/>
<config key="flow_stack">
<config key="Variable_0"><entry key="type" type="xstring" value="variable"/>
<entry key="name" type="xstring" value="R^2"/><entry key="class" type="xstring" value="DOUBLE"/>
<entry key="value" type="xdouble" value="0.0"/></config>
<config key="Variable_1"><entry key="type" type="xstring" value="variable"/>
<entry key="name" type="xstring" value="R^2"/><entry key="class" type="xstring" value="DOUBLE"/>
<entry key="value" type="xdouble" value="0.9459"/></config>
</config>
<config key="ports"><config key="port_1">
<entry key="index" type="xint" value="1"/>
<entry key="port_object_summary" type="xstring" value="Rows: 1,234, Cols: 7"/>
</config></config>
</config>"""
    )
    node = recorded_results(folder)[8]
    assert node.state == "EXECUTED" and node.name == "Numeric Scorer"
    assert node.variables == {"R^2": 0.9459}
    assert node.shapes == {1: (1234, 7)}
