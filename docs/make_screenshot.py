"""Regenerate docs/editor.png, the README's picture of the editor: `knitflow serve` on a free
loopback port, a tutorial workflow executed in Debian's chromium (driven by Playwright), the final
Numeric Scorer selected so that its output table (and its description) shows.

    python docs/make_screenshot.py [--workflow 10_03_conversion_regression] [--node 336] [-o docs/editor.png]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"knitflow serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "api/info", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("knitflow serve did not start")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workflow", default="10_03_conversion_regression", help="tutorial workflow (file stem)")
    ap.add_argument("--node", type=int, default=336, help="node to select (its output table is shown)")
    ap.add_argument("--port", type=int, default=1, help="output port of that node to show")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "editor.png")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=850)
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    chromium = next(
        (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None
    )
    if chromium is None:
        raise SystemExit("no chromium on PATH (apt-get install chromium)")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    knitflow = shutil.which("knitflow")
    cmd = [knitflow] if knitflow else [sys.executable, "-m", "engine.cli"]
    proc = subprocess.Popen(
        [*cmd, "serve", str(ROOT / "workflows"), "--port", str(port), "--no-token", "--no-browser"],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_until_up(url, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.set_default_timeout(20_000)
            path = f"{args.workflow}.yaml"
            page.goto(f"{url}#wf={path}")
            page.wait_for_selector("body[data-ready='1']")
            page.wait_for_function("p => document.body.dataset.workflow === p", arg=path)
            page.wait_for_selector("body[data-socket='open']")
            page.click("#canvas", position={"x": 5, "y": 5})
            page.keyboard.press("Shift+F7")
            page.wait_for_function(
                "() => { const l = [...document.querySelectorAll('#nodes .light')];"
                " return l.length > 0 && l.every(x => x.classList.contains('state-executed')); }",
                timeout=180_000,
            )
            page.click(f"#node-{args.node} .node-body")
            page.click(f"#output-tabs .tab[data-port='{args.port}']")
            page.wait_for_selector(
                f"#output-body[data-node='{args.node}'][data-port='{args.port}'] table.data"
            )
            page.click("#btn-fit")
            page.mouse.move(args.width - 5, args.height - 5)  # no hover highlight or tooltip in the picture
            page.wait_for_timeout(400)
            args.output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.output))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
