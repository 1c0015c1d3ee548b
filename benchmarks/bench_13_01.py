"""Workflow 13_01 (QM9 scaling law) through knitflow's CLI with --workers 1 and --workers 2, beside a plain
pandas/RDKit/scikit-learn script doing the same computation sequentially, all in one invocation.

Each variant runs in its own process, so that time and memory are its own: the wall time of the whole
process (start-up, imports and, for knitflow, writing the outputs included), the time per phase, the
largest resident set of any process of the variant (`ru_maxrss` from wait4) and the peak of the summed
proportional set size (PSS) of the variant's process tree, sampled every 0.2 s (forked workers share the
parent's pages; PSS counts a shared page once).

The plain script: read qm9.csv, drop rows with a missing value, Morgan fingerprints (radius 2, 1024
bits, the same RDKit generator) into a uint8 matrix, then for 5 repetitions x 9 sizes N a random
sample of N molecules, a 70/30 split (one fixed split seed, as in the workflow), Lasso(alpha 1e-4,
max_iter 10000) on the 70 %, the seven scores on the 30 %, the 45 x 10 table written to CSV and read
back, N > 1050 kept, curve_fit of L0 + a N^-b; then the files `knitflow run` writes for the
workflow (the Table Views' tables, among them the last pass's 50,000-molecule sample, the four
Scatter Plots and the Python View's learning curve as PNGs). Sequential, as a script is. It draws
the workflow's own rows (KNIME's java.util.Random selection, through knitflow's emulation), so
that both fit the same 45 Lasso problems: coordinate descent needs more or fewer sweeps depending
on the sample, and with numpy's sampling (variant `plain-np`) the loop's time differs from the
workflow's by chance, not by engine overhead.

The plain script runs with one BLAS/OpenMP thread (OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1,
MKL_NUM_THREADS=1): with two, its dense fits vary 4-15 x on this machine. knitflow runs as shipped: its
Expand Bit Vector keeps the 1,024 Morgan bits (~2 % set) as one sparse matrix (the table layer's
engine.api.SparseTable) that the Row Sampler, Table Partitioner and Lasso nodes share, so its 45 fits
are sparse coordinate descents, and its loop workers limit their own BLAS threads.

Targets (2-core machine, issue #20): knitflow --workers 2 <= 0.35 x plain, peak memory <= 1.0 GB (the
summed PSS of all the variant's processes). This VM's speed drifts 10-20 % between runs (more when it is
shared): `--repeat K` runs K interleaved rounds and reports each variant's ratio to the same round's
plain script, every round.

Variant `plain2` runs the plain script's 45 passes in 2 forked processes with one BLAS thread each: the
speed-up the machine allows at all for dense fits.

`--profile` runs knitflow --workers 1 once under cProfile (CPU time) and prints where the CPU goes by
kind of work (fingerprinting, Lasso fits, CSV I/O, scoring, views and scripts, densifying bits for nodes
that read dense columns, start-up), i.e. what limits the run now.

Run: python benchmarks/bench_13_01.py [--small] [--repeat K] [--variants plain,w1,w2,plain2,plain-np]
     [--profile] [--data DIR]
(`--small` reads only the first 500 molecules, as `--set max_molecules=500` does.)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "workflows" / "13_01_SMILES_RDkit.yaml"
SMALL_MOLECULES = 500
PARTITION_SEED = 1678807467440  # the workflow splits every sample with this one fixed seed
SEEDS = [1, 2, 3, 4, 5]
N_VALUES = [100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]
PAGE = os.sysconf("SC_PAGE_SIZE")


def data_folder(given: str | None) -> Path:
    env = os.environ.get("KNITFLOW_DATA")
    for folder in [Path(p) for p in (given, env) if p] + [ROOT / "data", ROOT.parent / "shared" / "data"]:
        if (folder / "qm9.csv").is_file():
            return folder
    sys.exit("qm9.csv not found: run `knitflow data fetch --qm9` (or pass --data DIR)")


# ------------------------------------------------------------------------------------- plain script


_SHARED: tuple[Any, Any] | None = None
SAMPLING = "java"


def _plain_pass(x: Any, y: Any, k: int, seed: int, n: int) -> dict[str, Any]:
    """One (seed, N) pass: sample, 70/30 split, Lasso, the seven scores."""
    import numpy as np
    from sklearn.linear_model import Lasso

    if (
        SAMPLING == "java"
    ):  # the workflow's rows: KNIME's java.util.Random selection, from knitflow's emulation
        from nodes._java_random import JavaRandom

        sample = JavaRandom(k).shuffled_head(len(y), n)
        n_train = math.floor(0.7 * len(sample))
        train_mask = np.zeros(len(sample), dtype=bool)
        train_mask[JavaRandom(PARTITION_SEED).shuffled_head(len(sample), n_train)] = True
        train, test = sample[train_mask], sample[~train_mask]
    else:
        sample = np.sort(np.random.default_rng(k).choice(len(y), size=min(n, len(y)), replace=False))
        order = np.random.default_rng(PARTITION_SEED).permutation(len(sample))
        n_train = math.floor(0.7 * len(sample))
        train, test = np.sort(sample[order[:n_train]]), np.sort(sample[order[n_train:]])
    model = Lasso(alpha=1e-4, fit_intercept=True, max_iter=10000)
    model.fit(x[train].astype(np.float64), y[train])
    pred, ref = model.predict(x[test].astype(np.float64)), y[test]
    err = pred - ref
    r2 = 1 - (err**2).sum() / ((ref - ref.mean()) ** 2).sum()
    last = k == len(SEEDS) * len(N_VALUES) - 1  # the pass whose sample and predictions are shown
    return {
        **({"_sample": sample, "_test": test, "_pred": pred} if last else {}),
        "R^2": r2,
        "mean absolute error": np.abs(err).mean(),
        "mean squared error": (err**2).mean(),
        "root mean squared error": math.sqrt((err**2).mean()),
        "mean signed difference": err.mean(),
        "mean absolute percentage error": np.abs(err / ref).mean(),
        "adjusted R^2": r2,
        "seed": seed,
        "N": n,
        "Iteration": k,
    }


def _one_blas_thread() -> None:
    """Two processes on two cores: each BLAS/OpenMP pool gets one thread (as knitflow's workers do)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def _forked_plain_pass(k: int, seed: int, n: int) -> dict[str, Any]:
    assert _SHARED is not None
    return _plain_pass(*_SHARED, k, seed, n)


def plain(csv: Path, molecules: int | None, out_dir: Path, workers: int = 1) -> dict[str, float]:
    """The computation as a plain script would do it; returns seconds per phase."""
    import numpy as np
    import pandas as pd
    from rdkit import Chem, rdBase
    from rdkit.Chem import rdFingerprintGenerator
    from scipy.optimize import curve_fit

    phases: dict[str, float] = {}
    t = time.perf_counter()
    df = pd.read_csv(csv, nrows=molecules)
    phases["read"] = time.perf_counter() - t

    t = time.perf_counter()
    generator = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    bits = np.zeros((len(df), 1024), dtype=np.uint8)
    parsed = np.zeros(len(df), dtype=bool)
    with rdBase.BlockLogs():
        for i, smiles in enumerate(df["SMILES"]):
            mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) else None
            if mol is not None:
                bits[i] = generator.GetFingerprintAsNumPy(mol)
                parsed[i] = True
    keep = parsed & df[["HOMO", "LUMO", "GAP"]].notna().all(axis=1).to_numpy()
    x, y = bits[keep], df["GAP"].to_numpy()[keep]
    phases["fingerprints"] = time.perf_counter() - t

    t = time.perf_counter()
    passes = list(enumerate((s, n) for s in SEEDS for n in N_VALUES))
    if workers == 1:
        rows = [_plain_pass(x, y, k, seed, n) for k, (seed, n) in passes]
    else:  # the hardware's ceiling: the same passes in forked processes (x and y inherited, not pickled)
        import multiprocessing

        global _SHARED
        _SHARED = (x, y)
        with multiprocessing.get_context("fork").Pool(workers, initializer=_one_blas_thread) as pool:
            rows = pool.starmap(_forked_plain_pass, [(k, seed, n) for k, (seed, n) in passes], chunksize=1)
    phases["loop"] = time.perf_counter() - t

    shown = next(r for r in rows if "_sample" in r)
    rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]

    t = time.perf_counter()
    path = out_dir / "scaling_law_plain.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    scores = pd.read_csv(path)
    kept = scores[scores["N"] > 1050]
    mae = kept["mean absolute error"].to_numpy()
    try:
        popt, _ = curve_fit(
            lambda n, l0, a, b: l0 + a * np.power(n, -b),
            kept["N"].to_numpy(dtype=float),
            mae,
            p0=(mae.min(), mae.max() - mae.min(), 0.1),
        )
    except RuntimeError:  # no convergence: report it, the timing still counts
        popt = [float("nan")] * 3
    phases["fit"] = time.perf_counter() - t

    t = time.perf_counter()
    molecules_kept = df[keep].reset_index(drop=True)
    _same_outputs(out_dir, molecules_kept, shown, pd.DataFrame(rows), scores, kept, popt)
    phases["outputs"] = time.perf_counter() - t
    print(f"plain fit: L0={popt[0]:.4f} a={popt[1]:.4f} b={popt[2]:.4f}", file=sys.stderr)
    return phases


