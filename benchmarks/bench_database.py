"""The DB nodes on SQLite: a 100,000-row table written with the DB Writer and read back with the DB
Query Reader, beside a plain pandas script doing the same (`to_sql` / `read_sql` on sqlite3) in the
same run. Both read the table from the same CSV first; imports are warmed up before timing. The
database part compares the DB nodes' own times (connector, writer, reader, as the run reports them)
with `to_sql` + `read_sql`; the whole round trip includes the CSV Reader, which reads as KNIME's does.

Target: database part <= 2 x the plain script (knitflow types every column as KNIME's type mapping
says and checks the SQL at configure time; pandas does neither).
Run: python benchmarks/bench_database.py [--rows N] [--repeat R]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.core.workflow import Workflow  # noqa: E402

WORKFLOW = """format: knitflow/1
name: database round trip
nodes:
  - id: 1
    type: csv_reader
    settings: {{file: '{csv}'}}
  - id: 2
    type: db_sqlite_connector
    settings: {{path: '{db}'}}
  - id: 3
    type: db_writer
    settings: {{tableSelection: {{tableName: measurements}}, appendStatus: false, appendError: false}}
  - id: 4
    type: db_query_reader
    settings: {{sql_statement: SELECT * FROM measurements}}
connections:
  - 1:1 -> 3:1
  - 2:1 -> 3:2
  - 3:2 -> 4:1
"""


def make_csv(folder: Path, rows: int) -> Path:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "id": np.arange(rows),
            "count": rng.integers(0, 1000, rows),
            "value": rng.random(rows),
            "label": [f"class {i % 97}" for i in range(rows)],
        }
    )
    path = folder / "measurements.csv"
    frame.to_csv(path, index=False)
    return path


def knitflow_round_trip(csv: Path, db: Path) -> tuple[int, float]:
    """(rows read back, seconds the DB nodes took)."""
    db.unlink(missing_ok=True)
    result = Workflow.from_text(WORKFLOW.format(csv=csv, db=db)).run()
    if not result.ok:
        raise SystemExit(f"the workflow failed: {[s.error for s in result.status.values() if s.error]}")
    return len(result.output(4)), sum(result.status[n].seconds or 0.0 for n in (2, 3, 4))


def plain_round_trip(csv: Path, db: Path) -> tuple[int, float]:
    db.unlink(missing_ok=True)
    frame = pd.read_csv(csv)
    t0 = time.perf_counter()
    with sqlite3.connect(db) as con:
        frame.to_sql("measurements", con, index=False)
        back = pd.read_sql("SELECT * FROM measurements", con)
    return len(back), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv = make_csv(folder, args.rows)
        knitflow_round_trip(csv, folder / "warm.db")  # imports (pandas, SQLAlchemy, the nodes) once
        plain_round_trip(csv, folder / "warm_plain.db")
        ours, theirs, our_db, their_db = [], [], [], []
        for _ in range(args.repeat):  # interleaved rounds, so machine noise hits both alike
            t0 = time.perf_counter()
            n_ours, db_ours = knitflow_round_trip(csv, folder / "knitflow.db")
            t1 = time.perf_counter()
            n_theirs, db_theirs = plain_round_trip(csv, folder / "plain.db")
            t2 = time.perf_counter()
            ours.append(t1 - t0)
            theirs.append(t2 - t1)
            our_db.append(db_ours)
            their_db.append(db_theirs)
        assert n_ours == n_theirs == args.rows
    print(f"{args.rows:,} rows CSV -> SQLite -> table (median of {args.repeat})")
    for what, mine, plain, target in (
        ("database part", statistics.median(our_db), statistics.median(their_db), " (target <= 2 x)"),
        ("whole round trip", statistics.median(ours), statistics.median(theirs), ""),
    ):
        print(
            f"  {what}: plain pandas/sqlite3 {plain:.3f} s, knitflow {mine:.3f} s, ratio {mine / plain:.2f} x{target}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
