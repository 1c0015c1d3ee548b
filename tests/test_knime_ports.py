"""Issue 17: an imported workflow always loads. A placeholder keeps the KNIME node's real ports
(count and kinds: table, model, Spark, database, image, flow variables) read from its settings.xml
`ports`, a metanode's `meta_in_ports`, a component's `inports` and the connections; flow-variable
connections into and out of placeholders load; a metanode template's connections from id -1 load;
a node KNIME leaves half-wired fails at configure time on that node alone (YAML workflows too).

The archives are built here as folders of workflow.knime + settings.xml, like KNIME writes them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_knime_import import _connection, _node_entry, config, entry, findings, node_xml, xml

from engine.core.document import parse_document, read_document
from engine.core.registry import registry
from engine.core.workflow import Workflow
from engine.knime import ImportReport, load_knwf

TABLE = "org.knime.core.node.BufferedDataTable"
VARIABLES = "org.knime.core.node.port.flowvariable.FlowVariablePortObject"
PMML = "org.knime.core.node.port.pmml.PMMLPortObject"
DB = "org.knime.database.port.DBSessionPortObject"
TREE_MODEL = "org.knime.base.node.mine.treeensemble2.model.TreeEnsembleModelPortObject"

CREATOR = "org.knime.base.node.io.tablecreator.TableCreator2NodeFactory"
ROW_FILTER = "org.knime.base.node.preproc.filter.row3.RowFilterNodeFactory"
TABLE_VIEW = "org.knime.base.views.node.tableview.TableViewNodeFactory"
ROW_TO_VARIABLE = "org.knime.base.node.flowvariable.tablerowtovariable3.TableToVariable3NodeFactory"
RF_PREDICTOR = (
    "org.knime.base.node.mine.treeensemble2.node.randomforest.predictor.regression."
    "RandomForestRegressionPredictorNodeFactory"
)
UNKNOWN = "com.example.UnknownNodeFactory"

# a Table Creator holding one Double column x = 1, 2, 3
CREATOR_MODEL = {
    "rowIndices": [0, 1, 2],
    "columnIndices": [0, 0, 0],
    "values": ["1", "2", "3"],
    "columnProperties": {
        "0": {
            "ColumnName": "x",
            "ColumnClass": {"cell_class": "org.knime.core.data.def.DoubleCell"},
            "MissValuePattern": "",
            "SkipThisColumn": False,
        }
    },
    "rowIdPrefix": "Row",
    "rowIdSuffix": "",
    "rowIdStartValue": 0,
}


def ports_xml(*classes: str) -> str:
    """The `ports` config of a settings.xml: one entry per output port (index from 1)."""
    body = {
        f"port_{i}": {"index": i, "port_spec_class": "x", "port_object_class": cls}
        for i, cls in enumerate(classes, start=1)
    }
    return node_xml("ports", body)


def build(
    tmp_path: Path,
    nodes: list[tuple[int, str | None, dict[str, Any], str]],
    connections: list[tuple[int, int, int, int]],
    *,
    metanodes: dict[int, str] | None = None,
    components: dict[int, str] | None = None,
    workflow_extra: str = "",
    name: str = "flow",
) -> Path:
    """A workflow folder: `nodes` are (id, factory, model, extra settings.xml text); `metanodes`
    maps an id to the body of its own workflow.knime, `components` to its settings.xml body;
    connections are KNIME's (src, port, dst, port)."""
    root = tmp_path / name
    entries = []
    for node_id, factory, model, extra in nodes:
        folder = f"Node (#{node_id})"
        (root / folder).mkdir(parents=True)
        settings = (
            node_xml("model", model) + entry("factory", factory) + entry("name", f"Node {node_id}") + extra
        )
        (root / folder / "settings.xml").write_text(xml(settings), encoding="utf-8")
        entries.append(_node_entry(node_id, f"{folder}/settings.xml", 100 * node_id, 100))
    for node_id, body in (metanodes or {}).items():
        folder = f"Meta (#{node_id})"
        (root / folder).mkdir(parents=True)
        (root / folder / "workflow.knime").write_text(xml(body, key="workflow.knime"), encoding="utf-8")
        entries.append(_node_entry(node_id, f"{folder}/workflow.knime", 100 * node_id, 100, "MetaNode"))
    for node_id, body in (components or {}).items():
        folder = f"Component (#{node_id})"
        (root / folder).mkdir(parents=True)
        (root / folder / "settings.xml").write_text(xml(body), encoding="utf-8")
        entries.append(_node_entry(node_id, f"{folder}/settings.xml", 100 * node_id, 100, "SubNode"))
    conns = "".join(_connection(i, *c) for i, c in enumerate(connections))
    (root / "workflow.knime").write_text(
        xml(
            f'<config key="nodes">{"".join(entries)}</config><config key="connections">{conns}</config>'
            + workflow_extra,
            key="workflow.knime",
        ),
        encoding="utf-8",
    )
    return root