def _same_outputs(
    out: Path, molecules: Any, shown: dict[str, Any], loop: Any, scores: Any, kept: Any, popt: Any
) -> None:
    """The files `knitflow run` writes for 13_01, as a plain script would make them: the Table Views'
    tables (the last pass's 50,000-molecule sample among them), the four Scatter Plots and the
    Python View's log-log learning curve, as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    molecules.iloc[shown["_sample"]][["SMILES", "HOMO", "LUMO", "GAP"]].to_csv(out / "sample.csv")
    kept.to_csv(out / "kept.csv")
    pd.DataFrame({"L0": [popt[0]], "a": [popt[1]], "b": [popt[2]]}).to_csv(out / "fit.csv")

    def scatter(name: str, x: Any, y: Any, xlabel: str, ylabel: str) -> None:
        fig, ax = plt.subplots(figsize=(8, 6), dpi=100)
        ax.scatter(x, y, s=12)
        ax.set_title("Scatter Plot")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        fig.tight_layout()
        fig.savefig(out / name)
        plt.close(fig)

    scatter(
        "pred.png", molecules["GAP"].to_numpy()[shown["_test"]], shown["_pred"], "GAP", "Prediction (GAP)"
    )
    scatter("loop.png", loop["N"], loop["mean absolute error"], "N", "mean absolute error")
    scatter("read.png", scores["N"], scores["mean absolute error"], "N", "mean absolute error")
    scatter("kept.png", kept["N"], kept["mean absolute error"], "N", "mean absolute error")

    n, mae = kept["N"].to_numpy(dtype=float), kept["mean absolute error"].to_numpy(dtype=float)
    n_curve = np.logspace(np.log10(n.min()), np.log10(n.max()), 200)
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    ax.scatter(n, mae, label="data")
    ax.plot(n_curve, popt[0] + popt[1] * n_curve ** (-popt[2]), color="red", linewidth=2, label="fit")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N")
    ax.set_ylabel("mean absolute error")
    ax.text(0.05, 0.95, f"L(N) = {popt[0]:.3f} + {popt[1]:.3f} N^-{popt[2]:.3f}", transform=ax.transAxes)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "law.png")
    plt.close(fig)


# ---------------------------------------------------------------------------------- memory sampling


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def _pss_rss(pid: int) -> tuple[int, int]:
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return pss, rss


class TreeSampler(threading.Thread):
    """Peak summed PSS and RSS of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_pss, self.peak_rss, self.stop = pid, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.2):
            sizes = [_pss_rss(p) for p in _tree(self.pid)]
            self.peak_pss = max(self.peak_pss, sum(s[0] for s in sizes))
            self.peak_rss = max(self.peak_rss, sum(s[1] for s in sizes))


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall time, output, the largest resident set of the child's tree (wait4's rusage) and the sampled
    peak of the tree's summed PSS/RSS."""
    t = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
        out.seek(0)
        err.seek(0)
        return {
            "wall": wall,
            "stdout": out.read(),
            "stderr": err.read(),
            "returncode": proc.returncode,
            "maxrss": usage.ru_maxrss * 1024,
            "peak_pss": sampler.peak_pss,
            "peak_rss_sum": sampler.peak_rss,
        }


