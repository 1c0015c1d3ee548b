"""The editor, round 2, in a real browser (issue 19): dialogs with declared widgets (formula editor,
new-column names, twin lists), column choosers through an unexecuted learner's model spec, two tabs
and the stale-edit prompt, cancel of a long node, the login page, and KNIME's everyday comforts.

Shares the browser helpers of tests/test_editor_browser.py; skips as that module does."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the editor extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the editor extra (uvicorn) is not installed")
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")

import test_editor_browser as base  # noqa: E402
from test_editor_browser import all_green, browser, center, drag, open_workflow  # noqa: E402,F401

from engine.editor.app import create_app  # noqa: E402

CSV = "a,b,dE\n" + "".join(f"{i},{(i * 7) % 5},{0.5 * i - 0.2 * ((i * 7) % 5)}\n" for i in range(1, 21))

FORMULA = """\
format: knitflow/1
name: formula
nodes:
  - {id: 1, type: csv_reader, position: [60, 100], settings: {file: data.csv}}
  - {id: 2, type: expression, position: [220, 100]}
  - {id: 3, type: math_formula, position: [380, 100], settings: {expression: "1"}}
connections: ["1:1 -> 2:1", "2:1 -> 3:1"]
"""

PREDICT = """\
format: knitflow/1
name: predict
nodes:
  - {id: 1, type: csv_reader, position: [60, 100], settings: {file: data.csv}}
  - {id: 2, type: lasso_learner, position: [220, 60], settings: {feature_columns: [a, b], target_column: dE, alpha: 0.01}}
  - {id: 3, type: regression_predictor, position: [380, 100]}
  - {id: 4, type: numeric_scorer, position: [540, 100]}
  - {id: 5, type: column_filter, position: [220, 220]}
  - {id: 6, type: cross_joiner, position: [380, 220]}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "1:1 -> 3:2", "3:1 -> 4:1", "1:1 -> 5:1", "1:1 -> 6:1", "5:1 -> 6:2"]
"""


LOOP = """\
format: knitflow/1
name: loop
nodes:
  - {id: 1, type: toy_count_loop, position: [60, 100], settings: {count: 30}}
  - {id: 2, type: toy_sleep, position: [220, 100], settings: {seconds: 0.25}}
  - {id: 3, type: toy_loop_end, position: [380, 100]}
  - {id: 4, type: toy_range, position: [60, 240], settings: {n: 2}}
connections: ["4:1 -> 1:1", "1:1 -> 2:1", "2:1 -> 3:1"]
"""

RED = """\
format: knitflow/1
name: red
nodes:
  - {id: 1, type: csv_reader, position: [60, 100], settings: {file: data.csv}}
  - {id: 2, type: math_formula, position: [220, 100], settings: {expression: "$nope$ + 1", new_column_name: x}}
  - {id: 3, type: column_filter, position: [380, 100]}
  - {id: 4, type: column_filter, position: [540, 100]}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1"]
"""


CHEM = """\
format: knitflow/1
name: chem
nodes:
  - {id: 1, type: csv_reader, position: [60, 100], settings: {file: chem.csv}}
  - {id: 2, type: molecule_type_cast, position: [220, 100], settings: {column_name: smiles}}
  - {id: 3, type: column_rename, position: [380, 100], settings: {all_columns: [{old_column_name: nothere, new_column_name: x}]}}
  - {id: 4, type: python_script, position: [540, 100], settings: {script: "print('hello from the script')\\nimport knime.scripting.io as knio\\nknio.output_tables[0] = knio.input_tables[0]"}}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "3:1 -> 4:1"]
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("editor2") / "workflows"
    root.mkdir()
    (root / "data.csv").write_text(CSV)
    (root / "formula.yaml").write_text(FORMULA)
    (root / "predict.yaml").write_text(PREDICT)
    (root / "loop.yaml").write_text(LOOP)
    (root / "red.yaml").write_text(RED)
    (root / "chem.yaml").write_text(CHEM)
    (root / "chem.csv").write_text(
        "name,smiles,weight\nethanol,CCO,46.07\nbenzene,c1ccccc1,78.11\nacetic acid,CC(=O)O,60.05\n"
    )
    (root / "sub").mkdir()
    (root / "sub" / "more.csv").write_text(CSV)
    (root.parent / "outside.yaml").write_text("format: knitflow/1\nname: outside\n")
    (root / "escape.yaml").symlink_to(root.parent / "outside.yaml")
    return root


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[str]:
    with base.serving(create_app(workspace, data_dirs=[])) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture()
