"""Scheduler overhead: a 1,000-node chain of trivial nodes, an empty loop of 1,000 passes, and CLI
start-up, each beside a plain Python/pandas script doing the same work in the same run.

Targets: <= 0.2 ms per node, <= 1 ms per empty pass, `knitflow --help` <= 0.3 s.
Run: python benchmarks/bench_engine.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.api import Iteration, LoopEndNode, LoopStartNode, Node, NodeSettings, Port, PortType, Table  # noqa: E402
from engine.core.registry import registry  # noqa: E402
from engine.core.workflow import Workflow  # noqa: E402

TABLE = PortType.TABLE  # type: ignore[attr-defined]


class BenchSource(Node):
    type_name = "bench_source"
    outputs = (Port(TABLE, "Table"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        return [Table.from_frame(pd.DataFrame({"x": [1, 2, 3]}))]


class BenchPass(Node):
    type_name = "bench_pass"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)

    def execute(self, inputs: list[Any], settings: Any, ctx: Any) -> list[Any]:
        return [inputs[0]]


class LoopSettings(NodeSettings):
    count: int = 1000


class BenchLoop(LoopStartNode):
    type_name = "bench_loop"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)
    Settings = LoopSettings

    def iterations(self, inputs: list[Any], settings: LoopSettings, ctx: Any) -> Iterator[Iteration]:
        for i in range(settings.count):
            yield Iteration([inputs[0]], {"currentIteration": i, "maxIterations": settings.count})


class BenchLoopEnd(LoopEndNode):
    type_name = "bench_loop_end"
    inputs = (Port(TABLE, "In"),)
    outputs = (Port(TABLE, "Out"),)

    def collect(self, state: Any, inputs: list[Any], settings: Any, ctx: Any) -> Any:
        state.append(inputs[0])

    def finish(self, state: Any, settings: Any, ctx: Any) -> list[Any]:
        return [state[-1]]


for cls in (BenchSource, BenchPass, BenchLoop, BenchLoopEnd):
    registry.register(cls)


def chain_yaml(n: int) -> str:
    lines = ["format: knitflow/1", "name: chain", "nodes:", "  - id: 1", "    type: bench_source"]
    conns = ["connections:"]
    for i in range(2, n + 1):
        lines += [f"  - id: {i}", "    type: bench_pass"]
        conns.append(f"  - {i - 1}:1 -> {i}:1")
    return "\n".join(lines + conns) + "\n"


def loop_yaml(n: int) -> str:
    return f"""format: knitflow/1
name: loop
nodes:
  - id: 1
    type: bench_source
  - id: 2
    type: bench_loop
    settings: {{count: {n}}}
  - id: 3
    type: bench_pass
  - id: 4
    type: bench_loop_end
connections:
  - 1:1 -> 2:1
  - 2:1 -> 3:1
  - 3:1 -> 4:1
"""


def best_of(fn: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    n = 1000
    chain = Workflow.from_text(chain_yaml(n))
    engine_chain = best_of(lambda: Workflow.from_text(chain_yaml(n)).run(workers=1))
    run_only = best_of(lambda: chain.run(workers=1) if chain.cache.__init__() is None else None)

    def plain_chain() -> None:
        t = Table.from_frame(pd.DataFrame({"x": [1, 2, 3]}))
        for _ in range(n - 1):
            t = BenchPass().execute([t], None, None)[0]

    plain = best_of(plain_chain)
    print(
        f"chain of {n} nodes: load+run {engine_chain * 1e3:.1f} ms, run only {run_only * 1e3:.1f} ms "
        f"-> {run_only / n * 1e3:.3f} ms/node (target <= 0.2); plain script {plain * 1e3:.2f} ms; "
        f"ratio {run_only / plain:.0f}x"
    )

    loop = Workflow.from_text(loop_yaml(n))
    loop_time = best_of(lambda: loop.run(workers=1) if loop.cache.__init__() is None else None)

    def plain_loop() -> None:
        t = Table.from_frame(pd.DataFrame({"x": [1, 2, 3]}))
        state = []
        for _ in range(n):
            state.append(BenchPass().execute([t], None, None)[0])

    plain_l = best_of(plain_loop)
    print(
        f"loop of {n} passes (1 body node): {loop_time * 1e3:.1f} ms -> {loop_time / n * 1e3:.3f} ms/pass "
        f"(target <= 1); plain script {plain_l * 1e3:.2f} ms; ratio {loop_time / plain_l:.0f}x"
    )

    help_time = best_of(
        lambda: subprocess.run(
            [sys.executable, "-m", "engine.cli", "--help"], cwd=ROOT, check=True, capture_output=True
        ),
        repeat=5,
    )
    bare = best_of(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), repeat=5)
    print(
        f"knitflow --help: {help_time:.3f} s (target <= 0.3); bare python start {bare:.3f} s; "
        f"ratio {help_time / bare:.1f}x"
    )


if __name__ == "__main__":
    main()