def port_types(doc: Any, node_id: int) -> tuple[list[str], list[str]]:
    cls = registry.get(doc.node(node_id).type)
    ins, outs = cls.ports_for(doc.node(node_id).settings)
    return [p.type.id for p in ins], [p.type.id for p in outs]


def meta_ports(kind: str, *classes: str) -> str:
    """A metanode's `meta_in_ports` / `meta_out_ports` (KNIME indexes them from 0)."""
    enum = {
        f"{'inport' if kind == 'in' else 'outport'}_{i}": {
            "index": i,
            "name": f"{kind} {i}",
            "type": {"object_class": cls},
        }
        for i, cls in enumerate(classes)
    }
    return config(f"meta_{kind}_ports", port_enum=enum)


# ------------------------------------------------------------------------------ placeholder ports


def test_placeholder_keeps_the_knime_nodes_ports(tmp_path: Path) -> None:
    """An unknown node declaring a table, a tree-ensemble model and a database output: the model
    output feeding a Random Forest Predictor takes its model type, so the workflow loads."""
    root = build(
        tmp_path,
        [
            (1, CREATOR, CREATOR_MODEL, ""),
            (2, UNKNOWN, {"magic": 1}, ports_xml(TABLE, TREE_MODEL, DB)),
            (3, RF_PREDICTOR, {}, ""),
            (4, UNKNOWN, {}, ""),
        ],
        [(1, 1, 2, 1), (2, 2, 3, 1), (1, 1, 3, 2), (2, 3, 4, 1), (2, 1, 4, 2)],
    )
    report = ImportReport()
    wf = load_knwf(root, report=report)
    assert port_types(wf.doc, 2) == (["table"], ["table", "model.random_forest_regression", "knime.database"])
    assert port_types(wf.doc, 4) == (["knime.database", "table"], [])
    outputs = wf.doc.node(2).settings["outputs"]
    assert outputs[2] == {"type": "knime.database", "knime_class": DB}
    assert len(wf.doc.connections) == 5 and not report.of_kind("connection")
    status = wf.validate()
    assert "cannot run" in status[2].error and status[1].error is None
    # the ports survive the YAML round trip
    saved = tmp_path / "saved.yaml"
    wf.save(saved)
    doc, _ = read_document(saved)
    assert port_types(doc, 2) == port_types(wf.doc, 2)


def test_placeholder_with_more_ports_than_four(tmp_path: Path) -> None:
    nodes: list[tuple[int, str | None, dict[str, Any], str]] = [
        (i, CREATOR, CREATOR_MODEL, "") for i in range(1, 7)
    ]
    nodes.append((7, UNKNOWN, {}, ports_xml(*[TABLE] * 6)))
    nodes.append((8, TABLE_VIEW, {}, ""))
    root = build(tmp_path, nodes, [(i, 1, 7, i) for i in range(1, 7)] + [(7, 6, 8, 1)])
    wf = load_knwf(root)
    assert port_types(wf.doc, 7) == (["table"] * 6, ["table"] * 6)
    assert len(wf.doc.connections) == 7


