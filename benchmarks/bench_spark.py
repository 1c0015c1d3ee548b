"""Workflows 12_01 and 12_02 (rank-K SVD recommendations on Spark) through knitflow's CLI, beside a plain
PySpark script doing the same work, each as a whole process, in interleaved rounds.

The plain script (the peer): read the workflow's CSV with pandas, start a local[2] SparkSession with
the settings knitflow's environment node gives a local session (web UI off, 2 shuffle partitions, no
adaptive query execution, in-memory catalog, Arrow, the JVM options for short jobs), make a DataFrame
of MLlib vectors, `RowMatrix.computeSVD(K, computeU=True)`, collect U and take s and V, reconstruct
U S Vᵀ and its difference from R with NumPy, draw the workflow's three heat maps (the original R, the
reconstruction, the difference) to PNG files with matplotlib and end as a script ends. The same session
settings on both sides: the ratio is what knitflow itself costs (its imports, its nodes, its Spark
jobs, its output folder), not a tuning difference.

Variants (each a fresh process):
  plain     the plain PySpark script
  plain_default  the same script with SparkSession's default settings (what a user writes without tuning)
  knitflow  `knitflow run workflows/12_0x_….yaml --out DIR` (writes the PNGs and tables)
  warm      one process runs the workflow twice through the Python API (`Workflow.load(...).run()`, a new
            Workflow object each time, so nothing is served from a cache): the second run finds the
            Spark session of the first still running (onDisposeAction DELETE_DATA keeps it for the
            process); its time is reported as `second run`

Two measures per process: wall seconds, and CPU seconds of the process and all its descendants (the
Spark JVM and its Python workers; /proc sampled every 50 ms). On a shared machine the wall clock also
counts other people's work; the CPU seconds mostly do not, so their ratio is the steadier one.

Targets: knitflow <= 1.1 x plain; the second in-process run <= 2 s.
The machine's speed drifts (2 cores, shared): `--repeat K` runs K interleaved rounds and reports the
ratio of each round to the same round's plain script.

Run: python benchmarks/bench_spark.py [--repeat K] [--workflows 12_01,12_02] [--variants plain,knitflow,warm]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """One tutorial workflow and what its plain peer needs to do the same work."""

    workflow: str
    data_file: str
    k: int
    has_row_id: bool  # the CSV's first column is the RowID
    encoding: str
    svd_node: int
    views: tuple[int, int, int]  # the Python Views drawing R, U S Vᵀ and U S Vᵀ - R


CASES = {
    "12_01": Case("12_01_SVD_toymodel.yaml", "simple_existence.csv", 4, False, "utf-8", 389, (379, 387, 399)),
    "12_02": Case("12_02_SVD_material.yaml", "group131415_div1.csv", 3, True, "cp932", 354, (357, 375, 400)),
}


def data_folder(given: str | None) -> Path:
    for folder in [Path(p) for p in (given, os.environ.get("KNITFLOW_DATA")) if p] + [
        ROOT / "data",
        ROOT.parent / "shared" / "data",
    ]:
        if all((folder / c.data_file).is_file() for c in CASES.values()):
            return folder
    sys.exit(f"{', '.join(c.data_file for c in CASES.values())} not found (pass --data DIR)")


# ---------------------------------------------------------------------------------- CPU sampling


def _tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds (user + system) of `root` and each live descendant, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        parent[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in cpu:
            out[pid] = cpu[pid]
        todo.extend(children.get(pid, []))
    return out


class CpuSampler(threading.Thread):
    """The last CPU reading of every process of a tree (a process's CPU only grows, so the last reading
    before it ends is all but its last 50 ms)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.stop = root, threading.Event()
        self.last: dict[int, float] = {}

    def run(self) -> None:
        while not self.stop.wait(0.05):
            self.last.update(_tree_cpu(self.root))

    def seconds(self) -> float:
        return sum(self.last.values())


