"""The spread of workflow 11_01's two final R² values over forest seeds, which the workflow test's
tolerances come from.

The workflow's forests all take their seed from the flow variable `randomseed` (the Table Creator's
last parameter row, start = stop), so a run seed is varied by rewriting that row; the partition keeps
its seed 10 (the 32 test rows the spec lists).

Run: python benchmarks/seed_spread_11_01.py [--seeds 1-10] [--workers N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.core.workflow import Workflow  # noqa: E402

WORKFLOW = ROOT / "workflows" / "11_01_randomforest_maxphase.yaml"
TABLE_CREATOR, ALL_DATA_SCORER, TRAIN_TEST_SCORER = 295, 300, 304


def with_forest_seed(seed: int) -> Workflow:
    wf = Workflow.load(WORKFLOW)
    rows = [list(r) for r in wf.doc.node(TABLE_CREATOR).settings["rows"]]
    rows[3] = ["randomseed", str(seed), str(seed), "0", rows[3][4]]
    wf.set_setting(TABLE_CREATOR, "rows", rows)
    return wf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-10", help="first-last forest seed")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    args = parser.parse_args()
    first, last = (int(v) for v in args.seeds.split("-"))
    scores: dict[str, list[float]] = {"all data": [], "train/test": []}
    print("seed  R2(all data)  R2(train/test)  best all-data params  best train/test params")
    for seed in range(first, last + 1):
        result = with_forest_seed(seed).run(variables={"data_dir": str(args.data)}, workers=args.workers)
        r2_all = float(result.output(ALL_DATA_SCORER).loc["R^2"].iloc[0])
        r2_tt = float(result.output(TRAIN_TEST_SCORER).loc["R^2"].iloc[0])
        scores["all data"].append(r2_all)
        scores["train/test"].append(r2_tt)
        best = [result.output(n, 1).iloc[0, :3].astype(int).tolist() for n in (297, 249)]
        print(f"{seed:4d}  {r2_all:12.4f}  {r2_tt:14.4f}  {best[0]!s:20}  {best[1]}", flush=True)
    for name, values in scores.items():
        print(
            f"{name:10}: min {min(values):.4f}  max {max(values):.4f}  mean {statistics.mean(values):.4f}  "
            f"sd {statistics.stdev(values):.4f}"
        )


if __name__ == "__main__":
    main()