def page(browser: Any, server: str) -> Iterator[Any]:  # noqa: F811
    with base.browser_page(browser) as pg:
        yield pg


def open_dialog(page: Any, node: int) -> None:
    page.dblclick(f"#node-{node} .node-body")
    page.wait_for_selector(".dialog[role='dialog']")


def output_headers(page: Any, node: int) -> list[str]:
    page.click(f"#node-{node} .node-body")
    page.wait_for_selector(f"#output-body[data-node='{node}'] table.data")
    return [h.split("\n")[0].strip() for h in page.locator("#output-body table.data th").all_inner_texts()]


# ------------------------------------------------------------------------------------------ dialogs


def test_expression_formula_is_typed_with_the_formula_editor_and_runs(page: Any, server: str) -> None:
    open_workflow(page, server, "formula.yaml")
    open_dialog(page, 2)
    page.click(".objadd")  # a first expression
    editor = page.locator(".field[data-widget='formula'] .formula")
    assert editor.count() == 1
    # the column list inserts KNIME Expression syntax at the cursor
    assert "dE" in editor.locator(".fx-columns").inner_text()
    assert editor.locator(".fx-functions li").count() > 20
    box = editor.locator("textarea.formula-text")
    box.click()
    editor.locator(".fx-columns li[data-insert='$[\"a\"]']").click()
    page.keyboard.type(" +* 2")
    # a syntax error from the node's own grammar while typing
    page.wait_for_selector(".field.invalid[data-setting='expressions.0.script'] .err:not([hidden])")
    # the empty expression's answer may arrive first on a busy machine: wait for the typed one's
    page.wait_for_function(
        "() => /syntax error/.test(document.querySelector(\".field[data-setting='expressions.0.script'] .err\").textContent)"
    )
    box.fill('$["a"] * 2')
    page.wait_for_selector(".field[data-setting='expressions.0.script']:not(.invalid)")
    # the new column's name is typed, not chosen from the input columns
    label = page.locator(".field[data-setting='expressions.0.createdColumn'] > label")
    assert (
        label.inner_text() == "Created column"
        and label.get_attribute("title") == "expressions.0.createdColumn"
    )
    created = page.locator(".field[data-setting='expressions.0.createdColumn'] input.new-column")
    created.fill("twice a")
    page.click(".btn-ok")
    page.wait_for_selector("#dialog-backdrop[hidden]", state="attached")
    page.click("#node-2 .node-body")
    page.keyboard.press("F7")
    page.wait_for_selector("#node-2 .light.state-executed", timeout=15_000)
    assert output_headers(page, 2)[-1].startswith("twice a")
    assert page.inner_text("#output-body tbody tr:first-child td:last-child") == "2"


def test_math_formula_functions_insert_and_escape_closes_after_a_tab_click(page: Any, server: str) -> None:
    open_workflow(page, server, "formula.yaml")
    open_dialog(page, 3)
    editor = page.locator(".field[data-setting='expression'] .formula")
    box = editor.locator("textarea")
    box.fill("")
    editor.locator(".fx-functions").locator("xpath=..").locator("input.fx-search").fill("sqrt")
    editor.locator(".fx-functions li[data-insert='sqrt()']").click()
    assert box.input_value() == "sqrt()"
    editor.locator(".fx-columns li[data-insert='$b$']").click()
    assert box.input_value() == "sqrt()$b$"
    page.click(".dlg-tabs .tab[data-tab='description']")
    page.keyboard.press("Escape")
    page.wait_for_selector("#dialog-backdrop[hidden]", state="attached")
    assert page.evaluate("() => window.knitflow.dialog") is None


