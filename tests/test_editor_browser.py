"""The editor in a real browser (Playwright + Debian's chromium) against `knitflow serve` on a free
loopback port: open and run a workflow, build one from an empty canvas, connection rules and
undo/redo, a failing node's badge, and the security refusals as a browser meets them.

Skips (with the reason) when playwright, chromium, fastapi or uvicorn is missing."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import editor_nodes
import pytest

pytest.importorskip("fastapi", reason="the editor extra (fastapi) is not installed")
pytest.importorskip("uvicorn", reason="the editor extra (uvicorn) is not installed")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)


def _find_chromium() -> str | None:
    """A Chromium that starts: the system's (Debian's package), else Playwright's own build (what
    .ci/setup installs where apt only has a snap shim, as on Ubuntu)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path and subprocess.run([path, "--version"], capture_output=True, timeout=60).returncode == 0:
            return path
    with sync_api.sync_playwright() as p:
        bundled = p.chromium.executable_path
    return bundled if bundled and Path(bundled).is_file() else None


CHROMIUM = _find_chromium()
if CHROMIUM is None:
    pytest.skip(
        "no chromium (apt-get install chromium, or .venv/bin/python -m playwright install chromium)",
        allow_module_level=True,
    )

import uvicorn  # noqa: E402

from engine.core.registry import registry  # noqa: E402
from engine.core.workflow import Workflow  # noqa: E402
from engine.editor.app import create_app  # noqa: E402

registry.register_module(editor_nodes)

CSV = "x,y,truth,pred\n" + "".join(
    f"{i},{10 * i},{'a' if i < 3 else 'b'},{'a' if i == 1 else 'b'}\n" for i in range(1, 6)
)
# truth a a b b b / pred a b b b b -> 4 of 5 correct

DEMO = """\
format: knitflow/1
name: demo
nodes:
  - {id: 1, type: etest_csv_reader, name: Read data, position: [60, 120], settings: {path: data.csv}}
  - {id: 2, type: etest_normalizer, position: [210, 120], settings: {columns: [x, y]}, annotation: scale x and y}
  - {id: 3, type: etest_scorer, name: Score it, position: [360, 120], settings: {first_column: truth, second_column: pred}}
  - {id: 4, type: etest_table_view, position: [360, 260]}
  - {id: 5, type: toy_count_loop, position: [210, 400], settings: {count: 4}}
  - {id: 6, type: toy_sleep, position: [360, 400], settings: {seconds: 0.15}}
  - {id: 7, type: toy_loop_end, name: Collect passes, position: [510, 400]}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "2:1 -> 4:1", "1:1 -> 5:1", "5:1 -> 6:1", "6:1 -> 7:1"]
annotations:
  - {text: Tutorial part one, bounds: [30, 40, 560, 20]}
"""

CHAIN = """\
format: knitflow/1
name: chain
nodes:
  - {id: 1, type: etest_csv_reader, position: [60, 100], settings: {path: data.csv}}
  - {id: 2, type: etest_normalizer, position: [210, 100]}
  - {id: 3, type: etest_table_view, position: [360, 220]}
  - {id: 4, type: toy_add, position: [360, 100]}
  - {id: 5, type: toy_add, position: [510, 100]}
connections: ["1:1 -> 2:1", "2:1 -> 4:1", "4:1 -> 5:1"]
"""

FAIL = """\
format: knitflow/1
name: failing
nodes:
  - {id: 1, type: toy_range, position: [60, 100], settings: {n: 5}}
  - {id: 2, type: toy_fail, name: Breaks, position: [210, 60]}
  - {id: 3, type: toy_add, name: After the break, position: [360, 60]}
  - {id: 4, type: toy_add, name: Sibling, position: [210, 200]}
connections: ["1:1 -> 2:1", "2:1 -> 3:1", "1:1 -> 4:1"]
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(app: Any) -> Iterator[int]:
    """The editor app on a free loopback port in a thread, for the browser tests: the port."""
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.02)
    assert srv.started, "the editor server did not start"
    yield port
    srv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("editor") / "workflows"
    root.mkdir()
    (root / "data.csv").write_text(CSV)
    (root / "demo.yaml").write_text(DEMO)
    (root / "chain.yaml").write_text(CHAIN)
    (root / "failing.yaml").write_text(FAIL)
    (root / "empty.yaml").write_text(
        "format: knitflow/1\nname: built in the browser\nnodes: []\nconnections: []\n"
    )
    (root.parent / "secret.yaml").write_text("format: knitflow/1\nname: secret\n")
    return root


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[str]:
    with serving(create_app(workspace, data_dirs=[])) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@contextmanager
def browser_page(browser: Any) -> Iterator[Any]:
    """A fresh page in its own context; the test fails on any JavaScript error the page raised."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture()