def test_flow_variable_connections_into_and_out_of_placeholders(tmp_path: Path) -> None:
    """A variable port of a mapped node feeds an explicit flow-variable input of an unknown node;
    the unknown node's flow-variable output feeds a mapped node's port 0; ports 0 connect both ways."""
    root = build(
        tmp_path,
        [
            (1, CREATOR, CREATOR_MODEL, ""),
            (2, ROW_TO_VARIABLE, {}, ""),
            (3, UNKNOWN, {}, ports_xml(VARIABLES)),
            (4, ROW_FILTER, {"predicates": {}}, ""),
            (5, UNKNOWN, {}, ""),
            (6, TABLE_VIEW, {}, ""),
        ],
        [
            (1, 1, 2, 1),
            (2, 1, 3, 1),
            (3, 1, 4, 0),
            (1, 1, 4, 1),
            (3, 0, 5, 0),
            (4, 0, 5, 1),
            (5, 0, 6, 0),
            (4, 1, 6, 1),
        ],
    )
    report = ImportReport()
    wf = load_knwf(root, report=report)
    assert len(wf.doc.connections) == 8 and not report.of_kind("connection")
    assert port_types(wf.doc, 3) == (["variables"], ["variables"])
    assert port_types(wf.doc, 5) == (["variables"], [])


def test_metanode_and_component_ports(tmp_path: Path) -> None:
    """A metanode numbers its ports from 0 (no flow-variable port): its ports come from its own
    workflow.knime and its connections are shifted by one; a component lists its ports in `inports`
    and `outports` without its hidden flow-variable port."""
    metanode = meta_ports("in", TABLE, DB) + meta_ports("out", TABLE)
    root = build(
        tmp_path,
        [(1, CREATOR, CREATOR_MODEL, ""), (2, UNKNOWN, {}, ports_xml(DB)), (4, TABLE_VIEW, {}, "")],
        [(1, 1, 3, 0), (2, 1, 3, 1), (3, 0, 4, 1)],
        metanodes={3: metanode},
    )
    report = ImportReport()
    wf = load_knwf(root, report=report)
    assert {str(c) for c in wf.doc.connections} == {"1:1 -> 3:1", "2:1 -> 3:2", "3:1 -> 4:1"}
    assert port_types(wf.doc, 3) == (["table", "knime.database"], ["table"])
    assert wf.doc.node(3).settings["inputs"][1]["name"] == "in 1"
    assert [e.kind for e in report.entries if e.node_id == 3] == ["unsupported_node"]


def test_component_ports(tmp_path: Path) -> None:
    ports = {
        "inports": {"inport_0": {"index": 0, "type": {"object_class": TABLE}}},
        "outports": {
            "outport_0": {"index": 0, "type": {"object_class": PMML}},
            "outport_1": {"index": 1, "type": {"object_class": TABLE}},
        },
    }
    body = entry("name", "My component") + "".join(node_xml(k, v) for k, v in ports.items())
    root = build(
        tmp_path,
        [(1, CREATOR, CREATOR_MODEL, ""), (3, TABLE_VIEW, {}, "")],
        [(1, 1, 2, 1), (2, 2, 3, 1)],
        components={2: body},
    )
    wf = load_knwf(root)
    assert wf.doc.node(2).name == "My component"
    assert port_types(wf.doc, 2) == (["table"], ["model", "table"])
    assert {str(c) for c in wf.doc.connections} == {"1:1 -> 2:1", "2:2 -> 3:1"}