def test_predictor_name_is_typed_and_scorer_offers_it_before_anything_ran(page: Any, server: str) -> None:
    open_workflow(page, server, "predict.yaml")
    assert page.locator("#node-2 .light.state-configured").count() == 1
    # the scorer after an unexecuted learner and predictor offers the prediction column
    open_dialog(page, 4)
    options = page.locator(".field[data-setting='predicted'] select option").all_inner_texts()
    assert any(o.startswith("dE_pred") for o in options), options
    page.keyboard.press("Escape")
    # the predictor's prediction name is a text field
    open_dialog(page, 3)
    name = page.locator(".field[data-setting='prediction_column'] input.new-column")
    name.fill("dE_hat")
    page.click(".btn-ok")
    page.wait_for_selector("#dialog-backdrop[hidden]", state="attached")
    open_dialog(page, 4)
    options = page.locator(".field[data-setting='predicted'] select option").all_inner_texts()
    assert any(o.startswith("dE_hat") for o in options), options
    page.select_option(".field[data-setting='reference'] select", "dE")
    page.select_option(".field[data-setting='predicted'] select", "dE_hat")
    page.click(".btn-ok")
    page.wait_for_selector("#dialog-backdrop[hidden]", state="attached")
    page.click("#node-4 .node-body")
    page.keyboard.press("F7")
    page.wait_for_selector("#node-4 .light.state-executed", timeout=20_000)
    page.click("#node-3 .node-body")
    assert "dE_hat" in output_headers(page, 3)


def test_column_filter_twin_list_and_cross_joiner_names(page: Any, server: str) -> None:
    open_workflow(page, server, "predict.yaml")
    open_dialog(page, 5)
    cf = page.locator(".colfilter")
    assert cf.count() == 1
    # manual: the twin list, every column included (enforce exclusion)
    assert cf.locator(".twin-include option").count() == 3
    cf.locator(".twin-include").select_option("b")
    cf.locator(".twin-btn[title='Remove']").click()
    assert cf.locator(".twin-exclude option").all_inner_texts()[0].startswith("b")
    # wildcard mode with a live preview of the columns it picks
    cf.locator(".cf-mode", has_text="Wildcard").click()
    cf.locator(".cf-pattern").fill("d*")
    assert cf.locator(".cf-preview").inner_text() == "Includes: dE"
    cf.locator(".cf-mode", has_text="Manual").click()
    page.click(".btn-ok")
    page.wait_for_selector("#dialog-backdrop[hidden]", state="attached")
    settings = page.evaluate("() => window.knitflow.entry(5).settings.column_filter")
    assert settings["excluded_names"] == ["b"] and settings["mode"] == "MANUAL"
    # Cross Joiner: the suffix and the RowID column names are text, not column choosers
    open_dialog(page, 6)
    assert page.locator(".field[data-setting='rigthSuffix'] input[type=text]").input_value() == " (#1)"
    assert page.locator(".field[data-setting='CFG_FIRST_COLUMNNAME'] input.new-column").count() == 1
    assert page.locator(".dialog select.column-select").count() == 0


# ------------------------------------------------------------------------------------ two tabs, runs


