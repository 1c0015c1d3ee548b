"""Cold runs of the small tutorial workflows: `knitflow run` (a new process: interpreter start,
imports, configure, execute, outputs and pictures written, interpreter exit) beside the plain
pandas/scikit-learn/matplotlib peer in benchmarks/plain_10.py doing the same work and drawing the
same PNGs, also as a new process. Rounds are interleaved (this VM's speed drifts) and the median of
each is compared.

Target (issue #20): knitflow <= 1.1 x the plain script for 10_01, 10_02 and 10_03.

knitflow's own modules are compiled to bytecode first, as `pip install` compiles every installed
package (the peer's pandas, scikit-learn and matplotlib included): where PYTHONDONTWRITEBYTECODE is
set (this VM sets it), a checkout would otherwise compile its ~70 engine and node modules from
source on every start (~0.1 s) while the peer's libraries load precompiled.

Run: python benchmarks/bench_cold_start.py [--repeat N] [--workflows 10_01,10_02,10_03]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "10_01": "10_01_ZB_WZ.yaml",
    "10_02": "10_02_ZB_WZ_regression.yaml",
    "10_03": "10_03_conversion_regression.yaml",
}
KNITFLOW = [sys.executable, "-m", "engine.cli"]


def _timed(command: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def measure(workflows: list[str], repeat: int) -> dict[str, tuple[float, float]]:
    """workflow -> (median seconds knitflow, median seconds plain)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "engine", "nodes"], check=True, cwd=ROOT)
    times: dict[str, dict[str, list[float]]] = {w: {"knitflow": [], "plain": []} for w in workflows}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            for w in workflows:
                out = Path(tmp) / w
                times[w]["knitflow"].append(
                    _timed([*KNITFLOW, "run", f"workflows/{FILES[w]}", "--quiet", "--out", str(out / "k")])
                )
                times[w]["plain"].append(
                    _timed([sys.executable, "benchmarks/plain_10.py", w, "--out", str(out / "p")])
                )
    return {w: (statistics.median(t["knitflow"]), statistics.median(t["plain"])) for w, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--workflows", default="10_01,10_02,10_03")
    args = parser.parse_args(argv)
    results = measure(args.workflows.split(","), args.repeat)
    print(f"cold runs, median of {args.repeat} interleaved rounds (target <= 1.1 x)")
    print(f"{'workflow':10} {'plain':>8} {'knitflow':>9} {'ratio':>7}")
    for w, (knitflow, plain) in results.items():
        print(f"{w:10} {plain:7.2f}s {knitflow:8.2f}s {knitflow / plain:6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