def run_measured(cmd: list[str], cwd: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        sampler = CpuSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        sampler.stop.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    sampler.last[proc.pid] = usage.ru_utime + usage.ru_stime  # the exact figure for the process itself
    res: dict[str, Any] = {
        "wall": wall,
        "cpu": sampler.seconds(),
        "returncode": os.waitstatus_to_exitcode(status),
        "stderr": stderr,
        "phases": {},
    }
    if res["returncode"] == 0 and stdout.strip().startswith("{"):
        res["phases"] = json.loads(stdout.strip().splitlines()[-1])
    return res


# ------------------------------------------------------------------------------------- the peer


def _heat_map(
    values: Any, rows: list[str], columns: list[str], title: str, size: tuple[int, int], path: Path
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=size)
    image = ax.imshow(values, cmap="viridis", aspect="auto", interpolation="nearest")
    ax.set_xticks(np.arange(len(columns)), labels=columns, rotation=90)
    ax.set_yticks(np.arange(len(rows)), labels=rows)
    ax.set_title(title)
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def plain(case: Case, data: Path, out: Path, conf: dict[str, str]) -> dict[str, float]:
    """The workflow's computation as a plain PySpark script; returns seconds per phase."""
    phases: dict[str, float] = {}
    t = time.perf_counter()
    import numpy as np
    import pandas as pd
    from pyspark.mllib.linalg import Vectors
    from pyspark.mllib.linalg.distributed import RowMatrix
    from pyspark.sql import SparkSession

    phases["imports"] = time.perf_counter() - t

    t = time.perf_counter()
    r = pd.read_csv(data / case.data_file, index_col=0 if case.has_row_id else None, encoding=case.encoding)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master("local[2]").appName("svd_plain")
    for key, value in {**conf, "spark.local.dir": str(out / "spark")}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    phases["spark start"] = time.perf_counter() - t

    t = time.perf_counter()
    k = case.k
    matrix = r.to_numpy(dtype=float)
    rows = spark.createDataFrame([(Vectors.dense(row),) for row in matrix], ["v"])
    svd = RowMatrix(rows, numRows=len(matrix), numCols=matrix.shape[1]).computeSVD(k, computeU=True)
    s = svd.s.toArray()
    v = svd.V.toArray()
    assert svd.U is not None
    u = np.array([vec.toArray() for vec in svd.U.rows.collect()])
    phases["svd"] = time.perf_counter() - t

    t = time.perf_counter()
    reconstruction = (u * s) @ v.T
    difference = reconstruction - matrix
    labels = [str(i) for i in r.index] if case.has_row_id else [f"Row{i}" for i in range(len(matrix))]
    columns = [str(c) for c in r.columns]
    _heat_map(matrix, labels, columns, "Existence matrix R", (8, 6), out / "original.png")
    _heat_map(
        reconstruction, labels, columns, f"Rank-{k} reconstruction U S' V^T", (10, 10), out / "low_rank.png"
    )
    _heat_map(
        difference,
        labels,
        columns,
        f"Rank-{k} reconstruction minus original",
        (10, 10),
        out / "difference.png",
    )
    phases["heat maps"] = time.perf_counter() - t
    print(f"plain singular values: {' '.join(f'{x:.6f}' for x in s)}", file=sys.stderr)
    return phases


def session_conf() -> dict[str, str]:
    """What knitflow's environment node gives a local[2] session, less the run's folders (asked in the
    parent process, so that the plain script does not import knitflow)."""
    sys.path.insert(0, str(ROOT))
    from nodes._spark import small_job_conf

    return {
        **small_job_conf(2),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
    }


# ------------------------------------------------------------------------------ knitflow variants


def warm(case: Case, data: Path, out: Path) -> dict[str, float]:
    """Two runs in one process, each of a freshly loaded workflow (no cache): the second finds Spark warm."""
    t = time.perf_counter()
    from engine.core.workflow import Workflow

    phases = {"imports": time.perf_counter() - t}
    result = None
    for name in ("first run", "second run"):
        t = time.perf_counter()
        cpu = sum(_tree_cpu(os.getpid()).values())
        result = Workflow.load(ROOT / "workflows" / case.workflow).run(variables={"data_dir": str(data)})
        phases[name] = time.perf_counter() - t
        phases[f"{name} cpu"] = sum(_tree_cpu(os.getpid()).values()) - cpu
        if not result.ok:
            raise SystemExit("\n".join(f"#{s.id} {s.name}: {s.error}" for s in result.failed()))
        for node in case.views:  # the heat maps, as `--out` writes them
            (out / f"{name.replace(' ', '_')}_{node}.png").write_bytes(result.output(node).png)
    assert result is not None
    singular = result.output(case.svd_node)["Singular Value"].tolist()
    print(f"knitflow singular values: {' '.join(f'{x:.6f}' for x in singular)}", file=sys.stderr)
    return phases


def run_variant(name: str, case_name: str, data: Path, tmp: Path, conf: dict[str, str]) -> dict[str, Any]:
    case = CASES[case_name]
    folder = tmp / f"{case_name}-{name}-{time.monotonic_ns()}"
    folder.mkdir(parents=True)
    if name in ("plain", "plain_default", "warm"):
        child = [f"--child-{name.split('_')[0]}", case_name, "--data", str(data), "--out", str(folder)]
        child += ["--conf", json.dumps(conf if name != "plain_default" else {})]
        res = run_measured([sys.executable, __file__, *child], folder)
    elif name == "knitflow":
        cmd = [sys.executable, "-m", "engine.cli", "run", str(ROOT / "workflows" / case.workflow), "--quiet"]
        cmd += ["--out", str(folder / "out"), "--set", f"data_dir={data}"]
        res = run_measured(cmd, folder)  # cwd: the scratch folder (.knitflow-scratch) lands in `folder`
        run_json = folder / "out" / "run.json"
        if run_json.exists():
            run = json.loads(run_json.read_text())
            res["phases"] = {"run": run["seconds"]} | {
                f"#{n['id']} {n['type']}": n["seconds"] or 0.0
                for n in run["nodes"]
                if (n["seconds"] or 0) > 0.2
            }
    else:
        sys.exit(f"unknown variant {name!r} (known: plain, plain_default, knitflow, warm)")
    shutil.rmtree(folder, ignore_errors=True)
    return res


def _median_ratio(rounds: list[dict[str, dict[str, Any]]], name: str, measure: str) -> float:
    ratios = [r[name][measure] / r["plain"][measure] for r in rounds if r[name]["returncode"] == 0]
    return statistics.median(ratios) if ratios else float("nan")


def summary(results: dict[str, list[dict[str, dict[str, Any]]]], wanted: list[str]) -> None:
    cases = list(results)
    n = len(next(iter(results.values())))
    print(f"\nSpark SVD workflows, {n} round(s), {os.cpu_count()} cores; whole processes, median over rounds")
    print(f"  {'':<38}" + "".join(f"{c:>10}" for c in cases) + "   target")
    for name in wanted:
        for measure, unit in (("wall", "s"), ("cpu", "CPU s")):
            values = [statistics.median(r[name][measure] for r in results[c]) for c in cases]
            print(f"  {name + ' ' + unit:<38}" + "".join(f"{v:10.1f}" for v in values))
    if "plain" in wanted:
        for name in (v for v in wanted if v == "knitflow"):  # warm runs the workflow twice: no peer
            for measure in ("wall", "cpu"):
                ratios = [_median_ratio(results[c], name, measure) for c in cases]
                label = f"{name} / plain ({measure})"
                print(
                    f"  {label:<38}"
                    + "".join(f"{x:10.2f}" for x in ratios)
                    + "   <= 1.1" * (name == "knitflow")
                )
    if "warm" in wanted:
        for key, unit in (("second run", "s"), ("second run cpu", "CPU s")):
            values = [
                statistics.median(r["warm"]["phases"].get(key, float("nan")) for r in results[c])
                for c in cases
            ]
            print(
                f"  {'warm: ' + key + ' (' + unit + ')':<38}"
                + "".join(f"{v:10.2f}" for v in values)
                + "   <= 2 s" * (unit == "s")
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds of all variants")
    parser.add_argument("--workflows", default="12_01,12_02")
    parser.add_argument("--variants", default="plain,knitflow,warm")
    parser.add_argument("--data", help="folder holding the workflows' CSV files")
    parser.add_argument("--child-plain", help=argparse.SUPPRESS)
    parser.add_argument("--child-warm", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--conf", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = data_folder(args.data)
    if args.child_plain or args.child_warm:
        if args.child_plain:
            phases = plain(CASES[args.child_plain], data, Path(args.out), json.loads(args.conf))
        else:
            phases = warm(CASES[args.child_warm], data, Path(args.out))
        print(json.dumps(phases))
        sys.stdout.flush()
        return  # ends as a script ends

    cases = [c.strip() for c in args.workflows.split(",") if c.strip()]
    wanted = [v.strip() for v in args.variants.split(",") if v.strip()]
    results: dict[str, list[dict[str, dict[str, Any]]]] = {c: [] for c in cases}
    conf = session_conf()
    with tempfile.TemporaryDirectory(prefix="bench_spark_") as tmp_name:
        for i in range(args.repeat):
            for case in cases:
                round_results: dict[str, dict[str, Any]] = {}
                for name in wanted:
                    r = round_results[name] = run_variant(name, case, data, Path(tmp_name), conf)
                    shown = ", ".join(f"{p} {s:.2f}" for p, s in r["phases"].items())
                    print(
                        f"round {i + 1}/{args.repeat} {case} {name:<9} {r['wall']:6.1f} s {r['cpu']:6.1f} CPU s"
                        f"  exit {r['returncode']}  {shown}",
                        flush=True,
                    )
                    if r["returncode"]:
                        print(r["stderr"][-2000:])
                results[case].append(round_results)
    summary(results, wanted)


if __name__ == "__main__":
    main()