# ------------------------------------------------------------------------------------------ variants

PHASE_NODES = {"read": [194], "fingerprints": [190, 188, 177, 282], "loop": [180]}


def knitflow_variant(workers: int, data: Path, molecules: int | None, tmp: Path) -> dict[str, Any]:
    """`knitflow run` on a copy of the workflow (so that its CSV Writer writes into `tmp`)."""
    folder = tmp
    folder.mkdir(parents=True)
    shutil.copy(WORKFLOW, folder / WORKFLOW.name)
    cmd = [
        sys.executable,
        "-m",
        "engine.cli",
        "run",
        str(folder / WORKFLOW.name),
        "--quiet",
        "--workers",
        str(workers),
        "--out",
        str(folder / "out"),
        "--set",
        f"data_dir={data}",
    ]
    if molecules:
        cmd += ["--set", f"max_molecules={molecules}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    res = run_measured(cmd, env)
    run_json = folder / "out" / "run.json"
    phases: dict[str, float] = {}
    if run_json.exists():
        run = json.loads(run_json.read_text())
        secs = {n["id"]: n["seconds"] or 0.0 for n in run["nodes"]}
        for phase, ids in PHASE_NODES.items():
            phases[phase] = sum(secs.get(i, 0.0) for i in ids)
        phases["fit"] = sum(s for i, s in secs.items() if i in (283, 284, 287, 294, 299))
        res["failed"] = [
            f"#{n['id']}: {(n['error'] or '').splitlines()[0][:90]}" for n in run["nodes"] if n["error"]
        ]
        fit = folder / "out" / "300_Table_View_port1.csv"
        res["fit"] = fit.read_text().splitlines()[-1] if fit.exists() else "?"
    res["phases"] = phases
    return res


def plain_variant(
    data: Path, molecules: int | None, tmp: Path, workers: int = 1, sampling: str = "java"
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child-plain",
        "--data",
        str(data),
        "--tmp",
        str(tmp),
        "--workers",
        str(workers),
        "--sampling",
        sampling,
    ]
    if molecules:
        cmd += ["--molecules", str(molecules)]
    one_thread = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    res = run_measured(cmd, {**os.environ, **one_thread})
    res["phases"] = json.loads(res["stdout"].strip().splitlines()[-1]) if res["returncode"] == 0 else {}
    res["fit"] = next((line for line in res["stderr"].splitlines() if line.startswith("plain fit")), "?")
    res["failed"] = [] if res["returncode"] == 0 else [res["stderr"][-300:]]
    return res


VARIANTS = {
    "plain": "plain script",
    "plain-np": "plain, numpy rows",
    "plain2": "plain, 2 procs",
    "w1": "knitflow -w 1",
    "w2": "knitflow -w 2",
}


def run_variant(name: str, data: Path, molecules: int | None, tmp: Path) -> dict[str, Any]:
    if name == "plain":
        return plain_variant(data, molecules, tmp)
    if name == "plain-np":
        return plain_variant(data, molecules, tmp, sampling="numpy")
    if name == "plain2":
        return plain_variant(data, molecules, tmp, workers=2)
    if name in ("w1", "w2"):
        return knitflow_variant(int(name[1]), data, molecules, tmp / f"{name}-{time.monotonic_ns()}")
    sys.exit(f"unknown variant {name!r} (known: {', '.join(VARIANTS)})")


def print_round(results: dict[str, dict[str, Any]]) -> None:
    header = (
        f"{'variant':<19}{'wall s':>8}{'ratio':>8}{'read':>8}{'fingerpr.':>10}{'loop':>8}{'fit':>7}"
        f"{'max RSS MB':>12}{'tree PSS MB':>13}"
    )
    print(header)
    print("-" * len(header))
    base = results.get("plain", {}).get("wall")
    for name, r in results.items():
        ph = r.get("phases", {})
        ratio = f"{r['wall'] / base:.2f}" if base else "-"
        print(
            f"{VARIANTS[name]:<19}{r['wall']:>8.1f}{ratio:>8}{ph.get('read', 0):>8.1f}"
            f"{ph.get('fingerprints', 0):>10.1f}{ph.get('loop', 0):>8.1f}{ph.get('fit', 0):>7.1f}"
            f"{r['maxrss'] / 2**20:>12.0f}{r['peak_pss'] / 2**20:>13.0f}"
        )


def main() -> None:
    global SAMPLING
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", action="store_true", help=f"first {SMALL_MOLECULES} molecules only")
    parser.add_argument(
        "--variants", default="plain,w1,w2", help=f"comma list of {', '.join(VARIANTS)} (default plain,w1,w2)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of all variants, interleaved (this VM's speed drifts); ratios are per round",
    )
    parser.add_argument("--data", help="folder holding qm9.csv")
    parser.add_argument(
        "--profile", action="store_true", help="also profile knitflow -w 1 (CPU by kind of work)"
    )
    parser.add_argument("--child-plain", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--molecules", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--sampling", default="java", choices=["java", "numpy"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = data_folder(args.data)
    if args.child_plain:
        SAMPLING = args.sampling
        print(json.dumps(plain(data / "qm9.csv", args.molecules, Path(args.tmp), args.workers)))
        return

    molecules = SMALL_MOLECULES if args.small else None
    wanted = [v.strip() for v in args.variants.split(",") if v.strip()]
    rounds: list[dict[str, dict[str, Any]]] = []
    size = f"first {molecules} molecules" if molecules else "all 130,831 molecules"
    with tempfile.TemporaryDirectory(prefix="bench13_") as tmp_name:
        tmp = Path(tmp_name)
        for k in range(args.repeat):
            results: dict[str, dict[str, Any]] = {}
            for name in wanted:
                print(f"round {k + 1}/{args.repeat}: running {name} ...", flush=True)
                results[name] = r = run_variant(name, data, molecules, tmp)
                print(
                    f"  {r['wall']:.1f} s, exit {r['returncode']}, {r.get('fit', '')}"
                    + (f", FAILED {r['failed']}" if r.get("failed") else ""),
                    flush=True,
                )
            print(f"\n13_01 benchmark, round {k + 1} ({size}, {os.cpu_count()} cores)")
            print_round(results)
            print()
            rounds.append(results)

    if "plain" in wanted:
        print(f"over {len(rounds)} round(s), each variant against the same round's plain script:")
        for name in wanted:
            walls = [r[name]["wall"] for r in rounds]
            ratios = [r[name]["wall"] / r["plain"]["wall"] for r in rounds]
            peaks = [r[name]["peak_pss"] / 2**30 for r in rounds]
            print(
                f"  {VARIANTS[name]:<19} wall {' '.join(f'{w:6.1f}' for w in walls)} s | ratio "
                f"{' '.join(f'{x:.2f}' for x in ratios)} (median {statistics.median(ratios):.2f}) | peak PSS "
                f"{' '.join(f'{p:.2f}' for p in peaks)} GB"
            )
    print("\ntargets: knitflow -w 2 <= 0.35 x plain (one BLAS thread), peak memory <= 1.0 GB")
    print(
        "(phases of knitflow are node seconds from run.json; wall includes start-up and writing the outputs)"
    )
    if args.profile:
        profile(data, molecules)


# ------------------------------------------------------------------------------------------ profile

PROFILE_KINDS = [  # (kind, functions whose cumulative CPU time counts for it), first match wins
    ("fingerprinting (RDKit parse + Morgan)", ["_rdkit_fingerprints.py:fingerprint_chunk"]),
    ("Lasso fits (coordinate descent)", ["_coordinate_descent.py:enet_path"]),
    ("Lasso set-up (feature matrices, checks)", ["sklearn_nodes.py:execute"]),
    ("CSV reading and writing", ["io.py:execute"]),
    ("Numeric Scorer (commons-math sums)", ["scorers.py:execute"]),
    ("dense bits for other nodes (Table View)", ["sparse_table.py:df"]),
    ("Python Script / View, Table Views", ["scripting.py:execute", "views.py:execute"]),
    ("sampling and partitioning", ["sampling.py:execute"]),
    ("Expand Bit Vector, Molecule Type Cast", ["chemistry.py:execute"]),
]
KIND_SETUP, KIND_EXPAND = PROFILE_KINDS[2][0], PROFILE_KINDS[-1][0]


def profile(data: Path, molecules: int | None) -> None:
    """knitflow -w 1 under cProfile with a CPU clock; CPU seconds by kind of work."""
    import pstats

    with tempfile.TemporaryDirectory(prefix="bench13_profile_") as tmp_name:
        folder = Path(tmp_name)
        shutil.copy(WORKFLOW, folder / WORKFLOW.name)
        stats_file = folder / "profile.out"
        script = (  # the libraries are imported first and timed apart: imports inside nodes would blur the kinds
            "import cProfile, sys, time\n"
            "t = time.process_time()\n"
            "import engine.cli.main, matplotlib.pyplot, rdkit.Chem, scipy.optimize, sklearn.linear_model\n"
            "import nodes.chemistry, nodes.sklearn_nodes, nodes.scorers, nodes.table_view, nodes.scatter_plot, nodes.line_plot, nodes.histogram, nodes.scripting\n"
            f"open({str(folder / 'imports')!r}, 'w').write(str(time.process_time() - t))\n"
            "from engine.cli.main import main\n"
            "p = cProfile.Profile(time.process_time)\n"
            "p.enable()\n"
            "try:\n    main(sys.argv[1:])\n"
            "except SystemExit:\n    pass\n"
            f"p.disable(); p.dump_stats({str(stats_file)!r})\n"
        )
        cmd = [sys.executable, "-c", script, "run", str(folder / WORKFLOW.name), "--quiet", "--workers", "1"]
        cmd += ["--out", str(folder / "out"), "--set", f"data_dir={data}"]
        if molecules:
            cmd += ["--set", f"max_molecules={molecules}"]
        env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        wall = time.perf_counter() - t
        stats = pstats.Stats(str(stats_file)).stats  # type: ignore[attr-defined]
        imports = float((folder / "imports").read_text())
    total = max(ct for (_, _, _, ct, _) in stats.values())

    def kind_of(key: tuple[str, int, str]) -> str | None:
        name = f"{Path(key[0]).name}:{key[2]}"
        return next((kind for kind, names in PROFILE_KINDS if name in names), None)

    by_kind: dict[str, float] = {}
    for key, (_, _, _, cumulative, callers) in stats.items():
        kind = kind_of(key)
        if kind is None:
            continue
        by_kind[kind] = by_kind.get(kind, 0.0) + cumulative
        if kind.startswith("dense bits"):  # built inside other nodes' executes: not theirs
            for caller, (_, _, _, caller_cumulative) in callers.items():
                outer = kind_of(caller)
                if outer is not None:
                    by_kind[outer] = by_kind.get(outer, 0.0) - caller_cumulative
    # the fits and the fingerprints run inside node executes counted above: counted once, as themselves
    fits = by_kind.get("Lasso fits (coordinate descent)", 0.0)
    by_kind["Lasso set-up (feature matrices, checks)"] = by_kind.get(KIND_SETUP, 0.0) - fits
    fingerprints = by_kind.get("fingerprinting (RDKit parse + Morgan)", 0.0)
    by_kind[KIND_EXPAND] = by_kind.get(KIND_EXPAND, 0.0) - fingerprints
    print(f"\nprofile of knitflow -w 1 (wall {wall:.1f} s, {total + imports:.1f} CPU s in the main process):")
    print(f"  {'imports (scikit-learn, RDKit, matplotlib, ...)':<42} {imports:6.1f} CPU s  (before the run)")
    for kind, seconds in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<42} {seconds:6.1f} CPU s  {100 * seconds / total:5.1f} %")
    rest = total - sum(by_kind.values())
    print(f"  {'everything else (engine, other nodes)':<42} {rest:6.1f} CPU s  {100 * rest / total:5.1f} %")


if __name__ == "__main__":
    main()