def test_metanode_template_with_connections_from_its_own_ports(tmp_path: Path) -> None:
    """An exported metanode: its workflow.knime holds `meta_in_ports`/`meta_out_ports` and
    connections from and to id -1 (port 0 = the first data port). Two placeholders stand for the
    template's in- and outputs."""
    root = build(
        tmp_path,
        [(1, ROW_FILTER, {"predicates": {}}, ""), (2, UNKNOWN, {}, "")],
        [(-1, 0, 1, 1), (1, 1, 2, 1), (2, 1, -1, 0), (-1, 1, 2, 2)],
        workflow_extra=meta_ports("in", TABLE, VARIABLES) + meta_ports("out", TABLE),
    )
    report = ImportReport()
    wf = load_knwf(root, report=report)
    inputs, outputs = (n for n in wf.doc.nodes if n.id > 2)
    assert (inputs.name, outputs.name) == ("Metanode inputs", "Metanode outputs")
    assert {str(c) for c in wf.doc.connections} == {
        f"{inputs.id}:1 -> 1:1",
        "1:1 -> 2:1",
        f"2:1 -> {outputs.id}:1",
        f"{inputs.id}:2 -> 2:2",
    }
    assert port_types(wf.doc, inputs.id) == ([], ["table", "variables"])
    assert port_types(wf.doc, outputs.id) == (["table"], [])
    assert inputs.position[0] < 100 < 200 < outputs.position[0]
    assert any("metanode template" in e.message for e in report.of_kind("unsupported_node"))
    status = wf.validate()
    assert "cannot run" in (status[inputs.id].error or "") and status[1].state == "idle"


def test_connection_that_fits_no_port_is_dropped_not_fatal(tmp_path: Path) -> None:
    """A mapped node with fewer ports than KNIME's (KNIME's port 2 of a Row Filter is not there):
    the connection is dropped with a finding, the rest loads."""
    root = build(
        tmp_path,
        [(1, CREATOR, CREATOR_MODEL, ""), (2, ROW_FILTER, {"predicates": {}}, ""), (3, TABLE_VIEW, {}, "")],
        [(1, 1, 2, 1), (2, 2, 3, 1), (1, 1, 3, 1)],
    )
    report = ImportReport()
    wf = load_knwf(root, report=report)
    assert {str(c) for c in wf.doc.connections} == {"1:1 -> 2:1", "1:1 -> 3:1"}
    assert any("row_filter has no output port 2" in m for m in findings(report))


# ------------------------------------------------------------------------------- half-wired nodes


def test_half_wired_knime_node_fails_alone(tmp_path: Path) -> None:
    """A Row Filter whose input KNIME left unconnected: the workflow loads; the node (and only it)
    reports the missing input at configure time; the others configure and run."""
    root = build(
        tmp_path,
        [(1, CREATOR, CREATOR_MODEL, ""), (2, ROW_FILTER, {"predicates": {}}, ""), (3, TABLE_VIEW, {}, "")],
        [(1, 1, 3, 1)],
    )
    wf = load_knwf(root)
    status = wf.validate()
    assert status[2].error == "required input port 1 (Input table) is not connected"
    assert status[1].error is None and status[3].error is None
    result = wf.run()
    assert result.status[3].state == "executed" and result.status[2].error


HALF_WIRED = """
format: knitflow/1
name: half
nodes:
  - {id: 1, type: table_creator, settings: {columns: [{name: x, type: Double}], rows: [["1"]]}}
  - {id: 2, type: row_filter}
  - {id: 3, type: table_view}
  - {id: 4, type: table_view}
connections: ["1:1 -> 3:1", "2:1 -> 4:1"]
"""


def test_half_wired_yaml_workflow_loads_and_validate_reports_the_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.cli import main

    doc, _, problems = parse_document(HALF_WIRED, "half.yaml")
    assert problems == [] and doc is not None
    path = tmp_path / "half.yaml"
    path.write_text(HALF_WIRED, encoding="utf-8")
    wf = Workflow.load(path)
    status = wf.validate()
    assert status[2].error == "required input port 1 (Input table) is not connected"
    assert status[4].error is None and status[4].state == "idle"  # downstream of the red node
    assert status[3].state == "configured"
    assert main(["validate", str(path)]) != 0
    assert "required input port 1 (Input table) is not connected" in capsys.readouterr().out
    result = wf.run()
    assert result.status[3].state == "executed" and "not connected" in (result.status[2].error or "")


def test_placeholder_without_declared_ports_keeps_the_old_defaults() -> None:
    cls = registry.get("knime_placeholder")
    ins, outs = cls.ports_for({"factory": "x"})
    assert (len(ins), len(outs)) == (4, 4) and all(p.optional for p in ins)
