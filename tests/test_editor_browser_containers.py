"""Metanodes and components in a real browser (#18): create a metanode from a selection, open it
(breadcrumb), edit inside, run, go back up and expand it; a component's dialog generated from its
configuration, whose value is used by the run.

Shares the browser helpers of tests/test_editor_browser.py; skips as that module does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the editor extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the editor extra (uvicorn) is not installed")
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

import test_editor_browser as base  # noqa: E402
from test_editor_browser import browser, drag, open_workflow  # noqa: E402,F401

from engine.editor.app import create_app  # noqa: E402

FLOW = """\
format: knitflow/1
name: flow
nodes:
  - {id: 1, type: table_creator, position: [60, 120],
     settings: {columns: [{name: x, type: Double}], rows: [['1'], ['2'], ['3'], ['4']]}}
  - {id: 2, type: math_formula, position: [220, 120], settings: {expression: '$x$ * 2', new_column_name: y}}
  - {id: 3, type: row_filter, position: [380, 120], settings: {predicates: ['$y > 2']}}
  - {id: 4, type: math_formula, position: [540, 120], settings: {expression: '$y$ + 1', new_column_name: z}}
connections: ['1:1 -> 2:1', '2:1 -> 3:1', '3:1 -> 4:1']
"""

COMPONENT = """\
format: knitflow/1
name: component
nodes:
  - {id: 1, type: table_creator, position: [60, 120],
     settings: {columns: [{name: x, type: Double}, {name: y, type: Double}], rows: [['1', '10'], ['2', '20']]}}
  - id: 2
    type: component
    name: Scale
    position: [260, 120]
    workflow:
      configuration:
        - {name: factor, type: double, default: 1.5, title: Factor}
        - {name: source, type: column, default: x}
        - {name: mode, type: choice, default: plain, choices: [plain, fancy]}
        - {name: shout, type: boolean, default: false}
      inputs: [{name: data}]
      outputs: [{name: scaled}]
      nodes:
        - {id: 1, type: math_formula, position: [260, 120],
           settings: {expression: '$x$ * $${Dfactor}$$', new_column_name: z}}
      connections: ['in:1 -> 1:1', '1:1 -> out:1']
connections: ['1:1 -> 2:1']
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("editor_containers") / "workflows"
    root.mkdir()
    (root / "flow.yaml").write_text(FLOW)
    (root / "component.yaml").write_text(COMPONENT)
    return root


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[str]:
    with base.serving(create_app(workspace, data_dirs=[])) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture()
def page(browser: Any, server: str) -> Iterator[Any]:  # noqa: F811
    with base.browser_page(browser) as pg:
        yield pg


def menu(page: Any, node: int, action: str) -> None:
    page.click(f"#node-{node} .node-body", button="right")
    page.locator(f"#context-menu .cm-item[data-action='{action}']").click()


def executed(page: Any, *nodes: int) -> None:
    page.wait_for_function(
        "ids => ids.every(n => (window.knitflow.statuses[n] || {}).state === 'executed')",
        arg=list(nodes),
        timeout=20_000,
    )


def output_column(page: Any, node: int, name: str) -> list[str]:
    page.click(f"#node-{node} .node-body")
    page.wait_for_selector(f"#output-body[data-node='{node}'] table.data")
    headers = [h.split("\n")[0].strip() for h in page.locator("#output-body table.data th").all_inner_texts()]
    i = headers.index(name)
    return [
        r.split("\t")[i].strip() for r in page.locator("#output-body table.data tbody tr").all_inner_texts()
    ]