def test_two_tabs_never_lose_an_edit(page: Any, server: str) -> None:
    other = page.context.new_page()
    open_workflow(page, server, "predict.yaml")
    open_workflow(other, server, "predict.yaml")
    open_dialog(page, 3)  # tab A opens the dialog first
    open_dialog(other, 3)  # tab B changes the same setting and confirms
    other.locator(".field[data-setting='prediction_column'] input").fill("from_tab_b")
    other.click(".btn-ok")
    other.wait_for_selector("#dialog-backdrop[hidden]", state="attached")
    page.locator(".field[data-setting='prediction_column'] input").fill("from_tab_a")
    page.click(".btn-ok")
    banner = page.locator("#stale-banner")
    banner.wait_for()
    assert "changed in another tab" in banner.inner_text()
    assert "not applied" in page.inner_text(".dialog footer .msg")
    page.click("#stale-banner button.primary")  # Reload
    page.wait_for_selector("#dialog-backdrop[hidden]", state="attached")
    assert page.evaluate("() => window.knitflow.entry(3).settings.prediction_column") == "from_tab_b"
    other.close()


def test_cancel_reads_cancelled_and_loops_count_from_one(page: Any, server: str) -> None:
    open_workflow(page, server, "loop.yaml")
    page.click("#canvas", position={"x": 5, "y": 5})
    page.keyboard.press("Shift+F7")
    page.wait_for_selector("#node-1 .iteration")
    first = page.inner_text("#node-1 .iteration")
    assert (
        first.startswith("iteration ") and first.endswith(" of 30") and not first.startswith("iteration 0 ")
    )
    page.wait_for_function(
        "() => /iteration [3-9]/.test(document.querySelector('#node-1 .iteration')?.textContent || '')"
    )
    # the docked monitor follows the running loop start: its current pass's table
    page.click("#node-1 .node-body")
    page.wait_for_selector("#output-body[data-node='1'] table.data")
    assert page.evaluate("() => document.body.dataset.running") == "1"
    t0 = time.perf_counter()
    page.keyboard.press("F9")
    page.wait_for_selector("body[data-running='0']", timeout=5_000)
    assert time.perf_counter() - t0 < 1.5
    assert page.inner_text("#run-state") == "cancelled"
    for n in (1, 2, 3):  # the loop is reset whole, and reads cancelled, not failed
        assert page.locator(f"#node-{n} .light.state-configured").count() == 1
        assert page.locator(f"#node-{n} .badge.error").count() == 0
    assert page.inner_text("#node-1 .iteration.cancelled") == "cancelled"
    assert page.locator(".toast.error").count() == 0


def test_downstream_of_a_red_node_stays_red_with_the_reason(page: Any, server: str) -> None:
    open_workflow(page, server, "red.yaml")
    assert page.locator("#node-2 .badge.error").count() == 1
    for n in (3, 4):
        assert page.locator(f"#node-{n} .light.state-idle").count() == 1
        message = page.get_attribute(f"#node-{n} .badge", "data-message") or ""
        assert "#2 Math Formula cannot be configured" in message


def test_workspace_symlink_outside_is_listed_as_skipped(page: Any, server: str) -> None:
    open_workflow(page, server, "red.yaml")
    skipped = page.locator("#wf-list li.skipped")
    assert skipped.count() == 1 and "escape.yaml" in skipped.inner_text()
    assert "outside the workspace" in skipped.inner_text()
    assert page.locator(".toast.error").count() == 0
    paths = page.locator("#wf-list li[data-path]").evaluate_all("els => els.map(e => e.dataset.path)")
    assert "escape.yaml" not in paths and "predict.yaml" in paths


def test_file_chooser_icons_are_svg_and_side_header_fits(page: Any, server: str) -> None:
    open_workflow(page, server, "red.yaml")
    fits = page.evaluate(
        "() => [...document.querySelectorAll('#side h3')].every(h => h.scrollWidth <= h.clientWidth + 1)"
    )
    assert fits, "a side panel header overflows"
    open_dialog(page, 1)
    page.click(".btn-browse")
    page.wait_for_selector(".filepick .dir")
    assert page.locator(".filepick .dir svg.ficon").count() >= 1
    assert page.locator(".filepick .file svg.ficon").count() >= 1
    text = page.inner_text(".filepick")
    assert not any(ord(ch) > 0x2FFF for ch in text), "emoji in the file chooser"
    page.click(".filepick .dir:has-text('sub')")
    page.wait_for_selector(".filepick .file:has-text('more.csv')")
    page.click(".filepick .file:has-text('more.csv')")
    assert page.locator(".field[data-setting='file'] input").input_value().endswith("sub/more.csv")
    page.keyboard.press("Escape")


