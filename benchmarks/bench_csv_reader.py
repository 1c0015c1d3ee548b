"""The CSV Reader beside `pandas.read_csv` on the same files in the same run: qm9.csv (130,831 x 4,
when fetched), Carbon8_descriptor.csv (3,560 x 17), a generated 100,000-row mixed file (ints,
doubles, strings, quoted strings with delimiters and doubled quotes, missing values), a generated
100,000-row numeric file and a 5-row file (the fixed cost of one call).

knitflow is timed two ways: `execute` (the node's execute on a configured node, what a workflow
run spends once the spec is known) and `cold` (configure with its spec cache emptied, then execute:
a fresh `knitflow run`). pandas reads with its defaults (C engine, its own type inference), which is
less work than KNIME's rules (Integer/Long/Double/String guessing on the first 10,000 rows, Java's
number grammar, RowIDs), so a ratio near 1 is not expected. Rounds are interleaved (this VM's speed
drifts) and medians compared. Imports are warmed up before timing.

Run: python benchmarks/bench_csv_reader.py [--repeat R] [--rows N] [--data DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.core.context import RunContext  # noqa: E402
from engine.core.testing import run_node  # noqa: E402
from engine.core.variables import VarStack  # noqa: E402
from nodes import csv_reader  # noqa: E402


def make_mixed(path: Path, rows: int) -> Path:
    """Ints, doubles, plain strings, quoted strings (delimiters, doubled quotes) and missing values."""
    rng = np.random.default_rng(11)
    ints = rng.integers(-50_000, 50_000, rows)
    doubles = rng.normal(0, 1e3, rows)
    words = np.array(["alpha", "beta", "gamma", "delta", "epsilon", "zeta"])
    picks = words[rng.integers(0, len(words), rows)]
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,count,value,label,comment\n")
        for i in range(rows):
            value = "" if i % 53 == 0 else repr(float(doubles[i]))
            if i % 7 == 0:
                comment = f'"{picks[i]}, {i % 13} ""quoted"""'
            elif i % 5 == 0:
                comment = ""
            else:
                comment = f"note {i % 101}"
            fh.write(f"{i},{ints[i]},{value},{picks[i]},{comment}\n")
    return path


def make_numeric(path: Path, rows: int) -> Path:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows),
            "count": rng.integers(0, 1000, rows),
            "value": rng.random(rows),
            "other": rng.normal(0, 1e6, rows),
        }
    )
    frame.to_csv(path, index=False)
    return path


def make_small(path: Path) -> Path:
    path.write_text("a,b,c\n1,2.5,x\n2,3.5,y\n3,,z\n4,5.0,w\n5,6.25,v\n", encoding="utf-8")
    return path


def _executor(path: Path) -> Callable[[], int]:
    """The node's execute on a configured node (the spec known, as in a workflow run)."""
    node = csv_reader.CsvReader()
    settings = node.Settings.model_validate({"file": str(path)})
    ctx = RunContext(node_id=0, variables=VarStack.of({}))
    node.configure([], settings, ctx)

    def run() -> int:
        return len(node.execute([], settings, ctx)[0].df)

    return run


def _cold(path: Path) -> Callable[[], int]:
    """configure (its cache emptied) and execute, as a fresh run does."""

    def run() -> int:
        csv_reader._CONFIGURED.clear()
        return len(run_node("csv_reader", {"file": str(path)})[1].df)

    return run


def _timed(fn: Callable[[], int]) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = fn()
    return time.perf_counter() - t0, n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--data", default=str(ROOT / "data"), help="folder holding qm9.csv and Carbon8_descriptor.csv"
    )
    args = parser.parse_args(argv)
    data = Path(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {
            "qm9.csv": data / "qm9.csv",
            "Carbon8_descriptor.csv": data / "Carbon8_descriptor.csv",
            f"mixed {args.rows:,} x 5": make_mixed(folder / "mixed.csv", args.rows),
            f"numeric {args.rows:,} x 4": make_numeric(folder / "numeric.csv", args.rows),
            "small 5 x 3": make_small(folder / "small.csv"),
        }
        missing = [name for name, p in files.items() if not p.is_file()]
        for name in missing:
            print(f"({name} not found in {data}: skipped; `knitflow data fetch --qm9` makes qm9.csv)")
            del files[name]
        print(f"median of {args.repeat} interleaved rounds, seconds")
        print(f"  {'file':<26} {'pandas':>8} {'execute':>8} {'ratio':>7} {'cold':>8} {'ratio':>7}")
        for name, path in files.items():
            runs = {
                "pandas": lambda p=path: len(pd.read_csv(p)),
                "execute": _executor(path),
                "cold": _cold(path),
            }
            rows = {what: fn() for what, fn in runs.items()}  # warm up (imports, page cache)
            if len(set(rows.values())) != 1:
                raise SystemExit(f"{name}: row counts differ: {rows}")
            times: dict[str, list[float]] = {what: [] for what in runs}
            for _ in range(args.repeat):
                for what, fn in runs.items():
                    times[what].append(_timed(fn)[0])
            med = {what: statistics.median(t) for what, t in times.items()}
            print(
                f"  {name:<26} {med['pandas']:8.4f} {med['execute']:8.4f} {med['execute'] / med['pandas']:6.2f}x"
                f" {med['cold']:8.4f} {med['cold'] / med['pandas']:6.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