def test_create_open_edit_and_expand_a_metanode(page: Any, server: str) -> None:
    open_workflow(page, server, "flow.yaml")
    page.click("#node-2 .node-body")
    page.click("#node-3 .node-body", modifiers=["Shift"])
    v = int(page.evaluate("() => window.knitflow.version"))
    menu(page, 2, "Create metanode")
    base.wait_version(page, v)
    assert page.evaluate("() => window.knitflow.entry(5).type") == "metanode"
    assert base.connections(page) == {"1:1->5:1", "5:1->4:1"}
    # one undo step brings the two nodes back, redo makes the metanode again
    page.keyboard.press("Control+z")
    page.wait_for_function("() => window.knitflow.doc.nodes.length === 4 && !window.knitflow.entry(5)")
    page.keyboard.press("Control+Shift+z")
    page.wait_for_selector("#node-5")
    # open it: its nodes between the bars of its ports, a breadcrumb back
    page.dblclick("#node-5 .node-body")
    page.wait_for_selector("body[data-scope='5']")
    assert page.locator("#wf-title .crumb").all_inner_texts() == ["flow", "Metanode"]
    for n in (2, 3, base_in := 999990, 999991):
        assert page.locator(f"#node-{n}").count() == 1, n
    assert base.connections(page) == {f"{base_in}:1->2:1", "2:1->3:1", "3:1->999991:1"}
    # edit inside: a node added next to the selected Row Filter is connected to it, then to the output bar
    page.click("#node-3 .node-body")
    page.fill("#repo-search", "Column Filter")
    v = int(page.evaluate("() => window.knitflow.version"))
    page.dblclick("#repo-tree .repo-node[data-type='column_filter']")
    base.wait_version(page, v)
    assert "3:1->4:1" in base.connections(page)
    v = int(page.evaluate("() => window.knitflow.version"))
    drag(page, "#node-4 .outputs .output_2", "#node-999991 .inputs .input_2")
    base.wait_version(page, v)
    inner = page.evaluate(
        "() => window.knitflow.fullDoc.nodes.find(n => n.id === 5).workflow.connections"
        ".map(c => `${c.source}:${c.source_port}->${c.dest}:${c.dest_port}`)"
    )
    assert set(inner) == {"-1:1->2:1", "2:1->3:1", "3:1->4:1", "4:1->-1:1"}
    page.click("#btn-exec-all")
    executed(page, 2, 3, 4)
    assert output_column(page, 4, "y") == ["4", "6", "8"]
    # back up through the breadcrumb: the metanode's light is its nodes' worst, all green now
    page.click("#wf-title .crumb[data-depth='0']")
    page.wait_for_selector("body[data-scope='']")
    executed(page, 1, 5, 4)
    # expand: the inner nodes come back into the workflow, wired as before (one undo step)
    v = int(page.evaluate("() => window.knitflow.version"))
    menu(page, 5, "Expand")
    base.wait_version(page, v)
    assert page.evaluate("() => window.knitflow.doc.nodes.every(n => n.type !== 'metanode')")
    assert {"1:1->2:1", "2:1->3:1"} <= base.connections(page)
    page.keyboard.press("Control+z")
    page.wait_for_function("() => (window.knitflow.entry(5) || {}).type === 'metanode'")


def test_a_component_dialog_sets_a_value_that_the_run_uses(page: Any, server: str) -> None:
    open_workflow(page, server, "component.yaml")
    page.dblclick(
        "#node-2 .node-body"
    )  # a component's double click opens its dialog, generated from its options
    dialog = page.locator(".dialog[role='dialog']")
    dialog.wait_for()
    assert dialog.locator("input[type='number'][name='factor']").input_value() == "1.5"
    columns = dialog.locator("select[name='source'] option").all_inner_texts()
    assert any(c.startswith("x") for c in columns) and any(c.startswith("y") for c in columns), columns
    assert dialog.locator("select[name='mode'] option").all_inner_texts() == ["plain", "fancy"]
    assert dialog.locator("input[type='checkbox'][name='shout']").count() == 1
    dialog.locator("input[name='factor']").fill("3")
    v = int(page.evaluate("() => window.knitflow.version"))
    dialog.locator(".btn-ok").click()
    base.wait_version(page, v)
    assert page.evaluate("() => window.knitflow.entry(2).settings.factor") == 3
    page.click("#btn-exec-all")
    executed(page, 1, 2)
    # the component's output is its inner node's: x * factor
    assert output_column(page, 2, "z") == ["3", "6"]
    # opened (context menu), its inner node shows the same values and the option as a flow variable
    menu(page, 2, "Open")
    page.wait_for_selector("body[data-scope='2']")
    executed(page, 1)
    assert output_column(page, 1, "z") == ["3", "6"]
    page.click("#output-tabs .tab[data-port='0']")
    page.wait_for_function("() => /factor/.test(document.getElementById('output-body').innerText)")