def test_double_click_adds_a_node_that_can_be_seen(page: Any, server: str) -> None:
    open_workflow(page, server, "red.yaml")
    page.click("#node-4 .node-body")
    # the selected node sits at the right edge: its successor would land off screen
    page.evaluate(
        "() => { const b = window.knitflow.board; const v = b.view(); b.setView(v.k, v.x + 900, v.y); }"
    )
    page.fill("#repo-search", "Column Filter")
    page.dblclick("#repo-tree .repo-node[data-type='column_filter']")
    page.wait_for_selector("#node-5")
    box = page.locator("#node-5").bounding_box()
    canvas = page.locator("#canvas").bounding_box()
    assert box is not None and canvas is not None
    assert canvas["x"] <= box["x"] and box["x"] + box["width"] <= canvas["x"] + canvas["width"]
    assert canvas["y"] <= box["y"] and box["y"] + box["height"] <= canvas["y"] + canvas["height"]
    page.keyboard.press("Control+z")


# ---------------------------------------------------------------------------------------- comforts


def test_repository_tree_search_and_description_panel(page: Any, server: str) -> None:
    open_workflow(page, server, "formula.yaml")
    read = page.locator("#repo-tree details[data-category='IO › Read']")
    assert read.locator(".repo-node[data-type='csv_reader']").count() == 1
    assert (
        page.locator("#repo-tree details[data-category='Manipulation › Row › Filter'] .repo-node").count()
        >= 3
    )
    icon = page.get_attribute("#repo-tree .repo-node[data-type='csv_reader'] img", "src") or ""
    assert icon.startswith("data:image/svg+xml") and icon != page.get_attribute(
        "#repo-tree .repo-node[data-type='table_creator'] img", "src"
    )  # an icon per node type
    page.click("#repo-tree .repo-node[data-type='math_formula']")
    desc = page.locator("#node-description[data-type='math_formula']")
    desc.wait_for()
    text = desc.inner_text()
    assert "Math Formula" in text and "input ports" in text.lower() and "output ports" in text.lower()
    assert "settings" in text.lower() and "JEP formula" in text
    # the selected node describes itself
    page.click("#node-2 .node-body")
    page.wait_for_selector("#node-description[data-type='expression']")
    page.fill("#repo-search", "formula")
    names = page.locator("#repo-tree .repo-node").all_inner_texts()
    assert names and "Math Formula" in names[0]
    page.fill("#repo-search", "")


def test_context_menus_and_drop_on_a_connection(page: Any, server: str) -> None:
    open_workflow(page, server, "formula.yaml")
    page.click("#node-3 .node-body", button="right")
    menu = page.locator("#context-menu")
    items = menu.locator(".cm-item").all_inner_texts()
    for wanted in ("Configure…", "Execute", "Cancel", "Reset", "Delete"):
        assert any(i.startswith(wanted) for i in items), items
    assert any(i.startswith("Show output") or i.startswith("Open view") for i in items)
    menu.locator(".cm-item[data-action='Configure…']").click()
    page.wait_for_selector(".dialog[role='dialog']")
    page.keyboard.press("Escape")
    # the canvas menu
    page.click("#canvas", position={"x": 30, "y": 400}, button="right")
    assert menu.locator(".cm-item[data-action='Execute all']").count() == 1
    page.keyboard.press("Escape")
    page.mouse.click(5, 880)
    # a Column Filter dropped onto the connection 1 -> 2 goes in between
    point = page.evaluate(
        """() => { const p = document.querySelector("path.link[data-conn='1:1->2:1']");
        const m = p.getPointAtLength(p.getTotalLength() / 2); const r = p.ownerSVGElement.getScreenCTM();
        const c = document.getElementById('canvas').getBoundingClientRect();
        return [m.x * r.a + r.e - c.left, m.y * r.d + r.f - c.top]; }"""
    )
    v = int(page.evaluate("() => window.knitflow.version"))
    page.drag_and_drop(
        "#repo-tree .repo-node[data-type='column_filter']",
        "#canvas",
        target_position={"x": point[0], "y": point[1]},
    )
    page.wait_for_function("v => window.knitflow.version > v", arg=v)
    new = int(page.evaluate("() => Math.max(...window.knitflow.doc.nodes.map(n => n.id))"))
    assert base.connections(page) >= {f"1:1->{new}:1", f"{new}:1->2:1"}
    assert "1:1->2:1" not in base.connections(page)
    # the connection's own menu deletes it
    page.click(f"path.link[data-conn='{new}:1->2:1']", button="right", force=True)
    page.locator("#context-menu .cm-item[data-action='Delete connection']").click()
    page.wait_for_function("() => !window.knitflow.doc.connections.some(c => c.dest === 2)")
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    page.wait_for_function("() => window.knitflow.doc.nodes.length === 3")