def page(browser: Any, server: str) -> Iterator[Any]:
    with browser_page(browser) as pg:
        yield pg


def open_workflow(page: Any, server: str, path: str) -> None:
    page.goto(f"{server}/#wf={path}")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_function("p => document.body.dataset.workflow === p", arg=path)
    page.wait_for_selector("body[data-socket='open']")


def center(page: Any, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drag(page: Any, source: str, target: str, *, check: Any = None) -> Any:
    """Drag with the mouse from one element's centre to another's (how ports are connected)."""
    sx, sy = center(page, source)
    tx, ty = center(page, target)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=4)
    page.mouse.move(tx, ty, steps=4)
    seen = check() if check else None
    page.mouse.up()
    return seen


def all_green(page: Any) -> None:
    page.wait_for_function(
        "() => { const l = [...document.querySelectorAll('#nodes .light')];"
        " return l.length > 0 && l.every(x => x.classList.contains('state-executed')); }",
        timeout=15_000,
    )


def connections(page: Any) -> set[str]:
    return set(
        page.evaluate(
            "() => window.knitflow.doc.connections.map(c => `${c.source}:${c.source_port}->${c.dest}:${c.dest_port}`)"
        )
    )


def wait_version(page: Any, before: int) -> int:
    page.wait_for_function("v => Number(document.body.dataset.version) > v", arg=before)
    return int(page.evaluate("() => window.knitflow.version"))


# ------------------------------------------------------------------------------------------ 1


def test_open_execute_all_and_read_the_scorer(page: Any, server: str) -> None:
    open_workflow(page, server, "demo.yaml")
    names = {
        1: "Read data",
        2: "Normalizer (test)",
        3: "Score it",
        4: "Table View (test)",
        5: "toy_count_loop",
        6: "toy_sleep",
        7: "Collect passes",
    }
    for node_id, name in names.items():
        assert page.inner_text(f"#node-{node_id} .node-name") == name
    assert page.inner_text("#node-2 .node-annotation") == "scale x and y"
    assert (
        page.locator("#canvas.parent-drawflow #node-2.drawflow-node").count() == 1
    )  # the canvas is Drawflow's
    assert page.locator(".wf-annotation").inner_text() == "Tutorial part one"
    assert page.locator("#nodes .light.state-configured").count() == 7
    # model port drawn as a coloured square, table ports as triangles
    assert page.locator("#node-2 .port.out[data-port='2'] rect").count() == 1
    assert page.locator("#node-2 .port.out[data-port='1'] path").count() == 1
    page.click("#canvas", position={"x": 5, "y": 5})
    page.keyboard.press("Shift+F7")
    # the loop reports its iterations while it runs
    page.wait_for_selector("#node-5 .iteration", timeout=10_000)
    assert "of 4" in page.inner_text("#node-5 .iteration")
    all_green(page)
    page.click("#node-3 .node-body")
    page.click("#output-tabs .tab[data-port='2']")
    page.wait_for_selector("#output-body[data-node='3'][data-port='2'] table.data")
    headers = page.locator("#output-body table.data th").all_inner_texts()
    assert headers[1].startswith("Accuracy") and "Double" in headers[1]
    assert page.inner_text("#output-body table.data tbody tr:first-child td:nth-child(2)") == "0.8"
    # the flow variables tab of the same node
    page.click("#output-tabs .tab[data-port='0']")
    page.wait_for_selector("#output-body .vars-table")
    assert "Accuracy" in page.inner_text("#output-body .vars-table")
    # a table sorts by a column header (server side)
    page.click("#node-2 .node-body")
    page.wait_for_selector("#output-body[data-node='2'] table.data")
    page.click("#output-body th[data-col='y']")
    page.wait_for_selector("#output-body th.sorted-asc")
    page.click("#output-body th[data-col='y']")
    page.wait_for_selector("#output-body th.sorted-desc")
    assert page.inner_text("#output-body tbody tr:first-child td.rowid") == "Row4"


# ------------------------------------------------------------------------------------------ 2


