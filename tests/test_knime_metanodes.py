"""KNIME metanodes and components import as knitflow metanodes and components (#18), recursively,
instead of placeholders: an archive the test builds (Table Creator -> metanode holding a Math
Formula -> component holding another, between its input and output nodes) imports with no
finding and runs."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from test_knime_built_archive import _settings
from test_knime_import import _connection, _node_entry, xml

from engine.core.metanodes import id_of_path
from engine.knime import ImportReport, load_knwf

JEP = "org.knime.ext.jep.JEPNodeFactory"
VIRTUAL_IN = "org.knime.core.node.workflow.virtual.subnode.VirtualSubNodeInputNodeFactory"
VIRTUAL_OUT = "org.knime.core.node.workflow.virtual.subnode.VirtualSubNodeOutputNodeFactory"


def _formula(expression: str, column: str) -> str:
    model = {
        "expression": expression,
        "append_column": True,
        "replaced_column": column,
        "convert_to_int": False,
    }
    return _settings(JEP, "Math Formula", model)


def _workflow(nodes: str, connections: list[tuple[int, int, int, int]], extra: str = "") -> str:
    conns = "".join(_connection(k, *c) for k, c in enumerate(connections))
    return xml(
        f'{extra}<config key="nodes">{nodes}</config><config key="connections">{conns}</config>',
        key="workflow.knime",
    )


def _ports(key: str, names: list[str]) -> str:
    body = "".join(
        f'<config key="port_{i}"><entry key="index" type="xint" value="{i}"/>'
        f'<entry key="name" type="xstring" value="{n}"/>'
        f'<config key="type"><entry key="object_class" type="xstring" '
        f'value="org.knime.core.node.BufferedDataTable"/></config></config>'
        for i, n in enumerate(names)
    )
    return f'<config key="{key}"><config key="port_enum">{body}</config></config>'


def built_archive(folder: Path) -> Path:
    creator = _settings(
        "org.knime.base.node.io.tablecreator.TableCreator2NodeFactory",
        "Table Creator",
        {
            "rowIndices": [0, 1, 2],
            "columnIndices": [0, 0, 0],
            "values": ["1.0", "2.0", "3.0"],
            "columnProperties": {
                "0": {"ColumnName": "x", "ColumnClass": {"cell_class": "org.knime.core.data.def.DoubleCell"}}
            },
            "rowIdPrefix": "Row",
            "rowIdSuffix": "",
            "rowIdStartValue": 0,
            "highlightedCells": {"rowIndices": [], "columnIndices": []},
        },
    )
    top = _workflow(
        _node_entry(1, "Table Creator (#1)/settings.xml", 0, 0)
        + _node_entry(2, "Double (#2)/workflow.knime", 100, 0, node_type="MetaNode")
        + _node_entry(3, "Add (#3)/settings.xml", 200, 0, node_type="SubNode"),
        [(1, 1, 2, 0), (2, 0, 3, 1)],  # a metanode's ports count from 0, a component's from 1
    )
    metanode = _workflow(
        _node_entry(1, "Math Formula (#1)/settings.xml", 0, 0),
        [(-1, 0, 1, 1), (1, 1, -1, 0)],
        extra=_ports("meta_in_ports", ["table in"]) + _ports("meta_out_ports", ["doubled"]),
    )
    component_settings = xml(
        '<entry key="name" type="xstring" value="Add"/>'
        '<entry key="virtual-in-ID" type="xint" value="2"/>'
        '<entry key="virtual-out-ID" type="xint" value="3"/>',
    )
    component = _workflow(
        _node_entry(1, "Math Formula (#1)/settings.xml", 0, 0)
        + _node_entry(2, "Component Input (#2)/settings.xml", 0, 0)
        + _node_entry(3, "Component Output (#3)/settings.xml", 0, 0),
        [(2, 1, 1, 1), (1, 1, 3, 1)],
    )
    archive = folder / "nested.knwf"
    files: dict[str, Any] = {
        "workflow.knime": top,
        "Table Creator (#1)/settings.xml": creator,
        "Double (#2)/workflow.knime": metanode,
        "Double (#2)/Math Formula (#1)/settings.xml": _formula("$x$ * 2", "y"),
        "Add (#3)/settings.xml": component_settings,
        "Add (#3)/workflow.knime": component,
        "Add (#3)/Math Formula (#1)/settings.xml": _formula("$y$ + 1", "z"),
        "Add (#3)/Component Input (#2)/settings.xml": _settings(VIRTUAL_IN, "Component Input", {}),
        "Add (#3)/Component Output (#3)/settings.xml": _settings(VIRTUAL_OUT, "Component Output", {}),
    }
    with zipfile.ZipFile(archive, "w") as zf:
        for name, text in files.items():
            zf.writestr(f"nested/{name}", text)
    return archive


def test_metanodes_and_components_import_and_run(tmp_path: Path) -> None:
    report = ImportReport()
    wf = load_knwf(built_archive(tmp_path), report=report)
    assert [e.message for e in report.entries if e.kind != "note"] == []
    assert "knime_placeholder" not in {n.type for n in wf.doc.nodes}
    result = wf.run()
    assert result.ok, [(s.id, s.error) for s in result.failed()]
    out = result.output(id_of_path("3:1"))
    assert out["y"].tolist() == [2.0, 4.0, 6.0] and out["z"].tolist() == [3.0, 5.0, 7.0]


def test_the_imported_yaml_keeps_the_structure(tmp_path: Path) -> None:
    from engine.knime import import_cli

    out = tmp_path / "nested.yaml"
    assert import_cli(built_archive(tmp_path), out, strict=True) == 0
    text = out.read_text()
    assert "type: metanode" in text and "type: component" in text and "in:1 -> 1:1" in text
    from engine.core.workflow import Workflow

    assert Workflow.load(out).run().ok


CONFIG = "org.knime.js.base.node.configuration."


def configured_archive(folder: Path) -> Path:
    """Table Creator -> a component whose Double and Single Selection Configuration nodes feed a Math
    Formula; the component's dialog set the factor to 3 (KNIME keeps it in the component's settings)."""
    from knime_fragment import node_xml

    built = built_archive(folder)
    with zipfile.ZipFile(built) as zf:
        files = {n: zf.read(n).decode() for n in zf.namelist()}
    component = _workflow(
        _node_entry(1, "Math Formula (#1)/settings.xml", 0, 0)
        + _node_entry(2, "Component Input (#2)/settings.xml", 0, 0)
        + _node_entry(3, "Component Output (#3)/settings.xml", 0, 0)
        + _node_entry(4, "Double Configuration (#4)/settings.xml", 0, 0)
        + _node_entry(5, "Single Selection Configuration (#5)/settings.xml", 0, 0),
        [(2, 1, 1, 1), (1, 1, 3, 1), (4, 1, 1, 0), (5, 1, 1, 0)],
    )
    double = _settings(
        CONFIG + "input.dbl.DoubleDialogNodeFactory",
        "Double Configuration",
        {
            "flowvariablename": "factor",
            "defaultValue": {"double": 1.5},
            "label": "Factor",
            "description": "Scale",
            "parameterName": "double-input",
            "hideInDialog": False,
        },
    )
    single = _settings(
        CONFIG + "selection.single.SingleSelectionDialogNodeFactory",
        "Single Selection Configuration",
        {
            "flowvariablename": "mode",
            "defaultValue": {"variable_value": ["fast"]},
            "label": "Mode",
            "possible_choices": ["fast", "exact"],
            "parameterName": "single-selection",
            "hideInDialog": False,
        },
    )
    settings = xml(
        '<entry key="name" type="xstring" value="Add"/>'
        '<entry key="virtual-in-ID" type="xint" value="2"/>'
        '<entry key="virtual-out-ID" type="xint" value="3"/>'
        + node_xml("model", {"double-input-4": {"double": 3.0}}),
    )
    files["nested/Add (#3)/workflow.knime"] = component
    files["nested/Add (#3)/settings.xml"] = settings
    files["nested/Add (#3)/Math Formula (#1)/settings.xml"] = _formula("$y$ * $${Dfactor}$$", "z")
    files["nested/Add (#3)/Double Configuration (#4)/settings.xml"] = double
    files["nested/Add (#3)/Single Selection Configuration (#5)/settings.xml"] = single
    archive = folder / "configured.knwf"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return archive


def test_configuration_nodes_become_the_component_configuration(tmp_path: Path) -> None:
    report = ImportReport()
    wf = load_knwf(configured_archive(tmp_path), report=report)
    assert [e.message for e in report.entries if e.kind != "note"] == []
    result = wf.run()
    assert result.ok, [(s.id, s.error) for s in result.failed()]
    out = result.output(id_of_path("3:1"))
    assert out["z"].tolist() == [6.0, 12.0, 18.0]  # y * 3: the value the component's dialog set
    variables = result.output(id_of_path("3:1"), 0)
    assert variables["mode"] == "fast" and variables["factor"] == 3.0


def test_imported_configuration_is_written_as_options(tmp_path: Path) -> None:
    import yaml

    from engine.knime import import_cli

    out = tmp_path / "configured.yaml"
    assert import_cli(configured_archive(tmp_path), out, strict=True) == 0
    component = next(n for n in yaml.safe_load(out.read_text())["nodes"] if n["id"] == 3)
    assert component["settings"] == {"factor": 3.0}
    options = {o["name"]: o for o in component["workflow"]["configuration"]}
    assert options["factor"] == {
        "name": "factor",
        "type": "double",
        "default": 1.5,
        "title": "Factor",
        "description": "Scale",
    }
    assert options["mode"]["type"] == "choice" and options["mode"]["choices"] == ["fast", "exact"]
    # the configuration nodes themselves are gone with their connections
    assert [n["type"] for n in component["workflow"]["nodes"]] == ["math_formula"]
    assert component["workflow"]["connections"] == ["in:1 -> 1:1", "1:1 -> out:1"]


def test_component_input_and_output_variable_filters_become_its_scope(tmp_path: Path) -> None:
    """KNIME's Component Input / Output `variable-filter`: the names they pass in and out."""
    import yaml

    from engine.knime import import_cli

    archive = configured_archive(tmp_path)
    with zipfile.ZipFile(archive) as zf:
        files = {n: zf.read(n).decode() for n in zf.namelist()}

    def with_filter(factory: str, name: str, enforce: str, included: list[str]) -> str:
        flt = {
            "filter-type": "STANDARD",
            "included_names": included,
            "excluded_names": [],
            "enforce_option": enforce,
        }
        return _settings(factory, name, {"variable-filter": flt, "variable-prefix": None})

    files["nested/Add (#3)/Component Input (#2)/settings.xml"] = with_filter(
        VIRTUAL_IN, "Component Input", "EnforceExclusion", []
    )
    files["nested/Add (#3)/Component Output (#3)/settings.xml"] = with_filter(
        VIRTUAL_OUT, "Component Output", "EnforceInclusion", ["factor"]
    )
    filtered = tmp_path / "filtered.knwf"
    with zipfile.ZipFile(filtered, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    out = tmp_path / "filtered.yaml"
    assert import_cli(filtered, out, strict=True) == 0
    component = next(n for n in yaml.safe_load(out.read_text())["nodes"] if n["id"] == 3)
    assert component["workflow"]["variables_out"] == ["factor"]
    assert component["workflow"].get("variables_in") is None  # everything enters
    from engine.core.workflow import Workflow

    assert Workflow.load(out).run().ok


def test_quickform_inside_a_component_takes_the_value_its_dialog_set(tmp_path: Path) -> None:
    """A QuickForm (before 4.x's configuration nodes) stays a node that pushes its variable, with
    the value KNIME kept in the component's settings under `<parameter>-<node id>`."""
    archive = configured_archive(tmp_path)
    with zipfile.ZipFile(archive) as zf:
        files = {n: zf.read(n).decode() for n in zf.namelist()}
    quickform = _settings(
        "org.knime.js.base.node.quickform.input.dbl.DoubleInputQuickFormNodeFactory",
        "Double Input",
        {
            "flowvariablename": "factor",
            "defaultValue": {"double": 1.5},
            "label": "Factor",
            "description": "Scale",
            "hideInWizard": False,
            "hideInDialog": False,
            "required": True,
            "parameterName": "double-input",
            "customCSS": "",
            "use_min": False,
            "use_max": False,
            "min": 0.0,
            "max": 1.0,
        },
    )
    files["nested/Add (#3)/Double Configuration (#4)/settings.xml"] = quickform
    rebuilt = tmp_path / "quickform.knwf"
    with zipfile.ZipFile(rebuilt, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    report = ImportReport()
    wf = load_knwf(rebuilt, report=report)
    assert [e.message for e in report.entries if e.kind != "note"] == []
    assert any("component's dialog" in e.message for e in report.entries)
    result = wf.run()
    assert result.ok, [(s.id, s.error) for s in result.failed()]
    assert result.output(id_of_path("3:1"))["z"].tolist() == [6.0, 12.0, 18.0]  # y * 3, not y * 1.5


def test_configuration_nodes_kept_as_nodes_take_their_components_dialog_value() -> None:
    """Configuration nodes the component's options cannot express (here Multiple Selection, which
    outputs a table) stay nodes and take the value the component's dialog set, as QuickForms do;
    those that become options are left to the options."""
    from engine.knime.archive import KnimeNode, KnimeWorkflow
    from engine.knime.configuration import quickform_values

    def node(node_id: int, factory: str, model: dict[str, Any]) -> KnimeNode:
        return KnimeNode(node_id, f"N (#{node_id})/settings.xml", factory, "N", None, None, model, {}, {})

    base = "org.knime.js.base.node.configuration."
    multiple = node(
        4, base + "selection.multiple.MultipleSelectionDialogNodeFactory", {"defaultValue": {"a": 1}}
    )
    option = node(5, base + "input.dbl.DoubleDialogNodeFactory", {"defaultValue": {"double": 1.0}})
    component = node(
        3,
        "",
        {
            "multiple-selection-4": {"currentValue": {"variable_value": ["x", "y"]}},
            "double-input-5": {"double": 2.0},
        },
    )
    dated = node(
        6,
        base + "input.date.DateDialogNodeFactory",
        {"defaultValue": {"date&time": "2020-01-01"}, "use_default_exec_time": True},
    )
    component.model["date-input-6"] = {"date&time": "2024-03-05"}
    inner = KnimeWorkflow("inner", Path("."), [multiple, option, dated], [], [])
    report = ImportReport()
    done = quickform_values(inner, component, report)
    assert done.nodes[0].model["defaultValue"] == {"variable_value": ["x", "y"]}
    assert done.nodes[1].model["defaultValue"] == {"double": 1.0}  # an option: configuration_option reads it
    assert done.nodes[2].model["defaultValue"] == {"date&time": "2024-03-05"}
    assert (
        done.nodes[2].model["use_default_exec_time"] is False
    )  # KNIME takes the dialog's value, not the clock
