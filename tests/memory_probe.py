"""Peak memory of a command and every process it starts (tests/test_robustness_memory.py).

The peak is sampled from /proc every few milliseconds as the sum of the proportional set sizes
(Pss: a page shared by a forked worker and its parent counts half in each, so the sum is what the
tree really holds) of the process and all its descendants; RUSAGE_CHILDREN's ru_maxrss (the largest
single process) is reported beside it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass
class Peak:
    returncode: int
    tree_bytes: int  # the largest sum of Pss over the process tree seen while it ran
    largest_process_bytes: int  # ru_maxrss of the largest process that ended
    seconds: float
    stderr: str


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _pss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def tree_pss(pid: int) -> int:
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += _pss(p)
        todo.extend(_children(p))
    return total


def measure(argv: list[str], *, env: dict[str, str] | None = None, interval: float = 0.01) -> Peak:
    import tempfile

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as err:  # a file, not a pipe: a chatty run cannot block on it
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env, text=True)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_pss(proc.pid))
            time.sleep(interval)
        err.seek(0)
        stderr = err.read()
    seconds = time.perf_counter() - t0
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of all children ever waited for: this run's only when it is the largest so far
    return Peak(proc.returncode, peak, largest * 1024 if largest > before else 0, seconds, stderr)


def scaled_zb_wz_csv(source: Path, target: Path, rows: int, seed: int = 14) -> None:
    """10_02's CSV scaled up: rows drawn from the tutorial's 82 with Gaussian noise (5% of each
    column's spread) on every Double column; ZA/ZB and the element names kept."""
    df = pd.read_csv(source, dtype={"ZA": str, "ZB": str})
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(df), rows)
    out = df.iloc[pick].reset_index(drop=True)
    for col in df.columns[4:]:
        values = out[col].to_numpy(dtype=float)
        out[col] = values + rng.normal(0.0, 0.05 * (df[col].std() or 1.0), rows)
    out.to_csv(target, index=False, float_format="%.4f", chunksize=100_000)


if __name__ == "__main__":  # python tests/memory_probe.py ROWS DIR [knitflow args...]
    import sys

    rows, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    csv = folder / "ZB_WZ_dE_rawdescriptor.csv"
    if not csv.exists():
        scaled_zb_wz_csv(Path(__file__).parent.parent / "data" / csv.name, csv, rows)
    result = measure(sys.argv[3:], env={**os.environ})
    print(
        f"rc={result.returncode} tree_peak={result.tree_bytes / 2**20:.0f} MiB "
        f"largest_process={result.largest_process_bytes / 2**20:.0f} MiB {result.seconds:.1f} s"
    )
    print(result.stderr[-3000:])