def test_build_from_empty_canvas_save_and_rerun(page: Any, server: str, workspace: Path) -> None:
    open_workflow(page, server, "empty.yaml")
    assert page.locator("#nodes .node").count() == 0
    page.fill("#repo-search", "csv read")
    first = page.locator("#repo-tree .repo-node").first
    assert (
        first.get_attribute("data-type") in {"etest_csv_reader", "csv_reader"} or "CSV" in first.inner_text()
    )
    page.fill("#repo-search", "")
    for i, (type_name, x) in enumerate(
        [("etest_csv_reader", 200), ("etest_normalizer", 380), ("etest_table_view", 560)]
    ):
        page.drag_and_drop(
            f"#repo-tree .repo-node[data-type='{type_name}']", "#canvas", target_position={"x": x, "y": 220}
        )
        page.wait_for_function("n => document.querySelectorAll('#nodes .node').length === n", arg=i + 1)
    ids = page.evaluate("() => Object.fromEntries(window.knitflow.doc.nodes.map(n => [n.type, n.id]))")
    reader, norm, view = ids["etest_csv_reader"], ids["etest_normalizer"], ids["etest_table_view"]
    drag(page, f"#node-{reader} .port.out[data-port='1']", f"#node-{norm} .port.in[data-port='1']")
    page.wait_for_selector(f"path.link[data-conn='{reader}:1->{norm}:1']", state="attached")
    drag(page, f"#node-{norm} .port.out[data-port='1']", f"#node-{view} .port.in[data-port='1']")
    page.wait_for_selector(f"path.link[data-conn='{norm}:1->{view}:1']", state="attached")
    # reader dialog: choose the file with the file chooser
    assert page.locator(f"#node-{reader} .light.state-idle").count() == 1
    page.dblclick(f"#node-{reader} .node-body")
    page.wait_for_selector(".dialog")
    page.click(".dialog .btn-browse")
    page.click(".dialog .filepick .file:has-text('data.csv')")
    assert page.input_value(".dialog #f-path") == "data.csv"
    page.click(".dialog .btn-ok")
    page.wait_for_selector(".dialog", state="detached")
    page.wait_for_selector(f"#node-{reader} .light.state-configured")
    # normalizer dialog: the column chooser is filled from the configure-time spec
    page.dblclick(f"#node-{norm} .node-body")
    page.wait_for_selector(".dialog .twinlist")  # KNIME's twin list: Excludes | Includes
    labels = page.locator(".dialog .twin-exclude option").all_inner_texts()
    assert [t.split()[0] for t in labels] == ["x", "y", "truth", "pred"]
    page.select_option(".dialog .twin-exclude", "x")
    page.click(".dialog .twin-btn[title='Add']")
    assert page.locator(".dialog .twin-include option").all_inner_texts()[0].startswith("x")
    page.fill(".dialog #f-new_max", "10")
    page.select_option(".dialog #f-mode", label="minmax")
    page.fill(".dialog #f-new_min", "")  # a validation message, then fixed
    page.click(".dialog .btn-apply")
    page.wait_for_selector(".dialog .field[data-setting='new_min'].invalid")
    page.fill(".dialog #f-new_min", "0")
    page.click(".dialog .btn-apply-exec")
    page.wait_for_selector(".dialog", state="detached")
    page.wait_for_selector(f"#node-{norm} .light.state-executed")
    page.keyboard.press("Control+s")
    page.wait_for_selector("#dirty", state="hidden")
    page.click("#canvas", position={"x": 5, "y": 5})
    page.keyboard.press("Shift+F7")
    all_green(page)
    page.click(f"#node-{view} .node-body")
    page.wait_for_selector(f"#output-body[data-node='{view}'] table.data")
    ui_x = [float(t) for t in page.locator("#output-body tbody td:nth-child(2)").all_inner_texts()]
    api = page.request.get(f"{server}/api/workflow/port?path=empty.yaml&id={view}&port=1").json()
    # the saved YAML, run by the Python API, gives the same table
    result = Workflow.load(workspace / "empty.yaml").run()
    assert result.ok, [s.error for s in result.failed()]
    df = result.output(view).table.df
    assert list(df.columns) == [c["name"] for c in api["columns"]]
    assert list(df.index) == api["row_ids"]
    assert df.values.tolist() == api["rows"]
    assert df["x"].tolist() == ui_x == [0.0, 2.5, 5.0, 7.5, 10.0]
    assert df["y"].tolist() == [10, 20, 30, 40, 50]  # not chosen: untouched


# ------------------------------------------------------------------------------------------ 3