def test_console_statistics_column_search_and_molecules(page: Any, server: str) -> None:
    open_workflow(page, server, "chem.yaml")
    page.click("#canvas", position={"x": 5, "y": 5})
    page.keyboard.press("Shift+F7")
    all_green(page)
    # the console holds the script's output and the rename's warning
    page.click("#node-2 .node-body")
    page.click("#output-tabs .console-tab")
    console = page.locator("#output-body .console")
    console.wait_for()
    page.wait_for_selector("#output-body .console .cl.warning")
    text = console.inner_text()
    assert "not renamed: nothere" in text and "hello from the script" in text
    # molecules drawn as structures (RDKit SVG)
    page.click("#output-tabs .tab[data-port='1']")
    page.wait_for_selector("#output-body[data-node='2'] td.mol img")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#output-body td.mol img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.get_attribute("#output-body td.mol", "title") == "CCO"
    # column search and per-column statistics
    page.fill("#output-body .col-search", "wei")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#output-body table.data th[data-col]')].map(t => t.dataset.col).join() === 'weight'"
    )
    page.click("#output-body .btn-stats")
    row = page.locator("#output-body table.stats-table tr[data-col='weight']")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[0] == "weight" and cells[2] == "0" and cells[3] == "46.07" and cells[4] == "78.11"
    assert abs(float(cells[5]) - (46.07 + 78.11 + 60.05) / 3) < 1e-3
    page.fill("#output-body .col-search", "")
    page.wait_for_selector("#output-body table.stats-table tr[data-col='smiles']")
    smiles = page.locator("#output-body table.stats-table tr[data-col='smiles'] td").all_inner_texts()
    assert smiles[1] == "SMILES" and smiles[7] == "3"


def test_reader_dialog_previews_the_first_rows(page: Any, server: str) -> None:
    open_workflow(page, server, "formula.yaml")
    open_dialog(page, 1)
    page.wait_for_selector(".preview[data-state='ok']")
    assert page.inner_text(".preview .preview-info") == "20 rows, 3 columns"
    heads = page.locator(".preview th[data-col]").evaluate_all("els => els.map(e => e.dataset.col)")
    assert heads == ["a", "b", "dE"]
    assert page.locator(".preview tbody tr").count() == 10
    # KNIME's Advanced settings sit in their own section, folded
    advanced = page.locator(".advanced-section")
    assert advanced.locator(".field[data-setting='skip_lines']").count() == 1
    assert not advanced.locator(".field[data-setting='skip_lines']").is_visible()
    assert page.locator(".dlg-body > .field[data-setting='column_delimiter']").count() == 1
    page.locator(".field[data-setting='file'] input[type=text]").fill("no_such.csv")
    page.wait_for_selector(".preview[data-state='error']")
    page.keyboard.press("Escape")


