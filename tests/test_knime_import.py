"""Reading KNIME archives: the XML config parser on hand-written fragments, archive reading from
folders and zips (metanodes, unknown nodes), the settings mappings, and the seven tutorial
archives checked node for node and connection for connection against the reference specs."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import pytest

from engine.knime import (
    PLACEHOLDER_TYPE,
    Binding,
    ImportReport,
    KnimeFormatError,
    decode_string,
    flatten_variables,
    html_to_text,
    import_cli,
    parse_config_xml,
    read_archive,
    skeleton,
)
from engine.knime_mappings import MAPPINGS, key_name, python_ports
from engine.model import WorkflowDoc, check, parse_document, write_document

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = Path(os.environ.get("KNITFLOW_REFERENCE", ROOT.parent / "shared" / "reference"))
ARCHIVES = REFERENCE / "knime_workflows"
SPECS = REFERENCE / "workflows"
NS = 'xmlns="http://www.knime.org/2008/09/XMLConfig"'

# node and connection counts, taken from the node tables and connection lists of the specs
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
    assert list(tree) == ["s", "i", "l", "d", "nan", "inf", "t", "f", "c", "b", "none", "empty", "multi", "nested"]


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
    assert html_to_text("<p>Random forest, train/test,</p><p>Max phase</p>") == "Random forest, train/test,\nMax phase"
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
    assert part.name == "Table Partitioner" and part.factory_key == "PartitionNodeFactory"
    assert part.bounds == (100, 200, -1, -1) and part.position == (100, 200)
    assert part.annotation == "70 / 30"
    assert part.port_summaries == {1: "Rows: 57, Cols: 21"}
    assert part.folder == "Table Partitioner (#1)"
    assert lasso.factory_key == "org.knime.python.sklearn:LassoLearner"
    assert lasso.model["general_settings"]["feature_columns"] == ["ZA", "ZB"]
    assert lasso.bindings["algo_settings.alpha"] == Binding(used="alpha")
    assert fancy.model == {"magic": 42}
    assert meta.is_meta and meta.node_type == "MetaNode" and wf.unsupported == [meta]
    assert [str(c) for c in wf.connections] == ["1:1 -> 2:1", "2:1 -> 3:1", "1:0 -> 4:0"]
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
    assert meta.type == PLACEHOLDER_TYPE
    kinds = {(e.node_id, e.kind) for e in report.entries}
    assert (3, "unknown_node") in kinds and (4, "unsupported_node") in kinds
    assert [str(c) for c in doc.connections] == ["1:1 -> 2:1", "2:1 -> 3:1", "1:0 -> 4:0"]
    # the document is canonical YAML that loads back
    out = tmp_path / "out.yaml"
    write_document(doc, out)
    again, _, problems = parse_document(out.read_text(encoding="utf-8"), str(out))
    assert not problems and isinstance(again, WorkflowDoc)
    assert [n.id for n in again.nodes] == [1, 2, 3, 4]


def test_placeholder_fails_with_the_import_message(folder: Path) -> None:
    from engine.api import ConfigureError
    from engine.testing import configure_node

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
    path = ARCHIVES / f"{name}.knwf"
    if not path.exists():
        pytest.skip(f"reference archive {path} not available")
    return path


def _spec(name: str) -> str:
    path = SPECS / f"{name}.md"
    if not path.exists():
        pytest.skip(f"reference spec {path} not available")
    return path.read_text(encoding="utf-8")


def _section(text: str, title: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line.startswith(f"## {title}")
            continue
        if inside:
            lines.append(line)
    return lines


def spec_nodes(text: str) -> dict[int, str]:
    """{id: name} from the spec's node table."""
    rows = [re.match(r"^\| #(\d+) \| ([^|]+?) \|", line) for line in _section(text, "Nodes")]
    return {int(m[1]): m[2].strip() for m in rows if m}


def spec_connections(text: str) -> set[str]:
    pattern = re.compile(r"^- #(\d+) .*? port (\d+) -> #(\d+) .*? port (\d+)")
    return {f"{m[1]}:{m[2]} -> {m[3]}:{m[4]}" for m in map(pattern.match, _section(text, "Connections")) if m}


def spec_shapes(text: str) -> dict[tuple[int, int], str]:
    pattern = re.compile(r"^\| #(\d+) [^|]*\| (\d+) \| data table \| (Rows: [\d,]+, Cols: \d+) \|")
    return {(int(m[1]), int(m[2])): m[3] for m in map(pattern.match, _section(text, "Expected output port")) if m}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_tutorial_archive_matches_spec(name: str) -> None:
    wf = read_archive(_archive(name))
    text = _spec(name)
    n_nodes, n_conns = COUNTS[name]
    assert len(wf.nodes) == n_nodes and len(wf.connections) == n_conns
    nodes = spec_nodes(text)
    assert len(nodes) == n_nodes
    assert {n.id: n.name for n in wf.nodes} == nodes
    conns = spec_connections(text)
    assert len(conns) == n_conns
    assert {str(c) for c in wf.connections} == conns  # KNIME's port numbering is knitflow's: 0 = variables
    assert not wf.unsupported
    assert all(n.factory_key in MAPPINGS for n in wf.nodes)
    assert all(n.bounds is not None for n in wf.nodes)
    for (node, port), summary in spec_shapes(text).items():
        assert wf.node(node).port_summaries[port].replace(",", "") == summary.replace(",", ""), (node, port)


@pytest.mark.parametrize("name", sorted(COUNTS))
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
        "seed": "randomseed", "maxLevels": "levels", "minNodeSize": "minnodesize", "nrModels": "nmodels"
    }
    creator = doc.node(295).settings  # the stale cell at row -1 is not part of the table
    assert len(creator["rows"]) == 4 and creator["rows"][3] == ["randomseed", "1", "1", "0", "Number (integer)"]
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
    from engine.knime import KnimeNode, _fit
    from engine.registry import registry
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
            "columns": {"included_names": ["a"], "enforce_option": "EnforceInclusion", "pattern": "x*"},
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
    assert "columns.pattern" in messages and "new_column_name" in messages and "nothing" in messages
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
        n = KnimeNode(node_id, f"n (#{node_id})/settings.xml", factory, "n", (0, 0, -1, -1), None,
                      {"script": "pass"}, {}, {})
        n.creation_config = creation or {}
        return n

    script = "org.knime.python3.scripting.nodes2.script.PythonScriptNodeFactory"
    creation = {"Input object (pickled)": {"port_0": {}}, "Input table": {"port_0": {}},
                "Output table": {"port_0": {}}, "Output image": {"port_0": {}}}
    wf = KnimeWorkflow(
        "w", Path("w"),
        [node(1, script, {"Output object (pickled)": {"port_0": {}}}), node(2, script, creation),
         node(3, "org.knime.base.views.node.tableview.TableViewNodeFactory")],
        [KnimeConnection(1, 1, 2, 1), KnimeConnection(1, 1, 2, 2), KnimeConnection(2, 2, 3, 1),
         KnimeConnection(2, 1, 3, 1), KnimeConnection(1, 0, 3, 0)],
        [],
    )
    report = ImportReport()
    doc = to_document(wf, report)
    assert [str(c) for c in doc.connections] == ["1:5 -> 2:5", "1:5 -> 2:1", "2:1 -> 3:1", "1:0 -> 3:0"]
    assert [e.kind for e in report.of_kind("connection")] == ["connection"]
    assert any("image output" in e.message for e in report.entries)