def test_connection_rules_and_undo_redo(page: Any, server: str) -> None:
    open_workflow(page, server, "chain.yaml")
    original = connections(page)
    # model output -> table input: greyed while dragging, refused on drop
    greyed = drag(
        page,
        "#node-2 .port.out[data-port='2']",
        "#node-3 .port.in[data-port='1']",
        check=lambda: page.evaluate(
            "() => document.querySelector(\"#node-3 .port.in[data-port='1']\").classList.contains('incompatible')"
        ),
    )
    assert greyed
    page.wait_for_selector(".toast.error:has-text('Incompatible')")
    assert connections(page) == original
    assert page.locator("#nodes svg.connection").count() == len(original)  # and gone from the canvas
    # closing a cycle: greyed and refused too
    greyed = drag(
        page,
        "#node-5 .port.out[data-port='1']",
        "#node-4 .port.in[data-port='1']",
        check=lambda: page.evaluate(
            "() => document.querySelector(\"#node-4 .port.in[data-port='1']\").classList.contains('incompatible')"
        ),
    )
    assert greyed
    page.wait_for_selector(".toast.error:has-text('cycle')")
    assert connections(page) == original
    assert page.locator("#nodes svg.connection").count() == len(original)
    # the server refuses it as well, whatever the client does
    r = page.evaluate("""async () => { const r = await fetch('/api/workflow/command?path=chain.yaml', {method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({command: {op: 'connect', source: 5, source_port: 1, dest: 2, dest_port: 1}})});
        return [r.status, (await r.json()).detail]; }""")
    assert r[0] == 409 and "cycle" in r[1]
    # a good connection, then delete a node, undo, redo
    v = int(page.evaluate("() => window.knitflow.version"))
    drag(page, "#node-2 .port.out[data-port='1']", "#node-3 .port.in[data-port='1']")
    v = wait_version(page, v)
    connected = connections(page)
    assert connected == original | {"2:1->3:1"}
    page.click("#node-2 .node-body")
    page.keyboard.press("Delete")
    v = wait_version(page, v)
    assert page.locator("#node-2").count() == 0 and connections(page) == {"4:1->5:1"}
    page.keyboard.press("Control+z")
    v = wait_version(page, v)
    assert page.locator("#node-2").count() == 1 and connections(page) == connected
    page.keyboard.press("Control+Shift+z")
    v = wait_version(page, v)
    assert page.locator("#node-2").count() == 0
    page.click("#btn-undo")
    v = wait_version(page, v)
    assert connections(page) == connected
    # moving is undoable too
    before = page.evaluate("() => window.knitflow.entry(4).position")
    x, y = center(page, "#node-4 .node-body")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=5)
    page.mouse.up()
    v = wait_version(page, v)
    assert page.evaluate("() => window.knitflow.entry(4).position") != before
    page.keyboard.press("Control+z")
    v = wait_version(page, v)
    assert page.evaluate("() => window.knitflow.entry(4).position") == before
    # a selection rectangle around 4 and 5, then dragging one moves both, as one undo step
    (x4, y4), (x5, y5) = center(page, "#node-4 .node-body"), center(page, "#node-5 .node-body")
    page.mouse.move(x4 - 30, y4 - 30)
    page.mouse.down()
    page.mouse.move(x5 + 30, y5 + 30, steps=5)
    page.mouse.up()
    assert page.locator("#nodes .node.selected").count() == 2
    positions = "() => [4, 5].map(i => window.knitflow.entry(i).position)"
    before = page.evaluate(positions)
    page.mouse.move(x4, y4)
    page.mouse.down()
    page.mouse.move(x4 + 40, y4 + 60, steps=5)
    page.mouse.up()
    v = wait_version(page, v)
    after = page.evaluate(positions)
    moves = [[a - b for a, b in zip(p1, p0, strict=True)] for p1, p0 in zip(after, before, strict=True)]
    assert moves[0] == moves[1] and moves[0][0] > 0 and moves[0][1] > 0
    page.keyboard.press("Control+z")
    v = wait_version(page, v)
    assert page.evaluate(positions) == before
    # rename (double click on the name), copy and paste, a workflow annotation
    page.dblclick("#node-4 .node-name")
    page.fill("#node-4 .node-name input", "Add one")
    page.keyboard.press("Enter")
    v = wait_version(page, v)
    assert page.inner_text("#node-4 .node-name") == "Add one"
    page.click("#node-4 .node-body")
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    v = wait_version(page, v)
    assert page.locator("#nodes .node").count() == 6 and page.inner_text("#node-6 .node-name") == "Add one"
    page.click("#btn-annotation")
    page.wait_for_selector(".wf-annotation textarea")
    page.fill(".wf-annotation textarea", "Cleaning")
    v = wait_version(page, v)  # the annotation was added
    page.click("#canvas", position={"x": 5, "y": 5})
    v = wait_version(page, v)  # and its text saved on blur
    assert page.inner_text(".wf-annotation") == "Cleaning"