@pytest.fixture(scope="module")
def token_server(workspace: Path) -> Iterator[str]:
    with base.serving(create_app(workspace, token="tok-123", data_dirs=[])) as port:
        yield f"http://localhost:{port}"


def test_login_page_and_the_cookie_keep_the_tab_logged_in(browser: Any, token_server: str) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    response = page.goto(f"{token_server}/")
    assert response is not None and response.status == 401
    page.wait_for_selector("form#login input#token")  # a page for a person, not JSON
    assert "needs its token" in page.inner_text("body")
    page.fill("#token", "tok-123")
    page.click("form#login button")
    page.wait_for_selector("body[data-ready='1']")
    page.goto(f"{token_server}/#wf=formula.yaml")
    page.wait_for_function("() => document.body.dataset.workflow === 'formula.yaml'")
    page.wait_for_selector("body[data-socket='open']")
    page.reload()
    page.wait_for_selector("body[data-ready='1']")
    # without the cookie the API says no
    stranger = browser.new_context()
    r = stranger.request.get(f"{token_server}/api/workflows")
    assert r.status == 401
    stranger.close()
    context.close()


def test_several_workflows_in_tabs_keep_their_edits(page: Any, server: str) -> None:
    open_workflow(page, server, "formula.yaml")
    page.click("#wf-list li[data-path='chem.yaml']")
    page.wait_for_function("() => document.body.dataset.workflow === 'chem.yaml'")
    tabs = page.locator("#wf-tabs .wf-tab")
    assert tabs.evaluate_all("els => els.map(e => e.dataset.path)") == ["formula.yaml", "chem.yaml"]
    v = int(page.evaluate("() => window.knitflow.version"))
    page.evaluate("() => window.knitflow.command({op: 'rename', node: 1, name: 'Molecules in'})")
    page.wait_for_function("v => window.knitflow.version > v", arg=v)
    page.wait_for_selector("#wf-tabs .wf-tab[data-path='chem.yaml'] .wf-tab-dirty")
    page.click(
        "#wf-tabs .wf-tab[data-path='formula.yaml']"
    )  # no "discard changes?": the edit waits in its tab
    page.wait_for_function("() => document.body.dataset.workflow === 'formula.yaml'")
    page.click("#wf-tabs .wf-tab[data-path='chem.yaml'] .wf-tab-name")
    page.wait_for_function("() => document.body.dataset.workflow === 'chem.yaml'")
    assert page.inner_text("#node-1 .node-name") == "Molecules in"
    page.once("dialog", lambda d: d.accept())  # formula.yaml may hold edits of earlier tests: close anyway
    page.click("#wf-tabs .wf-tab[data-path='formula.yaml'] .wf-tab-close")
    page.wait_for_function("() => document.querySelectorAll('#wf-tabs .wf-tab').length === 1")
    page.keyboard.press("Control+z")
    page.wait_for_selector("#wf-tabs .wf-tab[data-path='chem.yaml'] .wf-tab-dirty", state="detached")


def test_open_knime_renames_on_a_name_clash(page: Any, server: str, workspace: Path) -> None:
    from spec_shapes import knime_archive

    archive = knime_archive("10_01_ZB_WZ")
    (workspace / "10_01_ZB_WZ.yaml").write_text("format: knitflow/1\nname: taken\n")  # the name is taken
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.default_value)
        dialog.accept("zb_wz_again.yaml")

    page.on("dialog", answer)
    page.goto(server)
    page.wait_for_selector("#wf-list li")
    page.set_input_files("#knwf-file", str(archive))
    page.wait_for_function("() => document.body.dataset.workflow === 'zb_wz_again.yaml'")
    assert asked == ["10_01_ZB_WZ_2.yaml"]
    assert (workspace / "zb_wz_again.yaml").is_file()
    assert (workspace / "10_01_ZB_WZ.yaml").read_text().endswith("name: taken\n")  # not overwritten
