"""Editor speed: opening a 30-node workflow in chromium, and serving one 100-row page of a
130,000 x 1,028 table (first page, a deep page, a sorted page, a 60-column slice) over HTTP.

Targets: the 30-node workflow renders in < 0.5 s; a 100-row page is served in < 0.1 s.
Run: python benchmarks/bench_editor.py [--rows 130000] [--cols 1028]
Needs the editor extra (fastapi, uvicorn), httpx, and for the render part playwright + chromium.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import toy_nodes  # noqa: E402

from engine.api import Table  # noqa: E402
from engine.core.registry import registry  # noqa: E402
from engine.core.scheduler import EXECUTED, NodeStatus  # noqa: E402
from engine.editor.app import create_app  # noqa: E402

registry.register_module(toy_nodes)


def workflow_30() -> str:
    """30 nodes in five branches of six, with fan-outs and a few annotations."""
    lines = ["format: knitflow/1", "name: thirty nodes", "nodes:"]
    conns = []
    nid = 0
    for branch in range(5):
        prev = None
        for step in range(6):
            nid += 1
            kind = "toy_range" if step == 0 else "toy_add"
            lines.append(
                f"  - {{id: {nid}, type: {kind}, name: 'Step {step} of branch {branch}', "
                f"position: [{60 + 150 * step}, {80 + 130 * branch}], annotation: 'node {nid}'}}"
            )
            if prev is not None:
                conns.append(f"'{prev}:1 -> {nid}:1'")
            prev = nid
    lines.append(f"connections: [{', '.join(conns)}]")
    lines.append("annotations:")
    for b in range(5):
        lines.append(f"  - {{text: 'Branch {b}', bounds: [30, {40 + 130 * b}, 900, 20]}}")
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(app: object) -> tuple[str, object, threading.Thread]:
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    while not srv.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{port}", srv, th


def bench_render(base: str) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("render: skipped (playwright is not installed)")
        return
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("render: skipped (no chromium)")
        return
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = b.new_page(viewport={"width": 1400, "height": 900})
        opens, loads, renders = [], [], []
        for _ in range(5):
            page.goto("about:blank")
            t0 = time.perf_counter()
            page.goto(f"{base}/#wf=thirty.yaml")
            page.wait_for_function(
                "() => window.__knitflow && document.querySelectorAll('#nodes .node').length === 30"
            )
            loads.append((time.perf_counter() - t0) * 1000)
            opens.append(page.evaluate("() => window.__knitflow.openMs"))
            renders.append(
                page.evaluate("""() => { const t = performance.now();
                for (let i = 0; i < 10; i++) { window.knitflow.renderAll(); document.body.offsetHeight; }
                return (performance.now() - t) / 10; }""")
            )
        b.close()
    print(f"30-node workflow: page load until 30 nodes drawn    median {statistics.median(loads):7.1f} ms")
    print(
        f"                  open (GET + render + layout)      median {statistics.median(opens):7.1f} ms   "
        f"target < 500 ms (first: {opens[0]:.1f} ms, server session created)"
    )
    print(f"                  re-render of the whole canvas     median {statistics.median(renders):7.1f} ms")


def bench_table(rows: int, cols: int) -> None:
    import httpx

    tmp = Path(tempfile.mkdtemp(prefix="knitflow-bench-"))
    (tmp / "big.yaml").write_text("format: knitflow/1\nname: big\nnodes:\n  - {id: 1, type: toy_range}\n")
    app = create_app(tmp)
    base, srv, th = start(app)
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    n_double = cols - 4
    df = pd.DataFrame(rng.random((rows, n_double)), columns=[f"d{i}" for i in range(n_double)])
    df["i"] = np.arange(rows, dtype=np.int64)
    df["s"] = pd.array([f"mol{i % 977}" for i in range(rows)], dtype=object)
    df["b"] = rng.random(rows) > 0.5
    df["m"] = np.where(rng.random(rows) > 0.9, np.nan, rng.random(rows))
    df.index = pd.Index([f"Row{i}" for i in range(rows)], dtype=object)
    table = Table(df)
    print(
        f"table {rows} x {df.shape[1]} built in {time.perf_counter() - t0:.1f} s "
        f"({df.memory_usage(deep=False).sum() / 1e9:.2f} GB)"
    )
    # the table is put on an executed node's output port, as a run would leave it
    client = httpx.Client(base_url=base, timeout=60)
    client.get("/api/workflow", params={"path": "big.yaml"}).raise_for_status()
    session = next(iter(app.app.state.sessions.values())) if hasattr(app, "app") else None  # type: ignore[attr-defined]
    assert session is not None
    with session.lock:
        session.statuses[1] = NodeStatus(1, "toy_range", "big", state=EXECUTED, outputs=[table], key="bench")

    def timed(label: str, repeat: int = 7, **params: object) -> None:
        times = []
        size = 0
        for _ in range(repeat):
            t = time.perf_counter()
            r = client.get("/api/workflow/port", params={"path": "big.yaml", "id": 1, "port": 1, **params})
            r.raise_for_status()
            times.append((time.perf_counter() - t) * 1000)
            size = len(r.content)
        print(
            f"  {label:44s} median {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms  "
            f"({size / 1e6:.2f} MB)   target < 100 ms"
        )

    print("100-row page over HTTP:")
    timed("first page, all 1028 columns")
    timed("rows 65,000-65,099, all columns", offset=65000)
    timed("first page, 60 columns (what the viewer asks)", col_limit=60)
    t = time.perf_counter()
    client.get(
        "/api/workflow/port", params={"path": "big.yaml", "id": 1, "port": 1, "sort": "d5", "col_limit": 60}
    )
    print(
        f"  {'first sort by a column (argsort of 130k)':44s} once   {(time.perf_counter() - t) * 1000:7.1f} ms"
    )
    timed("sorted, page 10, 60 columns", sort="d5", offset=1000, col_limit=60)
    timed("sorted by a string column, 60 columns", sort="s", col_limit=60)
    srv.should_exit = True  # type: ignore[attr-defined]
    th.join(timeout=5)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=130_000)
    ap.add_argument("--cols", type=int, default=1028)
    ap.add_argument("--skip-render", action="store_true")
    args = ap.parse_args()
    if not args.skip_render:
        tmp = Path(tempfile.mkdtemp(prefix="knitflow-bench-"))
        (tmp / "thirty.yaml").write_text(workflow_30())
        base, srv, th = start(create_app(tmp))
        bench_render(base)
        srv.should_exit = True  # type: ignore[attr-defined]
        th.join(timeout=5)
    bench_table(args.rows, args.cols)


if __name__ == "__main__":
    main()