# ------------------------------------------------------------------------------------------ 4


def test_failing_node_shows_its_error_and_siblings_run(page: Any, server: str) -> None:
    open_workflow(page, server, "failing.yaml")
    page.click("#btn-exec-all")
    page.wait_for_selector("#node-4 .light.state-executed", timeout=10_000)
    page.wait_for_selector("body[data-running='0']")
    badge = page.locator("#node-2 .badge.error")
    assert badge.count() == 1
    assert page.locator("#node-1 .light.state-executed").count() == 1
    assert page.locator("#node-3 .light.state-executed").count() == 0
    badge.hover()
    page.wait_for_selector("#tooltip:not([hidden])")
    assert "toy failure" in page.inner_text("#tooltip")
    page.click("#node-3 .node-body")
    assert "Execute the node first" in page.inner_text("#output-body")


# ------------------------------------------------------------------------------------------ 5


def test_foreign_origin_and_outside_paths_are_refused(page: Any, server: str) -> None:
    open_workflow(page, server, "demo.yaml")
    version = page.evaluate("() => window.knitflow.version")
    body = json.dumps({"command": {"op": "rename", "node": 1, "name": "pwned"}})
    r = page.request.post(
        f"{server}/api/workflow/command?path=demo.yaml",
        data=body,
        headers={"Origin": "http://evil.example", "Content-Type": "application/json"},
    )
    assert r.status == 403 and "Origin" in r.json()["detail"]
    # a page served from another origin tries a POST and a WebSocket
    page.context.route(
        "http://evil.example/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<html><body>evil</body></html>"
        ),
    )
    evil = page.context.new_page()
    evil.goto("http://evil.example/")
    outcome = evil.evaluate(
        """async (server) => {
          let post = 'sent';
          try { await fetch(server + '/api/workflow/command?path=demo.yaml', {method: 'POST', mode: 'no-cors',
                 headers: {'Content-Type': 'text/plain'},
                 body: JSON.stringify({command: {op: 'rename', node: 1, name: 'pwned'}})}); }
          catch (e) { post = 'blocked'; }
          const ws = await new Promise((resolve) => {
            const s = new WebSocket(server.replace('http', 'ws') + '/api/ws?path=demo.yaml');
            s.onopen = () => resolve('open'); s.onerror = () => resolve('refused');
            setTimeout(() => resolve('timeout'), 3000);
          });
          return {post, ws};
        }""",
        server,
    )
    evil.close()
    assert outcome["ws"] != "open"
    state = page.request.get(f"{server}/api/workflow?path=demo.yaml").json()
    assert state["version"] == version and state["doc"]["nodes"][0]["name"] == "Read data"
    # paths outside the workspace, however they are spelled
    for bad in ("../secret.yaml", "/etc/passwd", "..%2Fsecret.yaml", "sub/../../secret.yaml"):
        r = page.request.get(f"{server}/api/workflow?path={bad}")
        assert r.status in (400, 403), (bad, r.status)
    assert page.request.get(f"{server}/api/files?root=workspace&path=..").status == 403
    page.goto(f"{server}/#wf=../secret.yaml")
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector(".toast.error:has-text('outside the workspace')")
    assert page.evaluate("() => document.body.dataset.workflow") == "demo.yaml"  # still the one it had


def test_open_knime_workflow(page: Any, server: str, workspace: Path) -> None:
    from spec_shapes import knime_archive

    archive = knime_archive("10_03_conversion_regression")
    page.goto(server)
    page.wait_for_selector("#wf-list li")
    page.set_input_files("#knwf-file", str(archive))  # what "Open KNIME…" opens
    page.wait_for_function(
        "p => document.body.dataset.workflow === p", arg="10_03_conversion_regression.yaml"
    )
    page.wait_for_function("() => document.querySelectorAll('#nodes .node').length === 23")
    assert "Imported 10_03_conversion_regression.knwf" in page.inner_text("#toasts")
    assert (workspace / "10_03_conversion_regression.yaml").is_file()
